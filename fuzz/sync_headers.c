/*
 * Fuzz target: the parsers of what servers and state files hand to sync
 * (shell/sync_util.c, built into this target): the Link header that pages
 * the consumed-licenses export, Retry-After, and the reader of the flat
 * JSON state files. The first byte picks one of five modes.
 *
 * Link, written (mode 0): a header generated from the bytes, link-values
 * with URIs of every printable byte but '>' (commas, semicolons and quotes
 * included, sometimes a space, sometimes longer than the output), any
 * number of parameters (rel in any case, quoted or not, holding several
 * relation types, "next" among them or words that merely contain it;
 * title, type and anchor with quoted commas, semicolons and escapes;
 * parameters without a value), empty elements and odd whitespace, and one
 * mistake in some (no '>', a parameter without a name, text before '<',
 * an unclosed quote). The generator knows the answer: the URI of the
 * first link-value whose first rel parameter lists "next"; none when no
 * link-value has one; malformed when a mistake comes before that link,
 * when that link's URI is empty, too long or holds a space or control
 * byte, or when its first rel value is longer than the parser reads
 * (which must never pass for "no next page").
 *
 * Link, raw (mode 1): any bytes. A next URI is terminated, fits, and is
 * the text between a '<' and the following '>' of the input.
 *
 * Retry-After, written (mode 2): delay-seconds of any size, or a moment
 * in IMF-fixdate, RFC 850 or asctime form, with whitespace around; the
 * delay must be the seconds (capped at a day), or the time from now to
 * that moment (0 in the past, capped at a day). Raw (mode 3): any bytes;
 * a delay, when there is one, is at most a day.
 *
 * State files (mode 4): any bytes to sync_jobjs_parse. What it accepts,
 * written back with sync_json_string, reads back the same (when every
 * string is valid UTF-8, which the writer keeps); and reading only the
 * last k objects gives exactly the last k of the whole parse.
 */
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "fuzz_common.h"
#include "sync_util.h"

enum { LINK_CAP = 256, HDR_MAX = 8192, REL_READ = 255 };

typedef struct hdr {
    char s[HDR_MAX];
    size_t n;
    bool full;
} hdr;

static void put(hdr *h, const char *s, size_t n)
{
    if (h->n + n >= sizeof h->s) {
        h->full = true;
        return;
    }
    memcpy(h->s + h->n, s, n);
    h->n += n;
}

static void puts_(hdr *h, const char *s)
{
    put(h, s, strlen(s));
}

static void ows(hdr *h, fuzz_in *in)
{
    static const char *const ws[] = {"", "", " ", "\t", "  "};
    puts_(h, ws[fuzz_u8(in) % 5]);
}

/* A URI: printable bytes but '>', of a drawn length; returns whether a
 * sync client could use it (no space or control byte). */
static bool gen_uri(hdr *h, fuzz_in *in, size_t *len)
{
    static const char base[] = "https://api.github.com/enterprises/acme/"
                               "consumed-licenses?per_page=100&page=";
    uint8_t how = fuzz_u8(in);
    size_t n = 0;
    bool clean = true;
    if (how % 8 == 0) { /* empty */
        *len = 0;
        return true;
    }
    if (how % 8 != 1) {
        put(h, base, sizeof base - 1);
        n += sizeof base - 1;
    }
    size_t extra = fuzz_u8(in);
    if (how % 16 == 2)
        extra += 256; /* longer than the output */
    for (size_t i = 0; i < extra % 300; i++) {
        uint8_t c = fuzz_u8(in);
        char ch = (char)(c % 96 + 32); /* ' '..DEL */
        if (ch == '>')
            ch = '9';
        if (c >= 240)
            ch = "\t\x01,;\"<"[c % 6];
        if ((unsigned char)ch <= 0x20 || ch == 0x7f)
            clean = false;
        put(h, &ch, 1);
        n++;
    }
    *len = n;
    return clean;
}

/* A quoted string holding text (escaping '"' and '\' and sometimes any
 * other byte); returns the decoded length. */
static size_t put_quoted(hdr *h, fuzz_in *in, const char *text)
{
    size_t decoded = 0;
    puts_(h, "\"");
    for (const char *p = text; *p; p++) {
        if (*p == '"' || *p == '\\' || fuzz_u8(in) % 8 == 0)
            puts_(h, "\\");
        put(h, p, 1);
        decoded++;
    }
    puts_(h, "\"");
    return decoded;
}

/* The rel value: relation types separated by spaces; sets *next when one
 * of them is "next" in some case. */
static void gen_rel_types(fuzz_in *in, char *out, size_t cap, bool *next,
                          bool *multi)
{
    static const char *const types[] = {
        "next",     "NEXT",  "Next",     "prev",
        "last",     "first", "nextpage", "next-page",
        "previous", "xnext", "nex",      "https://x.example/next"};
    size_t k = 1 + fuzz_u8(in) % 4, n = 0;
    *next = false;
    *multi = k > 1;
    out[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        const char *t = types[fuzz_u8(in) % (sizeof types / sizeof types[0])];
        if (strcasecmp(t, "next") == 0)
            *next = true;
        if (strchr(t, '/'))
            *multi = true; /* not a token: must be quoted */
        int w = snprintf(out + n, cap - n, "%s%s", i ? " " : "", t);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
    /* Sometimes longer than the parser reads. */
    if (fuzz_u8(in) % 16 == 0) {
        while (n + 6 < cap && n < REL_READ + 20) {
            memcpy(out + n, " first", 6);
            n += 6;
        }
        out[n] = '\0';
        *multi = true;
    }
}

typedef enum { ANS_NONE, ANS_NEXT, ANS_BAD } answer;

static void link_written(fuzz_in *in)
{
    static hdr h;
    h.n = 0;
    h.full = false;
    answer want = ANS_NONE;
    size_t want_off = 0, want_len = 0;
    bool decided = false;
    int links = 1 + fuzz_u8(in) % 6;
    int mistake_at =
        fuzz_u8(in) % 3 == 0 ? (int)(fuzz_u8(in) % (links + 1)) : -1;
    ows(&h, in);
    for (int l = 0; l < links && !h.full; l++) {
        if (l) {
            ows(&h, in);
            puts_(&h, fuzz_u8(in) % 8 == 0 ? ",," : ",");
            ows(&h, in);
        }
        bool mistake = l == mistake_at;
        uint8_t kind = mistake ? fuzz_u8(in) % 4 : 255;
        if (kind == 0) {
            puts_(&h, "x"); /* text before '<' */
            if (!decided) {
                want = ANS_BAD;
                decided = true;
            }
        }
        puts_(&h, "<");
        size_t uri_off = h.n, uri_len;
        bool clean = gen_uri(&h, in, &uri_len);
        if (kind == 1) { /* no '>': the rest of the header is the URI */
            if (!decided) {
                want = ANS_BAD;
                decided = true;
            }
            break;
        }
        puts_(&h, ">");
        bool is_next = false, seen_rel = false, rel_unreadable = false;
        int params = fuzz_u8(in) % 5;
        for (int q = 0; q < params && !h.full; q++) {
            ows(&h, in);
            puts_(&h, ";");
            ows(&h, in);
            if (kind == 2 && q == params - 1) { /* a parameter without name */
                puts_(&h, "=x");
                if (!decided) {
                    want = ANS_BAD;
                    decided = true;
                }
                break;
            }
            uint8_t which = fuzz_u8(in) % 6;
            if (which < 3) {
                static const char *const rels[] = {"rel", "REL", "Rel"};
                puts_(&h, rels[which]);
                ows(&h, in);
                puts_(&h, "=");
                ows(&h, in);
                char types[400];
                bool next, multi;
                gen_rel_types(in, types, sizeof types, &next, &multi);
                size_t decoded;
                if (!multi && fuzz_u8(in) % 2) {
                    puts_(&h, types);
                    decoded = strlen(types);
                } else {
                    decoded = put_quoted(&h, in, types);
                }
                if (!seen_rel) {
                    seen_rel = true;
                    is_next = next;
                    rel_unreadable = decoded > REL_READ;
                }
            } else if (which < 5) {
                static const char *const names[] = {"title", "type", "anchor"};
                puts_(&h, names[fuzz_u8(in) % 3]);
                puts_(&h, "=");
                static const char *const vals[] = {
                    "a, b; c", "rel=next", "\\\"quoted\\\"", "<x>", "x"};
                put_quoted(&h, in, vals[fuzz_u8(in) % 5]);
            } else {
                puts_(&h, "x-flag"); /* a parameter without a value */
            }
        }
        if (kind == 3) { /* an unclosed quote ends the header */
            puts_(&h, "; title=\"open");
            if (!decided) {
                want = ANS_BAD;
                decided = true;
            }
            break;
        }
        if (!decided && rel_unreadable) {
            want = ANS_BAD;
            decided = true;
        } else if (!decided && is_next) {
            decided = true;
            if (uri_len == 0 || uri_len >= LINK_CAP || !clean) {
                want = ANS_BAD;
            } else {
                want = ANS_NEXT;
                want_off = uri_off;
                want_len = uri_len;
            }
        }
    }
    ows(&h, in);
    if (h.full)
        return; /* the answer may lie past what fit */
    char out[LINK_CAP];
    sync_link got = sync_link_next(h.s, h.n, out, sizeof out);
    static const char *const names[] = {"none", "next", "bad"};
    answer g = got == SYNC_LINK_NEXT  ? ANS_NEXT
               : got == SYNC_LINK_BAD ? ANS_BAD
                                      : ANS_NONE;
    FUZZ_CHECK(g == want, "Link %.*s: got %s, want %s", (int)h.n, h.s, names[g],
               names[want]);
    if (want == ANS_NEXT)
        FUZZ_CHECK(strlen(out) == want_len &&
                       memcmp(out, h.s + want_off, want_len) == 0,
                   "Link %.*s: next is %s, want %.*s", (int)h.n, h.s, out,
                   (int)want_len, h.s + want_off);
}

static void link_raw(const uint8_t *data, size_t size)
{
    char out[LINK_CAP];
    memset(out, 'Z', sizeof out);
    const char *s = (const char *)data;
    if (sync_link_next(s, size, out, sizeof out) != SYNC_LINK_NEXT)
        return;
    size_t n = strnlen(out, sizeof out);
    FUZZ_CHECK(n > 0 && n < sizeof out, "next URI not terminated in cap");
    bool found = false;
    for (size_t i = 0; !found && i + n + 2 <= size; i++)
        found = s[i] == '<' && memcmp(s + i + 1, out, n) == 0 &&
                s[i + 1 + n] == '>' && !memchr(s + i + 1, '>', n);
    FUZZ_CHECK(found, "next URI %s is not a <...> of the input", out);
}

static const time_t NOW = 1780000000; /* 2026-05-28 */

static void retry_written(fuzz_in *in)
{
    char buf[160];
    uint64_t want;
    static const char *const ws[] = {"", " ", "\t", "  "};
    const char *pre = ws[fuzz_u8(in) % 4], *post = ws[fuzz_u8(in) % 4];
    uint8_t form = fuzz_u8(in) % 4;
    if (form == 0) {
        uint64_t secs = 0;
        for (int i = 0; i < 8; i++)
            secs = secs << 8 | fuzz_u8(in);
        secs >>= fuzz_u8(in) % 64;
        snprintf(buf, sizeof buf, "%s%llu%s", pre, (unsigned long long)secs,
                 post);
        want = (secs > 86400 ? 86400 : secs) * 1000u;
    } else {
        int64_t off =
            (int64_t)(int32_t)((uint32_t)fuzz_u16(in) << 16 | fuzz_u16(in));
        off >>= fuzz_u8(in) % 24;
        /* Within 40 years of now: an RFC 850 two-digit year then reads
         * back as itself (POSIX puts 69-99 in the 1900s, 00-68 in the
         * 2000s, and the moments lie within 1986-2066). */
        off %= (int64_t)40 * 365 * 86400;
        time_t t = NOW + off;
        struct tm tm;
        FUZZ_CHECK(gmtime_r(&t, &tm) != NULL, "gmtime_r");
        char date[96];
        size_t dn;
        if (form == 1) {
            dn = strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        } else if (form == 2) { /* the two-digit year written by hand */
            dn = strftime(date, sizeof date, "%A, %d-%b-", &tm);
            dn += (size_t)snprintf(date + dn, sizeof date - dn, "%02d",
                                   (tm.tm_year + 1900) % 100);
            dn += strftime(date + dn, sizeof date - dn, " %H:%M:%S GMT", &tm);
        } else {
            dn = strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);
        }
        FUZZ_CHECK(dn > 0, "strftime");
        snprintf(buf, sizeof buf, "%s%s%s", pre, date, post);
        int64_t d = off > 0 ? off : 0;
        want = (uint64_t)(d > 86400 ? 86400 : d) * 1000u;
    }
    uint64_t got = UINT64_MAX;
    FUZZ_CHECK(sync_retry_after_parse(buf, NOW, &got),
               "Retry-After '%s' refused", buf);
    FUZZ_CHECK(got == want, "Retry-After '%s': %llu ms, want %llu", buf,
               (unsigned long long)got, (unsigned long long)want);
}

static void retry_raw(const uint8_t *data, size_t size)
{
    char buf[256];
    size_t n = size < sizeof buf - 1 ? size : sizeof buf - 1;
    memcpy(buf, data, n);
    buf[n] = '\0';
    uint64_t d = 0;
    if (sync_retry_after_parse(buf, NOW, &d))
        FUZZ_CHECK(d <= 86400000u, "Retry-After delay %llu ms over a day",
                   (unsigned long long)d);
}

/* Valid UTF-8, as the state writer keeps strings (else it writes
 * U+FFFD). */
static bool utf8_str(const char *s)
{
    return fuzz_utf8((const uint8_t *)s, strlen(s));
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void same_objs(const sync_jobj *a, size_t na, const sync_jobj *b,
                      size_t nb, const char *what)
{
    FUZZ_CHECK(na == nb, "%s: %zu objects, then %zu", what, na, nb);
    for (size_t i = 0; i < na; i++) {
        FUZZ_CHECK(a[i].n == b[i].n, "%s: object %zu: %zu fields, then %zu",
                   what, i, a[i].n, b[i].n);
        for (size_t j = 0; j < a[i].n; j++)
            FUZZ_CHECK(same_str(a[i].fields[j].key, b[i].fields[j].key) &&
                           same_str(a[i].fields[j].value, b[i].fields[j].value),
                       "%s: object %zu field %zu differs", what, i, j);
    }
}

static void state_file(const uint8_t *data, size_t size)
{
    sync_jobj *objs = NULL;
    size_t n = 0;
    if (!sync_jobjs_parse((const char *)data, size, &objs, &n))
        return;
    bool text = true;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < objs[i].n; j++)
            text =
                text && utf8_str(objs[i].fields[j].key) &&
                (!objs[i].fields[j].value || utf8_str(objs[i].fields[j].value));
    /* The last k objects alone, k drawn from the input. */
    size_t keep = size ? data[size - 1] % 5 : 0;
    sync_jobj *tail = NULL;
    size_t nt = 0;
    FUZZ_CHECK(
        sync_jobjs_parse_tail((const char *)data, size, keep, &tail, &nt),
        "the tail parse refused what the whole parse took");
    size_t from = keep && keep < n ? n - keep : 0;
    same_objs(n ? objs + from : NULL, n - from, tail, nt, "tail");
    sync_jobjs_free(tail, nt);
    if (text) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        FUZZ_CHECK(f != NULL, "open_memstream");
        fputc('[', f);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ",{" : "{", f);
            for (size_t j = 0; j < objs[i].n; j++) {
                if (j)
                    fputc(',', f);
                sync_json_string(f, objs[i].fields[j].key);
                fputc(':', f);
                sync_json_string_or_null(f, objs[i].fields[j].value);
            }
            fputc('}', f);
        }
        fputc(']', f);
        FUZZ_CHECK(fclose(f) == 0, "memstream");
        sync_jobj *again = NULL;
        size_t na = 0;
        FUZZ_CHECK(sync_jobjs_parse(buf, len, &again, &na),
                   "what was read, written back, is refused: %s", buf);
        same_objs(objs, n, again, na, "written back");
        sync_jobjs_free(again, na);
        free(buf);
    }
    sync_jobjs_free(objs, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    fuzz_in in = {data + 1, size - 1};
    switch (data[0] % 5) {
    case 0: link_written(&in); break;
    case 1: link_raw(data + 1, size - 1); break;
    case 2: retry_written(&in); break;
    case 3: retry_raw(data + 1, size - 1); break;
    default: state_file(data + 1, size - 1); break;
    }
    return 0;
}
