/* Activations: forward, backward (through the forward output), and the in-place derivative
 * used by fused backward ops. */
/* The derivative loops select on comparisons (y > 0); GCC only if-converts (and so
 * vectorises) them when comparisons may not trap. Nothing here relies on FP exceptions, and the
 * flag allows no reassociation: results are unchanged. */
#pragma GCC optimize("no-trapping-math")
#include <math.h>
#include <stdlib.h>
#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

float kern_act1(float x, int act, float alpha)
{
    switch (act) {
    case GAN_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case GAN_ACT_LEAKY_RELU: return x > 0.0f ? x : alpha * x;
    case GAN_ACT_TANH: return kern_tanh(x);
    case GAN_ACT_SIGMOID:
        /* split by sign so exp never overflows */
        if (x >= 0.0f)
            return 1.0f / (1.0f + expf(-x));
        else {
            float e = expf(x);
            return e / (1.0f + e);
        }
    default: return x;
    }
}

/* The loops below are written once per activation so the compiler sees a simple body it can
 * vectorise (omp simd); relu / leaky relu use max/min patterns, not branches. */
#define RELU(v) ((v) > 0.0f ? (v) : 0.0f)
#define NEG(v) ((v) < 0.0f ? (v) : 0.0f)

void kern_affine_act_row(const float *x, float *y, size_t n, float scale, float shift, int act,
                         float alpha)
{
    switch (act) {
    case GAN_ACT_NONE:
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] * scale + shift;
        break;
    case GAN_ACT_RELU:
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            float v = x[i] * scale + shift;
            y[i] = RELU(v);
        }
        break;
    case GAN_ACT_LEAKY_RELU:
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            float v = x[i] * scale + shift;
            y[i] = RELU(v) + alpha * NEG(v);
        }
        break;
    case GAN_ACT_TANH:
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            y[i] = kern_tanh(x[i] * scale + shift);
        break;
    default:
        for (size_t i = 0; i < n; i++)
            y[i] = kern_act1(x[i] * scale + shift, act, alpha);
        break;
    }
}

void kern_bias_act_row(float *r, size_t n, float bias, int act, float alpha)
{
    kern_affine_act_row(r, r, n, 1.0f, bias, act, alpha);
}

void kern_act_fwd(const float *x, float *y, size_t n, int act, float alpha, int threads)
{
    if (act == GAN_ACT_NONE && x == y)
        return;
    /* fixed chunks, one row helper call each */
    const size_t chunk = 8192;
    long long nc = (long long)((n + chunk - 1) / chunk);
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long c = 0; c < nc; c++) {
        size_t lo = (size_t)c * chunk, len = n - lo < chunk ? n - lo : chunk;
        kern_affine_act_row(x + lo, y + lo, len, 1.0f, 0.0f, act, alpha);
    }
}

/* d[i] = g[i] * act'(y[i]), d may alias g */
static void dact_row(const float *y, const float *g, float *d, size_t n, int act, float alpha,
                     int add)
{
    switch (act) {
    case GAN_ACT_RELU:
        /* masks as arithmetic on (float)(y > 0), so the loops need no control flow */
        if (add) {
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                d[i] += g[i] * (float)(y[i] > 0.0f);
        } else {
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                d[i] = g[i] * (float)(y[i] > 0.0f);
        }
        break;
    case GAN_ACT_LEAKY_RELU:
        if (add) {
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                d[i] += g[i] * (alpha + (1.0f - alpha) * (float)(y[i] > 0.0f));
        } else {
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                d[i] = g[i] * (alpha + (1.0f - alpha) * (float)(y[i] > 0.0f));
        }
        break;
    case GAN_ACT_TANH:
        if (add) {
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                d[i] += g[i] * (1.0f - y[i] * y[i]);
        } else {
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                d[i] = g[i] * (1.0f - y[i] * y[i]);
        }
        break;
    case GAN_ACT_SIGMOID:
        if (add) {
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                d[i] += g[i] * (y[i] * (1.0f - y[i]));
        } else {
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                d[i] = g[i] * (y[i] * (1.0f - y[i]));
        }
        break;
    default:
        if (add) {
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                d[i] += g[i];
        } else if (d != g) {
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                d[i] = g[i];
        }
        break;
    }
}

static void dact(const float *y, const float *g, float *d, size_t n, int act, float alpha, int add,
                 int threads)
{
    const size_t chunk = 8192;
    long long nc = (long long)((n + chunk - 1) / chunk);
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long c = 0; c < nc; c++) {
        size_t lo = (size_t)c * chunk, len = n - lo < chunk ? n - lo : chunk;
        dact_row(y + lo, g + lo, d + lo, len, act, alpha, add);
    }
}

void kern_act_bwd(const float *y, const float *dy, float *dx, size_t n, int act, float alpha,
                  int threads)
{
    dact(y, dy, dx, n, act, alpha, 1, threads);
}

void kern_act_grad_inplace(const float *y, float *dy, size_t n, int act, float alpha, int threads)
{
    if (act == GAN_ACT_NONE)
        return;
    dact(y, dy, dy, n, act, alpha, 0, threads);
}

int kern_thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

int kern_blas_single_begin(int nt)
{
    if (nt <= 1)
        return 0;
    int prev = openblas_get_num_threads();
    if (prev != 1)
        openblas_set_num_threads(1);
    return prev;
}

void kern_blas_single_end(int prev)
{
    if (prev > 1)
        openblas_set_num_threads(prev);
}

double kern_block_sum(kern_block_fn fn, const void *ctx, size_t n, int threads)
{
    /* Fixed blocks (a function of n only) summed in block order: the same result for any
     * thread count. At most KERN_RED_MAX_PARTS partials, kept on the stack. */
    size_t block = KERN_RED_BLOCK;
    if ((n + block - 1) / block > KERN_RED_MAX_PARTS)
        block = (n + KERN_RED_MAX_PARTS - 1) / KERN_RED_MAX_PARTS;
    size_t nb = (n + block - 1) / block;
    if (nb <= 1)
        return n ? fn(ctx, 0, n) : 0.0;
    double part[KERN_RED_MAX_PARTS];
    long long nbb = (long long)nb;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (nb >= 4)
    for (long long b = 0; b < nbb; b++) {
        size_t lo = (size_t)b * block;
        size_t hi = (size_t)b + 1 == nb ? n : lo + block;
        part[b] = fn(ctx, lo, hi);
    }
    double s = 0.0;
    for (size_t b = 0; b < nb; b++)
        s += part[b];
    return s;
}
