/* RUN/metrics.csv: one row per training step. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/bytes.h"
#include "runtime/train.h"

struct gan_metrics {
    FILE *f;
    int n_cols;
    double last_time; /* time_s of the last row kept (a resumed run continues the clock) */
};

/* Keeps the header and the rows with step <= keep_step (a resumed run re-does the steps after
 * its checkpoint; their old rows would be duplicates). */
static int trim_rows(const char *path, long long keep_step, double *last_time, char *err,
                     size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap), line[8192];
    int first = 1;
    if (!out) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        int keep = first;
        if (!first) {
            char *end;
            long long s = strtoll(line, &end, 10);
            keep = end != line && *end == ',' && s <= keep_step;
            if (keep)
                *last_time = strtod(end + 1, NULL);
        }
        first = 0;
        if (!keep)
            continue;
        size_t n = strlen(line);
        if (len + n + 1 > cap) {
            char *nb = realloc(out, cap * 2 + n);
            if (!nb) {
                free(out);
                fclose(f);
                snprintf(err, errlen, "%s: out of memory", path);
                return -1;
            }
            out = nb;
            cap = cap * 2 + n;
        }
        memcpy(out + len, line, n);
        len += n;
    }
    fclose(f);
    int r = gan_write_file_atomic(path, out, len, err, errlen);
    free(out);
    return r;
}

gan_metrics *gan_metrics_open(const char *path, int n_cols, const char *const *cols,
                              long long resume_step, char *err, size_t errlen)
{
    double last_time = 0;
    if (resume_step >= 0 && trim_rows(path, resume_step, &last_time, err, errlen))
        return NULL;
    FILE *f = fopen(path, "a+");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    if (ftell(f) == 0) {
        fprintf(f, "step,time_s");
        for (int i = 0; i < n_cols; i++)
            fprintf(f, ",%s", cols[i]);
        fprintf(f, ",images_per_s\n");
        fflush(f);
    }
    gan_metrics *mt = calloc(1, sizeof *mt);
    if (!mt) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    mt->f = f;
    mt->n_cols = n_cols;
    mt->last_time = last_time > 0 ? last_time : 0;
    return mt;
}

int gan_metrics_row(gan_metrics *mt, long long step, double time_s, const double *vals,
                    double images_per_s)
{
    fprintf(mt->f, "%lld,%.3f", step, time_s);
    for (int i = 0; i < mt->n_cols; i++)
        fprintf(mt->f, ",%.6g", vals[i]);
    fprintf(mt->f, ",%.1f\n", images_per_s);
    /* flushed every row: a crash must not lose what the checkpoint already covers */
    return fflush(mt->f) ? -1 : 0;
}

double gan_metrics_last_time(const gan_metrics *mt) { return mt->last_time; }

void gan_metrics_close(gan_metrics *mt)
{
    if (!mt)
        return;
    fclose(mt->f);
    free(mt);
}
