/* cond_batchnorm(h, y) / h | cond_batchnorm(y): conditional batch norm (de Vries et al. 2017,
 * as in BigGAN's generator): h is batch-normalised without a gain and bias of its own, then
 * each sample's channels get a gain 1 + g and a bias b from a dense map of the vector y (the
 * labels, usually): [g, b] = W y + c, W [2C, L]. W starts at zero unless `init` says
 * otherwise, so the layer starts as a plain batch norm. Options: momentum, eps (as
 * batchnorm), init. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <stdio.h>

static int shape_cond_batchnorm(ck_layer_call *lc)
{
    env *e = lc->e;
    md_node h = *ck_node(e, lc->tin[0]), y = *ck_node(e, lc->tin[1]);
    if (y.ndim != 1) {
        char b[64];
        fe_error(e->c->d, lc->loc, "cond_batchnorm's condition must be a vector (the labels), "
                 "got %s", ck_shape_str(y.ndim, y.shape, b, sizeof b));
        return -1;
    }
    if (2LL * h.shape[0] * y.shape[0] > (1LL << 28)) {
        fe_error(e->c->d, lc->loc, "cond_batchnorm too large");
        return -1;
    }
    const opt_slot_t *eff = lc->opt;
    float mom = 0.99f, eps = 1e-3f;
    if (eff[O_MOMENTUM].set && ck_eval_float(e, eff[O_MOMENTUM].val, "momentum", 0, 1, &mom))
        return -1;
    if (eff[O_EPS].set && ck_eval_float(e, eff[O_EPS].val, "eps", 1e-12, 1, &eps))
        return -1;
    int idx = ck_add_node(e, MD_COND_BATCHNORM, lc->line);
    if (idx < 0)
        return -1;
    md_node *n = ck_node(e, idx);
    n->n_in = 2;
    n->in[0] = lc->tin[0];
    n->in[1] = lc->tin[1];
    n->ndim = h.ndim;
    for (int d = 0; d < 3; d++)
        n->shape[d] = h.shape[d];
    n->momentum = mom;
    n->eps = eps;
    n->bias = 1;
    ck_set_weight_opts(n, lc);
    if (!eff[O_INIT].set)
        n->init = GAN_INIT_ZEROS;
    return idx;
}

static const char *check_cond_batchnorm(const md_network *net, const md_node *nd)
{
    const md_node *y = &net->nodes[nd->in[1]];
    return lw_same_shape(nd, &net->nodes[nd->in[0]]) && y->ndim == 1 ? NULL : LAYER_BAD_SHAPE;
}

/* W [2C, L] and its bias [2C]: the gains' rows first, then the biases' */
static int params_cond_batchnorm(lw_persist *lp)
{
    const md_node *nd = lp->nd;
    int C = nd->shape[0], L = (int)lw_numel(&lp->net->nodes[nd->in[1]]);
    if (lw_param_weight(lp, 2, (int[]){2 * C, L}, L, 2 * C) < 0)
        return -1;
    return (lp->L->nets[lp->n].b[lp->k] = lw_param_vec(lp, "b", 2 * C, GAN_INIT_ZEROS)) < 0 ? -1 : 0;
}

/* batch norm without affine into .norm, the dense map of y into .gb, then FILM */
static int lower_cond_batchnorm(lw_node *ln)
{
    prog_ctx *P = ln->P;
    const md_node *nd = ln->nd;
    const net_info *ni = &P->L->nets[ln->n];
    int k = ln->k, C = nd->shape[0], B = P->L->batch;
    int shape[4] = {B, C, nd->ndim == 3 ? nd->shape[1] : 0, nd->ndim == 3 ? nd->shape[2] : 0};
    char nm[GAN_NAME_MAX];
    gb_suffix(nm, ln->name, ".norm");
    int xn = lw_arena(P, nm, nd->ndim == 3 ? 4 : 2, shape);
    if (xn < 0)
        return -1;
    if (lw_bn_op(ln, ln->in[0], -1, -1, xn) < 0)
        return -1;
    int w = lw_weight(P, ln->n, k);
    gb_suffix(nm, ln->name, ".gb");
    int gb = lw_arena(P, nm, 2, (int[]){B, 2 * C});
    if (w < 0 || gb < 0 || lw_op(P, GAN_OP_DENSE, 3, (int[]){ln->in[1], w, ni->b[k]}, 1,
                                 (int[]){gb}) < 0)
        return -1;
    return lw_op(P, GAN_OP_FILM, 2, (int[]){xn, gb}, 1, (int[]){ln->y});
}

static void count_cond_batchnorm(const md_network *net, const md_node *n, long long *tr,
                                 long long *nt)
{
    long long C = n->shape[0], L = net->nodes[n->in[1]].shape[0];
    *tr = 2 * C * L + 2 * C;
    *nt = 2 * C + (n->spectral_norm ? 2 * C : 0); /* running mean and variance */
}

static double flops_cond_batchnorm(const md_network *net, const md_node *n)
{
    double C = n->shape[0], L = net->nodes[n->in[1]].shape[0];
    return 4.0 * C * L + 6.0 * (double)md_node_numel(n);
}

static void details_cond_batchnorm(const md_network *net, const md_node *n, char *b, size_t len)
{
    snprintf(b, len, "on a [%d] vector; momentum %g eps %g %s", net->nodes[n->in[1]].shape[0],
             n->momentum, n->eps, fe_init_name(n->init));
}

#define CBN_OPTS (OB(O_MOMENTUM) | OB(O_EPS) | OB(O_INIT))

static const layer_row rows[] = {
    /* name            stem   kind               act options   pos  dflt tensors shape */
    {"cond_batchnorm", "cbn", MD_COND_BATCHNORM, 0, CBN_OPTS, 1, 1, 0, 1, shape_cond_batchnorm},
};

/* node fields: in[0] features, in[1] the condition vector; momentum, eps; init of W */
LAYER_KIND_DEFINE(COND_BATCHNORM, cond_batchnorm, 15) = {
    .name = "cond_batchnorm",
    LAYER_ROWS(rows),
    .inputs = 2,
    .check = check_cond_batchnorm,
    .params = params_cond_batchnorm,
    .state = lw_bn_state,
    .lower = lower_cond_batchnorm,
    .count = count_cond_batchnorm,
    .flops = flops_cond_batchnorm,
    .details = details_cond_batchnorm,
};
