/* The Fréchet distance between Gaussians fitted to classifier features, and the figures it
 * needs: covariance, symmetric eigen-decomposition, matrix square root. Everything is in
 * double: a covariance of ReLU features has eigenvalues spanning many decades, and the
 * distance is a small difference of large traces. */
#include "runtime/eval.h"
#include "common/err.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Cyclic Jacobi: each sweep zeroes every off-diagonal pair once; quadratic convergence once
 * the off-diagonal mass is small. Chosen over LAPACK because Debian's OpenBLAS ships no
 * LAPACKE header, and at the feature sizes here (<= a few hundred) it takes milliseconds. */
int gan_sym_eigen(double *a, int n, double *evals, double *evecs)
{
    double *v = evecs;
    if (v) {
        memset(v, 0, sizeof(double) * (size_t)n * n);
        for (int i = 0; i < n; i++)
            v[(size_t)i * n + i] = 1;
    }
    double scale = 0;
    for (size_t i = 0; i < (size_t)n * n; i++)
        scale += a[i] * a[i];
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++)
                off += a[(size_t)p * n + q] * a[(size_t)p * n + q];
        if (off <= 1e-30 * scale || off == 0) {
            for (int i = 0; i < n; i++)
                evals[i] = a[(size_t)i * n + i];
            return 0;
        }
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = a[(size_t)p * n + q];
                if (apq == 0)
                    continue;
                double app = a[(size_t)p * n + p], aqq = a[(size_t)q * n + q];
                double theta = (aqq - app) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) { /* columns p, q */
                    double akp = a[(size_t)k * n + p], akq = a[(size_t)k * n + q];
                    a[(size_t)k * n + p] = c * akp - s * akq;
                    a[(size_t)k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) { /* rows p, q */
                    double apk = a[(size_t)p * n + k], aqk = a[(size_t)q * n + k];
                    a[(size_t)p * n + k] = c * apk - s * aqk;
                    a[(size_t)q * n + k] = s * apk + c * aqk;
                }
                if (v)
                    for (int k = 0; k < n; k++) {
                        double vkp = v[(size_t)k * n + p], vkq = v[(size_t)k * n + q];
                        v[(size_t)k * n + p] = c * vkp - s * vkq;
                        v[(size_t)k * n + q] = s * vkp + c * vkq;
                    }
            }
    }
    return -1;
}

int gan_gauss_fit(const float *feat, size_t n, int d, gan_gauss *g, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    if (n < 2 || d < 1)
        return gan_errf(err, errlen, "Fréchet distance: needs at least 2 feature rows (got %zu)",
                        n);
    g->d = d;
    g->n = (long long)n;
    g->mean = calloc((size_t)d, sizeof(double));
    g->cov = calloc((size_t)d * d, sizeof(double));
    double *x = malloc(sizeof(double) * n * (size_t)d);
    if (!g->mean || !g->cov || !x) {
        free(x);
        gan_gauss_free(g);
        return gan_errf(err, errlen, "Fréchet distance: out of memory (%d features)", d);
    }
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < d; k++)
            g->mean[k] += feat[i * (size_t)d + k];
    for (int k = 0; k < d; k++)
        g->mean[k] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < d; k++)
            x[i * (size_t)d + k] = feat[i * (size_t)d + k] - g->mean[k];
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, (int)n, 1.0 / (double)(n - 1), x,
                d, x, d, 0.0, g->cov, d);
    free(x);
    return 0;
}

void gan_gauss_free(gan_gauss *g)
{
    free(g->mean);
    free(g->cov);
    g->mean = g->cov = NULL;
}

/* out = sqrt of the symmetric PSD matrix s (d x d), through its eigenvectors. */
static int sym_sqrt(const double *s, int d, double *out, double *work)
{
    double *a = work, *v = work + (size_t)d * d, *ev = work + 2 * (size_t)d * d;
    double *vs = work + 2 * (size_t)d * d + d;
    memcpy(a, s, sizeof(double) * (size_t)d * d);
    if (gan_sym_eigen(a, d, ev, v))
        return -1;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            vs[(size_t)i * d + j] = v[(size_t)i * d + j] * sqrt(ev[j] > 0 ? ev[j] : 0);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d, d, d, 1.0, vs, d, v, d, 0.0, out, d);
    return 0;
}

int gan_frechet_distance(const gan_gauss *a, const gan_gauss *b, double *fd, char *err,
                         size_t errlen)
{
    if (a->d != b->d)
        return gan_errf(err, errlen, "Fréchet distance: %d features against %d", a->d, b->d);
    int d = a->d;
    size_t dd = (size_t)d * d;
    double *w = malloc(sizeof(double) * (6 * dd + (size_t)d));
    if (!w)
        return gan_errf(err, errlen, "Fréchet distance: out of memory (%d features)", d);
    double *r = w, *t = w + dd, *m = w + 2 * dd, *work = w + 3 * dd;
    int rc = sym_sqrt(a->cov, d, r, work);
    if (!rc) {
        /* R S_b R is symmetric PSD with the eigenvalues of S_a S_b */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, r, d, b->cov, d,
                    0.0, t, d);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, t, d, r, d, 0.0, m,
                    d);
        for (int i = 0; i < d; i++) /* exact symmetry for the rotations */
            for (int j = i + 1; j < d; j++)
                m[(size_t)i * d + j] = m[(size_t)j * d + i] =
                    0.5 * (m[(size_t)i * d + j] + m[(size_t)j * d + i]);
        rc = gan_sym_eigen(m, d, work, NULL);
    }
    if (rc) {
        free(w);
        return gan_errf(err, errlen, "Fréchet distance: the eigen-decomposition did not converge");
    }
    double dist = 0, tr = 0;
    for (int k = 0; k < d; k++) {
        double e = a->mean[k] - b->mean[k];
        dist += e * e;
        tr += a->cov[(size_t)k * d + k] + b->cov[(size_t)k * d + k];
        tr -= 2 * sqrt(work[k] > 0 ? work[k] : 0);
    }
    free(w);
    *fd = dist + tr;
    return 0;
}

double gan_mean_pairwise_distance(const float *feat, size_t n, int d, size_t max_rows)
{
    if (n > max_rows)
        n = max_rows;
    if (n < 2)
        return NAN;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) {
                double e = (double)feat[i * (size_t)d + k] - feat[j * (size_t)d + k];
                s += e * e;
            }
            sum += sqrt(s);
        }
    return sum / ((double)n * (double)(n - 1) / 2);
}
