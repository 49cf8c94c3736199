/* global_avg_pool: the mean of each channel of a feature map, [C,H,W] -> [C]. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

static int shape_gap(ck_layer_call *lc)
{
    env *e = lc->e;
    if (ck_need3(e, lc->in, lc->loc, lc->name))
        return -1;
    int idx;
    md_node *n = ck_add_out(lc, MD_GAP, &idx);
    if (!n)
        return -1;
    n->ndim = 1;
    n->shape[0] = ck_node(e, lc->in)->shape[0];
    return idx;
}

static const char *check_gap(const md_network *net, const md_node *nd)
{
    const md_node *x = &net->nodes[nd->in[0]];
    return x->ndim == 3 && nd->ndim == 1 && nd->shape[0] == x->shape[0] ? NULL : LAYER_BAD_SHAPE;
}

static int lower_gap(lw_node *ln)
{
    return lw_plain(ln, GAN_OP_GAP);
}

static const layer_row rows[] = {
    /* name              stem   kind    act options pos  dflt tensors shape */
    {"global_avg_pool", "gap", MD_GAP, 0, 0,      0, 0, 0, 0, shape_gap},
};

/* node fields: [C,H,W] -> [C] */
LAYER_KIND_DEFINE(GAP, gap, 10) = {
    .name = "global_avg_pool",
    LAYER_ROWS(rows),
    .check = check_gap,
    .lower = lower_gap,
};
