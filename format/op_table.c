/* The op table's rows as data, and the predicates everyone else asks instead of testing enum
 * ranges. */
#include "format/ops.h"

#include <stddef.h>

static const gan_op_info op_table[GAN_OP_COUNT] = {
#define GAN_OP(ID, NUM, NAME, KIND, FAM, IN, OUT, DIFF, UPD, WS, FLAGS, BWD, BWD_IN, BWD_OUT)      \
    [NUM] = {NAME, GAN_OPK_##KIND, GAN_OPFAM_##FAM, IN, OUT, DIFF, UPD, WS, FLAGS, GAN_OP_##BWD,     \
             BWD_IN, BWD_OUT},
#include "format/op_list.h"
#undef GAN_OP
};

const gan_op_info *gan_op_info_of(int type)
{
    return type >= 0 && type < GAN_OP_COUNT ? &op_table[type] : NULL;
}

const char *gan_op_name(int type)
{
    const gan_op_info *o = gan_op_info_of(type);
    return o ? o->name : "?";
}

int gan_op_kind_of(int type)
{
    const gan_op_info *o = gan_op_info_of(type);
    return o ? o->kind : -1;
}

int gan_op_is_backward(int type) { return gan_op_kind_of(type) == GAN_OPK_BWD; }
int gan_op_is_loss(int type) { return gan_op_kind_of(type) == GAN_OPK_LOSS; }

unsigned gan_op_flags(int type)
{
    const gan_op_info *o = gan_op_info_of(type);
    return o ? o->flags : 0u;
}

int gan_op_differentiable(int type, int slot)
{
    const gan_op_info *o = gan_op_info_of(type);
    return o && slot >= 0 && slot < 8 && ((o->diff >> slot) & 1u);
}

int gan_op_backward(int type)
{
    const gan_op_info *o = gan_op_info_of(type);
    return o ? o->bwd : GAN_OP_NONE;
}

static const char *const act_names[GAN_ACT_COUNT] = {"none", "relu", "leaky_relu", "tanh", "sigmoid"};

const char *gan_act_name(int act)
{
    if (act < 0 || act >= GAN_ACT_COUNT)
        return "?";
    return act_names[act];
}
