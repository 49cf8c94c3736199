/* Winograd F(2x2, 3x3) forward for 3x3 stride-1 convolutions (the seed generator's layers):
 * 16 multiplies per 2x2 output tile and input channel instead of 36 (2.25x fewer), as 16 GEMMs
 * U_k [OC, C] x V_k [C, tiles] over a chunk of tiles sized to stay in cache.
 *   U = G g G^T (weights, once per call), V = B^T d B (4x4 input patches, stride 2),
 *   Y = A^T M A (2x2 outputs) with
 *   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1], B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
 *   A^T = [1 1 1 0; 0 1 -1 -1].
 * Each image works on a zero-padded copy (pads up to 2), so tiles need no bounds checks; the
 * output transform clips the last tile row/column. Threads: images over OpenMP threads, each
 * with single-threaded sgemm and its own scratch (as the GEMM path). */
#include <stdlib.h>
#include <string.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

/* tiles per chunk: V chunk (16 x C x tiles floats) around 1 MB (measured: 97->78 at 16x16
 * 40 ms with 1 MB chunks, 47 ms with 256 KB ones) */
#ifndef WINO_CHUNK_FLOATS
#define WINO_CHUNK_FLOATS (256 * 1024)
#endif

/* Used where it measured faster than im2col + GEMM at batch 100: planes up to 16x16 (122->97
 * at 8x8: 14 ms instead of 20-25 ms; 97->78 at 16x16: 40 ms instead of 47 ms). On 32x32 and
 * 64x64 the scalar transforms cost more than the 2.25x fewer multiplies save (62->50 at 64x64:
 * 380-430 ms against 312 ms), so those stay on the GEMM path until the transforms are
 * vectorised. */
#ifndef WINO_MAX_PLANE
#define WINO_MAX_PLANE 256
#endif

int kern_conv_winograd_ok(const kern_conv_shape *s)
{
    return s->kh == 3 && s->kw == 3 && s->stride == 1 && s->pad_t <= 2 && s->pad_l <= 2 &&
           s->oc > 4 && s->c > 0 && s->oh > 0 && s->ow > 0 &&
           (long long)s->oh * s->ow <= WINO_MAX_PLANE;
}

/* U [16][oc][c] from w [oc][c][3][3] */
static void transform_weights(const kern_conv_shape *s, const float *w, float *u)
{
    size_t occ = (size_t)s->oc * s->c;
    for (size_t p = 0; p < occ; p++) {
        const float *g = w + p * 9;
        float t[4][3]; /* G g */
        for (int j = 0; j < 3; j++) {
            t[0][j] = g[j];
            t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
            t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
            t[3][j] = g[6 + j];
        }
        for (int i = 0; i < 4; i++) { /* (G g) G^T */
            float r[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]),
                          0.5f * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
            for (int j = 0; j < 4; j++)
                u[(size_t)(i * 4 + j) * occ + p] = r[j];
        }
    }
}

typedef struct {
    int th, tw;      /* tiles per column / row */
    int ph, pw;      /* padded input size */
    int chunk;       /* tiles per chunk */
    size_t per;      /* scratch floats per thread */
} wino_geom;

static void geometry(const kern_conv_shape *s, wino_geom *g)
{
    g->th = (s->oh + 1) / 2;
    g->tw = (s->ow + 1) / 2;
    g->ph = 2 * g->th + 2;
    g->pw = 2 * g->tw + 2;
    if (g->ph < s->pad_t + s->h)
        g->ph = s->pad_t + s->h;
    if (g->pw < s->pad_l + s->w)
        g->pw = s->pad_l + s->w;
    size_t per_tile = (size_t)16 * s->c;
    int chunk = (int)(WINO_CHUNK_FLOATS / per_tile);
    if (chunk < 16)
        chunk = 16;
    int tiles = g->th * g->tw;
    if (chunk > tiles)
        chunk = tiles;
    g->chunk = chunk;
    g->per = (size_t)s->c * g->ph * g->pw + (size_t)16 * s->c * chunk + (size_t)16 * s->oc * chunk;
}

static void image_fwd(const kern_conv_shape *s, const wino_geom *g, const float *xn,
                      const float *u, const float *b, float *yn, float *scratch, int act,
                      float alpha)
{
    float *xp = scratch, *v = xp + (size_t)s->c * g->ph * g->pw,
          *m = v + (size_t)16 * s->c * g->chunk;
    size_t ipl = (size_t)s->h * s->w, ppl = (size_t)g->ph * g->pw, opl = (size_t)s->oh * s->ow;
    /* zero-padded copy */
    memset(xp, 0, (size_t)s->c * ppl * sizeof *xp);
    for (int c = 0; c < s->c; c++)
        for (int iy = 0; iy < s->h; iy++)
            memcpy(xp + c * ppl + (size_t)(iy + s->pad_t) * g->pw + s->pad_l,
                   xn + c * ipl + (size_t)iy * s->w, (size_t)s->w * sizeof *xp);
    int tiles = g->th * g->tw;
    for (int t0 = 0; t0 < tiles; t0 += g->chunk) {
        int nt = tiles - t0 < g->chunk ? tiles - t0 : g->chunk;
        size_t cs = (size_t)s->c * nt, os = (size_t)s->oc * nt; /* stride between the 16 */
        /* input transform: V[k][c][t] */
        for (int c = 0; c < s->c; c++) {
            const float *xc = xp + c * ppl;
            for (int t = 0; t < nt; t++) {
                int ty = (t0 + t) / g->tw, tx = (t0 + t) % g->tw;
                const float *d0 = xc + (size_t)(2 * ty) * g->pw + 2 * tx;
                float d[4][4], r[4][4];
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                        d[i][j] = d0[(size_t)i * g->pw + j];
                for (int j = 0; j < 4; j++) { /* B^T d */
                    r[0][j] = d[0][j] - d[2][j];
                    r[1][j] = d[1][j] + d[2][j];
                    r[2][j] = d[2][j] - d[1][j];
                    r[3][j] = d[1][j] - d[3][j];
                }
                float *vt = v + (size_t)c * nt + t;
                for (int i = 0; i < 4; i++) { /* (B^T d) B */
                    vt[(size_t)(i * 4 + 0) * cs] = r[i][0] - r[i][2];
                    vt[(size_t)(i * 4 + 1) * cs] = r[i][1] + r[i][2];
                    vt[(size_t)(i * 4 + 2) * cs] = r[i][2] - r[i][1];
                    vt[(size_t)(i * 4 + 3) * cs] = r[i][1] - r[i][3];
                }
            }
        }
        /* 16 GEMMs: M_k [oc, nt] = U_k [oc, c] V_k [c, nt] */
        for (int k = 0; k < 16; k++)
            kern_gemm(0, 0, s->oc, nt, s->c, u + (size_t)k * s->oc * s->c, s->c, v + (size_t)k * cs,
                      nt, 0.0f, m + (size_t)k * os, nt);
        /* output transform: Y = A^T M A, clipped at the edges */
        for (int o = 0; o < s->oc; o++) {
            float *yo = yn + o * opl;
            for (int t = 0; t < nt; t++) {
                const float *mt = m + (size_t)o * nt + t;
                float q[4][4], r[2][4];
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                        q[i][j] = mt[(size_t)(i * 4 + j) * os];
                for (int j = 0; j < 4; j++) {
                    r[0][j] = q[0][j] + q[1][j] + q[2][j];
                    r[1][j] = q[1][j] - q[2][j] - q[3][j];
                }
                int ty = (t0 + t) / g->tw, tx = (t0 + t) % g->tw, oy = 2 * ty, ox = 2 * tx;
                for (int i = 0; i < 2 && oy + i < s->oh; i++) {
                    float y0 = r[i][0] + r[i][1] + r[i][2], y1 = r[i][1] - r[i][2] - r[i][3];
                    float *row = yo + (size_t)(oy + i) * s->ow + ox;
                    row[0] = y0;
                    if (ox + 1 < s->ow)
                        row[1] = y1;
                }
            }
        }
    }
    if (b || act != GAN_ACT_NONE)
        for (int o = 0; o < s->oc; o++)
            kern_bias_act_row(yn + o * opl, opl, b ? b[o] : 0.0f, act, alpha);
}

int kern_conv_winograd_fwd(const kern_conv_shape *s, const float *x, const float *w,
                           const float *b, float *y, int act, float alpha, int threads)
{
    wino_geom g;
    geometry(s, &g);
    int nt = kern_nt(threads);
    if (nt > s->n)
        nt = s->n;
    if (nt < 1)
        nt = 1;
    size_t nu = (size_t)16 * s->oc * s->c;
    float *u = kern_tmp(s->scratch, nu * sizeof *u, 0), *scratch = kern_tmp(s->scratch, (size_t)nt * g.per * sizeof *scratch, 0);
    if (!u || !scratch) {
        kern_tmp_done(s->scratch, u);
        kern_tmp_done(s->scratch, scratch);
        return -1;
    }
    transform_weights(s, w, u);
    size_t ipl = (size_t)s->h * s->w, opl = (size_t)s->oh * s->ow;
    int blas_nt = kern_blas_single_begin(nt);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int n = 0; n < s->n; n++)
        image_fwd(s, &g, x + (size_t)n * s->c * ipl, u, b, y + (size_t)n * s->oc * opl,
                  scratch + (size_t)kern_thread_id() * g.per, act, alpha);
    kern_blas_single_end(blas_nt);
    kern_tmp_done(s->scratch, u);
    kern_tmp_done(s->scratch, scratch);
    return 0;
}
