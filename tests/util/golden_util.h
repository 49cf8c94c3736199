/* Reader of the PyTorch golden files of tests/golden/kernels/ (the text format that
 * tests/gen_golden.py documents) and the comparison rule of the golden tests, for Check suites
 * (a malformed file or a missing key fails the running test). Names prefixed kgold_. */
#ifndef KGOLD_UTIL_H
#define KGOLD_UTIL_H

#include <stddef.h>
#include <stdio.h>

#define KGOLD_MAXKV 48

typedef struct {
    char name[96];
    int n_int, n_float, n_tensor;
    char ik[KGOLD_MAXKV][32], fk[KGOLD_MAXKV][32], tk[KGOLD_MAXKV][32];
    long iv[KGOLD_MAXKV];
    double fv[KGOLD_MAXKV];
    float *tv[KGOLD_MAXKV];
    size_t tn[KGOLD_MAXKV];
} kgold_case;

/* Opens tests/golden/kernels/<file> from the repository root: the current directory, or two
 * levels above $GAN_BUILD (build/<variant>). NULL when neither has it. */
FILE *kgold_open(const char *file);

/* Reads the next case into c: 1 = got one, 0 = end of file. */
int kgold_read(FILE *f, kgold_case *c);
void kgold_free(kgold_case *c);

long kgold_int(const kgold_case *c, const char *key);
double kgold_float(const kgold_case *c, const char *key);
/* the tensor, which must hold n values */
float *kgold_tensor(const kgold_case *c, const char *key, size_t n);
/* the tensor, or NULL when the case has none of that name */
float *kgold_tensor_opt(const kgold_case *c, const char *key);

/* Fails unless |got - ref| <= 1e-4 * (|ref| + 0.01 max|ref|) + 1e-7 everywhere (a relative
 * tolerance with a floor for elements that are sums cancelling to near zero); returns the
 * largest |got - ref|. */
double kgold_compare(const kgold_case *c, const char *what, const float *got, const float *ref,
                     size_t n);

#endif
