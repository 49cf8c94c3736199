/* The backward of generated programs: gradient tensors on demand, one backward op per
 * forward op or loss term, and the Adam step that ends a training program (plan_gen_core.h). */
#include <string.h>
#include "tests/util/plan_gen_core.h"
#include "format/model_opinfo.h"

/* Gradient tensor of t for accumulation: created (with a ZERO just before its first use) on
 * demand; -1 when t needs none. Must be called before pg_op of the op that uses it. */
int gen_grad(gen *g, int t)
{
    if (t < 0 || t >= GEN_MAXT || !g->needs_grad[t])
        return -1;
    if (T(g, t)->region == GAN_REGION_PARAM)
        return g->pgrad[t];
    if (g->grad[t] < 0) {
        int d = gen_like(g, "d", GAN_REGION_ARENA, t);
        g->grad[t] = d;
        gan_op *z = pg_op(g->b, GAN_OP_ZERO);
        pg_out(z, 0, d);
    }
    return g->grad[t];
}

/* The backward of one forward op (a copy: the op array may move while we append). */
void gen_bwd_op(gen *g, gan_op f)
{
    int y = f.out[0];
    if (y < 0 || y >= GEN_MAXT || g->grad[y] < 0)
        return; /* nothing flowed back into this op */
    int dy = g->grad[y];
    gan_op *op;
    switch (f.type) {
    case GAN_OP_CONV2D:
    case GAN_OP_CONV2D_T: {
        int dx = gen_grad(g, f.in[0]), dw = gen_grad(g, f.in[1]), db = gen_grad(g, f.in[2]);
        int wsp = -1;
        if (f.out[1] >= 0 && (g->det || rr(g, 0, 1))) {
            /* a workspace of its own for the backward */
            uint64_t need = T(g, f.out[1])->numel;
            int n = (int)need;
            wsp = gen_new(g, "wsb", GAN_REGION_ARENA, 1, &n);
        }
        op = pg_op(g->b, gan_op_backward(f.type));
        pg_in(op, 0, f.in[0]);
        pg_in(op, 1, f.in[1]);
        pg_in(op, 2, f.i[0] != GAN_ACT_NONE || (!g->det && rr(g, 0, 1)) ? y : -1);
        pg_in(op, 3, dy);
        pg_out(op, 0, dx);
        pg_out(op, 1, dw);
        pg_out(op, 2, db);
        pg_out(op, 3, wsp);
        memcpy(op->i, f.i, sizeof op->i);
        memcpy(op->f, f.f, sizeof op->f);
        return;
    }
    case GAN_OP_DENSE: {
        int dx = gen_grad(g, f.in[0]), dw = gen_grad(g, f.in[1]), db = gen_grad(g, f.in[2]);
        op = pg_op(g->b, GAN_OP_DENSE_BWD);
        pg_in(op, 0, f.in[0]);
        pg_in(op, 1, f.in[1]);
        pg_in(op, 2, f.i[0] != GAN_ACT_NONE ? y : -1);
        pg_in(op, 3, dy);
        pg_out(op, 0, dx);
        pg_out(op, 1, dw);
        pg_out(op, 2, db);
        op->i[0] = f.i[0];
        op->f[0] = f.f[0];
        return;
    }
    case GAN_OP_BN_TRAIN: {
        int dx = gen_grad(g, f.in[0]), dg = gen_grad(g, f.in[1]), dbt = gen_grad(g, f.in[2]);
        op = pg_op(g->b, GAN_OP_BN_TRAIN_BWD);
        pg_in(op, 0, f.in[0]);
        pg_in(op, 1, f.in[1]);
        pg_in(op, 2, f.i[0] != GAN_ACT_NONE ? y : -1);
        pg_in(op, 3, dy);
        pg_in(op, 4, f.out[1]);
        pg_in(op, 5, f.out[2]);
        pg_out(op, 0, dx);
        pg_out(op, 1, dg);
        pg_out(op, 2, dbt);
        op->i[0] = f.i[0];
        op->f[0] = f.f[0];
        return;
    }
    case GAN_OP_SPECTRAL_NORM: {
        int dw = gen_grad(g, f.in[0]);
        if (dw < 0)
            return;
        op = pg_op(g->b, GAN_OP_SPECTRAL_NORM_BWD);
        pg_in(op, 0, f.in[0]);
        pg_in(op, 1, f.in[1]);
        pg_in(op, 2, f.out[1]);
        pg_in(op, 3, f.out[2]);
        pg_in(op, 4, dy);
        pg_out(op, 0, dw);
        return;
    }
    case GAN_OP_ACT: {
        int dx = gen_grad(g, f.in[0]);
        if (dx < 0)
            return;
        op = pg_op(g->b, GAN_OP_ACT_BWD);
        pg_in(op, 0, y);
        pg_in(op, 1, dy);
        pg_out(op, 0, dx);
        op->i[0] = f.i[0];
        op->f[0] = f.f[0];
        return;
    }
    case GAN_OP_CONCAT: {
        int d[GAN_OP_MAX_IO];
        for (int j = 0; j < f.n_in; j++) {
            d[j] = gen_grad(g, f.in[j]);
            /* the same value twice: only the first slot takes its gradient */
            for (int i = 0; i < j; i++)
                if (f.in[i] == f.in[j])
                    d[j] = -1;
        }
        op = pg_op(g->b, GAN_OP_CONCAT_BWD);
        pg_in(op, 0, dy);
        for (int j = 0; j < f.n_in; j++)
            op->out[j] = d[j];
        op->n_out = f.n_in;
        op->i[7] = f.n_in;
        return;
    }
    case GAN_OP_ADD:
    case GAN_OP_MUL:
    case GAN_OP_ROWDOT: {
        int da = gen_grad(g, f.in[0]), db = f.in[1] == f.in[0] ? -1 : gen_grad(g, f.in[1]);
        if (da < 0 && db < 0)
            return;
        if (f.type == GAN_OP_ADD) {
            op = pg_op(g->b, GAN_OP_ADD_BWD);
            pg_in(op, 0, dy);
        } else {
            op = pg_op(g->b, gan_op_backward(f.type));
            pg_in(op, 0, f.in[0]);
            pg_in(op, 1, f.in[1]);
            pg_in(op, 2, dy);
        }
        pg_out(op, 0, da);
        pg_out(op, 1, db);
        return;
    }
    case GAN_OP_UPSAMPLE:
    case GAN_OP_GAP:
    case GAN_OP_COPY:
    case GAN_OP_TILE: {
        int dx = gen_grad(g, f.in[0]);
        if (dx < 0)
            return;
        op = pg_op(g->b, gan_op_backward(f.type));
        pg_in(op, 0, dy);
        pg_out(op, 0, dx);
        op->i[1] = f.i[1];
        return;
    }
    default:
        return;
    }
}

void gen_loss_bwd(gen *g, int kind, int in, int target, float w, int din)
{
    gan_op *op = pg_op(g->b, kind + (GAN_OP_LOSS_HINGE_REAL_BWD - GAN_OP_LOSS_HINGE_REAL));
    pg_in(op, 0, in);
    if (target >= 0)
        pg_in(op, 1, target);
    pg_out(op, 0, din);
    op->f[0] = w;
    op->f[1] = kind == GAN_OP_LOSS_MEAN ? -1.0f : 1.0f;
}

void gen_adam(gen *g, int p, int gr, int m, int v, int t)
{
    gan_op *op = pg_op(g->b, GAN_OP_ADAM);
    pg_in(op, 0, p);
    pg_in(op, 1, gr);
    pg_in(op, 2, m);
    pg_in(op, 3, v);
    pg_in(op, 4, t);
    op->i[0] = 1;
    op->f[0] = 2e-4f;
    op->f[2] = 0.999f;
    op->f[3] = 1e-8f;
}
