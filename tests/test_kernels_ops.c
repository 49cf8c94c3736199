/* Kernels: batch norm (train through the batch statistics, running stats, inference),
 * activations, concat/tile/gap/upsample/add/mul/rowdot, spectral norm, losses, Adam, EMA. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/util/kern_util.h"
#include "format/ops.h"

#define EPS 3e-3
#define ATOL 1e-3
#define RTOL 1e-2

static void check_grad(kernt_gc *g, int max_checks, unsigned seed, const char *what)
{
    char msg[256];
    int bad = kernt_gradcheck(g, EPS, ATOL, RTOL, max_checks, seed, msg, sizeof msg);
    ck_assert_msg(bad == 0, "%s: %d bad; %s", what, bad, msg);
    ck_assert_msg(g->n_checked > 0 && g->n_checked >= g->n_skipped, "%s: %d checked, %d skipped",
                  what, g->n_checked, g->n_skipped);
}

/* ---------------- batch norm ---------------- */
typedef struct {
    int n, c, act, affine;
    size_t hw;
    float alpha, eps;
    float *rm, *rv, *sm, *si;
} bn_case;

static void bn_fwd_act(kernt_gc *g, int act, float *y)
{
    bn_case *b = g->user;
    kern_bn_train_fwd(g->in[0], b->affine ? g->in[1] : NULL, b->affine ? g->in[2] : NULL, b->rm,
                      b->rv, y, b->sm, b->si, b->n, b->c, b->hw, 0.8f, b->eps, act, b->alpha,
                      g->in_fd ? 1 : 2);
}
static void bn_fwd(kernt_gc *g) { bn_fwd_act(g, ((bn_case *)g->user)->act, g->out[0]); }
static void bn_pre(kernt_gc *g, float *const *z) { bn_fwd_act(g, GAN_ACT_NONE, z[0]); }
static void bn_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    bn_case *b = g->user;
    kern_bn_train_bwd(g->in[0], b->affine ? g->in[1] : NULL, g->out[0], dy[0], b->sm, b->si, dx[0],
                      b->affine ? dx[1] : NULL, b->affine ? dx[2] : NULL, b->n, b->c, b->hw, b->act,
                      b->alpha, 2);
}

static void run_bn(int n, int c, size_t hw, int act, int affine, unsigned seed)
{
    bn_case b = {n, c, act, affine, hw, 0.2f, 1e-3f, NULL, NULL, NULL, NULL};
    b.rm = kernt_alloc(c);
    b.rv = kernt_alloc(c);
    b.sm = kernt_alloc(c);
    b.si = kernt_alloc(c);
    kernt_gc g = {0};
    g.n_in = affine ? 3 : 1;
    g.in_n[0] = (size_t)n * c * hw;
    g.in_n[1] = g.in_n[2] = (size_t)c;
    g.n_out = 1;
    g.out_n[0] = g.in_n[0];
    kernt_gc_setup(&g, seed, -1.5f, 1.5f);
    for (int i = 0; i < g.n_in; i++)
        g.check[i] = 1;
    g.fwd = bn_fwd;
    g.bwd = bn_bwd;
    if (act == GAN_ACT_RELU || act == GAN_ACT_LEAKY_RELU)
        g.pre = bn_pre;
    g.user = &b;
    char what[96];
    snprintf(what, sizeof what, "bn_train n%d c%d hw%zu act %d affine %d", n, c, hw, act, affine);
    check_grad(&g, 40, seed + 3, what);
    kernt_gc_free(&g);
    free(b.rm);
    free(b.rv);
    free(b.sm);
    free(b.si);
}

START_TEST(bn_train_grad)
{
    for (int act = 0; act < GAN_ACT_COUNT; act++)
        run_bn(3, 2, 6, act, 1, 200 + act); /* [3,2,2,3] */
    run_bn(5, 3, 1, GAN_ACT_NONE, 1, 210);  /* rank 2 [5,3] */
    run_bn(4, 3, 1, GAN_ACT_RELU, 0, 211);  /* no gamma/beta */
    run_bn(1, 2, 9, GAN_ACT_NONE, 1, 212);  /* batch 1: statistics over H,W only */
}
END_TEST

START_TEST(bn_running_stats_and_infer)
{
    /* x [2,1,1,2] = {1,2,3,6}: mean 3, biased var 3.5, unbiased 14/3 */
    float x[4] = {1, 2, 3, 6}, y[4], rm = 0.5f, rv = 2.0f, sm, si, g = 2.0f, bt = 0.25f;
    kern_bn_train_fwd(x, &g, &bt, &rm, &rv, y, &sm, &si, 2, 1, 2, 0.8f, 1e-3f, GAN_ACT_NONE, 0, 1);
    ck_assert_float_eq_tol(sm, 3.0f, 1e-6f);
    ck_assert_float_eq_tol(si, (float)(1.0 / sqrt(3.5 + 1e-3)), 1e-6f);
    ck_assert_float_eq_tol(rm, 0.8f * 0.5f + 0.2f * 3.0f, 1e-6f);
    ck_assert_float_eq_tol(rv, (float)(0.8 * 2.0 + 0.2 * 14.0 / 3.0), 1e-6f);
    ck_assert_float_eq_tol(y[3], (float)(2.0 * 3.0 / sqrt(3.5 + 1e-3) + 0.25), 1e-5f);
    /* inference with the running stats, fused leaky relu */
    float yi[4];
    kern_bn_infer_fwd(x, &g, &bt, &rm, &rv, yi, 2, 1, 2, 1e-3f, GAN_ACT_LEAKY_RELU, 0.1f, 1);
    for (int i = 0; i < 4; i++) {
        double z = 2.0 * (x[i] - rm) / sqrt(rv + 1e-3) + 0.25;
        ck_assert_float_eq_tol(yi[i], (float)(z > 0 ? z : 0.1 * z), 1e-5f);
    }
}
END_TEST

/* ---------------- activations ---------------- */
typedef struct { int act; float alpha; } act_case;
static void act_fwd(kernt_gc *g)
{
    act_case *a = g->user;
    kern_act_fwd(g->in[0], g->out[0], g->in_n[0], a->act, a->alpha, g->in_fd ? 1 : 2);
}
static void act_pre(kernt_gc *g, float *const *z) { memcpy(z[0], g->in[0], g->in_n[0] * sizeof(float)); }
static void act_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    act_case *a = g->user;
    kern_act_bwd(g->out[0], dy[0], dx[0], g->in_n[0], a->act, a->alpha, 2);
}

START_TEST(tanh_accuracy)
{
    /* the rational tanh against libm over [-12, 12], vector and scalar paths */
    enum { N = 24001 };
    static float x[N], y[N];
    for (int i = 0; i < N; i++)
        x[i] = -12.0f + 24.0f * (float)i / (N - 1);
    kern_act_fwd(x, y, N, GAN_ACT_TANH, 0, 2);
    for (int i = 0; i < N; i++) {
        double t = tanh((double)x[i]);
        ck_assert_msg(fabs(y[i] - t) <= 2e-7 + 2e-6 * fabs(t), "tanh(%g) = %.9g, libm %.9g", x[i],
                      y[i], t);
        ck_assert(y[i] == kern_act1(x[i], GAN_ACT_TANH, 0));
    }
}
END_TEST

START_TEST(act_grad)
{
    for (int act = 0; act < GAN_ACT_COUNT; act++) {
        act_case a = {act, 0.1f};
        kernt_gc g = {0};
        g.n_in = g.n_out = 1;
        g.in_n[0] = g.out_n[0] = 37;
        kernt_gc_setup(&g, 300 + act, -3, 3);
        g.check[0] = 1;
        g.fwd = act_fwd;
        g.bwd = act_bwd;
        g.pre = act_pre;
        g.user = &a;
        check_grad(&g, 37, 310 + act, gan_act_name(act));
        /* in place (out aliases in) gives the same as out of place */
        float *cp = kernt_alloc(37);
        memcpy(cp, g.in[0], 37 * sizeof(float));
        kern_act_fwd(cp, cp, 37, act, 0.1f, 1);
        ck_assert(memcmp(cp, g.out[0], 37 * sizeof(float)) == 0);
        free(cp);
        kernt_gc_free(&g);
    }
}
END_TEST

/* ---------------- shape ops ---------------- */
enum { SH_CONCAT, SH_TILE, SH_GAP, SH_UP2, SH_UP3, SH_ADD, SH_MUL, SH_ROWDOT };
static const size_t cc_sz[3] = {4, 12, 8}; /* per-sample sizes of [2,1,2,2],[2,3,2,2],[2,2,2,2] */

static void sh_fwd(kernt_gc *g)
{
    int k = *(int *)g->user;
    switch (k) {
    case SH_CONCAT: {
        const float *xs[3] = {g->in[0], g->in[1], g->in[2]};
        kern_concat_fwd(xs, cc_sz, 3, 2, g->out[0], 2);
        break;
    }
    case SH_TILE: kern_tile_fwd(g->in[0], g->out[0], 2, 3, 6, 2); break;
    case SH_GAP: kern_gap_fwd(g->in[0], g->out[0], 2, 3, 6, 2); break;
    case SH_UP2: kern_upsample_fwd(g->in[0], g->out[0], 4, 3, 2, 2, 2); break;
    case SH_UP3: kern_upsample_fwd(g->in[0], g->out[0], 1, 2, 2, 3, 2); break;
    case SH_ADD: kern_add_fwd(g->in[0], g->in[1], g->out[0], g->in_n[0], 2); break;
    case SH_MUL: kern_mul_fwd(g->in[0], g->in[1], g->out[0], g->in_n[0], 2); break;
    default: kern_rowdot_fwd(g->in[0], g->in[1], g->out[0], 3, 5, 2); break;
    }
}

static void sh_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    int k = *(int *)g->user;
    switch (k) {
    case SH_CONCAT: kern_concat_bwd(dy[0], dx, cc_sz, 3, 2, 2); break;
    case SH_TILE: kern_tile_bwd(dy[0], dx[0], 2, 3, 6, 2); break;
    case SH_GAP: kern_gap_bwd(dy[0], dx[0], 2, 3, 6, 2); break;
    case SH_UP2: kern_upsample_bwd(dy[0], dx[0], 4, 3, 2, 2, 2); break;
    case SH_UP3: kern_upsample_bwd(dy[0], dx[0], 1, 2, 2, 3, 2); break;
    case SH_ADD: kern_add_bwd(dy[0], dx[0], dx[1], g->in_n[0], 2); break;
    case SH_MUL: kern_mul_bwd(g->in[0], g->in[1], dy[0], dx[0], dx[1], g->in_n[0], 2); break;
    default: kern_rowdot_bwd(g->in[0], g->in[1], dy[0], dx[0], dx[1], 3, 5, 2); break;
    }
}

START_TEST(shape_ops_grad)
{
    static const struct {
        int kind, n_in;
        size_t in_n[3], out_n;
        const char *name;
    } cs[] = {
        {SH_CONCAT, 3, {8, 24, 16}, 48, "concat"},
        {SH_TILE, 1, {6}, 36, "tile"},
        {SH_GAP, 1, {36}, 6, "gap"},
        {SH_UP2, 1, {24}, 96, "upsample x2"},
        {SH_UP3, 1, {4}, 36, "upsample x3"},
        {SH_ADD, 2, {10, 10}, 10, "add"},
        {SH_MUL, 2, {10, 10}, 10, "mul"},
        {SH_ROWDOT, 2, {15, 15}, 3, "rowdot"},
    };
    for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
        int kind = cs[t].kind;
        kernt_gc g = {0};
        g.n_in = cs[t].n_in;
        g.n_out = 1;
        for (int i = 0; i < g.n_in; i++) {
            g.in_n[i] = cs[t].in_n[i];
            g.check[i] = 1;
        }
        g.out_n[0] = cs[t].out_n;
        kernt_gc_setup(&g, 400 + (unsigned)t, -1, 1);
        g.fwd = sh_fwd;
        g.bwd = sh_bwd;
        g.user = &kind;
        check_grad(&g, 100, 420 + (unsigned)t, cs[t].name);
        kernt_gc_free(&g);
    }
}
END_TEST

START_TEST(shape_ops_values)
{
    /* concat places parts per sample; a skipped slot in the backward is left alone */
    float a[4] = {1, 2, 3, 4}, b[2] = {5, 6}, y[6];
    const float *xs[2] = {a, b};
    size_t sz[2] = {2, 1};
    kern_concat_fwd(xs, sz, 2, 2, y, 1);
    float want[6] = {1, 2, 5, 3, 4, 6};
    ck_assert(memcmp(y, want, sizeof y) == 0);
    float da[4] = {0};
    float *dxs[2] = {da, NULL};
    kern_concat_bwd(y, dxs, sz, 2, 2, 1);
    ck_assert(memcmp(da, a, sizeof a) == 0);
    /* upsample: nearest */
    float u[4] = {1, 2, 3, 4}, uy[16];
    kern_upsample_fwd(u, uy, 1, 2, 2, 2, 1);
    float uw[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    ck_assert(memcmp(uy, uw, sizeof uy) == 0);
    /* gap */
    float gy[4];
    kern_gap_fwd(uy, gy, 1, 4, 4, 1);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(gy[i], (float)(i == 0 ? 1.5 : i == 1 ? 1.5 : 3.5));
}
END_TEST

/* ---------------- spectral norm ---------------- */
typedef struct {
    int o, training;
    size_t k;
    float *u0, *u, *v, sigma;
    int frozen;         /* 1: w_sn = w / (u^T W v) with u, v fixed (the backward's model) */
} sn_case;

static void sn_fwd(kernt_gc *g)
{
    sn_case *s = g->user;
    if (s->frozen) {
        double sg = 0.0;
        for (int i = 0; i < s->o; i++)
            for (size_t j = 0; j < s->k; j++)
                sg += (double)s->u[i] * g->in[0][(size_t)i * s->k + j] * s->v[j];
        for (size_t p = 0; p < g->in_n[0]; p++)
            g->out[0][p] = (float)(g->in[0][p] / sg);
        s->sigma = (float)sg;
        return;
    }
    memcpy(s->u, s->u0, (size_t)s->o * sizeof(float)); /* the op updates u: start each call alike */
    kern_spectral_norm_fwd(g->in[0], s->u, g->out[0], s->v, &s->sigma, s->o, s->k, s->training,
                           1e-12f, g->in_fd ? 1 : 2);
}

static void sn_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    sn_case *s = g->user;
    kern_spectral_norm_bwd(g->in[0], s->u, s->v, s->sigma, dy[0], dx[0], s->o, s->k, 2);
}

START_TEST(spectral_norm_grad)
{
    int o = 4;
    size_t k = 6;
    sn_case s = {o, 1, k, NULL, NULL, NULL, 0, 0};
    s.u0 = kernt_alloc(o);
    s.u = kernt_alloc(o);
    s.v = kernt_alloc(k);
    kernt_gc g = {0};
    g.n_in = g.n_out = 1;
    g.in_n[0] = g.out_n[0] = (size_t)o * k;
    kernt_gc_setup(&g, 500, -1, 1);
    g.check[0] = 1;
    g.fwd = sn_fwd;
    g.bwd = sn_bwd;
    g.user = &s;
    kernt_rng r;
    kernt_seed(&r, 501);
    kernt_fill(&r, s.u0, o, -1, 1);
    /* (1) the backward's formula against u, v frozen after one training step */
    s.frozen = 0;
    sn_fwd(&g);
    memcpy(s.u0, s.u, o * sizeof(float));
    s.frozen = 1;
    check_grad(&g, 24, 502, "spectral norm, u v frozen");
    /* the op's sigma is u^T W v with the updated u */
    s.frozen = 0;
    sn_fwd(&g);
    double sg = 0;
    for (int i = 0; i < o; i++)
        for (size_t j = 0; j < k; j++)
            sg += (double)s.u[i] * g.in[0][i * k + j] * s.v[j];
    ck_assert_float_eq_tol(s.sigma, (float)sg, 1e-5f);
    /* (2) after the power iteration has converged, the gradient through the real op (training
     * mode, u updated) matches too: sigma is stationary in u and v */
    for (int it = 0; it < 500; it++) {
        kern_spectral_norm_fwd(g.in[0], s.u0, g.out[0], s.v, &s.sigma, o, k, 1, 1e-12f, 1);
    }
    check_grad(&g, 24, 503, "spectral norm, converged u, training");
    s.training = 0;
    check_grad(&g, 24, 504, "spectral norm, converged u, inference");
    /* inference leaves u alone */
    float u_before[4];
    memcpy(u_before, s.u0, sizeof u_before);
    kern_spectral_norm_fwd(g.in[0], s.u0, g.out[0], s.v, &s.sigma, o, k, 0, 1e-12f, 1);
    ck_assert(memcmp(u_before, s.u0, sizeof u_before) == 0);
    kernt_gc_free(&g);
    free(s.u0);
    free(s.u);
    free(s.v);
}
END_TEST

/* ---------------- losses ---------------- */
enum { L_HR, L_HF, L_MEAN, L_BCEL, L_BCEL_C, L_BCE, L_BCE_C, L_SCE };
typedef struct { int kind; float *t; } loss_case;

static void loss_fwd(kernt_gc *g)
{
    loss_case *c = g->user;
    float *a = g->in[0];
    size_t n = g->in_n[0];
    float v;
    switch (c->kind) {
    case L_HR: v = kern_loss_hinge_real_fwd(a, n, 2); break;
    case L_HF: v = kern_loss_hinge_fake_fwd(a, n, 2); break;
    case L_MEAN: v = kern_loss_mean_fwd(a, n, -1.0f, 2); break;
    case L_BCEL: v = kern_loss_bce_logits_fwd(a, c->t, 0, n, 2); break;
    case L_BCEL_C: v = kern_loss_bce_logits_fwd(a, NULL, 1.0f, n, 2); break;
    case L_BCE: v = kern_loss_bce_fwd(a, c->t, 0, n, 2); break;
    case L_BCE_C: v = kern_loss_bce_fwd(a, NULL, 0.0f, n, 2); break;
    default: v = kern_loss_softmax_ce_fwd(a, c->t, 3, 4, 2); break;
    }
    g->out[0][0] = v;
}

static void loss_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    loss_case *c = g->user;
    float *a = g->in[0], w = dy[0][0]; /* the weight is exactly the chain-rule factor */
    size_t n = g->in_n[0];
    switch (c->kind) {
    case L_HR: kern_loss_hinge_real_bwd(a, dx[0], n, w, 2); break;
    case L_HF: kern_loss_hinge_fake_bwd(a, dx[0], n, w, 2); break;
    case L_MEAN: kern_loss_mean_bwd(dx[0], n, w, -1.0f, 2); break;
    case L_BCEL: kern_loss_bce_logits_bwd(a, c->t, 0, dx[0], n, w, 2); break;
    case L_BCEL_C: kern_loss_bce_logits_bwd(a, NULL, 1.0f, dx[0], n, w, 2); break;
    case L_BCE: kern_loss_bce_bwd(a, c->t, 0, dx[0], n, w, 2); break;
    case L_BCE_C: kern_loss_bce_bwd(a, NULL, 0.0f, dx[0], n, w, 2); break;
    default: kern_loss_softmax_ce_bwd(a, c->t, dx[0], 3, 4, w, 2); break;
    }
}

START_TEST(losses_grad)
{
    static const char *names[] = {"hinge_real", "hinge_fake", "mean", "bce_logits",
                                  "bce_logits const", "bce", "bce const", "softmax_ce"};
    for (int kind = L_HR; kind <= L_SCE; kind++) {
        float t[12];
        kernt_rng r;
        kernt_seed(&r, 600 + kind);
        for (int i = 0; i < 12; i++)
            t[i] = kind == L_BCEL ? kernt_uniform(&r, 0, 1) : (float)(kernt_uniform(&r, 0, 1) > 0.5f);
        if (kind == L_SCE) { /* one-hot rows of [3,4] */
            memset(t, 0, sizeof t);
            t[1] = t[4] = t[11] = 1;
        }
        loss_case c = {kind, t};
        kernt_gc g = {0};
        g.n_in = g.n_out = 1;
        g.in_n[0] = 12;
        g.out_n[0] = 1;
        int prob = kind == L_BCE || kind == L_BCE_C;
        kernt_gc_setup(&g, 610 + kind, prob ? 0.05f : -2.5f, prob ? 0.95f : 2.5f);
        g.check[0] = 1;
        g.fwd = loss_fwd;
        g.bwd = loss_bwd;
        g.user = &c;
        check_grad(&g, 12, 620 + kind, names[kind]);
        kernt_gc_free(&g);
    }
}
END_TEST

START_TEST(losses_values)
{
    float a[4] = {-2.0f, 0.5f, 1.5f, 3.0f}, t[4] = {1, 0, 1, 0.25f};
    ck_assert_float_eq_tol(kern_loss_hinge_real_fwd(a, 4, 1), (3.0f + 0.5f) / 4, 1e-6f);
    ck_assert_float_eq_tol(kern_loss_hinge_fake_fwd(a, 4, 1), (0 + 1.5f + 2.5f + 4.0f) / 4, 1e-6f);
    ck_assert_float_eq_tol(kern_loss_mean_fwd(a, 4, -1.0f, 1), -3.0f / 4, 1e-6f);
    double s = 0;
    for (int i = 0; i < 4; i++) {
        double p = 1 / (1 + exp(-a[i]));
        s += -(t[i] * log(p) + (1 - t[i]) * log(1 - p));
    }
    ck_assert_float_eq_tol(kern_loss_bce_logits_fwd(a, t, 0, 4, 1), (float)(s / 4), 1e-6f);
    /* large logits stay finite */
    float big[2] = {200.0f, -200.0f};
    ck_assert_float_eq_tol(kern_loss_bce_logits_fwd(big, NULL, 1.0f, 2, 1), 100.0f, 1e-3f);
    /* bce clamps p */
    float p[2] = {0.0f, 1.0f};
    float lb = kern_loss_bce_fwd(p, NULL, 1.0f, 2, 1);
    ck_assert(isfinite(lb) && lb > 7.0f);
    /* the forward is the same whatever the thread count (fixed blocks) */
    size_t n = 100000;
    float *x = kernt_alloc(n);
    kernt_rng r;
    kernt_seed(&r, 77);
    kernt_fill(&r, x, n, -3, 3);
    float v1 = kern_loss_bce_logits_fwd(x, NULL, 0.3f, n, 1);
    float v2 = kern_loss_bce_logits_fwd(x, NULL, 0.3f, n, 2);
    ck_assert(memcmp(&v1, &v2, sizeof v1) == 0);
    free(x);
}
END_TEST

/* ---------------- optimizer ---------------- */
START_TEST(adam_by_hand)
{
    for (int b1i = 0; b1i < 2; b1i++) {
        float beta1 = b1i ? 0.9f : 0.0f, beta2 = 0.999f, lr = 0.01f, eps = 1e-8f;
        float p[3] = {1.0f, -2.0f, 0.5f}, g1[3] = {0.1f, -0.2f, 0.3f}, g2[3] = {-0.05f, 0.4f, 0.3f};
        float m[3] = {0}, v[3] = {0};
        double P[3], M[3] = {0}, V[3] = {0};
        for (int i = 0; i < 3; i++)
            P[i] = p[i];
        for (int t = 1; t <= 2; t++) {
            const float *g = t == 1 ? g1 : g2;
            kern_adam(p, g, m, v, 3, (float)t, lr, beta1, beta2, eps, 1);
            for (int i = 0; i < 3; i++) {
                M[i] = beta1 * M[i] + (1 - beta1) * g[i];
                V[i] = beta2 * V[i] + (1 - beta2) * (double)g[i] * g[i];
                double mh = M[i] / (1 - pow(beta1, t)), vh = V[i] / (1 - pow(beta2, t));
                P[i] -= lr * mh / (sqrt(vh) + eps);
            }
            if (t == 1) /* first step: |update| = lr (m-hat / sqrt(v-hat) = sign(g)) */
                ck_assert_float_eq_tol(p[0], 1.0f - lr, 1e-6f);
        }
        for (int i = 0; i < 3; i++) {
            ck_assert_float_eq_tol(p[i], (float)P[i], 1e-6f);
            ck_assert_float_eq_tol(m[i], (float)M[i], 1e-7f);
            ck_assert_float_eq_tol(v[i], (float)V[i], 1e-9f);
        }
    }
}
END_TEST

START_TEST(ema_by_hand)
{
    float p[2] = {1.0f, -3.0f}, e[2] = {0.0f, 1.0f};
    kern_ema(p, e, 2, 0.9f, 1);
    ck_assert_float_eq_tol(e[0], 0.1f, 1e-7f);
    ck_assert_float_eq_tol(e[1], 0.9f - 0.3f, 1e-7f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_ops");
    TCase *tc = tcase_create("ops");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, bn_train_grad);
    tcase_add_test(tc, bn_running_stats_and_infer);
    tcase_add_test(tc, act_grad);
    tcase_add_test(tc, tanh_accuracy);
    tcase_add_test(tc, shape_ops_grad);
    tcase_add_test(tc, shape_ops_values);
    tcase_add_test(tc, spectral_norm_grad);
    tcase_add_test(tc, losses_grad);
    tcase_add_test(tc, losses_values);
    tcase_add_test(tc, adam_by_hand);
    tcase_add_test(tc, ema_by_hand);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
