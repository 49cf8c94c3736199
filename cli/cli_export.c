/* ganrt export: a trained generator as a standard ONNX model (docs/export.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/export_onnx.h"
#include "format/model.h"
#include "runtime/train.h"
#include "runtime/train/args.h"

static const char export_help[] =
    "Usage: ganrt export MODEL.bin --ckpt RUN|FILE -o generator.onnx [options]\n"
    "\n"
    "Writes the model's generator (its \"sample\" program with the checkpoint's weights) as an\n"
    "ONNX model: inputs z [N, latent] and labels [N, L] (no labels for an unconditional\n"
    "model), output image [N, C, H, W] in the model's value range; N is dynamic.\n"
    "\n"
    "  --ckpt RUN|FILE     a checkpoint file, or a run directory (its newest checkpoint)\n"
    "  -o FILE.onnx        the ONNX file to write (replaced atomically)\n"
    "  --no-ema            the raw generator weights, not their EMA (the default, as sample)\n"
    "  --opset N           ONNX opset, 13..17 (default 17)\n"
    "  --help              this text\n"
    "\n"
    "Exit status: 0 done, 1 failure (bad model or checkpoint, an op with no ONNX form, the file\n"
    "cannot be written), 2 usage error.\n";

typedef struct {
    const char *model, *ckpt, *out;
    long long opset;
    int no_ema;
} export_opts;

static int parse(int argc, char **argv, export_opts *o, int *help)
{
    gan_args a;
    gan_args_init(&a, "ganrt export", argc, argv);
    memset(o, 0, sizeof *o);
    o->opset = GAN_ONNX_OPSET_DEFAULT;
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
        else if (!strcmp(op, "-o") || !strcmp(op, "--out")) r = gan_args_str(&a, &o->out);
        else if (!strcmp(op, "--opset"))
            r = gan_args_ll(&a, GAN_ONNX_OPSET_MIN, GAN_ONNX_OPSET_MAX, &o->opset);
        else if (!strcmp(op, "--no-ema")) o->no_ema = 1;
        else
            return gan_usage_error(&a, "unknown option %s", op);
        if (r)
            return 2;
    }
    if (!o->model)
        return gan_usage_error(&a, "missing MODEL.bin");
    if (!o->ckpt)
        return gan_usage_error(&a, "missing --ckpt RUN|FILE");
    if (!o->out)
        return gan_usage_error(&a, "missing -o FILE.onnx");
    return 0;
}

/* The generator's EMA weights over its parameters, as gan_session_sample swaps them in.
 * Returns 1 when they were used, 0 when the model keeps none. */
static int use_ema(const gan_model *m, float *const base[GAN_REGION_COUNT])
{
    for (int i = 0; i < m->n_networks; i++) {
        const gan_network *n = &m->networks[i];
        if (n->role != GAN_NET_GENERATOR || n->ema < 0 || n->params < 0)
            continue;
        const gan_tensor *p = &m->tensors[n->params], *e = &m->tensors[n->ema];
        if (p->numel != e->numel)
            return 0;
        memcpy(base[p->region] + p->offset, base[e->region] + e->offset,
               sizeof(float) * (size_t)p->numel);
        return 1;
    }
    return 0;
}

/* Only the persistent regions: the export reads weights and statistics, runs nothing. */
static int export_model(const gan_model *m, const export_opts *o, char *err, size_t errlen)
{
    int prog = gan_model_find_role(m, GAN_PROG_SAMPLE);
    if (prog < 0 || m->hyper.latent_size <= 0) {
        snprintf(err, errlen, "%s: the model has no generator \"sample\" program (nothing to "
                 "export)", o->model);
        return 1;
    }
    float *base[GAN_REGION_COUNT] = {0};
    base[GAN_REGION_PARAM] = calloc(m->region_floats[GAN_REGION_PARAM] + 1, sizeof(float));
    base[GAN_REGION_STATE] = calloc(m->region_floats[GAN_REGION_STATE] + 1, sizeof(float));
    char ckpath[4400];
    gan_ckpt_info info;
    gan_wbuf w = {0};
    int nodes = 0, ema = 0, rc = 1;
    const char *weights = o->no_ema ? "raw weights" : "raw weights: the model keeps no EMA";
    if (!base[GAN_REGION_PARAM] || !base[GAN_REGION_STATE])
        cli_out_of_memory(err, errlen);
    else if (gan_ckpt_resolve(o->ckpt, ckpath, sizeof ckpath, err, errlen) ||
             gan_ckpt_load(ckpath, m, base, &info, err, errlen))
        ;
    else if ((ema = !o->no_ema && use_ema(m, base)),
             gan_export_onnx(m, prog, base, (int)o->opset, &w, &nodes, err, errlen))
        ;
    else if (!gan_write_file_atomic(o->out, w.data, w.len, err, errlen))
        rc = 0;
    if (!rc)
        fprintf(stderr, "ganrt export: generator of %s at step %llu (%s) -> %s: %d nodes, "
                "%zu bytes, opset %lld\n", o->model, (unsigned long long)info.step,
                ema ? "EMA weights" : weights, o->out, nodes, w.len, o->opset);
    gan_wbuf_free(&w);
    free(base[GAN_REGION_PARAM]);
    free(base[GAN_REGION_STATE]);
    return rc;
}

int ganrt_export_main(int argc, char **argv)
{
    export_opts o;
    int help = 0;
    int rc = parse(argc, argv, &o, &help);
    if (rc)
        return rc;
    if (help) {
        fputs(export_help, stdout);
        return 0;
    }
    char err[1024] = "";
    gan_model *m = gan_model_load(o.model, err, sizeof err);
    rc = m ? export_model(m, &o, err, sizeof err) : 1;
    if (rc == 1)
        fprintf(stderr, "ganrt export: %s\n", err);
    gan_model_free(m);
    return rc;
}
