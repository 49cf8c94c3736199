/* The model shaped like the seed model (plan_gen_seed_model in plan_gen.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/util/plan_gen_core.h"
#include "format/model_opinfo.h"

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
    int y = gen_new(g, "conv", GAN_REGION_ARENA, 4, (int[]){n, oc, oh, ow});
    int need = c * k * k * oh * ow;
    int ws = gen_new(g, "ws", GAN_REGION_ARENA, 1, &need);
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
    int y = gen_like(g, "act", GAN_REGION_ARENA, x);
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
    int y = gen_like(g, "bn", GAN_REGION_ARENA, x);
    int sm = train ? gen_new(g, "smean", GAN_REGION_ARENA, 1, &c) : -1;
    int si = train ? gen_new(g, "sinv", GAN_REGION_ARENA, 1, &c) : -1;
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
    int y = gen_new(g, "dense", GAN_REGION_ARENA, 2, (int[]){n, m});
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
    int y = gen_new(g, gan_op_name(type), GAN_REGION_ARENA, ndim, shape);
    gan_op *op = pg_op(g->b, type);
    pg_in(op, 0, x);
    pg_out(op, 0, y);
    op->i[1] = k;
    g->needs_grad[y] = (int8_t)needs(g, x);
    return y;
}

static void s_sn(gen *g, seed_layer *l, int n, int training)
{
    for (int i = 0; i < n; i++)
        l[i].wsn = l[i].u < 0 ? -1 : gen_spectral_norm(g, l[i].w, l[i].u, training);
}

static const int seed_df[5] = {50, 62, 78, 97, 122};
static const int seed_gf[4] = {97, 78, 62, 50};

/* G forward: returns the image; bn_train selects batch statistics. */
static int s_gen(gen *g, seed_layer *G, int z, int y, int fused, int bn_train)
{
    int n = g->N;
    int zy = gen_new(g, "zy", GAN_REGION_ARENA, 2, (int[]){n, 108});
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
    int t = gen_new(g, "loss", GAN_REGION_ARENA, 1, &one);
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
        int da = gen_grad(g, ins[j]);
        gan_op *op = pg_op(b, kinds[j] + (GAN_OP_LOSS_HINGE_REAL_BWD - GAN_OP_LOSS_HINGE_REAL));
        pg_in(op, 0, ins[j]);
        if (tgs[j] >= 0)
            pg_in(op, 1, tgs[j]);
        pg_out(op, 0, da);
        op->f[0] = 1.0f;
        op->f[1] = kinds[j] == GAN_OP_LOSS_MEAN ? -1.0f : 1.0f;
    }
    for (int k = fwd_end - 1; k >= fwd_begin; k--)
        gen_bwd_op(g, b->m->programs[b->prog].ops[k]);
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
    m->hyper.label_names = pg_xrealloc(NULL, 8 * GAN_NAME_MAX);
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
    G[0].w = gen_param(g, "G.dense.w", 2, (int[]){1952, 108}, 0);
    G[0].b = gen_param1(g, "G.dense.b", 1952, 0);
    G[0].gamma = gen_param1(g, "G.bn0.gamma", 122, 0);
    G[0].beta = gen_param1(g, "G.bn0.beta", 122, 0);
    int cin = 122;
    for (int i = 0; i < 4; i++) {
        G[1 + i].w = gen_param(g, "G.conv.w", 4, (int[]){seed_gf[i], cin, 3, 3}, 0);
        G[1 + i].b = gen_param1(g, "G.conv.b", seed_gf[i], 0);
        G[1 + i].gamma = gen_param1(g, "G.bn.gamma", seed_gf[i], 0);
        G[1 + i].beta = gen_param1(g, "G.bn.beta", seed_gf[i], 0);
        cin = seed_gf[i];
    }
    G[5].w = gen_param(g, "G.out.w", 4, (int[]){3, 50, 4, 4}, 0);
    G[5].b = gen_param1(g, "G.out.b", 3, 0);
    int g_last = m->n_tensors - 1;
    int d_first = m->n_tensors;
    cin = 3;
    for (int i = 0; i < 5; i++) {
        D[i].w = gen_param(g, "D.conv.w", 4, (int[]){seed_df[i], cin, 3, 3}, 0);
        D[i].b = gen_param1(g, "D.conv.b", seed_df[i], 0);
        cin = seed_df[i];
    }
    D[5].w = gen_param(g, "D.adv.w", 2, (int[]){1, 122}, 0);
    D[5].b = gen_param1(g, "D.adv.b", 1, 0);
    D[6].w = gen_param(g, "D.cls.w", 2, (int[]){8, 122}, 0);
    D[6].b = gen_param1(g, "D.cls.b", 8, 0);
    int d_last = m->n_tensors - 1;
    /* state: running stats, spectral-norm u, Adam */
    for (int i = 0; i < 5; i++) {
        int c = T(g, G[i].gamma)->shape[0];
        G[i].rm = gen_new(g, "G.bn.rmean", GAN_REGION_STATE, 1, &c);
        G[i].rv = gen_new(g, "G.bn.rvar", GAN_REGION_STATE, 1, &c);
    }
    for (int i = 1; i < 6; i++)
        G[i].u = gen_new(g, "G.conv.u", GAN_REGION_STATE, 1, &T(g, G[i].w)->shape[0]);
    for (int i = 0; i < 5; i++)
        D[i].u = gen_new(g, "D.conv.u", GAN_REGION_STATE, 1, &T(g, D[i].w)->shape[0]);
    int gp = pg_aggregate(&b, "G.params", GAN_REGION_PARAM, g_first, g_last);
    int dp = pg_aggregate(&b, "D.params", GAN_REGION_PARAM, d_first, d_last);
    int gg = pg_aggregate(&b, "G.grads", GAN_REGION_GRAD, g->pgrad[G[0].w], g->pgrad[G[5].b]);
    int dg = pg_aggregate(&b, "D.grads", GAN_REGION_GRAD, g->pgrad[D[0].w], g->pgrad[D[6].b]);
    int ng = (int)T(g, gp)->numel, nd = (int)T(g, dp)->numel, one = 1;
    int gm = gen_new(g, "G.adam_m", GAN_REGION_STATE, 1, &ng);
    int gv = gen_new(g, "G.adam_v", GAN_REGION_STATE, 1, &ng);
    int gt = gen_new(g, "G.adam_t", GAN_REGION_STATE, 1, &one);
    int dm = gen_new(g, "D.adam_m", GAN_REGION_STATE, 1, &nd);
    int dv = gen_new(g, "D.adam_v", GAN_REGION_STATE, 1, &nd);
    int dt = gen_new(g, "D.adam_t", GAN_REGION_STATE, 1, &one);
    m->region_floats[GAN_REGION_GRAD] = m->region_floats[GAN_REGION_PARAM];
    for (int t = 0; t < m->n_tensors; t++)
        if (m->tensors[t].region != GAN_REGION_PARAM)
            g->needs_grad[t] = 0;

    int terms[4], ins[4], tgs[4], kinds[4], nterms, cls, one_t;
    /* d_step: G forward without gradients, D on real and fake, D's gradients */
    pg_program(&b, "d_step", 1);
    int x = gen_new(g, "x", GAN_REGION_ARENA, 4, (int[]){batch, 3, 64, 64});
    int y = gen_new(g, "y", GAN_REGION_ARENA, 2, (int[]){batch, 8});
    int z = gen_new(g, "z", GAN_REGION_ARENA, 2, (int[]){batch, 100});
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
    int total = gen_new(g, "total", GAN_REGION_ARENA, 1, &one_t);
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
    y = gen_new(g, "y", GAN_REGION_ARENA, 2, (int[]){batch, 8});
    z = gen_new(g, "z", GAN_REGION_ARENA, 2, (int[]){batch, 100});
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
    total = gen_new(g, "total", GAN_REGION_ARENA, 1, &one_t);
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
    y = gen_new(g, "y", GAN_REGION_ARENA, 2, (int[]){batch, 8});
    z = gen_new(g, "z", GAN_REGION_ARENA, 2, (int[]){batch, 100});
    pg_input(&b, y, GAN_ROLE_LABELS);
    pg_input(&b, z, GAN_ROLE_LATENT);
    s_set_grads(g, G, 6, 0);
    pg_output(&b, s_gen(g, G, z, y, fused, 0));

    m->n_networks = 2;
    m->networks = pg_xrealloc(NULL, 2 * sizeof *m->networks);
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
