/* ganrt run-program: one program of a model on a checkpoint and recorded inputs, the state it
 * leaves written as a checkpoint, and on request named tensors as .npy files. The tool for
 * checking one d_step or g_step against a reference (docs/reproducibility.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "common/err.h"
#include "common/names.h"
#include "format/model.h"
#include "runtime/exec.h"
#include "runtime/kernels.h"
#include "runtime/train.h"
#include "runtime/train/args.h"
#include "runtime/train/npy.h"

static const char rp_help[] =
    "Usage: ganrt run-program MODEL.bin --ckpt C --program NAME --inputs DIR -o STATE [options]\n"
    "\n"
    "Loads checkpoint C (a file, or a run directory's latest), fills the program's inputs\n"
    "from DIR (a run directory of 'ganrt train --dump-inputs': image.npy, labels.npy, z.npy\n"
    "as the program needs them), runs the program once and writes the resulting state as a\n"
    "checkpoint. The data position and latent RNG recorded are DIR/state.npy's when it is\n"
    "there (what train records after that run), else C's.\n"
    "\n"
    "  --program NAME      by role: d_step, g_step, train_step, sample, predict (or the\n"
    "                      name of another program of the model)\n"
    "  --threads T         compute threads (default 1); the result is bit-exact with\n"
    "                      'ganrt train --threads T'\n"
    "  --step N            the step the written checkpoint records (default: C's)\n"
    "  --dump-tensors A,B  also write these tensors (parameters, state, gradients such as\n"
    "                      D.conv1.w.grad, intermediates such as d_step.D.dense1) as\n"
    "                      .npy files, each as it was after the last op that wrote it\n"
    "  --dump-dir DIR      where they go (default: the directory of STATE), as NAME.npy\n"
    "  --help              this text\n"
    "\n"
    "Exit status: 0 done, 1 failure (bad model, checkpoint or inputs), 2 usage error.\n";

typedef struct {
    const char *model, *ckpt, *program, *inputs, *out, *tensors, *dump_dir;
    long long threads, step;
} rp_opts;

static int rp_parse(int argc, char **argv, rp_opts *o, int *help)
{
    gan_args a;
    gan_args_init(&a, "ganrt run-program", argc, argv);
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->step = -1;
    int k;
    while ((k = gan_args_next(&a))) {
        if (k == 2) {
            if (o->model)
                return gan_usage_error(&a, "unexpected argument '%s'", a.value);
            o->model = a.value;
            continue;
        }
        const char *op = a.opt;
        int r = 0;
        if (!strcmp(op, "--help") || !strcmp(op, "-h")) {
            *help = 1;
            return 0;
        } else if (!strcmp(op, "--ckpt")) r = gan_args_str(&a, &o->ckpt);
        else if (!strcmp(op, "--program")) r = gan_args_str(&a, &o->program);
        else if (!strcmp(op, "--inputs")) r = gan_args_str(&a, &o->inputs);
        else if (!strcmp(op, "-o") || !strcmp(op, "--out")) r = gan_args_str(&a, &o->out);
        else if (!strcmp(op, "--dump-tensors")) r = gan_args_str(&a, &o->tensors);
        else if (!strcmp(op, "--dump-dir")) r = gan_args_str(&a, &o->dump_dir);
        else if (!strcmp(op, "--threads")) r = gan_args_ll(&a, 1, 1024, &o->threads);
        else if (!strcmp(op, "--step")) r = gan_args_ll(&a, 0, (long long)1e12, &o->step);
        else
            return gan_usage_error(&a, "unknown option %s", op);
        if (r)
            return 2;
    }
    const char *missing = !o->model ? "MODEL.bin" : !o->ckpt ? "--ckpt C" : !o->program
                          ? "--program NAME" : !o->inputs ? "--inputs DIR" : !o->out ? "-o STATE" : NULL;
    if (missing)
        return gan_usage_error(&a, "missing %s", missing);
    if (o->dump_dir && !o->tensors)
        return gan_usage_error(&a, "--dump-dir without --dump-tensors");
    return 0;
}

/* The program by role name, else by its own name; an unknown one lists what there is. */
static int find_program(const gan_model *m, const char *name, char *err, size_t errlen)
{
    int p = gan_model_find_role(m, gan_program_role_of_name(name));
    if (p < 0)
        p = gan_model_find_program(m, name);
    if (p >= 0)
        return p;
    char list[1024] = "";
    size_t at = 0;
    for (int i = 0; i < m->n_programs && at < sizeof list; i++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "",
                               m->programs[i].name);
    gan_errf(err, errlen, "--program %s: the model has no such program (it has: %s)", name, list);
    return -1;
}

/* The --dump-tensors list as tensor indices; an unknown name is an error with a did-you-mean. */
static int parse_tensors(const gan_model *m, const char *list, int *idx, int max, char *err,
                         size_t errlen)
{
    int n = 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char name[GAN_NAME_MAX];
        if (len == 0 || len >= sizeof name || n == max)
            return gan_errf(err, errlen, "--dump-tensors: bad list '%s'", list);
        memcpy(name, p, len);
        name[len] = 0;
        int t = gan_model_find_tensor(m, name);
        if (t < 0) {
            const char **names = malloc(sizeof *names * (size_t)m->n_tensors);
            const char *best = NULL;
            if (names) {
                for (int i = 0; i < m->n_tensors; i++)
                    names[i] = m->tensors[i].name;
                best = gan_closest_name(name, names, m->n_tensors);
            }
            gan_errf(err, errlen, "--dump-tensors: the model has no tensor '%s'%s%s%s "
                     "('ganrt info MODEL.bin' lists parameters and state)", name,
                     best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "");
            free(names);
            return -1;
        }
        idx[n++] = t;
        p = e ? e + 1 : p + len;
    }
    return n;
}

static int write_tensor(const char *dir, const gan_model *m, int t, const float *x, char *err,
                        size_t errlen)
{
    const gan_tensor *ts = &m->tensors[t];
    int64_t shape[4];
    for (int i = 0; i < ts->ndim && i < 4; i++)
        shape[i] = ts->shape[i];
    char path[4400];
    snprintf(path, sizeof path, "%s/%s.npy", dir, ts->name);
    return gan_npy_write(path, GAN_NPY_F32, ts->ndim, shape, x, err, errlen);
}

static int program_uses(const gan_program *p, int t)
{
    for (int i = 0; i < p->n_ops; i++)
        for (int j = 0; j < GAN_OP_MAX_IO; j++)
            if ((j < p->ops[i].n_in && p->ops[i].in[j] == t) ||
                (j < p->ops[i].n_out && p->ops[i].out[j] == t))
                return 1;
    return 0;
}

typedef struct {
    int n;
    int *idx;      /* the tensors to dump */
    float **snap;  /* arena tensors: their value after the last op that wrote them */
} dump_set;

/* Runs p op by op, so that an arena tensor can be copied out after the last op that writes
 * it: the memory plan gives its bytes to later tensors once it is dead. */
static int run_capturing(const gan_model *m, const gan_program *p, float *const base[],
                         int threads, kern_scratch *sc, dump_set *d, char *err, size_t errlen)
{
    gan_program one = *p;
    one.n_ops = 1;
    for (int i = 0; i < p->n_ops; i++) {
        one.ops = &p->ops[i];
        if (gan_exec_run_checked(m, &one, base, threads, sc, err, errlen))
            return -1;
        for (int k = 0; k < d->n; k++) {
            const gan_tensor *t = &m->tensors[d->idx[k]];
            if (t->region != GAN_REGION_ARENA)
                continue;
            for (int j = 0; j < p->ops[i].n_out; j++)
                if (p->ops[i].out[j] == d->idx[k])
                    memcpy(d->snap[k], gan_tensor_ptr(m, base, d->idx[k]),
                           sizeof(float) * (size_t)t->numel);
        }
    }
    return 0;
}

/* Loads, runs, writes: 0, or 1 with err. */
static int rp_run(const rp_opts *o, gan_model *m, gan_session *s, dump_set *d, char *err,
                  size_t errlen)
{
    int pi = find_program(m, o->program, err, errlen);
    if (pi < 0)
        return 1;
    const gan_program *p = &m->programs[pi];
    char ckpath[4400];
    gan_ckpt_info info;
    float *const *base = gan_session_base(s);
    if (gan_ckpt_resolve(o->ckpt, ckpath, sizeof ckpath, err, errlen) ||
        gan_ckpt_load(ckpath, m, base, &info, err, errlen))
        return 1;
    int has_state = 0;
    if (gan_inputs_load(o->inputs, m, pi, base, &info.data_epoch, &info.data_index, &info.rng,
                        &has_state, err, errlen))
        return 1;
    if (o->step >= 0)
        info.step = (uint64_t)o->step;
    if (o->tensors) {
        d->idx = calloc(256, sizeof *d->idx);
        d->snap = calloc(256, sizeof *d->snap);
        if (!d->idx || !d->snap)
            return cli_out_of_memory(err, errlen);
        if ((d->n = parse_tensors(m, o->tensors, d->idx, 256, err, errlen)) < 0)
            return 1;
        for (int k = 0; k < d->n; k++) {
            const gan_tensor *t = &m->tensors[d->idx[k]];
            if (t->region == GAN_REGION_ARENA && !program_uses(p, d->idx[k]))
                return gan_errf(err, errlen, "--dump-tensors: %s is not a tensor of program %s",
                                t->name, p->name), 1;
            if (!(d->snap[k] = calloc((size_t)t->numel + 1, sizeof(float))))
                return cli_out_of_memory(err, errlen);
            /* an input no op writes is dumped as it was given */
            memcpy(d->snap[k], gan_tensor_ptr(m, base, d->idx[k]), sizeof(float) * t->numel);
        }
    }
    kern_scratch *sc = kern_scratch_new();
    if (!sc)
        return cli_out_of_memory(err, errlen);
    char e2[1024];
    int rc = gan_exec_check(m, p, base, e2, sizeof e2) ||
             run_capturing(m, p, base, (int)o->threads, sc, d, e2, sizeof e2);
    kern_scratch_free(sc);
    if (rc)
        return gan_errf(err, errlen, "%s: %s", p->name, e2), 1;
    if (gan_ckpt_write(o->out, m, base, &info, err, errlen))
        return 1;
    char dir[4300];
    if (o->dump_dir)
        snprintf(dir, sizeof dir, "%s", o->dump_dir);
    else {
        const char *sl = strrchr(o->out, '/');
        snprintf(dir, sizeof dir, "%.*s", sl ? (int)(sl - o->out) : 1, sl ? o->out : ".");
    }
    if (d->n > 0 && gan_mkdirs(dir, err, errlen))
        return 1;
    for (int k = 0; k < d->n; k++) {
        const gan_tensor *t = &m->tensors[d->idx[k]];
        const float *x = t->region == GAN_REGION_ARENA ? d->snap[k]
                                                       : gan_tensor_ptr(m, base, d->idx[k]);
        if (write_tensor(dir, m, d->idx[k], x, err, errlen))
            return 1;
    }
    fprintf(stderr, "ganrt run-program: %s on %s (step %llu) -> %s%s%s\n", p->name, ckpath,
            (unsigned long long)info.step, o->out, d->n ? ", tensors in " : "", d->n ? dir : "");
    return 0;
}

int ganrt_run_program_main(int argc, char **argv)
{
    rp_opts o;
    int help = 0;
    int rc = rp_parse(argc, argv, &o, &help);
    if (rc)
        return rc;
    if (help) {
        fputs(rp_help, stdout);
        return 0;
    }
    char err[1024] = "";
    dump_set d = {0, NULL, NULL};
    gan_session *s = NULL;
    gan_model *m = gan_model_load(o.model, err, sizeof err);
    if (m) {
        gan_session_opts so = {(int)o.threads, 1};
        s = gan_session_create(m, &so, err, sizeof err);
    }
    rc = s ? rp_run(&o, m, s, &d, err, sizeof err) : 1;
    if (rc)
        fprintf(stderr, "ganrt run-program: %s\n", err);
    for (int k = 0; d.snap && k < d.n; k++)
        free(d.snap[k]);
    free(d.snap);
    free(d.idx);
    gan_session_free(s);
    gan_model_free(m);
    return rc;
}
