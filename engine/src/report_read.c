/*
 * Reading a report back, for `headcount diff`: a report written by
 * hc_report_write_json, or GitHub's own consumed-licenses JSON (one page
 * object, a JSON array of pages, or pages one after another). Each users[]
 * entry becomes a person identified by its GHEC login and GHES host:id
 * values; everything else in the file is validated and skipped. The parser
 * is a small strict recursive-descent JSON reader written for this shape
 * (RFC 8259 grammar, strings must be valid UTF-8, nesting at most
 * REPORT_DEPTH_MAX, file at most REPORT_FILE_MAX bytes), so that a damaged
 * report is a data error with its line and column, never a crash.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "headcount/reader.h"
#include "headcount/report.h"
#include "report_json.h"
#include "util.h"

#define REPORT_FILE_MAX ((size_t)1 << 30) /* bytes, after gunzip */
#define REPORT_DEPTH_MAX 64               /* nested arrays and objects */
/* Ids per report. A report of 1 GiB holds at most about 40 million real
 * ids ("host:id" strings of 20-odd bytes), but one of three-byte ids could
 * hold 300 million, and the parse tables take some 40 bytes per id: the
 * cap keeps a report's memory near 3 GB however its ids are shaped. */
#define REPORT_IDS_MAX ((size_t)1 << 26)

size_t hc__report_ids_max = REPORT_IDS_MAX;

/* One id of a person while parsing: an offset into the string arena (at
 * most REPORT_FILE_MAX bytes), so that the arena may move as it grows. A
 * host:id is split once, when it arrives, and every id carries a hash of
 * its bytes: dropping a user's repeats sorts by the hash, which settles
 * nearly every comparison without reading the strings. */
typedef struct id_ent {
    uint32_t off;
    uint32_t len;      /* at most HC_RECORD_MAX */
    uint32_t host_len; /* bytes of the host; all of them if not numeric */
    uint32_t hash;     /* of the bytes; equal ids have equal hashes */
    bool login;        /* GHEC login (sorts first), else GHES host:id */
    bool numeric;      /* a host:id whose id is a number below 2^64 */
} id_ent;

/* A user's ids are sorted and deduplicated whenever this many have
 * arrived since the last time (and at least twice as many as survived
 * it), so a user repeating one id cannot grow the tables past twice its
 * distinct ids, at O(n log n) in all. */
#define USER_COMPACT_MIN 1024

typedef struct person_ent {
    size_t first; /* into ids */
    size_t n;
    size_t n_logins; /* the first ones, as cmp_ids sorts them */
    size_t seq;      /* order in the file: the last tie-break */
} person_ent;

struct hc_report {
    char *arena; /* every string, owned */
    hc_str *ids; /* all persons' ids, owned */
    hc_report_person_info *persons;
    size_t n_persons;
    uint64_t n_unnamed; /* users[] entries without an id */
    uint64_t total;
    char policy[16]; /* "github", "extended", or "" when not given */
};

typedef struct jp {
    const char *file;
    hc_diag *diag;
    const unsigned char *p;
    const unsigned char *end;
    const unsigned char *line_start;
    uint64_t line;
    unsigned depth;
    hc__buf key;   /* the object key being dispatched */
    hc__buf str;   /* a decoded string value */
    hc__buf arena; /* strings kept for the report */
    id_ent *ids;
    size_t n_ids;
    size_t cap_ids;
    size_t user_first;      /* the current user's first entry in ids */
    size_t user_arena;      /* and its first byte in the arena */
    size_t user_compact_at; /* its id count that triggers a compaction */
    person_ent *persons;
    size_t n_persons; /* users with at least one id */
    size_t cap_persons;
    uint64_t n_users;   /* every users[] entry */
    uint64_t n_unnamed; /* the entries without an id, less the repeats */
    uint64_t n_unnamed_repeats;
    /* The last entry, when it had no id: the hash of its bytes. GitHub's
     * pages can repeat the last user of a page at the top of the next;
     * such an entry without an id can only be told by its bytes. */
    bool last_unnamed;
    XXH128_hash_t last_unnamed_hash;
    /* Where the first users[] entry starts, and whether any entry had a
     * field of a consumed-licenses user: a GHES export has a users array
     * too, and read as a report it would be a list of nobodies. */
    uint64_t first_user_line, first_user_col;
    bool saw_user_field;
    /* Which id-bearing keys the current user object has had: a key given
     * twice is refused, since readers disagree on which value counts. */
    unsigned user_keys;
    bool have_total;
    char policy[16]; /* headcount's "policy", when it is one it knows */
    uint64_t total;
    bool saw_users;
    bool page_users; /* the current page has had its "users" */
} jp;

static hc_status jp_fail(jp *j, hc_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static hc_status jp_fail(jp *j, hc_status st, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* At the end of the input, what was expected is secondary: the file
     * stops in the middle of the report. */
    hc__diag_set(j->diag, j->file, j->line,
                 (uint64_t)(j->p - j->line_start) + 1, "%s%s",
                 j->p >= j->end && st == HC_ERR_DATA
                     ? "unexpected end of input (truncated file?): "
                     : "",
                 msg);
    return st;
}

static inline int peek(const jp *j)
{
    return j->p < j->end ? *j->p : -1;
}

static void ws(jp *j)
{
    while (j->p < j->end) {
        unsigned char c = *j->p;
        if (c == '\n') {
            j->line++;
            j->line_start = j->p + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            break;
        }
        j->p++;
    }
}

/* Array growth for the parser's tables; pp points at any object pointer. */
static hc_status grow(void *pp, size_t *cap, size_t need, size_t size)
{
    void *p;
    if (need <= *cap)
        return HC_OK;
    if (need > REPORT_FILE_MAX)
        return HC_ERR_LIMIT; /* more entries than the file has bytes */
    size_t cap2 = *cap ? *cap : 64;
    while (cap2 < need)
        cap2 *= 2;
    memcpy(&p, pp, sizeof p);
    void *q = realloc(p, cap2 * size);
    if (!q)
        return HC_ERR_NOMEM;
    memcpy(pp, &q, sizeof q);
    *cap = cap2;
    return HC_OK;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits after "\u" at j->p. */
static hc_status read_u4(jp *j, unsigned *out)
{
    unsigned v = 0;
    if (j->end - j->p < 4)
        return jp_fail(j, HC_ERR_DATA, "expected 4 hex digits after \\u");
    for (int i = 0; i < 4; i++) {
        int h = hexval(j->p[i]);
        if (h < 0)
            return jp_fail(j, HC_ERR_DATA, "expected 4 hex digits after \\u");
        v = v << 4 | (unsigned)h;
    }
    j->p += 4;
    *out = v;
    return HC_OK;
}

static hc_status put_utf8(hc__buf *out, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12);
        b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18);
        b[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        b[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return hc__buf_append(out, b, n);
}

/*
 * Parses the string literal at j->p (which is '"'), appending its decoded
 * bytes to out (NULL: validate only).
 */
static hc_status parse_string(jp *j, hc__buf *out)
{
    hc_status rc = HC_OK;
    j->p++;
    for (;;) {
        const unsigned char *run = j->p;
        while (j->p < j->end && *j->p >= 0x20 && *j->p < 0x80 && *j->p != '"' &&
               *j->p != '\\')
            j->p++;
        if (out && j->p > run) {
            rc = hc__buf_append(out, run, (size_t)(j->p - run));
            if (rc != HC_OK)
                return jp_fail(j, rc, "string longer than %zu bytes",
                               out->limit);
        }
        if (j->p == j->end)
            return jp_fail(j, HC_ERR_DATA, "unterminated string");
        unsigned char c = *j->p;
        if (c == '"') {
            j->p++;
            return HC_OK;
        }
        if (c < 0x20)
            return jp_fail(j, HC_ERR_DATA,
                           "control character U+%04X in a string (it must "
                           "be escaped)",
                           (unsigned)c);
        if (c >= 0x80) {
            size_t bad = 0;
            size_t len = hc__utf8_seq(j->p, (size_t)(j->end - j->p), &bad);
            if (!len)
                return jp_fail(j, HC_ERR_DATA, "invalid UTF-8 in a string");
            if (out && (rc = hc__buf_append(out, j->p, len)) != HC_OK)
                return jp_fail(j, rc, "string longer than %zu bytes",
                               out->limit);
            j->p += len;
            continue;
        }
        /* A backslash escape. */
        j->p++;
        int e = peek(j);
        unsigned cp;
        switch (e) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            j->p++;
            if ((rc = read_u4(j, &cp)) != HC_OK)
                return rc;
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                j->p -= 6;
                return jp_fail(j, HC_ERR_DATA, "unpaired low surrogate");
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
                    return jp_fail(j, HC_ERR_DATA,
                                   "expected a low surrogate \\uDC00-\\uDFFF");
                j->p += 2;
                if ((rc = read_u4(j, &lo)) != HC_OK)
                    return rc;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    j->p -= 6;
                    return jp_fail(j, HC_ERR_DATA,
                                   "expected a low surrogate \\uDC00-\\uDFFF");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            j->p--; /* the increment below steps past the last digit */
            break;
        default: return jp_fail(j, HC_ERR_DATA, "invalid escape in a string");
        }
        j->p++;
        if (out && (rc = put_utf8(out, cp)) != HC_OK)
            return jp_fail(j, rc, "string longer than %zu bytes", out->limit);
    }
}

static hc_status skip_number(jp *j)
{
    if (peek(j) == '-')
        j->p++;
    if (peek(j) == '0') {
        j->p++;
    } else if (peek(j) >= '1' && peek(j) <= '9') {
        while (peek(j) >= '0' && peek(j) <= '9')
            j->p++;
    } else {
        return jp_fail(j, HC_ERR_DATA, "expected a digit");
    }
    if (peek(j) == '.') {
        j->p++;
        if (!(peek(j) >= '0' && peek(j) <= '9'))
            return jp_fail(j, HC_ERR_DATA, "expected a digit after '.'");
        while (peek(j) >= '0' && peek(j) <= '9')
            j->p++;
    }
    if (peek(j) == 'e' || peek(j) == 'E') {
        j->p++;
        if (peek(j) == '+' || peek(j) == '-')
            j->p++;
        if (!(peek(j) >= '0' && peek(j) <= '9'))
            return jp_fail(j, HC_ERR_DATA, "expected a digit in exponent");
        while (peek(j) >= '0' && peek(j) <= '9')
            j->p++;
    }
    return HC_OK;
}

static hc_status skip_literal(jp *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return jp_fail(j, HC_ERR_DATA, "expected a JSON value");
    j->p += n;
    return HC_OK;
}

static bool at_null(const jp *j)
{
    return j->end - j->p >= 4 && memcmp(j->p, "null", 4) == 0;
}

typedef hc_status (*member_fn)(jp *j, const char *key, size_t klen);
typedef hc_status (*elem_fn)(jp *j);

static hc_status skip_value(jp *j);

static hc_status enter(jp *j)
{
    if (++j->depth > REPORT_DEPTH_MAX)
        return jp_fail(j, HC_ERR_LIMIT, "nesting deeper than %d levels",
                       REPORT_DEPTH_MAX);
    j->p++;
    ws(j);
    return HC_OK;
}

/* Parses the object at j->p ('{'); fn (NULL: skip) parses each member's
 * value and must use key before parsing anything itself. */
static hc_status parse_object(jp *j, member_fn fn)
{
    hc_status rc = enter(j);
    if (rc != HC_OK)
        return rc;
    if (peek(j) == '}') {
        j->p++;
        j->depth--;
        return HC_OK;
    }
    for (;;) {
        if (peek(j) != '"')
            return jp_fail(j, HC_ERR_DATA, "expected a string (object key)");
        hc__buf_clear(&j->key);
        if ((rc = parse_string(j, &j->key)) != HC_OK)
            return rc;
        ws(j);
        if (peek(j) != ':')
            return jp_fail(j, HC_ERR_DATA, "expected ':'");
        j->p++;
        ws(j);
        rc = fn ? fn(j, j->key.data, j->key.len) : skip_value(j);
        if (rc != HC_OK)
            return rc;
        ws(j);
        if (peek(j) == ',') {
            j->p++;
            ws(j);
            continue;
        }
        if (peek(j) == '}')
            break;
        return jp_fail(j, HC_ERR_DATA, "expected ',' or '}'");
    }
    j->p++;
    j->depth--;
    return HC_OK;
}

/* Parses the array at j->p ('['); fn (NULL: skip) parses each element. */
static hc_status parse_array(jp *j, elem_fn fn)
{
    hc_status rc = enter(j);
    if (rc != HC_OK)
        return rc;
    if (peek(j) == ']') {
        j->p++;
        j->depth--;
        return HC_OK;
    }
    for (;;) {
        rc = fn ? fn(j) : skip_value(j);
        if (rc != HC_OK)
            return rc;
        ws(j);
        if (peek(j) == ',') {
            j->p++;
            ws(j);
            continue;
        }
        if (peek(j) == ']')
            break;
        return jp_fail(j, HC_ERR_DATA, "expected ',' or ']'");
    }
    j->p++;
    j->depth--;
    return HC_OK;
}

static hc_status skip_value(jp *j)
{
    switch (peek(j)) {
    case '{': return parse_object(j, NULL);
    case '[': return parse_array(j, NULL);
    case '"': return parse_string(j, NULL);
    case 't': return skip_literal(j, "true");
    case 'f': return skip_literal(j, "false");
    case 'n': return skip_literal(j, "null");
    case -1: return jp_fail(j, HC_ERR_DATA, "unexpected end of file");
    default:
        if (peek(j) == '-' || (peek(j) >= '0' && peek(j) <= '9'))
            return skip_number(j);
        return jp_fail(j, HC_ERR_DATA, "expected a JSON value");
    }
}

static bool key_is(const char *key, size_t klen, const char *name)
{
    return klen == strlen(name) && memcmp(key, name, klen) == 0;
}

/* Splits "host:id" at its last ':' into host and id, and tells whether
 * the id is a number: at most 20 digits, below 2^64. */
static void split_server_id(const char *s, size_t n, size_t *host_len,
                            bool *numeric)
{
    size_t colon = n;
    while (colon > 0 && s[colon - 1] != ':')
        colon--;
    *numeric = false;
    *host_len = n;
    if (colon == 0 || colon == n || n - colon > 20)
        return;
    uint64_t v = 0;
    for (size_t i = colon; i < n; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10)
            return; /* every id up to 2^64 - 1 is a number */
        v = v * 10 + d;
    }
    *host_len = colon - 1;
    *numeric = true;
}

/* Compares two decimal numbers by value: without leading zeros, the
 * shorter is smaller, and digits of one length compare as bytes. */
static int cmp_decimal(const char *a, size_t an, const char *b, size_t bn)
{
    while (an > 1 && *a == '0')
        a++, an--;
    while (bn > 1 && *b == '0')
        b++, bn--;
    if (an != bn)
        return an < bn ? -1 : 1;
    return memcmp(a, b, an);
}

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = HC_MIN(an, bn);
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return (an > bn) - (an < bn);
}

/* Logins first, by bytes; then host:id by host, then numeric id (the
 * canonical account order), ids that are not numbers after those. The
 * context is the arena the entries point into. */
static int cmp_ids(const void *pa, const void *pb, void *arena)
{
    const id_ent *a = pa, *b = pb;
    const char *as = (const char *)arena + a->off;
    const char *bs = (const char *)arena + b->off;
    if (a->login != b->login)
        return a->login ? -1 : 1;
    if (!a->login) {
        int c = cmp_bytes(as, a->host_len, bs, b->host_len);
        if (c)
            return c;
        if (a->numeric != b->numeric)
            return a->numeric ? -1 : 1;
        if (a->numeric) {
            size_t at = a->host_len + 1, bt = b->host_len + 1;
            c = cmp_decimal(as + at, a->len - at, bs + bt, b->len - bt);
            if (c)
                return c;
        }
    }
    return cmp_bytes(as, a->len, bs, b->len);
}

/* Any total order in which equal ids are neighbours: by hash first. */
static int cmp_same(const void *pa, const void *pb, void *arena)
{
    const id_ent *a = pa, *b = pb;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    if (a->login != b->login)
        return a->login ? -1 : 1;
    return cmp_bytes((const char *)arena + a->off, a->len,
                     (const char *)arena + b->off, b->len);
}

static int cmp_offsets(const void *pa, const void *pb)
{
    const id_ent *a = pa, *b = pb;
    return (a->off > b->off) - (a->off < b->off);
}

/* Sorts the current user's ids, drops repeats, and packs their strings
 * down in the arena so that repeats cost no memory either. Leaves the ids
 * in arena order; user_elem sorts them once more at the end. */
static void compact_user(jp *j)
{
    id_ent *ids = j->ids + j->user_first;
    size_t n = j->n_ids - j->user_first;
    if (n < 2)
        return;
    qsort_r(ids, n, sizeof *ids, cmp_same, j->arena.data);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (cmp_same(&ids[k - 1], &ids[i], j->arena.data) != 0)
            ids[k++] = ids[i];
    /* Moving each kept string to the lowest free offset, in arena order,
     * never overwrites a string not yet moved. */
    qsort(ids, k, sizeof *ids, cmp_offsets);
    size_t w = j->user_arena;
    for (size_t i = 0; i < k; i++) {
        if (ids[i].off != w)
            memmove(j->arena.data + w, j->arena.data + ids[i].off, ids[i].len);
        ids[i].off = (uint32_t)w;
        w += ids[i].len;
    }
    j->arena.len = w;
    j->n_ids = j->user_first + k;
}

/* The host of "host:id" (all of it without a ':') the way the census keeps
 * GHES hosts: ASCII lowercase without trailing dots, so that GitHub's
 * own report, or one written before that rule, names the same account as
 * a report written now. */
static void canon_server_id(hc__buf *s)
{
    size_t host = s->len;
    while (host > 0 && s->data[host - 1] != ':')
        host--;
    host = host ? host - 1 : s->len;
    size_t keep = hc__host_canon(s->data, s->data, host);
    if (keep < host) {
        memmove(s->data + keep, s->data + host, s->len - host);
        s->len -= host - keep;
    }
}

/* Parses a string value into the arena as one id of the current person. */
static hc_status push_id(jp *j, bool login)
{
    hc_status rc = HC_OK;
    hc__buf_clear(&j->str);
    if ((rc = parse_string(j, &j->str)) != HC_OK)
        return rc;
    if (j->str.len == 0)
        return HC_OK; /* an empty login or id names nothing */
    if (!login)
        canon_server_id(&j->str);
    if (j->n_ids >= hc__report_ids_max)
        return jp_fail(j, HC_ERR_LIMIT, "more than %zu ids in one report",
                       hc__report_ids_max);
    size_t off = j->arena.len;
    if ((rc = hc__buf_append(&j->arena, j->str.data, j->str.len)) != HC_OK)
        return jp_fail(j, rc, "report strings exceed %zu bytes",
                       j->arena.limit);
    rc = grow(&j->ids, &j->cap_ids, j->n_ids + 1, sizeof *j->ids);
    if (rc != HC_OK)
        return jp_fail(j, rc, "too many ids");
    id_ent *e = &j->ids[j->n_ids];
    e->off = (uint32_t)off;
    e->len = (uint32_t)j->str.len;
    e->hash = (uint32_t)XXH3_64bits(j->str.data, j->str.len);
    e->login = login;
    e->numeric = false;
    e->host_len = e->len;
    if (!login) {
        size_t host_len;
        split_server_id(j->str.data, j->str.len, &host_len, &e->numeric);
        e->host_len = (uint32_t)host_len;
    }
    j->n_ids++;
    if (j->n_ids - j->user_first >= j->user_compact_at) {
        compact_user(j);
        j->user_compact_at =
            HC_MAX(USER_COMPACT_MIN, 2 * (j->n_ids - j->user_first));
    }
    return HC_OK;
}

static hc_status server_id_elem(jp *j)
{
    if (peek(j) != '"')
        return jp_fail(j, HC_ERR_DATA, "expected a \"host:id\" string");
    return push_id(j, false);
}

static hc_status login_elem(jp *j)
{
    if (peek(j) != '"')
        return jp_fail(j, HC_ERR_DATA, "expected a login string");
    return push_id(j, true);
}

static hc_status user_member(jp *j, const char *key, size_t klen)
{
    if (key_is(key, klen, "github_com_user") ||
        key_is(key, klen, "enterprise_server_user"))
        j->saw_user_field = true;
    unsigned bit = key_is(key, klen, "github_com_login")              ? 1u
                   : key_is(key, klen, "enterprise_server_user_ids")  ? 2u
                   : key_is(key, klen, "headcount_github_com_logins") ? 4u
                                                                      : 0u;
    if (j->user_keys & bit)
        return jp_fail(j, HC_ERR_DATA, "\"%.*s\" given twice in one user",
                       (int)klen, key);
    j->user_keys |= bit;
    if (bit == 1u) {
        j->saw_user_field = true;
        if (at_null(j))
            return skip_literal(j, "null");
        if (peek(j) != '"')
            return jp_fail(j, HC_ERR_DATA,
                           "expected a string or null for github_com_login");
        return push_id(j, true);
    }
    if (bit != 0u) {
        bool ids = bit == 2u;
        j->saw_user_field = true;
        if (at_null(j))
            return skip_literal(j, "null");
        if (peek(j) != '[')
            return jp_fail(j, HC_ERR_DATA, "expected an array of strings");
        return parse_array(j, ids ? server_id_elem : login_elem);
    }
    return skip_value(j);
}

static hc_status user_elem(jp *j)
{
    hc_status rc = HC_OK;

    if (peek(j) != '{')
        return jp_fail(j, HC_ERR_DATA, "expected a user object");
    if (j->n_users == 0) {
        j->first_user_line = j->line;
        j->first_user_col = (uint64_t)(j->p - j->line_start) + 1;
    }
    size_t first = j->n_ids;
    const unsigned char *start = j->p;
    j->user_first = first;
    j->user_arena = j->arena.len;
    j->user_compact_at = USER_COMPACT_MIN;
    j->user_keys = 0;
    HC_TRY(parse_object(j, user_member));

    /* This person's ids, sorted and without repeats. */
    if (j->n_ids - first > 1) {
        compact_user(j);
        qsort_r(j->ids + first, j->n_ids - first, sizeof *j->ids, cmp_ids,
                j->arena.data);
    }
    j->n_users++;
    /* A user naming neither a login nor a server id is nobody a diff
     * could match; listing it would also let "{}," (three bytes) cost a
     * hundred bytes of person tables. It is counted, once when it repeats
     * the entry just before it byte for byte, and its seat stays in the
     * total. */
    if (j->n_ids == first) {
        XXH128_hash_t h = XXH3_128bits(start, (size_t)(j->p - start));
        if (j->last_unnamed && XXH128_isEqual(h, j->last_unnamed_hash))
            j->n_unnamed_repeats++;
        else
            j->n_unnamed++;
        j->last_unnamed = true;
        j->last_unnamed_hash = h;
        goto done;
    }
    j->last_unnamed = false;
    rc = grow(&j->persons, &j->cap_persons, j->n_persons + 1,
              sizeof *j->persons);
    if (rc != HC_OK) {
        rc = jp_fail(j, rc, "too many users");
        goto done;
    }
    person_ent *pe = &j->persons[j->n_persons];
    pe->first = first;
    pe->n = j->n_ids - first;
    pe->n_logins = 0;
    while (pe->n_logins < pe->n && j->ids[first + pe->n_logins].login)
        pe->n_logins++;
    pe->seq = j->n_persons;
    j->n_persons++;
done:
    return rc;
}

static hc_status page_member(jp *j, const char *key, size_t klen)
{
    if (key_is(key, klen, "users")) {
        if (peek(j) != '[')
            return jp_fail(j, HC_ERR_DATA, "expected an array of users");
        /* Readers disagree on which of two "users" counts, as for the
         * keys of a user. */
        if (j->page_users)
            return jp_fail(j, HC_ERR_DATA, "\"users\" given twice in one page");
        j->saw_users = j->page_users = true;
        return parse_array(j, user_elem);
    }
    if (key_is(key, klen, "policy") && peek(j) == '"') {
        const unsigned char *at = j->p;
        hc__buf_clear(&j->str);
        hc_status rc = parse_string(j, &j->str);
        if (rc != HC_OK)
            return rc;
        /* Only the names headcount writes: anything else is not ours. */
        const char *v = j->str.data;
        size_t n = j->str.len;
        if ((n == 6 && memcmp(v, "github", 6) == 0) ||
            (n == 8 && memcmp(v, "extended", 8) == 0)) {
            /* headcount writes one policy per report: pages that name two
             * were put together by hand, and neither fits all users. */
            if (j->policy[0] &&
                (strlen(j->policy) != n || memcmp(j->policy, v, n) != 0)) {
                j->p = at; /* named at the value */
                return jp_fail(j, HC_ERR_DATA,
                               "policy \"%.*s\" after \"%s\" earlier in the "
                               "report: expected one policy",
                               (int)n, v, j->policy);
            }
            memcpy(j->policy, v, n);
            j->policy[n] = '\0';
        }
        return HC_OK;
    }
    if (key_is(key, klen, "total_seats_consumed")) {
        if (at_null(j))
            return skip_literal(j, "null");
        uint64_t v = 0;
        const unsigned char *s = j->p;
        while (peek(j) >= '0' && peek(j) <= '9') {
            unsigned d = (unsigned)(*j->p - '0');
            if (v > (UINT64_MAX - d) / 10)
                return jp_fail(j, HC_ERR_DATA,
                               "total_seats_consumed is "
                               "too large");
            v = v * 10 + d;
            j->p++;
        }
        int c = peek(j);
        if (j->p - s > 1 && *s == '0')
            j->p = s; /* a leading zero: named at the number's start */
        if (j->p == s || (j->p - s > 1 && *s == '0') || c == '.' || c == 'e' ||
            c == 'E')
            return jp_fail(j, HC_ERR_DATA,
                           "expected a non-negative integer "
                           "for total_seats_consumed");
        /* Every page of GitHub's API repeats the same total. */
        if (!j->have_total) {
            j->have_total = true;
            j->total = v;
        }
        return HC_OK;
    }
    return skip_value(j);
}

static hc_status parse_page(jp *j)
{
    j->page_users = false;
    return parse_object(j, page_member);
}

static hc_status page_elem(jp *j)
{
    if (peek(j) != '{')
        return jp_fail(j, HC_ERR_DATA, "expected a page object");
    return parse_page(j);
}

static hc_status parse_report(jp *j)
{
    hc_status rc = HC_OK;
    if (j->end - j->p >= 3 && memcmp(j->p, "\xEF\xBB\xBF", 3) == 0)
        j->p += 3;
    if (j->end - j->p >= 2 &&
        (memcmp(j->p, "\xFF\xFE", 2) == 0 || memcmp(j->p, "\xFE\xFF", 2) == 0))
        return jp_fail(j, HC_ERR_DATA,
                       "input is UTF-16; expected UTF-8 (a JSON report)");
    ws(j);
    if (j->p == j->end)
        return jp_fail(j, HC_ERR_DATA, "empty file: expected a report");
    while (j->p < j->end) {
        if (peek(j) == '{')
            rc = parse_page(j);
        else if (peek(j) == '[')
            rc = parse_array(j, page_elem);
        else
            rc = jp_fail(j, HC_ERR_DATA,
                         "expected a report object or an array of pages "
                         "(reports are read back from JSON, not CSV)");
        if (rc != HC_OK)
            return rc;
        ws(j);
    }
    if (!j->saw_users) {
        /* Known only once the whole document is read: named at its start,
         * without the end-of-input wording of jp_fail. */
        hc__diag_set(j->diag, j->file, 1, 1,
                     "no \"users\" array: not a consumed-licenses report");
        return HC_ERR_DATA;
    }
    if (j->n_users > 0 && !j->saw_user_field) {
        hc__diag_set(j->diag, j->file, j->first_user_line, j->first_user_col,
                     "no users[] entry has github_com_login, "
                     "github_com_user, enterprise_server_user, "
                     "enterprise_server_user_ids or "
                     "headcount_github_com_logins: not a consumed-licenses "
                     "report (a GHES export?)");
        return HC_ERR_DATA;
    }
    return HC_OK;
}

/* Persons sort by their first id, then by all their ids, so that a user
 * listed twice pairs up the same way in two reports whatever the order of
 * the entries; qsort is not stable, and the file order is the last key. */
typedef struct seq_person {
    hc_report_person_info p;
    size_t seq;
} seq_person;

/* By ids (bytes), a shorter list first when it is a prefix of the other;
 * then by how many of them are logins (they come first): a login and a
 * host:id of the same bytes are two ids, so two users are one person only
 * when both agree. */
static int cmp_ids_kinds(const seq_person *a, const seq_person *b)
{
    int c = 0;
    size_t n = HC_MIN(a->p.n_ids, b->p.n_ids);
    for (size_t i = 0; i < n && !c; i++)
        c = cmp_bytes(a->p.ids[i].ptr, a->p.ids[i].len, b->p.ids[i].ptr,
                      b->p.ids[i].len);
    if (c)
        return c;
    if (a->p.n_ids != b->p.n_ids)
        return a->p.n_ids < b->p.n_ids ? -1 : 1;
    if (a->p.n_logins != b->p.n_logins)
        return a->p.n_logins > b->p.n_logins ? -1 : 1;
    return 0;
}

static int cmp_seq_persons(const void *pa, const void *pb)
{
    const seq_person *a = pa, *b = pb;
    int c = cmp_ids_kinds(a, b);
    return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static hc_status build_report(jp *j, hc_report *r)
{
    hc_status rc = HC_OK;
    seq_person *tmp = NULL;

    r->total = j->have_total ? j->total : j->n_users;
    r->n_unnamed = j->n_unnamed;
    memcpy(r->policy, j->policy, sizeof r->policy);
    r->arena = j->arena.data; /* final: pointers into it are stable now */
    j->arena.data = NULL;
    j->arena.len = j->arena.cap = 0;
    if (j->n_ids) {
        r->ids = malloc(j->n_ids * sizeof *r->ids);
        HC_FAIL_IF(!r->ids, HC_ERR_NOMEM);
        for (size_t i = 0; i < j->n_ids; i++) {
            r->ids[i].ptr = r->arena + j->ids[i].off;
            r->ids[i].len = j->ids[i].len;
        }
    }
    /* The parse tables go as soon as they are copied: peak memory per
     * person is what the report keeps plus the sort's array. */
    free(j->ids);
    j->ids = NULL;
    if (j->n_persons) {
        tmp = malloc(j->n_persons * sizeof *tmp);
        HC_FAIL_IF(!tmp, HC_ERR_NOMEM);
        r->persons = malloc(j->n_persons * sizeof *r->persons);
        HC_FAIL_IF(!r->persons, HC_ERR_NOMEM);
    }
    for (size_t i = 0; i < j->n_persons; i++) {
        const person_ent *pe = &j->persons[i];
        hc_report_person_info *p = &tmp[i].p;
        p->n_ids = pe->n;
        p->n_logins = pe->n_logins;
        p->ids = pe->n ? r->ids + pe->first : NULL;
        p->id.ptr = pe->n ? p->ids[0].ptr : "";
        p->id.len = pe->n ? p->ids[0].len : 0;
        tmp[i].seq = pe->seq;
    }
    free(j->persons);
    j->persons = NULL;
    if (j->n_persons > 1)
        qsort(tmp, j->n_persons, sizeof *tmp, cmp_seq_persons);
    /* A user listed again with the same ids is one person, as a repeated
     * row is one account when counting: GitHub's pages can repeat the
     * last user of a page at the top of the next. Sorted, repeats are
     * neighbours. */
    size_t kept = 0;
    for (size_t i = 0; i < j->n_persons; i++) {
        if (i && cmp_ids_kinds(&tmp[i - 1], &tmp[i]) == 0)
            continue;
        r->persons[kept++] = tmp[i].p;
    }
    r->n_persons = kept;
    if (!j->have_total) /* the entries, less the repeats */
        r->total = j->n_users - (j->n_persons - kept) - j->n_unnamed_repeats;
done:
    free(tmp);
    return rc;
}

hc_status hc_report_read(const char *path, hc_report **out, hc_diag *diag)
{
    hc_status rc = HC_OK;
    char *text = NULL;
    size_t len = 0;
    hc_report *r = NULL;
    jp j;

    memset(&j, 0, sizeof j);
    hc__buf_init(&j.key, HC_RECORD_MAX);
    hc__buf_init(&j.str, HC_RECORD_MAX);
    hc__buf_init(&j.arena, REPORT_FILE_MAX);
    HC_FAIL_IF(!path || !out, HC_ERR_ARG);
    *out = NULL;
    /* The readers' loader: plain files, gzip (by magic) and "-" alike. */
    HC_TRY(hc_file_slurp(path, REPORT_FILE_MAX, &text, &len, diag));

    j.file = path;
    j.diag = diag;
    j.p = (const unsigned char *)text;
    j.end = j.p + len;
    j.line_start = j.p;
    j.line = 1;
    HC_TRY(parse_report(&j));
    /* Every string kept is in the arena by now: the file text (up to
     * 1 GiB) goes before the person tables are built. */
    free(text);
    text = NULL;

    r = calloc(1, sizeof *r);
    HC_FAIL_IF(!r, HC_ERR_NOMEM);
    HC_TRY(build_report(&j, r));
    *out = r;
    r = NULL;
done:
    hc_report_destroy(r);
    free(text);
    hc__buf_fini(&j.key);
    hc__buf_fini(&j.str);
    hc__buf_fini(&j.arena);
    free(j.ids);
    free(j.persons);
    return rc;
}

void hc_report_destroy(hc_report *report)
{
    if (!report)
        return;
    free(report->arena);
    free(report->ids);
    free(report->persons);
    free(report);
}

uint64_t hc_report_total_seats(const hc_report *report)
{
    return report ? report->total : 0;
}

uint64_t hc_report_unnamed_count(const hc_report *report)
{
    return report ? report->n_unnamed : 0;
}

const char *hc_report_policy(const hc_report *report)
{
    return report && report->policy[0] ? report->policy : NULL;
}

size_t hc_report_person_count(const hc_report *report)
{
    return report ? report->n_persons : 0;
}

void hc_report_person(const hc_report *report, size_t i,
                      hc_report_person_info *out)
{
    if (!report || i >= report->n_persons) {
        out->id.ptr = "";
        out->id.len = 0;
        out->n_ids = 0;
        out->n_logins = 0;
        out->ids = NULL;
        return;
    }
    *out = report->persons[i];
}
