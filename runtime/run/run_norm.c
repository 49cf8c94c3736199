#include <stdlib.h>
#include "runtime/run/run.h"

static int run_spectral_norm(const gan_run_ctx *c)
{
    const gan_op *op = c->op;
    int rows = run_dim(c->tin[0], 0);
    size_t k = run_numel(c->tin[0]) / (size_t)rows;
    if (op->type == GAN_OP_SPECTRAL_NORM_BWD) {
        kern_spectral_norm_bwd(c->in[0], c->in[1], c->in[2], c->in[3][0], c->in[4], c->out[0],
                               rows, k, c->threads);
        return 0;
    }
    float eps = op->f[0] > 0.0f ? op->f[0] : 1e-12f, sigma = 0.0f;
    /* v and sigma are saved for the backward; a forward-only program may leave them out */
    float *v = c->out[1] ? c->out[1] : malloc((k ? k : 1) * sizeof *v);
    if (!v)
        return gan_run_fail(c, "out of memory for v (%zu floats)", k);
    kern_spectral_norm_fwd(c->in[0], c->in[1], c->out[0], v, c->out[2] ? c->out[2] : &sigma, rows,
                           k, op->i[0] != 0, eps, c->threads);
    if (!c->out[1])
        free(v);
    return 0;
}

int gan_run_norm(const gan_run_ctx *c)
{
    const gan_op *op = c->op;
    if (op->type == GAN_OP_SPECTRAL_NORM || op->type == GAN_OP_SPECTRAL_NORM_BWD)
        return run_spectral_norm(c);
    const gan_tensor *x = c->tin[0];
    int n = run_dim(x, 0), ch = run_dim(x, 1), act = op->i[0], th = c->threads;
    size_t hw = x->ndim == 4 ? (size_t)run_dim(x, 2) * run_dim(x, 3) : 1;
    float alpha = op->f[0], eps = op->f[2];
    float *const *a = c->in, *const *o = c->out;
    switch (op->type) {
    case GAN_OP_BN_INFER:
        kern_bn_infer_fwd(a[0], a[1], a[2], a[3], a[4], o[0], n, ch, hw, eps, act, alpha, th);
        break;
    case GAN_OP_BN_INFER_BWD:
        kern_bn_infer_bwd(a[1], a[2], a[3], a[4], o[0], n, ch, hw, eps, act, alpha, th);
        break;
    case GAN_OP_BN_TRAIN:
        kern_bn_train_fwd(a[0], a[1], a[2], a[3], a[4], o[0], o[1], o[2], n, ch, hw, op->f[1], eps,
                          act, alpha, th);
        break;
    default:
        kern_bn_train_bwd(a[0], a[1], a[2], a[3], a[4], a[5], o[0], o[1], o[2], n, ch, hw, act,
                          alpha, th);
    }
    return 0;
}
