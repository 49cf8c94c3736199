/* ganrt train --eval-every: the evaluation of cli_eval.c on the live session, between two
 * steps. Sampling runs the inference program (no running statistic or spectral-norm vector
 * is updated) with z and attribute rows from the evaluation's own RNG, so a run with
 * evaluations trains bit for bit as one without. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/cli_eval.h"
#include "cli/cli_train_eval.h"

struct train_eval {
    eval_ctx e;
    long long every;
    int n_cols;
    char (*names)[GAN_NAME_MAX + 16];
    const char **cols;
};

void train_eval_defaults(train_eval_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n = 500;
    o->pairs = 25;
}

int train_eval_parse_opt(gan_args *a, train_eval_opts *o)
{
    const char *op = a->opt;
    int r;
    if (!strcmp(op, "--eval-every")) r = gan_args_ll(a, 1, (long long)1e12, &o->every);
    else if (!strcmp(op, "--eval-classifier")) r = gan_args_str(a, &o->clf);
    else if (!strcmp(op, "--eval-classifier-ckpt")) r = gan_args_str(a, &o->clf_ckpt);
    else if (!strcmp(op, "--eval-real")) r = gan_args_str(a, &o->real);
    else if (!strcmp(op, "--eval-n")) r = gan_args_ll(a, 2, 1000000, &o->n);
    else if (!strcmp(op, "--eval-pairs")) r = gan_args_ll(a, 0, 100000, &o->pairs);
    else
        return 0;
    return r ? 2 : 1;
}

int train_eval_check(gan_args *a, const train_eval_opts *o)
{
    int any = o->clf || o->clf_ckpt || o->real;
    if (!o->every && any)
        return gan_usage_error(a, "--eval-classifier, --eval-classifier-ckpt and --eval-real "
                               "go with --eval-every N");
    if (o->every && (!o->clf || !o->clf_ckpt))
        return gan_usage_error(a, "--eval-every needs --eval-classifier CLF.bin and "
                               "--eval-classifier-ckpt CLF_RUN (a trained attribute classifier: "
                               "models/attr_classifier.gan)");
    return 0;
}

train_eval *train_eval_open(const train_eval_opts *o, const gan_model *m, const char *data,
                            long long holdout, int threads, uint64_t seed, char *err,
                            size_t errlen)
{
    if (gan_model_find_role(m, GAN_PROG_SAMPLE) < 0 || m->hyper.latent_size <= 0) {
        snprintf(err, errlen, "--eval-every: the model has no generator to evaluate");
        return NULL;
    }
    train_eval *te = calloc(1, sizeof *te);
    if (!te) {
        cli_out_of_memory(err, errlen);
        return NULL;
    }
    te->every = o->every;
    eval_opts *eo = &te->e.o;
    eo->clf = o->clf;
    eo->clf_ckpt = o->clf_ckpt;
    eo->real = o->real ? o->real : data;
    eo->n = o->n;
    eo->n_real = 2000;
    eo->pairs = o->pairs;
    eo->threads = threads;
    eo->seed = seed;
    eo->model = "the model";
    if (holdout > 0) {
        eo->holdout = holdout;
        eo->holdout_given = 1;
    }
    te->e.gm = (gan_model *)m; /* borrowed; eval_ctx_free leaves it */
    int rc = eval_open_judge(&te->e, err, errlen);
    /* a first evaluation fixes the attributes (and so the columns) before the header */
    int L = m->hyper.n_labels;
    te->names = calloc((size_t)EVAL_SUMMARY_FIXED + L + 1, sizeof *te->names);
    te->cols = calloc((size_t)EVAL_SUMMARY_FIXED + L + 1, sizeof *te->cols);
    if (!rc && (!te->names || !te->cols))
        rc = cli_out_of_memory(err, errlen);
    if (rc) {
        train_eval_close(te);
        return NULL;
    }
    return te;
}

/* The columns need the attributes eval picks, which it picks on its first run: they are
 * named here from the same rule (shared labels of generator and classifier). */
static void name_cols(train_eval *te)
{
    const gan_hyper *g = &te->e.gm->hyper, *c = &te->e.cm->hyper;
    int k = 0;
    for (; k < EVAL_SUMMARY_FIXED; k++)
        snprintf(te->names[k], sizeof te->names[k], "%s", eval_summary_name(k));
    for (int i = 0; i < g->n_labels; i++)
        for (int j = 0; j < c->n_labels; j++)
            if (!strcmp(g->label_names[i], c->label_names[j])) {
                snprintf(te->names[k++], sizeof *te->names, "eval_bal_%s", g->label_names[i]);
                break;
            }
    te->n_cols = k;
    for (int i = 0; i < k; i++)
        te->cols[i] = te->names[i];
}

int train_eval_n_cols(const train_eval *te)
{
    if (te && !te->n_cols)
        name_cols((train_eval *)te);
    return te ? te->n_cols : 0;
}

const char *const *train_eval_cols(const train_eval *te)
{
    train_eval_n_cols(te);
    return te ? te->cols : NULL;
}

int train_eval_due(const train_eval *te, long long step, int last)
{
    return te && (last || step % te->every == 0);
}

int train_eval_run(train_eval *te, gan_session *s, double *vals, char *err, size_t errlen)
{
    int n = train_eval_n_cols(te);
    int rc = eval_generated_by(&te->e, s, err, errlen);
    if (rc == 2) /* no usage error is possible without --attrs; keep the contract anyway */
        rc = 1;
    if (!rc && eval_summary(&te->e, vals, n) != n) {
        snprintf(err, errlen, "--eval-every: the evaluated attributes are not the columns");
        rc = 1;
    }
    return rc;
}

void train_eval_close(train_eval *te)
{
    if (!te)
        return;
    te->e.gm = NULL;
    eval_ctx_free(&te->e);
    free(te->names);
    free(te->cols);
    free(te);
}
