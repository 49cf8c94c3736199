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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

enum { KC = 256, NC = 240, MC = 64 };
#ifndef OWN_MAX_M
#define OWN_MAX_M 128
#endif
#ifndef OWN_MIN_N
#define OWN_MIN_N 32
#endif

static int g_precision = KERN_PREC_FP32;
static int g_impl = -1; /* KERN_BF16_*, detected once */

void kern_set_precision(int prec) { g_precision = prec == KERN_PREC_BF16 ? prec : KERN_PREC_FP32; }
int kern_precision(void) { return g_precision; }

/* GANRT_BF16_KERNEL: unset or "" = the best this machine has (AMX > AVX512-BF16 >
 * portable); "amx", "avx512", "portable" ask for one. A unit the CPU (or OS) lacks, or an
 * unknown name, is kern_bf16_check_env's error (the CLI refuses to start); kern_bf16_impl
 * then runs the best available one, so a library caller never gets a kernel that faults. */
static int env_choice(void)
{
    const char *e = getenv("GANRT_BF16_KERNEL");
    if (!e || !*e)
        return -1;
    if (!strcmp(e, "amx"))
        return KERN_BF16_AMX;
    if (!strcmp(e, "avx512"))
        return KERN_BF16_AVX512;
    if (!strcmp(e, "portable"))
        return KERN_BF16_PORTABLE;
    return -2;
}

static int impl_usable(int impl)
{
    return impl == KERN_BF16_PORTABLE ||
           (impl == KERN_BF16_AVX512 && kern_bf16_avx512_usable() && kern_bf16_ukr_avx512()) ||
           (impl == KERN_BF16_AMX && kern_bf16_amx_built() && kern_bf16_amx_usable());
}

static int best_impl(void)
{
    return impl_usable(KERN_BF16_AMX) ? KERN_BF16_AMX
           : impl_usable(KERN_BF16_AVX512) ? KERN_BF16_AVX512 : KERN_BF16_PORTABLE;
}

int kern_bf16_check_env(char *err, size_t errlen)
{
    int want = env_choice();
    if (want == -2) {
        snprintf(err, errlen, "GANRT_BF16_KERNEL='%s': expected amx, avx512 or portable",
                 getenv("GANRT_BF16_KERNEL"));
        return -1;
    }
    if (want >= 0 && !impl_usable(want)) {
        snprintf(err, errlen, "GANRT_BF16_KERNEL=%s: %s", getenv("GANRT_BF16_KERNEL"),
                 want == KERN_BF16_AMX
                     ? "this CPU or OS has no usable AMX-BF16 (cpuid AMX-TILE and AMX-BF16, "
                       "XCR0 tile state, arch_prctl(ARCH_REQ_XCOMP_PERM) granted)"
                     : "this CPU or OS lacks AVX512-BF16");
        return -1;
    }
    return 0;
}

int kern_bf16_impl(void)
{
    int v = __atomic_load_n(&g_impl, __ATOMIC_RELAXED);
    if (v >= 0)
        return v;
    int want = env_choice();
    v = want >= 0 && impl_usable(want) ? want : best_impl();
    __atomic_store_n(&g_impl, v, __ATOMIC_RELAXED);
    return v;
}

void kern_bf16_force_impl(int impl)
{
    __atomic_store_n(&g_impl, impl, __ATOMIC_RELAXED);
}

const char *kern_bf16_describe(void)
{
    int v = kern_bf16_impl(), forced = env_choice() == v;
    if (v == KERN_BF16_AMX)
        return forced ? "bf16 GEMMs on AMX tiles (tdpbf16ps, GANRT_BF16_KERNEL=amx), fp32 "
                        "accumulation"
                      : "bf16 GEMMs on AMX tiles (tdpbf16ps), fp32 accumulation";
    if (v == KERN_BF16_AVX512)
        return forced ? "bf16 GEMMs on AVX512-BF16 (vdpbf16ps, GANRT_BF16_KERNEL=avx512), fp32 "
                        "accumulation"
                      : "bf16 GEMMs on AVX512-BF16 (vdpbf16ps), fp32 accumulation (no AMX)";
    if (forced)
        return "bf16 GEMMs in portable C (GANRT_BF16_KERNEL=portable), fp32 accumulation";
    return "this CPU (or OS) lacks AMX-BF16 and AVX512-BF16: bf16 GEMMs fall back to portable "
           "C (the same rounding and sums, several times slower than fp32)";
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
void kern_bf16_pack_pairs(const float *x, int n, uint32_t *out, size_t stride, int fast)
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
                kern_bf16_pack_pairs(a + (size_t)(i0 + i) * lda + k0, kc, pan + r, KERN_BF16_MR, fast);
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
void kern_bf16_pack_b(const float *b, int ldb, int tb, int k0, int kc, int j0, int nc, int ncp,
                      uint32_t *bp, int fast, const float *zeros)
{
    int kp = (kc + 1) / 2;
    if (tb) {
        for (int j = 0; j < nc; j++)
            kern_bf16_pack_pairs(b + (size_t)(j0 + j) * ldb + k0, kc, bp + j, (size_t)ncp, fast);
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

/* A prepacked for the AVX-512 / portable kernels: a fixed slot of (KC/2) x MC pairs per
 * (reduction block, row block), in pack_a's panel layout */
enum { A_SLOT = (KC / 2) * MC };
static int row_blocks(int m) { return (m + MC - 1) / MC; }

/* apre: op(A) prepacked by kern_gemm_a_init for this kernel, or NULL (packed here, per
 * block, on the stack) */
static void gemm_bf16_core(kern_bf16_ukr ukr, int ta, int tb, int m, int n, int k,
                           const float *a, int lda, const uint32_t *apre, const float *b, int ldb,
                           float beta, float *c, int ldc)
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
    uint32_t apk[A_SLOT];
    static const float zeros[NC];
    int fast = ukr == kern_bf16_ukr_avx512(), nib = row_blocks(m);
    for (int j0 = 0; j0 < n; j0 += NC) {
        int nc = n - j0 < NC ? n - j0 : NC;
        int ncp = (nc + KERN_BF16_NR - 1) / KERN_BF16_NR * KERN_BF16_NR;
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = k - k0 < KC ? k - k0 : KC, kp = (kc + 1) / 2;
            int load = k0 > 0 || beta != 0.0f;
            kern_bf16_pack_b(b, ldb, tb, k0, kc, j0, nc, ncp, bpk, fast, zeros);
            for (int i0 = 0; i0 < m; i0 += MC) {
                int mc = m - i0 < MC ? m - i0 : MC;
                const uint32_t *ap = apk;
                if (apre)
                    ap = apre + ((size_t)(k0 / KC) * nib + i0 / MC) * A_SLOT;
                else
                    pack_a(a, lda, ta, i0, mc, k0, kc, apk, fast, zeros);
                for (int jr = 0; jr < nc; jr += KERN_BF16_NR) {
                    int nr = nc - jr < KERN_BF16_NR ? nc - jr : KERN_BF16_NR;
                    for (int ir = 0; ir < mc; ir += KERN_BF16_MR) {
                        int mr = mc - ir < KERN_BF16_MR ? mc - ir : KERN_BF16_MR;
                        ukr(kp, ap + (size_t)(ir / KERN_BF16_MR) * kp * KERN_BF16_MR, bpk + jr,
                            ncp, c + (size_t)(i0 + ir) * ldc + j0 + jr, ldc, mr, nr, load);
                    }
                }
            }
        }
    }
}

void kern_gemm_bf16_with(kern_bf16_ukr ukr, int ta, int tb, int m, int n, int k, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    gemm_bf16_core(ukr, ta, tb, m, n, k, a, lda, NULL, b, ldb, beta, c, ldc);
}

/* ---- op(A) packed once for many GEMMs (a conv's weights over its images and tiles) ---- */

size_t kern_gemm_a_bytes(int m, int k)
{
    if (g_precision != KERN_PREC_BF16 || m <= 0 || k <= 0)
        return 0;
    if (kern_bf16_impl() == KERN_BF16_AMX)
        return kern_bf16_amx_a_words(m, k) * sizeof(uint32_t);
    return (size_t)((k + KC - 1) / KC) * row_blocks(m) * A_SLOT * sizeof(uint32_t);
}

void kern_gemm_a_init(kern_gemm_a *pa, int ta, int m, int k, const float *a, int lda, void *buf)
{
    *pa = (kern_gemm_a){a, ta, m, k, lda, -1, NULL};
    if (!buf || !kern_gemm_a_bytes(m, k))
        return;
    int impl = kern_bf16_impl();
    uint32_t *p = buf;
    if (impl == KERN_BF16_AMX) {
        kern_bf16_amx_pack_a(ta, m, k, a, lda, p);
    } else {
        static const float zeros[NC > MC ? NC : MC];
        int fast = kern_bf16_ukr_for(impl) == kern_bf16_ukr_avx512(), nib = row_blocks(m);
        for (int k0 = 0; k0 < k; k0 += KC)
            for (int i0 = 0; i0 < m; i0 += MC)
                pack_a(a, lda, ta, i0, m - i0 < MC ? m - i0 : MC, k0, k - k0 < KC ? k - k0 : KC,
                       p + ((size_t)(k0 / KC) * nib + i0 / MC) * A_SLOT, fast, zeros);
    }
    pa->impl = impl;
    pa->p = p;
}

void kern_gemm_pa(const kern_gemm_a *pa, int tb, int n, const float *b, int ldb, float beta,
                  float *c, int ldc)
{
    /* not packed (fp32, no buffer) or packed for another kernel: the plain entry, which in
     * fp32 is cblas_sgemm with exactly the arguments it always had */
    if (!pa->p || g_precision != KERN_PREC_BF16 || pa->impl != kern_bf16_impl()) {
        kern_gemm(pa->ta, tb, pa->m, n, pa->k, pa->a, pa->lda, b, ldb, beta, c, ldc);
        return;
    }
    if (pa->impl == KERN_BF16_AMX)
        kern_gemm_bf16_amx_pre(pa->ta, tb, pa->m, n, pa->k, pa->a, pa->lda, pa->p, b, ldb, beta,
                               c, ldc);
    else
        gemm_bf16_core(kern_bf16_ukr_for(pa->impl), pa->ta, tb, pa->m, n, pa->k, pa->a, pa->lda,
                       pa->p, b, ldb, beta, c, ldc);
}

/* fp32: our AVX-512 kernel (gemm_f32_avx512.c) for the skinny not-transposed GEMMs where it
 * measured faster than OpenBLAS sgemm (docs/kernels.md), unless GANRT_SGEMM=openblas. */
static int g_own_f32 = -1;
static int own_nn(int m, int n, int k)
{
    if (g_own_f32 < 0) {
        const char *e = getenv("GANRT_SGEMM");
        g_own_f32 = (!e || strcmp(e, "openblas")) && kern_f32_avx512_usable();
    }
    return g_own_f32 && m <= OWN_MAX_M && n >= OWN_MIN_N && k >= 1;
}

void kern_gemm(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b,
               int ldb, float beta, float *c, int ldc)
{
    if (g_precision == KERN_PREC_BF16) {
        int impl = kern_bf16_impl();
        if (impl == KERN_BF16_AMX) {
            kern_gemm_bf16_amx(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        kern_gemm_bf16_with(kern_bf16_ukr_for(impl), ta, tb, m, n, k, a, lda, b, ldb,
                            beta, c, ldc);
        return;
    }
    if (!ta && !tb && own_nn(m, n, k)) {
        kern_sgemm_nn_avx512(m, n, k, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}
