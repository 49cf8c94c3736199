/* Builder helpers shared by lower.c, autodiff.c and fuse.c. */
#include "compiler/graph_build.h"
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gb_fail(gb_ctx *g, const char *fmt, ...)
{
    if (!g->failed) { /* the first failure is the cause; later ones are its echoes */
        va_list ap;
        va_start(ap, fmt);
        gan_verrf(g->err, g->errlen, fmt, ap);
        va_end(ap);
    }
    g->failed = 1;
    return -1;
}

void gb_name(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, GAN_NAME_MAX, fmt, ap);
    va_end(ap);
    (void)n; /* truncation is acceptable: names are for humans and lookups of short names */
}

void gb_suffix(char *out, const char *base, const char *suffix)
{
    size_t a = strlen(base), b = strlen(suffix);
    if (a > GAN_NAME_MAX - 1)
        a = GAN_NAME_MAX - 1;
    if (a + b > GAN_NAME_MAX - 1)
        b = GAN_NAME_MAX - 1 - a;
    memcpy(out, base, a);
    memcpy(out + a, suffix, b);
    out[a + b] = 0;
}

int gb_tensor(gb_ctx *g, const char *name, int region, int ndim, const int *shape)
{
    gan_model *m = g->m;
    if (ndim < 1 || ndim > GAN_MAX_DIMS)
        return gb_fail(g, "tensor %s: rank %d out of range", name, ndim);
    uint64_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] <= 0)
            return gb_fail(g, "tensor %s: dimension %d is %d", name, d, shape[d]);
        numel *= (uint64_t)shape[d];
    }
    if (m->n_tensors == g->cap_tensors) {
        int cap = g->cap_tensors ? g->cap_tensors * 2 : 256;
        gan_tensor *t = realloc(m->tensors, (size_t)cap * sizeof *t);
        if (!t)
            return gb_fail(g, "out of memory (tensor table)");
        m->tensors = t;
        g->cap_tensors = cap;
    }
    gan_tensor *t = &m->tensors[m->n_tensors];
    memset(t, 0, sizeof *t);
    snprintf(t->name, GAN_NAME_MAX, "%s", name);
    t->region = (uint8_t)region;
    t->ndim = (uint8_t)ndim;
    t->init = GAN_INIT_NONE;
    for (int d = 0; d < ndim; d++)
        t->shape[d] = shape[d];
    t->numel = numel;
    t->init_src = -1;
    return m->n_tensors++;
}

int gb_tensor_like(gb_ctx *g, const char *name, int like)
{
    gan_tensor src = g->m->tensors[like]; /* copy: the table may move */
    return gb_tensor(g, name, GAN_REGION_ARENA, src.ndim, src.shape);
}

int gb_op(gb_ctx *g, gb_oplist *l, int type, int n_in, const int *in, int n_out, const int *out)
{
    if (n_in > GAN_OP_MAX_IO || n_out > GAN_OP_MAX_IO)
        return gb_fail(g, "op %s: too many operands", gan_op_name(type));
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        gan_op *o = realloc(l->ops, (size_t)cap * sizeof *o);
        if (!o)
            return gb_fail(g, "out of memory (op list)");
        l->ops = o;
        l->cap = cap;
    }
    gan_op *o = &l->ops[l->n];
    memset(o, 0, sizeof *o);
    o->type = (uint16_t)type;
    o->n_in = (uint8_t)n_in;
    o->n_out = (uint8_t)n_out;
    for (int k = 0; k < GAN_OP_MAX_IO; k++) {
        o->in[k] = k < n_in ? in[k] : -1;
        o->out[k] = k < n_out ? out[k] : -1;
    }
    return l->n++;
}

void gb_oplist_free(gb_oplist *l)
{
    free(l->ops);
    l->ops = NULL;
    l->n = l->cap = 0;
}

void gb_model_destroy(gan_model *m)
{
    if (!m)
        return;
    free(m->hyper.label_names);
    free(m->tensors);
    free(m->networks);
    for (int p = 0; p < m->n_programs; p++) {
        free(m->programs[p].ops);
        free(m->programs[p].inputs);
        free(m->programs[p].input_roles);
        free(m->programs[p].outputs);
    }
    free(m->programs);
    free(m);
}

uint64_t gb_per_sample(const gan_model *m, int t)
{
    const gan_tensor *x = &m->tensors[t];
    return x->shape[0] > 0 ? x->numel / (uint64_t)x->shape[0] : 0;
}

int gb_op_reads(const gan_op *o, int t)
{
    for (int k = 0; k < o->n_in && k < GAN_OP_MAX_IO; k++)
        if (o->in[k] == t)
            return 1;
    return 0;
}
