/* Structural validation of a gan_model: what the loader runs on every file and the compiler
 * runs on what it built. Every index, enum, size and shape is checked, so later code (the
 * interpreter, the planner, reports) can index without checking again. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "format/model.h"
#include "common/err.h"
#include "format/model_opinfo.h"


/* A role in range, held by one program at most, and with a network exactly when it trains. */
static int check_role(const gan_model *m, int p, const char *owner, char *err, size_t errlen)
{
    const gan_program *g = &m->programs[p];
    if (g->role < 0 || g->role >= GAN_PROG_ROLE_COUNT)
        return gan_errf(err, errlen, "%s: role %d out of range", owner, g->role);
    if (g->role == GAN_PROG_AUX)
        return 0;
    for (int j = 0; j < p; j++)
        if (m->programs[j].role == g->role)
            return gan_errf(err, errlen, "%s: role %s already held by program '%s'", owner,
                            gan_program_role_name(g->role), m->programs[j].name);
    int trains = g->role == GAN_PROG_D_STEP || g->role == GAN_PROG_G_STEP ||
                 g->role == GAN_PROG_TRAIN_STEP;
    if (trains != (g->network >= 0))
        return gan_errf(err, errlen, "%s: role %s %s network (network %d)", owner,
                        gan_program_role_name(g->role), trains ? "needs a" : "takes no", g->network);
    return 0;
}

static int name_ok(const char *name)
{
    size_t n = strnlen(name, GAN_NAME_MAX);
    return n > 0 && n < GAN_NAME_MAX;
}

static const char *region_name(int r)
{
    static const char *const names[] = {"param", "state", "grad", "arena"};
    return r >= 0 && r < GAN_REGION_COUNT ? names[r] : "?";
}

/* Largest sane tensor or region, in floats (2^40 floats = 4 TiB): bounds every size so that
 * offset + numel and friends never overflow. */
#define MAX_FLOATS (1ull << 40)

static int check_tensor(const gan_model *m, int i, char *err, size_t errlen)
{
    const gan_tensor *t = &m->tensors[i];
    if (!name_ok(t->name))
        return gan_errf(err, errlen, "tensor %d: name is empty or not NUL-terminated", i);
    if (t->region >= GAN_REGION_COUNT)
        return gan_errf(err, errlen, "tensor '%s': region %u out of range", t->name, t->region);
    if (t->ndim < 1 || t->ndim > GAN_MAX_DIMS)
        return gan_errf(err, errlen, "tensor '%s': rank %u out of range 1..%d", t->name, t->ndim,
                     GAN_MAX_DIMS);
    uint64_t n = 1;
    for (int d = 0; d < GAN_MAX_DIMS; d++) {
        if (d >= t->ndim) {
            if (t->shape[d] != 0 && t->shape[d] != 1)
                return gan_errf(err, errlen, "tensor '%s': unused dimension %d is %d", t->name, d,
                             t->shape[d]);
            continue;
        }
        if (t->shape[d] < 1)
            return gan_errf(err, errlen, "tensor '%s': dimension %d is %d", t->name, d,
                         t->shape[d]);
        n *= (uint64_t)t->shape[d];
        if (n > MAX_FLOATS)
            return gan_errf(err, errlen, "tensor '%s': too large", t->name);
    }
    if (n != t->numel)
        return gan_errf(err, errlen, "tensor '%s': numel %llu is not the product of its shape (%llu)",
                     t->name, (unsigned long long)t->numel, (unsigned long long)n);
    if (t->offset > MAX_FLOATS || t->offset + t->numel > m->region_floats[t->region])
        return gan_errf(err, errlen,
                     "tensor '%s': [%llu, %llu) lies outside region %s (%llu floats)", t->name,
                     (unsigned long long)t->offset, (unsigned long long)(t->offset + t->numel),
                     region_name(t->region), (unsigned long long)m->region_floats[t->region]);
    if (t->flags & ~GAN_TF_AGGREGATE)
        return gan_errf(err, errlen, "tensor '%s': unknown flags 0x%x", t->name, t->flags);
    if (t->init >= GAN_INIT_COUNT)
        return gan_errf(err, errlen, "tensor '%s': init kind %u out of range", t->name, t->init);
    if (t->region == GAN_REGION_ARENA && t->init != GAN_INIT_NONE)
        return gan_errf(err, errlen, "tensor '%s': arena tensors take no init", t->name);
    if (t->init == GAN_INIT_COPY) {
        if (t->init_src < 0 || t->init_src >= m->n_tensors || t->init_src == i)
            return gan_errf(err, errlen, "tensor '%s': init source %d out of range", t->name,
                         t->init_src);
        if (m->tensors[t->init_src].numel != t->numel)
            return gan_errf(err, errlen, "tensor '%s': init source '%s' differs in size", t->name,
                         m->tensors[t->init_src].name);
    } else if (t->init_src != -1) {
        return gan_errf(err, errlen, "tensor '%s': init source %d without init copy", t->name,
                     t->init_src);
    }
    if (t->fan_in < 0 || t->fan_out < 0)
        return gan_errf(err, errlen, "tensor '%s': negative fan-in/out", t->name);
    if (!(t->init_arg == t->init_arg) || t->init_arg > 1e30f || t->init_arg < -1e30f)
        return gan_errf(err, errlen, "tensor '%s': init argument is not a finite number", t->name);
    return 0;
}

static int check_tensor_ref(const gan_model *m, int t, int region, int allow_none,
                            const char *what, const char *owner, char *err, size_t errlen)
{
    if (t == -1 && allow_none)
        return 0;
    if (t < 0 || t >= m->n_tensors)
        return gan_errf(err, errlen, "%s: %s %d is not a tensor index", owner, what, t);
    if (region >= 0 && m->tensors[t].region != region)
        return gan_errf(err, errlen, "%s: %s '%s' is in region %s, expected %s", owner, what,
                     m->tensors[t].name, region_name(m->tensors[t].region),
                     region_name(region));
    return 0;
}

static int finite(float f)
{
    return f == f && f < 3.0e38f && f > -3.0e38f;
}

int gan_model_validate(const gan_model *m, char *err, size_t errlen)
{
    if (!m)
        return gan_errf(err, errlen, "no model");
    const gan_hyper *h = &m->hyper;
    if (m->n_tensors < 0 || m->n_networks < 0 || m->n_programs < 0)
        return gan_errf(err, errlen, "negative counts");
    if ((m->n_tensors && !m->tensors) || (m->n_networks && !m->networks) ||
        (m->n_programs && !m->programs))
        return gan_errf(err, errlen, "missing arrays");
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        if (m->region_floats[r] > MAX_FLOATS)
            return gan_errf(err, errlen, "region %s: size %llu too large", region_name(r),
                         (unsigned long long)m->region_floats[r]);
    {
        uint64_t total = 0;
        for (int r = 0; r < GAN_REGION_COUNT; r++)
            total += m->region_floats[r];
        if (total > GAN_MODEL_MAX_BYTES / 4)
            return gan_errf(err, errlen, "the memory plan needs %llu bytes, more than the %llu a "
                            "model may use", (unsigned long long)total * 4,
                            (unsigned long long)GAN_MODEL_MAX_BYTES);
    }
    /* hyperparameters: within what ganc accepts (format/model.h) */
    if (h->image_c < 0 || h->image_h < 0 || h->image_w < 0 || h->image_c > GAN_HYPER_MAX_CHANNELS ||
        h->image_h > GAN_HYPER_MAX_SIDE || h->image_w > GAN_HYPER_MAX_SIDE)
        return gan_errf(err, errlen, "hyper: image %d x %d x %d out of range", h->image_c,
                     h->image_h, h->image_w);
    if (!finite(h->range_lo) || !finite(h->range_hi) || h->range_lo > h->range_hi ||
        h->range_lo < -GAN_HYPER_MAX_RANGE || h->range_hi > GAN_HYPER_MAX_RANGE)
        return gan_errf(err, errlen, "hyper: value range [%g, %g] invalid (at most %g either side)",
                        (double)h->range_lo, (double)h->range_hi, GAN_HYPER_MAX_RANGE);
    if (h->label_kind < 0 || h->label_kind > GAN_LABELS_CATEGORICAL)
        return gan_errf(err, errlen, "hyper: label kind %d out of range", h->label_kind);
    if (h->n_labels < 0 || h->n_labels > 100000 || (h->n_labels && !h->label_names))
        return gan_errf(err, errlen, "hyper: label count %d invalid", h->n_labels);
    for (int i = 0; i < h->n_labels; i++)
        if (!name_ok(h->label_names[i]))
            return gan_errf(err, errlen, "hyper: label %d name empty or not NUL-terminated", i);
    if (h->latent_size < 0 || h->latent_size > GAN_HYPER_MAX_LATENT || h->latent_dist < 0 ||
        h->latent_dist > GAN_LATENT_UNIFORM)
        return gan_errf(err, errlen, "hyper: latent size %d / distribution %d invalid",
                     h->latent_size, h->latent_dist);
    if (h->batch < 1 || h->d_steps < 0 || h->epochs < 0 || h->steps < 0 || h->sample_every < 0 ||
        h->ckpt_every < 0 || h->batch > GAN_HYPER_MAX_BATCH || h->d_steps > GAN_HYPER_MAX_D_STEPS ||
        h->epochs > GAN_HYPER_MAX_COUNT || h->steps > GAN_HYPER_MAX_STEPS ||
        h->sample_every > GAN_HYPER_MAX_COUNT || h->ckpt_every > GAN_HYPER_MAX_COUNT)
        return gan_errf(err, errlen, "hyper: batch %d, d_steps %d, epochs %d, steps %lld, "
                                  "sample_every %d, ckpt_every %d: outside what ganc accepts "
                                  "(batch 1..%d, d_steps 0..%d, steps 0..%lld, others 0..%d)",
                     h->batch, h->d_steps, h->epochs, (long long)h->steps, h->sample_every,
                     h->ckpt_every, GAN_HYPER_MAX_BATCH, GAN_HYPER_MAX_D_STEPS,
                     GAN_HYPER_MAX_STEPS, GAN_HYPER_MAX_COUNT);
    for (int i = 0; i < m->n_tensors; i++)
        if (check_tensor(m, i, err, errlen))
            return -1;
    for (int i = 0; i < m->n_networks; i++) {
        const gan_network *n = &m->networks[i];
        char owner[GAN_NAME_MAX + 16];
        if (!name_ok(n->name))
            return gan_errf(err, errlen, "network %d: name empty or not NUL-terminated", i);
        snprintf(owner, sizeof owner, "network '%s'", n->name);
        if (n->role < GAN_NET_GENERATOR || n->role > GAN_NET_CLASSIFIER)
            return gan_errf(err, errlen, "%s: role %d out of range", owner, n->role);
        if (check_tensor_ref(m, n->params, GAN_REGION_PARAM, 0, "params", owner, err, errlen) ||
            check_tensor_ref(m, n->grads, GAN_REGION_GRAD, 1, "grads", owner, err, errlen) ||
            check_tensor_ref(m, n->ema, GAN_REGION_STATE, 1, "ema", owner, err, errlen))
            return -1;
        if (!finite(n->ema_decay) || !finite(n->lr) || !finite(n->beta1) || !finite(n->beta2) ||
            !finite(n->eps))
            return gan_errf(err, errlen, "%s: optimizer settings not finite", owner);
        for (int j = 0; j < i; j++)
            if (!strcmp(m->networks[j].name, n->name))
                return gan_errf(err, errlen, "%s: name used twice", owner);
    }
    for (int p = 0; p < m->n_programs; p++) {
        const gan_program *g = &m->programs[p];
        char owner[GAN_NAME_MAX + 16];
        if (!name_ok(g->name))
            return gan_errf(err, errlen, "program %d: name empty or not NUL-terminated", p);
        snprintf(owner, sizeof owner, "program '%s'", g->name);
        if (g->network < -1 || g->network >= m->n_networks)
            return gan_errf(err, errlen, "%s: network %d out of range", owner, g->network);
        if (g->n_ops < 0 || g->n_inputs < 0 || g->n_outputs < 0 || (g->n_ops && !g->ops) ||
            (g->n_inputs && (!g->inputs || !g->input_roles)) || (g->n_outputs && !g->outputs))
            return gan_errf(err, errlen, "%s: bad counts", owner);
        for (int j = 0; j < p; j++)
            if (!strcmp(m->programs[j].name, g->name))
                return gan_errf(err, errlen, "%s: name used twice", owner);
        if (check_role(m, p, owner, err, errlen))
            return -1;
        for (int j = 0; j < g->n_inputs; j++) {
            if (check_tensor_ref(m, g->inputs[j], GAN_REGION_ARENA, 0, "input", owner, err,
                                 errlen))
                return -1;
            if (g->input_roles[j] < 0 || g->input_roles[j] >= GAN_ROLE_COUNT)
                return gan_errf(err, errlen, "%s: input %d role %d out of range", owner, j,
                             g->input_roles[j]);
        }
        for (int j = 0; j < g->n_outputs; j++)
            if (check_tensor_ref(m, g->outputs[j], GAN_REGION_ARENA, 0, "output", owner, err,
                                 errlen))
                return -1;
        if (g->arena_floats > m->region_floats[GAN_REGION_ARENA] || !(g->flops >= 0) ||
            g->flops > 1e30)
            return gan_errf(err, errlen, "%s: arena size %llu or flops out of range", owner,
                         (unsigned long long)g->arena_floats);
        for (int k = 0; k < g->n_ops; k++) {
            char msg[600];
            if (gan_op_validate(m, &g->ops[k], msg, sizeof msg))
                return gan_errf(err, errlen, "%s op %d: %s", owner, k, msg);
        }
    }
    return 0;
}
