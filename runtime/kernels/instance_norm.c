/* Instance norm: batch norm's arithmetic with the statistics of one (sample, channel) row.
 * A row is the whole reduction (batch norm sums each row in float and the rows in double), so
 * it is summed in double: a float sum of a 128x128 plane can be off by ~1e-4 relatively. Each
 * row is handled by one thread in a fixed order, so no result depends on the thread count. */
#include <math.h>
#include "runtime/kernels.h"
#include "runtime/run/run.h"
#include "runtime/kernels/kern_internal.h"

void kern_instance_norm_fwd(const float *x, const float *gamma, const float *beta, float *y,
                            float *saved_mean, float *saved_invstd, int n, int c, size_t hw,
                            float eps, int threads)
{
    size_t rows = (size_t)n * c;
    if (rows == 0 || hw == 0)
        return;
    long long nr = (long long)rows;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (rows * hw >= KERN_PAR_MIN)
    for (long long r = 0; r < nr; r++) {
        int ch = (int)(r % c);
        const float *xr = x + (size_t)r * hw;
        double s = 0.0;
#pragma omp simd reduction(+ : s)
        for (size_t p = 0; p < hw; p++)
            s += xr[p];
        double mean = s / (double)hw;
        /* two passes: sum of squares minus squared mean cancels badly when |mean| >> std */
        double ss = 0.0;
#pragma omp simd reduction(+ : ss)
        for (size_t p = 0; p < hw; p++) {
            double d = xr[p] - mean;
            ss += d * d;
        }
        double invstd = 1.0 / sqrt(ss / (double)hw + (double)eps);
        if (saved_mean)
            saved_mean[r] = (float)mean;
        if (saved_invstd)
            saved_invstd[r] = (float)invstd;
        float g = gamma ? gamma[ch] : 1.0f, bt = beta ? beta[ch] : 0.0f;
        float mf = (float)mean, scale = (float)(g * invstd);
        float *yr = y + (size_t)r * hw;
        /* centred before scaling, not x*scale + (beta - mean*scale): a row far from 0 or
         * nearly constant (large invstd) would lose digits to cancellation, and a constant
         * row (hw = 1 included) gives exactly beta */
#pragma omp simd
        for (size_t p = 0; p < hw; p++)
            yr[p] = (xr[p] - mf) * scale + bt;
    }
}

/* One row's backward: returns sum(dy) and sum(dy * xhat) (dbeta's and dgamma's terms) and, when
 * dx is wanted, adds g*invstd * (dy - mean(dy) - xhat * mean(dy * xhat)) into it. */
static void row_bwd(const float *xr, const float *dr, float *dxr, size_t hw, float mean,
                    float invstd, float g, double *sdy_out, double *sdyx_out)
{
    double sdy = 0.0, sdyx = 0.0;
#pragma omp simd reduction(+ : sdy, sdyx)
    for (size_t p = 0; p < hw; p++) {
        sdy += dr[p];
        sdyx += (double)dr[p] * ((xr[p] - mean) * invstd);
    }
    *sdy_out = sdy;
    *sdyx_out = sdyx;
    if (!dxr)
        return;
    float k = g * invstd, mdy = (float)(sdy / (double)hw), mdyx = (float)(sdyx / (double)hw);
#pragma omp simd
    for (size_t p = 0; p < hw; p++) {
        float xh = (xr[p] - mean) * invstd;
        dxr[p] += k * (dr[p] - mdy - xh * mdyx);
    }
}

void kern_instance_norm_bwd(const float *x, const float *gamma, const float *dy,
                            const float *saved_mean, const float *saved_invstd, float *dx,
                            float *dgamma, float *dbeta, int n, int c, size_t hw, int threads)
{
    size_t rows = (size_t)n * c;
    if (rows == 0 || hw == 0 || (!dx && !dgamma && !dbeta))
        return;
    int par = rows * hw >= KERN_PAR_MIN;
    if (!dgamma && !dbeta) {
        /* nothing summed across samples: every row is independent */
        long long nr = (long long)rows;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (par)
        for (long long r = 0; r < nr; r++) {
            double sdy, sdyx;
            row_bwd(x + (size_t)r * hw, dy + (size_t)r * hw, dx + (size_t)r * hw, hw,
                    saved_mean[r], saved_invstd[r], gamma ? gamma[r % c] : 1.0f, &sdy, &sdyx);
        }
        return;
    }
    /* dgamma/dbeta sum over the samples: one channel per iteration owns its two sums (in
     * sample order) without atomics or per-thread partials */
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (par)
    for (int ch = 0; ch < c; ch++) {
        double tdy = 0.0, tdyx = 0.0;
        float g = gamma ? gamma[ch] : 1.0f;
        for (int i = 0; i < n; i++) {
            size_t r = (size_t)i * c + ch;
            double sdy, sdyx;
            row_bwd(x + r * hw, dy + r * hw, dx ? dx + r * hw : NULL, hw, saved_mean[r],
                    saved_invstd[r], g, &sdy, &sdyx);
            tdy += sdy;
            tdyx += sdyx;
        }
        if (dbeta)
            dbeta[ch] += (float)tdy;
        if (dgamma)
            dgamma[ch] += (float)tdyx;
    }
}

/* The interpreter's call (runtime/run/run.h): the op has passed its contract. */
int gan_run_instance_norm(const gan_run_ctx *c)
{
    const gan_tensor *x = c->tin[0];
    int n = run_dim(x, 0), ch = run_dim(x, 1);
    size_t hw = (size_t)run_dim(x, 2) * run_dim(x, 3);
    float *const *a = c->in, *const *o = c->out;
    if (c->op->type == GAN_OP_INSTANCE_NORM)
        kern_instance_norm_fwd(a[0], a[1], a[2], o[0], o[1], o[2], n, ch, hw, c->op->f[2],
                               c->threads);
    else
        kern_instance_norm_bwd(a[0], a[1], a[2], a[3], a[4], o[0], o[1], o[2], n, ch, hw,
                               c->threads);
    return 0;
}
