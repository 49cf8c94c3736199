/* Data movement and small elementwise ops: zero, copy, concat, tile, gap, upsample, add, mul,
 * rowdot, with their backward forms (which add into the gradients). */
#include <string.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"


void kern_zero(float *y, size_t n, int threads)
{
    (void)threads;
    memset(y, 0, n * sizeof *y);
}

void kern_copy(const float *x, float *y, size_t n, int threads)
{
    (void)threads;
    if (x != y)
        memmove(y, x, n * sizeof *y);
}

void kern_accum(const float *dy, float *dx, size_t n, int threads)
{
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        dx[i] += dy[i];
}

void kern_concat_fwd(const float *const *xs, const size_t *sz, int k, int n, float *y, int threads)
{
    size_t tot = 0;
    for (int j = 0; j < k; j++)
        tot += sz[j];
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (tot * n >= KERN_PAR_MIN)
    for (int i = 0; i < n; i++) {
        float *dst = y + (size_t)i * tot;
        for (int j = 0; j < k; j++) {
            memmove(dst, xs[j] + (size_t)i * sz[j], sz[j] * sizeof *dst);
            dst += sz[j];
        }
    }
}

void kern_concat_bwd(const float *dy, float *const *dxs, const size_t *sz, int k, int n,
                     int threads)
{
    size_t tot = 0;
    for (int j = 0; j < k; j++)
        tot += sz[j];
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (tot * n >= KERN_PAR_MIN)
    for (int i = 0; i < n; i++) {
        const float *src = dy + (size_t)i * tot;
        for (int j = 0; j < k; j++) {
            if (dxs[j]) {
                float *d = dxs[j] + (size_t)i * sz[j];
                for (size_t p = 0; p < sz[j]; p++)
                    d[p] += src[p];
            }
            src += sz[j];
        }
    }
}

void kern_tile_fwd(const float *x, float *y, int n, int l, size_t hw, int threads)
{
    long long rows = (long long)n * l;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)rows * hw >= KERN_PAR_MIN)
    for (long long r = 0; r < rows; r++) {
        float v = x[r], *d = y + (size_t)r * hw;
        for (size_t p = 0; p < hw; p++)
            d[p] = v;
    }
}

void kern_tile_bwd(const float *dy, float *dx, int n, int l, size_t hw, int threads)
{
    long long rows = (long long)n * l;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)rows * hw >= KERN_PAR_MIN)
    for (long long r = 0; r < rows; r++) {
        const float *s = dy + (size_t)r * hw;
        double acc = 0.0;
        for (size_t p = 0; p < hw; p++)
            acc += s[p];
        dx[r] += (float)acc;
    }
}

void kern_gap_fwd(const float *x, float *y, int n, int c, size_t hw, int threads)
{
    long long rows = (long long)n * c;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)rows * hw >= KERN_PAR_MIN)
    for (long long r = 0; r < rows; r++) {
        const float *s = x + (size_t)r * hw;
        double acc = 0.0;
        for (size_t p = 0; p < hw; p++)
            acc += s[p];
        y[r] = hw ? (float)(acc / (double)hw) : 0.0f;
    }
}

void kern_gap_bwd(const float *dy, float *dx, int n, int c, size_t hw, int threads)
{
    long long rows = (long long)n * c;
    if (hw == 0)
        return;
    float inv = 1.0f / (float)hw;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)rows * hw >= KERN_PAR_MIN)
    for (long long r = 0; r < rows; r++) {
        float g = dy[r] * inv, *d = dx + (size_t)r * hw;
        for (size_t p = 0; p < hw; p++)
            d[p] += g;
    }
}

void kern_upsample_fwd(const float *x, float *y, size_t nc, int h, int w, int f, int threads)
{
    long long nn = (long long)nc;
    size_t ow = (size_t)w * f;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (nc * h * w * f * f >= KERN_PAR_MIN)
    for (long long pl = 0; pl < nn; pl++) {
        const float *s = x + (size_t)pl * h * w;
        float *d = y + (size_t)pl * h * w * f * f;
        for (int iy = 0; iy < h; iy++) {
            float *row = d + (size_t)iy * f * ow;
            for (int ix = 0; ix < w; ix++)
                for (int k = 0; k < f; k++)
                    row[(size_t)ix * f + k] = s[(size_t)iy * w + ix];
            for (int k = 1; k < f; k++)
                memcpy(row + (size_t)k * ow, row, ow * sizeof *row);
        }
    }
}

void kern_upsample_bwd(const float *dy, float *dx, size_t nc, int h, int w, int f, int threads)
{
    long long nn = (long long)nc;
    size_t ow = (size_t)w * f;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (nc * h * w * f * f >= KERN_PAR_MIN)
    for (long long pl = 0; pl < nn; pl++) {
        const float *s = dy + (size_t)pl * h * w * f * f;
        float *d = dx + (size_t)pl * h * w;
        for (int iy = 0; iy < h; iy++)
            for (int ix = 0; ix < w; ix++) {
                float acc = 0.0f;
                for (int ky = 0; ky < f; ky++)
                    for (int kx = 0; kx < f; kx++)
                        acc += s[((size_t)iy * f + ky) * ow + (size_t)ix * f + kx];
                d[(size_t)iy * w + ix] += acc;
            }
    }
}

void kern_add_fwd(const float *a, const float *b, float *y, size_t n, int threads)
{
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        y[i] = a[i] + b[i];
}

void kern_add_bwd(const float *dy, float *da, float *db, size_t n, int threads)
{
    if (da)
        kern_accum(dy, da, n, threads);
    if (db)
        kern_accum(dy, db, n, threads);
}

void kern_mul_fwd(const float *a, const float *b, float *y, size_t n, int threads)
{
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        y[i] = a[i] * b[i];
}

void kern_mul_bwd(const float *a, const float *b, const float *dy, float *da, float *db, size_t n,
                  int threads)
{
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++) {
        float g = dy[i];
        if (da)
            da[i] += g * b[i];
        if (db)
            db[i] += g * a[i];
    }
}

void kern_rowdot_fwd(const float *a, const float *b, float *y, int n, size_t f, int threads)
{
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)n * f >= KERN_PAR_MIN)
    for (int i = 0; i < n; i++) {
        const float *ar = a + (size_t)i * f, *br = b + (size_t)i * f;
        double acc = 0.0;
        for (size_t p = 0; p < f; p++)
            acc += (double)ar[p] * br[p];
        y[i] = (float)acc;
    }
}

void kern_rowdot_bwd(const float *a, const float *b, const float *dy, float *da, float *db, int n,
                     size_t f, int threads)
{
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)n * f >= KERN_PAR_MIN)
    for (int i = 0; i < n; i++) {
        float g = dy[i];
        const float *ar = a + (size_t)i * f, *br = b + (size_t)i * f;
        if (da) {
            float *d = da + (size_t)i * f;
            for (size_t p = 0; p < f; p++)
                d[p] += g * br[p];
        }
        if (db) {
            float *d = db + (size_t)i * f;
            for (size_t p = 0; p < f; p++)
                d[p] += g * ar[p];
        }
    }
}
