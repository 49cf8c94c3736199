#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/util/golden_util.h"

#define KGOLD_DIR "tests/golden/kernels"
#define KGOLD_RTOL 1e-4

FILE *kgold_open(const char *file)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", KGOLD_DIR, file);
    FILE *f = fopen(path, "r");
    const char *b = getenv("GAN_BUILD");
    if (!f && b) {
        snprintf(path, sizeof path, "%s/../../%s/%s", b, KGOLD_DIR, file);
        f = fopen(path, "r");
    }
    return f;
}

void kgold_free(kgold_case *c)
{
    for (int i = 0; i < c->n_tensor; i++)
        free(c->tv[i]);
    memset(c, 0, sizeof *c);
}

static void read_tensor(FILE *f, kgold_case *c)
{
    int i = c->n_tensor;
    ck_assert_int_lt(i, KGOLD_MAXKV);
    ck_assert_int_eq(fscanf(f, "%31s %zu", c->tk[i], &c->tn[i]), 2);
    ck_assert(c->tn[i] > 0 && c->tn[i] < 10000000);
    c->tv[i] = malloc(c->tn[i] * sizeof(float));
    ck_assert_ptr_nonnull(c->tv[i]);
    c->n_tensor++; /* counted before the values, so kgold_free releases it on a short read */
    for (size_t k = 0; k < c->tn[i]; k++)
        ck_assert_int_eq(fscanf(f, "%f", &c->tv[i][k]), 1);
}

int kgold_read(FILE *f, kgold_case *c)
{
    char kw[32];
    memset(c, 0, sizeof *c);
    if (fscanf(f, "%31s", kw) != 1)
        return 0;
    ck_assert_str_eq(kw, "case");
    ck_assert_int_eq(fscanf(f, "%95s", c->name), 1);
    for (;;) {
        ck_assert_int_eq(fscanf(f, "%31s", kw), 1);
        if (!strcmp(kw, "end"))
            return 1;
        if (!strcmp(kw, "int")) {
            ck_assert_int_lt(c->n_int, KGOLD_MAXKV);
            ck_assert_int_eq(fscanf(f, "%31s %ld", c->ik[c->n_int], &c->iv[c->n_int]), 2);
            c->n_int++;
        } else if (!strcmp(kw, "float")) {
            ck_assert_int_lt(c->n_float, KGOLD_MAXKV);
            ck_assert_int_eq(fscanf(f, "%31s %lf", c->fk[c->n_float], &c->fv[c->n_float]), 2);
            c->n_float++;
        } else if (!strcmp(kw, "tensor")) {
            read_tensor(f, c);
        } else {
            ck_abort_msg("golden %s: unknown keyword '%s'", c->name, kw);
        }
    }
}

/* index of key among the first n of keys, or -1 */
static int find_key(const char (*keys)[32], int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(keys[i], key))
            return i;
    return -1;
}

long kgold_int(const kgold_case *c, const char *key)
{
    int i = find_key(c->ik, c->n_int, key);
    ck_assert_msg(i >= 0, "golden %s: no int %s", c->name, key);
    return c->iv[i];
}

double kgold_float(const kgold_case *c, const char *key)
{
    int i = find_key(c->fk, c->n_float, key);
    ck_assert_msg(i >= 0, "golden %s: no float %s", c->name, key);
    return c->fv[i];
}

float *kgold_tensor_opt(const kgold_case *c, const char *key)
{
    int i = find_key(c->tk, c->n_tensor, key);
    return i < 0 ? NULL : c->tv[i];
}

float *kgold_tensor(const kgold_case *c, const char *key, size_t n)
{
    int i = find_key(c->tk, c->n_tensor, key);
    ck_assert_msg(i >= 0, "golden %s: no tensor %s", c->name, key);
    ck_assert_msg(c->tn[i] == n, "golden %s: tensor %s has %zu values, expected %zu", c->name,
                  key, c->tn[i], n);
    return c->tv[i];
}

double kgold_compare(const kgold_case *c, const char *what, const float *got, const float *ref,
                     size_t n)
{
    double scale = 0, worst = 0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(ref[i]));
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - ref[i]);
        double tol = KGOLD_RTOL * (fabs(ref[i]) + 0.01 * scale) + 1e-7;
        ck_assert_msg(err <= tol, "golden %s: %s[%zu] = %.9g, torch %.9g (tol %.3g)", c->name,
                      what, i, got[i], ref[i], tol);
        worst = fmax(worst, err);
    }
    return worst;
}
