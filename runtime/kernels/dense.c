/* Dense layer: one sgemm over the whole batch, bias + activation as a threaded epilogue. */
#include <cblas.h>
#include "../kernels.h"
#include "kern_internal.h"

void kern_dense_fwd(const float *x, const float *w, const float *b, float *y, int n, int k, int m,
                    int act, float alpha, int threads)
{
    if (n <= 0 || m <= 0)
        return;
    if (k > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, k, 1.0f, x, k, w, k, 0.0f, y, m);
    else
        kern_zero(y, (size_t)n * m, threads);
    if (!b && act == GAN_ACT_NONE)
        return;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)n * m >= KERN_PAR_MIN)
    for (int i = 0; i < n; i++) {
        float *yr = y + (size_t)i * m;
        if (b) {
#pragma omp simd
            for (int j = 0; j < m; j++)
                yr[j] += b[j];
        }
        kern_bias_act_row(yr, (size_t)m, 0.0f, act, alpha);
    }
}

void kern_dense_bwd(const float *x, const float *w, const float *y, float *dy, float *dx,
                    float *dw, float *db, int n, int k, int m, int act, float alpha, int threads)
{
    if (n <= 0 || m <= 0)
        return;
    if (act != GAN_ACT_NONE && y)
        kern_act_grad_inplace(y, dy, (size_t)n * m, act, alpha, threads);
    if (dx && k > 0) /* dx [n,k] += dy [n,m] w [m,k] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, m, 1.0f, dy, m, w, k, 1.0f,
                    dx, k);
    if (dw && k > 0) /* dw [m,k] += dy^T x */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, k, n, 1.0f, dy, m, x, k, 1.0f,
                    dw, k);
    if (db) {
        /* per output: sum over the batch in order (deterministic) */
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)n * m >= KERN_PAR_MIN)
        for (int j = 0; j < m; j++) {
            double s = 0.0;
            for (int i = 0; i < n; i++)
                s += dy[(size_t)i * m + j];
            db[j] += (float)s;
        }
    }
}
