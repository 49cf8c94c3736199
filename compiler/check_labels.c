/* The names in `labels [..]` (docs/language.md, "Labels"). A label is any name: CelebA's 40
 * attributes, a class folder, a column of a label file; the runtime resolves it against the
 * data at train time. What the compiler checks:
 *   - length: a name must fit model.bin's GAN_NAME_MAX (63 bytes);
 *   - duplicates;
 *   - CelebA spelling: in a model that names at least one CelebA attribute exactly (a
 *     CelebA model), an unknown name close to a CelebA one is an error with a did-you-mean,
 *     as before; in any other model such a name only gets a warning (it may well be the
 *     user's own column), and names far from every CelebA one are accepted silently. */
#include "compiler/check_internal.h"

#include <string.h>
#include "common/names.h"

/* Edit distance up to which a custom name draws a warning in a model that is not CelebA's. */
#define NEAR_WARN 2

void ck_label_names(ck *c, ast_list *names)
{
    int celeba_like = 0;
    for (int k = 0; k < names->n; k++)
        celeba_like |= fe_name_index(((ast_expr *)names->v[k])->name, gan_celeba_attr_names,
                                     GAN_CELEBA_N_ATTRS) >= 0;
    int n = 0, bad = 0;
    for (int k = 0; k < names->n; k++) {
        ast_expr *e = names->v[k];
        size_t len = strlen(e->name);
        if (len >= GAN_NAME_MAX) {
            fe_error(c->d, e->loc, "label name is %zu bytes long; at most %d fit model.bin",
                     len, GAN_NAME_MAX - 1);
            bad = 1;
            continue;
        }
        int found = fe_name_index(e->name, gan_celeba_attr_names, GAN_CELEBA_N_ATTRS);
        const char *near = found < 0 ? gan_closest_name(e->name, gan_celeba_attr_names,
                                                        GAN_CELEBA_N_ATTRS) : NULL;
        if (near && celeba_like) {
            fe_error_unknown(c->d, e->loc, "unknown CelebA attribute", e->name,
                             gan_celeba_attr_names, GAN_CELEBA_N_ATTRS, "");
            bad = 1;
            continue;
        }
        if (near && gan_edit_distance(e->name, near) <= NEAR_WARN && len >= 4)
            fe_warning(c->d, e->loc, "'%s' is not a CelebA attribute; did you mean '%s'? (kept as "
                       "a label of your own, looked up in the data's label file at train time)",
                       e->name, near);
        int dup = 0;
        for (int j = 0; j < n; j++)
            if (!strcmp(c->labels[j], e->name))
                dup = 1;
        if (dup) {
            fe_error(c->d, e->loc, "attribute '%s' is listed twice", e->name);
            bad = 1;
            continue;
        }
        if (n < CK_MAX_LABELS)
            c->labels[n++] = found >= 0 ? gan_celeba_attr_names[found] : e->name;
        else {
            fe_error(c->d, e->loc, "more than %d labels", CK_MAX_LABELS);
            bad = 1;
        }
    }
    if (!bad)
        c->n_labels = n;
}
