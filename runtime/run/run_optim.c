#include "runtime/run/run.h"

int gan_run_optim(const gan_run_ctx *c)
{
    const gan_op *op = c->op;
    float *const *a = c->in;
    size_t n = run_numel(c->tin[0]);
    if (op->type == GAN_OP_EMA) {
        kern_ema(a[0], a[1], n, op->f[0], c->threads);
        return 0;
    }
    if (op->i[0])
        a[4][0] += 1.0f;
    float t = a[4][0];
    if (!(t >= 1.0f))
        return gan_run_fail(c, "step count t = %g: no adam op with i[0] = 1 incremented it", t);
    kern_adam(a[0], a[1], a[2], a[3], n, t, op->f[0], op->f[1], op->f[2], op->f[3], c->threads);
    return 0;
}
