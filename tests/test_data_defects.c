/* Loader defects of issue 13, each held fixed: the missing attribute file's path said once;
 * the categorical note's count under --limit; a label file that is /dev/zero (or huge) is
 * refused, not read until memory runs out; an unreadable data folder is "permission denied";
 * `ganrt data synth` refuses a folder that is not empty unless --force. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>

#include "runtime/data.h"
#include "format/model.h"
#include "tests/util/data_util.h"
#include "tests/util/layout_util.h"
#include "tests/util/train_util.h"

static char *dir;
static void setup(void) { dir = train_tmpdir(); }
static void teardown(void) {
    chmod(dir, 0755);
    train_rmrf(dir);
    free(dir);
}

static const char names2[2][64] = {"Male", "Smiling"};

static gan_loader_opts opts(int kind) {
    gan_loader_opts o = {.dir = dir, .c = 3, .h = 8, .w = 8, .lo = -1, .hi = 1, .label_kind = kind,
                         .n_labels = 2, .label_names = names2, .batch = 2, .seed = 1};
    return o;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++) n++;
    return n;
}

START_TEST(missing_attribute_file_named_once) {
    ck_assert_int_eq(layout_mkdirs(dir, "img_align_celeba"), 0);
    ck_assert_int_eq(layout_write_image(dir, "img_align_celeba/000001.png", 9, 9, 1, 1), 0);
    gan_loader_opts o = opts(GAN_LABELS_MULTI);
    char err[1024] = "", want[4400];
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    snprintf(want, sizeof want, "%s/list_attr_celeba.txt", dir);
    ck_assert_msg(strstr(err, want) && count(err, dir) == 1, "%s", err);
    /* a parse error still names the folder (once) and the line */
    snprintf(want, sizeof want, "%s/list_attr_celeba.txt", dir);
    ck_assert_int_eq(data_write_text(want, "1\nMale Smiling\n000001.png 1\n"), 0);
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    ck_assert_msg(strstr(err, "list_attr_celeba.txt:3: expected 2 values") && count(err, dir) == 1,
                  "%s", err);
}
END_TEST

START_TEST(limit_note_counts_the_rows_looked_at) {
    /* data_make_set: attribute a of image i is +1 when (i >> (a % 5)) & 1; Male is index 20
       (bit 0), Smiling 31 (bit 1): images 0, 4, 8, ... have neither. */
    ck_assert_int_eq(data_make_set(dir, 16, 8, 8, 0), 0);
    gan_loader_opts o = opts(GAN_LABELS_CATEGORICAL);
    o.limit = 5; /* rows 0..6 are looked at: 0 and 4 have no class, 5 are kept */
    char err[1024] = "";
    capture_begin(dir);
    gan_loader *l = gan_loader_open(&o, err, sizeof err);
    char *log = capture_end();
    ck_assert_msg(l != NULL, "%s", err);
    ck_assert_uint_eq(gan_loader_size(l), 5);
    ck_assert_uint_eq(gan_loader_excluded_count(l), 2);
    ck_assert_msg(strstr(log, "note: 2 of 7 images have none of the 2 class attributes"), "%s", log);
    free(log);
    gan_loader_close(l);
}
END_TEST

START_TEST(label_file_on_dev_zero_is_refused) {
    char p[4400], err[1024] = "";
    ck_assert_int_eq(layout_mkdirs(dir, "img_align_celeba"), 0);
    snprintf(p, sizeof p, "%s/list_attr_celeba.txt", dir);
    ck_assert_int_eq(symlink("/dev/zero", p), 0);
    gan_loader_opts o = opts(GAN_LABELS_MULTI);
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    ck_assert_msg(strstr(err, "list_attr_celeba.txt: not a regular file"), "%s", err);
    /* a huge regular file (sparse): refused by size before anything is read */
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)GAN_LABEL_FILE_MAX + 1), 0);
    close(fd);
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    ck_assert_msg(strstr(err, "is over the limit of"), "%s", err);
    unlink(p);
    rmdir(strcat(strcpy(p, dir), "/img_align_celeba"));
    snprintf(p, sizeof p, "%s/labels.csv", dir);
    ck_assert_int_eq(symlink("/dev/zero", p), 0);
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    ck_assert_msg(strstr(err, "labels.csv: not a regular file"), "%s", err);
}
END_TEST

START_TEST(unreadable_folder_is_permission_denied) {
    char err[1024] = "";
    /* the wording, whoever runs the test */
    gan_dir_error("/x/celeba", EACCES, err, sizeof err);
    ck_assert_str_eq(err, "/x/celeba: permission denied (the folder cannot be read; check its "
                          "mode and owner)");
    ck_assert_int_eq(data_make_set(dir, 4, 8, 8, 0), 0);
    char img[4400];
    snprintf(img, sizeof img, "%s/img_align_celeba", dir);
    gan_loader_opts o = opts(GAN_LABELS_MULTI);
    if (geteuid() == 0) {
        /* root reads a chmod 000 folder anyway: nothing to refuse */
        fprintf(stderr, "unreadable_folder_is_permission_denied: running as root, chmod case "
                "not checked\n");
        return;
    }
    ck_assert_int_eq(chmod(img, 0), 0);
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    chmod(img, 0755);
    ck_assert_msg(strstr(err, "img_align_celeba: permission denied"), "%s", err);
    ck_assert_int_eq(chmod(dir, 0), 0);
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    chmod(dir, 0755);
    ck_assert_msg(strstr(err, "permission denied") && !strstr(err, "missing"), "%s", err);
}
END_TEST

START_TEST(synth_refuses_a_folder_that_is_not_empty) {
    const char *ganrt = getenv("GANRT") ? getenv("GANRT") : "build/release/ganrt";
    char keep[4400], out[8192];
    snprintf(keep, sizeof keep, "%s/mine.txt", dir);
    ck_assert_int_eq(data_write_text(keep, "my data\n"), 0);
    char *argv[] = {(char *)ganrt, "data", "synth", "-o", dir, "--n", "3", "--size", "8",
                    "--quiet", NULL, NULL};
    int rc = train_spawn(argv, out, sizeof out);
    ck_assert_msg(rc == 1 && strstr(out, "is not empty") && strstr(out, "--force"), "%d: %s", rc, out);
    char attr[4400];
    snprintf(attr, sizeof attr, "%s/list_attr_celeba.txt", dir);
    ck_assert_int_ne(access(attr, F_OK), 0); /* nothing written */
    argv[10] = "--force";
    rc = train_spawn(argv, out, sizeof out);
    ck_assert_msg(rc == 0, "%d: %s", rc, out);
    ck_assert_int_eq(access(attr, F_OK), 0);
    ck_assert_int_eq(access(keep, F_OK), 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("data_defects");
    TCase *tc = tcase_create("defects");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, missing_attribute_file_named_once);
    tcase_add_test(tc, limit_note_counts_the_rows_looked_at);
    tcase_add_test(tc, label_file_on_dev_zero_is_refused);
    tcase_add_test(tc, unreadable_folder_is_permission_denied);
    tcase_add_test(tc, synth_refuses_a_folder_that_is_not_empty);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int f = srunner_ntests_failed(r);
    srunner_free(r);
    return f ? 1 : 0;
}
