/* The memory planner and its checker on random models, broken plans and a seed-shaped model. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/backend.h"
#include "format/model.h"
#include "format/model_opinfo.h"
#include "tests/util/plan_gen.h"

static gan_model *planned(uint32_t seed)
{
    char err[1024];
    gan_model *m = plan_gen_random(seed);
    ck_assert_msg(gan_plan(m, err, sizeof err) == 0, "seed %u: plan failed: %s", seed, err);
    return m;
}

START_TEST(random_models_validate_plan_and_prove)
{
    char err[1024];
    int inplace_seen = 0, reuse_seen = 0;
    for (uint32_t seed = 1; seed <= 1200; seed++) {
        gan_model *m = plan_gen_random(seed);
        ck_assert_msg(gan_plan(m, err, sizeof err) == 0, "seed %u: plan: %s", seed, err);
        ck_assert_msg(gan_model_validate(m, err, sizeof err) == 0, "seed %u: validate: %s",
                      seed, err);
        ck_assert_msg(gan_plan_check(m, err, sizeof err) == 0, "seed %u: check: %s", seed, err);
        for (int p = 0; p < m->n_programs; p++) {
            const gan_program *g = &m->programs[p];
            ck_assert_uint_le(g->arena_floats, m->region_floats[GAN_REGION_ARENA]);
            ck_assert(g->flops >= 0);
            if (g->arena_floats < g->naive_floats)
                reuse_seen++;
            for (int k = 0; k < g->n_ops; k++) {
                const gan_op *op = &g->ops[k];
                if ((op->type == GAN_OP_ACT || op->type == GAN_OP_COPY) && op->in[0] != op->out[0] &&
                    m->tensors[op->in[0]].region == GAN_REGION_ARENA &&
                    m->tensors[op->in[0]].offset == m->tensors[op->out[0]].offset)
                    inplace_seen++;
            }
        }
        gan_model_free(m);
    }
    /* the generator must exercise what the planner does */
    ck_assert_int_gt(inplace_seen, 100);
    ck_assert_int_gt(reuse_seen, 500);
}
END_TEST

/* Two arena tensors of one program live at the same op, not an in-place pair. */
static int find_live_pair(const gan_model *m, int *pa, int *pb, int *pp)
{
    for (int p = 0; p < m->n_programs; p++) {
        const gan_program *g = &m->programs[p];
        for (int k = 0; k < g->n_ops; k++) {
            const gan_op *op = &g->ops[k];
            if (op->type == GAN_OP_ACT || op->type == GAN_OP_COPY)
                continue;
            int r = -1, w = -1;
            gan_op_use u[2 * GAN_OP_MAX_IO];
            int nu = gan_op_uses(op, u);
            for (int j = 0; j < nu; j++) {
                if (m->tensors[u[j].tensor].region != GAN_REGION_ARENA)
                    continue;
                if (!u[j].is_out && r < 0)
                    r = u[j].tensor;
                if (u[j].is_out && w < 0)
                    w = u[j].tensor;
            }
            if (r >= 0 && w >= 0 && r != w) {
                *pa = r;
                *pb = w;
                *pp = p;
                return 1;
            }
        }
    }
    return 0;
}

START_TEST(checker_catches_overlap)
{
    char err[1024];
    int caught = 0;
    for (uint32_t seed = 1; seed <= 200; seed++) {
        gan_model *m = planned(seed);
        int a, b, p;
        if (find_live_pair(m, &a, &b, &p)) {
            m->tensors[b].offset = m->tensors[a].offset;
            if (m->tensors[b].offset + m->tensors[b].numel > m->region_floats[GAN_REGION_ARENA])
                m->region_floats[GAN_REGION_ARENA] = m->tensors[b].offset + m->tensors[b].numel;
            m->programs[p].arena_floats = 0; /* only the overlap may be wrong */
            ck_assert_msg(gan_plan_check(m, err, sizeof err) != 0, "seed %u: overlap of '%s' "
                          "and '%s' not caught", seed, m->tensors[a].name, m->tensors[b].name);
            ck_assert_msg(strstr(err, "overlaps") && strstr(err, m->programs[p].name), "%s", err);
            caught++;
        }
        gan_model_free(m);
    }
    ck_assert_int_gt(caught, 150);
}
END_TEST

START_TEST(checker_catches_read_before_write)
{
    char err[1024];
    int caught = 0;
    for (uint32_t seed = 1; seed <= 200; seed++) {
        gan_model *m = planned(seed);
        /* drop the first ZERO in front of an accumulation into an arena tensor */
        for (int p = 0; p < m->n_programs; p++) {
            gan_program *g = &m->programs[p];
            for (int k = 0; k < g->n_ops; k++) {
                gan_op *op = &g->ops[k];
                if (op->type != GAN_OP_ZERO ||
                    m->tensors[op->out[0]].region != GAN_REGION_ARENA)
                    continue;
                int t = op->out[0];
                memmove(op, op + 1, (size_t)(g->n_ops - k - 1) * sizeof *op);
                g->n_ops--;
                ck_assert_msg(gan_plan_check(m, err, sizeof err) != 0,
                              "seed %u: missing ZERO of '%s' not caught", seed,
                              m->tensors[t].name);
                ck_assert_msg(strstr(err, "before it is written") &&
                                  strstr(err, m->tensors[t].name),
                              "%s", err);
                caught++;
                goto next;
            }
        }
    next:
        gan_model_free(m);
    }
    ck_assert_int_gt(caught, 100);
}
END_TEST

START_TEST(checker_catches_out_of_region)
{
    char err[1024];
    for (uint32_t seed = 1; seed <= 100; seed++) {
        gan_model *m = planned(seed);
        int t = m->programs[0].outputs[0];
        m->tensors[t].offset = m->region_floats[GAN_REGION_ARENA] - m->tensors[t].numel + 1;
        ck_assert(gan_plan_check(m, err, sizeof err) != 0);
        ck_assert_msg(strstr(err, "outside") && strstr(err, m->tensors[t].name), "%s", err);
        gan_model_free(m);
        /* persistent region: a parameter past the end, and two parameters overlapping */
        m = planned(seed);
        int par = -1, par2 = -1;
        for (int i = 0; i < m->n_tensors; i++)
            if (m->tensors[i].region == GAN_REGION_PARAM &&
                !(m->tensors[i].flags & GAN_TF_AGGREGATE)) {
                if (par < 0)
                    par = i;
                else if (par2 < 0)
                    par2 = i;
            }
        if (par2 < 0) {
            gan_model_free(m);
            continue;
        }
        m->tensors[par2].offset = m->tensors[par].offset;
        ck_assert(gan_plan_check(m, err, sizeof err) != 0);
        ck_assert_msg(strstr(err, "region param") && strstr(err, "overlaps"), "%s", err);
        m->tensors[par2].offset = m->region_floats[GAN_REGION_PARAM];
        ck_assert(gan_plan_check(m, err, sizeof err) != 0);
        ck_assert_msg(strstr(err, "outside region param"), "%s", err);
        gan_model_free(m);
    }
}
END_TEST

START_TEST(checker_allows_inplace_only_at_the_boundary)
{
    /* x -> act -> y in place, then y read by a later op while x is also read later: the
     * planner must not alias; forcing the alias must be caught. */
    pg_builder b;
    char err[1024];
    pg_init(&b, 2);
    int x = pg_t2(&b, "x", GAN_REGION_ARENA, 2, 8);
    int y = pg_t2(&b, "y", GAN_REGION_ARENA, 2, 8);
    int z = pg_t2(&b, "z", GAN_REGION_ARENA, 2, 8);
    int w = pg_t2(&b, "w", GAN_REGION_ARENA, 2, 8);
    pg_program(&b, "p", -1);
    pg_input(&b, x, GAN_ROLE_LATENT);
    gan_op *op = pg_op(&b, GAN_OP_ACT);
    pg_in(op, 0, x);
    pg_out(op, 0, y);
    op->i[0] = GAN_ACT_RELU;
    op = pg_op(&b, GAN_OP_ACT);
    pg_in(op, 0, y);
    pg_out(op, 0, z);
    op->i[0] = GAN_ACT_TANH;
    op = pg_op(&b, GAN_OP_ADD);
    pg_in(op, 0, z);
    pg_in(op, 1, x);
    pg_out(op, 0, w);
    pg_output(&b, w);
    gan_model *m = pg_finish(&b);
    ck_assert_msg(gan_plan(m, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(gan_plan_check(m, err, sizeof err) == 0, "%s", err);
    /* x is an input still read at op 2: y must not take its place; z may take y's */
    ck_assert(m->tensors[x].offset != m->tensors[y].offset);
    ck_assert_uint_eq(m->tensors[z].offset, m->tensors[y].offset);
    m->tensors[y].offset = m->tensors[x].offset;
    m->tensors[z].offset = m->tensors[x].offset;
    ck_assert(gan_plan_check(m, err, sizeof err) != 0);
    gan_model_free(m);
}
END_TEST

START_TEST(seed_model_arena_at_most_half)
{
    char err[1024];
    for (int fused = 0; fused <= 1; fused++) {
        gan_model *m = plan_gen_seed_model(100, fused);
        ck_assert_msg(gan_model_validate(m, err, sizeof err) != 0 || 1, "%s", err);
        ck_assert_msg(gan_plan(m, err, sizeof err) == 0, "%s", err);
        ck_assert_msg(gan_model_validate(m, err, sizeof err) == 0, "%s", err);
        ck_assert_msg(gan_plan_check(m, err, sizeof err) == 0, "%s", err);
        uint64_t naive = 0;
        for (int p = 0; p < m->n_programs; p++) {
            const gan_program *g = &m->programs[p];
            naive += g->naive_floats;
            fprintf(stderr, "seed model (%s) %-8s arena %8.1f MiB naive %8.1f MiB (%.1f%%) "
                            "%.1f GFLOP\n",
                    fused ? "fused" : "unfused", g->name, g->arena_floats * 4.0 / 1048576,
                    g->naive_floats * 4.0 / 1048576, 100.0 * g->arena_floats / g->naive_floats,
                    g->flops / 1e9);
        }
        uint64_t arena = m->region_floats[GAN_REGION_ARENA];
        fprintf(stderr, "seed model (%s) arena region %.1f MiB, naive sum %.1f MiB (%.1f%%)\n",
                fused ? "fused" : "unfused", arena * 4.0 / 1048576, naive * 4.0 / 1048576,
                100.0 * arena / naive);
        ck_assert_uint_le(2 * arena, naive);
        gan_model_free(m);
    }
}
END_TEST

START_TEST(plans_are_correct_by_simulation)
{
    for (uint32_t seed = 1; seed <= 600; seed++) {
        gan_model *m = planned(seed);
        ck_assert_msg(plan_simulate(m) == 0, "seed %u: the plan clobbers a live tensor", seed);
        gan_model_free(m);
    }
}
END_TEST

/* Random damage to good plans: whenever the simulation shows the damage matters, the checker
 * must reject the plan (the checker may be stricter, never laxer). */
START_TEST(checker_is_sound_against_simulation)
{
    char err[1024];
    uint32_t rng = 777;
    int broken = 0, strict_only = 0;
    for (uint32_t seed = 1; seed <= 300; seed++) {
        gan_model *m = planned(seed);
        int arena_t[4096], na = 0;
        for (int t = 0; t < m->n_tensors && na < 4096; t++)
            if (m->tensors[t].region == GAN_REGION_ARENA)
                arena_t[na++] = t;
        for (int v = 0; v < 10 && na > 1; v++) {
            rng = rng * 1103515245u + 12345u;
            int a = arena_t[(rng >> 8) % (uint32_t)na];
            rng = rng * 1103515245u + 12345u;
            int b = arena_t[(rng >> 8) % (uint32_t)na];
            uint64_t save = m->tensors[a].offset, save_r = m->region_floats[GAN_REGION_ARENA];
            uint64_t save_ar[8];
            for (int p = 0; p < m->n_programs && p < 8; p++)
                save_ar[p] = m->programs[p].arena_floats;
            m->tensors[a].offset = m->tensors[b].offset + ((rng >> 4) & 1) * 3;
            if (m->tensors[a].offset + m->tensors[a].numel > save_r)
                m->region_floats[GAN_REGION_ARENA] = m->tensors[a].offset + m->tensors[a].numel;
            for (int p = 0; p < m->n_programs; p++)
                m->programs[p].arena_floats = 0;
            int sim = plan_simulate(m), chk = gan_plan_check(m, err, sizeof err);
            if (sim) {
                ck_assert_msg(chk != 0, "seed %u: moving '%s' onto '%s' breaks the program but "
                              "the checker accepts it", seed, m->tensors[a].name,
                              m->tensors[b].name);
                broken++;
            } else if (chk) {
                strict_only++;
            }
            m->tensors[a].offset = save;
            m->region_floats[GAN_REGION_ARENA] = save_r;
            for (int p = 0; p < m->n_programs && p < 8; p++)
                m->programs[p].arena_floats = save_ar[p];
        }
        gan_model_free(m);
    }
    fprintf(stderr, "checker soundness: %d damaging moves all caught, %d harmless moves also "
                    "rejected (stricter than needed)\n", broken, strict_only);
    ck_assert_int_gt(broken, 500);
}
END_TEST

/* The checker is not just "reject everything": a naive plan (every tensor its own storage)
 * and the planner's plan both pass. */
START_TEST(checker_accepts_naive_plans)
{
    char err[1024];
    for (uint32_t seed = 1; seed <= 200; seed++) {
        gan_model *m = planned(seed);
        uint64_t off = 0;
        for (int t = 0; t < m->n_tensors; t++)
            if (m->tensors[t].region == GAN_REGION_ARENA) {
                m->tensors[t].offset = off;
                off += m->tensors[t].numel;
            }
        m->region_floats[GAN_REGION_ARENA] = off;
        for (int p = 0; p < m->n_programs; p++)
            m->programs[p].arena_floats = off;
        ck_assert_msg(gan_plan_check(m, err, sizeof err) == 0, "seed %u: %s", seed, err);
        ck_assert_int_eq(plan_simulate(m), 0);
        gan_model_free(m);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("plan");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, random_models_validate_plan_and_prove);
    tcase_add_test(tc, checker_catches_overlap);
    tcase_add_test(tc, checker_catches_read_before_write);
    tcase_add_test(tc, checker_catches_out_of_region);
    tcase_add_test(tc, checker_allows_inplace_only_at_the_boundary);
    tcase_add_test(tc, seed_model_arena_at_most_half);
    tcase_add_test(tc, plans_are_correct_by_simulation);
    tcase_add_test(tc, checker_is_sound_against_simulation);
    tcase_add_test(tc, checker_accepts_naive_plans);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
