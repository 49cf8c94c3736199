/* The four data-folder layouts of docs/data.md through gan_dataset_open and the loader: a
 * plain folder searched recursively, class subfolders, a label file with its own header (CSV
 * or blank-separated), and the errors each can give; plus the centred crop. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/data.h"
#include "format/model.h"
#include "tests/util/data_util.h"
#include "tests/util/layout_util.h"
#include "tests/util/train_util.h"

static char *dir;
static void setup(void) { dir = train_tmpdir(); }
static void teardown(void) {
    train_rmrf(dir);
    free(dir);
}

static gan_loader_opts opts(int kind, int n_labels, const char (*names)[64]) {
    gan_loader_opts o = {.dir = dir, .c = 3, .h = 8, .w = 8, .lo = 0, .hi = 1, .label_kind = kind,
                         .n_labels = n_labels, .label_names = names, .batch = 4, .seed = 3};
    return o;
}

static void write(const char *rel, const char *text) {
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    ck_assert_int_eq(data_write_text(p, text), 0);
}

START_TEST(plain_folder_recursive_mixed) {
    ck_assert_int_eq(layout_make_plain(dir, 40), 0);
    write("notes.txt", "not an image\n");
    ck_assert_int_eq(layout_write_image(dir, ".hidden/x.png", 9, 9, 1, 1), 0);
    gan_dataset ds;
    char err[1024] = "";
    ck_assert_msg(gan_dataset_open(dir, GAN_LABELS_NONE, &ds, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(ds.layout, GAN_LAYOUT_PLAIN);
    ck_assert_uint_eq(ds.t.n_rows, 40);     /* every image, none of the others */
    ck_assert_int_eq(ds.t.n_attrs, 0);
    int nested = 0;
    for (size_t i = 0; i < ds.t.n_rows; i++) nested += strstr(ds.t.files[i], "a/b/") != NULL;
    ck_assert_int_eq(nested, 10);
    gan_dataset_free(&ds);
    gan_loader_opts o = opts(GAN_LABELS_NONE, 0, NULL);
    gan_loader *l = gan_loader_open(&o, err, sizeof err);
    ck_assert_msg(l != NULL, "%s", err);
    float img[4 * 192];
    for (int b = 0; b < 12; b++) /* more than an epoch: every image decodes */
        ck_assert_msg(gan_loader_next(l, img, NULL, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(gan_loader_bad_count(l), 0);
    gan_loader_close(l);
}
END_TEST

START_TEST(empty_and_unlabelled_folders_are_errors) {
    char err[1024] = "";
    gan_dataset ds;
    write("readme.txt", "hi\n");
    ck_assert_int_eq(gan_dataset_open(dir, GAN_LABELS_NONE, &ds, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "no images (.jpg, .jpeg or .png) in it or its subfolders"), "%s", err);
    ck_assert_int_eq(layout_write_image(dir, "x.png", 9, 9, 1, 1), 0);
    ck_assert_int_eq(gan_dataset_open(dir, GAN_LABELS_MULTI, &ds, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "no label file for the model's labels") && strstr(err, "labels.csv"),
                  "%s", err);
    ck_assert_int_eq(gan_dataset_open(dir, GAN_LABELS_CATEGORICAL, &ds, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "in class subfolders"), "%s", err);
}
END_TEST

START_TEST(class_folders_one_hot) {
    for (int i = 0; i < 3; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "cat/c%d.png", i);
        ck_assert_int_eq(layout_write_image(dir, rel, 12, 9, 250, 0), 0);
    }
    for (int i = 0; i < 5; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "dog/%s/d%d.jpg", i % 2 ? "x" : "y", i);
        ck_assert_int_eq(layout_write_image(dir, rel, 10, 20, 0, 250), 0);
    }
    ck_assert_int_eq(layout_write_image(dir, "loose.png", 9, 9, 1, 1), 0);
    static const char names[2][64] = {"dog", "cat"}; /* the model's order, not the folders' */
    gan_loader_opts o = opts(GAN_LABELS_CATEGORICAL, 2, names);
    o.batch = 8;
    char err[1024] = "";
    capture_begin(dir);
    gan_loader *l = gan_loader_open(&o, err, sizeof err);
    char *log = capture_end();
    ck_assert_msg(l != NULL, "%s", err);
    ck_assert_msg(strstr(log, "1 images directly in the folder belong to no class"), "%s", log);
    free(log);
    ck_assert_uint_eq(gan_loader_size(l), 8);
    float img[8 * 192], lab[8 * 2];
    ck_assert_msg(gan_loader_next(l, img, lab, err, sizeof err) == 0, "%s", err);
    int dogs = 0;
    for (int k = 0; k < 8; k++) {
        float red = img[k * 192], green = img[k * 192 + 64];
        int is_dog = green > 0.9f && red < 0.1f;
        ck_assert_msg(is_dog || (red > 0.9f && green < 0.1f), "sample %d", k);
        ck_assert_float_eq(lab[2 * k], is_dog ? 1.0f : 0.0f);
        ck_assert_float_eq(lab[2 * k + 1], is_dog ? 0.0f : 1.0f);
        dogs += is_dog;
    }
    ck_assert_int_eq(dogs, 5);
    gan_loader_close(l);
    static const char bad[2][64] = {"dog", "horse"};
    o.label_names = bad;
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    ck_assert_msg(strstr(err, "no class folder 'horse'") && strstr(err, "'cat', 'dog'"), "%s", err);
}
END_TEST

START_TEST(csv_label_file_by_name) {
    for (int i = 0; i < 6; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "pics/p%d.%s", i, i % 2 ? "png" : "jpg");
        ck_assert_int_eq(layout_write_image(dir, rel, 16, 12, i * 40, 0), 0);
    }
    write("labels.csv", "file,Cat,Dog,Always\r\n# a comment\r\n"
                        "pics/p0.jpg,1,0,1\r\npics/p1.png,0,1,1\r\n\"pics/p2.jpg\",1,1,1\r\n"
                        "pics/p3.png,0,0,1\r\npics/p4.jpg,1,0,1\r\npics/p5.png, 0 , 1 ,1\r\n");
    static const char names[2][64] = {"Dog", "Always"};
    gan_loader_opts o = opts(GAN_LABELS_MULTI, 2, names);
    o.batch = 6;
    char err[1024] = "";
    capture_begin(dir);
    gan_loader *l = gan_loader_open(&o, err, sizeof err);
    char *log = capture_end();
    ck_assert_msg(l != NULL, "%s", err);
    ck_assert_msg(strstr(log, "labels.csv: label 'Always' is 1 in all 6 images"), "%s", log);
    ck_assert_ptr_null(strstr(log, "'Dog' is"));
    free(log);
    float img[6 * 192], lab[6 * 2];
    ck_assert_msg(gan_loader_next(l, img, lab, err, sizeof err) == 0, "%s", err);
    static const int dog[6] = {0, 1, 1, 0, 0, 1};
    for (int k = 0; k < 6; k++) {
        int i = (int)lrintf(img[k * 192] * 255.0f / 40.0f);
        ck_assert_int_ge(i, 0);
        ck_assert_int_lt(i, 6);
        ck_assert_float_eq(lab[2 * k], (float)dog[i]);
        ck_assert_float_eq(lab[2 * k + 1], 1.0f);
    }
    gan_loader_close(l);
    static const char bad[1][64] = {"Bird"};
    o.label_names = bad;
    o.n_labels = 1;
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    ck_assert_msg(strstr(err, "labels.csv: no attribute 'Bird' (the columns are: 'Cat', 'Dog', "
                             "'Always')"), "%s", err);
    static const char near[1][64] = {"Dgo"};
    o.label_names = near;
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    ck_assert_msg(strstr(err, "did you mean 'Dog'?"), "%s", err);
}
END_TEST

START_TEST(blank_separated_label_file_and_missing_rows) {
    ck_assert_int_eq(layout_write_image(dir, "a.png", 9, 9, 10, 0), 0);
    ck_assert_int_eq(layout_write_image(dir, "b.png", 9, 9, 20, 0), 0);
    /* CelebA-style header (names only) and -1/1 values, tab or spaces */
    write("labels.txt", "Smile  Hat\na.png\t1 -1\nb.png  -1   1\n");
    gan_dataset ds;
    char err[1024] = "";
    ck_assert_msg(gan_dataset_open(dir, GAN_LABELS_MULTI, &ds, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(ds.layout, GAN_LAYOUT_LABEL_FILE);
    ck_assert_int_eq(ds.t.n_attrs, 2);
    ck_assert_str_eq(ds.t.names[1], "Hat");
    ck_assert_int_eq(ds.t.values[1 * 2 + 1], 1);
    ck_assert_int_eq(ds.t.values[1 * 2 + 0], -1);
    gan_dataset_free(&ds);
    write("labels.txt", "name Smile Hat\na.png 1 0\nc.png 0 1\nd.png 1 1\n");
    ck_assert_int_eq(gan_dataset_open(dir, GAN_LABELS_MULTI, &ds, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "labels.txt: 2 of its 3 images are missing, the first 'c.png' (row 2)"),
                  "%s", err);
}
END_TEST

/* The parser's located errors, on bytes in memory. */
static void expect_parse_error(const char *text, const char *want) {
    gan_attr_table t;
    char err[1024] = "";
    ck_assert_int_eq(gan_label_file_parse_mem(text, strlen(text), "l.csv", &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, want), "wanted '%s', got '%s'", want, err);
}

START_TEST(label_file_errors_are_located) {
    expect_parse_error("", "l.csv: empty");
    expect_parse_error("file\nx.png\n", "l.csv:1: the header names no label columns");
    expect_parse_error("file,A,A\nx.png,1,0\n", "l.csv:1: column 'A' appears twice");
    expect_parse_error("file,A,B\nx.png,1,0\n\ny.png,1\n", "l.csv:4: expected 3 fields");
    expect_parse_error("file,A\nx.png,yes\n", "l.csv:2: value of 'A' is 'yes', expected 1, 0 or -1");
    expect_parse_error("file,A\n../x.png,1\n", "l.csv:2: bad image name '../x.png'");
    expect_parse_error("file,A\n/etc/x.png,1\n", "l.csv:2: bad image name");
    expect_parse_error("file,A\n", "l.csv: no image rows after the header");
    char longname[200] = "file,";
    memset(longname + 5, 'N', 70);
    strcpy(longname + 75, "\nx.png,1\n");
    expect_parse_error(longname, "l.csv:1: column 2: a label name must be 1 to 63 bytes");
    char longfile[400] = "file,A\n";
    memset(longfile + 7, 'f', 130);
    strcpy(longfile + 137, ".png,1\n");
    expect_parse_error(longfile, "l.csv:2: bad image name");
}
END_TEST

START_TEST(centre_crop_outside_celeba) {
    /* 4 wide, 8 tall: rows 0-1 and 6-7 black, 2-5 white. The centred square is rows 2-5
       (all white); CelebA's face crop starts at row round(10*4/89) = 0. */
    unsigned char px[4 * 8 * 3];
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 4; x++)
            for (int ch = 0; ch < 3; ch++) px[(y * 4 + x) * 3 + ch] = y >= 2 && y < 6 ? 255 : 0;
    gan_image8 in = {.w = 4, .h = 8, .c = 3, .px = px};
    unsigned char a[3 * 4 * 4], b[3 * 4 * 4];
    gan_image_center_crop_resize(&in, 4, 4, a);
    gan_image_crop_resize(&in, 4, 4, b);
    for (int i = 0; i < 48; i++) ck_assert_int_eq(a[i], 255);
    ck_assert_int_eq(b[0], 0);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("data_layouts");
    TCase *tc = tcase_create("layouts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, plain_folder_recursive_mixed);
    tcase_add_test(tc, empty_and_unlabelled_folders_are_errors);
    tcase_add_test(tc, class_folders_one_hot);
    tcase_add_test(tc, csv_label_file_by_name);
    tcase_add_test(tc, blank_separated_label_file_and_missing_rows);
    tcase_add_test(tc, label_file_errors_are_located);
    tcase_add_test(tc, centre_crop_outside_celeba);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int f = srunner_ntests_failed(r);
    srunner_free(r);
    return f ? 1 : 0;
}
