/* The fuzz targets' entry points (docs/fuzzing.md). Each takes one input, feeds it through the
 * same functions ganc / ganrt call on a file of that kind, and returns 0: a crash, a sanitizer
 * report or a leak is the finding, never the return value. The libFuzzer wrappers (fuzz/lf_*.c,
 * built by clang in `make fuzz`) and tests/test_fuzz_regress.c (built by gcc in `make check`)
 * call the same functions, so every input kept in fuzz/regress/ replays exactly. */
#ifndef GAN_FUZZ_H
#define GAN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "format/model.h"

int fuzz_gan_one(const uint8_t *data, size_t len);    /* .gan source: the whole compiler */
int fuzz_model_one(const uint8_t *data, size_t len);  /* model.bin: load, validate, run */
int fuzz_ckpt_one(const uint8_t *data, size_t len);   /* checkpoint of a fixed small model */
int fuzz_attrs_one(const uint8_t *data, size_t len);  /* list_attr_celeba.txt */
int fuzz_image_one(const uint8_t *data, size_t len);  /* JPEG / PNG bytes */

/* Shared by the model and checkpoint targets: rewrites every CRC and the length field of a
 * model.bin / checkpoint in place, so mutations get past the checksums to the parser and
 * validator behind them (the checksums themselves are tested in tests/test_format.c and
 * tests/test_ckpt.c). Inputs too short to carry the fields are left as they are. */
void fuzz_fix_model_crcs(uint8_t *buf, size_t len);
void fuzz_fix_ckpt_crcs(uint8_t *buf, size_t len);

/* The small conditional GAN the checkpoint target loads into (compiled once per process; the
 * seed corpus was written for it). NULL if it does not compile, which is a bug. */
const gan_model *fuzz_ckpt_model(void);
extern const char fuzz_small_gan[];

#endif
