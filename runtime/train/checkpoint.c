/* Checkpoints: see docs/checkpoint-format.md. Writing builds the whole file in memory and
 * replaces the target atomically; loading validates the whole file before touching the
 * model's buffers, so a bad checkpoint never leaves a half-loaded state behind. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/bytes.h"
#include "runtime/train.h"

/* The header and table entries are read and written field by field in file order
 * (docs/checkpoint-format.md); these are the offsets the code still needs: the two CRCs, which
 * are filled in last, and where an entry's reserved bytes start. */
enum { H_DATA_CRC = 120, H_HEAD_CRC = 124, E_RESERVED = 108 };
/* An entry's layout field: 1 = float32 little-endian, row-major in the tensor's shape (NCHW
 * activations, [out, in, kh, kw] conv weights); the only layout so far. */
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
        gan_le32_store(buf, t->region);
        for (int d = 0; d < GAN_MAX_DIMS; d++)
            gan_le32_store(buf + 4 + 4 * d, d < t->ndim ? (uint32_t)t->shape[d] : 0);
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

static void put_header(gan_wbuf *w, uint32_t n, const gan_ckpt_info *info, uint64_t model_id,
                       uint64_t data_off, uint64_t data_bytes)
{
    gan_put_bytes(w, GAN_CKPT_MAGIC, 8);
    gan_put_u32(w, GAN_CKPT_VERSION);
    gan_put_u32(w, n);
    gan_put_u64(w, info->step);
    gan_put_u64(w, info->data_epoch);
    gan_put_u64(w, info->data_index);
    for (int k = 0; k < 4; k++)
        gan_put_u64(w, info->rng.s[k]);
    gan_put_u32(w, info->rng.has_spare);
    gan_put_f32(w, info->rng.spare);
    gan_put_u64(w, model_id);
    gan_put_u64(w, info->seed);
    gan_put_u64(w, GAN_CKPT_HEADER_BYTES);
    gan_put_u64(w, data_off);
    gan_put_u64(w, data_bytes);
    gan_put_u32(w, 0); /* data CRC, once the data is there */
    gan_put_u32(w, 0); /* header CRC, likewise */
}

static void put_entry(gan_wbuf *w, const gan_tensor *t, uint64_t off)
{
    gan_put_strfield(w, t->name, GAN_NAME_MAX);
    gan_put_u32(w, t->region);
    gan_put_u32(w, t->ndim);
    for (int d = 0; d < GAN_MAX_DIMS; d++)
        gan_put_u32(w, d < t->ndim ? (uint32_t)t->shape[d] : 0);
    gan_put_u64(w, t->numel);
    gan_put_u64(w, off);
    gan_put_u32(w, LAYOUT_F32_LE_ROWMAJOR);
    gan_put_zeros(w, GAN_CKPT_ENTRY_BYTES - E_RESERVED);
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
    gan_wbuf w = {0};
    gan_wbuf_reserve(&w, len);
    put_header(&w, n, info, model_id_mask(m, inc), data_off, data_bytes);
    uint64_t off = 0;
    for (int i = 0; i < m->n_tensors; i++)
        if (inc[i]) {
            put_entry(&w, &m->tensors[i], off);
            off += m->tensors[i].numel * 4;
        }
    gan_put_zeros(&w, (size_t)(data_off - table_end));
    for (int i = 0; i < m->n_tensors; i++)
        if (inc[i]) {
            const gan_tensor *t = &m->tensors[i];
            gan_put_f32s(&w, base[t->region] + t->offset, (size_t)t->numel);
        }
    free(inc);
    if (w.failed || w.len != len) {
        gan_wbuf_free(&w);
        return -1;
    }
    gan_le32_store(w.data + H_DATA_CRC, gan_crc32(w.data + data_off, (size_t)data_bytes));
    /* header CRC: header bytes before the field, then the table and its padding */
    uint32_t hc = gan_crc32(w.data, H_HEAD_CRC);
    hc = gan_crc32_update(hc, w.data + GAN_CKPT_HEADER_BYTES,
                          (size_t)(data_off - GAN_CKPT_HEADER_BYTES));
    gan_le32_store(w.data + H_HEAD_CRC, hc);
    *bufp = w.data;
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

/* One tensor table entry, decoded. name points into the file (64 bytes; NUL-terminated once
 * parse() has accepted the file). */
typedef struct {
    const char *name;
    uint32_t region, ndim, shape[GAN_MAX_DIMS], layout;
    uint64_t numel, offset;
} ckpt_entry;

/* Entry i of a table at b + GAN_CKPT_HEADER_BYTES; the caller has checked it is in the file. */
static ckpt_entry entry_at(const unsigned char *b, uint64_t i)
{
    gan_rbuf r = gan_rbuf_make(b + GAN_CKPT_HEADER_BYTES + i * GAN_CKPT_ENTRY_BYTES,
                               GAN_CKPT_ENTRY_BYTES);
    ckpt_entry e;
    e.name = (const char *)gan_get_bytes(&r, GAN_NAME_MAX);
    e.region = gan_get_u32(&r);
    e.ndim = gan_get_u32(&r);
    for (int d = 0; d < GAN_MAX_DIMS; d++)
        e.shape[d] = gan_get_u32(&r);
    e.numel = gan_get_u64(&r);
    e.offset = gan_get_u64(&r);
    e.layout = gan_get_u32(&r);
    return e;
}

static int check_entries(const unsigned char *b, uint64_t n, uint64_t data_bytes,
                         const char *what, char *err, size_t errlen)
{
    for (uint64_t i = 0; i < n; i++) {
        ckpt_entry e = entry_at(b, i);
        if (!memchr(e.name, 0, GAN_NAME_MAX) || !e.name[0]) {
            snprintf(err, errlen, "%s: tensor table entry %llu has a bad name", what,
                     (unsigned long long)i);
            return -1;
        }
        uint64_t prod = 1;
        int bad = e.region > GAN_REGION_STATE || e.ndim < 1 || e.ndim > GAN_MAX_DIMS;
        for (uint32_t d = 0; !bad && d < e.ndim; d++) {
            if (e.shape[d] == 0 || e.shape[d] > (1u << 30))
                bad = 1;
            else
                prod *= e.shape[d];
            if (prod > ((uint64_t)1 << 40))
                bad = 1;
        }
        if (e.layout != LAYOUT_F32_LE_ROWMAJOR) {
            snprintf(err, errlen, "%s: tensor %s has unknown data layout %u", what, e.name,
                     e.layout);
            return -1;
        }
        if (bad || prod != e.numel || e.offset % 4 || e.offset > data_bytes ||
            e.numel * 4 > data_bytes - e.offset) {
            snprintf(err, errlen, "%s: tensor table entry %llu (%s) is inconsistent", what,
                     (unsigned long long)i, e.name);
            return -1;
        }
    }
    return 0;
}

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
    gan_rbuf r = gan_rbuf_make(b, GAN_CKPT_HEADER_BYTES);
    if (memcmp(gan_get_bytes(&r, 8), GAN_CKPT_MAGIC, 8)) {
        snprintf(err, errlen, "%s: not a ganrt checkpoint (bad magic)", what);
        return -1;
    }
    uint32_t ver = gan_get_u32(&r);
    if (ver != GAN_CKPT_VERSION) {
        snprintf(err, errlen, "%s: checkpoint format version %u, this ganrt reads version %u",
                 what, ver, GAN_CKPT_VERSION);
        return -1;
    }
    uint64_t n = gan_get_u32(&r);
    gan_ckpt_info in;
    in.step = gan_get_u64(&r);
    in.data_epoch = gan_get_u64(&r);
    in.data_index = gan_get_u64(&r);
    for (int k = 0; k < 4; k++)
        in.rng.s[k] = gan_get_u64(&r);
    in.rng.has_spare = gan_get_u32(&r) ? 1 : 0;
    in.rng.spare = gan_get_f32(&r);
    in.model_id = gan_get_u64(&r);
    in.seed = gan_get_u64(&r);
    uint64_t table_off = gan_get_u64(&r);
    uint64_t data_off = gan_get_u64(&r), data_bytes = gan_get_u64(&r);
    uint32_t data_crc = gan_get_u32(&r), head_crc = gan_get_u32(&r);
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
    uint32_t hc = gan_crc32(b, H_HEAD_CRC);
    hc = gan_crc32_update(hc, b + table_off, (size_t)(data_off - table_off));
    if (hc != head_crc) {
        snprintf(err, errlen, "%s: header or tensor table corrupted (CRC mismatch)", what);
        return -1;
    }
    if (gan_crc32(b + data_off, (size_t)data_bytes) != data_crc) {
        snprintf(err, errlen, "%s: tensor data corrupted (CRC32 mismatch)", what);
        return -1;
    }
    if (check_entries(b, n, data_bytes, what, err, errlen))
        return -1;
    *v = (ckpt_view){b, len, (uint32_t)n, data_off, data_bytes, in};
    return 0;
}

static ckpt_entry entry(const ckpt_view *v, uint32_t i)
{
    return entry_at(v->b, i);
}

/* Index of the entry named name, or -1. */
static long find_entry(const ckpt_view *v, const char *name)
{
    for (uint32_t i = 0; i < v->n; i++)
        if (!strncmp(entry(v, i).name, name, GAN_NAME_MAX))
            return (long)i;
    return -1;
}

static int same_shape(const ckpt_entry *e, const gan_tensor *t)
{
    if (e->ndim != t->ndim)
        return 0;
    for (int d = 0; d < t->ndim; d++)
        if (e->shape[d] != (uint32_t)t->shape[d])
            return 0;
    return 1;
}

/* Copies entry e's data into tensor t's place (parse() has checked that it is in the file). */
static void copy_tensor(const ckpt_view *v, const ckpt_entry *e, const gan_tensor *t,
                        float *const base[GAN_REGION_COUNT])
{
    gan_rbuf r = gan_rbuf_make(v->b + v->data_off + e->offset, (size_t)t->numel * 4);
    gan_get_f32s(&r, base[t->region] + t->offset, (size_t)t->numel);
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
        ckpt_entry e = entry(&v, (uint32_t)k);
        if (!same_shape(&e, t) || e.region != t->region) {
            char a[64], bb[64];
            int32_t s[GAN_MAX_DIMS] = {0};
            uint32_t nd = e.ndim;
            for (uint32_t d = 0; d < nd && d < GAN_MAX_DIMS; d++)
                s[d] = (int32_t)e.shape[d];
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
        ckpt_entry e = entry(&v, (uint32_t)map[i]);
        copy_tensor(&v, &e, t, base);
    }
    if (info)
        *info = v.info;
    rc = 0;
out:
    free(map);
    free(inc);
    return rc;
}

static int read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    int rc = gan_read_file(path, buf, len, SIZE_MAX, err, errlen);
    if (rc == GAN_READ_EOPEN)
        snprintf(err, errlen, "%s: cannot open checkpoint: %s", path, strerror(errno));
    else if (rc == GAN_READ_ENOMEM)
        snprintf(err, errlen, "%s: out of memory (%zu bytes)", path, *len);
    return rc ? -1 : 0;
}

int gan_ckpt_load(const char *path, const gan_model *m, float *const base[GAN_REGION_COUNT],
                  gan_ckpt_info *info, char *err, size_t errlen)
{
    uint8_t *b;
    size_t n;
    if (read_file(path, &b, &n, err, errlen))
        return -1;
    int r = gan_ckpt_load_mem(b, n, path, m, base, info, err, errlen);
    free(b);
    return r;
}

/* After --init copied what matched: an optimizer's state is one whole (a step counter
 * "N.adam_t" with moments "N.adam_m", "N.adam_v" beside it): unless all of it came from the
 * file, all of it starts fresh (zeros), never a copied step count with fresh moments. An EMA
 * copy (init COPY) the file did not give follows the weights now in its source. */
static void init_fixups(const gan_model *m, float *const base[GAN_REGION_COUNT],
                        const unsigned char *loaded, const char *path, FILE *report)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const gan_tensor *t = &m->tensors[i];
        size_t n = strlen(t->name);
        if (t->region != GAN_REGION_STATE || t->numel != 1 || n < 3 || strcmp(t->name + n - 2, "_t"))
            continue;
        int all = 1, any = 0;
        for (int j = 0; j < m->n_tensors; j++)
            if (m->tensors[j].region == GAN_REGION_STATE &&
                !strncmp(m->tensors[j].name, t->name, n - 1))
                all &= loaded[j], any |= loaded[j];
        if (all || !any)
            continue;
        for (int j = 0; j < m->n_tensors; j++) {
            const gan_tensor *u = &m->tensors[j];
            if (u->region == GAN_REGION_STATE && !strncmp(u->name, t->name, n - 1))
                memset(base[u->region] + u->offset, 0, sizeof(float) * (size_t)u->numel);
        }
        if (report)
            fprintf(report, "init: %.*s*: optimizer state only partly in %s (started fresh, "
                    "step count 0)\n", (int)(n - 1), t->name, path);
    }
    for (int i = 0; i < m->n_tensors; i++) {
        const gan_tensor *t = &m->tensors[i];
        if (t->init != GAN_INIT_COPY || loaded[i] || t->init_src < 0 || t->init_src >= m->n_tensors)
            continue;
        const gan_tensor *src = &m->tensors[t->init_src];
        if (src->numel != t->numel)
            continue;
        memcpy(base[t->region] + t->offset, base[src->region] + src->offset,
               sizeof(float) * (size_t)t->numel);
        if (report)
            fprintf(report, "init: %s: not in %s, copied from %s as loaded\n", t->name, path,
                    src->name);
    }
}

int gan_ckpt_load_matching(const char *path, const gan_model *m,
                           float *const base[GAN_REGION_COUNT], FILE *report, int *n_loaded,
                           char *err, size_t errlen)
{
    uint8_t *b;
    size_t len;
    ckpt_view v;
    *n_loaded = 0;
    if (read_file(path, &b, &len, err, errlen))
        return -1;
    if (parse(b, len, path, &v, err, errlen)) {
        free(b);
        return -1;
    }
    unsigned char *inc = included_mask(m), *loaded = calloc((size_t)m->n_tensors + 1, 1);
    if (!inc || !loaded) {
        free(b);
        free(inc);
        free(loaded);
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
        ckpt_entry e = entry(&v, (uint32_t)k);
        if (!same_shape(&e, t)) {
            mismatched++;
            if (report)
                fprintf(report, "init: %s: shape differs in %s (kept its initial value)\n",
                        t->name, path);
            continue;
        }
        copy_tensor(&v, &e, t, base);
        loaded[i] = 1;
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
    init_fixups(m, base, loaded, path, report);
    free(loaded);
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
    uint8_t *b; /* through gan_read_file: a FIFO or a device here is refused, never waited on */
    size_t n;
    int rc = gan_read_file(latest_path, &b, &n, 4096, err, errlen);
    if (rc == GAN_READ_EOPEN)
        return 1;
    if (rc)
        return -1;
    char line[512] = {0};
    snprintf(line, sizeof line, "%s", (const char *)b);
    free(b);
    if (!line[0]) {
        snprintf(err, errlen, "%s: empty", latest_path);
        return -1;
    }
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
