/* Spectral normalisation of w viewed as an [o, k] matrix (first dimension = rows, as ops.h),
 * one power iteration per training step, u persistent. Sums in double, each in a fixed order. */
#include <math.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

void kern_spectral_norm_fwd(const float *w, float *u, float *w_sn, float *v, float *sigma_out,
                            int o, size_t k, int training, float eps, int threads)
{
    int nt = kern_nt(threads);
    long long kk = (long long)k;
    size_t tot = (size_t)o * k;
    /* v = normalize(W^T u): column sums in row order */
#pragma omp parallel for schedule(static) num_threads(nt) if (tot >= KERN_PAR_MIN)
    for (long long j = 0; j < kk; j++) {
        double acc = 0.0;
        for (int i = 0; i < o; i++)
            acc += (double)w[(size_t)i * k + j] * u[i];
        v[j] = (float)acc;
    }
    double vn = 0.0;
    for (size_t j = 0; j < k; j++)
        vn += (double)v[j] * v[j];
    vn = sqrt(vn);
    if (vn < eps)
        vn = eps;
    for (size_t j = 0; j < k; j++)
        v[j] = (float)(v[j] / vn);
    /* W v, one row per iteration */
    double sigma = 0.0;
    if (training) {
        /* u = normalize(W v); sigma = u . W v */
#pragma omp parallel for schedule(static) num_threads(nt) if (tot >= KERN_PAR_MIN)
        for (int i = 0; i < o; i++) {
            double acc = 0.0;
            const float *wr = w + (size_t)i * k;
            for (size_t j = 0; j < k; j++)
                acc += (double)wr[j] * v[j];
            u[i] = (float)acc;
        }
        double un = 0.0;
        for (int i = 0; i < o; i++)
            un += (double)u[i] * u[i];
        double wvn = sqrt(un), den = wvn < eps ? eps : wvn;
        for (int i = 0; i < o; i++)
            u[i] = (float)(u[i] / den);
        sigma = un / den;
    } else {
        for (int i = 0; i < o; i++) {
            double acc = 0.0;
            const float *wr = w + (size_t)i * k;
            for (size_t j = 0; j < k; j++)
                acc += (double)wr[j] * v[j];
            sigma += u[i] * acc;
        }
    }
    float sg = (float)sigma;
    *sigma_out = sg;
    if (w_sn) {
        long long tt = (long long)tot;
#pragma omp parallel for schedule(static) num_threads(nt) if (tot >= KERN_PAR_MIN)
        for (long long p = 0; p < tt; p++)
            w_sn[p] = w[p] / sg;
    }
}

typedef struct {
    const float *a, *b;
} dot_ctx;

static double dot_block(const void *ctx, size_t lo, size_t hi)
{
    const dot_ctx *c = ctx;
    double s = 0.0;
    for (size_t i = lo; i < hi; i++)
        s += (double)c->a[i] * c->b[i];
    return s;
}

void kern_spectral_norm_bwd(const float *w, const float *u, const float *v, float sigma,
                            const float *dw_sn, float *dw, int o, size_t k, int threads)
{
    size_t tot = (size_t)o * k;
    dot_ctx c = {dw_sn, w};
    double dot = kern_block_sum(dot_block, &c, tot, threads);
    float inv = 1.0f / sigma, coef = (float)(dot / ((double)sigma * sigma));
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (tot >= KERN_PAR_MIN)
    for (int i = 0; i < o; i++) {
        float cu = coef * u[i];
        const float *g = dw_sn + (size_t)i * k;
        float *d = dw + (size_t)i * k;
        for (size_t j = 0; j < k; j++)
            d[j] += g[j] * inv - cu * v[j];
    }
}
