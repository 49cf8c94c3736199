/* Per-op facts shared by the plan, the plan checker, the validator, the interpreter and the
 * reports: which slots an op reads and writes, how it writes them, how big its workspace must
 * be, and how many FLOPs it costs. Part of the model.bin library (format/), which both ganc and
 * ganrt link.
 */
#ifndef GAN_MODEL_OPINFO_H
#define GAN_MODEL_OPINFO_H

#include "format/model.h"

/* How an op touches one of its slots (bit set). */
enum {
    GAN_ACC_READ = 1,    /* contents are read */
    GAN_ACC_WRITE = 2,   /* contents are (over)written */
    GAN_ACC_SCRATCH = 4, /* workspace: written then read within the op; dead before and after */
};

typedef struct {
    int tensor;  /* tensor index (>= 0) */
    int access;  /* GAN_ACC_* bits */
    int is_out;  /* 1: an out slot, 0: an in slot */
    int slot;
} gan_op_use;

/* Lists the tensors an op touches, slot by slot (unused slots skipped), in the order
 * in0.., out0..; returns the count (<= 2 * GAN_OP_MAX_IO). Accumulated gradient outputs of
 * backward ops are READ|WRITE (they add into what is there), persistent tensors updated in
 * place (running stats, spectral-norm u when training, Adam state, EMA) are READ|WRITE,
 * workspaces are SCRATCH. Slot indices are not range-checked here. */
int gan_op_uses(const gan_op *op, gan_op_use uses[2 * GAN_OP_MAX_IO]);

/* 1 if out slot `slot` of this op type is a workspace. */
int gan_op_out_is_workspace(int type, int slot);

/* Floats the op's workspace must hold (0 when the op takes none). Tensor indices must have
 * been validated. */
uint64_t gan_op_workspace_floats(const gan_model *m, const gan_op *op);

/* The workspace rule of conv2d (im2col of one image: C*KH*KW*OH*OW floats) and conv2d_t (the
 * columns of one image: OC*KH*KW*H*W), in forward geometry; the one formula the compiler, the
 * runtime's kernels and the tests all use. */
uint64_t gan_conv_ws_floats(int transposed, int64_t c, int64_t oc, int64_t kh, int64_t kw,
                            int64_t h, int64_t w, int64_t oh, int64_t ow);

/* The workspace rule of upconv2d, per image in forward geometry (x [C,H,W], OC outputs): one
 * phase's 2x2 columns and one phase's output plane, (4C + OC)*H*W floats. */
uint64_t gan_upconv_ws_floats(int64_t c, int64_t oc, int64_t h, int64_t w);

/* Estimated floating-point operations of one run of the op: 2 x multiply-adds for the
 * GEMM-like ops, a few per element for the rest. Tensor indices must have been validated. */
double gan_op_flops(const gan_model *m, const gan_op *op);

/* Contract check of one op against ops.h: arity, indices in range, shapes, attributes,
 * workspace sizes. 0 = fine; else a message in err (without the op's position). */
int gan_op_validate(const gan_model *m, const gan_op *op, char *err, size_t errlen);

#endif
