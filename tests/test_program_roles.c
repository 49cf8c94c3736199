/* Programs by role: model.bin version 2 stores each program's role, the runtime finds programs
 * by it, the validator holds roles to their rules, and a version-1 file is refused by version. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/backend.h"
#include "format/model.h"
#include "tests/util/plan_gen.h"

static gan_model *seed_model(void)
{
    gan_model *m = plan_gen_seed_model(4, 1);
    char err[512];
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(gan_plan(m, err, sizeof err) == 0, "%s", err);
    return m;
}

START_TEST(roles_round_trip)
{
    gan_model *m = seed_model();
    void *buf;
    size_t len;
    char err[512];
    ck_assert_int_eq(gan_model_write_mem(m, &buf, &len), 0);
    gan_model *r = gan_model_load_mem(buf, len, "m.bin", err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    int roles[] = {GAN_PROG_D_STEP, GAN_PROG_G_STEP, GAN_PROG_SAMPLE};
    for (int i = 0; i < 3; i++) {
        int p = gan_model_find_role(r, roles[i]);
        ck_assert_int_ge(p, 0);
        ck_assert_str_eq(r->programs[p].name, gan_program_role_name(roles[i]));
        ck_assert_int_eq(p, gan_model_find_role(m, roles[i]));
    }
    ck_assert_int_eq(gan_model_find_role(r, GAN_PROG_PREDICT), -1);
    ck_assert_int_eq(gan_model_find_role(r, GAN_PROG_AUX), -1);
    /* renaming a program does not hide it from the runtime */
    snprintf(r->programs[0].name, GAN_NAME_MAX, "discriminator_update");
    ck_assert_int_eq(gan_model_find_role(r, r->programs[0].role), 0);
    gan_model_free(r);
    gan_model_free(m);
    free(buf);
}
END_TEST

START_TEST(version_one_is_refused)
{
    gan_model *m = seed_model();
    void *buf;
    size_t len;
    char err[512];
    ck_assert_int_eq(gan_model_write_mem(m, &buf, &len), 0);
    ck_assert_int_eq(((unsigned char *)buf)[8], GAN_FORMAT_VERSION);
    /* every older version, not only 1: a version's meaning of the ops is not this one's */
    for (int v = 1; v < GAN_FORMAT_VERSION; v++) {
        char want[128];
        snprintf(want, sizeof want, "old.bin: format version %d not supported (this ganrt reads "
                 "version %d)", v, GAN_FORMAT_VERSION);
        ((unsigned char *)buf)[8] = (unsigned char)v;
        ck_assert_ptr_null(gan_model_load_mem(buf, len, "old.bin", err, sizeof err));
        ck_assert_msg(strstr(err, want) && strstr(err, "compile the .gan file again"), "%s", err);
    }
    gan_model_free(m);
    free(buf);
}
END_TEST

static void expect_invalid(gan_model *m, const char *needle)
{
    char err[512] = "";
    ck_assert_int_eq(gan_model_validate(m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, needle) != NULL, "'%s' lacks '%s'", err, needle);
}

START_TEST(validator_holds_roles_to_their_rules)
{
    gan_model *m = seed_model();
    char err[512];
    ck_assert_msg(gan_model_validate(m, err, sizeof err) == 0, "%s", err);
    int d = gan_model_find_role(m, GAN_PROG_D_STEP), g = gan_model_find_role(m, GAN_PROG_G_STEP);
    int s = gan_model_find_role(m, GAN_PROG_SAMPLE);
    m->programs[g].role = GAN_PROG_D_STEP;
    expect_invalid(m, "role d_step already held by program 'd_step'");
    m->programs[g].role = GAN_PROG_ROLE_COUNT;
    expect_invalid(m, "role 7 out of range");
    m->programs[g].role = -1;
    expect_invalid(m, "out of range");
    m->programs[g].role = GAN_PROG_G_STEP;
    m->programs[s].role = GAN_PROG_TRAIN_STEP;
    expect_invalid(m, "role train_step needs a network");
    m->programs[s].role = GAN_PROG_SAMPLE;
    m->programs[d].role = GAN_PROG_PREDICT;
    expect_invalid(m, "role predict takes no network");
    /* any number of auxiliary programs */
    m->programs[d].role = GAN_PROG_AUX;
    m->programs[s].role = GAN_PROG_AUX;
    ck_assert_msg(gan_model_validate(m, err, sizeof err) == 0, "%s", err);
    gan_model_free(m);
}
END_TEST

START_TEST(role_names)
{
    ck_assert_str_eq(gan_program_role_name(GAN_PROG_TRAIN_STEP), "train_step");
    ck_assert_str_eq(gan_program_role_name(99), "?");
    for (int r = GAN_PROG_D_STEP; r < GAN_PROG_ROLE_COUNT; r++)
        ck_assert_int_eq(gan_program_role_of_name(gan_program_role_name(r)), r);
    ck_assert_int_eq(gan_program_role_of_name("step"), GAN_PROG_AUX);
    ck_assert_int_eq(gan_program_role_of_name(NULL), GAN_PROG_AUX);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("program_roles");
    TCase *tc = tcase_create("roles");
    tcase_add_test(tc, roles_round_trip);
    tcase_add_test(tc, version_one_is_refused);
    tcase_add_test(tc, validator_holds_roles_to_their_rules);
    tcase_add_test(tc, role_names);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
