/* ganrt: the runtime's command line. Dispatches on argv[1] to the subcommands of cli.h. */
#include <stdio.h>
#include <string.h>
#include "runtime/cli.h"
#include "runtime/model.h"
#include "runtime/train.h"

static const char usage[] =
    "Usage: ganrt COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  train   MODEL.bin --data DIR --out RUN   train a compiled model\n"
    "  sample  MODEL.bin --ckpt RUN|FILE -o OUT.png   generate images\n"
    "  info    MODEL.bin | CKPT                 describe a model or checkpoint\n"
    "  data    synth ...                        make a synthetic labelled face dataset\n"
    "\n"
    "'ganrt COMMAND --help' describes each command. --version prints the version.\n";

int main(int argc, char **argv)
{
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
        printf("ganrt 0.1 (model.bin format %d, checkpoint format %u)\n", GAN_FORMAT_VERSION,
               GAN_CKPT_VERSION);
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"train", ganrt_train_main},
                {"sample", ganrt_sample_main},
                {"info", ganrt_info_main},
                {"data", ganrt_data_main}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmd, cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ganrt: unknown command '%s'\n%s", cmd, usage);
    return 2;
}
