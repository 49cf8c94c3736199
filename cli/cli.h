/* ganrt's subcommands. ganrt_main.c dispatches on argv[1]; each returns the process exit
 * status (0 ok, 1 failure of the work, 2 usage error) and prints its own --help. argv[0] is
 * the subcommand's name. */
#ifndef GAN_CLI_H
#define GAN_CLI_H

#include <stddef.h>
#include <stdio.h>
#include "format/model.h"

int ganrt_train_main(int argc, char **argv);  /* cli_train.c  */
int ganrt_sample_main(int argc, char **argv); /* cli_sample.c */
int ganrt_info_main(int argc, char **argv);   /* cli_info.c   */
int ganrt_data_main(int argc, char **argv);   /* cli_data.c: "data synth ..." */
int ganrt_init_main(int argc, char **argv);   /* cli_init.c */
int ganrt_run_program_main(int argc, char **argv); /* cli_run_program.c */
int ganrt_eval_main(int argc, char **argv);   /* cli_eval.c   */
int ganrt_export_main(int argc, char **argv); /* cli_export.c: the generator as ONNX */
int ganrt_visualize_main(int argc, char **argv); /* cli_visualize.c: what a classifier sees */

/* cli_common.c: the online CPUs (the default --threads, 1 if unknown), and "out of memory"
 * into err with the subcommands' exit status 1. */
int cli_cpu_count(void);
int cli_out_of_memory(char *err, size_t errlen);
/* --precision VALUE ("fp32" or "bf16"): sets the kernels' GEMM precision for the process;
 * -1 with the reason in why for any other value, or for bf16 with a GANRT_BF16_KERNEL this
 * machine cannot run. cli_precision_note prints which bf16 kernel runs (or what the CPU
 * lacks and falls back to) when bf16 is on. */
int cli_precision_set(const char *value, char *why, size_t whylen);
void cli_precision_note(const char *cmd);
/* cli_train_data.c: RUN/data.txt, the data set's identity (image count, label file CRC-32).
 * Written when a run starts; on --resume compared, and a different data set refused. 0, or
 * -1 with a message. */
int cli_train_data_identity(const char *run, const char *data_dir, size_t n_images, int resume,
                            char *err, size_t errlen);

/* cli_info.c: what `ganrt info MODEL.bin` prints (hyperparameters, networks, programs with
 * FLOPs and the memory plan, the parameter table). */
void cli_info_print(const gan_model *m, const char *path, FILE *f);

/* cli_report.c: writes RUN/report.html (atomically): loss curves from RUN/metrics.csv as
 * inline SVG, images/s, the sample grids of RUN/samples with a step slider, the model (as
 * cli_info_print), the exact command and the machine. Static, no server, no external assets
 * (the grids are the run's own files, linked relatively). argv: the subcommand's ("train",
 * ...), shown after "ganrt". 0, or -1 with a message. */
int cli_report_write(const gan_model *m, const char *model_path, const char *run_dir,
                     int argc, char **argv, char *err, size_t errlen);

/* cli_train_dist.c: ganrt train as one rank of an MPI job (runtime/train/dist.h; d NULL:
 * the single process, and each does nothing). shard: the session takes its rows of the
 * global batch and averages its gradients over the ranks. after_step: --sync-bn, then the
 * losses averaged, *stop set when any rank was signalled and *timeup when any rank's
 * --minutes ran out (buf: n + 2 doubles). report:
 * rank 0's line on the exchange per step. 0, or -1 with a message. */
struct gan_dist;
struct gan_session;
int cli_dist_shard(struct gan_dist *d, struct gan_session *s, char *err, size_t errlen);
int cli_dist_after_step(struct gan_dist *d, struct gan_session *s, const gan_model *m,
                        int want_sync_bn, double *losses, int n, double *buf, int *stop,
                        int *timeup, char *err, size_t errlen);
void cli_dist_report(const struct gan_dist *d, long long steps);

/* cli_standing.c: --standing B (eval, sample): the generator's batch-norm statistics
 * measured over B batches of z from the latent distribution and label rows drawn from rows
 * (n_rows x n_labels, 0/1; NULL: a uniform class for a categorical model, none otherwise).
 * 0, or 1 with a message. */
int cli_standing_stats(struct gan_session *s, const gan_model *m, long long batches,
                       uint64_t seed, const float *rows, size_t n_rows, int use_ema, char *err,
                       size_t errlen);

#endif
