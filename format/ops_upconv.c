/* upconv2d: nearest 2x upsampling followed by a 3x3, stride-1, pad-1 convolution, as one op.
 *
 * UPCONV2D     in0 x [N,C,H,W], in1 w [OC,C,3,3], in2 b [OC] | -1
 *              out0 y [N,OC,2H,2W], out1 workspace | -1
 *              y = act(b + conv3x3_pad1(upsample2_nearest(x), w)), exactly the pair of ops
 *              it replaces; i0 act, f0 alpha (i1..i3 are 0)
 *              workspace: (4C + OC)*H*W floats (one image's phase columns and phase plane)
 * UPCONV2D_BWD in0 x, in1 w, in2 y | -1 (needed when act != none), in3 dy
 *              out0 dx, out1 dw, out2 db, out3 workspace | -1; attributes as the forward
 *
 * Why one op: each output pixel of the upsampled convolution sees a 2x2 window of x (the 3x3
 * taps fall on 2 distinct input rows and 2 columns), so the four output phases (row parity,
 * column parity) are 2x2 convolutions of x with summed weights: 16 multiply-adds per input
 * pixel and channel pair instead of 36, and the 4x larger upsampled tensor (and its gradient)
 * is never stored. The compiler's fusion pass (compiler/fuse.c) forms it.
 */
#include "format/op_check.h"

uint64_t gan_upconv_ws_floats(int64_t c, int64_t oc, int64_t h, int64_t w)
{
    return (uint64_t)((4 * c + oc) * h * w);
}

static int is_bwd(int type) { return type == GAN_OP_UPCONV2D_BWD; }

static int shapes_of(const gan_model *m, const gan_op *op, const gan_tensor **x,
                     const gan_tensor **y)
{
    *x = opc_in(m, op, 0);
    *y = is_bwd(op->type) ? opc_in(m, op, 3) : opc_out(m, op, 0);
    return *x && *y && (*x)->ndim == 4 && (*y)->ndim == 4 ? 0 : -1;
}

static uint64_t upconv_workspace(const gan_model *m, const gan_op *op)
{
    const gan_tensor *x, *y;
    if (shapes_of(m, op, &x, &y))
        return 0;
    return gan_upconv_ws_floats(x->shape[1], y->shape[1], x->shape[2], x->shape[3]);
}

static double upconv_flops(const gan_model *m, const gan_op *op)
{
    const gan_tensor *x, *y;
    if (shapes_of(m, op, &x, &y))
        return 0.0;
    /* per input pixel: 4 phases x 4 taps x C x OC multiply-adds */
    double macs = 16.0 * x->shape[0] * x->shape[1] * x->shape[2] * x->shape[3] * y->shape[1];
    double epi = 2.0 * (double)y->numel;
    if (!is_bwd(op->type))
        return 2.0 * macs + epi;
    if (op->n_out > 0 && op->out[0] >= 0)
        epi += 2.0 * macs;
    if (op->n_out > 1 && op->out[1] >= 0)
        epi += 2.0 * macs;
    return epi;
}

static int upconv_validate(vctx *v)
{
    int bwd = is_bwd(v->op->type);
    const gan_tensor *x = IN(0), *w = IN(1);
    const gan_tensor *y = bwd ? IN(3) : OUT(0);
    if (opc_need_ndim(v, x, 4, 4, "x") || opc_need_ndim(v, w, 4, 4, "weight") ||
        opc_need_ndim(v, y, 4, 4, bwd ? "dy" : "y") || opc_need_act(v))
        return -1;
    if (v->op->i[1] || v->op->i[2] || v->op->i[3])
        return opc_fail(v, "attributes i1..i3 must be 0 (stride 1 and padding 1 are implied)");
    int64_t n = x->shape[0], c = x->shape[1], h = x->shape[2], wd = x->shape[3];
    int64_t oc = y->shape[1];
    if (w->shape[0] != oc || w->shape[1] != c || w->shape[2] != 3 || w->shape[3] != 3)
        return opc_fail(v, "weight '%s' [%d,%d,%d,%d] is not [%lld,%lld,3,3]", w->name,
                        w->shape[0], w->shape[1], w->shape[2], w->shape[3], (long long)oc,
                        (long long)c);
    if (y->shape[0] != n || y->shape[2] != 2 * h || y->shape[3] != 2 * wd) {
        char sx[64], sy[64];
        opc_shape_str(x, sx, sizeof sx);
        opc_shape_str(y, sy, sizeof sy);
        return opc_fail(v, "'%s' %s is not '%s' %s upsampled 2x", y->name, sy, x->name, sx);
    }
    if (2 * h + 2 > INT32_MAX / 2 || 2 * wd + 2 > INT32_MAX / 2)
        return opc_fail(v, "'%s' is too large", x->name);
    return opc_need_conv_tail(v, bwd, x, w, y, oc, upconv_workspace(v->m, v->op));
}

const gan_op_fns gan_ops_upconv = {upconv_validate, upconv_flops, upconv_workspace};
