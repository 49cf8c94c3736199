/* The translation of a model's "sample" program into an ONNX model (docs/export.md), used by
 * `ganrt export` (cli_export.c) and its tests. */
#ifndef GAN_EXPORT_ONNX_H
#define GAN_EXPORT_ONNX_H

#include <stddef.h>
#include "common/bytes.h"
#include "format/model.h"

#define GAN_ONNX_OPSET_MIN 13 /* ReduceSum takes its axes as an input from 13 on */
#define GAN_ONNX_OPSET_MAX 17
#define GAN_ONNX_OPSET_DEFAULT 17
#define GAN_ONNX_IR_VERSION 8 /* the IR version that goes with opset 17 */

/* Program prog of m (role sample: latent and labels in, image out) with the weights in
 * base[PARAM] / base[STATE] (the caller has already put the EMA weights in place), as the bytes
 * of an ONNX ModelProto in *out (a zeroed gan_wbuf; the caller frees it). The batch dimension
 * is symbolic ("N"). n_nodes (may be NULL) receives the number of nodes. 0, or -1 with a
 * message naming the program and the op that cannot be translated. */
int gan_export_onnx(const gan_model *m, int prog, float *const base[GAN_REGION_COUNT], int opset,
                    gan_wbuf *out, int *n_nodes, char *err, size_t errlen);

#endif
