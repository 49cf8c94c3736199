/* Random valid models (plan_gen_random in plan_gen.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/util/plan_gen_core.h"

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

/* The forward-op builders below each take the input value x and return 1 when they appended
 * an op, 0 when x does not fit this time. Each draws its random choices in a fixed order:
 * the tests rely on the model each seed gives. */

/* Kernel size, stride and padding of a (transposed) convolution, drawn in this order. */
typedef struct {
    int k, s, pt, pl, pb, pr;
} conv_geom;

static conv_geom draw_geom(gen *g)
{
    conv_geom c;
    c.k = rr(g, 1, 4);
    c.s = rr(g, 1, 2);
    c.pt = rr(g, 0, c.k - 1);
    c.pl = rr(g, 0, c.k - 1);
    c.pb = rr(g, 0, c.k - 1);
    c.pr = rr(g, 0, c.k - 1);
    return c;
}

/* type(x, w [, b]) -> y with a random activation: the ops with a weight; no bias: b = -1. */
static gan_op *weighted_op(gen *g, int type, int x, int w, int b, int y)
{
    gan_op *op = pg_op(g->b, type);
    pg_in(op, 0, x);
    pg_in(op, 1, w);
    if (b >= 0)
        pg_in(op, 2, b);
    pg_out(op, 0, y);
    op->i[0] = rr(g, 0, GAN_ACT_COUNT - 1);
    return op;
}

/* The (transposed) convolution op itself; no workspace: wsp = -1. */
static gan_op *conv_op(gen *g, int type, int x, int w, int b, int y, int wsp, const conv_geom *c)
{
    gan_op *op = weighted_op(g, type, x, w, b, y);
    if (wsp >= 0)
        pg_out(op, 1, wsp);
    op->i[1] = c->s;
    op->i[2] = c->pt;
    op->i[3] = c->pl;
    return op;
}

static int fwd_conv(gen *g, int x) /* conv2d, maybe spectral norm, maybe workspace */
{
    const gan_tensor *tx = T(g, x);
    int N = tx->shape[0], C = tx->shape[1], H = tx->shape[2], W = tx->shape[3];
    conv_geom c = draw_geom(g);
    int k = c.k;
    if (H + c.pt + c.pb < k || W + c.pl + c.pr < k)
        return 0;
    int OH = (H + c.pt + c.pb - k) / c.s + 1, OW = (W + c.pl + c.pr - k) / c.s + 1;
    int OC = rr(g, 1, 6);
    int ws[4] = {OC, C, k, k};
    int w = gen_param(g, "w", 4, ws, rr(g, 0, 4) == 0);
    int b = rr(g, 0, 1) ? gen_param1(g, "b", OC, 0) : -1;
    int wu = w;
    if (rr(g, 0, 2) == 0) {
        int u = gen_new(g, "u", GAN_REGION_STATE, 1, &OC);
        g->b->m->tensors[u].init = GAN_INIT_UNIT_NORMAL;
        wu = gen_spectral_norm(g, w, u, rr(g, 0, 1));
    }
    int y = gen_new(g, "conv", GAN_REGION_ARENA, 4, (int[]){N, OC, OH, OW});
    int wsp = -1;
    if (rr(g, 0, 1)) {
        int need = C * k * k * OH * OW + rr(g, 0, 1) * rr(g, 1, 7);
        wsp = gen_new(g, "ws", GAN_REGION_ARENA, 1, &need);
    }
    gan_op *op = conv_op(g, GAN_OP_CONV2D, x, wu, b, y, wsp, &c);
    op->f[0] = rand_alpha(g);
    add_val(g, y, g->needs_grad[x] || g->needs_grad[wu] || (b >= 0 && g->needs_grad[b]));
    return 1;
}

static int fwd_conv_t(gen *g, int x)
{
    const gan_tensor *tx = T(g, x);
    int N = tx->shape[0], C = tx->shape[1], H = tx->shape[2], W = tx->shape[3];
    conv_geom c = draw_geom(g);
    int k = c.k;
    int OH = (H - 1) * c.s + k - c.pt - c.pb, OW = (W - 1) * c.s + k - c.pl - c.pr;
    if (OH < 1 || OW < 1 || OH > 12 || OW > 12)
        return 0;
    int OC = rr(g, 1, 5);
    int w = gen_param(g, "wt", 4, (int[]){C, OC, k, k}, 0);
    int y = gen_new(g, "convt", GAN_REGION_ARENA, 4, (int[]){N, OC, OH, OW});
    int wsp = -1;
    if (rr(g, 0, 1)) {
        int need = OC * k * k * H * W;
        wsp = gen_new(g, "ws", GAN_REGION_ARENA, 1, &need);
    }
    conv_op(g, GAN_OP_CONV2D_T, x, w, -1, y, wsp, &c);
    add_val(g, y, 1);
    return 1;
}

static int fwd_upsample(gen *g, int x)
{
    const gan_tensor *tx = T(g, x);
    int N = tx->shape[0], C = tx->shape[1], H = tx->shape[2], W = tx->shape[3];
    int k = rr(g, 1, 2);
    if (H * k > 12 || W * k > 12)
        return 0;
    int y = gen_new(g, "up", GAN_REGION_ARENA, 4, (int[]){N, C, H * k, W * k});
    gan_op *op = pg_op(g->b, GAN_OP_UPSAMPLE);
    pg_in(op, 0, x);
    pg_out(op, 0, y);
    op->i[1] = k;
    add_val(g, y, g->needs_grad[x]);
    return 1;
}

static int fwd_to_rank2(gen *g, int x) /* gap or flatten */
{
    const gan_tensor *tx = T(g, x);
    int N = tx->shape[0], C = tx->shape[1], H = tx->shape[2], W = tx->shape[3];
    int y;
    gan_op *op;
    if (rr(g, 0, 1)) {
        y = gen_new(g, "gap", GAN_REGION_ARENA, 2, (int[]){N, C});
        op = pg_op(g->b, GAN_OP_GAP);
    } else {
        y = gen_new(g, "flat", GAN_REGION_ARENA, 2, (int[]){N, C * H * W});
        op = pg_op(g->b, GAN_OP_COPY);
    }
    pg_in(op, 0, x);
    pg_out(op, 0, y);
    add_val(g, y, g->needs_grad[x]);
    return 1;
}

static int fwd_concat(gen *g, int x) /* with other values of the same spatial size */
{
    const gan_tensor *tx = T(g, x);
    int N = tx->shape[0], C = tx->shape[1], H = tx->shape[2], W = tx->shape[3];
    int parts[4] = {x}, np = 1, sumc = C;
    for (int i = 0; i < g->nval && np < 4; i++) {
        const gan_tensor *o = T(g, g->vals[i]);
        if (g->vals[i] != x && o->ndim == 4 && o->shape[2] == H && o->shape[3] == W &&
            rr(g, 0, 1)) {
            parts[np++] = g->vals[i];
            sumc += o->shape[1];
        }
    }
    int y = gen_new(g, "cat", GAN_REGION_ARENA, 4, (int[]){N, sumc, H, W});
    gan_op *op = pg_op(g->b, GAN_OP_CONCAT);
    int need = 0;
    for (int i = 0; i < np; i++) {
        pg_in(op, i, parts[i]);
        need |= g->needs_grad[parts[i]];
    }
    pg_out(op, 0, y);
    add_val(g, y, need);
    return 1;
}

static int fwd_dense(gen *g, int x)
{
    const gan_tensor *tx = T(g, x);
    if (tx->ndim == 3)
        return 0;
    int N = tx->shape[0];
    int K = (int)(tx->numel / (uint64_t)N), M = rr(g, 1, 9);
    int w = gen_param(g, "dw_", 2, (int[]){M, K}, rr(g, 0, 4) == 0);
    int b = rr(g, 0, 1) ? gen_param1(g, "db_", M, 0) : -1;
    int y = gen_new(g, "dense", GAN_REGION_ARENA, 2, (int[]){N, M});
    gan_op *op = weighted_op(g, GAN_OP_DENSE, x, w, b, y);
    op->f[0] = rand_alpha(g);
    add_val(g, y, g->needs_grad[x] || g->needs_grad[w] || (b >= 0 && g->needs_grad[b]));
    return 1;
}

static int fwd_act(gen *g, int x) /* the in-place candidate */
{
    int y = gen_like(g, "act", GAN_REGION_ARENA, x);
    gan_op *op = pg_op(g->b, GAN_OP_ACT);
    pg_in(op, 0, x);
    pg_out(op, 0, y);
    op->i[0] = rr(g, 1, GAN_ACT_COUNT - 1);
    op->f[0] = rand_alpha(g);
    add_val(g, y, g->needs_grad[x]);
    return 1;
}

static int fwd_bn(gen *g, int x) /* batch norm (train) */
{
    int C = T(g, x)->shape[1];
    int gm = rr(g, 0, 1) ? gen_param1(g, "gamma", C, 0) : -1;
    int bt = rr(g, 0, 1) ? gen_param1(g, "beta", C, 0) : -1;
    int rm = gen_new(g, "rmean", GAN_REGION_STATE, 1, &C);
    int rv = gen_new(g, "rvar", GAN_REGION_STATE, 1, &C);
    g->b->m->tensors[rv].init = GAN_INIT_ONES;
    int y = gen_like(g, "bn", GAN_REGION_ARENA, x);
    int sm = gen_new(g, "smean", GAN_REGION_ARENA, 1, &C);
    int si = gen_new(g, "sinv", GAN_REGION_ARENA, 1, &C);
    gan_op *op = pg_op(g->b, GAN_OP_BN_TRAIN);
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
    add_val(g, y, g->needs_grad[x] || (gm >= 0 && g->needs_grad[gm]) ||
                      (bt >= 0 && g->needs_grad[bt]));
    return 1;
}

/* The second operand of a binary op: a random earlier value that same(x, it) accepts,
 * else x itself. */
static int pick_partner(gen *g, int x, int (*same)(const gan_tensor *, const gan_tensor *))
{
    const gan_tensor *tx = T(g, x);
    int o = x;
    for (int i = 0; i < g->nval; i++)
        if (g->vals[i] != x && same(T(g, g->vals[i]), tx) && rr(g, 0, 1))
            o = g->vals[i];
    return o;
}

static int same_shape(const gan_tensor *t, const gan_tensor *x)
{
    return t->ndim == x->ndim && !memcmp(t->shape, x->shape, sizeof t->shape);
}

static int same_rows(const gan_tensor *t, const gan_tensor *x)
{
    return t->ndim == 2 && t->shape[1] == x->shape[1];
}

/* Appends y = type(x, o); y needs a gradient when either operand does. */
static int fwd_binary(gen *g, int x, int o, int y, int type)
{
    gan_op *op = pg_op(g->b, type);
    pg_in(op, 0, x);
    pg_in(op, 1, o);
    pg_out(op, 0, y);
    add_val(g, y, g->needs_grad[x] || g->needs_grad[o]);
    return 1;
}

static int fwd_add_mul(gen *g, int x) /* with a same-shaped value, or itself */
{
    int o = pick_partner(g, x, same_shape);
    int y = gen_like(g, "sum", GAN_REGION_ARENA, x);
    return fwd_binary(g, x, o, y, rr(g, 0, 1) ? GAN_OP_ADD : GAN_OP_MUL);
}

static int fwd_rowdot(gen *g, int x) /* of two same-shaped values */
{
    if (T(g, x)->ndim != 2)
        return 0;
    int o = pick_partner(g, x, same_rows);
    int y = gen_new(g, "rdot", GAN_REGION_ARENA, 2, (int[]){T(g, x)->shape[0], 1});
    return fwd_binary(g, x, o, y, GAN_OP_ROWDOT);
}

static int fwd_to_rank4(gen *g, int x) /* tile, or reshape [N,F,1,1] */
{
    const gan_tensor *tx = T(g, x);
    if (tx->ndim != 2)
        return 0;
    int N = tx->shape[0], L = tx->shape[1];
    int y;
    gan_op *op;
    if (rr(g, 0, 1)) {
        int h = rr(g, 1, 5), w = rr(g, 1, 5);
        y = gen_new(g, "tile", GAN_REGION_ARENA, 4, (int[]){N, L, h, w});
        op = pg_op(g->b, GAN_OP_TILE);
    } else {
        y = gen_new(g, "resh", GAN_REGION_ARENA, 4, (int[]){N, L, 1, 1});
        op = pg_op(g->b, GAN_OP_COPY);
    }
    pg_in(op, 0, x);
    pg_out(op, 0, y);
    add_val(g, y, g->needs_grad[x]);
    return 1;
}

typedef int (*fwd_fn)(gen *g, int x);

/* By kind % 9 for a rank-4 value; past the end: an op of any rank, by kind % 7. */
static const fwd_fn fwd_rank4[] = {fwd_conv, fwd_conv, fwd_conv_t, fwd_upsample, fwd_to_rank2,
                                   fwd_concat};
static const fwd_fn fwd_any_rank[7] = {fwd_dense, fwd_act, fwd_act, fwd_bn, fwd_add_mul,
                                       fwd_to_rank4, fwd_rowdot};

/* One random forward op on existing values; returns 0 if none fit this time. */
static int fwd_op(gen *g)
{
    int kind = rr(g, 0, 15);
    int x = pick_val(g, kind < 9 ? 4 : 2);
    if (x < 0)
        x = pick_val(g, 0);
    size_t n4 = sizeof fwd_rank4 / sizeof fwd_rank4[0];
    if (T(g, x)->ndim == 4 && (size_t)(kind % 9) < n4)
        return fwd_rank4[kind % 9](g, x);
    return fwd_any_rank[kind % 7](g, x);
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
        x = gen_new(g, "x", GAN_REGION_ARENA, 4,
                 (int[]){N, rr(g, 1, 4), rr(g, 2, 8), rr(g, 2, 8)});
    pg_input(b, x, GAN_ROLE_IMAGE);
    add_val(g, x, 0);
    if (rr(g, 0, 1)) { /* a second input: a latent vector */
        int z = gen_new(g, "z", GAN_REGION_ARENA, 2, (int[]){N, rr(g, 1, 8)});
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
                target = gen_new(g, "y", GAN_REGION_ARENA, 2, (int[]){N, T(g, a)->shape[1]});
                pg_input(b, target, GAN_ROLE_LABELS);
            }
        } else if ((kind == GAN_OP_LOSS_BCE_LOGITS || kind == GAN_OP_LOSS_BCE) && rr(g, 0, 1)) {
            target = gen_like(g, "y", GAN_REGION_ARENA, a);
            pg_input(b, target, GAN_ROLE_LABELS);
        }
        int one = 1;
        terms[j] = gen_new(g, "loss", GAN_REGION_ARENA, 1, &one);
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
    int one = 1, total = gen_new(g, "total", GAN_REGION_ARENA, 1, &one);
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
        int da = gen_grad(g, ins[j]);
        if (da < 0)
            continue;
        gen_loss_bwd(g, kinds[j], ins[j], tg[j], wts[j], da);
    }
    for (int k = fwd_end - 1; k >= g->fwd_begin; k--)
        gen_bwd_op(g, b->m->programs[b->prog].ops[k]);
    gen_adam(g, agg_p, agg_g, agg_m, agg_v, t_step);
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
    int first = gen_param1(g, "anchor", 1, 0);
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
    m->networks = pg_xrealloc(NULL, sizeof *m->networks);
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
    m->hyper.label_names = pg_xrealloc(NULL, 2 * GAN_NAME_MAX);
    memset(m->hyper.label_names, 0, 2 * GAN_NAME_MAX);
    snprintf(m->hyper.label_names[0], GAN_NAME_MAX, "Smiling");
    snprintf(m->hyper.label_names[1], GAN_NAME_MAX, "Male");
    m->hyper.latent_size = 8;
    m->hyper.epochs = 3;
    free(g);
    return pg_finish(&b);
}
