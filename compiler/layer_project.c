/* project(h, y): the projection discriminator's term <W y, h> = sum_f (W y)_f h_f of features
 * h [F] and labels y [L], W [F, L] without a bias -> [1]. Options: init, spectral_norm. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <stdio.h>

static int shape_project(ck_layer_call *lc)
{
    env *e = lc->e;
    md_node h_copy = *ck_node(e, lc->tin[0]), y_copy = *ck_node(e, lc->tin[1]);
    const md_node *h = &h_copy, *y = &y_copy;
    if (h->ndim != 1 || y->ndim != 1) {
        char b1[64], b2[64];
        fe_error(e->c->d, lc->loc, "project needs two vectors (features, labels), got %s and %s",
                 ck_shape_str(h->ndim, h->shape, b1, sizeof b1), ck_shape_str(y->ndim, y->shape, b2, sizeof b2));
        return -1;
    }
    if ((long long)h->shape[0] * y->shape[0] > (1LL << 28)) {
        fe_error(e->c->d, lc->loc, "project too large");
        return -1;
    }
    int idx = ck_add_node(e, MD_PROJECT, lc->line);
    if (idx < 0)
        return -1;
    md_node *n = ck_node(e, idx);
    n->n_in = 2;
    n->in[0] = lc->tin[0];
    n->in[1] = lc->tin[1];
    n->ndim = 1;
    n->shape[0] = 1;
    n->units = 1;
    n->bias = 0;
    ck_set_weight_opts(n, lc);
    return idx;
}

static const char *check_project(const md_network *net, const md_node *nd)
{
    const md_node *x = &net->nodes[nd->in[0]];
    int ok = nd->ndim == 1 && nd->shape[0] == 1 && x->ndim == 1 && net->nodes[nd->in[1]].ndim == 1;
    return ok ? NULL : LAYER_BAD_SHAPE;
}

/* never a bias, whatever the node says */
static int params_project(lw_persist *lp)
{
    const md_node *nd = lp->nd;
    int F = (int)lw_numel(&lp->net->nodes[nd->in[0]]), Lb = (int)lw_numel(&lp->net->nodes[nd->in[1]]);
    return lw_param_weight(lp, 2, (int[]){F, Lb}, Lb, F) < 0 ? -1 : 0;
}

/* sum_f (W y)_f h_f = rowdot(h, dense(y; W)) */
static int lower_project(lw_node *ln)
{
    prog_ctx *P = ln->P;
    gb_ctx *g = &P->L->g;
    int w = lw_weight(P, ln->n, ln->k);
    if (w < 0)
        return -1;
    char wn[GAN_NAME_MAX];
    gb_suffix(wn, ln->name, ".Wy");
    int wy = lw_arena(P, wn, 2, (int[]){P->L->batch, (int)gb_per_sample(g->m, ln->in[0])});
    if (wy < 0 || lw_op(P, GAN_OP_DENSE, 3, (int[]){ln->in[1], w, -1}, 1, (int[]){wy}) < 0)
        return -1;
    return lw_op(P, GAN_OP_ROWDOT, 2, (int[]){ln->in[0], wy}, 1, (int[]){ln->y});
}

static void count_project(const md_network *net, const md_node *n, long long *tr, long long *nt)
{
    long long f = net->nodes[n->in[0]].shape[0], l = net->nodes[n->in[1]].shape[0];
    *tr = f * l;
    *nt = n->spectral_norm ? f : 0;
}

static double flops_project(const md_network *net, const md_node *n)
{
    const md_node *x = &net->nodes[n->in[0]];
    return 2.0 * (double)x->shape[0] * net->nodes[n->in[1]].shape[0] + 2.0 * x->shape[0];
}

static void details_project(const md_network *net, const md_node *n, char *b, size_t len)
{
    snprintf(b, len, "W [%d, %d]%s %s", net->nodes[n->in[0]].shape[0], net->nodes[n->in[1]].shape[0],
             n->spectral_norm ? " SN" : "", fe_init_name(n->init));
}

#define PROJECT_OPTS (OB(O_INIT) | OB(O_SN) | OB(O_NO_SN))

static const layer_row rows[] = {
    /* name      stem       kind        act options       pos  dflt tensors shape */
    {"project", "project", MD_PROJECT, 0, PROJECT_OPTS, 1, 1, 1, 1, shape_project},
};

/* node fields: in[0] features h [F], in[1] labels y [L] -> [1] = sum_f (W y)_f h_f,
 * W [F,L], no bias; spectral_norm; init */
LAYER_KIND_DEFINE(PROJECT, project, 12) = {
    .name = "project",
    LAYER_ROWS(rows),
    .inputs = 2,
    .check = check_project,
    .params = params_project,
    .lower = lower_project,
    .count = count_project,
    .flops = flops_project,
    .details = details_project,
};
