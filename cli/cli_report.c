/* RUN/report.html: a run's record for a browser, rewritten at every checkpoint. One static file,
 * no server, no script or style from elsewhere: the loss curves are inline SVG drawn here from
 * RUN/metrics.csv, the sample grids are the run's own PNGs (linked relatively, so the page
 * moves with its run directory), and a few lines of script drive the step slider and check
 * the page itself (data-ready, data-plotted, data-js-error on <body>, read by the test). */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include "cli/cli.h"
#include "common/bytes.h"
#include "common/err.h"
#include "common/version.h"

#define MAX_COLS 64
#define MAX_POINTS 4000 /* per curve; longer runs are thinned evenly */

static void esc(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

typedef struct {
    int n_cols, n_rows, step_col;
    char names[MAX_COLS][96];
    double *v; /* n_rows x n_cols, NAN where a row has no value */
} table;

/* metrics.csv into t: 0, or -1 when absent or unreadable (the page then says so). */
static int read_metrics(const char *path, table *t)
{
    memset(t, 0, sizeof *t);
    t->step_col = -1;
    uint8_t *buf;
    size_t len;
    if (gan_read_file(path, &buf, &len, (size_t)1 << 30, NULL, 0))
        return -1;
    char *save = NULL, *line = strtok_r((char *)buf, "\n", &save);
    for (char *c = line, *e; c && t->n_cols < MAX_COLS; c = e ? e + 1 : NULL) {
        e = strchr(c, ',');
        snprintf(t->names[t->n_cols], sizeof t->names[0], "%.*s", (int)(e ? e - c : (long)strlen(c)), c);
        if (!strcmp(t->names[t->n_cols], "step"))
            t->step_col = t->n_cols;
        t->n_cols++;
    }
    size_t cap = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        if ((size_t)t->n_rows == cap) {
            cap = cap ? cap * 2 : 256;
            double *nv = realloc(t->v, cap * (size_t)t->n_cols * sizeof *nv);
            if (!nv)
                break;
            t->v = nv;
        }
        double *row = t->v + (size_t)t->n_rows * t->n_cols;
        const char *c = line;
        for (int k = 0; k < t->n_cols; k++) {
            char *end;
            double x = c ? strtod(c, &end) : NAN;
            row[k] = c && end != c && (*end == ',' || *end == 0) ? x : NAN;
            c = c ? strchr(c, ',') : NULL;
            c = c ? c + 1 : NULL;
        }
        t->n_rows++;
    }
    free(buf);
    return t->step_col < 0 ? -1 : 0;
}

/* One curve of column k against the step, with its range written on the axes. */
static void chart(FILE *f, const table *t, int k)
{
    const double W = 420, H = 170, L = 56, B = 22, T = 8, R = 8;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    int n = 0;
    for (int r = 0; r < t->n_rows; r++) {
        double x = t->v[(size_t)r * t->n_cols + t->step_col], y = t->v[(size_t)r * t->n_cols + k];
        if (!isfinite(x) || !isfinite(y))
            continue;
        x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
        n++;
    }
    int stride = n > MAX_POINTS ? (n + MAX_POINTS - 1) / MAX_POINTS : 1, drawn = 0;
    if (x1 <= x0)
        x1 = x0 + 1;
    if (y1 <= y0)
        y1 = y0 + 1e-9 + fabs(y0) * 1e-6;
    fprintf(f, "<figure><figcaption>");
    esc(f, t->names[k]);
    fprintf(f, "</figcaption>\n<svg class=\"chart\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g "
            "%g\" role=\"img\" data-rows=\"%d\">", W, H, W, H, n);
    fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" class=\"frame\"/>", L, T,
            W - L - R, H - T - B);
    fprintf(f, "<text x=\"%g\" y=\"%g\" class=\"tick\" text-anchor=\"end\">%.4g</text>", L - 4,
            T + 10, y1);
    fprintf(f, "<text x=\"%g\" y=\"%g\" class=\"tick\" text-anchor=\"end\">%.4g</text>", L - 4,
            H - B, y0);
    fprintf(f, "<text x=\"%g\" y=\"%g\" class=\"tick\">%.0f</text>", L, H - 6, x0);
    fprintf(f, "<text x=\"%g\" y=\"%g\" class=\"tick\" text-anchor=\"end\">step %.0f</text>",
            W - R, H - 6, x1);
    fprintf(f, "<polyline points=\"");
    int seen = 0;
    for (int r = 0; r < t->n_rows; r++) {
        double x = t->v[(size_t)r * t->n_cols + t->step_col], y = t->v[(size_t)r * t->n_cols + k];
        if (!isfinite(x) || !isfinite(y) || seen++ % stride)
            continue;
        fprintf(f, "%.1f,%.1f ", L + (x - x0) / (x1 - x0) * (W - L - R),
                H - B - (y - y0) / (y1 - y0) * (H - T - B));
        drawn++;
    }
    fprintf(f, "\" data-points=\"%d\"/></svg></figure>\n", drawn);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The grids RUN/samples/step_NNNNNN.png in step order, as a script array; their count. */
static int sample_list(FILE *f, const char *run_dir)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/samples", run_dir);
    DIR *d = opendir(dir);
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (strncmp(de->d_name, "step_", 5) || l < 9 || strcmp(de->d_name + l - 4, ".png") ||
            strspn(de->d_name + 5, "0123456789") != l - 9)
            continue;
        if (n == cap) {
            char **nn = realloc(names, (size_t)(cap = cap ? cap * 2 : 64) * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name)))
            break;
        n++;
    }
    if (d)
        closedir(d);
    if (n > 1)
        qsort(names, (size_t)n, sizeof *names, by_name);
    fputs("var grids = [", f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s\"%s\"", i ? "," : "", names[i]);
        free(names[i]);
    }
    fputs("];\n", f);
    free(names);
    return n;
}

static void machine(FILE *f)
{
    char model[256] = "unknown CPU", line[512];
    FILE *c = fopen("/proc/cpuinfo", "r");
    while (c && fgets(line, sizeof line, c))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = 0;
            break;
        }
    if (c)
        fclose(c);
    long mem_kib = 0;
    FILE *m = fopen("/proc/meminfo", "r");
    while (m && fgets(line, sizeof line, m))
        if (sscanf(line, "MemTotal: %ld kB", &mem_kib) == 1)
            break;
    if (m)
        fclose(m);
    struct utsname u;
    fprintf(f, "<dt>machine</dt><dd>");
    esc(f, model);
    fprintf(f, ", %d online CPUs, %.1f GiB", cli_cpu_count(), mem_kib / 1048576.0);
    if (uname(&u) == 0) {
        fprintf(f, "; ");
        esc(f, u.sysname);
        fputc(' ', f);
        esc(f, u.release);
        fputc(' ', f);
        esc(f, u.machine);
    }
    fprintf(f, "</dd>\n");
}

static const char style[] =
    "body{font:14px/1.4 sans-serif;margin:1.5em auto;max-width:70em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}"
    "figure{display:inline-block;margin:.4em}figcaption{font:12px monospace}"
    ".chart .frame{fill:#fafafa;stroke:#bbb}.chart polyline{fill:none;stroke:#1f5fa8;"
    "stroke-width:1.2}.chart .tick{font:10px monospace;fill:#555}"
    "pre{background:#f5f5f5;padding:.6em;overflow:auto;font-size:12px}"
    "dt{font-weight:bold}dd{margin:0 0 .4em 1.2em;font-family:monospace}"
    "#grid{image-rendering:pixelated;min-width:24em;max-width:100%;border:1px solid #ccc}";

static const char script[] =
    "window.onerror=function(m){document.body.setAttribute('data-js-error',String(m));};\n"
    "var img=document.getElementById('grid'),lab=document.getElementById('gridstep'),"
    "sl=document.getElementById('slider');\n"
    "function show(i){if(!grids.length)return;img.src='samples/'+grids[i];"
    "lab.textContent=grids[i].replace(/^step_0*(\\d+)\\.png$/,'step $1');}\n"
    "if(sl){sl.max=Math.max(grids.length-1,0);sl.value=sl.max;"
    "sl.oninput=function(){show(+sl.value);};show(grids.length-1);}\n"
    "var n=0;document.querySelectorAll('svg.chart polyline').forEach(function(p){"
    "n+=p.points.numberOfItems;});\n"
    "document.body.setAttribute('data-plotted',String(n));"
    "document.body.setAttribute('data-grids',String(grids.length));"
    "document.body.setAttribute('data-ready','1');\n";

static void page(FILE *f, const gan_model *m, const char *model_path, const char *run_dir,
                 int argc, char **argv)
{
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>ganrt run ");
    esc(f, run_dir);
    fprintf(f, "</title><style>%s</style></head>\n<body>\n<h1>ganrt run ", style);
    esc(f, run_dir);
    fprintf(f, "</h1>\n<dl>\n<dt>written</dt><dd>%s by ganrt %s</dd>\n<dt>command</dt><dd>ganrt ",
            when, GAN_VERSION);
    for (int i = 0; i < argc; i++) {
        esc(f, argv[i]);
        fputc(' ', f);
    }
    fprintf(f, "</dd>\n<dt>model</dt><dd>");
    esc(f, model_path);
    fprintf(f, "</dd>\n");
    machine(f);
    fprintf(f, "</dl>\n<h2>Losses and throughput (metrics.csv)</h2>\n");
    char path[4400];
    snprintf(path, sizeof path, "%s/metrics.csv", run_dir);
    table t;
    if (read_metrics(path, &t))
        fprintf(f, "<p>No metrics yet.</p>\n");
    for (int k = 0; k < t.n_cols; k++)
        if (k != t.step_col && strcmp(t.names[k], "time_s") && strcmp(t.names[k], "run"))
            chart(f, &t, k);
    fprintf(f, "<p>%d rows.</p>\n", t.n_rows);
    free(t.v);
    fprintf(f, "<h2>Samples</h2>\n<p>The same z and labels at every step: a labelled model's "
            "rows switch one attribute on and off.</p>\n<p><input type=\"range\" id=\"slider\" "
            "min=\"0\" max=\"0\" step=\"1\"> <span id=\"gridstep\">no grid yet</span></p>\n"
            "<img id=\"grid\" alt=\"sample grid\">\n<h2>Model</h2>\n<pre>");
    char *info = NULL;
    size_t ilen = 0;
    FILE *mf = open_memstream(&info, &ilen);
    if (mf) {
        cli_info_print(m, model_path, mf);
        fclose(mf);
        esc(f, info);
    }
    free(info);
    fprintf(f, "</pre>\n<script>\n");
    sample_list(f, run_dir);
    fprintf(f, "%s</script>\n</body></html>\n", script);
}

int cli_report_write(const gan_model *m, const char *model_path, const char *run_dir, int argc,
                     char **argv, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return gan_errf(err, errlen, "%s/report.html: out of memory", run_dir);
    page(f, m, model_path, run_dir, argc, argv);
    int bad = ferror(f);
    fclose(f);
    char path[4400];
    snprintf(path, sizeof path, "%s/report.html", run_dir);
    int rc = bad ? gan_errf(err, errlen, "%s: out of memory", path)
                 : gan_write_file_atomic(path, buf, len, err, errlen);
    free(buf);
    return rc;
}
