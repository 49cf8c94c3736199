/* The AMX-BF16 GEMM (runtime/kernels/gemm_bf16_amx.c) against a scalar emulation of
 * TDPBF16PS written here from the Intel SDM's pseudo-code: inputs rounded to bf16 (nearest
 * even, fp32 denormals to zero), then per output element, per chunk of 16 pairs of the
 * reduction (chunk q = pairs 16q..16q+15, the last one short), two chains from +0:
 * even = fma(a[2p], b[2p], even), odd = fma(a[2p+1], b[2p+1], odd); then
 * C = C + (even + odd); every operation with denormal inputs read as zero and denormal
 * results flushed to zero; C starts from C (beta 1) or +0 (beta 0). Bit for bit, on random
 * data that includes +-0, values whose products and sums fall into (and are flushed from) the
 * denormal range, denormal C entries, odd reductions, every tile / block edge, and the real
 * models' GEMM shapes. Skipped, with a message, where the CPU or OS lacks AMX-BF16.
 * Also: the VDPBF16PS order gives other bits (the test can tell the two apart), the kernel
 * choice and GANRT_BF16_KERNEL's errors, and a tiny classifier trained with --precision bf16
 * on AMX whose loss falls as fp32's does, and the ganrt train start line naming the kernel. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/data.h"
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"
#include "runtime/train.h"
#include "tests/util/train_util.h"

static uint32_t fbits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}
static float bitsf(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* denormal -> signed zero */
static float daz(float x)
{
    return (fbits(x) & 0x7f800000u) == 0 ? bitsf(fbits(x) & 0x80000000u) : x;
}

/* bf16 rounding written apart from the kernel's: truncate, then look at the rest */
static float ref_bf16(float x)
{
    uint32_t u = fbits(x);
    if ((u & 0x7f800000u) == 0)
        return bitsf(u & 0x80000000u);
    if (isnan(x))
        return x;
    uint32_t t = u & 0xffff0000u, rest = u & 0xffffu;
    if (rest > 0x8000u || (rest == 0x8000u && (t & 0x10000u)))
        t += 0x10000u;
    return bitsf(t);
}

/* the SDM's "FP32 FMA with DAZ=FTZ=1, RNE" and its add (fmaf rounds once, as the unit) */
static float fma_dz(float a, float b, float c) { return daz(fmaf(daz(a), daz(b), daz(c))); }
static float add_dz(float a, float b) { return daz(daz(a) + daz(b)); }

/* order 0: TDPBF16PS as above; order 1: VDPBF16PS's one chain (odd, then even, per pair) */
static void ref_gemm(int order, int ta, int tb, int m, int n, int k, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc)
{
    int kp = (k + 1) / 2;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float acc = beta != 0.0f ? c[(size_t)i * ldc + j] : 0.0f;
            for (int q = 0; q < kp; q += 16) {
                float ch[2] = {0.0f, 0.0f};
                for (int p = q; p < q + 16 && p < kp; p++)
                    for (int h = order ? 1 : 0; order ? h >= 0 : h < 2; h += order ? -1 : 1) {
                        int kk = 2 * p + h;
                        float av = kk < k ? ref_bf16(ta ? a[(size_t)kk * lda + i]
                                                        : a[(size_t)i * lda + kk])
                                          : 0.0f;
                        float bv = kk < k ? ref_bf16(tb ? b[(size_t)j * ldb + kk]
                                                        : b[(size_t)kk * ldb + j])
                                          : 0.0f;
                        if (order)
                            acc = fma_dz(av, bv, acc);
                        else
                            ch[h] = fma_dz(av, bv, ch[h]);
                    }
                if (!order)
                    acc = add_dz(acc, add_dz(ch[0], ch[1]));
            }
            c[(size_t)i * ldc + j] = acc;
        }
}

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static double rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) * (1.0 / 9007199254740992.0);
}

/* wide: sign * 2^e * [1, 2) with e in [-75, 5] (products reach 2^-150: denormal and
 * flushed), 4 % zeros of either sign, 2 % fp32 denormals; else e in [-10, 0] */
static float rnd_val(int wide)
{
    double u = rnd();
    if (wide && u < 0.04)
        return u < 0.02 ? 0.0f : -0.0f;
    if (wide && u < 0.06)
        return (float)((rnd() - 0.5) * 2e-39);
    int e = wide ? -(int)(rnd() * 81.0) + 5 : -(int)(rnd() * 11.0);
    float v = ldexpf((float)(1.0 + rnd()), e);
    return rnd() < 0.5 ? -v : v;
}

static float *fill(size_t n, int wide)
{
    float *p = malloc(n * sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++)
        p[i] = rnd_val(wide);
    return p;
}

/* m, n, k, ta, tb, beta: every edge of the tiles (16 x 16 C, 16 pairs), the 2 x 2 blocks
 * (32), the blocks AMC 128 / ANC 64 / AKC 256, odd k, both transpositions, then the
 * models' own shapes (making_faces conv tiles and dense layers, dcgan64's k4 convs) */
static const int shapes[][6] = {
    {1, 1, 1, 0, 0, 0},       {16, 16, 32, 0, 0, 0},     {15, 17, 31, 0, 0, 1},
    {17, 15, 33, 1, 0, 0},    {31, 33, 63, 0, 1, 1},     {32, 32, 64, 1, 1, 0},
    {33, 65, 257, 0, 0, 1},   {129, 63, 255, 1, 0, 1},   {127, 129, 513, 0, 1, 0},
    {3, 200, 5, 1, 1, 1},     {130, 7, 600, 0, 0, 0},    {50, 192, 558, 0, 0, 0},
    {62, 256, 702, 0, 0, 1},  {97, 64, 1098, 0, 1, 1},   {558, 192, 50, 1, 0, 0},
    {122, 1098, 4, 0, 1, 1},  {100, 1952, 108, 0, 1, 0}, {64, 200, 2048, 0, 0, 0},
    {128, 300, 1024, 1, 0, 1},
};

static int amx_here(void)
{
    if (kern_bf16_amx_built() && kern_bf16_amx_usable())
        return 1;
    fprintf(stderr, "test_kernels_bf16_amx: skipped: this CPU or OS has no usable AMX-BF16 "
                    "(cpuid AMX-TILE/AMX-BF16, XCR0 tile state, arch_prctl permission)\n");
    return 0;
}

/* the kernel against the emulation (order 0), on inputs wide or not; returns how many
 * elements the VDPBF16PS-order emulation (order 1) gets different */
static long check_shape(int si, int wide, int other_order)
{
    const int *sh = shapes[si];
    int m = sh[0], n = sh[1], k = sh[2], ta = sh[3], tb = sh[4];
    float beta = (float)sh[5];
    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
    size_t nc = (size_t)m * ldc;
    float *a = fill((size_t)(ta ? k : m) * lda, wide), *b = fill((size_t)(tb ? n : k) * ldb, wide);
    float *c0 = fill(nc, wide), *c1 = malloc(nc * sizeof *c1), *c2 = malloc(nc * sizeof *c2);
    ck_assert_ptr_nonnull(c1);
    ck_assert_ptr_nonnull(c2);
    memcpy(c1, c0, nc * sizeof *c1);
    memcpy(c2, c0, nc * sizeof *c2);
    if (other_order)
        ref_gemm(1, ta, tb, m, n, k, a, lda, b, ldb, beta, c2, ldc);
    ref_gemm(0, ta, tb, m, n, k, a, lda, b, ldb, beta, c0, ldc);
    kern_gemm_bf16_amx(ta, tb, m, n, k, a, lda, b, ldb, beta, c1, ldc);
    long other = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++) {
            size_t q = (size_t)i * ldc + j;
            ck_assert_msg(fbits(c0[q]) == fbits(c1[q]),
                          "amx m%d n%d k%d ta%d tb%d beta%g wide%d: C[%d][%d] = %a, emulation %a",
                          m, n, k, ta, tb, (double)beta, wide, i, j, (double)c1[q],
                          (double)c0[q]);
            other += fbits(c2[q]) != fbits(c1[q]);
        }
    free(a);
    free(b);
    free(c0);
    free(c1);
    free(c2);
    return other;
}

START_TEST(amx_bitexact_vs_emulation)
{
    if (!amx_here())
        return;
    check_shape(_i, 0, 0);
}
END_TEST

START_TEST(amx_bitexact_wide_denormals)
{
    if (!amx_here())
        return;
    check_shape(_i, 1, 0);
}
END_TEST

/* the test tells the two units' orders apart: most sums of a long reduction differ */
START_TEST(amx_order_is_not_vdpbf16ps)
{
    if (!amx_here())
        return;
    long other = check_shape(12, 0, 1); /* 62 x 256, k 702 */
    ck_assert_msg(other > 62 * 256 / 4, "only %ld of %d elements differ from the VDPBF16PS "
                                        "order", other, 62 * 256);
    fprintf(stderr, "test_kernels_bf16_amx: %ld of %d sums differ in the VDPBF16PS order\n",
            other, 62 * 256);
}
END_TEST

/* no denormal ever reaches C, also from denormal C entries with k 0 chunks' worth of zeros */
START_TEST(amx_flushes_denormals)
{
    if (!amx_here())
        return;
    float a[32], b[32 * 16], c[16 * 16];
    for (int i = 0; i < 32; i++)
        a[i] = i < 2 ? 0x1p-70f : 0.0f;
    for (int i = 0; i < 32 * 16; i++)
        b[i] = i < 32 ? 0x1p-70f : 0.0f;
    for (int i = 0; i < 256; i++)
        c[i] = i == 1 ? -0x1p-140f : i == 2 ? 0x1p-127f : 1.0f;
    /* C[0][0] = 1 + 2^-140 = 1; C[0][1] = -denormal (read as -0) + 2^-140 (flushed) = +0 */
    kern_gemm_bf16_amx(0, 0, 1, 16, 2, a, 32, b, 16, 1.0f, c, 16);
    ck_assert(c[0] == 1.0f);
    ck_assert_uint_eq(fbits(c[1]), 0u);
    ck_assert_uint_eq(fbits(c[2]), 0u); /* denormal C read as zero */
}
END_TEST

/* op(A) packed once (kern_gemm_a, what the convolutions do with their weights) gives the
 * bits of the per-call path on every kernel this CPU runs, and fp32 packs nothing */
START_TEST(prepacked_a_same_bits)
{
    const int *sh = shapes[_i];
    int m = sh[0], n = sh[1], k = sh[2], ta = sh[3], tb = sh[4];
    float beta = (float)sh[5];
    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
    size_t nc = (size_t)m * ldc;
    float *a = fill((size_t)(ta ? k : m) * lda, 1), *b = fill((size_t)(tb ? n : k) * ldb, 1);
    float *c0 = fill(nc, 1), *c1 = malloc(nc * sizeof *c1), *c2 = malloc(nc * sizeof *c2);
    ck_assert_ptr_nonnull(c1);
    ck_assert_ptr_nonnull(c2);
    ck_assert_uint_eq(kern_gemm_a_bytes(m, k), 0); /* fp32 */
    const int impls[] = {KERN_BF16_PORTABLE, KERN_BF16_AVX512, KERN_BF16_AMX};
    for (int v = 0; v < 3; v++) {
        if ((impls[v] == KERN_BF16_AVX512 && !kern_bf16_avx512_usable()) ||
            (impls[v] == KERN_BF16_AMX && !(kern_bf16_amx_built() && kern_bf16_amx_usable())))
            continue;
        kern_set_precision(KERN_PREC_BF16);
        kern_bf16_force_impl(impls[v]);
        size_t bytes = kern_gemm_a_bytes(m, k);
        ck_assert_uint_gt(bytes, 0);
        void *buf = malloc(bytes);
        ck_assert_ptr_nonnull(buf);
        memset(buf, 0xa5, bytes); /* every word the GEMM reads is written by the packer */
        kern_gemm_a pa;
        kern_gemm_a_init(&pa, ta, m, k, a, lda, buf);
        ck_assert_ptr_nonnull(pa.p);
        memcpy(c1, c0, nc * sizeof *c1);
        memcpy(c2, c0, nc * sizeof *c2);
        kern_gemm(ta, tb, m, n, k, a, lda, b, ldb, beta, c1, ldc);
        kern_gemm_pa(&pa, tb, n, b, ldb, beta, c2, ldc);
        for (size_t q = 0; q < nc; q++)
            ck_assert_msg(fbits(c1[q]) == fbits(c2[q]), "kernel %d m%d n%d k%d: element %zu "
                          "%a prepacked, %a per call", impls[v], m, n, k, q, (double)c2[q],
                          (double)c1[q]);
        free(buf);
    }
    kern_set_precision(KERN_PREC_FP32);
    kern_bf16_force_impl(-1);
    free(a);
    free(b);
    free(c0);
    free(c1);
    free(c2);
}
END_TEST

START_TEST(amx_selection)
{
    char err[512];
    int usable = kern_bf16_amx_built() && kern_bf16_amx_usable();
    unsetenv("GANRT_BF16_KERNEL");
    kern_bf16_force_impl(-1);
    ck_assert_int_eq(kern_bf16_check_env(err, sizeof err), 0);
    int best = kern_bf16_impl();
    if (usable)
        ck_assert_int_eq(best, KERN_BF16_AMX);
    else
        ck_assert_int_ne(best, KERN_BF16_AMX);
    fprintf(stderr, "test_kernels_bf16_amx: default bf16 kernel: %s\n", kern_bf16_describe());
    setenv("GANRT_BF16_KERNEL", "amx", 1);
    kern_bf16_force_impl(-1);
    if (usable) {
        ck_assert_int_eq(kern_bf16_check_env(err, sizeof err), 0);
        ck_assert_int_eq(kern_bf16_impl(), KERN_BF16_AMX);
        ck_assert_ptr_nonnull(strstr(kern_bf16_describe(), "AMX"));
    } else {
        ck_assert_int_eq(kern_bf16_check_env(err, sizeof err), -1);
        ck_assert_msg(strstr(err, "AMX-BF16") != NULL, "%s", err);
        ck_assert_int_ne(kern_bf16_impl(), KERN_BF16_AMX); /* falls back, never faults */
    }
    setenv("GANRT_BF16_KERNEL", "portable", 1);
    kern_bf16_force_impl(-1);
    ck_assert_int_eq(kern_bf16_check_env(err, sizeof err), 0);
    ck_assert_int_eq(kern_bf16_impl(), KERN_BF16_PORTABLE);
    setenv("GANRT_BF16_KERNEL", "avx512", 1);
    kern_bf16_force_impl(-1);
    if (kern_bf16_avx512_usable()) {
        ck_assert_int_eq(kern_bf16_check_env(err, sizeof err), 0);
        ck_assert_int_eq(kern_bf16_impl(), KERN_BF16_AVX512);
    } else {
        ck_assert_int_eq(kern_bf16_check_env(err, sizeof err), -1);
        ck_assert_msg(strstr(err, "AVX512-BF16") != NULL, "%s", err);
    }
    setenv("GANRT_BF16_KERNEL", "tiles", 1);
    kern_bf16_force_impl(-1);
    ck_assert_int_eq(kern_bf16_check_env(err, sizeof err), -1);
    ck_assert_msg(strstr(err, "expected amx, avx512 or portable") != NULL, "%s", err);
    ck_assert_int_eq(kern_bf16_impl(), best);
    unsetenv("GANRT_BF16_KERNEL");
    kern_bf16_force_impl(-1);
}
END_TEST

enum { QSTEPS = 24 };
/* QSTEPS steps of the classifier fixture; the loss of each step */
static void train_steps(const gan_model *m, const char *data, int prec, double *loss)
{
    char err[1024];
    kern_set_precision(prec);
    gan_session_opts so = {1, 3};
    gan_session *s = gan_session_create(m, &so, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_msg(gan_session_init_params(s, err, sizeof err) == 0, "%s", err);
    ck_assert_int_le(gan_session_n_losses(s), 8);
    gan_loader *l = train_fx_loader(m, data, 3);
    gan_session_set_loader(s, l);
    for (int i = 0; i < QSTEPS; i++) {
        double ls[8];
        ck_assert_msg(gan_session_step(s, i + 1, ls, err, sizeof err) == 0, "%s", err);
        loss[i] = ls[0];
    }
    gan_session_free(s);
    gan_loader_close(l);
    kern_set_precision(KERN_PREC_FP32);
}

static double mean(const double *x, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += x[i];
    return s / n;
}

/* the quality check on the AMX kernel: the classifier's loss falls in bf16 as in fp32 (mean
 * of the last 6 steps below 0.9x the first 6), and stays near fp32's step by step */
START_TEST(amx_training_loss_falls)
{
    if (!amx_here())
        return;
    char err[1024];
    kern_bf16_force_impl(KERN_BF16_AMX);
    gan_model *m = train_fx_build(TRAIN_FX_CLASSIFIER, 0, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    char *dir = train_tmpdir(), data[4200];
    snprintf(data, sizeof data, "%s/data", dir);
    ck_assert_msg(train_fx_data(data, 64, err, sizeof err) == 0, "%s", err);
    double lf[QSTEPS], lb[QSTEPS];
    train_steps(m, data, KERN_PREC_FP32, lf);
    train_steps(m, data, KERN_PREC_BF16, lb);
    int differs = 0;
    for (int i = 0; i < QSTEPS; i++) {
        differs |= lb[i] != lf[i];
        ck_assert_msg(fabs(lb[i] - lf[i]) <= 0.05 * fabs(lf[i]) + 0.02,
                      "step %d: bf16 loss %.6f, fp32 %.6f", i + 1, lb[i], lf[i]);
    }
    ck_assert_msg(differs, "bf16 losses equal fp32's: the bf16 path did not run");
    double f0 = mean(lf, 6), f1 = mean(lf + QSTEPS - 6, 6);
    double b0 = mean(lb, 6), b1 = mean(lb + QSTEPS - 6, 6);
    ck_assert_msg(f1 < 0.9 * f0, "fp32 loss did not fall: %.4f -> %.4f", f0, f1);
    ck_assert_msg(b1 < 0.9 * b0, "bf16 (AMX) loss did not fall: %.4f -> %.4f", b0, b1);
    fprintf(stderr, "test_kernels_bf16_amx: classifier loss, first 6 -> last 6 of %d steps: "
                    "fp32 %.4f -> %.4f, bf16 on AMX %.4f -> %.4f\n", QSTEPS, f0, f1, b0, b1);
    kern_bf16_force_impl(-1);
    train_rmrf(dir);
    free(dir);
    train_fx_free(m);
}
END_TEST

/* ganrt train's start line names the AMX kernel, and a GANRT_BF16_KERNEL it cannot honour is
 * a usage error with the reason, before anything runs */
START_TEST(amx_cli_start_line)
{
    char err[1024], *dir = train_tmpdir(), model[4200], data[4200], out[4200];
    snprintf(model, sizeof model, "%s/m.bin", dir);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(out, sizeof out, "%s/run", dir);
    ck_assert_msg(train_fx_model(model, TRAIN_FX_CLASSIFIER, 0, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(train_fx_data(data, 32, err, sizeof err) == 0, "%s", err);
    const char *ganrt = train_tool("GANRT", "./ganrt");
    char *argv[] = {(char *)ganrt, "train", model, "--data", data, "--out", out, "--steps", "2",
                    "--precision", "bf16", "--threads", "1", NULL};
    static char log[1 << 16];
    setenv("GANRT_BF16_KERNEL", "tiles", 1);
    int rc = train_spawn(argv, log, sizeof log);
    ck_assert_msg(rc == 2 && strstr(log, "GANRT_BF16_KERNEL='tiles'"), "rc %d: %s", rc, log);
    unsetenv("GANRT_BF16_KERNEL");
    rc = train_spawn(argv, log, sizeof log);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, log);
    int amx = kern_bf16_amx_built() && kern_bf16_amx_usable();
    ck_assert_msg(strstr(log, "precision bf16: bf16 GEMMs on ") != NULL, "%s", log);
    if (amx)
        ck_assert_msg(strstr(log, "AMX tiles (tdpbf16ps)") != NULL, "%s", log);
    else
        fprintf(stderr, "test_kernels_bf16_amx: start line checked without AMX\n");
    train_rmrf(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_bf16_amx");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    int ns = (int)(sizeof shapes / sizeof shapes[0]);
    tcase_add_loop_test(tc, amx_bitexact_vs_emulation, 0, ns);
    tcase_add_loop_test(tc, amx_bitexact_wide_denormals, 0, ns);
    tcase_add_test(tc, amx_order_is_not_vdpbf16ps);
    tcase_add_test(tc, amx_flushes_denormals);
    tcase_add_loop_test(tc, prepacked_a_same_bits, 0, ns);
    tcase_add_test(tc, amx_selection);
    tcase_add_test(tc, amx_training_loss_falls);
    tcase_add_test(tc, amx_cli_start_line);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
