/* Direct convolution for very few output channels (the generator's 50->3 k4 output conv).
 * As a GEMM that conv has M = 3 and streams a column matrix 800 x 4096 per image through
 * memory: it is memory-bound at a few GFLOP/s whatever the blocking. Here, for stride 1:
 *  - forward: on a zero-padded copy of each image, strips of 8 output pixels for all (<= 4)
 *    output channels are accumulated in vector registers while input channels and taps stream
 *    past (one unaligned load feeds up to 4 channels' multiply-adds);
 *  - dx: the same core run on the zero-padded dy with the kernel flipped, 4 input channels at
 *    a time (dx is a "full" correlation of dy with the kernel);
 *  - dw: per input channel (parallel over channels, all images in order, so the sums do not
 *    depend on the thread count) and kernel row, 4-wide partial dot products kept in
 *    registers, one accumulator per kernel column.
 * Other strides and paddings larger than the kernel use a plain bounds-checked loop.
 * Vectors are GCC's generic 16-byte vectors: the baseline x86-64 width the build targets. */
#include <stdlib.h>
#include <string.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

#define DIRECT_MAX_OC 4
#define DIRECT_MAX_OW 1024
#define DSTRIP 8

typedef float v4f __attribute__((vector_size(4 * sizeof(float))));

int kern_conv_direct_ok(const kern_conv_shape *s)
{
    return s->oc <= DIRECT_MAX_OC && s->ow <= DIRECT_MAX_OW && s->kh * s->kw <= 64;
}

static int fast_ok(const kern_conv_shape *s)
{
    return s->stride == 1 && s->pad_t <= s->kh - 1 && s->pad_l <= s->kw - 1 && s->kw <= 8;
}

/* zero-padded copy: planes [np, sh, sw] -> [np, ph, pw] at row/column offset (r0, c0), clipped */
static void pad_planes(const float *src, int np, int sh, int sw, float *dst, int ph, int pw,
                       int r0, int c0)
{
    memset(dst, 0, (size_t)np * ph * pw * sizeof *dst);
    int ncol = sw;
    if (c0 + ncol > pw)
        ncol = pw - c0;
    if (ncol <= 0)
        return;
    for (int p = 0; p < np; p++)
        for (int r = 0; r < sh; r++) {
            int dr = r + r0;
            if (dr < 0 || dr >= ph)
                continue;
            memcpy(dst + ((size_t)p * ph + dr) * pw + c0, src + ((size_t)p * sh + r) * sw,
                   (size_t)ncol * sizeof *dst);
        }
}

/* out[g][y][x] (=act(.+bias) | +=) sum_{i < n_in, ki, kj} W(g, i, ki, kj) * in[i][y + ki][x + kj]
 * for g < G (a compile-time constant after inlining), y < oh, x < ow.
 * W(g, i, ki, kj) = wb[g * gs + i * is + tap], tap = ki*kw + kj, or the flipped
 * (kh-1-ki)*kw + (kw-1-kj). in is padded: [n_in][ph][pw] with pw >= round_up(ow, 8) + kw - 1. */
static inline __attribute__((always_inline)) void
direct_core(const int G, int n_in, int kh, int kw, int oh, int ow, const float *in, int ph, int pw,
            const float *wb, size_t gs, size_t is, int flip, float *out, size_t out_plane,
            int accumulate, const float *bias, int act, float alpha)
{
    int kk = kh * kw;
    for (int oy = 0; oy < oh; oy++)
        for (int ox0 = 0; ox0 < ow; ox0 += DSTRIP) {
            /* separate variables (not an array) so they stay in registers */
            v4f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
            for (int i = 0; i < n_in; i++)
                for (int ki = 0; ki < kh; ki++) {
                    const float *xr = in + ((size_t)i * ph + oy + ki) * pw + ox0;
                    const float *wr = wb + (size_t)i * is +
                                      (flip ? (size_t)(kh - 1 - ki) * kw + kw - 1 : (size_t)ki * kw);
                    int step = flip ? -1 : 1;
                    for (int kj = 0; kj < kw; kj++) {
                        v4f xl, xh;
                        memcpy(&xl, xr + kj, sizeof xl);
                        memcpy(&xh, xr + kj + 4, sizeof xh);
                        const float *wt = wr + kj * step;
                        float w0 = wt[0];
                        a0 += w0 * xl;
                        b0 += w0 * xh;
                        if (G > 1) {
                            float w1 = wt[gs];
                            a1 += w1 * xl;
                            b1 += w1 * xh;
                        }
                        if (G > 2) {
                            float w2 = wt[2 * gs];
                            a2 += w2 * xl;
                            b2 += w2 * xh;
                        }
                        if (G > 3) {
                            float w3 = wt[3 * gs];
                            a3 += w3 * xl;
                            b3 += w3 * xh;
                        }
                    }
                }
            (void)kk;
            int nv = ow - ox0 < DSTRIP ? ow - ox0 : DSTRIP;
            v4f lo[4] = {a0, a1, a2, a3}, hi[4] = {b0, b1, b2, b3};
            for (int g = 0; g < G; g++) {
                float tmp[DSTRIP];
                memcpy(tmp, &lo[g], sizeof lo[g]);
                memcpy(tmp + 4, &hi[g], sizeof hi[g]);
                float *o = out + (size_t)g * out_plane + (size_t)oy * ow + ox0;
                if (accumulate) {
                    for (int t = 0; t < nv; t++)
                        o[t] += tmp[t];
                } else {
                    kern_affine_act_row(tmp, o, (size_t)nv, 1.0f, bias ? bias[g] : 0.0f, act,
                                        alpha);
                }
            }
        }
}

/* dispatch on the group size so each instance has G constant */
static void direct_group(int G, int n_in, int kh, int kw, int oh, int ow, const float *in, int ph,
                         int pw, const float *wb, size_t gs, size_t is, int flip, float *out,
                         size_t out_plane, int accumulate, const float *bias, int act, float alpha)
{
    switch (G) {
    case 1: direct_core(1, n_in, kh, kw, oh, ow, in, ph, pw, wb, gs, is, flip, out, out_plane, accumulate, bias, act, alpha); break;
    case 2: direct_core(2, n_in, kh, kw, oh, ow, in, ph, pw, wb, gs, is, flip, out, out_plane, accumulate, bias, act, alpha); break;
    case 3: direct_core(3, n_in, kh, kw, oh, ow, in, ph, pw, wb, gs, is, flip, out, out_plane, accumulate, bias, act, alpha); break;
    default: direct_core(4, n_in, kh, kw, oh, ow, in, ph, pw, wb, gs, is, flip, out, out_plane, accumulate, bias, act, alpha); break;
    }
}

static int round8(int v) { return (v + DSTRIP - 1) / DSTRIP * DSTRIP; }

/* ---------------- generic (any stride / padding), bounds-checked ---------------- */
static void generic_fwd(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                        float *y, int act, float alpha, int threads)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w;
    int kk = s->kh * s->kw;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads))
    for (int n = 0; n < s->n; n++) {
        float acc[DIRECT_MAX_OC][DIRECT_MAX_OW];
        const float *xn = x + (size_t)n * s->c * ipl;
        float *yn = y + (size_t)n * s->oc * plane;
        for (int oy = 0; oy < s->oh; oy++) {
            for (int o = 0; o < s->oc; o++)
                memset(acc[o], 0, (size_t)s->ow * sizeof(float));
            for (int c = 0; c < s->c; c++)
                for (int ki = 0; ki < s->kh; ki++) {
                    int iy = oy * s->stride - s->pad_t + ki;
                    if (iy < 0 || iy >= s->h)
                        continue;
                    const float *xr = xn + (size_t)c * ipl + (size_t)iy * s->w;
                    for (int kj = 0; kj < s->kw; kj++)
                        for (int o = 0; o < s->oc; o++) {
                            float wv = w[((size_t)o * s->c + c) * kk + ki * s->kw + kj];
                            for (int ox = 0; ox < s->ow; ox++) {
                                int ix = ox * s->stride - s->pad_l + kj;
                                if (ix >= 0 && ix < s->w)
                                    acc[o][ox] += wv * xr[ix];
                            }
                        }
                }
            for (int o = 0; o < s->oc; o++)
                kern_affine_act_row(acc[o], yn + (size_t)o * plane + (size_t)oy * s->ow,
                                    (size_t)s->ow, 1.0f, b ? b[o] : 0.0f, act, alpha);
        }
    }
}

static void generic_dx(const kern_conv_shape *s, const float *w, const float *dy, float *dx,
                       int threads)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w;
    int kk = s->kh * s->kw;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads))
    for (int n = 0; n < s->n; n++) {
        const float *dyn = dy + (size_t)n * s->oc * plane;
        float *dxn = dx + (size_t)n * s->c * ipl;
        for (int oy = 0; oy < s->oh; oy++)
            for (int c = 0; c < s->c; c++)
                for (int ki = 0; ki < s->kh; ki++) {
                    int iy = oy * s->stride - s->pad_t + ki;
                    if (iy < 0 || iy >= s->h)
                        continue;
                    float *dr = dxn + (size_t)c * ipl + (size_t)iy * s->w;
                    for (int kj = 0; kj < s->kw; kj++)
                        for (int o = 0; o < s->oc; o++) {
                            float wv = w[((size_t)o * s->c + c) * kk + ki * s->kw + kj];
                            const float *g = dyn + (size_t)o * plane + (size_t)oy * s->ow;
                            for (int ox = 0; ox < s->ow; ox++) {
                                int ix = ox * s->stride - s->pad_l + kj;
                                if (ix >= 0 && ix < s->w)
                                    dr[ix] += wv * g[ox];
                            }
                        }
                }
    }
}

/* dw for one input channel c over all images: tot[o*kk + tap] (double) */
static void generic_dw_channel(const kern_conv_shape *s, const float *x, const float *dy, int c,
                               double *tot)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w;
    int kk = s->kh * s->kw;
    for (int n = 0; n < s->n; n++) {
        const float *xc = x + ((size_t)n * s->c + c) * ipl;
        const float *dyn = dy + (size_t)n * s->oc * plane;
        for (int o = 0; o < s->oc; o++)
            for (int ki = 0; ki < s->kh; ki++)
                for (int kj = 0; kj < s->kw; kj++) {
                    float a = 0.0f;
                    for (int oy = 0; oy < s->oh; oy++) {
                        int iy = oy * s->stride - s->pad_t + ki;
                        if (iy < 0 || iy >= s->h)
                            continue;
                        const float *xr = xc + (size_t)iy * s->w;
                        const float *g = dyn + (size_t)o * plane + (size_t)oy * s->ow;
                        for (int ox = 0; ox < s->ow; ox++) {
                            int ix = ox * s->stride - s->pad_l + kj;
                            if (ix >= 0 && ix < s->w)
                                a += g[ox] * xr[ix];
                        }
                    }
                    tot[o * kk + ki * s->kw + kj] += a;
                }
    }
}

/* ---------------- fast stride-1 paths ---------------- */
int kern_conv_direct_fwd(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                         float *y, int act, float alpha, int threads)
{
    if (!fast_ok(s)) {
        generic_fwd(s, x, w, b, y, act, alpha, threads);
        return 0;
    }
    int pw = round8(s->ow) + s->kw - 1, ph = s->oh + s->kh - 1;
    if (pw < s->pad_l + s->w)
        pw = s->pad_l + s->w;
    if (ph < s->pad_t + s->h)
        ph = s->pad_t + s->h;
    size_t per = (size_t)s->c * ph * pw, plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w;
    int nt = kern_nt(threads);
    float *pad = kern_tmp(s->scratch, (size_t)nt * per * sizeof *pad, 0);
    if (!pad)
        return -1;
    size_t kk = (size_t)s->kh * s->kw;
#pragma omp parallel num_threads(nt)
    {
        float *xp = pad + (size_t)kern_thread_id() * per;
#pragma omp for schedule(static)
        for (int n = 0; n < s->n; n++) {
            pad_planes(x + (size_t)n * s->c * ipl, s->c, s->h, s->w, xp, ph, pw, s->pad_t, s->pad_l);
            direct_group(s->oc, s->c, s->kh, s->kw, s->oh, s->ow, xp, ph, pw, w, s->c * kk, kk, 0,
                         y + (size_t)n * s->oc * plane, plane, 0, b, act, alpha);
        }
    }
    kern_tmp_done(s->scratch, pad);
    return 0;
}

/* One kernel row of dw for one (image, output channel, input channel): 4-wide partial dot
 * products of the dy rows with the padded x rows shifted by each kernel column. KW is a
 * compile-time constant after inlining, so the accumulators live in registers. */
static inline __attribute__((always_inline)) void
dw_row(const int KW, int oh, int ow, const float *xp, int pw, int ki, const float *g0, float *res)
{
    v4f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
    float tail[8] = {0};
    int ow4 = ow / 4 * 4;
    for (int oy = 0; oy < oh; oy++) {
        const float *xr = xp + (size_t)(oy + ki) * pw;
        const float *g = g0 + (size_t)oy * ow;
        for (int ox = 0; ox < ow4; ox += 4) {
            v4f gv, xv;
            memcpy(&gv, g + ox, sizeof gv);
#define DW_TAP(j, acc)                                                                             \
    if (KW > j) {                                                                                  \
        memcpy(&xv, xr + ox + j, sizeof xv);                                                       \
        acc += gv * xv;                                                                            \
    }
            DW_TAP(0, a0) DW_TAP(1, a1) DW_TAP(2, a2) DW_TAP(3, a3)
            DW_TAP(4, a4) DW_TAP(5, a5) DW_TAP(6, a6) DW_TAP(7, a7)
#undef DW_TAP
        }
        for (int ox = ow4; ox < ow; ox++)
            for (int kj = 0; kj < KW; kj++)
                tail[kj] += g[ox] * xr[ox + kj];
    }
    v4f all[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
    for (int kj = 0; kj < KW; kj++) {
        float l[4];
        memcpy(l, &all[kj], sizeof l);
        res[kj] = ((l[0] + l[1]) + (l[2] + l[3])) + tail[kj];
    }
}

/* dw for one input channel c, stride 1, over all images (in order), via padded x planes */
static void fast_dw_channel(const kern_conv_shape *s, const float *x, const float *dy, int c,
                            float *xp, int ph, int pw, double *tot)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w;
    int kk = s->kh * s->kw;
    for (int n = 0; n < s->n; n++) {
        pad_planes(x + ((size_t)n * s->c + c) * ipl, 1, s->h, s->w, xp, ph, pw, s->pad_t,
                   s->pad_l);
        const float *dyn = dy + (size_t)n * s->oc * plane;
        for (int o = 0; o < s->oc; o++)
            for (int ki = 0; ki < s->kh; ki++) {
                float res[8];
                const float *g0 = dyn + (size_t)o * plane;
                switch (s->kw) {
                case 1: dw_row(1, s->oh, s->ow, xp, pw, ki, g0, res); break;
                case 2: dw_row(2, s->oh, s->ow, xp, pw, ki, g0, res); break;
                case 3: dw_row(3, s->oh, s->ow, xp, pw, ki, g0, res); break;
                case 4: dw_row(4, s->oh, s->ow, xp, pw, ki, g0, res); break;
                case 5: dw_row(5, s->oh, s->ow, xp, pw, ki, g0, res); break;
                case 6: dw_row(6, s->oh, s->ow, xp, pw, ki, g0, res); break;
                case 7: dw_row(7, s->oh, s->ow, xp, pw, ki, g0, res); break;
                default: dw_row(8, s->oh, s->ow, xp, pw, ki, g0, res); break;
                }
                for (int kj = 0; kj < s->kw; kj++)
                    tot[o * kk + ki * s->kw + kj] += res[kj];
            }
    }
}

int kern_conv_direct_bwd(const kern_conv_shape *s, const float *x, const float *w,
                         const float *dy, float *dx, float *dw, int threads)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w, kk = (size_t)s->kh * s->kw;
    int nt = kern_nt(threads), fast = fast_ok(s);
    if (dx) {
        if (!fast) {
            generic_dx(s, w, dy, dx, threads);
        } else {
            /* dx[c][iy][ix] += sum_{o,ki,kj} w[o][c][kh-1-ki][kw-1-kj] * dyp[o][iy+ki][ix+kj]
             * with dy placed at (kh-1-pad_t, kw-1-pad_l) in the padded dyp */
            int r0 = s->kh - 1 - s->pad_t, c0 = s->kw - 1 - s->pad_l;
            int pw = round8(s->w) + s->kw - 1, ph = s->h + s->kh - 1;
            if (pw < c0 + s->ow)
                pw = c0 + s->ow;
            if (ph < r0 + s->oh)
                ph = r0 + s->oh;
            size_t per = (size_t)s->oc * ph * pw;
            float *pad = kern_tmp(s->scratch, (size_t)nt * per * sizeof *pad, 0);
            if (!pad)
                return -1;
#pragma omp parallel num_threads(nt)
            {
                float *dyp = pad + (size_t)kern_thread_id() * per;
#pragma omp for schedule(static)
                for (int n = 0; n < s->n; n++) {
                    pad_planes(dy + (size_t)n * s->oc * plane, s->oc, s->oh, s->ow, dyp, ph, pw, r0,
                               c0);
                    float *dxn = dx + (size_t)n * s->c * ipl;
                    /* groups of 4 input channels of the forward = outputs here */
                    for (int c = 0; c < s->c; c += 4) {
                        int g = s->c - c < 4 ? s->c - c : 4;
                        direct_group(g, s->oc, s->kh, s->kw, s->h, s->w, dyp, ph, pw,
                                     w + (size_t)c * kk, kk, (size_t)s->c * kk, 1,
                                     dxn + (size_t)c * ipl, ipl, 1, NULL, GAN_ACT_NONE, 0.0f);
                    }
                }
            }
            kern_tmp_done(s->scratch, pad);
        }
    }
    if (dw) {
        int use_fast = fast && s->kw <= 8;
        int pw = round8(s->ow) + s->kw - 1 + 4, ph = s->oh + s->kh - 1;
        if (pw < s->pad_l + s->w)
            pw = s->pad_l + s->w;
        if (ph < s->pad_t + s->h)
            ph = s->pad_t + s->h;
        size_t per = (size_t)ph * pw, ntot = (size_t)s->oc * kk;
        float *pad = use_fast ? kern_tmp(s->scratch, (size_t)nt * per * sizeof *pad, 0) : NULL;
        double *tots = kern_tmp(s->scratch, (size_t)nt * ntot * sizeof *tots, 0);
        if ((use_fast && !pad) || !tots) {
            kern_tmp_done(s->scratch, pad);
            kern_tmp_done(s->scratch, tots);
            return -1;
        }
#pragma omp parallel num_threads(nt)
        {
            int tid = kern_thread_id();
            double *tot = tots + (size_t)tid * ntot;
#pragma omp for schedule(static)
            for (int c = 0; c < s->c; c++) {
                memset(tot, 0, ntot * sizeof *tot);
                if (use_fast)
                    fast_dw_channel(s, x, dy, c, pad + (size_t)tid * per, ph, pw, tot);
                else
                    generic_dw_channel(s, x, dy, c, tot);
                for (int o = 0; o < s->oc; o++)
                    for (size_t q = 0; q < kk; q++)
                        dw[((size_t)o * s->c + c) * kk + q] += (float)tot[o * kk + q];
            }
        }
        kern_tmp_done(s->scratch, pad);
        kern_tmp_done(s->scratch, tots);
    }
    return 0;
}
