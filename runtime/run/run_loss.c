#include "runtime/run/run.h"

static float loss_fwd(const gan_run_ctx *c)
{
    const gan_op *op = c->op;
    const float *a = c->in[0], *t = c->in[1];
    size_t n = run_numel(c->tin[0]);
    int th = c->threads;
    switch (op->type) {
    case GAN_OP_LOSS_HINGE_REAL: return kern_loss_hinge_real_fwd(a, n, th);
    case GAN_OP_LOSS_HINGE_FAKE: return kern_loss_hinge_fake_fwd(a, n, th);
    case GAN_OP_LOSS_MEAN: return kern_loss_mean_fwd(a, n, op->f[1], th);
    case GAN_OP_LOSS_BCE_LOGITS: return kern_loss_bce_logits_fwd(a, t, op->f[1], n, th);
    case GAN_OP_LOSS_BCE: return kern_loss_bce_fwd(a, t, op->f[1], n, th);
    case GAN_OP_LOSS_MSE: return kern_loss_mse_fwd(a, t, op->f[1], n, th);
    case GAN_OP_LOSS_DOT: return kern_loss_dot_fwd(a, t, op->f[1], n, th);
    case GAN_OP_LOSS_BCE_BAL:
        return kern_loss_bce_bal_fwd(a, t, run_dim(c->tin[0], 0), (int)run_per_sample(c->tin[0]),
                                     th);
    default:
        return kern_loss_softmax_ce_fwd(a, t, run_dim(c->tin[0], 0),
                                        (int)run_per_sample(c->tin[0]), th);
    }
}

static void loss_bwd(const gan_run_ctx *c)
{
    const gan_op *op = c->op;
    const float *a = c->in[0], *t = c->in[1];
    float *da = c->out[0], w = op->f[0];
    size_t n = run_numel(c->tin[0]);
    int th = c->threads;
    switch (op->type) {
    case GAN_OP_LOSS_HINGE_REAL_BWD: kern_loss_hinge_real_bwd(a, da, n, w, th); break;
    case GAN_OP_LOSS_HINGE_FAKE_BWD: kern_loss_hinge_fake_bwd(a, da, n, w, th); break;
    case GAN_OP_LOSS_MEAN_BWD: kern_loss_mean_bwd(da, n, w, op->f[1], th); break;
    case GAN_OP_LOSS_BCE_LOGITS_BWD: kern_loss_bce_logits_bwd(a, t, op->f[1], da, n, w, th); break;
    case GAN_OP_LOSS_BCE_BWD: kern_loss_bce_bwd(a, t, op->f[1], da, n, w, th); break;
    case GAN_OP_LOSS_MSE_BWD: kern_loss_mse_bwd(a, t, op->f[1], da, n, w, th); break;
    case GAN_OP_LOSS_DOT_BWD: kern_loss_dot_bwd(t, op->f[1], da, n, w, th); break;
    case GAN_OP_LOSS_BCE_BAL_BWD:
        kern_loss_bce_bal_bwd(a, t, da, run_dim(c->tin[0], 0), (int)run_per_sample(c->tin[0]), w,
                              th);
        break;
    default:
        kern_loss_softmax_ce_bwd(a, t, da, run_dim(c->tin[0], 0), (int)run_per_sample(c->tin[0]),
                                 w, th);
    }
}

int gan_run_loss(const gan_run_ctx *c)
{
    const gan_op *op = c->op;
    if (op->type == GAN_OP_LOSS_SUM) {
        double s = 0.0;
        for (int j = 0; j < op->n_in; j++)
            s += (double)op->f[j] * c->in[j][0];
        c->out[0][0] = (float)s;
    } else if (gan_op_is_backward(op->type)) {
        loss_bwd(c);
    } else {
        c->out[0][0] = loss_fwd(c);
    }
    return 0;
}
