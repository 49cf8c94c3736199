/* Finding images in folders: a plain folder searched recursively, and a folder of class
 * subfolders (docs/data.md). Names are relative to the searched folder; hidden entries
 * (a leading '.') are skipped, symbolic links are followed (to a depth of 16 folders), and
 * a file is an image by its extension: .jpg, .jpeg or .png in any case. */
#include "runtime/data.h"
#include "runtime/data/data_int.h"
#include "common/err.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_DEPTH 16

static int is_image_name(const char *n) {
    const char *dot = strrchr(n, '.');
    return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") ||
                   !strcasecmp(dot, ".png"));
}

static int cmp_name(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

int gan_dir_error(const char *dir, int errnum, char *err, size_t errlen) {
    if (errnum == EACCES || errnum == EPERM)
        return gan_errf(err, errlen, "%s: permission denied (the folder cannot be read; check "
                        "its mode and owner)", dir);
    if (errnum == ENOENT) return gan_errf(err, errlen, "%s: no such folder", dir);
    if (errnum == ENOTDIR) return gan_errf(err, errlen, "%s: not a folder", dir);
    return gan_errf(err, errlen, "%s: %s", dir, strerror(errnum));
}

typedef struct {
    const char *root;
    gan_attr_table *t;
    size_t cap;
} scan_ctx;

static int add_file(scan_ctx *s, const char *rel, char *err, size_t errlen) {
    gan_attr_table *t = s->t;
    if (strlen(rel) >= GAN_FILE_MAX)
        return gan_errf(err, errlen, "%s/%s: the name is too long (image names relative to %s "
                        "must be shorter than %d bytes)", s->root, rel, s->root, GAN_FILE_MAX);
    if (t->n_rows == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        void *nf = realloc(t->files, s->cap * sizeof *t->files);
        if (!nf) return gan_errf(err, errlen, "%s: out of memory", s->root);
        t->files = nf;
    }
    strcpy(t->files[t->n_rows++], rel);
    return 0;
}

/* Adds every image under root/rel (rel "" for root itself), sorted, depth first. */
static int scan(scan_ctx *s, const char *rel, int depth, char *err, size_t errlen) {
    size_t pl = strlen(s->root) + strlen(rel) + 2;
    char *path = malloc(pl);
    if (!path) return gan_errf(err, errlen, "%s: out of memory", s->root);
    snprintf(path, pl, "%s%s%s", s->root, *rel ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d) {
        int e = errno;
        gan_dir_error(path, e, err, errlen);
        free(path);
        return -1;
    }
    size_t n = 0, cap = 64;
    char (*names)[256] = malloc(cap * sizeof *names);
    struct dirent *de;
    while (names && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        if (n == cap) {
            void *nn = realloc(names, (cap *= 2) * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        snprintf(names[n++], sizeof names[0], "%s", de->d_name);
    }
    closedir(d);
    int rc = 0;
    if (!names || de) rc = gan_errf(err, errlen, "%s: out of memory", path);
    if (!rc) qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; !rc && i < n; i++) {
        char child[GAN_FILE_MAX + 256], full[4096];
        snprintf(child, sizeof child, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        struct stat st;
        if (stat(full, &st) != 0) continue; /* a dangling link */
        if (S_ISDIR(st.st_mode)) {
            if (depth >= MAX_DEPTH)
                rc = gan_errf(err, errlen, "%s: folders nested more than %d deep (a link "
                              "loop?)", full, MAX_DEPTH);
            else rc = scan(s, child, depth + 1, err, errlen);
        } else if (S_ISREG(st.st_mode) && is_image_name(names[i])) {
            rc = add_file(s, child, err, errlen);
        }
    }
    free(names);
    free(path);
    return rc;
}

int gan_scan_plain(const char *root, gan_attr_table *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    scan_ctx s = {.root = root, .t = t};
    if (scan(&s, "", 0, err, errlen)) {
        gan_attr_table_free(t);
        return -1;
    }
    return 0;
}

/* Class folders: root's subfolders (sorted) are the classes; each is searched recursively.
 * Images directly in root belong to no class and are counted in *loose. */
int gan_scan_classes(const char *root, gan_attr_table *t, size_t *loose, char *err,
                     size_t errlen) {
    gan_attr_table all;
    memset(t, 0, sizeof *t);
    *loose = 0;
    if (gan_scan_plain(root, &all, err, errlen)) return -1;
    /* classes = first path components of the files found, in sorted order */
    t->names = malloc((all.n_rows + 1) * sizeof *t->names);
    if (!t->names) goto oom;
    for (size_t r = 0; r < all.n_rows; r++) {
        const char *sl = strchr(all.files[r], '/');
        if (!sl) {
            (*loose)++;
            continue;
        }
        size_t l = (size_t)(sl - all.files[r]);
        if (l >= sizeof t->names[0]) {
            gan_errf(err, errlen, "%s/%.*s: a class folder name must be shorter than %zu bytes",
                     root, (int)l, all.files[r], sizeof t->names[0]);
            goto fail;
        }
        if (t->n_attrs && !strncmp(t->names[t->n_attrs - 1], all.files[r], l) &&
            !t->names[t->n_attrs - 1][l])
            continue;
        memcpy(t->names[t->n_attrs], all.files[r], l);
        t->names[t->n_attrs++][l] = 0;
    }
    t->files = malloc((all.n_rows + 1) * sizeof *t->files);
    t->values = malloc((all.n_rows + 1) * (size_t)(t->n_attrs ? t->n_attrs : 1));
    if (!t->files || !t->values) goto oom;
    for (size_t r = 0, k = 0; r < all.n_rows; r++) {
        const char *sl = strchr(all.files[r], '/');
        if (!sl) continue;
        size_t l = (size_t)(sl - all.files[r]);
        while (strncmp(t->names[k], all.files[r], l) || t->names[k][l]) k++;
        memcpy(t->files[t->n_rows], all.files[r], GAN_FILE_MAX);
        for (int j = 0; j < t->n_attrs; j++)
            t->values[t->n_rows * (size_t)t->n_attrs + j] = (size_t)j == k ? 1 : -1;
        t->n_rows++;
    }
    gan_attr_table_free(&all);
    return 0;
oom:
    gan_errf(err, errlen, "%s: out of memory", root);
fail:
    gan_attr_table_free(&all);
    gan_attr_table_free(t);
    return -1;
}
