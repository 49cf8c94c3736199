/* ganc --report, front-end part: per network a layer table (name, op, output shape per
 * sample, options, parameters) and totals, each node's facts from its kind (compiler/layers.h).
 * Works on the md_model alone. */
#include "compiler/frontend.h"
#include "compiler/layers.h"
#include "compiler/optimizers.h"

#include <stdio.h>
#include <string.h>

const char *fe_kind_name(int k)
{
    const layer_kind *lk = layer_kind_of(k);
    return lk ? lk->name : "?";
}

void fe_node_params(const md_network *net, int i, long long *tr, long long *nt)
{
    const layer_kind *lk = layer_kind_of(net->nodes[i].kind);
    *tr = *nt = 0;
    if (lk && lk->count)
        lk->count(net, &net->nodes[i], tr, nt);
}

void fe_network_params(const md_network *net, long long *tr, long long *nt)
{
    *tr = *nt = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        long long a, b;
        fe_node_params(net, i, &a, &b);
        *tr += a;
        *nt += b;
    }
}

/* Forward multiply-adds x 2 for one sample (the matrix work; element-wise ops count their
 * element count once). */
double fe_node_flops(const md_network *net, int i)
{
    const md_node *n = &net->nodes[i];
    const layer_kind *lk = layer_kind_of(n->kind);
    return lk && lk->flops ? lk->flops(net, n) : (double)md_node_numel(n);
}

const char *fe_init_name(int k)
{
    switch (k) {
    case GAN_INIT_ORTHOGONAL: return "orthogonal";
    case GAN_INIT_GLOROT_UNIFORM: return "glorot_uniform";
    case GAN_INIT_HE_NORMAL: return "he_normal";
    case GAN_INIT_NORMAL: return "normal";
    case GAN_INIT_UNIFORM: return "uniform";
    case GAN_INIT_ZEROS: return "zeros";
    default: return "?";
    }
}

/* The node's kind's details, then its inputs when they are not just the node before. */
static void details(const md_network *net, const md_node *n, char *b, size_t len)
{
    const layer_kind *lk = layer_kind_of(n->kind);
    b[0] = 0;
    if (lk && lk->details)
        lk->details(net, n, b, len);
    if (n->n_in > 1 || (n->n_in == 1 && n->in[0] != (int)(n - net->nodes) - 1)) {
        size_t l = strlen(b);
        snprintf(b + l, len - l, "%s<- ", l ? " " : "");
        for (int k = 0; k < n->n_in; k++) {
            l = strlen(b);
            snprintf(b + l, len - l, "%s%s", k ? ", " : "", net->nodes[n->in[k]].name);
        }
    }
}

static const char *op_name(const md_node *n)
{
    const layer_kind *lk = layer_kind_of(n->kind);
    return lk && lk->op_name ? lk->op_name(n) : fe_kind_name(n->kind);
}

static void commas(long long v, char *b, size_t len)
{
    char t[32];
    snprintf(t, sizeof t, "%lld", v);
    int n = (int)strlen(t), o = 0;
    for (int i = 0; i < n && o < (int)len - 2; i++) {
        if (i && (n - i) % 3 == 0)
            b[o++] = ',';
        b[o++] = t[i];
    }
    b[o] = 0;
}

void fe_report(const md_model *m, FILE *f)
{
    static const char *const roles[] = {"generator", "discriminator", "classifier"};
    static const char *const inkinds[] = {"image", "labels", "latent", "tensor"};
    long long all_t = 0, all_n = 0;
    const gan_hyper *h = &m->hyper;
    fprintf(f, "data: image %d x %d x %d in [%g, %g]", h->image_c, h->image_h, h->image_w, h->range_lo, h->range_hi);
    if (h->n_labels) {
        fprintf(f, ", %d %s labels [", h->n_labels, h->label_kind == GAN_LABELS_CATEGORICAL ? "one_of" : "multilabel");
        for (int i = 0; i < h->n_labels; i++)
            fprintf(f, "%s%s", i ? ", " : "", h->label_names[i]);
        fprintf(f, "]");
    }
    fprintf(f, "\n");
    if (h->latent_size)
        fprintf(f, "latent: %d ~ %s\n", h->latent_size, h->latent_dist == GAN_LATENT_UNIFORM ? "uniform" : "normal");
    fprintf(f, "train: batch %d, d_steps %d, ", h->batch, h->d_steps);
    if (h->epochs)
        fprintf(f, "epochs %d", h->epochs);
    else
        fprintf(f, "steps %lld", (long long)h->steps);
    fprintf(f, ", sample_every %d, checkpoint_every %d (0 = runtime default)\n", h->sample_every, h->ckpt_every);
    for (int ni = 0; ni < m->n_networks; ni++) {
        const md_network *net = &m->networks[ni];
        fprintf(f, "\n%s %s(", net->role >= 0 && net->role < 3 ? roles[net->role] : "network", net->name);
        for (int i = 0; i < net->n_inputs; i++)
            fprintf(f, "%s%s : %s", i ? ", " : "", net->inputs[i].name, inkinds[net->inputs[i].kind & 3]);
        fprintf(f, ")\n");
        fprintf(f, "  %-12s %-16s %-16s %12s %13s %10s  %s\n", "layer", "op", "output shape", "trainable", "non-trainable",
                "MFLOP", "details");
        fprintf(f, "  %.*s\n", 112, "----------------------------------------------------------------------------------------------------------------");
        long long tt = 0, tn = 0;
        double fl = 0;
        for (int i = 0; i < net->n_nodes; i++) {
            const md_node *n = &net->nodes[i];
            long long a, b;
            fe_node_params(net, i, &a, &b);
            tt += a;
            tn += b;
            char sh[64], d[256], ca[32], cb[32];
            fe_shape_str(n->ndim, n->shape, sh, sizeof sh);
            details(net, n, d, sizeof d);
            commas(a, ca, sizeof ca);
            commas(b, cb, sizeof cb);
            double nf = fe_node_flops(net, i);
            fl += nf;
            fprintf(f, "  %-12s %-16s %-16s %12s %13s %10.3f  %s\n", n->name,
                    op_name(n), sh, ca, cb, nf / 1e6, d);
        }
        for (int i = 0; i < net->n_heads; i++) {
            char sh[64];
            const md_node *n = &net->nodes[net->heads[i].node];
            fprintf(f, "  head %-8s = %s %s\n", net->heads[i].name, n->name, fe_shape_str(n->ndim, n->shape, sh, sizeof sh));
        }
        char ca[32], cb[32];
        commas(tt, ca, sizeof ca);
        commas(tn, cb, sizeof cb);
        fprintf(f, "  %s: %s trainable parameters, %s non-trainable (batch-norm running mean/var, spectral-norm u)\n",
                net->name, ca, cb);
        fprintf(f, "  %s: %.1f MFLOP forward per sample\n", net->name, fl / 1e6);
        all_t += tt;
        all_n += tn;
    }
    for (int i = 0; i < m->n_objectives; i++) {
        const md_objective *o = &m->objectives[i];
        char opt[256];
        md_optim_describe(o, opt, sizeof opt);
        fprintf(f, "\nloss %s: %d term%s; %s", m->networks[o->network].name, o->n_terms,
                o->n_terms == 1 ? "" : "s", opt);
        if (o->ema_decay > 0)
            fprintf(f, "; ema %g", o->ema_decay);
    }
    char ca[32], cb[32];
    commas(all_t, ca, sizeof ca);
    commas(all_n, cb, sizeof cb);
    fprintf(f, "\n\nTotal: %s trainable parameters, %s non-trainable\n", ca, cb);
}
