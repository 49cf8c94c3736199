/* Tensors of a generated model: named, with their gradient bookkeeping (plan_gen_core.h). */
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
