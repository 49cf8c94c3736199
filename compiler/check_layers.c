/* Applying a layer: the checks every layer shares (its name, options over the defaults in
 * scope, argument count, tensor arguments, weight options) before its row's shape rule runs,
 * and the value expressions of a network body (names, pipelines, '+', concat(...)). */
#include "compiler/check_env.h"

#include <string.h>

static const layer_row *find_row(env *e, ast_expr *lx)
{
    const layer_row *row = layer_find(lx->name);
    if (!row) {
        const char *names[LAYER_MAX_ROWS];
        int n = layer_names(names, 0);
        fe_error_unknown(e->c->d, lx->name_loc, "unknown layer", lx->name, names, n, "");
    }
    return row;
}

/* Only tensor-taking layers stand as values; as one, their first tensor is an argument too. */
static int check_arity(env *e, const layer_row *row, ast_expr *lx, int is_value, int npos)
{
    ck *c = e->c;
    const char *name = lx->name;
    if (is_value && !row->tensor_args) {
        fe_error(c->d, lx->name_loc, "'%s' is a layer, not a value; apply it with '|', e.g. 'x | %s'", name, name);
        return -1;
    }
    int minp = row->min_pos, maxp = row->max_pos;
    if (is_value) {
        minp++;
        maxp++;
    }
    if (npos < minp || npos > maxp) {
        if (minp == maxp)
            fe_error(c->d, lx->loc, "%s takes %d argument%s besides options, got %d", name, minp, minp == 1 ? "" : "s", npos);
        else
            fe_error(c->d, lx->loc, "%s takes %d to %d arguments besides options, got %d", name, minp, maxp, npos);
        return -1;
    }
    return 0;
}

/* Applies a layer: `in` is the piped-in node or -1 when the layer is used as a value
 * (concat(a, b), add(a, b), project(h, y)). Returns the new node or -1. */
static int apply_layer(env *e, int in, ast_expr *lx)
{
    const layer_row *row = find_row(e, lx);
    if (!row)
        return -1;
    opt_slot_t own[O_COUNT], eff[O_COUNT];
    memset(own, 0, sizeof own);
    ast_expr *pos[8];
    int npos = 0;
    ast_list *groups = lx->kind == AE_CALL ? lx->args : NULL;
    if (ck_collect_opts(e, row, groups, own, pos, &npos, 1, lx->name))
        return -1;
    memset(eff, 0, sizeof eff);
    ck_default_opts(e, row, eff);
    for (int s = 0; s < O_COUNT; s++)
        if (own[s].set)
            eff[s] = own[s];
    ck_layer_call lc = {.e = e, .row = row, .name = lx->name, .in = in, .opt = eff, .pos = pos,
                        .npos = npos, .line = ck_line_of(e, lx->loc), .loc = lx->loc};
    if (check_arity(e, row, lx, in < 0, npos))
        return -1;
    int tin[8];
    lc.tin = tin;
    if (row->tensor_args) {
        if (in >= 0)
            tin[lc.nt++] = in;
        for (int i = 0; i < npos; i++) {
            int t = ck_elab_value(e, pos[i]);
            if (t < 0)
                return -1;
            tin[lc.nt++] = t;
        }
    }
    /* weight options shared by dense / conv / conv_t / project */
    lc.init = GAN_INIT_GLOROT_UNIFORM;
    if (eff[O_INIT].set && ck_parse_init(e, eff[O_INIT].val, &lc.init, &lc.init_arg))
        return -1;
    lc.sn = eff[O_SN].set ? eff[O_SN].flag : 0;
    lc.bias = eff[O_BIAS].set ? eff[O_BIAS].flag : 1;
    md_node src_copy; /* the rule appends nodes, which may move the one piped in */
    if (in >= 0) {
        src_copy = *ck_node(e, in);
        lc.src = &src_copy;
    }
    int idx = row->shape(&lc);
    if (idx >= 0 && ck_node(e, idx)->ndim == 3 && (ck_node(e, idx)->shape[1] < 1 || ck_node(e, idx)->shape[2] < 1)) {
        fe_error(e->c->d, lx->loc, "%s leaves no output", lx->name);
        return -1;
    }
    return idx < 0 ? -1 : ck_check_size(e, idx, lx->loc);
}

static int elab_value_inner(env *e, ast_expr *x);

int ck_elab_value(env *e, ast_expr *x)
{
    if (e->depth >= 500) {
        fe_error(e->c->d, x->loc, "expression too long or nested too deeply (more than 500 steps)");
        e->too_big = 1;
        return -1;
    }
    e->depth++;
    int r = elab_value_inner(e, x);
    e->depth--;
    return r;
}

static int elab_value_inner(env *e, ast_expr *x)
{
    ck *c = e->c;
    switch (x->kind) {
    case AE_IDENT: {
        ck_var *v = ck_lookup_var(e, x->name);
        if (v) {
            if (v->def)
                v->def->used = 1;
            if (v->formal >= 0)
                e->formal_used[v->formal] = 1;
            return v->node;
        }
        if (layer_find(x->name)) {
            fe_error(c->d, x->loc, "'%s' is a layer, not a value; apply it with '|', e.g. 'x | %s'", x->name, x->name);
            return -1;
        }
        int dummy;
        if (ck_lookup_loop(e, x->name, &dummy)) {
            fe_error(c->d, x->loc, "'%s' is a number, not a tensor", x->name);
            return -1;
        }
        return ck_unknown_name(e, x);
    }
    case AE_CALL: {
        const layer_row *row = layer_find(x->name);
        if (row && !row->tensor_args) {
            fe_error(c->d, x->name_loc, "'%s' is a layer, not a value; apply it with '|', e.g. 'x | %s(...)'", x->name, x->name);
            return -1;
        }
        if (!row && ck_find_net(c, x->name) >= 0) {
            fe_error(c->d, x->name_loc, "networks cannot call each other inside a network body; combine them in the train block");
            return -1;
        }
        return apply_layer(e, -1, x);
    }
    case AE_BIN: {
        if (x->op != '+') {
            fe_error(c->d, x->loc, "only '+' combines tensors");
            return -1;
        }
        int a = ck_elab_value(e, x->a);
        int b = ck_elab_value(e, x->b);
        if (a < 0 || b < 0)
            return -1;
        return ck_add_sum(e, a, b, ck_line_of(e, x->loc), x->loc, "'+'");
    }
    case AE_PIPE: {
        int a = ck_elab_value(e, x->a);
        if (a < 0)
            return -1;
        return apply_layer(e, a, x->b);
    }
    default:
        fe_error(c->d, x->loc, "expected a tensor");
        return -1;
    }
}
