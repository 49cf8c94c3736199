/* Shape and attribute helpers of the op checkers: every message names the tensor and its
 * shape, so a bad model.bin says which tensor of which op is wrong. */
#include "format/op_check.h"

#include <stdarg.h>
#include <stdio.h>
#include "common/err.h"

int opc_fail(vctx *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gan_verrf_at(v->err, v->errlen, gan_op_name(v->op->type), fmt, ap);
    va_end(ap);
    return -1;
}

const gan_tensor *opc_in(const gan_model *m, const gan_op *op, int slot)
{
    int t = slot < op->n_in ? op->in[slot] : -1;
    return t >= 0 && t < m->n_tensors ? &m->tensors[t] : NULL;
}

const gan_tensor *opc_out(const gan_model *m, const gan_op *op, int slot)
{
    int t = slot < op->n_out ? op->out[slot] : -1;
    return t >= 0 && t < m->n_tensors ? &m->tensors[t] : NULL;
}

double opc_numel_in(const gan_model *m, const gan_op *op, int slot)
{
    const gan_tensor *t = opc_in(m, op, slot);
    return t ? (double)t->numel : 0.0;
}

double opc_numel_out(const gan_model *m, const gan_op *op, int slot)
{
    const gan_tensor *t = opc_out(m, op, slot);
    return t ? (double)t->numel : 0.0;
}

void opc_shape_str(const gan_tensor *t, char *buf, size_t len)
{
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "[");
    for (int d = 0; d < t->ndim && d < GAN_MAX_DIMS && o < len; d++)
        o += (size_t)snprintf(buf + o, len - o, d ? ",%d" : "%d", t->shape[d]);
    if (o < len)
        snprintf(buf + o, len - o, "]");
}

static int same_shape(const gan_tensor *a, const gan_tensor *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d])
            return 0;
    return 1;
}

int opc_need_shape(vctx *v, const gan_tensor *a, const gan_tensor *b, const char *what)
{
    if (!a || !b || same_shape(a, b))
        return 0;
    char sa[64], sb[64];
    opc_shape_str(a, sa, sizeof sa);
    opc_shape_str(b, sb, sizeof sb);
    return opc_fail(v, "%s: '%s' %s vs '%s' %s", what, a->name, sa, b->name, sb);
}

int opc_need_numel(vctx *v, const gan_tensor *a, uint64_t numel, const char *what)
{
    if (!a || a->numel == numel)
        return 0;
    char sa[64];
    opc_shape_str(a, sa, sizeof sa);
    return opc_fail(v, "%s: '%s' %s has %llu elements, expected %llu", what, a->name, sa,
                    (unsigned long long)a->numel, (unsigned long long)numel);
}

int opc_need_ndim(vctx *v, const gan_tensor *a, int lo, int hi, const char *what)
{
    if (!a || (a->ndim >= lo && a->ndim <= hi))
        return 0;
    char sa[64];
    opc_shape_str(a, sa, sizeof sa);
    if (lo == hi)
        return opc_fail(v, "%s: '%s' %s must have rank %d", what, a->name, sa, lo);
    return opc_fail(v, "%s: '%s' %s must have rank %d..%d", what, a->name, sa, lo, hi);
}

int opc_need_act(vctx *v)
{
    int a = v->op->i[0];
    if (a < 0 || a >= GAN_ACT_COUNT)
        return opc_fail(v, "activation %d out of range (i0)", a);
    return 0;
}

int opc_need_finite(vctx *v, float f, const char *what)
{
    if (!(f == f) || f > 3.0e38f || f < -3.0e38f)
        return opc_fail(v, "%s is not a finite number", what);
    return 0;
}

int opc_need_y_for_act(vctx *v, int y_slot)
{
    if (v->op->i[0] != GAN_ACT_NONE && !IN(y_slot))
        return opc_fail(v, "in%d (forward output y) is required with activation %s", y_slot,
                        gan_act_name(v->op->i[0]));
    return 0;
}

int opc_need_conv_tail(vctx *v, int bwd, const gan_tensor *x, const gan_tensor *w,
                       const gan_tensor *y, int64_t oc, uint64_t ws_need)
{
    const gan_tensor *b = bwd ? NULL : IN(2);
    if (b && opc_need_numel(v, b, (uint64_t)oc, "bias"))
        return -1;
    if (bwd && (opc_need_y_for_act(v, 2) || opc_need_shape(v, IN(2), y, "y vs dy") ||
                opc_need_shape(v, OUT(0), x, "dx vs x") || opc_need_shape(v, OUT(1), w, "dw vs w") ||
                opc_need_numel(v, OUT(2), (uint64_t)oc, "db")))
        return -1;
    const gan_tensor *ws = OUT(bwd ? 3 : 1);
    if (ws && ws->numel < ws_need)
        return opc_fail(v, "workspace '%s' holds %llu floats, needs %llu", ws->name,
                        (unsigned long long)ws->numel, (unsigned long long)ws_need);
    return opc_need_finite(v, v->op->f[0], "alpha f0");
}
