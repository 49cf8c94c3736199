/* Kernels of the ops not yet in the op table: average pooling, instance norm, MSE loss. Kept
 * apart from runtime/kernels.h until the op table is wired for them; the conventions are
 * kernels.h's (NCHW float32, backward kernels ADD into their gradient outputs and take NULL
 * for a gradient not wanted, `threads` as there, results independent of the thread count). */
#ifndef GAN_KERN_NEW_OPS_H
#define GAN_KERN_NEW_OPS_H

#include <stddef.h>

/* ---- average pooling: x [nc, h, w] (nc = n*c) -> y [nc, oh, ow], window k x k, stride s,
 * no padding: oh = (h - k)/s + 1, ow = (w - k)/s + 1 (an incomplete last window is dropped,
 * as torch's floor mode). ---- */
/* The output size along one axis, 0 when no window fits (k > in) or k, s < 1 (the kernels
 * then do nothing). */
int kern_avg_pool_out(int in, int k, int stride);
void kern_avg_pool_fwd(const float *x, float *y, size_t nc, int h, int w, int k, int stride,
                       int threads);
/* dx [nc, h, w] += dy / (k*k) spread over each window; pixels no window covers get nothing */
void kern_avg_pool_bwd(const float *dy, float *dx, size_t nc, int h, int w, int k, int stride,
                       int threads);

/* ---- instance norm: x [n, c, hw]; statistics per (sample, channel) over hw, biased variance
 * (torch's InstanceNorm2d without running statistics); gamma/beta [c] may be NULL (1/0).
 * saved_mean / saved_invstd [n*c] (index sample*c + channel) may be NULL (forward only).
 * hw = 1 is allowed (torch refuses it): y = beta, and no gradient reaches x. ---- */
void kern_instance_norm_fwd(const float *x, const float *gamma, const float *beta, float *y,
                            float *saved_mean, float *saved_invstd, int n, int c, size_t hw,
                            float eps, int threads);
/* dx, dgamma, dbeta may each be NULL; dgamma/dbeta [c] sum over the samples. */
void kern_instance_norm_bwd(const float *x, const float *gamma, const float *dy,
                            const float *saved_mean, const float *saved_invstd, float *dx,
                            float *dgamma, float *dbeta, int n, int c, size_t hw, int threads);

/* ---- MSE loss (LSGAN): mean of (a - t)^2; t may be NULL: the constant target tc. The forward
 * returns the unweighted term; the backward adds weight * 2 (a - t) / n into da. ---- */
float kern_loss_mse_fwd(const float *a, const float *t, float tc, size_t n, int threads);
void kern_loss_mse_bwd(const float *a, const float *t, float tc, float *da, size_t n,
                       float weight, int threads);

#endif
