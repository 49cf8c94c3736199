/* ganrt eval's parts (cli_eval.c: options and the generated faces; cli_eval_real.c: the
 * held-out real faces and their cached statistics; cli_eval_report.c: the table and the
 * JSON). Internal to cli/. */
#ifndef GAN_CLI_EVAL_H
#define GAN_CLI_EVAL_H

#include <stdint.h>
#include "format/model.h"
#include "runtime/data.h"
#include "runtime/eval.h"

typedef struct {
    const char *model, *ckpt, *clf, *clf_ckpt, *real, *json, *features, *attrs;
    long long n, n_real, pairs, threads, holdout, standing;
    uint64_t seed;
    int holdout_given, real_only, no_cache, no_ema;
} eval_opts;

/* What the held-out real faces give: one confusion per classifier label, the features'
 * Gaussian and their diversity. Cached per classifier checkpoint, data and split. */
typedef struct {
    int n_labels;
    gan_confusion *conf;   /* [n_labels], the classifier's labels */
    long long n_images;
    double diversity;
    gan_gauss g;
    char cache_path[4400]; /* where it was read or written ("" when --no-cache) */
    int from_cache;
} eval_real;

/* Per evaluated attribute (one the generator and the classifier share). */
typedef struct {
    int gen_col, clf_col;
    gan_confusion gen;     /* the classifier on generated faces against the asked values */
    double asked_rate;     /* fraction of generated faces asked to have it */
    long long ctl_pairs, ctl_follow, ctl_flip; /* --vary pairs: follows = on->1 and off->0 */
} eval_attr;

typedef struct {
    eval_opts o;
    char clf_ckpt_path[4400], gen_ckpt_path[4400];
    long long holdout;          /* the split used (gan_loader_opts.holdout) */
    gan_split_info split;
    gan_model *cm, *gm;
    gan_classifier *clf;
    eval_real real;
    int n_attrs;
    eval_attr *attrs;
    long long n_gen;
    double frechet, gen_diversity;
    unsigned long long gen_step;
    int src_h, src_w; /* the generator's size when it is not the judge's (else 0): its faces,
                         and the real ones read at that size, are resampled to the judge's */
} eval_ctx;

/* cli_eval.c, for ganrt train --eval-every (cli_train_eval.c) as well: the judge (the
 * classifier, the split, the real statistics) opened from e->o; then, as often as wanted,
 * the figures of the faces session s draws with e->gm (set by the caller, who owns it).
 * eval_ctx_free frees what the judge opened, not e->gm. */
struct gan_session;
int eval_open_judge(eval_ctx *e, char *err, size_t errlen);
int eval_generated_by(eval_ctx *e, struct gan_session *s, char *err, size_t errlen);
void eval_ctx_free(eval_ctx *e);
/* The judge on n images in [lo, hi] of the generator's size (e->src_h x e->src_w when set,
 * else the judge's): logits [n, judge labels], features [n, F] (NULL: not wanted). */
int eval_classify(eval_ctx *e, int n, const float *img, float lo, float hi, float *lg, float *ft,
                  char *err, size_t errlen);

/* cli_eval_real.c */
/* The split: --holdout, else the classifier run's split.txt, else the partition file. */
int eval_resolve_split(eval_ctx *e, char *err, size_t errlen);
int eval_real_stats(eval_ctx *e, char *err, size_t errlen);
/* A note on stderr when the generator's run did not hold out what eval holds out (its
 * training may have seen the faces it is compared with). */
void eval_note_gen_split(const eval_ctx *e);
void eval_real_free(eval_real *r);
/* The held-out rows of the data's attribute file as the generator's label rows (0/1, or
 * one-hot for a categorical generator; rows without a class are left out). *rows is
 * malloc'd, n_rows x gen labels. */
int eval_heldout_label_rows(const eval_ctx *e, float **rows, size_t *n_rows, char *err,
                            size_t errlen);

/* cli_eval_report.c */
void eval_print_table(const eval_ctx *e, FILE *f);
int eval_write_json(const eval_ctx *e, const char *path, char *err, size_t errlen);
/* The figures as one row: the means over the attributes of the generated faces' balanced
 * accuracy, accuracy and control (follows), the Fréchet distance, the diversity
 * (EVAL_SUMMARY_FIXED values, named by eval_summary_name), then each attribute's balanced
 * accuracy. NaN where undefined. Returns the count written (at most max). */
#define EVAL_SUMMARY_FIXED 5
int eval_summary(const eval_ctx *e, double *v, int max);
const char *eval_summary_name(int i);

#endif
