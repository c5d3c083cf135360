/*
 * The NDJSON fast path (read_ndjson.h). A hand-written scanner for one
 * grammar, smaller than JSON's:
 *
 *   line   = ws '{' ws [member *(ws ',' ws member)] ws '}' ws ('\n' | end)
 *   member = string ws ':' ws value
 *   value  = string | integer | "true" | "false" | "null"
 *          | '[' ws [string *(ws ',' ws string)] ws ']'
 *   string = '"' *(UTF-8 except '"', '\' and controls) '"'
 *   ws     = *(' ' | '\t' | '\r')
 *
 * Every line of that grammar is valid JSON whose strings need no
 * unescaping, so the bytes between the quotes are the values simdjson
 * would return. On top of the grammar the fields must have the types the
 * full reader accepts without a complaint (kind/source/login/primary_email
 * strings, id a number or decimal string, the flags booleans, the lists
 * arrays; null anywhere it means "absent"), each known field at most once,
 * and the record must be a complete GHES or GHEC account. Anything else
 * returns 0 and the caller hands the line to the full reader, so this file
 * never has to produce an error message.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "read_ndjson.h"
#include "read_sink.h"

bool hc__ndjson_fast_off = false;

/*
 * Every scanner below takes the position p and the input's end, and
 * returns the position after what it scanned, or NULL when the line is not
 * of the plain shape. Positions are passed by value, not through a struct:
 * stores through a char pointer may alias anything, and the compiler would
 * reload a position kept in memory after every byte read.
 */

static const char *skip_ws(const char *p, const char *end)
{
    /* Exported lines are compact: one compare settles almost every call,
     * since every blank byte is at most ' '. */
    while (p < end && (unsigned char)*p <= ' ' &&
           (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p;
}

/* Skips blanks and one expected byte c. */
static const char *eat(const char *p, const char *end, char c)
{
    p = skip_ws(p, end);
    return p < end && *p == c ? p + 1 : NULL;
}

/* The closing quote of a string whose body starts at p, or NULL at a byte
 * the plain shape does not allow: a backslash or a control character.
 * *wide is set when the body holds bytes of 0x80 and up, which the caller
 * must check as UTF-8. Values are mostly tens of bytes: SSE2 checks 16 at
 * once. */
static const char *string_end(const char *p, const char *end, bool *wide)
{
    unsigned high = 0;
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i minus1 = _mm_set1_epi8(-1);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* Signed compares: bytes of 0x80 and up are negative, so "below
         * 0x20 and not negative" is exactly the control characters. */
        __m128i ctl =
            _mm_and_si128(_mm_cmplt_epi8(x, space), _mm_cmpgt_epi8(x, minus1));
        __m128i stop = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
            ctl);
        unsigned bits = (unsigned)_mm_movemask_epi8(stop);
        unsigned neg = (unsigned)_mm_movemask_epi8(x);
        if (bits) {
            unsigned at = (unsigned)__builtin_ctz(bits);
            high |= neg & ((1u << at) - 1);
            *wide = high != 0;
            p += at;
            return *p == '"' ? p : NULL;
        }
        high |= neg;
        p += 16;
    }
#endif
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            *wide = high != 0;
            return p;
        }
        if (c == '\\' || c < 0x20)
            return NULL;
        high |= c & 0x80;
    }
    return NULL;
}

/* A string of the plain shape; p is at the opening quote. Bytes of 0x80
 * and up must form valid UTF-8, as simdjson requires of the whole line. */
static const char *string(const char *p, const char *end, hc_str *out)
{
    if (p >= end || *p != '"')
        return NULL;
    bool wide = false;
    const char *q = string_end(p + 1, end, &wide);
    if (!q)
        return NULL;
    out->len = (size_t)(q - (p + 1));
    out->ptr = out->len ? p + 1 : "";
    if (wide && !hc__utf8_is_valid(out->ptr, out->len))
        return NULL;
    return q + 1;
}

/* True when the byte at p ends a number or literal, as JSON needs. */
static bool delimited(const char *p, const char *end)
{
    if (p >= end)
        return true;
    char c = *p;
    return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' ||
           c == '\r' || c == '\n';
}

static const char *literal(const char *p, const char *end, const char *word,
                           size_t n)
{
    if ((size_t)(end - p) < n || memcmp(p, word, n) != 0 ||
        !delimited(p + n, end))
        return NULL;
    return p + n;
}

/* The eight bytes at p, the first in the lowest byte whatever the host's
 * byte order. */
static inline uint64_t load_le64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/*
 * How many of the bytes of w (first byte lowest) are decimal digits before
 * the first other byte, 0 to 8. A byte is a digit when its high nibble is
 * 3 and stays 3 after adding 6. Adding 6 carries into the next byte only
 * from a byte of 0xFA and up, itself not a digit, so it can only disturb
 * bytes after the first non-digit, which are not counted.
 */
static inline unsigned swar_digits(uint64_t w)
{
    const uint64_t nibbles = 0xF0F0F0F0F0F0F0F0u;
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7Fu;
    uint64_t hi = w & nibbles;
    uint64_t hi6 = (w + 0x0606060606060606u) & nibbles;
    uint64_t x = (hi | hi6 >> 4) ^ 0x3333333333333333u; /* 0 for a digit */
    uint64_t other = (((x & low7) + low7) | x) & ~low7;
    return other ? (unsigned)__builtin_ctzll(other) / 8 : 8;
}

/* The value of the first k digits of w (1 <= k <= 8, as swar_digits
 * counted them): the digits moved to the top bytes, then pairs, quads and
 * octets of them combined, each step in place. */
static inline uint64_t swar_value(uint64_t w, unsigned k)
{
    uint64_t d = (w - 0x3030303030303030u) << (8 * (8 - k));
    d = (d * 10 + (d >> 8)) & 0x00FF00FF00FF00FFu;
    d = (d * 100 + (d >> 16)) & 0x0000FFFF0000FFFFu;
    return (d * 10000 + (d >> 32)) & 0xFFFFFFFFu;
}

/* An integer in JSON's syntax without fraction or exponent, of at most
 * max_digits digits; *out gets its value when it is non-negative and fits
 * 64 bits (else *fits is false). simdjson treats integers beyond 64 bits
 * apart, so unknown fields take at most 18 digits, which any 64-bit
 * integer type holds. */
static const char *integer(const char *p, const char *end, size_t max_digits,
                           uint64_t *out, bool *fits)
{
    bool neg = p < end && *p == '-';
    if (neg)
        p++;
    const char *b = p;
    uint64_t v = 0;
    unsigned k = 8;
    /* Ids have a handful of digits: one word holds them all. */
    if (end - p >= 8) {
        uint64_t w = load_le64(p);
        k = swar_digits(w);
        if (k > 0 && k < 8)
            v = swar_value(w, k);
        if (k < 8)
            p += k;
    }
    /* Otherwise the value is taken in a scan of its digits: 19 never
     * overflow, and a longer run (whose sum wraps, harmlessly) is parsed
     * again with the range check. */
    if (k == 8)
        while (p < end && *p >= '0' && *p <= '9')
            v = v * 10 + (unsigned)(*p++ - '0');
    size_t n = (size_t)(p - b);
    if (n == 0 || n > max_digits || (n > 1 && *b == '0') || !delimited(p, end))
        return NULL;
    if (neg) {
        *fits = false;
    } else if (n <= 19) {
        *out = v;
        *fits = true;
    } else {
        *fits = hc__parse_u64(b, n, out);
    }
    return p;
}

/* A list of strings; kept in out (when given) unless empty. */
static const char *strings(const char *p, const char *end, hc__ndjson_list *out)
{
    if (p >= end || *p != '[')
        return NULL;
    const char *q = eat(p + 1, end, ']');
    if (q)
        return q;
    p++;
    for (;;) {
        hc_str v;
        p = string(skip_ws(p, end), end, &v);
        if (!p)
            return NULL;
        if (out && v.len) {
            if (v.len > HC_EMAIL_MAX || out->n == HC__NDJSON_LIST_MAX)
                return NULL;
            out->v[out->n++] = v;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        return p < end && *p == ']' ? p + 1 : NULL;
    }
}

/* A value of an unknown field: any scalar, or a list of strings. */
static const char *skip_value(const char *p, const char *end)
{
    hc_str str;
    uint64_t v;
    bool fits;
    if (p >= end)
        return NULL;
    switch (*p) {
    case '"': return string(p, end, &str);
    case 't': return literal(p, end, "true", 4);
    case 'f': return literal(p, end, "false", 5);
    case 'n': return literal(p, end, "null", 4);
    case '[': return strings(p, end, NULL);
    default: return integer(p, end, 18, &v, &fits);
    }
}

/* kind, source, login, primary_email: a string or null (empty). */
static const char *opt_string(const char *p, const char *end, hc_str *out)
{
    if (p < end && *p == 'n') {
        out->ptr = "";
        out->len = 0;
        return literal(p, end, "null", 4);
    }
    p = string(p, end, out);
    return p && out->len <= HC_EMAIL_MAX ? p : NULL;
}

static const char *opt_bool(const char *p, const char *end, bool *out)
{
    if (p >= end)
        return NULL;
    *out = *p == 't';
    switch (*p) {
    case 't': return literal(p, end, "true", 4);
    case 'f': return literal(p, end, "false", 5);
    case 'n': return literal(p, end, "null", 4);
    default: return NULL;
    }
}

/* An array of strings (empty ones dropped) or null. */
static const char *string_list(const char *p, const char *end,
                               hc__ndjson_list *out)
{
    out->n = 0;
    if (p < end && *p == 'n')
        return literal(p, end, "null", 4);
    return strings(p, end, out);
}

/* id: a non-negative integer, or a string of decimal digits. */
static const char *user_id(const char *p, const char *end, uint64_t *out)
{
    if (p < end && *p == '"') {
        hc_str v;
        p = string(p, end, &v);
        return p && hc__parse_u64(v.ptr, v.len, out) ? p : NULL;
    }
    bool fits = false;
    p = integer(p, end, 20, out, &fits);
    return p && fits ? p : NULL;
}

/* The known fields, numbered densely so that member() dispatches through
 * a table; F_OTHER is any other name. A record notes the fields it has
 * seen in a mask of field_bit()s. */
enum field {
    F_OTHER,
    F_KIND,
    F_SOURCE,
    F_ID,
    F_LOGIN,
    F_PRIMARY,
    F_EMAILS,
    F_SUSPENDED,
    F_VERIFIED,
    F_IDENTITIES,
    F_LICENSED
};

/* Other names may repeat: they have no bit. */
static inline unsigned field_bit(enum field f)
{
    return (1u << f) & ~1u;
}

/* The field whose quoted name, followed at once by the colon, p starts
 * with, and *after past the colon; 0 when the name is not exactly a known
 * one or blanks come before its colon (F_OTHER; see field_of_name). Known names have
 * no escapes, so comparing the quoted bytes is exact, and it spares the
 * string scan and the colon check of nearly every member. */
static enum field known_key(const char *p, const char *end, const char **after)
{
#define KEY(lit, f)                             \
    if ((size_t)(end - p) >= sizeof(lit) - 1 && \
        memcmp(p, lit, sizeof(lit) - 1) == 0) { \
        *after = p + sizeof(lit) - 1;           \
        return f;                               \
    }
    if (end - p < 2)
        return F_OTHER;
    switch (p[1]) {
    case 'k': KEY("\"kind\":", F_KIND); break;
    case 's':
        KEY("\"source\":", F_SOURCE);
        KEY("\"suspended\":", F_SUSPENDED);
        break;
    case 'i':
        KEY("\"id\":", F_ID);
        KEY("\"identity_values\":", F_IDENTITIES);
        break;
    case 'l':
        KEY("\"login\":", F_LOGIN);
        KEY("\"licensed\":", F_LICENSED);
        break;
    case 'p': KEY("\"primary_email\":", F_PRIMARY); break;
    case 'e': KEY("\"emails\":", F_EMAILS); break;
    case 'v': KEY("\"verified_emails\":", F_VERIFIED); break;
    default: break;
    }
    return F_OTHER;
#undef KEY
}

/* The field of an unescaped name, F_OTHER for an unknown one: for names
 * that known_key did not take because blanks stand before their colon. The
 * same names as known_key's, which test_records_fast_path checks. */
static enum field field_of_name(hc_str name)
{
    static const struct {
        const char *name;
        enum field f;
    } fields[] = {{"kind", F_KIND},
                  {"source", F_SOURCE},
                  {"id", F_ID},
                  {"login", F_LOGIN},
                  {"primary_email", F_PRIMARY},
                  {"emails", F_EMAILS},
                  {"suspended", F_SUSPENDED},
                  {"verified_emails", F_VERIFIED},
                  {"identity_values", F_IDENTITIES},
                  {"licensed", F_LICENSED}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strlen(fields[i].name) == name.len &&
            memcmp(fields[i].name, name.ptr, name.len) == 0)
            return fields[i].f;
    return F_OTHER;
}

/* One "key": value member, p at the key's quote. */
static const char *member(const char *p, const char *end, hc__ndjson_rec *r,
                          hc_str *kind, unsigned *seen)
{
    const char *after = NULL;
    enum field f = known_key(p, end, &after);
    if (f != F_OTHER) {
        p = after;
    } else {
        hc_str key;
        p = string(p, end, &key);
        if (!p || !(p = eat(p, end, ':')))
            return NULL;
        f = field_of_name(key); /* known, but spaced from its colon */
    }
    p = skip_ws(p, end);
    unsigned bit = field_bit(f);
    if (*seen & bit)
        return NULL; /* a repeated field: the full reader decides */
    *seen |= bit;
    switch (f) {
    case F_KIND: return opt_string(p, end, kind);
    case F_SOURCE: return opt_string(p, end, &r->source);
    case F_ID: return user_id(p, end, &r->id);
    case F_LOGIN: return opt_string(p, end, &r->login);
    case F_PRIMARY: return opt_string(p, end, &r->primary);
    case F_EMAILS: return string_list(p, end, &r->emails);
    case F_SUSPENDED: return opt_bool(p, end, &r->suspended);
    case F_VERIFIED: return string_list(p, end, &r->verified);
    case F_IDENTITIES: return string_list(p, end, &r->identities);
    case F_LICENSED: return opt_bool(p, end, &r->licensed);
    case F_OTHER: break;
    }
    return skip_value(p, end);
}

size_t hc__ndjson_fast(const char *start, const char *end, hc__ndjson_rec *r)
{
    static const hc_str none = {"", 0};
    hc_str kind = none;
    unsigned seen = 0;
    /* One at a time: a chained assignment stores source, then reads it
     * back whole to copy it, a load the two narrower stores cannot
     * forward, which stalled every line. */
    r->source = none;
    r->login = none;
    r->primary = none;
    r->id = 0;
    r->suspended = r->licensed = false;
    r->emails.n = r->verified.n = r->identities.n = 0;

    const char *p = eat(start, end, '{');
    if (!p)
        return 0;
    p = skip_ws(p, end);
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            p = member(p, end, r, &kind, &seen);
            if (!p)
                return 0;
            p = skip_ws(p, end);
            if (p < end && *p == ',') {
                p = skip_ws(p + 1, end);
                continue;
            }
            if (p >= end || *p != '}')
                return 0;
            p++;
            break;
        }
    }
    p = skip_ws(p, end);
    if (p < end) {
        if (*p != '\n')
            return 0; /* more on this line: the full reader splits it */
        p++;
    }
    if ((size_t)(p - start) > HC_RECORD_MAX ||
        r->source.len > HC_SOURCE_NAME_MAX)
        return 0; /* the full reader reports it */

    if (kind.len == 4 && memcmp(kind.ptr, "ghes", 4) == 0) {
        r->ghec = false;
        if (!r->source.len || !(seen & field_bit(F_ID)) ||
            !(seen & field_bit(F_LOGIN)))
            return 0;
    } else if (kind.len == 4 && memcmp(kind.ptr, "ghec", 4) == 0) {
        r->ghec = true;
        if (!r->source.len) {
            r->source.ptr = "ghec";
            r->source.len = 4;
        }
    } else {
        return 0;
    }
    return (size_t)(p - start);
}
