/* The grid labels' font (runtime/data/font.c): lower-case g, j, p, q and y descend below the
 * baseline (issue "No input crashes us, no run is lost": "Smiling" was drawn "Smilin9"), and
 * the other letters sit on it. */
#include <check.h>
#include <string.h>
#include "runtime/data/data_int.h"

static int row(int ch, int r)
{
    return r < GAN_FONT_H ? gan_font_glyph(ch)[r] : gan_font_descender(ch)[r - GAN_FONT_H];
}

START_TEST(descenders)
{
    for (int ch = 'a'; ch <= 'z'; ch++) {
        int desc = strchr("gjpqy", ch) != NULL;
        int below = row(ch, GAN_FONT_H) | row(ch, GAN_FONT_H + 1);
        ck_assert_msg(desc ? below != 0 : below == 0, "'%c': descender rows %s", ch,
                      desc ? "empty" : "set");
        /* every lower-case letter reaches the baseline (its last row above the descender) */
        ck_assert_msg(row(ch, GAN_FONT_H - 1) != 0, "'%c' floats above the baseline", ch);
    }
    /* a 'g' is not a '9' any more: 9 rows compared (the digit has no descender) */
    int same = 1;
    for (int r = 0; r < GAN_FONT_H + 2; r++)
        same &= row('g', r) == row('9', r);
    ck_assert(!same);
    ck_assert_int_ge(GAN_FONT_CELL_H, GAN_FONT_H + 2); /* the descender fits in the cell */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("font");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, descenders);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
