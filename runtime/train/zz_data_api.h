/* TEMPORARY: the data helper's runtime/data.h API, declared here until data.h is on main.
 * Delete this file and include "runtime/data.h" when it lands. */
#ifndef GAN_ZZ_DATA_API_H
#define GAN_ZZ_DATA_API_H
#include <stddef.h>
#include <stdint.h>

typedef struct gan_loader gan_loader;
typedef struct { const char *dir; int c, h, w; float lo, hi; int label_kind; int n_labels; const char (*label_names)[64]; int batch; uint64_t seed; int limit; } gan_loader_opts;
gan_loader *gan_loader_open(const gan_loader_opts *o, char *err, size_t errlen);
int gan_loader_next(gan_loader *l, float *images, float *labels, char *err, size_t errlen);
void gan_loader_tell(const gan_loader *l, uint64_t *epoch, uint64_t *index);
int gan_loader_seek(gan_loader *l, uint64_t epoch, uint64_t index, char *err, size_t errlen);
size_t gan_loader_size(const gan_loader *l);
size_t gan_loader_bad_count(const gan_loader *l);
void gan_loader_close(gan_loader *l);
int gan_write_grid_png(const char *path, const float *images, int n, int c, int h, int w, float lo, float hi, int cols, const char *const *row_labels, char *err, size_t errlen);
int gan_write_png(const char *path, const float *image, int c, int h, int w, float lo, float hi, char *err, size_t errlen);
typedef struct { int n_attrs; char (*names)[64]; size_t n_rows; char (*files)[32]; signed char *values; } gan_attr_table;
int gan_attr_table_read(const char *path, gan_attr_table *t, char *err, size_t errlen);
void gan_attr_table_free(gan_attr_table *t);
int gan_attr_find(const gan_attr_table *t, const char *name);
const char *gan_closest_name(const char *name, const char *const *cands, int n);
#endif
