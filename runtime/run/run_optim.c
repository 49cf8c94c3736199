#include "runtime/run/run.h"

int gan_run_optim(const gan_run_ctx *c)
{
    const gan_op *op = c->op;
    float *const *a = c->in;
    size_t n = run_numel(c->tin[0]);
    if (op->type == GAN_OP_EMA) {
        float d = op->f[0];
        if (a[2]) { /* the warm-up: (1 + t) / (10 + t) while that is below the decay */
            float w = (1.0f + a[2][0]) / (10.0f + a[2][0]);
            d = w < d ? w : d;
        }
        kern_ema(a[0], a[1], n, d, c->threads);
        return 0;
    }
    float *tp = a[op->type == GAN_OP_ADAM ? 4 : 3];
    if (op->i[0])
        tp[0] += 1.0f;
    float t = tp[0];
    if (!(t >= 1.0f))
        return gan_run_fail(c, "step count t = %g: no %s op with i[0] = 1 incremented it", t,
                            gan_op_name(op->type));
    float lr = kern_lr_at(op->f[0], t, op->i[1], op->i[2], op->i[4], op->i[3], op->f[5]);
    float wd = op->f[4];
    switch (op->type) {
    case GAN_OP_ADAM:
        if (wd > 0)
            kern_scale(a[0], n, 1.0f - lr * wd, c->threads);
        kern_adam(a[0], a[1], a[2], a[3], n, t, lr, op->f[1], op->f[2], op->f[3], c->threads);
        break;
    case GAN_OP_SGD: kern_sgd(a[0], a[1], a[2], n, lr, op->f[1], wd, c->threads); break;
    default: kern_rmsprop(a[0], a[1], a[2], n, lr, op->f[1], op->f[3], wd, c->threads); break;
    }
    return 0;
}
