/* The front end: shipped models and docs examples compile, golden error messages match
 * byte for byte, the seed model's md_model is exactly what design.md says, parameter counts
 * agree with hand arithmetic, and ganc's exit codes. */
#include <check.h>
#include "runtime/data.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler/diag.h"
#include "compiler/frontend.h"
#include "tests/util/fe_util.h"

static char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static md_model *compile_text(const char *src, fe_result *r)
{
    int rc = fe_compile("t.gan", src, strlen(src), r);
    if (rc)
        fprintf(stderr, "%s", r->messages);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(r->model);
    return r->model;
}

static const md_network *net_named(const md_model *m, const char *name)
{
    for (int i = 0; i < m->n_networks; i++)
        if (!strcmp(m->networks[i].name, name))
            return &m->networks[i];
    return NULL;
}

static const md_node *node_named(const md_network *n, const char *name)
{
    for (int i = 0; i < n->n_nodes; i++)
        if (!strcmp(n->nodes[i].name, name))
            return &n->nodes[i];
    return NULL;
}

START_TEST(models_compile)
{
    char *dir = path_join(fe_t_root(), "models");
    char **names;
    int n = fe_t_list(dir, ".gan", &names);
    ck_assert_msg(n >= 7, "expected the 7 shipped models in %s, found %d", dir, n);
    int seen_required = 0;
    static const char *const required[] = {"making_faces.gan", "dcgan64.gan", "hinge_dcgan.gan", "class_cond.gan",
                                           "classifier.gan", "demo.gan", "projection.gan"};
    for (int i = 0; i < n; i++) {
        char *p = path_join(dir, names[i]);
        fe_result r;
        int rc = fe_compile_file(p, &r);
        ck_assert_msg(rc == 0, "%s does not compile:\n%s", p, r.messages);
        ck_assert_msg(r.n_warnings == 0, "%s has warnings:\n%s", p, r.messages);
        ck_assert_ptr_nonnull(r.model);
        for (int k = 0; k < 7; k++)
            seen_required += !strcmp(names[i], required[k]);
        fe_result_free(&r);
        free(p);
    }
    ck_assert_int_eq(seen_required, 7);
    fe_t_list_free(names, n);
    free(dir);
}
END_TEST

START_TEST(docs_examples_compile)
{
    char *p = path_join(fe_t_root(), "docs/language.md");
    size_t len;
    char *doc = fe_t_read(p, &len);
    ck_assert_msg(doc != NULL, "cannot read %s", p);
    int n_ok = 0, n_err = 0;
    const char *s = doc;
    while ((s = strstr(s, "```gan"))) {
        int is_err = !strncmp(s, "```gan-error\n", 13);
        if (!is_err && strncmp(s, "```gan\n", 7)) {
            s += 6;
            continue;
        }
        int line = 1;
        for (const char *q = doc; q < s; q++)
            line += *q == '\n';
        const char *body = strchr(s, '\n') + 1;
        const char *end = strstr(body, "\n```");
        ck_assert_msg(end != NULL, "unterminated ```gan block at docs/language.md:%d", line);
        char name[64];
        snprintf(name, sizeof name, "language.md:%d", line);
        fe_result r;
        int rc = fe_compile(name, body, (size_t)(end + 1 - body), &r);
        if (is_err) {
            ck_assert_msg(rc == 1, "the ```gan-error example at docs/language.md:%d compiles", line);
            ck_assert_msg(fe_t_every_error_located(r.messages, name) > 0, "unlocated error in example at line %d:\n%s",
                          line, r.messages);
            n_err++;
        } else {
            ck_assert_msg(rc == 0 && r.n_warnings == 0, "the example at docs/language.md:%d fails:\n%s", line, r.messages);
            n_ok++;
        }
        fe_result_free(&r);
        s = end + 4;
    }
    ck_assert_msg(n_ok >= 10, "only %d ```gan examples in the docs", n_ok);
    ck_assert_msg(n_err >= 3, "only %d ```gan-error examples in the docs", n_err);
    free(doc);
    free(p);
}
END_TEST

START_TEST(golden_errors)
{
    char *dir = path_join(fe_t_root(), "tests/golden/errors");
    char **names;
    int n = fe_t_list(dir, ".gan", &names);
    ck_assert_msg(n >= 40, "expected at least 40 golden error cases in %s, found %d", dir, n);
    int failures = 0;
    for (int i = 0; i < n; i++) {
        char *gp = path_join(dir, names[i]);
        size_t glen;
        char *src = fe_t_read(gp, &glen);
        ck_assert_ptr_nonnull(src);
        char ename[300];
        snprintf(ename, sizeof ename, "%.*s.expected", (int)(strlen(names[i]) - 4), names[i]);
        char *ep = path_join(dir, ename);
        char *expected = fe_t_read(ep, NULL);
        ck_assert_msg(expected != NULL, "missing %s", ep);
        fe_result r;
        int rc = fe_compile(names[i], src, glen, &r);
        if (strcmp(r.messages, expected)) {
            fprintf(stderr, "golden mismatch for %s\n--- expected\n%s--- got\n%s---\n", names[i], expected, r.messages);
            failures++;
        }
        /* a case either fails with located errors or is a warning-only case */
        if (rc)
            ck_assert_msg(fe_t_every_error_located(r.messages, names[i]) > 0, "%s: unlocated error", names[i]);
        else
            ck_assert_msg(r.n_warnings > 0, "%s: compiles cleanly; it tests nothing", names[i]);
        fe_result_free(&r);
        free(expected);
        free(ep);
        free(src);
        free(gp);
    }
    ck_assert_msg(failures == 0, "%d golden error messages differ", failures);
    fe_t_list_free(names, n);
    free(dir);
}
END_TEST

static md_model *load_seed(fe_result *r)
{
    char *p = path_join(fe_t_root(), "models/making_faces.gan");
    int rc = fe_compile_file(p, r);
    ck_assert_msg(rc == 0, "%s", r->messages);
    free(p);
    return r->model;
}

/* Parameter counts of the seed model from the layer formulas, written out by hand:
 * dense in*out + out; conv k*k*in*out + out; batch norm 2C trainable (gamma, beta) and 2C
 * fixed (running mean, var); spectral norm: a fixed u vector of size out. */
START_TEST(seed_parameter_counts)
{
    long long g_tr = 0, g_fx = 0, d_tr = 0, d_fx = 0;
    /* G */
    g_tr += 108LL * 1952 + 1952;                         /* dense(4*4*122) on concat(z 100, y 8) */
    g_tr += 2 * 122; g_fx += 2 * 122;                    /* batchnorm on [122, 4, 4] */
    int gf[5] = {122, 97, 78, 62, 50};
    for (int i = 1; i < 5; i++) {
        g_tr += 3LL * 3 * gf[i - 1] * gf[i] + gf[i];     /* SN conv k3 */
        g_fx += gf[i];                                   /* its u */
        g_tr += 2 * gf[i]; g_fx += 2 * gf[i];            /* batchnorm */
    }
    g_tr += 4LL * 4 * 50 * 3 + 3;                        /* conv(3, kernel 4), SN by the defaults */
    g_fx += 3;
    /* D */
    int df[6] = {3, 50, 62, 78, 97, 122};
    for (int i = 1; i < 6; i++) {
        d_tr += 3LL * 3 * df[i - 1] * df[i] + df[i];
        d_fx += df[i];
    }
    d_tr += 122 + 1;                                     /* adv = dense(1) */
    d_tr += 122LL * 8 + 8;                               /* cls = dense(labels) */
    ck_assert_int_eq(g_tr, 462300);                      /* the arithmetic above, evaluated */
    ck_assert_int_eq(d_tr, 248890);

    fe_result r;
    md_model *m = load_seed(&r);
    long long tr, fx;
    fe_network_params(net_named(m, "G"), &tr, &fx);
    ck_assert_int_eq(tr, g_tr);
    ck_assert_int_eq(fx, g_fx);
    fe_network_params(net_named(m, "D"), &tr, &fx);
    ck_assert_int_eq(tr, d_tr);
    ck_assert_int_eq(fx, d_fx);

    /* and the --report text says the same */
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    fe_report(m, f);
    fclose(f);
    ck_assert_msg(strstr(buf, "G: 462,300 trainable parameters, 1,108 non-trainable"), "%s", buf);
    ck_assert_msg(strstr(buf, "D: 248,890 trainable parameters, 409 non-trainable"), "%s", buf);
    ck_assert_msg(strstr(buf, "Total: 711,190 trainable parameters, 1,517 non-trainable"), "%s", buf);
    ck_assert_int_eq(g_fx, 1108);
    ck_assert_int_eq(d_fx, 409);
    free(buf);
    fe_result_free(&r);
}
END_TEST

START_TEST(seed_model_def)
{
    fe_result r;
    md_model *m = load_seed(&r);
    const gan_hyper *h = &m->hyper;
    ck_assert_int_eq(h->image_c, 3);
    ck_assert_int_eq(h->image_h, 64);
    ck_assert_int_eq(h->image_w, 64);
    ck_assert(h->range_lo == -1.0f && h->range_hi == 1.0f);
    ck_assert_int_eq(h->label_kind, GAN_LABELS_MULTI);
    ck_assert_int_eq(h->n_labels, 8);
    static const char *const labels[8] = {"Male", "Smiling", "Eyeglasses", "Blond_Hair", "Black_Hair", "Young", "Wearing_Hat", "No_Beard"};
    for (int i = 0; i < 8; i++)
        ck_assert_str_eq(h->label_names[i], labels[i]);
    ck_assert_int_eq(h->latent_size, 100);
    ck_assert_int_eq(h->latent_dist, GAN_LATENT_NORMAL);
    ck_assert_int_eq(h->batch, 100);
    ck_assert_int_eq(h->d_steps, 2);
    ck_assert_int_eq(h->epochs, 10);
    ck_assert_int_eq(h->steps, 0);

    ck_assert_int_eq(m->n_networks, 2);
    const md_network *G = net_named(m, "G"), *D = net_named(m, "D");
    ck_assert_int_eq(G->role, GAN_NET_GENERATOR);
    ck_assert_int_eq(D->role, GAN_NET_DISCRIMINATOR);
    ck_assert_int_eq(G->n_inputs, 2);
    ck_assert_str_eq(G->inputs[0].name, "z");
    ck_assert_int_eq(G->inputs[0].kind, MD_IN_LATENT);
    ck_assert_int_eq(G->inputs[1].kind, MD_IN_LABELS);
    ck_assert_int_eq(G->nodes[G->inputs[0].node].kind, MD_INPUT);
    ck_assert_int_eq(G->n_heads, 1);
    ck_assert_str_eq(G->heads[0].name, "out");
    const md_node *gout = &G->nodes[G->heads[0].node];
    ck_assert_int_eq(gout->kind, MD_ACT);
    ck_assert_int_eq(gout->act, GAN_ACT_TANH);
    ck_assert_int_eq(gout->ndim, 3);
    ck_assert_int_eq(gout->shape[0], 3);
    ck_assert_int_eq(gout->shape[1], 64);
    /* every node's inputs come earlier (topological order) */
    for (int k = 0; k < 2; k++) {
        const md_network *n = k ? D : G;
        for (int i = 0; i < n->n_nodes; i++)
            for (int j = 0; j < n->nodes[i].n_in; j++)
                ck_assert(n->nodes[i].in[j] >= 0 && n->nodes[i].in[j] < i);
    }
    const md_node *bn1 = node_named(G, "bn1");
    ck_assert_ptr_nonnull(bn1);
    ck_assert(bn1->momentum == 0.8f && bn1->eps == 1e-3f && bn1->affine == 1);
    const md_node *conv1 = node_named(G, "conv1");
    ck_assert_int_eq(conv1->kh, 3);
    ck_assert_int_eq(conv1->stride, 1);
    ck_assert_int_eq(conv1->pad_t + conv1->pad_b, 2);
    ck_assert_int_eq(conv1->spectral_norm, 1);
    ck_assert_int_eq(conv1->init, GAN_INIT_ORTHOGONAL);
    ck_assert_int_eq(conv1->bias, 1);
    /* conv(3, kernel 4) with TF same: total pad 3, top 1, bottom 2 */
    const md_node *conv5 = node_named(G, "conv5");
    ck_assert_int_eq(conv5->kh, 4);
    ck_assert_int_eq(conv5->pad_t, 1);
    ck_assert_int_eq(conv5->pad_b, 2);
    ck_assert_int_eq(conv5->pad_l, 1);
    ck_assert_int_eq(conv5->pad_r, 2);
    const md_node *dense1 = node_named(G, "dense1");
    ck_assert_int_eq(dense1->units, 1952);
    ck_assert_int_eq(dense1->spectral_norm, 0);
    ck_assert_int_eq(node_named(G, "up1")->factor, 2);
    ck_assert_int_eq(node_named(G, "concat1")->n_in, 2);
    /* D: stride 2 same on 64: out 32, total pad 1, all of it bottom/right */
    const md_node *d1 = node_named(D, "conv1");
    ck_assert_int_eq(d1->stride, 2);
    ck_assert_int_eq(d1->shape[1], 32);
    ck_assert_int_eq(d1->pad_t, 0);
    ck_assert_int_eq(d1->pad_b, 1);
    ck_assert_int_eq(node_named(D, "conv5")->shape[0], 122);
    ck_assert_int_eq(node_named(D, "conv5")->shape[1], 2);
    ck_assert(node_named(D, "lrelu1")->alpha == 0.1f);
    ck_assert_int_eq(D->n_heads, 2);
    ck_assert_str_eq(D->heads[0].name, "adv");
    ck_assert_str_eq(D->heads[1].name, "cls");
    ck_assert_int_eq(D->nodes[D->heads[0].node].shape[0], 1);
    ck_assert_int_eq(D->nodes[D->heads[1].node].shape[0], 8);
    ck_assert_int_eq(D->nodes[D->heads[1].node].in[0], D->nodes[D->heads[0].node].in[0]); /* shared body */

    ck_assert_int_eq(m->n_objectives, 2);
    const md_objective *od = &m->objectives[0], *og = &m->objectives[1];
    ck_assert_str_eq(m->networks[od->network].name, "D");
    ck_assert_str_eq(m->networks[og->network].name, "G");
    ck_assert_int_eq(od->n_terms, 3);
    ck_assert_int_eq(od->terms[0].kind, MD_LOSS_HINGE_REAL);
    ck_assert_int_eq(od->terms[1].kind, MD_LOSS_HINGE_FAKE);
    ck_assert_int_eq(od->terms[2].kind, MD_LOSS_BCE);
    ck_assert(od->terms[0].weight == 1.0f);
    ck_assert_int_eq(od->terms[0].arg->kind, MD_EX_CALL);
    ck_assert_int_eq(od->terms[0].arg->head, 0);
    ck_assert_int_eq(od->terms[0].arg->args[0]->kind, MD_EX_IMAGE);
    const md_expr *fake = od->terms[1].arg->args[0];   /* G(z, y) */
    ck_assert_int_eq(fake->kind, MD_EX_CALL);
    ck_assert_str_eq(m->networks[fake->network].name, "G");
    ck_assert_int_eq(fake->args[0]->kind, MD_EX_LATENT);
    ck_assert_int_eq(fake->args[1]->kind, MD_EX_LABELS);
    ck_assert_int_eq(od->terms[2].arg->head, 1);
    ck_assert_ptr_nonnull(od->terms[2].target);
    ck_assert_int_eq(od->terms[2].target->kind, MD_EX_LABELS);
    ck_assert_int_eq(og->n_terms, 2);
    ck_assert_int_eq(og->terms[0].kind, MD_LOSS_MEAN);
    ck_assert(og->terms[0].scale == -1.0f && og->terms[0].weight == 1.0f);
    ck_assert(od->lr == 2e-4f && od->beta1 == 0.0f && od->beta2 == 0.999f && od->eps == 1e-7f);
    ck_assert(og->lr == 5e-5f);
    ck_assert(og->ema_decay == 0.0f);
    fe_result_free(&r);
}
END_TEST

static const char *tiny_head =
    "data { image 2 x 7 x 7 }\n"
    "latent z : 4\n"
    "generator G(z) -> image { out = z | dense(98) | reshape(2, 7, 7) | tanh }\n";
static const char *tiny_tail =
    "train { batch 2 steps 1\n"
    "  loss D = hinge_real(D(x)) + hinge_fake(D(G(z)))\n"
    "  loss G = -mean(D(G(z)))\n"
    "  optimizer D = adam(lr 1e-3)\n  optimizer G = adam(lr 1e-3) }\n";

static md_model *tiny_d(const char *dbody, fe_result *r)
{
    char src[4096];
    snprintf(src, sizeof src, "%sdiscriminator D(x : image) -> 1 {\n%s\n}\n%s", tiny_head, dbody, tiny_tail);
    return compile_text(src, r);
}

START_TEST(padding_rules)
{
    fe_result r;
    md_model *m = tiny_d("  a = x | conv(4, kernel 5, stride 2, padding same)\n"   /* 7 -> 4, total 3*2+5-7=4 */
                         "  b = a | conv(4, kernel 4, padding same)\n"              /* total 3: 1 top, 2 bottom */
                         "  c = b | conv_t(4, kernel 4, stride 2, padding same)\n"  /* 4 -> 8, pads 1,1 */
                         "  d = c | conv_t(4, kernel 5, stride 2, padding same)\n"  /* 8 -> 16, total 3: 1, 2 */
                         "  e = d | conv(4, kernel 3, padding valid)\n"             /* 16 -> 14 */
                         "  f = e | conv(4, kernel 3, stride 2, padding 2)\n"       /* (14+4-3)/2+1 = 8 */
                         "  g = f | conv_t(4, kernel 3, stride 1)\n"                /* valid: 8+2 = 10 */
                         "  out = g | flatten | dense(1)", &r);
    const md_network *D = net_named(m, "D");
    const md_node *n;
    n = node_named(D, "conv1");
    ck_assert_int_eq(n->shape[1], 4);
    ck_assert_int_eq(n->pad_t, 2);
    ck_assert_int_eq(n->pad_b, 2);
    n = node_named(D, "conv2");
    ck_assert_int_eq(n->shape[1], 4);
    ck_assert_int_eq(n->pad_t, 1);
    ck_assert_int_eq(n->pad_b, 2);
    n = node_named(D, "conv_t1");
    ck_assert_int_eq(n->shape[1], 8);
    ck_assert_int_eq(n->pad_t, 1);
    ck_assert_int_eq(n->pad_b, 1);
    n = node_named(D, "conv_t2");
    ck_assert_int_eq(n->shape[1], 16);
    ck_assert_int_eq(n->pad_t, 1);
    ck_assert_int_eq(n->pad_b, 2);
    ck_assert_int_eq((8 - 1) * 2 + 5 - n->pad_t - n->pad_b, 16); /* the md_kind formula */
    n = node_named(D, "conv3");
    ck_assert_int_eq(n->shape[1], 14);
    ck_assert_int_eq(n->pad_t + n->pad_b + n->pad_l + n->pad_r, 0);
    n = node_named(D, "conv4");
    ck_assert_int_eq(n->shape[1], 8);
    ck_assert_int_eq(n->pad_t, 2);
    ck_assert_int_eq(n->pad_r, 2);
    n = node_named(D, "conv_t3");
    ck_assert_int_eq(n->shape[1], 10);
    fe_result_free(&r);
}
END_TEST

START_TEST(loss_weights)
{
    char src[4096];
    snprintf(src, sizeof src,
             "%sdiscriminator D(x : image) -> 1 { out = x | flatten | dense(1) }\n"
             "train { batch 2 steps 1\n"
             "  loss D = 0.5 * hinge_real(D(x)) + hinge_fake(D(G(z))) / 4 - 2 * mean(D(x))\n"
             "  loss G = -(mean(D(G(z))) * 3) + bce(D(G(z)), 0.9)\n"
             "  optimizer D = adam(lr 1e-3, beta1 0.5, beta2 0.9, eps 1e-8)\n  optimizer G = adam(lr 1e-3)\n"
             "  ema G 0.99 }\n",
             tiny_head);
    fe_result r;
    md_model *m = compile_text(src, &r);
    const md_objective *od = &m->objectives[0], *og = &m->objectives[1];
    ck_assert_int_eq(od->n_terms, 3);
    ck_assert(od->terms[0].weight == 0.5f);
    ck_assert(od->terms[1].weight == 0.25f);
    ck_assert_int_eq(od->terms[2].kind, MD_LOSS_MEAN);
    ck_assert(od->terms[2].scale == -1.0f && od->terms[2].weight == 2.0f);
    ck_assert(od->beta1 == 0.5f && od->beta2 == 0.9f && od->eps == 1e-8f);
    ck_assert(og->terms[0].scale == -1.0f && og->terms[0].weight == 3.0f);
    ck_assert_int_eq(og->terms[1].kind, MD_LOSS_BCE);
    ck_assert_ptr_null(og->terms[1].target);
    ck_assert(og->terms[1].const_target == 0.9f);
    ck_assert(og->ema_decay == 0.99f);
    fe_result_free(&r);
}
END_TEST

START_TEST(conditioning_variants)
{
    fe_result r;
    char *p = path_join(fe_t_root(), "models/dcgan64.gan");
    ck_assert_int_eq(fe_compile_file(p, &r), 0);
    free(p);
    const md_network *D = net_named(r.model, "D");
    const md_node *t = node_named(D, "tile1");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->kind, MD_TILE);
    ck_assert_int_eq(t->shape[0], 8);
    ck_assert_int_eq(t->shape[1], 64);
    const md_node *c = node_named(D, "concat1");
    ck_assert_int_eq(c->shape[0], 11);
    ck_assert_int_eq(c->n_in, 2);
    ck_assert_int_eq(r.model->objectives[0].terms[1].kind, MD_LOSS_BCE);
    ck_assert(r.model->objectives[0].terms[1].const_target == 0.0f);
    const md_node *ct = node_named(net_named(r.model, "G"), "conv_t4");
    ck_assert_int_eq(ct->kind, MD_CONV_T);
    ck_assert_int_eq(ct->bias, 1);
    ck_assert_int_eq(node_named(net_named(r.model, "G"), "conv_t1")->bias, 0);
    ck_assert_int_eq(ct->init, GAN_INIT_NORMAL);
    ck_assert(ct->init_arg == 0.02f);
    fe_result_free(&r);

    p = path_join(fe_t_root(), "models/class_cond.gan");
    ck_assert_int_eq(fe_compile_file(p, &r), 0);
    free(p);
    ck_assert_int_eq(r.model->hyper.label_kind, GAN_LABELS_CATEGORICAL);
    ck_assert_int_eq(r.model->hyper.n_labels, 3);
    ck_assert_int_eq(r.model->objectives[0].terms[2].kind, MD_LOSS_SOFTMAX_CE);
    ck_assert(r.model->objectives[1].terms[1].weight == 0.5f);
    fe_result_free(&r);

    p = path_join(fe_t_root(), "models/projection.gan");
    ck_assert_int_eq(fe_compile_file(p, &r), 0);
    free(p);
    D = net_named(r.model, "D");
    const md_node *pj = node_named(D, "project1");
    ck_assert_int_eq(pj->kind, MD_PROJECT);
    ck_assert_int_eq(pj->n_in, 2);
    ck_assert_int_eq(D->nodes[pj->in[1]].kind, MD_INPUT);
    ck_assert_int_eq(D->nodes[D->heads[0].node].kind, MD_ADD);
    ck_assert_int_eq(pj->spectral_norm, 1);
    ck_assert_int_eq(node_named(net_named(r.model, "G"), "conv1")->spectral_norm, 0);
    fe_result_free(&r);

    p = path_join(fe_t_root(), "models/classifier.gan");
    ck_assert_int_eq(fe_compile_file(p, &r), 0);
    free(p);
    ck_assert_int_eq(r.model->n_networks, 1);
    ck_assert_int_eq(r.model->networks[0].role, GAN_NET_CLASSIFIER);
    ck_assert_int_eq(r.model->hyper.latent_size, 0);
    ck_assert_int_eq(r.model->n_objectives, 1);
    fe_result_free(&r);

    p = path_join(fe_t_root(), "models/hinge_dcgan.gan");
    ck_assert_int_eq(fe_compile_file(p, &r), 0);
    free(p);
    ck_assert_int_eq(r.model->hyper.label_kind, GAN_LABELS_NONE);
    ck_assert_int_eq(r.model->hyper.n_labels, 0);
    ck_assert_int_eq(r.model->hyper.steps, 20000);
    fe_result_free(&r);
}
END_TEST

START_TEST(defaults_scoping)
{
    fe_result r;
    md_model *m = tiny_d("  defaults conv { kernel 3 padding same stride 1 }\n"
                         "  a = x | conv(4)\n"
                         "  defaults conv { kernel 1 }\n"
                         "  b = a | conv(4) | conv(4, kernel 5, no_bias, spectral_norm)\n"
                         "  out = b | flatten | dense(1)", &r);
    const md_network *D = net_named(m, "D");
    ck_assert_int_eq(node_named(D, "conv1")->kh, 3);
    ck_assert_int_eq(node_named(D, "conv2")->kh, 1);
    ck_assert_int_eq(node_named(D, "conv2")->pad_t, 0);
    ck_assert_int_eq(node_named(D, "conv3")->kh, 5);
    ck_assert_int_eq(node_named(D, "conv3")->pad_t, 2);  /* padding same from the first block */
    ck_assert_int_eq(node_named(D, "conv3")->bias, 0);
    ck_assert_int_eq(node_named(D, "conv3")->spectral_norm, 1);
    fe_result_free(&r);
}
END_TEST

START_TEST(suggestions)
{
    ck_assert_int_eq(gan_edit_distance("conv", "conv"), 0);
    ck_assert_int_eq(gan_edit_distance("comv", "conv"), 1);
    ck_assert_int_eq(gan_edit_distance("avd", "adv"), 1);
    ck_assert_int_eq(gan_edit_distance("", "abc"), 3);
    static const char *const c[] = {"Smiling", "Male", "Young"};
    ck_assert_str_eq(fe_suggest("smiling", c, 3), "Smiling");
    ck_assert_str_eq(fe_suggest("Yuong", c, 3), "Young");
    ck_assert_ptr_null(fe_suggest("Completely_Different", c, 3));
}
END_TEST

START_TEST(unused_dead_nodes_pruned)
{
    fe_result r;
    md_model *m = tiny_d("  h = x | flatten\n  junk = h | dense(7)\n  out = h | dense(1)", &r);
    ck_assert_int_eq(r.n_warnings, 1);
    const md_network *D = net_named(m, "D");
    ck_assert_int_eq(D->n_nodes, 3); /* x, reshape1, dense1: the unused dense(7) is gone */
    ck_assert_int_eq(node_named(D, "dense1")->units, 1);
    fe_result_free(&r);
}
END_TEST

/* Pathological sizes: long pipelines, deep parentheses, long sums, nested calls. Each is
 * rejected (or accepted) with located errors and without exhausting the C stack. */
START_TEST(deep_nesting)
{
    size_t cap = 1 << 20;
    char *src = malloc(cap);
    for (int kind = 0; kind < 4; kind++) {
        size_t o = 0;
        o += (size_t)snprintf(src + o, cap - o, "data { image 1 x 8 x 8 }\nlatent z : 4\n");
        if (kind == 0) {
            o += (size_t)snprintf(src + o, cap - o, "generator G(z) -> image { out = z | dense(64) | reshape(1, 8, 8)");
            for (int i = 0; i < 20000; i++)
                o += (size_t)snprintf(src + o, cap - o, " | tanh");
            o += (size_t)snprintf(src + o, cap - o, " }\n");
        } else if (kind == 1) {
            o += (size_t)snprintf(src + o, cap - o, "generator G(z) -> image { out = ");
            for (int i = 0; i < 30000; i++)
                src[o++] = '(';
            src[o++] = 'z';
            for (int i = 0; i < 30000; i++)
                src[o++] = ')';
            o += (size_t)snprintf(src + o, cap - o, " }\n");
        } else if (kind == 2) {
            o += (size_t)snprintf(src + o, cap - o, "train { steps 1\n loss D = mean(D(x))");
            for (int i = 0; i < 20000; i++)
                o += (size_t)snprintf(src + o, cap - o, " + mean(D(x))");
            o += (size_t)snprintf(src + o, cap - o, " }\n");
        } else {
            o += (size_t)snprintf(src + o, cap - o, "generator G(z) -> image { out = z | dense(");
            for (int i = 0; i < 20000; i++)
                o += (size_t)snprintf(src + o, cap - o, "1*");
            o += (size_t)snprintf(src + o, cap - o, "64) | reshape(1, 8, 8) }\n");
        }
        fe_result r;
        int rc = fe_compile("deep.gan", src, o, &r);
        ck_assert_int_eq(rc, 1);
        ck_assert_int_gt(fe_t_every_error_located(r.messages, "deep.gan"), 0);
        fe_result_free(&r);
    }
    free(src);
}
END_TEST

static int run_ganc(const char *args)
{
    const char *g = getenv("GANC");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >/dev/null 2>&1", fe_t_root(), g, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(ganc_exit_codes)
{
    if (!getenv("GANC")) {
        fprintf(stderr, "test_frontend: GANC not set; skipping the ganc command-line test\n");
        return;
    }
    ck_assert_int_eq(run_ganc("--help"), 0);
    ck_assert_int_eq(run_ganc("--version"), 0);
    ck_assert_int_eq(run_ganc("--check models/making_faces.gan"), 0);
    ck_assert_int_eq(run_ganc("--check --report models/making_faces.gan"), 0);
    ck_assert_int_eq(run_ganc("--check tests/golden/errors/01_unknown_layer.gan"), 1);
    ck_assert_int_eq(run_ganc("--check no/such/file.gan"), 2);
    ck_assert_int_eq(run_ganc("--check --bogus models/making_faces.gan"), 2);
    ck_assert_int_eq(run_ganc("--batch zero --check models/making_faces.gan"), 2);
    ck_assert_int_eq(run_ganc(""), 2);
    ck_assert_int_eq(run_ganc("models/making_faces.gan"), 2); /* nothing to do */
    /* the whole pipeline: the back end builds, plans and writes */
    char dir[] = "/tmp/fe_ganc_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char args[1024], bin[300], dot[300];
    snprintf(bin, sizeof bin, "%s/m.bin", dir);
    snprintf(dot, sizeof dot, "%s/m.dot", dir);
    snprintf(args, sizeof args, "models/demo.gan -o %s --dot %s --report", bin, dot);
    ck_assert_int_eq(run_ganc(args), 0);
    struct stat st;
    ck_assert(stat(bin, &st) == 0 && st.st_size > 0);
    ck_assert(stat(dot, &st) == 0 && st.st_size > 0);
    snprintf(args, sizeof args, "models/demo.gan -o %s --no-fuse --batch 8", bin);
    ck_assert_int_eq(run_ganc(args), 0);
    ck_assert_int_eq(run_ganc("models/demo.gan -o /nonexistent/dir/m.bin"), 2);
    unlink(bin);
    unlink(dot);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("frontend");
    TCase *tc = tcase_create("frontend");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, models_compile);
    tcase_add_test(tc, docs_examples_compile);
    tcase_add_test(tc, golden_errors);
    tcase_add_test(tc, seed_parameter_counts);
    tcase_add_test(tc, seed_model_def);
    tcase_add_test(tc, padding_rules);
    tcase_add_test(tc, loss_weights);
    tcase_add_test(tc, conditioning_variants);
    tcase_add_test(tc, defaults_scoping);
    tcase_add_test(tc, suggestions);
    tcase_add_test(tc, unused_dead_nodes_pruned);
    tcase_add_test(tc, ganc_exit_codes);
    tcase_add_test(tc, deep_nesting);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
