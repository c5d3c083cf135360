/*
 * Checks that link the accounts a JSON reader delivers to the input, for
 * the read_ghes_json and read_ghec_json targets. A small JSON scanner,
 * written here from RFC 8259, walks the (decompressed) input and notes, for
 * each element of a `users` array of a page (the top-level object of a GHES
 * export; a consumed-licenses page, top level or in a top-level array of
 * pages), every string (unescaped), number and literal inside it, with the
 * field of the user object it sits under, its own key and its depth below
 * the user object. Then, for a load into a recording sink on one thread:
 *
 *  - both: when the load succeeds no page gives "users" twice;
 *  - strict: when the load succeeds the scanner must have read the input,
 *    the reader delivers exactly one account per `users` element, in order
 *    (records = accounts = elements), and account k agrees with element k;
 *  - skip_malformed: when the load succeeds, records = elements, accounts
 *    plus rejected rows = records, and the accounts agree with elements in
 *    order (a subsequence: the elements left out are the rejected ones).
 *
 * "Agrees" means: every non-empty string of the account is the value of
 * the member that documents it (docs/formats.md) in that element: GHES
 * `login` and `primary_email` directly in the user object, each email a
 * string of the `emails` array or the `email`/`address` string of an
 * object in it; GHEC `github_com_login` and `github_com_saml_name_id`
 * directly, each verified email a string of the
 * `github_com_verified_domain_emails` array, and no identity value. An
 * empty string comes from a member that is absent, null or "". The GHES id
 * is the member `id`, as a number with the same digits or a string of
 * digits with the same value; `suspended` true comes from a `true`, false
 * from `false`, `null` or no member; GHEC `licensed` likewise from
 * `github_com_user`, which is required. A GHES source named by the export
 * (no HOST=) is a `host_name` string of the document.
 */
#ifndef HC_FUZZ_JSON_REF_H
#define HC_FUZZ_JSON_REF_H

#include <ctype.h>

#include "fuzz_sink.h"

typedef struct jref_span {
    size_t off, len; /* in jref.arena */
} jref_span;

typedef struct jref_item {
    int64_t elem;    /* the users element it is in, or -1 */
    jref_span field; /* the user object's member it is under */
    jref_span key;   /* the member name closest to it */
    unsigned rel;    /* depth below the user object: 1 = a member's value */
    char kind;       /* 's' string, 'x' string with a bad escape, 'n'
                         number, 't' true, 'f' false, 'z' null */
    jref_span val;   /* string (unescaped) or the token's bytes */
} jref_item;

typedef struct jref {
    const uint8_t *d;
    size_t n, p;
    bool ok;
    fuzz_mem arena;
    jref_item *it;
    size_t n_it, cap_it;
    size_t *elem_first; /* items of element k: [elem_first[k], elem_end[k]) */
    size_t *elem_end;
    size_t *
        elem_at; /* element k's bytes: d[elem_at[k], elem_at[k] + elem_len[k]) */
    size_t *elem_len;
    size_t n_elems, cap_elems;
    bool users_twice; /* a page has two members named "users" */
    /* RFC 8259 to the letter: exact literals, the number grammar, no raw
     * control characters, well-formed UTF-8 and escapes in strings. For a
     * reader that validates every value (the report reader); simdjson's
     * On-Demand readers skip unread values without checking them all. */
    bool strict;
} jref;

/* Where a value sits. */
typedef struct jref_loc {
    int64_t elem;
    jref_span field, key;
    unsigned rel;
} jref_loc;

static inline const char *jref_str(const jref *j, jref_span s)
{
    return j->arena.p ? j->arena.p + s.off : "";
}

static inline bool jref_is(const jref *j, jref_span s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(jref_str(j, s), lit, s.len) == 0;
}

static inline bool jref_eq(const jref *j, jref_span s, const char *p, size_t n)
{
    return s.len == n && (n == 0 || memcmp(jref_str(j, s), p, n) == 0);
}

static inline void jref_ws(jref *j)
{
    while (j->p < j->n && (j->d[j->p] == ' ' || j->d[j->p] == '\t' ||
                           j->d[j->p] == '\n' || j->d[j->p] == '\r'))
        j->p++;
}

static inline void jref_put(jref *j, const void *p, size_t n)
{
    FUZZ_OK(fuzz_mem_write(&j->arena, p, n));
}

static inline void jref_utf8(jref *j, uint32_t cp)
{
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xc0 | cp >> 6), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xe0 | cp >> 12), n = 3;
    } else {
        b[0] = (uint8_t)(0xf0 | cp >> 18), n = 4;
    }
    for (size_t i = 1; i < n; i++)
        b[i] = (uint8_t)(0x80 | ((cp >> (6 * (n - 1 - i))) & 0x3f));
    jref_put(j, b, n);
}

static inline bool jref_hex4(jref *j, uint32_t *out)
{
    uint32_t v = 0;
    if (j->n - j->p < 4)
        return false;
    for (int i = 0; i < 4; i++) {
        uint8_t c = j->d[j->p++];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return false;
    }
    *out = v;
    return true;
}

/* Whether t[0..n) is a JSON literal or number (RFC 8259, section 6). */
static inline bool jref_atom_ok(const uint8_t *t, size_t n)
{
    if ((n == 4 && memcmp(t, "true", 4) == 0) ||
        (n == 5 && memcmp(t, "false", 5) == 0) ||
        (n == 4 && memcmp(t, "null", 4) == 0))
        return true;
    size_t i = 0, b;
    if (i < n && t[i] == '-')
        i++;
    if (i < n && t[i] == '0') {
        i++;
    } else if (i < n && t[i] >= '1' && t[i] <= '9') {
        while (i < n && isdigit(t[i]))
            i++;
    } else {
        return false;
    }
    if (i < n && t[i] == '.') {
        for (b = ++i; i < n && isdigit(t[i]);)
            i++;
        if (i == b)
            return false;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-'))
            i++;
        for (b = i; i < n && isdigit(t[i]);)
            i++;
        if (i == b)
            return false;
    }
    return i == n;
}

/* A string at j->p (a '"'), unescaped into the arena; *bad when an escape
 * is not one JSON allows (or a surrogate is unpaired). In strict mode that,
 * a raw control character or ill-formed UTF-8 ends the scan instead. */
static inline jref_span jref_string(jref *j, bool *bad)
{
    jref_span s = {j->arena.n, 0};
    *bad = false;
    j->p++;
    for (;;) {
        if (j->p >= j->n) {
            j->ok = false;
            break;
        }
        uint8_t c = j->d[j->p++];
        if (c == '"')
            break;
        if (j->strict && c < 0x20) {
            j->ok = false;
            break;
        }
        if (j->strict && c >= 0x80) {
            uint32_t cp;
            size_t len =
                fuzz_utf8_decode(j->d + j->p - 1, j->n - j->p + 1, &cp);
            if (len == 0) {
                j->ok = false;
                break;
            }
            jref_put(j, j->d + j->p - 1, len);
            j->p += len - 1;
            continue;
        }
        if (c != '\\') {
            jref_put(j, &c, 1);
            continue;
        }
        if (j->p >= j->n) {
            j->ok = false;
            break;
        }
        c = j->d[j->p++];
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *m = c ? strchr(from, c) : NULL;
        if (m) {
            jref_put(j, &to[m - from], 1);
            continue;
        }
        uint32_t cp, lo;
        if (c != 'u' || !jref_hex4(j, &cp)) {
            *bad = true;
            continue;
        }
        if (cp >= 0xdc00 && cp <= 0xdfff) {
            *bad = true;
            continue;
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (j->n - j->p < 2 || j->d[j->p] != '\\' ||
                j->d[j->p + 1] != 'u') {
                *bad = true;
                continue;
            }
            j->p += 2;
            if (!jref_hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff) {
                *bad = true;
                continue;
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        jref_utf8(j, cp);
    }
    s.len = j->arena.n - s.off;
    if (j->strict && *bad)
        j->ok = false;
    return s;
}

static inline void jref_item_add(jref *j, const jref_loc *at, char kind,
                                 jref_span val)
{
    if (j->n_it == j->cap_it) {
        j->cap_it = j->cap_it ? 2 * j->cap_it : 64;
        j->it = realloc(j->it, j->cap_it * sizeof *j->it);
        FUZZ_CHECK(j->it != NULL, "out of memory");
    }
    j->it[j->n_it++] =
        (jref_item){at->elem, at->field, at->key, at->rel, kind, val};
}

/* What the value being read is to the reader. */
enum { JREF_PLAIN, JREF_PAGES, JREF_PAGE, JREF_USERS };

static void jref_value(jref *j, const jref_loc *at, int role, int depth);

static inline void jref_object(jref *j, const jref_loc *at, int role, int depth)
{
    j->p++; /* '{' */
    jref_ws(j);
    if (j->p < j->n && j->d[j->p] == '}') {
        j->p++;
        return;
    }
    unsigned n_users = 0;
    while (j->ok) {
        jref_ws(j);
        if (j->p >= j->n || j->d[j->p] != '"') {
            j->ok = false;
            return;
        }
        bool bad;
        jref_span key = jref_string(j, &bad);
        jref_ws(j);
        if (j->p >= j->n || j->d[j->p] != ':') {
            j->ok = false;
            return;
        }
        j->p++;
        jref_loc in = *at;
        in.key = key;
        if (at->elem >= 0) {
            if (at->rel == 0)
                in.field = key;
            in.rel = at->rel + 1;
        }
        bool users = role == JREF_PAGE && jref_is(j, key, "users");
        if (users && ++n_users == 2)
            j->users_twice = true;
        jref_value(j, &in, users ? JREF_USERS : JREF_PLAIN, depth);
        jref_ws(j);
        if (j->p < j->n && j->d[j->p] == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->n && j->d[j->p] == '}') {
            j->p++;
            return;
        }
        j->ok = false;
    }
}

static inline void jref_array(jref *j, const jref_loc *at, int role, int depth)
{
    j->p++; /* '[' */
    jref_ws(j);
    if (j->p < j->n && j->d[j->p] == ']') {
        j->p++;
        return;
    }
    while (j->ok) {
        jref_loc in = *at;
        int inner = role == JREF_PAGES ? JREF_PAGE : JREF_PLAIN;
        if (role == JREF_USERS) {
            if (j->n_elems == j->cap_elems) {
                j->cap_elems = j->cap_elems ? 2 * j->cap_elems : 16;
                j->elem_first =
                    realloc(j->elem_first, j->cap_elems * sizeof(size_t));
                j->elem_end =
                    realloc(j->elem_end, j->cap_elems * sizeof(size_t));
                j->elem_at = realloc(j->elem_at, j->cap_elems * sizeof(size_t));
                j->elem_len =
                    realloc(j->elem_len, j->cap_elems * sizeof(size_t));
                FUZZ_CHECK(j->elem_first && j->elem_end && j->elem_at &&
                               j->elem_len,
                           "out of memory");
            }
            in.elem = (int64_t)j->n_elems;
            in.field = (jref_span){0, 0};
            in.rel = 0;
            j->elem_first[j->n_elems] = j->n_it;
            jref_ws(j); /* the element's bytes start at its first token */
            j->elem_at[j->n_elems] = j->p;
            jref_value(j, &in, inner, depth);
            j->elem_len[j->n_elems] = j->p - j->elem_at[j->n_elems];
            j->elem_end[j->n_elems++] = j->n_it;
        } else {
            if (at->elem >= 0)
                in.rel = at->rel + 1;
            jref_value(j, &in, inner, depth);
        }
        jref_ws(j);
        if (j->p < j->n && j->d[j->p] == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->n && j->d[j->p] == ']') {
            j->p++;
            return;
        }
        j->ok = false;
    }
}

static void jref_value(jref *j, const jref_loc *at, int role, int depth)
{
    jref_ws(j);
    if (j->p >= j->n || depth > 200) {
        j->ok = false;
        return;
    }
    uint8_t c = j->d[j->p];
    if (c == '{') {
        jref_object(j, at, role == JREF_PAGES ? JREF_PAGE : role, depth + 1);
    } else if (c == '[') {
        jref_array(j, at, role, depth + 1);
    } else if (c == '"') {
        bool bad;
        jref_span s = jref_string(j, &bad);
        jref_item_add(j, at, bad ? 'x' : 's', s);
    } else {
        size_t b = j->p;
        while (j->p < j->n && (isalnum(j->d[j->p]) || j->d[j->p] == '+' ||
                               j->d[j->p] == '-' || j->d[j->p] == '.'))
            j->p++;
        if (j->p == b || (j->strict && !jref_atom_ok(j->d + b, j->p - b))) {
            j->ok = false;
            return;
        }
        jref_span tok = {j->arena.n, j->p - b};
        jref_put(j, j->d + b, j->p - b);
        char kind = c == 't' ? 't' : c == 'f' ? 'f' : c == 'n' ? 'z' : 'n';
        jref_item_add(j, at, kind, tok);
    }
}

/* Scans d[0..n): a BOM, then JSON values one after another (strict: see
 * jref). */
static inline void jref_scan(jref *j, const uint8_t *d, size_t n, bool strict)
{
    memset(j, 0, sizeof *j);
    j->strict = strict;
    j->d = d;
    j->n = n;
    j->ok = true;
    if (n >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0)
        j->p = 3;
    jref_loc top = {-1, {0, 0}, {0, 0}, 0};
    jref_ws(j);
    while (j->ok && j->p < j->n) {
        /* A top-level object is a page (or the GHES export); a top-level
         * array holds pages. */
        jref_value(j, &top, j->d[j->p] == '[' ? JREF_PAGES : JREF_PAGE, 0);
        jref_ws(j);
    }
}

static inline void jref_free(jref *j)
{
    fuzz_mem_free(&j->arena);
    free(j->it);
    free(j->elem_first);
    free(j->elem_end);
    free(j->elem_at);
    free(j->elem_len);
}

/* ---------------------------------------------------------- matching */

/* Whether element k has an item under `field` at depth `rel` of a kind in
 * `kinds` (and, when val is not NULL, that string value). */
static inline bool jref_has(const jref *j, size_t k, const char *field,
                            unsigned rel, const char *kinds, const char *val,
                            size_t len)
{
    for (size_t i = j->elem_first[k]; i < j->elem_end[k]; i++) {
        const jref_item *t = &j->it[i];
        if (t->rel == rel && jref_is(j, t->field, field) &&
            strchr(kinds, t->kind) && (!val || jref_eq(j, t->val, val, len)))
            return true;
    }
    return false;
}

/* An optional string member directly in the user object. */
static inline bool jref_opt_string(const jref *j, size_t k, const char *field,
                                   hc_str v)
{
    if (v.len > 0)
        return jref_has(j, k, field, 1, "s", v.ptr, v.len);
    return !jref_has(j, k, field, 1, "sxntf", NULL, 0) ||
           jref_has(j, k, field, 1, "z", NULL, 0) ||
           jref_has(j, k, field, 1, "s", "", 0);
}

/* A GHES email: a string of `emails`, or the email / address string of an
 * object in it. */
static inline bool jref_ghes_email(const jref *j, size_t k, hc_str v)
{
    for (size_t i = j->elem_first[k]; i < j->elem_end[k]; i++) {
        const jref_item *t = &j->it[i];
        if (t->kind != 's' || !jref_is(j, t->field, "emails") ||
            !jref_eq(j, t->val, v.ptr, v.len))
            continue;
        if (t->rel == 2 && jref_is(j, t->key, "emails"))
            return true;
        if (t->rel == 3 &&
            (jref_is(j, t->key, "email") || jref_is(j, t->key, "address")))
            return true;
    }
    return false;
}

/* The id: a number token with its digits, or a string of digits with its
 * value. */
static inline bool jref_ghes_id(const jref *j, size_t k, uint64_t id)
{
    char want[24];
    snprintf(want, sizeof want, "%llu", (unsigned long long)id);
    for (size_t i = j->elem_first[k]; i < j->elem_end[k]; i++) {
        const jref_item *t = &j->it[i];
        if (t->rel != 1 || !jref_is(j, t->field, "id"))
            continue;
        const char *s = jref_str(j, t->val);
        size_t n = t->val.len;
        if (t->kind == 'n' && jref_eq(j, t->val, want, strlen(want)))
            return true;
        if (t->kind != 's' || n == 0 || strspn(s, "0123456789") < n)
            continue;
        while (n > 1 && *s == '0')
            s++, n--;
        if (n == strlen(want) && memcmp(s, want, n) == 0)
            return true;
    }
    return false;
}

/* A flag: true from `true`, false from false, null or no member. */
static inline bool jref_flag(const jref *j, size_t k, const char *field, bool v)
{
    if (v)
        return jref_has(j, k, field, 1, "t", NULL, 0);
    return jref_has(j, k, field, 1, "fz", NULL, 0) ||
           !jref_has(j, k, field, 1, "sxntfz", NULL, 0);
}

/* A field of `names` (NULL-terminated) given twice in element k as a
 * scalar member value, or NULL: the reader refuses such an element
 * (docs/formats.md), so no account may come from it. */
static inline const char *jref_twice(const jref *j, size_t k,
                                     const char *const *names)
{
    for (; *names; names++) {
        unsigned n = 0;
        for (size_t i = j->elem_first[k]; i < j->elem_end[k]; i++)
            n += j->it[i].rel == 1 && jref_is(j, j->it[i].field, *names);
        if (n > 1)
            return *names;
    }
    return NULL;
}

/* Why GHES account a does not agree with element k, or NULL. */
static inline const char *jref_ghes_why(const jref *j, size_t k,
                                        const hc_ghes_account *a)
{
    static const char *const once[] = {"id", "login", "primary_email",
                                       "suspended", NULL};
    const char *twice = jref_twice(j, k, once);
    if (twice)
        return twice;
    if (!jref_ghes_id(j, k, a->id))
        return "id";
    if (!jref_opt_string(j, k, "login", a->login))
        return "login";
    if (!jref_opt_string(j, k, "primary_email", a->primary_email))
        return "primary_email";
    for (size_t i = 0; i < a->n_emails; i++)
        if (a->emails[i].len == 0 || !jref_ghes_email(j, k, a->emails[i]))
            return "emails";
    if (!jref_flag(j, k, "suspended", a->suspended))
        return "suspended";
    return NULL;
}

static inline const char *jref_ghec_why(const jref *j, size_t k,
                                        const hc_ghec_account *a)
{
    static const char *const once[] = {"github_com_login", "github_com_user",
                                       "github_com_saml_name_id", NULL};
    const char *twice = jref_twice(j, k, once);
    if (twice)
        return twice;
    if (!jref_opt_string(j, k, "github_com_login", a->login))
        return "github_com_login";
    if (!jref_opt_string(j, k, "github_com_saml_name_id", a->saml_name_id))
        return "github_com_saml_name_id";
    for (size_t i = 0; i < a->n_verified_emails; i++) {
        hc_str v = a->verified_emails[i];
        if (v.len == 0 || !jref_has(j, k, "github_com_verified_domain_emails",
                                    2, "s", v.ptr, v.len))
            return "github_com_verified_domain_emails";
    }
    if (a->n_identity_values != 0)
        return "identity values";
    if (!jref_has(j, k, "github_com_user", 1, "tfz", NULL, 0) ||
        !jref_flag(j, k, "github_com_user", a->licensed))
        return "github_com_user";
    return NULL;
}

typedef struct jref_run {
    const jref *j;
    bool strict;
    size_t next; /* the next element an account may come from */
} jref_run;

static inline void jref_on_ghes(void *arg, uint64_t n, const hc_ghes_account *a)
{
    jref_run *r = arg;
    if (r->strict) {
        FUZZ_CHECK(n < r->j->n_elems, "account %llu of %zu users elements",
                   (unsigned long long)n, r->j->n_elems);
        const char *why = jref_ghes_why(r->j, n, a);
        FUZZ_CHECK(!why,
                   "GHES account %llu: its %s is not in users element "
                   "%llu",
                   (unsigned long long)n, why, (unsigned long long)n);
        return;
    }
    while (r->next < r->j->n_elems && jref_ghes_why(r->j, r->next, a))
        r->next++;
    FUZZ_CHECK(r->next < r->j->n_elems,
               "skip_malformed: GHES account %llu agrees with no users "
               "element after the previous account's",
               (unsigned long long)n);
    r->next++;
}

static inline void jref_on_ghec(void *arg, uint64_t n, const hc_ghec_account *a)
{
    jref_run *r = arg;
    if (r->strict) {
        FUZZ_CHECK(n < r->j->n_elems, "account %llu of %zu users elements",
                   (unsigned long long)n, r->j->n_elems);
        const char *why = jref_ghec_why(r->j, n, a);
        FUZZ_CHECK(!why,
                   "GHEC account %llu: its %s is not in users element "
                   "%llu",
                   (unsigned long long)n, why, (unsigned long long)n);
        return;
    }
    while (r->next < r->j->n_elems && jref_ghec_why(r->j, r->next, a))
        r->next++;
    FUZZ_CHECK(r->next < r->j->n_elems,
               "skip_malformed: GHEC account %llu agrees with no users "
               "element after the previous account's",
               (unsigned long long)n);
    r->next++;
}

/* Inputs, JSON inputs, and loads (strict, skip_malformed) that succeeded
 * with accounts, for a local measure of how often accounts are checked
 * (HC_FUZZ_REF_STATS=1 prints them every 10000 inputs). */
static uint64_t jref_seen, jref_json, jref_checked[2];

/*
 * Loads data (role GHES without a host, or GHEC) strict and with
 * skip_malformed into a recording sink and checks the accounts against
 * the input as described at the top.
 */
static inline void fuzz_json_ref_check(const uint8_t *data, size_t size,
                                       hc_input_role role)
{
    if (++jref_seen % 10000 == 0 && getenv("HC_FUZZ_REF_STATS"))
        fprintf(stderr,
                "json checks: %llu inputs, %llu JSON, accounts checked in "
                "%llu strict and %llu skip_malformed loads\n",
                (unsigned long long)jref_seen, (unsigned long long)jref_json,
                (unsigned long long)jref_checked[0],
                (unsigned long long)jref_checked[1]);
    const char *path = fuzz_memfd_put(data, size);
    char *text = NULL;
    size_t len = 0;
    hc_diag dg;
    /* gzip is undone by the input layer, which is not under test here. */
    if (hc_file_slurp(path, (size_t)64 << 20, &text, &len, &dg) != HC_OK)
        return;
    /* Only JSON (docs/formats.md: after a BOM and white space, '{' or
     * '['); --ghes HOST= and --ghec also take CSV reports. */
    size_t at = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (at < len && strchr(" \t\r\n", text[at]) && text[at] != '\0')
        at++;
    if (at == len || (text[at] != '{' && text[at] != '[')) {
        free(text);
        return;
    }
    jref_json++;
    jref j;
    jref_scan(&j, (const uint8_t *)text, len, false);
    for (int skip = 0; skip < 2; skip++) {
        jref_run run = {&j, skip == 0, 0};
        fuzz_sink s;
        hc_load_stats st;
        memset(&s, 0, sizeof s);
        s.arg = &run;
        s.on_ghes = jref_on_ghes;
        s.on_ghec = jref_on_ghec;
        if (!j.ok) {
            /* No account may be checked against a scan that failed. */
            s.on_ghes = NULL;
            s.on_ghec = NULL;
        }
        /* pread windows of 4 KiB (not 4 MiB) keep each load cheap; a page
         * that does not fit is read in the mapping. */
        hc__read_tuning t = {0, 0, 4096, 0};
        hc_status rc =
            fuzz_sink_load(&s, path, role, NULL, skip != 0, &t, &st, &dg);
        if (rc == HC_OK) {
            const char *mode = skip ? "skip_malformed" : "strict";
            FUZZ_CHECK(j.ok,
                       "%s: the reader reads what the scanner cannot "
                       "read as JSON values (at byte %zu)",
                       mode, j.p);
            /* JSON leaves open which of two "users" counts. */
            FUZZ_CHECK(!j.users_twice, "%s: a page with 'users' twice is read",
                       mode);
            FUZZ_CHECK(st.records == j.n_elems && st.accounts == s.n_accounts &&
                           st.accounts + st.rejected == st.records &&
                           s.rejected == st.rejected &&
                           (skip || st.rejected == 0),
                       "%s: %zu users elements, records %llu accounts %llu "
                       "(sink %llu) rejected %llu (sink %llu)",
                       mode, j.n_elems, (unsigned long long)st.records,
                       (unsigned long long)st.accounts,
                       (unsigned long long)s.n_accounts,
                       (unsigned long long)st.rejected,
                       (unsigned long long)s.rejected);
            jref_checked[skip] += s.n_accounts > 0;
            if (role == HC_INPUT_GHES) {
                bool named = false;
                for (size_t i = 0; i < j.n_it && !named; i++)
                    named = j.it[i].elem < 0 && j.it[i].kind == 's' &&
                            jref_is(&j, j.it[i].key, "host_name") &&
                            s.n_names == 1 &&
                            jref_eq(&j, j.it[i].val, s.names[0], s.name_len[0]);
                FUZZ_CHECK(named,
                           "%s: source \"%.*s\" is no host_name of "
                           "the export",
                           mode, (int)s.name_len[0], s.names[0]);
            }
        }
        fuzz_mem_free(&s.log);
    }
    jref_free(&j);
    free(text);
}

#endif /* HC_FUZZ_JSON_REF_H */
