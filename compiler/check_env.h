/* The elaboration of one network body, shared by the checker's files that do it:
 * check_eval.c (names and whole numbers), check_options.c (layer options and defaults),
 * check_nodes.c (appending nodes), check_layers.c (applying a layer), check_shapes.c (what
 * the layers' shape rules share), the shape rules in compiler/layer_*.c and check_net.c
 * (statements, inputs, heads, node names). Not part of the public API. */
#ifndef GAN_CHECK_ENV_H
#define GAN_CHECK_ENV_H

#include "compiler/check_internal.h"
#include "compiler/layers.h"

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

typedef struct env {
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

/* One use of a layer, handed to its row's shape rule once the generic checks (options,
 * defaults, argument count, tensor arguments, weight options) have passed. */
typedef struct ck_layer_call {
    env *e;
    const layer_row *row;
    const char *name;        /* the layer's name, for messages */
    int in;                  /* the piped-in node; -1 when the layer stands as a value */
    const md_node *src;      /* a copy of the piped-in node (ck_add_node may move the array) */
    const opt_slot_t *opt;   /* [O_COUNT]: its options over the defaults in scope */
    ast_expr *const *pos;    /* positional arguments */
    int npos;
    int *tin;                /* tensor_args rows: the tensors, the piped-in one first */
    int nt;
    int init, sn, bias;      /* weight options, resolved */
    float init_arg;
    int line;
    fe_loc loc;
} ck_layer_call;

/* check_eval.c */
int ck_lookup_loop(env *e, const char *name, int *v);    /* innermost loop variable; marks it used */
ck_var *ck_lookup_var(env *e, const char *name);
int ck_unknown_name(env *e, ast_expr *x);                /* reports it, with a suggestion; -1 */
int ck_eval_int(env *e, ast_expr *x, long long *out);
int ck_eval_pos_int(env *e, ast_expr *x, const char *what, int lo, int hi, int *out);
int ck_eval_float(env *e, ast_expr *x, const char *what, double lo, double hi, float *out);

/* check_options.c */
/* Splits a layer's argument groups into options (slots[O_COUNT], by logical slot) and
 * positionals (pos[8]); -1 after reporting errors. */
int ck_collect_opts(env *e, const layer_row *row, ast_list *groups, opt_slot_t *slots,
                    ast_expr **pos, int *npos, int allow_pos, const char *ctx_name);
/* What the defaults blocks in scope set for the layer, into eff[O_COUNT]. */
void ck_default_opts(env *e, const layer_row *row, opt_slot_t *eff);
void ck_check_defaults(ck *c, env *e, ast_stmt *ds);     /* once, where the block stands */
int ck_parse_init(env *e, ast_expr *v, int *kind, float *arg);

/* check_nodes.c: nodes are named by index; ck_add_node may move the array */
int ck_add_node(env *e, int kind, int line);             /* -1 (and too_big) when full */
md_node *ck_node(env *e, int i);
int ck_add_unary(env *e, int kind, int line, int in);
int ck_line_of(env *e, fe_loc loc);
int ck_check_size(env *e, int idx, fe_loc loc);          /* idx, or -1 when over 2^26 values */
int ck_need3(env *e, int in, fe_loc loc, const char *lname);

/* check_shapes.c: for the shape rules of the layer kinds (compiler/layer_*.c) */
/* The node a single-input rule appends (idx its index); NULL when the network is too big. */
md_node *ck_add_out(ck_layer_call *lc, int kind, int *idx);
/* The same, with the input's shape: layers that keep it (batchnorm, activations). */
md_node *ck_add_same_shape(ck_layer_call *lc, int kind, int *idx);
void ck_set_weight_opts(md_node *n, const ck_layer_call *lc);   /* init, spectral_norm */
/* A value given positionally or as an option (upsample(2), upsample(factor 2)), not both:
 * the expression that gives it, or NULL for the layer's default; -1 after an error. */
int ck_one_value(ck_layer_call *lc, int o, const char *what, ast_expr **x);

/* layer_add.c: a + b, for the '+' operator and for add(a, b) (`what` names which in messages) */
int ck_add_sum(env *e, int a, int b, int line, fe_loc loc, const char *what);

/* check_layers.c */
int ck_elab_value(env *e, ast_expr *x);                  /* the node a value denotes, or -1 */

#endif
