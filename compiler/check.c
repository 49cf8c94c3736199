/* The checker, part 1: the top-level driver (fe_compile), the data and latent blocks, defaults,
 * and the elaboration of network bodies into md_network nodes with inferred shapes.
 * Loops are unrolled here; every layer gets its options merged from the defaults in scope,
 * its shape inferred, and its TF-style padding resolved into explicit pads. */
#include "compiler/check_internal.h"
#include "compiler/frontend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "common/names.h"
#include <string.h>


const char *ck_shape_str(int ndim, const int *shape, char *buf, size_t len)
{
    if (ndim == 3)
        snprintf(buf, len, "[%d, %d, %d]", shape[0], shape[1], shape[2]);
    else
        snprintf(buf, len, "[%d]", shape[0]);
    return buf;
}

const char *fe_shape_str(int ndim, const int *shape, char *buf, size_t len)
{
    return ck_shape_str(ndim, shape, buf, len);
}

int ck_find_net(const ck *c, const char *name)
{
    for (int i = 0; i < c->n_nets; i++)
        if (!strcmp(c->nets[i].net.name, name))
            return i;
    return -1;
}

/* ------------------------------------------------------------------ data & latent */

static void check_data(ck *c, ast_decl *dd)
{
    int have_range = 0, have_labels = 0, image_given = 0;
    static const char *const keys[] = {"image", "range", "labels"};
    for (int i = 0; dd->body && i < dd->body->n; i++) {
        ast_stmt *it = dd->body->v[i];
        if (!strcmp(it->name, "image")) {
            int again = image_given;
            image_given = 1;
            if (again) {
                fe_error(c->d, it->name_loc, "'image' given twice");
                continue;
            }
            ast_expr *v = it->value;
            if (!v || v->kind != AE_DIMS || v->ndims != 3) {
                fe_error(c->d, v ? v->loc : it->loc, "image needs channels x height x width, e.g. 'image 3 x 64 x 64'");
                continue;
            }
            int ok = 1;
            for (int k = 0; k < 3; k++)
                if (v->dims[k] < 1 || v->dims[k] > (k == 0 ? 64 : 4096))
                    ok = 0;
            if (!ok) {
                fe_error(c->d, v->loc, "image size %d x %d x %d is out of range (channels 1..64, height and width 1..4096)",
                         v->dims[0], v->dims[1], v->dims[2]);
                continue;
            }
            c->img_c = v->dims[0];
            c->img_h = v->dims[1];
            c->img_w = v->dims[2];
            c->have_image = 1;
        } else if (!strcmp(it->name, "range")) {
            if (have_range) {
                fe_error(c->d, it->name_loc, "'range' given twice");
                continue;
            }
            if (!it->values || it->values->n != 2 || ((ast_expr *)it->values->v[0])->kind != AE_NUM) {
                fe_error(c->d, it->value ? it->value->loc : it->loc, "range needs two numbers, e.g. 'range [-1, 1]'");
                continue;
            }
            double lo = ((ast_expr *)it->values->v[0])->num, hi = ((ast_expr *)it->values->v[1])->num;
            if (!(lo < hi) || !isfinite(lo) || !isfinite(hi)) {
                fe_error(c->d, it->value->loc, "range [%g, %g] is empty: the low end must be below the high end", lo, hi);
                continue;
            }
            c->lo = (float)lo;
            c->hi = (float)hi;
            have_range = 1;
        } else if (!strcmp(it->name, "labels")) {
            if (have_labels) {
                fe_error(c->d, it->name_loc, "'labels' given twice");
                continue;
            }
            have_labels = 1;
            c->labels_loc = it->name_loc;
            if (!it->values || (it->values->n && ((ast_expr *)it->values->v[0])->kind != AE_IDENT) || it->value) {
                fe_error(c->d, it->value ? it->value->loc : it->loc, "labels needs a list of CelebA attribute names, e.g. 'labels [Smiling, Male]'");
                continue;
            }
            int kind = GAN_LABELS_MULTI;
            /* after an error, keep a label count so the networks still check without cascading */
            c->n_labels = it->values->n < CK_MAX_LABELS ? it->values->n : CK_MAX_LABELS;
            for (int k = 0; k < c->n_labels; k++)
                c->labels[k] = "?";
            c->label_kind = kind;
            if (it->modifier) {
                if (strcmp(it->modifier, "one_of")) {
                    static const char *const mods[] = {"one_of"};
                    const char *s = fe_suggest(it->modifier, mods, 1);
                    fe_error(c->d, it->modifier_loc, "unknown label kind '%s'%s%s%s", it->modifier,
                             s ? "; did you mean '" : "; write 'labels [..]' (multilabel) or 'labels one_of [..]' (one class",
                             s ? s : ")", s ? "'?" : "");
                    continue;
                }
                kind = GAN_LABELS_CATEGORICAL;
            }
            c->label_kind = kind;
            if (it->values->n == 0) {
                c->n_labels = 0;
                fe_error(c->d, it->loc, "labels list is empty (leave out 'labels' for an unconditional model)");
                continue;
            }
            if (kind == GAN_LABELS_CATEGORICAL && it->values->n < 2) {
                fe_error(c->d, it->loc, "'labels one_of' needs at least two classes");
                continue;
            }
            int n = 0, bad = 0;
            for (int k = 0; k < it->values->n; k++) {
                ast_expr *e = it->values->v[k];
                int found = -1;
                for (int a = 0; a < 40; a++)
                    if (!strcmp(gan_celeba_attr_names[a], e->name))
                        found = a;
                if (found < 0) {
                    const char *s = fe_suggest(e->name, gan_celeba_attr_names, 40);
                    if (s)
                        fe_error(c->d, e->loc, "unknown CelebA attribute '%s'; did you mean '%s'?", e->name, s);
                    else
                        fe_error(c->d, e->loc, "unknown CelebA attribute '%s'", e->name);
                    bad = 1;
                    continue;
                }
                int dup = 0;
                for (int j = 0; j < n; j++)
                    if (!strcmp(c->labels[j], e->name))
                        dup = 1;
                if (dup) {
                    fe_error(c->d, e->loc, "attribute '%s' is listed twice", e->name);
                    bad = 1;
                    continue;
                }
                if (n < CK_MAX_LABELS)
                    c->labels[n++] = gan_celeba_attr_names[found];
            }
            if (!bad)
                c->n_labels = n;
        } else {
            const char *s = fe_suggest(it->name, keys, 3);
            if (s)
                fe_error(c->d, it->name_loc, "unknown data setting '%s'; did you mean '%s'?", it->name, s);
            else
                fe_error(c->d, it->name_loc, "unknown data setting '%s' (expected image, range or labels)", it->name);
        }
    }
    if (!image_given)
        fe_error(c->d, dd->loc.start >= 0 ? (fe_loc){dd->loc.start, dd->loc.start + 4} : dd->loc,
                 "data block has no 'image C x H x W'");
}

static void check_latent(ck *c, ast_decl *ld)
{
    ast_expr *sz = ld->size;
    if (!sz->is_int || sz->num < 1 || sz->num > 1e6) {
        fe_error(c->d, sz->loc, "latent size must be a whole number from 1 to 1000000");
        return;
    }
    c->latent_size = (int)sz->num;
    c->latent_name = ld->name;
    c->latent_dist = GAN_LATENT_NORMAL;
    if (ld->dist) {
        if (!strcmp(ld->dist, "normal"))
            c->latent_dist = GAN_LATENT_NORMAL;
        else if (!strcmp(ld->dist, "uniform"))
            c->latent_dist = GAN_LATENT_UNIFORM;
        else {
            static const char *const dists[] = {"normal", "uniform"};
            const char *s = fe_suggest(ld->dist, dists, 2);
            fe_error(c->d, ld->dist_loc, "unknown distribution '%s'; %s%s%s", ld->dist,
                     s ? "did you mean '" : "expected normal or uniform", s ? s : "", s ? "'?" : "");
        }
    }
    if (!strcmp(ld->name, "x") || !strcmp(ld->name, "y"))
        fe_error(c->d, ld->name_loc, "the latent cannot be called '%s': 'x' is the image and 'y' the labels", ld->name);
}

/* ------------------------------------------------------------------ layers and options */

enum {
    O_KERNEL, O_STRIDE, O_PADDING, O_INIT, O_MOMENTUM, O_EPS, O_ALPHA, O_FACTOR,
    O_SN, O_NO_SN, O_BIAS, O_NO_BIAS, O_AFFINE, O_NO_AFFINE, O_COUNT
};
static const char *const opt_names[O_COUNT] = {
    "kernel", "stride", "padding", "init", "momentum", "eps", "alpha", "factor",
    "spectral_norm", "no_spectral_norm", "bias", "no_bias", "affine", "no_affine",
};
static const int opt_has_value[O_COUNT] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
/* Flags map onto one logical slot each: spectral_norm/no_spectral_norm -> O_SN, etc. */
static int opt_slot(int o)
{
    return o == O_NO_SN ? O_SN : o == O_NO_BIAS ? O_BIAS : o == O_NO_AFFINE ? O_AFFINE : o;
}

#define OB(o) (1u << (o))
#define W_OPTS (OB(O_INIT) | OB(O_SN) | OB(O_NO_SN) | OB(O_BIAS) | OB(O_NO_BIAS))

enum {
    L_DENSE, L_CONV, L_CONV_T, L_UPSAMPLE, L_BATCHNORM, L_RELU, L_LEAKY, L_TANH, L_SIGMOID,
    L_CONCAT, L_RESHAPE, L_FLATTEN, L_GAP, L_PROJECT, L_ADD, L_COUNT
};
typedef struct {
    const char *name;
    unsigned opts;
    int min_pos, max_pos; /* positional arguments (for tensor-taking layers: besides the input) */
    int defaultable;      /* may have a 'defaults' block */
} layer_desc;
static const layer_desc layers[L_COUNT] = {
    [L_DENSE] = {"dense", W_OPTS, 1, 1, 1},
    [L_CONV] = {"conv", W_OPTS | OB(O_KERNEL) | OB(O_STRIDE) | OB(O_PADDING), 1, 1, 1},
    [L_CONV_T] = {"conv_t", W_OPTS | OB(O_KERNEL) | OB(O_STRIDE) | OB(O_PADDING), 1, 1, 1},
    [L_UPSAMPLE] = {"upsample", OB(O_FACTOR), 0, 1, 1},
    [L_BATCHNORM] = {"batchnorm", OB(O_MOMENTUM) | OB(O_EPS) | OB(O_AFFINE) | OB(O_NO_AFFINE), 0, 0, 1},
    [L_RELU] = {"relu", 0, 0, 0, 0},
    [L_LEAKY] = {"leaky_relu", OB(O_ALPHA), 0, 1, 1},
    [L_TANH] = {"tanh", 0, 0, 0, 0},
    [L_SIGMOID] = {"sigmoid", 0, 0, 0, 0},
    [L_CONCAT] = {"concat", 0, 1, 7, 0},
    [L_RESHAPE] = {"reshape", 0, 1, 3, 0},
    [L_FLATTEN] = {"flatten", 0, 0, 0, 0},
    [L_GAP] = {"global_avg_pool", 0, 0, 0, 0},
    [L_PROJECT] = {"project", OB(O_INIT) | OB(O_SN) | OB(O_NO_SN), 1, 1, 1},
    [L_ADD] = {"add", 0, 1, 1, 0},
};
static const char *const layer_names[L_COUNT] = {
    "dense", "conv", "conv_t", "upsample", "batchnorm", "relu", "leaky_relu", "tanh", "sigmoid",
    "concat", "reshape", "flatten", "global_avg_pool", "project", "add",
};

static int find_layer(const char *name)
{
    for (int i = 0; i < L_COUNT; i++)
        if (!strcmp(layers[i].name, name))
            return i;
    return -1;
}

typedef struct {
    int set;
    int flag;          /* flags: 1 on, 0 off */
    ast_expr *val;
    fe_loc loc;        /* the option's name */
} opt_slot_t;

typedef struct {
    const char *name;
    int node;
    ast_stmt *def;     /* NULL for formal inputs */
    int formal;        /* index of the formal, or -1 */
} ck_var;

typedef struct {
    const char *name;
    int value;
    ast_stmt *loop;    /* marked used when the variable is read */
} ck_loopvar;

typedef struct {
    ck *c;
    ck_net *ni;
    ck_var vars[128];
    int n_vars;
    ck_loopvar loops[16];
    int n_loops;
    ast_stmt *defs[64];
    int n_defs;
    int formal_used[8];
    int too_big;
    int depth;         /* expression nesting, bounded so no input can exhaust the C stack */
} env;

static int lookup_loop(env *e, const char *name, int *v)
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

static ck_var *lookup_var(env *e, const char *name)
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

/* Whole-number expressions: numbers, loop variables, 'labels' (the label count), + - * /. */
static int eval_int(env *e, ast_expr *x, long long *out)
{
    ck *c = e->c;
    switch (x->kind) {
    case AE_NUM:
        if (!x->is_int || x->num > 1e9) {
            fe_error(c->d, x->loc, "expected a whole number, got %g", x->num);
            return -1;
        }
        *out = (long long)x->num;
        return 0;
    case AE_IDENT: {
        int v;
        if (lookup_loop(e, x->name, &v)) {
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
        if (lookup_var(e, x->name)) {
            fe_error(c->d, x->loc, "'%s' is a tensor; a whole number is expected here", x->name);
            return -1;
        }
        char hint[96];
        suggest_name(e, x->name, hint, sizeof hint);
        fe_error(c->d, x->loc, "unknown name '%s'%s", x->name, hint);
        return -1;
    }
    case AE_BIN: {
        long long a, b;
        if (e->depth >= 500) {
            fe_error(c->d, x->loc, "expression too long or nested too deeply (more than 500 steps)");
            return -1;
        }
        e->depth++;
        int bad = eval_int(e, x->a, &a) || eval_int(e, x->b, &b);
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

static int eval_pos_int(env *e, ast_expr *x, const char *what, int lo, int hi, int *out)
{
    long long v;
    if (eval_int(e, x, &v))
        return -1;
    if (v < lo || v > hi) {
        fe_error(e->c->d, x->loc, "%s must be from %d to %d, got %lld", what, lo, hi, v);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int eval_float(env *e, ast_expr *x, const char *what, double lo, double hi, float *out)
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
    if (eval_int(e, x, &v))
        return -1;
    if (v < lo || v > hi) {
        fe_error(e->c->d, x->loc, "%s must be from %g to %g, got %lld", what, lo, hi, v);
        return -1;
    }
    *out = (float)v;
    return 0;
}

/* Splits argument groups into options (by this layer's option names) and positional words.
 * Options land in slots (by logical slot); positionals in pos[]. Returns -1 after errors. */
static int collect_opts(env *e, int lk, ast_list *groups, opt_slot_t *slots, ast_expr **pos, int *npos,
                        int allow_pos, const char *ctx_name)
{
    ck *c = e->c;
    int err = 0;
    for (int g = 0; groups && g < groups->n; g++) {
        ast_list *w = groups->v[g];
        for (int i = 0; i < w->n; i++) {
            ast_expr *x = w->v[i];
            int o = -1;
            if (x->kind == AE_IDENT)
                for (int k = 0; k < O_COUNT; k++)
                    if (!strcmp(opt_names[k], x->name))
                        o = k;
            if (o >= 0 && !(layers[lk].opts & OB(o))) {
                fe_error(c->d, x->loc, "%s has no option '%s'", ctx_name, x->name);
                err = 1;
                if (opt_has_value[o])
                    i++;
                continue;
            }
            if (o >= 0) {
                int s = opt_slot(o);
                if (slots[s].set) {
                    fe_error(c->d, x->loc, "option '%s' given twice", opt_names[s]);
                    err = 1;
                }
                slots[s].set = 1;
                slots[s].loc = x->loc;
                slots[s].flag = (o == O_SN || o == O_BIAS || o == O_AFFINE);
                if (opt_has_value[o]) {
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
                is_unknown_word = !lookup_loop(e, x->name, &dummy) && !lookup_var(e, x->name) &&
                                  strcmp(x->name, "labels");
            }
            if (is_unknown_word) {
                const char *cand[O_COUNT];
                int nc = 0;
                for (int k = 0; k < O_COUNT; k++)
                    if (layers[lk].opts & OB(k))
                        cand[nc++] = opt_names[k];
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

/* ------------------------------------------------------------------ nodes */

static int add_node(env *e, int kind, int line)
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

static md_node *node(env *e, int i)
{
    return &e->ni->net.nodes[i];
}

/* A node with the single input `in` (most layers); -1 when the network is too big. */
static int add_unary(env *e, int kind, int line, int in)
{
    int idx = add_node(e, kind, line);
    if (idx >= 0) {
        node(e, idx)->n_in = 1;
        node(e, idx)->in[0] = in;
    }
    return idx;
}

static int line_of(env *e, fe_loc loc)
{
    int l, col;
    fe_line_col(e->c->d, loc.start, &l, &col);
    return l;
}

static long long numel(const md_node *n)
{
    return n->ndim == 3 ? (long long)n->shape[0] * n->shape[1] * n->shape[2] : n->shape[0];
}

static int check_size(env *e, int idx, fe_loc loc)
{
    md_node *n = node(e, idx);
    if (numel(n) > (1LL << 26)) {
        fe_error(e->c->d, loc, "tensor too large: %lld values per sample", numel(n));
        return -1;
    }
    return idx;
}

static int need3(env *e, int in, fe_loc loc, const char *lname)
{
    md_node *n = node(e, in);
    if (n->ndim != 3) {
        char b[64];
        fe_error(e->c->d, loc, "%s needs a [C, H, W] input, got %s", lname, ck_shape_str(n->ndim, n->shape, b, sizeof b));
        return -1;
    }
    return 0;
}

static int parse_init(env *e, ast_expr *v, int *kind, float *arg)
{
    ck *c = e->c;
    static const char *const inits[] = {"orthogonal", "glorot_uniform", "he_normal", "normal", "uniform", "zeros"};
    if (v->kind != AE_IDENT && v->kind != AE_CALL) {
        fe_error(c->d, v->loc, "init must be one of orthogonal, glorot_uniform, he_normal, normal(std), uniform(a), zeros");
        return -1;
    }
    int k = -1;
    for (int i = 0; i < 6; i++)
        if (!strcmp(inits[i], v->name))
            k = i;
    if (k < 0) {
        const char *s = fe_suggest(v->name, inits, 6);
        if (s)
            fe_error(c->d, v->name_loc, "unknown init '%s'; did you mean '%s'?", v->name, s);
        else
            fe_error(c->d, v->name_loc, "unknown init '%s' (expected orthogonal, glorot_uniform, he_normal, normal(std), uniform(a) or zeros)", v->name);
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
        if (eval_float(e, a, what, 1e-9, 100, arg))
            return -1;
    }
    return 0;
}

/* Applies a layer: `in` is the piped-in node or -1 when the layer is used as a value
 * (concat(a, b), add(a, b), project(h, y)). Returns the new node or -1. */
static int elab_value(env *e, ast_expr *x);

static int apply_layer(env *e, int in, ast_expr *lx)
{
    ck *c = e->c;
    const char *name = lx->name;
    int lk = find_layer(name);
    if (lk < 0) {
        const char *s = fe_suggest(name, layer_names, L_COUNT);
        if (s)
            fe_error(c->d, lx->name_loc, "unknown layer '%s'; did you mean '%s'?", name, s);
        else
            fe_error(c->d, lx->name_loc, "unknown layer '%s'", name);
        return -1;
    }
    const layer_desc *L = &layers[lk];
    opt_slot_t own[O_COUNT], eff[O_COUNT];
    memset(own, 0, sizeof own);
    ast_expr *pos[8];
    int npos = 0;
    ast_list *groups = lx->kind == AE_CALL ? lx->args : NULL;
    if (collect_opts(e, lk, groups, own, pos, &npos, 1, name))
        return -1;
    /* defaults in scope, earliest first, then the layer's own options */
    memset(eff, 0, sizeof eff);
    if (L->defaultable)
        for (int i = 0; i < e->n_defs; i++) {
            ast_stmt *ds = e->defs[i];
            for (int k = 0; k < ds->kinds->n; k++)
                if (!strcmp(((ast_expr *)ds->kinds->v[k])->name, name)) {
                    /* words were checked (and errors reported) with the defaults block */
                    opt_slot_t dsl[O_COUNT];
                    memset(dsl, 0, sizeof dsl);
                    ast_list *w = ds->words;
                    for (int j = 0; j < w->n; j++) {
                        ast_expr *wx = w->v[j];
                        int o = -1;
                        if (wx->kind == AE_IDENT)
                            for (int q = 0; q < O_COUNT; q++)
                                if (!strcmp(opt_names[q], wx->name))
                                    o = q;
                        if (o < 0 || !(L->opts & OB(o)))
                            continue;
                        int sl = opt_slot(o);
                        dsl[sl].set = 1;
                        dsl[sl].loc = wx->loc;
                        dsl[sl].flag = (o == O_SN || o == O_BIAS || o == O_AFFINE);
                        dsl[sl].val = NULL;
                        if (opt_has_value[o] && j + 1 < w->n)
                            dsl[sl].val = w->v[++j];
                    }
                    for (int s = 0; s < O_COUNT; s++)
                        if (dsl[s].set && (!opt_has_value[s] || dsl[s].val))
                            eff[s] = dsl[s];
                    ds->used = 1;
                }
        }
    for (int s = 0; s < O_COUNT; s++)
        if (own[s].set)
            eff[s] = own[s];

    int line = line_of(e, lx->loc);
    fe_loc loc = lx->loc;
    int is_value = in < 0;
    int tensor_layer = lk == L_CONCAT || lk == L_ADD || lk == L_PROJECT;
    if (is_value && !tensor_layer) {
        fe_error(c->d, lx->name_loc, "'%s' is a layer, not a value; apply it with '|', e.g. 'x | %s'", name, name);
        return -1;
    }
    int minp = L->min_pos, maxp = L->max_pos;
    if (is_value && tensor_layer) {
        minp++;
        maxp++;
    }
    if (lk == L_CONCAT && is_value)
        minp = 2;
    if (npos < minp || npos > maxp) {
        if (minp == maxp)
            fe_error(c->d, loc, "%s takes %d argument%s besides options, got %d", name, minp, minp == 1 ? "" : "s", npos);
        else
            fe_error(c->d, loc, "%s takes %d to %d arguments besides options, got %d", name, minp, maxp, npos);
        return -1;
    }
    /* tensor arguments */
    int tin[8], nt = 0;
    if (tensor_layer) {
        if (!is_value)
            tin[nt++] = in;
        for (int i = 0; i < npos; i++) {
            int t = elab_value(e, pos[i]);
            if (t < 0)
                return -1;
            tin[nt++] = t;
        }
    }
    /* weight options shared by dense / conv / conv_t / project */
    int init = GAN_INIT_GLOROT_UNIFORM;
    float init_arg = 0;
    if (eff[O_INIT].set && parse_init(e, eff[O_INIT].val, &init, &init_arg))
        return -1;
    int sn = eff[O_SN].set ? eff[O_SN].flag : 0;
    int bias = eff[O_BIAS].set ? eff[O_BIAS].flag : 1;
    char b1[64], b2[64];
    /* a copy: add_node() may move the node array */
    md_node src_copy;
    if (in >= 0)
        src_copy = *node(e, in);
    const md_node *src = in >= 0 ? &src_copy : NULL;
    int idx = -1;
    switch (lk) {
    case L_DENSE: {
        int units;
        if (eval_pos_int(e, pos[0], "dense units", 1, 1 << 24, &units))
            return -1;
        idx = add_unary(e, MD_DENSE, line, in);
        if (idx < 0)
            return -1;
        md_node *n = node(e, idx);
        n->ndim = 1;
        n->shape[0] = units;
        n->units = units;
        n->bias = bias;
        n->spectral_norm = sn;
        n->init = init;
        n->init_arg = init_arg;
        if (numel(node(e, in)) * units > (1LL << 28)) {
            fe_error(c->d, loc, "dense layer too large: %lld x %d weights", numel(node(e, in)), units);
            return -1;
        }
        break;
    }
    case L_CONV:
    case L_CONV_T: {
        if (need3(e, in, loc, name))
            return -1;
        int filters, k = 0, s = 1;
        if (eval_pos_int(e, pos[0], "filters", 1, 1 << 16, &filters))
            return -1;
        if (!eff[O_KERNEL].set) {
            fe_error(c->d, loc, "%s needs a kernel size: write 'kernel N' here or in 'defaults %s'", name, name);
            return -1;
        }
        if (eval_pos_int(e, eff[O_KERNEL].val, "kernel", 1, 64, &k))
            return -1;
        if (eff[O_STRIDE].set && eval_pos_int(e, eff[O_STRIDE].val, "stride", 1, 64, &s))
            return -1;
        int H = src->shape[1], Wd = src->shape[2];
        int pt = 0, pb = 0, pl = 0, pr = 0, oh, ow;
        int mode = 0, padn = 0; /* 0 valid, 1 same, 2 explicit */
        if (eff[O_PADDING].set) {
            ast_expr *pv = eff[O_PADDING].val;
            if (pv->kind == AE_IDENT && !strcmp(pv->name, "same"))
                mode = 1;
            else if (pv->kind == AE_IDENT && !strcmp(pv->name, "valid"))
                mode = 0;
            else if (pv->kind == AE_IDENT) {
                int dummy;
                if (lookup_loop(e, pv->name, &dummy)) {
                    mode = 2;
                    if (eval_pos_int(e, pv, "padding", 0, 64, &padn))
                        return -1;
                } else {
                    static const char *const pads[] = {"same", "valid"};
                    const char *sg = fe_suggest(pv->name, pads, 2);
                    if (sg)
                        fe_error(c->d, pv->loc, "unknown padding '%s'; did you mean '%s'?", pv->name, sg);
                    else
                        fe_error(c->d, pv->loc, "padding must be same, valid or a number, got '%s'", pv->name);
                    return -1;
                }
            } else {
                mode = 2;
                if (eval_pos_int(e, pv, "padding", 0, 64, &padn))
                    return -1;
            }
        }
        if (lk == L_CONV) {
            if (mode == 1) {
                /* TF "same": out = ceil(in / s); the odd pixel of padding goes bottom/right */
                oh = (H + s - 1) / s;
                ow = (Wd + s - 1) / s;
                int th = (oh - 1) * s + k - H, tw = (ow - 1) * s + k - Wd;
                if (th < 0) th = 0;
                if (tw < 0) tw = 0;
                pt = th / 2; pb = th - pt;
                pl = tw / 2; pr = tw - pl;
            } else {
                pt = pb = pl = pr = mode == 2 ? padn : 0;
                if (H + pt + pb < k || Wd + pl + pr < k) {
                    fe_error(c->d, loc, "kernel %d does not fit the input %s%s", k,
                             ck_shape_str(3, src->shape, b1, sizeof b1), mode == 0 ? " with padding valid" : "");
                    return -1;
                }
                oh = (H + pt + pb - k) / s + 1;
                ow = (Wd + pl + pr - k) / s + 1;
            }
        } else {
            if (mode == 1) {
                /* the transpose of a "same" conv from out = in * s: total pad k - s */
                if (k < s) {
                    fe_error(c->d, loc, "conv_t with padding same needs kernel >= stride (kernel %d, stride %d)", k, s);
                    return -1;
                }
                oh = H * s;
                ow = Wd * s;
                pt = (k - s) / 2; pb = (k - s) - pt;
                pl = pt; pr = pb;
            } else {
                pt = pb = pl = pr = mode == 2 ? padn : 0;
                oh = (H - 1) * s + k - pt - pb;
                ow = (Wd - 1) * s + k - pl - pr;
                if (oh < 1 || ow < 1) {
                    fe_error(c->d, loc, "padding %d leaves no output for %s", padn, ck_shape_str(3, src->shape, b1, sizeof b1));
                    return -1;
                }
            }
        }
        idx = add_unary(e, lk == L_CONV ? MD_CONV : MD_CONV_T, line, in);
        if (idx < 0)
            return -1;
        md_node *n = node(e, idx);
        n->ndim = 3;
        n->shape[0] = filters;
        n->shape[1] = oh;
        n->shape[2] = ow;
        n->units = filters;
        n->kh = n->kw = k;
        n->stride = s;
        n->pad_t = pt; n->pad_b = pb; n->pad_l = pl; n->pad_r = pr;
        n->bias = bias;
        n->spectral_norm = sn;
        n->init = init;
        n->init_arg = init_arg;
        break;
    }
    case L_UPSAMPLE: {
        if (need3(e, in, loc, name))
            return -1;
        int f = 2;
        if (npos && eff[O_FACTOR].set) {
            fe_error(c->d, loc, "upsample factor given twice");
            return -1;
        }
        if (npos && eval_pos_int(e, pos[0], "upsample factor", 1, 64, &f))
            return -1;
        if (eff[O_FACTOR].set && eval_pos_int(e, eff[O_FACTOR].val, "upsample factor", 1, 64, &f))
            return -1;
        idx = add_unary(e, MD_UPSAMPLE, line, in);
        if (idx < 0)
            return -1;
        md_node *n = node(e, idx);
        n->ndim = 3;
        n->shape[0] = src->shape[0];
        n->shape[1] = src->shape[1] * f;
        n->shape[2] = src->shape[2] * f;
        n->factor = f;
        break;
    }
    case L_BATCHNORM: {
        float mom = 0.99f, eps = 1e-3f;
        if (eff[O_MOMENTUM].set && eval_float(e, eff[O_MOMENTUM].val, "momentum", 0, 1, &mom))
            return -1;
        if (eff[O_EPS].set && eval_float(e, eff[O_EPS].val, "eps", 1e-12, 1, &eps))
            return -1;
        idx = add_unary(e, MD_BATCHNORM, line, in);
        if (idx < 0)
            return -1;
        md_node *n = node(e, idx);
        n->ndim = src->ndim;
        memcpy(n->shape, src->shape, sizeof n->shape);
        n->momentum = mom;
        n->eps = eps;
        n->affine = eff[O_AFFINE].set ? eff[O_AFFINE].flag : 1;
        break;
    }
    case L_RELU:
    case L_LEAKY:
    case L_TANH:
    case L_SIGMOID: {
        float alpha = 0;
        if (lk == L_LEAKY) {
            alpha = 0.2f;
            if (npos && eff[O_ALPHA].set) {
                fe_error(c->d, loc, "leaky_relu alpha given twice");
                return -1;
            }
            if (npos && eval_float(e, pos[0], "alpha", 0, 1, &alpha))
                return -1;
            if (eff[O_ALPHA].set && eval_float(e, eff[O_ALPHA].val, "alpha", 0, 1, &alpha))
                return -1;
        }
        idx = add_unary(e, MD_ACT, line, in);
        if (idx < 0)
            return -1;
        md_node *n = node(e, idx);
        n->ndim = src->ndim;
        memcpy(n->shape, src->shape, sizeof n->shape);
        n->act = lk == L_RELU ? GAN_ACT_RELU : lk == L_LEAKY ? GAN_ACT_LEAKY_RELU : lk == L_TANH ? GAN_ACT_TANH : GAN_ACT_SIGMOID;
        n->alpha = alpha;
        break;
    }
    case L_CONCAT: {
        int H = 0, W = 0, have3 = 0, ch = 0;
        for (int i = 0; i < nt; i++) {
            md_node *t = node(e, tin[i]);
            if (t->ndim == 3) {
                if (have3 && (t->shape[1] != H || t->shape[2] != W)) {
                    md_node *first = NULL;
                    for (int j = 0; j < i; j++)
                        if (node(e, tin[j])->ndim == 3)
                            first = node(e, tin[j]);
                    fe_error(c->d, loc, "concat needs the same height and width: %s vs %s",
                             ck_shape_str(3, first->shape, b1, sizeof b1), ck_shape_str(3, t->shape, b2, sizeof b2));
                    return -1;
                }
                H = t->shape[1];
                W = t->shape[2];
                have3 = 1;
            }
            ch += t->shape[0];
        }
        if (ch > (1 << 24)) {
            fe_error(c->d, loc, "concat result too large");
            return -1;
        }
        /* a vector joining feature maps is tiled over their height and width first */
        for (int i = 0; have3 && i < nt; i++) {
            if (node(e, tin[i])->ndim == 1) {
                int L = node(e, tin[i])->shape[0];
                int ti = add_node(e, MD_TILE, line);
                if (ti < 0)
                    return -1;
                md_node *t = node(e, ti);
                t->n_in = 1;
                t->in[0] = tin[i];
                t->ndim = 3;
                t->shape[0] = L;
                t->shape[1] = H;
                t->shape[2] = W;
                if (check_size(e, ti, loc) < 0)
                    return -1;
                tin[i] = ti;
            }
        }
        idx = add_node(e, MD_CONCAT, line);
        if (idx < 0)
            return -1;
        md_node *n = node(e, idx);
        n->n_in = nt;
        for (int i = 0; i < nt; i++)
            n->in[i] = tin[i];
        n->ndim = have3 ? 3 : 1;
        n->shape[0] = ch;
        n->shape[1] = have3 ? H : 0;
        n->shape[2] = have3 ? W : 0;
        break;
    }
    case L_RESHAPE: {
        if (npos != 1 && npos != 3) {
            fe_error(c->d, loc, "reshape takes 1 size (a vector) or 3 sizes (C, H, W), got %d", npos);
            return -1;
        }
        int d[3] = {0, 0, 0};
        for (int i = 0; i < npos; i++)
            if (eval_pos_int(e, pos[i], "reshape size", 1, 1 << 26, &d[i]))
                return -1;
        long long want = npos == 3 ? (long long)d[0] * d[1] * d[2] : d[0];
        if (want != numel(src)) {
            fe_error(c->d, loc, "cannot reshape %s (%lld values) to %s (%lld values)",
                     ck_shape_str(src->ndim, src->shape, b1, sizeof b1), numel(src),
                     ck_shape_str(npos == 3 ? 3 : 1, d, b2, sizeof b2), want);
            return -1;
        }
        idx = add_unary(e, MD_RESHAPE, line, in);
        if (idx < 0)
            return -1;
        md_node *n = node(e, idx);
        n->ndim = npos == 3 ? 3 : 1;
        memcpy(n->shape, d, sizeof d);
        break;
    }
    case L_FLATTEN: {
        idx = add_unary(e, MD_RESHAPE, line, in);
        if (idx < 0)
            return -1;
        md_node *n = node(e, idx);
        n->ndim = 1;
        n->shape[0] = (int)numel(node(e, in));
        break;
    }
    case L_GAP: {
        if (need3(e, in, loc, name))
            return -1;
        idx = add_unary(e, MD_GAP, line, in);
        if (idx < 0)
            return -1;
        md_node *n = node(e, idx);
        n->ndim = 1;
        n->shape[0] = node(e, in)->shape[0];
        break;
    }
    case L_PROJECT: {
        md_node h_copy = *node(e, tin[0]), y_copy = *node(e, tin[1]);
        const md_node *h = &h_copy, *y = &y_copy;
        if (h->ndim != 1 || y->ndim != 1) {
            fe_error(c->d, loc, "project needs two vectors (features, labels), got %s and %s",
                     ck_shape_str(h->ndim, h->shape, b1, sizeof b1), ck_shape_str(y->ndim, y->shape, b2, sizeof b2));
            return -1;
        }
        if ((long long)h->shape[0] * y->shape[0] > (1LL << 28)) {
            fe_error(c->d, loc, "project too large");
            return -1;
        }
        idx = add_node(e, MD_PROJECT, line);
        if (idx < 0)
            return -1;
        md_node *n = node(e, idx);
        n->n_in = 2;
        n->in[0] = tin[0];
        n->in[1] = tin[1];
        n->ndim = 1;
        n->shape[0] = 1;
        n->units = 1;
        n->bias = 0;
        n->spectral_norm = sn;
        n->init = init;
        n->init_arg = init_arg;
        break;
    }
    case L_ADD: {
        md_node a_copy = *node(e, tin[0]), b_copy = *node(e, tin[1]);
        const md_node *a = &a_copy, *b = &b_copy;
        if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof a->shape)) {
            fe_error(c->d, loc, "add needs two tensors of the same shape: %s vs %s",
                     ck_shape_str(a->ndim, a->shape, b1, sizeof b1), ck_shape_str(b->ndim, b->shape, b2, sizeof b2));
            return -1;
        }
        idx = add_node(e, MD_ADD, line);
        if (idx < 0)
            return -1;
        md_node *n = node(e, idx);
        n->n_in = 2;
        n->in[0] = tin[0];
        n->in[1] = tin[1];
        n->ndim = a->ndim;
        memcpy(n->shape, a->shape, sizeof n->shape);
        break;
    }
    }
    if (idx >= 0 && node(e, idx)->ndim == 3 && (node(e, idx)->shape[1] < 1 || node(e, idx)->shape[2] < 1)) {
        fe_error(c->d, loc, "%s leaves no output", name);
        return -1;
    }
    return idx < 0 ? -1 : check_size(e, idx, loc);
}

static int elab_value_inner(env *e, ast_expr *x);

static int elab_value(env *e, ast_expr *x)
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
        ck_var *v = lookup_var(e, x->name);
        if (v) {
            if (v->def)
                v->def->used = 1;
            if (v->formal >= 0)
                e->formal_used[v->formal] = 1;
            return v->node;
        }
        if (find_layer(x->name) >= 0) {
            fe_error(c->d, x->loc, "'%s' is a layer, not a value; apply it with '|', e.g. 'x | %s'", x->name, x->name);
            return -1;
        }
        int dummy;
        if (lookup_loop(e, x->name, &dummy)) {
            fe_error(c->d, x->loc, "'%s' is a number, not a tensor", x->name);
            return -1;
        }
        char hint[96];
        suggest_name(e, x->name, hint, sizeof hint);
        fe_error(c->d, x->loc, "unknown name '%s'%s", x->name, hint);
        return -1;
    }
    case AE_CALL: {
        int lk = find_layer(x->name);
        if (lk >= 0 && lk != L_CONCAT && lk != L_ADD && lk != L_PROJECT) {
            fe_error(c->d, x->name_loc, "'%s' is a layer, not a value; apply it with '|', e.g. 'x | %s(...)'", x->name, x->name);
            return -1;
        }
        if (lk < 0 && ck_find_net(c, x->name) >= 0) {
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
        int a = elab_value(e, x->a);
        int b = elab_value(e, x->b);
        if (a < 0 || b < 0)
            return -1;
        md_node *na = node(e, a), *nb = node(e, b);
        char b1[64], b2[64];
        if (na->ndim != nb->ndim || memcmp(na->shape, nb->shape, sizeof na->shape)) {
            fe_error(c->d, x->loc, "'+' needs two tensors of the same shape: %s vs %s",
                     ck_shape_str(na->ndim, na->shape, b1, sizeof b1), ck_shape_str(nb->ndim, nb->shape, b2, sizeof b2));
            return -1;
        }
        int idx = add_node(e, MD_ADD, line_of(e, x->loc));
        if (idx < 0)
            return -1;
        md_node *n = node(e, idx);
        na = node(e, a);
        n->n_in = 2;
        n->in[0] = a;
        n->in[1] = b;
        n->ndim = na->ndim;
        memcpy(n->shape, na->shape, sizeof n->shape);
        return idx;
    }
    case AE_PIPE: {
        int a = elab_value(e, x->a);
        if (a < 0)
            return -1;
        return apply_layer(e, a, x->b);
    }
    default:
        fe_error(c->d, x->loc, "expected a tensor");
        return -1;
    }
}

/* Checks a defaults block's words once (unknown kinds / options are reported here). */
static void check_defaults(ck *c, env *e, ast_stmt *ds)
{
    for (int k = 0; k < ds->kinds->n; k++) {
        ast_expr *kx = ds->kinds->v[k];
        int lk = find_layer(kx->name);
        if (lk < 0 || !layers[lk].defaultable) {
            const char *cands[L_COUNT];
            int n = 0;
            for (int i = 0; i < L_COUNT; i++)
                if (layers[i].defaultable)
                    cands[n++] = layers[i].name;
            const char *s = fe_suggest(kx->name, cands, n);
            if (lk >= 0)
                fe_error(c->d, kx->loc, "layer '%s' has no options to default", kx->name);
            else if (s)
                fe_error(c->d, kx->loc, "unknown layer '%s'; did you mean '%s'?", kx->name, s);
            else
                fe_error(c->d, kx->loc, "unknown layer '%s'", kx->name);
            ds->used = 1; /* no second complaint about it being unused */
            continue;
        }
        opt_slot_t sl[O_COUNT];
        memset(sl, 0, sizeof sl);
        ast_expr *pos[8];
        int npos = 0;
        ast_list one = {1, 1, (void **)&ds->words};
        char what[80];
        snprintf(what, sizeof what, "%s", layers[lk].name);
        collect_opts(e, lk, &one, sl, pos, &npos, 0, what);
    }
}

static void elab_stmts(env *e, ast_list *stmts, int depth);

static void elab_stmt(env *e, ast_stmt *s, int depth)
{
    ck *c = e->c;
    if (e->too_big)
        return;
    switch (s->kind) {
    case AS_ASSIGN: {
        int n = elab_value(e, s->value);
        if (n < 0) {
            /* keep the name bound (to nothing) so later uses do not cascade */
            n = -2;
        }
        ck_var *v = lookup_var(e, s->name);
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
            if (eval_pos_int(e, s->value, "repeat count", 1, 1000, &count))
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
                if (eval_int(e, s->values->v[i], &v))
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
        check_defaults(c, e, s);
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
            *kind = MD_IN_LABELS;
            *ndim = 1;
            shape[0] = c->n_labels;
            c->labels_used = 1;
            return 0;
        }
        if (!strcmp(t->name, "latent")) {
            if (!c->latent_size) {
                fe_error(c->d, t->loc, "%s has type 'latent', but the model declares no latent", what);
                return -1;
            }
            *kind = MD_IN_LATENT;
            *ndim = 1;
            shape[0] = c->latent_size;
            return 0;
        }
        static const char *const tys[] = {"image", "labels", "latent"};
        const char *s = fe_suggest(t->name, tys, 3);
        if (s)
            fe_error(c->d, t->loc, "unknown type '%s'; did you mean '%s'?", t->name, s);
        else
            fe_error(c->d, t->loc, "unknown type '%s' (expected image, labels, latent, a size or C x H x W)", t->name);
        return -1;
    }
    if (t->kind == AE_NUM) {
        if (!t->is_int || t->num < 1 || t->num > (1 << 24)) {
            fe_error(c->d, t->loc, "a size must be a whole number from 1 to %d", 1 << 24);
            return -1;
        }
        *kind = MD_IN_TENSOR;
        *ndim = 1;
        shape[0] = (int)t->num;
        return 0;
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

static void finalize_net(ck *c, ck_net *ni);

static void elab_net(ck *c, ck_net *ni)
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
        if (lookup_var(e, p->name)) {
            fe_error(c->d, p->loc, "input '%s' declared twice", p->name);
            continue;
        }
        int idx = add_node(e, MD_INPUT, line_of(e, p->loc));
        if (idx < 0)
            break;
        md_node *n = node(e, idx);
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
        ck_var *v = lookup_var(e, h->name);
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
        md_node *hn = node(e, v->node);
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
    /* role rules */
    if (c->d->n_errors == errs0) {
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
    /* unused names and inputs */
    if (c->d->n_errors == errs0) {
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
    ni->ok = c->d->n_errors == errs0;
    free(e);
    if (ni->ok)
        finalize_net(c, ni);
}

static void warn_unused_assign(ck *c, ast_list *stmts)
{
    for (int i = 0; stmts && i < stmts->n; i++) {
        ast_stmt *s = stmts->v[i];
        if (s->kind == AS_ASSIGN && !s->used)
            fe_warning(c->d, s->name_loc, "'%s' is assigned but never used", s->name);
        else if (s->kind == AS_FOR || s->kind == AS_REPEAT) {
            if (s->kind == AS_FOR && !s->used && s->values->n)
                fe_warning(c->d, s->name_loc, "loop variable '%s' is never used (write 'repeat %d { ... }')", s->name,
                           s->values->n);
            warn_unused_assign(c, s->body);
        }
        else if (s->kind == AS_DEFAULTS && !s->used)
            fe_warning(c->d, s->loc, "these defaults are never used");
    }
}

static const char *name_stem(const md_node *n)
{
    switch (n->kind) {
    case MD_DENSE: return "dense";
    case MD_CONV: return "conv";
    case MD_CONV_T: return "conv_t";
    case MD_UPSAMPLE: return "up";
    case MD_BATCHNORM: return "bn";
    case MD_ACT:
        return n->act == GAN_ACT_RELU ? "relu" : n->act == GAN_ACT_LEAKY_RELU ? "lrelu" : n->act == GAN_ACT_TANH ? "tanh" : "sigmoid";
    case MD_CONCAT: return "concat";
    case MD_TILE: return "tile";
    case MD_RESHAPE: return "reshape";
    case MD_GAP: return "gap";
    case MD_ADD: return "add";
    case MD_PROJECT: return "project";
    default: return "node";
    }
}

/* Drops nodes no head depends on (dead code from unused names), then names the rest
 * "<stem><k>" counting per stem in order: conv1, conv2, bn1, relu1, ... */
static void finalize_net(ck *c, ck_net *ni)
{
    (void)c;
    md_network *net = &ni->net;
    int n = net->n_nodes;
    char *live = calloc((size_t)n + 1, 1);
    int *map = calloc((size_t)n + 1, sizeof(int));
    if (!live || !map) {
        free(live);
        free(map);
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
    static const char *const stems[] = {"dense", "conv", "conv_t", "up", "bn", "relu", "lrelu", "tanh",
                                        "sigmoid", "concat", "tile", "reshape", "gap", "add", "project", "node"};
    int counts[16] = {0};
    for (int i = 0; i < m; i++) {
        md_node *nd = &net->nodes[i];
        if (nd->kind == MD_INPUT)
            continue;
        const char *stem = name_stem(nd);
        int s = 0;
        while (s < 15 && strcmp(stems[s], stem))
            s++;
        snprintf(nd->name, sizeof nd->name, "%s%d", stem, ++counts[s]);
    }
    free(live);
    free(map);
}

/* ------------------------------------------------------------------ driver */

void to_model_def(ck *c, md_model *m);  /* to_model_def.c */
void ck_free_objectives(ck *c);

static void check_file(ck *c)
{
    ast_list *decls = c->file->decls;
    fe_loc first = {0, 1};
    int decl_errors = 0; /* a network lost at declaration would make every use of it an error */
    /* pass 1: data, latent, global defaults, network names */
    for (int i = 0; decls && i < decls->n; i++) {
        ast_decl *dd = decls->v[i];
        switch (dd->kind) {
        case AD_DATA:
            if (c->data) {
                fe_error(c->d, dd->name_loc, "second data block");
                fe_note(c->d, c->data->name_loc, "the first one is here");
                break;
            }
            c->data = dd;
            check_data(c, dd);
            break;
        case AD_LATENT:
            if (c->latent) {
                fe_error(c->d, dd->name_loc, "second latent declaration (a model has one latent)");
                break;
            }
            c->latent = dd;
            check_latent(c, dd);
            break;
        case AD_TRAIN:
            if (c->train) {
                fe_error(c->d, dd->loc, "second train block");
                break;
            }
            c->train = dd;
            break;
        case AD_DEFAULTS:
            if (c->n_gdefs < 32)
                c->gdefs[c->n_gdefs++] = dd->defaults;
            break;
        case AD_NET: {
            if (ck_find_net(c, dd->name) >= 0) {
                fe_error(c->d, dd->name_loc, "network '%s' defined twice", dd->name);
                decl_errors = 1;
                break;
            }
            if (!strcmp(dd->name, "x") || !strcmp(dd->name, "y") || (c->latent_name && !strcmp(dd->name, c->latent_name))) {
                fe_error(c->d, dd->name_loc, "a network cannot be called '%s' (that name is an input)", dd->name);
                decl_errors = 1;
                break;
            }
            static const char *const reserved[] = {"hinge_real", "hinge_fake", "mean", "bce", "softmax_ce", "adam"};
            int clash = 0;
            for (int r = 0; r < 6; r++)
                clash |= !strcmp(dd->name, reserved[r]);
            if (clash) {
                fe_error(c->d, dd->name_loc, "a network cannot be called '%s' (a loss function or optimizer has that name)", dd->name);
                decl_errors = 1;
                break;
            }
            if (c->n_nets >= CK_MAX_NETS) {
                fe_error(c->d, dd->name_loc, "too many networks (at most %d)", CK_MAX_NETS);
                decl_errors = 1;
                break;
            }
            ck_net *ni = &c->nets[c->n_nets++];
            ni->decl = dd;
            snprintf(ni->net.name, sizeof ni->net.name, "%s", dd->name);
            ni->net.role = dd->role;
            break;
        }
        }
    }
    if (!c->data)
        fe_error(c->d, decls && decls->n ? ((ast_decl *)decls->v[0])->loc : first,
                 "the model has no data block (write 'data { image 3 x 64 x 64 ... }')");
    /* global defaults are checked once, in an empty environment */
    if (c->n_gdefs) {
        env *e = calloc(1, sizeof(env));
        if (e) {
            e->c = c;
            for (int i = 0; i < c->n_gdefs; i++)
                check_defaults(c, e, c->gdefs[i]);
            free(e);
        }
    }
    if (!c->have_image)
        return; /* every network depends on the image shape: stop before cascading */
    for (int i = 0; i < c->n_nets; i++)
        elab_net(c, &c->nets[i]);
    for (int i = 0; i < c->n_nets; i++)
        if (c->nets[i].ok)
            warn_unused_assign(c, c->nets[i].decl->body);
    if (!c->train) {
        fe_error(c->d, decls && decls->n ? ((ast_decl *)decls->v[decls->n - 1])->loc : first,
                 "the model has no train block (write 'train { batch N  epochs N  loss ... }')");
    } else {
        int all_ok = 1;
        for (int i = 0; i < c->n_nets; i++)
            all_ok &= c->nets[i].ok;
        if (all_ok && !decl_errors)
            ck_train(c);
    }
    for (int i = 0; i < c->n_gdefs; i++)
        if (!c->gdefs[i]->used && c->d->n_errors == 0)
            fe_warning(c->d, c->gdefs[i]->loc, "these defaults are never used");
    if (c->n_labels && !c->labels_used && c->d->n_errors == 0)
        fe_warning(c->d, c->labels_loc, "labels are declared but nothing uses them (no 'y' input, head or target)");
    if (c->latent && c->d->n_errors == 0) {
        int has_gen = 0;
        for (int i = 0; i < c->n_nets; i++)
            has_gen |= c->nets[i].net.role == GAN_NET_GENERATOR;
        if (!has_gen)
            fe_warning(c->d, c->latent->name_loc, "latent '%s' is declared but the model has no generator", c->latent->name);
    }
}

int fe_compile(const char *name, const char *src, size_t len, fe_result *out)
{
    memset(out, 0, sizeof *out);
    fe_diag d;
    fe_diag_init(&d, name, src, len);
    fe_arena *arena = fe_arena_new();
    ck *c = calloc(1, sizeof(ck));
    if (!arena || !c) {
        fe_arena_free(arena);
        free(c);
        out->messages = strdup("out of memory\n");
        out->n_errors = 1;
        return 1;
    }
    fe_parse_ctx pc = {arena, &d, NULL, NULL};
    pc.file = fe_arena_alloc(arena, sizeof(ast_file));
    pc.file->decls = ast_list_new(arena);
    fe_parse(&pc, src, len);
    if (d.n_errors == 0) {
        c->d = &d;
        c->arena = arena;
        c->file = pc.file;
        c->lo = -1;
        c->hi = 1;
        check_file(c);
    }
    if (d.n_errors == 0) {
        md_model *m = calloc(1, sizeof(md_model));
        if (m) {
            to_model_def(c, m);
            out->model = m;
        }
    }
    for (int i = 0; i < c->n_nets; i++)
        free(c->nets[i].net.nodes);
    ck_free_objectives(c);
    fe_diag_summary(&d);
    out->n_errors = d.n_errors;
    out->n_warnings = d.n_warnings;
    out->messages = d.buf ? d.buf : strdup("");
    free(c);
    fe_arena_free(arena);
    return out->n_errors ? 1 : 0;
}

int fe_compile_file(const char *path, fe_result *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (f) {
        for (;;) {
            if (len + 65536 > cap) {
                cap = cap ? cap * 2 : 65536;
                if (cap > (64u << 20))
                    break;
                char *nb = realloc(buf, cap);
                if (!nb)
                    break;
                buf = nb;
            }
            size_t r = fread(buf + len, 1, cap - len, f);
            len += r;
            if (r == 0)
                break;
        }
        int err = ferror(f);
        fclose(f);
        if (err || cap > (64u << 20)) {
            free(buf);
            buf = NULL;
            f = NULL;
        }
    }
    if (!f || !buf) {
        char msg[1200];
        snprintf(msg, sizeof msg, "%s: error: cannot read the file\n", path);
        out->messages = strdup(msg);
        out->n_errors = 1;
        free(buf);
        return 2;
    }
    int rc = fe_compile(path, buf, len, out);
    free(buf);
    return rc;
}

void fe_result_free(fe_result *r)
{
    if (!r)
        return;
    md_model_free(r->model);
    free(r->messages);
    memset(r, 0, sizeof *r);
}
