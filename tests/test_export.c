/* ganrt export: the protobuf writer's bytes; every shipped GAN and a trained demo model
 * exported and run in ONNX Runtime (tests/export_check.sh: npm's onnxruntime-node under
 * Debian's nodejs), whose image must match ganrt's own sample program on the same z and labels
 * within 1e-4, and checked by python3-onnx's checker; bad input (no checkpoint, a classifier,
 * an op without a translation, an unwritable path) is a clear error with no file left behind.
 * ONNX Runtime and the checker are test-time tools: where they cannot be had the test says so
 * and skips that part. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/export_onnx.h"
#include "cli/onnx_pb.h"
#include "compiler/backend.h"
#include "runtime/exec.h"
#include "runtime/train.h"
#include "tests/util/md_fixtures.h"
#include "tests/util/train_util.h"

#define TOL "1e-4"
#define MAX_CASES 16

static const char *tool(const char *env, const char *fallback)
{
    const char *g = getenv(env);
    if (g && *g)
        return g;
    return access(fallback, X_OK) == 0 ? fallback : NULL;
}

/* Runs argv (NULL-terminated); the exit status, output in out. */
static int run(char *const *argv, char *out, size_t len)
{
    int rc = train_spawn(argv, out, len);
    return rc;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void write_floats(const char *path, const float *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s", path);
    ck_assert(fwrite(x, sizeof *x, n, f) == n);
    ck_assert(fclose(f) == 0);
}

/* ---------------------------------------------------------------- the writer */

START_TEST(protobuf_bytes)
{
    gan_wbuf w = {0};
    pb_varint(&w, 300); /* the protobuf documentation's example: ac 02 */
    pb_int(&w, 1, -1);  /* int64 -1: ten bytes of two's complement */
    ck_assert_int_eq((int)w.len, 2 + 1 + 10);
    ck_assert(w.data[0] == 0xac && w.data[1] == 0x02 && w.data[2] == 0x08);
    ck_assert(w.data[12] == 0x01);
    gan_wbuf_free(&w);
    /* a nested message longer than 127 bytes gets a two-byte length in front of its body */
    size_t outer = pb_begin(&w, 7);
    size_t inner = pb_begin(&w, 1);
    char s[200];
    memset(s, 'x', sizeof s - 1);
    s[sizeof s - 1] = 0;
    pb_str(&w, 2, s);
    pb_end(&w, inner);
    pb_end(&w, outer);
    /* 3a L1 L1' 0a L2 L2' 12 c7 01 x*199 */
    ck_assert_int_eq((int)w.len, 3 + 3 + 3 + 199);
    ck_assert(w.data[0] == 0x3a && w.data[1] == (0x80 | (205 & 0x7f)) && w.data[2] == 205 >> 7);
    ck_assert(w.data[3] == 0x0a && w.data[4] == (0x80 | (202 & 0x7f)) && w.data[5] == 1);
    ck_assert(w.data[6] == 0x12 && w.data[7] == 0xc7 && w.data[8] == 0x01 && w.data[9] == 'x');
    ck_assert(!w.failed);
    gan_wbuf_free(&w);
}
END_TEST

/* ---------------------------------------------------------------- cases */

/* The checkpoint of a freshly initialised model, with every generator weight, its EMA and its
 * batch-norm statistics moved off their initial values: an exporter that swapped gamma and
 * beta, ignored a bias, used the raw weights or left out the running statistics would then
 * be seen. */
static void init_ckpt(const char *model, const char *ckpt)
{
    char err[1024];
    gan_model *m = gan_model_load(model, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    gan_session_opts so = {1, 7};
    gan_session *s = gan_session_create(m, &so, err, sizeof err);
    ck_assert_msg(s && !gan_session_init_params(s, err, sizeof err), "%s", err);
    float *const *base = gan_session_base(s);
    gan_rng r;
    gan_rng_seed(&r, 99);
    for (int i = 0; i < m->n_networks; i++) {
        const gan_network *n = &m->networks[i];
        if (n->role != GAN_NET_GENERATOR)
            continue;
        const gan_tensor *p = &m->tensors[n->params];
        float *pp = base[p->region] + p->offset;
        for (uint64_t k = 0; k < p->numel; k++)
            pp[k] += 0.02f * gan_rng_normal(&r);
        if (n->ema >= 0) {
            float *e = gan_tensor_ptr(m, base, n->ema);
            for (uint64_t k = 0; k < p->numel; k++)
                e[k] = pp[k] + 0.02f * gan_rng_normal(&r);
        }
    }
    for (int t = 0; t < m->n_tensors; t++) {
        const char *nm = m->tensors[t].name;
        size_t l = strlen(nm);
        float *x = gan_tensor_ptr(m, base, t);
        if (l > 13 && !strcmp(nm + l - 13, ".running_mean"))
            gan_rng_fill_normal(&r, x, m->tensors[t].numel, 0.0f, 0.1f);
        else if (l > 12 && !strcmp(nm + l - 12, ".running_var"))
            gan_rng_fill_uniform(&r, x, m->tensors[t].numel, 0.5f, 1.5f);
    }
    gan_ckpt_info info = {0};
    info.rng = *gan_session_rng(s);
    ck_assert_msg(!gan_ckpt_write(ckpt, m, base, &info, err, sizeof err), "%s", err);
    gan_session_free(s);
    gan_model_free(m);
}

/* CASE.z.f32, .labels.f32, .json and .ref.f32: n fixed z's and labels, and what ganrt's own
 * sample program makes of them with the checkpoint's weights (EMA or raw). */
static void write_case(const char *prefix, const char *model, const char *ckpt, int n, int ema)
{
    char err[1024], path[4300];
    gan_model *m = gan_model_load(model, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    const gan_hyper *h = &m->hyper;
    int Z = h->latent_size, L = h->n_labels;
    size_t per = (size_t)h->image_c * h->image_h * h->image_w;
    float *z = malloc(sizeof *z * (size_t)n * Z), *lab = calloc((size_t)n * (L + 1), sizeof *lab);
    float *img = malloc(sizeof *img * per * (size_t)n);
    ck_assert(z && lab && img);
    gan_rng r;
    gan_rng_seed(&r, 1234);
    gan_draw_latent(m, &r, z, n);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < L; k++)
            lab[(size_t)i * L + k] = h->label_kind == GAN_LABELS_CATEGORICAL
                                         ? (float)(k == i % L)
                                         : (float)(gan_rng_uniform(&r) < 0.5);
    gan_session_opts so = {2, 1};
    gan_session *s = gan_session_create(m, &so, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    char ckpath[4400];
    ck_assert_msg(!gan_ckpt_resolve(ckpt, ckpath, sizeof ckpath, err, sizeof err) &&
                      !gan_ckpt_load(ckpath, m, gan_session_base(s), NULL, err, sizeof err) &&
                      !gan_session_sample(s, n, z, L ? lab : NULL, img, ema, err, sizeof err),
                  "%s", err);
    gan_session_free(s);
    snprintf(path, sizeof path, "%s.z.f32", prefix);
    write_floats(path, z, (size_t)n * Z);
    snprintf(path, sizeof path, "%s.labels.f32", prefix);
    write_floats(path, lab, (size_t)n * L);
    snprintf(path, sizeof path, "%s.ref.f32", prefix);
    write_floats(path, img, per * (size_t)n);
    snprintf(path, sizeof path, "%s.json", prefix);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    char labels[64] = "null";
    if (L)
        snprintf(labels, sizeof labels, "[%d, %d]", n, L);
    fprintf(f, "{\"z\": [%d, %d], \"labels\": %s, \"image\": [%d, %d, %d, %d]}\n", n, Z, labels,
            n, h->image_c, h->image_h, h->image_w);
    ck_assert(fclose(f) == 0);
    free(z);
    free(lab);
    free(img);
    gan_model_free(m);
}

/* ganrt export MODEL --ckpt CKPT -o OUT [extra]: its status, output in out. */
static int export_cmd(const char *model, const char *ckpt, const char *onnx, const char *extra,
                      char *out, size_t len)
{
    char *argv[] = {(char *)tool("GANRT", "build/release/ganrt"), "export", (char *)model,
                    "--ckpt", (char *)ckpt, "-o", (char *)onnx, (char *)extra, NULL};
    return run(argv, out, len);
}

/* The outside checks on the cases written: ONNX Runtime, then the checker. */
static void outside_checks(char cases[][4200], int n)
{
    char *argv[MAX_CASES + 5];
    char out[16384];
    int k = 0;
    argv[k++] = "sh";
    argv[k++] = "tests/export_check.sh";
    argv[k++] = "ort";
    argv[k++] = TOL;
    for (int i = 0; i < n; i++)
        argv[k++] = cases[i];
    argv[k] = NULL;
    int rc = run(argv, out, sizeof out);
    fprintf(stderr, "%s", out);
    if (rc == 77)
        fprintf(stderr, "test_export: ONNX Runtime part skipped (above)\n");
    else
        ck_assert_msg(rc == 0, "ONNX Runtime check failed (status %d; its lines above)", rc);
    char files[MAX_CASES][4300];
    k = 2;
    argv[k++] = "checker";
    for (int i = 0; i < n; i++) {
        snprintf(files[i], sizeof files[i], "%.4200s.onnx", cases[i]);
        argv[k++] = files[i];
    }
    argv[k] = NULL;
    rc = run(argv, out, sizeof out);
    fprintf(stderr, "%s", out);
    if (rc == 77)
        fprintf(stderr, "test_export: onnx checker part skipped (above)\n");
    else
        ck_assert_msg(rc == 0, "onnx checker failed (status %d; its lines above)", rc);
}

/* ganc MODEL.gan --batch B -o OUT; 0 when it compiled. */
static void compile(const char *gan, const char *bin, const char *batch)
{
    const char *ganc = tool("GANC", "build/release/ganc");
    ck_assert_msg(ganc != NULL, "GANC not set and build/release/ganc missing");
    char *argv[] = {(char *)ganc, (char *)gan, "--batch", (char *)batch, "-o", (char *)bin, NULL};
    char out[8192];
    ck_assert_msg(run(argv, out, sizeof out) == 0, "%s: %s", gan, out);
}

/* DIR/NAME.bin (gan compiled at batch 2 first, unless gan is NULL) freshly initialised (and
 * perturbed), exported, and its case written for a run at batch 3 (the batch is dynamic).
 * 1 when it was a case, 0 for a model without a generator. */
static int export_case(const char *dir, const char *gan, const char *name, const char *extra,
                       char *prefix, size_t len)
{
    char bin[4300], ckpt[4300], onnx[4300], out[8192];
    snprintf(bin, sizeof bin, "%s/%s.bin", dir, name);
    snprintf(ckpt, sizeof ckpt, "%s/%s.ckpt", dir, name);
    snprintf(onnx, sizeof onnx, "%s/%s.onnx", dir, name);
    if (gan)
        compile(gan, bin, "2");
    init_ckpt(bin, ckpt);
    int rc = export_cmd(bin, ckpt, onnx, extra, out, sizeof out);
    if (strstr(out, "no generator")) { /* the classifier: see bad_input */
        ck_assert_int_eq(rc, 1);
        return 0;
    }
    ck_assert_msg(rc == 0, "%s: %s", name, out);
    fprintf(stderr, "%s", out);
    snprintf(prefix, len, "%s/%s", dir, name);
    write_case(prefix, bin, ckpt, 3, 1);
    return 1;
}

/* A sample program no .gan file can express: a transposed conv whose output is a row and a
 * column larger than its padding gives (bottom/right remainder -1, ONNX's output_padding).
 * Built as the front end would hand it on (tests/util/md_fixtures.h) with no padding, then the
 * sample program's op alone is given top/left padding 1 (the contract allows the remainder). */
static void output_padding_model(const char *path)
{
    md_model *m = mdfx_new(3, 11, 11, 0, GAN_LABELS_NONE, 6, 2);
    int G = mdfx_net(m, "G", GAN_NET_GENERATOR);
    int h = mdfx_input(m, G, "z", MD_IN_LATENT, 1, 6, 0, 0);
    h = mdfx_dense(m, G, h, 4 * 5 * 5, 0);
    h = mdfx_reshape(m, G, h, 3, 4, 5, 5);
    h = mdfx_conv_t(m, G, h, 3, 3, 2, 0); /* (5 - 1) 2 + 3 = 11 */
    h = mdfx_act(m, G, h, GAN_ACT_TANH, 0);
    mdfx_head(m, G, "image", h);
    int D = mdfx_net(m, "D", GAN_NET_DISCRIMINATOR);
    h = mdfx_input(m, D, "x", MD_IN_IMAGE, 3, 3, 11, 11);
    h = mdfx_conv(m, D, h, 4, 3, 2, 1, 0);
    h = mdfx_reshape(m, D, h, 1, 4 * 6 * 6, 0, 0);
    mdfx_head(m, D, "out", mdfx_dense(m, D, h, 1, 0));
    int od = mdfx_objective(m, D, 2e-4f, 0.5f, 0.999f, 0);
    mdfx_term(m, od, MD_LOSS_BCE, 1, mdfx_call(D, 0, 1, mdfx_ex(MD_EX_IMAGE)), NULL, 1, 0);
    mdfx_term(m, od, MD_LOSS_BCE, 1,
              mdfx_call(D, 0, 1, mdfx_call(G, 0, 1, mdfx_ex(MD_EX_LATENT))), NULL, 0, 0);
    int og = mdfx_objective(m, G, 2e-4f, 0.5f, 0.999f, 0.9f);
    mdfx_term(m, og, MD_LOSS_BCE, 1,
              mdfx_call(D, 0, 1, mdfx_call(G, 0, 1, mdfx_ex(MD_EX_LATENT))), NULL, 1, 0);
    char err[1024];
    gan_build_opts bo = {1, 0};
    gan_model *gm = gan_build(m, &bo, err, sizeof err);
    mdfx_free(m);
    ck_assert_msg(gm && !gan_plan(gm, err, sizeof err) && !gan_plan_check(gm, err, sizeof err),
                  "%s", err);
    gan_program *p = &gm->programs[gan_model_find_role(gm, GAN_PROG_SAMPLE)];
    int edited = 0;
    for (int i = 0; i < p->n_ops; i++)
        if (p->ops[i].type == GAN_OP_CONV2D_T) {
            p->ops[i].i[2] = p->ops[i].i[3] = 1;
            edited++;
        }
    ck_assert_int_eq(edited, 1);
    ck_assert_msg(!gan_model_validate(gm, err, sizeof err) &&
                      !gan_model_write(gm, path, err, sizeof err),
                  "%s", err);
    gan_model_free(gm);
}

/* Every shipped model with a generator, and tests/export_ops.gan, whose generator holds every
 * other op the exporter translates (also declared as opset 13), and a transposed conv with
 * an output padding. */
START_TEST(models_in_onnxruntime)
{
    char *dir = train_tmpdir();
    char cases[MAX_CASES][4200], gan[600];
    int n = 0;
    DIR *d = opendir("models");
    ck_assert_msg(d != NULL, "run from the source tree (models/)");
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_CASES - 3) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".gan"))
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(l - 4), e->d_name);
        snprintf(gan, sizeof gan, "models/%s", e->d_name);
        n += export_case(dir, gan, name, NULL, cases[n], sizeof cases[n]);
    }
    closedir(d);
    ck_assert_msg(n >= 6, "only %d shipped generators found", n);
    n += export_case(dir, "tests/export_ops.gan", "export_ops", NULL, cases[n], sizeof cases[n]);
    n += export_case(dir, "tests/export_ops.gan", "export_ops_opset13", "--opset=13", cases[n],
                     sizeof cases[n]);
    char bin[4300];
    snprintf(bin, sizeof bin, "%s/output_padding.bin", dir);
    output_padding_model(bin);
    n += export_case(dir, NULL, "output_padding", NULL, cases[n], sizeof cases[n]);
    outside_checks(cases, n);
    train_rmrf(dir);
    free(dir);
}
END_TEST

/* models/demo.gan trained twelve steps on `ganrt data synth` faces (batch-norm statistics and
 * an EMA that differ from the raw weights), exported from its run directory with and without
 * --no-ema, and as opset 13. */
START_TEST(trained_demo)
{
    char *dir = train_tmpdir();
    char bin[4300], data[4300], runp[4300], cases[3][4200], onnx[3][4300], out[8192];
    snprintf(bin, sizeof bin, "%s/demo.bin", dir);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(runp, sizeof runp, "%s/run", dir);
    compile("models/demo.gan", bin, "8");
    const char *ganrt = tool("GANRT", "build/release/ganrt");
    char *synth[] = {(char *)ganrt, "data", "synth", "-o", data, "--n", "48", "--size", "32",
                     "--quiet", NULL};
    ck_assert_msg(run(synth, out, sizeof out) == 0, "%s", out);
    char *train[] = {(char *)ganrt, "train", bin, "--data", data, "--out", runp, "--steps", "12",
                     "--threads", "2", "--sample-every", "0", NULL};
    ck_assert_msg(run(train, out, sizeof out) == 0, "%s", out);
    /* EMA weights (the default), raw weights, and EMA weights declared as opset 13 */
    static const char *const variant[3] = {"ema", "raw", "opset13"};
    static const char *const flag[3] = {NULL, "--no-ema", "--opset=13"};
    for (int v = 0; v < 3; v++) {
        snprintf(cases[v], sizeof cases[0], "%s/demo_%s", dir, variant[v]);
        snprintf(onnx[v], sizeof onnx[0], "%.4200s.onnx", cases[v]);
        int rc = export_cmd(bin, runp, onnx[v], flag[v], out, sizeof out);
        ck_assert_msg(rc == 0 && strstr(out, v == 1 ? "raw weights" : "EMA weights") &&
                          strstr(out, v == 2 ? "opset 13" : "opset 17"),
                      "%s", out);
        fprintf(stderr, "%s", out);
        write_case(cases[v], bin, runp, 5, v != 1);
    }
    /* the two differ: --no-ema really takes the other weights */
    uint8_t *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    char err[512];
    ck_assert(!gan_read_file(onnx[0], &a, &la, 1u << 30, err, sizeof err));
    ck_assert(!gan_read_file(onnx[1], &b, &lb, 1u << 30, err, sizeof err));
    ck_assert(la == lb && memcmp(a, b, la) != 0);
    free(a);
    free(b);
    outside_checks(cases, 3);
    train_rmrf(dir);
    free(dir);
}
END_TEST

/* A model whose sample program holds an op the exporter has no translation for (a zero in
 * front of the output's producer): the error names the op and the program. */
static void untranslatable(const char *dir)
{
    char err[1024], bin[4300], ckpt[4300], onnx[4300], out[8192];
    gan_model *m = train_fx_build(TRAIN_FX_GAN, 0.001f, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    gan_program *p = &m->programs[gan_model_find_role(m, GAN_PROG_SAMPLE)];
    gan_op *ops = malloc(sizeof *ops * (size_t)(p->n_ops + 1));
    ck_assert(ops != NULL);
    memcpy(ops + 1, p->ops, sizeof *ops * (size_t)p->n_ops);
    memset(&ops[0], 0, sizeof ops[0]);
    ops[0].type = GAN_OP_ZERO;
    ops[0].n_out = 1;
    for (int k = 0; k < GAN_OP_MAX_IO; k++)
        ops[0].in[k] = ops[0].out[k] = -1;
    ops[0].out[0] = p->outputs[0];
    free(p->ops);
    p->ops = ops;
    p->n_ops++;
    snprintf(bin, sizeof bin, "%s/zero.bin", dir);
    snprintf(ckpt, sizeof ckpt, "%s/zero.ckpt", dir);
    snprintf(onnx, sizeof onnx, "%s/zero.onnx", dir);
    ck_assert_msg(!gan_model_write(m, bin, err, sizeof err), "%s", err);
    init_ckpt(bin, ckpt);
    int rc = export_cmd(bin, ckpt, onnx, NULL, out, sizeof out);
    ck_assert_msg(rc == 1 && strstr(out, "program 'sample' op 0 (zero): no ONNX translation"),
                  "%d: %s", rc, out);
    ck_assert(!exists(onnx));
    /* in process: the same error, and nothing claimed written */
    float *base[GAN_REGION_COUNT] = {0};
    train_alloc_base(m, base);
    gan_wbuf w = {0};
    ck_assert_int_eq(gan_export_onnx(m, gan_model_find_role(m, GAN_PROG_SAMPLE), base, 17, &w,
                                     NULL, err, sizeof err),
                     -1);
    ck_assert_msg(strstr(err, "op 0 (zero)"), "%s", err);
    gan_wbuf_free(&w);
    train_free_base(base);
    train_fx_free(m);
}

START_TEST(bad_input)
{
    char *dir = train_tmpdir();
    char bin[4300], cls[4300], ckpt[4300], onnx[4300], keep[4300], nope[4300], out[8192];
    snprintf(bin, sizeof bin, "%s/demo.bin", dir);
    snprintf(cls, sizeof cls, "%s/classifier.bin", dir);
    snprintf(ckpt, sizeof ckpt, "%s/c.ckpt", dir);
    snprintf(onnx, sizeof onnx, "%s/g.onnx", dir);
    snprintf(keep, sizeof keep, "%s/keep.onnx", dir);
    snprintf(nope, sizeof nope, "%s/no_such_run", dir);
    compile("models/demo.gan", bin, "2");
    compile("models/classifier.gan", cls, "2");
    /* a missing checkpoint: status 1, the path named, no file; an existing file is kept */
    int rc = export_cmd(bin, nope, onnx, NULL, out, sizeof out);
    ck_assert_msg(rc == 1 && strstr(out, "no_such_run"), "%d: %s", rc, out);
    ck_assert(!exists(onnx));
    FILE *f = fopen(keep, "w");
    ck_assert(f && fputs("old", f) >= 0 && !fclose(f));
    rc = export_cmd(bin, nope, keep, NULL, out, sizeof out);
    ck_assert_int_eq(rc, 1);
    uint8_t *k = NULL;
    size_t kl = 0;
    char err[512];
    ck_assert(!gan_read_file(keep, &k, &kl, 100, err, sizeof err) && kl == 3 && !memcmp(k, "old", 3));
    free(k);
    /* a classifier has no generator */
    init_ckpt(cls, ckpt);
    rc = export_cmd(cls, ckpt, onnx, NULL, out, sizeof out);
    ck_assert_msg(rc == 1 && strstr(out, "no generator"), "%d: %s", rc, out);
    ck_assert(!exists(onnx));
    /* unwritable outputs: a missing folder, a path through a regular file */
    init_ckpt(bin, ckpt);
    char bad[4400];
    snprintf(bad, sizeof bad, "%s/no/such/dir/g.onnx", dir);
    rc = export_cmd(bin, ckpt, bad, NULL, out, sizeof out);
    ck_assert_msg(rc == 1 && strstr(out, "no/such/dir/g.onnx"), "%d: %s", rc, out);
    snprintf(bad, sizeof bad, "%s/demo.bin/g.onnx", dir);
    rc = export_cmd(bin, ckpt, bad, NULL, out, sizeof out);
    ck_assert_msg(rc == 1 && strstr(out, "demo.bin/g.onnx"), "%d: %s", rc, out);
    /* nothing but what the test made is left in the folder (no temporary file) */
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)))
        ck_assert_msg(!strstr(e->d_name, ".tmp"), "left behind: %s", e->d_name);
    closedir(d);
    /* and the good case does write */
    rc = export_cmd(bin, ckpt, onnx, NULL, out, sizeof out);
    ck_assert_msg(rc == 0 && exists(onnx), "%d: %s", rc, out);
    untranslatable(dir);
    train_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(usage)
{
    const char *g = tool("GANRT", "build/release/ganrt");
    ck_assert_msg(g != NULL, "GANRT not set and build/release/ganrt missing");
    char out[8192];
    struct {
        int status;
        const char *want;
        char *args[8];
    } cases[] = {
        {0, "export  MODEL.bin", {"--help"}},
        {0, "Usage: ganrt export", {"export", "--help"}},
        {2, "missing MODEL.bin", {"export"}},
        {2, "missing --ckpt", {"export", "m.bin", "-o", "g.onnx"}},
        {2, "missing -o", {"export", "m.bin", "--ckpt", "r"}},
        {2, "--opset: 12 is out of range", {"export", "m.bin", "--ckpt", "r", "-o", "g", "--opset", "12"}},
        {2, "unknown option --fast", {"export", "m.bin", "--fast"}},
        {1, "no/such/model.bin", {"export", "no/such/model.bin", "--ckpt", "r", "-o", "g.onnx"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[10] = {(char *)g};
        for (int k = 0; k < 8 && cases[i].args[k]; k++)
            argv[k + 1] = cases[i].args[k];
        int rc = run(argv, out, sizeof out);
        ck_assert_msg(rc == cases[i].status && strstr(out, cases[i].want),
                      "case %zu: status %d (want %d), want '%s' in: %s", i, rc, cases[i].status,
                      cases[i].want, out);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("export");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 900); /* the first run installs onnxruntime-node from npm */
    tcase_add_test(tc, protobuf_bytes);
    tcase_add_test(tc, usage);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, trained_demo);
    tcase_add_test(tc, models_in_onnxruntime);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
