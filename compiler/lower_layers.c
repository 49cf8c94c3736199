/* The lowerings of the layer table (compiler/layers.h): each emits one node's forward ops into
 * its program, reading the node's input tensors and writing its output tensor ln->y; helper
 * tensors (workspaces, saved statistics) are named after y. Returns the last op's index or -1. */
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

/* The weight a layer multiplies with: the parameter, or its spectral normalisation, computed
 * once per program before its first use. */
static int weight(prog_ctx *P, int n, int k)
{
    lower_ctx *L = P->L;
    int w = L->nets[n].w[k];
    if (L->nets[n].u[k] < 0)
        return w;
    if (P->wsn[n][k] >= 0)
        return P->wsn[n][k];
    char nm[GAN_NAME_MAX];
    const md_network *net = &L->md->networks[n];
    gb_name(nm, "%s.%s.%s.w_sn", P->pname, net->name, net->nodes[k].name);
    int wsn = gb_tensor_like(&L->g, nm, w);
    gan_tensor wt = L->g.m->tensors[w];
    int K = (int)(wt.numel / (uint64_t)wt.shape[0]);
    gb_name(nm, "%s.%s.%s.sn_v", P->pname, net->name, net->nodes[k].name);
    int v = lw_arena(P, nm, 1, (int[]){K});
    gb_name(nm, "%s.%s.%s.sn_sigma", P->pname, net->name, net->nodes[k].name);
    int s = lw_arena(P, nm, 1, (int[]){1});
    int o = lw_op(P, GAN_OP_SPECTRAL_NORM, 2, (int[]){w, L->nets[n].u[k]}, 3, (int[]){wsn, v, s});
    if (o < 0 || L->g.failed)
        return -1;
    P->ops.ops[o].i[0] = P->train;
    P->ops.ops[o].f[0] = 1e-12f;
    P->wsn[n][k] = wsn;
    return wsn;
}

int lower_dense(lw_node *ln)
{
    prog_ctx *P = ln->P;
    int w = weight(P, ln->n, ln->k);
    if (w < 0)
        return -1;
    return lw_op(P, GAN_OP_DENSE, 3, (int[]){ln->in[0], w, P->L->nets[ln->n].b[ln->k]}, 1, (int[]){ln->y});
}

/* conv and conv_t; the workspace holds the unfolded input (conv) or output (conv_t) columns. */
int lower_conv(lw_node *ln)
{
    prog_ctx *P = ln->P;
    const md_node *nd = ln->nd;
    int w = weight(P, ln->n, ln->k);
    if (w < 0)
        return -1;
    const md_node *x = &ln->net->nodes[nd->in[0]];
    long ws = nd->kind == MD_CONV
                  ? (long)x->shape[0] * nd->kh * nd->kw * nd->shape[1] * nd->shape[2]
                  : (long)nd->shape[0] * nd->kh * nd->kw * x->shape[1] * x->shape[2];
    if (ws > 0x7fffffffL)
        return gb_fail(&P->L->g, "%s.%s: workspace too large", ln->net->name, nd->name);
    char wn[GAN_NAME_MAX];
    gb_suffix(wn, ln->name, ".ws");
    int wst = lw_arena(P, wn, 1, (int[]){(int)ws});
    if (wst < 0)
        return -1;
    int o = lw_op(P, nd->kind == MD_CONV ? GAN_OP_CONV2D : GAN_OP_CONV2D_T, 3,
                  (int[]){ln->in[0], w, P->L->nets[ln->n].b[ln->k]}, 2, (int[]){ln->y, wst});
    if (o >= 0) {
        P->ops.ops[o].i[1] = nd->stride;
        P->ops.ops[o].i[2] = nd->pad_t;
        P->ops.ops[o].i[3] = nd->pad_l;
    }
    return o;
}

int lower_upsample(lw_node *ln)
{
    int o = lw_op(ln->P, GAN_OP_UPSAMPLE, 1, ln->in, 1, (int[]){ln->y});
    if (o >= 0)
        ln->P->ops.ops[o].i[1] = ln->nd->factor;
    return o;
}

/* Training programs normalise with the batch's statistics (saved for the backward) and update
 * the running ones; inference programs use the running ones. */
int lower_batchnorm(lw_node *ln)
{
    prog_ctx *P = ln->P;
    const md_node *nd = ln->nd;
    const net_info *ni = &P->L->nets[ln->n];
    int k = ln->k, y = ln->y, o;
    float eps = nd->eps > 0 ? nd->eps : 1e-3f;
    int bn_in[5] = {ln->in[0], ni->gamma[k], ni->beta[k], ni->rmean[k], ni->rvar[k]};
    if (P->train) {
        int C = nd->shape[0];
        char a[GAN_NAME_MAX], b[GAN_NAME_MAX];
        gb_suffix(a, ln->name, ".mean");
        gb_suffix(b, ln->name, ".invstd");
        int sm = lw_arena(P, a, 1, (int[]){C});
        int si = lw_arena(P, b, 1, (int[]){C});
        if (sm < 0 || si < 0)
            return -1;
        o = lw_op(P, GAN_OP_BN_TRAIN, 5, bn_in, 3, (int[]){y, sm, si});
    } else {
        o = lw_op(P, GAN_OP_BN_INFER, 5, bn_in, 1, (int[]){y});
    }
    if (o >= 0) {
        P->ops.ops[o].f[1] = nd->momentum;
        P->ops.ops[o].f[2] = eps;
    }
    return o;
}

int lower_act(lw_node *ln)
{
    prog_ctx *P = ln->P;
    const md_node *nd = ln->nd;
    if (nd->act < GAN_ACT_NONE || nd->act >= GAN_ACT_COUNT)
        return gb_fail(&P->L->g, "%s.%s (line %d): unknown activation %d", ln->net->name, nd->name,
                       nd->line, nd->act);
    if (nd->act == GAN_ACT_NONE) /* "linear": an identity, kept as a copy */
        return lower_copy(ln);
    int o = lw_op(P, GAN_OP_ACT, 1, ln->in, 1, (int[]){ln->y});
    if (o >= 0) {
        P->ops.ops[o].i[0] = nd->act;
        P->ops.ops[o].f[0] = nd->alpha;
    }
    return o;
}

int lower_concat(lw_node *ln)
{
    int o = lw_op(ln->P, GAN_OP_CONCAT, ln->nd->n_in, ln->in, 1, (int[]){ln->y});
    if (o >= 0)
        ln->P->ops.ops[o].i[7] = ln->nd->n_in;
    return o;
}

/* One input, one output, no attributes: the op alone says what it does. */
static int lower_plain(lw_node *ln, int type)
{
    return lw_op(ln->P, type, 1, ln->in, 1, (int[]){ln->y});
}

int lower_tile(lw_node *ln)
{
    return lower_plain(ln, GAN_OP_TILE);
}

/* reshape and flatten: the values do not move, only the shape changes */
int lower_copy(lw_node *ln)
{
    return lower_plain(ln, GAN_OP_COPY);
}

int lower_gap(lw_node *ln)
{
    return lower_plain(ln, GAN_OP_GAP);
}

int lower_add(lw_node *ln)
{
    return lw_op(ln->P, GAN_OP_ADD, 2, ln->in, 1, (int[]){ln->y});
}

/* sum_f (W y)_f h_f = rowdot(h, dense(y; W)) */
int lower_project(lw_node *ln)
{
    prog_ctx *P = ln->P;
    gb_ctx *g = &P->L->g;
    int w = weight(P, ln->n, ln->k);
    if (w < 0)
        return -1;
    char wn[GAN_NAME_MAX];
    gb_suffix(wn, ln->name, ".Wy");
    int wy = lw_arena(P, wn, 2, (int[]){P->L->batch, (int)gb_per_sample(g->m, ln->in[0])});
    if (wy < 0 || lw_op(P, GAN_OP_DENSE, 3, (int[]){ln->in[1], w, -1}, 1, (int[]){wy}) < 0)
        return -1;
    return lw_op(P, GAN_OP_ROWDOT, 2, (int[]){ln->in[0], wy}, 1, (int[]){ln->y});
}
