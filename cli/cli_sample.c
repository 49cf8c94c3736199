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
    "  -o OUT.png          write one grid image\n"
    "  --attr A=1,B=0      attribute values (names as in the model's labels). Attributes not\n"
    "                      given are 0 (absent; see --rest-from); for a categorical model the\n"
    "                      class cycles\n"
    "  -n N                number of images (default 16)\n"
    "  --seed S            seed of the z draws (default 1)\n"
    "  --cols C            grid columns (default: about sqrt(N); 8 with --vary/--interpolate)\n"
    "  --vary A[,B..]      one row per combination of the listed attributes (2^k rows, each\n"
    "                      row labelled), the same C z's across every row\n"
    "  --interpolate       each row walks (slerp) from one z to another in C steps\n"
    "                      (rows = ceil(N / C))\n"
    "  --attrs-from FILE   attribute rows from a CelebA list_attr_celeba.txt (first N rows,\n"
    "                      matched by attribute name)\n"
    "  --rest-from FILE    attributes not given by --attr/--vary are drawn per image with\n"
    "                      their frequency in FILE (a list_attr_celeba.txt) instead of 0\n"
    "  --out-dir DIR       also write DIR/000001.png.. and DIR/list_attr_celeba.txt (CelebA\n"
    "                      layout: all 40 names; the model's attributes as used, others -1)\n"
    "  --no-ema            use the raw generator weights, not their EMA\n"
    "  --threads T         compute threads\n"
    "  --help              this text\n"
    "\n"
    "Exit status: 0 done, 1 failure (bad model or checkpoint), 2 usage error.\n";

typedef struct {
    const char *model, *ckpt, *out, *attr, *vary, *attrs_from, *out_dir, *rest_from;
    long long n, cols, threads;
    uint64_t seed;
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
        else if (!strcmp(op, "--seed")) r = gan_args_u64(a, &o->seed);
        else if (!strcmp(op, "--interpolate")) o->interpolate = 1;
        else if (!strcmp(op, "--no-ema")) o->no_ema = 1;
        else
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
    return 0;
}

/* Index of name among the model's labels, or a usage error with a did-you-mean. */
static int find_label(gan_args *a, const gan_hyper *h, const char *name, int *idx)
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
        gan_usage_error(a, "--attr %s: the model has no attribute labels", name);
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
        if (find_label(a, h, tok, &idx))
            return -1;
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
        if (h->label_kind == GAN_LABELS_CATEGORICAL && v == 1.0f)
            for (int i = 0; i < h->n_labels; i++)
                base[i] = 0.0f;
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
    char err[1024] = "";
    gan_model *m = gan_model_load(o.model, err, sizeof err);
    if (!m) {
        fprintf(stderr, "ganrt sample: %s\n", err);
        return 1;
    }
    const gan_hyper *h = &m->hyper;
    int L = h->n_labels, Z = h->latent_size;
    gan_session *s = NULL;
    float *z = NULL, *lab = NULL, *img = NULL, *base_lab = NULL;
    unsigned char *set = NULL;
    char (*lbuf)[128] = NULL;
    const char **row_labels = NULL;
    gan_attr_table at;
    memset(&at, 0, sizeof at);
    rc = 1;
    if (gan_model_find_role(m, GAN_PROG_SAMPLE) < 0 || Z <= 0) {
        snprintf(err, sizeof err, "%s: the model has no generator \"sample\" program", o.model);
        goto fail;
    }
    base_lab = calloc((size_t)L + 1, sizeof *base_lab);
    set = calloc((size_t)L + 1, 1);
    if (!base_lab || !set)
        goto oom;
    if (o.attr && parse_attrs(&a, h, o.attr, base_lab, set)) {
        rc = 2;
        goto out;
    }
    /* the varied attributes */
    int vary_idx[16], n_vary = 0;
    if (o.vary) {
        char buf[2048];
        snprintf(buf, sizeof buf, "%s", o.vary);
        char *save = NULL;
        for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (n_vary == 6) {
                rc = gan_usage_error(&a, "--vary: at most 6 attributes (64 rows)");
                goto out;
            }
            if (find_label(&a, h, tok, &vary_idx[n_vary])) {
                rc = 2;
                goto out;
            }
            set[vary_idx[n_vary]] = 1; /* given, by the rows */
            n_vary++;
        }
        if (!n_vary) {
            rc = gan_usage_error(&a, "--vary needs attribute names");
            goto out;
        }
    }
    int rows, cols, n;
    if (o.vary) {
        cols = o.cols > 0 ? (int)o.cols : 8;
        rows = 1 << n_vary;
    } else if (o.interpolate) {
        cols = o.cols > 0 ? (int)o.cols : 8;
        if (cols < 2)
            cols = 2;
        rows = (int)((o.n + cols - 1) / cols);
    } else {
        n = (int)o.n;
        cols = o.cols > 0 ? (int)o.cols : (int)ceil(sqrt((double)n));
        rows = (n + cols - 1) / cols;
    }
    n = (o.vary || o.interpolate) ? rows * cols : (int)o.n;
    z = calloc((size_t)n * Z, sizeof *z);
    lab = calloc((size_t)n * (L > 0 ? L : 1), sizeof *lab);
    img = malloc(sizeof(float) * (size_t)n * h->image_c * h->image_h * h->image_w);
    lbuf = calloc((size_t)rows, sizeof *lbuf);
    row_labels = calloc((size_t)rows, sizeof *row_labels);
    if (!z || !lab || !img || !lbuf || !row_labels)
        goto oom;
    gan_rng r;
    gan_rng_seed(&r, gan_mix64(o.seed ^ 0x5A53414D504Cull)); /* the z stream of this seed */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < L; k++)
            lab[(size_t)i * L + k] = base_lab[k];
    if (h->label_kind == GAN_LABELS_CATEGORICAL && L > 0 && !o.attr)
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < L; k++)
                lab[(size_t)i * L + k] = 0;
            lab[(size_t)i * L + i % L] = 1;
        }
    if (o.vary) {
        float *cz = malloc(sizeof(float) * (size_t)cols * Z);
        if (!cz)
            goto oom;
        gan_draw_latent(m, &r, cz, cols);
        for (int row = 0; row < rows; row++) {
            size_t k = 0;
            for (int v = 0; v < n_vary; v++) {
                int on = (row >> (n_vary - 1 - v)) & 1;
                k += (size_t)snprintf(lbuf[row] + k, k < sizeof lbuf[row] ? sizeof lbuf[row] - k : 0,
                                      "%s%s=%d", v ? " " : "", h->label_names[vary_idx[v]], on);
                for (int c = 0; c < cols; c++)
                    lab[(size_t)(row * cols + c) * L + vary_idx[v]] = (float)on;
            }
            for (int c = 0; c < cols; c++)
                memcpy(z + (size_t)(row * cols + c) * Z, cz + (size_t)c * Z, sizeof(float) * Z);
            row_labels[row] = lbuf[row];
        }
        free(cz);
    } else if (o.interpolate) {
        float *ab = malloc(sizeof(float) * 2 * Z);
        if (!ab)
            goto oom;
        for (int row = 0; row < rows; row++) {
            gan_draw_latent(m, &r, ab, 2);
            for (int c = 0; c < cols; c++)
                slerp(ab, ab + Z, (float)c / (float)(cols - 1), z + (size_t)(row * cols + c) * Z, Z);
            snprintf(lbuf[row], sizeof lbuf[row], "%s", o.attr ? o.attr : "");
            row_labels[row] = lbuf[row];
        }
        free(ab);
    } else {
        gan_draw_latent(m, &r, z, n);
        if (o.attrs_from) {
            if (gan_attr_table_read(o.attrs_from, &at, err, sizeof err))
                goto fail;
            if (at.n_rows < (size_t)n) {
                snprintf(err, sizeof err, "%s: has %zu attribute rows, -n asks for %d",
                         o.attrs_from, at.n_rows, n);
                goto fail;
            }
            for (int k = 0; k < L; k++) {
                int c = gan_attr_find(&at, h->label_names[k]);
                if (c < 0) {
                    snprintf(err, sizeof err, "%s: has no attribute %s (a label of the model)",
                             o.attrs_from, h->label_names[k]);
                    goto fail;
                }
                for (int i = 0; i < n; i++)
                    lab[(size_t)i * L + k] = at.values[(size_t)i * at.n_attrs + c] > 0 ? 1.0f : 0.0f;
            }
            for (int row = 0; row < rows; row++) {
                snprintf(lbuf[row], sizeof lbuf[row], "%s..", at.files[row * cols]);
                row_labels[row] = lbuf[row];
            }
        } else {
            for (int row = 0; row < rows; row++) {
                snprintf(lbuf[row], sizeof lbuf[row], "%s", o.attr ? o.attr : "");
                row_labels[row] = lbuf[row];
            }
        }
    }
    if (L > 0 && h->label_kind == GAN_LABELS_MULTI && !o.attrs_from) {
        int unset = 0;
        for (int k = 0; k < L; k++)
            unset += !set[k];
        if (unset && o.rest_from) {
            /* each unset attribute: 1 with its frequency in the file, per image */
            if (gan_attr_table_read(o.rest_from, &at, err, sizeof err))
                goto fail;
            gan_rng fr;
            gan_rng_seed(&fr, gan_mix64(o.seed ^ 0x52455354ull)); /* "REST" */
            for (int k = 0; k < L; k++) {
                if (set[k])
                    continue;
                int c = gan_attr_find(&at, h->label_names[k]);
                if (c < 0 || at.n_rows == 0) {
                    snprintf(err, sizeof err, "%s: has no attribute %s (a label of the model)",
                             o.rest_from, h->label_names[k]);
                    goto fail;
                }
                size_t pos = 0;
                for (size_t i = 0; i < at.n_rows; i++)
                    pos += at.values[i * (size_t)at.n_attrs + c] > 0;
                double p = (double)pos / (double)at.n_rows;
                for (int i = 0; i < n; i++)
                    lab[(size_t)i * L + k] = gan_rng_uniform(&fr) < p ? 1.0f : 0.0f;
            }
            fprintf(stderr, "ganrt sample: note: %d attribute%s not given are drawn with their "
                    "frequency in %s\n", unset, unset == 1 ? "" : "s", o.rest_from);
        } else if (unset) {
            fprintf(stderr, "ganrt sample: note: %d attribute%s not given are 0 (absent)\n", unset,
                    unset == 1 ? "" : "s");
        }
    }
    gan_session_opts so = {(int)(o.threads > 0 ? o.threads : 1), o.seed};
    if (o.threads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        so.threads = c > 0 && c < 1024 ? (int)c : 1;
    }
    s = gan_session_create(m, &so, err, sizeof err);
    if (!s)
        goto fail;
    char ckpath[4400];
    if (gan_ckpt_resolve(o.ckpt, ckpath, sizeof ckpath, err, sizeof err))
        goto fail;
    gan_ckpt_info info;
    if (gan_ckpt_load(ckpath, m, gan_session_base(s), &info, err, sizeof err))
        goto fail;
    if (gan_session_sample(s, n, z, L > 0 ? lab : NULL, img, !o.no_ema, err, sizeof err))
        goto fail;
    if (o.out) {
        int any = 0;
        for (int row = 0; row < rows; row++)
            any |= row_labels[row][0] != 0;
        if (gan_write_grid_png(o.out, img, n, h->image_c, h->image_h, h->image_w, h->range_lo,
                               h->range_hi, cols, any ? row_labels : NULL, err, sizeof err))
            goto fail;
    }
    if (o.out_dir && write_out_dir(o.out_dir, h, img, L > 0 ? lab : NULL, n, err, sizeof err))
        goto fail;
    fprintf(stderr, "ganrt sample: %d images from %s (step %llu%s)%s%s%s%s\n", n, ckpath,
            (unsigned long long)info.step, o.no_ema ? ", raw weights" : "",
            o.out ? " -> " : "", o.out ? o.out : "", o.out_dir ? " and " : "",
            o.out_dir ? o.out_dir : "");
    rc = 0;
    goto out;
oom:
    snprintf(err, sizeof err, "out of memory");
fail:
    fprintf(stderr, "ganrt sample: %s\n", err);
    rc = 1;
out:
    gan_attr_table_free(&at);
    gan_session_free(s);
    free(z);
    free(lab);
    free(img);
    free(base_lab);
    free(set);
    free(lbuf);
    free(row_labels);
    gan_model_free(m);
    return rc;
}
