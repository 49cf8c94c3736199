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
            int w = gen_param(g, "w", 4, ws, rr(g, 0, 4) == 0);
            int b = rr(g, 0, 1) ? gen_param1(g, "b", OC, 0) : -1;
            int wu = w;
            if (rr(g, 0, 2) == 0) { /* spectral norm */
                int u = gen_new(g, "u", GAN_REGION_STATE, 1, &OC);
                g->b->m->tensors[u].init = GAN_INIT_UNIT_NORMAL;
                wu = gen_like(g, "wsn", GAN_REGION_ARENA, w);
                int K = C * k * k, one = 1;
                int v = gen_new(g, "v", GAN_REGION_ARENA, 1, &K);
                int sg = gen_new(g, "sigma", GAN_REGION_ARENA, 1, &one);
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
            int y = gen_new(g, "conv", GAN_REGION_ARENA, 4, (int[]){N, OC, OH, OW});
            int wsp = -1;
            if (rr(g, 0, 1)) {
                int need = C * k * k * OH * OW + rr(g, 0, 1) * rr(g, 1, 7);
                wsp = gen_new(g, "ws", GAN_REGION_ARENA, 1, &need);
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
            int w = gen_param(g, "wt", 4, (int[]){C, OC, k, k}, 0);
            int y = gen_new(g, "convt", GAN_REGION_ARENA, 4, (int[]){N, OC, OH, OW});
            int wsp = -1;
            if (rr(g, 0, 1)) {
                int need = OC * k * k * H * W;
                wsp = gen_new(g, "ws", GAN_REGION_ARENA, 1, &need);
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
            int y = gen_new(g, "up", GAN_REGION_ARENA, 4, (int[]){N, C, H * k, W * k});
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
                y = gen_new(g, "gap", GAN_REGION_ARENA, 2, (int[]){N, C});
                op = pg_op(g->b, GAN_OP_GAP);
            } else {
                y = gen_new(g, "flat", GAN_REGION_ARENA, 2, (int[]){N, C * H * W});
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
            int y = gen_new(g, "cat", GAN_REGION_ARENA, 4, (int[]){N, sumc, H, W});
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
        int w = gen_param(g, "dw_", 2, (int[]){M, K}, rr(g, 0, 4) == 0);
        int b = rr(g, 0, 1) ? gen_param1(g, "db_", M, 0) : -1;
        int y = gen_new(g, "dense", GAN_REGION_ARENA, 2, (int[]){N, M});
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
        int y = gen_like(g, "act", GAN_REGION_ARENA, x);
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
        int gm = rr(g, 0, 1) ? gen_param1(g, "gamma", C, 0) : -1;
        int bt = rr(g, 0, 1) ? gen_param1(g, "beta", C, 0) : -1;
        int rm = gen_new(g, "rmean", GAN_REGION_STATE, 1, &C);
        int rv = gen_new(g, "rvar", GAN_REGION_STATE, 1, &C);
        g->b->m->tensors[rv].init = GAN_INIT_ONES;
        int y = gen_like(g, "bn", GAN_REGION_ARENA, x);
        int sm = gen_new(g, "smean", GAN_REGION_ARENA, 1, &C);
        int si = gen_new(g, "sinv", GAN_REGION_ARENA, 1, &C);
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
        int y = gen_like(g, "sum", GAN_REGION_ARENA, x);
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
            y = gen_new(g, "tile", GAN_REGION_ARENA, 4, (int[]){N, L, h, w});
            op = pg_op(g->b, GAN_OP_TILE);
        } else {
            y = gen_new(g, "resh", GAN_REGION_ARENA, 4, (int[]){N, L, 1, 1});
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
        int y = gen_new(g, "rdot", GAN_REGION_ARENA, 2, (int[]){N, 1});
        op = pg_op(g->b, GAN_OP_ROWDOT);
        pg_in(op, 0, x);
        pg_in(op, 1, o);
        pg_out(op, 0, y);
        add_val(g, y, ng || g->needs_grad[o]);
        return 1;
    }
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
        op = pg_op(b, kinds[j] + (GAN_OP_LOSS_HINGE_REAL_BWD - GAN_OP_LOSS_HINGE_REAL));
        pg_in(op, 0, ins[j]);
        if (tg[j] >= 0)
            pg_in(op, 1, tg[j]);
        pg_out(op, 0, da);
        op->f[0] = wts[j];
        op->f[1] = kinds[j] == GAN_OP_LOSS_MEAN ? -1.0f : 1.0f;
    }
    for (int k = fwd_end - 1; k >= g->fwd_begin; k--)
        gen_bwd_op(g, b->m->programs[b->prog].ops[k]);
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
