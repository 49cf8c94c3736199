/* Average pooling without padding.
 *
 * AVG_POOL      in0 x [N,C,H,W] -> out0 y [N,C,(H-k)/s+1,(W-k)/s+1], the mean of each k x k
 *               window (an incomplete last window is dropped); i1 kernel k, i2 stride s
 * AVG_POOL_BWD  in0 dy [N,C,OH,OW] -> out0 dx [N,C,H,W] += dy / (k*k) over each window;
 *               attributes as the forward
 */
#include "format/op_check.h"

static double pool_flops(const gan_model *m, const gan_op *op)
{
    /* one add per window element, one scale per output */
    const gan_tensor *y = op->type == GAN_OP_AVG_POOL ? opc_out(m, op, 0) : opc_in(m, op, 0);
    double per = (double)op->i[1] * op->i[1];
    return y ? (double)y->numel * (per + 1.0) : 0.0;
}

static int pool_validate(vctx *v)
{
    int bwd = v->op->type == GAN_OP_AVG_POOL_BWD;
    const gan_tensor *x = bwd ? OUT(0) : IN(0), *y = bwd ? IN(0) : OUT(0);
    if (opc_need_ndim(v, x, 4, 4, bwd ? "dx" : "x") || opc_need_ndim(v, y, 4, 4, bwd ? "dy" : "y"))
        return -1;
    int64_t k = v->op->i[1], s = v->op->i[2];
    if (k < 1 || k > x->shape[2] || k > x->shape[3])
        return opc_fail(v, "kernel i1 = %lld must be 1..%d (the input's smaller side)",
                        (long long)k, x->shape[2] < x->shape[3] ? x->shape[2] : x->shape[3]);
    if (s < 1 || s > 64)
        return opc_fail(v, "stride i2 = %lld out of range", (long long)s);
    int64_t oh = (x->shape[2] - k) / s + 1, ow = (x->shape[3] - k) / s + 1;
    if (y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1] || y->shape[2] != oh ||
        y->shape[3] != ow) {
        char sx[64], sy[64];
        opc_shape_str(x, sx, sizeof sx);
        opc_shape_str(y, sy, sizeof sy);
        return opc_fail(v, "'%s' %s is not '%s' %s pooled %lldx%lld with stride %lld (expected "
                           "%lldx%lld)",
                        y->name, sy, x->name, sx, (long long)k, (long long)k, (long long)s,
                        (long long)oh, (long long)ow);
    }
    return 0;
}

const gan_op_fns gan_ops_pool = {pool_validate, pool_flops, NULL};
