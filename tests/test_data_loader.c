/* The batch loader on tiny data sets written into a temp dir, and on ../shared/data/celeba
 * when it exists. */
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/data.h"
#include "format/model.h"
#include "tests/util/data_util.h"

static char *dir;
static void setup(void) {
    dir = data_tmpdir();
    ck_assert_ptr_nonnull(dir);
}
static void teardown(void) {
    data_rmtree(dir);
    free(dir);
}

static char names2[2][64] = {"Male", "Smiling"}; /* bit 0 and bit 1 in data_make_set */

static gan_loader_opts opts(int batch, uint64_t seed) {
    gan_loader_opts o = {.dir = dir, .c = 3, .h = 8, .w = 8, .lo = -1, .hi = 1,
                         .label_kind = GAN_LABELS_MULTI, .n_labels = 2,
                         .label_names = (const char (*)[64])names2, .batch = batch, .seed = seed};
    return o;
}

/* Which image of data_make_set a loaded sample is, from its red channel; -1 if none. */
static int which(const float *img, int n, float lo, float hi) {
    size_t plane = 64;
    float r = (img[0] - lo) / (hi - lo) * 255.0f, g = (img[plane] - lo) / (hi - lo) * 255.0f;
    for (int i = 0; i < n; i++)
        if (fabsf(r - (float)data_set_red(i)) < 3.5f && fabsf(g - (float)data_set_green(i)) < 3.5f)
            return i;
    return -1;
}

START_TEST(shapes_range_labels) {
    ck_assert_int_eq(data_make_set(dir, 10, 10, 12, 3), 0); /* portrait 10x12, every 3rd JPEG */
    gan_loader_opts o = opts(4, 7);
    char err[512] = "";
    gan_loader *l = gan_loader_open(&o, err, sizeof err);
    ck_assert_msg(l != NULL, "%s", err);
    ck_assert_uint_eq(gan_loader_size(l), 10);
    float img[4 * 3 * 64], lab[4 * 2];
    int count[10] = {0};
    for (int b = 0; b < 5; b++) { /* 20 samples = exactly two epochs */
        ck_assert_msg(gan_loader_next(l, img, lab, err, sizeof err) == 0, "%s", err);
        for (int k = 0; k < 4; k++) {
            const float *im = img + k * 192;
            for (int p = 0; p < 192; p++) ck_assert(im[p] >= -1.0f && im[p] <= 1.0f);
            int i = which(im, 10, -1, 1);
            ck_assert_int_ge(i, 0);
            count[i]++;
            /* flat image: every pixel of a channel the same; green 100, blue 200 */
            for (int p = 0; p < 64; p++) {
                ck_assert_float_eq_tol(im[p], im[0], 0.03f);
                ck_assert_float_eq_tol(im[64 + p], -1 + 2 * data_set_green(i) / 255.0f, 0.03f);
                ck_assert_float_eq_tol(im[128 + p], -1 + 2 * 200 / 255.0f, 0.03f);
            }
            ck_assert_float_eq(lab[k * 2 + 0], (float)(i & 1));
            ck_assert_float_eq(lab[k * 2 + 1], (float)((i >> 1) & 1));
        }
    }
    for (int i = 0; i < 10; i++) ck_assert_int_eq(count[i], 2);
    uint64_t e, ix;
    gan_loader_tell(l, &e, &ix);
    ck_assert_uint_eq(e, 2);
    ck_assert_uint_eq(ix, 0);
    ck_assert_uint_eq(gan_loader_bad_count(l), 0);
    gan_loader_close(l);
}
END_TEST

static void read_ids(gan_loader *l, int batches, int batch, int n, int *ids) {
    float *img = malloc((size_t)batch * 192 * sizeof(float));
    float lab[64 * 2];
    char err[512] = "";
    for (int b = 0; b < batches; b++) {
        ck_assert_msg(gan_loader_next(l, img, lab, err, sizeof err) == 0, "%s", err);
        for (int k = 0; k < batch; k++) ids[b * batch + k] = which(img + k * 192, n, -1, 1);
    }
    free(img);
}

START_TEST(determinism_and_seek) {
    ck_assert_int_eq(data_make_set(dir, 23, 8, 8, 0), 0);
    char err[512] = "";
    gan_loader_opts o = opts(5, 42);
    gan_loader *a = gan_loader_open(&o, err, sizeof err), *b = gan_loader_open(&o, err, sizeof err);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    int ia[60], ib[60];
    read_ids(a, 12, 5, 23, ia);
    read_ids(b, 12, 5, 23, ib);
    ck_assert_mem_eq(ia, ib, sizeof ia);
    /* first epoch is a permutation, and not the identity */
    int seen[23] = {0}, identity = 1;
    for (int i = 0; i < 23; i++) seen[ia[i]]++, identity &= ia[i] == i;
    for (int i = 0; i < 23; i++) ck_assert_int_eq(seen[i], 1);
    ck_assert(!identity);
    /* the second epoch reshuffles */
    ck_assert(memcmp(ia, ia + 23, 23 * sizeof(int)) != 0);
    gan_loader_close(b);
    /* another seed, another order */
    gan_loader_opts o2 = opts(5, 43);
    b = gan_loader_open(&o2, err, sizeof err);
    read_ids(b, 12, 5, 23, ib);
    ck_assert(memcmp(ia, ib, sizeof ia) != 0);
    gan_loader_close(b);

    /* tell after 12 batches, then the next 7 batches; a fresh loader seeking there matches */
    uint64_t e, ix;
    gan_loader_tell(a, &e, &ix);
    ck_assert_uint_eq(e * 23 + ix, 60);
    int next_a[35], next_b[35];
    read_ids(a, 7, 5, 23, next_a);
    b = gan_loader_open(&o, err, sizeof err);
    ck_assert_int_eq(gan_loader_seek(b, e, ix, err, sizeof err), 0);
    read_ids(b, 7, 5, 23, next_b);
    ck_assert_mem_eq(next_a, next_b, sizeof next_a);
    /* seeking back on the same loader too */
    ck_assert_int_eq(gan_loader_seek(a, e, ix, err, sizeof err), 0);
    read_ids(a, 7, 5, 23, next_b);
    ck_assert_mem_eq(next_a, next_b, sizeof next_a);
    ck_assert_int_eq(gan_loader_seek(a, 0, 23, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "past the 23 images") != NULL, "%s", err);
    gan_loader_close(a);
    gan_loader_close(b);
}
END_TEST

/* Runs f with stderr captured into buf. */
static int capture_fd = -1, saved_fd = -1;
static char cap_path[4200];
static void capture_begin(void) {
    snprintf(cap_path, sizeof cap_path, "%s/stderr.txt", dir);
    fflush(stderr);
    saved_fd = dup(2);
    capture_fd = open(cap_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(capture_fd, 2);
}
static char *capture_end(void) {
    fflush(stderr);
    dup2(saved_fd, 2);
    close(saved_fd);
    close(capture_fd);
    size_t n;
    unsigned char *b = data_read_all(cap_path, &n);
    char *s = malloc(n + 1);
    memcpy(s, b, n);
    s[n] = 0;
    free(b);
    unlink(cap_path);
    return s;
}

START_TEST(bad_images_skipped) {
    ck_assert_int_eq(data_make_set(dir, 200, 8, 8, 7), 0);
    char p[4200];
    snprintf(p, sizeof p, "%s/img_align_celeba/000005.png", dir);
    ck_assert_int_eq(unlink(p), 0); /* missing */
    snprintf(p, sizeof p, "%s/img_align_celeba/000007.jpg", dir);
    size_t n;
    unsigned char *jb = data_read_all(p, &n); /* truncated JPEG */
    FILE *f = fopen(p, "wb");
    fwrite(jb, 1, n / 2, f);
    fclose(f);
    free(jb);
    char err[512] = "";
    gan_loader_opts o = opts(50, 3);
    gan_loader *l = gan_loader_open(&o, err, sizeof err);
    ck_assert_ptr_nonnull(l);
    int ids[400];
    capture_begin();
    read_ids(l, 8, 50, 200, ids); /* two epochs of the 198 good ones, and some */
    char *log = capture_end();
    ck_assert_uint_eq(gan_loader_bad_count(l), 2);
    ck_assert_uint_eq(gan_loader_size(l), 198);
    for (int i = 0; i < 400; i++) ck_assert(ids[i] != 4 && ids[i] != 6 && ids[i] >= 0);
    ck_assert_msg(strstr(log, "000005.png") && strstr(log, "000007.jpg") && strstr(log, "warning"), "%s", log);
    /* warned once per image, not once per epoch */
    ck_assert_ptr_null(strstr(strstr(log, "000005.png") + 1, "000005.png"));
    free(log);
    gan_loader_close(l);
}
END_TEST

START_TEST(too_many_bad) {
    ck_assert_int_eq(data_make_set(dir, 20, 8, 8, 0), 0);
    char p[4200];
    snprintf(p, sizeof p, "%s/img_align_celeba/000003.png", dir);
    ck_assert_int_eq(data_write_text(p, "this is not an image"), 0);
    char err[512] = "";
    gan_loader_opts o = opts(4, 3);
    gan_loader *l = gan_loader_open(&o, err, sizeof err);
    ck_assert_ptr_nonnull(l);
    float img[4 * 192], lab[8];
    int rc = 0;
    capture_begin();
    for (int b = 0; b < 10 && rc == 0; b++) rc = gan_loader_next(l, img, lab, err, sizeof err);
    char *log = capture_end();
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err, "too many bad images: 1 of the") != NULL, "%s", err);
    ck_assert_msg(strstr(log, "000003.png: not a JPEG or PNG image") != NULL, "%s", log);
    free(log);
    /* a stopped loader keeps failing cleanly */
    ck_assert_int_eq(gan_loader_next(l, img, lab, err, sizeof err), -1);
    gan_loader_close(l);
}
END_TEST

START_TEST(categorical_gray_and_nolabels) {
    ck_assert_int_eq(data_make_set(dir, 16, 8, 8, 0), 0);
    char err[512] = "";
    gan_loader_opts o = opts(6, 1);
    o.label_kind = GAN_LABELS_CATEGORICAL;
    capture_begin();
    gan_loader *l = gan_loader_open(&o, err, sizeof err);
    char *log = capture_end();
    ck_assert_msg(l != NULL, "%s", err);
    ck_assert_uint_eq(gan_loader_size(l), 12); /* i & 3 == 0 has neither: 4 left out */
    ck_assert_uint_eq(gan_loader_excluded_count(l), 4);
    ck_assert_msg(strstr(log, "4 of 16 images") != NULL, "%s", log);
    free(log);
    float img[6 * 192], lab[12];
    for (int b = 0; b < 4; b++) {
        ck_assert_int_eq(gan_loader_next(l, img, lab, err, sizeof err), 0);
        for (int k = 0; k < 6; k++) {
            int i = which(img + k * 192, 16, -1, 1);
            ck_assert_int_ne(i & 3, 0);
            int cls = (i & 1) ? 0 : 1; /* first named attribute that is set */
            ck_assert_float_eq(lab[k * 2 + cls], 1.0f);
            ck_assert_float_eq(lab[k * 2 + 1 - cls], 0.0f);
        }
    }
    gan_loader_close(l);

    /* grayscale, [0,1], no labels, no attribute file, limit */
    char p[4200];
    snprintf(p, sizeof p, "%s/list_attr_celeba.txt", dir);
    unlink(p);
    gan_loader_opts g = {.dir = dir, .c = 1, .h = 4, .w = 4, .lo = 0, .hi = 1,
                         .label_kind = GAN_LABELS_NONE, .batch = 3, .seed = 9, .limit = 5};
    l = gan_loader_open(&g, err, sizeof err);
    ck_assert_msg(l != NULL, "%s", err);
    ck_assert_uint_eq(gan_loader_size(l), 5);
    float gi[3 * 16];
    ck_assert_int_eq(gan_loader_next(l, gi, NULL, err, sizeof err), 0);
    for (int k = 0; k < 3 * 16; k++) ck_assert(gi[k] >= 0.0f && gi[k] <= 1.0f);
    gan_loader_close(l);
    /* labels asked for but no attribute file: a clear error */
    l = gan_loader_open(&o, err, sizeof err);
    ck_assert_ptr_null(l);
    ck_assert_msg(strstr(err, "list_attr_celeba.txt") != NULL, "%s", err);
    /* no such directory */
    o.dir = "/nonexistent/celeba";
    ck_assert_ptr_null(gan_loader_open(&o, err, sizeof err));
    ck_assert_msg(strstr(err, "/nonexistent/celeba") != NULL, "%s", err);
}
END_TEST

START_TEST(real_celeba) {
    const char *root = "../shared/data/celeba";
    if (access(root, R_OK) != 0) {
        printf("SKIP real_celeba: %s not present\n", root);
        return;
    }
    char names[8][64] = {"Smiling", "Eyeglasses", "Blond_Hair", "Black_Hair",
                         "Wearing_Hat", "Mustache", "Male", "Pale_Skin"};
    gan_loader_opts o = {.dir = root, .c = 3, .h = 64, .w = 64, .lo = -1, .hi = 1,
                         .label_kind = GAN_LABELS_MULTI, .n_labels = 8,
                         .label_names = (const char (*)[64])names, .batch = 64, .seed = 1,
                         .limit = 512};
    char err[512] = "";
    gan_loader *l = gan_loader_open(&o, err, sizeof err);
    ck_assert_msg(l != NULL, "%s", err);
    ck_assert_uint_eq(gan_loader_size(l), 512);
    float *img = malloc(64 * 3 * 64 * 64 * sizeof(float)), lab[64 * 8];
    double sum = 0, sq = 0, male = 0;
    for (int b = 0; b < 2; b++) {
        ck_assert_msg(gan_loader_next(l, img, lab, err, sizeof err) == 0, "%s", err);
        size_t out_of_range = 0; /* one assertion, not one per value: Check logs each */
        for (size_t i = 0; i < 64 * 3 * 64 * 64; i++) {
            out_of_range += !(img[i] >= -1.0f && img[i] <= 1.0f);
            sum += img[i], sq += (double)img[i] * img[i];
        }
        ck_assert_uint_eq(out_of_range, 0);
        for (int k = 0; k < 64; k++) male += lab[k * 8 + 6];
    }
    double n = 2.0 * 64 * 3 * 64 * 64, mean = sum / n, sd = sqrt(sq / n - mean * mean);
    ck_assert_msg(sd > 0.2 && fabs(mean) < 0.6, "mean %g sd %g", mean, sd); /* real pictures */
    ck_assert(male > 10 && male < 118);
    ck_assert_uint_eq(gan_loader_bad_count(l), 0);
    free(img);
    gan_loader_close(l);
}
END_TEST

int main(void) {
    Suite *s = suite_create("data_loader");
    TCase *tc = tcase_create("loader");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, shapes_range_labels);
    tcase_add_test(tc, determinism_and_seek);
    tcase_add_test(tc, bad_images_skipped);
    tcase_add_test(tc, too_many_bad);
    tcase_add_test(tc, categorical_gray_and_nolabels);
    tcase_add_test(tc, real_celeba);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
