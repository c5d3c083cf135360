/*
 * Fuzz target: hc_census_load on arbitrary bytes given as
 * --ghes PATH without a host, the shape of headcount's GHES JSON export
 * (host_name inside the file; also the encrypted ghe-license export).
 * The oracle (status set, diagnostics, thread-count and skip_malformed
 * agreement) is fuzz_load_check in fuzz_read.h.
 */
#include "fuzz_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_load_check(data, size, HC_INPUT_GHES, NULL);
    return 0;
}
