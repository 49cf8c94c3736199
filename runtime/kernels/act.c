/* Activations: forward, backward (through the forward output), and the in-place derivative
 * used by fused backward ops. */
#include <math.h>
#include <stdlib.h>
#include "../kernels.h"
#include "kern_internal.h"

float kern_act1(float x, int act, float alpha)
{
    switch (act) {
    case GAN_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case GAN_ACT_LEAKY_RELU: return x > 0.0f ? x : alpha * x;
    case GAN_ACT_TANH: return tanhf(x);
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

void kern_act_fwd(const float *x, float *y, size_t n, int act, float alpha, int threads)
{
    int nt = kern_nt(threads);
    long long nn = (long long)n;
    switch (act) {
    case GAN_ACT_RELU:
#pragma omp parallel for schedule(static) num_threads(nt) if (n >= KERN_PAR_MIN)
        for (long long i = 0; i < nn; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case GAN_ACT_LEAKY_RELU:
#pragma omp parallel for schedule(static) num_threads(nt) if (n >= KERN_PAR_MIN)
        for (long long i = 0; i < nn; i++)
            y[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
        break;
    case GAN_ACT_NONE:
        if (x != y)
#pragma omp parallel for schedule(static) num_threads(nt) if (n >= KERN_PAR_MIN)
            for (long long i = 0; i < nn; i++)
                y[i] = x[i];
        break;
    default:
#pragma omp parallel for schedule(static) num_threads(nt) if (n >= KERN_PAR_MIN / 8)
        for (long long i = 0; i < nn; i++)
            y[i] = kern_act1(x[i], act, alpha);
        break;
    }
}

void kern_act_bwd(const float *y, const float *dy, float *dx, size_t n, int act, float alpha,
                  int threads)
{
    int nt = kern_nt(threads);
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(nt) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        dx[i] += dy[i] * kern_dact(y[i], act, alpha);
}

void kern_act_grad_inplace(const float *y, float *dy, size_t n, int act, float alpha, int threads)
{
    if (act == GAN_ACT_NONE)
        return;
    int nt = kern_nt(threads);
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(nt) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        dy[i] *= kern_dact(y[i], act, alpha);
}

double kern_block_sum(kern_block_fn fn, const void *ctx, size_t n, int threads)
{
    size_t nb = (n + KERN_RED_BLOCK - 1) / KERN_RED_BLOCK;
    if (nb <= 1)
        return n ? fn(ctx, 0, n) : 0.0;
    double *part = malloc(nb * sizeof *part);
    double s = 0.0;
    if (!part) { /* same blocks, same order: same result, only slower */
        for (size_t b = 0; b < nb; b++)
            s += fn(ctx, b * KERN_RED_BLOCK, b + 1 == nb ? n : (b + 1) * KERN_RED_BLOCK);
        return s;
    }
    long long nbb = (long long)nb;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (nb >= 4)
    for (long long b = 0; b < nbb; b++) {
        size_t lo = (size_t)b * KERN_RED_BLOCK;
        size_t hi = (size_t)b + 1 == nb ? n : lo + KERN_RED_BLOCK;
        part[b] = fn(ctx, lo, hi);
    }
    for (size_t b = 0; b < nb; b++)
        s += part[b];
    free(part);
    return s;
}
