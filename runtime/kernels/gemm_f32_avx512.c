/* fp32 C = A B + beta C for row-major A [m, k], B [k, n] on AVX-512, without packing: the
 * skinny GEMMs of convolutions (m = output channels, 16..128; n = a tile of output pixels;
 * k = input channels x taps), where OpenBLAS sgemm reaches a fraction of the machine (its
 * packing of B costs as much as the few rows of A multiplied into it). Blocking: n in
 * blocks of 64 columns (4 zmm), k in blocks of KB so that the B block (KB x 64 floats, 64
 * KB) stays in L1/L2 while every row block of A passes over it; rows in blocks of 6, the
 * 6 x 64 tile of C in 24 accumulators. Per reduction index: 4 loads of B, 6 broadcasts of A,
 * 24 FMAs. Column tails are masked loads and stores, so nothing is read or written outside
 * the matrices. Each element of C is one fp32 accumulator summed in reduction order (k0 ..
 * k-1, continued from C between k blocks): the result does not depend on the blocking's
 * m or n position, and is the same on every run. Only this file is compiled for AVX-512
 * (function-level target attribute); it runs only where kern_f32_avx512_usable() says so. */
#include "runtime/kernels/kern_internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && \
    ((defined(__GNUC__) && __GNUC__ >= 10) || (defined(__clang__) && __clang_major__ >= 9))
#include <cpuid.h>
#include <immintrin.h>

/* also the base of kern_bf16_avx512_usable (gemm_bf16_avx512.c) */
int kern_f32_avx512_usable(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) /* OSXSAVE: xgetbv usable */
        return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    /* XCR0: SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM state enabled by the OS */
    if ((lo & 0xe6u) != 0xe6u || __get_cpuid_max(0, 0) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 16) & 1u; /* AVX512F */
}

enum { MR = 6, NB = 64, KB = 256 }; /* KB 64 and 128 measured no faster */

#define TGT __attribute__((target("avx512f")))

/* One MR_ x 64 tile over k indices [0, kc): c (+)= a b. MR_ is a constant after inlining, so
 * the accumulators stay in registers. */
TGT __attribute__((always_inline)) static inline void
tile(const int MR_, int kc, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
     const __mmask16 mk[4], int load)
{
    __m512 acc[MR][4];
#pragma GCC unroll 6
    for (int r = 0; r < MR_; r++)
#pragma GCC unroll 4
        for (int v = 0; v < 4; v++)
            acc[r][v] = load ? _mm512_maskz_loadu_ps(mk[v], c + (size_t)r * ldc + 16 * v)
                             : _mm512_setzero_ps();
    for (int p = 0; p < kc; p++) {
        const float *bp = b + (size_t)p * ldb;
        __m512 b0 = _mm512_maskz_loadu_ps(mk[0], bp);
        __m512 b1 = _mm512_maskz_loadu_ps(mk[1], bp + 16);
        __m512 b2 = _mm512_maskz_loadu_ps(mk[2], bp + 32);
        __m512 b3 = _mm512_maskz_loadu_ps(mk[3], bp + 48);
#pragma GCC unroll 6
        for (int r = 0; r < MR_; r++) {
            __m512 av = _mm512_set1_ps(a[(size_t)r * lda + p]);
            acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(av, b2, acc[r][2]);
            acc[r][3] = _mm512_fmadd_ps(av, b3, acc[r][3]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < MR_; r++)
#pragma GCC unroll 4
        for (int v = 0; v < 4; v++)
            _mm512_mask_storeu_ps(c + (size_t)r * ldc + 16 * v, mk[v], acc[r][v]);
}

TGT static void tile_rows(int mr, int kc, const float *a, int lda, const float *b, int ldb,
                          float *c, int ldc, const __mmask16 mk[4], int load)
{
    switch (mr) {
    case 6: tile(6, kc, a, lda, b, ldb, c, ldc, mk, load); break;
    case 5: tile(5, kc, a, lda, b, ldb, c, ldc, mk, load); break;
    case 4: tile(4, kc, a, lda, b, ldb, c, ldc, mk, load); break;
    case 3: tile(3, kc, a, lda, b, ldb, c, ldc, mk, load); break;
    case 2: tile(2, kc, a, lda, b, ldb, c, ldc, mk, load); break;
    default: tile(1, kc, a, lda, b, ldb, c, ldc, mk, load); break;
    }
}

TGT void kern_sgemm_nn_avx512(int m, int n, int k, const float *a, int lda, const float *b,
                              int ldb, float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    if (beta != 0.0f && beta != 1.0f)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                c[(size_t)i * ldc + j] *= beta;
    if (k <= 0) {
        if (beta == 0.0f)
            for (int i = 0; i < m; i++)
                memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof *c);
        return;
    }
    for (int j0 = 0; j0 < n; j0 += NB) {
        int nr = n - j0 < NB ? n - j0 : NB;
        __mmask16 mk[4];
        for (int v = 0; v < 4; v++) {
            int left = nr - 16 * v;
            mk[v] = left >= 16 ? (__mmask16)0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
        }
        for (int k0 = 0; k0 < k; k0 += KB) {
            int kc = k - k0 < KB ? k - k0 : KB, load = k0 > 0 || beta != 0.0f;
            for (int i0 = 0; i0 < m; i0 += MR)
                tile_rows(m - i0 < MR ? m - i0 : MR, kc, a + (size_t)i0 * lda + k0, lda,
                          b + (size_t)k0 * ldb + j0, ldb, c + (size_t)i0 * ldc + j0, ldc, mk,
                          load);
        }
    }
}

#else
int kern_f32_avx512_usable(void) { return 0; }
void kern_sgemm_nn_avx512(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                          float beta, float *c, int ldc)
{
    (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)beta, (void)c,
        (void)ldc;
}

#endif
