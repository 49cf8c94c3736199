/* Hand-built md_models (what the front end would produce) for the back-end tests. Each
 * constructor returns a malloc'd md_model freed with mdfx_free(); `tiny` shrinks every size so
 * numeric tests can run the programs in milliseconds (same structure, fewer filters/pixels).
 * Shared by other areas' tests: the builders below are the public part. */
#ifndef MD_FIXTURES_H
#define MD_FIXTURES_H

#include "compiler/model_def.h"

/* The seed: ODSC 2019 "Making Faces" lesson 2, exactly as in docs/design.md (tiny = 0). */
md_model *mdfx_making_faces(int tiny);
/* Unconditional DCGAN with transposed convolutions, BN in both nets, non-saturating BCE, EMA. */
md_model *mdfx_dcgan(int tiny);
/* Unconditional hinge loss + spectral norm GAN (workshop lesson 1). */
md_model *mdfx_hinge_sn(int tiny);
/* Class-conditional GAN: one categorical label, softmax cross-entropy head on D. */
md_model *mdfx_class_cond(int tiny);
/* A plain attribute classifier C(x) trained with multilabel BCE. */
md_model *mdfx_classifier(int tiny);
/* Projection discriminator D(x, y) (adv = dense(h) + <W y, h>); G tiles y over space. */
md_model *mdfx_projection(int tiny);

void mdfx_free(md_model *m);

/* ---- builders (used by the constructors; usable by other tests) ---- */
md_model *mdfx_new(int image_c, int image_h, int image_w, int n_labels, int label_kind,
                   int latent, int batch);
int mdfx_net(md_model *m, const char *name, int role);             /* -> network index */
int mdfx_input(md_model *m, int net, const char *name, int kind, int ndim, int c, int h,
               int w);                                             /* -> node */
int mdfx_dense(md_model *m, int net, int in, int units, int sn);
/* pad < 0: "same" (TensorFlow split: extra padding at bottom/right) */
int mdfx_conv(md_model *m, int net, int in, int filters, int k, int stride, int pad, int sn);
int mdfx_conv_t(md_model *m, int net, int in, int filters, int k, int stride, int pad);
int mdfx_upsample(md_model *m, int net, int in, int factor);
int mdfx_bn(md_model *m, int net, int in, float momentum);
int mdfx_act(md_model *m, int net, int in, int act, float alpha);
int mdfx_concat(md_model *m, int net, int a, int b);
int mdfx_tile(md_model *m, int net, int in, int h, int w);
int mdfx_reshape(md_model *m, int net, int in, int ndim, int c, int h, int w);
int mdfx_gap(md_model *m, int net, int in);
int mdfx_add(md_model *m, int net, int a, int b);
int mdfx_project(md_model *m, int net, int h, int y);
void mdfx_head(md_model *m, int net, const char *name, int node);

md_expr *mdfx_ex(int kind);                                        /* IMAGE / LABELS / LATENT */
md_expr *mdfx_call(int net, int head, int n_args, ...);            /* md_expr* args */
int mdfx_objective(md_model *m, int net, float lr, float beta1, float beta2, float ema);
void mdfx_term(md_model *m, int obj, int kind, float weight, md_expr *arg, md_expr *target,
               float const_target, float scale);

#endif
