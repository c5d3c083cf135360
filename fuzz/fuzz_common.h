/*
 * Helpers shared by the fuzz targets: the oracle-failure report (which
 * aborts, so that libFuzzer and the plain replay driver both see it), a
 * cursor that draws small values from the fuzzer's bytes, an in-memory file
 * (memfd) that the readers can open by path, a growable output buffer for the
 * report writers, summary comparison, and the decoder that turns bytes into
 * a small set of GHES and GHEC accounts drawn from tiny alphabets so that
 * keys collide often. Everything here is static so that each target is one
 * self-contained translation unit; only the public API is used.
 */
#ifndef HC_FUZZ_COMMON_H
#define HC_FUZZ_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "headcount/headcount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ------------------------------------------------------------ oracles */

__attribute__((noreturn, format(printf, 3, 4))) static inline void
fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: oracle failure: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

/* Aborts with a message when cond is false. */
#define FUZZ_CHECK(cond, ...)                           \
    do {                                                \
        if (!(cond))                                    \
            fuzz_fail(__FILE__, __LINE__, __VA_ARGS__); \
    } while (0)

/* Aborts unless an API call that must succeed on these inputs did. */
#define FUZZ_OK(expr)                                              \
    do {                                                           \
        hc_status fuzz_rc_ = (expr);                               \
        if (fuzz_rc_ != HC_OK)                                     \
            fuzz_fail(__FILE__, __LINE__, "%s returned %s", #expr, \
                      hc_status_str(fuzz_rc_));                    \
    } while (0)

/* ------------------------------------------------------- byte cursor */

/* Draws values from the input; past its end every draw is 0. */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in;

/* Byte strings in memcmp order, a prefix before the longer string. */
static inline int fuzz_bytes_cmp(const char *a, size_t an, const char *b,
                                 size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (an > bn) - (an < bn);
}

static inline uint8_t fuzz_u8(fuzz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint16_t fuzz_u16(fuzz_in *in)
{
    uint16_t hi = fuzz_u8(in);
    return (uint16_t)(hi << 8 | fuzz_u8(in));
}

/* Takes up to max bytes (fewer at the end of the input). */
static inline size_t fuzz_take(fuzz_in *in, void *out, size_t max)
{
    size_t n = max < in->n ? max : in->n;
    if (n)
        memcpy(out, in->p, n);
    in->p += n;
    in->n -= n;
    return n;
}

/* ------------------------------------------------- in-memory file */

/*
 * Replaces the content of this process's scratch memfd with (data, len) and
 * returns the path that opens it ("/proc/self/fd/N"), so that inputs reach
 * the readers through the same open/mmap path as real files.
 */
static inline const char *fuzz_memfd_put(const void *data, size_t len)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("hc-fuzz", MFD_CLOEXEC);
        FUZZ_CHECK(fd >= 0, "memfd_create failed");
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    FUZZ_CHECK(ftruncate(fd, 0) == 0, "ftruncate failed");
    const char *p = data;
    size_t off = 0;
    while (off < len) {
        ssize_t w = pwrite(fd, p + off, len - off, (off_t)off);
        FUZZ_CHECK(w > 0, "pwrite to the memfd failed");
        off += (size_t)w;
    }
    return path;
}

/* ------------------------------------------------- output buffer */

typedef struct fuzz_mem {
    char *p;
    size_t n;
    size_t cap;
} fuzz_mem;

/* An hc_write_fn that appends to a fuzz_mem (ctx). */
static inline hc_status fuzz_mem_write(void *ctx, const void *buf, size_t len)
{
    fuzz_mem *m = ctx;
    if (len > m->cap - m->n) {
        size_t cap = m->cap ? m->cap : 4096;
        while (len > cap - m->n)
            cap *= 2;
        char *q = realloc(m->p, cap);
        if (q == NULL)
            return HC_ERR_NOMEM;
        m->p = q;
        m->cap = cap;
    }
    if (len)
        memcpy(m->p + m->n, buf, len);
    m->n += len;
    return HC_OK;
}

static inline void fuzz_mem_free(fuzz_mem *m)
{
    free(m->p);
    m->p = NULL;
    m->n = m->cap = 0;
}

static inline bool fuzz_mem_equal(const fuzz_mem *a, const fuzz_mem *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* The length of the UTF-8 sequence at p (n > 0) that decodes to *cp, or 0
 * when it is ill-formed (Unicode Table 3-7: overlong, surrogate, beyond
 * U+10FFFF, truncated). Written apart from the engine's decoders, which
 * the targets check. */
static inline size_t fuzz_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint8_t c = p[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, v = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, v = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, v = c & 0x07, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Whether p[0..n) is UTF-8 (fuzz_utf8_decode). */
static inline bool fuzz_utf8(const uint8_t *p, size_t n)
{
    uint32_t cp;
    for (size_t i = 0, k; i < n; i += k)
        if ((k = fuzz_utf8_decode(p + i, n - i, &cp)) == 0)
            return false;
    return true;
}

/* ------------------------------------------------------- summaries */

/* Aborts naming the first field in which two summaries differ. */
static inline void fuzz_summary_same(const hc_summary *a, const hc_summary *b,
                                     const char *what)
{
#define FUZZ_SUM_FIELD(f)                                                      \
    FUZZ_CHECK(a->f == b->f, "%s: summary field " #f " differs: %llu vs %llu", \
               what, (unsigned long long)a->f, (unsigned long long)b->f)
    FUZZ_SUM_FIELD(policy);
    FUZZ_SUM_FIELD(total_seats_consumed);
    FUZZ_SUM_FIELD(github_seats);
    FUZZ_SUM_FIELD(extended_seats);
    FUZZ_SUM_FIELD(potential_savings);
    FUZZ_SUM_FIELD(ghec_accounts);
    FUZZ_SUM_FIELD(ghes_accounts);
    FUZZ_SUM_FIELD(ghes_accounts_total);
    FUZZ_SUM_FIELD(ghes_accounts_matched);
    FUZZ_SUM_FIELD(ghes_only_persons);
    FUZZ_SUM_FIELD(keyless_accounts);
    FUZZ_SUM_FIELD(suspended_accounts);
    FUZZ_SUM_FIELD(system_accounts);
    FUZZ_SUM_FIELD(duplicate_rows);
    FUZZ_SUM_FIELD(persons_without_verified_domain_email);
    FUZZ_SUM_FIELD(verified_domains_given);
    FUZZ_SUM_FIELD(rejected_rows);
    FUZZ_SUM_FIELD(ghec_unlicensed_accounts);
#undef FUZZ_SUM_FIELD
}

/*
 * Relations every summary must satisfy whatever the input: the savings are
 * the difference of the two policies, merging more never costs more seats,
 * and under policy github every seat is a person of the result.
 */
static inline void fuzz_summary_sane(const hc_result *r, const hc_summary *s)
{
    FUZZ_CHECK(s->extended_seats <= s->github_seats,
               "extended_seats %llu > github_seats %llu",
               (unsigned long long)s->extended_seats,
               (unsigned long long)s->github_seats);
    FUZZ_CHECK(s->potential_savings == s->github_seats - s->extended_seats,
               "potential_savings %llu != github %llu - extended %llu",
               (unsigned long long)s->potential_savings,
               (unsigned long long)s->github_seats,
               (unsigned long long)s->extended_seats);
    uint64_t want =
        s->policy == HC_POLICY_GITHUB ? s->github_seats : s->extended_seats;
    FUZZ_CHECK(s->total_seats_consumed == want,
               "total_seats_consumed %llu != the policy's seats %llu",
               (unsigned long long)s->total_seats_consumed,
               (unsigned long long)want);
    FUZZ_CHECK(hc_result_person_count(r) == s->total_seats_consumed,
               "%zu persons but total_seats_consumed %llu",
               hc_result_person_count(r),
               (unsigned long long)s->total_seats_consumed);
    FUZZ_CHECK(s->ghes_accounts_matched <= s->ghes_accounts &&
                   s->ghes_accounts <= s->ghes_accounts_total,
               "matched %llu <= eligible %llu <= total %llu fails",
               (unsigned long long)s->ghes_accounts_matched,
               (unsigned long long)s->ghes_accounts,
               (unsigned long long)s->ghes_accounts_total);
    if (s->policy == HC_POLICY_GITHUB)
        FUZZ_CHECK(s->total_seats_consumed ==
                       s->ghec_accounts + s->ghes_only_persons,
                   "github seats %llu != GHEC %llu + GHES-only persons %llu",
                   (unsigned long long)s->total_seats_consumed,
                   (unsigned long long)s->ghec_accounts,
                   (unsigned long long)s->ghes_only_persons);
}

/* ------------------------------------------------ account decoder */

#define FUZZ_STR_MAX 48   /* longest decoded string */
#define FUZZ_LIST_MAX 3   /* most emails / identity values in one list */
#define FUZZ_ACCTS_MAX 40 /* most accounts decoded from one input */

typedef struct fuzz_s {
    char b[FUZZ_STR_MAX];
    size_t n;
} fuzz_s;

typedef struct fuzz_acct {
    bool ghec;
    const char *source; /* GHES host or GHEC source name (static) */
    uint64_t id;        /* GHES */
    fuzz_s login;
    fuzz_s primary;             /* GHES primary email / GHEC SAML NameID */
    fuzz_s list[FUZZ_LIST_MAX]; /* GHES emails / GHEC identity values */
    size_t n_list;
    fuzz_s verified[FUZZ_LIST_MAX]; /* GHEC verified emails */
    size_t n_verified;
    bool flag; /* GHES suspended / GHEC licensed */
} fuzz_acct;

typedef struct fuzz_accts {
    fuzz_acct a[FUZZ_ACCTS_MAX];
    size_t n;
    const char *domains; /* verified-domain list, or NULL */
} fuzz_accts;

/* Appends a NUL-terminated string, truncating at FUZZ_STR_MAX. */
static inline void fuzz_s_add(fuzz_s *s, const char *t)
{
    size_t k = strlen(t);
    if (k > FUZZ_STR_MAX - s->n)
        k = FUZZ_STR_MAX - s->n;
    memcpy(s->b + s->n, t, k);
    s->n += k;
}

#define FUZZ_PICK(arr, in) ((arr)[fuzz_u8(in) % (sizeof(arr) / sizeof(arr[0]))])

/*
 * Emails from pieces that normalize onto each other: case, NFC vs NFD, the
 * Kelvin sign, IDN U-label vs A-label, a trailing dot, padding whitespace,
 * plus invalid shapes and (rarely) raw bytes from the input.
 */
static inline void fuzz_email(fuzz_in *in, fuzz_s *s)
{
    static const char *const locals[] = {
        "a",        "A",     "b", "\xc3\xa4",     "a\xcc\x88",
        "\xc3\x84", "x+tag", "k", "\xe2\x84\xaa", "first.last",
        "\"q u\"",  "B",     ""};
    static const char *const domains[] = {
        "corp.example",          "CORP.Example.",    "b\303\274cher.example",
        "xn--bcher-kva.example", "sub.corp.example", "other.example",
        "-bad-.example",         "corp..example",    ""};
    s->n = 0;
    uint8_t shape = fuzz_u8(in);
    if (shape == 0xff) {
        s->n = fuzz_take(in, s->b, fuzz_u8(in) % 24);
        return;
    }
    if (shape & 1)
        fuzz_s_add(s, (shape & 2) ? " " : "\t");
    fuzz_s_add(s, FUZZ_PICK(locals, in));
    if (!(shape & 4) || (shape & 0x38) != 0x38)
        fuzz_s_add(s, "@");
    fuzz_s_add(s, FUZZ_PICK(domains, in));
    if (shape & 0x40)
        fuzz_s_add(s, " ");
}

static inline void fuzz_accts_decode(fuzz_in *in, fuzz_accts *A,
                                     bool with_empty_login)
{
    static const char *const hosts[] = {
        "ghe-1.corp.example",      "ghe-2.corp.example",
        "GHE-1.corp.example",      "h\"q\\x",
        "ghe-4.corp.example:8443", "\xc3\xa9t\xc3\xa9"};
    static const char *const enterprises[] = {"acme", "other"};
    static const char *const ghes_logins[] = {"alice",      "bob",   "ghost",
                                              "scim-admin", "Ghost", "carol"};
    static const char *const ghec_logins[] = {
        "alice",   "alice-corp", "Bob",   "b\xc3\xa9",
        "q\"s\\t", "zed",        "z\x01", ""};
    static const char *const vd_lists[] = {
        NULL, "corp.example", "*.corp.example, b\303\274cher.example"};
    static const uint64_t big_ids[] = {UINT64_MAX, (uint64_t)1 << 40,
                                       4294967296u, 99};

    A->n = 0;
    A->domains = FUZZ_PICK(vd_lists, in);
    while (in->n > 0 && A->n < FUZZ_ACCTS_MAX) {
        fuzz_acct *a = &A->a[A->n++];
        memset(a, 0, sizeof *a);
        uint8_t op = fuzz_u8(in);
        a->ghec = op & 1;
        a->flag = (op & 2) != 0;
        if (!a->ghec) {
            a->source = FUZZ_PICK(hosts, in);
            uint8_t id = fuzz_u8(in);
            a->id = id < 0xf0 ? id % 12u : big_ids[id % 4];
            fuzz_s_add(&a->login, FUZZ_PICK(ghes_logins, in));
            fuzz_email(in, &a->primary);
            a->n_list = (op >> 2) % (FUZZ_LIST_MAX + 1);
            for (size_t i = 0; i < a->n_list; i++)
                fuzz_email(in, &a->list[i]);
            /* Most accounts are active; suspension is the rarer case. */
            a->flag = (op & 0x30) == 0x30;
        } else {
            a->source = FUZZ_PICK(enterprises, in);
            const char *login = FUZZ_PICK(ghec_logins, in);
            if (!*login && !with_empty_login)
                login = "empty";
            fuzz_s_add(&a->login, login);
            if (op & 4)
                fuzz_email(in, &a->primary);
            a->n_list = (op >> 3) % 3;
            for (size_t i = 0; i < a->n_list; i++)
                fuzz_email(in, &a->list[i]);
            a->n_verified = (op >> 5) % (FUZZ_LIST_MAX + 1);
            for (size_t i = 0; i < a->n_verified; i++)
                fuzz_email(in, &a->verified[i]);
            /* Most GHEC rows are licensed users. */
            a->flag = (op & 0x82) != 0x82;
        }
    }
}

static inline hc_str fuzz_str(const fuzz_s *s)
{
    hc_str h = {s->b, s->n};
    return h;
}

/* Adds account a through writer w, registering its source first. */
static inline void fuzz_acct_add(hc_census *c, hc_census_writer *w,
                                 const fuzz_acct *a)
{
    uint32_t src = 0;
    hc_str list[FUZZ_LIST_MAX], ver[FUZZ_LIST_MAX];
    for (size_t i = 0; i < a->n_list; i++)
        list[i] = fuzz_str(&a->list[i]);
    for (size_t i = 0; i < a->n_verified; i++)
        ver[i] = fuzz_str(&a->verified[i]);
    if (!a->ghec) {
        FUZZ_OK(hc_census_source(c, HC_SOURCE_GHES, a->source,
                                 strlen(a->source), &src));
        hc_ghes_account g = {
            src,       a->id,  fuzz_str(&a->login), fuzz_str(&a->primary), list,
            a->n_list, a->flag};
        FUZZ_OK(hc_census_add_ghes(w, &g));
    } else {
        FUZZ_OK(hc_census_source(c, HC_SOURCE_GHEC, a->source,
                                 strlen(a->source), &src));
        hc_ghec_account g = {src,
                             fuzz_str(&a->login),
                             fuzz_str(&a->primary),
                             list,
                             a->n_list,
                             ver,
                             a->n_verified,
                             a->flag};
        FUZZ_OK(hc_census_add_ghec(w, &g));
    }
}

/*
 * Builds a census of the decoded accounts with `threads` run threads and
 * `writers` writers (accounts dealt round-robin), in input order or
 * reversed. *domains receives the verified-domain set (free it after the
 * census).
 */
static inline hc_census *fuzz_census_build(const fuzz_accts *A,
                                           unsigned threads, size_t writers,
                                           bool reversed, bool summary_only,
                                           hc_domains **domains)
{
    hc_census *c = NULL;
    hc_census_writer *w[4] = {NULL, NULL, NULL, NULL};
    hc_census_options o = {0};

    *domains = NULL;
    if (A->domains) {
        size_t bad = 0;
        FUZZ_OK(hc_domains_create(domains));
        FUZZ_OK(hc_domains_add_list(*domains, A->domains, strlen(A->domains),
                                    &bad));
    }
    o.threads = threads;
    o.expected_keys = 64; /* small inputs: keep per-run setup cheap */
    o.verified_domains = *domains;
    o.summary_only = summary_only;
    FUZZ_OK(hc_census_create(&o, &c));
    if (writers < 1 || writers > 4)
        writers = 1;
    for (size_t i = 0; i < writers; i++)
        FUZZ_OK(hc_census_writer_create(c, &w[i]));
    for (size_t k = 0; k < A->n; k++) {
        size_t i = reversed ? A->n - 1 - k : k;
        fuzz_acct_add(c, w[k % writers], &A->a[i]);
    }
    for (size_t i = 0; i < writers; i++)
        FUZZ_OK(hc_census_writer_finish(w[i]));
    return c;
}

#endif /* HC_FUZZ_COMMON_H */
