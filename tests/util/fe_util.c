/* Helpers shared by the front end's test suites (test_frontend*.c). */
#include "tests/util/fe_util.h"
#include "common/bytes.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fe_t_root(void)
{
    const char *r = getenv("GAN_SRC");
    return r && *r ? r : ".";
}

char *fe_t_read(const char *path, size_t *len)
{
    uint8_t *buf;
    size_t n;
    if (gan_read_file(path, &buf, &n, SIZE_MAX, NULL, 0))
        return NULL;
    if (len)
        *len = n;
    return (char *)buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int fe_t_list(const char *dir, const char *suffix, char ***out)
{
    DIR *d = opendir(dir);
    *out = NULL;
    if (!d)
        return -1;
    int n = 0, cap = 0;
    char **v = NULL;
    struct dirent *de;
    size_t sl = strlen(suffix);
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l <= sl || strcmp(de->d_name + l - sl, suffix))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(v, sizeof(char *) * (size_t)cap);
            if (!nv)
                break;
            v = nv;
        }
        v[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(v, (size_t)n, sizeof(char *), cmp_str);
    *out = v;
    return n;
}

void fe_t_list_free(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

uint64_t fe_t_rand(uint64_t *s)
{
    /* splitmix64: seeded, reproducible */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int fe_t_every_error_located(const char *messages, const char *name)
{
    /* every line containing ": error:" must start with "name:LINE:COL: error:" */
    size_t nl = strlen(name);
    const char *p = messages;
    int errors = 0;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *hit = NULL;
        for (size_t i = 0; i + 8 <= len; i++)
            if (!memcmp(p + i, ": error:", 8)) {
                hit = p + i;
                break;
            }
        if (hit) {
            errors++;
            if (len < nl || memcmp(p, name, nl) || p[nl] != ':')
                return -1;
            const char *q = p + nl + 1;
            int digits = 0;
            while (*q >= '0' && *q <= '9') {
                q++;
                digits++;
            }
            if (!digits || *q != ':')
                return -1;
            q++;
            digits = 0;
            while (*q >= '0' && *q <= '9') {
                q++;
                digits++;
            }
            if (!digits || strncmp(q, ": error:", 8))
                return -1;
        }
        p = e ? e + 1 : p + len;
    }
    return errors;
}
