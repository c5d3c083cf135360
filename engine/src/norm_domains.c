/*
 * The verified-domain set: entries normalized like email domains, kept in an
 * open-addressing hash table of names with two flags, "this exact domain"
 * and "any subdomain of it". A query walks the key's domain from the right
 * once, hashing as it goes, so every parent suffix gets its hash for free:
 * a lookup costs one probe per label and never allocates. The set is built
 * by one thread and then only read, so queries need no synchronization.
 */
#include <stdlib.h>
#include <string.h>

#include "headcount/norm.h"
#include "norm_internal.h"
#include "util.h"

/* Caps that keep a hostile --verified-domains list from eating memory. */
#define DOMAINS_MAX ((size_t)1 << 20)        /* distinct names */
#define DOMAINS_NAMES_MAX ((size_t)64 << 20) /* octets of all names */

#define FLAG_EXACT 1u     /* "corp.example" */
#define FLAG_SUBDOMAIN 2u /* "*.corp.example" */

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

typedef struct slot {
    uint64_t hash;
    uint32_t off; /* into names */
    uint16_t len; /* 0: empty slot (no name is empty) */
    uint16_t flags;
} slot;

struct hc_domains {
    hc__buf names; /* every name back to back, not terminated */
    slot *slots;   /* cap entries, cap a power of two or 0 */
    size_t cap;
    size_t used;    /* distinct names */
    size_t entries; /* distinct (name, flag) pairs */
};

/* FNV-1a over the bytes from last to first: see hc_domains_match_key. */
static inline uint64_t hash_step(uint64_t h, unsigned char c)
{
    return (h ^ c) * FNV_PRIME;
}

static uint64_t hash_name(const char *s, size_t n)
{
    uint64_t h = FNV_OFFSET;
    while (n > 0)
        h = hash_step(h, (unsigned char)s[--n]);
    return h;
}

/* FNV's low bits are weak; fold the high half in before masking. */
static inline size_t slot_index(uint64_t h, size_t mask)
{
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (size_t)h & mask;
}

/* Index of the slot holding (s, n), or of the empty slot that ends its run. */
static size_t domains_probe(const hc_domains *d, uint64_t h, const char *s,
                            size_t n)
{
    size_t mask = d->cap - 1;
    size_t i = slot_index(h, mask);
    for (;;) {
        const slot *sl = &d->slots[i];
        if (sl->len == 0 || (sl->hash == h && sl->len == n &&
                             memcmp(d->names.data + sl->off, s, n) == 0))
            return i;
        i = (i + 1) & mask;
    }
}

/* Flags of the name (s, n), 0 when absent. d->cap must be non-zero. */
static unsigned domains_flags(const hc_domains *d, uint64_t h, const char *s,
                              size_t n)
{
    return d->slots[domains_probe(d, h, s, n)].flags;
}

hc_status hc_domains_create(hc_domains **out)
{
    hc_domains *d = calloc(1, sizeof *d);
    *out = d;
    if (d == NULL)
        return HC_ERR_NOMEM;
    hc__buf_init(&d->names, DOMAINS_NAMES_MAX);
    return HC_OK;
}

void hc_domains_destroy(hc_domains *domains)
{
    if (domains == NULL)
        return;
    hc__buf_fini(&domains->names);
    free(domains->slots);
    free(domains);
}

size_t hc_domains_count(const hc_domains *domains)
{
    return domains ? domains->entries : 0;
}

/* Keeps the load factor at or below 1/2 so that probe runs stay short. */
static hc_status domains_grow(hc_domains *d)
{
    size_t cap = d->cap ? d->cap * 2 : 16;
    slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return HC_ERR_NOMEM;
    for (size_t i = 0; i < d->cap; i++) {
        const slot *sl = &d->slots[i];
        if (sl->len == 0)
            continue;
        size_t j = slot_index(sl->hash, cap - 1);
        while (slots[j].len != 0)
            j = (j + 1) & (cap - 1);
        slots[j] = *sl;
    }
    free(d->slots);
    d->slots = slots;
    d->cap = cap;
    return HC_OK;
}

static hc_status domains_insert(hc_domains *d, const char *name, size_t n,
                                unsigned flag)
{
    hc_status rc = HC_OK;
    uint64_t h = hash_name(name, n);

    if (d->cap != 0) {
        slot *sl = &d->slots[domains_probe(d, h, name, n)];
        if (sl->len != 0) {
            if (!(sl->flags & flag))
                d->entries++;
            sl->flags |= (uint16_t)flag;
            goto done;
        }
    }
    HC_FAIL_IF(d->used >= DOMAINS_MAX, HC_ERR_LIMIT);
    if (2 * (d->used + 1) > d->cap)
        HC_TRY(domains_grow(d));
    size_t off = d->names.len;
    HC_TRY(hc__buf_append(&d->names, name, n));
    size_t i = slot_index(h, d->cap - 1);
    while (d->slots[i].len != 0)
        i = (i + 1) & (d->cap - 1);
    d->slots[i] = (slot){.hash = h,
                         .off = (uint32_t)off,
                         .len = (uint16_t)n,
                         .flags = (uint16_t)flag};
    d->used++;
    d->entries++;
done:
    return rc;
}

/*
 * Normalizes one entry into name (HC_DOMAIN_MAX + 1 bytes): an optional
 * "*." prefix, then a domain normalized exactly like an email's. *name_len
 * is 0 when the entry is invalid.
 */
static hc_status entry_parse(const void *entry, size_t len, char *name,
                             size_t *name_len, unsigned *flag)
{
    const unsigned char *p = entry;
    while (len > 0 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r'))) {
        p++;
        len--;
    }
    *flag = FLAG_EXACT;
    if (len >= 2 && p[0] == '*' && p[1] == '.') {
        *flag = FLAG_SUBDOMAIN;
        p += 2;
        len -= 2;
    }
    return hc_domain_normalize(p, len, name, name_len);
}

hc_status hc_domains_add(hc_domains *domains, const void *entry, size_t len)
{
    hc_status rc = HC_OK;
    char name[HC_DOMAIN_MAX + 1];
    size_t name_len;
    unsigned flag;

    HC_FAIL_IF(domains == NULL || (entry == NULL && len != 0), HC_ERR_ARG);
    HC_FAIL_IF(len == 0, HC_ERR_DATA);
    HC_TRY(entry_parse(entry, len, name, &name_len, &flag));
    HC_FAIL_IF(name_len == 0, HC_ERR_DATA);
    HC_TRY(domains_insert(domains, name, name_len, flag));
done:
    return rc;
}

static inline bool is_list_separator(unsigned char c)
{
    return c == ',' || c == ' ' || (c >= '\t' && c <= '\r');
}

/* The next entry of a list from *i: true with [*start, *i) its bytes,
 * false at the end. Separators and '#' comments are skipped. */
static bool list_next(const unsigned char *p, size_t n, size_t *i,
                      size_t *start)
{
    while (*i < n) {
        if (p[*i] == '#') {
            while (*i < n && p[*i] != '\n')
                (*i)++;
        } else if (is_list_separator(p[*i])) {
            (*i)++;
        } else {
            *start = *i;
            while (*i < n && !is_list_separator(p[*i]) && p[*i] != '#')
                (*i)++;
            return true;
        }
    }
    return false;
}

/*
 * Walks the entries of a list. With commit false it only validates and
 * reports the first bad entry; with commit true it inserts every entry.
 */
static hc_status list_walk(hc_domains *d, const unsigned char *p, size_t n,
                           bool commit, size_t *bad_entry)
{
    hc_status rc = HC_OK;
    size_t index = 0;
    size_t i = 0, start = 0;

    while (list_next(p, n, &i, &start)) {
        index++;
        char name[HC_DOMAIN_MAX + 1];
        size_t name_len;
        unsigned flag;
        HC_TRY(entry_parse(p + start, i - start, name, &name_len, &flag));
        if (name_len == 0 && bad_entry != NULL)
            *bad_entry = index;
        HC_FAIL_IF(name_len == 0, HC_ERR_DATA);
        if (commit)
            HC_TRY(domains_insert(d, name, name_len, flag));
    }
done:
    return rc;
}

bool hc_domains_list_entry(const void *list, size_t len, size_t index,
                           size_t *off, size_t *entry_len)
{
    size_t i = 0, start = 0;
    for (size_t k = 1; list && list_next(list, len, &i, &start); k++)
        if (k == index) {
            *off = start;
            *entry_len = i - start;
            return true;
        }
    return false;
}

hc_status hc_domains_add_list(hc_domains *domains, const void *list, size_t len,
                              size_t *bad_entry)
{
    hc_status rc = HC_OK;

    if (bad_entry != NULL)
        *bad_entry = 0;
    HC_FAIL_IF(domains == NULL || (list == NULL && len != 0), HC_ERR_ARG);
    if (len == 0)
        goto done;
    /* Validate everything first so that a bad list adds nothing. */
    HC_TRY(list_walk(domains, list, len, false, bad_entry));
    HC_TRY(list_walk(domains, list, len, true, bad_entry));
done:
    return rc;
}

/*
 * Walking from the right, h is at every moment the hash of the suffix after
 * position i, the same value hash_name computes for that suffix alone. Each
 * '.' therefore hands us the hash of a parent domain, which matches a
 * subdomain entry; the whole domain matches an exact entry.
 */
bool hc_domains_match_key(const hc_domains *domains, const char *key,
                          size_t key_len)
{
    if (domains == NULL || key == NULL || domains->used == 0)
        return false;
    const char *at = key_len ? memrchr(key, '@', key_len) : NULL;
    if (at == NULL)
        return false;
    const char *dom = at + 1;
    size_t n = key_len - (size_t)(dom - key);
    if (n == 0 || n > HC_DOMAIN_MAX)
        return false;

    uint64_t h = FNV_OFFSET;
    for (size_t i = n; i-- > 0;) {
        if (dom[i] == '.') {
            if (domains_flags(domains, h, dom + i + 1, n - i - 1) &
                FLAG_SUBDOMAIN)
                return true;
        }
        h = hash_step(h, (unsigned char)dom[i]);
    }
    return (domains_flags(domains, h, dom, n) & FLAG_EXACT) != 0;
}
