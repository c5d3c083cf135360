/*
 * Fuzz target: norm_v1 on arbitrary bytes. Whenever hc_email_normalize gives
 * a key, the key must be a fixed point (normalizing it again gives the same
 * bytes), must obey every shape rule of the key (lengths, one local part and
 * a lowercase ASCII LDH domain, valid UTF-8 without controls or white space)
 * and must not depend on padding whitespace or on the ASCII case of the
 * input. hc_domain_normalize is held to the same idempotence and shape.
 * Input without '@' and with a non-blank first byte is also taken as a
 * local part: the fast paths of hc_email_normalize (ASCII, Latin-1) must
 * give exactly what libunistring gives for it. A domain memo kept across
 * inputs, as a census writer keeps one across records, must never change
 * a key: hc__email_normalize_memo gives what hc_email_normalize gives.
 */
#include "fuzz_common.h"
#include "norm_internal.h"

/* Unicode White_Space (PropList.txt), which a key may not contain. */
static bool is_white_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
           cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
           cp == 0x3000;
}

/* The shape of a normalized domain: 1..253 octets of lowercase LDH (and
 * underscore) labels of 1..63 octets, no leading or trailing hyphen. */
static void check_domain(const char *d, size_t n)
{
    FUZZ_CHECK(n >= 1 && n <= HC_DOMAIN_MAX, "domain length %zu", n);
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && d[i] != '.') {
            char c = d[i];
            FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                           c == '-' || c == '_',
                       "domain byte 0x%02x at %zu is not lowercase LDH",
                       (unsigned char)c, i);
            continue;
        }
        size_t len = i - start;
        FUZZ_CHECK(len >= 1 && len <= 63, "domain label of %zu octets", len);
        FUZZ_CHECK(d[start] != '-' && d[i - 1] != '-',
                   "domain label begins or ends with '-'");
        start = i + 1;
    }
}

static void check_key(const char *key, size_t n)
{
    FUZZ_CHECK(n <= HC_KEY_MAX, "key of %zu octets", n);
    FUZZ_CHECK(key[n] == '\0', "key not NUL-terminated");
    FUZZ_CHECK(strlen(key) == n, "key holds a NUL byte");
    const char *at = memrchr(key, '@', n);
    FUZZ_CHECK(at != NULL, "key without '@'");
    size_t local = (size_t)(at - key);
    FUZZ_CHECK(local >= 1 && local <= 64, "local part of %zu octets", local);
    check_domain(at + 1, n - local - 1);

    const unsigned char *p = (const unsigned char *)key;
    for (size_t i = 0; i < local;) {
        uint32_t cp = 0;
        size_t k = fuzz_utf8_decode(p + i, local - i, &cp);
        FUZZ_CHECK(k > 0, "key is not valid UTF-8 at %zu", i);
        FUZZ_CHECK(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f),
                   "key holds control character U+%04X", (unsigned)cp);
        FUZZ_CHECK(!is_white_space(cp), "key holds white space U+%04X",
                   (unsigned)cp);
        FUZZ_CHECK(!(cp >= 'A' && cp <= 'Z'), "key holds uppercase ASCII");
        i += k;
    }
}

static void normalize(const void *p, size_t n, char *out, size_t *len)
{
    FUZZ_OK(hc_email_normalize(p, n, out, len));
    FUZZ_CHECK(*len != 0 || out[0] == '\0', "no key but out not empty");
}

static bool same(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

/* The memo path must give the key the plain path gave for p, whatever
 * the memo holds. */
static void check_memo(hc__domain_memo *memo, const void *p, size_t n,
                       const char *key, size_t klen)
{
    char memo_key[HC_KEY_MAX + 1];
    size_t mlen = 0;
    FUZZ_OK(hc__email_normalize_memo(memo, p, n, memo_key, &mlen));
    FUZZ_CHECK(same(key, klen, memo_key, mlen),
               "the domain memo changes the key: \"%s\" vs \"%s\"", key,
               memo_key);
}

static void check_email(const uint8_t *data, size_t size)
{
    char key[HC_KEY_MAX + 1], again[HC_KEY_MAX + 1];
    size_t klen = 0, alen = 0;

    normalize(data, size, key, &klen);

    /* A fresh memo per input, so that a failure replays from its input
     * alone: the first call fills it, the second finds the domain there,
     * and the padded and case-flipped variants below meet it holding
     * other spellings (check_memo_pair: other domains). */
    hc__domain_memo memo;
    memset(&memo, 0, sizeof memo);
    check_memo(&memo, data, size, key, klen);
    check_memo(&memo, data, size, key, klen);

    if (klen != 0) {
        check_key(key, klen);
        normalize(key, klen, again, &alen);
        FUZZ_CHECK(same(key, klen, again, alen),
                   "not idempotent: \"%s\" normalizes to \"%s\"", key, again);
    }

    /* Whitespace padding is trimmed and ASCII case is folded, so neither
     * may change the outcome. */
    if (size + 2 <= HC_EMAIL_MAX) {
        char *v = malloc(size + 2);
        FUZZ_CHECK(v != NULL, "out of memory");
        v[0] = ' ';
        if (size)
            memcpy(v + 1, data, size);
        v[size + 1] = '\t';
        normalize(v, size + 2, again, &alen);
        FUZZ_CHECK(same(key, klen, again, alen),
                   "padding changes the key: \"%s\" vs \"%s\"", key, again);
        check_memo(&memo, v, size + 2, key, klen);
        for (size_t i = 1; i <= size; i++)
            if (v[i] >= 'a' && v[i] <= 'z')
                v[i] = (char)(v[i] - 'a' + 'A');
        normalize(v, size + 2, again, &alen);
        FUZZ_CHECK(same(key, klen, again, alen),
                   "ASCII case changes the key: \"%s\" vs \"%s\"", key, again);
        check_memo(&memo, v, size + 2, key, klen);
        check_memo(&memo, data, size, key, klen);
        free(v);
    }
}

static void check_domain_entry(const uint8_t *data, size_t size)
{
    char dom[HC_DOMAIN_MAX + 1], again[HC_DOMAIN_MAX + 1];
    size_t dlen = 0, alen = 0;

    FUZZ_OK(hc_domain_normalize(data, size, dom, &dlen));
    if (dlen == 0)
        return;
    FUZZ_CHECK(dom[dlen] == '\0', "domain not NUL-terminated");
    check_domain(dom, dlen);
    FUZZ_OK(hc_domain_normalize(dom, dlen, again, &alen));
    FUZZ_CHECK(same(dom, dlen, again, alen),
               "domain not idempotent: \"%s\" normalizes to \"%s\"", dom,
               again);

    /* A domain that normalizes must also make "x@domain" a valid key with
     * exactly that domain, when that fits in a key. */
    char email[HC_DOMAIN_MAX + 3], key[HC_KEY_MAX + 1];
    size_t klen = 0;
    if (dlen + 2 > HC_KEY_MAX)
        return;
    email[0] = 'x';
    email[1] = '@';
    memcpy(email + 2, dom, dlen);
    normalize(email, dlen + 2, key, &klen);
    FUZZ_CHECK(same(key + 2, klen >= 2 ? klen - 2 : 0, dom, dlen),
               "x@%s normalizes to \"%s\"", dom, key);
}

static void check_local_paths(const uint8_t *data, size_t size)
{
    char email[300], out[HC_KEY_MAX + 1], slow[HC__LOCAL_MAX];
    size_t on = 0, sn = 0;
    if (size == 0 || size > 200 || data[0] <= 0x20 ||
        memchr(data, '@', size) != NULL)
        return;
    memcpy(email, data, size);
    memcpy(email + size, "@a.example", 10);
    FUZZ_CHECK(hc_email_normalize(email, size + 10, out, &on) == HC_OK,
               "hc_email_normalize failed");
    FUZZ_CHECK(hc__local_normalize_unicode(data, size, slow, &sn) == HC_OK,
               "hc__local_normalize_unicode failed");
    if (on == 0) {
        FUZZ_CHECK(sn == 0, "fast path: no key, libunistring: a key");
        return;
    }
    FUZZ_CHECK(sn + 10 == on && memcmp(out, slow, sn) == 0 &&
                   memcmp(out + sn, "@a.example", 10) == 0,
               "fast path and libunistring disagree on a local part");
}

/* An email's key is its two halves joined: the local part as it
 * normalizes before a plain domain, '@', and the domain part as
 * hc_domain_normalize gives it; no key when either half has none or the
 * whole is too long. Inputs with padding at either end or after the last
 * '@' are left to the checks above (the two entry points trim
 * differently there). */
static void check_halves(const uint8_t *data, size_t size)
{
    char key[HC_KEY_MAX + 1], dom[HC_DOMAIN_MAX + 1];
    char local[HC_EMAIL_MAX + 16], lkey[HC_KEY_MAX + 1];
    size_t klen = 0, dlen = 0, llen = 0;
    if (size < 3 || size > HC_EMAIL_MAX || data[0] <= 0x20 ||
        data[size - 1] <= 0x20)
        return;
    const uint8_t *at = memrchr(data, '@', size);
    if (!at || at == data || at + 1 == data + size || at[1] <= 0x20)
        return;
    size_t ln = (size_t)(at - data);
    normalize(data, size, key, &klen);
    FUZZ_OK(hc_domain_normalize(at + 1, size - ln - 1, dom, &dlen));
    memcpy(local, data, ln);
    memcpy(local + ln, "@a.example", 10);
    normalize(local, ln + 10, lkey, &llen);
    size_t lp = llen >= 10 ? llen - 10 : 0; /* the local part's key */
    if (dlen == 0 || lp == 0 || lp + 1 + dlen > HC_KEY_MAX) {
        FUZZ_CHECK(klen == 0, "\"%s\" has a key though a half has none", key);
        return;
    }
    FUZZ_CHECK(klen == lp + 1 + dlen && memcmp(key, lkey, lp + 1) == 0 &&
                   memcmp(key + lp + 1, dom, dlen) == 0,
               "\"%s\" is not \"%.*s\" joined with \"%s\"", key, (int)lp, lkey,
               dom);
}

/*
 * The memo holding another domain than the one looked up: two addresses
 * through one fresh memo, in turns, each against its own plain key. They
 * are the input's two lines when it has a line break (the fuzzer can then
 * write any pair), else the input and a copy with its last byte changed
 * to or from '!': an address whose domain has the same length and first
 * eight bytes, so the same memo slot, and differs in validity at the end
 * (a lookup that trusted the slot's hash alone would key the wrong one).
 */
static void check_memo_pair(const uint8_t *data, size_t size)
{
    if (size == 0 || size > HC_EMAIL_MAX)
        return;
    uint8_t other[HC_EMAIL_MAX];
    const uint8_t *a = data, *b = other;
    size_t an = size, bn = size;
    const uint8_t *nl = memchr(data, '\n', size);
    if (nl) {
        an = (size_t)(nl - data);
        b = nl + 1;
        bn = size - an - 1;
    } else {
        memcpy(other, data, size);
        /* '!' ends no valid domain: one of the two has no key. */
        other[size - 1] = other[size - 1] == '!' ? 'a' : '!';
    }
    char akey[HC_KEY_MAX + 1], bkey[HC_KEY_MAX + 1];
    size_t akn = 0, bkn = 0;
    normalize(a, an, akey, &akn);
    normalize(b, bn, bkey, &bkn);
    hc__domain_memo memo;
    memset(&memo, 0, sizeof memo);
    for (int turn = 0; turn < 2; turn++) {
        check_memo(&memo, a, an, akey, akn);
        check_memo(&memo, b, bn, bkey, bkn);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_email(data, size);
    check_memo_pair(data, size);
    check_domain_entry(data, size);
    check_local_paths(data, size);
    check_halves(data, size);
    return 0;
}
