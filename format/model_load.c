/* model.bin loader: see docs/model-format.md. Nothing from the file is used before it is
 * checked: the header and section table first (exact sizes, CRC32 per section), then every
 * count against the bytes that are really there (so a corrupt count cannot make us allocate
 * more than the file could describe), then gan_model_validate() for indices, shapes, op
 * contracts and region bounds. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "format/model.h"
#include "common/err.h"
#include "format/model_format.h"

typedef struct {
    const uint8_t *p;
    size_t len, pos;   /* within the section */
    size_t base;       /* section payload's offset in the file, for messages */
    const char *sec;   /* section name */
} rbuf;

typedef struct {
    const char *what;
    char *err;
    size_t errlen;
} lctx;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int lfail(lctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gan_verrf_at(c->err, c->errlen, c->what, fmt, ap);
    va_end(ap);
    return -1;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Readers: the caller has checked that the bytes are there (need()). */
static uint8_t g8(rbuf *b)
{
    return b->p[b->pos++];
}
static uint16_t g16(rbuf *b)
{
    uint16_t v = (uint16_t)(b->p[b->pos] | b->p[b->pos + 1] << 8);
    b->pos += 2;
    return v;
}
static uint32_t g32(rbuf *b)
{
    uint32_t v = rd32(b->p + b->pos);
    b->pos += 4;
    return v;
}
static int32_t gi32(rbuf *b)
{
    return (int32_t)g32(b);
}
static uint64_t g64(rbuf *b)
{
    uint64_t v = rd64(b->p + b->pos);
    b->pos += 8;
    return v;
}
static float gf32(rbuf *b)
{
    uint32_t u = g32(b);
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static double gf64(rbuf *b)
{
    uint64_t u = g64(b);
    double f;
    memcpy(&f, &u, 8);
    return f;
}

static int need(lctx *c, rbuf *b, uint64_t n, const char *what)
{
    if (n > b->len - b->pos)
        return lfail(c, "section '%s' too short at byte %zu: %s needs %llu bytes, %zu left",
                     b->sec, b->base + b->pos, what, (unsigned long long)n, b->len - b->pos);
    return 0;
}

/* Count check against the bytes left: count * rec must fit, so allocations are bounded by
 * the file size. */
static int need_count(lctx *c, rbuf *b, int64_t count, uint64_t rec, const char *what)
{
    if (count < 0 || count > INT32_MAX)
        return lfail(c, "section '%s' at byte %zu: %s count %lld invalid", b->sec,
                     b->base + b->pos, what, (long long)count);
    if ((uint64_t)count > (b->len - b->pos) / rec)
        return lfail(c, "section '%s' at byte %zu: %lld %s claimed, only %zu bytes left", b->sec,
                     b->base + b->pos, (long long)count, what, b->len - b->pos);
    return 0;
}

static int get_name(lctx *c, const rbuf *strs, uint32_t off, char out[GAN_NAME_MAX],
                    const char *what)
{
    if (off >= strs->len)
        return lfail(c, "%s: string offset %u outside the string table (%zu bytes)", what, off,
                     strs->len);
    const uint8_t *s = strs->p + off;
    size_t max = strs->len - off;
    size_t n = strnlen((const char *)s, max < GAN_NAME_MAX ? max : GAN_NAME_MAX);
    if (n == max || n >= GAN_NAME_MAX)
        return lfail(c, "%s: name at string offset %u is not NUL-terminated within %d bytes",
                     what, off, GAN_NAME_MAX);
    if (n == 0)
        return lfail(c, "%s: empty name", what);
    memset(out, 0, GAN_NAME_MAX);
    memcpy(out, s, n);
    return 0;
}

static int parse_hyper(lctx *c, rbuf *b, const rbuf *strs, gan_model *m)
{
    gan_hyper *h = &m->hyper;
    if (need(c, b, GANF_HYPER_FIXED, "hyperparameters"))
        return -1;
    h->image_c = gi32(b);
    h->image_h = gi32(b);
    h->image_w = gi32(b);
    h->range_lo = gf32(b);
    h->range_hi = gf32(b);
    h->label_kind = gi32(b);
    int32_t nl = gi32(b);
    h->latent_size = gi32(b);
    h->latent_dist = gi32(b);
    h->batch = gi32(b);
    h->d_steps = gi32(b);
    h->epochs = gi32(b);
    h->steps = (int64_t)g64(b);
    h->sample_every = gi32(b);
    h->ckpt_every = gi32(b);
    if (need_count(c, b, nl, 4, "label names"))
        return -1;
    if (nl > 0) {
        h->label_names = calloc((size_t)nl, GAN_NAME_MAX);
        if (!h->label_names)
            return lfail(c, "out of memory");
    }
    h->n_labels = nl;
    for (int i = 0; i < nl; i++) {
        char what[48];
        snprintf(what, sizeof what, "label %d", i);
        if (get_name(c, strs, g32(b), h->label_names[i], what))
            return -1;
    }
    return 0;
}

static int parse_tensors(lctx *c, rbuf *b, const rbuf *strs, gan_model *m)
{
    if (need(c, b, 8 + 8 * GAN_REGION_COUNT, "tensor table header"))
        return -1;
    int64_t n = g32(b);
    if (g32(b) != 0)
        return lfail(c, "section 'tensors': reserved field is not zero");
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        m->region_floats[r] = g64(b);
    if (need_count(c, b, n, GANF_TENSOR_REC, "tensors"))
        return -1;
    if (n > 0 && !(m->tensors = calloc((size_t)n, sizeof *m->tensors)))
        return lfail(c, "out of memory");
    m->n_tensors = (int32_t)n;
    for (int i = 0; i < n; i++) {
        gan_tensor *t = &m->tensors[i];
        char what[48];
        snprintf(what, sizeof what, "tensor %d", i);
        if (get_name(c, strs, g32(b), t->name, what))
            return -1;
        t->region = g8(b);
        t->ndim = g8(b);
        t->init = g8(b);
        t->flags = g8(b);
        for (int d = 0; d < GAN_MAX_DIMS; d++)
            t->shape[d] = gi32(b);
        t->offset = g64(b);
        t->numel = g64(b);
        t->init_arg = gf32(b);
        t->fan_in = gi32(b);
        t->fan_out = gi32(b);
        t->init_src = gi32(b);
    }
    return 0;
}

static int parse_networks(lctx *c, rbuf *b, const rbuf *strs, gan_model *m)
{
    if (need(c, b, 8, "network table header"))
        return -1;
    int64_t n = g32(b);
    if (g32(b) != 0)
        return lfail(c, "section 'networks': reserved field is not zero");
    if (need_count(c, b, n, GANF_NETWORK_REC, "networks"))
        return -1;
    if (n > 0 && !(m->networks = calloc((size_t)n, sizeof *m->networks)))
        return lfail(c, "out of memory");
    m->n_networks = (int32_t)n;
    for (int i = 0; i < n; i++) {
        gan_network *w = &m->networks[i];
        char what[48];
        snprintf(what, sizeof what, "network %d", i);
        if (get_name(c, strs, g32(b), w->name, what))
            return -1;
        w->role = gi32(b);
        w->params = gi32(b);
        w->grads = gi32(b);
        w->ema = gi32(b);
        w->ema_decay = gf32(b);
        w->lr = gf32(b);
        w->beta1 = gf32(b);
        w->beta2 = gf32(b);
        w->eps = gf32(b);
    }
    return 0;
}

static int parse_programs(lctx *c, rbuf *b, const rbuf *strs, gan_model *m)
{
    if (need(c, b, 8, "program table header"))
        return -1;
    int64_t n = g32(b);
    if (g32(b) != 0)
        return lfail(c, "section 'programs': reserved field is not zero");
    if (need_count(c, b, n, GANF_PROGRAM_REC, "programs"))
        return -1;
    if (n > 0 && !(m->programs = calloc((size_t)n, sizeof *m->programs)))
        return lfail(c, "out of memory");
    m->n_programs = (int32_t)n;
    for (int p = 0; p < n; p++) {
        gan_program *g = &m->programs[p];
        char what[48];
        snprintf(what, sizeof what, "program %d", p);
        if (need(c, b, GANF_PROGRAM_REC, what) || get_name(c, strs, g32(b), g->name, what))
            return -1;
        g->network = gi32(b);
        int32_t nops = gi32(b), nin = gi32(b), nout = gi32(b);
        if (g32(b) != 0)
            return lfail(c, "program '%s': reserved field is not zero", g->name);
        g->arena_floats = g64(b);
        g->naive_floats = g64(b);
        g->flops = gf64(b);
        if (need_count(c, b, nin, GANF_INPUT_REC, "program inputs"))
            return -1;
        if (nin > 0 && (!(g->inputs = calloc((size_t)nin, sizeof *g->inputs)) ||
                        !(g->input_roles = calloc((size_t)nin, sizeof *g->input_roles))))
            return lfail(c, "out of memory");
        g->n_inputs = nin;
        for (int j = 0; j < nin; j++) {
            g->inputs[j] = gi32(b);
            g->input_roles[j] = gi32(b);
        }
        if (need_count(c, b, nout, GANF_OUTPUT_REC, "program outputs"))
            return -1;
        if (nout > 0 && !(g->outputs = calloc((size_t)nout, sizeof *g->outputs)))
            return lfail(c, "out of memory");
        g->n_outputs = nout;
        for (int j = 0; j < nout; j++)
            g->outputs[j] = gi32(b);
        if (need_count(c, b, nops, GANF_OP_REC, "ops"))
            return -1;
        if (nops > 0 && !(g->ops = calloc((size_t)nops, sizeof *g->ops)))
            return lfail(c, "out of memory");
        g->n_ops = nops;
        for (int k = 0; k < nops; k++) {
            gan_op *op = &g->ops[k];
            op->type = g16(b);
            op->n_in = g8(b);
            op->n_out = g8(b);
            for (int j = 0; j < GAN_OP_MAX_IO; j++)
                op->in[j] = gi32(b);
            for (int j = 0; j < GAN_OP_MAX_IO; j++)
                op->out[j] = gi32(b);
            for (int j = 0; j < 8; j++)
                op->i[j] = gi32(b);
            for (int j = 0; j < 8; j++)
                op->f[j] = gf32(b);
            if (op->type >= GAN_OP_COUNT)
                return lfail(c, "program '%s' op %d: unknown op type %u", g->name, k, op->type);
            if (op->n_in > GAN_OP_MAX_IO || op->n_out > GAN_OP_MAX_IO)
                return lfail(c, "program '%s' op %d: %u inputs / %u outputs, at most %d",
                             g->name, k, op->n_in, op->n_out, GAN_OP_MAX_IO);
        }
    }
    return 0;
}

gan_model *gan_model_load_mem(const void *buf, size_t len, const char *what, char *err,
                              size_t errlen)
{
    lctx cc = {what ? what : "model.bin", err, errlen}, *c = &cc;
    const uint8_t *p = buf;
    if (err && errlen)
        err[0] = 0;
    if (!p && len)
        return lfail(c, "no data"), NULL;
    if (len < 8 || memcmp(p, GAN_FORMAT_MAGIC, 8) != 0) {
        if (len < 8 && (len == 0 || memcmp(p, GAN_FORMAT_MAGIC, len) == 0))
            lfail(c, "truncated at byte %zu (expected a %u-byte header)", len, GANF_FILE_HEADER);
        else
            lfail(c, "not a model file (bad magic; expected \"%s\")", GAN_FORMAT_MAGIC);
        return NULL;
    }
    if (len < GANF_FILE_HEADER) {
        lfail(c, "truncated at byte %zu (expected a %u-byte header)", len, GANF_FILE_HEADER);
        return NULL;
    }
    uint32_t version = rd32(p + 8), nsec = rd32(p + 12);
    uint64_t flen = rd64(p + 16);
    if (version != GAN_FORMAT_VERSION) {
        lfail(c, "format version %u not supported (this ganrt reads version %d)", version,
              GAN_FORMAT_VERSION);
        return NULL;
    }
    if (flen > len) {
        lfail(c, "truncated at byte %zu (expected %llu bytes)", len, (unsigned long long)flen);
        return NULL;
    }
    if (flen < len) {
        lfail(c, "%zu bytes after the end of the model (header says %llu bytes)",
              len - (size_t)flen, (unsigned long long)flen);
        return NULL;
    }
    if (nsec != GANF_N_SECTIONS) {
        lfail(c, "%u sections, expected %d", nsec, GANF_N_SECTIONS);
        return NULL;
    }
    rbuf secs[GANF_N_SECTIONS + 1];
    size_t pos = GANF_FILE_HEADER;
    for (unsigned s = 1; s <= GANF_N_SECTIONS; s++) {
        if (len - pos < GANF_SECTION_HEADER) {
            lfail(c, "truncated at byte %zu (expected the header of section '%s')", len,
                  ganf_section_name(s));
            return NULL;
        }
        uint32_t id = rd32(p + pos), flags = rd32(p + pos + 4);
        uint64_t slen = rd64(p + pos + 8);
        uint32_t crc = rd32(p + pos + 16), zero = rd32(p + pos + 20);
        if (id != s) {
            lfail(c, "byte %zu: section id %u, expected %u ('%s')", pos, id, s,
                  ganf_section_name(s));
            return NULL;
        }
        if (flags != 0 || zero != 0) {
            lfail(c, "section '%s': reserved header fields are not zero", ganf_section_name(s));
            return NULL;
        }
        pos += GANF_SECTION_HEADER;
        if (slen > len - pos) {
            lfail(c, "section '%s' at byte %zu claims %llu bytes, only %zu left",
                  ganf_section_name(s), pos, (unsigned long long)slen, len - pos);
            return NULL;
        }
        uint32_t got = (uint32_t)crc32(0L, slen ? p + pos : (const Bytef *)"", (uInt)slen);
        if (got != crc) {
            lfail(c, "section '%s' CRC mismatch (stored %08x, computed %08x)",
                  ganf_section_name(s), crc, got);
            return NULL;
        }
        secs[s] = (rbuf){p + pos, (size_t)slen, 0, pos, ganf_section_name(s)};
        pos += (size_t)slen;
    }
    if (pos != len) {
        lfail(c, "%zu bytes after the last section", len - pos);
        return NULL;
    }
    gan_model *m = calloc(1, sizeof *m);
    if (!m) {
        lfail(c, "out of memory");
        return NULL;
    }
    const rbuf *strs = &secs[GANF_SEC_STRINGS];
    int rc = parse_hyper(c, &secs[GANF_SEC_HYPER], strs, m);
    if (!rc)
        rc = parse_tensors(c, &secs[GANF_SEC_TENSORS], strs, m);
    if (!rc)
        rc = parse_networks(c, &secs[GANF_SEC_NETWORKS], strs, m);
    if (!rc)
        rc = parse_programs(c, &secs[GANF_SEC_PROGRAMS], strs, m);
    for (unsigned s = GANF_SEC_HYPER; s <= GANF_N_SECTIONS && !rc; s++)
        if (secs[s].pos != secs[s].len)
            rc = lfail(c, "section '%s': %zu unexpected bytes at byte %zu", secs[s].sec,
                       secs[s].len - secs[s].pos, secs[s].base + secs[s].pos);
    if (!rc) {
        char msg[800];
        if (gan_model_validate(m, msg, sizeof msg))
            rc = lfail(c, "%s", msg);
    }
    if (rc) {
        gan_model_free(m);
        return NULL;
    }
    return m;
}

/* Bound for a model file: the format holds no weights, so even very large models stay far
 * below this; anything bigger is not a model. */
#define GAN_MODEL_MAX_FILE (1ull << 30)

gan_model *gan_model_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        fclose(f);
        return NULL;
    }
    if ((uint64_t)st.st_size > GAN_MODEL_MAX_FILE) {
        snprintf(err, errlen, "%s: %lld bytes is too large for a model file", path,
                 (long long)st.st_size);
        fclose(f);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        fclose(f);
        return NULL;
    }
    size_t got = fread(buf, 1, len, f);
    int ioerr = ferror(f);
    fclose(f);
    if (ioerr || got != len) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        return NULL;
    }
    gan_model *m = gan_model_load_mem(buf, len, path, err, errlen);
    free(buf);
    return m;
}

void gan_model_free(gan_model *m)
{
    if (!m)
        return;
    for (int p = 0; p < m->n_programs && m->programs; p++) {
        free(m->programs[p].ops);
        free(m->programs[p].inputs);
        free(m->programs[p].input_roles);
        free(m->programs[p].outputs);
    }
    free(m->programs);
    free(m->networks);
    free(m->tensors);
    free(m->hyper.label_names);
    free(m);
}

int gan_model_find_tensor(const gan_model *m, const char *name)
{
    for (int i = 0; m && name && i < m->n_tensors; i++)
        if (!strncmp(m->tensors[i].name, name, GAN_NAME_MAX))
            return i;
    return -1;
}

int gan_model_find_program(const gan_model *m, const char *name)
{
    for (int i = 0; m && name && i < m->n_programs; i++)
        if (!strncmp(m->programs[i].name, name, GAN_NAME_MAX))
            return i;
    return -1;
}

int gan_model_find_network(const gan_model *m, const char *name)
{
    for (int i = 0; m && name && i < m->n_networks; i++)
        if (!strncmp(m->networks[i].name, name, GAN_NAME_MAX))
            return i;
    return -1;
}
