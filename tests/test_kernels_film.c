/* FiLM, the modulation of cond_batchnorm: the kernels against PyTorch (tests/gen_golden_film.py),
 * the backward against central differences (y is linear in x and in gb, so the differences are
 * exact up to rounding and the tolerance is tight), accumulation into existing gradients, and
 * the contract's refusals. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "format/model_opinfo.h"
#include "format/ops.h"
#include "runtime/kernels.h"
#include "tests/util/golden_util.h"

START_TEST(matches_torch)
{
    FILE *f = kgold_open("film.txt");
    ck_assert_msg(f != NULL, "cannot open tests/golden/kernels/film.txt (run from the repository "
                  "root or set GAN_BUILD; regenerate with /usr/bin/python3 tests/gen_golden_film.py)");
    kgold_case c;
    int cases = 0;
    double worst = 0;
    while (kgold_read(f, &c)) {
        int n = (int)kgold_int(&c, "n"), ch = (int)kgold_int(&c, "c");
        size_t hw = kgold_int(&c, "h") ? (size_t)kgold_int(&c, "h") * kgold_int(&c, "w") : 1;
        size_t nx = (size_t)n * ch * hw, ng = (size_t)n * 2 * ch;
        float *x = kgold_tensor(&c, "x", nx), *gb = kgold_tensor(&c, "gb", ng);
        float *y = malloc(nx * sizeof *y), *dx = calloc(nx, sizeof *dx),
              *dgb = calloc(ng, sizeof *dgb);
        kern_film_fwd(x, gb, y, n, ch, hw, 2);
        kern_film_bwd(x, gb, kgold_tensor(&c, "dy", nx), dx, dgb, n, ch, hw, 2);
        worst = fmax(worst, kgold_compare(&c, "y", y, kgold_tensor(&c, "y", nx), nx));
        worst = fmax(worst, kgold_compare(&c, "dx", dx, kgold_tensor(&c, "dx", nx), nx));
        worst = fmax(worst, kgold_compare(&c, "dgb", dgb, kgold_tensor(&c, "dgb", ng), ng));
        free(y);
        free(dx);
        free(dgb);
        kgold_free(&c);
        cases++;
    }
    fclose(f);
    ck_assert_int_ge(cases, 3);
    printf("golden film.txt: %d cases, max |err| %.3g\n", cases, worst);
}
END_TEST

static double loss(const float *x, const float *gb, const float *dy, int n, int c, size_t hw)
{
    size_t nx = (size_t)n * c * hw;
    float *y = malloc(nx * sizeof *y);
    kern_film_fwd(x, gb, y, n, c, hw, 1);
    double s = 0;
    for (size_t i = 0; i < nx; i++)
        s += (double)y[i] * dy[i];
    free(y);
    return s;
}

static void fill(float *v, size_t n, unsigned *seed)
{
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        v[i] = (float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
}

START_TEST(backward_is_the_finite_difference)
{
    enum { N = 2, C = 3, HW = 6 };
    float x[N * C * HW], gb[N * 2 * C], dy[N * C * HW], dx[N * C * HW], dgb[N * 2 * C];
    unsigned seed = 11;
    fill(x, N * C * HW, &seed);
    fill(gb, N * 2 * C, &seed);
    fill(dy, N * C * HW, &seed);
    /* the backward adds: start from a known gradient and take it off again */
    for (int i = 0; i < N * C * HW; i++)
        dx[i] = 0.25f;
    for (int i = 0; i < N * 2 * C; i++)
        dgb[i] = -0.5f;
    kern_film_bwd(x, gb, dy, dx, dgb, N, C, HW, 2);
    const float h = 1e-2f;
    for (int which = 0; which < 2; which++) {
        float *v = which ? gb : x, *g = which ? dgb : dx;
        int len = which ? N * 2 * C : N * C * HW;
        float base = which ? -0.5f : 0.25f;
        for (int i = 0; i < len; i++) {
            float keep = v[i];
            v[i] = keep + h;
            double lp = loss(x, gb, dy, N, C, HW);
            v[i] = keep - h;
            double lm = loss(x, gb, dy, N, C, HW);
            v[i] = keep;
            double fd = (lp - lm) / (2.0 * h), got = (double)g[i] - base;
            ck_assert_msg(fabs(fd - got) <= 1e-4 * (1 + fabs(fd)), "%s[%d]: fd %.7g backward %.7g",
                          which ? "gb" : "x", i, fd, got);
        }
    }
    /* either output may be left out */
    kern_film_bwd(x, gb, dy, NULL, dgb, N, C, HW, 1);
    kern_film_bwd(x, gb, dy, dx, NULL, N, C, HW, 1);
}
END_TEST

START_TEST(contract)
{
    gan_tensor ts[4] = {
        {.name = "x", .ndim = 4, .shape = {2, 3, 4, 4}, .numel = 96},
        {.name = "gb", .ndim = 2, .shape = {2, 6}, .numel = 12},
        {.name = "y", .ndim = 4, .shape = {2, 3, 4, 4}, .numel = 96},
        {.name = "gb3", .ndim = 2, .shape = {2, 3}, .numel = 6},
    };
    gan_model m = {.tensors = ts, .n_tensors = 4};
    gan_op op = {.type = GAN_OP_FILM, .n_in = 2, .n_out = 1};
    for (int k = 0; k < GAN_OP_MAX_IO; k++)
        op.in[k] = op.out[k] = -1;
    op.in[0] = 0;
    op.in[1] = 1;
    op.out[0] = 2;
    char err[512] = "";
    ck_assert_msg(gan_op_validate(&m, &op, err, sizeof err) == 0, "%s", err);
    op.in[1] = 3;
    ck_assert_int_ne(gan_op_validate(&m, &op, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "'gb3' [2,3] is not [N, 2C]"), "%s", err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_film");
    TCase *tc = tcase_create("film");
    tcase_add_test(tc, matches_torch);
    tcase_add_test(tc, backward_is_the_finite_difference);
    tcase_add_test(tc, contract);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
