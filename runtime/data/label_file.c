/* Label files with their own header (docs/data.md, "A label file"): DIR/labels.csv and the
 * like. Line 1 names the columns; each further line is an image (named relative to DIR) and
 * one value per label: 1, +1, 0 or -1. Comma-separated when the header line has a comma,
 * else separated by blanks (spaces or tabs). The header's first column names the image
 * column (its name is free) unless the rows have one field more than the header, as in
 * CelebA's line 2. Blank lines and lines starting with '#' are skipped; LF or CRLF. */
#include "runtime/data.h"
#include "runtime/data/data_int.h"
#include "common/bytes.h"
#include "common/err.h"

#include <stdlib.h>
#include <string.h>

#define MAX_COLS 4096

/* Surrounding blanks and one pair of double quotes off. */
static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t l = strlen(s);
    while (l && (s[l - 1] == ' ' || s[l - 1] == '\t')) s[--l] = 0;
    if (l >= 2 && s[0] == '"' && s[l - 1] == '"') s[l - 1] = 0, s++;
    return s;
}

/* Splits s in place at sep (',' ; 0: runs of blanks) into f[0..cap); returns the number of
 * fields, which may be more than cap (the rest are not stored). */
static int split_fields(char *s, char sep, char **f, int cap) {
    int n = 0;
    if (sep) {
        for (;;) {
            char *e = strchr(s, sep);
            if (e) *e = 0;
            if (n < cap) f[n] = trim(s);
            n++;
            if (!e) break;
            s = e + 1;
        }
    } else {
        char *sv = NULL;
        for (char *tok = strtok_r(s, " \t", &sv); tok; tok = strtok_r(NULL, " \t", &sv)) {
            if (n < cap) f[n] = trim(tok);
            n++;
        }
    }
    return n;
}

static int skip_line(const char *s) {
    s += strspn(s, " \t");
    return !*s || *s == '#';
}

/* A relative path under the folder: not absolute, no '..' part, short enough. */
static int bad_path(const char *s) {
    if (!*s || s[0] == '/' || strlen(s) >= GAN_FILE_MAX) return 1;
    for (const char *c = s; c; c = strchr(c, '/'), c = c ? c + 1 : NULL)
        if (!strncmp(c, "..", 2) && (c[2] == '/' || !c[2])) return 1;
    return 0;
}

static int parse_value(const char *s, signed char *v) {
    if (!strcmp(s, "1") || !strcmp(s, "+1")) *v = 1;
    else if (!strcmp(s, "0") || !strcmp(s, "-1")) *v = -1;
    else return -1;
    return 0;
}

static int grow(gan_attr_table *t, size_t *cap) {
    if (t->n_rows < *cap) return 0;
    *cap = *cap ? *cap * 2 : 1024;
    void *nf = realloc(t->files, *cap * sizeof *t->files);
    if (!nf) return -1;
    t->files = nf;
    void *nv = realloc(t->values, *cap * (size_t)t->n_attrs);
    if (!nv) return -1;
    t->values = nv;
    return 0;
}

/* The header's label names: f[first..n). */
static int take_names(char **f, int first, int n, const char *fname, int lineno,
                      gan_attr_table *t, char *err, size_t errlen) {
    t->n_attrs = n - first;
    if (t->n_attrs < 1)
        return gan_errf(err, errlen, "%s:%d: the header names no label columns (expected e.g. "
                        "'file,Cat,Dog')", fname, lineno);
    t->names = malloc((size_t)t->n_attrs * sizeof *t->names);
    if (!t->names) return gan_errf(err, errlen, "%s: out of memory", fname);
    for (int k = 0; k < t->n_attrs; k++) {
        const char *nm = f[first + k];
        if (!*nm || strlen(nm) >= sizeof t->names[0])
            return gan_errf(err, errlen, "%s:%d: column %d: a label name must be 1 to %zu bytes, "
                            "found '%.40s%s'", fname, lineno, first + k + 1,
                            sizeof t->names[0] - 1, nm, strlen(nm) > 40 ? "..." : "");
        for (int j = 0; j < k; j++)
            if (!strcmp(t->names[j], nm))
                return gan_errf(err, errlen, "%s:%d: column '%s' appears twice", fname, lineno,
                                nm);
        strcpy(t->names[k], nm);
    }
    return 0;
}

static int parse_row(char *line, char sep, int want, char **f, const char *fname, int lineno,
                     gan_attr_table *t, char *err, size_t errlen) {
    int n = split_fields(line, sep, f, MAX_COLS);
    if (n != want)
        return gan_errf(err, errlen, "%s:%d: expected %d fields (an image name and %d labels), "
                        "found %d", fname, lineno, want, t->n_attrs, n);
    if (bad_path(f[0]))
        return gan_errf(err, errlen, "%s:%d: bad image name '%.60s' (a path relative to the "
                        "folder, shorter than %d bytes, without '..')", fname, lineno, f[0],
                        GAN_FILE_MAX);
    signed char *row = t->values + t->n_rows * (size_t)t->n_attrs;
    for (int k = 0; k < t->n_attrs; k++)
        if (parse_value(f[k + 1], &row[k]))
            return gan_errf(err, errlen, "%s:%d: value of '%s' is '%.20s', expected 1, 0 or -1",
                            fname, lineno, t->names[k], f[k + 1]);
    strcpy(t->files[t->n_rows++], f[0]);
    return 0;
}

static int parse_owned(char *buf, size_t len, const char *fname, gan_attr_table *t, char *err,
                       size_t errlen) {
    memset(t, 0, sizeof *t);
    char **f = malloc((MAX_COLS + 1) * sizeof *f);
    char *p = buf, *line, *peek = NULL;
    int lineno = 0, rc = -1;
    if (!f) {
        gan_errf(err, errlen, "%s: out of memory", fname);
        goto out;
    }
    if (memchr(buf, 0, len)) {
        gan_errf(err, errlen, "%s: binary data (NUL byte) in a label file", fname);
        goto out;
    }
    while ((line = gan_next_line(&p)) != NULL && (++lineno, skip_line(line))) {}
    if (!line) {
        gan_errf(err, errlen, "%s: empty (expected a header line of column names)", fname);
        goto out;
    }
    char sep = strchr(line, ',') ? ',' : 0;
    int hl = lineno, n = split_fields(line, sep, f, MAX_COLS);
    if (n > MAX_COLS) {
        gan_errf(err, errlen, "%s:%d: more than %d columns", fname, lineno, MAX_COLS);
        goto out;
    }
    /* CelebA's line 2 lists only the labels: then the rows have one field more. */
    int first_n = 0;
    for (const char *q = p; *q && !first_n;) {
        size_t l = strcspn(q, "\n");
        free(peek);
        peek = strndup(q, l);
        if (!peek) break;
        if (l && peek[l - 1] == '\r') peek[l - 1] = 0;
        if (!skip_line(peek)) {
            char **g = malloc((MAX_COLS + 1) * sizeof *g);
            first_n = g ? split_fields(peek, sep, g, MAX_COLS) : 0;
            free(g);
        }
        q += l + (q[l] == '\n');
    }
    int names_from = first_n == n + 1 ? 0 : 1;
    if (take_names(f, names_from, n, fname, hl, t, err, errlen)) goto out;
    int want = t->n_attrs + 1;
    size_t cap = 0;
    while ((line = gan_next_line(&p)) != NULL) {
        lineno++;
        if (skip_line(line)) continue;
        if (grow(t, &cap)) {
            gan_errf(err, errlen, "%s: out of memory", fname);
            goto out;
        }
        if (parse_row(line, sep, want, f, fname, lineno, t, err, errlen)) goto out;
    }
    if (t->n_rows == 0) {
        gan_errf(err, errlen, "%s: no image rows after the header", fname);
        goto out;
    }
    rc = 0;
out:
    free(peek);
    free(f);
    free(buf);
    if (rc) gan_attr_table_free(t);
    return rc;
}

int gan_label_file_parse_mem(const void *data, size_t len, const char *fname,
                             gan_attr_table *t, char *err, size_t errlen) {
    char *buf = malloc(len + 1);
    if (!buf) return gan_errf(err, errlen, "%s: out of memory", fname);
    if (len) memcpy(buf, data, len);
    buf[len] = 0;
    return parse_owned(buf, len, fname, t, err, errlen);
}

int gan_label_file_read(const char *path, gan_attr_table *t, char *err, size_t errlen) {
    uint8_t *buf;
    size_t len;
    memset(t, 0, sizeof *t);
    if (gan_read_file(path, &buf, &len, GAN_LABEL_FILE_MAX, err, errlen)) return -1;
    return parse_owned((char *)buf, len, path, t, err, errlen);
}
