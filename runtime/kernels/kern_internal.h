/* Shared helpers of the kernel files (not part of the public kernels.h). */
#ifndef GAN_KERN_INTERNAL_H
#define GAN_KERN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
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

/* gemm_f32_avx512.c: fp32 C = A B + beta C, all row-major and not transposed, on AVX-512
 * without packing (the skinny GEMMs of convolutions); only where kern_f32_avx512_usable().
 * (A dot-product form of C = A B^T for dW was tried and measured slower than OpenBLAS on
 * every conv shape but K >= 4096 with M <= 32: docs/kernels.md.) */
int kern_f32_avx512_usable(void);
void kern_sgemm_nn_avx512(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                          float beta, float *c, int ldc);


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

/* conv.c's epilogues, shared with upconv.c: y [oc, plane] = act(y + b) for one image, and
 * db[o] += the sum of dy over n images and their planes (fixed order). */
void kern_conv_bias_act(float *y, const float *b, int oc, size_t plane, int act, float alpha,
                        int threads);
void kern_conv_bias_grad(const float *dy, float *db, int n, int oc, size_t plane, int threads);
/* The backward's first pass over dy (n images of oc planes): dy *= act'(y) in place (when an
 * activation is fused and y given), then db += its sums (db may be NULL). */
void kern_conv_bwd_epilogue(const float *y, float *dy, float *db, int n, int oc, size_t plane,
                            int act, float alpha, int threads);

/* Winograd F(2x2,3x3) forward for 3x3 stride-1 convolutions (conv_winograd.c) */
int kern_conv_winograd_ok(const kern_conv_shape *s);
int kern_conv_winograd_fwd(const kern_conv_shape *s, const float *x, const float *w,
                           const float *b, float *y, int act, float alpha, int threads);

/* conv2d as implicit GEMMs on the polyphase planes of the input, without columns
 * (conv_implicit.c): fp32, C >= 8, OC > 4, kernel larger than 1x1. The backward takes dy
 * already multiplied by the activation's derivative. -1 when scratch memory ran out. */
int kern_conv_implicit_ok(const kern_conv_shape *s);
int kern_conv_implicit_fwd(const kern_conv_shape *s, const float *x, const float *w,
                           const float *b, float *y, int act, float alpha, int threads);
int kern_conv_implicit_bwd(const kern_conv_shape *s, const float *x, const float *w,
                           const float *dy, float *dx, float *dw, int threads);

/* Sum of f(i) for i in [0, n) in fixed blocks (deterministic whatever the thread count).
 * Implemented as a macro-free helper taking a block function. */
typedef double (*kern_block_fn)(const void *ctx, size_t lo, size_t hi);
double kern_block_sum(kern_block_fn fn, const void *ctx, size_t n, int threads);

/* ---- GEMM (gemm.c): C [m,n] = op(A) [m,k] op(B) [k,n] + beta C (beta 0 or 1), row-major,
 * ta / tb: 1 = transposed, alpha 1. fp32: cblas_sgemm exactly; bf16 (kern_set_precision):
 * inputs rounded to bf16, fp32 accumulation, single-threaded (call it from one thread per
 * block of work, as the conv and dense kernels do). ---- */
void kern_gemm(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b,
               int ldb, float beta, float *c, int ldc);
/* The same with op(A) [m, k] packed once for many GEMMs (a conv's weights, which every image
 * and every tile multiplies; repacking them per call cost more than the multiplies on small
 * planes). kern_gemm_a_bytes: the buffer it needs under the current precision and kernel
 * (0 in fp32: nothing is packed and kern_gemm_pa is kern_gemm, bit for bit); kern_gemm_a_init
 * describes op(A) and packs it into buf (NULL: not packed, kern_gemm_pa packs per call);
 * kern_gemm_pa gives the same bits as kern_gemm on the same A. Call init outside parallel
 * regions; kern_gemm_pa from any thread. */
typedef struct {
    const float *a;
    int ta, m, k, lda;
    int impl;          /* the bf16 kernel it is packed for (-1: not packed) */
    const uint32_t *p; /* the packed pairs, or NULL */
} kern_gemm_a;
size_t kern_gemm_a_bytes(int m, int k);
void kern_gemm_a_init(kern_gemm_a *pa, int ta, int m, int k, const float *a, int lda, void *buf);
void kern_gemm_pa(const kern_gemm_a *pa, int tb, int n, const float *b, int ldb, float beta,
                  float *c, int ldc);

/* bf16 micro-kernel tile and packing: a pair = two bf16 of consecutive k (low half k even) */
#define KERN_BF16_MR 8
#define KERN_BF16_NR 48
/* fp32 -> bf16 bits, round to nearest even; zeros and denormals -> signed zero (as the bf16
 * units treat denormal inputs), NaN stays a (quiet) NaN, overflow rounds to infinity */
static inline uint32_t kern_bf16_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16; /* branch-free: packing vectorises */
    r = (u & 0x7fffffffu) > 0x7f800000u ? (u >> 16) | 0x40u : r;
    return (u & 0x7f800000u) == 0 ? (u >> 16) & 0x8000u : r;
}
static inline uint32_t kern_bf16_pair(float lo, float hi)
{
    return kern_bf16_bits(lo) | kern_bf16_bits(hi) << 16;
}
static inline float kern_bf16_lo(uint32_t p)
{
    uint32_t u = p << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static inline float kern_bf16_hi(uint32_t p)
{
    uint32_t u = p & 0xffff0000u;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
/* C [mr <= MR, nr <= NR] (ldc) = (load ? C : 0) + sum over kp pairs of A panel ap [kp][MR] x
 * B block bp [kp][ldbp]: per element, per pair p in order, acc += a_odd b_odd, then
 * acc += a_even b_even (each rounded to fp32). Rows of the panel beyond mr are computed and
 * dropped; columns beyond nr are neither read nor written in C. */
typedef void (*kern_bf16_ukr)(int kp, const uint32_t *ap, const uint32_t *bp, int ldbp,
                              float *c, int ldc, int mr, int nr, int load);
/* the AVX512-BF16 micro-kernel (NULL where the compiler cannot build it), and whether this
 * CPU and OS can run it (cpuid leaf 7 subleaf 1 EAX bit 5, AVX512F, XCR0 zmm + opmask state) */
kern_bf16_ukr kern_bf16_ukr_avx512(void);
/* out[j] = kern_bf16_pair(r0[j], r1[j]) for j < n, with AVX512-BF16 + BW (same bits) */
void kern_bf16_pack_rows_avx512(const float *r0, const float *r1, uint32_t *out, int n);
/* out[p * stride] = kern_bf16_pair(x[2p], x[2p+1]) for p < np, with AVX512-BF16 (same bits) */
void kern_bf16_pack_pairs_avx512(const float *x, int np, uint32_t *out, size_t stride);
int kern_bf16_avx512_usable(void);
/* the packers of gemm.c (fast: with the AVX-512 helpers, same bits): kern_bf16_pack_pairs
 * puts pairs of x[0..n) at out[p * stride] (an odd n pads the last with 0);
 * kern_bf16_pack_b puts op(B) rows [k0, k0+kc) x columns [j0, j0+nc) into bp [kp][ncp]
 * (columns beyond nc zero; zeros: >= nc zero floats) */
void kern_bf16_pack_pairs(const float *x, int n, uint32_t *out, size_t stride, int fast);
void kern_bf16_pack_b(const float *b, int ldb, int tb, int k0, int kc, int j0, int nc, int ncp,
                      uint32_t *bp, int fast, const float *zeros);
/* AMX-BF16 (gemm_bf16_amx.c): whether it was compiled in, whether this CPU and OS run it
 * (cpuid, XCR0, the arch_prctl permission, asked once per process), and the whole GEMM
 * (kern_gemm's contract; TDPBF16PS's sums, not VDPBF16PS's: docs/kernels.md) */
int kern_bf16_amx_built(void);
int kern_bf16_amx_usable(void);
void kern_gemm_bf16_amx(int ta, int tb, int m, int n, int k, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc);
/* op(A) prepacked for it (kern_bf16_amx_a_words pairs), and the GEMM on it (a, lda unused
 * then, kept for the fallback where AMX is not compiled in) */
size_t kern_bf16_amx_a_words(int m, int k);
void kern_bf16_amx_pack_a(int ta, int m, int k, const float *a, int lda, uint32_t *out);
void kern_gemm_bf16_amx_pre(int ta, int tb, int m, int n, int k, const float *a, int lda,
                            const uint32_t *apre, const float *b, int ldb, float beta, float *c,
                            int ldc);
/* the micro-kernel of a KERN_BF16_* implementation (portable where AVX-512's is absent) */
kern_bf16_ukr kern_bf16_ukr_for(int impl);
/* for tests: the whole bf16 GEMM with a given micro-kernel; forcing the implementation */
void kern_gemm_bf16_with(kern_bf16_ukr ukr, int ta, int tb, int m, int n, int k, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc);
void kern_bf16_force_impl(int impl);

#endif
