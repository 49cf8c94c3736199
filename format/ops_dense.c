/* dense (fully connected), forward and backward.
 *
 * DENSE      in0 x [N,K..] (flattened per sample), in1 w [M,K], in2 b [M] | -1
 *            out0 y [N,M] = act(x w^T + b); i0 act, f0 alpha
 * DENSE_BWD  in0 x, in1 w, in2 y (forward output; -1 when act none), in3 dy
 *            out0 dx, out1 dw, out2 db; i0 act, f0 alpha (as forward)
 */
#include "format/op_check.h"

static double dense_flops(const gan_model *m, const gan_op *op)
{
    int bwd = op->type == GAN_OP_DENSE_BWD;
    const gan_tensor *w = opc_in(m, op, 1);
    double y = bwd ? opc_numel_in(m, op, 3) : opc_numel_out(m, op, 0), x = opc_numel_in(m, op, 0);
    double mm = w ? (double)w->shape[0] : 1.0;
    double nn = mm > 0 ? y / mm : 0.0;
    double k = nn > 0 ? x / nn : 0.0;
    if (!bwd) /* N*M*K multiply-adds, plus bias and activation */
        return 2.0 * nn * mm * k + 2.0 * y;
    double f = 2.0 * y; /* activation derivative + bias grad */
    if (op->n_out > 0 && op->out[0] >= 0)
        f += 2.0 * nn * mm * k;
    if (op->n_out > 1 && op->out[1] >= 0)
        f += 2.0 * nn * mm * k;
    return f;
}

static int dense_validate(vctx *v)
{
    int bwd = v->op->type == GAN_OP_DENSE_BWD;
    const gan_tensor *x = IN(0), *w = IN(1);
    const gan_tensor *y = bwd ? IN(3) : OUT(0);
    if (opc_need_ndim(v, x, 2, 4, "x") || opc_need_ndim(v, w, 2, 2, "weight") ||
        opc_need_ndim(v, y, 2, 2, bwd ? "dy" : "y") || opc_need_act(v))
        return -1;
    int64_t n = x->shape[0];
    if (n < 1)
        return opc_fail(v, "x '%s' has batch %lld", x->name, (long long)n);
    uint64_t k = x->numel / (uint64_t)n;
    if (y->shape[0] != n)
        return opc_fail(v, "batch of '%s' (%d) differs from '%s' (%lld)", y->name, y->shape[0],
                        x->name, (long long)n);
    if ((uint64_t)w->shape[1] != k || w->shape[0] != y->shape[1])
        return opc_fail(v, "weight '%s' [%d,%d] does not fit %llu inputs per sample and %d "
                           "outputs (expected %llu elements in '%s')",
                        w->name, w->shape[0], w->shape[1], (unsigned long long)k, y->shape[1],
                        (unsigned long long)((uint64_t)n * (uint64_t)w->shape[0]), y->name);
    if (!bwd)
        return opc_need_numel(v, IN(2), (uint64_t)w->shape[0], "bias");
    if (opc_need_y_for_act(v, 2) || opc_need_shape(v, IN(2), y, "y vs dy") ||
        opc_need_shape(v, OUT(0), x, "dx vs x") || opc_need_shape(v, OUT(1), w, "dw vs w") ||
        opc_need_numel(v, OUT(2), (uint64_t)w->shape[0], "db"))
        return -1;
    return 0;
}

const gan_op_fns gan_ops_dense = {dense_validate, dense_flops, NULL};
