/* Tiny models and data sets for the training-runtime tests: models built in-process from the
 * back end's md fixtures (no front end needed), and a CelebA-layout data set whose pictures
 * show their labels (so a classifier can learn them). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "compiler/backend.h"
#include "runtime/data.h"
#include "runtime/train.h"
#include "tests/util/md_fixtures.h"
#include "tests/util/train_util.h"

static const char *const fx_labels[3] = {"Smiling", "Eyeglasses", "Male"};

static md_model *fx_classifier(void)
{
    md_model *m = mdfx_new(3, 16, 16, 3, GAN_LABELS_MULTI, 0, 8);
    int C = mdfx_net(m, "C", GAN_NET_CLASSIFIER);
    int h = mdfx_input(m, C, "x", MD_IN_IMAGE, 3, 3, 16, 16);
    h = mdfx_conv(m, C, h, 8, 3, 2, -1, 0);
    h = mdfx_bn(m, C, h, 0.9f);
    h = mdfx_act(m, C, h, GAN_ACT_RELU, 0);
    h = mdfx_conv(m, C, h, 8, 3, 2, -1, 0);
    h = mdfx_act(m, C, h, GAN_ACT_RELU, 0);
    h = mdfx_gap(m, C, h);
    mdfx_head(m, C, "logits", mdfx_dense(m, C, h, 3, 0));
    int oc = mdfx_objective(m, C, 1e-2f, 0.9f, 0.999f, 0);
    mdfx_term(m, oc, MD_LOSS_BCE, 1, mdfx_call(C, 0, 1, mdfx_ex(MD_EX_IMAGE)),
              mdfx_ex(MD_EX_LABELS), 0, 0);
    return m;
}

md_model *train_fx_md(int kind, float lr)
{
    md_model *md = kind == TRAIN_FX_CLASSIFIER ? fx_classifier() : mdfx_making_faces(1);
    for (int n = 0; kind == TRAIN_FX_GAN_PLAIN_G && n < md->n_networks; n++)
        if (md->networks[n].role == GAN_NET_GENERATOR)
            for (int k = 0; k < md->networks[n].n_nodes; k++)
                md->networks[n].nodes[k].spectral_norm = 0;
    for (int i = 0; i < md->hyper.n_labels && i < 3; i++)
        snprintf(md->hyper.label_names[i], GAN_NAME_MAX, "%s", fx_labels[i]);
    md->hyper.batch = 8;
    md->hyper.steps = 0;
    md->hyper.epochs = 1;
    for (int o = 0; o < md->n_objectives; o++) {
        if (lr > 0)
            md->objectives[o].lr = lr;
        if (md->networks[md->objectives[o].network].role == GAN_NET_GENERATOR)
            md->objectives[o].ema_decay = 0.9f;
    }
    return md;
}

gan_model *train_fx_build(int kind, float lr, char *err, size_t errlen)
{
    md_model *md = train_fx_md(kind, lr);
    gan_build_opts bo = {1, 0};
    gan_model *m = gan_build(md, &bo, err, errlen);
    mdfx_free(md);
    if (!m)
        return NULL;
    /* naive arena: every arena tensor its own place (the planner is tested elsewhere) */
    uint64_t off = 0;
    for (int t = 0; t < m->n_tensors; t++)
        if (m->tensors[t].region == GAN_REGION_ARENA) {
            m->tensors[t].offset = off;
            off += m->tensors[t].numel;
        }
    m->region_floats[GAN_REGION_ARENA] = off;
    return m;
}

int train_fx_model(const char *path, int kind, float lr, char *err, size_t errlen)
{
    md_model *md = train_fx_md(kind, lr);
    gan_build_opts bo = {1, 0};
    gan_model *m = gan_build(md, &bo, err, errlen);
    mdfx_free(md);
    int rc = -1;
    if (m && !gan_plan(m, err, errlen) && !gan_plan_check(m, err, errlen) &&
        !gan_model_write(m, path, err, errlen))
        rc = 0;
    gan_model_free(m);
    return rc;
}

void train_fx_free(gan_model *m)
{
    if (!m)
        return;
    for (int p = 0; p < m->n_programs; p++) {
        free(m->programs[p].ops);
        free(m->programs[p].inputs);
        free(m->programs[p].input_roles);
        free(m->programs[p].outputs);
    }
    free(m->programs);
    free(m->tensors);
    free(m->networks);
    free(m->hyper.label_names);
    free(m);
}

/* 16x16 pictures: grey with noise; Smiling brightens the red of the lower half, Eyeglasses
 * draws a dark bar across rows 5-6, Male brightens the blue of the left half. */
int train_fx_data(const char *dir, int n, char *err, size_t errlen)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/img_align_celeba", dir);
    if (gan_mkdirs(p, err, errlen))
        return -1;
    size_t cap = 4096 + (size_t)n * 200, len = 0;
    char *txt = malloc(cap);
    if (!txt)
        return -1;
    len += (size_t)snprintf(txt + len, cap - len, "%d\n", n);
    for (int a = 0; a < GAN_CELEBA_N_ATTRS; a++)
        len += (size_t)snprintf(txt + len, cap - len, "%s%s", a ? " " : "", gan_celeba_attr_names[a]);
    txt[len++] = '\n';
    int col[3];
    for (int k = 0; k < 3; k++)
        for (int a = 0; a < GAN_CELEBA_N_ATTRS; a++)
            if (!strcmp(gan_celeba_attr_names[a], fx_labels[k]))
                col[k] = a;
    gan_rng r;
    gan_rng_seed(&r, 4242);
    unsigned char px[16 * 16 * 3];
    for (int i = 0; i < n; i++) {
        int lab[3];
        for (int k = 0; k < 3; k++)
            lab[k] = gan_rng_uniform(&r) < 0.5;
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
                for (int c = 0; c < 3; c++) {
                    int v = 110 + (int)(gan_rng_uniform(&r) * 40);
                    if (lab[0] && c == 0 && y >= 9) v += 90;
                    if (lab[2] && c == 2 && x < 8) v += 90;
                    if (lab[1] && (y == 5 || y == 6)) v = 10;
                    px[(y * 16 + x) * 3 + c] = (unsigned char)(v > 255 ? 255 : v);
                }
        snprintf(p, sizeof p, "%s/img_align_celeba/%06d.png", dir, i + 1);
        if (gan_png_write8(p, px, 3, 16, 16, 0, err, errlen)) {
            free(txt);
            return -1;
        }
        len += (size_t)snprintf(txt + len, cap - len, "%06d.png", i + 1);
        for (int a = 0; a < GAN_CELEBA_N_ATTRS; a++) {
            int v = -1;
            for (int k = 0; k < 3; k++)
                if (col[k] == a && lab[k])
                    v = 1;
            len += (size_t)snprintf(txt + len, cap - len, " %2d", v);
        }
        txt[len++] = '\n';
    }
    snprintf(p, sizeof p, "%s/list_attr_celeba.txt", dir);
    int rc = gan_write_file_atomic(p, txt, len, err, errlen);
    free(txt);
    return rc;
}

struct gan_loader *train_fx_loader(const gan_model *m, const char *dir, uint64_t seed)
{
    const gan_hyper *h = &m->hyper;
    gan_loader_opts lo = {.dir = dir, .c = h->image_c, .h = h->image_h, .w = h->image_w,
                          .lo = h->range_lo, .hi = h->range_hi, .label_kind = h->label_kind,
                          .n_labels = h->n_labels,
                          .label_names = (const char(*)[64])h->label_names, .batch = h->batch,
                          .seed = seed, .limit = 0};
    char err[512];
    gan_loader *l = gan_loader_open(&lo, err, sizeof err);
    ck_assert_msg(l != NULL, "%s", err);
    return l;
}
