/* Static memory plan: one arena per program, offsets by liveness.
 *
 * For each program the schedule is its op order. A tensor of the arena is live from the op
 * that first touches it (program inputs: from op 0) to the op that last touches it (program
 * outputs: to n_ops, past the last op). Backward ops add into their gradient outputs, so the
 * GAN_OP_ZERO in front of the first accumulation is the first write, and a tensor that an op
 * both reads and writes stays live over the whole stretch. Workspaces live during their op.
 *
 * ACT and COPY may run in place: out0 takes in0's storage when in0 dies at that op and both
 * have the same size (the pair becomes one allocation whose lifetime is the union).
 *
 * Placement is offline "greedy by size" (largest allocation first, each at the best-fitting
 * gap among the already placed allocations whose lifetimes intersect its own): the idea of
 * ggml-alloc's best-fit free list and of TFLite's offline planner, written from scratch.
 * A tensor that an earlier program already placed keeps its offset (one offset per tensor)
 * and is pre-placed in later programs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/backend.h"
#include "common/err.h"
#include "format/model_opinfo.h"

#define PLAN_ALIGN 16u /* floats: 64 bytes */


static uint64_t align_up(uint64_t n)
{
    return (n + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
}

typedef struct {
    int first, last;   /* live interval, inclusive, in op indices (last may be n_ops) */
    uint64_t size;     /* aligned floats */
    uint64_t offset;
    int pinned;        /* placed by an earlier program */
    int placed;
} plan_alloc;

typedef struct {
    int first, last;   /* -1: not used by this program */
    int group;         /* union-find parent (tensor index) */
} plan_live;

static int uf_find(plan_live *lv, int t)
{
    while (lv[t].group != t) {
        lv[t].group = lv[lv[t].group].group;
        t = lv[t].group;
    }
    return t;
}


/* qsort_r is not C11: a small merge sort keeps this portable. */
static void sort_idx(int *idx, int n, int *tmp, const plan_alloc *al,
                     int (*less)(const plan_alloc *, int, int))
{
    if (n < 2)
        return;
    int h = n / 2;
    sort_idx(idx, h, tmp, al, less);
    sort_idx(idx + h, n - h, tmp, al, less);
    int i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = less(al, idx[j], idx[i]) ? idx[j++] : idx[i++];
    while (i < h)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

static int less_size(const plan_alloc *al, int a, int b)
{
    if (al[a].size != al[b].size)
        return al[a].size > al[b].size;
    return al[a].first < al[b].first;
}

static int less_offset(const plan_alloc *al, int a, int b)
{
    return al[a].offset < al[b].offset;
}

static int plan_program(gan_model *m, int p, int *placed_global, plan_live *lv, char *err,
                        size_t errlen)
{
    gan_program *g = &m->programs[p];
    int nt = m->n_tensors;
    for (int t = 0; t < nt; t++) {
        lv[t].first = lv[t].last = -1;
        lv[t].group = t;
    }
    /* liveness */
    for (int j = 0; j < g->n_inputs; j++) {
        int t = g->inputs[j];
        lv[t].first = 0;
        if (lv[t].last < 0)
            lv[t].last = 0;
    }
    double flops = 0;
    for (int k = 0; k < g->n_ops; k++) {
        gan_op_use u[2 * GAN_OP_MAX_IO];
        int nu = gan_op_uses(&g->ops[k], u);
        flops += gan_op_flops(m, &g->ops[k]);
        for (int j = 0; j < nu; j++) {
            int t = u[j].tensor;
            if (m->tensors[t].region != GAN_REGION_ARENA)
                continue;
            if (lv[t].first < 0) {
                if (u[j].access & GAN_ACC_READ)
                    return gan_errf(err, errlen,
                                "program '%s': op %d (%s) reads '%s' before anything writes it",
                                g->name, k, gan_op_name(g->ops[k].type), m->tensors[t].name);
                lv[t].first = k;
            }
            lv[t].last = k;
        }
    }
    for (int j = 0; j < g->n_outputs; j++) {
        int t = g->outputs[j];
        if (lv[t].first < 0)
            return gan_errf(err, errlen, "program '%s': output '%s' is never written", g->name,
                        m->tensors[t].name);
        lv[t].last = g->n_ops;
    }
    /* in place: ACT / COPY out0 over in0 when in0 dies there and the sizes match */
    for (int k = 0; k < g->n_ops; k++) {
        const gan_op *op = &g->ops[k];
        if ((op->type != GAN_OP_ACT && op->type != GAN_OP_COPY) || op->n_in < 1 ||
            op->n_out < 1)
            continue;
        int a = op->in[0], b = op->out[0];
        if (a < 0 || b < 0 || a == b)
            continue;
        const gan_tensor *ta = &m->tensors[a], *tb = &m->tensors[b];
        if (ta->region != GAN_REGION_ARENA || tb->region != GAN_REGION_ARENA)
            continue;
        if (lv[a].last != k || lv[b].first != k || ta->numel != tb->numel)
            continue;
        if (placed_global[a] || placed_global[b])
            continue;
        int b_is_input = 0; /* the runtime fills inputs before the run: never alias one */
        for (int j = 0; j < g->n_inputs; j++)
            b_is_input |= g->inputs[j] == b;
        if (b_is_input)
            continue;
        int ra = uf_find(lv, a), rb = uf_find(lv, b);
        if (ra != rb)
            lv[rb].group = ra;
    }
    /* one allocation per group (indexed by the group's root tensor) */
    plan_alloc *al = calloc((size_t)nt + 1, sizeof *al);
    int *idx = malloc(((size_t)nt + 1) * sizeof *idx * 3);
    if (!al || !idx) {
        free(al);
        free(idx);
        return gan_errf(err, errlen, "out of memory");
    }
    int *tmp = idx + nt, *near = idx + 2 * nt;
    uint64_t naive = 0;
    for (int t = 0; t < nt; t++)
        al[t].first = -1;
    for (int t = 0; t < nt; t++) {
        if (lv[t].first < 0 || m->tensors[t].region != GAN_REGION_ARENA)
            continue;
        naive += m->tensors[t].numel;
        int r = uf_find(lv, t);
        plan_alloc *a = &al[r];
        uint64_t sz = align_up(m->tensors[t].numel);
        if (a->first < 0) {
            a->first = lv[t].first;
            a->last = lv[t].last;
            a->size = sz;
        } else {
            if (lv[t].first < a->first)
                a->first = lv[t].first;
            if (lv[t].last > a->last)
                a->last = lv[t].last;
            if (sz > a->size)
                a->size = sz;
        }
        if (placed_global[t]) { /* never grouped: its group is itself */
            a->pinned = a->placed = 1;
            a->offset = m->tensors[t].offset;
        }
    }
    /* Tensors placed by earlier programs must not collide here (they were placed against
     * other lifetimes); the plan gives up rather than emit a wrong layout. */
    for (int a = 0; a < nt; a++) {
        if (!al[a].pinned)
            continue;
        for (int b = a + 1; b < nt; b++)
            if (al[b].pinned && al[a].first <= al[b].last && al[b].first <= al[a].last &&
                al[a].offset < al[b].offset + al[b].size &&
                al[b].offset < al[a].offset + al[a].size) {
                int rc = gan_errf(err, errlen,
                              "plan: program '%s': tensors '%s' and '%s', shared with an earlier "
                              "program, are live together here but share storage",
                              g->name, m->tensors[a].name, m->tensors[b].name);
                free(al);
                free(idx);
                return rc;
            }
    }
    int n = 0;
    for (int t = 0; t < nt; t++)
        if (al[t].first >= 0 && !al[t].pinned)
            idx[n++] = t;
    sort_idx(idx, n, tmp, al, less_size);
    uint64_t arena = 0;
    for (int t = 0; t < nt; t++)
        if (al[t].pinned && al[t].offset + al[t].size > arena)
            arena = al[t].offset + al[t].size;
    for (int i = 0; i < n; i++) {
        plan_alloc *a = &al[idx[i]];
        /* the placed allocations alive at the same time, by offset */
        int nn = 0;
        for (int t = 0; t < nt; t++)
            if (al[t].placed && al[t].first <= a->last && a->first <= al[t].last)
                near[nn++] = t;
        sort_idx(near, nn, tmp, al, less_offset);
        uint64_t best = UINT64_MAX, best_gap = UINT64_MAX, cur = 0;
        for (int j = 0; j < nn; j++) {
            const plan_alloc *b = &al[near[j]];
            if (b->offset >= cur) {
                uint64_t gap = b->offset - cur;
                if (gap >= a->size && gap < best_gap) {
                    best = cur;
                    best_gap = gap;
                }
            }
            if (b->offset + b->size > cur)
                cur = b->offset + b->size;
        }
        if (best == UINT64_MAX)
            best = cur; /* past everything alive */
        a->offset = best;
        a->placed = 1;
        if (best + a->size > arena)
            arena = best + a->size;
    }
    for (int t = 0; t < nt; t++) {
        if (lv[t].first < 0 || m->tensors[t].region != GAN_REGION_ARENA)
            continue;
        int r = uf_find(lv, t);
        m->tensors[t].offset = al[r].offset;
        placed_global[t] = 1;
    }
    g->arena_floats = arena;
    g->naive_floats = naive;
    g->flops = flops;
    free(al);
    free(idx);
    return 0;
}

int gan_plan(gan_model *m, char *err, size_t errlen)
{
    if (!m || m->n_tensors < 0 || m->n_programs < 0)
        return gan_errf(err, errlen, "plan: no model");
    /* Indices and op contracts first: the planner indexes with them. */
    for (int p = 0; p < m->n_programs; p++) {
        const gan_program *g = &m->programs[p];
        for (int j = 0; j < g->n_inputs + g->n_outputs; j++) {
            int t = j < g->n_inputs ? g->inputs[j] : g->outputs[j - g->n_inputs];
            if (t < 0 || t >= m->n_tensors || m->tensors[t].region != GAN_REGION_ARENA)
                return gan_errf(err, errlen, "plan: program '%s': %s %d is not an arena tensor",
                            g->name, j < g->n_inputs ? "input" : "output", t);
        }
        for (int k = 0; k < g->n_ops; k++) {
            char msg[600];
            if (gan_op_validate(m, &g->ops[k], msg, sizeof msg))
                return gan_errf(err, errlen, "plan: program '%s' op %d: %s", g->name, k, msg);
        }
    }
    int nt = m->n_tensors;
    int *placed = calloc((size_t)nt + 1, sizeof *placed);
    plan_live *lv = malloc(((size_t)nt + 1) * sizeof *lv);
    if (!placed || !lv) {
        free(placed);
        free(lv);
        return gan_errf(err, errlen, "plan: out of memory");
    }
    int rc = 0;
    uint64_t arena = 0;
    for (int p = 0; p < m->n_programs && !rc; p++) {
        rc = plan_program(m, p, placed, lv, err, errlen);
        if (!rc && m->programs[p].arena_floats > arena)
            arena = m->programs[p].arena_floats;
    }
    /* Arena tensors no program touches: at 0, inside the region. */
    for (int t = 0; t < nt && !rc; t++) {
        gan_tensor *x = &m->tensors[t];
        if (x->region != GAN_REGION_ARENA || placed[t])
            continue;
        x->offset = 0;
        if (align_up(x->numel) > arena)
            arena = align_up(x->numel);
    }
    if (!rc)
        m->region_floats[GAN_REGION_ARENA] = arena;
    free(placed);
    free(lv);
    return rc;
}
