#include "common/err.h"

#include <stdio.h>

int gan_verrf(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    return -1;
}

int gan_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gan_verrf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int gan_verrf_at(char *err, size_t errlen, const char *what, const char *fmt, va_list ap)
{
    if (!err || !errlen)
        return -1;
    int k = snprintf(err, errlen, "%s: ", what ? what : "?");
    if (k >= 0 && (size_t)k < errlen)
        vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
    return -1;
}

int gan_errf_at(char *err, size_t errlen, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gan_verrf_at(err, errlen, what, fmt, ap);
    va_end(ap);
    return -1;
}
