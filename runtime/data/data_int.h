/* Internals shared by runtime/data/ sources: a small PRNG, the size-hinted decoders, the font.
 * Not part of the API. Errors are formatted with common/err.h. */
#ifndef GAN_DATA_INT_H
#define GAN_DATA_INT_H

#include <stdint.h>

#include "runtime/data.h"

/* splitmix64: tiny, well-mixed, and all state is the caller's one word. */
static inline uint64_t gan_sm64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
/* Uniform in [0,1) with 24 bits, exact in float. */
static inline float gan_sm64_f(uint64_t *s) { return (float)(gan_sm64(s) >> 40) * (1.0f / 16777216.0f); }
/* Uniform integer in [0,n) without modulo bias worth caring about (n << 2^32). */
static inline uint64_t gan_sm64_below(uint64_t *s, uint64_t n) {
    return (uint64_t)(((unsigned __int128)gan_sm64(s) * n) >> 64);
}
/* A seed derived from two keys: independent streams per (seed, k). */
static inline uint64_t gan_seed_mix(uint64_t seed, uint64_t k) {
    uint64_t s = seed ^ (k * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull);
    (void)gan_sm64(&s);
    return gan_sm64(&s);
}

/* Decoders with a size hint: a JPEG may be decoded at 1/2, 1/4 or 1/8 scale (in the IDCT)
   as long as its shorter side stays >= min_side; 0 = full size. PNGs are always full size. */
int gan_image_decode_mem_min(const void *buf, size_t len, int c, int min_side, const char *what,
                             gan_image8 *out, char *err, size_t errlen);
int gan_image_read_file_min(const char *path, int c, int min_side, gan_image8 *out, char *err,
                            size_t errlen);

/* Text files (attrs.c): splits the next line off *p, NUL-terminating it without its LF or
   CRLF; NULL at the end of the buffer. */
char *gan_next_line(char **p);

/* Image listings (dataset_scan.c): every JPEG/PNG under root, recursively, sorted by name
   (a table without labels); or root's subfolders as classes (one-hot +1/-1 values), with
   the images directly in root counted in *loose. */
int gan_scan_plain(const char *root, gan_attr_table *t, char *err, size_t errlen);
int gan_scan_classes(const char *root, gan_attr_table *t, size_t *loose, char *err,
                     size_t errlen);

/* The loader's rows (loader_labels.c): the images of ds that keep marks (NULL: all), at
   most o->limit (> 0) of them, with the nl labels o names picked by name (multilabel 0/1 or
   one-hot); categorical rows with no class are left out and counted. Notes and warnings go
   to stderr. The caller frees files and labels, also on failure. */
typedef struct {
    char (*files)[GAN_FILE_MAX];
    float *labels;
    size_t n;          /* rows kept */
    size_t examined;   /* rows of the part looked at (the limit stops the walk early) */
    size_t excluded;   /* of those, rows with no class */
} gan_picked;
int gan_pick_rows(const gan_loader_opts *o, int nl, const gan_dataset *ds,
                  const unsigned char *keep, gan_picked *p, char *err, size_t errlen);

/* Bitmap font (font.c): 5x7 glyphs in a 6x9 cell; rows top to bottom, bit 4 = leftmost. */
#define GAN_FONT_W 5
#define GAN_FONT_H 7
#define GAN_FONT_CELL_W 6
#define GAN_FONT_CELL_H 9
const unsigned char *gan_font_glyph(int ch); /* 7 row bytes; unknown chars get '?' */
const unsigned char *gan_font_descender(int ch); /* 2 rows below the 7; zeros for most */

#endif
