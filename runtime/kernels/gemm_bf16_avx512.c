/* The AVX512-BF16 micro-kernel of the bf16 GEMM (gemm.c): an 8 x 48 tile of C in 24 zmm
 * accumulators; per pair of the reduction, 3 loads of packed B (16 columns each, one bf16
 * pair per column), 8 broadcasts of A's pairs and 24 vdpbf16ps. Only this file's functions
 * are compiled for AVX-512 (function-level target attribute), so the rest of the build stays
 * baseline x86-64; the kernel runs only where kern_bf16_avx512_usable() says so. */
#include "runtime/kernels/kern_internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && \
    ((defined(__GNUC__) && __GNUC__ >= 10) || (defined(__clang__) && __clang_major__ >= 9))
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_BF16_UKR 1

int kern_bf16_avx512_usable(void)
{
    if (!kern_f32_avx512_usable()) /* AVX512F and the OS's zmm state */
        return 0;
    unsigned a, b, c, d;
    __cpuid_count(7, 0, a, b, c, d);
    if (!(b & (1u << 30))) /* AVX512BW (the packers' permute) */
        return 0;
    __cpuid_count(7, 1, a, b, c, d);
    return (a >> 5) & 1u; /* AVX512_BF16 */
}

/* the tile with NV (1..3) vectors of 16 columns: narrow blocks (small output planes) skip
 * the all-zero vectors; every element's sums are the same whatever NV */
__attribute__((target("avx512f,avx512bf16"), always_inline)) static inline void
tile(int kp, const uint32_t *ap, const uint32_t *bp, int ldbp, float *c, int ldc, int mr, int nr,
     int load, const int NV)
{
    __m512 acc[KERN_BF16_MR][3];
    __mmask16 mk[3];
    for (int v = 0; v < 3; v++) {
        int left = nr - 16 * v;
        mk[v] = left >= 16 ? (__mmask16)0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
    }
#pragma GCC unroll 8
    for (int r = 0; r < KERN_BF16_MR; r++)
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            acc[r][v] = load && r < mr ? _mm512_maskz_loadu_ps(mk[v], c + (size_t)r * ldc + 16 * v)
                                       : _mm512_setzero_ps();
    for (int p = 0; p < kp; p++) {
        const uint32_t *b = bp + (size_t)p * ldbp;
        __m512bh bv[3];
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            bv[v] = (__m512bh)_mm512_loadu_si512(b + 16 * v);
        const uint32_t *a = ap + (size_t)p * KERN_BF16_MR;
#pragma GCC unroll 8
        for (int r = 0; r < KERN_BF16_MR; r++) {
            __m512bh av = (__m512bh)_mm512_set1_epi32((int)a[r]);
#pragma GCC unroll 3
            for (int v = 0; v < NV; v++)
                acc[r][v] = _mm512_dpbf16_ps(acc[r][v], av, bv[v]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < KERN_BF16_MR; r++)
        if (r < mr)
#pragma GCC unroll 3
            for (int v = 0; v < NV; v++)
                _mm512_mask_storeu_ps(c + (size_t)r * ldc + 16 * v, mk[v], acc[r][v]);
}

__attribute__((target("avx512f,avx512bf16"))) static void
ukr_avx512(int kp, const uint32_t *ap, const uint32_t *bp, int ldbp, float *c, int ldc, int mr,
           int nr, int load)
{
    if (nr > 32)
        tile(kp, ap, bp, ldbp, c, ldc, mr, nr, load, 3);
    else if (nr > 16)
        tile(kp, ap, bp, ldbp, c, ldc, mr, nr, load, 2);
    else
        tile(kp, ap, bp, ldbp, c, ldc, mr, nr, load, 1);
}

kern_bf16_ukr kern_bf16_ukr_avx512(void) { return ukr_avx512; }

/* The packers convert with VCVTNE2PS2BF16: round to nearest even, denormal inputs to signed
 * zero, NaN -> (bits >> 16) | 0x40 -- kern_bf16_bits exactly (checked here on 3.2e7 random
 * bit patterns and the specials; tests/test_kernels_bf16.c's rounding cases), at a fraction
 * of the integer sequence's cost: the AMX GEMM spent about half its time packing B. */
#define PACK_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))

/* 16 pairs (r0[j], r1[j]): converted as 16 words of r0 then 16 of r1, then interleaved */
PACK_TARGET static inline __m512i pair16(__m512 a, __m512 b)
{
    const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9,
                                         24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1,
                                         16, 0);
    return _mm512_permutexvar_epi16(idx, (__m512i)_mm512_cvtne2ps_pbh(b, a));
}

PACK_TARGET void kern_bf16_pack_rows_avx512(const float *r0, const float *r1, uint32_t *out,
                                            int n)
{
    int j = 0;
    for (; j + 16 <= n; j += 16)
        _mm512_storeu_si512(out + j, pair16(_mm512_loadu_ps(r0 + j), _mm512_loadu_ps(r1 + j)));
    if (j < n) { /* the last 1-15 columns, masked */
        __mmask16 m = (__mmask16)((1u << (n - j)) - 1);
        _mm512_mask_storeu_epi32(out + j, m, pair16(_mm512_maskz_loadu_ps(m, r0 + j),
                                                    _mm512_maskz_loadu_ps(m, r1 + j)));
    }
}

PACK_TARGET void kern_bf16_pack_pairs_avx512(const float *x, int np, uint32_t *out,
                                             size_t stride)
{
    int p = 0;
    uint32_t tmp[16];
    for (; p + 16 <= np; p += 16) {
        /* 32 consecutive floats -> 32 words in order = 16 pairs (even element low) */
        __m512i r = (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + 2 * p + 16),
                                                 _mm512_loadu_ps(x + 2 * p));
        if (stride == 1) {
            _mm512_storeu_si512(out + p, r);
            continue;
        }
        _mm512_storeu_si512(tmp, r);
        for (int q = 0; q < 16; q++)
            out[(size_t)(p + q) * stride] = tmp[q];
    }
    for (; p < np; p++)
        out[(size_t)p * stride] = kern_bf16_pair(x[2 * p], x[2 * p + 1]);
}

#else
int kern_bf16_avx512_usable(void) { return 0; }
void kern_bf16_pack_rows_avx512(const float *r0, const float *r1, uint32_t *out, int n)
{
    for (int j = 0; j < n; j++)
        out[j] = kern_bf16_pair(r0[j], r1[j]);
}
kern_bf16_ukr kern_bf16_ukr_avx512(void) { return NULL; }
void kern_bf16_pack_pairs_avx512(const float *x, int np, uint32_t *out, size_t stride)
{
    for (int p = 0; p < np; p++)
        out[(size_t)p * stride] = kern_bf16_pair(x[2 * p], x[2 * p + 1]);
}
#endif
