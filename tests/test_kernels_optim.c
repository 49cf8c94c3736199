/* The optimizer ops (SGD with momentum, RMSprop, Adam with AdamW's decoupled weight decay) and
 * their learning-rate schedules, run through the interpreter's own call (gan_run_optim) for
 * several updates and compared with torch.optim driven by LambdaLR (tests/gen_golden_optim.py);
 * the schedule's shape on its own; and the contract's refusals. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "format/op_check.h"
#include "format/ops.h"
#include "runtime/kernels.h"
#include "runtime/run/run.h"
#include "tests/util/golden_util.h"

/* Runs one case's updates through gan_run_optim: p from p0, state from zero, update t = k. */
static void golden_case(const kgold_case *c, double *worst)
{
    int n = (int)kgold_int(c, "n"), steps = (int)kgold_int(c, "steps");
    int type = !strncmp(c->name, "sgd", 3) ? GAN_OP_SGD
               : !strncmp(c->name, "rmsprop", 7) ? GAN_OP_RMSPROP : GAN_OP_ADAM;
    float *p = malloc(sizeof(float) * (size_t)n), *s1 = calloc((size_t)n, sizeof(float)),
          *s2 = calloc((size_t)n, sizeof(float)), t = 0;
    memcpy(p, kgold_tensor(c, "p0", (size_t)n), sizeof(float) * (size_t)n);
    gan_tensor tp = {.ndim = 1, .shape = {n}, .numel = (uint64_t)n};
    gan_op op = {.type = (uint16_t)type};
    op.i[0] = 1;
    op.i[1] = (int)kgold_int(c, "schedule");
    op.i[2] = (int)kgold_int(c, "warmup");
    op.i[3] = (int)kgold_int(c, "last");
    op.f[0] = (float)kgold_float(c, "lr");
    op.f[1] = (float)kgold_float(c, type == GAN_OP_SGD ? "momentum"
                                    : type == GAN_OP_RMSPROP ? "alpha" : "beta1");
    op.f[2] = type == GAN_OP_ADAM ? (float)kgold_float(c, "beta2") : 0;
    op.f[3] = type == GAN_OP_SGD ? 0 : (float)kgold_float(c, "eps");
    op.f[4] = (float)kgold_float(c, "wd");
    op.f[5] = (float)kgold_float(c, "final");
    char err[256];
    gan_run_ctx ctx = {.op = &op, .threads = 2, .prog = "test", .err = err, .errlen = sizeof err};
    ctx.in[0] = p;
    ctx.tin[0] = &tp;
    ctx.in[2] = s1;
    if (type == GAN_OP_ADAM) {
        ctx.in[3] = s2;
        ctx.in[4] = &t;
    } else {
        ctx.in[3] = &t;
    }
    for (int k = 1; k <= steps; k++) {
        char key[16];
        snprintf(key, sizeof key, "g%d", k);
        ctx.in[1] = kgold_tensor(c, key, (size_t)n);
        ck_assert_int_eq(gan_run_optim(&ctx), 0);
    }
    ck_assert(t == (float)steps);
    double e = kgold_compare(c, "p", p, kgold_tensor(c, "p", (size_t)n), (size_t)n);
    if (type == GAN_OP_SGD && kgold_tensor_opt(c, "buf"))
        e = fmax(e, kgold_compare(c, "buf", s1, kgold_tensor(c, "buf", (size_t)n), (size_t)n));
    if (type == GAN_OP_RMSPROP)
        e = fmax(e, kgold_compare(c, "sq", s1, kgold_tensor(c, "sq", (size_t)n), (size_t)n));
    if (type == GAN_OP_ADAM) {
        e = fmax(e, kgold_compare(c, "m", s1, kgold_tensor(c, "m", (size_t)n), (size_t)n));
        e = fmax(e, kgold_compare(c, "v", s2, kgold_tensor(c, "v", (size_t)n), (size_t)n));
    }
    *worst = fmax(*worst, e);
    free(p);
    free(s1);
    free(s2);
}

START_TEST(optimizers_match_torch)
{
    FILE *f = kgold_open("optim.txt");
    ck_assert_msg(f != NULL, "cannot open tests/golden/kernels/optim.txt (run from the "
                  "repository root or set GAN_BUILD; regenerate with /usr/bin/python3 "
                  "tests/gen_golden_optim.py)");
    kgold_case c;
    int cases = 0, kinds[3] = {0};
    double worst = 0;
    while (kgold_read(f, &c)) {
        golden_case(&c, &worst);
        kinds[!strncmp(c.name, "sgd", 3) ? 0 : !strncmp(c.name, "rmsprop", 7) ? 1 : 2]++;
        kgold_free(&c);
        cases++;
    }
    fclose(f);
    ck_assert_msg(kinds[0] && kinds[1] && kinds[2], "optim.txt lacks an optimizer");
    printf("golden optim.txt: %d cases (sgd %d, rmsprop %d, adamw %d), max |err| %.3g\n", cases,
           kinds[0], kinds[1], kinds[2], worst);
}
END_TEST

START_TEST(schedule_shape)
{
    /* constant: lr at every update */
    ck_assert_float_eq(kern_lr_at(0.5f, 1, KERN_LR_CONSTANT, 0, 0, 0, 0), 0.5f);
    ck_assert_float_eq(kern_lr_at(0.5f, 1e6, KERN_LR_CONSTANT, 0, 0, 100, 0), 0.5f);
    /* warm-up: linear from lr/W, full at W */
    ck_assert_float_eq_tol(kern_lr_at(1.0f, 1, KERN_LR_CONSTANT, 4, 0, 0, 0), 0.25f, 1e-7f);
    ck_assert_float_eq(kern_lr_at(1.0f, 4, KERN_LR_CONSTANT, 4, 0, 0, 0), 1.0f);
    /* linear decay 10 -> 110 to a share 0.1: half-way 0.55, the end and past it 0.1 */
    ck_assert_float_eq_tol(kern_lr_at(1.0f, 60, KERN_LR_LINEAR, 10, 0, 110, 0.1f), 0.55f, 1e-6f);
    ck_assert_float_eq_tol(kern_lr_at(1.0f, 110, KERN_LR_LINEAR, 10, 0, 110, 0.1f), 0.1f, 1e-6f);
    ck_assert_float_eq_tol(kern_lr_at(1.0f, 500, KERN_LR_LINEAR, 10, 0, 110, 0.1f), 0.1f, 1e-6f);
    /* a hold of 50 keeps lr until update 50, then decays linearly over 50 .. 110: 80 is half-way;
     * a hold shorter than the warm-up changes nothing */
    ck_assert_float_eq(kern_lr_at(1.0f, 50, KERN_LR_LINEAR, 10, 50, 110, 0.1f), 1.0f);
    ck_assert_float_eq_tol(kern_lr_at(1.0f, 80, KERN_LR_LINEAR, 10, 50, 110, 0.1f), 0.55f, 1e-6f);
    ck_assert_float_eq_tol(kern_lr_at(1.0f, 110, KERN_LR_LINEAR, 10, 50, 110, 0.1f), 0.1f, 1e-6f);
    ck_assert_float_eq(kern_lr_at(1.0f, 60, KERN_LR_LINEAR, 10, 5, 110, 0.1f),
                       kern_lr_at(1.0f, 60, KERN_LR_LINEAR, 10, 0, 110, 0.1f));
    ck_assert_float_eq_tol(kern_lr_at(1.0f, 80, KERN_LR_COSINE, 0, 50, 110, 0.2f), 0.6f, 1e-6f);
    /* cosine: half-way is the mean of the ends, monotone, never below the end */
    ck_assert_float_eq_tol(kern_lr_at(1.0f, 50, KERN_LR_COSINE, 0, 0, 100, 0.2f), 0.6f, 1e-6f);
    float prev = 2;
    for (int t = 1; t <= 120; t++) {
        float lr = kern_lr_at(1.0f, t, KERN_LR_COSINE, 0, 0, 100, 0.2f);
        ck_assert_msg(lr <= prev && lr >= 0.2f - 1e-6f, "t %d: %g after %g", t, lr, prev);
        prev = lr;
    }
}
END_TEST

static const char *refusal(gan_op *op)
{
    static char err[512];
    gan_tensor ts[5];
    gan_model m = {.tensors = ts, .n_tensors = 5};
    op->n_in = op->type == GAN_OP_ADAM ? 5 : 4;
    for (int k = 0; k < GAN_OP_MAX_IO; k++)
        op->in[k] = op->out[k] = -1;
    for (int k = 0; k < op->n_in; k++) {
        ts[k] = (gan_tensor){.ndim = 1, .shape = {k == op->n_in - 1 ? 1 : 8}};
        ts[k].numel = (uint64_t)ts[k].shape[0];
        op->in[k] = k;
    }
    err[0] = 0;
    return gan_op_validate(&m, op, err, sizeof err) ? err : NULL;
}

START_TEST(contract_refuses_bad_settings)
{
    gan_op ok = {.type = GAN_OP_SGD, .f = {0.1f, 0.9f}};
    ck_assert_msg(refusal(&ok) == NULL, "%s", refusal(&ok));
    gan_op bad = ok;
    bad.i[1] = 3;
    ck_assert_msg(refusal(&bad) && strstr(refusal(&bad), "schedule i1 = 3"), "%s", refusal(&bad));
    bad = ok;
    bad.i[1] = KERN_LR_COSINE;
    bad.i[2] = 10;
    bad.i[3] = 10;
    ck_assert_msg(refusal(&bad) && strstr(refusal(&bad), "do not make a schedule"), "%s",
                  refusal(&bad));
    bad = ok;
    bad.i[1] = KERN_LR_LINEAR;
    bad.i[3] = 10;
    bad.i[4] = 9;
    ck_assert_msg(refusal(&bad) == NULL, "%s", refusal(&bad)); /* a hold inside the decay */
    bad.i[4] = 10;
    ck_assert_msg(refusal(&bad) && strstr(refusal(&bad), "hold i4 = 10"), "%s", refusal(&bad));
    bad.i[1] = KERN_LR_CONSTANT;
    bad.i[4] = 5;
    ck_assert_msg(refusal(&bad) && strstr(refusal(&bad), "hold i4 = 5"), "%s", refusal(&bad));
    bad = ok;
    bad.f[5] = 1.5f;
    ck_assert_msg(refusal(&bad) && strstr(refusal(&bad), "out of range"), "%s", refusal(&bad));
    bad = ok;
    bad.f[4] = NAN;
    ck_assert_ptr_nonnull(refusal(&bad));
    gan_op adam = {.type = GAN_OP_ADAM, .f = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f}};
    ck_assert_ptr_null(refusal(&adam));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_optim");
    TCase *tc = tcase_create("optim");
    tcase_add_test(tc, optimizers_match_torch);
    tcase_add_test(tc, schedule_shape);
    tcase_add_test(tc, contract_refuses_bad_settings);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
