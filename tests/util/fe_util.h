#ifndef GAN_TESTS_FE_UTIL_H
#define GAN_TESTS_FE_UTIL_H

#include <stddef.h>
#include <stdint.h>

const char *fe_t_root(void);                        /* repository root ($GAN_SRC or ".") */
char *fe_t_read(const char *path, size_t *len);     /* malloc'd, NUL-terminated; NULL if unreadable */
int fe_t_list(const char *dir, const char *suffix, char ***out); /* sorted names; -1 if no dir */
void fe_t_list_free(char **v, int n);
uint64_t fe_t_rand(uint64_t *state);
/* Number of error lines, each of the form "name:L:C: error: ..."; -1 if one is not. */
int fe_t_every_error_located(const char *messages, const char *name);

#endif
