/* The checked model: what the front end (parser + checker) hands to the back end (lowering,
 * autodiff, fusion, planning). Shapes here are per sample (no batch dimension); the back end
 * adds the batch. Everything is owned by the md_model and freed by md_model_free().
 */
#ifndef GAN_MODEL_DEF_H
#define GAN_MODEL_DEF_H

#include "format/model.h"

/* The kinds of node: MD_INPUT, then one per line of compiler/layer_list.h, with its number. */
typedef enum {
    MD_INPUT = 0,   /* a formal input of the network (see md_network.inputs) */
#define LAYER_KIND(ID, name, value) MD_##ID = value,
#include "compiler/layer_list.h"
#undef LAYER_KIND
    MD_KIND_COUNT = 1
#define LAYER_KIND(ID, name, value) + 1
#include "compiler/layer_list.h"
#undef LAYER_KIND
} md_kind;

typedef struct {
    int kind;                 /* md_kind */
    char name[GAN_NAME_MAX];  /* unique in its network: "conv3", "bn2", or the user's name */
    int n_in;
    int in[8];                /* indices of earlier nodes of the same network */
    int ndim;                 /* 1 ([F]) or 3 ([C,H,W]) */
    int shape[3];             /* per-sample output shape */
    /* options (those that apply to the kind) */
    int units;                /* dense units / conv filters */
    int kh, kw, stride;
    int pad_t, pad_l, pad_b, pad_r;
    int factor;
    int bias;                 /* 1 = has a bias */
    int spectral_norm;        /* 1 = weight is spectrally normalised */
    int init;                 /* gan_init_kind for the weight */
    float init_arg;
    float momentum, eps;      /* batch norm */
    int affine;               /* batch norm has gamma/beta */
    int act;                  /* gan_act for MD_ACT */
    float alpha;
    float translation, cutout; /* diffaugment: shares of the side (0: off) */
    int color;                /* diffaugment: brightness, saturation, contrast */
    int line;                 /* source line, for messages from the back end */
} md_node;

typedef enum { MD_IN_IMAGE = 0, MD_IN_LABELS, MD_IN_LATENT, MD_IN_TENSOR } md_in_kind;

typedef struct {
    char name[GAN_NAME_MAX];  /* formal name as written: "z", "y", "x" */
    int kind;                 /* md_in_kind: what may be passed (IMAGE also accepts G's output) */
    int node;                 /* the MD_INPUT node that stands for it */
} md_formal;

typedef struct {
    char name[GAN_NAME_MAX];  /* head name: "adv", "cls", "image", "out" */
    int node;
} md_head;

typedef struct {
    char name[GAN_NAME_MAX];  /* "G", "D", "C" */
    int role;                 /* gan_net_role */
    int line, col;            /* of its name in the source: the back end's limit errors */
    int n_inputs;
    md_formal inputs[8];
    int n_nodes;
    md_node *nodes;           /* topological order; inputs first */
    int n_heads;
    md_head heads[8];
} md_network;

/* An expression in a loss: a model input symbol, or a call of a network's head. */
typedef enum { MD_EX_IMAGE = 0, MD_EX_LABELS, MD_EX_LATENT, MD_EX_CALL } md_expr_kind;

typedef struct md_expr {
    int kind;                 /* md_expr_kind */
    int network;              /* MD_EX_CALL: index into md_model.networks */
    int head;                 /* MD_EX_CALL: head index in that network (its only head if 1) */
    int n_args;
    struct md_expr *args[8];  /* MD_EX_CALL: one per formal input, in order */
} md_expr;

typedef enum {
#define GAN_LOSS(KIND, ...) MD_LOSS_##KIND,
#include "compiler/loss_list.h"
#undef GAN_LOSS
    MD_LOSS_KIND_COUNT
} md_loss_kind;

typedef struct {
    int kind;                 /* md_loss_kind */
    float weight;             /* multiplier in the sum */
    float scale;              /* MD_LOSS_MEAN */
    md_expr *arg;             /* a call */
    md_expr *target;          /* BCE / CE: labels symbol, or NULL with const_target */
    float const_target;
} md_loss_term;

typedef struct {
    int network;              /* minimized over this network's parameters */
    int n_terms;
    md_loss_term *terms;
    int optim;                /* md_optim_kind (compiler/optimizers.h); 0 = Adam */
    float lr, beta1, beta2, eps; /* beta1: Adam's, or SGD's momentum, or RMSprop's alpha */
    float weight_decay;       /* Adam: decoupled (AdamW); SGD, RMSprop: L2 */
    int schedule;             /* 0 constant, 1 linear, 2 cosine (KERN_LR_* numbers) */
    int warmup;               /* optimizer updates of linear warm-up */
    long long decay_steps;    /* training steps the decay spans; 0 = the train block's steps */
    int hold;                 /* training steps at full lr before the decay starts (0: none) */
    float final_lr;           /* the decay's end, a share of lr */
    float ema_decay;          /* 0 = no EMA */
} md_objective;

typedef struct {
    gan_hyper hyper;          /* data, latent and training settings (label_names owned here) */
    int n_networks;
    md_network *networks;
    int n_objectives;
    md_objective *objectives;
} md_model;

/* Values per sample of a node's output (its shape's product; rank 1 or 3). */
long long md_node_numel(const md_node *n);
void md_model_free(md_model *m);
void md_expr_free(md_expr *e);

#endif
