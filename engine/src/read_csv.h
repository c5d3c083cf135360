/*
 * CSV reading: an RFC 4180 tokenizer over an in-memory buffer, the header
 * analysis that finds the columns headcount needs by name, the splitter that
 * cuts a large CSV into chunks at row boundaries for parallel parsing, and
 * the row readers for the GHES all_users.csv report and the GHEC
 * consumed-licenses CSV report.
 */
#ifndef HC_READ_CSV_H
#define HC_READ_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "headcount/reader.h"
#include "read_sink.h"
#include "util.h"

/* Most columns a header may have (HC_ERR_LIMIT beyond). */
#define HC__CSV_COLUMNS_MAX 1024

/* One field of the current row. */
typedef struct hc__csv_field {
    size_t raw; /* input offset of its first byte (a quote if quoted) */
    size_t off; /* content: input offset, or scratch offset */
    size_t len;
    bool in_scratch; /* content was unescaped into the scratch buffer */
} hc__csv_field;

/*
 * Tokenizer state over base[pos..end). Rows are returned as arrays of
 * borrowed strings that stay valid until the next call. Line numbers are
 * not tracked here: errors carry byte offsets that the caller turns into
 * lines only when it reports them.
 */
typedef struct hc__csv {
    const char *base;
    size_t pos, end;
    size_t max_fields; /* fields stored per row; extra ones are counted */
    hc__csv_field *fields;
    hc_str *strs;
    hc__buf scratch; /* unescaped quoted fields ("" -> ") */
} hc__csv;

/* How a row ended. */
typedef enum hc__csv_end {
    HC__CSV_ROW = 0, /* a row was read */
    HC__CSV_EOF,     /* no more rows */
    HC__CSV_BAD,     /* a row-level error; the row was skipped */
    HC__CSV_FATAL,   /* an error that loses sync, or a limit */
} hc__csv_end;

/* What went wrong in a bad row. */
typedef enum hc__csv_error {
    HC__CSV_E_NONE = 0,
    HC__CSV_E_UNTERMINATED, /* a quoted field never ends (fatal) */
    HC__CSV_E_AFTER_QUOTE,  /* junk after a closing quote */
    HC__CSV_E_STRAY_QUOTE,  /* a quote inside an unquoted field */
    HC__CSV_E_NUL,          /* a NUL byte */
    HC__CSV_E_ROW_LIMIT,    /* row longer than HC_RECORD_MAX (fatal) */
    HC__CSV_E_NOMEM,        /* (fatal) */
} hc__csv_error;

/* A row, or where and why it was bad. */
typedef struct hc__csv_row {
    const hc_str *fields;
    size_t n_stored; /* entries in fields (<= max_fields) */
    size_t n_fields; /* fields in the row */
    bool tail_blank; /* the fields past n_stored hold only spaces and tabs */
    size_t start;    /* offset of the row's first byte */
    size_t stop;     /* offset just past the row (and its newline) */
    hc__csv_error error;
    size_t err_off;   /* offset of the offending byte */
    size_t err_field; /* offset of the first byte of the field */
} hc__csv_row;

hc_status hc__csv_init(hc__csv *t, const char *base, size_t pos, size_t end,
                       size_t max_fields);
void hc__csv_fini(hc__csv *t);

/* Reads the next row. Blank lines are skipped. Returns the kind of end. */
hc__csv_end hc__csv_next(hc__csv *t, hc__csv_row *row);

/* Input offset of the first byte of field i of the last row. */
static inline size_t hc__csv_field_offset(const hc__csv *t, size_t i)
{
    return t->fields[i].raw;
}

/*
 * Cuts base[begin..end) into at most n ranges that start at row starts:
 * off[k] (k < returned count) is the start of range k + 1 and line[k] its
 * line number. A row boundary is a newline with an even number of quotes
 * before it since begin (RFC 4180 quoting). Returns the number of cuts.
 */
size_t hc__csv_split(const char *base, size_t begin, size_t end,
                     uint64_t begin_line, size_t n, size_t *off,
                     uint64_t *line);

/* What a CSV header says: format and the column of each field used. */
typedef struct hc__csv_columns {
    hc_format format;
    size_t n;                           /* columns in the header */
    size_t id, login, email, suspended; /* GHES */
    size_t gh_login, gh_user, gh_verified, gh_saml_name; /* GHEC */
} hc__csv_columns;

#define HC__CSV_NONE SIZE_MAX

/*
 * Reads the header row of a GHES (format HC_FORMAT_GHES_CSV) or GHEC
 * (HC_FORMAT_GHEC_CSV) report starting at job->begin. On success, cols is
 * filled and *body is the offset of the first data row, *body_line its
 * line. On failure the job holds the status and diagnostic.
 */
hc_status hc__csv_header(hc__job *job, hc_format format, hc__csv_columns *cols,
                         size_t *body, uint64_t *body_line);

/* Parses the data rows of job's range with the columns in job->columns
 * (a hc__csv_columns). Returns the job's status. */
hc_status hc__csv_rows(hc__job *job);

/* Maps a header name to its canonical form: ASCII lowercase, every run of
 * characters other than ASCII letters and digits becomes one '_', and
 * leading / trailing runs are dropped ("GitHub com login" and
 * "github_com_login" are the same column). out holds cap bytes, the name
 * is cut to fit. */
size_t hc__csv_canon(const char *p, size_t n, char *out, size_t cap);

#endif /* HC_READ_CSV_H */
