/* Fuzz target: checkpoint bytes against a fixed small conditional GAN (fuzz_small_gan, the
 * model the seed checkpoints were written for): gan_ckpt_load_mem as given and with its CRCs
 * repaired (what --ckpt / --resume do), and gan_ckpt_load_matching (what --init does, which
 * reads a path: the input goes through one scratch file per process). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/backend.h"
#include "compiler/frontend.h"
#include "fuzz/fuzz.h"
#include "runtime/train.h"

const char fuzz_small_gan[] =
    "data tiny {\n"
    "  image 1 x 8 x 8  range [-1, 1]\n"
    "  labels [Smiling, Male]\n"
    "}\n"
    "latent z : 4 ~ normal\n"
    "defaults conv, conv_t { kernel 4  stride 2  padding same  init normal(0.02) }\n"
    "generator G(z, y) -> image {\n"
    "  h = concat(z, y) | dense(2*2*4) | reshape(4, 2, 2) | batchnorm(momentum 0.9) | relu\n"
    "  h = h | conv_t(4) | relu\n"
    "  out = h | conv_t(1) | tanh\n"
    "}\n"
    "discriminator D(x : image) -> (adv : 1, cls : labels) {\n"
    "  h = x | conv(4, spectral_norm) | leaky_relu(0.2) | conv(4) | leaky_relu(0.2) | flatten\n"
    "  adv = h | dense(1)\n"
    "  cls = h | dense(labels)\n"
    "}\n"
    "train {\n"
    "  batch 2  d_steps 1  steps 10\n"
    "  loss D = bce(D(x).adv, 1) + bce(D(G(z, y)).adv, 0) + bce(D(x).cls, y)\n"
    "  loss G = bce(D(G(z, y)).adv, 1) + bce(D(G(z, y)).cls, y)\n"
    "  optimizer D = adam(lr 2e-4, beta1 0.5, beta2 0.999)\n"
    "  optimizer G = adam(lr 2e-4, beta1 0.5, beta2 0.999)\n"
    "  ema G 0.99\n"
    "}\n";

/* Per process, not per library: a fuzz driver is a program, and compiling the model for
 * every input would cost more than the load under test. */
static gan_model *small_model;
static float *small_base[GAN_REGION_COUNT];
static char scratch_path[64];

static void drop_scratch(void)
{
    if (scratch_path[0])
        unlink(scratch_path);
}

const gan_model *fuzz_ckpt_model(void)
{
    if (small_model)
        return small_model;
    fe_result r;
    if (fe_compile("fuzz_small.gan", fuzz_small_gan, strlen(fuzz_small_gan), &r)) {
        fputs(r.messages, stderr);
        fe_result_free(&r);
        return NULL;
    }
    char err[512];
    gan_build_opts opts = {1, 0};
    gan_model *m = gan_build(r.model, &opts, err, sizeof err);
    fe_result_free(&r);
    if (!m || gan_plan(m, err, sizeof err)) {
        fprintf(stderr, "fuzz_small.gan: %s\n", err);
        gan_model_free(m);
        return NULL;
    }
    for (int i = 0; i < GAN_REGION_COUNT; i++)
        small_base[i] = calloc((size_t)m->region_floats[i] + 1, sizeof(float));
    small_model = m;
    return m;
}

static void load_matching(const uint8_t *data, size_t len, const gan_model *m)
{
    if (!scratch_path[0]) {
        snprintf(scratch_path, sizeof scratch_path, "/tmp/fuzz_ckpt.XXXXXX");
        int fd = mkstemp(scratch_path);
        if (fd < 0) {
            scratch_path[0] = 0;
            return;
        }
        close(fd);
        atexit(drop_scratch);
    }
    FILE *f = fopen(scratch_path, "wb");
    if (!f)
        return;
    size_t w = fwrite(data, 1, len, f);
    if (fclose(f) || w != len)
        return;
    char err[512];
    int n = 0;
    (void)gan_ckpt_load_matching(scratch_path, m, small_base, NULL, &n, err, sizeof err);
}

int fuzz_ckpt_one(const uint8_t *data, size_t len)
{
    const gan_model *m = fuzz_ckpt_model();
    if (!m)
        abort();
    char err[512];
    gan_ckpt_info info;
    if (gan_ckpt_load_mem(data, len, "fuzz.ckpt", m, small_base, &info, err, sizeof err) == 0)
        return 0;
    uint8_t *copy = malloc(len + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, len);
    fuzz_fix_ckpt_crcs(copy, len);
    (void)gan_ckpt_load_mem(copy, len, "fuzz.ckpt", m, small_base, &info, err, sizeof err);
    load_matching(copy, len, m);
    free(copy);
    return 0;
}
