/* Feature-wise modulation (FiLM, Perez et al. 2018): per sample and channel a gain and a bias
 * from another tensor, here the labels' dense map of a conditional batch norm.
 *
 * FILM      in0 x [N,C] or [N,C,H,W], in1 gb [N,2C] (gains g = gb[:, :C], biases
 *           b = gb[:, C:]) -> out0 y, x's shape: y = x (1 + g[n,c]) + b[n,c]. The gain is
 *           around 1 so that gb = 0 (a zero-initialised map) passes x through.
 * FILM_BWD  in0 x, in1 gb, in2 dy -> out0 dx += dy (1 + g), out1 dgb [N,2C]:
 *           dg[n,c] += sum over H,W of dy x, db[n,c] += sum of dy (each output optional)
 */
#include "format/op_check.h"

static double film_flops(const gan_model *m, const gan_op *op)
{
    return (op->type == GAN_OP_FILM ? 2.0 : 5.0) * opc_numel_in(m, op, 0);
}

static int film_validate(vctx *v)
{
    int bwd = v->op->type == GAN_OP_FILM_BWD;
    const gan_tensor *x = IN(0), *gb = IN(1);
    if (opc_need_ndim(v, x, 2, 4, "x") || x->ndim == 3 || opc_need_ndim(v, gb, 2, 2, "gb"))
        return opc_fail(v, "x must be [N,C] or [N,C,H,W] and gb [N,2C]");
    if (gb->shape[0] != x->shape[0] || (int64_t)gb->shape[1] != 2 * (int64_t)x->shape[1]) {
        char sx[64], sg[64];
        opc_shape_str(x, sx, sizeof sx);
        opc_shape_str(gb, sg, sizeof sg);
        return opc_fail(v, "'%s' %s is not [N, 2C] for '%s' %s", gb->name, sg, x->name, sx);
    }
    if (!bwd)
        return opc_need_shape(v, OUT(0), x, "y vs x");
    if (opc_need_shape(v, IN(2), x, "dy vs x"))
        return -1;
    if (OUT(0) && opc_need_shape(v, OUT(0), x, "dx vs x"))
        return -1;
    return OUT(1) ? opc_need_shape(v, OUT(1), gb, "dgb vs gb") : 0;
}

const gan_op_fns gan_ops_film = {film_validate, film_flops, NULL};
