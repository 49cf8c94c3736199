/* Standing statistics for sampling (BigGAN's "standing stats"). A generator's batch norms
 * sample with running statistics, and those were gathered by the raw weights during
 * training; the EMA weights sampled in their place make other activations, so every layer
 * is normalised with a mean and variance that are not its own. Here the sample program runs
 * over a few batches with each batch norm normalising by its own batch's statistics (as in
 * training), and the per-batch means and variances are averaged into the statistics that
 * sampling then uses. The model's state is left as it was: the running statistics are only
 * swapped out while the session samples. */
#include <stdlib.h>
#include <string.h>
#include "runtime/exec.h"
#include "runtime/train/session_internal.h"

/* The sample program's batch-norm running statistics, in op order: mean, var per op. */
static int find_stats(gan_session *s, const gan_program *p, char *err, size_t errlen)
{
    if (s->stat_t)
        return 0;
    const gan_model *m = s->m;
    int n = 0;
    for (int i = 0; i < p->n_ops; i++)
        n += p->ops[i].type == GAN_OP_BN_INFER ? 2 : 0;
    s->stat_t = malloc(sizeof(int) * (size_t)(n + 1));
    if (!s->stat_t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t total = 0;
    for (int i = 0, k = 0; i < p->n_ops; i++) {
        if (p->ops[i].type != GAN_OP_BN_INFER)
            continue;
        for (int j = 3; j <= 4; j++) {
            s->stat_t[k++] = p->ops[i].in[j];
            total += (size_t)m->tensors[p->ops[i].in[j]].numel;
        }
    }
    s->n_stat = n;
    s->standing_n = total;
    s->standing = calloc(total + 1, sizeof(float));
    s->standing_swap = calloc(total + 1, sizeof(float));
    if (!s->standing || !s->standing_swap) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Copies the running statistics out to buf (out 1) or in from it (out 0). */
static void copy_stats(gan_session *s, float *buf, int out)
{
    size_t at = 0;
    for (int k = 0; k < s->n_stat; k++) {
        const gan_tensor *t = &s->m->tensors[s->stat_t[k]];
        float *v = gan_tensor_ptr(s->m, s->base, s->stat_t[k]);
        if (out)
            memcpy(buf + at, v, sizeof(float) * (size_t)t->numel);
        else
            memcpy(v, buf + at, sizeof(float) * (size_t)t->numel);
        at += (size_t)t->numel;
    }
}

void gan_session_swap_standing(gan_session *s, int in, int use_ema)
{
    if (!s->standing_on || s->standing_ema != (use_ema != 0))
        return;
    if (in) {
        copy_stats(s, s->standing_swap, 1);
        copy_stats(s, s->standing, 0);
    } else {
        copy_stats(s, s->standing_swap, 0);
    }
}

/* Batch mean and (biased, as training normalises) variance of x [N, C, (H, W)] per channel
 * into mean and var; the unbiased variance added to acc_var, the mean to acc_mean. */
static void batch_stats(const gan_tensor *t, const float *x, float *mean, float *var,
                        double *acc_mean, double *acc_var)
{
    int n = t->shape[0], c = t->ndim > 1 ? t->shape[1] : 1;
    size_t hw = t->ndim == 4 ? (size_t)t->shape[2] * (size_t)t->shape[3] : 1, cnt = n * hw;
    for (int ch = 0; ch < c; ch++) {
        double s = 0.0, ss = 0.0;
        for (int i = 0; i < n; i++) {
            const float *r = x + ((size_t)i * c + ch) * hw;
            for (size_t q = 0; q < hw; q++)
                s += r[q];
        }
        double mu = s / (double)cnt;
        for (int i = 0; i < n; i++) {
            const float *r = x + ((size_t)i * c + ch) * hw;
            for (size_t q = 0; q < hw; q++)
                ss += (r[q] - mu) * (r[q] - mu);
        }
        mean[ch] = (float)mu;
        var[ch] = (float)(ss / (double)cnt);
        acc_mean[ch] += mu;
        acc_var[ch] += cnt > 1 ? ss / (double)(cnt - 1) : ss;
    }
}

/* One batch through the sample program up to its last batch norm, each batch norm fed its
 * own batch's statistics; their sums gathered in acc (laid out as the standing buffer). */
static int one_batch(gan_session *s, const gan_program *p, double *acc, char *err,
                     size_t errlen)
{
    const gan_model *m = s->m;
    int from = 0, k = 0;
    size_t at = 0;
    for (int i = 0; i < p->n_ops; i++) {
        const gan_op *op = &p->ops[i];
        if (op->type != GAN_OP_BN_INFER)
            continue;
        if (gan_exec_run_range(m, p, s->base, s->threads, s->scratch, NULL, from, i, 0, err,
                               errlen))
            return -1;
        const gan_tensor *mt = &m->tensors[s->stat_t[k]];
        gan_tensor t = m->tensors[op->in[0]];
        if ((int64_t)mt->numel != (t.ndim > 1 ? t.shape[1] : 1)) {
            snprintf(err, errlen, "standing statistics: %s has %llu values for %d channels",
                     mt->name, (unsigned long long)mt->numel, t.ndim > 1 ? t.shape[1] : 1);
            return -1;
        }
        batch_stats(&t, gan_tensor_ptr(m, s->base, op->in[0]),
                    gan_tensor_ptr(m, s->base, s->stat_t[k]),
                    gan_tensor_ptr(m, s->base, s->stat_t[k + 1]), acc + at, acc + at + mt->numel);
        at += 2 * (size_t)mt->numel;
        k += 2;
        from = i;
    }
    return 0;
}

int gan_session_standing_stats(gan_session *s, int n, const float *z, const float *labels,
                               int use_ema, char *err, size_t errlen)
{
    s->standing_on = 0;
    if (s->prog_sample < 0) {
        snprintf(err, errlen, "the model has no \"sample\" program");
        return -1;
    }
    const gan_program *p = &s->m->programs[s->prog_sample];
    if (find_stats(s, p, err, errlen))
        return -1;
    int nb = n / s->batch;
    if (s->n_stat == 0 || nb < 1)
        return 0; /* no batch norm, or fewer rows than a batch: the running statistics stay */
    double *acc = calloc(s->standing_n + 1, sizeof(double));
    if (!acc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int swap = use_ema && gan_session_swap_ema(s, 1);
    copy_stats(s, s->standing_swap, 1);
    int rc = 0;
    for (int b = 0; b < nb && !rc; b++) {
        gan_session_fill_sample_inputs(s, p, z, labels, b * s->batch, s->batch);
        rc = one_batch(s, p, acc, err, errlen);
    }
    copy_stats(s, s->standing_swap, 0);
    if (swap)
        gan_session_swap_ema(s, 0);
    for (size_t i = 0; i < s->standing_n && !rc; i++)
        s->standing[i] = (float)(acc[i] / nb);
    free(acc);
    if (!rc) {
        s->standing_on = 1;
        s->standing_ema = swap;
    }
    return rc;
}

void gan_session_standing_off(gan_session *s) { s->standing_on = 0; }
