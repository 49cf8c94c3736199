/* The libFuzzer driver of one target: built once per target with -DFUZZ_ONE=fuzz_<name>_one
 * (Makefile, `make fuzz`), so the logic under test lives in fuzz_<name>.c alone. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return FUZZ_ONE(data, size);
}
