/* The test-model builder (see plan_gen.h). Test code: aborts on out-of-memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/util/plan_gen.h"
#include "tests/util/plan_gen_core.h"

void *pg_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "plan_gen: out of memory\n");
        abort();
    }
    return q;
}

void pg_init(pg_builder *b, int batch)
{
    memset(b, 0, sizeof *b);
    b->m = pg_xrealloc(NULL, sizeof *b->m);
    memset(b->m, 0, sizeof *b->m);
    gan_hyper *h = &b->m->hyper;
    h->image_c = 3;
    h->image_h = h->image_w = 8;
    h->range_lo = -1.0f;
    h->range_hi = 1.0f;
    h->label_kind = GAN_LABELS_NONE;
    h->batch = batch;
    h->d_steps = 1;
    b->prog = -1;
}

int pg_tensor(pg_builder *b, const char *name, int region, int ndim, const int *shape)
{
    gan_model *m = b->m;
    if (m->n_tensors == b->cap_tensors) {
        b->cap_tensors = b->cap_tensors ? 2 * b->cap_tensors : 64;
        m->tensors = pg_xrealloc(m->tensors, (size_t)b->cap_tensors * sizeof *m->tensors);
    }
    gan_tensor *t = &m->tensors[m->n_tensors];
    memset(t, 0, sizeof *t);
    snprintf(t->name, GAN_NAME_MAX, "%s", name);
    t->region = (uint8_t)region;
    t->ndim = (uint8_t)ndim;
    t->numel = 1;
    for (int d = 0; d < ndim; d++) {
        t->shape[d] = shape[d];
        t->numel *= (uint64_t)shape[d];
    }
    t->init = region == GAN_REGION_ARENA ? GAN_INIT_NONE : GAN_INIT_ZEROS;
    t->init_src = -1;
    if (region != GAN_REGION_ARENA) {
        t->offset = m->region_floats[region];
        m->region_floats[region] += t->numel;
    }
    return m->n_tensors++;
}

int pg_t1(pg_builder *b, const char *name, int region, int a)
{
    int s[1] = {a};
    return pg_tensor(b, name, region, 1, s);
}

int pg_t2(pg_builder *b, const char *name, int region, int a, int c)
{
    int s[2] = {a, c};
    return pg_tensor(b, name, region, 2, s);
}

int pg_t4(pg_builder *b, const char *name, int region, int n, int c, int h, int w)
{
    int s[4] = {n, c, h, w};
    return pg_tensor(b, name, region, 4, s);
}

int pg_aggregate(pg_builder *b, const char *name, int region, int first, int last)
{
    gan_tensor *f = &b->m->tensors[first], *l = &b->m->tensors[last];
    uint64_t off = f->offset, n = l->offset + l->numel - f->offset;
    int t = pg_t1(b, name, GAN_REGION_ARENA, (int)n);
    gan_tensor *a = &b->m->tensors[t];
    a->region = (uint8_t)region;
    a->offset = off;
    a->flags = GAN_TF_AGGREGATE;
    a->init = GAN_INIT_NONE;
    return t;
}

void pg_program(pg_builder *b, const char *name, int network)
{
    gan_model *m = b->m;
    if (m->n_programs == b->cap_programs) {
        b->cap_programs = b->cap_programs ? 2 * b->cap_programs : 4;
        m->programs = pg_xrealloc(m->programs, (size_t)b->cap_programs * sizeof *m->programs);
    }
    gan_program *g = &m->programs[m->n_programs];
    memset(g, 0, sizeof *g);
    snprintf(g->name, GAN_NAME_MAX, "%s", name);
    g->role = gan_program_role_of_name(name);
    g->network = network;
    b->prog = m->n_programs++;
    b->cap_ops = b->cap_io_in = b->cap_io_out = 0;
}

void pg_input(pg_builder *b, int t, int role)
{
    gan_program *g = &b->m->programs[b->prog];
    if (g->n_inputs == b->cap_io_in) {
        b->cap_io_in = b->cap_io_in ? 2 * b->cap_io_in : 8;
        g->inputs = pg_xrealloc(g->inputs, (size_t)b->cap_io_in * sizeof *g->inputs);
        g->input_roles = pg_xrealloc(g->input_roles, (size_t)b->cap_io_in * sizeof *g->input_roles);
    }
    g->inputs[g->n_inputs] = t;
    g->input_roles[g->n_inputs++] = role;
}

void pg_output(pg_builder *b, int t)
{
    gan_program *g = &b->m->programs[b->prog];
    if (g->n_outputs == b->cap_io_out) {
        b->cap_io_out = b->cap_io_out ? 2 * b->cap_io_out : 8;
        g->outputs = pg_xrealloc(g->outputs, (size_t)b->cap_io_out * sizeof *g->outputs);
    }
    g->outputs[g->n_outputs++] = t;
}

gan_op *pg_op(pg_builder *b, int type)
{
    gan_program *g = &b->m->programs[b->prog];
    if (g->n_ops == b->cap_ops) {
        b->cap_ops = b->cap_ops ? 2 * b->cap_ops : 32;
        g->ops = pg_xrealloc(g->ops, (size_t)b->cap_ops * sizeof *g->ops);
    }
    gan_op *op = &g->ops[g->n_ops++];
    memset(op, 0, sizeof *op);
    op->type = (uint16_t)type;
    for (int j = 0; j < GAN_OP_MAX_IO; j++)
        op->in[j] = op->out[j] = -1;
    return op;
}

void pg_in(gan_op *op, int slot, int t)
{
    op->in[slot] = t;
    if (op->n_in < slot + 1)
        op->n_in = (uint8_t)(slot + 1);
}

void pg_out(gan_op *op, int slot, int t)
{
    op->out[slot] = t;
    if (op->n_out < slot + 1)
        op->n_out = (uint8_t)(slot + 1);
}

gan_model *pg_finish(pg_builder *b)
{
    gan_model *m = b->m;
    b->m = NULL;
    return m;
}
