/* Face crop and resampling. The crop (docs/data.md): CelebA's aligned faces are portrait
 * (178x218, or 89x109 at half size) with the face in the upper middle, so a portrait image
 * gives a square of side W starting at row round(10 * W / 89) (row 10 at 89x109, row 20 at
 * 178x218), clamped inside the image; a landscape image gives a centred square; a square
 * image (the synthetic set) is used whole. The square is then resampled to the model's HxW
 * with area averaging (exact fractional pixel coverage), or bilinear where it is enlarged.
 * Data sets in the other layouts (no face alignment to rely on) get a centred square at every
 * aspect: gan_image_center_crop_resize.
 */
#include "runtime/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int taps;    /* weights per output sample */
    int *start;  /* [out] first source index */
    float *wt;   /* [out * taps] */
} axis_weights;

static int make_weights(int in, int out, axis_weights *a) {
    double s = (double)in / out;
    a->taps = s > 1.0 ? (int)ceil(s) + 1 : 2;
    a->start = malloc((size_t)out * sizeof(int));
    a->wt = calloc((size_t)out * a->taps, sizeof(float));
    if (!a->start || !a->wt) return -1;
    for (int o = 0; o < out; o++) {
        float *w = a->wt + (size_t)o * a->taps;
        if (s > 1.0) {
            /* area: source interval [o*s, (o+1)*s), weight = overlap / s */
            double x0 = o * s, x1 = (o + 1) * s;
            int i0 = (int)floor(x0);
            a->start[o] = i0;
            for (int t = 0; t < a->taps; t++) {
                int i = i0 + t;
                if (i >= in) break;
                double lo = i > x0 ? i : x0, hi = i + 1 < x1 ? i + 1 : x1;
                if (hi > lo) w[t] = (float)((hi - lo) / s);
            }
        } else {
            /* bilinear on pixel centres, clamped at the borders */
            double x = (o + 0.5) * s - 0.5;
            if (x < 0) x = 0;
            if (x > in - 1) x = in - 1;
            int i0 = (int)floor(x);
            if (i0 > in - 2) i0 = in - 2 < 0 ? 0 : in - 2;
            double f = x - i0;
            a->start[o] = i0;
            w[0] = (float)(1.0 - f);
            if (in > 1) w[1] = (float)f;
            else w[0] = 1.0f;
        }
    }
    return 0;
}

static void free_weights(axis_weights *a) {
    free(a->start);
    free(a->wt);
}

static void crop_resize(const gan_image8 *in, int oh, int ow, unsigned char *out, int face) {
    int c = in->c, x0 = 0, y0 = 0, side;
    if (in->h > in->w && !face) {
        side = in->w;
        y0 = (in->h - side) / 2;
    } else if (in->h > in->w) {
        side = in->w;
        y0 = (int)lround(10.0 * in->w / 89.0);
        if (y0 > in->h - side) y0 = in->h - side;
    } else if (in->w > in->h) {
        side = in->h;
        x0 = (in->w - side) / 2;
    } else {
        side = in->w;
    }
    axis_weights ax = {0}, ay = {0};
    float *tmp = malloc((size_t)side * ow * c * sizeof(float));
    if (!tmp || make_weights(side, ow, &ax) || make_weights(side, oh, &ay)) {
        /* Out of memory on a few KB: leave a defined (grey) image rather than garbage. */
        memset(out, 128, (size_t)c * oh * ow);
        free(tmp);
        free_weights(&ax);
        free_weights(&ay);
        return;
    }
    /* horizontal pass over the crop's rows: tmp[row][ox][ch] */
    for (int y = 0; y < side; y++) {
        const unsigned char *src = in->px + ((size_t)(y0 + y) * in->w + x0) * c;
        float *dst = tmp + (size_t)y * ow * c;
        for (int o = 0; o < ow; o++) {
            const float *w = ax.wt + (size_t)o * ax.taps;
            int s0 = ax.start[o];
            for (int ch = 0; ch < c; ch++) {
                float acc = 0;
                for (int t = 0; t < ax.taps; t++)
                    if (w[t] != 0.0f) acc += w[t] * src[(size_t)(s0 + t) * c + ch];
                dst[o * c + ch] = acc;
            }
        }
    }
    /* vertical pass, writing CHW */
    for (int o = 0; o < oh; o++) {
        const float *w = ay.wt + (size_t)o * ay.taps;
        int s0 = ay.start[o];
        for (int x = 0; x < ow; x++)
            for (int ch = 0; ch < c; ch++) {
                float acc = 0;
                for (int t = 0; t < ay.taps; t++)
                    if (w[t] != 0.0f) acc += w[t] * tmp[((size_t)(s0 + t) * ow + x) * c + ch];
                int v = (int)lrintf(acc);
                out[((size_t)ch * oh + o) * ow + x] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    }
    free(tmp);
    free_weights(&ax);
    free_weights(&ay);
}

void gan_image_crop_resize(const gan_image8 *in, int oh, int ow, unsigned char *out) {
    crop_resize(in, oh, ow, out, 1);
}

void gan_image_center_crop_resize(const gan_image8 *in, int oh, int ow, unsigned char *out) {
    crop_resize(in, oh, ow, out, 0);
}

int gan_resample_planes(const float *src, size_t planes, int h, int w, float *dst, int oh, int ow) {
    axis_weights ax = {0}, ay = {0};
    float *tmp = malloc((size_t)h * ow * sizeof(float));
    int rc = !tmp || make_weights(w, ow, &ax) || make_weights(h, oh, &ay) ? -1 : 0;
    for (size_t p = 0; !rc && p < planes; p++) {
        const float *sp = src + p * h * w;
        float *dp = dst + p * oh * ow;
        for (int y = 0; y < h; y++)
            for (int o = 0; o < ow; o++) {
                const float *wt = ax.wt + (size_t)o * ax.taps;
                float acc = 0;
                for (int t = 0; t < ax.taps; t++)
                    if (wt[t] != 0.0f) acc += wt[t] * sp[(size_t)y * w + ax.start[o] + t];
                tmp[(size_t)y * ow + o] = acc;
            }
        for (int o = 0; o < oh; o++) {
            const float *wt = ay.wt + (size_t)o * ay.taps;
            for (int x = 0; x < ow; x++) {
                float acc = 0;
                for (int t = 0; t < ay.taps; t++)
                    if (wt[t] != 0.0f) acc += wt[t] * tmp[(size_t)(ay.start[o] + t) * ow + x];
                dp[(size_t)o * ow + x] = acc;
            }
        }
    }
    free(tmp);
    free_weights(&ax);
    free_weights(&ay);
    return rc;
}
