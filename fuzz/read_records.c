/*
 * Fuzz target: hc_census_load on arbitrary bytes given as
 * --records PATH: NDJSON accounts, one GHES or GHEC account a line.
 * The oracle (status set, diagnostics, thread-count and skip_malformed
 * agreement) is fuzz_load_check in fuzz_read.h. On top of it, the NDJSON
 * fast path must change nothing: loads with it and with every line sent to
 * the full reader give the same status, diagnostic, statistics, summary
 * and report, strict and with skip_malformed.
 */
#include "fuzz_json_mutate.h"
#include "fuzz_read.h"
#include "read_ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_load_check(data, size, HC_INPUT_RECORDS, NULL);
    const char *path = fuzz_memfd_put(data, size);
    for (int skip = 0; skip < 2; skip++) {
        fuzz_load fast, full;
        fuzz_load_run(path, HC_INPUT_RECORDS, NULL, 2, skip, &fast);
        hc__ndjson_fast_off = true;
        fuzz_load_run(path, HC_INPUT_RECORDS, NULL, 2, skip, &full);
        hc__ndjson_fast_off = false;
        fuzz_load_same(&fast, &full, "fast path vs full reader");
        fuzz_mem_free(&fast.json);
        fuzz_mem_free(&full.json);
    }
    return 0;
}
