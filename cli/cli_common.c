/* What the ganrt subcommands share. */
#include <stdio.h>
#include <unistd.h>
#include "cli/cli.h"

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
