/* A compiled classifier as a measuring instrument: its "predict" program run in chunks of the
 * model's batch, the logits read from the program's output and the features from a named
 * intermediate tensor. The memory plan may give a dead tensor's storage to a later op; when
 * the feature tensor is overwritten before the program ends, the features come from a second
 * run of the program cut after the op that writes them. */
#include "runtime/eval.h"
#include "runtime/exec.h"
#include "runtime/kernels.h"
#include "runtime/train.h"
#include "common/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gan_classifier {
    const gan_model *m;
    float *base[GAN_REGION_COUNT];
    kern_scratch *scratch;
    const gan_program *p;
    gan_program cut;   /* p up to the op writing the features (used when cut_needed) */
    int cut_needed;
    int in_t, logit_t, feat_t;
    int batch, n_labels, f_dim, threads;
};

void gan_classifier_close(gan_classifier *c)
{
    if (!c)
        return;
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        free(c->base[r]);
    kern_scratch_free(c->scratch);
    free(c);
}

int gan_classifier_feature_dim(const gan_classifier *c) { return c->f_dim; }
const char *gan_classifier_feature_name(const gan_classifier *c)
{
    return c->m->tensors[c->feat_t].name;
}

/* Index of the op of p that writes tensor t, or -1. */
static int producer(const gan_program *p, int t)
{
    for (int k = p->n_ops - 1; k >= 0; k--)
        for (int j = 0; j < p->ops[k].n_out; j++)
            if (p->ops[k].out[j] == t)
                return k;
    return -1;
}

/* Does an op after `after` write storage that overlaps tensor t? */
static int overwritten_after(const gan_model *m, const gan_program *p, int after, int t)
{
    const gan_tensor *ft = &m->tensors[t];
    for (int k = after + 1; k < p->n_ops; k++)
        for (int j = 0; j < p->ops[k].n_out; j++) {
            int o = p->ops[k].out[j];
            if (o < 0 || o >= m->n_tensors)
                continue;
            const gan_tensor *ot = &m->tensors[o];
            if (ot->region == ft->region && ot->offset < ft->offset + ft->numel &&
                ft->offset < ot->offset + ot->numel)
                return 1;
        }
    return 0;
}

static int find_features(gan_classifier *c, const char *features, char *err, size_t errlen)
{
    const gan_model *m = c->m;
    const gan_program *p = c->p;
    int lp = producer(p, c->logit_t);
    if (!features) {
        c->feat_t = lp >= 0 ? p->ops[lp].in[0] : -1;
    } else {
        c->feat_t = gan_model_find_tensor(m, features);
        if (c->feat_t < 0) {
            char full[2 * GAN_NAME_MAX + 2];
            snprintf(full, sizeof full, "%s.%s", p->name, features);
            c->feat_t = gan_model_find_tensor(m, full);
        }
    }
    int fp = c->feat_t >= 0 ? producer(p, c->feat_t) : -1;
    if (fp < 0 || m->tensors[c->feat_t].region != GAN_REGION_ARENA)
        return gan_errf(err, errlen, "features %s: not a tensor that the classifier's %s program "
                        "computes", features ? features : "(penultimate layer)", p->name);
    const gan_tensor *ft = &m->tensors[c->feat_t];
    if (ft->shape[0] != c->batch || ft->numel % (uint64_t)c->batch)
        return gan_errf(err, errlen, "features %s: shape does not start with the batch (%d)",
                        ft->name, c->batch);
    c->f_dim = (int)(ft->numel / (uint64_t)c->batch);
    c->cut_needed = overwritten_after(m, p, fp, c->feat_t);
    c->cut = *p;
    c->cut.n_ops = fp + 1;
    return 0;
}

/* The classifier's shape: one image input, one [batch, labels] output. */
static int check_predict(gan_classifier *c, char *err, size_t errlen)
{
    const gan_model *m = c->m;
    const gan_hyper *h = &m->hyper;
    int pi = gan_model_find_role(m, GAN_PROG_PREDICT);
    if (pi < 0)
        return gan_errf(err, errlen, "not a classifier: the model has no predict program");
    c->p = &m->programs[pi];
    if (h->label_kind != GAN_LABELS_MULTI || h->n_labels < 1)
        return gan_errf(err, errlen, "the classifier must have multilabel attributes "
                        "(labels [A, B, ...])");
    c->in_t = -1;
    for (int i = 0; i < c->p->n_inputs; i++)
        if (c->p->input_roles[i] == GAN_ROLE_IMAGE)
            c->in_t = c->p->inputs[i];
    if (c->in_t < 0 || c->p->n_outputs < 1)
        return gan_errf(err, errlen, "predict program: no image input or no output");
    c->logit_t = c->p->outputs[0];
    if (m->tensors[c->logit_t].numel != (uint64_t)c->batch * (uint64_t)h->n_labels)
        return gan_errf(err, errlen, "predict program: output %s is not [%d, %d] logits",
                        m->tensors[c->logit_t].name, c->batch, h->n_labels);
    return 0;
}

gan_classifier *gan_classifier_open(const gan_model *m, const char *ckpt_path,
                                    const char *features, int threads, char *err,
                                    size_t errlen)
{
    gan_classifier *c = calloc(1, sizeof *c);
    if (!c) {
        gan_errf(err, errlen, "out of memory");
        return NULL;
    }
    c->m = m;
    c->batch = m->hyper.batch;
    c->n_labels = m->hyper.n_labels;
    c->threads = threads > 0 ? threads : 1;
    if (check_predict(c, err, errlen) || find_features(c, features, err, errlen))
        goto fail;
    c->scratch = kern_scratch_new();
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        if (!(c->base[r] = calloc((size_t)m->region_floats[r] + 16, sizeof(float))) ||
            !c->scratch) {
            gan_errf(err, errlen, "out of memory allocating the classifier's memory");
            goto fail;
        }
    if (gan_ckpt_load(ckpt_path, m, c->base, NULL, err, errlen) ||
        gan_exec_check(m, c->p, c->base, err, errlen) ||
        (c->cut_needed && gan_exec_check(m, &c->cut, c->base, err, errlen)))
        goto fail;
    return c;
fail:
    gan_classifier_close(c);
    return NULL;
}

int gan_classifier_run(gan_classifier *c, int n, const float *images, float lo, float hi,
                       float *logits, float *feat, char *err, size_t errlen)
{
    const gan_hyper *h = &c->m->hyper;
    size_t per = (size_t)h->image_c * h->image_h * h->image_w;
    float *in = gan_tensor_ptr(c->m, c->base, c->in_t);
    const float *lg = gan_tensor_ptr(c->m, c->base, c->logit_t);
    const float *ft = gan_tensor_ptr(c->m, c->base, c->feat_t);
    float k = (h->range_hi - h->range_lo) / 255.0f, s = 255.0f / (hi - lo);
    for (int at = 0; at < n; at += c->batch) {
        int cnt = n - at < c->batch ? n - at : c->batch;
        for (int i = 0; i < c->batch; i++) { /* a short last chunk repeats its first image */
            const float *src = images + (size_t)(at + (i < cnt ? i : 0)) * per;
            for (size_t j = 0; j < per; j++) {
                float u = roundf((src[j] - lo) * s);
                u = u < 0 ? 0 : u > 255 ? 255 : u;
                in[(size_t)i * per + j] = h->range_lo + k * u;
            }
        }
        char e2[512];
        if (c->cut_needed && feat) {
            if (gan_exec_run_checked(c->m, &c->cut, c->base, c->threads, c->scratch, e2,
                                     sizeof e2))
                return gan_errf(err, errlen, "classifier: %s", e2);
            memcpy(feat + (size_t)at * c->f_dim, ft, sizeof(float) * (size_t)cnt * c->f_dim);
        }
        if (gan_exec_run_checked(c->m, c->p, c->base, c->threads, c->scratch, e2, sizeof e2))
            return gan_errf(err, errlen, "classifier: %s", e2);
        memcpy(logits + (size_t)at * c->n_labels, lg, sizeof(float) * (size_t)cnt * c->n_labels);
        if (!c->cut_needed && feat)
            memcpy(feat + (size_t)at * c->f_dim, ft, sizeof(float) * (size_t)cnt * c->f_dim);
    }
    return 0;
}
