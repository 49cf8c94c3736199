#include "tests/util/lower_run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float lower_rt_uniform(lower_rt *r)
{
    r->rng = r->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((r->rng >> 40) & 0xFFFFFF) / 16777216.0f;
}

int lower_rt_init(lower_rt *r, gan_model *m, unsigned long long seed)
{
    uint64_t off = 0;
    for (int t = 0; t < m->n_tensors; t++)
        if (m->tensors[t].region == GAN_REGION_ARENA) {
            m->tensors[t].offset = off;
            off += m->tensors[t].numel;
        }
    m->region_floats[GAN_REGION_ARENA] = off;
    return lower_rt_init_planned(r, m, seed);
}

int lower_rt_init_planned(lower_rt *r, gan_model *m, unsigned long long seed)
{
    memset(r, 0, sizeof *r);
    r->m = m;
    r->rng = seed * 2654435761ULL + 12345;
    for (int g = 0; g < GAN_REGION_COUNT; g++) {
        r->base[g] = calloc(m->region_floats[g] + 1, sizeof(float));
        if (!r->base[g]) {
            lower_rt_free(r);
            return -1;
        }
    }
    return 0;
}

void lower_rt_free(lower_rt *r)
{
    for (int g = 0; g < GAN_REGION_COUNT; g++) {
        free(r->base[g]);
        r->base[g] = NULL;
    }
}

void lower_rt_init_params(lower_rt *r)
{
    const gan_model *m = r->m;
    for (int t = 0; t < m->n_tensors; t++) {
        const gan_tensor *x = &m->tensors[t];
        if ((x->flags & GAN_TF_AGGREGATE) || x->region == GAN_REGION_ARENA ||
            x->region == GAN_REGION_GRAD)
            continue;
        float *d = r->base[x->region] + x->offset;
        switch (x->init) {
        case GAN_INIT_ZEROS:
            /* biases and beta get small values so every gradient path is exercised */
            for (uint64_t i = 0; i < x->numel; i++)
                d[i] = x->region == GAN_REGION_PARAM ? 0.2f * (lower_rt_uniform(r) - 0.5f) : 0;
            break;
        case GAN_INIT_ONES:
            for (uint64_t i = 0; i < x->numel; i++)
                d[i] = x->region == GAN_REGION_PARAM ? 0.8f + 0.4f * lower_rt_uniform(r) : 1;
            break;
        case GAN_INIT_UNIT_NORMAL: {
            double s = 0;
            for (uint64_t i = 0; i < x->numel; i++) {
                d[i] = lower_rt_uniform(r) - 0.5f;
                s += (double)d[i] * d[i];
            }
            for (uint64_t i = 0; i < x->numel; i++)
                d[i] /= (float)sqrt(s);
            break;
        }
        case GAN_INIT_COPY:
            memcpy(d, r->base[m->tensors[x->init_src].region] + m->tensors[x->init_src].offset,
                   x->numel * sizeof(float));
            break;
        default: {
            float a = 1.0f / sqrtf((float)(x->fan_in > 0 ? x->fan_in : 1));
            for (uint64_t i = 0; i < x->numel; i++)
                d[i] = a * (2 * lower_rt_uniform(r) - 1);
        }
        }
    }
}

void lower_rt_fill_inputs(lower_rt *r, const gan_program *p)
{
    const gan_model *m = r->m;
    for (int i = 0; i < p->n_inputs; i++) {
        const gan_tensor *x = &m->tensors[p->inputs[i]];
        float *d = r->base[x->region] + x->offset;
        switch (p->input_roles[i]) {
        case GAN_ROLE_IMAGE:
            for (uint64_t k = 0; k < x->numel; k++)
                d[k] = 2 * lower_rt_uniform(r) - 1;
            break;
        case GAN_ROLE_LABELS: {
            int L = x->shape[1];
            for (int n = 0; n < x->shape[0]; n++) {
                int hot = (int)(lower_rt_uniform(r) * L) % L;
                for (int l = 0; l < L; l++)
                    d[n * L + l] = m->hyper.label_kind == GAN_LABELS_CATEGORICAL
                                       ? (float)(l == hot)
                                       : (float)(lower_rt_uniform(r) < 0.5f);
            }
            break;
        }
        default:
            for (uint64_t k = 0; k < x->numel; k++)
                d[k] = 3.4641f * (lower_rt_uniform(r) - 0.5f);
        }
    }
}
