/* Helpers for the data-layout tests (tests/util/layout_util.c): image files of any size in
 * any folder, and stderr captured to a string. */
#ifndef TESTS_LAYOUT_UTIL_H
#define TESTS_LAYOUT_UTIL_H

/* Writes root/rel (making its folders) as a w x h image: PNG when rel ends in .png, JPEG
   otherwise; a flat colour (r, g, 200), so a test can tell images apart. 0 ok. */
int layout_write_image(const char *root, const char *rel, int w, int h, int r, int g);
/* mkdir -p root/rel. 0 ok. */
int layout_mkdirs(const char *root, const char *rel);
/* A plain folder of n images under root, nested in subfolders, mixed JPEG/PNG and sizes
   (portrait, landscape, square from 9 to 40 pixels). 0 ok. */
int layout_make_plain(const char *root, int n);
/* stderr into a file until capture_end, which returns what was written (malloc'd). */
void capture_begin(const char *scratch_dir);
char *capture_end(void);

#endif
