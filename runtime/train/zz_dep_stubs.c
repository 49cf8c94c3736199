/* TEMPORARY weak stand-ins for the model loader (plan branch) so that ganrt links before they are merged. Each fails with a message; none
 * pretends to work. Deleted piece by piece as the real ones land on main. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/model.h"

#define WEAK __attribute__((weak))

WEAK gan_model *gan_model_load(const char *path, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: model loader is not available in this build yet", path);
    return NULL;
}
WEAK void gan_model_free(gan_model *m) { (void)m; }
WEAK int gan_model_find_program(const gan_model *m, const char *name)
{
    for (int i = 0; i < m->n_programs; i++)
        if (!strcmp(m->programs[i].name, name))
            return i;
    return -1;
}
WEAK int gan_model_find_tensor(const gan_model *m, const char *name)
{
    for (int i = 0; i < m->n_tensors; i++)
        if (!strcmp(m->tensors[i].name, name))
            return i;
    return -1;
}
