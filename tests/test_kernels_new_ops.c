/* Kernels of runtime/kernels.h: average pooling, instance norm, MSE loss.
 * Finite differences of every gradient, accumulation into non-zero gradients, 1 and 2 threads
 * bitwise alike, edge cases, and the PyTorch goldens of tests/gen_golden_new_ops.py. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/kernels.h"
#include "tests/util/golden_util.h"
#include "tests/util/kern_util.h"

/* the finite-difference settings of the other kernel suites */
#define EPS 3e-3
#define ATOL 1e-3
#define RTOL 1e-2

/* inputs of g uniform in [lo, hi], all of them checked; outputs zeroed */
static void gc_alloc(kernt_gc *g, unsigned seed, float lo, float hi)
{
    kernt_gc_setup(g, seed, lo, hi);
    for (int i = 0; i < g->n_in; i++)
        g->check[i] = 1;
}

static void gc_check(kernt_gc *g, int max_checks, unsigned seed, const char *what)
{
    char msg[256];
    int bad = kernt_gradcheck(g, EPS, ATOL, RTOL, max_checks, seed, msg, sizeof msg);
    ck_assert_msg(bad == 0, "%s: %d bad; %s", what, bad, msg);
    ck_assert_msg(g->n_checked > 0, "%s: nothing checked", what);
}

static float *filled(size_t n, unsigned seed, float lo, float hi)
{
    float *p = kernt_alloc(n);
    kernt_rng r;
    kernt_seed(&r, seed);
    kernt_fill(&r, p, n, lo, hi);
    return p;
}

static float *copy_of(const float *x, size_t n)
{
    float *p = kernt_alloc(n);
    memcpy(p, x, n * sizeof *p);
    return p;
}

static void assert_same_bits(const float *a, const float *b, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(memcmp(&a[i], &b[i], sizeof a[i]) == 0,
                      "%s: [%zu] %.9g with 1 thread, %.9g with 2", what, i, a[i], b[i]);
}

/* what a backward added into acc (which started as pre) is what it wrote into zeros `fresh`,
 * up to rounding (the values here are of order 1) */
static void assert_added(const float *acc, const float *pre, const float *fresh, size_t n,
                         const char *what)
{
    for (size_t i = 0; i < n; i++) {
        double added = (double)acc[i] - pre[i];
        double tol = 1e-6 * (1.0 + fabs(acc[i]) + fabs(pre[i]));
        ck_assert_msg(fabs(added - fresh[i]) <= tol, "%s: [%zu] added %.9g, alone %.9g", what,
                      i, added, fresh[i]);
    }
}

/* ---------------- average pooling ---------------- */
typedef struct { size_t nc; int h, w, k, s; } pool_case;

static void pool_fwd(kernt_gc *g)
{
    pool_case *p = g->user;
    kern_avg_pool_fwd(g->in[0], g->out[0], p->nc, p->h, p->w, p->k, p->s, g->in_fd ? 1 : 2);
}

static void pool_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    pool_case *p = g->user;
    kern_avg_pool_bwd(dy[0], dx[0], p->nc, p->h, p->w, p->k, p->s, 2);
}

/* the definition, in double */
static void ref_pool(const pool_case *p, const float *x, float *y, int oh, int ow)
{
    for (size_t q = 0; q < p->nc; q++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                double s = 0.0;
                for (int ki = 0; ki < p->k; ki++)
                    for (int kj = 0; kj < p->k; kj++)
                        s += x[(q * p->h + oy * p->s + ki) * p->w + ox * p->s + kj];
                y[(q * oh + oy) * ow + ox] = (float)(s / (p->k * p->k));
            }
}

static void run_pool(int n, int c, int h, int w, int k, int s, unsigned seed)
{
    pool_case p = {(size_t)n * c, h, w, k, s};
    int oh = kern_avg_pool_out(h, k, s), ow = kern_avg_pool_out(w, k, s);
    ck_assert(oh > 0 && ow > 0);
    kernt_gc g = {0};
    g.n_in = g.n_out = 1;
    g.in_n[0] = p.nc * h * w;
    g.out_n[0] = p.nc * oh * ow;
    gc_alloc(&g, seed, -1.0f, 1.0f);
    g.fwd = pool_fwd;
    g.bwd = pool_bwd;
    g.user = &p;
    char what[96];
    snprintf(what, sizeof what, "avg_pool n%d c%d %dx%d k%d s%d", n, c, h, w, k, s);
    float *ref = kernt_alloc(g.out_n[0]);
    pool_fwd(&g);
    ref_pool(&p, g.in[0], ref, oh, ow);
    ck_assert_msg(kernt_close(g.out[0], ref, g.out_n[0], 1e-7, 1e-6) <= 1.0, "%s: forward", what);
    gc_check(&g, (int)g.in_n[0], seed + 1, what); /* every element: the inputs are small */
    free(ref);
    kernt_gc_free(&g);
}

START_TEST(avg_pool_grad)
{
    run_pool(2, 3, 4, 6, 2, 2, 10);  /* windows tile the input */
    run_pool(1, 2, 7, 9, 3, 2, 11);  /* overlapping, odd sizes */
    run_pool(2, 2, 5, 4, 3, 1, 12);  /* overlapping, stride 1 */
    run_pool(2, 2, 4, 4, 4, 1, 13);  /* k = H = W: one global window */
    run_pool(1, 2, 3, 7, 3, 2, 14);  /* k = H < W */
    run_pool(1, 1, 7, 8, 2, 3, 15);  /* stride > k: pixels no window covers */
    run_pool(1, 1, 5, 5, 2, 2, 16);  /* N = 1, last row and column dropped */
    run_pool(1, 3, 3, 3, 1, 1, 17);  /* k = 1: identity */
}
END_TEST

START_TEST(avg_pool_values)
{
    ck_assert_int_eq(kern_avg_pool_out(4, 4, 1), 1);
    ck_assert_int_eq(kern_avg_pool_out(5, 2, 2), 2);
    ck_assert_int_eq(kern_avg_pool_out(7, 2, 3), 2);
    ck_assert_int_eq(kern_avg_pool_out(3, 4, 1), 0);
    ck_assert_int_eq(kern_avg_pool_out(3, 0, 1), 0);
    ck_assert_int_eq(kern_avg_pool_out(3, 1, 0), 0);
    /* 3x3 = 1..9, k2 s1 */
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y[4];
    kern_avg_pool_fwd(x, y, 1, 3, 3, 2, 1, 1);
    float want[4] = {3, 4, 6, 7};
    ck_assert(memcmp(y, want, sizeof y) == 0);
    /* the centre lies in all four windows, a corner in one */
    float dy[4] = {4, 8, 12, 16}, dx[9];
    for (int i = 0; i < 9; i++)
        dx[i] = 1.0f;
    kern_avg_pool_bwd(dy, dx, 1, 3, 3, 2, 1, 1);
    float dwant[9] = {2, 4, 3, 5, 11, 7, 4, 8, 5};
    ck_assert(memcmp(dx, dwant, sizeof dx) == 0);
    /* k 2, stride 3 on a 2x5 plane: column 2 lies in no window and gets nothing */
    float x2[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, y2[2], dx2[10] = {0}, dy2[2] = {4, 8};
    kern_avg_pool_fwd(x2, y2, 1, 2, 5, 2, 3, 1);
    ck_assert_float_eq(y2[0], (1 + 2 + 6 + 7) / 4.0f);
    ck_assert_float_eq(y2[1], (4 + 5 + 9 + 10) / 4.0f);
    kern_avg_pool_bwd(dy2, dx2, 1, 2, 5, 2, 3, 1);
    float dwant2[10] = {1, 1, 0, 2, 2, 1, 1, 0, 2, 2};
    ck_assert(memcmp(dx2, dwant2, sizeof dx2) == 0);
    /* no window fits: nothing is written */
    float sentinel[4] = {-7, -7, -7, -7};
    kern_avg_pool_fwd(x, sentinel, 1, 3, 3, 4, 1, 1);
    kern_avg_pool_bwd(dy, sentinel, 1, 3, 3, 4, 1, 1);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(sentinel[i], -7.0f);
}
END_TEST

START_TEST(avg_pool_threads_and_accumulation)
{
    /* large enough for the parallel path (KERN_PAR_MIN elements) */
    static const int ks[][2] = {{2, 2}, {3, 2}, {3, 1}, {2, 3}};
    size_t nc = 24;
    int h = 40, w = 36;
    size_t nx = nc * h * w;
    float *x = filled(nx, 30, -1, 1), *pre = filled(nx, 31, -1, 1);
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        int k = ks[t][0], s = ks[t][1];
        size_t ny = nc * kern_avg_pool_out(h, k, s) * kern_avg_pool_out(w, k, s);
        float *y1 = kernt_alloc(ny), *y2 = kernt_alloc(ny), *dy = filled(ny, 32 + t, -1, 1);
        float *d1 = copy_of(pre, nx), *d2 = copy_of(pre, nx), *d0 = kernt_alloc(nx);
        kern_avg_pool_fwd(x, y1, nc, h, w, k, s, 1);
        kern_avg_pool_fwd(x, y2, nc, h, w, k, s, 2);
        assert_same_bits(y1, y2, ny, "avg_pool forward");
        kern_avg_pool_bwd(dy, d1, nc, h, w, k, s, 1);
        kern_avg_pool_bwd(dy, d2, nc, h, w, k, s, 2);
        assert_same_bits(d1, d2, nx, "avg_pool backward");
        kern_avg_pool_bwd(dy, d0, nc, h, w, k, s, 2);
        assert_added(d2, pre, d0, nx, "avg_pool backward");
        free(y1); free(y2); free(dy); free(d1); free(d2); free(d0);
    }
    free(x);
    free(pre);
}
END_TEST

/* ---------------- instance norm ---------------- */
typedef struct {
    int n, c, affine;
    size_t hw;
    float eps;
    float *sm, *si;
} in_case;

static void in_fwd(kernt_gc *g)
{
    in_case *b = g->user;
    kern_instance_norm_fwd(g->in[0], b->affine ? g->in[1] : NULL, b->affine ? g->in[2] : NULL,
                           g->out[0], b->sm, b->si, b->n, b->c, b->hw, b->eps, g->in_fd ? 1 : 2);
}

static void in_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    in_case *b = g->user;
    kern_instance_norm_bwd(g->in[0], b->affine ? g->in[1] : NULL, dy[0], b->sm, b->si, dx[0],
                           b->affine ? dx[1] : NULL, b->affine ? dx[2] : NULL, b->n, b->c, b->hw,
                           2);
}

/* x uniform in offset + [-1.5, 1.5]; gamma, beta in [-1.5, 1.5] */
static void run_in(int n, int c, size_t hw, int affine, float offset, unsigned seed)
{
    in_case b = {n, c, affine, hw, 1e-5f, NULL, NULL};
    b.sm = kernt_alloc((size_t)n * c);
    b.si = kernt_alloc((size_t)n * c);
    kernt_gc g = {0};
    g.n_in = affine ? 3 : 1;
    g.in_n[0] = (size_t)n * c * hw;
    g.in_n[1] = g.in_n[2] = (size_t)c;
    g.n_out = 1;
    g.out_n[0] = g.in_n[0];
    gc_alloc(&g, seed, -1.5f, 1.5f);
    for (size_t i = 0; i < g.in_n[0]; i++)
        g.in[0][i] += offset;
    g.fwd = in_fwd;
    g.bwd = in_bwd;
    g.user = &b;
    char what[96];
    snprintf(what, sizeof what, "instance_norm n%d c%d hw%zu affine %d offset %g", n, c, hw,
             affine, offset);
    gc_check(&g, 60, seed + 1, what);
    kernt_gc_free(&g);
    free(b.sm);
    free(b.si);
}

START_TEST(instance_norm_grad)
{
    run_in(3, 2, 6, 1, 0.0f, 40);  /* [3,2,2,3] */
    run_in(3, 2, 6, 0, 0.0f, 41);  /* no gamma/beta: the row-parallel backward */
    run_in(1, 3, 9, 1, 0.0f, 42);  /* N = 1 */
    run_in(2, 3, 2, 1, 0.0f, 43);  /* the smallest plane with a variance */
    run_in(2, 3, 1, 1, 0.0f, 44);  /* H*W = 1: y = beta, dx = 0 */
    /* a mean far from 0; the offset is kept moderate because the float rounding of the mean
     * (which moves with each finite-difference step) is noise of order ulp(offset) * gamma *
     * invstd / EPS in the numeric gradient, not an error of the kernel */
    run_in(2, 2, 16, 1, 4.0f, 45);
}
END_TEST

START_TEST(instance_norm_values)
{
    /* sample 0 = {1,2,3,6}: mean 3, biased var 3.5; sample 1 constant: var 0 */
    float x[8] = {1, 2, 3, 6, 5, 5, 5, 5}, y[8], sm[2], si[2], g = 2.0f, bt = 0.25f;
    kern_instance_norm_fwd(x, &g, &bt, y, sm, si, 2, 1, 4, 1e-3f, 1);
    ck_assert_float_eq_tol(sm[0], 3.0f, 1e-6f);
    ck_assert_float_eq_tol(si[0], (float)(1.0 / sqrt(3.5 + 1e-3)), 1e-6f);
    ck_assert_float_eq_tol(y[3], (float)(2.0 * 3.0 / sqrt(3.5 + 1e-3) + 0.25), 1e-5f);
    ck_assert_float_eq(sm[1], 5.0f);
    ck_assert_float_eq_tol(si[1], (float)(1.0 / sqrt(1e-3)), 1e-3f);
    for (int i = 4; i < 8; i++)
        ck_assert_float_eq(y[i], 0.25f);
    /* the saved statistics are optional */
    float y2[8];
    kern_instance_norm_fwd(x, &g, &bt, y2, NULL, NULL, 2, 1, 4, 1e-3f, 1);
    ck_assert(memcmp(y, y2, sizeof y) == 0);
    /* H*W = 1: each value is its own mean, y = beta exactly, no gradient reaches x */
    float x1[3] = {0.7f, -3.0f, 12.5f}, y1[3], m1[3], s1[3], g1[3] = {1.5f, -2.0f, 0.5f},
          b1[3] = {0.1f, 0.2f, -0.3f}, dy1[3] = {1, 2, 3}, dx1[3] = {9, 9, 9}, dg1[3] = {0},
          db1[3] = {1, 1, 1};
    kern_instance_norm_fwd(x1, g1, b1, y1, m1, s1, 1, 3, 1, 1e-5f, 1);
    for (int i = 0; i < 3; i++)
        ck_assert_float_eq(y1[i], b1[i]);
    kern_instance_norm_bwd(x1, g1, dy1, m1, s1, dx1, dg1, db1, 1, 3, 1, 1);
    for (int i = 0; i < 3; i++) {
        ck_assert_float_eq(dx1[i], 9.0f);
        ck_assert_float_eq(dg1[i], 0.0f);
        ck_assert_float_eq(db1[i], 1.0f + dy1[i]);
    }
}
END_TEST

/* one instance-norm backward on fresh outputs (dx / dg / db chosen by the non-NULL ones) */
typedef struct {
    int n, c;
    size_t hw;
    const float *x, *gamma, *dy, *sm, *si;
} in_bwd_args;

static void in_bwd_into(const in_bwd_args *a, float *dx, float *dg, float *db, int threads)
{
    kern_instance_norm_bwd(a->x, a->gamma, a->dy, a->sm, a->si, dx, dg, db, a->n, a->c, a->hw,
                           threads);
}

START_TEST(instance_norm_threads_and_accumulation)
{
    int n = 3, c = 8;
    size_t hw = 27 * 29, nx = (size_t)n * c * hw, nr = (size_t)n * c;
    float *x = filled(nx, 50, -2, 3), *g = filled(c, 51, 0.5f, 1.5f), *bt = filled(c, 52, -1, 1);
    float *y1 = kernt_alloc(nx), *y2 = kernt_alloc(nx), *sm1 = kernt_alloc(nr),
          *sm2 = kernt_alloc(nr), *si1 = kernt_alloc(nr), *si2 = kernt_alloc(nr);
    kern_instance_norm_fwd(x, g, bt, y1, sm1, si1, n, c, hw, 1e-5f, 1);
    kern_instance_norm_fwd(x, g, bt, y2, sm2, si2, n, c, hw, 1e-5f, 2);
    assert_same_bits(y1, y2, nx, "instance_norm y");
    assert_same_bits(sm1, sm2, nr, "instance_norm mean");
    assert_same_bits(si1, si2, nr, "instance_norm invstd");
    float *dy = filled(nx, 53, -1, 1), *pre = filled(nx, 54, -1, 1), *pc = filled(c, 55, -1, 1);
    in_bwd_args a = {n, c, hw, x, g, dy, sm1, si1};
    for (int affine = 0; affine < 2; affine++) {
        /* affine 0: dx only (rows in parallel); 1: dx, dgamma, dbeta (channels in parallel) */
        float *dx[3] = {copy_of(pre, nx), copy_of(pre, nx), kernt_alloc(nx)};
        float *dg[3] = {copy_of(pc, c), copy_of(pc, c), kernt_alloc(c)};
        float *db[3] = {copy_of(pc, c), copy_of(pc, c), kernt_alloc(c)};
        for (int t = 0; t < 3; t++)
            in_bwd_into(&a, dx[t], affine ? dg[t] : NULL, affine ? db[t] : NULL, t ? 2 : 1);
        assert_same_bits(dx[0], dx[1], nx, "instance_norm dx");
        assert_added(dx[1], pre, dx[2], nx, "instance_norm dx");
        if (affine) {
            assert_same_bits(dg[0], dg[1], c, "instance_norm dgamma");
            assert_same_bits(db[0], db[1], c, "instance_norm dbeta");
            assert_added(dg[1], pc, dg[2], c, "instance_norm dgamma");
            assert_added(db[1], pc, db[2], c, "instance_norm dbeta");
            /* each gradient alone (the others NULL) is the same as all three together */
            float *dxa = kernt_alloc(nx), *dga = kernt_alloc(c), *dba = kernt_alloc(c);
            in_bwd_into(&a, dxa, NULL, NULL, 2);
            in_bwd_into(&a, NULL, dga, NULL, 2);
            in_bwd_into(&a, NULL, NULL, dba, 2);
            assert_same_bits(dxa, dx[2], nx, "instance_norm dx alone");
            assert_same_bits(dga, dg[2], c, "instance_norm dgamma alone");
            assert_same_bits(dba, db[2], c, "instance_norm dbeta alone");
            free(dxa); free(dga); free(dba);
        }
        for (int t = 0; t < 3; t++) {
            free(dx[t]); free(dg[t]); free(db[t]);
        }
    }
    in_bwd_into(&a, NULL, NULL, NULL, 2); /* nothing wanted: a no-op */
    free(x); free(g); free(bt); free(y1); free(y2); free(sm1); free(sm2); free(si1); free(si2);
    free(dy); free(pre); free(pc);
}
END_TEST

/* ---------------- MSE loss ---------------- */
typedef struct { const float *t; float tc; } mse_case;

static void mse_fwd(kernt_gc *g)
{
    mse_case *m = g->user;
    g->out[0][0] = kern_loss_mse_fwd(g->in[0], m->t, m->tc, g->in_n[0], g->in_fd ? 1 : 2);
}

static void mse_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    mse_case *m = g->user;
    /* the weight is exactly the chain-rule factor */
    kern_loss_mse_bwd(g->in[0], m->t, m->tc, dx[0], g->in_n[0], dy[0][0], 2);
}

START_TEST(mse_grad)
{
    static const struct { size_t n; int tensor; float tc; const char *name; } cs[] = {
        {12, 1, 0.0f, "mse target tensor"},
        {12, 0, 1.0f, "mse constant 1 (LSGAN real)"},
        {12, 0, 0.0f, "mse constant 0 (LSGAN fake)"},
        {1, 1, 0.0f, "mse n = 1"},
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        float *t = filled(cs[k].n, 60 + (unsigned)k, -1, 1);
        mse_case m = {cs[k].tensor ? t : NULL, cs[k].tc};
        kernt_gc g = {0};
        g.n_in = g.n_out = 1;
        g.in_n[0] = cs[k].n;
        g.out_n[0] = 1;
        gc_alloc(&g, 70 + (unsigned)k, -2.5f, 2.5f);
        g.fwd = mse_fwd;
        g.bwd = mse_bwd;
        g.user = &m;
        gc_check(&g, (int)cs[k].n, 80 + (unsigned)k, cs[k].name);
        kernt_gc_free(&g);
        free(t);
    }
}
END_TEST

START_TEST(mse_values_threads_and_accumulation)
{
    float a[4] = {1, 2, 3, 6}, t[4] = {0, 2, 5, 6}, da[4] = {1, 1, 1, 1};
    ck_assert_float_eq(kern_loss_mse_fwd(a, t, 0, 4, 1), 5.0f / 4);
    ck_assert_float_eq(kern_loss_mse_fwd(a, NULL, 1.0f, 4, 1), 30.0f / 4);
    ck_assert_float_eq(kern_loss_mse_fwd(a, NULL, 0.0f, 0, 1), 0.0f);
    /* weight 0.5, n 4: da += 0.25 (a - t) */
    kern_loss_mse_bwd(a, t, 0, da, 4, 0.5f, 1);
    float want[4] = {1.25f, 1.0f, 0.5f, 1.0f};
    ck_assert(memcmp(da, want, sizeof da) == 0);
    kern_loss_mse_bwd(a, t, 0, da, 0, 0.5f, 1); /* n = 0: nothing */
    ck_assert(memcmp(da, want, sizeof da) == 0);
    /* large enough for several reduction blocks and the parallel backward */
    size_t n = 100000;
    float *x = filled(n, 90, -3, 3), *tt = filled(n, 91, -1, 1), *pre = filled(n, 92, -1, 1);
    for (int tensor = 0; tensor < 2; tensor++) {
        const float *tp = tensor ? tt : NULL;
        float v1 = kern_loss_mse_fwd(x, tp, 0.9f, n, 1), v2 = kern_loss_mse_fwd(x, tp, 0.9f, n, 2);
        assert_same_bits(&v1, &v2, 1, "mse forward");
        float *d1 = copy_of(pre, n), *d2 = copy_of(pre, n), *d0 = kernt_alloc(n);
        kern_loss_mse_bwd(x, tp, 0.9f, d1, n, 0.7f, 1);
        kern_loss_mse_bwd(x, tp, 0.9f, d2, n, 0.7f, 2);
        kern_loss_mse_bwd(x, tp, 0.9f, d0, n, 0.7f, 2);
        assert_same_bits(d1, d2, n, "mse backward");
        assert_added(d2, pre, d0, n, "mse backward");
        free(d1); free(d2); free(d0);
    }
    free(x); free(tt); free(pre);
}
END_TEST

/* ---------------- PyTorch goldens ---------------- */
/* The largest |C - torch| seen per compared quantity (printed: the measured agreement). */
#define GOLD_MAX_Q 6
typedef struct {
    const char *names[GOLD_MAX_Q];
    double err[GOLD_MAX_Q];
} gold_errs;

static void gold_cmp(const kgold_case *c, gold_errs *e, int q, const float *got, size_t n)
{
    double err = kgold_compare(c, e->names[q], got, kgold_tensor(c, e->names[q], n), n);
    e->err[q] = fmax(e->err[q], err);
}

/* runs one_case on every case of the file; fails when the file is missing or empty */
static void golden_each(const char *file, void (*one_case)(const kgold_case *, gold_errs *),
                        gold_errs *e)
{
    FILE *f = kgold_open(file);
    ck_assert_msg(f != NULL, "cannot open tests/golden/kernels/%s (run from the repository root "
                  "or set GAN_BUILD; regenerate with /usr/bin/python3 tests/gen_golden_new_ops.py)",
                  file);
    kgold_case c;
    int cases = 0;
    while (kgold_read(f, &c)) {
        one_case(&c, e);
        kgold_free(&c);
        cases++;
    }
    fclose(f);
    ck_assert_msg(cases > 0, "%s holds no case", file);
    printf("golden %s: %d cases, max |err|", file, cases);
    for (int q = 0; q < GOLD_MAX_Q && e->names[q]; q++)
        printf(" %s %.3g", e->names[q], e->err[q]);
    printf("\n");
}

static void golden_pool_case(const kgold_case *c, gold_errs *e)
{
    int h = (int)kgold_int(c, "h"), w = (int)kgold_int(c, "w"), k = (int)kgold_int(c, "k"),
        s = (int)kgold_int(c, "stride");
    size_t nc = (size_t)kgold_int(c, "n") * kgold_int(c, "c");
    int oh = kern_avg_pool_out(h, k, s), ow = kern_avg_pool_out(w, k, s);
    ck_assert_int_eq(oh, kgold_int(c, "oh"));
    ck_assert_int_eq(ow, kgold_int(c, "ow"));
    size_t nx = nc * h * w, ny = nc * oh * ow;
    float *y = kernt_alloc(ny), *dx = kernt_alloc(nx);
    kern_avg_pool_fwd(kgold_tensor(c, "x", nx), y, nc, h, w, k, s, 2);
    kern_avg_pool_bwd(kgold_tensor(c, "dy", ny), dx, nc, h, w, k, s, 2);
    gold_cmp(c, e, 0, y, ny);
    gold_cmp(c, e, 1, dx, nx);
    free(y);
    free(dx);
}

START_TEST(golden_avg_pool)
{
    gold_errs e = {{"y", "dx"}, {0}};
    golden_each("avg_pool.txt", golden_pool_case, &e);
}
END_TEST

static void golden_in_case(const kgold_case *c, gold_errs *e)
{
    int n = (int)kgold_int(c, "n"), ch = (int)kgold_int(c, "c");
    int affine = (int)kgold_int(c, "affine");
    size_t hw = (size_t)kgold_int(c, "hw"), nx = (size_t)n * ch * hw, nr = (size_t)n * ch;
    float eps = (float)kgold_float(c, "eps");
    float *x = kgold_tensor(c, "x", nx), *dy = kgold_tensor(c, "dy", nx);
    float *g = affine ? kgold_tensor(c, "gamma", ch) : NULL;
    float *bt = affine ? kgold_tensor(c, "beta", ch) : NULL;
    float *y = kernt_alloc(nx), *sm = kernt_alloc(nr), *si = kernt_alloc(nr),
          *dx = kernt_alloc(nx), *dg = kernt_alloc(ch), *db = kernt_alloc(ch);
    kern_instance_norm_fwd(x, g, bt, y, sm, si, n, ch, hw, eps, 2);
    kern_instance_norm_bwd(x, g, dy, sm, si, dx, affine ? dg : NULL, affine ? db : NULL, n, ch,
                           hw, 2);
    gold_cmp(c, e, 0, y, nx);
    gold_cmp(c, e, 1, sm, nr);
    gold_cmp(c, e, 2, si, nr);
    gold_cmp(c, e, 3, dx, nx);
    if (affine) {
        gold_cmp(c, e, 4, dg, ch);
        gold_cmp(c, e, 5, db, ch);
    }
    free(y); free(sm); free(si); free(dx); free(dg); free(db);
}

START_TEST(golden_instance_norm)
{
    gold_errs e = {{"y", "mean", "invstd", "dx", "dgamma", "dbeta"}, {0}};
    golden_each("instance_norm.txt", golden_in_case, &e);
}
END_TEST

static void golden_mse_case(const kgold_case *c, gold_errs *e)
{
    size_t n = (size_t)kgold_int(c, "n");
    float wgt = (float)kgold_float(c, "weight"), *a = kgold_tensor(c, "a", n);
    float *t = kgold_tensor_opt(c, "t"), tc = t ? 0.0f : (float)kgold_float(c, "target");
    float *da = kernt_alloc(n);
    float loss = kern_loss_mse_fwd(a, t, tc, n, 2);
    kern_loss_mse_bwd(a, t, tc, da, n, wgt, 2);
    gold_cmp(c, e, 0, &loss, 1);
    gold_cmp(c, e, 1, da, n);
    free(da);
}

START_TEST(golden_mse)
{
    gold_errs e = {{"loss", "da"}, {0}};
    golden_each("loss_mse.txt", golden_mse_case, &e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_new_ops");
    TCase *tc = tcase_create("new_ops");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, avg_pool_grad);
    tcase_add_test(tc, avg_pool_values);
    tcase_add_test(tc, avg_pool_threads_and_accumulation);
    tcase_add_test(tc, instance_norm_grad);
    tcase_add_test(tc, instance_norm_values);
    tcase_add_test(tc, instance_norm_threads_and_accumulation);
    tcase_add_test(tc, mse_grad);
    tcase_add_test(tc, mse_values_threads_and_accumulation);
    tcase_add_test(tc, golden_avg_pool);
    tcase_add_test(tc, golden_instance_norm);
    tcase_add_test(tc, golden_mse);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
