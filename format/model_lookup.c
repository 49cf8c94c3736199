/* Lookups in a loaded model. Programs are found by role: their names are for people. */
#include <string.h>
#include "format/model.h"

int gan_model_find_tensor(const gan_model *m, const char *name)
{
    for (int i = 0; m && name && i < m->n_tensors; i++)
        if (!strncmp(m->tensors[i].name, name, GAN_NAME_MAX))
            return i;
    return -1;
}

int gan_model_find_program(const gan_model *m, const char *name)
{
    for (int i = 0; m && name && i < m->n_programs; i++)
        if (!strncmp(m->programs[i].name, name, GAN_NAME_MAX))
            return i;
    return -1;
}

int gan_model_find_role(const gan_model *m, int role)
{
    if (role == GAN_PROG_AUX)
        return -1; /* not a role anything is found by */
    for (int i = 0; m && i < m->n_programs; i++)
        if (m->programs[i].role == role)
            return i;
    return -1;
}

int gan_model_find_network(const gan_model *m, const char *name)
{
    for (int i = 0; m && name && i < m->n_networks; i++)
        if (!strncmp(m->networks[i].name, name, GAN_NAME_MAX))
            return i;
    return -1;
}

static const char *const role_names[GAN_PROG_ROLE_COUNT] = {
    [GAN_PROG_AUX] = "aux",        [GAN_PROG_D_STEP] = "d_step",         [GAN_PROG_G_STEP] = "g_step",
    [GAN_PROG_SAMPLE] = "sample",  [GAN_PROG_TRAIN_STEP] = "train_step", [GAN_PROG_PREDICT] = "predict",
    [GAN_PROG_VISUALIZE] = "visualize",
};

const char *gan_program_role_name(int role)
{
    return role >= 0 && role < GAN_PROG_ROLE_COUNT ? role_names[role] : "?";
}

int gan_program_role_of_name(const char *name)
{
    for (int r = GAN_PROG_AUX + 1; name && r < GAN_PROG_ROLE_COUNT; r++)
        if (!strcmp(role_names[r], name))
            return r;
    return GAN_PROG_AUX;
}
