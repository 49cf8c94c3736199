/* Inside the ONNX exporter (export_onnx.c: values, names, nodes; export_onnx_ops.c: one
 * translation per op). Not for other users. */
#ifndef GAN_EXPORT_ONNX_INT_H
#define GAN_EXPORT_ONNX_INT_H

#include <stddef.h>
#include <stdint.h>
#include "common/bytes.h"
#include "format/model.h"

#define XO_NAME 112 /* a tensor name (63) plus a version or an op prefix */

typedef struct {
    const gan_model *m;
    const gan_program *p;
    float *const *base;
    gan_wbuf *w;
    int op_i;             /* the op being translated, -1 outside the op loop */
    int sub;              /* nodes emitted for it so far (node names) */
    int out_t;            /* the program's output tensor */
    int last_write;       /* the op that writes out_t last (its value is "image") */
    int batch;            /* the compiled batch: the first dimension made symbolic */
    int n_nodes;
    char (*cur)[XO_NAME]; /* per tensor: the name of its current value */
    int *ver;             /* per tensor: how often it was written */
    unsigned char *defined; /* per tensor: 1 has a value (input, written, initializer),
                             2 a folded constant (no batch dimension),
                             3 a folded value left out (spectral norm's v, sigma) */
    char *err;
    size_t errlen;
} xo_ctx;

/* -1 after writing "program 'P' op K (NAME): msg" into err. */
int xo_fail(xo_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The value to read for tensor t (a weight becomes an initializer at its first use). */
int xo_in(xo_ctx *c, int t, char *name, size_t len);
/* A new name for the next value of tensor t. */
int xo_out(xo_ctx *c, int t, char *name, size_t len);
/* The name of an intermediate value of the current op: "opK/what". */
void xo_tmp(xo_ctx *c, const char *what, char *name, size_t len);
/* Opens a node (close it with onnx_node_end, attributes in between). */
size_t xo_node(xo_ctx *c, const char *type, const char *const *in, int n_in,
               const char *const *out, int n_out);
void xo_simple(xo_ctx *c, const char *type, const char *in, const char *out);
/* Initializers owned by the current op, named "opK/what" (into name). */
void xo_const_i64(xo_ctx *c, const char *what, const int64_t *v, int n, char *name, size_t len);
int xo_const_f32(xo_ctx *c, const char *what, const float *v, int n, char *name, size_t len);
int xo_const_fill(xo_ctx *c, const char *what, float value, int n, char *name, size_t len);
/* The activation node act (gan_act) from in to out. */
int xo_act(xo_ctx *c, int act, float alpha, const char *in, const char *out);
/* A fused epilogue: final is out0's name; main_out the name the main node writes (final
 * itself when the op has no activation). xo_epilogue_end adds the activation node. */
int xo_epilogue_out(xo_ctx *c, const gan_op *op, char *main_out, char *final, size_t len);
int xo_epilogue_end(xo_ctx *c, const gan_op *op, const char *main_out, const char *final);

/* export_onnx_ops.c: the nodes of one op, or a clear error for an op with no translation. */
int xo_translate_op(xo_ctx *c, const gan_op *op);

#endif
