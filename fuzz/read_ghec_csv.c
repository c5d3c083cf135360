/*
 * Fuzz target: hc_census_load on arbitrary bytes given as
 * --ghec PATH, seeded with the consumed-licenses CSV report (snake_case and
 * Title-case headers).
 * The oracle (status set, diagnostics, agreement between one piece and
 * small chunks, skip_malformed) is fuzz_load_check in fuzz_read.h; on top
 * of it, fuzz_csv_ref_check (fuzz_csv_ref.h) compares the accounts the
 * reader delivers, field by field, and its errors with a reference RFC 4180
 * parser for the reports inside the reference's subset.
 */
#include "fuzz_csv_ref.h"
#include "fuzz_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_load_check(data, size, HC_INPUT_GHEC, NULL);
    fuzz_csv_ref_check(data, size, false, NULL);
    return 0;
}
