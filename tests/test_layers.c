/* The layer table (compiler/layers.h, assembled from compiler/layer_list.h): every md_kind has
 * its facts, every row sits in its kind's facts, the names are unique and fit the candidate
 * arrays, and what was there before a new kind keeps its number, its name and its place in
 * the "did you mean" order (a new kind appends). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/frontend.h"
#include "compiler/layers.h"

START_TEST(every_kind_has_its_facts)
{
    ck_assert_ptr_null(layer_kind_of(-1));
    ck_assert_ptr_null(layer_kind_of(MD_KIND_COUNT));
    ck_assert_str_eq(fe_kind_name(MD_KIND_COUNT), "?");
    for (int k = 0; k < MD_KIND_COUNT; k++) {
        const layer_kind *lk = layer_kind_of(k);
        ck_assert_msg(lk && lk->name && lk->name[0], "md_kind %d has no facts", k);
        ck_assert_str_eq(fe_kind_name(k), lk->name);
        ck_assert_msg(k == MD_INPUT ? !lk->lower && lk->n_rows == 0 : lk->lower != NULL,
                      "md_kind %d (%s): a layer lowers, an input does not", k, lk->name);
        ck_assert_msg(k == MD_INPUT || lk->n_rows > 0, "md_kind %d (%s) has no row", k, lk->name);
        for (int r = 0; r < lk->n_rows; r++) {
            ck_assert_int_eq(lk->rows[r].kind, k);
            ck_assert_ptr_nonnull(lk->rows[r].stem);
            ck_assert_msg(!lk->rows[r].name || lk->rows[r].shape, "%s has no shape rule", lk->rows[r].name);
        }
    }
}
END_TEST

START_TEST(rows_are_the_kinds_rows)
{
    int n = layer_row_count(), named = 0;
    ck_assert_ptr_null(layer_row_at(n));
    ck_assert_ptr_null(layer_row_at(-1));
    for (int i = 0; i < n; i++) {
        const layer_row *r = layer_row_at(i);
        const layer_kind *lk = layer_kind_of(r->kind);
        ck_assert_msg(r >= lk->rows && r < lk->rows + lk->n_rows, "row %d is not its kind's", i);
        if (!r->name)
            continue;
        named++;
        ck_assert_ptr_eq(layer_find(r->name), r);
        for (int j = 0; j < i; j++)
            ck_assert_msg(!layer_row_at(j)->name || strcmp(layer_row_at(j)->name, r->name),
                          "'%s' named twice", r->name);
    }
    /* strictly below: the candidate arrays keep a slot spare, as they always did */
    ck_assert_msg(named < LAYER_MAX_ROWS, "%d nameable rows: raise LAYER_MAX_ROWS", named);
    const char *names[LAYER_MAX_ROWS];
    ck_assert_int_eq(layer_names(names, 0), named);
}
END_TEST

START_TEST(what_was_there_stays)
{
    static const struct {
        int kind;
        const char *name;
    } pinned[] = {
        {MD_INPUT, "input"}, {MD_DENSE, "dense"}, {MD_CONV, "conv"}, {MD_CONV_T, "conv_t"},
        {MD_UPSAMPLE, "upsample"}, {MD_BATCHNORM, "batchnorm"}, {MD_ACT, "act"},
        {MD_CONCAT, "concat"}, {MD_TILE, "tile"}, {MD_RESHAPE, "reshape"},
        {MD_GAP, "global_avg_pool"}, {MD_ADD, "add"}, {MD_PROJECT, "project"},
    };
    for (int i = 0; i < (int)(sizeof pinned / sizeof pinned[0]); i++) {
        ck_assert_int_eq(pinned[i].kind, i);
        ck_assert_str_eq(fe_kind_name(i), pinned[i].name);
    }
    static const char *const order[] = {
        "dense", "conv", "conv_t", "upsample", "batchnorm", "relu", "leaky_relu", "tanh",
        "sigmoid", "concat", "reshape", "flatten", "global_avg_pool", "project", "add",
    };
    static const char *const defaultable[] = {"dense", "conv", "conv_t", "upsample", "batchnorm", "leaky_relu", "project"};
    const char *names[LAYER_MAX_ROWS];
    int n = layer_names(names, 0);
    ck_assert_int_ge(n, (int)(sizeof order / sizeof order[0]));
    for (int i = 0; i < (int)(sizeof order / sizeof order[0]); i++)
        ck_assert_str_eq(names[i], order[i]);
    n = layer_names(names, 1);
    ck_assert_int_ge(n, (int)(sizeof defaultable / sizeof defaultable[0]));
    for (int i = 0; i < (int)(sizeof defaultable / sizeof defaultable[0]); i++)
        ck_assert_str_eq(names[i], defaultable[i]);
}
END_TEST

START_TEST(nodes_find_their_rows)
{
    md_node n = {.kind = MD_ACT, .act = GAN_ACT_TANH};
    ck_assert_str_eq(layer_of_node(&n)->name, "tanh");
    n.act = GAN_ACT_NONE; /* no row makes a linear activation */
    ck_assert_ptr_null(layer_of_node(&n));
    n = (md_node){.kind = MD_RESHAPE};
    ck_assert_str_eq(layer_of_node(&n)->name, "reshape");
    n = (md_node){.kind = MD_TILE};
    ck_assert_str_eq(layer_of_node(&n)->stem, "tile");
    n = (md_node){.kind = MD_INPUT};
    ck_assert_ptr_null(layer_of_node(&n));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("layers");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, every_kind_has_its_facts);
    tcase_add_test(tc, rows_are_the_kinds_rows);
    tcase_add_test(tc, what_was_there_stays);
    tcase_add_test(tc, nodes_find_their_rows);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
