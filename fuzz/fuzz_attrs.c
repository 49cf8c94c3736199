/* Fuzz target: list_attr_celeba.txt bytes through the parser the loader and
 * `ganrt sample --attrs-from` use; a table that parses is looked up like the loader does. */
#include "fuzz/fuzz.h"
#include "runtime/data.h"

int fuzz_attrs_one(const uint8_t *data, size_t len)
{
    gan_attr_table t;
    char err[512];
    if (gan_attr_table_parse_mem(data, len, "list_attr_celeba.txt", &t, err, sizeof err))
        return 0;
    /* every name must be found again, and every value is +1 or -1 */
    for (int i = 0; i < t.n_attrs; i++)
        if (gan_attr_find(&t, t.names[i]) != i)
            __builtin_trap();
    for (size_t k = 0; k < t.n_rows * (size_t)t.n_attrs; k++)
        if (t.values[k] != 1 && t.values[k] != -1)
            __builtin_trap();
    (void)gan_attr_find(&t, "Smiling");
    gan_attr_table_free(&t);
    return 0;
}
