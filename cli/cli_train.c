/* ganrt train: the training loop around a gan_session. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/err.h"
#include "format/model.h"
#include "runtime/train.h"
#include "runtime/train/args.h"
#include "runtime/data.h"
#include "runtime/train/dist.h"
#include "cli/cli_train_eval.h"
#include "cli/cli_train_grid.h"

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
    "  --data DIR          the images, in one of four layouts (docs/data.md):\n"
    "                      CelebA: DIR/img_align_celeba/*.jpg + DIR/list_attr_celeba.txt;\n"
    "                      a label file: DIR/labels.csv (or .tsv, .txt) with a header of\n"
    "                      column names (file,Cat,Dog), values 0/1 or -1/1, images beside it;\n"
    "                      class folders: DIR/cat/*.jpg, DIR/dog/*.png (labels one_of [..]);\n"
    "                      a plain folder: every JPEG/PNG under DIR (a model with no labels).\n"
    "                      Labels are looked up by name; images of any size are cropped to a\n"
    "                      square (CelebA: the face crop, else the centre) and resized\n"
    "  --out RUN           run directory: RUN/metrics.csv, RUN/samples/, RUN/ckpt/\n"
    "  --steps N           train until step N (default: the model's steps)\n"
    "  --epochs E          or E passes over the data: N = ceil(E * images / images per step)\n"
    "  --minutes M         or stop after M minutes of training (evaluations not counted),\n"
    "                      with a checkpoint and a sample grid; --resume continues it\n"
    "  --seed S            seed of initialisation, data order and z (default 1)\n"
    "  --threads T         compute threads (default: online CPUs); results are bit-exact for\n"
    "                      a given T\n"
    "  --precision P       fp32 (default) or bf16: the conv and dense GEMMs take inputs\n"
    "                      rounded to bfloat16 and accumulate in fp32 (AMX tiles, else\n"
    "                      AVX512-BF16 where the CPU has them, else a slower portable\n"
    "                      emulation; GANRT_BF16_KERNEL=amx|avx512|portable picks one;\n"
    "                      the line at start says which); weights, optimizer and losses\n"
    "                      stay fp32. Resume a run with the precision it was trained in\n"
    "                      (bit-exact for a given precision and bf16 kernel)\n"
    "  --resume            continue RUN from its latest checkpoint (exactly: same RNG, data\n"
    "                      position and state); --steps is then the total to reach\n"
    "  --init CKPT|RUN     start from the weights in CKPT, or a run's newest checkpoint\n"
    "                      (tensors matched by name and shape; an optimizer's state only\n"
    "                      whole; an EMA the file lacks follows the weights)\n"
    "  --limit N           use only the first N images\n"
    "  --holdout N         never train on the last N images (file order) of --data; 0: hold\n"
    "                      none out. Default: DIR/list_eval_partition.txt's validation and\n"
    "                      test parts when present, else none. Recorded in RUN/split.txt\n"
    "  --sample-every N    write RUN/samples/step_NNNNNN.png every N steps (0: only at the end)\n"
    "  --ckpt-every N      write RUN/ckpt/step_NNNNNN.ckpt every N steps (and at the end)\n"
    "  --keep K            keep the newest K checkpoints (default 3)\n"
    "  --ckpt-initial      also write the state before the first step (step_000000.ckpt;\n"
    "                      the same file as 'ganrt init MODEL.bin --seed S -o FILE')\n"
    "  --metrics-per-program  one metrics.csv row per program run (step,run,program,...)\n"
    "                      instead of one per step\n"
    "  --dump-inputs DIR   write what every program run reads as .npy files:\n"
    "                      DIR/step_NNNNNN/runR_PROGRAM/{image,labels,z,ids,state}.npy\n"
    "  --inputs-from DIR   replay such a dump instead of reading data and drawing z (no\n"
    "                      --data needed; the steps to run must be in DIR)\n"
    "  --profile           at the end, print where the training programs' time went: per op\n"
    "                      kind and per layer, forward and backward (also RUN/profile.txt)\n"
    "  --eval-every N      every N steps and after the last, judge the generator as 'ganrt\n"
    "                      eval' does and add the figures to metrics.csv (eval_bal_acc,\n"
    "                      eval_acc, eval_control, eval_frechet, eval_diversity and\n"
    "                      eval_bal_<attribute>; empty between evaluations). With:\n"
    "    --eval-classifier CLF.bin  --eval-classifier-ckpt CLF_RUN  (a trained classifier)\n"
    "    --eval-real DIR   held-out real faces (default: --data; the split: --holdout, else\n"
    "                      the classifier run's)\n"
    "    --eval-n N        generated faces per evaluation (default 500)\n"
    "    --eval-pairs P    same-z pairs per attribute for eval_control (default 25)\n"
    "  --sync-bn           under mpirun: average batch norms' running statistics over the\n"
    "                      ranks after every step (default: each rank keeps its own)\n"
    "  --help              this text\n"
    "\n"
    "Reproducing a run, step by step: docs/reproducibility.md.\n"
    "Under 'mpirun -np N' (a build with MPI=1) each rank trains on its share of a global\n"
    "batch of N x the model's batch; rank 0 writes RUN: docs/distributed.md.\n"
    "\n"
    "Exit status: 0 done, 1 failure (bad model, data or checkpoint; NaN/Inf in a loss or\n"
    "gradient; RUN in use by another training; a full disk), 2 usage error, 130 / 143\n"
    "interrupted by SIGINT / SIGTERM (a checkpoint was written).\n"
    "One training at a time may write to RUN (RUN/lock); a run killed by any means can be\n"
    "resumed from its last checkpoint, which is never left half-written.\n";

typedef struct {
    const char *model, *data, *out, *init, *dump_inputs, *inputs_from, *precision;
    long long steps, epochs, threads, limit, sample_every, ckpt_every, keep;
    long long holdout; /* gan_loader_opts.holdout: > 0 last N, 0 partition file, < 0 none */
    double minutes;          /* --minutes: 0 none */
    uint64_t seed;
    int seed_given, resume, ckpt_initial, per_program, profile, sync_bn;
    int argc;                /* the command, for RUN/report.html */
    char **argv;
    train_eval_opts ev;      /* --eval-every and its companions */
} train_opts;

static int parse(int argc, char **argv, train_opts *o, int *help)
{
    gan_args a;
    gan_args_init(&a, "ganrt train", argc, argv);
    memset(o, 0, sizeof *o);
    o->argc = argc;
    o->argv = argv;
    o->steps = o->epochs = o->threads = o->limit = o->sample_every = o->ckpt_every = -1;
    o->keep = 3;
    o->seed = 1;
    train_eval_defaults(&o->ev);
    int k;
    while ((k = gan_args_next(&a))) {
        if (k == 2) {
            if (o->model)
                return gan_usage_error(&a, "unexpected argument '%s'", a.value);
            o->model = a.value;
            continue;
        }
        const char *op = a.opt;
        int r = train_eval_parse_opt(&a, &o->ev);
        if (r == 2)
            return 2;
        if (r)
            continue;
        if (!strcmp(op, "--help") || !strcmp(op, "-h")) {
            *help = 1;
            return 0;
        } else if (!strcmp(op, "--data")) r = gan_args_str(&a, &o->data);
        else if (!strcmp(op, "--out") || !strcmp(op, "-o")) r = gan_args_str(&a, &o->out);
        else if (!strcmp(op, "--init")) r = gan_args_str(&a, &o->init);
        else if (!strcmp(op, "--steps")) r = gan_args_ll(&a, 1, (long long)1e12, &o->steps);
        else if (!strcmp(op, "--epochs")) r = gan_args_ll(&a, 1, 1000000, &o->epochs);
        else if (!strcmp(op, "--minutes")) r = gan_args_double(&a, 1e-3, 1e7, &o->minutes);
        else if (!strcmp(op, "--threads")) r = gan_args_ll(&a, 1, 1024, &o->threads);
        else if (!strcmp(op, "--limit")) r = gan_args_ll(&a, 1, (long long)1e10, &o->limit);
        else if (!strcmp(op, "--holdout")) {
            r = gan_args_ll(&a, 0, (long long)1e10, &o->holdout);
            if (!r && o->holdout == 0)
                o->holdout = -1;
        }
        else if (!strcmp(op, "--sample-every")) r = gan_args_ll(&a, 0, (long long)1e12, &o->sample_every);
        else if (!strcmp(op, "--ckpt-every")) r = gan_args_ll(&a, 1, (long long)1e12, &o->ckpt_every);
        else if (!strcmp(op, "--keep")) r = gan_args_ll(&a, 1, 1000000, &o->keep);
        else if (!strcmp(op, "--seed")) {
            r = gan_args_u64(&a, &o->seed);
            o->seed_given = 1;
        } else if (!strcmp(op, "--resume")) o->resume = 1;
        else if (!strcmp(op, "--ckpt-initial")) o->ckpt_initial = 1;
        else if (!strcmp(op, "--metrics-per-program")) o->per_program = 1;
        else if (!strcmp(op, "--profile")) o->profile = 1;
        else if (!strcmp(op, "--sync-bn")) o->sync_bn = 1;
        else if (!strcmp(op, "--dump-inputs")) r = gan_args_str(&a, &o->dump_inputs);
        else if (!strcmp(op, "--inputs-from")) r = gan_args_str(&a, &o->inputs_from);
        else if (!strcmp(op, "--precision")) {
            char why[256];
            if (!(r = gan_args_str(&a, &o->precision)) &&
                cli_precision_set(o->precision, why, sizeof why))
                return gan_usage_error(&a, "%s", why);
        }
        else
            return gan_usage_error(&a, "unknown option %s", op);
        if (r)
            return 2;
    }
    if (!o->model)
        return gan_usage_error(&a, "missing MODEL.bin");
    if (!o->data && !o->inputs_from)
        return gan_usage_error(&a, "missing --data DIR");
    if (o->data && o->inputs_from)
        return gan_usage_error(&a, "--inputs-from replays recorded batches: it takes no --data");
    if (o->dump_inputs && o->inputs_from)
        return gan_usage_error(&a, "--dump-inputs and --inputs-from exclude each other");
    if (o->inputs_from && o->epochs > 0)
        return gan_usage_error(&a, "--inputs-from has no data to count epochs over: give --steps");
    if (!o->out)
        return gan_usage_error(&a, "missing --out RUN");
    /* "--out r/" names r: its files are r/ckpt/..., never r//ckpt/... (argv is ours to cut) */
    for (size_t n = strlen(o->out); n > 1 && o->out[n - 1] == '/'; n--)
        ((char *)o->out)[n - 1] = 0;
    if (o->steps > 0 && o->epochs > 0)
        return gan_usage_error(&a, "give --steps or --epochs, not both");
    if (o->resume && o->init)
        return gan_usage_error(&a, "--resume and --init exclude each other");
    if (o->ev.every && o->per_program)
        return gan_usage_error(&a, "--eval-every writes per-step rows; it does not go with "
                               "--metrics-per-program");
    if (o->ev.every && o->inputs_from)
        return gan_usage_error(&a, "--eval-every needs real faces; --inputs-from has none");
    return train_eval_check(&a, &o->ev);
}

/* One run while it trains: what it opened, how far it goes, and its last checkpoint. */
typedef struct {
    gan_model *m;
    gan_session *s;
    gan_session_opts so;     /* so.seed: the run's seed (a resumed run keeps its own) */
    gan_loader *l;
    gan_metrics *mt;
    train_eval *ev;          /* --eval-every (NULL: not asked, or not rank 0) */
    int n_losses;            /* the losses' columns; the evaluation's follow them */
    gan_ckpt_info ck;        /* the checkpoint resumed from */
    sample_grid grid;
    float *grid_img;
    int can_sample, ips, ns; /* ips: images per step; ns: losses in the progress line */
    double *losses, *summary;
    long long first, total, step, sample_every, ckpt_every;
    char last_ckpt[4400];
    long long last_ckpt_step;
    int lock_fd;             /* RUN/lock, held while the run writes (-1: not taken) */
    gan_profile *prof;       /* --profile: the ops' times (NULL: not asked) */
    double prof_t0;
    const train_opts *o;
    uint64_t pos_epoch, pos_index; /* without a loader (--inputs-from): the data position */
    double t_start, time_base, t_run;   /* clocks of the per-program metrics rows */
    gan_dist *dist;          /* one rank of an MPI job (NULL: the single process) */
    int rank0;               /* this process writes RUN (the single process, or rank 0) */
    double *xbuf;            /* the losses' exchange buffer */
    int timeup;              /* --minutes ended the loop */
} train_run;

static void run_free(train_run *t)
{
    gan_metrics_close(t->mt);
    train_eval_close(t->ev); /* before the model it judges */
    grid_free(&t->grid);
    free(t->grid_img);
    free(t->losses);
    free(t->summary);
    free(t->xbuf);
    if (t->l)
        gan_loader_close(t->l);
    gan_session_free(t->s);
    gan_profile_free(t->prof); /* before the model it was made for */
    gan_model_free(t->m);
    gan_run_unlock(t->lock_fd);
}

/* --profile: the table on stdout and in RUN/profile.txt (best effort: the run is done). */
static void report_profile(const train_run *t, const train_opts *o)
{
    gan_profile_report(t->prof, stdout, t->step - t->first, gan_now() - t->prof_t0);
    char p[4400];
    snprintf(p, sizeof p, "%s/profile.txt", o->out);
    FILE *f = fopen(p, "w");
    if (f) {
        gan_profile_report(t->prof, f, t->step - t->first, gan_now() - t->prof_t0);
        fclose(f);
    }
}

/* Installed before anything slow: a signal that arrives while the model or data load stops
 * the run after its first step, with a checkpoint, instead of killing it. */
static void catch_signals(struct sigaction *old_int, struct sigaction *old_term)
{
    g_stop_signal = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills at once */
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

/* Without --resume, --out must not hold a run yet; with it, ckpath gets the run's newest
 * checkpoint. 0, or 1 failure (err empty when the message is printed already). */
static int check_out(const train_opts *o, char *ckpath, size_t cklen, char *err, size_t errlen)
{
    if (o->resume)
        return gan_ckpt_resolve(o->out, ckpath, cklen, err, errlen) ? 1 : 0;
    char lp[4400];
    snprintf(lp, sizeof lp, "%s/ckpt/latest", o->out);
    if (access(lp, F_OK) == 0) {
        fprintf(stderr, "ganrt train: %s already holds a run (%s); continue it with "
                "--resume or choose another --out\n", o->out, lp);
        err[0] = 0;
        return 1;
    }
    return 0;
}

/* The weights and RNG to start from: the resumed checkpoint's, or fresh (maybe --init's). */
static int start_state(train_run *t, const train_opts *o, const char *ckpath, char *err,
                       size_t errlen)
{
    if (o->resume) {
        if (gan_ckpt_load(ckpath, t->m, gan_session_base(t->s), &t->ck, err, errlen))
            return 1;
        /* a resumed run keeps the seed it started with: the data order and the sample z
         * derive from it (the session's own seed only drives initialisation, not used here) */
        if (o->seed_given && o->seed != t->ck.seed)
            fprintf(stderr, "ganrt train: note: --seed %llu ignored; the run was started with "
                    "seed %llu\n", (unsigned long long)o->seed, (unsigned long long)t->ck.seed);
        t->so.seed = t->ck.seed;
        *gan_session_rng(t->s) = t->ck.rng;
        snprintf(t->last_ckpt, sizeof t->last_ckpt, "%s", ckpath);
        t->last_ckpt_step = (long long)t->ck.step;
        return 0;
    }
    if (gan_session_init_params(t->s, err, errlen))
        return 1;
    if (o->init) {
        int n = 0;
        char ip[4400]; /* a run directory, as --ckpt takes it: its newest checkpoint */
        if (gan_ckpt_resolve(o->init, ip, sizeof ip, err, errlen) ||
            gan_ckpt_load_matching(ip, t->m, gan_session_base(t->s), stderr, &n, err, errlen))
            return 1;
        if (n == 0)
            fprintf(stderr, "ganrt train: warning: no tensor of %s matches this model\n",
                    o->init);
    }
    return 0;
}

/* The data, at the resumed run's position. */
static int open_data(train_run *t, const train_opts *o, char *err, size_t errlen)
{
    const gan_hyper *h = &t->m->hyper;
    if (o->inputs_from) {
        /* replayed batches: the position only travels from checkpoint to checkpoint */
        t->pos_epoch = o->resume ? t->ck.data_epoch : 0;
        t->pos_index = o->resume ? t->ck.data_index : 0;
        return 0;
    }
    gan_loader_opts lo = {
        .dir = o->data, .c = h->image_c, .h = h->image_h, .w = h->image_w, .lo = h->range_lo,
        .hi = h->range_hi, .label_kind = h->label_kind, .n_labels = h->n_labels,
        .label_names = (const char(*)[64])h->label_names,
        .batch = h->batch * gan_dist_size(t->dist), /* the global batch (distributed.md) */
        .seed = t->so.seed, .limit = o->limit > 0 ? (int)o->limit : 0, .split = GAN_SPLIT_TRAIN,
        .holdout = o->holdout};
    /* a resumed run keeps the split it started with (the data position depends on it) */
    char sp[4200];
    snprintf(sp, sizeof sp, "%s/split.txt", o->out);
    long long kept;
    if (o->resume && access(sp, F_OK) == 0) {
        if (gan_split_read(sp, &kept, err, errlen))
            return 1;
        if (o->holdout != 0 && o->holdout != kept) {
            snprintf(err, errlen, "%.400s: the run was started with another split (%.450s); "
                     "resume it without --holdout", o->out, sp);
            return 1;
        }
        lo.holdout = kept;
    }
    t->l = gan_loader_open(&lo, err, errlen);
    if (!t->l)
        return 1;
    gan_split_info si;
    gan_loader_split_info(t->l, &si);
    if (gan_mkdirs(o->out, err, errlen) ||
        cli_train_data_identity(o->out, o->data, si.n_rows, o->resume, err, errlen) ||
        gan_split_write(sp, &si, err, errlen))
        return 1;
    if (si.n_heldout)
        fprintf(stderr, "ganrt train: holding out %zu of %zu images (%s..%s; %s)\n",
                si.n_heldout, si.n_rows, si.first, si.last, sp);
    if (o->resume && gan_loader_seek(t->l, t->ck.data_epoch, t->ck.data_index, err, errlen))
        return 1;
    gan_session_set_loader(t->s, t->l);
    return 0;
}

/* The session, its starting state and its data. */
static int start(train_run *t, const train_opts *o, char *err, size_t errlen)
{
    char ckpath[4400];
    struct stat st;
    if (o->inputs_from && (stat(o->inputs_from, &st) || !S_ISDIR(st.st_mode)))
        return gan_errf(err, errlen, "--inputs-from %s: no such directory", o->inputs_from), 1;
    /* the other ranks only read RUN, and only to resume */
    if ((t->rank0 || o->resume) && check_out(o, ckpath, sizeof ckpath, err, errlen))
        return 1;
    t->so = (gan_session_opts){(int)(o->threads > 0 ? o->threads : cli_cpu_count()), o->seed};
    t->s = gan_session_create(t->m, &t->so, err, errlen);
    if (!t->s || cli_dist_shard(t->dist, t->s, err, errlen))
        return 1;
    if (gan_session_kind(t->s) == GAN_TRAIN_NONE) {
        snprintf(err, errlen, "%s: the model has no training program (d_step + g_step or "
                 "train_step)", o->model);
        return 1;
    }
    if (start_state(t, o, ckpath, err, errlen))
        return 1;
    return open_data(t, o, err, errlen);
}

/* How far to train (--steps, --epochs or the model's) and how often to sample and save:
 * 0, or 2 after a usage error. */
static int set_budget(train_run *t, const train_opts *o, char *err, size_t errlen)
{
    const gan_hyper *h = &t->m->hyper;
    long long total = o->steps;
    t->ips = gan_session_images_per_step(t->s) * gan_dist_size(t->dist);
    long long epochs = o->epochs > 0 ? o->epochs : (total > 0 ? 0 : h->epochs);
    if (total <= 0 && o->epochs <= 0 && h->steps > 0)
        total = h->steps, epochs = 0;
    if (total <= 0 && epochs > 0 && !t->l) {
        snprintf(err, errlen, "the model counts epochs; --inputs-from has no data to count "
                 "them over: give --steps");
        fprintf(stderr, "ganrt train: %s\nTry 'ganrt train --help'.\n", err);
        return 2;
    }
    if (total <= 0 && epochs > 0) {
        double per = t->ips > 0 ? t->ips : h->batch;
        total = (long long)ceil((double)epochs * (double)gan_loader_size(t->l) / per);
        if (total < 1)
            total = 1;
    }
    if (total <= 0) {
        snprintf(err, errlen, "the model sets no steps or epochs: give --steps or --epochs");
        fprintf(stderr, "ganrt train: %s\nTry 'ganrt train --help'.\n", err);
        return 2;
    }
    t->total = total;
    t->first = o->resume ? (long long)t->ck.step : 0;
    t->sample_every = o->sample_every >= 0 ? o->sample_every
                      : h->sample_every > 0 ? h->sample_every : 500;
    t->ckpt_every = o->ckpt_every > 0 ? o->ckpt_every : h->ckpt_every > 0 ? h->ckpt_every : 1000;
    return 0;
}

/* RUN/, RUN/samples/ and the fixed sample grid (when the model can sample), the loss
 * buffers and RUN/metrics.csv. */
static int open_outputs(train_run *t, const train_opts *o, char *err, size_t errlen)
{
    const gan_hyper *h = &t->m->hyper;
    char dir[4200];
    int nl = gan_session_n_losses(t->s);
    t->n_losses = nl;
    t->ns = gan_session_n_summary(t->s);
    if (t->rank0 && o->ev.every &&
        !(t->ev = train_eval_open(&o->ev, t->m, o->data, o->holdout, t->so.threads, t->so.seed,
                                  err, errlen)))
        return 1;
    int ne = train_eval_n_cols(t->ev);
    t->losses = calloc((size_t)nl + ne + 1, sizeof *t->losses);
    t->summary = calloc((size_t)t->ns + 1, sizeof *t->summary);
    t->xbuf = calloc((size_t)nl + 2, sizeof *t->xbuf);
    if (!t->losses || !t->summary || !t->xbuf)
        return cli_out_of_memory(err, errlen);
    if (!t->rank0)
        return 0;
    if (gan_mkdirs(o->out, err, errlen))
        return 1;
    t->can_sample = gan_model_find_role(t->m, GAN_PROG_SAMPLE) >= 0;
    if (t->can_sample) {
        snprintf(dir, sizeof dir, "%s/samples", o->out);
        if (gan_mkdirs(dir, err, errlen))
            return 1;
        if (grid_make(t->m, t->so.seed, &t->grid))
            return cli_out_of_memory(err, errlen);
        t->grid_img = malloc(sizeof(float) * (size_t)t->grid.n * h->image_c * h->image_h *
                             h->image_w);
        if (!t->grid_img)
            return cli_out_of_memory(err, errlen);
    }
    snprintf(dir, sizeof dir, "%s/metrics.csv", o->out);
    const char **cols = malloc(sizeof *cols * ((size_t)nl + ne + 1));
    if (!cols)
        return cli_out_of_memory(err, errlen);
    memcpy(cols, gan_session_loss_names(t->s), sizeof *cols * (size_t)nl);
    if (ne)
        memcpy(cols + nl, train_eval_cols(t->ev), sizeof *cols * (size_t)ne);
    t->mt = (o->per_program ? gan_metrics_open_runs : gan_metrics_open)(
        dir, nl + ne, cols, t->first, err, errlen);
    free(cols);
    return t->mt ? 0 : 1;
}

/* RUN/ckpt/step_NNNNNN.ckpt with everything an exact resume needs; the oldest beyond --keep
 * go. */
static int save_checkpoint(train_run *t, const train_opts *o, long long step, char *err,
                           size_t errlen)
{
    if (!t->rank0)
        return 0;
    gan_ckpt_info info;
    memset(&info, 0, sizeof info);
    info.step = (uint64_t)step;
    if (t->l)
        gan_loader_tell(t->l, &info.data_epoch, &info.data_index);
    else
        info.data_epoch = t->pos_epoch, info.data_index = t->pos_index;
    info.seed = t->so.seed;
    info.rng = *gan_session_rng(t->s);
    if (gan_ckpt_save_run(o->out, (int)o->keep, t->m, gan_session_base(t->s), &info,
                          t->last_ckpt, sizeof t->last_ckpt, err, errlen))
        return 1;
    t->last_ckpt_step = step;
    /* the report is for people: a failure to write it never stops the training */
    char rerr[512];
    if (cli_report_write(t->m, o->model, o->out, o->argc, o->argv, rerr, sizeof rerr))
        fprintf(stderr, "ganrt train: warning: %s\n", rerr);
    return 0;
}

/* A step that failed on its numbers (NaN/Inf): what is left of the run. */
static void report_bad_step(const train_run *t, const char *err)
{
    fprintf(stderr, "ganrt train: error: %s; training stopped.\n", err);
    if (t->last_ckpt[0])
        fprintf(stderr, "ganrt train: the last good checkpoint is %s (step %lld); "
                "nothing was saved after it\n", t->last_ckpt, t->last_ckpt_step);
    else
        fprintf(stderr, "ganrt train: no checkpoint was written in this run\n");
}

/* Before a program runs: its inputs go to --dump-inputs, or come from --inputs-from. */
static int io_before(void *ctx, gan_session *s, const gan_run_info *ri, char *err,
                     size_t errlen)
{
    train_run *t = ctx;
    const train_opts *o = t->o;
    char dir[4300];
    const char *dumps = o->dump_inputs ? o->dump_inputs : o->inputs_from;
    t->t_run = gan_now();
    if (!dumps)
        return 0;
    if (gan_inputs_run_dir(dir, sizeof dir, dumps, ri->step, ri->run,
                           t->m->programs[ri->prog].name))
        return gan_errf(err, errlen, "%s: path too long", dumps);
    if (o->dump_inputs) {
        uint64_t e = 0, i = 0;
        if (t->l)
            gan_loader_tell(t->l, &e, &i);
        return gan_inputs_dump(dir, t->m, ri->prog, gan_session_base(s), ri->ids, e, i,
                               gan_session_rng(s), err, errlen);
    }
    int has_state = 0;
    if (gan_inputs_load(dir, t->m, ri->prog, gan_session_base(s), &t->pos_epoch, &t->pos_index,
                        gan_session_rng(s), &has_state, err, errlen)) {
        char e2[1024];
        snprintf(e2, sizeof e2, "%s", err);
        return gan_errf(err, errlen, "step %lld: --inputs-from: %s", ri->step, e2);
    }
    return 0;
}

/* After it ran: its --metrics-per-program row. */
static int io_after(void *ctx, gan_session *s, const gan_run_info *ri, const double *vals,
                    char *err, size_t errlen)
{
    train_run *t = ctx;
    if (!t->o->per_program)
        return 0;
    const gan_program *p = &t->m->programs[ri->prog];
    double now = gan_now(), dt = now - t->t_run;
    int batch_read = 0; /* images/s counts the batches a program reads (replayed too) */
    for (int i = 0; i < p->n_inputs; i++)
        batch_read |= p->input_roles[i] != GAN_ROLE_LATENT;
    double ips = batch_read && dt > 0 ? t->m->hyper.batch / dt : 0;
    if (gan_metrics_run_row(t->mt, ri->step, ri->run, p->name, t->time_base + (now - t->t_start),
                            gan_session_loss_base(s, ri->slot), p->n_outputs, vals, ips))
        return gan_errf(err, errlen, "%s/metrics.csv: write failed", t->o->out);
    return 0;
}

/* --eval-every: the figures after this step, or NaN (an empty cell) when none is due. */
static int eval_step(train_run *t, long long step, int last, double *t_eval, char *err,
                     size_t errlen)
{
    int ne = train_eval_n_cols(t->ev);
    double *v = t->losses + t->n_losses;
    for (int i = 0; i < ne; i++)
        v[i] = NAN;
    if (!train_eval_due(t->ev, step, last))
        return 0;
    double t0 = gan_now();
    char e2[900];
    if (train_eval_run(t->ev, t->s, v, e2, sizeof e2))
        return gan_errf(err, errlen, "--eval-every at step %lld: %s", step, e2);
    *t_eval += gan_now() - t0;
    return 0;
}

/* Steps first+1..total, each followed by its metrics row and progress, and a sample grid and
 * a checkpoint when due (always after the last). A signal ends the loop after its step, with
 * *interrupted set. 0, or 1 failure (err empty when reported already). */
static int train_loop(train_run *t, const train_opts *o, int *interrupted, char *err,
                      size_t errlen)
{
    gan_progress pg;
    gan_progress_init(&pg, stderr, isatty(fileno(stderr)), t->first, t->total);
    double t_start = gan_now(), t_prev = t_start, t_eval = 0;
    double time_base = t->mt ? gan_metrics_last_time(t->mt) : 0; /* no metrics off rank 0 */
    t->t_start = t_start, t->time_base = time_base;
    const int *scol = gan_session_summary_cols(t->s);
    for (t->step = t->first; t->step < t->total;) {
        long long step = t->step + 1;
        int r = gan_session_step(t->s, step, t->losses, err, errlen);
        if (r) {
            gan_progress_end(&pg);
            if (r == 1) {
                report_bad_step(t, err);
                err[0] = 0;
            }
            return 1;
        }
        t->step = step;
        int stop = g_stop_signal != 0;
        /* the budget is training time: the evaluations' time is not in it */
        int timeup = o->minutes > 0 && gan_now() - t_start - t_eval >= o->minutes * 60;
        if (cli_dist_after_step(t->dist, t->s, t->m, o->sync_bn, t->losses,
                                gan_session_n_losses(t->s), t->xbuf, &stop, &timeup, err,
                                errlen)) {
            gan_progress_end(&pg);
            return 1;
        }
        if (timeup && !stop)
            t->timeup = 1;
        double now = gan_now(), dt = now - t_prev;
        t_prev = now;
        double rate = dt > 0 ? t->ips / dt : 0;
        double avg_rate = now > t_start + t_eval
                              ? (double)(step - t->first) * t->ips / (now - t_start - t_eval) : 0;
        int last = step == t->total || stop || timeup;
        if (eval_step(t, step, last, &t_eval, err, errlen)) {
            gan_progress_end(&pg);
            return 1;
        }
        t_prev = gan_now(); /* the evaluation's time is not the step's */
        if (!o->per_program && t->mt &&
            gan_metrics_row(t->mt, step, time_base + (now - t_start), t->losses, rate)) {
            gan_progress_end(&pg);
            gan_errf(err, errlen, "%s/metrics.csv: write failed at step %lld: %s", o->out, step,
                     strerror(errno));
            return 1;
        }
        for (int i = 0; i < t->ns; i++)
            t->summary[i] = t->losses[scol[i]];
        if (o->minutes > 0)
            gan_progress_budget(&pg, o->minutes * 60 - (gan_now() - t_start - t_eval));
        if (t->rank0)
            gan_progress_update(&pg, step, t->ns, gan_session_summary_names(t->s), t->summary,
                                avg_rate, last);
        if (t->can_sample && ((t->sample_every > 0 && step % t->sample_every == 0) || last)) {
            if (write_grid(t->s, t->m, &t->grid, t->grid_img, o->out, step, err, errlen)) {
                gan_progress_end(&pg);
                fprintf(stderr, "ganrt train: warning: sample grid at step %lld: %s\n", step,
                        err);
            }
        }
        if ((step % t->ckpt_every == 0 || last) && save_checkpoint(t, o, step, err, errlen)) {
            gan_progress_end(&pg);
            return 1;
        }
        if (stop) { /* another rank's signal stops this one too: SIGTERM's status */
            *interrupted = g_stop_signal ? g_stop_signal : SIGTERM;
            break;
        }
        if (timeup)
            break;
    }
    gan_progress_end(&pg);
    return 0;
}

/* Everything after the model loaded: 0 done, 1 failure (err says why unless empty),
 * 2 usage error (printed), 128 + the signal when interrupted (with a checkpoint). */
static int train(train_run *t, const train_opts *o, char *err, size_t errlen)
{
    /* before anything reads the run directory: a second training must not even look */
    if (t->rank0 && (t->lock_fd = gan_run_lock(o->out, err, errlen)) < 0)
        return 1;
    int rc = start(t, o, err, errlen);
    if (rc || (rc = set_budget(t, o, err, errlen)) || (rc = open_outputs(t, o, err, errlen)))
        return rc;
    char what[4200];
    if (t->l)
        snprintf(what, sizeof what, "%zu images", gan_loader_size(t->l));
    else
        snprintf(what, sizeof what, "inputs replayed from %s", o->inputs_from);
    if (t->rank0)
        fprintf(stderr, "ganrt train: %s, %s, batch %d%s, steps %lld..%lld, %d threads, "
                "seed %llu%s\n", o->model, what, t->m->hyper.batch * gan_dist_size(t->dist),
                t->dist ? " (global)" : "", t->first + 1, t->total, t->so.threads,
                (unsigned long long)t->so.seed, o->resume ? " (resumed)" : "");
    if (t->rank0)
        cli_precision_note("ganrt train");
    if (t->dist && t->rank0)
        fprintf(stderr, "ganrt train: %d ranks x batch %d, gradients averaged every program "
                "run%s\n", gan_dist_size(t->dist), t->m->hyper.batch,
                o->sync_bn ? ", batch-norm running statistics synchronised" : "");
    if (o->ckpt_initial && !o->resume && save_checkpoint(t, o, 0, err, errlen))
        return 1;
    if (t->first >= t->total) {
        if (t->rank0)
            fprintf(stderr, "ganrt train: already at step %lld of %lld; nothing to do\n", t->first,
                t->total);
        return 0;
    }
    t->o = o;
    if (o->dump_inputs || o->inputs_from || o->per_program)
        gan_session_set_hooks(t->s, &(gan_session_hooks){io_before, io_after, t,
                                                         o->inputs_from != NULL});
    if (o->profile) {
        if (!(t->prof = gan_profile_new(t->m)))
            return cli_out_of_memory(err, errlen);
        gan_session_set_profile(t->s, t->prof);
        t->prof_t0 = gan_now();
    }
    int interrupted = 0;
    if (train_loop(t, o, &interrupted, err, errlen))
        return 1;
    if (t->prof && t->rank0)
        report_profile(t, o);
    size_t bad = t->l && t->rank0 ? gan_loader_bad_count(t->l) : 0;
    if (bad)
        fprintf(stderr, "ganrt train: warning: %zu unreadable images were skipped\n", bad);
    cli_dist_report(t->dist, t->step - t->first);
    if (interrupted) {
        if (t->rank0)
            fprintf(stderr, "ganrt train: interrupted by %s at step %lld; checkpoint %s "
                    "written; continue with --resume\n",
                    interrupted == SIGTERM ? "SIGTERM" : "SIGINT", t->step, t->last_ckpt);
        return 128 + interrupted; /* the shell's convention: 130 SIGINT, 143 SIGTERM */
    }
    if (t->rank0 && t->timeup)
        fprintf(stderr, "ganrt train: --minutes %g reached: stopped at step %lld of %lld, "
                "checkpoint %s; continue with --resume\n", o->minutes, t->step, t->total,
                t->last_ckpt);
    else if (t->rank0)
        fprintf(stderr, "ganrt train: done: step %lld, checkpoint %s\n", t->step, t->last_ckpt);
    return 0;
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
    struct sigaction old_int, old_term;
    catch_signals(&old_int, &old_term);
    char err[1024] = "";
    train_run t;
    memset(&t, 0, sizeof t);
    t.last_ckpt_step = -1;
    t.lock_fd = -1;
    if (gan_dist_open(&t.dist, err, sizeof err)) {
        fprintf(stderr, "ganrt train: %s\n", err);
        return 1;
    }
    t.rank0 = gan_dist_rank(t.dist) == 0;
    if (t.dist && (o.dump_inputs || o.inputs_from || o.per_program)) {
        fprintf(stderr, "ganrt train: --dump-inputs, --inputs-from and --metrics-per-program "
                "are for a single process, not under mpirun\n");
        gan_dist_abort(t.dist, 2);
    }
    t.m = gan_model_load(o.model, err, sizeof err);
    rc = t.m ? train(&t, &o, err, sizeof err) : 1;
    if (rc == 1 && err[0] && t.dist)
        fprintf(stderr, "ganrt train: rank %d of %d: %s\n", gan_dist_rank(t.dist),
                gan_dist_size(t.dist), err);
    else if (rc == 1 && err[0])
        fprintf(stderr, "ganrt train: %s\n", err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    run_free(&t);
    /* a failure on one rank ends them all: the others would wait for it in the next
     * exchange */
    if (t.dist && rc > 0 && rc < 128)
        gan_dist_abort(t.dist, rc);
    gan_dist_close(t.dist);
    return rc;
}
