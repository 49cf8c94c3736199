/* Checkpoints: see docs/checkpoint-format.md. Writing builds the whole file in memory and
 * replaces the target atomically; loading validates the whole file before touching the
 * model's buffers, so a bad checkpoint never leaves a half-loaded state behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "runtime/train.h"

/* ---- little-endian encoding, independent of the host ---- */
static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static float bitsf(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static void put_floats(unsigned char *p, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put32(p + 4 * i, fbits(x[i]));
}
static void get_floats(float *x, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = bitsf(get32(p + 4 * i));
}

static uint32_t crc(const unsigned char *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n) { /* zlib's length is a uInt */
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

/* Header field offsets (docs/checkpoint-format.md). */
enum {
    H_MAGIC = 0, H_VERSION = 8, H_NTENSORS = 12, H_STEP = 16, H_EPOCH = 24, H_INDEX = 32,
    H_RNG = 40, H_SPARE_FLAG = 72, H_SPARE = 76, H_MODEL_ID = 80, H_SEED = 88,
    H_TABLE_OFF = 96, H_DATA_OFF = 104, H_DATA_BYTES = 112, H_DATA_CRC = 120, H_HEAD_CRC = 124
};
/* Table entry field offsets. */
enum { E_NAME = 0, E_REGION = 64, E_NDIM = 68, E_SHAPE = 72, E_NUMEL = 88, E_OFFSET = 96,
       E_LAYOUT = 104 };
/* E_LAYOUT: 1 = float32 little-endian, row-major in the tensor's shape (NCHW activations,
 * [out, in, kh, kw] conv weights); the only layout so far. */
#define LAYOUT_F32_LE_ROWMAJOR 1u

/* Which tensors go into a checkpoint: every non-aggregate PARAM/STATE tensor, plus an
 * aggregate only where its parts do not cover all of it (so every persistent float that a
 * tensor names is saved exactly once in the common case). Caller frees. */
static unsigned char *included_mask(const gan_model *m)
{
    unsigned char *inc = calloc((size_t)m->n_tensors + 1, 1);
    unsigned char *cov[2] = {NULL, NULL};
    if (!inc)
        return NULL;
    for (int r = 0; r < 2; r++) {
        cov[r] = calloc((size_t)m->region_floats[r] + 1, 1);
        if (!cov[r]) {
            free(cov[0]);
            free(inc);
            return NULL;
        }
    }
    for (int i = 0; i < m->n_tensors; i++) {
        const gan_tensor *t = &m->tensors[i];
        if (t->region > GAN_REGION_STATE || (t->flags & GAN_TF_AGGREGATE))
            continue;
        if (t->offset + t->numel > m->region_floats[t->region])
            continue; /* the model loader rejects this; stay safe anyway */
        inc[i] = 1;
        memset(cov[t->region] + t->offset, 1, (size_t)t->numel);
    }
    for (int i = 0; i < m->n_tensors; i++) {
        const gan_tensor *t = &m->tensors[i];
        if (t->region > GAN_REGION_STATE || !(t->flags & GAN_TF_AGGREGATE))
            continue;
        if (t->offset + t->numel > m->region_floats[t->region])
            continue;
        for (uint64_t k = 0; k < t->numel; k++)
            if (!cov[t->region][t->offset + k]) {
                inc[i] = 1;
                break;
            }
    }
    free(cov[0]);
    free(cov[1]);
    return inc;
}

int gan_ckpt_tensor_included(const gan_model *m, int t)
{
    unsigned char *inc = included_mask(m);
    int r = inc && t >= 0 && t < m->n_tensors ? inc[t] : 0;
    free(inc);
    return r;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

static uint64_t model_id_mask(const gan_model *m, const unsigned char *inc)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (int i = 0; i < m->n_tensors; i++) {
        if (!inc[i])
            continue;
        const gan_tensor *t = &m->tensors[i];
        unsigned char buf[4 + 4 * GAN_MAX_DIMS];
        h = fnv(h, t->name, strnlen(t->name, GAN_NAME_MAX));
        put32(buf, t->region);
        for (int d = 0; d < GAN_MAX_DIMS; d++)
            put32(buf + 4 + 4 * d, d < t->ndim ? (uint32_t)t->shape[d] : 0);
        h = fnv(h, buf, sizeof buf);
    }
    return h;
}

uint64_t gan_ckpt_model_id(const gan_model *m)
{
    unsigned char *inc = included_mask(m);
    uint64_t h = inc ? model_id_mask(m, inc) : 0;
    free(inc);
    return h;
}

int gan_ckpt_write_mem(const gan_model *m, float *const base[GAN_REGION_COUNT],
                       const gan_ckpt_info *info, void **bufp, size_t *lenp)
{
    unsigned char *inc = included_mask(m);
    if (!inc)
        return -1;
    uint32_t n = 0;
    uint64_t data_bytes = 0;
    for (int i = 0; i < m->n_tensors; i++)
        if (inc[i]) {
            n++;
            data_bytes += m->tensors[i].numel * 4;
        }
    uint64_t table_end = GAN_CKPT_HEADER_BYTES + (uint64_t)n * GAN_CKPT_ENTRY_BYTES;
    uint64_t data_off = (table_end + 63) & ~(uint64_t)63;
    size_t len = (size_t)(data_off + data_bytes);
    unsigned char *b = calloc(len, 1);
    if (!b) {
        free(inc);
        return -1;
    }
    memcpy(b + H_MAGIC, GAN_CKPT_MAGIC, 8);
    put32(b + H_VERSION, GAN_CKPT_VERSION);
    put32(b + H_NTENSORS, n);
    put64(b + H_STEP, info->step);
    put64(b + H_EPOCH, info->data_epoch);
    put64(b + H_INDEX, info->data_index);
    for (int k = 0; k < 4; k++)
        put64(b + H_RNG + 8 * k, info->rng.s[k]);
    put32(b + H_SPARE_FLAG, info->rng.has_spare);
    put32(b + H_SPARE, fbits(info->rng.spare));
    put64(b + H_MODEL_ID, model_id_mask(m, inc));
    put64(b + H_SEED, info->seed);
    put64(b + H_TABLE_OFF, GAN_CKPT_HEADER_BYTES);
    put64(b + H_DATA_OFF, data_off);
    put64(b + H_DATA_BYTES, data_bytes);
    uint64_t off = 0;
    unsigned char *e = b + GAN_CKPT_HEADER_BYTES;
    for (int i = 0; i < m->n_tensors; i++) {
        if (!inc[i])
            continue;
        const gan_tensor *t = &m->tensors[i];
        memcpy(e + E_NAME, t->name, strnlen(t->name, GAN_NAME_MAX - 1));
        put32(e + E_REGION, t->region);
        put32(e + E_NDIM, t->ndim);
        for (int d = 0; d < GAN_MAX_DIMS; d++)
            put32(e + E_SHAPE + 4 * d, d < t->ndim ? (uint32_t)t->shape[d] : 0);
        put64(e + E_NUMEL, t->numel);
        put64(e + E_OFFSET, off);
        put32(e + E_LAYOUT, LAYOUT_F32_LE_ROWMAJOR);
        put_floats(b + data_off + off, base[t->region] + t->offset, (size_t)t->numel);
        off += t->numel * 4;
        e += GAN_CKPT_ENTRY_BYTES;
    }
    free(inc);
    put32(b + H_DATA_CRC, crc(b + data_off, (size_t)data_bytes));
    /* header CRC: header bytes before the field, then the table and its padding */
    uLong hc = crc32(0L, Z_NULL, 0);
    hc = crc32(hc, b, H_HEAD_CRC);
    hc = crc32(hc, b + GAN_CKPT_HEADER_BYTES, (uInt)(data_off - GAN_CKPT_HEADER_BYTES));
    put32(b + H_HEAD_CRC, (uint32_t)hc);
    *bufp = b;
    *lenp = len;
    return 0;
}

/* ---- files ---- */

int gan_mkdirs(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) {
        snprintf(err, errlen, "%s: bad directory name", path);
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) && errno != EEXIST) {
                snprintf(err, errlen, "%s: cannot create directory: %s", buf, strerror(errno));
                return -1;
            }
            buf[i] = c;
        }
    }
    struct stat st;
    if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory", path);
        return -1;
    }
    return 0;
}

static void dir_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, len, ".");
    else if (slash == path)
        snprintf(dir, len, "/");
    else
        snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

int gan_write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    char tmp[4200], dir[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create %s: %s", path, tmp, strerror(errno));
        return -1;
    }
    const unsigned char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errlen, "%s: write failed: %s", path, w < 0 ? strerror(errno) : "no space");
            close(fd);
            unlink(tmp);
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd)) {
        snprintf(err, errlen, "%s: fsync failed: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd)) {
        snprintf(err, errlen, "%s: close failed: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path)) {
        snprintf(err, errlen, "%s: rename from %s failed: %s", path, tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    /* make the rename itself durable */
    dir_of(path, dir, sizeof dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int gan_ckpt_write(const char *path, const gan_model *m, float *const base[GAN_REGION_COUNT],
                   const gan_ckpt_info *info, char *err, size_t errlen)
{
    void *buf;
    size_t len;
    if (gan_ckpt_write_mem(m, base, info, &buf, &len)) {
        snprintf(err, errlen, "%s: out of memory building the checkpoint", path);
        return -1;
    }
    int r = gan_write_file_atomic(path, buf, len, err, errlen);
    free(buf);
    return r;
}

/* ---- reading ---- */

typedef struct {
    const unsigned char *b;
    size_t len;
    uint32_t n;
    uint64_t data_off, data_bytes;
    gan_ckpt_info info;
} ckpt_view;

/* Validates structure and CRCs. */
static int parse(const void *buf, size_t len, const char *what, ckpt_view *v, char *err,
                 size_t errlen)
{
    const unsigned char *b = buf;
    memset(v, 0, sizeof *v);
    if (len < GAN_CKPT_HEADER_BYTES) {
        snprintf(err, errlen, "%s: truncated checkpoint: %zu bytes, the header alone is %u", what,
                 len, GAN_CKPT_HEADER_BYTES);
        return -1;
    }
    if (memcmp(b, GAN_CKPT_MAGIC, 8)) {
        snprintf(err, errlen, "%s: not a ganrt checkpoint (bad magic)", what);
        return -1;
    }
    uint32_t ver = get32(b + H_VERSION);
    if (ver != GAN_CKPT_VERSION) {
        snprintf(err, errlen, "%s: checkpoint format version %u, this ganrt reads version %u",
                 what, ver, GAN_CKPT_VERSION);
        return -1;
    }
    uint64_t n = get32(b + H_NTENSORS);
    uint64_t table_off = get64(b + H_TABLE_OFF);
    uint64_t data_off = get64(b + H_DATA_OFF), data_bytes = get64(b + H_DATA_BYTES);
    if (table_off != GAN_CKPT_HEADER_BYTES) {
        snprintf(err, errlen, "%s: corrupted header: table offset %llu (expected %u)", what,
                 (unsigned long long)table_off, GAN_CKPT_HEADER_BYTES);
        return -1;
    }
    uint64_t table_end = table_off + n * GAN_CKPT_ENTRY_BYTES;
    if (n > (uint64_t)len / GAN_CKPT_ENTRY_BYTES || table_end > len || data_off < table_end ||
        data_off > len) {
        snprintf(err, errlen,
                 "%s: truncated or corrupted: %llu tensors and data at byte %llu do not fit in "
                 "%zu bytes", what, (unsigned long long)n, (unsigned long long)data_off, len);
        return -1;
    }
    if (data_bytes != len - data_off) {
        snprintf(err, errlen, "%s: truncated or corrupted: file is %zu bytes, header says %llu",
                 what, len, (unsigned long long)(data_off + data_bytes));
        return -1;
    }
    uLong hc = crc32(0L, Z_NULL, 0);
    hc = crc32(hc, b, H_HEAD_CRC);
    hc = crc32(hc, b + table_off, (uInt)(data_off - table_off));
    if ((uint32_t)hc != get32(b + H_HEAD_CRC)) {
        snprintf(err, errlen, "%s: header or tensor table corrupted (CRC mismatch)", what);
        return -1;
    }
    if (crc(b + data_off, (size_t)data_bytes) != get32(b + H_DATA_CRC)) {
        snprintf(err, errlen, "%s: tensor data corrupted (CRC32 mismatch)", what);
        return -1;
    }
    for (uint64_t i = 0; i < n; i++) {
        const unsigned char *e = b + table_off + i * GAN_CKPT_ENTRY_BYTES;
        if (!memchr(e + E_NAME, 0, GAN_NAME_MAX) || !e[E_NAME]) {
            snprintf(err, errlen, "%s: tensor table entry %llu has a bad name", what,
                     (unsigned long long)i);
            return -1;
        }
        uint32_t region = get32(e + E_REGION), ndim = get32(e + E_NDIM);
        uint64_t numel = get64(e + E_NUMEL), off = get64(e + E_OFFSET), prod = 1;
        int bad = region > GAN_REGION_STATE || ndim < 1 || ndim > GAN_MAX_DIMS;
        for (uint32_t d = 0; !bad && d < ndim; d++) {
            uint32_t s = get32(e + E_SHAPE + 4 * d);
            if (s == 0 || s > (1u << 30))
                bad = 1;
            else
                prod *= s;
            if (prod > ((uint64_t)1 << 40))
                bad = 1;
        }
        if (get32(e + E_LAYOUT) != LAYOUT_F32_LE_ROWMAJOR) {
            snprintf(err, errlen, "%s: tensor %s has unknown data layout %u", what,
                     (const char *)(e + E_NAME), get32(e + E_LAYOUT));
            return -1;
        }
        if (bad || prod != numel || off % 4 || off > data_bytes || numel * 4 > data_bytes - off) {
            snprintf(err, errlen, "%s: tensor table entry %llu (%s) is inconsistent", what,
                     (unsigned long long)i, (const char *)(e + E_NAME));
            return -1;
        }
    }
    v->b = b;
    v->len = len;
    v->n = (uint32_t)n;
    v->data_off = data_off;
    v->data_bytes = data_bytes;
    v->info.step = get64(b + H_STEP);
    v->info.data_epoch = get64(b + H_EPOCH);
    v->info.data_index = get64(b + H_INDEX);
    v->info.seed = get64(b + H_SEED);
    for (int k = 0; k < 4; k++)
        v->info.rng.s[k] = get64(b + H_RNG + 8 * k);
    v->info.rng.has_spare = get32(b + H_SPARE_FLAG) ? 1 : 0;
    v->info.rng.spare = bitsf(get32(b + H_SPARE));
    v->info.model_id = get64(b + H_MODEL_ID);
    return 0;
}

static const unsigned char *entry(const ckpt_view *v, uint32_t i)
{
    return v->b + GAN_CKPT_HEADER_BYTES + (size_t)i * GAN_CKPT_ENTRY_BYTES;
}

/* Index of the entry named name, or -1. */
static long find_entry(const ckpt_view *v, const char *name)
{
    for (uint32_t i = 0; i < v->n; i++)
        if (!strncmp((const char *)entry(v, i) + E_NAME, name, GAN_NAME_MAX))
            return (long)i;
    return -1;
}

static int same_shape(const unsigned char *e, const gan_tensor *t)
{
    if (get32(e + E_NDIM) != t->ndim)
        return 0;
    for (int d = 0; d < t->ndim; d++)
        if (get32(e + E_SHAPE + 4 * d) != (uint32_t)t->shape[d])
            return 0;
    return 1;
}

static void shape_str(char *buf, size_t len, const int32_t *shape, int ndim)
{
    size_t k = 0;
    buf[0] = 0;
    for (int d = 0; d < ndim && k < len; d++)
        k += (size_t)snprintf(buf + k, len - k, d ? "x%d" : "%d", shape[d]);
}

int gan_ckpt_load_mem(const void *buf, size_t len, const char *what, const gan_model *m,
                      float *const base[GAN_REGION_COUNT], gan_ckpt_info *info, char *err,
                      size_t errlen)
{
    ckpt_view v;
    if (parse(buf, len, what, &v, err, errlen))
        return -1;
    unsigned char *inc = included_mask(m);
    if (!inc) {
        snprintf(err, errlen, "%s: out of memory", what);
        return -1;
    }
    uint64_t id = model_id_mask(m, inc);
    long *map = malloc(sizeof *map * ((size_t)m->n_tensors + 1));
    int rc = -1;
    if (!map) {
        snprintf(err, errlen, "%s: out of memory", what);
        goto out;
    }
    /* Name the first missing or mismatched tensor: more useful than "wrong model". */
    for (int i = 0; i < m->n_tensors; i++) {
        map[i] = -1;
        if (!inc[i])
            continue;
        const gan_tensor *t = &m->tensors[i];
        long k = find_entry(&v, t->name);
        if (k < 0) {
            snprintf(err, errlen, "%s: checkpoint lacks tensor %s (written for another model?)",
                     what, t->name);
            goto out;
        }
        const unsigned char *e = entry(&v, (uint32_t)k);
        if (!same_shape(e, t) || get32(e + E_REGION) != t->region) {
            char a[64], bb[64];
            int32_t s[GAN_MAX_DIMS] = {0};
            uint32_t nd = get32(e + E_NDIM);
            for (uint32_t d = 0; d < nd && d < GAN_MAX_DIMS; d++)
                s[d] = (int32_t)get32(e + E_SHAPE + 4 * d);
            shape_str(a, sizeof a, s, (int)nd);
            shape_str(bb, sizeof bb, t->shape, t->ndim);
            snprintf(err, errlen, "%s: tensor %s has shape %s in the checkpoint, the model has %s",
                     what, t->name, a, bb);
            goto out;
        }
        map[i] = k;
    }
    if (v.info.model_id != id) {
        snprintf(err, errlen,
                 "%s: written for a different model (model id %016llx, this model %016llx)", what,
                 (unsigned long long)v.info.model_id, (unsigned long long)id);
        goto out;
    }
    for (int i = 0; i < m->n_tensors; i++) {
        if (map[i] < 0)
            continue;
        const gan_tensor *t = &m->tensors[i];
        const unsigned char *e = entry(&v, (uint32_t)map[i]);
        get_floats(base[t->region] + t->offset, v.b + v.data_off + get64(e + E_OFFSET),
                   (size_t)t->numel);
    }
    if (info)
        *info = v.info;
    rc = 0;
out:
    free(map);
    free(inc);
    return rc;
}

static int read_file(const char *path, unsigned char **buf, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open checkpoint: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    unsigned char *b = malloc(n ? n : 1);
    if (!b) {
        snprintf(err, errlen, "%s: out of memory (%zu bytes)", path, n);
        close(fd);
        return -1;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *buf = b;
    *len = got;
    return 0;
}

int gan_ckpt_load(const char *path, const gan_model *m, float *const base[GAN_REGION_COUNT],
                  gan_ckpt_info *info, char *err, size_t errlen)
{
    unsigned char *b;
    size_t n;
    if (read_file(path, &b, &n, err, errlen))
        return -1;
    int r = gan_ckpt_load_mem(b, n, path, m, base, info, err, errlen);
    free(b);
    return r;
}

int gan_ckpt_load_matching(const char *path, const gan_model *m,
                           float *const base[GAN_REGION_COUNT], FILE *report, int *n_loaded,
                           char *err, size_t errlen)
{
    unsigned char *b;
    size_t len;
    ckpt_view v;
    *n_loaded = 0;
    if (read_file(path, &b, &len, err, errlen))
        return -1;
    if (parse(b, len, path, &v, err, errlen)) {
        free(b);
        return -1;
    }
    unsigned char *inc = included_mask(m);
    if (!inc) {
        free(b);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int missing = 0, mismatched = 0, listed = 0, unlisted = 0;
    char found[1024] = "";
    size_t fk = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        if (!inc[i])
            continue;
        const gan_tensor *t = &m->tensors[i];
        long k = find_entry(&v, t->name);
        if (k < 0) {
            missing++;
            if (report && t->region == GAN_REGION_PARAM)
                fprintf(report, "init: %s: not in %s (kept its initial value)\n", t->name, path);
            continue;
        }
        const unsigned char *e = entry(&v, (uint32_t)k);
        if (!same_shape(e, t)) {
            mismatched++;
            if (report)
                fprintf(report, "init: %s: shape differs in %s (kept its initial value)\n",
                        t->name, path);
            continue;
        }
        get_floats(base[t->region] + t->offset, v.b + v.data_off + get64(e + E_OFFSET),
                   (size_t)t->numel);
        (*n_loaded)++;
        /* name the parameters found (the first few; a count for the rest) */
        if (t->region == GAN_REGION_PARAM) {
            size_t need = strlen(t->name) + 2;
            if (fk + need + 1 < sizeof found && listed < 24) {
                fk += (size_t)snprintf(found + fk, sizeof found - fk, "%s%s", listed ? ", " : "",
                                       t->name);
                listed++;
            } else {
                unlisted++;
            }
        }
    }
    if (report) {
        fprintf(report, "init: loaded %d tensors from %s (%d not found, %d shape mismatches, %u "
                "in the file)\n", *n_loaded, path, missing, mismatched, v.n);
        if (listed)
            fprintf(report, "init: parameters found: %s%s\n", found,
                    unlisted ? " and more" : "");
    }
    free(inc);
    free(b);
    return 0;
}

/* ---- run directories ---- */

static int is_ckpt_name(const char *name, unsigned long long *step)
{
    char tail[8];
    unsigned long long s;
    int used = 0;
    if (sscanf(name, "step_%llu%n", &s, &used) != 1)
        return 0;
    if (snprintf(tail, sizeof tail, "%s", name + used) >= (int)sizeof tail || strcmp(tail, ".ckpt"))
        return 0;
    *step = s;
    return 1;
}

typedef struct {
    unsigned long long step;
    char name[256];
} ck_ent;

static int ck_cmp(const void *a, const void *b)
{
    unsigned long long x = ((const ck_ent *)a)->step, y = ((const ck_ent *)b)->step;
    return x < y ? -1 : x > y;
}

int gan_ckpt_save_run(const char *run_dir, int keep, const gan_model *m,
                      float *const base[GAN_REGION_COUNT], const gan_ckpt_info *info,
                      char *path_out, size_t path_len, char *err, size_t errlen)
{
    char dir[4096], path[4400], latest[4400], name[64];
    snprintf(dir, sizeof dir, "%s/ckpt", run_dir);
    if (gan_mkdirs(dir, err, errlen))
        return -1;
    snprintf(name, sizeof name, "step_%06llu.ckpt", (unsigned long long)info->step);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (gan_ckpt_write(path, m, base, info, err, errlen))
        return -1;
    char line[80];
    int ln = snprintf(line, sizeof line, "%s\n", name);
    snprintf(latest, sizeof latest, "%s/latest", dir);
    if (gan_write_file_atomic(latest, line, (size_t)ln, err, errlen))
        return -1;
    if (path_out)
        snprintf(path_out, path_len, "%s", path);
    if (keep < 1)
        keep = 1;
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* pruning is best effort */
    ck_ent *ents = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        unsigned long long s;
        if (!is_ckpt_name(de->d_name, &s) || strlen(de->d_name) >= sizeof ents->name)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            ck_ent *ne = realloc(ents, nc * sizeof *ne);
            if (!ne)
                break;
            ents = ne;
            cap = nc;
        }
        ents[n].step = s;
        snprintf(ents[n].name, sizeof ents[n].name, "%s", de->d_name);
        n++;
    }
    closedir(d);
    if (n > (size_t)keep) {
        qsort(ents, n, sizeof *ents, ck_cmp);
        for (size_t i = 0; i + (size_t)keep < n; i++) {
            if (!strcmp(ents[i].name, name))
                continue; /* never the one just written */
            char p[4400];
            snprintf(p, sizeof p, "%s/%s", dir, ents[i].name);
            unlink(p);
        }
    }
    free(ents);
    return 0;
}

static int read_latest(const char *latest_path, const char *dir, char *path, size_t path_len,
                       char *err, size_t errlen)
{
    FILE *f = fopen(latest_path, "r");
    if (!f)
        return 1;
    char line[512] = {0};
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        snprintf(err, errlen, "%s: empty", latest_path);
        return -1;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0] || strchr(line, '/')) {
        snprintf(err, errlen, "%s: does not name a checkpoint file", latest_path);
        return -1;
    }
    if (snprintf(path, path_len, "%s/%s", dir, line) >= (int)path_len) {
        snprintf(err, errlen, "%s: path too long", latest_path);
        return -1;
    }
    return 0;
}

int gan_ckpt_resolve(const char *arg, char *path, size_t path_len, char *err, size_t errlen)
{
    struct stat st;
    if (stat(arg, &st)) {
        snprintf(err, errlen, "%s: %s", arg, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(path, path_len, "%s", arg);
        return 0;
    }
    char dir[4200], lp[4300];
    snprintf(dir, sizeof dir, "%s/ckpt", arg);
    snprintf(lp, sizeof lp, "%s/latest", dir);
    int r = read_latest(lp, dir, path, path_len, err, errlen);
    if (r <= 0)
        return r;
    snprintf(lp, sizeof lp, "%s/latest", arg);
    r = read_latest(lp, arg, path, path_len, err, errlen);
    if (r <= 0)
        return r;
    snprintf(err, errlen, "%s: no checkpoint found (no ckpt/latest in this directory)", arg);
    return -1;
}
