/* ganrt train's sample grids (cli_train_grid.c): RUN/samples/step_NNNNNN.png, the same
 * faces at every step. Internal to cli/. */
#ifndef GAN_CLI_TRAIN_GRID_H
#define GAN_CLI_TRAIN_GRID_H

#include <stddef.h>
#include <stdint.h>
#include "format/model.h"
#include "runtime/train.h"

/* The fixed sample grid: the same z down each column; rows switch single attributes on/off
 * (multilabel), one class per row (categorical), or just more z (no labels). */
typedef struct {
    int rows, cols, n;
    float *z, *labels;
    char (*label_buf)[96];
    const char **row_labels;
} sample_grid;

/* The grid's z and labels, drawn from seed alone (a resumed run shows the same faces);
 * -1 when out of memory. */
int grid_make(const gan_model *m, uint64_t seed, sample_grid *g);
void grid_free(sample_grid *g);
/* Samples the grid with s (EMA weights) into img and writes RUN/samples/step_NNNNNN.png. */
int write_grid(gan_session *s, const gan_model *m, const sample_grid *g, float *img,
               const char *run, long long step, char *err, size_t errlen);

#endif
