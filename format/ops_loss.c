/* Loss terms, their backwards and their weighted sum.
 *
 * Forward: out0 [1] = the unweighted term; WEIGHT f0 only scales the backward (dL/dinput is
 * scaled by it); PARAM f1 is the constant target of BCE when in1 = -1, and the scale of MEAN.
 *
 * LOSS_HINGE_REAL  in0 a -> mean(relu(1 - a))
 * LOSS_HINGE_FAKE  in0 a -> mean(relu(1 + a))
 * LOSS_MEAN        in0 a -> f1 * mean(a)   (f1 = -1 gives -mean)
 * LOSS_BCE_LOGITS  in0 logits, in1 targets (same shape) | -1 (then target = f1)
 *                  -> mean over all elements of max(l,0) - l*t + log(1 + exp(-|l|))
 * LOSS_BCE         unfused form: in0 probabilities p (after a sigmoid), in1 | -1 as above
 *                  -> mean of -(t log p + (1-t) log(1-p)), p clamped to [1e-7, 1-1e-7]
 * LOSS_MSE         in0 a, in1 targets (same numel) | -1 (then target = f1) -> mean of (a - t)^2
 *                  (LSGAN's least squares)
 * LOSS_DOT         in0 a, in1 w (same numel) -> f1 * mean(a * w): with w one-hot on one logit
 *                  per row, d(loss)/d(input) is that logit's input gradient (ganrt visualize)
 * LOSS_BCE_BAL     in0 logits [N,K], in1 targets [N,K] (required) -> BCE with logits, each
 *                  attribute k's positives (t >= 0.5) and negatives weighted to half of it
 *                  each: (1/K) sum_k [ sum_{i pos} l_ik / (2 P_k) + sum_{i neg} l_ik / (2 N_k) ],
 *                  l_ik the element's BCE; an attribute with only one class in the batch
 *                  weights that class 1/N (its plain mean)
 * LOSS_SOFTMAX_CE  in0 logits [N,K], in1 targets [N,K] (one-hot)
 *                  -> mean over N of -sum_k t log softmax(l)_k
 * LOSS_SUM         in0..in(k-1) scalars -> out0 = sum_j f[j] * in_j (k <= 8)
 * LOSS_*_BWD       the forward's inputs -> out0 d(input), scaled by f0; f1 as the forward
 */
#include "format/op_check.h"

static double loss_flops(const gan_model *m, const gan_op *op)
{
    switch (op->type) {
    case GAN_OP_LOSS_SUM: return 2.0 * op->n_in;
    case GAN_OP_LOSS_HINGE_REAL:
    case GAN_OP_LOSS_HINGE_FAKE:
    case GAN_OP_LOSS_MEAN:
    case GAN_OP_LOSS_HINGE_REAL_BWD:
    case GAN_OP_LOSS_HINGE_FAKE_BWD:
    case GAN_OP_LOSS_MEAN_BWD: return 3.0 * opc_numel_in(m, op, 0);
    default: return 8.0 * opc_numel_in(m, op, 0);
    }
}

static int loss_validate(vctx *v)
{
    const gan_op *op = v->op;
    if (op->type == GAN_OP_LOSS_SUM) {
        for (int j = 0; j < op->n_in; j++)
            if (opc_need_numel(v, IN(j), 1, "term"))
                return -1;
        return opc_need_numel(v, OUT(0), 1, "sum");
    }
    const gan_tensor *a = IN(0), *t = IN(1);
    if (opc_need_finite(v, op->f[0], "weight f0") || opc_need_finite(v, op->f[1], "param f1"))
        return -1;
    if (op->type == GAN_OP_LOSS_SOFTMAX_CE || op->type == GAN_OP_LOSS_SOFTMAX_CE_BWD ||
        op->type == GAN_OP_LOSS_BCE_BAL || op->type == GAN_OP_LOSS_BCE_BAL_BWD) {
        if (opc_need_ndim(v, a, 2, 2, "logits") || opc_need_shape(v, t, a, "targets vs logits"))
            return -1;
    } else if (t && t->numel != a->numel) {
        return opc_need_shape(v, t, a, "targets vs input");
    }
    if (gan_op_is_backward(op->type))
        return opc_need_shape(v, OUT(0), a, "gradient vs input");
    return opc_need_numel(v, OUT(0), 1, "loss");
}

const gan_op_fns gan_ops_loss = {loss_validate, loss_flops, NULL};
