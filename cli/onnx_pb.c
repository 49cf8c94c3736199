/* The protobuf wire format and the ONNX messages `ganrt export` needs (cli/onnx_pb.h). Field
 * numbers are those of onnx.proto (IR version 8); the names in the comments are its own. */
#include <string.h>
#include "cli/onnx_pb.h"

enum { WIRE_VARINT = 0, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

static int varint_len(uint64_t v)
{
    int n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void varint_at(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p = (uint8_t)v;
}

void pb_varint(gan_wbuf *w, uint64_t v)
{
    uint8_t b[10];
    varint_at(b, v);
    gan_put_bytes(w, b, (size_t)varint_len(v));
}

static void tag(gan_wbuf *w, int field, int wire)
{
    pb_varint(w, ((uint64_t)field << 3) | (uint64_t)wire);
}

/* int64 fields carry negative values as their 64-bit two's complement (not zigzag) */
void pb_int(gan_wbuf *w, int field, int64_t v)
{
    tag(w, field, WIRE_VARINT);
    pb_varint(w, (uint64_t)v);
}

void pb_float(gan_wbuf *w, int field, float v)
{
    tag(w, field, WIRE_FIXED32);
    gan_put_f32(w, v);
}

void pb_bytes(gan_wbuf *w, int field, const void *p, size_t n)
{
    tag(w, field, WIRE_LEN);
    pb_varint(w, n);
    gan_put_bytes(w, p, n);
}

void pb_str(gan_wbuf *w, int field, const char *s)
{
    pb_bytes(w, field, s, strlen(s));
}

size_t pb_begin(gan_wbuf *w, int field)
{
    tag(w, field, WIRE_LEN);
    return w->len;
}

/* The length is known only now: shift the body to make room for its varint. A body is moved
 * once per enclosing level (three at most here), which costs less than building each message
 * in a buffer of its own. */
void pb_end(gan_wbuf *w, size_t mark)
{
    if (w->failed || mark > w->len)
        return;
    size_t len = w->len - mark;
    int nb = varint_len(len);
    gan_wbuf_reserve(w, (size_t)nb);
    if (w->failed)
        return;
    memmove(w->data + mark + nb, w->data + mark, len);
    varint_at(w->data + mark, len);
    w->len += (size_t)nb;
}

/* ---------------------------------------------------------------- ONNX */

/* ModelProto */
enum { MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3,
       MODEL_DOC = 6, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8, MODEL_METADATA = 14 };
/* GraphProto */
enum { GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5 };
/* NodeProto */
enum { NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5 };
/* AttributeProto and its AttributeType */
enum { ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_INTS = 8, ATTR_TYPE = 20 };
enum { ATYPE_FLOAT = 1, ATYPE_INT = 2, ATYPE_STRING = 3, ATYPE_INTS = 7 };
/* TensorProto */
enum { TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9 };

size_t onnx_model_begin(gan_wbuf *w, int64_t ir_version, const char *producer,
                        const char *producer_version, const char *doc, const char *graph_name)
{
    pb_int(w, MODEL_IR_VERSION, ir_version);
    pb_str(w, MODEL_PRODUCER_NAME, producer);
    pb_str(w, MODEL_PRODUCER_VERSION, producer_version);
    if (doc)
        pb_str(w, MODEL_DOC, doc);
    size_t g = pb_begin(w, MODEL_GRAPH);
    pb_str(w, GRAPH_NAME, graph_name);
    return g;
}

void onnx_model_end(gan_wbuf *w, size_t graph_mark, int64_t opset, int n_meta,
                    const char *const *keys, const char *const *values)
{
    pb_end(w, graph_mark);
    size_t o = pb_begin(w, MODEL_OPSET_IMPORT);
    pb_str(w, 1, "");     /* OperatorSetIdProto.domain: the default (ai.onnx) */
    pb_int(w, 2, opset);  /* .version */
    pb_end(w, o);
    for (int i = 0; i < n_meta; i++) {
        size_t e = pb_begin(w, MODEL_METADATA); /* StringStringEntryProto */
        pb_str(w, 1, keys[i]);
        pb_str(w, 2, values[i]);
        pb_end(w, e);
    }
}

size_t onnx_node_begin(gan_wbuf *w, const char *op_type, const char *name,
                       const char *const *inputs, int n_in, const char *const *outputs, int n_out)
{
    size_t m = pb_begin(w, GRAPH_NODE);
    for (int i = 0; i < n_in; i++)
        pb_str(w, NODE_INPUT, inputs[i]); /* "" leaves an optional input out */
    for (int i = 0; i < n_out; i++)
        pb_str(w, NODE_OUTPUT, outputs[i]);
    pb_str(w, NODE_NAME, name);
    pb_str(w, NODE_OP_TYPE, op_type);
    return m;
}

void onnx_node_end(gan_wbuf *w, size_t mark)
{
    pb_end(w, mark);
}

void onnx_attr_int(gan_wbuf *w, const char *name, int64_t v)
{
    size_t a = pb_begin(w, NODE_ATTRIBUTE);
    pb_str(w, ATTR_NAME, name);
    pb_int(w, ATTR_I, v);
    pb_int(w, ATTR_TYPE, ATYPE_INT);
    pb_end(w, a);
}

void onnx_attr_float(gan_wbuf *w, const char *name, float v)
{
    size_t a = pb_begin(w, NODE_ATTRIBUTE);
    pb_str(w, ATTR_NAME, name);
    pb_float(w, ATTR_F, v);
    pb_int(w, ATTR_TYPE, ATYPE_FLOAT);
    pb_end(w, a);
}

void onnx_attr_str(gan_wbuf *w, const char *name, const char *s)
{
    size_t a = pb_begin(w, NODE_ATTRIBUTE);
    pb_str(w, ATTR_NAME, name);
    pb_str(w, ATTR_S, s);
    pb_int(w, ATTR_TYPE, ATYPE_STRING);
    pb_end(w, a);
}

/* repeated int64, unpacked: onnx.proto is proto2, whose default encoding that is */
void onnx_attr_ints(gan_wbuf *w, const char *name, const int64_t *v, int n)
{
    size_t a = pb_begin(w, NODE_ATTRIBUTE);
    pb_str(w, ATTR_NAME, name);
    for (int i = 0; i < n; i++)
        pb_int(w, ATTR_INTS, v[i]);
    pb_int(w, ATTR_TYPE, ATYPE_INTS);
    pb_end(w, a);
}

static size_t init_head(gan_wbuf *w, const char *name, const int64_t *dims, int ndim, int type)
{
    size_t t = pb_begin(w, GRAPH_INITIALIZER);
    for (int i = 0; i < ndim; i++)
        pb_int(w, TENSOR_DIMS, dims[i]);
    pb_int(w, TENSOR_DATA_TYPE, type);
    pb_str(w, TENSOR_NAME, name);
    return t;
}

static size_t count_of(const int64_t *dims, int ndim)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)dims[i];
    return n;
}

void onnx_init_f32(gan_wbuf *w, const char *name, const int64_t *dims, int ndim, const float *x)
{
    size_t t = init_head(w, name, dims, ndim, ONNX_FLOAT);
    size_t n = count_of(dims, ndim);
    tag(w, TENSOR_RAW_DATA, WIRE_LEN);
    pb_varint(w, n * 4);
    gan_put_f32s(w, x, n); /* little-endian, as raw_data must be */
    pb_end(w, t);
}

void onnx_init_i64(gan_wbuf *w, const char *name, const int64_t *dims, int ndim,
                   const int64_t *x)
{
    size_t t = init_head(w, name, dims, ndim, ONNX_INT64);
    size_t n = count_of(dims, ndim);
    tag(w, TENSOR_RAW_DATA, WIRE_LEN);
    pb_varint(w, n * 8);
    for (size_t i = 0; i < n; i++)
        gan_put_u64(w, (uint64_t)x[i]);
    pb_end(w, t);
}

void onnx_value_info(gan_wbuf *w, int field, const char *name, const int64_t *dims, int ndim,
                     const char *dyn_name)
{
    size_t vi = pb_begin(w, field);
    pb_str(w, 1, name);               /* ValueInfoProto.name */
    size_t ty = pb_begin(w, 2);       /* .type: TypeProto */
    size_t tt = pb_begin(w, 1);       /* .tensor_type: TypeProto.Tensor */
    pb_int(w, 1, ONNX_FLOAT);         /* .elem_type */
    size_t sh = pb_begin(w, 2);       /* .shape: TensorShapeProto */
    for (int i = 0; i < ndim; i++) {
        size_t d = pb_begin(w, 1);    /* .dim */
        if (dims[i] < 0)
            pb_str(w, 2, dyn_name);   /* .dim_param */
        else
            pb_int(w, 1, dims[i]);    /* .dim_value */
        pb_end(w, d);
    }
    pb_end(w, sh);
    pb_end(w, tt);
    pb_end(w, ty);
    pb_end(w, vi);
}
