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

static int is_loss(int type)
{
    return type >= GAN_OP_LOSS_HINGE_REAL && type <= GAN_OP_LOSS_SOFTMAX_CE;
}

static int loss_bwd(int type)
{
    switch (type) {
    case GAN_OP_LOSS_HINGE_REAL: return GAN_OP_LOSS_HINGE_REAL_BWD;
    case GAN_OP_LOSS_HINGE_FAKE: return GAN_OP_LOSS_HINGE_FAKE_BWD;
    case GAN_OP_LOSS_MEAN: return GAN_OP_LOSS_MEAN_BWD;
    case GAN_OP_LOSS_BCE_LOGITS: return GAN_OP_LOSS_BCE_LOGITS_BWD;
    case GAN_OP_LOSS_BCE: return GAN_OP_LOSS_BCE_BWD;
    default: return GAN_OP_LOSS_SOFTMAX_CE_BWD;
    }
}

/* Emits the backward of forward op f (a copy: the list moves while we append). */
static int ad_op(ad_ctx *a, const gan_op f, const char *req)
{
    gb_ctx *g = a->g;
    gb_oplist *l = a->l;
    int x = f.in[0];
#define G(t) ((t) >= 0 && req[(t)] ? ad_acc(a, (t)) : -1)
    if (is_loss(f.type)) {
        if (!req[x])
            return 0;
        int dx = ad_acc(a, x);
        if (dx < 0)
            return -1;
        int o = gb_op(g, l, loss_bwd(f.type), 2, (int[]){x, f.in[1]}, 1, (int[]){dx});
        if (o < 0)
            return -1;
        memcpy(l->ops[o].f, f.f, sizeof f.f);
        memcpy(l->ops[o].i, f.i, sizeof f.i);
        return 0;
    }
    int y = f.out[0];
    int dy = a->grad[y];
    if (dy < 0)
        return 0; /* no gradient reaches this op's output */
    int o;
    switch (f.type) {
    case GAN_OP_ZERO:
    case GAN_OP_LOSS_SUM:
        return 0;
    case GAN_OP_COPY:
        o = gb_op(g, l, GAN_OP_COPY_BWD, 1, (int[]){dy}, 1, (int[]){G(x)});
        break;
    case GAN_OP_DENSE: {
        int dx = G(x), dw = G(f.in[1]), db = G(f.in[2]);
        int yin = f.i[0] != GAN_ACT_NONE ? y : -1;
        o = gb_op(g, l, GAN_OP_DENSE_BWD, 4, (int[]){x, f.in[1], yin, dy}, 3,
                  (int[]){dx, dw, db});
        break;
    }
    case GAN_OP_CONV2D:
    case GAN_OP_CONV2D_T: {
        int dx = G(x), dw = G(f.in[1]), db = G(f.in[2]);
        int yin = f.i[0] != GAN_ACT_NONE ? y : -1;
        int ws = -1;
        if (f.out[1] >= 0) {
            char nb[GAN_NAME_MAX];
            gb_suffix(nb, g->m->tensors[y].name, ".ws_bwd");
            ws = gb_tensor_like(g, nb, f.out[1]); /* same size as the forward's workspace */
            if (ws < 0)
                return -1;
        }
        o = gb_op(g, l, f.type == GAN_OP_CONV2D ? GAN_OP_CONV2D_BWD : GAN_OP_CONV2D_T_BWD, 4,
                  (int[]){x, f.in[1], yin, dy}, 4, (int[]){dx, dw, db, ws});
        break;
    }
    case GAN_OP_UPSAMPLE:
        o = gb_op(g, l, GAN_OP_UPSAMPLE_BWD, 1, (int[]){dy}, 1, (int[]){G(x)});
        break;
    case GAN_OP_BN_TRAIN: {
        int dx = G(x), dgam = G(f.in[1]), dbet = G(f.in[2]);
        int yin = f.i[0] != GAN_ACT_NONE ? y : -1;
        o = gb_op(g, l, GAN_OP_BN_TRAIN_BWD, 6, (int[]){x, f.in[1], yin, dy, f.out[1], f.out[2]},
                  3, (int[]){dx, dgam, dbet});
        break;
    }
    case GAN_OP_ACT:
        o = gb_op(g, l, GAN_OP_ACT_BWD, 2, (int[]){y, dy}, 1, (int[]){G(x)});
        break;
    case GAN_OP_CONCAT: {
        int outs[GAN_OP_MAX_IO];
        for (int k = 0; k < f.n_in; k++)
            outs[k] = G(f.in[k]);
        o = gb_op(g, l, GAN_OP_CONCAT_BWD, 1, (int[]){dy}, f.n_in, outs);
        if (o >= 0)
            l->ops[o].i[7] = f.n_in;
        break;
    }
    case GAN_OP_TILE:
        o = gb_op(g, l, GAN_OP_TILE_BWD, 1, (int[]){dy}, 1, (int[]){G(x)});
        break;
    case GAN_OP_GAP:
        o = gb_op(g, l, GAN_OP_GAP_BWD, 1, (int[]){dy}, 1, (int[]){G(x)});
        break;
    case GAN_OP_ADD: {
        int da = G(f.in[0]), db = G(f.in[1]);
        o = gb_op(g, l, GAN_OP_ADD_BWD, 1, (int[]){dy}, 2, (int[]){da, db});
        break;
    }
    case GAN_OP_MUL: {
        int da = G(f.in[0]), db = G(f.in[1]);
        o = gb_op(g, l, GAN_OP_MUL_BWD, 3, (int[]){f.in[0], f.in[1], dy}, 2, (int[]){da, db});
        break;
    }
    case GAN_OP_ROWDOT: {
        int da = G(f.in[0]), db = G(f.in[1]);
        o = gb_op(g, l, GAN_OP_ROWDOT_BWD, 3, (int[]){f.in[0], f.in[1], dy}, 2, (int[]){da, db});
        break;
    }
    case GAN_OP_SPECTRAL_NORM: {
        int dw = G(x);
        o = gb_op(g, l, GAN_OP_SPECTRAL_NORM_BWD, 5, (int[]){x, f.in[1], f.out[1], f.out[2], dy},
                  1, (int[]){dw});
        break;
    }
    default:
        return gb_fail(g, "autodiff: no gradient rule for op %s", gan_op_name(f.type));
    }
#undef G
    if (o < 0 || g->failed)
        return -1;
    if (f.type != GAN_OP_CONCAT) { /* concat's i[7] is already set */
        memcpy(l->ops[o].i, f.i, sizeof f.i);
        memcpy(l->ops[o].f, f.f, sizeof f.f);
    }
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
        if (is_loss(f->type) || f->type == GAN_OP_LOSS_SUM || f->type == GAN_OP_ZERO)
            continue;
        for (int k = 0; k < f->n_in; k++)
            if (f->in[k] >= 0 && req[f->in[k]] && gb_input_differentiable(f->type, k)) {
                if (f->type == GAN_OP_BN_INFER)
                    break; /* inference ops never see gradients */
                req[f->out[0]] = 1;
            }
    }
    ad_ctx a = {g, l, grad};
    int rc = 0;
    for (int j = n_fwd - 1; j >= 0 && rc == 0; j--) {
        gan_op f = l->ops[j];
        if (f.type == GAN_OP_BN_INFER && f.out[0] >= 0 && grad[f.out[0]] >= 0)
            rc = gb_fail(g, "autodiff: bn_infer in a training program");
        else
            rc = ad_op(&a, f, req);
    }
    free(req);
    free(grad);
    return rc;
}
