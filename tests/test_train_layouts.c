/* Training on data as users have it (docs/data.md): tiny .gan models compiled with ganc and
 * trained a few steps by ganrt on a plain folder of 200 mixed-size JPEG/PNG files (then
 * sampled), on two class folders (one_of labels) and on a CSV label file (labels by name). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/util/data_util.h"
#include "tests/util/layout_util.h"
#include "tests/util/train_util.h"

static char *dir, g_out[32768];
static void setup(void) { dir = train_tmpdir(); }
static void teardown(void) {
    train_rmrf(dir);
    free(dir);
}

static const char *tool(const char *env, const char *dflt) {
    const char *g = getenv(env);
    return g && *g ? g : dflt;
}

static char *path(const char *rel) {
    static char p[16][4400];
    static int k;
    k = (k + 1) % 16;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, rel);
    return p[k];
}

#define RUN(...) train_spawn((char *const[]){__VA_ARGS__, NULL}, g_out, sizeof g_out)

static const char uncond_gan[] =
    "data { image 3 x 8 x 8  range [-1, 1] }\n"
    "latent z : 4\n"
    "generator G(z) -> image { out = z | dense(192) | reshape(3, 8, 8) | tanh }\n"
    "discriminator D(x : image) -> 1 { out = x | flatten | dense(1) }\n"
    "train {\n  batch 4  steps 3\n"
    "  loss D = hinge_real(D(x)) + hinge_fake(D(G(z)))\n  loss G = -mean(D(G(z)))\n"
    "  optimizer D = adam(lr 1e-3)\n  optimizer G = adam(lr 1e-3)\n}\n";

/* A conditional model over `labels` (e.g. "one_of [cat, dog]") with the given class loss. */
static void cond_gan(char *out, size_t cap, const char *labels, const char *loss) {
    snprintf(out, cap,
             "data { image 3 x 8 x 8  range [-1, 1]  labels %s }\n"
             "latent z : 4\n"
             "generator G(z, y) -> image {\n"
             "  out = concat(z, y) | dense(192) | reshape(3, 8, 8) | tanh\n}\n"
             "discriminator D(x : image) -> (adv : 1, cls : labels) {\n"
             "  h = x | flatten\n  adv = h | dense(1)\n  cls = h | dense(labels)\n}\n"
             "train {\n  batch 4  steps 3\n"
             "  loss D = hinge_real(D(x).adv) + hinge_fake(D(G(z, y)).adv) + %s(D(x).cls, y)\n"
             "  loss G = -mean(D(G(z, y)).adv) + %s(D(G(z, y)).cls, y)\n"
             "  optimizer D = adam(lr 1e-3)\n  optimizer G = adam(lr 1e-3)\n}\n",
             labels, loss, loss);
}

/* Compiles src into dir/m.bin and trains it on data for 3 steps into dir/run. */
static void compile_and_train(const char *src, const char *data) {
    ck_assert_int_eq(data_write_text(path("m.gan"), src), 0);
    int rc = RUN((char *)tool("GANC", "build/release/ganc"), path("m.gan"), "-o", path("m.bin"));
    ck_assert_msg(rc == 0, "ganc: exit %d: %s", rc, g_out);
    rc = RUN((char *)tool("GANRT", "build/release/ganrt"), "train", path("m.bin"), "--data",
             (char *)data, "--out", path("run"), "--threads", "1");
    ck_assert_msg(rc == 0, "ganrt train: exit %d: %s", rc, g_out);
    ck_assert_int_eq(access(path("run/metrics.csv"), F_OK), 0);
}

START_TEST(plain_folder_trains_unconditional_and_samples) {
    ck_assert_int_eq(layout_make_plain(path("faces"), 200), 0);
    compile_and_train(uncond_gan, path("faces"));
    int rc = RUN((char *)tool("GANRT", "build/release/ganrt"), "sample", path("m.bin"), "--ckpt",
                 path("run"), "-n", "4", "-o", path("s.png"));
    ck_assert_msg(rc == 0, "ganrt sample: exit %d: %s", rc, g_out);
    size_t n;
    unsigned char *png = data_read_all(path("s.png"), &n);
    ck_assert_msg(png && n > 8 && !memcmp(png, "\x89PNG", 4), "no PNG written");
    free(png);
}
END_TEST

START_TEST(two_class_folders_train_class_conditional) {
    for (int i = 0; i < 12; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "pets/%s/%02d.%s", i % 2 ? "dog" : "cat", i, i % 3 ? "png" : "jpg");
        ck_assert_int_eq(layout_write_image(dir, rel, 10 + i, 14, i % 2 ? 30 : 220, 90), 0);
    }
    char src[2048];
    cond_gan(src, sizeof src, "one_of [cat, dog]", "softmax_ce");
    compile_and_train(src, path("pets"));
    int rc = RUN((char *)tool("GANRT", "build/release/ganrt"), "sample", path("m.bin"), "--ckpt",
                 path("run"), "--attr", "dog=1", "-n", "2", "-o", path("dog.png"));
    ck_assert_msg(rc == 0, "ganrt sample --attr dog=1: exit %d: %s", rc, g_out);
    /* a class the folders lack is named at train time, with the folders there are */
    cond_gan(src, sizeof src, "one_of [cat, bird]", "softmax_ce");
    ck_assert_int_eq(data_write_text(path("m.gan"), src), 0);
    rc = RUN((char *)tool("GANC", "build/release/ganc"), path("m.gan"), "-o", path("m.bin"));
    ck_assert_msg(rc == 0, "ganc: exit %d: %s", rc, g_out);
    rc = RUN((char *)tool("GANRT", "build/release/ganrt"), "train", path("m.bin"), "--data",
             path("pets"), "--out", path("run2"));
    ck_assert_msg(rc == 1 && strstr(g_out, "no class folder 'bird'") &&
                  strstr(g_out, "'cat', 'dog'"), "exit %d: %s", rc, g_out);
}
END_TEST

START_TEST(csv_labels_train_by_name) {
    char csv[4096] = "file,Cat,Dog\n";
    for (int i = 0; i < 10; i++) {
        char rel[64], row[96];
        snprintf(rel, sizeof rel, "img/%02d.%s", i, i % 2 ? "png" : "jpg");
        ck_assert_int_eq(layout_write_image(path("set"), rel, 20, 12, i * 20, 0), 0);
        snprintf(row, sizeof row, "%s,%d,%d\n", rel, i % 2, i % 3 == 0);
        strcat(csv, row);
    }
    ck_assert_int_eq(data_write_text(path("set/labels.csv"), csv), 0);
    char src[2048];
    cond_gan(src, sizeof src, "[Dog, Cat]", "bce");
    compile_and_train(src, path("set"));
    /* a name the header lacks: the file and its columns are named */
    cond_gan(src, sizeof src, "[Dog, Horse]", "bce");
    ck_assert_int_eq(data_write_text(path("m.gan"), src), 0);
    int rc = RUN((char *)tool("GANC", "build/release/ganc"), path("m.gan"), "-o", path("m.bin"));
    ck_assert_msg(rc == 0, "ganc: exit %d: %s", rc, g_out);
    rc = RUN((char *)tool("GANRT", "build/release/ganrt"), "train", path("m.bin"), "--data",
             path("set"), "--out", path("run2"));
    ck_assert_msg(rc == 1 && strstr(g_out, "labels.csv: no attribute 'Horse' (the columns are: "
                                           "'Cat', 'Dog')"), "exit %d: %s", rc, g_out);
}
END_TEST

START_TEST(celeba_names_keep_their_did_you_mean) {
    char src[2048];
    cond_gan(src, sizeof src, "[Smiling, Eyeglases]", "bce");
    ck_assert_int_eq(data_write_text(path("m.gan"), src), 0);
    int rc = RUN((char *)tool("GANC", "build/release/ganc"), path("m.gan"), "--check");
    ck_assert_msg(rc != 0 && strstr(g_out, "unknown CelebA attribute 'Eyeglases'; did you mean "
                                           "'Eyeglasses'?"), "exit %d: %s", rc, g_out);
    /* without a CelebA name beside it, a near miss is only a warning */
    cond_gan(src, sizeof src, "[Eyeglases, Cat]", "bce");
    ck_assert_int_eq(data_write_text(path("m.gan"), src), 0);
    rc = RUN((char *)tool("GANC", "build/release/ganc"), path("m.gan"), "--check");
    ck_assert_msg(rc == 0 && strstr(g_out, "warning: 'Eyeglases' is not a CelebA attribute; did "
                                           "you mean 'Eyeglasses'?"), "exit %d: %s", rc, g_out);
    char longname[200];
    memset(longname, 'L', 70);
    snprintf(longname + 70, sizeof longname - 70, "%s", "");
    char labels[256];
    snprintf(labels, sizeof labels, "[Cat, %s]", longname);
    cond_gan(src, sizeof src, labels, "bce");
    ck_assert_int_eq(data_write_text(path("m.gan"), src), 0);
    rc = RUN((char *)tool("GANC", "build/release/ganc"), path("m.gan"), "--check");
    ck_assert_msg(rc != 0 && strstr(g_out, "m.gan:1:") &&
                  strstr(g_out, "label name is 70 bytes long; at most 63"), "exit %d: %s", rc, g_out);
}
END_TEST

int main(void) {
    Suite *s = suite_create("train_layouts");
    TCase *tc = tcase_create("layouts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, plain_folder_trains_unconditional_and_samples);
    tcase_add_test(tc, two_class_folders_train_class_conditional);
    tcase_add_test(tc, csv_labels_train_by_name);
    tcase_add_test(tc, celeba_names_keep_their_did_you_mean);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int f = srunner_ntests_failed(r);
    srunner_free(r);
    return f ? 1 : 0;
}
