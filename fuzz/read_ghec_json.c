/*
 * Fuzz target: hc_census_load on arbitrary bytes given as
 * --ghec PATH, seeded with consumed-licenses REST JSON (one page, an array
 * of pages, or pages one after another).
 * The oracle (status set, diagnostics, thread-count and skip_malformed
 * agreement) is fuzz_load_check in fuzz_read.h.
 */
#include "fuzz_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_load_check(data, size, HC_INPUT_GHEC, NULL);
    return 0;
}
