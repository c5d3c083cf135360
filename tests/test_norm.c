/*
 * Tests of normalization norm_v1 and the verified-domain matcher: a table
 * of inputs with their expected keys, idempotence over that table, the
 * agreement of the ASCII fast paths with the libidn2 / libunistring slow
 * paths, a sweep over the Unicode scalar values, seeded randomized runs
 * against a plain reference for ASCII input and shape invariants for any
 * input, and the domain matcher against a linear-scan reference.
 * Set HC_TEST_SEED to replay a randomized run (the seed is printed) and
 * HC_TEST_FILTER to run only the tests whose names match a pattern.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "headcount/norm.h"
#include "norm_internal.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static uint64_t g_seed;

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64: small, good enough, and the same on every platform */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t rng_below(uint64_t *s, size_t n)
{
    return rng_next(s) % n;
}

/* Escapes bytes for failure messages (out holds 4 * n + 1). */
static const char *escape(const void *p, size_t n, char *out, size_t cap)
{
    const unsigned char *b = p;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        if (b[i] >= 0x21 && b[i] < 0x7f && b[i] != '\\')
            out[o++] = (char)b[i];
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", b[i]);
    }
    out[o] = '\0';
    return out;
}

#define ESC_CAP (4 * HC_EMAIL_MAX + 64)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN_OF(a, b) ((a) < (b) ? (a) : (b))

/*
 * A copy of the input in a heap block of exactly len bytes, so that
 * AddressSanitizer catches any read past len. Free with free().
 */
static char *exact_copy(const void *in, size_t len)
{
    if (in == NULL)
        return NULL;
    char *exact = malloc(len ? len : 1);
    assert_non_null(exact);
    memcpy(exact, in, len);
    return exact;
}

static void normalize_ok(const void *in, size_t len, char *out, size_t *n)
{
    char *exact = exact_copy(in, len);
    assert_int_equal(hc_email_normalize(exact, len, out, n), HC_OK);
    free(exact);
    assert_true(*n <= HC_KEY_MAX);
    assert_int_equal(out[*n], '\0');
    assert_int_equal(strlen(out), *n);
}

/* hc_domain_normalize (or the forced-IDNA path) on an exact-size copy. */
static void domain_ok(bool force_idna, const void *in, size_t len, char *out,
                      size_t *n)
{
    char *exact = exact_copy(in, len);
    hc_status st = force_idna ? hc__domain_normalize_idna(exact, len, out, n)
                              : hc_domain_normalize(exact, len, out, n);
    free(exact);
    assert_int_equal(st, HC_OK);
    assert_true(*n <= HC_DOMAIN_MAX);
    assert_int_equal(out[*n], '\0');
    assert_int_equal(strlen(out), *n);
}

/* Encodes a scalar value as UTF-8; returns the length. */
static size_t utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Decodes one UTF-8 scalar value strictly (no overlongs, surrogates or
 * values above U+10FFFF). Returns its length, 0 when invalid.
 */
static size_t utf8_get(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t k;
    uint32_t min;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    } else if (p[0] >= 0xC0 && p[0] < 0xE0) {
        k = 2, min = 0x80, *cp = p[0] & 0x1Fu;
    } else if (p[0] >= 0xE0 && p[0] < 0xF0) {
        k = 3, min = 0x800, *cp = p[0] & 0x0Fu;
    } else if (p[0] >= 0xF0 && p[0] < 0xF8) {
        k = 4, min = 0x10000, *cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (p[i] & 0x3Fu);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return k;
}

/* The Unicode White_Space property (PropList.txt, stable since 6.3). */
static bool is_white_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static bool is_control(uint32_t c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

/* The shape every domain key must have, checked plainly. */
static bool domain_is_well_formed(const char *d, size_t n)
{
    if (n == 0 || n > HC_DOMAIN_MAX)
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && d[i] != '.') {
            char c = d[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_'))
                return false;
            continue;
        }
        size_t ll = i - start;
        if (ll == 0 || ll > 63 || d[start] == '-' || d[i - 1] == '-')
            return false;
        start = i + 1;
    }
    return true;
}

/* The shape every key must have after normalizing (rule 6 and friends). */
static bool key_is_well_formed(const char *k, size_t n)
{
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (k[i] == '@')
            at = k + i;
    if (n == 0 || n > HC_KEY_MAX || at == NULL)
        return false;
    size_t ln = (size_t)(at - k);
    if (ln == 0 || ln > 64)
        return false;
    const unsigned char *p = (const unsigned char *)k;
    for (size_t i = 0; i < ln;) {
        uint32_t cp;
        size_t m = utf8_get(p + i, ln - i, &cp);
        if (m == 0 || is_control(cp) || is_white_space(cp) ||
            (cp >= 'A' && cp <= 'Z'))
            return false;
        i += m;
    }
    return domain_is_well_formed(at + 1, n - ln - 1);
}

/* Asserts that key is well formed and normalizes to itself. */
static void assert_fixed_point(const char *key, size_t n, const char *what)
{
    char esc[ESC_CAP];
    char again[HC_KEY_MAX + 1];
    size_t again_len;
    if (!key_is_well_formed(key, n))
        fail_msg("%s: key is not well formed: %s (seed %llu)", what,
                 escape(key, n, esc, sizeof esc), (unsigned long long)g_seed);
    normalize_ok(key, n, again, &again_len);
    if (again_len != n || memcmp(again, key, n) != 0)
        fail_msg("%s: not a fixed point: %s (seed %llu)", what,
                 escape(key, n, esc, sizeof esc), (unsigned long long)g_seed);
}

/* ------------------------------------------------------------------------ */
/* The table                                                                 */

typedef struct norm_case {
    const char *in;
    size_t len;
    const char *want; /* NULL: no key */
} norm_case;

#define K(s, w)             \
    {                       \
        s, sizeof(s) - 1, w \
    }
#define NOKEY(s)               \
    {                          \
        s, sizeof(s) - 1, NULL \
    }

#define A10 "aaaaaaaaaa"
#define A64 A10 A10 A10 A10 A10 A10 "aaaa"
#define A65 A64 "a"
#define L61 A10 A10 A10 A10 A10 A10 "b"
#define L62 L61 "c"
#define L63 L62 "d"
#define L64 L63 "e"
/* Domains of 189, 190, 252 and 253 octets. */
#define D189 L63 "." L63 "." L61
#define D190 L63 "." L63 "." L62
#define L60X A10 A10 A10 A10 A10 A10
#define D252 L63 "." L63 "." L63 "." L60X
#define D253 L63 "." L63 "." L63 "." L61

#define E4     \
    "\xc3\xa9" \
    "\xc3\xa9" \
    "\xc3\xa9" \
    "\xc3\xa9"
#define E32 E4 E4 E4 E4 E4 E4 E4 E4 /* 32 x U+00E9: 64 octets */
#define NFD4    \
    "e\xcc\x81" \
    "e\xcc\x81" \
    "e\xcc\x81" \
    "e\xcc\x81"
#define NFD32 NFD4 NFD4 NFD4 NFD4 NFD4 NFD4 NFD4 NFD4
#define NFDU4   \
    "E\xcc\x81" \
    "E\xcc\x81" \
    "E\xcc\x81" \
    "E\xcc\x81"
#define NFDU32 NFDU4 NFDU4 NFDU4 NFDU4 NFDU4 NFDU4 NFDU4 NFDU4
#define KELVIN "\xe2\x84\xaa"
#define KELVIN8 KELVIN KELVIN KELVIN KELVIN KELVIN KELVIN KELVIN KELVIN
#define KELVIN64 KELVIN8 KELVIN8 KELVIN8 KELVIN8 KELVIN8 KELVIN8 KELVIN8 KELVIN8
#define K8 "kkkkkkkk"
#define K64 K8 K8 K8 K8 K8 K8 K8 K8
#define IDOT "\xc4\xb0" /* U+0130: lowercases to i + U+0307, 3 octets */
#define IDOT7 IDOT IDOT IDOT IDOT IDOT IDOT IDOT
#define IDOT21 IDOT7 IDOT7 IDOT7
#define ILOW "i\xcc\x87"
#define ILOW7 ILOW ILOW ILOW ILOW ILOW ILOW ILOW
#define ILOW21 ILOW7 ILOW7 ILOW7

/* clang-format off */
static const norm_case g_cases[] = {
    /* ASCII and ASCII case */
    K("alice@example.com", "alice@example.com"),
    K("Alice@Example.COM", "alice@example.com"),
    K("ALICE@EXAMPLE.COM", "alice@example.com"),
    K("a@b", "a@b"),
    K("user@localhost", "user@localhost"),
    K("user@192.0.2.1", "user@192.0.2.1"),
    K("O'Brien@Example.com", "o'brien@example.com"),
    K("x!#$%&*/=?^`{|}~@example.com", "x!#$%&*/=?^`{|}~@example.com"),
    /* whitespace: trimmed at the ends, rejected inside */
    K("  alice@example.com  ", "alice@example.com"),
    K("\talice@example.com\r\n", "alice@example.com"),
    K("\r\n\v\f alice@example.com \t\r\n", "alice@example.com"),
    K("alice@example.com\n", "alice@example.com"),
    NOKEY("alice @example.com"),
    NOKEY("al ice@example.com"),
    NOKEY("alice@ example.com"),
    NOKEY("alice@exa mple.com"),
    NOKEY("alice@example.com ."),
    NOKEY("al\tice@example.com"),
    NOKEY("alice@example\r\n.com"),
    NOKEY("   "),
    NOKEY("\xc2\xa0" "alice@example.com"), /* NBSP is not trimmed */
    NOKEY("alice@example.com\xc2\xa0"),
    NOKEY("al\xc2\xa0ice@example.com"),
    NOKEY("al\xe3\x80\x80ice@example.com"), /* U+3000 */
    NOKEY("al\xe2\x80\xa8ice@example.com"), /* U+2028 */
    NOKEY("al\xe2\x80\x83ice@example.com"), /* U+2003 */
    NOKEY("\x1c" "alice@example.com"), /* C0, not whitespace */
    /* trailing dot: exactly one is dropped */
    K("alice@example.com.", "alice@example.com"),
    K("alice@Example.COM. ", "alice@example.com"),
    NOKEY("alice@example.com.."),
    NOKEY("alice@."),
    NOKEY("alice@.example.com"),
    NOKEY("alice@example..com"),
    NOKEY("alice@example.com\xe3\x80\x82"), /* U+3002 maps to '.' */
    /* splitting at the last '@' */
    NOKEY("@example.com"),
    NOKEY("alice@"),
    NOKEY("alice"),
    NOKEY(""),
    NOKEY("@"),
    NOKEY("@@"),
    NOKEY("alice@example.com@"),
    K("a@b@example.com", "a@b@example.com"),
    K("A@B@Example.com", "a@b@example.com"),
    K("@@example.com", "@@example.com"),
    /* quoted local parts */
    NOKEY("\"john doe\"@example.com"),
    NOKEY("\"john\tdoe\"@example.com"),
    K("\"John.Doe\"@example.com", "\"john.doe\"@example.com"),
    K("\"a@b\"@Example.com", "\"a@b\"@example.com"),
    K("\"\"@example.com", "\"\"@example.com"),
    /* no provider rules */
    K("alice+tag@example.com", "alice+tag@example.com"),
    K("First.Last+GitHub@GMail.com", "first.last+github@gmail.com"),
    K("f.i.r.s.t@gmail.com", "f.i.r.s.t@gmail.com"),
    K("alice+@example.com", "alice+@example.com"),
    /* control characters and NUL */
    NOKEY("alice\0@example.com"),
    NOKEY("\0alice@example.com"),
    NOKEY("alice@example.com\0"),
    NOKEY("alice@exa\0mple.com"),
    NOKEY("ali\x01" "ce@example.com"),
    NOKEY("alice@exa\x7fmple.com"),
    NOKEY("alice\x7f@example.com"),
    NOKEY("alice\x1b[0m@example.com"),
    NOKEY("ali\xc2\x85" "ce@example.com"), /* U+0085 */
    NOKEY("\xc2\x80" "alice@example.com"), /* U+0080 */
    NOKEY("alice@exam\xc2\x9fple.com"), /* U+009F */
    NOKEY("j\xc3\xa9r\xc3\xb4me\x01@example.com"), /* C0 on the slow path */
    NOKEY("\xc3\xa9@b\xc3\xbc" "cher\x01.example"),
    /* IDN domains */
    K("user@b\xc3\xbc" "cher.example", "user@xn--bcher-kva.example"),
    K("user@xn--bcher-kva.example", "user@xn--bcher-kva.example"),
    K("user@XN--BCHER-KVA.EXAMPLE", "user@xn--bcher-kva.example"),
    K("user@Xn--Bcher-Kva.example", "user@xn--bcher-kva.example"),
    K("user@B\xc3\x9c" "CHER.example", "user@xn--bcher-kva.example"),
    K("user@bu\xcc\x88" "cher.example", "user@xn--bcher-kva.example"),
    K("user@\xc3\x84rger.example.", "user@xn--rger-koa.example"),
    K("user@fa\xc3\x9f.de", "user@xn--fa-hia.de"),
    K("user@Stra\xc3\x9f" "e.de", "user@xn--strae-oqa.de"),
    /* Capital sharp s is the small one, kept: not fass.de, another domain */
    K("user@FA\xe1\xba\x9e.DE", "user@xn--fa-hia.de"),
    K("user@STRA\xe1\xba\x9e" "E.DE", "user@xn--strae-oqa.de"),
    K("user@\xe1\xba\x9e\xe1\xba\x9e.example", "user@xn--zcaa.example"),
    K("user@\xe4\xbe\x8b\xe5\xad\x90.\xe6\xb5\x8b\xe8\xaf\x95",
      "user@xn--fsqu00a.xn--0zwm56d"),
    K("user@xn--fsqu00a.XN--0ZWM56D", "user@xn--fsqu00a.xn--0zwm56d"),
    K("user@a\xef\xbc\x8e" "example", "user@a.example"), /* U+FF0E */
    K("user@ex\xc2\xad" "ample.com", "user@example.com"), /* U+00AD */
    K("user@\xef\xbd\x85xample.com", "user@example.com"), /* U+FF45 */
    K("user@" KELVIN ".example", "user@k.example"),
    K("user@a=\xcc\xb8.example", "user@xn--a-ufo.example"), /* U+2260 */
    NOKEY("user@\xf0\x9f\x98\x80.example"), /* emoji */
    NOKEY("user@xn--ls8h.example"), /* emoji */
    NOKEY("user@xn--bcher-kvb.example"),
    NOKEY("user@xn--.example"),
    NOKEY("user@xn--abc-.example"),
    NOKEY("user@a\xe2\x80\x8d" "b.example"), /* ZWJ */
    NOKEY("user@b\xfc" "cher.example"), /* Latin-1 */
    /* ASCII domain shape */
    NOKEY("user@ab--cd.example"),
    NOKEY("user@r3---sn-abc.example"),
    NOKEY("user@-a.example"),
    NOKEY("user@a-.example"),
    NOKEY("user@a.-b"),
    K("user@a-b.example", "user@a-b.example"),
    NOKEY("user@a--.example"),
    K("user@a_b.example", "user@a_b.example"),
    K("user@_dmarc.Example", "user@_dmarc.example"),
    K("user@A_B.Example", "user@a_b.example"),
    K("user@_.example", "user@_.example"),
    NOKEY("user@a!b.example"),
    NOKEY("user@a*.example"),
    NOKEY("user@[192.0.2.1]"),
    NOKEY("user@exa/mple.com"),
    /* local parts: NFC and Unicode lowercase */
    K("\xc3\xa9@example.com", "\xc3\xa9@example.com"),
    K("e\xcc\x81@example.com", "\xc3\xa9@example.com"),
    K("E\xcc\x81@example.com", "\xc3\xa9@example.com"),
    K("\xc3\x89@example.com", "\xc3\xa9@example.com"),
    K("\xc3\x84nne@example.com", "\xc3\xa4nne@example.com"),
    K("\xc3\xa4nne@example.com", "\xc3\xa4nne@example.com"),
    K("Jos\xc3\x89@B\xc3\x9c" "CHER.example",
      "jos\xc3\xa9@xn--bcher-kva.example"),
    K("\xce\xa3\xce\xa9\xce\xa3@example.com",
      "\xcf\x83\xcf\x89\xcf\x82@example.com"), /* final sigma */
    K("\xce\x9f\xce\x94\xce\xa5\xce\xa3\xce\xa3\xce\x95\xce\xa5\xce\xa3"
      "@example.com",
      "\xce\xbf\xce\xb4\xcf\x85\xcf\x83\xcf\x83\xce\xb5\xcf\x85\xcf\x82"
      "@example.com"),
    K("\xce\x91\xcc\x81@example.com", "\xce\xac@example.com"),
    K(IDOT "stanbul@example.com", ILOW "stanbul@example.com"),
    K("\xc4\xb1@example.com", "\xc4\xb1@example.com"), /* dotless i */
    /* lowercase output that is not NFC until normalized again */
    K("H\xcc\xb1@example.com", "\xe1\xba\x96@example.com"), /* U+1E96 */
    K("J\xcc\x8c@example.com", "\xc7\xb0@example.com"), /* U+01F0 */
    K(IDOT "\xcc\x96@example.com", "i\xcc\x96\xcc\x87@example.com"),
    K("I@example.com", "i@example.com"),
    K(KELVIN "@example.com", "k@example.com"),
    K("\xe2\x84\xa6@example.com", "\xcf\x89@example.com"), /* ohm sign */
    K("stra\xc3\x9f" "e@example.com", "stra\xc3\x9f" "e@example.com"),
    K("\xe1\xba\x9e@example.com", "\xc3\x9f@example.com"), /* U+1E9E */
    K("\xc7\x85@example.com", "\xc7\x86@example.com"), /* titlecase */
    K("\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8@example.com",
      "\xea\xb0\x81@example.com"), /* Hangul */
    K("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd@example.com",
      "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@example.com"),
    K("\xef\xbc\xa1@example.com", "\xef\xbd\x81@example.com"), /* not NFKC */
    K("\xf0\x90\x90\x80@example.com", "\xf0\x90\x90\xa8@example.com"),
    K("\xf0\x9f\x98\x80@example.com", "\xf0\x9f\x98\x80@example.com"),
    K("a\xe2\x80\x8b" "b@example.com", "a\xe2\x80\x8b" "b@example.com"),
    /* invalid UTF-8 */
    NOKEY("\xc0\xaf@example.com"), /* overlong '/' */
    NOKEY("\xe0\x80\xaf@example.com"), /* overlong, 3 octets */
    NOKEY("\xf0\x80\x80\xaf@example.com"), /* overlong, 4 octets */
    NOKEY("\xed\xa0\x80@example.com"), /* U+D800 */
    NOKEY("\xed\xbf\xbf@example.com"), /* U+DFFF */
    NOKEY("\xc3@example.com"), /* truncated */
    NOKEY("alice@example.\xe2\x82"), /* truncated at end */
    NOKEY("\x80" "alice@example.com"), /* lone continuation */
    NOKEY("\xf4\x90\x80\x80@example.com"), /* above U+10FFFF */
    NOKEY("\xff@example.com"),
    NOKEY("\xfe\xff" "a@example.com"),
    /* lengths, measured after normalizing */
    K(A64 "@example.com", A64 "@example.com"),
    NOKEY(A65 "@example.com"),
    NOKEY("B" A64 "@example.com"),
    K(E32 "@example.com", E32 "@example.com"),
    NOKEY(E32 "a@example.com"),
    K(NFD32 "@example.com", E32 "@example.com"),
    K(NFDU32 "@example.com", E32 "@example.com"),
    NOKEY(NFD32 "e@example.com"),
    K(KELVIN64 "@example.com", K64 "@example.com"),
    NOKEY(KELVIN64 KELVIN "@example.com"),
    K(IDOT21 "@example.com", ILOW21 "@example.com"),
    K(IDOT21 "I@example.com", ILOW21 "i@example.com"),
    NOKEY(IDOT21 IDOT "@example.com"),
    K(A64 "@" D189, A64 "@" D189),
    K(A64 "@" D189 ".", A64 "@" D189),
    K(E32 "@" D189, E32 "@" D189),
    NOKEY(A64 "@" D190),
    K("a@" D252, "a@" D252),
    NOKEY("a@" D253),
    K("user@" L63 ".example", "user@" L63 ".example"),
    NOKEY("user@" L64 ".example"),
    NOKEY("user@\xc3\xbc" L62 ".example"), /* A-label > 63 */
};
/* clang-format on */

static void test_table(void **state)
{
    (void)state;
    char esc[ESC_CAP];
    char out[HC_KEY_MAX + 1];
    size_t n;
    assert_true(ARRAY_LEN(g_cases) >= 100);
    for (size_t i = 0; i < ARRAY_LEN(g_cases); i++) {
        const norm_case *c = &g_cases[i];
        normalize_ok(c->in, c->len, out, &n);
        if (c->want == NULL && n != 0)
            fail_msg("case %zu %s: want no key, got %s", i,
                     escape(c->in, c->len, esc, sizeof esc), out);
        if (c->want != NULL &&
            (n != strlen(c->want) || memcmp(out, c->want, n) != 0))
            fail_msg("case %zu %s: want %s, got %s", i,
                     escape(c->in, c->len, esc, sizeof esc), c->want,
                     n ? out : "(no key)");
        if (n == 0)
            assert_string_equal(out, "");
    }
}

/* Every key in the table normalizes to itself. */
static void test_table_idempotent(void **state)
{
    (void)state;
    char out[HC_KEY_MAX + 1];
    size_t n;
    for (size_t i = 0; i < ARRAY_LEN(g_cases); i++) {
        const norm_case *c = &g_cases[i];
        normalize_ok(c->in, c->len, out, &n);
        if (n != 0)
            assert_fixed_point(out, n, "table");
    }
}

/* The domain half of each table key is what hc_domain_normalize gives. */
static void test_table_domains(void **state)
{
    (void)state;
    char out[HC_KEY_MAX + 1];
    char dom[HC_DOMAIN_MAX + 1];
    size_t n, dn;
    for (size_t i = 0; i < ARRAY_LEN(g_cases); i++) {
        const norm_case *c = &g_cases[i];
        if (c->want == NULL)
            continue;
        const char *at = strrchr(c->want, '@');
        const char *in_at = NULL;
        for (size_t j = 0; j < c->len; j++)
            if (c->in[j] == '@')
                in_at = c->in + j;
        assert_non_null(at);
        assert_non_null(in_at);
        size_t in_dn = c->len - (size_t)(in_at + 1 - c->in);
        domain_ok(false, in_at + 1, in_dn, dom, &dn);
        assert_string_equal(dom, at + 1);
        normalize_ok(c->in, c->len, out, &n);
        assert_string_equal(out, c->want);
    }
}

/* Inputs built at run time: the raw-length cap and arguments. */
static void test_limits(void **state)
{
    (void)state;
    static char big[HC_EMAIL_MAX + 2];
    static const char tail[] = "alice@example.com";
    char out[HC_KEY_MAX + 1];
    size_t n;

    /* HC_EMAIL_MAX octets in: fine, even though most of it is padding. */
    memset(big, ' ', sizeof big);
    memcpy(big + HC_EMAIL_MAX - (sizeof tail - 1), tail, sizeof tail - 1);
    normalize_ok(big, HC_EMAIL_MAX, out, &n);
    assert_string_equal(out, "alice@example.com");
    /* One more octet: no key, whatever it holds. */
    normalize_ok(big, HC_EMAIL_MAX + 1, out, &n);
    assert_int_equal(n, 0);
    domain_ok(false, big, HC_EMAIL_MAX + 1, out, &n);
    assert_int_equal(n, 0);

    /* Soft hyphens vanish under UTS#46: a long raw domain can be short. */
    size_t o = 0;
    for (int i = 0; i < 1000; i++) {
        big[o++] = '\xc2';
        big[o++] = '\xad';
    }
    memcpy(big + o, "example.com", 11);
    o += 11;
    domain_ok(false, big, o, out, &n);
    assert_string_equal(out, "example.com");

    /* Zero-length and NULL-with-zero-length inputs. */
    normalize_ok(NULL, 0, out, &n);
    assert_int_equal(n, 0);
    domain_ok(false, NULL, 0, out, &n);
    assert_int_equal(n, 0);

    /* The input is read only within len: a key ends where len says. */
    normalize_ok("bob@example.com.evil", 15, out, &n);
    assert_string_equal(out, "bob@example.com");
}

/* ------------------------------------------------------------------------ */
/* ASCII fast paths against the slow paths                                   */

static const char *const g_domains_ascii[] = {
    "example.com",
    "Example.COM",
    "EXAMPLE.COM.",
    "a",
    "A",
    "0",
    "_",
    "a_b.example",
    "_dmarc.example",
    "-a.example",
    "a-.example",
    "ab--cd.example",
    "a--b.example",
    "ab-cd.example",
    "a-b-c.example",
    "xn--bcher-kva.example",
    "XN--BCHER-KVA.example",
    "xN--bcher-kva",
    "xn--",
    "xn-",
    "xn--a",
    "xn--abc-",
    "xn--ls8h",
    "x-n--a",
    "xn-a",
    "a..b",
    ".a",
    "a.",
    "a.b.",
    "a.b..",
    ".",
    "..",
    "",
    " ",
    "1.2.3.4",
    "[1.2.3.4]",
    "a!b",
    "a b",
    "a\tb",
    "a*b",
    "a@b",
    "a/b",
    "a+b",
    "localhost",
    "LOCALHOST.",
    "  padded.example  ",
    "-",
    "--",
    "a-",
    "r3---sn-abc.example",
    "ab--",
    "abc--",
    "a\x7f"
    "b",
    "a\x01",
    L63,
    L64,
    L63 "." L63,
    D189,
    D253,
    D253 ".",
    D253 "a",
    D253 ".a",
};

static void expect_domains_agree(const char *d, size_t n, const char *what)
{
    char fast[HC_DOMAIN_MAX + 1];
    char slow[HC_DOMAIN_MAX + 1];
    char esc[ESC_CAP];
    size_t fn, sn;
    domain_ok(false, d, n, fast, &fn);
    domain_ok(true, d, n, slow, &sn);
    if (fn != sn || memcmp(fast, slow, fn) != 0)
        fail_msg("%s %s: fast path %s, libidn2 %s (seed %llu)", what,
                 escape(d, n, esc, sizeof esc), fn ? fast : "(no key)",
                 sn ? slow : "(no key)", (unsigned long long)g_seed);
    if (fn != 0 && !domain_is_well_formed(fast, fn))
        fail_msg("%s: bad domain %s", what, fast);
}

static void test_domain_fast_agrees_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(g_domains_ascii); i++)
        expect_domains_agree(g_domains_ascii[i], strlen(g_domains_ascii[i]),
                             "table");
}

static size_t gen_ascii_domain(uint64_t *rng, char *buf)
{
    static const char alpha[] = "aAzZxXnN09-_..-!* \x01";
    static const char ldh[] = "aAbZxXnN09-_";
    size_t n = 0;
    if (rng_below(rng, 3) == 0) {
        size_t len = rng_below(rng, 24);
        for (size_t i = 0; i < len; i++)
            buf[n++] = alpha[rng_below(rng, sizeof alpha - 1)];
        return n;
    }
    size_t labels = 1 + rng_below(rng, 5);
    for (size_t l = 0; l < labels; l++) {
        if (l > 0)
            buf[n++] = '.';
        size_t len =
            rng_below(rng, 8) == 0 ? 60 + rng_below(rng, 6) : rng_below(rng, 7);
        for (size_t i = 0; i < len; i++)
            buf[n++] = ldh[rng_below(rng, sizeof ldh - 1)];
    }
    if (rng_below(rng, 4) == 0)
        buf[n++] = '.';
    return n;
}

static void test_domain_fast_agrees_random(void **state)
{
    (void)state;
    uint64_t rng = g_seed ^ 0xd0;
    char buf[512];
    for (int it = 0; it < 20000; it++) {
        size_t n = gen_ascii_domain(&rng, buf);
        expect_domains_agree(buf, n, "random");
    }
}

/* The ASCII local-part path agrees with NFC + u8_tolower on ASCII. */
/* hc_email_normalize on local@a.example against libunistring on local. */
static void expect_local_agrees(const char *local, size_t n)
{
    char email[256];
    char out[HC_KEY_MAX + 1];
    char slow[HC__LOCAL_MAX];
    char esc[ESC_CAP];
    size_t on, sn;
    assert_true(n + 10 <= sizeof email);
    memcpy(email, local, n);
    memcpy(email + n, "@a.example", 10);
    normalize_ok(email, n + 10, out, &on);
    assert_int_equal(hc__local_normalize_unicode(local, n, slow, &sn), HC_OK);
    bool same = on == 0 ? sn == 0
                        : (sn + 10 == on && memcmp(out, slow, sn) == 0 &&
                           memcmp(out + sn, "@a.example", 10) == 0);
    if (!same)
        fail_msg("local %s: fast %s, slow %.*s (seed %llu)",
                 escape(local, n, esc, sizeof esc), on ? out : "(no key)",
                 (int)sn, slow, (unsigned long long)g_seed);
}

static size_t put_utf8(char *p, unsigned cp)
{
    if (cp < 0x80) {
        p[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (char)(0xC0 | cp >> 6);
        p[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    p[0] = (char)(0xE0 | cp >> 12);
    p[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    p[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/*
 * The Latin-1 local-part path against libunistring: every code point of
 * two UTF-8 bytes, and a few beyond, alone and between letters, before a
 * combining mark and twice; then random mixes of ASCII and U+0080..U+00FF
 * up to past the 64-octet limit; then broken sequences.
 */
static void test_local_latin1_agrees(void **state)
{
    (void)state;
    static const unsigned extra[] = {0x0800, 0x212A, 0x0130, 0x1E9E, 0xFB00};
    char local[160];
    for (unsigned cp = 0x80; cp < 0x800 + ARRAY_LEN(extra); cp++) {
        unsigned c = cp < 0x800 ? cp : extra[cp - 0x800];
        static const char *const shapes[][2] = {
            {"", ""}, {"a", "b"}, {"X", ""}, {"", "Z"}, {"\xc3\x89", "q"}};
        for (size_t s = 0; s < ARRAY_LEN(shapes); s++) {
            size_t n = 0;
            n += (size_t)sprintf(local + n, "%s", shapes[s][0]);
            n += put_utf8(local + n, c);
            n += (size_t)sprintf(local + n, "%s", shapes[s][1]);
            expect_local_agrees(local, n);
        }
        size_t n = put_utf8(local, c);
        n += put_utf8(local + n, c);
        expect_local_agrees(local, n);
        n = put_utf8(local, c);
        n += put_utf8(local + n, 0x0301); /* may compose with it */
        expect_local_agrees(local, n);
    }
    uint64_t rng = g_seed ^ 0x1a71;
    for (int it = 0; it < 20000; it++) {
        size_t chars = 1 + rng_below(&rng, 40), n = 0;
        local[n++] = (char)('A' + rng_below(&rng, 26));
        for (size_t i = 1; i < chars; i++) {
            unsigned c;
            do {
                c = rng_below(&rng, 3) ? 0x80 + rng_below(&rng, 0x80)
                                       : rng_below(&rng, 0x80);
            } while (c == '@');
            n += put_utf8(local + n, c);
        }
        expect_local_agrees(local, n);
    }
    static const char *const broken[] = {"a\xc3",
                                         "\xc3"
                                         "a",
                                         "a\xc2\xc3\xa9", "\xc3\xa9\xa9",
                                         "\xc1\x81"
                                         "b"};
    for (size_t i = 0; i < ARRAY_LEN(broken); i++)
        expect_local_agrees(broken[i], strlen(broken[i]));
}

/*
 * Decomposed Latin letters against libunistring: every printable ASCII
 * character but '@' followed by every combining mark of U+0300..U+036F,
 * after nothing, a letter or a Latin-1 letter, and before nothing, a
 * letter, a Latin-1 letter, a second mark (one that sorts before the
 * first, one that sorts after, U+0345, U+0340), a mark of two other
 * blocks, and a mark that is a starter (U+034F).
 */
static void test_local_decomposed_agrees(void **state)
{
    (void)state;
    static const char *const before[] = {"", "q", "\xc3\x80"};
    static const char *const after[] = {
        "",         "x",        "\xc3\xa9", "\xcc\x81", "\xcc\xa7",
        "\xcd\x85", "\xcd\x80", "\xcd\x8f", "\xd2\x83", "\xe1\xb7\x80",
        "\xd6\xb0"};
    char local[96];
    for (unsigned b = 0x21; b < 0x7F; b++) {
        if (b == '@')
            continue;
        for (unsigned m = 0x300; m < 0x370; m++)
            for (size_t x = 0; x < ARRAY_LEN(before); x++)
                for (size_t y = 0; y < ARRAY_LEN(after); y++) {
                    size_t n = (size_t)sprintf(local, "%s", before[x]);
                    local[n++] = (char)b;
                    n += put_utf8(local + n, m);
                    n += (size_t)sprintf(local + n, "%s", after[y]);
                    expect_local_agrees(local, n);
                }
    }
    /* Many decomposed letters in one local part, up to past the limit. */
    uint64_t rng = g_seed ^ 0xdec0;
    static const unsigned marks[] = {0x300, 0x301, 0x302, 0x303,
                                     0x308, 0x30A, 0x327, 0x30C};
    for (int it = 0; it < 20000; it++) {
        size_t n = 0, chars = 1 + rng_below(&rng, 60);
        for (size_t i = 0; i < chars && n + 8 < sizeof local; i++) {
            local[n++] =
                (char)((rng_below(&rng, 4) ? 'a' : 'A') + rng_below(&rng, 26));
            if (rng_below(&rng, 3) == 0)
                n += put_utf8(local + n,
                              marks[rng_below(&rng, ARRAY_LEN(marks))]);
        }
        expect_local_agrees(local, n);
    }
}

static void test_local_fast_agrees_random(void **state)
{
    (void)state;
    uint64_t rng = g_seed ^ 0x10ca1;
    char local[80];
    for (int it = 0; it < 20000; it++) {
        /* a first byte that is never trimmed, then any ASCII but '@' */
        size_t n = 1 + rng_below(&rng, 70);
        local[0] = (char)('A' + rng_below(&rng, 26));
        for (size_t i = 1; i < n; i++) {
            char c;
            do {
                c = (char)rng_below(&rng, rng_below(&rng, 8) ? 128 : 33);
            } while (c == '@');
            local[i] = c;
        }
        expect_local_agrees(local, n);
    }
}

/* ------------------------------------------------------------------------ */
/* Randomized runs                                                           */

static bool is_ascii_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

/*
 * norm_v1 for pure-ASCII input, written from the rules as plainly as
 * possible. Returns the key length (0: no key). *skip is set when a label
 * starts with "xn--": only libidn2 can judge an A-label.
 */
static size_t ref_ascii(const char *s, size_t n, char *out, bool *skip)
{
    char low[HC_EMAIL_MAX];
    *skip = false;
    if (n > HC_EMAIL_MAX)
        return 0;
    while (n > 0 && is_ascii_ws(s[0]))
        s++, n--;
    while (n > 0 && is_ascii_ws(s[n - 1]))
        n--;
    /* rule 1 and the "no spaces" half of rule 6 */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return 0;
    for (size_t i = 0; i < n; i++)
        low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    size_t at = n;
    for (size_t i = 0; i < n; i++)
        if (low[i] == '@')
            at = i;
    if (at == n || at == 0 || at + 1 == n || at > 64)
        return 0;
    const char *dom = low + at + 1;
    size_t dn = n - at - 1;
    if (dom[dn - 1] == '.')
        dn--;
    if (dn == 0 || dn > HC_DOMAIN_MAX || at + 1 + dn > HC_KEY_MAX)
        return 0;
    bool ok = true;
    for (size_t b = 0; b <= dn;) {
        size_t e = b;
        while (e < dn && dom[e] != '.')
            e++;
        const char *l = dom + b;
        size_t ll = e - b;
        if (ll >= 4 && memcmp(l, "xn--", 4) == 0)
            *skip = true;
        if (ll == 0 || ll > 63 || l[0] == '-' || l[ll - 1] == '-' ||
            (ll >= 4 && l[2] == '-' && l[3] == '-'))
            ok = false;
        for (size_t i = 0; i < ll; i++)
            if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-_", l[i]) ==
                    NULL ||
                l[i] == '\0')
                ok = false;
        b = e + 1;
    }
    if (!ok || *skip)
        return 0;
    memcpy(out, low, at + 1 + dn);
    out[at + 1 + dn] = '\0';
    return at + 1 + dn;
}

static size_t gen_ascii_email(uint64_t *rng, char *buf)
{
    static const char any[] = "aAbBzZxXnN09-_.@ \t+\"!\x7f\x01\r\n";
    static const char local[] = "aAbBzZ09._+-\"!";
    size_t n = 0;
    size_t mode = rng_below(rng, 4);
    if (mode == 0) {
        size_t len = rng_below(rng, 40);
        for (size_t i = 0; i < len; i++)
            buf[n++] = any[rng_below(rng, sizeof any)]; /* NUL included */
        return n;
    }
    while (rng_below(rng, 4) == 0)
        buf[n++] = any[15 + rng_below(rng, 2)];
    size_t ll = rng_below(rng, 4) == 0 ? 60 + rng_below(rng, 8)
                                       : 1 + rng_below(rng, 10);
    for (size_t i = 0; i < ll; i++)
        buf[n++] = local[rng_below(rng, sizeof local - 1)];
    buf[n++] = '@';
    n += gen_ascii_domain(rng, buf + n);
    while (rng_below(rng, 4) == 0)
        buf[n++] = any[15 + rng_below(rng, 2)];
    if (mode == 2) {
        for (size_t k = 1 + rng_below(rng, 3); k > 0; k--)
            buf[rng_below(rng, n)] = any[rng_below(rng, sizeof any)];
    }
    return n;
}

static void test_random_ascii_reference(void **state)
{
    (void)state;
    uint64_t rng = g_seed ^ 0xa5c11;
    char buf[1024];
    char out[HC_KEY_MAX + 1];
    char want[HC_KEY_MAX + 1];
    char esc[ESC_CAP];
    size_t compared = 0;
    for (int it = 0; it < 50000; it++) {
        size_t n = gen_ascii_email(&rng, buf);
        size_t on;
        bool skip;
        normalize_ok(buf, n, out, &on);
        size_t wn = ref_ascii(buf, n, want, &skip);
        if (on != 0)
            assert_fixed_point(out, on, "random ascii");
        if (skip)
            continue;
        compared++;
        if (on != wn || memcmp(out, want, on) != 0)
            fail_msg("%s: got %s, reference %s (seed %llu)",
                     escape(buf, n, esc, sizeof esc), on ? out : "(no key)",
                     wn ? want : "(no key)", (unsigned long long)g_seed);
    }
    assert_true(compared > 40000);
}

/* Code points that stress NFC, case mapping, IDNA and the byte rules. */
static const uint32_t g_pieces[] = {
    0x0300,   0x0301, 0x0307,  0x0308, 0x0338, 0x0130, 0x0131, 0x212A,  0x2126,
    0x00DF,   0x1E9E, 0x03A3,  0x03C2, 0x0390, 0xFF21, 0xFF0E, 0x3002,  0x00AD,
    0x200D,   0x200C, 0x200B,  0x00A0, 0x3000, 0x0085, 0x0080, 0x1F600, 0x1100,
    0x1161,   0x11A8, 0x10400, 0x05D0, 0x0627, 0x0660, 0x0E01, 0xFFFD,  0xFEFF,
    0x10FFFF, 0xE000, 0x01C5,  0x0345, 0x1F88, 0xFB00, 0x0149, '@',     '.',
    '-',      'A',    'Z',     ' ',    '\t',   0,      '_',    '"',
};

static const char *const g_valid[] = {
    "alice@example.com",
    "J\xc3\xb6rg@B\xc3\xbc"
    "cher.example",
    "\xce\xa3\xce\xa9\xce\xa3@xn--bcher-kva.example",
    "e\xcc\x81@\xe4\xbe\x8b\xe5\xad\x90.\xe6\xb5\x8b\xe8\xaf\x95",
    "\"q\"@a_b.example",
    "First.Last+tag@GMail.com.",
    A64 "@" D189,
    E32 "@a.example",
};

static size_t mutate(uint64_t *rng, char *buf, size_t n, size_t cap)
{
    for (size_t k = 1 + rng_below(rng, 4); k > 0; k--) {
        size_t pos = n ? rng_below(rng, n + 1) : 0;
        char tmp[8];
        size_t tn = 0;
        switch (rng_below(rng, 5)) {
        case 0: /* insert an interesting code point */
        case 1:
            tn = utf8_put(g_pieces[rng_below(rng, ARRAY_LEN(g_pieces))], tmp);
            break;
        case 2: /* insert a random byte */
            tmp[0] = (char)rng_below(rng, 256);
            tn = 1;
            break;
        case 3: /* delete a few bytes */
            if (pos < n) {
                size_t d = 1 + rng_below(rng, 3);
                d = MIN_OF(d, n - pos);
                memmove(buf + pos, buf + pos + d, n - pos - d);
                n -= d;
            }
            continue;
        default: /* overwrite a byte */
            if (pos < n)
                buf[pos] = (char)rng_below(rng, 256);
            continue;
        }
        if (n + tn > cap)
            continue;
        memmove(buf + pos + tn, buf + pos, n - pos);
        memcpy(buf + pos, tmp, tn);
        n += tn;
    }
    return n;
}

/* A domain memo shared by every check below, as a census writer keeps one
 * across the records it adds. */
static hc__domain_memo g_memo;

/* hc__email_normalize_memo with g_memo must give what hc_email_normalize
 * gives, whatever earlier inputs left in the memo. */
static void assert_memo_agrees(const void *in, size_t len, const char *out,
                               size_t on)
{
    char *exact = exact_copy(in, len);
    char got[HC_KEY_MAX + 1];
    size_t gn = 0;
    assert_int_equal(hc__email_normalize_memo(&g_memo, exact, len, got, &gn),
                     HC_OK);
    free(exact);
    if (gn != on || memcmp(got, out, on) != 0) {
        char e[ESC_CAP];
        fail_msg("memo gives \"%s\" for %s, plain \"%s\"", got,
                 escape(in, len, e, sizeof e), out);
    }
    assert_int_equal(got[gn], '\0');
}

static void check_any_input(const char *buf, size_t n, const char *what)
{
    char out[HC_KEY_MAX + 1];
    char out2[HC_KEY_MAX + 1];
    char dom[HC_DOMAIN_MAX + 1];
    size_t on, on2, dn;
    normalize_ok(buf, n, out, &on);
    normalize_ok(buf, n, out2, &on2);
    assert_int_equal(on, on2);
    assert_memory_equal(out, out2, on);
    assert_memo_agrees(buf, n, out, on);
    if (on != 0)
        assert_fixed_point(out, on, what);
    domain_ok(false, buf, n, dom, &dn);
    if (dn != 0) {
        size_t dn2;
        char dom2[HC_DOMAIN_MAX + 1];
        assert_true(domain_is_well_formed(dom, dn));
        domain_ok(false, dom, dn, dom2, &dn2);
        assert_int_equal(dn2, dn);
        assert_memory_equal(dom, dom2, dn);
    }
}

/*
 * The domain memo against the plain path on addresses built from a pool of
 * domain spellings: case variants that must not share a remembered form,
 * trailing dots, lengths around the memo's bounds (7, 8, 48, 49 octets),
 * malformed labels, non-ASCII and "xn--" domains that the first table must
 * never hold and the second (libidn2's results) must hold exactly,
 * spellings that share a first word and a length with a remembered one,
 * non-ASCII local parts, and local parts long enough to push the key over
 * its limit, in random case too, so that slots of both tables are
 * replaced often.
 */
static void test_memo_agrees(void **state)
{
    (void)state;
    static const char *const domains[] = {
        "corp.example", "CORP.EXAMPLE", "Corp.Example", "corp.example.",
        /* the same first word and length as corp.example */
        "corp.EXAMPLE", "corp.exampl-", "corp.exa_ple", "corp.exa\xc3\xa9le",
        "eu.corp.example", "EU.CORP.EXAMPLE", "us.corp.example", "a.example",
        "ab.io", "abc.io.", "abcd.io", "abcde.io",
        "a123456789.b123456789.c123456789.d123456789.ef",
        "a123456789.b123456789.c123456789.d123456789.efg",
        "A123456789.B123456789.C123456789.D123456789.EFG", "-bad.example",
        "bad-.example", "ab--cd.example", "xn--mnchen-3ya.de",
        "xn--bad.example", "m\xc3\xbcnchen.example", "M\xc3\x9cNCHEN.example",
        "two..dots.example", "under_score.example", "sp ace.example",
        "corp.example..", ".corp.example", "c\xc3\xb6rp.example",
        /* through libidn2, so remembered in the memo's second table: case
         * and trailing-dot spellings of one domain, its A-label, invalid
         * ones (remembered as having no key), and raw or normalized forms
         * on both sides of the table's 64-octet bound */
        "m\xc3\xbcnchen.example.",
        "b\xc3\xbc"
        "cher.example",
        "B\xc3\x9c"
        "CHER.EXAMPLE",
        "xn--bcher-kva.example", "XN--BCHER-KVA.example",
        "\xce\xb5\xce\xbb.example", "\xe4\xbe\x8b\xe3\x81\x88.jp",
        "m\xc3\xbc nchen.example", "m\xc3\xbc..nchen.example", "\xc3\xa9.",
        "\xc3\xa9",
        "d\xc3\xa9partement-ressources-humaines.finances.exemple.fr",
        "d\xc3\xa9partement-ressources-humaines.finances.exemple.fr.",
        "d\xc3\xa9partement-des-ressources-humaines.finances.exemple.fr",
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9.\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
        "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc.example",
        "d\xc3\xa9partements-des-ressources-humaines.finances.exemple.fr",
        "d\xc3\xa9partement-des-ressources-humaines.et-finances.exemple.fr",
        "d\xc3\xa9partement-des-ressources-humaines-et-finances.exemple."
        "example.fr",
        "\xc3\xbc.\xc3\xbc.\xc3\xbc.\xc3\xbc.\xc3\xbc.\xc3\xbc.\xc3\xbc."
        "\xc3\xbc"
        ".example",
        "\xf0\x9f\x98\x80.example", "\xe2\x84\xab.example",
        "a\xcc\x88rger.example", "\xc3\xa4rger.example"};
    uint64_t rng = g_seed ^ 0x3e30;
    char buf[HC_EMAIL_MAX + 64];
    size_t keys = 0;
    for (int it = 0; it < 40000; it++) {
        const char *d = domains[rng_below(&rng, ARRAY_LEN(domains))];
        /* Mostly short local parts; some long enough that local, '@' and
         * domain no longer fit a key. */
        size_t ln = rng_below(&rng, 8) == 0 ? 40 + rng_below(&rng, 60)
                                            : 1 + rng_below(&rng, 12);
        size_t n = 0;
        if (rng_below(&rng, 4) == 0)
            buf[n++] = ' ';
        for (size_t i = 0; i < ln; i++)
            buf[n++] = (char)('a' + rng_below(&rng, 26));
        if (rng_below(&rng, 8) == 0) { /* a non-ASCII local part */
            buf[n++] = '\xc3';
            buf[n++] = '\xa9';
        }
        buf[n++] = '@';
        size_t dl = strlen(d);
        memcpy(buf + n, d, dl);
        /* A quarter of the time, ASCII letters in random case: hundreds
         * of spellings of each domain, far more than either table holds. */
        if (rng_below(&rng, 4) == 0)
            for (size_t i = n; i < n + dl; i++)
                if ((buf[i] | 0x20) >= 'a' && (buf[i] | 0x20) <= 'z' &&
                    rng_below(&rng, 2))
                    buf[i] = (char)(buf[i] ^ 0x20);
        n += dl;
        if (rng_below(&rng, 4) == 0)
            buf[n++] = ' ';
        char out[HC_KEY_MAX + 1];
        size_t on;
        normalize_ok(buf, n, out, &on);
        assert_memo_agrees(buf, n, out, on);
        keys += on != 0;
    }
    assert_true(keys > 10000);
}

static void test_random_mutations(void **state)
{
    (void)state;
    uint64_t rng = g_seed ^ 0x3a7;
    char buf[1024];
    size_t keys = 0;
    for (int it = 0; it < 30000; it++) {
        const char *v = g_valid[rng_below(&rng, ARRAY_LEN(g_valid))];
        size_t n = strlen(v);
        memcpy(buf, v, n);
        n = mutate(&rng, buf, n, sizeof buf);
        check_any_input(buf, n, "mutation");
        char out[HC_KEY_MAX + 1];
        size_t on;
        normalize_ok(buf, n, out, &on);
        keys += on != 0;
    }
    /* The mutations are mild: many inputs must still have a key. */
    assert_true(keys > 3000);
}

static void test_random_bytes(void **state)
{
    (void)state;
    uint64_t rng = g_seed ^ 0xb17e5;
    char buf[256];
    for (int it = 0; it < 30000; it++) {
        size_t n = rng_below(&rng, sizeof buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)rng_below(&rng, 256);
        /* plant an '@' and some dots so that the deeper paths run */
        if (n > 2) {
            buf[rng_below(&rng, n)] = '@';
            buf[rng_below(&rng, n)] = '.';
        }
        check_any_input(buf, n, "random bytes");
    }
}

/*
 * Every scalar value of planes 0-2 and 14, and a sample of the others, as
 * the second character of a local part and of a domain label: controls and
 * White_Space never give a key, everything else gives a local-part key, and
 * every key is a fixed point.
 */
static void test_every_code_point(void **state)
{
    (void)state;
    char buf[32];
    char out[HC_KEY_MAX + 1];
    char dom[HC_DOMAIN_MAX + 1];
    size_t on, dn;
    for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        /* Planes 3-16 are mostly unassigned or private use: sample them,
         * except the tags and variation selectors of plane 14. */
        if (cp >= 0x30000 && (cp < 0xE0000 || cp > 0xE0FFF) && cp % 61 != 0)
            continue;
        size_t n = 0;
        buf[n++] = 'x';
        n += utf8_put(cp, buf + n);
        if (cp == '@')
            continue;
        memcpy(buf + n, "@example.com", 12);
        normalize_ok(buf, n + 12, out, &on);
        bool want_key = !is_control(cp) && !is_white_space(cp);
        if (want_key != (on != 0))
            fail_msg("U+%04X: want %s", (unsigned)cp,
                     want_key ? "a key" : "no key");
        if (on != 0)
            assert_fixed_point(out, on, "code point");
        buf[0] = 'a';
        memcpy(buf + n, ".example", 8);
        domain_ok(false, buf, n + 8, dom, &dn);
        if (dn != 0) {
            char dom2[HC_DOMAIN_MAX + 1];
            size_t dn2;
            if (!domain_is_well_formed(dom, dn))
                fail_msg("U+%04X: bad domain %s", (unsigned)cp, dom);
            domain_ok(false, dom, dn, dom2, &dn2);
            assert_string_equal(dom2, dom);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Verified domains                                                          */

static hc_domains *domains_new(void)
{
    hc_domains *d = NULL;
    assert_int_equal(hc_domains_create(&d), HC_OK);
    assert_non_null(d);
    return d;
}

static void add_ok(hc_domains *d, const char *entry)
{
    assert_int_equal(hc_domains_add(d, entry, strlen(entry)), HC_OK);
}

/* Normalizes email and asks the set about its key. */
static bool email_matches(const hc_domains *d, const char *email)
{
    char key[HC_KEY_MAX + 1];
    size_t n;
    normalize_ok(email, strlen(email), key, &n);
    assert_true(n > 0);
    return hc_domains_match_key(d, key, n);
}

static void test_domains_exact(void **state)
{
    (void)state;
    hc_domains *d = domains_new();
    assert_false(email_matches(d, "a@corp.example"));
    add_ok(d, "corp.example");
    assert_int_equal(hc_domains_count(d), 1);
    assert_true(email_matches(d, "a@corp.example"));
    assert_true(email_matches(d, "A@CORP.Example."));
    assert_false(email_matches(d, "a@x.corp.example"));
    assert_false(email_matches(d, "a@corp.example.org"));
    assert_false(email_matches(d, "a@notcorp.example"));
    assert_false(email_matches(d, "a@example"));
    assert_false(email_matches(d, "corp.example@other.example"));
    assert_true(email_matches(d, "other.example@corp.example"));
    hc_domains_destroy(d);
}

static void test_domains_wildcard(void **state)
{
    (void)state;
    hc_domains *d = domains_new();
    add_ok(d, "*.corp.example");
    assert_int_equal(hc_domains_count(d), 1);
    assert_true(email_matches(d, "a@x.corp.example"));
    assert_true(email_matches(d, "a@x.y.corp.example"));
    assert_true(email_matches(d, "a@X.Y.Z.CORP.EXAMPLE"));
    assert_false(email_matches(d, "a@corp.example"));
    assert_false(email_matches(d, "a@xcorp.example"));
    assert_false(email_matches(d, "a@x.corp.example.org"));
    assert_false(email_matches(d, "a@example"));
    /* both forms together */
    add_ok(d, "corp.example");
    assert_int_equal(hc_domains_count(d), 2);
    assert_true(email_matches(d, "a@corp.example"));
    assert_true(email_matches(d, "a@x.corp.example"));
    /* duplicates are one entry */
    add_ok(d, " Corp.Example. ");
    add_ok(d, "*.CORP.example");
    assert_int_equal(hc_domains_count(d), 2);
    hc_domains_destroy(d);
}

static void test_domains_idn(void **state)
{
    (void)state;
    hc_domains *d = domains_new();
    add_ok(d, "b\xc3\xbc"
              "cher.example");
    add_ok(d, "*.XN--FSQU00A.example");
    assert_int_equal(hc_domains_count(d), 2);
    assert_true(email_matches(d, "a@xn--bcher-kva.example"));
    assert_true(email_matches(d, "a@B\xc3\x9c"
                                 "CHER.example"));
    assert_true(email_matches(d, "a@mail.\xe4\xbe\x8b\xe5\xad\x90.example"));
    assert_false(email_matches(d, "a@\xe4\xbe\x8b\xe5\xad\x90.example"));
    assert_false(email_matches(d, "a@bucher.example"));
    hc_domains_destroy(d);
}

static void test_domains_bad_entries(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        " ",
        "*",
        "*.",
        "*. ",
        "**.corp.example",
        "*.*.corp.example",
        "a b.example",
        "-a.example",
        "corp..example",
        "x@y.example",
        "ex!ample.com",
        ".corp.example",
        "corp.example..",
        "*corp.example",
        "\xf0\x9f\x98\x80.example",
        "xn--ls8h.example",
        "b\xfc"
        "cher.de",
        "ab--cd.example",
        L64 ".example",
    };
    hc_domains *d = domains_new();
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        hc_status st = hc_domains_add(d, bad[i], strlen(bad[i]));
        if (st != HC_ERR_DATA)
            fail_msg("entry \"%s\": got %s", bad[i], hc_status_str(st));
    }
    assert_int_equal(hc_domains_add(d, "a\0b.example", 11), HC_ERR_DATA);
    assert_int_equal(hc_domains_add(d, NULL, 0), HC_ERR_DATA);
    assert_int_equal(hc_domains_add(NULL, "a.example", 9), HC_ERR_ARG);
    assert_int_equal(hc_domains_count(d), 0);
    assert_false(hc_domains_match_key(d, "a@a.example", 11));
    hc_domains_destroy(d);
    hc_domains_destroy(NULL);
}

static void test_domains_list(void **state)
{
    (void)state;
    static const char list[] = "corp.example, *.corp.example\n"
                               "# comment, with bad!entry and commas\n"
                               "\tother.example,,\r\n"
                               "  \xc3\xa4rger.example # trailing comment\n"
                               "last.example#glued comment";
    hc_domains *d = domains_new();
    size_t bad = 99;
    assert_int_equal(hc_domains_add_list(d, list, sizeof list - 1, &bad),
                     HC_OK);
    assert_int_equal(bad, 0);
    assert_int_equal(hc_domains_count(d), 5);
    assert_true(email_matches(d, "a@corp.example"));
    assert_true(email_matches(d, "a@b.corp.example"));
    assert_true(email_matches(d, "a@other.example"));
    assert_true(email_matches(d, "a@xn--rger-koa.example"));
    assert_true(email_matches(d, "a@last.example"));
    assert_false(hc_domains_match_key(d, "a@bad!entry", 11));
    hc_domains_destroy(d);

    /* empty lists are fine */
    d = domains_new();
    assert_int_equal(hc_domains_add_list(d, "", 0, &bad), HC_OK);
    assert_int_equal(hc_domains_add_list(d, NULL, 0, NULL), HC_OK);
    static const char blank[] = "  ,, \n# only a comment\n\t";
    assert_int_equal(hc_domains_add_list(d, blank, sizeof blank - 1, &bad),
                     HC_OK);
    assert_int_equal(hc_domains_count(d), 0);

    /* a bad entry adds nothing and is reported by its 1-based index */
    static const char some_bad[] = "a.example, # x..y\nb..example c.example";
    assert_int_equal(
        hc_domains_add_list(d, some_bad, sizeof some_bad - 1, &bad),
        HC_ERR_DATA);
    assert_int_equal(bad, 2);
    assert_int_equal(hc_domains_count(d), 0);
    assert_false(email_matches(d, "u@a.example"));
    /* ... and found by that index, past the comment */
    size_t off = 0, n = 0;
    assert_true(
        hc_domains_list_entry(some_bad, sizeof some_bad - 1, bad, &off, &n));
    assert_int_equal(off, 18);
    assert_int_equal(n, 10);
    assert_memory_equal(some_bad + off, "b..example", 10);
    assert_false(
        hc_domains_list_entry(some_bad, sizeof some_bad - 1, 4, &off, &n));
    assert_false(hc_domains_list_entry(NULL, 0, 1, &off, &n));
    static const char first_bad[] = "*";
    assert_int_equal(
        hc_domains_add_list(d, first_bad, sizeof first_bad - 1, NULL),
        HC_ERR_DATA);
    static const char nul_in[] = "a.example,b\0.example";
    assert_int_equal(hc_domains_add_list(d, nul_in, sizeof nul_in - 1, &bad),
                     HC_ERR_DATA);
    assert_int_equal(bad, 2);
    hc_domains_destroy(d);
}

static void test_domains_odd_keys(void **state)
{
    (void)state;
    hc_domains *d = domains_new();
    add_ok(d, "corp.example");
    add_ok(d, "*.example");
    assert_false(hc_domains_match_key(d, "corp.example", 12)); /* no '@' */
    assert_false(hc_domains_match_key(d, "a@", 2));
    assert_false(hc_domains_match_key(d, "", 0));
    assert_false(hc_domains_match_key(d, NULL, 0));
    assert_false(hc_domains_match_key(NULL, "a@corp.example", 14));
    assert_true(hc_domains_match_key(d, "a@corp.example", 14));
    /* only key_len bytes count */
    assert_true(hc_domains_match_key(d, "a@corp.example.org", 14));
    assert_true(hc_domains_match_key(d, "a@b@x.example", 13));
    assert_false(hc_domains_match_key(d, "a@example", 9));
    hc_domains_destroy(d);
}

/* Random sets and keys against a linear scan. */
static bool ref_match(char (*names)[128], const bool *wild, size_t count,
                      const char *dom)
{
    size_t dn = strlen(dom);
    for (size_t i = 0; i < count; i++) {
        size_t en = strlen(names[i]);
        if (!wild[i] && strcmp(dom, names[i]) == 0)
            return true;
        if (wild[i] && dn > en + 1 && dom[dn - en - 1] == '.' &&
            strcmp(dom + dn - en, names[i]) == 0)
            return true;
    }
    return false;
}

static void random_domain(uint64_t *rng, char *out, size_t max_labels)
{
    static const char *const labels[] = {
        "a", "b", "c", "corp", "x-y", "xn--bcher-kva", "_s", "0"};
    size_t n = 0;
    for (size_t l = 1 + rng_below(rng, max_labels); l > 0; l--) {
        const char *s = labels[rng_below(rng, ARRAY_LEN(labels))];
        if (n > 0)
            out[n++] = '.';
        memcpy(out + n, s, strlen(s));
        n += strlen(s);
    }
    out[n] = '\0';
}

static void test_domains_random(void **state)
{
    (void)state;
    uint64_t rng = g_seed ^ 0xd5;
    enum { MAX_ENTRIES = 3000 };
    static char names[MAX_ENTRIES][128];
    static bool wild[MAX_ENTRIES];
    for (int round = 0; round < 6; round++) {
        size_t count = round < 5 ? 1 + rng_below(&rng, 12) : MAX_ENTRIES;
        size_t depth = round < 5 ? 3 : 6;
        hc_domains *d = domains_new();
        for (size_t i = 0; i < count; i++) {
            char entry[160];
            size_t en = 0;
            random_domain(&rng, names[i], depth);
            wild[i] = rng_below(&rng, 2) == 0;
            if (wild[i]) {
                memcpy(entry, "*.", 2);
                en = 2;
            }
            memcpy(entry + en, names[i], strlen(names[i]));
            en += strlen(names[i]);
            assert_int_equal(hc_domains_add(d, entry, en), HC_OK);
        }
        assert_true(hc_domains_count(d) <= count);
        for (int q = 0; q < 5000; q++) {
            char key[160] = "u@";
            random_domain(&rng, key + 2, depth + 1);
            bool want = ref_match(names, wild, count, key + 2);
            if (hc_domains_match_key(d, key, strlen(key)) != want)
                fail_msg("key %s: want %d (round %d, seed %llu)", key, want,
                         round, (unsigned long long)g_seed);
        }
        hc_domains_destroy(d);
    }
}

int main(void)
{
    const char *env = getenv("HC_TEST_SEED");
    g_seed = env ? strtoull(env, NULL, 0) : 0x6e6f726d5f7631ull;
    print_message("test_norm: HC_TEST_SEED=%llu\n", (unsigned long long)g_seed);
    /* HC_TEST_FILTER=test_domains* runs only the matching tests. */
    const char *filter = getenv("HC_TEST_FILTER");
    if (filter != NULL)
        cmocka_set_test_filter(filter);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_idempotent),
        cmocka_unit_test(test_table_domains),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_domain_fast_agrees_table),
        cmocka_unit_test(test_domain_fast_agrees_random),
        cmocka_unit_test(test_local_fast_agrees_random),
        cmocka_unit_test(test_local_latin1_agrees),
        cmocka_unit_test(test_local_decomposed_agrees),
        cmocka_unit_test(test_random_ascii_reference),
        cmocka_unit_test(test_memo_agrees),
        cmocka_unit_test(test_random_mutations),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_every_code_point),
        cmocka_unit_test(test_domains_exact),
        cmocka_unit_test(test_domains_wildcard),
        cmocka_unit_test(test_domains_idn),
        cmocka_unit_test(test_domains_bad_entries),
        cmocka_unit_test(test_domains_list),
        cmocka_unit_test(test_domains_odd_keys),
        cmocka_unit_test(test_domains_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
