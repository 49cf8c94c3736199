/* The one error-message helper: every library function reports failure as text in a caller's
 * (err, errlen) buffer and a -1 return. Either may be NULL / 0: the message is then dropped. */
#ifndef GAN_COMMON_ERR_H
#define GAN_COMMON_ERR_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define GAN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GAN_PRINTF(f, a)
#endif

/* Formats into err and returns -1, so `return gan_errf(err, errlen, "...", ...);` reads as one. */
int gan_errf(char *err, size_t errlen, const char *fmt, ...) GAN_PRINTF(3, 4);
int gan_verrf(char *err, size_t errlen, const char *fmt, va_list ap);

/* Same, with a prefix ("what: ") before the message; the prefix is kept whole when the message
 * is cut. */
int gan_errf_at(char *err, size_t errlen, const char *what, const char *fmt, ...) GAN_PRINTF(4, 5);
int gan_verrf_at(char *err, size_t errlen, const char *what, const char *fmt, va_list ap);

#endif
