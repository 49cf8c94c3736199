/* The back end's checks of the two layer kinds added through the layer table (avg_pool,
 * instance_norm): a checked model builds; the same model with a node damaged after the front
 * end (what a bug there would hand over) is refused with the node named, never lowered. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/backend.h"
#include "compiler/model_def.h"
#include "tests/util/md_sources.h"

static md_node *find_kind(md_model *md, int kind)
{
    for (int n = 0; n < md->n_networks; n++)
        for (int k = 0; k < md->networks[n].n_nodes; k++)
            if (md->networks[n].nodes[k].kind == kind)
                return &md->networks[n].nodes[k];
    ck_abort_msg("no node of kind %d", kind);
    return NULL;
}

static void expect_refused(md_model *md, const char *needle)
{
    char err[512] = "";
    gan_build_opts o = {1, 0};
    gan_model *m = gan_build(md, &o, err, sizeof err);
    ck_assert_msg(m == NULL, "built a damaged model (wanted '%s')", needle);
    ck_assert_msg(strstr(err, needle) != NULL, "'%s' lacks '%s'", err, needle);
}

START_TEST(damaged_nodes_are_refused)
{
    md_model *md = mdsrc_lsgan(1);
    char err[512] = "";
    gan_build_opts o = {1, 0};
    gan_model *m = gan_build(md, &o, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    gan_model_free(m);

    md_node *pool = find_kind(md, MD_AVG_POOL), keep = *pool;
    pool->kh = pool->kw = 0;
    expect_refused(md, "D.pool1 (line 12): bad avg_pool window or stride");
    *pool = keep;
    pool->stride = 0;
    expect_refused(md, "bad avg_pool window or stride");
    *pool = keep;
    pool->shape[1] += 1;
    expect_refused(md, "D.pool1 (line 12): output shape does not follow");
    *pool = keep;

    md_node *in = find_kind(md, MD_INSTANCE_NORM);
    keep = *in;
    in->eps = 2.0f;
    expect_refused(md, "instance_norm needs a feature map and an eps in (0, 1)");
    *in = keep;
    in->shape[0] += 1;
    expect_refused(md, "output shape does not follow");
    *in = keep;
    m = gan_build(md, &o, err, sizeof err); /* repaired, it builds again */
    ck_assert_msg(m != NULL, "%s", err);
    gan_model_free(m);
    md_model_free(md);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("layers_new");
    TCase *tc = tcase_create("checks");
    tcase_add_test(tc, damaged_nodes_are_refused);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
