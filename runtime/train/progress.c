/* Progress display: a one-line bar redrawn in place on a terminal, plain periodic lines
 * otherwise (logs, CI). */
#include <string.h>
#include <time.h>
#include "runtime/train.h"

double gan_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void gan_format_duration(double s, char *buf, size_t len)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, len, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

void gan_progress_init(gan_progress *p, FILE *f, int tty, long long first, long long total)
{
    memset(p, 0, sizeof *p);
    p->f = f;
    p->tty = tty;
    p->first = first;
    p->total = total;
    p->t0 = gan_now();
    p->last_print = -1e9;
    p->plain_every_s = 10.0;
    p->budget_left_s = -1;
}

void gan_progress_budget(gan_progress *p, double left_s) { p->budget_left_s = left_s > 0 ? left_s : 0; }

void gan_progress_update(gan_progress *p, long long step, int n, const char *const *names,
                         const double *vals, double images_per_s, int force)
{
    double now = gan_now();
    double every = p->tty ? 0.1 : p->plain_every_s;
    /* plain mode also reports the first step (so a log shows the run is alive) */
    int due = force || now - p->last_print >= every || (!p->tty && step == p->first + 1);
    if (!due)
        return;
    p->last_print = now;
    double el = now - p->t0, done = (double)(step - p->first);
    double eta = done > 0 ? el / done * (double)(p->total - step) : -1;
    /* the share of the run done: steps, or the budget's time when that ends it first */
    double frac = p->total > 0 ? (double)step / (double)p->total : 0;
    int by_budget = p->budget_left_s >= 0 && (eta < 0 || p->budget_left_s < eta);
    if (by_budget) {
        eta = p->budget_left_s;
        frac = el + eta > 0 ? el / (el + eta) : 1;
    }
    char line[512], eb[48], tb[32];
    size_t k = 0;
    gan_format_duration(eta, eb, sizeof eb - 10);
    if (by_budget)
        strcat(eb, " (budget)");
    gan_format_duration(el, tb, sizeof tb);
    if (p->tty) {
        int width = 20, fill = (int)(width * frac);
        if (fill > width) fill = width;
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = 0;
        k += (size_t)snprintf(line + k, sizeof line - k, "\r[%s] ", bar);
    }
    k += (size_t)snprintf(line + k, sizeof line - k, "step %lld/%lld", step, p->total);
    for (int i = 0; i < n && k < sizeof line; i++)
        k += (size_t)snprintf(line + k, sizeof line - k, "  %s %.4f", names[i], vals[i]);
    if (k < sizeof line)
        k += (size_t)snprintf(line + k, sizeof line - k, "  %.0f img/s  %s  ETA %s",
                              images_per_s, tb, eb);
    if (p->tty) {
        fprintf(p->f, "%s\033[K", line);
        p->printed_inline = 1;
    } else {
        fprintf(p->f, "%s\n", line);
    }
    fflush(p->f);
}

void gan_progress_end(gan_progress *p)
{
    if (p->tty && p->printed_inline) {
        fputc('\n', p->f);
        fflush(p->f);
        p->printed_inline = 0;
    }
}
