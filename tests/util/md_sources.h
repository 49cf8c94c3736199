/* md_models compiled by the front end from embedded .gan sources, for back-end tests of
 * features that are easier written in the language than built by hand (md_fixtures.h).
 * Each returns an md_model freed with md_model_free(), or fails the test. */
#ifndef MD_SOURCES_H
#define MD_SOURCES_H

#include "compiler/model_def.h"

/* LSGAN (least-squares losses: mse against constants, and mse of an auxiliary head against
 * the labels) with instance norm (affine and not) in both networks and average pooling
 * (non-overlapping and overlapping windows) in D. `tiny` is accepted for the fixture
 * signature; the model is small either way. */
md_model *mdsrc_lsgan(int tiny);

/* A conditional GAN whose G conditions by cond_batchnorm on the labels, on a feature map and
 * on a vector (the gains' map W initialised non-zero, so the FiLM path is exercised), and
 * whose D starts with a diffaugment (the draws are state: a program run again from the same
 * state draws the same). */
md_model *mdsrc_cond_bn(int tiny);

/* D's attribute head trained with bce_balanced (class-balanced BCE), G's with twice it */
md_model *mdsrc_bce_bal(int tiny);

/* Compiles `src` (named `name` in messages); fails the test with the front end's messages. */
md_model *mdsrc_compile(const char *name, const char *src);

#endif
