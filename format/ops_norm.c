/* Normalisations: batch norm (training and inference form) and spectral norm.
 *
 * BN_TRAIN      batch norm with batch statistics over N (and H,W) per channel C
 *               in0 x [N,C] or [N,C,H,W], in1 gamma [C] | -1, in2 beta [C] | -1,
 *               in3 running_mean [C], in4 running_var [C]  (both updated in place:
 *                 r = momentum * r + (1 - momentum) * batch   -- Keras convention;
 *                 running_var takes the unbiased batch variance)
 *               out0 y = act(gamma * (x - mean) * invstd + beta),
 *               out1 saved_mean [C], out2 saved_invstd [C] = 1/sqrt(var_biased+eps)
 *               i0 act, f0 alpha, f1 momentum, f2 eps
 * BN_INFER      in0 x, in1 gamma|-1, in2 beta|-1, in3 running_mean, in4 running_var
 *               out0 y = act(gamma * (x - rm) / sqrt(rv + eps) + beta); i0 act, f0 alpha, f2 eps
 * BN_TRAIN_BWD  in0 x, in1 gamma | -1, in2 y | -1 (needed when act != none),
 *               in3 dy, in4 saved_mean, in5 saved_invstd
 *               out0 dx, out1 dgamma, out2 dbeta; i0 act, f0 alpha
 * BN_INFER_BWD  in0 x (for its shape), in1 gamma|-1, in2 y|-1 (needed when act != none),
 *               in3 dy, in4 running_var; out0 dx += act'(y) dy * gamma / sqrt(rv + eps)
 *               (the statistics are constants: an input gradient, for ganrt visualize);
 *               i0 act, f0 alpha, f2 eps
 * SPECTRAL_NORM in0 w [O, ...] viewed as an O x K matrix (K = numel/O),
 *               in1 u [O] (persistent state)
 *               out0 w_sn (shape of w), out1 v [K] (saved), out2 sigma [1] (saved); out1 and
 *               out2 may be -1 in a forward-only program
 *               i0 training: 1 = one power iteration, u updated in place:
 *                   v = normalize(W^T u); u = normalize(W v)
 *                 0 = no update: v = normalize(W^T u)
 *               sigma = u^T W v; w_sn = w / sigma; f0 eps (normalize: x/max(|x|,eps))
 * SPECTRAL_NORM_BWD
 *               in0 w, in1 u (as updated by the forward), in2 v, in3 sigma, in4 dw_sn
 *               out0 dw += dw_sn/sigma - (sum(dw_sn * w) / sigma^2) * u v^T
 *               (u, v treated as constants, as PyTorch's spectral_norm)
 */
#include "format/op_check.h"

static double norm_flops(const gan_model *m, const gan_op *op)
{
    double n = opc_numel_in(m, op, 0);
    switch (op->type) {
    case GAN_OP_BN_INFER:
    case GAN_OP_BN_INFER_BWD: return 4.0 * n;
    case GAN_OP_SPECTRAL_NORM: return 5.0 * n; /* W^T u, W v, then the division */
    case GAN_OP_SPECTRAL_NORM_BWD: return 6.0 * n;
    default: return 8.0 * n; /* BN_TRAIN and its backward */
    }
}

static int bn_validate(vctx *v, int bwd)
{
    const gan_tensor *x = IN(0);
    if (opc_need_ndim(v, x, 2, 4, "x") || opc_need_act(v))
        return -1;
    if (x->ndim == 3)
        return opc_fail(v, "x '%s' must be [N,C] or [N,C,H,W]", x->name);
    uint64_t c = (uint64_t)x->shape[1];
    if (opc_need_numel(v, IN(1), c, "gamma"))
        return -1;
    if (v->op->type == GAN_OP_BN_INFER_BWD) {
        if (opc_need_y_for_act(v, 2) || opc_need_shape(v, IN(2), x, "y vs x") ||
            opc_need_shape(v, IN(3), x, "dy vs x") || opc_need_numel(v, IN(4), c, "running var") ||
            opc_need_shape(v, OUT(0), x, "dx vs x"))
            return -1;
        if (!(v->op->f[2] >= 0.0f && v->op->f[2] < 1.0f))
            return opc_fail(v, "eps f2 = %g out of range", (double)v->op->f[2]);
        return 0;
    }
    if (bwd)
        return opc_need_y_for_act(v, 2) || opc_need_shape(v, IN(2), x, "y vs x") ||
                       opc_need_shape(v, IN(3), x, "dy vs x") ||
                       opc_need_numel(v, IN(4), c, "saved mean") ||
                       opc_need_numel(v, IN(5), c, "saved invstd") ||
                       opc_need_shape(v, OUT(0), x, "dx vs x") ||
                       opc_need_numel(v, OUT(1), c, "dgamma") || opc_need_numel(v, OUT(2), c, "dbeta")
                   ? -1
                   : 0;
    if (opc_need_numel(v, IN(2), c, "beta") || opc_need_numel(v, IN(3), c, "running mean") ||
        opc_need_numel(v, IN(4), c, "running var") || opc_need_shape(v, OUT(0), x, "y vs x"))
        return -1;
    if (v->op->type == GAN_OP_BN_TRAIN && (opc_need_numel(v, OUT(1), c, "saved mean") ||
                                           opc_need_numel(v, OUT(2), c, "saved invstd")))
        return -1;
    if (opc_need_finite(v, v->op->f[1], "momentum f1"))
        return -1;
    if (!(v->op->f[2] >= 0.0f && v->op->f[2] < 1.0f))
        return opc_fail(v, "eps f2 = %g out of range", (double)v->op->f[2]);
    return 0;
}

static int sn_validate(vctx *v, int bwd)
{
    const gan_tensor *x = IN(0), *y = OUT(0);
    if (x->shape[0] < 1)
        return opc_fail(v, "w '%s' has no rows", x->name);
    uint64_t o = (uint64_t)x->shape[0];
    if (bwd)
        return opc_need_numel(v, IN(1), o, "u") || opc_need_numel(v, IN(2), x->numel / o, "v") ||
                       opc_need_numel(v, IN(3), 1, "sigma") ||
                       opc_need_shape(v, IN(4), x, "dw_sn vs w") || opc_need_shape(v, y, x, "dw vs w")
                   ? -1
                   : 0;
    if (opc_need_numel(v, IN(1), o, "u") || opc_need_shape(v, y, x, "w_sn vs w") ||
        opc_need_numel(v, OUT(1), x->numel / o, "v") || opc_need_numel(v, OUT(2), 1, "sigma"))
        return -1;
    if (v->op->i[0] != 0 && v->op->i[0] != 1)
        return opc_fail(v, "training flag i0 = %d must be 0 or 1", v->op->i[0]);
    return 0;
}

static int norm_validate(vctx *v)
{
    switch (v->op->type) {
    case GAN_OP_BN_TRAIN:
    case GAN_OP_BN_INFER: return bn_validate(v, 0);
    case GAN_OP_BN_TRAIN_BWD:
    case GAN_OP_BN_INFER_BWD: return bn_validate(v, 1);
    case GAN_OP_SPECTRAL_NORM: return sn_validate(v, 0);
    default: return sn_validate(v, 1);
    }
}

const gan_op_fns gan_ops_norm = {norm_validate, norm_flops, NULL};
