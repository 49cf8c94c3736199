/* Layer options: splitting a layer's arguments into options and positionals, the defaults
 * blocks in scope (checked once where they stand, applied to each later layer they name), and
 * weight inits. */
#include "compiler/check_env.h"

#include <stdio.h>
#include <string.h>

static void set_slot(opt_slot_t *sl, int o, fe_loc loc)
{
    sl->set = 1;
    sl->loc = loc;
    sl->flag = layer_opt_is_on(o);
}

/* Splits argument groups into options (by this layer's option names) and positional words.
 * Options land in slots (by logical slot); positionals in pos[]. Returns -1 after errors. */
int ck_collect_opts(env *e, const layer_row *row, ast_list *groups, opt_slot_t *slots, ast_expr **pos,
                    int *npos, int allow_pos, const char *ctx_name)
{
    ck *c = e->c;
    int err = 0;
    for (int g = 0; groups && g < groups->n; g++) {
        ast_list *w = groups->v[g];
        for (int i = 0; i < w->n; i++) {
            ast_expr *x = w->v[i];
            int o = x->kind == AE_IDENT ? layer_opt_find(x->name) : -1;
            if (o >= 0 && !(row->opts & OB(o))) {
                fe_error(c->d, x->loc, "%s has no option '%s'", ctx_name, x->name);
                err = 1;
                if (layer_opt_has_value(o))
                    i++;
                continue;
            }
            if (o >= 0) {
                int s = layer_opt_slot(o);
                if (slots[s].set) {
                    fe_error(c->d, x->loc, "option '%s' given twice", layer_opt_names[s]);
                    err = 1;
                }
                set_slot(&slots[s], o, x->loc);
                if (layer_opt_has_value(o)) {
                    if (i + 1 >= w->n) {
                        fe_error(c->d, x->loc, "option '%s' needs a value", x->name);
                        slots[s].set = 0;
                        err = 1;
                    } else {
                        slots[s].val = w->v[++i];
                    }
                }
                continue;
            }
            /* not an option name */
            int is_unknown_word = 0;
            if (x->kind == AE_IDENT) {
                int dummy;
                is_unknown_word = !ck_lookup_loop(e, x->name, &dummy) && !ck_lookup_var(e, x->name) &&
                                  strcmp(x->name, "labels");
            }
            if (is_unknown_word) {
                const char *cand[O_COUNT];
                int nc = 0;
                for (int k = 0; k < O_COUNT; k++)
                    if (row->opts & OB(k))
                        cand[nc++] = layer_opt_names[k];
                const char *s = fe_suggest(x->name, cand, nc);
                int looks_option = s || i + 1 < w->n || !allow_pos;
                if (looks_option) {
                    if (s)
                        fe_error(c->d, x->loc, "unknown option '%s' for %s; did you mean '%s'?", x->name, ctx_name, s);
                    else
                        fe_error(c->d, x->loc, "unknown option '%s' for %s", x->name, ctx_name);
                    err = 1;
                    if (i + 1 < w->n && ((ast_expr *)w->v[i + 1])->kind != AE_IDENT)
                        i++; /* skip its value */
                    continue;
                }
            }
            if (!allow_pos) {
                fe_error(c->d, x->loc, "expected an option name for %s", ctx_name);
                err = 1;
                continue;
            }
            if (*npos >= 8) {
                fe_error(c->d, x->loc, "too many arguments for %s", ctx_name);
                err = 1;
                continue;
            }
            pos[(*npos)++] = x;
        }
    }
    return err ? -1 : 0;
}

/* The options the defaults blocks in scope give a layer, earliest first (a later block
 * overrides an earlier one), into eff[O_COUNT]. */
void ck_default_opts(env *e, const layer_row *row, opt_slot_t *eff)
{
    if (!row->defaultable)
        return;
    for (int i = 0; i < e->n_defs; i++) {
        ast_stmt *ds = e->defs[i];
        for (int k = 0; k < ds->kinds->n; k++)
            if (!strcmp(((ast_expr *)ds->kinds->v[k])->name, row->name)) {
                /* words were checked (and errors reported) with the defaults block */
                opt_slot_t dsl[O_COUNT];
                memset(dsl, 0, sizeof dsl);
                ast_list *w = ds->words;
                for (int j = 0; j < w->n; j++) {
                    ast_expr *wx = w->v[j];
                    int o = wx->kind == AE_IDENT ? layer_opt_find(wx->name) : -1;
                    if (o < 0 || !(row->opts & OB(o)))
                        continue;
                    int sl = layer_opt_slot(o);
                    set_slot(&dsl[sl], o, wx->loc);
                    dsl[sl].val = NULL;
                    if (layer_opt_has_value(o) && j + 1 < w->n)
                        dsl[sl].val = w->v[++j];
                }
                for (int s = 0; s < O_COUNT; s++)
                    if (dsl[s].set && (!layer_opt_has_value(s) || dsl[s].val))
                        eff[s] = dsl[s];
                ds->used = 1;
            }
    }
}

/* Checks a defaults block's words once (unknown kinds / options are reported here). */
void ck_check_defaults(ck *c, env *e, ast_stmt *ds)
{
    for (int k = 0; k < ds->kinds->n; k++) {
        ast_expr *kx = ds->kinds->v[k];
        const layer_row *row = layer_find(kx->name);
        if (!row || !row->defaultable) {
            const char *cands[LAYER_MAX_ROWS];
            int n = layer_names(cands, 1);
            if (row)
                fe_error(c->d, kx->loc, "layer '%s' has no options to default", kx->name);
            else
                fe_error_unknown(c->d, kx->loc, "unknown layer", kx->name, cands, n, "");
            ds->used = 1; /* no second complaint about it being unused */
            continue;
        }
        opt_slot_t sl[O_COUNT];
        memset(sl, 0, sizeof sl);
        ast_expr *pos[8];
        int npos = 0;
        ast_list one = {1, 1, (void **)&ds->words};
        char what[80];
        snprintf(what, sizeof what, "%s", row->name);
        ck_collect_opts(e, row, &one, sl, pos, &npos, 0, what);
    }
}

int ck_parse_init(env *e, ast_expr *v, int *kind, float *arg)
{
    ck *c = e->c;
    static const char *const inits[] = {"orthogonal", "glorot_uniform", "he_normal", "normal", "uniform", "zeros"};
    if (v->kind != AE_IDENT && v->kind != AE_CALL) {
        fe_error(c->d, v->loc, "init must be one of orthogonal, glorot_uniform, he_normal, normal(std), uniform(a), zeros");
        return -1;
    }
    int k = fe_name_index(v->name, inits, 6);
    if (k < 0) {
        fe_error_unknown(c->d, v->name_loc, "unknown init", v->name, inits, 6,
                         " (expected orthogonal, glorot_uniform, he_normal, normal(std), uniform(a) or zeros)");
        return -1;
    }
    static const int kinds[] = {GAN_INIT_ORTHOGONAL, GAN_INIT_GLOROT_UNIFORM, GAN_INIT_HE_NORMAL,
                                GAN_INIT_NORMAL, GAN_INIT_UNIFORM, GAN_INIT_ZEROS};
    static const float defarg[] = {1.0f, 0, 0, 0.02f, 0.05f, 0};
    *kind = kinds[k];
    *arg = defarg[k];
    if (v->kind == AE_CALL) {
        int takes = k == 0 || k == 3 || k == 4;
        int nargs = 0;
        ast_expr *a = NULL;
        for (int g = 0; g < v->args->n; g++) {
            ast_list *w = v->args->v[g];
            nargs += w->n;
            if (w->n)
                a = w->v[0];
        }
        if (!takes || nargs != 1) {
            fe_error(c->d, v->loc, takes ? "init %s takes one number" : "init %s takes no arguments", v->name);
            return -1;
        }
        const char *what = k == 0 ? "orthogonal gain" : k == 3 ? "normal std" : "uniform limit";
        if (ck_eval_float(e, a, what, 1e-9, 100, arg))
            return -1;
    }
    return 0;
}
