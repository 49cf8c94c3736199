/* The md_model is checked before anything is built from it: indices, arities, ranks, size
 * caps, and every node's output shape against its input shape and options, so that lowering
 * can trust what it indexes and multiplies. */
#include "compiler/lower_internal.h"

#include <string.h>

/* Ranks are 1 or 3 here (checked before the shapes are). */
static int same_shape(const md_node *a, const md_node *b)
{
    return a->ndim == b->ndim && !memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof a->shape[0]);
}

/* The per-sample output shape the front end computed must be what the op will produce: the
 * back end trusts these shapes for every tensor it creates. */
static int check_node_shape(lower_ctx *L, const md_network *net, int k)
{
    const md_node *nd = &net->nodes[k];
    const md_node *x = nd->n_in > 0 ? &net->nodes[nd->in[0]] : NULL;
    int ok = 1;
    long eh = 0, ew = 0;
    switch (nd->kind) {
    case MD_CONV:
        eh = ((long)x->shape[1] + nd->pad_t + nd->pad_b - nd->kh) / nd->stride + 1;
        ew = ((long)x->shape[2] + nd->pad_l + nd->pad_r - nd->kw) / nd->stride + 1;
        ok = nd->pad_t >= 0 && nd->pad_l >= 0 && nd->pad_b >= 0 && nd->pad_r >= 0 &&
             (long)x->shape[1] + nd->pad_t + nd->pad_b >= nd->kh &&
             (long)x->shape[2] + nd->pad_l + nd->pad_r >= nd->kw && nd->shape[1] == eh &&
             nd->shape[2] == ew && nd->shape[0] == nd->units;
        break;
    case MD_CONV_T:
        eh = ((long)x->shape[1] - 1) * nd->stride + nd->kh - nd->pad_t - nd->pad_b;
        ew = ((long)x->shape[2] - 1) * nd->stride + nd->kw - nd->pad_l - nd->pad_r;
        ok = nd->pad_t >= 0 && nd->pad_l >= 0 && nd->pad_b >= 0 && nd->pad_r >= 0 &&
             nd->shape[1] == eh && nd->shape[2] == ew && nd->shape[0] == nd->units;
        break;
    case MD_UPSAMPLE:
        ok = x->ndim == 3 && nd->shape[0] == x->shape[0] &&
             nd->shape[1] == (long)x->shape[1] * nd->factor &&
             nd->shape[2] == (long)x->shape[2] * nd->factor;
        break;
    case MD_BATCHNORM:
    case MD_ACT:
        ok = same_shape(nd, x);
        break;
    case MD_ADD:
        ok = same_shape(nd, x) && same_shape(nd, &net->nodes[nd->in[1]]);
        break;
    case MD_CONCAT: {
        long c = 0;
        for (int i = 0; i < nd->n_in; i++) {
            const md_node *a = &net->nodes[nd->in[i]];
            c += a->shape[0];
            if (a->ndim != nd->ndim ||
                (nd->ndim == 3 && (a->shape[1] != nd->shape[1] || a->shape[2] != nd->shape[2])))
                ok = 0;
        }
        ok = ok && c == nd->shape[0];
        break;
    }
    case MD_TILE:
        ok = x->ndim == 1 && nd->ndim == 3 && nd->shape[0] == x->shape[0];
        break;
    case MD_RESHAPE:
        ok = lw_numel(nd) == lw_numel(x);
        break;
    case MD_GAP:
        ok = x->ndim == 3 && nd->ndim == 1 && nd->shape[0] == x->shape[0];
        break;
    case MD_PROJECT:
        ok = nd->ndim == 1 && nd->shape[0] == 1 && x->ndim == 1 &&
             net->nodes[nd->in[1]].ndim == 1;
        break;
    default:
        break;
    }
    if (!ok)
        return gb_fail(&L->g, "%s.%s (line %d): output shape does not follow from the input "
                       "shape and the layer's options", net->name, nd->name, nd->line);
    return 0;
}

/* Checks the md_model enough that lowering cannot index out of bounds. */
int lw_check_md(lower_ctx *L)
{
    const md_model *md = L->md;
    gb_ctx *g = &L->g;
    if (md->n_networks <= 0 || !md->networks)
        return gb_fail(g, "model has no networks");
    for (int n = 0; n < md->n_networks; n++) {
        const md_network *net = &md->networks[n];
        if (net->n_nodes <= 0 || !net->nodes)
            return gb_fail(g, "network %s has no layers", net->name);
        if (net->n_inputs < 0 || net->n_inputs > 8 || net->n_heads <= 0 || net->n_heads > 8)
            return gb_fail(g, "network %s: bad input/head count", net->name);
        for (int k = 0; k < net->n_nodes; k++) {
            const md_node *nd = &net->nodes[k];
            if (nd->n_in < 0 || nd->n_in > 8)
                return gb_fail(g, "%s.%s (line %d): bad input count", net->name, nd->name,
                               nd->line);
            for (int i = 0; i < nd->n_in; i++)
                if (nd->in[i] < 0 || nd->in[i] >= k)
                    return gb_fail(g, "%s.%s (line %d): input %d is not an earlier node",
                                   net->name, nd->name, nd->line, i);
            if (nd->ndim != 1 && nd->ndim != 3)
                return gb_fail(g, "%s.%s (line %d): rank %d (want 1 or 3)", net->name,
                               nd->name, nd->line, nd->ndim);
            for (int d = 0; d < nd->ndim; d++)
                if (nd->shape[d] <= 0)
                    return gb_fail(g, "%s.%s (line %d): dimension %d is %d", net->name,
                                   nd->name, nd->line, d, nd->shape[d]);
            /* caps keep every size product below in 64-bit (and tensor dims in int32) */
            if (lw_numel(nd) > 0x7fffffffULL)
                return gb_fail(g, "%s.%s (line %d): %llu values per sample is too large",
                               net->name, nd->name, nd->line,
                               (unsigned long long)lw_numel(nd));
            const int opts[] = {nd->kh, nd->kw, nd->stride, nd->pad_t, nd->pad_l, nd->pad_b,
                                nd->pad_r, nd->factor};
            for (int q = 0; q < 8; q++)
                if (opts[q] > 1024 || opts[q] < -1024)
                    return gb_fail(g, "%s.%s (line %d): kernel/stride/padding/factor %d out of "
                                   "range", net->name, nd->name, nd->line, opts[q]);
            int need = 0;
            switch (nd->kind) {
            case MD_INPUT: need = 0; break;
            case MD_CONCAT: need = nd->n_in >= 1 ? nd->n_in : 1; break;
            case MD_ADD: case MD_PROJECT: need = 2; break;
            default:
                if (nd->kind < 0 || nd->kind >= MD_KIND_COUNT)
                    return gb_fail(g, "%s.%s (line %d): unknown layer kind %d", net->name,
                                   nd->name, nd->line, nd->kind);
                need = 1;
            }
            if (nd->n_in != need)
                return gb_fail(g, "%s.%s (line %d): %d inputs, expected %d", net->name,
                               nd->name, nd->line, nd->n_in, need);
            if ((nd->kind == MD_CONV || nd->kind == MD_CONV_T) &&
                (nd->kh <= 0 || nd->kw <= 0 || nd->stride <= 0 || nd->ndim != 3 ||
                 net->nodes[nd->in[0]].ndim != 3))
                return gb_fail(g, "%s.%s (line %d): bad convolution geometry", net->name,
                               nd->name, nd->line);
            if (nd->kind == MD_UPSAMPLE && (nd->factor <= 0 || nd->ndim != 3))
                return gb_fail(g, "%s.%s (line %d): bad upsample factor", net->name, nd->name,
                               nd->line);
            if (nd->kind == MD_DENSE && (nd->units <= 0 || nd->ndim != 1 ||
                                         nd->shape[0] != nd->units))
                return gb_fail(g, "%s.%s (line %d): dense output shape differs from units",
                               net->name, nd->name, nd->line);
            if (check_node_shape(L, net, k) < 0)
                return -1;
        }
        for (int i = 0; i < net->n_inputs; i++) {
            int k = net->inputs[i].node;
            if (k < 0 || k >= net->n_nodes || net->nodes[k].kind != MD_INPUT)
                return gb_fail(g, "network %s: formal %s is not an input node", net->name,
                               net->inputs[i].name);
        }
        for (int h = 0; h < net->n_heads; h++)
            if (net->heads[h].node < 0 || net->heads[h].node >= net->n_nodes)
                return gb_fail(g, "network %s: head %s out of range", net->name,
                               net->heads[h].name);
    }
    if (md->n_objectives <= 0 || !md->objectives)
        return gb_fail(g, "model has no loss objectives");
    for (int o = 0; o < md->n_objectives; o++) {
        const md_objective *ob = &md->objectives[o];
        if (ob->network < 0 || ob->network >= md->n_networks)
            return gb_fail(g, "objective %d: network index %d out of range", o, ob->network);
        if (ob->n_terms <= 0 || ob->n_terms > 8 || !ob->terms)
            return gb_fail(g, "loss %s: %d terms (1..8 supported)",
                           md->networks[ob->network].name, ob->n_terms);
        if (L->nets[ob->network].objective >= 0)
            return gb_fail(g, "network %s has two loss objectives",
                           md->networks[ob->network].name);
        L->nets[ob->network].objective = o;
    }
    return 0;
}
