/* Helpers shared by the training-runtime tests (tests/util/train_*.c). */
#ifndef TRAIN_UTIL_H
#define TRAIN_UTIL_H
#include <stdint.h>
#include <stdio.h>
#include "compiler/model_def.h"
#include "format/model.h"

/* A small hand-built model with params (an aggregate over them), Adam state, BN stats, an SN u
 * and an EMA copy. variant 0: base; 1: G.conv.w has another shape; 2: the EMA is renamed. */
gan_model *train_test_model(int variant);
void train_test_model_free(gan_model *m);
void train_alloc_base(const gan_model *m, float *base[GAN_REGION_COUNT]);
void train_free_base(float *base[GAN_REGION_COUNT]);
int train_find(const gan_model *m, const char *name);
float *train_ptr(const gan_model *m, float *const base[GAN_REGION_COUNT], const char *name);

/* Runs argv (NULL-terminated) with stdout+stderr captured into out (NUL-terminated).
 * Returns the exit status, or -1 if it did not exit normally. */
int train_spawn(char *const argv[], char *out, size_t outlen);
/* The program named by the environment variable env (GANC, GANRT), else dflt. */
const char *train_tool(const char *env, const char *dflt);
/* Makes a fresh temporary directory; returns a malloc'd path. */
char *train_tmpdir(void);
void train_rmrf(const char *path);

/* train_fixture.c: model.bin of a tiny model built in-process (md fixture -> gan_build ->
 * gan_plan -> gan_model_write) and a synthetic CelebA-layout data set. */
enum { TRAIN_FX_GAN = 0,        /* conditional GAN at 8x8, labels Smiling/Eyeglasses/Male,
                                   batch 8, d_steps 2, EMA on G */
       TRAIN_FX_CLASSIFIER = 1, /* attribute classifier at 16x16, batch 8 */
       TRAIN_FX_GAN_PLAIN_G = 2 /* the GAN without spectral norm in G (its training and
                                   sampling programs then compute the same G) */ };
/* the md_model (lr > 0: every network's learning rate); free with mdfx_free */
md_model *train_fx_md(int kind, float lr);
/* built in-process with a naive arena (every arena tensor its own place); free with
 * train_fx_free */
gan_model *train_fx_build(int kind, float lr, char *err, size_t errlen);
void train_fx_free(gan_model *m);
/* model.bin of the same (planned by gan_plan, written by gan_model_write) */
int train_fx_model(const char *path, int kind, float lr, char *err, size_t errlen);
/* n 16x16 PNGs in CelebA layout whose pixels show Smiling / Eyeglasses / Male */
int train_fx_data(const char *dir, int n, char *err, size_t errlen);
/* the CelebA-layout loader of a fixture's data at the model's batch and image geometry
 * (fails the running check test when it cannot open) */
struct gan_loader;
struct gan_loader *train_fx_loader(const gan_model *m, const char *dir, uint64_t seed);
#endif
