/* Synthetic labelled faces, so that the quick start and CI need no download.
 *
 * Each face is a stack of 2D shapes given by signed distance functions in "head units" (the
 * head ellipse spans y in [-1, 1]); every pixel is evaluated once and each shape contributes
 * its analytic coverage clamp(0.5 - d / pixel, 0, 1), which anti-aliases edges without
 * supersampling. All randomness comes from one splitmix64 stream per (seed, index), so a face
 * is a pure function of those two numbers and faces can be rendered in any order or thread.
 *
 * Attributes (docs/data.md): Smiling (open crescent mouth vs closed lips), Eyeglasses (dark
 * rims, bridge and temples), Blond_Hair / Black_Hair / (brown otherwise), Wearing_Hat (three
 * hat styles over the hair), Mustache, Male (squarer jaw, short hair, thicker brows; otherwise
 * long hair falling to the shoulders), Pale_Skin (a pale tone; otherwise a tan-to-dark range).
 */
#include "runtime/data.h"
#include "runtime/data/data_int.h"
#include "common/err.h"
#include "common/bytes.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const gan_synth_attr_names[GAN_SYN_N_ATTRS] = {
    "Smiling", "Eyeglasses", "Blond_Hair", "Black_Hair", "Wearing_Hat", "Mustache", "Male",
    "Pale_Skin"};
const float gan_synth_default_freq[GAN_SYN_N_ATTRS] = {0.5f, 0.3f, 0.3f, 0.3f,
                                                       0.3f, 0.3f, 0.5f, 0.3f};

/* ---------------- sampling ---------------- */

static float urange(uint64_t *s, float lo, float hi) { return lo + (hi - lo) * gan_sm64_f(s); }

static void mix3(float *out, const float *a, const float *b, float t) {
    for (int i = 0; i < 3; i++) out[i] = a[i] + (b[i] - a[i]) * t;
}

/* HSV -> RGB, h in [0,1). */
static void hsv(float *rgb, float h, float s, float v) {
    float hh = (h - floorf(h)) * 6.0f;
    int i = (int)hh;
    float f = hh - (float)i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    float r, g, b;
    switch (i) {
    case 0: r = v, g = t, b = p; break;
    case 1: r = q, g = v, b = p; break;
    case 2: r = p, g = v, b = t; break;
    case 3: r = p, g = q, b = v; break;
    case 4: r = t, g = p, b = v; break;
    default: r = v, g = p, b = q; break;
    }
    rgb[0] = r, rgb[1] = g, rgb[2] = b;
}

int gan_synth_sample(gan_synth_face *f, uint64_t seed, uint64_t index, const float *freq) {
    const float *p = freq ? freq : gan_synth_default_freq;
    for (int a = 0; a < GAN_SYN_N_ATTRS; a++)
        if (!(p[a] >= 0.0f && p[a] <= 1.0f)) return -1;
    if (p[GAN_SYN_BLOND_HAIR] + p[GAN_SYN_BLACK_HAIR] > 1.0f + 1e-6f) return -1;
    memset(f, 0, sizeof *f);
    /* Attributes first, each from its own draw of its own stream, so that changing one
       frequency changes no other attribute and no nuisance parameter. */
    for (int a = 0; a < GAN_SYN_N_ATTRS; a++) {
        if (a == GAN_SYN_BLACK_HAIR) continue; /* decided with blond below */
        uint64_t s = gan_seed_mix(gan_seed_mix(seed, index), 1000 + (uint64_t)a);
        float u = gan_sm64_f(&s);
        if (a == GAN_SYN_BLOND_HAIR) {
            /* one draw, three outcomes: blond, black, brown; each keeps its frequency */
            f->attr[GAN_SYN_BLOND_HAIR] = u < p[GAN_SYN_BLOND_HAIR];
            f->attr[GAN_SYN_BLACK_HAIR] =
                !f->attr[GAN_SYN_BLOND_HAIR] && u < p[GAN_SYN_BLOND_HAIR] + p[GAN_SYN_BLACK_HAIR];
        } else {
            f->attr[a] = u < p[a];
        }
    }
    uint64_t s = gan_seed_mix(gan_seed_mix(seed, index), 1);
    f->cx = urange(&s, 0.46f, 0.54f);
    f->cy = urange(&s, 0.44f, 0.52f);
    f->scale = urange(&s, 0.29f, 0.34f);
    f->tilt = urange(&s, -0.08f, 0.08f);
    f->face_aspect = urange(&s, 0.70f, 0.80f);
    f->hair_volume = urange(&s, 0.05f, 0.14f);
    f->hair_length = urange(&s, 0.4f, 1.1f);
    f->fringe = urange(&s, -0.58f, -0.38f);
    f->eye_sep = urange(&s, 0.29f, 0.35f);
    f->eye_y = urange(&s, -0.08f, 0.02f);
    f->mouth_y = urange(&s, 0.50f, 0.58f);
    f->mouth_w = urange(&s, 0.20f, 0.27f);
    f->hat_style = (int)gan_sm64_below(&s, 3);

    /* skin: pale is a narrow light range; otherwise light tan to dark brown */
    static const float pale_a[3] = {0.99f, 0.91f, 0.87f}, pale_b[3] = {0.96f, 0.86f, 0.82f};
    static const float tan_a[3] = {0.86f, 0.64f, 0.50f}, dark_b[3] = {0.40f, 0.26f, 0.18f};
    float ts = gan_sm64_f(&s);
    if (f->attr[GAN_SYN_PALE_SKIN]) mix3(f->skin, pale_a, pale_b, ts);
    else mix3(f->skin, tan_a, dark_b, ts);
    /* hair */
    float th = gan_sm64_f(&s);
    static const float blond_a[3] = {0.96f, 0.84f, 0.50f}, blond_b[3] = {0.86f, 0.70f, 0.36f};
    static const float black_a[3] = {0.05f, 0.05f, 0.06f}, black_b[3] = {0.13f, 0.11f, 0.10f};
    static const float brown_a[3] = {0.48f, 0.30f, 0.16f}, brown_b[3] = {0.34f, 0.20f, 0.11f};
    if (f->attr[GAN_SYN_BLOND_HAIR]) mix3(f->hair, blond_a, blond_b, th);
    else if (f->attr[GAN_SYN_BLACK_HAIR]) mix3(f->hair, black_a, black_b, th);
    else mix3(f->hair, brown_a, brown_b, th);
    /* background: a soft vertical gradient of two related muted colours */
    float bh = gan_sm64_f(&s);
    hsv(f->bg_top, bh, urange(&s, 0.05f, 0.45f), urange(&s, 0.55f, 0.95f));
    hsv(f->bg_bot, bh + urange(&s, -0.1f, 0.1f), urange(&s, 0.05f, 0.5f), urange(&s, 0.35f, 0.85f));
    hsv(f->shirt, gan_sm64_f(&s), urange(&s, 0.2f, 0.8f), urange(&s, 0.25f, 0.9f));
    /* hats are saturated and bright enough not to pass for hair */
    hsv(f->hat, gan_sm64_f(&s), urange(&s, 0.6f, 0.95f), urange(&s, 0.6f, 0.95f));
    hsv(f->iris, urange(&s, 0.05f, 0.6f), urange(&s, 0.3f, 0.7f), urange(&s, 0.2f, 0.5f));
    return 0;
}

void gan_synth_celeba_row(const gan_synth_face *f, signed char row[GAN_CELEBA_N_ATTRS]) {
    for (int i = 0; i < GAN_CELEBA_N_ATTRS; i++) row[i] = -1;
    for (int a = 0; a < GAN_SYN_N_ATTRS; a++)
        for (int i = 0; i < GAN_CELEBA_N_ATTRS; i++)
            if (!strcmp(gan_celeba_attr_names[i], gan_synth_attr_names[a]))
                row[i] = f->attr[a] ? 1 : -1;
    if (!f->attr[GAN_SYN_BLOND_HAIR] && !f->attr[GAN_SYN_BLACK_HAIR])
        for (int i = 0; i < GAN_CELEBA_N_ATTRS; i++)
            if (!strcmp(gan_celeba_attr_names[i], "Brown_Hair")) row[i] = 1;
}

/* ---------------- distance functions (negative inside) ---------------- */

static float sd_circle(float x, float y, float r) { return sqrtf(x * x + y * y) - r; }

/* First-order distance to an ellipse boundary: f / |grad f|; exact enough near the edge,
   which is the only place coverage depends on it. */
static float sd_ellipse(float x, float y, float a, float b) {
    float ia = 1.0f / (a * a), ib = 1.0f / (b * b);
    float fv = x * x * ia + y * y * ib - 1.0f;
    float gx = 2.0f * x * ia, gy = 2.0f * y * ib;
    float g = sqrtf(gx * gx + gy * gy);
    if (g < 1e-6f) return -(a < b ? a : b);
    return fv / g;
}

static float sd_round_box(float x, float y, float hx, float hy, float r) {
    float qx = fabsf(x) - hx + r, qy = fabsf(y) - hy + r;
    float ox = qx > 0 ? qx : 0, oy = qy > 0 ? qy : 0;
    float in = qx > qy ? qx : qy;
    return sqrtf(ox * ox + oy * oy) + (in < 0 ? in : 0) - r;
}

static float sd_capsule(float x, float y, float ax, float ay, float bx, float by, float r) {
    float px = x - ax, py = y - ay, dx = bx - ax, dy = by - ay;
    float h = (px * dx + py * dy) / (dx * dx + dy * dy);
    h = h < 0 ? 0 : h > 1 ? 1 : h;
    float ex = px - dx * h, ey = py - dy * h;
    return sqrtf(ex * ex + ey * ey) - r;
}

static inline float maxf(float a, float b) { return a > b ? a : b; }
static inline float minf(float a, float b) { return a < b ? a : b; }

/* Paints colour c with coverage from distance d over col. */
static inline void paint(float *col, const float *c, float d, float px, float alpha) {
    float cov = 0.5f - d / px;
    if (cov <= 0.0f) return;
    if (cov > 1.0f) cov = 1.0f;
    cov *= alpha;
    col[0] += (c[0] - col[0]) * cov;
    col[1] += (c[1] - col[1]) * cov;
    col[2] += (c[2] - col[2]) * cov;
}

static void scale3(float *out, const float *c, float k) {
    out[0] = c[0] * k, out[1] = c[1] * k, out[2] = c[2] * k;
}

/* ---------------- drawing ---------------- */

/* The head outline: an ellipse; male faces add a squarer jaw. */
static float sd_head(const gan_synth_face *f, float x, float y) {
    float a = f->face_aspect;
    float d = sd_ellipse(x, y, a, 1.0f);
    if (f->attr[GAN_SYN_MALE]) d = minf(d, sd_round_box(x, y - 0.42f, a * 0.90f, 0.52f, 0.32f));
    return d;
}

/* Hair in front of / around the head (the part drawn over the head). */
static float sd_hair_front(const gan_synth_face *f, float x, float y) {
    float a = f->face_aspect, v = f->hair_volume;
    float cap = sd_ellipse(x, y + 0.04f, a + v, 1.0f + v);
    /* hairline: a fringe across the forehead, curving down at the temples */
    float line = y - (f->fringe + 0.12f * x * x / (a * a));
    float region;
    if (f->attr[GAN_SYN_MALE]) {
        /* short: the crown, and short sides above the ears */
        float sides = maxf(0.80f * a - fabsf(x), y - (-0.18f));
        region = minf(line, sides);
    } else {
        /* long: the crown and locks framing the face down to the jaw */
        float sides = maxf(0.84f * a - fabsf(x), y - 0.45f);
        region = minf(line, sides);
    }
    return maxf(cap, region);
}

/* Long hair falling behind the head to the shoulders (female only). */
static float sd_hair_back(const gan_synth_face *f, float x, float y) {
    float a = f->face_aspect, v = f->hair_volume, len = f->hair_length;
    float top = -1.0f - v, bottom = 0.55f + len;
    float cy = 0.5f * (top + bottom), hy = 0.5f * (bottom - top);
    return sd_round_box(x, y - cy, a + v + 0.12f, hy, a + v);
}

static float sd_hat(const gan_synth_face *f, float x, float y, float *band) {
    float a = f->face_aspect, v = f->hair_volume;
    float base = f->fringe - 0.02f; /* the hat sits just over the hairline */
    float d;
    *band = 1e9f;
    switch (f->hat_style) {
    case 0: { /* cap: a dome and a brim sticking out to one side */
        float dome = maxf(sd_ellipse(x, y - base, a + v + 0.06f, 0.78f), y - base);
        float brim = sd_round_box(x + 0.35f, y - (base - 0.02f), a + 0.45f, 0.07f, 0.06f);
        d = minf(dome, brim);
        break;
    }
    case 1: { /* beanie: a taller dome with a folded band */
        float dome = maxf(sd_ellipse(x, y - (base + 0.05f), a + v + 0.08f, 0.95f), y - (base + 0.05f));
        float b = sd_round_box(x, y - (base - 0.07f), a + v + 0.1f, 0.12f, 0.05f);
        d = minf(dome, b);
        *band = b;
        break;
    }
    default: { /* top hat: tall crown and a wide brim */
        float crown = sd_round_box(x, y - (base - 0.55f), a * 0.82f, 0.55f, 0.04f);
        float brim = sd_round_box(x, y - (base - 0.02f), a + v + 0.32f, 0.06f, 0.05f);
        d = minf(crown, brim);
        *band = sd_round_box(x, y - (base - 0.18f), a * 0.82f, 0.07f, 0.01f);
        break;
    }
    }
    return d;
}

static void shade_pixel(const gan_synth_face *f, float u, float v, float px, float *col) {
    /* background gradient */
    mix3(col, f->bg_top, f->bg_bot, v);
    /* to head coordinates: undo centre, roll and scale */
    float dx = u - f->cx, dy = v - f->cy;
    float ct = cosf(f->tilt), st = sinf(f->tilt);
    float x = (ct * dx + st * dy) / f->scale, y = (-st * dx + ct * dy) / f->scale;
    float a = f->face_aspect;
    int male = f->attr[GAN_SYN_MALE];
    float tmp[3];

    if (!male) paint(col, f->hair, sd_hair_back(f, x, y), px, 1.0f);
    /* neck and shoulders */
    scale3(tmp, f->skin, 0.86f);
    paint(col, tmp, sd_round_box(x, y - 1.05f, a * 0.42f, 0.5f, 0.1f), px, 1.0f);
    paint(col, f->shirt, sd_ellipse(x, y - 2.05f, 1.55f, 0.62f), px, 1.0f);
    /* ears */
    scale3(tmp, f->skin, 0.9f);
    paint(col, tmp, sd_ellipse(fabsf(x) - a * 0.98f, y - 0.05f, 0.12f, 0.2f), px, 1.0f);
    /* head, lightly shaded towards the edges */
    float dh = sd_head(f, x, y);
    if (dh < px) {
        float r2 = (x * x) / (a * a) + y * y;
        scale3(tmp, f->skin, 1.04f - 0.10f * minf(r2, 1.2f));
        paint(col, tmp, dh, px, 1.0f);
    }
    /* nose: a soft shadow and a tip */
    scale3(tmp, f->skin, 0.8f);
    paint(col, tmp, sd_capsule(x, y, 0.02f, f->eye_y + 0.12f, 0.05f, f->eye_y + 0.36f, 0.025f), px, 0.5f);
    paint(col, tmp, sd_ellipse(x, y - (f->eye_y + 0.38f), 0.08f, 0.04f), px, 0.6f);
    /* eyes */
    float ex = fabsf(x) - f->eye_sep, ey = y - f->eye_y;
    static const float white[3] = {0.96f, 0.96f, 0.94f}, black[3] = {0.02f, 0.02f, 0.03f};
    paint(col, white, sd_ellipse(ex, ey, 0.13f, 0.075f), px, 1.0f);
    paint(col, f->iris, sd_circle(ex, ey, 0.058f), px, 1.0f);
    paint(col, black, sd_circle(ex, ey, 0.03f), px, 1.0f);
    /* eyebrows */
    scale3(tmp, f->hair, 0.6f);
    float bt = male ? 0.035f : 0.022f;
    paint(col, tmp, sd_capsule(fabsf(x), y, f->eye_sep - 0.13f, f->eye_y - 0.17f,
                               f->eye_sep + 0.13f, f->eye_y - 0.19f, bt), px, 1.0f);
    /* mouth */
    float my = f->mouth_y, mw = f->mouth_w;
    static const float lips[3] = {0.62f, 0.22f, 0.22f}, dark[3] = {0.30f, 0.05f, 0.06f};
    static const float teeth[3] = {0.97f, 0.95f, 0.90f};
    if (f->attr[GAN_SYN_SMILING]) {
        /* a wide open smile: the lower part of a disc under an upper lip that curves up at
           the corners, dark inside with a band of teeth, and lips around it */
        float w = mw * 1.35f;
        float r = w * 1.05f;
        float cyc = my - 0.62f * r;
        float upper = (my - 0.03f - 0.10f * (x * x) / (w * w)) - y;
        float shape = maxf(sd_circle(x, y - cyc, r), upper);
        paint(col, lips, shape - 0.022f, px, 1.0f);
        paint(col, dark, shape, px, 1.0f);
        paint(col, teeth, maxf(shape + 0.012f, y - (my + 0.06f)), px, 1.0f);
    } else {
        /* closed lips: a narrow, flat mouth */
        float w = mw * 0.8f;
        paint(col, lips, sd_ellipse(x, y - my, w, 0.05f), px, 1.0f);
        paint(col, dark, sd_capsule(x, y, -w * 0.92f, my, w * 0.92f, my, 0.014f), px, 1.0f);
    }
    if (f->attr[GAN_SYN_MUSTACHE]) {
        /* two thick wings under the nose, drooping a little to the sides */
        scale3(tmp, f->hair, 0.42f);
        float mys = my - 0.11f, ax = fabsf(x);
        float d = sd_capsule(ax, y, 0.0f, mys - 0.02f, mw * 1.05f, mys + 0.05f, 0.062f);
        paint(col, tmp, d, px, 1.0f);
    }
    /* hair over the head */
    paint(col, f->hair, sd_hair_front(f, x, y), px, 1.0f);
    if (f->attr[GAN_SYN_EYEGLASSES]) {
        static const float rim[3] = {0.06f, 0.06f, 0.07f}, lens[3] = {0.55f, 0.65f, 0.75f};
        float lr = 0.19f;
        float dl = sd_circle(ex, ey, lr);
        paint(col, lens, dl, px, 0.18f);
        paint(col, rim, fabsf(dl) - 0.038f, px, 1.0f);
        paint(col, rim, sd_capsule(x, y, -(f->eye_sep - lr), f->eye_y - 0.02f, f->eye_sep - lr,
                                   f->eye_y - 0.02f, 0.03f), px, 1.0f);
        /* temples running back to the ears */
        paint(col, rim, sd_capsule(fabsf(x), y, f->eye_sep + lr, f->eye_y - 0.02f, a * 0.98f,
                                   0.0f, 0.028f), px, 1.0f);
    }
    if (f->attr[GAN_SYN_WEARING_HAT]) {
        float band;
        float d = sd_hat(f, x, y, &band);
        paint(col, f->hat, d, px, 1.0f);
        scale3(tmp, f->hat, 0.6f);
        paint(col, tmp, maxf(band, d), px, 1.0f);
    }
}

void gan_synth_draw(const gan_synth_face *f, int size, unsigned char *rgb) {
    float inv = 1.0f / (float)size;
    float px = inv / f->scale; /* one pixel in head units */
    for (int j = 0; j < size; j++)
        for (int i = 0; i < size; i++) {
            float col[3];
            shade_pixel(f, ((float)i + 0.5f) * inv, ((float)j + 0.5f) * inv, px, col);
            unsigned char *o = rgb + ((size_t)j * size + i) * 3;
            for (int ch = 0; ch < 3; ch++) {
                float t = col[ch] * 255.0f + 0.5f;
                o[ch] = (unsigned char)(t < 0 ? 0 : t > 255 ? 255 : t);
            }
        }
}

/* ---------------- the data set writer ---------------- */

static int mkdir_p(const char *path, char *err, size_t errlen) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        return gan_errf(err, errlen, "%.64s...: path too long", path);
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            return gan_errf(err, errlen, "%s: %s", buf, strerror(errno));
        }
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
        return gan_errf(err, errlen, "%s: %s", buf, strerror(errno));
    }
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return gan_errf(err, errlen, "%s: not a directory", buf);
    }
    return 0;
}

int gan_synth_write_dataset(const char *dir, int n, int size, uint64_t seed, const float *freq,
                            int progress, int threads, char *err, size_t errlen) {
    if (n <= 0 || n > 999999 || size < 8 || size > 1024) {
        return gan_errf(err, errlen,
                        "synth: need 1 <= n <= 999999 and 8 <= size <= 1024 (got n=%d, size=%d)",
                        n, size);
    }
    gan_synth_face probe;
    if (gan_synth_sample(&probe, seed, 0, freq)) {
        return gan_errf(err, errlen,
                        "synth: attribute frequencies must be in [0,1], and Blond_Hair + "
                        "Black_Hair at most 1 (they are exclusive)");
    }
    size_t dlen = strlen(dir);
    char *imgdir = malloc(dlen + 32);
    signed char *rows = malloc((size_t)n * GAN_CELEBA_N_ATTRS);
    if (!imgdir || !rows) {
        free(imgdir);
        free(rows);
        return gan_errf(err, errlen, "synth: out of memory");
    }
    snprintf(imgdir, dlen + 32, "%s/img_align_celeba", dir);
    if (mkdir_p(imgdir, err, errlen)) {
        free(imgdir);
        free(rows);
        return -1;
    }
    if (threads <= 0) threads = 2;
    int failed = 0, done = 0;
    char first_err[512] = "";
    int tty = progress && isatty(2);
    int step = n / 100 > 200 ? n / 100 : 200;
#pragma omp parallel num_threads(threads)
    {
        unsigned char *rgb = malloc((size_t)size * size * 3);
        size_t plen = strlen(imgdir) + 32;
        char *path = malloc(plen);
        char lerr[512];
#pragma omp for schedule(dynamic, 32)
        for (int i = 0; i < n; i++) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (stop) continue;
            gan_synth_face f;
            int ok = rgb && path;
            if (ok) {
                gan_synth_sample(&f, seed, (uint64_t)i, freq);
                gan_synth_celeba_row(&f, rows + (size_t)i * GAN_CELEBA_N_ATTRS);
                gan_synth_draw(&f, size, rgb);
                snprintf(path, plen, "%s/%06d.png", imgdir, i + 1);
                ok = gan_png_write8(path, rgb, 3, size, size, 0, lerr, sizeof lerr) == 0;
            } else {
                snprintf(lerr, sizeof lerr, "synth: out of memory");
            }
            if (!ok) {
#pragma omp critical(synth_err)
                {
                    if (!failed) snprintf(first_err, sizeof first_err, "%s", lerr);
                    failed = 1;
                }
                continue;
            }
            int d;
#pragma omp atomic capture
            d = ++done;
            if (tty && (d % step == 0 || d == n)) {
#pragma omp critical(synth_progress)
                fprintf(stderr, "\rsynth: %d/%d faces (%d%%)", d, n, (int)(100.0 * d / n));
            }
        }
        free(rgb);
        free(path);
    }
    if (tty) fprintf(stderr, "\n");
    free(imgdir);
    if (failed) {
        gan_errf(err, errlen, "%s", first_err);
        free(rows);
        return -1;
    }
    /* the attribute file, last and atomically: its presence means the set is complete */
    size_t cap = 64 + (size_t)GAN_CELEBA_N_ATTRS * 24 + (size_t)n * (12 + 3 * GAN_CELEBA_N_ATTRS + 2);
    char *txt = malloc(cap);
    if (!txt) {
        free(rows);
        return gan_errf(err, errlen, "synth: out of memory");
    }
    size_t off = (size_t)snprintf(txt, cap, "%d\n", n);
    for (int a = 0; a < GAN_CELEBA_N_ATTRS; a++)
        off += (size_t)snprintf(txt + off, cap - off, "%s%s", gan_celeba_attr_names[a],
                                a + 1 < GAN_CELEBA_N_ATTRS ? " " : "\n");
    for (int i = 0; i < n; i++) {
        off += (size_t)snprintf(txt + off, cap - off, "%06d.png", i + 1);
        const signed char *r = rows + (size_t)i * GAN_CELEBA_N_ATTRS;
        for (int a = 0; a < GAN_CELEBA_N_ATTRS; a++) {
            memcpy(txt + off, r[a] > 0 ? "  1" : " -1", 3);
            off += 3;
        }
        txt[off++] = '\n';
    }
    free(rows);
    char *apath = malloc(dlen + 64);
    int rc = -1;
    if (apath) {
        snprintf(apath, dlen + 64, "%s/list_attr_celeba.txt", dir);
        rc = gan_write_file_atomic(apath, txt, off, err, errlen);
    } else {
        gan_errf(err, errlen, "synth: out of memory");
    }
    free(apath);
    free(txt);
    return rc;
}
