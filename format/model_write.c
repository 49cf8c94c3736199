/* model.bin writer: see docs/model-format.md. All integers little-endian, fixed width; floats
 * as their IEEE-754 bit patterns (common/bytes.h). Every section is checksummed with zlib's
 * crc32. */
#include <stdlib.h>
#include <string.h>
#include "common/bytes.h"
#include "common/err.h"
#include "format/model.h"
#include "format/model_format.h"

/* String table: names appended NUL-terminated; records store the byte offset. */
static uint32_t put_string(gan_wbuf *strs, const char *s)
{
    return (uint32_t)gan_put_str(strs, s, GAN_NAME_MAX - 1);
}

static void put_section(gan_wbuf *out, unsigned id, const gan_wbuf *payload)
{
    gan_put_u32(out, id);
    gan_put_u32(out, 0);
    gan_put_u64(out, payload->len);
    gan_put_u32(out, gan_crc32(payload->data, payload->len));
    gan_put_u32(out, 0);
    gan_put_bytes(out, payload->data, payload->len);
}

int gan_model_write_mem(const gan_model *m, void **bufp, size_t *lenp)
{
    gan_wbuf sec[GANF_N_SECTIONS + 1];
    memset(sec, 0, sizeof sec);
    gan_wbuf *strs = &sec[GANF_SEC_STRINGS], *hy = &sec[GANF_SEC_HYPER],
             *ts = &sec[GANF_SEC_TENSORS], *nw = &sec[GANF_SEC_NETWORKS],
             *pg = &sec[GANF_SEC_PROGRAMS];
    const gan_hyper *h = &m->hyper;
    *bufp = NULL;
    *lenp = 0;

    gan_put_i32(hy, h->image_c);
    gan_put_i32(hy, h->image_h);
    gan_put_i32(hy, h->image_w);
    gan_put_f32(hy, h->range_lo);
    gan_put_f32(hy, h->range_hi);
    gan_put_i32(hy, h->label_kind);
    gan_put_i32(hy, h->n_labels);
    gan_put_i32(hy, h->latent_size);
    gan_put_i32(hy, h->latent_dist);
    gan_put_i32(hy, h->batch);
    gan_put_i32(hy, h->d_steps);
    gan_put_i32(hy, h->epochs);
    gan_put_u64(hy, (uint64_t)h->steps);
    gan_put_i32(hy, h->sample_every);
    gan_put_i32(hy, h->ckpt_every);
    for (int i = 0; i < h->n_labels; i++)
        gan_put_u32(hy, put_string(strs, h->label_names[i]));

    gan_put_u32(ts, (uint32_t)m->n_tensors);
    gan_put_u32(ts, 0);
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        gan_put_u64(ts, m->region_floats[r]);
    for (int i = 0; i < m->n_tensors; i++) {
        const gan_tensor *t = &m->tensors[i];
        gan_put_u32(ts, put_string(strs, t->name));
        gan_put_u8(ts, t->region);
        gan_put_u8(ts, t->ndim);
        gan_put_u8(ts, t->init);
        gan_put_u8(ts, t->flags);
        for (int d = 0; d < GAN_MAX_DIMS; d++)
            gan_put_i32(ts, t->shape[d]);
        gan_put_u64(ts, t->offset);
        gan_put_u64(ts, t->numel);
        gan_put_f32(ts, t->init_arg);
        gan_put_i32(ts, t->fan_in);
        gan_put_i32(ts, t->fan_out);
        gan_put_i32(ts, t->init_src);
    }

    gan_put_u32(nw, (uint32_t)m->n_networks);
    gan_put_u32(nw, 0);
    for (int i = 0; i < m->n_networks; i++) {
        const gan_network *n = &m->networks[i];
        gan_put_u32(nw, put_string(strs, n->name));
        gan_put_i32(nw, n->role);
        gan_put_i32(nw, n->params);
        gan_put_i32(nw, n->grads);
        gan_put_i32(nw, n->ema);
        gan_put_f32(nw, n->ema_decay);
        gan_put_f32(nw, n->lr);
        gan_put_f32(nw, n->beta1);
        gan_put_f32(nw, n->beta2);
        gan_put_f32(nw, n->eps);
    }

    gan_put_u32(pg, (uint32_t)m->n_programs);
    gan_put_u32(pg, 0);
    for (int p = 0; p < m->n_programs; p++) {
        const gan_program *g = &m->programs[p];
        gan_put_u32(pg, put_string(strs, g->name));
        gan_put_i32(pg, g->network);
        gan_put_i32(pg, g->n_ops);
        gan_put_i32(pg, g->n_inputs);
        gan_put_i32(pg, g->n_outputs);
        gan_put_u32(pg, (uint32_t)g->role);
        gan_put_u64(pg, g->arena_floats);
        gan_put_u64(pg, g->naive_floats);
        gan_put_f64(pg, g->flops);
        for (int j = 0; j < g->n_inputs; j++) {
            gan_put_i32(pg, g->inputs[j]);
            gan_put_i32(pg, g->input_roles[j]);
        }
        for (int j = 0; j < g->n_outputs; j++)
            gan_put_i32(pg, g->outputs[j]);
        for (int k = 0; k < g->n_ops; k++) {
            const gan_op *op = &g->ops[k];
            gan_put_u16(pg, op->type);
            gan_put_u8(pg, op->n_in);
            gan_put_u8(pg, op->n_out);
            for (int j = 0; j < GAN_OP_MAX_IO; j++)
                gan_put_i32(pg, op->in[j]);
            for (int j = 0; j < GAN_OP_MAX_IO; j++)
                gan_put_i32(pg, op->out[j]);
            for (int j = 0; j < 8; j++)
                gan_put_i32(pg, op->i[j]);
            for (int j = 0; j < 8; j++)
                gan_put_f32(pg, op->f[j]);
        }
    }

    gan_wbuf out = {0};
    int oom = 0;
    uint64_t total = GANF_FILE_HEADER;
    for (int s = 1; s <= GANF_N_SECTIONS; s++) {
        oom |= sec[s].failed;
        total += GANF_SECTION_HEADER + (uint64_t)sec[s].len;
    }
    if (!oom) {
        gan_wbuf_reserve(&out, (size_t)total);
        gan_put_bytes(&out, GAN_FORMAT_MAGIC, 8);
        gan_put_u32(&out, GAN_FORMAT_VERSION);
        gan_put_u32(&out, GANF_N_SECTIONS);
        gan_put_u64(&out, total);
        for (int s = 1; s <= GANF_N_SECTIONS; s++)
            put_section(&out, (unsigned)s, &sec[s]);
        oom = out.failed;
    }
    for (int s = 1; s <= GANF_N_SECTIONS; s++)
        gan_wbuf_free(&sec[s]);
    if (oom) {
        gan_wbuf_free(&out);
        return -1;
    }
    *bufp = out.data;
    *lenp = out.len;
    return 0;
}

int gan_model_write(const gan_model *m, const char *path, char *err, size_t errlen)
{
    void *buf;
    size_t len;
    if (gan_model_write_mem(m, &buf, &len))
        return gan_errf(err, errlen, "%s: out of memory while serializing", path);
    int rc = gan_write_file_atomic(path, buf, len, err, errlen);
    free(buf);
    return rc;
}
