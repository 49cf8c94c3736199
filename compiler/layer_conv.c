/* conv(filters) and conv_t(filters): a 2-D convolution and its transpose over a feature map
 * [C,H,W], kernel k x k, stride, padding same / valid / a number; the weight is [OC,C,k,k]
 * (conv) or [C,OC,k,k] (conv_t). Options: kernel (required), stride, padding, init, bias,
 * spectral_norm. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"
#include "format/model_opinfo.h"

#include <stdio.h>
#include <string.h>

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
    md_node *n = ck_add_out(lc, lc->row->kind, &idx);
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
    ck_set_weight_opts(n, lc);
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

static int shape_conv(ck_layer_call *lc)
{
    return conv_rule(lc, conv_geometry);
}

static int shape_conv_t(ck_layer_call *lc)
{
    return conv_rule(lc, conv_t_geometry);
}

/* What the back end checks of both before their output shapes. */
static int bad_geometry(const md_node *x, const md_node *nd)
{
    return nd->kh <= 0 || nd->kw <= 0 || nd->stride <= 0 || nd->ndim != 3 || x->ndim != 3;
}

static int pads_ok(const md_node *nd)
{
    return nd->pad_t >= 0 && nd->pad_l >= 0 && nd->pad_b >= 0 && nd->pad_r >= 0;
}

static const char *check_conv(const md_network *net, const md_node *nd)
{
    const md_node *x = &net->nodes[nd->in[0]];
    if (bad_geometry(x, nd))
        return "bad convolution geometry";
    long eh = ((long)x->shape[1] + nd->pad_t + nd->pad_b - nd->kh) / nd->stride + 1;
    long ew = ((long)x->shape[2] + nd->pad_l + nd->pad_r - nd->kw) / nd->stride + 1;
    int ok = pads_ok(nd) && (long)x->shape[1] + nd->pad_t + nd->pad_b >= nd->kh &&
             (long)x->shape[2] + nd->pad_l + nd->pad_r >= nd->kw && nd->shape[1] == eh &&
             nd->shape[2] == ew && nd->shape[0] == nd->units;
    return ok ? NULL : LAYER_BAD_SHAPE;
}

static const char *check_conv_t(const md_network *net, const md_node *nd)
{
    const md_node *x = &net->nodes[nd->in[0]];
    if (bad_geometry(x, nd))
        return "bad convolution geometry";
    long eh = ((long)x->shape[1] - 1) * nd->stride + nd->kh - nd->pad_t - nd->pad_b;
    long ew = ((long)x->shape[2] - 1) * nd->stride + nd->kw - nd->pad_l - nd->pad_r;
    int ok = pads_ok(nd) && nd->shape[1] == eh && nd->shape[2] == ew && nd->shape[0] == nd->units;
    return ok ? NULL : LAYER_BAD_SHAPE;
}

static int fan(int c, int kh, int kw)
{
    long f = (long)c * kh * kw;
    return f > 0x7fffffffL ? 0x7fffffff : (int)f;
}

/* fan_in C*k*k and fan_out OC*k*k, with C the input channels and OC the output ones */
static int params_conv(lw_persist *lp)
{
    const md_node *nd = lp->nd;
    int C = lp->net->nodes[nd->in[0]].shape[0], OC = nd->shape[0];
    int sh[4] = {OC, C, nd->kh, nd->kw};
    if (nd->kind == MD_CONV_T) {
        sh[0] = C;
        sh[1] = OC;
    }
    if (lw_param_weight(lp, 4, sh, fan(C, nd->kh, nd->kw), fan(OC, nd->kh, nd->kw)) < 0)
        return -1;
    if (nd->bias && (lp->L->nets[lp->n].b[lp->k] = lw_param_vec(lp, "b", OC, GAN_INIT_ZEROS)) < 0)
        return -1;
    return 0;
}

/* The workspace holds the unfolded input (conv) or output (conv_t) columns. */
static int lower_conv(lw_node *ln)
{
    prog_ctx *P = ln->P;
    const md_node *nd = ln->nd;
    int w = lw_weight(P, ln->n, ln->k);
    if (w < 0)
        return -1;
    const md_node *x = &ln->net->nodes[nd->in[0]];
    /* the format's one workspace rule, in the forward geometry (per-sample shapes here) */
    uint64_t ws = gan_conv_ws_floats(nd->kind == MD_CONV_T, x->shape[0], nd->shape[0], nd->kh,
                                     nd->kw, x->shape[1], x->shape[2], nd->shape[1], nd->shape[2]);
    if (ws > 0x7fffffffu)
        return gb_fail(&P->L->g, "%s.%s: workspace too large", ln->net->name, nd->name);
    char wn[GAN_NAME_MAX];
    gb_suffix(wn, ln->name, ".ws");
    int wst = lw_arena(P, wn, 1, (int[]){(int)ws});
    if (wst < 0)
        return -1;
    int o = lw_op(P, nd->kind == MD_CONV ? GAN_OP_CONV2D : GAN_OP_CONV2D_T, 3,
                  (int[]){ln->in[0], w, P->L->nets[ln->n].b[ln->k]}, 2, (int[]){ln->y, wst});
    if (o >= 0) {
        P->ops.ops[o].i[1] = nd->stride;
        P->ops.ops[o].i[2] = nd->pad_t;
        P->ops.ops[o].i[3] = nd->pad_l;
    }
    return o;
}

static void count_conv(const md_network *net, const md_node *n, long long *tr, long long *nt)
{
    long long cin = net->nodes[n->in[0]].shape[0];
    *tr = (long long)n->kh * n->kw * cin * n->units + (n->bias ? n->units : 0);
    *nt = n->spectral_norm ? n->units : 0;
}

/* per output pixel of conv, per input pixel of conv_t: k*k*C*OC multiply-adds */
static double flops_conv(const md_network *net, const md_node *n)
{
    const md_node *x = &net->nodes[n->in[0]];
    const md_node *px = n->kind == MD_CONV ? n : x;
    return 2.0 * n->kh * n->kw * (double)x->shape[0] * n->units * px->shape[1] * px->shape[2];
}

static void details_conv(const md_network *net, const md_node *n, char *b, size_t len)
{
    (void)net;
    snprintf(b, len, "k%dx%d s%d pad %d,%d,%d,%d%s%s %s", n->kh, n->kw, n->stride, n->pad_t, n->pad_l, n->pad_b,
             n->pad_r, n->bias ? "" : " no_bias", n->spectral_norm ? " SN" : "", fe_init_name(n->init));
}

#define CONV_OPTS (W_OPTS | OB(O_KERNEL) | OB(O_STRIDE) | OB(O_PADDING))

static const layer_row conv_rows[] = {
    /* name   stem    kind     act options    pos  dflt tensors shape */
    {"conv", "conv", MD_CONV, 0, CONV_OPTS, 1, 1, 1, 0, shape_conv},
};

static const layer_row conv_t_rows[] = {
    {"conv_t", "conv_t", MD_CONV_T, 0, CONV_OPTS, 1, 1, 1, 0, shape_conv_t},
};

/* node fields: filters (units), kh, kw, stride, pad_t/l/b/r; bias; spectral_norm; init */
LAYER_KIND_DEFINE(CONV, conv, 2) = {
    .name = "conv",
    LAYER_ROWS(conv_rows),
    .check = check_conv,
    .params = params_conv,
    .lower = lower_conv,
    .count = count_conv,
    .flops = flops_conv,
    .details = details_conv,
};

/* node fields: as conv (output = (H-1)*s + k - pt - pb) */
LAYER_KIND_DEFINE(CONV_T, conv_t, 3) = {
    .name = "conv_t",
    LAYER_ROWS(conv_t_rows),
    .check = check_conv_t,
    .params = params_conv,
    .lower = lower_conv,
    .count = count_conv,
    .flops = flops_conv,
    .details = details_conv,
};
