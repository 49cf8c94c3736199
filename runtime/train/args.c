#include <math.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/train/args.h"

void gan_args_init(gan_args *a, const char *cmd, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->argc = argc;
    a->argv = argv;
    a->i = 1;
}

int gan_usage_error(gan_args *a, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", a->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", a->cmd);
    a->failed = 1;
    return 2;
}

int gan_args_next(gan_args *a)
{
    static const char dashdash[] = "--";
    a->inline_val = NULL;
    a->value = NULL;
    if (a->i >= a->argc)
        return 0;
    char *s = a->argv[a->i++];
    if (!strcmp(s, dashdash)) {
        if (a->i < a->argc) {
            a->value = a->argv[a->i++];
            /* everything after "--" is positional; caller loops */
            return 2;
        }
        return 0;
    }
    if (s[0] == '-' && s[1] && !(s[1] >= '0' && s[1] <= '9')) {
        const char *eq = strchr(s, '=');
        size_t n = eq ? (size_t)(eq - s) : strlen(s);
        if (n >= sizeof a->opt)
            n = sizeof a->opt - 1;
        memcpy(a->opt, s, n);
        a->opt[n] = 0;
        if (eq)
            a->inline_val = (char *)eq + 1;
        return 1;
    }
    a->value = s;
    return 2;
}

int gan_args_value(gan_args *a)
{
    if (a->inline_val) {
        a->value = a->inline_val;
        return 0;
    }
    if (a->i >= a->argc) {
        gan_usage_error(a, "option %s needs a value", a->opt);
        return -1;
    }
    a->value = a->argv[a->i++];
    return 0;
}

int gan_args_ll(gan_args *a, long long lo, long long hi, long long *out)
{
    if (gan_args_value(a))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(a->value, &end, 10);
    if (end == a->value || *end || errno) {
        gan_usage_error(a, "%s: '%s' is not a whole number", a->opt, a->value);
        return -1;
    }
    if (v < lo || v > hi) {
        gan_usage_error(a, "%s: %lld is out of range [%lld, %lld]", a->opt, v, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int gan_args_u64(gan_args *a, uint64_t *out)
{
    if (gan_args_value(a))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(a->value, &end, 0);
    if (end == a->value || *end || errno || a->value[0] == '-') {
        gan_usage_error(a, "%s: '%s' is not a non-negative number", a->opt, a->value);
        return -1;
    }
    *out = v;
    return 0;
}

int gan_args_str(gan_args *a, const char **out)
{
    if (gan_args_value(a))
        return -1;
    *out = a->value;
    return 0;
}

int gan_args_double(gan_args *a, double lo, double hi, double *out)
{
    if (gan_args_value(a))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(a->value, &end);
    if (end == a->value || *end || errno || !isfinite(v)) {
        gan_usage_error(a, "%s: '%s' is not a number", a->opt, a->value);
        return -1;
    }
    if (v < lo || v > hi) {
        gan_usage_error(a, "%s: %g is out of range [%g, %g]", a->opt, v, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}
