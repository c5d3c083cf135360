/*
 * Internal output helpers of the report module: a buffered sink over an
 * hc_write_fn that remembers its first failure (so that writers can emit a
 * whole row and check once), JSON string escaping that always produces valid
 * JSON, and UTF-8 sequence validation shared with the report reader.
 */
#ifndef HC_REPORT_JSON_H
#define HC_REPORT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "headcount/report.h"

/* The most ids (logins and host:id values) hc_report_read takes from one
 * report, 2^26: a variable only so that tests reach it with a small file. */
extern size_t hc__report_ids_max;

/* Size of the buffer the report writers hand to hc__out (bytes). */
#define HC__OUT_BUFSIZE ((size_t)64 << 10)

/*
 * A buffered sink. buf is borrowed from the caller (any capacity >= 16).
 * After the first failure of fn, every later write is dropped and rc keeps
 * that failure; hc__out_flush returns it.
 */
typedef struct hc__out {
    hc_write_fn fn;
    void *ctx;
    char *buf;
    size_t len;
    size_t cap;
    hc_status rc;
} hc__out;

void hc__out_init(hc__out *o, hc_write_fn fn, void *ctx, char *buf, size_t cap);
void hc__out_write(hc__out *o, const void *p, size_t n);
void hc__out_cstr(hc__out *o, const char *s);
void hc__out_char(hc__out *o, char c);
void hc__out_u64(hc__out *o, uint64_t v);
/* Writes (s, n) as a JSON string literal: quotes, escapes, and U+FFFD for
 * every maximal invalid UTF-8 subpart. */
void hc__out_json_string(hc__out *o, const void *s, size_t n);
/* The same without the enclosing quotes, to build one literal in pieces. */
void hc__out_json_body(hc__out *o, const void *s, size_t n);
/* Hands buffered bytes to fn; returns the sink's status (first failure). */
/* One CSV field with the formula guard (see hc_csv_write_field). */
void hc__out_csv_field(hc__out *o, const void *s, size_t n);

hc_status hc__out_flush(hc__out *o);

/*
 * Length of the well-formed UTF-8 sequence at p (n > 0 bytes available,
 * p[0] >= 0x80): 2, 3 or 4. Returns 0 when the sequence is ill-formed and
 * sets *bad to the length of its maximal subpart (>= 1), which is what one
 * U+FFFD replaces (Unicode, "U+FFFD Substitution of Maximal Subparts").
 */
size_t hc__utf8_seq(const unsigned char *p, size_t n, size_t *bad);

#endif /* HC_REPORT_JSON_H */
