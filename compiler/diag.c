#include "compiler/diag.h"
#include "common/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fe_diag_init(fe_diag *d, const char *filename, const char *src, size_t len)
{
    memset(d, 0, sizeof *d);
    d->filename = filename;
    d->src = src;
    d->src_len = len;
    d->max_errors = 50;
}

void fe_diag_free(fe_diag *d)
{
    free(d->buf);
    d->buf = NULL;
    d->len = d->cap = 0;
}

static void put(fe_diag *d, const char *s, size_t n)
{
    if (d->len + n + 1 > d->cap) {
        size_t cap = d->cap ? d->cap : 256;
        while (cap < d->len + n + 1)
            cap *= 2;
        char *nb = realloc(d->buf, cap);
        if (!nb)
            return; /* out of memory: lose the message rather than crash */
        d->buf = nb;
        d->cap = cap;
    }
    memcpy(d->buf + d->len, s, n);
    d->len += n;
    d->buf[d->len] = '\0';
}

static void putf(fe_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vputf(fe_diag *d, const char *fmt, va_list ap)
{
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof small) {
        put(d, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            put(d, big, (size_t)n);
            free(big);
        }
    }
    va_end(ap2);
}
static void putf(fe_diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vputf(d, fmt, ap);
    va_end(ap);
}

void fe_line_col(const fe_diag *d, int offset, int *line, int *col)
{
    int l = 1, c = 1;
    if (offset < 0)
        offset = 0;
    if ((size_t)offset > d->src_len)
        offset = (int)d->src_len;
    for (int i = 0; i < offset; i++) {
        if (d->src[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Prints the source line holding loc.start and an underline: '^' under the first byte, '~'
 * under the rest of the span (up to the end of that line). */
int fe_utf8_glyph(const char *s, size_t left)
{
    const unsigned char *p = (const unsigned char *)s;
    if (!left)
        return 0;
    if (p[0] < 0x80)
        return 1;
    int n = p[0] >= 0xC2 && p[0] <= 0xDF ? 2 : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
          : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : 0;
    if (!n || (size_t)n > left)
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* The bytes of the glyph at i (1 for a byte shown as '?': a control or broken UTF-8 byte). */
static int glyph_at(const fe_diag *d, int i, int le, int *shown)
{
    unsigned char c = (unsigned char)d->src[i];
    int n = fe_utf8_glyph(d->src + i, (size_t)(le - i));
    *shown = c == '\t' || (c >= 0x20 && c != 0x7f && c < 0x80) || n > 1;
    return n > 1 ? n : 1;
}

static void show_source(fe_diag *d, fe_loc loc)
{
    if (!d->src || (size_t)loc.start > d->src_len)
        return;
    int start = loc.start, end = loc.end;
    int ls = start;
    while (ls > 0 && d->src[ls - 1] != '\n' && start - ls < 200)
        ls--; /* a very long line: from 200 bytes before the error */
    int le = start;
    while ((size_t)le < d->src_len && d->src[le] != '\n')
        le++;
    if (end > le)
        end = le;
    if (end <= start)
        end = start + 1;
    int line, col;
    fe_line_col(d, start, &line, &col);
    char gutter[32];
    int gw = snprintf(gutter, sizeof gutter, "%5d", line);
    putf(d, "%s | ", gutter);
    /* non-printable bytes and broken UTF-8 are shown as '?', one column each; a very long
     * line only up to 200 bytes past the error */
    int stop = le - start > 200 ? start + 200 : le;
    for (int i = ls, shown; i < stop;) {
        int n = glyph_at(d, i, le, &shown);
        if (!(d->src[i] == '\r' && i == le - 1))
            put(d, shown ? d->src + i : "?", shown ? (size_t)n : 1);
        i += n;
    }
    if (stop < le)
        put(d, " ...", 4);
    put(d, "\n", 1);
    for (int i = 0; i < gw; i++)
        put(d, " ", 1);
    put(d, " | ", 3);
    for (int i = ls, shown; i < start;) {
        /* a UTF-8 character takes one column on screen, whatever its bytes */
        put(d, d->src[i] == '\t' ? "\t" : " ", 1);
        i += glyph_at(d, i, le, &shown);
    }
    put(d, "^", 1);
    for (int i = start + 1; i < end; i++) {
        unsigned char c = (unsigned char)d->src[i];
        if ((c & 0xC0) == 0x80)
            continue;
        put(d, "~", 1);
    }
    put(d, "\n", 1);
}

static void emit(fe_diag *d, const char *kind, const fe_loc *loc, const char *fmt, va_list ap)
{
    if (loc) {
        int line, col;
        fe_line_col(d, loc->start, &line, &col);
        putf(d, "%s:%d:%d: %s: ", d->filename, line, col, kind);
    } else {
        putf(d, "%s: %s: ", d->filename, kind);
    }
    vputf(d, fmt, ap);
    put(d, "\n", 1);
    if (loc)
        show_source(d, *loc);
}

void fe_error(fe_diag *d, fe_loc loc, const char *fmt, ...)
{
    d->n_errors++;
    if (d->max_errors && d->n_errors > d->max_errors) {
        d->suppressed = 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    emit(d, "error", &loc, fmt, ap);
    va_end(ap);
}

void fe_error_unknown(fe_diag *d, fe_loc loc, const char *what, const char *name,
                      const char *const *cands, int n, const char *otherwise)
{
    const char *s = fe_suggest(name, cands, n);
    if (s)
        fe_error(d, loc, "%s '%s'; did you mean '%s'?", what, name, s);
    else
        fe_error(d, loc, "%s '%s'%s", what, name, otherwise);
}

void fe_error_noloc(fe_diag *d, const char *fmt, ...)
{
    d->n_errors++;
    va_list ap;
    va_start(ap, fmt);
    emit(d, "error", NULL, fmt, ap);
    va_end(ap);
}

void fe_warning(fe_diag *d, fe_loc loc, const char *fmt, ...)
{
    d->n_warnings++;
    if (d->suppressed)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(d, "warning", &loc, fmt, ap);
    va_end(ap);
}

void fe_note(fe_diag *d, fe_loc loc, const char *fmt, ...)
{
    if (d->suppressed)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(d, "note", &loc, fmt, ap);
    va_end(ap);
}

void fe_diag_summary(fe_diag *d)
{
    if (d->suppressed)
        putf(d, "%s: too many errors; only the first %d are shown\n", d->filename, d->max_errors);
    int w = d->n_warnings, e = d->n_errors;
    if (w && e)
        putf(d, "%d warning%s and %d error%s generated.\n", w, w == 1 ? "" : "s", e, e == 1 ? "" : "s");
    else if (e)
        putf(d, "%d error%s generated.\n", e, e == 1 ? "" : "s");
    else if (w)
        putf(d, "%d warning%s generated.\n", w, w == 1 ? "" : "s");
}

int fe_name_index(const char *name, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

const char *fe_suggest(const char *name, const char *const *cands, int n)
{
    int len = (int)strlen(name);
    int limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    const char *best = NULL;
    int best_d = limit + 1;
    for (int i = 0; i < n; i++) {
        if (!cands[i] || !strcmp(cands[i], name))
            continue;
        int dd = gan_edit_distance(name, cands[i]);
        if (dd < best_d) {
            best_d = dd;
            best = cands[i];
        }
    }
    return best;
}
