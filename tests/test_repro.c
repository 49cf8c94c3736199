/* Runs anyone can check (docs/reproducibility.md), end to end through the ganrt binary on the
 * tiny conditional GAN of tests/util/train_fixture.c (8x8, batch 8, d_steps 2, EMA on G):
 *  - `ganrt init` and `train --ckpt-initial` write the same step-0 file, and training on from
 *    it (a resume) reaches the checkpoint of a run from scratch, byte for byte;
 *  - `train --dump-inputs` writes every program run's inputs as .npy, and `--inputs-from`
 *    replays them into a byte-identical checkpoint, with no data and no latent draws;
 *  - `run-program` d_step, d_step, g_step on the step-1 checkpoint with step 2's dumps
 *    writes step 2's checkpoint byte for byte, and --dump-tensors matches the metrics;
 *  - bad input (a missing directory, a .npy of the wrong shape or dtype, an unknown program
 *    or tensor) is a located message and exit status 1.
 * Plus the .npy reader and writer in-process. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/bytes.h"
#include "runtime/train.h"
#include "runtime/train/npy.h"
#include "tests/util/train_util.h"

static char *g_dir;
static char g_model[4200], g_data[4200], g_out[16384];

static const char *ganrt(void)
{
    const char *g = getenv("GANRT");
    return g && *g ? g : "build/release/ganrt";
}

static int run(const char *first, ...)
{
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)ganrt();
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s && n < 63; s = va_arg(ap, const char *))
        argv[n++] = (char *)s;
    va_end(ap);
    argv[n] = NULL;
    return train_spawn(argv, g_out, sizeof g_out);
}

static char *path(const char *rel)
{
    static char bufs[8][4400];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", g_dir, rel);
    return b;
}

static void setup(void)
{
    g_dir = train_tmpdir();
    ck_assert_ptr_nonnull(g_dir);
    char err[1024];
    snprintf(g_model, sizeof g_model, "%s/model.bin", g_dir);
    snprintf(g_data, sizeof g_data, "%s/data", g_dir);
    ck_assert_msg(train_fx_model(g_model, TRAIN_FX_GAN, 0, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(train_fx_data(g_data, 40, err, sizeof err) == 0, "%s", err);
}

static void teardown(void)
{
    train_rmrf(g_dir);
    free(g_dir);
}

static unsigned char *slurp(const char *p, size_t *len)
{
    uint8_t *b;
    return gan_read_file(p, &b, len, SIZE_MAX, NULL, 0) ? NULL : b;
}

static void assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    unsigned char *x = slurp(a, &la), *y = slurp(b, &lb);
    ck_assert_msg(x && y, "%s or %s missing", a, b);
    ck_assert_msg(la == lb && !memcmp(x, y, la), "%s and %s differ", a, b);
    free(x);
    free(y);
}

/* A: 3 steps from scratch, with the step-0 checkpoint, every input dumped and a row per
 * program run; every checkpoint kept. Same seed and threads everywhere below. */
static void train_a(void)
{
    int rc = run("train", g_model, "--data", g_data, "--out", path("A"), "--steps", "3",
                 "--threads", "2", "--seed", "7", "--ckpt-every", "1", "--keep", "10",
                 "--sample-every", "0", "--ckpt-initial", "--dump-inputs", path("dump"),
                 "--metrics-per-program", NULL);
    ck_assert_msg(rc == 0, "train A: exit %d: %s", rc, g_out);
}

START_TEST(init_is_step_zero_and_resumes)
{
    setup();
    train_a();
    int rc = run("init", g_model, "--seed", "7", "-o", path("init.ckpt"), NULL);
    ck_assert_msg(rc == 0, "init: exit %d: %s", rc, g_out);
    assert_same_file(path("init.ckpt"), path("A/ckpt/step_000000.ckpt"));
    /* the extra checkpoint and the dumps change nothing: a plain run reaches the same state */
    rc = run("train", g_model, "--data", g_data, "--out", path("P"), "--steps", "3", "--threads",
             "2", "--seed", "7", "--sample-every", "0", NULL);
    ck_assert_msg(rc == 0, "train P: exit %d: %s", rc, g_out);
    assert_same_file(path("P/ckpt/step_000003.ckpt"), path("A/ckpt/step_000003.ckpt"));
    /* B: a run directory holding only init's file, resumed to step 3 */
    char err[512];
    ck_assert_msg(gan_mkdirs(path("B/ckpt"), err, sizeof err) == 0, "%s", err);
    size_t n;
    unsigned char *ck = slurp(path("init.ckpt"), &n);
    ck_assert_ptr_nonnull(ck);
    ck_assert_int_eq(gan_write_file_atomic(path("B/ckpt/step_000000.ckpt"), ck, n, err,
                                           sizeof err), 0);
    free(ck);
    ck_assert_int_eq(gan_write_file_atomic(path("B/ckpt/latest"), "step_000000.ckpt\n", 17, err,
                                           sizeof err), 0);
    rc = run("train", g_model, "--data", g_data, "--out", path("B"), "--steps", "3", "--threads",
             "2", "--resume", "--sample-every", "0", NULL);
    ck_assert_msg(rc == 0, "train B: exit %d: %s", rc, g_out);
    assert_same_file(path("B/ckpt/step_000003.ckpt"), path("A/ckpt/step_000003.ckpt"));
    teardown();
}
END_TEST

/* The loss columns of a --metrics-per-program file with the time and rate columns cut out. */
static char *losses_only(const char *file)
{
    size_t n;
    char *t = (char *)slurp(file, &n);
    ck_assert_ptr_nonnull(t);
    char *out = calloc(n + 1, 1), *o = out;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        int col = 0;
        char *last = strrchr(line, ',');
        for (char *c = line; c && c < last; col++) {
            char *e = strchr(c, ',');
            if (col != 3) /* step,run,program,time_s,... */
                o += sprintf(o, "%.*s,", (int)(e - c), c);
            c = e + 1;
        }
        *o++ = '\n';
    }
    free(t);
    return out;
}

START_TEST(dump_and_replay)
{
    setup();
    train_a();
    /* the layout: one directory per run, the batch's files where the program reads one */
    static const char *const files[] = {
        "step_000001/run1_d_step/image.npy", "step_000001/run1_d_step/labels.npy",
        "step_000001/run1_d_step/z.npy", "step_000001/run1_d_step/ids.npy",
        "step_000001/run1_d_step/state.npy", "step_000001/run2_d_step/image.npy",
        "step_000003/run3_g_step/z.npy", "step_000003/run3_g_step/labels.npy"};
    char rel[256];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(rel, sizeof rel, "dump/%s", files[i]);
        ck_assert_msg(access(path(rel), F_OK) == 0, "%s missing", rel);
    }
    ck_assert(access(path("dump/step_000001/run3_g_step/image.npy"), F_OK) != 0);
    /* what is in them: images in [-1, 1], 0/1 labels, the images' numbers from 1 */
    float img[8 * 3 * 8 * 8], lbl[8 * 3];
    int64_t ids[8];
    char err[1024];
    ck_assert_msg(gan_npy_read(path("dump/step_000001/run1_d_step/image.npy"), GAN_NPY_F32, 4,
                               (int64_t[]){8, 3, 8, 8}, img, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(gan_npy_read(path("dump/step_000001/run1_d_step/labels.npy"), GAN_NPY_F32, 2,
                               (int64_t[]){8, 3}, lbl, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(gan_npy_read(path("dump/step_000001/run1_d_step/ids.npy"), GAN_NPY_I64, 1,
                               (int64_t[]){8}, ids, err, sizeof err) == 0, "%s", err);
    for (size_t i = 0; i < sizeof img / sizeof img[0]; i++)
        ck_assert(img[i] >= -1.0f && img[i] <= 1.0f);
    for (size_t i = 0; i < sizeof lbl / sizeof lbl[0]; i++)
        ck_assert(lbl[i] == 0.0f || lbl[i] == 1.0f);
    for (int i = 0; i < 8; i++)
        ck_assert(ids[i] >= 1 && ids[i] <= 40);
    /* R: the same three steps from the dumps alone */
    int rc = run("train", g_model, "--inputs-from", path("dump"), "--out", path("R"), "--steps",
                 "3", "--threads", "2", "--seed", "7", "--ckpt-every", "1", "--keep", "10",
                 "--sample-every", "0", "--metrics-per-program", NULL);
    ck_assert_msg(rc == 0, "replay: exit %d: %s", rc, g_out);
    for (int s = 1; s <= 3; s++) {
        snprintf(rel, sizeof rel, "ckpt/step_%06d.ckpt", s);
        char a[300], r[300];
        snprintf(a, sizeof a, "A/%s", rel);
        snprintf(r, sizeof r, "R/%s", rel);
        assert_same_file(path(a), path(r));
    }
    char *la = losses_only(path("A/metrics.csv")), *lr = losses_only(path("R/metrics.csv"));
    ck_assert_str_eq(la, lr);
    ck_assert_msg(strstr(la, "3,3,g_step,") != NULL, "%s", la); /* 9 rows: d, d, g per step */
    free(la);
    free(lr);
    teardown();
}
END_TEST

/* Value of column `name` in the row of metrics.csv that starts with `row_prefix`. */
static double metric(const char *file, const char *row_prefix, const char *name)
{
    size_t n;
    char *t = (char *)slurp(file, &n);
    ck_assert_ptr_nonnull(t);
    int col = -1, k = 0;
    for (char *c = t; c && *c != '\n'; k++) {
        size_t len = strcspn(c, ",\n");
        if (len == strlen(name) && !strncmp(c, name, len))
            col = k;
        c = c[len] == ',' ? c + len + 1 : NULL;
    }
    ck_assert_msg(col >= 0, "no column %s in %s", name, file);
    char *row = strstr(t, row_prefix);
    ck_assert_msg(row != NULL, "no row %s", row_prefix);
    for (int i = 0; i < col; i++)
        row = strchr(row, ',') + 1;
    double v = strtod(row, NULL);
    free(t);
    return v;
}

START_TEST(run_program_matches_train)
{
    setup();
    train_a();
    /* step 2 = d_step, d_step, g_step on the step-1 state, with step 2's recorded inputs */
    int rc = run("run-program", g_model, "--ckpt", path("A/ckpt/step_000001.ckpt"), "--program",
                 "d_step", "--inputs", path("dump/step_000002/run1_d_step"), "-o",
                 path("s1.ckpt"), "--threads", "2", NULL);
    ck_assert_msg(rc == 0, "run-program 1: exit %d: %s", rc, g_out);
    rc = run("run-program", g_model, "--ckpt", path("s1.ckpt"), "--program", "d_step", "--inputs",
             path("dump/step_000002/run2_d_step"), "-o", path("s2.ckpt"), "--threads", "2",
             "--dump-tensors", "D.grads,d_step.loss,d_step.loss1", "--dump-dir", path("t"),
             NULL);
    ck_assert_msg(rc == 0, "run-program 2: exit %d: %s", rc, g_out);
    rc = run("run-program", g_model, "--ckpt", path("s2.ckpt"), "--program", "g_step", "--inputs",
             path("dump/step_000002/run3_g_step"), "-o", path("s3.ckpt"), "--threads", "2",
             "--step", "2", NULL);
    ck_assert_msg(rc == 0, "run-program 3: exit %d: %s", rc, g_out);
    assert_same_file(path("s3.ckpt"), path("A/ckpt/step_000002.ckpt"));
    /* the dumped losses are the ones train printed (a 1-element mean is the value itself) */
    float l[1], l1[1];
    char err[1024];
    ck_assert_msg(gan_npy_read(path("t/d_step.loss.npy"), GAN_NPY_F32, 1, (int64_t[]){1}, l, err,
                               sizeof err) == 0, "%s", err);
    ck_assert_msg(gan_npy_read(path("t/d_step.loss1.npy"), GAN_NPY_F32, 1, (int64_t[]){1}, l1,
                               err, sizeof err) == 0, "%s", err);
    ck_assert_float_eq(l[0], (float)metric(path("A/metrics.csv"), "\n2,2,d_step,", "d_loss"));
    ck_assert_float_eq(l1[0],
                       (float)metric(path("A/metrics.csv"), "\n2,2,d_step,", "d_loss_real"));
    ck_assert(access(path("t/D.grads.npy"), F_OK) == 0);
    teardown();
}
END_TEST

static void expect_fail(const char *what, const char *want1, const char *want2)
{
    ck_assert_msg(strstr(g_out, want1) && (!want2 || strstr(g_out, want2)),
                  "%s: expected '%s'%s%s in: %s", what, want1, want2 ? " and " : "",
                  want2 ? want2 : "", g_out);
}

START_TEST(bad_inputs)
{
    setup();
    train_a();
    int rc = run("train", g_model, "--inputs-from", path("nodir"), "--out", path("X"), "--steps",
                 "1", NULL);
    ck_assert_int_eq(rc, 1);
    expect_fail("missing dir", "nodir", "no such directory");
    /* fewer steps recorded than asked for: names the file that is not there */
    rc = run("train", g_model, "--inputs-from", path("dump"), "--out", path("Y"), "--steps", "4",
             "--threads", "2", "--seed", "7", "--sample-every", "0", NULL);
    ck_assert_int_eq(rc, 1);
    expect_fail("step 4", "step_000004/run1_d_step/image.npy", "step 4");
    /* z of the wrong shape, then of the wrong dtype */
    char err[1024];
    float z[64] = {0};
    ck_assert_int_eq(gan_npy_write(path("dump/step_000002/run1_d_step/z.npy"), GAN_NPY_F32, 2,
                                   (int64_t[]){4, 16}, z, err, sizeof err), 0);
    rc = run("train", g_model, "--inputs-from", path("dump"), "--out", path("Z"), "--steps", "2",
             "--threads", "2", "--seed", "7", "--sample-every", "0", NULL);
    ck_assert_int_eq(rc, 1);
    expect_fail("shape", "step_000002/run1_d_step/z.npy: shape (4, 16), expected (8, ", NULL);
    rc = run("run-program", g_model, "--ckpt", path("A/ckpt/step_000001.ckpt"), "--program",
             "d_step", "--inputs", path("dump/step_000002/run1_d_step"), "-o", path("o.ckpt"),
             NULL);
    ck_assert_int_eq(rc, 1);
    expect_fail("run-program shape", "run1_d_step/z.npy: shape (4, 16)", NULL);
    ck_assert(access(path("o.ckpt"), F_OK) != 0);
    int64_t iz[64] = {0};
    ck_assert_int_eq(gan_npy_write(path("dump/step_000002/run1_d_step/z.npy"), GAN_NPY_I64, 2,
                                   (int64_t[]){8, 8}, iz, err, sizeof err), 0);
    rc = run("run-program", g_model, "--ckpt", path("A/ckpt/step_000001.ckpt"), "--program",
             "d_step", "--inputs", path("dump/step_000002/run1_d_step"), "-o", path("o.ckpt"),
             NULL);
    ck_assert_int_eq(rc, 1);
    expect_fail("dtype", "z.npy: dtype '<i8', expected '<f4'", NULL);
    /* unknown program, unknown tensor, a tensor of another program */
    const char *in = path("dump/step_000001/run1_d_step");
    rc = run("run-program", g_model, "--ckpt", path("A/ckpt/step_000000.ckpt"), "--program",
             "dstep", "--inputs", in, "-o", path("o.ckpt"), NULL);
    ck_assert_int_eq(rc, 1);
    expect_fail("program", "--program dstep: the model has no such program", "d_step, g_step");
    rc = run("run-program", g_model, "--ckpt", path("A/ckpt/step_000000.ckpt"), "--program",
             "d_step", "--inputs", in, "-o", path("o.ckpt"), "--dump-tensors", "D.grads,D.gradz",
             NULL);
    ck_assert_int_eq(rc, 1);
    expect_fail("tensor", "no tensor 'D.gradz'", "did you mean 'D.grads'");
    rc = run("run-program", g_model, "--ckpt", path("A/ckpt/step_000000.ckpt"), "--program",
             "d_step", "--inputs", in, "-o", path("o.ckpt"), "--dump-tensors", "g_step.loss",
             NULL);
    ck_assert_int_eq(rc, 1);
    expect_fail("other program", "g_step.loss is not a tensor of program d_step", NULL);
    ck_assert(access(path("o.ckpt"), F_OK) != 0);
    teardown();
}
END_TEST

START_TEST(npy_round_trip)
{
    char *dir = train_tmpdir();
    char p[4200], err[1024];
    snprintf(p, sizeof p, "%s/a.npy", dir);
    float x[6] = {1, -2, 3.5f, 0.1f, 1e-30f, -0.0f}, y[6];
    ck_assert_int_eq(gan_npy_write(p, GAN_NPY_F32, 2, (int64_t[]){2, 3}, x, err, sizeof err), 0);
    ck_assert_msg(gan_npy_read(p, GAN_NPY_F32, 2, (int64_t[]){2, 3}, y, err, sizeof err) == 0,
                  "%s", err);
    ck_assert(!memcmp(x, y, sizeof x));
    /* numpy's layout: magic, version 1.0, a header padded to 64 bytes ending in '\n' */
    size_t n;
    unsigned char *b = slurp(p, &n);
    ck_assert(!memcmp(b, "\x93NUMPY\x01\x00", 8));
    size_t hl = b[8] | (size_t)b[9] << 8;
    ck_assert_uint_eq((10 + hl) % 64, 0);
    ck_assert_int_eq(b[9 + hl], '\n');
    ck_assert_uint_eq(n, 10 + hl + sizeof x);
    ck_assert_msg(strstr((char *)b + 10, "'shape': (2, 3), }") != NULL, "%.*s", (int)hl, b + 10);
    /* a 1-d shape is written "(6,)" */
    ck_assert_int_eq(gan_npy_write(p, GAN_NPY_F32, 1, (int64_t[]){6}, x, err, sizeof err), 0);
    ck_assert_int_eq(gan_npy_read(p, GAN_NPY_F32, 2, (int64_t[]){2, 3}, y, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "shape (6,), expected (2, 3)"), "%s", err);
    /* truncated data, a file that is not .npy */
    free(b);
    b = slurp(p, &n);
    ck_assert_int_eq(gan_write_file_atomic(p, b, n - 4, err, sizeof err), 0);
    ck_assert_int_eq(gan_npy_read(p, GAN_NPY_F32, 1, (int64_t[]){6}, y, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "20 data bytes, expected 24"), "%s", err);
    ck_assert_int_eq(gan_write_file_atomic(p, "hello", 5, err, sizeof err), 0);
    ck_assert_int_eq(gan_npy_read(p, GAN_NPY_F32, 1, (int64_t[]){6}, y, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not a .npy file") && strstr(err, p), "%s", err);
    free(b);
    train_rmrf(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("repro");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, init_is_step_zero_and_resumes);
    tcase_add_test(tc, dump_and_replay);
    tcase_add_test(tc, run_program_matches_train);
    tcase_add_test(tc, bad_inputs);
    tcase_add_test(tc, npy_round_trip);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
