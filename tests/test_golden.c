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
#include "tests/util/golden_util.h"

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

static FILE *open_golden(const char *file)
{
    FILE *f = kgold_open(file);
    ck_assert_msg(f != NULL, "cannot open tests/golden/kernels/%s", file);
    return f;
}

static int n_cases;

static void conv_family(const char *file, int transposed)
{
    FILE *f = open_golden(file);
    kgold_case c;
    while (kgold_read(f, &c)) {
        kern_conv_shape s = {(int)kgold_int(&c, "n"), (int)kgold_int(&c, "c"), (int)kgold_int(&c, "h"),
                             (int)kgold_int(&c, "w"), (int)kgold_int(&c, "oc"), (int)kgold_int(&c, "kh"),
                             (int)kgold_int(&c, "kw"), (int)kgold_int(&c, "oh"), (int)kgold_int(&c, "ow"),
                             (int)kgold_int(&c, "stride"), (int)kgold_int(&c, "pad_t"), (int)kgold_int(&c, "pad_l"), NULL, 0};
        int act = (int)kgold_int(&c, "act"), bias = (int)kgold_int(&c, "bias");
        float alpha = (float)kgold_float(&c, "alpha");
        size_t nx = (size_t)s.n * s.c * s.h * s.w, nw = (size_t)s.oc * s.c * s.kh * s.kw,
               ny = (size_t)s.n * s.oc * s.oh * s.ow;
        float *x = kgold_tensor(&c, "x", nx), *w = kgold_tensor(&c, "w", nw), *b = bias ? kgold_tensor(&c, "b", s.oc) : NULL;
        float *y = zeros(ny), *dx = zeros(nx), *dw = zeros(nw), *db = zeros(s.oc);
        float *ws = zeros(transposed ? kern_conv2d_t_ws_floats(&s) : kern_conv2d_ws_floats(&s));
        float *dy = dup(kgold_tensor(&c, "dy", ny), ny);
        int rc = transposed ? kern_conv2d_t_fwd(&s, x, w, b, y, ws, act, alpha, 2)
                            : kern_conv2d_fwd(&s, x, w, b, y, ws, act, alpha, 2);
        ck_assert_int_eq(rc, 0);
        kgold_compare(&c, "y", y, kgold_tensor(&c, "y", ny), ny);
        rc = transposed ? kern_conv2d_t_bwd(&s, x, w, y, dy, dx, dw, bias ? db : NULL, ws, act,
                                            alpha, 2)
                        : kern_conv2d_bwd(&s, x, w, y, dy, dx, dw, bias ? db : NULL, ws, act, alpha,
                                          2);
        ck_assert_int_eq(rc, 0);
        kgold_compare(&c, "dx", dx, kgold_tensor(&c, "dx", nx), nx);
        kgold_compare(&c, "dw", dw, kgold_tensor(&c, "dw", nw), nw);
        if (bias)
            kgold_compare(&c, "db", db, kgold_tensor(&c, "db", s.oc), s.oc);
        free(y); free(dx); free(dw); free(db); free(ws); free(dy);
        kgold_free(&c);
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
    kgold_case c;
    while (kgold_read(f, &c)) {
        int n = (int)kgold_int(&c, "n"), k = (int)kgold_int(&c, "k"), m = (int)kgold_int(&c, "m"), act = (int)kgold_int(&c, "act");
        int bias = (int)kgold_int(&c, "bias");
        float alpha = (float)kgold_float(&c, "alpha");
        float *x = kgold_tensor(&c, "x", (size_t)n * k), *w = kgold_tensor(&c, "w", (size_t)m * k);
        float *b = bias ? kgold_tensor(&c, "b", m) : NULL;
        float *y = zeros((size_t)n * m), *dx = zeros((size_t)n * k), *dw = zeros((size_t)m * k),
              *db = zeros(m), *dy = dup(kgold_tensor(&c, "dy", (size_t)n * m), (size_t)n * m);
        kern_dense_fwd(x, w, b, y, n, k, m, act, alpha, 2);
        kgold_compare(&c, "y", y, kgold_tensor(&c, "y", (size_t)n * m), (size_t)n * m);
        kern_dense_bwd(x, w, y, dy, dx, dw, bias ? db : NULL, n, k, m, act, alpha, 2);
        kgold_compare(&c, "dx", dx, kgold_tensor(&c, "dx", (size_t)n * k), (size_t)n * k);
        kgold_compare(&c, "dw", dw, kgold_tensor(&c, "dw", (size_t)m * k), (size_t)m * k);
        if (bias)
            kgold_compare(&c, "db", db, kgold_tensor(&c, "db", m), m);
        free(y); free(dx); free(dw); free(db); free(dy);
        kgold_free(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "no golden case read");
}
END_TEST

START_TEST(golden_batchnorm)
{
    FILE *f = open_golden("batchnorm.txt");
    kgold_case c;
    while (kgold_read(f, &c)) {
        int n = (int)kgold_int(&c, "n"), ch = (int)kgold_int(&c, "c"), act = (int)kgold_int(&c, "act");
        size_t hw = (size_t)kgold_int(&c, "hw"), nx = (size_t)n * ch * hw;
        float alpha = (float)kgold_float(&c, "alpha"), mom = (float)kgold_float(&c, "momentum"), eps = (float)kgold_float(&c, "eps");
        float *g = kgold_tensor(&c, "gamma", ch), *bt = kgold_tensor(&c, "beta", ch);
        float *rm = dup(kgold_tensor(&c, "rm0", ch), ch), *rv = dup(kgold_tensor(&c, "rv0", ch), ch);
        float *y = zeros(nx), *sm = zeros(ch), *si = zeros(ch), *dx = zeros(nx), *dg = zeros(ch),
              *db = zeros(ch), *dy = dup(kgold_tensor(&c, "dy", nx), nx);
        /* step 1 (running statistics only; no saved stats wanted), then step 2 */
        kern_bn_train_fwd(kgold_tensor(&c, "x1", nx), g, bt, rm, rv, y, NULL, NULL, n, ch, hw, mom, eps, act,
                          alpha, 2);
        float *x = kgold_tensor(&c, "x", nx);
        kern_bn_train_fwd(x, g, bt, rm, rv, y, sm, si, n, ch, hw, mom, eps, act, alpha, 2);
        kgold_compare(&c, "y", y, kgold_tensor(&c, "y", nx), nx);
        kgold_compare(&c, "running_mean", rm, kgold_tensor(&c, "rm", ch), ch);
        kgold_compare(&c, "running_var", rv, kgold_tensor(&c, "rv", ch), ch);
        kern_bn_train_bwd(x, g, y, dy, sm, si, dx, dg, db, n, ch, hw, act, alpha, 2);
        kgold_compare(&c, "dx", dx, kgold_tensor(&c, "dx", nx), nx);
        kgold_compare(&c, "dgamma", dg, kgold_tensor(&c, "dgamma", ch), ch);
        kgold_compare(&c, "dbeta", db, kgold_tensor(&c, "dbeta", ch), ch);
        kern_bn_infer_fwd(x, g, bt, rm, rv, y, n, ch, hw, eps, act, alpha, 2);
        kgold_compare(&c, "y_infer", y, kgold_tensor(&c, "y_infer", nx), nx);
        free(rm); free(rv); free(y); free(sm); free(si); free(dx); free(dg); free(db); free(dy);
        kgold_free(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "no golden case read");
}
END_TEST

START_TEST(golden_spectral_norm)
{
    FILE *f = open_golden("spectral_norm.txt");
    kgold_case c;
    while (kgold_read(f, &c)) {
        int o = (int)kgold_int(&c, "o"), steps = (int)kgold_int(&c, "steps");
        size_t k = (size_t)kgold_int(&c, "k"), nw = (size_t)o * k;
        float eps = (float)kgold_float(&c, "eps");
        float *w = kgold_tensor(&c, "w", nw), *u = dup(kgold_tensor(&c, "u0", o), o), *v = zeros(k), sigma = 0;
        float *wsn = zeros(nw), *dw = zeros(nw);
        char key[32];
        for (int s = 1; s <= steps; s++) {
            kern_spectral_norm_fwd(w, u, wsn, v, &sigma, o, k, 1, eps, 2);
            snprintf(key, sizeof key, "u%d", s);
            kgold_compare(&c, key, u, kgold_tensor(&c, key, o), o);
            snprintf(key, sizeof key, "v%d", s);
            kgold_compare(&c, key, v, kgold_tensor(&c, key, k), k);
            snprintf(key, sizeof key, "sigma%d", s);
            kgold_compare(&c, key, &sigma, kgold_tensor(&c, key, 1), 1);
            snprintf(key, sizeof key, "wsn%d", s);
            kgold_compare(&c, key, wsn, kgold_tensor(&c, key, nw), nw);
        }
        kern_spectral_norm_bwd(w, u, v, sigma, kgold_tensor(&c, "dwsn", nw), dw, o, k, 2);
        kgold_compare(&c, "dw", dw, kgold_tensor(&c, "dw", nw), nw);
        free(u); free(v); free(wsn); free(dw);
        kgold_free(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "no golden case read");
}
END_TEST

START_TEST(golden_losses)
{
    FILE *f = open_golden("losses.txt");
    kgold_case c;
    while (kgold_read(f, &c)) {
        float wgt = (float)kgold_float(&c, "weight"), loss;
        int sce = !strcmp(c.name, "softmax_ce");
        size_t n = sce ? (size_t)kgold_int(&c, "n") * kgold_int(&c, "k") : (size_t)kgold_int(&c, "n");
        float *a = kgold_tensor(&c, "a", n), *t = kgold_tensor_opt(&c, "t"), *da = zeros(n);
        if (!strcmp(c.name, "hinge_real")) {
            loss = kern_loss_hinge_real_fwd(a, n, 2);
            kern_loss_hinge_real_bwd(a, da, n, wgt, 2);
        } else if (!strcmp(c.name, "hinge_fake")) {
            loss = kern_loss_hinge_fake_fwd(a, n, 2);
            kern_loss_hinge_fake_bwd(a, da, n, wgt, 2);
        } else if (!strcmp(c.name, "mean")) {
            float sc = (float)kgold_float(&c, "scale");
            loss = kern_loss_mean_fwd(a, n, sc, 2);
            kern_loss_mean_bwd(da, n, wgt, sc, 2);
        } else if (!strncmp(c.name, "bce_logits", 10)) {
            float tc = t ? 0.0f : (float)kgold_float(&c, "target");
            loss = kern_loss_bce_logits_fwd(a, t, tc, n, 2);
            kern_loss_bce_logits_bwd(a, t, tc, da, n, wgt, 2);
        } else if (!strncmp(c.name, "bce", 3)) {
            float tc = t ? 0.0f : (float)kgold_float(&c, "target");
            loss = kern_loss_bce_fwd(a, t, tc, n, 2);
            kern_loss_bce_bwd(a, t, tc, da, n, wgt, 2);
        } else {
            ck_assert_msg(sce, "unknown loss case %s", c.name);
            int rows = (int)kgold_int(&c, "n"), kk = (int)kgold_int(&c, "k");
            loss = kern_loss_softmax_ce_fwd(a, t, rows, kk, 2);
            kern_loss_softmax_ce_bwd(a, t, da, rows, kk, wgt, 2);
        }
        kgold_compare(&c, "loss", &loss, kgold_tensor(&c, "loss", 1), 1);
        kgold_compare(&c, "da", da, kgold_tensor(&c, "da", n), n);
        free(da);
        kgold_free(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "no golden case read");
}
END_TEST

START_TEST(golden_adam)
{
    FILE *f = open_golden("adam.txt");
    kgold_case c;
    while (kgold_read(f, &c)) {
        size_t n = (size_t)kgold_int(&c, "n");
        int steps = (int)kgold_int(&c, "steps");
        float *p = dup(kgold_tensor(&c, "p0", n), n), *m = zeros(n), *v = zeros(n);
        char key[16];
        for (int s = 1; s <= steps; s++) {
            snprintf(key, sizeof key, "g%d", s);
            kern_adam(p, kgold_tensor(&c, key, n), m, v, n, (float)s, (float)kgold_float(&c, "lr"),
                      (float)kgold_float(&c, "beta1"), (float)kgold_float(&c, "beta2"), (float)kgold_float(&c, "eps"), 2);
        }
        kgold_compare(&c, "p", p, kgold_tensor(&c, "p", n), n);
        kgold_compare(&c, "m", m, kgold_tensor(&c, "m", n), n);
        kgold_compare(&c, "v", v, kgold_tensor(&c, "v", n), n);
        free(p); free(m); free(v);
        kgold_free(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "no golden case read");
}
END_TEST

START_TEST(golden_misc)
{
    FILE *f = open_golden("misc.txt");
    kgold_case c;
    while (kgold_read(f, &c)) {
        if (!strcmp(c.name, "upsample2")) {
            size_t nc = (size_t)kgold_int(&c, "nc");
            int h = (int)kgold_int(&c, "h"), w = (int)kgold_int(&c, "w"), fct = (int)kgold_int(&c, "f");
            size_t nx = nc * h * w, ny = nx * fct * fct;
            float *y = zeros(ny), *dx = zeros(nx);
            kern_upsample_fwd(kgold_tensor(&c, "x", nx), y, nc, h, w, fct, 2);
            kern_upsample_bwd(kgold_tensor(&c, "dy", ny), dx, nc, h, w, fct, 2);
            kgold_compare(&c, "y", y, kgold_tensor(&c, "y", ny), ny);
            kgold_compare(&c, "dx", dx, kgold_tensor(&c, "dx", nx), nx);
            free(y); free(dx);
        } else if (!strcmp(c.name, "gap")) {
            int n = (int)kgold_int(&c, "n"), ch = (int)kgold_int(&c, "c");
            size_t hw = (size_t)kgold_int(&c, "hw"), nx = (size_t)n * ch * hw;
            float *y = zeros((size_t)n * ch), *dx = zeros(nx);
            kern_gap_fwd(kgold_tensor(&c, "x", nx), y, n, ch, hw, 2);
            kern_gap_bwd(kgold_tensor(&c, "dy", (size_t)n * ch), dx, n, ch, hw, 2);
            kgold_compare(&c, "y", y, kgold_tensor(&c, "y", (size_t)n * ch), (size_t)n * ch);
            kgold_compare(&c, "dx", dx, kgold_tensor(&c, "dx", nx), nx);
            free(y); free(dx);
        } else {
            size_t n = (size_t)kgold_int(&c, "n");
            int act = (int)kgold_int(&c, "act");
            float alpha = (float)kgold_float(&c, "alpha");
            float *y = zeros(n), *dx = zeros(n);
            kern_act_fwd(kgold_tensor(&c, "x", n), y, n, act, alpha, 2);
            kern_act_bwd(y, kgold_tensor(&c, "dy", n), dx, n, act, alpha, 2);
            kgold_compare(&c, "y", y, kgold_tensor(&c, "y", n), n);
            kgold_compare(&c, "dx", dx, kgold_tensor(&c, "dx", n), n);
            free(y); free(dx);
        }
        kgold_free(&c);
        n_cases++;
    }
    fclose(f);
    ck_assert_msg(n_cases > 0, "no golden case read");
}
END_TEST

int main(void)
{
    FILE *probe = kgold_open("conv2d.txt");
    if (probe) {
        fclose(probe);
    } else {
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
