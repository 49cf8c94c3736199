/* The C kernels against the PyTorch golden reference in tests/golden/kernels/ (written by
 * tests/gen_golden.py). Relative tolerance 1e-4 (plus a small floor scaled by the array's
 * largest value, for elements that are sums cancelling to near zero). Skips with a message
 * when the golden files are missing. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/kernels.h"
#include "format/ops.h"

#define MAXKV 48
typedef struct {
    char name[96];
    int n_int, n_float, n_tensor;
    char ik[MAXKV][32], fk[MAXKV][32], tk[MAXKV][32];
    long iv[MAXKV];
    double fv[MAXKV];
    float *tv[MAXKV];
    size_t tn[MAXKV];
} gcase;

static char golden_dir[1024];

/* golden files relative to the repository root: the current directory, or two levels above
 * GAN_BUILD (build/<variant>) */
static int find_golden(void)
{
    const char *rel = "tests/golden/kernels";
    FILE *f;
    snprintf(golden_dir, sizeof golden_dir, "%s", rel);
    char probe[1100];
    snprintf(probe, sizeof probe, "%s/conv2d.txt", golden_dir);
    if ((f = fopen(probe, "r"))) {
        fclose(f);
        return 1;
    }
    const char *b = getenv("GAN_BUILD");
    if (b) {
        snprintf(golden_dir, sizeof golden_dir, "%s/../../%s", b, rel);
        snprintf(probe, sizeof probe, "%s/conv2d.txt", golden_dir);
        if ((f = fopen(probe, "r"))) {
            fclose(f);
            return 1;
        }
    }
    return 0;
}

static void free_case(gcase *c)
{
    for (int i = 0; i < c->n_tensor; i++)
        free(c->tv[i]);
    memset(c, 0, sizeof *c);
}

/* Reads the next case; 1 = got one, 0 = end of file. Fails the test on a malformed file. */
static int read_case(FILE *f, gcase *c)
{
    char kw[32];
    memset(c, 0, sizeof *c);
    if (fscanf(f, "%31s", kw) != 1)
        return 0;
    ck_assert_str_eq(kw, "case");
    ck_assert_int_eq(fscanf(f, "%95s", c->name), 1);
    for (;;) {
        ck_assert_int_eq(fscanf(f, "%31s", kw), 1);
        if (!strcmp(kw, "end"))
            return 1;
        if (!strcmp(kw, "int")) {
            ck_assert_int_lt(c->n_int, MAXKV);
            ck_assert_int_eq(fscanf(f, "%31s %ld", c->ik[c->n_int], &c->iv[c->n_int]), 2);
            c->n_int++;
        } else if (!strcmp(kw, "float")) {
            ck_assert_int_lt(c->n_float, MAXKV);
            ck_assert_int_eq(fscanf(f, "%31s %lf", c->fk[c->n_float], &c->fv[c->n_float]), 2);
            c->n_float++;
        } else if (!strcmp(kw, "tensor")) {
            int i = c->n_tensor;
            ck_assert_int_lt(i, MAXKV);
            ck_assert_int_eq(fscanf(f, "%31s %zu", c->tk[i], &c->tn[i]), 2);
            ck_assert(c->tn[i] > 0 && c->tn[i] < 10000000);
            c->tv[i] = malloc(c->tn[i] * sizeof(float));
            ck_assert_ptr_nonnull(c->tv[i]);
            for (size_t k = 0; k < c->tn[i]; k++)
                ck_assert_int_eq(fscanf(f, "%f", &c->tv[i][k]), 1);
            c->n_tensor++;
        } else {
            ck_abort_msg("golden %s: unknown keyword '%s'", c->name, kw);
        }
    }
}

static long gi(const gcase *c, const char *k)
{
    for (int i = 0; i < c->n_int; i++)
        if (!strcmp(c->ik[i], k))
            return c->iv[i];
    ck_abort_msg("golden %s: no int %s", c->name, k);
    return 0;
}

static double gf(const gcase *c, const char *k)
{
    for (int i = 0; i < c->n_float; i++)
        if (!strcmp(c->fk[i], k))
            return c->fv[i];
    ck_abort_msg("golden %s: no float %s", c->name, k);
    return 0;
}

static float *gt_opt(const gcase *c, const char *k)
{
    for (int i = 0; i < c->n_tensor; i++)
        if (!strcmp(c->tk[i], k))
            return c->tv[i];
    return NULL;
}

static float *gt(const gcase *c, const char *k, size_t n)
{
    for (int i = 0; i < c->n_tensor; i++)
        if (!strcmp(c->tk[i], k)) {
            ck_assert_msg(c->tn[i] == n, "golden %s: tensor %s has %zu values, expected %zu",
                          c->name, k, c->tn[i], n);
            return c->tv[i];
        }
    ck_abort_msg("golden %s: no tensor %s", c->name, k);
    return NULL;
}

static float *zeros(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof *p);
    ck_assert_ptr_nonnull(p);
    return p;
}

static float *dup(const float *x, size_t n)
{
    float *p = zeros(n);
    memcpy(p, x, n * sizeof *p);
    return p;
}

#define RTOL 1e-4

static void compare(const gcase *c, const char *what, const float *got, const float *ref, size_t n)
{
    double scale = 0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(ref[i]));
    for (size_t i = 0; i < n; i++) {
        double tol = RTOL * (fabs(ref[i]) + 0.01 * scale) + 1e-7;
        ck_assert_msg(fabs((double)got[i] - ref[i]) <= tol,
                      "golden %s: %s[%zu] = %.9g, torch %.9g (tol %.3g)", c->name, what, i,
                      got[i], ref[i], tol);
    }
}

static FILE *open_golden(const char *file)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", golden_dir, file);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    return f;
}

static int n_cases;

static void conv_family(const char *file, int transposed)
{
    FILE *f = open_golden(file);
    gcase c;
    while (read_case(f, &c)) {
        kern_conv_shape s = {(int)gi(&c, "n"), (int)gi(&c, "c"), (int)gi(&c, "h"),
                             (int)gi(&c, "w"), (int)gi(&c, "oc"), (int)gi(&c, "kh"),
                             (int)gi(&c, "kw"), (int)gi(&c, "oh"), (int)gi(&c, "ow"),
                             (int)gi(&c, "stride"), (int)gi(&c, "pad_t"), (int)gi(&c, "pad_l"), NULL};
        int act = (int)gi(&c, "act"), bias = (int)gi(&c, "bias");
        float alpha = (float)gf(&c, "alpha");
        size_t nx = (size_t)s.n * s.c * s.h * s.w, nw = (size_t)s.oc * s.c * s.kh * s.kw,
               ny = (size_t)s.n * s.oc * s.oh * s.ow;
        float *x = gt(&c, "x", nx), *w = gt(&c, "w", nw), *b = bias ? gt(&c, "b", s.oc) : NULL;
        float *y = zeros(ny), *dx = zeros(nx), *dw = zeros(nw), *db = zeros(s.oc);
        float *ws = zeros(transposed ? kern_conv2d_t_ws_floats(&s) : kern_conv2d_ws_floats(&s));
        float *dy = dup(gt(&c, "dy", ny), ny);
        int rc = transposed ? kern_conv2d_t_fwd(&s, x, w, b, y, ws, act, alpha, 2)
                            : kern_conv2d_fwd(&s, x, w, b, y, ws, act, alpha, 2);
        ck_assert_int_eq(rc, 0);
        compare(&c, "y", y, gt(&c, "y", ny), ny);
        rc = transposed ? kern_conv2d_t_bwd(&s, x, w, y, dy, dx, dw, bias ? db : NULL, ws, act,
                                            alpha, 2)
                        : kern_conv2d_bwd(&s, x, w, y, dy, dx, dw, bias ? db : NULL, ws, act, alpha,
                                          2);
        ck_assert_int_eq(rc, 0);
        compare(&c, "dx", dx, gt(&c, "dx", nx), nx);
        compare(&c, "dw", dw, gt(&c, "dw", nw), nw);
        if (bias)
            compare(&c, "db", db, gt(&c, "db", s.oc), s.oc);
        free(y); free(dx); free(dw); free(db); free(ws); free(dy);
        free_case(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "%s holds no case", file);
}

START_TEST(golden_conv2d) { conv_family("conv2d.txt", 0); }
END_TEST
START_TEST(golden_conv2d_t) { conv_family("conv2d_t.txt", 1); }
END_TEST

START_TEST(golden_dense)
{
    FILE *f = open_golden("dense.txt");
    gcase c;
    while (read_case(f, &c)) {
        int n = (int)gi(&c, "n"), k = (int)gi(&c, "k"), m = (int)gi(&c, "m"), act = (int)gi(&c, "act");
        int bias = (int)gi(&c, "bias");
        float alpha = (float)gf(&c, "alpha");
        float *x = gt(&c, "x", (size_t)n * k), *w = gt(&c, "w", (size_t)m * k);
        float *b = bias ? gt(&c, "b", m) : NULL;
        float *y = zeros((size_t)n * m), *dx = zeros((size_t)n * k), *dw = zeros((size_t)m * k),
              *db = zeros(m), *dy = dup(gt(&c, "dy", (size_t)n * m), (size_t)n * m);
        kern_dense_fwd(x, w, b, y, n, k, m, act, alpha, 2);
        compare(&c, "y", y, gt(&c, "y", (size_t)n * m), (size_t)n * m);
        kern_dense_bwd(x, w, y, dy, dx, dw, bias ? db : NULL, n, k, m, act, alpha, 2);
        compare(&c, "dx", dx, gt(&c, "dx", (size_t)n * k), (size_t)n * k);
        compare(&c, "dw", dw, gt(&c, "dw", (size_t)m * k), (size_t)m * k);
        if (bias)
            compare(&c, "db", db, gt(&c, "db", m), m);
        free(y); free(dx); free(dw); free(db); free(dy);
        free_case(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "no golden case read");
}
END_TEST

START_TEST(golden_batchnorm)
{
    FILE *f = open_golden("batchnorm.txt");
    gcase c;
    while (read_case(f, &c)) {
        int n = (int)gi(&c, "n"), ch = (int)gi(&c, "c"), act = (int)gi(&c, "act");
        size_t hw = (size_t)gi(&c, "hw"), nx = (size_t)n * ch * hw;
        float alpha = (float)gf(&c, "alpha"), mom = (float)gf(&c, "momentum"), eps = (float)gf(&c, "eps");
        float *g = gt(&c, "gamma", ch), *bt = gt(&c, "beta", ch);
        float *rm = dup(gt(&c, "rm0", ch), ch), *rv = dup(gt(&c, "rv0", ch), ch);
        float *y = zeros(nx), *sm = zeros(ch), *si = zeros(ch), *dx = zeros(nx), *dg = zeros(ch),
              *db = zeros(ch), *dy = dup(gt(&c, "dy", nx), nx);
        /* step 1 (running statistics only; no saved stats wanted), then step 2 */
        kern_bn_train_fwd(gt(&c, "x1", nx), g, bt, rm, rv, y, NULL, NULL, n, ch, hw, mom, eps, act,
                          alpha, 2);
        float *x = gt(&c, "x", nx);
        kern_bn_train_fwd(x, g, bt, rm, rv, y, sm, si, n, ch, hw, mom, eps, act, alpha, 2);
        compare(&c, "y", y, gt(&c, "y", nx), nx);
        compare(&c, "running_mean", rm, gt(&c, "rm", ch), ch);
        compare(&c, "running_var", rv, gt(&c, "rv", ch), ch);
        kern_bn_train_bwd(x, g, y, dy, sm, si, dx, dg, db, n, ch, hw, act, alpha, 2);
        compare(&c, "dx", dx, gt(&c, "dx", nx), nx);
        compare(&c, "dgamma", dg, gt(&c, "dgamma", ch), ch);
        compare(&c, "dbeta", db, gt(&c, "dbeta", ch), ch);
        kern_bn_infer_fwd(x, g, bt, rm, rv, y, n, ch, hw, eps, act, alpha, 2);
        compare(&c, "y_infer", y, gt(&c, "y_infer", nx), nx);
        free(rm); free(rv); free(y); free(sm); free(si); free(dx); free(dg); free(db); free(dy);
        free_case(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "no golden case read");
}
END_TEST

START_TEST(golden_spectral_norm)
{
    FILE *f = open_golden("spectral_norm.txt");
    gcase c;
    while (read_case(f, &c)) {
        int o = (int)gi(&c, "o"), steps = (int)gi(&c, "steps");
        size_t k = (size_t)gi(&c, "k"), nw = (size_t)o * k;
        float eps = (float)gf(&c, "eps");
        float *w = gt(&c, "w", nw), *u = dup(gt(&c, "u0", o), o), *v = zeros(k), sigma = 0;
        float *wsn = zeros(nw), *dw = zeros(nw);
        char key[32];
        for (int s = 1; s <= steps; s++) {
            kern_spectral_norm_fwd(w, u, wsn, v, &sigma, o, k, 1, eps, 2);
            snprintf(key, sizeof key, "u%d", s);
            compare(&c, key, u, gt(&c, key, o), o);
            snprintf(key, sizeof key, "v%d", s);
            compare(&c, key, v, gt(&c, key, k), k);
            snprintf(key, sizeof key, "sigma%d", s);
            compare(&c, key, &sigma, gt(&c, key, 1), 1);
            snprintf(key, sizeof key, "wsn%d", s);
            compare(&c, key, wsn, gt(&c, key, nw), nw);
        }
        kern_spectral_norm_bwd(w, u, v, sigma, gt(&c, "dwsn", nw), dw, o, k, 2);
        compare(&c, "dw", dw, gt(&c, "dw", nw), nw);
        free(u); free(v); free(wsn); free(dw);
        free_case(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "no golden case read");
}
END_TEST

START_TEST(golden_losses)
{
    FILE *f = open_golden("losses.txt");
    gcase c;
    while (read_case(f, &c)) {
        float wgt = (float)gf(&c, "weight"), loss;
        int sce = !strcmp(c.name, "softmax_ce");
        size_t n = sce ? (size_t)gi(&c, "n") * gi(&c, "k") : (size_t)gi(&c, "n");
        float *a = gt(&c, "a", n), *t = gt_opt(&c, "t"), *da = zeros(n);
        if (!strcmp(c.name, "hinge_real")) {
            loss = kern_loss_hinge_real_fwd(a, n, 2);
            kern_loss_hinge_real_bwd(a, da, n, wgt, 2);
        } else if (!strcmp(c.name, "hinge_fake")) {
            loss = kern_loss_hinge_fake_fwd(a, n, 2);
            kern_loss_hinge_fake_bwd(a, da, n, wgt, 2);
        } else if (!strcmp(c.name, "mean")) {
            float sc = (float)gf(&c, "scale");
            loss = kern_loss_mean_fwd(a, n, sc, 2);
            kern_loss_mean_bwd(da, n, wgt, sc, 2);
        } else if (!strncmp(c.name, "bce_logits", 10)) {
            float tc = t ? 0.0f : (float)gf(&c, "target");
            loss = kern_loss_bce_logits_fwd(a, t, tc, n, 2);
            kern_loss_bce_logits_bwd(a, t, tc, da, n, wgt, 2);
        } else if (!strncmp(c.name, "bce", 3)) {
            float tc = t ? 0.0f : (float)gf(&c, "target");
            loss = kern_loss_bce_fwd(a, t, tc, n, 2);
            kern_loss_bce_bwd(a, t, tc, da, n, wgt, 2);
        } else {
            ck_assert_msg(sce, "unknown loss case %s", c.name);
            int rows = (int)gi(&c, "n"), kk = (int)gi(&c, "k");
            loss = kern_loss_softmax_ce_fwd(a, t, rows, kk, 2);
            kern_loss_softmax_ce_bwd(a, t, da, rows, kk, wgt, 2);
        }
        compare(&c, "loss", &loss, gt(&c, "loss", 1), 1);
        compare(&c, "da", da, gt(&c, "da", n), n);
        free(da);
        free_case(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "no golden case read");
}
END_TEST

START_TEST(golden_adam)
{
    FILE *f = open_golden("adam.txt");
    gcase c;
    while (read_case(f, &c)) {
        size_t n = (size_t)gi(&c, "n");
        int steps = (int)gi(&c, "steps");
        float *p = dup(gt(&c, "p0", n), n), *m = zeros(n), *v = zeros(n);
        char key[16];
        for (int s = 1; s <= steps; s++) {
            snprintf(key, sizeof key, "g%d", s);
            kern_adam(p, gt(&c, key, n), m, v, n, (float)s, (float)gf(&c, "lr"),
                      (float)gf(&c, "beta1"), (float)gf(&c, "beta2"), (float)gf(&c, "eps"), 2);
        }
        compare(&c, "p", p, gt(&c, "p", n), n);
        compare(&c, "m", m, gt(&c, "m", n), n);
        compare(&c, "v", v, gt(&c, "v", n), n);
        free(p); free(m); free(v);
        free_case(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "no golden case read");
}
END_TEST

START_TEST(golden_misc)
{
    FILE *f = open_golden("misc.txt");
    gcase c;
    while (read_case(f, &c)) {
        if (!strcmp(c.name, "upsample2")) {
            size_t nc = (size_t)gi(&c, "nc");
            int h = (int)gi(&c, "h"), w = (int)gi(&c, "w"), fct = (int)gi(&c, "f");
            size_t nx = nc * h * w, ny = nx * fct * fct;
            float *y = zeros(ny), *dx = zeros(nx);
            kern_upsample_fwd(gt(&c, "x", nx), y, nc, h, w, fct, 2);
            kern_upsample_bwd(gt(&c, "dy", ny), dx, nc, h, w, fct, 2);
            compare(&c, "y", y, gt(&c, "y", ny), ny);
            compare(&c, "dx", dx, gt(&c, "dx", nx), nx);
            free(y); free(dx);
        } else if (!strcmp(c.name, "gap")) {
            int n = (int)gi(&c, "n"), ch = (int)gi(&c, "c");
            size_t hw = (size_t)gi(&c, "hw"), nx = (size_t)n * ch * hw;
            float *y = zeros((size_t)n * ch), *dx = zeros(nx);
            kern_gap_fwd(gt(&c, "x", nx), y, n, ch, hw, 2);
            kern_gap_bwd(gt(&c, "dy", (size_t)n * ch), dx, n, ch, hw, 2);
            compare(&c, "y", y, gt(&c, "y", (size_t)n * ch), (size_t)n * ch);
            compare(&c, "dx", dx, gt(&c, "dx", nx), nx);
            free(y); free(dx);
        } else {
            size_t n = (size_t)gi(&c, "n");
            int act = (int)gi(&c, "act");
            float alpha = (float)gf(&c, "alpha");
            float *y = zeros(n), *dx = zeros(n);
            kern_act_fwd(gt(&c, "x", n), y, n, act, alpha, 2);
            kern_act_bwd(y, gt(&c, "dy", n), dx, n, act, alpha, 2);
            compare(&c, "y", y, gt(&c, "y", n), n);
            compare(&c, "dx", dx, gt(&c, "dx", n), n);
            free(y); free(dx);
        }
        free_case(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "no golden case read");
}
END_TEST

int main(void)
{
    if (!find_golden()) {
        printf("test_golden: SKIPPED: tests/golden/kernels not found (run from the repository "
               "root or set GAN_BUILD; regenerate with /usr/bin/python3 tests/gen_golden.py)\n");
        return 0;
    }
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("torch");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, golden_conv2d);
    tcase_add_test(tc, golden_conv2d_t);
    tcase_add_test(tc, golden_dense);
    tcase_add_test(tc, golden_batchnorm);
    tcase_add_test(tc, golden_spectral_norm);
    tcase_add_test(tc, golden_losses);
    tcase_add_test(tc, golden_adam);
    tcase_add_test(tc, golden_misc);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
