/* ganrt train and its run directory, as a new user ran into them (issue "No input crashes us,
 * no run is lost"): `--out r/` prints r/ckpt, not r//ckpt; --resume with another --data is
 * refused (RUN/data.txt), the same data moved elsewhere is not; a killed writer's
 * step_N.ckpt.tmp.PID is removed when the run is taken up again; model.bin is 0644 like every
 * other output; a FIFO given as model.bin, checkpoint or RUN/ckpt/latest, and a device as
 * RUN/metrics.csv, are refused at once. */
#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/bytes.h"
#include "tests/util/train_util.h"

static char g_out[16384];
static char *g_dir;
static char g_model[4400], g_data[4400];

static int ganrt(char *a1, char *a2, char *a3, char *a4, char *a5, char *a6, char *a7,
                 char *a8, char *a9)
{
    char *const argv[] = {(char *)train_tool("GANRT", "build/release/ganrt"), a1, a2, a3, a4, a5,
                          a6, a7, a8, a9, NULL};
    return train_spawn(argv, g_out, sizeof g_out);
}

static void setup(void)
{
    char err[512];
    g_dir = train_tmpdir();
    snprintf(g_model, sizeof g_model, "%s/m.bin", g_dir);
    snprintf(g_data, sizeof g_data, "%s/data", g_dir);
    ck_assert_msg(train_fx_model(g_model, TRAIN_FX_GAN, 0, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(train_fx_data(g_data, 16, err, sizeof err) == 0, "%s", err);
}

static void teardown(void)
{
    train_rmrf(g_dir);
    free(g_dir);
}

static int tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += strstr(de->d_name, ".tmp.") != NULL;
    if (d)
        closedir(d);
    return n;
}

START_TEST(run_directory_with_a_slash)
{
    char out[4400];
    snprintf(out, sizeof out, "%s/r/", g_dir);
    int rc = ganrt("train", g_model, "--data", g_data, "--out", out, "--steps", "1", NULL);
    ck_assert_msg(rc == 0 && strstr(g_out, "/r/ckpt/step_000001.ckpt") && !strstr(g_out, "//"),
                  "exit %d: %s", rc, g_out);
}
END_TEST

START_TEST(resume_with_other_data_is_refused)
{
    char run[4400], other[4400], moved[4400], err[512], stale[4600], ck[4500];
    snprintf(run, sizeof run, "%s/run", g_dir);
    snprintf(other, sizeof other, "%s/other", g_dir);
    snprintf(moved, sizeof moved, "%s/moved", g_dir);
    ck_assert_int_eq(ganrt("train", g_model, "--data", g_data, "--out", run, "--steps", "1", NULL),
                     0);
    ck_assert_msg(train_fx_data(other, 24, err, sizeof err) == 0, "%s", err);
    int rc = ganrt("train", g_model, "--data", other, "--out", run, "--resume", "--steps", "2");
    ck_assert_msg(rc == 1 && strstr(g_out, "is not the data set this run was trained on") &&
                  strstr(g_out, "images 16") && strstr(g_out, "images 24"), "exit %d: %s", rc,
                  g_out);
    /* the same data set in another folder resumes; a killed writer's temporary goes */
    ck_assert_int_eq(rename(g_data, moved), 0);
    snprintf(ck, sizeof ck, "%s/ckpt", run);
    snprintf(stale, sizeof stale, "%s/step_000002.ckpt.tmp.999999999", ck);
    ck_assert_int_eq(gan_write_file_atomic(stale, "partial", 7, NULL, 0), 0);
    ck_assert_int_eq(tmp_files(ck), 1);
    rc = ganrt("train", g_model, "--data", moved, "--out", run, "--resume", "--steps", "2");
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    ck_assert_int_eq(tmp_files(ck), 0);
    ck_assert_int_eq(rename(moved, g_data), 0);
}
END_TEST

START_TEST(model_bin_is_0644)
{
    char src[4400], bin[4400];
    snprintf(src, sizeof src, "%s/demo.gan", g_dir);
    snprintf(bin, sizeof bin, "%s/demo.bin", g_dir);
    uint8_t *b;
    size_t n;
    ck_assert_int_eq(gan_read_file("models/demo.gan", &b, &n, 1 << 20, NULL, 0), 0);
    ck_assert_int_eq(gan_write_file_atomic(src, b, n, NULL, 0), 0);
    free(b);
    umask(022);
    char *const argv[] = {(char *)train_tool("GANC", "build/release/ganc"), src, "-o", bin, NULL};
    ck_assert_int_eq(train_spawn(argv, g_out, sizeof g_out), 0);
    struct stat st;
    ck_assert_int_eq(stat(bin, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
}
END_TEST

START_TEST(fifos_are_refused_at_once)
{
    char fifo[4400], run[4400], latest[4500], png[4400];
    snprintf(fifo, sizeof fifo, "%s/pipe", g_dir);
    ck_assert_int_eq(mkfifo(fifo, 0644), 0);
    alarm(30); /* a hang fails the test rather than the suite's timeout */
    int rc = ganrt("info", fifo, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    ck_assert_msg(rc == 1 && strstr(g_out, "not a regular file"), "exit %d: %s", rc, g_out);
    rc = ganrt("info", g_model, "--ckpt", fifo, NULL, NULL, NULL, NULL, NULL);
    ck_assert_msg(rc != 0 && strstr(g_out, "not a regular file"), "exit %d: %s", rc, g_out);
    /* RUN/ckpt/latest as a FIFO */
    snprintf(run, sizeof run, "%s/frun", g_dir);
    ck_assert_int_eq(ganrt("train", g_model, "--data", g_data, "--out", run, "--steps", "1", NULL),
                     0);
    snprintf(latest, sizeof latest, "%s/ckpt/latest", run);
    ck_assert_int_eq(unlink(latest), 0);
    ck_assert_int_eq(mkfifo(latest, 0644), 0);
    snprintf(png, sizeof png, "%s/x.png", g_dir);
    rc = ganrt("sample", g_model, "--ckpt", run, "-o", png, NULL, NULL, NULL);
    ck_assert_msg(rc == 1 && strstr(g_out, "not a regular file"), "exit %d: %s", rc, g_out);
    /* RUN/metrics.csv a link to a device: refused, not read for ever (only read: /dev/zero) */
    char run2[4400], metrics[4500];
    snprintf(run2, sizeof run2, "%s/zrun", g_dir);
    ck_assert_int_eq(mkdir(run2, 0755), 0);
    snprintf(metrics, sizeof metrics, "%s/metrics.csv", run2);
    ck_assert_int_eq(symlink("/dev/zero", metrics), 0);
    rc = ganrt("train", g_model, "--data", g_data, "--out", run2, "--steps", "1", NULL);
    ck_assert_msg(rc == 1 && strstr(g_out, "metrics.csv: exists and is not a regular file"),
                  "exit %d: %s", rc, g_out);
    alarm(0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("run_defects");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, run_directory_with_a_slash);
    tcase_add_test(tc, resume_with_other_data_is_refused);
    tcase_add_test(tc, model_bin_is_0644);
    tcase_add_test(tc, fifos_are_refused_at_once);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
