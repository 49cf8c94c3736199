/* The program interpreter. A program is checked whole before any op runs -- every operand
 * resolved inside its region, every op against its contract (gan_op_validate, the one
 * checker ganc and ganrt's loader also use) -- so a malformed program is refused with a message
 * naming the program, the op and the slot, never a crash, and never after half of it ran.
 * Then each op is dispatched to its family's run function (runtime/run/). */
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <cblas.h>
#include "common/err.h"
#include "format/model_opinfo.h"
#include "runtime/exec.h"
#include "runtime/run/run.h"

typedef int (*run_fn)(const gan_run_ctx *c);

static const run_fn run_of_family[GAN_OPFAM_COUNT] = {
#define GAN_OP_FAMILY(F) [GAN_OPFAM_##F] = gan_run_##F,
#include "format/op_list.h"
#undef GAN_OP_FAMILY
};

int gan_run_fail(const gan_run_ctx *c, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        char what[GAN_NAME_MAX + 48];
        snprintf(what, sizeof what, "program '%.*s' op %d (%s)", GAN_NAME_MAX, c->prog, c->idx,
                 gan_op_name(c->op->type));
        va_list ap;
        va_start(ap, fmt);
        gan_verrf_at(c->err, c->errlen, what, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Slot `slot` (io 'i' or 'o') to tensor and pointer; an unused slot (-1 or past n_in/n_out)
 * stays NULL. Fails on an index out of range or a tensor outside its region. */
static int resolve_slot(gan_run_ctx *c, float *const *base, char io, int slot)
{
    int used = io == 'i' ? c->op->n_in : c->op->n_out;
    int ti = slot < used ? (io == 'i' ? c->op->in[slot] : c->op->out[slot]) : -1;
    const char *dir = io == 'i' ? "in" : "out";
    if (ti == -1)
        return 0;
    const gan_model *m = c->m;
    if (ti < 0 || ti >= m->n_tensors)
        return gan_run_fail(c, "%s%d: tensor index %d out of range [0, %d)", dir, slot, ti,
                            m->n_tensors);
    const gan_tensor *t = &m->tensors[ti];
    if (t->region >= GAN_REGION_COUNT || t->ndim < 1 || t->ndim > GAN_MAX_DIMS)
        return gan_run_fail(c, "%s%d: tensor '%.*s' has a bad region or rank", dir, slot,
                            GAN_NAME_MAX, t->name);
    uint64_t prod = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] < 0)
            return gan_run_fail(c, "%s%d: tensor '%.*s' has a negative dimension", dir, slot,
                                GAN_NAME_MAX, t->name);
        prod *= (uint64_t)t->shape[d];
    }
    uint64_t cap = m->region_floats[t->region];
    if (prod != t->numel || t->offset > cap || t->numel > cap - t->offset || !base[t->region])
        return gan_run_fail(c, "%s%d: tensor '%.*s' does not fit its region", dir, slot,
                            GAN_NAME_MAX, t->name);
    (io == 'i' ? c->tin : c->tout)[slot] = t;
    (io == 'i' ? c->in : c->out)[slot] = base[t->region] + t->offset;
    return 0;
}

/* Resolves op idx of p into c; with check, also holds it to its contract. */
static int prepare_op(gan_run_ctx *c, float *const *base, int idx, int check)
{
    c->idx = idx;
    memset(c->in, 0, sizeof c->in);
    memset(c->out, 0, sizeof c->out);
    memset(c->tin, 0, sizeof c->tin);
    memset(c->tout, 0, sizeof c->tout);
    const gan_op *op = c->op;
    if (!gan_op_info_of(op->type))
        return gan_run_fail(c, "unknown op type %u", (unsigned)op->type);
    if (op->n_in > GAN_OP_MAX_IO || op->n_out > GAN_OP_MAX_IO)
        return gan_run_fail(c, "n_in %d / n_out %d exceed %d", op->n_in, op->n_out, GAN_OP_MAX_IO);
    for (int j = 0; j < GAN_OP_MAX_IO; j++)
        if (resolve_slot(c, base, 'i', j) || resolve_slot(c, base, 'o', j))
            return -1;
    if (!check)
        return 0;
    char msg[400];
    if (gan_op_validate(c->m, op, msg, sizeof msg))
        return gan_run_fail(c, "%s", msg);
    return 0;
}

int gan_exec_program(const gan_model *m, const gan_program *p, float *const base[GAN_REGION_COUNT],
                     int threads, char *err, size_t errlen)
{
    return gan_exec_program_scratch(m, p, base, threads, NULL, err, errlen);
}

static int check_header(const gan_model *m, const gan_program *p, float *const base[],
                        char *err, size_t errlen)
{
    if (!m || !p || !base)
        return gan_errf(err, errlen, "gan_exec_program: null model, program or regions");
    if (p->n_ops < 0 || (p->n_ops > 0 && !p->ops) || m->n_tensors < 0 ||
        (m->n_tensors > 0 && !m->tensors))
        return gan_errf(err, errlen, "program '%.*s': bad op or tensor list", GAN_NAME_MAX,
                        p->name);
    return 0;
}

int gan_exec_check(const gan_model *m, const gan_program *p, float *const base[GAN_REGION_COUNT],
                   char *err, size_t errlen)
{
    if (check_header(m, p, base, err, errlen))
        return -1;
    gan_run_ctx c = {.m = m, .threads = 1, .prog = p->name, .err = err, .errlen = errlen};
    for (int i = 0; i < p->n_ops; i++) {
        c.op = &p->ops[i];
        if (prepare_op(&c, base, i, 1))
            return -1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int gan_exec_run_checked(const gan_model *m, const gan_program *p,
                         float *const base[GAN_REGION_COUNT], int threads, kern_scratch *scratch,
                         char *err, size_t errlen)
{
    return gan_exec_run_profiled(m, p, base, threads, scratch, NULL, err, errlen);
}

int gan_exec_run_profiled(const gan_model *m, const gan_program *p,
                          float *const base[GAN_REGION_COUNT], int threads, kern_scratch *scratch,
                          double *op_seconds, char *err, size_t errlen)
{
    return gan_exec_run_range(m, p, base, threads, scratch, op_seconds, 0, p ? p->n_ops : 0, 0,
                              err, errlen);
}

int gan_exec_first_optim(const gan_program *p)
{
    for (int i = 0; i < p->n_ops; i++) {
        const gan_op_info *in = gan_op_info_of(p->ops[i].type);
        if (in && in->kind == GAN_OPK_OPTIM)
            return i;
    }
    return p->n_ops;
}

int gan_exec_run_range(const gan_model *m, const gan_program *p,
                       float *const base[GAN_REGION_COUNT], int threads, kern_scratch *scratch,
                       double *op_seconds, int from, int to, int row0, char *err,
                       size_t errlen)
{
    if (check_header(m, p, base, err, errlen))
        return -1;
    if (from < 0 || to > p->n_ops || from > to)
        return gan_errf(err, errlen, "program '%.*s': op range [%d, %d) outside [0, %d)",
                        GAN_NAME_MAX, p->name, from, to, p->n_ops);
    /* All parallelism is ours (OpenMP, num_threads = threads): the kernels split GEMMs over
     * images or row blocks and call single-threaded sgemm. OpenBLAS is held at one thread
     * because its worker pool, spinning after every threaded call, and our OpenMP regions
     * fought for the cores: on the 2-core machine 2-thread runs were 10-500x slower per kernel
     * (docs/kernels.md). The setting is process-global in OpenBLAS; it is changed only when
     * it differs. */
    if (openblas_get_num_threads() != 1)
        openblas_set_num_threads(1);
    gan_run_ctx c = {.m = m, .threads = threads < 1 ? 1 : threads, .scratch = scratch,
                     .row0 = row0, .prog = p->name, .err = err, .errlen = errlen};
    for (int i = from; i < to; i++) {
        c.op = &p->ops[i];
        /* cannot fail: gan_exec_check resolved the same op against the same regions */
        if (prepare_op(&c, base, i, 0))
            return -1;
        kern_scratch_reset(scratch);
        double t0 = op_seconds ? now_s() : 0;
        if (run_of_family[gan_op_info_of(c.op->type)->family](&c))
            return -1;
        if (op_seconds)
            op_seconds[i] += now_s() - t0;
    }
    return 0;
}

int gan_exec_program_scratch(const gan_model *m, const gan_program *p,
                             float *const base[GAN_REGION_COUNT], int threads,
                             kern_scratch *scratch, char *err, size_t errlen)
{
    if (gan_exec_check(m, p, base, err, errlen))
        return -1;
    return gan_exec_run_checked(m, p, base, threads, scratch, err, errlen);
}
