/* The synthetic face renderer and `ganrt data synth`. */
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
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

#define NF 2000

static void check_freqs(const float *freq, uint64_t seed) {
    static unsigned char a[NF][GAN_SYN_N_ATTRS];
    for (int i = 0; i < NF; i++) {
        gan_synth_face f;
        ck_assert_int_eq(gan_synth_sample(&f, seed, (uint64_t)i, freq), 0);
        memcpy(a[i], f.attr, GAN_SYN_N_ATTRS);
        ck_assert(!(f.attr[GAN_SYN_BLOND_HAIR] && f.attr[GAN_SYN_BLACK_HAIR]));
    }
    const float *p = freq ? freq : gan_synth_default_freq;
    double mean[GAN_SYN_N_ATTRS];
    for (int k = 0; k < GAN_SYN_N_ATTRS; k++) {
        int c = 0;
        for (int i = 0; i < NF; i++) c += a[i][k];
        mean[k] = (double)c / NF;
        double tol = 4.0 * sqrt(p[k] * (1 - p[k]) / NF) + 1e-9;
        ck_assert_msg(fabs(mean[k] - p[k]) <= tol, "%s: rate %.3f, configured %.3f",
                      gan_synth_attr_names[k], mean[k], (double)p[k]);
    }
    for (int j = 0; j < GAN_SYN_N_ATTRS; j++)
        for (int k = j + 1; k < GAN_SYN_N_ATTRS; k++) {
            if (j == GAN_SYN_BLOND_HAIR && k == GAN_SYN_BLACK_HAIR) continue; /* exclusive by design */
            double sjk = 0;
            for (int i = 0; i < NF; i++) sjk += (a[i][j] - mean[j]) * (a[i][k] - mean[k]);
            double vj = mean[j] * (1 - mean[j]), vk = mean[k] * (1 - mean[k]);
            if (vj < 1e-9 || vk < 1e-9) continue;
            double corr = sjk / NF / sqrt(vj * vk);
            ck_assert_msg(fabs(corr) < 0.09, "corr(%s, %s) = %.3f", gan_synth_attr_names[j],
                          gan_synth_attr_names[k], corr);
        }
}

START_TEST(frequencies_and_independence) {
    check_freqs(NULL, 1);
    float f[GAN_SYN_N_ATTRS] = {0.2f, 0.1f, 0.5f, 0.25f, 0.4f, 0.6f, 0.7f, 0.15f};
    check_freqs(f, 77);
    /* invalid frequencies are refused */
    gan_synth_face face;
    f[GAN_SYN_BLACK_HAIR] = 0.6f; /* blond + black > 1 */
    ck_assert_int_eq(gan_synth_sample(&face, 1, 0, f), -1);
    f[GAN_SYN_BLACK_HAIR] = 0.2f;
    f[0] = 1.5f;
    ck_assert_int_eq(gan_synth_sample(&face, 1, 0, f), -1);
    f[0] = NAN;
    ck_assert_int_eq(gan_synth_sample(&face, 1, 0, f), -1);
}
END_TEST

static int files_equal(const char *a, const char *b) {
    size_t na, nb;
    unsigned char *x = data_read_all(a, &na), *y = data_read_all(b, &nb);
    int eq = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return eq;
}

START_TEST(determinism) {
    char a[4200], b[4200], c[4200], pa[4300], pb[4300], pc[4300], err[512] = "";
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(c, sizeof c, "%s/c", dir);
    ck_assert_msg(gan_synth_write_dataset(a, 24, 32, 5, NULL, 0, 2, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(gan_synth_write_dataset(b, 24, 32, 5, NULL, 0, 1, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(gan_synth_write_dataset(c, 24, 32, 6, NULL, 0, 2, err, sizeof err) == 0, "%s", err);
    int differ = 0;
    for (int i = 1; i <= 24; i++) {
        snprintf(pa, sizeof pa, "%s/img_align_celeba/%06d.png", a, i);
        snprintf(pb, sizeof pb, "%s/img_align_celeba/%06d.png", b, i);
        snprintf(pc, sizeof pc, "%s/img_align_celeba/%06d.png", c, i);
        ck_assert_msg(files_equal(pa, pb), "%s differs between runs", pa);
        differ += !files_equal(pa, pc);
    }
    ck_assert_int_ge(differ, 20);
    snprintf(pa, sizeof pa, "%s/list_attr_celeba.txt", a);
    snprintf(pb, sizeof pb, "%s/list_attr_celeba.txt", b);
    ck_assert(files_equal(pa, pb));
    /* the attribute file: all 40 names, rendered attributes from the faces, the rest -1 */
    gan_attr_table t;
    ck_assert_msg(gan_attr_table_read(pa, &t, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(t.n_attrs, 40);
    ck_assert_uint_eq(t.n_rows, 24);
    ck_assert_str_eq(t.files[0], "000001.png");
    for (size_t r = 0; r < t.n_rows; r++) {
        gan_synth_face f;
        gan_synth_sample(&f, 5, r, NULL);
        for (int k = 0; k < GAN_SYN_N_ATTRS; k++)
            ck_assert_int_eq(t.values[r * 40 + gan_attr_find(&t, gan_synth_attr_names[k])],
                             f.attr[k] ? 1 : -1);
        int brown = !f.attr[GAN_SYN_BLOND_HAIR] && !f.attr[GAN_SYN_BLACK_HAIR];
        ck_assert_int_eq(t.values[r * 40 + gan_attr_find(&t, "Brown_Hair")], brown ? 1 : -1);
        ck_assert_int_eq(t.values[r * 40 + gan_attr_find(&t, "Young")], -1);
    }
    gan_attr_table_free(&t);
}
END_TEST

#define S 64
typedef struct { int n, x0, y0, x1, y1; } diffbox;

/* Renders face `index` with attribute k forced off and on (nuisance unchanged), no roll. */
static diffbox toggle(int index, int k, gan_synth_face *off_face, unsigned char *off,
                      unsigned char *on) {
    float fr[GAN_SYN_N_ATTRS];
    memcpy(fr, gan_synth_default_freq, sizeof fr);
    gan_synth_face f0, f1;
    fr[k] = 0.0f;
    ck_assert_int_eq(gan_synth_sample(&f0, 3, (uint64_t)index, fr), 0);
    fr[k] = 1.0f;
    if (k == GAN_SYN_BLOND_HAIR) fr[GAN_SYN_BLACK_HAIR] = 0.0f;
    if (k == GAN_SYN_BLACK_HAIR) fr[GAN_SYN_BLOND_HAIR] = 0.0f;
    ck_assert_int_eq(gan_synth_sample(&f1, 3, (uint64_t)index, fr), 0);
    ck_assert_int_eq(f1.attr[k], 1);
    ck_assert_int_eq(f0.attr[k], 0);
    f0.tilt = f1.tilt = 0;
    gan_synth_draw(&f0, S, off);
    gan_synth_draw(&f1, S, on);
    *off_face = f0;
    diffbox b = {0, S, S, -1, -1};
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            const unsigned char *p = off + (y * S + x) * 3, *q = on + (y * S + x) * 3;
            int d = abs(p[0] - q[0]) + abs(p[1] - q[1]) + abs(p[2] - q[2]);
            if (d <= 6) continue;
            b.n++;
            if (x < b.x0) b.x0 = x;
            if (y < b.y0) b.y0 = y;
            if (x > b.x1) b.x1 = x;
            if (y > b.y1) b.y1 = y;
        }
    return b;
}

static int same_px(const unsigned char *a, const unsigned char *b, int x, int y) {
    return !memcmp(a + (y * S + x) * 3, b + (y * S + x) * 3, 3);
}

START_TEST(attributes_change_expected_regions) {
    static unsigned char off[S * S * 3], on[S * S * 3];
    for (int idx = 0; idx < 6; idx++) {
        gan_synth_face f;
        diffbox b;
        /* head units to pixel rows */
#define ROW(v) ((f.cy + (v) * f.scale) * S)
#define COL(u) ((f.cx + (u) * f.scale) * S)
        b = toggle(idx, GAN_SYN_SMILING, &f, off, on);
        ck_assert_int_gt(b.n, 8);
        ck_assert_msg(b.y0 >= ROW(0.25f) - 1 && b.y1 <= ROW(0.95f) + 1, "smile rows %d-%d", b.y0, b.y1);
        ck_assert(b.x0 >= COL(-0.6f) - 1 && b.x1 <= COL(0.6f) + 1);

        b = toggle(idx, GAN_SYN_EYEGLASSES, &f, off, on);
        ck_assert_int_gt(b.n, 20);
        ck_assert_msg(b.y0 >= ROW(f.eye_y - 0.3f) - 1 && b.y1 <= ROW(f.eye_y + 0.3f) + 1,
                      "glasses rows %d-%d", b.y0, b.y1);

        b = toggle(idx, GAN_SYN_MUSTACHE, &f, off, on);
        ck_assert_int_gt(b.n, 6);
        ck_assert_msg(b.y0 >= ROW(f.mouth_y - 0.25f) - 1 && b.y1 <= ROW(f.mouth_y + 0.1f) + 1,
                      "mustache rows %d-%d", b.y0, b.y1);

        b = toggle(idx, GAN_SYN_WEARING_HAT, &f, off, on);
        ck_assert_int_gt(b.n, 40);
        ck_assert_msg(b.y1 <= ROW(f.fringe + 0.15f) + 1, "hat reaches row %d", b.y1);

        for (int k = GAN_SYN_BLOND_HAIR; k <= GAN_SYN_BLACK_HAIR; k++) {
            b = toggle(idx, k, &f, off, on);
            /* hair changes, the cheek and the background do not */
            ck_assert_int_gt(b.n, 30);
            ck_assert(same_px(off, on, (int)COL(0.4f), (int)ROW(0.3f)));
            ck_assert(same_px(off, on, 0, S - 1));
        }

        b = toggle(idx, GAN_SYN_PALE_SKIN, &f, off, on);
        ck_assert(!same_px(off, on, (int)COL(0.4f), (int)ROW(0.3f)));
        ck_assert(same_px(off, on, 0, 0));

        b = toggle(idx, GAN_SYN_MALE, &f, off, on);
        ck_assert_int_gt(b.n, 30);
        ck_assert(same_px(off, on, 0, 0));
#undef ROW
#undef COL
    }
}
END_TEST

START_TEST(loader_reads_synth) {
    char err[512] = "";
    ck_assert_msg(gan_synth_write_dataset(dir, 300, 32, 9, NULL, 0, 2, err, sizeof err) == 0, "%s", err);
    char names[3][64] = {"Eyeglasses", "Wearing_Hat", "Smiling"};
    gan_loader_opts o = {.dir = dir, .c = 3, .h = 32, .w = 32, .lo = -1, .hi = 1,
                         .label_kind = GAN_LABELS_MULTI, .n_labels = 3,
                         .label_names = (const char (*)[64])names, .batch = 50, .seed = 1};
    gan_loader *l = gan_loader_open(&o, err, sizeof err);
    ck_assert_msg(l != NULL, "%s", err);
    float *img = malloc(sizeof(float) * 50 * 3 * 32 * 32), lab[150];
    double rate[3] = {0};
    for (int b = 0; b < 6; b++) {
        ck_assert_int_eq(gan_loader_next(l, img, lab, err, sizeof err), 0);
        for (int i = 0; i < 150; i++) rate[i % 3] += lab[i];
    }
    for (int k = 0; k < 3; k++) rate[k] /= 300;
    /* one full epoch: exactly the file's rates */
    int cnt[3] = {0};
    for (int i = 0; i < 300; i++) {
        gan_synth_face f;
        gan_synth_sample(&f, 9, (uint64_t)i, NULL);
        cnt[0] += f.attr[GAN_SYN_EYEGLASSES];
        cnt[1] += f.attr[GAN_SYN_WEARING_HAT];
        cnt[2] += f.attr[GAN_SYN_SMILING];
    }
    for (int k = 0; k < 3; k++) ck_assert_double_eq_tol(rate[k], cnt[k] / 300.0, 1e-9);
    ck_assert_uint_eq(gan_loader_bad_count(l), 0);
    free(img);
    gan_loader_close(l);
}
END_TEST

/* Runs `ganrt data ...` with stdout and stderr captured into out (NUL-terminated). */
static int run_cli_out(int argc, const char **argv, char *out, size_t outlen) {
    char cap[4200];
    snprintf(cap, sizeof cap, "%s/cli_output.txt", dir);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    int rc = ganrt_data_main(argc, (char **)argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    close(fd);
    size_t n = 0;
    unsigned char *b = data_read_all(cap, &n);
    if (n >= outlen) n = outlen - 1;
    if (b) memcpy(out, b, n);
    out[n] = 0;
    free(b);
    unlink(cap);
    return rc;
}
static char cli_out[16384];
static int run_cli(int argc, const char **argv) {
    return run_cli_out(argc, argv, cli_out, sizeof cli_out);
}

START_TEST(cli) {
    char out[4200], attr[4300];
    snprintf(out, sizeof out, "%s/cli", dir);
    const char *help[] = {"data", "synth", "--help"};
    ck_assert_int_eq(run_cli(3, help), 0);
    ck_assert_msg(strstr(cli_out, "usage: ganrt data synth") && strstr(cli_out, "Pale_Skin"), "%s", cli_out);
    const char *none[] = {"data"};
    ck_assert_int_eq(run_cli(1, none), 2);
    const char *unk[] = {"data", "synht"};
    ck_assert_int_eq(run_cli(2, unk), 2);
    ck_assert_msg(strstr(cli_out, "did you mean 'synth'?") != NULL, "%s", cli_out);
    const char *noout[] = {"data", "synth", "--n", "3"};
    ck_assert_int_eq(run_cli(4, noout), 2);
    const char *badn[] = {"data", "synth", "--n", "x", "-o", out};
    ck_assert_int_eq(run_cli(6, badn), 2);
    const char *badattr[] = {"data", "synth", "--attrs", "Smilng=0.3", "-o", out};
    ck_assert_int_eq(run_cli(6, badattr), 2);
    ck_assert_msg(strstr(cli_out, "'Smilng' is not a rendered attribute; did you mean 'Smiling'?") != NULL,
                  "%s", cli_out);
    const char *excl[] = {"data", "synth", "--attrs", "Blond_Hair=0.7,Black_Hair=0.5", "-o", out};
    ck_assert_int_eq(run_cli(6, excl), 2);
    ck_assert_msg(strstr(cli_out, "exclusive") != NULL, "%s", cli_out);
    const char *ok[] = {"data", "synth", "--n", "12", "--size", "16", "--seed", "3", "--attrs",
                        "Smiling=1,Male=0", "--quiet", "-o", out};
    ck_assert_int_eq(run_cli(13, ok), 0);
    ck_assert_str_eq(cli_out, ""); /* --quiet, and stderr is not a terminal anyway */
    snprintf(attr, sizeof attr, "%s/list_attr_celeba.txt", out);
    gan_attr_table t;
    char err[512];
    ck_assert_msg(gan_attr_table_read(attr, &t, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(t.n_rows, 12);
    for (size_t r = 0; r < 12; r++) {
        ck_assert_int_eq(t.values[r * 40 + gan_attr_find(&t, "Smiling")], 1);
        ck_assert_int_eq(t.values[r * 40 + gan_attr_find(&t, "Male")], -1);
    }
    gan_attr_table_free(&t);
    snprintf(attr, sizeof attr, "%s/img_align_celeba/000012.png", out);
    gan_image8 im;
    ck_assert_int_eq(gan_image_read_file(attr, 3, &im, err, sizeof err), 0);
    ck_assert_int_eq(im.w, 16);
    free(im.px);
}
END_TEST

int main(void) {
    Suite *s = suite_create("data_synth");
    TCase *tc = tcase_create("synth");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, frequencies_and_independence);
    tcase_add_test(tc, determinism);
    tcase_add_test(tc, attributes_change_expected_regions);
    tcase_add_test(tc, loader_reads_synth);
    tcase_add_test(tc, cli);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
