#include "runtime/run/run.h"

int gan_run_conv(const gan_run_ctx *c)
{
    const gan_op *op = c->op;
    int tr = op->type == GAN_OP_CONV2D_T || op->type == GAN_OP_CONV2D_T_BWD;
    int bwd = op->type == GAN_OP_CONV2D_BWD || op->type == GAN_OP_CONV2D_T_BWD;
    const gan_tensor *x = c->tin[0], *w = c->tin[1], *y = bwd ? c->tin[3] : c->tout[0];
    kern_conv_shape s = {
        .n = run_dim(x, 0), .c = run_dim(x, 1), .h = run_dim(x, 2), .w = run_dim(x, 3),
        .oc = tr ? run_dim(w, 1) : run_dim(w, 0), .kh = run_dim(w, 2), .kw = run_dim(w, 3),
        .oh = run_dim(y, 2), .ow = run_dim(y, 3),
        .stride = op->i[1], .pad_t = op->i[2], .pad_l = op->i[3], .scratch = c->scratch};
    int act = op->i[0], th = c->threads, rc;
    float alpha = op->f[0];
    if (!bwd)
        rc = tr ? kern_conv2d_t_fwd(&s, c->in[0], c->in[1], c->in[2], c->out[0], c->out[1], act,
                                    alpha, th)
                : kern_conv2d_fwd(&s, c->in[0], c->in[1], c->in[2], c->out[0], c->out[1], act,
                                  alpha, th);
    else
        rc = tr ? kern_conv2d_t_bwd(&s, c->in[0], c->in[1], c->in[2], c->in[3], c->out[0],
                                    c->out[1], c->out[2], c->out[3], act, alpha, th)
                : kern_conv2d_bwd(&s, c->in[0], c->in[1], c->in[2], c->in[3], c->out[0],
                                  c->out[1], c->out[2], c->out[3], act, alpha, th);
    return rc ? gan_run_fail(c, "out of memory for a temporary workspace") : 0;
}
