/* ganrt: the runtime's command line. Dispatches on argv[1] to the subcommands of cli.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/version.h"
#include "format/model.h"
#include "runtime/train.h"
#include "runtime/train/dist.h"

static const char usage[] =
    "Usage: ganrt COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  train   MODEL.bin --data DIR --out RUN   train a compiled model\n"
    "  sample  MODEL.bin --ckpt RUN|FILE -o OUT.png   generate images\n"
    "  info    MODEL.bin [--ckpt RUN|FILE]      describe a model (and a checkpoint of it)\n"
    "  data    synth ...                        make a synthetic labelled face dataset\n"
    "  init    MODEL.bin --seed S -o FILE       write the initial training state (step 0)\n"
    "  run-program MODEL.bin --ckpt C --program NAME --inputs DIR -o STATE\n"
    "                                           run one program on a checkpoint\n"
    "  eval    MODEL.bin --ckpt RUN --classifier CLF.bin --classifier-ckpt CLF_RUN --real DIR\n"
    "                                           judge generated faces with a classifier\n"
    "  export  MODEL.bin --ckpt RUN|FILE -o G.onnx   the generator as an ONNX model\n"
    "  visualize CLF.bin --ckpt RUN -o OUT.png  images a classifier scores highest per attribute\n"
    "\n"
    "'ganrt COMMAND --help' describes each command. --version prints the version.\n";

/* libgomp's idle workers spin by default. Between two parallel regions the OpenBLAS threads
 * then compete with spinning OpenMP threads for the same cores, which on a loaded 2-core
 * machine made a training step up to 10x slower (measured: 47 vs 431 img/s on the demo).
 * libgomp reads its wait policy once, when it is loaded, so the only place to choose it is
 * the environment of a fresh image of this program. A user's own OMP_WAIT_POLICY wins. */
static void prefer_passive_openmp(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GANRT_NO_REEXEC"))
        return;
    setenv("OMP_WAIT_POLICY", "passive", 1);
    setenv("GANRT_NO_REEXEC", "1", 1);
    execv("/proc/self/exe", argv);
    /* exec failed (no /proc): run on with the default policy */
}

int main(int argc, char **argv)
{
    prefer_passive_openmp(argv);
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("ganrt %s (model.bin format %d, checkpoint format %u, MPI: %s)\n", GAN_VERSION,
               GAN_FORMAT_VERSION, GAN_CKPT_VERSION, gan_dist_library());
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"train", ganrt_train_main},
                {"sample", ganrt_sample_main},
                {"info", ganrt_info_main},
                {"data", ganrt_data_main},
                {"init", ganrt_init_main},
                {"run-program", ganrt_run_program_main},
                {"eval", ganrt_eval_main},
                {"export", ganrt_export_main},
                {"visualize", ganrt_visualize_main}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmd, cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ganrt: unknown command '%s'\n%s", cmd, usage);
    return 2;
}
