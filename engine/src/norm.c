/*
 * Normalization norm_v1: turns one email address into the key that accounts
 * are matched on, or into "no key". The domain goes through IDNA2008 /
 * UTS#46 (libidn2) and the local part through NFC and Unicode lowercase
 * (libunistring), but almost every real address is plain ASCII, so both
 * halves have a single-pass ASCII fast path that neither allocates nor calls
 * a library and that gives exactly the bytes the slow path would give
 * (docs/internals/norm.md explains why; tests/test_norm.c checks it). No
 * state is kept between calls, so every function here is thread-safe, but
 * for hc__email_normalize_memo, whose caller owns the memo it passes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "headcount/norm.h"
#include "norm_internal.h"
#include "util.h"

/*
 * The slow local-part path hands these stack buffers to libunistring, which
 * only allocates when a result does not fit. 256 octets hold every local part
 * that can still pass the 64-octet rule after NFC, with room to spare.
 */
#define LOCAL_SCRATCH 256

/* Exactly the product's flags: NFC first, UTS#46 non-transitional mapping. */
#define IDNA_FLAGS (IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL)

/* Outcome of the domain shape check. */
enum shape {
    SHAPE_INVALID, /* no key */
    SHAPE_OK,      /* out holds the normalized domain */
    SHAPE_IDNA     /* only libidn2 can decide: non-ASCII or an "xn--" label */
};

static inline bool is_ascii_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Characters allowed in a label after lowercasing: LDH plus underscore. */
static inline bool is_label_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/*
 * The fast paths look at eight bytes at a time (SWAR). Each helper takes a
 * word whose bytes are all ASCII (< 0x80), so no byte's sum can carry into
 * its neighbour, and returns the high bit of every byte for which the test
 * holds. They work byte by byte, so the host's byte order does not matter.
 */
#define SWAR_ONES 0x0101010101010101ull
#define SWAR_HIGHS 0x8080808080808080ull

/* Bytes >= k, for 0 < k <= 0x80. */
static inline uint64_t swar_ge(uint64_t w, unsigned k)
{
    return (w + (0x80u - k) * SWAR_ONES) & SWAR_HIGHS;
}

/* Bytes == k, for k < 0x80. */
static inline uint64_t swar_eq(uint64_t w, unsigned k)
{
    return ~((w ^ (k * SWAR_ONES)) + 0x7Fu * SWAR_ONES) & SWAR_HIGHS;
}

/* Bytes in [lo, hi], for 0 < lo <= hi < 0x7F. */
static inline uint64_t swar_in(uint64_t w, unsigned lo, unsigned hi)
{
    return swar_ge(w, lo) & ~swar_ge(w, hi + 1);
}

/* ASCII lowercase of all eight bytes: 0x80 >> 2 is the 0x20 case bit. */
static inline uint64_t swar_lower(uint64_t w)
{
    return w | (swar_in(w, 'A', 'Z') >> 2);
}

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* Only these two depend on where the first byte of a loaded word lands. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
/* High bits of the bytes at index >= k (0 <= k < 8) of a word. */
static inline uint64_t swar_from(unsigned k)
{
    return SWAR_HIGHS >> (8 * k);
}

/* Index of the first marked byte of a nonzero mask. */
static inline unsigned swar_first(uint64_t m)
{
    return (unsigned)__builtin_clzll(m) / 8;
}

/* Index of the last marked byte of a nonzero mask. */
static inline unsigned swar_last(uint64_t m)
{
    return (unsigned)(63 - __builtin_ctzll(m)) / 8;
}
#else
static inline uint64_t swar_from(unsigned k)
{
    return SWAR_HIGHS << (8 * k);
}

static inline unsigned swar_first(uint64_t m)
{
    return (unsigned)__builtin_ctzll(m) / 8;
}

static inline unsigned swar_last(uint64_t m)
{
    return (unsigned)(63 - __builtin_clzll(m)) / 8;
}
#endif

static void trim_ascii_space(const unsigned char **p, size_t *n)
{
    if (*n == 0)
        return;
    const unsigned char *b = *p;
    const unsigned char *e = b + *n;
    while (b < e && is_ascii_space(b[0]))
        b++;
    while (e > b && is_ascii_space(e[-1]))
        e--;
    *p = b;
    *n = (size_t)(e - b);
}

/*
 * True when (p, n) is valid UTF-8 without C0 controls, DEL or C1 controls.
 * In valid UTF-8 every 0xC2 is a lead byte, so 0xC2 followed by 0x80..0x9F
 * is exactly an encoded U+0080..U+009F.
 */
static bool text_is_clean(const uint8_t *p, size_t n)
{
    if (u8_check(p, n) != NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c < 0x20 || c == 0x7F)
            return false;
        if (c == 0xC2 && i + 1 < n && p[i + 1] <= 0x9F)
            return false;
    }
    return true;
}

static bool has_white_space(const uint8_t *p, size_t n)
{
    const uint8_t *e = p + n;
    while (p < e) {
        ucs4_t uc;
        int k = u8_mbtouc_unsafe(&uc, p, (size_t)(e - p));
        if (uc_is_property_white_space(uc))
            return true;
        p += k;
    }
    return false;
}

/*
 * Checks one lowercased label. A label starting with "xn--" claims to be an
 * A-label: before libidn2 has seen it, only libidn2 can judge it, so it sends
 * the domain there; on libidn2's output it is held to the common rules. Any
 * other label with "--" in positions 3-4 is rejected, as UTS#46
 * CheckHyphens (and so libidn2) does.
 */
static bool label_is_valid(const char *l, size_t n, bool idna_done,
                           bool *needs_idna)
{
    bool ace =
        n >= 4 && l[0] == 'x' && l[1] == 'n' && l[2] == '-' && l[3] == '-';
    if (ace && !idna_done) {
        *needs_idna = true;
        return true;
    }
    if (n == 0 || n > HC__LABEL_MAX || l[0] == '-' || l[n - 1] == '-')
        return false;
    return ace || n < 4 || l[2] != '-' || l[3] != '-';
}

/*
 * Lowercases the domain (p, n) into out (HC_DOMAIN_MAX + 1 bytes) and checks
 * its shape: 1..253 octets, labels of 1..63 octets from [a-z0-9_-], no
 * hyphen at either end of a label. Before libidn2 (idna_done false) a
 * non-ASCII byte or an "xn--" label means SHAPE_IDNA. A violation does not
 * stop the scan, because a later non-ASCII byte still sends the whole domain
 * to libidn2, whose NFC step may change the ASCII before it ("a=" followed
 * by U+0338 composes to U+2260). Writes the terminator on SHAPE_OK.
 */
static enum shape domain_shape(const unsigned char *p, size_t n, bool idna_done,
                               char *out)
{
    if (n > HC_DOMAIN_MAX) {
        /* UTS#46 never shortens ASCII, so a long ASCII domain stays long. */
        if (!idna_done)
            for (size_t i = 0; i < n; i++)
                if (p[i] >= 0x80)
                    return SHAPE_IDNA;
        return SHAPE_INVALID;
    }
    bool bad = n == 0;
    bool needs_idna = false;
    size_t start = 0;
    if (n < 8) {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = p[i];
            if (c >= 0x80)
                return idna_done ? SHAPE_INVALID : SHAPE_IDNA;
            c = hc__ascii_lower(c);
            out[i] = (char)c;
            if (c == '.') {
                bad |= !label_is_valid(out + start, i - start, idna_done,
                                       &needs_idna);
                start = i + 1;
            } else {
                bad |= !is_label_char(c);
            }
        }
    }
    /*
     * Words of eight; the last one is loaded flush with the end and so
     * overlaps its predecessor. Rewriting the overlap is harmless, and its
     * dots are masked out so that each label is checked once.
     */
    for (size_t i = 0; n >= 8 && i < n; i += 8) {
        size_t at = i + 8 <= n ? i : n - 8;
        uint64_t w = load64(p + at);
        if (w & SWAR_HIGHS)
            return idna_done ? SHAPE_INVALID : SHAPE_IDNA;
        w = swar_lower(w);
        memcpy(out + at, &w, sizeof w);
        uint64_t dots = swar_eq(w, '.') & swar_from((unsigned)(i - at));
        uint64_t good = swar_in(w, 'a', 'z') | swar_in(w, '0', '9') |
                        swar_eq(w, '-') | swar_eq(w, '_') | swar_eq(w, '.');
        bad |= (~good & SWAR_HIGHS) != 0;
        for (; dots != 0; dots &= dots - 1) {
            size_t j = at + swar_first(dots);
            bad |=
                !label_is_valid(out + start, j - start, idna_done, &needs_idna);
            start = j + 1;
        }
    }
    bad |= !label_is_valid(out + start, n - start, idna_done, &needs_idna);
    if (needs_idna)
        return SHAPE_IDNA;
    if (bad)
        return SHAPE_INVALID;
    out[n] = '\0';
    return SHAPE_OK;
}

/*
 * Capital sharp s (U+1E9E, UTF-8 E1 BA 9E) written as small sharp s
 * (U+00DF, C3 9F) in z[0, n), in place; returns the new length. Current
 * UTS #46 tables map the capital to the small letter, which
 * non-transitional processing keeps (FAẞ.DE is faß.de, xn--fa-hia.de);
 * the tables of older libidn2 releases (Debian 12's among them) map it to
 * "ss", which would make FAẞ.DE the different domain fass.de. In valid
 * UTF-8 those three bytes are that character and nothing else.
 */
static size_t capital_sharp_s(char *z, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 2 < n && (unsigned char)z[i] == 0xE1 &&
            (unsigned char)z[i + 1] == 0xBA &&
            (unsigned char)z[i + 2] == 0x9E) {
            z[o++] = (char)0xC3;
            z[o++] = (char)0x9F;
            i += 2;
        } else {
            z[o++] = z[i];
        }
    }
    return o;
}

/*
 * The slow domain path: libidn2 to A-labels, then the same shape check as
 * the fast path on its (ASCII) output. n <= HC_EMAIL_MAX.
 */
static hc_status domain_idna(const uint8_t *p, size_t n, char *out,
                             size_t *out_len)
{
    hc_status rc = HC_OK;
    uint8_t *ace = NULL;
    /* libidn2 wants a terminated string; the input is not. */
    char z[HC_EMAIL_MAX + 1];

    *out_len = 0;
    if (n == 0 || n > HC_EMAIL_MAX || !text_is_clean(p, n))
        goto done;
    memcpy(z, p, n);
    n = capital_sharp_s(z, n);
    z[n] = '\0';
    int ir = idn2_lookup_u8((const uint8_t *)z, &ace, IDNA_FLAGS);
    HC_FAIL_IF(ir == IDN2_MALLOC, HC_ERR_NOMEM);
    if (ir != IDN2_OK)
        goto done;
    size_t m = strlen((const char *)ace);
    if (domain_shape(ace, m, true, out) == SHAPE_OK)
        *out_len = m;
done:
    idn2_free(ace);
    return rc;
}

/* Step 3 on an already trimmed domain. */
static hc_status domain_normalize(const unsigned char *p, size_t n, char *out,
                                  size_t *out_len)
{
    *out_len = 0;
    if (n > 0 && p[n - 1] == '.')
        n--;
    switch (domain_shape(p, n, false, out)) {
    case SHAPE_OK: *out_len = n; return HC_OK;
    case SHAPE_INVALID: return HC_OK;
    case SHAPE_IDNA: break;
    }
    return domain_idna(p, n, out, out_len);
}

/*
 * Shared front of the two domain entry points: length cap, trim, and the
 * empty-string convention for no key.
 */
static hc_status domain_entry(const void *domain, size_t len, bool force_idna,
                              char *out, size_t *out_len)
{
    const unsigned char *p = domain;
    hc_status rc = HC_OK;

    *out_len = 0;
    if (len <= HC_EMAIL_MAX) {
        trim_ascii_space(&p, &len);
        if (!force_idna) {
            rc = domain_normalize(p, len, out, out_len);
        } else {
            if (len > 0 && p[len - 1] == '.')
                len--;
            rc = domain_idna(p, len, out, out_len);
        }
    }
    if (*out_len == 0)
        out[0] = '\0';
    return rc;
}

hc_status hc__domain_normalize_idna(const void *domain, size_t len, char *out,
                                    size_t *out_len)
{
    return domain_entry(domain, len, true, out, out_len);
}

hc_status hc_domain_normalize(const void *domain, size_t len, char *out,
                              size_t *out_len)
{
    return domain_entry(domain, len, false, out, out_len);
}

hc_status hc__local_normalize_unicode(const void *local, size_t len, char *out,
                                      size_t *out_len)
{
    hc_status rc = HC_OK;
    const uint8_t *p = local;
    uint8_t nfc_buf[LOCAL_SCRATCH];
    uint8_t low_buf[LOCAL_SCRATCH];
    uint8_t *nfc = NULL;
    uint8_t *low = NULL;
    size_t nfc_len = sizeof nfc_buf;
    size_t low_len = sizeof low_buf;

    *out_len = 0;
    if (len == 0 || len > HC_EMAIL_MAX || !text_is_clean(p, len))
        goto done;
    nfc = u8_normalize(UNINORM_NFC, p, len, nfc_buf, &nfc_len);
    if (nfc == NULL) {
        HC_FAIL_IF(errno == ENOMEM, HC_ERR_NOMEM);
        goto done; /* cannot happen on checked UTF-8; still no key */
    }
    /*
     * Lowercasing can undo NFC: "H" + U+0331 has no precomposed form but
     * "h" + U+0331 composes to U+1E96, and U+0130 becomes i + U+0307, which
     * must be reordered with a following U+0316. So the lowercase result is
     * normalized to NFC again; that makes every key a fixed point.
     */
    low = u8_tolower(nfc, nfc_len, NULL, UNINORM_NFC, low_buf, &low_len);
    if (low == NULL) {
        HC_FAIL_IF(errno == ENOMEM, HC_ERR_NOMEM);
        goto done;
    }
    if (low_len == 0 || low_len > HC__LOCAL_MAX ||
        has_white_space(low, low_len))
        goto done;
    memcpy(out, low, low_len);
    *out_len = low_len;
done:
    if (nfc != nfc_buf)
        free(nfc);
    if (low != low_buf)
        free(low);
    return rc;
}

/*
 * The ASCII local-part path. Returns the length written to out, 0 for no
 * key, or HC__LOCAL_MAX + 1 when the local part holds a non-ASCII byte and
 * must take the Unicode path. A control character or a space settles "no
 * key" at once: NFC never composes them away, so the slow path would agree.
 * A long ASCII prefix does not: U+212A KELVIN SIGN later on becomes "k" and
 * shortens the result.
 */
static size_t local_ascii(const unsigned char *p, size_t n, char *out)
{
    if (n > HC__LOCAL_MAX) {
        for (size_t i = 0; i < n; i++)
            if (p[i] >= 0x80)
                return HC__LOCAL_MAX + 1;
        return 0;
    }
    if (n < 8) {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = p[i];
            if (c >= 0x80)
                return HC__LOCAL_MAX + 1;
            if (c <= 0x20 || c == 0x7F)
                return 0;
            out[i] = (char)hc__ascii_lower(c);
        }
    }
    /* As in domain_shape, the last word overlaps its predecessor. */
    for (size_t i = 0; n >= 8 && i < n; i += 8) {
        size_t at = i + 8 <= n ? i : n - 8;
        uint64_t w = load64(p + at);
        if (w & SWAR_HIGHS)
            return HC__LOCAL_MAX + 1;
        if ((~swar_ge(w, 0x21) | swar_eq(w, 0x7F)) & SWAR_HIGHS)
            return 0;
        w = swar_lower(w);
        memcpy(out + at, &w, sizeof w);
    }
    return n;
}

/*
 * The Latin-1 letter, lowercase, that NFC composes from a lowercase ASCII
 * letter and a combining mark of U+0300..U+033F, or 0 when the pair has
 * no composition in U+00C0..U+00FF. (For these letters lowercasing and
 * composing commute: "E" + U+0301 composes to U+00C9, whose lowercase is
 * what "e" + U+0301 composes to; "Y" + U+0308 composes to U+0178, outside
 * Latin-1, whose lowercase is U+00FF.) test_norm checks every pair against
 * libunistring.
 */
static unsigned latin1_compose(unsigned letter, unsigned mark)
{
    static const struct {
        unsigned short mark;
        char letters[7];
        unsigned char cp[6];
    } tab[] = {
        {0x300, "aeiou", {0xE0, 0xE8, 0xEC, 0xF2, 0xF9}},
        {0x301, "aeiouy", {0xE1, 0xE9, 0xED, 0xF3, 0xFA, 0xFD}},
        {0x302, "aeiou", {0xE2, 0xEA, 0xEE, 0xF4, 0xFB}},
        {0x303, "ano", {0xE3, 0xF1, 0xF5}},
        {0x308, "aeiouy", {0xE4, 0xEB, 0xEF, 0xF6, 0xFC, 0xFF}},
        {0x30A, "a", {0xE5}},
        {0x327, "c", {0xE7}},
    };
    for (size_t t = 0; t < sizeof tab / sizeof tab[0]; t++) {
        if (tab[t].mark != mark)
            continue;
        for (size_t k = 0; tab[t].letters[k]; k++)
            if ((unsigned char)tab[t].letters[k] == letter)
                return tab[t].cp[k];
        return 0;
    }
    return 0;
}

/*
 * The Latin-1 local-part path, for the common non-ASCII case of Western
 * names: ASCII plus U+00A1..U+00FF (two-byte sequences C2 A1..C3 BF).
 * Such text is already NFC (no character below U+0300 decomposes into or
 * composes with a combining mark), lowercasing maps U+00C0..U+00DE but
 * U+00D7 to the character 0x20 above and leaves the rest alone (U+00DF
 * and U+00B5 included), and the result stays NFC with the same length. A
 * C1 control (C2 80..9F), NO-BREAK SPACE (C2 A0, White_Space) or an ASCII
 * control or space settles "no key", as on the Unicode path.
 *
 * Decomposed spellings of the same names take this path too: an ASCII
 * letter followed by one combining mark of U+0300..U+033F (CC 80..BF) that
 * NFC composes with it into Latin-1 becomes that letter. A mark after
 * anything else takes the Unicode path, and so does a second mark after
 * the first (it follows a composed letter, not an ASCII one), as it must:
 * a run of marks can be reordered and composed otherwise. Every other
 * byte outside Latin-1 (a mark beyond U+033F included) takes the Unicode
 * path too, wherever it stands. Returns the key's length, 0 for no key, or
 * HC__LOCAL_MAX + 1 for "take the Unicode path". test_norm compares
 * this path with libunistring on every two-byte sequence and every letter
 * and mark.
 */
static size_t local_latin1(const unsigned char *p, size_t n, char *out)
{
    if (n > HC__LOCAL_MAX)
        return HC__LOCAL_MAX + 1;
    size_t o = 0;
    bool letter = false; /* out[o - 1] is an ASCII letter */
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c < 0x80) {
            if (c <= 0x20 || c == 0x7F)
                return 0;
            out[o++] = (char)hc__ascii_lower((unsigned char)c);
            letter = ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
            continue;
        }
        if (i + 1 >= n || (p[i + 1] & 0xC0) != 0x80)
            return HC__LOCAL_MAX + 1;
        unsigned cp = (c & 0x1Fu) << 6 | (p[i + 1] & 0x3Fu);
        if (c == 0xCC) {
            unsigned l =
                letter ? latin1_compose((unsigned char)out[o - 1], cp) : 0;
            if (l == 0)
                return HC__LOCAL_MAX + 1;
            out[o - 1] = (char)(0xC0 | l >> 6);
            out[o++] = (char)(0x80 | (l & 0x3F));
            letter = false;
            i++;
            continue;
        }
        if (c != 0xC2 && c != 0xC3)
            return HC__LOCAL_MAX + 1;
        if (cp <= 0xA0)
            return 0;
        if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
            cp += 0x20;
        out[o++] = (char)(0xC0 | cp >> 6);
        out[o++] = (char)(0x80 | (cp & 0x3F));
        letter = false;
        i++;
    }
    return o;
}

/*
 * The whole-address ASCII pass, for a trimmed address of 8 to HC_KEY_MAX
 * octets: one sweep of words finds the last '@' and writes the ASCII
 * lowercase of every byte to out, which for an ASCII local part is its
 * key. A control character or a space anywhere settles "no key": NFC never
 * composes one away in the local part, and no label of a domain may hold
 * one, whatever libidn2 makes of the domain (its output is held to the
 * shape check). Returns the index of the last '@', EMAIL_NOKEY (that, or
 * no '@'), or EMAIL_OTHER at a non-ASCII byte: the general path decides.
 * The last word is loaded flush with the end, as in domain_shape.
 */
#define EMAIL_NOKEY ((size_t)-1)
#define EMAIL_OTHER ((size_t)-2)

static inline size_t email_ascii(const unsigned char *p, size_t len, char *out)
{
    size_t at = EMAIL_NOKEY;
#ifdef __SSE2__
    /* Sixteen bytes at a time. Once a vector has no byte of 0x80 and up,
     * signed compares order its bytes as unsigned ones would. */
    if (len >= 16) {
        const __m128i excl = _mm_set1_epi8(0x21), del = _mm_set1_epi8(0x7F);
        const __m128i arobase = _mm_set1_epi8('@');
        const __m128i before_a = _mm_set1_epi8('A' - 1);
        const __m128i after_z = _mm_set1_epi8('Z' + 1);
        const __m128i case_bit = _mm_set1_epi8(0x20);
        for (size_t i = 0; i < len; i += 16) {
            size_t o = i + 16 <= len ? i : len - 16;
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + o));
            if (_mm_movemask_epi8(x))
                return EMAIL_OTHER;
            __m128i bad =
                _mm_or_si128(_mm_cmplt_epi8(x, excl), _mm_cmpeq_epi8(x, del));
            if (_mm_movemask_epi8(bad))
                return EMAIL_NOKEY;
            unsigned ats =
                (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, arobase));
            if (ats)
                at = o + (unsigned)(31 - __builtin_clz(ats));
            __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(x, before_a),
                                          _mm_cmplt_epi8(x, after_z));
            x = _mm_or_si128(x, _mm_and_si128(upper, case_bit));
            _mm_storeu_si128((__m128i *)(void *)(out + o), x);
        }
        return at;
    }
#endif
    for (size_t i = 0; i < len; i += 8) {
        size_t o = i + 8 <= len ? i : len - 8;
        uint64_t w = load64(p + o);
        if (w & SWAR_HIGHS)
            return EMAIL_OTHER;
        if ((~swar_ge(w, 0x21) | swar_eq(w, 0x7F)) & SWAR_HIGHS)
            return EMAIL_NOKEY;
        uint64_t ats = swar_eq(w, '@');
        if (ats)
            at = o + swar_last(ats);
        w = swar_lower(w);
        memcpy(out + o, &w, sizeof w);
    }
    return at;
}

/* A multiplicative hash of the first word and the length: spellings that
 * differ only in case differ by multiples of 32 in some byte, which a sum
 * of bytes modulo a small power of two would not see. n >= 8. */
static inline size_t memo_slot(const unsigned char *p, size_t n)
{
    uint64_t h = (load64(p) ^ n) * 0x9e3779b97f4a7c15u;
    return (size_t)(h >> 32) % HC__MEMO_SLOTS;
}

/* True when the raw domain (p, n) is remembered, so that its lowercase is
 * its normalized form. */
static inline bool memo_has(const hc__domain_memo *memo, const unsigned char *p,
                            size_t n)
{
    if (n < 8 || n > HC__MEMO_DOMAIN_MAX)
        return false;
    size_t k = memo_slot(p, n);
    return memo->slot[k].len == n && hc__same_bytes(memo->slot[k].raw, p, n);
}

/* Remembers a domain that domain_shape found plain and well formed. */
static inline void memo_keep(hc__domain_memo *memo, const unsigned char *p,
                             size_t n)
{
    if (n < 8 || n > HC__MEMO_DOMAIN_MAX)
        return;
    size_t i = memo_slot(p, n);
    memo->slot[i].len = n;
    memcpy(memo->slot[i].raw, p, n);
}

/* FNV-1a over the whole raw domain: these are few and each lookup saves
 * a call into libidn2, so the hash can afford every byte. */
static size_t idna_slot(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return (size_t)(h >> 16) % HC__MEMO_IDNA_SLOTS;
}

/* True when the raw domain (p, n) is remembered in the IDNA table; its
 * normalized form, terminated, is then in out and its length in
 * *out_len (0 for no key). */
static bool idna_memo_get(const hc__domain_memo *memo, const unsigned char *p,
                          size_t n, char *out, size_t *out_len)
{
    if (n == 0 || n > HC__MEMO_IDNA_MAX)
        return false;
    size_t k = idna_slot(p, n);
    if (memo->idna[k].raw_len != n || !hc__same_bytes(memo->idna[k].raw, p, n))
        return false;
    *out_len = memo->idna[k].out_len;
    memcpy(out, memo->idna[k].out, *out_len);
    out[*out_len] = '\0';
    return true;
}

/* Remembers what domain_normalize gave for (p, n), when both fit. */
static void idna_memo_keep(hc__domain_memo *memo, const unsigned char *p,
                           size_t n, const char *out, size_t out_len)
{
    if (n == 0 || n > HC__MEMO_IDNA_MAX || out_len > HC__MEMO_IDNA_MAX)
        return;
    size_t k = idna_slot(p, n);
    memo->idna[k].raw_len = (uint8_t)n;
    memo->idna[k].out_len = (uint8_t)out_len;
    memcpy(memo->idna[k].raw, p, n);
    memcpy(memo->idna[k].out, out, out_len);
}

/* Both entry points in one body; memo NULL remembers nothing. Inlined into
 * each so that the plain one carries no memo test. */
static inline __attribute__((always_inline)) hc_status
email_normalize(hc__domain_memo *memo, const void *email, size_t len, char *out,
                size_t *out_len)
{
    hc_status rc = HC_OK;
    const unsigned char *p = email;
    char dom[HC_DOMAIN_MAX + 1];
    size_t local_len = 0;
    size_t dom_len = 0;

    *out_len = 0;
    out[0] = '\0';
    if (len > HC_EMAIL_MAX)
        goto done;
    trim_ascii_space(&p, &len);
    const unsigned char *at;
    size_t dn;
    size_t ai =
        len >= 8 && len <= HC_KEY_MAX ? email_ascii(p, len, out) : EMAIL_OTHER;
    if (ai == EMAIL_NOKEY)
        goto done;
    if (ai != EMAIL_OTHER) {
        /* All ASCII: the local part is in place, lowercased; one longer
         * than 64 octets has no key (NFC and lowercase keep its length). */
        at = p + ai;
        dn = len - ai - 1;
        if (ai == 0 || dn == 0 || ai > HC__LOCAL_MAX)
            goto done;
        local_len = ai;
    } else {
        at = len ? memrchr(p, '@', len) : NULL;
        if (at == NULL)
            goto done;
        size_t ln = (size_t)(at - p);
        dn = len - ln - 1;
        if (ln == 0 || dn == 0)
            goto done;
        local_len = local_ascii(p, ln, out);
        if (local_len > HC__LOCAL_MAX)
            local_len = local_latin1(p, ln, out);
        if (local_len > HC__LOCAL_MAX)
            HC_TRY(hc__local_normalize_unicode(p, ln, out, &local_len));
        if (local_len == 0)
            goto done;
    }

    /* The common case, a plain ASCII domain that fits: checked and
     * lowercased straight into place after the '@'. */
    size_t dl = dn - (at[dn] == '.');
    if (local_len + 1 + dl <= HC_KEY_MAX) {
        /* After the whole-address sweep the domain is lowered in place:
         * a remembered one needs only its terminator. */
        if (memo && ai != EMAIL_OTHER && memo_has(memo, at + 1, dl)) {
            out[local_len + 1 + dl] = '\0';
            *out_len = local_len + 1 + dl;
            goto done;
        }
        switch (domain_shape(at + 1, dl, false, out + local_len + 1)) {
        case SHAPE_OK:
            if (memo)
                memo_keep(memo, at + 1, dl);
            out[local_len] = '@';
            *out_len = local_len + 1 + dl;
            goto done;
        case SHAPE_INVALID: goto done;
        case SHAPE_IDNA: break;
        }
    }
    /* Internationalized domains, and the odd ASCII one that did not fit
     * the key after its local part (its result is remembered all the
     * same: domain_normalize depends on the domain's bytes alone). */
    if (!memo || !idna_memo_get(memo, at + 1, dn, dom, &dom_len)) {
        HC_TRY(domain_normalize(at + 1, dn, dom, &dom_len));
        if (memo)
            idna_memo_keep(memo, at + 1, dn, dom, dom_len);
    }
    if (dom_len == 0 || local_len + 1 + dom_len > HC_KEY_MAX)
        goto done;
    out[local_len] = '@';
    memcpy(out + local_len + 1, dom, dom_len + 1);
    *out_len = local_len + 1 + dom_len;
done:
    if (*out_len == 0)
        out[0] = '\0';
    return rc;
}

hc_status hc_email_normalize(const void *email, size_t len, char *out,
                             size_t *out_len)
{
    return email_normalize(NULL, email, len, out, out_len);
}

hc_status hc__email_normalize_memo(hc__domain_memo *memo, const void *email,
                                   size_t len, char *out, size_t *out_len)
{
    return email_normalize(memo, email, len, out, out_len);
}
