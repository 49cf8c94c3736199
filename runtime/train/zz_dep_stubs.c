/* TEMPORARY weak stand-ins for other helpers' functions (model loader, interpreter, data
 * loader) so that ganrt links before they are merged. Each fails with a message; none
 * pretends to work. Deleted piece by piece as the real ones land on main. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/exec.h"
#include "runtime/model.h"
#include "runtime/train/zz_data_api.h"

#define WEAK __attribute__((weak))
#define NOT_YET(what) snprintf(err, errlen, "%s is not available in this build yet", what)

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
WEAK int gan_exec_program(const gan_model *m, const gan_program *p,
                          float *const base[GAN_REGION_COUNT], int threads, char *err,
                          size_t errlen)
{
    (void)m; (void)p; (void)base; (void)threads;
    NOT_YET("the interpreter");
    return -1;
}
WEAK gan_loader *gan_loader_open(const gan_loader_opts *o, char *err, size_t errlen)
{
    (void)o;
    NOT_YET("the data loader");
    return NULL;
}
WEAK int gan_loader_next(gan_loader *l, float *images, float *labels, char *err, size_t errlen)
{
    (void)l; (void)images; (void)labels;
    NOT_YET("the data loader");
    return -1;
}
WEAK void gan_loader_tell(const gan_loader *l, uint64_t *epoch, uint64_t *index)
{
    (void)l;
    *epoch = *index = 0;
}
WEAK int gan_loader_seek(gan_loader *l, uint64_t epoch, uint64_t index, char *err, size_t errlen)
{
    (void)l; (void)epoch; (void)index;
    NOT_YET("the data loader");
    return -1;
}
WEAK size_t gan_loader_size(const gan_loader *l) { (void)l; return 0; }
WEAK size_t gan_loader_bad_count(const gan_loader *l) { (void)l; return 0; }
WEAK void gan_loader_close(gan_loader *l) { (void)l; }
WEAK int gan_write_grid_png(const char *path, const float *images, int n, int c, int h, int w,
                            float lo, float hi, int cols, const char *const *row_labels, char *err,
                            size_t errlen)
{
    (void)path; (void)images; (void)n; (void)c; (void)h; (void)w; (void)lo; (void)hi;
    (void)cols; (void)row_labels;
    NOT_YET("the PNG writer");
    return -1;
}
WEAK int gan_write_png(const char *path, const float *image, int c, int h, int w, float lo,
                       float hi, char *err, size_t errlen)
{
    (void)path; (void)image; (void)c; (void)h; (void)w; (void)lo; (void)hi;
    NOT_YET("the PNG writer");
    return -1;
}
WEAK int gan_attr_table_read(const char *path, gan_attr_table *t, char *err, size_t errlen)
{
    (void)path;
    memset(t, 0, sizeof *t);
    NOT_YET("the attribute reader");
    return -1;
}
WEAK void gan_attr_table_free(gan_attr_table *t) { (void)t; }
WEAK int gan_attr_find(const gan_attr_table *t, const char *name)
{
    for (int i = 0; i < t->n_attrs; i++)
        if (!strcmp(t->names[i], name))
            return i;
    return -1;
}
WEAK const char *gan_closest_name(const char *name, const char *const *cands, int n)
{
    (void)name;
    return n > 0 ? cands[0] : NULL;
}
