/* ganrt train --init into a differently shaped model (issue "No input crashes us, no run is
 * lost"): a run directory is taken like --ckpt takes it; an EMA copy the file cannot give
 * follows the loaded weights (not its random start); an optimizer whose moments are fresh
 * does not keep the file's step count. Checked on the step-0 checkpoint --ckpt-initial writes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "common/bytes.h"
#include "runtime/train.h"
#include "tests/util/train_util.h"

static char g_out[16384];

#define tool train_tool

/* G's end differs between the two: dense1 and dense2 match, b has a conv more */
static const char src_fmt[] =
    "data faces { image 3 x 8 x 8 range [-1, 1]  labels [Smiling, Male] }\n"
    "latent z : 8 ~ normal\n"
    "generator G(z, y) -> image {\n"
    "  out = concat(z, y) | dense(16) | relu | dense(192) | reshape(3, 8, 8)%s | tanh\n}\n"
    "discriminator D(x : image) -> (adv : 1, cls : labels) {\n"
    "  h = x | flatten | dense(8) | leaky_relu(0.2)\n  adv = h | dense(1)\n  cls = h | dense(labels)\n}\n"
    "train {\n  batch 4  steps 2\n"
    "  loss D = hinge_real(D(x).adv) + hinge_fake(D(G(z, y)).adv) + bce(D(x).cls, y)\n"
    "  loss G = -mean(D(G(z, y)).adv)\n"
    "  optimizer D = adam(lr 2e-4)\n  optimizer G = adam(lr 2e-4)\n  ema G 0.99\n}\n";

static void compile(const char *dir, const char *name, const char *extra, char *bin, size_t n)
{
    char src[2048], p[4400];
    snprintf(src, sizeof src, src_fmt, extra);
    snprintf(p, sizeof p, "%s/%s.gan", dir, name);
    snprintf(bin, n, "%s/%s.bin", dir, name);
    ck_assert_int_eq(gan_write_file_atomic(p, src, strlen(src), NULL, 0), 0);
    char *const argv[] = {(char *)tool("GANC", "build/release/ganc"), p, "-o", bin, NULL};
    int rc = train_spawn(argv, g_out, sizeof g_out);
    ck_assert_msg(rc == 0, "ganc: %s", g_out);
}

static gan_model *load_state(const char *bin, const char *ckpt, float *base[GAN_REGION_COUNT])
{
    char err[512];
    gan_model *m = gan_model_load(bin, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    train_alloc_base(m, base);
    ck_assert_msg(gan_ckpt_load(ckpt, m, base, NULL, err, sizeof err) == 0, "%s", err);
    return m;
}

START_TEST(init_into_another_shape)
{
    char *dir = train_tmpdir(), a[4400], b[4400], data[4400], ra[4400], rb[4400], ck[4500];
    compile(dir, "a", "", a, sizeof a);
    compile(dir, "b", " | conv(3, kernel 3, padding same)", b, sizeof b);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(ra, sizeof ra, "%s/run_a", dir);
    snprintf(rb, sizeof rb, "%s/run_b", dir);
    const char *rt = tool("GANRT", "build/release/ganrt");
    char *const synth[] = {(char *)rt, "data", "synth", "-o", data, "--n", "16", "--size", "8",
                           "--quiet", NULL};
    ck_assert_int_eq(train_spawn(synth, g_out, sizeof g_out), 0);
    char *const ta[] = {(char *)rt, "train", a, "--data", data, "--out", ra, NULL};
    ck_assert_msg(train_spawn(ta, g_out, sizeof g_out) == 0, "%s", g_out);
    /* --init RUN_DIR, another seed (so the fresh start differs from what is loaded) */
    char *const tb[] = {(char *)rt, "train", b, "--data", data, "--out", rb, "--init", ra,
                        "--seed", "7", "--ckpt-initial", NULL};
    int rc = train_spawn(tb, g_out, sizeof g_out);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, g_out);
    ck_assert_msg(strstr(g_out, "G.adam_*: optimizer state only partly"), "%s", g_out);
    float *ba[GAN_REGION_COUNT], *bb[GAN_REGION_COUNT];
    snprintf(ck, sizeof ck, "%s/ckpt/step_000002.ckpt", ra);
    gan_model *ma = load_state(a, ck, ba);
    snprintf(ck, sizeof ck, "%s/ckpt/step_000000.ckpt", rb);
    gan_model *mb = load_state(b, ck, bb);
    /* loaded: G.dense1.w as trained in run a */
    int ia = train_find(ma, "G.dense1.w"), ib = train_find(mb, "G.dense1.w");
    ck_assert(ia >= 0 && ib >= 0);
    ck_assert(!memcmp(train_ptr(ma, ba, "G.dense1.w"), train_ptr(mb, bb, "G.dense1.w"),
                      sizeof(float) * ma->tensors[ia].numel));
    /* the EMA is the weights as loaded, not their random start */
    const gan_network *g = &mb->networks[0];
    ck_assert_str_eq(g->name, "G");
    ck_assert(g->ema >= 0);
    const gan_tensor *pt = &mb->tensors[g->params], *et = &mb->tensors[g->ema];
    ck_assert_int_eq((int)pt->numel, (int)et->numel);
    ck_assert(!memcmp(bb[pt->region] + pt->offset, bb[et->region] + et->offset,
                      sizeof(float) * pt->numel));
    /* fresh moments, so a fresh step count (run a's is 2) */
    ck_assert_float_eq(*train_ptr(ma, ba, "G.adam_t"), 2.0f);
    ck_assert_float_eq(*train_ptr(mb, bb, "G.adam_t"), 0.0f);
    /* D's shape is the same in both: its whole optimizer state came along */
    ck_assert_float_eq(*train_ptr(mb, bb, "D.adam_t"), 2.0f);
    train_free_base(ba);
    train_free_base(bb);
    gan_model_free(ma);
    gan_model_free(mb);
    train_rmrf(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("init_defects");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, init_into_another_shape);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
