/* DiffAugment's kernels: the transform and its backward against PyTorch with the same draws
 * (tests/gen_golden_diffaug.py); the backward is the transpose of the transform's linear part
 * (<T x - T 0, dy> = <x, T' dy>: brightness adds a constant) and matches central differences; the draws are in their ranges, follow seed and
 * run, and switch off per part; the interpreter's call advances the run counter. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "format/ops.h"
#include "runtime/kernels.h"
#include "runtime/run/run.h"
#include "tests/util/golden_util.h"

START_TEST(matches_torch)
{
    FILE *f = kgold_open("diffaug.txt");
    ck_assert_msg(f != NULL, "cannot open tests/golden/kernels/diffaug.txt (run from the "
                  "repository root or set GAN_BUILD; regenerate with /usr/bin/python3 "
                  "tests/gen_golden_diffaug.py)");
    kgold_case c;
    int cases = 0;
    double worst = 0;
    while (kgold_read(f, &c)) {
        int n = (int)kgold_int(&c, "n"), ch = (int)kgold_int(&c, "c"), h = (int)kgold_int(&c, "h"),
            w = (int)kgold_int(&c, "w");
        size_t nx = (size_t)n * ch * h * w;
        float *x = kgold_tensor(&c, "x", nx), *p = kgold_tensor(&c, "params", (size_t)n * 9);
        float *y = malloc(nx * sizeof *y), *dx = calloc(nx, sizeof *dx);
        kern_diffaug_fwd(x, p, y, n, ch, h, w, 2);
        kern_diffaug_bwd(p, kgold_tensor(&c, "dy", nx), dx, n, ch, h, w, 2);
        worst = fmax(worst, kgold_compare(&c, "y", y, kgold_tensor(&c, "y", nx), nx));
        worst = fmax(worst, kgold_compare(&c, "dx", dx, kgold_tensor(&c, "dx", nx), nx));
        free(y);
        free(dx);
        kgold_free(&c);
        cases++;
    }
    fclose(f);
    ck_assert_int_ge(cases, 4);
    printf("golden diffaug.txt: %d cases, max |err| %.3g\n", cases, worst);
}
END_TEST

static void fill(float *v, size_t n, unsigned *seed)
{
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        v[i] = (float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

START_TEST(backward_is_the_transpose)
{
    enum { N = 4, C = 3, H = 10, W = 9, NX = N * C * H * W };
    static float x[NX], dy[NX], y[NX], dx[NX], xp[NX], yp[NX], y0[NX], zero[NX];
    float p[N * 9];
    unsigned seed = 5;
    fill(x, NX, &seed);
    fill(dy, NX, &seed);
    for (int run = 0; run < 6; run++) {
        kern_diffaug_draw(0x1234u, (uint64_t)run, N, H, W, run % 3 != 2, run == 4 ? 0 : 0.2f,
                          run == 5 ? 0 : 0.5f, p);
        kern_diffaug_fwd(x, p, y, N, C, H, W, 2);
        kern_diffaug_fwd(zero, p, y0, N, C, H, W, 2);
        for (int k = 0; k < NX; k++)
            y[k] -= y0[k];
        memset(dx, 0, sizeof dx);
        kern_diffaug_bwd(p, dy, dx, N, C, H, W, 2);
        double a = dot(y, dy, NX), b = dot(x, dx, NX);
        ck_assert_msg(fabs(a - b) <= 1e-5 * (1 + fabs(a)), "run %d: <Tx, dy> %.9g <x, T'dy> %.9g",
                      run, a, b);
        /* central differences at a few elements: the transform is linear in x */
        for (int k = 0; k < NX; k += 97) {
            const float h = 0.01f;
            memcpy(xp, x, sizeof xp);
            xp[k] += h;
            kern_diffaug_fwd(xp, p, yp, N, C, H, W, 1);
            double lp = dot(yp, dy, NX);
            xp[k] -= 2 * h;
            kern_diffaug_fwd(xp, p, yp, N, C, H, W, 1);
            double fd = (lp - dot(yp, dy, NX)) / (2.0 * h);
            ck_assert_msg(fabs(fd - dx[k]) <= 1e-3 * (1 + fabs(fd)), "run %d x[%d]: fd %.7g bwd "
                          "%.7g", run, k, fd, dx[k]);
        }
    }
}
END_TEST

START_TEST(draws)
{
    enum { N = 400, H = 16, W = 24 };
    static float p[N * 9], q[N * 9];
    kern_diffaug_draw(77, 3, N, H, W, 1, 0.125f, 0.5f, p);
    kern_diffaug_draw(77, 3, N, H, W, 1, 0.125f, 0.5f, q);
    ck_assert(!memcmp(p, q, sizeof p)); /* a function of seed, run and sample */
    int sx = 3, sy = 2, seen_tx[7] = {0};   /* round(24/8), round(16/8) */
    double sb = 0;
    for (int i = 0; i < N; i++) {
        const float *r = p + i * 9;
        ck_assert(r[0] >= -0.5f && r[0] < 0.5f && r[1] >= 0 && r[1] < 2 && r[2] >= 0.5f &&
                  r[2] < 1.5f);
        ck_assert(fabsf(r[3]) <= sx && fabsf(r[4]) <= sy && r[3] == floorf(r[3]));
        seen_tx[(int)r[3] + sx] = 1;
        ck_assert(r[7] == 12 && r[8] == 8);                       /* half of each side */
        ck_assert(r[5] >= -6 && r[5] + 12 <= W + 6 && r[6] >= -4 && r[6] + 8 <= H + 4);
        sb += r[0];
    }
    for (int k = 0; k < 2 * sx + 1; k++)
        ck_assert_msg(seen_tx[k], "shift %d never drawn", k - sx);
    ck_assert_msg(fabs(sb / N) < 0.05, "brightness mean %g", sb / N);
    kern_diffaug_draw(77, 4, N, H, W, 1, 0.125f, 0.5f, q);
    ck_assert(memcmp(p, q, sizeof p)); /* another run, other draws */
    kern_diffaug_draw(78, 3, N, H, W, 1, 0.125f, 0.5f, q);
    ck_assert(memcmp(p, q, sizeof p)); /* another seed, other draws */
    /* each part off: the identity's parameters */
    kern_diffaug_draw(77, 3, N, H, W, 0, 0, 0, q);
    for (int i = 0; i < N; i++) {
        const float *r = q + i * 9;
        ck_assert(r[0] == 0 && r[1] == 1 && r[2] == 1 && r[3] == 0 && r[4] == 0 && r[7] == 0 &&
                  r[8] == 0);
    }
}
END_TEST

START_TEST(run_counts_and_identity)
{
    enum { N = 2, C = 3, H = 8, W = 8, NX = N * C * H * W };
    static float x[NX], y1[NX], y2[NX], prm[N * 9];
    unsigned s = 9;
    fill(x, NX, &s);
    float seed = 0.37f, runs = 0;
    gan_tensor tx = {.ndim = 4, .shape = {N, C, H, W}, .numel = NX};
    gan_op op = {.type = GAN_OP_DIFFAUG};
    op.i[1] = 1;
    op.f[1] = 0.125f;
    op.f[2] = 0.5f;
    gan_run_ctx ctx = {.op = &op, .threads = 1};
    ctx.in[0] = x;
    ctx.in[1] = &seed;
    ctx.in[2] = &runs;
    ctx.tin[0] = &tx;
    ctx.out[0] = y1;
    ctx.out[1] = prm;
    ck_assert_int_eq(gan_run_diffaug(&ctx), 0);
    ck_assert(runs == 1.0f);
    ctx.out[0] = y2;
    ck_assert_int_eq(gan_run_diffaug(&ctx), 0);
    ck_assert(runs == 2.0f);
    ck_assert(memcmp(y1, y2, sizeof y1)); /* the second run drew anew */
    /* everything off: y = x */
    op.i[1] = 0;
    op.f[1] = op.f[2] = 0;
    ck_assert_int_eq(gan_run_diffaug(&ctx), 0);
    ck_assert(!memcmp(y2, x, sizeof x));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_diffaug");
    TCase *tc = tcase_create("diffaug");
    tcase_add_test(tc, matches_torch);
    tcase_add_test(tc, backward_is_the_transpose);
    tcase_add_test(tc, draws);
    tcase_add_test(tc, run_counts_and_identity);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
