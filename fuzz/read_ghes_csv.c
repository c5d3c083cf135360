/*
 * Fuzz target: hc_census_load on arbitrary bytes given as
 * --ghes HOST=PATH, the shape of a GHES all_users.csv report (RFC 4180
 * quoting, raw_login JSON with embedded quotes and newlines, CRLF, BOM).
 * The oracle (status set, diagnostics, thread-count and skip_malformed
 * agreement) is fuzz_load_check in fuzz_read.h.
 */
#include "fuzz_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_load_check(data, size, HC_INPUT_GHES, "ghe-1.corp.example");
    return 0;
}
