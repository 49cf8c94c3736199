/* The ops of ganrt visualize's input gradient (format/op_list.h 57-59): the dot-product loss
 * and the backward of batch norm's inference form, through every fused activation. Finite
 * differences of each gradient, exact values of small cases, and accumulation into a
 * non-zero gradient. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format/ops.h"
#include "runtime/kernels.h"
#include "tests/util/kern_util.h"

#define EPS 3e-3
#define ATOL 1e-3
#define RTOL 1e-2

static void gc_check(kernt_gc *g, unsigned seed, const char *what)
{
    char msg[256];
    int bad = kernt_gradcheck(g, EPS, ATOL, RTOL, (int)g->in_n[0], seed, msg, sizeof msg);
    ck_assert_msg(bad == 0, "%s: %d bad; %s", what, bad, msg);
    ck_assert_msg(g->n_checked > 0, "%s: nothing checked", what);
}

/* ---------------- dot loss: f1 * mean(a * w) ---------------- */
typedef struct { const float *w; float scale; } dot_case;

static void dot_fwd(kernt_gc *g)
{
    dot_case *d = g->user;
    g->out[0][0] = kern_loss_dot_fwd(g->in[0], d->w, d->scale, g->in_n[0], g->in_fd ? 1 : 2);
}

static void dot_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    dot_case *d = g->user;
    kern_loss_dot_bwd(d->w, d->scale, dx[0], g->in_n[0], dy[0][0], 2);
}

START_TEST(dot_grad_and_values)
{
    for (int k = 0; k < 3; k++) {
        size_t n = k == 2 ? 1 : 24;
        float *w = kernt_alloc(n);
        kernt_rng r;
        kernt_seed(&r, 40 + (unsigned)k);
        kernt_fill(&r, w, n, -1, 1);
        if (k == 1) { /* one-hot: the visualize direction */
            memset(w, 0, n * sizeof *w);
            w[5] = 1.0f;
        }
        dot_case d = {w, k == 0 ? -0.7f : 1.0f};
        kernt_gc g = {0};
        g.n_in = g.n_out = 1;
        g.in_n[0] = n;
        g.out_n[0] = 1;
        kernt_gc_setup(&g, 50 + (unsigned)k, -2, 2);
        g.check[0] = 1;
        g.fwd = dot_fwd;
        g.bwd = dot_bwd;
        g.user = &d;
        gc_check(&g, 60 + (unsigned)k, "loss_dot");
        kernt_gc_free(&g);
        free(w);
    }
    float a[4] = {1, 2, 3, 4}, w[4] = {0, 1, 0, -1}, da[4] = {1, 1, 1, 1};
    ck_assert_float_eq(kern_loss_dot_fwd(a, w, 2.0f, 4, 1), 2.0f * (2 - 4) / 4);
    kern_loss_dot_bwd(w, 2.0f, da, 4, 0.5f, 1); /* da += 0.5 * 2 * w / 4 */
    float want[4] = {1, 1.25f, 1, 0.75f};
    ck_assert(memcmp(da, want, sizeof da) == 0);
    ck_assert_float_eq(kern_loss_dot_fwd(a, w, 1.0f, 0, 1), 0.0f);
}
END_TEST

/* ---------------- batch norm, inference form: d(input) ---------------- */
typedef struct { const float *gamma, *beta, *rm, *rv; int n, c, hw, act; float alpha, eps; } bn_case;

static void bn_fwd(kernt_gc *g)
{
    bn_case *b = g->user;
    kern_bn_infer_fwd(g->in[0], b->gamma, b->beta, b->rm, b->rv, g->out[0], b->n, b->c,
                      (size_t)b->hw, b->eps, b->act, b->alpha, g->in_fd ? 1 : 2);
}

static void bn_pre(kernt_gc *g, float *const *z)
{
    bn_case *b = g->user;
    kern_bn_infer_fwd(g->in[0], b->gamma, b->beta, b->rm, b->rv, z[0], b->n, b->c,
                      (size_t)b->hw, b->eps, 0, 0.0f, 1);
}

static void bn_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    bn_case *b = g->user;
    kern_bn_infer_bwd(b->gamma, b->act ? g->out[0] : NULL, dy[0], b->rv, dx[0], b->n, b->c,
                      (size_t)b->hw, b->eps, b->act, b->alpha, 2);
}

START_TEST(bn_infer_grad)
{
    static const int acts[] = {GAN_ACT_NONE, GAN_ACT_RELU, GAN_ACT_LEAKY_RELU, GAN_ACT_TANH, GAN_ACT_SIGMOID};
    int n = 3, c = 4, hw = 5;
    float gamma[4] = {1.5f, -0.5f, 0.8f, 2.0f}, beta[4] = {0.1f, -0.2f, 0.3f, 0.0f};
    float rm[4] = {0.2f, -0.1f, 0.0f, 0.5f}, rv[4] = {0.5f, 2.0f, 1.0f, 0.25f};
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
        for (int with_gamma = 0; with_gamma < 2; with_gamma++) {
            bn_case b = {with_gamma ? gamma : NULL, with_gamma ? beta : NULL, rm, rv, n, c, hw,
                         acts[k], 0.2f, 1e-5f};
            kernt_gc g = {0};
            g.n_in = g.n_out = 1;
            g.in_n[0] = g.out_n[0] = (size_t)n * c * hw;
            kernt_gc_setup(&g, 70 + (unsigned)k, -2, 2);
            g.check[0] = 1;
            g.fwd = bn_fwd;
            g.bwd = bn_bwd;
            g.pre = bn_pre;
            g.user = &b;
            char what[64];
            snprintf(what, sizeof what, "bn_infer act %d gamma %d", acts[k], with_gamma);
            gc_check(&g, 80 + (unsigned)k, what);
            kernt_gc_free(&g);
        }
    }
}
END_TEST

/* no activation: dx += dy * gamma / sqrt(rv + eps), added to what was there */
START_TEST(bn_infer_values_accumulate)
{
    float gamma[2] = {2.0f, -1.0f}, rv[2] = {3.0f, 0.0f}, dy[4] = {1, 2, 3, 4};
    float dx[4] = {1, 1, 1, 1};
    kern_bn_infer_bwd(gamma, NULL, dy, rv, dx, 1, 2, 2, 1.0f, 0, 0.0f, 1);
    float want[4] = {1 + 1.0f, 1 + 2.0f, 1 - 3.0f, 1 - 4.0f};
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq_tol(dx[i], want[i], 1e-6f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_visualize_ops");
    TCase *t = tcase_create("ops");
    tcase_add_test(t, dot_grad_and_values);
    tcase_add_test(t, bn_infer_grad);
    tcase_add_test(t, bn_infer_values_accumulate);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
