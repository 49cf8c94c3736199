/* Shared helpers of the kernel files (not part of the public kernels.h). */
#ifndef GAN_KERN_INTERNAL_H
#define GAN_KERN_INTERNAL_H

#include <stddef.h>
#include "format/ops.h"
#include "runtime/kernels.h"

/* Below this many elements an OpenMP region costs more than it saves. */
#define KERN_PAR_MIN 16384
/* Reductions sum fixed blocks of this many elements (each block sequentially, then the block
 * sums in order), so the result does not depend on the thread count. */
#define KERN_RED_BLOCK 4096
/* kern_block_sum keeps at most this many partial sums (on the stack): larger inputs get
 * larger blocks, so no reduction allocates. */
#define KERN_RED_MAX_PARTS 1024

/* Temporary memory for one op from the scratch (sc NULL: malloc / calloc). Call outside
 * parallel regions. NULL only when memory is exhausted. */
void *kern_tmp(kern_scratch *sc, size_t bytes, int zero);
/* Releases what kern_tmp gave (frees it unless it lies in the scratch buffer). */
void kern_tmp_done(kern_scratch *sc, void *p);

static inline int kern_nt(int threads) { return threads < 1 ? 1 : threads; }

/* the calling thread's number inside an OpenMP region (0 outside) */
int kern_thread_id(void);

/* Before OpenMP threads call sgemm concurrently (nt > 1): hold OpenBLAS at one thread; returns
 * the previous count for kern_blas_single_end (nothing is changed when nt == 1 or OpenBLAS is
 * already single-threaded). */
int kern_blas_single_begin(int nt);
void kern_blas_single_end(int prev);

/* tanh as the odd rational minimax approximation p(x)/q(x) of degrees 13/6 used by Eigen,
 * XLA and MLAS (published coefficients), clamped at +-7.9053111 where tanh rounds to +-1 in
 * float: a few ulp from libm's tanhf, and only multiplies, adds and a divide, so loops over it
 * vectorise (libm's tanhf cost ~15-60 ns per element here). */
static inline float kern_tanh(float x)
{
    const float c = 7.90531110763549805f;
    x = x < c ? x : c;
    x = x > -c ? x : -c;
    float x2 = x * x;
    float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
    p = x2 * p + -8.60467152213735e-11f;
    p = x2 * p + 5.12229709037114e-08f;
    p = x2 * p + 1.48572235717979e-05f;
    p = x2 * p + 6.37261928875436e-04f;
    p = x2 * p + 4.89352455891786e-03f;
    p = x * p;
    float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
    q = x2 * q + 2.26843463243900e-03f;
    q = x2 * q + 4.89352518554385e-03f;
    float t = p / q;
    t = t < 1.0f ? t : 1.0f;
    return t > -1.0f ? t : -1.0f;
}

/* act'(.) expressed through the forward output y. */
static inline float kern_dact(float y, int act, float alpha)
{
    switch (act) {
    case GAN_ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
    case GAN_ACT_LEAKY_RELU: return y > 0.0f ? 1.0f : alpha;
    case GAN_ACT_TANH: return 1.0f - y * y;
    case GAN_ACT_SIGMOID: return y * (1.0f - y);
    default: return 1.0f;
    }
}

/* Row helpers for fused epilogues (branch-free, vectorisable; relu and leaky relu are written
 * as max/min patterns so random signs cost no mispredicted branches):
 *   kern_bias_act_row:   r[i] = act(r[i] + bias)
 *   kern_affine_act_row: y[i] = act(x[i] * scale + shift) */
void kern_bias_act_row(float *r, size_t n, float bias, int act, float alpha);
void kern_affine_act_row(const float *x, float *y, size_t n, float scale, float shift, int act,
                         float alpha);

/* Direct convolution for very few output channels (conv_direct.c); the conv2d kernels use it
 * when kern_conv_direct_ok(). Return 0, or -1 when scratch memory could not be allocated. */
int kern_conv_direct_ok(const kern_conv_shape *s);
int kern_conv_direct_fwd(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                         float *y, int act, float alpha, int threads);
/* dx and dw as the GEMM path (dy already multiplied by the activation's derivative) */
int kern_conv_direct_bwd(const kern_conv_shape *s, const float *x, const float *w,
                         const float *dy, float *dx, float *dw, int threads);

/* Winograd F(2x2,3x3) forward for 3x3 stride-1 convolutions (conv_winograd.c) */
int kern_conv_winograd_ok(const kern_conv_shape *s);
int kern_conv_winograd_fwd(const kern_conv_shape *s, const float *x, const float *w,
                           const float *b, float *y, int act, float alpha, int threads);

/* Sum of f(i) for i in [0, n) in fixed blocks (deterministic whatever the thread count).
 * Implemented as a macro-free helper taking a block function. */
typedef double (*kern_block_fn)(const void *ctx, size_t lo, size_t hi);
double kern_block_sum(kern_block_fn fn, const void *ctx, size_t n, int threads);

#endif
