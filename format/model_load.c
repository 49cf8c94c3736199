/* model.bin loader: see docs/model-format.md. Nothing from the file is used before it is
 * checked: the header and section table first (exact sizes, CRC32 per section), then every
 * count against the bytes that are really there (so a corrupt count cannot make us allocate
 * more than the file could describe), then gan_model_validate() for indices, shapes, op
 * contracts and region bounds. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/bytes.h"
#include "common/err.h"
#include "format/model.h"
#include "format/model_format.h"

typedef struct {
    gan_rbuf in;       /* the section's payload */
    size_t base;       /* its offset in the file, for messages */
    const char *sec;   /* section name */
} rsec;

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

static int need(lctx *c, rsec *b, uint64_t n, const char *what)
{
    size_t left = gan_rbuf_left(&b->in);
    if (n > left)
        return lfail(c, "section '%s' too short at byte %zu: %s needs %llu bytes, %zu left",
                     b->sec, b->base + b->in.pos, what, (unsigned long long)n, left);
    return 0;
}

/* Count check against the bytes left: count * rec must fit, so allocations are bounded by
 * the file size. */
static int need_count(lctx *c, rsec *b, int64_t count, uint64_t rec, const char *what)
{
    size_t left = gan_rbuf_left(&b->in);
    if (count < 0 || count > INT32_MAX)
        return lfail(c, "section '%s' at byte %zu: %s count %lld invalid", b->sec,
                     b->base + b->in.pos, what, (long long)count);
    if ((uint64_t)count > left / rec)
        return lfail(c, "section '%s' at byte %zu: %lld %s claimed, only %zu bytes left", b->sec,
                     b->base + b->in.pos, (long long)count, what, left);
    return 0;
}

static int get_name(lctx *c, const rsec *strs, uint32_t off, char out[GAN_NAME_MAX],
                    const char *what)
{
    if (off >= strs->in.len)
        return lfail(c, "%s: string offset %u outside the string table (%zu bytes)", what, off,
                     strs->in.len);
    const uint8_t *s = strs->in.data + off;
    size_t max = strs->in.len - off;
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

static int parse_hyper(lctx *c, rsec *b, const rsec *strs, gan_model *m)
{
    gan_hyper *h = &m->hyper;
    if (need(c, b, GANF_HYPER_FIXED, "hyperparameters"))
        return -1;
    h->image_c = gan_get_i32(&b->in);
    h->image_h = gan_get_i32(&b->in);
    h->image_w = gan_get_i32(&b->in);
    h->range_lo = gan_get_f32(&b->in);
    h->range_hi = gan_get_f32(&b->in);
    h->label_kind = gan_get_i32(&b->in);
    int32_t nl = gan_get_i32(&b->in);
    h->latent_size = gan_get_i32(&b->in);
    h->latent_dist = gan_get_i32(&b->in);
    h->batch = gan_get_i32(&b->in);
    h->d_steps = gan_get_i32(&b->in);
    h->epochs = gan_get_i32(&b->in);
    h->steps = (int64_t)gan_get_u64(&b->in);
    h->sample_every = gan_get_i32(&b->in);
    h->ckpt_every = gan_get_i32(&b->in);
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
        if (get_name(c, strs, gan_get_u32(&b->in), h->label_names[i], what))
            return -1;
    }
    return 0;
}

static int parse_tensors(lctx *c, rsec *b, const rsec *strs, gan_model *m)
{
    if (need(c, b, 8 + 8 * GAN_REGION_COUNT, "tensor table header"))
        return -1;
    int64_t n = gan_get_u32(&b->in);
    if (gan_get_u32(&b->in) != 0)
        return lfail(c, "section 'tensors': reserved field is not zero");
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        m->region_floats[r] = gan_get_u64(&b->in);
    if (need_count(c, b, n, GANF_TENSOR_REC, "tensors"))
        return -1;
    if (n > 0 && !(m->tensors = calloc((size_t)n, sizeof *m->tensors)))
        return lfail(c, "out of memory");
    m->n_tensors = (int32_t)n;
    for (int i = 0; i < n; i++) {
        gan_tensor *t = &m->tensors[i];
        char what[48];
        snprintf(what, sizeof what, "tensor %d", i);
        if (get_name(c, strs, gan_get_u32(&b->in), t->name, what))
            return -1;
        t->region = gan_get_u8(&b->in);
        t->ndim = gan_get_u8(&b->in);
        t->init = gan_get_u8(&b->in);
        t->flags = gan_get_u8(&b->in);
        for (int d = 0; d < GAN_MAX_DIMS; d++)
            t->shape[d] = gan_get_i32(&b->in);
        t->offset = gan_get_u64(&b->in);
        t->numel = gan_get_u64(&b->in);
        t->init_arg = gan_get_f32(&b->in);
        t->fan_in = gan_get_i32(&b->in);
        t->fan_out = gan_get_i32(&b->in);
        t->init_src = gan_get_i32(&b->in);
    }
    return 0;
}

static int parse_networks(lctx *c, rsec *b, const rsec *strs, gan_model *m)
{
    if (need(c, b, 8, "network table header"))
        return -1;
    int64_t n = gan_get_u32(&b->in);
    if (gan_get_u32(&b->in) != 0)
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
        if (get_name(c, strs, gan_get_u32(&b->in), w->name, what))
            return -1;
        w->role = gan_get_i32(&b->in);
        w->params = gan_get_i32(&b->in);
        w->grads = gan_get_i32(&b->in);
        w->ema = gan_get_i32(&b->in);
        w->ema_decay = gan_get_f32(&b->in);
        w->lr = gan_get_f32(&b->in);
        w->beta1 = gan_get_f32(&b->in);
        w->beta2 = gan_get_f32(&b->in);
        w->eps = gan_get_f32(&b->in);
    }
    return 0;
}

static int parse_programs(lctx *c, rsec *b, const rsec *strs, gan_model *m)
{
    if (need(c, b, 8, "program table header"))
        return -1;
    int64_t n = gan_get_u32(&b->in);
    if (gan_get_u32(&b->in) != 0)
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
        if (need(c, b, GANF_PROGRAM_REC, what) ||
            get_name(c, strs, gan_get_u32(&b->in), g->name, what))
            return -1;
        g->network = gan_get_i32(&b->in);
        int32_t nops = gan_get_i32(&b->in), nin = gan_get_i32(&b->in), nout = gan_get_i32(&b->in);
        g->role = (int32_t)gan_get_u32(&b->in); /* range and uniqueness: gan_model_validate */
        g->arena_floats = gan_get_u64(&b->in);
        g->naive_floats = gan_get_u64(&b->in);
        g->flops = gan_get_f64(&b->in);
        if (need_count(c, b, nin, GANF_INPUT_REC, "program inputs"))
            return -1;
        if (nin > 0 && (!(g->inputs = calloc((size_t)nin, sizeof *g->inputs)) ||
                        !(g->input_roles = calloc((size_t)nin, sizeof *g->input_roles))))
            return lfail(c, "out of memory");
        g->n_inputs = nin;
        for (int j = 0; j < nin; j++) {
            g->inputs[j] = gan_get_i32(&b->in);
            g->input_roles[j] = gan_get_i32(&b->in);
        }
        if (need_count(c, b, nout, GANF_OUTPUT_REC, "program outputs"))
            return -1;
        if (nout > 0 && !(g->outputs = calloc((size_t)nout, sizeof *g->outputs)))
            return lfail(c, "out of memory");
        g->n_outputs = nout;
        for (int j = 0; j < nout; j++)
            g->outputs[j] = gan_get_i32(&b->in);
        if (need_count(c, b, nops, GANF_OP_REC, "ops"))
            return -1;
        if (nops > 0 && !(g->ops = calloc((size_t)nops, sizeof *g->ops)))
            return lfail(c, "out of memory");
        g->n_ops = nops;
        for (int k = 0; k < nops; k++) {
            gan_op *op = &g->ops[k];
            op->type = gan_get_u16(&b->in);
            op->n_in = gan_get_u8(&b->in);
            op->n_out = gan_get_u8(&b->in);
            for (int j = 0; j < GAN_OP_MAX_IO; j++)
                op->in[j] = gan_get_i32(&b->in);
            for (int j = 0; j < GAN_OP_MAX_IO; j++)
                op->out[j] = gan_get_i32(&b->in);
            for (int j = 0; j < 8; j++)
                op->i[j] = gan_get_i32(&b->in);
            for (int j = 0; j < 8; j++)
                op->f[j] = gan_get_f32(&b->in);
            if (op->type >= GAN_OP_COUNT)
                return lfail(c, "program '%s' op %d: unknown op type %u", g->name, k, op->type);
            if (op->n_in > GAN_OP_MAX_IO || op->n_out > GAN_OP_MAX_IO)
                return lfail(c, "program '%s' op %d: %u inputs / %u outputs, at most %d",
                             g->name, k, op->n_in, op->n_out, GAN_OP_MAX_IO);
        }
    }
    return 0;
}

/* The section table after the file header: each section's header, its bytes and its CRC, in
 * order, and nothing after the last. f is positioned just after the file header. */
static int split_sections(lctx *c, gan_rbuf *f, rsec secs[GANF_N_SECTIONS + 1])
{
    for (unsigned s = 1; s <= GANF_N_SECTIONS; s++) {
        size_t pos = f->pos;
        if (gan_rbuf_left(f) < GANF_SECTION_HEADER)
            return lfail(c, "truncated at byte %zu (expected the header of section '%s')",
                         f->len, ganf_section_name(s));
        uint32_t id = gan_get_u32(f), flags = gan_get_u32(f);
        uint64_t slen = gan_get_u64(f);
        uint32_t crc = gan_get_u32(f), zero = gan_get_u32(f);
        if (id != s)
            return lfail(c, "byte %zu: section id %u, expected %u ('%s')", pos, id, s,
                         ganf_section_name(s));
        if (flags != 0 || zero != 0)
            return lfail(c, "section '%s': reserved header fields are not zero",
                         ganf_section_name(s));
        pos = f->pos;
        if (slen > gan_rbuf_left(f))
            return lfail(c, "section '%s' at byte %zu claims %llu bytes, only %zu left",
                         ganf_section_name(s), pos, (unsigned long long)slen, gan_rbuf_left(f));
        const uint8_t *payload = gan_get_bytes(f, (size_t)slen);
        uint32_t got = gan_crc32(payload, (size_t)slen);
        if (got != crc)
            return lfail(c, "section '%s' CRC mismatch (stored %08x, computed %08x)",
                         ganf_section_name(s), crc, got);
        secs[s] = (rsec){gan_rbuf_make(payload, (size_t)slen), pos, ganf_section_name(s)};
    }
    if (gan_rbuf_left(f))
        return lfail(c, "%zu bytes after the last section", gan_rbuf_left(f));
    return 0;
}

/* The first bytes are printable text with a word of the language: someone passed the .gan
 * file where its compiled model.bin belongs. */
static int looks_like_source(const uint8_t *p, size_t len)
{
    size_t n = len < 4096 ? len : 4096;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 9 || (p[i] > 13 && p[i] < 32) || p[i] == 127)
            return 0;
    static const char *const words[] = {"data", "generator", "discriminator", "classifier",
                                        "train", "latent"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t l = strlen(words[w]);
        for (size_t i = 0; i + l <= n; i++)
            if (!memcmp(p + i, words[w], l))
                return 1;
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
        else if (looks_like_source(p, len))
            lfail(c, "not a model file: this looks like a .gan source; compile it first "
                  "(ganc %s -o MODEL.bin)", c->what);
        else
            lfail(c, "not a model file (bad magic; expected \"%s\")", GAN_FORMAT_MAGIC);
        return NULL;
    }
    if (len < GANF_FILE_HEADER) {
        lfail(c, "truncated at byte %zu (expected a %u-byte header)", len, GANF_FILE_HEADER);
        return NULL;
    }
    gan_rbuf file = gan_rbuf_make(p, len);
    gan_get_bytes(&file, 8); /* the magic, checked above */
    uint32_t version = gan_get_u32(&file), nsec = gan_get_u32(&file);
    uint64_t flen = gan_get_u64(&file);
    if (version != GAN_FORMAT_VERSION) {
        lfail(c, "format version %u not supported (this ganrt reads version %d)%s", version,
              GAN_FORMAT_VERSION,
              version < GAN_FORMAT_VERSION ? ": compiled by an older ganc; compile the .gan file again"
                                           : ": written by a newer ganc");
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
    rsec secs[GANF_N_SECTIONS + 1];
    if (split_sections(c, &file, secs))
        return NULL;
    gan_model *m = calloc(1, sizeof *m);
    if (!m) {
        lfail(c, "out of memory");
        return NULL;
    }
    const rsec *strs = &secs[GANF_SEC_STRINGS];
    int rc = parse_hyper(c, &secs[GANF_SEC_HYPER], strs, m);
    if (!rc)
        rc = parse_tensors(c, &secs[GANF_SEC_TENSORS], strs, m);
    if (!rc)
        rc = parse_networks(c, &secs[GANF_SEC_NETWORKS], strs, m);
    if (!rc)
        rc = parse_programs(c, &secs[GANF_SEC_PROGRAMS], strs, m);
    for (unsigned s = GANF_SEC_HYPER; s <= GANF_N_SECTIONS && !rc; s++)
        if (gan_rbuf_left(&secs[s].in))
            rc = lfail(c, "section '%s': %zu unexpected bytes at byte %zu", secs[s].sec,
                       gan_rbuf_left(&secs[s].in), secs[s].base + secs[s].in.pos);
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
    uint8_t *buf;
    size_t len;
    int rc = gan_read_file(path, &buf, &len, GAN_MODEL_MAX_FILE, err, errlen);
    if (rc == GAN_READ_ETOOBIG)
        gan_errf(err, errlen, "%s: %zu bytes is too large for a model file", path, len);
    if (rc)
        return NULL;
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
