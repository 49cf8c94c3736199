/* The ownership oracle (plan_simulate in plan_gen.h). */
#include <stdlib.h>
#include "tests/util/plan_gen.h"
#include "format/model_opinfo.h"

/* An oracle independent of both planner and checker: run the program on "ownership" instead
 * of values. Every float of the arena remembers which tensor wrote it last; a read of a tensor
 * must find all its floats still its own (program inputs own theirs at the start). Outputs of
 * an op are written after its reads; unless the op is ACT/COPY (which may run in place) its
 * inputs must still be intact after its writes. Program outputs must be intact at the end.
 * Returns 0 when the plan computes what the op list means. */
static int intact(const gan_model *m, const int *owner, int t)
{
    const gan_tensor *x = &m->tensors[t];
    for (uint64_t q = x->offset; q < x->offset + x->numel; q++)
        if (owner[q] != t)
            return 0;
    return 1;
}

static void own(const gan_model *m, int *owner, int t)
{
    const gan_tensor *x = &m->tensors[t];
    for (uint64_t q = x->offset; q < x->offset + x->numel; q++)
        owner[q] = t;
}

static int simulate(const gan_model *m, const gan_program *g, int *owner, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        owner[i] = -1;
    for (int j = 0; j < g->n_inputs; j++)
        own(m, owner, g->inputs[j]);
    for (int k = 0; k < g->n_ops; k++) {
        gan_op_use u[2 * GAN_OP_MAX_IO];
        int nu = gan_op_uses(&g->ops[k], u);
        for (int j = 0; j < nu; j++) {
            int t = u[j].tensor;
            if (m->tensors[t].region == GAN_REGION_ARENA && (u[j].access & GAN_ACC_READ) &&
                !intact(m, owner, t))
                return 1;
        }
        for (int j = 0; j < nu; j++) {
            int t = u[j].tensor;
            if (m->tensors[t].region == GAN_REGION_ARENA && u[j].is_out)
                own(m, owner, t);
        }
        if (g->ops[k].type == GAN_OP_ACT || g->ops[k].type == GAN_OP_COPY)
            continue;
        /* after the writes: the inputs intact, and the outputs too (a workspace is another
         * output: it must not have clobbered them) */
        for (int j = 0; j < nu; j++) {
            int t = u[j].tensor;
            int kept = !u[j].is_out || u[j].access != GAN_ACC_SCRATCH;
            if (m->tensors[t].region == GAN_REGION_ARENA && kept && !intact(m, owner, t))
                return 1;
        }
    }
    for (int j = 0; j < g->n_outputs; j++)
        if (!intact(m, owner, g->outputs[j]))
            return 1;
    return 0;
}

int plan_simulate(const gan_model *m)
{
    uint64_t n = m->region_floats[GAN_REGION_ARENA];
    int *owner = malloc((n + 1) * sizeof *owner);
    int bad = 0;
    for (int p = 0; p < m->n_programs && !bad; p++)
        bad = simulate(m, &m->programs[p], owner, n);
    free(owner);
    return bad;
}
