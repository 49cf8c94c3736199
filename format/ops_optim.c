/* Optimizer and weight averaging: persistent tensors updated in place.
 *
 * ADAM  in0 params, in1 grads, in2 m, in3 v (all same numel), in4 t [1] (step count as float;
 *       the op increments it first, then uses it for bias correction 1 - beta^t);
 *       f0 lr, f1 beta1, f2 beta2, f3 eps. The fused form covers a network's flat parameter
 *       buffer in one op; the unfused form is one op per parameter tensor (same t tensor,
 *       incremented only by the op with i0 = 1).
 * EMA   in0 params, in1 ema: ema = f0 * ema + (1 - f0) * params
 */
#include "format/op_check.h"

static double optim_flops(const gan_model *m, const gan_op *op)
{
    return (op->type == GAN_OP_ADAM ? 12.0 : 3.0) * opc_numel_in(m, op, 0);
}

static int optim_validate(vctx *v)
{
    const gan_tensor *x = IN(0);
    if (v->op->type == GAN_OP_EMA)
        return opc_need_numel(v, IN(1), x->numel, "ema");
    if (opc_need_numel(v, IN(1), x->numel, "grads") || opc_need_numel(v, IN(2), x->numel, "m") ||
        opc_need_numel(v, IN(3), x->numel, "v") || opc_need_numel(v, IN(4), 1, "t"))
        return -1;
    if (v->op->i[0] != 0 && v->op->i[0] != 1)
        return opc_fail(v, "i0 = %d must be 0 or 1", v->op->i[0]);
    return 0;
}

const gan_op_fns gan_ops_optim = {optim_validate, optim_flops, NULL};
