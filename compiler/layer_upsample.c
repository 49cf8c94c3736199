/* upsample(factor): nearest-neighbour upsampling of a feature map, [C,H,W] -> [C,fH,fW];
 * the factor (default 2) positionally or as the option factor. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

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

static int lower_upsample(lw_node *ln)
{
    int o = lw_plain(ln, GAN_OP_UPSAMPLE);
    if (o >= 0)
        ln->P->ops.ops[o].i[1] = ln->nd->factor;
    return o;
}

static const layer_row rows[] = {
    /* name      stem  kind         act options       pos  dflt tensors shape */
    {"upsample", "up", MD_UPSAMPLE, 0, OB(O_FACTOR), 0, 1, 1, 0, shape_upsample},
};

const layer_kind layer_kind_upsample = {
    LAYER_ROWS(rows),
    .lower = lower_upsample,
};
