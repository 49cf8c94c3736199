/* What the lowerings of the layer kinds (compiler/layer_*.c) share. A lowering emits one
 * node's forward ops into its program, reading the node's input tensors and writing its output
 * tensor ln->y; helper tensors (workspaces, saved statistics) are named after y. */
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

int lw_weight(prog_ctx *P, int n, int k)
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

int lw_plain(lw_node *ln, int type)
{
    return lw_op(ln->P, type, 1, ln->in, 1, (int[]){ln->y});
}
