/* upsample(factor): nearest-neighbour upsampling of a feature map, [C,H,W] -> [C,fH,fW];
 * the factor (default 2) positionally or as the option factor. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <stdio.h>

static int shape_upsample(ck_layer_call *lc)
{
    env *e = lc->e;
    if (ck_need3(e, lc->in, lc->loc, lc->name))
        return -1;
    int f = 2, idx;
    ast_expr *fx;
    if (ck_one_value(lc, O_FACTOR, "upsample factor", &fx) || (fx && ck_eval_pos_int(e, fx, "upsample factor", 1, 64, &f)))
        return -1;
    md_node *n = ck_add_out(lc, MD_UPSAMPLE, &idx);
    if (!n)
        return -1;
    n->ndim = 3;
    n->shape[0] = lc->src->shape[0];
    n->shape[1] = lc->src->shape[1] * f;
    n->shape[2] = lc->src->shape[2] * f;
    n->factor = f;
    return idx;
}

static const char *check_upsample(const md_network *net, const md_node *nd)
{
    const md_node *x = &net->nodes[nd->in[0]];
    if (nd->factor <= 0 || nd->ndim != 3)
        return "bad upsample factor";
    int ok = x->ndim == 3 && nd->shape[0] == x->shape[0] &&
             nd->shape[1] == (long)x->shape[1] * nd->factor &&
             nd->shape[2] == (long)x->shape[2] * nd->factor;
    return ok ? NULL : LAYER_BAD_SHAPE;
}

static int lower_upsample(lw_node *ln)
{
    int o = lw_plain(ln, GAN_OP_UPSAMPLE);
    if (o >= 0)
        ln->P->ops.ops[o].i[1] = ln->nd->factor;
    return o;
}

static void details_upsample(const md_network *net, const md_node *n, char *b, size_t len)
{
    (void)net;
    snprintf(b, len, "x%d nearest", n->factor);
}

static const layer_row rows[] = {
    /* name      stem  kind         act options       pos  dflt tensors shape */
    {"upsample", "up", MD_UPSAMPLE, 0, OB(O_FACTOR), 0, 1, 1, 0, shape_upsample},
};

/* node fields: factor */
LAYER_KIND_DEFINE(UPSAMPLE, upsample, 4) = {
    .name = "upsample",
    LAYER_ROWS(rows),
    .check = check_upsample,
    .lower = lower_upsample,
    .details = details_upsample,
};
