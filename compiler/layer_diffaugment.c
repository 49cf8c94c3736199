/* diffaugment: DiffAugment (Zhao et al. 2020) at the start of a discriminator, so that every
 * image D sees in training, real or generated, is randomly recoloured, shifted and cut out,
 * and G's gradient flows through the same transform. Identity in inference programs.
 * Options: translation T (0.125: shifts up to 1/8 of the side), cutout S (0.5: a square of
 * half the side zeroed), color / no_color (color); translation 0 or cutout 0 turn one off.
 * State: a seed drawn at initialisation and a counter of runs, so the draws follow the run's
 * seed and a resumed run draws what an uninterrupted one would. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <stdio.h>

static int shape_diffaugment(ck_layer_call *lc)
{
    env *e = lc->e;
    if (ck_need3(e, lc->in, lc->loc, lc->name))
        return -1;
    const opt_slot_t *eff = lc->opt;
    float tr = 0.125f, cut = 0.5f;
    if (eff[O_TRANSLATION].set &&
        ck_eval_float(e, eff[O_TRANSLATION].val, "translation", 0, 0.5, &tr))
        return -1;
    if (eff[O_CUTOUT].set && ck_eval_float(e, eff[O_CUTOUT].val, "cutout", 0, 1, &cut))
        return -1;
    int idx;
    md_node *n = ck_add_same_shape(lc, MD_DIFFAUGMENT, &idx);
    if (!n)
        return -1;
    n->translation = tr;
    n->cutout = cut;
    n->color = eff[O_COLOR].set ? eff[O_COLOR].flag : 1;
    return idx;
}

static const char *check_diffaugment(const md_network *net, const md_node *nd)
{
    if (!(nd->translation >= 0 && nd->translation <= 0.5f) || !(nd->cutout >= 0 && nd->cutout <= 1))
        return "bad diffaugment translation or cutout";
    return nd->ndim == 3 && lw_same_shape(nd, &net->nodes[nd->in[0]]) ? NULL : LAYER_BAD_SHAPE;
}

/* The seed and the run counter, kept in the node's running-statistics slots (a diffaugment
 * has no statistics of its own). */
static int state_diffaugment(lw_persist *lp)
{
    net_info *ni = &lp->L->nets[lp->n];
    int s = lw_state_vec(lp, "aug_seed", 1, GAN_INIT_UNIFORM);
    if (s < 0)
        return -1;
    lp->L->g.m->tensors[s].init_arg = 1.0f;
    ni->rmean[lp->k] = s;
    return (ni->rvar[lp->k] = lw_state_vec(lp, "aug_runs", 1, GAN_INIT_ZEROS)) < 0 ? -1 : 0;
}

static int lower_diffaugment(lw_node *ln)
{
    prog_ctx *P = ln->P;
    if (!P->train)
        return lw_plain(ln, GAN_OP_COPY);
    const md_node *nd = ln->nd;
    const net_info *ni = &P->L->nets[ln->n];
    char nm[GAN_NAME_MAX];
    gb_suffix(nm, ln->name, ".draws");
    int prm = lw_arena(P, nm, 2, (int[]){P->L->batch, 9});
    if (prm < 0)
        return -1;
    int o = lw_op(P, GAN_OP_DIFFAUG, 3, (int[]){ln->in[0], ni->rmean[ln->k], ni->rvar[ln->k]}, 2,
                  (int[]){ln->y, prm});
    if (o >= 0) {
        P->ops.ops[o].i[1] = nd->color ? 1 : 0;
        P->ops.ops[o].f[1] = nd->translation;
        P->ops.ops[o].f[2] = nd->cutout;
    }
    return o;
}

static void count_diffaugment(const md_network *net, const md_node *n, long long *tr,
                              long long *nt)
{
    (void)net;
    (void)n;
    *tr = 0;
    *nt = 2; /* the seed and the run counter */
}

static double flops_diffaugment(const md_network *net, const md_node *n)
{
    (void)net;
    return 12.0 * (double)md_node_numel(n);
}

static void details_diffaugment(const md_network *net, const md_node *n, char *b, size_t len)
{
    (void)net;
    snprintf(b, len, "%stranslation %g cutout %g (training only)", n->color ? "color " : "",
             n->translation, n->cutout);
}

#define AUG_OPTS (OB(O_TRANSLATION) | OB(O_CUTOUT) | OB(O_COLOR) | OB(O_NO_COLOR))

static const layer_row rows[] = {
    /* name         stem   kind            act options   pos  dflt tensors shape */
    {"diffaugment", "aug", MD_DIFFAUGMENT, 0, AUG_OPTS, 0, 0, 0, 0, shape_diffaugment},
};

/* node fields: translation, cutout (shares of the side), color */
LAYER_KIND_DEFINE(DIFFAUGMENT, diffaugment, 16) = {
    .name = "diffaugment",
    LAYER_ROWS(rows),
    .check = check_diffaugment,
    .state = state_diffaugment,
    .lower = lower_diffaugment,
    .count = count_diffaugment,
    .flops = flops_diffaugment,
    .details = details_diffaugment,
};
