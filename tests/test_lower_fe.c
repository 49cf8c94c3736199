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
#include "tests/util/md_sources.h"

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

/* The upconv2d fusion (compiler/fuse.c) takes exactly the upsample(2) | 3x3 stride-1 pad-1
 * conv pairs whose upsampled tensor nothing else reads, and may then take an activation. */
static const char fuse_src[] =
    "data {\n  image 2 x 8 x 8\n}\nlatent z : 4\n"
    "generator G(z) -> image {\n"
    "  h = z | dense(48) | reshape(3, 4, 4)\n"
    "  u = h | upsample\n"
    "  a = u | conv(2, kernel 3, padding same)\n"            /* u has two readers */
    "  b = u | conv(2, kernel 3, padding same) | relu\n"
    "  c = h | upsample | conv(2, kernel 3, padding same) | relu\n" /* fused, with relu */
    "  d = h | upsample(4) | conv(2, kernel 3, stride 2, padding same)\n"
    "  e = h | upsample | conv(2, kernel 5, padding same)\n"
    "  out = add(a, b) | add(c) | add(d) | add(e) | tanh\n}\n"
    "discriminator D(x : image) -> 1 {\n"
    "  out = x | conv(2, kernel 3, stride 2, padding same) | flatten | dense(1)\n}\n"
    "train {\n  batch 3  steps 10\n"
    "  loss D = hinge_real(D(x)) + hinge_fake(D(G(z)))\n  loss G = -mean(D(G(z)))\n"
    "  optimizer D = adam(lr 2e-4)\n  optimizer G = adam(lr 2e-4)\n}\n";

START_TEST(upconv_fusion_picks_its_pairs)
{
    md_model *md = mdsrc_compile("fuse.gan", fuse_src);
    for (int fuse = 0; fuse < 2; fuse++) {
        char err[512] = "";
        gan_build_opts o = {fuse, 0};
        gan_model *m = gan_build(md, &o, err, sizeof err);
        ck_assert_msg(m != NULL, "%s", err);
        ck_assert_msg(lower_check_model(m, err, sizeof err) == 0, "%s", err);
        const gan_program *g = lower_prog(m, "g_step"), *s = lower_prog(m, "sample");
        ck_assert_int_eq(lower_count_ops(g, GAN_OP_UPCONV2D), fuse ? 1 : 0);
        ck_assert_int_eq(lower_count_ops(g, GAN_OP_UPCONV2D_BWD), fuse ? 1 : 0);
        ck_assert_int_eq(lower_count_ops(s, GAN_OP_UPCONV2D), fuse ? 1 : 0);
        ck_assert_int_eq(lower_count_ops(s, GAN_OP_UPSAMPLE), fuse ? 3 : 4);
        ck_assert_int_eq(lower_count_ops(s, GAN_OP_CONV2D), fuse ? 4 : 5);
        for (int j = 0; fuse && j < s->n_ops; j++)
            if (s->ops[j].type == GAN_OP_UPCONV2D) {
                ck_assert_int_eq(s->ops[j].i[0], GAN_ACT_RELU); /* c's relu, as an epilogue */
                const gan_tensor *x = &m->tensors[s->ops[j].in[0]];
                ck_assert_int_eq(x->shape[2], 4); /* the un-upsampled input */
                ck_assert_uint_eq(m->tensors[s->ops[j].out[1]].numel, (4 * 3 + 2) * 4 * 4);
            }
        ck_assert_msg(gan_plan(m, err, sizeof err) == 0, "%s", err);
        gan_model_free(m);
    }
    mdfx_free(md);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lower_fe");
    TCase *tc = tcase_create("frontend");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, shipped_models_build);
    tcase_add_test(tc, seed_fixture_is_the_seed_model);
    tcase_add_test(tc, upconv_fusion_picks_its_pairs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
