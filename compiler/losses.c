#include "compiler/losses.h"

#include <stdio.h>
#include <string.h>
#include "compiler/model_def.h"

const loss_row loss_rows[] = {
#define GAN_LOSS(KIND, NAME, OP, TARGET, SCORE, SIGN, SIGM)                                        \
    {NAME, MD_LOSS_##KIND, OP, LOSS_TARGET_##TARGET, SCORE, SIGN, SIGM},
#include "compiler/loss_list.h"
#undef GAN_LOSS
};
const int loss_n_rows = (int)(sizeof loss_rows / sizeof loss_rows[0]);

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
