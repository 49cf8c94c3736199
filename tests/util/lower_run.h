/* Running built (unplanned) models in the lowering tests: a trivial planner (every arena
 * tensor gets its own range) and deterministic initial values. */
#ifndef LOWER_RUN_H
#define LOWER_RUN_H

#include "format/model.h"

typedef struct {
    gan_model *m;
    float *base[GAN_REGION_COUNT];
    unsigned long long rng;
} lower_rt;

/* Gives every arena tensor its own offset; sets region_floats[ARENA]; allocates all regions
 * (zeroed). 0 or -1. */
int lower_rt_init(lower_rt *r, gan_model *m, unsigned long long seed);
/* Allocates the regions of an already planned model (offsets untouched). 0 or -1. */
int lower_rt_init_planned(lower_rt *r, gan_model *m, unsigned long long seed);
void lower_rt_free(lower_rt *r);
/* Deterministic parameters and state: weights ~ U(-a,a) with a = 1/sqrt(fan_in), biases and
 * beta small, gamma near 1, running var 1, spectral-norm u random unit vectors. */
void lower_rt_init_params(lower_rt *r);
/* Fills program p's inputs: images U(-1,1), labels 0/1 (one-hot when categorical), latent
 * ~ U(-1.7,1.7) (unit variance). */
void lower_rt_fill_inputs(lower_rt *r, const gan_program *p);
float lower_rt_uniform(lower_rt *r); /* in [0, 1) */

#endif
