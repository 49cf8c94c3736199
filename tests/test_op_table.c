/* The op table: numbers are the model.bin format, so each is pinned to its name here (a
 * renumbering must fail this test and come with a format version bump), and the rows must be
 * consistent with themselves (a backward op's slots fit the gradient rule that emits it). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "format/model.h"
#include "format/model_opinfo.h"

static const struct {
    int num;
    const char *name;
} pinned[] = {
    {0, "zero"},
    {1, "copy"},
    {2, "dense"},
    {3, "conv2d"},
    {4, "conv2d_t"},
    {5, "upsample"},
    {6, "bn_train"},
    {7, "bn_infer"},
    {8, "act"},
    {9, "concat"},
    {10, "tile"},
    {11, "gap"},
    {12, "add"},
    {13, "mul"},
    {14, "rowdot"},
    {15, "spectral_norm"},
    {16, "loss_hinge_real"},
    {17, "loss_hinge_fake"},
    {18, "loss_mean"},
    {19, "loss_bce_logits"},
    {20, "loss_bce"},
    {21, "loss_softmax_ce"},
    {22, "loss_sum"},
    {23, "copy_bwd"},
    {24, "dense_bwd"},
    {25, "conv2d_bwd"},
    {26, "conv2d_t_bwd"},
    {27, "upsample_bwd"},
    {28, "bn_train_bwd"},
    {29, "act_bwd"},
    {30, "concat_bwd"},
    {31, "tile_bwd"},
    {32, "gap_bwd"},
    {33, "add_bwd"},
    {34, "mul_bwd"},
    {35, "rowdot_bwd"},
    {36, "spectral_norm_bwd"},
    {37, "loss_hinge_real_bwd"},
    {38, "loss_hinge_fake_bwd"},
    {39, "loss_mean_bwd"},
    {40, "loss_bce_logits_bwd"},
    {41, "loss_bce_bwd"},
    {42, "loss_softmax_ce_bwd"},
    {43, "adam"},
    {44, "ema"},
    {45, "avg_pool"},
    {46, "avg_pool_bwd"},
    {47, "instance_norm"},
    {48, "instance_norm_bwd"},
    {49, "loss_mse"},
    {50, "loss_mse_bwd"},
    {51, "sgd"},
    {52, "rmsprop"},
    {53, "film"},
    {54, "film_bwd"},
    {55, "diffaug"},
    {56, "diffaug_bwd"},
    {57, "loss_dot"},
    {58, "loss_dot_bwd"},
    {59, "bn_infer_bwd"},
    {60, "loss_bce_bal"},
    {61, "loss_bce_bal_bwd"},
    {62, "upconv2d"},
    {63, "upconv2d_bwd"},
};

START_TEST(numbers_are_pinned)
{
    int n = (int)(sizeof pinned / sizeof pinned[0]);
    ck_assert_int_eq(GAN_OP_COUNT, n); /* a new op: add its number here, and bump the format */
    for (int i = 0; i < n; i++)
        ck_assert_msg(!strcmp(gan_op_name(pinned[i].num), pinned[i].name), "op %d is '%s', pinned '%s'",
                      pinned[i].num, gan_op_name(pinned[i].num), pinned[i].name);
    ck_assert_int_eq(GAN_OP_CONV2D, 3);
    ck_assert_int_eq(GAN_OP_ADAM, 43);
    ck_assert_str_eq(gan_op_name(GAN_OP_COUNT), "?");
    ck_assert_str_eq(gan_op_name(-1), "?");
    ck_assert_ptr_null(gan_op_info_of(GAN_OP_COUNT));
}
END_TEST

START_TEST(names_are_unique)
{
    for (int a = 0; a < GAN_OP_COUNT; a++)
        for (int b = a + 1; b < GAN_OP_COUNT; b++)
            ck_assert_msg(strcmp(gan_op_name(a), gan_op_name(b)), "ops %d and %d share a name", a, b);
}
END_TEST

static int digit_ok(char c, int n_slots) { return c >= '0' && c < '0' + n_slots; }

START_TEST(rows_are_consistent)
{
    for (int t = 0; t < GAN_OP_COUNT; t++) {
        const gan_op_info *o = gan_op_info_of(t);
        int nin = (int)strlen(o->in), nout = (int)strlen(o->out);
        ck_assert_msg(nin <= GAN_OP_MAX_IO && nout <= GAN_OP_MAX_IO, "%s: too many slots", o->name);
        ck_assert_msg((o->diff >> nin) == 0 && (o->upd >> nin) == 0, "%s: mask past its inputs",
                      o->name);
        ck_assert_msg(o->ws_slot < nout, "%s: workspace slot past its outputs", o->name);
        if (o->ws_slot >= 0)
            ck_assert_msg(o->out[o->ws_slot] == 'o', "%s: a workspace is optional", o->name);
        ck_assert_int_eq(gan_op_is_backward(t), o->kind == GAN_OPK_BWD);
        ck_assert_int_eq(gan_op_is_loss(t), o->kind == GAN_OPK_LOSS);
        if (o->kind == GAN_OPK_BWD || o->kind == GAN_OPK_OPTIM || o->kind == GAN_OPK_BOOK)
            ck_assert_msg(o->diff == 0 && o->bwd == GAN_OP_NONE, "%s: has a gradient", o->name);
        if (o->bwd == GAN_OP_NONE) {
            ck_assert_msg(o->diff == 0, "%s: differentiable but no backward op", o->name);
            continue;
        }
        /* the gradient rule: its strings fit both rows */
        const gan_op_info *b = gan_op_info_of(o->bwd);
        ck_assert_msg(b && b->kind == GAN_OPK_BWD, "%s: backward is no BWD op", o->name);
        int variadic = (b->flags & GAN_OPF_VARIADIC) != 0;
        /* past the backward's spec only forward slots that are always absent (-1) may follow */
        ck_assert_msg((int)strlen(o->bwd_in) >= (int)strlen(b->in), "%s: %d backward inputs, %s has %d",
                      o->name, (int)strlen(o->bwd_in), b->name, (int)strlen(b->in));
        for (const char *c = o->bwd_in + strlen(b->in); *c; c++)
            ck_assert_msg(*c >= '0' + nin && *c <= '7', "%s: extra backward input '%c'", o->name, *c);
        if (!variadic)
            ck_assert_msg((int)strlen(o->bwd_out) == (int)strlen(b->out), "%s: backward outputs", o->name);
        for (const char *c = o->bwd_in; *c; c++)
            ck_assert_msg(digit_ok(*c, GAN_OP_MAX_IO) || strchr("yYabd-", *c), "%s: bad BWD_IN '%c'",
                          o->name, *c);
        for (const char *c = o->bwd_out; *c; c++) {
            ck_assert_msg(digit_ok(*c, nin) || *c == 'w' || *c == '*', "%s: bad BWD_OUT '%c'", o->name, *c);
            if (digit_ok(*c, nin))
                ck_assert_msg((o->diff >> (*c - '0')) & 1u, "%s: gradient of a non-differentiable input",
                              o->name);
        }
        if (strchr(o->bwd_out, 'w'))
            ck_assert_msg(o->ws_slot == 1 && b->ws_slot >= 0, "%s: workspace rule", o->name);
        if (o->kind == GAN_OPK_FWD)
            ck_assert_msg(strchr(o->bwd_in, 'd') != NULL, "%s: backward without dy", o->name);
    }
}
END_TEST

START_TEST(predicates_follow_the_table)
{
    ck_assert(gan_op_out_is_workspace(GAN_OP_CONV2D, 1));
    ck_assert(gan_op_out_is_workspace(GAN_OP_CONV2D_T_BWD, 3));
    ck_assert(!gan_op_out_is_workspace(GAN_OP_CONV2D, 0));
    ck_assert(!gan_op_out_is_workspace(GAN_OP_DENSE, 1));
    ck_assert(!gan_op_out_is_workspace(GAN_OP_COUNT + 5, 1));
    ck_assert(gan_op_differentiable(GAN_OP_BN_TRAIN, 2) && !gan_op_differentiable(GAN_OP_BN_TRAIN, 3));
    ck_assert(gan_op_differentiable(GAN_OP_BN_INFER, 0) && !gan_op_differentiable(GAN_OP_BN_INFER, 1));
    ck_assert(gan_op_differentiable(GAN_OP_CONCAT, 7));
    ck_assert_int_eq(gan_op_backward(GAN_OP_LOSS_BCE), GAN_OP_LOSS_BCE_BWD);
    ck_assert_int_eq(gan_op_backward(GAN_OP_LOSS_SUM), GAN_OP_NONE);
    ck_assert_int_eq(gan_op_backward(9999), GAN_OP_NONE);
    /* spectral norm updates u only when training */
    gan_op sn = {.type = GAN_OP_SPECTRAL_NORM, .n_in = 2, .n_out = 3, .in = {0, 1}, .out = {2, 3, 4}};
    gan_op_use u[2 * GAN_OP_MAX_IO];
    sn.i[0] = 1;
    ck_assert_int_eq(gan_op_uses(&sn, u), 5);
    ck_assert_int_eq(u[1].access, GAN_ACC_READ | GAN_ACC_WRITE);
    sn.i[0] = 0;
    gan_op_uses(&sn, u);
    ck_assert_int_eq(u[1].access, GAN_ACC_READ);
    /* backward outputs accumulate; a workspace is scratch */
    gan_op cb = {.type = GAN_OP_CONV2D_BWD, .n_in = 4, .n_out = 4, .in = {0, 1, -1, 2},
                 .out = {3, 4, -1, 5}};
    ck_assert_int_eq(gan_op_uses(&cb, u), 6);
    ck_assert_int_eq(u[3].access, GAN_ACC_READ | GAN_ACC_WRITE);
    ck_assert_int_eq(u[5].access, GAN_ACC_SCRATCH);
    ck_assert_uint_eq(gan_conv_ws_floats(0, 3, 8, 3, 3, 9, 9, 7, 7), 3u * 9 * 49);
    ck_assert_uint_eq(gan_conv_ws_floats(1, 3, 8, 4, 4, 5, 5, 10, 10), 8u * 16 * 25);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_table");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, numbers_are_pinned);
    tcase_add_test(tc, names_are_unique);
    tcase_add_test(tc, rows_are_consistent);
    tcase_add_test(tc, predicates_follow_the_table);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
