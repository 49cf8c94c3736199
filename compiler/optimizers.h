/* The optimizers of `optimizer NET = NAME(options)`: one row each, with the op that runs it,
 * its per-parameter state and its options (docs/language.md, "The train block"). */
#ifndef GAN_OPTIMIZERS_H
#define GAN_OPTIMIZERS_H

#include <stddef.h>
#include "compiler/model_def.h"

typedef enum { MD_OPT_ADAM = 0, MD_OPT_SGD, MD_OPT_RMSPROP, MD_OPT_COUNT } md_optim_kind;

typedef struct {
    const char *name;      /* as written: adam, sgd, rmsprop */
    int op;                /* GAN_OP_ADAM, ... */
    int n_state;           /* state tensors per parameter (slots 2 .. 1 + n_state) */
    const char *state[2];  /* their name suffixes: "adam_m", "adam_v" */
    const char *counter;   /* the update counter's suffix: "adam_t" */
} md_optim_info;

const md_optim_info *md_optim_of(int kind);

/* Checks `NAME(options)` of an optimizer statement into o (its defaults first). A decaying
 * schedule spans decay_steps, or the train block's steps (c->hyper, checked before). */
struct ck;
struct ast_stmt;
void ck_optimizer(struct ck *c, struct ast_stmt *s, md_objective *o);

/* "adam lr 0.0002 beta1 0.5 beta2 0.999 eps 1e-07", then the weight decay and schedule when
 * set: for `ganc --report`. */
void md_optim_describe(const md_objective *o, char *buf, size_t len);

#endif
