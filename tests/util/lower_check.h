/* Structural checks of a built (unplanned) gan_model, for the lowering tests. */
#ifndef LOWER_CHECK_H
#define LOWER_CHECK_H

#include <stddef.h>
#include "format/model.h"

/* Every op: indices in range, required slots present, shapes consistent with ops.h;
 * arena tensors (and parameter gradients) are written before being read or accumulated
 * into, in op order; nothing (arena or gradient) is written after an op has read it. 0 = fine, else -1 and a message naming program, op and tensor. */
int lower_check_model(const gan_model *m, char *err, size_t errlen);

/* Counting helpers. */
int lower_count_ops(const gan_program *p, int type);
/* Ops of program p that write tensor t as an output. */
int lower_count_writes(const gan_program *p, int t);
/* 1 if some op of p writes a GRAD-region tensor whose name starts with prefix ("G."). */
int lower_writes_grad_of(const gan_model *m, const gan_program *p, const char *prefix);
const gan_program *lower_prog(const gan_model *m, const char *name);

#endif
