/* Lowering: md_model (per-sample graph of each network + loss objectives) -> gan_model.
 *
 * Order of work (see docs/compiler.md):
 *   1. persistent tensors: parameters per network, contiguous, with a flat aggregate; their
 *      gradients mirrored in GRAD; Adam moments, step counter, EMA copy, batch-norm running
 *      stats and spectral-norm u vectors in STATE;
 *   2. per program: the forward graph, lowered on demand from the loss expressions (a network
 *      call is memoized by (network, argument tensors): identical calls are computed once, and
 *      only the nodes a head needs are lowered); then fusion, autodiff, optimizer, EMA;
 *   3. unused arena tensors (left behind by fusion) are dropped and indices renumbered.
 * Arena offsets stay 0: the planner assigns them.
 */
#include "compiler/backend.h"
#include "compiler/graph_build.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CALLS 64

typedef struct {
    int *w, *b, *gamma, *beta, *rmean, *rvar, *u; /* per node: tensor index or -1 */
    int n_params;
    int *plist;          /* parameter tensors in layout order */
    int *pgrad, *pm, *pv; /* per plist entry: grad tensor, Adam m / v views (unfused), or -1 */
    int agg_params, agg_grads, adam_m, adam_v, adam_t, ema;
    int objective;       /* index into md->objectives, or -1 */
} net_info;

typedef struct {
    const md_model *md;
    gb_ctx g;
    int fuse;
    int batch;
    net_info *nets;
} lower_ctx;

typedef struct {
    int net;
    int n_args;
    int args[8];
    int *val; /* per node: tensor, -1 until lowered */
} call_rec;

typedef struct {
    lower_ctx *L;
    gb_oplist ops;
    const char *pname;
    int train;           /* 1: BN_TRAIN, spectral norm power iteration */
    call_rec calls[MAX_CALLS];
    int n_calls;
    int **wsn;           /* per network, per node: normalised weight in this program, or -1 */
    int x, y, z;         /* program inputs, -1 until used */
} prog_ctx;

/* ------------------------------------------------------------------ helpers */

static uint64_t node_numel(const md_node *n)
{
    uint64_t e = 1;
    for (int d = 0; d < n->ndim && d < 3; d++)
        e *= (uint64_t)(n->shape[d] > 0 ? n->shape[d] : 0);
    return e;
}

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

static int same_shape(const md_node *a, const md_node *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d])
            return 0;
    return 1;
}

/* The per-sample output shape the front end computed must be what the op will produce: the
 * back end trusts these shapes for every tensor it creates. */
static int check_node_shape(lower_ctx *L, const md_network *net, int k)
{
    const md_node *nd = &net->nodes[k];
    const md_node *x = nd->n_in > 0 ? &net->nodes[nd->in[0]] : NULL;
    int ok = 1;
    long eh = 0, ew = 0;
    switch (nd->kind) {
    case MD_CONV:
        eh = ((long)x->shape[1] + nd->pad_t + nd->pad_b - nd->kh) / nd->stride + 1;
        ew = ((long)x->shape[2] + nd->pad_l + nd->pad_r - nd->kw) / nd->stride + 1;
        ok = nd->pad_t >= 0 && nd->pad_l >= 0 && nd->pad_b >= 0 && nd->pad_r >= 0 &&
             (long)x->shape[1] + nd->pad_t + nd->pad_b >= nd->kh &&
             (long)x->shape[2] + nd->pad_l + nd->pad_r >= nd->kw && nd->shape[1] == eh &&
             nd->shape[2] == ew && nd->shape[0] == nd->units;
        break;
    case MD_CONV_T:
        eh = ((long)x->shape[1] - 1) * nd->stride + nd->kh - nd->pad_t - nd->pad_b;
        ew = ((long)x->shape[2] - 1) * nd->stride + nd->kw - nd->pad_l - nd->pad_r;
        ok = nd->pad_t >= 0 && nd->pad_l >= 0 && nd->pad_b >= 0 && nd->pad_r >= 0 &&
             nd->shape[1] == eh && nd->shape[2] == ew && nd->shape[0] == nd->units;
        break;
    case MD_UPSAMPLE:
        ok = x->ndim == 3 && nd->shape[0] == x->shape[0] &&
             nd->shape[1] == (long)x->shape[1] * nd->factor &&
             nd->shape[2] == (long)x->shape[2] * nd->factor;
        break;
    case MD_BATCHNORM:
    case MD_ACT:
        ok = same_shape(nd, x);
        break;
    case MD_ADD:
        ok = same_shape(nd, x) && same_shape(nd, &net->nodes[nd->in[1]]);
        break;
    case MD_CONCAT: {
        long c = 0;
        for (int i = 0; i < nd->n_in; i++) {
            const md_node *a = &net->nodes[nd->in[i]];
            c += a->shape[0];
            if (a->ndim != nd->ndim ||
                (nd->ndim == 3 && (a->shape[1] != nd->shape[1] || a->shape[2] != nd->shape[2])))
                ok = 0;
        }
        ok = ok && c == nd->shape[0];
        break;
    }
    case MD_TILE:
        ok = x->ndim == 1 && nd->ndim == 3 && nd->shape[0] == x->shape[0];
        break;
    case MD_RESHAPE:
        ok = node_numel(nd) == node_numel(x);
        break;
    case MD_GAP:
        ok = x->ndim == 3 && nd->ndim == 1 && nd->shape[0] == x->shape[0];
        break;
    case MD_PROJECT:
        ok = nd->ndim == 1 && nd->shape[0] == 1 && x->ndim == 1 &&
             net->nodes[nd->in[1]].ndim == 1;
        break;
    default:
        break;
    }
    if (!ok)
        return gb_fail(&L->g, "%s.%s (line %d): output shape does not follow from the input "
                       "shape and the layer's options", net->name, nd->name, nd->line);
    return 0;
}

/* Checks the md_model enough that lowering cannot index out of bounds. */
static int check_md(lower_ctx *L)
{
    const md_model *md = L->md;
    gb_ctx *g = &L->g;
    if (md->n_networks <= 0 || !md->networks)
        return gb_fail(g, "model has no networks");
    for (int n = 0; n < md->n_networks; n++) {
        const md_network *net = &md->networks[n];
        if (net->n_nodes <= 0 || !net->nodes)
            return gb_fail(g, "network %s has no layers", net->name);
        if (net->n_inputs < 0 || net->n_inputs > 8 || net->n_heads <= 0 || net->n_heads > 8)
            return gb_fail(g, "network %s: bad input/head count", net->name);
        for (int k = 0; k < net->n_nodes; k++) {
            const md_node *nd = &net->nodes[k];
            if (nd->n_in < 0 || nd->n_in > 8)
                return gb_fail(g, "%s.%s (line %d): bad input count", net->name, nd->name,
                               nd->line);
            for (int i = 0; i < nd->n_in; i++)
                if (nd->in[i] < 0 || nd->in[i] >= k)
                    return gb_fail(g, "%s.%s (line %d): input %d is not an earlier node",
                                   net->name, nd->name, nd->line, i);
            if (nd->ndim != 1 && nd->ndim != 3)
                return gb_fail(g, "%s.%s (line %d): rank %d (want 1 or 3)", net->name,
                               nd->name, nd->line, nd->ndim);
            for (int d = 0; d < nd->ndim; d++)
                if (nd->shape[d] <= 0)
                    return gb_fail(g, "%s.%s (line %d): dimension %d is %d", net->name,
                                   nd->name, nd->line, d, nd->shape[d]);
            /* caps keep every size product below in 64-bit (and tensor dims in int32) */
            if (node_numel(nd) > 0x7fffffffULL)
                return gb_fail(g, "%s.%s (line %d): %llu values per sample is too large",
                               net->name, nd->name, nd->line,
                               (unsigned long long)node_numel(nd));
            const int opts[] = {nd->kh, nd->kw, nd->stride, nd->pad_t, nd->pad_l, nd->pad_b,
                                nd->pad_r, nd->factor};
            for (int q = 0; q < 8; q++)
                if (opts[q] > 1024 || opts[q] < -1024)
                    return gb_fail(g, "%s.%s (line %d): kernel/stride/padding/factor %d out of "
                                   "range", net->name, nd->name, nd->line, opts[q]);
            int need = 0;
            switch (nd->kind) {
            case MD_INPUT: need = 0; break;
            case MD_CONCAT: need = nd->n_in >= 1 ? nd->n_in : 1; break;
            case MD_ADD: case MD_PROJECT: need = 2; break;
            default:
                if (nd->kind < 0 || nd->kind >= MD_KIND_COUNT)
                    return gb_fail(g, "%s.%s (line %d): unknown layer kind %d", net->name,
                                   nd->name, nd->line, nd->kind);
                need = 1;
            }
            if (nd->n_in != need)
                return gb_fail(g, "%s.%s (line %d): %d inputs, expected %d", net->name,
                               nd->name, nd->line, nd->n_in, need);
            if ((nd->kind == MD_CONV || nd->kind == MD_CONV_T) &&
                (nd->kh <= 0 || nd->kw <= 0 || nd->stride <= 0 || nd->ndim != 3 ||
                 net->nodes[nd->in[0]].ndim != 3))
                return gb_fail(g, "%s.%s (line %d): bad convolution geometry", net->name,
                               nd->name, nd->line);
            if (nd->kind == MD_UPSAMPLE && (nd->factor <= 0 || nd->ndim != 3))
                return gb_fail(g, "%s.%s (line %d): bad upsample factor", net->name, nd->name,
                               nd->line);
            if (nd->kind == MD_DENSE && (nd->units <= 0 || nd->ndim != 1 ||
                                         nd->shape[0] != nd->units))
                return gb_fail(g, "%s.%s (line %d): dense output shape differs from units",
                               net->name, nd->name, nd->line);
            if (check_node_shape(L, net, k) < 0)
                return -1;
        }
        for (int i = 0; i < net->n_inputs; i++) {
            int k = net->inputs[i].node;
            if (k < 0 || k >= net->n_nodes || net->nodes[k].kind != MD_INPUT)
                return gb_fail(g, "network %s: formal %s is not an input node", net->name,
                               net->inputs[i].name);
        }
        for (int h = 0; h < net->n_heads; h++)
            if (net->heads[h].node < 0 || net->heads[h].node >= net->n_nodes)
                return gb_fail(g, "network %s: head %s out of range", net->name,
                               net->heads[h].name);
    }
    if (md->n_objectives <= 0 || !md->objectives)
        return gb_fail(g, "model has no loss objectives");
    for (int o = 0; o < md->n_objectives; o++) {
        const md_objective *ob = &md->objectives[o];
        if (ob->network < 0 || ob->network >= md->n_networks)
            return gb_fail(g, "objective %d: network index %d out of range", o, ob->network);
        if (ob->n_terms <= 0 || ob->n_terms > 8 || !ob->terms)
            return gb_fail(g, "loss %s: %d terms (1..8 supported)",
                           md->networks[ob->network].name, ob->n_terms);
        if (L->nets[ob->network].objective >= 0)
            return gb_fail(g, "network %s has two loss objectives",
                           md->networks[ob->network].name);
        L->nets[ob->network].objective = o;
    }
    return 0;
}

/* ------------------------------------------------------------------ persistent tensors */

static int fan(int c, int kh, int kw)
{
    long f = (long)c * kh * kw;
    return f > 0x7fffffffL ? 0x7fffffff : (int)f;
}

static int init_or_default(const md_node *nd)
{
    return nd->init > GAN_INIT_NONE && nd->init < GAN_INIT_COUNT ? nd->init
                                                                  : GAN_INIT_GLOROT_UNIFORM;
}

static int make_params(lower_ctx *L)
{
    const md_model *md = L->md;
    gb_ctx *g = &L->g;
    uint64_t off = 0;
    char nm[GAN_NAME_MAX];
    for (int n = 0; n < md->n_networks; n++) {
        const md_network *net = &md->networks[n];
        net_info *ni = &L->nets[n];
        uint64_t start = off;
        for (int k = 0; k < net->n_nodes; k++) {
            const md_node *nd = &net->nodes[k];
            const md_node *in0 = nd->n_in > 0 ? &net->nodes[nd->in[0]] : NULL;
            int w = -1, b = -1;
            switch (nd->kind) {
            case MD_DENSE: {
                int K = (int)node_numel(in0), M = nd->units;
                gb_name(nm, "%s.%s.w", net->name, nd->name);
                w = persistent(L, nm, GAN_REGION_PARAM, 2, (int[]){M, K}, &off,
                               init_or_default(nd), nd->init_arg, K, M);
                if (nd->bias) {
                    gb_name(nm, "%s.%s.b", net->name, nd->name);
                    b = persistent(L, nm, GAN_REGION_PARAM, 1, (int[]){M}, &off,
                                   GAN_INIT_ZEROS, 0, 0, 0);
                }
                break;
            }
            case MD_CONV:
            case MD_CONV_T: {
                int C = in0->shape[0], OC = nd->shape[0];
                int sh[4] = {OC, C, nd->kh, nd->kw};
                if (nd->kind == MD_CONV_T) {
                    sh[0] = C;
                    sh[1] = OC;
                }
                gb_name(nm, "%s.%s.w", net->name, nd->name);
                w = persistent(L, nm, GAN_REGION_PARAM, 4, sh, &off, init_or_default(nd),
                               nd->init_arg, fan(C, nd->kh, nd->kw), fan(OC, nd->kh, nd->kw));
                if (nd->bias) {
                    gb_name(nm, "%s.%s.b", net->name, nd->name);
                    b = persistent(L, nm, GAN_REGION_PARAM, 1, (int[]){OC}, &off,
                                   GAN_INIT_ZEROS, 0, 0, 0);
                }
                break;
            }
            case MD_BATCHNORM:
                if (nd->affine) {
                    int C = nd->shape[0];
                    gb_name(nm, "%s.%s.gamma", net->name, nd->name);
                    ni->gamma[k] = persistent(L, nm, GAN_REGION_PARAM, 1, (int[]){C}, &off,
                                              GAN_INIT_ONES, 0, 0, 0);
                    gb_name(nm, "%s.%s.beta", net->name, nd->name);
                    ni->beta[k] = persistent(L, nm, GAN_REGION_PARAM, 1, (int[]){C}, &off,
                                             GAN_INIT_ZEROS, 0, 0, 0);
                    if (g->failed || add_param(L, n, ni->gamma[k]) || add_param(L, n, ni->beta[k]))
                        return -1;
                }
                break;
            case MD_PROJECT: {
                int F = (int)node_numel(in0), Lb = (int)node_numel(&net->nodes[nd->in[1]]);
                gb_name(nm, "%s.%s.w", net->name, nd->name);
                w = persistent(L, nm, GAN_REGION_PARAM, 2, (int[]){F, Lb}, &off,
                               init_or_default(nd), nd->init_arg, Lb, F);
                break;
            }
            default:
                break;
            }
            if (g->failed)
                return -1;
            ni->w[k] = w;
            ni->b[k] = b;
            if ((w >= 0 && add_param(L, n, w)) || (b >= 0 && add_param(L, n, b)))
                return -1;
        }
        if (off == start)
            return gb_fail(g, "network %s has no parameters", net->name);
        if (off - start > 0x7fffffffULL)
            return gb_fail(g, "network %s has too many parameters (%llu)", net->name,
                           (unsigned long long)(off - start));
        gb_name(nm, "%s.params", net->name);
        ni->agg_params = gb_tensor(g, nm, GAN_REGION_PARAM, 1, (int[]){(int)(off - start)});
        if (ni->agg_params < 0)
            return -1;
        g->m->tensors[ni->agg_params].offset = start;
        g->m->tensors[ni->agg_params].flags = GAN_TF_AGGREGATE;
    }
    g->m->region_floats[GAN_REGION_PARAM] = off;
    return 0;
}

/* Gradients mirror the parameter layout (same offsets) for the networks that are trained. */
static int make_grads(lower_ctx *L)
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

static int make_state(lower_ctx *L)
{
    const md_model *md = L->md;
    gb_ctx *g = &L->g;
    uint64_t off = 0;
    char nm[GAN_NAME_MAX];
    for (int n = 0; n < md->n_networks; n++) {
        const md_network *net = &md->networks[n];
        net_info *ni = &L->nets[n];
        if (ni->objective >= 0) {
            const md_objective *ob = &md->objectives[ni->objective];
            gan_tensor agg = g->m->tensors[ni->agg_params];
            const char *which[2] = {"adam_m", "adam_v"};
            for (int mv = 0; mv < 2; mv++) {
                uint64_t start = off;
                gb_name(nm, "%s.%s", net->name, which[mv]);
                int a = persistent(L, nm, GAN_REGION_STATE, 1, agg.shape, &off, GAN_INIT_ZEROS,
                                   0, 0, 0);
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
                        gb_suffix(nm, src.name, mv == 0 ? ".adam_m" : ".adam_v");
                        uint64_t o = start + (src.offset - agg.offset);
                        int t = persistent(L, nm, GAN_REGION_STATE, src.ndim, src.shape, &o,
                                           GAN_INIT_ZEROS, 0, 0, 0);
                        if (t < 0)
                            return -1;
                        (mv == 0 ? ni->pm : ni->pv)[p] = t;
                    }
            }
            gb_name(nm, "%s.adam_t", net->name);
            ni->adam_t = persistent(L, nm, GAN_REGION_STATE, 1, (int[]){1}, &off,
                                    GAN_INIT_ZEROS, 0, 0, 0);
            if (ni->adam_t < 0)
                return -1;
            if (ob->ema_decay > 0) {
                gb_name(nm, "%s.ema", net->name);
                ni->ema = persistent(L, nm, GAN_REGION_STATE, 1, agg.shape, &off, GAN_INIT_COPY,
                                     0, 0, 0);
                if (ni->ema < 0)
                    return -1;
                g->m->tensors[ni->ema].init_src = ni->agg_params;
            }
        }
        for (int k = 0; k < net->n_nodes; k++) {
            const md_node *nd = &net->nodes[k];
            if (nd->kind == MD_BATCHNORM) {
                int C = nd->shape[0];
                gb_name(nm, "%s.%s.running_mean", net->name, nd->name);
                ni->rmean[k] = persistent(L, nm, GAN_REGION_STATE, 1, (int[]){C}, &off,
                                          GAN_INIT_ZEROS, 0, 0, 0);
                gb_name(nm, "%s.%s.running_var", net->name, nd->name);
                ni->rvar[k] = persistent(L, nm, GAN_REGION_STATE, 1, (int[]){C}, &off,
                                         GAN_INIT_ONES, 0, 0, 0);
            }
            if (nd->spectral_norm && ni->w[k] >= 0) {
                int O = g->m->tensors[ni->w[k]].shape[0];
                gb_name(nm, "%s.%s.w.u", net->name, nd->name);
                ni->u[k] = persistent(L, nm, GAN_REGION_STATE, 1, (int[]){O}, &off,
                                      GAN_INIT_UNIT_NORMAL, 0, 0, 0);
            }
            if (g->failed)
                return -1;
        }
    }
    g->m->region_floats[GAN_REGION_STATE] = off;
    return 0;
}

/* ------------------------------------------------------------------ program lowering */

static int arena(prog_ctx *P, const char *name, int ndim, const int *shape)
{
    return gb_tensor(&P->L->g, name, GAN_REGION_ARENA, ndim, shape);
}

/* Batched arena tensor for an md node's per-sample shape. */
static int arena_node(prog_ctx *P, const char *name, const md_node *nd)
{
    int sh[4] = {P->L->batch, 0, 0, 0};
    for (int d = 0; d < nd->ndim; d++)
        sh[d + 1] = nd->shape[d];
    return arena(P, name, nd->ndim + 1, sh);
}

static int op(prog_ctx *P, int type, int n_in, const int *in, int n_out, const int *out)
{
    return gb_op(&P->L->g, &P->ops, type, n_in, in, n_out, out);
}

static int get_input(prog_ctx *P, int role)
{
    const gan_hyper *h = &P->L->g.m->hyper;
    int N = P->L->batch;
    char nm[GAN_NAME_MAX];
    switch (role) {
    case GAN_ROLE_IMAGE:
        if (P->x < 0) {
            gb_name(nm, "%s.x", P->pname);
            P->x = arena(P, nm, 4, (int[]){N, h->image_c, h->image_h, h->image_w});
        }
        return P->x;
    case GAN_ROLE_LABELS:
        if (h->n_labels <= 0)
            return gb_fail(&P->L->g, "%s: the model has no labels", P->pname);
        if (P->y < 0) {
            gb_name(nm, "%s.y", P->pname);
            P->y = arena(P, nm, 2, (int[]){N, h->n_labels});
        }
        return P->y;
    default:
        if (h->latent_size <= 0)
            return gb_fail(&P->L->g, "%s: the model has no latent input", P->pname);
        if (P->z < 0) {
            gb_name(nm, "%s.z", P->pname);
            P->z = arena(P, nm, 2, (int[]){N, h->latent_size});
        }
        return P->z;
    }
}

/* The weight a layer multiplies with: the parameter, or its spectral normalisation, computed
 * once per program before its first use. */
static int weight(prog_ctx *P, int n, int k)
{
    lower_ctx *L = P->L;
    int w = L->nets[n].w[k];
    if (L->nets[n].u[k] < 0)
        return w;
    if (P->wsn[n][k] >= 0)
        return P->wsn[n][k];
    char nm[GAN_NAME_MAX];
    const md_network *net = &L->md->networks[n];
    gb_name(nm, "%s.%s.%s.w_sn", P->pname, net->name, net->nodes[k].name);
    int wsn = gb_tensor_like(&L->g, nm, w);
    gan_tensor wt = L->g.m->tensors[w];
    int K = (int)(wt.numel / (uint64_t)wt.shape[0]);
    gb_name(nm, "%s.%s.%s.sn_v", P->pname, net->name, net->nodes[k].name);
    int v = arena(P, nm, 1, (int[]){K});
    gb_name(nm, "%s.%s.%s.sn_sigma", P->pname, net->name, net->nodes[k].name);
    int s = arena(P, nm, 1, (int[]){1});
    int o = op(P, GAN_OP_SPECTRAL_NORM, 2, (int[]){w, L->nets[n].u[k]}, 3, (int[]){wsn, v, s});
    if (o < 0 || L->g.failed)
        return -1;
    P->ops.ops[o].i[0] = P->train;
    P->ops.ops[o].f[0] = 1e-12f;
    P->wsn[n][k] = wsn;
    return wsn;
}

static int lower_node(prog_ctx *P, int c, int k)
{
    call_rec *cr = &P->calls[c];
    if (cr->val[k] >= 0)
        return cr->val[k];
    lower_ctx *L = P->L;
    gb_ctx *g = &L->g;
    int n = cr->net;
    const md_network *net = &L->md->networks[n];
    const md_node *nd = &net->nodes[k];
    net_info *ni = &L->nets[n];
    if (nd->kind == MD_INPUT)
        return gb_fail(g, "%s: input %s of %s is not bound", P->pname, nd->name, net->name);
    int in[8];
    for (int i = 0; i < nd->n_in; i++)
        if ((in[i] = lower_node(P, c, nd->in[i])) < 0)
            return -1;
    char nm[GAN_NAME_MAX];
    int nc = 0;
    for (int j = 0; j < c; j++)
        nc += P->calls[j].net == n;
    if (nc == 0)
        gb_name(nm, "%s.%s.%s", P->pname, net->name, nd->name);
    else
        gb_name(nm, "%s.%s_%d.%s", P->pname, net->name, nc + 1, nd->name);
    int y = arena_node(P, nm, nd);
    if (y < 0)
        return -1;
    /* per-sample numel of the first input must agree with the md shapes */
    if (nd->n_in > 0 && gb_per_sample(g->m, in[0]) != node_numel(&net->nodes[nd->in[0]]))
        return gb_fail(g, "%s.%s (line %d): input has %llu values per sample, expected %llu",
                       net->name, nd->name, nd->line,
                       (unsigned long long)gb_per_sample(g->m, in[0]),
                       (unsigned long long)node_numel(&net->nodes[nd->in[0]]));
    int o = -1;
    char wn[GAN_NAME_MAX];
    switch (nd->kind) {
    case MD_DENSE: {
        int w = weight(P, n, k);
        if (w < 0)
            return -1;
        o = op(P, GAN_OP_DENSE, 3, (int[]){in[0], w, ni->b[k]}, 1, (int[]){y});
        break;
    }
    case MD_CONV:
    case MD_CONV_T: {
        int w = weight(P, n, k);
        if (w < 0)
            return -1;
        const md_node *x = &net->nodes[nd->in[0]];
        long ws = nd->kind == MD_CONV
                      ? (long)x->shape[0] * nd->kh * nd->kw * nd->shape[1] * nd->shape[2]
                      : (long)nd->shape[0] * nd->kh * nd->kw * x->shape[1] * x->shape[2];
        if (ws > 0x7fffffffL)
            return gb_fail(g, "%s.%s: workspace too large", net->name, nd->name);
        gb_suffix(wn, nm, ".ws");
        int wst = arena(P, wn, 1, (int[]){(int)ws});
        if (wst < 0)
            return -1;
        o = op(P, nd->kind == MD_CONV ? GAN_OP_CONV2D : GAN_OP_CONV2D_T, 3,
               (int[]){in[0], w, ni->b[k]}, 2, (int[]){y, wst});
        if (o >= 0) {
            P->ops.ops[o].i[1] = nd->stride;
            P->ops.ops[o].i[2] = nd->pad_t;
            P->ops.ops[o].i[3] = nd->pad_l;
        }
        break;
    }
    case MD_UPSAMPLE:
        o = op(P, GAN_OP_UPSAMPLE, 1, in, 1, (int[]){y});
        if (o >= 0)
            P->ops.ops[o].i[1] = nd->factor;
        break;
    case MD_BATCHNORM: {
        float eps = nd->eps > 0 ? nd->eps : 1e-3f;
        int bn_in[5] = {in[0], ni->gamma[k], ni->beta[k], ni->rmean[k], ni->rvar[k]};
        if (P->train) {
            int C = nd->shape[0];
            char a[GAN_NAME_MAX], b[GAN_NAME_MAX];
            gb_suffix(a, nm, ".mean");
            gb_suffix(b, nm, ".invstd");
            int sm = arena(P, a, 1, (int[]){C});
            int si = arena(P, b, 1, (int[]){C});
            if (sm < 0 || si < 0)
                return -1;
            o = op(P, GAN_OP_BN_TRAIN, 5, bn_in, 3, (int[]){y, sm, si});
        } else {
            o = op(P, GAN_OP_BN_INFER, 5, bn_in, 1, (int[]){y});
        }
        if (o >= 0) {
            P->ops.ops[o].f[1] = nd->momentum;
            P->ops.ops[o].f[2] = eps;
        }
        break;
    }
    case MD_ACT:
        if (nd->act < GAN_ACT_NONE || nd->act >= GAN_ACT_COUNT)
            return gb_fail(g, "%s.%s (line %d): unknown activation %d", net->name, nd->name,
                           nd->line, nd->act);
        if (nd->act == GAN_ACT_NONE) { /* "linear": an identity, kept as a copy */
            o = op(P, GAN_OP_COPY, 1, in, 1, (int[]){y});
            break;
        }
        o = op(P, GAN_OP_ACT, 1, in, 1, (int[]){y});
        if (o >= 0) {
            P->ops.ops[o].i[0] = nd->act;
            P->ops.ops[o].f[0] = nd->alpha;
        }
        break;
    case MD_CONCAT:
        o = op(P, GAN_OP_CONCAT, nd->n_in, in, 1, (int[]){y});
        if (o >= 0)
            P->ops.ops[o].i[7] = nd->n_in;
        break;
    case MD_TILE:
        o = op(P, GAN_OP_TILE, 1, in, 1, (int[]){y});
        break;
    case MD_RESHAPE:
        o = op(P, GAN_OP_COPY, 1, in, 1, (int[]){y});
        break;
    case MD_GAP:
        o = op(P, GAN_OP_GAP, 1, in, 1, (int[]){y});
        break;
    case MD_ADD:
        o = op(P, GAN_OP_ADD, 2, in, 1, (int[]){y});
        break;
    case MD_PROJECT: {
        /* sum_f (W y)_f h_f = rowdot(h, dense(y; W)) */
        int w = weight(P, n, k);
        if (w < 0)
            return -1;
        gb_suffix(wn, nm, ".Wy");
        int wy = arena(P, wn, 2, (int[]){L->batch, (int)gb_per_sample(g->m, in[0])});
        if (wy < 0 || op(P, GAN_OP_DENSE, 3, (int[]){in[1], w, -1}, 1, (int[]){wy}) < 0)
            return -1;
        o = op(P, GAN_OP_ROWDOT, 2, (int[]){in[0], wy}, 1, (int[]){y});
        break;
    }
    default:
        return gb_fail(g, "%s.%s: cannot lower layer kind %d", net->name, nd->name, nd->kind);
    }
    if (o < 0 || g->failed)
        return -1;
    cr->val[k] = y;
    return y;
}

static int find_call(prog_ctx *P, int n, int n_args, const int *args)
{
    for (int c = 0; c < P->n_calls; c++) {
        call_rec *cr = &P->calls[c];
        if (cr->net == n && cr->n_args == n_args &&
            memcmp(cr->args, args, (size_t)n_args * sizeof *args) == 0)
            return c;
    }
    lower_ctx *L = P->L;
    const md_network *net = &L->md->networks[n];
    if (n_args != net->n_inputs)
        return gb_fail(&L->g, "%s: call of %s with %d arguments, it takes %d", P->pname,
                       net->name, n_args, net->n_inputs);
    if (P->n_calls == MAX_CALLS)
        return gb_fail(&L->g, "%s: more than %d network calls", P->pname, MAX_CALLS);
    call_rec *cr = &P->calls[P->n_calls];
    cr->net = n;
    cr->n_args = n_args;
    memcpy(cr->args, args, (size_t)n_args * sizeof *args);
    cr->val = malloc((size_t)net->n_nodes * sizeof(int));
    if (!cr->val)
        return gb_fail(&L->g, "out of memory");
    for (int k = 0; k < net->n_nodes; k++)
        cr->val[k] = -1;
    for (int i = 0; i < n_args; i++) {
        const md_node *in = &net->nodes[net->inputs[i].node];
        const gan_tensor *at = &L->g.m->tensors[args[i]];
        int shape_ok = gb_per_sample(L->g.m, args[i]) == node_numel(in);
        if (in->ndim == 3) /* an image-like input must match channel by channel */
            shape_ok = shape_ok && at->ndim == 4 && at->shape[1] == in->shape[0] &&
                       at->shape[2] == in->shape[1] && at->shape[3] == in->shape[2];
        if (!shape_ok) {
            free(cr->val);
            return gb_fail(&L->g, "%s: argument %s of %s has %llu values per sample, expected %llu",
                           P->pname, net->inputs[i].name, net->name,
                           (unsigned long long)gb_per_sample(L->g.m, args[i]),
                           (unsigned long long)node_numel(in));
        }
        cr->val[net->inputs[i].node] = args[i];
    }
    return P->n_calls++;
}

static int eval_expr(prog_ctx *P, const md_expr *e, int depth)
{
    gb_ctx *g = &P->L->g;
    if (!e)
        return gb_fail(g, "%s: missing expression", P->pname);
    if (depth > 16)
        return gb_fail(g, "%s: expression nested too deeply", P->pname);
    switch (e->kind) {
    case MD_EX_IMAGE: return get_input(P, GAN_ROLE_IMAGE);
    case MD_EX_LABELS: return get_input(P, GAN_ROLE_LABELS);
    case MD_EX_LATENT: return get_input(P, GAN_ROLE_LATENT);
    case MD_EX_CALL: {
        if (e->network < 0 || e->network >= P->L->md->n_networks)
            return gb_fail(g, "%s: call of network %d out of range", P->pname, e->network);
        const md_network *net = &P->L->md->networks[e->network];
        if (e->head < 0 || e->head >= net->n_heads)
            return gb_fail(g, "%s: head %d of %s out of range", P->pname, e->head, net->name);
        if (e->n_args < 0 || e->n_args > 8)
            return gb_fail(g, "%s: bad argument count", P->pname);
        int args[8];
        for (int i = 0; i < e->n_args; i++)
            if ((args[i] = eval_expr(P, e->args[i], depth + 1)) < 0)
                return -1;
        int c = find_call(P, e->network, e->n_args, args);
        if (c < 0)
            return -1;
        return lower_node(P, c, net->heads[e->head].node);
    }
    default:
        return gb_fail(g, "%s: unknown expression kind %d", P->pname, e->kind);
    }
}

static int lower_term(prog_ctx *P, const md_loss_term *t, int idx)
{
    gb_ctx *g = &P->L->g;
    int a = eval_expr(P, t->arg, 0);
    if (a < 0)
        return -1;
    char nm[GAN_NAME_MAX];
    gb_name(nm, "%s.loss%d", P->pname, idx + 1);
    int l = arena(P, nm, 1, (int[]){1});
    if (l < 0)
        return -1;
    int tgt = -1, o = -1;
    if ((t->kind == MD_LOSS_BCE && t->target) || t->kind == MD_LOSS_SOFTMAX_CE) {
        if ((tgt = eval_expr(P, t->target, 0)) < 0)
            return -1;
        if (g->m->tensors[tgt].numel != g->m->tensors[a].numel)
            return gb_fail(g, "%s: loss term %d: target has %llu values, prediction %llu",
                           P->pname, idx + 1, (unsigned long long)g->m->tensors[tgt].numel,
                           (unsigned long long)g->m->tensors[a].numel);
    }
    switch (t->kind) {
    case MD_LOSS_HINGE_REAL:
        o = op(P, GAN_OP_LOSS_HINGE_REAL, 1, &a, 1, &l);
        break;
    case MD_LOSS_HINGE_FAKE:
        o = op(P, GAN_OP_LOSS_HINGE_FAKE, 1, &a, 1, &l);
        break;
    case MD_LOSS_MEAN:
        o = op(P, GAN_OP_LOSS_MEAN, 1, &a, 1, &l);
        if (o >= 0)
            P->ops.ops[o].f[1] = t->scale;
        break;
    case MD_LOSS_BCE: {
        /* the two-op form; fusion turns it into LOSS_BCE_LOGITS */
        gb_suffix(nm, g->m->tensors[a].name, ".sigmoid");
        int p = gb_tensor_like(g, nm, a);
        if (p < 0)
            return -1;
        o = op(P, GAN_OP_ACT, 1, &a, 1, &p);
        if (o < 0)
            return -1;
        P->ops.ops[o].i[0] = GAN_ACT_SIGMOID;
        o = op(P, GAN_OP_LOSS_BCE, 2, (int[]){p, tgt}, 1, &l);
        if (o >= 0)
            P->ops.ops[o].f[1] = t->const_target;
        break;
    }
    case MD_LOSS_SOFTMAX_CE:
        o = op(P, GAN_OP_LOSS_SOFTMAX_CE, 2, (int[]){a, tgt}, 1, &l);
        break;
    default:
        return gb_fail(g, "%s: unknown loss kind %d", P->pname, t->kind);
    }
    if (o < 0 || g->failed)
        return -1;
    P->ops.ops[o].f[0] = t->weight;
    return l;
}

static void prog_free(prog_ctx *P)
{
    for (int c = 0; c < P->n_calls; c++)
        free(P->calls[c].val);
    if (P->wsn)
        for (int n = 0; n < P->L->md->n_networks; n++)
            free(P->wsn[n]);
    free(P->wsn);
    gb_oplist_free(&P->ops);
}

static int prog_init(prog_ctx *P, lower_ctx *L, const char *name, int train)
{
    memset(P, 0, sizeof *P);
    P->L = L;
    P->pname = name;
    P->train = train;
    P->x = P->y = P->z = -1;
    P->wsn = calloc((size_t)L->md->n_networks, sizeof *P->wsn);
    if (!P->wsn)
        return gb_fail(&L->g, "out of memory");
    for (int n = 0; n < L->md->n_networks; n++) {
        int nn = L->md->networks[n].n_nodes;
        P->wsn[n] = malloc((size_t)nn * sizeof(int));
        if (!P->wsn[n])
            return gb_fail(&L->g, "out of memory");
        for (int k = 0; k < nn; k++)
            P->wsn[n][k] = -1;
    }
    return 0;
}

/* Appends the finished program to the model (takes the op list). */
static int prog_finish(prog_ctx *P, int network, const int *outs, int n_outs)
{
    gan_model *m = P->L->g.m;
    gb_ctx *g = &P->L->g;
    gan_program *np = realloc(m->programs, (size_t)(m->n_programs + 1) * sizeof *np);
    if (!np)
        return gb_fail(g, "out of memory");
    m->programs = np;
    gan_program *p = &m->programs[m->n_programs];
    *p = (gan_program){.role = gan_program_role_of_name(P->pname), .network = network};
    snprintf(p->name, sizeof p->name, "%s", P->pname); /* the role's own name (d_step, ...) */
    int ins[3] = {P->x, P->y, P->z};
    int roles[3] = {GAN_ROLE_IMAGE, GAN_ROLE_LABELS, GAN_ROLE_LATENT};
    p->inputs = malloc(3 * sizeof(int));
    p->input_roles = malloc(3 * sizeof(int));
    p->outputs = malloc((size_t)(n_outs > 0 ? n_outs : 1) * sizeof(int));
    m->n_programs++; /* from here on gb_model_destroy frees what is attached */
    if (!p->inputs || !p->input_roles || !p->outputs)
        return gb_fail(g, "out of memory");
    for (int r = 0; r < 3; r++)
        if (ins[r] >= 0) {
            p->inputs[p->n_inputs] = ins[r];
            p->input_roles[p->n_inputs++] = roles[r];
        }
    memcpy(p->outputs, outs, (size_t)n_outs * sizeof(int));
    p->n_outputs = n_outs;
    p->ops = P->ops.ops;
    p->n_ops = P->ops.n;
    P->ops.ops = NULL;
    P->ops.n = P->ops.cap = 0;
    return 0;
}

static double op_flops(const gan_model *m, const gan_op *o)
{
    const gan_tensor *T = m->tensors;
    switch (o->type) {
    case GAN_OP_DENSE:
        return 2.0 * (double)T[o->out[0]].numel * (double)T[o->in[1]].shape[1];
    case GAN_OP_CONV2D:
        return 2.0 * (double)T[o->out[0]].numel * (double)(T[o->in[1]].numel / T[o->in[1]].shape[0]);
    case GAN_OP_CONV2D_T:
        return 2.0 * (double)T[o->in[0]].numel * (double)(T[o->in[1]].numel / T[o->in[1]].shape[0]);
    case GAN_OP_DENSE_BWD:
    case GAN_OP_CONV2D_BWD:
    case GAN_OP_CONV2D_T_BWD: {
        gan_op f = *o;
        f.type = o->type == GAN_OP_DENSE_BWD ? GAN_OP_DENSE
                 : o->type == GAN_OP_CONV2D_BWD ? GAN_OP_CONV2D : GAN_OP_CONV2D_T;
        f.out[0] = o->in[3];
        int k = (o->out[0] >= 0) + (o->out[1] >= 0);
        return k * op_flops(m, &f);
    }
    default:
        return 0;
    }
}

static int build_train(lower_ctx *L, int obj, const char *name)
{
    const md_objective *ob = &L->md->objectives[obj];
    int tn = ob->network;
    net_info *ni = &L->nets[tn];
    gb_ctx *g = &L->g;
    prog_ctx P;
    int rc = -1;
    int *pgrad = NULL;
    if (prog_init(&P, L, name, 1) < 0)
        goto out;
    /* the trained network's gradients start from zero: one ZERO over the flat buffer */
    if (op(&P, GAN_OP_ZERO, 0, NULL, 1, &ni->agg_grads) < 0)
        goto out;
    int outs[9];
    for (int t = 0; t < ob->n_terms; t++)
        if ((outs[t + 1] = lower_term(&P, &ob->terms[t], t)) < 0)
            goto out;
    char nm[GAN_NAME_MAX];
    gb_name(nm, "%s.loss", name);
    if ((outs[0] = arena(&P, nm, 1, (int[]){1})) < 0)
        goto out;
    int s = op(&P, GAN_OP_LOSS_SUM, ob->n_terms, outs + 1, 1, outs);
    if (s < 0)
        goto out;
    for (int t = 0; t < ob->n_terms; t++)
        P.ops.ops[s].f[t] = ob->terms[t].weight;
    if (L->fuse && gan_fuse_forward(g, &P.ops, outs, ob->n_terms + 1) < 0)
        goto out;
    int np = g->m->n_tensors;
    pgrad = malloc((size_t)np * sizeof *pgrad);
    if (!pgrad) {
        gb_fail(g, "out of memory");
        goto out;
    }
    for (int t = 0; t < np; t++)
        pgrad[t] = -1;
    for (int p = 0; p < ni->n_params; p++)
        pgrad[ni->plist[p]] = ni->pgrad[p];
    if (gan_autodiff(g, &P.ops, P.ops.n, pgrad, np) < 0)
        goto out;
    float eps = ob->eps > 0 ? ob->eps : 1e-8f;
    if (L->fuse) {
        int o = op(&P, GAN_OP_ADAM, 5,
                   (int[]){ni->agg_params, ni->agg_grads, ni->adam_m, ni->adam_v, ni->adam_t},
                   0, NULL);
        if (o < 0)
            goto out;
        P.ops.ops[o].i[0] = 1;
        P.ops.ops[o].f[0] = ob->lr;
        P.ops.ops[o].f[1] = ob->beta1;
        P.ops.ops[o].f[2] = ob->beta2;
        P.ops.ops[o].f[3] = eps;
    } else {
        for (int p = 0; p < ni->n_params; p++) {
            int o = op(&P, GAN_OP_ADAM, 5,
                       (int[]){ni->plist[p], ni->pgrad[p], ni->pm[p], ni->pv[p], ni->adam_t},
                       0, NULL);
            if (o < 0)
                goto out;
            P.ops.ops[o].i[0] = p == 0; /* t increments once per step */
            P.ops.ops[o].f[0] = ob->lr;
            P.ops.ops[o].f[1] = ob->beta1;
            P.ops.ops[o].f[2] = ob->beta2;
            P.ops.ops[o].f[3] = eps;
        }
    }
    if (ni->ema >= 0) {
        int o = op(&P, GAN_OP_EMA, 2, (int[]){ni->agg_params, ni->ema}, 0, NULL);
        if (o < 0)
            goto out;
        P.ops.ops[o].f[0] = ob->ema_decay;
    }
    rc = prog_finish(&P, tn, outs, ob->n_terms + 1);
out:
    free(pgrad);
    prog_free(&P);
    return rc;
}

/* Inference program: the network's forward in inference mode; outputs its heads (sample:
 * the first head only, the image). */
static int build_infer(lower_ctx *L, int n, const char *name, int all_heads)
{
    const md_network *net = &L->md->networks[n];
    gb_ctx *g = &L->g;
    prog_ctx P;
    int rc = -1;
    if (prog_init(&P, L, name, 0) < 0)
        goto out;
    int args[8];
    for (int i = 0; i < net->n_inputs; i++) {
        int role = net->inputs[i].kind == MD_IN_IMAGE    ? GAN_ROLE_IMAGE
                   : net->inputs[i].kind == MD_IN_LABELS ? GAN_ROLE_LABELS
                   : net->inputs[i].kind == MD_IN_LATENT ? GAN_ROLE_LATENT
                                                         : -1;
        if (role < 0) {
            gb_fail(g, "%s: input %s of %s cannot be fed by the runtime", name,
                    net->inputs[i].name, net->name);
            goto out;
        }
        if ((args[i] = get_input(&P, role)) < 0)
            goto out;
    }
    int c = find_call(&P, n, net->n_inputs, args);
    if (c < 0)
        goto out;
    int outs[8];
    int n_outs = all_heads ? net->n_heads : 1;
    for (int h = 0; h < n_outs; h++)
        if ((outs[h] = lower_node(&P, c, net->heads[h].node)) < 0)
            goto out;
    if (L->fuse && gan_fuse_forward(g, &P.ops, outs, n_outs) < 0)
        goto out;
    rc = prog_finish(&P, -1, outs, n_outs);
out:
    prog_free(&P);
    return rc;
}

/* Drops arena tensors no program references (fusion leaves some behind); renumbers. */
static int compact(gb_ctx *g)
{
    gan_model *m = g->m;
    int *map = malloc((size_t)m->n_tensors * sizeof *map);
    if (!map)
        return gb_fail(g, "out of memory");
    for (int t = 0; t < m->n_tensors; t++)
        map[t] = m->tensors[t].region == GAN_REGION_ARENA ? -1 : 0;
    for (int p = 0; p < m->n_programs; p++) {
        gan_program *pr = &m->programs[p];
        for (int j = 0; j < pr->n_ops; j++)
            for (int k = 0; k < GAN_OP_MAX_IO; k++) {
                if (pr->ops[j].in[k] >= 0)
                    map[pr->ops[j].in[k]] = 0;
                if (pr->ops[j].out[k] >= 0)
                    map[pr->ops[j].out[k]] = 0;
            }
        for (int i = 0; i < pr->n_inputs; i++)
            map[pr->inputs[i]] = 0;
        for (int i = 0; i < pr->n_outputs; i++)
            map[pr->outputs[i]] = 0;
    }
    int n = 0;
    for (int t = 0; t < m->n_tensors; t++)
        if (map[t] == 0) {
            m->tensors[n] = m->tensors[t];
            map[t] = n++;
        }
    m->n_tensors = n;
#define R(x) do { if ((x) >= 0) (x) = map[(x)]; } while (0)
    for (int t = 0; t < n; t++)
        R(m->tensors[t].init_src);
    for (int p = 0; p < m->n_programs; p++) {
        gan_program *pr = &m->programs[p];
        for (int j = 0; j < pr->n_ops; j++)
            for (int k = 0; k < GAN_OP_MAX_IO; k++) {
                R(pr->ops[j].in[k]);
                R(pr->ops[j].out[k]);
            }
        for (int i = 0; i < pr->n_inputs; i++)
            R(pr->inputs[i]);
        for (int i = 0; i < pr->n_outputs; i++)
            R(pr->outputs[i]);
    }
    for (int k = 0; k < m->n_networks; k++) {
        R(m->networks[k].params);
        R(m->networks[k].grads);
        R(m->networks[k].ema);
    }
#undef R
    free(map);
    return 0;
}

static void free_nets(lower_ctx *L)
{
    if (!L->nets)
        return;
    for (int n = 0; n < L->md->n_networks; n++) {
        net_info *ni = &L->nets[n];
        free(ni->w); free(ni->b); free(ni->gamma); free(ni->beta);
        free(ni->rmean); free(ni->rvar); free(ni->u);
        free(ni->plist); free(ni->pgrad); free(ni->pm); free(ni->pv);
    }
    free(L->nets);
}

static int alloc_nets(lower_ctx *L)
{
    const md_model *md = L->md;
    L->nets = calloc((size_t)md->n_networks, sizeof *L->nets);
    if (!L->nets)
        return gb_fail(&L->g, "out of memory");
    for (int n = 0; n < md->n_networks; n++) {
        net_info *ni = &L->nets[n];
        ni->objective = -1;
        ni->agg_params = ni->agg_grads = ni->adam_m = ni->adam_v = ni->adam_t = ni->ema = -1;
        int nn = md->networks[n].n_nodes > 0 ? md->networks[n].n_nodes : 1;
        int **arrs[7] = {&ni->w, &ni->b, &ni->gamma, &ni->beta, &ni->rmean, &ni->rvar, &ni->u};
        for (int a = 0; a < 7; a++) {
            *arrs[a] = malloc((size_t)nn * sizeof(int));
            if (!*arrs[a])
                return gb_fail(&L->g, "out of memory");
            for (int k = 0; k < nn; k++)
                (*arrs[a])[k] = -1;
        }
    }
    return 0;
}

gan_model *gan_build(const md_model *md, const gan_build_opts *opts, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!md) {
        if (err && errlen)
            snprintf(err, errlen, "gan_build: no model");
        return NULL;
    }
    lower_ctx L;
    memset(&L, 0, sizeof L);
    L.md = md;
    L.fuse = opts ? opts->fuse : 1;
    L.g.err = err;
    L.g.errlen = errlen;
    L.g.m = calloc(1, sizeof(gan_model));
    if (!L.g.m) {
        gb_fail(&L.g, "out of memory");
        return NULL;
    }
    gan_model *m = L.g.m;
    m->hyper = md->hyper;
    m->hyper.label_names = NULL;
    if (opts && opts->batch > 0)
        m->hyper.batch = opts->batch;
    L.batch = m->hyper.batch;
    if (L.batch <= 0 || L.batch > (1 << 20)) {
        gb_fail(&L.g, "batch size not set (got %d)", L.batch);
        goto fail;
    }
    if (md->hyper.n_labels < 0 || (md->hyper.n_labels > 0 && !md->hyper.label_names)) {
        gb_fail(&L.g, "label names missing");
        goto fail;
    }
    if (md->hyper.n_labels > 0) {
        m->hyper.label_names = malloc((size_t)md->hyper.n_labels * GAN_NAME_MAX);
        if (!m->hyper.label_names) {
            gb_fail(&L.g, "out of memory");
            goto fail;
        }
        memcpy(m->hyper.label_names, md->hyper.label_names,
               (size_t)md->hyper.n_labels * GAN_NAME_MAX);
    }
    if (alloc_nets(&L) < 0 || check_md(&L) < 0 || make_params(&L) < 0 || make_grads(&L) < 0 ||
        make_state(&L) < 0)
        goto fail;
    m->networks = calloc((size_t)md->n_networks, sizeof *m->networks);
    if (!m->networks) {
        gb_fail(&L.g, "out of memory");
        goto fail;
    }
    m->n_networks = md->n_networks;
    for (int n = 0; n < md->n_networks; n++) {
        gan_network *gn = &m->networks[n];
        net_info *ni = &L.nets[n];
        snprintf(gn->name, sizeof gn->name, "%s", md->networks[n].name);
        gn->role = md->networks[n].role;
        gn->params = ni->agg_params;
        gn->grads = ni->agg_grads;
        gn->ema = ni->ema;
        if (ni->objective >= 0) {
            const md_objective *ob = &md->objectives[ni->objective];
            gn->lr = ob->lr;
            gn->beta1 = ob->beta1;
            gn->beta2 = ob->beta2;
            gn->eps = ob->eps > 0 ? ob->eps : 1e-8f;
            gn->ema_decay = ob->ema_decay;
        }
    }
    /* training programs in a fixed order: D, G, classifier */
    static const struct { int role; const char *name; } order[3] = {
        {GAN_NET_DISCRIMINATOR, "d_step"}, {GAN_NET_GENERATOR, "g_step"},
        {GAN_NET_CLASSIFIER, "train_step"}};
    for (int r = 0; r < 3; r++) {
        int seen = 0;
        for (int o = 0; o < md->n_objectives; o++) {
            if (md->networks[md->objectives[o].network].role != order[r].role)
                continue;
            if (seen++) {
                gb_fail(&L.g, "two loss objectives for %s networks", order[r].name);
                goto fail;
            }
            if (build_train(&L, o, order[r].name) < 0)
                goto fail;
        }
    }
    for (int n = 0; n < md->n_networks; n++)
        if (md->networks[n].role == GAN_NET_GENERATOR) {
            if (build_infer(&L, n, "sample", 0) < 0)
                goto fail;
            break;
        }
    for (int n = 0; n < md->n_networks; n++)
        if (md->networks[n].role == GAN_NET_CLASSIFIER) {
            if (build_infer(&L, n, "predict", 1) < 0)
                goto fail;
            break;
        }
    if (compact(&L.g) < 0)
        goto fail;
    for (int p = 0; p < m->n_programs; p++) {
        double fl = 0;
        for (int j = 0; j < m->programs[p].n_ops; j++)
            fl += op_flops(m, &m->programs[p].ops[j]);
        m->programs[p].flops = fl;
    }
    free_nets(&L);
    return m;
fail:
    if (!L.g.failed)
        gb_fail(&L.g, "gan_build failed");
    free_nets(&L);
    gb_model_destroy(m);
    return NULL;
}
