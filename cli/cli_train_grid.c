/* ganrt train's sample grid: rows switch single attributes on and off (multilabel), one class
 * per row (categorical), or just more z (no labels); the same z down each column. */
#include <stdlib.h>
#include <string.h>
#include "cli/cli_train_grid.h"
#include "runtime/data.h"


void grid_free(sample_grid *g)
{
    free(g->z);
    free(g->labels);
    free(g->label_buf);
    free(g->row_labels);
}

int grid_make(const gan_model *m, uint64_t seed, sample_grid *g)
{
    const gan_hyper *h = &m->hyper;
    int L = h->n_labels;
    memset(g, 0, sizeof *g);
    if (h->label_kind == GAN_LABELS_MULTI && L > 0)
        g->rows = 2 * L < 16 ? 2 * L : 16;
    else if (h->label_kind == GAN_LABELS_CATEGORICAL && L > 0)
        g->rows = L < 16 ? L : 16;
    else
        g->rows = 4;
    /* 4..8 columns, as many as fit in one run of the sample program (it runs at the model's
     * batch: a 16 x 8 grid at batch 100 would cost two runs, the second mostly padding) */
    g->cols = h->batch / g->rows;
    if (g->cols > 8)
        g->cols = 8;
    if (g->cols < 4)
        g->cols = 4;
    g->n = g->rows * g->cols;
    g->z = calloc((size_t)g->n * (h->latent_size > 0 ? h->latent_size : 1), sizeof(float));
    g->labels = calloc((size_t)g->n * (L > 0 ? L : 1), sizeof(float));
    g->label_buf = calloc((size_t)g->rows, sizeof *g->label_buf);
    g->row_labels = calloc((size_t)g->rows, sizeof *g->row_labels);
    if (!g->z || !g->labels || !g->label_buf || !g->row_labels)
        return -1;
    /* drawn from the seed alone, so a resumed run shows the same faces */
    gan_rng r;
    gan_rng_seed(&r, gan_mix64(seed ^ 0x53414D504C45ull)); /* "SAMPLE" */
    float *col_z = calloc((size_t)g->cols * (h->latent_size > 0 ? h->latent_size : 1), sizeof(float));
    if (!col_z)
        return -1;
    if (h->latent_size > 0)
        gan_draw_latent(m, &r, col_z, g->cols);
    for (int row = 0; row < g->rows; row++) {
        for (int c = 0; c < g->cols; c++) {
            int i = row * g->cols + c;
            if (h->latent_size > 0)
                memcpy(g->z + (size_t)i * h->latent_size, col_z + (size_t)c * h->latent_size,
                       sizeof(float) * h->latent_size);
            if (h->label_kind == GAN_LABELS_MULTI && L > 0)
                g->labels[(size_t)i * L + (row / 2) % L] = (float)(row % 2);
            else if (h->label_kind == GAN_LABELS_CATEGORICAL && L > 0)
                g->labels[(size_t)i * L + row % L] = 1.0f;
        }
        if (h->label_kind == GAN_LABELS_MULTI && L > 0)
            snprintf(g->label_buf[row], sizeof g->label_buf[row], "%s=%d",
                     h->label_names[(row / 2) % L], row % 2);
        else if (h->label_kind == GAN_LABELS_CATEGORICAL && L > 0)
            snprintf(g->label_buf[row], sizeof g->label_buf[row], "%s", h->label_names[row % L]);
        else
            g->label_buf[row][0] = 0;
        g->row_labels[row] = g->label_buf[row];
    }
    free(col_z);
    return 0;
}

int write_grid(gan_session *s, const gan_model *m, const sample_grid *g, float *img,
                      const char *run, long long step, char *err, size_t errlen)
{
    const gan_hyper *h = &m->hyper;
    if (gan_session_sample(s, g->n, g->z, h->n_labels > 0 ? g->labels : NULL, img, 1, err, errlen))
        return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/samples/step_%06lld.png", run, step);
    int labelled = h->label_kind != GAN_LABELS_NONE && h->n_labels > 0;
    return gan_write_grid_png(path, img, g->n, h->image_c, h->image_h, h->image_w, h->range_lo,
                              h->range_hi, g->cols, labelled ? g->row_labels : NULL, err, errlen);
}

