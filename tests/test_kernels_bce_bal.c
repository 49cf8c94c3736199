/* The class-balanced BCE (bce_balanced; runtime/kernels/loss_bce_bal.c): its value against a
 * hand computation, its gradient against central finite differences of its own forward (in
 * double, per element), accumulation into a non-zero gradient, the one-class columns, and
 * that it equals plain BCE where every attribute is balanced in the batch. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/kernels.h"

/* element BCE with logits, in double */
static double bce1(double l, double t) { return (l > 0 ? l : 0) - l * t + log1p(exp(-fabs(l))); }

START_TEST(value_by_hand)
{
    /* 4 rows, 2 attributes: column 0 has 1 positive of 4, column 1 has no positive */
    const float l[8] = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f, 0.0f, -2.0f};
    const float t[8] = {1, 0, 0, 0, 0, 0, 0, 0};
    double c0 = 0.5 * bce1(0.5, 1) + 0.5 / 3 * (bce1(2.0, 0) + bce1(-0.75, 0) + bce1(0.0, 0));
    double c1 = 0.25 * (bce1(-1.0, 0) + bce1(0.25, 0) + bce1(1.5, 0) + bce1(-2.0, 0));
    float got = kern_loss_bce_bal_fwd(l, t, 4, 2, 1);
    ck_assert_msg(fabs(got - (c0 + c1) / 2) < 1e-6, "%.9g vs %.9g", (double)got, (c0 + c1) / 2);
    /* balanced columns (2 of 4 positive each): the plain mean BCE */
    const float tb[8] = {1, 0, 1, 1, 0, 1, 0, 0};
    float plain = kern_loss_bce_logits_fwd(l, tb, 0.0f, 8, 1);
    ck_assert_msg(fabsf(kern_loss_bce_bal_fwd(l, tb, 4, 2, 1) - plain) < 1e-6f, "%g vs %g",
                  (double)kern_loss_bce_bal_fwd(l, tb, 4, 2, 1), (double)plain);
    ck_assert(kern_loss_bce_bal_fwd(l, t, 0, 2, 1) == 0.0f);
}
END_TEST

START_TEST(gradient_finite_differences)
{
    enum { N = 9, K = 4 };
    float l[N * K], t[N * K], d[N * K];
    unsigned s = 7;
    for (int i = 0; i < N * K; i++) {
        s = s * 1103515245u + 12345u;
        l[i] = (float)((s >> 8) % 2000) / 500.0f - 2.0f;
        int j = i % K;
        /* column 0 one positive, 1 all positive, 2 half, 3 random */
        int row = i / K;
        t[i] = j == 0 ? (float)(row == 4) : j == 1 ? 1.0f : j == 2 ? (float)(row % 2)
                                                         : (float)((s >> 20) & 1);
        d[i] = 0.25f; /* the backward adds */
    }
    const float w = 1.5f;
    kern_loss_bce_bal_bwd(l, t, d, N, K, w, 2);
    int checked = 0;
    for (int i = 0; i < N * K; i++) {
        const double eps = 1e-2;
        float lp[N * K], lm[N * K];
        memcpy(lp, l, sizeof l);
        memcpy(lm, l, sizeof l);
        lp[i] += (float)eps;
        lm[i] -= (float)eps;
        double fd = w * ((double)kern_loss_bce_bal_fwd(lp, t, N, K, 1) -
                         kern_loss_bce_bal_fwd(lm, t, N, K, 1)) / (2 * eps);
        double an = d[i] - 0.25;
        ck_assert_msg(fabs(an - fd) <= 2e-4 + 1e-2 * fabs(fd), "element %d: analytic %.7g fd %.7g",
                      i, an, fd);
        checked++;
    }
    ck_assert_int_eq(checked, N * K);
    /* thread count does not matter */
    float d1[N * K] = {0}, d2[N * K] = {0};
    kern_loss_bce_bal_bwd(l, t, d1, N, K, w, 1);
    kern_loss_bce_bal_bwd(l, t, d2, N, K, w, 2);
    ck_assert(memcmp(d1, d2, sizeof d1) == 0);
    ck_assert(kern_loss_bce_bal_fwd(l, t, N, K, 1) == kern_loss_bce_bal_fwd(l, t, N, K, 2));
}
END_TEST

/* a rare positive weighs as much as all the negatives of its column */
START_TEST(rare_positive_weight)
{
    enum { N = 16 };
    float l[N] = {0}, t[N] = {0}, d[N] = {0};
    t[3] = 1;
    kern_loss_bce_bal_bwd(l, t, d, N, 1, 1.0f, 1);
    /* sigmoid(0) - t = -0.5 for the positive (weight 1/2), 0.5 for negatives (1/30 each) */
    ck_assert_msg(fabsf(d[3] + 0.25f) < 1e-7f, "%g", (double)d[3]);
    ck_assert_msg(fabsf(d[0] - 0.5f / 30) < 1e-7f, "%g", (double)d[0]);
    double sneg = 0;
    for (int i = 0; i < N; i++)
        if (i != 3)
            sneg += d[i];
    ck_assert_msg(fabs(sneg + d[3]) < 1e-6, "positive %g, negatives %g", (double)d[3], sneg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_bce_bal");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, value_by_hand);
    tcase_add_test(tc, gradient_finite_differences);
    tcase_add_test(tc, rare_positive_weight);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
