/* Which layout a data folder has, and its table of images and labels (docs/data.md):
 *   1. DIR/img_align_celeba/ (or DIR/list_attr_celeba.txt): CelebA;
 *   2. DIR/labels.csv, labels.tsv or labels.txt: a label file with a header;
 *   3. neither, and the model has one_of labels: class subfolders;
 *   4. neither, and the model has no labels: every image under DIR.
 * A model with multilabel labels needs a label file (1 or 2). */
#include "runtime/data.h"
#include "runtime/data/data_int.h"
#include "common/err.h"
#include "format/model.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const label_files[] = {"labels.csv", "labels.tsv", "labels.txt"};

const char *gan_layout_name(int layout) {
    switch (layout) {
    case GAN_LAYOUT_CELEBA: return "CelebA layout";
    case GAN_LAYOUT_LABEL_FILE: return "images with a label file";
    case GAN_LAYOUT_CLASSES: return "class folders";
    case GAN_LAYOUT_PLAIN: return "a plain folder of images";
    }
    return "?";
}

void gan_dataset_free(gan_dataset *ds) {
    if (!ds) return;
    free(ds->root);
    free(ds->source);
    gan_attr_table_free(&ds->t);
    memset(ds, 0, sizeof *ds);
}

static char *join(const char *a, const char *b) {
    size_t l = strlen(a) + strlen(b) + 2;
    char *s = malloc(l);
    if (s) snprintf(s, l, "%s/%s", a, b);
    return s;
}

/* stat(path): 1 it exists, 0 it does not, -1 another error (errno set). */
static int exists(const char *path, struct stat *st) {
    if (stat(path, st) == 0) return 1;
    return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

/* CelebA: the images folder and list_attr_celeba.txt (which a model without labels may lack:
 * then every image in the folder, sorted). */
static int open_celeba(const char *dir, int label_kind, gan_dataset *ds, char *err,
                       size_t errlen) {
    struct stat st;
    ds->layout = GAN_LAYOUT_CELEBA;
    ds->root = join(dir, "img_align_celeba");
    ds->source = join(dir, "list_attr_celeba.txt");
    if (!ds->root || !ds->source) return gan_errf(err, errlen, "%s: out of memory", dir);
    int e = exists(ds->root, &st);
    if (e < 0) return gan_dir_error(ds->root, errno, err, errlen);
    if (!e || !S_ISDIR(st.st_mode))
        return gan_errf(err, errlen, "%s: missing the img_align_celeba/ folder (CelebA layout: "
                        "DIR/img_align_celeba/*.jpg + DIR/list_attr_celeba.txt)", dir);
    DIR *d = opendir(ds->root); /* stat passes a folder that cannot be listed */
    if (!d) return gan_dir_error(ds->root, errno, err, errlen);
    closedir(d);
    e = exists(ds->source, &st);
    if (e == 0 && label_kind == GAN_LABELS_NONE) {
        if (gan_scan_plain(ds->root, &ds->t, err, errlen)) return -1;
        /* only the folder itself, as before: CelebA has no subfolders */
        size_t k = 0;
        for (size_t r = 0; r < ds->t.n_rows; r++)
            if (!strchr(ds->t.files[r], '/')) memmove(ds->t.files[k++], ds->t.files[r], GAN_FILE_MAX);
        ds->t.n_rows = k;
        return 0;
    }
    /* the message names the path once ("DIR/list_attr_celeba.txt: ..."); the parser's own
       messages name the file alone, so they get the folder in front */
    if (gan_attr_table_read(ds->source, &ds->t, err, errlen)) {
        if (strncmp(err, ds->source, strlen(ds->source))) {
            char tmp[768];
            snprintf(tmp, sizeof tmp, "%s", err);
            gan_errf(err, errlen, "%s/%s", dir, tmp);
        }
        return -1;
    }
    return 0;
}

/* The images a label file names must exist: the first missing one is named with its line. */
static int check_listed(gan_dataset *ds, char *err, size_t errlen) {
    size_t missing = 0, first = 0;
    for (size_t r = 0; r < ds->t.n_rows; r++) {
        char *p = join(ds->root, ds->t.files[r]);
        struct stat st;
        if (!p) return gan_errf(err, errlen, "%s: out of memory", ds->source);
        if (stat(p, &st) != 0 && !missing++) first = r;
        free(p);
    }
    if (!missing) return 0;
    return gan_errf(err, errlen, "%s: %zu of its %zu images are missing, the first '%s' (row "
                    "%zu): image names are relative to %s", ds->source, missing, ds->t.n_rows,
                    ds->t.files[first], first + 1, ds->root);
}

int gan_dataset_open(const char *dir, int label_kind, gan_dataset *ds, char *err, size_t errlen) {
    memset(ds, 0, sizeof *ds);
    struct stat st;
    if (stat(dir, &st) != 0) return gan_dir_error(dir, errno, err, errlen);
    if (!S_ISDIR(st.st_mode)) return gan_errf(err, errlen, "%s: not a data folder (not a folder)", dir);
    DIR *d = opendir(dir);
    if (!d) return gan_dir_error(dir, errno, err, errlen);
    closedir(d);
    int rc;
    char *celeba_img = join(dir, "img_align_celeba"), *celeba_attr = join(dir, "list_attr_celeba.txt");
    if (!celeba_img || !celeba_attr) rc = gan_errf(err, errlen, "%s: out of memory", dir);
    else if (exists(celeba_img, &st) || exists(celeba_attr, &st))
        rc = open_celeba(dir, label_kind, ds, err, errlen);
    else {
        rc = 1;
        for (size_t i = 0; rc == 1 && i < sizeof label_files / sizeof *label_files; i++) {
            char *lf = join(dir, label_files[i]);
            if (!lf) rc = gan_errf(err, errlen, "%s: out of memory", dir);
            else if (exists(lf, &st)) {
                ds->layout = GAN_LAYOUT_LABEL_FILE;
                ds->source = lf, lf = NULL;
                ds->root = strdup(dir);
                rc = !ds->root ? gan_errf(err, errlen, "%s: out of memory", dir)
                     : gan_label_file_read(ds->source, &ds->t, err, errlen) ? -1
                     : check_listed(ds, err, errlen);
            }
            free(lf);
        }
        if (rc == 1 && label_kind == GAN_LABELS_MULTI)
            rc = gan_errf(err, errlen, "%s: no label file for the model's labels (looked for "
                          "img_align_celeba/ + list_attr_celeba.txt, labels.csv, labels.tsv and "
                          "labels.txt; docs/data.md)", dir);
        if (rc == 1) {
            size_t loose = 0;
            ds->layout = label_kind == GAN_LABELS_CATEGORICAL ? GAN_LAYOUT_CLASSES : GAN_LAYOUT_PLAIN;
            ds->root = strdup(dir);
            ds->source = strdup(dir);
            rc = !ds->root || !ds->source ? gan_errf(err, errlen, "%s: out of memory", dir)
                 : ds->layout == GAN_LAYOUT_PLAIN ? gan_scan_plain(dir, &ds->t, err, errlen)
                 : gan_scan_classes(dir, &ds->t, &loose, err, errlen);
            if (!rc && loose)
                fprintf(stderr, "note: %s: %zu images directly in the folder belong to no class "
                        "folder and are left out\n", dir, loose);
            if (!rc && ds->t.n_rows == 0)
                rc = gan_errf(err, errlen, "%s: no images (.jpg, .jpeg or .png) %s", dir,
                              ds->layout == GAN_LAYOUT_PLAIN ? "in it or its subfolders"
                                                             : "in class subfolders (DIR/CLASS/*.jpg)");
        }
    }
    free(celeba_img);
    free(celeba_attr);
    if (rc) gan_dataset_free(ds);
    return rc ? -1 : 0;
}
