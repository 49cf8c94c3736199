/* What the op families in format/ops_<family>.c share: the checking context, the shape
 * helpers, and the three functions each family provides to the op table. Internal to format/. */
#ifndef GAN_FORMAT_OP_CHECK_H
#define GAN_FORMAT_OP_CHECK_H

#include <stdint.h>
#include "format/model_opinfo.h"

typedef struct {
    const gan_model *m;
    const gan_op *op;
    char *err;
    size_t errlen;
} vctx;

/* One family's behaviour: each function switches on op->type within the family. */
typedef struct {
    /* the op's contract beyond what the table checks (slots, indices, aliasing, finite f[]) */
    int (*validate)(vctx *v);
    /* 2 x multiply-adds for GEMM-like ops, a few per element for the rest */
    double (*flops)(const gan_model *m, const gan_op *op);
    /* floats the workspace slot must hold; NULL when no op of the family has one */
    uint64_t (*workspace)(const gan_model *m, const gan_op *op);
} gan_op_fns;

#define GAN_OP_FAMILY(F) extern const gan_op_fns gan_ops_##F;
#include "format/op_list.h"
#undef GAN_OP_FAMILY

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int opc_fail(vctx *v, const char *fmt, ...);

/* The tensor in slot `slot`, or NULL when the slot is unused or not a valid index. */
const gan_tensor *opc_in(const gan_model *m, const gan_op *op, int slot);
const gan_tensor *opc_out(const gan_model *m, const gan_op *op, int slot);
double opc_numel_in(const gan_model *m, const gan_op *op, int slot);
double opc_numel_out(const gan_model *m, const gan_op *op, int slot);
void opc_shape_str(const gan_tensor *t, char *buf, size_t len);

/* Each returns 0, or -1 with the message set; a NULL tensor (absent slot) always passes. */
int opc_need_shape(vctx *v, const gan_tensor *a, const gan_tensor *b, const char *what);
int opc_need_numel(vctx *v, const gan_tensor *a, uint64_t numel, const char *what);
int opc_need_ndim(vctx *v, const gan_tensor *a, int lo, int hi, const char *what);
int opc_need_act(vctx *v);
int opc_need_finite(vctx *v, float f, const char *what);
/* The dy-side backward rule: with an activation epilogue the forward output y (slot y_slot)
 * is needed to form the activation's derivative. */
int opc_need_y_for_act(vctx *v, int y_slot);

#define IN(j) opc_in(v->m, v->op, (j))
#define OUT(j) opc_out(v->m, v->op, (j))

/* The checks every convolution-like op (conv2d, conv2d_t, upconv2d) ends with: the bias
 * (forward slot 2) of oc floats; the backward's y (slot 2, when an activation is fused), dx,
 * dw and db shaped as x, w and [oc]; the workspace (out slot 1, or 3 in the backward) of at
 * least ws_need floats; a finite alpha f0. */
int opc_need_conv_tail(vctx *v, int bwd, const gan_tensor *x, const gan_tensor *w,
                       const gan_tensor *y, int64_t oc, uint64_t ws_need);

#endif
