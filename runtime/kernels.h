/* Runtime kernels: plain C functions on raw float pointers, one per op of ops.h (forward and
 * backward). The interpreter (exec.c) reads shapes from the gan_model and calls these; tests and
 * the benchmark call them directly.
 *
 * Conventions (as ops.h):
 *  - layout NCHW float32;
 *  - backward kernels ADD into their gradient outputs; any gradient pointer may be NULL
 *    (not wanted); a fused backward (act != NONE) multiplies dy in place by the activation's
 *    derivative (taken from the forward output y), so dy is clobbered;
 *  - `threads` is the OpenMP thread count for elementwise work and reductions (< 1 = 1).
 *    Every reduction sums in a fixed order that does not depend on the thread count or timing,
 *    so results are bitwise reproducible; OpenBLAS's own thread count is set by the caller
 *    (gan_exec_program does it).
 *  - functions returning int give 0, or -1 when a temporary allocation failed.
 */
#ifndef GAN_KERNELS_H
#define GAN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* ---- activations ---- */
float kern_act1(float x, int act, float alpha);            /* act(x), one value */
void kern_act_fwd(const float *x, float *y, size_t n, int act, float alpha, int threads);
/* dx += dy * act'(y), the derivative expressed through the forward output y. */
void kern_act_bwd(const float *y, const float *dy, float *dx, size_t n, int act, float alpha,
                  int threads);
/* dy *= act'(y) in place (the first step of every fused backward). No-op for GAN_ACT_NONE. */
void kern_act_grad_inplace(const float *y, float *dy, size_t n, int act, float alpha, int threads);

/* ---- dense: x [n,k], w [m,k], b [m] | NULL, y [n,m] = act(x w^T + b) ---- */
void kern_dense_fwd(const float *x, const float *w, const float *b, float *y, int n, int k, int m,
                    int act, float alpha, int threads);
/* y may be NULL when act is NONE; dy is clobbered when act is not NONE. */
void kern_dense_bwd(const float *x, const float *w, const float *y, float *dy, float *dx,
                    float *dw, float *db, int n, int k, int m, int act, float alpha, int threads);

/* ---- GEMM precision (process-wide: set it before running programs, not during) ----
 * KERN_PREC_FP32 (the default): OpenBLAS sgemm. KERN_PREC_BF16: the GEMMs of dense, conv2d
 * (im2col and Winograd) and conv2d_t take bf16-rounded inputs and accumulate in fp32; the
 * direct conv (<= 4 output channels), every other op and all state stay fp32. */
enum { KERN_PREC_FP32 = 0, KERN_PREC_BF16 = 1 };
enum { KERN_BF16_PORTABLE = 0, KERN_BF16_AVX512 = 1, KERN_BF16_AMX = 2 };
void kern_set_precision(int prec);
int kern_precision(void);
/* which bf16 kernel this machine runs (detected once: AMX > AVX512-BF16 > portable;
 * GANRT_BF16_KERNEL=amx|avx512|portable asks for one) */
int kern_bf16_impl(void);
/* 0, or -1 with a message when GANRT_BF16_KERNEL names an unknown kernel or one this CPU
 * or OS cannot run (kern_bf16_impl then runs the best available instead) */
int kern_bf16_check_env(char *err, size_t errlen);
/* one line naming it, or saying that the CPU lacks the unit and what runs instead */
const char *kern_bf16_describe(void);

/* ---- scratch ----
 * Memory the convolution kernels need beyond the planned workspace: one column tile per
 * thread, per-thread dW partials, padded planes, Winograd transforms. With a scratch the first
 * run of a program sizes it (kern_scratch_reset between ops grows it once to the largest op's
 * need) and later runs allocate nothing; without one (NULL) each call mallocs and frees. */
typedef struct kern_scratch kern_scratch;
kern_scratch *kern_scratch_new(void);
void kern_scratch_free(kern_scratch *sc);
/* Call between ops: forgets the previous op's blocks; grows the buffer if an op overflowed. */
void kern_scratch_reset(kern_scratch *sc);
size_t kern_scratch_bytes(const kern_scratch *sc);

/* ---- convolutions ---- */
typedef struct {
    int n, c, h, w;     /* input x [n, c, h, w] */
    int oc, kh, kw;     /* conv2d: w [oc, c, kh, kw]; conv2d_t: w [c, oc, kh, kw] */
    int oh, ow;         /* output y [n, oc, oh, ow] */
    int stride, pad_t, pad_l;
    kern_scratch *scratch; /* may be NULL */
    int columns;           /* 1: conv2d keeps im2col + GEMM where it would go implicit
                              (the tests of that path); 0 in the runtime */
} kern_conv_shape;

/* Floats of workspace each kernel wants (one image's columns): gan_conv_ws_floats, the
 * format's one workspace rule. */
size_t kern_conv2d_ws_floats(const kern_conv_shape *s);   /* c*kh*kw*oh*ow */
size_t kern_conv2d_t_ws_floats(const kern_conv_shape *s); /* oc*kh*kw*h*w */

/* ws may be NULL: the kernel then allocates (and frees) its own. */
int kern_conv2d_fwd(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                    float *y, float *ws, int act, float alpha, int threads);
int kern_conv2d_bwd(const kern_conv_shape *s, const float *x, const float *w, const float *y,
                    float *dy, float *dx, float *dw, float *db, float *ws, int act, float alpha,
                    int threads);
int kern_conv2d_t_fwd(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                      float *y, float *ws, int act, float alpha, int threads);
int kern_conv2d_t_bwd(const kern_conv_shape *s, const float *x, const float *w, const float *y,
                      float *dy, float *dx, float *dw, float *db, float *ws, int act,
                      float alpha, int threads);

/* upconv2d: nearest 2x upsampling + 3x3 stride-1 pad-1 conv in one (upconv.c). s is the
 * convolution's shape with h, w the input's (oh = 2h, ow = 2w, kh = kw = 3, w [oc, c, 3, 3]);
 * ws (NULL: allocated) holds kern_upconv2d_ws_floats. Backward as kern_conv2d_bwd. */
size_t kern_upconv2d_ws_floats(const kern_conv_shape *s); /* (4c + oc)*h*w */
int kern_upconv2d_fwd(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                      float *y, float *ws, int act, float alpha, int threads);
int kern_upconv2d_bwd(const kern_conv_shape *s, const float *x, const float *w, const float *y,
                      float *dy, float *dx, float *dw, float *db, float *ws, int act,
                      float alpha, int threads);

/* im2col for one image: image [c, h, w] -> cols [c*kh*kw, oh*ow] (zero outside), and its
 * adjoint col2im (ADDS into the image). Exposed for tests and the benchmark. */
void kern_im2col(const float *img, float *cols, int c, int h, int w, int kh, int kw, int oh,
                 int ow, int stride, int pad_t, int pad_l, int threads);
void kern_col2im(const float *cols, float *img, int c, int h, int w, int kh, int kw, int oh,
                 int ow, int stride, int pad_t, int pad_l, int threads);

/* ---- batch norm: x [n, c, hw] (hw = 1 for rank-2 input); gamma/beta may be NULL (1/0) ---- */
/* saved_mean / saved_invstd may be NULL (forward only); running stats updated in place
 * (Keras momentum; running_var takes the unbiased batch variance). */
void kern_bn_train_fwd(const float *x, const float *gamma, const float *beta, float *run_mean,
                       float *run_var, float *y, float *saved_mean, float *saved_invstd, int n,
                       int c, size_t hw, float momentum, float eps, int act, float alpha,
                       int threads);
/* d(input) of the inference form (running statistics as constants), added into dx; dy is
 * first multiplied by the fused activation's derivative (from y) in place. */
void kern_bn_infer_bwd(const float *gamma, const float *y, float *dy, const float *run_var,
                       float *dx, int n, int c, size_t hw, float eps, int act, float alpha,
                       int threads);
void kern_bn_infer_fwd(const float *x, const float *gamma, const float *beta,
                       const float *run_mean, const float *run_var, float *y, int n, int c,
                       size_t hw, float eps, int act, float alpha, int threads);
void kern_bn_train_bwd(const float *x, const float *gamma, const float *y, float *dy,
                       const float *saved_mean, const float *saved_invstd, float *dx,
                       float *dgamma, float *dbeta, int n, int c, size_t hw, int act,
                       float alpha, int threads);

/* ---- shape ops ---- */
void kern_zero(float *y, size_t n, int threads);
void kern_copy(const float *x, float *y, size_t n, int threads);       /* y = x (may alias) */
void kern_accum(const float *dy, float *dx, size_t n, int threads);    /* dx += dy */
/* concat along the feature axis: per-sample sizes sz[i]; xs[i] may be NULL in the backward */
void kern_concat_fwd(const float *const *xs, const size_t *sz, int k, int n, float *y, int threads);
void kern_concat_bwd(const float *dy, float *const *dxs, const size_t *sz, int k, int n,
                     int threads);
void kern_tile_fwd(const float *x, float *y, int n, int l, size_t hw, int threads);
void kern_tile_bwd(const float *dy, float *dx, int n, int l, size_t hw, int threads);
void kern_gap_fwd(const float *x, float *y, int n, int c, size_t hw, int threads);
void kern_gap_bwd(const float *dy, float *dx, int n, int c, size_t hw, int threads);
/* nearest upsample x [nc, h, w] -> y [nc, h*f, w*f] (nc = n*c) */
void kern_upsample_fwd(const float *x, float *y, size_t nc, int h, int w, int f, int threads);
void kern_upsample_bwd(const float *dy, float *dx, size_t nc, int h, int w, int f, int threads);
void kern_add_fwd(const float *a, const float *b, float *y, size_t n, int threads);
void kern_add_bwd(const float *dy, float *da, float *db, size_t n, int threads);
void kern_mul_fwd(const float *a, const float *b, float *y, size_t n, int threads);
void kern_mul_bwd(const float *a, const float *b, const float *dy, float *da, float *db, size_t n,
                  int threads);
void kern_rowdot_fwd(const float *a, const float *b, float *y, int n, size_t f, int threads);
void kern_rowdot_bwd(const float *a, const float *b, const float *dy, float *da, float *db, int n,
                     size_t f, int threads);

/* ---- spectral norm: w viewed [o, k]; u [o] updated in place when training ---- */
void kern_spectral_norm_fwd(const float *w, float *u, float *w_sn, float *v, float *sigma, int o,
                            size_t k, int training, float eps, int threads);
void kern_spectral_norm_bwd(const float *w, const float *u, const float *v, float sigma,
                            const float *dw_sn, float *dw, int o, size_t k, int threads);

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

/* ---- losses: the forward returns the unweighted term; the backward adds weight * dL/dx.
 * t may be NULL: the constant target tc is used instead. ---- */
float kern_loss_hinge_real_fwd(const float *a, size_t n, int threads);
void kern_loss_hinge_real_bwd(const float *a, float *da, size_t n, float weight, int threads);
float kern_loss_hinge_fake_fwd(const float *a, size_t n, int threads);
void kern_loss_hinge_fake_bwd(const float *a, float *da, size_t n, float weight, int threads);
float kern_loss_mean_fwd(const float *a, size_t n, float scale, int threads);
void kern_loss_mean_bwd(float *da, size_t n, float weight, float scale, int threads);
float kern_loss_bce_logits_fwd(const float *l, const float *t, float tc, size_t n, int threads);
void kern_loss_bce_logits_bwd(const float *l, const float *t, float tc, float *dl, size_t n,
                              float weight, int threads);
float kern_loss_bce_fwd(const float *p, const float *t, float tc, size_t n, int threads);
void kern_loss_bce_bwd(const float *p, const float *t, float tc, float *dp, size_t n,
                       float weight, int threads);
/* class-balanced BCE with logits over l, t [n, k] (format/ops_loss.c: LOSS_BCE_BAL) */
float kern_loss_bce_bal_fwd(const float *l, const float *t, int n, int k, int threads);
void kern_loss_bce_bal_bwd(const float *l, const float *t, float *dl, int n, int k, float weight,
                           int threads);
float kern_loss_softmax_ce_fwd(const float *l, const float *t, int n, int k, int threads);
void kern_loss_softmax_ce_bwd(const float *l, const float *t, float *dl, int n, int k,
                              float weight, int threads);

/* ---- MSE loss (LSGAN): mean of (a - t)^2; t may be NULL: the constant target tc. The forward
 * returns the unweighted term; the backward adds weight * 2 (a - t) / n into da. ---- */
/* scale * mean(a * w), and its gradient weight * scale * w / n added into da. */
float kern_loss_dot_fwd(const float *a, const float *w, float scale, size_t n, int threads);
void kern_loss_dot_bwd(const float *w, float scale, float *da, size_t n, float weight,
                       int threads);
float kern_loss_mse_fwd(const float *a, const float *t, float tc, size_t n, int threads);
void kern_loss_mse_bwd(const float *a, const float *t, float tc, float *da, size_t n,
                       float weight, int threads);

/* ---- FiLM (conditional batch norm's modulation): gb [n, 2c] holds gains then biases ----
 * y = x (1 + g) + b over each (sample, channel) plane of hw values; the backward adds
 * dy (1 + g) into dx and the plane sums of dy x, dy into dgb (either may be NULL). */
void kern_film_fwd(const float *x, const float *gb, float *y, int n, int c, size_t hw,
                   int threads);
void kern_film_bwd(const float *x, const float *gb, const float *dy, float *dx, float *dgb,
                   int n, int c, size_t hw, int threads);

/* ---- DiffAugment (format/ops_diffaug.c): params [n, 9] per sample: brightness,
 * saturation, contrast, shift tx, ty (y(h, w) = x(h + ty, w + tx)), cutout x0, y0, w, h ----
 * draw: the params of run `run` of a layer whose seed is `seed`; colour off gives 0, 1, 1.
 * fwd: y = the transform of x; bwd: dx += its transpose applied to dy. */
void kern_diffaug_draw(uint64_t seed, uint64_t run, int n, int h, int w, int color,
                       float translation, float cutout, float *params);
/* the same for samples row0..row0+n-1 of a larger batch (a data-parallel rank's rows) */
void kern_diffaug_draw_rows(uint64_t seed, uint64_t run, int row0, int n, int h, int w,
                            int color, float translation, float cutout, float *params);
void kern_diffaug_fwd(const float *x, const float *params, float *y, int n, int c, int h, int w,
                      int threads);
void kern_diffaug_bwd(const float *params, const float *dy, float *dx, int n, int c, int h,
                      int w, int threads);

/* ---- optimizer ---- */
/* One Adam step at step count t (already incremented, t >= 1), PyTorch's form:
 * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps) */
void kern_adam(float *p, const float *g, float *m, float *v, size_t n, float t, float lr,
               float beta1, float beta2, float eps, int threads);
/* One SGD step (torch.optim.SGD, dampening 0): g' = g + wd p; buf = momentum buf + g';
 * p -= lr buf. */
void kern_sgd(float *p, const float *g, float *buf, size_t n, float lr, float momentum, float wd,
              int threads);
/* One RMSprop step (torch.optim.RMSprop): g' = g + wd p; sq = alpha sq + (1-alpha) g'^2;
 * p -= lr g' / (sqrt(sq) + eps). */
void kern_rmsprop(float *p, const float *g, float *sq, size_t n, float lr, float alpha,
                  float eps, float wd, int threads);
/* p *= s (AdamW's decoupled weight decay: s = 1 - lr wd) */
void kern_scale(float *p, size_t n, float s, int threads);
/* The learning rate of update t (1, 2, ...): lr, times t/warmup during the warm-up, times the
 * decay from 1 to final_share between update max(warmup, hold) and update `last` (linear or
 * half a cosine; constant: no decay). Computed in double, rounded once. */
enum { KERN_LR_CONSTANT = 0, KERN_LR_LINEAR = 1, KERN_LR_COSINE = 2 };
float kern_lr_at(float lr, double t, int kind, int warmup, int hold, int last, float final_share);
/* ema = decay * ema + (1 - decay) * p */
void kern_ema(const float *p, float *ema, size_t n, float decay, int threads);

#endif
