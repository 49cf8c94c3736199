/* ganrt eval: the held-out real faces. Which faces are held out (the split), what the
 * classifier makes of them (its ceiling: accuracy against the true labels), and the
 * Gaussian of their features that generated faces are compared with. The real statistics
 * depend only on the classifier's weights, the data and the split, so they are computed once
 * and cached in the classifier's run directory under a hash of all three. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli/cli.h"
#include "cli/cli_eval.h"
#include "common/bytes.h"
#include "common/err.h"
#include "runtime/train.h"

#define CACHE_MAGIC "GANEVRS1"
#define REAL_MAX_DIVERSITY_ROWS 1000

/* The run directory a --classifier-ckpt names: the directory itself, or RUN for a file
 * RUN/ckpt/step_N.ckpt (else the file's own directory). */
static void run_dir_of(const char *arg, char *out, size_t len)
{
    struct stat st;
    snprintf(out, len, "%s", arg);
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        return;
    char *slash = strrchr(out, '/');
    if (!slash) {
        snprintf(out, len, ".");
        return;
    }
    *slash = 0;
    size_t l = strlen(out);
    if (l == 4 && !strcmp(out, "ckpt"))
        snprintf(out, len, ".");
    else if (l > 4 && !strcmp(out + l - 5, "/ckpt"))
        out[l - 5] = 0;
}

int eval_resolve_split(eval_ctx *e, char *err, size_t errlen)
{
    if (e->o.holdout_given) {
        e->holdout = e->o.holdout;
        return 0;
    }
    char run[4400], sp[4500];
    run_dir_of(e->o.clf_ckpt, run, sizeof run);
    snprintf(sp, sizeof sp, "%s/split.txt", run);
    struct stat st;
    if (stat(sp, &st) == 0) {
        if (gan_split_read(sp, &e->holdout, err, errlen))
            return -1;
        fprintf(stderr, "ganrt eval: the held-out part of %s as the classifier's run held it "
                "out (%s)\n", e->o.real, sp);
        return 0;
    }
    e->holdout = 0; /* the partition file, when the data has one */
    return 0;
}

void eval_note_gen_split(const eval_ctx *e)
{
    char run[4400], sp[4500], e2[512];
    run_dir_of(e->o.ckpt, run, sizeof run);
    snprintf(sp, sizeof sp, "%s/split.txt", run);
    long long h;
    struct stat st;
    if (stat(sp, &st) != 0)
        return; /* a checkpoint outside a run directory: nothing to compare */
    if (gan_split_read(sp, &h, e2, sizeof e2) || h != e->holdout)
        fprintf(stderr, "ganrt eval: note: the generator's run (%s) did not hold out the same "
                "faces; its training may have seen some of the real faces it is compared "
                "with\n", sp);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001B3ull;
    return h;
}

static uint64_t fnv_file(uint64_t h, const char *path)
{
    uint8_t *buf;
    size_t len;
    char e2[256];
    if (gan_read_file(path, &buf, &len, SIZE_MAX, e2, sizeof e2))
        return fnv(h, path, strlen(path));
    h = fnv(h, buf, len);
    free(buf);
    return h;
}

/* Everything the real statistics depend on. */
static uint64_t cache_key(const eval_ctx *e)
{
    uint64_t h = 0xCBF29CE484222325ull;
    h = fnv(h, CACHE_MAGIC, 8);
    h = fnv_file(h, e->clf_ckpt_path);
    const char *fname = gan_classifier_feature_name(e->clf);
    h = fnv(h, fname, strlen(fname));
    char rp[PATH_MAX], ap[4400];
    const char *real = realpath(e->o.real, rp) ? rp : e->o.real;
    h = fnv(h, real, strlen(real));
    snprintf(ap, sizeof ap, "%s/list_attr_celeba.txt", e->o.real);
    h = fnv_file(h, ap);
    snprintf(ap, sizeof ap, "%s/list_eval_partition.txt", e->o.real);
    h = fnv_file(h, ap);
    long long v[4] = {e->holdout, e->o.n_real, e->src_h, e->src_w};
    return fnv(h, v, sizeof v);
}

static int cache_read(eval_ctx *e, uint64_t key)
{
    eval_real *r = &e->real;
    uint8_t *buf;
    size_t len;
    char e2[256];
    if (gan_read_file(r->cache_path, &buf, &len, (size_t)1 << 30, e2, sizeof e2))
        return -1;
    gan_rbuf rb = gan_rbuf_make(buf, len);
    const uint8_t *mg = gan_get_bytes(&rb, 8);
    int ok = mg && !memcmp(mg, CACHE_MAGIC, 8) && gan_get_u64(&rb) == key &&
             (int)gan_get_i32(&rb) == r->n_labels;
    for (int k = 0; ok && k < r->n_labels; k++) {
        r->conf[k].tp = (long long)gan_get_u64(&rb);
        r->conf[k].tn = (long long)gan_get_u64(&rb);
        r->conf[k].fp = (long long)gan_get_u64(&rb);
        r->conf[k].fn = (long long)gan_get_u64(&rb);
    }
    r->n_images = ok ? (long long)gan_get_u64(&rb) : 0;
    r->diversity = ok ? gan_get_f64(&rb) : 0;
    int d = ok ? gan_get_i32(&rb) : 0;
    ok = ok && d == gan_classifier_feature_dim(e->clf) &&
         gan_rbuf_left(&rb) == 8 + 8 * (size_t)d * (d + 1);
    if (ok) {
        r->g.d = d;
        r->g.n = (long long)gan_get_u64(&rb);
        r->g.mean = malloc(sizeof(double) * (size_t)d);
        r->g.cov = malloc(sizeof(double) * (size_t)d * d);
        ok = r->g.mean && r->g.cov;
        for (size_t i = 0; ok && i < (size_t)d; i++)
            r->g.mean[i] = gan_get_f64(&rb);
        for (size_t i = 0; ok && i < (size_t)d * d; i++)
            r->g.cov[i] = gan_get_f64(&rb);
        ok = ok && !rb.failed;
    }
    free(buf);
    if (!ok)
        gan_gauss_free(&r->g);
    return ok ? 0 : -1;
}

static int cache_write(const eval_ctx *e, uint64_t key, char *err, size_t errlen)
{
    const eval_real *r = &e->real;
    gan_wbuf w = {0};
    gan_put_bytes(&w, CACHE_MAGIC, 8);
    gan_put_u64(&w, key);
    gan_put_i32(&w, r->n_labels);
    for (int k = 0; k < r->n_labels; k++) {
        gan_put_u64(&w, (uint64_t)r->conf[k].tp);
        gan_put_u64(&w, (uint64_t)r->conf[k].tn);
        gan_put_u64(&w, (uint64_t)r->conf[k].fp);
        gan_put_u64(&w, (uint64_t)r->conf[k].fn);
    }
    gan_put_u64(&w, (uint64_t)r->n_images);
    gan_put_f64(&w, r->diversity);
    gan_put_i32(&w, r->g.d);
    gan_put_u64(&w, (uint64_t)r->g.n);
    for (size_t i = 0; i < (size_t)r->g.d; i++)
        gan_put_f64(&w, r->g.mean[i]);
    for (size_t i = 0; i < (size_t)r->g.d * r->g.d; i++)
        gan_put_f64(&w, r->g.cov[i]);
    if (w.failed) {
        gan_wbuf_free(&w);
        return cli_out_of_memory(err, errlen);
    }
    int rc = gan_write_file_atomic(r->cache_path, w.data, w.len, err, errlen);
    gan_wbuf_free(&w);
    return rc;
}

/* Reads the held-out faces at the classifier's size and range (at the generator's size,
 * resampled as its faces are, when the two differ), classifies them and fits the Gaussian of
 * their features. */
static int compute_real(eval_ctx *e, char *err, size_t errlen)
{
    const gan_hyper *h = &e->cm->hyper;
    eval_real *r = &e->real;
    int ih = e->src_h ? e->src_h : h->image_h, iw = e->src_h ? e->src_w : h->image_w;
    gan_loader_opts lo = {.dir = e->o.real, .c = h->image_c, .h = ih, .w = iw,
                          .lo = h->range_lo, .hi = h->range_hi, .label_kind = h->label_kind,
                          .n_labels = h->n_labels,
                          .label_names = (const char(*)[64])h->label_names, .batch = h->batch,
                          .seed = 1, .split = GAN_SPLIT_HELDOUT, .holdout = e->holdout};
    gan_loader *l = gan_loader_open(&lo, err, errlen);
    if (!l)
        return -1;
    gan_loader_split_info(l, &e->split);
    size_t n = gan_loader_size(l);
    if (e->o.n_real > 0 && (size_t)e->o.n_real < n)
        n = (size_t)e->o.n_real;
    size_t per = (size_t)h->image_c * ih * iw, nb = (n + h->batch - 1) / h->batch;
    int L = h->n_labels, F = gan_classifier_feature_dim(e->clf);
    float *img = malloc(sizeof(float) * per * nb * h->batch);
    float *lab = malloc(sizeof(float) * (size_t)L * nb * h->batch);
    float *lg = malloc(sizeof(float) * (size_t)L * n), *ft = malloc(sizeof(float) * (size_t)F * n);
    int rc = !img || !lab || !lg || !ft ? cli_out_of_memory(err, errlen) : 0;
    /* the first epoch of the loader's order: n distinct faces (a batch may run into the
       next epoch; only the first n are used) */
    for (size_t b = 0; !rc && b < nb; b++)
        rc = gan_loader_next(l, img + b * h->batch * per, lab + b * h->batch * (size_t)L, err,
                             errlen);
    gan_loader_close(l);
    if (!rc)
        rc = eval_classify(e, (int)n, img, h->range_lo, h->range_hi, lg, ft, err, errlen);
    for (int k = 0; !rc && k < L; k++)
        gan_confusion_add(&r->conf[k], lg, L, k, lab + k, L, (int)n);
    if (!rc) {
        r->n_images = (long long)n;
        r->diversity = gan_mean_pairwise_distance(ft, n, F, REAL_MAX_DIVERSITY_ROWS);
        rc = gan_gauss_fit(ft, n, F, &r->g, err, errlen);
    }
    free(img);
    free(lab);
    free(lg);
    free(ft);
    return rc;
}

static int split_counts(eval_ctx *e, char *err, size_t errlen)
{
    gan_dataset ds;
    if (gan_dataset_open(e->o.real, e->cm->hyper.label_kind, &ds, err, errlen))
        return -1;
    const gan_attr_table *t = &ds.t;
    unsigned char *held = malloc(t->n_rows + 1);
    int rc = held ? gan_split_mark(e->o.real, (const char(*)[GAN_FILE_MAX])t->files, t->n_rows,
                                   e->holdout, held, &e->split, err, errlen)
                  : cli_out_of_memory(err, errlen);
    free(held);
    gan_dataset_free(&ds);
    return rc;
}

int eval_real_stats(eval_ctx *e, char *err, size_t errlen)
{
    eval_real *r = &e->real;
    r->n_labels = e->cm->hyper.n_labels;
    r->conf = calloc((size_t)r->n_labels, sizeof *r->conf);
    if (!r->conf)
        return cli_out_of_memory(err, errlen);
    uint64_t key = cache_key(e);
    char run[4000];
    run_dir_of(e->o.clf_ckpt, run, sizeof run);
    if (!e->o.no_cache)
        snprintf(r->cache_path, sizeof r->cache_path, "%s/eval_cache/real_%016llx.bin", run,
                 (unsigned long long)key);
    if (!e->o.no_cache && cache_read(e, key) == 0) {
        r->from_cache = 1;
        return split_counts(e, err, errlen); /* for the report, without decoding an image */
    }
    if (compute_real(e, err, errlen))
        return -1;
    if (!e->o.no_cache) {
        char dir[4500];
        snprintf(dir, sizeof dir, "%s/eval_cache", run);
        char e2[1024];
        if (gan_mkdirs(dir, e2, sizeof e2) || cache_write(e, key, e2, sizeof e2)) {
            fprintf(stderr, "ganrt eval: warning: real statistics not cached: %s\n", e2);
            r->cache_path[0] = 0;
        }
    }
    return 0;
}

void eval_real_free(eval_real *r)
{
    free(r->conf);
    gan_gauss_free(&r->g);
}

int eval_heldout_label_rows(const eval_ctx *e, float **rows, size_t *n_rows, char *err,
                            size_t errlen)
{
    const gan_hyper *h = &e->gm->hyper;
    int L = h->n_labels;
    gan_dataset ds;
    if (gan_dataset_open(e->o.real, h->label_kind, &ds, err, errlen))
        return -1;
    const char *ap = ds.source;
    gan_attr_table t = ds.t;
    unsigned char *held = malloc(t.n_rows + 1);
    int *col = calloc((size_t)L + 1, sizeof *col);
    *rows = malloc(sizeof(float) * (t.n_rows + 1) * (size_t)(L > 0 ? L : 1));
    *n_rows = 0;
    gan_split_info si;
    int rc = !held || !col || !*rows ? cli_out_of_memory(err, errlen)
             : gan_split_mark(e->o.real, (const char(*)[GAN_FILE_MAX])t.files, t.n_rows,
                              e->holdout, held,
                              &si, err, errlen);
    for (int k = 0; !rc && k < L; k++)
        if ((col[k] = gan_attr_find(&t, h->label_names[k])) < 0)
            rc = gan_errf(err, errlen, "%s: no attribute '%s' (a label of the generator %s)", ap,
                          h->label_names[k], e->o.model);
    for (size_t i = 0; !rc && i < t.n_rows; i++) {
        if (!held[i])
            continue;
        const signed char *v = t.values + i * (size_t)t.n_attrs;
        float *dst = *rows + *n_rows * (size_t)L;
        int cls = -1;
        for (int k = 0; k < L; k++) {
            dst[k] = v[col[k]] > 0 && (h->label_kind != GAN_LABELS_CATEGORICAL || cls < 0);
            if (dst[k] > 0)
                cls = k;
        }
        if (h->label_kind != GAN_LABELS_CATEGORICAL || cls >= 0)
            (*n_rows)++;
    }
    if (!rc && *n_rows == 0)
        rc = gan_errf(err, errlen, "%s: no held-out rows to draw the attributes from (give "
                      "--holdout N)", ap);
    free(held);
    free(col);
    gan_dataset_free(&ds);
    if (rc) {
        free(*rows);
        *rows = NULL;
    }
    return rc;
}
