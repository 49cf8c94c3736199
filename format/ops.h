/* The op set: the contract between ganc (which emits programs) and ganrt (which runs them).
 * The ops themselves are declared once, in format/op_list.h; this header generates the enum and
 * the per-op facts from it. Each op's slots and meaning are written beside its checker, in
 * format/ops_<family>.c.
 *
 * Every op has fixed positional inputs and outputs (tensor indices into gan_model.tensors,
 * -1 where an optional slot is unused) and fixed attribute slots i[] and f[]. Layout is NCHW
 * float32 everywhere; a tensor of rank 2 is [N, F]; a "per-sample" size is numel / N.
 *
 * Backward ops ADD into their gradient outputs (the llm.c habit); the compiler inserts
 * GAN_OP_ZERO before the first accumulation into a buffer. A backward op may overwrite its
 * dy input (dy of a tensor is read only by the backward of that tensor's producer).
 *
 * Changing the meaning or numbering of anything here or in op_list.h changes the model.bin
 * format: bump GAN_FORMAT_VERSION in model.h.
 */
#ifndef GAN_OPS_H
#define GAN_OPS_H

typedef enum {
    GAN_ACT_NONE = 0,
    GAN_ACT_RELU = 1,
    GAN_ACT_LEAKY_RELU = 2, /* slope f[0] (alpha) for x < 0 */
    GAN_ACT_TANH = 3,
    GAN_ACT_SIGMOID = 4,
    GAN_ACT_COUNT
} gan_act;

/* Attribute slots used below:
 *   ACT   = i[0] activation (gan_act), ALPHA = f[0] leaky slope
 *   conv: STRIDE = i[1], PAD_T = i[2], PAD_L = i[3]; kernel size comes from the weight's shape,
 *         output size from the output's shape (bottom/right padding is what remains, so TF
 *         "same" with even kernels is expressible).
 *   loss ops: WEIGHT = f[0] (used by the backward only: dL/dinput is scaled by it),
 *             PARAM = f[1] (constant target of BCE when in1 = -1; scale of MEAN)
 */
typedef enum {
#define GAN_OP(ID, NUM, ...) GAN_OP_##ID = NUM,
#include "format/op_list.h"
#undef GAN_OP
    GAN_OP_COUNT,
    GAN_OP_NONE = -1 /* "no such op" in the table's BWD column */
} gan_op_type;

/* Each number is its row's position: a gap or a duplicate in op_list.h fails to compile. */
#define GAN_OP(ID, NUM, ...) +1
enum { GAN_OP_ROWS = 0
#include "format/op_list.h"
};
#undef GAN_OP
/* (a duplicate number is caught in op_table.c, whose designated initialisers then overlap) */
_Static_assert((int)GAN_OP_ROWS == (int)GAN_OP_COUNT, "op_list.h: numbers must be 0..N-1 in order");

typedef enum {
    GAN_OPK_BOOK = 0, /* bookkeeping: zero, loss_sum; never differentiated */
    GAN_OPK_FWD,      /* a forward op: may have a gradient rule */
    GAN_OPK_LOSS,     /* a loss term: its backward is seeded with its weight f0 */
    GAN_OPK_BWD,      /* a backward op: ADDS into its gradient outputs */
    GAN_OPK_OPTIM     /* updates persistent state in place (Adam, EMA) */
} gan_op_kind;

enum {
    GAN_OPF_EPILOGUE = 1u << 0,        /* i0/f0 carry an activation applied to out0; a following
                                          ACT folds into it (compiler/fuse.c) */
    GAN_OPF_ACT = 1u << 1,             /* the op is an activation (i0/f0) */
    GAN_OPF_ALIAS_IN0 = 1u << 2,       /* out0 may be the same tensor as in0 */
    GAN_OPF_VARIADIC = 1u << 3,        /* the slots in use are counted by n_in / n_out */
    GAN_OPF_UPD_IF_TRAINING = 1u << 4, /* UPD slots are updated only when i0 = 1 */
};

/* The static facts of one op, generated from its op_list.h row. */
typedef struct {
    const char *name;
    int kind;                 /* gan_op_kind */
    int family;               /* gan_op_family */
    const char *in, *out;     /* slot specs */
    unsigned diff, upd;       /* input-slot masks */
    int ws_slot;              /* workspace out slot, or -1 */
    unsigned flags;           /* GAN_OPF_* */
    int bwd;                  /* gan_op_type of the backward op, or GAN_OP_NONE */
    const char *bwd_in, *bwd_out;
} gan_op_info;

typedef enum {
#define GAN_OP_FAMILY(F) GAN_OPFAM_##F,
#include "format/op_list.h"
#undef GAN_OP_FAMILY
    GAN_OPFAM_COUNT
} gan_op_family;

/* The row of op `type`, or NULL for a number that is no op. */
const gan_op_info *gan_op_info_of(int type);

/* Short lower-case name of an op ("conv2d_bwd"), "?" for a number that is no op. */
const char *gan_op_name(int type);
const char *gan_act_name(int act);

/* Predicates from the table (0 for a number that is no op). */
int gan_op_kind_of(int type);     /* gan_op_kind, -1 for no op */
int gan_op_is_backward(int type);
int gan_op_is_loss(int type);
unsigned gan_op_flags(int type);
int gan_op_differentiable(int type, int slot);
int gan_op_backward(int type);    /* the backward op, or GAN_OP_NONE */

#endif
