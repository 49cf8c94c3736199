/* Dense layer: sgemm over the batch, bias + activation as an epilogue.
 * Threads: the GEMMs are split into row blocks over OpenMP threads, each running a
 * single-threaded sgemm (OpenBLAS is held at one thread: alternating OpenBLAS's thread pool with
 * OpenMP regions made the pools spin against each other, 1 ms -> 0.5 s for the generator's
 * dense backward on the 2-core machine). Each output element is computed by one sgemm call over
 * the full reduction, so results are deterministic for a fixed thread count. */
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

/* below this many multiply-adds a GEMM is not worth splitting */
#define DENSE_SPLIT_MIN (1 << 18)

/* rows [lo, hi) of block b out of nb over total rows */
static void block(int total, int nb, int b, int *lo, int *hi)
{
    *lo = (int)((long long)total * b / nb);
    *hi = (int)((long long)total * (b + 1) / nb);
}

static int split_count(int rows, size_t work, int threads)
{
    int nt = kern_nt(threads);
    if (nt > rows)
        nt = rows;
    return work >= DENSE_SPLIT_MIN && nt > 1 ? nt : 1;
}

void kern_dense_fwd(const float *x, const float *w, const float *b, float *y, int n, int k, int m,
                    int act, float alpha, int threads)
{
    if (n <= 0 || m <= 0)
        return;
    int nt = split_count(n, (size_t)n * m * (size_t)(k > 0 ? k : 1), threads);
    int blas_nt = kern_blas_single_begin(nt);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int t = 0; t < nt; t++) {
        int lo, hi;
        block(n, nt, t, &lo, &hi);
        float *yb = y + (size_t)lo * m;
        if (hi <= lo)
            continue;
        if (k > 0)
            kern_gemm(0, 1, hi - lo, m, k, x + (size_t)lo * k, k, w, k, 0.0f, yb, m);
        else
            kern_zero(yb, (size_t)(hi - lo) * m, 1);
        if (!b && act == GAN_ACT_NONE)
            continue;
        for (int i = lo; i < hi; i++) {
            float *yr = y + (size_t)i * m;
            if (b) {
#pragma omp simd
                for (int j = 0; j < m; j++)
                    yr[j] += b[j];
            }
            kern_bias_act_row(yr, (size_t)m, 0.0f, act, alpha);
        }
    }
    kern_blas_single_end(blas_nt);
}

void kern_dense_bwd(const float *x, const float *w, const float *y, float *dy, float *dx,
                    float *dw, float *db, int n, int k, int m, int act, float alpha, int threads)
{
    if (n <= 0 || m <= 0)
        return;
    if (act != GAN_ACT_NONE && y)
        kern_act_grad_inplace(y, dy, (size_t)n * m, act, alpha, threads);
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
    if (k <= 0 || (!dx && !dw))
        return;
    size_t work = (size_t)n * m * k;
    /* dx [n,k] += dy [n,m] w [m,k]: blocks of batch rows */
    int ntx = dx ? split_count(n, work, threads) : 1;
    /* dw [m,k] += dy^T x: blocks of output rows */
    int ntw = dw ? split_count(m, work, threads) : 1;
    int nt = ntx > ntw ? ntx : ntw;
    int blas_nt = kern_blas_single_begin(nt);
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = kern_thread_id();
        int lo, hi;
        if (dx && t < ntx) {
            block(n, ntx, t, &lo, &hi);
            if (hi > lo)
                kern_gemm(0, 0, hi - lo, k, m, dy + (size_t)lo * m, m, w, k, 1.0f,
                          dx + (size_t)lo * k, k);
        }
        if (dw && t < ntw) {
            block(m, ntw, t, &lo, &hi);
            if (hi > lo)
                kern_gemm(1, 0, hi - lo, k, n, dy + lo, m, x, k, 1.0f, dw + (size_t)lo * k, k);
        }
    }
    kern_blas_single_end(blas_nt);
}
