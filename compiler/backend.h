/* The compiler back end: checked model -> programs -> memory plan -> model.bin. */
#ifndef GAN_BACKEND_H
#define GAN_BACKEND_H

#include <stdint.h>
#include <stdio.h>
#include "compiler/model_def.h"

typedef struct {
    int fuse;        /* 1: fusion passes on (default); 0: --no-fuse */
    int batch;       /* > 0 overrides the model's batch size */
} gan_build_opts;

/* Lowering + autodiff + fusion (lower.c, autodiff.c, fuse.c): builds every program of the
 * model, the persistent tensors (params, grads, state) with their offsets and init specs, and
 * the arena tensors with offsets still unassigned. NULL + message on failure. */
gan_model *gan_build(const md_model *md, const gan_build_opts *opts, char *err, size_t errlen);

/* Static memory plan (plan.c): schedules are the op order; assigns arena offsets per program
 * (liveness, reuse of dead buffers, in-place ACT/COPY), sets arena_floats / naive_floats /
 * flops and region_floats[GAN_REGION_ARENA]. */
int gan_plan(gan_model *m, char *err, size_t errlen);

/* Proves the plan: no two tensors live at the same time overlap (aggregates excepted),
 * nothing in the arena is read before it is written in its program, every tensor lies inside
 * its region. 0 = proved; else the first violation in err. */
int gan_plan_check(const gan_model *m, char *err, size_t errlen);

/* Resource limits (docs/compiler.md, "Limits"): a model over either is refused with an error
 * at the network that needs the most, before anything big is allocated. ganc's --max-params
 * and --max-memory override the defaults; the memory limit cannot exceed the loader's
 * GAN_MODEL_MAX_BYTES (format/model.h), since ganrt would refuse the file anyway. */
#define GAN_DEFAULT_MAX_PARAMS 1000000000ull      /* parameters, all networks together */
#define GAN_DEFAULT_MAX_MEMORY (16ull << 30)      /* bytes of the whole plan (every region) */
typedef struct {
    uint64_t max_params;
    uint64_t max_memory;
} gan_limits;
gan_limits gan_default_limits(void);
/* Parameter count (trainable + fixed) against lim->max_params, on the checked model: run it
 * before gan_build. 0 = within; else the message in err and the network's position in
 * *line, *col (its name in the source). */
int gan_check_md_limits(const md_model *md, const gan_limits *lim, char *err, size_t errlen,
                        int *line, int *col);
/* The planned memory (sum of the four regions, in bytes) against lim->max_memory, after
 * gan_plan; located like gan_check_md_limits. */
int gan_check_plan_limits(const gan_model *m, const md_model *md, const gan_limits *lim,
                          char *err, size_t errlen, int *line, int *col);

/* Graphviz of every program (ganc --dot). */
void gan_write_dot(const gan_model *m, FILE *f);

/* The back end's part of --report: per program FLOPs, arena bytes vs the naive sum. */
void gan_report_programs(const gan_model *m, FILE *f);

#endif
