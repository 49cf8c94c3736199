/* Element-wise and data-movement ops, forward and backward.
 *
 * ZERO      out0 := 0 (the compiler puts one before the first accumulation into a buffer)
 * COPY      in0 -> out0, same numel (reshape / flatten);   COPY_BWD: in0 dy -> out0 dx
 * UPSAMPLE  nearest: in0 x [N,C,H,W] -> out0 [N,C,H*k,W*k]; i1 factor k
 *           UPSAMPLE_BWD: in0 dy -> out0 dx; i1 factor
 * ACT       in0 x -> out0 act(x); i0 act, f0 alpha (out0 may alias in0)
 *           ACT_BWD: in0 y (forward output), in1 dy -> out0 dx (derivative from y: relu/leaky
 *           y > 0, tanh 1-y^2, sigmoid y(1-y))
 * CONCAT    in0..in(k-1) [N,Ci,(H,W)] same spatial -> out0 [N,sum Ci,(H,W)]
 *           CONCAT_BWD: in0 dy -> out0..out(k-1) dx_i (slot -1: skipped); the forward's input
 *           shapes are given by the outputs' shapes; i7 = k
 * TILE      in0 [N,L] -> out0 [N,L,H,W] (each value broadcast over H,W)
 *           TILE_BWD: in0 dy [N,L,H,W] -> out0 dx [N,L] (sum over H,W)
 * GAP       global average pool: in0 [N,C,H,W] -> out0 [N,C]
 *           GAP_BWD: in0 dy [N,C] -> out0 dx [N,C,H,W] (dy / (H*W))
 * ADD, MUL  in0 op in1 -> out0 (same shape)
 *           ADD_BWD: in0 dy -> out0 da, out1 db;  MUL_BWD: in0 a, in1 b, in2 dy -> out0 da, out1 db
 * ROWDOT    in0 a [N,F], in1 b [N,F] -> out0 [N,1] = sum_f a*b (projection)
 *           ROWDOT_BWD: in0 a, in1 b, in2 dy [N,1] -> out0 da, out1 db
 */
#include "format/op_check.h"

static double shape_flops(const gan_model *m, const gan_op *op)
{
    switch (op->type) {
    case GAN_OP_ZERO:
    case GAN_OP_COPY:
    case GAN_OP_COPY_BWD:
    case GAN_OP_UPSAMPLE:
    case GAN_OP_TILE:
    case GAN_OP_CONCAT: return 0.0; /* data movement only */
    case GAN_OP_ACT_BWD: return 2.0 * opc_numel_in(m, op, 1);
    case GAN_OP_MUL_BWD:
    case GAN_OP_ROWDOT:
    case GAN_OP_ROWDOT_BWD: return 4.0 * opc_numel_in(m, op, 0);
    default: return 2.0 * opc_numel_in(m, op, 0);
    }
}

static int check_upsample(vctx *v, const gan_tensor *small, const gan_tensor *big)
{
    if (opc_need_ndim(v, small, 4, 4, "x") || opc_need_ndim(v, big, 4, 4, "y"))
        return -1;
    int64_t k = v->op->i[1];
    if (k < 1 || k > 64)
        return opc_fail(v, "factor i1 = %lld out of range", (long long)k);
    if (big->shape[0] != small->shape[0] || big->shape[1] != small->shape[1] ||
        big->shape[2] != small->shape[2] * k || big->shape[3] != small->shape[3] * k) {
        char s1[64], s2[64];
        opc_shape_str(small, s1, sizeof s1);
        opc_shape_str(big, s2, sizeof s2);
        return opc_fail(v, "'%s' %s is not '%s' %s upsampled by %lld", big->name, s2,
                        small->name, s1, (long long)k);
    }
    return 0;
}

static int check_concat(vctx *v, const gan_tensor *whole, const int32_t *parts, int k, int all)
{
    if (opc_need_ndim(v, whole, 2, 4, "concatenation"))
        return -1;
    if (whole->ndim == 3)
        return opc_fail(v, "'%s' must be [N,C] or [N,C,H,W]", whole->name);
    int64_t sum = 0;
    int missing = 0;
    for (int j = 0; j < k; j++) {
        if (parts[j] < 0) {
            missing = 1;
            continue;
        }
        const gan_tensor *p = &v->m->tensors[parts[j]];
        int bad = p->ndim != whole->ndim || p->shape[0] != whole->shape[0];
        for (int d = 2; d < p->ndim && !bad; d++)
            bad = p->shape[d] != whole->shape[d];
        if (bad) {
            char s1[64], s2[64];
            opc_shape_str(p, s1, sizeof s1);
            opc_shape_str(whole, s2, sizeof s2);
            return opc_fail(v, "part '%s' %s does not fit '%s' %s", p->name, s1, whole->name, s2);
        }
        sum += p->shape[1];
    }
    if ((all || !missing) ? sum != whole->shape[1] : sum > whole->shape[1])
        return opc_fail(v, "parts have %lld channels, '%s' has %d", (long long)sum, whole->name,
                        whole->shape[1]);
    return 0;
}

/* The [N,L] side and the [N,L,H,W] side of TILE / GAP and their backwards. */
static int check_flat_map(vctx *v, const gan_tensor *vec, const gan_tensor *map, const char *what)
{
    if (opc_need_ndim(v, vec, 2, 2, "vector") || opc_need_ndim(v, map, 4, 4, "map"))
        return -1;
    if (map->shape[0] != vec->shape[0] || map->shape[1] != vec->shape[1])
        return what ? opc_need_shape(v, vec, map, what)
                    : opc_fail(v, "'%s' and '%s' differ in batch or channels", vec->name,
                               map->name);
    return 0;
}

static int check_rowdot(vctx *v, int bwd)
{
    const gan_tensor *a = IN(0), *b = IN(1);
    if ((a->shape[0] != b->shape[0] || a->numel != b->numel) &&
        opc_need_shape(v, a, b, "operands"))
        return -1;
    if (!bwd)
        return opc_need_numel(v, OUT(0), (uint64_t)a->shape[0], "row dot");
    if (opc_need_numel(v, IN(2), (uint64_t)a->shape[0], "dy"))
        return -1;
    return opc_need_shape(v, OUT(0), a, "da") || opc_need_shape(v, OUT(1), b, "db") ? -1 : 0;
}

static int shape_validate(vctx *v)
{
    const gan_op *op = v->op;
    const gan_tensor *x = IN(0), *y = OUT(0);
    switch (op->type) {
    case GAN_OP_ZERO: return 0;
    case GAN_OP_COPY:
    case GAN_OP_COPY_BWD: return opc_need_numel(v, y, x->numel, "copy");
    case GAN_OP_UPSAMPLE: return check_upsample(v, x, y);
    case GAN_OP_UPSAMPLE_BWD: return check_upsample(v, y, x);
    case GAN_OP_ACT: return opc_need_act(v) || opc_need_shape(v, y, x, "y vs x") ? -1 : 0;
    case GAN_OP_ACT_BWD:
        return opc_need_act(v) || opc_need_shape(v, IN(1), x, "dy vs y") ||
                       opc_need_shape(v, y, x, "dx vs y")
                   ? -1
                   : 0;
    case GAN_OP_CONCAT: return check_concat(v, y, op->in, op->n_in, 1);
    case GAN_OP_CONCAT_BWD:
        if (op->i[7] < 1 || op->i[7] > GAN_OP_MAX_IO || op->i[7] < op->n_out)
            return opc_fail(v, "part count i7 = %d does not fit %d out slots", op->i[7],
                            op->n_out);
        return check_concat(v, x, op->out, op->n_out, 0);
    case GAN_OP_TILE: return check_flat_map(v, x, y, NULL);
    case GAN_OP_TILE_BWD: return check_flat_map(v, y, x, NULL);
    case GAN_OP_GAP: return check_flat_map(v, y, x, "pooled vs input");
    case GAN_OP_GAP_BWD: return check_flat_map(v, x, y, "dx vs dy");
    case GAN_OP_ADD:
    case GAN_OP_MUL:
        return opc_need_shape(v, IN(1), x, "operands") || opc_need_shape(v, y, x, "result") ? -1
                                                                                          : 0;
    case GAN_OP_ADD_BWD:
        return opc_need_shape(v, OUT(0), x, "da vs dy") || opc_need_shape(v, OUT(1), x, "db vs dy")
                   ? -1
                   : 0;
    case GAN_OP_MUL_BWD:
        return opc_need_shape(v, IN(1), x, "operands") || opc_need_shape(v, IN(2), x, "dy") ||
                       opc_need_shape(v, OUT(0), x, "da") || opc_need_shape(v, OUT(1), x, "db")
                   ? -1
                   : 0;
    case GAN_OP_ROWDOT: return check_rowdot(v, 0);
    default: return check_rowdot(v, 1);
    }
}

const gan_op_fns gan_ops_shape = {shape_validate, shape_flops, NULL};
