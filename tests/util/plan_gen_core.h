/* Inside plan_gen*.c only (tests use plan_gen.h): the state of a model generator and the
 * helpers that both generators, the random one and the seed-shaped one, build with. */
#ifndef PLAN_GEN_CORE_H
#define PLAN_GEN_CORE_H

#include <stddef.h>
#include <stdint.h>
#include "tests/util/plan_gen.h"

#define GEN_MAXT 4096

typedef struct {
    pg_builder *b;
    uint32_t rng;
    int N;
    int uid;
    int vals[512], nval;          /* forward values (arena tensors) usable as op inputs */
    int8_t needs_grad[GEN_MAXT];  /* 1: gradient wanted */
    int grad[GEN_MAXT];           /* its gradient tensor, -1 none yet */
    int pgrad[GEN_MAXT];          /* params: the GRAD-region tensor */
    int fwd_begin;                /* first forward op of the program */
    int labels;                   /* labels input of this program, -1 */
    int det;                      /* 1: no random choices in the backward (seed model) */
} gen;

static inline uint32_t rnd(gen *g)
{
    /* xorshift32: deterministic and good enough for test shapes */
    uint32_t x = g->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    g->rng = x;
    return x;
}

static inline int rr(gen *g, int lo, int hi) /* [lo, hi] */
{
    return lo + (int)(rnd(g) % (uint32_t)(hi - lo + 1));
}

static inline const gan_tensor *T(gen *g, int t)
{
    return &g->b->m->tensors[t];
}

/* realloc that aborts on out-of-memory (test code). */
void *pg_xrealloc(void *p, size_t n);

/* A tensor named kind<uid> (see pg_tensor), with no gradient yet. */
int gen_new(gen *g, const char *kind, int region, int ndim, const int *shape);
/* The same, shaped like tensor like. */
int gen_like(gen *g, const char *kind, int region, int like);
/* A trainable parameter (and its gradient, unless frozen). */
int gen_param(gen *g, const char *kind, int ndim, const int *shape, int frozen);
int gen_param1(gen *g, const char *kind, int n, int frozen);
/* SPECTRAL_NORM of weight w with power-iteration vector u (training: the op updates u):
 * returns the normalised copy, which needs a gradient when w does. */
int gen_spectral_norm(gen *g, int w, int u, int training);

/* Gradient tensor of t for accumulation: created (with a ZERO just before its first use) on
 * demand; -1 when t needs none. Must be called before pg_op of the op that uses it. */
int gen_grad(gen *g, int t);
/* The backward of one forward op (a copy: the op array may move while we append). */
void gen_bwd_op(gen *g, gan_op f);
/* The backward of loss term kind(in [, target]) of weight w, into din. Call gen_grad for din
 * first: it may append the ZERO that din needs. */
void gen_loss_bwd(gen *g, int kind, int in, int target, float w, int din);
/* Adam on aggregate p with gradients gr, moments m and v, and step count t. */
void gen_adam(gen *g, int p, int gr, int m, int v, int t);

#endif
