/* The program interpreter: runs one gan_program op by op, calling the kernels. */
#ifndef GAN_EXEC_H
#define GAN_EXEC_H

#include <stddef.h>
#include "format/model.h"

/* base[r] points at region r (sizes: m->region_floats[r] floats). Program inputs must have
 * been filled by the caller. threads: the OpenMP threads of every kernel; OpenBLAS itself is
 * held at one thread and each OpenMP thread calls a single-threaded sgemm (two thread pools
 * spinning against each other made 2-thread steps up to 60x slower). Results are
 * deterministic for a fixed count. Returns 0, or -1 with a message in err
 * (a malformed op that validation should have caught; never a crash). */
int gan_exec_program(const gan_model *m, const gan_program *p, float *const base[GAN_REGION_COUNT],
                     int threads, char *err, size_t errlen);

/* The same, with the kernels' scratch memory (per-thread column tiles, dW partials) kept in
 * `scratch` between calls: its first run of a program sizes it, later runs allocate nothing.
 * Create it with kern_scratch_new() (runtime/kernels.h); NULL behaves as gan_exec_program. */
struct kern_scratch;
int gan_exec_program_scratch(const gan_model *m, const gan_program *p,
                             float *const base[GAN_REGION_COUNT], int threads,
                             struct kern_scratch *scratch, char *err, size_t errlen);

/* The two halves of gan_exec_program_scratch, for a caller that runs one program many times
 * (a training session): gan_exec_check resolves every operand inside its region and holds
 * every op to its contract (gan_op_validate), once; gan_exec_run_checked then only dispatches.
 * The caller promises the same model, program and regions for both. 0, or -1 with a message
 * naming the program, the op and the slot. */
int gan_exec_check(const gan_model *m, const gan_program *p, float *const base[GAN_REGION_COUNT],
                   char *err, size_t errlen);
int gan_exec_run_checked(const gan_model *m, const gan_program *p,
                         float *const base[GAN_REGION_COUNT], int threads,
                         struct kern_scratch *scratch, char *err, size_t errlen);

/* gan_exec_run_checked that also adds each op's wall time to op_seconds[i] (p->n_ops entries;
 * NULL: no timing): ganrt train --profile and bench_model. */
int gan_exec_run_profiled(const gan_model *m, const gan_program *p,
                          float *const base[GAN_REGION_COUNT], int threads,
                          struct kern_scratch *scratch, double *op_seconds, char *err,
                          size_t errlen);

/* Ops [from, to) of p only, otherwise as gan_exec_run_profiled: data-parallel training runs
 * a program in two parts, [0, gan_exec_first_optim(p)) and the rest, and averages the
 * gradients over the ranks in between (runtime/train/dist.h). row0: the index of the
 * batch's first row in the global batch (rank x batch; 0 for one process), which per-sample
 * random draws (diffaug) hash, so that a rank draws what one process would for its rows. */
int gan_exec_run_range(const gan_model *m, const gan_program *p,
                       float *const base[GAN_REGION_COUNT], int threads,
                       struct kern_scratch *scratch, double *op_seconds, int from, int to,
                       int row0, char *err, size_t errlen);
/* Index of p's first op of kind OPTIM (the first that reads the finished gradients), or
 * p->n_ops when there is none. */
int gan_exec_first_optim(const gan_program *p);

/* Pointer to tensor t's storage. */
static inline float *gan_tensor_ptr(const gan_model *m, float *const base[GAN_REGION_COUNT], int t)
{
    return base[m->tensors[t].region] + m->tensors[t].offset;
}

#endif
