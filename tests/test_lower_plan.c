/* The compiled programs under the real memory plan compute what they compute with every
 * tensor in its own buffer (the trivial plan): same losses, gradients, parameters and state,
 * over two rounds of every program (so state carried between programs is covered too). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compiler/backend.h"
#include "runtime/exec.h"
#include "tests/util/lower_run.h"
#include "tests/util/md_fixtures.h"

typedef md_model *(*fixture_fn)(int tiny);
static const fixture_fn fixtures[] = {mdfx_making_faces, mdfx_dcgan,      mdfx_hinge_sn,
                                      mdfx_class_cond,   mdfx_classifier, mdfx_projection};
#define N_FIXTURES (int)(sizeof fixtures / sizeof fixtures[0])

static gan_model *build(md_model *md, int fuse)
{
    char err[512] = "";
    gan_build_opts o = {fuse, 0};
    gan_model *m = gan_build(md, &o, err, sizeof err);
    ck_assert_msg(m != NULL, "gan_build: %s", err);
    return m;
}

static void run(lower_rt *r, const gan_program *p)
{
    char err[512] = "";
    ck_assert_msg(gan_exec_program(r->m, p, r->base, 1, err, sizeof err) == 0, "%s", err);
}

START_TEST(planned_matches_trivial)
{
    int f = _i / 2, fuse = _i % 2;
    md_model *md = fixtures[f](1);
    gan_model *mt = build(md, fuse), *mp = build(md, fuse);
    char err[512] = "";
    ck_assert_msg(gan_plan(mp, err, sizeof err) == 0, "plan: %s", err);
    ck_assert_msg(gan_plan_check(mp, err, sizeof err) == 0, "plan check: %s", err);
    ck_assert_msg(gan_model_validate(mp, err, sizeof err) == 0, "validate: %s", err);
    lower_rt rt, rp;
    ck_assert_int_eq(lower_rt_init(&rt, mt, 9), 0);
    ck_assert_int_eq(lower_rt_init_planned(&rp, mp, 9), 0);
    ck_assert_uint_lt(mp->region_floats[GAN_REGION_ARENA], mt->region_floats[GAN_REGION_ARENA]);
    lower_rt_init_params(&rt);
    for (int g = 0; g < GAN_REGION_ARENA; g++) {
        ck_assert_uint_eq(mt->region_floats[g], mp->region_floats[g]);
        memcpy(rp.base[g], rt.base[g], mt->region_floats[g] * sizeof(float));
    }
    for (int round = 0; round < 2; round++)
        for (int q = 0; q < mt->n_programs; q++) {
            const gan_program *pt = &mt->programs[q], *pp = &mp->programs[q];
            lower_rt_fill_inputs(&rt, pt);
            for (int i = 0; i < pt->n_inputs; i++)
                memcpy(gan_tensor_ptr(mp, rp.base, pp->inputs[i]),
                       gan_tensor_ptr(mt, rt.base, pt->inputs[i]),
                       mt->tensors[pt->inputs[i]].numel * sizeof(float));
            run(&rt, pt);
            run(&rp, pp);
            for (int k = 0; k < pt->n_outputs; k++) {
                const float *a = gan_tensor_ptr(mt, rt.base, pt->outputs[k]);
                const float *b = gan_tensor_ptr(mp, rp.base, pp->outputs[k]);
                for (uint64_t i = 0; i < mt->tensors[pt->outputs[k]].numel; i++)
                    ck_assert_msg(fabsf(a[i] - b[i]) <= 1e-5f * (1 + fabsf(a[i])),
                                  "%s output %d[%llu]: %g vs %g", pt->name, k,
                                  (unsigned long long)i, a[i], b[i]);
            }
            for (int g = 0; g < GAN_REGION_ARENA; g++)
                for (uint64_t i = 0; i < mt->region_floats[g]; i++)
                    ck_assert_msg(fabsf(rt.base[g][i] - rp.base[g][i]) <=
                                      1e-5f * (1 + fabsf(rt.base[g][i])),
                                  "after %s: region %d [%llu]: %g vs %g", pt->name, g,
                                  (unsigned long long)i, rt.base[g][i], rp.base[g][i]);
        }
    lower_rt_free(&rt);
    lower_rt_free(&rp);
    gan_model_free(mt);
    gan_model_free(mp);
    mdfx_free(md);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lower_plan");
    TCase *tc = tcase_create("planned");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, planned_matches_trivial, 0, N_FIXTURES * 2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
