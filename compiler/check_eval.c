/* Names and whole numbers inside a network body: loop variables, bound tensors, 'labels' (the
 * label count), and the + - * / expressions layer arguments may use. */
#include "compiler/check_env.h"

#include <stdio.h>
#include <string.h>

int ck_lookup_loop(env *e, const char *name, int *v)
{
    for (int i = e->n_loops - 1; i >= 0; i--)
        if (!strcmp(e->loops[i].name, name)) {
            *v = e->loops[i].value;
            if (e->loops[i].loop)
                e->loops[i].loop->used = 1;
            return 1;
        }
    return 0;
}

ck_var *ck_lookup_var(env *e, const char *name)
{
    for (int i = 0; i < e->n_vars; i++)
        if (!strcmp(e->vars[i].name, name))
            return &e->vars[i];
    return NULL;
}

static void suggest_name(env *e, const char *name, char *buf, size_t len)
{
    const char *cands[160];
    int n = 0;
    for (int i = 0; i < e->n_vars && n < 150; i++)
        cands[n++] = e->vars[i].name;
    for (int i = 0; i < e->n_loops && n < 159; i++)
        cands[n++] = e->loops[i].name;
    if (e->c->n_labels && n < 160)
        cands[n++] = "labels";
    const char *s = fe_suggest(name, cands, n);
    if (s)
        snprintf(buf, len, "; did you mean '%s'?", s);
    else
        buf[0] = 0;
}

/* Reports a name that is nothing here, with the closest bound name as a suggestion; -1. */
int ck_unknown_name(env *e, ast_expr *x)
{
    char hint[96];
    suggest_name(e, x->name, hint, sizeof hint);
    fe_error(e->c->d, x->loc, "unknown name '%s'%s", x->name, hint);
    return -1;
}

/* Whole-number expressions: numbers, loop variables, 'labels' (the label count), + - * /. */
int ck_eval_int(env *e, ast_expr *x, long long *out)
{
    ck *c = e->c;
    switch (x->kind) {
    case AE_NUM:
        if (x->is_int && x->num > 1e9) {
            fe_error(c->d, x->loc, "%.0f is too large (a whole number here is at most 1000000000)", x->num);
            return -1;
        }
        if (!x->is_int) {
            fe_error(c->d, x->loc, "expected a whole number, got %g", x->num);
            return -1;
        }
        *out = (long long)x->num;
        return 0;
    case AE_IDENT: {
        int v;
        if (ck_lookup_loop(e, x->name, &v)) {
            *out = v;
            return 0;
        }
        if (!strcmp(x->name, "labels")) {
            if (!c->n_labels) {
                fe_error(c->d, x->loc, "'labels' used as a size, but the data block declares no labels");
                return -1;
            }
            c->labels_used = 1;
            *out = c->n_labels;
            return 0;
        }
        if (ck_lookup_var(e, x->name)) {
            fe_error(c->d, x->loc, "'%s' is a tensor; a whole number is expected here", x->name);
            return -1;
        }
        return ck_unknown_name(e, x);
    }
    case AE_BIN: {
        long long a, b;
        if (e->depth >= 500) {
            fe_error(c->d, x->loc, "expression too long or nested too deeply (more than 500 steps)");
            return -1;
        }
        e->depth++;
        int bad = ck_eval_int(e, x->a, &a) || ck_eval_int(e, x->b, &b);
        e->depth--;
        if (bad)
            return -1;
        switch (x->op) {
        case '+': *out = a + b; break;
        case '-': *out = a - b; break;
        case '*': *out = a * b; break;
        default:
            if (b == 0 || a % b) {
                fe_error(c->d, x->loc, "%lld / %lld is not a whole number", a, b);
                return -1;
            }
            *out = a / b;
        }
        if (*out > 1000000000LL || *out < -1000000000LL) {
            fe_error(c->d, x->loc, "number too large");
            return -1;
        }
        return 0;
    }
    default:
        fe_error(c->d, x->loc, "expected a whole number");
        return -1;
    }
}

/* A whole number from lo to hi (exact in a double); as_int: the message prints them as ints. */
static int int_in_range(env *e, ast_expr *x, const char *what, double lo, double hi, int as_int, long long *v)
{
    if (ck_eval_int(e, x, v))
        return -1;
    if (*v < lo || *v > hi) {
        if (as_int)
            fe_error(e->c->d, x->loc, "%s must be from %d to %d, got %lld", what, (int)lo, (int)hi, *v);
        else
            fe_error(e->c->d, x->loc, "%s must be from %g to %g, got %lld", what, lo, hi, *v);
        return -1;
    }
    return 0;
}

int ck_eval_pos_int(env *e, ast_expr *x, const char *what, int lo, int hi, int *out)
{
    long long v;
    if (int_in_range(e, x, what, lo, hi, 1, &v))
        return -1;
    *out = (int)v;
    return 0;
}

int ck_eval_float(env *e, ast_expr *x, const char *what, double lo, double hi, float *out)
{
    if (x->kind == AE_NUM) {
        if (!(x->num >= lo && x->num <= hi)) {
            fe_error(e->c->d, x->loc, "%s must be from %g to %g, got %g", what, lo, hi, x->num);
            return -1;
        }
        *out = (float)x->num;
        return 0;
    }
    long long v;
    if (int_in_range(e, x, what, lo, hi, 0, &v))
        return -1;
    *out = (float)v;
    return 0;
}
