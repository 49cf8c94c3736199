/* Parameter and state initialisation from the gan_tensor init specs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/train.h"

static void fans(const gan_tensor *t, double *fan_in, double *fan_out)
{
    double fi = t->fan_in, fo = t->fan_out;
    if (fi <= 0 || fo <= 0) {
        double rf = 1; /* receptive field: kh*kw for convolutions */
        for (int d = 2; d < t->ndim; d++)
            rf *= t->shape[d];
        if (t->ndim >= 2) {
            if (fi <= 0) fi = (double)t->shape[1] * rf;
            if (fo <= 0) fo = (double)t->shape[0] * rf;
        } else {
            if (fi <= 0) fi = (double)t->numel;
            if (fo <= 0) fo = (double)t->numel;
        }
    }
    *fan_in = fi > 0 ? fi : 1;
    *fan_out = fo > 0 ? fo : 1;
}

int gan_init_orthogonal(float *w, int rows, int cols, float gain, gan_rng *rng)
{
    if (rows <= 0 || cols <= 0)
        return -1;
    int big = rows > cols ? rows : cols, small = rows > cols ? cols : rows;
    double *a = malloc((size_t)big * small * sizeof *a);
    if (!a)
        return -1;
    /* small vectors of length big, each orthonormalised against the previous ones by
     * modified Gram-Schmidt, run twice ("twice is enough") so the result is orthonormal to
     * rounding even for nearly dependent draws. */
    for (int j = 0; j < small; j++) {
        double *v = a + (size_t)j * big;
        int ok = 0;
        for (int attempt = 0; attempt < 8 && !ok; attempt++) {
            for (int k = 0; k < big; k++)
                v[k] = gan_rng_normal(rng);
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < j; i++) {
                    const double *q = a + (size_t)i * big;
                    double dot = 0;
                    for (int k = 0; k < big; k++)
                        dot += q[k] * v[k];
                    for (int k = 0; k < big; k++)
                        v[k] -= dot * q[k];
                }
            }
            double nrm = 0;
            for (int k = 0; k < big; k++)
                nrm += v[k] * v[k];
            nrm = sqrt(nrm);
            if (nrm > 1e-8) {
                for (int k = 0; k < big; k++)
                    v[k] /= nrm;
                ok = 1;
            }
        }
        if (!ok) {
            free(a);
            return -1;
        }
    }
    double g = gain != 0.0f ? gain : 1.0;
    if (rows <= cols) { /* rows are the vectors */
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                w[(size_t)r * cols + c] = (float)(g * a[(size_t)r * big + c]);
    } else { /* columns are the vectors */
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                w[(size_t)r * cols + c] = (float)(g * a[(size_t)c * big + r]);
    }
    free(a);
    return 0;
}

int gan_init_tensor(const gan_model *m, float *const base[GAN_REGION_COUNT], int ti, gan_rng *rng,
                    char *err, size_t errlen)
{
    const gan_tensor *t = &m->tensors[ti];
    if (t->region != GAN_REGION_PARAM && t->region != GAN_REGION_STATE) {
        snprintf(err, errlen, "tensor %s: not a parameter or state tensor", t->name);
        return -1;
    }
    if (t->offset + t->numel > m->region_floats[t->region]) {
        snprintf(err, errlen, "tensor %s: outside its region", t->name);
        return -1;
    }
    float *x = base[t->region] + t->offset;
    size_t n = (size_t)t->numel;
    double fi, fo;
    fans(t, &fi, &fo);
    switch (t->init) {
    case GAN_INIT_NONE:
    case GAN_INIT_ZEROS:
        memset(x, 0, n * sizeof *x);
        return 0;
    case GAN_INIT_ONES:
        for (size_t i = 0; i < n; i++)
            x[i] = 1.0f;
        return 0;
    case GAN_INIT_NORMAL:
        gan_rng_fill_normal(rng, x, n, 0.0f, t->init_arg);
        return 0;
    case GAN_INIT_UNIFORM:
        gan_rng_fill_uniform(rng, x, n, -t->init_arg, t->init_arg);
        return 0;
    case GAN_INIT_GLOROT_UNIFORM: {
        float l = (float)sqrt(6.0 / (fi + fo));
        gan_rng_fill_uniform(rng, x, n, -l, l);
        return 0;
    }
    case GAN_INIT_HE_NORMAL:
        gan_rng_fill_normal(rng, x, n, 0.0f, (float)sqrt(2.0 / fi));
        return 0;
    case GAN_INIT_ORTHOGONAL: {
        int rows = t->shape[0];
        if (rows <= 0 || t->numel % (uint64_t)rows) {
            snprintf(err, errlen, "tensor %s: cannot view as a matrix for orthogonal init",
                     t->name);
            return -1;
        }
        uint64_t cols = t->numel / (uint64_t)rows;
        if (cols > (1u << 30) || gan_init_orthogonal(x, rows, (int)cols, t->init_arg, rng)) {
            snprintf(err, errlen, "tensor %s: orthogonal init failed (%d x %llu)", t->name, rows,
                     (unsigned long long)cols);
            return -1;
        }
        return 0;
    }
    case GAN_INIT_UNIT_NORMAL: {
        gan_rng_fill_normal(rng, x, n, 0.0f, 1.0f);
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += (double)x[i] * x[i];
        s = sqrt(s);
        if (s < 1e-12)
            s = 1;
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(x[i] / s);
        return 0;
    }
    case GAN_INIT_COPY: {
        int src = t->init_src;
        if (src < 0 || src >= m->n_tensors || src == ti) {
            snprintf(err, errlen, "tensor %s: copy init from invalid tensor %d", t->name, src);
            return -1;
        }
        const gan_tensor *s = &m->tensors[src];
        if (s->numel != t->numel ||
            (s->region != GAN_REGION_PARAM && s->region != GAN_REGION_STATE) ||
            s->offset + s->numel > m->region_floats[s->region]) {
            snprintf(err, errlen, "tensor %s: copy init from %s of a different size or region",
                     t->name, s->name);
            return -1;
        }
        memmove(x, base[s->region] + s->offset, n * sizeof *x);
        return 0;
    }
    default:
        snprintf(err, errlen, "tensor %s: unknown init kind %d", t->name, t->init);
        return -1;
    }
}

int gan_init_all(const gan_model *m, float *const base[GAN_REGION_COUNT], gan_rng *rng, char *err,
                 size_t errlen)
{
    /* pass 0: parts; pass 1: aggregates with an init of their own; pass 2: copies. An
     * aggregate without an init must not clobber its parts. */
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < m->n_tensors; i++) {
            const gan_tensor *t = &m->tensors[i];
            if (t->region != GAN_REGION_PARAM && t->region != GAN_REGION_STATE)
                continue;
            int agg = (t->flags & GAN_TF_AGGREGATE) != 0;
            int copy = t->init == GAN_INIT_COPY;
            int mine = pass == 2 ? copy
                     : pass == 1 ? (agg && !copy && t->init != GAN_INIT_NONE)
                                 : (!agg && !copy);
            if (mine && gan_init_tensor(m, base, i, rng, err, errlen))
                return -1;
        }
    }
    return 0;
}
