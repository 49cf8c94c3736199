/* Binary I/O shared by model.bin (format/) and checkpoints (runtime/train/): little-endian
 * encoding that does not depend on the host, CRC-32 (zlib's, so files stay checkable with any
 * zlib), reading a whole file, and replacing a file atomically.
 *
 * Integers are written least significant byte first; floats as their IEEE-754 bit patterns.
 * Nothing here keeps state between calls: a writer or reader is a plain struct the caller owns.
 */
#ifndef GAN_COMMON_BYTES_H
#define GAN_COMMON_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* ---- fixed places in a buffer the caller has sized ---- */
void gan_le16_store(uint8_t *p, uint16_t v);
void gan_le32_store(uint8_t *p, uint32_t v);
void gan_le64_store(uint8_t *p, uint64_t v);
uint16_t gan_le16_load(const uint8_t *p);
uint32_t gan_le32_load(const uint8_t *p);
uint64_t gan_le64_load(const uint8_t *p);

/* ---- writer: appends to a growing malloc'd buffer ----
 * Start from a zeroed struct. An allocation failure sets failed and turns every later put into
 * a no-op, so a serializer can put everything and check once at the end. The buffer belongs to
 * the caller: free(w.data) (or gan_wbuf_free) when done, or hand it on. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
    int failed;
} gan_wbuf;

/* Makes room for at least more further bytes (one allocation when the size is known). */
void gan_wbuf_reserve(gan_wbuf *w, size_t more);
void gan_wbuf_free(gan_wbuf *w);
void gan_put_bytes(gan_wbuf *w, const void *src, size_t n);
void gan_put_zeros(gan_wbuf *w, size_t n);
void gan_put_u8(gan_wbuf *w, uint8_t v);
void gan_put_u16(gan_wbuf *w, uint16_t v);
void gan_put_u32(gan_wbuf *w, uint32_t v);
void gan_put_u64(gan_wbuf *w, uint64_t v);
void gan_put_i32(gan_wbuf *w, int32_t v);
void gan_put_f32(gan_wbuf *w, float v);
void gan_put_f64(gan_wbuf *w, double v);
void gan_put_f32s(gan_wbuf *w, const float *x, size_t n);
/* At most max bytes of s, then a NUL; returns the offset the string starts at (string tables
 * refer to names by offset). */
size_t gan_put_str(gan_wbuf *w, const char *s, size_t max);
/* A fixed-width field of width bytes: at most width - 1 bytes of s, NUL-padded to width. */
void gan_put_strfield(gan_wbuf *w, const char *s, size_t width);

/* ---- reader: bounds-checked, over bytes the caller keeps alive ----
 * A get that would read past the end reads nothing, returns 0 and sets failed (and every get
 * after it fails too), so a parser may read a fixed record and check failed once. Parsers that
 * want a precise message check gan_rbuf_left() first. */
typedef struct {
    const uint8_t *data;
    size_t len, pos;
    int failed;
} gan_rbuf;

gan_rbuf gan_rbuf_make(const void *data, size_t len);
size_t gan_rbuf_left(const gan_rbuf *r);
/* A pointer to the next n bytes (and skips them), or NULL (and failed) when fewer are left. */
const uint8_t *gan_get_bytes(gan_rbuf *r, size_t n);
uint8_t gan_get_u8(gan_rbuf *r);
uint16_t gan_get_u16(gan_rbuf *r);
uint32_t gan_get_u32(gan_rbuf *r);
uint64_t gan_get_u64(gan_rbuf *r);
int32_t gan_get_i32(gan_rbuf *r);
float gan_get_f32(gan_rbuf *r);
double gan_get_f64(gan_rbuf *r);
/* n floats into x; on failure x is left untouched. */
void gan_get_f32s(gan_rbuf *r, float *x, size_t n);

/* ---- CRC-32 (zlib's crc32: the polynomial of PNG and gzip) ----
 * Any length: zlib takes a uInt at a time, so long buffers go in pieces. data may be NULL
 * when n is 0. */
uint32_t gan_crc32(const void *data, size_t n);
/* Continues crc over more bytes: gan_crc32_update(gan_crc32(a, n), b, m) is the CRC of a
 * followed by b. */
uint32_t gan_crc32_update(uint32_t crc, const void *data, size_t n);

/* ---- reading a whole file ----
 * Reads the regular file path into one malloc'd buffer (the caller frees *buf) of its size plus
 * a NUL, so a text parser may treat it as a string; *len does not count the NUL. A file over
 * max_bytes (SIZE_MAX: no limit) is refused before anything is allocated. Returns 0, or one of
 * the codes below with its message in err: callers that word a failure their own way switch on
 * the code. On failure *buf is NULL and *len is the file's size once it is known (else 0). */
enum {
    GAN_READ_EOPEN = -1,   /* "PATH: cannot open: REASON"; errno is left as open() set it */
    GAN_READ_ENOTREG = -2, /* "PATH: not a regular file" (a directory, a device, a FIFO) */
    GAN_READ_ETOOBIG = -3, /* "PATH: N bytes is over the limit of M" */
    GAN_READ_ENOMEM = -4,  /* "PATH: out of memory" */
    GAN_READ_EIO = -5,     /* "PATH: read error": a read failed, or the file shrank meanwhile */
};
int gan_read_file(const char *path, uint8_t **buf, size_t *len, size_t max_bytes, char *err,
                  size_t errlen);

/* ---- replacing a file atomically ----
 * Readers of path see the old file or the new one, never a part: the bytes go to a temporary
 * file in the same directory (PATH.tmp.PID, so the rename cannot cross file systems), which is
 * fsync'd and renamed over path; then the directory is fsync'd so the rename survives a crash.
 * On failure the temporary file is removed and path is untouched. 0, or -1 with a message that
 * names path. */
int gan_write_file_atomic(const char *path, const void *data, size_t len, char *err,
                          size_t errlen);

/* The two halves, for writers that produce the bytes themselves (libpng's FILE*):
 * gan_tmpfile_create opens a new temporary file for path (mode 0644 before the umask) and sets
 * *tmp to its malloc'd name (the caller frees it), returning the descriptor or -1.
 * gan_rename_durable renames tmp over path and fsyncs the directory (best effort: some file
 * systems refuse a directory fsync); it does not remove tmp when the rename fails. The caller
 * fsyncs and closes the file in between. Both write through a symbolic link (the temporary
 * goes beside the link's target, which is replaced; the link stays) and refuse a path that
 * exists as anything but a regular file (a device, a FIFO, a directory). */
int gan_tmpfile_create(const char *path, char **tmp, char *err, size_t errlen);
int gan_rename_durable(const char *tmp, const char *path, char *err, size_t errlen);

#endif
