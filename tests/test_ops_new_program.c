/* The ops added through the op table (avg_pool, instance_norm, loss_mse) as a whole program:
 * the compiler's table-driven gradient rule emits their backwards, the validator accepts the
 * program, the interpreter dispatches it, and the gradients it computes match finite
 * differences of the loss the same program computes forward. */
#include <check.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/graph_build.h"
#include "format/model.h"
#include "runtime/exec.h"

enum { X, GAMMA, BETA, GX, GGAMMA, GBETA, P, PM, PI, Y, L, NT };

typedef struct {
    gan_model m;
    gan_program prog;
    gb_oplist ops;
    int n_fwd;
    float *base[GAN_REGION_COUNT];
} prog_fixture;

static void build(prog_fixture *f, int want_grads)
{
    static char err[256];
    memset(f, 0, sizeof *f);
    gb_ctx g = {&f->m, 0, err, sizeof err, 0};
    int N = 2, C = 3, H = 6, W = 7;
    ck_assert_int_eq(gb_tensor(&g, "x", GAN_REGION_PARAM, 4, (int[]){N, C, H, W}), X);
    gb_tensor(&g, "gamma", GAN_REGION_PARAM, 1, (int[]){C});
    gb_tensor(&g, "beta", GAN_REGION_PARAM, 1, (int[]){C});
    gb_tensor(&g, "x.grad", GAN_REGION_GRAD, 4, (int[]){N, C, H, W});
    gb_tensor(&g, "gamma.grad", GAN_REGION_GRAD, 1, (int[]){C});
    gb_tensor(&g, "beta.grad", GAN_REGION_GRAD, 1, (int[]){C});
    gb_tensor(&g, "p", GAN_REGION_ARENA, 4, (int[]){N, C, 3, 3}); /* k 2, stride 2: 6x7 -> 3x3 */
    gb_tensor(&g, "p.mean", GAN_REGION_ARENA, 1, (int[]){N * C});
    gb_tensor(&g, "p.invstd", GAN_REGION_ARENA, 1, (int[]){N * C});
    gb_tensor(&g, "y", GAN_REGION_ARENA, 4, (int[]){N, C, 3, 3});
    ck_assert_int_eq(gb_tensor(&g, "loss", GAN_REGION_ARENA, 1, (int[]){1}), L);
    int o = gb_op(&g, &f->ops, GAN_OP_AVG_POOL, 1, (int[]){X}, 1, (int[]){P});
    f->ops.ops[o].i[1] = 2;
    f->ops.ops[o].i[2] = 2;
    o = gb_op(&g, &f->ops, GAN_OP_INSTANCE_NORM, 3, (int[]){P, GAMMA, BETA}, 3,
              (int[]){Y, PM, PI});
    f->ops.ops[o].f[2] = 1e-5f;
    o = gb_op(&g, &f->ops, GAN_OP_LOSS_MSE, 2, (int[]){Y, -1}, 1, (int[]){L});
    f->ops.ops[o].f[0] = 1.0f;  /* weight */
    f->ops.ops[o].f[1] = 0.25f; /* constant target */
    f->n_fwd = f->ops.n;
    int pgrad[NT];
    for (int t = 0; t < NT; t++)
        pgrad[t] = -1;
    if (want_grads) {
        pgrad[X] = GX;
        pgrad[GAMMA] = GGAMMA;
        pgrad[BETA] = GBETA;
    }
    ck_assert_msg(gan_autodiff(&g, &f->ops, f->n_fwd, pgrad, NT) == 0, "%s", err);
    /* no planner here: every tensor gets its own place in its region */
    for (int t = 0; t < f->m.n_tensors; t++) {
        gan_tensor *tt = &f->m.tensors[t];
        tt->offset = f->m.region_floats[tt->region];
        f->m.region_floats[tt->region] += tt->numel;
    }
    f->prog = (gan_program){.role = GAN_PROG_AUX, .network = -1, .n_ops = f->ops.n,
                            .ops = f->ops.ops};
    snprintf(f->prog.name, GAN_NAME_MAX, "new_ops");
    f->m.programs = &f->prog;
    f->m.n_programs = 1;
    f->m.hyper.batch = N;
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        f->base[r] = calloc(f->m.region_floats[r] + 1, sizeof(float));
}

static void release(prog_fixture *f)
{
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        free(f->base[r]);
    free(f->ops.ops);
    free(f->m.tensors);
}

static int count(const prog_fixture *f, int type)
{
    int c = 0;
    for (int j = 0; j < f->ops.n; j++)
        c += f->ops.ops[j].type == type;
    return c;
}

static float run_loss(prog_fixture *f, int n_ops)
{
    char err[512];
    gan_program fwd = f->prog;
    fwd.n_ops = n_ops;
    ck_assert_msg(gan_exec_program(&f->m, &fwd, f->base, 1, err, sizeof err) == 0, "%s", err);
    return gan_tensor_ptr(&f->m, f->base, L)[0];
}

START_TEST(gradient_rule_emits_the_backwards)
{
    prog_fixture f;
    build(&f, 1);
    ck_assert_int_eq(count(&f, GAN_OP_LOSS_MSE_BWD), 1);
    ck_assert_int_eq(count(&f, GAN_OP_INSTANCE_NORM_BWD), 1);
    ck_assert_int_eq(count(&f, GAN_OP_AVG_POOL_BWD), 1);
    /* instance norm's backward reads the saved statistics; pooling's writes x's gradient */
    for (int j = f.n_fwd; j < f.ops.n; j++) {
        const gan_op *o = &f.ops.ops[j];
        if (o->type == GAN_OP_INSTANCE_NORM_BWD) {
            ck_assert_int_eq(o->in[0], P);
            ck_assert_int_eq(o->in[3], PM);
            ck_assert_int_eq(o->in[4], PI);
            ck_assert_int_eq(o->out[1], GGAMMA);
            ck_assert_int_eq(o->out[2], GBETA);
        }
        if (o->type == GAN_OP_AVG_POOL_BWD) {
            ck_assert_int_eq(o->out[0], GX);
            ck_assert_int_eq(o->i[1], 2);
            ck_assert_int_eq(o->i[2], 2);
        }
    }
    char err[512];
    ck_assert_msg(gan_model_validate(&f.m, err, sizeof err) == 0, "%s", err);
    release(&f);
    build(&f, 0); /* nothing trainable: no backward at all */
    ck_assert_int_eq(f.ops.n, f.n_fwd);
    release(&f);
}
END_TEST

START_TEST(gradients_match_finite_differences)
{
    prog_fixture f;
    build(&f, 1);
    unsigned s = 7;
    for (int t = X; t <= BETA; t++) {
        float *d = gan_tensor_ptr(&f.m, f.base, t);
        for (uint64_t i = 0; i < f.m.tensors[t].numel; i++) {
            s = s * 1103515245u + 12345u;
            d[i] = (float)((s >> 8) % 2000) / 1000.0f - 1.0f + (t == GAMMA ? 1.0f : 0.0f);
        }
    }
    run_loss(&f, f.ops.n); /* forward and backward */
    float grads[3][2 * 3 * 6 * 7];
    for (int t = 0; t < 3; t++)
        memcpy(grads[t], gan_tensor_ptr(&f.m, f.base, GX + t),
               f.m.tensors[GX + t].numel * sizeof(float));
    const float eps = 3e-3f;
    double worst = 0.0;
    for (int t = 0; t < 3; t++)
        for (uint64_t i = 0; i < f.m.tensors[X + t].numel; i += (t == 0 ? 5 : 1)) {
            float *v = gan_tensor_ptr(&f.m, f.base, X + t) + i, keep = *v;
            *v = keep + eps;
            double lp = run_loss(&f, f.n_fwd);
            *v = keep - eps;
            double lm = run_loss(&f, f.n_fwd);
            *v = keep;
            double num = (lp - lm) / (2.0 * eps), ana = grads[t][i];
            double diff = fabs(num - ana);
            if (diff > worst)
                worst = diff;
            ck_assert_msg(diff <= 1e-3 + 1e-2 * fabs(num), "%s[%llu]: numeric %g, analytic %g",
                          f.m.tensors[X + t].name, (unsigned long long)i, num, ana);
        }
    ck_assert(worst > 0.0); /* the comparison compared something */
    release(&f);
}
END_TEST

static void expect_invalid(prog_fixture *f, const char *needle)
{
    char err[512] = "";
    ck_assert_int_eq(gan_exec_program(&f->m, &f->prog, f->base, 1, err, sizeof err), -1);
    ck_assert_msg(strstr(err, needle) && strstr(err, "program 'new_ops' op"), "'%s' lacks '%s'",
                  err, needle);
}

START_TEST(contracts_are_checked)
{
    prog_fixture f;
    build(&f, 1);
    gan_op *pool = &f.ops.ops[0], *inorm = &f.ops.ops[1], *mse = &f.ops.ops[2];
    pool->i[1] = 3; /* 6x7 pooled 3x3 with stride 2 is 2x3, not 3x3 */
    expect_invalid(&f, "is not 'x' [2,3,6,7] pooled 3x3 with stride 2 (expected 2x3)");
    pool->i[1] = 7;
    expect_invalid(&f, "kernel i1 = 7 must be 1..6");
    pool->i[1] = 2;
    pool->i[2] = 0;
    expect_invalid(&f, "stride i2 = 0 out of range");
    pool->i[2] = 2;
    inorm->out[1] = GGAMMA; /* [3], not one per sample and channel */
    expect_invalid(&f, "saved mean");
    inorm->out[1] = PM;
    inorm->f[2] = 2.0f;
    expect_invalid(&f, "eps f2 = 2 out of range");
    inorm->f[2] = 1e-5f;
    mse->in[1] = GAMMA; /* a target of the wrong size */
    expect_invalid(&f, "targets vs input");
    mse->in[1] = -1;
    char err[256];
    ck_assert_msg(gan_exec_program(&f.m, &f.prog, f.base, 2, err, sizeof err) == 0, "%s", err);
    release(&f);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("ops_new_program");
    TCase *tc = tcase_create("program");
    tcase_add_test(tc, gradient_rule_emits_the_backwards);
    tcase_add_test(tc, gradients_match_finite_differences);
    tcase_add_test(tc, contracts_are_checked);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
