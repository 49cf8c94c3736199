#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/util/kern_util.h"

void kernt_seed(kernt_rng *r, unsigned long long seed) { r->s = seed * 2654435761ull + 88172645463325252ull; }

static unsigned long long next(kernt_rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

float kernt_uniform(kernt_rng *r, float lo, float hi)
{
    return lo + (hi - lo) * (float)((next(r) >> 40) / (double)(1ull << 24));
}

void kernt_fill(kernt_rng *r, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = kernt_uniform(r, lo, hi);
}

float *kernt_alloc(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof *p);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    return p;
}

static double proj(kernt_gc *g, float *const *r)
{
    double L = 0.0;
    for (int j = 0; j < g->n_out; j++)
        for (size_t i = 0; i < g->out_n[j]; i++)
            L += (double)r[j][i] * g->out[j][i];
    return L;
}

int kernt_gradcheck(kernt_gc *g, double eps, double atol, double rtol, int max_checks,
                    unsigned long long seed, char *msg, size_t msglen)
{
    kernt_rng rng;
    kernt_seed(&rng, seed);
    float *r[KT_MAX] = {0}, *dy[KT_MAX] = {0}, *dx[KT_MAX] = {0}, *zp[KT_MAX] = {0},
          *zm[KT_MAX] = {0};
    g->n_checked = g->n_skipped = 0;
    for (int j = 0; j < g->n_out; j++) {
        zp[j] = kernt_alloc(g->out_n[j]);
        zm[j] = kernt_alloc(g->out_n[j]);
        r[j] = kernt_alloc(g->out_n[j]);
        dy[j] = kernt_alloc(g->out_n[j]);
        kernt_fill(&rng, r[j], g->out_n[j], -1.0f, 1.0f);
        memcpy(dy[j], r[j], g->out_n[j] * sizeof(float));
    }
    /* the backward must ADD: prefill with a known value and take it off afterwards */
    const float pre = 0.375f;
    for (int i = 0; i < g->n_in; i++)
        if (g->check[i]) {
            dx[i] = kernt_alloc(g->in_n[i]);
            for (size_t k = 0; k < g->in_n[i]; k++)
                dx[i][k] = pre;
        }
    g->in_fd = 0;
    g->fwd(g);
    g->bwd(g, dy, dx);
    g->in_fd = 1;
    int bad = 0;
    if (msg && msglen)
        msg[0] = 0;
    for (int i = 0; i < g->n_in; i++) {
        if (!g->check[i])
            continue;
        size_t n = g->in_n[i];
        size_t step = (size_t)max_checks >= n ? 1 : n / (size_t)max_checks;
        for (size_t k = 0; k < n; k += step) {
            float x0 = g->in[i][k];
            if (g->pre) {
                g->in[i][k] = x0 + (float)eps;
                g->pre(g, zp);
                g->in[i][k] = x0 - (float)eps;
                g->pre(g, zm);
                int straddles = 0;
                for (int j = 0; j < g->n_out && !straddles; j++)
                    for (size_t q = 0; q < g->out_n[j]; q++)
                        if ((zp[j][q] > 0.0f) != (zm[j][q] > 0.0f)) {
                            straddles = 1;
                            break;
                        }
                g->in[i][k] = x0;
                if (straddles) {
                    g->n_skipped++;
                    continue;
                }
            }
            g->n_checked++;
            g->in[i][k] = x0 + (float)eps;
            g->fwd(g);
            double lp = proj(g, r);
            g->in[i][k] = x0 - (float)eps;
            g->fwd(g);
            double lm = proj(g, r);
            g->in[i][k] = x0;
            /* the actual perturbation after float rounding */
            double h = ((double)(x0 + (float)eps) - (double)(x0 - (float)eps));
            double num = (lp - lm) / h;
            double ana = (double)dx[i][k] - pre;
            double tol = atol + rtol * fmax(fabs(num), fabs(ana));
            if (fabs(num - ana) > tol) {
                if (!bad && msg && msglen)
                    snprintf(msg, msglen, "input %d element %zu: analytic %.6g numeric %.6g", i,
                             k, ana, num);
                bad++;
            }
        }
    }
    g->in_fd = 0;
    g->fwd(g); /* leave outputs at the unperturbed point */
    for (int j = 0; j < KT_MAX; j++) {
        free(r[j]);
        free(dy[j]);
        free(dx[j]);
        free(zp[j]);
        free(zm[j]);
    }
    return bad;
}

double kernt_close(const float *a, const float *b, size_t n, double atol, double rtol)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / (atol + rtol * fabs((double)b[i]));
        if (!(d <= worst)) /* NaN-safe */
            worst = isnan(d) ? INFINITY : d;
    }
    return worst;
}

void kernt_ref_conv2d(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                      float *y, int act, float alpha)
{
    for (int n = 0; n < s->n; n++)
        for (int o = 0; o < s->oc; o++)
            for (int oy = 0; oy < s->oh; oy++)
                for (int ox = 0; ox < s->ow; ox++) {
                    double acc = b ? b[o] : 0.0;
                    for (int c = 0; c < s->c; c++)
                        for (int ki = 0; ki < s->kh; ki++)
                            for (int kj = 0; kj < s->kw; kj++) {
                                int iy = oy * s->stride - s->pad_t + ki;
                                int ix = ox * s->stride - s->pad_l + kj;
                                if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
                                    continue;
                                acc += (double)w[((o * s->c + c) * s->kh + ki) * s->kw + kj] *
                                       x[((n * s->c + c) * s->h + iy) * s->w + ix];
                            }
                    y[((n * s->oc + o) * s->oh + oy) * s->ow + ox] = kern_act1((float)acc, act, alpha);
                }
}

void kernt_ref_conv2d_t(const kern_conv_shape *s, const float *x, const float *w, const float *b,
                        float *y, int act, float alpha)
{
    size_t ny = (size_t)s->n * s->oc * s->oh * s->ow;
    double *acc = calloc(ny, sizeof *acc);
    if (!acc)
        abort();
    for (int n = 0; n < s->n; n++)
        for (int c = 0; c < s->c; c++)
            for (int iy = 0; iy < s->h; iy++)
                for (int ix = 0; ix < s->w; ix++) {
                    double xv = x[((n * s->c + c) * s->h + iy) * s->w + ix];
                    for (int o = 0; o < s->oc; o++)
                        for (int ki = 0; ki < s->kh; ki++)
                            for (int kj = 0; kj < s->kw; kj++) {
                                int oy = iy * s->stride - s->pad_t + ki;
                                int ox = ix * s->stride - s->pad_l + kj;
                                if (oy < 0 || oy >= s->oh || ox < 0 || ox >= s->ow)
                                    continue;
                                acc[((n * s->oc + o) * s->oh + oy) * s->ow + ox] +=
                                    xv * w[((c * s->oc + o) * s->kh + ki) * s->kw + kj];
                            }
                }
    for (int n = 0; n < s->n; n++)
        for (int o = 0; o < s->oc; o++)
            for (int p = 0; p < s->oh * s->ow; p++) {
                size_t i = ((size_t)n * s->oc + o) * s->oh * s->ow + p;
                y[i] = kern_act1((float)(acc[i] + (b ? b[o] : 0.0)), act, alpha);
            }
    free(acc);
}

void kernt_ref_dense(const float *x, const float *w, const float *b, float *y, int n, int k, int m,
                     int act, float alpha)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) {
            double acc = b ? b[j] : 0.0;
            for (int p = 0; p < k; p++)
                acc += (double)x[i * k + p] * w[j * k + p];
            y[i * m + j] = kern_act1((float)acc, act, alpha);
        }
}

void kernt_gc_setup(kernt_gc *g, unsigned long long seed, float lo, float hi)
{
    kernt_rng r;
    kernt_seed(&r, seed);
    for (int i = 0; i < g->n_in; i++) {
        g->in[i] = kernt_alloc(g->in_n[i]);
        kernt_fill(&r, g->in[i], g->in_n[i], lo, hi);
    }
    for (int j = 0; j < g->n_out; j++)
        g->out[j] = kernt_alloc(g->out_n[j]);
}

void kernt_gc_free(kernt_gc *g)
{
    for (int i = 0; i < g->n_in; i++)
        free(g->in[i]);
    for (int j = 0; j < g->n_out; j++)
        free(g->out[j]);
}
