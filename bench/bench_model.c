/* Model-level benchmark: whole training programs of ganrt beside PyTorch and the machine's
 * sgemm roofline, measured in the same run (docs/benchmarks.md).
 *
 * For each model (default: models/making_faces.gan, dcgan64.gan, faces64.gan and demo.gan,
 * each at its own batch) and thread count (default 1 and 2), a child process compiles the
 * model in-process (front end, back end, memory plan: what ganc writes), initialises the
 * parameters as ganrt does, fills the program inputs with random values (no data loading:
 * this measures the compute),
 * runs WARMUP untimed training steps, then ITERS timed ones. A training step is the seed's
 * schedule: d_steps x d_step, then g_step; every program run is timed on its own, so one
 * step gives the d_step, the g_step and the whole-step time. GFLOP/s uses the FLOP count
 * the compiler stores per program (2 x multiply-adds). Memory: the planned regions
 * (parameters, state, gradients, the shared activation arena) and the child's peak RSS.
 * Each configuration runs in its own child so its peak RSS is its own and each thread count
 * gets a fresh OpenMP / OpenBLAS pool (the parent touches neither before forking).
 *
 * Then OpenBLAS sgemm on 2048 x 2048 matrices (the roofline the convolutions, which are
 * im2col + sgemm, can approach), and the same models in PyTorch (bench/torch_model.py, run
 * with Debian's /usr/bin/python3 when it can import torch) at the same batch and thread
 * counts, timed the same way (their parameter counts must equal the compiled model's, or the
 * run fails: the check that both sides train the same networks). Last, a scoreboard: each
 * model's img/s, its ratio to PyTorch's, GFLOP/s beside sgemm, and peak RSS beside PyTorch's.
 *
 * OpenMP wait policy: unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set (or
 * BENCH_KEEP_OMP_ENV=1), the benchmark re-executes itself with OMP_WAIT_POLICY=passive. On a
 * machine with more runnable threads than cores (this one, shared by several agents), libgomp's
 * default spin-waiting at the end of every parallel region made a 2-thread training step
 * 20-50x slower than a 1-thread one (measured: demo.gan 26-28 s against 0.5 s per step); with
 * passive waiting the run stays within minutes. Both ganrt and PyTorch inherit the setting.
 *
 * Usage: bench_model [--threads 1,2] [--iters N] [--warmup N] [--no-torch] [--no-bf16]
 *                    [MODEL.gan ...]
 * Each ganrt configuration runs in fp32, then (unless --no-bf16) in bf16 on "bf16-avx512"
 * (vdpbf16ps; "bf16-c", portable, without AVX512-BF16) and "bf16-amx" where the CPU has AMX.
 * Environment: BENCH_ITERS, BENCH_WARMUP override the defaults (1 and 1); BENCH_TIMEOUT
 * (seconds, default 150) caps each configuration. Exit status 0, or 1 when a model does not
 * compile or a run fails or times out (with a message).
 */
#include <cblas.h>
#include <errno.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "compiler/backend.h"
#include "compiler/frontend.h"
#include "runtime/exec.h"
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"
#include "format/model.h"
#include "runtime/train.h"

#define MAX_MODELS 8
#define MAX_THREADS 4
#define PY "/usr/bin/python3"
#define MIN_TIMED_S 2.0
#define MAX_STEPS 30

typedef struct {
    int ok;
    char err[512];
    int batch, d_steps;
    int steps;                            /* timed training steps */
    double d_flops, g_flops;              /* per program run */
    double t_d, t_g, t_step;              /* seconds: mean d_step run, g_step run, whole step */
    double planned_mib;                   /* params + state + grads + arena */
    double arena_mib;
    double scratch_mib;                   /* the kernels' temporaries beyond the plan */
    long long params_g, params_d;         /* trainable parameters of G and D */
    long maxrss_kib;                      /* filled by the parent from wait4 */
} model_result;

typedef struct {
    int ok;
    double t_d, t_g, t_step;
    double rss_base_mib, rss_peak_mib;
    long long params_g, params_d;
    int steps;
    char note[256];
} torch_result;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---------------------------------------------------------------- ganrt, in a child */

static void fill_input(const gan_model *m, float *p, size_t n, int role, gan_rng *rng)
{
    if (role == GAN_ROLE_IMAGE) {
        gan_rng_fill_uniform(rng, p, n, m->hyper.range_lo, m->hyper.range_hi);
    } else if (role == GAN_ROLE_LABELS) {
        for (size_t i = 0; i < n; i++)
            p[i] = gan_rng_uniform(rng) < 0.5 ? 0.0f : 1.0f;
    } else {
        gan_rng_fill_normal(rng, p, n, 0.0f, 1.0f);
    }
}

/* inputs, then the program; returns its wall time or -1 */
static double run_program(const gan_model *m, const gan_program *p, float *const base[], int th,
                          kern_scratch *sc, gan_rng *rng, double *op_s, char *err, size_t errlen)
{
    for (int k = 0; k < p->n_inputs; k++) {
        const gan_tensor *t = &m->tensors[p->inputs[k]];
        fill_input(m, gan_tensor_ptr(m, base, p->inputs[k]), (size_t)t->numel, p->input_roles[k],
                   rng);
    }
    /* as a training session runs it: checked once, then only dispatched */
    if (gan_exec_check(m, p, base, err, errlen))
        return -1;
    double t0 = now();
    if (gan_exec_run_profiled(m, p, base, th, sc, op_s, err, errlen))
        return -1;
    return now() - t0;
}

/* One more step with every op timed: where ganrt's step goes (ganrt train --profile's table). */
static int profile_step(const gan_model *m, int pd, int pg, int d_steps, float *const base[],
                        int th, kern_scratch *sc, gan_rng *rng, const char *path, char *err,
                        size_t errlen)
{
    gan_profile *pf = gan_profile_new(m);
    if (!pf)
        return snprintf(err, errlen, "out of memory"), -1;
    double wall = 0, t = 0;
    for (int k = 0; k < d_steps; k++) {
        if ((t = run_program(m, &m->programs[pd], base, th, sc, rng, gan_profile_ops(pf, pd), err,
                             errlen)) < 0)
            break;
        wall += t;
    }
    if (t >= 0 && (t = run_program(m, &m->programs[pg], base, th, sc, rng,
                                   gan_profile_ops(pf, pg), err, errlen)) >= 0) {
        wall += t;
        printf("\nganrt's step of %s, op by op (%d threads):\n", base_name(path), th);
        gan_profile_report(pf, stdout, 1, wall);
        fflush(stdout);
    }
    gan_profile_free(pf);
    return t < 0 ? -1 : 0;
}

static void bench_ganrt(const char *path, int threads, int warmup, int iters, model_result *r)
{
    memset(r, 0, sizeof *r);
    fe_result fr;
    int rc = fe_compile_file(path, &fr);
    if (rc) {
        snprintf(r->err, sizeof r->err, "%s does not compile: %s", path, fr.messages);
        fe_result_free(&fr);
        return;
    }
    gan_build_opts o = {1, 0};
    gan_model *m = gan_build(fr.model, &o, r->err, sizeof r->err);
    fe_result_free(&fr);
    if (!m)
        return;
    if (gan_plan(m, r->err, sizeof r->err)) {
        gan_model_free(m);
        return;
    }
    int pd = gan_model_find_role(m, GAN_PROG_D_STEP), pg = gan_model_find_role(m, GAN_PROG_G_STEP);
    if (pd < 0 || pg < 0) {
        snprintf(r->err, sizeof r->err, "%s: not a GAN (no d_step / g_step program)", path);
        gan_model_free(m);
        return;
    }
    for (int k = 0; k < m->n_networks; k++) {
        long long n = (long long)m->tensors[m->networks[k].params].numel;
        if (m->networks[k].role == GAN_NET_GENERATOR)
            r->params_g = n;
        else if (m->networks[k].role == GAN_NET_DISCRIMINATOR)
            r->params_d = n;
    }
    r->batch = m->hyper.batch;
    r->d_steps = m->hyper.d_steps > 0 ? m->hyper.d_steps : 1;
    r->d_flops = m->programs[pd].flops;
    r->g_flops = m->programs[pg].flops;
    uint64_t total = 0;
    for (int q = 0; q < GAN_REGION_COUNT; q++)
        total += m->region_floats[q];
    r->planned_mib = (double)total * 4 / (1 << 20);
    r->arena_mib = (double)m->region_floats[GAN_REGION_ARENA] * 4 / (1 << 20);

    float *base[GAN_REGION_COUNT] = {0};
    kern_scratch *sc = kern_scratch_new(); /* as ganrt's session: sized by the warm-up step */
    for (int q = 0; q < GAN_REGION_COUNT; q++) {
        base[q] = calloc(m->region_floats[q] + 1, sizeof(float));
        if (!base[q]) {
            snprintf(r->err, sizeof r->err, "out of memory (%llu floats)",
                     (unsigned long long)m->region_floats[q]);
            goto out;
        }
    }
    gan_rng rng;
    gan_rng_seed(&rng, 1);
    if (gan_init_all(m, base, &rng, r->err, sizeof r->err))
        goto out;
    double sum_d = 0, sum_g = 0;
    int timed = 0;
    /* at least iters timed steps; small models continue until MIN_TIMED_S of timed work
     * (at most MAX_STEPS steps) so that their figures are not one noisy sample */
    for (int it = 0; it < warmup + iters || (sum_d * r->d_steps + sum_g < MIN_TIMED_S &&
                                             timed < MAX_STEPS);
         it++) {
        double td = 0, tg;
        for (int k = 0; k < r->d_steps; k++) {
            double t = run_program(m, &m->programs[pd], base, threads, sc, &rng, NULL, r->err,
                                   sizeof r->err);
            if (t < 0)
                goto out;
            td += t;
        }
        tg = run_program(m, &m->programs[pg], base, threads, sc, &rng, NULL, r->err,
                         sizeof r->err);
        if (tg < 0)
            goto out;
        if (it >= warmup) {
            sum_d += td / r->d_steps;
            sum_g += tg;
            timed++;
        }
    }
    if (profile_step(m, pd, pg, r->d_steps, base, threads, sc, &rng, path, r->err,
                     sizeof r->err))
        goto out;
    r->steps = timed;
    r->t_d = sum_d / timed;
    r->t_g = sum_g / timed;
    r->t_step = r->d_steps * r->t_d + r->t_g;
    r->scratch_mib = (double)kern_scratch_bytes(sc) / (1 << 20);
    r->ok = 1;
out:
    for (int q = 0; q < GAN_REGION_COUNT; q++)
        free(base[q]);
    kern_scratch_free(sc);
    gan_model_free(m);
}

/* ---------------------------------------------------------------- sgemm, in a child */

static double bench_sgemm(int threads, int n)
{
    openblas_set_num_threads(threads);
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
          *c = malloc(sizeof(float) * n * n);
    if (!a || !b || !c)
        return -1;
    for (long i = 0; i < (long)n * n; i++) {
        a[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
        b[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
    }
    double best = 1e30;
    for (int r = 0; r < 4; r++) { /* the first is the warm-up */
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f,
                    c, n);
        double dt = now() - t0;
        if (r > 0 && dt < best)
            best = dt;
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * n * n * (double)n / best / 1e9;
}

/* Runs fn in a child; the child writes len bytes of result into the pipe. 0 ok. */
typedef void (*child_fn)(void *arg, void *res);
static int in_child(child_fn fn, void *arg, void *res, size_t len, long *maxrss_kib,
                    int timeout_s, int *timed_out)
{
    *timed_out = 0;
    int fd[2];
    if (pipe(fd))
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        alarm((unsigned)timeout_s);
        fn(arg, res);
        const char *p = res;
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(fd[1], p + off, len - off);
            if (w <= 0)
                _exit(2);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fd[1]);
    size_t off = 0;
    while (off < len) {
        ssize_t got = read(fd[0], (char *)res + off, len - off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        off += (size_t)got;
    }
    close(fd[0]);
    int st;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
        ;
    if (maxrss_kib)
        *maxrss_kib = ru.ru_maxrss;
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
        *timed_out = 1;
    return off == len && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

typedef struct { const char *path; int threads, warmup, iters, bf16; } ganrt_arg;
static void child_ganrt(void *arg, void *res)
{
    ganrt_arg *a = arg;
    kern_set_precision(a->bf16 ? KERN_PREC_BF16 : KERN_PREC_FP32); /* in the child only */
    if (a->bf16) /* 1: AVX512-BF16 (portable without it), 2: AMX */
        kern_bf16_force_impl(a->bf16 == 2 ? KERN_BF16_AMX
                             : kern_bf16_avx512_usable() ? KERN_BF16_AVX512 : KERN_BF16_PORTABLE);
    bench_ganrt(a->path, a->threads, a->warmup, a->iters, res);
}

typedef struct { int threads; } gemm_arg;
static void child_gemm(void *arg, void *res)
{
    *(double *)res = bench_sgemm(((gemm_arg *)arg)->threads, 2048);
}

/* ---------------------------------------------------------------- PyTorch */

static int torch_available(char *why, size_t len)
{
    if (access(PY, X_OK)) {
        snprintf(why, len, "%s not found", PY);
        return 0;
    }
    int rc = system(PY " -c 'import torch' >/dev/null 2>&1");
    if (rc != 0) {
        snprintf(why, len, "python3-torch not installed");
        return 0;
    }
    return 1;
}

static void bench_torch(const char *script, const char *model, int threads, int warmup,
                        int iters, int timeout, torch_result *r)
{
    memset(r, 0, sizeof *r);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "timeout %d " PY " %s --model %s --threads %d --warmup %d --iters %d "
             "--min-time %g --max-steps %d 2>&1",
             timeout, script, model, threads, warmup, iters, MIN_TIMED_S, MAX_STEPS);
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(r->note, sizeof r->note, "cannot run %s", PY);
        return;
    }
    char line[1024];
    while (fgets(line, sizeof line, p)) {
        if (sscanf(line,
                   "RESULT d_step %lf g_step %lf step %lf rss_base_mib %lf rss_peak_mib %lf "
                   "params_g %lld params_d %lld steps %d",
                   &r->t_d, &r->t_g, &r->t_step, &r->rss_base_mib, &r->rss_peak_mib,
                   &r->params_g, &r->params_d, &r->steps) == 8)
            r->ok = 1;
        else if (!r->ok && line[0] != '\n') { /* keep the last line: a traceback's error */
            line[strcspn(line, "\n")] = 0;
            snprintf(r->note, sizeof r->note, "%.200s", line);
        }
    }
    int st = pclose(p);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 124)
        snprintf(r->note, sizeof r->note, "timed out after %d s (BENCH_TIMEOUT)", timeout);
    if (r->ok && st != 0)
        r->ok = 0;
}

/* ---------------------------------------------------------------- main */

static int parse_threads(const char *s, int *th)
{
    int n = 0;
    while (*s && n < MAX_THREADS) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 256)
            return -1;
        th[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return n;
}

static int env_int(const char *name, int def)
{
    const char *s = getenv(name);
    return s && atoi(s) > 0 ? atoi(s) : def;
}

/* the repository root: the current directory when it has models/, else two levels above
 * $GANC (build/<variant>/ganc) */
static void find_root(char *root, size_t len)
{
    if (!access("models/making_faces.gan", R_OK)) {
        snprintf(root, len, ".");
        return;
    }
    const char *g = getenv("GANC");
    if (g) {
        snprintf(root, len, "%s", g);
        char *s = strrchr(root, '/');
        if (s) {
            *s = 0;
            strncat(root, "/../..", len - strlen(root) - 1);
            return;
        }
    }
    snprintf(root, len, ".");
}

/* What to measure, from the command line and the environment. */
typedef struct {
    int threads[MAX_THREADS], n_threads;
    int iters, warmup, use_torch, timeout, bf16;
    const char *models[MAX_MODELS];
    int n_models;
    char root[1024], paths[4][1100], script[1200];
} bench_cfg;

/* Every configuration's figures: [model][thread count]. */
typedef struct {
    model_result gr[MAX_MODELS][MAX_THREADS], br[2][MAX_MODELS][MAX_THREADS]; /* fp32, bf16 x2 */
    torch_result tr[MAX_MODELS][MAX_THREADS];
    double gemm[MAX_THREADS];
    int have_torch;
    char why[256]; /* why PyTorch was skipped */
} bench_results;

/* See the top of the file; libgomp reads the variable when it is loaded, hence exec. Returns
 * only when the exec failed or was not wanted. */
static void reexec_with_passive_wait(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT") || getenv("BENCH_KEEP_OMP_ENV"))
        return;
    setenv("OMP_WAIT_POLICY", "passive", 1);
    execv("/proc/self/exe", argv);
    fprintf(stderr, "bench_model: cannot re-execute with OMP_WAIT_POLICY=passive (%s); "
                    "measuring with the default spin-waiting\n", strerror(errno));
}

/* 0, or 1 after a message: a bad option. */
static int parse_args(int argc, char **argv, bench_cfg *c)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            c->n_threads = parse_threads(argv[++i], c->threads);
            if (c->n_threads <= 0) {
                fprintf(stderr, "bench_model: --threads wants a list like 1,2 (got '%s')\n",
                        argv[i]);
                return 1;
            }
        } else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
            c->iters = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) {
            c->warmup = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--no-torch")) {
            c->use_torch = 0;
        } else if (!strcmp(argv[i], "--no-bf16")) {
            c->bf16 = 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: bench_model [--threads 1,2] [--iters N] [--warmup N] "
                            "[--no-torch] [--no-bf16] [MODEL.gan ...]\n");
            return 1;
        } else if (c->n_models < MAX_MODELS) {
            c->models[c->n_models++] = argv[i];
        }
    }
    if (c->iters < 1 || c->warmup < 0) {
        fprintf(stderr, "bench_model: --iters must be >= 1 and --warmup >= 0\n");
        return 1;
    }
    return 0;
}

/* The defaults, then the command line; the default models and the PyTorch script live under
 * the repository root. 0, or 1 after a message. */
static int configure(int argc, char **argv, bench_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->threads[0] = 1;
    c->threads[1] = 2;
    c->n_threads = 2;
    c->iters = env_int("BENCH_ITERS", 1);
    c->warmup = env_int("BENCH_WARMUP", 1);
    c->use_torch = 1;
    c->bf16 = 1;
    c->timeout = env_int("BENCH_TIMEOUT", 150);
    find_root(c->root, sizeof c->root);
    if (parse_args(argc, argv, c))
        return 1;
    if (c->n_models == 0) {
        static const char *defaults[] = {"making_faces", "dcgan64", "faces64", "demo"};
        for (int i = 0; i < 4; i++) {
            snprintf(c->paths[i], sizeof c->paths[i], "%s/models/%s.gan", c->root, defaults[i]);
            c->models[c->n_models++] = c->paths[i];
        }
    }
    snprintf(c->script, sizeof c->script, "%s/bench/torch_model.py", c->root);
    return 0;
}

/* When, where and how: the figures mean little without the machine's load. */
static void print_setup(const bench_cfg *c)
{
    double load0[3] = {0};
    getloadavg(load0, 3);
    time_t t0 = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&t0));
    printf("bench_model: %s, %ld online CPUs, load average %.2f %.2f %.2f at the start\n", when,
           sysconf(_SC_NPROCESSORS_ONLN), load0[0], load0[1], load0[2]);
    printf("  %d warm-up + at least %d timed training step(s) per configuration (more, up to "
           "%d, until %.0f s are timed); a step is d_steps x d_step + g_step\n", c->warmup,
           c->iters, MAX_STEPS, MIN_TIMED_S);
    const char *envs[] = {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS",
                          "OPENBLAS_NUM_THREADS"};
    printf("  environment:");
    for (size_t e = 0; e < sizeof envs / sizeof envs[0]; e++)
        printf(" %s=%s", envs[e], getenv(envs[e]) ? getenv(envs[e]) : "(unset)");
    printf("\n");
    fflush(stdout);
}

/* Each model at each thread count in its own child; 1 when one failed. */
static int measure_ganrt(const bench_cfg *c, bench_results *res)
{
    int failed = 0;
    for (int i = 0; i < c->n_models; i++)
        for (int k = 0; k < 3 * c->n_threads; k++) {
            int bf = k % 3; /* fp32, bf16, bf16 on AMX */
            if ((bf && !c->bf16) || (bf == 2 && !kern_bf16_amx_usable()))
                continue;
            ganrt_arg a = {c->models[i], c->threads[k / 3], c->warmup, c->iters, bf};
            model_result *r = bf ? &res->br[bf - 1][i][k / 3] : &res->gr[i][k / 3];
            memset(r, 0, sizeof *r);
            long rss = 0;
            int to = 0;
            if (in_child(child_ganrt, &a, r, sizeof *r, &rss, c->timeout, &to) || !r->ok) {
                if (to)
                    snprintf(r->err, sizeof r->err, "timed out after %d s (BENCH_TIMEOUT)",
                             c->timeout);
                fprintf(stderr, "bench_model: ganrt %s%s, %d thread(s): %s\n", c->models[i],
                        bf == 2 ? " (bf16-amx)" : bf ? " (bf16)" : "", a.threads,
                        r->err[0] ? r->err : "the child failed");
                r->ok = 0;
                failed = 1;
                continue;
            }
            r->maxrss_kib = rss;
            printf("  ganrt   %-18s %d thread(s)%s: step %.3f s (mean of %d)\n",
                   base_name(c->models[i]), a.threads, bf == 2 ? " bf16-amx" : bf ? " bf16" : "",
                   r->t_step, r->steps);
            fflush(stdout);
        }
    return failed;
}

static void measure_sgemm(const bench_cfg *c, bench_results *res)
{
    for (int k = 0; k < c->n_threads; k++) {
        gemm_arg a = {c->threads[k]};
        res->gemm[k] = -1;
        int to = 0;
        if (in_child(child_gemm, &a, &res->gemm[k], sizeof res->gemm[k], NULL, c->timeout, &to))
            res->gemm[k] = -1;
    }
}

/* The PyTorch run of one configuration ganrt ran; 1 when it is not the same model. */
static int measure_torch_one(const bench_cfg *c, bench_results *res, int i, int k)
{
    model_result *g = &res->gr[i][k];
    torch_result *t = &res->tr[i][k];
    int failed = 0;
    char name[128];
    snprintf(name, sizeof name, "%s", base_name(c->models[i]));
    char *dot = strrchr(name, '.');
    if (dot)
        *dot = 0;
    bench_torch(c->script, name, c->threads[k], c->warmup, c->iters, c->timeout, t);
    /* the same model? its parameter counts must be the compiled model's */
    if (t->ok && (t->params_g != g->params_g || t->params_d != g->params_d)) {
        snprintf(t->note, sizeof t->note,
                 "not the same model: PyTorch has %lld + %lld parameters, ganc "
                 "%lld + %lld", t->params_g, t->params_d, g->params_g, g->params_d);
        t->ok = 0;
        failed = 1;
    }
    if (t->ok)
        printf("  pytorch %-18s %d thread(s): step %.3f s (mean of %d)\n",
               base_name(c->models[i]), c->threads[k], t->t_step, t->steps);
    else
        printf("  pytorch %-18s %d thread(s): %s\n", base_name(c->models[i]), c->threads[k],
               t->note[0] ? t->note : "failed");
    fflush(stdout);
    return failed;
}

/* PyTorch where it can run, for the configurations ganrt ran; 1 when one was not the same
 * model. */
static int measure_torch(const bench_cfg *c, bench_results *res)
{
    res->have_torch = c->use_torch && torch_available(res->why, sizeof res->why);
    if (!c->use_torch)
        snprintf(res->why, sizeof res->why, "--no-torch");
    if (!res->have_torch)
        return 0;
    int failed = 0;
    for (int i = 0; i < c->n_models; i++)
        for (int k = 0; k < c->n_threads; k++)
            if (res->gr[i][k].ok)
                failed |= measure_torch_one(c, res, i, k);
    return failed;
}

/* One row of the table: times in ms, img/s = batch / step time, GFLOP/s and its share of
 * the same thread count's sgemm. */
static void print_row(const char *model, int batch, int th, const char *impl, double t_d,
                      double t_g, double t_step, double flops, double gemm, double rss,
                      double planned, double scratch)
{
    double gfs = flops / t_step / 1e9;
    printf("%-17s %5d %3d  %-11s %8.1f %8.1f %8.1f %7.1f %8.1f", model, batch, th, impl,
           t_d * 1e3, t_g * 1e3, t_step * 1e3, batch / t_step, gfs);
    if (gemm > 0)
        printf(" %6.0f%%", 100 * gfs / gemm);
    else
        printf(" %7s", "-");
    printf(" %8.0f", rss);
    if (planned > 0)
        printf(" %8.0f %8.1f\n", planned, scratch);
    else
        printf(" %8s %8s\n", "-", "-");
}

static void print_table(const bench_cfg *c, const bench_results *res)
{
    printf("\nTraining step time and throughput; GFLOP/s from the compiler's FLOP counts (2 x "
           "multiply-adds),\n%%sgemm = that GFLOP/s over OpenBLAS sgemm 2048^2 at the same "
           "thread count, measured in this run\n");
    printf("%-17s %5s %3s  %-11s %8s %8s %8s %7s %8s %7s %8s %8s %8s\n", "model", "batch",
           "thr", "impl", "d_step", "g_step", "step", "img/s", "GFLOP/s", "%sgemm", "peak RSS",
           "planned", "scratch");
    printf("%-17s %5s %3s  %-11s %8s %8s %8s %7s %8s %7s %8s %8s %8s\n", "", "", "", "", "ms",
           "ms", "ms", "", "", "", "MiB", "MiB", "MiB");
    for (int i = 0; i < c->n_models; i++)
        for (int k = 0; k < c->n_threads; k++) {
            const model_result *r = &res->gr[i][k], *b;
            if (!r->ok)
                continue;
            double fl = r->d_steps * r->d_flops + r->g_flops;
            print_row(base_name(c->models[i]), r->batch, c->threads[k], "ganrt", r->t_d, r->t_g,
                      r->t_step, fl, res->gemm[k], r->maxrss_kib / 1024.0, r->planned_mib,
                      r->scratch_mib);
            const char *bf_name = kern_bf16_avx512_usable() ? "bf16-avx512" : "bf16-c";
            for (int v = 0; v < 2; v++) /* the same work in bf16; %sgemm: the fp32 roofline */
                if ((b = &res->br[v][i][k])->ok)
                    print_row("", b->batch, c->threads[k], v ? "bf16-amx" : bf_name, b->t_d,
                              b->t_g, b->t_step, fl, res->gemm[k], b->maxrss_kib / 1024.0,
                              b->planned_mib, b->scratch_mib);
            const torch_result *t = &res->tr[i][k];
            if (!t->ok)
                continue;
            print_row("", r->batch, c->threads[k], "pytorch", t->t_d, t->t_g, t->t_step, fl,
                      res->gemm[k], t->rss_peak_mib, 0, 0);
            for (int v = -1; v < 2; v++) /* every column of ganrt's figures (fp32, bf16 x2) over
                                          * PyTorch's (fp32) */
                if ((b = v < 0 ? r : &res->br[v][i][k])->ok)
                    printf("%-17s %5s %3s  %-11s %8.2f %8.2f %8.2f %7.2f %8s %7s %8.2f\n", "", "",
                           "", v < 0 ? "ratio" : v ? "ratio amx" : "ratio bf16", b->t_d / t->t_d,
                           b->t_g / t->t_g, b->t_step / t->t_step, t->t_step / b->t_step, "", "",
                           b->maxrss_kib / 1024.0 / t->rss_peak_mib);
        }
    for (int k = 0; k < c->n_threads; k++)
        if (res->gemm[k] > 0)
            printf("%-17s %5s %3d  %-11s %8s %8s %8s %7s %8.1f\n", "sgemm 2048^2", "",
                   c->threads[k], "openblas", "", "", "", "", res->gemm[k]);
}

/* The scoreboard: each model at the last thread count, against the targets. */
static void print_scoreboard(const bench_cfg *c, const bench_results *res)
{
    int k = c->n_threads - 1;
    printf("\nScoreboard, %d thread(s) (targets of issue 12: img/s >= 3x PyTorch's, peak RSS "
           "<= 0.4x):\n", c->threads[k]);
    printf("%-17s %11s %13s %9s %10s %10s %11s %9s\n", "model", "ganrt img/s", "pytorch img/s",
           "img/s x", "GFLOP/s", "% of sgemm", "ganrt MiB", "RSS x");
    for (int i = 0; i < c->n_models; i++) {
        const model_result *r = &res->gr[i][k];
        const torch_result *t = &res->tr[i][k];
        if (!r->ok)
            continue;
        double gfs = (r->d_steps * r->d_flops + r->g_flops) / r->t_step / 1e9;
        printf("%-17s %11.1f", base_name(c->models[i]), r->batch / r->t_step);
        if (t->ok)
            printf(" %13.1f %8.2fx", r->batch / t->t_step, t->t_step / r->t_step);
        else
            printf(" %13s %9s", "-", "-");
        printf(" %10.1f", gfs);
        if (res->gemm[k] > 0)
            printf(" %9.0f%%", 100 * gfs / res->gemm[k]);
        else
            printf(" %10s", "-");
        printf(" %11.0f", r->maxrss_kib / 1024.0);
        if (t->ok)
            printf(" %8.2fx\n", r->maxrss_kib / 1024.0 / t->rss_peak_mib);
        else
            printf(" %9s\n", "-");
    }
}

/* What the columns mean, and the PyTorch baseline's own memory. */
static void print_notes(const bench_cfg *c, const bench_results *res)
{
    printf("\nratio = ganrt's figure / PyTorch's, column by column: times below 1 and img/s "
           "above 1 mean ganrt is faster,\npeak RSS below 1 that it uses less memory. img/s = "
           "batch / step time (a step: d_steps x d_step + g_step).\n");
    printf("planned = ganrt's parameters + Adam/BN/SN state + gradients + the planned "
           "activation arena;\npeak RSS = the whole process (ganrt: its own child; PyTorch: "
           "the Python process, interpreter\nand libraries included");
    if (res->have_torch) {
        double base = 0;
        for (int i = 0; i < c->n_models; i++)
            for (int k = 0; k < c->n_threads; k++)
                if (res->tr[i][k].ok)
                    base = res->tr[i][k].rss_base_mib;
        printf(": ~%.0f MiB after `import torch` alone).\n", base);
    } else {
        printf(").\n");
    }
    if (!res->have_torch)
        printf("PyTorch reference: skipped (%s)\n", res->why);
}

int main(int argc, char **argv)
{
    reexec_with_passive_wait(argv);
    bench_cfg c;
    if (configure(argc, argv, &c))
        return 1;
    bench_results res;
    memset(&res, 0, sizeof res);
    print_setup(&c);
    if (c.bf16) /* (asks AMX's permission before any child: fork inherits it) */
        printf("  bf16 rows: %s; bf16-amx: %s\n", kern_bf16_avx512_usable() ? "vdpbf16ps" : "C",
               kern_bf16_amx_usable() ? "AMX tiles (tdpbf16ps)" : "none (no AMX-BF16 here)");
    double wall0 = now();
    int failed = measure_ganrt(&c, &res);
    measure_sgemm(&c, &res);
    failed |= measure_torch(&c, &res);
    double load1[3] = {0};
    getloadavg(load1, 3);
    print_table(&c, &res);
    print_scoreboard(&c, &res);
    print_notes(&c, &res);
    printf("load average %.2f %.2f %.2f at the end; %.0f s in all.\n", load1[0], load1[1],
           load1[2], now() - wall0);
    return failed;
}
