/*
 * The oracle shared by the reader targets (read_*.c): the fuzzer's bytes
 * become a file (a memfd opened by path) that hc_census_load reads under a
 * given role and host. A load either succeeds or fails with a data, limit or
 * encrypted status whose diagnostic names the file, a line (>= 1, except
 * for gzip-level errors, which have no line) and a non-empty message. The
 * load is repeated with threads=1 and threads=2: status, diagnostic, load
 * statistics, summary and report JSON must not change. A third load with
 * skip_malformed must succeed with the same result and no rejected row
 * whenever the strict load succeeded, and may only succeed where the strict
 * load failed by rejecting at least one row.
 */
#ifndef HC_FUZZ_READ_H
#define HC_FUZZ_READ_H

#include "fuzz_common.h"

typedef struct fuzz_load {
    hc_status rc;
    hc_load_stats stats;
    hc_diag diag;
    hc_summary sum;
    fuzz_mem json;
} fuzz_load;

static inline void fuzz_load_run(const char *path, hc_input_role role,
                                 const char *host, unsigned threads, bool skip,
                                 fuzz_load *out)
{
    hc_census *c = NULL;
    hc_census_options co = {0};
    hc_input input = {role, path, host};
    hc_load_options lo = {threads, skip};

    memset(out, 0, sizeof *out);
    co.threads = threads;
    co.expected_keys = 64; /* small inputs: keep per-run setup cheap */
    FUZZ_OK(hc_census_create(&co, &c));
    out->rc = hc_census_load(c, &input, &lo, &out->stats, &out->diag);
    if (out->rc == HC_OK) {
        hc_result *r = NULL;
        FUZZ_OK(hc_census_run(c, HC_POLICY_GITHUB, &r));
        hc_result_summary(r, &out->sum);
        fuzz_summary_sane(r, &out->sum);
        FUZZ_OK(hc_report_write_json(r, NULL, fuzz_mem_write, &out->json));
        hc_result_destroy(r);
    }
    hc_census_destroy(c);
}

/* The statuses a load of arbitrary bytes may end with. ARG is allowed
 * only for a GHES CSV report read without a host, as reader.h says. */
static inline bool fuzz_load_status_ok(hc_status rc, const uint8_t *data,
                                       size_t size, hc_input_role role,
                                       const char *host)
{
    if (rc == HC_OK || rc == HC_ERR_DATA || rc == HC_ERR_LIMIT ||
        rc == HC_ERR_ENCRYPTED)
        return true;
    if (rc != HC_ERR_ARG || role != HC_INPUT_GHES || host != NULL)
        return false;
    size_t i = 0;
    if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
                        data[i] == '\n'))
        i++;
    return i < size && data[i] != '{' && data[i] != '[';
}

static inline void fuzz_load_same(const fuzz_load *a, const fuzz_load *b,
                                  const char *what)
{
    FUZZ_CHECK(a->rc == b->rc, "%s: status %s vs %s", what,
               hc_status_str(a->rc), hc_status_str(b->rc));
    if (a->rc != HC_OK) {
        FUZZ_CHECK(a->diag.line == b->diag.line &&
                       a->diag.column == b->diag.column &&
                       strcmp(a->diag.message, b->diag.message) == 0,
                   "%s: diagnostics differ: %llu:%llu %s / %llu:%llu %s", what,
                   (unsigned long long)a->diag.line,
                   (unsigned long long)a->diag.column, a->diag.message,
                   (unsigned long long)b->diag.line,
                   (unsigned long long)b->diag.column, b->diag.message);
        return;
    }
    FUZZ_CHECK(a->stats.format == b->stats.format &&
                   a->stats.bytes == b->stats.bytes &&
                   a->stats.records == b->stats.records &&
                   a->stats.accounts == b->stats.accounts &&
                   a->stats.rejected == b->stats.rejected,
               "%s: load statistics differ", what);
    fuzz_summary_same(&a->sum, &b->sum, what);
    FUZZ_CHECK(fuzz_mem_equal(&a->json, &b->json), "%s: report JSON differs",
               what);
}

static inline void fuzz_load_check(const uint8_t *data, size_t size,
                                   hc_input_role role, const char *host)
{
    fuzz_load l1, l2, l3;
    const char *path = fuzz_memfd_put(data, size);
    bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;

    fuzz_load_run(path, role, host, 1, false, &l1);
    FUZZ_CHECK(fuzz_load_status_ok(l1.rc, data, size, role, host),
               "load returned %s: %s", hc_status_str(l1.rc), l1.diag.message);
    if (l1.rc != HC_OK) {
        const hc_diag *d = &l1.diag;
        FUZZ_CHECK(memchr(d->message, 0, sizeof d->message) != NULL &&
                       d->message[0] != '\0',
                   "%s without a message", hc_status_str(l1.rc));
        FUZZ_CHECK(memchr(d->file, 0, sizeof d->file) != NULL &&
                       strcmp(d->file, path) == 0,
                   "diag names file \"%.64s\", not %s", d->file, path);
        FUZZ_CHECK(d->line >= 1 || gzip || l1.rc == HC_ERR_ARG,
                   "%s without a line: %s", hc_status_str(l1.rc), d->message);
    } else {
        hc_format f = l1.stats.format;
        bool fits = role == HC_INPUT_GHES
                        ? f == HC_FORMAT_GHES_CSV || f == HC_FORMAT_GHES_JSON
                    : role == HC_INPUT_GHEC
                        ? f == HC_FORMAT_GHEC_CSV || f == HC_FORMAT_GHEC_JSON
                        : f == HC_FORMAT_RECORDS;
        FUZZ_CHECK(fits, "role %d loaded as format %s", (int)role,
                   hc_format_name(f));
        FUZZ_CHECK(l1.stats.rejected == 0 && l1.sum.rejected_rows == 0,
                   "rows rejected without skip_malformed");
    }

    fuzz_load_run(path, role, host, 2, false, &l2);
    fuzz_load_same(&l1, &l2, "threads 1 vs 2");

    fuzz_load_run(path, role, host, 2, true, &l3);
    FUZZ_CHECK(fuzz_load_status_ok(l3.rc, data, size, role, host),
               "skip_malformed load returned %s", hc_status_str(l3.rc));
    if (l1.rc == HC_OK) {
        FUZZ_CHECK(l3.rc == HC_OK,
                   "skip_malformed fails (%s: %s) where the "
                   "strict load succeeded",
                   hc_status_str(l3.rc), l3.diag.message);
        fuzz_load_same(&l1, &l3, "strict vs skip_malformed");
    } else if (l3.rc == HC_OK) {
        FUZZ_CHECK(l3.stats.rejected >= 1,
                   "skip_malformed succeeds without rejecting a row where "
                   "the strict load failed (%s: %s)",
                   hc_status_str(l1.rc), l1.diag.message);
        FUZZ_CHECK(l3.sum.rejected_rows == l3.stats.rejected,
                   "summary rejected_rows %llu, load rejected %llu",
                   (unsigned long long)l3.sum.rejected_rows,
                   (unsigned long long)l3.stats.rejected);
    }
    fuzz_mem_free(&l1.json);
    fuzz_mem_free(&l2.json);
    fuzz_mem_free(&l3.json);
}

#endif /* HC_FUZZ_READ_H */
