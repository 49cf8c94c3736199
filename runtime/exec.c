/* The program interpreter: one switch over op types. Every tensor an op touches is checked
 * (index, region bounds, shape against the op's contract in ops.h) before any kernel runs, so a
 * malformed program gives an error naming the program, the op and the slot, never a crash. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "runtime/exec.h"
#include "runtime/kernels.h"

typedef struct {
    const gan_model *m;
    float *const *base;
    const gan_program *p;
    const gan_op *op;
    int idx;
    char *err;
    size_t errlen;
    kern_scratch *scratch; /* may be NULL */
} ex;

static int fail(ex *e, const char *fmt, ...)
{
    if (e->err && e->errlen) {
        int k = snprintf(e->err, e->errlen, "program '%.*s' op %d (%s): ", GAN_NAME_MAX, e->p->name, e->idx,
                         gan_op_name(e->op->type));
        if (k >= 0 && (size_t)k < e->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(e->err + k, e->errlen - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

/* A resolved operand: tensor descriptor and data pointer (NULL t = absent optional slot). */
typedef struct {
    const gan_tensor *t;
    float *d;
    size_t n; /* numel */
} opnd;

/* Resolve slot `slot` of the inputs (io = 'i') or outputs ('o'). Slots at or beyond n_in/n_out
 * count as absent. Returns 0, or -1 (error set) for a bad index or a missing required slot. */
static int get(ex *e, char io, int slot, int required, opnd *o)
{
    memset(o, 0, sizeof *o);
    int n_used = io == 'i' ? e->op->n_in : e->op->n_out;
    int ti = -1;
    if (slot < n_used && slot < GAN_OP_MAX_IO)
        ti = io == 'i' ? e->op->in[slot] : e->op->out[slot];
    if (ti == -1) {
        if (required)
            return fail(e, "%s%d is required but absent", io == 'i' ? "in" : "out", slot);
        return 0;
    }
    if (ti < 0 || ti >= e->m->n_tensors)
        return fail(e, "%s%d: tensor index %d out of range [0, %d)", io == 'i' ? "in" : "out",
                    slot, ti, e->m->n_tensors);
    const gan_tensor *t = &e->m->tensors[ti];
    if (t->region >= GAN_REGION_COUNT || t->ndim < 1 || t->ndim > GAN_MAX_DIMS)
        return fail(e, "%s%d: tensor '%.*s' has a bad region or rank", io == 'i' ? "in" : "out",
                    slot, GAN_NAME_MAX, t->name);
    uint64_t prod = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] < 0)
            return fail(e, "%s%d: tensor '%.*s' has a negative dimension",
                        io == 'i' ? "in" : "out", slot, GAN_NAME_MAX, t->name);
        prod *= (uint64_t)t->shape[d];
    }
    if (prod != t->numel || t->offset > e->m->region_floats[t->region] ||
        t->numel > e->m->region_floats[t->region] - t->offset || !e->base[t->region])
        return fail(e, "%s%d: tensor '%.*s' does not fit its region", io == 'i' ? "in" : "out",
                    slot, GAN_NAME_MAX, t->name);
    o->t = t;
    o->d = e->base[t->region] + t->offset;
    o->n = (size_t)t->numel;
    return 0;
}

static int dim(const opnd *o, int d) { return d < o->t->ndim ? o->t->shape[d] : 1; }

/* Check helpers: each returns -1 (error set) on mismatch. */
static int want_numel(ex *e, const opnd *o, const char *what, size_t n)
{
    if (o->t && o->n != n)
        return fail(e, "%s ('%.*s') has %zu elements, expected %zu", what, GAN_NAME_MAX,
                    o->t->name, o->n, n);
    return 0;
}

static int want_rank(ex *e, const opnd *o, const char *what, int r)
{
    if (o->t && o->t->ndim != r)
        return fail(e, "%s ('%.*s') has rank %d, expected %d", what, GAN_NAME_MAX, o->t->name,
                    o->t->ndim, r);
    return 0;
}

static int check_act(ex *e)
{
    if (e->op->i[0] < 0 || e->op->i[0] >= GAN_ACT_COUNT)
        return fail(e, "activation %d out of range", e->op->i[0]);
    return 0;
}

#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((x) != 0)                                                                              \
            return -1;                                                                             \
    } while (0)

/* per-sample split of a batch-major tensor: N = shape[0], rest = numel / N */
static size_t per_sample(const opnd *o) { return dim(o, 0) ? o->n / (size_t)dim(o, 0) : 0; }

/* Shapes of a conv / transposed conv from x, w, y (and the check of ws). */
static int conv_shape(ex *e, int transposed, const opnd *x, const opnd *w, const opnd *b,
                      const opnd *y, const opnd *ws, kern_conv_shape *s)
{
    TRY(want_rank(e, x, "x", 4));
    TRY(want_rank(e, w, "w", 4));
    TRY(want_rank(e, y, "y", 4));
    s->n = dim(x, 0);
    s->c = dim(x, 1);
    s->h = dim(x, 2);
    s->w = dim(x, 3);
    s->oc = transposed ? dim(w, 1) : dim(w, 0);
    int wc = transposed ? dim(w, 0) : dim(w, 1);
    s->kh = dim(w, 2);
    s->kw = dim(w, 3);
    s->oh = dim(y, 2);
    s->ow = dim(y, 3);
    s->stride = e->op->i[1];
    s->pad_t = e->op->i[2];
    s->pad_l = e->op->i[3];
    if (wc != s->c)
        return fail(e, "w has %d input channels, x has %d", wc, s->c);
    if (dim(y, 0) != s->n || dim(y, 1) != s->oc)
        return fail(e, "y is [%d,%d,..], expected [%d,%d,..]", dim(y, 0), dim(y, 1), s->n, s->oc);
    if (s->stride < 1 || s->pad_t < 0 || s->pad_l < 0)
        return fail(e, "bad stride %d or padding (%d, %d)", s->stride, s->pad_t, s->pad_l);
    /* the kernels index with int: the largest position they form, (out - 1) * stride + kernel
     * (+ padding), must fit (huge attributes are bad input, not a reason to overflow) */
    {
        int64_t gh = transposed ? s->h : s->oh, gw = transposed ? s->w : s->ow;
        int64_t ry = (gh - 1) * s->stride + s->kh + s->pad_t, rx = (gw - 1) * s->stride + s->kw + s->pad_l;
        if (ry > INT32_MAX / 2 || rx > INT32_MAX / 2)
            return fail(e, "stride %d / padding (%d, %d) too large for the tensor sizes", s->stride,
                        s->pad_t, s->pad_l);
    }
    if (b && b->t)
        TRY(want_numel(e, b, "bias", (size_t)s->oc));
    size_t need = transposed ? kern_conv2d_t_ws_floats(s) : kern_conv2d_ws_floats(s);
    if (ws->t && ws->n < need)
        return fail(e, "workspace '%.*s' has %zu floats, needs %zu", GAN_NAME_MAX, ws->t->name,
                    ws->n, need);
    return 0;
}

static int kfail(ex *e, int rc)
{
    return rc ? fail(e, "out of memory for a temporary workspace") : 0;
}

/* BN geometry: x [N,C] or [N,C,H,W] */
static int bn_shape(ex *e, const opnd *x, int *n, int *c, size_t *hw)
{
    if (x->t->ndim != 2 && x->t->ndim != 4)
        return fail(e, "x has rank %d, expected 2 or 4", x->t->ndim);
    *n = dim(x, 0);
    *c = dim(x, 1);
    *hw = x->t->ndim == 4 ? (size_t)dim(x, 2) * dim(x, 3) : 1;
    return 0;
}

static int run_op(ex *e, int threads)
{
    const gan_op *op = e->op;
    opnd a[8], o[8];
    float alpha = op->f[0];
    int act = op->i[0];

    switch (op->type) {
    case GAN_OP_ZERO:
        TRY(get(e, 'o', 0, 1, &o[0]));
        kern_zero(o[0].d, o[0].n, threads);
        return 0;
    case GAN_OP_COPY:
    case GAN_OP_COPY_BWD:
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'o', 0, 1, &o[0]));
        TRY(want_numel(e, &o[0], "out0", a[0].n));
        if (op->type == GAN_OP_COPY)
            kern_copy(a[0].d, o[0].d, a[0].n, threads);
        else
            kern_accum(a[0].d, o[0].d, a[0].n, threads);
        return 0;

    case GAN_OP_DENSE:
    case GAN_OP_DENSE_BWD: {
        int bwd = op->type == GAN_OP_DENSE_BWD;
        TRY(check_act(e));
        TRY(get(e, 'i', 0, 1, &a[0])); /* x */
        TRY(get(e, 'i', 1, 1, &a[1])); /* w */
        TRY(want_rank(e, &a[1], "w", 2));
        int n = dim(&a[0], 0), m = dim(&a[1], 0), k = dim(&a[1], 1);
        TRY(want_numel(e, &a[0], "x", (size_t)n * k));
        if (!bwd) {
            TRY(get(e, 'i', 2, 0, &a[2]));
            TRY(get(e, 'o', 0, 1, &o[0]));
            TRY(want_numel(e, &a[2], "bias", (size_t)m));
            TRY(want_numel(e, &o[0], "y", (size_t)n * m));
            kern_dense_fwd(a[0].d, a[1].d, a[2].d, o[0].d, n, k, m, act, alpha, threads);
            return 0;
        }
        TRY(get(e, 'i', 2, act != GAN_ACT_NONE, &a[2])); /* y */
        TRY(get(e, 'i', 3, 1, &a[3]));                   /* dy */
        TRY(want_numel(e, &a[2], "y", (size_t)n * m));
        TRY(want_numel(e, &a[3], "dy", (size_t)n * m));
        for (int j = 0; j < 3; j++)
            TRY(get(e, 'o', j, 0, &o[j]));
        TRY(want_numel(e, &o[0], "dx", a[0].n));
        TRY(want_numel(e, &o[1], "dw", a[1].n));
        TRY(want_numel(e, &o[2], "db", (size_t)m));
        kern_dense_bwd(a[0].d, a[1].d, a[2].d, a[3].d, o[0].d, o[1].d, o[2].d, n, k, m, act, alpha,
                       threads);
        return 0;
    }

    case GAN_OP_CONV2D:
    case GAN_OP_CONV2D_T: {
        int tr = op->type == GAN_OP_CONV2D_T;
        kern_conv_shape s;
        TRY(check_act(e));
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'i', 1, 1, &a[1]));
        TRY(get(e, 'i', 2, 0, &a[2]));
        TRY(get(e, 'o', 0, 1, &o[0]));
        TRY(get(e, 'o', 1, 0, &o[1]));
        TRY(conv_shape(e, tr, &a[0], &a[1], &a[2], &o[0], &o[1], &s));
        s.scratch = e->scratch;
        if (tr)
            return kfail(e, kern_conv2d_t_fwd(&s, a[0].d, a[1].d, a[2].d, o[0].d, o[1].d, act,
                                              alpha, threads));
        return kfail(e, kern_conv2d_fwd(&s, a[0].d, a[1].d, a[2].d, o[0].d, o[1].d, act, alpha,
                                        threads));
    }
    case GAN_OP_CONV2D_BWD:
    case GAN_OP_CONV2D_T_BWD: {
        int tr = op->type == GAN_OP_CONV2D_T_BWD;
        kern_conv_shape s;
        TRY(check_act(e));
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'i', 1, 1, &a[1]));
        TRY(get(e, 'i', 2, act != GAN_ACT_NONE, &a[2]));
        TRY(get(e, 'i', 3, 1, &a[3]));
        for (int j = 0; j < 4; j++)
            TRY(get(e, 'o', j, 0, &o[j]));
        TRY(conv_shape(e, tr, &a[0], &a[1], NULL, &a[3], &o[3], &s));
        s.scratch = e->scratch;
        TRY(want_numel(e, &a[2], "y", a[3].n));
        TRY(want_numel(e, &o[0], "dx", a[0].n));
        TRY(want_numel(e, &o[1], "dw", a[1].n));
        TRY(want_numel(e, &o[2], "db", (size_t)s.oc));
        if (tr)
            return kfail(e, kern_conv2d_t_bwd(&s, a[0].d, a[1].d, a[2].d, a[3].d, o[0].d, o[1].d,
                                              o[2].d, o[3].d, act, alpha, threads));
        return kfail(e, kern_conv2d_bwd(&s, a[0].d, a[1].d, a[2].d, a[3].d, o[0].d, o[1].d,
                                        o[2].d, o[3].d, act, alpha, threads));
    }

    case GAN_OP_UPSAMPLE:
    case GAN_OP_UPSAMPLE_BWD: {
        int bwd = op->type == GAN_OP_UPSAMPLE_BWD, f = op->i[1];
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'o', 0, 1, &o[0]));
        const opnd *sm = bwd ? &o[0] : &a[0], *bg = bwd ? &a[0] : &o[0];
        TRY(want_rank(e, sm, "small side", 4));
        TRY(want_rank(e, bg, "large side", 4));
        if (f < 1)
            return fail(e, "factor %d < 1", f);
        if (dim(bg, 0) != dim(sm, 0) || dim(bg, 1) != dim(sm, 1) ||
            (int64_t)dim(bg, 2) != (int64_t)dim(sm, 2) * f ||
            (int64_t)dim(bg, 3) != (int64_t)dim(sm, 3) * f)
            return fail(e, "shapes do not match factor %d", f);
        size_t nc = (size_t)dim(sm, 0) * dim(sm, 1);
        if (bwd)
            kern_upsample_bwd(a[0].d, o[0].d, nc, dim(sm, 2), dim(sm, 3), f, threads);
        else
            kern_upsample_fwd(a[0].d, o[0].d, nc, dim(sm, 2), dim(sm, 3), f, threads);
        return 0;
    }

    case GAN_OP_BN_TRAIN:
    case GAN_OP_BN_INFER: {
        int n = 0, c = 0;
        size_t hw = 0;
        TRY(check_act(e));
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(bn_shape(e, &a[0], &n, &c, &hw));
        TRY(get(e, 'i', 1, 0, &a[1]));
        TRY(get(e, 'i', 2, 0, &a[2]));
        int infer = op->type == GAN_OP_BN_INFER;
        TRY(get(e, 'i', 3, infer, &a[3]));
        TRY(get(e, 'i', 4, infer, &a[4]));
        for (int j = 1; j <= 4; j++)
            TRY(want_numel(e, &a[j], "per-channel parameter", (size_t)c));
        TRY(get(e, 'o', 0, 1, &o[0]));
        TRY(want_numel(e, &o[0], "y", a[0].n));
        float eps = op->f[2];
        if (infer) {
            kern_bn_infer_fwd(a[0].d, a[1].d, a[2].d, a[3].d, a[4].d, o[0].d, n, c, hw, eps, act,
                              alpha, threads);
            return 0;
        }
        TRY(get(e, 'o', 1, 0, &o[1]));
        TRY(get(e, 'o', 2, 0, &o[2]));
        TRY(want_numel(e, &o[1], "saved_mean", (size_t)c));
        TRY(want_numel(e, &o[2], "saved_invstd", (size_t)c));
        kern_bn_train_fwd(a[0].d, a[1].d, a[2].d, a[3].d, a[4].d, o[0].d, o[1].d, o[2].d, n, c,
                          hw, op->f[1], eps, act, alpha, threads);
        return 0;
    }
    case GAN_OP_BN_TRAIN_BWD: {
        int n = 0, c = 0;
        size_t hw = 0;
        TRY(check_act(e));
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(bn_shape(e, &a[0], &n, &c, &hw));
        TRY(get(e, 'i', 1, 0, &a[1]));
        TRY(get(e, 'i', 2, act != GAN_ACT_NONE, &a[2]));
        TRY(get(e, 'i', 3, 1, &a[3]));
        TRY(get(e, 'i', 4, 1, &a[4]));
        TRY(get(e, 'i', 5, 1, &a[5]));
        TRY(want_numel(e, &a[1], "gamma", (size_t)c));
        TRY(want_numel(e, &a[2], "y", a[0].n));
        TRY(want_numel(e, &a[3], "dy", a[0].n));
        TRY(want_numel(e, &a[4], "saved_mean", (size_t)c));
        TRY(want_numel(e, &a[5], "saved_invstd", (size_t)c));
        for (int j = 0; j < 3; j++)
            TRY(get(e, 'o', j, 0, &o[j]));
        TRY(want_numel(e, &o[0], "dx", a[0].n));
        TRY(want_numel(e, &o[1], "dgamma", (size_t)c));
        TRY(want_numel(e, &o[2], "dbeta", (size_t)c));
        kern_bn_train_bwd(a[0].d, a[1].d, a[2].d, a[3].d, a[4].d, a[5].d, o[0].d, o[1].d, o[2].d,
                          n, c, hw, act, alpha, threads);
        return 0;
    }

    case GAN_OP_ACT:
        TRY(check_act(e));
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'o', 0, 1, &o[0]));
        TRY(want_numel(e, &o[0], "out0", a[0].n));
        kern_act_fwd(a[0].d, o[0].d, a[0].n, act, alpha, threads);
        return 0;
    case GAN_OP_ACT_BWD:
        TRY(check_act(e));
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'i', 1, 1, &a[1]));
        TRY(get(e, 'o', 0, 1, &o[0]));
        TRY(want_numel(e, &a[1], "dy", a[0].n));
        TRY(want_numel(e, &o[0], "dx", a[0].n));
        kern_act_bwd(a[0].d, a[1].d, o[0].d, a[0].n, act, alpha, threads);
        return 0;

    case GAN_OP_CONCAT:
    case GAN_OP_CONCAT_BWD: {
        int bwd = op->type == GAN_OP_CONCAT_BWD;
        int k = bwd ? (op->i[7] > 0 ? op->i[7] : op->n_out) : op->n_in;
        if (k < 1 || k > GAN_OP_MAX_IO)
            return fail(e, "%d parts, expected 1..%d", k, GAN_OP_MAX_IO);
        opnd whole, part[GAN_OP_MAX_IO];
        TRY(get(e, bwd ? 'i' : 'o', 0, 1, &whole));
        int n = dim(&whole, 0), missing = -1, n_missing = 0;
        size_t sz[GAN_OP_MAX_IO], tot = 0;
        for (int j = 0; j < k; j++) {
            TRY(get(e, bwd ? 'o' : 'i', j, !bwd, &part[j]));
            if (!part[j].t) {
                missing = j;
                n_missing++;
                sz[j] = 0;
                continue;
            }
            if (dim(&part[j], 0) != n || part[j].t->ndim != whole.t->ndim)
                return fail(e, "part %d ('%.*s') does not match the batch or rank of the whole",
                            j, GAN_NAME_MAX, part[j].t->name);
            for (int d = 2; d < whole.t->ndim; d++)
                if (dim(&part[j], d) != dim(&whole, d))
                    return fail(e, "part %d ('%.*s') differs in spatial size", j, GAN_NAME_MAX,
                                part[j].t->name);
            sz[j] = per_sample(&part[j]);
            tot += sz[j];
        }
        size_t wps = per_sample(&whole);
        if (n_missing > 1)
            return fail(e, "%d skipped parts: their sizes cannot be inferred", n_missing);
        if (n_missing == 1) {
            if (tot > wps)
                return fail(e, "parts are larger than the whole");
            sz[missing] = wps - tot;
            tot = wps;
        }
        if (tot != wps)
            return fail(e, "parts sum to %zu per sample, the whole has %zu", tot, wps);
        if (bwd) {
            float *dxs[GAN_OP_MAX_IO];
            for (int j = 0; j < k; j++)
                dxs[j] = part[j].d;
            kern_concat_bwd(whole.d, dxs, sz, k, n, threads);
        } else {
            const float *xs[GAN_OP_MAX_IO];
            for (int j = 0; j < k; j++)
                xs[j] = part[j].d;
            kern_concat_fwd(xs, sz, k, n, whole.d, threads);
        }
        return 0;
    }

    case GAN_OP_TILE:
    case GAN_OP_TILE_BWD:
    case GAN_OP_GAP:
    case GAN_OP_GAP_BWD: {
        /* the [N,L,H,W] side and the [N,L] side */
        int big_in = op->type == GAN_OP_TILE_BWD || op->type == GAN_OP_GAP;
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'o', 0, 1, &o[0]));
        const opnd *bg = big_in ? &a[0] : &o[0], *sm = big_in ? &o[0] : &a[0];
        TRY(want_rank(e, bg, "spatial side", 4));
        int n = dim(bg, 0), l = dim(bg, 1);
        size_t hw = (size_t)dim(bg, 2) * dim(bg, 3);
        TRY(want_numel(e, sm, "flat side", (size_t)n * l));
        switch (op->type) {
        case GAN_OP_TILE: kern_tile_fwd(a[0].d, o[0].d, n, l, hw, threads); break;
        case GAN_OP_TILE_BWD: kern_tile_bwd(a[0].d, o[0].d, n, l, hw, threads); break;
        case GAN_OP_GAP: kern_gap_fwd(a[0].d, o[0].d, n, l, hw, threads); break;
        default: kern_gap_bwd(a[0].d, o[0].d, n, l, hw, threads); break;
        }
        return 0;
    }

    case GAN_OP_ADD:
    case GAN_OP_MUL:
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'i', 1, 1, &a[1]));
        TRY(get(e, 'o', 0, 1, &o[0]));
        TRY(want_numel(e, &a[1], "in1", a[0].n));
        TRY(want_numel(e, &o[0], "out0", a[0].n));
        if (op->type == GAN_OP_ADD)
            kern_add_fwd(a[0].d, a[1].d, o[0].d, a[0].n, threads);
        else
            kern_mul_fwd(a[0].d, a[1].d, o[0].d, a[0].n, threads);
        return 0;
    case GAN_OP_ADD_BWD:
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'o', 0, 0, &o[0]));
        TRY(get(e, 'o', 1, 0, &o[1]));
        TRY(want_numel(e, &o[0], "da", a[0].n));
        TRY(want_numel(e, &o[1], "db", a[0].n));
        kern_add_bwd(a[0].d, o[0].d, o[1].d, a[0].n, threads);
        return 0;
    case GAN_OP_MUL_BWD:
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'i', 1, 1, &a[1]));
        TRY(get(e, 'i', 2, 1, &a[2]));
        TRY(get(e, 'o', 0, 0, &o[0]));
        TRY(get(e, 'o', 1, 0, &o[1]));
        TRY(want_numel(e, &a[1], "b", a[0].n));
        TRY(want_numel(e, &a[2], "dy", a[0].n));
        TRY(want_numel(e, &o[0], "da", a[0].n));
        TRY(want_numel(e, &o[1], "db", a[0].n));
        kern_mul_bwd(a[0].d, a[1].d, a[2].d, o[0].d, o[1].d, a[0].n, threads);
        return 0;
    case GAN_OP_ROWDOT:
    case GAN_OP_ROWDOT_BWD: {
        int bwd = op->type == GAN_OP_ROWDOT_BWD;
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'i', 1, 1, &a[1]));
        TRY(want_numel(e, &a[1], "b", a[0].n));
        int n = dim(&a[0], 0);
        size_t f = per_sample(&a[0]);
        if (dim(&a[1], 0) != n)
            return fail(e, "a and b differ in batch size");
        if (!bwd) {
            TRY(get(e, 'o', 0, 1, &o[0]));
            TRY(want_numel(e, &o[0], "out0", (size_t)n));
            kern_rowdot_fwd(a[0].d, a[1].d, o[0].d, n, f, threads);
            return 0;
        }
        TRY(get(e, 'i', 2, 1, &a[2]));
        TRY(want_numel(e, &a[2], "dy", (size_t)n));
        TRY(get(e, 'o', 0, 0, &o[0]));
        TRY(get(e, 'o', 1, 0, &o[1]));
        TRY(want_numel(e, &o[0], "da", a[0].n));
        TRY(want_numel(e, &o[1], "db", a[0].n));
        kern_rowdot_bwd(a[0].d, a[1].d, a[2].d, o[0].d, o[1].d, n, f, threads);
        return 0;
    }

    case GAN_OP_SPECTRAL_NORM:
    case GAN_OP_SPECTRAL_NORM_BWD: {
        int bwd = op->type == GAN_OP_SPECTRAL_NORM_BWD;
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'i', 1, 1, &a[1]));
        int rows = dim(&a[0], 0);
        if (rows < 1)
            return fail(e, "w has no rows");
        size_t k = a[0].n / (size_t)rows;
        TRY(want_numel(e, &a[1], "u", (size_t)rows));
        if (!bwd) {
            TRY(get(e, 'o', 0, 1, &o[0]));
            TRY(get(e, 'o', 1, 0, &o[1]));
            TRY(get(e, 'o', 2, 0, &o[2]));
            TRY(want_numel(e, &o[0], "w_sn", a[0].n));
            TRY(want_numel(e, &o[1], "v", k));
            TRY(want_numel(e, &o[2], "sigma", 1));
            float eps = op->f[0] > 0.0f ? op->f[0] : 1e-12f, sigma = 0.0f;
            /* v and sigma are saved for the backward; a forward-only program may leave them out */
            float *v = o[1].d ? o[1].d : malloc((k ? k : 1) * sizeof *v);
            if (!v)
                return fail(e, "out of memory for v (%zu floats)", k);
            kern_spectral_norm_fwd(a[0].d, a[1].d, o[0].d, v, o[2].d ? o[2].d : &sigma, rows, k,
                                   op->i[0] != 0, eps, threads);
            if (!o[1].d)
                free(v);
            return 0;
        }
        TRY(get(e, 'i', 2, 1, &a[2]));
        TRY(get(e, 'i', 3, 1, &a[3]));
        TRY(get(e, 'i', 4, 1, &a[4]));
        TRY(get(e, 'o', 0, 0, &o[0]));
        TRY(want_numel(e, &a[2], "v", k));
        TRY(want_numel(e, &a[3], "sigma", 1));
        TRY(want_numel(e, &a[4], "dw_sn", a[0].n));
        TRY(want_numel(e, &o[0], "dw", a[0].n));
        if (o[0].d)
            kern_spectral_norm_bwd(a[0].d, a[1].d, a[2].d, a[3].d[0], a[4].d, o[0].d, rows, k,
                                   threads);
        return 0;
    }

    case GAN_OP_LOSS_HINGE_REAL:
    case GAN_OP_LOSS_HINGE_FAKE:
    case GAN_OP_LOSS_MEAN:
    case GAN_OP_LOSS_BCE_LOGITS:
    case GAN_OP_LOSS_BCE:
    case GAN_OP_LOSS_SOFTMAX_CE: {
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'i', 1, op->type == GAN_OP_LOSS_SOFTMAX_CE, &a[1]));
        TRY(want_numel(e, &a[1], "targets", a[0].n));
        TRY(get(e, 'o', 0, 1, &o[0]));
        TRY(want_numel(e, &o[0], "loss", 1));
        float v;
        switch (op->type) {
        case GAN_OP_LOSS_HINGE_REAL: v = kern_loss_hinge_real_fwd(a[0].d, a[0].n, threads); break;
        case GAN_OP_LOSS_HINGE_FAKE: v = kern_loss_hinge_fake_fwd(a[0].d, a[0].n, threads); break;
        case GAN_OP_LOSS_MEAN: v = kern_loss_mean_fwd(a[0].d, a[0].n, op->f[1], threads); break;
        case GAN_OP_LOSS_BCE_LOGITS:
            v = kern_loss_bce_logits_fwd(a[0].d, a[1].d, op->f[1], a[0].n, threads);
            break;
        case GAN_OP_LOSS_BCE: v = kern_loss_bce_fwd(a[0].d, a[1].d, op->f[1], a[0].n, threads); break;
        default: {
            int n = dim(&a[0], 0);
            v = kern_loss_softmax_ce_fwd(a[0].d, a[1].d, n, (int)per_sample(&a[0]), threads);
        }
        }
        o[0].d[0] = v;
        return 0;
    }
    case GAN_OP_LOSS_SUM: {
        int k = op->n_in;
        if (k < 1 || k > 8)
            return fail(e, "%d terms, expected 1..8", k);
        TRY(get(e, 'o', 0, 1, &o[0]));
        TRY(want_numel(e, &o[0], "sum", 1));
        double s = 0.0;
        for (int j = 0; j < k; j++) {
            TRY(get(e, 'i', j, 1, &a[0]));
            TRY(want_numel(e, &a[0], "term", 1));
            s += (double)op->f[j] * a[0].d[0];
        }
        o[0].d[0] = (float)s;
        return 0;
    }
    case GAN_OP_LOSS_HINGE_REAL_BWD:
    case GAN_OP_LOSS_HINGE_FAKE_BWD:
    case GAN_OP_LOSS_MEAN_BWD:
    case GAN_OP_LOSS_BCE_LOGITS_BWD:
    case GAN_OP_LOSS_BCE_BWD:
    case GAN_OP_LOSS_SOFTMAX_CE_BWD: {
        float wgt = op->f[0];
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'i', 1, op->type == GAN_OP_LOSS_SOFTMAX_CE_BWD, &a[1]));
        TRY(want_numel(e, &a[1], "targets", a[0].n));
        TRY(get(e, 'o', 0, 0, &o[0]));
        TRY(want_numel(e, &o[0], "dinput", a[0].n));
        if (!o[0].d)
            return 0;
        switch (op->type) {
        case GAN_OP_LOSS_HINGE_REAL_BWD:
            kern_loss_hinge_real_bwd(a[0].d, o[0].d, a[0].n, wgt, threads);
            break;
        case GAN_OP_LOSS_HINGE_FAKE_BWD:
            kern_loss_hinge_fake_bwd(a[0].d, o[0].d, a[0].n, wgt, threads);
            break;
        case GAN_OP_LOSS_MEAN_BWD: kern_loss_mean_bwd(o[0].d, a[0].n, wgt, op->f[1], threads); break;
        case GAN_OP_LOSS_BCE_LOGITS_BWD:
            kern_loss_bce_logits_bwd(a[0].d, a[1].d, op->f[1], o[0].d, a[0].n, wgt, threads);
            break;
        case GAN_OP_LOSS_BCE_BWD:
            kern_loss_bce_bwd(a[0].d, a[1].d, op->f[1], o[0].d, a[0].n, wgt, threads);
            break;
        default: {
            int n = dim(&a[0], 0);
            kern_loss_softmax_ce_bwd(a[0].d, a[1].d, o[0].d, n, (int)per_sample(&a[0]), wgt,
                                     threads);
        }
        }
        return 0;
    }

    case GAN_OP_ADAM: {
        for (int j = 0; j < 5; j++)
            TRY(get(e, 'i', j, 1, &a[j]));
        for (int j = 1; j < 4; j++)
            TRY(want_numel(e, &a[j], "grads/m/v", a[0].n));
        TRY(want_numel(e, &a[4], "t", 1));
        if (op->i[0])
            a[4].d[0] += 1.0f;
        float t = a[4].d[0];
        if (!(t >= 1.0f))
            return fail(e, "step count t = %g: no adam op with i[0] = 1 incremented it", t);
        kern_adam(a[0].d, a[1].d, a[2].d, a[3].d, a[0].n, t, op->f[0], op->f[1], op->f[2],
                  op->f[3], threads);
        return 0;
    }
    case GAN_OP_EMA:
        TRY(get(e, 'i', 0, 1, &a[0]));
        TRY(get(e, 'i', 1, 1, &a[1]));
        TRY(want_numel(e, &a[1], "ema", a[0].n));
        kern_ema(a[0].d, a[1].d, a[0].n, op->f[0], threads);
        return 0;

    default:
        return fail(e, "unknown op type %u", (unsigned)op->type);
    }
}

int gan_exec_program(const gan_model *m, const gan_program *p, float *const base[GAN_REGION_COUNT],
                     int threads, char *err, size_t errlen)
{
    return gan_exec_program_scratch(m, p, base, threads, NULL, err, errlen);
}

int gan_exec_program_scratch(const gan_model *m, const gan_program *p,
                             float *const base[GAN_REGION_COUNT], int threads,
                             kern_scratch *scratch, char *err, size_t errlen)
{
    if (!m || !p || !base) {
        if (err && errlen)
            snprintf(err, errlen, "gan_exec_program: null model, program or regions");
        return -1;
    }
    if (threads < 1)
        threads = 1;
    if (p->n_ops < 0 || (p->n_ops > 0 && !p->ops) || m->n_tensors < 0 ||
        (m->n_tensors > 0 && !m->tensors)) {
        if (err && errlen)
            snprintf(err, errlen, "program '%.*s': bad op or tensor list", GAN_NAME_MAX, p->name);
        return -1;
    }
    /* All parallelism is ours (OpenMP, num_threads = threads): the kernels split GEMMs over
     * images or row blocks and call single-threaded sgemm. OpenBLAS is held at one thread
     * because its worker pool, spinning after every threaded call, and our OpenMP regions
     * fought for the cores: on the 2-core machine 2-thread runs were 10-500x slower per kernel
     * (docs/kernels.md). The setting is process-global in OpenBLAS; it is changed only when
     * it differs. */
    if (openblas_get_num_threads() != 1)
        openblas_set_num_threads(1);
    ex e = {m, base, p, NULL, 0, err, errlen, scratch};
    for (int i = 0; i < p->n_ops; i++) {
        e.op = &p->ops[i];
        e.idx = i;
        if (e.op->n_in > GAN_OP_MAX_IO || e.op->n_out > GAN_OP_MAX_IO)
            return fail(&e, "n_in %d / n_out %d exceed %d", e.op->n_in, e.op->n_out,
                        GAN_OP_MAX_IO);
        kern_scratch_reset(scratch);
        if (run_op(&e, threads) != 0)
            return -1;
    }
    return 0;
}
