/* batchnorm: batch normalisation over the channels of a feature map (the features of a
 * vector); Keras conventions (momentum 0.99, eps 1e-3). gamma and beta unless no_affine; the
 * running mean and variance are state, updated by training programs. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <stdio.h>

static int shape_batchnorm(ck_layer_call *lc)
{
    env *e = lc->e;
    const opt_slot_t *eff = lc->opt;
    float mom = 0.99f, eps = 1e-3f;
    if (eff[O_MOMENTUM].set && ck_eval_float(e, eff[O_MOMENTUM].val, "momentum", 0, 1, &mom))
        return -1;
    if (eff[O_EPS].set && ck_eval_float(e, eff[O_EPS].val, "eps", 1e-12, 1, &eps))
        return -1;
    int idx;
    md_node *n = ck_add_same_shape(lc, MD_BATCHNORM, &idx);
    if (!n)
        return -1;
    n->momentum = mom;
    n->eps = eps;
    n->affine = eff[O_AFFINE].set ? eff[O_AFFINE].flag : 1;
    return idx;
}

static const char *check_batchnorm(const md_network *net, const md_node *nd)
{
    return lw_same_shape(nd, &net->nodes[nd->in[0]]) ? NULL : LAYER_BAD_SHAPE;
}

int lw_bn_state(lw_persist *lp)
{
    net_info *ni = &lp->L->nets[lp->n];
    int C = lp->nd->shape[0];
    if ((ni->rmean[lp->k] = lw_state_vec(lp, "running_mean", C, GAN_INIT_ZEROS)) < 0)
        return -1;
    return (ni->rvar[lp->k] = lw_state_vec(lp, "running_var", C, GAN_INIT_ONES)) < 0 ? -1 : 0;
}

/* Training programs normalise with the batch's statistics (saved for the backward) and update
 * the running ones; inference programs use the running ones. */
int lw_bn_op(lw_node *ln, int x, int gamma, int beta, int y)
{
    prog_ctx *P = ln->P;
    const md_node *nd = ln->nd;
    const net_info *ni = &P->L->nets[ln->n];
    int k = ln->k, o;
    float eps = nd->eps > 0 ? nd->eps : 1e-3f;
    int bn_in[5] = {x, gamma, beta, ni->rmean[k], ni->rvar[k]};
    if (P->train) {
        int C = nd->shape[0];
        char a[GAN_NAME_MAX], b[GAN_NAME_MAX];
        gb_suffix(a, ln->name, ".mean");
        gb_suffix(b, ln->name, ".invstd");
        int sm = lw_arena(P, a, 1, (int[]){C});
        int si = lw_arena(P, b, 1, (int[]){C});
        if (sm < 0 || si < 0)
            return -1;
        o = lw_op(P, GAN_OP_BN_TRAIN, 5, bn_in, 3, (int[]){y, sm, si});
    } else {
        o = lw_op(P, GAN_OP_BN_INFER, 5, bn_in, 1, (int[]){y});
    }
    if (o >= 0) {
        P->ops.ops[o].f[1] = nd->momentum;
        P->ops.ops[o].f[2] = eps;
    }
    return o;
}

static int lower_batchnorm(lw_node *ln)
{
    const net_info *ni = &ln->P->L->nets[ln->n];
    return lw_bn_op(ln, ln->in[0], ni->gamma[ln->k], ni->beta[ln->k], ln->y);
}

static void count_batchnorm(const md_network *net, const md_node *n, long long *tr, long long *nt)
{
    (void)net;
    *tr = n->affine ? 2LL * n->shape[0] : 0;
    *nt = 2LL * n->shape[0]; /* running mean and variance */
}

static void details_batchnorm(const md_network *net, const md_node *n, char *b, size_t len)
{
    (void)net;
    snprintf(b, len, "momentum %g eps %g%s", n->momentum, n->eps, n->affine ? "" : " no_affine");
}

#define BN_OPTS (OB(O_MOMENTUM) | OB(O_EPS) | OB(O_AFFINE) | OB(O_NO_AFFINE))

static const layer_row rows[] = {
    /* name       stem  kind          act options  pos  dflt tensors shape */
    {"batchnorm", "bn", MD_BATCHNORM, 0, BN_OPTS, 0, 0, 1, 0, shape_batchnorm},
};

/* node fields: momentum (Keras convention), eps, affine */
LAYER_KIND_DEFINE(BATCHNORM, batchnorm, 5) = {
    .name = "batchnorm",
    LAYER_ROWS(rows),
    .check = check_batchnorm,
    .params = lw_param_affine,
    .state = lw_bn_state,
    .lower = lower_batchnorm,
    .count = count_batchnorm,
    .details = details_batchnorm,
};
