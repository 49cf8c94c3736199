/* ganrt's subcommands. ganrt_main.c dispatches on argv[1]; each returns the process exit
 * status (0 ok, 1 failure of the work, 2 usage error) and prints its own --help. argv[0] is
 * the subcommand's name. */
#ifndef GAN_CLI_H
#define GAN_CLI_H

#include <stddef.h>

int ganrt_train_main(int argc, char **argv);  /* cli_train.c  */
int ganrt_sample_main(int argc, char **argv); /* cli_sample.c */
int ganrt_info_main(int argc, char **argv);   /* cli_info.c   */
int ganrt_data_main(int argc, char **argv);   /* cli_data.c: "data synth ..." */
int ganrt_init_main(int argc, char **argv);   /* cli_init.c */
int ganrt_run_program_main(int argc, char **argv); /* cli_run_program.c */
int ganrt_export_main(int argc, char **argv); /* cli_export.c: the generator as ONNX */

/* cli_common.c: the online CPUs (the default --threads, 1 if unknown), and "out of memory"
 * into err with the subcommands' exit status 1. */
int cli_cpu_count(void);
int cli_out_of_memory(char *err, size_t errlen);

#endif
