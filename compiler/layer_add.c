/* add(a, b), also written a + b: the element-wise sum of two tensors of one shape. */
#include "compiler/check_env.h"
#include "compiler/layers.h"
#include "compiler/lower_internal.h"

#include <string.h>

/* a + b, for the '+' operator and for add(a, b) (`what` names which in the message). */
int ck_add_sum(env *e, int a, int b, int line, fe_loc loc, const char *what)
{
    md_node *na = ck_node(e, a), *nb = ck_node(e, b);
    char b1[64], b2[64];
    if (na->ndim != nb->ndim || memcmp(na->shape, nb->shape, sizeof na->shape)) {
        fe_error(e->c->d, loc, "%s needs two tensors of the same shape: %s vs %s", what,
                 ck_shape_str(na->ndim, na->shape, b1, sizeof b1), ck_shape_str(nb->ndim, nb->shape, b2, sizeof b2));
        return -1;
    }
    int idx = ck_add_node(e, MD_ADD, line);
    if (idx < 0)
        return -1;
    md_node *n = ck_node(e, idx);
    na = ck_node(e, a);
    n->n_in = 2;
    n->in[0] = a;
    n->in[1] = b;
    n->ndim = na->ndim;
    memcpy(n->shape, na->shape, sizeof n->shape);
    return idx;
}

static int shape_add(ck_layer_call *lc)
{
    return ck_add_sum(lc->e, lc->tin[0], lc->tin[1], lc->line, lc->loc, "add");
}

static const char *check_add(const md_network *net, const md_node *nd)
{
    int ok = lw_same_shape(nd, &net->nodes[nd->in[0]]) && lw_same_shape(nd, &net->nodes[nd->in[1]]);
    return ok ? NULL : LAYER_BAD_SHAPE;
}

static int lower_add(lw_node *ln)
{
    return lw_op(ln->P, GAN_OP_ADD, 2, ln->in, 1, (int[]){ln->y});
}

static const layer_row rows[] = {
    /* name  stem   kind    act options pos  dflt tensors shape */
    {"add", "add", MD_ADD, 0, 0,      1, 1, 0, 1, shape_add},
};

/* node fields: in[0] + in[1], same shape */
LAYER_KIND_DEFINE(ADD, add, 11) = {
    .name = "add",
    LAYER_ROWS(rows),
    .inputs = 2,
    .check = check_add,
    .lower = lower_add,
};
