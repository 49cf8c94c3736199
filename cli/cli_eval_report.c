/* ganrt eval's output: a table for people and a JSON file for scripts, with the same
 * figures. An undefined figure (balanced accuracy of an attribute no face has) is "-" in the
 * table and null in the JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/cli_eval.h"
#include "common/bytes.h"

static void cell(FILE *f, double v)
{
    if (isnan(v))
        fprintf(f, " %7s", "-");
    else
        fprintf(f, " %7.3f", v);
}

/* Mean of the defined values. */
typedef struct {
    double sum;
    int n;
} avg;
static void avg_add(avg *a, double v)
{
    if (!isnan(v))
        a->sum += v, a->n++;
}
static double avg_get(const avg *a) { return a->n ? a->sum / a->n : NAN; }

static double ratio(long long a, long long b) { return b ? (double)a / (double)b : NAN; }

static const char *rule_text(const gan_split_info *s)
{
    return s->rule == GAN_SPLIT_LAST_N      ? "the last N images"
           : s->rule == GAN_SPLIT_PARTITION ? "list_eval_partition.txt (partitions 1, 2)"
                                            : "none";
}

static void print_real_only(const eval_ctx *e, FILE *f)
{
    const gan_hyper *c = &e->cm->hyper;
    fprintf(f, "%-20s %7s %7s %7s\n", "attribute", "acc", "bal_acc", "pos");
    avg ma = {0}, mb = {0};
    for (int k = 0; k < c->n_labels; k++) {
        const gan_confusion *r = &e->real.conf[k];
        double a = gan_confusion_accuracy(r), b = gan_confusion_balanced(r);
        fprintf(f, "%-20s", c->label_names[k]);
        cell(f, a);
        cell(f, b);
        cell(f, ratio(r->tp + r->fn, e->real.n_images));
        fputc('\n', f);
        avg_add(&ma, a);
        avg_add(&mb, b);
    }
    fprintf(f, "%-20s", "mean");
    cell(f, avg_get(&ma));
    cell(f, avg_get(&mb));
    fputc('\n', f);
}

void eval_print_table(const eval_ctx *e, FILE *f)
{
    fprintf(f, "held-out real faces: %lld of %zu held out in %s (split: %s%s%lld)%s\n",
            e->real.n_images, e->split.n_heldout, e->o.real, rule_text(&e->split),
            e->split.rule == GAN_SPLIT_LAST_N ? ", N = " : "",
            e->split.rule == GAN_SPLIT_LAST_N ? e->split.holdout : 0LL,
            e->real.from_cache ? "; statistics from the cache" : "");
    fprintf(f, "classifier %s, features %s (%d values)\n\n", e->clf_ckpt_path,
            gan_classifier_feature_name(e->clf), gan_classifier_feature_dim(e->clf));
    if (e->o.real_only) {
        print_real_only(e, f);
        fprintf(f, "\ndiversity (mean pairwise feature distance) of real faces: %.4f\n",
                e->real.diversity);
        return;
    }
    fprintf(f, "generator %s (step %llu%s), %lld faces, attributes from held-out rows",
            e->gen_ckpt_path, e->gen_step, e->o.no_ema ? ", raw weights" : "", e->n_gen);
    if (e->o.standing > 0)
        fprintf(f, "; batch norms with standing statistics over %lld batches", e->o.standing);
    fprintf(f, "\n\n");
    fprintf(f, "%-20s %7s %7s %7s %7s %7s %7s %7s\n", "attribute", "asked", "gen_acc", "gen_bal",
            "real_acc", "real_bal", "control", "flips");
    avg m[6] = {{0}};
    for (int a = 0; a < e->n_attrs; a++) {
        const eval_attr *at = &e->attrs[a];
        const gan_confusion *r = &e->real.conf[at->clf_col];
        double v[6] = {gan_confusion_accuracy(&at->gen), gan_confusion_balanced(&at->gen),
                       gan_confusion_accuracy(r), gan_confusion_balanced(r),
                       ratio(at->ctl_follow, at->ctl_pairs), ratio(at->ctl_flip, at->ctl_pairs)};
        fprintf(f, "%-20s", e->gm->hyper.label_names[at->gen_col]);
        cell(f, at->asked_rate);
        for (int i = 0; i < 6; i++) {
            cell(f, v[i]);
            avg_add(&m[i], v[i]);
        }
        fputc('\n', f);
    }
    fprintf(f, "%-20s %7s", "mean", "");
    for (int i = 0; i < 6; i++)
        cell(f, avg_get(&m[i]));
    fprintf(f, "\n\nFréchet distance (classifier features, generated vs real held-out): %.4f\n",
            e->frechet);
    fprintf(f, "diversity (mean pairwise feature distance): generated %.4f, real %.4f\n",
            e->gen_diversity, e->real.diversity);
}

/* JSON writer on a growing buffer: numbers with %.6g, NaN as null. */
static void jnum(gan_wbuf *w, const char *key, double v, int comma)
{
    char b[96];
    int k = isnan(v) || isinf(v) ? snprintf(b, sizeof b, "\"%s\": null", key)
                                 : snprintf(b, sizeof b, "\"%s\": %.6g", key, v);
    gan_put_bytes(w, b, (size_t)k);
    if (comma)
        gan_put_bytes(w, ", ", 2);
}

static void jstr(gan_wbuf *w, const char *key, const char *v, int comma)
{
    gan_put_bytes(w, "\"", 1);
    gan_put_bytes(w, key, strlen(key));
    gan_put_bytes(w, "\": \"", 4);
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '"' || *p == '\\')
            gan_put_bytes(w, "\\", 1);
        if ((unsigned char)*p < 0x20)
            continue;
        gan_put_bytes(w, p, 1);
    }
    gan_put_bytes(w, comma ? "\", " : "\"", comma ? 3 : 1);
}

static void json_attrs(const eval_ctx *e, gan_wbuf *w)
{
    const gan_hyper *c = &e->cm->hyper;
    avg m[6] = {{0}};
    int n = e->o.real_only ? c->n_labels : e->n_attrs;
    gan_put_bytes(w, "\"attributes\": [", 15);
    for (int a = 0; a < n; a++) {
        const eval_attr *at = e->o.real_only ? NULL : &e->attrs[a];
        const gan_confusion *r = &e->real.conf[at ? at->clf_col : a];
        gan_put_bytes(w, a ? ",\n  {" : "\n  {", a ? 5 : 4);
        jstr(w, "name", c->label_names[at ? at->clf_col : a], 1);
        double v[6] = {gan_confusion_accuracy(r), gan_confusion_balanced(r), NAN, NAN, NAN, NAN};
        if (at) {
            v[2] = gan_confusion_accuracy(&at->gen);
            v[3] = gan_confusion_balanced(&at->gen);
            v[4] = ratio(at->ctl_follow, at->ctl_pairs);
            v[5] = ratio(at->ctl_flip, at->ctl_pairs);
            jnum(w, "asked_rate", at->asked_rate, 1);
        }
        static const char *const keys[6] = {"real_acc", "real_bal_acc", "gen_acc",
                                             "gen_bal_acc", "control", "flips"};
        for (int i = 0; i < (at ? 6 : 2); i++) {
            jnum(w, keys[i], v[i], i + 1 < (at ? 6 : 2));
            avg_add(&m[i], v[i]);
        }
        gan_put_bytes(w, "}", 1);
    }
    gan_put_bytes(w, "\n],\n\"mean\": {", 13);
    static const char *const mk[6] = {"real_acc", "real_bal_acc", "gen_acc", "gen_bal_acc",
                                      "control", "flips"};
    for (int i = 0; i < (e->o.real_only ? 2 : 6); i++)
        jnum(w, mk[i], avg_get(&m[i]), i + 1 < (e->o.real_only ? 2 : 6));
    gan_put_bytes(w, "},\n", 3);
}

int eval_write_json(const eval_ctx *e, const char *path, char *err, size_t errlen)
{
    gan_wbuf w = {0};
    gan_put_bytes(&w, "{", 1);
    jstr(&w, "classifier", e->o.clf, 1);
    jstr(&w, "classifier_ckpt", e->clf_ckpt_path, 1);
    jstr(&w, "features", gan_classifier_feature_name(e->clf), 1);
    jnum(&w, "feature_dim", gan_classifier_feature_dim(e->clf), 1);
    jstr(&w, "real", e->o.real, 1);
    gan_put_bytes(&w, "\n\"split\": {", 11);
    jstr(&w, "rule", e->split.rule == GAN_SPLIT_LAST_N ? "last_n"
                     : e->split.rule == GAN_SPLIT_PARTITION ? "partition" : "none", 1);
    jnum(&w, "holdout", (double)e->split.holdout, 1);
    jnum(&w, "images", (double)e->split.n_rows, 1);
    jnum(&w, "heldout", (double)e->split.n_heldout, 1);
    jstr(&w, "first_heldout", e->split.first, 1);
    jstr(&w, "last_heldout", e->split.last, 0);
    gan_put_bytes(&w, "},\n", 3);
    jnum(&w, "n_real", (double)e->real.n_images, 1);
    jnum(&w, "real_diversity", e->real.diversity, 1);
    if (!e->o.real_only) {
        jstr(&w, "model", e->o.model, 1);
        jstr(&w, "ckpt", e->gen_ckpt_path, 1);
        jnum(&w, "step", (double)e->gen_step, 1);
        jnum(&w, "n", (double)e->n_gen, 1);
        jnum(&w, "seed", (double)e->o.seed, 1);
        jnum(&w, "pairs", (double)e->o.pairs, 1);
        jnum(&w, "standing", (double)e->o.standing, 1);
        jnum(&w, "frechet", e->frechet, 1);
        jnum(&w, "gen_diversity", e->gen_diversity, 1);
    }
    gan_put_bytes(&w, "\n", 1);
    json_attrs(e, &w);
    jnum(&w, "real_only", e->o.real_only, 0);
    gan_put_bytes(&w, "}\n", 2);
    int rc = w.failed ? cli_out_of_memory(err, errlen)
                      : gan_write_file_atomic(path, w.data, w.len, err, errlen);
    gan_wbuf_free(&w);
    return rc;
}

int eval_summary(const eval_ctx *e, double *v, int max)
{
    avg m[3] = {{0}};
    int k = EVAL_SUMMARY_FIXED;
    for (int a = 0; a < e->n_attrs; a++) {
        const eval_attr *at = &e->attrs[a];
        double bal = gan_confusion_balanced(&at->gen);
        avg_add(&m[0], bal);
        avg_add(&m[1], gan_confusion_accuracy(&at->gen));
        avg_add(&m[2], ratio(at->ctl_follow, at->ctl_pairs));
        if (k < max)
            v[k++] = bal;
    }
    double fixed[EVAL_SUMMARY_FIXED] = {avg_get(&m[0]), avg_get(&m[1]), avg_get(&m[2]),
                                        e->frechet, e->gen_diversity};
    for (int i = 0; i < EVAL_SUMMARY_FIXED && i < max; i++)
        v[i] = fixed[i];
    return k;
}

const char *eval_summary_name(int i)
{
    static const char *const names[EVAL_SUMMARY_FIXED] = {
        "eval_bal_acc", "eval_acc", "eval_control", "eval_frechet", "eval_diversity"};
    return i >= 0 && i < EVAL_SUMMARY_FIXED ? names[i] : NULL;
}
