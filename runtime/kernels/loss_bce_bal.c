/* Class-balanced BCE with logits (the loss bce_balanced): per attribute k of logits [n, k],
 * its positives (t >= 0.5) and its negatives each carry half of the attribute's weight, so a
 * rare attribute (CelebA's Eyeglasses: 6 % of the faces) pulls as hard as a common one;
 * balanced accuracy is what the evaluation reports. An attribute with one class only in the
 * batch weights that class 1/n (its plain mean). Everything is per column, in order, in
 * double: the result does not depend on the thread count (the loss is small: n x k). */
#include <math.h>
#include "runtime/kernels.h"
#include "runtime/kernels/kern_internal.h"

/* the weights of column j's positives and negatives */
static void col_weights(const float *t, int n, int k, int j, double *wp, double *wn)
{
    int pos = 0;
    for (int i = 0; i < n; i++)
        pos += t[(size_t)i * k + j] >= 0.5f;
    int neg = n - pos;
    *wp = pos == 0 ? 0.0 : neg == 0 ? 1.0 / n : 0.5 / pos;
    *wn = neg == 0 ? 0.0 : pos == 0 ? 1.0 / n : 0.5 / neg;
}

float kern_loss_bce_bal_fwd(const float *l, const float *t, int n, int k, int threads)
{
    (void)threads;
    if (n <= 0 || k <= 0)
        return 0.0f;
    double s = 0.0;
    for (int j = 0; j < k; j++) {
        double wp, wn, col = 0.0;
        col_weights(t, n, k, j, &wp, &wn);
        for (int i = 0; i < n; i++) {
            double x = l[(size_t)i * k + j], y = t[(size_t)i * k + j];
            double e = (x > 0 ? x : 0) - x * y + log1p(exp(-fabs(x)));
            col += (y >= 0.5 ? wp : wn) * e;
        }
        s += col;
    }
    return (float)(s / k);
}

void kern_loss_bce_bal_bwd(const float *l, const float *t, float *dl, int n, int k, float weight,
                           int threads)
{
    (void)threads;
    if (n <= 0 || k <= 0)
        return;
    for (int j = 0; j < k; j++) {
        double wp, wn;
        col_weights(t, n, k, j, &wp, &wn);
        for (int i = 0; i < n; i++) {
            size_t e = (size_t)i * k + j;
            double w = (t[e] >= 0.5f ? wp : wn) * weight / k;
            dl[e] += (float)(w * (kern_act1(l[e], GAN_ACT_SIGMOID, 0.0f) - t[e]));
        }
    }
}
