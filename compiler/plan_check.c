/* The plan checker: proves a memory plan instead of trusting the planner. It derives
 * liveness again from the op lists (independently of plan.c) and checks:
 *   - every tensor lies inside its region, and arena tensors inside their program's arena;
 *   - non-aggregate tensors of the persistent regions do not overlap each other;
 *   - within each program, nothing in the arena is read before it is written (program
 *     inputs count as written at the start; accumulating outputs count as reads);
 *   - within each program, no two arena tensors that are live at the same op overlap, except
 *     an in-place pair: ACT or COPY whose in0 dies at that op and whose out0 is born there,
 *     at the same offset.
 * The first violation found is reported with tensor names and op indices.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/backend.h"
#include "common/err.h"
#include "format/model_opinfo.h"


static const char *const region_names[GAN_REGION_COUNT] = {"param", "state", "grad", "arena"};

/* Sort tensor indices by offset (merge sort; keys read through the model). */
static void sort_by_offset(int *idx, int n, int *tmp, const gan_model *m)
{
    if (n < 2)
        return;
    int h = n / 2;
    sort_by_offset(idx, h, tmp, m);
    sort_by_offset(idx + h, n - h, tmp, m);
    int i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = m->tensors[idx[j]].offset < m->tensors[idx[i]].offset ? idx[j++] : idx[i++];
    while (i < h)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

static int overlaps(const gan_tensor *a, const gan_tensor *b)
{
    return a->offset < b->offset + b->numel && b->offset < a->offset + a->numel;
}

/* An allowed in-place pair: `dies` is last used at op k, `born` first used there, and op k
 * is an ACT/COPY from dies to born at the same offset. */
static int inplace_ok(const gan_model *m, const gan_program *g, const int *first,
                      const int *last, int dies, int born)
{
    int k = last[dies];
    if (k != first[born] || k < 0 || k >= g->n_ops)
        return 0;
    const gan_op *op = &g->ops[k];
    if (op->type != GAN_OP_ACT && op->type != GAN_OP_COPY)
        return 0;
    return op->n_in >= 1 && op->n_out >= 1 && op->in[0] == dies && op->out[0] == born &&
           m->tensors[dies].offset == m->tensors[born].offset;
}

static int check_program(const gan_model *m, int p, int *first, int *last, int *idx, int *tmp,
                         char *err, size_t errlen)
{
    const gan_program *g = &m->programs[p];
    int nt = m->n_tensors;
    for (int t = 0; t < nt; t++)
        first[t] = last[t] = -1;
    /* "first" doubles as "written": inputs are written at the start */
    for (int j = 0; j < g->n_inputs; j++) {
        int t = g->inputs[j];
        if (t < 0 || t >= nt || m->tensors[t].region != GAN_REGION_ARENA)
            return gan_errf(err, errlen, "program '%s': input %d is not an arena tensor", g->name, j);
        first[t] = last[t] = 0;
    }
    for (int k = 0; k < g->n_ops; k++) {
        gan_op_use u[2 * GAN_OP_MAX_IO];
        int nu = gan_op_uses(&g->ops[k], u);
        for (int j = 0; j < nu; j++) {
            int t = u[j].tensor;
            if (t < 0 || t >= nt)
                return gan_errf(err, errlen, "program '%s' op %d: tensor index %d out of range",
                             g->name, k, t);
            if (m->tensors[t].region != GAN_REGION_ARENA)
                continue;
            if (first[t] < 0 && (u[j].access & GAN_ACC_READ))
                return gan_errf(err, errlen,
                             "program '%s': op %d (%s) reads '%s' (%s%d) before it is written",
                             g->name, k, gan_op_name(g->ops[k].type), m->tensors[t].name,
                             u[j].is_out ? "out" : "in", u[j].slot);
            if (first[t] < 0)
                first[t] = k;
            last[t] = k;
        }
    }
    for (int j = 0; j < g->n_outputs; j++) {
        int t = g->outputs[j];
        if (t < 0 || t >= nt || m->tensors[t].region != GAN_REGION_ARENA)
            return gan_errf(err, errlen, "program '%s': output %d is not an arena tensor", g->name,
                         j);
        if (first[t] < 0)
            return gan_errf(err, errlen, "program '%s': output '%s' is never written", g->name,
                         m->tensors[t].name);
        last[t] = g->n_ops;
    }
    int n = 0;
    for (int t = 0; t < nt; t++) {
        if (first[t] < 0)
            continue;
        const gan_tensor *x = &m->tensors[t];
        if (g->arena_floats && x->offset + x->numel > g->arena_floats)
            return gan_errf(err, errlen,
                         "program '%s': '%s' at [%llu, %llu) lies outside the program's arena "
                         "(%llu floats)",
                         g->name, x->name, (unsigned long long)x->offset,
                         (unsigned long long)(x->offset + x->numel),
                         (unsigned long long)g->arena_floats);
        idx[n++] = t;
    }
    /* Sweep in offset order: each tensor against those starting before it ends. */
    sort_by_offset(idx, n, tmp, m);
    for (int i = 0; i < n; i++) {
        const gan_tensor *a = &m->tensors[idx[i]];
        for (int j = i + 1; j < n && m->tensors[idx[j]].offset < a->offset + a->numel; j++) {
            int ta = idx[i], tb = idx[j];
            const gan_tensor *b = &m->tensors[tb];
            if (!overlaps(a, b) || last[ta] < first[tb] || last[tb] < first[ta])
                continue;
            if (inplace_ok(m, g, first, last, ta, tb) || inplace_ok(m, g, first, last, tb, ta))
                continue;
            return gan_errf(err, errlen,
                         "program '%s': '%s' [%llu, %llu) live at ops %d..%d overlaps '%s' "
                         "[%llu, %llu) live at ops %d..%d",
                         g->name, a->name, (unsigned long long)a->offset,
                         (unsigned long long)(a->offset + a->numel), first[ta], last[ta],
                         b->name, (unsigned long long)b->offset,
                         (unsigned long long)(b->offset + b->numel), first[tb], last[tb]);
        }
    }
    return 0;
}

int gan_plan_check(const gan_model *m, char *err, size_t errlen)
{
    if (!m || m->n_tensors < 0)
        return gan_errf(err, errlen, "plan check: no model");
    int nt = m->n_tensors;
    for (int t = 0; t < nt; t++) {
        const gan_tensor *x = &m->tensors[t];
        if (x->region >= GAN_REGION_COUNT)
            return gan_errf(err, errlen, "tensor '%s': region %u out of range", x->name, x->region);
        if (x->offset + x->numel > m->region_floats[x->region] || x->offset + x->numel < x->offset)
            return gan_errf(err, errlen,
                         "tensor '%s' at [%llu, %llu) lies outside region %s (%llu floats)",
                         x->name, (unsigned long long)x->offset,
                         (unsigned long long)(x->offset + x->numel), region_names[x->region],
                         (unsigned long long)m->region_floats[x->region]);
    }
    int *buf = malloc(((size_t)nt + 1) * 4 * sizeof *buf);
    if (!buf)
        return gan_errf(err, errlen, "plan check: out of memory");
    int *idx = buf, *tmp = buf + nt + 1, *first = buf + 2 * (nt + 1), *last = buf + 3 * (nt + 1);
    int rc = 0;
    /* persistent regions: non-aggregate tensors are disjoint */
    for (int r = 0; r < GAN_REGION_COUNT && !rc; r++) {
        if (r == GAN_REGION_ARENA)
            continue;
        int n = 0;
        for (int t = 0; t < nt; t++)
            if (m->tensors[t].region == r && !(m->tensors[t].flags & GAN_TF_AGGREGATE))
                idx[n++] = t;
        sort_by_offset(idx, n, tmp, m);
        for (int i = 0; i + 1 < n && !rc; i++) {
            const gan_tensor *a = &m->tensors[idx[i]], *b = &m->tensors[idx[i + 1]];
            if (a->offset + a->numel > b->offset)
                rc = gan_errf(err, errlen, "region %s: '%s' [%llu, %llu) overlaps '%s' [%llu, %llu)",
                           region_names[r], a->name, (unsigned long long)a->offset,
                           (unsigned long long)(a->offset + a->numel), b->name,
                           (unsigned long long)b->offset,
                           (unsigned long long)(b->offset + b->numel));
        }
    }
    for (int p = 0; p < m->n_programs && !rc; p++) {
        if (m->programs[p].arena_floats > m->region_floats[GAN_REGION_ARENA])
            rc = gan_errf(err, errlen, "program '%s': arena %llu floats exceeds the region (%llu)",
                       m->programs[p].name, (unsigned long long)m->programs[p].arena_floats,
                       (unsigned long long)m->region_floats[GAN_REGION_ARENA]);
        else
            rc = check_program(m, p, first, last, idx, tmp, err, errlen);
    }
    free(buf);
    return rc;
}
