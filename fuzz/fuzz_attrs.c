/* Fuzz target: list_attr_celeba.txt bytes through the parser the loader and
 * `ganrt sample --attrs-from` use, and the same bytes through the label-file parser
 * (labels.csv); a table that parses is looked up like the loader does. */
#include "fuzz/fuzz.h"
#include "runtime/data.h"

#include <string.h>

static void check_table(gan_attr_table *t);

int fuzz_attrs_one(const uint8_t *data, size_t len)
{
    gan_attr_table t;
    char err[512];
    if (!gan_label_file_parse_mem(data, len, "labels.csv", &t, err, sizeof err)) {
        for (size_t r = 0; r < t.n_rows; r++)
            if (!memchr(t.files[r], 0, GAN_FILE_MAX) || t.files[r][0] == '/')
                __builtin_trap();
        check_table(&t);
    }
    if (!gan_attr_table_parse_mem(data, len, "list_attr_celeba.txt", &t, err, sizeof err))
        check_table(&t);
    return 0;
}

static void check_table(gan_attr_table *tp)
{
    gan_attr_table t = *tp; /* freed below; the caller's copy is not used again */
    /* every name must be found again, and every value is +1 or -1 */
    for (int i = 0; i < t.n_attrs; i++)
        if (gan_attr_find(&t, t.names[i]) != i)
            __builtin_trap();
    for (size_t k = 0; k < t.n_rows * (size_t)t.n_attrs; k++)
        if (t.values[k] != 1 && t.values[k] != -1)
            __builtin_trap();
    (void)gan_attr_find(&t, "Smiling");
    gan_attr_table_free(&t);
}
