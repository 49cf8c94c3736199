/* concat(a, ...): joins tensors along the channels (feature maps, same height and width) or
 * the features (vectors); a vector joining feature maps is tiled over their height and width
 * first, by a tile node (MD_TILE, a kind no body names). */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

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

static int shape_concat(ck_layer_call *lc)
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

static const char *check_concat(const md_network *net, const md_node *nd)
{
    long c = 0;
    int ok = 1;
    for (int i = 0; i < nd->n_in; i++) {
        const md_node *a = &net->nodes[nd->in[i]];
        c += a->shape[0];
        if (a->ndim != nd->ndim ||
            (nd->ndim == 3 && (a->shape[1] != nd->shape[1] || a->shape[2] != nd->shape[2])))
            ok = 0;
    }
    return ok && c == nd->shape[0] ? NULL : LAYER_BAD_SHAPE;
}

static int lower_concat(lw_node *ln)
{
    int o = lw_op(ln->P, GAN_OP_CONCAT, ln->nd->n_in, ln->in, 1, (int[]){ln->y});
    if (o >= 0)
        ln->P->ops.ops[o].i[7] = ln->nd->n_in;
    return o;
}

static const char *check_tile(const md_network *net, const md_node *nd)
{
    const md_node *x = &net->nodes[nd->in[0]];
    return x->ndim == 1 && nd->ndim == 3 && nd->shape[0] == x->shape[0] ? NULL : LAYER_BAD_SHAPE;
}

static int lower_tile(lw_node *ln)
{
    return lw_plain(ln, GAN_OP_TILE);
}

static const layer_row concat_rows[] = {
    /* name     stem      kind       act options pos  dflt tensors shape */
    {"concat", "concat", MD_CONCAT, 0, 0,      1, 7, 0, 1, shape_concat},
};

/* made by concat's rule when a vector joins feature maps */
static const layer_row tile_rows[] = {
    {NULL, "tile", MD_TILE, 0, 0, 0, 0, 0, 0, NULL},
};

/* node fields: in[0..n_in-1] along the channel/feature axis, same spatial size */
LAYER_KIND_DEFINE(CONCAT, concat, 7) = {
    .name = "concat",
    LAYER_ROWS(concat_rows),
    .inputs = LAYER_SOME_INPUTS,
    .check = check_concat,
    .lower = lower_concat,
};

/* node fields: vector [L] -> [L,H,W] with H,W = shape[1], shape[2] */
LAYER_KIND_DEFINE(TILE, tile, 8) = {
    .name = "tile",
    LAYER_ROWS(tile_rows),
    .check = check_tile,
    .lower = lower_tile,
};
