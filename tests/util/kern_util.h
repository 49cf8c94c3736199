/* Test helpers of the kernels area: RNG, finite-difference gradient checker, naive reference
 * forwards. Linked into every test binary (names prefixed kern_t). */
#ifndef KERN_UTIL_H
#define KERN_UTIL_H

#include <stddef.h>
#include "runtime/kernels.h"

#define KT_MAX 8

/* deterministic xorshift RNG */
typedef struct { unsigned long long s; } kernt_rng;
void kernt_seed(kernt_rng *r, unsigned long long seed);
float kernt_uniform(kernt_rng *r, float lo, float hi);
void kernt_fill(kernt_rng *r, float *x, size_t n, float lo, float hi);
float *kernt_alloc(size_t n); /* calloc or abort */

/* A differentiable function under test: inputs in[], outputs out[]; fwd computes out from in
 * (restoring any state it mutates), bwd ADDs into dx[j] (NULL for inputs not checked) given dy
 * (scratch copies of the projection, may be clobbered). */
typedef struct kernt_gc {
    int n_in, n_out;
    float *in[KT_MAX];
    size_t in_n[KT_MAX];
    int check[KT_MAX];  /* 1: check the gradient of this input */
    float *out[KT_MAX];
    size_t out_n[KT_MAX];
    void (*fwd)(struct kernt_gc *);
    void (*bwd)(struct kernt_gc *, float *const *dy, float *const *dx);
    /* optional, for kinked activations (relu, leaky): the outputs before the activation.
     * A finite difference whose two sides put any pre-activation on different sides of 0
     * straddles a kink and is skipped. */
    void (*pre)(struct kernt_gc *, float *const *z);
    void *user;
    int n_checked, n_skipped; /* filled by kernt_gradcheck */
    int in_fd; /* 1 while the checker evaluates finite differences: callbacks may use one
                * thread there (thousands of tiny runs; 2-thread regions on a loaded machine
                * cost milliseconds each) and the threads under test for the analytic pass */
} kernt_gc;

/* Allocates g's inputs, filled uniform in [lo, hi] from `seed` in input order, and its outputs
 * zeroed (which inputs to check is the caller's: check[]); kernt_gc_free frees both. */
void kernt_gc_setup(kernt_gc *g, unsigned long long seed, float lo, float hi);
void kernt_gc_free(kernt_gc *g);

/* Checks bwd against central differences of L = sum_j <r_j, out_j> (r random, fixed seed).
 * At most max_checks elements per input (spread over the input). Returns the number of
 * mismatches (details of the first written to msg). */
int kernt_gradcheck(kernt_gc *g, double eps, double atol, double rtol, int max_checks,
                    unsigned long long seed, char *msg, size_t msglen);

/* max |a-b| / (atol + rtol*|b|) over n; <= 1 means close */
double kernt_close(const float *a, const float *b, size_t n, double atol, double rtol);

/* naive references (double accumulation) */
void kernt_ref_conv2d(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                      float *y, int act, float alpha);
void kernt_ref_conv2d_t(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                        float *y, int act, float alpha);
void kernt_ref_dense(const float *x, const float *w, const float *b, float *y, int n, int k, int m,
                     int act, float alpha);

#endif
