/* conv2d and conv2d_t, forward and backward.
 *
 * CONV2D       in0 x [N,C,H,W], in1 w [OC,C,KH,KW], in2 b [OC] | -1
 *              out0 y [N,OC,OH,OW], out1 workspace | -1
 *              y[n,o,oh,ow] = act(b[o] + sum_{c,kh,kw} w[o,c,kh,kw] *
 *                  x[n,c, oh*s - pt + kh, ow*s - pl + kw])   (zero outside)
 *              i0 act, i1 stride, i2 pad_t, i3 pad_l, f0 alpha
 *              workspace: C*KH*KW*OH*OW floats (one image's im2col)
 * CONV2D_T     transposed conv: in0 x [N,C,H,W], in1 w [C,OC,KH,KW], in2 b | -1
 *              out0 y [N,OC,OH,OW], out1 workspace | -1
 *              y[n,o, h*s - pt + kh, w*s - pl + kw] += x[n,c,h,w] * w[c,o,kh,kw]
 *              (dropped where outside), then + b, then act. Attributes as CONV2D.
 *              workspace: OC*KH*KW*H*W floats (one image's columns)
 * CONV2D_BWD, CONV2D_T_BWD
 *              in0 x, in1 w, in2 y | -1 (needed when act != none), in3 dy
 *              out0 dx, out1 dw, out2 db, out3 workspace | -1; attributes as the forward
 *
 * Kernel size comes from the weight's shape, output size from the output's shape (bottom/right
 * padding is what remains, so TF "same" with even kernels is expressible).
 */
#include "format/op_check.h"

uint64_t gan_conv_ws_floats(int transposed, int64_t c, int64_t oc, int64_t kh, int64_t kw,
                            int64_t h, int64_t w, int64_t oh, int64_t ow)
{
    return transposed ? (uint64_t)(oc * kh * kw * h * w) : (uint64_t)(c * kh * kw * oh * ow);
}

/* Forward geometry: x [N,C,H,W], y (or dy) [N,OC,OH,OW], kernel KHxKW. */
typedef struct {
    int64_t n, c, h, w, oc, oh, ow, kh, kw;
} conv_geom;

static int is_transposed(int type) { return type == GAN_OP_CONV2D_T || type == GAN_OP_CONV2D_T_BWD; }
static int is_bwd(int type) { return type == GAN_OP_CONV2D_BWD || type == GAN_OP_CONV2D_T_BWD; }

static int geom_of(const gan_model *m, const gan_op *op, conv_geom *g)
{
    const gan_tensor *x = opc_in(m, op, 0), *w = opc_in(m, op, 1);
    const gan_tensor *y = is_bwd(op->type) ? opc_in(m, op, 3) : opc_out(m, op, 0);
    if (!x || !w || !y || x->ndim != 4 || w->ndim != 4 || y->ndim != 4)
        return -1;
    *g = (conv_geom){x->shape[0], x->shape[1], x->shape[2], x->shape[3], y->shape[1],
                     y->shape[2], y->shape[3], w->shape[2], w->shape[3]};
    return 0;
}

static uint64_t conv_workspace(const gan_model *m, const gan_op *op)
{
    conv_geom g;
    if (geom_of(m, op, &g))
        return 0;
    return gan_conv_ws_floats(is_transposed(op->type), g.c, g.oc, g.kh, g.kw, g.h, g.w, g.oh,
                              g.ow);
}

static double conv_flops(const gan_model *m, const gan_op *op)
{
    conv_geom g;
    if (geom_of(m, op, &g))
        return 0.0;
    double macs = is_transposed(op->type) ? (double)g.n * g.c * g.h * g.w * g.oc * g.kh * g.kw
                                          : (double)g.n * g.oc * g.oh * g.ow * g.c * g.kh * g.kw;
    double epi = 2.0 * (double)g.n * g.oc * g.oh * g.ow; /* bias + activation (or their grads) */
    if (!is_bwd(op->type))
        return 2.0 * macs + epi;
    if (op->n_out > 0 && op->out[0] >= 0)
        epi += 2.0 * macs;
    if (op->n_out > 1 && op->out[1] >= 0)
        epi += 2.0 * macs;
    return epi;
}

/* Remaining (bottom/right) padding must be within (-stride, kernel): negative by less than a
 * stride means input rows the last window never reaches. */
static int check_geometry(vctx *v, const gan_tensor *x, const gan_tensor *y, int64_t kh,
                          int64_t kw)
{
    int64_t s = v->op->i[1], pt = v->op->i[2], pl = v->op->i[3];
    int64_t h = x->shape[2], wd = x->shape[3], oh = y->shape[2], ow = y->shape[3];
    if (s < 1 || s > 64)
        return opc_fail(v, "stride i1 = %lld out of range", (long long)s);
    if (pt < 0 || pl < 0 || pt >= kh || pl >= kw)
        return opc_fail(v, "padding (top %lld, left %lld) must be >= 0 and smaller than the "
                           "kernel %lldx%lld",
                        (long long)pt, (long long)pl, (long long)kh, (long long)kw);
    /* the kernels index with int: the largest position they form must fit */
    int64_t gh = is_transposed(v->op->type) ? h : oh, gw = is_transposed(v->op->type) ? wd : ow;
    if ((gh - 1) * s + kh + pt > INT32_MAX / 2 || (gw - 1) * s + kw + pl > INT32_MAX / 2)
        return opc_fail(v, "stride %lld / padding (%lld, %lld) too large for the tensor sizes",
                        (long long)s, (long long)pt, (long long)pl);
    int64_t pb, pr;
    if (!is_transposed(v->op->type)) {
        pb = (oh - 1) * s + kh - h - pt;
        pr = (ow - 1) * s + kw - wd - pl;
    } else {
        pb = (h - 1) * s + kh - pt - oh;
        pr = (wd - 1) * s + kw - pl - ow;
    }
    const char *why = pb < -(s - 1) || pr < -(s - 1) ? "too small"
                      : pb >= kh || pr >= kw         ? "too large"
                                                     : NULL;
    if (!why)
        return 0;
    char sx[64], sy[64];
    opc_shape_str(x, sx, sizeof sx);
    opc_shape_str(y, sy, sizeof sy);
    return opc_fail(v, "output '%s' %s is %s for input '%s' %s with kernel %lldx%lld, stride "
                       "%lld, padding top %lld left %lld",
                    y->name, sy, why, x->name, sx, (long long)kh, (long long)kw, (long long)s,
                    (long long)pt, (long long)pl);
}

static int conv_validate(vctx *v)
{
    int transposed = is_transposed(v->op->type), bwd = is_bwd(v->op->type);
    const gan_tensor *x = IN(0), *w = IN(1);
    const gan_tensor *y = bwd ? IN(3) : OUT(0); /* y or dy: the output geometry */
    if (opc_need_ndim(v, x, 4, 4, "x") || opc_need_ndim(v, w, 4, 4, "weight") ||
        opc_need_ndim(v, y, 4, 4, bwd ? "dy" : "y") || opc_need_act(v))
        return -1;
    int64_t n = x->shape[0], c = x->shape[1], oc = y->shape[1];
    int64_t wc = transposed ? w->shape[0] : w->shape[1];
    int64_t woc = transposed ? w->shape[1] : w->shape[0];
    if (y->shape[0] != n)
        return opc_fail(v, "batch of '%s' (%d) differs from '%s' (%lld)", y->name, y->shape[0],
                        x->name, (long long)n);
    if (wc != c || woc != oc)
        return opc_fail(v, "weight '%s' [%d,%d,%d,%d] does not fit %lld input and %lld output "
                           "channels",
                        w->name, w->shape[0], w->shape[1], w->shape[2], w->shape[3],
                        (long long)c, (long long)oc);
    if (check_geometry(v, x, y, w->shape[2], w->shape[3]))
        return -1;
    return opc_need_conv_tail(v, bwd, x, w, y, oc, conv_workspace(v->m, v->op));
}

const gan_op_fns gan_ops_conv = {conv_validate, conv_flops, conv_workspace};
