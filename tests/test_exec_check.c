/* Checked once, then dispatched: gan_exec_check refuses a malformed program before anything
 * runs, a training session refuses it when it is created (not at some step), and
 * gan_exec_run_checked computes exactly what gan_exec_program does. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/backend.h"
#include "format/model.h"
#include "runtime/exec.h"
#include "runtime/train.h"
#include "tests/util/plan_gen.h"

static gan_model *seed_model(void)
{
    char err[512];
    gan_model *m = plan_gen_seed_model(2, 1);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(gan_plan(m, err, sizeof err) == 0, "%s", err);
    return m;
}

/* The first dense op of program p, whose output is swapped for a tensor of another size. */
static int break_a_dense_op(gan_model *m, gan_program *p)
{
    for (int j = 0; j < p->n_ops; j++) {
        gan_op *o = &p->ops[j];
        if (o->type != GAN_OP_DENSE)
            continue;
        for (int t = 0; t < m->n_tensors; t++)
            if (m->tensors[t].region == GAN_REGION_ARENA &&
                m->tensors[t].numel != m->tensors[o->out[0]].numel) {
                o->out[0] = t;
                return j;
            }
    }
    ck_abort_msg("no dense op in '%s'", p->name);
    return -1;
}

START_TEST(session_refuses_a_bad_program_when_created)
{
    gan_model *m = seed_model();
    char err[1024] = "";
    gan_session_opts so = {1, 3};
    gan_session *s = gan_session_create(m, &so, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    gan_session_free(s);
    gan_program *g = &m->programs[gan_model_find_role(m, GAN_PROG_G_STEP)];
    int j = break_a_dense_op(m, g);
    ck_assert_ptr_null(gan_session_create(m, &so, err, sizeof err));
    char want[64];
    snprintf(want, sizeof want, "program 'g_step' op %d (dense): dense: ", j);
    ck_assert_msg(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
    gan_model_free(m);
}
END_TEST

START_TEST(checked_run_equals_a_plain_run)
{
    gan_model *m = seed_model();
    char err[1024] = "";
    float *a[GAN_REGION_COUNT], *b[GAN_REGION_COUNT];
    unsigned s = 1;
    for (int r = 0; r < GAN_REGION_COUNT; r++) {
        size_t n = (size_t)m->region_floats[r] + 1;
        a[r] = malloc(n * sizeof(float));
        b[r] = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++) {
            s = s * 1103515245u + 12345u;
            a[r][i] = b[r][i] = r == GAN_REGION_GRAD    ? 0.0f
                                : r == GAN_REGION_STATE ? 1.0f /* Adam t >= 1, v >= 0 */
                                                        : (float)((s >> 9) % 2001) / 1000.0f - 1.0f;
        }
    }
    const gan_program *d = &m->programs[gan_model_find_role(m, GAN_PROG_D_STEP)];
    ck_assert_msg(gan_exec_program(m, d, a, 2, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(gan_exec_check(m, d, b, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(gan_exec_run_checked(m, d, b, 2, NULL, err, sizeof err) == 0, "%s", err);
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        ck_assert_msg(!memcmp(a[r], b[r], (size_t)m->region_floats[r] * sizeof(float)),
                      "region %d differs", r);
    for (int r = 0; r < GAN_REGION_COUNT; r++) {
        free(a[r]);
        free(b[r]);
    }
    gan_model_free(m);
}
END_TEST

START_TEST(check_refuses_before_anything_runs)
{
    gan_model *m = seed_model();
    char err[1024] = "";
    float *base[GAN_REGION_COUNT];
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        base[r] = calloc((size_t)m->region_floats[r] + 1, sizeof(float));
    gan_program *d = &m->programs[gan_model_find_role(m, GAN_PROG_D_STEP)];
    /* the last op (Adam) would move the parameters: a bad op before it must stop the run first */
    ck_assert_int_eq(d->ops[d->n_ops - 1].type, GAN_OP_ADAM);
    float *t = gan_tensor_ptr(m, base, d->ops[d->n_ops - 1].in[4]);
    break_a_dense_op(m, d);
    ck_assert_int_eq(gan_exec_check(m, d, base, err, sizeof err), -1);
    ck_assert_int_eq(gan_exec_program(m, d, base, 1, err, sizeof err), -1);
    ck_assert_float_eq(t[0], 0.0f); /* Adam's step count never moved */
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        free(base[r]);
    gan_model_free(m);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("exec_check");
    TCase *tc = tcase_create("check");
    tcase_add_test(tc, session_refuses_a_bad_program_when_created);
    tcase_add_test(tc, checked_run_equals_a_plain_run);
    tcase_add_test(tc, check_refuses_before_anything_runs);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
