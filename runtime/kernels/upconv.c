/* upconv2d (format/ops_upconv.c): nearest 2x upsampling + 3x3 stride-1 pad-1 convolution as
 * four sub-pixel phases. Output pixel (2i+py, 2j+px) reads upsampled rows 2i+py-1 .. 2i+py+1,
 * which are input rows {i-1, i, i} (py 0) or {i, i, i+1} (py 1), and the same for columns.
 * So phase (py,px) is a 2x2 convolution of x with summed taps
 *   rows: py 0: a0 = {kh 0}, a1 = {kh 1, 2}, top padding 1; py 1: a0 = {kh 0, 1}, a1 = {kh 2},
 *   top padding 0 (columns alike),
 * run as im2col (4C rows) + one GEMM per image and phase, scattered into y's stride-2 grid.
 * Backward per image and phase: the phase's dy gathered, dWp += dy_p cols^T (folded back onto
 * the 3x3 taps at the end), dx += col2im(Wp^T dy_p). Threads as conv.c: images over OpenMP
 * threads with single-threaded sgemm, each with its own buffers; results do not depend on the
 * thread count except for the order dW partials are added (fixed per thread count). */
#include <stdlib.h>
#include <string.h>
#include "format/model_opinfo.h"
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"
#include "runtime/run/run.h"

/* the 3x3 taps that phase parity p folds into its 2x2 tap a: [p][a] = {first, last} */
static const int tap_lo[2][2] = {{0, 1}, {0, 2}}, tap_hi[2][2] = {{0, 2}, {1, 2}};

static int phase_pad(int p) { return p == 0 ? 1 : 0; }

/* wp [4][oc][c][2][2] from w [oc][c][3][3] */
static void phase_weights(const float *w, float *wp, int oc, int c)
{
    size_t per = (size_t)oc * c * 4;
    for (int ph = 0; ph < 4; ph++) {
        int py = ph >> 1, px = ph & 1;
        for (size_t oci = 0; oci < (size_t)oc * c; oci++) {
            const float *k = w + oci * 9;
            float *d = wp + ph * per + oci * 4;
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++) {
                    float s = 0.0f;
                    for (int kh = tap_lo[py][a]; kh <= tap_hi[py][a]; kh++)
                        for (int kw = tap_lo[px][b]; kw <= tap_hi[px][b]; kw++)
                            s += k[kh * 3 + kw];
                    d[a * 2 + b] = s;
                }
        }
    }
}

/* dw [oc][c][3][3] += the phase gradients dwp [4][oc][c][2][2] on the taps they summed */
static void fold_weight_grads(const float *dwp, float *dw, int oc, int c)
{
    size_t per = (size_t)oc * c * 4;
    for (size_t oci = 0; oci < (size_t)oc * c; oci++) {
        float *k = dw + oci * 9;
        for (int ph = 0; ph < 4; ph++) {
            int py = ph >> 1, px = ph & 1;
            const float *g = dwp + ph * per + oci * 4;
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++)
                    for (int kh = tap_lo[py][a]; kh <= tap_hi[py][a]; kh++)
                        for (int kw = tap_lo[px][b]; kw <= tap_hi[px][b]; kw++)
                            k[kh * 3 + kw] += g[a * 2 + b];
        }
    }
}

/* one image's phase plane t [oc][h*w] <-> its places in y [oc][2h][2w] */
static void scatter_phase(const float *t, float *y, int oc, int h, int w, int py, int px)
{
    for (int o = 0; o < oc; o++)
        for (int i = 0; i < h; i++) {
            const float *src = t + ((size_t)o * h + i) * w;
            float *dst = y + ((size_t)o * 2 * h + 2 * i + py) * 2 * w + px;
            for (int j = 0; j < w; j++)
                dst[2 * j] = src[j];
        }
}

static void gather_phase(const float *y, float *t, int oc, int h, int w, int py, int px)
{
    for (int o = 0; o < oc; o++)
        for (int i = 0; i < h; i++) {
            const float *src = y + ((size_t)o * 2 * h + 2 * i + py) * 2 * w + px;
            float *dst = t + ((size_t)o * h + i) * w;
            for (int j = 0; j < w; j++)
                dst[j] = src[2 * j];
        }
}

size_t kern_upconv2d_ws_floats(const kern_conv_shape *s)
{
    return (size_t)gan_upconv_ws_floats(s->c, s->oc, s->h, s->w);
}

static int upconv_threads(const kern_conv_shape *s, int threads)
{
    int nt = kern_nt(threads);
    return nt > 1 && s->n >= nt ? nt : 1;
}

/* the per-thread buffers: the program's workspace for one thread, else our own */
static float *thread_bufs(const kern_conv_shape *s, float *ws, int nt, float **own)
{
    *own = NULL;
    if (ws && nt == 1)
        return ws;
    *own = kern_tmp(s->scratch, (size_t)nt * kern_upconv2d_ws_floats(s) * sizeof(float), 0);
    return *own;
}

static void image_fwd(const kern_conv_shape *s, const float *xn, const kern_gemm_a *wa, float *yn,
                      float *buf)
{
    int hw = s->h * s->w;
    float *cols = buf, *t = buf + (size_t)4 * s->c * hw;
    for (int ph = 0; ph < 4; ph++) {
        int py = ph >> 1, px = ph & 1;
        kern_im2col(xn, cols, s->c, s->h, s->w, 2, 2, s->h, s->w, 1, phase_pad(py), phase_pad(px),
                    1);
        kern_gemm_pa(&wa[ph], 0, hw, cols, hw, 0.0f, t, hw);
        scatter_phase(t, yn, s->oc, s->h, s->w, py, px);
    }
}

/* ---- the implicit path: no columns at all ----
 * On a zero-padded copy xp [C, H+2, W+2] of the image, tap (a, b) of phase (py, px) at output
 * (i, j) reads xp[c][i + a - pt + 1][j + b - pl + 1]: for every c the same offset from
 * n = i*(W+2) + j, so B of that tap is xp itself at a fixed offset with ldb = its plane. A
 * phase is 4 GEMMs with K = C accumulating into t [OC, H*(W+2)] (columns j >= W are not
 * outputs and are dropped by the scatter). The backward is the same GEMMs transposed, into a
 * padded dx. Used in fp32, where it measured faster than the columns on every plane of the
 * seed generator (4x4 to 32x32 inputs at batch 100, docs/kernels.md); in bf16 the columns
 * stay, as each of the 16 GEMMs would convert and pack B again. */
static int use_implicit(void) { return kern_precision() == KERN_PREC_FP32; }

/* per thread: xp (C*(H+2)*(W+2)) and t (OC*H*(W+2)) */
static size_t implicit_floats(const kern_conv_shape *s)
{
    return (size_t)(s->w + 2) * ((size_t)s->c * (s->h + 2) + (size_t)s->oc * s->h);
}

static void pad_image(const float *xn, float *xp, int c, int h, int w)
{
    size_t pw = (size_t)w + 2, pp = pw * (h + 2);
    memset(xp, 0, (size_t)c * pp * sizeof *xp);
    for (int ci = 0; ci < c; ci++)
        for (int i = 0; i < h; i++)
            memcpy(xp + ci * pp + (i + 1) * pw + 1, xn + ((size_t)ci * h + i) * w,
                   (size_t)w * sizeof *xp);
}

/* the offset into xp's plane of tap (a, b) of phase (py, px) */
static size_t tap_offset(int w, int py, int px, int a, int b)
{
    return (size_t)(a - phase_pad(py) + 1) * (w + 2) + (size_t)(b - phase_pad(px) + 1);
}

/* wq [4 phases][4 taps][oc][c] from the phase weights wp [4][oc][c][2][2] */
static void tap_weights(const float *wp, float *wq, int oc, int c)
{
    size_t per = (size_t)oc * c;
    for (int ph = 0; ph < 4; ph++)
        for (size_t oci = 0; oci < per; oci++)
            for (int q = 0; q < 4; q++)
                wq[((size_t)ph * 4 + q) * per + oci] = wp[((size_t)ph * per + oci) * 4 + q];
}

static void scatter_rows(const float *t, size_t ldt, float *y, int oc, int h, int w, int py,
                         int px)
{
    for (int o = 0; o < oc; o++)
        for (int i = 0; i < h; i++) {
            const float *src = t + o * ldt + (size_t)i * (w + 2);
            float *dst = y + ((size_t)o * 2 * h + 2 * i + py) * 2 * w + px;
            for (int j = 0; j < w; j++)
                dst[2 * j] = src[j];
        }
}

static void image_fwd_implicit(const kern_conv_shape *s, const float *xn, const float *wq,
                               float *yn, float *buf)
{
    int c = s->c, oc = s->oc, h = s->h, w = s->w;
    size_t pp = (size_t)(w + 2) * (h + 2), ldt = (size_t)h * (w + 2), per = (size_t)oc * c;
    int nn = (int)ldt - 2; /* the last output n is (h-1)(w+2) + w-1: no read past xp's end */
    float *xp = buf, *t = buf + (size_t)c * pp;
    pad_image(xn, xp, c, h, w);
    for (int ph = 0; ph < 4; ph++) {
        int py = ph >> 1, px = ph & 1;
        for (int q = 0; q < 4; q++)
            kern_gemm(0, 0, oc, nn, c, wq + ((size_t)ph * 4 + q) * per, c,
                      xp + tap_offset(w, py, px, q >> 1, q & 1), (int)pp, q ? 1.0f : 0.0f, t,
                      (int)ldt);
        scatter_rows(t, ldt, yn, oc, h, w, py, px);
    }
}

int kern_upconv2d_fwd(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                      float *y, float *ws, int act, float alpha, int threads)
{
    size_t plane = (size_t)4 * s->h * s->w, ipl = (size_t)s->h * s->w;
    if (s->n <= 0 || s->oc <= 0 || plane == 0)
        return 0;
    if (s->c == 0) {
        memset(y, 0, (size_t)s->n * s->oc * plane * sizeof *y);
        for (int n = 0; n < s->n; n++)
            kern_conv_bias_act(y + (size_t)n * s->oc * plane, b, s->oc, plane, act, alpha, 1);
        return 0;
    }
    int nt = upconv_threads(s, threads), k4 = 4 * s->c, imp = use_implicit();
    size_t per = (size_t)s->oc * k4, wbytes = imp ? 0 : kern_gemm_a_bytes(s->oc, k4);
    size_t tb = imp ? implicit_floats(s) : kern_upconv2d_ws_floats(s);
    float *own = NULL, *bufs = imp ? NULL : thread_bufs(s, ws, nt, &own);
    if (imp)
        bufs = own = kern_tmp(s->scratch, (size_t)nt * tb * sizeof *own, 0);
    float *wp = kern_tmp(s->scratch, (imp ? 8 : 4) * per * sizeof *wp, 0);
    void *pk = wbytes && wp ? kern_tmp(s->scratch, 4 * wbytes, 0) : NULL;
    if (!bufs || !wp) {
        kern_tmp_done(s->scratch, wp);
        kern_tmp_done(s->scratch, own);
        return -1;
    }
    phase_weights(w, wp, s->oc, s->c);
    kern_gemm_a wa[4];
    if (imp)
        tap_weights(wp, wp + 4 * per, s->oc, s->c);
    else
        for (int ph = 0; ph < 4; ph++)
            kern_gemm_a_init(&wa[ph], 0, s->oc, k4, wp + ph * per, k4,
                             pk ? (char *)pk + ph * wbytes : NULL);
    int blas_nt = nt > 1 ? kern_blas_single_begin(nt) : 0;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int n = 0; n < s->n; n++) {
        float *yn = y + (size_t)n * s->oc * plane, *buf = bufs + (size_t)kern_thread_id() * tb;
        if (imp)
            image_fwd_implicit(s, x + (size_t)n * s->c * ipl, wp + 4 * per, yn, buf);
        else
            image_fwd(s, x + (size_t)n * s->c * ipl, wa, yn, buf);
        kern_conv_bias_act(yn, b, s->oc, plane, act, alpha, 1);
    }
    if (nt > 1)
        kern_blas_single_end(blas_nt);
    kern_tmp_done(s->scratch, pk);
    kern_tmp_done(s->scratch, wp);
    kern_tmp_done(s->scratch, own);
    return 0;
}

static void image_bwd(const kern_conv_shape *s, const float *xn, const kern_gemm_a *wt,
                      const float *dyn, float *dxn, float *dwp, float *buf)
{
    int hw = s->h * s->w, k4 = 4 * s->c;
    size_t per = (size_t)s->oc * k4;
    float *cols = buf, *t = buf + (size_t)k4 * hw;
    for (int ph = 0; ph < 4; ph++) {
        int py = ph >> 1, px = ph & 1, pt = phase_pad(py), pl = phase_pad(px);
        gather_phase(dyn, t, s->oc, s->h, s->w, py, px);
        if (dwp) {
            kern_im2col(xn, cols, s->c, s->h, s->w, 2, 2, s->h, s->w, 1, pt, pl, 1);
            kern_gemm(0, 1, s->oc, k4, hw, t, hw, cols, hw, 1.0f, dwp + ph * per, k4);
        }
        if (dxn) {
            kern_gemm_pa(&wt[ph], 0, hw, t, hw, 0.0f, cols, hw);
            kern_col2im(cols, dxn, s->c, s->h, s->w, 2, 2, s->h, s->w, 1, pt, pl, 1);
        }
    }
}

/* per thread in the backward: xp, dxp (both C*(H+2)*(W+2)) and t (OC*H*(W+2)) */
static size_t implicit_bwd_floats(const kern_conv_shape *s)
{
    return implicit_floats(s) + (size_t)s->c * (s->h + 2) * (s->w + 2);
}

/* t [oc][h*(w+2)] <- the phase's dy, zero in the columns that are not outputs */
static void gather_rows(const float *y, float *t, size_t ldt, int oc, int h, int w, int py, int px)
{
    for (int o = 0; o < oc; o++)
        for (int i = 0; i < h; i++) {
            const float *src = y + ((size_t)o * 2 * h + 2 * i + py) * 2 * w + px;
            float *dst = t + o * ldt + (size_t)i * (w + 2);
            for (int j = 0; j < w; j++)
                dst[j] = src[2 * j];
            dst[w] = dst[w + 1] = 0.0f;
        }
}

/* Per phase and tap: dWq += dy_p xp_tap^T; dxp_tap += Wq^T dy_p (dxp is dx padded like xp;
 * the taps' windows overlap, so they run one after the other), then dx += dxp's interior. */
static void image_bwd_implicit(const kern_conv_shape *s, const float *xn, const float *wq,
                               const float *dyn, float *dxn, float *dwq, float *buf)
{
    int c = s->c, oc = s->oc, h = s->h, w = s->w;
    size_t pw = (size_t)w + 2, pp = pw * (h + 2), ldt = (size_t)h * pw, per = (size_t)oc * c;
    int nn = (int)ldt - 2;
    float *xp = buf, *t = buf + (size_t)c * pp, *dxp = t + (size_t)oc * ldt;
    if (dwq)
        pad_image(xn, xp, c, h, w);
    if (dxn)
        memset(dxp, 0, (size_t)c * pp * sizeof *dxp);
    for (int ph = 0; ph < 4; ph++) {
        int py = ph >> 1, px = ph & 1;
        gather_rows(dyn, t, ldt, oc, h, w, py, px);
        for (int q = 0; q < 4; q++) {
            size_t off = tap_offset(w, py, px, q >> 1, q & 1), k = (size_t)ph * 4 + q;
            if (dwq)
                kern_gemm(0, 1, oc, c, nn, t, (int)ldt, xp + off, (int)pp, 1.0f, dwq + k * per, c);
            if (dxn)
                kern_gemm(1, 0, c, nn, oc, wq + k * per, c, t, (int)ldt, 1.0f, dxp + off, (int)pp);
        }
    }
    for (int ci = 0; dxn && ci < c; ci++)
        for (int i = 0; i < h; i++) {
            const float *src = dxp + ci * pp + (i + 1) * pw + 1;
            float *dst = dxn + ((size_t)ci * h + i) * w;
            for (int j = 0; j < w; j++)
                dst[j] += src[j];
        }
}

/* dwp [4][oc][c][2][2] += the tap-major gradients dwq [4][4][oc][c] */
static void untap_grads(const float *dwq, float *dwp, int oc, int c)
{
    size_t per = (size_t)oc * c;
    for (int ph = 0; ph < 4; ph++)
        for (size_t oci = 0; oci < per; oci++)
            for (int q = 0; q < 4; q++)
                dwp[((size_t)ph * per + oci) * 4 + q] += dwq[((size_t)ph * 4 + q) * per + oci];
}

int kern_upconv2d_bwd(const kern_conv_shape *s, const float *x, const float *w, const float *y,
                      float *dy, float *dx, float *dw, float *db, float *ws, int act, float alpha,
                      int threads)
{
    size_t plane = (size_t)4 * s->h * s->w, ipl = (size_t)s->h * s->w;
    if (s->n <= 0 || s->oc <= 0 || plane == 0)
        return 0;
    kern_conv_bwd_epilogue(y, dy, db, s->n, s->oc, plane, act, alpha, threads);
    if ((!dx && !dw) || s->c == 0)
        return 0;
    int nt = upconv_threads(s, threads), k4 = 4 * s->c, imp = use_implicit();
    size_t per = (size_t)s->oc * k4, nw = 4 * per;
    size_t wbytes = dx && !imp ? kern_gemm_a_bytes(k4, s->oc) : 0;
    size_t tb = imp ? implicit_bwd_floats(s) : kern_upconv2d_ws_floats(s);
    float *own = NULL, *bufs = imp ? NULL : thread_bufs(s, ws, nt, &own);
    if (imp)
        bufs = own = kern_tmp(s->scratch, (size_t)nt * tb * sizeof *own, 0);
    float *wp = dx ? kern_tmp(s->scratch, (imp ? 2 : 1) * nw * sizeof *wp, 0) : NULL;
    /* the implicit path's tap-major partials, then (thread 0's) phase-major sum */
    float *dwp = dw ? kern_tmp(s->scratch, (size_t)(nt + imp) * nw * sizeof *dwp, 1) : NULL;
    void *pk = wbytes && wp ? kern_tmp(s->scratch, 4 * wbytes, 0) : NULL;
    if (!bufs || (dx && !wp) || (dw && !dwp)) {
        kern_tmp_done(s->scratch, dwp);
        kern_tmp_done(s->scratch, wp);
        kern_tmp_done(s->scratch, own);
        return -1;
    }
    kern_gemm_a wt[4];
    if (dx) {
        phase_weights(w, wp, s->oc, s->c);
        if (imp)
            tap_weights(wp, wp + nw, s->oc, s->c);
        else
            for (int ph = 0; ph < 4; ph++) /* Wp^T [4C, OC] */
                kern_gemm_a_init(&wt[ph], 1, k4, s->oc, wp + ph * per, k4,
                                 pk ? (char *)pk + ph * wbytes : NULL);
    }
    int blas_nt = nt > 1 ? kern_blas_single_begin(nt) : 0;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int n = 0; n < s->n; n++) {
        int tid = kern_thread_id();
        const float *xn = x + (size_t)n * s->c * ipl, *dyn = dy + (size_t)n * s->oc * plane;
        float *dxn = dx ? dx + (size_t)n * s->c * ipl : NULL;
        float *mydw = dw ? dwp + (size_t)tid * nw : NULL, *buf = bufs + (size_t)tid * tb;
        if (imp)
            image_bwd_implicit(s, xn, dx ? wp + nw : NULL, dyn, dxn, mydw, buf);
        else
            image_bwd(s, xn, wt, dyn, dxn, mydw, buf);
    }
    if (nt > 1)
        kern_blas_single_end(blas_nt);
    if (dw) {
        for (int t = 1; t < nt; t++) /* thread partials in thread order */
            for (size_t i = 0; i < nw; i++)
                dwp[i] += dwp[(size_t)t * nw + i];
        float *fold = dwp;
        if (imp) {
            fold = dwp + (size_t)nt * nw;
            untap_grads(dwp, fold, s->oc, s->c);
        }
        fold_weight_grads(fold, dw, s->oc, s->c);
    }
    kern_tmp_done(s->scratch, pk);
    kern_tmp_done(s->scratch, dwp);
    kern_tmp_done(s->scratch, wp);
    kern_tmp_done(s->scratch, own);
    return 0;
}

int gan_run_upconv(const gan_run_ctx *c)
{
    const gan_op *op = c->op;
    int bwd = op->type == GAN_OP_UPCONV2D_BWD;
    const gan_tensor *x = c->tin[0], *w = c->tin[1];
    kern_conv_shape s = {
        .n = run_dim(x, 0), .c = run_dim(x, 1), .h = run_dim(x, 2), .w = run_dim(x, 3),
        .oc = run_dim(w, 0), .kh = 3, .kw = 3, .oh = 2 * run_dim(x, 2), .ow = 2 * run_dim(x, 3),
        .stride = 1, .pad_t = 1, .pad_l = 1, .scratch = c->scratch};
    int rc = bwd ? kern_upconv2d_bwd(&s, c->in[0], c->in[1], c->in[2], c->in[3], c->out[0],
                                     c->out[1], c->out[2], c->out[3], op->i[0], op->f[0],
                                     c->threads)
                 : kern_upconv2d_fwd(&s, c->in[0], c->in[1], c->in[2], c->out[0], c->out[1],
                                     op->i[0], op->f[0], c->threads);
    return rc ? gan_run_fail(c, "out of memory for a temporary workspace") : 0;
}
