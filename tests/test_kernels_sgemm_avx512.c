/* The fp32 AVX-512 GEMM (runtime/kernels/gemm_f32_avx512.c) against a scalar emulation of
 * what it promises: per element of C, one fp32 accumulator that starts from C (beta 1), C
 * times beta (other betas) or 0 (beta 0) and takes fmaf(a[i][p], b[p][j], acc) for p = 0 ..
 * k-1 in order. That is bit for bit, so every shape, tail and stride is checked exactly:
 * rows in blocks of 6 and their remainders, columns in blocks of 64 and the masked tails,
 * reductions over one and several blocks of 256, leading dimensions wider than the matrix,
 * and the guard columns beside C (which nothing may write). Skipped with a message where
 * the CPU lacks AVX-512F. Also: kern_gemm routes only what it should to the kernel (the
 * result equals OpenBLAS's to rounding either way). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

/* row by row, p outer and j inner: each element still sees its fmaf's in p order (the
 * promise), but the loop runs over contiguous rows, which keeps the ASan build quick */
static void ref(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float beta,
                float *c, int ldc)
{
    for (int i = 0; i < m; i++) {
        float *acc = c + (size_t)i * ldc;
        for (int j = 0; j < n; j++)
            acc[j] = beta == 0.0f ? 0.0f : beta == 1.0f ? acc[j] : acc[j] * beta;
        for (int p = 0; p < k; p++) {
            const float x = a[(size_t)i * lda + p], *brow = b + (size_t)p * ldb;
            for (int j = 0; j < n; j++)
                acc[j] = fmaf(x, brow[j], acc[j]);
        }
    }
}

static unsigned g_seed = 12345;
static float rnd(void)
{
    g_seed = g_seed * 1103515245u + 12345u;
    return (float)((g_seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *filled(size_t n)
{
    float *p = malloc(n * sizeof *p + 1);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++)
        p[i] = rnd();
    return p;
}

/* one shape: exact against ref, with 3 guard columns right of C (ldc = n + 3) */
static void check_shape(int m, int n, int k, float beta)
{
    int lda = k + 1, ldb = n + 5, ldc = n + 3;
    float *a = filled((size_t)m * lda), *b = filled((size_t)(k > 0 ? k : 1) * ldb);
    float *c1 = filled((size_t)m * ldc), *c2 = malloc((size_t)m * ldc * sizeof *c2);
    ck_assert_ptr_nonnull(c2);
    memcpy(c2, c1, (size_t)m * ldc * sizeof *c2);
    ref(m, n, k, a, lda, b, ldb, beta, c1, ldc);
    kern_sgemm_nn_avx512(m, n, k, a, lda, b, ldb, beta, c2, ldc);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++) {
            float x = c1[(size_t)i * ldc + j], y = c2[(size_t)i * ldc + j];
            ck_assert_msg(memcmp(&x, &y, sizeof x) == 0,
                          "m %d n %d k %d beta %g: C[%d][%d] = %.9g, want %.9g%s", m, n, k,
                          (double)beta, i, j, (double)y, (double)x,
                          j >= n ? " (a guard column)" : "");
        }
    free(a), free(b), free(c1), free(c2);
}

START_TEST(exact_against_emulation)
{
    if (!kern_f32_avx512_usable()) {
        fprintf(stderr, "skip: this CPU (or OS) has no AVX-512F: the fp32 kernel is not used\n");
        return;
    }
    /* rows: one block of 6 and less, two, two and a remainder, eight and two; columns: the
     * 16-wide masked tails and one to three blocks of 64 with tails; reductions inside one
     * block of 256, at its edge and over two and a tail */
    static const int ms[] = {1, 2, 3, 5, 6, 7, 12, 13, 17, 50};
    static const int ns[] = {1, 15, 16, 17, 33, 63, 64, 65, 130, 200};
    static const int ks[] = {1, 2, 27, 255, 256, 257, 520};
    static const float betas[] = {0.0f, 1.0f, 0.5f};
    int shapes = 0;
    for (size_t mi = 0; mi < sizeof ms / sizeof *ms; mi++)
        for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++)
            for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
                /* the larger ones with one beta each, in turn (the ASan build's time) */
                int big = ns[ni] >= 130 || ks[ki] >= 256;
                for (int bi = 0; bi < (big ? 1 : 3); bi++, shapes++)
                    check_shape(ms[mi], ns[ni], ks[ki], betas[(bi + mi + ni + ki) % 3]);
            }
    ck_assert_int_eq(shapes, 1340);
}
END_TEST

START_TEST(empty_reduction_and_nothing_outside)
{
    if (!kern_f32_avx512_usable()) {
        fprintf(stderr, "skip: no AVX-512F\n");
        return;
    }
    /* k = 0: C = beta C (0 clears it) */
    check_shape(7, 70, 0, 0.0f);
    check_shape(7, 70, 0, 1.0f);
    check_shape(7, 70, 0, 0.5f);
    /* m or n of 0: nothing is touched */
    float c[4] = {1, 2, 3, 4}, a[4] = {0}, b[4] = {0};
    kern_sgemm_nn_avx512(0, 4, 1, a, 1, b, 4, 0.0f, c, 4);
    kern_sgemm_nn_avx512(1, 0, 1, a, 1, b, 4, 0.0f, c, 4);
    ck_assert(c[0] == 1 && c[3] == 4);
    /* B's last row ends exactly at the end of its allocation: the masked tail reads nothing
     * past it (ASan would say) */
    int n = 17, k = 3;
    float *bb = malloc((size_t)k * n * sizeof *bb), *aa = filled(2 * k), *cc = filled(2 * n);
    for (int i = 0; i < k * n; i++)
        bb[i] = rnd();
    kern_sgemm_nn_avx512(2, n, k, aa, k, bb, n, 0.0f, cc, n);
    float want = 0.0f;
    for (int p = 0; p < k; p++)
        want = fmaf(aa[k + p], bb[p * n + n - 1], want);
    ck_assert_msg(cc[2 * n - 1] == want, "%g vs %g", (double)cc[2 * n - 1], (double)want);
    free(bb), free(aa), free(cc);
}
END_TEST

/* kern_gemm (what every kernel calls) agrees with a float64 product to rounding, for shapes
 * on both sides of the routing thresholds and both transposes. */
START_TEST(kern_gemm_routes_and_agrees)
{
    static const int shapes[][3] = {{16, 448, 288}, {128, 64, 576}, {129, 64, 16},
                                    {16, 31, 40},   {3, 4096, 27},  {200, 200, 200}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int t = 0; t < 4; t++) {
            int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2], ta = t & 1, tb = t >> 1;
            float *a = filled((size_t)m * k), *b = filled((size_t)k * n), *c = filled((size_t)m * n);
            kern_gemm(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, 0.0f, c, n);
            for (int i = 0; i < m; i += 7)
                for (int j = 0; j < n; j += 5) {
                    double acc = 0, mag = 0;
                    for (int p = 0; p < k; p++) {
                        double x = ta ? a[(size_t)p * m + i] : a[(size_t)i * k + p];
                        double y = tb ? b[(size_t)j * k + p] : b[(size_t)p * n + j];
                        acc += x * y, mag += fabs(x * y);
                    }
                    ck_assert_msg(fabs(c[(size_t)i * n + j] - acc) <= 1e-6 * mag + 1e-30,
                                  "%d x %d x %d ta %d tb %d: [%d][%d] %.9g vs %.9g", m, n, k,
                                  ta, tb, i, j, (double)c[(size_t)i * n + j], acc);
                }
            free(a), free(b), free(c);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_sgemm_avx512");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300); /* 31 s under ASan here */
    tcase_add_test(tc, exact_against_emulation);
    tcase_add_test(tc, empty_reduction_and_nothing_outside);
    tcase_add_test(tc, kern_gemm_routes_and_agrees);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
