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

/* The loss terms of one program, kept for its backward. */
typedef struct {
    int terms[4], ins[4], tgs[4], kinds[4], n;
} seed_losses;

static void s_loss(gen *g, int type, int a, int target, float f1, seed_losses *ls)
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
    ls->terms[ls->n] = t;
    ls->ins[ls->n] = a;
    ls->tgs[ls->n] = target;
    ls->kinds[ls->n] = type;
    ls->n++;
}

static void s_backward(gen *g, int fwd_begin, int fwd_end, const seed_losses *ls)
{
    pg_builder *b = g->b;
    for (int j = 0; j < ls->n; j++) {
        int da = gen_grad(g, ls->ins[j]);
        gen_loss_bwd(g, ls->kinds[j], ls->ins[j], ls->tgs[j], 1.0f, da);
    }
    for (int k = fwd_end - 1; k >= fwd_begin; k--)
        gen_bwd_op(g, b->m->programs[b->prog].ops[k]);
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

/* The seed model's persistent tensors. */
typedef struct {
    seed_layer G[6], D[7];
    /* by network (0 G, 1 D): parameter and gradient aggregates, Adam's m, v and step */
    int params[2], grads[2], adam_m[2], adam_v[2], adam_t[2];
} seed_nets;

static void seed_hyper(gan_model *m)
{
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
}

static void seed_g_params(gen *g, seed_layer *G)
{
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
}

static void seed_d_params(gen *g, seed_layer *D)
{
    int cin = 3;
    for (int i = 0; i < 5; i++) {
        D[i].w = gen_param(g, "D.conv.w", 4, (int[]){seed_df[i], cin, 3, 3}, 0);
        D[i].b = gen_param1(g, "D.conv.b", seed_df[i], 0);
        cin = seed_df[i];
    }
    D[5].w = gen_param(g, "D.adv.w", 2, (int[]){1, 122}, 0);
    D[5].b = gen_param1(g, "D.adv.b", 1, 0);
    D[6].w = gen_param(g, "D.cls.w", 2, (int[]){8, 122}, 0);
    D[6].b = gen_param1(g, "D.cls.b", 8, 0);
}

/* Everything persistent: parameters, running stats, spectral-norm u, aggregates, Adam. */
static void seed_tensors(gen *g, seed_nets *s)
{
    gan_model *m = g->b->m;
    seed_layer *G = s->G, *D = s->D;
    memset(G, -1, sizeof s->G);
    memset(D, -1, sizeof s->D);
    /* G's parameters then D's, each contiguous: their aggregates span them */
    int g_first = m->n_tensors;
    seed_g_params(g, G);
    int g_last = m->n_tensors - 1, d_first = m->n_tensors;
    seed_d_params(g, D);
    int d_last = m->n_tensors - 1;
    for (int i = 0; i < 5; i++) {
        int c = T(g, G[i].gamma)->shape[0];
        G[i].rm = gen_new(g, "G.bn.rmean", GAN_REGION_STATE, 1, &c);
        G[i].rv = gen_new(g, "G.bn.rvar", GAN_REGION_STATE, 1, &c);
    }
    for (int i = 1; i < 6; i++)
        G[i].u = gen_new(g, "G.conv.u", GAN_REGION_STATE, 1, &T(g, G[i].w)->shape[0]);
    for (int i = 0; i < 5; i++)
        D[i].u = gen_new(g, "D.conv.u", GAN_REGION_STATE, 1, &T(g, D[i].w)->shape[0]);
    pg_builder *b = g->b;
    s->params[0] = pg_aggregate(b, "G.params", GAN_REGION_PARAM, g_first, g_last);
    s->params[1] = pg_aggregate(b, "D.params", GAN_REGION_PARAM, d_first, d_last);
    s->grads[0] = pg_aggregate(b, "G.grads", GAN_REGION_GRAD, g->pgrad[G[0].w], g->pgrad[G[5].b]);
    s->grads[1] = pg_aggregate(b, "D.grads", GAN_REGION_GRAD, g->pgrad[D[0].w], g->pgrad[D[6].b]);
    static const char *const adam_names[2][3] = {{"G.adam_m", "G.adam_v", "G.adam_t"},
                                                 {"D.adam_m", "D.adam_v", "D.adam_t"}};
    for (int n = 0; n < 2; n++) {
        int numel = (int)T(g, s->params[n])->numel, one = 1;
        s->adam_m[n] = gen_new(g, adam_names[n][0], GAN_REGION_STATE, 1, &numel);
        s->adam_v[n] = gen_new(g, adam_names[n][1], GAN_REGION_STATE, 1, &numel);
        s->adam_t[n] = gen_new(g, adam_names[n][2], GAN_REGION_STATE, 1, &one);
    }
    m->region_floats[GAN_REGION_GRAD] = m->region_floats[GAN_REGION_PARAM];
    for (int t = 0; t < m->n_tensors; t++)
        if (m->tensors[t].region != GAN_REGION_PARAM)
            g->needs_grad[t] = 0;
}

/* The labels and latent inputs of every program (after d_step's images). */
static void seed_inputs(gen *g, int *y, int *z)
{
    *y = gen_new(g, "y", GAN_REGION_ARENA, 2, (int[]){g->N, 8});
    *z = gen_new(g, "z", GAN_REGION_ARENA, 2, (int[]){g->N, 100});
    pg_input(g->b, *y, GAN_ROLE_LABELS);
    pg_input(g->b, *z, GAN_ROLE_LATENT);
}

/* Each program starts with no gradient tensors. */
static void seed_forget_grads(gen *g)
{
    for (int t = 0; t < g->b->m->n_tensors && t < GEN_MAXT; t++)
        g->grad[t] = -1;
}

/* A training program, d_step (D learns) or g_step (G learns), while it is built. */
typedef struct {
    int net;          /* the network that learns: 1 D, 0 G */
    int x, y, z;      /* inputs; x (real images) only in d_step, else -1 */
    int fake;         /* G(z, y) */
    int fwd_begin;    /* the first forward op */
    seed_losses ls;
} seed_step;

/* The inputs, the learning network's zeroed gradients (the other's are off), the fake images
 * and D's normalised weights (power iteration only when D learns). */
static void seed_step_begin(gen *g, seed_nets *s, int net, int fused, seed_step *p)
{
    pg_builder *b = g->b;
    memset(p, 0, sizeof *p);
    p->net = net;
    seed_forget_grads(g);
    pg_program(b, net ? "d_step" : "g_step", net);
    p->x = -1;
    if (net) {
        p->x = gen_new(g, "x", GAN_REGION_ARENA, 4, (int[]){g->N, 3, 64, 64});
        pg_input(b, p->x, GAN_ROLE_IMAGE);
    }
    seed_inputs(g, &p->y, &p->z);
    s_set_grads(g, s->G, 6, !net);
    s_set_grads(g, s->D, 7, net);
    pg_out(pg_op(b, GAN_OP_ZERO), 0, s->grads[net]);
    p->fwd_begin = b->m->programs[b->prog].n_ops;
    p->fake = s_gen(g, s->G, p->z, p->y, fused, 1);
    s_sn(g, s->D, 5, net);
}

/* The total of the loss terms (the program's outputs, total first), the backward of the
 * terms and the forward ops, and the learning network's Adam step. */
static void seed_step_end(gen *g, seed_nets *s, const seed_step *p)
{
    pg_builder *b = g->b;
    int one = 1;
    int total = gen_new(g, "total", GAN_REGION_ARENA, 1, &one);
    gan_op *op = pg_op(b, GAN_OP_LOSS_SUM);
    for (int j = 0; j < p->ls.n; j++) {
        pg_in(op, j, p->ls.terms[j]);
        op->f[j] = 1.0f;
    }
    pg_out(op, 0, total);
    int fwd_end = b->m->programs[b->prog].n_ops;
    pg_output(b, total);
    for (int j = 0; j < p->ls.n; j++)
        pg_output(b, p->ls.terms[j]);
    s_backward(g, p->fwd_begin, fwd_end, &p->ls);
    int n = p->net;
    gen_adam(g, s->params[n], s->grads[n], s->adam_m[n], s->adam_v[n], s->adam_t[n]);
}

/* d_step: G forward without gradients, D on real and fake, D's gradients. */
static void seed_d_step(gen *g, seed_nets *s, int fused)
{
    seed_step p;
    seed_step_begin(g, s, 1, fused, &p);
    int cls;
    int adv_r = s_disc(g, s->D, p.x, fused, &cls);
    s_loss(g, GAN_OP_LOSS_HINGE_REAL, adv_r, -1, 0, &p.ls);
    s_loss(g, GAN_OP_LOSS_BCE_LOGITS, cls, p.y, 0, &p.ls);
    int adv_f = s_disc(g, s->D, p.fake, fused, &cls);
    s_loss(g, GAN_OP_LOSS_HINGE_FAKE, adv_f, -1, 0, &p.ls);
    seed_step_end(g, s, &p);
}

/* g_step: G forward with gradients, D frozen (no power iteration), back into G. */
static void seed_g_step(gen *g, seed_nets *s, int fused)
{
    seed_step p;
    seed_step_begin(g, s, 0, fused, &p);
    int cls;
    int adv_f = s_disc(g, s->D, p.fake, fused, &cls);
    s_loss(g, GAN_OP_LOSS_MEAN, adv_f, -1, -1.0f, &p.ls);
    s_loss(g, GAN_OP_LOSS_BCE_LOGITS, cls, p.y, 0, &p.ls);
    seed_step_end(g, s, &p);
}

/* sample: G forward with running statistics. */
static void seed_sample(gen *g, seed_nets *s, int fused)
{
    seed_forget_grads(g);
    pg_program(g->b, "sample", -1);
    int y, z;
    seed_inputs(g, &y, &z);
    s_set_grads(g, s->G, 6, 0);
    pg_output(g->b, s_gen(g, s->G, z, y, fused, 0));
}

static void seed_networks(gan_model *m, const seed_nets *s)
{
    m->n_networks = 2;
    m->networks = pg_xrealloc(NULL, 2 * sizeof *m->networks);
    memset(m->networks, 0, 2 * sizeof *m->networks);
    for (int i = 0; i < 2; i++) {
        gan_network *n = &m->networks[i];
        snprintf(n->name, GAN_NAME_MAX, "%s", i ? "D" : "G");
        n->params = s->params[i];
        n->grads = s->grads[i];
        n->role = i ? GAN_NET_DISCRIMINATOR : GAN_NET_GENERATOR;
        n->ema = -1;
        n->lr = i ? 2e-4f : 5e-5f;
        n->beta2 = 0.999f;
        n->eps = 1e-7f;
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
    seed_hyper(b.m);
    seed_nets s;
    seed_tensors(g, &s);
    seed_d_step(g, &s, fused);
    seed_g_step(g, &s, fused);
    seed_sample(g, &s, fused);
    seed_networks(b.m, &s);
    free(g);
    return pg_finish(&b);
}
