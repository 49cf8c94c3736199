/* The planner, its checker, the validator and the model.bin format on what gan_build really
 * produces: every md fixture (tests/util/md_fixtures), fused and unfused, at its own batch
 * and at batch 100 for the seed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "compiler/backend.h"
#include "cli/cli.h"
#include "runtime/exec.h"
#include "format/model.h"
#include "tests/util/md_fixtures.h"
#include "tests/util/plan_gen.h"

typedef md_model *(*fixture_fn)(int tiny);

/* The liveness lower bound of a program: the largest sum of (aligned) sizes of arena tensors
 * live at one op, derived here without the planner's code. No allocator can do better
 * without running ops in place. */
static uint64_t max_live(const gan_model *m, const gan_program *g)
{
    int *first = malloc((size_t)m->n_tensors * 2 * sizeof *first), *last = first + m->n_tensors;
    for (int t = 0; t < m->n_tensors; t++)
        first[t] = last[t] = -1;
    for (int j = 0; j < g->n_inputs; j++)
        first[g->inputs[j]] = last[g->inputs[j]] = 0;
    for (int k = 0; k < g->n_ops; k++) {
        const gan_op *op = &g->ops[k];
        for (int j = 0; j < op->n_in + op->n_out; j++) {
            int t = j < op->n_in ? op->in[j] : op->out[j - op->n_in];
            if (t < 0 || m->tensors[t].region != GAN_REGION_ARENA)
                continue;
            if (first[t] < 0)
                first[t] = k;
            last[t] = k;
        }
    }
    for (int j = 0; j < g->n_outputs; j++)
        last[g->outputs[j]] = g->n_ops;
    uint64_t peak = 0;
    for (int k = 0; k <= g->n_ops; k++) {
        uint64_t s = 0;
        for (int t = 0; t < m->n_tensors; t++)
            if (first[t] >= 0 && first[t] <= k && k <= last[t])
                s += (m->tensors[t].numel + 15) / 16 * 16;
        if (s > peak)
            peak = s;
    }
    free(first);
    return peak;
}

static const struct {
    const char *name;
    fixture_fn fn;
} fixtures[] = {
    {"making_faces", mdfx_making_faces}, {"dcgan", mdfx_dcgan},
    {"hinge_sn", mdfx_hinge_sn},         {"class_cond", mdfx_class_cond},
    {"classifier", mdfx_classifier},     {"projection", mdfx_projection},
};
#define N_FIXTURES ((int)(sizeof fixtures / sizeof fixtures[0]))

static gan_model *build_planned(int f, int tiny, int fuse, int batch)
{
    char err[2048];
    md_model *md = fixtures[f].fn(tiny);
    ck_assert_msg(md != NULL, "%s: fixture", fixtures[f].name);
    gan_build_opts o = {fuse, batch};
    gan_model *m = gan_build(md, &o, err, sizeof err);
    mdfx_free(md);
    ck_assert_msg(m != NULL, "%s: gan_build: %s", fixtures[f].name, err);
    ck_assert_msg(gan_plan(m, err, sizeof err) == 0, "%s (fuse %d): plan: %s",
                  fixtures[f].name, fuse, err);
    return m;
}

START_TEST(every_fixture_plans_and_proves)
{
    char err[2048], msg[256];
    for (int f = 0; f < N_FIXTURES; f++)
        for (int tiny = 0; tiny <= 1; tiny++)
            for (int fuse = 0; fuse <= 1; fuse++) {
                gan_model *m = build_planned(f, tiny, fuse, 0);
                ck_assert_msg(gan_model_validate(m, err, sizeof err) == 0, "%s: validate: %s",
                              fixtures[f].name, err);
                ck_assert_msg(gan_plan_check(m, err, sizeof err) == 0, "%s: check: %s",
                              fixtures[f].name, err);
                if (tiny)
                    ck_assert_msg(plan_simulate(m) == 0, "%s: simulation shows a clobbered "
                                  "tensor", fixtures[f].name);
                for (int p = 0; p < m->n_programs; p++) {
                    const gan_program *g = &m->programs[p];
                    ck_assert_uint_le(g->arena_floats, g->naive_floats + 16 * 64);
                    ck_assert(g->flops > 0);
                }
                /* format round trip of a real model */
                void *buf;
                size_t len;
                ck_assert_int_eq(gan_model_write_mem(m, &buf, &len), 0);
                gan_model *l = gan_model_load_mem(buf, len, fixtures[f].name, err, sizeof err);
                ck_assert_msg(l != NULL, "%s", err);
                ck_assert_msg(plan_model_equal(m, l, msg, sizeof msg) == 0, "%s: %s",
                              fixtures[f].name, msg);
                gan_model_free(l);
                free(buf);
                gan_model_free(m);
            }
}
END_TEST

START_TEST(seed_fixture_arena_vs_naive)
{
    for (int fuse = 0; fuse <= 1; fuse++) {
        gan_model *m = build_planned(0, 0, fuse, 100);
        uint64_t naive = 0;
        for (int p = 0; p < m->n_programs; p++) {
            const gan_program *g = &m->programs[p];
            naive += g->naive_floats;
            /* the greedy placement reaches the liveness lower bound on the seed */
            ck_assert_uint_le(g->arena_floats, max_live(m, g));
            fprintf(stderr, "making_faces (%s) %-10s %4d ops arena %7.1f MiB naive %7.1f MiB "
                            "(%.1f%%) %.1f GFLOP\n",
                    fuse ? "fused" : "unfused", g->name, g->n_ops,
                    g->arena_floats * 4.0 / 1048576, g->naive_floats * 4.0 / 1048576,
                    100.0 * g->arena_floats / g->naive_floats, g->flops / 1e9);
        }
        uint64_t arena = m->region_floats[GAN_REGION_ARENA];
        fprintf(stderr, "making_faces (%s) arena region %.1f MiB vs naive sum %.1f MiB (%.1f%%)\n",
                fuse ? "fused" : "unfused", arena * 4.0 / 1048576, naive * 4.0 / 1048576,
                100.0 * arena / naive);
        ck_assert_uint_le(2 * arena, naive);
        /* the report shows the same numbers */
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        ck_assert(f != NULL);
        gan_report_programs(m, f);
        fclose(f);
        ck_assert_msg(strstr(text, "g_step") && strstr(text, "naive sum") &&
                          strstr(text, "FLOPs per training step (2 x d_step + g_step)"),
                      "%s", text);
        if (fuse)
            fputs(text, stderr);
        free(text);
        gan_model_free(m);
    }
}
END_TEST

/* ganrt info on a model gan_build made (in process: the ganrt binary's dispatch is not ours) */
START_TEST(info_on_fixtures)
{
    char err[2048], path[256];
    const char *base = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/ganinfo.XXXXXX", base && *base ? base : "/tmp");
    ck_assert(mkdtemp(path) != NULL);
    size_t dl = strlen(path);
    for (int f = 0; f < N_FIXTURES; f++) {
        gan_model *m = build_planned(f, 0, 1, 0);
        snprintf(path + dl, sizeof path - dl, "/%s.bin", fixtures[f].name);
        ck_assert_msg(gan_model_write(m, path, err, sizeof err) == 0, "%s", err);
        gan_model_free(m);
        fflush(NULL);
        pid_t pid = fork();
        ck_assert(pid >= 0);
        if (pid == 0) {
            if (!freopen("/dev/null", "w", stdout))
                _exit(99);
            char *argv[] = {"info", path, NULL};
            int rc = ganrt_info_main(2, argv);
            fflush(NULL);
            _exit(rc);
        }
        int st;
        ck_assert(waitpid(pid, &st, 0) == pid);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: ganrt info failed",
                      fixtures[f].name);
        unlink(path);
    }
    path[dl] = 0;
    rmdir(path);
}
END_TEST

/* Runs every program of m in order on deterministic inputs and parameters; the arena starts
 * as NaN so any read of unwritten storage shows. Returns the concatenated program outputs and
 * the final persistent regions (caller frees). */
static float *run_all(const gan_model *m, size_t *n_out)
{
    char err[1024];
    float *base[GAN_REGION_COUNT];
    for (int r = 0; r < GAN_REGION_COUNT; r++) {
        base[r] = malloc((m->region_floats[r] + 1) * sizeof(float));
        ck_assert(base[r] != NULL);
    }
    uint32_t rng = 99;
    for (int r = 0; r < GAN_REGION_ARENA; r++)
        for (uint64_t i = 0; i < m->region_floats[r]; i++) {
            rng = rng * 1664525u + 1013904223u;
            base[r][i] = 0.5f + (float)(rng >> 8) / (float)(1u << 24); /* (0.5, 1.5) */
        }
    for (int p = 0; p < m->n_programs; p++) /* Adam's step counters start at 0 */
        for (int k = 0; k < m->programs[p].n_ops; k++)
            if (m->programs[p].ops[k].type == GAN_OP_ADAM)
                *gan_tensor_ptr(m, base, m->programs[p].ops[k].in[4]) = 0.0f;
    for (uint64_t i = 0; i < m->region_floats[GAN_REGION_ARENA]; i++)
        base[GAN_REGION_ARENA][i] = __builtin_nanf("");
    size_t cap = 1024, n = 0;
    float *out = malloc(cap * sizeof *out);
    for (int p = 0; p < m->n_programs; p++) {
        const gan_program *g = &m->programs[p];
        for (int j = 0; j < g->n_inputs; j++) {
            const gan_tensor *t = &m->tensors[g->inputs[j]];
            float *d = gan_tensor_ptr(m, base, g->inputs[j]);
            for (uint64_t i = 0; i < t->numel; i++) {
                rng = rng * 1664525u + 1013904223u;
                float u = (float)(rng >> 8) / (float)(1u << 24);
                d[i] = g->input_roles[j] == GAN_ROLE_LABELS ? (u < 0.5f ? 0.0f : 1.0f)
                                                            : 2.0f * u - 1.0f;
            }
        }
        ck_assert_msg(gan_exec_program(m, g, base, 1, err, sizeof err) == 0, "%s: %s", g->name,
                      err);
        for (int j = 0; j < g->n_outputs; j++) {
            const gan_tensor *t = &m->tensors[g->outputs[j]];
            const float *d = gan_tensor_ptr(m, base, g->outputs[j]);
            while (n + t->numel > cap)
                out = realloc(out, (cap *= 2) * sizeof *out);
            memcpy(out + n, d, t->numel * sizeof *d);
            n += t->numel;
        }
    }
    for (int r = 0; r < GAN_REGION_ARENA; r++) {
        while (n + m->region_floats[r] > cap)
            out = realloc(out, (cap *= 2) * sizeof *out);
        memcpy(out + n, base[r], m->region_floats[r] * sizeof(float));
        n += m->region_floats[r];
    }
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        free(base[r]);
    *n_out = n;
    return out;
}

/* The plan changes where tensors live, never what the programs compute: the planned model and
 * the same model with every arena tensor in storage of its own give bit-identical outputs,
 * parameters and state after running all programs with the real kernels. */
START_TEST(planned_runs_match_naive_runs)
{
    for (int f = 0; f < N_FIXTURES; f++)
        for (int fuse = 0; fuse <= 1; fuse++) {
            gan_model *a = build_planned(f, 1, fuse, 0);
            gan_model *b = build_planned(f, 1, fuse, 0);
            uint64_t off = 0;
            for (int t = 0; t < b->n_tensors; t++)
                if (b->tensors[t].region == GAN_REGION_ARENA) {
                    b->tensors[t].offset = off;
                    off += b->tensors[t].numel;
                }
            b->region_floats[GAN_REGION_ARENA] = off;
            ck_assert_uint_lt(a->region_floats[GAN_REGION_ARENA], off);
            size_t na, nb;
            float *ra = run_all(a, &na), *rb = run_all(b, &nb);
            ck_assert_uint_eq(na, nb);
            int nan = 0;
            for (size_t i = 0; i < na; i++)
                nan += ra[i] != ra[i];
            ck_assert_msg(nan == 0, "%s: %d NaN values in the planned run", fixtures[f].name,
                          nan);
            ck_assert_msg(memcmp(ra, rb, na * sizeof *ra) == 0,
                          "%s (fuse %d): planned and naive runs differ", fixtures[f].name, fuse);
            free(ra);
            free(rb);
            gan_model_free(a);
            gan_model_free(b);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plan_fixtures");
    TCase *tc = tcase_create("plan_fixtures");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_fixture_plans_and_proves);
    tcase_add_test(tc, seed_fixture_arena_vs_naive);
    tcase_add_test(tc, info_on_fixtures);
    tcase_add_test(tc, planned_runs_match_naive_runs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
