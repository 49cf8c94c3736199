/* ganrt sample: images from a trained generator, conditioned on chosen attributes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "format/model.h"
#include "runtime/train.h"
#include "runtime/train/args.h"
#include "runtime/data.h"

static const char sample_help[] =
    "Usage: ganrt sample MODEL.bin --ckpt RUN|FILE (-o OUT.png | --out-dir DIR) [options]\n"
    "\n"
    "  --ckpt RUN|FILE     a checkpoint file, or a run directory (its newest checkpoint)\n"
    "  -o OUT.png          write one grid image (PNG: a name ending in another image\n"
    "                      type, such as .jpg, is refused)\n"
    "  --attr A=1,B=0      attribute values (names as in the model's labels). Attributes not\n"
    "                      given are 0 (absent; see --rest-from); for a categorical model the\n"
    "                      class cycles\n"
    "  -n N                number of images (default 16)\n"
    "  --seed S            seed of the z draws (default 1)\n"
    "  --cols C            grid columns (default: about sqrt(N); 8 with --vary/--interpolate)\n"
    "  --vary A[,B..]      one row per combination of the listed attributes (2^k rows, each\n"
    "                      row labelled; at most 6 attributes, 64 rows), the same C z's\n"
    "                      across every row; for a categorical (one_of) model one row per\n"
    "                      listed class\n"
    "  --interpolate       each row walks (slerp) from one z to another in C steps\n"
    "                      (rows = ceil(N / C))\n"
    "  --attrs-from FILE   attribute rows from a CelebA list_attr_celeba.txt (first N rows,\n"
    "                      matched by attribute name)\n"
    "  --rest-from FILE    attributes not given by --attr/--vary are copied from a random row\n"
    "                      of FILE (a list_attr_celeba.txt) instead of 0: real combinations;\n"
    "                      with --vary one row per column, shared down the column\n"
    "  --out-dir DIR       also write DIR/000001.png.. and DIR/list_attr_celeba.txt (CelebA\n"
    "                      layout: all 40 names; the model's attributes as used, others -1)\n"
    "  --truncation PSI    the truncation trick: every latent component with |z| > PSI is\n"
    "                      drawn again (BigGAN's truncated normal; a uniform latent is drawn\n"
    "                      from [-PSI, PSI]). Smaller PSI: more typical, less varied images\n"
    "                      (0.05 to 10; default: none)\n"
    "  --no-ema            use the raw generator weights, not their EMA\n"
    "  --standing B        normalise with batch-norm statistics measured over B batches of\n"
    "                      the sampling weights (standing statistics: z drawn, attributes\n"
    "                      from random rows of the --rest-from / --attrs-from file), not the\n"
    "                      running ones of training (default 0: the running ones)\n"
    "  --threads T         compute threads\n"
    "  --precision P       fp32 (default) or bf16 GEMMs (as 'ganrt train --help' says)\n"
    "  --help              this text\n"
    "\n"
    "Exit status: 0 done, 1 failure (bad model or checkpoint), 2 usage error.\n";

typedef struct {
    const char *model, *ckpt, *out, *attr, *vary, *attrs_from, *out_dir, *rest_from, *precision;
    long long n, cols, threads, standing;
    uint64_t seed;
    double truncation;       /* 0: none */
    int interpolate, no_ema, n_given;
} sample_opts;

static int parse(int argc, char **argv, sample_opts *o, int *help, gan_args *a)
{
    gan_args_init(a, "ganrt sample", argc, argv);
    memset(o, 0, sizeof *o);
    o->n = 16;
    o->cols = -1;
    o->threads = -1;
    o->seed = 1;
    int k;
    while ((k = gan_args_next(a))) {
        if (k == 2) {
            if (o->model)
                return gan_usage_error(a, "unexpected argument '%s'", a->value);
            o->model = a->value;
            continue;
        }
        const char *op = a->opt;
        int r = 0;
        if (!strcmp(op, "--help") || !strcmp(op, "-h")) {
            *help = 1;
            return 0;
        } else if (!strcmp(op, "--ckpt")) r = gan_args_str(a, &o->ckpt);
        else if (!strcmp(op, "-o") || !strcmp(op, "--out")) r = gan_args_str(a, &o->out);
        else if (!strcmp(op, "--attr")) r = gan_args_str(a, &o->attr);
        else if (!strcmp(op, "--vary")) r = gan_args_str(a, &o->vary);
        else if (!strcmp(op, "--attrs-from")) r = gan_args_str(a, &o->attrs_from);
        else if (!strcmp(op, "--rest-from")) r = gan_args_str(a, &o->rest_from);
        else if (!strcmp(op, "--out-dir")) r = gan_args_str(a, &o->out_dir);
        else if (!strcmp(op, "-n")) {
            r = gan_args_ll(a, 1, 100000, &o->n);
            o->n_given = 1;
        } else if (!strcmp(op, "--cols")) r = gan_args_ll(a, 1, 1000, &o->cols);
        else if (!strcmp(op, "--threads")) r = gan_args_ll(a, 1, 1024, &o->threads);
        else if (!strcmp(op, "--standing")) r = gan_args_ll(a, 0, 10000, &o->standing);
        else if (!strcmp(op, "--seed")) r = gan_args_u64(a, &o->seed);
        else if (!strcmp(op, "--truncation")) r = gan_args_double(a, 0.05, 10, &o->truncation);
        else if (!strcmp(op, "--interpolate")) o->interpolate = 1;
        else if (!strcmp(op, "--no-ema")) o->no_ema = 1;
        else if (!strcmp(op, "--precision")) {
            char why[256];
            if (!(r = gan_args_str(a, &o->precision)) &&
                cli_precision_set(o->precision, why, sizeof why))
                return gan_usage_error(a, "%s", why);
        } else
            return gan_usage_error(a, "unknown option %s", op);
        if (r)
            return 2;
    }
    if (!o->model)
        return gan_usage_error(a, "missing MODEL.bin");
    if (!o->ckpt)
        return gan_usage_error(a, "missing --ckpt RUN|FILE");
    if (!o->out && !o->out_dir)
        return gan_usage_error(a, "missing -o OUT.png (or --out-dir DIR)");
    if ((o->vary != NULL) + o->interpolate + (o->attrs_from != NULL) > 1)
        return gan_usage_error(a, "--vary, --interpolate and --attrs-from exclude each other");
    if (o->rest_from && o->attrs_from)
        return gan_usage_error(a, "--rest-from and --attrs-from exclude each other");
    if (o->attr && o->attrs_from)
        return gan_usage_error(a, "--attr and --attrs-from exclude each other (the file's rows "
                               "give every attribute)");
    const char *dot = o->out ? strrchr(o->out, '.') : NULL;
    if (dot && !strchr(dot, '/') && strcasecmp(dot, ".png"))
        return gan_usage_error(a, "-o %s: ganrt sample writes PNG; name the file .png", o->out);
    return 0;
}

/* Index of name among the model's labels, or a usage error with a did-you-mean. */
static int find_label(gan_args *a, const gan_hyper *h, const char *opt, const char *name, int *idx)
{
    for (int i = 0; i < h->n_labels; i++)
        if (!strcmp(h->label_names[i], name)) {
            *idx = i;
            return 0;
        }
    const char *cands[256] = {0};
    int n = h->n_labels < 256 ? h->n_labels : 256;
    for (int i = 0; i < n; i++)
        cands[i] = h->label_names[i];
    const char *best = n ? gan_closest_name(name, cands, n) : NULL;
    char list[2048] = "";
    size_t k = 0;
    for (int i = 0; i < n && k < sizeof list; i++)
        k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", cands[i]);
    if (h->n_labels == 0)
        gan_usage_error(a, "%s %s: the model has no attribute labels", opt, name);
    else if (best)
        gan_usage_error(a, "unknown attribute '%s' (did you mean '%s'?); the model's labels: %s",
                        name, best, list);
    else
        gan_usage_error(a, "unknown attribute '%s'; the model's labels: %s", name, list);
    return -1;
}

/* --attr A=1,B=0 into base[L] (and the set mask). */
static int parse_attrs(gan_args *a, const gan_hyper *h, const char *spec, float *base,
                       unsigned char *set)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        const char *val = "1";
        if (eq) {
            *eq = 0;
            val = eq + 1;
        }
        int idx;
        if (find_label(a, h, "--attr", tok, &idx))
            return -1;
        if (set[idx]) {
            gan_usage_error(a, "--attr: %s given twice", tok);
            return -1;
        }
        float v;
        if (!strcmp(val, "1") || !strcmp(val, "yes") || !strcmp(val, "true"))
            v = 1.0f;
        else if (!strcmp(val, "0") || !strcmp(val, "-1") || !strcmp(val, "no") ||
                 !strcmp(val, "false"))
            v = 0.0f;
        else {
            gan_usage_error(a, "--attr %s=%s: the value must be 1 or 0", tok, val);
            return -1;
        }
        if (h->label_kind == GAN_LABELS_CATEGORICAL && v != 1.0f) {
            /* a one_of row has exactly one class: "not A" names none */
            gan_usage_error(a, "--attr %s=0: the model's labels are one class of %d (one_of); "
                            "name the class to draw, e.g. --attr %s=1", tok, h->n_labels, tok);
            return -1;
        }
        if (h->label_kind == GAN_LABELS_CATEGORICAL)
            for (int i = 0; i < h->n_labels; i++)
                if (set[i]) {
                    gan_usage_error(a, "--attr %s=1 and %s=1: the model's labels are one class "
                                    "(one_of), so one of them", h->label_names[i], tok);
                    return -1;
                }
        base[idx] = v;
        set[idx] = 1;
    }
    return 0;
}

static void slerp(const float *a, const float *b, float t, float *out, int n)
{
    double na = 0, nb = 0, dot = 0;
    for (int i = 0; i < n; i++) {
        na += (double)a[i] * a[i];
        nb += (double)b[i] * b[i];
        dot += (double)a[i] * b[i];
    }
    double c = (na > 0 && nb > 0) ? dot / sqrt(na * nb) : 1;
    if (c > 1) c = 1;
    if (c < -1) c = -1;
    double om = acos(c), so = sin(om);
    for (int i = 0; i < n; i++) {
        if (so < 1e-6)
            out[i] = (float)((1 - t) * a[i] + t * b[i]);
        else
            out[i] = (float)(sin((1 - t) * om) / so * a[i] + sin(t * om) / so * b[i]);
    }
}

static int write_out_dir(const char *dir, const gan_hyper *h, const float *img, const float *lab,
                         int n, char *err, size_t errlen)
{
    if (gan_mkdirs(dir, err, errlen))
        return -1;
    char path[4200];
    int L = h->n_labels;
    /* map model labels onto the 40 CelebA columns */
    int col_of[GAN_CELEBA_N_ATTRS];
    for (int c = 0; c < GAN_CELEBA_N_ATTRS; c++) {
        col_of[c] = -1;
        for (int i = 0; i < L; i++)
            if (!strcmp(h->label_names[i], gan_celeba_attr_names[c]))
                col_of[c] = i;
    }
    size_t per = (size_t)h->image_c * h->image_h * h->image_w;
    snprintf(path, sizeof path, "%s/list_attr_celeba.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%.900s: cannot create", path);
        return -1;
    }
    fprintf(f, "%d\n", n);
    for (int c = 0; c < GAN_CELEBA_N_ATTRS; c++)
        fprintf(f, "%s%s", c ? " " : "", gan_celeba_attr_names[c]);
    fputc('\n', f);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%06d.png", dir, i + 1);
        if (gan_write_png(path, img + per * (size_t)i, h->image_c, h->image_h, h->image_w,
                          h->range_lo, h->range_hi, err, errlen)) {
            fclose(f);
            return -1;
        }
        fprintf(f, "%06d.png", i + 1);
        for (int c = 0; c < GAN_CELEBA_N_ATTRS; c++) {
            int v = col_of[c] >= 0 && lab && lab[(size_t)i * L + col_of[c]] > 0.5f ? 1 : -1;
            fprintf(f, " %2d", v);
        }
        fputc('\n', f);
    }
    if (fclose(f)) {
        snprintf(err, errlen, "%s/list_attr_celeba.txt: write failed", dir);
        return -1;
    }
    return 0;
}

/* What one run draws and writes: n images on a grid of rows x cols (the plain mode's last row
 * may be short), their z and labels, and a caption per row. */
typedef struct {
    int rows, cols, n;
    float *z, *lab, *img;
    float *base_lab;         /* the --attr values */
    unsigned char *set;      /* per attribute: given by --attr or --vary */
    int vary_idx[16], n_vary;
    char (*lbuf)[128];
    const char **row_labels;
    gan_attr_table at;       /* --attrs-from or --rest-from (they exclude each other) */
    float psi;               /* --truncation, 0 for none */
} sample_run;

/* n latent vectors, truncated when asked: the components already within PSI keep the values
 * the seed drew, so a truncated grid stays close to the untruncated one, tamer. */
static void draw_z(const gan_model *m, gan_rng *rng, float psi, float *z, int n)
{
    gan_draw_latent(m, rng, z, n);
    if (!(psi > 0))
        return;
    size_t k = (size_t)n * (size_t)m->hyper.latent_size;
    if (m->hyper.latent_dist == GAN_LATENT_UNIFORM) {
        if (psi < 1)
            for (size_t i = 0; i < k; i++)
                z[i] *= psi;
    } else {
        gan_rng_truncate_normal(rng, z, k, psi);
    }
}

static void run_free(sample_run *r)
{
    gan_attr_table_free(&r->at);
    free(r->z);
    free(r->lab);
    free(r->img);
    free(r->base_lab);
    free(r->set);
    free(r->lbuf);
    free(r->row_labels);
}

/* --attr and --vary against the model's labels: 0, or 2 after a usage error. */
static int read_given(gan_args *a, const gan_hyper *h, const sample_opts *o, sample_run *r)
{
    if (o->attr && parse_attrs(a, h, o->attr, r->base_lab, r->set))
        return 2;
    if (!o->vary)
        return 0;
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", o->vary);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (r->n_vary == 6)
            return gan_usage_error(a, "--vary: at most 6 attributes (64 rows)");
        int k;
        if (find_label(a, h, "--vary", tok, &k))
            return 2;
        for (int v = 0; v < r->n_vary; v++)
            if (r->vary_idx[v] == k)
                return gan_usage_error(a, "--vary: %s given twice", tok);
        if (r->set[k])
            return gan_usage_error(a, "--vary %s and --attr %s: the rows vary it, so --attr "
                                   "cannot fix it; leave it out of --attr", tok, tok);
        r->vary_idx[r->n_vary++] = k;
    }
    for (int v = 0; v < r->n_vary; v++)
        r->set[r->vary_idx[v]] = 1; /* given, by the rows */
    if (!r->n_vary)
        return gan_usage_error(a, "--vary needs attribute names");
    if (h->label_kind == GAN_LABELS_CATEGORICAL && o->attr)
        return gan_usage_error(a, "--vary and --attr on a categorical (one_of) model: each row's "
                               "class comes from --vary");
    return 0;
}

/* The grid's shape, then room for its images: 0, or 1 out of memory. */
static int lay_out(const gan_hyper *h, const sample_opts *o, sample_run *r)
{
    if (o->vary) {
        r->cols = o->cols > 0 ? (int)o->cols : 8;
        /* one_of: one row per listed class (a combination of classes is no valid row) */
        r->rows = h->label_kind == GAN_LABELS_CATEGORICAL ? r->n_vary : 1 << r->n_vary;
    } else if (o->interpolate) {
        r->cols = o->cols > 0 ? (int)o->cols : 8;
        if (r->cols < 2)
            r->cols = 2;
        r->rows = (int)((o->n + r->cols - 1) / r->cols);
    } else {
        int n = (int)o->n;
        r->cols = o->cols > 0 ? (int)o->cols : (int)ceil(sqrt((double)n));
        r->rows = (n + r->cols - 1) / r->cols;
    }
    r->n = (o->vary || o->interpolate) ? r->rows * r->cols : (int)o->n;
    int L = h->n_labels, Z = h->latent_size;
    r->z = calloc((size_t)r->n * Z, sizeof *r->z);
    r->lab = calloc((size_t)r->n * (L > 0 ? L : 1), sizeof *r->lab);
    r->img = malloc(sizeof(float) * (size_t)r->n * h->image_c * h->image_h * h->image_w);
    r->lbuf = calloc((size_t)r->rows, sizeof *r->lbuf);
    r->row_labels = calloc((size_t)r->rows, sizeof *r->row_labels);
    return !r->z || !r->lab || !r->img || !r->lbuf || !r->row_labels;
}

/* Every image starts with the --attr values; a categorical model without --attr cycles
 * through its classes. */
static void default_labels(const gan_hyper *h, const sample_opts *o, sample_run *r)
{
    int L = h->n_labels;
    for (int i = 0; i < r->n; i++)
        for (int k = 0; k < L; k++)
            r->lab[(size_t)i * L + k] = r->base_lab[k];
    if (h->label_kind == GAN_LABELS_CATEGORICAL && L > 0 && !o->attr)
        for (int i = 0; i < r->n; i++) {
            for (int k = 0; k < L; k++)
                r->lab[(size_t)i * L + k] = 0;
            r->lab[(size_t)i * L + i % L] = 1;
        }
}

static void caption_rows(sample_run *r, const char *text)
{
    for (int row = 0; row < r->rows; row++) {
        snprintf(r->lbuf[row], sizeof r->lbuf[row], "%s", text ? text : "");
        r->row_labels[row] = r->lbuf[row];
    }
}

/* --vary: row k switches the varied attributes to the bits of k; every row has the same z's. */
static int draw_vary(const gan_model *m, gan_rng *rng, sample_run *r, char *err, size_t errlen)
{
    const gan_hyper *h = &m->hyper;
    int L = h->n_labels, Z = h->latent_size, cols = r->cols;
    float *cz = malloc(sizeof(float) * (size_t)cols * Z);
    if (!cz)
        return cli_out_of_memory(err, errlen);
    draw_z(m, rng, r->psi, cz, cols);
    for (int row = 0; row < r->rows; row++) {
        size_t k = 0;
        char *cap = r->lbuf[row];
        size_t cap_len = sizeof r->lbuf[row];
        if (h->label_kind == GAN_LABELS_CATEGORICAL) {
            /* one_of: row k is the k-th listed class, one-hot */
            for (int c = 0; c < cols; c++) {
                float *y = r->lab + (size_t)(row * cols + c) * L;
                memset(y, 0, sizeof(float) * (size_t)L);
                y[r->vary_idx[row]] = 1.0f;
            }
            snprintf(cap, cap_len, "%s", h->label_names[r->vary_idx[row]]);
        }
        for (int v = 0; v < r->n_vary && h->label_kind != GAN_LABELS_CATEGORICAL; v++) {
            int on = (row >> (r->n_vary - 1 - v)) & 1;
            k += (size_t)snprintf(cap + k, k < cap_len ? cap_len - k : 0, "%s%s=%d", v ? " " : "",
                                  h->label_names[r->vary_idx[v]], on);
            for (int c = 0; c < cols; c++)
                r->lab[(size_t)(row * cols + c) * L + r->vary_idx[v]] = (float)on;
        }
        for (int c = 0; c < cols; c++)
            memcpy(r->z + (size_t)(row * cols + c) * Z, cz + (size_t)c * Z, sizeof(float) * Z);
        r->row_labels[row] = cap;
    }
    free(cz);
    return 0;
}

/* --interpolate: each row walks from one fresh z to another. */
static int draw_interpolate(const gan_model *m, gan_rng *rng, const sample_opts *o,
                            sample_run *r, char *err, size_t errlen)
{
    int Z = m->hyper.latent_size, cols = r->cols;
    float *ab = malloc(sizeof(float) * 2 * Z);
    if (!ab)
        return cli_out_of_memory(err, errlen);
    for (int row = 0; row < r->rows; row++) {
        draw_z(m, rng, r->psi, ab, 2);
        for (int c = 0; c < cols; c++)
            slerp(ab, ab + Z, (float)c / (float)(cols - 1), r->z + (size_t)(row * cols + c) * Z,
                  Z);
    }
    free(ab);
    caption_rows(r, o->attr);
    return 0;
}

/* --attrs-from: the labels of the file's first n rows, matched by name; each row's caption
 * names its first file. */
static int labels_from_file(const gan_hyper *h, const sample_opts *o, sample_run *r, char *err,
                            size_t errlen)
{
    int L = h->n_labels, n = r->n;
    gan_attr_table *at = &r->at;
    if (gan_attr_table_read(o->attrs_from, at, err, errlen))
        return 1;
    if (at->n_rows < (size_t)n) {
        snprintf(err, errlen, "%s: has %zu attribute rows, -n asks for %d", o->attrs_from,
                 at->n_rows, n);
        return 1;
    }
    for (int k = 0; k < L; k++) {
        int c = gan_attr_find(at, h->label_names[k]);
        if (c < 0) {
            snprintf(err, errlen, "%s: has no attribute %s (a label of the model)", o->attrs_from,
                     h->label_names[k]);
            return 1;
        }
        for (int i = 0; i < n; i++)
            r->lab[(size_t)i * L + k] = at->values[(size_t)i * at->n_attrs + c] > 0 ? 1.0f : 0.0f;
    }
    for (int row = 0; row < r->rows; row++) {
        snprintf(r->lbuf[row], sizeof r->lbuf[row], "%s..", at->files[row * r->cols]);
        r->row_labels[row] = r->lbuf[row];
    }
    return 0;
}

/* Neither --vary nor --interpolate: n fresh z's. */
static int draw_plain(const gan_model *m, gan_rng *rng, const sample_opts *o, sample_run *r,
                      char *err, size_t errlen)
{
    draw_z(m, rng, r->psi, r->z, r->n);
    if (o->attrs_from)
        return labels_from_file(&m->hyper, o, r, err, errlen);
    caption_rows(r, o->attr);
    return 0;
}

/* --rest-from: the attributes not given are copied from one row of the file drawn at random, so
 * they come in combinations real faces have (a beard only on a man: drawing each attribute
 * alone with its frequency made bearded women, which a generator never saw). Under --vary all
 * rows of a column share that row, and under --interpolate all images of a walk, so the
 * varied attributes (or z) are the only thing that changes along them. */
static int draw_rest(const gan_hyper *h, const sample_opts *o, sample_run *r, char *err,
                     size_t errlen)
{
    int L = h->n_labels;
    gan_attr_table *at = &r->at;
    if (gan_attr_table_read(o->rest_from, at, err, errlen))
        return 1;
    if (at->n_rows == 0) {
        snprintf(err, errlen, "%s: has no attribute rows", o->rest_from);
        return 1;
    }
    int *col = malloc(sizeof(int) * (size_t)L);
    if (!col)
        return cli_out_of_memory(err, errlen);
    for (int k = 0; k < L; k++) {
        col[k] = r->set[k] ? -1 : gan_attr_find(at, h->label_names[k]);
        if (!r->set[k] && col[k] < 0) {
            snprintf(err, errlen, "%s: has no attribute %s (a label of the model)", o->rest_from,
                     h->label_names[k]);
            free(col);
            return 1;
        }
    }
    gan_rng fr;
    gan_rng_seed(&fr, gan_mix64(o->seed ^ 0x52455354ull)); /* "REST" */
    int groups = o->vary ? r->cols : o->interpolate ? r->rows : r->n;
    for (int g = 0; g < groups; g++) {
        size_t src = (size_t)(gan_rng_uniform(&fr) * (double)at->n_rows);
        if (src >= at->n_rows)
            src = at->n_rows - 1;
        const signed char *v = at->values + src * (size_t)at->n_attrs;
        for (int i = 0; i < r->n; i++) {
            int gi = o->vary ? i % r->cols : o->interpolate ? i / r->cols : i;
            if (gi != g)
                continue;
            for (int k = 0; k < L; k++)
                if (col[k] >= 0)
                    r->lab[(size_t)i * L + k] = v[col[k]] > 0 ? 1.0f : 0.0f;
        }
    }
    free(col);
    return 0;
}

/* The attributes of a multilabel model that nothing gave (without --attrs-from): drawn by
 * --rest-from, else 0; a note says which. */
static int rest_attrs(const gan_hyper *h, const sample_opts *o, sample_run *r, char *err,
                      size_t errlen)
{
    int L = h->n_labels;
    if (L <= 0 || h->label_kind != GAN_LABELS_MULTI || o->attrs_from)
        return 0;
    int unset = 0;
    for (int k = 0; k < L; k++)
        unset += !r->set[k];
    if (unset && o->rest_from) {
        if (draw_rest(h, o, r, err, errlen))
            return 1;
        fprintf(stderr, "ganrt sample: note: %d attribute%s not given are taken from "
                "random rows of %s\n", unset, unset == 1 ? "" : "s", o->rest_from);
    } else if (unset) {
        fprintf(stderr, "ganrt sample: note: %d attribute%s not given are 0 (absent); "
                "--rest-from DATA/list_attr_celeba.txt takes them from real faces\n", unset,
                unset == 1 ? "" : "s");
    }
    return 0;
}

/* --standing B: the label rows of the --rest-from / --attrs-from file, in the model's order. */
static int standing(const gan_model *m, const sample_opts *o, const sample_run *r,
                    gan_session *s, char *err, size_t errlen)
{
    const gan_hyper *h = &m->hyper;
    int L = h->n_labels;
    if (o->standing <= 0)
        return 0;
    if (h->label_kind != GAN_LABELS_MULTI || L == 0)
        return cli_standing_stats(s, m, o->standing, o->seed, NULL, 0, !o->no_ema, err, errlen);
    const gan_attr_table *at = &r->at;
    const char *file = o->rest_from ? o->rest_from : o->attrs_from;
    if (!file || at->n_rows == 0) {
        snprintf(err, errlen, "--standing measures with real faces' attributes: give "
                 "--rest-from DATA/list_attr_celeba.txt (or --attrs-from)");
        return 1;
    }
    float *rows = malloc(sizeof(float) * at->n_rows * (size_t)L);
    if (!rows)
        return cli_out_of_memory(err, errlen);
    int rc = 0;
    for (int k = 0; k < L && !rc; k++) {
        int c = gan_attr_find(at, h->label_names[k]);
        if (c < 0) {
            snprintf(err, errlen, "%s: has no attribute %s (a label of the model; --standing "
                     "needs all of them)", file, h->label_names[k]);
            rc = 1;
        }
        for (size_t i = 0; !rc && i < at->n_rows; i++)
            rows[i * L + k] = at->values[i * (size_t)at->n_attrs + c] > 0 ? 1.0f : 0.0f;
    }
    if (!rc)
        rc = cli_standing_stats(s, m, o->standing, o->seed, rows, at->n_rows, !o->no_ema, err,
                                errlen);
    free(rows);
    return rc;
}

/* The images, by the checkpoint's generator (its EMA unless --no-ema). */
static int generate(gan_model *m, const sample_opts *o, sample_run *r, char *ckpath,
                    size_t cklen, gan_ckpt_info *info, char *err, size_t errlen)
{
    gan_session_opts so = {(int)(o->threads > 0 ? o->threads : cli_cpu_count()), o->seed};
    gan_session *s = gan_session_create(m, &so, err, errlen);
    if (!s)
        return 1;
    int bad = gan_ckpt_resolve(o->ckpt, ckpath, cklen, err, errlen) ||
              gan_ckpt_load(ckpath, m, gan_session_base(s), info, err, errlen) ||
              standing(m, o, r, s, err, errlen) ||
              gan_session_sample(s, r->n, r->z, m->hyper.n_labels > 0 ? r->lab : NULL, r->img,
                                 !o->no_ema, err, errlen);
    gan_session_free(s);
    return bad;
}

/* -o's grid (row captions only when some row has one) and --out-dir's files. */
static int write_outputs(const gan_hyper *h, const sample_opts *o, const sample_run *r,
                         char *err, size_t errlen)
{
    if (o->out) {
        int any = 0;
        for (int row = 0; row < r->rows; row++)
            any |= r->row_labels[row][0] != 0;
        if (gan_write_grid_png(o->out, r->img, r->n, h->image_c, h->image_h, h->image_w,
                               h->range_lo, h->range_hi, r->cols, any ? r->row_labels : NULL, err,
                               errlen))
            return 1;
    }
    if (o->out_dir && write_out_dir(o->out_dir, h, r->img, h->n_labels > 0 ? r->lab : NULL, r->n,
                                    err, errlen))
        return 1;
    return 0;
}

/* Everything after the model loaded: 0 done, 1 failure (err says why), 2 usage error (already
 * printed). */
static int sample_images(gan_model *m, gan_args *a, const sample_opts *o, sample_run *r,
                         char *err, size_t errlen)
{
    const gan_hyper *h = &m->hyper;
    if (gan_model_find_role(m, GAN_PROG_SAMPLE) < 0 || h->latent_size <= 0) {
        snprintf(err, errlen, "%s: the model has no generator \"sample\" program", o->model);
        return 1;
    }
    r->base_lab = calloc((size_t)h->n_labels + 1, sizeof *r->base_lab);
    r->set = calloc((size_t)h->n_labels + 1, 1);
    if (!r->base_lab || !r->set)
        return cli_out_of_memory(err, errlen);
    int rc = read_given(a, h, o, r);
    if (rc)
        return rc;
    if (lay_out(h, o, r))
        return cli_out_of_memory(err, errlen);
    default_labels(h, o, r);
    gan_rng rng;
    gan_rng_seed(&rng, gan_mix64(o->seed ^ 0x5A53414D504Cull)); /* the z stream of this seed */
    r->psi = (float)o->truncation;
    if (o->vary)
        rc = draw_vary(m, &rng, r, err, errlen);
    else if (o->interpolate)
        rc = draw_interpolate(m, &rng, o, r, err, errlen);
    else
        rc = draw_plain(m, &rng, o, r, err, errlen);
    if (rc || rest_attrs(h, o, r, err, errlen))
        return 1;
    char ckpath[4400];
    gan_ckpt_info info;
    if (generate(m, o, r, ckpath, sizeof ckpath, &info, err, errlen) ||
        write_outputs(h, o, r, err, errlen))
        return 1;
    fprintf(stderr, "ganrt sample: %d images from %s (step %llu%s)%s%s%s%s\n", r->n, ckpath,
            (unsigned long long)info.step, o->no_ema ? ", raw weights" : "", o->out ? " -> " : "",
            o->out ? o->out : "", o->out_dir ? " and " : "", o->out_dir ? o->out_dir : "");
    return 0;
}

int ganrt_sample_main(int argc, char **argv)
{
    sample_opts o;
    gan_args a;
    int help = 0;
    int rc = parse(argc, argv, &o, &help, &a);
    if (rc)
        return rc;
    if (help) {
        fputs(sample_help, stdout);
        return 0;
    }
    cli_precision_note("ganrt sample");
    char err[1024] = "";
    gan_model *m = gan_model_load(o.model, err, sizeof err);
    sample_run r;
    memset(&r, 0, sizeof r);
    rc = m ? sample_images(m, &a, &o, &r, err, sizeof err) : 1;
    if (rc == 1)
        fprintf(stderr, "ganrt sample: %s\n", err);
    run_free(&r);
    gan_model_free(m);
    return rc;
}
