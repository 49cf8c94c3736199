/* Optimizers and weight averaging: persistent tensors updated in place.
 *
 * ADAM     in0 params, in1 grads, in2 m, in3 v (all same numel), in4 t [1] (the update count
 *          as float; the op with i0 = 1 increments it first, then every op uses it);
 *          f1 beta1, f2 beta2, f3 eps (PyTorch's bias-corrected form);
 *          f4 weight decay, decoupled as torch.optim.AdamW: p *= 1 - lr_t f4 before the step.
 * SGD      in0 params, in1 grads, in2 momentum buffer, in3 t; f1 momentum (dampening 0,
 *          as torch.optim.SGD: buf = f1 buf + g', p -= lr_t buf), f4 weight decay as L2
 *          (g' = g + f4 p).
 * RMSPROP  in0 params, in1 grads, in2 square average, in3 t; f1 alpha, f3 eps, f4 weight decay
 *          as L2 (torch.optim.RMSprop: s = a s + (1-a) g'^2, p -= lr_t g' / (sqrt(s) + eps)).
 *   All three: f0 the base learning rate, and lr_t = f0 * warm(t) * decay(t), the schedule:
 *          i1 0 constant, 1 linear, 2 cosine decay to f5 * f0 (f5 in [0, 1]) over updates
 *          i2 (warm-up, linear from f0/i2) .. i3 (the last update); warm(t) = min(1, t/i2)
 *          when i2 > 0; the decay starts at update max(i2, i4) (i4: the hold, 0 = none).
 *          The unfused form is one op per parameter tensor sharing t.
 * EMA      in0 params, in1 ema, in2 (optional) the trained network's update count t [1]:
 *          ema = d * ema + (1 - d) * params, d = f0 without t, else min(f0, (1 + t) / (10 + t))
 *          (TensorFlow's ExponentialMovingAverage with num_updates): the average forgets the
 *          random initial weights within the first few hundred updates instead of ~1/(1 - f0).
 */
#include "format/op_check.h"

static double optim_flops(const gan_model *m, const gan_op *op)
{
    double per = op->type == GAN_OP_ADAM ? 12.0 : op->type == GAN_OP_EMA ? 3.0 : 6.0;
    return per * opc_numel_in(m, op, 0);
}

static int schedule_validate(vctx *v)
{
    const gan_op *op = v->op;
    if (op->i[0] != 0 && op->i[0] != 1)
        return opc_fail(v, "i0 = %d must be 0 or 1", op->i[0]);
    if (op->i[1] < 0 || op->i[1] > 2)
        return opc_fail(v, "schedule i1 = %d is not 0 (constant), 1 (linear) or 2 (cosine)",
                        op->i[1]);
    if (op->i[2] < 0 || op->i[3] < 0 || (op->i[1] != 0 && op->i[3] <= op->i[2]))
        return opc_fail(v, "warm-up i2 = %d and last update i3 = %d do not make a schedule",
                        op->i[2], op->i[3]);
    if (op->i[4] < 0 || (op->i[4] > 0 && (op->i[1] == 0 || op->i[4] >= op->i[3])))
        return opc_fail(v, "hold i4 = %d does not fit the schedule (i1 = %d, last update i3 = %d)",
                        op->i[4], op->i[1], op->i[3]);
    for (int k = 0; k < 6; k++)
        if (opc_need_finite(v, op->f[k], "optimizer setting"))
            return -1;
    if (op->f[0] < 0 || op->f[4] < 0 || op->f[5] < 0 || op->f[5] > 1)
        return opc_fail(v, "lr f0 = %g, weight decay f4 = %g or final lr share f5 = %g out of "
                        "range", op->f[0], op->f[4], op->f[5]);
    return 0;
}

static int optim_validate(vctx *v)
{
    const gan_tensor *x = IN(0);
    int type = v->op->type;
    if (type == GAN_OP_EMA) {
        if (opc_need_numel(v, IN(1), x->numel, "ema") ||
            (v->op->in[2] >= 0 && v->op->n_in > 2 && opc_need_numel(v, IN(2), 1, "t")))
            return -1;
        return opc_need_finite(v, v->op->f[0], "ema decay");
    }
    int t_slot = type == GAN_OP_ADAM ? 4 : 3;
    if (opc_need_numel(v, IN(1), x->numel, "grads") ||
        opc_need_numel(v, IN(2), x->numel, "state") ||
        (type == GAN_OP_ADAM && opc_need_numel(v, IN(3), x->numel, "v")) ||
        opc_need_numel(v, IN(t_slot), 1, "t"))
        return -1;
    return schedule_validate(v);
}

const gan_op_fns gan_ops_optim = {optim_validate, optim_flops, NULL};
