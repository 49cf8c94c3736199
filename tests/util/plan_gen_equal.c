/* Deep comparison of two models (plan_model_equal in plan_gen.h). */
#include <stdio.h>
#include <string.h>
#include "tests/util/plan_gen.h"

#define DIFF(...) (snprintf(msg, len, __VA_ARGS__), 1)

int plan_model_equal(const gan_model *a, const gan_model *b, char *msg, size_t len)
{
    const gan_hyper *x = &a->hyper, *y = &b->hyper;
    if (x->image_c != y->image_c || x->image_h != y->image_h || x->image_w != y->image_w ||
        x->range_lo != y->range_lo || x->range_hi != y->range_hi ||
        x->label_kind != y->label_kind || x->n_labels != y->n_labels ||
        x->latent_size != y->latent_size || x->latent_dist != y->latent_dist ||
        x->batch != y->batch || x->d_steps != y->d_steps || x->epochs != y->epochs ||
        x->steps != y->steps || x->sample_every != y->sample_every ||
        x->ckpt_every != y->ckpt_every)
        return DIFF("hyperparameters differ");
    for (int i = 0; i < x->n_labels; i++)
        if (strcmp(x->label_names[i], y->label_names[i]))
            return DIFF("label %d differs", i);
    if (a->n_tensors != b->n_tensors || a->n_networks != b->n_networks ||
        a->n_programs != b->n_programs)
        return DIFF("counts differ");
    if (memcmp(a->region_floats, b->region_floats, sizeof a->region_floats))
        return DIFF("region sizes differ");
    for (int i = 0; i < a->n_tensors; i++) {
        const gan_tensor *s = &a->tensors[i], *t = &b->tensors[i];
        if (strcmp(s->name, t->name) || s->region != t->region || s->ndim != t->ndim ||
            s->init != t->init || s->flags != t->flags ||
            memcmp(s->shape, t->shape, sizeof s->shape) || s->offset != t->offset ||
            s->numel != t->numel || s->init_arg != t->init_arg || s->fan_in != t->fan_in ||
            s->fan_out != t->fan_out || s->init_src != t->init_src)
            return DIFF("tensor %d ('%s') differs", i, s->name);
    }
    for (int i = 0; i < a->n_networks; i++) {
        const gan_network *s = &a->networks[i], *t = &b->networks[i];
        if (strcmp(s->name, t->name) || s->role != t->role || s->params != t->params ||
            s->grads != t->grads || s->ema != t->ema || s->ema_decay != t->ema_decay ||
            s->lr != t->lr || s->beta1 != t->beta1 || s->beta2 != t->beta2 || s->eps != t->eps)
            return DIFF("network %d differs", i);
    }
    for (int p = 0; p < a->n_programs; p++) {
        const gan_program *s = &a->programs[p], *t = &b->programs[p];
        if (strcmp(s->name, t->name) || s->network != t->network || s->n_ops != t->n_ops ||
            s->n_inputs != t->n_inputs || s->n_outputs != t->n_outputs ||
            s->arena_floats != t->arena_floats || s->naive_floats != t->naive_floats ||
            s->flops != t->flops)
            return DIFF("program %d ('%s') header differs", p, s->name);
        for (int j = 0; j < s->n_inputs; j++)
            if (s->inputs[j] != t->inputs[j] || s->input_roles[j] != t->input_roles[j])
                return DIFF("program '%s' input %d differs", s->name, j);
        for (int j = 0; j < s->n_outputs; j++)
            if (s->outputs[j] != t->outputs[j])
                return DIFF("program '%s' output %d differs", s->name, j);
        for (int k = 0; k < s->n_ops; k++) {
            const gan_op *o = &s->ops[k], *q = &t->ops[k];
            if (o->type != q->type || o->n_in != q->n_in || o->n_out != q->n_out ||
                memcmp(o->in, q->in, sizeof o->in) || memcmp(o->out, q->out, sizeof o->out) ||
                memcmp(o->i, q->i, sizeof o->i) || memcmp(o->f, q->f, sizeof o->f))
                return DIFF("program '%s' op %d differs", s->name, k);
        }
    }
    return 0;
}
