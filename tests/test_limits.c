/* ganc's resource limits (docs/compiler.md, "Limits"): every case in tests/golden/limits/ is
 * refused with its expected, located message; the flags parse strictly; a limit raised by
 * flag lets the same model through. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "format/model.h"
#include "tests/util/fe_util.h"
#include "tests/util/train_util.h"

/* Runs ganc in tests/golden/limits with args; stderr into err (stdout dropped). */
static int ganc_in_limits(const char *args, char *err, size_t errlen)
{
    const char *g = getenv("GANC");
    char *tmp = train_tmpdir();
    char cmd[4096], path[1100];
    snprintf(path, sizeof path, "%s/stderr", tmp);
    snprintf(cmd, sizeof cmd, "cd '%s/tests/golden/limits' && '%s' %s >/dev/null 2>'%s'",
             fe_t_root(), g, args, path);
    int st = system(cmd);
    char *out = fe_t_read(path, NULL);
    snprintf(err, errlen, "%s", out ? out : "");
    free(out);
    train_rmrf(tmp);
    free(tmp);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(golden_limits)
{
    if (!getenv("GANC"))
        return;
    char *dir = malloc(strlen(fe_t_root()) + 32);
    sprintf(dir, "%s/tests/golden/limits", fe_t_root());
    char **names;
    int n = fe_t_list(dir, ".gan", &names);
    ck_assert_int_ge(n, 4);
    for (int i = 0; i < n; i++) {
        char p[4096], stem[300];
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(names[i]) - 4), names[i]);
        snprintf(p, sizeof p, "%s/%s.args", dir, stem);
        char *args = fe_t_read(p, NULL);
        ck_assert_msg(args != NULL, "missing %s", p);
        args[strcspn(args, "\n")] = 0;
        snprintf(p, sizeof p, "%s/%s.expected", dir, stem);
        char *expected = fe_t_read(p, NULL);
        ck_assert_msg(expected != NULL, "missing %s", p);
        char *tmp = train_tmpdir();
        char cmd[2048], err[8192];
        snprintf(cmd, sizeof cmd, "%s %s -o '%s/m.bin'", names[i], args, tmp);
        int rc = ganc_in_limits(cmd, err, sizeof err);
        ck_assert_msg(rc == 1, "%s: exit %d, wanted 1\n%s", names[i], rc, err);
        ck_assert_msg(!strcmp(err, expected), "%s:\n--- expected\n%s--- got\n%s---", names[i],
                      expected, err);
        snprintf(p, sizeof p, "%s/m.bin", tmp);
        struct stat st;
        ck_assert_msg(stat(p, &st) != 0, "%s: a refused model was written", names[i]);
        /* located at the network: "NAME.gan:LINE:COL: error:" */
        char prefix[400];
        snprintf(prefix, sizeof prefix, "%s:", names[i]);
        ck_assert_msg(!strncmp(err, prefix, strlen(prefix)) && fe_t_every_error_located(err, names[i]) > 0,
                      "%s: unlocated: %s", names[i], err);
        train_rmrf(tmp);
        free(tmp);
        free(expected);
        free(args);
    }
    fe_t_list_free(names, n);
    free(dir);
}
END_TEST

START_TEST(raised_limits_pass)
{
    if (!getenv("GANC"))
        return;
    char err[8192];
    ck_assert_msg(ganc_in_limits("03_demo_max_params.gan --check --max-params 429644", err, sizeof err) == 0, "%s", err);
    ck_assert_msg(ganc_in_limits("03_demo_max_params.gan --check --max-params 429643", err, sizeof err) == 1, "%s", err);
    ck_assert_msg(ganc_in_limits("01_params_default.gan --check --max-params 2000000000", err, sizeof err) == 0, "%s", err);
    ck_assert_msg(ganc_in_limits("04_demo_max_memory.gan --report --max-memory 15M", err, sizeof err) == 0, "%s", err);
}
END_TEST

START_TEST(limit_flags_strict)
{
    if (!getenv("GANC"))
        return;
    static const char *const bad[] = {"--max-params", "--max-params 0", "--max-params -5",
                                      "--max-params 12x", "--max-params 1G", "--max-memory",
                                      "--max-memory 0", "--max-memory 65G", "--max-memory 1T",
                                      "--max-memory -1M", "--max-memory 99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char args[256], err[4096];
        snprintf(args, sizeof args, "03_demo_max_params.gan --check %s", bad[i]);
        int rc = ganc_in_limits(args, err, sizeof err);
        ck_assert_msg(rc == 2, "'%s': exit %d\n%s", bad[i], rc, err);
        ck_assert_msg(strstr(err, bad[i][6] == 'p' ? "--max-params" : "--max-memory"), "'%s': %s", bad[i], err);
    }
    char err[4096];
    ck_assert_int_eq(ganc_in_limits("03_demo_max_params.gan --check --max-memory 64G", err, sizeof err), 0);
}
END_TEST

/* The loader's own bound: a file whose regions ask for more than GAN_MODEL_MAX_BYTES is
 * refused by validation (so before ganrt allocates them), with the reason; one float less
 * than the bound in total is not refused for its size. */
START_TEST(loader_refuses_huge_plans)
{
    char err[512];
    gan_model *m = train_fx_build(TRAIN_FX_GAN, 0, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_int_eq(gan_model_validate(m, err, sizeof err), 0);
    uint64_t others = 0;
    for (int r = 0; r < GAN_REGION_ARENA; r++)
        others += m->region_floats[r];
    uint64_t keep = m->region_floats[GAN_REGION_ARENA];
    m->region_floats[GAN_REGION_ARENA] = GAN_MODEL_MAX_BYTES / 4 - others + 1;
    void *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(gan_model_write_mem(m, &buf, &len), 0);
    gan_model *back = gan_model_load_mem(buf, len, "huge.bin", err, sizeof err);
    ck_assert_ptr_null(back);
    ck_assert_msg(strstr(err, "memory plan needs") != NULL, "%s", err);
    free(buf);
    m->region_floats[GAN_REGION_ARENA] = GAN_MODEL_MAX_BYTES / 4 - others;
    ck_assert_msg(gan_model_validate(m, err, sizeof err) == 0, "%s", err);
    m->region_floats[GAN_REGION_ARENA] = keep;
    train_fx_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("ganc");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, golden_limits);
    tcase_add_test(tc, raised_limits_pass);
    tcase_add_test(tc, limit_flags_strict);
    tcase_add_test(tc, loader_refuses_huge_plans);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
