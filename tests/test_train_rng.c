/* RNG determinism and moments; parameter initialisation statistics. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/train.h"
#include "tests/util/train_util.h"

START_TEST(rng_deterministic)
{
    gan_rng a, b, c;
    gan_rng_seed(&a, 42);
    gan_rng_seed(&b, 42);
    gan_rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = gan_rng_next(&a), y = gan_rng_next(&b), z = gan_rng_next(&c);
        ck_assert_uint_eq(x, y);
        differ += x != z;
    }
    ck_assert_int_gt(differ, 990);
    /* a copied state (what a checkpoint stores) continues the same stream, also mid-pair */
    gan_rng_normal(&a);
    gan_rng copy = a;
    ck_assert_uint_eq(copy.has_spare, 1);
    for (int i = 0; i < 101; i++)
        ck_assert(gan_rng_normal(&a) == gan_rng_normal(&copy));
    /* known first value for seed 0 pins the algorithm (splitmix64 -> xoshiro256**) */
    gan_rng z0;
    gan_rng_seed(&z0, 0);
    ck_assert_uint_eq(z0.s[0], 0xE220A8397B1DCDAFull);
}
END_TEST

START_TEST(rng_moments)
{
    gan_rng r;
    gan_rng_seed(&r, 7);
    const int n = 1000000;
    double s1 = 0, s2 = 0, s4 = 0, u1 = 0, umin = 1, umax = 0;
    for (int i = 0; i < n; i++) {
        double x = gan_rng_normal(&r);
        s1 += x;
        s2 += x * x;
        s4 += x * x * x * x;
        double u = gan_rng_uniform(&r);
        u1 += u;
        if (u < umin) umin = u;
        if (u > umax) umax = u;
    }
    double mean = s1 / n, var = s2 / n - mean * mean, kurt = s4 / n / (var * var);
    ck_assert_double_lt(fabs(mean), 0.005);
    ck_assert_double_lt(fabs(var - 1), 0.01);
    ck_assert_double_lt(fabs(kurt - 3), 0.05);
    ck_assert_double_lt(fabs(u1 / n - 0.5), 0.002);
    ck_assert(umin >= 0 && umin < 1e-4 && umax < 1 && umax > 1 - 1e-4);
}
END_TEST

static double max_dev_gram(const float *w, int rows, int cols, int by_rows, float gain)
{
    int k = by_rows ? rows : cols;
    double worst = 0;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            double d = 0;
            if (by_rows)
                for (int c = 0; c < cols; c++)
                    d += (double)w[i * cols + c] * w[j * cols + c];
            else
                for (int r = 0; r < rows; r++)
                    d += (double)w[r * cols + i] * w[r * cols + j];
            double want = i == j ? (double)gain * gain : 0;
            if (fabs(d - want) > worst)
                worst = fabs(d - want);
        }
    return worst;
}

/* The truncation trick: every value ends within psi; those within already are kept. */
START_TEST(truncated_normal)
{
    enum { N = 20000 };
    static float x[N], y[N];
    gan_rng r;
    gan_rng_seed(&r, 7);
    gan_rng_fill_normal(&r, x, N, 0.0f, 1.0f);
    memcpy(y, x, sizeof x);
    gan_rng_truncate_normal(&r, y, N, 0.5f);
    int kept = 0, redrawn = 0;
    for (int i = 0; i < N; i++) {
        ck_assert_msg(fabsf(y[i]) <= 0.5f, "y[%d] = %g", i, y[i]);
        if (fabsf(x[i]) <= 0.5f) {
            ck_assert_float_eq(y[i], x[i]);
            kept++;
        } else {
            redrawn++;
        }
    }
    /* P(|z| <= 0.5) = 0.383: the kept share is that, give or take a few sigma */
    ck_assert_msg(kept > N * 0.36 && kept < N * 0.40 && redrawn > 0, "kept %d of %d", kept, N);
}
END_TEST

START_TEST(orthogonal_wide_tall_square)
{
    gan_rng r;
    gan_rng_seed(&r, 1);
    int shapes[][2] = {{16, 40}, {40, 16}, {32, 32}, {1, 9}, {9, 1}, {122, 873}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int rows = shapes[s][0], cols = shapes[s][1];
        float *w = malloc(sizeof *w * rows * cols);
        ck_assert_int_eq(gan_init_orthogonal(w, rows, cols, 1.0f, &r), 0);
        /* wide: W W^T = I; tall: W^T W = I */
        double dev = max_dev_gram(w, rows, cols, rows <= cols, 1.0f);
        ck_assert_msg(dev < 1e-5, "%dx%d: max |Gram - I| = %g", rows, cols, dev);
        free(w);
    }
    float w[8 * 20];
    ck_assert_int_eq(gan_init_orthogonal(w, 8, 20, 2.0f, &r), 0);
    ck_assert_double_lt(max_dev_gram(w, 8, 20, 1, 2.0f), 1e-4);
    /* not trivially the identity: entries spread out */
    int zeros = 0;
    for (int i = 0; i < 160; i++)
        zeros += fabsf(w[i]) < 1e-6f;
    ck_assert_int_lt(zeros, 5);
}
END_TEST

/* a one-tensor model to drive gan_init_tensor with a given spec */
static void stats_of(int init, float arg, int ndim, const int *shape, int fan_in, int fan_out,
                     double *mean, double *std, double *lo, double *hi, double *norm)
{
    gan_model m;
    gan_tensor t;
    memset(&m, 0, sizeof m);
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "w");
    t.region = GAN_REGION_PARAM;
    t.init = (uint8_t)init;
    t.init_arg = arg;
    t.ndim = (uint8_t)ndim;
    t.numel = 1;
    for (int d = 0; d < ndim; d++) {
        t.shape[d] = shape[d];
        t.numel *= (uint64_t)shape[d];
    }
    t.fan_in = fan_in;
    t.fan_out = fan_out;
    t.init_src = -1;
    m.n_tensors = 1;
    m.tensors = &t;
    m.region_floats[GAN_REGION_PARAM] = t.numel;
    float *base[GAN_REGION_COUNT] = {0};
    base[0] = malloc(sizeof(float) * t.numel);
    for (uint64_t i = 0; i < t.numel; i++)
        base[0][i] = 123.0f; /* must be overwritten */
    gan_rng r;
    gan_rng_seed(&r, 99);
    char err[256];
    ck_assert_msg(gan_init_tensor(&m, base, 0, &r, err, sizeof err) == 0, "%s", err);
    double s1 = 0, s2 = 0;
    *lo = 1e30;
    *hi = -1e30;
    for (uint64_t i = 0; i < t.numel; i++) {
        double x = base[0][i];
        s1 += x;
        s2 += x * x;
        if (x < *lo) *lo = x;
        if (x > *hi) *hi = x;
    }
    *mean = s1 / t.numel;
    *std = sqrt(s2 / t.numel - *mean * *mean);
    *norm = sqrt(s2);
    free(base[0]);
}

START_TEST(init_statistics)
{
    double mean, std, lo, hi, norm;
    int big[] = {200, 100, 3, 3}; /* 180k values */
    stats_of(GAN_INIT_ZEROS, 0, 2, big, 0, 0, &mean, &std, &lo, &hi, &norm);
    ck_assert(lo == 0 && hi == 0);
    stats_of(GAN_INIT_ONES, 0, 2, big, 0, 0, &mean, &std, &lo, &hi, &norm);
    ck_assert(lo == 1 && hi == 1);
    stats_of(GAN_INIT_NORMAL, 0.02f, 4, big, 0, 0, &mean, &std, &lo, &hi, &norm);
    ck_assert_double_lt(fabs(mean), 0.0005);
    ck_assert_double_lt(fabs(std - 0.02), 0.0005);
    stats_of(GAN_INIT_UNIFORM, 0.5f, 4, big, 0, 0, &mean, &std, &lo, &hi, &norm);
    ck_assert(lo >= -0.5 && hi <= 0.5 && lo < -0.49 && hi > 0.49);
    ck_assert_double_lt(fabs(std - 0.5 / sqrt(3)), 0.003);
    /* glorot from the shape: fan_in = 100*9, fan_out = 200*9 */
    double l = sqrt(6.0 / (900 + 1800));
    stats_of(GAN_INIT_GLOROT_UNIFORM, 0, 4, big, 0, 0, &mean, &std, &lo, &hi, &norm);
    ck_assert(lo >= -l && hi <= l && hi > 0.98 * l);
    ck_assert_double_lt(fabs(std - l / sqrt(3)), 0.01 * l);
    /* he from explicit fans */
    stats_of(GAN_INIT_HE_NORMAL, 0, 4, big, 50, 10, &mean, &std, &lo, &hi, &norm);
    ck_assert_double_lt(fabs(std - sqrt(2.0 / 50)), 0.01 * sqrt(2.0 / 50));
    stats_of(GAN_INIT_HE_NORMAL, 0, 4, big, 0, 0, &mean, &std, &lo, &hi, &norm);
    ck_assert_double_lt(fabs(std - sqrt(2.0 / 900)), 0.01 * sqrt(2.0 / 900));
    int u[] = {97};
    stats_of(GAN_INIT_UNIT_NORMAL, 0, 1, u, 0, 0, &mean, &std, &lo, &hi, &norm);
    ck_assert_double_lt(fabs(norm - 1), 1e-5);
    /* orthogonal conv weight: [50, 3*3*3] view has orthonormal rows (50 > 27: columns) */
    int cw[] = {50, 3, 3, 3};
    stats_of(GAN_INIT_ORTHOGONAL, 0, 4, cw, 0, 0, &mean, &std, &lo, &hi, &norm);
    ck_assert_double_lt(fabs(norm * norm - 27), 1e-3); /* 27 orthonormal columns */
}
END_TEST

START_TEST(init_all_model)
{
    gan_model *m = train_test_model(0);
    float *a[GAN_REGION_COUNT], *b[GAN_REGION_COUNT];
    train_alloc_base(m, a);
    train_alloc_base(m, b);
    gan_rng r1, r2;
    gan_rng_seed(&r1, 5);
    gan_rng_seed(&r2, 5);
    char err[256];
    ck_assert_msg(gan_init_all(m, a, &r1, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(gan_init_all(m, b, &r2, err, sizeof err) == 0, "%s", err);
    for (int r = 0; r < 2; r++)
        ck_assert(!memcmp(a[r], b[r], m->region_floats[r] * sizeof(float)));
    /* the EMA copy equals the initialised parameters */
    int ip = train_find(m, "G.params");
    ck_assert(!memcmp(train_ptr(m, a, "G.ema"), a[0] + m->tensors[ip].offset,
                      m->tensors[ip].numel * sizeof(float)));
    ck_assert(train_ptr(m, a, "G.bn.running_var")[3] == 1.0f);
    ck_assert(train_ptr(m, a, "G.bn.gamma")[0] == 1.0f);
    ck_assert(train_ptr(m, a, "G.dense.w")[0] != 0.0f);
    /* a copy from a bad source is an error naming the tensor, not a crash */
    m->tensors[train_find(m, "G.ema")].init_src = 999;
    ck_assert_int_eq(gan_init_all(m, a, &r1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "G.ema"));
    train_free_base(a);
    train_free_base(b);
    train_test_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train_rng_init");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rng_deterministic);
    tcase_add_test(tc, rng_moments);
    tcase_add_test(tc, truncated_normal);
    tcase_add_test(tc, orthogonal_wide_tall_square);
    tcase_add_test(tc, init_statistics);
    tcase_add_test(tc, init_all_model);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
