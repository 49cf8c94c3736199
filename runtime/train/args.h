/* Small argument parser shared by `ganrt train` and `ganrt sample` (internal). Accepts
 * "--opt value" and "--opt=value"; no global state (unlike getopt), so the subcommands can be
 * called in-process repeatedly. */
#ifndef GAN_TRAIN_ARGS_H
#define GAN_TRAIN_ARGS_H
#include <stdint.h>

typedef struct {
    int argc, i;
    char **argv;
    const char *cmd;   /* "ganrt train" for messages */
    const char *value; /* value of the option just matched */
    char *inline_val;  /* "--opt=value" split point */
    char opt[64];
    int failed;        /* a usage error was printed */
} gan_args;

void gan_args_init(gan_args *a, const char *cmd, int argc, char **argv);
/* Next item: 1 = option (a->opt), 2 = positional (a->value), 0 = done. "--" ends options. */
int gan_args_next(gan_args *a);
/* Takes the option's value (next argv or after '='); 0, or -1 after printing a usage error. */
int gan_args_value(gan_args *a);
int gan_args_ll(gan_args *a, long long lo, long long hi, long long *out);
int gan_args_u64(gan_args *a, uint64_t *out);
int gan_args_double(gan_args *a, double lo, double hi, double *out);
int gan_args_str(gan_args *a, const char **out);
/* Prints "CMD: msg" and "Try 'CMD --help'." to stderr, sets failed; returns 2. */
int gan_usage_error(gan_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
