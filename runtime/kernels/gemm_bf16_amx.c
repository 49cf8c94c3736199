/* The AMX-BF16 bf16 GEMM (kern_gemm's bf16 path where the CPU has AMX tiles): C tiles of
 * 16 x 16 fp32 accumulated by TDPBF16PS, 2 x 2 of them (32 x 32 of C) per block, A tiles of
 * 16 rows x 16 bf16 pairs, B tiles of 16 pairs x 16 columns in the VNNI pair layout (one
 * dword = bf16 of rows 2p and 2p+1 of one column, even row in the low half: the same pairs
 * as gemm.c's packers, kern_bf16_pair).
 *
 * What the unit computes (Intel SDM, TDPBF16PS "Operation"; matched bit for bit on this
 * Sapphire Rapids on random data with denormals, tests/test_kernels_bf16_amx.c): per
 * instruction, i.e. per chunk of 16 pairs of the reduction, per output element, two fp32
 * chains start at +0 -- even = fma(a[2k], b[2k], even), odd = fma(a[2k+1], b[2k+1], odd),
 * k over the chunk in order -- then C = C + (even + odd); every step rounds to nearest even
 * with denormal inputs read as zero and denormal results flushed to zero (DAZ = FTZ = 1,
 * MXCSR ignored). That is not VDPBF16PS's order (one chain, odd then even), so the AMX and
 * AVX512-BF16 kernels give different (equally accurate) sums; each is exact to its own
 * emulation. The chunking is global (chunk q covers pairs 16q..16q+15 of the whole
 * reduction): the reduction blocks (AKC) are multiples of 32 elements, C is stored and
 * reloaded between them in fp32 (exact), and the zero pairs that pad the last chunk (and an
 * odd reduction's last pair) change nothing, since a chain that starts at +0 is never -0.
 *
 * Only this file's functions are compiled for AMX and AVX-512 (function-level target
 * attribute), so the rest of the build stays baseline x86-64; the kernel runs only where
 * kern_bf16_amx_usable() says so. */
#include "runtime/kernels/kern_internal.h"

#if defined(__x86_64__) && ((defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11) || \
                            (defined(__clang__) && __clang_major__ >= 12))
#include <cpuid.h>
#include <immintrin.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16")))

/* Linux asm/prctl.h and the xstate feature number of the tile data (arch/x86 ABI) */
enum { ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 };

/* AKC: reduction block in elements (a multiple of 32: one TDPBF16PS chunk is 16 pairs, and
 * chunks must start at multiples of 16 pairs of the whole reduction, see above); AMC rows x
 * AKC packed A (64 KB) and AKC x ANC packed B (32 KB) live on the stack, as gemm.c's blocks
 * do: nothing is allocated per call. */
enum { AKC = 256, AKP = AKC / 2, AMC = 128, ANC = 64 };

/* The permission request changes the process's state (the kernel enlarges every thread's
 * signal frame and XSAVE area for the 8 KB of tile data); it is asked once, by whichever
 * thread first wants AMX, and its answer kept: pthread_once makes that safe from OpenMP
 * threads and tests alike, and this flag is the library's only state for it. */
static pthread_once_t g_amx_once = PTHREAD_ONCE_INIT;
static int g_amx_ok;

static void amx_detect(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, 0) < 7 || !__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)))
        return; /* no leaf 7, or no OSXSAVE (xgetbv would fault) */
    __cpuid_count(7, 0, a, b, c, d);
    if (!(d & (1u << 22)) || !(d & (1u << 24))) /* AMX-BF16, AMX-TILE */
        return;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    if ((lo & (3u << 17)) != (3u << 17)) /* XCR0: XTILECFG (17) and XTILEDATA (18) enabled */
        return;
    /* the packers are AVX-512: every AMX CPU has it, but the OS must have enabled it too */
    if (!kern_bf16_avx512_usable())
        return;
    g_amx_ok = syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

int kern_bf16_amx_usable(void)
{
    pthread_once(&g_amx_once, amx_detect);
    return g_amx_ok;
}

int kern_bf16_amx_built(void) { return 1; }

/* LDTILECFG's 64-byte operand: palette 1; tiles 0-3 C (16 rows x 64 bytes), 4-5 A (16 rows
 * x 16 pairs), 6-7 B (16 pair rows x 16 columns). Static const: nothing to build per call. */
static const struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} __attribute__((aligned(64))) g_cfg = {
    1, 0, {0}, {64, 64, 64, 64, 64, 64, 64, 64}, {16, 16, 16, 16, 16, 16, 16, 16}};

/* The intrinsics are inline asm that does not tell the compiler it reads memory (only the
 * stores say so): this barrier keeps the packing stores before the tile loads. */
#define MEM_BARRIER() __asm__ volatile("" ::: "memory")

/* C tile t <- rows [r, r+16) x columns [q, q+16) of the block (c, ldc), of which rr x cc
 * lie inside C; an edge tile goes through buf (zero-padded) */
#define C_LOAD(t, r, q)                                                                        \
    do {                                                                                       \
        int rr_ = mc - (r) < 16 ? mc - (r) : 16, cc_ = nc - (q) < 16 ? nc - (q) : 16;          \
        float *cp_ = c + (size_t)(r) * ldc + (q);                                              \
        if (!load) {                                                                           \
            _tile_zero(t);                                                                     \
        } else if (rr_ == 16 && cc_ == 16) {                                                   \
            _tile_loadd(t, cp_, (long)ldc * 4);                                                \
        } else {                                                                               \
            memset(buf[t], 0, sizeof buf[t]);                                                  \
            for (int y_ = 0; y_ < rr_; y_++)                                                   \
                memcpy(buf[t] + 16 * y_, cp_ + (size_t)y_ * ldc, (size_t)cc_ * sizeof(float)); \
            MEM_BARRIER();                                                                     \
            _tile_loadd(t, buf[t], 64);                                                        \
        }                                                                                      \
    } while (0)
#define C_STORE(t, r, q)                                                                       \
    do {                                                                                       \
        int rr_ = mc - (r) < 16 ? mc - (r) : 16, cc_ = nc - (q) < 16 ? nc - (q) : 16;          \
        float *cp_ = c + (size_t)(r) * ldc + (q);                                              \
        if (rr_ == 16 && cc_ == 16) {                                                          \
            _tile_stored(t, cp_, (long)ldc * 4);                                               \
        } else {                                                                               \
            _tile_stored(t, buf[t], 64);                                                       \
            for (int y_ = 0; y_ < rr_; y_++)                                                   \
                memcpy(cp_ + (size_t)y_ * ldc, buf[t] + 16 * y_, (size_t)cc_ * sizeof(float)); \
        }                                                                                      \
    } while (0)

/* C [mc, nc] (ldc) (+)= packed A [mcp rows][AKP] x packed B [kpp][ldbp], kpp a multiple
 * of 16 pairs */
AMX_TARGET static void amx_block(const uint32_t *ap, const uint32_t *bp, int ldbp, int kpp,
                                 float *cblk, int ldc, int mcb, int ncb, int load)
{
    float buf[4][256];
    const long sa = AKP * 4, sb = (long)ldbp * 4;
    for (int it = 0; it < mcb; it += 32)
        for (int jt = 0; jt < ncb; jt += 32) {
            float *c = cblk + (size_t)it * ldc + jt;
            int mc = mcb - it, nc = ncb - jt, two_i = mc > 16, two_j = nc > 16;
            const uint32_t *a0 = ap + (size_t)it * AKP, *b0 = bp + jt;
            C_LOAD(0, 0, 0);
            if (two_j)
                C_LOAD(1, 0, 16);
            if (two_i)
                C_LOAD(2, 16, 0);
            if (two_i && two_j)
                C_LOAD(3, 16, 16);
            if (two_i && two_j) {
                for (int q = 0; q < kpp; q += 16) {
                    _tile_loadd(4, a0 + q, sa);
                    _tile_loadd(6, b0 + (size_t)q * ldbp, sb);
                    _tile_loadd(5, a0 + 16 * AKP + q, sa);
                    _tile_loadd(7, b0 + (size_t)q * ldbp + 16, sb);
                    _tile_dpbf16ps(0, 4, 6);
                    _tile_dpbf16ps(1, 4, 7);
                    _tile_dpbf16ps(2, 5, 6);
                    _tile_dpbf16ps(3, 5, 7);
                }
            } else {
                for (int q = 0; q < kpp; q += 16) {
                    _tile_loadd(4, a0 + q, sa);
                    _tile_loadd(6, b0 + (size_t)q * ldbp, sb);
                    _tile_dpbf16ps(0, 4, 6);
                    if (two_j) {
                        _tile_loadd(7, b0 + (size_t)q * ldbp + 16, sb);
                        _tile_dpbf16ps(1, 4, 7);
                    }
                    if (two_i) {
                        _tile_loadd(5, a0 + 16 * AKP + q, sa);
                        _tile_dpbf16ps(2, 5, 6);
                    }
                }
            }
            C_STORE(0, 0, 0);
            if (two_j)
                C_STORE(1, 0, 16);
            if (two_i)
                C_STORE(2, 16, 0);
            if (two_i && two_j)
                C_STORE(3, 16, 16);
        }
}

/* op(A) rows [i0, i0+mc), reduction [k0, k0+kc) -> ap [mcp][AKP] pairs, rows beyond mc and
 * pairs beyond kc zero up to mcp (a multiple of 16) and kpp (a multiple of 16) */
static void pack_a_amx(const float *a, int lda, int ta, int i0, int mc, int mcp, int k0, int kc,
                       int kpp, uint32_t *ap, const float *zeros)
{
    int kp = (kc + 1) / 2;
    if (!ta) {
        for (int i = 0; i < mc; i++)
            kern_bf16_pack_pairs(a + (size_t)(i0 + i) * lda + k0, kc, ap + (size_t)i * AKP, 1, 1);
    } else {
        /* transposed: row r of a holds element k0+r of every row of op(A); pack two such rows
         * into a line of pairs, then scatter the line down the rows of ap */
        uint32_t line[AMC];
        for (int p = 0; p < kp; p++) {
            const float *r0 = a + (size_t)(k0 + 2 * p) * lda + i0;
            const float *r1 = 2 * p + 1 < kc ? r0 + lda : zeros;
            kern_bf16_pack_rows_avx512(r0, r1, line, mc);
            for (int i = 0; i < mc; i++)
                ap[(size_t)i * AKP + p] = line[i];
        }
    }
    for (int i = 0; i < mc; i++)
        memset(ap + (size_t)i * AKP + kp, 0, (size_t)(kpp - kp) * sizeof *ap);
    for (int i = mc; i < mcp; i++)
        memset(ap + (size_t)i * AKP, 0, (size_t)kpp * sizeof *ap);
}

/* Prepacked op(A): the blocks in the order the GEMM reads them (row block outer, reduction
 * block inner), each [mcp][AKP] pairs, mcp = the block's rows rounded up to 16 */
size_t kern_bf16_amx_a_words(int m, int k)
{
    if (m <= 0 || k <= 0)
        return 0;
    int nkb = (k + AKC - 1) / AKC, last = m - (m - 1) / AMC * AMC;
    return ((size_t)((m - 1) / AMC) * AMC + (size_t)(last + 15) / 16 * 16) * nkb * AKP;
}

void kern_bf16_amx_pack_a(int ta, int m, int k, const float *a, int lda, uint32_t *out)
{
    static const float zeros[AMC];
    for (int i0 = 0; i0 < m; i0 += AMC) {
        int mc = m - i0 < AMC ? m - i0 : AMC, mcp = (mc + 15) / 16 * 16;
        for (int k0 = 0; k0 < k; k0 += AKC) {
            int kc = k - k0 < AKC ? k - k0 : AKC, kpp = ((kc + 1) / 2 + 15) / 16 * 16;
            pack_a_amx(a, lda, ta, i0, mc, mcp, k0, kc, kpp, out, zeros);
            out += (size_t)mcp * AKP;
        }
    }
}

AMX_TARGET void kern_gemm_bf16_amx_pre(int ta, int tb, int m, int n, int k, const float *a,
                                       int lda, const uint32_t *apre, const float *b, int ldb,
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
    uint32_t apk[AMC * AKP] __attribute__((aligned(64)));
    uint32_t bpk[AKP * ANC] __attribute__((aligned(64)));
    static const float zeros[AMC > ANC ? AMC : ANC];
    MEM_BARRIER();
    _tile_loadconfig(&g_cfg);
    for (int i0 = 0; i0 < m; i0 += AMC) {
        int mc = m - i0 < AMC ? m - i0 : AMC, mcp = (mc + 15) / 16 * 16;
        for (int k0 = 0; k0 < k; k0 += AKC) {
            int kc = k - k0 < AKC ? k - k0 : AKC, kp = (kc + 1) / 2, kpp = (kp + 15) / 16 * 16;
            int load = k0 > 0 || beta != 0.0f;
            const uint32_t *ap = apk;
            if (apre) {
                ap = apre;
                apre += (size_t)mcp * AKP;
            } else {
                pack_a_amx(a, lda, ta, i0, mc, mcp, k0, kc, kpp, apk, zeros);
            }
            for (int j0 = 0; j0 < n; j0 += ANC) {
                int nc = n - j0 < ANC ? n - j0 : ANC, ncp = (nc + 15) / 16 * 16;
                kern_bf16_pack_b(b, ldb, tb, k0, kc, j0, nc, ncp, bpk, 1, zeros);
                if (kpp > kp)
                    memset(bpk + (size_t)kp * ncp, 0, (size_t)(kpp - kp) * ncp * sizeof *bpk);
                MEM_BARRIER();
                amx_block(ap, bpk, ncp, kpp, c + (size_t)i0 * ldc + j0, ldc, mc, nc, load);
            }
        }
    }
    /* back to the init state: the thread's XSAVE area carries no tile data through context
     * switches between GEMMs */
    _tile_release();
}

void kern_gemm_bf16_amx(int ta, int tb, int m, int n, int k, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc)
{
    kern_gemm_bf16_amx_pre(ta, tb, m, n, k, a, lda, NULL, b, ldb, beta, c, ldc);
}

#else
int kern_bf16_amx_usable(void) { return 0; }
int kern_bf16_amx_built(void) { return 0; }
size_t kern_bf16_amx_a_words(int m, int k) { return m > 0 && k > 0 ? 1 : 0; }
void kern_bf16_amx_pack_a(int ta, int m, int k, const float *a, int lda, uint32_t *out)
{
    (void)ta, (void)m, (void)k, (void)a, (void)lda, (void)out;
}
void kern_gemm_bf16_amx_pre(int ta, int tb, int m, int n, int k, const float *a, int lda,
                            const uint32_t *apre, const float *b, int ldb, float beta, float *c,
                            int ldc)
{
    (void)apre;
    kern_gemm_bf16_amx(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}
void kern_gemm_bf16_amx(int ta, int tb, int m, int n, int k, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc)
{
    kern_gemm_bf16_with(kern_bf16_ukr_for(KERN_BF16_PORTABLE), ta, tb, m, n, k, a, lda, b, ldb,
                        beta, c, ldc);
}
#endif
