/* A minimal protobuf writer for the subset of onnx.proto that `ganrt export` emits
 * (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto). No
 * protobuf library: the wire format is varints and length-delimited fields, written into a
 * gan_wbuf (common/bytes.h), whose failed flag covers every allocation.
 *
 * A nested message is opened with pb_begin (which writes its tag) and closed with pb_end, which
 * inserts the canonical varint length in front of the bytes written since: messages nest to any
 * depth without being built twice. Field numbers are onnx.proto's (docs/export.md).
 */
#ifndef GAN_ONNX_PB_H
#define GAN_ONNX_PB_H

#include <stddef.h>
#include <stdint.h>
#include "common/bytes.h"

/* ---- the wire format ---- */
void pb_varint(gan_wbuf *w, uint64_t v);
void pb_int(gan_wbuf *w, int field, int64_t v);           /* wire type 0 */
void pb_float(gan_wbuf *w, int field, float v);           /* wire type 5, little-endian */
void pb_bytes(gan_wbuf *w, int field, const void *p, size_t n); /* wire type 2 */
void pb_str(gan_wbuf *w, int field, const char *s);
/* Opens a length-delimited submessage in field; returns the mark pb_end needs. */
size_t pb_begin(gan_wbuf *w, int field);
void pb_end(gan_wbuf *w, size_t mark);

/* ---- ONNX messages ---- */
enum { ONNX_FLOAT = 1, ONNX_INT64 = 7 }; /* TensorProto.DataType */

/* ModelProto's leading fields, then opens its graph (GraphProto, field 7) named graph_name.
 * Returns the graph's mark for onnx_model_end. */
size_t onnx_model_begin(gan_wbuf *w, int64_t ir_version, const char *producer,
                        const char *producer_version, const char *doc, const char *graph_name);
/* Closes the graph and adds the opset import (default domain) and metadata_props: n pairs
 * keys[i] = values[i]. */
void onnx_model_end(gan_wbuf *w, size_t graph_mark, int64_t opset, int n_meta,
                    const char *const *keys, const char *const *values);

/* A NodeProto in the graph. Attributes go between begin and end. */
size_t onnx_node_begin(gan_wbuf *w, const char *op_type, const char *name,
                       const char *const *inputs, int n_in, const char *const *outputs, int n_out);
void onnx_node_end(gan_wbuf *w, size_t mark);
void onnx_attr_int(gan_wbuf *w, const char *name, int64_t v);
void onnx_attr_float(gan_wbuf *w, const char *name, float v);
void onnx_attr_str(gan_wbuf *w, const char *name, const char *s);
void onnx_attr_ints(gan_wbuf *w, const char *name, const int64_t *v, int n);

/* An initializer (TensorProto in GraphProto.initializer) with raw_data little-endian. */
void onnx_init_f32(gan_wbuf *w, const char *name, const int64_t *dims, int ndim, const float *x);
void onnx_init_i64(gan_wbuf *w, const char *name, const int64_t *dims, int ndim,
                   const int64_t *x);

/* A graph input (field 11) or output (field 12) of element type FLOAT; a dim < 0 is the
 * symbolic dimension dyn_name ("N", the batch). */
enum { ONNX_GRAPH_INPUT = 11, ONNX_GRAPH_OUTPUT = 12 };
void onnx_value_info(gan_wbuf *w, int field, const char *name, const int64_t *dims, int ndim,
                     const char *dyn_name);

#endif
