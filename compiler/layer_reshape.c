/* reshape(n) / reshape(C, H, W) and flatten: the same values in another shape; one kind,
 * MD_RESHAPE, lowered as a copy. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <string.h>

static int shape_reshape(ck_layer_call *lc)
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
    if (want != md_node_numel(src)) {
        char b1[64], b2[64];
        fe_error(e->c->d, lc->loc, "cannot reshape %s (%lld values) to %s (%lld values)",
                 ck_shape_str(src->ndim, src->shape, b1, sizeof b1), md_node_numel(src),
                 ck_shape_str(npos == 3 ? 3 : 1, d, b2, sizeof b2), want);
        return -1;
    }
    int idx;
    md_node *n = ck_add_out(lc, MD_RESHAPE, &idx);
    if (!n)
        return -1;
    n->ndim = npos == 3 ? 3 : 1;
    memcpy(n->shape, d, sizeof d);
    return idx;
}

static int shape_flatten(ck_layer_call *lc)
{
    int idx;
    md_node *n = ck_add_out(lc, MD_RESHAPE, &idx);
    if (!n)
        return -1;
    n->ndim = 1;
    n->shape[0] = (int)md_node_numel(ck_node(lc->e, lc->in));
    return idx;
}

static const char *check_reshape(const md_network *net, const md_node *nd)
{
    return lw_numel(nd) == lw_numel(&net->nodes[nd->in[0]]) ? NULL : LAYER_BAD_SHAPE;
}

/* the values do not move, only the shape changes */
static int lower_reshape(lw_node *ln)
{
    return lw_plain(ln, GAN_OP_COPY);
}

static const layer_row rows[] = {
    /* name      stem       kind        act options pos  dflt tensors shape */
    {"reshape", "reshape", MD_RESHAPE, 0, 0,      1, 3, 0, 0, shape_reshape},
    {"flatten", "reshape", MD_RESHAPE, 0, 0,      0, 0, 0, 0, shape_flatten},
};

/* node fields: reshape / flatten: same numel */
LAYER_KIND_DEFINE(RESHAPE, reshape, 9) = {
    .name = "reshape",
    LAYER_ROWS(rows),
    .check = check_reshape,
    .lower = lower_reshape,
    .flops = layer_no_flops,
};
