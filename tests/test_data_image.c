/* Image decode/encode, the face crop + resize, and the grid writer. */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "runtime/data.h"
#include "runtime/data/data_int.h"
#include "tests/util/data_util.h"

static char *dir;
static char path[4200];
static void setup(void) {
    dir = data_tmpdir();
    ck_assert_ptr_nonnull(dir);
}
static void teardown(void) {
    data_rmtree(dir);
    free(dir);
}

START_TEST(png_roundtrip) {
    /* CHW float gradient in [-1,1] -> PNG -> decode: exact within rounding */
    int c = 3, h = 5, w = 7;
    float img[3 * 5 * 7];
    for (int i = 0; i < c * h * w; i++) img[i] = -1.0f + 2.0f * (float)i / (c * h * w - 1);
    snprintf(path, sizeof path, "%s/a.png", dir);
    char err[512] = "";
    ck_assert_msg(gan_write_png(path, img, c, h, w, -1, 1, err, sizeof err) == 0, "%s", err);
    gan_image8 d;
    ck_assert_msg(gan_image_read_file(path, 3, &d, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(d.w, 7);
    ck_assert_int_eq(d.h, 5);
    for (int ch = 0; ch < 3; ch++)
        for (int p = 0; p < h * w; p++) {
            float want = (img[ch * h * w + p] + 1.0f) * 127.5f;
            ck_assert_float_eq_tol((float)d.px[p * 3 + ch], want, 0.51f);
        }
    free(d.px);
    /* gan_read_image: square, no crop, same size: back to the same floats */
    float back[3 * 7 * 7];
    float sq[3 * 7 * 7];
    for (int i = 0; i < 3 * 49; i++) sq[i] = (float)(i % 11) / 10.0f;
    ck_assert_int_eq(gan_write_png(path, sq, 3, 7, 7, 0, 1, err, sizeof err), 0);
    ck_assert_int_eq(gan_read_image(path, 3, 7, 7, 0, 1, back, err, sizeof err), 0);
    for (int i = 0; i < 3 * 49; i++) ck_assert_float_eq_tol(back[i], sq[i], 0.5f / 255 + 1e-6f);
    /* no temp file left behind */
    snprintf(path, sizeof path, "%s/a.png.tmp.%ld", dir, (long)getpid());
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

START_TEST(decode_errors) {
    gan_image8 d;
    char err[512] = "";
    ck_assert_int_eq(gan_image_decode_mem("hello", 5, 3, "x.jpg", &d, err, sizeof err), -1);
    ck_assert_str_eq(err, "x.jpg: not a JPEG or PNG image");
    unsigned char fake_jpeg[16] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1};
    ck_assert_int_eq(gan_image_decode_mem(fake_jpeg, sizeof fake_jpeg, 3, "t.jpg", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "t.jpg: corrupt JPEG") != NULL, "%s", err);
    unsigned char fake_png[12] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
    ck_assert_int_eq(gan_image_decode_mem(fake_png, sizeof fake_png, 3, "t.png", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "t.png: corrupt PNG") != NULL, "%s", err);
    ck_assert_int_eq(gan_image_decode_mem("", 0, 3, "e.png", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "empty") != NULL, "%s", err);
    ck_assert_int_eq(gan_image_read_file("/nonexistent/q.png", 3, &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "/nonexistent/q.png") != NULL, "%s", err);
    /* JPEG, by content whatever the name; gray conversion */
    unsigned char rgb[16 * 16 * 3];
    for (int i = 0; i < 16 * 16; i++) rgb[i * 3] = 200, rgb[i * 3 + 1] = 100, rgb[i * 3 + 2] = 50;
    snprintf(path, sizeof path, "%s/j.png", dir);
    ck_assert_int_eq(data_write_jpeg(path, rgb, 16, 16, 95), 0);
    ck_assert_msg(gan_image_read_file(path, 3, &d, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(d.w, 16);
    ck_assert_int_le(abs(d.px[0] - 200), 3);
    ck_assert_int_le(abs(d.px[1] - 100), 3);
    free(d.px);
    ck_assert_int_eq(gan_image_read_file(path, 1, &d, err, sizeof err), 0);
    ck_assert_int_eq(d.c, 1);
    ck_assert_int_le(abs(d.px[0] - (int)(0.299 * 200 + 0.587 * 100 + 0.114 * 50)), 4);
    free(d.px);
}
END_TEST

START_TEST(face_crop) {
    /* 89x109 portrait: rows < 10 red, rows >= 99 green, the rest blue: the crop keeps only
       blue, and a 2x2 checker averages out to grey */
    gan_image8 in = {.w = 89, .h = 109, .c = 3};
    in.px = malloc(89 * 109 * 3);
    for (int y = 0; y < 109; y++)
        for (int x = 0; x < 89; x++) {
            unsigned char *p = in.px + (y * 89 + x) * 3;
            p[0] = y < 10 ? 255 : 0;
            p[1] = y >= 99 ? 255 : 0;
            p[2] = y >= 10 && y < 99 ? 255 : 0;
        }
    static unsigned char out[3 * 64 * 64];
    gan_image_crop_resize(&in, 32, 32, out);
    for (int p = 0; p < 32 * 32; p++) {
        ck_assert_int_eq(out[p], 0);
        ck_assert_int_eq(out[1024 + p], 0);
        ck_assert_int_eq(out[2048 + p], 255);
    }
    free(in.px);
    /* 178x218: crop starts at row 20 */
    in.w = 178, in.h = 218;
    in.px = malloc(178 * 218 * 3);
    for (int y = 0; y < 218; y++)
        for (int x = 0; x < 178; x++) {
            unsigned char *p = in.px + (y * 178 + x) * 3;
            p[0] = p[1] = p[2] = (y >= 20 && y < 198) ? 255 : 0;
        }
    gan_image_crop_resize(&in, 64, 64, out);
    for (int p = 0; p < 3 * 64 * 64; p++) ck_assert_int_eq(out[p], 255);
    free(in.px);
    /* square checker 4x4 -> 2x2: area average */
    unsigned char chk[16];
    for (int i = 0; i < 16; i++) chk[i] = ((i / 4 + i % 4) & 1) ? 255 : 0;
    gan_image8 g = {.w = 4, .h = 4, .c = 1, .px = chk};
    unsigned char o2[4];
    gan_image_crop_resize(&g, 2, 2, o2);
    for (int i = 0; i < 4; i++) ck_assert_int_le(abs(o2[i] - 128), 1);
    /* enlarging a flat image keeps it flat */
    unsigned char flat[9] = {77, 77, 77, 77, 77, 77, 77, 77, 77}, big[36];
    gan_image8 f = {.w = 3, .h = 3, .c = 1, .px = flat};
    gan_image_crop_resize(&f, 6, 6, big);
    for (int i = 0; i < 36; i++) ck_assert_int_eq(big[i], 77);
}
END_TEST

START_TEST(jpeg_scaled_decode) {
    /* a smooth 178x218 portrait: decoding at 1/2 scale in the IDCT then cropping gives
       (nearly) what the full-size decode gives */
    int w = 178, h = 218;
    unsigned char *rgb = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = (unsigned char)(x * 255 / w);
            p[1] = (unsigned char)(y * 255 / h);
            p[2] = (unsigned char)((x + y) & 64 ? 200 : 60);
        }
    snprintf(path, sizeof path, "%s/big.jpg", dir);
    ck_assert_int_eq(data_write_jpeg(path, rgb, w, h, 95), 0);
    free(rgb);
    char err[512] = "";
    gan_image8 full, half, tiny;
    ck_assert_int_eq(gan_image_read_file(path, 3, &full, err, sizeof err), 0);
    ck_assert_int_eq(gan_image_read_file_min(path, 3, 64, &half, err, sizeof err), 0);
    ck_assert_int_eq(gan_image_read_file_min(path, 3, 16, &tiny, err, sizeof err), 0);
    ck_assert_int_eq(full.w, 178);
    ck_assert_int_eq(half.w, 89);
    ck_assert_int_eq(half.h, 109);
    ck_assert_int_eq(tiny.w, 23); /* 1/8: ceil(178 / 8) */
    static unsigned char a[3 * 64 * 64], b[3 * 64 * 64];
    gan_image_crop_resize(&full, 64, 64, a);
    gan_image_crop_resize(&half, 64, 64, b);
    double mad = 0;
    for (int i = 0; i < 3 * 64 * 64; i++) mad += abs(a[i] - b[i]);
    mad /= 3 * 64 * 64;
    ck_assert_msg(mad < 4.0, "mean abs difference %.2f", mad);
    free(full.px);
    free(half.px);
    free(tiny.px);
    /* a JPEG declaring a side over the limit is refused before decoding, at full size and
       with the loader's size hint alike (at 1/8 its output would be within the limit, and
       every block would still be decoded: fuzz/regress/image/jpeg_sof9_64775_wide.jpg) */
    size_t len = 0;
    unsigned char *jpg = data_read_all(path, &len);
    ck_assert_ptr_nonnull(jpg);
    size_t sof = 0;
    for (size_t i = 2; i + 9 < len && !sof; i++)
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) sof = i;
    ck_assert_uint_gt(sof, 0);
    jpg[sof + 7] = 0xFD; /* width 64775 */
    jpg[sof + 8] = 0x07;
    for (int min_side = 0; min_side <= 16; min_side += 16) {
        gan_image8 d;
        ck_assert_int_eq(gan_image_decode_mem_min(jpg, len, 3, min_side, "w.jpg", &d, err,
                                                  sizeof err), -1);
        ck_assert_msg(strstr(err, "w.jpg: corrupt JPEG: unsupported size 64775x218"), "%s", err);
    }
    free(jpg);
}
END_TEST

START_TEST(grid) {
    int n = 5, c = 3, h = 9, w = 6;
    float *imgs = malloc(sizeof(float) * n * c * h * w);
    for (int i = 0; i < n * c * h * w; i++) imgs[i] = 1.0f; /* white tiles */
    const char *labels[2] = {"Smiling", "x"};
    snprintf(path, sizeof path, "%s/grid.png", dir);
    char err[512] = "";
    ck_assert_msg(gan_write_grid_png(path, imgs, n, c, h, w, -1, 1, 3, labels, err, sizeof err) == 0, "%s", err);
    gan_image8 d;
    ck_assert_int_eq(gan_image_read_file(path, 3, &d, err, sizeof err), 0);
    int margin = 7 * 6 + 4;
    ck_assert_int_eq(d.w, margin + 1 + 3 * (w + 1));
    ck_assert_int_eq(d.h, 1 + 2 * (h + 1));
    /* the tile area is white; the gap between tiles is not; the margin holds text pixels */
    ck_assert_int_eq(d.px[((1) * d.w + margin + 1) * 3], 255);
    ck_assert_int_lt(d.px[((1) * d.w + margin + 1 + w) * 3], 100);
    int lit = 0;
    for (int y = 0; y < h + 1; y++)
        for (int x = 0; x < margin; x++) lit += d.px[(y * d.w + x) * 3] > 200;
    ck_assert_int_gt(lit, 20);
    /* the missing sixth tile stays background */
    ck_assert_int_lt(d.px[((1 + h + 1) * d.w + margin + 1 + 2 * (w + 1)) * 3], 100);
    free(d.px);
    /* no labels: no margin; gray images */
    ck_assert_int_eq(gan_write_grid_png(path, imgs, 4, 1, h, w, 0, 1, 2, NULL, err, sizeof err), 0);
    ck_assert_int_eq(gan_image_read_file(path, 3, &d, err, sizeof err), 0);
    ck_assert_int_eq(d.w, 1 + 2 * (w + 1));
    ck_assert_int_eq(d.h, 1 + 2 * (h + 1));
    free(d.px);
    ck_assert_int_eq(gan_write_grid_png(path, imgs, 0, 3, h, w, -1, 1, 3, NULL, err, sizeof err), -1);
    ck_assert_int_eq(gan_write_grid_png("/nonexistent/dir/g.png", imgs, 1, 3, h, w, -1, 1, 3, NULL, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "/nonexistent/dir/g.png") != NULL, "%s", err);
    free(imgs);
}
END_TEST

/* A PNG write that fails (a file size limit: what a full disk looks like) names the user's
 * path, never the temporary file it writes into (x.png.tmp.PID), and keeps the old file. Small
 * images fail at the flush, large ones inside libpng's encoder: both are tried, atomic and
 * plain. */
START_TEST(png_write_failure_names_the_users_path) {
    snprintf(path, sizeof path, "%s/keep.png", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("precious\n", f);
    fclose(f);
    static unsigned char px[3 * 96 * 96];
    uint32_t r = 12345; /* noise: it does not compress below the limit */
    for (size_t i = 0; i < sizeof px; i++) {
        r = r * 1664525u + 1013904223u;
        px[i] = (unsigned char)(r >> 24);
    }
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, rl;
    getrlimit(RLIMIT_FSIZE, &old);
    const int sides[2] = {8, 96};
    for (int k = 0; k < 2; k++) {
        for (int atomic = 1; atomic >= 0; atomic--) {
            char p[4300], err[512] = "";
            if (atomic)
                snprintf(p, sizeof p, "%s", path);
            else
                snprintf(p, sizeof p, "%s/plain%d.png", dir, k);
            rl.rlim_cur = 64;
            rl.rlim_max = old.rlim_max;
            ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
            int rc = gan_png_write8(p, px, 3, sides[k], sides[k], atomic, err, sizeof err);
            setrlimit(RLIMIT_FSIZE, &old);
            ck_assert_msg(rc == -1, "%dx%d atomic %d: the write succeeded", sides[k], sides[k],
                          atomic);
            ck_assert_msg(strstr(err, p) && !strstr(err, ".tmp."), "%dx%d atomic %d: %s",
                          sides[k], sides[k], atomic, err);
        }
        /* the old file is as it was, and no temporary is left beside it */
        char buf[64] = "";
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
        fclose(f);
        ck_assert_str_eq(buf, "precious\n");
        char tmp[4300];
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
        ck_assert_int_ne(access(tmp, F_OK), 0);
    }
}
END_TEST

START_TEST(resample_planes) {
    /* enlarging: bilinear on pixel centres, clamped at the borders */
    float row[2] = {0, 1}, up[4];
    ck_assert_int_eq(gan_resample_planes(row, 1, 1, 2, up, 1, 4), 0);
    const float want[4] = {0, 0.25f, 0.75f, 1};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(fabsf(up[i] - want[i]) < 1e-6f, "up[%d] = %g, want %g", i, up[i], want[i]);
    /* shrinking by 2: the mean of each 2x2 block, plane by plane */
    float img[2 * 16], half[2 * 4];
    for (int i = 0; i < 32; i++)
        img[i] = (float)(i * 7 % 11);
    ck_assert_int_eq(gan_resample_planes(img, 2, 4, 4, half, 2, 2), 0);
    for (int p = 0; p < 2; p++)
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 2; x++) {
                const float *b = img + p * 16 + y * 8 + x * 2;
                float m = (b[0] + b[1] + b[4] + b[5]) / 4;
                ck_assert_msg(fabsf(half[p * 4 + y * 2 + x] - m) < 1e-5f, "plane %d (%d,%d)", p, y, x);
            }
    /* a constant plane stays constant at any size */
    float c[5 * 7], big[13 * 11];
    for (int i = 0; i < 35; i++)
        c[i] = -0.5f;
    ck_assert_int_eq(gan_resample_planes(c, 1, 5, 7, big, 13, 11), 0);
    for (int i = 0; i < 13 * 11; i++)
        ck_assert_msg(fabsf(big[i] + 0.5f) < 1e-6f, "big[%d] = %g", i, big[i]);
}
END_TEST

int main(void) {
    Suite *s = suite_create("data_image");
    TCase *tc = tcase_create("image");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, png_roundtrip);
    tcase_add_test(tc, decode_errors);
    tcase_add_test(tc, face_crop);
    tcase_add_test(tc, jpeg_scaled_decode);
    tcase_add_test(tc, grid);
    tcase_add_test(tc, resample_planes);
    tcase_add_test(tc, png_write_failure_names_the_users_path);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
