/* What the ganrt subcommands share. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "runtime/kernels.h"

int cli_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 1024 ? (int)n : 1;
}

int cli_out_of_memory(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return 1;
}

int cli_precision_set(const char *value, char *why, size_t whylen)
{
    if (!strcmp(value, "fp32"))
        kern_set_precision(KERN_PREC_FP32);
    else if (!strcmp(value, "bf16")) {
        /* a GANRT_BF16_KERNEL the machine cannot honour stops the run before it starts */
        if (kern_bf16_check_env(why, whylen))
            return -1;
        kern_set_precision(KERN_PREC_BF16);
    } else {
        snprintf(why, whylen, "--precision takes fp32 or bf16, not '%s'", value);
        return -1;
    }
    return 0;
}

void cli_precision_note(const char *cmd)
{
    if (kern_precision() == KERN_PREC_BF16)
        fprintf(stderr, "%s: precision bf16: %s\n", cmd, kern_bf16_describe());
}
