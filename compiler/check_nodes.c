/* The nodes of the network being elaborated: appending one (the array grows, so callers
 * hold indices, not pointers, across an append), sizes and the checks every shape rule uses. */
#include "compiler/check_env.h"

#include <stdlib.h>
#include <string.h>

int ck_add_node(env *e, int kind, int line)
{
    ck_net *ni = e->ni;
    if (ni->net.n_nodes >= CK_MAX_NODES) {
        e->too_big = 1;
        return -1;
    }
    if (ni->net.n_nodes == ni->node_cap) {
        int cap = ni->node_cap ? ni->node_cap * 2 : 32;
        md_node *nn = realloc(ni->net.nodes, sizeof(md_node) * (size_t)cap);
        if (!nn) {
            e->too_big = 1;
            return -1;
        }
        ni->net.nodes = nn;
        ni->node_cap = cap;
    }
    md_node *n = &ni->net.nodes[ni->net.n_nodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->line = line;
    n->stride = 1;
    n->factor = 1;
    return ni->net.n_nodes++;
}

md_node *ck_node(env *e, int i)
{
    return &e->ni->net.nodes[i];
}

/* A node with the single input `in` (most layers); -1 when the network is too big. */
int ck_add_unary(env *e, int kind, int line, int in)
{
    int idx = ck_add_node(e, kind, line);
    if (idx >= 0) {
        ck_node(e, idx)->n_in = 1;
        ck_node(e, idx)->in[0] = in;
    }
    return idx;
}

int ck_line_of(env *e, fe_loc loc)
{
    int l, col;
    fe_line_col(e->c->d, loc.start, &l, &col);
    return l;
}

int ck_check_size(env *e, int idx, fe_loc loc)
{
    md_node *n = ck_node(e, idx);
    if (md_node_numel(n) > (1LL << 26)) {
        fe_error(e->c->d, loc, "tensor too large: %lld values per sample", md_node_numel(n));
        return -1;
    }
    return idx;
}

int ck_need3(env *e, int in, fe_loc loc, const char *lname)
{
    md_node *n = ck_node(e, in);
    if (n->ndim != 3) {
        char b[64];
        fe_error(e->c->d, loc, "%s needs a [C, H, W] input, got %s", lname, ck_shape_str(n->ndim, n->shape, b, sizeof b));
        return -1;
    }
    return 0;
}
