#include "tests/util/lower_check.h"
#include "common/err.h"
#include "format/model_opinfo.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define T(i) (&m->tensors[(i)])

/* The op's contract is the one the validator and the interpreter hold it to; beyond it the
 * compiler promises exact workspaces (no slack) and concat backwards with all their parts. */
static int check_shapes(const gan_model *m, const gan_op *o, char *e, size_t n)
{
    if (gan_op_validate(m, o, e, n))
        return -1;
    int ws = gan_op_info_of(o->type)->ws_slot;
    if (ws >= 0 && ws < o->n_out && o->out[ws] >= 0 &&
        T(o->out[ws])->numel != gan_op_workspace_floats(m, o))
        return gan_errf(e, n, "workspace %llu != %llu", (unsigned long long)T(o->out[ws])->numel,
                        (unsigned long long)gan_op_workspace_floats(m, o));
    if (o->type == GAN_OP_CONCAT_BWD && o->i[7] != o->n_out)
        return gan_errf(e, n, "concat_bwd i[7]");
    return 0;
}

/* Is GRAD tensor t inside a range zeroed so far? */
static int grad_zeroed(const gan_model *m, const char *zeroed_grad, int t)
{
    for (int a = 0; a < m->n_tensors; a++)
        if (zeroed_grad[a] && T(a)->offset <= T(t)->offset &&
            T(t)->offset + T(t)->numel <= T(a)->offset + T(a)->numel)
            return 1;
    return 0;
}

int lower_check_model(const gan_model *m, char *err, size_t errlen)
{
    int nt = m->n_tensors;
    char *written = malloc((size_t)nt + 1), *zg = malloc((size_t)nt + 1);
    int *last_read = malloc(((size_t)nt + 1) * sizeof(int));
    char msg[256];
    int rc = 0;
    for (int p = 0; p < m->n_programs && rc == 0; p++) {
        const gan_program *pr = &m->programs[p];
        memset(written, 0, (size_t)nt);
        memset(zg, 0, (size_t)nt);
        for (int t = 0; t < nt; t++)
            last_read[t] = -1;
        for (int i = 0; i < pr->n_inputs; i++) {
            if (pr->inputs[i] < 0 || pr->inputs[i] >= nt) {
                rc = gan_errf(err, errlen, "%s: input %d out of range", pr->name, i);
                break;
            }
            written[pr->inputs[i]] = 1;
        }
        for (int j = 0; j < pr->n_ops && rc == 0; j++) {
            const gan_op *o = &pr->ops[j];
            const char *on = gan_op_name(o->type);
            if (o->type >= GAN_OP_COUNT || o->n_in > GAN_OP_MAX_IO || o->n_out > GAN_OP_MAX_IO) {
                rc = gan_errf(err, errlen, "%s op %d: bad header", pr->name, j);
                break;
            }
            for (int k = 0; k < GAN_OP_MAX_IO && rc == 0; k++) {
                int a = o->in[k], b = o->out[k];
                if (a < -1 || a >= nt || b < -1 || b >= nt || (k >= o->n_in && a != -1) ||
                    (k >= o->n_out && b != -1))
                    rc = gan_errf(err, errlen, "%s op %d (%s): slot %d out of range", pr->name, j,
                              on, k);
            }
            if (rc)
                break;
            /* inputs must be written (arena) before the read */
            for (int k = 0; k < o->n_in; k++) {
                int t = o->in[k];
                if (t >= 0 && T(t)->region == GAN_REGION_ARENA && !written[t]) {
                    rc = gan_errf(err, errlen, "%s op %d (%s): reads %s before it is written",
                              pr->name, j, on, T(t)->name);
                    break;
                }
                if (t >= 0 && T(t)->region == GAN_REGION_GRAD && !grad_zeroed(m, zg, t) &&
                    !written[t]) {
                    rc = gan_errf(err, errlen, "%s op %d (%s): reads gradient %s before it is zeroed",
                              pr->name, j, on, T(t)->name);
                    break;
                }
            }
            if (rc)
                break;
            for (int k = 0; k < o->n_out; k++) {
                int t = o->out[k];
                if (t < 0)
                    continue;
                /* a gradient (or activation) must be complete before anyone reads it: all
                 * accumulations precede the consumer (e.g. SPECTRAL_NORM_BWD after every use
                 * of w_sn, GAP_BWD after both heads) */
                if (T(t)->region != GAN_REGION_STATE && T(t)->region != GAN_REGION_PARAM &&
                    last_read[t] >= 0 && last_read[t] != j) {
                    rc = gan_errf(err, errlen, "%s op %d (%s): writes %s after op %d read it",
                              pr->name, j, on, T(t)->name, last_read[t]);
                    break;
                }
                if (gan_op_is_backward(o->type) && !gan_op_out_is_workspace(o->type, k)) {
                    int ok = T(t)->region == GAN_REGION_ARENA ? written[t]
                             : T(t)->region == GAN_REGION_GRAD ? grad_zeroed(m, zg, t)
                                                               : 0;
                    if (!ok) {
                        rc = gan_errf(err, errlen,
                                  "%s op %d (%s): accumulates into %s before it is zeroed",
                                  pr->name, j, on, T(t)->name);
                        break;
                    }
                }
                written[t] = 1;
                if (o->type == GAN_OP_ZERO && T(t)->region == GAN_REGION_GRAD)
                    zg[t] = 1;
            }
            if (rc)
                break;
            for (int k = 0; k < o->n_in; k++)
                if (o->in[k] >= 0)
                    last_read[o->in[k]] = j;
            if (check_shapes(m, o, msg, sizeof msg) < 0)
                rc = gan_errf(err, errlen, "%s op %d (%s): %s", pr->name, j, on, msg);
        }
        for (int i = 0; i < pr->n_outputs && rc == 0; i++)
            if (pr->outputs[i] < 0 || pr->outputs[i] >= nt || !written[pr->outputs[i]])
                rc = gan_errf(err, errlen, "%s: output %d is never written", pr->name, i);
    }
    free(written);
    free(zg);
    free(last_read);
    return rc;
}

int lower_count_ops(const gan_program *p, int type)
{
    int c = 0;
    for (int j = 0; j < p->n_ops; j++)
        c += p->ops[j].type == type;
    return c;
}

int lower_count_writes(const gan_program *p, int t)
{
    int c = 0;
    for (int j = 0; j < p->n_ops; j++)
        for (int k = 0; k < p->ops[j].n_out; k++)
            c += p->ops[j].out[k] == t;
    return c;
}

int lower_writes_grad_of(const gan_model *m, const gan_program *p, const char *prefix)
{
    size_t n = strlen(prefix);
    for (int j = 0; j < p->n_ops; j++)
        for (int k = 0; k < p->ops[j].n_out; k++) {
            int t = p->ops[j].out[k];
            if (t >= 0 && T(t)->region == GAN_REGION_GRAD && strncmp(T(t)->name, prefix, n) == 0)
                return 1;
        }
    return 0;
}

const gan_program *lower_prog(const gan_model *m, const char *name)
{
    for (int p = 0; p < m->n_programs; p++)
        if (strcmp(m->programs[p].name, name) == 0)
            return &m->programs[p];
    return NULL;
}
