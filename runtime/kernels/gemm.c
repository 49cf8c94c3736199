/* The kernels' one GEMM entry (kern_gemm): fp32 goes to OpenBLAS sgemm unchanged; bf16
 * (kern_set_precision) rounds both inputs to bfloat16 (round to nearest even) and multiplies
 * with fp32 accumulation, on AVX512-BF16 (vdpbf16ps, gemm_bf16_avx512.c) where the CPU and
 * the OS support it, else in portable C that does the same arithmetic in the same order.
 *
 * Blocking (GotoBLAS-style, single-threaded: callers already split the work over threads):
 * columns in blocks of NC, the reduction in blocks of KC (even, so the pairs (2p, 2p+1) that
 * one vdpbf16ps lane sums are global), rows in blocks of MC; B's block is packed as pairs
 * [KC/2][NC], A's as MR-row panels [KC/2][MR], both on the stack (about 150 KB). Each output
 * element is accumulated in one fp32 register over the whole reduction, pair by pair in
 * order (odd product first, then even: VDPBF16PS's pseudo-code, and what Zen 4 measured),
 * starting from C (beta 1) or zero (beta 0). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

enum { KC = 256, NC = 240, MC = 64 };

static int g_precision = KERN_PREC_FP32;
static int g_impl = -1; /* KERN_BF16_*, detected once */

void kern_set_precision(int prec) { g_precision = prec == KERN_PREC_BF16 ? prec : KERN_PREC_FP32; }
int kern_precision(void) { return g_precision; }

int kern_bf16_impl(void)
{
    int v = __atomic_load_n(&g_impl, __ATOMIC_RELAXED);
    if (v >= 0)
        return v;
    const char *e = getenv("GANRT_BF16_KERNEL");
    if (e && !strcmp(e, "portable"))
        v = KERN_BF16_PORTABLE;
    else
        v = kern_bf16_avx512_usable() ? KERN_BF16_AVX512 : KERN_BF16_PORTABLE;
    __atomic_store_n(&g_impl, v, __ATOMIC_RELAXED);
    return v;
}

void kern_bf16_force_impl(int impl)
{
    __atomic_store_n(&g_impl, impl, __ATOMIC_RELAXED);
}

const char *kern_bf16_describe(void)
{
    if (kern_bf16_impl() == KERN_BF16_AVX512)
        return "bf16 GEMMs on AVX512-BF16 (vdpbf16ps), fp32 accumulation";
    if (getenv("GANRT_BF16_KERNEL") && !strcmp(getenv("GANRT_BF16_KERNEL"), "portable"))
        return "bf16 GEMMs in portable C (GANRT_BF16_KERNEL=portable), fp32 accumulation";
    return "this CPU (or OS) lacks AVX512-BF16: bf16 GEMMs fall back to portable C (the same "
           "rounding and sums, several times slower than fp32)";
}

/* C[mr x nr] (+)= A panel x B block, the portable micro-kernel (kern_bf16_ukr's contract). */
static void ukr_portable(int kp, const uint32_t *ap, const uint32_t *bp, int ldbp, float *c,
                         int ldc, int mr, int nr, int load)
{
    float acc[KERN_BF16_MR][KERN_BF16_NR];
    for (int r = 0; r < KERN_BF16_MR; r++)
        for (int j = 0; j < KERN_BF16_NR; j++)
            acc[r][j] = load && r < mr && j < nr ? c[(size_t)r * ldc + j] : 0.0f;
    for (int p = 0; p < kp; p++) {
        const uint32_t *b = bp + (size_t)p * ldbp;
        for (int r = 0; r < KERN_BF16_MR; r++) {
            float a0 = kern_bf16_lo(ap[p * KERN_BF16_MR + r]);
            float a1 = kern_bf16_hi(ap[p * KERN_BF16_MR + r]);
#pragma omp simd
            for (int j = 0; j < KERN_BF16_NR; j++) {
                float t = acc[r][j] + a1 * kern_bf16_hi(b[j]);
                acc[r][j] = t + a0 * kern_bf16_lo(b[j]);
            }
        }
    }
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < nr; j++)
            c[(size_t)r * ldc + j] = acc[r][j];
}

kern_bf16_ukr kern_bf16_ukr_for(int impl)
{
    if (impl == KERN_BF16_AVX512) {
        kern_bf16_ukr u = kern_bf16_ukr_avx512();
        if (u)
            return u;
    }
    return ukr_portable;
}

static void pack_rows(const float *r0, const float *r1, uint32_t *out, int n)
{
#pragma omp simd
    for (int j = 0; j < n; j++)
        out[j] = kern_bf16_pair(r0[j], r1[j]);
}

/* pairs of x[0..2np) (kp = ceil(n / 2) pairs of n floats; an odd n pads the last with 0) to
 * out[p * stride] */
static void pack_pairs(const float *x, int n, uint32_t *out, size_t stride, int fast)
{
    int full = n / 2;
    if (fast)
        kern_bf16_pack_pairs_avx512(x, full, out, stride);
    else
        for (int p = 0; p < full; p++)
            out[(size_t)p * stride] = kern_bf16_pair(x[2 * p], x[2 * p + 1]);
    if (n & 1)
        out[(size_t)full * stride] = kern_bf16_pair(x[n - 1], 0.0f);
}

/* A rows [i0, i0+mc), reduction [k0, k0+kc) -> panels of MR rows: ap[panel][p][r] */
static void pack_a(const float *a, int lda, int ta, int i0, int mc, int k0, int kc, uint32_t *ap,
                   int fast, const float *zeros)
{
    int kp = (kc + 1) / 2;
    for (int pi = 0; pi < mc; pi += KERN_BF16_MR) {
        uint32_t *pan = ap + (size_t)(pi / KERN_BF16_MR) * kp * KERN_BF16_MR;
        for (int r = 0; r < KERN_BF16_MR; r++) {
            int i = pi + r;
            if (i < mc && !ta) {
                pack_pairs(a + (size_t)(i0 + i) * lda + k0, kc, pan + r, KERN_BF16_MR, fast);
                continue;
            }
            if (i >= mc)
                for (int p = 0; p < kp; p++)
                    pan[p * KERN_BF16_MR + r] = 0;
        }
        if (!ta)
            continue;
        /* transposed: a panel's rows are consecutive in each reduction row of a */
        int w = mc - pi < KERN_BF16_MR ? mc - pi : KERN_BF16_MR;
        for (int p = 0; p < kp; p++) {
            const float *r0 = a + (size_t)(k0 + 2 * p) * lda + i0 + pi;
            const float *r1 = 2 * p + 1 < kc ? r0 + lda : zeros;
            if (fast)
                kern_bf16_pack_rows_avx512(r0, r1, pan + p * KERN_BF16_MR, w);
            else
                pack_rows(r0, r1, pan + p * KERN_BF16_MR, w);
        }
    }
}


/* B reduction rows [k0, k0+kc), columns [j0, j0+nc) -> bp[p][j], ncp columns (zero-padded);
 * fast: the AVX-512 row packer (same bits) */
static void pack_b(const float *b, int ldb, int tb, int k0, int kc, int j0, int nc, int ncp,
                   uint32_t *bp, int fast, const float *zeros)
{
    int kp = (kc + 1) / 2;
    if (tb) {
        for (int j = 0; j < nc; j++)
            pack_pairs(b + (size_t)(j0 + j) * ldb + k0, kc, bp + j, (size_t)ncp, fast);
        for (int p = 0; p < kp; p++)
            for (int j = nc; j < ncp; j++)
                bp[(size_t)p * ncp + j] = 0;
        return;
    }
    for (int p = 0; p < kp; p++) {
        int k = k0 + 2 * p, two = 2 * p + 1 < kc;
        uint32_t *row = bp + (size_t)p * ncp;
        const float *r0 = b + (size_t)k * ldb + j0, *r1 = two ? r0 + ldb : zeros;
        if (fast)
            kern_bf16_pack_rows_avx512(r0, r1, row, nc);
        else
            pack_rows(r0, r1, row, nc);
        for (int j = nc; j < ncp; j++)
            row[j] = 0;
    }
}

void kern_gemm_bf16_with(kern_bf16_ukr ukr, int ta, int tb, int m, int n, int k, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0) {
        if (beta == 0.0f)
            for (int i = 0; i < m; i++)
                memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof *c);
        return;
    }
    uint32_t bpk[(KC / 2) * NC];
    uint32_t apk[(KC / 2) * MC];
    static const float zeros[NC];
    int fast = ukr == kern_bf16_ukr_avx512();
    for (int j0 = 0; j0 < n; j0 += NC) {
        int nc = n - j0 < NC ? n - j0 : NC;
        int ncp = (nc + KERN_BF16_NR - 1) / KERN_BF16_NR * KERN_BF16_NR;
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = k - k0 < KC ? k - k0 : KC, kp = (kc + 1) / 2;
            int load = k0 > 0 || beta != 0.0f;
            pack_b(b, ldb, tb, k0, kc, j0, nc, ncp, bpk, fast, zeros);
            for (int i0 = 0; i0 < m; i0 += MC) {
                int mc = m - i0 < MC ? m - i0 : MC;
                pack_a(a, lda, ta, i0, mc, k0, kc, apk, fast, zeros);
                for (int jr = 0; jr < nc; jr += KERN_BF16_NR) {
                    int nr = nc - jr < KERN_BF16_NR ? nc - jr : KERN_BF16_NR;
                    for (int ir = 0; ir < mc; ir += KERN_BF16_MR) {
                        int mr = mc - ir < KERN_BF16_MR ? mc - ir : KERN_BF16_MR;
                        ukr(kp, apk + (size_t)(ir / KERN_BF16_MR) * kp * KERN_BF16_MR, bpk + jr,
                            ncp, c + (size_t)(i0 + ir) * ldc + j0 + jr, ldc, mr, nr, load);
                    }
                }
            }
        }
    }
}

void kern_gemm(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b,
               int ldb, float beta, float *c, int ldc)
{
    if (g_precision == KERN_PREC_BF16) {
        kern_gemm_bf16_with(kern_bf16_ukr_for(kern_bf16_impl()), ta, tb, m, n, k, a, lda, b, ldb,
                            beta, c, ldc);
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}
