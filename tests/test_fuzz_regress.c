/* Replays fuzz/regress/<target>/ (every input a fuzz target ever crashed on, kept after its
 * fix) and the seed corpora fuzz/corpus/<target>/ through the targets' own entry points
 * (fuzz/fuzz_*.c, here built by gcc, and under ASan + UBSan in the asan pass of make check).
 * A regression is a crash or a sanitizer report; the test only counts what it fed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/model.h"
#include "fuzz/fuzz.h"
#include "runtime/train.h"
#include "tests/util/fe_util.h"
#include "tests/util/train_util.h"

typedef int (*fuzz_fn)(const uint8_t *, size_t);

static const struct {
    const char *name;
    fuzz_fn fn;
} targets[] = {
    {"gan", fuzz_gan_one},     {"model", fuzz_model_one}, {"ckpt", fuzz_ckpt_one},
    {"attrs", fuzz_attrs_one}, {"image", fuzz_image_one},
};

/* Feeds every file of DIR/<sub>/<target>; the number fed (0 if the folder is absent). */
static int replay(const char *sub, int k)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fuzz/%s/%s", fe_t_root(), sub, targets[k].name);
    char **names;
    int n = fe_t_list(dir, "", &names);
    if (n < 0)
        return 0;
    int fed = 0;
    for (int i = 0; i < n; i++) {
        if (names[i][0] == '.' || !strcmp(names[i], "README.md"))
            continue;
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *data = fe_t_read(p, &len);
        ck_assert_msg(data != NULL, "cannot read %s", p);
        ck_assert_int_eq(targets[k].fn((const uint8_t *)data, len), 0);
        free(data);
        fed++;
    }
    fe_t_list_free(names, n);
    return fed;
}

START_TEST(regress_inputs)
{
    int k = _i;
    int fed = replay("regress", k);
    fprintf(stderr, "test_fuzz_regress: %s: %d regression inputs\n", targets[k].name, fed);
}
END_TEST

START_TEST(corpus_inputs)
{
    int k = _i;
    int fed = replay("corpus", k);
    ck_assert_msg(fed > 0, "fuzz/corpus/%s is empty", targets[k].name);
}
END_TEST

/* The checkpoint target's fixed model must compile, or that target tests nothing. */
START_TEST(ckpt_model_compiles)
{
    ck_assert_ptr_nonnull(fuzz_ckpt_model());
}
END_TEST

/* How many files of fuzz/corpus/<name> load: model.bin files as they are, checkpoints against
 * the checkpoint target's fixed model. A corpus none of whose files loads (the format moved on:
 * the model corpus was once all version 2 under a version-3 loader) stops every input at the
 * first check, and fuzzing it tests nothing behind that. */
static int corpus_loads(const char *name)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", fe_t_root(), name);
    char **names;
    int n = fe_t_list(dir, "", &names);
    ck_assert_int_gt(n, 0);
    const gan_model *cm = fuzz_ckpt_model();
    ck_assert_ptr_nonnull(cm);
    float *base[GAN_REGION_COUNT];
    train_alloc_base(cm, base);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        if (names[i][0] == '.')
            continue;
        char p[8192], err[512];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *data = fe_t_read(p, &len);
        ck_assert_ptr_nonnull(data);
        if (!strcmp(name, "model")) {
            gan_model *m = gan_model_load_mem(data, len, p, err, sizeof err);
            ok += m != NULL;
            gan_model_free(m);
        } else {
            gan_ckpt_info info;
            ok += gan_ckpt_load_mem(data, len, p, cm, base, &info, err, sizeof err) == 0;
        }
        free(data);
    }
    train_free_base(base);
    fe_t_list_free(names, n);
    return ok;
}

START_TEST(binary_corpora_hold_loadable_files)
{
    int models = corpus_loads("model"), ckpts = corpus_loads("ckpt");
    fprintf(stderr, "test_fuzz_regress: %d model.bin and %d checkpoint corpus files load\n",
            models, ckpts);
    ck_assert_msg(models >= 3, "only %d files of fuzz/corpus/model load: compile fresh seeds",
                  models);
    ck_assert_msg(ckpts >= 1, "no file of fuzz/corpus/ckpt loads against fuzz_small_gan");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fuzz_regress");
    TCase *tc = tcase_create("replay");
    tcase_set_timeout(tc, 300);
    int n = (int)(sizeof targets / sizeof targets[0]);
    tcase_add_test(tc, ckpt_model_compiles);
    tcase_add_test(tc, binary_corpora_hold_loadable_files);
    tcase_add_loop_test(tc, regress_inputs, 0, n);
    tcase_add_loop_test(tc, corpus_inputs, 0, n);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
