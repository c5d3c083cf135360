/*
 * Fuzz target: consumed-licenses JSON read through pread windows of a few
 * sizes, against the same bytes parsed in the file mapping. The windows cut
 * the input after newlines and hand a page that does not fit, or an input
 * simdjson cannot split, to the mapping path; whatever they do, a load
 * that succeeds one way must succeed the other way with the same accounts
 * and rejected-row counts in the same order, and one that fails must fail
 * both ways. Which error a malformed input reports first may differ:
 * simdjson checks a whole batch (bad UTF-8, unbalanced brackets) before it
 * parses a document of it, and finds document boundaries by scanning back
 * from the batch's end, so with a malformed input both depend on where
 * batches, and so windows, end (the mapping path has the same dependence
 * on its 16 MiB batches). tests/test_read.c pins the places of errors that
 * do not.
 */
#include "fuzz_json_mutate.h"
#include "fuzz_common.h"
#include "read_load.h"

typedef struct log_sink {
    fuzz_mem log;
    char names[16][64];
    unsigned n_names;
} log_sink;

static void log_str(fuzz_mem *m, hc_str s)
{
    char len[24];
    snprintf(len, sizeof len, "%zu:", s.len);
    FUZZ_OK(fuzz_mem_write(m, len, strlen(len)));
    FUZZ_OK(fuzz_mem_write(m, s.ptr, s.len));
}

static void log_strs(fuzz_mem *m, const hc_str *v, size_t n)
{
    char count[24];
    snprintf(count, sizeof count, "[%zu]", n);
    FUZZ_OK(fuzz_mem_write(m, count, strlen(count)));
    for (size_t i = 0; i < n; i++)
        log_str(m, v[i]);
}

static hc_status log_source(void *ctx, hc_source_kind kind, const void *name,
                            size_t len, uint32_t *id)
{
    log_sink *s = ctx;
    (void)kind;
    for (unsigned i = 0; i < s->n_names; i++)
        if (strlen(s->names[i]) == len && memcmp(s->names[i], name, len) == 0) {
            *id = i;
            return HC_OK;
        }
    if (s->n_names == 16 || len >= sizeof s->names[0])
        return HC_ERR_LIMIT;
    memcpy(s->names[s->n_names], name, len);
    s->names[s->n_names][len] = '\0';
    *id = s->n_names++;
    return HC_OK;
}

static void log_reject(void *ctx, uint32_t source, uint64_t n)
{
    log_sink *s = ctx;
    char line[64];
    snprintf(line, sizeof line, "reject %u %llu\n", source,
             (unsigned long long)n);
    FUZZ_OK(fuzz_mem_write(&s->log, line, strlen(line)));
}

static hc_status log_open(void *ctx, void **writer)
{
    *writer = ctx;
    return HC_OK;
}

static hc_status log_close(void *ctx, void *writer)
{
    (void)ctx;
    (void)writer;
    return HC_OK;
}

static hc_status log_ghes(void *writer, const hc_ghes_account *a)
{
    (void)writer;
    (void)a;
    FUZZ_CHECK(false, "a GHES account from consumed-licenses JSON");
    return HC_ERR_INTERNAL;
}

static hc_status log_ghec(void *writer, const hc_ghec_account *a)
{
    log_sink *s = writer;
    char head[48];
    snprintf(head, sizeof head, "ghec %u %d ", a->source, (int)a->licensed);
    FUZZ_OK(fuzz_mem_write(&s->log, head, strlen(head)));
    log_str(&s->log, a->login);
    log_str(&s->log, a->saml_name_id);
    log_strs(&s->log, a->identity_values, a->n_identity_values);
    log_strs(&s->log, a->verified_emails, a->n_verified_emails);
    FUZZ_OK(fuzz_mem_write(&s->log, "\n", 1));
    return HC_OK;
}

typedef struct outcome {
    hc_status rc;
    hc_diag diag;
    hc_load_stats stats;
    log_sink sink;
} outcome;

static void load(const char *path, size_t window, size_t cut, bool skip,
                 outcome *o)
{
    memset(o, 0, sizeof *o);
    hc__sink sink = {&o->sink,  log_source, log_reject, log_open,
                     log_close, log_ghes,   log_ghec};
    hc_input in = {HC_INPUT_GHEC, path, NULL, NULL};
    hc_load_options lo = {1, skip};
    hc__read_tuning t = {0, 0, window, cut};
    o->rc = hc__read_run(&sink, &in, &lo, &t, &o->stats, &o->diag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Windows alone, then pages cut into jobs (one thread: the same
     * order of rows). */
    static const size_t windows[] = {37, 256, 4096, 256, 4096};
    static const size_t cuts[] = {0, 0, 0, 300, 1000};
    const char *path = fuzz_memfd_put(data, size);
    for (int skip = 0; skip < 2; skip++) {
        outcome want, got;
        load(path, HC__JSON_WINDOW_OFF, 0, skip != 0, &want);
        for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
            load(path, windows[w], cuts[w], skip != 0, &got);
            FUZZ_CHECK(got.rc == want.rc, "window %zu: status %s, mapping %s",
                       windows[w], hc_status_str(got.rc),
                       hc_status_str(want.rc));
            if (want.rc != HC_OK) {
                FUZZ_CHECK(got.diag.message[0] != '\0',
                           "window %zu: %s without a message", windows[w],
                           hc_status_str(got.rc));
            } else {
                FUZZ_CHECK(got.stats.records == want.stats.records &&
                               got.stats.accounts == want.stats.accounts &&
                               got.stats.rejected == want.stats.rejected,
                           "window %zu: load statistics differ", windows[w]);
                FUZZ_CHECK(got.sink.log.n == want.sink.log.n &&
                               (want.sink.log.n == 0 ||
                                memcmp(got.sink.log.p, want.sink.log.p,
                                       want.sink.log.n) == 0),
                           "window %zu: accounts differ", windows[w]);
            }
            fuzz_mem_free(&got.sink.log);
        }
        fuzz_mem_free(&want.sink.log);
    }
    return 0;
}
