/* Internal builder helpers of the lowering/autodiff/fusion passes (not a public contract).
 * A gb_ctx grows the gan_model's tensor table; a gb_oplist collects one program's ops.
 * Indices, not pointers, name tensors: the arrays move when they grow.
 */
#ifndef GAN_GRAPH_BUILD_H
#define GAN_GRAPH_BUILD_H

#include <stddef.h>
#include "format/model.h"

typedef struct {
    gan_model *m;
    int cap_tensors;
    char *err;
    size_t errlen;
    int failed;          /* first failure wins: later messages are dropped */
} gb_ctx;

typedef struct {
    gan_op *ops;
    int n, cap;
} gb_oplist;

/* Records the first error (printf-style) and returns -1. */
int gb_fail(gb_ctx *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* New tensor: name (truncated to GAN_NAME_MAX-1), region, shape. Offset 0, init NONE,
 * init_src -1. Returns its index or -1 (message set). */
int gb_tensor(gb_ctx *g, const char *name, int region, int ndim, const int *shape);
/* New arena tensor with the shape of tensor `like`. */
int gb_tensor_like(gb_ctx *g, const char *name, int like);
/* printf-style name helper used by both: writes into buf (GAN_NAME_MAX). */
void gb_name(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* out = base + suffix, truncated to GAN_NAME_MAX-1 characters (out may not alias base). */
void gb_suffix(char *out, const char *base, const char *suffix);

/* Appends an op (all unused slots -1, attributes 0). Returns its index or -1. */
int gb_op(gb_ctx *g, gb_oplist *l, int type, int n_in, const int *in, int n_out,
          const int *out);
void gb_oplist_free(gb_oplist *l);

/* Frees a gan_model built here (same ownership rules as gan_model_free, usable before the
 * loader's gan_model_free exists in a build). */
void gb_model_destroy(gan_model *m);

/* Per-sample numel of tensor t (numel / shape[0]). */
uint64_t gb_per_sample(const gan_model *m, int t);

/* Whether tensor t is read (as an input) by op o. */
int gb_op_reads(const gan_op *o, int t);

/* ---- the passes (lower.c drives them) ---- */

/* Reverse-mode autodiff over ops[0..n_fwd) of l, appending the backward ops to l.
 * param_grad[t] (t < n_param_grad) is the gradient tensor of parameter t when that parameter
 * is trained in this program, else -1; those buffers must already be zeroed. Loss ops carry
 * their weight in f[0]. Activation gradients get arena tensors "<name>.grad" with a ZERO
 * before their first accumulation. Only gradients that reach a trained parameter are built. */
int gan_autodiff(gb_ctx *g, gb_oplist *l, int n_fwd, const int *param_grad, int n_param_grad);

/* Forward-graph fusion before autodiff: sigmoid + BCE -> BCE with logits; DENSE / CONV2D /
 * CONV2D_T / BN + ACT -> activation epilogue. keep[] are tensors read after the program
 * (outputs), which a fusion must not remove. Returns 0 or -1. */
int gan_fuse_forward(gb_ctx *g, gb_oplist *l, const int *keep, int n_keep);

#endif
