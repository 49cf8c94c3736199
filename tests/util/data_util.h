/* Helpers shared by the data tests (tests/util/data_util.c). */
#ifndef TESTS_DATA_UTIL_H
#define TESTS_DATA_UTIL_H

#include <stddef.h>

/* mkdtemp under $TMPDIR (or /tmp); returns a malloc'd path. */
char *data_tmpdir(void);
/* rm -rf of a directory the tests made (two levels: DIR/img_align_celeba/files). */
void data_rmtree(const char *dir);
/* Writes a text file; 0 ok. */
int data_write_text(const char *path, const char *text);
/* Writes an RGB8 (HWC) JPEG with libjpeg at the given quality; 0 ok. */
int data_write_jpeg(const char *path, const unsigned char *rgb, int w, int h, int quality);
/* Builds a CelebA-layout set of n images of w x h in dir: image i is a flat colour whose red
   and green channels encode i (so a test can tell which image it got; blue is 200), PNG except every `jpeg_every`-th
   (0: none) which is JPEG. Attributes: the 40 CelebA names; attribute a of image i is
   +1 when (i >> (a % 5)) & 1. Returns 0 ok. */
int data_make_set(const char *dir, int n, int w, int h, int jpeg_every);
/* The red and green values image i gets in data_make_set (steps of 8: robust to JPEG). */
int data_set_red(int i);
int data_set_green(int i);
/* Reads a whole file into a malloc'd buffer. */
unsigned char *data_read_all(const char *path, size_t *len);

#endif
