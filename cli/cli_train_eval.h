/* ganrt train --eval-every N (cli_train_eval.c): ganrt eval's figures of the run's own
 * generator every N steps and after the last, as named columns of RUN/metrics.csv
 * (docs/evaluation.md). Internal to cli/. */
#ifndef GAN_CLI_TRAIN_EVAL_H
#define GAN_CLI_TRAIN_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include "format/model.h"
#include "runtime/train.h"
#include "runtime/train/args.h"

typedef struct {
    const char *clf, *clf_ckpt, *real;
    long long every, n, pairs;
} train_eval_opts;

/* Defaults; then each option of argv: 1 taken, 0 not an --eval option, 2 a usage error
 * (printed). check: the options that go together, after all were read (0 or 2). */
void train_eval_defaults(train_eval_opts *o);
int train_eval_parse_opt(gan_args *a, train_eval_opts *o);
int train_eval_check(gan_args *a, const train_eval_opts *o);

typedef struct train_eval train_eval;
/* The judge for model m (borrowed: it must outlive the result): the classifier, and the
 * statistics of the held-out real faces of o->real (default: data). holdout > 0: the run's
 * --holdout, which the evaluation then holds out too; else the classifier run's split. */
train_eval *train_eval_open(const train_eval_opts *o, const gan_model *m, const char *data,
                            long long holdout, int threads, uint64_t seed, char *err,
                            size_t errlen);
void train_eval_close(train_eval *te);
int train_eval_n_cols(const train_eval *te);
const char *const *train_eval_cols(const train_eval *te);
int train_eval_due(const train_eval *te, long long step, int last);
/* The figures of the faces s draws now (EMA weights where the model has them) into
 * vals[0 .. n_cols): 0, or 1 with a message. Leaves the training state untouched. */
int train_eval_run(train_eval *te, gan_session *s, double *vals, char *err, size_t errlen);

#endif
