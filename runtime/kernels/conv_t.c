/* Transposed conv2d (w [c, oc, kh, kw]): per image, cols = W^T x_n (one GEMM), then col2im
 * scatters the columns into y_n. Its backward is an ordinary convolution of dy: im2col(dy_n)
 * once, then dx_n += W cols and dW += x_n cols^T. */
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "../kernels.h"
#include "kern_internal.h"

size_t kern_conv2d_t_ws_floats(const kern_conv_shape *s)
{
    return (size_t)s->oc * s->kh * s->kw * s->h * s->w;
}

int kern_conv2d_t_fwd(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                      float *y, float *ws, int act, float alpha, int threads)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w;
    int ockk = s->oc * s->kh * s->kw;
    if (s->n <= 0 || s->oc <= 0 || plane == 0)
        return 0;
    float *own = NULL;
    if (!ws && ockk > 0 && ipl > 0) {
        own = malloc(kern_conv2d_t_ws_floats(s) * sizeof *own);
        if (!own)
            return -1;
        ws = own;
    }
    for (int n = 0; n < s->n; n++) {
        const float *xn = x + (size_t)n * s->c * ipl;
        float *yn = y + (size_t)n * s->oc * plane;
        memset(yn, 0, (size_t)s->oc * plane * sizeof *yn);
        if (ockk > 0 && ipl > 0 && s->c > 0) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ockk, (int)ipl, s->c, 1.0f, w,
                        ockk, xn, (int)ipl, 0.0f, ws, (int)ipl);
            kern_col2im(ws, yn, s->oc, s->oh, s->ow, s->kh, s->kw, s->h, s->w, s->stride,
                        s->pad_t, s->pad_l, threads);
        }
        if (b || act != GAN_ACT_NONE) {
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if ((size_t)s->oc * plane >= KERN_PAR_MIN)
            for (int o = 0; o < s->oc; o++) {
                kern_bias_act_row(yn + (size_t)o * plane, plane, b ? b[o] : 0.0f, act, alpha);
            }
        }
    }
    free(own);
    return 0;
}

int kern_conv2d_t_bwd(const kern_conv_shape *s, const float *x, const float *w, const float *y,
                      float *dy, float *dx, float *dw, float *db, float *ws, int act,
                      float alpha, int threads)
{
    size_t plane = (size_t)s->oh * s->ow, ipl = (size_t)s->h * s->w;
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
    float *own = NULL;
    if (!ws) {
        own = malloc(kern_conv2d_t_ws_floats(s) * sizeof *own);
        if (!own)
            return -1;
        ws = own;
    }
    for (int n = 0; n < s->n; n++) {
        const float *dyn = dy + (size_t)n * s->oc * plane;
        kern_im2col(dyn, ws, s->oc, s->oh, s->ow, s->kh, s->kw, s->h, s->w, s->stride, s->pad_t,
                    s->pad_l, threads);
        if (dx)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->c, (int)ipl, ockk, 1.0f, w,
                        ockk, ws, (int)ipl, 1.0f, dx + (size_t)n * s->c * ipl, (int)ipl);
        if (dw)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->c, ockk, (int)ipl, 1.0f,
                        x + (size_t)n * s->c * ipl, (int)ipl, ws, (int)ipl, 1.0f, dw, ockk);
    }
    free(own);
    return 0;
}
