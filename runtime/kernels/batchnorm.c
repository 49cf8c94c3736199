/* Batch norm over (N, H, W) per channel, with the activation fused into the apply step.
 * Statistics are summed per channel in double, in a fixed order (one channel per iteration),
 * so they do not depend on the thread count. */
#include <math.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

void kern_bn_train_fwd(const float *x, const float *gamma, const float *beta, float *run_mean,
                       float *run_var, float *y, float *saved_mean, float *saved_invstd, int n,
                       int c, size_t hw, float momentum, float eps, int act, float alpha,
                       int threads)
{
    size_t cnt = (size_t)n * hw;
    if (cnt == 0)
        return;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (cnt * c >= KERN_PAR_MIN)
    for (int ch = 0; ch < c; ch++) {
        /* per row a float sum (vectorised, fixed order), rows summed in double */
        double s = 0.0;
        for (int i = 0; i < n; i++) {
            const float *r = x + ((size_t)i * c + ch) * hw;
            float rs = 0.0f;
#pragma omp simd reduction(+ : rs)
            for (size_t p = 0; p < hw; p++)
                rs += r[p];
            s += rs;
        }
        double mean = s / (double)cnt;
        float mf = (float)mean;
        double ss = 0.0;
        for (int i = 0; i < n; i++) {
            const float *r = x + ((size_t)i * c + ch) * hw;
            float rs = 0.0f;
#pragma omp simd reduction(+ : rs)
            for (size_t p = 0; p < hw; p++) {
                float d = r[p] - mf;
                rs += d * d;
            }
            ss += rs;
        }
        double var = ss / (double)cnt;
        double invstd = 1.0 / sqrt(var + (double)eps);
        double unbiased = cnt > 1 ? ss / (double)(cnt - 1) : var;
        if (saved_mean)
            saved_mean[ch] = (float)mean;
        if (saved_invstd)
            saved_invstd[ch] = (float)invstd;
        if (run_mean)
            run_mean[ch] = (float)(momentum * (double)run_mean[ch] + (1.0 - momentum) * mean);
        if (run_var)
            run_var[ch] = (float)(momentum * (double)run_var[ch] + (1.0 - momentum) * unbiased);
        float g = gamma ? gamma[ch] : 1.0f, bt = beta ? beta[ch] : 0.0f;
        float scale = g * (float)invstd, shift = bt - (float)mean * scale;
        for (int i = 0; i < n; i++) {
            const float *r = x + ((size_t)i * c + ch) * hw;
            float *o = y + ((size_t)i * c + ch) * hw;
            kern_affine_act_row(r, o, hw, scale, shift, act, alpha);
        }
    }
}

void kern_bn_infer_fwd(const float *x, const float *gamma, const float *beta,
                       const float *run_mean, const float *run_var, float *y, int n, int c,
                       size_t hw, float eps, int act, float alpha, int threads)
{
    size_t rows = (size_t)n * c;
    long long nr = (long long)rows;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (rows * hw >= KERN_PAR_MIN)
    for (long long r = 0; r < nr; r++) {
        int ch = (int)(r % c);
        float g = gamma ? gamma[ch] : 1.0f, bt = beta ? beta[ch] : 0.0f;
        float scale = g / sqrtf(run_var[ch] + eps), shift = bt - run_mean[ch] * scale;
        const float *xr = x + (size_t)r * hw;
        float *yr = y + (size_t)r * hw;
        kern_affine_act_row(xr, yr, hw, scale, shift, act, alpha);
    }
}

void kern_bn_infer_bwd(const float *gamma, const float *y, float *dy, const float *run_var,
                       float *dx, int n, int c, size_t hw, float eps, int act, float alpha,
                       int threads)
{
    size_t rows = (size_t)n * c;
    if (act != GAN_ACT_NONE && y)
        kern_act_grad_inplace(y, dy, rows * hw, act, alpha, threads);
    long long nr = (long long)rows;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (rows * hw >= KERN_PAR_MIN)
    for (long long r = 0; r < nr; r++) {
        int ch = (int)(r % c);
        float scale = (gamma ? gamma[ch] : 1.0f) / sqrtf(run_var[ch] + eps);
        const float *d = dy + (size_t)r * hw;
        float *o = dx + (size_t)r * hw;
        for (size_t p = 0; p < hw; p++)
            o[p] += scale * d[p];
    }
}

void kern_bn_train_bwd(const float *x, const float *gamma, const float *y, float *dy,
                       const float *saved_mean, const float *saved_invstd, float *dx,
                       float *dgamma, float *dbeta, int n, int c, size_t hw, int act,
                       float alpha, int threads)
{
    size_t cnt = (size_t)n * hw;
    if (cnt == 0)
        return;
    if (act != GAN_ACT_NONE && y)
        kern_act_grad_inplace(y, dy, cnt * c, act, alpha, threads);
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (cnt * c >= KERN_PAR_MIN)
    for (int ch = 0; ch < c; ch++) {
        double invstd = saved_invstd[ch];
        float mf = saved_mean[ch], isf = saved_invstd[ch];
        double sdy = 0.0, sdyx = 0.0;
        for (int i = 0; i < n; i++) {
            const float *xr = x + ((size_t)i * c + ch) * hw;
            const float *dr = dy + ((size_t)i * c + ch) * hw;
            float a = 0.0f, b = 0.0f;
#pragma omp simd reduction(+ : a, b)
            for (size_t p = 0; p < hw; p++) {
                a += dr[p];
                b += dr[p] * ((xr[p] - mf) * isf);
            }
            sdy += a;
            sdyx += b;
        }
        if (dbeta)
            dbeta[ch] += (float)sdy;
        if (dgamma)
            dgamma[ch] += (float)sdyx;
        if (dx) {
            double g = gamma ? gamma[ch] : 1.0;
            /* dx = g*invstd/cnt * (cnt*dy - sum(dy) - xhat*sum(dy*xhat)) */
            float k = (float)(g * invstd), mdy = (float)(sdy / (double)cnt),
                  mdyx = (float)(sdyx / (double)cnt);
            for (int i = 0; i < n; i++) {
                const float *xr = x + ((size_t)i * c + ch) * hw;
                const float *dr = dy + ((size_t)i * c + ch) * hw;
                float *o = dx + ((size_t)i * c + ch) * hw;
#pragma omp simd
                for (size_t p = 0; p < hw; p++) {
                    float xh = (xr[p] - mf) * isf;
                    o[p] += k * (dr[p] - mdy - xh * mdyx);
                }
            }
        }
    }
}
