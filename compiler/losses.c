#include "compiler/losses.h"

#include <stdio.h>
#include <string.h>
#include "compiler/model_def.h"

const loss_row loss_rows[] = {
    /* name          kind                 op                        target             score sign sigm */
    {"hinge_real",  MD_LOSS_HINGE_REAL,  GAN_OP_LOSS_HINGE_REAL,  LOSS_TARGET_NONE,   1, 0, 0},
    {"hinge_fake",  MD_LOSS_HINGE_FAKE,  GAN_OP_LOSS_HINGE_FAKE,  LOSS_TARGET_NONE,   1, 0, 0},
    {"mean",        MD_LOSS_MEAN,        GAN_OP_LOSS_MEAN,        LOSS_TARGET_NONE,   0, 1, 0},
    {"bce",         MD_LOSS_BCE,         GAN_OP_LOSS_BCE,         LOSS_TARGET_UNIT,   0, 0, 1},
    {"softmax_ce",  MD_LOSS_SOFTMAX_CE,  GAN_OP_LOSS_SOFTMAX_CE,  LOSS_TARGET_ONE_OF, 0, 0, 0},
    {"mse",         MD_LOSS_MSE,         GAN_OP_LOSS_MSE,         LOSS_TARGET_CONST,  0, 0, 0},
};
const int loss_n_rows = (int)(sizeof loss_rows / sizeof loss_rows[0]);
_Static_assert(sizeof loss_rows / sizeof loss_rows[0] == MD_LOSS_KIND_COUNT,
               "one loss row per md_loss_kind");

const loss_row *loss_find(const char *name)
{
    for (int i = 0; name && i < loss_n_rows; i++)
        if (!strcmp(loss_rows[i].name, name))
            return &loss_rows[i];
    return NULL;
}

const loss_row *loss_of_kind(int md_loss_kind)
{
    for (int i = 0; i < loss_n_rows; i++)
        if (loss_rows[i].kind == md_loss_kind)
            return &loss_rows[i];
    return NULL;
}

int loss_names(const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < loss_n_rows && n < max; i++)
        out[n++] = loss_rows[i].name;
    return n;
}

void loss_names_list(char *buf, size_t len, const char *last)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < loss_n_rows && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i == 0 ? "" : i == loss_n_rows - 1 ? last : ", ",
                              loss_rows[i].name);
}
