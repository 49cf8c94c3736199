/* Diagnostics of the front end, formatted like a good C compiler's:
 *
 *   file.gan:12:11: error: unknown layer 'comv'; did you mean 'conv'?
 *      12 |   h = h | comv(64)
 *         |           ^~~~
 *
 * Messages accumulate in a buffer (no global state; the caller decides where they go).
 */
#ifndef GAN_DIAG_H
#define GAN_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include "compiler/ast.h"

typedef struct fe_diag {
    const char *filename;
    const char *src;
    size_t src_len;
    int n_errors, n_warnings;
    int max_errors;     /* further errors are counted but not printed; 0 = no limit */
    int suppressed;
    char *buf;          /* all formatted messages, NUL-terminated */
    size_t len, cap;
} fe_diag;

void fe_diag_init(fe_diag *d, const char *filename, const char *src, size_t len);
void fe_diag_free(fe_diag *d);
void fe_error(fe_diag *d, fe_loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void fe_warning(fe_diag *d, fe_loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void fe_note(fe_diag *d, fe_loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An unknown name: "WHAT 'NAME'; did you mean 'X'?" when a candidate is close to NAME, else
 * "WHAT 'NAME'" and then `otherwise` (" (expected a or b)", or ""). */
void fe_error_unknown(fe_diag *d, fe_loc loc, const char *what, const char *name,
                      const char *const *cands, int n, const char *otherwise);
/* An error with no source position ("file.gan: error: ..."). */
void fe_error_noloc(fe_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends "2 errors generated." / "1 warning and 1 error generated." (nothing if clean). */
void fe_diag_summary(fe_diag *d);
/* 1-based line and byte column of a byte offset. */
void fe_line_col(const fe_diag *d, int offset, int *line, int *col);

/* Levenshtein distance (bytes), capped at 64. */
/* The closest candidate within a distance that scales with the name's length, or NULL. */
const char *fe_suggest(const char *name, const char *const *cands, int n);
/* The bytes of the valid UTF-8 character at s (1 for ASCII), 0 for a broken sequence. */
int fe_utf8_glyph(const char *s, size_t left);
/* The index of name in names[0..n), or -1. */
int fe_name_index(const char *name, const char *const *names, int n);

#endif
