/* ganrt sample, as a new user ran into it (issue "No input crashes us, no run is lost"):
 * a categorical (one_of) model's --vary rows and --attr values are valid one-hot rows or
 * refused; a repeated attribute, --vary X with --attr X, --attr with --attrs-from, -o x.jpg
 * are refused; --standing without real attributes says what it needs; --vary on an unconditional model blames --vary; --help states the --vary limit.
 * The fixture: two 8x8 models (one_of and multilabel) compiled by ganc, trained 2 steps. */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "common/bytes.h"
#include "tests/util/train_util.h"

static char g_out[16384];
static char *g_dir;

#define tool train_tool

static const char model_src[] =
    "data faces { image 3 x 8 x 8 range [-1, 1]  labels %s }\n"
    "latent z : 8 ~ normal\n"
    "generator G(z, y) -> image {\n"
    "  out = concat(z, y) | dense(192) | reshape(3, 8, 8) | tanh\n}\n"
    "discriminator D(x : image) -> (adv : 1, cls : labels) {\n"
    "  h = x | flatten | dense(8) | leaky_relu(0.2)\n  adv = h | dense(1)\n  cls = h | dense(labels)\n}\n"
    "train {\n  batch 4  steps 2\n"
    "  loss D = hinge_real(D(x).adv) + hinge_fake(D(G(z, y)).adv) + %s(D(x).cls, y)\n"
    "  loss G = -mean(D(G(z, y)).adv)\n"
    "  optimizer D = adam(lr 2e-4)\n  optimizer G = adam(lr 2e-4)\n}\n";

/* ganrt ARGS... (NULL-terminated, at most 16) */
static int ganrt(const char *a0, ...)
{
    char *argv[20] = {(char *)tool("GANRT", "build/release/ganrt"), (char *)a0};
    va_list ap;
    va_start(ap, a0);
    for (int i = 2; i < 19 && (argv[i] = va_arg(ap, char *)) != NULL; i++)
        ;
    va_end(ap);
    return train_spawn(argv, g_out, sizeof g_out);
}

static void in_dir(char *p, size_t n, const char *name)
{
    snprintf(p, n, "%s/%s", g_dir, name);
}

/* NAME.gan compiled into NAME.bin, trained 2 steps into run_NAME */
static void build(const char *name, const char *labels, const char *loss)
{
    char src[2048], p[4400], bin[4400], run[4400], data[4400];
    snprintf(src, sizeof src, model_src, labels, loss);
    snprintf(p, sizeof p, "%s/%s.gan", g_dir, name);
    snprintf(bin, sizeof bin, "%s/%s.bin", g_dir, name);
    snprintf(run, sizeof run, "%s/run_%s", g_dir, name);
    in_dir(data, sizeof data, "data");
    if (gan_write_file_atomic(p, src, strlen(src), NULL, 0))
        abort();
    char *const cc[] = {(char *)tool("GANC", "build/release/ganc"), p, "-o", bin, NULL};
    if (train_spawn(cc, g_out, sizeof g_out) != 0 ||
        ganrt("train", bin, "--data", data, "--out", run, "--threads", "1", NULL) != 0) {
        fprintf(stderr, "fixture %s: %s\n", name, g_out);
        abort();
    }
}

static int sample(const char *name, const char *o1, const char *v1, const char *o2,
                  const char *v2)
{
    char bin[4400], run[4400], png[4400];
    snprintf(bin, sizeof bin, "%s/%s.bin", g_dir, name);
    snprintf(run, sizeof run, "%s/run_%s", g_dir, name);
    in_dir(png, sizeof png, "out.png");
    return ganrt("sample", bin, "--ckpt", run, "-o", png, "--threads", "1", o1, v1, o2, v2, NULL);
}

#define REFUSED(rc, text) \
    ck_assert_msg((rc) == 2 && strstr(g_out, text), "exit %d: %s", rc, g_out)

START_TEST(one_of_rows_are_one_hot)
{
    char od[4400], lp[4500];
    in_dir(od, sizeof od, "rows");
    int rc = sample("cat", "--vary", "Black_Hair,Blond_Hair", "--out-dir", od);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    snprintf(lp, sizeof lp, "%s/list_attr_celeba.txt", od);
    uint8_t *b;
    size_t n;
    ck_assert_int_eq(gan_read_file(lp, &b, &n, 1 << 20, NULL, 0), 0);
    /* 2 rows of 8: the first 8 images Black_Hair only, the next 8 Blond_Hair only; the
     * columns of the three classes in CelebA's order: Black_Hair 9, Blond_Hair 10, Brown 12 */
    char *save = NULL, *line = strtok_r((char *)b, "\n", &save);
    int rows = 0;
    for (int k = 0; line; line = strtok_r(NULL, "\n", &save), k++) {
        if (k < 2)
            continue; /* the count and the names */
        int v[41], c = 0;
        char *tok, *s2 = NULL;
        for (tok = strtok_r(line, " ", &s2); tok && c < 41; tok = strtok_r(NULL, " ", &s2))
            v[c++] = atoi(tok);
        ck_assert_int_eq(c, 41);
        int want = rows < 8 ? 9 : 10;
        ck_assert_msg(v[9] == (want == 9 ? 1 : -1) && v[10] == (want == 10 ? 1 : -1) &&
                      v[12] == -1, "image %d: Black %d Blond %d Brown %d", rows + 1, v[9], v[10],
                      v[12]);
        rows++;
    }
    ck_assert_int_eq(rows, 16);
    free(b);
    REFUSED(sample("cat", "--attr", "Black_Hair=1,Blond_Hair=1", NULL, NULL), "one class");
    REFUSED(sample("cat", "--attr", "Black_Hair=0", NULL, NULL), "name the class");
    REFUSED(sample("cat", "--attr", "Black_Hair=1", "--vary", "Blond_Hair"), "comes from --vary");
    rc = sample("cat", "--attr", "Blond_Hair=1", NULL, NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
}
END_TEST

START_TEST(contradictions_are_refused)
{
    char attrs[4400], jpg[4400];
    in_dir(attrs, sizeof attrs, "data/list_attr_celeba.txt");
    REFUSED(sample("multi", "--attr", "Smiling=1,Smiling=0", NULL, NULL), "Smiling given twice");
    REFUSED(sample("multi", "--vary", "Smiling,Smiling", NULL, NULL), "Smiling given twice");
    REFUSED(sample("multi", "--vary", "Smiling", "--attr", "Smiling=1"), "--vary Smiling and --attr");
    REFUSED(sample("multi", "--attr", "Smiling=1", "--attrs-from", attrs), "exclude each other");
    /* -o x.jpg: refused, nothing written */
    in_dir(jpg, sizeof jpg, "x.jpg");
    char bin[4400], run[4400];
    snprintf(bin, sizeof bin, "%s/multi.bin", g_dir);
    snprintf(run, sizeof run, "%s/run_multi", g_dir);
    int rc = ganrt("sample", bin, "--ckpt", run, "-o", jpg, NULL);
    REFUSED(rc, "writes PNG");
    uint8_t *b;
    size_t n;
    ck_assert_int_ne(gan_read_file(jpg, &b, &n, 1 << 20, NULL, 0), 0);
    rc = sample("multi", "--vary", "Smiling,Male", NULL, NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
}
END_TEST

/* --standing measures with real faces' attributes: without a file of them it says so */
START_TEST(standing_needs_real_attributes)
{
    char attrs[4400];
    in_dir(attrs, sizeof attrs, "data/list_attr_celeba.txt");
    int rc = sample("multi", "--standing", "2", NULL, NULL);
    ck_assert_msg(rc == 1 && strstr(g_out, "--standing measures with real faces' attributes"),
                  "exit %d: %s", rc, g_out);
    rc = sample("multi", "--standing", "2", "--rest-from", attrs);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    REFUSED(sample("multi", "--standing", "-1", NULL, NULL), "--standing");
}
END_TEST

START_TEST(vary_on_an_unconditional_model_blames_vary)
{
    char p[4400], bin[4400], run[4400], png[4400], data[4400];
    const char *src = "data faces { image 3 x 8 x 8 range [-1, 1] }\nlatent z : 8 ~ normal\n"
                      "generator G(z) -> image {\n  out = z | dense(192) | reshape(3, 8, 8) | tanh\n}\n"
                      "discriminator D(x : image) -> (adv : 1) {\n  adv = x | flatten | dense(1)\n}\n"
                      "train {\n  batch 4  steps 1\n  loss D = hinge_real(D(x).adv) + hinge_fake(D(G(z)).adv)\n"
                      "  loss G = -mean(D(G(z)).adv)\n  optimizer D = adam(lr 2e-4)\n"
                      "  optimizer G = adam(lr 2e-4)\n}\n";
    in_dir(p, sizeof p, "u.gan");
    in_dir(bin, sizeof bin, "u.bin");
    in_dir(run, sizeof run, "run_u");
    in_dir(png, sizeof png, "u.png");
    in_dir(data, sizeof data, "data");
    ck_assert_int_eq(gan_write_file_atomic(p, src, strlen(src), NULL, 0), 0);
    char *const cc[] = {(char *)tool("GANC", "build/release/ganc"), p, "-o", bin, NULL};
    ck_assert_int_eq(train_spawn(cc, g_out, sizeof g_out), 0);
    ck_assert_int_eq(ganrt("train", bin, "--data", data, "--out", run, NULL), 0);
    int rc = ganrt("sample", bin, "--ckpt", run, "-o", png, "--vary", "Smiling", NULL);
    REFUSED(rc, "--vary Smiling: the model has no attribute labels");
    rc = ganrt("sample", "--help", NULL);
    ck_assert_msg(rc == 0 && strstr(g_out, "at most 6 attributes"), "%s", g_out);
}
END_TEST

int main(void)
{
    g_dir = train_tmpdir();
    char data[4400];
    in_dir(data, sizeof data, "data");
    if (ganrt("data", "synth", "-o", data, "--n", "16", "--size", "8", "--quiet", NULL) != 0) {
        fprintf(stderr, "data synth: %s\n", g_out);
        return 1;
    }
    build("cat", "one_of [Black_Hair, Blond_Hair, Brown_Hair]", "softmax_ce");
    build("multi", "[Smiling, Male]", "bce");
    Suite *s = suite_create("sample_defects");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, one_of_rows_are_one_hot);
    tcase_add_test(tc, contradictions_are_refused);
    tcase_add_test(tc, standing_needs_real_attributes);
    tcase_add_test(tc, vary_on_an_unconditional_model_blames_vary);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    train_rmrf(g_dir);
    free(g_dir);
    return failures ? 1 : 0;
}
