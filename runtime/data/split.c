/* The held-out split: which images of a data folder evaluation keeps away from training.
 * Two rules (docs/evaluation.md): the last N rows of the attribute file, or CelebA's own
 * list_eval_partition.txt (0 train, 1 validation, 2 test; 1 and 2 are held out). The rule is a
 * pure function of the folder's files, so a classifier run, a GAN run and `ganrt eval` that
 * name the same rule hold out the same faces whatever their labels are. */
#include "runtime/data.h"
#include "common/bytes.h"
#include "common/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A file name without its extension: the partition file says .jpg, a converted copy (or the
 * synthetic set) has .png. */
static size_t stem_len(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? (size_t)(dot - name) : strlen(name);
}

typedef struct {
    char name[GAN_FILE_MAX];
    int part;
} part_row;

static int cmp_part(const void *a, const void *b)
{
    const char *x = ((const part_row *)a)->name, *y = ((const part_row *)b)->name;
    size_t lx = stem_len(x), ly = stem_len(y);
    int c = strncmp(x, y, lx < ly ? lx : ly);
    return c ? c : (lx > ly) - (lx < ly);
}

/* Parses "NAME PART" lines (blank lines and CR ignored) into a sorted table. */
static int read_partition(const char *path, part_row **rows, size_t *n, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    if (gan_read_file(path, &buf, &len, (size_t)64 << 20, err, errlen))
        return -1;
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += buf[i] == '\n';
    *rows = malloc(cap * sizeof **rows);
    *n = 0;
    if (!*rows) {
        free(buf);
        return gan_errf(err, errlen, "%s: out of memory", path);
    }
    char *save = NULL;
    int line = 0;
    for (char *ln = strtok_r((char *)buf, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        line++;
        char name[GAN_FILE_MAX + 1];
        int part, used = 0;
        size_t ll = strlen(ln);
        if (ll && ln[ll - 1] == '\r')
            ln[--ll] = 0;
        if (strspn(ln, " \t") == ll)
            continue;
        if (sscanf(ln, "%128s %d %n", name, &part, &used) != 2 || ln[used] || part < 0 ||
            part > 2 || strlen(name) >= GAN_FILE_MAX) {
            free(buf);
            free(*rows);
            *rows = NULL;
            return gan_errf(err, errlen, "%s:%d: expected 'FILE PART' with PART 0, 1 or 2", path,
                            line);
        }
        memcpy((*rows)[*n].name, name, strlen(name) + 1);
        (*rows)[(*n)++].part = part;
    }
    free(buf);
    qsort(*rows, *n, sizeof **rows, cmp_part);
    return 0;
}

static int mark_partition(const char *ppath, const char (*files)[GAN_FILE_MAX], size_t n,
                          unsigned char *heldout, gan_split_info *info, char *err, size_t errlen)
{
    part_row *rows;
    size_t nr;
    if (read_partition(ppath, &rows, &nr, err, errlen))
        return -1;
    for (size_t i = 0; i < n; i++) {
        part_row key;
        memcpy(key.name, files[i], GAN_FILE_MAX);
        const part_row *hit = bsearch(&key, rows, nr, sizeof *rows, cmp_part);
        if (!hit)
            info->n_unlisted++; /* kept for training: only named faces are held out */
        heldout[i] = hit && hit->part != 0;
    }
    free(rows);
    return 0;
}

int gan_split_mark(const char *dir, const char (*files)[GAN_FILE_MAX], size_t n, long long holdout,
                   unsigned char *heldout, gan_split_info *info, char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    memset(heldout, 0, n);
    info->n_rows = n;
    if (holdout > 0) {
        if ((unsigned long long)holdout >= n)
            return gan_errf(err, errlen, "%s: --holdout %lld leaves no training images (the set "
                            "has %zu)", dir, holdout, n);
        info->rule = GAN_SPLIT_LAST_N;
        info->holdout = holdout;
        for (size_t i = n - (size_t)holdout; i < n; i++)
            heldout[i] = 1;
    } else if (holdout == 0) {
        size_t plen = strlen(dir) + 32;
        char *ppath = malloc(plen);
        if (!ppath)
            return gan_errf(err, errlen, "%s: out of memory", dir);
        snprintf(ppath, plen, "%s/list_eval_partition.txt", dir);
        struct stat st;
        int rc = 0;
        if (stat(ppath, &st) == 0) {
            info->rule = GAN_SPLIT_PARTITION;
            rc = mark_partition(ppath, files, n, heldout, info, err, errlen);
        }
        free(ppath);
        if (rc)
            return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (heldout[i]) {
            if (!info->n_heldout++)
                memcpy(info->first, files[i], GAN_FILE_MAX);
            memcpy(info->last, files[i], GAN_FILE_MAX);
        }
    return 0;
}

static const char *rule_word(int rule)
{
    return rule == GAN_SPLIT_LAST_N ? "last_n" : rule == GAN_SPLIT_PARTITION ? "partition" : "none";
}

int gan_split_write(const char *path, const gan_split_info *in, char *err, size_t errlen)
{
    char text[1024];
    int k = snprintf(text, sizeof text,
                     "# the images this run held out (docs/evaluation.md)\n"
                     "rule %s\nholdout %lld\nimages %zu\ntrain %zu\nheldout %zu\n",
                     rule_word(in->rule), in->rule == GAN_SPLIT_LAST_N ? in->holdout : 0,
                     in->n_rows, in->n_rows - in->n_heldout, in->n_heldout);
    if (in->n_heldout)
        k += snprintf(text + k, sizeof text - (size_t)k, "first_heldout %s\nlast_heldout %s\n",
                      in->first, in->last);
    if (in->n_unlisted)
        snprintf(text + k, sizeof text - (size_t)k, "unlisted_in_partition %zu\n",
                 in->n_unlisted);
    return gan_write_file_atomic(path, text, strlen(text), err, errlen);
}

int gan_split_read(const char *path, long long *holdout, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    if (gan_read_file(path, &buf, &len, 1 << 20, err, errlen))
        return -1;
    char rule[32] = "";
    long long n = 0;
    for (char *ln = (char *)buf; ln && *ln; ln = strchr(ln, '\n'), ln = ln ? ln + 1 : NULL) {
        if (!strncmp(ln, "rule ", 5))
            sscanf(ln + 5, "%31s", rule);
        else if (!strncmp(ln, "holdout ", 8))
            sscanf(ln + 8, "%lld", &n);
    }
    free(buf);
    if (!strcmp(rule, "last_n") && n > 0)
        *holdout = n;
    else if (!strcmp(rule, "partition"))
        *holdout = 0;
    else if (!strcmp(rule, "none"))
        *holdout = -1;
    else
        return gan_errf(err, errlen, "%s: no 'rule last_n|partition|none' line (a split.txt "
                        "written by ganrt train?)", path);
    return 0;
}
