/* gan_model: a compiled program, as ganc builds it and as ganrt loads it from model.bin.
 * One definition serves both sides: ganc fills it and writes it (model_write.c), ganrt reads
 * and validates it (model_load.c). Ownership: everything hangs off the gan_model and is freed
 * by gan_model_free().
 */
#ifndef GAN_MODEL_H
#define GAN_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "format/ops.h"

#define GAN_FORMAT_MAGIC "GANMODEL"   /* 8 bytes at offset 0 */
#define GAN_FORMAT_VERSION 3 /* 2: programs carry a role (gan_program_role); 3: sgd, rmsprop,
                               * optimizer weight decay and learning-rate schedules */
#define GAN_MAX_DIMS 4
#define GAN_OP_MAX_IO 8
#define GAN_NAME_MAX 64
/* The most memory a model's plan may ask for (every region together, in bytes): the loader
 * refuses more before anything is allocated, and ganc's --max-memory stops here. */
#define GAN_MODEL_MAX_BYTES (64ull << 30)
/* The compiler's bounds on the hyperparameters, which the loader applies too: a model.bin
 * ganc would never write (d_steps 2^31, a range near FLT_MAX) is refused on load, not run. */
#define GAN_HYPER_MAX_CHANNELS 64
#define GAN_HYPER_MAX_SIDE 4096
#define GAN_HYPER_MAX_RANGE 1e6    /* |range_lo|, |range_hi| */
#define GAN_HYPER_MAX_LATENT 1000000
#define GAN_HYPER_MAX_BATCH 65536
#define GAN_HYPER_MAX_D_STEPS 100
#define GAN_HYPER_MAX_STEPS 1000000000000ll
#define GAN_HYPER_MAX_COUNT 1000000000 /* epochs, sample_every, ckpt_every */

/* Where a tensor's storage lives. Offsets are in floats from the region's base. */
typedef enum {
    GAN_REGION_PARAM = 0, /* trainable parameters; checkpointed; initialised from init specs */
    GAN_REGION_STATE = 1, /* optimizer m, v, t; batch-norm running stats; spectral-norm u;
                             EMA weights; checkpointed */
    GAN_REGION_GRAD = 2,  /* parameter gradients; not checkpointed */
    GAN_REGION_ARENA = 3, /* activations, their gradients, workspaces, program inputs and
                             outputs; planned per program; contents die with the program */
    GAN_REGION_COUNT
} gan_region;

typedef enum {
    GAN_INIT_NONE = 0,     /* arena tensors: no init */
    GAN_INIT_ZEROS,
    GAN_INIT_ONES,
    GAN_INIT_NORMAL,       /* N(0, arg^2) */
    GAN_INIT_UNIFORM,      /* U(-arg, arg) */
    GAN_INIT_GLOROT_UNIFORM, /* U(-l, l), l = sqrt(6 / (fan_in + fan_out)) */
    GAN_INIT_HE_NORMAL,    /* N(0, 2 / fan_in) */
    GAN_INIT_ORTHOGONAL,   /* rows (or columns) of the [shape0, numel/shape0] view orthonormal,
                              times arg (gain; 1 if arg is 0) */
    GAN_INIT_UNIT_NORMAL,  /* N(0,1) then scaled to unit L2 norm (spectral-norm u) */
    GAN_INIT_COPY,         /* copy of tensor init_src at init time (EMA weights) */
    GAN_INIT_COUNT
} gan_init_kind;

typedef struct {
    char name[GAN_NAME_MAX]; /* "G.conv2.w", "D.conv1.w.u", "d_step.h5", "G.params" */
    uint8_t region;          /* gan_region */
    uint8_t ndim;            /* 1..4 */
    uint8_t init;            /* gan_init_kind (persistent regions only) */
    uint8_t flags;           /* GAN_TF_* */
    int32_t shape[GAN_MAX_DIMS];
    uint64_t offset;         /* in floats, from the region base */
    uint64_t numel;          /* product of shape */
    float init_arg;
    int32_t fan_in, fan_out;
    int32_t init_src;        /* tensor index for GAN_INIT_COPY, else -1 */
} gan_tensor;

/* A flat tensor that spans other tensors (a network's whole parameter buffer): it overlaps
 * them on purpose, so the plan checker skips overlaps between an aggregate and its parts. */
#define GAN_TF_AGGREGATE 1u

typedef struct {
    uint16_t type;                 /* gan_op_type */
    uint8_t n_in, n_out;           /* slots in use (trailing -1 allowed) */
    int32_t in[GAN_OP_MAX_IO];
    int32_t out[GAN_OP_MAX_IO];
    int32_t i[8];
    float f[8];
} gan_op;

/* What the runtime must put into a program input before running it. */
typedef enum {
    GAN_ROLE_IMAGE = 0,  /* a batch of real images [N,C,H,W] in the model's value range */
    GAN_ROLE_LABELS = 1, /* [N,L]: 0/1 per attribute (multilabel) or one-hot (categorical) */
    GAN_ROLE_LATENT = 2, /* [N,Z] drawn by the runtime from the latent distribution */
    GAN_ROLE_DIRECTION = 3, /* [N,K]: which outputs to maximise (visualize: the weights of a
                               LOSS_DOT over the logits), chosen by the runtime */
    GAN_ROLE_COUNT
} gan_input_role;

/* What a program is for: the runtime finds the programs it runs by role, never by name. */
typedef enum {
    GAN_PROG_AUX = 0,        /* not run by role (tests, tools); any number of them */
    GAN_PROG_D_STEP = 1,     /* one discriminator update; network = D */
    GAN_PROG_G_STEP = 2,     /* one generator update; network = G */
    GAN_PROG_SAMPLE = 3,     /* G in inference mode: latent (+ labels) -> images; network -1 */
    GAN_PROG_TRAIN_STEP = 4, /* one classifier update; network = the classifier */
    GAN_PROG_PREDICT = 5,    /* the classifier in inference mode: images -> logits; network -1 */
    GAN_PROG_VISUALIZE = 6,  /* the classifier in inference mode, images + direction -> logits
                                and d(direction . logits)/d(images); network -1 */
    GAN_PROG_ROLE_COUNT
} gan_program_role;

typedef struct {
    char name[GAN_NAME_MAX];  /* for people: "d_step", "g_step", "sample", ... */
    int32_t role;             /* gan_program_role; each role but AUX at most once per model */
    int32_t network;          /* for training programs: the network whose params it updates;
                                 -1 for sample/predict */
    int32_t n_ops;
    gan_op *ops;
    int32_t n_inputs;
    int32_t *inputs;          /* tensor indices (arena) */
    int32_t *input_roles;     /* gan_input_role per input */
    int32_t n_outputs;        /* losses first (total, then terms), or the image / logits */
    int32_t *outputs;         /* tensor indices (arena) whose values are read after the run */
    uint64_t arena_floats;    /* planned arena size of this program */
    uint64_t naive_floats;    /* sum of all its arena tensors, for the report */
    double flops;             /* multiply-adds x 2 over all ops, per run */
} gan_program;

typedef enum { GAN_NET_GENERATOR = 0, GAN_NET_DISCRIMINATOR = 1, GAN_NET_CLASSIFIER = 2 } gan_net_role;

typedef struct {
    char name[GAN_NAME_MAX];  /* "G", "D" */
    int32_t role;             /* gan_net_role */
    int32_t params;           /* aggregate tensor over all its parameters (GAN_REGION_PARAM) */
    int32_t grads;            /* aggregate over their gradients (GAN_REGION_GRAD), or -1 */
    int32_t ema;              /* EMA copy of params (GAN_REGION_STATE), or -1 */
    float ema_decay;
    float lr, beta1, beta2, eps; /* its optimizer (Adam) */
} gan_network;

typedef enum { GAN_LABELS_NONE = 0, GAN_LABELS_MULTI = 1, GAN_LABELS_CATEGORICAL = 2 } gan_label_kind;
typedef enum { GAN_LATENT_NORMAL = 0, GAN_LATENT_UNIFORM = 1 } gan_latent_dist;

typedef struct {
    /* data */
    int32_t image_c, image_h, image_w;
    float range_lo, range_hi;
    int32_t label_kind;                   /* gan_label_kind */
    int32_t n_labels;
    char (*label_names)[GAN_NAME_MAX];    /* CelebA attribute names, n_labels of them */
    /* latent */
    int32_t latent_size;                  /* 0 when the model has no generator */
    int32_t latent_dist;                  /* gan_latent_dist */
    /* training */
    int32_t batch;
    int32_t d_steps;                      /* d_step runs per g_step */
    int32_t epochs;                       /* 0 = not set */
    int64_t steps;                        /* 0 = not set */
    int32_t sample_every, ckpt_every;     /* in steps; 0 = runtime default */
} gan_hyper;

typedef struct {
    gan_hyper hyper;
    int32_t n_tensors;
    gan_tensor *tensors;
    int32_t n_networks;
    gan_network *networks;
    int32_t n_programs;
    gan_program *programs;
    uint64_t region_floats[GAN_REGION_COUNT]; /* sizes; ARENA = max over programs */
} gan_model;

/* Load and validate model.bin. On failure returns NULL and writes "path: what is wrong"
 * into err. Every count, offset, size and index is checked before use. */
gan_model *gan_model_load(const char *path, char *err, size_t errlen);
/* Same, from memory (the tests corrupt buffers without touching the disk). */
gan_model *gan_model_load_mem(const void *buf, size_t len, const char *what, char *err,
                              size_t errlen);
/* Structural validation shared by the loader and the compiler's self-check: indices in
 * range, shapes consistent with each op's contract, tensors inside their regions. */
int gan_model_validate(const gan_model *m, char *err, size_t errlen);
/* Serialize (atomic: temporary file + fsync + rename). 0 on success. */
int gan_model_write(const gan_model *m, const char *path, char *err, size_t errlen);
/* Serialize to a malloc'd buffer (caller frees). */
int gan_model_write_mem(const gan_model *m, void **buf, size_t *len);
void gan_model_free(gan_model *m);

/* Lookups: -1 when absent. */
int gan_model_find_tensor(const gan_model *m, const char *name);
int gan_model_find_program(const gan_model *m, const char *name);
int gan_model_find_role(const gan_model *m, int role);
/* The role's canonical program name ("d_step"), the name ganc gives that program; "?" if none. */
const char *gan_program_role_name(int role);
/* The role whose canonical name this is, GAN_PROG_AUX for any other name. */
int gan_program_role_of_name(const char *name);
int gan_model_find_network(const gan_model *m, const char *name);

#endif
