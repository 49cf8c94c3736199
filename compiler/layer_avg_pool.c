/* avg_pool(k): average pooling of a feature map over k x k windows without padding,
 * [C,H,W] -> [C,(H-k)/s+1,(W-k)/s+1] (an incomplete last window is dropped, as PyTorch's
 * floor mode). The window size k (default 2) positionally or as the option kernel; the
 * option stride defaults to k (non-overlapping windows). */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <stdio.h>

static int shape_avg_pool(ck_layer_call *lc)
{
    env *e = lc->e;
    if (ck_need3(e, lc->in, lc->loc, lc->name))
        return -1;
    int k = 2, idx;
    ast_expr *kx;
    if (ck_one_value(lc, O_KERNEL, "pool size", &kx) ||
        (kx && ck_eval_pos_int(e, kx, "pool size", 1, 64, &k)))
        return -1;
    int s = k;
    if (lc->opt[O_STRIDE].set && ck_eval_pos_int(e, lc->opt[O_STRIDE].val, "stride", 1, 64, &s))
        return -1;
    const md_node *x = lc->src;
    if (k > x->shape[1] || k > x->shape[2]) {
        char sh[64];
        ck_shape_str(x->ndim, x->shape, sh, sizeof sh);
        fe_error(e->c->d, lc->loc, "avg_pool window %dx%d is larger than its input %s", k, k, sh);
        return -1;
    }
    md_node *n = ck_add_out(lc, MD_AVG_POOL, &idx);
    if (!n)
        return -1;
    n->ndim = 3;
    n->shape[0] = x->shape[0];
    n->shape[1] = (x->shape[1] - k) / s + 1;
    n->shape[2] = (x->shape[2] - k) / s + 1;
    n->kh = n->kw = k;
    n->stride = s;
    return idx;
}

static const char *check_avg_pool(const md_network *net, const md_node *nd)
{
    const md_node *x = &net->nodes[nd->in[0]];
    if (nd->kh <= 0 || nd->stride <= 0 || nd->kw != nd->kh || nd->ndim != 3 || x->ndim != 3 ||
        nd->kh > x->shape[1] || nd->kh > x->shape[2])
        return "bad avg_pool window or stride";
    int ok = nd->shape[0] == x->shape[0] && nd->shape[1] == (x->shape[1] - nd->kh) / nd->stride + 1 &&
             nd->shape[2] == (x->shape[2] - nd->kw) / nd->stride + 1;
    return ok ? NULL : LAYER_BAD_SHAPE;
}

static int lower_avg_pool(lw_node *ln)
{
    int o = lw_plain(ln, GAN_OP_AVG_POOL);
    if (o >= 0) {
        ln->P->ops.ops[o].i[1] = ln->nd->kh;
        ln->P->ops.ops[o].i[2] = ln->nd->stride;
    }
    return o;
}

static double flops_avg_pool(const md_network *net, const md_node *n)
{
    (void)net;
    return (double)md_node_numel(n) * n->kh * n->kw; /* one add per window element */
}

static void details_avg_pool(const md_network *net, const md_node *n, char *b, size_t len)
{
    (void)net;
    snprintf(b, len, "k%dx%d s%d", n->kh, n->kw, n->stride);
}

static const layer_row rows[] = {
    /* name      stem    kind         act options                      pos  dflt tensors shape */
    {"avg_pool", "pool", MD_AVG_POOL, 0, OB(O_KERNEL) | OB(O_STRIDE), 0, 1, 1, 0, shape_avg_pool},
};

/* node fields: kh = kw (window), stride */
LAYER_KIND_DEFINE(AVG_POOL, avg_pool, 13) = {
    .name = "avg_pool",
    LAYER_ROWS(rows),
    .check = check_avg_pool,
    .lower = lower_avg_pool,
    .flops = flops_avg_pool,
    .details = details_avg_pool,
};
