/* ganrt train: the training loop around a gan_session. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "format/model.h"
#include "runtime/train.h"
#include "runtime/train/args.h"
#include "runtime/data.h"

/* The one piece of process-wide state: a signal can only reach the loop through a global.
 * SIGINT/SIGTERM make the loop stop after the current step and write a checkpoint. */
static volatile sig_atomic_t g_stop_signal;
static void on_signal(int sig) { g_stop_signal = sig; }

static const char train_help[] =
    "Usage: ganrt train MODEL.bin --data DIR --out RUN [options]\n"
    "\n"
    "Trains a compiled model. A GAN step is hyper.d_steps runs of d_step (each on a fresh\n"
    "batch) and one g_step (labels from a fresh batch, z fresh from the RNG); a classifier\n"
    "step is one train_step.\n"
    "\n"
    "  --data DIR          CelebA layout: DIR/img_align_celeba/*.jpg + DIR/list_attr_celeba.txt\n"
    "  --out RUN           run directory: RUN/metrics.csv, RUN/samples/, RUN/ckpt/\n"
    "  --steps N           train until step N (default: the model's steps)\n"
    "  --epochs E          or E passes over the data: N = ceil(E * images / images per step)\n"
    "  --seed S            seed of initialisation, data order and z (default 1)\n"
    "  --threads T         compute threads (default: online CPUs); results are bit-exact for\n"
    "                      a given T\n"
    "  --resume            continue RUN from its latest checkpoint (exactly: same RNG, data\n"
    "                      position and state); --steps is then the total to reach\n"
    "  --init CKPT         start from the weights in CKPT (tensors matched by name and shape)\n"
    "  --limit N           use only the first N images\n"
    "  --sample-every N    write RUN/samples/step_NNNNNN.png every N steps (0: only at the end)\n"
    "  --ckpt-every N      write RUN/ckpt/step_NNNNNN.ckpt every N steps (and at the end)\n"
    "  --keep K            keep the newest K checkpoints (default 3)\n"
    "  --help              this text\n"
    "\n"
    "Exit status: 0 done, 1 failure (bad model, data or checkpoint; NaN/Inf in a loss or\n"
    "gradient), 2 usage error, 130 interrupted (a checkpoint was written).\n";

typedef struct {
    const char *model, *data, *out, *init;
    long long steps, epochs, threads, limit, sample_every, ckpt_every, keep;
    uint64_t seed;
    int seed_given, resume;
} train_opts;

static int parse(int argc, char **argv, train_opts *o, int *help)
{
    gan_args a;
    gan_args_init(&a, "ganrt train", argc, argv);
    memset(o, 0, sizeof *o);
    o->steps = o->epochs = o->threads = o->limit = o->sample_every = o->ckpt_every = -1;
    o->keep = 3;
    o->seed = 1;
    int k;
    while ((k = gan_args_next(&a))) {
        if (k == 2) {
            if (o->model)
                return gan_usage_error(&a, "unexpected argument '%s'", a.value);
            o->model = a.value;
            continue;
        }
        const char *op = a.opt;
        int r = 0;
        if (!strcmp(op, "--help") || !strcmp(op, "-h")) {
            *help = 1;
            return 0;
        } else if (!strcmp(op, "--data")) r = gan_args_str(&a, &o->data);
        else if (!strcmp(op, "--out") || !strcmp(op, "-o")) r = gan_args_str(&a, &o->out);
        else if (!strcmp(op, "--init")) r = gan_args_str(&a, &o->init);
        else if (!strcmp(op, "--steps")) r = gan_args_ll(&a, 1, (long long)1e12, &o->steps);
        else if (!strcmp(op, "--epochs")) r = gan_args_ll(&a, 1, 1000000, &o->epochs);
        else if (!strcmp(op, "--threads")) r = gan_args_ll(&a, 1, 1024, &o->threads);
        else if (!strcmp(op, "--limit")) r = gan_args_ll(&a, 1, (long long)1e10, &o->limit);
        else if (!strcmp(op, "--sample-every")) r = gan_args_ll(&a, 0, (long long)1e12, &o->sample_every);
        else if (!strcmp(op, "--ckpt-every")) r = gan_args_ll(&a, 1, (long long)1e12, &o->ckpt_every);
        else if (!strcmp(op, "--keep")) r = gan_args_ll(&a, 1, 1000000, &o->keep);
        else if (!strcmp(op, "--seed")) {
            r = gan_args_u64(&a, &o->seed);
            o->seed_given = 1;
        } else if (!strcmp(op, "--resume")) o->resume = 1;
        else
            return gan_usage_error(&a, "unknown option %s", op);
        if (r)
            return 2;
    }
    if (!o->model)
        return gan_usage_error(&a, "missing MODEL.bin");
    if (!o->data)
        return gan_usage_error(&a, "missing --data DIR");
    if (!o->out)
        return gan_usage_error(&a, "missing --out RUN");
    if (o->steps > 0 && o->epochs > 0)
        return gan_usage_error(&a, "give --steps or --epochs, not both");
    if (o->resume && o->init)
        return gan_usage_error(&a, "--resume and --init exclude each other");
    return 0;
}

/* The fixed sample grid: the same z down each column; rows switch single attributes on/off
 * (multilabel), one class per row (categorical), or just more z (no labels). */
typedef struct {
    int rows, cols, n;
    float *z, *labels;
    char (*label_buf)[96];
    const char **row_labels;
} sample_grid;

static void grid_free(sample_grid *g)
{
    free(g->z);
    free(g->labels);
    free(g->label_buf);
    free(g->row_labels);
}

static int grid_make(const gan_model *m, uint64_t seed, sample_grid *g)
{
    const gan_hyper *h = &m->hyper;
    int L = h->n_labels;
    memset(g, 0, sizeof *g);
    if (h->label_kind == GAN_LABELS_MULTI && L > 0)
        g->rows = 2 * L < 16 ? 2 * L : 16;
    else if (h->label_kind == GAN_LABELS_CATEGORICAL && L > 0)
        g->rows = L < 16 ? L : 16;
    else
        g->rows = 4;
    /* 4..8 columns, as many as fit in one run of the sample program (it runs at the model's
     * batch: a 16 x 8 grid at batch 100 would cost two runs, the second mostly padding) */
    g->cols = h->batch / g->rows;
    if (g->cols > 8)
        g->cols = 8;
    if (g->cols < 4)
        g->cols = 4;
    g->n = g->rows * g->cols;
    g->z = calloc((size_t)g->n * (h->latent_size > 0 ? h->latent_size : 1), sizeof(float));
    g->labels = calloc((size_t)g->n * (L > 0 ? L : 1), sizeof(float));
    g->label_buf = calloc((size_t)g->rows, sizeof *g->label_buf);
    g->row_labels = calloc((size_t)g->rows, sizeof *g->row_labels);
    if (!g->z || !g->labels || !g->label_buf || !g->row_labels)
        return -1;
    /* drawn from the seed alone, so a resumed run shows the same faces */
    gan_rng r;
    gan_rng_seed(&r, gan_mix64(seed ^ 0x53414D504C45ull)); /* "SAMPLE" */
    float *col_z = calloc((size_t)g->cols * (h->latent_size > 0 ? h->latent_size : 1), sizeof(float));
    if (!col_z)
        return -1;
    if (h->latent_size > 0)
        gan_draw_latent(m, &r, col_z, g->cols);
    for (int row = 0; row < g->rows; row++) {
        for (int c = 0; c < g->cols; c++) {
            int i = row * g->cols + c;
            if (h->latent_size > 0)
                memcpy(g->z + (size_t)i * h->latent_size, col_z + (size_t)c * h->latent_size,
                       sizeof(float) * h->latent_size);
            if (h->label_kind == GAN_LABELS_MULTI && L > 0)
                g->labels[(size_t)i * L + (row / 2) % L] = (float)(row % 2);
            else if (h->label_kind == GAN_LABELS_CATEGORICAL && L > 0)
                g->labels[(size_t)i * L + row % L] = 1.0f;
        }
        if (h->label_kind == GAN_LABELS_MULTI && L > 0)
            snprintf(g->label_buf[row], sizeof g->label_buf[row], "%s=%d",
                     h->label_names[(row / 2) % L], row % 2);
        else if (h->label_kind == GAN_LABELS_CATEGORICAL && L > 0)
            snprintf(g->label_buf[row], sizeof g->label_buf[row], "%s", h->label_names[row % L]);
        else
            g->label_buf[row][0] = 0;
        g->row_labels[row] = g->label_buf[row];
    }
    free(col_z);
    return 0;
}

static int write_grid(gan_session *s, const gan_model *m, const sample_grid *g, float *img,
                      const char *run, long long step, char *err, size_t errlen)
{
    const gan_hyper *h = &m->hyper;
    if (gan_session_sample(s, g->n, g->z, h->n_labels > 0 ? g->labels : NULL, img, 1, err, errlen))
        return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/samples/step_%06lld.png", run, step);
    int labelled = h->label_kind != GAN_LABELS_NONE && h->n_labels > 0;
    return gan_write_grid_png(path, img, g->n, h->image_c, h->image_h, h->image_w, h->range_lo,
                              h->range_hi, g->cols, labelled ? g->row_labels : NULL, err, errlen);
}

static int cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 1024 ? (int)n : 1;
}

int ganrt_train_main(int argc, char **argv)
{
    train_opts o;
    int help = 0;
    int rc = parse(argc, argv, &o, &help);
    if (rc)
        return rc;
    if (help) {
        fputs(train_help, stdout);
        return 0;
    }
    /* installed before anything slow: a signal that arrives while the model or data load
     * stops the run after its first step, with a checkpoint, instead of killing it */
    g_stop_signal = 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills at once */
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    char err[1024];
    gan_model *m = gan_model_load(o.model, err, sizeof err);
    if (!m) {
        fprintf(stderr, "ganrt train: %s\n", err);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        return 1;
    }
    gan_session *s = NULL;
    gan_loader *l = NULL;
    gan_metrics *mt = NULL;
    sample_grid grid;
    memset(&grid, 0, sizeof grid);
    float *grid_img = NULL;
    double *losses = NULL, *summary = NULL;
    char last_ckpt[4400] = "";
    long long last_ckpt_step = -1;
    rc = 1;
    const gan_hyper *h = &m->hyper;

    gan_ckpt_info ck;
    memset(&ck, 0, sizeof ck);
    char ckpath[4400];
    if (o.resume) {
        if (gan_ckpt_resolve(o.out, ckpath, sizeof ckpath, err, sizeof err))
            goto fail;
    } else {
        char lp[4400];
        snprintf(lp, sizeof lp, "%s/ckpt/latest", o.out);
        if (access(lp, F_OK) == 0) {
            fprintf(stderr, "ganrt train: %s already holds a run (%s); continue it with "
                    "--resume or choose another --out\n", o.out, lp);
            err[0] = 0;
            goto fail;
        }
    }
    gan_session_opts so = {(int)(o.threads > 0 ? o.threads : cpu_count()), o.seed};
    s = gan_session_create(m, &so, err, sizeof err);
    if (!s)
        goto fail;
    if (gan_session_kind(s) == GAN_TRAIN_NONE) {
        snprintf(err, sizeof err, "%s: the model has no training program (d_step + g_step or "
                 "train_step)", o.model);
        goto fail;
    }
    if (o.resume) {
        if (gan_ckpt_load(ckpath, m, gan_session_base(s), &ck, err, sizeof err))
            goto fail;
        /* a resumed run keeps the seed it started with: the data order and the sample z
         * derive from it (the session's own seed only drives initialisation, not used here) */
        if (o.seed_given && o.seed != ck.seed)
            fprintf(stderr, "ganrt train: note: --seed %llu ignored; the run was started with "
                    "seed %llu\n", (unsigned long long)o.seed, (unsigned long long)ck.seed);
        so.seed = ck.seed;
        *gan_session_rng(s) = ck.rng;
        snprintf(last_ckpt, sizeof last_ckpt, "%s", ckpath);
        last_ckpt_step = (long long)ck.step;
    } else {
        if (gan_session_init_params(s, err, sizeof err))
            goto fail;
        if (o.init) {
            int n = 0;
            if (gan_ckpt_load_matching(o.init, m, gan_session_base(s), stderr, &n, err, sizeof err))
                goto fail;
            if (n == 0)
                fprintf(stderr, "ganrt train: warning: no tensor of %s matches this model\n",
                        o.init);
        }
    }
    gan_loader_opts lo = {
        .dir = o.data, .c = h->image_c, .h = h->image_h, .w = h->image_w, .lo = h->range_lo,
        .hi = h->range_hi, .label_kind = h->label_kind, .n_labels = h->n_labels,
        .label_names = (const char(*)[64])h->label_names, .batch = h->batch, .seed = so.seed,
        .limit = o.limit > 0 ? (int)o.limit : 0};
    l = gan_loader_open(&lo, err, sizeof err);
    if (!l)
        goto fail;
    if (o.resume && gan_loader_seek(l, ck.data_epoch, ck.data_index, err, sizeof err))
        goto fail;
    gan_session_set_loader(s, l);

    /* the budget */
    long long total = o.steps;
    int ips = gan_session_images_per_step(s);
    long long epochs = o.epochs > 0 ? o.epochs : (total > 0 ? 0 : h->epochs);
    if (total <= 0 && o.epochs <= 0 && h->steps > 0)
        total = h->steps, epochs = 0;
    if (total <= 0 && epochs > 0) {
        double per = ips > 0 ? ips : h->batch;
        total = (long long)ceil((double)epochs * (double)gan_loader_size(l) / per);
        if (total < 1)
            total = 1;
    }
    if (total <= 0) {
        snprintf(err, sizeof err, "the model sets no steps or epochs: give --steps or --epochs");
        fprintf(stderr, "ganrt train: %s\nTry 'ganrt train --help'.\n", err);
        rc = 2;
        goto out;
    }
    long long first = o.resume ? (long long)ck.step : 0;
    long long sample_every = o.sample_every >= 0 ? o.sample_every
                             : h->sample_every > 0 ? h->sample_every : 500;
    long long ckpt_every = o.ckpt_every > 0 ? o.ckpt_every : h->ckpt_every > 0 ? h->ckpt_every : 1000;

    char dir[4200];
    if (gan_mkdirs(o.out, err, sizeof err))
        goto fail;
    int can_sample = gan_model_find_role(m, GAN_PROG_SAMPLE) >= 0;
    if (can_sample) {
        snprintf(dir, sizeof dir, "%s/samples", o.out);
        if (gan_mkdirs(dir, err, sizeof err))
            goto fail;
        if (grid_make(m, so.seed, &grid))
            goto oom;
        grid_img = malloc(sizeof(float) * (size_t)grid.n * h->image_c * h->image_h * h->image_w);
        if (!grid_img)
            goto oom;
    }
    int nl = gan_session_n_losses(s), ns = gan_session_n_summary(s);
    losses = calloc((size_t)nl + 1, sizeof *losses);
    summary = calloc((size_t)ns + 1, sizeof *summary);
    if (!losses || !summary)
        goto oom;
    snprintf(dir, sizeof dir, "%s/metrics.csv", o.out);
    mt = gan_metrics_open(dir, nl, gan_session_loss_names(s), first, err, sizeof err);
    if (!mt)
        goto fail;

    fprintf(stderr, "ganrt train: %s, %zu images, batch %d, steps %lld..%lld, %d threads, seed "
            "%llu%s\n", o.model, gan_loader_size(l), h->batch, first + 1, total, so.threads,
            (unsigned long long)so.seed, o.resume ? " (resumed)" : "");
    if (first >= total) {
        fprintf(stderr, "ganrt train: already at step %lld of %lld; nothing to do\n", first, total);
        rc = 0;
        goto out;
    }

    gan_progress pg;
    gan_progress_init(&pg, stderr, isatty(fileno(stderr)), first, total);
    double t_start = gan_now(), t_prev = t_start, time_base = gan_metrics_last_time(mt);
    long long step = first;
    int interrupted = 0;
    const int *scol = gan_session_summary_cols(s);
    while (step < total) {
        long long cur = step + 1;
        int r = gan_session_step(s, cur, losses, err, sizeof err);
        if (r) {
            gan_progress_end(&pg);
            if (r == 1) {
                fprintf(stderr, "ganrt train: error: %s; training stopped.\n", err);
                if (last_ckpt[0])
                    fprintf(stderr, "ganrt train: the last good checkpoint is %s (step %lld); "
                            "nothing was saved after it\n", last_ckpt, last_ckpt_step);
                else
                    fprintf(stderr, "ganrt train: no checkpoint was written in this run\n");
                err[0] = 0;
            }
            goto fail;
        }
        step = cur;
        double now = gan_now(), dt = now - t_prev;
        t_prev = now;
        double rate = dt > 0 ? ips / dt : 0;
        double avg_rate = now > t_start ? (double)(step - first) * ips / (now - t_start) : 0;
        gan_metrics_row(mt, step, time_base + (now - t_start), losses, rate);
        for (int i = 0; i < ns; i++)
            summary[i] = losses[scol[i]];
        int last = step == total || g_stop_signal;
        gan_progress_update(&pg, step, ns, gan_session_summary_names(s), summary, avg_rate, last);
        if (can_sample && ((sample_every > 0 && step % sample_every == 0) || last)) {
            if (write_grid(s, m, &grid, grid_img, o.out, step, err, sizeof err)) {
                gan_progress_end(&pg);
                fprintf(stderr, "ganrt train: warning: sample grid at step %lld: %s\n", step, err);
            }
        }
        if (step % ckpt_every == 0 || last) {
            gan_ckpt_info info;
            memset(&info, 0, sizeof info);
            info.step = (uint64_t)step;
            gan_loader_tell(l, &info.data_epoch, &info.data_index);
            info.seed = so.seed;
            info.rng = *gan_session_rng(s);
            if (gan_ckpt_save_run(o.out, (int)o.keep, m, gan_session_base(s), &info, last_ckpt,
                                  sizeof last_ckpt, err, sizeof err)) {
                gan_progress_end(&pg);
                goto fail;
            }
            last_ckpt_step = step;
        }
        if (g_stop_signal) {
            interrupted = 1;
            break;
        }
    }
    gan_progress_end(&pg);
    size_t bad = gan_loader_bad_count(l);
    if (bad)
        fprintf(stderr, "ganrt train: warning: %zu unreadable images were skipped\n", bad);
    if (interrupted) {
        fprintf(stderr, "ganrt train: interrupted at step %lld; checkpoint %s written; continue "
                "with --resume\n", step, last_ckpt);
        rc = 130;
    } else {
        fprintf(stderr, "ganrt train: done: step %lld, checkpoint %s\n", step, last_ckpt);
        rc = 0;
    }
    goto out;
oom:
    snprintf(err, sizeof err, "out of memory");
fail:
    if (err[0])
        fprintf(stderr, "ganrt train: %s\n", err);
    rc = 1;
out:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    gan_metrics_close(mt);
    grid_free(&grid);
    free(grid_img);
    free(losses);
    free(summary);
    if (l)
        gan_loader_close(l);
    gan_session_free(s);
    gan_model_free(m);
    return rc;
}
