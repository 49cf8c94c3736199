/* The worked example of docs/reproducibility.md, run as a test: one training step of
 * models/making_faces.gan (compiled at batch 2 to keep it to seconds) checked against PyTorch
 * from nothing but what ganrt writes:
 *   ganrt train --steps 1 --ckpt-initial --dump-inputs --metrics-per-program  (states, inputs,
 *                                                                              losses)
 *   ganrt run-program d_step, d_step, g_step on the step-0 state with the dumped inputs,
 *     --dump-tensors: every parameter gradient and every ReLU / leaky-ReLU output of each run
 *     (the chain must end in train's step-1 checkpoint, byte for byte)
 *   tests/check_step_torch.py: the same step in PyTorch (float64), losses, activations,
 *     gradients and the state after the step compared.
 * Needs Debian's python3-torch (test time only; GAN_PYTHON overrides /usr/bin/python3). When
 * it cannot be imported the suite says so and passes: nothing here is a runtime dependency. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/bytes.h"
#include "format/model.h"
#include "tests/util/train_util.h"

static char g_root[1100], g_out[65536];
static char *g_dir;

static const char *python(void)
{
    const char *p = getenv("GAN_PYTHON");
    return p && *p ? p : "/usr/bin/python3";
}

static const char *tool(const char *env, const char *dflt)
{
    const char *g = getenv(env);
    return g && *g ? g : dflt;
}

/* the repository root: the current directory, or two levels above GAN_BUILD */
static int find_root(void)
{
    char p[1300];
    const char *b = getenv("GAN_BUILD");
    for (int k = 0; k < 2; k++) {
        if (k == 0)
            snprintf(g_root, sizeof g_root, ".");
        else if (b)
            snprintf(g_root, sizeof g_root, "%s/../..", b);
        else
            break;
        snprintf(p, sizeof p, "%s/tests/check_step_torch.py", g_root);
        if (access(p, R_OK) == 0)
            return 1;
    }
    return 0;
}

static int run(const char *first, ...)
{
    char *argv[64];
    int n = 0;
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

/* An activation output: "PROG.NET.reluK" or "PROG.NET.lreluK" (not its ".grad"). */
static int is_activation(const char *name, const char *prog)
{
    size_t pl = strlen(prog);
    if (strncmp(name, prog, pl) || name[pl] != '.')
        return 0;
    const char *a = strstr(name, ".lrelu");
    a = a ? a + 6 : (a = strstr(name, ".relu")) ? a + 5 : NULL;
    if (!a || !*a)
        return 0;
    for (; *a; a++)
        if (*a < '0' || *a > '9')
            return 0;
    return 1;
}

/* --dump-tensors for program `prog`: its network's parameter gradients and its activations. */
static char *dump_list(const gan_model *m, const char *prog)
{
    int pi = gan_model_find_program(m, prog);
    ck_assert_int_ge(pi, 0);
    const char *net = m->networks[m->programs[pi].network].name;
    size_t cap = 1 << 16, at = 0;
    char *list = calloc(cap, 1);
    for (int i = 0; i < m->n_tensors; i++) {
        const gan_tensor *t = &m->tensors[i];
        int grad = t->region == GAN_REGION_GRAD && !(t->flags & GAN_TF_AGGREGATE) &&
                   !strncmp(t->name, net, strlen(net)) && t->name[strlen(net)] == '.';
        if (grad || (t->region == GAN_REGION_ARENA && is_activation(t->name, prog)))
            at += (size_t)snprintf(list + at, cap - at, "%s%s", at ? "," : "", t->name);
    }
    ck_assert_uint_lt(at, cap - 1);
    return list;
}

START_TEST(making_faces_step_against_torch)
{
    const char *ganc = tool("GANC", "build/release/ganc"),
               *ganrt = tool("GANRT", "build/release/ganrt");
    g_dir = train_tmpdir();
    ck_assert_ptr_nonnull(g_dir);
    char src[1300], script[1300], err[1024];
    snprintf(src, sizeof src, "%s/models/making_faces.gan", g_root);
    snprintf(script, sizeof script, "%s/tests/check_step_torch.py", g_root);
    int rc = run(ganc, src, "-o", path("mf.bin"), "--batch", "2", NULL);
    ck_assert_msg(rc == 0, "ganc: exit %d: %s", rc, g_out);
    rc = run(ganrt, "data", "synth", "-o", path("data"), "--n", "8", "--size", "64", "--seed",
             "2", "--quiet", NULL);
    ck_assert_msg(rc == 0, "data synth: exit %d: %s", rc, g_out);
    rc = run(ganrt, "train", path("mf.bin"), "--data", path("data"), "--out", path("run"),
             "--steps", "1", "--threads", "2", "--seed", "3", "--sample-every", "0",
             "--ckpt-initial", "--dump-inputs", path("dump"), "--metrics-per-program", NULL);
    ck_assert_msg(rc == 0, "train: exit %d: %s", rc, g_out);
    gan_model *m = gan_model_load(path("mf.bin"), err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    char *dl = dump_list(m, "d_step"), *gl = dump_list(m, "g_step");
    gan_model_free(m);
    /* the step's three runs, one at a time, each with its gradients and activations */
    static const char *const runs[3] = {"run1_d_step", "run2_d_step", "run3_g_step"};
    static const char *const ckpts[4] = {"run/ckpt/step_000000.ckpt", "s1.ckpt", "s2.ckpt",
                                         "s3.ckpt"};
    for (int r = 0; r < 3; r++) {
        char in[64], gd[64];
        snprintf(in, sizeof in, "dump/step_000001/%s", runs[r]);
        snprintf(gd, sizeof gd, "grads/%s", runs[r]);
        rc = run(ganrt, "run-program", path("mf.bin"), "--ckpt", path(ckpts[r]), "--program",
                 r < 2 ? "d_step" : "g_step", "--inputs", path(in), "-o", path(ckpts[r + 1]),
                 "--threads", "2", "--step", r < 2 ? "0" : "1", "--dump-tensors",
                 r < 2 ? dl : gl, "--dump-dir", path(gd), NULL);
        ck_assert_msg(rc == 0, "run-program %s: exit %d: %s", runs[r], rc, g_out);
    }
    free(dl);
    free(gl);
    size_t la, lb;
    uint8_t *a = NULL, *b = NULL;
    ck_assert_int_eq(gan_read_file(path("s3.ckpt"), &a, &la, SIZE_MAX, err, sizeof err), 0);
    ck_assert_int_eq(
        gan_read_file(path("run/ckpt/step_000001.ckpt"), &b, &lb, SIZE_MAX, err, sizeof err), 0);
    ck_assert_msg(la == lb && !memcmp(a, b, la),
                  "run-program x3 does not end in train's step-1 checkpoint");
    free(a);
    free(b);
    rc = run(python(), script, "--run", path("run"), "--dump", path("dump"), "--grads",
             path("grads"), NULL);
    fprintf(stderr, "%s", g_out);
    ck_assert_msg(rc == 0, "check_step_torch.py: exit %d (see above)", rc);
    train_rmrf(g_dir);
    free(g_dir);
}
END_TEST

int main(void)
{
    if (!find_root()) {
        fprintf(stderr, "test_repro_torch: tests/check_step_torch.py not found (run from the "
                "repository root or set GAN_BUILD)\n");
        return 1;
    }
    if (run(python(), "-c", "import torch, numpy", NULL) != 0) {
        fprintf(stderr, "test_repro_torch: SKIPPED: %s cannot import torch and numpy (Debian: "
                "apt-get install python3-torch; or set GAN_PYTHON). The PyTorch check of "
                "docs/reproducibility.md did not run.\n", python());
        return 0;
    }
    Suite *s = suite_create("repro_torch");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, making_faces_step_against_torch);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
