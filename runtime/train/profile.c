/* ganrt train --profile: where the training programs' time goes, per op kind and per layer.
 * The interpreter adds each op's wall time (gan_exec_run_profiled); this file keeps those
 * sums per program and op and tells them by the op's name and by the layer it works for
 * (layer_of: "D.conv2" for the ops of D's conv2, whichever program and call ran them). */
#include <stdlib.h>
#include <string.h>
#include "format/ops.h"
#include "runtime/train.h"

struct gan_profile {
    const gan_model *m;  /* borrowed: read by the report only */
    int n_programs;
    double **op_s;       /* per program, per op: seconds */
};

gan_profile *gan_profile_new(const gan_model *m)
{
    gan_profile *p = calloc(1, sizeof *p);
    if (!p || !(p->op_s = calloc((size_t)m->n_programs + 1, sizeof *p->op_s))) {
        free(p);
        return NULL;
    }
    p->m = m;
    p->n_programs = m->n_programs;
    for (int k = 0; k < m->n_programs; k++)
        if (!(p->op_s[k] = calloc((size_t)m->programs[k].n_ops + 1, sizeof(double)))) {
            gan_profile_free(p);
            return NULL;
        }
    return p;
}

void gan_profile_free(gan_profile *p)
{
    if (!p)
        return;
    for (int k = 0; p->op_s && k < p->n_programs; k++)
        free(p->op_s[k]);
    free(p->op_s);
    free(p);
}

double *gan_profile_ops(gan_profile *p, int prog)
{
    return p && prog >= 0 && prog < p->n_programs ? p->op_s[prog] : NULL;
}

typedef struct {
    char name[GAN_NAME_MAX];
    double fwd, bwd; /* seconds: forward-like ops (and the rest), backward ops */
} row;

/* The row named `name` in rows[0..*n), added when new (at most cap). */
static row *row_of(row *rows, int *n, int cap, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(rows[i].name, name))
            return &rows[i];
    if (*n >= cap)
        return NULL;
    row *r = &rows[(*n)++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    return r;
}

/* name without its program prefix ("d_step.") and its call suffix ("D_2" is D's second call
 * in a program): "<net>.<node>", or the whole name when it has no node part */
static void normalise(const gan_model *m, const char *name, char *buf, size_t len)
{
    for (int k = 0; k < m->n_programs; k++) {
        size_t pl = strnlen(m->programs[k].name, GAN_NAME_MAX);
        if (!strncmp(name, m->programs[k].name, pl) && name[pl] == '.') {
            name += pl + 1;
            break;
        }
    }
    const char *d1 = strchr(name, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    int net_len = d1 ? (int)(d1 - name) : (int)strnlen(name, GAN_NAME_MAX);
    for (int n = 0; n < m->n_networks; n++) {
        int l = (int)strnlen(m->networks[n].name, GAN_NAME_MAX);
        if (l < net_len && !strncmp(name, m->networks[n].name, (size_t)l) && name[l] == '_')
            net_len = l;
    }
    if (!d1)
        snprintf(buf, len, "%.*s", net_len, name);
    else
        snprintf(buf, len, "%.*s.%.*s", net_len, name, d2 ? (int)(d2 - d1 - 1) : (int)strlen(d1 + 1),
                 d1 + 1);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strnlen(s, GAN_NAME_MAX), b = strlen(suffix);
    return a >= b && !memcmp(s + a - b, suffix, b);
}

/* The layer an op works for: the node of its weight (".w", ".w_sn"), else for a backward the
 * tensor whose gradient it takes (".grad"), else its first output (a fused op is named by its
 * last part: conv + tanh by the tanh), else, updating in place, its first input. */
static void layer_of(const gan_model *m, const gan_op *op, char *buf, size_t len)
{
    const gan_op_info *in = gan_op_info_of(op->type);
    int t = -1;
    for (int j = 0; j < op->n_in && t < 0; j++)
        if (op->in[j] >= 0 && op->in[j] < m->n_tensors &&
            (ends_with(m->tensors[op->in[j]].name, ".w") ||
             ends_with(m->tensors[op->in[j]].name, ".w_sn")))
            t = op->in[j];
    for (int j = 0; in && in->kind == GAN_OPK_BWD && j < op->n_in && t < 0; j++)
        if (op->in[j] >= 0 && op->in[j] < m->n_tensors &&
            ends_with(m->tensors[op->in[j]].name, ".grad"))
            t = op->in[j];
    if (t < 0)
        t = op->n_out > 0 && op->out[0] >= 0 ? op->out[0] : op->n_in > 0 ? op->in[0] : -1;
    if (t < 0 || t >= m->n_tensors) {
        snprintf(buf, len, "(other)");
        return;
    }
    char nm[GAN_NAME_MAX];
    normalise(m, m->tensors[t].name, nm, sizeof nm);
    if (in && in->kind == GAN_OPK_OPTIM)
        snprintf(buf, len, "%.*s (optimizer)", (int)strcspn(nm, "."), nm);
    else
        snprintf(buf, len, "%s", nm);
}

static int by_time(const void *a, const void *b)
{
    double x = ((const row *)a)->fwd + ((const row *)a)->bwd;
    double y = ((const row *)b)->fwd + ((const row *)b)->bwd;
    return x < y ? 1 : x > y ? -1 : strcmp(((const row *)a)->name, ((const row *)b)->name);
}

static void table(FILE *f, const char *title, row *rows, int n, int top, long long steps,
                  double total)
{
    qsort(rows, (size_t)n, sizeof *rows, by_time);
    fprintf(f, "\n  %-34s %12s %12s %8s\n", title, "fwd ms/step", "bwd ms/step", "share");
    double shown = 0;
    for (int i = 0; i < n && i < top; i++) {
        double t = rows[i].fwd + rows[i].bwd;
        shown += t;
        fprintf(f, "  %-34s %12.2f %12.2f %7.1f%%\n", rows[i].name, 1e3 * rows[i].fwd / steps,
                1e3 * rows[i].bwd / steps, total > 0 ? 100.0 * t / total : 0.0);
    }
    if (n > top)
        fprintf(f, "  %-34s %25.2f %7.1f%%\n", "(the rest)", 1e3 * (total - shown) / steps,
                total > 0 ? 100.0 * (total - shown) / total : 0.0);
}

int gan_profile_report(const gan_profile *p, FILE *f, long long steps, double wall_s)
{
    enum { CAP = 4096 };
    row *kinds = calloc(GAN_OP_COUNT + 1, sizeof *kinds), *layers = calloc(CAP, sizeof *layers);
    if (!kinds || !layers) {
        free(kinds);
        free(layers);
        return -1;
    }
    int nk = 0, nl = 0;
    double total = 0;
    const gan_model *m = p->m;
    for (int k = 0; k < m->n_programs; k++)
        for (int i = 0; i < m->programs[k].n_ops; i++) {
            const gan_op *op = &m->programs[k].ops[i];
            double t = p->op_s[k][i];
            if (t <= 0)
                continue;
            total += t;
            int bwd = gan_op_info_of(op->type) && gan_op_info_of(op->type)->kind == GAN_OPK_BWD;
            row *r = row_of(kinds, &nk, GAN_OP_COUNT, gan_op_name(op->type));
            char ln[GAN_NAME_MAX + 16];
            layer_of(m, op, ln, sizeof ln);
            row *l = row_of(layers, &nl, CAP, ln);
            if (r)
                *(bwd ? &r->bwd : &r->fwd) += t;
            if (l)
                *(bwd ? &l->bwd : &l->fwd) += t;
        }
    if (steps < 1)
        steps = 1;
    fprintf(f, "profile: %lld steps, %.3f s in training programs (%.1f ms/step), %.0f%% of the "
            "%.3f s wall time\n", steps, total, 1e3 * total / steps,
            wall_s > 0 ? 100.0 * total / wall_s : 0.0, wall_s);
    table(f, "op", kinds, nk, nk, steps, total);
    table(f, "layer (forward and backward ops)", layers, nl, 20, steps, total);
    free(kinds);
    free(layers);
    return 0;
}
