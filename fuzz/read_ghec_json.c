/*
 * Fuzz target: hc_census_load on arbitrary bytes given as
 * --ghec PATH, seeded with consumed-licenses REST JSON (one page, an array
 * of pages, or pages one after another).
 * The oracle (status set, diagnostics, agreement between one piece and
 * small chunks, skip_malformed) is fuzz_load_check in fuzz_read.h; on top
 * of it, fuzz_json_ref_check (fuzz_json_ref.h) checks that every account
 * the reader delivers comes, field by field, from its element of a page's
 * `users` in the input.
 */
#include "fuzz_json_mutate.h"
#include "fuzz_json_ref.h"
#include "fuzz_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_load_check(data, size, HC_INPUT_GHEC, NULL);
    fuzz_json_ref_check(data, size, HC_INPUT_GHEC);
    return 0;
}
