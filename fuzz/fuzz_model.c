/* Fuzz target: model.bin bytes, as ganrt reads them: gan_model_load_mem (parse + validate),
 * once as given and once with the checksums repaired; a model that loads then runs every
 * program once through the interpreter on its inputs. Models whose plan is larger than
 * FUZZ_MODEL_MAX_FLOATS are skipped rather than allocated: the loader's own bound (64 GiB,
 * GAN_MODEL_MAX_BYTES) is far beyond what a fuzzing process should touch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format/model.h"
#include "fuzz/fuzz.h"
#include "runtime/exec.h"

#define FUZZ_MODEL_MAX_FLOATS (1u << 20)
#define FUZZ_MODEL_MAX_OPS 4096

/* Deterministic, bounded values: the point is the interpreter's indexing, not the numbers. */
static void fill(float *x, uint64_t n, uint32_t seed, float lo, float hi)
{
    for (uint64_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = lo + (hi - lo) * (float)(seed >> 8) / 16777216.0f;
    }
}

static void fill_inputs(const gan_model *m, const gan_program *p, float *const base[])
{
    for (int k = 0; k < p->n_inputs; k++) {
        const gan_tensor *t = &m->tensors[p->inputs[k]];
        float *x = gan_tensor_ptr(m, base, p->inputs[k]);
        if (p->input_roles[k] == GAN_ROLE_LABELS) {
            for (uint64_t i = 0; i < t->numel; i++)
                x[i] = (float)(i % 3 == 0);
        } else if (p->input_roles[k] == GAN_ROLE_IMAGE) {
            float lo = m->hyper.range_lo, hi = m->hyper.range_hi;
            fill(x, t->numel, 7u + (uint32_t)k, isfinite(lo) ? lo : -1, isfinite(hi) ? hi : 1);
        } else {
            fill(x, t->numel, 11u + (uint32_t)k, -2, 2);
        }
    }
}

static void run_programs(const gan_model *m)
{
    uint64_t floats = 0, ops = 0;
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        floats += m->region_floats[r];
    for (int i = 0; i < m->n_programs; i++)
        ops += (uint64_t)m->programs[i].n_ops;
    if (floats > FUZZ_MODEL_MAX_FLOATS || ops > FUZZ_MODEL_MAX_OPS)
        return;
    float *base[GAN_REGION_COUNT] = {0};
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        if (!(base[r] = calloc((size_t)m->region_floats[r] + 1, sizeof(float))))
            goto out;
    fill(base[GAN_REGION_PARAM], m->region_floats[GAN_REGION_PARAM], 3u, -0.1f, 0.1f);
    fill(base[GAN_REGION_STATE], m->region_floats[GAN_REGION_STATE], 5u, 0.0f, 0.5f);
    for (int i = 0; i < m->n_programs; i++) {
        char err[512];
        fill_inputs(m, &m->programs[i], base);
        (void)gan_exec_program(m, &m->programs[i], base, 1, err, sizeof err);
    }
out:
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        free(base[r]);
}

int fuzz_model_one(const uint8_t *data, size_t len)
{
    char err[512];
    gan_model *m = gan_model_load_mem(data, len, "fuzz.bin", err, sizeof err);
    if (m) {
        run_programs(m);
        gan_model_free(m);
        return 0;
    }
    uint8_t *copy = malloc(len + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, len);
    fuzz_fix_model_crcs(copy, len);
    m = gan_model_load_mem(copy, len, "fuzz.bin", err, sizeof err);
    if (m)
        run_programs(m);
    gan_model_free(m);
    free(copy);
    return 0;
}
