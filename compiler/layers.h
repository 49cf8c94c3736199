/* The layer table: one row per layer a network body can name, holding all the compiler knows
 * about that layer in one place: its options, the stem of its node names, its shape rule (the
 * checker: check_shapes.c) and its lowering to ops (the back end: lower_layers.c). Adding a
 * layer is one row in layers.c plus those two functions, declared below (docs/compiler.md). */
#ifndef GAN_LAYERS_H
#define GAN_LAYERS_H

#include "compiler/model_def.h"

/* Layer options, as words in a layer's arguments or a defaults block. A negative flag
 * (no_bias) shares the slot of its positive one (bias): see layer_opt_slot. */
enum {
    O_KERNEL, O_STRIDE, O_PADDING, O_INIT, O_MOMENTUM, O_EPS, O_ALPHA, O_FACTOR,
    O_SN, O_NO_SN, O_BIAS, O_NO_BIAS, O_AFFINE, O_NO_AFFINE, O_COUNT
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

struct lw_node;        /* one node being lowered (lower_internal.h) */
/* Emits the node's forward ops into the program; the last op's index, or -1. */
typedef int layer_lower_fn(struct lw_node *ln);

typedef struct layer_row {
    const char *name;     /* as written in a network body; NULL: made only by another rule */
    const char *stem;     /* node names count per stem: conv1, conv2, bn1, ... */
    int kind;             /* md_kind of the node it makes */
    int act;              /* MD_ACT: the gan_act it applies */
    unsigned opts;        /* OB() of the options it takes */
    int min_pos, max_pos; /* positional arguments besides the piped-in input */
    int defaultable;      /* may be named in a defaults block */
    int tensor_args;      /* its positionals are tensors, and it may stand as a value: add(a, b) */
    layer_shape_fn *shape;
    layer_lower_fn *lower;
} layer_row;

#define LAYER_MAX_ROWS 32   /* room for the table to grow; layers.c asserts it */
extern const layer_row layer_rows[];
extern const int layer_n_rows;

/* The row a network body names, or NULL. */
const layer_row *layer_find(const char *name);
/* The row whose stem names a node: by kind, and for MD_ACT by activation. NULL for inputs. */
const layer_row *layer_of_node(const md_node *n);
/* The lowering of a node kind (rows of one kind share it: reshape and flatten, the
 * activations). NULL when no row makes that kind. */
const layer_row *layer_of_kind(int md_kind);
/* The names of the nameable rows, in table order (the order "did you mean" candidates have);
 * with only_defaultable, those a defaults block may name. Returns the count. */
int layer_names(const char **out, int only_defaultable);

/* Shape rules (check_shapes.c). */
layer_shape_fn shape_dense, shape_conv, shape_conv_t, shape_upsample, shape_batchnorm, shape_act,
    shape_concat, shape_reshape, shape_flatten, shape_gap, shape_project, shape_add;

/* Lowerings (lower_layers.c). */
layer_lower_fn lower_dense, lower_conv, lower_upsample, lower_batchnorm, lower_act, lower_concat,
    lower_tile, lower_copy, lower_gap, lower_add, lower_project;

#endif
