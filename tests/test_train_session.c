/* The training session in-process on tiny models built by the back end (naive arena): steps
 * give finite losses, a resumed session is bit-identical to an uninterrupted one, sampling
 * with EMA restores the weights, a classifier's loss falls, NaN is caught and named. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/data.h"
#include "runtime/train.h"
#include "tests/util/train_util.h"

typedef struct {
    gan_model *m;
    char *dir;
    char data[4200];
} fx;

static void fx_open(fx *f, int kind, float lr, int n_images)
{
    char err[1024];
    f->m = train_fx_build(kind, lr, err, sizeof err);
    ck_assert_msg(f->m != NULL, "%s", err);
    f->dir = train_tmpdir();
    snprintf(f->data, sizeof f->data, "%s/data", f->dir);
    ck_assert_msg(train_fx_data(f->data, n_images, err, sizeof err) == 0, "%s", err);
}

static void fx_close(fx *f)
{
    train_rmrf(f->dir);
    free(f->dir);
    train_fx_free(f->m);
}

/* n steps from the state of s; returns 0 or the first failing step's code */
static int steps(gan_session *s, long long from, int n, double *last_losses)
{
    char err[1024];
    for (int i = 0; i < n; i++) {
        int r = gan_session_step(s, from + i + 1, last_losses, err, sizeof err);
        ck_assert_msg(r == 0, "step %lld: %s", from + i + 1, err);
    }
    return 0;
}

START_TEST(gan_steps_and_resume_bit_exact)
{
    fx f;
    fx_open(&f, TRAIN_FX_GAN, 0, 40);
    const gan_model *m = f.m;
    char err[1024];
    gan_session_opts so = {1, 11};
    double losses[32];
    /* A: 6 steps straight */
    gan_session *a = gan_session_create(m, &so, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    ck_assert_int_eq(gan_session_kind(a), GAN_TRAIN_GAN);
    ck_assert_int_le(gan_session_n_losses(a), 32);
    ck_assert_msg(gan_session_init_params(a, err, sizeof err) == 0, "%s", err);
    gan_loader *la = train_fx_loader(m, f.data, 11);
    gan_session_set_loader(a, la);
    steps(a, 0, 6, losses);
    for (int i = 0; i < gan_session_n_losses(a); i++)
        ck_assert_msg(isfinite(losses[i]), "%s = %g", gan_session_loss_names(a)[i], losses[i]);
    ck_assert_str_eq(gan_session_loss_names(a)[0], "d_loss"); /* the d_step total */
    /* B: 3 steps, checkpoint, everything torn down, then a fresh session resumes */
    gan_session *b = gan_session_create(m, &so, err, sizeof err);
    ck_assert_int_eq(gan_session_init_params(b, err, sizeof err), 0);
    gan_loader *lb = train_fx_loader(m, f.data, 11);
    gan_session_set_loader(b, lb);
    steps(b, 0, 3, losses);
    gan_ckpt_info info = {0};
    info.step = 3;
    info.seed = 11;
    gan_loader_tell(lb, &info.data_epoch, &info.data_index);
    info.rng = *gan_session_rng(b);
    void *buf;
    size_t len;
    ck_assert_int_eq(gan_ckpt_write_mem(m, gan_session_base(b), &info, &buf, &len), 0);
    gan_session_free(b);
    gan_loader_close(lb);
    gan_session_opts so2 = {1, 999}; /* a different seed must not matter when resuming */
    gan_session *c = gan_session_create(m, &so2, err, sizeof err);
    gan_ckpt_info got;
    ck_assert_msg(gan_ckpt_load_mem(buf, len, "mem", m, gan_session_base(c), &got, err, sizeof err)
                  == 0, "%s", err);
    free(buf);
    *gan_session_rng(c) = got.rng;
    gan_loader *lc = train_fx_loader(m, f.data, got.seed);
    ck_assert_int_eq(gan_loader_seek(lc, got.data_epoch, got.data_index, err, sizeof err), 0);
    gan_session_set_loader(c, lc);
    steps(c, 3, 3, losses);
    for (int r = 0; r < 2; r++)
        ck_assert_msg(!memcmp(gan_session_base(a)[r], gan_session_base(c)[r],
                              m->region_floats[r] * sizeof(float)),
                      "region %d differs after resume", r);
    /* the step did change something (the comparison is not vacuous) */
    gan_session *fresh = gan_session_create(m, &so, err, sizeof err);
    gan_session_init_params(fresh, err, sizeof err);
    ck_assert(memcmp(gan_session_base(a)[0], gan_session_base(fresh)[0],
                     m->region_floats[0] * sizeof(float)));
    gan_session_free(fresh);
    gan_session_free(a);
    gan_session_free(c);
    gan_loader_close(la);
    gan_loader_close(lc);
    fx_close(&f);
}
END_TEST

START_TEST(sample_with_ema_restores_weights)
{
    fx f;
    fx_open(&f, TRAIN_FX_GAN, 0, 24);
    const gan_model *m = f.m;
    char err[1024];
    gan_session_opts so = {1, 3};
    gan_session *s = gan_session_create(m, &so, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    gan_session_init_params(s, err, sizeof err);
    gan_loader *l = train_fx_loader(m, f.data, 3);
    gan_session_set_loader(s, l);
    double losses[32];
    steps(s, 0, 2, losses);
    size_t pbytes = m->region_floats[0] * sizeof(float);
    float *before = malloc(pbytes);
    memcpy(before, gan_session_base(s)[0], pbytes);
    /* 11 images: two chunks at batch 8, the second one short */
    int n = 11, Z = m->hyper.latent_size, L = m->hyper.n_labels;
    size_t per = (size_t)m->hyper.image_c * m->hyper.image_h * m->hyper.image_w;
    float *z = calloc((size_t)n * Z, sizeof *z), *y = calloc((size_t)n * L, sizeof *y);
    float *o1 = malloc(sizeof(float) * n * per), *o2 = malloc(sizeof(float) * n * per);
    gan_rng r;
    gan_rng_seed(&r, 1);
    gan_draw_latent(m, &r, z, n);
    for (int i = 0; i < n; i++)
        y[i * L + i % L] = 1;
    ck_assert_msg(gan_session_sample(s, n, z, y, o1, 1, err, sizeof err) == 0, "%s", err);
    ck_assert(!memcmp(before, gan_session_base(s)[0], pbytes)); /* swapped back */
    ck_assert_msg(gan_session_sample(s, n, z, y, o2, 0, err, sizeof err) == 0, "%s", err);
    int differ = 0;
    for (size_t i = 0; i < n * per; i++) {
        ck_assert(isfinite(o1[i]) && o1[i] >= -1.0f && o1[i] <= 1.0f);
        differ += o1[i] != o2[i];
    }
    ck_assert_msg(differ > 0, "EMA and raw weights gave identical images");
    /* the same z and labels in another chunk position give the same image */
    float *o3 = malloc(sizeof(float) * n * per);
    ck_assert_int_eq(gan_session_sample(s, n, z, y, o3, 1, err, sizeof err), 0);
    ck_assert(!memcmp(o1, o3, sizeof(float) * n * per));
    free(o3);
    free(before);
    free(z);
    free(y);
    free(o1);
    free(o2);
    gan_session_free(s);
    gan_loader_close(l);
    fx_close(&f);
}
END_TEST

START_TEST(classifier_loss_falls)
{
    fx f;
    fx_open(&f, TRAIN_FX_CLASSIFIER, 0, 64);
    const gan_model *m = f.m;
    char err[1024];
    gan_session_opts so = {1, 5};
    gan_session *s = gan_session_create(m, &so, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_int_eq(gan_session_kind(s), GAN_TRAIN_CLASSIFIER);
    gan_session_init_params(s, err, sizeof err);
    gan_loader *l = train_fx_loader(m, f.data, 5);
    gan_session_set_loader(s, l);
    double losses[8], first = 0, last = 0;
    for (int i = 0; i < 100; i++) {
        ck_assert_msg(gan_session_step(s, i + 1, losses, err, sizeof err) == 0, "%s", err);
        if (i < 20)
            first += losses[0] / 20;
        if (i >= 80)
            last += losses[0] / 20;
    }
    /* the labels are drawn into the pixels: BCE must fall well below its start (~log 2) */
    ck_assert_msg(last < 0.7 * first, "loss did not fall: first 20 steps %.4f, last 20 %.4f",
                  first, last);
    gan_session_free(s);
    gan_loader_close(l);
    fx_close(&f);
}
END_TEST

START_TEST(nan_is_caught_and_named)
{
    fx f;
    fx_open(&f, TRAIN_FX_GAN, 0, 24);
    const gan_model *m = f.m;
    char err[1024];
    gan_session_opts so = {1, 3};
    gan_session *s = gan_session_create(m, &so, err, sizeof err);
    gan_session_init_params(s, err, sizeof err);
    gan_loader *l = train_fx_loader(m, f.data, 3);
    gan_session_set_loader(s, l);
    /* poison one of D's weights */
    int victim = -1;
    for (int i = 0; i < m->n_tensors && victim < 0; i++)
        if (m->tensors[i].region == GAN_REGION_PARAM &&
            !(m->tensors[i].flags & GAN_TF_AGGREGATE) && !strncmp(m->tensors[i].name, "D.", 2))
            victim = i;
    ck_assert_int_ge(victim, 0);
    gan_session_base(s)[0][m->tensors[victim].offset] = NAN;
    double losses[32];
    int r = gan_session_step(s, 7, losses, err, sizeof err);
    ck_assert_int_eq(r, 1);
    ck_assert_msg(strstr(err, "step 7") && strstr(err, "non-finite"), "%s", err);
    gan_session_free(s);
    gan_loader_close(l);
    fx_close(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train_session");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, gan_steps_and_resume_bit_exact);
    tcase_add_test(tc, sample_with_ema_restores_weights);
    tcase_add_test(tc, classifier_loss_falls);
    tcase_add_test(tc, nan_is_caught_and_named);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
