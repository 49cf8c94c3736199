/* model.bin writer: see docs/model-format.md. All integers little-endian, fixed width; floats
 * as their IEEE-754 bit patterns. Every section is checksummed with zlib's crc32. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "format/model.h"
#include "format/model_format.h"

typedef struct {
    uint8_t *p;
    size_t len, cap;
    int oom;
} wbuf;

static void wb_reserve(wbuf *b, size_t more)
{
    if (b->oom)
        return;
    if (b->len + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *np = realloc(b->p, cap);
    if (!np) {
        b->oom = 1;
        return;
    }
    b->p = np;
    b->cap = cap;
}

static void put_bytes(wbuf *b, const void *src, size_t n)
{
    wb_reserve(b, n);
    if (b->oom)
        return;
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u8(wbuf *b, uint8_t v)
{
    put_bytes(b, &v, 1);
}

static void put_u16(wbuf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put_bytes(b, x, 2);
}

static void put_u32(wbuf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put_bytes(b, x, 4);
}

static void put_u64(wbuf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_i32(wbuf *b, int32_t v)
{
    put_u32(b, (uint32_t)v);
}

static void put_f32(wbuf *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(b, u);
}

static void put_f64(wbuf *b, double f)
{
    uint64_t u;
    memcpy(&u, &f, 8);
    put_u64(b, u);
}

/* String table: names appended NUL-terminated; records store the byte offset. */
static uint32_t put_string(wbuf *strs, const char *s)
{
    uint32_t off = (uint32_t)strs->len;
    size_t n = strnlen(s, GAN_NAME_MAX - 1);
    put_bytes(strs, s, n);
    put_u8(strs, 0);
    return off;
}

static void put_section(wbuf *out, unsigned id, const wbuf *payload)
{
    put_u32(out, id);
    put_u32(out, 0);
    put_u64(out, payload->len);
    put_u32(out, (uint32_t)crc32(0L, payload->p ? payload->p : (const Bytef *)"", (uInt)payload->len));
    put_u32(out, 0);
    put_bytes(out, payload->p, payload->len);
}

int gan_model_write_mem(const gan_model *m, void **bufp, size_t *lenp)
{
    wbuf sec[GANF_N_SECTIONS + 1];
    memset(sec, 0, sizeof sec);
    wbuf *strs = &sec[GANF_SEC_STRINGS], *hy = &sec[GANF_SEC_HYPER], *ts = &sec[GANF_SEC_TENSORS],
         *nw = &sec[GANF_SEC_NETWORKS], *pg = &sec[GANF_SEC_PROGRAMS];
    const gan_hyper *h = &m->hyper;
    *bufp = NULL;
    *lenp = 0;

    put_i32(hy, h->image_c);
    put_i32(hy, h->image_h);
    put_i32(hy, h->image_w);
    put_f32(hy, h->range_lo);
    put_f32(hy, h->range_hi);
    put_i32(hy, h->label_kind);
    put_i32(hy, h->n_labels);
    put_i32(hy, h->latent_size);
    put_i32(hy, h->latent_dist);
    put_i32(hy, h->batch);
    put_i32(hy, h->d_steps);
    put_i32(hy, h->epochs);
    put_u64(hy, (uint64_t)h->steps);
    put_i32(hy, h->sample_every);
    put_i32(hy, h->ckpt_every);
    for (int i = 0; i < h->n_labels; i++)
        put_u32(hy, put_string(strs, h->label_names[i]));

    put_u32(ts, (uint32_t)m->n_tensors);
    put_u32(ts, 0);
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        put_u64(ts, m->region_floats[r]);
    for (int i = 0; i < m->n_tensors; i++) {
        const gan_tensor *t = &m->tensors[i];
        put_u32(ts, put_string(strs, t->name));
        put_u8(ts, t->region);
        put_u8(ts, t->ndim);
        put_u8(ts, t->init);
        put_u8(ts, t->flags);
        for (int d = 0; d < GAN_MAX_DIMS; d++)
            put_i32(ts, t->shape[d]);
        put_u64(ts, t->offset);
        put_u64(ts, t->numel);
        put_f32(ts, t->init_arg);
        put_i32(ts, t->fan_in);
        put_i32(ts, t->fan_out);
        put_i32(ts, t->init_src);
    }

    put_u32(nw, (uint32_t)m->n_networks);
    put_u32(nw, 0);
    for (int i = 0; i < m->n_networks; i++) {
        const gan_network *n = &m->networks[i];
        put_u32(nw, put_string(strs, n->name));
        put_i32(nw, n->role);
        put_i32(nw, n->params);
        put_i32(nw, n->grads);
        put_i32(nw, n->ema);
        put_f32(nw, n->ema_decay);
        put_f32(nw, n->lr);
        put_f32(nw, n->beta1);
        put_f32(nw, n->beta2);
        put_f32(nw, n->eps);
    }

    put_u32(pg, (uint32_t)m->n_programs);
    put_u32(pg, 0);
    for (int p = 0; p < m->n_programs; p++) {
        const gan_program *g = &m->programs[p];
        put_u32(pg, put_string(strs, g->name));
        put_i32(pg, g->network);
        put_i32(pg, g->n_ops);
        put_i32(pg, g->n_inputs);
        put_i32(pg, g->n_outputs);
        put_u32(pg, 0);
        put_u64(pg, g->arena_floats);
        put_u64(pg, g->naive_floats);
        put_f64(pg, g->flops);
        for (int j = 0; j < g->n_inputs; j++) {
            put_i32(pg, g->inputs[j]);
            put_i32(pg, g->input_roles[j]);
        }
        for (int j = 0; j < g->n_outputs; j++)
            put_i32(pg, g->outputs[j]);
        for (int k = 0; k < g->n_ops; k++) {
            const gan_op *op = &g->ops[k];
            put_u16(pg, op->type);
            put_u8(pg, op->n_in);
            put_u8(pg, op->n_out);
            for (int j = 0; j < GAN_OP_MAX_IO; j++)
                put_i32(pg, op->in[j]);
            for (int j = 0; j < GAN_OP_MAX_IO; j++)
                put_i32(pg, op->out[j]);
            for (int j = 0; j < 8; j++)
                put_i32(pg, op->i[j]);
            for (int j = 0; j < 8; j++)
                put_f32(pg, op->f[j]);
        }
    }

    wbuf out = {0};
    int oom = 0;
    for (int s = 1; s <= GANF_N_SECTIONS; s++)
        oom |= sec[s].oom;
    if (!oom) {
        put_bytes(&out, GAN_FORMAT_MAGIC, 8);
        put_u32(&out, GAN_FORMAT_VERSION);
        put_u32(&out, GANF_N_SECTIONS);
        put_u64(&out, 0); /* patched below */
        for (int s = 1; s <= GANF_N_SECTIONS; s++)
            put_section(&out, (unsigned)s, &sec[s]);
        oom = out.oom;
    }
    for (int s = 1; s <= GANF_N_SECTIONS; s++)
        free(sec[s].p);
    if (oom) {
        free(out.p);
        return -1;
    }
    uint64_t total = out.len;
    for (int i = 0; i < 8; i++)
        out.p[16 + i] = (uint8_t)(total >> (8 * i));
    *bufp = out.p;
    *lenp = out.len;
    return 0;
}

int gan_model_write(const gan_model *m, const char *path, char *err, size_t errlen)
{
    void *buf;
    size_t len;
    if (gan_model_write_mem(m, &buf, &len)) {
        snprintf(err, errlen, "%s: out of memory while serializing", path);
        return -1;
    }
    /* temporary file in the same directory, so the rename is atomic */
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16);
    if (!tmp) {
        free(buf);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create temporary file: %s", path, strerror(errno));
        free(tmp);
        free(buf);
        return -1;
    }
    const uint8_t *p = buf;
    size_t left = len;
    int rc = 0;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errlen, "%s: write failed: %s", tmp, strerror(errno));
            rc = -1;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (!rc && fsync(fd) != 0) {
        snprintf(err, errlen, "%s: fsync failed: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (close(fd) != 0 && !rc) {
        snprintf(err, errlen, "%s: close failed: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (!rc && rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: rename from %s failed: %s", path, tmp, strerror(errno));
        rc = -1;
    }
    if (rc)
        unlink(tmp);
    else {
        /* make the rename itself durable */
        char *dir = strdup(path);
        if (dir) {
            char *slash = strrchr(dir, '/');
            const char *d = ".";
            if (slash) {
                slash[slash == dir ? 1 : 0] = 0;
                d = dir;
            }
            int dfd = open(d, O_RDONLY);
            if (dfd >= 0) {
                fsync(dfd);
                close(dfd);
            }
            free(dir);
        }
    }
    free(tmp);
    free(buf);
    return rc;
}
