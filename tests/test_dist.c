/* Data-parallel training (docs/distributed.md) under `mpirun -np 2`: 2 ranks x batch b end
 * with the parameters of 1 process x batch 2b (a model without batch norm, whose rows are
 * independent: only the order of float sums differs); a checkpoint of either resumes under
 * the other; a rank killed with SIGKILL ends the job within seconds, non-zero, with the last
 * checkpoint loadable. Against a ganrt built without MPI (the plain build) the suite checks
 * only that mpirun's copies refuse to run, and skips that where mpirun is missing. */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "runtime/train.h"
#include "tests/util/train_util.h"

static const char tiny_gan[] =
    "data tiny {\n  image 3 x 16 x 16  range [-1, 1]\n  labels [Smiling, Male]\n}\n"
    "latent z : 16 ~ normal\n"
    "defaults conv, conv_t { kernel 4  stride 2  padding same  init normal(0.02) }\n"
    "generator G(z, y) -> image {\n"
    "  h = concat(z, y) | dense(4*4*16) | reshape(16, 4, 4) | relu\n"
    "  h = h | conv_t(8) | relu\n  out = h | conv_t(3) | tanh\n}\n"
    "discriminator D(x : image) -> (adv : 1, cls : labels) {\n"
    "  h = x | diffaugment(translation 0.125, cutout 0.5) | conv(8) | leaky_relu(0.2)\n"
    "  h = h | conv(16) | leaky_relu(0.2) | flatten\n"
    "  adv = h | dense(1)\n  cls = h | dense(labels)\n}\n"
    "train {\n  batch 4  d_steps 2  steps 10\n"
    "  loss D = bce(D(x).adv, 1) + bce(D(G(z, y)).adv, 0) + bce(D(x).cls, y)\n"
    "  loss G = bce(D(G(z, y)).adv, 1) + bce(D(G(z, y)).cls, y)\n"
    "  optimizer D = adam(lr 2e-4, beta1 0.5, beta2 0.999)\n"
    "  optimizer G = adam(lr 2e-4, beta1 0.5, beta2 0.999)\n  ema G 0.99\n}\n";

/* the same with batch norm in G, for --sync-bn */
static const char bn_g[] = "  h = concat(z, y) | dense(4*4*16) | reshape(16, 4, 4) | "
                           "batchnorm(momentum 0.9) | relu\n";

static char *g_dir;         /* the fixture: tiny.gan, b4.bin, b8.bin, bn4.bin, bn8.bin, data/ */
static char g_ganrt[4096];
static int g_has_mpi;       /* ganrt --version names an MPI library */
static int g_has_mpirun;

static int run_cmd(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int run_cmd(char *out, size_t outlen, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return train_spawn(argv, out, outlen);
}

/* mpirun as root (CI), on more ranks than cores, without the shared-memory single copy that
 * containers without ptrace refuse */
#define MPIRUN "mpirun -np 2 --oversubscribe --bind-to none"

static void setup_env(void)
{
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
}

static void fixture(void)
{
    if (g_dir)
        return;
    setup_env();
    const char *ganc = getenv("GANC"), *gr = getenv("GANRT");
    ck_assert_msg(ganc && gr, "GANC and GANRT must name the tools");
    snprintf(g_ganrt, sizeof g_ganrt, "%s", gr);
    g_dir = train_tmpdir();
    char p[4200], out[8192];
    snprintf(p, sizeof p, "%s/tiny.gan", g_dir);
    FILE *f = fopen(p, "w");
    ck_assert(f);
    fputs(tiny_gan, f);
    fclose(f);
    /* tiny_bn.gan: tiny.gan with G's first line replaced */
    snprintf(p, sizeof p, "%s/tiny_bn.gan", g_dir);
    f = fopen(p, "w");
    ck_assert(f);
    const char *g0 = strstr(tiny_gan, "  h = concat"), *g1 = strchr(g0, '\n') + 1;
    fprintf(f, "%.*s%s%s", (int)(g0 - tiny_gan), tiny_gan, bn_g, g1);
    fclose(f);
    int rc = run_cmd(out, sizeof out, "cd '%s' && '%s' tiny.gan --batch 4 -o b4.bin && "
                     "'%s' tiny.gan --batch 8 -o b8.bin && '%s' tiny_bn.gan --batch 4 -o bn4.bin "
                     "&& '%s' tiny_bn.gan --batch 8 -o bn8.bin && '%s' data synth -o data "
                     "--n 48 --size 16 --seed 3", g_dir, ganc, ganc, ganc, ganc, gr);
    ck_assert_msg(rc == 0, "fixture: %s", out);
    run_cmd(out, sizeof out, "'%s' --version", gr);
    g_has_mpi = strstr(out, "MPI: none") == NULL && strstr(out, "MPI: ") != NULL;
    g_has_mpirun = run_cmd(out, sizeof out, "command -v mpirun") == 0;
}

/* Loads RUN's latest checkpoint of model.bin into fresh regions. */
static gan_model *load_run(const char *model, const char *run, float *base[GAN_REGION_COUNT],
                           gan_ckpt_info *info)
{
    char err[1024], mp[4200], cp[4400];
    snprintf(mp, sizeof mp, "%s/%s", g_dir, model);
    gan_model *m = gan_model_load(mp, err, sizeof err);
    ck_assert_msg(m, "%s", err);
    train_alloc_base(m, base);
    snprintf(mp, sizeof mp, "%s/%s", g_dir, run);
    ck_assert_msg(gan_ckpt_resolve(mp, cp, sizeof cp, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(gan_ckpt_load(cp, m, base, info, err, sizeof err) == 0, "%s", err);
    return m;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* The largest |a - b| over every checkpointed tensor of two runs (same tensors: the model
 * differs only in its batch) whose name ends with suffix (NULL: all), and where. */
static double max_diff_of(const char *ma, const char *ra, const char *mb, const char *rb,
                          const char *suffix, char *where, size_t wlen)
{
    float *ba[GAN_REGION_COUNT], *bb[GAN_REGION_COUNT];
    gan_ckpt_info ia, ib;
    gan_model *a = load_run(ma, ra, ba, &ia), *b = load_run(mb, rb, bb, &ib);
    ck_assert_uint_eq(ia.step, ib.step);
    ck_assert_uint_eq(ia.data_epoch, ib.data_epoch);
    ck_assert_uint_eq(ia.data_index, ib.data_index);
    ck_assert_msg(!memcmp(&ia.rng, &ib.rng, sizeof ia.rng), "latent RNG states differ");
    double worst = 0;
    int n = 0;
    for (int i = 0; i < a->n_tensors; i++) {
        if (!gan_ckpt_tensor_included(a, i) ||
            (suffix && !ends_with(a->tensors[i].name, suffix)))
            continue;
        const gan_tensor *ta = &a->tensors[i];
        int j = train_find(b, ta->name);
        ck_assert_msg(j >= 0, "%s missing", ta->name);
        const float *x = ba[ta->region] + ta->offset;
        const float *y = bb[ta->region] + b->tensors[j].offset;
        ck_assert_uint_eq(ta->numel, b->tensors[j].numel);
        for (uint64_t k = 0; k < ta->numel; k++, n++) {
            double d = fabs((double)x[k] - y[k]);
            ck_assert_msg(isfinite(d), "%s[%llu] not finite", ta->name, (unsigned long long)k);
            if (d > worst) {
                worst = d;
                snprintf(where, wlen, "%s[%llu]: %.9g vs %.9g", ta->name,
                         (unsigned long long)k, x[k], y[k]);
            }
        }
    }
    ck_assert_int_gt(n, suffix ? 15 : 1000);
    train_free_base(ba);
    train_free_base(bb);
    gan_model_free(a);
    gan_model_free(b);
    return worst;
}

static double max_diff(const char *ma, const char *ra, const char *mb, const char *rb,
                       char *where, size_t wlen)
{
    return max_diff_of(ma, ra, mb, rb, NULL, where, wlen);
}

#define TRAIN "train %s --data data --out %s --threads 1 --seed 7 --sample-every 0"

/* One Adam step moves a parameter by at most lr (2e-4); the runs agree to a small part of
 * that: what is left is the order of the float sums over the batch. */
#define TOL 1e-6

START_TEST(two_ranks_equal_one_process)
{
    fixture();
    char out[16384], where[256] = "";
    if (!g_has_mpi || !g_has_mpirun) {
        fprintf(stderr, "test_dist: skipped: %s\n", !g_has_mpi ? "ganrt built without MPI "
                "(make MPI=1)" : "no mpirun");
        return;
    }
    int rc = run_cmd(out, sizeof out, "cd '%s' && '%s' " TRAIN " --steps 4", g_dir, g_ganrt,
                     "b8.bin", "one");
    ck_assert_msg(rc == 0, "1 x 8: %s", out);
    rc = run_cmd(out, sizeof out, "cd '%s' && " MPIRUN " '%s' " TRAIN " --steps 4", g_dir,
                 g_ganrt, "b4.bin", "two");
    ck_assert_msg(rc == 0, "2 x 4: %s", out);
    ck_assert_msg(strstr(out, "2 ranks x batch 4"), "%s", out);
    double d = max_diff("b8.bin", "one", "b4.bin", "two", where, sizeof where);
    fprintf(stderr, "test_dist: 4 steps, 2 ranks x batch 4 vs 1 x batch 8: max |diff| %.3g "
            "(%s)\n", d, where);
    ck_assert_msg(d < TOL, "max |diff| %g at %s", d, where);
    /* rank-independent checkpoints: 1 x 8 resumes the 2-rank run, 2 ranks resume the
     * 1-process run; both must land where 6 steps of 1 x 8 do */
    rc = run_cmd(out, sizeof out, "cd '%s' && cp -r one one6 && cp -r two two6 && cp -r one "
                 "ref6 && '%s' " TRAIN " --steps 6 --resume && '%s' " TRAIN
                 " --steps 6 --resume", g_dir, g_ganrt, "b8.bin", "ref6", g_ganrt, "b8.bin",
                 "two6");
    ck_assert_msg(rc == 0, "1-process resumes: %s", out);
    rc = run_cmd(out, sizeof out, "cd '%s' && " MPIRUN " '%s' " TRAIN " --steps 6 --resume",
                 g_dir, g_ganrt, "b4.bin", "one6");
    ck_assert_msg(rc == 0, "2-rank resume: %s", out);
    d = max_diff("b8.bin", "ref6", "b8.bin", "two6", where, sizeof where);
    ck_assert_msg(d < 2 * TOL, "2 ranks then 1: max |diff| %g at %s", d, where);
    d = max_diff("b8.bin", "ref6", "b4.bin", "one6", where, sizeof where);
    ck_assert_msg(d < 2 * TOL, "1 then 2 ranks: max |diff| %g at %s", d, where);
    fprintf(stderr, "test_dist: resumed across 1 <-> 2 ranks to step 6: max |diff| %.3g\n", d);
}
END_TEST

/* Batch norm normalises each rank's rows by their own statistics, so a BN model does not
 * train as 1 x 2b; but the running mean is linear in the batch means: after one step with
 * --sync-bn (G unchanged until g_step's optimizer) it must equal 1 x 2b's, and without it
 * it must not (rank 0's rows alone). */
START_TEST(sync_bn_averages_running_stats)
{
    fixture();
    char out[16384], where[256] = "";
    if (!g_has_mpi || !g_has_mpirun)
        return;
    int rc = run_cmd(out, sizeof out, "cd '%s' && '%s' " TRAIN " --steps 1 && " MPIRUN " '%s' "
                     TRAIN " --steps 1 --sync-bn && " MPIRUN " '%s' " TRAIN " --steps 1",
                     g_dir, g_ganrt, "bn8.bin", "bn_one", g_ganrt, "bn4.bin", "bn_sync",
                     g_ganrt, "bn4.bin", "bn_rank");
    ck_assert_msg(rc == 0, "%s", out);
    double ds = max_diff_of("bn8.bin", "bn_one", "bn4.bin", "bn_sync", ".running_mean", where,
                            sizeof where);
    ck_assert_msg(ds < 1e-6, "--sync-bn: running mean off by %g at %s", ds, where);
    double dr = max_diff_of("bn8.bin", "bn_one", "bn4.bin", "bn_rank", ".running_mean", where,
                            sizeof where);
    ck_assert_msg(dr > 1e-4, "per-rank running mean equals the global one (%g)", dr);
    fprintf(stderr, "test_dist: BN running mean after 1 step vs 1 x 8: %.3g with --sync-bn, "
            "%.3g without\n", ds, dr);
}
END_TEST

/* the pid of rank `rank` among the processes whose parent is ppid (mpirun's local children) */
static pid_t find_rank(pid_t ppid, int rank)
{
    char cmd[512], out[256];
    snprintf(cmd, sizeof cmd, "for p in $(ps -o pid= --ppid %d); do tr '\\0' '\\n' "
             "< /proc/$p/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=%d && echo $p; "
             "done", (int)ppid, rank);
    if (run_cmd(out, sizeof out, "%s", cmd) != 0)
        return -1;
    return (pid_t)atoi(out);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

START_TEST(killed_rank_ends_job)
{
    fixture();
    if (!g_has_mpi || !g_has_mpirun) {
        fprintf(stderr, "test_dist: kill test skipped\n");
        return;
    }
    char logp[4200], latest[4200], cmd[8192];
    snprintf(logp, sizeof logp, "%s/kill.log", g_dir);
    snprintf(latest, sizeof latest, "%s/killed/ckpt/latest", g_dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && exec " MPIRUN " '%s' " TRAIN
             " --steps 100000000 --ckpt-every 20 > kill.log 2>&1", g_dir, g_ganrt, "b4.bin",
             "killed");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    /* wait for a checkpoint, so there is one to keep */
    double t0 = now_s();
    while (access(latest, F_OK) != 0 && now_s() - t0 < 60)
        usleep(50000);
    ck_assert_msg(access(latest, F_OK) == 0, "no checkpoint after 60 s");
    usleep(300000); /* mid-run: past a few more steps */
    pid_t victim = find_rank(pid, 1);
    ck_assert_msg(victim > 0, "rank 1 not found among mpirun's children");
    ck_assert_int_eq(kill(victim, SIGKILL), 0);
    double tk = now_s();
    int st = 0;
    pid_t w = 0;
    while ((w = waitpid(pid, &st, WNOHANG)) == 0 && now_s() - tk < 30)
        usleep(20000);
    double took = now_s() - tk;
    if (w == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    char log[16384] = "";
    FILE *f = fopen(logp, "r");
    if (f) {
        size_t n = fread(log, 1, sizeof log - 1, f);
        log[n] = 0;
        fclose(f);
    }
    ck_assert_msg(w == pid, "mpirun still running %.1f s after the kill: %s", took, log);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 0, "mpirun ended with status %d: %s", st,
                  log);
    ck_assert_msg(took < 10, "the job took %.1f s to end", took);
    ck_assert_msg(strstr(log, "signal 9") || strstr(log, "Killed"), "no message names the "
                  "killed rank: %s", log);
    fprintf(stderr, "test_dist: rank 1 SIGKILLed: mpirun exited %d after %.2f s\n",
            WEXITSTATUS(st), took);
    /* the last checkpoint loads (rank 0 wrote it atomically) */
    float *base[GAN_REGION_COUNT];
    gan_ckpt_info info;
    gan_model *m = load_run("b4.bin", "killed", base, &info);
    ck_assert_uint_ge(info.step, 20);
    train_free_base(base);
    gan_model_free(m);
}
END_TEST

START_TEST(plain_build_refuses_mpirun)
{
    fixture();
    if (g_has_mpi || !g_has_mpirun) {
        fprintf(stderr, "test_dist: %s\n", g_has_mpi ? "MPI build: refusal test not needed"
                                                      : "skipped: no mpirun");
        return;
    }
    char out[16384];
    int rc = run_cmd(out, sizeof out, "cd '%s' && " MPIRUN " '%s' " TRAIN " --steps 2", g_dir,
                     g_ganrt, "b4.bin", "refused");
    ck_assert_msg(rc != 0, "mpirun of a no-MPI ganrt succeeded: %s", out);
    ck_assert_msg(strstr(out, "built without MPI"), "%s", out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dist");
    TCase *tc = tcase_create("mpirun");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, two_ranks_equal_one_process);
    tcase_add_test(tc, sync_bn_averages_running_stats);
    tcase_add_test(tc, killed_rank_ends_job);
    tcase_add_test(tc, plain_build_refuses_mpirun);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (g_dir)
        train_rmrf(g_dir);
    return failures ? 1 : 0;
}
