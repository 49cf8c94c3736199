#include "tests/util/md_fixtures.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t s)
{
    void *p = calloc(n ? n : 1, s);
    if (!p) {
        fprintf(stderr, "md_fixtures: out of memory\n");
        abort();
    }
    return p;
}

md_model *mdfx_new(int image_c, int image_h, int image_w, int n_labels, int label_kind,
                   int latent, int batch)
{
    md_model *m = xcalloc(1, sizeof *m);
    gan_hyper *h = &m->hyper;
    h->image_c = image_c;
    h->image_h = image_h;
    h->image_w = image_w;
    h->range_lo = -1;
    h->range_hi = 1;
    h->n_labels = n_labels;
    h->label_kind = n_labels ? label_kind : GAN_LABELS_NONE;
    if (n_labels) {
        h->label_names = xcalloc((size_t)n_labels, GAN_NAME_MAX);
        for (int i = 0; i < n_labels; i++)
            snprintf(h->label_names[i], GAN_NAME_MAX, "label%d", i);
    }
    h->latent_size = latent;
    h->latent_dist = GAN_LATENT_NORMAL;
    h->batch = batch;
    h->d_steps = 1;
    h->epochs = 1;
    m->networks = xcalloc(4, sizeof *m->networks);
    m->objectives = xcalloc(4, sizeof *m->objectives);
    return m;
}

int mdfx_net(md_model *m, const char *name, int role)
{
    md_network *n = &m->networks[m->n_networks];
    snprintf(n->name, sizeof n->name, "%s", name);
    n->role = role;
    n->nodes = xcalloc(64, sizeof *n->nodes);
    return m->n_networks++;
}

static int add_node(md_model *m, int net, int kind, const char *prefix, int n_in, int a, int b)
{
    md_network *n = &m->networks[net];
    if (n->n_nodes >= 64)
        abort();
    int k = n->n_nodes++;
    md_node *nd = &n->nodes[k];
    memset(nd, 0, sizeof *nd);
    nd->kind = kind;
    /* "conv3", "relu2": numbered per kind, activations per activation name (as the front
     * end names them) */
    int same = 0;
    size_t pl = strlen(prefix);
    for (int j = 0; j < k; j++)
        same += n->nodes[j].kind == kind && strncmp(n->nodes[j].name, prefix, pl) == 0 &&
                n->nodes[j].name[pl] >= '0' && n->nodes[j].name[pl] <= '9';
    snprintf(nd->name, sizeof nd->name, "%s%d", prefix, same + 1);
    nd->n_in = n_in;
    nd->in[0] = a;
    nd->in[1] = b;
    nd->line = 100 + k;
    if (n_in > 0) {
        const md_node *x = &n->nodes[a];
        nd->ndim = x->ndim;
        memcpy(nd->shape, x->shape, sizeof nd->shape);
    }
    return k;
}

static md_node *node(md_model *m, int net, int k) { return &m->networks[net].nodes[k]; }

int mdfx_input(md_model *m, int net, const char *name, int kind, int ndim, int c, int h, int w)
{
    md_network *n = &m->networks[net];
    int k = add_node(m, net, MD_INPUT, "in", 0, 0, 0);
    md_node *nd = node(m, net, k);
    snprintf(nd->name, sizeof nd->name, "%s", name);
    nd->ndim = ndim;
    nd->shape[0] = c;
    nd->shape[1] = h;
    nd->shape[2] = w;
    md_formal *f = &n->inputs[n->n_inputs++];
    snprintf(f->name, sizeof f->name, "%s", name);
    f->kind = kind;
    f->node = k;
    return k;
}

int mdfx_dense(md_model *m, int net, int in, int units, int sn)
{
    int k = add_node(m, net, MD_DENSE, "dense", 1, in, 0);
    md_node *nd = node(m, net, k);
    nd->ndim = 1;
    nd->shape[0] = units;
    nd->shape[1] = nd->shape[2] = 0;
    nd->units = units;
    nd->bias = 1;
    nd->spectral_norm = sn;
    nd->init = GAN_INIT_GLOROT_UNIFORM;
    return k;
}

static void same_pad(int in, int k, int s, int *out, int *pt, int *pb)
{
    *out = (in + s - 1) / s;
    int total = (*out - 1) * s + k - in;
    if (total < 0)
        total = 0;
    *pt = total / 2;
    *pb = total - *pt;
}

int mdfx_conv(md_model *m, int net, int in, int filters, int k, int stride, int pad, int sn)
{
    int n = add_node(m, net, MD_CONV, "conv", 1, in, 0);
    md_node *nd = node(m, net, n);
    const md_node *x = node(m, net, in);
    int oh, ow;
    if (pad < 0) {
        same_pad(x->shape[1], k, stride, &oh, &nd->pad_t, &nd->pad_b);
        same_pad(x->shape[2], k, stride, &ow, &nd->pad_l, &nd->pad_r);
    } else {
        nd->pad_t = nd->pad_b = nd->pad_l = nd->pad_r = pad;
        oh = (x->shape[1] + 2 * pad - k) / stride + 1;
        ow = (x->shape[2] + 2 * pad - k) / stride + 1;
    }
    nd->ndim = 3;
    nd->shape[0] = filters;
    nd->shape[1] = oh;
    nd->shape[2] = ow;
    nd->units = filters;
    nd->kh = nd->kw = k;
    nd->stride = stride;
    nd->bias = 1;
    nd->spectral_norm = sn;
    nd->init = GAN_INIT_ORTHOGONAL;
    return n;
}

int mdfx_conv_t(md_model *m, int net, int in, int filters, int k, int stride, int pad)
{
    int n = add_node(m, net, MD_CONV_T, "convt", 1, in, 0);
    md_node *nd = node(m, net, n);
    const md_node *x = node(m, net, in);
    nd->pad_t = nd->pad_b = nd->pad_l = nd->pad_r = pad;
    nd->ndim = 3;
    nd->shape[0] = filters;
    nd->shape[1] = (x->shape[1] - 1) * stride + k - 2 * pad;
    nd->shape[2] = (x->shape[2] - 1) * stride + k - 2 * pad;
    nd->units = filters;
    nd->kh = nd->kw = k;
    nd->stride = stride;
    nd->bias = 1;
    nd->init = GAN_INIT_NORMAL;
    nd->init_arg = 0.02f;
    return n;
}

int mdfx_upsample(md_model *m, int net, int in, int factor)
{
    int n = add_node(m, net, MD_UPSAMPLE, "up", 1, in, 0);
    md_node *nd = node(m, net, n);
    nd->factor = factor;
    nd->shape[1] *= factor;
    nd->shape[2] *= factor;
    return n;
}

int mdfx_bn(md_model *m, int net, int in, float momentum)
{
    int n = add_node(m, net, MD_BATCHNORM, "bn", 1, in, 0);
    md_node *nd = node(m, net, n);
    nd->momentum = momentum;
    nd->eps = 1e-3f;
    nd->affine = 1;
    return n;
}

int mdfx_act(md_model *m, int net, int in, int act, float alpha)
{
    static const char *const names[] = {"none", "relu", "lrelu", "tanh", "sigmoid"};
    int n = add_node(m, net, MD_ACT, names[act], 1, in, 0);
    node(m, net, n)->act = act;
    node(m, net, n)->alpha = alpha;
    return n;
}

int mdfx_concat(md_model *m, int net, int a, int b)
{
    int n = add_node(m, net, MD_CONCAT, "concat", 2, a, b);
    node(m, net, n)->shape[0] += node(m, net, b)->shape[0];
    return n;
}

int mdfx_tile(md_model *m, int net, int in, int h, int w)
{
    int n = add_node(m, net, MD_TILE, "tile", 1, in, 0);
    md_node *nd = node(m, net, n);
    nd->ndim = 3;
    nd->shape[1] = h;
    nd->shape[2] = w;
    return n;
}

int mdfx_reshape(md_model *m, int net, int in, int ndim, int c, int h, int w)
{
    int n = add_node(m, net, MD_RESHAPE, "reshape", 1, in, 0);
    md_node *nd = node(m, net, n);
    nd->ndim = ndim;
    nd->shape[0] = c;
    nd->shape[1] = ndim == 3 ? h : 0;
    nd->shape[2] = ndim == 3 ? w : 0;
    return n;
}

int mdfx_gap(md_model *m, int net, int in)
{
    int n = add_node(m, net, MD_GAP, "gap", 1, in, 0);
    md_node *nd = node(m, net, n);
    nd->ndim = 1;
    nd->shape[1] = nd->shape[2] = 0;
    return n;
}

int mdfx_add(md_model *m, int net, int a, int b)
{
    return add_node(m, net, MD_ADD, "add", 2, a, b);
}

int mdfx_project(md_model *m, int net, int h, int y)
{
    int n = add_node(m, net, MD_PROJECT, "proj", 2, h, y);
    md_node *nd = node(m, net, n);
    nd->ndim = 1;
    nd->shape[0] = 1;
    nd->shape[1] = nd->shape[2] = 0;
    nd->init = GAN_INIT_GLOROT_UNIFORM;
    return n;
}

void mdfx_head(md_model *m, int net, const char *name, int node_idx)
{
    md_network *n = &m->networks[net];
    md_head *h = &n->heads[n->n_heads++];
    snprintf(h->name, sizeof h->name, "%s", name);
    h->node = node_idx;
}

md_expr *mdfx_ex(int kind)
{
    md_expr *e = xcalloc(1, sizeof *e);
    e->kind = kind;
    return e;
}

md_expr *mdfx_call(int net, int head, int n_args, ...)
{
    md_expr *e = mdfx_ex(MD_EX_CALL);
    e->network = net;
    e->head = head;
    e->n_args = n_args;
    va_list ap;
    va_start(ap, n_args);
    for (int i = 0; i < n_args; i++)
        e->args[i] = va_arg(ap, md_expr *);
    va_end(ap);
    return e;
}

int mdfx_objective(md_model *m, int net, float lr, float beta1, float beta2, float ema)
{
    md_objective *o = &m->objectives[m->n_objectives];
    o->network = net;
    o->terms = xcalloc(8, sizeof *o->terms);
    o->lr = lr;
    o->beta1 = beta1;
    o->beta2 = beta2;
    o->eps = 1e-7f;
    o->ema_decay = ema;
    return m->n_objectives++;
}

void mdfx_term(md_model *m, int obj, int kind, float weight, md_expr *arg, md_expr *target,
               float const_target, float scale)
{
    md_objective *o = &m->objectives[obj];
    md_loss_term *t = &o->terms[o->n_terms++];
    t->kind = kind;
    t->weight = weight;
    t->arg = arg;
    t->target = target;
    t->const_target = const_target;
    t->scale = scale;
}

static void ex_free(md_expr *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->n_args; i++)
        ex_free(e->args[i]);
    free(e);
}

void mdfx_free(md_model *m)
{
    if (!m)
        return;
    for (int n = 0; n < m->n_networks; n++)
        free(m->networks[n].nodes);
    for (int o = 0; o < m->n_objectives; o++) {
        for (int t = 0; t < m->objectives[o].n_terms; t++) {
            ex_free(m->objectives[o].terms[t].arg);
            ex_free(m->objectives[o].terms[t].target);
        }
        free(m->objectives[o].terms);
    }
    free(m->networks);
    free(m->objectives);
    free(m->hyper.label_names);
    free(m);
}

/* ------------------------------------------------------------------ the models */

#define X() mdfx_ex(MD_EX_IMAGE)
#define Y() mdfx_ex(MD_EX_LABELS)
#define Z() mdfx_ex(MD_EX_LATENT)

md_model *mdfx_making_faces(int tiny)
{
    static const char *const attrs[8] = {"Male", "Smiling", "Eyeglasses", "Blond_Hair",
                                         "Black_Hair", "Young", "Wearing_Hat", "No_Beard"};
    int L = tiny ? 3 : 8, Zs = tiny ? 6 : 100, S = tiny ? 8 : 64;
    md_model *m = mdfx_new(3, S, S, L, GAN_LABELS_MULTI, Zs, tiny ? 2 : 100);
    if (!tiny)
        for (int i = 0; i < 8; i++)
            snprintf(m->hyper.label_names[i], GAN_NAME_MAX, "%s", attrs[i]);
    m->hyper.d_steps = 2;
    m->hyper.epochs = 10;
    static const int gf_full[4] = {97, 78, 62, 50}, gf_tiny[2] = {4, 3};
    static const int df_full[5] = {50, 62, 78, 97, 122}, df_tiny[2] = {3, 4};
    const int *gf = tiny ? gf_tiny : gf_full, *df = tiny ? df_tiny : df_full;
    int ng = tiny ? 2 : 4, nd = tiny ? 2 : 5, c0 = tiny ? 5 : 122;

    int G = mdfx_net(m, "G", GAN_NET_GENERATOR);
    int z = mdfx_input(m, G, "z", MD_IN_LATENT, 1, Zs, 0, 0);
    int y = mdfx_input(m, G, "y", MD_IN_LABELS, 1, L, 0, 0);
    int h = mdfx_concat(m, G, z, y);
    h = mdfx_dense(m, G, h, 4 * 4 * c0 / (tiny ? 4 : 1), 0); /* tiny: 2x2 start */
    h = mdfx_act(m, G, h, GAN_ACT_RELU, 0);
    h = tiny ? mdfx_reshape(m, G, h, 3, c0, 2, 2) : mdfx_reshape(m, G, h, 3, c0, 4, 4);
    h = mdfx_bn(m, G, h, 0.8f);
    for (int i = 0; i < ng; i++) {
        h = mdfx_upsample(m, G, h, 2);
        h = mdfx_conv(m, G, h, gf[i], 3, 1, -1, 1);
        h = mdfx_bn(m, G, h, 0.8f);
        h = mdfx_act(m, G, h, GAN_ACT_RELU, 0);
    }
    h = mdfx_conv(m, G, h, 3, 4, 1, -1, 1);
    h = mdfx_act(m, G, h, GAN_ACT_TANH, 0);
    mdfx_head(m, G, "image", h);

    int D = mdfx_net(m, "D", GAN_NET_DISCRIMINATOR);
    h = mdfx_input(m, D, "x", MD_IN_IMAGE, 3, 3, S, S);
    for (int i = 0; i < nd; i++) {
        h = mdfx_conv(m, D, h, df[i], 3, 2, -1, 1);
        h = mdfx_act(m, D, h, GAN_ACT_LEAKY_RELU, 0.1f);
    }
    h = mdfx_gap(m, D, h);
    mdfx_head(m, D, "adv", mdfx_dense(m, D, h, 1, 0));
    mdfx_head(m, D, "cls", mdfx_dense(m, D, h, L, 0));

    int od = mdfx_objective(m, D, 2e-4f, 0.0f, 0.999f, 0);
    mdfx_term(m, od, MD_LOSS_HINGE_REAL, 1, mdfx_call(D, 0, 1, X()), NULL, 0, 0);
    mdfx_term(m, od, MD_LOSS_HINGE_FAKE, 1, mdfx_call(D, 0, 1, mdfx_call(G, 0, 2, Z(), Y())),
              NULL, 0, 0);
    mdfx_term(m, od, MD_LOSS_BCE, 1, mdfx_call(D, 1, 1, X()), Y(), 0, 0);
    int og = mdfx_objective(m, G, 5e-5f, 0.0f, 0.999f, 0);
    mdfx_term(m, og, MD_LOSS_MEAN, 1, mdfx_call(D, 0, 1, mdfx_call(G, 0, 2, Z(), Y())), NULL,
              0, -1);
    mdfx_term(m, og, MD_LOSS_BCE, 1, mdfx_call(D, 1, 1, mdfx_call(G, 0, 2, Z(), Y())), Y(), 0,
              0);
    return m;
}

md_model *mdfx_dcgan(int tiny)
{
    int S = tiny ? 8 : 32, Zs = tiny ? 5 : 100, c = tiny ? 4 : 128;
    md_model *m = mdfx_new(3, S, S, 0, GAN_LABELS_NONE, Zs, tiny ? 3 : 64);
    int G = mdfx_net(m, "G", GAN_NET_GENERATOR);
    int h = mdfx_input(m, G, "z", MD_IN_LATENT, 1, Zs, 0, 0);
    h = mdfx_dense(m, G, h, c * (S / 4) * (S / 4), 0);
    h = mdfx_reshape(m, G, h, 3, c, S / 4, S / 4);
    h = mdfx_bn(m, G, h, 0.9f);
    h = mdfx_act(m, G, h, GAN_ACT_RELU, 0);
    h = mdfx_conv_t(m, G, h, c / 2, 4, 2, 1);
    h = mdfx_bn(m, G, h, 0.9f);
    h = mdfx_act(m, G, h, GAN_ACT_RELU, 0);
    h = mdfx_conv_t(m, G, h, 3, 4, 2, 1);
    h = mdfx_act(m, G, h, GAN_ACT_TANH, 0);
    mdfx_head(m, G, "image", h);

    int D = mdfx_net(m, "D", GAN_NET_DISCRIMINATOR);
    h = mdfx_input(m, D, "x", MD_IN_IMAGE, 3, 3, S, S);
    h = mdfx_conv(m, D, h, c / 2, 4, 2, 1, 0);
    h = mdfx_act(m, D, h, GAN_ACT_LEAKY_RELU, 0.2f);
    h = mdfx_conv(m, D, h, c, 4, 2, 1, 0);
    h = mdfx_bn(m, D, h, 0.9f);
    h = mdfx_act(m, D, h, GAN_ACT_LEAKY_RELU, 0.2f);
    h = mdfx_reshape(m, D, h, 1, c * (S / 4) * (S / 4), 0, 0);
    mdfx_head(m, D, "out", mdfx_dense(m, D, h, 1, 0));

    int od = mdfx_objective(m, D, 2e-4f, 0.5f, 0.999f, 0);
    mdfx_term(m, od, MD_LOSS_BCE, 1, mdfx_call(D, 0, 1, X()), NULL, 1, 0);
    mdfx_term(m, od, MD_LOSS_BCE, 1, mdfx_call(D, 0, 1, mdfx_call(G, 0, 1, Z())), NULL, 0, 0);
    int og = mdfx_objective(m, G, 2e-4f, 0.5f, 0.999f, 0.999f);
    mdfx_term(m, og, MD_LOSS_BCE, 1, mdfx_call(D, 0, 1, mdfx_call(G, 0, 1, Z())), NULL, 1, 0);
    return m;
}

md_model *mdfx_hinge_sn(int tiny)
{
    int S = tiny ? 4 : 32, Zs = tiny ? 4 : 128, c = tiny ? 3 : 128;
    md_model *m = mdfx_new(3, S, S, 0, GAN_LABELS_NONE, Zs, tiny ? 2 : 64);
    int G = mdfx_net(m, "G", GAN_NET_GENERATOR);
    int h = mdfx_input(m, G, "z", MD_IN_LATENT, 1, Zs, 0, 0);
    h = mdfx_dense(m, G, h, c * (S / 2) * (S / 2), 0);
    h = mdfx_reshape(m, G, h, 3, c, S / 2, S / 2);
    h = mdfx_act(m, G, h, GAN_ACT_RELU, 0);
    h = mdfx_upsample(m, G, h, 2);
    h = mdfx_conv(m, G, h, c, 3, 1, 1, 1);
    h = mdfx_act(m, G, h, GAN_ACT_RELU, 0);
    h = mdfx_conv(m, G, h, 3, 3, 1, 1, 1);
    h = mdfx_act(m, G, h, GAN_ACT_TANH, 0);
    mdfx_head(m, G, "image", h);

    int D = mdfx_net(m, "D", GAN_NET_DISCRIMINATOR);
    h = mdfx_input(m, D, "x", MD_IN_IMAGE, 3, 3, S, S);
    h = mdfx_conv(m, D, h, c, 3, 1, 1, 1);
    h = mdfx_act(m, D, h, GAN_ACT_LEAKY_RELU, 0.1f);
    h = mdfx_conv(m, D, h, c, 4, 2, 1, 1);
    h = mdfx_act(m, D, h, GAN_ACT_LEAKY_RELU, 0.1f);
    h = mdfx_gap(m, D, h);
    mdfx_head(m, D, "out", mdfx_dense(m, D, h, 1, 1));

    int od = mdfx_objective(m, D, 2e-4f, 0.0f, 0.9f, 0);
    mdfx_term(m, od, MD_LOSS_HINGE_REAL, 1, mdfx_call(D, 0, 1, X()), NULL, 0, 0);
    mdfx_term(m, od, MD_LOSS_HINGE_FAKE, 1, mdfx_call(D, 0, 1, mdfx_call(G, 0, 1, Z())), NULL,
              0, 0);
    int og = mdfx_objective(m, G, 2e-4f, 0.0f, 0.9f, 0);
    mdfx_term(m, og, MD_LOSS_MEAN, 1, mdfx_call(D, 0, 1, mdfx_call(G, 0, 1, Z())), NULL, 0, -1);
    return m;
}

md_model *mdfx_class_cond(int tiny)
{
    int S = tiny ? 4 : 32, Zs = tiny ? 4 : 100, K = tiny ? 3 : 10, c = tiny ? 3 : 64;
    md_model *m = mdfx_new(3, S, S, K, GAN_LABELS_CATEGORICAL, Zs, tiny ? 3 : 64);
    int G = mdfx_net(m, "G", GAN_NET_GENERATOR);
    int z = mdfx_input(m, G, "z", MD_IN_LATENT, 1, Zs, 0, 0);
    int y = mdfx_input(m, G, "y", MD_IN_LABELS, 1, K, 0, 0);
    int h = mdfx_concat(m, G, z, y);
    h = mdfx_dense(m, G, h, c * (S / 2) * (S / 2), 0);
    h = mdfx_reshape(m, G, h, 3, c, S / 2, S / 2);
    h = mdfx_bn(m, G, h, 0.8f);
    h = mdfx_act(m, G, h, GAN_ACT_RELU, 0);
    h = mdfx_upsample(m, G, h, 2);
    h = mdfx_conv(m, G, h, 3, 3, 1, -1, 0);
    h = mdfx_act(m, G, h, GAN_ACT_TANH, 0);
    mdfx_head(m, G, "image", h);

    int D = mdfx_net(m, "D", GAN_NET_DISCRIMINATOR);
    h = mdfx_input(m, D, "x", MD_IN_IMAGE, 3, 3, S, S);
    h = mdfx_conv(m, D, h, c, 3, 2, -1, 1);
    h = mdfx_act(m, D, h, GAN_ACT_LEAKY_RELU, 0.2f);
    h = mdfx_gap(m, D, h);
    mdfx_head(m, D, "adv", mdfx_dense(m, D, h, 1, 0));
    mdfx_head(m, D, "cls", mdfx_dense(m, D, h, K, 0));

    int od = mdfx_objective(m, D, 2e-4f, 0.0f, 0.999f, 0);
    mdfx_term(m, od, MD_LOSS_HINGE_REAL, 1, mdfx_call(D, 0, 1, X()), NULL, 0, 0);
    mdfx_term(m, od, MD_LOSS_HINGE_FAKE, 1, mdfx_call(D, 0, 1, mdfx_call(G, 0, 2, Z(), Y())),
              NULL, 0, 0);
    mdfx_term(m, od, MD_LOSS_SOFTMAX_CE, 0.5f, mdfx_call(D, 1, 1, X()), Y(), 0, 0);
    int og = mdfx_objective(m, G, 1e-4f, 0.0f, 0.999f, 0);
    mdfx_term(m, og, MD_LOSS_MEAN, 1, mdfx_call(D, 0, 1, mdfx_call(G, 0, 2, Z(), Y())), NULL,
              0, -1);
    mdfx_term(m, og, MD_LOSS_SOFTMAX_CE, 0.5f,
              mdfx_call(D, 1, 1, mdfx_call(G, 0, 2, Z(), Y())), Y(), 0, 0);
    return m;
}

md_model *mdfx_classifier(int tiny)
{
    int S = tiny ? 6 : 64, L = tiny ? 3 : 8, c = tiny ? 3 : 32;
    md_model *m = mdfx_new(3, S, S, L, GAN_LABELS_MULTI, 0, tiny ? 2 : 32);
    int C = mdfx_net(m, "C", GAN_NET_CLASSIFIER);
    int h = mdfx_input(m, C, "x", MD_IN_IMAGE, 3, 3, S, S);
    h = mdfx_conv(m, C, h, c, 3, 2, -1, 0);
    h = mdfx_bn(m, C, h, 0.9f);
    h = mdfx_act(m, C, h, GAN_ACT_RELU, 0);
    h = mdfx_conv(m, C, h, c, 3, 1, 1, 0);
    h = mdfx_act(m, C, h, GAN_ACT_SIGMOID, 0);
    h = mdfx_gap(m, C, h);
    mdfx_head(m, C, "logits", mdfx_dense(m, C, h, L, 0));
    int oc = mdfx_objective(m, C, 1e-3f, 0.9f, 0.999f, 0);
    mdfx_term(m, oc, MD_LOSS_BCE, 1, mdfx_call(C, 0, 1, X()), Y(), 0, 0);
    return m;
}

md_model *mdfx_projection(int tiny)
{
    int S = tiny ? 4 : 32, Zs = tiny ? 4 : 100, L = tiny ? 2 : 8, c = tiny ? 3 : 64;
    md_model *m = mdfx_new(3, S, S, L, GAN_LABELS_MULTI, Zs, tiny ? 2 : 64);
    int G = mdfx_net(m, "G", GAN_NET_GENERATOR);
    int z = mdfx_input(m, G, "z", MD_IN_LATENT, 1, Zs, 0, 0);
    int y = mdfx_input(m, G, "y", MD_IN_LABELS, 1, L, 0, 0);
    int h = mdfx_dense(m, G, z, c * (S / 2) * (S / 2), 0);
    h = mdfx_reshape(m, G, h, 3, c, S / 2, S / 2);
    h = mdfx_act(m, G, h, GAN_ACT_LEAKY_RELU, 0.2f);
    int ty = mdfx_tile(m, G, y, S / 2, S / 2);
    h = mdfx_concat(m, G, h, ty);
    h = mdfx_conv_t(m, G, h, 3, 4, 2, 1);
    h = mdfx_act(m, G, h, GAN_ACT_TANH, 0);
    mdfx_head(m, G, "image", h);

    int D = mdfx_net(m, "D", GAN_NET_DISCRIMINATOR);
    int x = mdfx_input(m, D, "x", MD_IN_IMAGE, 3, 3, S, S);
    int yd = mdfx_input(m, D, "y", MD_IN_LABELS, 1, L, 0, 0);
    h = mdfx_conv(m, D, x, c, 3, 2, -1, 1);
    h = mdfx_act(m, D, h, GAN_ACT_LEAKY_RELU, 0.1f);
    h = mdfx_gap(m, D, h);
    int lin = mdfx_dense(m, D, h, 1, 1);
    int proj = mdfx_project(m, D, h, yd);
    node(m, D, proj)->spectral_norm = 1;
    int adv = mdfx_add(m, D, lin, proj);
    mdfx_head(m, D, "adv", adv);

    int od = mdfx_objective(m, D, 2e-4f, 0.0f, 0.999f, 0);
    mdfx_term(m, od, MD_LOSS_HINGE_REAL, 1, mdfx_call(D, 0, 2, X(), Y()), NULL, 0, 0);
    mdfx_term(m, od, MD_LOSS_HINGE_FAKE, 1,
              mdfx_call(D, 0, 2, mdfx_call(G, 0, 2, Z(), Y()), Y()), NULL, 0, 0);
    int og = mdfx_objective(m, G, 2e-4f, 0.0f, 0.999f, 0.99f);
    mdfx_term(m, og, MD_LOSS_MEAN, 1, mdfx_call(D, 0, 2, mdfx_call(G, 0, 2, Z(), Y()), Y()),
              NULL, 0, -1);
    return m;
}
