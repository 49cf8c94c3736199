/* A training/sampling session: the model's regions allocated once, program inputs filled
 * from the data loader and the latent RNG, programs run, losses read, non-finite values
 * caught. Nothing in gan_session_step or gan_session_sample allocates. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/exec.h"
#include "runtime/kernels.h"
#include "runtime/train.h"
#include "runtime/train/session_internal.h"
#include "runtime/data.h"
#include "common/err.h"


static int reads_batch(const gan_program *p)
{
    for (int i = 0; i < p->n_inputs; i++)
        if (p->input_roles[i] == GAN_ROLE_IMAGE || p->input_roles[i] == GAN_ROLE_LABELS)
            return 1;
    return 0;
}

/* Checks a program's inputs against the model's data description. */
static int check_inputs(const gan_model *m, const gan_program *p, int batch, char *err,
                        size_t errlen)
{
    const gan_hyper *h = &m->hyper;
    for (int i = 0; i < p->n_inputs; i++) {
        int t = p->inputs[i];
        if (t < 0 || t >= m->n_tensors) {
            snprintf(err, errlen, "program %s: input %d is not a tensor", p->name, i);
            return -1;
        }
        const gan_tensor *x = &m->tensors[t];
        uint64_t per;
        switch (p->input_roles[i]) {
        case GAN_ROLE_IMAGE: per = (uint64_t)h->image_c * h->image_h * h->image_w; break;
        case GAN_ROLE_LABELS: per = (uint64_t)h->n_labels; break;
        case GAN_ROLE_LATENT: per = (uint64_t)h->latent_size; break;
        default:
            snprintf(err, errlen, "program %s: input %s has unknown role %d", p->name, x->name,
                     p->input_roles[i]);
            return -1;
        }
        if (per == 0 || x->numel != per * (uint64_t)batch || x->region != GAN_REGION_ARENA) {
            snprintf(err, errlen,
                     "program %s: input %s has %llu values, expected %d x %llu in the arena",
                     p->name, x->name, (unsigned long long)x->numel, batch,
                     (unsigned long long)per);
            return -1;
        }
    }
    return 0;
}

void gan_draw_latent(const gan_model *m, gan_rng *r, float *z, int n)
{
    size_t k = (size_t)n * (size_t)m->hyper.latent_size;
    if (m->hyper.latent_dist == GAN_LATENT_UNIFORM)
        gan_rng_fill_uniform(r, z, k, -1.0f, 1.0f);
    else
        gan_rng_fill_normal(r, z, k, 0.0f, 1.0f);
}

void gan_session_set_profile(gan_session *s, gan_profile *prof) { s->profile = prof; }

void gan_session_free(gan_session *s)
{
    if (!s)
        return;
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        free(s->base[r]);
    kern_scratch_free(s->scratch);
    free(s->img);
    free(s->lbl);
    free(s->ids);
    free(s->zbuf);
    free(s->run_vals);
    free(s->ema_swap);
    free(s->stat_t);
    free(s->standing);
    free(s->standing_swap);
    free(s->loss_names);
    free(s->loss_ptrs);
    free(s->acc);
    free(s);
}

gan_session *gan_session_create(const gan_model *m, const gan_session_opts *o, char *err,
                                size_t errlen)
{
    gan_session *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->m = m;
    s->threads = o->threads > 0 ? o->threads : 1;
    s->seed = o->seed;
    s->batch = m->hyper.batch;
    s->size = 1;
    s->gen = -1;
    s->prog_sample = gan_model_find_role(m, GAN_PROG_SAMPLE);
    gan_rng_seed(&s->rng, gan_mix64(o->seed ^ 0x4C4154454E54ull)); /* "LATENT" stream */
    if (s->batch <= 0) {
        snprintf(err, errlen, "model has batch size %d", s->batch);
        goto fail;
    }
    s->scratch = kern_scratch_new();
    if (!s->scratch) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (int r = 0; r < GAN_REGION_COUNT; r++) {
        /* calloc: every float starts defined, so a bug that reads unwritten memory is at
         * least deterministic */
        s->base[r] = calloc((size_t)m->region_floats[r] + 16, sizeof(float));
        if (!s->base[r]) {
            snprintf(err, errlen, "out of memory allocating %llu floats for region %d",
                     (unsigned long long)m->region_floats[r], r);
            goto fail;
        }
    }
    int d = gan_model_find_role(m, GAN_PROG_D_STEP), g = gan_model_find_role(m, GAN_PROG_G_STEP);
    int t = gan_model_find_role(m, GAN_PROG_TRAIN_STEP);
    if (d >= 0 && g >= 0) {
        s->kind = GAN_TRAIN_GAN;
        s->prog[0] = d;
        s->prog[1] = g;
        s->n_prog = 2;
    } else if (t >= 0) {
        s->kind = GAN_TRAIN_CLASSIFIER;
        s->prog[0] = t;
        s->n_prog = 1;
    } else {
        s->kind = GAN_TRAIN_NONE;
    }
    for (int i = 0; i < s->n_prog; i++)
        if (check_inputs(m, &m->programs[s->prog[i]], s->batch, err, errlen))
            goto fail;
    if (s->prog_sample >= 0 && check_inputs(m, &m->programs[s->prog_sample], s->batch, err, errlen))
        goto fail;
    /* each program is held to its contract once, here; the step loop only dispatches */
    for (int i = 0; i <= s->n_prog; i++) {
        int pi = i < s->n_prog ? s->prog[i] : s->prog_sample;
        if (pi >= 0 && gan_exec_check(m, &m->programs[pi], s->base, err, errlen))
            goto fail;
    }
    s->img_n = (size_t)s->batch * m->hyper.image_c * m->hyper.image_h * m->hyper.image_w;
    s->lbl_n = (size_t)s->batch * (m->hyper.n_labels > 0 ? m->hyper.n_labels : 1);
    s->img = calloc(s->img_n + 1, sizeof(float));
    s->lbl = calloc(s->lbl_n + 1, sizeof(float));
    s->ids = calloc((size_t)s->batch, sizeof *s->ids);
    if (!s->img || !s->lbl || !s->ids) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    /* the generator and its EMA copy */
    for (int i = 0; i < m->n_networks; i++)
        if (m->networks[i].role == GAN_NET_GENERATOR) {
            s->gen = i;
            break;
        }
    if (s->gen >= 0 && m->networks[s->gen].ema >= 0) {
        const gan_network *n = &m->networks[s->gen];
        if (n->params < 0 || n->params >= m->n_tensors || n->ema >= m->n_tensors ||
            m->tensors[n->params].numel != m->tensors[n->ema].numel) {
            snprintf(err, errlen, "network %s: EMA tensor does not match its parameters", n->name);
            goto fail;
        }
        s->ema_swap = malloc(sizeof(float) * (size_t)m->tensors[n->params].numel + 1);
        if (!s->ema_swap) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    /* loss columns */
    s->n_losses = 0;
    for (int i = 0; i < s->n_prog; i++) {
        s->loss_base[i] = s->n_losses;
        s->n_losses += m->programs[s->prog[i]].n_outputs;
    }
    s->loss_names = calloc((size_t)s->n_losses + 1, sizeof *s->loss_names);
    s->loss_ptrs = calloc((size_t)s->n_losses + 1, sizeof *s->loss_ptrs);
    s->acc = calloc((size_t)s->n_losses + 1, sizeof *s->acc);
    s->run_vals = calloc((size_t)s->n_losses + 1, sizeof *s->run_vals);
    if (!s->loss_names || !s->loss_ptrs || !s->acc || !s->run_vals) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < s->n_prog; i++) {
        const gan_program *p = &m->programs[s->prog[i]];
        for (int k = 0; k < p->n_outputs; k++)
            if (p->outputs[k] < 0 || p->outputs[k] >= m->n_tensors) {
                snprintf(err, errlen, "program %s: output %d is not a tensor", p->name, k);
                goto fail;
            }
        if (gan_loss_column_names(m, s->prog[i], s->loss_names + s->loss_base[i])) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        for (int k = 0; k < p->n_outputs; k++)
            s->loss_ptrs[s->loss_base[i] + k] = s->loss_names[s->loss_base[i] + k];
        if (p->n_outputs > 0) {
            s->summary_names[s->n_summary] = s->kind == GAN_TRAIN_GAN ? (i == 0 ? "D" : "G") : "loss";
            s->summary_cols[s->n_summary] = s->loss_base[i];
            s->n_summary++;
        }
    }
    s->images_per_step = 0;
    if (s->kind == GAN_TRAIN_GAN) {
        int ds = m->hyper.d_steps > 0 ? m->hyper.d_steps : 1;
        s->images_per_step = s->batch * (ds * reads_batch(&m->programs[s->prog[0]]) +
                                         reads_batch(&m->programs[s->prog[1]]));
    } else if (s->kind == GAN_TRAIN_CLASSIFIER) {
        s->images_per_step = s->batch * reads_batch(&m->programs[s->prog[0]]);
    }
    return s;
fail:
    gan_session_free(s);
    return NULL;
}

float *const *gan_session_base(gan_session *s) { return s->base; }
gan_rng *gan_session_rng(gan_session *s) { return &s->rng; }
void gan_session_set_loader(gan_session *s, gan_loader *l) { s->loader = l; }
gan_train_kind gan_session_kind(const gan_session *s) { return s->kind; }
int gan_session_n_losses(const gan_session *s) { return s->n_losses; }
const char *const *gan_session_loss_names(const gan_session *s) { return s->loss_ptrs; }
int gan_session_n_summary(const gan_session *s) { return s->n_summary; }
const char *const *gan_session_summary_names(const gan_session *s) { return s->summary_names; }
const int *gan_session_summary_cols(const gan_session *s) { return s->summary_cols; }
int gan_session_images_per_step(const gan_session *s) { return s->images_per_step; }
int gan_session_n_programs(const gan_session *s) { return s->n_prog; }
int gan_session_program(const gan_session *s, int slot) { return s->prog[slot]; }
int gan_session_loss_base(const gan_session *s, int slot) { return s->loss_base[slot]; }
void gan_session_set_hooks(gan_session *s, const gan_session_hooks *h)
{
    if (h)
        s->hooks = *h;
    else
        memset(&s->hooks, 0, sizeof s->hooks);
}

/* Does tensor a lie (partly) within tensor b's storage? */
static int overlaps(const gan_tensor *a, const gan_tensor *b)
{
    return a->region == b->region && a->offset < b->offset + b->numel &&
           b->offset < a->offset + a->numel;
}

/* The gradient buffers that program slot's OPTIM ops read: every network's <net>.grads
 * that one of their inputs lies in, the program's own network first. A buffer that shares
 * storage with one already chosen is left out: averaging a value twice is not a no-op in
 * floats for every rank count. */
static void find_reduced(gan_session *s, int slot)
{
    const gan_model *m = s->m;
    const gan_program *p = &m->programs[s->prog[slot]];
    s->split[slot] = gan_exec_first_optim(p);
    s->n_reduce[slot] = 0;
    for (int k = -1; k < m->n_networks; k++) {
        int n = k < 0 ? p->network : k;
        if (n < 0 || n >= m->n_networks || (k >= 0 && k == p->network))
            continue;
        int g = m->networks[n].grads, used = 0;
        if (g < 0 || g >= m->n_tensors)
            continue;
        for (int i = s->split[slot]; i < p->n_ops && !used; i++)
            for (int j = 0; j < p->ops[i].n_in && j < GAN_OP_MAX_IO && !used; j++) {
                int t = p->ops[i].in[j];
                used = t >= 0 && t < m->n_tensors && overlaps(&m->tensors[t], &m->tensors[g]);
            }
        for (int r = 0; r < s->n_reduce[slot] && used; r++)
            used = !overlaps(&m->tensors[s->reduce_t[slot][r]], &m->tensors[g]);
        if (used && s->n_reduce[slot] < MAX_REDUCE)
            s->reduce_t[slot][s->n_reduce[slot]++] = g;
    }
}

int gan_session_set_shard(gan_session *s, int rank, int size, gan_session_reduce_fn reduce,
                          void *ctx, char *err, size_t errlen)
{
    const gan_hyper *h = &s->m->hyper;
    if (size < 1 || rank < 0 || rank >= size)
        return gan_errf(err, errlen, "rank %d of %d", rank, size);
    size_t rows = (size_t)s->batch * (size_t)size;
    float *img = calloc(s->img_n * size + 1, sizeof(float));
    float *lbl = calloc(s->lbl_n * size + 1, sizeof(float));
    int64_t *ids = calloc(rows, sizeof *ids);
    float *z = calloc(rows * (h->latent_size > 0 ? h->latent_size : 1), sizeof(float));
    if (!img || !lbl || !ids || !z) {
        free(img), free(lbl), free(ids), free(z);
        return gan_errf(err, errlen, "out of memory");
    }
    free(s->img), free(s->lbl), free(s->ids), free(s->zbuf);
    s->img = img, s->lbl = lbl, s->ids = ids, s->zbuf = z;
    s->rank = rank, s->size = size;
    s->reduce = reduce, s->reduce_ctx = ctx;
    for (int i = 0; i < s->n_prog; i++)
        find_reduced(s, i);
    return 0;
}

int gan_session_init_params(gan_session *s, char *err, size_t errlen)
{
    gan_rng r;
    gan_rng_seed(&r, gan_mix64(s->seed ^ 0x494E4954ull)); /* "INIT" stream */
    return gan_init_all(s->m, s->base, &r, err, errlen);
}

int gan_find_nonfinite_tensor(const gan_model *m, float *const base[GAN_REGION_COUNT], int region,
                              uint64_t off, uint64_t n)
{
    int agg_hit = -1;
    for (int i = 0; i < m->n_tensors; i++) {
        const gan_tensor *t = &m->tensors[i];
        if (t->region != region || t->offset + t->numel <= off || t->offset >= off + n)
            continue;
        const float *x = base[region] + t->offset;
        for (uint64_t k = 0; k < t->numel; k++)
            if (!isfinite(x[k])) {
                if (!(t->flags & GAN_TF_AGGREGATE))
                    return i; /* a part names the culprit better than the aggregate */
                if (agg_hit < 0)
                    agg_hit = i;
                break;
            }
    }
    return agg_hit;
}

static int all_finite(const float *x, uint64_t n)
{
    /* summing propagates NaN/Inf; cheaper than a branch per element */
    float acc = 0.0f;
    for (uint64_t i = 0; i < n; i++)
        acc += x[i] * 0.0f;
    return acc == 0.0f;
}

/* Checks the gradients and parameters of program p's network after a run. */
static int check_network(gan_session *s, const gan_program *p, long long step, char *err,
                         size_t errlen)
{
    const gan_model *m = s->m;
    if (p->network < 0 || p->network >= m->n_networks)
        return 0;
    const gan_network *n = &m->networks[p->network];
    const int which[2] = {n->grads, n->params};
    const char *what[2] = {"gradient", "parameter"};
    for (int k = 0; k < 2; k++) {
        int ti = which[k];
        if (ti < 0 || ti >= m->n_tensors)
            continue;
        const gan_tensor *t = &m->tensors[ti];
        if (all_finite(s->base[t->region] + t->offset, t->numel))
            continue;
        int bad = gan_find_nonfinite_tensor(m, s->base, t->region, t->offset, t->numel);
        snprintf(err, errlen, "step %lld: non-finite %s in %s after %s", step, what[k],
                 bad >= 0 ? m->tensors[bad].name : t->name, p->name);
        return 1;
    }
    return 0;
}

/* Fills p's inputs: one loader batch if it needs images or labels, a fresh z per LATENT. */
static int fill_inputs(gan_session *s, const gan_program *p, char *err, size_t errlen)
{
    if (reads_batch(p)) {
        if (!s->loader) {
            snprintf(err, errlen, "program %s needs data but no loader is open", p->name);
            return -1;
        }
        if (gan_loader_next_ids(s->loader, s->img, s->m->hyper.n_labels > 0 ? s->lbl : NULL,
                                s->ids, err, errlen))
            return -1;
    }
    size_t lbl_n = (size_t)s->batch * s->m->hyper.n_labels, z_n = (size_t)s->batch *
                                                                   s->m->hyper.latent_size;
    for (int i = 0; i < p->n_inputs; i++) {
        float *dst = gan_tensor_ptr(s->m, s->base, p->inputs[i]);
        switch (p->input_roles[i]) {
        case GAN_ROLE_IMAGE:
            memcpy(dst, s->img + (size_t)s->rank * s->img_n, s->img_n * sizeof(float));
            break;
        case GAN_ROLE_LABELS:
            memcpy(dst, s->lbl + (size_t)s->rank * lbl_n, lbl_n * sizeof(float));
            break;
        case GAN_ROLE_LATENT:
            /* every rank draws the global z and keeps its rows: the rows one process at the
             * global batch would give them, and the same RNG state everywhere */
            if (s->size == 1) {
                gan_draw_latent(s->m, &s->rng, dst, s->batch);
                break;
            }
            gan_draw_latent(s->m, &s->rng, s->zbuf, s->batch * s->size);
            memcpy(dst, s->zbuf + (size_t)s->rank * z_n, z_n * sizeof(float));
            break;
        }
    }
    return 0;
}

static double output_value(gan_session *s, int ti)
{
    const gan_tensor *t = &s->m->tensors[ti];
    const float *x = s->base[t->region] + t->offset;
    double sum = 0;
    for (uint64_t k = 0; k < t->numel; k++)
        sum += x[k];
    return t->numel ? sum / (double)t->numel : 0.0;
}

/* Runs training program `slot`; with a reduce function, in two parts around the averaging
 * of its gradients over the ranks: the backward is complete before the first OPTIM op. */
static int run_split(gan_session *s, int slot, const gan_program *p, char *err, size_t errlen)
{
    const gan_model *m = s->m;
    double *ops = gan_profile_ops(s->profile, s->prog[slot]);
    int row0 = s->rank * s->batch;
    if (!s->reduce || s->n_reduce[slot] == 0)
        return gan_exec_run_range(m, p, s->base, s->threads, s->scratch, ops, 0, p->n_ops, row0,
                                  err, errlen);
    int k = s->split[slot];
    if (gan_exec_run_range(m, p, s->base, s->threads, s->scratch, ops, 0, k, row0, err, errlen))
        return -1;
    for (int i = 0; i < s->n_reduce[slot]; i++) {
        const gan_tensor *t = &m->tensors[s->reduce_t[slot][i]];
        if (s->reduce(s->reduce_ctx, s->base[t->region] + t->offset, (size_t)t->numel, err,
                      errlen))
            return -1;
    }
    return gan_exec_run_range(m, p, s->base, s->threads, s->scratch, ops, k, p->n_ops, row0,
                              err, errlen);
}

static int run_train_program(gan_session *s, int slot, int run, long long step, double weight,
                             double *losses, char *err, size_t errlen)
{
    const gan_model *m = s->m;
    const gan_program *p = &m->programs[s->prog[slot]];
    gan_run_info ri = {step, run, slot, s->prog[slot],
                       reads_batch(p) && !s->hooks.replay ? s->ids + (size_t)s->rank * s->batch
                                                          : NULL};
    /* a replay takes every input from the hook: the loader and the latent RNG stay still */
    if (!s->hooks.replay && fill_inputs(s, p, err, errlen))
        return -1;
    if (s->hooks.before && s->hooks.before(s->hooks.ctx, s, &ri, err, errlen))
        return -1;
    char e2[512];
    if (run_split(s, slot, p, e2, sizeof e2)) {
        snprintf(err, errlen, "step %lld: %s: %s", step, p->name, e2);
        return -1;
    }
    for (int k = 0; k < p->n_outputs; k++) {
        double v = output_value(s, p->outputs[k]);
        if (!isfinite(v)) {
            snprintf(err, errlen, "step %lld: non-finite loss %s = %g after %s", step,
                     s->loss_ptrs[s->loss_base[slot] + k], v, p->name);
            return 1;
        }
        losses[s->loss_base[slot] + k] += weight * v;
        s->run_vals[k] = v;
    }
    int r = check_network(s, p, step, err, errlen);
    if (!r && s->hooks.after && s->hooks.after(s->hooks.ctx, s, &ri, s->run_vals, err, errlen))
        return -1;
    return r;
}

int gan_session_step(gan_session *s, long long step, double *losses, char *err, size_t errlen)
{
    if (s->kind == GAN_TRAIN_NONE) {
        snprintf(err, errlen, "the model has no training program (d_step + g_step or train_step)");
        return -1;
    }
    for (int i = 0; i < s->n_losses; i++)
        losses[i] = 0;
    int r;
    if (s->kind == GAN_TRAIN_GAN) {
        int ds = s->m->hyper.d_steps > 0 ? s->m->hyper.d_steps : 1;
        for (int k = 0; k < ds; k++)
            if ((r = run_train_program(s, 0, k + 1, step, 1.0 / ds, losses, err, errlen)))
                return r;
        return run_train_program(s, 1, ds + 1, step, 1.0, losses, err, errlen);
    }
    return run_train_program(s, 0, 1, step, 1.0, losses, err, errlen);
}

int gan_session_swap_ema(gan_session *s, int in)
{
    const gan_model *m = s->m;
    const gan_network *g = s->gen >= 0 ? &m->networks[s->gen] : NULL;
    if (!g || g->ema < 0 || !s->ema_swap)
        return 0;
    float *pp = gan_tensor_ptr(m, s->base, g->params);
    size_t pn = (size_t)m->tensors[g->params].numel;
    if (in) {
        memcpy(s->ema_swap, pp, pn * sizeof(float));
        memcpy(pp, gan_tensor_ptr(m, s->base, g->ema), pn * sizeof(float));
    } else {
        memcpy(pp, s->ema_swap, pn * sizeof(float));
    }
    return 1;
}

void gan_session_fill_sample_inputs(gan_session *s, const gan_program *p, const float *z,
                                    const float *labels, int at, int k)
{
    const gan_model *m = s->m;
    size_t per = (size_t)m->hyper.image_c * m->hyper.image_h * m->hyper.image_w;
    int Z = m->hyper.latent_size, L = m->hyper.n_labels;
    for (int i = 0; i < p->n_inputs; i++) {
        float *dst = gan_tensor_ptr(m, s->base, p->inputs[i]);
        int role = p->input_roles[i];
        int w = role == GAN_ROLE_LATENT ? Z : role == GAN_ROLE_LABELS ? L : 0;
        const float *src = role == GAN_ROLE_LATENT ? z : role == GAN_ROLE_LABELS ? labels : NULL;
        if (role == GAN_ROLE_IMAGE || w == 0 || !src) { /* not used by sampling */
            size_t cnt = role == GAN_ROLE_IMAGE ? per : (size_t)w;
            memset(dst, 0, sizeof(float) * (size_t)s->batch * cnt);
            continue;
        }
        memcpy(dst, src + (size_t)at * w, sizeof(float) * (size_t)k * w);
        /* a short last chunk: pad with the first row (its outputs are dropped) */
        for (int j = k; j < s->batch; j++)
            memcpy(dst + (size_t)j * w, src + (size_t)at * w, sizeof(float) * w);
    }
}

int gan_session_sample(gan_session *s, int n, const float *z, const float *labels, float *out,
                       int use_ema, char *err, size_t errlen)
{
    const gan_model *m = s->m;
    if (s->prog_sample < 0) {
        snprintf(err, errlen, "the model has no \"sample\" program");
        return -1;
    }
    const gan_program *p = &m->programs[s->prog_sample];
    if (p->n_outputs < 1) {
        snprintf(err, errlen, "program sample has no output");
        return -1;
    }
    const gan_tensor *ot = &m->tensors[p->outputs[0]];
    size_t per = (size_t)m->hyper.image_c * m->hyper.image_h * m->hyper.image_w;
    if (ot->numel != per * (size_t)s->batch) {
        snprintf(err, errlen, "program sample: output %s has %llu values, expected %d images",
                 ot->name, (unsigned long long)ot->numel, s->batch);
        return -1;
    }
    int swap = use_ema && gan_session_swap_ema(s, 1);
    gan_session_swap_standing(s, 1, swap);
    int rc = 0;
    for (int at = 0; at < n && !rc; at += s->batch) {
        int k = n - at < s->batch ? n - at : s->batch;
        gan_session_fill_sample_inputs(s, p, z, labels, at, k);
        char e2[512];
        if (gan_exec_run_checked(m, p, s->base, s->threads, s->scratch, e2, sizeof e2)) {
            snprintf(err, errlen, "sample: %s", e2);
            rc = -1;
            break;
        }
        memcpy(out + (size_t)at * per, gan_tensor_ptr(m, s->base, p->outputs[0]),
               sizeof(float) * per * (size_t)k);
    }
    gan_session_swap_standing(s, 0, swap);
    if (swap)
        gan_session_swap_ema(s, 0);
    return rc;
}
