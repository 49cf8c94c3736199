/* Per-op facts for the plan, the plan checker, the validator and the reports. What the op
 * table (format/op_list.h) says is applied here for every op alike; what differs per op lives
 * in its family's file (format/ops_<family>.c) behind gan_op_fns. */
#include "format/op_check.h"

#include <string.h>

static const gan_op_fns *const families[GAN_OPFAM_COUNT] = {
#define GAN_OP_FAMILY(F) [GAN_OPFAM_##F] = &gan_ops_##F,
#include "format/op_list.h"
#undef GAN_OP_FAMILY
};

static const gan_op_fns *fns_of(int type)
{
    const gan_op_info *o = gan_op_info_of(type);
    return o ? families[o->family] : NULL;
}

int gan_op_out_is_workspace(int type, int slot)
{
    const gan_op_info *o = gan_op_info_of(type);
    return o && o->ws_slot >= 0 && slot == o->ws_slot;
}

/* In slots that the op also writes (persistent state updated in place). */
static int in_is_updated(const gan_op *op, int slot)
{
    const gan_op_info *o = gan_op_info_of(op->type);
    if (!o || slot < 0 || slot >= GAN_OP_MAX_IO || !((o->upd >> slot) & 1u))
        return 0;
    return !(o->flags & GAN_OPF_UPD_IF_TRAINING) || op->i[0] == 1;
}

int gan_op_uses(const gan_op *op, gan_op_use uses[2 * GAN_OP_MAX_IO])
{
    int n = 0;
    int nin = op->n_in > GAN_OP_MAX_IO ? GAN_OP_MAX_IO : op->n_in;
    int nout = op->n_out > GAN_OP_MAX_IO ? GAN_OP_MAX_IO : op->n_out;
    int bwd = gan_op_is_backward(op->type);
    for (int j = 0; j < nin; j++) {
        if (op->in[j] < 0)
            continue;
        uses[n++] = (gan_op_use){op->in[j], GAN_ACC_READ | (in_is_updated(op, j) ? GAN_ACC_WRITE : 0),
                                 0, j};
    }
    for (int j = 0; j < nout; j++) {
        if (op->out[j] < 0)
            continue;
        int acc = gan_op_out_is_workspace(op->type, j) ? GAN_ACC_SCRATCH
                  : bwd                                ? GAN_ACC_READ | GAN_ACC_WRITE /* += */
                                                       : GAN_ACC_WRITE;
        uses[n++] = (gan_op_use){op->out[j], acc, 1, j};
    }
    return n;
}

uint64_t gan_op_workspace_floats(const gan_model *m, const gan_op *op)
{
    const gan_op_fns *f = fns_of(op->type);
    return f && f->workspace ? f->workspace(m, op) : 0;
}

double gan_op_flops(const gan_model *m, const gan_op *op)
{
    const gan_op_fns *f = fns_of(op->type);
    return f ? f->flops(m, op) : 0.0;
}

/* Slots against the row's spec: 'r' required, 'o' optional (-1 allowed), none past its end. */
static int check_slots(vctx *v, const char *spec, int n, const int32_t *idx, const char *dir)
{
    int len = (int)strlen(spec);
    /* a variadic op's long side (all GAN_OP_MAX_IO slots) counts its slots by n_in / n_out */
    int variadic = (gan_op_flags(v->op->type) & GAN_OPF_VARIADIC) && len == GAN_OP_MAX_IO;
    /* n may count trailing -1 slots (model.h), even past the op's last slot */
    for (int j = len; j < n && j < GAN_OP_MAX_IO; j++)
        if (idx[j] != -1)
            return opc_fail(v, "%s%d = %d: the op has only %d %s slots", dir, j, idx[j], len, dir);
    if (variadic && n < 1 && !strcmp(dir, "in"))
        return opc_fail(v, "needs at least one input");
    for (int j = 0; j < GAN_OP_MAX_IO; j++) {
        int t = idx[j];
        if (j >= n) {
            if (t != -1)
                return opc_fail(v, "%s%d = %d beyond the %d slots in use (must be -1)", dir, j, t,
                                n);
            if (j < len && spec[j] == 'r' && !variadic)
                return opc_fail(v, "%s%d is required but only %d %s slots are in use", dir, j, n,
                                dir);
            continue;
        }
        if (j >= len)
            continue;
        if (t < -1 || t >= v->m->n_tensors)
            return opc_fail(v, "%s%d = %d is not a tensor index (out of range [0, %d))", dir, j,
                            t, v->m->n_tensors);
        if (t == -1 && spec[j] == 'r')
            return opc_fail(v, "%s%d is required", dir, j);
    }
    return 0;
}

/* No tensor may be written twice by one op, and a written tensor may not also be read by it
 * except where the table allows (ALIAS_IN0; updated-in-place state is an in slot only). */
static int check_aliasing(vctx *v)
{
    const gan_op *op = v->op;
    gan_op_use u[2 * GAN_OP_MAX_IO];
    int nu = gan_op_uses(op, u);
    int alias_ok = (gan_op_flags(op->type) & GAN_OPF_ALIAS_IN0) != 0;
    for (int a = 0; a < nu; a++)
        for (int b = a + 1; b < nu; b++)
            if (u[a].tensor == u[b].tensor && (u[a].is_out || u[b].is_out) &&
                !(alias_ok && u[a].tensor == op->in[0]))
                return opc_fail(v, "tensor '%s' is used twice (%s%d and %s%d)",
                                v->m->tensors[u[a].tensor].name, u[a].is_out ? "out" : "in",
                                u[a].slot, u[b].is_out ? "out" : "in", u[b].slot);
    return 0;
}

int gan_op_validate(const gan_model *m, const gan_op *op, char *err, size_t errlen)
{
    vctx vv = {m, op, err, errlen}, *v = &vv;
    const gan_op_info *info = gan_op_info_of(op->type);
    if (!info)
        return opc_fail(v, "unknown op type %d", op->type);
    if (op->n_in > GAN_OP_MAX_IO || op->n_out > GAN_OP_MAX_IO)
        return opc_fail(v, "n_in %d / n_out %d exceed %d", op->n_in, op->n_out, GAN_OP_MAX_IO);
    if (check_slots(v, info->in, op->n_in, op->in, "in") ||
        check_slots(v, info->out, op->n_out, op->out, "out"))
        return -1;
    for (int j = 0; j < 8; j++)
        if (opc_need_finite(v, op->f[j], "attribute f"))
            return -1;
    if (check_aliasing(v))
        return -1;
    return families[info->family]->validate(v);
}
