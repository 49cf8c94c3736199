/* Kernels: dense, conv2d, conv2d_t (forward against naive references, backward against finite
 * differences), every activation fused, odd sizes, stride 2, asymmetric "same" padding with an
 * even kernel, batch 1, pointwise and direct (few output channels) paths. */
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

static int max_checks = 40; /* finite differences per input (the tiled cases use fewer) */
static int force_columns;   /* 1: conv2d on im2col + GEMM even where it would go implicit */

typedef struct {
    kern_conv_shape s;
    int transposed, act, use_ws;
    float alpha;
    float *ws;
} conv_case;

static void conv_fwd_act(kernt_gc *g, int act, float *y)
{
    conv_case *c = g->user;
    float *b = g->n_in > 2 ? g->in[2] : NULL;
    int th = g->in_fd ? 1 : 2;
    int rc = c->transposed
                 ? kern_conv2d_t_fwd(&c->s, g->in[0], g->in[1], b, y, c->ws, act, c->alpha, th)
                 : kern_conv2d_fwd(&c->s, g->in[0], g->in[1], b, y, c->ws, act, c->alpha, th);
    ck_assert_int_eq(rc, 0);
}

static void conv_fwd(kernt_gc *g) { conv_fwd_act(g, ((conv_case *)g->user)->act, g->out[0]); }
static void conv_pre(kernt_gc *g, float *const *z) { conv_fwd_act(g, GAN_ACT_NONE, z[0]); }

static void conv_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    conv_case *c = g->user;
    int rc = c->transposed
                 ? kern_conv2d_t_bwd(&c->s, g->in[0], g->in[1], g->out[0], dy[0], dx[0], dx[1],
                                     g->n_in > 2 ? dx[2] : NULL, c->ws, c->act, c->alpha, 2)
                 : kern_conv2d_bwd(&c->s, g->in[0], g->in[1], g->out[0], dy[0], dx[0], dx[1],
                                   g->n_in > 2 ? dx[2] : NULL, c->ws, c->act, c->alpha, 2);
    ck_assert_int_eq(rc, 0);
}

/* n c h w oc kh kw oh ow stride pad_t pad_l */
static void run_conv(int tr, int n, int ch, int h, int w, int oc, int kh, int kw, int oh, int ow,
                     int stride, int pt, int pl, int act, int bias, int use_ws, unsigned seed)
{
    conv_case c = {{n, ch, h, w, oc, kh, kw, oh, ow, stride, pt, pl, NULL, force_columns}, tr, act,
                   use_ws, 0.2f, NULL};
    kernt_rng r;
    kernt_seed(&r, seed);
    kernt_gc g = {0};
    g.n_in = bias ? 3 : 2;
    g.n_out = 1;
    g.in_n[0] = (size_t)n * ch * h * w;
    g.in_n[1] = (size_t)oc * ch * kh * kw;
    g.in_n[2] = (size_t)oc;
    g.out_n[0] = (size_t)n * oc * oh * ow;
    for (int i = 0; i < g.n_in; i++) {
        g.in[i] = kernt_alloc(g.in_n[i]);
        kernt_fill(&r, g.in[i], g.in_n[i], -1.0f, 1.0f);
        g.check[i] = 1;
    }
    g.out[0] = kernt_alloc(g.out_n[0]);
    if (use_ws)
        c.ws = kernt_alloc(tr ? kern_conv2d_t_ws_floats(&c.s) : kern_conv2d_ws_floats(&c.s));
    g.fwd = conv_fwd;
    g.bwd = conv_bwd;
    if (act == GAN_ACT_RELU || act == GAN_ACT_LEAKY_RELU)
        g.pre = conv_pre;
    g.user = &c;

    /* forward against the naive reference */
    float *ref = kernt_alloc(g.out_n[0]);
    conv_fwd(&g);
    if (tr)
        kernt_ref_conv2d_t(&c.s, g.in[0], g.in[1], bias ? g.in[2] : NULL, ref, act, c.alpha);
    else
        kernt_ref_conv2d(&c.s, g.in[0], g.in[1], bias ? g.in[2] : NULL, ref, act, c.alpha);
    double cl = kernt_close(g.out[0], ref, g.out_n[0], 1e-5, 1e-4);
    ck_assert_msg(cl <= 1.0, "%s fwd n%d c%d %dx%d oc%d k%dx%d s%d p%d,%d act %d: off by %g",
                  tr ? "conv_t" : "conv", n, ch, h, w, oc, kh, kw, stride, pt, pl, act, cl);

    char msg[256];
    int bad = kernt_gradcheck(&g, EPS, ATOL, RTOL, max_checks, seed + 1, msg, sizeof msg);
    ck_assert_msg(bad == 0, "%s bwd n%d c%d %dx%d oc%d k%dx%d s%d p%d,%d act %d bias %d: %d bad; %s",
                  tr ? "conv_t" : "conv", n, ch, h, w, oc, kh, kw, stride, pt, pl, act, bias, bad,
                  msg);
    ck_assert_msg(g.n_checked >= g.n_skipped, "too many kinks skipped (%d of %d)", g.n_skipped,
                  g.n_checked + g.n_skipped);
    for (int i = 0; i < g.n_in; i++)
        free(g.in[i]);
    free(g.out[0]);
    free(ref);
    free(c.ws);
}

START_TEST(conv_same_3x3_odd)
{
    /* 5x7, k3 s1 pad 1: "same"; oc 5 (GEMM path) and oc 3 (direct path) */
    for (int act = 0; act < GAN_ACT_COUNT; act++) {
        run_conv(0, 2, 3, 5, 7, 5, 3, 3, 5, 7, 1, 1, 1, act, 1, 1, 10 + act);
        run_conv(0, 2, 3, 5, 7, 3, 3, 3, 5, 7, 1, 1, 1, act, 1, 1, 20 + act);
    }
}
END_TEST

START_TEST(conv_winograd_edges)
{
    /* 3x3 stride 1 with > 4 output channels takes the Winograd forward: valid (pad 0), pad 2,
     * asymmetric pads, odd and even output sizes, batch 1 */
    run_conv(0, 2, 3, 6, 7, 5, 3, 3, 4, 5, 1, 0, 0, GAN_ACT_NONE, 1, 1, 91);
    run_conv(0, 1, 4, 5, 6, 6, 3, 3, 7, 8, 1, 2, 2, GAN_ACT_TANH, 1, 0, 92);
    run_conv(0, 3, 2, 4, 5, 7, 3, 3, 5, 4, 1, 2, 0, GAN_ACT_LEAKY_RELU, 0, 1, 93);
    run_conv(0, 2, 6, 8, 8, 9, 3, 3, 8, 8, 1, 1, 1, GAN_ACT_RELU, 1, 1, 94);
    /* 300 input channels: 54 tiles per chunk, so 16x16 (64 tiles) spans two chunks */
    max_checks = 6;
    run_conv(0, 1, 300, 16, 16, 5, 3, 3, 16, 16, 1, 1, 1, GAN_ACT_NONE, 1, 1, 95);
    max_checks = 40;
}
END_TEST

START_TEST(conv_stride2)
{
    /* k3 s2 valid, batch 1, no bias; and TF "same" k3 s2 on odd 7x7 (pad_t 1, pad_b 1) and on
     * even 8x6 (pad_t 0, pad_b 1) */
    run_conv(0, 1, 2, 7, 6, 6, 3, 3, 3, 2, 2, 0, 0, GAN_ACT_NONE, 0, 1, 31);
    run_conv(0, 2, 3, 7, 7, 5, 3, 3, 4, 4, 2, 1, 1, GAN_ACT_LEAKY_RELU, 1, 1, 32);
    run_conv(0, 2, 3, 8, 6, 5, 3, 3, 4, 3, 2, 0, 0, GAN_ACT_LEAKY_RELU, 1, 0, 33);
    run_conv(0, 3, 2, 8, 6, 2, 3, 3, 4, 3, 2, 0, 0, GAN_ACT_TANH, 1, 1, 34);
}
END_TEST

START_TEST(conv_same_even_kernel)
{
    /* TF "same", kernel 4, stride 1: pad_t = pad_l = 1, bottom/right 2 (the 50->3 output conv) */
    run_conv(0, 2, 4, 6, 5, 3, 4, 4, 6, 5, 1, 1, 1, GAN_ACT_TANH, 1, 1, 41);
    run_conv(0, 2, 4, 6, 5, 6, 4, 4, 6, 5, 1, 1, 1, GAN_ACT_TANH, 1, 1, 42);
    run_conv(0, 1, 3, 5, 5, 3, 4, 4, 5, 5, 1, 1, 1, GAN_ACT_SIGMOID, 0, 0, 43);
    /* non-square kernel, asymmetric pads */
    run_conv(0, 2, 2, 6, 7, 5, 2, 3, 6, 7, 1, 0, 1, GAN_ACT_NONE, 1, 1, 44);
}
END_TEST

START_TEST(conv_pointwise)
{
    run_conv(0, 2, 5, 3, 4, 6, 1, 1, 3, 4, 1, 0, 0, GAN_ACT_RELU, 1, 0, 51);
    run_conv(0, 2, 5, 3, 4, 2, 1, 1, 3, 4, 1, 0, 0, GAN_ACT_NONE, 1, 1, 52);
}
END_TEST

START_TEST(conv_tiled)
{
    /* c*kh*kw*ow above half the tile target (128K floats): one output row per tile, several
     * tiles per image, for the forward, dW and dx paths */
    max_checks = 12;
    force_columns = 1; /* 64 input channels would go implicit */
    run_conv(0, 2, 64, 4, 128, 5, 3, 3, 4, 128, 1, 1, 1, GAN_ACT_LEAKY_RELU, 1, 1, 81);
    run_conv(0, 1, 64, 7, 256, 6, 3, 3, 4, 128, 2, 1, 1, GAN_ACT_NONE, 1, 0, 82);
    force_columns = 0;
    /* many output channels: the stride-1 dx GEMM over im2col(dy) in several row tiles */
    run_conv(0, 2, 5, 4, 256, 64, 3, 3, 4, 256, 1, 1, 1, GAN_ACT_NONE, 1, 1, 83);
    max_checks = 40;
}
END_TEST

START_TEST(conv_implicit)
{
    /* >= 8 input channels, > 4 outputs: the polyphase implicit GEMMs (conv_implicit.c).
     * D's TF "same" k3 s2 on even (pad 0, bottom 1) and odd sizes (pad 1), dcgan64's k4 s2
     * pad 1, stride 1 past Winograd's planes, the k4 "same" output conv, a 2x3 kernel,
     * stride 3, a valid conv whose last rows no window reaches */
    run_conv(0, 2, 9, 8, 7, 6, 3, 3, 4, 4, 2, 0, 0, GAN_ACT_LEAKY_RELU, 1, 1, 61);
    run_conv(0, 3, 8, 7, 7, 5, 3, 3, 4, 4, 2, 1, 1, GAN_ACT_NONE, 0, 0, 62);
    run_conv(0, 2, 8, 8, 8, 7, 4, 4, 4, 4, 2, 1, 1, GAN_ACT_RELU, 1, 1, 63);
    run_conv(0, 1, 8, 17, 16, 6, 3, 3, 17, 16, 1, 1, 1, GAN_ACT_TANH, 1, 1, 64);
    run_conv(0, 2, 8, 6, 5, 6, 4, 4, 6, 5, 1, 1, 1, GAN_ACT_SIGMOID, 1, 0, 65);
    run_conv(0, 2, 10, 6, 7, 5, 2, 3, 6, 7, 1, 0, 1, GAN_ACT_NONE, 1, 1, 66);
    run_conv(0, 2, 8, 10, 11, 6, 3, 3, 3, 4, 3, 0, 1, GAN_ACT_LEAKY_RELU, 1, 1, 67);
    run_conv(0, 2, 8, 9, 9, 6, 3, 3, 3, 3, 3, 0, 0, GAN_ACT_NONE, 1, 1, 68);
}
END_TEST

/* the implicit path against the columns on the same problem, both directions */
START_TEST(conv_implicit_matches_columns)
{
    kern_conv_shape s = {5, 12, 16, 15, 10, 3, 3, 8, 8, 2, 0, 0, NULL, 0};
    size_t nx = 5 * 12 * 240, nw = 10 * 12 * 9, ny = 5 * 10 * 64;
    kernt_rng r;
    kernt_seed(&r, 5);
    float *x = kernt_alloc(nx), *w = kernt_alloc(nw), *dy = kernt_alloc(ny);
    kernt_fill(&r, x, nx, -1, 1);
    kernt_fill(&r, w, nw, -1, 1);
    kernt_fill(&r, dy, ny, -1, 1);
    float *y[2], *dx[2], *dw[2], *d = kernt_alloc(ny);
    for (int k = 0; k < 2; k++) {
        s.columns = k;
        y[k] = kernt_alloc(ny);
        dx[k] = kernt_alloc(nx);
        dw[k] = kernt_alloc(nw);
        ck_assert_int_eq(kern_conv2d_fwd(&s, x, w, NULL, y[k], NULL, GAN_ACT_NONE, 0, 2), 0);
        memcpy(d, dy, ny * sizeof *d);
        ck_assert_int_eq(kern_conv2d_bwd(&s, x, w, NULL, d, dx[k], dw[k], NULL, NULL,
                                         GAN_ACT_NONE, 0, 2), 0);
    }
    ck_assert(kernt_close(y[0], y[1], ny, 1e-5, 1e-5) <= 1);
    ck_assert(kernt_close(dx[0], dx[1], nx, 1e-5, 1e-5) <= 1);
    ck_assert(kernt_close(dw[0], dw[1], nw, 1e-4, 1e-5) <= 1);
    /* dx and y bit for bit on 1 and 2 threads; dW the same for a fixed count */
    float *y1 = kernt_alloc(ny), *dx1 = kernt_alloc(nx), *dw2 = kernt_alloc(nw);
    s.columns = 0;
    ck_assert_int_eq(kern_conv2d_fwd(&s, x, w, NULL, y1, NULL, GAN_ACT_NONE, 0, 1), 0);
    memcpy(d, dy, ny * sizeof *d);
    ck_assert_int_eq(kern_conv2d_bwd(&s, x, w, NULL, d, dx1, NULL, NULL, NULL, GAN_ACT_NONE, 0, 1), 0);
    memcpy(d, dy, ny * sizeof *d);
    ck_assert_int_eq(kern_conv2d_bwd(&s, x, w, NULL, d, NULL, dw2, NULL, NULL, GAN_ACT_NONE, 0, 2), 0);
    ck_assert(!memcmp(y1, y[0], ny * sizeof *y1));
    ck_assert(!memcmp(dx1, dx[0], nx * sizeof *dx1));
    ck_assert(!memcmp(dw2, dw[0], nw * sizeof *dw2));
    for (int k = 0; k < 2; k++) {
        free(y[k]);
        free(dx[k]);
        free(dw[k]);
    }
    free(y1); free(dx1); free(dw2); free(x); free(w); free(dy); free(d);
}
END_TEST

START_TEST(conv_t_cases)
{
    /* stride 2, k4, pad 1: 3x3 -> 6x6 (DCGAN upsampling) */
    run_conv(1, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 1, 1, GAN_ACT_RELU, 1, 1, 61);
    /* stride 2, k3, pad 1 with output padding: 3x4 -> 6x8 */
    run_conv(1, 2, 3, 3, 4, 5, 3, 3, 6, 8, 2, 1, 1, GAN_ACT_NONE, 1, 0, 62);
    /* stride 1 "same" k3, batch 1, no bias, each activation */
    for (int act = 0; act < GAN_ACT_COUNT; act++)
        run_conv(1, 1, 2, 4, 5, 3, 3, 3, 4, 5, 1, 1, 1, act, act & 1, 1, 63 + act);
    /* stride 2, k4, pad 1, TF-like asymmetric output 5x5 from 3x3 (bottom/right cropped) */
    run_conv(1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 2, 1, 1, GAN_ACT_LEAKY_RELU, 1, 1, 70);
}
END_TEST

/* ---- dense ---- */
typedef struct {
    int n, k, m, act;
    float alpha;
} dense_case;

static void dense_fwd_act(kernt_gc *g, int act, float *y)
{
    dense_case *c = g->user;
    kern_dense_fwd(g->in[0], g->in[1], g->n_in > 2 ? g->in[2] : NULL, y, c->n, c->k, c->m, act,
                   c->alpha, g->in_fd ? 1 : 2);
}
static void dense_fwd(kernt_gc *g) { dense_fwd_act(g, ((dense_case *)g->user)->act, g->out[0]); }
static void dense_pre(kernt_gc *g, float *const *z) { dense_fwd_act(g, GAN_ACT_NONE, z[0]); }
static void dense_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    dense_case *c = g->user;
    kern_dense_bwd(g->in[0], g->in[1], g->out[0], dy[0], dx[0], dx[1], g->n_in > 2 ? dx[2] : NULL,
                   c->n, c->k, c->m, c->act, c->alpha, 2);
}

static void run_dense(int n, int k, int m, int act, int bias, unsigned seed)
{
    dense_case c = {n, k, m, act, 0.1f};
    kernt_rng r;
    kernt_seed(&r, seed);
    kernt_gc g = {0};
    g.n_in = bias ? 3 : 2;
    g.n_out = 1;
    g.in_n[0] = (size_t)n * k;
    g.in_n[1] = (size_t)m * k;
    g.in_n[2] = (size_t)m;
    g.out_n[0] = (size_t)n * m;
    for (int i = 0; i < g.n_in; i++) {
        g.in[i] = kernt_alloc(g.in_n[i]);
        kernt_fill(&r, g.in[i], g.in_n[i], -1.0f, 1.0f);
        g.check[i] = 1;
    }
    g.out[0] = kernt_alloc(g.out_n[0]);
    g.fwd = dense_fwd;
    g.bwd = dense_bwd;
    if (act == GAN_ACT_RELU || act == GAN_ACT_LEAKY_RELU)
        g.pre = dense_pre;
    g.user = &c;
    float *ref = kernt_alloc(g.out_n[0]);
    dense_fwd(&g);
    kernt_ref_dense(g.in[0], g.in[1], bias ? g.in[2] : NULL, ref, n, k, m, act, c.alpha);
    ck_assert_msg(kernt_close(g.out[0], ref, g.out_n[0], 1e-5, 1e-4) <= 1.0, "dense fwd act %d", act);
    char msg[256];
    int bad = kernt_gradcheck(&g, EPS, ATOL, RTOL, 60, seed + 7, msg, sizeof msg);
    ck_assert_msg(bad == 0, "dense bwd n%d k%d m%d act %d: %s", n, k, m, act, msg);
    for (int i = 0; i < g.n_in; i++)
        free(g.in[i]);
    free(g.out[0]);
    free(ref);
}

START_TEST(dense_all_acts)
{
    for (int act = 0; act < GAN_ACT_COUNT; act++) {
        run_dense(3, 5, 4, act, 1, 100 + act);
        run_dense(1, 7, 3, act, 0, 110 + act);
    }
    run_dense(4, 13, 1, GAN_ACT_NONE, 1, 120); /* the adversarial head: M = 1 */
    /* big enough to be split into row blocks over the 2 threads (fwd, dx, dW) */
    run_dense(64, 80, 61, GAN_ACT_LEAKY_RELU, 1, 130);
    run_dense(65, 90, 47, GAN_ACT_NONE, 0, 131);
}
END_TEST

/* im2col / col2im are adjoint: <im2col(x), c> == <x, col2im(c)> */
START_TEST(im2col_adjoint)
{
    int c = 3, h = 7, w = 6, kh = 4, kw = 3, oh = 4, ow = 3, s = 2, pt = 1, pl = 1;
    size_t nx = (size_t)c * h * w, nc = (size_t)c * kh * kw * oh * ow;
    float *x = kernt_alloc(nx), *cols = kernt_alloc(nc), *cc = kernt_alloc(nc),
          *back = kernt_alloc(nx);
    kernt_rng r;
    kernt_seed(&r, 5);
    kernt_fill(&r, x, nx, -1, 1);
    kernt_fill(&r, cc, nc, -1, 1);
    kern_im2col(x, cols, c, h, w, kh, kw, oh, ow, s, pt, pl, 2);
    kern_col2im(cc, back, c, h, w, kh, kw, oh, ow, s, pt, pl, 2);
    double a = 0, b = 0;
    for (size_t i = 0; i < nc; i++)
        a += (double)cols[i] * cc[i];
    for (size_t i = 0; i < nx; i++)
        b += (double)x[i] * back[i];
    ck_assert_msg(fabs(a - b) < 1e-4 * (1 + fabs(a)), "%g vs %g", a, b);
    free(x);
    free(cols);
    free(cc);
    free(back);
}
END_TEST

/* same result whatever the thread count (fixed-order reductions) */
START_TEST(conv_bwd_deterministic)
{
    kern_conv_shape s = {3, 4, 9, 9, 6, 3, 3, 9, 9, 1, 1, 1, NULL, 0};
    size_t nx = 3 * 4 * 81, nw = 6 * 4 * 9, ny = 3 * 6 * 81;
    kernt_rng r;
    kernt_seed(&r, 9);
    float *x = kernt_alloc(nx), *w = kernt_alloc(nw), *dy = kernt_alloc(ny), *dy2 = kernt_alloc(ny);
    float *db1 = kernt_alloc(6), *db2 = kernt_alloc(6), *dx1 = kernt_alloc(nx), *dx2 = kernt_alloc(nx);
    kernt_fill(&r, x, nx, -1, 1);
    kernt_fill(&r, w, nw, -1, 1);
    kernt_fill(&r, dy, ny, -1, 1);
    memcpy(dy2, dy, ny * sizeof *dy);
    ck_assert_int_eq(kern_conv2d_bwd(&s, x, w, NULL, dy, dx1, NULL, db1, NULL, 0, 0, 1), 0);
    ck_assert_int_eq(kern_conv2d_bwd(&s, x, w, NULL, dy2, dx2, NULL, db2, NULL, 0, 0, 2), 0);
    ck_assert(memcmp(db1, db2, 6 * sizeof *db1) == 0);
    ck_assert(memcmp(dx1, dx2, nx * sizeof *dx1) == 0);
    /* dW: per-thread partials when images are spread over threads: the same for a fixed count */
    float *dw1 = kernt_alloc(nw), *dw2 = kernt_alloc(nw);
    memcpy(dy2, dy, ny * sizeof *dy);
    ck_assert_int_eq(kern_conv2d_bwd(&s, x, w, NULL, dy2, NULL, dw1, NULL, NULL, 0, 0, 2), 0);
    ck_assert_int_eq(kern_conv2d_bwd(&s, x, w, NULL, dy2, NULL, dw2, NULL, NULL, 0, 0, 2), 0);
    ck_assert(memcmp(dw1, dw2, nw * sizeof *dw1) == 0);
    free(dw1);
    free(dw2);
    free(x); free(w); free(dy); free(dy2); free(db1); free(db2); free(dx1); free(dx2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_conv");
    TCase *tc = tcase_create("conv");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, conv_same_3x3_odd);
    tcase_add_test(tc, conv_winograd_edges);
    tcase_add_test(tc, conv_stride2);
    tcase_add_test(tc, conv_same_even_kernel);
    tcase_add_test(tc, conv_pointwise);
    tcase_add_test(tc, conv_tiled);
    tcase_add_test(tc, conv_implicit);
    tcase_add_test(tc, conv_implicit_matches_columns);
    tcase_add_test(tc, conv_t_cases);
    tcase_add_test(tc, dense_all_acts);
    tcase_add_test(tc, im2col_adjoint);
    tcase_add_test(tc, conv_bwd_deterministic);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
