/* dense(units): a fully connected layer, y = W x + b with W [units, K] over the input's K
 * values (any rank: a feature map is read flat). Options: init, bias, spectral_norm. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

static int shape_dense(ck_layer_call *lc)
{
    env *e = lc->e;
    int units, idx;
    if (ck_eval_pos_int(e, lc->pos[0], "dense units", 1, 1 << 24, &units))
        return -1;
    md_node *n = ck_add_out(lc, MD_DENSE, &idx);
    if (!n)
        return -1;
    n->ndim = 1;
    n->shape[0] = units;
    n->units = units;
    n->bias = lc->bias;
    ck_set_weight_opts(n, lc);
    if (ck_numel(ck_node(e, lc->in)) * units > (1LL << 28)) {
        fe_error(e->c->d, lc->loc, "dense layer too large: %lld x %d weights", ck_numel(ck_node(e, lc->in)), units);
        return -1;
    }
    return idx;
}

static int lower_dense(lw_node *ln)
{
    prog_ctx *P = ln->P;
    int w = lw_weight(P, ln->n, ln->k);
    if (w < 0)
        return -1;
    return lw_op(P, GAN_OP_DENSE, 3, (int[]){ln->in[0], w, P->L->nets[ln->n].b[ln->k]}, 1, (int[]){ln->y});
}

static const layer_row rows[] = {
    /* name   stem     kind      act options pos  dflt tensors shape */
    {"dense", "dense", MD_DENSE, 0, W_OPTS, 1, 1, 1, 0, shape_dense},
};

const layer_kind layer_kind_dense = {
    LAYER_ROWS(rows),
    .lower = lower_dense,
};
