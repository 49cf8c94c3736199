/* The layer table: everything the compiler knows about a kind of layer, in one place per kind.
 * A kind is one file compiler/layer_<name>.c that defines its layer_kind with
 * LAYER_KIND_DEFINE (the list of kinds, compiler/layer_list.h, is generated from those
 * lines): the rows a network body names it by (options, argument counts, the shape rule of
 * the checker), the back end's checks, parameters, state and lowering, and the facts of
 * `ganc --report`. The central files do what all kinds share and ask the kind for the rest
 * (docs/compiler.md, "Adding a layer"). */
#ifndef GAN_LAYERS_H
#define GAN_LAYERS_H

#include <stddef.h>

#include "compiler/model_def.h"

/* Layer options, as words in a layer's arguments or a defaults block. A negative flag
 * (no_bias) shares the slot of its positive one (bias): see layer_opt_slot. */
enum {
    O_KERNEL, O_STRIDE, O_PADDING, O_INIT, O_MOMENTUM, O_EPS, O_ALPHA, O_FACTOR, O_TRANSLATION,
    O_CUTOUT, /* the options with a value come first (layer_opt_has_value) */
    O_SN, O_NO_SN, O_BIAS, O_NO_BIAS, O_AFFINE, O_NO_AFFINE, O_COLOR, O_NO_COLOR, O_COUNT
};
#define OB(o) (1u << (o))
/* The options every weight layer takes (dense, conv, conv_t). */
#define W_OPTS (OB(O_INIT) | OB(O_SN) | OB(O_NO_SN) | OB(O_BIAS) | OB(O_NO_BIAS))

extern const char *const layer_opt_names[O_COUNT];
int layer_opt_find(const char *word);   /* the option a word names, or -1 */
int layer_opt_has_value(int o);         /* 1: 'kernel 3'; 0: a flag such as 'no_bias' */
int layer_opt_slot(int o);              /* no_spectral_norm -> O_SN, ... */
int layer_opt_is_on(int o);             /* a flag's value: spectral_norm 1, no_spectral_norm 0 */

struct ck_layer_call;  /* one use of a layer being checked (check_env.h) */
/* Checks the layer's arguments against its input, appends its node (and any helper nodes)
 * with the inferred shape; the node's index, or -1 after reporting an error. */
typedef int layer_shape_fn(struct ck_layer_call *lc);

/* One way a network body names a kind: `conv`, or for MD_ACT `relu`, `tanh`, ... */
typedef struct layer_row {
    const char *name;     /* as written in a network body; NULL: made only by another rule */
    const char *stem;     /* node names count per stem: conv1, conv2, bn1, ... */
    int kind;             /* md_kind of the node it makes */
    int act;              /* rows of one kind told apart by the node's act (MD_ACT); else 0 */
    unsigned opts;        /* OB() of the options it takes */
    int min_pos, max_pos; /* positional arguments besides the piped-in input */
    int defaultable;      /* may be named in a defaults block */
    int tensor_args;      /* its positionals are tensors, and it may stand as a value: add(a, b) */
    layer_shape_fn *shape;
} layer_row;

struct lw_node;        /* one node being lowered (lower_internal.h) */
/* Emits the node's forward ops into the program; the last op's index, or -1. */
typedef int layer_lower_fn(struct lw_node *ln);

struct lw_persist;     /* one node's persistent tensors being made (lower_internal.h) */
/* Makes the node's parameters (or its state) with lw_param_* (lw_state_vec); 0, or -1. */
typedef int layer_tensors_fn(struct lw_persist *lp);

/* The back end's check of a node the front end made: NULL when it holds, else what is wrong
 * (LAYER_BAD_SHAPE, "bad upsample factor"). The node has its kind's number of inputs, each an
 * earlier node of rank 1 or 3, and sizes within the caps of lower_check.c. */
typedef const char *layer_check_fn(const md_network *net, const md_node *nd);
#define LAYER_BAD_SHAPE "output shape does not follow from the input shape and the layer's options"

/* ganc --report: trainable (weights, biases, gamma/beta) and non-trainable (running
 * statistics, spectral-norm u) parameter counts; forward FLOPs of one sample; the details
 * column, into b[len] (the inputs, when not just the node before, are added after). */
typedef void layer_count_fn(const md_network *net, const md_node *n, long long *trainable,
                            long long *non_trainable);
typedef double layer_flops_fn(const md_network *net, const md_node *n);
typedef void layer_details_fn(const md_network *net, const md_node *n, char *b, size_t len);

/* What the inputs count means (layer_kind.inputs). */
enum { LAYER_ONE_INPUT = 0, LAYER_NO_INPUTS = -1, LAYER_SOME_INPUTS = -2 /* one or more */ };

/* All the compiler knows about one md_kind. A NULL function (a 0 count) is the common default,
 * named on each field. */
typedef struct layer_kind {
    const char *name;              /* report's op column and fe_kind_name: "conv", "batchnorm" */
    const layer_row *rows;         /* the rows that make it, in table order; none: 0 */
    int n_rows;
    int inputs;                    /* LAYER_ONE_INPUT, LAYER_SOME_INPUTS, LAYER_NO_INPUTS or a count */
    layer_check_fn *check;         /* NULL: any output shape is believed */
    layer_tensors_fn *params;      /* NULL: no parameters */
    layer_tensors_fn *state;       /* NULL: no state of its own (spectral-norm u is common) */
    layer_lower_fn *lower;         /* NULL: cannot be lowered (MD_INPUT) */
    const char *(*op_name)(const md_node *n); /* report's op column; NULL: name */
    layer_count_fn *count;         /* NULL: no parameters */
    layer_flops_fn *flops;         /* NULL: one per output value */
    layer_details_fn *details;     /* NULL: no details */
} layer_kind;

/* In a layer_kind's initializer: its rows, an array. */
#define LAYER_ROWS(r) .rows = (r), .n_rows = (int)(sizeof(r) / sizeof((r)[0]))

/* Defines a kind's facts, layer_kind_<name>, as md_kind MD_<ID> = value. The line is also
 * the kind's entry in the list of kinds: tools/gen-layer-list.sh collects every
 * LAYER_KIND_DEFINE line at the start of a line of compiler/layer_*.c into the build's
 * compiler/layer_list.h, and the assertion holds the file to the list it was built with.
 * The value is the kind's md_kind number, fixed once given; a new kind takes the next free one.
 *
 *   LAYER_KIND_DEFINE(AVG_POOL, avg_pool, 13) = {.name = "avg_pool", LAYER_ROWS(rows), ...};
 */
#define LAYER_KIND_DEFINE(ID, name, value)                                                   \
    _Static_assert(MD_##ID == (value), "compiler/layer_list.h is stale for " #ID);         \
    const layer_kind layer_kind_##name

/* The facts of a node kind; NULL for a number that is no md_kind. */
const layer_kind *layer_kind_of(int md_kind);
/* The table's rows in order, 0 <= i < layer_row_count(): the order of "did you mean"
 * candidates, and rows with one stem count from the first of them. */
int layer_row_count(void);
const layer_row *layer_row_at(int i);
#define LAYER_MAX_ROWS 32   /* bound of layer_names; tests/test_layers.c holds the table to it */
/* The row a network body names, or NULL. */
const layer_row *layer_find(const char *name);
/* The row whose stem names a node: by kind, and by act where the kind's rows differ in it.
 * NULL for inputs. */
const layer_row *layer_of_node(const md_node *n);
/* The names of the nameable rows, in table order (the order "did you mean" candidates have),
 * at most LAYER_MAX_ROWS; with only_defaultable, those a defaults block may name. Returns the
 * count. */
int layer_names(const char **out, int only_defaultable);
/* The number of inputs a node of the kind must have. */
int layer_inputs(const layer_kind *k, const md_node *nd);

/* What kinds share in their report facts (report.c and layers.c). */
double layer_no_flops(const md_network *net, const md_node *n); /* reshape and inputs */
const char *fe_init_name(int gan_init_kind);

#endif
