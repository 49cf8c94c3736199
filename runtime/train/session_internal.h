/* The session's insides, shared by the files of runtime/train that run its programs
 * (session.c, standing.c); callers see only runtime/train.h. */
#ifndef GAN_SESSION_INTERNAL_H
#define GAN_SESSION_INTERNAL_H

#include "runtime/train.h"
#include "runtime/data.h"
#include "runtime/kernels.h"

#define MAX_TRAIN_PROGS 2
#define MAX_REDUCE 4 /* gradient buffers averaged per program run (one per network updated) */

struct gan_session {
    const gan_model *m;
    float *base[GAN_REGION_COUNT];
    kern_scratch *scratch; /* the kernels' temporaries: sized by the first step, then reused */
    int threads;
    uint64_t seed;
    gan_profile *profile; /* borrowed; NULL: not profiling */
    gan_rng rng;
    gan_loader *loader;
    gan_train_kind kind;
    int prog[MAX_TRAIN_PROGS]; /* d_step, g_step | train_step, -1 */
    int n_prog;
    int prog_sample;
    int batch;
    float *img, *lbl; /* one loader batch */
    int64_t *ids;     /* its image numbers */
    size_t img_n, lbl_n;
    int gen;          /* generator network index (sampling / EMA), or -1 */
    float *ema_swap;  /* the generator's params while its EMA weights are swapped in */
    /* standing statistics (standing.c): the sample program's batch-norm running-statistic
     * tensors (mean, var pairs), their values measured for the sampling weights, and room
     * for the running values while those are swapped in */
    int n_stat;       /* tensors in stat_t */
    int *stat_t;
    float *standing, *standing_swap;
    size_t standing_n; /* floats over all stat_t */
    int standing_on, standing_ema;
    int n_losses;
    int loss_base[MAX_TRAIN_PROGS];
    char (*loss_names)[GAN_LOSS_NAME_MAX];
    const char **loss_ptrs;
    double *acc;
    double *run_vals;  /* one program run's outputs, for the hooks */
    gan_session_hooks hooks;
    int n_summary;
    const char *summary_names[MAX_TRAIN_PROGS];
    int summary_cols[MAX_TRAIN_PROGS];
    int images_per_step;
    /* data-parallel (gan_session_set_shard): rank of size; the staging buffers above hold
     * the global batch (size x batch rows), this rank's rows start at rank x batch */
    int rank, size;
    float *zbuf; /* the global z of one LATENT input */
    gan_session_reduce_fn reduce;
    void *reduce_ctx;
    int split[MAX_TRAIN_PROGS];             /* first OPTIM op of each training program */
    int n_reduce[MAX_TRAIN_PROGS];
    int reduce_t[MAX_TRAIN_PROGS][MAX_REDUCE]; /* the gradient tensors averaged before it */
};

/* Copies rows [at, at + k) of z and labels into the inputs of sampling program p (a short
 * chunk padded with its first row; the image input, when there is one, zeroed). */
void gan_session_fill_sample_inputs(gan_session *s, const gan_program *p, const float *z,
                                    const float *labels, int at, int k);
/* Swaps the generator's EMA weights in (in 1) or back out (in 0); a no-op without EMA. */
int gan_session_swap_ema(gan_session *s, int in);
/* Swaps the standing statistics in (in 1) or the running ones back (in 0), when measured
 * for the same weights (use_ema) as are sampled. */
void gan_session_swap_standing(gan_session *s, int in, int use_ema);

#endif
