/*
 * The byte-level half of report writing: a buffered sink over the caller's
 * hc_write_fn, and JSON string escaping. Reports carry strings that come
 * from exports we do not control (logins, host names, emails), so escaping
 * must turn any byte sequence into valid JSON: quotes, backslashes and
 * control characters are escaped, well-formed UTF-8 passes through untouched,
 * and each maximal ill-formed subpart becomes one U+FFFD, the substitution
 * practice the Unicode standard recommends (and WHATWG encoders follow).
 */
#include <stdio.h>
#include <string.h>

#include "report_json.h"
#include "util.h"

hc_status hc_write_file(void *ctx, const void *buf, size_t len)
{
    FILE *f = ctx;
    if (!f)
        return HC_ERR_ARG;
    if (len && fwrite(buf, 1, len, f) != len)
        return HC_ERR_IO;
    return HC_OK;
}

void hc__out_init(hc__out *o, hc_write_fn fn, void *ctx, char *buf, size_t cap)
{
    o->fn = fn;
    o->ctx = ctx;
    o->buf = buf;
    o->len = 0;
    o->cap = cap;
    o->rc = fn ? HC_OK : HC_ERR_ARG;
}

static void out_drain(hc__out *o)
{
    if (o->rc == HC_OK && o->len)
        o->rc = o->fn(o->ctx, o->buf, o->len);
    o->len = 0;
}

void hc__out_write(hc__out *o, const void *p, size_t n)
{
    if (o->rc != HC_OK || n == 0)
        return;
    if (n > o->cap - o->len) {
        out_drain(o);
        /* A piece larger than the buffer goes straight through rather
         * than being chopped into buffer-sized calls. */
        if (n >= o->cap) {
            if (o->rc == HC_OK)
                o->rc = o->fn(o->ctx, p, n);
            return;
        }
        if (o->rc != HC_OK)
            return;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

void hc__out_cstr(hc__out *o, const char *s)
{
    hc__out_write(o, s, strlen(s));
}

void hc__out_char(hc__out *o, char c)
{
    if (o->len == o->cap)
        out_drain(o);
    if (o->rc == HC_OK)
        o->buf[o->len++] = c;
}

void hc__out_u64(hc__out *o, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    hc__out_write(o, tmp + i, sizeof tmp - i);
}

hc_status hc__out_flush(hc__out *o)
{
    out_drain(o);
    return o->rc;
}

size_t hc__utf8_seq(const unsigned char *p, size_t n, size_t *bad)
{
    unsigned char c = p[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */

    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        *bad = 1;
        return 0;
    }
    size_t i = 1;
    if (i < n && p[i] >= lo && p[i] <= hi) {
        for (i = 2; i < need && i < n; i++)
            if (p[i] < 0x80 || p[i] > 0xBF)
                break;
        if (i == need)
            return need;
    }
    *bad = i;
    return 0;
}

/* Bytes that may be copied verbatim inside a JSON string: not a control
 * (DEL included: JSON allows it raw, but output printed on a terminal
 * should carry no control characters at all). */
static inline int json_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

void hc__out_json_body(hc__out *o, const void *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = s;
    size_t i = 0;

    while (i < n && o->rc == HC_OK) {
        size_t run = i;
        while (run < n && json_plain(p[run]))
            run++;
        if (run > i) {
            hc__out_write(o, p + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t bad = 0;
            size_t len = hc__utf8_seq(p + i, n - i, &bad);
            if (len == 2 && c == 0xC2 && p[i + 1] < 0xA0) {
                /* A C1 control (U+0080..U+009F, e.g. CSI): escaped like
                 * the C0 ones, since terminals act on it too. */
                char esc[6] = {'\\',
                               'u',
                               '0',
                               '0',
                               hex[p[i + 1] >> 4],
                               hex[p[i + 1] & 15]};
                hc__out_write(o, esc, sizeof esc);
                i += 2;
            } else if (len) {
                hc__out_write(o, p + i, len);
                i += len;
            } else {
                hc__out_write(o, "\xEF\xBF\xBD", 3);
                i += bad;
            }
            continue;
        }
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
            break;
        }
        hc__out_write(o, esc, elen);
        i++;
    }
}

void hc__out_json_string(hc__out *o, const void *s, size_t n)
{
    hc__out_char(o, '"');
    hc__out_json_body(o, s, n);
    hc__out_char(o, '"');
}

hc_status hc_json_write_string(hc_write_fn fn, void *ctx, const void *s,
                               size_t len)
{
    char buf[1024];
    hc__out o;

    if (!s && len)
        return HC_ERR_ARG;
    hc__out_init(&o, fn, ctx, buf, sizeof buf);
    hc__out_json_string(&o, s, len);
    return hc__out_flush(&o);
}
