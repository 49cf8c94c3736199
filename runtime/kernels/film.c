/* FiLM: y = x (1 + g) + b per sample and channel (format/ops_film.c). One (sample, channel)
 * plane per iteration: the backward's sums over a plane are one thread's, in a fixed order, so
 * no result depends on the thread count. */
#include "runtime/kernels.h"
#include "runtime/run/run.h"
#include "runtime/kernels/kern_internal.h"

void kern_film_fwd(const float *x, const float *gb, float *y, int n, int c, size_t hw,
                   int threads)
{
    long long planes = (long long)n * c;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)planes * hw >= KERN_PAR_MIN)
    for (long long p = 0; p < planes; p++) {
        long long i = p / c, ch = p % c;
        float g = 1.0f + gb[i * 2 * c + ch], b = gb[i * 2 * c + c + ch];
        const float *xp = x + (size_t)p * hw;
        float *yp = y + (size_t)p * hw;
        for (size_t k = 0; k < hw; k++)
            yp[k] = xp[k] * g + b;
    }
}

void kern_film_bwd(const float *x, const float *gb, const float *dy, float *dx, float *dgb,
                   int n, int c, size_t hw, int threads)
{
    long long planes = (long long)n * c;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)planes * hw >= KERN_PAR_MIN)
    for (long long p = 0; p < planes; p++) {
        long long i = p / c, ch = p % c;
        float g = 1.0f + gb[i * 2 * c + ch];
        const float *xp = x + (size_t)p * hw, *dyp = dy + (size_t)p * hw;
        if (dx) {
            float *dxp = dx + (size_t)p * hw;
            for (size_t k = 0; k < hw; k++)
                dxp[k] += dyp[k] * g;
        }
        if (dgb) {
            double sg = 0, sb = 0;
            for (size_t k = 0; k < hw; k++) {
                sg += (double)dyp[k] * xp[k];
                sb += dyp[k];
            }
            dgb[i * 2 * c + ch] += (float)sg;
            dgb[i * 2 * c + c + ch] += (float)sb;
        }
    }
}

/* The interpreter's call (runtime/run/run.h): the op has passed its contract. */
int gan_run_film(const gan_run_ctx *c)
{
    const gan_tensor *x = c->tin[0];
    int n = run_dim(x, 0), ch = run_dim(x, 1);
    size_t hw = (size_t)run_dim(x, 2) * run_dim(x, 3);
    float *const *a = c->in, *const *o = c->out;
    if (c->op->type == GAN_OP_FILM)
        kern_film_fwd(a[0], a[1], o[0], n, ch, hw, c->threads);
    else
        kern_film_bwd(a[0], a[1], a[2], o[0], o[1], n, ch, hw, c->threads);
    return 0;
}
