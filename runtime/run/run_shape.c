#include "runtime/run/run.h"

/* Per-sample sizes of concat's parts; one skipped part (its gradient unwanted) gets what the
 * whole has left over, more cannot be inferred. */
static int run_concat(const gan_run_ctx *c)
{
    int bwd = c->op->type == GAN_OP_CONCAT_BWD;
    int k = bwd ? (c->op->i[7] > 0 ? c->op->i[7] : c->op->n_out) : c->op->n_in;
    const gan_tensor *whole = bwd ? c->tin[0] : c->tout[0];
    const gan_tensor *const *parts = bwd ? c->tout : c->tin;
    float *const *pd = bwd ? c->out : c->in;
    size_t sz[GAN_OP_MAX_IO], tot = 0, wps = run_per_sample(whole);
    int missing = -1, n_missing = 0;
    for (int j = 0; j < k; j++) {
        if (!parts[j]) {
            missing = j;
            n_missing++;
            sz[j] = 0;
            continue;
        }
        sz[j] = run_per_sample(parts[j]);
        tot += sz[j];
    }
    if (n_missing > 1)
        return gan_run_fail(c, "%d skipped parts: their sizes cannot be inferred", n_missing);
    if (n_missing == 1) {
        if (tot > wps)
            return gan_run_fail(c, "parts are larger than the whole");
        sz[missing] = wps - tot;
        tot = wps;
    }
    if (tot != wps)
        return gan_run_fail(c, "parts sum to %zu per sample, the whole has %zu", tot, wps);
    int n = run_dim(whole, 0);
    if (bwd) {
        kern_concat_bwd(c->in[0], pd, sz, k, n, c->threads);
    } else {
        const float *xs[GAN_OP_MAX_IO];
        for (int j = 0; j < k; j++)
            xs[j] = pd[j];
        kern_concat_fwd(xs, sz, k, n, c->out[0], c->threads);
    }
    return 0;
}

/* TILE, GAP and their backwards: the [N,L,H,W] side and the [N,L] side. */
static void run_flat_map(const gan_run_ctx *c)
{
    int t = c->op->type, th = c->threads;
    const gan_tensor *big = t == GAN_OP_TILE_BWD || t == GAN_OP_GAP ? c->tin[0] : c->tout[0];
    int n = run_dim(big, 0), l = run_dim(big, 1);
    size_t hw = (size_t)run_dim(big, 2) * run_dim(big, 3);
    float *x = c->in[0], *y = c->out[0];
    switch (t) {
    case GAN_OP_TILE: kern_tile_fwd(x, y, n, l, hw, th); break;
    case GAN_OP_TILE_BWD: kern_tile_bwd(x, y, n, l, hw, th); break;
    case GAN_OP_GAP: kern_gap_fwd(x, y, n, l, hw, th); break;
    default: kern_gap_bwd(x, y, n, l, hw, th); break;
    }
}

int gan_run_shape(const gan_run_ctx *c)
{
    const gan_op *op = c->op;
    float *const *a = c->in, *const *o = c->out;
    size_t n0 = c->tin[0] ? run_numel(c->tin[0]) : 0;
    int th = c->threads;
    switch (op->type) {
    case GAN_OP_ZERO: kern_zero(o[0], run_numel(c->tout[0]), th); return 0;
    case GAN_OP_COPY: kern_copy(a[0], o[0], n0, th); return 0;
    case GAN_OP_COPY_BWD: kern_accum(a[0], o[0], n0, th); return 0;
    case GAN_OP_UPSAMPLE:
    case GAN_OP_UPSAMPLE_BWD: {
        const gan_tensor *sm = op->type == GAN_OP_UPSAMPLE ? c->tin[0] : c->tout[0];
        size_t nc = (size_t)run_dim(sm, 0) * run_dim(sm, 1);
        if (op->type == GAN_OP_UPSAMPLE)
            kern_upsample_fwd(a[0], o[0], nc, run_dim(sm, 2), run_dim(sm, 3), op->i[1], th);
        else
            kern_upsample_bwd(a[0], o[0], nc, run_dim(sm, 2), run_dim(sm, 3), op->i[1], th);
        return 0;
    }
    case GAN_OP_ACT: kern_act_fwd(a[0], o[0], n0, op->i[0], op->f[0], th); return 0;
    case GAN_OP_ACT_BWD: kern_act_bwd(a[0], a[1], o[0], n0, op->i[0], op->f[0], th); return 0;
    case GAN_OP_CONCAT:
    case GAN_OP_CONCAT_BWD: return run_concat(c);
    case GAN_OP_TILE:
    case GAN_OP_TILE_BWD:
    case GAN_OP_GAP:
    case GAN_OP_GAP_BWD: run_flat_map(c); return 0;
    case GAN_OP_ADD: kern_add_fwd(a[0], a[1], o[0], n0, th); return 0;
    case GAN_OP_MUL: kern_mul_fwd(a[0], a[1], o[0], n0, th); return 0;
    case GAN_OP_ADD_BWD: kern_add_bwd(a[0], o[0], o[1], n0, th); return 0;
    case GAN_OP_MUL_BWD: kern_mul_bwd(a[0], a[1], a[2], o[0], o[1], n0, th); return 0;
    case GAN_OP_ROWDOT:
        kern_rowdot_fwd(a[0], a[1], o[0], run_dim(c->tin[0], 0), run_per_sample(c->tin[0]), th);
        return 0;
    default: /* ROWDOT_BWD */
        kern_rowdot_bwd(a[0], a[1], a[2], o[0], o[1], run_dim(c->tin[0], 0),
                        run_per_sample(c->tin[0]), th);
        return 0;
    }
}
