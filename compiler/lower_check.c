/* The md_model is checked before anything is built from it: indices, arities, ranks, size
 * caps, and every node's output shape against its input shape and options, so that lowering
 * can trust what it indexes and multiplies. */
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <string.h>

int lw_same_shape(const md_node *a, const md_node *b)
{
    return a->ndim == b->ndim && !memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof a->shape[0]);
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
            const layer_kind *lk = layer_kind_of(nd->kind);
            if (!lk)
                return gb_fail(g, "%s.%s (line %d): unknown layer kind %d", net->name,
                               nd->name, nd->line, nd->kind);
            int need = layer_inputs(lk, nd);
            if (nd->n_in != need)
                return gb_fail(g, "%s.%s (line %d): %d inputs, expected %d", net->name,
                               nd->name, nd->line, nd->n_in, need);
            /* the per-sample output shape the front end computed must be what the op will
             * produce: the back end trusts these shapes for every tensor it creates */
            const char *why = lk->check ? lk->check(net, nd) : NULL;
            if (why)
                return gb_fail(g, "%s.%s (line %d): %s", net->name, nd->name, nd->line, why);
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
