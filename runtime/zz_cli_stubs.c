/* TEMPORARY: `ganrt info` and `ganrt data` belong to other helpers; until they are merged
 * these say so (exit 1). Deleted when cli_info.c / cli_data.c land. */
#include <stdio.h>
#include "runtime/cli.h"

__attribute__((weak)) int ganrt_info_main(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "ganrt %s: not available in this build yet\n", argv[0]);
    return 1;
}

__attribute__((weak)) int ganrt_data_main(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "ganrt %s: not available in this build yet\n", argv[0]);
    return 1;
}
