/*
 * The oracle shared by the reader targets (read_*.c): the fuzzer's bytes
 * become a file (a memfd opened by path) that hc_census_load reads under a
 * given role and host. A load either succeeds or fails with a data, limit or
 * encrypted status whose diagnostic names the file, a line (>= 1, except
 * for the errors of the gzip layer, which have no line) and a non-empty
 * message. The load is repeated through the readers' internal entry point
 * with two threads and a tuning that cuts even a few bytes into many chunks
 * (CSV rows, NDJSON lines and consumed-licenses pages, each job parsed on
 * its own): status, diagnostic, load statistics, summary and report JSON
 * must not change. Both loads are repeated with skip_malformed, and agree
 * with each other the same way; a skip_malformed load must succeed with the
 * same result and no rejected row whenever the strict load succeeded, and
 * may only succeed where the strict load failed by rejecting at least one
 * row.
 */
#ifndef HC_FUZZ_READ_H
#define HC_FUZZ_READ_H

#include "fuzz_common.h"
#include "read_load.h"

typedef struct fuzz_load {
    hc_status rc;
    hc_load_stats stats;
    hc_diag diag;
    hc_summary sum;
    fuzz_mem json;
} fuzz_load;

/* The census as a sink for hc__read_run: what hc_census_load passes, built
 * here from the public census API. */
static hc_status fuzz_census_source(void *ctx, hc_source_kind kind,
                                    const void *name, size_t len, uint32_t *id)
{
    return hc_census_source(ctx, kind, name, len, id);
}

static void fuzz_census_reject(void *ctx, uint32_t source, uint64_t n)
{
    hc_census_source_reject(ctx, source, n);
}

static hc_status fuzz_census_open(void *ctx, void **writer)
{
    hc_census_writer *w = NULL;
    hc_status rc = hc_census_writer_create(ctx, &w);
    *writer = w;
    return rc;
}

static hc_status fuzz_census_close(void *ctx, void *writer)
{
    (void)ctx;
    return hc_census_writer_finish(writer);
}

static hc_status fuzz_census_ghes(void *writer, const hc_ghes_account *a)
{
    return hc_census_add_ghes(writer, a);
}

static hc_status fuzz_census_ghec(void *writer, const hc_ghec_account *a)
{
    return hc_census_add_ghec(writer, a);
}

/*
 * Loads path into a fresh census and counts it. Without tuning through
 * hc_census_load, which parses an input under 4 MiB as one piece; with
 * tuning through hc__read_run, whose tuning can cut a small input into
 * chunks.
 */
static inline void fuzz_load_run_tuned(const char *path, hc_input_role role,
                                       const char *host, unsigned threads,
                                       bool skip, const hc__read_tuning *tuning,
                                       fuzz_load *out)
{
    hc_census *c = NULL;
    hc_census_options co = {0};
    hc_input input = {role, path, host, NULL};
    hc_load_options lo = {threads, skip};

    memset(out, 0, sizeof *out);
    co.threads = threads;
    co.expected_keys = 64; /* small inputs: keep per-run setup cheap */
    FUZZ_OK(hc_census_create(&co, &c));
    if (tuning) {
        hc__sink sink = {c,
                         fuzz_census_source,
                         fuzz_census_reject,
                         fuzz_census_open,
                         fuzz_census_close,
                         fuzz_census_ghes,
                         fuzz_census_ghec};
        out->rc =
            hc__read_run(&sink, &input, &lo, tuning, &out->stats, &out->diag);
    } else {
        out->rc = hc_census_load(c, &input, &lo, &out->stats, &out->diag);
    }
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

static inline void fuzz_load_run(const char *path, hc_input_role role,
                                 const char *host, unsigned threads, bool skip,
                                 fuzz_load *out)
{
    fuzz_load_run_tuned(path, role, host, threads, skip, NULL, out);
}

/* The errors of the gzip layer (read_input.c), which have no line. */
static inline bool fuzz_gzip_error(const hc_diag *d)
{
    static const char *const prefixes[] = {
        "corrupt gzip data",
        "truncated gzip data",
        "decompressed input ",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(d->message, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
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

/*
 * fuzz_load_same for a load of one piece (a) and one cut into small chunks
 * (b). Consumed-licenses JSON is the exception for a malformed input: which
 * error is met first depends on where its jobs end (simdjson validates a
 * whole job before parsing a page of it, and finds page ends by scanning
 * back from the job's end), as it does on the size of the pread windows
 * (see read_ghec_windows.c); the jobs are a fixed number of bytes, so the
 * error is the same for any thread count, but not for any job size. Such
 * a load must fail with the same status and a message.
 */
static inline void fuzz_load_same_cut(const fuzz_load *a, const fuzz_load *b,
                                      const char *what)
{
    if (a->rc != HC_OK && a->stats.format == HC_FORMAT_GHEC_JSON) {
        FUZZ_CHECK(a->rc == b->rc, "%s: status %s vs %s", what,
                   hc_status_str(a->rc), hc_status_str(b->rc));
        FUZZ_CHECK(b->diag.message[0] != '\0', "%s: %s without a message", what,
                   hc_status_str(b->rc));
        return;
    }
    fuzz_load_same(a, b, what);
}

/*
 * A tuning that cuts small inputs: chunks from a few bytes (every input of
 * two bytes or more is split, into up to eight chunks per thread) and
 * consumed-licenses pages grouped into jobs of a few dozen bytes. The sizes
 * vary with the input's length, so that the fuzzer moves the cuts.
 */
static inline hc__read_tuning fuzz_small_chunks(size_t size)
{
    hc__read_tuning t = {1, 1 + size % 16, 4096, 16 + size % 64};
    return t;
}

static inline void fuzz_load_check(const uint8_t *data, size_t size,
                                   hc_input_role role, const char *host)
{
    fuzz_load l1, l2, l3, l4;
    const char *path = fuzz_memfd_put(data, size);
    bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    hc__read_tuning small = fuzz_small_chunks(size);

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
        FUZZ_CHECK(gzip || !fuzz_gzip_error(d),
                   "a gzip error for an input that is not gzip: %s",
                   d->message);
        FUZZ_CHECK(d->line >= 1 || l1.rc == HC_ERR_ARG || fuzz_gzip_error(d),
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

    fuzz_load_run_tuned(path, role, host, 2, false, &small, &l2);
    fuzz_load_same_cut(&l1, &l2, "one piece vs small chunks on 2 threads");

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

    fuzz_load_run_tuned(path, role, host, 2, true, &small, &l4);
    fuzz_load_same_cut(
        &l3, &l4, "skip_malformed: one piece vs small chunks on 2 threads");

    fuzz_mem_free(&l1.json);
    fuzz_mem_free(&l2.json);
    fuzz_mem_free(&l3.json);
    fuzz_mem_free(&l4.json);
}

#endif /* HC_FUZZ_READ_H */
