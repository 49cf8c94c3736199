/* ganc --dot: every program as a Graphviz cluster; ops are boxes, tensors ellipses
 * (persistent tensors shaded), edges follow data flow. Tensor nodes are per program so each
 * cluster reads on its own. */
#include "compiler/backend.h"

#include <stdint.h>
#include <stdlib.h>

static void dot_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void dot_tensor(FILE *f, const gan_model *m, int p, int t, unsigned char *seen)
{
    if (seen[t])
        return;
    seen[t] = 1;
    const gan_tensor *x = &m->tensors[t];
    fprintf(f, "    p%d_t%d [shape=ellipse%s, label=", p, t,
            x->region == GAN_REGION_ARENA ? "" : ", style=filled, fillcolor=lightgrey");
    char lab[GAN_NAME_MAX + 64];
    int n = snprintf(lab, sizeof lab, "%s\\n[", x->name);
    for (int d = 0; d < x->ndim && d < GAN_MAX_DIMS && n > 0 && (size_t)n < sizeof lab; d++)
        n += snprintf(lab + n, sizeof lab - (size_t)n, d ? ",%d" : "%d", x->shape[d]);
    if (n > 0 && (size_t)n < sizeof lab)
        snprintf(lab + n, sizeof lab - (size_t)n, "]");
    /* labels carry "\n" escapes on purpose: print them raw, but quote names */
    fputc('"', f);
    for (const char *s = lab; *s; s++) {
        if (*s == '"')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputs("\"];\n", f);
}

void gan_write_dot(const gan_model *m, FILE *f)
{
    if (!m || !f)
        return;
    unsigned char *seen = calloc((size_t)(m->n_tensors > 0 ? m->n_tensors : 1), 1);
    if (!seen)
        return;
    fprintf(f, "digraph gan {\n  rankdir=TB;\n  node [fontsize=10];\n");
    for (int p = 0; p < m->n_programs; p++) {
        const gan_program *pr = &m->programs[p];
        for (int t = 0; t < m->n_tensors; t++)
            seen[t] = 0;
        fprintf(f, "  subgraph cluster_%d {\n    label=", p);
        dot_str(f, pr->name);
        fprintf(f, ";\n");
        for (int j = 0; j < pr->n_ops; j++) {
            const gan_op *o = &pr->ops[j];
            fprintf(f, "    p%d_op%d [shape=box, style=rounded, label=\"%d: %s", p, j, j,
                    gan_op_name(o->type));
            if ((gan_op_flags(o->type) & (GAN_OPF_EPILOGUE | GAN_OPF_ACT)) && o->i[0] > 0)
                fprintf(f, "+%s", gan_act_name(o->i[0]));
            fprintf(f, "\"];\n");
            for (int k = 0; k < GAN_OP_MAX_IO; k++) {
                int t = o->in[k];
                if (k < o->n_in && t >= 0 && t < m->n_tensors) {
                    dot_tensor(f, m, p, t, seen);
                    fprintf(f, "    p%d_t%d -> p%d_op%d;\n", p, t, p, j);
                }
                t = o->out[k];
                if (k < o->n_out && t >= 0 && t < m->n_tensors) {
                    dot_tensor(f, m, p, t, seen);
                    fprintf(f, "    p%d_op%d -> p%d_t%d;\n", p, j, p, t);
                }
            }
        }
        fprintf(f, "  }\n");
    }
    fprintf(f, "}\n");
    free(seen);
}
