/* Training runtime: RNG, parameter initialisation, checkpoints, the training/sampling session,
 * metrics and progress. Used by `ganrt train` (cli_train.c) and `ganrt sample` (cli_sample.c).
 *
 * Ownership: every *_open / *_create returns an object freed by the matching *_close / *_free.
 * Nothing here keeps global mutable state; the step loop never allocates.
 */
#ifndef GAN_TRAIN_H
#define GAN_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common/bytes.h" /* gan_write_file_atomic, which checkpoints and `latest` go through */
#include "format/model.h"

/* ---------------------------------------------------------------- rng.c
 * xoshiro256** seeded through splitmix64; normals by Box-Muller (the second value of each pair
 * is kept as a spare). The state is a plain struct so a checkpoint can store it verbatim. */
typedef struct {
    uint64_t s[4];
    uint32_t has_spare; /* 1: spare holds the second normal of the last pair */
    float spare;
} gan_rng;

void gan_rng_seed(gan_rng *r, uint64_t seed);
uint64_t gan_rng_next(gan_rng *r);
double gan_rng_uniform(gan_rng *r);         /* [0, 1), 53 bits */
float gan_rng_normal(gan_rng *r);           /* N(0, 1) */
void gan_rng_fill_normal(gan_rng *r, float *x, size_t n, float mean, float std);
void gan_rng_fill_uniform(gan_rng *r, float *x, size_t n, float lo, float hi);
/* The truncation trick (BigGAN's truncated normal): each |x[i]| > psi is drawn again, from
 * N(0, 1), until it is within; values already within stay as they are. psi >= 0.05 keeps the
 * expected redraws per value under 25. */
void gan_rng_truncate_normal(gan_rng *r, float *x, size_t n, float psi);
/* splitmix64 finaliser: derives independent seeds ("seed for the sample z") from one seed. */
uint64_t gan_mix64(uint64_t x);

/* ---------------------------------------------------------------- init.c */
/* Initialises tensor t (PARAM or STATE region) from its init spec. COPY reads init_src, which
 * must already be initialised. 0, or -1 with "tensor NAME: what" in err. */
int gan_init_tensor(const gan_model *m, float *const base[GAN_REGION_COUNT], int t, gan_rng *rng,
                    char *err, size_t errlen);
/* Initialises every PARAM and STATE tensor: parts before aggregates, COPY inits last (so EMA
 * copies see the initialised parameters). Deterministic for a given rng state. */
int gan_init_all(const gan_model *m, float *const base[GAN_REGION_COUNT], gan_rng *rng,
                 char *err, size_t errlen);
/* Orthogonal init of a rows x cols matrix (row-major): rows orthonormal when rows <= cols,
 * else columns orthonormal; times gain. Modified Gram-Schmidt (twice) on a normal matrix. */
int gan_init_orthogonal(float *w, int rows, int cols, float gain, gan_rng *rng);

/* ---------------------------------------------------------------- checkpoint.c
 * Format: docs/checkpoint-format.md. */
#define GAN_CKPT_MAGIC "GANCKPT\0"
#define GAN_CKPT_VERSION 1u
#define GAN_CKPT_HEADER_BYTES 128u
#define GAN_CKPT_ENTRY_BYTES 128u

typedef struct {
    uint64_t step;          /* completed training steps */
    uint64_t data_epoch;    /* loader position (gan_loader_tell) */
    uint64_t data_index;
    uint64_t seed;          /* the run's --seed (the sample z is re-derived from it) */
    gan_rng rng;            /* latent RNG */
    uint64_t model_id;      /* gan_ckpt_model_id() of the model that wrote it */
} gan_ckpt_info;

/* Is tensor t part of a checkpoint? (PARAM/STATE; aggregates only where their parts do not
 * cover them.) */
int gan_ckpt_tensor_included(const gan_model *m, int t);
/* Hash (FNV-1a 64) of the names, regions and shapes of the checkpointed tensors. */
uint64_t gan_ckpt_model_id(const gan_model *m);

/* Writes atomically: PATH.tmp.PID in the same directory, fsync, rename, fsync the directory.
 * On failure the file at path (if any) is untouched. 0, or -1 with a message naming path. */
int gan_ckpt_write(const char *path, const gan_model *m, float *const base[GAN_REGION_COUNT],
                   const gan_ckpt_info *info, char *err, size_t errlen);
/* Same, into a malloc'd buffer (tests). */
int gan_ckpt_write_mem(const gan_model *m, float *const base[GAN_REGION_COUNT],
                       const gan_ckpt_info *info, void **buf, size_t *len);
/* Loads a full checkpoint: validates magic, version, sizes, CRCs, model identity and that every
 * checkpointed tensor is present with its shape; only then copies into base. info may be NULL.
 * On failure base is untouched and err says "PATH: what is wrong". */
int gan_ckpt_load(const char *path, const gan_model *m, float *const base[GAN_REGION_COUNT],
                  gan_ckpt_info *info, char *err, size_t errlen);
int gan_ckpt_load_mem(const void *buf, size_t len, const char *what, const gan_model *m,
                      float *const base[GAN_REGION_COUNT], gan_ckpt_info *info, char *err,
                      size_t errlen);
/* --init: validates the file's structure and CRCs, then copies every tensor whose name and
 * shape match (regions as in the file: params, and state where the model has the same
 * tensor). Prints what was loaded / skipped to report (may be NULL). *n_loaded = how many. */
int gan_ckpt_load_matching(const char *path, const gan_model *m,
                           float *const base[GAN_REGION_COUNT], FILE *report, int *n_loaded,
                           char *err, size_t errlen);
/* Writes RUN/ckpt/step_NNNNNN.ckpt, points RUN/ckpt/latest at it (atomically), and deletes
 * all but the newest keep checkpoints. path_out (may be NULL) receives the file's path. */
int gan_ckpt_save_run(const char *run_dir, int keep, const gan_model *m,
                      float *const base[GAN_REGION_COUNT], const gan_ckpt_info *info,
                      char *path_out, size_t path_len, char *err, size_t errlen);
/* Resolves a --ckpt/--resume argument: a checkpoint file as is; a run directory to the file
 * named by RUN/ckpt/latest (or a ckpt directory's latest). 0, or -1 with a message. */
int gan_ckpt_resolve(const char *arg, char *path, size_t path_len, char *err, size_t errlen);

/* mkdir -p. 0 or -1 with a message. */
int gan_mkdirs(const char *path, char *err, size_t errlen);

/* ---------------------------------------------------------------- run_lock.c */
/* Makes run_dir if needed and takes RUN/lock, held until gan_run_unlock or the process ends
 * (by any means: the kernel drops it); then removes the temporary files that a killed run's
 * atomic writes left in RUN/ckpt. The lock's fd, or -1 with a message naming the holder's
 * pid when another process holds it. */
int gan_run_lock(const char *run_dir, char *err, size_t errlen);
void gan_run_unlock(int fd);

/* ---------------------------------------------------------------- loss_names.c
 * metrics.csv's name of each output of training program prog: "<net>_loss" for the total,
 * then per term "<net>_loss_<what>": in a d_step real / fake (adv head) or cls_real /
 * cls_fake (the per-label head), in a g_step adv / cls, elsewhere the loss kind (bce, mse,
 * softmax_ce...); alike terms numbered _2, _3. names: p->n_outputs rows. 0, or -1 (memory). */
#define GAN_LOSS_NAME_MAX 160
int gan_loss_column_names(const gan_model *m, int prog, char (*names)[GAN_LOSS_NAME_MAX]);

/* ---------------------------------------------------------------- inputs.c
 * Input dumps (ganrt train --dump-inputs / --inputs-from, ganrt run-program --inputs): one
 * directory per program run, DIR/step_NNNNNN/runR_PROGRAM/, of .npy files (layout in
 * inputs.c and docs/reproducibility.md). */
/* The run directory's path into buf: 0, or -1 when it does not fit. */
int gan_inputs_run_dir(char *buf, size_t len, const char *dir, long long step, int run,
                       const char *prog);
/* Writes program prog's inputs (as they are in base), the batch's image ids (NULL: none) and
 * the data position and latent RNG after the run's draws. 0, or -1 with "PATH: why". */
int gan_inputs_dump(const char *rundir, const gan_model *m, int prog,
                    float *const base[GAN_REGION_COUNT], const int64_t *ids, uint64_t epoch,
                    uint64_t index, const gan_rng *rng, char *err, size_t errlen);
/* Reads them back into prog's input tensors: every file must be there with the exact dtype
 * and shape. state.npy is optional: *has_state says whether epoch, index and rng (may be
 * NULL) were set. 0, or -1 with "PATH: why". */
int gan_inputs_load(const char *rundir, const gan_model *m, int prog,
                    float *const base[GAN_REGION_COUNT], uint64_t *epoch, uint64_t *index,
                    gan_rng *rng, int *has_state, char *err, size_t errlen);

/* ---------------------------------------------------------------- metrics.c */
typedef struct gan_metrics gan_metrics;
/* Opens RUN/metrics.csv for appending; a new file gets the header
 * "step,time_s,<col>...,images_per_s". When resume_step is >= 0 rows after that step (left by
 * an interrupted run) are dropped first. */
gan_metrics *gan_metrics_open(const char *path, int n_cols, const char *const *cols,
                              long long resume_step, char *err, size_t errlen);
int gan_metrics_row(gan_metrics *mt, long long step, double time_s, const double *vals,
                    double images_per_s);
/* --metrics-per-program: the header "step,run,program,time_s,<col>...,images_per_s", one row
 * per program run holding that program's n columns from first (the others empty). An
 * existing file must have the header this run writes (either form). */
gan_metrics *gan_metrics_open_runs(const char *path, int n_cols, const char *const *cols,
                                   long long resume_step, char *err, size_t errlen);
int gan_metrics_run_row(gan_metrics *mt, long long step, int run, const char *program,
                        double time_s, int first, int n, const double *vals, double images_per_s);
/* time_s of the last row kept at open (0 for a new file): a resumed run adds it, so the time
 * column counts training time across interruptions. */
double gan_metrics_last_time(const gan_metrics *mt);
void gan_metrics_close(gan_metrics *mt);

/* ---------------------------------------------------------------- progress.c */
typedef struct {
    FILE *f;            /* stderr */
    int tty;            /* redraw one line in place */
    long long total;
    long long first;    /* step the run started at (resume) */
    double t0;          /* monotonic seconds at start */
    double last_print;
    double plain_every_s; /* plain mode: at most one line per this many seconds */
    int printed_inline;
    double budget_left_s; /* a time budget's training seconds left (--minutes); < 0: none */
} gan_progress;

double gan_now(void); /* monotonic seconds */
void gan_progress_init(gan_progress *p, FILE *f, int tty, long long first, long long total);
/* names/vals: the losses to show. force: print even if not due (last step). */
void gan_progress_update(gan_progress *p, long long step, int n, const char *const *names,
                         const double *vals, double images_per_s, int force);
void gan_progress_end(gan_progress *p); /* finishes the in-place line */
/* With a time budget (--minutes) the run ends at whichever comes first, the last step or the
 * budget: give the budget's seconds left before each update, and the ETA and the bar follow
 * the nearer end ("ETA 12:00 (budget)"). */
void gan_progress_budget(gan_progress *p, double left_s);
/* Formats seconds as H:MM:SS or M:SS. */
void gan_format_duration(double s, char *buf, size_t len);

/* ---------------------------------------------------------------- session.c */
typedef struct gan_session gan_session;
struct gan_loader;

/* ---------------------------------------------------------------- profile.c */
/* The wall time of every op of every program, summed over runs (ganrt train --profile). */
typedef struct gan_profile gan_profile;
gan_profile *gan_profile_new(const gan_model *m); /* NULL: out of memory */
void gan_profile_free(gan_profile *p);
/* The per-op seconds of program prog, for gan_exec_run_profiled (NULL for no profile). */
double *gan_profile_ops(gan_profile *p, int prog);
/* Prints the time per op kind and per layer (the 20 slowest), in ms per training step, forward
 * and backward apart, and the share of the programs' total; wall_s: the run's wall time, to
 * say how much of it the programs took. 0, or -1 out of memory. */
int gan_profile_report(const gan_profile *p, FILE *f, long long steps, double wall_s);

typedef struct {
    int threads;
    uint64_t seed;
} gan_session_opts;

/* Allocates every region once (m->region_floats), plus the EMA swap buffer and the input
 * staging buffers. Parameters are NOT initialised: call gan_session_init_params or load a
 * checkpoint. The session borrows m (caller keeps it alive). */
gan_session *gan_session_create(const gan_model *m, const gan_session_opts *o, char *err,
                                size_t errlen);
void gan_session_free(gan_session *s);
/* From now on every training program run adds its ops' times to prof (borrowed; NULL: stop). */
void gan_session_set_profile(gan_session *s, gan_profile *prof);
float *const *gan_session_base(gan_session *s);
gan_rng *gan_session_rng(gan_session *s);
int gan_session_init_params(gan_session *s, char *err, size_t errlen);
/* The loader the training step reads from (borrowed; may be NULL for sampling only). */
void gan_session_set_loader(gan_session *s, struct gan_loader *l);

/* Kind of training the model does. */
typedef enum { GAN_TRAIN_NONE = 0, GAN_TRAIN_GAN = 1, GAN_TRAIN_CLASSIFIER = 2 } gan_train_kind;
gan_train_kind gan_session_kind(const gan_session *s);

/* Loss columns: one per output of each training program, in program order (d_step, g_step
 * or train_step); names like "d_step.loss". */
int gan_session_n_losses(const gan_session *s);
const char *const *gan_session_loss_names(const gan_session *s);
/* The training programs in the order a step runs them (slot 0: d_step or train_step, 1:
 * g_step), as model program indices, and where each one's columns start among the losses. */
int gan_session_n_programs(const gan_session *s);
int gan_session_program(const gan_session *s, int slot);
int gan_session_loss_base(const gan_session *s, int slot);
/* Short names for the progress bar ("D", "G", "loss") and which loss column each shows. */
int gan_session_n_summary(const gan_session *s);
const char *const *gan_session_summary_names(const gan_session *s);
const int *gan_session_summary_cols(const gan_session *s);
/* Images read from the loader per step (for images/s). */
int gan_session_images_per_step(const gan_session *s);

/* One program run inside a step, as the hooks see it. */
typedef struct {
    long long step;       /* 1-based step number */
    int run;              /* 1-based run within the step (d_step 1..d_steps, then g_step) */
    int slot;             /* gan_session_program slot */
    int prog;             /* model program index */
    const int64_t *ids;   /* the batch's image numbers (gan_loader_next_ids), or NULL when
                             the program reads no batch or the inputs are replayed */
} gan_run_info;

/* Observers of the step (input dumps, per-program metrics) and the replay of recorded
 * inputs. before: the program's inputs are in place (or, with replay, must be put there by
 * it); after: it ran, vals holds its outputs (n_outputs, each averaged). 0, or -1 with err. */
typedef struct {
    int (*before)(void *ctx, gan_session *s, const gan_run_info *ri, char *err, size_t errlen);
    int (*after)(void *ctx, gan_session *s, const gan_run_info *ri, const double *vals,
                 char *err, size_t errlen);
    void *ctx;
    int replay; /* 1: neither the loader nor the latent RNG is read; before() fills inputs */
} gan_session_hooks;
void gan_session_set_hooks(gan_session *s, const gan_session_hooks *h);

/* Data-parallel training (docs/distributed.md): the session becomes rank `rank` of `size`.
 * Its loader must then be opened at size x the model's batch: it yields the global batch, of
 * which this rank keeps rows rank*b..(rank+1)*b-1; each LATENT input is drawn for the whole
 * global batch and the same rows kept. So rank r computes what one process at batch size*b
 * computes for those rows, and the latent RNG and data position advance alike on every rank
 * (checkpoints do not depend on the rank count). reduce(ctx, x, n) must replace x with its
 * mean over the ranks; it is called in every training program after the backward, before
 * the first OPTIM op, on each gradient buffer <net>.grads an OPTIM op reads. 0, or -1 with
 * a message (memory). */
typedef int (*gan_session_reduce_fn)(void *ctx, float *x, size_t n, char *err, size_t errlen);
int gan_session_set_shard(gan_session *s, int rank, int size, gan_session_reduce_fn reduce,
                          void *ctx, char *err, size_t errlen);

/* One training step (GAN: d_steps x d_step, then g_step; classifier: train_step).
 * losses (n_losses) receive this step's values (d_step's averaged over its runs).
 * Return 0; 1 = non-finite loss or gradient (err names step and tensor; the state must not be
 * checkpointed); -1 = other failure (err). step is the 1-based number of this step, for
 * messages. */
int gan_session_step(gan_session *s, long long step, double *losses, char *err, size_t errlen);

/* Runs the "sample" program over n samples in chunks of the model's batch.
 * z: n x latent_size, labels: n x n_labels (may be NULL when the model has none), out:
 * n x C x H x W. use_ema: swap in the generator's EMA weights where it has them. */
int gan_session_sample(gan_session *s, int n, const float *z, const float *labels, float *out,
                       int use_ema, char *err, size_t errlen);
/* Standing statistics: runs the "sample" program over the n / batch whole batches of z and
 * labels (n x latent_size, n x n_labels) with each batch norm normalising by its own batch,
 * as in training, and keeps the averaged batch means and variances; later
 * gan_session_sample calls with the same use_ema normalise with them in place of the
 * running statistics, which stay as they were (a checkpoint saved later holds those).
 * Nothing is measured with no batch norm or n < batch. 0, or -1 (err). */
int gan_session_standing_stats(gan_session *s, int n, const float *z, const float *labels,
                               int use_ema, char *err, size_t errlen);
/* Back to the running statistics for sampling. */
void gan_session_standing_off(gan_session *s);
/* First tensor (by index) in region r that holds a NaN/Inf within [off, off+n) of that region,
 * or -1. */
int gan_find_nonfinite_tensor(const gan_model *m, float *const base[GAN_REGION_COUNT], int region,
                              uint64_t off, uint64_t n);

/* Draws a latent matrix (n x latent_size) per the model's latent distribution. */
void gan_draw_latent(const gan_model *m, gan_rng *r, float *z, int n);

#endif
