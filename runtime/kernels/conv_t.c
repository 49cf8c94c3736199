/* Transposed conv2d (w [c, oc, kh, kw]): per image, cols = W^T x_n (one GEMM), then col2im
 * scatters the columns into y_n (the whole image's columns: OC*KH*KW*H*W floats, as ops.h sizes
 * the workspace). Its backward is an ordinary convolution of dy: im2col(dy_n)
 * once, then dx_n += W cols and dW += x_n cols^T. */
#include <stdlib.h>
#include <string.h>
#include "format/model_opinfo.h"
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

size_t kern_conv2d_t_ws_floats(const kern_conv_shape *s)
{
    return (size_t)gan_conv_ws_floats(1, s->c, s->oc, s->kh, s->kw, s->h, s->w, s->oh, s->ow);
}

/* One image, single-threaded on our side. */
/* wt: W^T [oc*kh*kw, c], packed once for all images in bf16 (kern_gemm_a) */
static void image_fwd(const kern_conv_shape *s, const float *xn, const kern_gemm_a *wt,
                      const float *b, float *yn, float *ws, int act, float alpha)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w;
    int ockk = s->oc * s->kh * s->kw;
    memset(yn, 0, (size_t)s->oc * plane * sizeof *yn);
    if (ockk > 0 && ipl > 0 && s->c > 0) {
        kern_gemm_pa(wt, 0, (int)ipl, xn, (int)ipl, 0.0f, ws, (int)ipl);
        kern_col2im(ws, yn, s->oc, s->oh, s->ow, s->kh, s->kw, s->h, s->w, s->stride, s->pad_t,
                    s->pad_l, 1);
    }
    if (b || act != GAN_ACT_NONE)
        for (int o = 0; o < s->oc; o++)
            kern_bias_act_row(yn + (size_t)o * plane, plane, b ? b[o] : 0.0f, act, alpha);
}

/* wa: W [c, oc*kh*kw] for dx, packed once for all images in bf16 */
static void image_bwd(const kern_conv_shape *s, const float *xn, const kern_gemm_a *wa,
                      const float *dyn, float *dxn, float *dw, float *ws)
{
    size_t ipl = (size_t)s->h * s->w;
    int ockk = s->oc * s->kh * s->kw;
    kern_im2col(dyn, ws, s->oc, s->oh, s->ow, s->kh, s->kw, s->h, s->w, s->stride, s->pad_t,
                s->pad_l, 1);
    if (dxn)
        kern_gemm_pa(wa, 0, (int)ipl, ws, (int)ipl, 1.0f, dxn, (int)ipl);
    if (dw)
        kern_gemm(0, 1, s->c, ockk, (int)ipl, xn, (int)ipl, ws, (int)ipl, 1.0f, dw, ockk);
}

/* As conv2d: with several threads and enough images, images go to OpenMP threads running
 * single-threaded sgemm on their own column buffers; otherwise images run in order and only
 * OpenBLAS is threaded (never both pools alternating per image). */
static int per_image_threads(const kern_conv_shape *s, int threads)
{
    int nt = kern_nt(threads);
    return nt > 1 && s->n >= nt ? nt : 1;
}

int kern_conv2d_t_fwd(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                      float *y, float *ws, int act, float alpha, int threads)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w, per = kern_conv2d_t_ws_floats(s);
    if (s->n <= 0 || s->oc <= 0 || plane == 0)
        return 0;
    int nt = per_image_threads(s, threads);
    float *own = NULL;
    if (!ws || nt > 1) {
        own = kern_tmp(s->scratch, (per ? per : 1) * (size_t)nt * sizeof *own, 0);
        if (!own)
            return -1;
        ws = own;
    }
    int ockk = s->oc * s->kh * s->kw;
    size_t wbytes = kern_gemm_a_bytes(ockk, s->c); /* 0 in fp32 */
    void *wpk = wbytes ? kern_tmp(s->scratch, wbytes, 0) : NULL;
    kern_gemm_a wt;
    kern_gemm_a_init(&wt, 1, ockk, s->c, w, ockk, wpk);
    const kern_gemm_a *w_ = &wt;
    if (nt == 1) {
        for (int n = 0; n < s->n; n++)
            image_fwd(s, x + (size_t)n * s->c * ipl, w_, b, y + (size_t)n * s->oc * plane, ws, act,
                      alpha);
    } else {
        int blas_nt = kern_blas_single_begin(nt);
#pragma omp parallel for schedule(static) num_threads(nt)
        for (int n = 0; n < s->n; n++)
            image_fwd(s, x + (size_t)n * s->c * ipl, w_, b, y + (size_t)n * s->oc * plane,
                      ws + (size_t)kern_thread_id() * per, act, alpha);
        kern_blas_single_end(blas_nt);
    }
    kern_tmp_done(s->scratch, wpk);
    kern_tmp_done(s->scratch, own);
    return 0;
}

int kern_conv2d_t_bwd(const kern_conv_shape *s, const float *x, const float *w, const float *y,
                      float *dy, float *dx, float *dw, float *db, float *ws, int act,
                      float alpha, int threads)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w, per = kern_conv2d_t_ws_floats(s);
    int ockk = s->oc * s->kh * s->kw;
    if (s->n <= 0 || s->oc <= 0 || plane == 0)
        return 0;
    if (act != GAN_ACT_NONE && y)
        kern_act_grad_inplace(y, dy, (size_t)s->n * s->oc * plane, act, alpha, threads);
    if (db) {
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)s->n * s->oc * plane >= KERN_PAR_MIN)
        for (int o = 0; o < s->oc; o++) {
            double acc = 0.0;
            for (int i = 0; i < s->n; i++) {
                const float *r = dy + ((size_t)i * s->oc + o) * plane;
                float ps = 0.0f;
#pragma omp simd reduction(+ : ps)
                for (size_t p = 0; p < plane; p++)
                    ps += r[p];
                acc += ps;
            }
            db[o] += (float)acc;
        }
    }
    if ((!dx && !dw) || ockk == 0 || ipl == 0 || s->c == 0)
        return 0;
    int nt = per_image_threads(s, threads);
    size_t nw = (size_t)s->c * ockk;
    float *own = NULL, *dwp = NULL;
    if (!ws || nt > 1) {
        own = kern_tmp(s->scratch, per * (size_t)nt * sizeof *own, 0);
        if (!own)
            return -1;
        ws = own;
    }
    size_t wbytes = dx ? kern_gemm_a_bytes(s->c, ockk) : 0; /* 0 in fp32 */
    void *wpk = wbytes ? kern_tmp(s->scratch, wbytes, 0) : NULL;
    kern_gemm_a wa;
    kern_gemm_a_init(&wa, 0, s->c, ockk, w, ockk, wpk);
    if (nt == 1) {
        for (int n = 0; n < s->n; n++)
            image_bwd(s, x + (size_t)n * s->c * ipl, &wa, dy + (size_t)n * s->oc * plane,
                      dx ? dx + (size_t)n * s->c * ipl : NULL, dw, ws);
        kern_tmp_done(s->scratch, wpk);
        kern_tmp_done(s->scratch, own);
        return 0;
    }
    if (dw) { /* thread 0 adds into dw itself, the others into partials added in thread order */
        dwp = kern_tmp(s->scratch, ((size_t)(nt - 1) * nw) * sizeof *dwp, 1);
        if (!dwp) {
            kern_tmp_done(s->scratch, wpk);
            kern_tmp_done(s->scratch, own);
            return -1;
        }
    }
    int blas_nt = kern_blas_single_begin(nt);
#pragma omp parallel num_threads(nt)
    {
        int tid = kern_thread_id();
#pragma omp for schedule(static)
        for (int n = 0; n < s->n; n++)
            image_bwd(s, x + (size_t)n * s->c * ipl, &wa, dy + (size_t)n * s->oc * plane,
                      dx ? dx + (size_t)n * s->c * ipl : NULL,
                      !dw ? NULL : tid ? dwp + (size_t)(tid - 1) * nw : dw, ws + (size_t)tid * per);
    }
    kern_blas_single_end(blas_nt);
    if (dw)
        for (size_t i = 0; i < nw; i++) {
            float acc = 0.0f;
            for (int t = 0; t < nt - 1; t++)
                acc += dwp[(size_t)t * nw + i];
            dw[i] += acc;
        }
    kern_tmp_done(s->scratch, dwp);
    kern_tmp_done(s->scratch, wpk);
    kern_tmp_done(s->scratch, own);
    return 0;
}
