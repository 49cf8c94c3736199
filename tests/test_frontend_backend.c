/* The front end against the back end: what the front end emits for every shipped model and
 * every docs example is accepted by gan_build, planned, proved by gan_plan_check, serialized
 * and loaded back; and the seed model's md_model equals the back end's hand-built fixture
 * (tests/util/md_fixtures.c) field by field, so the two halves agree on every convention. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/backend.h"
#include "compiler/frontend.h"
#include "tests/util/fe_util.h"
#include "tests/util/md_fixtures.h"

static void build_plan_roundtrip(const char *what, const md_model *md)
{
    for (int fuse = 0; fuse < 2; fuse++) {
        char err[1024] = "";
        gan_build_opts o = {fuse, 0};
        gan_model *m = gan_build(md, &o, err, sizeof err);
        ck_assert_msg(m != NULL, "%s (fuse %d): gan_build: %s", what, fuse, err);
        ck_assert_msg(gan_plan(m, err, sizeof err) == 0, "%s: gan_plan: %s", what, err);
        ck_assert_msg(gan_plan_check(m, err, sizeof err) == 0, "%s: gan_plan_check: %s", what, err);
        ck_assert_msg(gan_model_validate(m, err, sizeof err) == 0, "%s: validate: %s", what, err);
        void *buf = NULL;
        size_t len = 0;
        ck_assert_int_eq(gan_model_write_mem(m, &buf, &len), 0);
        gan_model *back = gan_model_load_mem(buf, len, what, err, sizeof err);
        ck_assert_msg(back != NULL, "%s: reload: %s", what, err);
        ck_assert_int_eq(back->n_programs, m->n_programs);
        ck_assert_int_eq(back->n_networks, md->n_networks);
        ck_assert_int_eq(back->hyper.n_labels, md->hyper.n_labels);
        gan_model_free(back);
        free(buf);
        gan_model_free(m);
    }
}

START_TEST(models_through_back_end)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/models", fe_t_root());
    char **names;
    int n = fe_t_list(dir, ".gan", &names);
    ck_assert_int_ge(n, 7);
    for (int i = 0; i < n; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        fe_result r;
        ck_assert_msg(fe_compile_file(p, &r) == 0, "%s", r.messages);
        build_plan_roundtrip(names[i], r.model);
        fe_result_free(&r);
    }
    fe_t_list_free(names, n);
}
END_TEST

START_TEST(docs_examples_through_back_end)
{
    char p[512];
    snprintf(p, sizeof p, "%s/docs/language.md", fe_t_root());
    char *doc = fe_t_read(p, NULL);
    ck_assert_ptr_nonnull(doc);
    int count = 0;
    for (const char *s = doc; (s = strstr(s, "```gan\n")); ) {
        const char *body = s + 7, *end = strstr(body, "\n```");
        ck_assert_ptr_nonnull(end);
        fe_result r;
        ck_assert_msg(fe_compile("example.gan", body, (size_t)(end + 1 - body), &r) == 0, "%s", r.messages);
        char what[64];
        snprintf(what, sizeof what, "docs example %d", ++count);
        build_plan_roundtrip(what, r.model);
        fe_result_free(&r);
        s = end + 4;
    }
    ck_assert_int_ge(count, 10);
    free(doc);
}
END_TEST

static void same_expr(const md_expr *a, const md_expr *b)
{
    ck_assert_int_eq(a == NULL, b == NULL);
    if (!a)
        return;
    ck_assert_int_eq(a->kind, b->kind);
    if (a->kind != MD_EX_CALL)
        return;
    ck_assert_int_eq(a->network, b->network);
    ck_assert_int_eq(a->head, b->head);
    ck_assert_int_eq(a->n_args, b->n_args);
    for (int i = 0; i < a->n_args; i++)
        same_expr(a->args[i], b->args[i]);
}

/* Orthogonal init: gain 0 and 1 mean the same (model.h: "1 if arg is 0"). */
static float init_arg(const md_node *n)
{
    return n->init == GAN_INIT_ORTHOGONAL && n->init_arg == 0 ? 1.0f : n->init_arg;
}

START_TEST(seed_equals_back_end_fixture)
{
    char p[512];
    snprintf(p, sizeof p, "%s/models/making_faces.gan", fe_t_root());
    fe_result r;
    ck_assert_msg(fe_compile_file(p, &r) == 0, "%s", r.messages);
    const md_model *a = r.model;
    md_model *b = mdfx_making_faces(0);
    const gan_hyper *ha = &a->hyper, *hb = &b->hyper;
    ck_assert_int_eq(ha->image_c, hb->image_c);
    ck_assert_int_eq(ha->image_h, hb->image_h);
    ck_assert_int_eq(ha->image_w, hb->image_w);
    ck_assert(ha->range_lo == hb->range_lo && ha->range_hi == hb->range_hi);
    ck_assert_int_eq(ha->label_kind, hb->label_kind);
    ck_assert_int_eq(ha->n_labels, hb->n_labels);
    for (int i = 0; i < ha->n_labels; i++)
        ck_assert_str_eq(ha->label_names[i], hb->label_names[i]);
    ck_assert_int_eq(ha->latent_size, hb->latent_size);
    ck_assert_int_eq(ha->latent_dist, hb->latent_dist);
    ck_assert_int_eq(ha->batch, hb->batch);
    ck_assert_int_eq(ha->d_steps, hb->d_steps);
    ck_assert_int_eq(ha->epochs, hb->epochs);
    ck_assert_int_eq(ha->steps, hb->steps);
    ck_assert_int_eq(a->n_networks, b->n_networks);
    for (int k = 0; k < a->n_networks; k++) {
        const md_network *na = &a->networks[k], *nb = &b->networks[k];
        ck_assert_str_eq(na->name, nb->name);
        ck_assert_int_eq(na->role, nb->role);
        ck_assert_int_eq(na->n_inputs, nb->n_inputs);
        for (int i = 0; i < na->n_inputs; i++) {
            ck_assert_str_eq(na->inputs[i].name, nb->inputs[i].name);
            ck_assert_int_eq(na->inputs[i].kind, nb->inputs[i].kind);
            ck_assert_int_eq(na->inputs[i].node, nb->inputs[i].node);
        }
        ck_assert_int_eq(na->n_heads, nb->n_heads);
        for (int i = 0; i < na->n_heads; i++)
            ck_assert_int_eq(na->heads[i].node, nb->heads[i].node);
        ck_assert_int_eq(na->n_nodes, nb->n_nodes);
        for (int i = 0; i < na->n_nodes; i++) {
            const md_node *x = &na->nodes[i], *y = &nb->nodes[i];
            ck_assert_msg(x->kind == y->kind, "%s node %d (%s): kind %d vs %d", na->name, i, x->name, x->kind, y->kind);
            ck_assert_int_eq(x->n_in, y->n_in);
            for (int j = 0; j < x->n_in; j++)
                ck_assert_int_eq(x->in[j], y->in[j]);
            ck_assert_int_eq(x->ndim, y->ndim);
            for (int j = 0; j < x->ndim; j++)
                ck_assert_msg(x->shape[j] == y->shape[j], "%s %s shape", na->name, x->name);
            switch (x->kind) {
            case MD_CONV:
            case MD_CONV_T:
                ck_assert_int_eq(x->kh, y->kh);
                ck_assert_int_eq(x->kw, y->kw);
                ck_assert_int_eq(x->stride, y->stride);
                ck_assert_int_eq(x->pad_t, y->pad_t);
                ck_assert_int_eq(x->pad_l, y->pad_l);
                ck_assert_int_eq(x->pad_b, y->pad_b);
                ck_assert_int_eq(x->pad_r, y->pad_r);
                /* fall through */
            case MD_DENSE:
                ck_assert_int_eq(x->units, y->units);
                ck_assert_int_eq(x->bias, y->bias);
                ck_assert_msg(x->spectral_norm == y->spectral_norm, "%s %s spectral_norm", na->name, x->name);
                ck_assert_msg(x->init == y->init, "%s %s init %d vs %d", na->name, x->name, x->init, y->init);
                ck_assert(init_arg(x) == init_arg(y));
                break;
            case MD_UPSAMPLE:
                ck_assert_int_eq(x->factor, y->factor);
                break;
            case MD_BATCHNORM:
                ck_assert(x->momentum == y->momentum && x->eps == y->eps && x->affine == y->affine);
                break;
            case MD_ACT:
                ck_assert_int_eq(x->act, y->act);
                ck_assert(x->alpha == y->alpha);
                break;
            default:
                break;
            }
        }
    }
    ck_assert_int_eq(a->n_objectives, b->n_objectives);
    for (int k = 0; k < a->n_objectives; k++) {
        const md_objective *oa = &a->objectives[k], *ob = &b->objectives[k];
        ck_assert_int_eq(oa->network, ob->network);
        ck_assert(oa->lr == ob->lr && oa->beta1 == ob->beta1 && oa->beta2 == ob->beta2 && oa->eps == ob->eps);
        ck_assert(oa->ema_decay == ob->ema_decay);
        ck_assert_int_eq(oa->n_terms, ob->n_terms);
        for (int t = 0; t < oa->n_terms; t++) {
            const md_loss_term *x = &oa->terms[t], *y = &ob->terms[t];
            ck_assert_int_eq(x->kind, y->kind);
            ck_assert(x->weight == y->weight);
            if (x->kind == MD_LOSS_MEAN)
                ck_assert(x->scale == y->scale);
            same_expr(x->arg, y->arg);
            same_expr(x->target, y->target);
            if (!x->target)
                ck_assert(x->const_target == y->const_target);
        }
    }
    mdfx_free(b);
    fe_result_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("frontend_backend");
    TCase *tc = tcase_create("frontend_backend");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, seed_equals_back_end_fixture);
    tcase_add_test(tc, models_through_back_end);
    tcase_add_test(tc, docs_examples_through_back_end);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
