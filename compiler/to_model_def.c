/* Checked AST (the checker's elaborated networks and objectives) -> md_model, and the
 * md_model destructor. The checker has already done the work; this moves ownership of the
 * node arrays and loss expressions into the md_model and fills gan_hyper. */
#include "compiler/check_internal.h"

#include <stdlib.h>
#include <string.h>

void md_expr_free(md_expr *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->n_args && i < 8; i++)
        md_expr_free(e->args[i]);
    free(e);
}

/* Frees everything the md_model owns and the md_model itself (it comes from calloc in
 * fe_compile, like gan_model_free's gan_model). */
long long md_node_numel(const md_node *n)
{
    return n->ndim == 3 ? (long long)n->shape[0] * n->shape[1] * n->shape[2] : n->shape[0];
}

void md_model_free(md_model *m)
{
    if (!m)
        return;
    free(m->hyper.label_names);
    for (int i = 0; i < m->n_networks; i++)
        free(m->networks[i].nodes);
    free(m->networks);
    for (int i = 0; i < m->n_objectives; i++) {
        md_objective *o = &m->objectives[i];
        for (int t = 0; t < o->n_terms; t++) {
            md_expr_free(o->terms[t].arg);
            md_expr_free(o->terms[t].target);
        }
        free(o->terms);
    }
    free(m->objectives);
    free(m);
}

void ck_free_objectives(ck *c);
void ck_free_objectives(ck *c)
{
    for (int i = 0; i < c->n_obj; i++) {
        md_objective *o = &c->obj[i];
        for (int t = 0; t < o->n_terms; t++) {
            md_expr_free(o->terms[t].arg);
            md_expr_free(o->terms[t].target);
        }
        free(o->terms);
        o->terms = NULL;
        o->n_terms = 0;
    }
    c->n_obj = 0;
}

void to_model_def(ck *c, md_model *m);
void to_model_def(ck *c, md_model *m)
{
    memset(m, 0, sizeof *m);
    gan_hyper *h = &m->hyper;
    *h = c->hyper;
    h->image_c = c->img_c;
    h->image_h = c->img_h;
    h->image_w = c->img_w;
    h->range_lo = c->lo;
    h->range_hi = c->hi;
    h->label_kind = c->n_labels ? c->label_kind : GAN_LABELS_NONE;
    h->n_labels = c->n_labels;
    h->label_names = NULL;
    if (c->n_labels) {
        h->label_names = calloc((size_t)c->n_labels, GAN_NAME_MAX);
        for (int i = 0; h->label_names && i < c->n_labels; i++)
            strncpy(h->label_names[i], c->labels[i], GAN_NAME_MAX - 1);
    }
    int has_gen = 0;
    for (int i = 0; i < c->n_nets; i++)
        has_gen |= c->nets[i].net.role == GAN_NET_GENERATOR;
    h->latent_size = has_gen ? c->latent_size : 0;
    h->latent_dist = c->latent_dist;

    m->networks = calloc(CK_MAX_NETS, sizeof(md_network));
    m->n_networks = c->n_nets;
    for (int i = 0; i < c->n_nets; i++) {
        m->networks[i] = c->nets[i].net;
        c->nets[i].net.nodes = NULL; /* moved */
    }
    m->objectives = calloc(CK_MAX_NETS, sizeof(md_objective));
    m->n_objectives = c->n_obj;
    for (int i = 0; i < c->n_obj; i++) {
        m->objectives[i] = c->obj[i];
        c->obj[i].terms = NULL; /* moved */
        c->obj[i].n_terms = 0;
    }
    c->n_obj = 0;
}
