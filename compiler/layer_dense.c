/* dense(units): a fully connected layer, y = W x + b with W [units, K] over the input's K
 * values (any rank: a feature map is read flat). Options: init, bias, spectral_norm. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <stdio.h>

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
    if (md_node_numel(ck_node(e, lc->in)) * units > (1LL << 28)) {
        fe_error(e->c->d, lc->loc, "dense layer too large: %lld x %d weights", md_node_numel(ck_node(e, lc->in)), units);
        return -1;
    }
    return idx;
}

static const char *check_dense(const md_network *net, const md_node *nd)
{
    (void)net;
    return nd->units <= 0 || nd->ndim != 1 || nd->shape[0] != nd->units
               ? "dense output shape differs from units"
               : NULL;
}

static int params_dense(lw_persist *lp)
{
    const md_node *nd = lp->nd;
    int K = (int)lw_numel(&lp->net->nodes[nd->in[0]]), M = nd->units;
    if (lw_param_weight(lp, 2, (int[]){M, K}, K, M) < 0)
        return -1;
    if (nd->bias && (lp->L->nets[lp->n].b[lp->k] = lw_param_vec(lp, "b", M, GAN_INIT_ZEROS)) < 0)
        return -1;
    return 0;
}

static int lower_dense(lw_node *ln)
{
    prog_ctx *P = ln->P;
    int w = lw_weight(P, ln->n, ln->k);
    if (w < 0)
        return -1;
    return lw_op(P, GAN_OP_DENSE, 3, (int[]){ln->in[0], w, P->L->nets[ln->n].b[ln->k]}, 1, (int[]){ln->y});
}

static void count_dense(const md_network *net, const md_node *n, long long *tr, long long *nt)
{
    *tr = md_node_numel(&net->nodes[n->in[0]]) * n->units + (n->bias ? n->units : 0);
    *nt = n->spectral_norm ? n->units : 0;
}

static double flops_dense(const md_network *net, const md_node *n)
{
    return 2.0 * (double)md_node_numel(&net->nodes[n->in[0]]) * n->units;
}

static void details_dense(const md_network *net, const md_node *n, char *b, size_t len)
{
    (void)net;
    snprintf(b, len, "%s%s %s", n->bias ? "bias" : "no_bias", n->spectral_norm ? " SN" : "", fe_init_name(n->init));
}

static const layer_row rows[] = {
    /* name   stem     kind      act options pos  dflt tensors shape */
    {"dense", "dense", MD_DENSE, 0, W_OPTS, 1, 1, 1, 0, shape_dense},
};

/* node fields: units; bias; spectral_norm; init */
LAYER_KIND_DEFINE(DENSE, dense, 1) = {
    .name = "dense",
    LAYER_ROWS(rows),
    .check = check_dense,
    .params = params_dense,
    .lower = lower_dense,
    .count = count_dense,
    .flops = flops_dense,
    .details = details_dense,
};
