/* Average pooling without padding. One plane per iteration: a plane's windows (overlapping
 * when k > stride) are summed and scattered by one thread in a fixed order, so the backward
 * needs no atomics and neither direction depends on the thread count. */
#include "runtime/kernels.h"
#include "runtime/run/run.h"
#include "runtime/kernels/kern_internal.h"

int kern_avg_pool_out(int in, int k, int stride)
{
    if (k < 1 || stride < 1 || k > in)
        return 0;
    return (in - k) / stride + 1;
}

typedef struct {
    int h, w, k, s, oh, ow;
    /* the window sum is divided by k*k, not multiplied by its reciprocal, as torch rounds */
    float div;
} pool_geom;

static void fwd_plane(const pool_geom *g, const float *xp, float *yp)
{
    for (int oy = 0; oy < g->oh; oy++)
        for (int ox = 0; ox < g->ow; ox++) {
            const float *xw = xp + (size_t)oy * g->s * g->w + (size_t)ox * g->s;
            float s = 0.0f;
            for (int ki = 0; ki < g->k; ki++)
                for (int kj = 0; kj < g->k; kj++)
                    s += xw[(size_t)ki * g->w + kj];
            yp[(size_t)oy * g->ow + ox] = s / g->div;
        }
}

static void bwd_plane(const pool_geom *g, const float *dyp, float *dxp)
{
    for (int oy = 0; oy < g->oh; oy++)
        /* input row by input row, so the inner loops run along contiguous memory */
        for (int ki = 0; ki < g->k; ki++) {
            float *dxr = dxp + ((size_t)oy * g->s + ki) * g->w;
            for (int ox = 0; ox < g->ow; ox++) {
                float gr = dyp[(size_t)oy * g->ow + ox] / g->div;
                float *dxw = dxr + (size_t)ox * g->s;
                for (int kj = 0; kj < g->k; kj++)
                    dxw[kj] += gr;
            }
        }
}

/* fwd: src x, dst y; bwd: src dy, dst dx */
static void each_plane(int bwd, const float *src, float *dst, size_t nc, int h, int w, int k,
                       int stride, int threads)
{
    pool_geom g = {h, w, k, stride, kern_avg_pool_out(h, k, stride),
                   kern_avg_pool_out(w, k, stride), (float)k * (float)k};
    if (!g.oh || !g.ow)
        return;
    size_t in_plane = (size_t)h * w, out_plane = (size_t)g.oh * g.ow;
    size_t src_plane = bwd ? out_plane : in_plane, dst_plane = bwd ? in_plane : out_plane;
    long long np = (long long)nc;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (nc * in_plane >= KERN_PAR_MIN)
    for (long long p = 0; p < np; p++) {
        const float *sp = src + (size_t)p * src_plane;
        float *dp = dst + (size_t)p * dst_plane;
        if (bwd)
            bwd_plane(&g, sp, dp);
        else
            fwd_plane(&g, sp, dp);
    }
}

void kern_avg_pool_fwd(const float *x, float *y, size_t nc, int h, int w, int k, int stride,
                       int threads)
{
    each_plane(0, x, y, nc, h, w, k, stride, threads);
}

void kern_avg_pool_bwd(const float *dy, float *dx, size_t nc, int h, int w, int k, int stride,
                       int threads)
{
    each_plane(1, dy, dx, nc, h, w, k, stride, threads);
}

/* The interpreter's call (runtime/run/run.h): the op has passed its contract. */
int gan_run_pool(const gan_run_ctx *c)
{
    int bwd = c->op->type == GAN_OP_AVG_POOL_BWD;
    const gan_tensor *x = bwd ? c->tout[0] : c->tin[0];
    size_t nc = (size_t)run_dim(x, 0) * run_dim(x, 1);
    int h = run_dim(x, 2), w = run_dim(x, 3), k = c->op->i[1], s = c->op->i[2];
    if (bwd)
        kern_avg_pool_bwd(c->in[0], c->out[0], nc, h, w, k, s, c->threads);
    else
        kern_avg_pool_fwd(c->in[0], c->out[0], nc, h, w, k, s, c->threads);
    return 0;
}
