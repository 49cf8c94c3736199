/* See ref_ckpt.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "tests/util/ref_ckpt.h"

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

void ref_ckpt_free(ref_ckpt *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        free(c->t[i].data);
    free(c->t);
    c->t = NULL;
    c->n = 0;
}

int ref_ckpt_read(const char *path, ref_ckpt *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    unsigned char *b = NULL;
    size_t len = 0, cap = 0, got;
    do {
        if (len == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            unsigned char *nb = realloc(b, cap);
            if (!nb) {
                free(b);
                fclose(f);
                snprintf(err, errlen, "%s: out of memory", path);
                return -1;
            }
            b = nb;
        }
        got = fread(b + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    fclose(f);
    const char *why = NULL;
    uint64_t n = 0, data_off = 0, data_bytes = 0;
    if (len < 128 || memcmp(b, "GANCKPT\0", 8) || rd32(b + 8) != 1)
        why = "not a version-1 checkpoint";
    if (!why) {
        n = rd32(b + 12);
        data_off = rd64(b + 104);
        data_bytes = rd64(b + 112);
        if (rd64(b + 96) != 128 || n > len / 128 || 128 + n * 128 > data_off || data_off > len ||
            data_bytes != len - data_off)
            why = "sizes in the header do not fit the file";
    }
    if (!why) {
        uLong hc = crc32(0L, b, 124);
        hc = crc32(hc, b + 128, (uInt)(data_off - 128));
        if ((uint32_t)hc != rd32(b + 124) ||
            (uint32_t)crc32(0L, b + data_off, (uInt)data_bytes) != rd32(b + 120))
            why = "CRC mismatch";
    }
    if (!why && !(c->t = calloc(n ? n : 1, sizeof *c->t)))
        why = "out of memory";
    for (uint64_t i = 0; !why && i < n; i++) {
        const unsigned char *e = b + 128 + i * 128;
        ref_tensor *t = &c->t[i];
        if (!memchr(e, 0, 64) || !e[0]) {
            why = "bad tensor name";
            break;
        }
        memcpy(t->name, e, 64);
        t->ndim = (int)rd32(e + 68);
        uint64_t numel = rd64(e + 88), off = rd64(e + 96), prod = 1;
        if (t->ndim < 1 || t->ndim > 4) {
            why = "bad rank";
            break;
        }
        for (int d = 0; d < t->ndim; d++) {
            t->shape[d] = (int)rd32(e + 72 + 4 * d);
            prod *= (uint64_t)(t->shape[d] > 0 ? t->shape[d] : 0);
        }
        if (rd32(e + 104) != 1) { /* layout: float32 little-endian, row-major */
            why = "unknown data layout";
            break;
        }
        if (prod != numel || numel == 0 || off % 4 || off > data_bytes ||
            numel > (data_bytes - off) / 4) {
            why = "inconsistent tensor entry";
            break;
        }
        t->numel = (size_t)numel;
        if (!(t->data = malloc(t->numel * sizeof(float)))) {
            why = "out of memory";
            break;
        }
        const unsigned char *p = b + data_off + off;
        for (size_t k = 0; k < t->numel; k++) {
            uint32_t u = rd32(p + 4 * k);
            memcpy(&t->data[k], &u, 4);
        }
        c->n = (int)i + 1;
    }
    free(b);
    if (why) {
        snprintf(err, errlen, "%s: %s", path, why);
        ref_ckpt_free(c);
        return -1;
    }
    return 0;
}

const ref_tensor *ref_ckpt_find(const ref_ckpt *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->t[i].name, name))
            return &c->t[i];
    return NULL;
}

int ref_compare(const float *got, const float *want, size_t n, double rtol, double atol,
                const double *extra, ref_cmp *r)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        double g = got[i], w = want[i], d = fabs(g - w);
        double allow = atol + rtol * fabs(w) + (extra ? extra[i] : 0.0);
        double ratio = isfinite(g) && isfinite(w) ? d / allow : INFINITY;
        if (!(ratio <= 1.0))
            r->n_bad++;
        if (i == 0 || !(ratio <= r->worst_ratio)) { /* NaN ratios count as worst */
            r->worst_ratio = ratio;
            r->worst_allow = allow;
            r->worst = i;
        }
        if (d > r->max_abs)
            r->max_abs = d;
    }
    return r->n_bad == 0;
}
