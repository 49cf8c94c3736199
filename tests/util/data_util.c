/* Test helpers for the data suites: temp dirs, tiny CelebA-layout data sets, JPEG writing. */
#include "tests/util/data_util.h"
#include "runtime/data.h"
#include "common/bytes.h"

#include <dirent.h>
#include <stdio.h>
/* jpeglib.h needs stdio.h first */
#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *data_tmpdir(void) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    size_t n = strlen(base) + 32;
    char *p = malloc(n);
    if (!p) return NULL;
    snprintf(p, n, "%s/ganrt_data_XXXXXX", base);
    if (!mkdtemp(p)) {
        free(p);
        return NULL;
    }
    return p;
}

static void rm_dir_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            rm_dir_files(path);
            rmdir(path);
        } else {
            unlink(path);
        }
    }
    closedir(d);
}

void data_rmtree(const char *dir) {
    if (!dir) return;
    rm_dir_files(dir);
    rmdir(dir);
}

int data_write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int data_write_jpeg(const char *path, const unsigned char *rgb, int w, int h, int quality) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr jerr;
    ci.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&ci);
    jpeg_stdio_dest(&ci, f);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = 3;
    ci.in_color_space = JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, quality, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)ci.next_scanline * w * 3);
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    return fclose(f) == 0 ? 0 : -1;
}

int data_set_red(int i) { return 8 * (i % 32) + 4; }
int data_set_green(int i) { return 8 * ((i / 32) % 32) + 4; }

int data_make_set(const char *dir, int n, int w, int h, int jpeg_every) {
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/img_align_celeba", dir);
    if (mkdir(path, 0755) != 0) return -1;
    unsigned char *rgb = malloc((size_t)w * h * 3);
    size_t cap = 64 + (size_t)n * 160 + 1024;
    char *txt = malloc(cap);
    if (!rgb || !txt) {
        free(rgb);
        free(txt);
        return -1;
    }
    size_t off = (size_t)snprintf(txt, cap, "%d\n", n);
    for (int a = 0; a < GAN_CELEBA_N_ATTRS; a++)
        off += (size_t)snprintf(txt + off, cap - off, "%s%s", gan_celeba_attr_names[a],
                                a + 1 < GAN_CELEBA_N_ATTRS ? " " : "\n");
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        for (int p = 0; p < w * h; p++) {
            rgb[p * 3 + 0] = (unsigned char)data_set_red(i);
            rgb[p * 3 + 1] = (unsigned char)data_set_green(i);
            rgb[p * 3 + 2] = 200;
        }
        int jpeg = jpeg_every > 0 && i % jpeg_every == jpeg_every - 1;
        snprintf(path, sizeof path, "%s/img_align_celeba/%06d.%s", dir, i + 1, jpeg ? "jpg" : "png");
        if (jpeg) rc = data_write_jpeg(path, rgb, w, h, 98);
        else rc = gan_png_write8(path, rgb, 3, h, w, 0, err, sizeof err);
        off += (size_t)snprintf(txt + off, cap - off, "%06d.%s", i + 1, jpeg ? "jpg" : "png");
        for (int a = 0; a < GAN_CELEBA_N_ATTRS; a++)
            off += (size_t)snprintf(txt + off, cap - off, " %2d", ((i >> (a % 5)) & 1) ? 1 : -1);
        off += (size_t)snprintf(txt + off, cap - off, "\n");
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/list_attr_celeba.txt", dir);
        rc = data_write_text(path, txt);
    }
    free(rgb);
    free(txt);
    return rc;
}

unsigned char *data_read_all(const char *path, size_t *len) {
    uint8_t *b;
    return gan_read_file(path, &b, len, SIZE_MAX, NULL, 0) ? NULL : b;
}
