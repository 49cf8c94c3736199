#include "common/bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/err.h"

/* ---- fixed places ---- */

void gan_le16_store(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

void gan_le32_store(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void gan_le64_store(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint16_t gan_le16_load(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t gan_le32_load(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t gan_le64_load(const uint8_t *p)
{
    return (uint64_t)gan_le32_load(p) | (uint64_t)gan_le32_load(p + 4) << 32;
}

/* ---- writer ---- */

void gan_wbuf_reserve(gan_wbuf *w, size_t more)
{
    if (w->failed || more <= w->cap - w->len)
        return;
    if (more > SIZE_MAX / 2 - w->len) {
        w->failed = 1;
        return;
    }
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + more)
        cap *= 2;
    uint8_t *p = realloc(w->data, cap);
    if (!p) {
        w->failed = 1;
        return;
    }
    w->data = p;
    w->cap = cap;
}

void gan_wbuf_free(gan_wbuf *w)
{
    free(w->data);
    *w = (gan_wbuf){0};
}

/* Room for n more bytes, or NULL once the writer has failed. */
static uint8_t *grow(gan_wbuf *w, size_t n)
{
    gan_wbuf_reserve(w, n);
    if (w->failed || !w->data)
        return NULL; /* !data: nothing put yet and n == 0 */
    uint8_t *p = w->data + w->len;
    w->len += n;
    return p;
}

void gan_put_bytes(gan_wbuf *w, const void *src, size_t n)
{
    uint8_t *p = grow(w, n);
    if (p && n)
        memcpy(p, src, n);
}

void gan_put_zeros(gan_wbuf *w, size_t n)
{
    uint8_t *p = grow(w, n);
    if (p && n)
        memset(p, 0, n);
}

void gan_put_u8(gan_wbuf *w, uint8_t v)
{
    gan_put_bytes(w, &v, 1);
}

void gan_put_u16(gan_wbuf *w, uint16_t v)
{
    uint8_t *p = grow(w, 2);
    if (p)
        gan_le16_store(p, v);
}

void gan_put_u32(gan_wbuf *w, uint32_t v)
{
    uint8_t *p = grow(w, 4);
    if (p)
        gan_le32_store(p, v);
}

void gan_put_u64(gan_wbuf *w, uint64_t v)
{
    uint8_t *p = grow(w, 8);
    if (p)
        gan_le64_store(p, v);
}

void gan_put_i32(gan_wbuf *w, int32_t v)
{
    gan_put_u32(w, (uint32_t)v);
}

void gan_put_f32(gan_wbuf *w, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    gan_put_u32(w, u);
}

void gan_put_f64(gan_wbuf *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    gan_put_u64(w, u);
}

void gan_put_f32s(gan_wbuf *w, const float *x, size_t n)
{
    if (n > SIZE_MAX / 4) {
        w->failed = 1;
        return;
    }
    uint8_t *p = grow(w, 4 * n);
    for (size_t i = 0; p && i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        gan_le32_store(p + 4 * i, u);
    }
}

size_t gan_put_str(gan_wbuf *w, const char *s, size_t max)
{
    size_t off = w->len;
    gan_put_bytes(w, s, strnlen(s, max));
    gan_put_u8(w, 0);
    return off;
}

void gan_put_strfield(gan_wbuf *w, const char *s, size_t width)
{
    if (!width)
        return;
    size_t n = strnlen(s, width - 1);
    gan_put_bytes(w, s, n);
    gan_put_zeros(w, width - n);
}

/* ---- reader ---- */

gan_rbuf gan_rbuf_make(const void *data, size_t len)
{
    return (gan_rbuf){data, data ? len : 0, 0, 0};
}

size_t gan_rbuf_left(const gan_rbuf *r)
{
    return r->len - r->pos;
}

const uint8_t *gan_get_bytes(gan_rbuf *r, size_t n)
{
    static const uint8_t empty[1];
    if (r->failed || n > r->len - r->pos) {
        r->failed = 1;
        return NULL;
    }
    if (!r->data)
        return empty; /* zero bytes of no buffer: still a valid pointer for memcpy / crc */
    const uint8_t *p = r->data + r->pos;
    r->pos += n;
    return p;
}

uint8_t gan_get_u8(gan_rbuf *r)
{
    const uint8_t *p = gan_get_bytes(r, 1);
    return p ? p[0] : 0;
}

uint16_t gan_get_u16(gan_rbuf *r)
{
    const uint8_t *p = gan_get_bytes(r, 2);
    return p ? gan_le16_load(p) : 0;
}

uint32_t gan_get_u32(gan_rbuf *r)
{
    const uint8_t *p = gan_get_bytes(r, 4);
    return p ? gan_le32_load(p) : 0;
}

uint64_t gan_get_u64(gan_rbuf *r)
{
    const uint8_t *p = gan_get_bytes(r, 8);
    return p ? gan_le64_load(p) : 0;
}

int32_t gan_get_i32(gan_rbuf *r)
{
    return (int32_t)gan_get_u32(r);
}

float gan_get_f32(gan_rbuf *r)
{
    uint32_t u = gan_get_u32(r);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

double gan_get_f64(gan_rbuf *r)
{
    uint64_t u = gan_get_u64(r);
    double f;
    memcpy(&f, &u, 8);
    return f;
}

void gan_get_f32s(gan_rbuf *r, float *x, size_t n)
{
    const uint8_t *p = n <= SIZE_MAX / 4 ? gan_get_bytes(r, 4 * n) : NULL;
    if (!p) {
        r->failed = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t u = gan_le32_load(p + 4 * i);
        memcpy(&x[i], &u, 4);
    }
}

/* ---- CRC-32 ---- */

uint32_t gan_crc32_update(uint32_t crc, const void *data, size_t n)
{
    const Bytef *p = data;
    uLong c = crc;
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

uint32_t gan_crc32(const void *data, size_t n)
{
    return gan_crc32_update(0, data, n);
}

/* ---- reading a whole file ---- */

/* Fills p with exactly n bytes of fd; fewer (end of file first) is an error too, since the size
 * came from fstat and a file that shrinks while read is not the file that was measured. */
static int read_all(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int gan_read_file(const char *path, uint8_t **buf, size_t *len, size_t max_bytes, char *err,
                  size_t errlen)
{
    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer for ever, before the
     * check below could refuse it; on a regular file the flag changes nothing */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        gan_errf(err, errlen, "%s: cannot open: %s", path, strerror(e));
        errno = e;
        return GAN_READ_EOPEN;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = GAN_READ_ENOTREG;
        gan_errf(err, errlen, "%s: not a regular file", path);
        goto out;
    }
    uintmax_t size = (uintmax_t)st.st_size;
    *len = size < SIZE_MAX ? (size_t)size : SIZE_MAX;
    if (size > max_bytes) {
        rc = GAN_READ_ETOOBIG;
        gan_errf(err, errlen, "%s: %ju bytes is over the limit of %zu", path, size, max_bytes);
        goto out;
    }
    uint8_t *b = size < SIZE_MAX ? malloc((size_t)size + 1) : NULL;
    if (!b) {
        rc = GAN_READ_ENOMEM;
        gan_errf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    if (read_all(fd, b, (size_t)size)) {
        free(b);
        rc = GAN_READ_EIO;
        gan_errf(err, errlen, "%s: read error", path);
        goto out;
    }
    b[size] = 0;
    *buf = b;
out:
    close(fd);
    return rc;
}

/* ---- atomic replacement ---- */

/* A name taken by another writer in this process (or left by a dead process with the same
 * pid) is skipped, never reused: O_EXCL keeps two writers off one temporary file. */
#define TMP_TRIES 100

/* Where the bytes for path really go. A symbolic link is written through (its target is
 * replaced, the link kept); an existing path that is not a regular file (a device, a FIFO, a
 * directory) is refused, so `-o /dev/null` never replaces /dev/null. *target: a malloc'd
 * path (path itself, or the link's resolved target); 0, or -1 with a message. */
static int output_target(const char *path, char **target, char *err, size_t errlen)
{
    struct stat st;
    *target = NULL;
    char *t = NULL;
    int exists = lstat(path, &st) == 0;
    if (exists && S_ISLNK(st.st_mode)) {
        t = realpath(path, NULL);
        if (!t)
            return gan_errf(err, errlen, "%s: a symbolic link whose target cannot be written (%s)",
                            path, strerror(errno));
        if (stat(t, &st) != 0) {
            free(t);
            return gan_errf(err, errlen, "%s: cannot stat the link's target: %s", path,
                            strerror(errno));
        }
    } else if (!exists) {
        st.st_mode = S_IFREG; /* nothing there yet: created */
    }
    if (!S_ISREG(st.st_mode)) {
        free(t);
        return gan_errf(err, errlen, "%s: exists and is not a regular file (a device, a FIFO or a "
                        "directory); not replaced", path);
    }
    *target = t ? t : strdup(path);
    return *target ? 0 : gan_errf(err, errlen, "%s: out of memory", path);
}

int gan_tmpfile_create(const char *path, char **tmp, char *err, size_t errlen)
{
    char *target;
    *tmp = NULL;
    if (output_target(path, &target, err, errlen))
        return -1;
    size_t cap = strlen(target) + 48;
    char *name = malloc(cap);
    if (!name) {
        free(target);
        return gan_errf(err, errlen, "%s: out of memory", path);
    }
    for (int k = 0; k < TMP_TRIES; k++) {
        if (k == 0)
            snprintf(name, cap, "%s.tmp.%ld", target, (long)getpid());
        else
            snprintf(name, cap, "%s.tmp.%ld.%d", target, (long)getpid(), k);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            *tmp = name;
            free(target);
            return fd;
        }
        if (errno != EEXIST)
            break;
    }
    /* the user's path, not the temporary's name: that is what they can act on */
    int e = errno;
    gan_errf(err, errlen, "%s: cannot create%s: %s", path, e == EEXIST ? " (temporary names taken)"
             : "", strerror(e));
    free(name);
    free(target);
    return -1;
}

/* Best effort: the data is safe once the file is fsync'd; this only makes the new name
 * survive a crash, and some file systems refuse to fsync a directory. */
static void fsync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : NULL;
    if (slash && !dir)
        return;
    int fd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int gan_rename_durable(const char *tmp, const char *path, char *err, size_t errlen)
{
    char *target;
    if (output_target(path, &target, err, errlen))
        return -1;
    if (rename(tmp, target) != 0) {
        gan_errf(err, errlen, "%s: cannot put the new file in place (rename): %s", path,
                 strerror(errno));
        free(target);
        return -1;
    }
    fsync_dir_of(target);
    free(target);
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t left, const char *path, char *err,
                     size_t errlen)
{
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return gan_errf(err, errlen, "%s: write failed: %s", path,
                            w < 0 ? strerror(errno) : "no space");
        p += w;
        left -= (size_t)w;
    }
    return 0;
}

int gan_write_file_atomic(const char *path, const void *data, size_t len, char *err,
                          size_t errlen)
{
    char *tmp;
    int fd = gan_tmpfile_create(path, &tmp, err, errlen);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, data, len, path, err, errlen);
    if (!rc && fsync(fd) != 0)
        rc = gan_errf(err, errlen, "%s: fsync failed: %s", path, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = gan_errf(err, errlen, "%s: close failed: %s", path, strerror(errno));
    if (!rc)
        rc = gan_rename_durable(tmp, path, err, errlen);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}
