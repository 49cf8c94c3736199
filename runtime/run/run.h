/* The interpreter's call of each op's kernel, one function per op family (op_list.h), behind
 * the dispatch table in runtime/exec.c. By the time one runs, the op has passed its contract
 * (gan_op_validate) and every operand has been resolved inside its region: a run function
 * only unpacks shapes and calls kernels. Internal to the runtime. */
#ifndef GAN_RUNTIME_RUN_H
#define GAN_RUNTIME_RUN_H

#include <stddef.h>
#include "format/model.h"
#include "runtime/kernels.h"

typedef struct {
    const gan_model *m;
    const gan_op *op;
    float *in[GAN_OP_MAX_IO], *out[GAN_OP_MAX_IO];            /* NULL: slot unused */
    const gan_tensor *tin[GAN_OP_MAX_IO], *tout[GAN_OP_MAX_IO];
    int threads;
    kern_scratch *scratch; /* may be NULL */
    int row0; /* the batch's first row in the global batch (data-parallel ranks; else 0):
                 per-sample draws (diffaug) hash the global row */
    /* for the failures only a run can see (out of memory, an optimizer step count) */
    const char *prog;
    int idx;
    char *err;
    size_t errlen;
} gan_run_ctx;

#define GAN_OP_FAMILY(F) int gan_run_##F(const gan_run_ctx *c);
#include "format/op_list.h"
#undef GAN_OP_FAMILY

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int gan_run_fail(const gan_run_ctx *c, const char *fmt, ...);

/* Dimension d of a resolved tensor (1 past its rank), and its per-sample size. */
static inline int run_dim(const gan_tensor *t, int d) { return d < t->ndim ? t->shape[d] : 1; }
static inline size_t run_per_sample(const gan_tensor *t)
{
    return t->shape[0] > 0 ? (size_t)(t->numel / (uint64_t)t->shape[0]) : 0;
}
static inline size_t run_numel(const gan_tensor *t) { return (size_t)t->numel; }

#endif
