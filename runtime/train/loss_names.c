/* Names of the loss columns of metrics.csv: what each output of a training program measures,
 * worked out from the program itself, since model.bin keeps only "d_step.loss2". */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format/ops.h"
#include "runtime/train.h"

/* The op of p that writes tensor t (the last before op `before`), or -1. */
static int producer(const gan_program *p, int t, int before)
{
    for (int i = before - 1; i >= 0; i--)
        for (int k = 0; k < p->ops[i].n_out; k++)
            if (p->ops[i].out[k] == t)
                return i;
    return -1;
}

/* Does tensor t, as op `before` reads it, depend on a program input of role `role`? A walk
 * back over the producers; seen[] (n_tensors) keeps it linear. */
static int depends_on(const gan_model *m, const gan_program *p, int t, int before, int role,
                      unsigned char *seen)
{
    memset(seen, 0, (size_t)m->n_tensors);
    int *stack = malloc(sizeof(int) * 2 * ((size_t)m->n_tensors + 1));
    if (!stack)
        return 0;
    int sp = 0, hit = 0;
    stack[sp++] = t;
    stack[sp++] = before;
    seen[t] = 1;
    while (sp && !hit) {
        int at = stack[--sp], x = stack[--sp];
        for (int i = 0; i < p->n_inputs; i++)
            if (p->inputs[i] == x && p->input_roles[i] == role)
                hit = 1;
        int o = producer(p, x, at);
        if (o < 0 || gan_op_kind_of(p->ops[o].type) != GAN_OPK_FWD)
            continue;
        for (int k = 0; k < p->ops[o].n_in; k++) {
            int y = p->ops[o].in[k];
            if (y >= 0 && y < m->n_tensors && !seen[y]) {
                seen[y] = 1;
                stack[sp++] = y;
                stack[sp++] = o;
            }
        }
    }
    free(stack);
    return hit;
}

/* One term's name after the "d_loss" prefix: which head it reads (the critic's one value per
 * image, "adv", or one per label, "cls") and, in a discriminator step, whether on real or
 * generated images; in other programs the loss kind. */
static void term_name(const gan_model *m, const gan_program *p, int o, unsigned char *seen,
                      char *buf, size_t len)
{
    const gan_op *op = &p->ops[o];
    int pred = op->in[0];
    int a = producer(p, pred, o);
    if (a >= 0 && p->ops[a].type == GAN_OP_ACT) /* bce through an explicit sigmoid */
        pred = p->ops[a].in[0];
    uint64_t n = m->tensors[pred].numel, b = (uint64_t)m->hyper.batch;
    const char *head = n == b ? "adv" : m->hyper.n_labels > 0 && n == b * (uint64_t)m->hyper.n_labels ? "cls" : NULL;
    const char *kind = gan_op_name(op->type);
    if (!strncmp(kind, "loss_", 5))
        kind += 5;
    if (p->role == GAN_PROG_D_STEP && head) {
        const char *src = depends_on(m, p, pred, o, GAN_ROLE_IMAGE, seen) ? "real" : "fake";
        snprintf(buf, len, "%s%s%s", strcmp(head, "adv") ? head : "", strcmp(head, "adv") ? "_" : "", src);
    } else if (p->role == GAN_PROG_G_STEP && head) {
        snprintf(buf, len, "%s", head);
    } else {
        snprintf(buf, len, "%s", !strcmp(kind, "bce_logits") ? "bce" : kind);
    }
}

int gan_loss_column_names(const gan_model *m, int prog, char (*names)[GAN_LOSS_NAME_MAX])
{
    const gan_program *p = &m->programs[prog];
    char prefix[GAN_NAME_MAX + 8] = "loss";
    if (p->network >= 0 && p->network < m->n_networks) {
        const char *nn = m->networks[p->network].name;
        size_t i = 0;
        for (; nn[i] && i < GAN_NAME_MAX - 1; i++)
            prefix[i] = (char)tolower((unsigned char)nn[i]);
        snprintf(prefix + i, sizeof prefix - i, "_loss");
    }
    unsigned char *seen = malloc((size_t)m->n_tensors + 1);
    char (*base)[GAN_LOSS_NAME_MAX] = calloc((size_t)p->n_outputs + 1, sizeof *base);
    if (!seen || !base) {
        free(seen);
        free(base);
        return -1;
    }
    for (int k = 0; k < p->n_outputs; k++) {
        int t = p->outputs[k], o = producer(p, t, p->n_ops);
        char term[64] = "";
        if (o < 0)
            snprintf(term, sizeof term, "out%d", k);
        else if (gan_op_is_loss(p->ops[o].type))
            term_name(m, p, o, seen, term, sizeof term);
        snprintf(base[k], GAN_LOSS_NAME_MAX, "%s%s%s", prefix, term[0] ? "_" : "", term);
        /* two terms alike (two real-image heads...): numbered from the second */
        int dup = 1;
        for (int j = 0; j < k; j++)
            dup += !strcmp(base[j], base[k]);
        if (dup > 1)
            snprintf(names[k], GAN_LOSS_NAME_MAX, "%.140s_%d", base[k], dup);
        else
            snprintf(names[k], GAN_LOSS_NAME_MAX, "%s", base[k]);
    }
    free(base);
    free(seen);
    return 0;
}
