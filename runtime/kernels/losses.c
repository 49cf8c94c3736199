/* Losses. The forward returns the unweighted mean term; sums go through kern_block_sum (fixed
 * blocks, fixed order). The backward adds weight * dL/dx. */
#include <math.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

typedef struct {
    const float *a, *t;
    float tc, s;
} loss_ctx;

static double hinge_real_block(const void *ctx, size_t lo, size_t hi)
{
    const loss_ctx *c = ctx;
    double s = 0.0;
    for (size_t i = lo; i < hi; i++) {
        float m = 1.0f - c->a[i];
        s += m > 0.0f ? m : 0.0f;
    }
    return s;
}

static double hinge_fake_block(const void *ctx, size_t lo, size_t hi)
{
    const loss_ctx *c = ctx;
    double s = 0.0;
    for (size_t i = lo; i < hi; i++) {
        float m = 1.0f + c->a[i];
        s += m > 0.0f ? m : 0.0f;
    }
    return s;
}

static double sum_block(const void *ctx, size_t lo, size_t hi)
{
    const loss_ctx *c = ctx;
    double s = 0.0;
    for (size_t i = lo; i < hi; i++)
        s += c->a[i];
    return s;
}

static double bce_logits_block(const void *ctx, size_t lo, size_t hi)
{
    const loss_ctx *c = ctx;
    double s = 0.0;
    for (size_t i = lo; i < hi; i++) {
        double l = c->a[i], t = c->t ? c->t[i] : c->tc;
        s += (l > 0 ? l : 0) - l * t + log1p(exp(-fabs(l)));
    }
    return s;
}

#define BCE_CLAMP 1e-7f

static double bce_block(const void *ctx, size_t lo, size_t hi)
{
    const loss_ctx *c = ctx;
    double s = 0.0;
    for (size_t i = lo; i < hi; i++) {
        float p = c->a[i];
        if (p < BCE_CLAMP) p = BCE_CLAMP;
        if (p > 1.0f - BCE_CLAMP) p = 1.0f - BCE_CLAMP;
        double t = c->t ? c->t[i] : c->tc;
        s -= t * log((double)p) + (1.0 - t) * log(1.0 - (double)p);
    }
    return s;
}

float kern_loss_hinge_real_fwd(const float *a, size_t n, int threads)
{
    loss_ctx c = {a, NULL, 0, 0};
    return n ? (float)(kern_block_sum(hinge_real_block, &c, n, threads) / (double)n) : 0.0f;
}

void kern_loss_hinge_real_bwd(const float *a, float *da, size_t n, float weight, int threads)
{
    if (!n) return;
    float g = -weight / (float)n;
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        if (1.0f - a[i] > 0.0f)
            da[i] += g;
}

float kern_loss_hinge_fake_fwd(const float *a, size_t n, int threads)
{
    loss_ctx c = {a, NULL, 0, 0};
    return n ? (float)(kern_block_sum(hinge_fake_block, &c, n, threads) / (double)n) : 0.0f;
}

void kern_loss_hinge_fake_bwd(const float *a, float *da, size_t n, float weight, int threads)
{
    if (!n) return;
    float g = weight / (float)n;
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        if (1.0f + a[i] > 0.0f)
            da[i] += g;
}

float kern_loss_mean_fwd(const float *a, size_t n, float scale, int threads)
{
    loss_ctx c = {a, NULL, 0, 0};
    return n ? (float)(scale * kern_block_sum(sum_block, &c, n, threads) / (double)n) : 0.0f;
}

void kern_loss_mean_bwd(float *da, size_t n, float weight, float scale, int threads)
{
    if (!n) return;
    float g = weight * scale / (float)n;
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        da[i] += g;
}

float kern_loss_bce_logits_fwd(const float *l, const float *t, float tc, size_t n, int threads)
{
    loss_ctx c = {l, t, tc, 0};
    return n ? (float)(kern_block_sum(bce_logits_block, &c, n, threads) / (double)n) : 0.0f;
}

void kern_loss_bce_logits_bwd(const float *l, const float *t, float tc, float *dl, size_t n,
                              float weight, int threads)
{
    if (!n) return;
    float g = weight / (float)n;
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        dl[i] += g * (kern_act1(l[i], GAN_ACT_SIGMOID, 0.0f) - (t ? t[i] : tc));
}

float kern_loss_bce_fwd(const float *p, const float *t, float tc, size_t n, int threads)
{
    loss_ctx c = {p, t, tc, 0};
    return n ? (float)(kern_block_sum(bce_block, &c, n, threads) / (double)n) : 0.0f;
}

void kern_loss_bce_bwd(const float *p, const float *t, float tc, float *dp, size_t n,
                       float weight, int threads)
{
    if (!n) return;
    float g = weight / (float)n;
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++) {
        float pi = p[i];
        /* the clamp passes no gradient outside its range (as Keras' clip) */
        if (pi < BCE_CLAMP || pi > 1.0f - BCE_CLAMP)
            continue;
        float ti = t ? t[i] : tc;
        dp[i] += g * (-ti / pi + (1.0f - ti) / (1.0f - pi));
    }
}

float kern_loss_softmax_ce_fwd(const float *l, const float *t, int n, int k, int threads)
{
    (void)threads;
    if (n <= 0 || k <= 0) return 0.0f;
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        const float *lr = l + (size_t)i * k, *tr = t + (size_t)i * k;
        float mx = lr[0];
        for (int j = 1; j < k; j++)
            if (lr[j] > mx) mx = lr[j];
        double z = 0.0;
        for (int j = 0; j < k; j++)
            z += exp((double)lr[j] - mx);
        double lse = mx + log(z);
        for (int j = 0; j < k; j++)
            s -= tr[j] * ((double)lr[j] - lse);
    }
    return (float)(s / n);
}

void kern_loss_softmax_ce_bwd(const float *l, const float *t, float *dl, int n, int k,
                              float weight, int threads)
{
    if (n <= 0 || k <= 0) return;
    float g = weight / (float)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)n * k >= KERN_PAR_MIN)
    for (int i = 0; i < n; i++) {
        const float *lr = l + (size_t)i * k, *tr = t + (size_t)i * k;
        float *d = dl + (size_t)i * k;
        float mx = lr[0];
        for (int j = 1; j < k; j++)
            if (lr[j] > mx) mx = lr[j];
        double z = 0.0, ts = 0.0;
        for (int j = 0; j < k; j++) {
            z += exp((double)lr[j] - mx);
            ts += tr[j];
        }
        /* d/dl_j of -sum_k t_k log softmax_k = softmax_j * sum_k t_k - t_j */
        for (int j = 0; j < k; j++)
            d[j] += g * (float)(exp((double)lr[j] - mx) / z * ts - tr[j]);
    }
}
