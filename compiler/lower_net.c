/* Lowering a network call: each node on first use (only what a requested head needs), its
 * inputs first, into batched arena tensors named "<program>.<net>[_<call>].<node>"; a call is
 * memoized by (network, argument tensors). The ops themselves come from the node's kind
 * (compiler/layers.h). */
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <stdlib.h>
#include <string.h>

uint64_t lw_numel(const md_node *n)
{
    uint64_t e = 1;
    for (int d = 0; d < n->ndim && d < 3; d++)
        e *= (uint64_t)(n->shape[d] > 0 ? n->shape[d] : 0);
    return e;
}

int lw_arena(prog_ctx *P, const char *name, int ndim, const int *shape)
{
    return gb_tensor(&P->L->g, name, GAN_REGION_ARENA, ndim, shape);
}

/* Batched arena tensor for an md node's per-sample shape. */
static int arena_node(prog_ctx *P, const char *name, const md_node *nd)
{
    int sh[4] = {P->L->batch, 0, 0, 0};
    for (int d = 0; d < nd->ndim; d++)
        sh[d + 1] = nd->shape[d];
    return lw_arena(P, name, nd->ndim + 1, sh);
}

int lw_op(prog_ctx *P, int type, int n_in, const int *in, int n_out, const int *out)
{
    return gb_op(&P->L->g, &P->ops, type, n_in, in, n_out, out);
}

/* A program input "<program>.<sym>", made on its first use. */
static int input_tensor(prog_ctx *P, int *t, const char *sym, int ndim, const int *shape)
{
    if (*t < 0) {
        char nm[GAN_NAME_MAX];
        gb_name(nm, "%s.%s", P->pname, sym);
        *t = lw_arena(P, nm, ndim, shape);
    }
    return *t;
}

int lw_get_input(prog_ctx *P, int role)
{
    const gan_hyper *h = &P->L->g.m->hyper;
    int N = P->L->batch;
    switch (role) {
    case GAN_ROLE_IMAGE:
        return input_tensor(P, &P->x, "x", 4, (int[]){N, h->image_c, h->image_h, h->image_w});
    case GAN_ROLE_LABELS:
        if (h->n_labels <= 0)
            return gb_fail(&P->L->g, "%s: the model has no labels", P->pname);
        return input_tensor(P, &P->y, "y", 2, (int[]){N, h->n_labels});
    default:
        if (h->latent_size <= 0)
            return gb_fail(&P->L->g, "%s: the model has no latent input", P->pname);
        return input_tensor(P, &P->z, "z", 2, (int[]){N, h->latent_size});
    }
}

int lw_node_tensor(prog_ctx *P, int c, int k)
{
    call_rec *cr = &P->calls[c];
    if (cr->val[k] >= 0)
        return cr->val[k];
    lower_ctx *L = P->L;
    gb_ctx *g = &L->g;
    int n = cr->net;
    const md_network *net = &L->md->networks[n];
    const md_node *nd = &net->nodes[k];
    if (nd->kind == MD_INPUT)
        return gb_fail(g, "%s: input %s of %s is not bound", P->pname, nd->name, net->name);
    int in[8];
    for (int i = 0; i < nd->n_in; i++)
        if ((in[i] = lw_node_tensor(P, c, nd->in[i])) < 0)
            return -1;
    char nm[GAN_NAME_MAX];
    int nc = 0;
    for (int j = 0; j < c; j++)
        nc += P->calls[j].net == n;
    if (nc == 0)
        gb_name(nm, "%s.%s.%s", P->pname, net->name, nd->name);
    else
        gb_name(nm, "%s.%s_%d.%s", P->pname, net->name, nc + 1, nd->name);
    int y = arena_node(P, nm, nd);
    if (y < 0)
        return -1;
    /* per-sample numel of the first input must agree with the md shapes */
    if (nd->n_in > 0 && gb_per_sample(g->m, in[0]) != lw_numel(&net->nodes[nd->in[0]]))
        return gb_fail(g, "%s.%s (line %d): input has %llu values per sample, expected %llu",
                       net->name, nd->name, nd->line,
                       (unsigned long long)gb_per_sample(g->m, in[0]),
                       (unsigned long long)lw_numel(&net->nodes[nd->in[0]]));
    const layer_kind *lk = layer_kind_of(nd->kind);
    if (!lk || !lk->lower)
        return gb_fail(g, "%s.%s: cannot lower layer kind %d", net->name, nd->name, nd->kind);
    lw_node ln = {P, n, k, net, nd, in, y, nm};
    int o = lk->lower(&ln);
    if (o < 0 || g->failed)
        return -1;
    cr->val[k] = y;
    return y;
}

int lw_find_call(prog_ctx *P, int n, int n_args, const int *args)
{
    for (int c = 0; c < P->n_calls; c++) {
        call_rec *cr = &P->calls[c];
        if (cr->net == n && cr->n_args == n_args &&
            memcmp(cr->args, args, (size_t)n_args * sizeof *args) == 0)
            return c;
    }
    lower_ctx *L = P->L;
    const md_network *net = &L->md->networks[n];
    if (n_args != net->n_inputs)
        return gb_fail(&L->g, "%s: call of %s with %d arguments, it takes %d", P->pname,
                       net->name, n_args, net->n_inputs);
    if (P->n_calls == MAX_CALLS)
        return gb_fail(&L->g, "%s: more than %d network calls", P->pname, MAX_CALLS);
    call_rec *cr = &P->calls[P->n_calls];
    cr->net = n;
    cr->n_args = n_args;
    memcpy(cr->args, args, (size_t)n_args * sizeof *args);
    cr->val = malloc((size_t)net->n_nodes * sizeof(int));
    if (!cr->val)
        return gb_fail(&L->g, "out of memory");
    for (int k = 0; k < net->n_nodes; k++)
        cr->val[k] = -1;
    for (int i = 0; i < n_args; i++) {
        const md_node *in = &net->nodes[net->inputs[i].node];
        const gan_tensor *at = &L->g.m->tensors[args[i]];
        int shape_ok = gb_per_sample(L->g.m, args[i]) == lw_numel(in);
        if (in->ndim == 3) /* an image-like input must match channel by channel */
            shape_ok = shape_ok && at->ndim == 4 && at->shape[1] == in->shape[0] &&
                       at->shape[2] == in->shape[1] && at->shape[3] == in->shape[2];
        if (!shape_ok) {
            free(cr->val);
            return gb_fail(&L->g, "%s: argument %s of %s has %llu values per sample, expected %llu",
                           P->pname, net->inputs[i].name, net->name,
                           (unsigned long long)gb_per_sample(L->g.m, args[i]),
                           (unsigned long long)lw_numel(in));
        }
        cr->val[net->inputs[i].node] = args[i];
    }
    return P->n_calls++;
}

int lw_eval_expr(prog_ctx *P, const md_expr *e, int depth)
{
    gb_ctx *g = &P->L->g;
    if (!e)
        return gb_fail(g, "%s: missing expression", P->pname);
    if (depth > 16)
        return gb_fail(g, "%s: expression nested too deeply", P->pname);
    switch (e->kind) {
    case MD_EX_IMAGE: return lw_get_input(P, GAN_ROLE_IMAGE);
    case MD_EX_LABELS: return lw_get_input(P, GAN_ROLE_LABELS);
    case MD_EX_LATENT: return lw_get_input(P, GAN_ROLE_LATENT);
    case MD_EX_CALL: {
        if (e->network < 0 || e->network >= P->L->md->n_networks)
            return gb_fail(g, "%s: call of network %d out of range", P->pname, e->network);
        const md_network *net = &P->L->md->networks[e->network];
        if (e->head < 0 || e->head >= net->n_heads)
            return gb_fail(g, "%s: head %d of %s out of range", P->pname, e->head, net->name);
        if (e->n_args < 0 || e->n_args > 8)
            return gb_fail(g, "%s: bad argument count", P->pname);
        int args[8];
        for (int i = 0; i < e->n_args; i++)
            if ((args[i] = lw_eval_expr(P, e->args[i], depth + 1)) < 0)
                return -1;
        int c = lw_find_call(P, e->network, e->n_args, args);
        if (c < 0)
            return -1;
        return lw_node_tensor(P, c, net->heads[e->head].node);
    }
    default:
        return gb_fail(g, "%s: unknown expression kind %d", P->pname, e->kind);
    }
}
