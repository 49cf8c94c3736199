/* ganrt train / sample command lines: usage errors exit 2 with a message; metrics.csv and the
 * progress helpers. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "runtime/train.h"
#include "tests/util/train_util.h"

static const char *ganrt(void)
{
    const char *g = getenv("GANRT");
    if (g && *g)
        return g;
    return access("build/release/ganrt", X_OK) == 0 ? "build/release/ganrt" : NULL;
}

/* runs ganrt with args; asserts the exit status and that the output contains want */
static void expect(int status, const char *want, char *const *args)
{
    const char *g = ganrt();
    if (!g) {
        fprintf(stderr, "skip: GANRT not set and build/release/ganrt missing\n");
        return;
    }
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)g;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    char out[8192];
    int rc = train_spawn(argv, out, sizeof out);
    ck_assert_msg(rc == status, "%s %s: exit %d (want %d): %s", args[0], args[1] ? args[1] : "",
                  rc, status, out);
    ck_assert_msg(strstr(out, want), "%s: want '%s' in: %s", args[0], want, out);
}

#define A(...) ((char *const[]){__VA_ARGS__, NULL})

START_TEST(usage_errors)
{
    expect(2, "Usage: ganrt", A("nope"));
    expect(0, "Usage: ganrt train", A("train", "--help"));
    expect(0, "Usage: ganrt sample", A("sample", "--help"));
    expect(0, "checkpoint format 1", A("--version"));
    expect(2, "missing MODEL.bin", A("train"));
    expect(2, "missing --data", A("train", "m.bin", "--out", "r"));
    expect(2, "missing --out", A("train", "m.bin", "--data", "d"));
    expect(2, "unknown option --stepz", A("train", "m.bin", "--stepz", "3"));
    expect(2, "'abc' is not a whole number", A("train", "m.bin", "--steps", "abc"));
    expect(2, "out of range", A("train", "m.bin", "--keep", "0", "--data", "d", "--out", "r"));
    expect(2, "needs a value", A("train", "m.bin", "--data"));
    expect(2, "not both", A("train", "m.bin", "--data", "d", "--out", "r", "--steps", "3",
                            "--epochs", "1"));
    expect(2, "exclude each other", A("train", "m.bin", "--data", "d", "--out", "r", "--resume",
                                      "--init", "x.ckpt"));
    expect(2, "unexpected argument", A("train", "a.bin", "b.bin"));
    expect(2, "missing --ckpt", A("sample", "m.bin", "-o", "x.png"));
    expect(2, "missing -o", A("sample", "m.bin", "--ckpt", "r"));
    expect(2, "--truncation: 0.01 is out of range [0.05, 10]",
           A("sample", "m.bin", "--ckpt", "r", "-o", "x.png", "--truncation", "0.01"));
    expect(2, "--truncation: 'half' is not a number",
           A("sample", "m.bin", "--ckpt", "r", "-o", "x.png", "--truncation", "half"));
    expect(2, "exclude each other", A("sample", "m.bin", "--ckpt", "r", "-o", "x.png", "--vary",
                                      "Smiling", "--interpolate"));
    expect(2, "-n: 0 is out of range", A("sample", "m.bin", "--ckpt", "r", "-o", "x.png", "-n",
                                         "0"));
    /* --precision (docs/kernels.md, bf16 GEMMs) */
    expect(0, "--precision P", A("train", "--help"));
    expect(2, "--precision takes fp32 or bf16, not 'fp16'",
           A("train", "m.bin", "--data", "d", "--out", "r", "--precision", "fp16"));
    expect(2, "--precision takes fp32 or bf16", A("sample", "m.bin", "--ckpt", "r", "-o",
                                                  "x.png", "--precision", "int8"));
    /* the reproducibility flags and commands (docs/reproducibility.md) */
    expect(0, "--dump-inputs DIR", A("train", "--help"));
    expect(0, "--metrics-per-program", A("train", "--help"));
    expect(0, "run-program", A("--help"));
    expect(0, "Usage: ganrt init", A("init", "--help"));
    expect(0, "--dump-tensors", A("run-program", "--help"));
    expect(2, "takes no --data", A("train", "m.bin", "--data", "d", "--out", "r",
                                   "--inputs-from", "x"));
    expect(2, "exclude each other", A("train", "m.bin", "--out", "r", "--inputs-from", "x",
                                      "--dump-inputs", "y"));
    expect(2, "give --steps", A("train", "m.bin", "--out", "r", "--inputs-from", "x",
                                "--epochs", "1"));
    expect(2, "missing -o FILE", A("init", "m.bin"));
    expect(2, "missing --program", A("run-program", "m.bin", "--ckpt", "c", "--inputs", "i",
                                     "-o", "s"));
    expect(2, "missing --inputs", A("run-program", "m.bin", "--ckpt", "c", "--program", "d_step",
                                    "-o", "s"));
    expect(1, "no/such/model.bin", A("init", "no/such/model.bin", "-o", "x.ckpt"));
    /* "--opt=value" works like "--opt value" */
    expect(2, "--seed: 'x' is not", A("train", "m.bin", "--seed=x"));
    /* work failures (a model that does not exist) are status 1 and name the file */
    expect(1, "no/such/model.bin", A("train", "no/such/model.bin", "--data", "d", "--out", "r"));
    expect(1, "no/such/model.bin", A("sample", "no/such/model.bin", "--ckpt", "r", "-o", "x.png"));
}
END_TEST

START_TEST(metrics_csv)
{
    char *dir = train_tmpdir();
    char path[4200], err[512], text[4096];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    const char *cols[] = {"d_step.loss", "g_step.loss"};
    gan_metrics *mt = gan_metrics_open(path, 2, cols, 0, err, sizeof err);
    ck_assert_msg(mt != NULL, "%s", err);
    for (int s = 1; s <= 5; s++) {
        double v[2] = {s * 0.5, -s * 1.0};
        ck_assert_int_eq(gan_metrics_row(mt, s, s * 0.1, v, 100.0), 0);
    }
    gan_metrics_close(mt);
    /* a resume from step 3 drops rows 4 and 5, then appends */
    mt = gan_metrics_open(path, 2, cols, 3, err, sizeof err);
    ck_assert_msg(mt != NULL, "%s", err);
    ck_assert(gan_metrics_last_time(mt) == 0.3); /* the clock continues from step 3's row */
    double v[2] = {9, 9};
    gan_metrics_row(mt, 4, 1.0, v, 50.0);
    gan_metrics_close(mt);
    FILE *f = fopen(path, "r");
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    ck_assert_msg(!strncmp(text, "step,time_s,d_step.loss,g_step.loss,images_per_s\n1,", 51), "%s",
                  text);
    ck_assert_msg(strstr(text, "\n3,0.300,1.5,-3,100.0\n4,1.000,9,9,50.0\n") &&
                      !strstr(text, "\n5,"), "%s", text);
    train_rmrf(dir);
    free(dir);
}
END_TEST

/* --metrics-per-program: one row per run, only that program's columns filled; full float
 * precision; a resume must not switch between the two forms. */
START_TEST(metrics_per_program_csv)
{
    char *dir = train_tmpdir();
    char path[4200], err[512], text[4096];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    const char *cols[] = {"d_loss", "d_loss_real", "g_loss"};
    gan_metrics *mt = gan_metrics_open_runs(path, 3, cols, 0, err, sizeof err);
    ck_assert_msg(mt != NULL, "%s", err);
    double d[2] = {0.1f, 1.0 / 3}, g[1] = {2.5};
    ck_assert_int_eq(gan_metrics_run_row(mt, 1, 1, "d_step", 0.25, 0, 2, d, 64), 0);
    ck_assert_int_eq(gan_metrics_run_row(mt, 1, 2, "g_step", 0.5, 2, 1, g, 0), 0);
    gan_metrics_close(mt);
    FILE *f = fopen(path, "r");
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    /* 0.1f is 0.100000001490116..., which %.6g would print as 0.1 */
    ck_assert_str_eq(text, "step,run,program,time_s,d_loss,d_loss_real,g_loss,images_per_s\n"
                           "1,1,d_step,0.250,0.100000001,0.333333333,,64.0\n"
                           "1,2,g_step,0.500,,,2.5,0.0\n");
    /* the per-step form on this file: refused, with the file named */
    mt = gan_metrics_open(path, 3, cols, 1, err, sizeof err);
    ck_assert_ptr_null(mt);
    ck_assert_msg(strstr(err, path) && strstr(err, "--metrics-per-program"), "%s", err);
    mt = gan_metrics_open_runs(path, 3, cols, 1, err, sizeof err);
    ck_assert_msg(mt != NULL, "%s", err);
    gan_metrics_close(mt);
    train_rmrf(dir);
    free(dir);
}
END_TEST

/* A new metrics.csv whose header cannot be written (a file size limit: what a full disk looks
 * like) is refused at open, with the file and the reason named; a row that cannot be written
 * is an error too, not a row silently cut. */
START_TEST(metrics_write_failures)
{
    char *dir = train_tmpdir();
    char path[4200], err[512] = "";
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    const char *cols[] = {"d_step.loss", "g_step.loss"};
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, rl;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    rl.rlim_cur = 8; /* less than the header */
    rl.rlim_max = old.rlim_max;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    gan_metrics *mt = gan_metrics_open(path, 2, cols, -1, err, sizeof err);
    setrlimit(RLIMIT_FSIZE, &old);
    ck_assert_ptr_null(mt);
    ck_assert_msg(strstr(err, path) && strstr(err, "write failed: File too large"), "%s", err);
    unlink(path);
    /* the header fits, the first row does not */
    mt = gan_metrics_open(path, 2, cols, -1, err, sizeof err);
    ck_assert_msg(mt != NULL, "%s", err);
    rl.rlim_cur = 60;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    double v[2] = {0.5, -1};
    int rc = gan_metrics_row(mt, 1, 0.1, v, 100.0);
    gan_metrics_close(mt);
    setrlimit(RLIMIT_FSIZE, &old);
    ck_assert_int_eq(rc, -1);
    train_rmrf(dir);
    free(dir);
}
END_TEST

/* one tty progress line at step 10 of total, `elapsed` seconds in, `left` of a budget */
static void budget_line(char *buf, size_t len, long long total, double elapsed, double left)
{
    memset(buf, 0, len);
    FILE *f = fmemopen(buf, len - 1, "w");
    gan_progress p;
    gan_progress_init(&p, f, 1, 0, total);
    p.t0 -= elapsed;
    gan_progress_budget(&p, left);
    const char *names[] = {"D", "G"};
    double vals[] = {0.5, 1.25};
    gan_progress_update(&p, 10, 2, names, vals, 10.0, 1);
    gan_progress_end(&p);
    fclose(f);
}

START_TEST(progress_lines)
{
    char buf[2048] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    gan_progress p;
    gan_progress_init(&p, f, 0, 0, 100);
    const char *names[] = {"D", "G"};
    double vals[] = {0.5, 1.25};
    gan_progress_update(&p, 1, 2, names, vals, 321.0, 0);
    gan_progress_update(&p, 2, 2, names, vals, 321.0, 0); /* not due: suppressed */
    gan_progress_update(&p, 100, 2, names, vals, 321.0, 1);
    gan_progress_end(&p);
    fclose(f);
    ck_assert_msg(strstr(buf, "step 1/100  D 0.5000  G 1.2500  321 img/s"), "%s", buf);
    ck_assert_msg(!strstr(buf, "step 2/100"), "%s", buf);
    ck_assert_msg(strstr(buf, "step 100/100"), "%s", buf);
    ck_assert(!strchr(buf, '\r')); /* plain mode: no in-place redraw */
    memset(buf, 0, sizeof buf);
    f = fmemopen(buf, sizeof buf - 1, "w");
    gan_progress_init(&p, f, 1, 0, 10);
    gan_progress_update(&p, 5, 2, names, vals, 10.0, 1);
    gan_progress_end(&p);
    fclose(f);
    ck_assert_msg(buf[0] == '\r' && strstr(buf, "[##########..........] step 5/10"), "%s", buf);
    /* a time budget that ends the run before its last step: the ETA and the bar follow it */
    memset(buf, 0, sizeof buf);
    f = fmemopen(buf, sizeof buf - 1, "w");
    gan_progress_init(&p, f, 0, 0, 100000);
    p.t0 -= 60; /* one minute in */
    gan_progress_budget(&p, 120);
    gan_progress_update(&p, 10, 2, names, vals, 10.0, 1);
    gan_progress_budget(&p, -5); /* overrun: nothing left, never negative */
    gan_progress_update(&p, 11, 2, names, vals, 10.0, 1);
    fclose(f);
    ck_assert_msg(strstr(buf, "step 10/100000") && strstr(buf, "ETA 2:00 (budget)"), "%s", buf);
    ck_assert_msg(strstr(buf, "step 11/100000") && strstr(buf, "ETA 0:00 (budget)"), "%s", buf);
    /* the budget further than the steps: the steps' ETA, no budget mark; nearer: the bar
     * shows the budget's share of the time */
    budget_line(buf, sizeof buf, 20, 10, 3600);
    ck_assert_msg(strstr(buf, "[##########..........] step 10/20") && !strstr(buf, "budget"),
                  "%s", buf);
    budget_line(buf, sizeof buf, 100000, 30, 30);
    ck_assert_msg(strstr(buf, "[##########..........] step 10/100000"), "%s", buf);
    char d[32];
    gan_format_duration(3725, d, sizeof d);
    ck_assert_str_eq(d, "1:02:05");
    gan_format_duration(65, d, sizeof d);
    ck_assert_str_eq(d, "1:05");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train_cli");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, usage_errors);
    tcase_add_test(tc, metrics_csv);
    tcase_add_test(tc, metrics_per_program_csv);
    tcase_add_test(tc, metrics_write_failures);
    tcase_add_test(tc, progress_lines);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
