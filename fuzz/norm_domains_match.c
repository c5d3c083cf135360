/*
 * Fuzz target: the verified-domain matcher against a naive reference. The
 * input is a domain list, then a NUL byte, then query emails one per line.
 * The list is split here by the documented rules (commas, whitespace and
 * newlines separate entries, '#' comments to the end of the line); each
 * entry is normalized with hc_domain_normalize and kept in a plain array.
 * hc_domains_add_list must accept exactly the lists whose entries are all
 * valid (else name the first bad one and add nothing), count the distinct
 * entries, agree with a set built entry by entry with hc_domains_add, and
 * for every normalized query key (and keys made from the entries themselves)
 * hc_domains_match_key must agree with a linear scan: exact name, or a
 * "*.name" entry whose name is a proper dot-suffix of the key's domain.
 */
#include "fuzz_common.h"

#define MAX_ENTRIES 64

typedef struct ref_entry {
    char name[HC_DOMAIN_MAX + 1];
    size_t len;
    bool sub; /* "*.name" */
} ref_entry;

typedef struct ref_set {
    ref_entry e[MAX_ENTRIES];
    size_t n;      /* distinct (name, sub) pairs */
    size_t bad;    /* 1-based index of the first invalid entry, 0: none */
    size_t tokens; /* entries seen */
} ref_set;

static bool is_sep(unsigned char c)
{
    return c == ',' || c == ' ' || (c >= '\t' && c <= '\r');
}

static void ref_add(ref_set *r, const char *name, size_t len, bool sub)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->e[i].sub == sub && r->e[i].len == len &&
            memcmp(r->e[i].name, name, len) == 0)
            return;
    ref_entry *e = &r->e[r->n++];
    memcpy(e->name, name, len);
    e->name[len] = '\0';
    e->len = len;
    e->sub = sub;
}

/* Splits the list; returns false when it has more entries than we track. */
static bool ref_build(ref_set *r, const unsigned char *p, size_t n)
{
    size_t i = 0;
    memset(r, 0, sizeof *r);
    while (i < n) {
        if (p[i] == '#') {
            while (i < n && p[i] != '\n')
                i++;
            continue;
        }
        if (is_sep(p[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < n && !is_sep(p[i]) && p[i] != '#')
            i++;
        if (++r->tokens > MAX_ENTRIES)
            return false;
        const unsigned char *t = p + start;
        size_t len = i - start;
        bool sub = len >= 2 && t[0] == '*' && t[1] == '.';
        if (sub)
            t += 2, len -= 2;
        char name[HC_DOMAIN_MAX + 1];
        size_t name_len = 0;
        FUZZ_OK(hc_domain_normalize(t, len, name, &name_len));
        if (name_len == 0) {
            if (r->bad == 0)
                r->bad = r->tokens;
            continue;
        }
        ref_add(r, name, name_len, sub);
    }
    return true;
}

static bool ref_match(const ref_set *r, const char *key, size_t klen)
{
    const char *at = memrchr(key, '@', klen);
    const char *dom = at + 1;
    size_t dn = klen - (size_t)(dom - key);
    for (size_t i = 0; i < r->n; i++) {
        const ref_entry *e = &r->e[i];
        if (!e->sub) {
            if (e->len == dn && memcmp(e->name, dom, dn) == 0)
                return true;
        } else if (dn > e->len + 1 &&
                   memcmp(dom + dn - e->len, e->name, e->len) == 0 &&
                   dom[dn - e->len - 1] == '.') {
            return true;
        }
    }
    return false;
}

static void query(const hc_domains *d, const hc_domains *d2, const ref_set *r,
                  const void *email, size_t len)
{
    char key[HC_KEY_MAX + 1];
    size_t klen = 0;
    FUZZ_OK(hc_email_normalize(email, len, key, &klen));
    if (klen == 0)
        return;
    bool want = ref_match(r, key, klen);
    bool got = hc_domains_match_key(d, key, klen);
    FUZZ_CHECK(got == want, "match(\"%s\") = %d, reference says %d", key, got,
               want);
    got = hc_domains_match_key(d2, key, klen);
    FUZZ_CHECK(got == want,
               "match(\"%s\") = %d on the entry-by-entry set, reference %d",
               key, got, want);
}

/* Keys built from an entry: the name itself, a subdomain, the parent. */
static void query_entry(const hc_domains *d, const hc_domains *d2,
                        const ref_set *r, const ref_entry *e)
{
    char email[HC_DOMAIN_MAX + 16];
    int k = snprintf(email, sizeof email, "u@%s", e->name);
    query(d, d2, r, email, (size_t)k);
    k = snprintf(email, sizeof email, "u@w.%s", e->name);
    query(d, d2, r, email, (size_t)k);
    const char *dot = strchr(e->name, '.');
    if (dot) {
        k = snprintf(email, sizeof email, "u@%s", dot + 1);
        query(d, d2, r, email, (size_t)k);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ref_set r;
    const uint8_t *nul = memchr(data, 0, size);
    size_t list_len = nul ? (size_t)(nul - data) : size;
    hc_domains *d = NULL, *d2 = NULL;

    if (!ref_build(&r, data, list_len))
        return 0;
    FUZZ_OK(hc_domains_create(&d));
    FUZZ_OK(hc_domains_create(&d2));
    FUZZ_CHECK(hc_domains_count(d) == 0, "a new set is not empty");

    size_t bad = 12345;
    hc_status rc = hc_domains_add_list(d, data, list_len, &bad);
    if (r.bad != 0) {
        FUZZ_CHECK(rc == HC_ERR_DATA, "list with bad entry %zu gave %s", r.bad,
                   hc_status_str(rc));
        FUZZ_CHECK(bad == r.bad, "bad_entry %zu, reference %zu", bad, r.bad);
        FUZZ_CHECK(hc_domains_count(d) == 0,
                   "a rejected list added %zu entries", hc_domains_count(d));
        /* Keep going with an empty set: nothing may match. */
        r.n = 0;
    } else {
        FUZZ_CHECK(rc == HC_OK, "valid list gave %s", hc_status_str(rc));
        FUZZ_CHECK(bad == 0, "bad_entry %zu on success", bad);
    }
    FUZZ_CHECK(hc_domains_count(d) == r.n, "count %zu, reference %zu",
               hc_domains_count(d), r.n);

    /* The same entries one by one, re-spelled as "*." + name or name. */
    for (size_t i = 0; i < r.n; i++) {
        char entry[HC_DOMAIN_MAX + 3];
        int k = snprintf(entry, sizeof entry, "%s%s", r.e[i].sub ? "*." : "",
                         r.e[i].name);
        FUZZ_OK(hc_domains_add(d2, entry, (size_t)k));
    }
    FUZZ_CHECK(hc_domains_count(d2) == r.n, "add count %zu, reference %zu",
               hc_domains_count(d2), r.n);

    if (nul) {
        size_t i = list_len + 1;
        for (;;) {
            const uint8_t *nl = memchr(data + i, '\n', size - i);
            size_t stop = nl ? (size_t)(nl - data) : size;
            query(d, d2, &r, data + i, stop - i);
            if (!nl)
                break;
            i = stop + 1;
        }
    }
    for (size_t i = 0; i < r.n; i++)
        query_entry(d, d2, &r, &r.e[i]);

    hc_domains_destroy(d);
    hc_domains_destroy(d2);
    return 0;
}
