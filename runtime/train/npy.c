/* .npy writer and strict reader (format: numpy.lib.format, version 1.0). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/bytes.h"
#include "common/err.h"
#include "runtime/train/npy.h"

static const char *const descr_of[] = {"<f4", "<i8", "<u8"};
static const size_t size_of[] = {4, 8, 8};

static size_t count_of(int ndim, const int64_t *shape)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)shape[i];
    return n;
}

static void shape_text(char *buf, size_t len, int ndim, const int64_t *shape)
{
    size_t at = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < ndim && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (at < len)
        snprintf(buf + at, len - at, "%s)", ndim == 1 ? "," : "");
}

int gan_npy_write(const char *path, gan_npy_dtype dt, int ndim, const int64_t *shape,
                  const void *data, char *err, size_t errlen)
{
    if (ndim < 0 || ndim > GAN_NPY_MAX_DIMS)
        return gan_errf(err, errlen, "%s: %d dimensions (at most %d)", path, ndim,
                        GAN_NPY_MAX_DIMS);
    char shp[128], hdr[256];
    shape_text(shp, sizeof shp, ndim, shape);
    int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                     descr_of[dt], shp);
    /* magic (6) + version (2) + length (2) + dict + padding + '\n' is a multiple of 64, so
     * the data is aligned as numpy writes it */
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    memset(hdr + n, ' ', pad);
    hdr[n + pad] = '\n';
    size_t hlen = (size_t)n + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    FILE *f = fopen(path, "wb");
    if (!f)
        return gan_errf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
    size_t cnt = count_of(ndim, shape);
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, hlen, f) == hlen &&
             fwrite(data, size_of[dt], cnt, f) == cnt;
    if (fclose(f) || !ok)
        return gan_errf(err, errlen, "%s: write failed: %s", path, strerror(errno));
    return 0;
}

/* The value of 'key' in the header dict: a pointer just after "'key':" and its blanks. */
static const char *dict_value(const char *h, const char *key)
{
    char k[32];
    snprintf(k, sizeof k, "'%s':", key);
    const char *p = strstr(h, k);
    if (!p)
        return NULL;
    p += strlen(k);
    while (*p == ' ')
        p++;
    return p;
}

/* Parses "(a, b, )" into shape; the number of dimensions, or -1. */
static int parse_shape(const char *p, int64_t *shape)
{
    if (*p++ != '(')
        return -1;
    int nd = 0;
    for (;;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')')
            return nd;
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 0 || nd == GAN_NPY_MAX_DIMS)
            return -1;
        shape[nd++] = v;
        p = end;
    }
}

static int parse_header(const char *path, const uint8_t *buf, size_t len, char *descr,
                        int64_t *shape, int *ndim, size_t *data_off, char *err, size_t errlen)
{
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6))
        return gan_errf(err, errlen, "%s: not a .npy file (no \\x93NUMPY magic)", path);
    size_t hlen, at;
    if (buf[6] == 1) {
        hlen = buf[8] | (size_t)buf[9] << 8;
        at = 10;
    } else if ((buf[6] == 2 || buf[6] == 3) && len >= 12) {
        hlen = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        at = 12;
    } else {
        return gan_errf(err, errlen, "%s: .npy format version %d.%d is not supported", path,
                        buf[6], buf[7]);
    }
    if (hlen > len - at || hlen > 4096)
        return gan_errf(err, errlen, "%s: truncated .npy header", path);
    char h[4097];
    memcpy(h, buf + at, hlen);
    h[hlen] = 0;
    const char *d = dict_value(h, "descr"), *fo = dict_value(h, "fortran_order"),
               *sh = dict_value(h, "shape");
    const char *q = d && *d == '\'' ? strchr(d + 1, '\'') : NULL;
    if (!q || !fo || !sh || q - d - 1 > 7)
        return gan_errf(err, errlen, "%s: malformed .npy header: %s", path, h);
    memcpy(descr, d + 1, (size_t)(q - d - 1));
    descr[q - d - 1] = 0;
    if (strncmp(fo, "False", 5))
        return gan_errf(err, errlen, "%s: Fortran-order arrays are not supported (save with "
                        "numpy.ascontiguousarray)", path);
    if ((*ndim = parse_shape(sh, shape)) < 0)
        return gan_errf(err, errlen, "%s: malformed shape in .npy header: %s", path, h);
    *data_off = at + hlen;
    return 0;
}

int gan_npy_read(const char *path, gan_npy_dtype dt, int ndim, const int64_t *shape, void *data,
                 char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    size_t want = count_of(ndim, shape) * size_of[dt];
    if (gan_read_file(path, &buf, &len, want + 8192, err, errlen))
        return -1;
    char descr[8], got_s[128], want_s[128];
    int64_t got[GAN_NPY_MAX_DIMS];
    int nd = 0, rc = -1;
    size_t off = 0;
    if (parse_header(path, buf, len, descr, got, &nd, &off, err, errlen))
        goto done;
    if (strcmp(descr, descr_of[dt])) {
        gan_errf(err, errlen, "%s: dtype '%s', expected '%s'", path, descr, descr_of[dt]);
        goto done;
    }
    int same = nd == ndim;
    for (int i = 0; same && i < nd; i++)
        same = got[i] == shape[i];
    if (!same) {
        shape_text(got_s, sizeof got_s, nd, got);
        shape_text(want_s, sizeof want_s, ndim, shape);
        gan_errf(err, errlen, "%s: shape %s, expected %s", path, got_s, want_s);
        goto done;
    }
    if (len - off != want) {
        gan_errf(err, errlen, "%s: %zu data bytes, expected %zu", path, len - off, want);
        goto done;
    }
    memcpy(data, buf + off, want);
    rc = 0;
done:
    free(buf);
    return rc;
}
