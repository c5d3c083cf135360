/*
 * CSV: the RFC 4180 tokenizer, the splitter for parallel parsing, and the
 * GHES all_users.csv and GHEC consumed-licenses CSV readers.
 *
 * The tokenizer works in place over the (mapped) input: an unquoted field
 * or a quoted field without doubled quotes is returned as a pointer into
 * the input; only a field with "" escapes is copied, unescaped, into a
 * scratch buffer reused from row to row. A row that breaks the quoting rules
 * is skipped to its end by quote parity (every '"' toggles "inside quotes",
 * which is exactly how a well-formed row reads), so a bad row never throws
 * the following rows out of step, and the splitter, which also cuts at
 * newlines of even quote parity, agrees with the tokenizer on where rows
 * begin.
 */
#include <stdio.h>
#include <stdlib.h>

#include "read_csv.h"

/* Bytes that end the scan of an unquoted field. */
static const unsigned char csv_stop[256] = {
    [0] = 1,
    ['\n'] = 1,
    [','] = 1,
    ['"'] = 1,
};

hc_status hc__csv_init(hc__csv *t, const char *base, size_t pos, size_t end,
                       size_t max_fields)
{
    memset(t, 0, sizeof *t);
    t->base = base;
    t->pos = pos;
    t->end = end;
    t->max_fields = max_fields ? max_fields : 1;
    hc__buf_init(&t->scratch, HC_RECORD_MAX);
    t->fields = calloc(t->max_fields, sizeof *t->fields);
    t->strs = calloc(t->max_fields, sizeof *t->strs);
    if (!t->fields || !t->strs) {
        hc__csv_fini(t);
        return HC_ERR_NOMEM;
    }
    return HC_OK;
}

void hc__csv_fini(hc__csv *t)
{
    free(t->fields);
    free(t->strs);
    t->fields = NULL;
    t->strs = NULL;
    hc__buf_fini(&t->scratch);
}

/* Copies a quoted field's content with each "" turned into ". */
static hc_status unescape(hc__csv *t, size_t off, size_t len, size_t *out)
{
    const char *s = t->base + off;
    *out = t->scratch.len;
    size_t i = 0;
    while (i < len) {
        const char *q = memchr(s + i, '"', len - i);
        size_t n = q ? (size_t)(q - (s + i)) + 1 : len - i;
        hc_status rc = hc__buf_append(&t->scratch, s + i, n);
        if (rc != HC_OK)
            return rc;
        i += n + (q ? 1 : 0); /* skip the second quote of the pair */
    }
    return HC_OK;
}

/*
 * Skips a bad row: from its first byte, to the first newline at even quote
 * parity. Returns false when the input ends inside quotes; *quote is then
 * the offset of the quote that opened them. Linear in what it skips:
 * outside quotes a quote is looked for only before the next newline (whose
 * position is kept until the row passes it), inside them only the closing
 * quote; a skipped row never scans the rest of the input.
 */
static bool skip_row(hc__csv *t, size_t start, size_t *quote)
{
    const char *b = t->base;
    size_t p = start;
    size_t nl = 0; /* the next newline at or after p, or t->end */
    bool nl_known = false;
    for (;;) {
        if (!nl_known || nl < p) {
            const char *n = memchr(b + p, '\n', t->end - p);
            nl = n ? (size_t)(n - b) : t->end;
            nl_known = true;
        }
        const char *q = memchr(b + p, '"', nl - p);
        if (!q) {
            t->pos = nl < t->end ? nl + 1 : t->end;
            return true;
        }
        size_t opened = (size_t)(q - b);
        const char *c = memchr(q + 1, '"', t->end - opened - 1);
        if (!c) {
            t->pos = t->end;
            *quote = opened;
            return false;
        }
        p = (size_t)(c - b) + 1;
    }
}

/*
 * Whether a malformed row flips quote parity. skip_row has found where the
 * row ends by parity: `stop`, just past the first newline outside quotes
 * (or the end of the input). The row is read again from its bad field
 * (offset `from`) the lenient way: that field, and any later one that
 * breaks the quoting rules, as plain text up to the next comma or line
 * end, quotes and all; well-formed quoted fields, which may span lines,
 * as they are. When those plain-text quotes are even in number the
 * lenient row ends exactly at `stop` (every quote before that newline
 * comes in pairs, so parity finds it too). Otherwise parity is lost: the
 * lenient row ends elsewhere, as after a stray quote opening a field
 * ("u3,...), which parity reads as a field closing at the next field's
 * opening quote, so that every row boundary after it falls inside a
 * quoted field. Reading no further than `stop`, the answer is the same
 * for the input in one piece and cut into chunks, which end at such
 * newlines.
 */
static bool flips_parity(const hc__csv *t, size_t from, size_t stop)
{
    const char *b = t->base;
    size_t p = from;
    bool odd = false, plain = true;
    for (;;) {
        if (!plain && p < stop && b[p] == '"') {
            size_t q = p + 1;
            for (;;) {
                const char *r = memchr(b + q, '"', stop - q);
                if (!r)
                    return true; /* open past stop */
                q = (size_t)(r - b);
                if (q + 1 < stop && b[q + 1] == '"') {
                    q += 2;
                    continue;
                }
                break;
            }
            q++;
            if (q == stop) /* the end of the input */
                return odd;
            if (b[q] == '\r' && q + 1 < stop && b[q + 1] == '\n')
                q++;
            if (b[q] == '\n')
                return odd || q + 1 < stop;
            if (b[q] == ',') {
                p = q + 1;
                continue;
            }
            /* Text after its closing quote: the field is plain text. */
        }
        while (p < stop && b[p] != ',' && b[p] != '\n')
            odd ^= b[p++] == '"';
        if (p == stop || b[p] == '\n')
            return odd || p + 1 < stop;
        p++;
        plain = false;
    }
}

/* check_from of row_bad_from when the row's text needs no parity check. */
#define NO_PARITY_CHECK SIZE_MAX

/*
 * A malformed row. It is skipped by quote parity, as the input's split into
 * chunks delimits rows, unless the malformed text flipped parity (checked
 * from offset check_from; see flips_parity: o"brien, or a quote opening a
 * field that does not end at its closing quote). Skipping would then drop
 * the good rows up to the next odd quote, and chunks would be cut inside
 * quoted fields: where rows begin is lost, so the error is fatal. A row
 * whose text leaves parity alone is skipped however many lines its quoted
 * fields span.
 */
static hc__csv_end row_bad_from(hc__csv *t, hc__csv_row *row, hc__csv_error e,
                                size_t off, size_t field, size_t check_from)
{
    row->error = e;
    row->err_off = off;
    row->err_field = field;
    size_t quote = 0;
    /* The rest of the input inside quotes: nothing after this row can be
     * trusted either. */
    if (!skip_row(t, row->start, &quote) ||
        (check_from != NO_PARITY_CHECK && flips_parity(t, check_from, t->pos)))
        return HC__CSV_FATAL;
    row->stop = t->pos;
    return HC__CSV_BAD;
}

/* The same, the parity checked from the bad field itself when
 * check_parity. */
static hc__csv_end row_bad(hc__csv *t, hc__csv_row *row, hc__csv_error e,
                           size_t off, size_t field, bool check_parity)
{
    return row_bad_from(t, row, e, off, field,
                        check_parity ? field : NO_PARITY_CHECK);
}

static hc__csv_end row_fatal(hc__csv_row *row, hc__csv_error e, size_t off)
{
    row->error = e;
    row->err_off = off;
    return HC__CSV_FATAL;
}

hc__csv_end hc__csv_next(hc__csv *t, hc__csv_row *row)
{
    const char *b = t->base;
    size_t p = t->pos, end = t->end;
    memset(row, 0, sizeof *row);
    for (;;) {
        if (p >= end) {
            t->pos = end;
            return HC__CSV_EOF;
        }
        if (b[p] == '\n')
            p++;
        else if (b[p] == '\r' && p + 1 < end && b[p + 1] == '\n')
            p += 2;
        else
            break;
    }
    row->start = p;
    row->tail_blank = true;
    hc__buf_clear(&t->scratch);
    size_t nf = 0;
    for (;;) {
        hc__csv_field f = {.raw = p};
        bool escaped = false;
        bool last;
        if (p < end && b[p] == '"') {
            size_t q = p + 1;
            for (;;) {
                const char *r = memchr(b + q, '"', end - q);
                if (!r)
                    return row_fatal(row, HC__CSV_E_UNTERMINATED, p);
                size_t ri = (size_t)(r - b);
                if (ri + 1 < end && b[ri + 1] == '"') {
                    escaped = true;
                    q = ri + 2;
                    continue;
                }
                q = ri;
                break;
            }
            f.off = p + 1;
            f.len = q - f.off;
            /* A NUL in a well-formed quoted field leaves parity alone, but
             * the rest of its row may not (a stray quote further on):
             * checked from the field's closing quote on. */
            const char *nul = memchr(b + f.off, 0, f.len);
            if (nul)
                return row_bad_from(t, row, HC__CSV_E_NUL, (size_t)(nul - b),
                                    f.raw, q + 1);
            p = q + 1;
            if (p >= end) {
                last = true;
            } else if (b[p] == ',') {
                p++;
                last = false;
            } else if (b[p] == '\n') {
                p++;
                last = true;
            } else if (b[p] == '\r' && p + 1 < end && b[p + 1] == '\n') {
                p += 2;
                last = true;
            } else if (b[p] == '\r' && p + 1 == end) {
                p++; /* CRLF cut short at the end of the input */
                last = true;
            } else {
                return row_bad(t, row, HC__CSV_E_AFTER_QUOTE, p, f.raw, true);
            }
        } else {
            while (p < end && !csv_stop[(unsigned char)b[p]])
                p++;
            if (p < end && b[p] == '"')
                return row_bad(t, row, HC__CSV_E_STRAY_QUOTE, p, f.raw, true);
            if (p < end && b[p] == 0)
                return row_bad(t, row, HC__CSV_E_NUL, p, f.raw, true);
            f.off = f.raw;
            f.len = p - f.raw;
            if (p >= end) {
                /* A CRLF file whose last line ends in a bare CR. */
                if (f.len > 0 && b[p - 1] == '\r')
                    f.len--;
                last = true;
            } else if (b[p] == ',') {
                p++;
                last = false;
            } else {
                if (f.len > 0 && b[p - 1] == '\r')
                    f.len--;
                p++;
                last = true;
            }
        }
        if (p - row->start > HC_RECORD_MAX)
            return row_fatal(row, HC__CSV_E_ROW_LIMIT, row->start);
        if (nf < t->max_fields) {
            if (escaped) {
                size_t so = 0;
                hc_status rc = unescape(t, f.off, f.len, &so);
                if (rc != HC_OK)
                    return row_fatal(row,
                                     rc == HC_ERR_NOMEM ? HC__CSV_E_NOMEM
                                                        : HC__CSV_E_ROW_LIMIT,
                                     row->start);
                f.len = t->scratch.len - so;
                f.off = so;
                f.in_scratch = true;
            }
            t->fields[nf] = f;
        } else if (row->tail_blank) {
            /* Not stored, but a row of only commas may run past the
             * header's width: blank_row asks. A "" escape is content. */
            for (size_t i = 0; i < f.len && row->tail_blank; i++)
                row->tail_blank =
                    !escaped && (b[f.off + i] == ' ' || b[f.off + i] == '\t');
        }
        nf++;
        if (last)
            break;
    }
    t->pos = p;
    row->stop = p;
    row->n_fields = nf;
    row->n_stored = HC_MIN(nf, t->max_fields);
    for (size_t i = 0; i < row->n_stored; i++) {
        const hc__csv_field *f = &t->fields[i];
        t->strs[i].ptr = (f->in_scratch ? t->scratch.data : b) + f->off;
        t->strs[i].len = f->len;
    }
    row->fields = t->strs;
    return HC__CSV_ROW;
}

size_t hc__csv_split(const char *base, size_t begin, size_t end,
                     uint64_t begin_line, size_t n, size_t *off, uint64_t *line)
{
    size_t cuts = 0;
    size_t pos = begin;
    uint64_t ln = begin_line;
    bool inside = false;
    for (size_t k = 1; k < n; k++) {
        size_t target = begin + (end - begin) / n * k;
        if (target < pos)
            continue;
        inside ^= hc__count_byte(base + pos, target - pos, '"') & 1;
        ln += hc__count_byte(base + pos, target - pos, '\n');
        pos = target;
        /* Walk on to the first newline outside quotes. */
        bool found = false;
        while (pos < end) {
            char c = base[pos++];
            if (c == '"') {
                inside = !inside;
            } else if (c == '\n') {
                ln++;
                if (!inside) {
                    found = true;
                    break;
                }
            }
        }
        if (!found || pos >= end)
            break;
        off[cuts] = pos;
        line[cuts] = ln;
        cuts++;
    }
    return cuts;
}

size_t hc__csv_canon(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    bool sep = false;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        char c = p[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9');
        if (!alnum) {
            sep = true;
            continue;
        }
        if (sep && o > 0)
            out[o++] = '_';
        sep = false;
        if (o + 1 >= cap)
            break;
        out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[o] = '\0';
    return o;
}

static const char *csv_error_text(hc__csv_error e)
{
    switch (e) {
    case HC__CSV_E_AFTER_QUOTE:
        return "expected ',' or end of line after a closing quote";
    case HC__CSV_E_STRAY_QUOTE:
        return "unexpected '\"' inside an unquoted field (a field holding "
               "quotes must be quoted, with each quote doubled)";
    case HC__CSV_E_NUL: return "unexpected NUL byte in CSV data";
    case HC__CSV_E_NONE:
    case HC__CSV_E_UNTERMINATED:
    case HC__CSV_E_ROW_LIMIT:
    case HC__CSV_E_NOMEM: break;
    }
    return "malformed CSV row";
}

/* Reports a tokenizer error of row: fatal, or a rejected row. */
static hc_status report_row(hc__job *job, hc__csv_end end,
                            const hc__csv_row *row)
{
    if (row->error == HC__CSV_E_AFTER_QUOTE) {
        /* Usually a quote missing further up, or a stray one opening the
         * field: say where the field that this quote closed began. */
        uint64_t started = hc__job_line(job, row->err_field);
        uint64_t here = hc__job_line(job, row->err_off);
        const char *unit = "line";
        if (started == here) {
            unit = "column";
            started = hc__job_column(job, row->err_field);
        }
#define AFTER_QUOTE_FMT "%s (the quoted field started at %s %llu)"
        if (end == HC__CSV_FATAL)
            return hc__job_fail(job, HC_ERR_DATA, row->err_off, true,
                                AFTER_QUOTE_FMT, csv_error_text(row->error),
                                unit, (unsigned long long)started);
        return hc__job_row_error(
            job, job->source, HC_ERR_DATA, row->err_off, true, AFTER_QUOTE_FMT,
            csv_error_text(row->error), unit, (unsigned long long)started);
#undef AFTER_QUOTE_FMT
    }
    if (end == HC__CSV_FATAL) {
        switch (row->error) {
        case HC__CSV_E_UNTERMINATED: {
            uint64_t line = hc__job_line(job, row->err_off);
            return hc__job_fail_at(
                job, HC_ERR_DATA, line, hc__job_column(job, row->err_off),
                "unterminated quoted field starting at line %llu",
                (unsigned long long)line);
        }
        case HC__CSV_E_ROW_LIMIT:
            return hc__job_fail(job, HC_ERR_LIMIT, row->err_off, false,
                                "row is longer than %zu bytes", HC_RECORD_MAX);
        case HC__CSV_E_NOMEM:
            return hc__job_fail(job, HC_ERR_NOMEM, row->err_off, false,
                                "out of memory");
        default:
            return hc__job_fail(job, HC_ERR_DATA, row->err_off, true, "%s",
                                csv_error_text(row->error));
        }
    }
    return hc__job_row_error(job, job->source, HC_ERR_DATA, row->err_off, true,
                             "%s", csv_error_text(row->error));
}

/* Column names as the reports spell them, for messages. */
static const char *const ghes_names[] = {"id", "login", "email", "suspended?"};
static const char *const ghec_names[] = {"github_com_login", "github_com_user",
                                         "github_com_verified_domain_emails",
                                         "github_com_saml_name_id"};

/* The canonical names (hc__csv_canon) each used column goes by, in the
 * order of the names above. GitHub's consumed-licenses CSV has been
 * written with snake_case names (github_com_saml_name_id) and with Title
 * case ones, whose SAML column is "GitHub com saml name"; reports of
 * GHE.com (data residency) enterprises say "GitHub" for "GitHub com". */
#define CSV_ALIASES_MAX 4
static const char *const ghes_canon[4][CSV_ALIASES_MAX] = {
    {"id"}, {"login"}, {"email"}, {"suspended"}};
static const char *const ghec_canon[4][CSV_ALIASES_MAX] = {
    {"github_com_login", "github_login"},
    {"github_com_user", "github_user"},
    {"github_com_verified_domain_emails", "github_verified_domain_emails"},
    {"github_com_saml_name_id", "github_com_saml_name", "github_saml_name_id",
     "github_saml_name"}};

/* The used column that canonical header name `name` is, or -1. */
static int column_slot(const char *const (*canon)[CSV_ALIASES_MAX],
                       const char *name)
{
    for (int k = 0; k < 4; k++)
        for (int a = 0; a < CSV_ALIASES_MAX && canon[k][a]; a++)
            if (strcmp(name, canon[k][a]) == 0)
                return k;
    return -1;
}

/*
 * Where an unquoted field of the header row holds a carriage return, or
 * SIZE_MAX. The tokenizer takes a CR for a line end only before a LF, so a
 * file whose lines end in lone CRs (as classic Mac OS wrote them, and
 * some spreadsheet exports still do) reads as one header row of every
 * line's cells: the CR is the sign.
 */
static size_t header_lone_cr(const hc__csv *t, const hc__csv_row *row)
{
    for (size_t i = 0; i < row->n_stored; i++) {
        const hc__csv_field *f = &t->fields[i];
        if (t->base[f->raw] == '"')
            continue;
        const char *cr = memchr(t->base + f->off, '\r', f->len);
        if (cr)
            return (size_t)(cr - t->base);
    }
    return SIZE_MAX;
}

static bool blank_row(const hc__csv_row *row);

hc_status hc__csv_header(hc__job *job, hc_format format, hc__csv_columns *cols,
                         size_t *body, uint64_t *body_line)
{
    hc_status rc = HC_OK;
    hc__csv t;
    hc__csv_row row;
    bool init = false;
    bool ghes = format == HC_FORMAT_GHES_CSV;
    size_t *slots[4];
    const char *const *names = ghes ? ghes_names : ghec_names;
    const char *const(*canon)[CSV_ALIASES_MAX] = ghes ? ghes_canon : ghec_canon;
    bool has_ghec_col = false, has_ghes_col = false;

    cols->format = format;
    cols->n = 0;
    cols->id = cols->login = cols->email = cols->suspended = HC__CSV_NONE;
    cols->gh_login = cols->gh_user = HC__CSV_NONE;
    cols->gh_verified = cols->gh_saml_name = HC__CSV_NONE;
    if (ghes) {
        slots[0] = &cols->id, slots[1] = &cols->login;
        slots[2] = &cols->email, slots[3] = &cols->suspended;
    } else {
        slots[0] = &cols->gh_login, slots[1] = &cols->gh_user;
        slots[2] = &cols->gh_verified, slots[3] = &cols->gh_saml_name;
    }

    HC_TRY(hc__csv_init(&t, job->base, job->begin, job->end,
                        HC__CSV_COLUMNS_MAX + 1));
    init = true;
    /* Blank rows before the header are skipped as they are after it. */
    hc__csv_end e = hc__csv_next(&t, &row);
    while (e == HC__CSV_ROW && blank_row(&row))
        e = hc__csv_next(&t, &row);
    if (e == HC__CSV_EOF) {
        rc = hc__job_fail_at(job, HC_ERR_DATA, 1, 0,
                             "empty input, expected a CSV header");
        goto done;
    }
    /* The sign of lone-CR line ends: a CR in an unquoted header cell, or
     * right after a quoted one, or right before the quote that opens the
     * next line's first cell (then the tokenizer stops there). */
    size_t cr = SIZE_MAX;
    if (e == HC__CSV_ROW)
        cr = header_lone_cr(&t, &row);
    else if (row.error == HC__CSV_E_AFTER_QUOTE &&
             job->base[row.err_off] == '\r')
        cr = row.err_off;
    else if (row.error == HC__CSV_E_STRAY_QUOTE && row.err_off > job->begin &&
             job->base[row.err_off - 1] == '\r')
        cr = row.err_off - 1;
    if (e != HC__CSV_ROW && cr == SIZE_MAX) {
        /* A broken header is never a skippable row. */
        job->skip_malformed = false;
        rc = report_row(job, e, &row);
        goto done;
    }
    if (cr != SIZE_MAX) {
        rc = hc__job_fail(job, HC_ERR_DATA, cr, true,
                          "the CSV header ends in a lone carriage return "
                          "(old Mac line ends): save the file with LF or "
                          "CRLF line ends");
        goto done;
    }
    if (!hc__utf8_is_valid(job->base + row.start, row.stop - row.start)) {
        rc = hc__job_fail(job, HC_ERR_DATA, row.start, false,
                          "CSV header is not valid UTF-8");
        goto done;
    }
    if (row.n_fields > HC__CSV_COLUMNS_MAX) {
        rc = hc__job_fail(job, HC_ERR_LIMIT, row.start, false,
                          "CSV header has %zu columns, more than %d",
                          row.n_fields, HC__CSV_COLUMNS_MAX);
        goto done;
    }
    cols->n = row.n_fields;
    for (size_t i = 0; i < row.n_fields; i++) {
        char name[128];
        hc__csv_canon(row.fields[i].ptr, row.fields[i].len, name, sizeof name);
        if (column_slot(ghec_canon, name) == 0)
            has_ghec_col = true;
        if (strcmp(name, "suspended") == 0 ||
            strcmp(name, "last_logged_ip") == 0)
            has_ghes_col = true;
        int k = column_slot(canon, name);
        if (k < 0)
            continue;
        if (*slots[k] != HC__CSV_NONE) {
            /* Under another of its names, say which cell it is. */
            char cell[64], also[96] = "";
            if (strcmp(name, canon[k][0]) != 0)
                snprintf(also, sizeof also, " ('%s' is another name for it)",
                         hc__show(row.fields[i].ptr, row.fields[i].len, 40,
                                  cell, sizeof cell));
            rc = hc__job_fail(job, HC_ERR_DATA, hc__csv_field_offset(&t, i),
                              true, "duplicate column '%s' in header%s",
                              names[k], also);
            goto done;
        }
        *slots[k] = i;
    }
    /* GHEC: verified emails and the SAML NameID are optional columns. */
    size_t required = ghes ? 4 : 2;
    for (size_t k = 0; k < required; k++) {
        if (*slots[k] != HC__CSV_NONE)
            continue;
        const char *hint = "";
        if (ghes && has_ghec_col)
            hint = " (this is a GHEC consumed-licenses report: use --ghec)";
        else if (!ghes && has_ghes_col)
            hint = " (this is a GHES all_users report: use --ghes "
                   "HOST=PATH)";
        rc = hc__job_fail(job, HC_ERR_DATA, row.start, false,
                          "missing column '%s' in header%s", names[k], hint);
        goto done;
    }
    *body = t.pos;
    *body_line = hc__job_line(job, t.pos);
done:
    if (init)
        hc__csv_fini(&t);
    return rc;
}

/* Splits a multi-valued cell ("a@x, b@y" or "a@x b@y") into sv. */
static hc_status split_values(hc_str cell, hc__strvec *sv)
{
    size_t i = 0;
    sv->n = 0;
    while (i < cell.len) {
        while (i < cell.len && (cell.ptr[i] == ',' || cell.ptr[i] == ';' ||
                                cell.ptr[i] == ' ' || cell.ptr[i] == '\t' ||
                                cell.ptr[i] == '\r' || cell.ptr[i] == '\n'))
            i++;
        size_t s = i;
        while (i < cell.len && cell.ptr[i] != ',' && cell.ptr[i] != ';' &&
               cell.ptr[i] != ' ' && cell.ptr[i] != '\t' &&
               cell.ptr[i] != '\r' && cell.ptr[i] != '\n')
            i++;
        if (i > s) {
            hc_status rc = hc__strvec_push(sv, cell.ptr + s, i - s);
            if (rc != HC_OK)
                return rc;
        }
    }
    return HC_OK;
}

/* True when column col of a row is valid UTF-8; else a row error naming
 * the column, in *rc. A report in another encoding (Windows-1252 from a
 * spreadsheet) would otherwise give its accented addresses no key: extra
 * seats, where the JSON readers refuse the same bytes. */
static bool utf8_cell(hc__job *job, const hc__csv *t, const hc__csv_row *row,
                      size_t col, const char *name, hc_status *rc)
{
    hc_str v = row->fields[col];
    size_t good = hc__utf8_valid_prefix(v.ptr, v.len);
    if (good == v.len)
        return true;
    /* The bad byte's place in the input: in a field copied to unescape
     * its quotes, each "" before it stands for one byte of the copy. */
    const hc__csv_field *f = &t->fields[col];
    size_t off = f->off + good;
    if (f->in_scratch) {
        off = f->raw + 1; /* after the opening quote */
        for (size_t i = 0; i < good; i++)
            off += t->base[off] == '"' ? 2 : 1;
    }
    *rc = hc__job_row_error(job, job->source, HC_ERR_DATA, off, true,
                            "invalid UTF-8 in column '%s' (convert the "
                            "file to UTF-8)",
                            name);
    return false;
}

/* True when every field of row is empty or only spaces and tabs, as the
 * rows of nothing but commas that spreadsheets leave at the end of a
 * sheet: read as blank lines. */
static bool blank_row(const hc__csv_row *row)
{
    for (size_t i = 0; i < row->n_stored; i++)
        for (size_t k = 0; k < row->fields[i].len; k++)
            if (row->fields[i].ptr[k] != ' ' && row->fields[i].ptr[k] != '\t')
                return false;
    return row->tail_blank;
}

/* The row error for a value of column col over HC_EMAIL_MAX, the limit
 * of every login, email and identity value (as in JSON). */
static hc_status too_long(hc__job *job, const hc__csv *t, size_t col,
                          const char *what, const char *column)
{
    return hc__job_row_error(job, job->source, HC_ERR_LIMIT,
                             hc__csv_field_offset(t, col), true,
                             "%s in column '%s' is longer than %zu bytes", what,
                             column, HC_EMAIL_MAX);
}

/* Handles one GHES data row. Returns a fatal status, or HC_OK. */
static hc_status ghes_row(hc__job *job, const hc__csv_columns *c,
                          const hc__csv *t, const hc__csv_row *row)
{
    char buf[64];
    hc_str id = row->fields[c->id], susp = row->fields[c->suspended];
    hc_ghes_account a = {.source = job->source};
    if (!hc__parse_u64(id.ptr, id.len, &a.id))
        return hc__job_row_error(
            job, job->source, HC_ERR_DATA, hc__csv_field_offset(t, c->id), true,
            "expected a decimal user id in column 'id', found '%s'",
            hc__show(id.ptr, id.len, 40, buf, sizeof buf));
    if (!hc__parse_bool(susp.ptr, susp.len, &a.suspended))
        return hc__job_row_error(
            job, job->source, HC_ERR_DATA,
            hc__csv_field_offset(t, c->suspended), true,
            "expected a boolean in column 'suspended?', found '%s'",
            hc__show(susp.ptr, susp.len, 40, buf, sizeof buf));
    a.login = row->fields[c->login];
    a.primary_email = row->fields[c->email];
    if (a.login.len > HC_EMAIL_MAX)
        return too_long(job, t, c->login, "login", "login");
    if (a.primary_email.len > HC_EMAIL_MAX)
        return too_long(job, t, c->email, "email", "email");
    hc_status rc = HC_OK;
    if (!utf8_cell(job, t, row, c->login, "login", &rc) ||
        !utf8_cell(job, t, row, c->email, "email", &rc))
        return rc;
    return hc__job_add_ghes(job, &a, row->start);
}

/* Handles one GHEC data row. */
static hc_status ghec_row(hc__job *job, const hc__csv_columns *c,
                          const hc__csv *t, const hc__csv_row *row,
                          hc__strvec *emails)
{
    char buf[64];
    hc_ghec_account a = {.source = job->source};
    hc_str user = row->fields[c->gh_user];
    a.login = row->fields[c->gh_login];
    if (a.login.len > HC_EMAIL_MAX)
        return too_long(job, t, c->gh_login, "login", "github_com_login");
    hc_status rc = HC_OK;
    if (!utf8_cell(job, t, row, c->gh_login, "github_com_login", &rc) ||
        (c->gh_verified != HC__CSV_NONE &&
         !utf8_cell(job, t, row, c->gh_verified,
                    "github_com_verified_domain_emails", &rc)) ||
        (c->gh_saml_name != HC__CSV_NONE &&
         !utf8_cell(job, t, row, c->gh_saml_name, "github_com_saml_name_id",
                    &rc)))
        return rc;
    if (user.len == 0)
        a.licensed = false;
    else if (!hc__parse_bool(user.ptr, user.len, &a.licensed))
        return hc__job_row_error(
            job, job->source, HC_ERR_DATA, hc__csv_field_offset(t, c->gh_user),
            true, "expected a boolean in column 'github_com_user', found '%s'",
            hc__show(user.ptr, user.len, 40, buf, sizeof buf));
    emails->n = 0;
    if (c->gh_verified != HC__CSV_NONE) {
        rc = split_values(row->fields[c->gh_verified], emails);
        if (rc != HC_OK)
            return hc__job_fail(job, rc, row->start, false,
                                "out of memory reading verified emails");
        for (size_t i = 0; i < emails->n; i++)
            if (emails->v[i].len > HC_EMAIL_MAX)
                return too_long(job, t, c->gh_verified, "email",
                                "github_com_verified_domain_emails");
    }
    static const hc_str none[1] = {{"", 0}};
    a.verified_emails = emails->n ? emails->v : none;
    a.n_verified_emails = emails->n;
    if (c->gh_saml_name != HC__CSV_NONE) {
        a.saml_name_id = row->fields[c->gh_saml_name];
        if (a.saml_name_id.len > HC_EMAIL_MAX)
            return too_long(job, t, c->gh_saml_name, "value",
                            "github_com_saml_name_id");
    }
    return hc__job_add_ghec(job, &a, row->start);
}

hc_status hc__csv_rows(hc__job *job)
{
    hc_status rc = HC_OK;
    const hc__csv_columns *c = job->columns;
    hc__csv t;
    hc__csv_row row;
    hc__strvec emails = {0};
    bool init = false;
    bool ghes = c->format == HC_FORMAT_GHES_CSV;

    rc = hc__csv_init(&t, job->base, job->begin, job->end, c->n);
    if (rc != HC_OK) {
        rc = hc__job_fail(job, rc, job->begin, false, "out of memory");
        goto done;
    }
    init = true;
    for (uint64_t n = 0;; n++) {
        if ((n & 4095) == 4095 && hc__job_cancelled(job))
            break;
        hc__csv_end e = hc__csv_next(&t, &row);
        if (e == HC__CSV_EOF)
            break;
        if (e == HC__CSV_ROW && blank_row(&row))
            continue;
        job->records++;
        if (e != HC__CSV_ROW) {
            HC_TRY(report_row(job, e, &row));
            continue;
        }
        if (row.n_fields != c->n) {
            HC_TRY(hc__job_row_error(job, job->source, HC_ERR_DATA, row.start,
                                     false, "expected %zu fields, found %zu",
                                     c->n, row.n_fields));
            continue;
        }
        if (ghes)
            HC_TRY(ghes_row(job, c, &t, &row));
        else
            HC_TRY(ghec_row(job, c, &t, &row, &emails));
    }
done:
    if (init)
        hc__csv_fini(&t);
    hc__strvec_fini(&emails);
    return rc;
}
