/* What the shape rules of the layer kinds (compiler/layer_*.c) share: appending the node a
 * rule makes, and reading the options several kinds take. Options, argument counts and tensor
 * arguments were checked before a rule runs (check_layers.c), and so are "leaves no output"
 * and the size cap after. */
#include "compiler/check_env.h"

#include <string.h>

md_node *ck_add_out(ck_layer_call *lc, int kind, int *idx)
{
    *idx = ck_add_unary(lc->e, kind, lc->line, lc->in);
    return *idx < 0 ? NULL : ck_node(lc->e, *idx);
}

md_node *ck_add_same_shape(ck_layer_call *lc, int kind, int *idx)
{
    md_node *n = ck_add_out(lc, kind, idx);
    if (n) {
        n->ndim = lc->src->ndim;
        memcpy(n->shape, lc->src->shape, sizeof n->shape);
    }
    return n;
}

void ck_set_weight_opts(md_node *n, const ck_layer_call *lc)
{
    n->spectral_norm = lc->sn;
    n->init = lc->init;
    n->init_arg = lc->init_arg;
}

int ck_one_value(ck_layer_call *lc, int o, const char *what, ast_expr **x)
{
    if (lc->npos && lc->opt[o].set) {
        fe_error(lc->e->c->d, lc->loc, "%s given twice", what);
        return -1;
    }
    *x = lc->npos ? lc->pos[0] : lc->opt[o].set ? lc->opt[o].val : NULL;
    return 0;
}
