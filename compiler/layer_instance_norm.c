/* instance_norm: normalisation of each sample's channels over their own H x W (biased
 * variance), as PyTorch's InstanceNorm2d without running statistics; the same in training and
 * in inference. gamma and beta per channel unless no_affine; option eps (default 1e-5). */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <stdio.h>

static int shape_instance_norm(ck_layer_call *lc)
{
    env *e = lc->e;
    if (ck_need3(e, lc->in, lc->loc, lc->name))
        return -1;
    float eps = 1e-5f;
    if (lc->opt[O_EPS].set && ck_eval_float(e, lc->opt[O_EPS].val, "eps", 1e-12, 0.5, &eps))
        return -1;
    int idx;
    md_node *n = ck_add_same_shape(lc, MD_INSTANCE_NORM, &idx);
    if (!n)
        return -1;
    n->eps = eps;
    n->affine = lc->opt[O_AFFINE].set ? lc->opt[O_AFFINE].flag : 1;
    return idx;
}

static const char *check_instance_norm(const md_network *net, const md_node *nd)
{
    const md_node *x = &net->nodes[nd->in[0]];
    if (x->ndim != 3 || !(nd->eps > 0 && nd->eps < 1))
        return "instance_norm needs a feature map and an eps in (0, 1)";
    return lw_same_shape(nd, x) ? NULL : LAYER_BAD_SHAPE;
}

/* Training programs save each (sample, channel)'s mean and inverse deviation for the backward;
 * inference programs leave them out. */
static int lower_instance_norm(lw_node *ln)
{
    prog_ctx *P = ln->P;
    const net_info *ni = &P->L->nets[ln->n];
    int sm = -1, si = -1;
    if (P->train || P->grad) {
        int nc = P->L->batch * ln->nd->shape[0];
        char a[GAN_NAME_MAX], b[GAN_NAME_MAX];
        gb_suffix(a, ln->name, ".mean");
        gb_suffix(b, ln->name, ".invstd");
        if ((sm = lw_arena(P, a, 1, (int[]){nc})) < 0 || (si = lw_arena(P, b, 1, (int[]){nc})) < 0)
            return -1;
    }
    int o = lw_op(P, GAN_OP_INSTANCE_NORM, 3, (int[]){ln->in[0], ni->gamma[ln->k], ni->beta[ln->k]},
                  3, (int[]){ln->y, sm, si});
    if (o >= 0)
        P->ops.ops[o].f[2] = ln->nd->eps;
    return o;
}

static void count_instance_norm(const md_network *net, const md_node *n, long long *tr, long long *nt)
{
    (void)net;
    *tr = n->affine ? 2LL * n->shape[0] : 0;
    *nt = 0;
}

static void details_instance_norm(const md_network *net, const md_node *n, char *b, size_t len)
{
    (void)net;
    snprintf(b, len, "eps %g%s", n->eps, n->affine ? "" : " no_affine");
}

#define IN_OPTS (OB(O_EPS) | OB(O_AFFINE) | OB(O_NO_AFFINE))

static const layer_row rows[] = {
    /* name           stem     kind              act options  pos  dflt tensors shape */
    {"instance_norm", "inorm", MD_INSTANCE_NORM, 0, IN_OPTS, 0, 0, 1, 0, shape_instance_norm},
};

/* node fields: eps, affine */
LAYER_KIND_DEFINE(INSTANCE_NORM, instance_norm, 14) = {
    .name = "instance_norm",
    LAYER_ROWS(rows),
    .check = check_instance_norm,
    .params = lw_param_affine,
    .lower = lower_instance_norm,
    .count = count_instance_norm,
    .details = details_instance_norm,
};
