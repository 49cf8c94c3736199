/* ganrt train over MPI: what the training loop does besides the single-process run when
 * it is one rank of several (docs/distributed.md). The exchange itself is
 * runtime/train/dist.h; the gradients are averaged inside the session (set_shard). */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "common/err.h"
#include "runtime/train.h"
#include "runtime/train/dist.h"

static int reduce_grads(void *ctx, float *x, size_t n, char *err, size_t errlen)
{
    return gan_dist_mean_f32(ctx, x, n, err, errlen);
}

int cli_dist_shard(gan_dist *d, gan_session *s, char *err, size_t errlen)
{
    if (!d)
        return 0;
    return gan_session_set_shard(s, gan_dist_rank(d), gan_dist_size(d), reduce_grads, d, err,
                                 errlen);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* --sync-bn: every batch norm's running mean and variance averaged over the ranks (what
 * inference normalises with; the batch statistics of the training forward stay per rank). */
static int sync_bn(gan_dist *d, const gan_model *m, float *const *base, char *err,
                   size_t errlen)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const gan_tensor *t = &m->tensors[i];
        if (t->region != GAN_REGION_STATE || (t->flags & GAN_TF_AGGREGATE) ||
            !(ends_with(t->name, ".running_mean") || ends_with(t->name, ".running_var")))
            continue;
        if (gan_dist_mean_f32(d, base[t->region] + t->offset, (size_t)t->numel, err, errlen))
            return -1;
    }
    return 0;
}

int cli_dist_after_step(gan_dist *d, gan_session *s, const gan_model *m, int want_sync_bn,
                        double *losses, int n, double *buf, int *stop, int *timeup, char *err,
                        size_t errlen)
{
    if (!d)
        return 0;
    if (want_sync_bn && sync_bn(d, m, gan_session_base(s), err, errlen))
        return -1;
    /* one exchange: the losses (metrics show the global batch's), whether any rank was
     * asked to stop, and whether any rank's --minutes ran out (clocks differ), so that all
     * stop after the same step */
    memcpy(buf, losses, sizeof(double) * (size_t)n);
    buf[n] = *stop ? 1.0 : 0.0;
    buf[n + 1] = *timeup ? 1.0 : 0.0;
    if (gan_dist_mean_f64(d, buf, n + 2, err, errlen))
        return -1;
    memcpy(losses, buf, sizeof(double) * (size_t)n);
    *stop = buf[n] > 0;
    *timeup = buf[n + 1] > 0;
    return 0;
}

void cli_dist_report(const gan_dist *d, long long steps)
{
    if (!d || gan_dist_rank(d) != 0 || steps <= 0)
        return;
    double v = gan_dist_values(d) / (double)steps, sec = gan_dist_seconds(d) / (double)steps;
    fprintf(stderr, "ganrt train: %d ranks; exchanged %.0f values (%.2f MB) per step in "
            "MPI_Allreduce, %.2f ms per step on rank 0 (waiting for the slowest rank "
            "included)\n", gan_dist_size(d), v, v * 4 / 1e6, sec * 1e3);
}
