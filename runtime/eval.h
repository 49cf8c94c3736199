/* Evaluation of generated faces by an attribute classifier (docs/evaluation.md): running a
 * compiled classifier on images and reading one of its intermediate tensors (the features),
 * per-attribute confusion counts, the Fréchet distance between two Gaussians fitted to
 * features, and the mean pairwise feature distance. Used by `ganrt eval` (cli/cli_eval*.c).
 * Errors go to (err, errlen) with a -1 / NULL return; nothing here keeps global state.
 */
#ifndef GAN_EVAL_H
#define GAN_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include "format/model.h"

/* ---------------------------------------------------------------- frechet.c */
/* Eigen-decomposition of the symmetric n x n matrix a (row-major; destroyed) by cyclic
 * Jacobi rotations, in double: evals[n], and evecs (n x n, may be NULL) whose column j is the
 * unit eigenvector of evals[j]. 0, or -1 when it did not converge (never seen on covariance
 * matrices; the limit is generous). */
int gan_sym_eigen(double *a, int n, double *evals, double *evecs);

/* A Gaussian fitted to n feature rows of d values: the mean and the unbiased (n - 1)
 * covariance, as numpy.cov(rowvar=False) computes it. */
typedef struct {
    int d;
    long long n;
    double *mean; /* [d] */
    double *cov;  /* [d * d] */
} gan_gauss;
int gan_gauss_fit(const float *feat, size_t n, int d, gan_gauss *g, char *err, size_t errlen);
void gan_gauss_free(gan_gauss *g);
/* |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr sqrt(S_a^1/2 S_b S_a^1/2): the Fréchet (2-
 * Wasserstein) distance of the two Gaussians, with the square roots taken through symmetric
 * eigen-decompositions (negative eigenvalues of a rank-deficient covariance count as 0). */
int gan_frechet_distance(const gan_gauss *a, const gan_gauss *b, double *fd, char *err,
                         size_t errlen);
/* Mean Euclidean distance over the pairs of the first min(n, max_rows) rows. */
double gan_mean_pairwise_distance(const float *feat, size_t n, int d, size_t max_rows);

/* ---------------------------------------------------------------- classify.c */
typedef struct gan_classifier gan_classifier;
/* The model's "predict" program (a classifier: images -> one logit per label), its weights
 * from ckpt_path (a checkpoint file), and the tensor whose values are the features:
 * features == NULL picks the input of the op that writes the logits (the penultimate layer);
 * otherwise a tensor name, with or without the program's "predict." prefix. */
gan_classifier *gan_classifier_open(const gan_model *m, const char *ckpt_path,
                                    const char *features, int threads, char *err,
                                    size_t errlen);
void gan_classifier_close(gan_classifier *c);
int gan_classifier_feature_dim(const gan_classifier *c);
const char *gan_classifier_feature_name(const gan_classifier *c);
/* Classifies n images given in the value range [lo, hi] (a generator's range, or the
 * classifier's own): each value is first rounded to 8 bits, as a PNG of it would be, then
 * mapped to the classifier's range, so generated faces take the path real ones take through
 * the loader. logits: n x n_labels; feat: n x feature_dim (may be NULL). */
int gan_classifier_run(gan_classifier *c, int n, const float *images, float lo, float hi,
                       float *logits, float *feat, char *err, size_t errlen);

/* ---------------------------------------------------------------- score.c */
typedef struct {
    long long tp, tn, fp, fn;
} gan_confusion;
/* Adds n decisions (logit > 0) of the classifier's column col against the wanted 0/1 values
 * want[i * stride]. */
void gan_confusion_add(gan_confusion *c, const float *logits, int n_logits, int col,
                       const float *want, int stride, int n);
double gan_confusion_accuracy(const gan_confusion *c);          /* NaN when empty */
/* (TPR + TNR) / 2; NaN when the wanted values have only one class. */
double gan_confusion_balanced(const gan_confusion *c);

/* ---------------------------------------------------------------- visualize.c */
/* Feature visualization (`ganrt visualize`): images that maximise a weighted sum of a
 * classifier's logits, found by gradient ascent on the input with the model's "visualize"
 * program (its input gradient, compiled by ganc). Each step shifts the images by a random
 * jitter before the program runs (and the gradient back after), moves them by lr times their
 * gradient over its mean absolute value, keeps them inside the model's value range and, every
 * blur_every steps, blends them with a 3x3 binomial blur of themselves (weight blur): the
 * usual regularisers against high-frequency adversarial patterns. */
typedef struct {
    int steps;      /* ascent steps (>= 1) */
    float lr;       /* step, as a share of the value range */
    int jitter;     /* largest shift in pixels (0: none) */
    int blur_every; /* 0: never */
    float blur;     /* 0..1 */
    uint64_t seed;  /* the random start and the jitter */
    int threads;
} gan_vis_opts;
/* n images for the n rows of dir (n x n_labels weights): images n x C x H x W in the model's
 * range; before/after (may be NULL): each image's objective, dir . logits, at the random
 * start and at the end. 0, or -1 with a message. */
int gan_visualize(const gan_model *m, const char *ckpt_path, const gan_vis_opts *o, int n,
                  const float *dir, float *images, float *before, float *after, char *err,
                  size_t errlen);

#endif
