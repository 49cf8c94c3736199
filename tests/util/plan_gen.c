/* Test-model builder and generators (see plan_gen.h). Test code: aborts on out-of-memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/util/plan_gen.h"
#include "format/model_opinfo.h"

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "plan_gen: out of memory\n");
        abort();
    }
    return q;
}

void pg_init(pg_builder *b, int batch)
{
    memset(b, 0, sizeof *b);
    b->m = xrealloc(NULL, sizeof *b->m);
    memset(b->m, 0, sizeof *b->m);
    gan_hyper *h = &b->m->hyper;
    h->image_c = 3;
    h->image_h = h->image_w = 8;
    h->range_lo = -1.0f;
    h->range_hi = 1.0f;
    h->label_kind = GAN_LABELS_NONE;
    h->batch = batch;
    h->d_steps = 1;
    b->prog = -1;
}

int pg_tensor(pg_builder *b, const char *name, int region, int ndim, const int *shape)
{
    gan_model *m = b->m;
    if (m->n_tensors == b->cap_tensors) {
        b->cap_tensors = b->cap_tensors ? 2 * b->cap_tensors : 64;
        m->tensors = xrealloc(m->tensors, (size_t)b->cap_tensors * sizeof *m->tensors);
    }
    gan_tensor *t = &m->tensors[m->n_tensors];
    memset(t, 0, sizeof *t);
    snprintf(t->name, GAN_NAME_MAX, "%s", name);
    t->region = (uint8_t)region;
    t->ndim = (uint8_t)ndim;
    t->numel = 1;
    for (int d = 0; d < ndim; d++) {
        t->shape[d] = shape[d];
        t->numel *= (uint64_t)shape[d];
    }
    t->init = region == GAN_REGION_ARENA ? GAN_INIT_NONE : GAN_INIT_ZEROS;
    t->init_src = -1;
    if (region != GAN_REGION_ARENA) {
        t->offset = m->region_floats[region];
        m->region_floats[region] += t->numel;
    }
    return m->n_tensors++;
}

int pg_t1(pg_builder *b, const char *name, int region, int a)
{
    int s[1] = {a};
    return pg_tensor(b, name, region, 1, s);
}

int pg_t2(pg_builder *b, const char *name, int region, int a, int c)
{
    int s[2] = {a, c};
    return pg_tensor(b, name, region, 2, s);
}

int pg_t4(pg_builder *b, const char *name, int region, int n, int c, int h, int w)
{
    int s[4] = {n, c, h, w};
    return pg_tensor(b, name, region, 4, s);
}

int pg_aggregate(pg_builder *b, const char *name, int region, int first, int last)
{
    gan_tensor *f = &b->m->tensors[first], *l = &b->m->tensors[last];
    uint64_t off = f->offset, n = l->offset + l->numel - f->offset;
    int t = pg_t1(b, name, GAN_REGION_ARENA, (int)n);
    gan_tensor *a = &b->m->tensors[t];
    a->region = (uint8_t)region;
    a->offset = off;
    a->flags = GAN_TF_AGGREGATE;
    a->init = GAN_INIT_NONE;
    return t;
}

void pg_program(pg_builder *b, const char *name, int network)
{
    gan_model *m = b->m;
    if (m->n_programs == b->cap_programs) {
        b->cap_programs = b->cap_programs ? 2 * b->cap_programs : 4;
        m->programs = xrealloc(m->programs, (size_t)b->cap_programs * sizeof *m->programs);
    }
    gan_program *g = &m->programs[m->n_programs];
    memset(g, 0, sizeof *g);
    snprintf(g->name, GAN_NAME_MAX, "%s", name);
    g->role = gan_program_role_of_name(name);
    g->network = network;
    b->prog = m->n_programs++;
    b->cap_ops = b->cap_io_in = b->cap_io_out = 0;
}

void pg_input(pg_builder *b, int t, int role)
{
    gan_program *g = &b->m->programs[b->prog];
    if (g->n_inputs == b->cap_io_in) {
        b->cap_io_in = b->cap_io_in ? 2 * b->cap_io_in : 8;
        g->inputs = xrealloc(g->inputs, (size_t)b->cap_io_in * sizeof *g->inputs);
        g->input_roles = xrealloc(g->input_roles, (size_t)b->cap_io_in * sizeof *g->input_roles);
    }
    g->inputs[g->n_inputs] = t;
    g->input_roles[g->n_inputs++] = role;
}

void pg_output(pg_builder *b, int t)
{
    gan_program *g = &b->m->programs[b->prog];
    if (g->n_outputs == b->cap_io_out) {
        b->cap_io_out = b->cap_io_out ? 2 * b->cap_io_out : 8;
        g->outputs = xrealloc(g->outputs, (size_t)b->cap_io_out * sizeof *g->outputs);
    }
    g->outputs[g->n_outputs++] = t;
}

gan_op *pg_op(pg_builder *b, int type)
{
    gan_program *g = &b->m->programs[b->prog];
    if (g->n_ops == b->cap_ops) {
        b->cap_ops = b->cap_ops ? 2 * b->cap_ops : 32;
        g->ops = xrealloc(g->ops, (size_t)b->cap_ops * sizeof *g->ops);
    }
    gan_op *op = &g->ops[g->n_ops++];
    memset(op, 0, sizeof *op);
    op->type = (uint16_t)type;
    for (int j = 0; j < GAN_OP_MAX_IO; j++)
        op->in[j] = op->out[j] = -1;
    return op;
}

void pg_in(gan_op *op, int slot, int t)
{
    op->in[slot] = t;
    if (op->n_in < slot + 1)
        op->n_in = (uint8_t)(slot + 1);
}

void pg_out(gan_op *op, int slot, int t)
{
    op->out[slot] = t;
    if (op->n_out < slot + 1)
        op->n_out = (uint8_t)(slot + 1);
}

gan_model *pg_finish(pg_builder *b)
{
    gan_model *m = b->m;
    b->m = NULL;
    return m;
}

/* ------------------------------------------------------------------ random models */

#define GEN_MAXT 4096

typedef struct {
    pg_builder *b;
    uint32_t rng;
    int N;
    int uid;
    int vals[512], nval;          /* forward values (arena tensors) usable as op inputs */
    int8_t needs_grad[GEN_MAXT];  /* 1: gradient wanted */
    int grad[GEN_MAXT];           /* its gradient tensor, -1 none yet */
    int pgrad[GEN_MAXT];          /* params: the GRAD-region tensor */
    int fwd_begin;                /* first forward op of the program */
    int labels;                   /* labels input of this program, -1 */
    int det;                      /* 1: no random choices in the backward (seed model) */
} gen;

static uint32_t rnd(gen *g)
{
    /* xorshift32: deterministic and good enough for test shapes */
    uint32_t x = g->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    g->rng = x;
    return x;
}

static int rr(gen *g, int lo, int hi) /* [lo, hi] */
{
    return lo + (int)(rnd(g) % (uint32_t)(hi - lo + 1));
}

static const gan_tensor *T(gen *g, int t)
{
    return &g->b->m->tensors[t];
}

static int newt(gen *g, const char *kind, int region, int ndim, const int *shape)
{
    char name[GAN_NAME_MAX];
    snprintf(name, sizeof name, "%s%d", kind, g->uid++);
    int t = pg_tensor(g->b, name, region, ndim, shape);
    if (t < GEN_MAXT) {
        g->needs_grad[t] = 0;
        g->grad[t] = -1;
        g->pgrad[t] = -1;
    }
    return t;
}

static int new_like(gen *g, const char *kind, int region, int like)
{
    int shape[4];
    const gan_tensor *l = T(g, like);
    memcpy(shape, l->shape, sizeof shape);
    return newt(g, kind, region, l->ndim, shape);
}

/* A trainable parameter (and its gradient, unless frozen). */
static int param(gen *g, const char *kind, int ndim, const int *shape, int frozen)
{
    int t = newt(g, kind, GAN_REGION_PARAM, ndim, shape);
    g->b->m->tensors[t].init = (uint8_t)rr(g, GAN_INIT_ZEROS, GAN_INIT_ORTHOGONAL);
    g->b->m->tensors[t].init_arg = 0.02f;
    if (!frozen) {
        int gr = newt(g, "dw", GAN_REGION_GRAD, ndim, shape);
        g->b->m->tensors[gr].offset = g->b->m->tensors[t].offset; /* mirrors the params */
        g->pgrad[t] = gr;
        g->needs_grad[t] = 1;
    }
    return t;
}

static int param1(gen *g, const char *kind, int n, int frozen)
{
    return param(g, kind, 1, &n, frozen);
}

static void add_val(gen *g, int t, int needs)
{
    g->needs_grad[t] = (int8_t)needs;
    if (g->nval < (int)(sizeof g->vals / sizeof g->vals[0]))
        g->vals[g->nval++] = t;
}

static int pick_val(gen *g, int rank)
{
    /* prefer recent values (chains), sometimes older ones (fan-out) */
    for (int tries = 0; tries < 16; tries++) {
        int i = rr(g, 0, 3) ? g->nval - 1 - rr(g, 0, g->nval > 3 ? 2 : g->nval - 1)
                            : rr(g, 0, g->nval - 1);
        if (i < 0)
            i = 0;
        int t = g->vals[i];
        if (!rank || T(g, t)->ndim == rank)
            return t;
    }
    for (int i = g->nval - 1; i >= 0; i--)
        if (!rank || T(g, g->vals[i])->ndim == rank)
            return g->vals[i];
    return -1;
}

static float rand_alpha(gen *g)
{
    return 0.05f * (float)rr(g, 0, 6);
}

/* One random forward op on existing values; returns 0 if none fit this time. */
static int fwd_op(gen *g)
{
    int kind = rr(g, 0, 15);
    int x = pick_val(g, kind < 9 ? 4 : 2);
    if (x < 0)
        x = pick_val(g, 0);
    const gan_tensor *tx = T(g, x);
    int N = tx->shape[0];
    int ng = g->needs_grad[x];
    gan_op *op;
    if (tx->ndim == 4) {
        int C = tx->shape[1], H = tx->shape[2], W = tx->shape[3];
        switch (kind % 9) {
        case 0:
        case 1: { /* conv2d, maybe spectral norm, maybe workspace */
            int k = rr(g, 1, 4), s = rr(g, 1, 2), pt = rr(g, 0, k - 1), pl = rr(g, 0, k - 1);
            int pb = rr(g, 0, k - 1), pr = rr(g, 0, k - 1);
            if (H + pt + pb < k || W + pl + pr < k)
                return 0;
            int OH = (H + pt + pb - k) / s + 1, OW = (W + pl + pr - k) / s + 1;
            int OC = rr(g, 1, 6);
            int ws[4] = {OC, C, k, k};
            int w = param(g, "w", 4, ws, rr(g, 0, 4) == 0);
            int b = rr(g, 0, 1) ? param1(g, "b", OC, 0) : -1;
            int wu = w;
            if (rr(g, 0, 2) == 0) { /* spectral norm */
                int u = newt(g, "u", GAN_REGION_STATE, 1, &OC);
                g->b->m->tensors[u].init = GAN_INIT_UNIT_NORMAL;
                wu = new_like(g, "wsn", GAN_REGION_ARENA, w);
                int K = C * k * k, one = 1;
                int v = newt(g, "v", GAN_REGION_ARENA, 1, &K);
                int sg = newt(g, "sigma", GAN_REGION_ARENA, 1, &one);
                op = pg_op(g->b, GAN_OP_SPECTRAL_NORM);
                pg_in(op, 0, w);
                pg_in(op, 1, u);
                pg_out(op, 0, wu);
                pg_out(op, 1, v);
                pg_out(op, 2, sg);
                op->i[0] = rr(g, 0, 1);
                op->f[0] = 1e-12f;
                g->needs_grad[wu] = g->needs_grad[w];
            }
            int y = newt(g, "conv", GAN_REGION_ARENA, 4, (int[]){N, OC, OH, OW});
            int wsp = -1;
            if (rr(g, 0, 1)) {
                int need = C * k * k * OH * OW + rr(g, 0, 1) * rr(g, 1, 7);
                wsp = newt(g, "ws", GAN_REGION_ARENA, 1, &need);
            }
            op = pg_op(g->b, GAN_OP_CONV2D);
            pg_in(op, 0, x);
            pg_in(op, 1, wu);
            if (b >= 0)
                pg_in(op, 2, b);
            pg_out(op, 0, y);
            if (wsp >= 0)
                pg_out(op, 1, wsp);
            op->i[0] = rr(g, 0, GAN_ACT_COUNT - 1);
            op->i[1] = s;
            op->i[2] = pt;
            op->i[3] = pl;
            op->f[0] = rand_alpha(g);
            add_val(g, y, ng || g->needs_grad[wu] || (b >= 0 && g->needs_grad[b]));
            return 1;
        }
        case 2: { /* transposed conv */
            int k = rr(g, 1, 4), s = rr(g, 1, 2), pt = rr(g, 0, k - 1), pl = rr(g, 0, k - 1);
            int pb = rr(g, 0, k - 1), pr = rr(g, 0, k - 1);
            int OH = (H - 1) * s + k - pt - pb, OW = (W - 1) * s + k - pl - pr;
            if (OH < 1 || OW < 1 || OH > 12 || OW > 12)
                return 0;
            int OC = rr(g, 1, 5);
            int w = param(g, "wt", 4, (int[]){C, OC, k, k}, 0);
            int y = newt(g, "convt", GAN_REGION_ARENA, 4, (int[]){N, OC, OH, OW});
            int wsp = -1;
            if (rr(g, 0, 1)) {
                int need = OC * k * k * H * W;
                wsp = newt(g, "ws", GAN_REGION_ARENA, 1, &need);
            }
            op = pg_op(g->b, GAN_OP_CONV2D_T);
            pg_in(op, 0, x);
            pg_in(op, 1, w);
            pg_out(op, 0, y);
            if (wsp >= 0)
                pg_out(op, 1, wsp);
            op->i[0] = rr(g, 0, GAN_ACT_COUNT - 1);
            op->i[1] = s;
            op->i[2] = pt;
            op->i[3] = pl;
            add_val(g, y, 1);
            return 1;
        }
        case 3: { /* upsample */
            int k = rr(g, 1, 2);
            if (H * k > 12 || W * k > 12)
                return 0;
            int y = newt(g, "up", GAN_REGION_ARENA, 4, (int[]){N, C, H * k, W * k});
            op = pg_op(g->b, GAN_OP_UPSAMPLE);
            pg_in(op, 0, x);
            pg_out(op, 0, y);
            op->i[1] = k;
            add_val(g, y, ng);
            return 1;
        }
        case 4: { /* gap or flatten to rank 2 */
            int y;
            if (rr(g, 0, 1)) {
                y = newt(g, "gap", GAN_REGION_ARENA, 2, (int[]){N, C});
                op = pg_op(g->b, GAN_OP_GAP);
            } else {
                y = newt(g, "flat", GAN_REGION_ARENA, 2, (int[]){N, C * H * W});
                op = pg_op(g->b, GAN_OP_COPY);
            }
            pg_in(op, 0, x);
            pg_out(op, 0, y);
            add_val(g, y, ng);
            return 1;
        }
        case 5: { /* concat with other values of the same spatial size */
            int parts[4] = {x}, np = 1, sumc = C;
            for (int i = 0; i < g->nval && np < 4; i++) {
                const gan_tensor *o = T(g, g->vals[i]);
                if (g->vals[i] != x && o->ndim == 4 && o->shape[2] == H && o->shape[3] == W && rr(g, 0, 1)) {
                    parts[np++] = g->vals[i];
                    sumc += o->shape[1];
                }
            }
            int y = newt(g, "cat", GAN_REGION_ARENA, 4, (int[]){N, sumc, H, W});
            op = pg_op(g->b, GAN_OP_CONCAT);
            int need = 0;
            for (int i = 0; i < np; i++) {
                pg_in(op, i, parts[i]);
                need |= g->needs_grad[parts[i]];
            }
            pg_out(op, 0, y);
            add_val(g, y, need);
            return 1;
        }
        default:
            break; /* elementwise, below */
        }
    }
    /* rank 2 (or elementwise on any rank) */
    switch (kind % 7) {
    case 0: { /* dense */
        if (tx->ndim == 3)
            return 0;
        int K = (int)(tx->numel / (uint64_t)N), M = rr(g, 1, 9);
        int w = param(g, "dw_", 2, (int[]){M, K}, rr(g, 0, 4) == 0);
        int b = rr(g, 0, 1) ? param1(g, "db_", M, 0) : -1;
        int y = newt(g, "dense", GAN_REGION_ARENA, 2, (int[]){N, M});
        op = pg_op(g->b, GAN_OP_DENSE);
        pg_in(op, 0, x);
        pg_in(op, 1, w);
        if (b >= 0)
            pg_in(op, 2, b);
        pg_out(op, 0, y);
        op->i[0] = rr(g, 0, GAN_ACT_COUNT - 1);
        op->f[0] = rand_alpha(g);
        add_val(g, y, ng || g->needs_grad[w] || (b >= 0 && g->needs_grad[b]));
        return 1;
    }
    case 1:
    case 2: { /* activation: the in-place candidate */
        int y = new_like(g, "act", GAN_REGION_ARENA, x);
        op = pg_op(g->b, GAN_OP_ACT);
        pg_in(op, 0, x);
        pg_out(op, 0, y);
        op->i[0] = rr(g, 1, GAN_ACT_COUNT - 1);
        op->f[0] = rand_alpha(g);
        add_val(g, y, ng);
        return 1;
    }
    case 3: { /* batch norm (train) */
        int C = tx->shape[1];
        int gm = rr(g, 0, 1) ? param1(g, "gamma", C, 0) : -1;
        int bt = rr(g, 0, 1) ? param1(g, "beta", C, 0) : -1;
        int rm = newt(g, "rmean", GAN_REGION_STATE, 1, &C);
        int rv = newt(g, "rvar", GAN_REGION_STATE, 1, &C);
        g->b->m->tensors[rv].init = GAN_INIT_ONES;
        int y = new_like(g, "bn", GAN_REGION_ARENA, x);
        int sm = newt(g, "smean", GAN_REGION_ARENA, 1, &C);
        int si = newt(g, "sinv", GAN_REGION_ARENA, 1, &C);
        op = pg_op(g->b, GAN_OP_BN_TRAIN);
        pg_in(op, 0, x);
        if (gm >= 0)
            pg_in(op, 1, gm);
        if (bt >= 0)
            pg_in(op, 2, bt);
        pg_in(op, 3, rm);
        pg_in(op, 4, rv);
        pg_out(op, 0, y);
        pg_out(op, 1, sm);
        pg_out(op, 2, si);
        op->i[0] = rr(g, 0, GAN_ACT_COUNT - 1);
        op->f[1] = 0.8f;
        op->f[2] = 1e-3f;
        add_val(g, y, ng || (gm >= 0 && g->needs_grad[gm]) || (bt >= 0 && g->needs_grad[bt]));
        return 1;
    }
    case 4: { /* add / mul with a same-shaped value, or itself */
        int o = x;
        for (int i = 0; i < g->nval; i++) {
            const gan_tensor *t = T(g, g->vals[i]);
            if (g->vals[i] != x && t->ndim == tx->ndim &&
                !memcmp(t->shape, tx->shape, sizeof t->shape) && rr(g, 0, 1))
                o = g->vals[i];
        }
        int y = new_like(g, "sum", GAN_REGION_ARENA, x);
        op = pg_op(g->b, rr(g, 0, 1) ? GAN_OP_ADD : GAN_OP_MUL);
        pg_in(op, 0, x);
        pg_in(op, 1, o);
        pg_out(op, 0, y);
        add_val(g, y, ng || g->needs_grad[o]);
        return 1;
    }
    case 5: { /* rank 2 -> rank 4: tile, or reshape [N,F,1,1] */
        if (tx->ndim != 2)
            return 0;
        int L = tx->shape[1];
        int y;
        if (rr(g, 0, 1)) {
            int h = rr(g, 1, 5), w = rr(g, 1, 5);
            y = newt(g, "tile", GAN_REGION_ARENA, 4, (int[]){N, L, h, w});
            op = pg_op(g->b, GAN_OP_TILE);
        } else {
            y = newt(g, "resh", GAN_REGION_ARENA, 4, (int[]){N, L, 1, 1});
            op = pg_op(g->b, GAN_OP_COPY);
        }
        pg_in(op, 0, x);
        pg_out(op, 0, y);
        add_val(g, y, ng);
        return 1;
    }
    default: { /* rowdot of two same-shaped values */
        if (tx->ndim != 2)
            return 0;
        int o = x;
        for (int i = 0; i < g->nval; i++) {
            const gan_tensor *t = T(g, g->vals[i]);
            if (g->vals[i] != x && t->ndim == 2 && t->shape[1] == tx->shape[1] && rr(g, 0, 1))
                o = g->vals[i];
        }
        int y = newt(g, "rdot", GAN_REGION_ARENA, 2, (int[]){N, 1});
        op = pg_op(g->b, GAN_OP_ROWDOT);
        pg_in(op, 0, x);
        pg_in(op, 1, o);
        pg_out(op, 0, y);
        add_val(g, y, ng || g->needs_grad[o]);
        return 1;
    }
    }
}

/* Gradient tensor of t for accumulation: created (with a ZERO just before its first use) on
 * demand; -1 when t needs none. Must be called before pg_op of the op that uses it. */
static int acc(gen *g, int t)
{
    if (t < 0 || t >= GEN_MAXT || !g->needs_grad[t])
        return -1;
    if (T(g, t)->region == GAN_REGION_PARAM)
        return g->pgrad[t];
    if (g->grad[t] < 0) {
        int d = new_like(g, "d", GAN_REGION_ARENA, t);
        g->grad[t] = d;
        gan_op *z = pg_op(g->b, GAN_OP_ZERO);
        pg_out(z, 0, d);
    }
    return g->grad[t];
}

/* The backward of one forward op (a copy: the op array may move while we append). */
static void bwd_op(gen *g, gan_op f)
{
    int y = f.out[0];
    if (y < 0 || y >= GEN_MAXT || g->grad[y] < 0)
        return; /* nothing flowed back into this op */
    int dy = g->grad[y];
    gan_op *op;
    switch (f.type) {
    case GAN_OP_CONV2D:
    case GAN_OP_CONV2D_T: {
        int dx = acc(g, f.in[0]), dw = acc(g, f.in[1]), db = acc(g, f.in[2]);
        int wsp = -1;
        if (f.out[1] >= 0 && (g->det || rr(g, 0, 1))) {
            /* a workspace of its own for the backward */
            uint64_t need = T(g, f.out[1])->numel;
            int n = (int)need;
            wsp = newt(g, "wsb", GAN_REGION_ARENA, 1, &n);
        }
        op = pg_op(g->b, gan_op_backward(f.type));
        pg_in(op, 0, f.in[0]);
        pg_in(op, 1, f.in[1]);
        pg_in(op, 2, f.i[0] != GAN_ACT_NONE || (!g->det && rr(g, 0, 1)) ? y : -1);
        pg_in(op, 3, dy);
        pg_out(op, 0, dx);
        pg_out(op, 1, dw);
        pg_out(op, 2, db);
        pg_out(op, 3, wsp);
        memcpy(op->i, f.i, sizeof op->i);
        memcpy(op->f, f.f, sizeof op->f);
        return;
    }
    case GAN_OP_DENSE: {
        int dx = acc(g, f.in[0]), dw = acc(g, f.in[1]), db = acc(g, f.in[2]);
        op = pg_op(g->b, GAN_OP_DENSE_BWD);
        pg_in(op, 0, f.in[0]);
        pg_in(op, 1, f.in[1]);
        pg_in(op, 2, f.i[0] != GAN_ACT_NONE ? y : -1);
        pg_in(op, 3, dy);
        pg_out(op, 0, dx);
        pg_out(op, 1, dw);
        pg_out(op, 2, db);
        op->i[0] = f.i[0];
        op->f[0] = f.f[0];
        return;
    }
    case GAN_OP_BN_TRAIN: {
        int dx = acc(g, f.in[0]), dg = acc(g, f.in[1]), dbt = acc(g, f.in[2]);
        op = pg_op(g->b, GAN_OP_BN_TRAIN_BWD);
        pg_in(op, 0, f.in[0]);
        pg_in(op, 1, f.in[1]);
        pg_in(op, 2, f.i[0] != GAN_ACT_NONE ? y : -1);
        pg_in(op, 3, dy);
        pg_in(op, 4, f.out[1]);
        pg_in(op, 5, f.out[2]);
        pg_out(op, 0, dx);
        pg_out(op, 1, dg);
        pg_out(op, 2, dbt);
        op->i[0] = f.i[0];
        op->f[0] = f.f[0];
        return;
    }
    case GAN_OP_SPECTRAL_NORM: {
        int dw = acc(g, f.in[0]);
        if (dw < 0)
            return;
        op = pg_op(g->b, GAN_OP_SPECTRAL_NORM_BWD);
        pg_in(op, 0, f.in[0]);
        pg_in(op, 1, f.in[1]);
        pg_in(op, 2, f.out[1]);
        pg_in(op, 3, f.out[2]);
        pg_in(op, 4, dy);
        pg_out(op, 0, dw);
        return;
    }
    case GAN_OP_ACT: {
        int dx = acc(g, f.in[0]);
        if (dx < 0)
            return;
        op = pg_op(g->b, GAN_OP_ACT_BWD);
        pg_in(op, 0, y);
        pg_in(op, 1, dy);
        pg_out(op, 0, dx);
        op->i[0] = f.i[0];
        op->f[0] = f.f[0];
        return;
    }
    case GAN_OP_CONCAT: {
        int d[GAN_OP_MAX_IO];
        for (int j = 0; j < f.n_in; j++) {
            d[j] = acc(g, f.in[j]);
            /* the same value twice: only the first slot takes its gradient */
            for (int i = 0; i < j; i++)
                if (f.in[i] == f.in[j])
                    d[j] = -1;
        }
        op = pg_op(g->b, GAN_OP_CONCAT_BWD);
        pg_in(op, 0, dy);
        for (int j = 0; j < f.n_in; j++)
            op->out[j] = d[j];
        op->n_out = f.n_in;
        op->i[7] = f.n_in;
        return;
    }
    case GAN_OP_ADD:
    case GAN_OP_MUL:
    case GAN_OP_ROWDOT: {
        int da = acc(g, f.in[0]), db = f.in[1] == f.in[0] ? -1 : acc(g, f.in[1]);
        if (da < 0 && db < 0)
            return;
        if (f.type == GAN_OP_ADD) {
            op = pg_op(g->b, GAN_OP_ADD_BWD);
            pg_in(op, 0, dy);
        } else {
            op = pg_op(g->b, gan_op_backward(f.type));
            pg_in(op, 0, f.in[0]);
            pg_in(op, 1, f.in[1]);
            pg_in(op, 2, dy);
        }
        pg_out(op, 0, da);
        pg_out(op, 1, db);
        return;
    }
    case GAN_OP_UPSAMPLE:
    case GAN_OP_GAP:
    case GAN_OP_COPY:
    case GAN_OP_TILE: {
        int dx = acc(g, f.in[0]);
        if (dx < 0)
            return;
        op = pg_op(g->b, gan_op_backward(f.type));
        pg_in(op, 0, dy);
        pg_out(op, 0, dx);
        op->i[1] = f.i[1];
        return;
    }
    default:
        return;
    }
}

static const int loss_fwd[] = {GAN_OP_LOSS_HINGE_REAL, GAN_OP_LOSS_HINGE_FAKE, GAN_OP_LOSS_MEAN,
                               GAN_OP_LOSS_BCE_LOGITS, GAN_OP_LOSS_BCE,
                               GAN_OP_LOSS_SOFTMAX_CE};

static void gen_program(gen *g, const char *name, int network, int shared_input, int train,
                        int agg_p, int agg_g, int agg_m, int agg_v, int t_step, int ema)
{
    pg_builder *b = g->b;
    pg_program(b, name, train ? network : -1);
    g->nval = 0;
    g->labels = -1;
    int N = g->N;
    int x = shared_input;
    if (x < 0)
        x = newt(g, "x", GAN_REGION_ARENA, 4,
                 (int[]){N, rr(g, 1, 4), rr(g, 2, 8), rr(g, 2, 8)});
    pg_input(b, x, GAN_ROLE_IMAGE);
    add_val(g, x, 0);
    if (rr(g, 0, 1)) { /* a second input: a latent vector */
        int z = newt(g, "z", GAN_REGION_ARENA, 2, (int[]){N, rr(g, 1, 8)});
        pg_input(b, z, GAN_ROLE_LATENT);
        add_val(g, z, 0);
    }
    if (train)
        pg_out(pg_op(b, GAN_OP_ZERO), 0, agg_g);
    g->fwd_begin = b->m->programs[b->prog].n_ops;
    int nops = rr(g, 2, 30);
    for (int i = 0; i < nops; i++)
        fwd_op(g);
    int fwd_end = b->m->programs[b->prog].n_ops;
    /* losses on a few values */
    int nterms = rr(g, 1, 3), terms[3], ins[3], tg[3], kinds[3];
    float wts[3];
    for (int j = 0; j < nterms; j++) {
        int a = j == 0 ? g->vals[g->nval - 1] : pick_val(g, 0);
        int kind = loss_fwd[rr(g, 0, 5)];
        int target = -1;
        if (kind == GAN_OP_LOSS_SOFTMAX_CE) {
            if (T(g, a)->ndim != 2)
                kind = GAN_OP_LOSS_MEAN;
            else {
                target = newt(g, "y", GAN_REGION_ARENA, 2, (int[]){N, T(g, a)->shape[1]});
                pg_input(b, target, GAN_ROLE_LABELS);
            }
        } else if ((kind == GAN_OP_LOSS_BCE_LOGITS || kind == GAN_OP_LOSS_BCE) && rr(g, 0, 1)) {
            target = new_like(g, "y", GAN_REGION_ARENA, a);
            pg_input(b, target, GAN_ROLE_LABELS);
        }
        int one = 1;
        terms[j] = newt(g, "loss", GAN_REGION_ARENA, 1, &one);
        gan_op *op = pg_op(b, kind);
        pg_in(op, 0, a);
        if (target >= 0)
            pg_in(op, 1, target);
        pg_out(op, 0, terms[j]);
        wts[j] = (float)rr(g, 1, 4) * 0.5f;
        op->f[0] = wts[j];
        op->f[1] = kind == GAN_OP_LOSS_MEAN ? -1.0f : 1.0f;
        ins[j] = a;
        tg[j] = target;
        kinds[j] = kind;
    }
    int one = 1, total = newt(g, "total", GAN_REGION_ARENA, 1, &one);
    gan_op *op = pg_op(b, GAN_OP_LOSS_SUM);
    for (int j = 0; j < nterms; j++) {
        pg_in(op, j, terms[j]);
        op->f[j] = wts[j];
    }
    pg_out(op, 0, total);
    pg_output(b, total);
    for (int j = 0; j < nterms; j++)
        pg_output(b, terms[j]);
    if (!train)
        return;
    /* backward: loss terms, then the forward ops in reverse */
    for (int j = 0; j < nterms; j++) {
        int da = acc(g, ins[j]);
        if (da < 0)
            continue;
        op = pg_op(b, kinds[j] + (GAN_OP_LOSS_HINGE_REAL_BWD - GAN_OP_LOSS_HINGE_REAL));
        pg_in(op, 0, ins[j]);
        if (tg[j] >= 0)
            pg_in(op, 1, tg[j]);
        pg_out(op, 0, da);
        op->f[0] = wts[j];
        op->f[1] = kinds[j] == GAN_OP_LOSS_MEAN ? -1.0f : 1.0f;
    }
    for (int k = fwd_end - 1; k >= g->fwd_begin; k--)
        bwd_op(g, b->m->programs[b->prog].ops[k]);
    op = pg_op(b, GAN_OP_ADAM);
    pg_in(op, 0, agg_p);
    pg_in(op, 1, agg_g);
    pg_in(op, 2, agg_m);
    pg_in(op, 3, agg_v);
    pg_in(op, 4, t_step);
    op->i[0] = 1;
    op->f[0] = 2e-4f;
    op->f[2] = 0.999f;
    op->f[3] = 1e-8f;
    if (ema >= 0) {
        op = pg_op(b, GAN_OP_EMA);
        pg_in(op, 0, agg_p);
        pg_in(op, 1, ema);
        op->f[0] = 0.999f;
    }
}

gan_model *plan_gen_random(uint32_t seed)
{
    pg_builder b;
    gen *g = calloc(1, sizeof *g);
    if (!g)
        abort();
    g->rng = seed * 2654435761u + 12345u;
    if (!g->rng)
        g->rng = 1;
    g->b = &b;
    g->N = rr(g, 1, 4);
    pg_init(&b, g->N);
    /* one parameter to anchor the aggregate's start, so it always spans something */
    int first = param1(g, "anchor", 1, 0);
    int nprog = rr(g, 1, 3);
    /* aggregates over all params / grads; their sizes are fixed at the end */
    int agg_p = pg_t1(&b, "N.params", GAN_REGION_PARAM, 1);
    int agg_g = pg_t1(&b, "N.grads", GAN_REGION_GRAD, 1);
    /* undo the region growth of the placeholders: aggregates overlap on purpose */
    b.m->region_floats[GAN_REGION_PARAM] -= 1;
    b.m->region_floats[GAN_REGION_GRAD] -= 1;
    int agg_m = pg_t1(&b, "N.adam_m", GAN_REGION_STATE, 1);
    int agg_v = pg_t1(&b, "N.adam_v", GAN_REGION_STATE, 1);
    int t_step = pg_t1(&b, "N.adam_t", GAN_REGION_STATE, 1);
    int ema = rr(g, 0, 1) ? pg_t1(&b, "N.ema", GAN_REGION_STATE, 1) : -1;
    for (int t = agg_p; t < b.m->n_tensors; t++) {
        g->needs_grad[t] = 0;
        g->grad[t] = g->pgrad[t] = -1;
    }
    int shared = -1;
    for (int p = 0; p < nprog; p++) {
        char name[32];
        snprintf(name, sizeof name, "prog%d", p);
        int train = p == 0 || rr(g, 0, 1);
        gen_program(g, name, 0, p > 0 && rr(g, 0, 2) == 0 ? shared : -1, train, agg_p, agg_g,
                    agg_m, agg_v, t_step, ema);
        if (p == 0)
            shared = b.m->programs[0].inputs[0];
    }
    /* the aggregates now cover every parameter / gradient */
    gan_model *m = b.m;
    uint64_t np = m->region_floats[GAN_REGION_PARAM];
    gan_tensor *tp = &m->tensors[agg_p], *tg = &m->tensors[agg_g];
    tp->offset = tg->offset = 0;
    tp->shape[0] = tg->shape[0] = (int)np;
    tp->numel = tg->numel = np;
    tp->flags = tg->flags = GAN_TF_AGGREGATE;
    tp->init = tg->init = GAN_INIT_NONE;
    (void)first;
    /* grads mirror params only where a param has one: make the GRAD region as big as PARAM
     * so the aggregate fits (frozen params leave holes) */
    m->region_floats[GAN_REGION_GRAD] = np;
    uint64_t so = m->region_floats[GAN_REGION_STATE];
    int st[3] = {agg_m, agg_v, ema};
    for (int i = 0; i < 3; i++) {
        if (st[i] < 0)
            continue;
        gan_tensor *t = &m->tensors[st[i]];
        t->offset = so;
        t->shape[0] = (int)np;
        t->numel = np;
        so += np;
    }
    m->region_floats[GAN_REGION_STATE] = so;
    if (ema >= 0) {
        m->tensors[ema].init = GAN_INIT_COPY;
        m->tensors[ema].init_src = agg_p;
    }
    m->n_networks = 1;
    m->networks = xrealloc(NULL, sizeof *m->networks);
    memset(m->networks, 0, sizeof *m->networks);
    snprintf(m->networks[0].name, GAN_NAME_MAX, "N");
    m->networks[0].role = GAN_NET_DISCRIMINATOR;
    m->networks[0].params = agg_p;
    m->networks[0].grads = agg_g;
    m->networks[0].ema = ema;
    m->networks[0].ema_decay = ema >= 0 ? 0.999f : 0.0f;
    m->networks[0].lr = 2e-4f;
    m->networks[0].beta2 = 0.999f;
    m->networks[0].eps = 1e-8f;
    m->hyper.n_labels = 2;
    m->hyper.label_kind = GAN_LABELS_MULTI;
    m->hyper.label_names = xrealloc(NULL, 2 * GAN_NAME_MAX);
    memset(m->hyper.label_names, 0, 2 * GAN_NAME_MAX);
    snprintf(m->hyper.label_names[0], GAN_NAME_MAX, "Smiling");
    snprintf(m->hyper.label_names[1], GAN_NAME_MAX, "Male");
    m->hyper.latent_size = 8;
    m->hyper.epochs = 3;
    free(g);
    return pg_finish(&b);
}

/* ------------------------------------------------------------------ comparison */

#define DIFF(...) (snprintf(msg, len, __VA_ARGS__), 1)

int plan_model_equal(const gan_model *a, const gan_model *b, char *msg, size_t len)
{
    const gan_hyper *x = &a->hyper, *y = &b->hyper;
    if (x->image_c != y->image_c || x->image_h != y->image_h || x->image_w != y->image_w ||
        x->range_lo != y->range_lo || x->range_hi != y->range_hi ||
        x->label_kind != y->label_kind || x->n_labels != y->n_labels ||
        x->latent_size != y->latent_size || x->latent_dist != y->latent_dist ||
        x->batch != y->batch || x->d_steps != y->d_steps || x->epochs != y->epochs ||
        x->steps != y->steps || x->sample_every != y->sample_every ||
        x->ckpt_every != y->ckpt_every)
        return DIFF("hyperparameters differ");
    for (int i = 0; i < x->n_labels; i++)
        if (strcmp(x->label_names[i], y->label_names[i]))
            return DIFF("label %d differs", i);
    if (a->n_tensors != b->n_tensors || a->n_networks != b->n_networks ||
        a->n_programs != b->n_programs)
        return DIFF("counts differ");
    if (memcmp(a->region_floats, b->region_floats, sizeof a->region_floats))
        return DIFF("region sizes differ");
    for (int i = 0; i < a->n_tensors; i++) {
        const gan_tensor *s = &a->tensors[i], *t = &b->tensors[i];
        if (strcmp(s->name, t->name) || s->region != t->region || s->ndim != t->ndim ||
            s->init != t->init || s->flags != t->flags ||
            memcmp(s->shape, t->shape, sizeof s->shape) || s->offset != t->offset ||
            s->numel != t->numel || s->init_arg != t->init_arg || s->fan_in != t->fan_in ||
            s->fan_out != t->fan_out || s->init_src != t->init_src)
            return DIFF("tensor %d ('%s') differs", i, s->name);
    }
    for (int i = 0; i < a->n_networks; i++) {
        const gan_network *s = &a->networks[i], *t = &b->networks[i];
        if (strcmp(s->name, t->name) || s->role != t->role || s->params != t->params ||
            s->grads != t->grads || s->ema != t->ema || s->ema_decay != t->ema_decay ||
            s->lr != t->lr || s->beta1 != t->beta1 || s->beta2 != t->beta2 || s->eps != t->eps)
            return DIFF("network %d differs", i);
    }
    for (int p = 0; p < a->n_programs; p++) {
        const gan_program *s = &a->programs[p], *t = &b->programs[p];
        if (strcmp(s->name, t->name) || s->network != t->network || s->n_ops != t->n_ops ||
            s->n_inputs != t->n_inputs || s->n_outputs != t->n_outputs ||
            s->arena_floats != t->arena_floats || s->naive_floats != t->naive_floats ||
            s->flops != t->flops)
            return DIFF("program %d ('%s') header differs", p, s->name);
        for (int j = 0; j < s->n_inputs; j++)
            if (s->inputs[j] != t->inputs[j] || s->input_roles[j] != t->input_roles[j])
                return DIFF("program '%s' input %d differs", s->name, j);
        for (int j = 0; j < s->n_outputs; j++)
            if (s->outputs[j] != t->outputs[j])
                return DIFF("program '%s' output %d differs", s->name, j);
        for (int k = 0; k < s->n_ops; k++) {
            const gan_op *o = &s->ops[k], *q = &t->ops[k];
            if (o->type != q->type || o->n_in != q->n_in || o->n_out != q->n_out ||
                memcmp(o->in, q->in, sizeof o->in) || memcmp(o->out, q->out, sizeof o->out) ||
                memcmp(o->i, q->i, sizeof o->i) || memcmp(o->f, q->f, sizeof o->f))
                return DIFF("program '%s' op %d differs", s->name, k);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ the seed model */

typedef struct {
    int w, b, u;           /* conv / dense weight, bias, spectral-norm u (-1) */
    int gamma, beta, rm, rv; /* batch norm after it (-1) */
    int wsn;               /* per program: the normalised weight */
} seed_layer;

static int needs(gen *g, int t)
{
    return t >= 0 && g->needs_grad[t];
}

static int s_conv(gen *g, int x, seed_layer *l, int act, float alpha, int s, int pt, int pl,
                  int oh, int ow)
{
    const gan_tensor *tx = T(g, x), *tw = T(g, l->w);
    int n = tx->shape[0], oc = tw->shape[0], c = tx->shape[1], k = tw->shape[2];
    int y = newt(g, "conv", GAN_REGION_ARENA, 4, (int[]){n, oc, oh, ow});
    int need = c * k * k * oh * ow;
    int ws = newt(g, "ws", GAN_REGION_ARENA, 1, &need);
    gan_op *op = pg_op(g->b, GAN_OP_CONV2D);
    pg_in(op, 0, x);
    pg_in(op, 1, l->wsn >= 0 ? l->wsn : l->w);
    pg_in(op, 2, l->b);
    pg_out(op, 0, y);
    pg_out(op, 1, ws);
    op->i[0] = act;
    op->i[1] = s;
    op->i[2] = pt;
    op->i[3] = pl;
    op->f[0] = alpha;
    g->needs_grad[y] = (int8_t)(needs(g, x) || needs(g, l->wsn >= 0 ? l->wsn : l->w));
    return y;
}

static int s_act(gen *g, int x, int act, float alpha)
{
    int y = new_like(g, "act", GAN_REGION_ARENA, x);
    gan_op *op = pg_op(g->b, GAN_OP_ACT);
    pg_in(op, 0, x);
    pg_out(op, 0, y);
    op->i[0] = act;
    op->f[0] = alpha;
    g->needs_grad[y] = (int8_t)needs(g, x);
    return y;
}

static int s_bn(gen *g, int x, seed_layer *l, int act, int train)
{
    int c = T(g, x)->shape[1];
    int y = new_like(g, "bn", GAN_REGION_ARENA, x);
    int sm = train ? newt(g, "smean", GAN_REGION_ARENA, 1, &c) : -1;
    int si = train ? newt(g, "sinv", GAN_REGION_ARENA, 1, &c) : -1;
    gan_op *op = pg_op(g->b, train ? GAN_OP_BN_TRAIN : GAN_OP_BN_INFER);
    pg_in(op, 0, x);
    pg_in(op, 1, l->gamma);
    pg_in(op, 2, l->beta);
    pg_in(op, 3, l->rm);
    pg_in(op, 4, l->rv);
    pg_out(op, 0, y);
    if (train) {
        pg_out(op, 1, sm);
        pg_out(op, 2, si);
    }
    op->i[0] = act;
    op->f[1] = 0.8f;
    op->f[2] = 1e-3f;
    g->needs_grad[y] = (int8_t)(needs(g, x) || needs(g, l->gamma));
    return y;
}

static int s_dense(gen *g, int x, seed_layer *l, int act)
{
    int n = T(g, x)->shape[0], m = T(g, l->w)->shape[0];
    int y = newt(g, "dense", GAN_REGION_ARENA, 2, (int[]){n, m});
    gan_op *op = pg_op(g->b, GAN_OP_DENSE);
    pg_in(op, 0, x);
    pg_in(op, 1, l->w);
    pg_in(op, 2, l->b);
    pg_out(op, 0, y);
    op->i[0] = act;
    g->needs_grad[y] = (int8_t)(needs(g, x) || needs(g, l->w));
    return y;
}

static int s_simple(gen *g, int type, int x, int ndim, const int *shape, int k)
{
    int y = newt(g, gan_op_name(type), GAN_REGION_ARENA, ndim, shape);
    gan_op *op = pg_op(g->b, type);
    pg_in(op, 0, x);
    pg_out(op, 0, y);
    op->i[1] = k;
    g->needs_grad[y] = (int8_t)needs(g, x);
    return y;
}

static void s_sn(gen *g, seed_layer *l, int n, int training)
{
    for (int i = 0; i < n; i++) {
        if (l[i].u < 0) {
            l[i].wsn = -1;
            continue;
        }
        const gan_tensor *w = T(g, l[i].w);
        int o = w->shape[0], kk = (int)(w->numel / (uint64_t)o), one = 1;
        l[i].wsn = new_like(g, "wsn", GAN_REGION_ARENA, l[i].w);
        int v = newt(g, "v", GAN_REGION_ARENA, 1, &kk);
        int sg = newt(g, "sigma", GAN_REGION_ARENA, 1, &one);
        gan_op *op = pg_op(g->b, GAN_OP_SPECTRAL_NORM);
        pg_in(op, 0, l[i].w);
        pg_in(op, 1, l[i].u);
        pg_out(op, 0, l[i].wsn);
        pg_out(op, 1, v);
        pg_out(op, 2, sg);
        op->i[0] = training;
        op->f[0] = 1e-12f;
        g->needs_grad[l[i].wsn] = (int8_t)needs(g, l[i].w);
    }
}

static const int seed_df[5] = {50, 62, 78, 97, 122};
static const int seed_gf[4] = {97, 78, 62, 50};

/* G forward: returns the image; bn_train selects batch statistics. */
static int s_gen(gen *g, seed_layer *G, int z, int y, int fused, int bn_train)
{
    int n = g->N;
    int zy = newt(g, "zy", GAN_REGION_ARENA, 2, (int[]){n, 108});
    gan_op *op = pg_op(g->b, GAN_OP_CONCAT);
    pg_in(op, 0, z);
    pg_in(op, 1, y);
    pg_out(op, 0, zy);
    g->needs_grad[zy] = 0;
    s_sn(g, G, 6, bn_train);
    int h = s_dense(g, zy, &G[0], fused ? GAN_ACT_RELU : GAN_ACT_NONE);
    if (!fused)
        h = s_act(g, h, GAN_ACT_RELU, 0);
    h = s_simple(g, GAN_OP_COPY, h, 4, (int[]){n, 122, 4, 4}, 0);
    h = s_bn(g, h, &G[0], GAN_ACT_NONE, bn_train);
    int hw = 4;
    for (int i = 0; i < 4; i++) {
        hw *= 2;
        int c = T(g, h)->shape[1];
        h = s_simple(g, GAN_OP_UPSAMPLE, h, 4, (int[]){n, c, hw, hw}, 2);
        h = s_conv(g, h, &G[1 + i], GAN_ACT_NONE, 0, 1, 1, 1, hw, hw);
        h = s_bn(g, h, &G[1 + i], fused ? GAN_ACT_RELU : GAN_ACT_NONE, bn_train);
        if (!fused)
            h = s_act(g, h, GAN_ACT_RELU, 0);
    }
    /* conv k4 "same": pad top/left 1, bottom/right 2 */
    h = s_conv(g, h, &G[5], fused ? GAN_ACT_TANH : GAN_ACT_NONE, 0, 1, 1, 1, 64, 64);
    if (!fused)
        h = s_act(g, h, GAN_ACT_TANH, 0);
    return h;
}

/* D forward: returns adv [N,1]; *cls gets [N,8]. */
static int s_disc(gen *g, seed_layer *D, int x, int fused, int *cls)
{
    int h = x, hw = 64;
    for (int i = 0; i < 5; i++) {
        hw /= 2;
        h = s_conv(g, h, &D[i], fused ? GAN_ACT_LEAKY_RELU : GAN_ACT_NONE, 0.1f, 2, 0, 0, hw,
                   hw);
        if (!fused)
            h = s_act(g, h, GAN_ACT_LEAKY_RELU, 0.1f);
    }
    h = s_simple(g, GAN_OP_GAP, h, 2, (int[]){g->N, 122}, 0);
    *cls = s_dense(g, h, &D[6], GAN_ACT_NONE);
    return s_dense(g, h, &D[5], GAN_ACT_NONE);
}

static int s_loss(gen *g, int type, int a, int target, float f1, int *terms, int *ins,
                  int *tgs, int *kinds, int *n)
{
    int one = 1;
    int t = newt(g, "loss", GAN_REGION_ARENA, 1, &one);
    gan_op *op = pg_op(g->b, type);
    pg_in(op, 0, a);
    if (target >= 0)
        pg_in(op, 1, target);
    pg_out(op, 0, t);
    op->f[0] = 1.0f;
    op->f[1] = f1;
    terms[*n] = t;
    ins[*n] = a;
    tgs[*n] = target;
    kinds[*n] = type;
    (*n)++;
    return t;
}

static void s_backward(gen *g, int fwd_begin, int fwd_end, const int *ins, const int *tgs,
                       const int *kinds, int nterms)
{
    pg_builder *b = g->b;
    for (int j = 0; j < nterms; j++) {
        int da = acc(g, ins[j]);
        gan_op *op = pg_op(b, kinds[j] + (GAN_OP_LOSS_HINGE_REAL_BWD - GAN_OP_LOSS_HINGE_REAL));
        pg_in(op, 0, ins[j]);
        if (tgs[j] >= 0)
            pg_in(op, 1, tgs[j]);
        pg_out(op, 0, da);
        op->f[0] = 1.0f;
        op->f[1] = kinds[j] == GAN_OP_LOSS_MEAN ? -1.0f : 1.0f;
    }
    for (int k = fwd_end - 1; k >= fwd_begin; k--)
        bwd_op(g, b->m->programs[b->prog].ops[k]);
}

static void s_adam(gen *g, int p, int gr, int m, int v, int t)
{
    gan_op *op = pg_op(g->b, GAN_OP_ADAM);
    pg_in(op, 0, p);
    pg_in(op, 1, gr);
    pg_in(op, 2, m);
    pg_in(op, 3, v);
    pg_in(op, 4, t);
    op->i[0] = 1;
    op->f[0] = 2e-4f;
    op->f[2] = 0.999f;
    op->f[3] = 1e-8f;
}

static void s_set_grads(gen *g, seed_layer *l, int n, int on)
{
    for (int i = 0; i < n; i++) {
        int ts[4] = {l[i].w, l[i].b, l[i].gamma, l[i].beta};
        for (int j = 0; j < 4; j++)
            if (ts[j] >= 0)
                g->needs_grad[ts[j]] = (int8_t)on;
    }
}

gan_model *plan_gen_seed_model(int batch, int fused)
{
    pg_builder b;
    gen *g = calloc(1, sizeof *g);
    if (!g)
        abort();
    g->rng = 1;
    g->det = 1;
    g->b = &b;
    g->N = batch;
    pg_init(&b, batch);
    gan_model *m = b.m;
    m->hyper.image_h = m->hyper.image_w = 64;
    m->hyper.latent_size = 100;
    m->hyper.d_steps = 2;
    m->hyper.epochs = 10;
    m->hyper.label_kind = GAN_LABELS_MULTI;
    m->hyper.n_labels = 8;
    m->hyper.label_names = xrealloc(NULL, 8 * GAN_NAME_MAX);
    memset(m->hyper.label_names, 0, 8 * GAN_NAME_MAX);
    static const char *const labels[8] = {"Male", "Smiling", "Eyeglasses", "Blond_Hair",
                                          "Black_Hair", "Young", "Wearing_Hat", "No_Beard"};
    for (int i = 0; i < 8; i++)
        snprintf(m->hyper.label_names[i], GAN_NAME_MAX, "%s", labels[i]);

    /* parameters: G then D, each contiguous, then their aggregates */
    seed_layer G[6], D[7];
    memset(G, -1, sizeof G);
    memset(D, -1, sizeof D);
    int g_first = m->n_tensors;
    G[0].w = param(g, "G.dense.w", 2, (int[]){1952, 108}, 0);
    G[0].b = param1(g, "G.dense.b", 1952, 0);
    G[0].gamma = param1(g, "G.bn0.gamma", 122, 0);
    G[0].beta = param1(g, "G.bn0.beta", 122, 0);
    int cin = 122;
    for (int i = 0; i < 4; i++) {
        G[1 + i].w = param(g, "G.conv.w", 4, (int[]){seed_gf[i], cin, 3, 3}, 0);
        G[1 + i].b = param1(g, "G.conv.b", seed_gf[i], 0);
        G[1 + i].gamma = param1(g, "G.bn.gamma", seed_gf[i], 0);
        G[1 + i].beta = param1(g, "G.bn.beta", seed_gf[i], 0);
        cin = seed_gf[i];
    }
    G[5].w = param(g, "G.out.w", 4, (int[]){3, 50, 4, 4}, 0);
    G[5].b = param1(g, "G.out.b", 3, 0);
    int g_last = m->n_tensors - 1;
    int d_first = m->n_tensors;
    cin = 3;
    for (int i = 0; i < 5; i++) {
        D[i].w = param(g, "D.conv.w", 4, (int[]){seed_df[i], cin, 3, 3}, 0);
        D[i].b = param1(g, "D.conv.b", seed_df[i], 0);
        cin = seed_df[i];
    }
    D[5].w = param(g, "D.adv.w", 2, (int[]){1, 122}, 0);
    D[5].b = param1(g, "D.adv.b", 1, 0);
    D[6].w = param(g, "D.cls.w", 2, (int[]){8, 122}, 0);
    D[6].b = param1(g, "D.cls.b", 8, 0);
    int d_last = m->n_tensors - 1;
    /* state: running stats, spectral-norm u, Adam */
    for (int i = 0; i < 5; i++) {
        int c = T(g, G[i].gamma)->shape[0];
        G[i].rm = newt(g, "G.bn.rmean", GAN_REGION_STATE, 1, &c);
        G[i].rv = newt(g, "G.bn.rvar", GAN_REGION_STATE, 1, &c);
    }
    for (int i = 1; i < 6; i++)
        G[i].u = newt(g, "G.conv.u", GAN_REGION_STATE, 1, &T(g, G[i].w)->shape[0]);
    for (int i = 0; i < 5; i++)
        D[i].u = newt(g, "D.conv.u", GAN_REGION_STATE, 1, &T(g, D[i].w)->shape[0]);
    int gp = pg_aggregate(&b, "G.params", GAN_REGION_PARAM, g_first, g_last);
    int dp = pg_aggregate(&b, "D.params", GAN_REGION_PARAM, d_first, d_last);
    int gg = pg_aggregate(&b, "G.grads", GAN_REGION_GRAD, g->pgrad[G[0].w], g->pgrad[G[5].b]);
    int dg = pg_aggregate(&b, "D.grads", GAN_REGION_GRAD, g->pgrad[D[0].w], g->pgrad[D[6].b]);
    int ng = (int)T(g, gp)->numel, nd = (int)T(g, dp)->numel, one = 1;
    int gm = newt(g, "G.adam_m", GAN_REGION_STATE, 1, &ng);
    int gv = newt(g, "G.adam_v", GAN_REGION_STATE, 1, &ng);
    int gt = newt(g, "G.adam_t", GAN_REGION_STATE, 1, &one);
    int dm = newt(g, "D.adam_m", GAN_REGION_STATE, 1, &nd);
    int dv = newt(g, "D.adam_v", GAN_REGION_STATE, 1, &nd);
    int dt = newt(g, "D.adam_t", GAN_REGION_STATE, 1, &one);
    m->region_floats[GAN_REGION_GRAD] = m->region_floats[GAN_REGION_PARAM];
    for (int t = 0; t < m->n_tensors; t++)
        if (m->tensors[t].region != GAN_REGION_PARAM)
            g->needs_grad[t] = 0;

    int terms[4], ins[4], tgs[4], kinds[4], nterms, cls, one_t;
    /* d_step: G forward without gradients, D on real and fake, D's gradients */
    pg_program(&b, "d_step", 1);
    int x = newt(g, "x", GAN_REGION_ARENA, 4, (int[]){batch, 3, 64, 64});
    int y = newt(g, "y", GAN_REGION_ARENA, 2, (int[]){batch, 8});
    int z = newt(g, "z", GAN_REGION_ARENA, 2, (int[]){batch, 100});
    pg_input(&b, x, GAN_ROLE_IMAGE);
    pg_input(&b, y, GAN_ROLE_LABELS);
    pg_input(&b, z, GAN_ROLE_LATENT);
    s_set_grads(g, G, 6, 0);
    s_set_grads(g, D, 7, 1);
    pg_out(pg_op(&b, GAN_OP_ZERO), 0, dg);
    int fb = m->programs[b.prog].n_ops;
    int fake = s_gen(g, G, z, y, fused, 1);
    s_sn(g, D, 5, 1);
    nterms = 0;
    int adv_r = s_disc(g, D, x, fused, &cls);
    s_loss(g, GAN_OP_LOSS_HINGE_REAL, adv_r, -1, 0, terms, ins, tgs, kinds, &nterms);
    s_loss(g, GAN_OP_LOSS_BCE_LOGITS, cls, y, 0, terms, ins, tgs, kinds, &nterms);
    int adv_f = s_disc(g, D, fake, fused, &cls);
    s_loss(g, GAN_OP_LOSS_HINGE_FAKE, adv_f, -1, 0, terms, ins, tgs, kinds, &nterms);
    one_t = 1;
    int total = newt(g, "total", GAN_REGION_ARENA, 1, &one_t);
    gan_op *op = pg_op(&b, GAN_OP_LOSS_SUM);
    for (int j = 0; j < nterms; j++) {
        pg_in(op, j, terms[j]);
        op->f[j] = 1.0f;
    }
    pg_out(op, 0, total);
    int fe = m->programs[b.prog].n_ops;
    pg_output(&b, total);
    for (int j = 0; j < nterms; j++)
        pg_output(&b, terms[j]);
    s_backward(g, fb, fe, ins, tgs, kinds, nterms);
    s_adam(g, dp, dg, dm, dv, dt);

    /* g_step: G forward with gradients, D frozen (no power iteration), back into G */
    for (int t = 0; t < m->n_tensors && t < GEN_MAXT; t++)
        g->grad[t] = -1;
    pg_program(&b, "g_step", 0);
    x = -1;
    y = newt(g, "y", GAN_REGION_ARENA, 2, (int[]){batch, 8});
    z = newt(g, "z", GAN_REGION_ARENA, 2, (int[]){batch, 100});
    pg_input(&b, y, GAN_ROLE_LABELS);
    pg_input(&b, z, GAN_ROLE_LATENT);
    s_set_grads(g, G, 6, 1);
    s_set_grads(g, D, 7, 0);
    pg_out(pg_op(&b, GAN_OP_ZERO), 0, gg);
    fb = m->programs[b.prog].n_ops;
    fake = s_gen(g, G, z, y, fused, 1);
    s_sn(g, D, 5, 0);
    nterms = 0;
    adv_f = s_disc(g, D, fake, fused, &cls);
    s_loss(g, GAN_OP_LOSS_MEAN, adv_f, -1, -1.0f, terms, ins, tgs, kinds, &nterms);
    s_loss(g, GAN_OP_LOSS_BCE_LOGITS, cls, y, 0, terms, ins, tgs, kinds, &nterms);
    total = newt(g, "total", GAN_REGION_ARENA, 1, &one_t);
    op = pg_op(&b, GAN_OP_LOSS_SUM);
    for (int j = 0; j < nterms; j++) {
        pg_in(op, j, terms[j]);
        op->f[j] = 1.0f;
    }
    pg_out(op, 0, total);
    fe = m->programs[b.prog].n_ops;
    pg_output(&b, total);
    for (int j = 0; j < nterms; j++)
        pg_output(&b, terms[j]);
    s_backward(g, fb, fe, ins, tgs, kinds, nterms);
    s_adam(g, gp, gg, gm, gv, gt);

    /* sample: G forward with running statistics */
    for (int t = 0; t < m->n_tensors && t < GEN_MAXT; t++)
        g->grad[t] = -1;
    pg_program(&b, "sample", -1);
    y = newt(g, "y", GAN_REGION_ARENA, 2, (int[]){batch, 8});
    z = newt(g, "z", GAN_REGION_ARENA, 2, (int[]){batch, 100});
    pg_input(&b, y, GAN_ROLE_LABELS);
    pg_input(&b, z, GAN_ROLE_LATENT);
    s_set_grads(g, G, 6, 0);
    pg_output(&b, s_gen(g, G, z, y, fused, 0));

    m->n_networks = 2;
    m->networks = xrealloc(NULL, 2 * sizeof *m->networks);
    memset(m->networks, 0, 2 * sizeof *m->networks);
    int ids[2][3] = {{gp, gg, GAN_NET_GENERATOR}, {dp, dg, GAN_NET_DISCRIMINATOR}};
    for (int i = 0; i < 2; i++) {
        gan_network *n = &m->networks[i];
        snprintf(n->name, GAN_NAME_MAX, "%s", i ? "D" : "G");
        n->params = ids[i][0];
        n->grads = ids[i][1];
        n->role = ids[i][2];
        n->ema = -1;
        n->lr = i ? 2e-4f : 5e-5f;
        n->beta2 = 0.999f;
        n->eps = 1e-7f;
    }
    free(g);
    return pg_finish(&b);
}

/* ------------------------------------------------------------------ simulation oracle */

/* An oracle independent of both planner and checker: run the program on "ownership" instead
 * of values. Every float of the arena remembers which tensor wrote it last; a read of a tensor
 * must find all its floats still its own (program inputs own theirs at the start). Outputs of
 * an op are written after its reads; unless the op is ACT/COPY (which may run in place) its
 * inputs must still be intact after its writes. Program outputs must be intact at the end.
 * Returns 0 when the plan computes what the op list means. */
static int simulate(const gan_model *m, const gan_program *g, int *owner, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        owner[i] = -1;
#define OWN(t, v)                                                                        \
    for (uint64_t q = m->tensors[t].offset; q < m->tensors[t].offset + m->tensors[t].numel; \
         q++)                                                                             \
    owner[q] = (v)
#define INTACT(t, ok)                                                                    \
    do {                                                                                 \
        ok = 1;                                                                          \
        for (uint64_t q = m->tensors[t].offset;                                          \
             q < m->tensors[t].offset + m->tensors[t].numel; q++)                        \
            if (owner[q] != (t))                                                         \
                ok = 0;                                                                  \
    } while (0)
    for (int j = 0; j < g->n_inputs; j++)
        OWN(g->inputs[j], g->inputs[j]);
    for (int k = 0; k < g->n_ops; k++) {
        gan_op_use u[2 * GAN_OP_MAX_IO];
        int nu = gan_op_uses(&g->ops[k], u), ok;
        for (int j = 0; j < nu; j++) {
            int t = u[j].tensor;
            if (m->tensors[t].region != GAN_REGION_ARENA || !(u[j].access & GAN_ACC_READ))
                continue;
            INTACT(t, ok);
            if (!ok)
                return 1;
        }
        for (int j = 0; j < nu; j++) {
            int t = u[j].tensor;
            if (m->tensors[t].region == GAN_REGION_ARENA && u[j].is_out)
                OWN(t, t);
        }
        if (g->ops[k].type == GAN_OP_ACT || g->ops[k].type == GAN_OP_COPY)
            continue;
        for (int j = 0; j < nu; j++) {
            int t = u[j].tensor;
            if (m->tensors[t].region != GAN_REGION_ARENA || u[j].is_out)
                continue;
            INTACT(t, ok);
            if (!ok)
                return 1;
        }
        /* a workspace is another output: it must not have clobbered the op's outputs */
        for (int j = 0; j < nu; j++) {
            int t = u[j].tensor;
            if (m->tensors[t].region != GAN_REGION_ARENA || !u[j].is_out ||
                u[j].access == GAN_ACC_SCRATCH)
                continue;
            INTACT(t, ok);
            if (!ok)
                return 1;
        }
    }
    for (int j = 0; j < g->n_outputs; j++) {
        int ok;
        INTACT(g->outputs[j], ok);
        if (!ok)
            return 1;
    }
#undef OWN
#undef INTACT
    return 0;
}

int plan_simulate(const gan_model *m)
{
    uint64_t n = m->region_floats[GAN_REGION_ARENA];
    int *owner = malloc((n + 1) * sizeof *owner);
    int bad = 0;
    for (int p = 0; p < m->n_programs && !bad; p++)
        bad = simulate(m, &m->programs[p], owner, n);
    free(owner);
    return bad;
}

