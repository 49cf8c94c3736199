/* Test-side reader of ganrt's checkpoint container (docs/checkpoint-format.md), written
 * independently of runtime/train/checkpoint.c so the golden files of tests/golden/step/ can
 * hold arbitrary named tensors (inputs, per-run snapshots) that no model has. */
#ifndef REF_CKPT_H
#define REF_CKPT_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char name[64];
    int ndim;
    int shape[4];
    size_t numel;
    float *data;     /* owned by the ref_ckpt */
} ref_tensor;

typedef struct {
    int n;
    ref_tensor *t;
} ref_ckpt;

/* Reads and checks (magic, version, sizes, both CRCs, every entry). 0, or -1 with
 * "PATH: what" in err. */
int ref_ckpt_read(const char *path, ref_ckpt *c, char *err, size_t errlen);
void ref_ckpt_free(ref_ckpt *c);
/* NULL when absent. */
const ref_tensor *ref_ckpt_find(const ref_ckpt *c, const char *name);

/* Element-wise comparison of got against want (n values): passes when every
 * |got - want| <= atol + rtol * |want| + extra[i] (extra may be NULL; both finite). Fills the worst element (largest
 * |got - want| / (atol + rtol * |want|)). Returns 1 when all pass. */
typedef struct {
    size_t worst;          /* index of the worst element */
    double worst_ratio;    /* its error / its allowance (<= 1 passes) */
    double worst_allow;    /* that allowance */
    double max_abs;        /* largest |got - want| */
    size_t n_bad;
} ref_cmp;
int ref_compare(const float *got, const float *want, size_t n, double rtol, double atol,
                const double *extra, ref_cmp *r);
#endif
