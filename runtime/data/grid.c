/* Sample grids: n images tiled `cols` per row on a dark background with 1-pixel gaps (and a
 * 1-pixel border), and optionally a text label per row in a left margin, drawn with the
 * built-in 5x7 font at 1x. Written as RGB PNG atomically.
 */
#include "runtime/data.h"
#include "runtime/data/data_int.h"
#include "common/err.h"

#include <stdlib.h>
#include <string.h>

#define GRID_BG 32
#define GRID_FG 235
#define LABEL_MAX_CHARS 48

static void draw_text(unsigned char *rgb, int W, int H, int x, int y, const char *s, int maxch) {
    int len = (int)strlen(s);
    int trunc = len > maxch;
    for (int i = 0; i < len && i < maxch; i++) {
        int ch = (unsigned char)s[i];
        if (trunc && i >= maxch - 2) ch = '.';
        const unsigned char *g = gan_font_glyph(ch), *d = gan_font_descender(ch);
        for (int r = 0; r < GAN_FONT_H + 2; r++)
            for (int cx = 0; cx < GAN_FONT_W; cx++) {
                if (!((r < GAN_FONT_H ? g[r] : d[r - GAN_FONT_H]) & (0x10 >> cx))) continue;
                int px = x + i * GAN_FONT_CELL_W + cx, py = y + r;
                if (px < 0 || py < 0 || px >= W || py >= H) continue;
                unsigned char *p = rgb + ((size_t)py * W + px) * 3;
                p[0] = p[1] = p[2] = GRID_FG;
            }
    }
}

int gan_write_grid_png(const char *path, const float *images, int n, int c, int h, int w,
                       float lo, float hi, int cols, const char *const *row_labels,
                       char *err, size_t errlen) {
    if (n <= 0 || (c != 1 && c != 3) || h <= 0 || w <= 0 || h > 4096 || w > 4096 || cols <= 0 ||
        !(hi > lo) || !images) {
        return gan_errf(err, errlen, "%s: cannot write a grid of %d images %dx%dx%d, %d per row",
                        path, n, c, h, w, cols);
    }
    if (cols > n) cols = n;
    int rows = (n + cols - 1) / cols;
    int margin = 0, maxch = 0;
    if (row_labels) {
        for (int r = 0; r < rows; r++) {
            int l = row_labels[r] ? (int)strlen(row_labels[r]) : 0;
            if (l > maxch) maxch = l;
        }
        if (maxch > LABEL_MAX_CHARS) maxch = LABEL_MAX_CHARS;
        if (maxch) margin = maxch * GAN_FONT_CELL_W + 4;
    }
    long long W = (long long)margin + 1 + (long long)cols * (w + 1);
    long long H = 1 + (long long)rows * (h + 1);
    if (W > 65535 || H > 65535) {
        return gan_errf(err, errlen, "%s: grid of %lldx%lld pixels is too large", path, W, H);
    }
    unsigned char *rgb = malloc((size_t)(W * H * 3));
    if (!rgb) {
        return gan_errf(err, errlen, "%s: out of memory", path);
    }
    memset(rgb, GRID_BG, (size_t)(W * H * 3));
    float k = 255.0f / (hi - lo);
    size_t hw = (size_t)h * w;
    for (int i = 0; i < n; i++) {
        int gx = margin + 1 + (i % cols) * (w + 1), gy = 1 + (i / cols) * (h + 1);
        const float *img = images + (size_t)i * c * hw;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                unsigned char *p = rgb + (((size_t)(gy + y)) * W + gx + x) * 3;
                for (int ch = 0; ch < 3; ch++) {
                    float t = (img[(size_t)(c == 3 ? ch : 0) * hw + (size_t)y * w + x] - lo) * k;
                    p[ch] = !(t > 0.0f) ? 0 : t >= 255.0f ? 255 : (unsigned char)(t + 0.5f);
                }
            }
    }
    if (margin)
        for (int r = 0; r < rows; r++) {
            if (!row_labels[r]) continue;
            int ty = 1 + r * (h + 1) + (h - GAN_FONT_H) / 2;
            draw_text(rgb, (int)W, (int)H, 2, ty, row_labels[r], maxch);
        }
    int rc = gan_png_write8(path, rgb, 3, (int)H, (int)W, 1, err, errlen);
    free(rgb);
    return rc;
}
