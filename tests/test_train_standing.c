/* Standing statistics (runtime/train/standing.c) on the tiny conditional GAN (naive arena,
 * so every tensor keeps its value after a run; no spectral norm in G, whose power step makes
 * training's G differ a little from sampling's): the statistics measured for the EMA weights
 * are those the training program's batch norms compute for the same weights and batches;
 * measuring leaves params and state as they were; sampling uses them only for the weights
 * they were measured for, and stops using them when turned off. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/data.h"
#include "runtime/exec.h"
#include "runtime/train.h"
#include "runtime/train/session_internal.h"
#include "tests/util/train_util.h"

enum { NB = 3 }; /* batches measured */

typedef struct {
    gan_model *m;
    char *dir;
    char data[4200];
    gan_loader *l;
    gan_session *s;
    float *z, *y;
    int n;
} fx;

static void fx_open(fx *f)
{
    char err[1024];
    f->m = train_fx_build(TRAIN_FX_GAN_PLAIN_G, 0, err, sizeof err);
    ck_assert_msg(f->m != NULL, "%s", err);
    f->dir = train_tmpdir();
    snprintf(f->data, sizeof f->data, "%s/data", f->dir);
    ck_assert_msg(train_fx_data(f->data, 24, err, sizeof err) == 0, "%s", err);
    gan_session_opts so = {1, 5};
    f->s = gan_session_create(f->m, &so, err, sizeof err);
    ck_assert_msg(f->s != NULL, "%s", err);
    ck_assert_msg(gan_session_init_params(f->s, err, sizeof err) == 0, "%s", err);
    f->l = train_fx_loader(f->m, f->data, 5);
    gan_session_set_loader(f->s, f->l);
    double losses[32];
    /* a few steps: the EMA weights differ from the raw ones, the running statistics move */
    for (int i = 0; i < 4; i++)
        ck_assert_msg(gan_session_step(f->s, i + 1, losses, err, sizeof err) == 0, "%s", err);
    /* and far from them, so that statistics of the wrong weights cannot pass */
    const gan_network *gn = &f->m->networks[f->s->gen];
    float *e = gan_tensor_ptr(f->m, gan_session_base(f->s), gn->ema);
    for (uint64_t i = 0; i < f->m->tensors[gn->ema].numel; i++)
        e[i] *= 1.25f;
    int Z = f->m->hyper.latent_size, L = f->m->hyper.n_labels;
    f->n = NB * f->m->hyper.batch;
    f->z = malloc(sizeof(float) * (size_t)f->n * Z);
    f->y = calloc((size_t)f->n * L, sizeof(float));
    gan_rng r;
    gan_rng_seed(&r, 9);
    gan_draw_latent(f->m, &r, f->z, f->n);
    for (int i = 0; i < f->n; i++)
        f->y[i * L + (i * 7) % L] = 1;
}

static void fx_close(fx *f)
{
    free(f->z);
    free(f->y);
    gan_session_free(f->s);
    gan_loader_close(f->l);
    train_rmrf(f->dir);
    free(f->dir);
    train_fx_free(f->m);
}

static float *region_copy(const fx *f, int r)
{
    size_t b = f->m->region_floats[r] * sizeof(float);
    float *c = malloc(b + 1);
    memcpy(c, gan_session_base(f->s)[r], b);
    return c;
}

/* The reference: G's batch norms in g_step (training mode, batch statistics) run on the same
 * batches with the EMA weights copied in (up to its first update, which would move them); per running-mean tensor, the average of the batch
 * means and of the unbiased batch variances, in the layout of s->standing. */
static void reference(fx *f, double *want)
{
    const gan_model *m = f->m;
    gan_session *s = f->s;
    float *const *base = gan_session_base(s);
    const gan_program *g = &m->programs[gan_model_find_role(m, GAN_PROG_G_STEP)];
    const gan_network *gn = &m->networks[s->gen];
    memcpy(gan_tensor_ptr(m, base, gn->params), gan_tensor_ptr(m, base, gn->ema),
           sizeof(float) * (size_t)m->tensors[gn->params].numel);
    int Z = m->hyper.latent_size, L = m->hyper.n_labels, B = m->hyper.batch;
    memset(want, 0, sizeof(double) * s->standing_n);
    for (int b = 0; b < NB; b++) {
        for (int i = 0; i < g->n_inputs; i++) {
            float *dst = gan_tensor_ptr(m, base, g->inputs[i]);
            if (g->input_roles[i] == GAN_ROLE_LATENT)
                memcpy(dst, f->z + (size_t)b * B * Z, sizeof(float) * (size_t)B * Z);
            else if (g->input_roles[i] == GAN_ROLE_LABELS)
                memcpy(dst, f->y + (size_t)b * B * L, sizeof(float) * (size_t)B * L);
        }
        char err[512];
        ck_assert_msg(gan_exec_run_range(m, g, base, 1, s->scratch, NULL, 0, gan_exec_first_optim(g), 0, err,
                                         sizeof err) == 0, "%s", err);
        size_t at = 0;
        for (int k = 0; k < s->n_stat; k += 2) {
            int C = (int)m->tensors[s->stat_t[k]].numel, found = 0;
            for (int j = 0; j < g->n_ops && !found; j++) {
                const gan_op *op = &g->ops[j];
                if (op->type != GAN_OP_BN_TRAIN || op->in[3] != s->stat_t[k])
                    continue;
                found = 1;
                const gan_tensor *x = &m->tensors[op->in[0]];
                double cnt = (double)x->shape[0] * (x->ndim == 4 ? x->shape[2] * x->shape[3] : 1);
                const float *mu = gan_tensor_ptr(m, base, op->out[1]);
                const float *is = gan_tensor_ptr(m, base, op->out[2]);
                for (int c = 0; c < C; c++) {
                    double var = 1.0 / ((double)is[c] * is[c]) - op->f[2];
                    want[at + c] += mu[c] / NB;
                    want[at + C + c] += var * cnt / (cnt - 1.0) / NB;
                }
            }
            ck_assert_msg(found, "no training batch norm updates %s", m->tensors[s->stat_t[k]].name);
            at += 2 * (size_t)C;
        }
    }
}

START_TEST(standing_stats_are_the_training_batch_norms_over_the_ema_weights)
{
    fx f;
    fx_open(&f);
    gan_session *s = f.s;
    char err[1024];
    float *p0 = region_copy(&f, GAN_REGION_PARAM), *s0 = region_copy(&f, GAN_REGION_STATE);
    ck_assert_msg(gan_session_standing_stats(s, f.n, f.z, f.y, 1, err, sizeof err) == 0, "%s",
                  err);
    ck_assert_int_ge(s->n_stat, 4); /* the fixture's G has batch norms at several layers */
    ck_assert(s->standing_on);
    /* measuring changed nothing of the model's params or state */
    ck_assert(!memcmp(p0, gan_session_base(s)[GAN_REGION_PARAM],
                      f.m->region_floats[GAN_REGION_PARAM] * sizeof(float)));
    ck_assert(!memcmp(s0, gan_session_base(s)[GAN_REGION_STATE],
                      f.m->region_floats[GAN_REGION_STATE] * sizeof(float)));
    double *want = malloc(sizeof(double) * s->standing_n);
    float *got = malloc(sizeof(float) * s->standing_n);
    memcpy(got, s->standing, sizeof(float) * s->standing_n);
    reference(&f, want);
    int differ_from_running = 0;
    size_t at = 0;
    for (int k = 0; k < s->n_stat; k++) {
        size_t C = (size_t)f.m->tensors[s->stat_t[k]].numel;
        const float *run = s0 + f.m->tensors[s->stat_t[k]].offset;
        for (size_t c = 0; c < C; c++, at++) {
            double tol = 1e-4 * (1.0 + fabs(want[at]));
            ck_assert_msg(fabs(got[at] - want[at]) <= tol, "%s[%zu]: standing %g, training %g",
                          f.m->tensors[s->stat_t[k]].name, c, (double)got[at], want[at]);
            differ_from_running += fabsf(got[at] - run[c]) > 1e-3f;
        }
    }
    ck_assert_msg(differ_from_running > 0, "standing statistics equal the running ones");
    free(want);
    free(got);
    free(p0);
    free(s0);
    fx_close(&f);
}
END_TEST

START_TEST(sampling_uses_standing_stats_for_their_weights_only)
{
    fx f;
    fx_open(&f);
    gan_session *s = f.s;
    char err[1024];
    size_t per = (size_t)f.m->hyper.image_c * f.m->hyper.image_h * f.m->hyper.image_w;
    size_t bytes = sizeof(float) * per * (size_t)f.n;
    float *ema = malloc(bytes), *raw = malloc(bytes), *o = malloc(bytes);
    ck_assert_int_eq(gan_session_sample(s, f.n, f.z, f.y, ema, 1, err, sizeof err), 0);
    ck_assert_int_eq(gan_session_sample(s, f.n, f.z, f.y, raw, 0, err, sizeof err), 0);
    float *s0 = region_copy(&f, GAN_REGION_STATE);
    ck_assert_msg(gan_session_standing_stats(s, f.n, f.z, f.y, 1, err, sizeof err) == 0, "%s",
                  err);
    ck_assert_int_eq(gan_session_sample(s, f.n, f.z, f.y, o, 1, err, sizeof err), 0);
    ck_assert_msg(memcmp(o, ema, bytes) != 0, "standing statistics changed no image");
    for (size_t i = 0; i < per * (size_t)f.n; i++)
        ck_assert(isfinite(o[i]) && o[i] >= -1.0f && o[i] <= 1.0f);
    ck_assert(!memcmp(s0, gan_session_base(s)[GAN_REGION_STATE],
                      f.m->region_floats[GAN_REGION_STATE] * sizeof(float)));
    /* measured for the EMA weights: the raw weights still sample with the running ones */
    ck_assert_int_eq(gan_session_sample(s, f.n, f.z, f.y, o, 0, err, sizeof err), 0);
    ck_assert(!memcmp(o, raw, bytes));
    gan_session_standing_off(s);
    ck_assert_int_eq(gan_session_sample(s, f.n, f.z, f.y, o, 1, err, sizeof err), 0);
    ck_assert(!memcmp(o, ema, bytes));
    /* fewer rows than a batch: nothing measured, the running statistics used */
    ck_assert_int_eq(gan_session_standing_stats(s, f.m->hyper.batch - 1, f.z, f.y, 1, err,
                                                sizeof err), 0);
    ck_assert_int_eq(gan_session_sample(s, f.n, f.z, f.y, o, 1, err, sizeof err), 0);
    ck_assert(!memcmp(o, ema, bytes));
    free(s0);
    free(ema);
    free(raw);
    free(o);
    fx_close(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train_standing");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, standing_stats_are_the_training_batch_norms_over_the_ema_weights);
    tcase_add_test(tc, sampling_uses_standing_stats_for_their_weights_only);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
