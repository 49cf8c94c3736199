/* DiffAugment (format/ops_diffaug.c): the draws, the transform and its transpose. The draws of
 * a sample are a hash of the layer's seed, the run counter and the sample: no RNG state but
 * the counter, so a resumed run draws what the uninterrupted one would. One sample per
 * iteration, in a fixed order within it: no result depends on the thread count. */
#include <string.h>
#include "runtime/kernels.h"
#include "runtime/run/run.h"
#include "runtime/kernels/kern_internal.h"

enum { P_B, P_S, P_C, P_TX, P_TY, P_X0, P_Y0, P_W, P_H };

static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* the j-th uniform in [0, 1) of sample i in run `run` */
static double draw(uint64_t seed, uint64_t run, int i, int j)
{
    uint64_t h = mix(seed ^ mix(run ^ mix(((uint64_t)i << 8) | (uint64_t)j)));
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

/* lo + floor(u (hi - lo)): an integer in [lo, hi) */
static int randint(double u, int lo, int hi)
{
    int v = lo + (int)(u * (hi - lo));
    return v < hi ? v : hi - 1;
}

void kern_diffaug_draw(uint64_t seed, uint64_t run, int n, int h, int w, int color,
                       float translation, float cutout, float *params)
{
    kern_diffaug_draw_rows(seed, run, 0, n, h, w, color, translation, cutout, params);
}

void kern_diffaug_draw_rows(uint64_t seed, uint64_t run, int row0, int n, int h, int w,
                            int color, float translation, float cutout, float *params)
{
    int sx = (int)(w * translation + 0.5f), sy = (int)(h * translation + 0.5f);
    int cw = (int)(w * cutout + 0.5f), ch = (int)(h * cutout + 0.5f);
    for (int k = 0; k < n; k++) {
        float *p = params + (size_t)k * 9;
        int i = row0 + k;
        p[P_B] = color ? (float)(draw(seed, run, i, 0) - 0.5) : 0.0f;
        p[P_S] = color ? (float)(draw(seed, run, i, 1) * 2.0) : 1.0f;
        p[P_C] = color ? (float)(draw(seed, run, i, 2) + 0.5) : 1.0f;
        p[P_TX] = (float)randint(draw(seed, run, i, 3), -sx, sx + 1);
        p[P_TY] = (float)randint(draw(seed, run, i, 4), -sy, sy + 1);
        /* DiffAugment's centre: randint(0, side + (1 - size % 2)), the box centred on it */
        p[P_X0] = cw ? (float)(randint(draw(seed, run, i, 5), 0, w + 1 - cw % 2) - cw / 2) : 0.0f;
        p[P_Y0] = ch ? (float)(randint(draw(seed, run, i, 6), 0, h + 1 - ch % 2) - ch / 2) : 0.0f;
        p[P_W] = (float)cw;
        p[P_H] = (float)ch;
    }
}

typedef struct {
    float b, s, c;
    int tx, ty, x0, y0, x1, y1; /* cutout box [x0, x1) x [y0, y1) */
    int color;
} aug;

static aug aug_of(const float *p)
{
    aug a = {p[P_B], p[P_S], p[P_C], (int)p[P_TX], (int)p[P_TY], (int)p[P_X0], (int)p[P_Y0],
             (int)p[P_X0] + (int)p[P_W], (int)p[P_Y0] + (int)p[P_H], 0};
    a.color = a.b != 0.0f || a.s != 1.0f || a.c != 1.0f;
    return a;
}

static int cut(const aug *a, int hh, int ww)
{
    return hh >= a->y0 && hh < a->y1 && ww >= a->x0 && ww < a->x1;
}

static void fwd_one(const aug *a, const float *x, float *y, int c, int h, int w)
{
    size_t plane = (size_t)h * w;
    double mall = 0;
    if (a->color) {
        for (size_t k = 0; k < plane * c; k++)
            mall += x[k];
        mall /= (double)(plane * c);
    }
    for (int hh = 0; hh < h; hh++)
        for (int ww = 0; ww < w; ww++) {
            int sh = hh + a->ty, sw = ww + a->tx;
            size_t d = (size_t)hh * w + ww, s = (size_t)sh * w + sw;
            if (cut(a, hh, ww) || sh < 0 || sh >= h || sw < 0 || sw >= w) {
                for (int ch = 0; ch < c; ch++)
                    y[ch * plane + d] = 0.0f;
                continue;
            }
            if (!a->color) {
                for (int ch = 0; ch < c; ch++)
                    y[ch * plane + d] = x[ch * plane + s];
                continue;
            }
            float mc = 0;
            for (int ch = 0; ch < c; ch++)
                mc += x[ch * plane + s];
            mc /= (float)c;
            for (int ch = 0; ch < c; ch++)
                y[ch * plane + d] = a->c * ((x[ch * plane + s] - mc) * a->s + mc - (float)mall) +
                                    (float)mall + a->b;
        }
}

/* g(ch, source pixel): dy at the destination that read it, 0 where none did */
static float gather(const aug *a, const float *dy, int ch, int sh, int sw, int h, int w)
{
    int hh = sh - a->ty, ww = sw - a->tx;
    if (hh < 0 || hh >= h || ww < 0 || ww >= w || cut(a, hh, ww))
        return 0.0f;
    return dy[(size_t)ch * h * w + (size_t)hh * w + ww];
}

static void bwd_one(const aug *a, const float *dy, float *dx, int c, int h, int w)
{
    size_t plane = (size_t)h * w;
    double mg = 0;
    if (a->color) {
        for (int ch = 0; ch < c; ch++)
            for (int sh = 0; sh < h; sh++)
                for (int sw = 0; sw < w; sw++)
                    mg += gather(a, dy, ch, sh, sw, h, w);
        mg /= (double)(plane * c);
    }
    for (int sh = 0; sh < h; sh++)
        for (int sw = 0; sw < w; sw++) {
            size_t s = (size_t)sh * w + sw;
            if (!a->color) {
                for (int ch = 0; ch < c; ch++)
                    dx[ch * plane + s] += gather(a, dy, ch, sh, sw, h, w);
                continue;
            }
            float mc = 0;
            for (int ch = 0; ch < c; ch++)
                mc += gather(a, dy, ch, sh, sw, h, w);
            mc /= (float)c;
            for (int ch = 0; ch < c; ch++) {
                float g = gather(a, dy, ch, sh, sw, h, w);
                dx[ch * plane + s] += a->c * (a->s * g + (1.0f - a->s) * mc) +
                                      (1.0f - a->c) * (float)mg;
            }
        }
}

void kern_diffaug_fwd(const float *x, const float *params, float *y, int n, int c, int h, int w,
                      int threads)
{
    size_t per = (size_t)c * h * w;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)n * per >= KERN_PAR_MIN)
    for (int i = 0; i < n; i++) {
        aug a = aug_of(params + (size_t)i * 9);
        fwd_one(&a, x + i * per, y + i * per, c, h, w);
    }
}

void kern_diffaug_bwd(const float *params, const float *dy, float *dx, int n, int c, int h,
                      int w, int threads)
{
    size_t per = (size_t)c * h * w;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)n * per >= KERN_PAR_MIN)
    for (int i = 0; i < n; i++) {
        aug a = aug_of(params + (size_t)i * 9);
        bwd_one(&a, dy + i * per, dx + i * per, c, h, w);
    }
}

/* The interpreter's call (runtime/run/run.h): the op has passed its contract. The counter is a
 * float: exact to 2^24 runs, then it wraps to 0 (the draws repeat after 16.7 million runs). */
int gan_run_diffaug(const gan_run_ctx *c)
{
    const gan_op *op = c->op;
    float *const *a = c->in, *const *o = c->out;
    const gan_tensor *x = c->op->type == GAN_OP_DIFFAUG ? c->tin[0] : c->tout[0];
    int n = run_dim(x, 0), ch = run_dim(x, 1), h = run_dim(x, 2), w = run_dim(x, 3);
    if (op->type == GAN_OP_DIFFAUG_BWD) {
        kern_diffaug_bwd(a[0], a[1], o[0], n, ch, h, w, c->threads);
        return 0;
    }
    uint32_t bits;
    memcpy(&bits, a[1], sizeof bits);
    float k = a[2][0];
    a[2][0] = k + 1.0f >= 16777216.0f ? 0.0f : k + 1.0f;
    kern_diffaug_draw_rows(bits, (uint64_t)k, c->row0, n, h, w, op->i[1] & 1, op->f[1],
                           op->f[2], o[1]);
    kern_diffaug_fwd(a[0], o[1], o[0], n, ch, h, w, c->threads);
    return 0;
}
