/* conv2d as implicit GEMMs on polyphase planes: no im2col, no col2im.
 *
 * With stride s, output (oy, ox) reads x[c][s*oy - pt + kh][s*ox - pl + kw]. Writing
 * e = kh - pt = s*dh + p (0 <= p < s), that is plane (p, q) of x's polyphase split,
 * x_pq[c][i][j] = x[c][s*i + p][s*j + q], at (oy + dh, ox + dw): for a fixed tap, the same
 * offset from every output. So on zero-padded copies of the s*s planes (PH x PW each, rows
 * and columns wide enough for every tap's shift), the B matrix of tap (kh, kw) is its plane at
 * a fixed offset with ldb = the plane's size, and the forward is KH*KW GEMMs with K = C,
 * accumulating into t [OC, OH*PW] (columns ox >= OW are not outputs and are dropped).
 * Backward: dy in t's layout (zero in those columns); per tap dW_tap += t B_tap^T and
 * dxp_tap += W_tap^T t into the padded planes of dx, then dx += the planes put back.
 *
 * Used in fp32 for convolutions with at least KERN_IMPLICIT_MIN_C input channels (K = C must
 * keep the GEMMs busy; D's first conv from RGB stays on the columns), more than 4 outputs
 * (fewer go to the direct kernel) and no 1x1 kernel (no columns to save). Threads and
 * determinism as the GEMM path (conv.c): images over OpenMP threads, per-thread buffers and
 * dW partials added in thread order. */
#include <stdlib.h>
#include <string.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

#ifndef KERN_IMPLICIT_MIN_C
#define KERN_IMPLICIT_MIN_C 8
#endif

int kern_conv_implicit_ok(const kern_conv_shape *s)
{
    return !s->columns && kern_precision() == KERN_PREC_FP32 && s->c >= KERN_IMPLICIT_MIN_C &&
           s->oc > 4 && s->kh * s->kw > 1 && s->stride >= 1 && s->stride <= 8;
}

static int floordiv(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

typedef struct {
    int s, dh0, dw0, ph, pw; /* stride, the smallest shifts, padded plane rows and columns */
    size_t pp, ldt;          /* plane size, t's row length (OH*PW) */
    int nn;                  /* GEMM columns: (OH-1)*PW + OW */
} geo;

static geo geometry(const kern_conv_shape *s)
{
    geo g;
    g.s = s->stride;
    g.dh0 = floordiv(-s->pad_t, g.s);
    g.dw0 = floordiv(-s->pad_l, g.s);
    g.ph = s->oh + floordiv(s->kh - 1 - s->pad_t, g.s) - g.dh0;
    g.pw = s->ow + floordiv(s->kw - 1 - s->pad_l, g.s) - g.dw0;
    g.pp = (size_t)g.ph * g.pw;
    g.ldt = (size_t)s->oh * g.pw;
    g.nn = (s->oh - 1) * g.pw + s->ow;
    return g;
}

/* floats per thread: the planes of x (and, backward, of dx) and t */
static size_t thread_floats(const kern_conv_shape *s, const geo *g, int bwd)
{
    size_t planes = (size_t)g->s * g->s * s->c * g->pp;
    return planes * (bwd ? 2 : 1) + (size_t)s->oc * g->ldt;
}

/* tap (kh, kw): its plane (p, q) and its offset in that plane */
static const float *tap_b(const kern_conv_shape *s, const geo *g, const float *planes, int kh,
                          int kw)
{
    int eh = kh - s->pad_t, ew = kw - s->pad_l;
    int dh = floordiv(eh, g->s), dw = floordiv(ew, g->s);
    int p = eh - dh * g->s, q = ew - dw * g->s;
    return planes + ((size_t)(p * g->s + q) * s->c) * g->pp + (size_t)(dh - g->dh0) * g->pw +
           (size_t)(dw - g->dw0);
}

/* x [C, H, W] -> its s*s padded polyphase planes [p][q][C][PH][PW] (zero outside x) */
static void split_planes(const kern_conv_shape *s, const geo *g, const float *xn, float *pl)
{
    for (int p = 0; p < g->s; p++)
        for (int q = 0; q < g->s; q++)
            for (int c = 0; c < s->c; c++) {
                float *d = pl + ((size_t)(p * g->s + q) * s->c + c) * g->pp;
                const float *src = xn + (size_t)c * s->h * s->w;
                for (int r = 0; r < g->ph; r++) {
                    int y = g->s * (r + g->dh0) + p;
                    float *dr = d + (size_t)r * g->pw;
                    if (y < 0 || y >= s->h) {
                        memset(dr, 0, (size_t)g->pw * sizeof *dr);
                        continue;
                    }
                    for (int k = 0; k < g->pw; k++) {
                        int x = g->s * (k + g->dw0) + q;
                        dr[k] = x >= 0 && x < s->w ? src[(size_t)y * s->w + x] : 0.0f;
                    }
                }
            }
}

/* the adjoint: dx += the planes put back where they came from */
static void merge_planes(const kern_conv_shape *s, const geo *g, const float *pl, float *dxn)
{
    for (int p = 0; p < g->s; p++)
        for (int q = 0; q < g->s; q++)
            for (int c = 0; c < s->c; c++) {
                const float *d = pl + ((size_t)(p * g->s + q) * s->c + c) * g->pp;
                float *dst = dxn + (size_t)c * s->h * s->w;
                for (int r = 0; r < g->ph; r++) {
                    int y = g->s * (r + g->dh0) + p;
                    if (y < 0 || y >= s->h)
                        continue;
                    for (int k = 0; k < g->pw; k++) {
                        int x = g->s * (k + g->dw0) + q;
                        if (x >= 0 && x < s->w)
                            dst[(size_t)y * s->w + x] += d[(size_t)r * g->pw + k];
                    }
                }
            }
}

/* wt [KH*KW][OC][C] from w [OC][C][KH][KW] */
static void tap_major(const kern_conv_shape *s, const float *w, float *wt)
{
    int kk = s->kh * s->kw;
    size_t per = (size_t)s->oc * s->c;
    for (size_t oc = 0; oc < per; oc++)
        for (int t = 0; t < kk; t++)
            wt[(size_t)t * per + oc] = w[oc * kk + t];
}

static void image_fwd(const kern_conv_shape *s, const geo *g, const float *xn, const float *wt,
                      float *yn, float *buf)
{
    float *pl = buf, *t = buf + (size_t)g->s * g->s * s->c * g->pp;
    size_t per = (size_t)s->oc * s->c;
    split_planes(s, g, xn, pl);
    for (int kh = 0, tap = 0; kh < s->kh; kh++)
        for (int kw = 0; kw < s->kw; kw++, tap++)
            kern_gemm(0, 0, s->oc, g->nn, s->c, wt + tap * per, s->c, tap_b(s, g, pl, kh, kw),
                      (int)g->pp, tap ? 1.0f : 0.0f, t, (int)g->ldt);
    for (int o = 0; o < s->oc; o++)
        for (int oy = 0; oy < s->oh; oy++)
            memcpy(yn + ((size_t)o * s->oh + oy) * s->ow, t + o * g->ldt + (size_t)oy * g->pw,
                   (size_t)s->ow * sizeof *yn);
}

int kern_conv_implicit_fwd(const kern_conv_shape *s, const float *x, const float *w,
                           const float *b, float *y, int act, float alpha, int threads)
{
    geo g = geometry(s);
    int nt = kern_nt(threads);
    nt = nt > 1 && s->n >= nt ? nt : 1;
    size_t tb = thread_floats(s, &g, 0), plane = (size_t)s->oh * s->ow;
    size_t ipl = (size_t)s->h * s->w, nw = (size_t)s->oc * s->c * s->kh * s->kw;
    float *bufs = kern_tmp(s->scratch, (size_t)nt * tb * sizeof *bufs, 0);
    float *wt = kern_tmp(s->scratch, nw * sizeof *wt, 0);
    if (!bufs || !wt) {
        kern_tmp_done(s->scratch, wt);
        kern_tmp_done(s->scratch, bufs);
        return -1;
    }
    tap_major(s, w, wt);
    int blas_nt = nt > 1 ? kern_blas_single_begin(nt) : 0;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int n = 0; n < s->n; n++) {
        float *yn = y + (size_t)n * s->oc * plane;
        image_fwd(s, &g, x + (size_t)n * s->c * ipl, wt, yn, bufs + (size_t)kern_thread_id() * tb);
        kern_conv_bias_act(yn, b, s->oc, plane, act, alpha, 1);
    }
    if (nt > 1)
        kern_blas_single_end(blas_nt);
    kern_tmp_done(s->scratch, wt);
    kern_tmp_done(s->scratch, bufs);
    return 0;
}

static void image_bwd(const kern_conv_shape *s, const geo *g, const float *xn, const float *wt,
                      const float *dyn, float *dxn, float *dwt, float *buf)
{
    size_t planes = (size_t)g->s * g->s * s->c * g->pp, per = (size_t)s->oc * s->c;
    float *pl = buf, *dpl = buf + planes, *t = buf + 2 * planes;
    for (int o = 0; o < s->oc; o++)
        for (int oy = 0; oy < s->oh; oy++) {
            float *d = t + o * g->ldt + (size_t)oy * g->pw;
            memcpy(d, dyn + ((size_t)o * s->oh + oy) * s->ow, (size_t)s->ow * sizeof *d);
            memset(d + s->ow, 0, (size_t)(g->pw - s->ow) * sizeof *d);
        }
    if (dwt)
        split_planes(s, g, xn, pl);
    if (dxn)
        memset(dpl, 0, planes * sizeof *dpl);
    for (int kh = 0, tap = 0; kh < s->kh; kh++)
        for (int kw = 0; kw < s->kw; kw++, tap++) {
            if (dwt)
                kern_gemm(0, 1, s->oc, s->c, g->nn, t, (int)g->ldt, tap_b(s, g, pl, kh, kw),
                          (int)g->pp, 1.0f, dwt + tap * per, s->c);
            if (dxn)
                kern_gemm(1, 0, s->c, g->nn, s->oc, wt + tap * per, s->c, t, (int)g->ldt, 1.0f,
                          (float *)tap_b(s, g, dpl, kh, kw), (int)g->pp);
        }
    if (dxn)
        merge_planes(s, g, dpl, dxn);
}

int kern_conv_implicit_bwd(const kern_conv_shape *s, const float *x, const float *w,
                           const float *dy, float *dx, float *dw, int threads)
{
    geo g = geometry(s);
    int nt = kern_nt(threads), kk = s->kh * s->kw;
    nt = nt > 1 && s->n >= nt ? nt : 1;
    size_t tb = thread_floats(s, &g, 1), plane = (size_t)s->oh * s->ow;
    size_t ipl = (size_t)s->h * s->w, nw = (size_t)s->oc * s->c * kk;
    float *bufs = kern_tmp(s->scratch, (size_t)nt * tb * sizeof *bufs, 0);
    float *wt = dx ? kern_tmp(s->scratch, nw * sizeof *wt, 0) : NULL;
    float *dwt = dw ? kern_tmp(s->scratch, (size_t)nt * nw * sizeof *dwt, 1) : NULL;
    if (!bufs || (dx && !wt) || (dw && !dwt)) {
        kern_tmp_done(s->scratch, dwt);
        kern_tmp_done(s->scratch, wt);
        kern_tmp_done(s->scratch, bufs);
        return -1;
    }
    if (dx)
        tap_major(s, w, wt);
    int blas_nt = nt > 1 ? kern_blas_single_begin(nt) : 0;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int n = 0; n < s->n; n++) {
        int tid = kern_thread_id();
        image_bwd(s, &g, x + (size_t)n * s->c * ipl, wt, dy + (size_t)n * s->oc * plane,
                  dx ? dx + (size_t)n * s->c * ipl : NULL, dw ? dwt + (size_t)tid * nw : NULL,
                  bufs + (size_t)tid * tb);
    }
    if (nt > 1)
        kern_blas_single_end(blas_nt);
    if (dw) {
        size_t per = (size_t)s->oc * s->c;
        for (int t = 1; t < nt; t++) /* thread partials in thread order */
            for (size_t i = 0; i < nw; i++)
                dwt[i] += dwt[(size_t)t * nw + i];
        for (size_t oc = 0; oc < per; oc++)
            for (int t = 0; t < kk; t++)
                dw[oc * kk + t] += dwt[(size_t)t * per + oc];
    }
    kern_tmp_done(s->scratch, dwt);
    kern_tmp_done(s->scratch, wt);
    kern_tmp_done(s->scratch, bufs);
    return 0;
}
