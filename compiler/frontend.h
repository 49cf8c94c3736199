/* The front end's public API: .gan text -> checked md_model (compiler/model_def.h).
 *
 * Usage:
 *     fe_result r;
 *     int rc = fe_compile_file("models/x.gan", &r);   // 0 ok, 1 errors in the model, 2 unreadable
 *     fputs(r.messages, stderr);                      // diagnostics (may hold warnings on success)
 *     ... r.model ...                                 // non-NULL only when rc == 0
 *     fe_result_free(&r);                             // frees messages and the model
 *
 * No global state: every call is independent (safe from several threads).
 */
#ifndef GAN_FRONTEND_H
#define GAN_FRONTEND_H

#include <stddef.h>
#include <stdio.h>
#include "compiler/model_def.h"

typedef struct fe_result {
    md_model *model;     /* owned; NULL unless the model was accepted. To keep it past
                            fe_result_free, take it (r.model = NULL) and later call
                            md_model_free(model), which frees the struct itself too */
    int n_errors;
    int n_warnings;
    char *messages;      /* owned, NUL-terminated; "" when there is nothing to say */
} fe_result;

/* Compiles source text; `name` is the file name used in messages. 0 = accepted, 1 = errors. */
int fe_compile(const char *name, const char *src, size_t len, fe_result *out);
/* Reads and compiles a file; 2 (and a message) when it cannot be read. */
int fe_compile_file(const char *path, fe_result *out);
void fe_result_free(fe_result *r);


/* Parameter counts of one node / one network (report.c).
 * trainable: weights, biases, batch-norm gamma/beta.
 * non-trainable: batch-norm running mean/var, spectral-norm u vectors. */
void fe_node_params(const md_network *net, int node, long long *trainable, long long *non_trainable);
void fe_network_params(const md_network *net, long long *trainable, long long *non_trainable);
/* Forward FLOPs (2 x multiply-adds) of one node for one sample. */
double fe_node_flops(const md_network *net, int node);
/* The per-network layer table (Keras-summary-like) and totals. */
void fe_report(const md_model *m, FILE *f);
/* "[3, 64, 64]" / "[128]" into buf. */
const char *fe_shape_str(int ndim, const int *shape, char *buf, size_t len);
/* Short names for reports: "conv", "conv_t", "batchnorm", ... */
const char *fe_kind_name(int md_kind);

#endif
