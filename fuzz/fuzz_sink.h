/*
 * A recording sink for the readers' internal entry point (hc__read_run):
 * it writes every account the reader delivers as one line of a log, in a
 * form that keeps every field (strings as length:bytes), counts rejected
 * rows, and remembers the sources. A target that knows what a reader must
 * deliver writes its expectation with the same fuzz_log_* functions and
 * compares the two logs. Optional hooks see each account as it arrives.
 * Loads through it run on one thread: the callbacks are not thread-safe,
 * and one thread delivers the accounts in input order.
 */
#ifndef HC_FUZZ_SINK_H
#define HC_FUZZ_SINK_H

#include "fuzz_common.h"
#include "read_load.h"

#define FUZZ_SINK_SOURCES 4

typedef struct fuzz_sink {
    fuzz_mem log;
    char names[FUZZ_SINK_SOURCES][HC_SOURCE_NAME_MAX + 1];
    size_t name_len[FUZZ_SINK_SOURCES];
    unsigned n_names;
    uint64_t rejected;
    uint64_t n_accounts;
    void *arg; /* for the hooks */
    void (*on_ghes)(void *arg, uint64_t k, const hc_ghes_account *a);
    void (*on_ghec)(void *arg, uint64_t k, const hc_ghec_account *a);
} fuzz_sink;

static inline void fuzz_log_str(fuzz_mem *m, const char *p, size_t n)
{
    char len[24];
    snprintf(len, sizeof len, "%zu:", n);
    FUZZ_OK(fuzz_mem_write(m, len, strlen(len)));
    FUZZ_OK(fuzz_mem_write(m, p, n));
    FUZZ_OK(fuzz_mem_write(m, " ", 1));
}

static inline void fuzz_log_ghes(fuzz_mem *m, uint64_t id, bool suspended,
                                 const char *login, size_t login_len,
                                 const char *email, size_t email_len)
{
    char head[64];
    snprintf(head, sizeof head, "ghes id=%llu suspended=%d ",
             (unsigned long long)id, (int)suspended);
    FUZZ_OK(fuzz_mem_write(m, head, strlen(head)));
    fuzz_log_str(m, login, login_len);
    fuzz_log_str(m, email, email_len);
}

static inline void fuzz_log_ghec(fuzz_mem *m, bool licensed, const char *login,
                                 size_t login_len, const char *saml,
                                 size_t saml_len)
{
    char head[64];
    snprintf(head, sizeof head, "ghec licensed=%d ", (int)licensed);
    FUZZ_OK(fuzz_mem_write(m, head, strlen(head)));
    fuzz_log_str(m, login, login_len);
    fuzz_log_str(m, saml, saml_len);
}

/* Lists follow their account's head: "[n] " then the values. */
static inline void fuzz_log_count(fuzz_mem *m, size_t n)
{
    char count[32];
    snprintf(count, sizeof count, "[%zu] ", n);
    FUZZ_OK(fuzz_mem_write(m, count, strlen(count)));
}

static inline void fuzz_log_end(fuzz_mem *m)
{
    FUZZ_OK(fuzz_mem_write(m, "\n", 1));
}

static hc_status fuzz_sink_source(void *ctx, hc_source_kind kind,
                                  const void *name, size_t len, uint32_t *id)
{
    fuzz_sink *s = ctx;
    (void)kind;
    for (unsigned i = 0; i < s->n_names; i++)
        if (s->name_len[i] == len && memcmp(s->names[i], name, len) == 0) {
            *id = i;
            return HC_OK;
        }
    if (s->n_names == FUZZ_SINK_SOURCES || len > HC_SOURCE_NAME_MAX)
        return HC_ERR_LIMIT;
    memcpy(s->names[s->n_names], name, len);
    s->name_len[s->n_names] = len;
    *id = s->n_names++;
    return HC_OK;
}

static void fuzz_sink_reject(void *ctx, uint32_t source, uint64_t n)
{
    fuzz_sink *s = ctx;
    (void)source;
    s->rejected += n;
}

static hc_status fuzz_sink_open(void *ctx, void **writer)
{
    *writer = ctx;
    return HC_OK;
}

static hc_status fuzz_sink_close(void *ctx, void *writer)
{
    (void)ctx;
    (void)writer;
    return HC_OK;
}

static hc_status fuzz_sink_ghes(void *writer, const hc_ghes_account *a)
{
    fuzz_sink *s = writer;
    FUZZ_CHECK(a->source < s->n_names, "GHES account of unknown source %u",
               a->source);
    if (s->on_ghes)
        s->on_ghes(s->arg, s->n_accounts, a);
    fuzz_log_ghes(&s->log, a->id, a->suspended, a->login.ptr, a->login.len,
                  a->primary_email.ptr, a->primary_email.len);
    fuzz_log_count(&s->log, a->n_emails);
    for (size_t i = 0; i < a->n_emails; i++)
        fuzz_log_str(&s->log, a->emails[i].ptr, a->emails[i].len);
    fuzz_log_end(&s->log);
    s->n_accounts++;
    return HC_OK;
}

static hc_status fuzz_sink_ghec(void *writer, const hc_ghec_account *a)
{
    fuzz_sink *s = writer;
    FUZZ_CHECK(a->source < s->n_names, "GHEC account of unknown source %u",
               a->source);
    if (s->on_ghec)
        s->on_ghec(s->arg, s->n_accounts, a);
    fuzz_log_ghec(&s->log, a->licensed, a->login.ptr, a->login.len,
                  a->saml_name_id.ptr, a->saml_name_id.len);
    fuzz_log_count(&s->log, a->n_identity_values);
    for (size_t i = 0; i < a->n_identity_values; i++)
        fuzz_log_str(&s->log, a->identity_values[i].ptr,
                     a->identity_values[i].len);
    fuzz_log_count(&s->log, a->n_verified_emails);
    for (size_t i = 0; i < a->n_verified_emails; i++)
        fuzz_log_str(&s->log, a->verified_emails[i].ptr,
                     a->verified_emails[i].len);
    fuzz_log_end(&s->log);
    s->n_accounts++;
    return HC_OK;
}

/* One load of path on one thread in one piece, into s (set up by the
 * caller; its log is appended to). tuning may be NULL (the defaults). */
static inline hc_status fuzz_sink_load(fuzz_sink *s, const char *path,
                                       hc_input_role role, const char *host,
                                       bool skip, const hc__read_tuning *tuning,
                                       hc_load_stats *stats, hc_diag *diag)
{
    hc__sink sink = {s,
                     fuzz_sink_source,
                     fuzz_sink_reject,
                     fuzz_sink_open,
                     fuzz_sink_close,
                     fuzz_sink_ghes,
                     fuzz_sink_ghec};
    hc_input in = {role, path, host, NULL};
    hc_load_options lo = {1, skip};
    memset(stats, 0, sizeof *stats);
    memset(diag, 0, sizeof *diag);
    return hc__read_run(&sink, &in, &lo, tuning, stats, diag);
}

/* Prints the first line where two logs differ, then fails. */
static inline void fuzz_log_same(const fuzz_mem *got, const fuzz_mem *want,
                                 const char *what)
{
    if (fuzz_mem_equal(got, want))
        return;
    size_t i = 0, line = 0, n = got->n < want->n ? got->n : want->n;
    size_t bol = 0;
    for (; i < n && got->p[i] == want->p[i]; i++)
        if (got->p[i] == '\n') {
            line++;
            bol = i + 1;
        }
    const char *g = got->n > bol ? got->p + bol : "";
    const char *w = want->n > bol ? want->p + bol : "";
    size_t gl = got->n > bol ? got->n - bol : 0;
    size_t wl = want->n > bol ? want->n - bol : 0;
    const char *ge = memchr(g, '\n', gl), *we = memchr(w, '\n', wl);
    fuzz_fail(__FILE__, __LINE__,
              "%s: account %zu differs:\n  reader:    %.*s\n  reference: %.*s",
              what, line, (int)(ge ? (size_t)(ge - g) : gl), g,
              (int)(we ? (size_t)(we - w) : wl), w);
}

#endif /* HC_FUZZ_SINK_H */
