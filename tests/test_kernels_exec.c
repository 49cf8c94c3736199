/* gan_exec_program on small hand-built models: a dense + tanh + mean-loss step with its
 * backward and Adam, checked against the kernels called directly; and malformed programs
 * (unknown op, bad index, shape mismatch, tensor outside its region) rejected cleanly. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/exec.h"
#include "runtime/kernels.h"
#include "tests/util/kern_util.h"

typedef struct {
    gan_model m;
    gan_tensor t[32];
    gan_program p;
    gan_op ops[16];
    float *base[GAN_REGION_COUNT];
} tiny;

static int add_tensor(tiny *s, const char *name, int region, int ndim, int d0, int d1, int d2,
                      int d3)
{
    int i = s->m.n_tensors++;
    ck_assert_int_lt(i, 32);
    gan_tensor *t = &s->t[i];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->region = (uint8_t)region;
    t->ndim = (uint8_t)ndim;
    int d[4] = {d0, d1, d2, d3};
    t->numel = 1;
    for (int k = 0; k < ndim; k++) {
        t->shape[k] = d[k];
        t->numel *= (uint64_t)d[k];
    }
    t->offset = s->m.region_floats[region];
    s->m.region_floats[region] += t->numel;
    t->init_src = -1;
    return i;
}

static gan_op *add_op(tiny *s, int type, int n_in, const int *in, int n_out, const int *out)
{
    ck_assert_int_lt(s->p.n_ops, 16);
    gan_op *o = &s->ops[s->p.n_ops++];
    memset(o, 0, sizeof *o);
    o->type = (uint16_t)type;
    o->n_in = (uint8_t)n_in;
    o->n_out = (uint8_t)n_out;
    for (int k = 0; k < GAN_OP_MAX_IO; k++) {
        o->in[k] = k < n_in ? in[k] : -1;
        o->out[k] = k < n_out ? out[k] : -1;
    }
    return o;
}

static void finish(tiny *s)
{
    s->m.tensors = s->t;
    s->m.n_programs = 1;
    s->m.programs = &s->p;
    snprintf(s->p.name, sizeof s->p.name, "step");
    s->p.ops = s->ops;
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        s->base[r] = kernt_alloc(s->m.region_floats[r]);
}

static void release(tiny *s)
{
    for (int r = 0; r < GAN_REGION_COUNT; r++)
        free(s->base[r]);
}

enum { X, W, B, Y, LOSS, DY, DW, DB, M, V, T };

static void build_dense_step(tiny *s)
{
    memset(s, 0, sizeof *s);
    add_tensor(s, "x", GAN_REGION_ARENA, 2, 2, 3, 0, 0);
    add_tensor(s, "w", GAN_REGION_PARAM, 2, 2, 3, 0, 0);
    add_tensor(s, "b", GAN_REGION_PARAM, 1, 2, 0, 0, 0);
    add_tensor(s, "y", GAN_REGION_ARENA, 2, 2, 2, 0, 0);
    add_tensor(s, "loss", GAN_REGION_ARENA, 1, 1, 0, 0, 0);
    add_tensor(s, "dy", GAN_REGION_ARENA, 2, 2, 2, 0, 0);
    add_tensor(s, "dw", GAN_REGION_GRAD, 2, 2, 3, 0, 0);
    add_tensor(s, "db", GAN_REGION_GRAD, 1, 2, 0, 0, 0);
    add_tensor(s, "m", GAN_REGION_STATE, 2, 2, 3, 0, 0);
    add_tensor(s, "v", GAN_REGION_STATE, 2, 2, 3, 0, 0);
    add_tensor(s, "t", GAN_REGION_STATE, 1, 1, 0, 0, 0);
    gan_op *o;
    o = add_op(s, GAN_OP_DENSE, 3, (int[]){X, W, B}, 1, (int[]){Y});
    o->i[0] = GAN_ACT_TANH;
    o = add_op(s, GAN_OP_LOSS_MEAN, 1, (int[]){Y}, 1, (int[]){LOSS});
    o->f[1] = 2.0f;
    add_op(s, GAN_OP_ZERO, 0, NULL, 1, (int[]){DY});
    o = add_op(s, GAN_OP_LOSS_MEAN_BWD, 1, (int[]){Y}, 1, (int[]){DY});
    o->f[0] = 1.0f;
    o->f[1] = 2.0f;
    add_op(s, GAN_OP_ZERO, 0, NULL, 1, (int[]){DW});
    add_op(s, GAN_OP_ZERO, 0, NULL, 1, (int[]){DB});
    o = add_op(s, GAN_OP_DENSE_BWD, 4, (int[]){X, W, Y, DY}, 3, (int[]){-1, DW, DB});
    o->i[0] = GAN_ACT_TANH;
    o = add_op(s, GAN_OP_ADAM, 5, (int[]){W, DW, M, V, T}, 0, NULL);
    o->i[0] = 1;
    o->f[0] = 0.01f;  /* lr */
    o->f[1] = 0.0f;   /* beta1 */
    o->f[2] = 0.999f; /* beta2 */
    o->f[3] = 1e-8f;  /* eps */
    finish(s);
}

START_TEST(exec_dense_step)
{
    tiny s;
    build_dense_step(&s);
    float *x = gan_tensor_ptr(&s.m, s.base, X), *w = gan_tensor_ptr(&s.m, s.base, W),
          *b = gan_tensor_ptr(&s.m, s.base, B);
    kernt_rng r;
    kernt_seed(&r, 1);
    kernt_fill(&r, x, 6, -1, 1);
    kernt_fill(&r, w, 6, -1, 1);
    kernt_fill(&r, b, 2, -1, 1);
    float w0[6], y[4], dy[4], dw[6] = {0}, db[2] = {0};
    memcpy(w0, w, sizeof w0);
    /* expected, with the kernels called directly */
    kern_dense_fwd(x, w, b, y, 2, 3, 2, GAN_ACT_TANH, 0, 1);
    float loss = kern_loss_mean_fwd(y, 4, 2.0f, 1);
    for (int i = 0; i < 4; i++)
        dy[i] = 0.0f;
    kern_loss_mean_bwd(dy, 4, 1.0f, 2.0f, 1);
    kern_dense_bwd(x, w, y, dy, NULL, dw, db, 2, 3, 2, GAN_ACT_TANH, 0, 1);

    char err[256] = "";
    for (int step = 1; step <= 2; step++) {
        int rc = gan_exec_program(&s.m, &s.p, s.base, 2, err, sizeof err);
        ck_assert_msg(rc == 0, "exec failed: %s", err);
        ck_assert_float_eq(gan_tensor_ptr(&s.m, s.base, T)[0], (float)step);
        if (step == 1) {
            ck_assert_float_eq_tol(gan_tensor_ptr(&s.m, s.base, LOSS)[0], loss, 1e-6f);
            float *gw = gan_tensor_ptr(&s.m, s.base, DW), *gb = gan_tensor_ptr(&s.m, s.base, DB);
            for (int i = 0; i < 6; i++)
                ck_assert_float_eq_tol(gw[i], dw[i], 1e-6f);
            for (int i = 0; i < 2; i++)
                ck_assert_float_eq_tol(gb[i], db[i], 1e-6f);
            /* Adam's first step moves each weight by lr against its gradient's sign */
            for (int i = 0; i < 6; i++)
                ck_assert_float_eq_tol(w[i], w0[i] - 0.01f * (dw[i] > 0 ? 1.0f : -1.0f), 1e-6f);
        }
    }
    release(&s);
}
END_TEST

static void expect_error(tiny *s, const char *needle)
{
    char err[256] = "";
    int rc = gan_exec_program(&s->m, &s->p, s->base, 1, err, sizeof err);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err, needle) != NULL, "message '%s' lacks '%s'", err, needle);
    ck_assert_msg(strstr(err, "program 'step' op") != NULL, "message '%s' names no op", err);
}

START_TEST(exec_rejects_bad_programs)
{
    tiny s;
    build_dense_step(&s);
    s.ops[1].type = 999;
    expect_error(&s, "unknown op type 999");
    s.ops[1].type = GAN_OP_COUNT;
    expect_error(&s, "unknown op type");
    s.ops[1].type = GAN_OP_LOSS_MEAN;

    s.ops[0].in[1] = 42;
    expect_error(&s, "out of range");
    s.ops[0].in[1] = -7;
    expect_error(&s, "out of range");
    s.ops[0].in[1] = -1;
    expect_error(&s, "in1 is required");
    s.ops[0].in[1] = W;

    s.ops[0].out[0] = DW; /* [2,3] where y [2,2] is expected */
    expect_error(&s, "expected 4");
    s.ops[0].out[0] = Y;

    s.ops[0].i[0] = 17;
    expect_error(&s, "activation 17");
    s.ops[0].i[0] = GAN_ACT_TANH;

    s.ops[0].n_in = 200;
    expect_error(&s, "exceed");
    s.ops[0].n_in = 3;

    /* a tensor that overruns its region */
    s.t[B].offset = s.m.region_floats[GAN_REGION_PARAM];
    expect_error(&s, "does not fit its region");
    s.t[B].offset = 6;

    /* numel inconsistent with the shape */
    s.t[Y].numel = 5;
    expect_error(&s, "does not fit");
    s.t[Y].numel = 4;

    /* Adam with t never incremented */
    s.ops[7].i[0] = 0;
    expect_error(&s, "step count");
    s.ops[7].i[0] = 1;

    char err[256];
    ck_assert_int_eq(gan_exec_program(&s.m, &s.p, s.base, 1, err, sizeof err), 0);
    ck_assert_int_eq(gan_exec_program(NULL, &s.p, s.base, 1, err, sizeof err), -1);
    release(&s);
}
END_TEST

/* conv + bn + act + gap + concat + tile through the interpreter, compared to direct calls */
START_TEST(exec_conv_bn_concat)
{
    tiny s;
    memset(&s, 0, sizeof s);
    enum { CX, CW, CB, CY, CWS, G, BE, RM, RV, BY, SM, SI, GP, L, TL, CC, DCC, DL, DGP, DTL };
    add_tensor(&s, "x", GAN_REGION_ARENA, 4, 2, 3, 5, 5);
    add_tensor(&s, "w", GAN_REGION_PARAM, 4, 4, 3, 3, 3);
    add_tensor(&s, "b", GAN_REGION_PARAM, 1, 4, 0, 0, 0);
    add_tensor(&s, "y", GAN_REGION_ARENA, 4, 2, 4, 3, 3);
    add_tensor(&s, "ws", GAN_REGION_ARENA, 1, 3 * 9 * 9, 0, 0, 0);
    add_tensor(&s, "gamma", GAN_REGION_PARAM, 1, 4, 0, 0, 0);
    add_tensor(&s, "beta", GAN_REGION_PARAM, 1, 4, 0, 0, 0);
    add_tensor(&s, "rm", GAN_REGION_STATE, 1, 4, 0, 0, 0);
    add_tensor(&s, "rv", GAN_REGION_STATE, 1, 4, 0, 0, 0);
    add_tensor(&s, "by", GAN_REGION_ARENA, 4, 2, 4, 3, 3);
    add_tensor(&s, "sm", GAN_REGION_ARENA, 1, 4, 0, 0, 0);
    add_tensor(&s, "si", GAN_REGION_ARENA, 1, 4, 0, 0, 0);
    add_tensor(&s, "gap", GAN_REGION_ARENA, 2, 2, 4, 0, 0);
    add_tensor(&s, "labels", GAN_REGION_ARENA, 2, 2, 3, 0, 0);
    add_tensor(&s, "tiled", GAN_REGION_ARENA, 4, 2, 3, 3, 3);
    add_tensor(&s, "cat", GAN_REGION_ARENA, 4, 2, 7, 3, 3);
    add_tensor(&s, "dcat", GAN_REGION_ARENA, 4, 2, 7, 3, 3);
    add_tensor(&s, "dlabels", GAN_REGION_ARENA, 2, 2, 3, 0, 0);
    add_tensor(&s, "dgap", GAN_REGION_ARENA, 2, 2, 4, 0, 0);
    add_tensor(&s, "dtiled", GAN_REGION_ARENA, 4, 2, 3, 3, 3);
    gan_op *o = add_op(&s, GAN_OP_CONV2D, 3, (int[]){CX, CW, CB}, 2, (int[]){CY, CWS});
    o->i[0] = GAN_ACT_NONE;
    o->i[1] = 2; /* stride 2, "same": 5 -> 3, pad_t 1 */
    o->i[2] = 1;
    o->i[3] = 1;
    o = add_op(&s, GAN_OP_BN_TRAIN, 5, (int[]){CY, G, BE, RM, RV}, 3, (int[]){BY, SM, SI});
    o->i[0] = GAN_ACT_LEAKY_RELU;
    o->f[0] = 0.1f;
    o->f[1] = 0.8f;
    o->f[2] = 1e-3f;
    add_op(&s, GAN_OP_GAP, 1, (int[]){BY}, 1, (int[]){GP});
    add_op(&s, GAN_OP_TILE, 1, (int[]){L}, 1, (int[]){TL});
    add_op(&s, GAN_OP_CONCAT, 2, (int[]){BY, TL}, 1, (int[]){CC});
    add_op(&s, GAN_OP_ZERO, 0, NULL, 1, (int[]){DL});
    add_op(&s, GAN_OP_ZERO, 0, NULL, 1, (int[]){DTL});
    /* backward of the concat with the first part skipped: its size is inferred */
    o = add_op(&s, GAN_OP_CONCAT_BWD, 1, (int[]){DCC}, 2, (int[]){-1, DTL});
    o->i[7] = 2;
    add_op(&s, GAN_OP_TILE_BWD, 1, (int[]){DTL}, 1, (int[]){DL});
    add_op(&s, GAN_OP_ZERO, 0, NULL, 1, (int[]){DGP});
    finish(&s);
    kernt_rng r;
    kernt_seed(&r, 3);
    kernt_fill(&r, gan_tensor_ptr(&s.m, s.base, CX), 150, -1, 1);
    kernt_fill(&r, gan_tensor_ptr(&s.m, s.base, CW), 108, -1, 1);
    kernt_fill(&r, gan_tensor_ptr(&s.m, s.base, CB), 4, -1, 1);
    kernt_fill(&r, gan_tensor_ptr(&s.m, s.base, G), 4, 0.5f, 1.5f);
    kernt_fill(&r, gan_tensor_ptr(&s.m, s.base, L), 6, 0, 1);
    kernt_fill(&r, gan_tensor_ptr(&s.m, s.base, DCC), 126, -1, 1);
    for (int i = 0; i < 4; i++)
        gan_tensor_ptr(&s.m, s.base, RV)[i] = 1.0f;
    char err[256] = "";
    ck_assert_msg(gan_exec_program(&s.m, &s.p, s.base, 2, err, sizeof err) == 0, "%s", err);

    kern_conv_shape cs = {2, 3, 5, 5, 4, 3, 3, 3, 3, 2, 1, 1, NULL, 0};
    float y[72], by[72], rm[4] = {0}, rv[4] = {1, 1, 1, 1}, sm[4], si[4], gp[8];
    ck_assert_int_eq(kern_conv2d_fwd(&cs, gan_tensor_ptr(&s.m, s.base, CX),
                                     gan_tensor_ptr(&s.m, s.base, CW),
                                     gan_tensor_ptr(&s.m, s.base, CB), y, NULL, 0, 0, 1), 0);
    kern_bn_train_fwd(y, gan_tensor_ptr(&s.m, s.base, G), gan_tensor_ptr(&s.m, s.base, BE), rm, rv,
                      by, sm, si, 2, 4, 9, 0.8f, 1e-3f, GAN_ACT_LEAKY_RELU, 0.1f, 1);
    kern_gap_fwd(by, gp, 2, 4, 9, 1);
    ck_assert(kernt_close(gan_tensor_ptr(&s.m, s.base, BY), by, 72, 1e-6, 1e-5) <= 1);
    ck_assert(kernt_close(gan_tensor_ptr(&s.m, s.base, RV), rv, 4, 1e-6, 1e-5) <= 1);
    ck_assert(kernt_close(gan_tensor_ptr(&s.m, s.base, GP), gp, 8, 1e-6, 1e-5) <= 1);
    float *cat = gan_tensor_ptr(&s.m, s.base, CC), *lab = gan_tensor_ptr(&s.m, s.base, L);
    /* sample 1, channel 4 + 2 (a tiled label), pixel 5 */
    ck_assert_float_eq(cat[(1 * 7 + 6) * 9 + 5], lab[1 * 3 + 2]);
    ck_assert_float_eq(cat[(1 * 7 + 3) * 9 + 5], by[(1 * 4 + 3) * 9 + 5]);
    float *dl = gan_tensor_ptr(&s.m, s.base, DL), *dcc = gan_tensor_ptr(&s.m, s.base, DCC);
    /* dlabels = sum over the 3x3 pixels of the label channels of dcat */
    for (int l = 0; l < 3; l++) {
        double acc = 0;
        for (int p = 0; p < 9; p++)
            acc += dcc[(1 * 7 + 4 + l) * 9 + p];
        ck_assert_float_eq_tol(dl[1 * 3 + l], (float)acc, 1e-5f);
    }
    /* workspace too small is refused */
    s.t[CWS].shape[0] = s.t[CWS].numel = 10;
    expect_error(&s, "workspace");
    release(&s);
}
END_TEST

/* spectral norm through the interpreter: v and sigma may be left out in a forward-only program;
 * the normalised weight is the same as with them */
START_TEST(exec_spectral_norm_optional_outputs)
{
    tiny s;
    memset(&s, 0, sizeof s);
    add_tensor(&s, "w", GAN_REGION_PARAM, 2, 3, 5, 0, 0);
    add_tensor(&s, "u", GAN_REGION_STATE, 1, 3, 0, 0, 0);
    add_tensor(&s, "w_sn", GAN_REGION_ARENA, 2, 3, 5, 0, 0);
    add_tensor(&s, "v", GAN_REGION_ARENA, 1, 5, 0, 0, 0);
    add_tensor(&s, "sigma", GAN_REGION_ARENA, 1, 1, 0, 0, 0);
    add_tensor(&s, "w_sn2", GAN_REGION_ARENA, 2, 3, 5, 0, 0);
    gan_op *o = add_op(&s, GAN_OP_SPECTRAL_NORM, 2, (int[]){0, 1}, 3, (int[]){2, 3, 4});
    o->i[0] = 0; /* inference: u stays */
    o = add_op(&s, GAN_OP_SPECTRAL_NORM, 2, (int[]){0, 1}, 3, (int[]){5, -1, -1});
    o->i[0] = 0;
    finish(&s);
    kernt_rng r;
    kernt_seed(&r, 8);
    kernt_fill(&r, gan_tensor_ptr(&s.m, s.base, 0), 15, -1, 1);
    kernt_fill(&r, gan_tensor_ptr(&s.m, s.base, 1), 3, -1, 1);
    char err[256] = "";
    ck_assert_msg(gan_exec_program(&s.m, &s.p, s.base, 1, err, sizeof err) == 0, "%s", err);
    ck_assert(memcmp(gan_tensor_ptr(&s.m, s.base, 2), gan_tensor_ptr(&s.m, s.base, 5),
                     15 * sizeof(float)) == 0);
    ck_assert(gan_tensor_ptr(&s.m, s.base, 4)[0] > 0.0f);
    release(&s);
}
END_TEST

/* EMA: without a step count the decay is fixed; with one it warms up as
 * min(decay, (1 + t) / (10 + t)), so early averages follow the weights (t = 0: 1/10). */
START_TEST(exec_ema_warmup)
{
    tiny s;
    memset(&s, 0, sizeof s);
    add_tensor(&s, "p", GAN_REGION_PARAM, 1, 4, 0, 0, 0);
    add_tensor(&s, "ema", GAN_REGION_STATE, 1, 4, 0, 0, 0);
    add_tensor(&s, "t", GAN_REGION_STATE, 1, 1, 0, 0, 0);
    add_tensor(&s, "ema2", GAN_REGION_STATE, 1, 4, 0, 0, 0);
    gan_op *o = add_op(&s, GAN_OP_EMA, 3, (int[]){0, 1, 2}, 0, NULL);
    o->f[0] = 0.999f;
    o = add_op(&s, GAN_OP_EMA, 2, (int[]){0, 3}, 0, NULL);
    o->f[0] = 0.999f;
    finish(&s);
    float *p = gan_tensor_ptr(&s.m, s.base, 0), *e = gan_tensor_ptr(&s.m, s.base, 1),
          *t = gan_tensor_ptr(&s.m, s.base, 2), *e2 = gan_tensor_ptr(&s.m, s.base, 3);
    static const float ts[3] = {1.0f, 90.0f, 20000.0f};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 4; i++) {
            p[i] = (float)(i + 1);
            e[i] = e2[i] = -1.0f;
        }
        t[0] = ts[k];
        char err[256] = "";
        ck_assert_msg(gan_exec_program(&s.m, &s.p, s.base, 1, err, sizeof err) == 0, "%s", err);
        float d = fminf(0.999f, (1.0f + ts[k]) / (10.0f + ts[k]));
        for (int i = 0; i < 4; i++) {
            ck_assert_float_eq_tol(e[i], d * -1.0f + (1.0f - d) * (float)(i + 1), 1e-5f);
            ck_assert_float_eq_tol(e2[i], 0.999f * -1.0f + 0.001f * (float)(i + 1), 1e-5f);
        }
    }
    ck_assert_float_eq_tol(e[3], 0.999f * -1.0f + 0.001f * 4.0f, 1e-5f); /* t large: capped */
    release(&s);
}
END_TEST

/* Random damage to the ops of a valid program: every run must end in 0 or -1 with a message,
 * never a crash (ASan / UBSan builds catch out-of-bounds access and overflow). */
START_TEST(exec_fuzz_ops)
{
    static const int32_t ivals[] = {-7, -1, 0, 1, 2, 3, 4, 5, 8, 64, 1000, 1 << 20, INT32_MAX, INT32_MIN};
    static const float fvals[] = {0.0f, -1.0f, 0.5f, 1.0f, 1e-12f, 1e30f, -1e30f};
    kernt_rng r;
    kernt_seed(&r, 2024);
    int n_ok = 0, n_err = 0;
    for (int iter = 0; iter < 3000; iter++) {
        tiny s;
        build_dense_step(&s);
        kernt_fill(&r, s.base[GAN_REGION_PARAM], s.m.region_floats[GAN_REGION_PARAM], -1, 1);
        kernt_fill(&r, s.base[GAN_REGION_ARENA], s.m.region_floats[GAN_REGION_ARENA], -1, 1);
        int n_mut = 1 + (int)kernt_uniform(&r, 0, 3);
        for (int k = 0; k < n_mut; k++) {
            gan_op *o = &s.ops[(int)kernt_uniform(&r, 0, (float)s.p.n_ops - 0.001f)];
            int field = (int)kernt_uniform(&r, 0, 6.999f), slot = (int)kernt_uniform(&r, 0, 7.999f);
            int32_t iv = ivals[(int)kernt_uniform(&r, 0, sizeof ivals / sizeof ivals[0] - 0.001f)];
            int32_t tv = (int32_t)kernt_uniform(&r, -2, (float)s.m.n_tensors + 2);
            switch (field) {
            case 0: o->type = (uint16_t)kernt_uniform(&r, 0, GAN_OP_COUNT + 3); break;
            case 1: o->n_in = (uint8_t)kernt_uniform(&r, 0, 9.999f); break;
            case 2: o->n_out = (uint8_t)kernt_uniform(&r, 0, 9.999f); break;
            case 3: o->in[slot] = tv; break;
            case 4: o->out[slot] = tv; break;
            case 5: o->i[slot] = iv; break;
            default:
                o->f[slot] = fvals[(int)kernt_uniform(&r, 0, sizeof fvals / sizeof fvals[0] - 0.001f)];
                break;
            }
        }
        char err[256] = "";
        int rc = gan_exec_program(&s.m, &s.p, s.base, 1 + iter % 2, err, sizeof err);
        ck_assert(rc == 0 || rc == -1);
        if (rc) {
            ck_assert_msg(strstr(err, "program 'step' op") != NULL, "bad message '%s'", err);
            n_err++;
        } else {
            n_ok++;
        }
        release(&s);
    }
    ck_assert(n_err > 100); /* the damage was mostly caught, */
    ck_assert(n_ok > 10);   /* and harmless damage still ran */
}
END_TEST

/* The conv model with damaged attributes and shapes of the conv op */
START_TEST(exec_fuzz_conv_attrs)
{
    static const int32_t ivals[] = {-3, -1, 0, 1, 2, 3, 5, 100, 1 << 16, 1 << 30, INT32_MAX};
    kernt_rng r;
    kernt_seed(&r, 99);
    for (int iter = 0; iter < 400; iter++) {
        tiny s;
        memset(&s, 0, sizeof s);
        add_tensor(&s, "x", GAN_REGION_ARENA, 4, 2, 3, 5, 5);
        add_tensor(&s, "w", GAN_REGION_PARAM, 4, 4, 3, 3, 3);
        add_tensor(&s, "b", GAN_REGION_PARAM, 1, 4, 0, 0, 0);
        add_tensor(&s, "y", GAN_REGION_ARENA, 4, 2, 4, 3, 3);
        add_tensor(&s, "ws", GAN_REGION_ARENA, 1, 3 * 9 * 25, 0, 0, 0);
        add_tensor(&s, "dy", GAN_REGION_ARENA, 4, 2, 4, 3, 3);
        add_tensor(&s, "dx", GAN_REGION_ARENA, 4, 2, 3, 5, 5);
        add_tensor(&s, "dw", GAN_REGION_GRAD, 4, 4, 3, 3, 3);
        int tr = iter % 2;
        gan_op *o = add_op(&s, tr ? GAN_OP_CONV2D_T : GAN_OP_CONV2D, 3, (int[]){tr ? 3 : 0, 1, 2}, 2,
                           (int[]){tr ? 0 : 3, 4});
        gan_op *ob = add_op(&s, tr ? GAN_OP_CONV2D_T_BWD : GAN_OP_CONV2D_BWD, 4,
                            (int[]){tr ? 3 : 0, 1, -1, tr ? 6 : 5}, 4, (int[]){tr ? 5 : 6, 7, -1, 4});
        for (int k = 0; k < 4; k++) {
            int32_t v = ivals[(int)kernt_uniform(&r, 0, sizeof ivals / sizeof ivals[0] - 0.001f)];
            o->i[k] = ob->i[k] = k == 0 ? (v & 3) : v;
        }
        /* and sometimes a shape */
        if (iter % 3 == 0) {
            int t = (int)kernt_uniform(&r, 0, 3.999f), d = (int)kernt_uniform(&r, 0, 3.999f);
            s.t[t == 2 ? 3 : t].shape[d] = ivals[(int)kernt_uniform(&r, 0, 6.999f)];
        }
        finish(&s);
        char err[256] = "";
        int rc = gan_exec_program(&s.m, &s.p, s.base, 2, err, sizeof err);
        ck_assert(rc == 0 || rc == -1);
        release(&s);
    }
}
END_TEST

int main(void)
{
    Suite *su = suite_create("kernels_exec");
    TCase *tc = tcase_create("exec");
    tcase_add_test(tc, exec_dense_step);
    tcase_add_test(tc, exec_rejects_bad_programs);
    tcase_add_test(tc, exec_conv_bn_concat);
    tcase_add_test(tc, exec_spectral_norm_optional_outputs);
    tcase_add_test(tc, exec_ema_warmup);
    tcase_add_test(tc, exec_fuzz_ops);
    tcase_add_test(tc, exec_fuzz_conv_attrs);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
