/*
 * Fuzz target: hc_census_load on arbitrary bytes given as
 * --ghes PATH without a host, the shape of headcount's GHES JSON export
 * (host_name inside the file; also the encrypted ghe-license export).
 * The oracle (status set, diagnostics, agreement between one piece and
 * small chunks, skip_malformed) is fuzz_load_check in fuzz_read.h; on top
 * of it, fuzz_json_ref_check (fuzz_json_ref.h) checks that every account
 * the reader delivers comes, field by field, from its element of `users`
 * in the input, and that the source is the export's host_name.
 */
#include "fuzz_json_mutate.h"
#include "fuzz_json_ref.h"
#include "fuzz_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_load_check(data, size, HC_INPUT_GHES, NULL);
    fuzz_json_ref_check(data, size, HC_INPUT_GHES);
    return 0;
}
