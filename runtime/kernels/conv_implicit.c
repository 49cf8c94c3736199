/* conv2d as implicit GEMMs on polyphase planes: no im2col, no col2im.
 *
 * With stride s, output (oy, ox) reads x[c][s*oy - pt + kh][s*ox - pl + kw]. Writing
 * e = kh - pt = s*dh + p (0 <= p < s), that is plane (p, q) of x's polyphase split,
 * x_pq[c][i][j] = x[c][s*i + p][s*j + q], at (oy + dh, ox + dw): for a fixed tap, the same
 * offset from every output. So on zero-padded copies of the s*s planes (PH x PW each, rows
 * and columns wide enough for every tap's shift), the B matrix of tap (kh, kw) is its plane at
 * a fixed offset with ldb = the plane's size, and the forward is KH*KW GEMMs with K = C,
 * accumulating into t [OC, OH*PW] (columns ox >= OW are not outputs and are dropped).
 * Backward: dy in t's layout (zero in those columns); per tap dxp_tap += W_tap^T t into the
 * padded planes of dx, then dx += the planes put back; and dW_tap += t B_tap^T.
 *
 * Used in fp32 for convolutions with at least KERN_IMPLICIT_MIN_C input channels (K = C must
 * keep the GEMMs busy; D's first conv from RGB stays on the columns), more than 4 outputs
 * (fewer go to the direct kernel) and no 1x1 kernel (no columns to save). Threads: the
 * forward and dx take images over OpenMP threads with per-thread buffers; dW takes its taps
 * (or tap x channel pieces) over the threads, each adding every image in order, so that no
 * thread keeps a weight-sized partial. Deterministic for a fixed thread count. */
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

/* floats per thread: the planes of x (or, backward, of x or dx) and t */
static size_t thread_floats(const kern_conv_shape *s, const geo *g)
{
    return (size_t)g->s * g->s * s->c * g->pp + (size_t)s->oc * g->ldt;
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
    size_t tb = thread_floats(s, &g), plane = (size_t)s->oh * s->ow;
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

/* dy_n into t's layout (OC rows of OH*PW, zero in the columns ox >= OW) */
static void dy_layout(const kern_conv_shape *s, const geo *g, const float *dyn, float *t)
{
    for (int o = 0; o < s->oc; o++)
        for (int oy = 0; oy < s->oh; oy++) {
            float *d = t + o * g->ldt + (size_t)oy * g->pw;
            memcpy(d, dyn + ((size_t)o * s->oh + oy) * s->ow, (size_t)s->ow * sizeof *d);
            memset(d + s->ow, 0, (size_t)(g->pw - s->ow) * sizeof *d);
        }
}

/* dx_n += the taps' W_tap^T t, through padded planes */
static void image_dx(const kern_conv_shape *s, const geo *g, const float *wt, const float *dyn,
                     float *dxn, float *buf)
{
    size_t planes = (size_t)g->s * g->s * s->c * g->pp, per = (size_t)s->oc * s->c;
    float *dpl = buf, *t = buf + planes;
    dy_layout(s, g, dyn, t);
    memset(dpl, 0, planes * sizeof *dpl);
    for (int kh = 0, tap = 0; kh < s->kh; kh++)
        for (int kw = 0; kw < s->kw; kw++, tap++)
            kern_gemm(1, 0, s->c, g->nn, s->oc, wt + tap * per, s->c, t, (int)g->ldt, 1.0f,
                      (float *)tap_b(s, g, dpl, kh, kw), (int)g->pp);
    merge_planes(s, g, dpl, dxn);
}

/* dW in tap-major blocks [KH*KW][OC][C], split into `items` pieces: tap-major block k / sp,
 * input channels of part k % sp (sp pieces per tap, so that the pieces share out evenly over
 * the threads). This thread's pieces [i0, i1), every image in order. */
static void dw_items(const kern_conv_shape *s, const geo *g, const float *x, const float *dy,
                     float *dwt, int sp, int i0, int i1, float *buf)
{
    size_t planes = (size_t)g->s * g->s * s->c * g->pp, per = (size_t)s->oc * s->c;
    size_t ipl = (size_t)s->h * s->w, plane = (size_t)s->oh * s->ow;
    float *pl = buf, *t = buf + planes;
    for (int n = 0; n < s->n && i0 < i1; n++) {
        dy_layout(s, g, dy + (size_t)n * s->oc * plane, t);
        split_planes(s, g, x + (size_t)n * s->c * ipl, pl);
        for (int it = i0; it < i1; it++) {
            int tap = it / sp, part = it % sp;
            int c0 = (int)((long long)s->c * part / sp), c1 = (int)((long long)s->c * (part + 1) / sp);
            if (c1 <= c0)
                continue;
            const float *b = tap_b(s, g, pl, tap / s->kw, tap % s->kw) + (size_t)c0 * g->pp;
            kern_gemm(0, 1, s->oc, c1 - c0, g->nn, t, (int)g->ldt, b, (int)g->pp, 1.0f,
                      dwt + tap * per + c0, s->c);
        }
    }
}

/* Two passes, sharing one weight-sized buffer: dx over the images (W tap-major), then dW over
 * its taps (the same buffer, zeroed), each piece owned by one thread that adds the images in
 * order. No per-thread dW partials: at D's 256 -> 512 4x4 layer those were 8 MiB a thread. */
int kern_conv_implicit_bwd(const kern_conv_shape *s, const float *x, const float *w,
                           const float *dy, float *dx, float *dw, int threads)
{
    geo g = geometry(s);
    int nt = kern_nt(threads), kk = s->kh * s->kw;
    size_t tb = thread_floats(s, &g), plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w, nw = (size_t)s->oc * s->c * kk;
    int ntx = nt > 1 && s->n >= nt ? nt : 1;
    int sp = kk % nt == 0 ? 1 : nt, items = kk * sp, ntw = nt < items ? nt : items;
    int nb = ntx > ntw ? ntx : ntw;
    float *bufs = kern_tmp(s->scratch, (size_t)nb * tb * sizeof *bufs, 0);
    float *wt = kern_tmp(s->scratch, nw * sizeof *wt, 0);
    if (!bufs || !wt) {
        kern_tmp_done(s->scratch, wt);
        kern_tmp_done(s->scratch, bufs);
        return -1;
    }
    if (dx) {
        tap_major(s, w, wt);
        int blas_nt = ntx > 1 ? kern_blas_single_begin(ntx) : 0;
#pragma omp parallel for schedule(static) num_threads(ntx) if (ntx > 1)
        for (int n = 0; n < s->n; n++)
            image_dx(s, &g, wt, dy + (size_t)n * s->oc * plane, dx + (size_t)n * s->c * ipl,
                     bufs + (size_t)kern_thread_id() * tb);
        if (ntx > 1)
            kern_blas_single_end(blas_nt);
    }
    if (dw) {
        memset(wt, 0, nw * sizeof *wt);
        int blas_nt = ntw > 1 ? kern_blas_single_begin(ntw) : 0;
#pragma omp parallel num_threads(ntw) if (ntw > 1)
        {
            int tid = kern_thread_id();
            dw_items(s, &g, x, dy, wt, sp, items * tid / ntw, items * (tid + 1) / ntw,
                     bufs + (size_t)tid * tb);
        }
        if (ntw > 1)
            kern_blas_single_end(blas_nt);
        size_t per = (size_t)s->oc * s->c;
        for (size_t oc = 0; oc < per; oc++)
            for (int t = 0; t < kk; t++)
                dw[oc * kk + t] += wt[(size_t)t * per + oc];
    }
    kern_tmp_done(s->scratch, wt);
    kern_tmp_done(s->scratch, bufs);
    return 0;
}
