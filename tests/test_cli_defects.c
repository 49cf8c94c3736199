/* Defects a new user ran into (issue "No input crashes us, no run is lost"), each held fixed:
 * ganc refuses an output that is its input (by any path) and leaves the source as it was;
 * ganc says why it cannot read a file (missing, a directory, a FIFO, far too large) without
 * blocking on a FIFO; ganrt given a .gan source where model.bin belongs says to compile it. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/bytes.h"
#include "tests/util/train_util.h"

static char g_out[16384];

static const char *tool(const char *env, const char *dflt)
{
    const char *g = getenv(env);
    return g && *g ? g : dflt;
}

static int ganc(const char *a1, const char *a2, const char *a3)
{
    char *const argv[] = {(char *)tool("GANC", "build/release/ganc"), (char *)a1, (char *)a2,
                          (char *)a3, NULL};
    return train_spawn(argv, g_out, sizeof g_out);
}

static void copy_model(const char *to)
{
    uint8_t *b;
    size_t n;
    ck_assert_int_eq(gan_read_file("models/demo.gan", &b, &n, 1 << 20, NULL, 0), 0);
    ck_assert_int_eq(gan_write_file_atomic(to, b, n, NULL, 0), 0);
    free(b);
}

START_TEST(output_over_the_source_is_refused)
{
    char *dir = train_tmpdir(), src[4400], other[4400];
    snprintf(src, sizeof src, "%s/m.gan", dir);
    copy_model(src);
    uint8_t *before, *after;
    size_t nb, na;
    ck_assert_int_eq(gan_read_file(src, &before, &nb, 1 << 20, NULL, 0), 0);
    int rc = ganc(src, "-o", src);
    ck_assert_msg(rc == 2 && strstr(g_out, "is the input file"), "exit %d: %s", rc, g_out);
    /* the same file by another name */
    snprintf(other, sizeof other, "%s/./m.gan", dir);
    rc = ganc(src, "-o", other);
    ck_assert_msg(rc == 2 && strstr(g_out, "is the input file"), "exit %d: %s", rc, g_out);
    rc = ganc(src, "--dot", other);
    ck_assert_msg(rc == 2 && strstr(g_out, "--dot"), "exit %d: %s", rc, g_out);
    ck_assert_int_eq(gan_read_file(src, &after, &na, 1 << 20, NULL, 0), 0);
    ck_assert_msg(na == nb && !memcmp(before, after, nb), "the source changed");
    free(before);
    free(after);
    train_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(unreadable_sources_say_why)
{
    char *dir = train_tmpdir(), p[4400];
    snprintf(p, sizeof p, "%s/none.gan", dir);
    int rc = ganc(p, "--check", NULL);
    ck_assert_msg(rc == 2 && strstr(g_out, "cannot read the file") &&
                  strstr(g_out, "No such file or directory"), "exit %d: %s", rc, g_out);
    rc = ganc(dir, "--check", NULL);
    ck_assert_msg(rc == 2 && strstr(g_out, "not a regular file"), "exit %d: %s", rc, g_out);
    /* a FIFO: refused at once (opening it would wait for a writer for ever) */
    snprintf(p, sizeof p, "%s/pipe.gan", dir);
    ck_assert_int_eq(mkfifo(p, 0644), 0);
    rc = ganc(p, "--check", NULL);
    ck_assert_msg(rc == 2 && strstr(g_out, "not a regular file"), "exit %d: %s", rc, g_out);
    /* 65 MiB (sparse): too large for a source, and said so */
    snprintf(p, sizeof p, "%s/huge.gan", dir);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 65 << 20), 0);
    close(fd);
    rc = ganc(p, "--check", NULL);
    ck_assert_msg(rc == 2 && strstr(g_out, "too large for a .gan source"), "exit %d: %s", rc,
                  g_out);
    train_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(a_source_given_as_model_bin)
{
    char *const argv[] = {(char *)tool("GANRT", "build/release/ganrt"), "info", "models/demo.gan",
                          NULL};
    int rc = train_spawn(argv, g_out, sizeof g_out);
    ck_assert_msg(rc == 1 && strstr(g_out, "looks like a .gan source") &&
                  strstr(g_out, "ganc models/demo.gan -o MODEL.bin"), "exit %d: %s", rc, g_out);
    /* other bytes keep the plain message */
    char *dir = train_tmpdir(), p[4400];
    snprintf(p, sizeof p, "%s/junk.bin", dir);
    ck_assert_int_eq(gan_write_file_atomic(p, "\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9, NULL, 0),
                     0);
    char *const argv2[] = {(char *)tool("GANRT", "build/release/ganrt"), "info", p, NULL};
    rc = train_spawn(argv2, g_out, sizeof g_out);
    ck_assert_msg(rc == 1 && strstr(g_out, "bad magic"), "exit %d: %s", rc, g_out);
    train_rmrf(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_defects");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, output_over_the_source_is_refused);
    tcase_add_test(tc, unreadable_sources_say_why);
    tcase_add_test(tc, a_source_given_as_model_bin);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
