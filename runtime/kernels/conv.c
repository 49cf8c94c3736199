/* conv2d: im2col + sgemm lowered per image, and within an image per tile of output rows (the
 * workspace holds at most one image's columns, as ops.h sizes it; a tile's columns stay in
 * cache between im2col and the GEMM), bias + activation as an epilogue after each image's GEMMs.
 * Backward per tile: dW += dy_t cols_t^T; dx += col2im(W^T dy_t). Convolutions with <= 4 output
 * channels go to the direct kernels of conv_direct.c. */
#include <stdlib.h>
#include <string.h>
#include "format/model_opinfo.h"
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

size_t kern_conv2d_ws_floats(const kern_conv_shape *s)
{
    return (size_t)gan_conv_ws_floats(0, s->c, s->oc, s->kh, s->kw, s->h, s->w, s->oh, s->ow);
}

/* im2col of output rows [oy0, oy1) only: cols [c*kh*kw, (oy1-oy0)*ow] */
static void im2col_rows(const float *img, float *cols, int c, int h, int w, int kh, int kw,
                        int oy0, int oy1, int ow, int stride, int pad_t, int pad_l, int threads)
{
    int rows = c * kh * kw;
    size_t plane = (size_t)(oy1 - oy0) * ow;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)rows * plane >= KERN_PAR_MIN)
    for (int r = 0; r < rows; r++) {
        int ci = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw;
        const float *src = img + (size_t)ci * h * w;
        float *dst = cols + (size_t)r * plane;
        for (int y = oy0; y < oy1; y++) {
            int iy = y * stride - pad_t + ki;
            float *d = dst + (size_t)(y - oy0) * ow;
            if (iy < 0 || iy >= h) {
                memset(d, 0, (size_t)ow * sizeof *d);
                continue;
            }
            const float *srow = src + (size_t)iy * w;
            if (stride == 1) {
                /* valid ow range: 0 <= ox - pad_l + kj < w */
                int lo = pad_l - kj, hi = w + pad_l - kj; /* ox in [lo, hi) */
                if (lo < 0) lo = 0;
                if (hi > ow) hi = ow;
                if (hi < lo) hi = lo;
                for (int x = 0; x < lo && x < ow; x++) d[x] = 0.0f;
                if (hi > lo)
                    memmove(d + lo, srow + lo - pad_l + kj, (size_t)(hi - lo) * sizeof *d);
                for (int x = hi > lo ? hi : lo; x < ow; x++) d[x] = 0.0f;
            } else {
                for (int x = 0; x < ow; x++) {
                    int ix = x * stride - pad_l + kj;
                    d[x] = (ix >= 0 && ix < w) ? srow[ix] : 0.0f;
                }
            }
        }
    }
}

void kern_im2col(const float *img, float *cols, int c, int h, int w, int kh, int kw, int oh,
                 int ow, int stride, int pad_t, int pad_l, int threads)
{
    im2col_rows(img, cols, c, h, w, kh, kw, 0, oh, ow, stride, pad_t, pad_l, threads);
}

/* adjoint of im2col_rows: adds the columns of output rows [oy0, oy1) into the image */
static void col2im_rows(const float *cols, float *img, int c, int h, int w, int kh, int kw,
                        int oy0, int oy1, int ow, int stride, int pad_t, int pad_l, int threads)
{
    size_t plane = (size_t)(oy1 - oy0) * ow;
    /* one channel per iteration: its rows write only into that channel (no races), and the
     * order of additions inside a channel is fixed */
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)c * kh * kw * plane >= KERN_PAR_MIN)
    for (int ci = 0; ci < c; ci++) {
        float *dst = img + (size_t)ci * h * w;
        for (int ki = 0; ki < kh; ki++)
            for (int kj = 0; kj < kw; kj++) {
                const float *src = cols + ((size_t)(ci * kh + ki) * kw + kj) * plane;
                for (int y = oy0; y < oy1; y++) {
                    int iy = y * stride - pad_t + ki;
                    if (iy < 0 || iy >= h)
                        continue;
                    float *drow = dst + (size_t)iy * w;
                    const float *s = src + (size_t)(y - oy0) * ow;
                    for (int x = 0; x < ow; x++) {
                        int ix = x * stride - pad_l + kj;
                        if (ix >= 0 && ix < w)
                            drow[ix] += s[x];
                    }
                }
            }
    }
}

void kern_col2im(const float *cols, float *img, int c, int h, int w, int kh, int kw, int oh,
                 int ow, int stride, int pad_t, int pad_l, int threads)
{
    col2im_rows(cols, img, c, h, w, kh, kw, 0, oh, ow, stride, pad_t, pad_l, threads);
}

/* Output rows per column tile: the tile's columns (c*kh*kw x rows*ow floats) are kept near
 * KERN_TILE_FLOATS so im2col's output is still in cache when the GEMM reads it. */
#ifndef KERN_TILE_FLOATS
#define KERN_TILE_FLOATS (128 * 1024) /* 512 KB: half an L2 of the target CPUs */
#endif
static int tile_rows(const kern_conv_shape *s)
{
    size_t per_row = (size_t)s->c * s->kh * s->kw * s->ow;
    size_t r = per_row ? KERN_TILE_FLOATS / per_row : (size_t)s->oh;
    if (r < 1)
        r = 1;
    if (r > (size_t)s->oh)
        r = (size_t)s->oh;
    return (int)r;
}

/* y_n [oc, plane] = act(y_n + b) */
void kern_conv_bias_act(float *y, const float *b, int oc, size_t plane, int act, float alpha,
                        int threads)
{
    if (!b && act == GAN_ACT_NONE)
        return;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)oc * plane >= KERN_PAR_MIN)
    for (int o = 0; o < oc; o++) {
        kern_bias_act_row(y + (size_t)o * plane, plane, b ? b[o] : 0.0f, act, alpha);
    }
}

/* db[o] += sum over images and pixels of dy (fixed order) */
void kern_conv_bias_grad(const float *dy, float *db, int n, int oc, size_t plane, int threads)
{
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)n * oc * plane >= KERN_PAR_MIN)
    for (int o = 0; o < oc; o++) {
        double s = 0.0;
        for (int i = 0; i < n; i++) {
            const float *r = dy + ((size_t)i * oc + o) * plane;
            float ps = 0.0f;
#pragma omp simd reduction(+ : ps)
            for (size_t p = 0; p < plane; p++)
                ps += r[p];
            s += ps;
        }
        db[o] += (float)s;
    }
}

void kern_conv_bwd_epilogue(const float *y, float *dy, float *db, int n, int oc, size_t plane,
                            int act, float alpha, int threads)
{
    if (act != GAN_ACT_NONE && y)
        kern_act_grad_inplace(y, dy, (size_t)n * oc * plane, act, alpha, threads);
    if (db)
        kern_conv_bias_grad(dy, db, n, oc, plane, threads);
}

static int is_pointwise(const kern_conv_shape *s)
{
    return s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad_t == 0 && s->pad_l == 0 &&
           s->oh == s->h && s->ow == s->w;
}

/* ---- one image, single-threaded on our side (OpenBLAS uses whatever threads it is set to) ---- */

static void image_fwd(const kern_conv_shape *s, const float *xn, const kern_gemm_a *w, float *yn,
                      float *ws, int pw, int rows)
{
    size_t plane = (size_t)s->oh * s->ow;
    int ckk = s->c * s->kh * s->kw;
    if (ckk == 0) {
        memset(yn, 0, (size_t)s->oc * plane * sizeof *yn);
    } else if (pw) {
        kern_gemm_pa(w, 0, (int)plane, xn, (int)plane, 0.0f, yn, (int)plane);
    } else {
        for (int oy0 = 0; oy0 < s->oh; oy0 += rows) {
            int oy1 = oy0 + rows < s->oh ? oy0 + rows : s->oh, t = (oy1 - oy0) * s->ow;
            im2col_rows(xn, ws, s->c, s->h, s->w, s->kh, s->kw, oy0, oy1, s->ow, s->stride,
                        s->pad_t, s->pad_l, 1);
            kern_gemm_pa(w, 0, t, ws, t, 0.0f, yn + (size_t)oy0 * s->ow, (int)plane);
        }
    }
}

/* dw (may be NULL) += this image's weight gradient; dxn (may be NULL) += its input gradient.
 * wf != NULL selects the stride-1 dx path: dx is the "full" convolution of dy with the flipped,
 * transposed kernel wf [c, oc*kh*kw], so per tile of dx rows: dx_tile += wf im2col(dy) -- a GEMM
 * with K = oc*kh*kw instead of K = oc, and no col2im scatter. dxa is dx's weight operand,
 * packed once for all images: wf, or else W^T. */
static void image_bwd(const kern_conv_shape *s, const float *xn, const kern_gemm_a *dxa,
                      const float *dyn, float *dxn, float *dw, float *ws, int pw, int rows,
                      const float *wf, int rows_dx)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w;
    int ckk = s->c * s->kh * s->kw;
    if (pw) {
        if (dw)
            kern_gemm(0, 1, s->oc, ckk, (int)plane, dyn, (int)plane, xn, (int)plane, 1.0f, dw, ckk);
        if (dxn)
            kern_gemm_pa(dxa, 0, (int)plane, dyn, (int)plane, 1.0f, dxn, (int)plane);
        return;
    }
    /* per tile of output rows: dW += dy_tile cols_tile^T, then (without wf) dx += col2im(W^T
     * dy_tile) (the same buffer, reused once dW has read it) */
    int dx_here = dxn && !wf;
    if (dw || dx_here)
        for (int oy0 = 0; oy0 < s->oh; oy0 += rows) {
            int oy1 = oy0 + rows < s->oh ? oy0 + rows : s->oh, t = (oy1 - oy0) * s->ow;
            const float *dyt = dyn + (size_t)oy0 * s->ow;
            if (dw) {
                im2col_rows(xn, ws, s->c, s->h, s->w, s->kh, s->kw, oy0, oy1, s->ow, s->stride,
                            s->pad_t, s->pad_l, 1);
                kern_gemm(0, 1, s->oc, ckk, t, dyt, (int)plane, ws, t, 1.0f, dw, ckk);
            }
            if (dx_here) {
                kern_gemm_pa(dxa, 0, t, dyt, (int)plane, 0.0f, ws, t);
                col2im_rows(ws, dxn, s->c, s->h, s->w, s->kh, s->kw, oy0, oy1, s->ow, s->stride,
                            s->pad_t, s->pad_l, 1);
            }
        }
    if (dxn && wf) {
        for (int iy0 = 0; iy0 < s->h; iy0 += rows_dx) {
            int iy1 = iy0 + rows_dx < s->h ? iy0 + rows_dx : s->h, t = (iy1 - iy0) * s->w;
            im2col_rows(dyn, ws, s->oc, s->oh, s->ow, s->kh, s->kw, iy0, iy1, s->w, 1,
                        s->kh - 1 - s->pad_t, s->kw - 1 - s->pad_l, 1);
            kern_gemm_pa(dxa, 0, t, ws, t, 1.0f, dxn + (size_t)iy0 * s->w, (int)ipl);
        }
    }
}

/* Threading: with several threads and at least as many images, images are spread over OpenMP
 * threads, each running single-threaded sgemm on its own tile buffer (OpenBLAS is set to one
 * thread for the duration and restored after). Alternating OpenMP regions (im2col) with
 * OpenBLAS's own thread pool for every tile made the two pools spin against each other: on the
 * 2-core machine the 2-thread GEMM path ran 10-30x slower than 1 thread. Otherwise images run
 * in order on the calling thread and only OpenBLAS is threaded. */
static int per_image_threads(const kern_conv_shape *s, int threads)
{
    int nt = kern_nt(threads);
    return nt > 1 && s->n >= nt ? nt : 1;
}

int kern_conv2d_fwd(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                    float *y, float *ws, int act, float alpha, int threads)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w;
    if (s->n <= 0 || s->oc <= 0 || plane == 0)
        return 0;
    if (kern_conv_direct_ok(s))
        return kern_conv_direct_fwd(s, x, w, b, y, act, alpha, threads);
    if (kern_conv_winograd_ok(s))
        return kern_conv_winograd_fwd(s, x, w, b, y, act, alpha, threads);
    if (kern_conv_implicit_ok(s))
        return kern_conv_implicit_fwd(s, x, w, b, y, act, alpha, threads);
    int pw = is_pointwise(s), rows = tile_rows(s), nt = per_image_threads(s, threads);
    int ckk = s->c * s->kh * s->kw;
    size_t tile = (size_t)ckk * rows * s->ow;
    float *own = NULL;
    if (!pw && (!ws || nt > 1)) {
        own = kern_tmp(s->scratch, (size_t)nt * tile * sizeof *own, 0); /* a tile of columns per thread */
        if (!own)
            return -1;
        ws = own;
    }
    /* bf16: the weights packed once, not per image and tile (fp32: nothing, 0 bytes) */
    size_t wbytes = kern_gemm_a_bytes(s->oc, ckk);
    void *wpk = wbytes ? kern_tmp(s->scratch, wbytes, 0) : NULL;
    kern_gemm_a wa;
    kern_gemm_a_init(&wa, 0, s->oc, ckk, w, ckk, wpk);
    if (nt == 1) {
        for (int n = 0; n < s->n; n++) {
            float *yn = y + (size_t)n * s->oc * plane;
            image_fwd(s, x + (size_t)n * s->c * ipl, &wa, yn, ws, pw, rows);
            kern_conv_bias_act(yn, b, s->oc, plane, act, alpha, 1);
        }
    } else {
        int blas_nt = kern_blas_single_begin(nt);
#pragma omp parallel for schedule(static) num_threads(nt)
        for (int n = 0; n < s->n; n++) {
            float *yn = y + (size_t)n * s->oc * plane;
            image_fwd(s, x + (size_t)n * s->c * ipl, &wa, yn,
                      pw ? NULL : ws + (size_t)kern_thread_id() * tile, pw, rows);
            kern_conv_bias_act(yn, b, s->oc, plane, act, alpha, 1);
        }
        kern_blas_single_end(blas_nt);
    }
    kern_tmp_done(s->scratch, wpk);
    kern_tmp_done(s->scratch, own);
    return 0;
}

int kern_conv2d_bwd(const kern_conv_shape *s, const float *x, const float *w, const float *y,
                    float *dy, float *dx, float *dw, float *db, float *ws, int act, float alpha,
                    int threads)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w;
    int ckk = s->c * s->kh * s->kw;
    if (s->n <= 0 || s->oc <= 0 || plane == 0)
        return 0;
    kern_conv_bwd_epilogue(y, dy, db, s->n, s->oc, plane, act, alpha, threads);
    if ((!dx && !dw) || ckk == 0)
        return 0;
    if (kern_conv_direct_ok(s))
        return kern_conv_direct_bwd(s, x, w, dy, dx, dw, threads);
    if (kern_conv_implicit_ok(s))
        return kern_conv_implicit_bwd(s, x, w, dy, dx, dw, threads);
    int pw = is_pointwise(s), rows = tile_rows(s), nt = per_image_threads(s, threads);
    size_t tile = (size_t)ckk * rows * s->ow, nw = (size_t)s->oc * ckk;
    float *own = NULL, *dwp = NULL, *wf = NULL;
    /* stride-1 dx as a GEMM over im2col(dy) with the flipped kernel (see image_bwd) */
    int rows_dx = 0;
    if (dx && !pw && s->stride == 1 && s->pad_t <= s->kh - 1 && s->pad_l <= s->kw - 1) {
        size_t kk = (size_t)s->kh * s->kw, okk = (size_t)s->oc * kk, per_row = okk * s->w;
        size_t r = per_row ? KERN_TILE_FLOATS / per_row : 1;
        rows_dx = (int)(r < 1 ? 1 : r > (size_t)s->h ? (size_t)s->h : r);
        size_t tile_dx = okk * rows_dx * s->w;
        if (tile_dx > tile)
            tile = tile_dx;
        wf = kern_tmp(s->scratch, (size_t)s->c * okk * sizeof *wf, 0);
        if (!wf)
            return -1;
        for (int c = 0; c < s->c; c++)
            for (int o = 0; o < s->oc; o++)
                for (size_t q = 0; q < kk; q++) /* tap q -> flipped tap kk-1-q */
                    wf[(size_t)c * okk + o * kk + q] = w[((size_t)o * s->c + c) * kk + (kk - 1 - q)];
    }
    /* the program's workspace holds one image's columns; larger tiles (dx path) get our own */
    if (!pw && (!ws || nt > 1 || tile > kern_conv2d_ws_floats(s))) {
        own = kern_tmp(s->scratch, (size_t)nt * tile * sizeof *own, 0);
        if (!own) {
            kern_tmp_done(s->scratch, wf);
            return -1;
        }
        ws = own;
    }
    /* dx's weight operand (wf, or W^T), in bf16 packed once for every image and tile (fp32:
     * nothing packed; a failed allocation only means packing per call) */
    kern_gemm_a dxa;
    void *dxpk = NULL;
    if (wf) {
        size_t bytes = kern_gemm_a_bytes(s->c, s->oc * s->kh * s->kw);
        dxpk = bytes ? kern_tmp(s->scratch, bytes, 0) : NULL;
        kern_gemm_a_init(&dxa, 0, s->c, s->oc * s->kh * s->kw, wf, s->oc * s->kh * s->kw, dxpk);
    } else {
        size_t bytes = dx ? kern_gemm_a_bytes(ckk, s->oc) : 0;
        dxpk = bytes ? kern_tmp(s->scratch, bytes, 0) : NULL;
        kern_gemm_a_init(&dxa, 1, ckk, s->oc, w, ckk, dxpk);
    }
    if (nt == 1) {
        for (int n = 0; n < s->n; n++)
            image_bwd(s, x + (size_t)n * s->c * ipl, &dxa, dy + (size_t)n * s->oc * plane,
                      dx ? dx + (size_t)n * s->c * ipl : NULL, dw, ws, pw, rows, wf, rows_dx);
        kern_tmp_done(s->scratch, dxpk);
        kern_tmp_done(s->scratch, wf);
        kern_tmp_done(s->scratch, own);
        return 0;
    }
    /* thread 0 adds into dw itself, the others into partials added in thread order afterwards
     * (deterministic for a fixed thread count: the image -> thread assignment is static) */
    if (dw) {
        dwp = kern_tmp(s->scratch, ((size_t)(nt - 1) * nw) * sizeof *dwp, 1);
        if (!dwp) {
            kern_tmp_done(s->scratch, dxpk);
            kern_tmp_done(s->scratch, wf);
            kern_tmp_done(s->scratch, own);
            return -1;
        }
    }
    int blas_nt = kern_blas_single_begin(nt);
#pragma omp parallel num_threads(nt)
    {
        int tid = kern_thread_id();
        float *mydw = !dw ? NULL : tid ? dwp + (size_t)(tid - 1) * nw : dw;
        float *myws = pw ? NULL : ws + (size_t)tid * tile;
#pragma omp for schedule(static)
        for (int n = 0; n < s->n; n++)
            image_bwd(s, x + (size_t)n * s->c * ipl, &dxa, dy + (size_t)n * s->oc * plane,
                      dx ? dx + (size_t)n * s->c * ipl : NULL, mydw, myws, pw, rows, wf, rows_dx);
    }
    kern_blas_single_end(blas_nt);
    if (dw) {
        long long nwl = (long long)nw;
#pragma omp parallel for schedule(static) num_threads(nt) if (nw >= KERN_PAR_MIN)
        for (long long i = 0; i < nwl; i++) {
            float acc = 0.0f;
            for (int t = 0; t < nt - 1; t++)
                acc += dwp[(size_t)t * nw + i];
            dw[i] += acc;
        }
    }
    kern_tmp_done(s->scratch, dwp);
    kern_tmp_done(s->scratch, dxpk);
    kern_tmp_done(s->scratch, wf);
    kern_tmp_done(s->scratch, own);
    return 0;
}
