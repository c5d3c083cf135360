/*
 * Tests of the report module: JSON string escaping against an independent
 * UTF-8 reference, HMAC pseudonyms against RFC 4231, the JSON and CSV
 * reports and the summary of a small census compared with text worked out
 * by hand, reading reports back (ours and GitHub's page shapes), malformed
 * report files with their line and column, and a seeded random census whose
 * report must read back to exactly the persons of the result.
 * Set HC_TEST_SEED to replay a random run; the seed is printed on failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "test_seed.h"

#include "headcount/headcount.h"
#include "report_json.h"

/* The seed of the randomized tests: HC_TEST_SEED, else this default. */
static uint64_t g_seed = 20240601u;

/* xorshift64*: small, seeded, and the same on every platform. */
static uint64_t rng_state;
static uint64_t xorshift_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static unsigned rng_below(unsigned n)
{
    return (unsigned)(xorshift_next() % n);
}

/* ---------------------------------------------------------------- sinks */

typedef struct sink {
    char *data;
    size_t len;
    size_t cap;
    size_t calls;
    size_t fail_after; /* fail once this many bytes were accepted; 0: never */
} sink;

static hc_status sink_write(void *ctx, const void *buf, size_t len)
{
    sink *s = ctx;
    s->calls++;
    if (s->fail_after && s->len + len > s->fail_after)
        return HC_ERR_IO;
    if (s->len + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + len + 1)
            cap *= 2;
        char *p = realloc(s->data, cap);
        assert_non_null(p);
        s->data = p;
        s->cap = cap;
    }
    memcpy(s->data + s->len, buf, len);
    s->len += len;
    s->data[s->len] = '\0';
    return HC_OK;
}

static void sink_puts(sink *s, const char *text)
{
    sink_write(s, text, strlen(text));
}

static void sink_free(sink *s)
{
    free(s->data);
    memset(s, 0, sizeof *s);
}

static char *tmp_path(const char *suffix)
{
    const char *dir = getenv("TMPDIR");
    char *path = malloc(4096);
    assert_non_null(path);
    snprintf(path, 4096, "%s/hc_test_report_XXXXXX%s",
             dir && *dir ? dir : "/tmp", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    close(fd);
    return path;
}

static char *write_tmp(const void *data, size_t len)
{
    char *path = tmp_path(".json");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* ------------------------------------------------------- JSON escaping */

static void check_escape(const char *in, size_t len, const char *want)
{
    sink s = {0};
    assert_int_equal(hc_json_write_string(sink_write, &s, in, len), HC_OK);
    assert_non_null(s.data);
    assert_string_equal(s.data, want);
    sink_free(&s);
}

static void test_escape_cases(void **state)
{
    (void)state;
    check_escape("", 0, "\"\"");
    check_escape("plain@x.example", 15, "\"plain@x.example\"");
    check_escape("a\"b\\c/", 6, "\"a\\\"b\\\\c/\"");
    check_escape("\x01\x1f\n\t\r\b\f", 7, "\"\\u0001\\u001f\\n\\t\\r\\b\\f\"");
    check_escape("a\0b", 3, "\"a\\u0000b\"");
    /* DEL and C1 controls are valid JSON as they are, but a report
     * printed on a terminal must not carry them: escaped like C0. */
    check_escape("\x7f", 1, "\"\\u007f\"");
    check_escape("a\xC2\x9b"
                 "2J\xC2\x85",
                 7, "\"a\\u009b2J\\u0085\"");
    check_escape("\xC2\xA0", 2, "\"\xC2\xA0\""); /* U+00A0 is text */
    check_escape("b\xC3\xBC"
                 "cher",
                 7,
                 "\"b\xC3\xBC"
                 "cher\"");
    check_escape("\xF0\x9F\x98\x80", 4, "\"\xF0\x9F\x98\x80\"");
    check_escape("\xE2\x82\xAC", 3, "\"\xE2\x82\xAC\"");
    /* Ill-formed: one U+FFFD per maximal subpart. */
    check_escape("\xC3", 1, "\"\xEF\xBF\xBD\"");
    check_escape("\xE2\x82"
                 "A",
                 3,
                 "\"\xEF\xBF\xBD"
                 "A\"");
    check_escape("\xC0\xAF", 2, "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    check_escape("\xED\xA0\x80", 3, "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    check_escape("\xF4\x90\x80\x80", 4,
                 "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    check_escape("\xF0\x9F\x98", 3, "\"\xEF\xBF\xBD\"");
    check_escape("\xF0\x9F\x98\"", 4, "\"\xEF\xBF\xBD\\\"\"");
    check_escape("\xFF\xFE", 2, "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

static void test_escape_write_failure(void **state)
{
    (void)state;
    sink s = {0};
    s.fail_after = 1;
    assert_int_equal(hc_json_write_string(sink_write, &s, "abc", 3), HC_ERR_IO);
    assert_int_equal(hc_json_write_string(NULL, &s, "abc", 3), HC_ERR_ARG);
    sink_free(&s);
}

/* --------------------------------------------------------- CSV fields */

static void check_csv_field(const char *in, const char *want)
{
    sink s = {0};
    assert_int_equal(hc_csv_write_field(sink_write, &s, in, strlen(in)), HC_OK);
    assert_string_equal(s.data ? s.data : "", want);
    sink_free(&s);
}

static void test_csv_field_cases(void **state)
{
    (void)state;
    check_csv_field("", "");
    check_csv_field("plain@x.example", "plain@x.example");
    check_csv_field("a,b", "\"a,b\"");
    check_csv_field("say \"hi\"", "\"say \"\"hi\"\"\"");
    check_csv_field("two\nlines", "\"two\nlines\"");
    /* What a spreadsheet would run as a formula is shown as text. */
    check_csv_field("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"");
    check_csv_field("=1+1@x.example", "'=1+1@x.example");
    check_csv_field("+1", "'+1");
    check_csv_field("-1", "'-1");
    check_csv_field("@SUM(A1)", "'@SUM(A1)");
    check_csv_field("\tx", "\"'\tx\"");
    /* Spreadsheets in locales whose list separator is ';' split there,
     * quotes that open mid-field or not: the piece after a ';', TAB or
     * line end is guarded like a field of its own. */
    check_csv_field("x;=cmd|' /C calc'!A0", "\"x;'=cmd|' /C calc'!A0\"");
    check_csv_field("a;=2+2;@corp.example", "\"a;'=2+2;'@corp.example\"");
    check_csv_field("a;\"\"=1", "\"a;'\"\"\"\"=1\"");
    check_csv_field("a\t\t=1", "\"a\t'\t'=1\"");
    check_csv_field("x\n-1\r+1", "\"x\n'-1\r'+1\"");
    check_csv_field(";=", "\";'=\"");
    check_csv_field("a;b", "\"a;b\"");
    check_csv_field("a;\"b", "\"a;\"\"b\"");
    check_csv_field("a;", "\"a;\"");
    check_csv_field("a,=1", "\"a,=1\""); /* a ',' reader honours quotes */
    /* Spaces before the sign: an import that trims them. */
    check_csv_field(" =1", "' =1");
    check_csv_field("a; \"=1", "\"a;' \"\"=1\"");
    check_csv_field("a b", "a b");
    check_csv_field("a\tb", "\"a\tb\"");
    check_csv_field("\rx", "\"'\rx\"");
    check_csv_field("a=b", "a=b"); /* only a leading sign matters */
    /* Controls and ill-formed UTF-8 never reach the output. */
    check_csv_field("x\x1b[2Jy", "x\xEF\xBF\xBD[2Jy");
    check_csv_field("x\xC2\x9b"
                    "2Jy\xC2\x85",
                    "x\xEF\xBF\xBD"
                    "2Jy\xEF\xBF\xBD");
    check_csv_field("\x7f=", "\xEF\xBF\xBD=");
    check_csv_field("caf\xC3", "caf\xEF\xBF\xBD");

    sink s = {0};
    s.fail_after = 1;
    assert_int_equal(hc_csv_write_field(sink_write, &s, "abc", 3), HC_ERR_IO);
    assert_int_equal(hc_csv_write_field(NULL, &s, "abc", 3), HC_ERR_ARG);
    assert_int_equal(hc_csv_write_field(sink_write, &s, NULL, 1), HC_ERR_ARG);
    sink_free(&s);
}

/*
 * The reference: every well-formed UTF-8 sequence and every proper prefix
 * of one, found by encoding each scalar value, so that "maximal subpart"
 * is looked up rather than recomputed the way the code under test does.
 */
static unsigned char *ref_full; /* 2^24 bits: 2- and 3-byte sequences */
static unsigned char *ref_pre;  /* 2^24 bits: 1-, 2-, 3-byte prefixes */

static void bit_set(unsigned char *m, uint32_t i)
{
    m[i >> 3] |= (unsigned char)(1u << (i & 7));
}
static int bit_get(const unsigned char *m, uint32_t i)
{
    return m[i >> 3] >> (i & 7) & 1;
}

/* Bitmap index of a 1-, 2- or 3-byte string (lengths kept apart). */
static uint32_t ref_index(const unsigned char *p, size_t n)
{
    if (n == 1)
        return p[0];
    if (n == 2)
        return 0x10000u | (uint32_t)p[0] << 8 | p[1];
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void ref_build(void)
{
    if (ref_full)
        return;
    ref_full = calloc(1, (size_t)1 << 21);
    ref_pre = calloc(1, (size_t)1 << 21);
    assert_non_null(ref_full);
    assert_non_null(ref_pre);
    for (uint32_t cp = 0x80; cp <= 0x10FFFF; cp++) {
        unsigned char b[4] = {0, 0, 0, 0};
        size_t n;
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        if (cp < 0x800) {
            b[0] = (unsigned char)(0xC0 | cp >> 6);
            b[1] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 2;
        } else if (cp < 0x10000) {
            b[0] = (unsigned char)(0xE0 | cp >> 12);
            b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
            b[2] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 3;
        } else {
            b[0] = (unsigned char)(0xF0 | cp >> 18);
            b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
            b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
            b[3] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 4;
        }
        for (size_t k = 1; k < n; k++)
            bit_set(ref_pre, ref_index(b, k));
        if (n < 4)
            bit_set(ref_full, ref_index(b, n));
    }
}

/* Appends the reference rendering of (p, n): ill-formed subparts become
 * U+FFFD, everything else is kept. */
static size_t ref_sanitize(const unsigned char *p, size_t n, char *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        size_t avail = n - i, k;
        if (p[i] < 0x80) {
            out[o++] = (char)p[i++];
            continue;
        }
        for (k = 2; k <= 3 && k <= avail; k++)
            if (bit_get(ref_full, ref_index(p + i, k)))
                break;
        if (k <= 3 && k <= avail) {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
            continue;
        }
        if (avail >= 4 && bit_get(ref_pre, ref_index(p + i, 3)) &&
            p[i + 3] >= 0x80 && p[i + 3] <= 0xBF) {
            memcpy(out + o, p + i, 4);
            o += 4;
            i += 4;
            continue;
        }
        k = 1;
        for (size_t m = 2; m <= 3 && m <= avail; m++)
            if (bit_get(ref_pre, ref_index(p + i, m)))
                k = m;
        memcpy(out + o, "\xEF\xBF\xBD", 3);
        o += 3;
        i += k;
    }
    return o;
}

static size_t random_bytes(unsigned char *b)
{
    size_t n = 0, parts = rng_below(12);
    for (size_t i = 0; i < parts; i++) {
        unsigned kind = rng_below(7);
        uint32_t cp = 0;
        switch (kind) {
        case 0: b[n++] = (unsigned char)(0x20 + rng_below(95)); break;
        case 1: b[n++] = (unsigned char)rng_below(0x20); break;
        case 2: b[n++] = rng_below(2) ? '"' : '\\'; break;
        case 3: b[n++] = (unsigned char)(0x80 + rng_below(0x80)); break;
        default:
            cp = rng_below(4) ? 0x80 + rng_below(0x800) : rng_below(0x110000);
            if (cp < 0x80)
                cp += 0x80;
            /* Surrogates are encoded too (ill-formed on purpose). */
            unsigned char e[4] = {0, 0, 0, 0};
            size_t len;
            if (cp < 0x800) {
                e[0] = (unsigned char)(0xC0 | cp >> 6);
                e[1] = (unsigned char)(0x80 | (cp & 0x3F));
                len = 2;
            } else if (cp < 0x10000) {
                e[0] = (unsigned char)(0xE0 | cp >> 12);
                e[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
                e[2] = (unsigned char)(0x80 | (cp & 0x3F));
                len = 3;
            } else {
                e[0] = (unsigned char)(0xF0 | cp >> 18);
                e[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
                e[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
                e[3] = (unsigned char)(0x80 | (cp & 0x3F));
                len = 4;
            }
            if (kind == 6 && len > 1)
                len -= 1 + rng_below((unsigned)len - 1); /* truncated */
            memcpy(b + n, e, len);
            n += len;
            break;
        }
    }
    return n;
}

static void hex_dump(const char *what, const void *p, size_t n)
{
    const unsigned char *b = p;
    char line[64 * 3 * 3 + 1];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < sizeof line; i++)
        o += (size_t)snprintf(line + o, sizeof line - o, " %02x", b[i]);
    line[o] = '\0';
    print_error("  %s:%s\n", what, line);
}

/*
 * Random byte strings are escaped, embedded as logins in a report file,
 * and read back with the strict reader: every one must parse, and decode to
 * the reference rendering.
 */
static void test_escape_random_roundtrip(void **state)
{
    (void)state;
    enum { N = 3000 };
    static unsigned char raw[N][64];
    static size_t raw_len[N];
    sink s = {0};

    ref_build();
    rng_state = g_seed * 0x9E3779B97F4A7C15ull + 1;
    assert_int_equal(sink_write(&s, "{\"users\":[", 10), HC_OK);
    for (int i = 0; i < N; i++) {
        char id[32];
        raw_len[i] = random_bytes(raw[i]);
        if (i)
            assert_int_equal(sink_write(&s, ",", 1), HC_OK);
        assert_int_equal(sink_write(&s, "{\"github_com_login\":", 20), HC_OK);
        assert_int_equal(
            hc_json_write_string(sink_write, &s, raw[i], raw_len[i]), HC_OK);
        int n = snprintf(id, sizeof id, ",\"enterprise_server_user_ids\":[");
        assert_int_equal(sink_write(&s, id, (size_t)n), HC_OK);
        n = snprintf(id, sizeof id, "\"~:%d\"]}", i);
        assert_int_equal(sink_write(&s, id, (size_t)n), HC_OK);
    }
    assert_int_equal(sink_write(&s, "]}", 2), HC_OK);

    char *path = write_tmp(s.data, s.len);
    hc_report *r = NULL;
    hc_diag diag;
    memset(&diag, 0, sizeof diag);
    hc_status st = hc_report_read(path, &r, &diag);
    if (st != HC_OK)
        print_error("seed %llu: %s:%llu:%llu: %s\n", (unsigned long long)g_seed,
                    path, (unsigned long long)diag.line,
                    (unsigned long long)diag.column, diag.message);
    assert_int_equal(st, HC_OK);
    assert_int_equal(hc_report_person_count(r), N);
    assert_int_equal(hc_report_total_seats(r), N);

    static char want[64 * 3];
    for (size_t p = 0; p < N; p++) {
        hc_report_person_info pi;
        hc_report_person(r, p, &pi);
        const hc_str *hid = &pi.ids[pi.n_ids - 1];
        assert_true(hid->len > 2 && memcmp(hid->ptr, "~:", 2) == 0);
        int i = 0;
        for (size_t k = 2; k < hid->len; k++)
            i = i * 10 + (hid->ptr[k] - '0');
        assert_true(i >= 0 && i < N);
        size_t wl = ref_sanitize(raw[i], raw_len[i], want);
        size_t expect_ids = wl ? 2 : 1;
        if (pi.n_ids != expect_ids ||
            (wl &&
             (pi.ids[0].len != wl || memcmp(pi.ids[0].ptr, want, wl) != 0))) {
            print_error("seed %llu: string %d decodes differently\n",
                        (unsigned long long)g_seed, i);
            hex_dump("input", raw[i], raw_len[i]);
            hex_dump("want", want, wl);
            if (pi.n_ids == 2)
                hex_dump("got", pi.ids[0].ptr, pi.ids[0].len);
            fail();
        }
    }
    hc_report_destroy(r);
    unlink(path);
    free(path);
    sink_free(&s);
}

/* ------------------------------------------------------------- pseudonyms */

static void test_pseudonymize_rfc4231(void **state)
{
    (void)state;
    unsigned char key1[20];
    char out[HC_PSEUDONYM_LEN + 1];

    memset(key1, 0x0b, sizeof key1);
    assert_int_equal(hc_pseudonymize(key1, sizeof key1, "Hi There", 8, out),
                     HC_OK);
    assert_string_equal(out, "hmac-sha256:b0344c61d8db38535ca8afceaf0bf12b881d"
                             "c200c9833da726e9376c2e32cff7");
    /* RFC 4231 test case 2. */
    assert_int_equal(hc_pseudonymize((const unsigned char *)"Jefe", 4,
                                     "what do ya want for nothing?", 28, out),
                     HC_OK);
    assert_string_equal(out, "hmac-sha256:5bdcc146bf60754e6a042426089575c75a00"
                             "3f089d2739839dec58b964ec3843");
    assert_int_equal(strlen(out), HC_PSEUDONYM_LEN);
    assert_int_equal(hc_pseudonymize(NULL, 0, "x", 1, out), HC_ERR_ARG);
    assert_int_equal(hc_pseudonymize(key1, 0, "x", 1, out), HC_ERR_ARG);
    assert_int_equal(hc_pseudonymize(key1, 20, "x", 1, NULL), HC_ERR_ARG);
}

/* ------------------------------------------------------------ reading */

static hc_report *read_text(const char *text, hc_status want, hc_diag *diag)
{
    char *path = write_tmp(text, strlen(text));
    hc_report *r = NULL;
    memset(diag, 0, sizeof *diag);
    hc_status st = hc_report_read(path, &r, diag);
    if (st != want)
        print_error("%s: got %s (%s:%llu:%llu: %s)\n", text, hc_status_str(st),
                    diag->file, (unsigned long long)diag->line,
                    (unsigned long long)diag->column, diag->message);
    assert_int_equal(st, want);
    if (st != HC_OK)
        assert_null(r);
    unlink(path);
    free(path);
    return r;
}

static void check_person(const hc_report *r, size_t i, const char *id,
                         const char *const *ids, size_t n)
{
    hc_report_person_info p;
    hc_report_person(r, i, &p);
    assert_int_equal(p.id.len, strlen(id));
    assert_memory_equal(p.id.ptr, id, p.id.len);
    assert_int_equal(p.n_ids, n);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(p.ids[k].len, strlen(ids[k]));
        assert_memory_equal(p.ids[k].ptr, ids[k], p.ids[k].len);
    }
}

/* GitHub's consumed-licenses pages: an array of pages, then another page
 * after it; fields we do not use are skipped; ids are sorted by host then
 * numeric id, duplicates dropped. */
static void test_read_github_pages(void **state)
{
    (void)state;
    hc_diag d;
    const char *text =
        "\xEF\xBB\xBF[{\"total_seats_consumed\": 4, \"total_seats_purchased\":"
        " 10,\n \"users\": [\n"
        "  {\"github_com_login\": \"zed\", \"github_com_name\": \"Z \\u00e9\","
        "   \"enterprise_server_user_ids\": [\"b.example:10\", \"a.example:9\","
        " \"b.example:9\", \"a.example:9\"], \"github_com_member_roles\":"
        " [\"org1:Owner\"], \"github_com_two_factor_auth\": true,"
        " \"extra\": {\"nested\": [1, -2.5e+3, null, false]}},\n"
        "  {\"github_com_login\": null, \"enterprise_server_user_ids\":"
        " [\"c.example:100\", \"c.example:20\"]}\n"
        " ]}]\n"
        "{\"total_seats_consumed\": 4, \"users\": [\n"
        "  {\"github_com_login\": \"amy\", \"enterprise_server_user_ids\": []},"
        "  {\"github_com_login\": \"\", \"enterprise_server_user_ids\": null,"
        "   \"enterprise_server_emails\": [\"x@y.example\"]}\n"
        "]}\n";
    hc_report *r = read_text(text, HC_OK, &d);
    assert_int_equal(hc_report_total_seats(r), 4);
    /* The user without login or server id is not listed. Sorted by id:
     * "amy" < "c.example:20" < "zed". */
    assert_int_equal(hc_report_person_count(r), 3);
    const char *amy[] = {"amy"};
    check_person(r, 0, "amy", amy, 1);
    const char *c[] = {"c.example:20", "c.example:100"};
    check_person(r, 1, "c.example:20", c, 2);
    const char *zed[] = {"zed", "a.example:9", "b.example:9", "b.example:10"};
    check_person(r, 2, "zed", zed, 4);
    hc_report_destroy(r);

    /* Without total_seats_consumed the total is the number of users,
     * unlisted ones included. */
    r = read_text("{\"users\":[{\"github_com_login\":\"a\"},{},"
                  "{\"enterprise_server_user_ids\":[]},"
                  "{\"github_com_login\":\"b\"}]}",
                  HC_OK, &d);
    assert_int_equal(hc_report_total_seats(r), 4);
    assert_int_equal(hc_report_person_count(r), 2);
    assert_null(hc_report_policy(r)); /* GitHub's report names none */
    hc_report_destroy(r);

    /* headcount's policy is read; a value it never writes is not one. */
    static const struct {
        const char *text, *policy;
    } pol[] = {
        {"{\"policy\":\"extended\",\"users\":[]}", "extended"},
        {"{\"users\":[],\"policy\":\"github\"}", "github"},
        {"{\"policy\":\"githu\\u0062\",\"users\":[]}", "github"},
        {"{\"policy\":\"other\",\"users\":[]}", NULL},
        {"{\"policy\":7,\"users\":[]}", NULL},
        /* Pages may repeat the policy; a value not ours is no second. */
        {"[{\"policy\":\"github\",\"users\":[]},{\"policy\":\"github\"},"
         "{\"policy\":\"other\"}]",
         "github"},
    };
    for (size_t i = 0; i < sizeof pol / sizeof pol[0]; i++) {
        r = read_text(pol[i].text, HC_OK, &d);
        if (pol[i].policy)
            assert_string_equal(hc_report_policy(r), pol[i].policy);
        else
            assert_null(hc_report_policy(r));
        hc_report_destroy(r);
    }

    /* Extra logins of one person (policy extended) are ids too. */
    r = read_text("{\"users\":[{\"github_com_login\":\"b\","
                  "\"headcount_github_com_logins\":[\"b\",\"a\"],"
                  "\"enterprise_server_user_ids\":[\"h:1\"]}]}",
                  HC_OK, &d);
    const char *ab[] = {"a", "b", "h:1"};
    check_person(r, 0, "a", ab, 3);
    hc_report_destroy(r);
    hc_report_destroy(NULL);
}

/*
 * A user may repeat ids any number of times: the reader deduplicates as it
 * goes (so a repeated id costs no memory) and must give each person its
 * distinct ids in canonical order. The pool below is in that order; the
 * reference answer is the pool entries drawn, in pool order.
 */
static void test_read_repeated_ids(void **state)
{
    (void)state;
    static const char *const pool[] = {
        "v",
        "va",
        "w",
        "a.example:1",
        "a.example:02", /* the value of a.example:2, then by bytes */
        "a.example:2",
        "a.example:10",
        "a.example:18446744073709551615",
        "a.example:",
        "a.example:018446744073709551615", /* 21 digits: not a number */
        "a.example:x",
        "b:0",
        "b:7",
    };
    enum { N_POOL = sizeof pool / sizeof *pool, N_LOGINS = 3, USERS = 3 };
    rng_state = g_seed * 0x2545F4914F6CDD1Dull + 3;
    for (int round = 0; round < 40; round++) {
        sink s = {0};
        bool drawn[USERS][N_POOL];
        memset(drawn, 0, sizeof drawn);
        sink_puts(&s, "{\"users\":[");
        for (int u = 0; u < USERS; u++) {
            char buf[96];
            /* Up to 5000 draws, sometimes from only two pool entries so
             * that most are repeats. */
            unsigned n = rng_below(5000);
            unsigned span = rng_below(2) ? 2 : N_POOL;
            unsigned base = rng_below(N_POOL - span + 1);
            snprintf(buf, sizeof buf,
                     "%s{\"github_com_login\":\"u%d\","
                     "\"headcount_github_com_logins\":[\"u%d\"",
                     u ? "," : "", u, u);
            sink_puts(&s, buf);
            unsigned *pick = malloc((n + 1) * sizeof *pick);
            assert_non_null(pick);
            for (unsigned i = 0; i < n; i++) {
                pick[i] = base + rng_below(span);
                drawn[u][pick[i]] = true;
                if (pick[i] < N_LOGINS) {
                    snprintf(buf, sizeof buf, ",\"%s\"", pool[pick[i]]);
                    sink_puts(&s, buf);
                }
            }
            sink_puts(&s, "],\"enterprise_server_user_ids\":[");
            bool first = true;
            for (unsigned i = 0; i < n; i++) {
                if (pick[i] < N_LOGINS)
                    continue;
                snprintf(buf, sizeof buf, "%s\"%s\"", first ? "" : ",",
                         pool[pick[i]]);
                sink_puts(&s, buf);
                first = false;
            }
            sink_puts(&s, "]}");
            free(pick);
        }
        sink_puts(&s, "]}");

        hc_diag d;
        hc_report *r = read_text(s.data, HC_OK, &d);
        assert_int_equal(hc_report_person_count(r), USERS);
        for (int u = 0; u < USERS; u++) {
            const char *want[1 + N_POOL];
            char login[8];
            snprintf(login, sizeof login, "u%d", u);
            size_t k = 0;
            /* "u0" sorts before the pool's logins. */
            want[k++] = login;
            for (int i = 0; i < N_POOL; i++)
                if (drawn[u][i])
                    want[k++] = pool[i];
            check_person(r, (size_t)u, login, want, k);
        }
        hc_report_destroy(r);
        sink_free(&s);
    }

    /* 300,000 copies of one id are one id. */
    sink s = {0};
    sink_puts(&s, "{\"users\":[{\"enterprise_server_user_ids\":[");
    for (int i = 0; i < 300000; i++)
        sink_puts(&s, i ? ",\"h:1\"" : "\"h:1\"");
    sink_puts(&s, "]}]}");
    hc_diag d;
    hc_report *r = read_text(s.data, HC_OK, &d);
    const char *one[] = {"h:1"};
    check_person(r, 0, "h:1", one, 1);
    hc_report_destroy(r);
    sink_free(&s);
}

/* Server ids name their host as the census keeps it: ASCII lowercase,
 * trailing dots dropped; logins and the id part stay as they are. */
static void test_read_host_spelling(void **state)
{
    (void)state;
    hc_diag d;
    hc_report *r = read_text(
        "{\"users\":[{\"github_com_login\":\"Mona\","
        "\"enterprise_server_user_ids\":[\"GHE-1.Example.:5\","
        "\"ghe-1.example:5\",\"\xc3\x89.Example:7\",\"H..:1\",\"X\"]}]}",
        HC_OK, &d);
    const char *want[] = {"Mona", "ghe-1.example:5", "h:1", "x",
                          "\xc3\x89.example:7"};
    check_person(r, 0, "Mona", want, 5);
    hc_report_destroy(r);
}

/* A user listed twice pairs up the same way whatever the file order, so
 * that diff sees no change between two orders of one report. */
static void test_read_duplicate_users_order(void **state)
{
    (void)state;
    hc_diag d;
    hc_report *a = read_text(
        "{\"users\":[{\"github_com_login\":\"x\",\"enterprise_server_user_ids\""
        ":[\"h:1\"]},{\"github_com_login\":\"x\"},{\"github_com_login\":\"x\","
        "\"enterprise_server_user_ids\":[\"h:0\"]}]}",
        HC_OK, &d);
    hc_report *b = read_text(
        "{\"users\":[{\"github_com_login\":\"x\",\"enterprise_server_user_ids\""
        ":[\"h:0\"]},{\"github_com_login\":\"x\",\"enterprise_server_user_ids\""
        ":[\"h:1\"]},{\"github_com_login\":\"x\"}]}",
        HC_OK, &d);
    const char *x[] = {"x"}, *x0[] = {"x", "h:0"}, *x1[] = {"x", "h:1"};
    for (int k = 0; k < 2; k++) {
        const hc_report *r = k ? b : a;
        assert_int_equal(hc_report_person_count(r), 3);
        check_person(r, 0, "x", x, 1);
        check_person(r, 1, "x", x0, 2);
        check_person(r, 2, "x", x1, 2);
    }
    hc_report_destroy(a);
    hc_report_destroy(b);
}

/* A user listed again with the same ids (GitHub's pages may repeat the
 * last user of one page at the top of the next) is one person; without a
 * total_seats_consumed the repeat is no seat either. */
static void test_read_repeated_user(void **state)
{
    (void)state;
    hc_diag d;
    hc_report *r = read_text(
        "{\"users\":[{\"github_com_login\":\"x\",\"enterprise_server_user_ids\""
        ":[\"h:1\"]},{\"github_com_login\":\"y\"}]}\n"
        "{\"users\":[{\"enterprise_server_user_ids\":[\"H.:1\"],"
        "\"github_com_login\":\"x\"},{\"github_com_login\":\"z\"}]}",
        HC_OK, &d);
    const char *x[] = {"x", "h:1"}, *y[] = {"y"}, *z[] = {"z"};
    assert_int_equal(hc_report_person_count(r), 3);
    check_person(r, 0, "x", x, 2);
    check_person(r, 1, "y", y, 1);
    check_person(r, 2, "z", z, 1);
    assert_int_equal(hc_report_total_seats(r), 3);
    hc_report_destroy(r);

    /* The same bytes as a login and as a host:id are two ids: the users
     * are one person again only when every id is of the same kind too,
     * whether they have one id or several (where the kind also orders
     * the ids). */
    r = read_text(
        "{\"users\":[{\"github_com_login\":\"h:4\"},"
        "{\"enterprise_server_user_ids\":[\"h:4\"]},"
        "{\"github_com_login\":\"a\",\"enterprise_server_user_ids\":[\"b\"]},"
        "{\"headcount_github_com_logins\":[\"a\",\"b\"]},"
        "{\"enterprise_server_user_ids\":[\"h:4\"]}]}",
        HC_OK, &d);
    assert_int_equal(hc_report_person_count(r), 4);
    assert_int_equal(hc_report_total_seats(r), 4);
    /* Each person says how many of its ids, the first ones, are logins:
     * only that tells a login from a host:id of the same bytes. */
    unsigned h4_logins[2] = {0, 0}, ab_logins[3] = {0, 0, 0};
    for (size_t i = 0; i < hc_report_person_count(r); i++) {
        hc_report_person_info p;
        hc_report_person(r, i, &p);
        assert_true(p.n_logins <= p.n_ids && p.n_logins <= 2);
        if (p.n_ids == 1)
            h4_logins[p.n_logins]++; /* "h:4" as a login, as a host:id */
        else
            ab_logins[p.n_logins]++; /* "a" and "b" */
    }
    assert_int_equal(h4_logins[0], 1);
    assert_int_equal(h4_logins[1], 1);
    assert_int_equal(ab_logins[1], 1);
    assert_int_equal(ab_logins[2], 1);
    assert_int_equal(hc_report_unnamed_count(r), 0);
    hc_report_destroy(r);

    /* Users without a login or a host:id are no person, but they are
     * counted (the same bytes apart from each other are two users), and
     * their seats are in the total. */
    r = read_text("{\"users\":[{\"github_com_login\":null,"
                  "\"github_com_user\":true},{\"github_com_login\":\"a\"},"
                  "{\"github_com_login\":\"\",\"github_com_user\":false},"
                  "{\"github_com_login\":null,\"github_com_user\":true}]}",
                  HC_OK, &d);
    assert_int_equal(hc_report_person_count(r), 1);
    assert_int_equal(hc_report_unnamed_count(r), 3);
    assert_int_equal(hc_report_total_seats(r), 4);
    hc_report_destroy(r);

    /* One of them repeated at the top of the next page, byte for byte, is
     * that user again; the same bytes elsewhere are another user. */
#define VS \
    "{\"github_com_login\":null,\"visual_studio_subscription_user\":true}"
    r = read_text("{\"users\":[{\"github_com_login\":\"a\"}," VS "]}\n"
                  "{\"users\":[" VS ",{\"github_com_login\":\"b\"}," VS "]}",
                  HC_OK, &d);
#undef VS
    assert_int_equal(hc_report_person_count(r), 2);
    assert_int_equal(hc_report_unnamed_count(r), 2);
    assert_int_equal(hc_report_total_seats(r), 4);
    hc_report_destroy(r);
}

/* A user object that gives one of its id keys twice, or pages that name
 * two policies, are refused at the second value: which one counts is
 * not something two readers of the file would agree on. */
static void test_read_repeated_key_refused(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t line, col;
        const char *says;
    } cases[] = {
        {"{\"users\":[{\"github_com_login\":\"a\",\n\"github_com_login\":\"b\"}"
         "]}",
         2, 20, "\"github_com_login\" given twice in one user"},
        {"{\"users\":[{\"github_com_login\":null,\"github_com_login\":\"b\"}]}",
         1, 55, "\"github_com_login\" given twice"},
        {"{\"users\":[{\"enterprise_server_user_ids\":[\"h:1\"],"
         "\"github_com_login\":\"a\",\"enterprise_server_user_ids\":[]}]}",
         1, 101, "\"enterprise_server_user_ids\" given twice"},
        {"{\"users\":[{\"headcount_github_com_logins\":[],"
         "\"headcount_github_com_logins\":[\"a\"]}]}",
         1, 75, "\"headcount_github_com_logins\" given twice"},
        {"[{\"policy\":\"github\",\"users\":[]},\n{\"policy\":\"extended\"}]",
         2, 11, "policy \"extended\" after \"github\" earlier in the report"},
        /* One "users" per page; pages after one another each have theirs. */
        {"{\"users\":[]}{\"users\":[{\"github_com_login\":\"a\"}],\n"
         "\"users\":[{\"github_com_login\":\"b\"}]}",
         2, 9, "\"users\" given twice in one page"},
        {"[{\"users\":[]},{\"users\":[],\"users\":[]}]", 1, 35,
         "\"users\" given twice in one page"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hc_diag d;
        hc_report *r = read_text(cases[i].text, HC_ERR_DATA, &d);
        assert_null(r);
        if (!strstr(d.message, cases[i].says) || d.line != cases[i].line ||
            d.column != cases[i].col)
            fail_msg("case %zu: %llu:%llu '%s', want %llu:%llu '%s'", i,
                     (unsigned long long)d.line, (unsigned long long)d.column,
                     d.message, (unsigned long long)cases[i].line,
                     (unsigned long long)cases[i].col, cases[i].says);
    }
    /* The same keys in two users are two users' ids. */
    hc_diag d;
    hc_report *r = read_text("{\"users\":[{\"github_com_login\":\"a\"},"
                             "{\"github_com_login\":\"b\"}]}",
                             HC_OK, &d);
    assert_int_equal(hc_report_person_count(r), 2);
    hc_report_destroy(r);
}

/* Messages that say what is wrong with the file as a whole. */
static void test_read_whole_file_messages(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len;
        const char *says;
    } cases[] = {
        {"\xFF\xFE{\0\"\0}\0", 8, "input is UTF-16"},
        {"\xFE\xFF\0{\0}", 6, "input is UTF-16"},
        {"{\"users\":[{\"github_com_login\":\"a", 30,
         "unexpected end of input (truncated file?)"},
        {"{\"users\":[{\"github_com_login\":\"a\"}", 34,
         "unexpected end of input (truncated file?)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = write_tmp(cases[i].text, cases[i].len);
        hc_report *r = NULL;
        hc_diag d;
        memset(&d, 0, sizeof d);
        assert_int_equal(hc_report_read(path, &r, &d), HC_ERR_DATA);
        assert_null(r);
        if (!strstr(d.message, cases[i].says))
            fail_msg("case %zu: '%s' lacks '%s'", i, d.message, cases[i].says);
        unlink(path);
        free(path);
    }
}

/* A GHES export has a users array too; read as a report it would be a
 * list of nobodies, and diff would call every one of them added. */
static void test_read_ghes_export_refused(void **state)
{
    (void)state;
    hc_diag d;
    hc_report *r = read_text("{\"host_name\":\"h\",\n\"users\":[\n"
                             "  {\"id\":1,\"login\":\"a\"}]}",
                             HC_ERR_DATA, &d);
    assert_null(r);
    assert_int_equal(d.line, 3);
    assert_non_null(strstr(d.message, "not a consumed-licenses report"));
    /* An empty users array is an empty report, not an error. */
    r = read_text("{\"users\":[]}", HC_OK, &d);
    assert_int_equal(hc_report_person_count(r), 0);
    hc_report_destroy(r);
}

static void test_read_gzip(void **state)
{
    (void)state;
    const char *text = "{\"total_seats_consumed\":1,\"users\":"
                       "[{\"github_com_login\":\"octo\"}]}";
    char *path = tmp_path(".json.gz");
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, text, (unsigned)strlen(text)),
                     (int)strlen(text));
    assert_int_equal(gzclose(gz), Z_OK);
    hc_report *r = NULL;
    hc_diag d;
    assert_int_equal(hc_report_read(path, &r, &d), HC_OK);
    const char *octo[] = {"octo"};
    check_person(r, 0, "octo", octo, 1);
    hc_report_destroy(r);
    unlink(path);
    free(path);
}

typedef struct bad_case {
    const char *text;
    hc_status status;
    uint64_t line;
    uint64_t column;
} bad_case;

static void test_read_malformed(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"{\"users\":[}", HC_ERR_DATA, 1, 11},
        {"{\"users\":[]\n", HC_ERR_DATA, 2, 1},
        {"{\n  \"users\": [\n    {\"github_com_login\": \"a\x01\"}\n  ]\n}",
         HC_ERR_DATA, 3, 28},
        {"{\"users\":[{\"github_com_login\":\"\xff\"}]}", HC_ERR_DATA, 1, 32},
        {"{\"users\":[],}", HC_ERR_DATA, 1, 13},
        {"{\"users\":[{\"enterprise_server_user_ids\":[1]}]}", HC_ERR_DATA, 1,
         42},
        {"{\"total_seats_consumed\":-1,\"users\":[]}", HC_ERR_DATA, 1, 25},
        {"{\"total_seats_consumed\":1.5,\"users\":[]}", HC_ERR_DATA, 1, 26},
        {"{\"total_seats_consumed\":012,\"users\":[]}", HC_ERR_DATA, 1, 25},
        /* Known at the end of the document, named at its start. */
        {"{\"foo\":1}", HC_ERR_DATA, 1, 1},
        {"", HC_ERR_DATA, 1, 1},
        {"  \n", HC_ERR_DATA, 2, 1},
        {"{\"users\":[]} x", HC_ERR_DATA, 1, 14},
        {"{\"users\":[{\"a\":tru}]}", HC_ERR_DATA, 1, 16},
        {"{\"users\":[{\"a\":01}]}", HC_ERR_DATA, 1, 17},
        {"{\"users\":[{\"a\":\"\\ud800\"}]}", HC_ERR_DATA, 1, 23},
        {"{\"users\":[{\"a\":\"\\udc00\"}]}", HC_ERR_DATA, 1, 17},
        {"{\"users\":[{\"a\":\"\\x\"}]}", HC_ERR_DATA, 1, 18},
        {"{\"users\":[{\"a\":\"abc", HC_ERR_DATA, 1, 20},
        {"{\"users\":[{\"a\" 1}]}", HC_ERR_DATA, 1, 16},
        {"{\"users\":{}}", HC_ERR_DATA, 1, 10},
        {"{\"users\":[{\"github_com_login\":5}]}", HC_ERR_DATA, 1, 31},
        {"[{\"users\":[]},3]", HC_ERR_DATA, 1, 15},
        {"\"users\"", HC_ERR_DATA, 1, 1},
        {"{\"users\":[{\"a\":1.}]}", HC_ERR_DATA, 1, 18},
        {"{\"users\":[{\"a\":-}]}", HC_ERR_DATA, 1, 17},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hc_diag d;
        hc_report *r = read_text(cases[i].text, cases[i].status, &d);
        assert_null(r);
        if (d.line != cases[i].line || d.column != cases[i].column)
            print_error("case %zu: %llu:%llu: %s\n", i,
                        (unsigned long long)d.line,
                        (unsigned long long)d.column, d.message);
        assert_int_equal(d.line, cases[i].line);
        assert_int_equal(d.column, cases[i].column);
        assert_true(strlen(d.message) > 0);
        assert_true(strstr(d.file, "hc_test_report_") != NULL);
    }
}

static void test_read_limits(void **state)
{
    (void)state;
    hc_diag d;
    char text[512];

    /* A page object plus 63 arrays is 64 levels: allowed; 65 is not. */
    for (int depth = 63; depth <= 64; depth++) {
        size_t n = 0;
        n += (size_t)sprintf(text + n, "{\"x\":");
        for (int i = 0; i < depth; i++)
            text[n++] = '[';
        for (int i = 0; i < depth; i++)
            text[n++] = ']';
        n += (size_t)sprintf(text + n, ",\"users\":[]}");
        text[n] = '\0';
        hc_report *r = read_text(text, depth == 63 ? HC_OK : HC_ERR_LIMIT, &d);
        if (depth == 64)
            assert_int_equal(d.column, 5 + 64); /* the 64th '[' */
        hc_report_destroy(r);
    }

    /* Ids past the cap (2^26, lowered here to 4) are a limit, not memory
     * without end: 4 ids pass, the fifth is refused where it stands. The
     * cap is restored before any assertion can end the test. */
    size_t ids_max = hc__report_ids_max;
    hc__report_ids_max = 4;
    hc_report *four = read_text("{\"users\":[{\"github_com_login\":\"a\","
                                "\"enterprise_server_user_ids\":[\"h:1\","
                                "\"h:2\"]},{\"github_com_login\":\"b\"}]}",
                                HC_OK, &d);
    hc_report *five = read_text("{\"users\":[{\"github_com_login\":\"a\"},"
                                "{\"enterprise_server_user_ids\":[\"h:1\","
                                "\"h:2\",\"h:3\",\"h:4\"]}]}",
                                HC_ERR_LIMIT, &d);
    hc__report_ids_max = ids_max;
    assert_int_equal(hc_report_person_count(four), 2);
    hc_report_destroy(four);
    assert_null(five);
    assert_non_null(strstr(d.message, "more than 4 ids"));
    assert_int_equal(d.column, 90); /* just past the fifth id, "h:4" */

    /* A file over 1 GiB is refused before it is read (sparse: no disk). */
    char *path = tmp_path(".json");
    assert_int_equal(truncate(path, (off_t)3 << 30), 0);
    hc_report *r = NULL;
    assert_int_equal(hc_report_read(path, &r, &d), HC_ERR_LIMIT);
    assert_null(r);
    unlink(path);

    assert_int_equal(hc_report_read(path, &r, &d), HC_ERR_NOINPUT);
    assert_string_equal(d.file, path);
    *strrchr(path, '/') = '\0'; /* the directory */
    assert_int_equal(hc_report_read(path, &r, &d), HC_ERR_NOINPUT);
    free(path);
    assert_int_equal(hc_report_read(NULL, &r, &d), HC_ERR_ARG);
}

/* ---------------------------------------------------- census-based tests */

static hc_str S(const char *s)
{
    hc_str v = {s, strlen(s)};
    return v;
}

static void add_ghes(hc_census_writer *w, uint32_t src, uint64_t id,
                     const char *login, const char *email, bool suspended)
{
    hc_ghes_account a;
    memset(&a, 0, sizeof a);
    a.source = src;
    a.id = id;
    a.login = S(login);
    a.primary_email = S(email);
    a.suspended = suspended;
    assert_int_equal(hc_census_add_ghes(w, &a), HC_OK);
}

/*
 * The small census worked out by hand:
 *   GHEC mona (SAML NameID Mona@Corp.example; verified mona@ and m.lisa@);
 *   ghe-1:5 mona (MONA@corp.example) joins mona by identity;
 *   ghe-2:7 lisa (m.lisa@) joins mona by verified email;
 *   ghe-1:11 bob2 and ghe-2:9 bob share bob@corp.example: one person;
 *   ghe-1:12 carol is suspended, ghe-2:3 is ghost: no seat;
 *   ghe-1:20 dave has no valid email: a person of his own.
 * Seats: 1 GHEC + 1 key group + 1 keyless = 3.
 */
static hc_result *small_result(hc_census **cout)
{
    hc_census *c = NULL;
    hc_census_writer *w = NULL;
    uint32_t acme, g1, g2;
    hc_result *res = NULL;

    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    assert_int_equal(hc_census_source(c, HC_SOURCE_GHEC, "acme", 4, &acme),
                     HC_OK);
    assert_int_equal(
        hc_census_source(c, HC_SOURCE_GHES, "ghe-1.corp.example", 18, &g1),
        HC_OK);
    assert_int_equal(
        hc_census_source(c, HC_SOURCE_GHES, "ghe-2.corp.example", 18, &g2),
        HC_OK);
    assert_int_equal(hc_census_writer_create(c, &w), HC_OK);
    hc_str verified[] = {S("mona@corp.example"), S("M.Lisa@corp.example")};
    hc_ghec_account m;
    memset(&m, 0, sizeof m);
    m.source = acme;
    m.login = S("mona");
    m.saml_name_id = S("Mona@Corp.example");
    m.verified_emails = verified;
    m.n_verified_emails = 2;
    m.licensed = true;
    assert_int_equal(hc_census_add_ghec(w, &m), HC_OK);
    add_ghes(w, g2, 9, "bob", "bob@corp.example", false);
    add_ghes(w, g1, 5, "mona", "MONA@corp.example ", false);
    add_ghes(w, g2, 7, "lisa", "m.lisa@corp.example", false);
    add_ghes(w, g1, 11, "bob2", "Bob@Corp.Example", false);
    add_ghes(w, g1, 12, "carol", "carol@corp.example", true);
    add_ghes(w, g2, 3, "ghost", "ghost@corp.example", false);
    add_ghes(w, g1, 20, "dave", "not-an-email", false);
    assert_int_equal(hc_census_writer_finish(w), HC_OK);
    assert_int_equal(hc_census_run(c, HC_POLICY_GITHUB, &res), HC_OK);
    *cout = c;
    return res;
}

static const char small_json[] =
    "{\"total_seats_consumed\":3,\"policy\":\"github\","
    "\"normalization\":\"norm_v1\",\"rules\":\"rules_v1\","
    "\"total_user_accounts\":6,\"users\":[\n"
    "{\"github_com_login\":\"mona\",\"github_com_user\":true,"
    "\"enterprise_server_user\":true,\"enterprise_server_user_ids\":"
    "[\"ghe-1.corp.example:5\",\"ghe-2.corp.example:7\"],"
    "\"enterprise_server_emails\":[\"m.lisa@corp.example\","
    "\"mona@corp.example\"],\"github_com_verified_domain_emails\":"
    "[\"m.lisa@corp.example\",\"mona@corp.example\"],"
    "\"github_com_saml_name_id\":\"Mona@Corp.example\","
    "\"total_user_accounts\":3,\"visual_studio_subscription_user\":false,"
    "\"license_type\":\"enterprise\","
    "\"headcount_join_rules\":[\"identity\",\"verified_email\"]},\n"
    "{\"github_com_login\":null,\"github_com_user\":false,"
    "\"enterprise_server_user\":true,\"enterprise_server_user_ids\":"
    "[\"ghe-1.corp.example:11\",\"ghe-2.corp.example:9\"],"
    "\"enterprise_server_emails\":[\"bob@corp.example\"],"
    "\"github_com_verified_domain_emails\":[],"
    "\"github_com_saml_name_id\":null,\"total_user_accounts\":2,"
    "\"visual_studio_subscription_user\":false,"
    "\"license_type\":\"enterprise\","
    "\"headcount_join_rules\":[\"same_primary_email\"]},\n"
    "{\"github_com_login\":null,\"github_com_user\":false,"
    "\"enterprise_server_user\":true,\"enterprise_server_user_ids\":"
    "[\"ghe-1.corp.example:20\"],\"enterprise_server_emails\":[],"
    "\"github_com_verified_domain_emails\":[],"
    "\"github_com_saml_name_id\":null,\"total_user_accounts\":1,"
    "\"visual_studio_subscription_user\":false,"
    "\"license_type\":\"enterprise\",\"headcount_join_rules\":[]}\n"
    "]}\n";

static const char small_csv[] =
    "GitHub com login,GitHub com user,Enterprise server user,"
    "Enterprise server user IDs,Enterprise server primary emails,"
    "GitHub com verified domain emails,GitHub com SAML name ID,"
    "Total user accounts,Visual Studio subscription user,License type,"
    "Headcount join rules,Headcount GitHub com logins\n"
    "mona,true,true,\"ghe-1.corp.example:5, ghe-2.corp.example:7\","
    "\"m.lisa@corp.example, mona@corp.example\","
    "\"m.lisa@corp.example, mona@corp.example\",Mona@Corp.example,3,false,"
    "enterprise,\"identity, verified_email\",\n"
    ",false,true,\"ghe-1.corp.example:11, ghe-2.corp.example:9\","
    "bob@corp.example,,,2,false,enterprise,same_primary_email,\n"
    ",false,true,ghe-1.corp.example:20,,,,1,false,enterprise,,\n";

static const char small_summary[] =
    "{\"total_seats_consumed\":3,\"policy\":\"github\","
    "\"normalization\":\"norm_v1\",\"rules\":\"rules_v1\",\"persons\":3,"
    "\"github_seats\":3,\"extended_seats\":3,\"potential_savings\":0,"
    "\"ghec_accounts\":1,\"ghec_unlicensed_accounts\":0,\"ghes_accounts\":5,"
    "\"ghes_accounts_total\":7,"
    "\"ghes_accounts_matched\":2,\"ghes_only_persons\":2,"
    "\"keyless_accounts\":1,\"persons_without_verified_domain_email\":null,"
    "\"suspended_accounts\":1,\"system_accounts\":1,\"duplicate_rows\":0,"
    "\"rejected_rows\":0,\"sources\":["
    "{\"name\":\"acme\",\"kind\":\"ghec\",\"accounts\":1,\"eligible\":1,"
    "\"rejected\":0},"
    "{\"name\":\"ghe-1.corp.example\",\"kind\":\"ghes\",\"accounts\":4,"
    "\"eligible\":3,\"rejected\":0},"
    "{\"name\":\"ghe-2.corp.example\",\"kind\":\"ghes\",\"accounts\":3,"
    "\"eligible\":2,\"rejected\":0}],\"elapsed_ms\":42}";

static void test_small_report_text(void **state)
{
    (void)state;
    hc_census *c = NULL;
    hc_result *res = small_result(&c);
    sink s = {0};

    assert_int_equal(hc_report_write_json(res, NULL, sink_write, &s), HC_OK);
    assert_string_equal(s.data, small_json);
    sink_free(&s);

    assert_int_equal(hc_report_write_csv(res, NULL, sink_write, &s), HC_OK);
    assert_string_equal(s.data, small_csv);
    sink_free(&s);

    assert_int_equal(hc_summary_write_json(res, 42, sink_write, &s), HC_OK);
    assert_string_equal(s.data, small_summary);
    sink_free(&s);

    /* Read the JSON back: persons by id, ids sorted, total as written. */
    char *path = write_tmp(small_json, sizeof small_json - 1);
    hc_report *r = NULL;
    hc_diag d;
    assert_int_equal(hc_report_read(path, &r, &d), HC_OK);
    assert_int_equal(hc_report_total_seats(r), 3);
    assert_int_equal(hc_report_person_count(r), 3);
    const char *bob[] = {"ghe-1.corp.example:11", "ghe-2.corp.example:9"};
    check_person(r, 0, "ghe-1.corp.example:11", bob, 2);
    const char *dave[] = {"ghe-1.corp.example:20"};
    check_person(r, 1, "ghe-1.corp.example:20", dave, 1);
    const char *mona[] = {"mona", "ghe-1.corp.example:5",
                          "ghe-2.corp.example:7"};
    check_person(r, 2, "mona", mona, 3);
    hc_report_destroy(r);
    unlink(path);
    free(path);

    hc_result_destroy(res);
    hc_census_destroy(c);
}

static void test_small_report_pseudonymized(void **state)
{
    (void)state;
    hc_census *c = NULL;
    hc_result *res = small_result(&c);
    static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
    hc_report_options o = {key, 32};
    char pm[HC_PSEUDONYM_LEN + 1], pl[HC_PSEUDONYM_LEN + 1];
    sink s = {0};

    assert_int_equal(hc_pseudonymize(key, 32, "mona@corp.example", 17, pm),
                     HC_OK);
    assert_int_equal(hc_pseudonymize(key, 32, "m.lisa@corp.example", 19, pl),
                     HC_OK);

    assert_int_equal(hc_report_write_json(res, &o, sink_write, &s), HC_OK);
    assert_null(strchr(s.data, '@')); /* no email in the clear */
    assert_null(strstr(s.data, "Mona"));
    assert_non_null(strstr(s.data, "\"total_seats_consumed\":3,"));
    assert_non_null(strstr(s.data, "\"total_user_accounts\":6,"));
    /* The NameID is an email: it gets the pseudonym of its key. */
    char want[256];
    snprintf(want, sizeof want, "\"github_com_saml_name_id\":\"%s\"", pm);
    assert_non_null(strstr(s.data, want));
    /* Pseudonyms are sorted as pseudonyms. */
    if (strcmp(pm, pl) < 0)
        snprintf(want, sizeof want,
                 "\"enterprise_server_emails\":"
                 "[\"%s\",\"%s\"]",
                 pm, pl);
    else
        snprintf(want, sizeof want,
                 "\"enterprise_server_emails\":"
                 "[\"%s\",\"%s\"]",
                 pl, pm);
    assert_non_null(strstr(s.data, want));
    assert_non_null(strstr(s.data, "\"ghe-1.corp.example:5\""));

    /* Same persons and ids when read back. */
    char *path = write_tmp(s.data, s.len);
    hc_report *r = NULL;
    hc_diag d;
    assert_int_equal(hc_report_read(path, &r, &d), HC_OK);
    assert_int_equal(hc_report_total_seats(r), 3);
    assert_int_equal(hc_report_person_count(r), 3);
    const char *mona[] = {"mona", "ghe-1.corp.example:5",
                          "ghe-2.corp.example:7"};
    check_person(r, 2, "mona", mona, 3);
    hc_report_destroy(r);
    unlink(path);
    free(path);
    sink_free(&s);

    assert_int_equal(hc_report_write_csv(res, &o, sink_write, &s), HC_OK);
    assert_null(strchr(s.data, '@'));
    assert_non_null(strstr(s.data, pm));
    sink_free(&s);

    hc_report_options bad = {key, 0};
    assert_int_equal(hc_report_write_json(res, &bad, sink_write, &s),
                     HC_ERR_ARG);
    sink_free(&s);
    hc_result_destroy(res);
    hc_census_destroy(c);
}

/* The reference view of one result person: GHEC logins then host:id in
 * account order, as the report must list them. */
static void person_ids(const hc_result *res, size_t p, char ***ids, size_t *n)
{
    hc_person_info pi;
    hc_result_person(res, p, &pi);
    size_t *acc = malloc(pi.n_accounts * sizeof *acc);
    assert_non_null(acc);
    for (size_t j = 0; j < pi.n_accounts; j++)
        acc[j] = hc_result_person_account(res, p, j);
    /* insertion sort: canonical account order */
    for (size_t a = 1; a < pi.n_accounts; a++)
        for (size_t b = a; b > 0 && acc[b - 1] > acc[b]; b--) {
            size_t t = acc[b];
            acc[b] = acc[b - 1];
            acc[b - 1] = t;
        }
    *ids = calloc(pi.n_accounts, sizeof **ids);
    assert_non_null(*ids);
    *n = 0;
    for (size_t j = 0; j < pi.n_accounts; j++) {
        hc_account_info ai;
        hc_result_account(res, acc[j], &ai);
        char *s = malloc(ai.source.len + ai.login.len + 32);
        assert_non_null(s);
        if (ai.kind == HC_ACCOUNT_GHEC)
            snprintf(s, ai.login.len + 1, "%.*s", (int)ai.login.len,
                     ai.login.ptr);
        else
            sprintf(s, "%.*s:%llu", (int)ai.source.len, ai.source.ptr,
                    (unsigned long long)ai.ghes_id);
        (*ids)[(*n)++] = s;
    }
    free(acc);
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A seeded random census under both policies: the JSON report must read
 * back to exactly the result's persons; the CSV has a row per person; and
 * writing through a callback that fails at any point returns its status.
 */
static void test_random_census_roundtrip(void **state)
{
    (void)state;
    rng_state = g_seed * 0xD1B54A32D192ED03ull + 7;
    for (int round = 0; round < 4; round++) {
        hc_census *c = NULL;
        hc_census_writer *w = NULL;
        uint32_t src[4];
        const char *hosts[] = {"ghe-b.example", "ghe-a.example",
                               "ghe-c.example"};
        assert_int_equal(hc_census_create(NULL, &c), HC_OK);
        assert_int_equal(hc_census_source(c, HC_SOURCE_GHEC, "ent", 3, &src[3]),
                         HC_OK);
        for (int h = 0; h < 3; h++)
            assert_int_equal(hc_census_source(c, HC_SOURCE_GHES, hosts[h],
                                              strlen(hosts[h]), &src[h]),
                             HC_OK);
        assert_int_equal(hc_census_writer_create(c, &w), HC_OK);
        unsigned n_ghec = 20 + rng_below(40), n_ghes = 500 + rng_below(2500);
        for (unsigned i = 0; i < n_ghec; i++) {
            char login[32], v1[64], v2[64];
            snprintf(login, sizeof login, "user%u", rng_below(60));
            snprintf(v1, sizeof v1, "p%u@corp.example", rng_below(400));
            snprintf(v2, sizeof v2, "q\"%u@corp.example", rng_below(400));
            hc_str ver[] = {S(v1), S(v2)};
            hc_ghec_account g;
            memset(&g, 0, sizeof g);
            g.source = src[3];
            g.login = S(login);
            g.verified_emails = ver;
            g.n_verified_emails = 2;
            g.saml_name_id = S(rng_below(2) ? v1 : "");
            g.licensed = rng_below(8) != 0;
            assert_int_equal(hc_census_add_ghec(w, &g), HC_OK);
        }
        for (unsigned i = 0; i < n_ghes; i++) {
            char email[64], login[32], other[64];
            unsigned k = rng_below(600);
            if (rng_below(10) == 0)
                snprintf(email, sizeof email, "broken%u", k);
            else
                snprintf(email, sizeof email, "%s%u@Corp.Example",
                         rng_below(2) ? "P" : "p", k);
            snprintf(login, sizeof login, "u%u", i);
            snprintf(other, sizeof other, "p%u@corp.example", rng_below(600));
            hc_str others[] = {S(other)};
            hc_ghes_account a;
            memset(&a, 0, sizeof a);
            a.source = src[rng_below(3)];
            a.id = 1 + rng_below(5000);
            a.login = S(login);
            a.primary_email = S(email);
            a.emails = others;
            a.n_emails = rng_below(5) == 0; /* extended joins on it */
            a.suspended = rng_below(14) == 0;
            assert_int_equal(hc_census_add_ghes(w, &a), HC_OK);
        }
        assert_int_equal(hc_census_writer_finish(w), HC_OK);

        hc_policy policy = round % 2 ? HC_POLICY_EXTENDED : HC_POLICY_GITHUB;
        hc_result *res = NULL;
        assert_int_equal(hc_census_run(c, policy, &res), HC_OK);
        sink s = {0};
        assert_int_equal(hc_report_write_json(res, NULL, sink_write, &s),
                         HC_OK);
        /* Above 64 KiB the output arrives in several buffered calls. */
        if (s.len > 65536)
            assert_true(s.calls >= 2 && s.calls <= s.len / 65536 + 2);

        char *path = write_tmp(s.data, s.len);
        hc_report *r = NULL;
        hc_diag d;
        assert_int_equal(hc_report_read(path, &r, &d), HC_OK);
        hc_summary sum;
        hc_result_summary(res, &sum);
        size_t np = hc_result_person_count(res);
        assert_int_equal(hc_report_total_seats(r), sum.total_seats_consumed);
        assert_int_equal(hc_report_person_count(r), np);

        /* Reference: each person's ids, the person id first; sorted by id. */
        typedef struct refp {
            char **ids;
            size_t n;
        } refp;
        refp *ref = calloc(np, sizeof *ref);
        char **keys = calloc(np, sizeof *keys);
        assert_non_null(ref);
        assert_non_null(keys);
        for (size_t p = 0; p < np; p++) {
            person_ids(res, p, &ref[p].ids, &ref[p].n);
            assert_true(ref[p].n > 0);
            keys[p] = ref[p].ids[0];
        }
        qsort(keys, np, sizeof *keys, cmp_cstr);
        for (size_t p = 0; p < np; p++) {
            hc_report_person_info pi;
            hc_report_person(r, p, &pi);
            if (pi.id.len != strlen(keys[p]) ||
                memcmp(pi.id.ptr, keys[p], pi.id.len) != 0) {
                print_error("seed %llu round %d: person %zu is %.*s, want %s\n",
                            (unsigned long long)g_seed, round, p,
                            (int)pi.id.len, pi.id.ptr, keys[p]);
                fail();
            }
            /* Find the result person with this id and compare all ids. */
            size_t q = 0;
            while (q < np && strcmp(ref[q].ids[0], keys[p]) != 0)
                q++;
            assert_true(q < np);
            /* Under policy extended a person may hold several GHEC
             * logins: the report lists every one. */
            assert_int_equal(pi.n_ids, ref[q].n);
            for (size_t k = 0; k < ref[q].n; k++) {
                assert_int_equal(pi.ids[k].len, strlen(ref[q].ids[k]));
                assert_memory_equal(pi.ids[k].ptr, ref[q].ids[k],
                                    pi.ids[k].len);
            }
        }
        for (size_t p = 0; p < np; p++) {
            for (size_t k = 0; k < ref[p].n; k++)
                free(ref[p].ids[k]);
            free(ref[p].ids);
        }
        free(ref);
        free(keys);
        hc_report_destroy(r);
        unlink(path);
        free(path);

        /* The CSV: a header and one line per person (no field here holds a
         * newline), whose "Total user accounts" (the 8th column) add up
         * to the accounts of the result's persons. */
        sink csv = {0};
        assert_int_equal(hc_report_write_csv(res, NULL, sink_write, &csv),
                         HC_OK);
        size_t lines = 0;
        for (size_t i = 0; i < csv.len; i++)
            lines += csv.data[i] == '\n';
        assert_int_equal(lines, np + 1);
        assert_int_equal(csv.data[csv.len - 1], '\n');
        uint64_t want_accounts = 0, csv_accounts = 0;
        for (size_t p = 0; p < np; p++) {
            hc_person_info pi;
            hc_result_person(res, p, &pi);
            want_accounts += pi.n_accounts;
        }
        size_t field = 0;
        uint64_t cell = 0;
        bool quoted = false, header = true;
        for (size_t i = 0; i < csv.len; i++) {
            char ch = csv.data[i];
            if (ch == '"') {
                quoted = !quoted; /* a "" inside a cell toggles twice */
            } else if (!quoted && (ch == ',' || ch == '\n')) {
                if (!header && field == 7)
                    csv_accounts += cell;
                cell = 0;
                field = ch == ',' ? field + 1 : 0;
                header = header && ch != '\n';
            } else if (!header && field == 7) {
                assert_true(ch >= '0' && ch <= '9');
                cell = cell * 10 + (uint64_t)(ch - '0');
            }
        }
        assert_int_equal(csv_accounts, want_accounts);

        /* A failing callback stops the writer with its status. */
        size_t cuts[] = {1, s.len / 3, s.len - 1};
        for (size_t i = 0; i < 3; i++) {
            sink f = {0};
            f.fail_after = cuts[i];
            assert_int_equal(hc_report_write_json(res, NULL, sink_write, &f),
                             HC_ERR_IO);
            assert_true(f.len <= cuts[i]);
            assert_memory_equal(f.data ? f.data : "", s.data, f.len);
            sink_free(&f);
            f.fail_after = csv.len / 2 ? csv.len / 2 : 1;
            assert_int_equal(hc_report_write_csv(res, NULL, sink_write, &f),
                             HC_ERR_IO);
            sink_free(&f);
            f.fail_after = 10;
            assert_int_equal(hc_summary_write_json(res, 0, sink_write, &f),
                             HC_ERR_IO);
            sink_free(&f);
        }

        /* Byte-for-byte the same when written again. */
        sink again = {0};
        assert_int_equal(hc_report_write_json(res, NULL, sink_write, &again),
                         HC_OK);
        assert_int_equal(again.len, s.len);
        assert_memory_equal(again.data, s.data, s.len);
        sink_free(&again);
        sink_free(&csv);
        sink_free(&s);
        hc_result_destroy(res);
        hc_census_destroy(c);
    }
}

static void test_csv_quoting(void **state)
{
    (void)state;
    hc_census *c = NULL;
    hc_census_writer *w = NULL;
    uint32_t g;
    hc_result *res = NULL;
    sink s = {0};

    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    assert_int_equal(hc_census_source(c, HC_SOURCE_GHES, "h,\"x\"", 5, &g),
                     HC_OK);
    assert_int_equal(hc_census_writer_create(c, &w), HC_OK);
    add_ghes(w, g, 1, "a", "=cmd@x.example", false);
    add_ghes(w, g, 2, "b", "\"q\"@x.example", false);
    assert_int_equal(hc_census_writer_finish(w), HC_OK);
    assert_int_equal(hc_census_run(c, HC_POLICY_GITHUB, &res), HC_OK);
    assert_int_equal(hc_report_write_csv(res, NULL, sink_write, &s), HC_OK);
    const char *body = strchr(s.data, '\n') + 1;
    assert_string_equal(body,
                        ",false,true,\"h,\"\"x\"\":1\",'=cmd@x.example,,,1,"
                        "false,enterprise,,\n"
                        ",false,true,\"h,\"\"x\"\":2\",\"\"\"q\"\"@x.example\","
                        ",,1,false,enterprise,,\n");
    sink_free(&s);
    assert_int_equal(hc_report_write_json(res, NULL, sink_write, &s), HC_OK);
    assert_non_null(strstr(s.data, "[\"h,\\\"x\\\":1\"]"));
    assert_non_null(strstr(s.data, "[\"\\\"q\\\"@x.example\"]"));
    sink_free(&s);
    hc_result_destroy(res);
    hc_census_destroy(c);
}

/* GHEC logins in the CSV: controls never reach a cell, an empty login is
 * no login, and every login of a person with several (policy extended)
 * is listed as in JSON. */
static void test_csv_logins(void **state)
{
    (void)state;
    hc_census *c = NULL;
    hc_census_writer *w = NULL;
    uint32_t g;
    hc_result *res = NULL;
    sink s = {0};
    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    assert_int_equal(hc_census_source(c, HC_SOURCE_GHEC, "e", 1, &g), HC_OK);
    assert_int_equal(hc_census_writer_create(c, &w), HC_OK);
    static const struct {
        const char *login;
        size_t len;
        const char *email;
    } acc[] = {
        {"\0=cmd", 5, "a@x.example"},    {"x\x1b[31mred", 9, "b@x.example"},
        {"", 0, "c@x.example"},          {"mona", 4, "m@x.example"},
        {"mona-work", 9, "m@x.example"},
    };
    for (size_t i = 0; i < sizeof acc / sizeof acc[0]; i++) {
        hc_str ver = S(acc[i].email);
        hc_ghec_account a;
        memset(&a, 0, sizeof a);
        a.source = g;
        a.login = (hc_str){acc[i].login, acc[i].len};
        a.verified_emails = &ver;
        a.n_verified_emails = 1;
        a.licensed = true;
        assert_int_equal(hc_census_add_ghec(w, &a), HC_OK);
    }
    assert_int_equal(hc_census_writer_finish(w), HC_OK);
    assert_int_equal(hc_census_run(c, HC_POLICY_EXTENDED, &res), HC_OK);
    assert_int_equal(hc_report_write_csv(res, NULL, sink_write, &s), HC_OK);
    for (size_t i = 0; i < s.len; i++)
        assert_false((unsigned char)s.data[i] < 0x20 && s.data[i] != '\n');
    assert_non_null(strstr(s.data, "\xEF\xBF\xBD=cmd,true,"));
    assert_non_null(strstr(s.data, "x\xEF\xBF\xBD[31mred,true,"));
    assert_non_null(strstr(s.data, "\n,true,false,,,c@x.example,"));
    assert_non_null(strstr(s.data, "\nmona,true,false,,,m@x.example,,2,false,"
                                   "enterprise,shared_email,"
                                   "\"mona, mona-work\"\n"));
    sink_free(&s);
    assert_int_equal(hc_report_write_json(res, NULL, sink_write, &s), HC_OK);
    assert_non_null(strstr(s.data, "{\"github_com_login\":null,"
                                   "\"github_com_user\":true,"));
    sink_free(&s);
    hc_result_destroy(res);
    hc_census_destroy(c);
}

int main(void)
{
    g_seed = test_seed_env(g_seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_cases),
        cmocka_unit_test(test_csv_logins),
        cmocka_unit_test(test_escape_write_failure),
        cmocka_unit_test(test_csv_field_cases),
        cmocka_unit_test(test_escape_random_roundtrip),
        cmocka_unit_test(test_pseudonymize_rfc4231),
        cmocka_unit_test(test_read_github_pages),
        cmocka_unit_test(test_read_repeated_ids),
        cmocka_unit_test(test_read_repeated_user),
        cmocka_unit_test(test_read_repeated_key_refused),
        cmocka_unit_test(test_read_ghes_export_refused),
        cmocka_unit_test(test_read_whole_file_messages),
        cmocka_unit_test(test_read_duplicate_users_order),
        cmocka_unit_test(test_read_host_spelling),
        cmocka_unit_test(test_read_gzip),
        cmocka_unit_test(test_read_malformed),
        cmocka_unit_test(test_read_limits),
        cmocka_unit_test(test_small_report_text),
        cmocka_unit_test(test_small_report_pseudonymized),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_random_census_roundtrip),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (failed)
        fprintf(stderr, "test_report: seed %llu (HC_TEST_SEED to replay)\n",
                (unsigned long long)g_seed);
    free(ref_full);
    free(ref_pre);
    return failed;
}
