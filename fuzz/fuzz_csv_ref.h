/*
 * A reference for the CSV reader targets (read_ghes_csv, read_ghec_csv):
 * a plain RFC 4180 parser, written from docs/formats.md and nothing else,
 * that says which accounts a report holds, which rows are malformed and
 * where, so that the reader's output can be checked field by field.
 *
 * Input that starts with the signature of another encoding or compression
 * is refused as a whole (ref_refused). Of the rest, it reads a subset of
 * what the reader reads and declines the others: input that is empty or would be taken for JSON, a quoting error
 * (an unterminated quoted field, text after a closing quote, a quote inside
 * an unquoted field), a carriage return that does not start a CRLF line
 * end, a NUL byte in a row that spans several lines, and a header of more
 * than 1024 columns. Within the subset it knows the whole outcome: header
 * problems (a NUL byte, invalid UTF-8, a required column missing, a used
 * column twice) fail the load whatever skip_malformed says; otherwise a
 * strict load succeeds exactly when every row is well formed, and fails on
 * the first bad row with the status of one of that row's problems and a
 * line inside it; a skip_malformed load keeps exactly the good rows and
 * counts the others as rejected. A data row whose fields are all empty
 * or spaces and tabs is a blank line, not a record. A row is bad when it
 * holds a NUL byte, has another number of fields than the header, or has
 * a value the format does not allow (an id that is not 1 to 20 decimal
 * digits up to 2^64-1, a boolean that is not true/false/1/0, a login,
 * email or SAML NameID over HC_EMAIL_MAX, more than HC_ACCOUNT_VALUES_MAX verified
 * emails, a login, email, verified-emails or SAML cell that is not
 * UTF-8). Columns go by any of the names docs/formats.md lists.
 *
 * gzip input is checked by what it inflates to (the reader loads the
 * compressed file). Another input outside the subset is re-encoded into
 * one inside it (see ref_repair) and that is checked instead, so that
 * nearly every input the fuzzer makes is checked against the reference.
 */
#ifndef HC_FUZZ_CSV_REF_H
#define HC_FUZZ_CSV_REF_H

#include "fuzz_sink.h"

typedef struct ref_field {
    size_t off, len; /* the unescaped value, in ref_csv.text */
    size_t raw;      /* where the field starts in the input */
} ref_field;

typedef struct ref_row {
    size_t first, n; /* its fields: ref_csv.f[first .. first + n) */
    size_t start;    /* offset of its first byte */
    size_t end;      /* offset of its line end (or of the input's end) */
    bool nul;        /* holds a NUL byte */
} ref_row;

typedef struct ref_csv {
    fuzz_mem text;
    ref_field *f;
    size_t nf, capf;
    ref_row *r;
    size_t nr, capr;
} ref_csv;

static inline void ref_csv_free(ref_csv *c)
{
    fuzz_mem_free(&c->text);
    free(c->f);
    free(c->r);
    memset(c, 0, sizeof *c);
}

static inline void ref_push_field(ref_csv *c, size_t off, size_t raw)
{
    if (c->nf == c->capf) {
        c->capf = c->capf ? 2 * c->capf : 64;
        c->f = realloc(c->f, c->capf * sizeof *c->f);
        FUZZ_CHECK(c->f != NULL, "out of memory");
    }
    c->f[c->nf++] = (ref_field){off, c->text.n - off, raw};
}

static inline void ref_push_row(ref_csv *c, size_t first, size_t start,
                                size_t end)
{
    if (c->nr == c->capr) {
        c->capr = c->capr ? 2 * c->capr : 16;
        c->r = realloc(c->r, c->capr * sizeof *c->r);
        FUZZ_CHECK(c->r != NULL, "out of memory");
    }
    c->r[c->nr++] = (ref_row){first, c->nf - first, start, end, false};
}

/* Splits d[0..n) into rows of unescaped fields; false outside the subset. */
static inline bool ref_blank(const ref_csv *c, const ref_row *row);

static inline bool ref_csv_parse(const uint8_t *d, size_t n, ref_csv *c)
{
    size_t p = 0;
    if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b)
        return false;
    if (n >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0)
        p = 3;
    size_t j = p;
    while (j < n &&
           (d[j] == ' ' || d[j] == '\t' || d[j] == '\r' || d[j] == '\n'))
        j++;
    if (j == n || d[j] == '{' || d[j] == '[')
        return false;
    while (p < n) {
        /* Blank lines are skipped. */
        if (d[p] == '\n') {
            p++;
            continue;
        }
        if (d[p] == '\r' && p + 1 < n && d[p + 1] == '\n') {
            p += 2;
            continue;
        }
        size_t start = p, first = c->nf;
        for (;;) {
            size_t raw = p, off = c->text.n;
            if (p < n && d[p] == '"') {
                p++;
                for (;;) {
                    if (p == n)
                        return false; /* unterminated */
                    if (d[p] == '"' && p + 1 < n && d[p + 1] == '"') {
                        FUZZ_OK(fuzz_mem_write(&c->text, "\"", 1));
                        p += 2;
                    } else if (d[p] == '"') {
                        p++;
                        break;
                    } else {
                        FUZZ_OK(fuzz_mem_write(&c->text, &d[p], 1));
                        p++;
                    }
                }
            } else {
                while (p < n && d[p] != ',' && d[p] != '\n' && d[p] != '\r') {
                    if (d[p] == '"')
                        return false; /* a quote in an unquoted field */
                    FUZZ_OK(fuzz_mem_write(&c->text, &d[p], 1));
                    p++;
                }
            }
            ref_push_field(c, off, raw);
            if (p == n) {
                ref_push_row(c, first, start, p);
                break;
            }
            if (d[p] == ',') {
                p++;
                continue;
            }
            if (d[p] == '\n' ||
                (d[p] == '\r' && p + 1 < n && d[p + 1] == '\n')) {
                ref_push_row(c, first, start, p);
                p += d[p] == '\r' ? 2 : 1;
                break;
            }
            return false; /* a bare CR, or text after a closing quote */
        }
    }
    if (c->nr == 0)
        return false;
    for (size_t i = 0; i < c->nr; i++) {
        ref_row *r = &c->r[i];
        r->nul = memchr(d + r->start, 0, r->end - r->start) != NULL;
        if (r->nul && i > 0 &&
            memchr(d + r->start, '\n', r->end - r->start) != NULL)
            return false;
    }
    /* The header (the first row that is not blank) and the blank rows
     * before it hold at most 1024 fields. */
    for (size_t i = 0; i < c->nr; i++) {
        if (c->r[i].n > 1024)
            return false;
        if (c->r[i].nul || !ref_blank(c, &c->r[i]))
            break;
    }
    return true;
}

/* The header-name rule of docs/formats.md: ASCII letters lowercased, every
 * other byte that is not a letter or digit a separator, runs of
 * separators one '_', none at either end. */
static inline void ref_canon(const char *p, size_t n, fuzz_mem *out)
{
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            c = '_';
        if (c == '_' && (out->n == 0 || out->p[out->n - 1] == '_'))
            continue;
        FUZZ_OK(fuzz_mem_write(out, &c, 1));
    }
    if (out->n > 0 && out->p[out->n - 1] == '_')
        out->n--;
}

static inline bool ref_eq_nocase(const char *p, size_t n, const char *lit)
{
    if (n != strlen(lit))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return false;
    }
    return true;
}

/* A boolean cell: true / false in any case, 1 / 0. */
static inline bool ref_bool(const char *p, size_t n, bool *out)
{
    if (ref_eq_nocase(p, n, "true") || (n == 1 && p[0] == '1'))
        return *out = true, true;
    if (ref_eq_nocase(p, n, "false") || (n == 1 && p[0] == '0'))
        return *out = false, true;
    return false;
}

/* An unsigned decimal id: 1 to 20 digits, up to 2^64-1. */
static inline bool ref_id(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        if (__builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, (uint64_t)(p[i] - '0'), &v))
            return false;
    }
    *out = v;
    return true;
}

static inline uint64_t ref_line(const uint8_t *d, size_t off)
{
    uint64_t line = 1;
    for (size_t i = 0; i < off; i++)
        line += d[i] == '\n';
    return line;
}

/* What a load of a report in the subset must give. */
typedef struct ref_expect {
    bool header_error;         /* both loads fail with HC_ERR_DATA */
    bool refused;              /* ... as a whole (ref_refused), on line 1 */
    uint64_t bad_rows;         /* rows a skip_malformed load rejects */
    bool first_data_error;     /* the first bad row can fail with HC_ERR_DATA */
    bool first_limit_error;    /* ... or with HC_ERR_LIMIT */
    uint64_t line_lo, line_hi; /* the lines of the first error's row */
    uint64_t records;          /* data rows */
    uint64_t accounts;         /* good rows */
    fuzz_mem log;              /* the good rows' accounts, as fuzz_sink logs */
} ref_expect;

enum { REF_ID, REF_LOGIN, REF_EMAIL, REF_SUSPENDED, REF_COLS };
enum { REF_GH_LOGIN, REF_GH_USER, REF_GH_VERIFIED, REF_GH_SAML };

/* Columns used, by canonical name (any of a column's names); the first
 * `required` are required. */
#define REF_NAMES 4
static const char *const ref_ghes_cols[][REF_NAMES] = {
    {"id"}, {"login"}, {"email"}, {"suspended"}};
static const char *const ref_ghec_cols[][REF_NAMES] = {
    {"github_com_login", "github_login"},
    {"github_com_user", "github_user"},
    {"github_com_verified_domain_emails", "github_verified_domain_emails"},
    {"github_com_saml_name_id", "github_com_saml_name", "github_saml_name_id",
     "github_saml_name"}};

static inline bool ref_named(const fuzz_mem *canon,
                             const char *const names[REF_NAMES])
{
    for (size_t a = 0; a < REF_NAMES && names[a]; a++)
        if (canon->n == strlen(names[a]) &&
            memcmp(canon->p, names[a], canon->n) == 0)
            return true;
    return false;
}

/* A row of only empty fields, or fields of spaces and tabs: blank. */
static inline bool ref_blank(const ref_csv *c, const ref_row *row)
{
    for (size_t i = 0; i < row->n; i++) {
        const ref_field *f = &c->f[row->first + i];
        const char *t = c->text.p ? c->text.p + f->off : "";
        for (size_t k = 0; k < f->len; k++)
            if (t[k] != ' ' && t[k] != '\t')
                return false;
    }
    return true;
}

static inline const char *ref_text(const ref_csv *c, const ref_field *f)
{
    return c->text.p ? c->text.p + f->off : "";
}

static inline bool ref_sep(char c)
{
    return c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\r' ||
           c == '\n';
}

/* The expectation for parsed report c (of input d) read as GHES or GHEC. */
static inline void ref_expect_build(const uint8_t *d, const ref_csv *c,
                                    bool ghes, ref_expect *e)
{
    const char *const(*names)[REF_NAMES] = ghes ? ref_ghes_cols : ref_ghec_cols;
    size_t required = ghes ? 4 : 2;
    size_t col[REF_COLS];
    fuzz_mem canon = {0};

    memset(e, 0, sizeof *e);
    /* Blank rows before the header are skipped; none left is an empty
     * input, named at line 1. */
    size_t hr = 0;
    while (hr < c->nr && !c->r[hr].nul && ref_blank(c, &c->r[hr]))
        hr++;
    if (hr == c->nr) {
        e->header_error = true;
        e->line_lo = e->line_hi = 1;
        return;
    }
    const ref_row *h = &c->r[hr];
    if (h->nul || !fuzz_utf8(d + h->start, h->end - h->start)) {
        e->header_error = true;
        e->line_lo = ref_line(d, h->start);
        e->line_hi = ref_line(d, h->end);
        return;
    }
    for (size_t k = 0; k < REF_COLS; k++)
        col[k] = SIZE_MAX;
    for (size_t i = 0; i < h->n; i++) {
        const ref_field *f = &c->f[h->first + i];
        ref_canon(ref_text(c, f), f->len, &canon);
        for (size_t k = 0; k < REF_COLS; k++) {
            if (!ref_named(&canon, names[k]))
                continue;
            if (col[k] != SIZE_MAX)
                e->header_error = true; /* a used column twice */
            col[k] = i;
        }
    }
    fuzz_mem_free(&canon);
    for (size_t k = 0; k < required; k++)
        if (col[k] == SIZE_MAX)
            e->header_error = true;
    if (e->header_error) {
        e->line_lo = ref_line(d, h->start);
        e->line_hi = ref_line(d, h->end);
        return;
    }

    for (size_t r = hr + 1; r < c->nr; r++) {
        const ref_row *row = &c->r[r];
        const ref_field *f = &c->f[row->first];
        bool data = false, limit = false;
        if (!row->nul && ref_blank(c, row))
            continue;
        e->records++;
        if (row->nul || row->n != h->n) {
            data = true;
        } else if (ghes) {
            uint64_t id = 0;
            bool suspended = false;
            const ref_field *email = &f[col[REF_EMAIL]];
            data = !ref_id(ref_text(c, &f[col[REF_ID]]), f[col[REF_ID]].len,
                           &id) ||
                   !ref_bool(ref_text(c, &f[col[REF_SUSPENDED]]),
                             f[col[REF_SUSPENDED]].len, &suspended);
            limit = email->len > HC_EMAIL_MAX ||
                    f[col[REF_LOGIN]].len > HC_EMAIL_MAX;
            /* The cells used as text must be UTF-8. */
            data |=
                !fuzz_utf8((const uint8_t *)ref_text(c, email), email->len) ||
                !fuzz_utf8((const uint8_t *)ref_text(c, &f[col[REF_LOGIN]]),
                           f[col[REF_LOGIN]].len);
            if (!data && !limit) {
                const ref_field *login = &f[col[REF_LOGIN]];
                fuzz_log_ghes(&e->log, id, suspended, ref_text(c, login),
                              login->len, ref_text(c, email), email->len);
                fuzz_log_count(&e->log, 0);
                fuzz_log_end(&e->log);
            }
        } else {
            bool licensed = false;
            const ref_field *user = &f[col[REF_GH_USER]];
            data = user->len > 0 &&
                   !ref_bool(ref_text(c, user), user->len, &licensed);
            /* The cells used as text must be UTF-8. */
            static const int text_cols[] = {REF_GH_LOGIN, REF_GH_VERIFIED,
                                            REF_GH_SAML};
            for (size_t k = 0; k < 3; k++) {
                size_t i = col[text_cols[k]];
                data |=
                    i != SIZE_MAX &&
                    !fuzz_utf8((const uint8_t *)ref_text(c, &f[i]), f[i].len);
            }
            /* The verified emails: the cell's values between separators. */
            fuzz_mem values = {0};
            size_t n_values = 0;
            if (col[REF_GH_VERIFIED] != SIZE_MAX) {
                const ref_field *v = &f[col[REF_GH_VERIFIED]];
                const char *s = ref_text(c, v);
                for (size_t i = 0; i < v->len;) {
                    while (i < v->len && ref_sep(s[i]))
                        i++;
                    size_t b = i;
                    while (i < v->len && !ref_sep(s[i]))
                        i++;
                    if (i == b)
                        continue;
                    limit |= i - b > HC_EMAIL_MAX;
                    fuzz_log_str(&values, s + b, i - b);
                    n_values++;
                }
            }
            limit |= n_values > HC_ACCOUNT_VALUES_MAX;
            limit |= f[col[REF_GH_LOGIN]].len > HC_EMAIL_MAX;
            const ref_field *saml = NULL;
            if (col[REF_GH_SAML] != SIZE_MAX) {
                saml = &f[col[REF_GH_SAML]];
                limit |= saml->len > HC_EMAIL_MAX;
            }
            if (!data && !limit) {
                const ref_field *login = &f[col[REF_GH_LOGIN]];
                fuzz_log_ghec(&e->log, licensed, ref_text(c, login), login->len,
                              saml ? ref_text(c, saml) : "",
                              saml ? saml->len : 0);
                fuzz_log_count(&e->log, 0);
                fuzz_log_count(&e->log, n_values);
                FUZZ_OK(fuzz_mem_write(&e->log, values.p, values.n));
                fuzz_log_end(&e->log);
            }
            fuzz_mem_free(&values);
        }
        if (!data && !limit) {
            e->accounts++;
            continue;
        }
        if (e->bad_rows++ == 0) {
            e->first_data_error = data;
            e->first_limit_error = limit;
            e->line_lo = ref_line(d, row->start);
            e->line_hi = ref_line(d, row->end);
        }
    }
}

/*
 * Re-encodes an input outside the subset into one inside it: the bytes
 * after a BOM are cut into lines at LF (a CR before the LF is kept as a
 * CRLF line end) and each line into cells at commas, quotes being taken as
 * plain characters; the cells are written back as RFC 4180 fields, quoted
 * (with their quotes doubled) when they hold a quote or a CR, and every
 * third cell quoted anyway, as is the first cell of the input so that it
 * cannot be taken for JSON.
 */
static inline void ref_repair(const uint8_t *d, size_t n, fuzz_mem *out)
{
    size_t p = 0, cell = 0;
    bool first = true;
    out->n = 0;
    if (n >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0) {
        FUZZ_OK(fuzz_mem_write(out, d, 3));
        p = 3;
    }
    while (p < n) {
        const uint8_t *nl = memchr(d + p, '\n', n - p);
        size_t end = nl ? (size_t)(nl - d) : n;
        bool crlf = nl && end > p && d[end - 1] == '\r';
        size_t stop = crlf ? end - 1 : end;
        for (size_t q = p;;) {
            const uint8_t *comma = memchr(d + q, ',', stop - q);
            size_t ce = comma ? (size_t)(comma - d) : stop;
            bool quote = first || cell++ % 3 == 0 ||
                         memchr(d + q, '"', ce - q) != NULL ||
                         memchr(d + q, '\r', ce - q) != NULL;
            first = false;
            if (quote)
                FUZZ_OK(fuzz_mem_write(out, "\"", 1));
            for (size_t i = q; i < ce; i++) {
                if (d[i] == '"')
                    FUZZ_OK(fuzz_mem_write(out, "\"", 1)); /* doubled */
                FUZZ_OK(fuzz_mem_write(out, &d[i], 1));
            }
            if (quote)
                FUZZ_OK(fuzz_mem_write(out, "\"", 1));
            if (!comma)
                break;
            FUZZ_OK(fuzz_mem_write(out, ",", 1));
            q = ce + 1;
        }
        if (nl)
            FUZZ_OK(fuzz_mem_write(out, crlf ? "\r\n" : "\n", crlf ? 2 : 1));
        p = end + (nl ? 1 : 0);
    }
}

/*
 * True when the first bytes of d carry one of the signatures that
 * docs/formats.md lists for input in another encoding (UTF-32, UTF-16
 * with or without a byte order mark) or compressed another way (gzip
 * inside gzip, zip, xz, zstd, bzip2, 7-Zip): such input is refused as a
 * whole, on line 1, whatever skip_malformed says.
 */
static inline bool ref_refused(const uint8_t *d, size_t n)
{
    static const struct {
        const char *sig;
        size_t len;
    } sigs[] = {
        {"\xff\xfe", 2},
        {"\xfe\xff", 2},
        {"\x00\x00\xfe\xff", 4},
        {"\x1f\x8b", 2},
        {"PK\x03\x04", 4},
        {"\xfd"
         "7zXZ\x00",
         6},
        {"\x28\xb5\x2f\xfd", 4},
        {"7z\xbc\xaf\x27\x1c", 6},
    };
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
        if (n >= sigs[k].len && memcmp(d, sigs[k].sig, sigs[k].len) == 0)
            return true;
    if (n >= 4 && memcmp(d, "BZh", 3) == 0 && d[3] >= '1' && d[3] <= '9')
        return true;
    /* UTF-16 without a byte order mark: an ASCII character other than
     * NUL and a zero byte, twice, in either byte order. */
    if (n >= 4) {
        bool le = d[0] && d[0] < 0x80 && !d[1] && d[2] && d[2] < 0x80 && !d[3];
        bool be = !d[0] && d[1] && d[1] < 0x80 && !d[2] && d[3] && d[3] < 0x80;
        if (le || be)
            return true;
    }
    return false;
}

/*
 * Loads file (as --ghes HOST=PATH or --ghec PATH) strict and with
 * skip_malformed into a recording sink, and checks both against the
 * reference's reading of data, which is file or, for gzip, what it
 * inflates to. False when data is outside the reference's subset.
 */
static inline bool ref_check_one(const uint8_t *data, size_t size,
                                 const uint8_t *file, size_t file_size,
                                 bool ghes, const char *host)
{
    ref_expect e;
    if (ref_refused(data, size)) {
        /* Refused as a whole: checked as a header error on line 1. */
        memset(&e, 0, sizeof e);
        e.header_error = e.refused = true;
        e.line_lo = e.line_hi = 1;
    } else {
        ref_csv c;
        memset(&c, 0, sizeof c);
        if (!ref_csv_parse(data, size, &c)) {
            ref_csv_free(&c);
            return false;
        }
        ref_expect_build(data, &c, ghes, &e);
        ref_csv_free(&c);
    }

    const char *path = fuzz_memfd_put(file, file_size);
    hc_input_role role = ghes ? HC_INPUT_GHES : HC_INPUT_GHEC;

    for (int skip = 0; skip < 2; skip++) {
        fuzz_sink s;
        hc_load_stats st;
        hc_diag dg;
        memset(&s, 0, sizeof s);
        hc_status rc =
            fuzz_sink_load(&s, path, role, host, skip != 0, NULL, &st, &dg);
        const char *mode = skip ? "skip_malformed" : "strict";
        const char *bad = e.refused        ? "signature (another encoding or "
                                             "compression)"
                          : e.header_error ? "header"
                                           : "row";
        if (e.header_error || (!skip && e.bad_rows > 0)) {
            bool status_ok =
                e.header_error
                    ? rc == HC_ERR_DATA
                    : (rc == HC_ERR_DATA && e.first_data_error) ||
                          (rc == HC_ERR_LIMIT && e.first_limit_error);
            FUZZ_CHECK(status_ok,
                       "%s: the reference finds a bad %s on lines "
                       "%llu-%llu, the reader returns %s: %s",
                       mode, bad, (unsigned long long)e.line_lo,
                       (unsigned long long)e.line_hi, hc_status_str(rc),
                       dg.message);
            FUZZ_CHECK(dg.line >= e.line_lo && dg.line <= e.line_hi,
                       "%s: error on line %llu, the reference's bad %s is "
                       "on lines %llu-%llu: %s",
                       mode, (unsigned long long)dg.line, bad,
                       (unsigned long long)e.line_lo,
                       (unsigned long long)e.line_hi, dg.message);
        } else {
            FUZZ_CHECK(rc == HC_OK,
                       "%s: the reference reads the report, the reader "
                       "fails: %s (line %llu)",
                       mode, dg.message, (unsigned long long)dg.line);
            FUZZ_CHECK(
                s.n_names == 1 &&
                    (!host || (s.name_len[0] == strlen(host) &&
                               memcmp(s.names[0], host, s.name_len[0]) == 0)),
                "%s: %u sources, the first \"%.*s\"", mode, s.n_names,
                (int)s.name_len[0], s.names[0]);
            fuzz_log_same(&s.log, &e.log, mode);
            uint64_t rejected = skip ? e.bad_rows : 0;
            FUZZ_CHECK(
                st.records == e.records && st.accounts == e.accounts &&
                    st.rejected == rejected && s.rejected == rejected,
                "%s: records %llu accounts %llu rejected %llu "
                "(sink %llu), the reference %llu %llu %llu",
                mode, (unsigned long long)st.records,
                (unsigned long long)st.accounts,
                (unsigned long long)st.rejected, (unsigned long long)s.rejected,
                (unsigned long long)e.records, (unsigned long long)e.accounts,
                (unsigned long long)rejected);
        }
        fuzz_mem_free(&s.log);
    }
    fuzz_mem_free(&e.log);
    return true;
}

/* Inputs checked as they are, checked re-encoded, and all inputs, for a
 * local measure (HC_FUZZ_REF_STATS=1 prints them every 10000 inputs). */
static uint64_t ref_as_is, ref_repaired, ref_seen;

/* The reference check of a CSV reader target. */
static inline void fuzz_csv_ref_check(const uint8_t *data, size_t size,
                                      bool ghes, const char *host)
{
    ref_seen++;
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        /* gzip: the reference reads what the input layer (not under test
         * here) inflates; the reader loads the compressed file. */
        char *text = NULL;
        size_t len = 0;
        hc_diag dg;
        const char *path = fuzz_memfd_put(data, size);
        if (hc_file_slurp(path, (size_t)1 << 20, &text, &len, &dg) == HC_OK)
            ref_as_is += ref_check_one((const uint8_t *)text, len, data, size,
                                       ghes, host);
        free(text);
    } else if (ref_check_one(data, size, data, size, ghes, host)) {
        ref_as_is++;
    } else {
        fuzz_mem fixed = {0};
        ref_repair(data, size, &fixed);
        ref_repaired +=
            ref_check_one((const uint8_t *)fixed.p, fixed.n,
                          (const uint8_t *)fixed.p, fixed.n, ghes, host);
        fuzz_mem_free(&fixed);
    }
    if (ref_seen % 10000 == 0 && getenv("HC_FUZZ_REF_STATS"))
        fprintf(stderr,
                "csv reference: %llu inputs, %llu checked as they are, "
                "%llu re-encoded\n",
                (unsigned long long)ref_seen, (unsigned long long)ref_as_is,
                (unsigned long long)ref_repaired);
}

#endif /* HC_FUZZ_CSV_REF_H */
