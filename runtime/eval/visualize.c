/* Gradient ascent on a classifier's input (runtime/eval.h, docs/evaluation.md). The model's
 * visualize program gives, for a batch of images and a direction per image, the logits and
 * d(mean(direction * logits))/d(images); everything else here is the ascent around it. */
#include "runtime/eval.h"
#include "runtime/exec.h"
#include "runtime/kernels.h"
#include "runtime/train.h"
#include "common/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const gan_model *m;
    const gan_program *p;
    float *base[GAN_REGION_COUNT];
    kern_scratch *scratch;
    int x_t, d_t, logit_t, grad_t;
    int batch, c, h, w, k; /* k: logits per image */
} vis_ctx;

static void vis_free(vis_ctx *v)
{
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        free(v->base[r]);
    kern_scratch_free(v->scratch);
}

static int vis_open(vis_ctx *v, const gan_model *m, const char *ckpt, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    v->m = m;
    int pi = gan_model_find_role(m, GAN_PROG_VISUALIZE);
    if (pi < 0)
        return gan_errf(err, errlen, "the model has no visualize program (a classifier of "
                        "images alone, or a GAN whose D reads the image alone and has an "
                        "attribute head, compiled by this version of ganc, has one)");
    v->p = &m->programs[pi];
    v->x_t = v->d_t = -1;
    for (int i = 0; i < v->p->n_inputs; i++) {
        if (v->p->input_roles[i] == GAN_ROLE_IMAGE)
            v->x_t = v->p->inputs[i];
        if (v->p->input_roles[i] == GAN_ROLE_DIRECTION)
            v->d_t = v->p->inputs[i];
    }
    const gan_hyper *h = &m->hyper;
    v->batch = h->batch, v->c = h->image_c, v->h = h->image_h, v->w = h->image_w;
    if (v->x_t < 0 || v->d_t < 0 || v->p->n_outputs < 3)
        return gan_errf(err, errlen, "visualize program: not an image + direction program");
    v->logit_t = v->p->outputs[0];
    v->grad_t = v->p->outputs[v->p->n_outputs - 2];
    const gan_tensor *lt = &m->tensors[v->logit_t], *gt = &m->tensors[v->grad_t];
    if (v->batch < 1 || lt->numel % (uint64_t)v->batch || m->tensors[v->d_t].numel != lt->numel ||
        gt->numel != m->tensors[v->x_t].numel ||
        gt->numel != (uint64_t)v->batch * v->c * v->h * v->w)
        return gan_errf(err, errlen, "visualize program: its tensors do not have the model's "
                        "batch and image shape");
    v->k = (int)(lt->numel / (uint64_t)v->batch);
    v->scratch = kern_scratch_new();
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        if (!(v->base[r] = calloc((size_t)m->region_floats[r] + 16, sizeof(float))) ||
            !v->scratch)
            return gan_errf(err, errlen, "out of memory allocating the classifier's memory");
    return gan_ckpt_load(ckpt, m, v->base, NULL, err, errlen) ||
                   gan_exec_check(m, v->p, v->base, err, errlen)
               ? -1
               : 0;
}

/* dst = src shifted by (dy, dx) with wrap-around, per plane. */
static void roll(float *dst, const float *src, int planes, int h, int w, int dy, int dx)
{
    for (int p = 0; p < planes; p++)
        for (int y = 0; y < h; y++) {
            int sy = ((y - dy) % h + h) % h;
            for (int x = 0; x < w; x++)
                dst[((size_t)p * h + y) * w + x] = src[((size_t)p * h + sy) * w + ((x - dx) % w + w) % w];
        }
}

/* x = (1 - b) x + b * (1 2 1)^T (1 2 1) / 16 * x, edges clamped; tmp: one plane. */
static void blur(float *x, float *tmp, int planes, int h, int w, float b)
{
    for (int p = 0; p < planes; p++) {
        float *q = x + (size_t)p * h * w;
        for (int y = 0; y < h; y++)
            for (int c = 0; c < w; c++) {
                float s = 0;
                for (int j = -1; j <= 1; j++)
                    for (int i = -1; i <= 1; i++) {
                        int yy = y + j < 0 ? 0 : y + j >= h ? h - 1 : y + j;
                        int xx = c + i < 0 ? 0 : c + i >= w ? w - 1 : c + i;
                        s += (float)((2 - abs(j)) * (2 - abs(i))) * q[yy * w + xx];
                    }
                tmp[y * w + c] = s / 16.0f;
            }
        for (int i = 0; i < h * w; i++)
            q[i] = (1.0f - b) * q[i] + b * tmp[i];
    }
}

/* One run of the program on x shifted by (dy, dx): g (may be NULL) gets the gradient
 * shifted back, obj the per-image objective of the first cnt images. */
static int vis_run(vis_ctx *v, const float *x, const float *dir, int cnt, int dy, int dx,
                   float *g, float *obj, int threads, char *err, size_t errlen)
{
    const gan_model *m = v->m;
    float *in = gan_tensor_ptr(m, v->base, v->x_t), *d = gan_tensor_ptr(m, v->base, v->d_t);
    roll(in, x, v->batch * v->c, v->h, v->w, dy, dx);
    memset(d, 0, sizeof(float) * (size_t)v->batch * v->k);
    memcpy(d, dir, sizeof(float) * (size_t)cnt * v->k);
    char e2[512];
    if (gan_exec_run_checked(m, v->p, v->base, threads, v->scratch, e2, sizeof e2))
        return gan_errf(err, errlen, "visualize: %s", e2);
    const float *lg = gan_tensor_ptr(m, v->base, v->logit_t);
    for (int i = 0; obj && i < cnt; i++) {
        double s = 0;
        for (int j = 0; j < v->k; j++)
            s += (double)dir[(size_t)i * v->k + j] * lg[(size_t)i * v->k + j];
        obj[i] = (float)s;
    }
    if (g)
        roll(g, gan_tensor_ptr(m, v->base, v->grad_t), v->batch * v->c, v->h, v->w, -dy, -dx);
    return 0;
}

/* The ascent for one batch: x holds the random start and gets the result. */
static int ascend(vis_ctx *v, const gan_vis_opts *o, float *x, const float *dir, int cnt,
                  gan_rng *rng, float *g, float *tmp, char *err, size_t errlen)
{
    const gan_hyper *h = &v->m->hyper;
    size_t per = (size_t)v->c * v->h * v->w;
    float lo = h->range_lo, hi = h->range_hi, step = o->lr * (hi - lo);
    for (int s = 0; s < o->steps; s++) {
        int span = 2 * o->jitter + 1;
        int dy = o->jitter ? (int)(gan_rng_next(rng) % (uint64_t)span) - o->jitter : 0;
        int dx = o->jitter ? (int)(gan_rng_next(rng) % (uint64_t)span) - o->jitter : 0;
        if (vis_run(v, x, dir, cnt, dy, dx, g, NULL, o->threads, err, errlen))
            return -1;
        for (int i = 0; i < cnt; i++) {
            float *xi = x + (size_t)i * per, *gi = g + (size_t)i * per;
            double a = 0;
            for (size_t j = 0; j < per; j++)
                a += fabsf(gi[j]);
            float k = a > 0 ? step / (float)(a / (double)per) : 0.0f;
            for (size_t j = 0; j < per; j++) {
                float u = xi[j] + k * gi[j];
                xi[j] = u < lo ? lo : u > hi ? hi : u;
            }
        }
        if (o->blur_every > 0 && o->blur > 0 && (s + 1) % o->blur_every == 0)
            blur(x, tmp, cnt * v->c, v->h, v->w, o->blur);
    }
    return 0;
}

int gan_visualize(const gan_model *m, const char *ckpt_path, const gan_vis_opts *o, int n,
                  const float *dir, float *images, float *before, float *after, char *err,
                  size_t errlen)
{
    if (n < 1 || o->steps < 1 || !(o->lr > 0) || o->jitter < 0 || o->blur < 0 || o->blur > 1)
        return gan_errf(err, errlen, "visualize: bad settings (n %d, steps %d, lr %g, jitter "
                        "%d, blur %g)", n, o->steps, (double)o->lr, o->jitter, (double)o->blur);
    vis_ctx v;
    if (vis_open(&v, m, ckpt_path, err, errlen)) {
        vis_free(&v);
        return -1;
    }
    size_t per = (size_t)v.c * v.h * v.w;
    float *x = malloc(sizeof(float) * per * v.batch), *g = malloc(sizeof(float) * per * v.batch);
    float *tmp = malloc(sizeof(float) * (size_t)v.h * v.w);
    float *obj = malloc(sizeof(float) * v.batch);
    int rc = !x || !g || !tmp || !obj ? gan_errf(err, errlen, "out of memory") : 0;
    gan_rng rng;
    gan_rng_seed(&rng, gan_mix64(o->seed ^ 0x56495355414cull)); /* "VISUAL" */
    const gan_hyper *h = &m->hyper;
    float mid = 0.5f * (h->range_lo + h->range_hi), sd = 0.1f * (h->range_hi - h->range_lo);
    for (int at = 0; !rc && at < n; at += v.batch) {
        int cnt = n - at < v.batch ? n - at : v.batch;
        for (size_t j = 0; j < per * v.batch; j++)
            x[j] = j < per * cnt ? mid + sd * (float)gan_rng_normal(&rng) : mid;
        const float *d = dir + (size_t)at * v.k;
        rc = vis_run(&v, x, d, cnt, 0, 0, NULL, obj, o->threads, err, errlen);
        if (!rc && before)
            memcpy(before + at, obj, sizeof(float) * cnt);
        if (!rc)
            rc = ascend(&v, o, x, d, cnt, &rng, g, tmp, err, errlen);
        if (!rc)
            rc = vis_run(&v, x, d, cnt, 0, 0, NULL, obj, o->threads, err, errlen);
        if (!rc && after)
            memcpy(after + at, obj, sizeof(float) * cnt);
        if (!rc)
            memcpy(images + (size_t)at * per, x, sizeof(float) * per * cnt);
    }
    free(x);
    free(g);
    free(tmp);
    free(obj);
    vis_free(&v);
    return rc;
}
