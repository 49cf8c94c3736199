/* The back end on the front end's output: every shipped model builds (fused and unfused),
 * passes the structural checks and the memory plan; and the hand-built seed fixture the
 * other back-end tests use is the very model models/making_faces.gan describes. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "compiler/backend.h"
#include "compiler/frontend.h"
#include "tests/util/lower_check.h"
#include "tests/util/md_fixtures.h"

START_TEST(shipped_models_build)
{
    DIR *d = opendir("models");
    if (!d) {
        fprintf(stderr, "test_lower_fe: no models/ directory here; skipped\n");
        return;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".gan") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "models/%s", e->d_name);
        fe_result r;
        int rc = fe_compile_file(path, &r);
        ck_assert_msg(rc == 0, "%s: %s", path, r.messages);
        for (int fuse = 0; fuse < 2; fuse++) {
            char err[512] = "";
            gan_build_opts o = {fuse, 4};
            gan_model *m = gan_build(r.model, &o, err, sizeof err);
            ck_assert_msg(m != NULL, "%s: gan_build: %s", path, err);
            ck_assert_msg(lower_check_model(m, err, sizeof err) == 0, "%s: %s", path, err);
            ck_assert_msg(gan_plan(m, err, sizeof err) == 0, "%s: plan: %s", path, err);
            ck_assert_msg(gan_plan_check(m, err, sizeof err) == 0, "%s: plan check: %s", path,
                          err);
            gan_model_free(m);
        }
        fe_result_free(&r);
        n++;
    }
    closedir(d);
    ck_assert_int_ge(n, 3);
}
END_TEST

START_TEST(seed_fixture_is_the_seed_model)
{
    fe_result r;
    if (fe_compile_file("models/making_faces.gan", &r) == 2) {
        fprintf(stderr, "test_lower_fe: models/making_faces.gan not found; skipped\n");
        fe_result_free(&r);
        return;
    }
    ck_assert_msg(r.model != NULL, "%s", r.messages);
    md_model *fx = mdfx_making_faces(0);
    char err[512] = "";
    gan_build_opts o = {1, 0};
    gan_model *a = gan_build(r.model, &o, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    gan_model *b = gan_build(fx, &o, err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    ck_assert_int_eq(a->n_tensors, b->n_tensors);
    for (int t = 0; t < a->n_tensors; t++) {
        const gan_tensor *x = &a->tensors[t], *y = &b->tensors[t];
        ck_assert_str_eq(x->name, y->name);
        ck_assert_int_eq(x->region, y->region);
        ck_assert_int_eq(x->init, y->init);
        ck_assert_uint_eq(x->numel, y->numel);
        ck_assert_int_eq(memcmp(x->shape, y->shape, sizeof x->shape), 0);
    }
    ck_assert_int_eq(a->n_programs, b->n_programs);
    for (int p = 0; p < a->n_programs; p++) {
        ck_assert_int_eq(a->programs[p].n_ops, b->programs[p].n_ops);
        for (int j = 0; j < a->programs[p].n_ops; j++)
            ck_assert_msg(memcmp(&a->programs[p].ops[j], &b->programs[p].ops[j],
                                 sizeof(gan_op)) == 0,
                          "%s op %d differs", a->programs[p].name, j);
    }
    for (int n = 0; n < a->n_networks; n++) {
        ck_assert_float_eq(a->networks[n].lr, b->networks[n].lr);
        ck_assert_float_eq(a->networks[n].beta1, b->networks[n].beta1);
        ck_assert_float_eq(a->networks[n].beta2, b->networks[n].beta2);
    }
    ck_assert_int_eq(a->hyper.batch, 100);
    ck_assert_int_eq(a->hyper.d_steps, 2);
    ck_assert_int_eq(a->hyper.latent_size, 100);
    for (int l = 0; l < 8; l++)
        ck_assert_str_eq(a->hyper.label_names[l], b->hyper.label_names[l]);
    gan_model_free(a);
    gan_model_free(b);
    mdfx_free(fx);
    fe_result_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lower_fe");
    TCase *tc = tcase_create("frontend");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, shipped_models_build);
    tcase_add_test(tc, seed_fixture_is_the_seed_model);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
