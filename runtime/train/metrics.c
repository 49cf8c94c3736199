/* RUN/metrics.csv: one row per training step, or per program run. Losses are printed with
 * %.9g, enough digits to give back the float32 they were averaged from. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The header a run writes; an existing file must have the same one (a resumed run that
 * switched --metrics-per-program, or another model, would mix two tables). */
static int check_header(FILE *f, const char *path, const char *want, char *err, size_t errlen)
{
    char line[8192];
    rewind(f);
    if (!fgets(line, sizeof line, f) || strcmp(line, want)) {
        snprintf(err, errlen, "%s: its columns are not this run's (another model, or "
                 "--metrics-per-program or --eval-every switched on or off?); first line: %.300s", path,
                 line);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    return 0;
}

static gan_metrics *open_with(const char *path, const char *lead, int n_cols,
                              const char *const *cols, long long resume_step, char *err,
                              size_t errlen)
{
    double last_time = 0;
    struct stat st; /* a device there (a link to /dev/zero) would be read for ever */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: exists and is not a regular file (a device, a FIFO or a "
                 "directory)", path);
        return NULL;
    }
    if (resume_step >= 0 && trim_rows(path, resume_step, &last_time, err, errlen))
        return NULL;
    size_t hl = strlen(lead) + 32;
    for (int i = 0; i < n_cols; i++)
        hl += strlen(cols[i]) + 1;
    char *hdr = malloc(hl);
    if (!hdr) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t at = (size_t)snprintf(hdr, hl, "%s", lead);
    for (int i = 0; i < n_cols; i++)
        at += (size_t)snprintf(hdr + at, hl - at, ",%s", cols[i]);
    snprintf(hdr + at, hl - at, ",images_per_s\n");
    FILE *f = fopen(path, "a+");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        free(hdr);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    int bad = 0;
    if (ftell(f) == 0) {
        if (fputs(hdr, f) == EOF || fflush(f) != 0) {
            snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
            bad = 1;
        }
    } else {
        bad = check_header(f, path, hdr, err, errlen);
    }
    free(hdr);
    gan_metrics *mt = bad ? NULL : calloc(1, sizeof *mt);
    if (!mt) {
        fclose(f);
        if (!bad)
            snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    mt->f = f;
    mt->n_cols = n_cols;
    mt->last_time = last_time > 0 ? last_time : 0;
    return mt;
}

gan_metrics *gan_metrics_open(const char *path, int n_cols, const char *const *cols,
                              long long resume_step, char *err, size_t errlen)
{
    return open_with(path, "step,time_s", n_cols, cols, resume_step, err, errlen);
}

gan_metrics *gan_metrics_open_runs(const char *path, int n_cols, const char *const *cols,
                                   long long resume_step, char *err, size_t errlen)
{
    return open_with(path, "step,run,program,time_s", n_cols, cols, resume_step, err, errlen);
}

int gan_metrics_run_row(gan_metrics *mt, long long step, int run, const char *program,
                        double time_s, int first, int n, const double *vals, double images_per_s)
{
    fprintf(mt->f, "%lld,%d,%s,%.3f", step, run, program, time_s);
    for (int i = 0; i < mt->n_cols; i++)
        if (i >= first && i < first + n)
            fprintf(mt->f, ",%.9g", vals[i - first]);
        else
            fputs(",", mt->f);
    fprintf(mt->f, ",%.1f\n", images_per_s);
    return fflush(mt->f) ? -1 : 0;
}

int gan_metrics_row(gan_metrics *mt, long long step, double time_s, const double *vals,
                    double images_per_s)
{
    fprintf(mt->f, "%lld,%.3f", step, time_s);
    for (int i = 0; i < mt->n_cols; i++) /* NaN: no value this step (an evaluation column) */
        if (isnan(vals[i]))
            fputs(",", mt->f);
        else
            fprintf(mt->f, ",%.9g", vals[i]);
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
