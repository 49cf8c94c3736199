/* Defects a new user ran into (issue "No input crashes us, no run is lost"), each held fixed:
 * ganc refuses an output that is its input (by any path) and leaves the source as it was;
 * ganc says why it cannot read a file (missing, a directory, a FIFO, far too large) without
 * blocking on a FIFO; ganrt given a .gan source where model.bin belongs says to compile it;
 * a binary file is refused at once as not a .gan text; a network past the format's parameter
 * bound is refused with its location; the loader applies the compiler's hyperparameter bounds.
 * (The message defects of the front end are golden cases 85-92 in tests/golden/errors/.) */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/bytes.h"
#include "format/model.h"
#include "tests/util/train_util.h"

static char g_out[16384];

#define tool train_tool

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

START_TEST(a_binary_file_is_not_a_source)
{
    char *dir = train_tmpdir(), p[4400];
    snprintf(p, sizeof p, "%s/bin.gan", dir);
    uint8_t junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 131u + 7u);
    memcpy(junk, "\x7f" "ELF", 4);
    ck_assert_int_eq(gan_write_file_atomic(p, junk, sizeof junk, NULL, 0), 0);
    int rc = ganc(p, "--check", NULL);
    ck_assert_msg(rc == 1 && strstr(g_out, "does not look like a .gan text file") &&
                  strstr(g_out, "1 error generated"), "exit %d: %s", rc, g_out);
    ck_assert_msg(strlen(g_out) < 1000, "%zu bytes of messages", strlen(g_out));
    for (const char *q = g_out; *q; q++) /* every byte shown is printable (or a newline) */
        ck_assert_msg(*q == '\n' || *q == '\t' || (*q >= 0x20 && *q < 0x7f), "raw byte 0x%02x in the output",
                      (unsigned char)*q);
    train_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(parameters_past_the_format_bound_are_located)
{
    char *dir = train_tmpdir(), p[4400], o[4400];
    snprintf(p, sizeof p, "%s/big.gan", dir);
    snprintf(o, sizeof o, "%s/big.bin", dir);
    const char *src = "data faces { image 3 x 8 x 8 range [-1, 1] }\nlatent z : 8 ~ normal\n"
                      "generator G(z) -> image {\n  out = z | dense(192) | reshape(3, 8, 8) | tanh\n}\n"
                      "discriminator D(x : image) -> (adv : 1) {\n  h = x | flatten\n"
                      "  repeat 30 { h = h | dense(10000) }\n  adv = h | dense(1)\n}\n"
                      "train {\n  batch 4  steps 2\n  loss D = hinge_real(D(x).adv) + hinge_fake(D(G(z)).adv)\n"
                      "  loss G = -mean(D(G(z)).adv)\n  optimizer D = adam(lr 2e-4)\n"
                      "  optimizer G = adam(lr 2e-4)\n}\n";
    ck_assert_int_eq(gan_write_file_atomic(p, src, strlen(src), NULL, 0), 0);
    char *const argv[] = {(char *)tool("GANC", "build/release/ganc"), p, "-o", o, "--max-params",
                          "100000000000", "--max-memory", "64G", NULL};
    int rc = train_spawn(argv, g_out, sizeof g_out);
    ck_assert_msg(rc != 0 && strstr(g_out, "big.gan:6:15: error: network 'D' has") &&
                  strstr(g_out, "at most 2147483647"), "exit %d: %s", rc, g_out);
    train_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(the_loader_applies_the_compilers_bounds)
{
    char *dir = train_tmpdir(), p[4400], err[512];
    snprintf(p, sizeof p, "%s/m.bin", dir);
    ck_assert_msg(train_fx_model(p, TRAIN_FX_GAN, 1e-3f, err, sizeof err) == 0, "%s", err);
    gan_model *m = gan_model_load(p, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_int_eq(gan_model_validate(m, err, sizeof err), 0);
    gan_hyper keep = m->hyper;
    m->hyper.d_steps = 2147483647; /* signed overflow and a step without end, once */
    ck_assert_int_ne(gan_model_validate(m, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "outside what ganc accepts"), "%s", err);
    m->hyper = keep;
    m->hyper.range_lo = -3e38f;
    m->hyper.range_hi = 3e38f;
    ck_assert_int_ne(gan_model_validate(m, err, sizeof err), 0);
    m->hyper = keep;
    m->hyper.batch = GAN_HYPER_MAX_BATCH + 1;
    ck_assert_int_ne(gan_model_validate(m, err, sizeof err), 0);
    m->hyper = keep;
    gan_model_free(m);
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
    tcase_add_test(tc, a_binary_file_is_not_a_source);
    tcase_add_test(tc, parameters_past_the_format_bound_are_located);
    tcase_add_test(tc, the_loader_applies_the_compilers_bounds);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
