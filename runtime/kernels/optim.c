/* Adam (PyTorch's form, bias-corrected; beta1 may be 0), SGD with momentum, RMSprop, the
 * learning-rate schedule they share, and the EMA of weights. */
#include <math.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

void kern_adam(float *p, const float *g, float *m, float *v, size_t n, float t, float lr,
               float beta1, float beta2, float eps, int threads)
{
    double bc1 = 1.0 - pow((double)beta1, (double)t), bc2 = 1.0 - pow((double)beta2, (double)t);
    float step = (float)(lr / bc1), rbc2 = (float)(1.0 / sqrt(bc2));
    float b1 = beta1, b2 = beta2, c1 = 1.0f - beta1, c2 = 1.0f - beta2;
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + c1 * gi;
        float vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        /* lr * (m/bc1) / (sqrt(v)/sqrt(bc2) + eps) */
        p[i] -= step * mi / (sqrtf(vi) * rbc2 + eps);
    }
}

void kern_ema(const float *p, float *ema, size_t n, float decay, int threads)
{
    float c = 1.0f - decay;
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        ema[i] = decay * ema[i] + c * p[i];
}

void kern_sgd(float *p, const float *g, float *buf, size_t n, float lr, float momentum, float wd,
              int threads)
{
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++) {
        float gi = g[i] + wd * p[i];
        /* the buffer starts at zero, so the first step's buf is g, as torch's */
        float bi = momentum * buf[i] + gi;
        buf[i] = bi;
        p[i] -= lr * bi;
    }
}

void kern_rmsprop(float *p, const float *g, float *sq, size_t n, float lr, float alpha,
                  float eps, float wd, int threads)
{
    float c = 1.0f - alpha;
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++) {
        float gi = g[i] + wd * p[i];
        float si = alpha * sq[i] + c * gi * gi;
        sq[i] = si;
        p[i] -= lr * gi / (sqrtf(si) + eps);
    }
}

void kern_scale(float *p, size_t n, float s, int threads)
{
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) num_threads(kern_nt(threads)) if (n >= KERN_PAR_MIN)
    for (long long i = 0; i < nn; i++)
        p[i] *= s;
}

float kern_lr_at(float lr, double t, int kind, int warmup, int hold, int last, float final_share)
{
    double w = warmup > 0 && t < warmup ? t / warmup : 1.0, d = 1.0;
    int start = hold > warmup ? hold : warmup;
    if (kind != KERN_LR_CONSTANT && last > start) {
        double q = (t - start) / (double)(last - start);
        q = q < 0 ? 0 : q > 1 ? 1 : q;
        double f = final_share;
        d = kind == KERN_LR_LINEAR ? 1.0 - (1.0 - f) * q : f + (1.0 - f) * 0.5 * (1.0 + cos(M_PI * q));
    }
    return (float)(lr * w * d);
}
