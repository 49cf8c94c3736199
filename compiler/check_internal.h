/* Shared between the checker's files (check.c: the driver; check_data.c: data and latent;
 * check_net.c and check_env.h: networks; check_train.c: losses and optimizers). Not part of
 * the public API. */
#ifndef GAN_CHECK_INTERNAL_H
#define GAN_CHECK_INTERNAL_H

#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/model_def.h"

#define CK_MAX_NETS 8
#define CK_MAX_LABELS 1000 /* a label list (CelebA has 40; class folders may have more) */
#define CK_MAX_NODES 4096

typedef struct ck_net {
    ast_decl *decl;
    md_network net;      /* nodes grown in place; moved into the md_model at the end */
    int node_cap;
    int ok;              /* body elaborated without errors */
    int head_ndim[8];
    int head_shape[8][3];
    int used;            /* called in some loss */
    int head_used[8];
} ck_net;

typedef struct ck {
    fe_diag *d;
    fe_arena *arena;
    ast_file *file;
    ast_decl *data, *latent, *train;
    int img_c, img_h, img_w;
    int have_image;
    float lo, hi;
    int label_kind;      /* gan_label_kind */
    int n_labels;
    const char *labels[CK_MAX_LABELS];
    int labels_used;
    fe_loc labels_loc;
    int latent_size, latent_dist;
    const char *latent_name;
    ast_stmt *gdefs[32]; /* top-level defaults, in order */
    int n_gdefs;
    int n_nets;
    ck_net nets[CK_MAX_NETS];
    gan_hyper hyper;     /* training settings (label_names filled at the end) */
    int n_obj;
    md_objective obj[CK_MAX_NETS];
    int obj_net_loc_start[CK_MAX_NETS];
    ast_stmt *obj_loss[CK_MAX_NETS];
    ast_stmt *obj_opt[CK_MAX_NETS];
    ast_stmt *obj_ema[CK_MAX_NETS];
    int depth;           /* loss-expression nesting (check_train.c) */
} ck;

int ck_find_net(const ck *c, const char *name);
const char *ck_shape_str(int ndim, const int *shape, char *buf, size_t len);
void ck_data(ck *c, ast_decl *dd);        /* check_data.c */
void ck_latent(ck *c, ast_decl *ld);      /* check_data.c */
void ck_label_names(ck *c, ast_list *names); /* check_labels.c: the names of 'labels [..]' */
void ck_elab_net(ck *c, ck_net *ni);      /* check_net.c: body, inputs, heads, node names */
void ck_warn_unused(ck *c, ast_list *stmts); /* check_net.c: names, loop variables, defaults */
void ck_train(ck *c);   /* check_train.c */

#endif
