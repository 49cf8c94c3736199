/* Test models built by hand: a small builder, a random valid-model generator and a model
 * shaped like the seed model (design.md). Shared by the plan and format tests. */
#ifndef PLAN_GEN_H
#define PLAN_GEN_H

#include <stdint.h>
#include "format/model.h"

typedef struct {
    gan_model *m;
    int cap_tensors, cap_programs, cap_ops, cap_io_in, cap_io_out;
    int prog;  /* current program, -1 none */
} pg_builder;

void pg_init(pg_builder *b, int batch);
/* Tensor with shape dims (ndim of them). Persistent regions: appended at the region's end
 * (16-float aligned); arena: offset 0 (the planner assigns). */
int pg_tensor(pg_builder *b, const char *name, int region, int ndim, const int *shape);
int pg_t1(pg_builder *b, const char *name, int region, int a);
int pg_t2(pg_builder *b, const char *name, int region, int a, int c);
int pg_t4(pg_builder *b, const char *name, int region, int n, int c, int h, int w);
/* Aggregate over [first, last] tensors of a persistent region (contiguous). */
int pg_aggregate(pg_builder *b, const char *name, int region, int first, int last);
void pg_program(pg_builder *b, const char *name, int network);
void pg_input(pg_builder *b, int t, int role);
void pg_output(pg_builder *b, int t);
/* Appends an op to the current program: all slots -1; set with pg_in / pg_out. */
gan_op *pg_op(pg_builder *b, int type);
void pg_in(gan_op *op, int slot, int t);
void pg_out(gan_op *op, int slot, int t);
/* Finishes the model (nothing to do today beyond returning it); caller owns it. */
gan_model *pg_finish(pg_builder *b);

/* A random valid model: forward DAGs (chains, fan-out, concat, add), losses, and the
 * backward with ZERO + accumulate, spectral norm, workspaces, in-place candidates; one to
 * three programs sharing parameters (and sometimes an input tensor). Deterministic in seed. */
gan_model *plan_gen_random(uint32_t seed);

/* Shaped like the seed model: D = 5 x (conv k3 s2 + leaky relu) on 3x64x64 with 50..122
 * filters, GAP, dense(1) + dense(8); G = dense 4x4x122 + bn + 4 x (upsample 2, conv k3,
 * bn, relu) + conv k4 + tanh. Programs d_step, g_step, sample, unfused (separate act and
 * bn ops), with spectral norm on the convs. */
gan_model *plan_gen_seed_model(int batch, int fused);

/* Deep comparison; 0 = equal, else a description of the first difference in msg. */
int plan_model_equal(const gan_model *a, const gan_model *b, char *msg, size_t len);

/* Runs every program on ownership instead of values (each arena float remembers its last
 * writer): 0 when no tensor is clobbered while still needed. Allocates one int per arena
 * float: small models only. Independent of plan.c and plan_check.c. */
int plan_simulate(const gan_model *m);

#endif
