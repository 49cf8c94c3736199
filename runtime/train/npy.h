/* NumPy .npy files (format version 1.0), the container of ganrt's input and tensor dumps:
 * numpy.load reads them directly. Only what the dumps need: little-endian float32, int64 and
 * uint64, C order, at most 4 dimensions. */
#ifndef GAN_TRAIN_NPY_H
#define GAN_TRAIN_NPY_H

#include <stddef.h>
#include <stdint.h>

#define GAN_NPY_MAX_DIMS 4

typedef enum { GAN_NPY_F32 = 0, GAN_NPY_I64 = 1, GAN_NPY_U64 = 2 } gan_npy_dtype;

/* Writes data (prod(shape) elements of dtype) to path. ndim 0 is a scalar. 0, or -1 with
 * "PATH: why" in err. */
int gan_npy_write(const char *path, gan_npy_dtype dt, int ndim, const int64_t *shape,
                  const void *data, char *err, size_t errlen);
/* Reads path into data, which holds prod(shape) elements: the file must have exactly this
 * dtype and shape (the message names what it has instead). 0, or -1 with "PATH: why". */
int gan_npy_read(const char *path, gan_npy_dtype dt, int ndim, const int64_t *shape, void *data,
                 char *err, size_t errlen);

#endif
