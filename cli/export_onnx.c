/* The sample program, op by op, as ONNX nodes (docs/export.md has the table). Every value is
 * named once (ONNX graphs are single-assignment): a tensor written again (an activation in
 * place) gets a new name, and the last write of the program's output is named "image".
 * Weights and running statistics become initializers the first time a node reads them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/export_onnx.h"
#include "cli/export_onnx_int.h"
#include "cli/onnx_pb.h"
#include "common/version.h"

int xo_fail(xo_ctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->op_i >= 0)
        snprintf(c->err, c->errlen, "program '%s' op %d (%s): %s", c->p->name, c->op_i,
                 gan_op_name(c->p->ops[c->op_i].type), msg);
    else
        snprintf(c->err, c->errlen, "program '%s': %s", c->p->name, msg);
    return -1;
}

/* Arena tensors carry the batch in their first dimension: that is the dimension the ONNX
 * graph leaves symbolic, so a tensor without it cannot be exported. */
static int check_batch(xo_ctx *c, int t)
{
    const gan_tensor *x = &c->m->tensors[t];
    if (x->shape[0] != c->batch)
        return xo_fail(c, "'%s' does not have the batch (%d) as its first dimension", x->name,
                       c->batch);
    return 0;
}

static int is_persistent(const gan_tensor *t)
{
    return t->region == GAN_REGION_PARAM || t->region == GAN_REGION_STATE;
}

int xo_in(xo_ctx *c, int t, char *name, size_t len)
{
    const gan_tensor *x = &c->m->tensors[t];
    if (is_persistent(x)) {
        if (!c->defined[t]) {
            int64_t dims[GAN_MAX_DIMS];
            for (int d = 0; d < x->ndim; d++)
                dims[d] = x->shape[d];
            onnx_init_f32(c->w, x->name, dims, x->ndim, c->base[x->region] + x->offset);
            snprintf(c->cur[t], sizeof c->cur[t], "%s", x->name);
            c->defined[t] = 1;
        }
    } else if (!c->defined[t]) {
        return xo_fail(c, "reads '%s' before anything writes it", x->name);
    } else if (c->defined[t] == 3) {
        return xo_fail(c, "reads '%s', a spectral norm's v or sigma, which is not exported",
                       x->name);
    } else if (c->defined[t] == 1 && check_batch(c, t)) {
        return -1; /* (2: a folded constant, which has no batch) */
    }
    snprintf(name, len, "%s", c->cur[t]);
    return 0;
}

int xo_out(xo_ctx *c, int t, char *name, size_t len)
{
    const gan_tensor *x = &c->m->tensors[t];
    if (x->region != GAN_REGION_ARENA)
        return xo_fail(c, "writes '%s', which is not an arena tensor", x->name);
    if (check_batch(c, t))
        return -1;
    c->ver[t]++;
    if (t == c->out_t && c->op_i == c->last_write)
        snprintf(c->cur[t], sizeof c->cur[t], "image");
    else if (c->ver[t] == 1)
        snprintf(c->cur[t], sizeof c->cur[t], "%s", x->name);
    else
        snprintf(c->cur[t], sizeof c->cur[t], "%s#%d", x->name, c->ver[t]);
    c->defined[t] = 1;
    snprintf(name, len, "%s", c->cur[t]);
    return 0;
}

void xo_tmp(xo_ctx *c, const char *what, char *name, size_t len)
{
    snprintf(name, len, "op%d/%s", c->op_i, what);
}

size_t xo_node(xo_ctx *c, const char *type, const char *const *in, int n_in,
               const char *const *out, int n_out)
{
    char nm[96];
    snprintf(nm, sizeof nm, "%s/op%d/%s.%d", c->p->name, c->op_i, type, c->sub++);
    c->n_nodes++;
    return onnx_node_begin(c->w, type, nm, in, n_in, out, n_out);
}

void xo_simple(xo_ctx *c, const char *type, const char *in, const char *out)
{
    onnx_node_end(c->w, xo_node(c, type, &in, 1, &out, 1));
}

void xo_const_i64(xo_ctx *c, const char *what, const int64_t *v, int n, char *name, size_t len)
{
    xo_tmp(c, what, name, len);
    int64_t dims[1] = {n};
    onnx_init_i64(c->w, name, dims, 1, v);
}

int xo_const_f32(xo_ctx *c, const char *what, const float *v, int n, char *name, size_t len)
{
    xo_tmp(c, what, name, len);
    int64_t dims[1] = {n};
    onnx_init_f32(c->w, name, dims, 1, v);
    return 0;
}

/* A constant of n copies of value (the gamma or beta an op leaves out). */
int xo_const_fill(xo_ctx *c, const char *what, float value, int n, char *name, size_t len)
{
    float *v = malloc(sizeof *v * (size_t)(n > 0 ? n : 1));
    if (!v)
        return xo_fail(c, "out of memory");
    for (int i = 0; i < n; i++)
        v[i] = value;
    xo_const_f32(c, what, v, n, name, len);
    free(v);
    return 0;
}

int xo_act(xo_ctx *c, int act, float alpha, const char *in, const char *out)
{
    switch (act) {
    case GAN_ACT_NONE: xo_simple(c, "Identity", in, out); return 0;
    case GAN_ACT_RELU: xo_simple(c, "Relu", in, out); return 0;
    case GAN_ACT_TANH: xo_simple(c, "Tanh", in, out); return 0;
    case GAN_ACT_SIGMOID: xo_simple(c, "Sigmoid", in, out); return 0;
    case GAN_ACT_LEAKY_RELU: {
        size_t n = xo_node(c, "LeakyRelu", &in, 1, &out, 1);
        onnx_attr_float(c->w, "alpha", alpha);
        onnx_node_end(c->w, n);
        return 0;
    }
    default: return xo_fail(c, "activation %d has no ONNX form", act);
    }
}

int xo_epilogue_out(xo_ctx *c, const gan_op *op, char *main_out, char *final, size_t len)
{
    if (xo_out(c, op->out[0], final, len))
        return -1;
    if (op->i[0] != GAN_ACT_NONE)
        xo_tmp(c, "pre_act", main_out, len);
    else
        snprintf(main_out, len, "%s", final);
    return 0;
}

int xo_epilogue_end(xo_ctx *c, const gan_op *op, const char *main_out, const char *final)
{
    return op->i[0] == GAN_ACT_NONE ? 0 : xo_act(c, op->i[0], op->f[0], main_out, final);
}

/* ---------------------------------------------------------------- the graph */

static int last_write_of(const gan_program *p, int t)
{
    int last = -1;
    for (int i = 0; i < p->n_ops; i++)
        for (int k = 0; k < p->ops[i].n_out; k++)
            if (p->ops[i].out[k] == t)
                last = i;
    return last;
}

/* The program's inputs as graph inputs "z" [N, latent] and "labels" [N, L], in that order. */
static int declare_inputs(xo_ctx *c)
{
    const gan_program *p = c->p;
    static const int roles[2] = {GAN_ROLE_LATENT, GAN_ROLE_LABELS};
    static const char *const names[2] = {"z", "labels"};
    for (int i = 0; i < p->n_inputs; i++)
        if (p->input_roles[i] != GAN_ROLE_LATENT && p->input_roles[i] != GAN_ROLE_LABELS)
            return xo_fail(c, "input '%s' is an image: only latent and labels inputs export",
                           c->m->tensors[p->inputs[i]].name);
    for (int r = 0; r < 2; r++) {
        int seen = 0;
        for (int i = 0; i < p->n_inputs; i++) {
            int t = p->inputs[i];
            const gan_tensor *x = &c->m->tensors[t];
            if (p->input_roles[i] != roles[r])
                continue;
            if (seen++)
                return xo_fail(c, "two %s inputs", names[r]);
            if (x->ndim != 2)
                return xo_fail(c, "input '%s' is not [N, F]", x->name);
            if (check_batch(c, t))
                return -1;
            int64_t dims[2] = {-1, x->shape[1]};
            onnx_value_info(c->w, ONNX_GRAPH_INPUT, names[r], dims, 2, "N");
            snprintf(c->cur[t], sizeof c->cur[t], "%s", names[r]);
            c->defined[t] = 1;
        }
        if (!seen && roles[r] == GAN_ROLE_LATENT)
            return xo_fail(c, "has no latent input");
    }
    return 0;
}

static int translate_ops(xo_ctx *c)
{
    for (int i = 0; i < c->p->n_ops; i++) {
        c->op_i = i;
        c->sub = 0;
        if (xo_translate_op(c, &c->p->ops[i]))
            return -1;
    }
    c->op_i = -1;
    return 0;
}

static void describe(const gan_model *m, char *doc, size_t len, char *labels, size_t llen,
                     char *range, size_t rlen)
{
    const gan_hyper *h = &m->hyper;
    size_t k = 0;
    labels[0] = 0;
    for (int i = 0; i < h->n_labels && k < llen; i++)
        k += (size_t)snprintf(labels + k, llen - k, "%s%s", i ? "," : "", h->label_names[i]);
    snprintf(range, rlen, "%g,%g", h->range_lo, h->range_hi);
    snprintf(doc, len,
             "Generator of a ganc model: z [N,%d] ~ %s%s%s -> image [N,%d,%d,%d] in [%g, %g]",
             h->latent_size, h->latent_dist == GAN_LATENT_UNIFORM ? "U(-1,1)" : "N(0,1)",
             h->n_labels ? ", labels [N,L] 0/1: " : "", h->n_labels ? labels : "", h->image_c,
             h->image_h, h->image_w, h->range_lo, h->range_hi);
}

static int build(xo_ctx *c, int opset)
{
    char doc[4096], labels[3072], range[64];
    describe(c->m, doc, sizeof doc, labels, sizeof labels, range, sizeof range);
    size_t g = onnx_model_begin(c->w, GAN_ONNX_IR_VERSION, "ganrt", GAN_VERSION, doc,
                                "generator");
    if (declare_inputs(c) || translate_ops(c))
        return -1;
    const gan_tensor *o = &c->m->tensors[c->out_t];
    if (c->last_write < 0 || strcmp(c->cur[c->out_t], "image"))
        return xo_fail(c, "no op writes the output '%s'", o->name);
    if (o->ndim != 4)
        return xo_fail(c, "the output '%s' is not [N,C,H,W]", o->name);
    int64_t dims[4] = {-1, o->shape[1], o->shape[2], o->shape[3]};
    onnx_value_info(c->w, ONNX_GRAPH_OUTPUT, "image", dims, 4, "N");
    const char *keys[] = {"labels", "image_range", "latent_dist", "source_program"};
    const char *vals[] = {labels, range,
                          c->m->hyper.latent_dist == GAN_LATENT_UNIFORM ? "uniform" : "normal",
                          c->p->name};
    onnx_model_end(c->w, g, opset, 4, keys, vals);
    return 0;
}

int gan_export_onnx(const gan_model *m, int prog, float *const base[GAN_REGION_COUNT], int opset,
                    gan_wbuf *out, int *n_nodes, char *err, size_t errlen)
{
    const gan_program *p = &m->programs[prog];
    if (p->n_outputs < 1 || p->n_inputs < 1) {
        snprintf(err, errlen, "program '%s' has no inputs or no output", p->name);
        return -1;
    }
    xo_ctx c = {.m = m, .p = p, .base = base, .w = out, .op_i = -1, .out_t = p->outputs[0],
                .err = err, .errlen = errlen};
    c.batch = m->tensors[p->inputs[0]].shape[0];
    c.last_write = last_write_of(p, c.out_t);
    c.cur = calloc((size_t)m->n_tensors, sizeof *c.cur);
    c.ver = calloc((size_t)m->n_tensors, sizeof *c.ver);
    c.defined = calloc((size_t)m->n_tensors, 1);
    int rc = -1;
    if (!c.cur || !c.ver || !c.defined)
        snprintf(err, errlen, "out of memory");
    else if (!build(&c, opset) && !out->failed)
        rc = 0;
    else if (out->failed)
        snprintf(err, errlen, "out of memory for the ONNX model");
    if (n_nodes)
        *n_nodes = c.n_nodes;
    free(c.cur);
    free(c.ver);
    free(c.defined);
    return rc;
}
