/* Integration: the seed model (models/making_faces.gan, compiled by $GANC) trains on the real
 * CelebA subset in ../shared/data/celeba for a few hundred steps with $GANRT: finite losses,
 * a sample grid and a checkpoint written, and `ganrt sample` works from the run.
 * Skips (passes with a message) where the data set is absent.
 * Budget: IT_CELEBA_STEPS steps (default 200) with the model compiled at batch IT_CELEBA_BATCH
 * (default 25, via ganc --batch; the model's own is 100) on --limit 2000 images, 2 threads.
 * Measured at 14:35 UTC with the OpenMP-only kernels: about 1.1 s per step at batch 25 on the
 * 2 shared cores (4.5 s at batch 100), so the default run takes 4-5 minutes. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "runtime/train.h"
#include "tests/util/train_util.h"

#define DATA "../shared/data/celeba"

static char out[65536];

static int run(char *const *argv)
{
    double t0 = gan_now();
    int rc = train_spawn(argv, out, sizeof out);
    fprintf(stderr, "it_celeba: %s %s: exit %d in %.1f s\n", argv[0], argv[1], rc, gan_now() - t0);
    return rc;
}

START_TEST(seed_model_trains_on_celeba)
{
    if (access(DATA "/list_attr_celeba.txt", R_OK) != 0) {
        fprintf(stderr, "it_celeba: skip: %s not found (CelebA subset is not on this machine)\n",
                DATA);
        return;
    }
    const char *ganc = getenv("GANC"), *ganrt = getenv("GANRT");
    ck_assert_msg(ganc && ganrt, "set GANC and GANRT (make integration does)");
    const char *se = getenv("IT_CELEBA_STEPS");
    int steps = se && atoi(se) > 0 ? atoi(se) : 200;
    const char *be = getenv("IT_CELEBA_BATCH");
    char batch_s[32];
    snprintf(batch_s, sizeof batch_s, "%d", be && atoi(be) > 0 ? atoi(be) : 25);
    char steps_s[32], half_s[32];
    snprintf(steps_s, sizeof steps_s, "%d", steps);
    snprintf(half_s, sizeof half_s, "%d", steps / 2 > 0 ? steps / 2 : 1);
    char *dir = train_tmpdir();
    char bin[4200], rundir[4200], p[4400];
    snprintf(bin, sizeof bin, "%s/making_faces.bin", dir);
    snprintf(rundir, sizeof rundir, "%s/run", dir);

    int rc = run((char *const[]){(char *)ganc, "models/making_faces.gan", "-o", bin,
                             "--batch", batch_s, NULL});
    ck_assert_msg(rc == 0, "ganc models/making_faces.gan: exit %d: %s", rc, out);

    rc = run((char *const[]){(char *)ganrt, "train", bin, "--data", DATA, "--out", rundir,
                             "--steps", steps_s, "--limit", "2000", "--threads", "2",
                             "--sample-every", half_s, "--ckpt-every", half_s, NULL});
    ck_assert_msg(rc == 0, "ganrt train: exit %d: %s", rc, out);
    fprintf(stderr, "%s", out);

    /* every loss in every row finite; as many rows as steps */
    snprintf(p, sizeof p, "%s/metrics.csv", rundir);
    FILE *f = fopen(p, "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    int rows = -1;
    while (fgets(line, sizeof line, f)) {
        rows++;
        if (rows == 0)
            continue;
        for (char *c = line; c; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL) {
            double v = strtod(c, NULL);
            ck_assert_msg(isfinite(v), "row %d: %s", rows, line);
        }
    }
    fclose(f);
    ck_assert_int_eq(rows, steps);
    snprintf(p, sizeof p, "%s/samples/step_%06d.png", rundir, steps);
    ck_assert_msg(access(p, F_OK) == 0, "%s missing", p);
    snprintf(p, sizeof p, "%s/ckpt/step_%06d.ckpt", rundir, steps);
    ck_assert_msg(access(p, F_OK) == 0, "%s missing", p);

    snprintf(p, sizeof p, "%s/smiling.png", dir);
    rc = run((char *const[]){(char *)ganrt, "sample", bin, "--ckpt", rundir, "--attr",
                             "Smiling=1,Eyeglasses=1", "-n", "16", "-o", p, NULL});
    ck_assert_msg(rc == 0 && access(p, F_OK) == 0, "ganrt sample: exit %d: %s", rc, out);
    train_rmrf(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_celeba");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 1800);
    tcase_add_test(tc, seed_model_trains_on_celeba);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
