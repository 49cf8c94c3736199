/* Reverse-mode automatic differentiation over a program's forward op list.
 *
 * 1. Forward sweep: a tensor "requires grad" when it is a trained parameter or an output of
 *    an op with a differentiable input that requires grad. Nothing else gets a gradient: not
 *    the real images, not labels, not a frozen network's parameters.
 * 2. Reverse sweep: each loss op seeds its input's gradient with its weight (f[0]); every
 *    other op whose output received a gradient emits its *_BWD op, which ADDS into the
 *    gradients of its inputs that require grad (-1 elsewhere). The first accumulation into
 *    an activation gradient is preceded by a ZERO of it, so fan-out (one body, several
 *    heads; one tensor used twice) sums naturally. Parameter gradients live in the GRAD
 *    region and were zeroed once at program start by the caller.
 * Spectral norm falls out of the order: the SPECTRAL_NORM op precedes all uses of w_sn, so its
 * backward runs after every use has accumulated into dw_sn.
 */
#include "compiler/graph_build.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    gb_ctx *g;
    gb_oplist *l;
    int *grad; /* forward tensor -> its gradient tensor, -1 */
} ad_ctx;

/* Gradient buffer of forward tensor t, created (and zeroed) on first use. */
static int ad_acc(ad_ctx *a, int t)
{
    if (a->grad[t] >= 0)
        return a->grad[t];
    char nb[GAN_NAME_MAX];
    gb_suffix(nb, a->g->m->tensors[t].name, ".grad");
    int gt = gb_tensor_like(a->g, nb, t);
    if (gt < 0)
        return -1;
    if (gb_op(a->g, a->l, GAN_OP_ZERO, 0, NULL, 1, (int[]){gt}) < 0)
        return -1;
    a->grad[t] = gt;
    return gt;
}

/* The backward's tensor for one character of the op table's BWD_IN column (op_list.h). */
static int bwd_input(const gan_op *f, char c, int dy)
{
    switch (c) {
    case 'd': return dy;
    case 'y': return f->out[0];
    case 'Y': return f->i[0] != GAN_ACT_NONE ? f->out[0] : -1;
    case 'a': return f->out[1];
    case 'b': return f->out[2];
    default: return c >= '0' && c <= '7' && c - '0' < f->n_in ? f->in[c - '0'] : -1;
    }
}

/* Emits the backward of forward op f (a copy: the list moves while we append), as its row of
 * the op table says: which op, which inputs, which gradients. */
static int ad_op(ad_ctx *a, const gan_op f, const char *req)
{
    gb_ctx *g = a->g;
    const gan_op_info *info = gan_op_info_of(f.type);
    if (!info || info->kind == GAN_OPK_BOOK)
        return 0;
    int dy = -1;
    if (info->kind == GAN_OPK_LOSS) {
        if (!req[f.in[0]])
            return 0; /* a loss of something nothing trainable reaches */
    } else if ((dy = a->grad[f.out[0]]) < 0) {
        return 0; /* no gradient reaches this op's output */
    }
    if (info->bwd == GAN_OP_NONE)
        return gb_fail(g, "autodiff: no gradient rule for op %s", gan_op_name(f.type));
    int ins[GAN_OP_MAX_IO], outs[GAN_OP_MAX_IO], n_in = 0, n_out = 0;
    for (const char *c = info->bwd_in; *c; c++)
        ins[n_in++] = bwd_input(&f, *c, dy);
    /* gradients in slot order: each first use creates (and zeroes) its buffer */
    for (const char *c = info->bwd_out; *c; c++) {
        if (*c == '*') {
            for (int k = 0; k < f.n_in; k++)
                outs[n_out++] = f.in[k] >= 0 && req[f.in[k]] ? ad_acc(a, f.in[k]) : -1;
        } else if (*c == 'w') { /* a workspace of the forward's size, if it had one */
            int ws = -1;
            if (f.out[1] >= 0) {
                char nb[GAN_NAME_MAX];
                gb_suffix(nb, g->m->tensors[f.out[0]].name, ".ws_bwd");
                if ((ws = gb_tensor_like(g, nb, f.out[1])) < 0)
                    return -1;
            }
            outs[n_out++] = ws;
        } else {
            int t = f.in[*c - '0'];
            outs[n_out++] = t >= 0 && req[t] ? ad_acc(a, t) : -1;
        }
        if (g->failed)
            return -1;
    }
    int o = gb_op(g, a->l, info->bwd, n_in, ins, n_out, outs);
    if (o < 0 || g->failed)
        return -1;
    memcpy(a->l->ops[o].i, f.i, sizeof f.i);
    memcpy(a->l->ops[o].f, f.f, sizeof f.f);
    if (info->flags & GAN_OPF_VARIADIC)
        a->l->ops[o].i[7] = f.n_in; /* the part count, for concat's backward */
    return 0;
}

int gan_autodiff(gb_ctx *g, gb_oplist *l, int n_fwd, const int *param_grad, int n_param_grad)
{
    int nt = g->m->n_tensors;
    char *req = calloc((size_t)nt, 1);
    int *grad = malloc((size_t)nt * sizeof *grad);
    if (!req || !grad) {
        free(req);
        free(grad);
        return gb_fail(g, "out of memory (autodiff)");
    }
    for (int t = 0; t < nt; t++)
        grad[t] = -1;
    for (int t = 0; t < n_param_grad && t < nt; t++)
        if (param_grad[t] >= 0) {
            req[t] = 1;
            grad[t] = param_grad[t];
        }
    for (int j = 0; j < n_fwd; j++) {
        const gan_op *f = &l->ops[j];
        int kind = gan_op_kind_of(f->type);
        if (kind == GAN_OPK_LOSS || kind == GAN_OPK_BOOK)
            continue;
        for (int k = 0; k < f->n_in; k++)
            if (f->in[k] >= 0 && req[f->in[k]] && gan_op_differentiable(f->type, k))
                req[f->out[0]] = 1;
    }
    ad_ctx a = {g, l, grad};
    int rc = 0;
    for (int j = n_fwd - 1; j >= 0 && rc == 0; j--) {
        rc = ad_op(&a, l->ops[j], req);
    }
    free(req);
    free(grad);
    return rc;
}
