/* End-to-end training runtime on tiny models (spawned ganrt): a conditional GAN trains with
 * finite losses, writes grids and checkpoints, resumes bit-exactly; a classifier's loss falls;
 * NaN stops the run leaving the last checkpoint intact; corrupted checkpoints are clean
 * errors; `ganrt sample` modes; a bad image is skipped with a warning. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/bytes.h"
#include "format/model.h"
#include "runtime/train.h"
#include "tests/util/train_util.h"

static char *g_dir; /* per test (each test runs in its own forked process) */
static char g_model[4200], g_data[4200], g_out[16384];

static const char *ganrt(void)
{
    const char *g = getenv("GANRT");
    return g && *g ? g : "build/release/ganrt";
}

static int run(const char *first, ...)
{
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)ganrt();
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s && n < 63; s = va_arg(ap, const char *))
        argv[n++] = (char *)s;
    va_end(ap);
    argv[n] = NULL;
    return train_spawn(argv, g_out, sizeof g_out);
}

static char *path(const char *rel)
{
    static char bufs[8][4400];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", g_dir, rel);
    return b;
}

static void setup(int kind, float lr, int n_images)
{
    g_dir = train_tmpdir();
    ck_assert_ptr_nonnull(g_dir);
    char err[1024];
    snprintf(g_model, sizeof g_model, "%s/model.bin", g_dir);
    snprintf(g_data, sizeof g_data, "%s/data", g_dir);
    ck_assert_msg(train_fx_model(g_model, kind, lr, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(train_fx_data(g_data, n_images, err, sizeof err) == 0, "%s", err);
}

static void teardown_dir(void)
{
    train_rmrf(g_dir);
    free(g_dir);
}

static unsigned char *slurp(const char *p, size_t *len)
{
    uint8_t *b;
    return gan_read_file(p, &b, len, SIZE_MAX, NULL, 0) ? NULL : b;
}

static int exists(const char *p) { return access(p, F_OK) == 0; }

/* Values of column `col` in a metrics.csv; returns the row count. */
static int metric_column(const char *file, const char *col, double *vals, int max)
{
    size_t len;
    char *t = (char *)slurp(file, &len);
    ck_assert_msg(t != NULL, "%s missing", file);
    char *save = NULL, *line = strtok_r(t, "\n", &save);
    int idx = -1, k = 0, rows = 0;
    for (char *c = line; c; k++) {
        char *comma = strchr(c, ',');
        size_t n = comma ? (size_t)(comma - c) : strlen(c);
        if (n == strlen(col) && !strncmp(c, col, n))
            idx = k;
        c = comma ? comma + 1 : NULL;
    }
    ck_assert_msg(idx >= 0, "no column %s in %s", col, file);
    while ((line = strtok_r(NULL, "\n", &save)) && rows < max) {
        char *c = line;
        for (int j = 0; j < idx && c; j++) {
            c = strchr(c, ',');
            if (c)
                c++;
        }
        ck_assert_ptr_nonnull(c);
        vals[rows++] = strtod(c, NULL);
    }
    free(t);
    return rows;
}

/* First loss column name of a metrics header starting with prefix. */
/* --out-dir's list_attr_celeba.txt: up to max rows of 40 values (+1/-1); the row count. */
static int out_dir_attrs(const char *file, int (*v)[40], int max)
{
    size_t n;
    char *t = (char *)slurp(file, &n);
    ck_assert_msg(t != NULL, "%s missing", file);
    char *save = NULL;
    int rows = 0;
    strtok_r(t, "\n", &save);
    strtok_r(NULL, "\n", &save);
    for (char *line = strtok_r(NULL, "\n", &save); line && rows < max;
         line = strtok_r(NULL, "\n", &save)) {
        int k = 0;
        char *c = strchr(line, ' ');
        while (c && k < 40) {
            v[rows][k++] = (int)strtol(c, &c, 10);
            if (*c != ' ')
                break;
        }
        ck_assert_int_eq(k, 40);
        rows++;
    }
    free(t);
    return rows;
}

static void first_col(const char *file, const char *prefix, char *out, size_t len)
{
    size_t n;
    char *t = (char *)slurp(file, &n);
    ck_assert_ptr_nonnull(t);
    char *p = strstr(t, prefix);
    ck_assert_msg(p != NULL, "no %s column: %s", prefix, t);
    size_t k = strcspn(p, ",\n");
    snprintf(out, len, "%.*s", (int)k, p);
    free(t);
}

START_TEST(gan_trains_and_resumes_bit_exact)
{
    setup(TRAIN_FX_GAN, 0, 64);
    /* A: 6 steps straight. B: 3 steps, then --resume to 6. Same thread count. */
    int rc = run("train", g_model, "--data", g_data, "--out", path("A"), "--steps", "6",
                 "--threads", "1", "--seed", "5", "--ckpt-every", "3", "--sample-every", "3",
                 NULL);
    ck_assert_msg(rc == 0, "A: exit %d: %s", rc, g_out);
    rc = run("train", g_model, "--data", g_data, "--out", path("B"), "--steps", "3", "--threads",
             "1", "--seed", "5", "--ckpt-every", "3", "--sample-every", "3", NULL);
    ck_assert_msg(rc == 0, "B1: exit %d: %s", rc, g_out);
    rc = run("train", g_model, "--data", g_data, "--out", path("B"), "--steps", "6", "--threads",
             "1", "--resume", "--ckpt-every", "3", "--sample-every", "3", NULL);
    ck_assert_msg(rc == 0, "B2: exit %d: %s", rc, g_out);
    ck_assert_msg(strstr(g_out, "resumed"), "%s", g_out);
    size_t la, lb;
    unsigned char *a = slurp(path("A/ckpt/step_000006.ckpt"), &la);
    unsigned char *b = slurp(path("B/ckpt/step_000006.ckpt"), &lb);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(la, lb);
    ck_assert_msg(!memcmp(a, b, la), "resumed run's checkpoint differs from the straight run's");
    free(a);
    free(b);
    /* grids and the checkpoint bookkeeping */
    ck_assert(exists(path("A/samples/step_000003.png")));
    ck_assert(exists(path("A/samples/step_000006.png")));
    ck_assert(exists(path("B/samples/step_000006.png")));
    size_t n;
    char *latest = (char *)slurp(path("A/ckpt/latest"), &n);
    ck_assert_str_eq(latest, "step_000006.ckpt\n");
    free(latest);
    /* metrics: 6 rows, finite losses; the resumed run has the same rows */
    char col[256];
    first_col(path("A/metrics.csv"), "d_loss", col, sizeof col);
    double va[16], vb[16];
    ck_assert_int_eq(metric_column(path("A/metrics.csv"), col, va, 16), 6);
    ck_assert_int_eq(metric_column(path("B/metrics.csv"), col, vb, 16), 6);
    for (int i = 0; i < 6; i++) {
        ck_assert(isfinite(va[i]));
        ck_assert_msg(va[i] == vb[i], "row %d: %g vs %g", i, va[i], vb[i]);
    }
    first_col(path("A/metrics.csv"), "g_loss", col, sizeof col);
    ck_assert_int_eq(metric_column(path("A/metrics.csv"), col, va, 16), 6);
    /* a second plain run into an existing run directory is refused */
    rc = run("train", g_model, "--data", g_data, "--out", path("A"), "--steps", "2", NULL);
    ck_assert_msg(rc == 1 && strstr(g_out, "--resume"), "exit %d: %s", rc, g_out);
    teardown_dir();
}
END_TEST

START_TEST(classifier_loss_falls)
{
    setup(TRAIN_FX_CLASSIFIER, 0, 96);
    int rc = run("train", g_model, "--data", g_data, "--out", path("C"), "--steps", "120",
                 "--threads", "1", "--ckpt-every", "1000", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    char col[256];
    first_col(path("C/metrics.csv"), "c_loss", col, sizeof col);
    double v[200];
    ck_assert_int_eq(metric_column(path("C/metrics.csv"), col, v, 200), 120);
    double first = 0, last = 0;
    for (int i = 0; i < 20; i++) {
        first += v[i] / 20;
        last += v[100 + i] / 20;
    }
    /* BCE starts near log 2; even learning the label frequencies alone lowers it */
    ck_assert_msg(last < 0.9 * first, "loss did not fall: first 20 steps %.4f, last 20 %.4f",
                  first, last);
    teardown_dir();
}
END_TEST

START_TEST(nan_stops_and_keeps_last_checkpoint)
{
    setup(TRAIN_FX_GAN, 0, 64);
    /* two good steps, then the same run resumed with a model whose learning rates are absurd
     * (same tensors, so the checkpoint fits): it must blow up within a few steps */
    int rc = run("train", g_model, "--data", g_data, "--out", path("N"), "--steps", "2",
                 "--threads", "1", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    char err[1024], hot[4400];
    snprintf(hot, sizeof hot, "%s/hot.bin", g_dir);
    ck_assert_msg(train_fx_model(hot, TRAIN_FX_GAN, 1e38f, err, sizeof err) == 0, "%s", err);
    rc = run("train", hot, "--data", g_data, "--out", path("N"), "--steps", "40", "--threads",
             "1", "--ckpt-every", "1", "--keep", "100", "--resume", NULL);
    ck_assert_msg(rc == 1, "exit %d: %s", rc, g_out);
    char *m = strstr(g_out, "error: step ");
    ck_assert_msg(m && strstr(g_out, "non-finite"), "%s", g_out);
    int bad = atoi(m + strlen("error: step "));
    ck_assert_int_ge(bad, 3);
    char name[64];
    snprintf(name, sizeof name, "N/ckpt/step_%06d.ckpt", bad);
    ck_assert_msg(!exists(path(name)), "a checkpoint of the failed step %d was written", bad);
    /* the last good one is named, is what latest points at, and loads */
    snprintf(name, sizeof name, "step_%06d.ckpt", bad - 1);
    ck_assert_msg(strstr(g_out, name), "%s", g_out);
    gan_model *mm = gan_model_load(g_model, err, sizeof err);
    ck_assert_msg(mm != NULL, "%s", err);
    float *base[GAN_REGION_COUNT];
    train_alloc_base(mm, base);
    char cp[4400];
    ck_assert_int_eq(gan_ckpt_resolve(path("N"), cp, sizeof cp, err, sizeof err), 0);
    ck_assert_msg(strstr(cp, name), "latest is %s", cp);
    gan_ckpt_info info;
    ck_assert_msg(gan_ckpt_load(cp, mm, base, &info, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq((int)info.step, bad - 1);
    train_free_base(base);
    gan_model_free(mm);
    teardown_dir();
}
END_TEST

START_TEST(poisoned_weight_names_tensor)
{
    setup(TRAIN_FX_GAN, 0, 32);
    int rc = run("train", g_model, "--data", g_data, "--out", path("P"), "--steps", "1",
                 "--threads", "1", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    /* poison one of D's weights with a huge value: D's gradient overflows, or its loss */
    char err[1024], cp[4400];
    gan_model *mm = gan_model_load(g_model, err, sizeof err);
    ck_assert_msg(mm != NULL, "%s", err);
    float *base[GAN_REGION_COUNT];
    train_alloc_base(mm, base);
    ck_assert_int_eq(gan_ckpt_resolve(path("P"), cp, sizeof cp, err, sizeof err), 0);
    gan_ckpt_info info;
    ck_assert_int_eq(gan_ckpt_load(cp, mm, base, &info, err, sizeof err), 0);
    int victim = -1;
    for (int i = 0; i < mm->n_tensors && victim < 0; i++)
        if (mm->tensors[i].region == GAN_REGION_PARAM && !(mm->tensors[i].flags & GAN_TF_AGGREGATE) &&
            !strncmp(mm->tensors[i].name, "D.", 2))
            victim = i;
    ck_assert_int_ge(victim, 0);
    base[GAN_REGION_PARAM][mm->tensors[victim].offset] = NAN;
    ck_assert_int_eq(gan_ckpt_write(path("poison.ckpt"), mm, base, &info, err, sizeof err), 0);
    train_free_base(base);
    gan_model_free(mm);
    rc = run("train", g_model, "--data", g_data, "--out", path("Q"), "--steps", "3",
             "--threads", "1", "--init", path("poison.ckpt"), NULL);
    ck_assert_msg(rc == 1 && strstr(g_out, "step 1:") && strstr(g_out, "non-finite"), "exit %d: %s",
                  rc, g_out);
    ck_assert_msg(strstr(g_out, "init: loaded"), "%s", g_out);
    teardown_dir();
}
END_TEST

START_TEST(corrupted_checkpoint_is_clean_error)
{
    setup(TRAIN_FX_GAN, 0, 32);
    int rc = run("train", g_model, "--data", g_data, "--out", path("R"), "--steps", "2",
                 "--threads", "1", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    size_t n;
    unsigned char *b = slurp(path("R/ckpt/step_000002.ckpt"), &n);
    ck_assert_ptr_nonnull(b);
    /* a flipped byte: sample says which file and what */
    b[n - 5] ^= 0x40;
    FILE *f = fopen(path("flipped.ckpt"), "wb");
    fwrite(b, 1, n, f);
    fclose(f);
    rc = run("sample", g_model, "--ckpt", path("flipped.ckpt"), "-o", path("x.png"), NULL);
    ck_assert_msg(rc == 1 && strstr(g_out, "flipped.ckpt") && strstr(g_out, "CRC"),
                  "exit %d: %s", rc, g_out);
    /* a truncated latest checkpoint: --resume fails cleanly, naming it */
    b[n - 5] ^= 0x40;
    f = fopen(path("R/ckpt/step_000002.ckpt"), "wb");
    fwrite(b, 1, n / 2, f);
    fclose(f);
    rc = run("train", g_model, "--data", g_data, "--out", path("R"), "--steps", "4", "--resume",
             NULL);
    ck_assert_msg(rc == 1 && strstr(g_out, "step_000002.ckpt") && strstr(g_out, "truncated"),
                  "exit %d: %s", rc, g_out);
    free(b);
    teardown_dir();
}
END_TEST

START_TEST(sample_modes)
{
    setup(TRAIN_FX_GAN, 0, 32);
    int rc = run("train", g_model, "--data", g_data, "--out", path("S"), "--steps", "2",
                 "--threads", "1", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    rc = run("sample", g_model, "--ckpt", path("S"), "-o", path("a.png"), "--attr",
             "Smiling=1,Eyeglasses=0", "-n", "11", NULL);
    ck_assert_msg(rc == 0 && exists(path("a.png")), "exit %d: %s", rc, g_out);
    ck_assert_msg(strstr(g_out, "1 attribute not given are 0") || strstr(g_out, "are 0"), "%s",
                  g_out);
    rc = run("sample", g_model, "--ckpt", path("S"), "-o", path("b.png"), "--attr", "Smilng=1",
             NULL);
    ck_assert_msg(rc == 2 && strstr(g_out, "did you mean 'Smiling'"), "exit %d: %s", rc, g_out);
    rc = run("sample", g_model, "--ckpt", path("S"), "-o", path("v.png"), "--vary",
             "Smiling,Male", "--cols", "3", NULL);
    ck_assert_msg(rc == 0 && strstr(g_out, "12 images"), "exit %d: %s", rc, g_out);
    /* --truncation: the same seed's faces, tamer; a different picture */
    rc = run("sample", g_model, "--ckpt", path("S"), "--out-dir", path("t0"), "-n", "4", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    rc = run("sample", g_model, "--ckpt", path("S"), "--out-dir", path("t1"), "-n", "4",
             "--truncation", "0.3", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    size_t l0, l1;
    unsigned char *p0 = slurp(path("t0/000001.png"), &l0), *p1 = slurp(path("t1/000001.png"), &l1);
    ck_assert(p0 && p1 && (l0 != l1 || memcmp(p0, p1, l0)));
    free(p0);
    free(p1);
    rc = run("sample", g_model, "--ckpt", path("S"), "-o", path("i.png"), "--interpolate", "-n",
             "9", "--no-ema", NULL);
    ck_assert_msg(rc == 0 && strstr(g_out, "16 images") && strstr(g_out, "raw weights"),
                  "exit %d: %s", rc, g_out);
    rc = run("sample", g_model, "--ckpt", path("S/ckpt/step_000002.ckpt"), "--out-dir",
             path("od"), "-n", "5", "--attrs-from", path("data/list_attr_celeba.txt"), NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    ck_assert(exists(path("od/000005.png")) && !exists(path("od/000006.png")));
    size_t n;
    char *t = (char *)slurp(path("od/list_attr_celeba.txt"), &n);
    ck_assert_ptr_nonnull(t);
    ck_assert_msg(!strncmp(t, "5\n5_o_Clock_Shadow Arched_Eyebrows", 34), "%s", t);
    ck_assert_msg(strstr(t, "\n000001.png "), "%s", t);
    /* rows have 40 values; Bald (not a model label) is always -1 */
    char *row = strstr(t, "\n000003.png ");
    ck_assert_ptr_nonnull(row);
    int vals = 0;
    for (char *c = row + 12; *c && *c != '\n'; c++)
        vals += (*c == '1');
    ck_assert_int_eq(vals, 40);
    free(t);
    /* --rest-from: unset attributes copied from random rows (0.5 of them set in the fixture data) */
    rc = run("sample", g_model, "--ckpt", path("S"), "--out-dir", path("od2"), "-n", "40",
             "--attr", "Smiling=1", "--rest-from", path("data/list_attr_celeba.txt"), NULL);
    ck_assert_msg(rc == 0 && strstr(g_out, "2 attributes not given are taken from random rows"),
                  "exit %d: %s", rc, g_out);
    /* columns (0-based): Eyeglasses 15, Male 20, Smiling 31 */
    static int v[64][40];
    int rows = out_dir_attrs(path("od2/list_attr_celeba.txt"), v, 64);
    int ones[3] = {0, 0, 0}, cols[3] = {15, 20, 31};
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < 3; j++)
            ones[j] += v[i][cols[j]] == 1;
    ck_assert_int_eq(rows, 40);
    ck_assert_int_eq(ones[2], 40);
    ck_assert_msg(ones[0] > 5 && ones[0] < 35 && ones[1] > 5 && ones[1] < 35,
                  "Eyeglasses %d, Male %d of 40", ones[0], ones[1]);
    /* --vary with --rest-from: a column keeps its face's other attributes down the rows, so
     * the varied one is all that changes (drawn per image, 16 pairs would rarely all agree) */
    rc = run("sample", g_model, "--ckpt", path("S"), "--out-dir", path("od3"), "--vary",
             "Smiling", "--cols", "8", "--rest-from", path("data/list_attr_celeba.txt"), NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    ck_assert_int_eq(out_dir_attrs(path("od3/list_attr_celeba.txt"), v, 64), 16);
    int differ = 0;
    for (int c = 0; c < 8; c++) {
        ck_assert_msg(v[c][31] == -1 && v[8 + c][31] == 1, "column %d: Smiling %d, %d", c,
                      v[c][31], v[8 + c][31]);
        ck_assert_msg(v[c][15] == v[8 + c][15] && v[c][20] == v[8 + c][20],
                      "column %d: Eyeglasses %d/%d, Male %d/%d", c, v[c][15], v[8 + c][15],
                      v[c][20], v[8 + c][20]);
        differ += v[c][15] != v[0][15] || v[c][20] != v[0][20];
    }
    ck_assert_msg(differ > 0, "all 8 columns drew the same rest attributes");
    teardown_dir();
}
END_TEST

START_TEST(bad_image_is_skipped)
{
    /* the loader tolerates up to 1% bad images: 1 of 128 */
    setup(TRAIN_FX_GAN, 0, 128);
    char p[4400];
    snprintf(p, sizeof p, "%s/img_align_celeba/000005.png", g_data);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("this is not an image", f);
    fclose(f);
    /* 3 batches of 8 per step: 6 steps read the whole set */
    int rc = run("train", g_model, "--data", g_data, "--out", path("B"), "--steps", "6",
                 "--threads", "1", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    ck_assert_msg(strstr(g_out, "000005") && strstr(g_out, "warning"), "%s", g_out);
    ck_assert(exists(path("B/ckpt/step_000006.ckpt")));
    teardown_dir();
}
END_TEST

START_TEST(epochs_budget_and_interrupt)
{
    setup(TRAIN_FX_GAN, 0, 64);
    /* one epoch of 64 images at 3 batches of 8 per step: ceil(64 / 24) = 3 steps */
    int rc = run("train", g_model, "--data", g_data, "--out", path("E"), "--epochs", "1",
                 "--threads", "1", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    ck_assert(exists(path("E/ckpt/step_000003.ckpt")));
    ck_assert(!exists(path("E/ckpt/step_000004.ckpt")));
    /* SIGINT: the step in flight finishes, a checkpoint is written, exit 130, resumable */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 2);
        execl(ganrt(), ganrt(), "train", g_model, "--data", g_data, "--out", path("I"),
              "--steps", "100000000", "--threads", "1", "--sample-every", "0",
              "--ckpt-every", "100000000", (char *)NULL);
        _exit(127);
    }
    char latest_dir[4400];
    snprintf(latest_dir, sizeof latest_dir, "%s", path("I/metrics.csv"));
    for (int i = 0; i < 200 && !exists(latest_dir); i++)
        usleep(50000);
    usleep(300000);
    kill(pid, SIGINT);
    int st;
    waitpid(pid, &st, 0);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 130, "status %d", st);
    char cp[4400], err[1024];
    ck_assert_msg(gan_ckpt_resolve(path("I"), cp, sizeof cp, err, sizeof err) == 0, "%s", err);
    rc = run("train", g_model, "--data", g_data, "--out", path("I"), "--resume", "--steps",
             "1", "--threads", "1", NULL);
    ck_assert_msg(rc == 0 && strstr(g_out, "nothing to do"), "exit %d: %s", rc, g_out);
    teardown_dir();
}
END_TEST

/* --minutes: the run stops after the step that ends its budget, with a checkpoint of that
 * step and a metrics row for it, exit 0; a resume goes on from there. */
START_TEST(minutes_budget)
{
    setup(TRAIN_FX_GAN, 0, 64);
    int rc = run("train", g_model, "--data", g_data, "--out", path("M"), "--steps", "100000000",
                 "--threads", "1", "--sample-every", "0", "--ckpt-every", "100000000",
                 "--minutes", "0.005", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    const char *m = strstr(g_out, "--minutes 0.005 reached: stopped at step ");
    ck_assert_msg(m, "%s", g_out);
    long long n = atoll(m + strlen("--minutes 0.005 reached: stopped at step "));
    ck_assert_msg(n >= 1 && n < 100000000, "step %lld: %s", n, g_out);
    char want[64], cp[4400], err[1024];
    snprintf(want, sizeof want, "step_%06lld.ckpt", n);
    ck_assert_msg(gan_ckpt_resolve(path("M"), cp, sizeof cp, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(strstr(cp, want), "%s is not %s", cp, want);
    double *steps = malloc(sizeof(double) << 20);
    ck_assert_ptr_nonnull(steps);
    int rows = metric_column(path("M/metrics.csv"), "step", steps, 1 << 20);
    ck_assert_msg(rows > 0 && steps[rows - 1] == (double)n, "%d rows, last %g, want %lld", rows,
                  rows > 0 ? steps[rows - 1] : -1.0, n);
    free(steps);
    rc = run("train", g_model, "--data", g_data, "--out", path("M"), "--resume", "--steps",
             "100000000", "--threads", "1", "--sample-every", "0", "--ckpt-every", "100000000",
             "--minutes", "0.005", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    m = strstr(g_out, "stopped at step ");
    ck_assert_msg(m && atoll(m + strlen("stopped at step ")) > n, "%s", g_out);
    teardown_dir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train_run");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, gan_trains_and_resumes_bit_exact);
    tcase_add_test(tc, classifier_loss_falls);
    tcase_add_test(tc, nan_stops_and_keeps_last_checkpoint);
    tcase_add_test(tc, poisoned_weight_names_tensor);
    tcase_add_test(tc, corrupted_checkpoint_is_clean_error);
    tcase_add_test(tc, sample_modes);
    tcase_add_test(tc, bad_image_is_skipped);
    tcase_add_test(tc, epochs_budget_and_interrupt);
    tcase_add_test(tc, minutes_budget);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
