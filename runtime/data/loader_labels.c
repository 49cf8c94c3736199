/* The loader's rows: the images of the wanted part with the model's labels picked by name from
 * the data set's table (docs/data.md, "Labels"). Names resolve against the label file's header
 * (or the class folders); a missing name is an error naming the file and its columns. */
#include "runtime/data.h"
#include "runtime/data/data_int.h"
#include "common/err.h"
#include "format/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "'A', 'B', 'C'" (cut after about 400 bytes), for messages. */
static void list_names(const gan_attr_table *t, char *out, size_t cap) {
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < t->n_attrs && k + 8 < cap; i++) {
        if (k > 400) {
            snprintf(out + k, cap - k, ", ... (%d in all)", t->n_attrs);
            return;
        }
        k += (size_t)snprintf(out + k, cap - k, "%s'%s'", i ? ", " : "", t->names[i]);
    }
}

static int find_columns(const gan_loader_opts *o, const gan_dataset *ds, int nl, int *col,
                        char *err, size_t errlen) {
    const gan_attr_table *t = &ds->t;
    const char **cands = malloc((size_t)(t->n_attrs + 1) * sizeof *cands);
    if (!cands) return gan_errf(err, errlen, "data loader: out of memory");
    for (int i = 0; i < t->n_attrs; i++) cands[i] = t->names[i];
    int rc = 0;
    for (int k = 0; k < nl && !rc; k++) {
        col[k] = gan_attr_find(t, o->label_names[k]);
        if (col[k] >= 0) continue;
        const char *near = gan_closest_name(o->label_names[k], cands, t->n_attrs);
        const char *what = ds->layout == GAN_LAYOUT_CLASSES ? "class folder" : "attribute";
        if (near) {
            rc = gan_errf(err, errlen, "%s: no %s '%s'; did you mean '%s'?", ds->source, what,
                          o->label_names[k], near);
        } else {
            char names[512];
            list_names(t, names, sizeof names);
            rc = gan_errf(err, errlen, "%s: no %s '%s' (%s: %s)", ds->source, what,
                          o->label_names[k], ds->layout == GAN_LAYOUT_CLASSES ? "the folders are"
                          : "the columns are", names);
        }
    }
    free(cands);
    return rc;
}

/* A label the model asks for that is the same in every kept image teaches nothing: say so. */
static void warn_constant(const gan_loader_opts *o, const gan_dataset *ds, const gan_picked *p,
                          int nl) {
    if (p->n < 2) return;
    for (int k = 0; k < nl; k++) {
        size_t ones = 0;
        for (size_t i = 0; i < p->n; i++) ones += p->labels[i * (size_t)nl + k] > 0.5f;
        if (ones == 0 || ones == p->n)
            fprintf(stderr, "warning: %s: label '%s' is %d in all %zu images used; the model "
                    "cannot learn it from this data\n", ds->source, o->label_names[k],
                    ones ? 1 : 0, p->n);
    }
}

int gan_pick_rows(const gan_loader_opts *o, int nl, const gan_dataset *ds,
                  const unsigned char *keep, gan_picked *p, char *err, size_t errlen) {
    const gan_attr_table *t = &ds->t;
    memset(p, 0, sizeof *p);
    int *col = calloc(nl > 0 ? (size_t)nl : 1, sizeof(int));
    if (!col) return gan_errf(err, errlen, "data loader: out of memory");
    if (find_columns(o, ds, nl, col, err, errlen)) {
        free(col);
        return -1;
    }
    size_t want = t->n_rows ? t->n_rows : 1;
    p->files = malloc(want * sizeof *p->files);
    p->labels = malloc(want * (size_t)(nl > 0 ? nl : 1) * sizeof(float));
    if (!p->files || !p->labels) {
        free(col);
        return gan_errf(err, errlen, "data loader: out of memory");
    }
    for (size_t r = 0; r < t->n_rows; r++) {
        if (o->limit > 0 && p->n >= (size_t)o->limit) break;
        if (keep && !keep[r]) continue;
        p->examined++;
        const signed char *v = t->values + r * (size_t)t->n_attrs;
        float *lab = p->labels + p->n * (size_t)nl;
        if (o->label_kind == GAN_LABELS_CATEGORICAL) {
            int cls = -1;
            for (int k = 0; k < nl && cls < 0; k++)
                if (v[col[k]] == 1) cls = k;
            if (cls < 0) {
                p->excluded++;
                continue;
            }
            for (int k = 0; k < nl; k++) lab[k] = k == cls ? 1.0f : 0.0f;
        } else {
            for (int k = 0; k < nl; k++) lab[k] = v[col[k]] == 1 ? 1.0f : 0.0f;
        }
        memcpy(p->files[p->n], t->files[r], GAN_FILE_MAX);
        p->n++;
    }
    free(col);
    if (p->excluded)
        fprintf(stderr, "note: %zu of %zu images have none of the %d class attributes and are "
                "left out (categorical labels)\n", p->excluded, p->examined, nl);
    warn_constant(o, ds, p, nl);
    return 0;
}
