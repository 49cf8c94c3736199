/* Built-in evaluation (runtime/eval/, cli/cli_eval*.c, docs/evaluation.md).
 *  - the math: Jacobi eigen-decomposition, the Fréchet distance of a set with itself is ~0,
 *    it is symmetric, grows as noise is added, and agrees with numpy (when python3 has it);
 *  - `ganrt eval` end to end on synthetic faces: a tiny classifier trained for a second on the
 *    training part judges the held-out part well; an untrained generator scores near chance
 *    on attribute accuracy and control; the real held-out faces passed through the path the
 *    generated ones take score exactly the classifier's own accuracy; the real statistics are
 *    cached; bad input is a clear error with a non-zero exit. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/bytes.h"
#include "format/model.h"
#include "runtime/data.h"
#include "runtime/eval.h"
#include "runtime/train.h"
#include "tests/util/train_util.h"

static char g_dir[4096], g_out[32768];

static char *path(const char *rel)
{
    static char bufs[8][4400];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", g_dir, rel);
    return b;
}

static int run_tool(const char *env, const char *dflt, const char *first, ...)
{
    char *argv[64];
    int n = 0;
    const char *t = getenv(env);
    argv[n++] = (char *)(t && *t ? t : dflt);
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s && n < 63; s = va_arg(ap, const char *))
        argv[n++] = (char *)s;
    va_end(ap);
    argv[n] = NULL;
    return train_spawn(argv, g_out, sizeof g_out);
}
#define GANRT(...) run_tool("GANRT", "build/release/ganrt", __VA_ARGS__, (char *)NULL)
#define GANC(...) run_tool("GANC", "build/release/ganc", __VA_ARGS__, (char *)NULL)

/* ------------------------------------------------------------------ the math */

static double rnd(gan_rng *r) { return gan_rng_normal(r); }

/* n rows of d correlated features: x = A g + b, g standard normal. */
static float *make_features(int n, int d, uint64_t seed, double shift)
{
    gan_rng r;
    gan_rng_seed(&r, seed);
    double *a = malloc(sizeof(double) * d * d);
    float *x = malloc(sizeof(float) * (size_t)n * d);
    for (int i = 0; i < d * d; i++)
        a[i] = rnd(&r) / sqrt(d);
    double *g = malloc(sizeof(double) * d);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < d; k++)
            g[k] = rnd(&r);
        for (int j = 0; j < d; j++) {
            double s = shift + 0.1 * j;
            for (int k = 0; k < d; k++)
                s += a[j * d + k] * g[k];
            x[(size_t)i * d + j] = (float)s;
        }
    }
    free(a);
    free(g);
    return x;
}

static double fd_of(const float *x, int nx, const float *y, int ny, int d)
{
    gan_gauss a, b;
    char err[256];
    ck_assert_int_eq(gan_gauss_fit(x, (size_t)nx, d, &a, err, sizeof err), 0);
    ck_assert_int_eq(gan_gauss_fit(y, (size_t)ny, d, &b, err, sizeof err), 0);
    double fd = NAN;
    ck_assert_msg(gan_frechet_distance(&a, &b, &fd, err, sizeof err) == 0, "%s", err);
    gan_gauss_free(&a);
    gan_gauss_free(&b);
    return fd;
}

START_TEST(jacobi_reconstructs)
{
    enum { N = 17 };
    gan_rng r;
    gan_rng_seed(&r, 3);
    double a[N * N], w[N * N], ev[N], v[N * N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j <= i; j++)
            a[i * N + j] = a[j * N + i] = rnd(&r);
    memcpy(w, a, sizeof a);
    ck_assert_int_eq(gan_sym_eigen(w, N, ev, v), 0);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0, o = 0;
            for (int k = 0; k < N; k++) {
                s += v[i * N + k] * ev[k] * v[j * N + k];
                o += v[k * N + i] * v[k * N + j];
            }
            ck_assert_double_eq_tol(s, a[i * N + j], 1e-10);
            ck_assert_double_eq_tol(o, i == j, 1e-10);
        }
}
END_TEST

START_TEST(frechet_self_symmetric_monotone)
{
    enum { N = 400, D = 24 };
    float *x = make_features(N, D, 1, 0), *y = make_features(N, D, 2, 0.5);
    double self = fd_of(x, N, x, N, D);
    ck_assert_msg(fabs(self) < 1e-8, "FD(x, x) = %g", self);
    double xy = fd_of(x, N, y, N, D), yx = fd_of(y, N, x, N, D);
    ck_assert_msg(xy > 1, "FD(x, y) = %g", xy);
    ck_assert_msg(fabs(xy - yx) < 1e-9 * xy, "FD(x,y) %.12g vs FD(y,x) %.12g", xy, yx);
    /* more noise, larger distance */
    gan_rng r;
    gan_rng_seed(&r, 9);
    float *z = malloc(sizeof(float) * N * D), *noise = malloc(sizeof(float) * N * D);
    for (int i = 0; i < N * D; i++)
        noise[i] = gan_rng_normal(&r);
    double prev = self;
    for (int s = 1; s <= 6; s++) {
        for (int i = 0; i < N * D; i++)
            z[i] = x[i] + 0.2f * (float)s * noise[i];
        double fd = fd_of(x, N, z, N, D);
        ck_assert_msg(fd > prev, "noise %.1f: FD %g not above %g", 0.2 * s, fd, prev);
        prev = fd;
    }
    /* fewer rows than features: a singular covariance still gives a finite, ~0 self distance */
    double small = fd_of(x, 10, x, 10, D);
    ck_assert_msg(fabs(small) < 1e-6, "FD of 10 rows with itself = %g", small);
    free(x);
    free(y);
    free(z);
    free(noise);
}
END_TEST

/* A python3 that imports numpy: $GAN_PYTHON, Debian's (python3-torch brings numpy), or the
 * one on PATH; NULL when none does. */
static const char *python_with_numpy(void)
{
    const char *env = getenv("GAN_PYTHON");
    const char *cands[3] = {env && *env ? env : "/usr/bin/python3", "/usr/bin/python3", "python3"};
    for (int i = 0; i < 3; i++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "%s -c 'import numpy' >/dev/null 2>&1", cands[i]);
        if (system(cmd) == 0)
            return cands[i];
    }
    return NULL;
}

static void write_rows(const char *p, const float *x, int n, int d)
{
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < d; k++)
            fprintf(f, "%.9g%c", x[(size_t)i * d + k], k + 1 < d ? ' ' : '\n');
    fclose(f);
}

/* numpy's eigh (and scipy's sqrtm, the reference FID code's, when scipy is there) */
static const char ref_py[] =
    "import sys, numpy as np\n"
    "a = np.loadtxt(sys.argv[1]); b = np.loadtxt(sys.argv[2])\n"
    "ma, mb = a.mean(0), b.mean(0); sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)\n"
    "w, v = np.linalg.eigh(sa); r = (v * np.sqrt(np.clip(w, 0, None))) @ v.T\n"
    "e = np.linalg.eigvalsh(r @ sb @ r)\n"
    "print('%.12g' % (((ma - mb) ** 2).sum() + np.trace(sa) + np.trace(sb)"
    " - 2 * np.sqrt(np.clip(e, 0, None)).sum()))\n"
    "try:\n"
    "    from scipy import linalg\n"
    "    c = linalg.sqrtm(sa @ sb).real\n"
    "    print('%.12g' % (((ma - mb) ** 2).sum() + np.trace(sa + sb - 2 * c)))\n"
    "except ImportError:\n"
    "    print('noscipy')\n";

START_TEST(frechet_matches_numpy)
{
    const char *py = python_with_numpy();
    if (!py) {
        fprintf(stderr, "test_eval: SKIPPED the numpy reference for the Fréchet distance: no "
                "python3 imports numpy (tried $GAN_PYTHON, /usr/bin/python3, python3)\n");
        return;
    }
    enum { N = 300, D = 12 };
    float *x = make_features(N, D, 4, 0), *y = make_features(N, D, 5, 0.3);
    char *dir = train_tmpdir(), pa[4200], pb[4200], ps[4200], cmd[13000];
    snprintf(pa, sizeof pa, "%s/a.txt", dir);
    snprintf(pb, sizeof pb, "%s/b.txt", dir);
    snprintf(ps, sizeof ps, "%s/ref.py", dir);
    write_rows(pa, x, N, D);
    write_rows(pb, y, N, D);
    FILE *f = fopen(ps, "w");
    fputs(ref_py, f);
    fclose(f);
    /* the reference reads the same rounded floats the C side fits */
    snprintf(cmd, sizeof cmd, "%s %s %s %s", py, ps, pa, pb);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char l1[128] = "", l2[128] = "";
    ck_assert_ptr_nonnull(fgets(l1, sizeof l1, p));
    ck_assert_ptr_nonnull(fgets(l2, sizeof l2, p));
    ck_assert_int_eq(pclose(p), 0);
    double ref = strtod(l1, NULL), ours = fd_of(x, N, y, N, D);
    ck_assert_msg(fabs(ours - ref) < 1e-6 * fabs(ref), "FD %.12g, numpy eigh %.12g", ours, ref);
    if (strncmp(l2, "noscipy", 7)) {
        double sref = strtod(l2, NULL);
        ck_assert_msg(fabs(ours - sref) < 1e-5 * fabs(sref), "FD %.12g, scipy sqrtm %.12g", ours,
                      sref);
    } else {
        fprintf(stderr, "test_eval: scipy not importable: checked against numpy's eigh only\n");
    }
    train_rmrf(dir);
    free(dir);
    free(x);
    free(y);
}
END_TEST

START_TEST(pairwise_and_confusion)
{
    float f[3 * 2] = {0, 0, 3, 4, 0, 8}; /* distances 5, 8, 5 */
    ck_assert_double_eq_tol(gan_mean_pairwise_distance(f, 3, 2, 1000), 6.0, 1e-12);
    ck_assert_double_eq_tol(gan_mean_pairwise_distance(f, 3, 2, 2), 5.0, 1e-12);
    ck_assert(isnan(gan_mean_pairwise_distance(f, 1, 2, 1000)));
    float logit[6] = {1, -1, 1, 1, -1, -1}, want[6] = {1, 1, 0, 1, 0, 0};
    gan_confusion c = {0};
    gan_confusion_add(&c, logit, 1, 0, want, 1, 6); /* tp 2, fn 1, fp 1, tn 2 */
    ck_assert_int_eq(c.tp, 2);
    ck_assert_int_eq(c.fn, 1);
    ck_assert_int_eq(c.fp, 1);
    ck_assert_int_eq(c.tn, 2);
    ck_assert_double_eq_tol(gan_confusion_accuracy(&c), 4.0 / 6, 1e-12);
    ck_assert_double_eq_tol(gan_confusion_balanced(&c), 0.5 * (2.0 / 3 + 2.0 / 3), 1e-12);
    gan_confusion none = {.tn = 5, .fp = 1};
    ck_assert(isnan(gan_confusion_balanced(&none)));
    gan_confusion empty = {0};
    ck_assert(isnan(gan_confusion_accuracy(&empty)));
}
END_TEST

/* ------------------------------------------------------------------ ganrt eval */

/* The classifier reads [0, 1] and the generator makes [-1, 1], so the range mapping of the
 * generated-face path is exercised. */
static const char clf_gan[] =
    "data {\n  image 3 x 16 x 16  range [0, 1]\n"
    "  labels [Smiling, Eyeglasses, Blond_Hair, Black_Hair, Wearing_Hat, Male]\n}\n"
    "defaults conv { kernel 3  padding same  init he_normal }\n"
    "classifier C(x : image) -> labels {\n"
    "  h = x | conv(16, stride 2) | batchnorm | relu\n"
    "  h = h | conv(32, stride 2) | batchnorm | relu\n"
    "  out = h | flatten | dense(32) | relu | dense(labels)\n}\n"
    "train {\n  batch 32  steps 300\n  loss C = bce(C(x), y)\n  optimizer C = adam(lr 3e-3)\n}\n";
static const char gen_gan[] =
    "data {\n  image 3 x 16 x 16  range [-1, 1]\n"
    "  labels [Eyeglasses, Blond_Hair, Black_Hair, Wearing_Hat, Mustache]\n}\n"
    "latent z : 16\n"
    "generator G(z, y) -> image {\n"
    "  h = concat(z, y) | dense(4*4*16) | reshape(16, 4, 4) | batchnorm | relu\n"
    "  out = h | upsample(4) | conv(3, kernel 3, padding same) | tanh\n}\n"
    "discriminator D(x : image) -> (adv : 1, cls : labels) {\n"
    "  h = x | conv(8, kernel 3, stride 2, padding same) | leaky_relu(0.2) | flatten\n"
    "  adv = h | dense(1)\n  cls = h | dense(labels)\n}\n"
    "train {\n  batch 16  steps 1\n"
    "  loss D = hinge_real(D(x).adv) + hinge_fake(D(G(z, y)).adv) + bce(D(x).cls, y)\n"
    "  loss G = -mean(D(G(z, y)).adv) + bce(D(G(z, y)).cls, y)\n"
    "  optimizer D = adam(lr 2e-4)\n  optimizer G = adam(lr 2e-4)\n}\n";

/* The fixture is made before any test runs, where ck_assert cannot report. */
#define FX(cond, ...)                                                                             \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "test_eval: fixture: " __VA_ARGS__);                                  \
            fputc('\n', stderr);                                                                  \
            exit(1);                                                                              \
        }                                                                                         \
    } while (0)

static void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    FX(f != NULL, "cannot write %s", p);
    fputs(text, f);
    FX(fclose(f) == 0, "cannot write %s", p);
}

/* A .gan source compiled, then trained for `steps` on the training part (holdout 200). */
static void build(const char *name, const char *src, const char *steps)
{
    char gan[4400], bin[4400], run[4400];
    snprintf(gan, sizeof gan, "%s/%s.gan", g_dir, name);
    snprintf(bin, sizeof bin, "%s/%s.bin", g_dir, name);
    snprintf(run, sizeof run, "%s/%s_run", g_dir, name);
    write_file(gan, src);
    FX(GANC(gan, "-o", bin) == 0, "ganc %s:\n%s", name, g_out);
    FX(GANRT("train", bin, "--data", path("data"), "--out", run, "--holdout", "200",
                        "--steps", steps, "--threads", "2", "--seed", "3") == 0,
                  "train %s:\n%s", name, g_out);
}

/* Made once, before the tests fork: 600 synthetic faces, the classifier, an untrained GAN
 * and two classifiers that do not fit it. */
static void make_fixture(void)
{
    char *d = train_tmpdir();
    FX(d != NULL, "no temporary directory");
    snprintf(g_dir, sizeof g_dir, "%s", d);
    free(d);
    FX(GANRT("data", "synth", "--n", "600", "--size", "32", "--seed", "1", "-o",
                        path("data")) == 0, "%s", g_out);
    build("clf", clf_gan, "300");
    build("gen", gen_gan, "1");
    char other[sizeof clf_gan + 16];
    snprintf(other, sizeof other, "%s", clf_gan);
    memcpy(strstr(other, "16 x 16"), "32 x 32", 7);
    build("clf32", other, "1");
    snprintf(other, sizeof other, "%s", clf_gan);
    memcpy(strstr(other, "image 3 x"), "image 1 x", 9);
    build("clf1", other, "1");
    snprintf(other, sizeof other, "%s", clf_gan);
    char *lb = strstr(other, "labels ["), *rest = strchr(lb, ']') + 1;
    memmove(lb + 13, rest, strlen(rest) + 1);
    memcpy(lb, "labels [Bald]", 13);
    build("bald", other, "1");
}

/* The number after "key": inside the object that follows "section" (NULL: anywhere);
 * NAN when absent or null. */
static double json_num(const char *text, const char *section, const char *key)
{
    const char *p = section ? strstr(text, section) : text;
    if (!p)
        return NAN;
    char k[128];
    snprintf(k, sizeof k, "\"%s\": ", key);
    p = strstr(p, k);
    if (!p || !strncmp(p + strlen(k), "null", 4))
        return NAN;
    return strtod(p + strlen(k), NULL);
}

static char *slurp_text(const char *p)
{
    FILE *f = fopen(p, "r");
    ck_assert_msg(f != NULL, "%s missing", p);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return strdup(buf);
}

static int eval_gen(const char *json, const char *extra)
{
    return GANRT("eval", path("gen.bin"), "--ckpt", path("gen_run"), "--classifier",
                 path("clf.bin"), "--classifier-ckpt", path("clf_run"), "--real", path("data"),
                 "-n", "300", "--pairs", "40", "--threads", "2", "--json", json, extra);
}

START_TEST(real_only_is_the_ceiling)
{
    ck_assert_msg(GANRT("eval", "--real-only", "--classifier", path("clf.bin"),
                        "--classifier-ckpt", path("clf_run"), "--real", path("data"), "--json",
                        path("real.json")) == 0, "%s", g_out);
    ck_assert_msg(strstr(g_out, "200 of 200 held out") != NULL, "%s", g_out);
    char *j = slurp_text(path("real.json"));
    double bacc = json_num(j, "\"mean\"", "real_bal_acc");
    ck_assert_msg(bacc > 0.8, "the classifier's held-out balanced accuracy %g:\n%s", bacc, j);
    ck_assert_double_eq(json_num(j, "\"split\"", "heldout"), 200);
    ck_assert_msg(strstr(j, "\"first_heldout\": \"000401.png\"") != NULL, "%s", j);
    free(j);
}
END_TEST

START_TEST(untrained_generator_near_chance)
{
    ck_assert_msg(eval_gen(path("gen.json"), NULL) == 0, "%s", g_out);
    ck_assert_msg(strstr(g_out, "does not judge Mustache") != NULL, "%s", g_out);
    char *j = slurp_text(path("gen.json"));
    double gb = json_num(j, "\"mean\"", "gen_bal_acc"), ctl = json_num(j, "\"mean\"", "control");
    double rb = json_num(j, "\"mean\"", "real_bal_acc"), fd = json_num(j, NULL, "frechet");
    ck_assert_msg(gb > 0.35 && gb < 0.65, "untrained generator: balanced accuracy %g", gb);
    ck_assert_msg(ctl < 0.2, "untrained generator: control %g", ctl);
    ck_assert_msg(rb > 0.8, "real balanced accuracy %g", rb);
    ck_assert_msg(fd > 1, "Fréchet distance %g", fd);
    ck_assert_msg(!strstr(j, "\"Mustache\""), "%s", j);
    /* the second run reads the cached real statistics and gives the same figures */
    ck_assert_msg(eval_gen(path("gen2.json"), NULL) == 0, "%s", g_out);
    ck_assert_msg(strstr(g_out, "statistics from the cache") != NULL, "%s", g_out);
    char *j2 = slurp_text(path("gen2.json"));
    ck_assert_double_eq(json_num(j2, NULL, "frechet"), fd);
    ck_assert_double_eq(json_num(j2, "\"mean\"", "control"), ctl);
    ck_assert_msg(eval_gen(path("gen3.json"), "--no-cache") == 0, "%s", g_out);
    char *j3 = slurp_text(path("gen3.json"));
    ck_assert_double_eq_tol(json_num(j3, NULL, "frechet"), fd, 1e-4 * fd);
    /* standing statistics: other batch-norm statistics, other figures, said in the table */
    ck_assert_msg(eval_gen(path("gen4.json"), "--standing") != 0, "--standing without B");
    ck_assert_msg(GANRT("eval", path("gen.bin"), "--ckpt", path("gen_run"), "--classifier",
                        path("clf.bin"), "--classifier-ckpt", path("clf_run"), "--real",
                        path("data"), "-n", "300", "--pairs", "40", "--threads", "2", "--json",
                        path("gen4.json"), "--standing", "4") == 0, "%s", g_out);
    ck_assert_msg(strstr(g_out, "standing statistics over 4 batches") != NULL, "%s", g_out);
    char *j4 = slurp_text(path("gen4.json"));
    double fd4 = json_num(j4, NULL, "frechet");
    ck_assert_double_eq(json_num(j4, NULL, "standing"), 4);
    ck_assert_msg(isfinite(fd4) && fd4 > 0 && fd4 != fd, "standing: Fréchet distance %g (%g "
                  "without)", fd4, fd);
    free(j);
    free(j2);
    free(j3);
    free(j4);
}
END_TEST

/* A judge of another size: the 16x16 faces, and the real ones read at 16x16, are resampled
 * to its 32x32; those real statistics are cached apart from the ones at its own size; ganrt
 * train --eval-every takes such a judge too. */
START_TEST(judge_of_another_size)
{
    ck_assert_msg(GANRT("eval", path("gen.bin"), "--ckpt", path("gen_run"), "--classifier",
                        path("clf32.bin"), "--classifier-ckpt", path("clf32_run"), "--real",
                        path("data"), "-n", "200", "--pairs", "20", "--threads", "2", "--json",
                        path("gen32.json")) == 0, "%s", g_out);
    ck_assert_msg(strstr(g_out, "resampled to 32x32") != NULL, "%s", g_out);
    char *j = slurp_text(path("gen32.json"));
    double fd = json_num(j, NULL, "frechet"), gb = json_num(j, "\"mean\"", "gen_bal_acc");
    ck_assert_msg(fd > 0 && isfinite(fd), "Fréchet distance %g", fd);
    ck_assert_msg(gb > 0 && gb < 1, "balanced accuracy %g", gb);
    free(j);
    /* the 16x16 real statistics are cached apart from the judge's own size's */
    ck_assert_msg(GANRT("eval", "--real-only", "--classifier", path("clf32.bin"),
                        "--classifier-ckpt", path("clf32_run"), "--real", path("data")) == 0,
                  "%s", g_out);
    ck_assert_msg(strstr(g_out, "statistics from the cache") == NULL, "%s", g_out);
    /* and a train-time evaluation with it runs */
    ck_assert_msg(GANRT("train", path("gen.bin"), "--data", path("data"), "--out", path("ev32"),
                        "--eval-every", "1", "--eval-classifier", path("clf32.bin"),
                        "--eval-classifier-ckpt", path("clf32_run"), "--steps", "1",
                        "--threads", "2") == 0, "%s", g_out);
}
END_TEST

/* The held-out faces, loaded in the generator's range [-1, 1] and fed through the path the
 * generated faces take, score what `eval --real-only` reports; their features have the
 * cached Gaussian (FD ~0) and more pixel noise moves them further from it. */
START_TEST(real_through_the_generated_path)
{
    ck_assert_int_eq(GANRT("eval", "--real-only", "--classifier", path("clf.bin"),
                           "--classifier-ckpt", path("clf_run"), "--real", path("data"),
                           "--json", path("real.json")), 0);
    char *j = slurp_text(path("real.json"));
    char err[1024] = "", ck[4400];
    gan_model *m = gan_model_load(path("clf.bin"), err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_int_eq(gan_ckpt_resolve(path("clf_run"), ck, sizeof ck, err, sizeof err), 0);
    gan_classifier *c = gan_classifier_open(m, ck, NULL, 2, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    const gan_hyper *h = &m->hyper;
    gan_loader_opts lo = {.dir = path("data"), .c = 3, .h = 16, .w = 16, .lo = -1, .hi = 1,
                          .label_kind = GAN_LABELS_MULTI, .n_labels = h->n_labels,
                          .label_names = (const char(*)[64])h->label_names, .batch = 50,
                          .seed = 7, .split = GAN_SPLIT_HELDOUT, .holdout = 200};
    gan_loader *l = gan_loader_open(&lo, err, sizeof err);
    ck_assert_msg(l != NULL, "%s", err);
    enum { N = 200, PER = 3 * 16 * 16 };
    int L = h->n_labels, F = gan_classifier_feature_dim(c);
    float *img = malloc(sizeof(float) * N * PER), *lab = malloc(sizeof(float) * N * L);
    float *lg = malloc(sizeof(float) * N * L), *ft = malloc(sizeof(float) * N * F);
    for (int b = 0; b < 4; b++)
        ck_assert_int_eq(gan_loader_next(l, img + b * 50 * PER, lab + b * 50 * L, err, sizeof err), 0);
    gan_loader_close(l);
    ck_assert_int_eq(gan_classifier_run(c, N, img, -1, 1, lg, ft, err, sizeof err), 0);
    for (int k = 0; k < L; k++) {
        gan_confusion cf = {0};
        gan_confusion_add(&cf, lg, L, k, lab + k, L, N);
        char sec[128];
        snprintf(sec, sizeof sec, "\"name\": \"%s\"", h->label_names[k]);
        double want = json_num(j, sec, "real_acc");
        ck_assert_msg(fabs(gan_confusion_accuracy(&cf) - want) < 1e-6, "%s: %g here, %g by eval",
                      h->label_names[k], gan_confusion_accuracy(&cf), want);
    }
    /* FD of the held-out features against themselves, and with pixel noise added */
    gan_gauss real;
    ck_assert_int_eq(gan_gauss_fit(ft, N, F, &real, err, sizeof err), 0);
    gan_rng r;
    gan_rng_seed(&r, 11);
    float *noisy = malloc(sizeof(float) * N * PER), *fn = malloc(sizeof(float) * N * F);
    double prev = -1;
    for (int s = 0; s < 4; s++) {
        for (int i = 0; i < N * PER; i++) {
            float v = img[i] + 0.25f * (float)s * gan_rng_normal(&r);
            noisy[i] = v < -1 ? -1 : v > 1 ? 1 : v;
        }
        ck_assert_int_eq(gan_classifier_run(c, N, noisy, -1, 1, lg, fn, err, sizeof err), 0);
        gan_gauss g;
        double fd;
        ck_assert_int_eq(gan_gauss_fit(fn, N, F, &g, err, sizeof err), 0);
        ck_assert_int_eq(gan_frechet_distance(&g, &real, &fd, err, sizeof err), 0);
        gan_gauss_free(&g);
        if (s == 0)
            ck_assert_msg(fabs(fd) < 1e-6, "FD of the held-out faces with themselves: %g", fd);
        else
            ck_assert_msg(fd > prev, "pixel noise %.2f: FD %g not above %g", 0.25 * s, fd, prev);
        prev = fd;
    }
    gan_gauss_free(&real);
    free(noisy);
    free(fn);
    free(img);
    free(lab);
    free(lg);
    free(ft);
    free(j);
    gan_classifier_close(c);
    gan_model_free(m);
}
END_TEST

static void expect_fail(int rc, int want, const char *needle)
{
    ck_assert_msg(rc == want, "exit %d (wanted %d):\n%s", rc, want, g_out);
    ck_assert_msg(strstr(g_out, needle) != NULL, "no '%s' in:\n%s", needle, g_out);
}

START_TEST(bad_input)
{
    char gen[4400], gr[4400], data[4400]; /* path() recycles its buffers */
    snprintf(gen, sizeof gen, "%s", path("gen.bin"));
    snprintf(gr, sizeof gr, "%s", path("gen_run"));
    snprintf(data, sizeof data, "%s", path("data"));
    expect_fail(GANRT("eval", gen, "--ckpt", gr, "--classifier", path("clf.bin"),
                      "--classifier-ckpt", path("clf_run"), "--real", data, "--attrs",
                      "Eyeglases"),
                2, "'Eyeglases' is not an attribute both models have; did you mean Eyeglasses");
    expect_fail(GANRT("eval", gen, "--ckpt", gr, "--classifier", path("clf.bin"),
                      "--classifier-ckpt", path("clf_run"), "--real", data, "--attrs",
                      "Mustache"),
                2, "'Mustache' is not a label of the classifier");
    expect_fail(GANRT("eval", gen, "--ckpt", gr, "--classifier", path("clf1.bin"),
                      "--classifier-ckpt", path("clf1_run"), "--real", data),
                1, "takes 1x16x16 images but");
    expect_fail(GANRT("eval", gen, "--ckpt", gr, "--classifier", path("bald.bin"),
                      "--classifier-ckpt", path("bald_run"), "--real", data),
                1, "share no attribute");
    expect_fail(GANRT("eval", gen, "--ckpt", gr, "--classifier", path("clf.bin"),
                      "--classifier-ckpt", path("no_such_run"), "--real", data),
                1, "no_such_run");
    expect_fail(GANRT("eval", gen, "--ckpt", path("no_gen_run"), "--classifier",
                      path("clf.bin"), "--classifier-ckpt", path("clf_run"), "--real", data),
                1, "no_gen_run");
    expect_fail(GANRT("eval", gen, "--ckpt", gr, "--classifier", path("clf.bin"),
                      "--classifier-ckpt", gr, "--real", data),
                1, path("clf.bin"));
    expect_fail(GANRT("eval", gen, "--ckpt", gr, "--classifier", gen, "--classifier-ckpt", gr,
                      "--real", data),
                1, "not a classifier");
    expect_fail(GANRT("eval", gen, "--ckpt", gr, "--classifier", path("clf.bin"),
                      "--classifier-ckpt", path("clf_run")),
                2, "missing --real DIR");
    expect_fail(GANRT("eval", "--real-only", "--classifier", path("clf.bin"),
                      "--classifier-ckpt", path("clf_run"), "--real", data, "--holdout", "600"),
                1, "--holdout 600 leaves no training images");
    /* a resumed run keeps its split: another --holdout is refused, none keeps the recorded */
    expect_fail(GANRT("train", path("clf.bin"), "--data", data, "--out", path("clf_run"),
                      "--resume", "--holdout", "100", "--steps", "301"),
                1, "the run was started with another split");
}
END_TEST

/* Field k (0-based) of a CSV line into out ("" when empty or absent). */
static void csv_field(const char *line, int k, char *out, size_t len)
{
    for (int i = 0; i < k && line; i++)
        line = strchr(line, ',') ? strchr(line, ',') + 1 : NULL;
    size_t n = line ? strcspn(line, ",\n") : 0;
    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), line ? line : "");
}

static int csv_col(const char *header, const char *name)
{
    char f[128];
    for (int k = 0; k < 256; k++) {
        csv_field(header, k, f, sizeof f);
        if (!f[0])
            return -1;
        if (!strcmp(f, name))
            return k;
    }
    return -1;
}

/* --eval-every: the figures are named columns of metrics.csv on the due steps (and the
 * last), empty in between; an untrained generator scores near chance; and the training is
 * bit for bit the one without evaluations (the final checkpoints are the same bytes). */
START_TEST(train_eval_every)
{
    char gen[4400], data[4400], ev[4400], plain[4400];
    snprintf(gen, sizeof gen, "%s", path("gen.bin"));
    snprintf(data, sizeof data, "%s", path("data"));
    snprintf(ev, sizeof ev, "%s", path("ev_run"));
    snprintf(plain, sizeof plain, "%s", path("plain_run"));
    ck_assert_msg(GANRT("train", gen, "--data", data, "--out", ev, "--holdout", "200", "--steps",
                        "5", "--threads", "2", "--seed", "4", "--eval-every", "2",
                        "--eval-classifier", path("clf.bin"), "--eval-classifier-ckpt",
                        path("clf_run"), "--eval-n", "200", "--eval-pairs", "20") == 0,
                  "%s", g_out);
    ck_assert_msg(GANRT("train", gen, "--data", data, "--out", plain, "--holdout", "200",
                        "--steps", "5", "--threads", "2", "--seed", "4") == 0, "%s", g_out);
    char a[4500], b[4500];
    snprintf(a, sizeof a, "%s/ckpt/step_000005.ckpt", ev);
    snprintf(b, sizeof b, "%s/ckpt/step_000005.ckpt", plain);
    size_t na = 0, nb = 0;
    uint8_t *ba = NULL, *bb = NULL;
    char e1[512], e2[512];
    ck_assert_msg(!gan_read_file(a, &ba, &na, 1 << 26, e1, sizeof e1), "%s", e1);
    ck_assert_msg(!gan_read_file(b, &bb, &nb, 1 << 26, e2, sizeof e2), "%s", e2);
    ck_assert_msg(na == nb && !memcmp(ba, bb, na),
                  "the evaluations changed the training: %s differs from %s", a, b);
    free(ba);
    free(bb);
    snprintf(a, sizeof a, "%s/metrics.csv", ev);
    char *csv = slurp_text(a);
    int c_bal = csv_col(csv, "eval_bal_acc"), c_fd = csv_col(csv, "eval_frechet"),
        c_eye = csv_col(csv, "eval_bal_Eyeglasses");
    ck_assert_msg(c_bal > 0 && c_fd > 0 && c_eye > 0 && csv_col(csv, "eval_control") > 0 &&
                      csv_col(csv, "eval_diversity") > 0 && csv_col(csv, "eval_acc") > 0,
                  "%s", csv);
    ck_assert_msg(csv_col(csv, "eval_bal_Mustache") < 0, "%s", csv); /* the classifier lacks it */
    const char *line = csv;
    for (int step = 1; step <= 5; step++) {
        line = strchr(line, '\n') + 1;
        char f[64];
        csv_field(line, 0, f, sizeof f);
        ck_assert_int_eq(atoi(f), step);
        csv_field(line, c_bal, f, sizeof f);
        int due = step % 2 == 0 || step == 5;
        ck_assert_msg(due == (f[0] != 0), "step %d: eval_bal_acc '%s'\n%s", step, f, csv);
        if (due) {
            double v = strtod(f, NULL);
            ck_assert_msg(v > 0.3 && v < 0.7, "untrained generator: eval_bal_acc %g", v);
            csv_field(line, c_fd, f, sizeof f);
            ck_assert_msg(strtod(f, NULL) > 1, "eval_frechet '%s'", f);
        }
    }
    free(csv);
    expect_fail(GANRT("train", gen, "--data", data, "--out", path("ev2"), "--eval-every", "2"),
                2, "--eval-every needs --eval-classifier");
    expect_fail(GANRT("train", gen, "--data", data, "--out", path("ev2"), "--eval-classifier",
                      path("clf.bin")),
                2, "go with --eval-every");
    expect_fail(GANRT("train", gen, "--data", data, "--out", path("ev3"), "--eval-every", "2",
                      "--eval-classifier", path("clf1.bin"), "--eval-classifier-ckpt",
                      path("clf1_run"), "--steps", "1"),
                1, "takes 1x16x16 images but the model");
}
END_TEST

/* ganrt visualize on the synthetic-face classifier: from random starts, gradient ascent on the
 * input raises the Eyeglasses logit well above what the random inputs score (and lowers it
 * for "-Eyeglasses"); an unknown attribute is a usage error with a did-you-mean. */
START_TEST(visualize_raises_the_logit)
{
    char clf[4400], run[4400], js[4400], png[4400];
    snprintf(clf, sizeof clf, "%s", path("clf.bin"));
    snprintf(run, sizeof run, "%s", path("clf_run"));
    snprintf(js, sizeof js, "%s", path("vis.json"));
    snprintf(png, sizeof png, "%s", path("vis.png"));
    ck_assert_msg(GANRT("visualize", clf, "--ckpt", run, "--attr", "Eyeglasses,-Eyeglasses",
                        "-n", "4", "--steps", "60", "--threads", "2", "--json", js, "-o",
                        png) == 0, "%s", g_out);
    char *j = slurp_text(js);
    const char *pos = strstr(j, "\"Eyeglasses\""), *neg = strstr(j, "\"not Eyeglasses\"");
    ck_assert_msg(pos && neg, "%s", j);
    double p0 = json_num(pos, NULL, "logit_start"), p1 = json_num(pos, NULL, "logit_end");
    double n0 = json_num(neg, NULL, "logit_start"), n1 = json_num(neg, NULL, "logit_end");
    ck_assert_msg(p1 > p0 + 2 && p1 > 2, "Eyeglasses logit %g -> %g", p0, p1);
    ck_assert_msg(n1 > n0 + 2, "-Eyeglasses: negated logit %g -> %g", n0, n1);
    free(j);
    struct stat st;
    ck_assert_msg(stat(png, &st) == 0 && st.st_size > 100, "%s not written", png);
    expect_fail(GANRT("visualize", clf, "--ckpt", run, "--attr", "Eyeglases", "-o", png), 2,
                "did you mean Eyeglasses");
    /* a GAN's D: its attribute head (cls, beside adv), ascended as the classifier's */
    ck_assert_msg(GANRT("visualize", path("gen.bin"), "--ckpt", path("gen_run"), "--attr",
                        "Eyeglasses,-Blond_Hair", "-n", "4", "--steps", "40", "--threads", "2",
                        "--json", js, "-o", png) == 0, "%s", g_out);
    j = slurp_text(js);
    pos = strstr(j, "\"Eyeglasses\""), neg = strstr(j, "\"not Blond_Hair\"");
    ck_assert_msg(pos && neg, "%s", j);
    p0 = json_num(pos, NULL, "logit_start"), p1 = json_num(pos, NULL, "logit_end");
    n0 = json_num(neg, NULL, "logit_start"), n1 = json_num(neg, NULL, "logit_end");
    ck_assert_msg(p1 > p0 + 0.5, "D's Eyeglasses logit %g -> %g", p0, p1);
    ck_assert_msg(n1 > n0 + 0.5, "D's -Blond_Hair: negated logit %g -> %g", n0, n1);
    free(j);
    /* a projection D (it reads the labels too) has nothing to ascend alone */
    static const char proj_gan[] =
        "data {\n  image 3 x 16 x 16  range [-1, 1]\n  labels [Eyeglasses, Mustache]\n}\n"
        "latent z : 16\n"
        "generator G(z, y) -> image {\n"
        "  out = concat(z, y) | dense(3*16*16) | reshape(3, 16, 16) | tanh\n}\n"
        "discriminator D(x : image, y : labels) -> (adv : 1) {\n"
        "  h = x | flatten | dense(8) | leaky_relu(0.2)\n"
        "  adv = (h | dense(1)) + project(h, y)\n}\n"
        "train {\n  batch 16  steps 1\n"
        "  loss D = hinge_real(D(x, y).adv) + hinge_fake(D(G(z, y), y).adv)\n"
        "  loss G = -mean(D(G(z, y), y).adv)\n"
        "  optimizer D = adam(lr 2e-4)\n  optimizer G = adam(lr 2e-4)\n}\n";
    char src[4400], bin[4400];
    snprintf(src, sizeof src, "%s", path("proj.gan"));
    snprintf(bin, sizeof bin, "%s", path("proj.bin"));
    write_file(src, proj_gan);
    ck_assert_msg(GANC(src, "-o", bin) == 0, "%s", g_out);
    expect_fail(GANRT("visualize", bin, "--ckpt", path("gen_run"), "-o", png), 1,
                "no visualize program");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("eval");
    TCase *m = tcase_create("math");
    tcase_add_test(m, jacobi_reconstructs);
    tcase_add_test(m, frechet_self_symmetric_monotone);
    tcase_add_test(m, frechet_matches_numpy);
    tcase_add_test(m, pairwise_and_confusion);
    suite_add_tcase(s, m);
    TCase *c = tcase_create("ganrt_eval");
    tcase_set_timeout(c, 120);
    tcase_add_test(c, real_only_is_the_ceiling);
    tcase_add_test(c, untrained_generator_near_chance);
    tcase_add_test(c, judge_of_another_size);
    tcase_add_test(c, real_through_the_generated_path);
    tcase_add_test(c, bad_input);
    tcase_add_test(c, train_eval_every);
    tcase_add_test(c, visualize_raises_the_logit);
    suite_add_tcase(s, c);
    make_fixture();
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    train_rmrf(g_dir);
    return failures ? 1 : 0;
}
