/* Shared between the lowering's files (not a public contract):
 *   lower.c           gan_build: the driver, the network table, dropping unused tensors;
 *   lower_check.c     the md_model checked before anything is built from it;
 *   lower_tensors.c   persistent tensors: parameters, gradients, optimizer and layer state;
 *   lower_net.c       a network call, node by node, on demand, memoized;
 *   lower_layers.c    what the layers' lowerings (compiler/layer_*.c) share;
 *   lower_programs.c  training and inference programs: losses, autodiff, optimizer, EMA.
 */
#ifndef GAN_LOWER_INTERNAL_H
#define GAN_LOWER_INTERNAL_H

#include "compiler/backend.h"
#include "compiler/graph_build.h"

#define MAX_CALLS 64

typedef struct {
    int *w, *b, *gamma, *beta, *rmean, *rvar, *u; /* per node: tensor index or -1 */
    int n_params;
    int *plist;          /* parameter tensors in layout order */
    int *pgrad, *pm, *pv; /* per plist entry: grad tensor, optimizer state views (unfused), or -1 */
    /* adam_m / adam_v: the optimizer's state aggregates (Adam's m and v; SGD's and RMSprop's
     * one buffer in adam_m, adam_v -1); adam_t: its update counter, whatever the optimizer */
    int agg_params, agg_grads, adam_m, adam_v, adam_t, ema;
    int objective;       /* index into md->objectives, or -1 */
} net_info;

typedef struct {
    const md_model *md;
    gb_ctx g;
    int fuse;
    int batch;
    net_info *nets;
} lower_ctx;

typedef struct {
    int net;
    int n_args;
    int args[8];
    int *val; /* per node: tensor, -1 until lowered */
} call_rec;

typedef struct {
    lower_ctx *L;
    gb_oplist ops;
    const char *pname;
    int train;           /* 1: BN_TRAIN, spectral norm power iteration */
    int grad;            /* 1: differentiated though not training (visualize): keep what
                          * the backward ops read */
    call_rec calls[MAX_CALLS];
    int n_calls;
    int **wsn;           /* per network, per node: normalised weight in this program, or -1 */
    int x, y, z, d;      /* program inputs (d: the direction), -1 until used */
} prog_ctx;

/* One node being lowered, handed to its layer's lowering (compiler/layers.h). */
typedef struct lw_node {
    prog_ctx *P;
    int n, k;                /* network index, node index */
    const md_network *net;
    const md_node *nd;
    const int *in;           /* tensors of the node's inputs */
    int y;                   /* its output tensor */
    const char *name;        /* y's name: helper tensors add a suffix (".ws", ".mean", ...) */
} lw_node;

/* One node's persistent tensors being made, handed to its kind's params and state
 * (compiler/layers.h); *off is where the next one goes in its region. */
typedef struct lw_persist {
    lower_ctx *L;
    int n, k;                /* network index, node index */
    const md_network *net;
    const md_node *nd;
    uint64_t *off;
} lw_persist;

/* Per-sample values of an md node. */
uint64_t lw_numel(const md_node *n);

/* lower_check.c */
int lw_check_md(lower_ctx *L);
int lw_same_shape(const md_node *a, const md_node *b);  /* ranks are 1 or 3 */

/* lower_tensors.c */
int lw_make_params(lower_ctx *L);
int lw_make_grads(lower_ctx *L);
int lw_make_state(lower_ctx *L);
/* The node's weight "<net>.<node>.w" with the node's init (Glorot uniform if none), a
 * parameter: its tensor (also in the network's w[k]), or -1. */
int lw_param_weight(lw_persist *lp, int ndim, const int *shape, int fan_in, int fan_out);
/* A parameter vector "<net>.<node>.<what>" (a bias, gamma, beta): its tensor, or -1. */
int lw_param_vec(lw_persist *lp, const char *what, int len, int init);
/* A normalisation's gamma (ones) and beta (zeros), one per channel, unless the node is
 * no_affine: a layer_kind's params for batchnorm and instance_norm. 0, or -1. */
int lw_param_affine(lw_persist *lp);
/* A state vector of the node (batch-norm running statistics): its tensor, or -1. */
int lw_state_vec(lw_persist *lp, const char *what, int len, int init);

/* lower_net.c */
int lw_arena(prog_ctx *P, const char *name, int ndim, const int *shape);
int lw_op(prog_ctx *P, int type, int n_in, const int *in, int n_out, const int *out);
int lw_get_input(prog_ctx *P, int role);
int lw_node_tensor(prog_ctx *P, int c, int k);
int lw_find_call(prog_ctx *P, int n, int n_args, const int *args);
int lw_eval_expr(prog_ctx *P, const md_expr *e, int depth);

/* lower_layers.c */
/* The weight node k of network n multiplies with: the parameter, or its spectral
 * normalisation, computed once per program before its first use; -1 on failure. */
int lw_weight(prog_ctx *P, int n, int k);
/* The op `type` from the node's one input to its output, no attributes; its index or -1. */
int lw_plain(lw_node *ln, int type);
/* layer_batchnorm.c, for every layer that batch-normalises: the node's running mean and
 * variance (state), and the BN op from x to y (gamma, beta may be -1): BN_TRAIN with the
 * batch's statistics in training programs, BN_INFER otherwise, with the node's momentum and
 * eps. The op's index, or -1. */
int lw_bn_state(lw_persist *lp);
int lw_bn_op(lw_node *ln, int x, int gamma, int beta, int y);

/* lower_programs.c */
int lw_build_train(lower_ctx *L, int obj, const char *name);
int lw_build_infer(lower_ctx *L, int n, const char *name, int all_heads);
/* Network n (a classifier, or a GAN's D) in inference mode, its input gradient too: inputs
 * image x and direction d (the shape of head `head`), outputs that head, the other heads,
 * and d(mean(d * that head))/dx. */
int lw_build_visualize(lower_ctx *L, int n, int head, const char *name);

#endif
