/* ganrt info model.bin: what a compiled model contains, in a human-readable form. */
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "format/model.h"
#include "runtime/train.h"

static const char *init_name(int k)
{
    static const char *const names[GAN_INIT_COUNT] = {
        "none", "zeros", "ones", "normal", "uniform", "glorot_uniform", "he_normal",
        "orthogonal", "unit_normal", "copy"};
    return k >= 0 && k < GAN_INIT_COUNT ? names[k] : "?";
}

static const char *role_name(int r)
{
    static const char *const names[] = {"generator", "discriminator", "classifier"};
    return r >= 0 && r <= GAN_NET_CLASSIFIER ? names[r] : "?";
}

static const char *input_role_name(int r)
{
    static const char *const names[] = {"image", "labels", "latent", "direction"};
    return r >= 0 && r < GAN_ROLE_COUNT ? names[r] : "?";
}

static double mib(uint64_t floats)
{
    return (double)floats * 4.0 / (1024.0 * 1024.0);
}

static void shape_str(const gan_tensor *t, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (int d = 0; d < t->ndim && o < len; d++)
        o += (size_t)snprintf(buf + o, len - o, d ? "x%d" : "%d", t->shape[d]);
}

static void usage(FILE *f)
{
    fputs("usage: ganrt info MODEL.bin [--ckpt RUN|FILE]\n"
          "Prints what a compiled model holds: hyperparameters, networks, programs (op counts\n"
          "by type, FLOPs, planned arena vs the naive sum) and the parameter table.\n"
          "With --ckpt, also loads that checkpoint (a file, or a run directory's latest) against\n"
          "the model and prints its step, data position, seed and per-network weight norms.\n"
          "Exit status: 0 ok, 1 the model or checkpoint is not valid, 2 usage error.\n",
          f);
}

void cli_info_print(const gan_model *m, const char *path, FILE *f)
{
    const gan_hyper *h = &m->hyper;
    fprintf(f, "model %s (format version %d)\n\n", path, GAN_FORMAT_VERSION);
    fprintf(f, "hyperparameters\n");
    fprintf(f, "  image         %d x %d x %d, range [%g, %g]\n", h->image_c, h->image_h,
            h->image_w, (double)h->range_lo, (double)h->range_hi);
    fprintf(f, "  labels        %d (%s)", h->n_labels,
            h->label_kind == GAN_LABELS_MULTI         ? "multilabel"
            : h->label_kind == GAN_LABELS_CATEGORICAL ? "categorical"
                                                      : "none");
    for (int i = 0; i < h->n_labels; i++)
        fprintf(f, "%s%s", i ? ", " : ": ", h->label_names[i]);
    fprintf(f, "\n  latent        %d ~ %s\n", h->latent_size,
            h->latent_dist == GAN_LATENT_UNIFORM ? "uniform" : "normal");
    fprintf(f, "  batch         %d\n  d_steps       %d\n", h->batch, h->d_steps);
    fprintf(f, "  epochs        %d%s\n  steps         %lld%s\n", h->epochs,
            h->epochs ? "" : " (not set)", (long long)h->steps, h->steps ? "" : " (not set)");
    fprintf(f, "  sample_every  %d%s\n  ckpt_every    %d%s\n\n", h->sample_every,
            h->sample_every ? "" : " (runtime default)", h->ckpt_every,
            h->ckpt_every ? "" : " (runtime default)");

    static const char *const rn[GAN_REGION_COUNT] = {"param", "state", "grad", "arena"};
    fprintf(f, "regions\n");
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        fprintf(f, "  %-6s %12llu floats  %10.2f MiB\n", rn[r],
                (unsigned long long)m->region_floats[r], mib(m->region_floats[r]));

    fprintf(f, "\nnetworks\n");
    for (int i = 0; i < m->n_networks; i++) {
        const gan_network *n = &m->networks[i];
        fprintf(f, "  %-8s %-13s params %llu", n->name, role_name(n->role),
                (unsigned long long)m->tensors[n->params].numel);
        fprintf(f, "%s", n->grads >= 0 ? "" : ", no grads");
        if (n->ema >= 0)
            fprintf(f, ", ema %g", (double)n->ema_decay);
        fprintf(f, ", adam lr %g beta1 %g beta2 %g eps %g\n", (double)n->lr, (double)n->beta1,
                (double)n->beta2, (double)n->eps);
    }

    fprintf(f, "\nprograms\n");
    uint64_t naive_total = 0;
    for (int p = 0; p < m->n_programs; p++) {
        const gan_program *g = &m->programs[p];
        naive_total += g->naive_floats;
        fprintf(f, "  %s: role %s, %d ops, network %s, %.3f GFLOP per run\n", g->name,
                gan_program_role_name(g->role), g->n_ops,
                g->network >= 0 ? m->networks[g->network].name : "-", g->flops / 1e9);
        fprintf(f, "    arena %.2f MiB planned vs %.2f MiB naive", mib(g->arena_floats),
                mib(g->naive_floats));
        if (g->naive_floats)
            fprintf(f, " (%.1f%%)", 100.0 * (double)g->arena_floats / (double)g->naive_floats);
        fprintf(f, "\n    inputs:");
        for (int j = 0; j < g->n_inputs; j++)
            fprintf(f, " %s(%s)", m->tensors[g->inputs[j]].name,
                    input_role_name(g->input_roles[j]));
        fprintf(f, "\n    outputs:");
        for (int j = 0; j < g->n_outputs; j++)
            fprintf(f, " %s", m->tensors[g->outputs[j]].name);
        fprintf(f, "\n    ops:");
        int count[GAN_OP_COUNT] = {0};
        for (int k = 0; k < g->n_ops; k++)
            count[g->ops[k].type]++;
        int col = 0;
        for (int t = 0; t < GAN_OP_COUNT; t++) {
            if (!count[t])
                continue;
            if (col && col % 6 == 0)
                fprintf(f, "\n        ");
            fprintf(f, " %s %d", gan_op_name(t), count[t]);
            col++;
        }
        fprintf(f, "\n");
    }
    if (naive_total)
        fprintf(f, "  arena region %.2f MiB for all programs vs %.2f MiB naive (%.1f%%)\n",
                mib(m->region_floats[GAN_REGION_ARENA]), mib(naive_total),
                100.0 * (double)m->region_floats[GAN_REGION_ARENA] / (double)naive_total);

    fprintf(f, "\nparameters and state\n");
    fprintf(f, "  %-32s %-6s %-16s %12s  %s\n", "name", "region", "shape", "numel", "init");
    uint64_t total = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        const gan_tensor *t = &m->tensors[i];
        if ((t->region != GAN_REGION_PARAM && t->region != GAN_REGION_STATE) ||
            (t->flags & GAN_TF_AGGREGATE))
            continue;
        char sh[64];
        shape_str(t, sh, sizeof sh);
        fprintf(f, "  %-32s %-6s %-16s %12llu  %s", t->name, rn[t->region], sh,
                (unsigned long long)t->numel, init_name(t->init));
        if (t->init == GAN_INIT_COPY)
            fprintf(f, "(%s)", m->tensors[t->init_src].name);
        else if (t->init_arg != 0.0f)
            fprintf(f, "(%g)", (double)t->init_arg);
        fprintf(f, "\n");
        if (t->region == GAN_REGION_PARAM)
            total += t->numel;
    }
    fprintf(f, "  trainable parameters: %llu\n", (unsigned long long)total);
}

/* Root-mean-square and largest magnitude of a tensor's values. */
static void stats(const float *d, uint64_t n, double *rms, double *maxabs)
{
    double s = 0, mx = 0;
    for (uint64_t i = 0; i < n; i++) {
        double a = fabs((double)d[i]);
        s += a * a;
        if (a > mx || a != a)
            mx = a;
    }
    *rms = n ? sqrt(s / (double)n) : 0.0;
    *maxabs = mx;
}

static int print_ckpt(const gan_model *m, const char *arg, FILE *f)
{
    char path[4096], err[1024];
    if (gan_ckpt_resolve(arg, path, sizeof path, err, sizeof err)) {
        fprintf(stderr, "ganrt info: %s\n", err);
        return 1;
    }
    float *base[GAN_REGION_COUNT] = {NULL, NULL, NULL, NULL};
    int rc = 0;
    for (int r = GAN_REGION_PARAM; r <= GAN_REGION_STATE; r++) {
        base[r] = calloc(m->region_floats[r] + 1, sizeof(float));
        if (!base[r]) {
            fprintf(stderr, "ganrt info: out of memory for region %d\n", r);
            rc = 1;
        }
    }
    gan_ckpt_info info;
    if (!rc && gan_ckpt_load(path, m, base, &info, err, sizeof err)) {
        fprintf(stderr, "ganrt info: %s\n", err);
        rc = 1;
    }
    if (!rc) {
        fprintf(f, "\ncheckpoint %s\n", path);
        fprintf(f, "  step %llu, data epoch %llu index %llu, seed %llu, model id %016llx\n",
                (unsigned long long)info.step, (unsigned long long)info.data_epoch,
                (unsigned long long)info.data_index, (unsigned long long)info.seed,
                (unsigned long long)info.model_id);
        for (int i = 0; i < m->n_networks; i++) {
            const gan_network *n = &m->networks[i];
            const gan_tensor *t = &m->tensors[n->params];
            double rms, mx;
            stats(base[t->region] + t->offset, t->numel, &rms, &mx);
            fprintf(f, "  %-8s params rms %.6g, max |w| %.6g", n->name, rms, mx);
            if (n->ema >= 0) {
                t = &m->tensors[n->ema];
                stats(base[t->region] + t->offset, t->numel, &rms, &mx);
                fprintf(f, "; ema rms %.6g", rms);
            }
            fprintf(f, "\n");
        }
    }
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        free(base[r]);
    return rc;
}

int ganrt_info_main(int argc, char **argv)
{
    const char *path = NULL, *ckpt = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--ckpt")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ganrt info: --ckpt needs a checkpoint file or run directory\n");
                return 2;
            }
            ckpt = argv[++i];
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ganrt info: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
        if (path) {
            fprintf(stderr, "ganrt info: one model file expected, got '%s' and '%s'\n", path,
                    argv[i]);
            return 2;
        }
        path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "ganrt info: missing MODEL.bin\n");
        usage(stderr);
        return 2;
    }
    char err[1024];
    gan_model *m = gan_model_load(path, err, sizeof err);
    if (!m) {
        /* a checkpoint given where the model belongs: say what to do instead */
        /* O_NONBLOCK and a regular file only: a FIFO here would block the open for ever */
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        char magic[8] = {0};
        struct stat st;
        if (fd >= 0) {
            ssize_t got = fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
                              ? read(fd, magic, sizeof magic) : -1;
            close(fd);
            if (got == (ssize_t)sizeof magic && !memcmp(magic, GAN_CKPT_MAGIC, sizeof magic)) {
                fprintf(stderr, "ganrt info: %s is a checkpoint; a checkpoint is read against "
                                "its model: ganrt info MODEL.bin --ckpt %s\n", path, path);
                return 2;
            }
        }
        fprintf(stderr, "ganrt info: %s\n", err);
        return 1;
    }
    cli_info_print(m, path, stdout);
    int rc = ckpt ? print_ckpt(m, ckpt, stdout) : 0;
    gan_model_free(m);
    return rc;
}
