/* Tensors of a generated model, named and with their gradient bookkeeping, and the spectral
 * norm both generators put in front of a weight (plan_gen_core.h). */
#include <stdio.h>
#include <string.h>
#include "tests/util/plan_gen_core.h"

int gen_new(gen *g, const char *kind, int region, int ndim, const int *shape)
{
    char name[GAN_NAME_MAX];
    snprintf(name, sizeof name, "%s%d", kind, g->uid++);
    int t = pg_tensor(g->b, name, region, ndim, shape);
    if (t < GEN_MAXT) {
        g->needs_grad[t] = 0;
        g->grad[t] = -1;
        g->pgrad[t] = -1;
    }
    return t;
}

int gen_like(gen *g, const char *kind, int region, int like)
{
    int shape[4];
    const gan_tensor *l = T(g, like);
    memcpy(shape, l->shape, sizeof shape);
    return gen_new(g, kind, region, l->ndim, shape);
}

/* A trainable parameter (and its gradient, unless frozen). */
int gen_param(gen *g, const char *kind, int ndim, const int *shape, int frozen)
{
    int t = gen_new(g, kind, GAN_REGION_PARAM, ndim, shape);
    g->b->m->tensors[t].init = (uint8_t)rr(g, GAN_INIT_ZEROS, GAN_INIT_ORTHOGONAL);
    g->b->m->tensors[t].init_arg = 0.02f;
    if (!frozen) {
        int gr = gen_new(g, "dw", GAN_REGION_GRAD, ndim, shape);
        g->b->m->tensors[gr].offset = g->b->m->tensors[t].offset; /* mirrors the params */
        g->pgrad[t] = gr;
        g->needs_grad[t] = 1;
    }
    return t;
}

int gen_param1(gen *g, const char *kind, int n, int frozen)
{
    return gen_param(g, kind, 1, &n, frozen);
}

int gen_spectral_norm(gen *g, int w, int u, int training)
{
    const gan_tensor *tw = T(g, w);
    int o = tw->shape[0], kk = (int)(tw->numel / (uint64_t)o), one = 1;
    int wsn = gen_like(g, "wsn", GAN_REGION_ARENA, w);
    int v = gen_new(g, "v", GAN_REGION_ARENA, 1, &kk);
    int sg = gen_new(g, "sigma", GAN_REGION_ARENA, 1, &one);
    gan_op *op = pg_op(g->b, GAN_OP_SPECTRAL_NORM);
    pg_in(op, 0, w);
    pg_in(op, 1, u);
    pg_out(op, 0, wsn);
    pg_out(op, 1, v);
    pg_out(op, 2, sg);
    op->i[0] = training;
    op->f[0] = 1e-12f;
    g->needs_grad[wsn] = g->needs_grad[w];
    return wsn;
}
