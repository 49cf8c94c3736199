/* list_attr_celeba.txt parser and did-you-mean helper. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/data.h"
#include "format/model.h"
#include "tests/util/data_util.h"

static char *dir;
static char path[4096];

static void setup(void) {
    dir = data_tmpdir();
    ck_assert_ptr_nonnull(dir);
    snprintf(path, sizeof path, "%s/list_attr_celeba.txt", dir);
}
static void teardown(void) {
    data_rmtree(dir);
    free(dir);
}

START_TEST(crlf_and_spaces) {
    ck_assert_int_eq(data_write_text(path, "2\r\nA B  C\r\n"
                                           "000001.jpg  1 -1  1\r\n"
                                           "000002.jpg -1   1 -1\r\n"), 0);
    gan_attr_table t;
    char err[256] = "";
    ck_assert_msg(gan_attr_table_read(path, &t, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(t.n_attrs, 3);
    ck_assert_uint_eq(t.n_rows, 2);
    ck_assert_str_eq(t.names[2], "C");
    ck_assert_str_eq(t.files[1], "000002.jpg");
    ck_assert_int_eq(t.values[0], 1);
    ck_assert_int_eq(t.values[1], -1);
    ck_assert_int_eq(t.values[3 + 1], 1);
    ck_assert_int_eq(gan_attr_find(&t, "B"), 1);
    ck_assert_int_eq(gan_attr_find(&t, "D"), -1);
    gan_attr_table_free(&t);
}
END_TEST

START_TEST(full_header_lf) {
    char txt[4096];
    size_t off = (size_t)snprintf(txt, sizeof txt, "1\n");
    for (int a = 0; a < 40; a++)
        off += (size_t)snprintf(txt + off, sizeof txt - off, "%s ", gan_celeba_attr_names[a]);
    off += (size_t)snprintf(txt + off, sizeof txt - off, "\n000001.jpg");
    for (int a = 0; a < 40; a++) off += (size_t)snprintf(txt + off, sizeof txt - off, " %d", a == 31 ? 1 : -1);
    snprintf(txt + off, sizeof txt - off, "\n\n");
    ck_assert_int_eq(data_write_text(path, txt), 0);
    gan_attr_table t;
    char err[256] = "";
    ck_assert_msg(gan_attr_table_read(path, &t, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(t.n_attrs, 40);
    int s = gan_attr_find(&t, "Smiling");
    ck_assert_int_eq(s, 31);
    ck_assert_int_eq(t.values[s], 1);
    ck_assert_int_eq(t.values[gan_attr_find(&t, "Young")], -1);
    gan_attr_table_free(&t);
}
END_TEST

START_TEST(wrong_count_names_line) {
    /* lines 3-16 hold 14 good rows, line 17 one value short */
    char txt[65536];
    size_t off = (size_t)snprintf(txt, sizeof txt, "15\n");
    for (int a = 0; a < 40; a++)
        off += (size_t)snprintf(txt + off, sizeof txt - off, "%s%s", gan_celeba_attr_names[a], a < 39 ? " " : "\n");
    for (int r = 0; r < 14; r++) {
        off += (size_t)snprintf(txt + off, sizeof txt - off, "%06d.jpg", r + 1);
        for (int a = 0; a < 40; a++) off += (size_t)snprintf(txt + off, sizeof txt - off, " -1");
        off += (size_t)snprintf(txt + off, sizeof txt - off, "\n");
    }
    off += (size_t)snprintf(txt + off, sizeof txt - off, "000015.jpg");
    for (int a = 0; a < 39; a++) off += (size_t)snprintf(txt + off, sizeof txt - off, "  1");
    snprintf(txt + off, sizeof txt - off, "\n");
    ck_assert_int_eq(data_write_text(path, txt), 0);
    gan_attr_table t;
    char err[256] = "";
    ck_assert_int_eq(gan_attr_table_read(path, &t, err, sizeof err), -1);
    ck_assert_str_eq(err, "list_attr_celeba.txt:17: expected 40 values, found 39");
    ck_assert_ptr_null(t.names);
}
END_TEST

START_TEST(bad_values_and_counts) {
    gan_attr_table t;
    char err[256] = "";
    ck_assert_int_eq(data_write_text(path, "1\nA B\n000001.jpg 1 0\n"), 0);
    ck_assert_int_eq(gan_attr_table_read(path, &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "list_attr_celeba.txt:3:") && strstr(err, "'B'"), "%s", err);
    ck_assert_int_eq(data_write_text(path, "3\nA B\n000001.jpg 1 -1\n"), 0);
    ck_assert_int_eq(gan_attr_table_read(path, &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "declares 3 images but the file has 1 rows") != NULL, "%s", err);
    ck_assert_int_eq(data_write_text(path, "x\nA B\n"), 0);
    ck_assert_int_eq(gan_attr_table_read(path, &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "list_attr_celeba.txt:1:") != NULL, "%s", err);
    ck_assert_int_eq(data_write_text(path, ""), 0);
    ck_assert_int_eq(gan_attr_table_read(path, &t, err, sizeof err), -1);
    ck_assert_int_eq(data_write_text(path, "1\nA B\n../x.jpg 1 1\n"), 0);
    ck_assert_int_eq(gan_attr_table_read(path, &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "bad image file name") != NULL, "%s", err);
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/nope.txt", dir);
    ck_assert_int_eq(gan_attr_table_read(missing, &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "nope.txt") != NULL, "%s", err);
}
END_TEST

START_TEST(closest_name) {
    const char *c[] = {"Smiling", "Male", "Eyeglasses", "Blond_Hair"};
    ck_assert_str_eq(gan_closest_name("Smilling", c, 4), "Smiling");
    ck_assert_str_eq(gan_closest_name("smiling", c, 4), "Smiling");
    ck_assert_str_eq(gan_closest_name("Blonde_Hair", c, 4), "Blond_Hair");
    ck_assert_ptr_null(gan_closest_name("Wearing_Necktie", c, 4));
    ck_assert_int_eq(gan_edit_distance("kitten", "sitting"), 3);
}
END_TEST

START_TEST(loader_missing_attribute) {
    ck_assert_int_eq(data_make_set(dir, 4, 8, 8, 0), 0);
    char names[2][64] = {"Male", "Smilling"};
    gan_loader_opts o = {.dir = dir, .c = 3, .h = 8, .w = 8, .lo = -1, .hi = 1,
                         .label_kind = GAN_LABELS_MULTI, .n_labels = 2,
                         .label_names = (const char (*)[64])names, .batch = 2, .seed = 1};
    char err[512] = "";
    gan_loader *l = gan_loader_open(&o, err, sizeof err);
    ck_assert_ptr_null(l);
    ck_assert_msg(strstr(err, "no attribute 'Smilling'; did you mean 'Smiling'?") != NULL, "%s", err);
}
END_TEST

int main(void) {
    Suite *s = suite_create("data_attrs");
    TCase *tc = tcase_create("attrs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, crlf_and_spaces);
    tcase_add_test(tc, full_header_lf);
    tcase_add_test(tc, wrong_count_names_line);
    tcase_add_test(tc, bad_values_and_counts);
    tcase_add_test(tc, closest_name);
    tcase_add_test(tc, loader_missing_attribute);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
