#include "tests/util/lower_check.h"
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int is_bwd(int type)
{
    return type >= GAN_OP_COPY_BWD && type <= GAN_OP_LOSS_SOFTMAX_CE_BWD;
}

/* workspace slots are scratch: written without being read */
static int is_workspace_slot(int type, int k)
{
    return ((type == GAN_OP_CONV2D || type == GAN_OP_CONV2D_T) && k == 1) ||
           ((type == GAN_OP_CONV2D_BWD || type == GAN_OP_CONV2D_T_BWD) && k == 3);
}

#define T(i) (&m->tensors[(i)])
#define SAME(a, b) ((a) < 0 || (b) < 0 || T(a)->numel == T(b)->numel)

static int check_shapes(const gan_model *m, const gan_op *o, char *e, size_t n)
{
    const int *in = o->in, *out = o->out;
    switch (o->type) {
    case GAN_OP_DENSE: {
        const gan_tensor *x = T(in[0]), *w = T(in[1]), *y = T(out[0]);
        if (w->ndim != 2 || x->numel / (uint64_t)x->shape[0] != (uint64_t)w->shape[1] ||
            y->shape[0] != x->shape[0] || y->shape[1] != w->shape[0] ||
            (in[2] >= 0 && T(in[2])->numel != (uint64_t)w->shape[0]))
            return gan_errf(e, n, "dense shapes");
        return 0;
    }
    case GAN_OP_CONV2D:
    case GAN_OP_CONV2D_T: {
        const gan_tensor *x = T(in[0]), *w = T(in[1]), *y = T(out[0]);
        int tr = o->type == GAN_OP_CONV2D_T;
        int C = tr ? w->shape[0] : w->shape[1], OC = tr ? w->shape[1] : w->shape[0];
        int KH = w->shape[2], KW = w->shape[3], s = o->i[1];
        if (x->ndim != 4 || w->ndim != 4 || y->ndim != 4 || x->shape[1] != C ||
            y->shape[1] != OC || s <= 0 || y->shape[0] != x->shape[0])
            return gan_errf(e, n, "conv shapes");
        if (!tr && (y->shape[2] - 1) * s - o->i[2] + KH > x->shape[2] + KH)
            return gan_errf(e, n, "conv output height");
        uint64_t ws = tr ? (uint64_t)OC * KH * KW * x->shape[2] * x->shape[3]
                         : (uint64_t)C * KH * KW * y->shape[2] * y->shape[3];
        if (out[1] >= 0 && T(out[1])->numel != ws)
            return gan_errf(e, n, "conv workspace %llu != %llu",
                        (unsigned long long)T(out[1])->numel, (unsigned long long)ws);
        return 0;
    }
    case GAN_OP_DENSE_BWD:
    case GAN_OP_CONV2D_BWD:
    case GAN_OP_CONV2D_T_BWD:
        if (!SAME(out[0], in[0]) || !SAME(out[1], in[1]) || !SAME(in[2], in[3]))
            return gan_errf(e, n, "gemm bwd shapes");
        return 0;
    case GAN_OP_UPSAMPLE:
        if (T(out[0])->shape[2] != T(in[0])->shape[2] * o->i[1] ||
            T(out[0])->shape[3] != T(in[0])->shape[3] * o->i[1])
            return gan_errf(e, n, "upsample shapes");
        return 0;
    case GAN_OP_BN_TRAIN:
    case GAN_OP_BN_INFER:
        for (int k = 1; k < 5; k++)
            if (in[k] >= 0 && T(in[k])->numel != (uint64_t)T(in[0])->shape[1])
                return gan_errf(e, n, "bn parameter size");
        if (!SAME(in[0], out[0]))
            return gan_errf(e, n, "bn shapes");
        return 0;
    case GAN_OP_BN_TRAIN_BWD:
        if (!SAME(out[0], in[0]) || !SAME(in[3], in[0]) || !SAME(out[1], in[1]))
            return gan_errf(e, n, "bn bwd shapes");
        return 0;
    case GAN_OP_ACT:
    case GAN_OP_COPY:
    case GAN_OP_ADD:
    case GAN_OP_MUL:
        if (!SAME(in[0], out[0]) || (o->n_in > 1 && !SAME(in[1], out[0])))
            return gan_errf(e, n, "elementwise shapes");
        return 0;
    case GAN_OP_ACT_BWD:
        if (!SAME(in[0], in[1]) || !SAME(in[0], out[0]))
            return gan_errf(e, n, "act bwd shapes");
        return 0;
    case GAN_OP_CONCAT: {
        uint64_t c = 0;
        for (int k = 0; k < o->n_in; k++)
            c += T(in[k])->numel;
        if (c != T(out[0])->numel)
            return gan_errf(e, n, "concat sizes");
        return 0;
    }
    case GAN_OP_CONCAT_BWD: {
        if (o->i[7] != o->n_out)
            return gan_errf(e, n, "concat_bwd i[7]");
        return 0;
    }
    case GAN_OP_GAP:
        if (T(out[0])->numel * (uint64_t)T(in[0])->shape[2] * (uint64_t)T(in[0])->shape[3] !=
            T(in[0])->numel)
            return gan_errf(e, n, "gap shapes");
        return 0;
    case GAN_OP_SPECTRAL_NORM:
        if (!SAME(in[0], out[0]) || T(in[1])->numel != (uint64_t)T(in[0])->shape[0] ||
            T(out[1])->numel * (uint64_t)T(in[0])->shape[0] != T(in[0])->numel ||
            T(out[2])->numel != 1)
            return gan_errf(e, n, "spectral norm shapes");
        return 0;
    case GAN_OP_SPECTRAL_NORM_BWD:
        if (!SAME(out[0], in[0]) || !SAME(in[4], in[0]))
            return gan_errf(e, n, "spectral norm bwd shapes");
        return 0;
    case GAN_OP_LOSS_HINGE_REAL: case GAN_OP_LOSS_HINGE_FAKE: case GAN_OP_LOSS_MEAN:
    case GAN_OP_LOSS_BCE_LOGITS: case GAN_OP_LOSS_BCE: case GAN_OP_LOSS_SOFTMAX_CE:
    case GAN_OP_LOSS_SUM:
        if (T(out[0])->numel != 1 || (o->type != GAN_OP_LOSS_SUM && !SAME(in[0], in[1])))
            return gan_errf(e, n, "loss shapes");
        return 0;
    case GAN_OP_ADAM:
        for (int k = 1; k < 4; k++)
            if (!SAME(in[0], in[k]))
                return gan_errf(e, n, "adam sizes");
        if (T(in[4])->numel != 1)
            return gan_errf(e, n, "adam t");
        return 0;
    case GAN_OP_EMA:
        if (!SAME(in[0], in[1]))
            return gan_errf(e, n, "ema sizes");
        return 0;
    default:
        return 0;
    }
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
                if (is_bwd(o->type) && !is_workspace_slot(o->type, k)) {
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
