/* ganrt visualize: what a trained attribute classifier looks for -- for each attribute asked,
 * images that maximise its logit, found by gradient ascent on the input (runtime/eval.h,
 * docs/evaluation.md), as one PNG grid with a row per attribute. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "common/bytes.h"
#include "common/err.h"
#include "common/names.h"
#include "runtime/data.h"
#include "runtime/eval.h"
#include "runtime/train.h"
#include "runtime/train/args.h"

static const char vis_help[] =
    "Usage: ganrt visualize MODEL.bin --ckpt RUN|FILE -o OUT.png [options]\n"
    "\n"
    "For each attribute asked, N images that the model scores highest on it: gradient\n"
    "ascent on the input image from random starts, through the model's visualize program\n"
    "(the input gradient ganc compiles for an image classifier, and for a GAN whose\n"
    "discriminator reads the image alone and has an attribute head beside its first: that\n"
    "head, as in making_faces.gan). A row per attribute; the table gives the attribute's\n"
    "mean logit at the random starts and at the end.\n"
    "\n"
    "  --ckpt RUN|FILE    the model's checkpoint (a run directory: its newest)\n"
    "  -o OUT.png         the grid\n"
    "  --attr A[,B..]     attributes, one row each (default: the model's first 8 labels);\n"
    "                     -A maximises the attribute's absence (its negated logit)\n"
    "  -n N               images per attribute (default 8)\n"
    "  --steps S          ascent steps (default 200)\n"
    "  --lr L             step size as a share of the value range (default 0.01)\n"
    "  --jitter J         random shift of up to J pixels before each step (default: the\n"
    "                     image side / 16, at least 1: 4 at 64x64)\n"
    "  --blur B           blend weight of a 3x3 blur (default 0.5 x side / 64, at most 0.5;\n"
    "                     0: none) ...\n"
    "  --blur-every K     ... applied every K steps (default 1)\n"
    "  --seed S           random starts and jitter (default 1)\n"
    "  --json FILE        also write the figures as JSON\n"
    "  --threads T        compute threads\n"
    "  --help             this text\n"
    "\n"
    "Exit status: 0 done, 1 failure (model, checkpoint, output), 2 usage error.\n";

typedef struct {
    const char *model, *ckpt, *out, *attrs, *json;
    long long n, steps, jitter, blur_every, threads;
    double lr, blur;
    uint64_t seed;
} vis_opts;

static int parse(int argc, char **argv, vis_opts *o, int *help)
{
    gan_args a;
    gan_args_init(&a, "ganrt visualize", argc, argv);
    *o = (vis_opts){.n = 8, .steps = 200, .jitter = -1, .blur_every = 1, .lr = 0.01,
                    .blur = -1, .seed = 1}; /* -1: from the image size (run) */
    int k;
    while ((k = gan_args_next(&a))) {
        if (k == 2) {
            if (o->model)
                return gan_usage_error(&a, "unexpected argument '%s'", a.value);
            o->model = a.value;
            continue;
        }
        const char *op = a.opt;
        int r = 0;
        if (!strcmp(op, "--help") || !strcmp(op, "-h")) {
            *help = 1;
            return 0;
        } else if (!strcmp(op, "--ckpt")) r = gan_args_str(&a, &o->ckpt);
        else if (!strcmp(op, "-o") || !strcmp(op, "--out")) r = gan_args_str(&a, &o->out);
        else if (!strcmp(op, "--attr") || !strcmp(op, "--attrs")) r = gan_args_str(&a, &o->attrs);
        else if (!strcmp(op, "--json")) r = gan_args_str(&a, &o->json);
        else if (!strcmp(op, "-n")) r = gan_args_ll(&a, 1, 256, &o->n);
        else if (!strcmp(op, "--steps")) r = gan_args_ll(&a, 1, 100000, &o->steps);
        else if (!strcmp(op, "--jitter")) r = gan_args_ll(&a, 0, 64, &o->jitter);
        else if (!strcmp(op, "--blur-every")) r = gan_args_ll(&a, 1, 100000, &o->blur_every);
        else if (!strcmp(op, "--threads")) r = gan_args_ll(&a, 1, 1024, &o->threads);
        else if (!strcmp(op, "--lr")) r = gan_args_double(&a, 1e-6, 1.0, &o->lr);
        else if (!strcmp(op, "--blur")) r = gan_args_double(&a, 0.0, 1.0, &o->blur);
        else if (!strcmp(op, "--seed")) r = gan_args_u64(&a, &o->seed);
        else
            return gan_usage_error(&a, "unknown option %s", op);
        if (r)
            return 2;
    }
    if (!o->model)
        return gan_usage_error(&a, "missing CLF.bin (a compiled classifier)");
    if (!o->ckpt)
        return gan_usage_error(&a, "missing --ckpt RUN|FILE (the classifier's checkpoint)");
    if (!o->out)
        return gan_usage_error(&a, "missing -o OUT.png");
    return 0;
}

#define MAX_ROWS 16

typedef struct {
    int col[MAX_ROWS], sign[MAX_ROWS], n;
    char label[MAX_ROWS][80];
} vis_rows;

/* --attr into rows (a usage error names an unknown attribute, with a did-you-mean). */
static int pick_rows(const gan_hyper *h, const char *attrs, vis_rows *r)
{
    memset(r, 0, sizeof *r);
    if (!attrs) {
        for (int i = 0; i < h->n_labels && r->n < 8; i++, r->n++) {
            r->col[r->n] = i, r->sign[r->n] = 1;
            snprintf(r->label[r->n], sizeof r->label[0], "%s", h->label_names[i]);
        }
        return 0;
    }
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", attrs);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int neg = t[0] == '-', col = -1;
        const char *name = t + neg;
        for (int i = 0; i < h->n_labels; i++)
            if (!strcmp(h->label_names[i], name))
                col = i;
        if (col < 0) {
            const char *cands[256];
            int nc = 0;
            for (int i = 0; i < h->n_labels && nc < 256; i++)
                cands[nc++] = h->label_names[i];
            const char *best = gan_closest_name(name, cands, nc);
            fprintf(stderr, "ganrt visualize: --attr: '%s' is not a label of the classifier%s%s\n"
                    "Try 'ganrt visualize --help'.\n", name, best ? "; did you mean " : "",
                    best ? best : "");
            return 2;
        }
        if (r->n == MAX_ROWS) {
            fprintf(stderr, "ganrt visualize: --attr: at most %d attributes\n", MAX_ROWS);
            return 2;
        }
        r->col[r->n] = col, r->sign[r->n] = neg ? -1 : 1;
        snprintf(r->label[r->n], sizeof r->label[0], "%s%s", neg ? "not " : "", name);
        r->n++;
    }
    return 0;
}

static int write_json(const char *path, const vis_opts *o, const vis_rows *r,
                      const double *mb, const double *ma, char *err, size_t errlen)
{
    gan_wbuf w = {0};
    char line[512];
    snprintf(line, sizeof line, "{\n  \"checkpoint\": \"%s\", \"steps\": %lld, \"n\": %lld, "
             "\"seed\": %llu,\n  \"attributes\": [\n", o->ckpt, o->steps, o->n,
             (unsigned long long)o->seed);
    gan_put_bytes(&w, line, strlen(line));
    for (int i = 0; i < r->n; i++) {
        snprintf(line, sizeof line, "    {\"name\": \"%s\", \"logit_start\": %.6g, "
                 "\"logit_end\": %.6g}%s\n", r->label[i], mb[i], ma[i], i + 1 < r->n ? "," : "");
        gan_put_bytes(&w, line, strlen(line));
    }
    gan_put_bytes(&w, "  ]\n}\n", 6);
    int rc = w.failed ? gan_errf(err, errlen, "out of memory")
                      : gan_write_file_atomic(path, w.data, w.len, err, errlen);
    gan_wbuf_free(&w);
    return rc;
}

static int run(const vis_opts *o, const gan_model *m, const vis_rows *r, char *err,
               size_t errlen)
{
    const gan_hyper *h = &m->hyper;
    int n = r->n * (int)o->n, K = h->n_labels;
    size_t per = (size_t)h->image_c * h->image_h * h->image_w;
    float *dir = calloc((size_t)n * K, sizeof(float)), *img = malloc(sizeof(float) * per * n);
    float *before = malloc(sizeof(float) * n), *after = malloc(sizeof(float) * n);
    const char **labels = calloc((size_t)r->n, sizeof *labels);
    char ckpt[4400];
    int rc = !dir || !img || !before || !after || !labels ? cli_out_of_memory(err, errlen) : 0;
    if (!rc)
        rc = gan_ckpt_resolve(o->ckpt, ckpt, sizeof ckpt, err, errlen) ? 1 : 0;
    for (int i = 0; !rc && i < n; i++)
        dir[(size_t)i * K + r->col[i / o->n]] = (float)r->sign[i / o->n];
    /* a 3x3 blur and a few pixels of jitter are a larger share of a small image */
    int side = h->image_h < h->image_w ? h->image_h : h->image_w;
    long long jitter = o->jitter >= 0 ? o->jitter : side / 16 > 1 ? side / 16 : 1;
    double bl = o->blur >= 0 ? o->blur : 0.5 * (side < 64 ? side / 64.0 : 1.0);
    gan_vis_opts vo = {(int)o->steps, (float)o->lr, (int)jitter, (int)o->blur_every,
                       (float)bl, o->seed,
                       (int)(o->threads > 0 ? o->threads : cli_cpu_count())};
    if (!rc && gan_visualize(m, ckpt, &vo, n, dir, img, before, after, err, errlen))
        rc = 1;
    double mb[MAX_ROWS] = {0}, ma[MAX_ROWS] = {0};
    for (int i = 0; !rc && i < n; i++) {
        mb[i / o->n] += before[i] / (double)o->n;
        ma[i / o->n] += after[i] / (double)o->n;
    }
    for (int i = 0; !rc && i < r->n; i++)
        labels[i] = r->label[i];
    if (!rc && gan_write_grid_png(o->out, img, n, h->image_c, h->image_h, h->image_w,
                                  h->range_lo, h->range_hi, (int)o->n, labels, err, errlen))
        rc = 1;
    if (!rc) {
        printf("%s, %lld steps, %lld images per attribute -> %s\n", ckpt, o->steps, o->n, o->out);
        printf("%-24s %12s %12s\n", "attribute", "logit_start", "logit_end");
        for (int i = 0; i < r->n; i++)
            printf("%-24s %12.3f %12.3f\n", r->label[i], mb[i], ma[i]);
    }
    if (!rc && o->json && write_json(o->json, o, r, mb, ma, err, errlen))
        rc = 1;
    free(dir);
    free(img);
    free(before);
    free(after);
    free(labels);
    return rc;
}

int ganrt_visualize_main(int argc, char **argv)
{
    vis_opts o;
    int help = 0;
    int rc = parse(argc, argv, &o, &help);
    if (rc)
        return rc;
    if (help) {
        fputs(vis_help, stdout);
        return 0;
    }
    char err[1200] = "";
    gan_model *m = gan_model_load(o.model, err, sizeof err);
    if (m && (m->hyper.label_kind != GAN_LABELS_MULTI || m->hyper.n_labels < 1)) {
        snprintf(err, sizeof err, "%s: not a classifier with attribute labels", o.model);
        rc = 1;
    } else if (m) {
        vis_rows r;
        rc = pick_rows(&m->hyper, o.attrs, &r);
        if (!rc)
            rc = run(&o, m, &r, err, sizeof err);
    } else {
        rc = 1;
    }
    if (rc == 1)
        fprintf(stderr, "ganrt visualize: %s\n", err);
    gan_model_free(m);
    return rc;
}
