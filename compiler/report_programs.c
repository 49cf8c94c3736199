/* The back end's part of `ganc --report`: per program op count, FLOPs per run, planned arena
 * against the naive sum (every arena tensor in storage of its own), and the whole arena region
 * against the naive sum over all programs. */
#include <stdio.h>
#include "compiler/backend.h"

static double mib(uint64_t floats)
{
    return (double)floats * 4.0 / (1024.0 * 1024.0);
}

void gan_report_programs(const gan_model *m, FILE *f)
{
    if (!m || !f)
        return;
    fprintf(f, "programs (batch %d)\n", m->hyper.batch);
    fprintf(f, "  %-12s %6s %12s %12s %12s %8s\n", "program", "ops", "GFLOP/run", "arena MiB",
            "naive MiB", "ratio");
    uint64_t naive = 0;
    double step = 0;
    int has_step = 0;
    for (int p = 0; p < m->n_programs; p++) {
        const gan_program *g = &m->programs[p];
        naive += g->naive_floats;
        fprintf(f, "  %-12s %6d %12.3f %12.2f %12.2f", g->name, g->n_ops, g->flops / 1e9,
                mib(g->arena_floats), mib(g->naive_floats));
        if (g->naive_floats)
            fprintf(f, " %7.1f%%", 100.0 * (double)g->arena_floats / (double)g->naive_floats);
        fprintf(f, "\n");
        /* a training step: d_steps discriminator programs and one generator program */
        if (g->role == GAN_PROG_D_STEP) {
            step += (m->hyper.d_steps > 0 ? m->hyper.d_steps : 1) * g->flops;
            has_step = 1;
        } else if (g->role == GAN_PROG_G_STEP || g->role == GAN_PROG_TRAIN_STEP) {
            step += g->flops;
            has_step = 1;
        }
    }
    uint64_t arena = m->region_floats[GAN_REGION_ARENA];
    fprintf(f, "  arena region %.2f MiB (largest program) vs %.2f MiB naive sum over all "
               "programs",
            mib(arena), mib(naive));
    if (naive)
        fprintf(f, " (%.1f%%)", 100.0 * (double)arena / (double)naive);
    fprintf(f, "\n");
    if (has_step)
        fprintf(f, "  FLOPs per training step (%d x d_step + g_step): %.3f GFLOP\n",
                m->hyper.d_steps > 0 ? m->hyper.d_steps : 1, step / 1e9);
}
