/* upconv2d, the fused nearest-2x upsample + 3x3 pad-1 conv: forward and backward against the
 * unfused pair of kernels (upsample, then conv2d) on odd sizes, with every activation, with
 * and without bias and workspace, on 1 and 2 threads; the backward against central
 * differences of its own forward; accumulation into non-zero gradients; and the contract's
 * refusals. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format/model_opinfo.h"
#include "format/ops.h"
#include "tests/util/kern_util.h"

typedef struct {
    int n, c, h, w, oc;
} up_dims;

static kern_conv_shape fused_shape(up_dims d)
{
    return (kern_conv_shape){.n = d.n, .c = d.c, .h = d.h, .w = d.w, .oc = d.oc, .kh = 3, .kw = 3,
                             .oh = 2 * d.h, .ow = 2 * d.w, .stride = 1, .pad_t = 1, .pad_l = 1};
}

/* the conv of the unfused pair: on the upsampled input */
static kern_conv_shape pair_shape(up_dims d)
{
    kern_conv_shape s = fused_shape(d);
    s.h = 2 * d.h;
    s.w = 2 * d.w;
    return s;
}

typedef struct {
    float *x, *w, *b, *dy;
    size_t nx, nw, ny, nu;
} up_data;

static up_data make_data(up_dims d, unsigned long long seed)
{
    up_data t;
    t.nx = (size_t)d.n * d.c * d.h * d.w;
    t.nw = (size_t)d.oc * d.c * 9;
    t.ny = (size_t)d.n * d.oc * 4 * d.h * d.w;
    t.nu = 4 * t.nx;
    t.x = kernt_alloc(t.nx);
    t.w = kernt_alloc(t.nw);
    t.b = kernt_alloc((size_t)d.oc);
    t.dy = kernt_alloc(t.ny);
    kernt_rng r;
    kernt_seed(&r, seed);
    kernt_fill(&r, t.x, t.nx, -1, 1);
    kernt_fill(&r, t.w, t.nw, -0.5f, 0.5f);
    kernt_fill(&r, t.b, (size_t)d.oc, -0.3f, 0.3f);
    kernt_fill(&r, t.dy, t.ny, -1, 1);
    return t;
}

static void free_data(up_data *t)
{
    free(t->x);
    free(t->w);
    free(t->b);
    free(t->dy);
}

static void pair_fwd(up_dims d, const up_data *t, const float *b, float *y, int act, float alpha)
{
    kern_conv_shape s = pair_shape(d);
    float *u = kernt_alloc(t->nu);
    kern_upsample_fwd(t->x, u, (size_t)d.n * d.c, d.h, d.w, 2, 1);
    ck_assert_int_eq(kern_conv2d_fwd(&s, u, t->w, b, y, NULL, act, alpha, 1), 0);
    free(u);
}

static const int acts[] = {GAN_ACT_NONE, GAN_ACT_RELU, GAN_ACT_LEAKY_RELU, GAN_ACT_TANH};

START_TEST(forward_matches_the_pair)
{
    const up_dims dims[] = {{3, 5, 4, 6, 7},  {2, 1, 1, 1, 3},  {1, 8, 3, 5, 2},
                            {4, 6, 8, 8, 16}, {3, 5, 16, 17, 7}, {2, 1, 20, 13, 2}};
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++)
        for (int a = 0; a < 4; a++)
            for (int th = 1; th <= 2; th++) {
                up_dims d = dims[k];
                up_data t = make_data(d, 100 + k);
                const float *b = a % 2 ? t.b : NULL;
                float *ref = kernt_alloc(t.ny), *y = kernt_alloc(t.ny);
                pair_fwd(d, &t, b, ref, acts[a], 0.2f);
                kern_conv_shape s = fused_shape(d);
                float *ws = th == 1 ? kernt_alloc(kern_upconv2d_ws_floats(&s)) : NULL;
                ck_assert_int_eq(kern_upconv2d_fwd(&s, t.x, t.w, b, y, ws, acts[a], 0.2f, th), 0);
                double e = kernt_close(y, ref, t.ny, 1e-5, 1e-4);
                ck_assert_msg(e <= 1, "case %zu act %d threads %d: off by %.3g", k, acts[a], th, e);
                free(ws);
                free(ref);
                free(y);
                free_data(&t);
            }
}
END_TEST

/* the unfused backward: conv2d_bwd on the upsampled input, then upsample_bwd */
static void pair_bwd(up_dims d, const up_data *t, const float *y, float *dy, float *dx, float *dw,
                     float *db, int act)
{
    kern_conv_shape s = pair_shape(d);
    float *u = kernt_alloc(t->nu), *du = kernt_alloc(t->nu);
    kern_upsample_fwd(t->x, u, (size_t)d.n * d.c, d.h, d.w, 2, 1);
    ck_assert_int_eq(kern_conv2d_bwd(&s, u, t->w, y, dy, du, dw, db, NULL, act, 0.2f, 1), 0);
    kern_upsample_bwd(du, dx, (size_t)d.n * d.c, d.h, d.w, 2, 1);
    free(u);
    free(du);
}

START_TEST(backward_matches_the_pair)
{
    const up_dims dims[] = {{3, 5, 4, 6, 7}, {2, 2, 1, 3, 3}, {4, 6, 8, 8, 16}, {3, 5, 16, 17, 7}};
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++)
        for (int a = 0; a < 4; a++)
            for (int th = 1; th <= 2; th++) {
                up_dims d = dims[k];
                up_data t = make_data(d, 200 + k);
                float *y = kernt_alloc(t.ny), *dy1 = kernt_alloc(t.ny), *dy2 = kernt_alloc(t.ny);
                pair_fwd(d, &t, t.b, y, acts[a], 0.2f);
                memcpy(dy1, t.dy, t.ny * sizeof *dy1);
                memcpy(dy2, t.dy, t.ny * sizeof *dy2);
                /* both start from the same non-zero gradients: the kernels add */
                float *dx1 = kernt_alloc(t.nx), *dx2 = kernt_alloc(t.nx);
                float *dw1 = kernt_alloc(t.nw), *dw2 = kernt_alloc(t.nw);
                float db1[16], db2[16];
                for (size_t i = 0; i < t.nx; i++)
                    dx1[i] = dx2[i] = 0.125f;
                for (size_t i = 0; i < t.nw; i++)
                    dw1[i] = dw2[i] = -0.25f;
                for (int i = 0; i < d.oc; i++)
                    db1[i] = db2[i] = 0.5f;
                pair_bwd(d, &t, y, dy1, dx1, dw1, db1, acts[a]);
                kern_conv_shape s = fused_shape(d);
                float *ws = th == 1 ? kernt_alloc(kern_upconv2d_ws_floats(&s)) : NULL;
                ck_assert_int_eq(kern_upconv2d_bwd(&s, t.x, t.w, y, dy2, dx2, dw2, db2, ws, acts[a],
                                                   0.2f, th), 0);
                double ex = kernt_close(dx2, dx1, t.nx, 1e-4, 1e-4);
                double ew = kernt_close(dw2, dw1, t.nw, 1e-4, 1e-4);
                double eb = kernt_close(db2, db1, (size_t)d.oc, 1e-4, 1e-4);
                ck_assert_msg(ex <= 1 && ew <= 1 && eb <= 1,
                              "case %zu act %d threads %d: dx %.3g dw %.3g db %.3g", k, acts[a], th,
                              ex, ew, eb);
                /* only dx, or only dw, wanted */
                memcpy(dy2, t.dy, t.ny * sizeof *dy2);
                ck_assert_int_eq(kern_upconv2d_bwd(&s, t.x, t.w, y, dy2, dx2, NULL, NULL, ws,
                                                   acts[a], 0.2f, th), 0);
                memcpy(dy2, t.dy, t.ny * sizeof *dy2);
                ck_assert_int_eq(kern_upconv2d_bwd(&s, t.x, t.w, y, dy2, NULL, dw2, NULL, ws,
                                                   acts[a], 0.2f, th), 0);
                free(ws);
                free(y);
                free(dy1);
                free(dy2);
                free(dx1);
                free(dx2);
                free(dw1);
                free(dw2);
                free_data(&t);
            }
}
END_TEST

typedef struct {
    kern_conv_shape s;
    int act;
} fd_case;

static void fd_fwd_act(kernt_gc *g, int act, float *y)
{
    fd_case *c = g->user;
    ck_assert_int_eq(kern_upconv2d_fwd(&c->s, g->in[0], g->in[1], g->in[2], y, NULL, act, 0.2f,
                                       g->in_fd ? 1 : 2), 0);
}
static void fd_fwd(kernt_gc *g) { fd_fwd_act(g, ((fd_case *)g->user)->act, g->out[0]); }
static void fd_pre(kernt_gc *g, float *const *z) { fd_fwd_act(g, GAN_ACT_NONE, z[0]); }

static void fd_bwd(kernt_gc *g, float *const *dy, float *const *dx)
{
    fd_case *c = g->user;
    float *y = kernt_alloc(g->out_n[0]);
    fd_fwd_act(g, c->act, y);
    ck_assert_int_eq(kern_upconv2d_bwd(&c->s, g->in[0], g->in[1], y, dy[0], dx[0], dx[1], dx[2],
                                       NULL, c->act, 0.2f, 2), 0);
    free(y);
}

START_TEST(backward_is_the_finite_difference)
{
    up_dims d = {2, 3, 3, 4, 5};
    for (int a = 0; a < 4; a++) {
        fd_case c = {fused_shape(d), acts[a]};
        kernt_gc g = {.n_in = 3, .n_out = 1, .fwd = fd_fwd, .bwd = fd_bwd, .user = &c,
                      .pre = acts[a] == GAN_ACT_RELU || acts[a] == GAN_ACT_LEAKY_RELU ? fd_pre : NULL};
        g.in_n[0] = (size_t)d.n * d.c * d.h * d.w;
        g.in_n[1] = (size_t)d.oc * d.c * 9;
        g.in_n[2] = (size_t)d.oc;
        g.out_n[0] = (size_t)d.n * d.oc * 4 * d.h * d.w;
        g.check[0] = g.check[1] = g.check[2] = 1;
        kernt_gc_setup(&g, 31 + a, -1, 1);
        char msg[256] = "";
        int bad = kernt_gradcheck(&g, 3e-3, 1e-3, 1e-2, 40, 77 + a, msg, sizeof msg);
        ck_assert_msg(bad == 0, "act %d: %d mismatches: %s", acts[a], bad, msg);
        ck_assert_int_gt(g.n_checked, 60);
        kernt_gc_free(&g);
    }
}
END_TEST

START_TEST(deterministic_per_thread_count)
{
    up_dims d = {5, 6, 16, 16, 8}; /* a plane of 256: the implicit path */
    up_data t = make_data(d, 9);
    kern_conv_shape s = fused_shape(d);
    for (int th = 1; th <= 2; th++) {
        float *y[2], *dx[2], *dw[2];
        for (int r = 0; r < 2; r++) {
            y[r] = kernt_alloc(t.ny);
            dx[r] = kernt_alloc(t.nx);
            dw[r] = kernt_alloc(t.nw);
            float *dy = kernt_alloc(t.ny);
            memcpy(dy, t.dy, t.ny * sizeof *dy);
            ck_assert_int_eq(kern_upconv2d_fwd(&s, t.x, t.w, t.b, y[r], NULL, GAN_ACT_RELU, 0, th), 0);
            ck_assert_int_eq(kern_upconv2d_bwd(&s, t.x, t.w, y[r], dy, dx[r], dw[r], NULL, NULL,
                                               GAN_ACT_RELU, 0, th), 0);
            free(dy);
        }
        ck_assert(!memcmp(y[0], y[1], t.ny * sizeof(float)));
        ck_assert(!memcmp(dx[0], dx[1], t.nx * sizeof(float)));
        ck_assert(!memcmp(dw[0], dw[1], t.nw * sizeof(float)));
        for (int r = 0; r < 2; r++) {
            free(y[r]);
            free(dx[r]);
            free(dw[r]);
        }
    }
    free_data(&t);
}
END_TEST

/* bf16: both sides round their GEMM inputs to bf16 (the fused op from packed phase weights,
 * the pair from the 3x3 ones), so they agree to bf16's precision, not bit for bit */
START_TEST(bf16_matches_the_pair)
{
    up_dims d = {3, 16, 16, 16, 12};
    up_data t = make_data(d, 55);
    kern_set_precision(KERN_PREC_BF16);
    float *ref = kernt_alloc(t.ny), *y = kernt_alloc(t.ny);
    pair_fwd(d, &t, t.b, ref, GAN_ACT_NONE, 0);
    kern_conv_shape s = fused_shape(d);
    ck_assert_int_eq(kern_upconv2d_fwd(&s, t.x, t.w, t.b, y, NULL, GAN_ACT_NONE, 0, 2), 0);
    float *dx1 = kernt_alloc(t.nx), *dx2 = kernt_alloc(t.nx), *dw1 = kernt_alloc(t.nw),
          *dw2 = kernt_alloc(t.nw), *dy = kernt_alloc(t.ny);
    memcpy(dy, t.dy, t.ny * sizeof *dy);
    pair_bwd(d, &t, NULL, dy, dx1, dw1, NULL, GAN_ACT_NONE);
    memcpy(dy, t.dy, t.ny * sizeof *dy);
    ck_assert_int_eq(kern_upconv2d_bwd(&s, t.x, t.w, NULL, dy, dx2, dw2, NULL, NULL,
                                       GAN_ACT_NONE, 0, 2), 0);
    kern_set_precision(KERN_PREC_FP32);
    double ey = kernt_close(y, ref, t.ny, 0.05, 0.02), ex = kernt_close(dx2, dx1, t.nx, 0.05, 0.02);
    double ew = kernt_close(dw2, dw1, t.nw, 0.5, 0.02);
    ck_assert_msg(ey <= 1 && ex <= 1 && ew <= 1, "bf16: y %.3g dx %.3g dw %.3g", ey, ex, ew);
    free(ref);
    free(y);
    free(dx1);
    free(dx2);
    free(dw1);
    free(dw2);
    free(dy);
    free_data(&t);
}
END_TEST

START_TEST(contract)
{
    gan_tensor ts[6] = {
        {.name = "x", .ndim = 4, .shape = {2, 3, 4, 5}, .numel = 120},
        {.name = "w", .ndim = 4, .shape = {6, 3, 3, 3}, .numel = 162},
        {.name = "y", .ndim = 4, .shape = {2, 6, 8, 10}, .numel = 960},
        {.name = "ws", .ndim = 1, .shape = {(4 * 3 + 6) * 20}, .numel = (4 * 3 + 6) * 20},
        {.name = "w4", .ndim = 4, .shape = {6, 3, 4, 4}, .numel = 288},
        {.name = "y7", .ndim = 4, .shape = {2, 6, 7, 10}, .numel = 840},
    };
    gan_model m = {.tensors = ts, .n_tensors = 6};
    gan_op op = {.type = GAN_OP_UPCONV2D, .n_in = 3, .n_out = 2};
    for (int k = 0; k < GAN_OP_MAX_IO; k++)
        op.in[k] = op.out[k] = -1;
    op.in[0] = 0;
    op.in[1] = 1;
    op.out[0] = 2;
    op.out[1] = 3;
    char err[512] = "";
    ck_assert_msg(gan_op_validate(&m, &op, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(gan_op_workspace_floats(&m, &op), (4 * 3 + 6) * 20);
    op.in[1] = 4;
    ck_assert_int_ne(gan_op_validate(&m, &op, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "'w4' [6,3,4,4] is not [6,3,3,3]"), "%s", err);
    op.in[1] = 1;
    op.out[0] = 5;
    ck_assert_int_ne(gan_op_validate(&m, &op, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "'y7' [2,6,7,10] is not 'x' [2,3,4,5] upsampled 2x"), "%s", err);
    op.out[0] = 2;
    ts[3].shape[0] = 100;
    ts[3].numel = 100;
    ck_assert_int_ne(gan_op_validate(&m, &op, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "workspace 'ws' holds 100 floats, needs 360"), "%s", err);
    ts[3].shape[0] = 360;
    ts[3].numel = 360;
    op.i[1] = 1;
    ck_assert_int_ne(gan_op_validate(&m, &op, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "i1..i3 must be 0"), "%s", err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_upconv");
    TCase *tc = tcase_create("upconv");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, forward_matches_the_pair);
    tcase_add_test(tc, backward_matches_the_pair);
    tcase_add_test(tc, backward_is_the_finite_difference);
    tcase_add_test(tc, deterministic_per_thread_count);
    tcase_add_test(tc, bf16_matches_the_pair);
    tcase_add_test(tc, contract);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
