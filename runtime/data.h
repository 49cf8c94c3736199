/* Images and data sets for the runtime: data folders in four layouts (CelebA, a label file,
 * class folders, a plain folder), loading,
 * image decode/encode, the sample-grid writer and the synthetic face renderer.
 * See docs/data.md for the layout, the face crop, the cache/prefetch design and the bad-data
 * policy. All functions report errors as text in (err, errlen) and return non-zero / NULL;
 * nothing here exits or keeps global mutable state.
 */
#ifndef GAN_DATA_H
#define GAN_DATA_H

#include <stddef.h>
#include <stdint.h>
#include "common/names.h"

/* An image's name relative to its data folder ("000001.jpg", "cat/kitten 1.png"), NUL
   included: names this long or longer are refused with an error that names them. */
#define GAN_FILE_MAX 128
/* Label files are read whole; one over this size is refused (full CelebA's is 26 MB). */
#define GAN_LABEL_FILE_MAX ((size_t)256 << 20)

typedef struct gan_loader gan_loader;
typedef struct {
    const char *dir;              /* a data folder in any of the four layouts (gan_dataset_open) */
    int c, h, w;                  /* the model's image shape (c = 3 or 1) */
    float lo, hi;                 /* value range, e.g. -1, 1 */
    int label_kind;               /* gan_label_kind from format/model.h */
    int n_labels;
    const char (*label_names)[64];/* attribute names the model asks for */
    int batch;
    uint64_t seed;                /* shuffling */
    int limit;                    /* > 0: use only the first `limit` images (tests, quick runs) */
    int split;                    /* gan_split_part: every image (0), the training part or the
                                     held-out part; see holdout and docs/evaluation.md */
    long long holdout;            /* with split != ALL: > 0 the last `holdout` images in file
                                     order are held out; 0 DIR/list_eval_partition.txt decides
                                     when present (partitions 1 and 2 held out), else none;
                                     < 0 none */
} gan_loader_opts;
gan_loader *gan_loader_open(const gan_loader_opts *o, char *err, size_t errlen);
/* Fills images [batch,c,h,w] and labels [batch,n_labels] (0/1 multilabel, or one-hot). Crosses
   epoch boundaries by itself (reshuffle per epoch). 0 ok, -1 error (message in err: too many bad
   images, I/O failure). */
int gan_loader_next(gan_loader *l, float *images, float *labels, char *err, size_t errlen);
/* The same, and ids[batch] receives each image's number (000123.jpg: 123; its position in
   the loader's list when the file name has no number). ids may be NULL. */
int gan_loader_next_ids(gan_loader *l, float *images, float *labels, int64_t *ids, char *err,
                        size_t errlen);
/* Position for checkpoints: epoch and index of the next sample in that epoch's order. The order
   of epoch e is a pure function of (seed, e), so seeking reproduces the exact batch sequence. */
void gan_loader_tell(const gan_loader *l, uint64_t *epoch, uint64_t *index);
int gan_loader_seek(gan_loader *l, uint64_t epoch, uint64_t index, char *err, size_t errlen);
size_t gan_loader_size(const gan_loader *l);        /* usable images */
size_t gan_loader_bad_count(const gan_loader *l);   /* skipped so far */
void gan_loader_close(gan_loader *l);
/* Write a grid of n images (CHW floats in [lo,hi]) as a PNG, `cols` per row, with an optional
   text label per row drawn in a left margin (row_labels may be NULL). Atomic write. */
int gan_write_grid_png(const char *path, const float *images, int n, int c, int h, int w,
                       float lo, float hi, int cols, const char *const *row_labels,
                       char *err, size_t errlen);
int gan_write_png(const char *path, const float *image, int c, int h, int w, float lo, float hi,
                  char *err, size_t errlen);
/* Attribute file helpers (also used by `ganrt sample --attrs-from`). */
typedef struct { int n_attrs; char (*names)[64]; size_t n_rows; char (*files)[GAN_FILE_MAX]; signed char *values; /* n_rows x n_attrs, +1/-1 */ } gan_attr_table;
int gan_attr_table_read(const char *path, gan_attr_table *t, char *err, size_t errlen);
/* The same parser on bytes in memory (the fuzz target); fname names them in messages. */
int gan_attr_table_parse_mem(const void *data, size_t len, const char *fname, gan_attr_table *t,
                             char *err, size_t errlen);
void gan_attr_table_free(gan_attr_table *t);
int gan_attr_find(const gan_attr_table *t, const char *name);  /* -1 if absent */

/* ---- additions beyond the contract above ---- */

/* ---- the held-out split (split.c; docs/evaluation.md) ----
 * Decided on the rows of the attribute file (or the sorted listing without one), before any
 * label-dependent exclusion, so every model that reads a folder with the same holdout sees
 * the same held-out images. */
typedef enum { GAN_SPLIT_ALL = 0, GAN_SPLIT_TRAIN = 1, GAN_SPLIT_HELDOUT = 2 } gan_split_part;
typedef enum { GAN_SPLIT_NONE = 0, GAN_SPLIT_LAST_N = 1, GAN_SPLIT_PARTITION = 2 } gan_split_rule;
typedef struct {
    int rule;                   /* gan_split_rule */
    long long holdout;          /* LAST_N: N */
    size_t n_rows, n_heldout;   /* rows of the set, and how many are held out */
    size_t n_unlisted;          /* PARTITION: rows the partition file does not name (training) */
    char first[GAN_FILE_MAX], last[GAN_FILE_MAX]; /* the first and last held-out file, in file order */
} gan_split_info;
/* Marks heldout[i] = 1 for each of the n files that the rule holds out (see
   gan_loader_opts.holdout); dir is the data folder (for list_eval_partition.txt). 0, or -1
   with a message naming the file and line. */
int gan_split_mark(const char *dir, const char (*files)[GAN_FILE_MAX], size_t n, long long holdout,
                   unsigned char *heldout, gan_split_info *info, char *err, size_t errlen);
/* RUN/split.txt: what a run held out, in words a person and gan_split_read both read. */
int gan_split_write(const char *path, const gan_split_info *info, char *err, size_t errlen);
/* Reads a split.txt back into the holdout value that reproduces it (> 0 last N, 0 the
   partition file, < 0 none). 0, or -1 with a message (a missing file included). */
int gan_split_read(const char *path, long long *holdout, char *err, size_t errlen);
/* The split the loader applied (rule NONE for split ALL). */
void gan_loader_split_info(const gan_loader *l, gan_split_info *info);

/* ---- data folders in the four layouts (dataset.c, dataset_scan.c, label_file.c;
 * docs/data.md) ----
 * CELEBA: DIR/img_align_celeba/ + DIR/list_attr_celeba.txt (the face crop);
 * LABEL_FILE: DIR/labels.csv, labels.tsv or labels.txt with a header of column names, the
 *   images beside it (named relative to DIR);
 * CLASSES: DIR/NAME/... one class per subfolder (read only for a model with one_of labels);
 * PLAIN: every JPEG/PNG under DIR, recursively, no labels (read for a model without labels).
 * The last three get a centred square crop. */
typedef enum { GAN_LAYOUT_CELEBA = 1, GAN_LAYOUT_LABEL_FILE, GAN_LAYOUT_CLASSES,
               GAN_LAYOUT_PLAIN } gan_layout;
typedef struct {
    int layout;              /* gan_layout */
    char *root;              /* the folder the table's file names are relative to */
    char *source;            /* what the labels came from, for messages: the label file's path,
                                or DIR for class folders and plain folders */
    gan_attr_table t;        /* names (class names, none when plain), files, values (+1/-1) */
} gan_dataset;
/* Opens dir in whichever layout it has; label_kind (gan_label_kind) chooses between class
   folders and a plain folder when there is no label file. 0, or -1 with a message that says
   what was looked for. */
int gan_dataset_open(const char *dir, int label_kind, gan_dataset *ds, char *err, size_t errlen);
void gan_dataset_free(gan_dataset *ds);
const char *gan_layout_name(int layout);
/* "DIR: permission denied" and the like, for a folder that stat or opendir refused (errnum). */
int gan_dir_error(const char *dir, int errnum, char *err, size_t errlen);
/* A label file with a header line of column names (label_file.c): comma-separated when the
   header has a comma, else blank-separated; the first column names the image unless the rows
   have one field more than the header (CelebA's line 2); values 1, +1, 0 or -1. */
int gan_label_file_parse_mem(const void *data, size_t len, const char *fname,
                             gan_attr_table *t, char *err, size_t errlen);
int gan_label_file_read(const char *path, gan_attr_table *t, char *err, size_t errlen);

/* Extra loader fields that do not fit the fixed opts struct. */
size_t gan_loader_excluded_count(const gan_loader *l); /* categorical: rows with no class */

/* Decoded 8-bit image, interleaved (HWC), 1 or 3 channels. Owner frees px with free(). */
typedef struct { int w, h, c; unsigned char *px; } gan_image8;

/* Decode a JPEG or PNG (chosen by content, not by name) from memory / a file into RGB8 (c = 3)
   or gray (c = 1). `what` names the source in messages. 0 ok, -1 with "what: reason". */
int gan_image_decode_mem(const void *buf, size_t len, int c, const char *what, gan_image8 *out,
                         char *err, size_t errlen);
int gan_image_read_file(const char *path, int c, gan_image8 *out, char *err, size_t errlen);

/* The face crop + resize used by the loader (docs/data.md): portrait images get a square of
   side W starting at row round(10*W/89) (clamped), landscape ones a centred square, square ones
   no crop; then area averaging (bilinear when enlarging) to oh x ow. Output is CHW uint8. */
void gan_image_crop_resize(const gan_image8 *in, int oh, int ow, unsigned char *out_chw);
/* The same with a centred square crop whatever the aspect (every layout but CelebA's). */
void gan_image_center_crop_resize(const gan_image8 *in, int oh, int ow, unsigned char *out_chw);

/* planes float planes of h x w resampled to oh x ow with the loader's weights (area averaging
   where shrunk, bilinear on pixel centres where enlarged): how ganrt eval brings a generator's
   faces and the real faces read at its size to a judge of another size. 0, or -1 when out of
   memory. */
int gan_resample_planes(const float *src, size_t planes, int h, int w, float *dst, int oh, int ow);

/* Read an image file, crop/resize it like the loader, and scale to [lo,hi] CHW floats. */
int gan_read_image(const char *path, int c, int h, int w, float lo, float hi, float *out,
                   char *err, size_t errlen);

/* Write 8-bit interleaved pixels (c = 1 gray or 3 RGB) as PNG. atomic != 0: temp file + fsync +
   rename; atomic == 0: a plain write (bulk dataset output, where the attribute file written last
   is what marks the set complete). */
int gan_png_write8(const char *path, const unsigned char *px, int c, int h, int w, int atomic,
                   char *err, size_t errlen);


/* ---- synthetic labelled faces (synth_faces.c) ---- */
typedef enum {
    GAN_SYN_SMILING = 0,
    GAN_SYN_EYEGLASSES,
    GAN_SYN_BLOND_HAIR,
    GAN_SYN_BLACK_HAIR,
    GAN_SYN_WEARING_HAT,
    GAN_SYN_MUSTACHE,
    GAN_SYN_MALE,
    GAN_SYN_PALE_SKIN,
    GAN_SYN_N_ATTRS
} gan_synth_attr;
/* CelebA names of the rendered attributes, indexed by gan_synth_attr. */
extern const char *const gan_synth_attr_names[GAN_SYN_N_ATTRS];
/* Default frequency of each attribute (docs/data.md). */
extern const float gan_synth_default_freq[GAN_SYN_N_ATTRS];

/* Everything that decides one face: attributes plus nuisance parameters. */
typedef struct {
    unsigned char attr[GAN_SYN_N_ATTRS]; /* 0/1 */
    float cx, cy, scale;                 /* face centre (fraction of the image) and size */
    float skin[3], hair[3], bg_top[3], bg_bot[3], shirt[3], hat[3], iris[3];
    float face_aspect;                   /* width / height of the head ellipse */
    float hair_volume;                   /* how far the hair stands off the head */
    float hair_length;                   /* long hair: how far it falls */
    float fringe;                        /* fringe depth */
    float eye_sep, eye_y, mouth_y, mouth_w;
    float tilt;                          /* slight head roll, radians */
    int hat_style;                       /* 0 cap with brim, 1 beanie, 2 top hat */
} gan_synth_face;

/* Draw the face parameters of sample `index` for `seed` (a pure function of both).
   freq: per-attribute probability (NULL = defaults); Blond_Hair and Black_Hair are exclusive:
   one uniform draw picks blond (p_blond), black (p_black) or brown (rest). Returns -1 if
   freq is out of range (p outside [0,1] or p_blond + p_black > 1). */
int gan_synth_sample(gan_synth_face *f, uint64_t seed, uint64_t index, const float *freq);
/* Render a face into size x size interleaved RGB8. */
void gan_synth_draw(const gan_synth_face *f, int size, unsigned char *rgb);
/* Fill a CelebA row (40 values, +1/-1) for the face: rendered attributes from f, Brown_Hair
   when neither blond nor black, everything else -1. */
void gan_synth_celeba_row(const gan_synth_face *f, signed char row[GAN_CELEBA_N_ATTRS]);
/* Write n faces in CelebA layout: DIR/img_align_celeba/000001.png ... and
   DIR/list_attr_celeba.txt (written last, atomically). progress: print a progress line to
   stderr. threads: <= 0 for the default (2). */
int gan_synth_write_dataset(const char *dir, int n, int size, uint64_t seed, const float *freq,
                            int progress, int threads, char *err, size_t errlen);

#endif
