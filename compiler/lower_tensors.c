/* Persistent tensors, once per model: each network's parameters in node order, contiguous so
 * a flat aggregate views them all; their gradients at the same offsets in GRAD (trained
 * networks only); in STATE the Adam moments and step, the EMA copy, batch-norm running
 * statistics and spectral-norm u vectors. */
#include "compiler/layers.h"
#include "compiler/lower_internal.h"
#include "compiler/optimizers.h"

#include <stdlib.h>

static int persistent(lower_ctx *L, const char *name, int region, int ndim, const int *shape,
                      uint64_t *off, int init, float arg, int fan_in, int fan_out)
{
    int t = gb_tensor(&L->g, name, region, ndim, shape);
    if (t < 0)
        return -1;
    gan_tensor *x = &L->g.m->tensors[t];
    x->offset = *off;
    x->init = (uint8_t)init;
    x->init_arg = arg;
    x->fan_in = fan_in;
    x->fan_out = fan_out;
    *off += x->numel;
    return t;
}

static int add_param(lower_ctx *L, int n, int t)
{
    net_info *ni = &L->nets[n];
    int *p = realloc(ni->plist, (size_t)(ni->n_params + 1) * sizeof *p);
    if (!p)
        return gb_fail(&L->g, "out of memory");
    ni->plist = p;
    ni->plist[ni->n_params++] = t;
    return 0;
}

static int init_or_default(const md_node *nd)
{
    return nd->init > GAN_INIT_NONE && nd->init < GAN_INIT_COUNT ? nd->init
                                                                  : GAN_INIT_GLOROT_UNIFORM;
}

/* A vector of one node, "<net>.<node>.<what>": a bias, batch-norm gamma, beta and running
 * statistics, a spectral-norm u. */
static int node_vec(lower_ctx *L, const md_network *net, const md_node *nd, const char *what,
                    int region, int len, uint64_t *off, int init)
{
    char nm[GAN_NAME_MAX];
    gb_name(nm, "%s.%s.%s", net->name, nd->name, what);
    return persistent(L, nm, region, 1, (int[]){len}, off, init, 0, 0, 0);
}

int lw_param_weight(lw_persist *lp, int ndim, const int *shape, int fan_in, int fan_out)
{
    char nm[GAN_NAME_MAX];
    gb_name(nm, "%s.%s.w", lp->net->name, lp->nd->name);
    int w = persistent(lp->L, nm, GAN_REGION_PARAM, ndim, shape, lp->off, init_or_default(lp->nd),
                       lp->nd->init_arg, fan_in, fan_out);
    if (w < 0 || add_param(lp->L, lp->n, w))
        return -1;
    return lp->L->nets[lp->n].w[lp->k] = w;
}

int lw_param_vec(lw_persist *lp, const char *what, int len, int init)
{
    int t = node_vec(lp->L, lp->net, lp->nd, what, GAN_REGION_PARAM, len, lp->off, init);
    return t < 0 || add_param(lp->L, lp->n, t) ? -1 : t;
}

int lw_state_vec(lw_persist *lp, const char *what, int len, int init)
{
    return node_vec(lp->L, lp->net, lp->nd, what, GAN_REGION_STATE, len, lp->off, init);
}

/* Node k's parameters, appended to the network's parameter list in layout order. */
static int node_params(lower_ctx *L, int n, int k, uint64_t *off)
{
    const md_network *net = &L->md->networks[n];
    const layer_kind *lk = layer_kind_of(net->nodes[k].kind);
    if (!lk || !lk->params)
        return 0;
    lw_persist lp = {L, n, k, net, &net->nodes[k], off};
    return lk->params(&lp) < 0 || L->g.failed ? -1 : 0;
}

/* One network's parameters and their flat aggregate "<net>.params". */
static int net_params(lower_ctx *L, int n, uint64_t *off)
{
    const md_network *net = &L->md->networks[n];
    net_info *ni = &L->nets[n];
    gb_ctx *g = &L->g;
    uint64_t start = *off;
    for (int k = 0; k < net->n_nodes; k++)
        if (node_params(L, n, k, off) < 0)
            return -1;
    if (*off == start)
        return gb_fail(g, "network %s has no parameters", net->name);
    if (*off - start > 0x7fffffffULL)
        return gb_fail(g, "network %s has too many parameters (%llu)", net->name,
                       (unsigned long long)(*off - start));
    char nm[GAN_NAME_MAX];
    gb_name(nm, "%s.params", net->name);
    ni->agg_params = gb_tensor(g, nm, GAN_REGION_PARAM, 1, (int[]){(int)(*off - start)});
    if (ni->agg_params < 0)
        return -1;
    g->m->tensors[ni->agg_params].offset = start;
    g->m->tensors[ni->agg_params].flags = GAN_TF_AGGREGATE;
    return 0;
}

/* Lays a region out network by network: fn appends network n's tensors at *off. */
static int lay_out(lower_ctx *L, int region, int (*fn)(lower_ctx *L, int n, uint64_t *off))
{
    uint64_t off = 0;
    for (int n = 0; n < L->md->n_networks; n++)
        if (fn(L, n, &off) < 0)
            return -1;
    L->g.m->region_floats[region] = off;
    return 0;
}

int lw_make_params(lower_ctx *L)
{
    return lay_out(L, GAN_REGION_PARAM, net_params);
}

/* Gradients mirror the parameter layout (same offsets) for the networks that are trained. */
int lw_make_grads(lower_ctx *L)
{
    gb_ctx *g = &L->g;
    char nm[GAN_NAME_MAX];
    for (int n = 0; n < L->md->n_networks; n++) {
        net_info *ni = &L->nets[n];
        ni->pgrad = malloc((size_t)ni->n_params * sizeof(int));
        ni->pm = malloc((size_t)ni->n_params * sizeof(int));
        ni->pv = malloc((size_t)ni->n_params * sizeof(int));
        if (!ni->pgrad || !ni->pm || !ni->pv)
            return gb_fail(g, "out of memory");
        for (int p = 0; p < ni->n_params; p++)
            ni->pgrad[p] = ni->pm[p] = ni->pv[p] = -1;
        if (ni->objective < 0)
            continue;
        for (int p = 0; p < ni->n_params; p++) {
            gan_tensor src = g->m->tensors[ni->plist[p]];
            gb_suffix(nm, src.name, ".grad");
            uint64_t off = src.offset;
            ni->pgrad[p] = persistent(L, nm, GAN_REGION_GRAD, src.ndim, src.shape, &off,
                                      GAN_INIT_ZEROS, 0, 0, 0);
            if (ni->pgrad[p] < 0)
                return -1;
        }
        gan_tensor agg = g->m->tensors[ni->agg_params];
        gb_name(nm, "%s.grads", L->md->networks[n].name);
        uint64_t off = agg.offset;
        ni->agg_grads = persistent(L, nm, GAN_REGION_GRAD, 1, agg.shape, &off, GAN_INIT_NONE,
                                   0, 0, 0);
        if (ni->agg_grads < 0)
            return -1;
        g->m->tensors[ni->agg_grads].flags = GAN_TF_AGGREGATE;
    }
    g->m->region_floats[GAN_REGION_GRAD] = g->m->region_floats[GAN_REGION_PARAM];
    return 0;
}

/* A trained network's optimizer state (aggregates of Adam's m and v, or the one buffer of
 * SGD's momentum or RMSprop's square average; per-parameter views when unfused), its update
 * counter and EMA copy. */
static int optimizer_state(lower_ctx *L, int n, uint64_t *off)
{
    const md_network *net = &L->md->networks[n];
    net_info *ni = &L->nets[n];
    gb_ctx *g = &L->g;
    char nm[GAN_NAME_MAX];
    const md_objective *ob = &L->md->objectives[ni->objective];
    const md_optim_info *in = md_optim_of(ob->optim);
    if (!in)
        return gb_fail(g, "%s: unknown optimizer %d", net->name, ob->optim);
    gan_tensor agg = g->m->tensors[ni->agg_params];
    for (int mv = 0; mv < in->n_state; mv++) {
        uint64_t start = *off;
        gb_name(nm, "%s.%s", net->name, in->state[mv]);
        int a = persistent(L, nm, GAN_REGION_STATE, 1, agg.shape, off, GAN_INIT_ZEROS, 0, 0, 0);
        if (a < 0)
            return -1;
        g->m->tensors[a].flags = GAN_TF_AGGREGATE;
        if (mv == 0)
            ni->adam_m = a;
        else
            ni->adam_v = a;
        if (!L->fuse)
            for (int p = 0; p < ni->n_params; p++) {
                gan_tensor src = g->m->tensors[ni->plist[p]];
                char sfx[GAN_NAME_MAX];
                snprintf(sfx, sizeof sfx, ".%s", in->state[mv]);
                gb_suffix(nm, src.name, sfx);
                uint64_t o = start + (src.offset - agg.offset);
                int t = persistent(L, nm, GAN_REGION_STATE, src.ndim, src.shape, &o,
                                   GAN_INIT_ZEROS, 0, 0, 0);
                if (t < 0)
                    return -1;
                (mv == 0 ? ni->pm : ni->pv)[p] = t;
            }
    }
    gb_name(nm, "%s.%s", net->name, in->counter);
    ni->adam_t = persistent(L, nm, GAN_REGION_STATE, 1, (int[]){1}, off, GAN_INIT_ZEROS, 0, 0, 0);
    if (ni->adam_t < 0)
        return -1;
    if (ob->ema_decay > 0) {
        gb_name(nm, "%s.ema", net->name);
        ni->ema = persistent(L, nm, GAN_REGION_STATE, 1, agg.shape, off, GAN_INIT_COPY, 0, 0, 0);
        if (ni->ema < 0)
            return -1;
        g->m->tensors[ni->ema].init_src = ni->agg_params;
    }
    return 0;
}

/* One network's state: its optimizer's when it is trained, then per node its kind's state
 * (batch-norm running statistics) and spectral-norm u vectors ([O] for the O x K view of w). */
static int net_state(lower_ctx *L, int n, uint64_t *off)
{
    const md_network *net = &L->md->networks[n];
    net_info *ni = &L->nets[n];
    if (ni->objective >= 0 && optimizer_state(L, n, off) < 0)
        return -1;
    for (int k = 0; k < net->n_nodes; k++) {
        const md_node *nd = &net->nodes[k];
        const layer_kind *lk = layer_kind_of(nd->kind);
        lw_persist lp = {L, n, k, net, nd, off};
        if (lk && lk->state && lk->state(&lp) < 0)
            return -1;
        if (nd->spectral_norm && ni->w[k] >= 0) {
            int O = L->g.m->tensors[ni->w[k]].shape[0];
            ni->u[k] = node_vec(L, net, nd, "w.u", GAN_REGION_STATE, O, off, GAN_INIT_UNIT_NORMAL);
        }
        if (L->g.failed)
            return -1;
    }
    return 0;
}

int lw_make_state(lower_ctx *L)
{
    return lay_out(L, GAN_REGION_STATE, net_state);
}

int lw_param_affine(lw_persist *lp)
{
    net_info *ni = &lp->L->nets[lp->n];
    int C = lp->nd->shape[0];
    if (!lp->nd->affine)
        return 0;
    if ((ni->gamma[lp->k] = lw_param_vec(lp, "gamma", C, GAN_INIT_ONES)) < 0)
        return -1;
    return (ni->beta[lp->k] = lw_param_vec(lp, "beta", C, GAN_INIT_ZEROS)) < 0 ? -1 : 0;
}
