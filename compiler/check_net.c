/* Network bodies: statements (assignments, loops, defaults), the formal inputs and the heads
 * of each network, its role's rules, and the names of its nodes (conv1, bn2, ...). */
#include "compiler/check_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void elab_stmts(env *e, ast_list *stmts, int depth);

static void elab_stmt(env *e, ast_stmt *s, int depth)
{
    ck *c = e->c;
    if (e->too_big)
        return;
    switch (s->kind) {
    case AS_ASSIGN: {
        int n = ck_elab_value(e, s->value);
        if (n < 0) {
            /* keep the name bound (to nothing) so later uses do not cascade */
            n = -2;
        }
        ck_var *v = ck_lookup_var(e, s->name);
        if (v && v->formal >= 0) {
            fe_error(c->d, s->name_loc, "cannot assign to the input '%s'", s->name);
            return;
        }
        if (!v) {
            if (e->n_vars >= 128) {
                fe_error(c->d, s->name_loc, "too many names in one network");
                return;
            }
            v = &e->vars[e->n_vars++];
            v->name = s->name;
            v->formal = -1;
        }
        v->node = n;
        v->def = s;
        return;
    }
    case AS_FOR:
    case AS_REPEAT: {
        if (depth > 8) {
            fe_error(c->d, s->loc, "loops nested too deeply");
            return;
        }
        int count = 0;
        if (s->kind == AS_REPEAT) {
            if (ck_eval_pos_int(e, s->value, "repeat count", 1, 1000, &count))
                return;
        } else {
            count = s->values->n;
            if (count == 0) {
                fe_warning(c->d, s->loc, "loop over an empty list does nothing");
                return;
            }
            if (e->n_loops >= 16) {
                fe_error(c->d, s->loc, "loops nested too deeply");
                return;
            }
        }
        for (int i = 0; i < count && !e->too_big; i++) {
            int errs = c->d->n_errors;
            if (s->kind == AS_FOR) {
                long long v;
                if (ck_eval_int(e, s->values->v[i], &v))
                    return;
                e->loops[e->n_loops].name = s->name;
                e->loops[e->n_loops].value = (int)v;
                e->loops[e->n_loops].loop = s;
                e->n_loops++;
            }
            int ndefs = e->n_defs;
            elab_stmts(e, s->body, depth + 1);
            e->n_defs = ndefs;
            if (s->kind == AS_FOR)
                e->n_loops--;
            if (c->d->n_errors > errs)
                return; /* one report per loop body, not one per iteration */
        }
        return;
    }
    case AS_DEFAULTS:
        ck_check_defaults(c, e, s);
        if (e->n_defs < 64)
            e->defs[e->n_defs++] = s;
        return;
    default:
        fe_error(c->d, s->loc, "this statement does not belong in a network");
    }
}

static void elab_stmts(env *e, ast_list *stmts, int depth)
{
    for (int i = 0; stmts && i < stmts->n; i++)
        elab_stmt(e, stmts->v[i], depth);
}

static int vector_type(int k, int size, int *kind, int *ndim, int *shape)
{
    *kind = k;
    *ndim = 1;
    shape[0] = size;
    return 0;
}

/* The kind and shape a formal input or head type stands for. -1 on error. */
static int type_shape(ck *c, ast_expr *t, const char *what, int *kind, int *ndim, int *shape)
{
    shape[0] = shape[1] = shape[2] = 0;
    if (t->kind == AE_IDENT) {
        if (!strcmp(t->name, "image")) {
            if (!c->have_image)
                return -1; /* reported at the data block */
            *kind = MD_IN_IMAGE;
            *ndim = 3;
            shape[0] = c->img_c;
            shape[1] = c->img_h;
            shape[2] = c->img_w;
            return 0;
        }
        if (!strcmp(t->name, "labels")) {
            if (!c->n_labels) {
                fe_error(c->d, t->loc, "%s has type 'labels', but the data block declares no labels", what);
                return -1;
            }
            c->labels_used = 1;
            return vector_type(MD_IN_LABELS, c->n_labels, kind, ndim, shape);
        }
        if (!strcmp(t->name, "latent")) {
            if (!c->latent_size) {
                fe_error(c->d, t->loc, "%s has type 'latent', but the model declares no latent", what);
                return -1;
            }
            return vector_type(MD_IN_LATENT, c->latent_size, kind, ndim, shape);
        }
        static const char *const tys[] = {"image", "labels", "latent"};
        fe_error_unknown(c->d, t->loc, "unknown type", t->name, tys, 3,
                         " (expected image, labels, latent, a size or C x H x W)");
        return -1;
    }
    if (t->kind == AE_NUM) {
        if (!t->is_int || t->num < 1 || t->num > (1 << 24)) {
            fe_error(c->d, t->loc, "a size must be a whole number from 1 to %d", 1 << 24);
            return -1;
        }
        return vector_type(MD_IN_TENSOR, (int)t->num, kind, ndim, shape);
    }
    if (t->kind == AE_DIMS && t->ndims == 3) {
        for (int i = 0; i < 3; i++)
            if (t->dims[i] < 1 || t->dims[i] > 4096) {
                fe_error(c->d, t->loc, "shape sizes must be from 1 to 4096");
                return -1;
            }
        *kind = MD_IN_TENSOR;
        *ndim = 3;
        memcpy(shape, t->dims, sizeof(int) * 3);
        return 0;
    }
    fe_error(c->d, t->loc, "a shape must be a size N or C x H x W");
    return -1;
}
/* Formal inputs become MD_INPUT nodes bound to their names; untyped, x is the image, y the
 * labels and the latent's name the latent. */
static void bind_inputs(ck *c, env *e)
{
    ck_net *ni = e->ni;
    ast_decl *nd = ni->decl;
    for (int i = 0; i < nd->params->n; i++) {
        ast_param *p = nd->params->v[i];
        int kind = MD_IN_TENSOR, ndim = 1, shape[3] = {0, 0, 0};
        char what[96];
        snprintf(what, sizeof what, "input '%s'", p->name);
        if (p->type) {
            if (type_shape(c, p->type, what, &kind, &ndim, shape))
                continue;
        } else {
            ast_expr t = {0};
            t.kind = AE_IDENT;
            t.loc = p->loc;
            if (c->latent_name && !strcmp(p->name, c->latent_name))
                t.name = "latent";
            else if (!strcmp(p->name, "x"))
                t.name = "image";
            else if (!strcmp(p->name, "y"))
                t.name = "labels";
            else {
                fe_error(c->d, p->loc, "cannot tell what input '%s' is: write '%s : image', '%s : labels', '%s : latent' or give a shape",
                         p->name, p->name, p->name, p->name);
                continue;
            }
            if (type_shape(c, &t, what, &kind, &ndim, shape))
                continue;
        }
        if (ck_lookup_var(e, p->name)) {
            fe_error(c->d, p->loc, "input '%s' declared twice", p->name);
            continue;
        }
        int idx = ck_add_node(e, MD_INPUT, ck_line_of(e, p->loc));
        if (idx < 0)
            break;
        md_node *n = ck_node(e, idx);
        n->ndim = ndim;
        memcpy(n->shape, shape, sizeof n->shape);
        snprintf(n->name, sizeof n->name, "%s", p->name);
        md_formal *f = &ni->net.inputs[ni->net.n_inputs];
        snprintf(f->name, sizeof f->name, "%s", p->name);
        f->kind = kind;
        f->node = idx;
        ck_var *v = &e->vars[e->n_vars++];
        v->name = p->name;
        v->node = idx;
        v->def = NULL;
        v->formal = ni->net.n_inputs;
        ni->net.n_inputs++;
    }
}

/* A head is the node its name is bound to once the body has run, checked against the type
 * it was declared with. */
static void bind_heads(ck *c, env *e)
{
    ck_net *ni = e->ni;
    ast_decl *nd = ni->decl;
    for (int i = 0; i < nd->heads->n; i++) {
        ast_param *h = nd->heads->v[i];
        for (int j = 0; j < i; j++)
            if (!strcmp(((ast_param *)nd->heads->v[j])->name, h->name))
                fe_error(c->d, h->loc, "head '%s' declared twice", h->name);
        int kind = 0, ndim = 0, shape[3] = {0, 0, 0}, typed = 0;
        if (h->type) {
            char what[96];
            snprintf(what, sizeof what, "head '%s'", h->name);
            if (type_shape(c, h->type, what, &kind, &ndim, shape))
                continue;
            typed = 1;
        }
        ck_var *v = ck_lookup_var(e, h->name);
        if (!v || v->formal >= 0) {
            if (nd->single_head)
                fe_error(c->d, h->loc, "%s '%s' never assigns its output: end the body with 'out = ...'",
                         nd->role == 0 ? "generator" : nd->role == 1 ? "discriminator" : "classifier", nd->name);
            else
                fe_error(c->d, h->loc, "head '%s' of '%s' is never assigned", h->name, nd->name);
            continue;
        }
        if (v->def)
            v->def->used = 1;
        if (v->node < 0)
            continue; /* its definition already failed */
        md_node *hn = ck_node(e, v->node);
        char b1[64], b2[64];
        if (hn->kind == MD_INPUT) {
            fe_error(c->d, v->def ? v->def->name_loc : h->loc, "%s '%s' of '%s' is the input '%s' itself: a network needs at least one layer",
                     nd->single_head ? "output" : "head", h->name, nd->name, hn->name);
            continue;
        }
        if (typed && (hn->ndim != ndim || memcmp(hn->shape, shape, sizeof shape))) {
            fe_error(c->d, v->def ? v->def->name_loc : h->loc, "%s '%s' of '%s' is %s, but it is declared %s",
                     nd->single_head ? "output" : "head", h->name, nd->name,
                     ck_shape_str(hn->ndim, hn->shape, b1, sizeof b1), ck_shape_str(ndim, shape, b2, sizeof b2));
            fe_note(c->d, h->type->loc, "declared here");
            continue;
        }
        md_head *mh = &ni->net.heads[ni->net.n_heads++];
        snprintf(mh->name, sizeof mh->name, "%s", h->name);
        mh->node = v->node;
        ni->head_ndim[ni->net.n_heads - 1] = hn->ndim;
        memcpy(ni->head_shape[ni->net.n_heads - 1], hn->shape, sizeof hn->shape);
    }
}

/* A generator takes the latent and makes the image; the other roles take an image. */
static void check_role(ck *c, const ck_net *ni)
{
    const ast_decl *nd = ni->decl;
    int has_latent = 0, has_image = 0;
    for (int i = 0; i < ni->net.n_inputs; i++) {
        has_latent |= ni->net.inputs[i].kind == MD_IN_LATENT;
        has_image |= ni->net.inputs[i].kind == MD_IN_IMAGE;
    }
    char b1[64], b2[64];
    int img[3] = {c->img_c, c->img_h, c->img_w};
    if (nd->role == GAN_NET_GENERATOR) {
        if (!has_latent)
            fe_error(c->d, nd->name_loc, "generator '%s' takes no latent input (declare 'latent z : N' and write '%s(z, ...)')",
                     nd->name, nd->name);
        else if (ni->net.n_heads != 1)
            fe_error(c->d, nd->name_loc, "generator '%s' must have exactly one output, the image", nd->name);
        else if (ni->head_ndim[0] != 3 || memcmp(ni->head_shape[0], img, sizeof img))
            fe_error(c->d, ((ast_param *)nd->heads->v[0])->loc, "generator '%s' outputs %s, but the image is %s", nd->name,
                     ck_shape_str(ni->head_ndim[0], ni->head_shape[0], b1, sizeof b1), ck_shape_str(3, img, b2, sizeof b2));
    } else if (!has_image) {
        fe_error(c->d, nd->name_loc, "%s '%s' takes no image input (write '%s(x : image, ...)')",
                 nd->role == 1 ? "discriminator" : "classifier", nd->name, nd->name);
    }
}

/* Run only on a network that checked cleanly: an error may be why an input looks unused. */
static void warn_unused_inputs(ck *c, env *e)
{
    const ck_net *ni = e->ni;
    const ast_decl *nd = ni->decl;
    for (int i = 0; i < ni->net.n_inputs; i++)
        if (!e->formal_used[i]) {
            ast_param *p = NULL;
            for (int j = 0; j < nd->params->n; j++)
                if (!strcmp(((ast_param *)nd->params->v[j])->name, ni->net.inputs[i].name))
                    p = nd->params->v[j];
            if (p)
                fe_warning(c->d, p->loc, "input '%s' of '%s' is never used", p->name, nd->name);
        }
}

static void finalize_net(ck_net *ni);

void ck_elab_net(ck *c, ck_net *ni)
{
    ast_decl *nd = ni->decl;
    env *e = calloc(1, sizeof(env));
    if (!e)
        return;
    e->c = c;
    e->ni = ni;
    int errs0 = c->d->n_errors;
    for (int i = 0; i < c->n_gdefs; i++)
        e->defs[e->n_defs++] = c->gdefs[i];
    /* formal inputs */
    if (nd->params->n > 8) {
        fe_error(c->d, ((ast_param *)nd->params->v[8])->loc, "a network takes at most 8 inputs");
        free(e);
        return;
    }
    bind_inputs(c, e);
    if (c->d->n_errors > errs0) {
        free(e);
        return;
    }
    elab_stmts(e, nd->body, 0);
    if (e->too_big && ni->net.n_nodes >= CK_MAX_NODES)
        fe_error(c->d, nd->name_loc, "network '%s' is too large (more than %d layers)", nd->name, CK_MAX_NODES);
    /* heads */
    if (nd->heads->n > 8) {
        fe_error(c->d, ((ast_param *)nd->heads->v[8])->loc, "a network has at most 8 heads");
        free(e);
        return;
    }
    bind_heads(c, e);
    if (c->d->n_errors == errs0)
        check_role(c, ni);
    if (c->d->n_errors == errs0)
        warn_unused_inputs(c, e);
    ni->ok = c->d->n_errors == errs0;
    free(e);
    if (ni->ok)
        finalize_net(ni);
}

void ck_warn_unused(ck *c, ast_list *stmts)
{
    for (int i = 0; stmts && i < stmts->n; i++) {
        ast_stmt *s = stmts->v[i];
        if (s->kind == AS_ASSIGN && !s->used)
            fe_warning(c->d, s->name_loc, "'%s' is assigned but never used", s->name);
        else if (s->kind == AS_FOR || s->kind == AS_REPEAT) {
            if (s->kind == AS_FOR && !s->used && s->values->n)
                fe_warning(c->d, s->name_loc, "loop variable '%s' is never used (write 'repeat %d { ... }')", s->name,
                           s->values->n);
            ck_warn_unused(c, s->body);
        }
        else if (s->kind == AS_DEFAULTS && !s->used)
            fe_warning(c->d, s->loc, "these defaults are never used");
    }
}

/* Rows that share a stem share its count: reshape and flatten both make reshape1, reshape2.
 * The count of the first row with the stem; n_rows for nodes of no row. */
static int stem_index(const layer_row *row, int n_rows)
{
    for (int i = 0; row && i < n_rows; i++)
        if (!strcmp(layer_row_at(i)->stem, row->stem))
            return i;
    return n_rows;
}

/* Drops nodes no head depends on (dead code from unused names), then names the rest
 * "<stem><k>" counting per stem in order: conv1, conv2, bn1, relu1, ... */
static void finalize_net(ck_net *ni)
{
    md_network *net = &ni->net;
    int n = net->n_nodes;
    int n_rows = layer_row_count();
    char *live = calloc((size_t)n + 1, 1);
    int *map = calloc((size_t)n + 1, sizeof(int));
    int *counts = calloc((size_t)n_rows + 1, sizeof(int));
    if (!live || !map || !counts) {
        free(live);
        free(map);
        free(counts);
        return;
    }
    for (int i = 0; i < net->n_heads; i++)
        live[net->heads[i].node] = 1;
    for (int i = n - 1; i >= 0; i--) {
        if (net->nodes[i].kind == MD_INPUT)
            live[i] = 1;
        if (live[i])
            for (int k = 0; k < net->nodes[i].n_in; k++)
                live[net->nodes[i].in[k]] = 1;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (!live[i])
            continue;
        map[i] = m;
        net->nodes[m] = net->nodes[i];
        for (int k = 0; k < net->nodes[m].n_in; k++)
            net->nodes[m].in[k] = map[net->nodes[m].in[k]];
        m++;
    }
    net->n_nodes = m;
    for (int i = 0; i < net->n_heads; i++)
        net->heads[i].node = map[net->heads[i].node];
    for (int i = 0; i < net->n_inputs; i++)
        net->inputs[i].node = map[net->inputs[i].node];
    for (int i = 0; i < m; i++) {
        md_node *nd = &net->nodes[i];
        if (nd->kind == MD_INPUT)
            continue;
        const layer_row *row = layer_of_node(nd);
        snprintf(nd->name, sizeof nd->name, "%s%d", row ? row->stem : "node", ++counts[stem_index(row, n_rows)]);
    }
    free(live);
    free(map);
    free(counts);
}
