/* Per-attribute confusion counts of a multilabel classifier's decisions (logit > 0, i.e.
 * sigmoid > 0.5) against the attributes asked for. Balanced accuracy is reported beside plain
 * accuracy because most CelebA attributes are rare: always saying "no Eyeglasses" is 93%
 * accurate and 50% balanced-accurate. */
#include "runtime/eval.h"

#include <math.h>

void gan_confusion_add(gan_confusion *c, const float *logits, int n_logits, int col,
                       const float *want, int stride, int n)
{
    for (int i = 0; i < n; i++) {
        int got = logits[(size_t)i * n_logits + col] > 0;
        int w = want[(size_t)i * stride] > 0.5f;
        if (w)
            got ? c->tp++ : c->fn++;
        else
            got ? c->fp++ : c->tn++;
    }
}

double gan_confusion_accuracy(const gan_confusion *c)
{
    long long n = c->tp + c->tn + c->fp + c->fn;
    return n ? (double)(c->tp + c->tn) / (double)n : NAN;
}

double gan_confusion_balanced(const gan_confusion *c)
{
    long long pos = c->tp + c->fn, neg = c->tn + c->fp;
    if (!pos || !neg)
        return NAN;
    return 0.5 * ((double)c->tp / (double)pos + (double)c->tn / (double)neg);
}
