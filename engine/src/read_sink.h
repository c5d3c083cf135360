/*
 * The readers' internal plumbing: where parsed accounts go (a sink, which is
 * a census in production and a recording stub in the unit tests) and the
 * job a parser runs, which is one byte range of one input parsed by one
 * thread. Every parser (read_csv.c, read_json.cpp) takes a job, delivers
 * accounts to the job's writer and, on failure, leaves the status and a
 * diagnostic in the job. Shared by C and C++ translation units.
 */
#ifndef HC_READ_SINK_H
#define HC_READ_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "headcount/census.h"
#include "headcount/reader.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Readable bytes that follow every input buffer handed to a parser: simdjson
 * reads up to SIMDJSON_PADDING bytes past the end of its input (read_json.cpp
 * checks the two agree at compile time).
 */
#define HC__PAD 64

/* Deepest JSON nesting accepted anywhere (HC_ERR_LIMIT beyond). */
#define HC__JSON_DEPTH_MAX 64

/* What a reader says when sink->source fails with HC_ERR_LIMIT, with
 * HC_SOURCES_MAX, and no line: which input meets the limit depends on how
 * the threads share the inputs, so the message must not. */
#define HC__SOURCES_LIMIT_FMT \
    "more than %u sources (GHES hosts and GHEC source names) in the inputs"

/* What a GHES host name may hold (hc_host_name_valid), for messages. */
#define HC__HOST_CHARS                                                      \
    "letters, digits, '.', '-', '_'; at most 253 bytes, not starting with " \
    "'.' or '-'"

/*
 * Receiver of parsed accounts. `source` and `reject` are called from any
 * thread; `open` is called on the thread that will use the writer it
 * returns, and `close` once for every writer opened, on the same thread.
 * The account callbacks copy what they keep: the strings of an account are
 * borrowed for the duration of the call only.
 */
typedef struct hc__sink {
    void *ctx;
    hc_status (*source)(void *ctx, hc_source_kind kind, const void *name,
                        size_t len, uint32_t *id);
    void (*reject)(void *ctx, uint32_t source, uint64_t n);
    hc_status (*open)(void *ctx, void **writer);
    hc_status (*close)(void *ctx, void *writer);
    hc_status (*ghes)(void *writer, const hc_ghes_account *acct);
    hc_status (*ghec)(void *writer, const hc_ghec_account *acct);
} hc__sink;

/* A bounded growable array of borrowed strings, reused record after record
 * so that parsing allocates nothing per record. */
typedef struct hc__strvec {
    hc_str *v;
    size_t n;
    size_t cap;
} hc__strvec;

/* Appends s (borrowed), or nothing once the vector holds one value more
 * than HC_ACCOUNT_VALUES_MAX (the row is then refused whatever follows).
 * HC_OK or HC_ERR_NOMEM. */
hc_status hc__strvec_push(hc__strvec *sv, const char *p, size_t len);
void hc__strvec_fini(hc__strvec *sv);

/*
 * One parse job: the byte range [begin, end) of an input that starts at
 * `base`, parsed by one thread into one writer. The input continues to be
 * readable for HC__PAD bytes past `base + len`, and `end` is either `len`
 * or a record boundary.
 */
typedef struct hc__job {
    /* Set by the driver before the job runs. */
    const hc__sink *sink;
    void *writer;
    hc_format format;
    const char *file;    /* the path as the user gave it, for diagnostics */
    const char *host;    /* GHES host from HOST=PATH, or NULL */
    const char *name;    /* default source name (the file's basename) */
    const char *base;    /* start of the whole (decompressed) input */
    size_t len;          /* length of the whole input */
    size_t begin, end;   /* this job's byte range */
    uint64_t begin_line; /* line number at begin; 0 = not yet counted */
    uint32_t source;     /* source id for single-source formats */
    bool skip_malformed;
    size_t index;        /* job number in input order */
    void *failed;        /* hc_atomic_u64: lowest failed job index; C++
                              code never touches it (no <stdatomic.h>) */
    const void *columns; /* CSV: the column map found in the header */
    bool release_pages;  /* base is a read-only file mapping: parsed pages
                            may be dropped from memory (re-read on demand) */
    int fd;              /* when has_fd: base[0..len) is this file from
                            offset 0, and may be read with pread instead */
    bool has_fd;
    size_t json_window; /* when has_fd: consumed-licenses JSON is read with
                            pread, this many bytes at a time (0: parsed in
                            the mapping) */

    /* Results. */
    uint64_t records;       /* rows / records seen, rejected ones included */
    uint64_t accounts;      /* accounts delivered */
    uint64_t rejected;      /* rows skipped under skip_malformed */
    hc_diag first_rejected; /* what was wrong with the first of them; its
                               line is filled in by hc__job_first_rejected */
    size_t first_rejected_off;
    hc_status status;
    hc_diag diag;

    /* Private to hc__job_line: a monotonic (offset, line) cursor. */
    size_t line_off;
    uint64_t line_no;
} hc__job;

/*
 * The 1-based line number of byte `off` of the input (off >= the last
 * offset asked about in this job gives linear total cost).
 */
uint64_t hc__job_line(hc__job *job, size_t off);

/* The 1-based column (in bytes) of byte `off` within its line. */
uint64_t hc__job_column(const hc__job *job, size_t off);

/* Records a failure of the job at byte `off` (column known when col is
 * true) and returns status. Also marks the job as failed so that later
 * jobs stop early. */
hc_status hc__job_fail(hc__job *job, hc_status status, size_t off, bool col,
                       const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The same with an explicit line and column (0 = unknown). */
hc_status hc__job_fail_at(hc__job *job, hc_status status, uint64_t line,
                          uint64_t column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* True when an earlier job has failed, so that this one's work is moot. */
bool hc__job_cancelled(const hc__job *job);

/*
 * Drops the whole pages of input bytes [from, to) from this process's
 * memory when the job's input is a file mapping (release_pages); a no-op
 * otherwise. The mapping is a private read-only view of the file, so a page
 * touched again (to count lines for an error message, or by a neighbouring
 * chunk) is read back from the page cache.
 */
void hc__job_drop_pages(const hc__job *job, size_t from, size_t to);

/* The diagnostic of the job's first rejected row, its line counted now:
 * once per input, not once per job (a job's first line number may take a
 * scan of the input up to it). */
hc_diag hc__job_first_rejected(hc__job *job);

/*
 * A row-level error: under skip_malformed, counts a rejected row of
 * `source` and returns HC_OK; otherwise fails the job like hc__job_fail.
 */
hc_status hc__job_row_error(hc__job *job, uint32_t source, hc_status status,
                            size_t off, bool col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/*
 * Hands a parsed account to the job's sink and counts it; off is where its
 * row starts. An account with more than HC_ACCOUNT_VALUES_MAX emails and
 * identity values is a row error of its source (skipped under
 * skip_malformed) rather than a census failure; any other refusal by the
 * sink fails the job.
 */
hc_status hc__job_add_ghes(hc__job *job, const hc_ghes_account *a, size_t off);
hc_status hc__job_add_ghec(hc__job *job, const hc_ghec_account *a, size_t off);

/* Counts `c` bytes in [p, p + n). */
size_t hc__count_byte(const char *p, size_t n, char c);

/* True when [p, p + n) is well-formed UTF-8 (no overlongs, surrogates or
 * code points beyond U+10FFFF). */
bool hc__utf8_is_valid(const void *p, size_t n);
/* The length of the longest prefix of p[0, n) that is valid UTF-8: the
 * offset of the first bad sequence, or n. */
size_t hc__utf8_valid_prefix(const void *p, size_t n);

/* Parses an unsigned decimal integer (digits only, no sign or spaces). */
bool hc__parse_u64(const char *p, size_t n, uint64_t *out);

/* Parses "true"/"false" (any case) and "1"/"0". */
bool hc__parse_bool(const char *p, size_t n, bool *out);

#ifdef __cplusplus
}
#endif
#endif /* HC_READ_SINK_H */
