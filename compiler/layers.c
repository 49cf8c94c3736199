/* The layer table (compiler/layers.h) and its lookups. The order of the rows is the order of
 * "did you mean" candidates, so a new row goes at the end of the nameable ones. */
#include "compiler/layers.h"

#include <string.h>

const char *const layer_opt_names[O_COUNT] = {
    "kernel", "stride", "padding", "init", "momentum", "eps", "alpha", "factor",
    "spectral_norm", "no_spectral_norm", "bias", "no_bias", "affine", "no_affine",
};

#define CONV_OPTS (W_OPTS | OB(O_KERNEL) | OB(O_STRIDE) | OB(O_PADDING))
#define BN_OPTS (OB(O_MOMENTUM) | OB(O_EPS) | OB(O_AFFINE) | OB(O_NO_AFFINE))
#define PROJECT_OPTS (OB(O_INIT) | OB(O_SN) | OB(O_NO_SN))

const layer_row layer_rows[] = {
    /* name               stem       kind          act                 options        pos  dflt tensors shape            lower */
    {"dense",            "dense",   MD_DENSE,     0,                  W_OPTS,        1, 1, 1, 0, shape_dense,     lower_dense},
    {"conv",             "conv",    MD_CONV,      0,                  CONV_OPTS,     1, 1, 1, 0, shape_conv,      lower_conv},
    {"conv_t",           "conv_t",  MD_CONV_T,    0,                  CONV_OPTS,     1, 1, 1, 0, shape_conv_t,    lower_conv},
    {"upsample",         "up",      MD_UPSAMPLE,  0,                  OB(O_FACTOR),  0, 1, 1, 0, shape_upsample,  lower_upsample},
    {"batchnorm",        "bn",      MD_BATCHNORM, 0,                  BN_OPTS,       0, 0, 1, 0, shape_batchnorm, lower_batchnorm},
    {"relu",             "relu",    MD_ACT,       GAN_ACT_RELU,       0,             0, 0, 0, 0, shape_act,       lower_act},
    {"leaky_relu",       "lrelu",   MD_ACT,       GAN_ACT_LEAKY_RELU, OB(O_ALPHA),   0, 1, 1, 0, shape_act,       lower_act},
    {"tanh",             "tanh",    MD_ACT,       GAN_ACT_TANH,       0,             0, 0, 0, 0, shape_act,       lower_act},
    {"sigmoid",          "sigmoid", MD_ACT,       GAN_ACT_SIGMOID,    0,             0, 0, 0, 0, shape_act,       lower_act},
    {"concat",           "concat",  MD_CONCAT,    0,                  0,             1, 7, 0, 1, shape_concat,    lower_concat},
    {"reshape",          "reshape", MD_RESHAPE,   0,                  0,             1, 3, 0, 0, shape_reshape,   lower_copy},
    {"flatten",          "reshape", MD_RESHAPE,   0,                  0,             0, 0, 0, 0, shape_flatten,   lower_copy},
    {"global_avg_pool",  "gap",     MD_GAP,       0,                  0,             0, 0, 0, 0, shape_gap,       lower_gap},
    {"project",          "project", MD_PROJECT,   0,                  PROJECT_OPTS,  1, 1, 1, 1, shape_project,   lower_project},
    {"add",              "add",     MD_ADD,       0,                  0,             1, 1, 0, 1, shape_add,       lower_add},
    /* made by concat's rule when a vector joins feature maps */
    {NULL,               "tile",    MD_TILE,      0,                  0,             0, 0, 0, 0, NULL,            lower_tile},
};
const int layer_n_rows = (int)(sizeof layer_rows / sizeof layer_rows[0]);
_Static_assert(sizeof layer_rows / sizeof layer_rows[0] < LAYER_MAX_ROWS, "raise LAYER_MAX_ROWS");

const layer_row *layer_find(const char *name)
{
    for (int i = 0; i < layer_n_rows; i++)
        if (layer_rows[i].name && !strcmp(layer_rows[i].name, name))
            return &layer_rows[i];
    return NULL;
}

const layer_row *layer_of_node(const md_node *n)
{
    for (int i = 0; i < layer_n_rows; i++)
        if (layer_rows[i].kind == n->kind && (n->kind != MD_ACT || layer_rows[i].act == n->act))
            return &layer_rows[i];
    return NULL;
}

const layer_row *layer_of_kind(int md_kind)
{
    for (int i = 0; i < layer_n_rows; i++)
        if (layer_rows[i].kind == md_kind)
            return &layer_rows[i];
    return NULL;
}

int layer_names(const char **out, int only_defaultable)
{
    int n = 0;
    for (int i = 0; i < layer_n_rows; i++)
        if (layer_rows[i].name && (!only_defaultable || layer_rows[i].defaultable))
            out[n++] = layer_rows[i].name;
    return n;
}

int layer_opt_find(const char *word)
{
    for (int k = 0; k < O_COUNT; k++)
        if (!strcmp(layer_opt_names[k], word))
            return k;
    return -1;
}

int layer_opt_has_value(int o)
{
    return o < O_SN;
}

int layer_opt_slot(int o)
{
    return o == O_NO_SN ? O_SN : o == O_NO_BIAS ? O_BIAS : o == O_NO_AFFINE ? O_AFFINE : o;
}

int layer_opt_is_on(int o)
{
    return o == O_SN || o == O_BIAS || o == O_AFFINE;
}
