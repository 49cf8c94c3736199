/* The bf16 GEMM (runtime/kernels/gemm.c, gemm_bf16_avx512.c) against a scalar emulation
 * written here from Intel's pseudo-code: inputs rounded to bf16 (nearest even; denormals to
 * zero), then per output element, per pair (2p, 2p+1) of the reduction in order,
 * acc = acc + a[2p+1] b[2p+1], then acc = acc + a[2p] b[2p], each sum rounded to fp32 and
 * flushed to zero if denormal (VDPBF16PS's DAZ/FTZ), starting from C (beta 1) or 0; an odd
 * reduction's last pair has a zero partner. The AVX512-BF16 kernel (skipped with a message
 * where the CPU lacks the unit) and the portable kernel must equal it bit for bit. The inputs
 * are normal numbers of magnitude 2^-10..2 rounded to bf16, so every partial sum is a
 * multiple of 2^-34 and no denormal arises (the portable kernel does not flush them; docs/
 * kernels.md). Also: bf16 rounding cases, the kernels' conv / dense in bf16 near their fp32
 * results, and a tiny GAN and classifier trained a few steps in bf16 with losses close to
 * fp32's. */
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

/* bf16 rounding written another way than the kernel's: truncate, then look at the rest */
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

static float ftz(float x)
{
    return fabsf(x) < 1.17549435e-38f ? copysignf(0.0f, x) : x;
}

static void ref_gemm(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b,
                     int ldb, float beta, float *c, int ldc)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            volatile float acc = beta != 0.0f ? c[(size_t)i * ldc + j] : 0.0f;
            for (int p = 0; 2 * p < k; p++) {
                float av[2], bv[2];
                for (int h = 0; h < 2; h++) {
                    int kk = 2 * p + h;
                    av[h] = kk < k ? ref_bf16(ta ? a[(size_t)kk * lda + i] : a[(size_t)i * lda + kk]) : 0.0f;
                    bv[h] = kk < k ? ref_bf16(tb ? b[(size_t)j * ldb + kk] : b[(size_t)kk * ldb + j]) : 0.0f;
                }
                volatile float p1 = av[1] * bv[1], p0 = av[0] * bv[0];
                acc = ftz(acc + p1);
                acc = ftz(acc + p0);
            }
            c[(size_t)i * ldc + j] = acc;
        }
}

static uint64_t g_rng = 88172645463325252ull;
static float rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (float)((g_rng >> 11) * (1.0 / 9007199254740992.0));
}
/* normal values: sign * 2^e * [1, 2), e in [-10, 0] */
static float rnd_normal(void)
{
    float v = ldexpf(1.0f + rnd(), -(int)(rnd() * 11.0f));
    return rnd() < 0.5f ? -v : v;
}

static float *fill(size_t n)
{
    float *p = malloc(n * sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++)
        p[i] = rnd_normal();
    return p;
}

START_TEST(rounding_cases)
{
    const float in[] = {1.0f, bitsf(0x3f808000u), bitsf(0x3f818000u), bitsf(0x3f808001u),
                        -bitsf(0x3f818000u), 3.4028235e38f, 1e-40f, -1e-40f, 0.0f, -0.0f,
                        INFINITY, -INFINITY};
    const uint32_t want[] = {0x3f80, 0x3f80, 0x3f82, 0x3f81, 0xbf82, 0x7f80, 0x0000, 0x8000,
                             0x0000, 0x8000, 0x7f80, 0xff80};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        ck_assert_msg(kern_bf16_bits(in[i]) == want[i], "%a -> %04x, want %04x", (double)in[i],
                      kern_bf16_bits(in[i]), want[i]);
        ck_assert_uint_eq(fbits(ref_bf16(in[i])) >> 16, want[i]);
    }
    uint32_t nan = kern_bf16_bits(NAN);
    ck_assert_msg((nan & 0x7f80u) == 0x7f80u && (nan & 0x7fu), "NaN -> %04x", nan);
    /* the AVX-512 packers give the same bits on the same specials (16 + a tail of them) */
    if (kern_bf16_avx512_usable()) {
        float v[34];
        uint32_t rows[17], pairs[17];
        for (int i = 0; i < 34; i++)
            v[i] = i < 12 ? in[i] : i == 12 ? NAN : i == 13 ? -NAN : in[(i * 7) % 12];
        kern_bf16_pack_rows_avx512(v, v + 17, rows, 17);
        kern_bf16_pack_pairs_avx512(v, 17, pairs, 1);
        for (int j = 0; j < 17; j++) {
            ck_assert_uint_eq(rows[j], kern_bf16_pair(v[j], v[j + 17]));
            ck_assert_uint_eq(pairs[j], kern_bf16_pair(v[2 * j], v[2 * j + 1]));
        }
    }
    /* the pair: low half is the even element */
    ck_assert_uint_eq(kern_bf16_pair(1.0f, -2.0f), 0xc0003f80u);
    ck_assert(kern_bf16_lo(0xc0003f80u) == 1.0f && kern_bf16_hi(0xc0003f80u) == -2.0f);
}
END_TEST

/* m, n, k, ta, tb, beta: edges of every block (MR 8, NR 48, MC 64, NC 240, KC 256), odd k */
static const int shapes[][6] = {
    {1, 1, 1, 0, 0, 0},      {8, 48, 2, 0, 0, 0},    {7, 47, 3, 0, 0, 1},
    {50, 300, 27, 0, 0, 0},  {62, 97, 559, 0, 0, 1}, {122, 500, 130, 0, 1, 1},
    {65, 241, 257, 1, 0, 1}, {9, 49, 513, 1, 1, 0},  {3, 5, 1098, 0, 1, 0},
    {130, 17, 100, 1, 0, 1},
};

static void check_impl(kern_bf16_ukr ukr, const char *name, int si)
{
    const int *sh = shapes[si];
    int m = sh[0], n = sh[1], k = sh[2], ta = sh[3], tb = sh[4];
    float beta = (float)sh[5];
    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
    float *a = fill((size_t)(ta ? k : m) * lda), *b = fill((size_t)(tb ? n : k) * ldb);
    float *c0 = fill((size_t)m * ldc), *c1 = malloc((size_t)m * ldc * sizeof *c1);
    ck_assert_ptr_nonnull(c1);
    memcpy(c1, c0, (size_t)m * ldc * sizeof *c1);
    ref_gemm(ta, tb, m, n, k, a, lda, b, ldb, beta, c0, ldc);
    kern_gemm_bf16_with(ukr, ta, tb, m, n, k, a, lda, b, ldb, beta, c1, ldc);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++) {
            size_t q = (size_t)i * ldc + j;
            ck_assert_msg(fbits(c0[q]) == fbits(c1[q]),
                          "%s m%d n%d k%d ta%d tb%d beta%g: C[%d][%d] = %a, emulation %a", name,
                          m, n, k, ta, tb, (double)beta, i, j, (double)c1[q], (double)c0[q]);
        }
    free(a);
    free(b);
    free(c0);
    free(c1);
}

START_TEST(avx512_bitexact_vs_emulation)
{
    if (!kern_bf16_avx512_usable() || !kern_bf16_ukr_avx512()) {
        fprintf(stderr, "test_kernels_bf16: skipped: this CPU or OS lacks AVX512-BF16 "
                        "(only the portable kernel is checked)\n");
        return;
    }
    check_impl(kern_bf16_ukr_avx512(), "avx512-bf16", _i);
}
END_TEST

START_TEST(portable_bitexact_vs_emulation)
{
    check_impl(kern_bf16_ukr_for(KERN_BF16_PORTABLE), "portable", _i);
}
END_TEST

START_TEST(kernel_choice)
{
    /* AMX (tests/test_kernels_bf16_amx.c checks it against its own emulation: TDPBF16PS sums
     * in another order than VDPBF16PS) > AVX512-BF16 > portable, whichever this CPU runs */
    int impl = kern_bf16_impl();
    ck_assert(impl == KERN_BF16_AMX || impl == KERN_BF16_AVX512 || impl == KERN_BF16_PORTABLE);
    if (impl == KERN_BF16_AMX)
        ck_assert(kern_bf16_amx_usable());
    fprintf(stderr, "test_kernels_bf16: kern_gemm's bf16 kernel here: %s\n", kern_bf16_describe());
}
END_TEST

/* max |got - want| over max |want| */
static double rel_err(const float *got, const float *want, size_t n, int *differs)
{
    double e = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        e = fmax(e, fabs((double)got[i] - want[i]));
        mx = fmax(mx, fabs((double)want[i]));
        *differs |= got[i] != want[i];
    }
    return mx > 0 ? e / mx : e;
}

/* conv2d forward (Winograd on an 8x8 plane, im2col + GEMM on 20x20) and backward, dense
 * forward and backward: bf16 within 2 % of fp32 (and not equal: the bf16 path ran) */
START_TEST(kernels_bf16_near_fp32)
{
    int hw = _i ? 20 : 8;
    kern_conv_shape s = {.n = 3, .c = 24, .h = hw, .w = hw, .oc = 16, .kh = 3, .kw = 3,
                         .oh = hw, .ow = hw, .stride = 1, .pad_t = 1, .pad_l = 1};
    size_t nx = (size_t)s.n * s.c * hw * hw, ny = (size_t)s.n * s.oc * hw * hw,
           nw = (size_t)s.oc * s.c * 9;
    float *x = fill(nx), *w = fill(nw), *dy = fill(ny), *out[2][3];
    for (int p = 0; p < 2; p++) {
        kern_set_precision(p ? KERN_PREC_BF16 : KERN_PREC_FP32);
        out[p][0] = calloc(ny, sizeof(float));
        out[p][1] = calloc(nx, sizeof(float));
        out[p][2] = calloc(nw, sizeof(float));
        ck_assert_int_eq(kern_conv2d_fwd(&s, x, w, NULL, out[p][0], NULL, GAN_ACT_NONE, 0, 2), 0);
        ck_assert_int_eq(kern_conv2d_bwd(&s, x, w, NULL, dy, out[p][1], out[p][2], NULL, NULL,
                                         GAN_ACT_NONE, 0, 2), 0);
    }
    kern_set_precision(KERN_PREC_FP32);
    const size_t sz[3] = {ny, nx, nw};
    for (int q = 0; q < 3; q++) {
        int differs = 0;
        double e = rel_err(out[1][q], out[0][q], sz[q], &differs);
        ck_assert_msg(e < 0.02 && differs, "conv %dx%d output %d: bf16 rel err %g (differs %d)",
                      hw, hw, q, e, differs);
        free(out[0][q]);
        free(out[1][q]);
    }
    /* dense [n=70, k=130] x [m=90, k]^T */
    int n = 70, k = 130, m = 90;
    float *dx = fill((size_t)n * k), *dw = fill((size_t)m * k), *y[2], *gx[2], *gw[2];
    for (int p = 0; p < 2; p++) {
        kern_set_precision(p ? KERN_PREC_BF16 : KERN_PREC_FP32);
        y[p] = calloc((size_t)n * m, sizeof(float));
        gx[p] = calloc((size_t)n * k, sizeof(float));
        gw[p] = calloc((size_t)m * k, sizeof(float));
        kern_dense_fwd(dx, dw, NULL, y[p], n, k, m, GAN_ACT_NONE, 0, 2);
        kern_dense_bwd(dx, dw, NULL, y[0], gx[p], gw[p], NULL, n, k, m, GAN_ACT_NONE, 0, 2);
    }
    kern_set_precision(KERN_PREC_FP32);
    int differs = 0;
    double e = rel_err(y[1], y[0], (size_t)n * m, &differs);
    e = fmax(e, rel_err(gx[1], gx[0], (size_t)n * k, &differs));
    e = fmax(e, rel_err(gw[1], gw[0], (size_t)m * k, &differs));
    ck_assert_msg(e < 0.02 && differs, "dense: bf16 rel err %g", e);
    for (int p = 0; p < 2; p++) {
        free(y[p]);
        free(gx[p]);
        free(gw[p]);
    }
    free(x);
    free(w);
    free(dy);
    free(dx);
    free(dw);
}
END_TEST

enum { QSTEPS = 8 };
/* QSTEPS steps of the fixture in one precision; losses[step][i] */
static int train_steps(const gan_model *m, const char *data, int prec, double losses[][8])
{
    char err[1024];
    kern_set_precision(prec);
    gan_session_opts so = {1, 3};
    gan_session *s = gan_session_create(m, &so, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_msg(gan_session_init_params(s, err, sizeof err) == 0, "%s", err);
    int nl = gan_session_n_losses(s);
    ck_assert_int_le(nl, 8);
    gan_loader *l = train_fx_loader(m, data, 3);
    gan_session_set_loader(s, l);
    for (int i = 0; i < QSTEPS; i++)
        ck_assert_msg(gan_session_step(s, i + 1, losses[i], err, sizeof err) == 0, "%s", err);
    gan_session_free(s);
    gan_loader_close(l);
    kern_set_precision(KERN_PREC_FP32);
    return nl;
}

/* the quality check: a tiny GAN and a classifier, QSTEPS steps in fp32 and in bf16 from the
 * same seed: every loss of every step within 5 % + 0.02 of fp32's (not equal) */
START_TEST(training_bf16_close_to_fp32)
{
    char err[1024];
    gan_model *m = train_fx_build(_i ? TRAIN_FX_CLASSIFIER : TRAIN_FX_GAN, 0, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    char *dir = train_tmpdir(), data[4200];
    snprintf(data, sizeof data, "%s/data", dir);
    ck_assert_msg(train_fx_data(data, 64, err, sizeof err) == 0, "%s", err);
    double lf[QSTEPS][8], lb[QSTEPS][8];
    int nl = train_steps(m, data, KERN_PREC_FP32, lf);
    train_steps(m, data, KERN_PREC_BF16, lb);
    int differs = 0;
    double worst = 0;
    for (int i = 0; i < QSTEPS; i++)
        for (int j = 0; j < nl; j++) {
            double d = fabs(lb[i][j] - lf[i][j]);
            worst = fmax(worst, d / (0.05 * fabs(lf[i][j]) + 0.02));
            differs |= lb[i][j] != lf[i][j];
            ck_assert_msg(d <= 0.05 * fabs(lf[i][j]) + 0.02, "step %d loss %d: bf16 %.6f fp32 %.6f",
                          i + 1, j, lb[i][j], lf[i][j]);
        }
    ck_assert_msg(differs, "bf16 losses equal fp32's: the bf16 path did not run");
    fprintf(stderr, "test_kernels_bf16: %s, %d steps: worst loss difference %.2f of the "
                    "tolerance (%s)\n", _i ? "classifier" : "gan", QSTEPS, worst,
            kern_bf16_describe());
    train_rmrf(dir);
    free(dir);
    train_fx_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_bf16");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    int ns = (int)(sizeof shapes / sizeof shapes[0]);
    tcase_add_test(tc, rounding_cases);
    tcase_add_loop_test(tc, avx512_bitexact_vs_emulation, 0, ns);
    tcase_add_loop_test(tc, portable_bitexact_vs_emulation, 0, ns);
    tcase_add_test(tc, kernel_choice);
    tcase_add_loop_test(tc, kernels_bf16_near_fp32, 0, 2);
    tcase_add_loop_test(tc, training_bf16_close_to_fp32, 0, 2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
