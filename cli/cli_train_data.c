/* RUN/data.txt: the identity of the data set a run trains on, so that `--resume` with another
 * `--data` is refused instead of silently continuing at a data position that means nothing
 * there. The identity is the number of images the loader found and the CRC-32 of the label
 * file (list_attr_celeba.txt; "none" when the folder has none); the folder's path is recorded
 * for the message only (a data set may move). Runs started before this file existed resume as
 * before (nothing to compare) and get the file then. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/bytes.h"
#include "common/err.h"

#define LABELS_MAX ((size_t)1 << 30)

static int identity(const char *data_dir, size_t n_images, char *line, size_t len, char *err,
                    size_t errlen)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/list_attr_celeba.txt", data_dir);
    uint8_t *b;
    size_t n;
    int rc = gan_read_file(p, &b, &n, LABELS_MAX, err, errlen);
    if (rc == GAN_READ_EOPEN) {
        snprintf(line, len, "images %zu\nlabels none\n", n_images);
        return 0;
    }
    if (rc)
        return -1;
    snprintf(line, len, "images %zu\nlabels_crc32 %08x (%zu bytes)\n", n_images,
             (unsigned)gan_crc32(b, n), n);
    free(b);
    return 0;
}

/* The identity lines of text (from "images"), without the path comment. */
static const char *body(const char *text)
{
    const char *s = strstr(text, "images ");
    return s ? s : text;
}

/* "a\nb\n" as "a, b" */
static void one_line(char *dst, size_t cap, const char *src)
{
    size_t k = 0;
    for (const char *c = src; *c && k + 3 < cap; c++) {
        if (*c != '\n')
            dst[k++] = *c;
        else if (c[1])
            dst[k++] = ',', dst[k++] = ' ';
    }
    dst[k] = 0;
}

int cli_train_data_identity(const char *run, const char *data_dir, size_t n_images, int resume,
                            char *err, size_t errlen)
{
    char path[4200], now[256], text[4800];
    snprintf(path, sizeof path, "%s/data.txt", run);
    if (identity(data_dir, n_images, now, sizeof now, err, errlen))
        return -1;
    uint8_t *old;
    size_t n;
    if (resume && gan_read_file(path, &old, &n, 1 << 16, NULL, 0) == 0) {
        int same = !strcmp(body((const char *)old), now);
        if (!same) {
            char was[512], is[512];
            one_line(was, sizeof was, body((const char *)old));
            one_line(is, sizeof is, now);
            gan_errf(err, errlen, "--resume: --data %s is not the data set this run was trained "
                     "on (%s: %s; %s now has: %s). Resume with the run's own data, or start a new "
                     "run from these weights with --init %s", data_dir, path, was, data_dir, is,
                     run);
        }
        free(old);
        return same ? 0 : -1;
    }
    snprintf(text, sizeof text, "# the data set of this run (--resume checks it)\n# data %s\n%s",
             data_dir, now);
    return gan_write_file_atomic(path, text, strlen(text), err, errlen);
}
