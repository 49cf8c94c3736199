/* The shape rules of the layer table (compiler/layers.h): each checks what is particular to
 * its layer (argument values, the input's rank and size), infers the output shape per sample
 * and appends the node. Options, argument counts and tensor arguments were checked before
 * (check_layers.c), and so are "leaves no output" and the size cap after. */
#include "compiler/check_env.h"

#include <string.h>

/* The node a single-input rule appends; -1 when the network is too big. */
static md_node *add_out(ck_layer_call *lc, int kind, int *idx)
{
    *idx = ck_add_unary(lc->e, kind, lc->line, lc->in);
    return *idx < 0 ? NULL : ck_node(lc->e, *idx);
}

static void set_weight_opts(md_node *n, const ck_layer_call *lc)
{
    n->spectral_norm = lc->sn;
    n->init = lc->init;
    n->init_arg = lc->init_arg;
}

int shape_dense(ck_layer_call *lc)
{
    env *e = lc->e;
    int units, idx;
    if (ck_eval_pos_int(e, lc->pos[0], "dense units", 1, 1 << 24, &units))
        return -1;
    md_node *n = add_out(lc, MD_DENSE, &idx);
    if (!n)
        return -1;
    n->ndim = 1;
    n->shape[0] = units;
    n->units = units;
    n->bias = lc->bias;
    set_weight_opts(n, lc);
    if (ck_numel(ck_node(e, lc->in)) * units > (1LL << 28)) {
        fe_error(e->c->d, lc->loc, "dense layer too large: %lld x %d weights", ck_numel(ck_node(e, lc->in)), units);
        return -1;
    }
    return idx;
}

/* A convolution's geometry, from its options; pads are resolved to explicit ones. */
typedef struct {
    int filters, k, s;
    int mode, padn;    /* padding: 0 valid, 1 same, 2 explicit (padn) */
    int pt, pb, pl, pr, oh, ow;
} conv_geom;

static int conv_padding(ck_layer_call *lc, conv_geom *g)
{
    env *e = lc->e;
    ck *c = e->c;
    ast_expr *pv = lc->opt[O_PADDING].val;
    if (pv->kind == AE_IDENT && !strcmp(pv->name, "same"))
        g->mode = 1;
    else if (pv->kind == AE_IDENT && !strcmp(pv->name, "valid"))
        g->mode = 0;
    else if (pv->kind == AE_IDENT) {
        int dummy;
        if (ck_lookup_loop(e, pv->name, &dummy)) {
            g->mode = 2;
            if (ck_eval_pos_int(e, pv, "padding", 0, 64, &g->padn))
                return -1;
        } else {
            static const char *const pads[] = {"same", "valid"};
            const char *sg = fe_suggest(pv->name, pads, 2);
            if (sg)
                fe_error(c->d, pv->loc, "unknown padding '%s'; did you mean '%s'?", pv->name, sg);
            else
                fe_error(c->d, pv->loc, "padding must be same, valid or a number, got '%s'", pv->name);
            return -1;
        }
    } else {
        g->mode = 2;
        if (ck_eval_pos_int(e, pv, "padding", 0, 64, &g->padn))
            return -1;
    }
    return 0;
}

/* What conv and conv_t share: the input must be a feature map; filters, kernel, stride, padding. */
static int conv_options(ck_layer_call *lc, conv_geom *g)
{
    env *e = lc->e;
    const char *name = lc->name;
    memset(g, 0, sizeof *g);
    g->s = 1;
    if (ck_need3(e, lc->in, lc->loc, name))
        return -1;
    if (ck_eval_pos_int(e, lc->pos[0], "filters", 1, 1 << 16, &g->filters))
        return -1;
    if (!lc->opt[O_KERNEL].set) {
        fe_error(e->c->d, lc->loc, "%s needs a kernel size: write 'kernel N' here or in 'defaults %s'", name, name);
        return -1;
    }
    if (ck_eval_pos_int(e, lc->opt[O_KERNEL].val, "kernel", 1, 64, &g->k))
        return -1;
    if (lc->opt[O_STRIDE].set && ck_eval_pos_int(e, lc->opt[O_STRIDE].val, "stride", 1, 64, &g->s))
        return -1;
    if (lc->opt[O_PADDING].set && conv_padding(lc, g))
        return -1;
    if (g->mode != 1)
        g->pt = g->pb = g->pl = g->pr = g->mode == 2 ? g->padn : 0;
    return 0;
}

static int conv_node(ck_layer_call *lc, const conv_geom *g)
{
    int idx;
    md_node *n = add_out(lc, lc->row->kind, &idx);
    if (!n)
        return -1;
    n->ndim = 3;
    n->shape[0] = g->filters;
    n->shape[1] = g->oh;
    n->shape[2] = g->ow;
    n->units = g->filters;
    n->kh = n->kw = g->k;
    n->stride = g->s;
    n->pad_t = g->pt; n->pad_b = g->pb; n->pad_l = g->pl; n->pad_r = g->pr;
    n->bias = lc->bias;
    set_weight_opts(n, lc);
    return idx;
}

static int conv_geometry(ck_layer_call *lc, conv_geom *g)
{
    int H = lc->src->shape[1], Wd = lc->src->shape[2], k = g->k, s = g->s;
    if (g->mode == 1) {
        /* TF "same": out = ceil(in / s); the odd pixel of padding goes bottom/right */
        g->oh = (H + s - 1) / s;
        g->ow = (Wd + s - 1) / s;
        int th = (g->oh - 1) * s + k - H, tw = (g->ow - 1) * s + k - Wd;
        if (th < 0) th = 0;
        if (tw < 0) tw = 0;
        g->pt = th / 2; g->pb = th - g->pt;
        g->pl = tw / 2; g->pr = tw - g->pl;
    } else {
        if (H + g->pt + g->pb < k || Wd + g->pl + g->pr < k) {
            char b1[64];
            fe_error(lc->e->c->d, lc->loc, "kernel %d does not fit the input %s%s", k,
                     ck_shape_str(3, lc->src->shape, b1, sizeof b1), g->mode == 0 ? " with padding valid" : "");
            return -1;
        }
        g->oh = (H + g->pt + g->pb - k) / s + 1;
        g->ow = (Wd + g->pl + g->pr - k) / s + 1;
    }
    return 0;
}

static int conv_t_geometry(ck_layer_call *lc, conv_geom *g)
{
    int H = lc->src->shape[1], Wd = lc->src->shape[2], k = g->k, s = g->s;
    if (g->mode == 1) {
        /* the transpose of a "same" conv from out = in * s: total pad k - s */
        if (k < s) {
            fe_error(lc->e->c->d, lc->loc, "conv_t with padding same needs kernel >= stride (kernel %d, stride %d)", k, s);
            return -1;
        }
        g->oh = H * s;
        g->ow = Wd * s;
        g->pt = (k - s) / 2; g->pb = (k - s) - g->pt;
        g->pl = g->pt; g->pr = g->pb;
    } else {
        g->oh = (H - 1) * s + k - g->pt - g->pb;
        g->ow = (Wd - 1) * s + k - g->pl - g->pr;
        if (g->oh < 1 || g->ow < 1) {
            char b1[64];
            fe_error(lc->e->c->d, lc->loc, "padding %d leaves no output for %s", g->padn,
                     ck_shape_str(3, lc->src->shape, b1, sizeof b1));
            return -1;
        }
    }
    return 0;
}

static int conv_rule(ck_layer_call *lc, int (*geometry)(ck_layer_call *lc, conv_geom *g))
{
    conv_geom g;
    if (conv_options(lc, &g) || geometry(lc, &g))
        return -1;
    return conv_node(lc, &g);
}

int shape_conv(ck_layer_call *lc)
{
    return conv_rule(lc, conv_geometry);
}

int shape_conv_t(ck_layer_call *lc)
{
    return conv_rule(lc, conv_t_geometry);
}

/* A value given positionally or as an option (upsample(2), upsample(factor 2)), not both:
 * the expression that gives it, or NULL for the layer's default. */
static int one_value(ck_layer_call *lc, int o, const char *what, ast_expr **x)
{
    if (lc->npos && lc->opt[o].set) {
        fe_error(lc->e->c->d, lc->loc, "%s given twice", what);
        return -1;
    }
    *x = lc->npos ? lc->pos[0] : lc->opt[o].set ? lc->opt[o].val : NULL;
    return 0;
}

int shape_upsample(ck_layer_call *lc)
{
    env *e = lc->e;
    if (ck_need3(e, lc->in, lc->loc, lc->name))
        return -1;
    int f = 2, idx;
    ast_expr *fx;
    if (one_value(lc, O_FACTOR, "upsample factor", &fx) || (fx && ck_eval_pos_int(e, fx, "upsample factor", 1, 64, &f)))
        return -1;
    md_node *n = add_out(lc, MD_UPSAMPLE, &idx);
    if (!n)
        return -1;
    n->ndim = 3;
    n->shape[0] = lc->src->shape[0];
    n->shape[1] = lc->src->shape[1] * f;
    n->shape[2] = lc->src->shape[2] * f;
    n->factor = f;
    return idx;
}

/* Layers whose output has the input's shape. */
static md_node *add_same_shape(ck_layer_call *lc, int kind, int *idx)
{
    md_node *n = add_out(lc, kind, idx);
    if (n) {
        n->ndim = lc->src->ndim;
        memcpy(n->shape, lc->src->shape, sizeof n->shape);
    }
    return n;
}

int shape_batchnorm(ck_layer_call *lc)
{
    env *e = lc->e;
    const opt_slot_t *eff = lc->opt;
    float mom = 0.99f, eps = 1e-3f;
    if (eff[O_MOMENTUM].set && ck_eval_float(e, eff[O_MOMENTUM].val, "momentum", 0, 1, &mom))
        return -1;
    if (eff[O_EPS].set && ck_eval_float(e, eff[O_EPS].val, "eps", 1e-12, 1, &eps))
        return -1;
    int idx;
    md_node *n = add_same_shape(lc, MD_BATCHNORM, &idx);
    if (!n)
        return -1;
    n->momentum = mom;
    n->eps = eps;
    n->affine = eff[O_AFFINE].set ? eff[O_AFFINE].flag : 1;
    return idx;
}

int shape_act(ck_layer_call *lc)
{
    float alpha = 0;
    if (lc->row->act == GAN_ACT_LEAKY_RELU) {
        alpha = 0.2f;
        ast_expr *ax;
        if (one_value(lc, O_ALPHA, "leaky_relu alpha", &ax) || (ax && ck_eval_float(lc->e, ax, "alpha", 0, 1, &alpha)))
            return -1;
    }
    int idx;
    md_node *n = add_same_shape(lc, MD_ACT, &idx);
    if (!n)
        return -1;
    n->act = lc->row->act;
    n->alpha = alpha;
    return idx;
}

/* A vector joining feature maps in concat is tiled over their height and width first. */
static int tile_vectors(ck_layer_call *lc, int H, int W)
{
    env *e = lc->e;
    for (int i = 0; i < lc->nt; i++) {
        if (ck_node(e, lc->tin[i])->ndim == 1) {
            int L = ck_node(e, lc->tin[i])->shape[0];
            int ti = ck_add_node(e, MD_TILE, lc->line);
            if (ti < 0)
                return -1;
            md_node *t = ck_node(e, ti);
            t->n_in = 1;
            t->in[0] = lc->tin[i];
            t->ndim = 3;
            t->shape[0] = L;
            t->shape[1] = H;
            t->shape[2] = W;
            if (ck_check_size(e, ti, lc->loc) < 0)
                return -1;
            lc->tin[i] = ti;
        }
    }
    return 0;
}

int shape_concat(ck_layer_call *lc)
{
    env *e = lc->e;
    const int *tin = lc->tin;
    int nt = lc->nt;
    int H = 0, W = 0, have3 = 0, ch = 0;
    char b1[64], b2[64];
    for (int i = 0; i < nt; i++) {
        md_node *t = ck_node(e, tin[i]);
        if (t->ndim == 3) {
            if (have3 && (t->shape[1] != H || t->shape[2] != W)) {
                md_node *first = NULL;
                for (int j = 0; j < i; j++)
                    if (ck_node(e, tin[j])->ndim == 3)
                        first = ck_node(e, tin[j]);
                fe_error(e->c->d, lc->loc, "concat needs the same height and width: %s vs %s",
                         ck_shape_str(3, first->shape, b1, sizeof b1), ck_shape_str(3, t->shape, b2, sizeof b2));
                return -1;
            }
            H = t->shape[1];
            W = t->shape[2];
            have3 = 1;
        }
        ch += t->shape[0];
    }
    if (ch > (1 << 24)) {
        fe_error(e->c->d, lc->loc, "concat result too large");
        return -1;
    }
    if (have3 && tile_vectors(lc, H, W))
        return -1;
    int idx = ck_add_node(e, MD_CONCAT, lc->line);
    if (idx < 0)
        return -1;
    md_node *n = ck_node(e, idx);
    n->n_in = nt;
    for (int i = 0; i < nt; i++)
        n->in[i] = tin[i];
    n->ndim = have3 ? 3 : 1;
    n->shape[0] = ch;
    n->shape[1] = have3 ? H : 0;
    n->shape[2] = have3 ? W : 0;
    return idx;
}

int shape_reshape(ck_layer_call *lc)
{
    env *e = lc->e;
    const md_node *src = lc->src;
    int npos = lc->npos;
    if (npos != 1 && npos != 3) {
        fe_error(e->c->d, lc->loc, "reshape takes 1 size (a vector) or 3 sizes (C, H, W), got %d", npos);
        return -1;
    }
    int d[3] = {0, 0, 0};
    for (int i = 0; i < npos; i++)
        if (ck_eval_pos_int(e, lc->pos[i], "reshape size", 1, 1 << 26, &d[i]))
            return -1;
    long long want = npos == 3 ? (long long)d[0] * d[1] * d[2] : d[0];
    if (want != ck_numel(src)) {
        char b1[64], b2[64];
        fe_error(e->c->d, lc->loc, "cannot reshape %s (%lld values) to %s (%lld values)",
                 ck_shape_str(src->ndim, src->shape, b1, sizeof b1), ck_numel(src),
                 ck_shape_str(npos == 3 ? 3 : 1, d, b2, sizeof b2), want);
        return -1;
    }
    int idx;
    md_node *n = add_out(lc, MD_RESHAPE, &idx);
    if (!n)
        return -1;
    n->ndim = npos == 3 ? 3 : 1;
    memcpy(n->shape, d, sizeof d);
    return idx;
}

int shape_flatten(ck_layer_call *lc)
{
    int idx;
    md_node *n = add_out(lc, MD_RESHAPE, &idx);
    if (!n)
        return -1;
    n->ndim = 1;
    n->shape[0] = (int)ck_numel(ck_node(lc->e, lc->in));
    return idx;
}

int shape_gap(ck_layer_call *lc)
{
    env *e = lc->e;
    if (ck_need3(e, lc->in, lc->loc, lc->name))
        return -1;
    int idx;
    md_node *n = add_out(lc, MD_GAP, &idx);
    if (!n)
        return -1;
    n->ndim = 1;
    n->shape[0] = ck_node(e, lc->in)->shape[0];
    return idx;
}

int shape_project(ck_layer_call *lc)
{
    env *e = lc->e;
    md_node h_copy = *ck_node(e, lc->tin[0]), y_copy = *ck_node(e, lc->tin[1]);
    const md_node *h = &h_copy, *y = &y_copy;
    if (h->ndim != 1 || y->ndim != 1) {
        char b1[64], b2[64];
        fe_error(e->c->d, lc->loc, "project needs two vectors (features, labels), got %s and %s",
                 ck_shape_str(h->ndim, h->shape, b1, sizeof b1), ck_shape_str(y->ndim, y->shape, b2, sizeof b2));
        return -1;
    }
    if ((long long)h->shape[0] * y->shape[0] > (1LL << 28)) {
        fe_error(e->c->d, lc->loc, "project too large");
        return -1;
    }
    int idx = ck_add_node(e, MD_PROJECT, lc->line);
    if (idx < 0)
        return -1;
    md_node *n = ck_node(e, idx);
    n->n_in = 2;
    n->in[0] = lc->tin[0];
    n->in[1] = lc->tin[1];
    n->ndim = 1;
    n->shape[0] = 1;
    n->units = 1;
    n->bias = 0;
    set_weight_opts(n, lc);
    return idx;
}

int shape_add(ck_layer_call *lc)
{
    return ck_add_sum(lc->e, lc->tin[0], lc->tin[1], lc->line, lc->loc, "add");
}
