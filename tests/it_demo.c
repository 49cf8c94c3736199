/* Integration: the zero-download quick start in small. `ganrt data synth` renders a small
 * labelled set, `ganc` compiles models/demo.gan, `ganrt train` trains it briefly, and
 * `ganrt sample` answers attribute requests. Checks: every loss finite, the attribute head's
 * loss on real faces falls (the discriminator learns the rendered attributes), and every
 * output file exists with the right shape (grid, checkpoint, single images with a CelebA
 * attribute file that records what was asked). Plain build only: it trains for real. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "runtime/data.h"
#include "tests/util/train_util.h"

#define STEPS 200

static char out[65536];

static int run(char *const *argv)
{
    int rc = train_spawn(argv, out, sizeof out);
    fprintf(stderr, "it_demo: %s %s: exit %d\n", argv[0], argv[1], rc);
    return rc;
}

/* Column index of `name` in the metrics.csv header, -1 if absent. */
static int column(const char *header, const char *name)
{
    int col = 0;
    for (const char *c = header; c; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL, col++)
        if (!strncmp(c, name, strlen(name)) && (c[strlen(name)] == ',' || c[strlen(name)] == '\n'))
            return col;
    return -1;
}

static double field(const char *line, int col)
{
    const char *c = line;
    for (int i = 0; i < col && c; i++)
        c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL;
    return c ? strtod(c, NULL) : NAN;
}

START_TEST(demo_trains_and_samples)
{
    const char *ganc = getenv("GANC"), *ganrt = getenv("GANRT");
    ck_assert_msg(ganc && ganrt, "set GANC and GANRT (make integration does)");
    char *dir = train_tmpdir();
    char data[4200], bin[4200], rundir[4200], p[4400], one[4600];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(bin, sizeof bin, "%s/demo.bin", dir);
    snprintf(rundir, sizeof rundir, "%s/run", dir);

    int rc = run((char *const[]){(char *)ganrt, "data", "synth", "--n", "1500", "--size", "32",
                                 "--seed", "5", "-o", data, "--quiet", NULL});
    ck_assert_msg(rc == 0, "data synth: exit %d: %s", rc, out);
    rc = run((char *const[]){(char *)ganc, "models/demo.gan", "-o", bin, NULL});
    ck_assert_msg(rc == 0, "ganc: exit %d: %s", rc, out);

    char steps[16];
    snprintf(steps, sizeof steps, "%d", STEPS);
    rc = run((char *const[]){(char *)ganrt, "train", bin, "--data", data, "--out", rundir,
                             "--steps", steps, "--threads", "2", "--sample-every", "100",
                             "--ckpt-every", "100", NULL});
    ck_assert_msg(rc == 0, "train: exit %d: %s", rc, out);

    /* metrics: STEPS rows, all finite; the attribute loss on real faces falls */
    snprintf(p, sizeof p, "%s/metrics.csv", rundir);
    FILE *f = fopen(p, "r");
    ck_assert_ptr_nonnull(f);
    char header[4096], line[4096];
    ck_assert_ptr_nonnull(fgets(header, sizeof header, f));
    /* d_step outputs: total, hinge/bce real, fake, attribute bce on real (the third term) */
    int cls = column(header, "d_loss_cls_real");
    ck_assert_msg(cls > 0, "no d_loss_cls_real column in: %s", header);
    double first = 0, last = 0;
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        rows++;
        for (char *c = line; c; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL)
            ck_assert_msg(isfinite(strtod(c, NULL)), "row %d not finite: %s", rows, line);
        double v = field(line, cls);
        if (rows <= 20)
            first += v / 20;
        if (rows > STEPS - 20)
            last += v / 20;
    }
    fclose(f);
    ck_assert_int_eq(rows, STEPS);
    fprintf(stderr, "it_demo: attribute loss on real faces: first 20 steps %.4f, last 20 %.4f\n",
            first, last);
    ck_assert_msg(last < 0.8 * first, "attribute loss did not fall: %.4f -> %.4f", first, last);

    snprintf(p, sizeof p, "%s/samples/step_%06d.png", rundir, STEPS);
    ck_assert_msg(access(p, F_OK) == 0, "%s missing", p);
    snprintf(p, sizeof p, "%s/ckpt/step_%06d.ckpt", rundir, STEPS);
    ck_assert_msg(access(p, F_OK) == 0, "%s missing", p);

    /* a --vary grid: 2^2 rows of the model's image size */
    snprintf(p, sizeof p, "%s/vary.png", dir);
    rc = run((char *const[]){(char *)ganrt, "sample", bin, "--ckpt", rundir, "--vary",
                             "Smiling,Eyeglasses", "--cols", "4", "-o", p, NULL});
    ck_assert_msg(rc == 0, "sample --vary: exit %d: %s", rc, out);
    gan_image8 img = {0};
    char err[512];
    ck_assert_msg(gan_image_read_file(p, 3, &img, err, sizeof err) == 0, "%s", err);
    ck_assert_int_ge(img.h, 4 * 32);
    ck_assert_int_ge(img.w, 4 * 32);
    free(img.px);

    /* --out-dir: single faces plus a CelebA attribute file of what was asked */
    snprintf(p, sizeof p, "%s/faces", dir);
    snprintf(one, sizeof one, "%s/grid.png", dir);
    rc = run((char *const[]){(char *)ganrt, "sample", bin, "--ckpt", rundir, "--attr",
                             "Smiling=1,Male=0", "-n", "5", "--out-dir", p, "-o", one, NULL});
    ck_assert_msg(rc == 0, "sample --out-dir: exit %d: %s", rc, out);
    snprintf(one, sizeof one, "%s/list_attr_celeba.txt", p);
    gan_attr_table t = {0};
    ck_assert_msg(gan_attr_table_read(one, &t, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq((int)t.n_rows, 5);
    int smiling = gan_attr_find(&t, "Smiling"), male = gan_attr_find(&t, "Male");
    ck_assert_int_ge(smiling, 0);
    ck_assert_int_ge(male, 0);
    for (size_t r = 0; r < t.n_rows; r++) {
        ck_assert_int_eq(t.values[r * t.n_attrs + smiling], 1);
        ck_assert_int_eq(t.values[r * t.n_attrs + male], -1);
    }
    gan_attr_table_free(&t);
    snprintf(one, sizeof one, "%s/000005.png", p);
    ck_assert_msg(access(one, F_OK) == 0, "%s missing", one);

    train_rmrf(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_demo");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 1800);
    tcase_add_test(tc, demo_trains_and_samples);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
