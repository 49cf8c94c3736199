/* Per-op facts from ops.h: slot access, workspace sizes, FLOP estimates, contract checks.
 * Everything here follows the comments in format/ops.h; where ops.h gives a shape, the
 * validator checks it exactly. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "format/model_opinfo.h"
#include "common/err.h"

static int is_backward(int type)
{
    return type >= GAN_OP_COPY_BWD && type <= GAN_OP_LOSS_SOFTMAX_CE_BWD;
}

int gan_op_out_is_workspace(int type, int slot)
{
    switch (type) {
    case GAN_OP_CONV2D:
    case GAN_OP_CONV2D_T:
        return slot == 1;
    case GAN_OP_CONV2D_BWD:
    case GAN_OP_CONV2D_T_BWD:
        return slot == 3;
    default:
        return 0;
    }
}

/* In slots that the op also writes (persistent state updated in place). */
static int in_is_updated(const gan_op *op, int slot)
{
    switch (op->type) {
    case GAN_OP_BN_TRAIN:
        return slot == 3 || slot == 4;
    case GAN_OP_SPECTRAL_NORM:
        return slot == 1 && op->i[0] == 1;
    case GAN_OP_ADAM:
        return slot == 0 || slot == 2 || slot == 3 || slot == 4;
    case GAN_OP_EMA:
        return slot == 1;
    default:
        return 0;
    }
}

int gan_op_uses(const gan_op *op, gan_op_use uses[2 * GAN_OP_MAX_IO])
{
    int n = 0;
    int nin = op->n_in > GAN_OP_MAX_IO ? GAN_OP_MAX_IO : op->n_in;
    int nout = op->n_out > GAN_OP_MAX_IO ? GAN_OP_MAX_IO : op->n_out;
    for (int j = 0; j < nin; j++) {
        if (op->in[j] < 0)
            continue;
        uses[n].tensor = op->in[j];
        uses[n].access = GAN_ACC_READ | (in_is_updated(op, j) ? GAN_ACC_WRITE : 0);
        uses[n].is_out = 0;
        uses[n].slot = j;
        n++;
    }
    for (int j = 0; j < nout; j++) {
        if (op->out[j] < 0)
            continue;
        uses[n].tensor = op->out[j];
        if (gan_op_out_is_workspace(op->type, j))
            uses[n].access = GAN_ACC_SCRATCH;
        else if (is_backward(op->type))
            uses[n].access = GAN_ACC_READ | GAN_ACC_WRITE; /* += */
        else
            uses[n].access = GAN_ACC_WRITE;
        uses[n].is_out = 1;
        uses[n].slot = j;
        n++;
    }
    return n;
}

static const gan_tensor *tin(const gan_model *m, const gan_op *op, int slot)
{
    int t = slot < op->n_in ? op->in[slot] : -1;
    return t >= 0 && t < m->n_tensors ? &m->tensors[t] : NULL;
}

static const gan_tensor *tout(const gan_model *m, const gan_op *op, int slot)
{
    int t = slot < op->n_out ? op->out[slot] : -1;
    return t >= 0 && t < m->n_tensors ? &m->tensors[t] : NULL;
}

/* Conv geometry (forward view): x [N,C,H,W], y [N,OC,OH,OW], kernel KHxKW. For CONV2D_T the
 * weight is [C,OC,KH,KW]; otherwise [OC,C,KH,KW]. */
typedef struct {
    int64_t n, c, h, w, oc, oh, ow, kh, kw;
} conv_geom;

static int conv_geom_of(const gan_model *m, const gan_op *op, int transposed, int y_slot_is_out,
                        conv_geom *g)
{
    const gan_tensor *x = tin(m, op, 0), *w = tin(m, op, 1);
    const gan_tensor *y = y_slot_is_out ? tout(m, op, 0) : tin(m, op, 3); /* y or dy */
    if (!x || !w || !y || x->ndim != 4 || w->ndim != 4 || y->ndim != 4)
        return -1;
    g->n = x->shape[0];
    g->c = x->shape[1];
    g->h = x->shape[2];
    g->w = x->shape[3];
    g->oc = y->shape[1];
    g->oh = y->shape[2];
    g->ow = y->shape[3];
    g->kh = w->shape[2];
    g->kw = w->shape[3];
    (void)transposed;
    return 0;
}

uint64_t gan_op_workspace_floats(const gan_model *m, const gan_op *op)
{
    conv_geom g;
    switch (op->type) {
    case GAN_OP_CONV2D:
        if (conv_geom_of(m, op, 0, 1, &g))
            return 0;
        return (uint64_t)(g.c * g.kh * g.kw * g.oh * g.ow);
    case GAN_OP_CONV2D_BWD:
        if (conv_geom_of(m, op, 0, 0, &g))
            return 0;
        return (uint64_t)(g.c * g.kh * g.kw * g.oh * g.ow);
    case GAN_OP_CONV2D_T:
        if (conv_geom_of(m, op, 1, 1, &g))
            return 0;
        return (uint64_t)(g.oc * g.kh * g.kw * g.h * g.w);
    case GAN_OP_CONV2D_T_BWD:
        if (conv_geom_of(m, op, 1, 0, &g))
            return 0;
        return (uint64_t)(g.oc * g.kh * g.kw * g.h * g.w);
    default:
        return 0;
    }
}

static double numel_in(const gan_model *m, const gan_op *op, int slot)
{
    const gan_tensor *t = tin(m, op, slot);
    return t ? (double)t->numel : 0.0;
}

static double numel_out(const gan_model *m, const gan_op *op, int slot)
{
    const gan_tensor *t = tout(m, op, slot);
    return t ? (double)t->numel : 0.0;
}

double gan_op_flops(const gan_model *m, const gan_op *op)
{
    conv_geom g;
    double macs, n;
    switch (op->type) {
    case GAN_OP_ZERO:
    case GAN_OP_COPY:
    case GAN_OP_COPY_BWD:
    case GAN_OP_UPSAMPLE:
    case GAN_OP_TILE:
    case GAN_OP_CONCAT:
        return 0.0; /* data movement only */
    case GAN_OP_DENSE: {
        /* y [N,M] = x [N,K] w^T: N*M*K multiply-adds, plus bias and activation */
        double y = numel_out(m, op, 0), x = numel_in(m, op, 0);
        const gan_tensor *w = tin(m, op, 1);
        double mm = w ? (double)w->shape[0] : 1.0;
        double nn = mm > 0 ? y / mm : 0.0;
        double k = nn > 0 ? x / nn : 0.0;
        return 2.0 * nn * mm * k + 2.0 * y;
    }
    case GAN_OP_DENSE_BWD: {
        const gan_tensor *w = tin(m, op, 1);
        double dy = numel_in(m, op, 3), x = numel_in(m, op, 0);
        double mm = w ? (double)w->shape[0] : 1.0;
        double nn = mm > 0 ? dy / mm : 0.0;
        double k = nn > 0 ? x / nn : 0.0;
        double f = 2.0 * dy; /* activation derivative + bias grad */
        if (op->n_out > 0 && op->out[0] >= 0)
            f += 2.0 * nn * mm * k;
        if (op->n_out > 1 && op->out[1] >= 0)
            f += 2.0 * nn * mm * k;
        return f;
    }
    case GAN_OP_CONV2D:
    case GAN_OP_CONV2D_T:
        if (conv_geom_of(m, op, op->type == GAN_OP_CONV2D_T, 1, &g))
            return 0.0;
        if (op->type == GAN_OP_CONV2D)
            macs = (double)g.n * g.oc * g.oh * g.ow * g.c * g.kh * g.kw;
        else
            macs = (double)g.n * g.c * g.h * g.w * g.oc * g.kh * g.kw;
        return 2.0 * macs + 2.0 * (double)g.n * g.oc * g.oh * g.ow;
    case GAN_OP_CONV2D_BWD:
    case GAN_OP_CONV2D_T_BWD: {
        if (conv_geom_of(m, op, op->type == GAN_OP_CONV2D_T_BWD, 0, &g))
            return 0.0;
        if (op->type == GAN_OP_CONV2D_BWD)
            macs = (double)g.n * g.oc * g.oh * g.ow * g.c * g.kh * g.kw;
        else
            macs = (double)g.n * g.c * g.h * g.w * g.oc * g.kh * g.kw;
        double f = 2.0 * (double)g.n * g.oc * g.oh * g.ow;
        if (op->n_out > 0 && op->out[0] >= 0)
            f += 2.0 * macs;
        if (op->n_out > 1 && op->out[1] >= 0)
            f += 2.0 * macs;
        return f;
    }
    case GAN_OP_BN_TRAIN:
    case GAN_OP_BN_TRAIN_BWD:
        return 8.0 * numel_in(m, op, 0);
    case GAN_OP_BN_INFER:
        return 4.0 * numel_in(m, op, 0);
    case GAN_OP_ACT:
    case GAN_OP_ACT_BWD:
    case GAN_OP_ADD:
    case GAN_OP_MUL:
    case GAN_OP_GAP:
    case GAN_OP_UPSAMPLE_BWD:
    case GAN_OP_TILE_BWD:
    case GAN_OP_GAP_BWD:
    case GAN_OP_ADD_BWD:
    case GAN_OP_CONCAT_BWD:
        n = numel_in(m, op, 0);
        if (op->type == GAN_OP_ACT_BWD)
            n = numel_in(m, op, 1);
        return 2.0 * n;
    case GAN_OP_MUL_BWD:
    case GAN_OP_ROWDOT:
        return 4.0 * numel_in(m, op, 0);
    case GAN_OP_ROWDOT_BWD:
        return 4.0 * numel_in(m, op, 0);
    case GAN_OP_SPECTRAL_NORM:
        /* two matrix-vector products (W^T u, W v), then the division */
        return 5.0 * numel_in(m, op, 0);
    case GAN_OP_SPECTRAL_NORM_BWD:
        return 6.0 * numel_in(m, op, 0);
    case GAN_OP_LOSS_HINGE_REAL:
    case GAN_OP_LOSS_HINGE_FAKE:
    case GAN_OP_LOSS_MEAN:
    case GAN_OP_LOSS_HINGE_REAL_BWD:
    case GAN_OP_LOSS_HINGE_FAKE_BWD:
    case GAN_OP_LOSS_MEAN_BWD:
        return 3.0 * numel_in(m, op, 0);
    case GAN_OP_LOSS_BCE_LOGITS:
    case GAN_OP_LOSS_BCE:
    case GAN_OP_LOSS_SOFTMAX_CE:
    case GAN_OP_LOSS_BCE_LOGITS_BWD:
    case GAN_OP_LOSS_BCE_BWD:
    case GAN_OP_LOSS_SOFTMAX_CE_BWD:
        return 8.0 * numel_in(m, op, 0);
    case GAN_OP_LOSS_SUM:
        return 2.0 * op->n_in;
    case GAN_OP_ADAM:
        return 12.0 * numel_in(m, op, 0);
    case GAN_OP_EMA:
        return 3.0 * numel_in(m, op, 0);
    default:
        return 0.0;
    }
}

/* ---------------------------------------------------------------- validation */

typedef struct {
    const gan_model *m;
    const gan_op *op;
    char *err;
    size_t errlen;
} vctx;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(vctx *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gan_verrf_at(v->err, v->errlen, gan_op_name(v->op->type), fmt, ap);
    va_end(ap);
    return -1;
}

static void shape_str(const gan_tensor *t, char *buf, size_t len)
{
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "[");
    for (int d = 0; d < t->ndim && d < GAN_MAX_DIMS && o < len; d++)
        o += (size_t)snprintf(buf + o, len - o, d ? ",%d" : "%d", t->shape[d]);
    if (o < len)
        snprintf(buf + o, len - o, "]");
}

/* Slot spec characters: 'r' required, 'o' optional (-1 allowed), '-' must be absent. */
typedef struct {
    const char *in, *out;
} slot_spec;

static slot_spec spec_of(int type)
{
    switch (type) {
    case GAN_OP_ZERO: return (slot_spec){"", "r"};
    case GAN_OP_COPY: return (slot_spec){"r", "r"};
    case GAN_OP_DENSE: return (slot_spec){"rro", "r"};
    case GAN_OP_CONV2D: return (slot_spec){"rro", "ro"};
    case GAN_OP_CONV2D_T: return (slot_spec){"rro", "ro"};
    case GAN_OP_UPSAMPLE: return (slot_spec){"r", "r"};
    case GAN_OP_BN_TRAIN: return (slot_spec){"roorr", "rrr"};
    case GAN_OP_BN_INFER: return (slot_spec){"roorr", "r"};
    case GAN_OP_ACT: return (slot_spec){"r", "r"};
    case GAN_OP_CONCAT: return (slot_spec){"rrrrrrrr", "r"}; /* n_in of them */
    case GAN_OP_TILE: return (slot_spec){"r", "r"};
    case GAN_OP_GAP: return (slot_spec){"r", "r"};
    case GAN_OP_ADD: return (slot_spec){"rr", "r"};
    case GAN_OP_MUL: return (slot_spec){"rr", "r"};
    case GAN_OP_ROWDOT: return (slot_spec){"rr", "r"};
    case GAN_OP_SPECTRAL_NORM: return (slot_spec){"rr", "rrr"};
    case GAN_OP_LOSS_HINGE_REAL:
    case GAN_OP_LOSS_HINGE_FAKE:
    case GAN_OP_LOSS_MEAN: return (slot_spec){"r", "r"};
    case GAN_OP_LOSS_BCE_LOGITS:
    case GAN_OP_LOSS_BCE: return (slot_spec){"ro", "r"};
    case GAN_OP_LOSS_SOFTMAX_CE: return (slot_spec){"rr", "r"};
    case GAN_OP_LOSS_SUM: return (slot_spec){"rrrrrrrr", "r"};
    case GAN_OP_COPY_BWD: return (slot_spec){"r", "r"};
    case GAN_OP_DENSE_BWD: return (slot_spec){"rror", "ooo"};
    case GAN_OP_CONV2D_BWD: return (slot_spec){"rror", "oooo"};
    case GAN_OP_CONV2D_T_BWD: return (slot_spec){"rror", "oooo"};
    case GAN_OP_UPSAMPLE_BWD: return (slot_spec){"r", "r"};
    case GAN_OP_BN_TRAIN_BWD: return (slot_spec){"roorrr", "ooo"};
    case GAN_OP_ACT_BWD: return (slot_spec){"rr", "r"};
    case GAN_OP_CONCAT_BWD: return (slot_spec){"r", "oooooooo"};
    case GAN_OP_TILE_BWD: return (slot_spec){"r", "r"};
    case GAN_OP_GAP_BWD: return (slot_spec){"r", "r"};
    case GAN_OP_ADD_BWD: return (slot_spec){"r", "oo"};
    case GAN_OP_MUL_BWD: return (slot_spec){"rrr", "oo"};
    case GAN_OP_ROWDOT_BWD: return (slot_spec){"rrr", "oo"};
    case GAN_OP_SPECTRAL_NORM_BWD: return (slot_spec){"rrrrr", "r"};
    case GAN_OP_LOSS_HINGE_REAL_BWD:
    case GAN_OP_LOSS_HINGE_FAKE_BWD:
    case GAN_OP_LOSS_MEAN_BWD: return (slot_spec){"r", "r"};
    case GAN_OP_LOSS_BCE_LOGITS_BWD:
    case GAN_OP_LOSS_BCE_BWD: return (slot_spec){"ro", "r"};
    case GAN_OP_LOSS_SOFTMAX_CE_BWD: return (slot_spec){"rr", "r"};
    case GAN_OP_ADAM: return (slot_spec){"rrrrr", ""};
    case GAN_OP_EMA: return (slot_spec){"rr", ""};
    default: return (slot_spec){NULL, NULL};
    }
}

static int check_slots(vctx *v, const char *spec, int n, const int32_t *idx, const char *dir)
{
    int len = (int)strlen(spec);
    int variadic = v->op->type == GAN_OP_CONCAT || v->op->type == GAN_OP_LOSS_SUM ||
                   v->op->type == GAN_OP_CONCAT_BWD;
    /* n may count trailing -1 slots (model.h), even past the op's last slot */
    for (int j = len; j < n && j < GAN_OP_MAX_IO; j++)
        if (idx[j] != -1)
            return fail(v, "%s%d = %d: the op has only %d %s slots", dir, j, idx[j], len, dir);
    if (variadic && !strcmp(dir, "in") && n < 1)
        return fail(v, "needs at least one input");
    for (int j = 0; j < GAN_OP_MAX_IO; j++) {
        int t = idx[j];
        if (j >= n) {
            if (t != -1)
                return fail(v, "%s%d = %d beyond the %d slots in use (must be -1)", dir, j, t, n);
            if (j < len && spec[j] == 'r' && !variadic)
                return fail(v, "%s%d is required but only %d %s slots are in use", dir, j, n, dir);
            continue;
        }
        if (j >= len)
            continue;
        if (t < -1 || t >= v->m->n_tensors)
            return fail(v, "%s%d = %d is not a tensor index (model has %d)", dir, j, t,
                        v->m->n_tensors);
        if (t == -1 && spec[j] == 'r')
            return fail(v, "%s%d is required", dir, j);
    }
    return 0;
}

#define T(idx) (&v->m->tensors[(idx)])
#define IN(j) tin(v->m, v->op, (j))
#define OUT(j) tout(v->m, v->op, (j))

static int same_shape(const gan_tensor *a, const gan_tensor *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d])
            return 0;
    return 1;
}

static int need_shape(vctx *v, const gan_tensor *a, const gan_tensor *b, const char *what)
{
    if (!a || !b || same_shape(a, b))
        return 0;
    char sa[64], sb[64];
    shape_str(a, sa, sizeof sa);
    shape_str(b, sb, sizeof sb);
    return fail(v, "%s: '%s' %s vs '%s' %s", what, a->name, sa, b->name, sb);
}

static int need_numel(vctx *v, const gan_tensor *a, uint64_t numel, const char *what)
{
    if (!a || a->numel == numel)
        return 0;
    char sa[64];
    shape_str(a, sa, sizeof sa);
    return fail(v, "%s: '%s' %s has %llu elements, expected %llu", what, a->name, sa,
                (unsigned long long)a->numel, (unsigned long long)numel);
}

static int need_ndim(vctx *v, const gan_tensor *a, int lo, int hi, const char *what)
{
    if (!a || (a->ndim >= lo && a->ndim <= hi))
        return 0;
    char sa[64];
    shape_str(a, sa, sizeof sa);
    if (lo == hi)
        return fail(v, "%s: '%s' %s must have rank %d", what, a->name, sa, lo);
    return fail(v, "%s: '%s' %s must have rank %d..%d", what, a->name, sa, lo, hi);
}

static int need_act(vctx *v)
{
    int a = v->op->i[0];
    if (a < 0 || a >= GAN_ACT_COUNT)
        return fail(v, "activation i0 = %d out of range", a);
    return 0;
}

static int need_finite(vctx *v, float f, const char *what)
{
    if (!(f == f) || f > 3.0e38f || f < -3.0e38f)
        return fail(v, "%s is not a finite number", what);
    return 0;
}

/* Convolution geometry: x [N,C,H,W], weight, y [N,OC,OH,OW]. */
static int check_conv(vctx *v, int transposed, int bwd)
{
    const gan_tensor *x = IN(0), *w = IN(1), *b = bwd ? NULL : IN(2);
    const gan_tensor *y = bwd ? IN(3) : OUT(0); /* y or dy: the output geometry */
    if (need_ndim(v, x, 4, 4, "x") || need_ndim(v, w, 4, 4, "weight") ||
        need_ndim(v, y, 4, 4, bwd ? "dy" : "y"))
        return -1;
    if (need_act(v))
        return -1;
    int64_t n = x->shape[0], c = x->shape[1], h = x->shape[2], wd = x->shape[3];
    int64_t oc = y->shape[1], oh = y->shape[2], ow = y->shape[3];
    int64_t wc = transposed ? w->shape[0] : w->shape[1];
    int64_t woc = transposed ? w->shape[1] : w->shape[0];
    int64_t kh = w->shape[2], kw = w->shape[3];
    int64_t s = v->op->i[1], pt = v->op->i[2], pl = v->op->i[3];
    if (y->shape[0] != n)
        return fail(v, "batch of '%s' (%d) differs from '%s' (%lld)", y->name, y->shape[0],
                    x->name, (long long)n);
    if (wc != c || woc != oc)
        return fail(v, "weight '%s' [%d,%d,%d,%d] does not fit %lld input and %lld output "
                       "channels",
                    w->name, w->shape[0], w->shape[1], w->shape[2], w->shape[3], (long long)c,
                    (long long)oc);
    if (s < 1 || s > 64)
        return fail(v, "stride i1 = %lld out of range", (long long)s);
    if (pt < 0 || pl < 0 || pt >= kh || pl >= kw)
        return fail(v, "padding (top %lld, left %lld) must be >= 0 and smaller than the kernel "
                       "%lldx%lld",
                    (long long)pt, (long long)pl, (long long)kh, (long long)kw);
    /* Remaining (bottom/right) padding, from the shapes; it may be negative by less than a
     * stride (input rows the last window never reaches) and must be below the kernel size. */
    int64_t pb, pr;
    const char *why = NULL;
    if (!transposed) {
        pb = (oh - 1) * s + kh - h - pt;
        pr = (ow - 1) * s + kw - wd - pl;
    } else {
        pb = (h - 1) * s + kh - pt - oh;
        pr = (wd - 1) * s + kw - pl - ow;
    }
    if (pb < -(s - 1) || pr < -(s - 1))
        why = "too small";
    else if (pb >= kh || pr >= kw)
        why = "too large";
    if (why) {
        char sx[64], sy[64];
        shape_str(x, sx, sizeof sx);
        shape_str(y, sy, sizeof sy);
        return fail(v, "output '%s' %s is %s for input '%s' %s with kernel %lldx%lld, stride "
                       "%lld, padding top %lld left %lld",
                    y->name, sy, why, x->name, sx, (long long)kh, (long long)kw, (long long)s,
                    (long long)pt, (long long)pl);
    }
    if (b && need_numel(v, b, (uint64_t)oc, "bias"))
        return -1;
    if (bwd) {
        const gan_tensor *yy = IN(2);
        if (v->op->i[0] != GAN_ACT_NONE && !yy)
            return fail(v, "in2 (forward output y) is required with activation %s",
                        gan_act_name(v->op->i[0]));
        if (need_shape(v, yy, y, "y vs dy") || need_shape(v, OUT(0), x, "dx vs x") ||
            need_shape(v, OUT(1), w, "dw vs w") || need_numel(v, OUT(2), (uint64_t)oc, "db"))
            return -1;
    }
    int ws_slot = bwd ? 3 : 1;
    const gan_tensor *ws = OUT(ws_slot);
    if (ws) {
        uint64_t need = gan_op_workspace_floats(v->m, v->op);
        if (ws->numel < need)
            return fail(v, "workspace '%s' holds %llu floats, needs %llu", ws->name,
                        (unsigned long long)ws->numel, (unsigned long long)need);
    }
    return need_finite(v, v->op->f[0], "alpha f0");
}

static int check_dense(vctx *v, int bwd)
{
    const gan_tensor *x = IN(0), *w = IN(1);
    const gan_tensor *y = bwd ? IN(3) : OUT(0);
    if (need_ndim(v, x, 2, 4, "x") || need_ndim(v, w, 2, 2, "weight") ||
        need_ndim(v, y, 2, 2, bwd ? "dy" : "y") || need_act(v))
        return -1;
    int64_t n = x->shape[0];
    uint64_t k = x->numel / (uint64_t)n;
    if (y->shape[0] != n)
        return fail(v, "batch of '%s' (%d) differs from '%s' (%lld)", y->name, y->shape[0],
                    x->name, (long long)n);
    if ((uint64_t)w->shape[1] != k || w->shape[0] != y->shape[1])
        return fail(v, "weight '%s' [%d,%d] does not fit %llu inputs per sample and %d outputs",
                    w->name, w->shape[0], w->shape[1], (unsigned long long)k, y->shape[1]);
    if (!bwd)
        return need_numel(v, IN(2), (uint64_t)w->shape[0], "bias");
    if (v->op->i[0] != GAN_ACT_NONE && !IN(2))
        return fail(v, "in2 (forward output y) is required with activation %s",
                    gan_act_name(v->op->i[0]));
    if (need_shape(v, IN(2), y, "y vs dy") || need_shape(v, OUT(0), x, "dx vs x") ||
        need_shape(v, OUT(1), w, "dw vs w") || need_numel(v, OUT(2), (uint64_t)w->shape[0], "db"))
        return -1;
    return 0;
}

static int check_bn(vctx *v, int bwd)
{
    const gan_tensor *x = IN(0);
    if (need_ndim(v, x, 2, 4, "x") || need_act(v))
        return -1;
    if (x->ndim == 3)
        return fail(v, "x '%s' must be [N,C] or [N,C,H,W]", x->name);
    uint64_t c = (uint64_t)x->shape[1];
    if (need_numel(v, IN(1), c, "gamma"))
        return -1;
    if (!bwd) {
        if (need_numel(v, IN(2), c, "beta") || need_numel(v, IN(3), c, "running mean") ||
            need_numel(v, IN(4), c, "running var") || need_shape(v, OUT(0), x, "y vs x"))
            return -1;
        if (v->op->type == GAN_OP_BN_TRAIN &&
            (need_numel(v, OUT(1), c, "saved mean") || need_numel(v, OUT(2), c, "saved invstd")))
            return -1;
        if (need_finite(v, v->op->f[1], "momentum f1"))
            return -1;
        if (!(v->op->f[2] >= 0.0f && v->op->f[2] < 1.0f))
            return fail(v, "eps f2 = %g out of range", (double)v->op->f[2]);
        return 0;
    }
    if (v->op->i[0] != GAN_ACT_NONE && !IN(2))
        return fail(v, "in2 (forward output y) is required with activation %s",
                    gan_act_name(v->op->i[0]));
    if (need_shape(v, IN(2), x, "y vs x") || need_shape(v, IN(3), x, "dy vs x") ||
        need_numel(v, IN(4), c, "saved mean") || need_numel(v, IN(5), c, "saved invstd") ||
        need_shape(v, OUT(0), x, "dx vs x") || need_numel(v, OUT(1), c, "dgamma") ||
        need_numel(v, OUT(2), c, "dbeta"))
        return -1;
    return 0;
}

static int check_upsample(vctx *v, const gan_tensor *small, const gan_tensor *big)
{
    if (need_ndim(v, small, 4, 4, "x") || need_ndim(v, big, 4, 4, "y"))
        return -1;
    int64_t k = v->op->i[1];
    if (k < 1 || k > 64)
        return fail(v, "factor i1 = %lld out of range", (long long)k);
    if (big->shape[0] != small->shape[0] || big->shape[1] != small->shape[1] ||
        big->shape[2] != small->shape[2] * k || big->shape[3] != small->shape[3] * k) {
        char s1[64], s2[64];
        shape_str(small, s1, sizeof s1);
        shape_str(big, s2, sizeof s2);
        return fail(v, "'%s' %s is not '%s' %s upsampled by %lld", big->name, s2, small->name,
                    s1, (long long)k);
    }
    return 0;
}

static int check_concat(vctx *v, const gan_tensor *whole, const int32_t *parts, int k, int all)
{
    if (need_ndim(v, whole, 2, 4, "concatenation") )
        return -1;
    if (whole->ndim == 3)
        return fail(v, "'%s' must be [N,C] or [N,C,H,W]", whole->name);
    int64_t sum = 0;
    int missing = 0;
    for (int j = 0; j < k; j++) {
        if (parts[j] < 0) {
            missing = 1;
            continue;
        }
        const gan_tensor *p = T(parts[j]);
        int bad = p->ndim != whole->ndim || p->shape[0] != whole->shape[0];
        for (int d = 2; d < p->ndim && !bad; d++)
            bad = p->shape[d] != whole->shape[d];
        if (bad) {
            char s1[64], s2[64];
            shape_str(p, s1, sizeof s1);
            shape_str(whole, s2, sizeof s2);
            return fail(v, "part '%s' %s does not fit '%s' %s", p->name, s1, whole->name, s2);
        }
        sum += p->shape[1];
    }
    if ((all || !missing) ? sum != whole->shape[1] : sum > whole->shape[1])
        return fail(v, "parts have %lld channels, '%s' has %d", (long long)sum, whole->name,
                    whole->shape[1]);
    return 0;
}

static int check_tile(vctx *v, const gan_tensor *vec, const gan_tensor *map)
{
    if (need_ndim(v, vec, 2, 2, "vector") || need_ndim(v, map, 4, 4, "map"))
        return -1;
    if (map->shape[0] != vec->shape[0] || map->shape[1] != vec->shape[1])
        return fail(v, "'%s' and '%s' differ in batch or channels", vec->name, map->name);
    return 0;
}

static int check_per_sample(vctx *v, const gan_tensor *a, const gan_tensor *b)
{
    if (a->shape[0] != b->shape[0] || a->numel != b->numel)
        return need_shape(v, a, b, "operands");
    return 0;
}

static int check_loss(vctx *v, int bwd)
{
    const gan_tensor *a = IN(0), *t = IN(1);
    int type = v->op->type;
    if (need_finite(v, v->op->f[0], "weight f0") || need_finite(v, v->op->f[1], "param f1"))
        return -1;
    if (type == GAN_OP_LOSS_SOFTMAX_CE || type == GAN_OP_LOSS_SOFTMAX_CE_BWD) {
        if (need_ndim(v, a, 2, 2, "logits") || need_shape(v, t, a, "targets vs logits"))
            return -1;
    } else if (t && t->numel != a->numel) {
        return need_shape(v, t, a, "targets vs input");
    }
    if (bwd)
        return need_shape(v, OUT(0), a, "gradient vs input");
    return need_numel(v, OUT(0), 1, "loss");
}

int gan_op_validate(const gan_model *m, const gan_op *op, char *err, size_t errlen)
{
    vctx vv = {m, op, err, errlen}, *v = &vv;
    slot_spec sp = spec_of(op->type);
    if (!sp.in)
        return fail(v, "unknown op type %d", op->type);
    if (check_slots(v, sp.in, op->n_in, op->in, "in") ||
        check_slots(v, sp.out, op->n_out, op->out, "out"))
        return -1;
    for (int j = 0; j < 8; j++)
        if (need_finite(v, op->f[j], "attribute f"))
            return -1;
    /* No tensor may be written twice by one op, and a written tensor may not also be read
     * by it except where ops.h says so (ACT's out0 may alias in0; updated-in-place state is
     * an in slot only). */
    gan_op_use u[2 * GAN_OP_MAX_IO];
    int nu = gan_op_uses(op, u);
    for (int a = 0; a < nu; a++)
        for (int b = a + 1; b < nu; b++)
            if (u[a].tensor == u[b].tensor && (u[a].is_out || u[b].is_out) &&
                !(op->type == GAN_OP_ACT && u[a].tensor == op->in[0]))
                return fail(v, "tensor '%s' is used twice (%s%d and %s%d)",
                            m->tensors[u[a].tensor].name, u[a].is_out ? "out" : "in", u[a].slot,
                            u[b].is_out ? "out" : "in", u[b].slot);
    const gan_tensor *x = IN(0), *y = OUT(0);
    switch (op->type) {
    case GAN_OP_ZERO:
        return 0;
    case GAN_OP_COPY:
    case GAN_OP_COPY_BWD:
        return need_numel(v, y, x->numel, "copy");
    case GAN_OP_DENSE:
        return check_dense(v, 0);
    case GAN_OP_DENSE_BWD:
        return check_dense(v, 1);
    case GAN_OP_CONV2D:
        return check_conv(v, 0, 0);
    case GAN_OP_CONV2D_T:
        return check_conv(v, 1, 0);
    case GAN_OP_CONV2D_BWD:
        return check_conv(v, 0, 1);
    case GAN_OP_CONV2D_T_BWD:
        return check_conv(v, 1, 1);
    case GAN_OP_UPSAMPLE:
        return check_upsample(v, x, y);
    case GAN_OP_UPSAMPLE_BWD:
        return check_upsample(v, y, x);
    case GAN_OP_BN_TRAIN:
    case GAN_OP_BN_INFER:
        return check_bn(v, 0);
    case GAN_OP_BN_TRAIN_BWD:
        return check_bn(v, 1);
    case GAN_OP_ACT:
        if (need_act(v))
            return -1;
        return need_shape(v, y, x, "y vs x");
    case GAN_OP_ACT_BWD:
        if (need_act(v))
            return -1;
        return need_shape(v, IN(1), x, "dy vs y") || need_shape(v, y, x, "dx vs y") ? -1 : 0;
    case GAN_OP_CONCAT:
        return check_concat(v, y, op->in, op->n_in, 1);
    case GAN_OP_CONCAT_BWD:
        if (op->i[7] < 1 || op->i[7] > GAN_OP_MAX_IO || op->i[7] < op->n_out)
            return fail(v, "part count i7 = %d does not fit %d out slots", op->i[7], op->n_out);
        return check_concat(v, x, op->out, op->n_out, op->n_out == op->i[7] ? 0 : 0);
    case GAN_OP_TILE:
        return check_tile(v, x, y);
    case GAN_OP_TILE_BWD:
        return check_tile(v, y, x);
    case GAN_OP_GAP:
        if (need_ndim(v, x, 4, 4, "x") || need_ndim(v, y, 2, 2, "y"))
            return -1;
        if (y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1])
            return need_shape(v, y, x, "pooled vs input");
        return 0;
    case GAN_OP_GAP_BWD:
        if (need_ndim(v, y, 4, 4, "dx") || need_ndim(v, x, 2, 2, "dy"))
            return -1;
        if (y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1])
            return need_shape(v, y, x, "dx vs dy");
        return 0;
    case GAN_OP_ADD:
    case GAN_OP_MUL:
        return need_shape(v, IN(1), x, "operands") || need_shape(v, y, x, "result") ? -1 : 0;
    case GAN_OP_ADD_BWD:
        return need_shape(v, OUT(0), x, "da vs dy") || need_shape(v, OUT(1), x, "db vs dy") ? -1
                                                                                            : 0;
    case GAN_OP_MUL_BWD:
        return need_shape(v, IN(1), x, "operands") || need_shape(v, IN(2), x, "dy") ||
                       need_shape(v, OUT(0), x, "da") || need_shape(v, OUT(1), x, "db")
                   ? -1
                   : 0;
    case GAN_OP_ROWDOT:
        if (check_per_sample(v, x, IN(1)))
            return -1;
        return need_numel(v, y, (uint64_t)x->shape[0], "row dot");
    case GAN_OP_ROWDOT_BWD:
        if (check_per_sample(v, x, IN(1)) ||
            need_numel(v, IN(2), (uint64_t)x->shape[0], "dy"))
            return -1;
        return need_shape(v, OUT(0), x, "da") || need_shape(v, OUT(1), IN(1), "db") ? -1 : 0;
    case GAN_OP_SPECTRAL_NORM: {
        uint64_t o = (uint64_t)x->shape[0];
        if (need_numel(v, IN(1), o, "u") || need_shape(v, y, x, "w_sn vs w") ||
            need_numel(v, OUT(1), x->numel / o, "v") || need_numel(v, OUT(2), 1, "sigma"))
            return -1;
        if (op->i[0] != 0 && op->i[0] != 1)
            return fail(v, "training flag i0 = %d must be 0 or 1", op->i[0]);
        return 0;
    }
    case GAN_OP_SPECTRAL_NORM_BWD: {
        uint64_t o = (uint64_t)x->shape[0];
        if (need_numel(v, IN(1), o, "u") || need_numel(v, IN(2), x->numel / o, "v") ||
            need_numel(v, IN(3), 1, "sigma") || need_shape(v, IN(4), x, "dw_sn vs w") ||
            need_shape(v, y, x, "dw vs w"))
            return -1;
        return 0;
    }
    case GAN_OP_LOSS_HINGE_REAL:
    case GAN_OP_LOSS_HINGE_FAKE:
    case GAN_OP_LOSS_MEAN:
    case GAN_OP_LOSS_BCE_LOGITS:
    case GAN_OP_LOSS_BCE:
    case GAN_OP_LOSS_SOFTMAX_CE:
        return check_loss(v, 0);
    case GAN_OP_LOSS_HINGE_REAL_BWD:
    case GAN_OP_LOSS_HINGE_FAKE_BWD:
    case GAN_OP_LOSS_MEAN_BWD:
    case GAN_OP_LOSS_BCE_LOGITS_BWD:
    case GAN_OP_LOSS_BCE_BWD:
    case GAN_OP_LOSS_SOFTMAX_CE_BWD:
        return check_loss(v, 1);
    case GAN_OP_LOSS_SUM:
        for (int j = 0; j < op->n_in; j++)
            if (need_numel(v, IN(j), 1, "term"))
                return -1;
        return need_numel(v, y, 1, "sum");
    case GAN_OP_ADAM:
        if (need_numel(v, IN(1), x->numel, "grads") || need_numel(v, IN(2), x->numel, "m") ||
            need_numel(v, IN(3), x->numel, "v") || need_numel(v, IN(4), 1, "t"))
            return -1;
        if (op->i[0] != 0 && op->i[0] != 1)
            return fail(v, "i0 = %d must be 0 or 1", op->i[0]);
        return 0;
    case GAN_OP_EMA:
        return need_numel(v, IN(1), x->numel, "ema");
    default:
        return fail(v, "unknown op type %d", op->type);
    }
}
