/* Instance normalisation: statistics per sample and channel over H,W (biased variance), as
 * torch's InstanceNorm2d without running statistics.
 *
 * INSTANCE_NORM      in0 x [N,C,H,W], in1 gamma [C] | -1, in2 beta [C] | -1
 *                    out0 y = gamma * (x - mean) * invstd + beta,
 *                    out1 saved_mean [N*C] | -1, out2 saved_invstd [N*C] | -1
 *                    (1/sqrt(var+eps); both may be left out in a forward-only program); f2 eps
 * INSTANCE_NORM_BWD  in0 x, in1 gamma | -1, in2 dy, in3 saved_mean, in4 saved_invstd
 *                    out0 dx, out1 dgamma, out2 dbeta (each optional)
 */
#include "format/op_check.h"

static double inorm_flops(const gan_model *m, const gan_op *op)
{
    return 8.0 * opc_numel_in(m, op, 0);
}

static int inorm_validate(vctx *v)
{
    int bwd = v->op->type == GAN_OP_INSTANCE_NORM_BWD;
    const gan_tensor *x = IN(0);
    if (opc_need_ndim(v, x, 4, 4, "x"))
        return -1;
    uint64_t c = (uint64_t)x->shape[1], nc = (uint64_t)x->shape[0] * c;
    if (opc_need_numel(v, IN(1), c, "gamma"))
        return -1;
    if (bwd)
        return opc_need_shape(v, IN(2), x, "dy vs x") || opc_need_numel(v, IN(3), nc, "saved mean") ||
                       opc_need_numel(v, IN(4), nc, "saved invstd") ||
                       opc_need_shape(v, OUT(0), x, "dx vs x") ||
                       opc_need_numel(v, OUT(1), c, "dgamma") || opc_need_numel(v, OUT(2), c, "dbeta")
                   ? -1
                   : 0;
    if (opc_need_numel(v, IN(2), c, "beta") || opc_need_shape(v, OUT(0), x, "y vs x") ||
        opc_need_numel(v, OUT(1), nc, "saved mean") || opc_need_numel(v, OUT(2), nc, "saved invstd"))
        return -1;
    if (!(v->op->f[2] >= 0.0f && v->op->f[2] < 1.0f))
        return opc_fail(v, "eps f2 = %g out of range", (double)v->op->f[2]);
    return 0;
}

const gan_op_fns gan_ops_instance_norm = {inorm_validate, inorm_flops, NULL};
