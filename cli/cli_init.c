/* ganrt init: the state a training run starts from, as a checkpoint, without training. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "format/model.h"
#include "runtime/train.h"
#include "runtime/train/args.h"

static const char init_help[] =
    "Usage: ganrt init MODEL.bin --seed S -o FILE\n"
    "\n"
    "Writes the initial training state of MODEL.bin for seed S as a checkpoint: every\n"
    "parameter initialised as 'ganrt train --seed S' does it, optimizer state, batch-norm\n"
    "statistics, spectral-norm vectors and EMA, the latent RNG, data position 0 and step 0.\n"
    "It is byte for byte the step_000000.ckpt that 'ganrt train --seed S --ckpt-initial'\n"
    "writes, and 'ganrt train' continues from it like from any checkpoint (docs/\n"
    "reproducibility.md).\n"
    "\n"
    "  --seed S     seed of initialisation and of the run's data order and z (default 1)\n"
    "  -o FILE      the checkpoint to write\n"
    "  --help       this text\n"
    "\n"
    "Exit status: 0 written, 1 failure (bad model, cannot write), 2 usage error.\n";

int ganrt_init_main(int argc, char **argv)
{
    gan_args a;
    gan_args_init(&a, "ganrt init", argc, argv);
    const char *model = NULL, *out = NULL;
    uint64_t seed = 1;
    int k;
    while ((k = gan_args_next(&a))) {
        if (k == 2) {
            if (model)
                return gan_usage_error(&a, "unexpected argument '%s'", a.value);
            model = a.value;
            continue;
        }
        int r = 0;
        if (!strcmp(a.opt, "--help") || !strcmp(a.opt, "-h")) {
            fputs(init_help, stdout);
            return 0;
        } else if (!strcmp(a.opt, "--seed")) r = gan_args_u64(&a, &seed);
        else if (!strcmp(a.opt, "-o") || !strcmp(a.opt, "--out")) r = gan_args_str(&a, &out);
        else
            return gan_usage_error(&a, "unknown option %s", a.opt);
        if (r)
            return 2;
    }
    if (!model)
        return gan_usage_error(&a, "missing MODEL.bin");
    if (!out)
        return gan_usage_error(&a, "missing -o FILE");
    char err[1024] = "";
    int rc = 1;
    gan_session *s = NULL;
    gan_model *m = gan_model_load(model, err, sizeof err);
    if (m) {
        /* the same session train creates: its seed sets the init and the latent RNG streams */
        gan_session_opts so = {1, seed};
        s = gan_session_create(m, &so, err, sizeof err);
    }
    if (s && !gan_session_init_params(s, err, sizeof err)) {
        gan_ckpt_info info;
        memset(&info, 0, sizeof info);
        info.seed = seed;
        info.rng = *gan_session_rng(s);
        rc = gan_ckpt_write(out, m, gan_session_base(s), &info, err, sizeof err) ? 1 : 0;
    }
    if (rc)
        fprintf(stderr, "ganrt init: %s\n", err);
    else
        fprintf(stderr, "ganrt init: %s: step 0 of %s, seed %llu\n", out, model,
                (unsigned long long)seed);
    gan_session_free(s);
    gan_model_free(m);
    return rc;
}
