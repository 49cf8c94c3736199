/* The loss table: one row per loss function a train block can name, holding what the checker
 * (compiler/check_train.c) and the lowering (compiler/lower_programs.c) need to know about it,
 * generated from compiler/loss_list.h. Adding a loss is one row there (and its op in
 * format/op_list.h). */
#ifndef GAN_LOSSES_H
#define GAN_LOSSES_H

#include <stddef.h>

typedef enum {
    LOSS_TARGET_NONE = 0,  /* one argument: loss(D(x).adv) */
    LOSS_TARGET_UNIT,      /* the labels 'y', or a constant from 0 to 1 (bce) */
    LOSS_TARGET_CONST,     /* the labels 'y', or any constant (mse: LSGAN's a, b, c) */
    LOSS_TARGET_ONE_OF,    /* the labels 'y' of 'labels one_of [...]' only (softmax_ce) */
    LOSS_TARGET_LABELS     /* multilabel labels 'y' only (bce_balanced) */
} loss_target_rule;

typedef struct {
    const char *name;  /* as written in a loss: "hinge_real" */
    int kind;          /* md_loss_kind */
    int op;            /* the loss op it lowers to (gan_op_type) */
    int target;        /* loss_target_rule */
    int score_head;    /* its argument must be a head of size 1 (a critic score) */
    int signed_scale;  /* "-mean(e)": the coefficient's sign becomes the op's scale (f1) */
    int via_sigmoid;   /* lowered as ACT sigmoid + the op, which fusion turns into logits form */
} loss_row;

extern const loss_row loss_rows[];
extern const int loss_n_rows;

const loss_row *loss_find(const char *name);
const loss_row *loss_of_kind(int md_loss_kind);
/* The names, in table order ("did you mean" candidates); returns the count (<= max). */
int loss_names(const char **out, int max);
/* "hinge_real, hinge_fake, mean" with `last` ("or ", or ", ") before the last name. */
void loss_names_list(char *buf, size_t len, const char *last);

#endif
