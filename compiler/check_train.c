/* The checker, part 2: the train block. Settings, `loss N = ...` (weighted sums of loss
 * functions of network calls, type-checked against the networks' inputs and heads),
 * `optimizer N = ...` (compiler/optimizers.c) and `ema N decay`, and the rules tying them
 * together. */
#include "compiler/check_internal.h"
#include "compiler/frontend.h"
#include "compiler/losses.h"
#include "compiler/optimizers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef struct {
    int ndim;
    int shape[3];
} vty;

static md_expr *new_expr(int kind)
{
    md_expr *e = calloc(1, sizeof(md_expr));
    if (e)
        e->kind = kind;
    return e;
}

/* Describes an argument for messages: "the image [3, 64, 64]", "G(...) [3, 64, 64]". */
static void describe(const ck *c, const md_expr *e, const vty *t, char *buf, size_t len)
{
    char s[64];
    ck_shape_str(t->ndim, t->shape, s, sizeof s);
    switch (e->kind) {
    case MD_EX_IMAGE: snprintf(buf, len, "the image x %s", s); break;
    case MD_EX_LABELS: snprintf(buf, len, "the labels y %s", s); break;
    case MD_EX_LATENT: snprintf(buf, len, "the latent %s %s", c->latent_name, s); break;
    default: {
        const ck_net *ni = &c->nets[e->network];
        if (ni->net.n_heads > 1)
            snprintf(buf, len, "%s(...).%s %s", ni->net.name, ni->net.heads[e->head].name, s);
        else
            snprintf(buf, len, "%s(...) %s", ni->net.name, s);
    }
    }
}

static md_expr *lval(ck *c, ast_expr *x, vty *t);

static void suggest_value(ck *c, const char *name, char *buf, size_t len)
{
    const char *cands[CK_MAX_NETS + 3];
    int n = 0;
    cands[n++] = "x";
    if (c->n_labels)
        cands[n++] = "y";
    if (c->latent_name)
        cands[n++] = c->latent_name;
    for (int i = 0; i < c->n_nets; i++)
        cands[n++] = c->nets[i].net.name;
    const char *s = fe_suggest(name, cands, n);
    if (s)
        snprintf(buf, len, "; did you mean '%s'?", s);
    else
        buf[0] = 0;
}

/* "unknown network 'Dis'": the edit-distance hint, else the one network whose name begins
 * the unknown one or is begun by it (D for Dis, Disc for D... when no closer name exists). */
static void unknown_net(ck *c, const char *name, fe_loc loc)
{
    const char *cands[CK_MAX_NETS] = {0}, *pre = NULL;
    int npre = 0;
    for (int i = 0; i < c->n_nets; i++) {
        cands[i] = c->nets[i].net.name;
        size_t a = strlen(cands[i]), b = strlen(name);
        if (a && b && !strncmp(cands[i], name, a < b ? a : b))
            pre = cands[i], npre++;
    }
    if (!fe_suggest(name, cands, c->n_nets) && npre == 1)
        fe_error(c->d, loc, "unknown network '%s'; did you mean '%s'?", name, pre);
    else
        fe_error_unknown(c->d, loc, "unknown network", name, cands, c->n_nets, "");
}

/* A call N(args) with head selection `head` (NULL: the only head). */
static md_expr *lcall(ck *c, ast_expr *x, const char *head, fe_loc head_loc, vty *t)
{
    int ni_idx = ck_find_net(c, x->name);
    if (ni_idx < 0) {
        if (loss_find(x->name)) {
            fe_error(c->d, x->name_loc, "'%s' is a loss function; its argument must be a network output", x->name);
            return NULL;
        }
        unknown_net(c, x->name, x->name_loc);
        return NULL;
    }
    ck_net *ni = &c->nets[ni_idx];
    md_network *net = &ni->net;
    int nargs = x->args->n;
    if (nargs != net->n_inputs) {
        char list[256] = "";
        size_t l = 0;
        for (int i = 0; i < net->n_inputs && l < sizeof list - 70; i++)
            l += (size_t)snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", net->inputs[i].name);
        fe_error(c->d, x->loc, "'%s' takes %d input%s (%s), got %d", net->name, net->n_inputs,
                 net->n_inputs == 1 ? "" : "s", list, nargs);
        return NULL;
    }
    md_expr *e = new_expr(MD_EX_CALL);
    if (!e)
        return NULL;
    e->network = ni_idx;
    e->n_args = nargs;
    int bad = 0;
    for (int i = 0; i < nargs; i++) {
        ast_list *g = x->args->v[i];
        ast_expr *ax = g->v[0];
        vty at;
        md_expr *a = lval(c, ax, &at);
        if (!a) {
            bad = 1;
            continue;
        }
        e->args[i] = a;
        const md_formal *f = &net->inputs[i];
        const md_node *fn = &net->nodes[f->node];
        int shape_ok = at.ndim == fn->ndim && !memcmp(at.shape, fn->shape, sizeof at.shape);
        int ok;
        switch (f->kind) {
        case MD_IN_LATENT: ok = a->kind == MD_EX_LATENT; break;
        case MD_IN_LABELS: ok = shape_ok && (a->kind == MD_EX_LABELS || a->kind == MD_EX_CALL); break;
        case MD_IN_IMAGE: ok = shape_ok && (a->kind == MD_EX_IMAGE || a->kind == MD_EX_CALL); break;
        default: ok = shape_ok && a->kind != MD_EX_LATENT; break;
        }
        if (!ok) {
            char got[160], want[64];
            describe(c, a, &at, got, sizeof got);
            static const char *const kinds[] = {"the image", "the labels", "the latent", "a tensor"};
            ck_shape_str(fn->ndim, fn->shape, want, sizeof want);
            fe_error(c->d, ax->loc, "input '%s' of '%s' takes %s %s, got %s", f->name, net->name, kinds[f->kind], want, got);
            bad = 1;
        }
    }
    if (bad) {
        md_expr_free(e);
        return NULL;
    }
    int h = -1;
    if (head) {
        for (int i = 0; i < net->n_heads; i++)
            if (!strcmp(net->heads[i].name, head))
                h = i;
        if (h < 0) {
            const char *cands[8];
            for (int i = 0; i < net->n_heads; i++)
                cands[i] = net->heads[i].name;
            const char *s = fe_suggest(head, cands, net->n_heads);
            if (s)
                fe_error(c->d, head_loc, "'%s' has no head '%s'; did you mean '%s'?", net->name, head, s);
            else
                fe_error(c->d, head_loc, "'%s' has no head '%s'", net->name, head);
            md_expr_free(e);
            return NULL;
        }
    } else if (net->n_heads == 1) {
        h = 0;
    } else {
        char list[256] = "";
        size_t l = 0;
        for (int i = 0; i < net->n_heads && l < sizeof list - 70; i++)
            l += (size_t)snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", net->heads[i].name);
        fe_error(c->d, x->loc, "'%s' has %d heads (%s); pick one, e.g. '%s(...).%s'", net->name, net->n_heads, list,
                 net->name, net->heads[0].name);
        md_expr_free(e);
        return NULL;
    }
    e->head = h;
    ni->head_used[h] = 1;
    t->ndim = ni->head_ndim[h];
    memcpy(t->shape, ni->head_shape[h], sizeof t->shape);
    ni->used = 1;
    return e;
}

static md_expr *lval_inner(ck *c, ast_expr *x, vty *t);

static md_expr *lval(ck *c, ast_expr *x, vty *t)
{
    memset(t, 0, sizeof *t);
    if (c->depth >= 200) {
        fe_error(c->d, x->loc, "network calls nested too deeply (more than 200 levels)");
        return NULL;
    }
    c->depth++;
    md_expr *r = lval_inner(c, x, t);
    c->depth--;
    return r;
}

static md_expr *lval_inner(ck *c, ast_expr *x, vty *t)
{
    switch (x->kind) {
    case AE_IDENT: {
        if (!strcmp(x->name, "x")) {
            t->ndim = 3;
            t->shape[0] = c->img_c;
            t->shape[1] = c->img_h;
            t->shape[2] = c->img_w;
            return new_expr(MD_EX_IMAGE);
        }
        if (!strcmp(x->name, "y")) {
            if (!c->n_labels) {
                fe_error(c->d, x->loc, "'y' stands for the labels, but the data block declares no labels");
                return NULL;
            }
            t->ndim = 1;
            t->shape[0] = c->n_labels;
            c->labels_used = 1;
            return new_expr(MD_EX_LABELS);
        }
        if (c->latent_name && !strcmp(x->name, c->latent_name)) {
            t->ndim = 1;
            t->shape[0] = c->latent_size;
            return new_expr(MD_EX_LATENT);
        }
        if (ck_find_net(c, x->name) >= 0) {
            fe_error(c->d, x->loc, "'%s' is a network; call it on its inputs, e.g. '%s(...)'", x->name, x->name);
            return NULL;
        }
        char hint[96];
        suggest_value(c, x->name, hint, sizeof hint);
        fe_error(c->d, x->loc, "unknown name '%s'%s", x->name, hint);
        return NULL;
    }
    case AE_CALL:
        return lcall(c, x, NULL, x->loc, t);
    case AE_FIELD:
        if (x->a->kind != AE_CALL) {
            fe_error(c->d, x->name_loc, "'.%s' selects a head of a network call, e.g. 'D(x).%s'", x->name, x->name);
            return NULL;
        }
        return lcall(c, x->a, x->name, x->name_loc, t);
    default:
        fe_error(c->d, x->loc, "expected a network output, e.g. 'D(x).adv'");
        return NULL;
    }
}

static int depends_on(const md_expr *e, int net)
{
    if (!e || e->kind != MD_EX_CALL)
        return 0;
    if (e->network == net)
        return 1;
    for (int i = 0; i < e->n_args; i++)
        if (depends_on(e->args[i], net))
            return 1;
    return 0;
}

typedef struct {
    ck *c;
    md_objective *o;
    int cap;
    fe_loc term_loc[8];
    int err;
} lin_ctx;

static int const_value(ast_expr *x, double *v)
{
    int neg = 0;
    while (x->kind == AE_NEG && neg < 1000000) {
        x = x->a;
        neg ^= 1;
    }
    if (x->kind == AE_NUM) {
        *v = neg ? -x->num : x->num;
        return 1;
    }
    return 0;
}

static void add_term(lin_ctx *lc, ast_expr *x, double coef)
{
    ck *c = lc->c;
    const loss_row *f = loss_find(x->name);
    if (!f) {
        char names[256], expected[280];
        if (ck_find_net(c, x->name) >= 0) {
            loss_names_list(names, sizeof names, ", ");
            fe_error(c->d, x->loc, "a network output is not a loss; wrap it in a loss function (%s)", names);
        } else {
            const char *cands[16];
            int nc = loss_names(cands, 16);
            loss_names_list(names, sizeof names, " or ");
            snprintf(expected, sizeof expected, " (expected %s)", names);
            fe_error_unknown(c->d, x->name_loc, "unknown loss function", x->name, cands, nc, expected);
        }
        lc->err = 1;
        return;
    }
    int want = f->target == LOSS_TARGET_NONE ? 1 : 2;
    if (x->args->n != want) {
        fe_error(c->d, x->loc, "%s takes %d argument%s, got %d", x->name, want, want == 1 ? "" : "s", x->args->n);
        lc->err = 1;
        return;
    }
    ast_expr *ax = ((ast_list *)x->args->v[0])->v[0];
    vty t;
    md_expr *a = lval(c, ax, &t);
    if (!a) {
        lc->err = 1;
        return;
    }
    if (a->kind != MD_EX_CALL) {
        char got[160];
        describe(c, a, &t, got, sizeof got);
        fe_error(c->d, ax->loc, "%s needs a network output, got %s", x->name, got);
        md_expr_free(a);
        lc->err = 1;
        return;
    }
    char b1[160], b2[160];
    long long n = t.ndim == 3 ? (long long)t.shape[0] * t.shape[1] * t.shape[2] : t.shape[0];
    if (f->score_head && n != 1) {
        describe(c, a, &t, b1, sizeof b1);
        fe_error(c->d, ax->loc, "%s needs a head of size 1 (a critic score), got %s", x->name, b1);
        md_expr_free(a);
        lc->err = 1;
        return;
    }
    md_loss_term term;
    memset(&term, 0, sizeof term);
    term.kind = f->kind;
    term.arg = a;
    term.weight = (float)coef;
    term.scale = 1;
    if (f->signed_scale) {
        /* "-mean(e)": the sign goes into the scale, the magnitude into the weight */
        term.scale = coef < 0 ? -1.0f : 1.0f;
        term.weight = (float)fabs(coef);
    }
    if (f->target != LOSS_TARGET_NONE) {
        ast_expr *tx = ((ast_list *)x->args->v[1])->v[0];
        double cv;
        if (const_value(tx, &cv)) {
            if (f->target == LOSS_TARGET_ONE_OF || f->target == LOSS_TARGET_LABELS) {
                fe_error(c->d, tx->loc, "%s needs the labels 'y' as its target, not a constant", x->name);
                goto fail;
            }
            if (f->target == LOSS_TARGET_UNIT && !(cv >= 0 && cv <= 1)) {
                fe_error(c->d, tx->loc, "a %s target must be from 0 to 1, got %g", x->name, cv);
                goto fail;
            }
            if (!isfinite(cv) || fabs(cv) > 1e30) {
                fe_error(c->d, tx->loc, "a %s target must be a finite number, got %g", x->name, cv);
                goto fail;
            }
            term.const_target = (float)cv;
        } else {
            vty tt;
            md_expr *te = lval(c, tx, &tt);
            if (!te)
                goto fail;
            term.target = te;
            if (te->kind != MD_EX_LABELS) {
                describe(c, te, &tt, b1, sizeof b1);
                fe_error(c->d, tx->loc, "%s target must be the labels 'y'%s, got %s", x->name,
                         f->target == LOSS_TARGET_UNIT    ? " or a constant 0..1"
                         : f->target == LOSS_TARGET_CONST ? " or a constant"
                                                          : "",
                         b1);
                goto fail;
            }
            if (f->target == LOSS_TARGET_LABELS && c->label_kind != GAN_LABELS_MULTI) {
                fe_error(c->d, x->name_loc, "%s balances each attribute's classes: it needs multilabel 'labels [...]'; these are one_of: use softmax_ce", x->name);
                goto fail;
            }
            if (f->target == LOSS_TARGET_ONE_OF && c->label_kind != GAN_LABELS_CATEGORICAL) {
                fe_error(c->d, x->name_loc, "%s needs 'labels one_of [...]' (one class per image); these labels are multilabel: use bce", x->name);
                goto fail;
            }
            if (tt.ndim != t.ndim || memcmp(tt.shape, t.shape, sizeof t.shape)) {
                describe(c, a, &t, b1, sizeof b1);
                describe(c, te, &tt, b2, sizeof b2);
                fe_error(c->d, x->loc, "%s compares %s with %s: the shapes differ", x->name, b1, b2);
                goto fail;
            }
        }
    }
    if (coef == 0) {
        fe_error(c->d, x->loc, "this term has weight 0");
        goto fail;
    }
    if (lc->o->n_terms >= 8) {
        fe_error(c->d, x->loc, "a loss has at most 8 terms");
        goto fail;
    }
    if (lc->o->n_terms == lc->cap) {
        int cap = lc->cap ? lc->cap * 2 : 4;
        md_loss_term *nt = realloc(lc->o->terms, sizeof(md_loss_term) * (size_t)cap);
        if (!nt)
            goto fail;
        lc->o->terms = nt;
        lc->cap = cap;
    }
    lc->term_loc[lc->o->n_terms] = x->loc;
    lc->o->terms[lc->o->n_terms++] = term;
    return;
fail:
    md_expr_free(term.arg);
    md_expr_free(term.target);
    lc->err = 1;
}

/* Walks a loss expression as a linear combination of loss-function calls. */
static void lin_inner(lin_ctx *lc, ast_expr *x, double coef);

static void lin(lin_ctx *lc, ast_expr *x, double coef)
{
    if (lc->c->depth >= 500) {
        fe_error(lc->c->d, x->loc, "loss expression nested too deeply (more than 500 levels)");
        lc->err = 1;
        return;
    }
    lc->c->depth++;
    lin_inner(lc, x, coef);
    lc->c->depth--;
}

static void lin_inner(lin_ctx *lc, ast_expr *x, double coef)
{
    ck *c = lc->c;
    double v;
    switch (x->kind) {
    case AE_BIN:
        if (x->op == '+' || x->op == '-') {
            lin(lc, x->a, coef);
            lin(lc, x->b, x->op == '+' ? coef : -coef);
        } else if (x->op == '*') {
            if (const_value(x->a, &v))
                lin(lc, x->b, coef * v);
            else if (const_value(x->b, &v))
                lin(lc, x->a, coef * v);
            else {
                fe_error(c->d, x->loc, "a loss can only be multiplied by a constant weight");
                lc->err = 1;
            }
        } else {
            if (const_value(x->b, &v) && v != 0)
                lin(lc, x->a, coef / v);
            else {
                fe_error(c->d, x->loc, "a loss can only be divided by a non-zero constant");
                lc->err = 1;
            }
        }
        return;
    case AE_NEG:
        lin(lc, x->a, -coef);
        return;
    case AE_CALL:
        add_term(lc, x, coef);
        return;
    case AE_NUM:
        fe_error(c->d, x->loc, "a constant alone is not a loss term");
        lc->err = 1;
        return;
    case AE_FIELD: {
        char names[256];
        loss_names_list(names, sizeof names, ", ");
        fe_error(c->d, x->loc, "a network output is not a loss; wrap it in a loss function (%s)", names);
        lc->err = 1;
        return;
    }
    default: {
        char hint[96];
        suggest_value(c, x->name ? x->name : "", hint, sizeof hint);
        fe_error(c->d, x->loc, "expected a loss function such as bce(D(x).cls, y)");
        lc->err = 1;
    }
    }
}

static int find_obj(ck *c, int net)
{
    for (int i = 0; i < c->n_obj; i++)
        if (c->obj[i].network == net)
            return i;
    return -1;
}

static int net_or_error(ck *c, ast_stmt *s)
{
    int n = ck_find_net(c, s->name);
    if (n >= 0)
        return n;
    unknown_net(c, s->name, s->name_loc);
    return -1;
}

/* The setting's index in settings, or -1 after reporting an unknown one or a name value. */
static int setting_index(ck *c, const ast_stmt *s, const char *const *settings)
{
    int k = fe_name_index(s->name, settings, 6);
    if (k < 0) {
        /* a schedule or a learning rate is the optimizer's, not the train block's */
        int opt = strstr(s->name, "lr") || strstr(s->name, "schedule") || strstr(s->name, "beta");
        fe_error_unknown(c->d, s->name_loc, "unknown train setting", s->name, settings, 6,
                         opt ? " (learning rates and schedules are optimizer options, e.g. "
                               "'optimizer G = adam(lr 1e-4, schedule cosine)'; the train "
                               "settings are batch, d_steps, epochs, steps, sample_every, "
                               "checkpoint_every)"
                             : " (expected batch, d_steps, epochs, steps, sample_every, checkpoint_every)");
        return -1;
    }
    if (s->value->kind != AE_NUM) {
        fe_error(c->d, s->value->loc, "%s needs a number, got the name '%s'", settings[k],
                 s->value->name);
        return -1;
    }
    return k;
}

void ck_train(ck *c)
{
    ast_decl *td = c->train;
    gan_hyper *h = &c->hyper;
    h->batch = 64;
    h->d_steps = 1;
    static const char *const settings[] = {"batch", "d_steps", "epochs", "steps", "sample_every", "checkpoint_every"};
    int seen[6] = {0};
    fe_loc setting_loc[6];
    /* settings first, so losses can be checked in any order */
    for (int i = 0; i < td->body->n; i++) {
        ast_stmt *s = td->body->v[i];
        if (s->kind != AS_SETTING)
            continue;
        int k = setting_index(c, s, settings);
        if (k < 0)
            continue;
        if (seen[k]) {
            fe_error(c->d, s->name_loc, "'%s' given twice", settings[k]);
            continue;
        }
        seen[k] = 1;
        setting_loc[k] = s->name_loc;
        double v = s->value->num;
        double hi = k == 0 ? GAN_HYPER_MAX_BATCH : k == 1 ? GAN_HYPER_MAX_D_STEPS
                    : k == 3 ? (double)GAN_HYPER_MAX_STEPS : GAN_HYPER_MAX_COUNT;
        if (!s->value->is_int || v < 1 || v > hi) {
            fe_error(c->d, s->value->loc, "%s must be a whole number from 1 to %.0f", settings[k], hi);
            continue;
        }
        switch (k) {
        case 0: h->batch = (int32_t)v; break;
        case 1: h->d_steps = (int32_t)v; break;
        case 2: h->epochs = (int32_t)v; break;
        case 3: h->steps = (int64_t)v; break;
        case 4: h->sample_every = (int32_t)v; break;
        case 5: h->ckpt_every = (int32_t)v; break;
        }
    }
    if (seen[2] && seen[3])
        fe_error(c->d, setting_loc[3], "give 'epochs' or 'steps', not both");
    else if (!seen[2] && !seen[3])
        fe_error(c->d, (fe_loc){td->loc.start, td->loc.start + 5}, "the train block needs a budget: 'epochs N' or 'steps N'");

    for (int i = 0; i < td->body->n; i++) {
        ast_stmt *s = td->body->v[i];
        if (s->kind != AS_LOSS)
            continue;
        int net = net_or_error(c, s);
        if (net < 0)
            continue;
        int oi = find_obj(c, net);
        if (oi >= 0 && c->obj_loss[oi]) {
            fe_error(c->d, s->name_loc, "second loss for '%s' (write one loss as a sum of terms)", s->name);
            fe_note(c->d, c->obj_loss[oi]->name_loc, "the first one is here");
            continue;
        }
        if (oi < 0) {
            oi = c->n_obj++;
            memset(&c->obj[oi], 0, sizeof c->obj[oi]);
            c->obj[oi].network = net;
        }
        c->obj_loss[oi] = s;
        lin_ctx lc = {c, &c->obj[oi], 0, {{0, 0}}, 0};
        lin(&lc, s->value, 1.0);
        if (lc.err)
            continue;
        int any = 0;
        for (int t = 0; t < c->obj[oi].n_terms; t++)
            any |= depends_on(c->obj[oi].terms[t].arg, net);
        if (!any) {
            fe_error(c->d, s->value->loc, "the loss for '%s' does not depend on %s's parameters: no term calls '%s'",
                     s->name, s->name, s->name);
            continue;
        }
        for (int t = 0; t < c->obj[oi].n_terms; t++)
            if (!depends_on(c->obj[oi].terms[t].arg, net))
                fe_warning(c->d, lc.term_loc[t], "this term does not depend on %s's parameters; it does not train '%s'",
                           s->name, s->name);
    }
    for (int i = 0; i < td->body->n; i++) {
        ast_stmt *s = td->body->v[i];
        if (s->kind != AS_OPTIMIZER && s->kind != AS_EMA)
            continue;
        int net = net_or_error(c, s);
        if (net < 0)
            continue;
        int oi = find_obj(c, net);
        if (oi < 0) {
            if (s->kind == AS_OPTIMIZER)
                fe_error(c->d, s->name_loc, "optimizer for '%s', but '%s' has no loss to minimize", s->name, s->name);
            else
                fe_error(c->d, s->name_loc, "ema of '%s', but '%s' has no loss (it is never trained)", s->name, s->name);
            continue;
        }
        if (s->kind == AS_OPTIMIZER) {
            if (c->obj_opt[oi]) {
                fe_error(c->d, s->name_loc, "second optimizer for '%s'", s->name);
                continue;
            }
            c->obj_opt[oi] = s;
            ck_optimizer(c, s, &c->obj[oi]);
        } else {
            if (c->obj_ema[oi]) {
                fe_error(c->d, s->name_loc, "second ema for '%s'", s->name);
                continue;
            }
            c->obj_ema[oi] = s;
            double v = s->value->num;
            if (!(v > 0 && v < 1)) {
                fe_error(c->d, s->value->loc, "ema decay must be between 0 and 1 (exclusive), got %g", v);
                continue;
            }
            c->obj[oi].ema_decay = (float)v;
        }
    }
    for (int i = 0; i < c->n_obj; i++)
        if (c->obj_loss[i] && !c->obj_opt[i])
            fe_error(c->d, c->obj_loss[i]->name_loc, "'%s' has a loss but no optimizer (add 'optimizer %s = adam(lr ...)')",
                     c->nets[c->obj[i].network].net.name, c->nets[c->obj[i].network].net.name);
    if (c->n_obj == 0)
        fe_error(c->d, (fe_loc){td->loc.start, td->loc.start + 5}, "the train block has no loss");
    for (int i = 0; c->d->n_errors == 0 && i < c->n_nets; i++)
        for (int h = 0; c->nets[i].used && h < c->nets[i].net.n_heads; h++)
            if (!c->nets[i].head_used[h]) {
                ast_param *hp = NULL;
                for (int j = 0; j < c->nets[i].decl->heads->n; j++)
                    if (!strcmp(((ast_param *)c->nets[i].decl->heads->v[j])->name, c->nets[i].net.heads[h].name))
                        hp = c->nets[i].decl->heads->v[j];
                if (hp)
                    fe_warning(c->d, hp->loc, "head '%s' of '%s' is never used in a loss", hp->name, c->nets[i].net.name);
            }
    for (int i = 0; c->d->n_errors == 0 && i < c->n_nets; i++)
            if (!c->nets[i].used)
                fe_warning(c->d, c->nets[i].decl->name_loc, "network '%s' is never used in a loss", c->nets[i].net.name);
            else if (find_obj(c, i) < 0)
                fe_warning(c->d, c->nets[i].decl->name_loc, "network '%s' has no loss of its own: its parameters stay at their initial values",
                           c->nets[i].net.name);
}
