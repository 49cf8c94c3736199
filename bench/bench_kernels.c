/* Micro-benchmark of the runtime kernels at the seed model's shapes (batch 100), beside
 * OpenBLAS sgemm on 2048^2 matrices measured in the same run, with 1 and 2 threads.
 * GFLOP/s counts 2 flops per multiply-add; memory-bound kernels report GB/s of tensor traffic.
 * Each figure is the best of a few timed runs (after one warm-up), capped so the whole run
 * stays around a minute on 2 cores. Usage: bench_kernels [threads...] (default: 1 2). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"
#include "format/ops.h"

#define BATCH 100

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *alloc_fill(size_t n, unsigned seed)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) {
        fprintf(stderr, "bench_kernels: out of memory (%zu floats)\n", n);
        exit(1);
    }
    unsigned s = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        p[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
    return p;
}

typedef void (*bench_fn)(void *ctx);

/* BENCH_ONLY=substring restricts the run to the kernels whose label contains it */
static int want(const char *name)
{
    const char *only = getenv("BENCH_ONLY");
    return !only || !*only || strstr(name, only) != NULL;
}

/* best time of up to `reps` runs after a warm-up, stopping early once `budget` seconds pass */
static double best_time(bench_fn fn, void *ctx, int reps, double budget)
{
    fn(ctx);
    double best = 1e30, t_start = now();
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        fn(ctx);
        double dt = now() - t0;
        if (dt < best)
            best = dt;
        if (now() - t_start > budget)
            break;
    }
    return best;
}

/* ---- sgemm reference ---- */
typedef struct { int n; float *a, *b, *c; } gemm_ctx;
static void run_gemm(void *p)
{
    gemm_ctx *g = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->n, g->n, g->n, 1.0f, g->a, g->n,
                g->b, g->n, 0.0f, g->c, g->n);
}

/* ---- bare GEMMs: sgemm against the bf16 kernels, C [m, n] = A [m, k] B [k, n] ----
 * unit 0: OpenBLAS sgemm at `threads` threads; 1: bf16 AVX512-BF16; 2: bf16 AMX; 3: our fp32
 * AVX-512 kernel (gemm_f32_avx512.c). Ours are single-threaded (as the conv kernels call
 * them): with T threads the columns are split into T OpenMP blocks. */
typedef struct { int m, n, k, unit, threads; float *a, *b, *c; } bgemm_ctx;
static void run_bgemm(void *p)
{
    bgemm_ctx *g = p;
    if (g->unit == 0) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->m, g->n, g->k, 1.0f, g->a,
                    g->k, g->b, g->n, 0.0f, g->c, g->n);
        return;
    }
    int nt = g->threads < 1 ? 1 : g->threads;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int t = 0; t < nt; t++) {
        int j0 = (int)((long long)g->n * t / nt), j1 = (int)((long long)g->n * (t + 1) / nt);
        if (g->unit == 3)
            kern_sgemm_nn_avx512(g->m, j1 - j0, g->k, g->a, g->k, g->b + j0, g->n, 0.0f,
                                 g->c + j0, g->n);
        else if (g->unit == 2)
            kern_gemm_bf16_amx(0, 0, g->m, j1 - j0, g->k, g->a, g->k, g->b + j0, g->n, 0.0f,
                               g->c + j0, g->n);
        else
            kern_gemm_bf16_with(kern_bf16_ukr_avx512(), 0, 0, g->m, j1 - j0, g->k, g->a, g->k,
                                g->b + j0, g->n, 0.0f, g->c + j0, g->n);
    }
}

static void bench_bare_gemms(int threads)
{
    /* the seed's conv GEMMs at batch 100, faces64's per-tile ones (M = output channels,
     * N = a tile of output pixels, K = input channels x 9), and a square one */
    static const int shapes[][3] = {{50, 2048, 558}, {64, 2048, 558}, {97, 2048, 873},
                                    {128, 2048, 558}, {16, 448, 288}, {32, 448, 288},
                                    {128, 64, 2304}, {2048, 2048, 2048}};
    int has512 = kern_bf16_avx512_usable() && kern_bf16_ukr_avx512() != NULL;
    int hasf32 = kern_f32_avx512_usable();
    int hasamx = kern_bf16_amx_usable();
    if (!want("GEMM"))
        return;
    printf("  bare GEMM M x N x K (GFLOP/s, best of a few): sgemm%s%s%s\n",
           hasf32 ? ", fp32-own (ours, AVX-512; kern_gemm uses it for M <= 128, N >= 32)" : "",
           has512 ? ", bf16-avx512 (vdpbf16ps)" : "",
           hasamx ? ", bf16-amx (tdpbf16ps)" : " (no AMX-BF16 here: no bf16-amx column)");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        bgemm_ctx g = {shapes[i][0], shapes[i][1], shapes[i][2], 0, threads, NULL, NULL, NULL};
        g.a = alloc_fill((size_t)g.m * g.k, 11);
        g.b = alloc_fill((size_t)g.k * g.n, 12);
        g.c = alloc_fill((size_t)g.m * g.n, 13);
        double fl = 2.0 * g.m * g.n * g.k, gf[4] = {0, 0, 0, 0};
        openblas_set_num_threads(threads);
        gf[0] = fl / best_time(run_bgemm, &g, 5, 1.0) * 1e-9;
        openblas_set_num_threads(1);
        for (int u = 1; u <= 3; u++)
            if (u == 1 ? has512 : u == 2 ? hasamx : hasf32) {
                g.unit = u;
                gf[u] = fl / best_time(run_bgemm, &g, 5, 1.0) * 1e-9;
            }
        char label[64];
        snprintf(label, sizeof label, "GEMM %dx%dx%d", g.m, g.n, g.k);
        printf("  %-30s sgemm %7.1f", label, gf[0]);
        if (hasf32)
            printf("   fp32-own %7.1f (%.2fx)", gf[3], gf[3] / gf[0]);
        if (has512)
            printf("   bf16-avx512 %7.1f (%.2fx)", gf[1], gf[1] / gf[0]);
        if (hasamx)
            printf("   bf16-amx %7.1f (%.2fx)", gf[2], gf[2] / gf[0]);
        printf("\n");
        free(g.a);
        free(g.b);
        free(g.c);
    }
}

/* ---- convolutions ---- */
typedef struct {
    kern_conv_shape s;
    int tr, act, threads;
    float *x, *w, *b, *y, *dy, *dy0, *dx, *dw, *db, *ws;
    size_t ny;
} conv_ctx;

static void conv_fwd(void *p)
{
    conv_ctx *c = p;
    if (c->tr)
        kern_conv2d_t_fwd(&c->s, c->x, c->w, c->b, c->y, c->ws, c->act, 0.1f, c->threads);
    else
        kern_conv2d_fwd(&c->s, c->x, c->w, c->b, c->y, c->ws, c->act, 0.1f, c->threads);
}
static void conv_bwd(void *p)
{
    conv_ctx *c = p;
    /* dy is clobbered by the fused activation derivative: restore it (not timed separately;
     * a memcpy is small next to the GEMMs) */
    memcpy(c->dy, c->dy0, c->ny * sizeof(float));
    if (c->tr)
        kern_conv2d_t_bwd(&c->s, c->x, c->w, c->y, c->dy, c->dx, c->dw, c->db, c->ws, c->act, 0.1f,
                          c->threads);
    else
        kern_conv2d_bwd(&c->s, c->x, c->w, c->y, c->dy, c->dx, c->dw, c->db, c->ws, c->act, 0.1f,
                        c->threads);
}

static void bench_conv(const char *name, int c_in, int hw, int oc, int k, int stride, int pad,
                       int out_hw, int act, int threads)
{
    if (!want(name))
        return;
    conv_ctx c = {.s = {BATCH, c_in, hw, hw, oc, k, k, out_hw, out_hw, stride, pad, pad},
                  .act = act, .threads = threads};
    size_t nx = (size_t)BATCH * c_in * hw * hw, nw = (size_t)oc * c_in * k * k;
    c.ny = (size_t)BATCH * oc * out_hw * out_hw;
    c.x = alloc_fill(nx, 1);
    c.w = alloc_fill(nw, 2);
    c.b = alloc_fill(oc, 3);
    c.y = alloc_fill(c.ny, 4);
    c.dy = alloc_fill(c.ny, 5);
    c.dy0 = alloc_fill(c.ny, 5);
    c.dx = alloc_fill(nx, 6);
    c.dw = alloc_fill(nw, 7);
    c.db = alloc_fill(oc, 8);
    c.ws = alloc_fill(kern_conv2d_ws_floats(&c.s), 9);
    double fl = 2.0 * BATCH * oc * (double)c_in * k * k * out_hw * out_hw;
    double tf = best_time(conv_fwd, &c, 3, 1.0), tb = best_time(conv_bwd, &c, 3, 1.5);
    printf("  %-30s fwd %7.1f ms %6.1f GFLOP/s   bwd %7.1f ms %6.1f GFLOP/s\n", name, tf * 1e3,
           fl / tf * 1e-9, tb * 1e3, 2 * fl / tb * 1e-9);
    free(c.x); free(c.w); free(c.b); free(c.y); free(c.dy); free(c.dy0); free(c.dx); free(c.dw);
    free(c.db); free(c.ws);
}

/* ---- dense ---- */
typedef struct { int n, k, m, threads; float *x, *w, *b, *y, *dy, *dx, *dw, *db; } dense_ctx;
static void dense_fwd(void *p)
{
    dense_ctx *d = p;
    kern_dense_fwd(d->x, d->w, d->b, d->y, d->n, d->k, d->m, GAN_ACT_NONE, 0, d->threads);
}
static void dense_bwd(void *p)
{
    dense_ctx *d = p;
    kern_dense_bwd(d->x, d->w, NULL, d->dy, d->dx, d->dw, d->db, d->n, d->k, d->m, GAN_ACT_NONE, 0,
                   d->threads);
}
static void bench_dense(const char *name, int k, int m, int threads)
{
    if (!want(name))
        return;
    dense_ctx d = {.n = BATCH, .k = k, .m = m, .threads = threads};
    d.x = alloc_fill((size_t)BATCH * k, 1);
    d.w = alloc_fill((size_t)m * k, 2);
    d.b = alloc_fill(m, 3);
    d.y = alloc_fill((size_t)BATCH * m, 4);
    d.dy = alloc_fill((size_t)BATCH * m, 5);
    d.dx = alloc_fill((size_t)BATCH * k, 6);
    d.dw = alloc_fill((size_t)m * k, 7);
    d.db = alloc_fill(m, 8);
    double fl = 2.0 * BATCH * k * m;
    double tf = best_time(dense_fwd, &d, 20, 0.3), tb = best_time(dense_bwd, &d, 20, 0.3);
    printf("  %-30s fwd %7.3f ms %6.1f GFLOP/s   bwd %7.3f ms %6.1f GFLOP/s\n", name, tf * 1e3,
           fl / tf * 1e-9, tb * 1e3, 2 * fl / tb * 1e-9);
    free(d.x); free(d.w); free(d.b); free(d.y); free(d.dy); free(d.dx); free(d.dw); free(d.db);
}

/* ---- batch norm (+ fused relu), activations ---- */
typedef struct {
    int n, c, threads, act;
    size_t hw;
    float *x, *y, *dy, *dx, *g, *b, *rm, *rv, *sm, *si, *dg, *dbt;
} bn_ctx;
static void bn_fwd(void *p)
{
    bn_ctx *q = p;
    kern_bn_train_fwd(q->x, q->g, q->b, q->rm, q->rv, q->y, q->sm, q->si, q->n, q->c, q->hw, 0.8f,
                      1e-3f, q->act, 0.1f, q->threads);
}
static void bn_bwd(void *p)
{
    bn_ctx *q = p;
    /* act NONE here so dy is not clobbered between runs */
    kern_bn_train_bwd(q->x, q->g, q->y, q->dy, q->sm, q->si, q->dx, q->dg, q->dbt, q->n, q->c,
                      q->hw, GAN_ACT_NONE, 0.1f, q->threads);
}
static void act_fwd(void *p)
{
    bn_ctx *q = p;
    kern_act_fwd(q->x, q->y, (size_t)q->n * q->c * q->hw, q->act, 0.1f, q->threads);
}
static void act_bwd(void *p)
{
    bn_ctx *q = p;
    kern_act_bwd(q->y, q->dy, q->dx, (size_t)q->n * q->c * q->hw, q->act, 0.1f, q->threads);
}
static void upsample_fwd(void *p)
{
    bn_ctx *q = p;
    kern_upsample_fwd(q->x, q->y, (size_t)q->n * q->c, 32, 32, 2, q->threads);
}
static void upsample_bwd(void *p)
{
    bn_ctx *q = p;
    kern_upsample_bwd(q->y, q->dx, (size_t)q->n * q->c, 32, 32, 2, q->threads);
}

static void bench_elementwise(int threads)
{
    if (!want("elementwise bn act upsample"))
        return;
    int c = 50;
    size_t hw = 64 * 64, n = (size_t)BATCH * c * hw;
    bn_ctx q = {.n = BATCH, .c = c, .threads = threads, .act = GAN_ACT_RELU, .hw = hw};
    q.x = alloc_fill(n, 1);
    q.y = alloc_fill(n, 2);
    q.dy = alloc_fill(n, 3);
    q.dx = alloc_fill(n, 4);
    q.g = alloc_fill(c, 5);
    q.b = alloc_fill(c, 6);
    q.rm = alloc_fill(c, 7);
    q.rv = alloc_fill(c, 8);
    for (int i = 0; i < c; i++)
        q.rv[i] = 1.0f;
    q.sm = alloc_fill(c, 9);
    q.si = alloc_fill(c, 10);
    q.dg = alloc_fill(c, 11);
    q.dbt = alloc_fill(c, 12);
    double mb = n * 4.0 * 1e-9; /* one pass over one tensor, in GB */
    double tf = best_time(bn_fwd, &q, 3, 0.8), tb = best_time(bn_bwd, &q, 3, 0.8);
    /* traffic: fwd reads x twice (stats) + once (apply), writes y: 4 passes; bwd reads x, dy
     * twice and dx once, writes dx: 6 passes */
    printf("  %-30s fwd %7.1f ms %6.1f GB/s      bwd %7.1f ms %6.1f GB/s\n",
           "bn_train+relu [100,50,64,64]", tf * 1e3, 4 * mb / tf, tb * 1e3, 6 * mb / tb);
    q.act = GAN_ACT_LEAKY_RELU;
    tf = best_time(act_fwd, &q, 3, 0.5);
    tb = best_time(act_bwd, &q, 3, 0.5);
    printf("  %-30s fwd %7.1f ms %6.1f GB/s      bwd %7.1f ms %6.1f GB/s\n",
           "leaky_relu [100,50,64,64]", tf * 1e3, 2 * mb / tf, tb * 1e3, 4 * mb / tb);
    q.act = GAN_ACT_TANH;
    tf = best_time(act_fwd, &q, 3, 0.5);
    tb = best_time(act_bwd, &q, 3, 0.5);
    printf("  %-30s fwd %7.1f ms %6.1f GB/s      bwd %7.1f ms %6.1f GB/s\n",
           "tanh [100,50,64,64]", tf * 1e3, 2 * mb / tf, tb * 1e3, 4 * mb / tb);
    tf = best_time(upsample_fwd, &q, 3, 0.5);
    tb = best_time(upsample_bwd, &q, 3, 0.5);
    printf("  %-30s fwd %7.1f ms %6.1f GB/s      bwd %7.1f ms %6.1f GB/s\n",
           "upsample x2 [100,50,32,32]", tf * 1e3, 1.25 * mb / tf, tb * 1e3, 1.5 * mb / tb);
    free(q.x); free(q.y); free(q.dy); free(q.dx); free(q.g); free(q.b); free(q.rm); free(q.rv);
    free(q.sm); free(q.si); free(q.dg); free(q.dbt);
}

/* ---- losses, spectral norm, adam ---- */
typedef struct { size_t n; int threads; float *a, *t, *da, *p, *g, *m, *v, *u, *wsn, *vv, sig; } misc_ctx;
static void loss_run(void *p)
{
    misc_ctx *q = p;
    float l = kern_loss_bce_logits_fwd(q->a, q->t, 0, q->n, q->threads);
    kern_loss_bce_logits_bwd(q->a, q->t, 0, q->da, q->n, l > -1 ? 1.0f : 0.5f, q->threads);
    l = kern_loss_hinge_real_fwd(q->a, q->n, q->threads);
    kern_loss_hinge_real_bwd(q->a, q->da, q->n, l > -1 ? 1.0f : 0.5f, q->threads);
}
static void adam_run(void *p)
{
    misc_ctx *q = p;
    kern_adam(q->p, q->g, q->m, q->v, q->n, 3.0f, 2e-4f, 0.0f, 0.999f, 1e-8f, q->threads);
}
static void sn_run(void *p)
{
    misc_ctx *q = p;
    /* the largest D weight: [122, 97*9] */
    kern_spectral_norm_fwd(q->p, q->u, q->wsn, q->vv, &q->sig, 122, 97 * 9, 1, 1e-12f, q->threads);
    kern_spectral_norm_bwd(q->p, q->u, q->vv, q->sig, q->g, q->m, 122, 97 * 9, q->threads);
}

static void bench_misc(int threads)
{
    if (!want("misc losses adam spectral_norm"))
        return;
    misc_ctx q = {.n = 1u << 20, .threads = threads};
    q.a = alloc_fill(q.n, 1);
    q.t = alloc_fill(q.n, 2);
    q.da = alloc_fill(q.n, 3);
    q.p = alloc_fill(q.n, 4);
    q.g = alloc_fill(q.n, 5);
    q.m = alloc_fill(q.n, 6);
    q.v = alloc_fill(q.n, 7);
    for (size_t i = 0; i < q.n; i++)
        q.v[i] = q.v[i] * q.v[i];
    q.u = alloc_fill(122, 8);
    q.wsn = alloc_fill(q.n, 9);
    q.vv = alloc_fill(q.n, 10);
    double gb = q.n * 4.0 * 1e-9;
    double t = best_time(loss_run, &q, 5, 0.5);
    printf("  %-30s     %7.2f ms %6.1f GB/s  (bce_logits + hinge, fwd+bwd, 1M elements)\n",
           "losses", t * 1e3, 8 * gb / t);
    t = best_time(adam_run, &q, 5, 0.5);
    printf("  %-30s     %7.2f ms %6.1f GB/s  (1M params: reads p g m v, writes p m v)\n", "adam",
           t * 1e3, 7 * gb / t);
    t = best_time(sn_run, &q, 10, 0.5);
    printf("  %-30s     %7.3f ms               (fwd+bwd, [122, 873])\n", "spectral_norm", t * 1e3);
    free(q.a); free(q.t); free(q.da); free(q.p); free(q.g); free(q.m); free(q.v); free(q.u);
    free(q.wsn); free(q.vv);
}

int main(int argc, char **argv)
{
    int tlist[8] = {1, 2}, nt = 2;
    if (argc > 1) {
        nt = 0;
        for (int i = 1; i < argc && nt < 8; i++)
            tlist[nt++] = atoi(argv[i]) > 0 ? atoi(argv[i]) : 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress is visible when piped */
    /* BENCH_PRECISION=bf16: the conv / dense GEMMs in bf16 (kern_set_precision) */
    const char *prec = getenv("BENCH_PRECISION");
    if (prec && !strcmp(prec, "bf16")) {
        kern_set_precision(KERN_PREC_BF16);
        printf("== precision bf16: %s\n", kern_bf16_describe());
    }
    double t_all = now();
    for (int ti = 0; ti < nt; ti++) {
        int th = tlist[ti];
        openblas_set_num_threads(th);
        gemm_ctx g = {.n = 2048};
        g.a = alloc_fill((size_t)g.n * g.n, 1);
        g.b = alloc_fill((size_t)g.n * g.n, 2);
        g.c = alloc_fill((size_t)g.n * g.n, 3);
        double tg = best_time(run_gemm, &g, 3, 1.0);
        printf("== %d thread%s: OpenBLAS sgemm 2048^2: %.1f GFLOP/s (the roofline)\n", th,
               th > 1 ? "s" : "", 2.0 * g.n * g.n * g.n / tg * 1e-9);
        free(g.a); free(g.b); free(g.c);
        bench_bare_gemms(th);
        /* the kernels run as gan_exec_program runs them: OpenMP threads, OpenBLAS at one */
        openblas_set_num_threads(1);
        /* discriminator: k3 s2 "same" (pad_t/l 0 on even sizes), leaky relu fused */
        bench_conv("D conv 3->50 64->32 s2", 3, 64, 50, 3, 2, 0, 32, GAN_ACT_LEAKY_RELU, th);
        bench_conv("D conv 50->62 32->16 s2", 50, 32, 62, 3, 2, 0, 16, GAN_ACT_LEAKY_RELU, th);
        bench_conv("D conv 62->78 16->8 s2", 62, 16, 78, 3, 2, 0, 8, GAN_ACT_LEAKY_RELU, th);
        bench_conv("D conv 78->97 8->4 s2", 78, 8, 97, 3, 2, 0, 4, GAN_ACT_LEAKY_RELU, th);
        bench_conv("D conv 97->122 4->2 s2", 97, 4, 122, 3, 2, 0, 2, GAN_ACT_LEAKY_RELU, th);
        /* faces64's discriminator (batch 100 here, 64 in training): K = C = 32 per tap on the
         * implicit path, its least efficient shapes */
        bench_conv("faces64 D conv 32->32 64->32 s2", 32, 64, 32, 3, 2, 0, 32,
                   GAN_ACT_LEAKY_RELU, th);
        bench_conv("faces64 D conv 32->64 32->16 s2", 32, 32, 64, 3, 2, 0, 16,
                   GAN_ACT_LEAKY_RELU, th);
        bench_conv("faces64 D conv 64->128 16->8 s2", 64, 16, 128, 3, 2, 0, 8,
                   GAN_ACT_LEAKY_RELU, th);
        /* generator: k3 s1 same after each upsample; k4 "same" (pad 1, 2) output conv + tanh */
        bench_conv("G conv 122->97 8x8", 122, 8, 97, 3, 1, 1, 8, GAN_ACT_NONE, th);
        bench_conv("G conv 97->78 16x16", 97, 16, 78, 3, 1, 1, 16, GAN_ACT_NONE, th);
        bench_conv("G conv 78->62 32x32", 78, 32, 62, 3, 1, 1, 32, GAN_ACT_NONE, th);
        bench_conv("G conv 62->50 64x64", 62, 64, 50, 3, 1, 1, 64, GAN_ACT_NONE, th);
        bench_conv("G conv 50->3 64x64 k4 +tanh", 50, 64, 3, 4, 1, 1, 64, GAN_ACT_TANH, th);
        bench_dense("G dense 108->1952", 108, 1952, th);
        bench_dense("D dense 122->1 / ->8", 122, 9, th);
        bench_elementwise(th);
        bench_misc(th);
    }
    printf("bench_kernels: %.1f s in all\n", now() - t_all);
    return 0;
}
