/* Hand-built gan_models for the training-runtime tests (no compiler or loader needed). */
#include <stdlib.h>
#include <string.h>
#include "tests/util/train_util.h"

static int add(gan_model *m, const char *name, int region, int init, int ndim, const int *shape,
               uint64_t *next)
{
    gan_tensor *t = &m->tensors[m->n_tensors];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->region = (uint8_t)region;
    t->init = (uint8_t)init;
    t->ndim = (uint8_t)ndim;
    t->numel = 1;
    for (int d = 0; d < ndim; d++) {
        t->shape[d] = shape[d];
        t->numel *= (uint64_t)shape[d];
    }
    t->offset = next[region];
    next[region] += t->numel;
    t->init_src = -1;
    return m->n_tensors++;
}

gan_model *train_test_model(int variant)
{
    gan_model *m = calloc(1, sizeof *m);
    m->tensors = calloc(32, sizeof *m->tensors);
    uint64_t next[GAN_REGION_COUNT] = {0};
    int w1 = add(m, "G.dense.w", GAN_REGION_PARAM, GAN_INIT_ORTHOGONAL, 2, (int[]){16, 12}, next);
    m->tensors[w1].init_arg = 1.0f;
    add(m, "G.dense.b", GAN_REGION_PARAM, GAN_INIT_ZEROS, 1, (int[]){16}, next);
    int w2 = add(m, "G.conv.w", GAN_REGION_PARAM, GAN_INIT_HE_NORMAL, 4,
                 variant == 1 ? (int[]){8, 4, 3, 3} : (int[]){6, 4, 3, 3}, next);
    m->tensors[w2].fan_in = 36;
    m->tensors[w2].fan_out = 8 * 9;
    add(m, "G.bn.gamma", GAN_REGION_PARAM, GAN_INIT_ONES, 1, (int[]){8}, next);
    uint64_t np = next[GAN_REGION_PARAM];
    /* the network's flat parameter buffer: an aggregate over the parts above */
    gan_tensor *agg = &m->tensors[m->n_tensors];
    memset(agg, 0, sizeof *agg);
    snprintf(agg->name, sizeof agg->name, "G.params");
    agg->region = GAN_REGION_PARAM;
    agg->ndim = 1;
    agg->shape[0] = (int)np;
    agg->numel = np;
    agg->flags = GAN_TF_AGGREGATE;
    agg->init_src = -1;
    int ip = m->n_tensors++;
    add(m, "G.adam.m", GAN_REGION_STATE, GAN_INIT_ZEROS, 1, (int[]){(int)np}, next);
    add(m, "G.adam.v", GAN_REGION_STATE, GAN_INIT_ZEROS, 1, (int[]){(int)np}, next);
    add(m, "G.adam.t", GAN_REGION_STATE, GAN_INIT_ZEROS, 1, (int[]){1}, next);
    add(m, "G.bn.running_mean", GAN_REGION_STATE, GAN_INIT_ZEROS, 1, (int[]){8}, next);
    add(m, "G.bn.running_var", GAN_REGION_STATE, GAN_INIT_ONES, 1, (int[]){8}, next);
    add(m, "D.conv.w.u", GAN_REGION_STATE, GAN_INIT_UNIT_NORMAL, 1, (int[]){8}, next);
    int ie = add(m, variant == 2 ? "G.ema2" : "G.ema", GAN_REGION_STATE, GAN_INIT_COPY, 1,
                 (int[]){(int)np}, next);
    m->tensors[ie].init_src = ip;
    add(m, "G.grads", GAN_REGION_GRAD, GAN_INIT_NONE, 1, (int[]){(int)np}, next);
    add(m, "d_step.h1", GAN_REGION_ARENA, GAN_INIT_NONE, 2, (int[]){4, 16}, next);
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        m->region_floats[r] = next[r];
    return m;
}

void train_test_model_free(gan_model *m)
{
    if (!m)
        return;
    free(m->tensors);
    free(m);
}

void train_alloc_base(const gan_model *m, float *base[GAN_REGION_COUNT])
{
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        base[r] = calloc(m->region_floats[r] + 1, sizeof(float));
}

void train_free_base(float *base[GAN_REGION_COUNT])
{
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        free(base[r]);
}

int train_find(const gan_model *m, const char *name)
{
    for (int i = 0; i < m->n_tensors; i++)
        if (!strcmp(m->tensors[i].name, name))
            return i;
    return -1;
}

float *train_ptr(const gan_model *m, float *const base[GAN_REGION_COUNT], const char *name)
{
    int i = train_find(m, name);
    return i < 0 ? NULL : base[m->tensors[i].region] + m->tensors[i].offset;
}
