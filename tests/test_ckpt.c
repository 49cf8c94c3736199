/* Checkpoint format: round trip, validation of truncated / corrupted files, atomic writes,
 * run-directory bookkeeping (latest, keep K), --init by name. */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "runtime/train.h"
#include "tests/util/train_util.h"

static void setup_model(gan_model **m, float *base[GAN_REGION_COUNT], uint64_t seed)
{
    *m = train_test_model(0);
    train_alloc_base(*m, base);
    gan_rng r;
    gan_rng_seed(&r, seed);
    char err[256];
    ck_assert_msg(gan_init_all(*m, base, &r, err, sizeof err) == 0, "%s", err);
    /* make state non-trivial so a lost tensor would show */
    for (uint64_t i = 0; i < (*m)->region_floats[1]; i++)
        base[1][i] += 0.25f * (float)i;
}

static gan_ckpt_info some_info(void)
{
    gan_ckpt_info in;
    memset(&in, 0, sizeof in);
    in.step = 1234;
    in.data_epoch = 3;
    in.data_index = 77;
    in.seed = 99;
    gan_rng_seed(&in.rng, 555);
    gan_rng_normal(&in.rng); /* leaves a spare */
    return in;
}

static int regions_equal(const gan_model *m, float *a[], float *b[])
{
    for (int r = 0; r < 2; r++)
        if (memcmp(a[r], b[r], m->region_floats[r] * sizeof(float)))
            return 0;
    return 1;
}

START_TEST(round_trip_mem)
{
    gan_model *m;
    float *a[GAN_REGION_COUNT], *b[GAN_REGION_COUNT];
    setup_model(&m, a, 1);
    train_alloc_base(m, b);
    gan_ckpt_info in = some_info(), out;
    void *buf;
    size_t len;
    ck_assert_int_eq(gan_ckpt_write_mem(m, a, &in, &buf, &len), 0);
    char err[512];
    ck_assert_msg(gan_ckpt_load_mem(buf, len, "mem", m, b, &out, err, sizeof err) == 0, "%s",
                  err);
    ck_assert(regions_equal(m, a, b));
    ck_assert_uint_eq(out.step, 1234);
    ck_assert_uint_eq(out.data_epoch, 3);
    ck_assert_uint_eq(out.data_index, 77);
    ck_assert_uint_eq(out.seed, 99);
    ck_assert(!memcmp(&out.rng.s, &in.rng.s, sizeof in.rng.s));
    ck_assert_uint_eq(out.rng.has_spare, 1);
    ck_assert(out.rng.spare == in.rng.spare);
    ck_assert_uint_eq(out.model_id, gan_ckpt_model_id(m));
    /* the aggregate is covered by its parts: not stored twice; grads/arena never stored */
    ck_assert(!gan_ckpt_tensor_included(m, train_find(m, "G.params")));
    ck_assert(!gan_ckpt_tensor_included(m, train_find(m, "G.grads")));
    ck_assert(gan_ckpt_tensor_included(m, train_find(m, "G.adam.t")));
    /* writing is deterministic (resume tests compare files byte for byte) */
    void *buf2;
    size_t len2;
    ck_assert_int_eq(gan_ckpt_write_mem(m, b, &in, &buf2, &len2), 0);
    ck_assert_uint_eq(len, len2);
    ck_assert(!memcmp(buf, buf2, len));
    free(buf2);
    free(buf);
    train_free_base(a);
    train_free_base(b);
    train_test_model_free(m);
}
END_TEST

START_TEST(truncated_and_flipped)
{
    gan_model *m;
    float *a[GAN_REGION_COUNT], *b[GAN_REGION_COUNT];
    setup_model(&m, a, 2);
    train_alloc_base(m, b);
    memcpy(b[0], a[0], m->region_floats[0] * sizeof(float));
    memcpy(b[1], a[1], m->region_floats[1] * sizeof(float));
    gan_ckpt_info in = some_info();
    unsigned char *buf;
    size_t len;
    ck_assert_int_eq(gan_ckpt_write_mem(m, a, &in, (void **)&buf, &len), 0);
    char err[512];
    /* every truncation length: a clean error naming the file, base untouched */
    for (size_t cut = 0; cut < len; cut += cut < 2048 ? 1 : 7) {
        err[0] = 0;
        ck_assert_int_eq(gan_ckpt_load_mem(buf, cut, "run/ckpt/x.ckpt", m, b, NULL, err,
                                           sizeof err), -1);
        ck_assert_msg(!strncmp(err, "run/ckpt/x.ckpt: ", 17), "cut %zu: %s", cut, err);
    }
    /* trailing garbage */
    unsigned char *big = malloc(len + 3);
    memcpy(big, buf, len);
    ck_assert_int_eq(gan_ckpt_load_mem(big, len + 3, "f", m, b, NULL, err, sizeof err), -1);
    free(big);
    /* random byte flips anywhere: every one detected */
    gan_rng r;
    gan_rng_seed(&r, 3);
    for (int k = 0; k < 2000; k++) {
        size_t pos = gan_rng_next(&r) % len;
        unsigned char flip = (unsigned char)(1 + gan_rng_next(&r) % 255);
        buf[pos] ^= flip;
        err[0] = 0;
        int rc = gan_ckpt_load_mem(buf, len, "f.ckpt", m, b, NULL, err, sizeof err);
        buf[pos] ^= flip;
        ck_assert_msg(rc == -1, "flip at %zu not detected", pos);
        ck_assert_msg(!strncmp(err, "f.ckpt: ", 8), "%s", err);
    }
    ck_assert(regions_equal(m, a, b)); /* nothing half-loaded */
    /* specific messages */
    buf[0] = 'X';
    gan_ckpt_load_mem(buf, len, "f", m, b, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(strstr(err, "magic"));
    buf[0] = 'G';
    buf[8] = 9;
    gan_ckpt_load_mem(buf, len, "f", m, b, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(strstr(err, "version 9"));
    buf[8] = 1;
    buf[len - 1] ^= 1;
    gan_ckpt_load_mem(buf, len, "f", m, b, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(strstr(err, "CRC"));
    buf[len - 1] ^= 1;
    ck_assert_int_eq(gan_ckpt_load_mem(buf, len, "f", m, b, NULL, err, sizeof err), 0);
    free(buf);
    train_free_base(a);
    train_free_base(b);
    train_test_model_free(m);
}
END_TEST

START_TEST(other_model_rejected)
{
    gan_model *m, *m1 = train_test_model(1), *m2 = train_test_model(2);
    float *a[GAN_REGION_COUNT], *b1[GAN_REGION_COUNT], *b2[GAN_REGION_COUNT];
    setup_model(&m, a, 4);
    train_alloc_base(m1, b1);
    train_alloc_base(m2, b2);
    gan_ckpt_info in = some_info();
    void *buf;
    size_t len;
    ck_assert_int_eq(gan_ckpt_write_mem(m, a, &in, &buf, &len), 0);
    char err[512];
    ck_assert_int_eq(gan_ckpt_load_mem(buf, len, "c.ckpt", m1, b1, NULL, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "G.conv.w") && strstr(err, "6x4x3x3") && strstr(err, "8x4x3x3"),
                  "%s", err);
    ck_assert_int_eq(gan_ckpt_load_mem(buf, len, "c.ckpt", m2, b2, NULL, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "G.ema2"), "%s", err);
    ck_assert_uint_ne(gan_ckpt_model_id(m), gan_ckpt_model_id(m1));
    free(buf);
    train_free_base(a);
    train_free_base(b1);
    train_free_base(b2);
    train_test_model_free(m);
    train_test_model_free(m1);
    train_test_model_free(m2);
}
END_TEST

static size_t file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) ? 0 : (size_t)st.st_size;
}

START_TEST(run_dir_keep_latest_init)
{
    gan_model *m;
    float *a[GAN_REGION_COUNT], *b[GAN_REGION_COUNT];
    setup_model(&m, a, 5);
    train_alloc_base(m, b);
    char *dir = train_tmpdir();
    ck_assert_ptr_nonnull(dir);
    char err[512], path[4096], p[4400];
    gan_ckpt_info in = some_info();
    for (int s = 1; s <= 5; s++) {
        in.step = (uint64_t)s * 10;
        a[0][0] = (float)s;
        ck_assert_msg(gan_ckpt_save_run(dir, 3, m, a, &in, path, sizeof path, err, sizeof err) == 0,
                      "%s", err);
    }
    snprintf(p, sizeof p, "%s/ckpt/step_000050.ckpt", dir);
    ck_assert_str_eq(path, p);
    /* keep 3: 10 and 20 pruned */
    snprintf(p, sizeof p, "%s/ckpt/step_000020.ckpt", dir);
    ck_assert_int_ne(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/ckpt/step_000030.ckpt", dir);
    ck_assert_int_eq(access(p, F_OK), 0);
    /* the run directory resolves to the newest */
    char res[4096];
    ck_assert_msg(gan_ckpt_resolve(dir, res, sizeof res, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(res, path);
    gan_ckpt_info out;
    ck_assert_msg(gan_ckpt_load(res, m, b, &out, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(out.step, 50);
    ck_assert(b[0][0] == 5.0f);
    /* a missing file names itself */
    snprintf(p, sizeof p, "%s/nope.ckpt", dir);
    ck_assert_int_eq(gan_ckpt_load(p, m, b, NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, p));
    /* --init into another model: matching names load, others are reported */
    gan_model *m1 = train_test_model(1);
    float *c[GAN_REGION_COUNT];
    train_alloc_base(m1, c);
    char rep[4096] = {0};
    FILE *rf = fmemopen(rep, sizeof rep - 1, "w");
    int loaded = 0;
    ck_assert_msg(gan_ckpt_load_matching(path, m1, c, rf, &loaded, err, sizeof err) == 0, "%s",
                  err);
    fclose(rf);
    ck_assert_int_eq(loaded, 7); /* 11 but G.conv.w and the flat m, v, ema sized by it */
    ck_assert_msg(strstr(rep, "G.conv.w: shape differs"), "%s", rep);
    ck_assert_msg(strstr(rep, "parameters found: G.dense.w, G.dense.b, G.bn.gamma\n"), "%s", rep);
    ck_assert(train_ptr(m1, c, "G.dense.w")[0] == 5.0f);
    train_free_base(c);
    train_test_model_free(m1);
    train_rmrf(dir);
    free(dir);
    train_free_base(a);
    train_free_base(b);
    train_test_model_free(m);
}
END_TEST

START_TEST(atomic_write_failure_keeps_previous)
{
    gan_model *m;
    float *a[GAN_REGION_COUNT];
    setup_model(&m, a, 6);
    char *dir = train_tmpdir();
    char err[512], path[4096], p[4400];
    gan_ckpt_info in = some_info();
    in.step = 100;
    ck_assert_int_eq(gan_ckpt_save_run(dir, 3, m, a, &in, path, sizeof path, err, sizeof err), 0);
    size_t good = file_size(path);
    ck_assert_uint_gt(good, 1000);
    /* 1. the write fails halfway (file size limit: what a full disk looks like) */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {good / 2, good / 2}, old;
    getrlimit(RLIMIT_FSIZE, &old);
    rl.rlim_max = old.rlim_max;
    setrlimit(RLIMIT_FSIZE, &rl);
    a[0][0] = 777.0f;
    ck_assert_int_eq(gan_ckpt_write(path, m, a, &in, err, sizeof err), -1);
    setrlimit(RLIMIT_FSIZE, &old);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_uint_eq(file_size(path), good);
    float *b[GAN_REGION_COUNT];
    train_alloc_base(m, b);
    ck_assert_msg(gan_ckpt_load(path, m, b, NULL, err, sizeof err) == 0, "%s", err);
    ck_assert(b[0][0] != 777.0f);
    /* no temporary file left behind */
    snprintf(p, sizeof p, "%s.tmp.%ld", path, (long)getpid());
    ck_assert_int_ne(access(p, F_OK), 0);
    /* 2. the directory cannot be written (a file where the ckpt dir should be) */
    snprintf(p, sizeof p, "%s/blocked", dir);
    FILE *f = fopen(p, "w");
    fclose(f);
    ck_assert_int_eq(gan_ckpt_save_run(p, 3, m, a, &in, NULL, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "blocked"));
    /* 3. latest still points at the good one */
    char res[4096];
    ck_assert_int_eq(gan_ckpt_resolve(dir, res, sizeof res, err, sizeof err), 0);
    ck_assert_str_eq(res, path);
    train_rmrf(dir);
    free(dir);
    train_free_base(a);
    train_free_base(b);
    train_test_model_free(m);
}
END_TEST

START_TEST(nonfinite_tensor_named)
{
    gan_model *m;
    float *a[GAN_REGION_COUNT];
    setup_model(&m, a, 7);
    int ip = train_find(m, "G.params");
    uint64_t off = m->tensors[ip].offset, n = m->tensors[ip].numel;
    ck_assert_int_eq(gan_find_nonfinite_tensor(m, a, GAN_REGION_PARAM, off, n), -1);
    train_ptr(m, a, "G.conv.w")[5] = NAN;
    train_ptr(m, a, "G.bn.gamma")[0] = INFINITY;
    /* the first part holding one, not the aggregate that spans it */
    ck_assert_int_eq(gan_find_nonfinite_tensor(m, a, GAN_REGION_PARAM, off, n),
                     train_find(m, "G.conv.w"));
    train_ptr(m, a, "G.conv.w")[5] = 0;
    ck_assert_int_eq(gan_find_nonfinite_tensor(m, a, GAN_REGION_PARAM, off, n),
                     train_find(m, "G.bn.gamma"));
    train_free_base(a);
    train_test_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ckpt");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, round_trip_mem);
    tcase_add_test(tc, truncated_and_flipped);
    tcase_add_test(tc, other_model_rejected);
    tcase_add_test(tc, run_dir_keep_latest_init);
    tcase_add_test(tc, atomic_write_failure_keeps_previous);
    tcase_add_test(tc, nonfinite_tensor_named);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
