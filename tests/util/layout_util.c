/* Image files and folders for the data-layout tests; see layout_util.h. */
#include "tests/util/layout_util.h"
#include "tests/util/data_util.h"
#include "runtime/data.h"
#include "runtime/train.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int layout_mkdirs(const char *root, const char *rel) {
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    char e[512];
    return gan_mkdirs(p, e, sizeof e);
}

int layout_write_image(const char *root, const char *rel, int w, int h, int r, int g) {
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    char *sl = strrchr(p, '/');
    char e[512];
    *sl = 0;
    if (gan_mkdirs(p, e, sizeof e)) return -1;
    *sl = '/';
    unsigned char *px = malloc((size_t)w * h * 3);
    if (!px) return -1;
    for (int i = 0; i < w * h; i++) px[3 * i] = (unsigned char)r, px[3 * i + 1] = (unsigned char)g, px[3 * i + 2] = 200;
    size_t l = strlen(p);
    int rc = l > 4 && !strcmp(p + l - 4, ".png") ? gan_png_write8(p, px, 3, h, w, 0, e, sizeof e)
                                                 : data_write_jpeg(p, px, w, h, 95);
    free(px);
    return rc;
}

int layout_make_plain(const char *root, int n) {
    static const char *const sub[] = {"", "a/", "a/b/", "c/"};
    for (int i = 0; i < n; i++) {
        char rel[128];
        int w = 9 + (i * 7) % 32, h = 9 + (i * 13) % 32;
        snprintf(rel, sizeof rel, "%simg_%03d.%s", sub[i % 4], i, i % 3 ? "png" : "jpg");
        if (layout_write_image(root, rel, w, h, (i * 8) % 256, (i / 32) * 8)) return -1;
    }
    return 0;
}

static int cap_fd = -1, saved_fd = -1;
static char cap_path[4400];

void capture_begin(const char *scratch_dir) {
    snprintf(cap_path, sizeof cap_path, "%s/.stderr.txt", scratch_dir);
    fflush(stderr);
    saved_fd = dup(2);
    cap_fd = open(cap_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(cap_fd, 2);
}

char *capture_end(void) {
    fflush(stderr);
    dup2(saved_fd, 2);
    close(saved_fd);
    close(cap_fd);
    size_t n;
    unsigned char *b = data_read_all(cap_path, &n);
    char *s = calloc(n + 1, 1);
    if (b && s) memcpy(s, b, n);
    free(b);
    unlink(cap_path);
    return s;
}
