/*
 * Fuzz target: hc_census_load on arbitrary bytes given as
 * --ghec PATH, seeded with the consumed-licenses CSV report (snake_case and
 * Title-case headers).
 * The oracle (status set, diagnostics, thread-count and skip_malformed
 * agreement) is fuzz_load_check in fuzz_read.h.
 */
#include "fuzz_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_load_check(data, size, HC_INPUT_GHEC, NULL);
    return 0;
}
