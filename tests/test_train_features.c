/* The training features of "Faces that follow the attributes", from a .gan file to trained
 * checkpoints: sgd, rmsprop, weight decay and a learning-rate schedule (ganc lowers each
 * optimizer to its op with the schedule in optimizer updates, d_steps per step for D, and the
 * state tensors it needs, fused and unfused; the update counters in the checkpoint count
 * updates, not steps), cond_batchnorm in G and diffaugment in D (its run counter counts D's
 * training calls, and a resumed run is bit-exact with an uninterrupted one); and --profile. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "format/model.h"
#include "runtime/train.h"
#include "tests/util/train_util.h"

static const char *src =
    "data { image 3 x 16 x 16\n  labels [Smiling, Eyeglasses] }\n"
    "latent z : 8\n"
    "generator G(z, y) -> image {\n"
    "  h = z | dense(64) | reshape(4, 4, 4) | cond_batchnorm(y) | relu\n"
    "  out = h | upsample(4) | conv(3, kernel 3, padding same) | tanh\n"
    "}\n"
    "discriminator D(x : image, y) -> 1 {\n"
    "  h = x | diffaugment | conv(4, kernel 3, stride 2, padding same) | leaky_relu | flatten\n"
    "  out = concat(h, y) | dense(1)\n"
    "}\n"
    "train {\n"
    "  batch 8  steps 20  d_steps 2\n"
    "  loss D = hinge_real(D(x, y)) + hinge_fake(D(G(z, y), y))\n"
    "  loss G = -mean(D(G(z, y), y))\n"
    "  optimizer D = sgd(lr 0.01, momentum 0.9, schedule cosine, warmup 2, hold 5, final_lr 0.1)\n"
    "  optimizer G = rmsprop(lr 1e-3, weight_decay 1e-4)\n"
    "}\n";

static char g_out[16384];

static int spawn(const char *tool, const char *a1, const char *a2, const char *a3,
                 const char *a4, const char *a5, const char *a6, const char *a7,
                 const char *a8, const char *a9, const char *a10, const char *a11)
{
    char *const argv[] = {(char *)tool, (char *)a1, (char *)a2, (char *)a3, (char *)a4,
                          (char *)a5, (char *)a6, (char *)a7, (char *)a8, (char *)a9,
                          (char *)a10, (char *)a11, NULL};
    return train_spawn(argv, g_out, sizeof g_out);
}

static const char *tool(const char *env, const char *dflt)
{
    const char *g = getenv(env);
    return g && *g ? g : dflt;
}

/* The optimizer ops of the named program, in order; their count. */
static int optim_ops(const gan_model *m, const char *prog, const gan_op **ops, int max)
{
    int n = 0;
    for (int p = 0; p < m->n_programs; p++) {
        if (strcmp(m->programs[p].name, prog))
            continue;
        for (int k = 0; k < m->programs[p].n_ops; k++) {
            int t = m->programs[p].ops[k].type;
            if ((t == GAN_OP_SGD || t == GAN_OP_RMSPROP || t == GAN_OP_ADAM) && n < max)
                ops[n++] = &m->programs[p].ops[k];
        }
    }
    return n;
}

static int tensor(const gan_model *m, const char *name)
{
    for (int t = 0; t < m->n_tensors; t++)
        if (!strcmp(m->tensors[t].name, name))
            return t;
    return -1;
}

static gan_model *compile(const char *dir, const char *extra)
{
    char gan[4400], bin[4400], err[1024];
    snprintf(gan, sizeof gan, "%s/m.gan", dir);
    snprintf(bin, sizeof bin, "%s/m%s.bin", dir, extra ? extra : "");
    FILE *f = fopen(gan, "w");
    ck_assert_ptr_nonnull(f);
    fputs(src, f);
    fclose(f);
    int rc = spawn(tool("GANC", "build/release/ganc"), gan, "-o", bin, extra, NULL, NULL, NULL,
                   NULL, NULL, NULL, NULL);
    ck_assert_msg(rc == 0, "ganc: exit %d: %s", rc, g_out);
    gan_model *m = gan_model_load(bin, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    return m;
}

START_TEST(lowered_with_schedule_in_updates)
{
    char *dir = train_tmpdir();
    gan_model *m = compile(dir, NULL);
    const gan_op *ops[64];
    ck_assert_int_eq(optim_ops(m, "d_step", ops, 64), 1); /* fused: one over D's flat buffer */
    const gan_op *d = ops[0];
    ck_assert_int_eq(d->type, GAN_OP_SGD);
    ck_assert_int_eq(d->n_in, 4);
    ck_assert_int_eq(d->i[0], 1);
    ck_assert_int_eq(d->i[1], 2);      /* cosine */
    ck_assert_int_eq(d->i[2], 2 * 2);  /* warm-up 2 steps of 2 updates */
    ck_assert_int_eq(d->i[3], 20 * 2); /* the train block's 20 steps */
    ck_assert_int_eq(d->i[4], 5 * 2);  /* the hold, in updates too */
    ck_assert_float_eq(d->f[0], 0.01f);
    ck_assert_float_eq(d->f[1], 0.9f);
    ck_assert_float_eq(d->f[5], 0.1f);
    ck_assert_int_eq(optim_ops(m, "g_step", ops, 64), 1);
    const gan_op *g = ops[0];
    ck_assert_int_eq(g->type, GAN_OP_RMSPROP);
    ck_assert_int_eq(g->i[1], 0);
    ck_assert_float_eq(g->f[4], 1e-4f);
    ck_assert_float_eq(g->f[1], 0.9f); /* alpha's default */
    ck_assert_int_ge(tensor(m, "D.sgd_buf"), 0);
    ck_assert_int_ge(tensor(m, "D.sgd_t"), 0);
    ck_assert_int_ge(tensor(m, "G.rmsprop_sq"), 0);
    ck_assert_int_lt(tensor(m, "D.adam_m"), 0);
    ck_assert_int_lt(tensor(m, "G.adam_v"), 0);
    gan_model_free(m);
    /* unfused: one op per parameter tensor, the first alone counting the update */
    m = compile(dir, "--no-fuse");
    int n = optim_ops(m, "d_step", ops, 64);
    ck_assert_int_ge(n, 4); /* conv w, b; dense w, b */
    for (int k = 0; k < n; k++) {
        ck_assert_int_eq(ops[k]->type, GAN_OP_SGD);
        ck_assert_int_eq(ops[k]->i[0], k == 0);
        ck_assert_int_eq(ops[k]->i[3], 40);
        ck_assert_int_eq(ops[k]->i[4], 10);
        ck_assert_int_eq(ops[k]->in[3], ops[0]->in[3]);
    }
    gan_model_free(m);
    train_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(trains_and_counts_updates)
{
    char *dir = train_tmpdir();
    char data[4400], run[4400], bin[4400], err[1024], ck[4600];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(bin, sizeof bin, "%s/m.bin", dir);
    ck_assert_msg(train_fx_data(data, 48, err, sizeof err) == 0, "%s", err);
    gan_model *m = compile(dir, NULL);
    int rc = spawn(tool("GANRT", "build/release/ganrt"), "train", bin, "--data", data, "--out",
                   run, "--steps", "6", "--threads", "1", NULL);
    ck_assert_msg(rc == 0, "train: exit %d: %s", rc, g_out);
    float *base[GAN_REGION_COUNT];
    train_alloc_base(m, base);
    ck_assert_msg(gan_ckpt_resolve(run, ck, sizeof ck, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(gan_ckpt_load(ck, m, base, NULL, err, sizeof err) == 0, "%s", err);
    const gan_tensor *dt = &m->tensors[tensor(m, "D.sgd_t")];
    const gan_tensor *gt = &m->tensors[tensor(m, "G.rmsprop_t")];
    ck_assert_float_eq(base[dt->region][dt->offset], 12.0f); /* 6 steps x d_steps 2 */
    ck_assert_float_eq(base[gt->region][gt->offset], 6.0f);
    /* diffaugment ran in every training call of D: per step 2 d_steps x (real, fake) + g_step */
    const gan_tensor *runs = &m->tensors[tensor(m, "D.aug1.aug_runs")];
    ck_assert_float_eq(base[runs->region][runs->offset], 6.0f * 5.0f);
    /* the momentum buffer moved and holds finite values */
    const gan_tensor *buf = &m->tensors[tensor(m, "D.sgd_buf")];
    double norm = 0;
    for (uint64_t i = 0; i < buf->numel; i++)
        norm += fabs(base[buf->region][buf->offset + i]);
    ck_assert_msg(isfinite(norm) && norm > 0, "momentum buffer |.|_1 = %g", norm);
    train_free_base(base);
    gan_model_free(m);
    train_rmrf(dir);
    free(dir);
}
END_TEST

static unsigned char *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    ck_assert_msg(f != NULL, "%s missing", p);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*len + 1);
    ck_assert(fread(b, 1, *len, f) == *len);
    fclose(f);
    return b;
}

/* the augmentation's draws are state: 2 steps, then --resume to 4, equals 4 straight */
START_TEST(resume_is_exact_with_augmentation)
{
    char *dir = train_tmpdir();
    char data[4400], a[4400], b[4400], bin[4400], err[1024];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(a, sizeof a, "%s/A", dir);
    snprintf(b, sizeof b, "%s/B", dir);
    snprintf(bin, sizeof bin, "%s/m.bin", dir);
    ck_assert_msg(train_fx_data(data, 48, err, sizeof err) == 0, "%s", err);
    gan_model_free(compile(dir, NULL));
    const char *rt = tool("GANRT", "build/release/ganrt");
    int rc = spawn(rt, "train", bin, "--data", data, "--out", a, "--steps", "4", "--threads", "1",
                   NULL);
    ck_assert_msg(rc == 0, "A: exit %d: %s", rc, g_out);
    rc = spawn(rt, "train", bin, "--data", data, "--out", b, "--steps", "2", "--threads", "1",
               NULL);
    ck_assert_msg(rc == 0, "B: exit %d: %s", rc, g_out);
    rc = spawn(rt, "train", bin, "--data", data, "--out", b, "--steps", "4", "--threads", "1",
               "--resume");
    ck_assert_msg(rc == 0, "B resumed: exit %d: %s", rc, g_out);
    char pa[4600], pb[4600];
    snprintf(pa, sizeof pa, "%s/ckpt/step_000004.ckpt", a);
    snprintf(pb, sizeof pb, "%s/ckpt/step_000004.ckpt", b);
    size_t la, lb;
    unsigned char *ca = slurp(pa, &la), *cb = slurp(pb, &lb);
    ck_assert_msg(la == lb && !memcmp(ca, cb, la), "resumed run's checkpoint differs");
    free(ca);
    free(cb);
    train_rmrf(dir);
    free(dir);
}
END_TEST

/* --profile: a table per op kind whose shares add up to the whole, a table per layer naming
 * the model's layers (not the programs' copies), and RUN/profile.txt */
START_TEST(profile_accounts_for_the_time)
{
    char *dir = train_tmpdir();
    char data[4400], run[4400], bin[4400], err[1024], pf[4600];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(bin, sizeof bin, "%s/m.bin", dir);
    ck_assert_msg(train_fx_data(data, 48, err, sizeof err) == 0, "%s", err);
    gan_model_free(compile(dir, NULL));
    int rc = spawn(tool("GANRT", "build/release/ganrt"), "train", bin, "--data", data, "--out",
                   run, "--steps", "3", "--profile", NULL, NULL);
    ck_assert_msg(rc == 0, "train: exit %d: %s", rc, g_out);
    char *ops = strstr(g_out, "\n  op ");
    ck_assert_msg(strstr(g_out, "profile: 3 steps") && ops, "%s", g_out);
    double sum = 0;
    int rows = 0;
    for (char *l = strchr(ops + 1, '\n') + 1; *l == ' ' && l[2] != '\n'; l = strchr(l, '\n') + 1) {
        char name[64];
        double f, b, share;
        ck_assert_msg(sscanf(l, "%63s %lf %lf %lf%%", name, &f, &b, &share) == 4, "%.80s", l);
        ck_assert(f >= 0 && b >= 0 && share >= 0);
        sum += share;
        rows++;
    }
    ck_assert_msg(rows >= 8 && sum > 99.0 && sum < 101.0, "%d op kinds, shares sum to %g", rows, sum);
    char *layers = strstr(g_out, "layer (forward and backward ops)");
    ck_assert_ptr_nonnull(layers);
    ck_assert_msg(strstr(layers, "\n  D.conv1 ") && strstr(layers, "\n  G.dense1 ") &&
                  !strstr(layers, "d_step.") && !strstr(layers, "D_2"), "%s", layers);
    snprintf(pf, sizeof pf, "%s/profile.txt", run);
    FILE *f = fopen(pf, "r");
    ck_assert_msg(f != NULL, "no %s", pf);
    fclose(f);
    train_rmrf(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train_features");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, lowered_with_schedule_in_updates);
    tcase_add_test(tc, trains_and_counts_updates);
    tcase_add_test(tc, resume_is_exact_with_augmentation);
    tcase_add_test(tc, profile_accounts_for_the_time);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
