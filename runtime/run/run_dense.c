#include "runtime/run/run.h"

int gan_run_dense(const gan_run_ctx *c)
{
    const gan_op *op = c->op;
    int n = run_dim(c->tin[0], 0), m = run_dim(c->tin[1], 0), k = run_dim(c->tin[1], 1);
    if (op->type == GAN_OP_DENSE)
        kern_dense_fwd(c->in[0], c->in[1], c->in[2], c->out[0], n, k, m, op->i[0], op->f[0],
                       c->threads);
    else
        kern_dense_bwd(c->in[0], c->in[1], c->in[2], c->in[3], c->out[0], c->out[1], c->out[2], n,
                       k, m, op->i[0], op->f[0], c->threads);
    return 0;
}
