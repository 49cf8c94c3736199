/* The activations relu, leaky_relu(alpha), tanh and sigmoid: one kind, MD_ACT, its rows told
 * apart by the node's act. Element-wise, the output has the input's shape. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <stdio.h>

static int shape_act(ck_layer_call *lc)
{
    float alpha = 0;
    if (lc->row->act == GAN_ACT_LEAKY_RELU) {
        alpha = 0.2f;
        ast_expr *ax;
        if (ck_one_value(lc, O_ALPHA, "leaky_relu alpha", &ax) || (ax && ck_eval_float(lc->e, ax, "alpha", 0, 1, &alpha)))
            return -1;
    }
    int idx;
    md_node *n = ck_add_same_shape(lc, MD_ACT, &idx);
    if (!n)
        return -1;
    n->act = lc->row->act;
    n->alpha = alpha;
    return idx;
}

static const char *check_act(const md_network *net, const md_node *nd)
{
    return lw_same_shape(nd, &net->nodes[nd->in[0]]) ? NULL : LAYER_BAD_SHAPE;
}

static int lower_act(lw_node *ln)
{
    prog_ctx *P = ln->P;
    const md_node *nd = ln->nd;
    if (nd->act < GAN_ACT_NONE || nd->act >= GAN_ACT_COUNT)
        return gb_fail(&P->L->g, "%s.%s (line %d): unknown activation %d", ln->net->name, nd->name,
                       nd->line, nd->act);
    if (nd->act == GAN_ACT_NONE) /* "linear": an identity, kept as a copy */
        return lw_plain(ln, GAN_OP_COPY);
    int o = lw_plain(ln, GAN_OP_ACT);
    if (o >= 0) {
        P->ops.ops[o].i[0] = nd->act;
        P->ops.ops[o].f[0] = nd->alpha;
    }
    return o;
}

static const char *op_name_act(const md_node *n)
{
    return gan_act_name(n->act);
}

static void details_act(const md_network *net, const md_node *n, char *b, size_t len)
{
    (void)net;
    if (n->act == GAN_ACT_LEAKY_RELU)
        snprintf(b, len, "leaky_relu %g", n->alpha);
    else
        snprintf(b, len, "%s", gan_act_name(n->act));
}

static const layer_row rows[] = {
    /* name        stem       kind    act                 options      pos  dflt tensors shape */
    {"relu",       "relu",    MD_ACT, GAN_ACT_RELU,       0,           0, 0, 0, 0, shape_act},
    {"leaky_relu", "lrelu",   MD_ACT, GAN_ACT_LEAKY_RELU, OB(O_ALPHA), 0, 1, 1, 0, shape_act},
    {"tanh",       "tanh",    MD_ACT, GAN_ACT_TANH,       0,           0, 0, 0, 0, shape_act},
    {"sigmoid",    "sigmoid", MD_ACT, GAN_ACT_SIGMOID,    0,           0, 0, 0, 0, shape_act},
};

/* node fields: act, alpha */
LAYER_KIND_DEFINE(ACT, act, 6) = {
    .name = "act",
    LAYER_ROWS(rows),
    .check = check_act,
    .lower = lower_act,
    .op_name = op_name_act,
    .details = details_act,
};
