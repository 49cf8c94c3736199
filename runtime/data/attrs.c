/* list_attr_celeba.txt parser and the "did you mean" helper.
 * Format: line 1 the row count, line 2 the attribute names, then one row per image:
 * file name + one value (1 or -1) per attribute, separated by one or more blanks; LF or CRLF.
 */
#include "runtime/data.h"
#include "runtime/data/data_int.h"
#include "common/bytes.h"
#include "common/err.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The whole file, NUL-terminated; a file that cannot be opened is reported as "PATH: REASON". */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen) {
    uint8_t *buf;
    /* bounded: a label file that is a device or a runaway file must not eat the memory */
    int rc = gan_read_file(path, &buf, len, GAN_LABEL_FILE_MAX, err, errlen);
    if (rc == GAN_READ_EOPEN) gan_errf(err, errlen, "%s: %s", path, strerror(errno));
    return rc ? NULL : (char *)buf;
}

/* Splits the next line off *p (LF or CRLF, a lone CR counts as blank); returns NULL at end. */
char *gan_next_line(char **p) {
    char *s = *p;
    if (!s || !*s) return NULL;
    char *e = strchr(s, '\n');
    if (e) { *e = 0; *p = e + 1; }
    else *p = s + strlen(s);
    size_t l = strlen(s);
    while (l && (s[l - 1] == '\r')) s[--l] = 0;
    return s;
}

static const char *base_name(const char *path) {
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

void gan_attr_table_free(gan_attr_table *t) {
    if (!t) return;
    free(t->names);
    free(t->files);
    free(t->values);
    memset(t, 0, sizeof *t);
}

/* The parser proper, on a NUL-terminated buffer it owns (and frees). */
static int parse_owned(char *buf, size_t len, const char *fname, gan_attr_table *t, char *err,
                       size_t errlen) {
    if (memchr(buf, 0, len)) {
        gan_errf(err, errlen, "%s: binary data (NUL byte) in an attribute file", fname);
        free(buf);
        return -1;
    }
    char *p = buf, *line, *sv = NULL;
    int lineno = 1;
    long declared = -1;
    /* line 1: count */
    line = gan_next_line(&p);
    if (!line) {
        gan_errf(err, errlen, "%s:1: empty file (expected the image count)", fname);
        goto fail;
    }
    {
        char *end;
        errno = 0;
        declared = strtol(line, &end, 10);
        while (*end == ' ' || *end == '\t') end++;
        if (end == line || *end || errno || declared < 0) {
            gan_errf(err, errlen, "%s:1: expected the image count, found '%.40s'", fname, line);
            goto fail;
        }
    }
    /* line 2: names */
    lineno = 2;
    line = gan_next_line(&p);
    if (!line) {
        gan_errf(err, errlen, "%s:2: missing the attribute-name line", fname);
        goto fail;
    }
    {
        int cap = 64;
        t->names = malloc((size_t)cap * sizeof *t->names);
        if (!t->names) goto oom;
        for (char *tok = strtok_r(line, " \t", &sv); tok; tok = strtok_r(NULL, " \t", &sv)) {
            if (strlen(tok) >= 64) {
                gan_errf(err, errlen, "%s:2: attribute name too long: '%.40s...'", fname, tok);
                goto fail;
            }
            if (t->n_attrs == cap) {
                cap *= 2;
                void *nn = realloc(t->names, (size_t)cap * sizeof *t->names);
                if (!nn) goto oom;
                t->names = nn;
            }
            for (int i = 0; i < t->n_attrs; i++)
                if (!strcmp(t->names[i], tok)) {
                    gan_errf(err, errlen, "%s:2: attribute '%s' appears twice", fname, tok);
                    goto fail;
                }
            strcpy(t->names[t->n_attrs++], tok);
        }
        if (t->n_attrs == 0) {
            gan_errf(err, errlen, "%s:2: no attribute names", fname);
            goto fail;
        }
    }
    /* rows */
    {
        size_t cap = declared > 0 && declared < 10000000 ? (size_t)declared : 1024;
        t->files = malloc(cap * sizeof *t->files);
        t->values = malloc(cap * (size_t)t->n_attrs);
        if (!t->files || !t->values) goto oom;
        while ((line = gan_next_line(&p)) != NULL) {
            lineno++;
            char *tok = strtok_r(line, " \t", &sv);
            if (!tok) continue; /* blank lines (e.g. a trailing one) are harmless */
            if (strlen(tok) >= GAN_FILE_MAX || strchr(tok, '/') || !strcmp(tok, "..")) {
                gan_errf(err, errlen, "%s:%d: bad image file name '%.40s'", fname, lineno, tok);
                goto fail;
            }
            if (t->n_rows == cap) {
                cap *= 2;
                void *nf = realloc(t->files, cap * sizeof *t->files);
                if (!nf) goto oom;
                t->files = nf;
                void *nv = realloc(t->values, cap * (size_t)t->n_attrs);
                if (!nv) goto oom;
                t->values = nv;
            }
            strcpy(t->files[t->n_rows], tok);
            signed char *row = t->values + t->n_rows * (size_t)t->n_attrs;
            int nv = 0;
            while ((tok = strtok_r(NULL, " \t", &sv)) != NULL) {
                if (nv < t->n_attrs) {
                    if (!strcmp(tok, "1") || !strcmp(tok, "+1")) row[nv] = 1;
                    else if (!strcmp(tok, "-1")) row[nv] = -1;
                    else {
                        gan_errf(err, errlen, "%s:%d: value %d ('%s') is '%.20s', expected 1 or -1",
                                 fname, lineno, nv + 1, t->names[nv], tok);
                        goto fail;
                    }
                }
                nv++;
            }
            if (nv != t->n_attrs) {
                gan_errf(err, errlen, "%s:%d: expected %d values, found %d", fname, lineno,
                         t->n_attrs, nv);
                goto fail;
            }
            t->n_rows++;
        }
    }
    if ((size_t)declared != t->n_rows) {
        gan_errf(err, errlen, "%s:1: declares %ld images but the file has %zu rows", fname,
                 declared, t->n_rows);
        goto fail;
    }
    free(buf);
    return 0;
oom:
    gan_errf(err, errlen, "%s: out of memory", fname);
fail:
    free(buf);
    gan_attr_table_free(t);
    return -1;
}

int gan_attr_table_read(const char *path, gan_attr_table *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    size_t len;
    char *buf = slurp(path, &len, err, errlen);
    if (!buf) return -1;
    return parse_owned(buf, len, base_name(path), t, err, errlen);
}

int gan_attr_table_parse_mem(const void *data, size_t len, const char *fname, gan_attr_table *t,
                             char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    char *buf = malloc(len + 1);
    if (!buf) return gan_errf(err, errlen, "%s: out of memory", fname);
    if (len) memcpy(buf, data, len);
    buf[len] = 0;
    return parse_owned(buf, len, fname, t, err, errlen);
}

int gan_attr_find(const gan_attr_table *t, const char *name) {
    for (int i = 0; i < t->n_attrs; i++)
        if (!strcmp(t->names[i], name)) return i;
    return -1;
}
