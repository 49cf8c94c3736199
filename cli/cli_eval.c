/* ganrt eval: how well a conditional generator's faces follow the attributes asked for, and
 * how close they are to real held-out faces, as judged by a trained attribute classifier
 * (docs/evaluation.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/cli_eval.h"
#include "runtime/train.h"
#include "runtime/train/args.h"

static const char eval_help[] =
    "Usage: ganrt eval MODEL.bin --ckpt RUN --classifier CLF.bin --classifier-ckpt CLF_RUN\n"
    "                  --real DIR [options]\n"
    "       ganrt eval --real-only --classifier CLF.bin --classifier-ckpt CLF_RUN --real DIR\n"
    "\n"
    "Generates N faces whose attributes are rows drawn from the held-out real faces of DIR and\n"
    "reports, per attribute the generator and the classifier share: the classifier's accuracy\n"
    "and balanced accuracy against the attributes asked for, beside its own on the real\n"
    "held-out faces; how often flipping one attribute (same z) flips the classifier's\n"
    "decision with it; the Fréchet distance between the classifier's features of generated\n"
    "and real held-out faces; and the mean pairwise feature distance (diversity).\n"
    "\n"
    "  --ckpt RUN|FILE          the generator's checkpoint (a run directory: its newest)\n"
    "  --classifier CLF.bin     a compiled multilabel classifier (models/attr_classifier.gan)\n"
    "  --classifier-ckpt RUN    its checkpoint; the real statistics are cached in\n"
    "                           RUN/eval_cache/\n"
    "  --real DIR               CelebA-layout data; only its held-out part is used\n"
    "  --holdout N              the held-out part: the last N images (default: the split in\n"
    "                           the classifier run's split.txt, else list_eval_partition.txt)\n"
    "  -n N                     generated faces (default 1000)\n"
    "  --n-real N               at most N held-out real faces (default 2000)\n"
    "  --pairs P                same-z pairs per attribute for the control figure (default 50)\n"
    "  --attrs A,B              evaluate only these attributes\n"
    "  --features NAME          the classifier tensor used as features (default: the input of\n"
    "                           its last layer)\n"
    "  --seed S                 z and attribute draws (default 1)\n"
    "  --json FILE              also write the figures as JSON\n"
    "  --real-only              only the classifier on the real held-out faces\n"
    "  --no-cache               recompute the real statistics\n"
    "  --no-ema                 the generator's raw weights, not their EMA\n"
    "  --standing B             sample with batch-norm statistics measured over B batches of\n"
    "                           the sampling weights (standing statistics; 0: the running\n"
    "                           ones; default 0)\n"
    "  --threads T              compute threads\n"
    "  --precision P            fp32 (default) or bf16 GEMMs ('ganrt train --help')\n"
    "\n"
    "Exit status: 0 done, 1 failure (model, checkpoint, data, incompatible classifier), 2 usage\n"
    "error.\n";

static int parse_opt(gan_args *a, eval_opts *o, int *help)
{
    const char *op = a->opt;
    int r = 0;
    if (!strcmp(op, "--help") || !strcmp(op, "-h"))
        *help = 1;
    else if (!strcmp(op, "--ckpt")) r = gan_args_str(a, &o->ckpt);
    else if (!strcmp(op, "--classifier")) r = gan_args_str(a, &o->clf);
    else if (!strcmp(op, "--classifier-ckpt")) r = gan_args_str(a, &o->clf_ckpt);
    else if (!strcmp(op, "--real")) r = gan_args_str(a, &o->real);
    else if (!strcmp(op, "--json")) r = gan_args_str(a, &o->json);
    else if (!strcmp(op, "--features")) r = gan_args_str(a, &o->features);
    else if (!strcmp(op, "--attrs")) r = gan_args_str(a, &o->attrs);
    else if (!strcmp(op, "-n")) r = gan_args_ll(a, 2, 1000000, &o->n);
    else if (!strcmp(op, "--n-real")) r = gan_args_ll(a, 2, 10000000, &o->n_real);
    else if (!strcmp(op, "--pairs")) r = gan_args_ll(a, 0, 100000, &o->pairs);
    else if (!strcmp(op, "--standing")) r = gan_args_ll(a, 0, 10000, &o->standing);
    else if (!strcmp(op, "--threads")) r = gan_args_ll(a, 1, 1024, &o->threads);
    else if (!strcmp(op, "--seed")) r = gan_args_u64(a, &o->seed);
    else if (!strcmp(op, "--holdout")) {
        r = gan_args_ll(a, 1, (long long)1e10, &o->holdout);
        o->holdout_given = 1;
    } else if (!strcmp(op, "--real-only")) o->real_only = 1;
    else if (!strcmp(op, "--no-cache")) o->no_cache = 1;
    else if (!strcmp(op, "--no-ema")) o->no_ema = 1;
    else if (!strcmp(op, "--precision")) {
        const char *v = NULL;
        char why[256];
        if (!(r = gan_args_str(a, &v)) && cli_precision_set(v, why, sizeof why))
            return gan_usage_error(a, "%s", why);
    } else
        return gan_usage_error(a, "unknown option %s", op);
    return r ? 2 : 0;
}

static int parse(int argc, char **argv, eval_opts *o, int *help)
{
    gan_args a;
    gan_args_init(&a, "ganrt eval", argc, argv);
    memset(o, 0, sizeof *o);
    o->n = 1000;
    o->n_real = 2000;
    o->pairs = 50;
    o->seed = 1;
    int k;
    while ((k = gan_args_next(&a))) {
        if (k == 2) {
            if (o->model)
                return gan_usage_error(&a, "unexpected argument '%s'", a.value);
            o->model = a.value;
            continue;
        }
        int r = parse_opt(&a, o, help);
        if (r || *help)
            return r;
    }
    if (!o->clf)
        return gan_usage_error(&a, "missing --classifier CLF.bin");
    if (!o->clf_ckpt)
        return gan_usage_error(&a, "missing --classifier-ckpt CLF_RUN");
    if (!o->real)
        return gan_usage_error(&a, "missing --real DIR (the data with the held-out faces)");
    if (o->real_only && (o->model || o->ckpt))
        return gan_usage_error(&a, "--real-only takes no generator (MODEL.bin, --ckpt)");
    if (!o->real_only && !o->model)
        return gan_usage_error(&a, "missing MODEL.bin (or --real-only)");
    if (!o->real_only && !o->ckpt)
        return gan_usage_error(&a, "missing --ckpt RUN|FILE (the generator's checkpoint)");
    return 0;
}

static int label_index(const gan_hyper *h, const char *name)
{
    for (int i = 0; i < h->n_labels; i++)
        if (!strcmp(h->label_names[i], name))
            return i;
    return -1;
}

/* An --attrs name that is not a shared attribute: a usage error with a did-you-mean. */
static int unknown_attr(const eval_ctx *e, const char *name)
{
    const gan_hyper *g = &e->gm->hyper;
    const char *cands[256];
    int n = 0;
    for (int i = 0; i < g->n_labels && n < 256; i++)
        if (label_index(&e->cm->hyper, g->label_names[i]) >= 0)
            cands[n++] = g->label_names[i];
    const char *best = n ? gan_closest_name(name, cands, n) : NULL;
    int in_g = label_index(g, name) >= 0;
    fprintf(stderr, "ganrt eval: --attrs: '%s' is %s%s%s%s\nTry 'ganrt eval --help'.\n", name,
            in_g ? "not a label of the classifier " : "not an attribute both models have",
            in_g ? e->o.clf : "", best ? "; did you mean " : "", best ? best : "");
    return 2;
}

/* The attributes to evaluate: those the generator and the classifier share (or --attrs). */
static int pick_attrs(eval_ctx *e, char *err, size_t errlen)
{
    const gan_hyper *g = &e->gm->hyper, *c = &e->cm->hyper;
    e->attrs = calloc((size_t)g->n_labels + 1, sizeof *e->attrs);
    if (!e->attrs)
        return cli_out_of_memory(err, errlen);
    if (g->n_labels == 0 && !e->o.attrs) { /* unconditional: distance and diversity only */
        fprintf(stderr, "ganrt eval: note: %s has no attribute labels; only the Fréchet "
                "distance and the diversity are measured\n", e->o.model);
        return 0;
    }
    if (e->o.attrs) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", e->o.attrs);
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            int gi = label_index(g, t), ci = label_index(c, t);
            if (gi < 0 || ci < 0)
                return unknown_attr(e, t);
            e->attrs[e->n_attrs++] = (eval_attr){.gen_col = gi, .clf_col = ci};
        }
        return 0;
    }
    char skipped[2048] = "";
    size_t k = 0;
    for (int gi = 0; gi < g->n_labels; gi++) {
        int ci = label_index(c, g->label_names[gi]);
        if (ci >= 0)
            e->attrs[e->n_attrs++] = (eval_attr){.gen_col = gi, .clf_col = ci};
        else if (k < sizeof skipped)
            k += (size_t)snprintf(skipped + k, sizeof skipped - k, "%s%s", k ? ", " : "",
                                  g->label_names[gi]);
    }
    if (skipped[0])
        fprintf(stderr, "ganrt eval: note: the classifier does not judge %s\n", skipped);
    if (!e->n_attrs) {
        snprintf(err, errlen, "%s and %s share no attribute (the generator's labels must be "
                 "among the classifier's)", e->o.model, e->o.clf);
        return 1;
    }
    return 0;
}

/* The generator's checkpoint and a session to run it. */
static gan_session *open_generator(eval_ctx *e, char *err, size_t errlen)
{
    const gan_hyper *g = &e->gm->hyper;
    if (gan_model_find_role(e->gm, GAN_PROG_SAMPLE) < 0 || g->latent_size <= 0) {
        snprintf(err, errlen, "%s: the model has no generator \"sample\" program", e->o.model);
        return NULL;
    }
    gan_session_opts so = {(int)(e->o.threads > 0 ? e->o.threads : cli_cpu_count()), e->o.seed};
    gan_session *s = gan_session_create(e->gm, &so, err, errlen);
    gan_ckpt_info info;
    if (s && (gan_ckpt_resolve(e->o.ckpt, e->gen_ckpt_path, sizeof e->gen_ckpt_path, err,
                               errlen) ||
              gan_ckpt_load(e->gen_ckpt_path, e->gm, gan_session_base(s), &info, err, errlen))) {
        gan_session_free(s);
        return NULL;
    }
    if (s) {
        e->gen_step = (unsigned long long)info.step;
        eval_note_gen_split(e);
    }
    return s;
}

/* Generates n faces from z and labels, and classifies them. */
static int gen_classify(eval_ctx *e, gan_session *s, int n, const float *z, const float *lab,
                        float *img, float *lg, float *ft, char *err, size_t errlen)
{
    const gan_hyper *g = &e->gm->hyper;
    if (gan_session_sample(s, n, z, g->n_labels > 0 ? lab : NULL, img, !e->o.no_ema, err,
                           errlen))
        return 1;
    return eval_classify(e, n, img, g->range_lo, g->range_hi, lg, ft, err, errlen);
}

int eval_classify(eval_ctx *e, int n, const float *img, float lo, float hi, float *lg, float *ft,
                  char *err, size_t errlen)
{
    if (!e->src_h)
        return gan_classifier_run(e->clf, n, img, lo, hi, lg, ft, err, errlen) ? 1 : 0;
    const gan_hyper *c = &e->cm->hyper;
    size_t planes = (size_t)n * c->image_c;
    float *big = malloc(sizeof(float) * planes * c->image_h * c->image_w);
    int rc = !big || gan_resample_planes(img, planes, e->src_h, e->src_w, big, c->image_h,
                                         c->image_w)
                 ? cli_out_of_memory(err, errlen)
                 : (gan_classifier_run(e->clf, n, big, lo, hi, lg, ft, err, errlen) ? 1 : 0);
    free(big);
    return rc;
}

/* The generator's faces against the judge's input: the channels must agree; another size is
 * resampled (and said once on stderr). */
static int match_shapes(eval_ctx *e, char *err, size_t errlen)
{
    const gan_hyper *g = &e->gm->hyper, *c = &e->cm->hyper;
    e->src_h = e->src_w = 0;
    if (g->image_c != c->image_c) {
        snprintf(err, errlen, "%s takes %dx%dx%d images but %s makes %dx%dx%d (the channels "
                 "must agree)", e->o.clf, c->image_c, c->image_h, c->image_w, e->o.model,
                 g->image_c, g->image_h, g->image_w);
        return 1;
    }
    if (g->image_h == c->image_h && g->image_w == c->image_w)
        return 0;
    e->src_h = g->image_h;
    e->src_w = g->image_w;
    fprintf(stderr, "ganrt eval: note: %s makes %dx%d faces and %s reads %dx%d: the generated "
            "faces, and the real ones read at %dx%d, are resampled to %dx%d for it\n",
            e->o.model, g->image_h, g->image_w, e->o.clf, c->image_h, c->image_w, g->image_h,
            g->image_w, c->image_h, c->image_w);
    return 0;
}

/* The control figure: per attribute, P pairs with the same z and other attributes, the
 * attribute off in one and on in the other. */
static int control(eval_ctx *e, gan_session *s, const float *z, const float *lab, char *err,
                   size_t errlen)
{
    const gan_hyper *g = &e->gm->hyper;
    int P = (int)(e->o.pairs < e->n_gen ? e->o.pairs : e->n_gen), L = g->n_labels,
        Z = g->latent_size, Lc = e->cm->hyper.n_labels;
    if (P < 1 || g->label_kind != GAN_LABELS_MULTI)
        return 0;
    size_t per = (size_t)g->image_c * g->image_h * g->image_w, n2 = 2 * (size_t)P;
    float *z2 = malloc(sizeof(float) * n2 * Z), *l2 = malloc(sizeof(float) * n2 * L);
    float *img = malloc(sizeof(float) * n2 * per), *lg = malloc(sizeof(float) * n2 * Lc);
    int rc = !z2 || !l2 || !img || !lg ? cli_out_of_memory(err, errlen) : 0;
    for (int a = 0; !rc && a < e->n_attrs; a++) {
        eval_attr *at = &e->attrs[a];
        for (size_t i = 0; i < n2; i++) {
            memcpy(z2 + i * Z, z + (i / 2) * Z, sizeof(float) * Z);
            memcpy(l2 + i * L, lab + (i / 2) * L, sizeof(float) * L);
            l2[i * L + at->gen_col] = (float)(i % 2);
        }
        rc = gen_classify(e, s, (int)n2, z2, l2, img, lg, NULL, err, errlen);
        for (int p = 0; !rc && p < P; p++) {
            int off = lg[(size_t)(2 * p) * Lc + at->clf_col] > 0;
            int on = lg[(size_t)(2 * p + 1) * Lc + at->clf_col] > 0;
            at->ctl_pairs++;
            at->ctl_follow += on && !off;
            at->ctl_flip += on != off;
        }
    }
    free(z2);
    free(l2);
    free(img);
    free(lg);
    return rc;
}

/* N faces with z drawn fresh and attribute rows drawn from the held-out rows, by session s
 * (its EMA weights unless --no-ema); the figures of an earlier call are reset first. */
int eval_generated_by(eval_ctx *e, gan_session *s, char *err, size_t errlen)
{
    const gan_hyper *g = &e->gm->hyper;
    int rc = e->attrs ? 0 : pick_attrs(e, err, errlen);
    if (rc)
        return rc;
    for (int a = 0; a < e->n_attrs; a++)
        e->attrs[a] = (eval_attr){.gen_col = e->attrs[a].gen_col, .clf_col = e->attrs[a].clf_col};
    float *rows = NULL;
    size_t n_rows = 0;
    int n = (int)e->o.n, L = g->n_labels, Z = g->latent_size, Lc = e->cm->hyper.n_labels;
    int F = gan_classifier_feature_dim(e->clf);
    size_t per = (size_t)g->image_c * g->image_h * g->image_w;
    float *z = malloc(sizeof(float) * (size_t)n * Z);
    float *lab = calloc((size_t)n * (L > 0 ? L : 1), sizeof(float));
    float *img = malloc(sizeof(float) * (size_t)n * per);
    float *lg = malloc(sizeof(float) * (size_t)n * Lc), *ft = malloc(sizeof(float) * (size_t)n * F);
    rc = !z || !lab || !img || !lg || !ft ? cli_out_of_memory(err, errlen) : 0;
    if (!rc && L > 0 && eval_heldout_label_rows(e, &rows, &n_rows, err, errlen))
        rc = 1;
    if (!rc) {
        gan_rng rng;
        gan_rng_seed(&rng, gan_mix64(e->o.seed ^ 0x4556414Cull)); /* "EVAL" */
        gan_draw_latent(e->gm, &rng, z, n);
        for (int i = 0; i < n && L > 0; i++)
            memcpy(lab + (size_t)i * L, rows + (gan_rng_next(&rng) % n_rows) * (size_t)L,
                   sizeof(float) * L);
        e->n_gen = n;
        rc = cli_standing_stats(s, e->gm, e->o.standing, e->o.seed, rows, n_rows,
                                !e->o.no_ema, err, errlen) ||
             gen_classify(e, s, n, z, lab, img, lg, ft, err, errlen);
    }
    for (int a = 0; !rc && a < e->n_attrs; a++) {
        eval_attr *at = &e->attrs[a];
        gan_confusion_add(&at->gen, lg, Lc, at->clf_col, lab + at->gen_col, L, n);
        at->asked_rate = (double)(at->gen.tp + at->gen.fn) / n;
    }
    if (!rc) {
        gan_gauss gg;
        rc = gan_gauss_fit(ft, (size_t)n, F, &gg, err, errlen) ||
             gan_frechet_distance(&gg, &e->real.g, &e->frechet, err, errlen);
        gan_gauss_free(&gg);
        e->gen_diversity = gan_mean_pairwise_distance(ft, (size_t)n, F, 1000);
    }
    if (!rc)
        rc = control(e, s, z, lab, err, errlen);
    free(rows);
    free(z);
    free(lab);
    free(img);
    free(lg);
    free(ft);
    return rc;
}

static int eval_generated(eval_ctx *e, char *err, size_t errlen)
{
    int rc = pick_attrs(e, err, errlen);
    if (rc)
        return rc;
    gan_session *s = open_generator(e, err, errlen);
    if (!s)
        return 1;
    rc = eval_generated_by(e, s, err, errlen);
    gan_session_free(s);
    return rc;
}

/* The classifier (o.clf, o.clf_ckpt), the split and the real held-out faces' statistics. */
int eval_open_judge(eval_ctx *e, char *err, size_t errlen)
{
    const eval_opts *o = &e->o;
    if (!(e->cm = gan_model_load(o->clf, err, errlen)))
        return 1;
    if (gan_ckpt_resolve(o->clf_ckpt, e->clf_ckpt_path, sizeof e->clf_ckpt_path, err, errlen))
        return 1;
    int threads = (int)(o->threads > 0 ? o->threads : cli_cpu_count());
    char e2[1024];
    e->clf = gan_classifier_open(e->cm, e->clf_ckpt_path, o->features, threads, e2, sizeof e2);
    if (!e->clf) {
        snprintf(err, errlen, "%s: %s", o->clf, e2);
        return 1;
    }
    if (e->gm && match_shapes(e, err, errlen))
        return 1;
    return eval_resolve_split(e, err, errlen) || eval_real_stats(e, err, errlen) ? 1 : 0;
}

void eval_ctx_free(eval_ctx *e)
{
    free(e->attrs);
    eval_real_free(&e->real);
    gan_classifier_close(e->clf);
    gan_model_free(e->cm);
    memset(e, 0, sizeof *e);
}

/* Everything after the options: 0, 1 (err says why) or 2 (a usage error, printed). */
static int run_eval(eval_ctx *e, char *err, size_t errlen)
{
    const eval_opts *o = &e->o;
    if (!o->real_only && !(e->gm = gan_model_load(o->model, err, errlen)))
        return 1;
    if (eval_open_judge(e, err, errlen))
        return 1;
    int rc = o->real_only ? 0 : eval_generated(e, err, errlen);
    if (rc)
        return rc;
    eval_print_table(e, stdout);
    return o->json && eval_write_json(e, o->json, err, errlen) ? 1 : 0;
}

int ganrt_eval_main(int argc, char **argv)
{
    eval_ctx e;
    memset(&e, 0, sizeof e);
    int help = 0;
    int rc = parse(argc, argv, &e.o, &help);
    if (rc)
        return rc;
    if (help) {
        fputs(eval_help, stdout);
        return 0;
    }
    cli_precision_note("ganrt eval");
    char err[1200] = "";
    rc = run_eval(&e, err, sizeof err);
    if (rc == 1)
        fprintf(stderr, "ganrt eval: %s\n", err);
    gan_model_free(e.gm);
    eval_ctx_free(&e);
    return rc;
}
