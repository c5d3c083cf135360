/*
 * A fast path for NDJSON account records: a strict scanner for the plain
 * shape almost every line has (one flat object on one line, strings
 * without escapes, integers, booleans, null, arrays of strings). It never
 * reports an error and never guesses: any line it does not take in full is
 * left to the simdjson reader, which accepts or rejects it and says why.
 * So the fast path only has to agree with that reader on the lines it
 * takes; the read_records fuzz target checks exactly that.
 */
#ifndef HC_READ_NDJSON_H
#define HC_READ_NDJSON_H

#include <stdbool.h>
#include <stddef.h>

#include "headcount/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lines with more entries in one list go to the full reader. */
#define HC__NDJSON_LIST_MAX 16

typedef struct hc__ndjson_list {
    hc_str v[HC__NDJSON_LIST_MAX];
    size_t n;
} hc__ndjson_list;

/* One record, its strings pointing into the input. Empty strings point at
 * "" (never NULL); lists hold no empty string. */
typedef struct hc__ndjson_rec {
    bool ghec; /* kind "ghec", else "ghes" */
    hc_str source, login, primary;
    uint64_t id;
    bool suspended, licensed;
    hc__ndjson_list emails, verified, identities;
} hc__ndjson_rec;

/*
 * Scans the record starting at p (its '{') and the rest of its line, up to
 * `end` at most. Returns the number of bytes taken, through the line's
 * '\n' (or up to `end` when the line is the last), with *r filled; or 0
 * when the line is not of the plain shape or is not a valid GHES or GHEC
 * record, and the full reader must have it.
 */
size_t hc__ndjson_fast(const char *p, const char *end, hc__ndjson_rec *r);

/* Set by tests and fuzz targets to compare the two paths: when true, every
 * record goes through the full reader. Not for production use. */
extern bool hc__ndjson_fast_off;

#ifdef __cplusplus
}
#endif
#endif /* HC_READ_NDJSON_H */
