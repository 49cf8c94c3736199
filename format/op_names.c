#include "format/ops.h"

static const char *const op_names[GAN_OP_COUNT] = {
    [GAN_OP_ZERO] = "zero",
    [GAN_OP_COPY] = "copy",
    [GAN_OP_DENSE] = "dense",
    [GAN_OP_CONV2D] = "conv2d",
    [GAN_OP_CONV2D_T] = "conv2d_t",
    [GAN_OP_UPSAMPLE] = "upsample",
    [GAN_OP_BN_TRAIN] = "bn_train",
    [GAN_OP_BN_INFER] = "bn_infer",
    [GAN_OP_ACT] = "act",
    [GAN_OP_CONCAT] = "concat",
    [GAN_OP_TILE] = "tile",
    [GAN_OP_GAP] = "gap",
    [GAN_OP_ADD] = "add",
    [GAN_OP_MUL] = "mul",
    [GAN_OP_ROWDOT] = "rowdot",
    [GAN_OP_SPECTRAL_NORM] = "spectral_norm",
    [GAN_OP_LOSS_HINGE_REAL] = "loss_hinge_real",
    [GAN_OP_LOSS_HINGE_FAKE] = "loss_hinge_fake",
    [GAN_OP_LOSS_MEAN] = "loss_mean",
    [GAN_OP_LOSS_BCE_LOGITS] = "loss_bce_logits",
    [GAN_OP_LOSS_BCE] = "loss_bce",
    [GAN_OP_LOSS_SOFTMAX_CE] = "loss_softmax_ce",
    [GAN_OP_LOSS_SUM] = "loss_sum",
    [GAN_OP_COPY_BWD] = "copy_bwd",
    [GAN_OP_DENSE_BWD] = "dense_bwd",
    [GAN_OP_CONV2D_BWD] = "conv2d_bwd",
    [GAN_OP_CONV2D_T_BWD] = "conv2d_t_bwd",
    [GAN_OP_UPSAMPLE_BWD] = "upsample_bwd",
    [GAN_OP_BN_TRAIN_BWD] = "bn_train_bwd",
    [GAN_OP_ACT_BWD] = "act_bwd",
    [GAN_OP_CONCAT_BWD] = "concat_bwd",
    [GAN_OP_TILE_BWD] = "tile_bwd",
    [GAN_OP_GAP_BWD] = "gap_bwd",
    [GAN_OP_ADD_BWD] = "add_bwd",
    [GAN_OP_MUL_BWD] = "mul_bwd",
    [GAN_OP_ROWDOT_BWD] = "rowdot_bwd",
    [GAN_OP_SPECTRAL_NORM_BWD] = "spectral_norm_bwd",
    [GAN_OP_LOSS_HINGE_REAL_BWD] = "loss_hinge_real_bwd",
    [GAN_OP_LOSS_HINGE_FAKE_BWD] = "loss_hinge_fake_bwd",
    [GAN_OP_LOSS_MEAN_BWD] = "loss_mean_bwd",
    [GAN_OP_LOSS_BCE_LOGITS_BWD] = "loss_bce_logits_bwd",
    [GAN_OP_LOSS_BCE_BWD] = "loss_bce_bwd",
    [GAN_OP_LOSS_SOFTMAX_CE_BWD] = "loss_softmax_ce_bwd",
    [GAN_OP_ADAM] = "adam",
    [GAN_OP_EMA] = "ema",
};

const char *gan_op_name(int type)
{
    if (type < 0 || type >= GAN_OP_COUNT || !op_names[type])
        return "?";
    return op_names[type];
}

static const char *const act_names[GAN_ACT_COUNT] = {"none", "relu", "leaky_relu", "tanh", "sigmoid"};

const char *gan_act_name(int act)
{
    if (act < 0 || act >= GAN_ACT_COUNT)
        return "?";
    return act_names[act];
}
