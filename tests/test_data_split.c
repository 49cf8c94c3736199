/* The held-out split (runtime/data/split.c, docs/evaluation.md): the training part and the
 * held-out part are disjoint and cover the set, training never yields a held-out image, the
 * partition file is honoured by file stem, and RUN/split.txt reads back to the same rule. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/model.h"
#include "runtime/data.h"
#include "tests/util/data_util.h"

static char *dir;
static void setup(void)
{
    dir = data_tmpdir();
    ck_assert_ptr_nonnull(dir);
}
static void teardown(void)
{
    data_rmtree(dir);
    free(dir);
}

static char names1[1][64] = {"Male"};

static gan_loader_opts opts(int split, long long holdout)
{
    gan_loader_opts o = {.dir = dir, .c = 3, .h = 8, .w = 8, .lo = -1, .hi = 1,
                         .label_kind = GAN_LABELS_MULTI, .n_labels = 1,
                         .label_names = (const char (*)[64])names1, .batch = 4, .seed = 5,
                         .split = split, .holdout = holdout};
    return o;
}

/* Which image of data_make_set a sample is (its red and green channels encode it). */
static int which(const float *img, int n)
{
    float r = (img[0] + 1) / 2 * 255.0f, g = (img[64] + 1) / 2 * 255.0f;
    for (int i = 0; i < n; i++)
        if (fabsf(r - (float)data_set_red(i)) < 3.5f && fabsf(g - (float)data_set_green(i)) < 3.5f)
            return i;
    return -1;
}

/* Reads `batches` batches and counts how often each image comes. */
static void count_images(gan_loader *l, int batches, int n, int *count)
{
    float img[4 * 192], lab[4];
    char err[512] = "";
    for (int b = 0; b < batches; b++) {
        ck_assert_msg(gan_loader_next(l, img, lab, err, sizeof err) == 0, "%s", err);
        for (int k = 0; k < 4; k++) {
            int i = which(img + k * 192, n);
            ck_assert_int_ge(i, 0);
            count[i]++;
        }
    }
}

START_TEST(last_n_disjoint_and_covering)
{
    ck_assert_int_eq(data_make_set(dir, 40, 8, 8, 0), 0);
    char err[512] = "";
    gan_loader_opts o = opts(GAN_SPLIT_TRAIN, 10);
    gan_loader *tr = gan_loader_open(&o, err, sizeof err);
    ck_assert_msg(tr != NULL, "%s", err);
    o.split = GAN_SPLIT_HELDOUT;
    gan_loader *ho = gan_loader_open(&o, err, sizeof err);
    ck_assert_msg(ho != NULL, "%s", err);
    ck_assert_uint_eq(gan_loader_size(tr), 30);
    ck_assert_uint_eq(gan_loader_size(ho), 10);
    int ct[40] = {0}, ch[40] = {0};
    count_images(tr, 30, 40, ct); /* four epochs of training */
    count_images(ho, 5, 40, ch);
    for (int i = 0; i < 40; i++) {
        if (i < 30) {
            ck_assert_int_eq(ct[i], 4);
            ck_assert_int_eq(ch[i], 0);
        } else {
            ck_assert_msg(ct[i] == 0, "training saw held-out image %d", i + 1);
            ck_assert_int_eq(ch[i], 2);
        }
    }
    gan_split_info si;
    gan_loader_split_info(tr, &si);
    ck_assert_int_eq(si.rule, GAN_SPLIT_LAST_N);
    ck_assert_uint_eq(si.n_rows, 40);
    ck_assert_uint_eq(si.n_heldout, 10);
    ck_assert_str_eq(si.first, "000031.png");
    ck_assert_str_eq(si.last, "000040.png");
    gan_loader_close(tr);
    gan_loader_close(ho);

    /* none held out, and the whole set as before when split is ALL */
    o = opts(GAN_SPLIT_TRAIN, -1);
    tr = gan_loader_open(&o, err, sizeof err);
    ck_assert_uint_eq(gan_loader_size(tr), 40);
    gan_loader_close(tr);
    o = opts(GAN_SPLIT_HELDOUT, -1);
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    ck_assert_msg(strstr(err, "held-out part") != NULL, "%s", err);
    o = opts(GAN_SPLIT_TRAIN, 40); /* nothing left to train on */
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    ck_assert_msg(strstr(err, "--holdout 40 leaves no training images") != NULL, "%s", err);
}
END_TEST

START_TEST(partition_file)
{
    ck_assert_int_eq(data_make_set(dir, 20, 8, 8, 0), 0);
    /* the partition file names .jpg (CelebA's), the set is .png: matched by stem; 000020 is
       not listed and stays in training */
    char path[1024], text[2048] = "";
    size_t k = 0;
    for (int i = 1; i <= 19; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, "%06d.jpg %d\r\n", i,
                              i <= 12 ? 0 : i <= 15 ? 1 : 2);
    snprintf(path, sizeof path, "%s/list_eval_partition.txt", dir);
    ck_assert_int_eq(data_write_text(path, text), 0);
    char err[512] = "";
    gan_loader_opts o = opts(GAN_SPLIT_HELDOUT, 0);
    gan_loader *ho = gan_loader_open(&o, err, sizeof err);
    ck_assert_msg(ho != NULL, "%s", err);
    ck_assert_uint_eq(gan_loader_size(ho), 7);
    int ch[20] = {0};
    count_images(ho, 7, 20, ch); /* four epochs */
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(ch[i], i >= 12 && i < 19 ? 4 : 0);
    gan_split_info si;
    gan_loader_split_info(ho, &si);
    ck_assert_int_eq(si.rule, GAN_SPLIT_PARTITION);
    ck_assert_uint_eq(si.n_unlisted, 1);
    gan_loader_close(ho);
    o = opts(GAN_SPLIT_TRAIN, 0);
    gan_loader *tr = gan_loader_open(&o, err, sizeof err);
    ck_assert_uint_eq(gan_loader_size(tr), 13);
    gan_loader_close(tr);
    /* --holdout N wins over the file */
    o = opts(GAN_SPLIT_HELDOUT, 3);
    ho = gan_loader_open(&o, err, sizeof err);
    ck_assert_uint_eq(gan_loader_size(ho), 3);
    gan_loader_close(ho);
    /* a broken partition file: the line is named */
    ck_assert_int_eq(data_write_text(path, "000001.jpg 0\n000002.jpg 7\n"), 0);
    o = opts(GAN_SPLIT_TRAIN, 0);
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    ck_assert_msg(strstr(err, "list_eval_partition.txt:2:") != NULL, "%s", err);
}
END_TEST

START_TEST(split_file_round_trip)
{
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/split.txt", dir);
    gan_split_info si = {.rule = GAN_SPLIT_LAST_N, .holdout = 500, .n_rows = 8000,
                         .n_heldout = 500, .first = "007501.jpg", .last = "008000.jpg"};
    long long h = 0;
    ck_assert_int_eq(gan_split_write(path, &si, err, sizeof err), 0);
    ck_assert_int_eq(gan_split_read(path, &h, err, sizeof err), 0);
    ck_assert_int_eq(h, 500);
    si.rule = GAN_SPLIT_PARTITION;
    ck_assert_int_eq(gan_split_write(path, &si, err, sizeof err), 0);
    ck_assert_int_eq(gan_split_read(path, &h, err, sizeof err), 0);
    ck_assert_int_eq(h, 0);
    si.rule = GAN_SPLIT_NONE;
    si.n_heldout = 0;
    ck_assert_int_eq(gan_split_write(path, &si, err, sizeof err), 0);
    ck_assert_int_eq(gan_split_read(path, &h, err, sizeof err), 0);
    ck_assert_int_eq(h, -1);
    ck_assert_int_eq(data_write_text(path, "something else\n"), 0);
    ck_assert_int_eq(gan_split_read(path, &h, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "split.txt: no 'rule") != NULL, "%s", err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("data_split");
    TCase *tc = tcase_create("split");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, last_n_disjoint_and_covering);
    tcase_add_test(tc, partition_file);
    tcase_add_test(tc, split_file_round_trip);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
