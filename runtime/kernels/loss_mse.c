/* Mean squared error (the LSGAN loss) and the dot-product loss of ganrt visualize, in the
 * form of losses.c: the forward sums through kern_block_sum (fixed blocks, fixed order), the
 * backward adds weight * dL/da. */
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

typedef struct {
    const float *a, *t;
    float tc;
} mse_ctx;

static double mse_block(const void *ctx, size_t lo, size_t hi)
{
    const mse_ctx *c = ctx;
    double s = 0.0;
    for (size_t i = lo; i < hi; i++) {
        double d = (double)c->a[i] - (c->t ? c->t[i] : c->tc);
        s += d * d;
    }
    return s;
}

float kern_loss_mse_fwd(const float *a, const float *t, float tc, size_t n, int threads)
{
    mse_ctx c = {a, t, tc};
    return n ? (float)(kern_block_sum(mse_block, &c, n, threads) / (double)n) : 0.0f;
}

void kern_loss_mse_bwd(const float *a, const float *t, float tc, float *da, size_t n,
                       float weight, int threads)
{
    if (!n) return;
    float g = 2.0f * weight / (float)n;
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        da[i] += g * (a[i] - (t ? t[i] : tc));
}

static double dot_block(const void *ctx, size_t lo, size_t hi)
{
    const mse_ctx *c = ctx;
    double s = 0.0;
    for (size_t i = lo; i < hi; i++)
        s += (double)c->a[i] * c->t[i];
    return s;
}

float kern_loss_dot_fwd(const float *a, const float *w, float scale, size_t n, int threads)
{
    mse_ctx c = {a, w, 0.0f};
    return n ? (float)(scale * kern_block_sum(dot_block, &c, n, threads) / (double)n) : 0.0f;
}

void kern_loss_dot_bwd(const float *w, float scale, float *da, size_t n, float weight,
                       int threads)
{
    if (!n) return;
    float g = weight * scale / (float)n;
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        da[i] += g * w[i];
}
