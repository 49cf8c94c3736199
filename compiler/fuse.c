/* Fusion on a program's forward op list, before autodiff (so the backward sees the fused ops
 * and gets the epilogue's derivative from the saved output y):
 *   1. ACT(sigmoid) -> LOSS_BCE       => LOSS_BCE_LOGITS on the logits (stable, one op)
 *   2. an op with an activation epilogue (GAN_OPF_EPILOGUE in op_list.h: dense, conv2d,
 *      conv2d_t, bn_train, bn_infer), act none -> ACT
 *                                      => the activation moves into the producer's i0/f0
 *   0. UPSAMPLE(2) -> CONV2D(3x3, stride 1, padding 1) => UPCONV2D on the un-upsampled input
 *      (2.25x fewer multiply-adds, and neither the upsampled tensor nor its gradient is
 *      stored: format/ops_upconv.c); its workspace shrinks to the new op's rule
 * A fusion applies only when the intermediate tensor has no other reader and is not read
 * after the program (an output). The optimizer fusion (one ADAM over a network's flat
 * buffer) is decided where the optimizer is emitted (lower.c).
 */
#include "compiler/graph_build.h"

#include <stdlib.h>

#include "format/model_opinfo.h"

static int can_take_act(int type) { return (gan_op_flags(type) & GAN_OPF_EPILOGUE) != 0; }

#define GONE 0xFFFFu

static void fuse_upconv(gan_model *m, gb_oplist *l, int j, const int *producer, const int *uses)
{
    gan_op *o = &l->ops[j];
    if (o->type != GAN_OP_CONV2D || o->i[1] != 1 || o->i[2] != 1 || o->i[3] != 1)
        return;
    int u = o->in[0], pj = producer[u];
    if (pj < 0 || uses[u] != 1)
        return;
    gan_op *up = &l->ops[pj];
    const gan_tensor *w = &m->tensors[o->in[1]], *tu = &m->tensors[u];
    const gan_tensor *ty = &m->tensors[o->out[0]];
    if (up->type != GAN_OP_UPSAMPLE || up->i[1] != 2 || w->ndim != 4 || w->shape[2] != 3 ||
        w->shape[3] != 3 || tu->ndim != 4 || ty->ndim != 4 || ty->shape[2] != tu->shape[2] ||
        ty->shape[3] != tu->shape[3])
        return;
    const gan_tensor *x = &m->tensors[up->in[0]];
    /* the workspace is one image's, as the conv's was, and (4C + OC)HW is below the conv's
     * 36CHW unless OC > 32C: such a layer stays unfused rather than grow it */
    uint64_t need = gan_upconv_ws_floats(x->shape[1], ty->shape[1], x->shape[2], x->shape[3]);
    gan_tensor *ws = o->n_out > 1 && o->out[1] >= 0 ? &m->tensors[o->out[1]] : NULL;
    if (ws && (ws->ndim != 1 || need > ws->numel))
        return;
    o->type = GAN_OP_UPCONV2D;
    o->in[0] = up->in[0];
    o->i[1] = o->i[2] = o->i[3] = 0;
    up->type = GONE;
    if (ws) {
        ws->shape[0] = (int)need;
        ws->numel = need;
    }
}

int gan_fuse_forward(gb_ctx *g, gb_oplist *l, const int *keep, int n_keep)
{
    int nt = g->m->n_tensors;
    int *uses = calloc((size_t)nt, sizeof *uses);
    int *producer = malloc((size_t)nt * sizeof *producer);
    if (!uses || !producer) {
        free(uses);
        free(producer);
        return gb_fail(g, "out of memory (fusion)");
    }
    for (int t = 0; t < nt; t++)
        producer[t] = -1;
    for (int k = 0; k < n_keep; k++)
        if (keep[k] >= 0)
            uses[keep[k]]++;
    for (int j = 0; j < l->n; j++) {
        const gan_op *o = &l->ops[j];
        for (int k = 0; k < o->n_in; k++)
            if (o->in[k] >= 0)
                uses[o->in[k]]++;
        for (int k = 0; k < o->n_out; k++)
            if (o->out[k] >= 0 && producer[o->out[k]] < 0)
                producer[o->out[k]] = j;
    }
    /* 0. upsample + 3x3 conv -> upconv2d (before 2, which may then give it an epilogue) */
    for (int j = 0; j < l->n; j++)
        fuse_upconv(g->m, l, j, producer, uses);
    /* 1. sigmoid + BCE -> BCE with logits */
    for (int j = 0; j < l->n; j++) {
        gan_op *o = &l->ops[j];
        if (o->type != GAN_OP_LOSS_BCE)
            continue;
        int p = o->in[0];
        int pj = producer[p];
        if (pj < 0 || uses[p] != 1)
            continue;
        gan_op *s = &l->ops[pj];
        if (s->type != GAN_OP_ACT || s->i[0] != GAN_ACT_SIGMOID)
            continue;
        o->type = GAN_OP_LOSS_BCE_LOGITS;
        o->in[0] = s->in[0];
        s->type = GONE;
    }
    /* 2. activation epilogues */
    for (int j = 0; j < l->n; j++) {
        gan_op *a = &l->ops[j];
        if (a->type != GAN_OP_ACT)
            continue;
        int x = a->in[0];
        int pj = producer[x];
        if (pj < 0 || uses[x] != 1)
            continue;
        gan_op *p = &l->ops[pj];
        if (!can_take_act(p->type) || p->i[0] != GAN_ACT_NONE || p->out[0] != x)
            continue;
        p->i[0] = a->i[0];
        p->f[0] = a->f[0];
        p->out[0] = a->out[0];
        producer[a->out[0]] = pj;
        a->type = GONE;
    }
    int n = 0;
    for (int j = 0; j < l->n; j++)
        if (l->ops[j].type != GONE)
            l->ops[n++] = l->ops[j];
    l->n = n;
    free(uses);
    free(producer);
    return 0;
}
