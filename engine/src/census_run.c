/*
 * Counting (rules_v1, docs/rules.md). The run is a sequence of
 * bulk-synchronous phases, each either parallel over accounts or keys, or a
 * cheap sequential scan:
 *
 *   1. canonical order: GHEC accounts by login, GHES accounts by
 *      (host, id); repeated rows collapse into one account;
 *   2. claims: every licensed GHEC account lowers the owner of each of its
 *      keys to (class << 32 | account index), class 0 for identity values
 *      and 1 for verified emails, so the owner of a key is the GHEC account
 *      GitHub would match: identity before verified email, then the lowest
 *      login, whatever the thread count;
 *   3. policy github: each eligible GHES account joins the owner of its
 *      primary key; unmatched ones group by key; keyless ones stand alone;
 *   4. policy extended: a union-find over accounts joins every two eligible
 *      accounts that share any key; roots are the smallest account index;
 *   5. persons, in order of their first account, and the summary.
 * Every phase's output is a pure function of the canonical order, so the
 * result is identical for any thread count and any input order.
 */
#include <stdlib.h>

#include "census_internal.h"
#include "headcount/uf.h"
#include "par.h"

#define CLASS_IDENTITY 0ull
#define CLASS_VERIFIED 1ull

/* ---- phase 1: canonical order ------------------------------------------ */

typedef struct ghes_sort {
    uint64_t id;
    uint64_t rank;
    hc_str login; /* orders rows of equal rank, which differ at most here */
    const uint32_t *keys; /* the row's keys */
    uint32_t srank;       /* source's rank among source names */
    uint32_t rec;
    uint16_t seg;
} ghes_sort;

typedef struct ghec_sort {
    hc_str login;
    uint64_t rank;
    uint32_t srank;
    uint32_t rec;
    uint16_t seg;
    uint8_t licensed;
} ghec_sort;

static int cmp_bytes(hc_str a, hc_str b)
{
    size_t n = HC_MIN(a.len, b.len);
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c)
        return c;
    return (a.len > b.len) - (a.len < b.len);
}

static int cmp_ghes(const void *pa, const void *pb)
{
    const ghes_sort *a = pa, *b = pb;
    if (a->srank != b->srank)
        return a->srank < b->srank ? -1 : 1;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    int c = cmp_bytes(a->login, b->login);
    if (c)
        return c;
    if (a->seg != b->seg)
        return a->seg < b->seg ? -1 : 1;
    return (a->rec > b->rec) - (a->rec < b->rec);
}

static int cmp_ghec(const void *pa, const void *pb)
{
    const ghec_sort *a = pa, *b = pb;
    int c = cmp_bytes(a->login, b->login);
    if (c)
        return c;
    if (a->licensed != b->licensed) /* the licensed row represents */
        return a->licensed ? -1 : 1;
    if (a->srank != b->srank)
        return a->srank < b->srank ? -1 : 1;
    if (a->rank != b->rank) /* by content; equal ranks, equal rows */
        return a->rank < b->rank ? -1 : 1;
    if (a->seg != b->seg)
        return a->seg < b->seg ? -1 : 1;
    return (a->rec > b->rec) - (a->rec < b->rec);
}

/*
 * The GHEC sort orders keys of 24 bytes: a login's first 16 bytes,
 * big-endian and zero-padded, and the row's index. Login order never puts
 * a smaller prefix after a larger one (a zero pad sorts as a shorter login
 * does), so ordering by prefix, then by cmp_ghec when prefixes tie, is
 * exactly cmp_ghec's order; but most comparisons now read two small keys
 * in a contiguous array instead of two rows and two logins scattered over
 * the segments, which made this sort a string of cache misses.
 */
typedef struct ghec_key {
    uint64_t p0, p1;
    uint32_t i; /* index of the row's ghec_sort */
} ghec_key;

static uint64_t be_prefix(const char *p, size_t len, size_t from)
{
    uint64_t v = 0;
    for (size_t k = from; k < from + 8; k++)
        v = v << 8 | (k < len ? (unsigned char)p[k] : 0u);
    return v;
}

/* Orders keys as cmp_ghec orders their rows: a total order (rows differ
 * at least in (seg, rec)), so every correct sort gives the same result. */
static inline bool key_before(const ghec_key *a, const ghec_key *b,
                              const ghec_sort *rows)
{
    if (a->p0 != b->p0)
        return a->p0 < b->p0;
    if (a->p1 != b->p1)
        return a->p1 < b->p1;
    return cmp_ghec(&rows[a->i], &rows[b->i]) < 0;
}

/* Merges the sorted runs a[0..na) and b[0..nb) into out. */
static void keys_merge(const ghec_key *a, size_t na, const ghec_key *b,
                       size_t nb, ghec_key *out, const ghec_sort *rows)
{
    size_t i = 0, j = 0, o = 0;
    while (i < na && j < nb)
        out[o++] = key_before(&b[j], &a[i], rows) ? b[j++] : a[i++];
    while (i < na)
        out[o++] = a[i++];
    while (j < nb)
        out[o++] = b[j++];
}

/* Runs this short are sorted by insertion. */
#define KEYS_SHORT 16

/* Merge sort of k[0..n) with scratch tmp[0..n): O(n log n) whatever the
 * input, and the comparison is inlined (glibc's qsort_r, which this
 * replaces, took three times as long on a million rows). */
static void keys_sort(ghec_key *k, ghec_key *tmp, size_t n,
                      const ghec_sort *rows)
{
    if (n <= KEYS_SHORT) {
        for (size_t i = 1; i < n; i++) {
            ghec_key v = k[i];
            size_t j = i;
            for (; j > 0 && key_before(&v, &k[j - 1], rows); j--)
                k[j] = k[j - 1];
            k[j] = v;
        }
        return;
    }
    size_t h = n / 2;
    keys_sort(k, tmp, h, rows);
    keys_sort(k + h, tmp + h, n - h, rows);
    if (!key_before(&k[h], &k[h - 1], rows))
        return; /* the halves are already in order */
    memcpy(tmp, k, n * sizeof *k);
    keys_merge(tmp, h, tmp + h, n - h, k, rows);
}

/* The GHEC sort on several threads: each builds and sorts the keys of its
 * contiguous part of the rows, then one thread merges the parts. */
typedef struct ghec_sorting {
    const ghec_sort *rows;
    ghec_key *k, *tmp;
    size_t *part; /* part[t]: first row of thread t's part */
} ghec_sorting;

static hc_status keys_sort_part(void *ctx, unsigned t, size_t b, size_t e)
{
    ghec_sorting *g = ctx;
    g->part[t] = b;
    for (size_t i = b; i < e; i++) {
        hc_str l = g->rows[i].login;
        g->k[i] = (ghec_key){be_prefix(l.ptr, l.len, 0),
                             be_prefix(l.ptr, l.len, 8), (uint32_t)i};
    }
    keys_sort(g->k + b, g->tmp + b, e - b, g->rows);
    return HC_OK;
}

/*
 * Orders cs[0..n) as qsort with cmp_ghec would, on up to `threads`
 * threads: *order gets the row indexes in that order. The rows themselves
 * stay where they are: gathering them would write (and fault in) another
 * copy of every row only to read it once.
 */
static hc_status sort_ghec(const ghec_sort *cs, size_t n, unsigned threads,
                           uint32_t **order)
{
    hc_status rc = HC_OK;
    threads = hc__par_threads(threads, n); /* the parts par_for makes */
    ghec_sorting g = {cs, NULL, NULL, NULL};
    g.k = malloc((n ? n : 1) * sizeof *g.k);
    g.tmp = malloc((n ? n : 1) * sizeof *g.tmp);
    g.part = calloc((size_t)threads + 1, sizeof *g.part);
    *order = malloc((n ? n : 1) * sizeof **order);
    HC_FAIL_IF(!g.k || !g.tmp || !g.part || !*order, HC_ERR_NOMEM);
    HC_TRY(hc__par_for(threads, n, keys_sort_part, &g));
    /* Merge neighbouring parts until one is left, alternating between the
     * two key arrays. */
    g.part[threads] = n;
    for (unsigned parts = threads, step = 1; parts > 1;
         parts = (parts + 1) / 2, step *= 2) {
        for (unsigned t = 0; t < threads; t += 2 * step) {
            size_t b = g.part[t], m = g.part[HC_MIN(t + step, threads)],
                   e = g.part[HC_MIN(t + 2 * step, threads)];
            keys_merge(g.k + b, m - b, g.k + m, e - m, g.tmp + b, g.rows);
        }
        ghec_key *swap = g.k;
        g.k = g.tmp;
        g.tmp = swap;
    }
    for (size_t i = 0; i < n; i++)
        (*order)[i] = g.k[i].i;
done:
    free(g.k);
    free(g.tmp);
    free(g.part);
    return rc;
}

typedef struct src_sort {
    const hc__source *src;
    uint32_t index;
} src_sort;

static int cmp_source(const void *pa, const void *pb)
{
    const src_sort *a = pa, *b = pb;
    hc_str x = {a->src->name, a->src->len}, y = {b->src->name, b->src->len};
    int c = cmp_bytes(x, y);
    if (c)
        return c;
    return (a->src->kind > b->src->kind) - (a->src->kind < b->src->kind);
}

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return (a > b) - (a < b);
}

/* Rows and accounts are visited in login order, which is random in
 * memory: fetch a row ROW_AHEAD rows ahead, its record and login half as
 * far ahead, when the row has had time to arrive, and its key ids a
 * quarter as far, when the record has. */
#define ROW_AHEAD 32

static void ghec_row_prefetch(const hc_census *c, const ghec_sort *cs,
                              const uint32_t *order, size_t n, size_t i)
{
    if (i + ROW_AHEAD < n)
        __builtin_prefetch(&cs[order[i + ROW_AHEAD]]);
    if (i + ROW_AHEAD / 2 < n) {
        const ghec_sort *f = &cs[order[i + ROW_AHEAD / 2]];
        __builtin_prefetch(hc__ghec_at(c->segs[f->seg], f->rec));
        __builtin_prefetch(f->login.ptr);
    }
    if (i + ROW_AHEAD / 4 < n) {
        const ghec_sort *h = &cs[order[i + ROW_AHEAD / 4]];
        const hc__segment *s = c->segs[h->seg];
        __builtin_prefetch(hc__ghec_keys(s, hc__ghec_at(s, h->rec)));
    }
}

/* Sorts and dedups n key ids in place; returns the new count. */
static size_t sort_unique(uint32_t *k, size_t n)
{
    if (n < 2)
        return n;
    if (n <= KEYS_SHORT) {
        /* Most accounts have a few keys: a call to qsort costs more. */
        for (size_t i = 1; i < n; i++) {
            uint32_t v = k[i];
            size_t j = i;
            for (; j > 0 && k[j - 1] > v; j--)
                k[j] = k[j - 1];
            k[j] = v;
        }
    } else {
        qsort(k, n, sizeof *k, cmp_u32);
    }
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (k[i] != k[m - 1])
            k[m++] = k[i];
    return m;
}

static int cmp_key_bytes(const void *pa, const void *pb, void *set)
{
    return cmp_bytes(hc_hset_key(set, *(const uint32_t *)pa),
                     hc_hset_key(set, *(const uint32_t *)pb));
}

/*
 * Orders n distinct key ids by their bytes. Key ids follow the order in
 * which threads first met the keys, so a list in id order would make the
 * keys explain shows, the email savings proposes and the key an extended
 * join names depend on thread timing and input order.
 */
static void order_by_bytes(hc_hset *set, uint32_t *k, size_t n)
{
    if (n > 1) /* most accounts have one key of a role */
        qsort_r(k, n, sizeof *k, cmp_key_bytes, set);
}

/* ---- run state ----------------------------------------------------------- */

typedef struct run {
    hc_census *c;
    hc_result *r;
    hc_policy policy;
    uint32_t *srank;       /* source id -> rank */
    hc_atomic_u32 *anchor; /* key id -> smallest eligible account index */
    uint32_t *keyperson;   /* key id -> github person (phase 3) */
    uint8_t *key_vd;       /* key id -> on a verified domain */
    hc_uf *uf;
    size_t n_keys;
} run;

static bool acct_eligible(const hc__acct *a)
{
    return a->exclusion == HC_EXCLUDE_NONE;
}

static hc_status build_accounts(run *st, bool with_ghes)
{
    hc_status rc = HC_OK;
    hc_census *c = st->c;
    hc_result *r = st->r;
    size_t n_ghes = 0, n_ghec = 0, n_ghec_keys = 0;
    ghes_sort *gs = NULL;
    ghec_sort *cs = NULL;
    uint32_t *order = NULL; /* GHEC rows in login order */
    src_sort *ss = NULL;

    for (size_t i = 0; i < c->n_segs; i++) {
        const hc__segment *s = c->segs[i];
        if (!s)
            continue;
        if (with_ghes)
            n_ghes += s->ghes.len / sizeof(hc__ghes_rec);
        n_ghec += s->ghec.len / sizeof(hc__ghec_rec);
        n_ghec_keys += s->ckeys.len / sizeof(uint32_t);
    }
    HC_FAIL_IF(n_ghes + n_ghec >= UINT32_MAX, HC_ERR_LIMIT);

    /* Sources sorted by name give GHES accounts their (host, id) order. */
    st->srank = calloc(c->n_sources ? c->n_sources : 1, sizeof *st->srank);
    ss = calloc(c->n_sources ? c->n_sources : 1, sizeof *ss);
    HC_FAIL_IF(!st->srank || !ss, HC_ERR_NOMEM);
    for (size_t i = 0; i < c->n_sources; i++)
        ss[i] = (src_sort){&c->sources[i], (uint32_t)i};
    qsort(ss, c->n_sources, sizeof *ss, cmp_source);
    r->src_order =
        malloc((c->n_sources ? c->n_sources : 1) * sizeof *r->src_order);
    HC_FAIL_IF(!r->src_order, HC_ERR_NOMEM);
    for (size_t i = 0; i < c->n_sources; i++) {
        st->srank[ss[i].index] = (uint32_t)i;
        r->src_order[i] = ss[i].index;
    }

    gs = malloc((n_ghes ? n_ghes : 1) * sizeof *gs);
    cs = malloc((n_ghec ? n_ghec : 1) * sizeof *cs);
    r->accts = calloc(n_ghes + n_ghec + 1, sizeof *r->accts);
    HC_FAIL_IF(!gs || !cs || !r->accts, HC_ERR_NOMEM);
    size_t gi = 0, ci = 0;
    for (size_t i = 0; i < c->n_segs; i++) {
        const hc__segment *s = c->segs[i];
        if (!s)
            continue;
        uint32_t ng =
            with_ghes ? (uint32_t)(s->ghes.len / sizeof(hc__ghes_rec)) : 0;
        hc__ghes_walk w;
        if (ng)
            hc__ghes_seek(&w, s, 0);
        for (uint32_t j = 0; j < ng; j++, hc__ghes_step(&w))
            gs[gi++] = (ghes_sort){hc__walk_id(&w),
                                   hc__ghes_rank(s, j),
                                   hc__seg_str(s, hc__ghes_login(s, j)),
                                   hc__walk_keys(&w),
                                   st->srank[w.g->source],
                                   j,
                                   (uint16_t)i};
        uint32_t nc = (uint32_t)(s->ghec.len / sizeof(hc__ghec_rec));
        for (uint32_t j = 0; j < nc; j++) {
            const hc__ghec_rec *g = hc__ghec_at(s, j);
            cs[ci++] = (ghec_sort){hc__seg_str(s, g->login),
                                   g->rank,
                                   st->srank[g->source],
                                   j,
                                   (uint16_t)i,
                                   (uint8_t)((g->flags & HC__F_LICENSED) != 0)};
        }
    }
    qsort(gs, n_ghes, sizeof *gs, cmp_ghes);
    HC_TRY(sort_ghec(cs, n_ghec, c->threads, &order));

    /* GHEC: one account per login; repeated rows merge their keys. */
    r->merged_keys =
        malloc((n_ghec_keys ? n_ghec_keys : 1) * sizeof *r->merged_keys);
    HC_FAIL_IF(!r->merged_keys, HC_ERR_NOMEM);
    size_t mk = 0, na = 0;
    for (size_t i = 0; i < n_ghec;) {
        ghec_row_prefetch(c, cs, order, n_ghec, i);
        const ghec_sort *row = &cs[order[i]];
        size_t j = i + 1;
        if (row->login.len)
            while (j < n_ghec && cmp_bytes(row->login, cs[order[j]].login) == 0)
                j++;
        hc__acct *a = &r->accts[na++];
        a->kind = HC_ACCOUNT_GHEC;
        a->seg = row->seg;
        a->rec = row->rec;
        a->person = a->group = HC__NONE;
        a->join_key = HC__NOKEY;
        a->exclusion = row->licensed ? HC_EXCLUDE_NONE : HC_EXCLUDE_UNLICENSED;
        /* Identity values of every row, then verified emails. */
        uint32_t *k = r->merged_keys + mk;
        size_t nid = 0, nver = 0;
        for (int pass = 0; pass < 2; pass++) {
            size_t start = mk;
            for (size_t x = i; x < j; x++) {
                const ghec_sort *rx = &cs[order[x]];
                const hc__segment *s = c->segs[rx->seg];
                const hc__ghec_rec *g = hc__ghec_at(s, rx->rec);
                const uint32_t *gk = hc__ghec_keys(s, g);
                size_t from = pass ? g->n_identity : 0;
                size_t to = pass ? (size_t)g->n_identity + g->n_verified
                                 : g->n_identity;
                for (size_t y = from; y < to; y++)
                    r->merged_keys[mk++] = gk[y];
            }
            size_t m = sort_unique(r->merged_keys + start, mk - start);
            if (c->key_bytes)
                order_by_bytes(c->keys, r->merged_keys + start, m);
            mk = start + m;
            if (pass)
                nver = m;
            else
                nid = m;
        }
        /* One row holds at most HC__KEYS_PER_ACCOUNT keys, but the rows
         * of one login together may hold more than an account's 16-bit
         * counts: refused rather than listed short. */
        HC_FAIL_IF(nid > UINT16_MAX || nver > UINT16_MAX, HC_ERR_LIMIT);
        a->keys = k;
        a->n_a = (uint16_t)nid;
        a->n_b = (uint16_t)nver;
        for (size_t x = i + 1; x < j; x++) {
            hc__acct *d = &r->accts[na++];
            *d = *a;
            d->seg = cs[order[x]].seg;
            d->rec = cs[order[x]].rec;
            d->exclusion = HC_EXCLUDE_DUPLICATE;
        }
        i = j;
    }
    r->n_ghec = na;

    /* GHES: one account per (host, id); the lowest-ranked row represents
     * it, so an eligible row wins over a suspended repeat. */
    for (size_t i = 0; i < n_ghes; i++) {
        const hc__segment *s = c->segs[gs[i].seg];
        const hc__ghes_rec *g = hc__ghes_at(s, gs[i].rec);
        const uint32_t *gk = gs[i].keys;
        hc__acct *a = &r->accts[na++];
        a->kind = HC_ACCOUNT_GHES;
        a->id_hi = (uint32_t)(gs[i].id >> 32);
        a->seg = gs[i].seg;
        a->rec = gs[i].rec;
        a->person = a->group = HC__NONE;
        a->join_key = HC__NOKEY;
        unsigned nk = hc__ghes_nkeys(g), flags = hc__ghes_flags(g);
        bool has_primary = nk > 0 && gk[0] != HC__NOKEY;
        a->keys = has_primary ? gk : gk + 1;
        a->n_a = has_primary ? 1 : 0;
        a->n_b = (uint16_t)(nk ? nk - 1 : 0);
        if (i > 0 && gs[i].srank == gs[i - 1].srank && gs[i].id == gs[i - 1].id)
            a->exclusion = HC_EXCLUDE_DUPLICATE;
        else if (flags & HC__F_SYSTEM)
            a->exclusion = HC_EXCLUDE_SYSTEM;
        else if (flags & HC__F_SUSPENDED)
            a->exclusion = HC_EXCLUDE_SUSPENDED;
    }
    r->n_accts = na;
done:
    free(gs);
    free(cs);
    free(order);
    free(ss);
    return rc;
}

/* ---- phase 2: claims ------------------------------------------------------ */

static hc_status claim_range(void *ctx, unsigned t, size_t b, size_t e)
{
    run *st = ctx;
    (void)t;
    for (size_t i = b; i < e; i++) {
        const hc__acct *a = &st->r->accts[i];
        if (!acct_eligible(a))
            continue;
        for (size_t j = 0; j < (size_t)a->n_a + a->n_b; j++) {
            uint64_t cls = j < a->n_a ? CLASS_IDENTITY : CLASS_VERIFIED;
            hc_hset_claim(st->c->keys, a->keys[j], cls << 32 | i);
        }
    }
    return HC_OK;
}

/* ---- phase 3: policy github ----------------------------------------------- */

static hc_status match_range(void *ctx, unsigned t, size_t b, size_t e)
{
    run *st = ctx;
    hc_result *r = st->r;
    (void)t;
    for (size_t i = r->n_ghec + b; i < r->n_ghec + e; i++) {
        hc__acct *a = &r->accts[i];
        if (!acct_eligible(a) || a->n_a == 0)
            continue;
        uint64_t owner = hc_hset_owner(st->c->keys, a->keys[0]);
        if (owner == HC_OWNER_NONE)
            continue;
        a->rule = (owner >> 32) == CLASS_IDENTITY ? HC_JOIN_IDENTITY
                                                  : HC_JOIN_VERIFIED_EMAIL;
        a->join_key = a->keys[0];
        /* Temporarily the GHEC account index; persons come in phase 5. */
        a->person = (uint32_t)(owner & 0xffffffffu);
    }
    return HC_OK;
}

/* Assigns github persons in canonical account order. */
static hc_status github_persons(run *st)
{
    hc_result *r = st->r;
    hc_summary *sum = &r->sum;
    uint32_t next = 0;
    for (size_t i = 0; i < r->n_accts; i++) {
        hc__acct *a = &r->accts[i];
        if (!acct_eligible(a)) {
            a->person = HC__NONE;
            continue;
        }
        if (a->kind == HC_ACCOUNT_GHEC) {
            a->rule = HC_JOIN_SELF;
            a->person = next++;
            sum->ghec_accounts++;
            continue;
        }
        sum->ghes_accounts++;
        if (a->rule == HC_JOIN_IDENTITY || a->rule == HC_JOIN_VERIFIED_EMAIL) {
            a->person = r->accts[a->person].person;
            sum->ghes_accounts_matched++;
        } else if (a->n_a) {
            uint32_t *kp = &st->keyperson[a->keys[0]];
            if (*kp == HC__NONE) {
                *kp = next++;
                a->rule = HC_JOIN_SELF;
            } else {
                a->rule = HC_JOIN_SAME_PRIMARY;
                a->join_key = a->keys[0];
            }
            a->person = *kp;
        } else {
            a->rule = HC_JOIN_SELF;
            a->person = next++;
            sum->keyless_accounts++;
        }
    }
    r->n_persons = next;
    return HC_OK;
}

/* ---- phase 4: policy extended --------------------------------------------- */

static hc_status anchor_range(void *ctx, unsigned t, size_t b, size_t e)
{
    run *st = ctx;
    (void)t;
    for (size_t i = b; i < e; i++) {
        const hc__acct *a = &st->r->accts[i];
        if (!acct_eligible(a))
            continue;
        for (size_t j = 0; j < (size_t)a->n_a + a->n_b; j++) {
            hc_atomic_u32 *p = &st->anchor[a->keys[j]];
            uint32_t cur = hc_atomic_load_u32(p, HC_RELAXED);
            /* A plain minimum; read only after the phase's join. */
            while (i < cur && !hc_atomic_cas_weak_u32(p, &cur, (uint32_t)i,
                                                      HC_RELAXED, HC_RELAXED)) {
            }
        }
    }
    return HC_OK;
}

static hc_status union_range(void *ctx, unsigned t, size_t b, size_t e)
{
    run *st = ctx;
    (void)t;
    for (size_t i = b; i < e; i++) {
        const hc__acct *a = &st->r->accts[i];
        if (!acct_eligible(a))
            continue;
        for (size_t j = 0; j < (size_t)a->n_a + a->n_b; j++) {
            uint32_t anc =
                hc_atomic_load_u32(&st->anchor[a->keys[j]], HC_RELAXED);
            if (anc != i)
                hc_uf_union(st->uf, (uint32_t)i, anc);
        }
    }
    return HC_OK;
}

static hc_status root_range(void *ctx, unsigned t, size_t b, size_t e)
{
    run *st = ctx;
    (void)t;
    for (size_t i = b; i < e; i++) {
        hc__acct *a = &st->r->accts[i];
        if (acct_eligible(a))
            a->group = hc_uf_find(st->uf, (uint32_t)i);
    }
    return HC_OK;
}

/* Extended persons: one per root, numbered in root order. Rewrites
 * a->group from root account index to extended person index. */
static uint32_t extended_groups(run *st, uint32_t *root_person)
{
    hc_result *r = st->r;
    uint32_t next = 0;
    for (size_t i = 0; i < r->n_accts; i++) {
        hc__acct *a = &r->accts[i];
        if (!acct_eligible(a))
            continue;
        if (a->group == i)
            root_person[i] = next++;
        a->group = root_person[a->group];
    }
    return next;
}

/* Under policy extended the extended groups are the persons. */
static void extended_persons(run *st)
{
    hc_result *r = st->r;
    /* Founders are the first account of each group in canonical order. */
    uint32_t seen = 0;
    for (size_t i = 0; i < r->n_accts; i++) {
        hc__acct *a = &r->accts[i];
        if (!acct_eligible(a))
            continue;
        a->person = a->group;
        if (a->group == seen) {
            a->rule = HC_JOIN_SELF;
            a->join_key = HC__NOKEY;
            seen++;
            continue;
        }
        a->rule = HC_JOIN_SHARED_EMAIL;
        a->join_key = a->n_a + a->n_b ? a->keys[0] : HC__NOKEY;
        for (size_t j = 0; j < (size_t)a->n_a + a->n_b; j++) {
            uint32_t anc =
                hc_atomic_load_u32(&st->anchor[a->keys[j]], HC_RELAXED);
            if (anc != i) {
                a->join_key = a->keys[j];
                break;
            }
        }
    }
    r->n_persons = seen;
}

/* ---- phase 5: persons, verified domains, summary ------------------------ */

static hc_status vd_range(void *ctx, unsigned t, size_t b, size_t e)
{
    run *st = ctx;
    (void)t;
    for (size_t k = b; k < e; k++) {
        hc_str key = hc_hset_key(st->c->keys, (uint32_t)k);
        st->key_vd[k] =
            hc_domains_match_key(st->c->opt.verified_domains, key.ptr, key.len);
    }
    return HC_OK;
}

static hc_status build_persons(run *st, uint32_t n_groups)
{
    hc_status rc = HC_OK;
    hc_result *r = st->r;
    uint32_t *fill = NULL, *group_count = NULL;
    r->persons = calloc(r->n_persons + 1, sizeof *r->persons);
    r->person_accts = malloc((r->n_accts + 1) * sizeof *r->person_accts);
    fill = calloc(r->n_persons + 1, sizeof *fill);
    group_count = calloc(n_groups + 1, sizeof *group_count);
    HC_FAIL_IF(!r->persons || !r->person_accts || !fill || !group_count,
               HC_ERR_NOMEM);
    for (size_t i = 0; i < r->n_accts; i++) {
        const hc__acct *a = &r->accts[i];
        if (a->person == HC__NONE)
            continue;
        hc__person *p = &r->persons[a->person];
        if (p->n == 0) {
            p->group = a->group;
            group_count[a->group]++;
        }
        p->n++;
        if (st->key_vd)
            for (size_t j = 0; j < (size_t)a->n_a + a->n_b; j++)
                if (st->key_vd[a->keys[j]])
                    p->vd = true;
    }
    uint32_t off = 0;
    for (size_t p = 0; p < r->n_persons; p++) {
        r->persons[p].first = off;
        off += r->persons[p].n;
        r->persons[p].group_size = group_count[r->persons[p].group];
    }
    for (size_t i = 0; i < r->n_accts; i++) {
        const hc__acct *a = &r->accts[i];
        if (a->person == HC__NONE)
            continue;
        hc__person *p = &r->persons[a->person];
        r->person_accts[p->first + fill[a->person]++] = (uint32_t)i;
    }
done:
    free(fill);
    free(group_count);
    return rc;
}

/* The last summary fields, shared by both paths: no verified domains
 * means no count of persons without one; rows rejected by the readers. */
static void summary_finish(const hc_census *c, hc_summary *sum)
{
    if (!sum->verified_domains_given)
        sum->persons_without_verified_domain_email = 0;
    for (size_t i = 0; i < c->n_sources; i++)
        sum->rejected_rows +=
            hc_atomic_load_u64(&c->sources[i].rejected, HC_RELAXED);
}

static hc_status summarize(run *st, uint64_t github_seats, uint32_t n_groups)
{
    hc_census *c = st->c;
    hc_result *r = st->r;
    hc_summary *sum = &r->sum;
    sum->policy = st->policy;
    sum->github_seats = github_seats;
    sum->extended_seats = n_groups;
    sum->potential_savings = github_seats - n_groups;
    sum->total_seats_consumed = r->n_persons;
    sum->verified_domains_given = c->opt.verified_domains != NULL;
    r->src_accounts = calloc(c->n_sources + 1, sizeof *r->src_accounts);
    r->src_eligible = calloc(c->n_sources + 1, sizeof *r->src_eligible);
    if (!r->src_accounts || !r->src_eligible)
        return HC_ERR_NOMEM;
    for (size_t i = 0; i < r->n_accts; i++) {
        const hc__acct *a = &r->accts[i];
        const hc__segment *s = c->segs[a->seg];
        uint32_t src = a->kind == HC_ACCOUNT_GHES
                           ? hc__ghes_at(s, a->rec)->source
                           : hc__ghec_at(s, a->rec)->source;
        switch ((hc_exclusion)a->exclusion) {
        case HC_EXCLUDE_DUPLICATE: sum->duplicate_rows++; continue;
        case HC_EXCLUDE_SUSPENDED: sum->suspended_accounts++; break;
        case HC_EXCLUDE_SYSTEM: sum->system_accounts++; break;
        case HC_EXCLUDE_UNLICENSED: sum->ghec_unlicensed_accounts++; break;
        case HC_EXCLUDE_NONE: break;
        }
        if (a->kind == HC_ACCOUNT_GHES)
            sum->ghes_accounts_total++;
        r->src_accounts[src]++;
        if (acct_eligible(a))
            r->src_eligible[src]++;
    }
    for (size_t p = 0; p < r->n_persons; p++) {
        const hc__person *pp = &r->persons[p];
        if (!pp->vd)
            sum->persons_without_verified_domain_email++;
        if (r->accts[r->person_accts[pp->first]].kind == HC_ACCOUNT_GHES)
            sum->ghes_only_persons++;
    }
    summary_finish(c, sum);
    return HC_OK;
}

/* ---- summary-only path ---------------------------------------------------
 *
 * The same rules as phases 2-5, computed per key instead of per account, so
 * that no ordering of the GHES accounts is needed:
 *   - repeated (host, id) rows: per source, a bitmap indexed by id finds
 *     the ids that more than one row has (when ids are sparse, a hash set
 *     of all ids does); a hash set of those ids keeps their minimum row
 *     rank, and the first such row to claim its "taken" bit represents
 *     the account. Ranks are computed for the rows of repeated ids only,
 *     from the identities of their keys, which one scan of the key set's
 *     slots finds. Real exports repeat few ids, so this costs two bits per
 *     id instead of a rank per row;
 *   - policy github: a key's owner is the first GHEC account (canonical
 *     order) holding it as an identity value, else as a verified email; an
 *     unmatched primary key marks its key "grouped", and the groups are the
 *     keys so marked;
 *   - policy extended: a union-find over keys joins the keys of each
 *     account; persons are the key components plus the accounts without
 *     any key.
 * tests/test_census.c checks that this path and the full one agree on
 * every summary field.
 */

enum {
    KF_GROUP = 1u << 0,     /* primary key of an unmatched GHES account */
    KF_GROUP_VD = 1u << 1,  /* ... one of whose accounts has a vd email */
    KF_USED = 1u << 2,      /* held by an eligible account */
    KF_ROOT_GHEC = 1u << 3, /* (on roots) the component has a GHEC account */
    KF_ROOT_VD = 1u << 4,   /* (on roots) the component has a vd email */
};

typedef struct src_ids {
    uint64_t min, max, n;
    hc_atomic_u64 *seen;   /* dense ids: one bit per id - min */
    hc_atomic_u64 *twice;  /* set when a second row has the id: bit id - min
                             (dense), bit index in ranks (sparse) */
    hc_atomic_u64 n_twice; /* repeated ids, counted by seen_pass */
    uint64_t repeats;      /* n_twice once seen_pass is done */
    hc_hset *ranks;        /* repeated ids (sparse: all ids) -> index, owner =
                             minimum rank of their rows */
    hc_atomic_u64 *taken;  /* bitmap over the indices of ranks */
} src_ids;

/* The key-set identities of the keys of repeated rows, from which their
 * ranks are computed: `ident` lists them in key id order, and a key's
 * position there is `before` of its word of `want` plus the set bits below
 * it in that word. */
typedef struct key_idents {
    hc_atomic_u64 *want; /* bit per key id: a key of a repeated row */
    uint32_t *before;    /* per word of want: set bits in the words before */
    hc_fp *ident;
} key_idents;

/* Counters of one thread, which it bumps for nearly every row: each
 * thread's own cache lines, or the threads would take a line from each
 * other on every row (false sharing). */
#define CACHE_LINE 64

typedef struct fast_counts {
    _Alignas(CACHE_LINE) uint64_t ghes_total, eligible, matched, keyless,
        keyless_novd;
    uint64_t standalone_ghes, suspended, system, duplicates;
    uint64_t *src_accounts, *src_eligible;
} fast_counts;

typedef struct fast {
    run *st;
    size_t n_recs;
    size_t *seg_base; /* first global record index of each segment */
    src_ids *ids;
    uint32_t *key_owner; /* GHEC account index or HC__NONE; NULL when no
                            licensed GHEC account holds a key */
    hc_atomic_u8 *kf;
    size_t key_owner_len, kf_len; /* mapped lengths (hc__map_zeroed) */
    uint8_t *key_vd;              /* NULL without verified domains */
    hc_atomic_u8 *ghec_vd;
    hc_uf *kuf;
    key_idents ki;
    fast_counts *per_thread;
    unsigned threads;
} fast;

/* Global record index -> (segment, record). */
static void fast_locate(const fast *f, size_t g, size_t *seg, uint32_t *rec)
{
    size_t lo = 0, hi = f->st->c->n_segs;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (f->seg_base[mid] <= g)
            lo = mid;
        else
            hi = mid;
    }
    *seg = lo;
    *rec = (uint32_t)(g - f->seg_base[lo]);
}

/* A pass over the GHES records of one segment from w's row to r1. */
typedef hc_status (*span_fn)(fast *f, unsigned t, hc__ghes_walk *w,
                             uint32_t r1);

/* Splits the global record range [b, e) into its per-segment spans, so
 * that passes walk plain arrays and can look ahead within them. */
static hc_status for_spans(fast *f, unsigned t, size_t b, size_t e, span_fn fn)
{
    size_t seg;
    uint32_t rec;
    fast_locate(f, b, &seg, &rec);
    while (b < e) {
        const hc__segment *s = f->st->c->segs[seg];
        size_t n = s ? s->ghes.len / sizeof(hc__ghes_rec) : 0;
        if (rec >= n) {
            seg++;
            rec = 0;
            continue;
        }
        size_t take = HC_MIN(n - rec, e - b);
        hc__ghes_walk w;
        hc__ghes_seek(&w, s, rec);
        hc_status rc = fn(f, t, &w, (uint32_t)(rec + take));
        if (rc != HC_OK)
            return rc;
        b += take;
        rec += (uint32_t)take;
    }
    return HC_OK;
}

static hc_status range_span(fast *f, unsigned t, hc__ghes_walk *w, uint32_t r1)
{
    uint64_t *mm = (uint64_t *)f->per_thread[t].src_accounts; /* scratch */
    size_t ns = f->st->c->n_sources;
    for (; w->row < r1; hc__ghes_step(w)) {
        const hc__ghes_rec *g = w->g;
        uint64_t *lo = &mm[2 * g->source], *hi = &mm[2 * g->source + 1];
        uint64_t id = hc__walk_id(w);
        if (id < *lo)
            *lo = id;
        if (id > *hi)
            *hi = id;
        mm[2 * ns + g->source]++;
    }
    return HC_OK;
}

static hc_status range_pass(void *ctx, unsigned t, size_t b, size_t e)
{
    return for_spans(ctx, t, b, e, range_span);
}

static bool bit_test(const hc_atomic_u64 *map, uint64_t bit)
{
    return (hc_atomic_load_u64(&map[bit / 64], HC_RELAXED) >> (bit % 64)) & 1;
}

/* Sets a bit; returns whether it was set already. */
static bool bit_set(hc_atomic_u64 *map, uint64_t bit)
{
    uint64_t m = (uint64_t)1 << (bit % 64);
    return (hc_atomic_fetch_or_u64(&map[bit / 64], m, HC_RELAXED) & m) != 0;
}

/* Whether a row's id is repeated in its source, with the id's index in
 * the source's rank set when it is. */
static hc_status repeated(const src_ids *si, uint64_t id, bool *rep,
                          uint32_t *idx)
{
    *rep = false;
    if (si->seen && !bit_test(si->twice, id - si->min))
        return HC_OK;
    if (hc_hset_find(si->ranks, &id, sizeof id, idx) != HC_OK)
        return HC_ERR_INTERNAL; /* every repeated (sparse: every) id is in */
    *rep = si->seen || bit_test(si->twice, *idx);
    return HC_OK;
}

/* repeated() for the row w is on, none when its source repeats no id.
 * With `join`, a dense source's repeated id joins the rank set first. */
static hc_status repeated_row(fast *f, const hc__ghes_walk *w, bool join,
                              bool *rep, uint32_t *idx)
{
    src_ids *si = &f->ids[w->g->source];
    *rep = false;
    if (!si->repeats)
        return HC_OK;
    uint64_t id = hc__walk_id(w);
    if (join && si->seen) {
        if (!bit_test(si->twice, id - si->min))
            return HC_OK;
        *rep = true;
        return hc_hset_upsert(si->ranks, &id, sizeof id, HC_OWNER_NONE, idx,
                              NULL);
    }
    return repeated(si, id, rep, idx);
}

static uint32_t ident_pos(const key_idents *ki, uint32_t k)
{
    uint64_t below = hc_atomic_load_u64(&ki->want[k / 64], HC_RELAXED) &
                     (((uint64_t)1 << (k % 64)) - 1);
    return ki->before[k / 64] + (uint32_t)__builtin_popcountll(below);
}

/* A row's rank, as hc_census_add_ghes would have computed it (see
 * hc__rank_finish), from the identities of its keys. */
static uint64_t row_rank(const fast *f, const hc__ghes_walk *w)
{
    const hc__ghes_rec *g = w->g;
    const uint32_t *keys = hc__walk_keys(w);
    unsigned n = hc__ghes_nkeys(g);
    uint64_t h = HC__RANK_SEED;
    for (unsigned j = 0; j < n; j++) {
        hc_fp id = {0, 0};
        if (keys[j] != HC__NOKEY)
            id = f->ki.ident[ident_pos(&f->ki, keys[j])];
        h = hc__rank_mix(h, id);
    }
    return hc__rank_finish(h, hc__ghes_flags(g), n);
}

static hc_status seen_span(fast *f, unsigned t, hc__ghes_walk *w, uint32_t r1)
{
    (void)t;
    for (; w->row < r1; hc__ghes_step(w)) {
        const hc__ghes_rec *g = w->g;
        src_ids *si = &f->ids[g->source];
        uint64_t id = hc__walk_id(w);
        bool again;
        if (si->seen) {
            again = bit_set(si->seen, id - si->min) &&
                    !bit_set(si->twice, id - si->min);
        } else {
            uint32_t idx;
            bool inserted;
            hc_status rc = hc_hset_upsert(si->ranks, &id, sizeof id,
                                          HC_OWNER_NONE, &idx, &inserted);
            if (rc != HC_OK)
                return rc;
            again = !inserted && !bit_set(si->twice, idx);
        }
        if (again) /* the first repeat of this id */
            hc_atomic_fetch_add_u64(&si->n_twice, 1, HC_RELAXED);
    }
    return HC_OK;
}

static hc_status seen_pass(void *ctx, unsigned t, size_t b, size_t e)
{
    return for_spans(ctx, t, b, e, seen_span);
}

/* Marks the keys of the rows of repeated ids, whose identities the ranks
 * need; puts the repeated ids of dense sources in their rank sets. */
static hc_status want_span(fast *f, unsigned t, hc__ghes_walk *w, uint32_t r1)
{
    (void)t;
    for (; w->row < r1; hc__ghes_step(w)) {
        bool rep;
        uint32_t idx;
        hc_status rc = repeated_row(f, w, true, &rep, &idx);
        if (rc != HC_OK)
            return rc;
        if (!rep)
            continue;
        const uint32_t *keys = hc__walk_keys(w);
        for (unsigned j = 0; j < hc__ghes_nkeys(w->g); j++)
            if (keys[j] != HC__NOKEY)
                bit_set(f->ki.want, keys[j]);
    }
    return HC_OK;
}

static hc_status want_pass(void *ctx, unsigned t, size_t b, size_t e)
{
    return for_spans(ctx, t, b, e, want_span);
}

/* Copies the identities of wanted keys out of the key set's slots. */
static hc_status ident_pass(void *ctx, unsigned t, size_t b, size_t e)
{
    fast *f = ctx;
    (void)t;
    const hc_hset *keys = f->st->c->keys;
    for (size_t i = b; i < e; i++) {
        uint32_t id;
        hc_fp ident;
        if (hc_hset_slot(keys, i, &id, &ident) && bit_test(f->ki.want, id))
            f->ki.ident[ident_pos(&f->ki, id)] = ident;
    }
    return HC_OK;
}

/* Lowers each repeated id's minimum rank to that of each of its rows. */
static hc_status twice_span(fast *f, unsigned t, hc__ghes_walk *w, uint32_t r1)
{
    (void)t;
    for (; w->row < r1; hc__ghes_step(w)) {
        bool rep;
        uint32_t idx;
        hc_status rc = repeated_row(f, w, false, &rep, &idx);
        if (rc != HC_OK)
            return rc;
        if (rep)
            hc_hset_claim(f->ids[w->g->source].ranks, idx, row_rank(f, w));
    }
    return HC_OK;
}

static hc_status twice_pass(void *ctx, unsigned t, size_t b, size_t e)
{
    return for_spans(ctx, t, b, e, twice_span);
}

static bool any_vd(const fast *f, const uint32_t *keys, size_t n)
{
    if (!f->key_vd)
        return false;
    for (size_t j = 0; j < n; j++)
        if (keys[j] != HC__NOKEY && f->key_vd[keys[j]])
            return true;
    return false;
}

/* Sets flag bits that only ever get set: a relaxed load first spares the
 * locked read-modify-write when they are set already, as they are for
 * every sighting of a key but its first. */
static void flag_set(hc_atomic_u8 *f, uint8_t bits)
{
    if ((hc_atomic_load_u8(f, HC_RELAXED) & bits) != bits)
        hc_atomic_fetch_or_u8(f, bits, HC_RELAXED);
}

/* Joins an account's keys in the key union-find and marks them used.
 * Returns the number of valid keys. */
static size_t join_keys(fast *f, const uint32_t *keys, size_t n)
{
    uint32_t first = HC__NOKEY;
    size_t valid = 0;
    for (size_t j = 0; j < n; j++) {
        uint32_t k = keys[j];
        if (k == HC__NOKEY)
            continue;
        valid++;
        flag_set(&f->kf[k], KF_USED);
        if (first == HC__NOKEY)
            first = k;
        else if (k != first)
            hc_uf_union(f->kuf, first, k);
    }
    return valid;
}

/* Records ahead of the one classified whose keys are prefetched: the key
 * flags, owners and union-find parents are random accesses into arrays
 * far larger than the caches, and looking ahead overlaps their misses. */
#define CLASSIFY_AHEAD 8u

static void classify_prefetch(const fast *f, const hc__ghes_walk *w)
{
    const hc__ghes_rec *g = w->g;
    const uint32_t *keys = hc__walk_keys(w);
    for (size_t j = 0; j < hc__ghes_nkeys(g); j++) {
        uint32_t k = keys[j];
        if (k == HC__NOKEY)
            continue;
        hc__prefetch_write(&f->kf[k]);
        hc_uf_prefetch(f->kuf, k);
        if (j == 0 && f->key_owner)
            __builtin_prefetch(&f->key_owner[k], 0, 3);
    }
}

static hc_status classify_span(fast *f, unsigned t, hc__ghes_walk *w,
                               uint32_t r1)
{
    fast_counts *fc = &f->per_thread[t];
    /* A second walk runs CLASSIFY_AHEAD rows in front, prefetching. */
    hc__ghes_walk ahead = *w;
    for (; ahead.row < HC_MIN(r1, w->row + CLASSIFY_AHEAD);
         hc__ghes_step(&ahead))
        classify_prefetch(f, &ahead);
    for (; w->row < r1; hc__ghes_step(w)) {
        const hc__ghes_rec *g = w->g;
        if (ahead.row < r1) {
            classify_prefetch(f, &ahead);
            hc__ghes_step(&ahead);
        }
        src_ids *si = &f->ids[g->source];
        bool rep;
        uint32_t id;
        hc_status rc = repeated_row(f, w, false, &rep, &id);
        if (rc != HC_OK)
            return rc;
        if (rep) {
            /* Equal ranks mean equal content: any one of them may
             * represent the account, so the first to set the bit does. */
            if (row_rank(f, w) != hc_hset_owner(si->ranks, id) ||
                bit_set(si->taken, id)) {
                fc->duplicates++;
                continue;
            }
        }
        fc->ghes_total++;
        fc->src_accounts[g->source]++;
        unsigned flags = hc__ghes_flags(g);
        if (flags & HC__F_SYSTEM) {
            fc->system++;
            continue;
        }
        if (flags & HC__F_SUSPENDED) {
            fc->suspended++;
            continue;
        }
        fc->eligible++;
        fc->src_eligible[g->source]++;
        const uint32_t *keys = hc__walk_keys(w);
        size_t nk = hc__ghes_nkeys(g);
        bool vd = any_vd(f, keys, nk);
        if (join_keys(f, keys, nk) == 0)
            fc->standalone_ghes++;
        uint32_t primary = nk ? keys[0] : HC__NOKEY;
        if (primary == HC__NOKEY) {
            fc->keyless++;
            fc->keyless_novd += !vd;
            continue;
        }
        uint32_t owner = f->key_owner ? f->key_owner[primary] : HC__NONE;
        if (owner != HC__NONE) {
            fc->matched++;
            if (vd)
                hc_atomic_fetch_or_u8(&f->ghec_vd[owner], 1, HC_RELAXED);
        } else {
            flag_set(&f->kf[primary],
                     (uint8_t)(KF_GROUP | (vd ? KF_GROUP_VD : 0)));
        }
    }
    return HC_OK;
}

static hc_status classify_pass(void *ctx, unsigned t, size_t b, size_t e)
{
    return for_spans(ctx, t, b, e, classify_span);
}

typedef struct key_counts {
    uint64_t groups, groups_novd, comps, comps_noghec, comps_novd;
} key_counts;

static hc_status root_mark_pass(void *ctx, unsigned t, size_t b, size_t e)
{
    fast *f = ctx;
    (void)t;
    for (size_t k = b; k < e; k++) {
        if (!(hc_atomic_load_u8(&f->kf[k], HC_RELAXED) & KF_USED))
            continue;
        if (f->key_vd && f->key_vd[k]) {
            uint32_t r = hc_uf_find(f->kuf, (uint32_t)k);
            hc_atomic_fetch_or_u8(&f->kf[r], KF_ROOT_VD, HC_RELAXED);
        }
    }
    return HC_OK;
}

static hc_status key_count_pass(void *ctx, unsigned t, size_t b, size_t e)
{
    fast *f = ctx;
    key_counts *kc = (key_counts *)(void *)f->per_thread[t].src_accounts;
    for (size_t k = b; k < e; k++) {
        uint8_t fl = hc_atomic_load_u8(&f->kf[k], HC_RELAXED);
        if (fl & KF_GROUP) {
            kc->groups++;
            kc->groups_novd += !(fl & KF_GROUP_VD);
        }
        if ((fl & KF_USED) && hc_uf_find(f->kuf, (uint32_t)k) == k) {
            kc->comps++;
            kc->comps_noghec += !(fl & KF_ROOT_GHEC);
            kc->comps_novd += !(fl & KF_ROOT_VD);
        }
    }
    return HC_OK;
}

/* Zeroed memory on cache lines of its own (free() releases it). */
static void *zalloc_lines(size_t bytes)
{
    bytes = (bytes + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    void *p = aligned_alloc(CACHE_LINE, bytes ? bytes : CACHE_LINE);
    if (p)
        memset(p, 0, bytes);
    return p;
}

static void fast_free(fast *f)
{
    hc_census *c = f->st->c;
    if (f->ids)
        for (size_t i = 0; i < c->n_sources; i++) {
            free(f->ids[i].seen);
            free(f->ids[i].twice);
            free(f->ids[i].taken);
            hc_hset_destroy(f->ids[i].ranks);
        }
    free(f->ids);
    free(f->ki.want);
    free(f->ki.before);
    free(f->ki.ident);
    free(f->seg_base);
    hc__unmap(f->key_owner, f->key_owner_len);
    hc__unmap(f->kf, f->kf_len);
    free(f->ghec_vd);
    hc_uf_destroy(f->kuf);
    if (f->per_thread)
        for (unsigned t = 0; t < f->threads; t++) {
            free(f->per_thread[t].src_accounts);
            free(f->per_thread[t].src_eligible);
        }
    free(f->per_thread);
}

static hc_status summary_fast(run *st)
{
    hc_status rc = HC_OK;
    hc_census *c = st->c;
    hc_result *r = st->r;
    hc_summary *sum = &r->sum;
    size_t ns = c->n_sources, nk = st->n_keys;
    fast f = {0};
    f.st = st;
    f.threads = c->threads;
    f.key_vd = st->key_vd;

    f.seg_base = calloc(c->n_segs + 1, sizeof *f.seg_base);
    f.ids = calloc(ns + 1, sizeof *f.ids);
    f.per_thread = zalloc_lines(f.threads * sizeof *f.per_thread);
    f.kf_len = (nk + 1) * sizeof *f.kf;
    f.kf = hc__map_zeroed(&f.kf_len, true);
    f.ghec_vd = calloc(r->n_ghec + 1, sizeof *f.ghec_vd);
    HC_FAIL_IF(!f.seg_base || !f.ids || !f.per_thread || !f.kf || !f.ghec_vd,
               HC_ERR_NOMEM);
    for (unsigned t = 0; t < f.threads; t++) {
        /* Sized for the scratch uses of range_pass and key_count_pass. */
        size_t words = HC_MAX(3 * ns + 1, sizeof(key_counts) / 8 + 1);
        f.per_thread[t].src_accounts = zalloc_lines(words * sizeof(uint64_t));
        f.per_thread[t].src_eligible =
            zalloc_lines((ns + 1) * sizeof(uint64_t));
        HC_FAIL_IF(!f.per_thread[t].src_accounts ||
                       !f.per_thread[t].src_eligible,
                   HC_ERR_NOMEM);
    }
    for (size_t i = 0; i < c->n_segs; i++) {
        f.seg_base[i] = f.n_recs;
        if (c->segs[i])
            f.n_recs += c->segs[i]->ghes.len / sizeof(hc__ghes_rec);
    }
    HC_TRY(hc_uf_create(nk, &f.kuf));

    /* Key owners, as the claims of phase 2 would leave them. Without a
     * licensed GHEC account holding a key there is no table: every GHES
     * account is unmatched, and classifying spares a random read a row. */
    bool claims = false;
    for (size_t i = 0; i < r->n_ghec && !claims; i++)
        claims =
            acct_eligible(&r->accts[i]) && r->accts[i].n_a + r->accts[i].n_b;
    if (claims) {
        f.key_owner_len = (nk + 1) * sizeof *f.key_owner;
        f.key_owner = hc__map_zeroed(&f.key_owner_len, true);
        HC_FAIL_IF(!f.key_owner, HC_ERR_NOMEM);
        memset(f.key_owner, 0xff, (nk + 1) * sizeof *f.key_owner);
    }
    for (int pass = 0; pass < 2 && claims; pass++)
        for (size_t i = 0; i < r->n_ghec; i++) {
            const hc__acct *a = &r->accts[i];
            if (!acct_eligible(a))
                continue;
            size_t from = pass ? a->n_a : 0;
            size_t to = pass ? (size_t)a->n_a + a->n_b : a->n_a;
            for (size_t j = from; j < to; j++)
                if (f.key_owner[a->keys[j]] == HC__NONE)
                    f.key_owner[a->keys[j]] = (uint32_t)i;
        }

    /* Id ranges per source, then dense or sparse rank tables. */
    for (unsigned t = 0; t < f.threads; t++)
        for (size_t i = 0; i < ns; i++)
            f.per_thread[t].src_accounts[2 * i] = UINT64_MAX;
    HC_TRY(hc__par_for(f.threads, f.n_recs, range_pass, &f));
    for (size_t i = 0; i < ns; i++) {
        src_ids *si = &f.ids[i];
        si->min = UINT64_MAX;
        for (unsigned t = 0; t < f.threads; t++) {
            uint64_t *mm = f.per_thread[t].src_accounts;
            si->min = HC_MIN(si->min, mm[2 * i]);
            si->max = HC_MAX(si->max, mm[2 * i + 1]);
            si->n += mm[2 * ns + i];
        }
        if (si->n == 0)
            continue;
        /* Dense while the two bitmaps cost at most 16 bits per row. */
        uint64_t span = si->max - si->min;
        if (span / 8 < si->n || span < ((uint64_t)1 << 20)) {
            size_t words = (size_t)(span / 64) + 1;
            si->seen = calloc(words, sizeof *si->seen);
            si->twice = calloc(words, sizeof *si->twice);
            HC_FAIL_IF(!si->seen || !si->twice, HC_ERR_NOMEM);
        } else {
            HC_TRY(hc_hset_create((size_t)si->n, &si->ranks));
            si->twice =
                calloc(hc_hset_capacity(si->ranks) / 64 + 1, sizeof *si->twice);
            HC_FAIL_IF(!si->twice, HC_ERR_NOMEM);
        }
    }
    for (unsigned t = 0; t < f.threads; t++)
        memset(f.per_thread[t].src_accounts, 0,
               HC_MAX(3 * ns + 1, sizeof(key_counts) / 8 + 1) *
                   sizeof(uint64_t));
    HC_TRY(hc__par_for(f.threads, f.n_recs, seen_pass, &f));
    bool any_twice = false;
    for (size_t i = 0; i < ns; i++) {
        src_ids *si = &f.ids[i];
        si->repeats = hc_atomic_load_u64(&si->n_twice, HC_RELAXED);
        if (si->seen && si->repeats)
            HC_TRY(hc_hset_create((size_t)si->repeats, &si->ranks));
        any_twice |= si->repeats != 0;
    }
    if (any_twice) {
        /* Ranks of the rows of repeated ids: mark their keys, number the
         * marked keys, copy their identities out of the key set's slots,
         * then keep each id's minimum rank. */
        size_t words = nk / 64 + 1;
        f.ki.want = calloc(words, sizeof *f.ki.want);
        f.ki.before = malloc(words * sizeof *f.ki.before);
        HC_FAIL_IF(!f.ki.want || !f.ki.before, HC_ERR_NOMEM);
        HC_TRY(hc__par_for(f.threads, f.n_recs, want_pass, &f));
        uint32_t wanted = 0;
        for (size_t w = 0; w < words; w++) {
            f.ki.before[w] = wanted;
            wanted += (uint32_t)__builtin_popcountll(
                hc_atomic_load_u64(&f.ki.want[w], HC_RELAXED));
        }
        f.ki.ident = malloc((wanted ? wanted : 1) * sizeof *f.ki.ident);
        HC_FAIL_IF(!f.ki.ident, HC_ERR_NOMEM);
        HC_TRY(hc__par_for(f.threads, hc_hset_slots(c->keys), ident_pass, &f));
        HC_TRY(hc__par_for(f.threads, f.n_recs, twice_pass, &f));
    }
    for (size_t i = 0; i < ns; i++) {
        src_ids *si = &f.ids[i];
        if (si->ranks) {
            si->taken =
                calloc(hc_hset_size(si->ranks) / 64 + 1, sizeof *si->taken);
            HC_FAIL_IF(!si->taken, HC_ERR_NOMEM);
        }
    }
    HC_TRY(hc__par_for(f.threads, f.n_recs, classify_pass, &f));

    /* GHEC accounts: persons of their own under both policies. */
    uint64_t ghec = 0, ghec_novd = 0, standalone_ghec = 0;
    r->src_accounts = calloc(ns + 1, sizeof *r->src_accounts);
    r->src_eligible = calloc(ns + 1, sizeof *r->src_eligible);
    HC_FAIL_IF(!r->src_accounts || !r->src_eligible, HC_ERR_NOMEM);
    for (size_t i = 0; i < r->n_ghec; i++) {
        if (i + ROW_AHEAD < r->n_ghec) {
            const hc__acct *ahead = &r->accts[i + ROW_AHEAD];
            __builtin_prefetch(hc__ghec_at(c->segs[ahead->seg], ahead->rec));
        }
        const hc__acct *a = &r->accts[i];
        uint32_t src = hc__ghec_at(c->segs[a->seg], a->rec)->source;
        if (a->exclusion == HC_EXCLUDE_DUPLICATE) {
            sum->duplicate_rows++;
            continue;
        }
        r->src_accounts[src]++;
        if (!acct_eligible(a)) {
            sum->ghec_unlicensed_accounts +=
                a->exclusion == HC_EXCLUDE_UNLICENSED;
            continue;
        }
        r->src_eligible[src]++;
        ghec++;
        size_t n = (size_t)a->n_a + a->n_b;
        bool vd = any_vd(&f, a->keys, n) ||
                  hc_atomic_load_u8(&f.ghec_vd[i], HC_RELAXED);
        ghec_novd += !vd;
        if (join_keys(&f, a->keys, n) == 0)
            standalone_ghec++;
    }
    for (size_t i = 0; i < r->n_ghec; i++) {
        const hc__acct *a = &r->accts[i];
        if (acct_eligible(a) && a->n_a + a->n_b) {
            uint32_t root = hc_uf_find(f.kuf, a->keys[0]);
            hc_atomic_fetch_or_u8(&f.kf[root], KF_ROOT_GHEC, HC_RELAXED);
        }
    }
    HC_TRY(hc__par_for(f.threads, nk, root_mark_pass, &f));
    for (unsigned t = 0; t < f.threads; t++)
        memset(f.per_thread[t].src_accounts, 0, sizeof(key_counts));
    HC_TRY(hc__par_for(f.threads, nk, key_count_pass, &f));

    fast_counts tot = {0};
    key_counts kc = {0};
    for (unsigned t = 0; t < f.threads; t++) {
        fast_counts *p = &f.per_thread[t];
        key_counts *k = (key_counts *)(void *)p->src_accounts;
        tot.ghes_total += p->ghes_total;
        tot.eligible += p->eligible;
        tot.matched += p->matched;
        tot.keyless += p->keyless;
        tot.keyless_novd += p->keyless_novd;
        tot.standalone_ghes += p->standalone_ghes;
        tot.suspended += p->suspended;
        tot.system += p->system;
        tot.duplicates += p->duplicates;
        kc.groups += k->groups;
        kc.groups_novd += k->groups_novd;
        kc.comps += k->comps;
        kc.comps_noghec += k->comps_noghec;
        kc.comps_novd += k->comps_novd;
        for (size_t i = 0; i < ns; i++)
            r->src_eligible[i] += p->src_eligible[i];
    }
    /* src_accounts per thread was reused as scratch: recount from
     * eligible + excluded would need another array, so count again. */
    for (size_t i = 0; i < ns; i++)
        if (c->sources[i].kind == HC_SOURCE_GHES)
            r->src_accounts[i] = 0;
    for (size_t i = 0; i < ns; i++) {
        /* One account per distinct id. */
        src_ids *si = &f.ids[i];
        if (!si->seen) {
            r->src_accounts[i] += si->ranks ? hc_hset_size(si->ranks) : 0;
            continue;
        }
        for (size_t w = 0; w <= (si->max - si->min) / 64; w++)
            r->src_accounts[i] += (uint64_t)__builtin_popcountll(
                hc_atomic_load_u64(&si->seen[w], HC_RELAXED));
    }

    sum->policy = st->policy;
    sum->ghec_accounts = ghec;
    sum->ghes_accounts = tot.eligible;
    sum->ghes_accounts_total = tot.ghes_total;
    sum->ghes_accounts_matched = tot.matched;
    sum->keyless_accounts = tot.keyless;
    sum->suspended_accounts = tot.suspended;
    sum->system_accounts = tot.system;
    sum->duplicate_rows += tot.duplicates;
    sum->github_seats = ghec + kc.groups + tot.keyless;
    sum->extended_seats = kc.comps + tot.standalone_ghes + standalone_ghec;
    sum->potential_savings = sum->github_seats - sum->extended_seats;
    sum->verified_domains_given = c->opt.verified_domains != NULL;
    if (st->policy == HC_POLICY_GITHUB) {
        sum->total_seats_consumed = sum->github_seats;
        sum->ghes_only_persons = kc.groups + tot.keyless;
        sum->persons_without_verified_domain_email =
            ghec_novd + kc.groups_novd + tot.keyless_novd;
    } else {
        sum->total_seats_consumed = sum->extended_seats;
        sum->ghes_only_persons = kc.comps_noghec + tot.standalone_ghes;
        sum->persons_without_verified_domain_email =
            kc.comps_novd + tot.standalone_ghes + standalone_ghec;
    }
    summary_finish(c, sum);
done:
    fast_free(&f);
    return rc;
}

hc_status hc_census_run(hc_census *c, hc_policy policy, hc_result **out)
{
    return hc_census_run_ex(c, policy, HC_RUN_PERSONS, out);
}

hc_status hc_census_run_ex(hc_census *c, hc_policy policy, unsigned flags,
                           hc_result **out)
{
    hc_status rc = HC_OK;
    run st = {0};
    uint32_t *root_person = NULL;
    if (!c || !out || (flags & ~(unsigned)HC_RUN_PERSONS) ||
        (policy != HC_POLICY_GITHUB && policy != HC_POLICY_EXTENDED) ||
        ((flags & HC_RUN_PERSONS) && c->opt.summary_only))
        return HC_ERR_ARG;
    pthread_mutex_lock(&c->mu);
    size_t open = c->open_writers;
    hc_status failed = c->failed;
    if (!open && failed == HC_OK)
        c->sealed = true;
    pthread_mutex_unlock(&c->mu);
    if (failed != HC_OK)
        return failed;
    if (open)
        return HC_ERR_ARG;

    st.c = c;
    st.policy = policy;
    st.r = calloc(1, sizeof *st.r);
    HC_FAIL_IF(!st.r, HC_ERR_NOMEM);
    st.r->census = c;
    st.r->has_persons = (flags & HC_RUN_PERSONS) != 0;
    st.n_keys = hc_hset_size(c->keys);
    unsigned T = c->threads;
    if (c->opt.verified_domains) {
        st.key_vd = calloc(st.n_keys + 1, 1);
        HC_FAIL_IF(!st.key_vd, HC_ERR_NOMEM);
        HC_TRY(hc__par_for(T, st.n_keys, vd_range, &st));
    }
    HC_TRY(build_accounts(&st, (flags & HC_RUN_PERSONS) != 0));
    hc_result *r = st.r;
    if (!(flags & HC_RUN_PERSONS)) {
        HC_TRY(summary_fast(&st));
        /* Only the summary is served: no accounts, no persons. */
        r->n_accts = 0;
        r->n_persons = 0;
        *out = st.r;
        st.r = NULL;
        goto done;
    }

    /* Owners persist in the key set across runs; claims are idempotent
     * (a minimum over the same offers: no account can be added after the
     * first run), so a second run sees the same. */
    HC_TRY(hc__par_for(T, r->n_ghec, claim_range, &st));
    HC_TRY(hc__par_for(T, r->n_accts - r->n_ghec, match_range, &st));

    st.keyperson = malloc((st.n_keys + 1) * sizeof *st.keyperson);
    st.anchor = malloc((st.n_keys + 1) * sizeof *st.anchor);
    root_person = malloc((r->n_accts + 1) * sizeof *root_person);
    HC_FAIL_IF(!st.keyperson || !st.anchor || !root_person, HC_ERR_NOMEM);
    memset(st.keyperson, 0xff, (st.n_keys + 1) * sizeof *st.keyperson);
    for (size_t k = 0; k <= st.n_keys; k++)
        hc_atomic_store_u32(&st.anchor[k], HC__NONE, HC_RELAXED);

    HC_TRY(github_persons(&st));
    uint64_t github_seats = r->n_persons;

    HC_TRY(hc_uf_create(r->n_accts, &st.uf));
    HC_TRY(hc__par_for(T, r->n_accts, anchor_range, &st));
    HC_TRY(hc__par_for(T, r->n_accts, union_range, &st));
    HC_TRY(hc__par_for(T, r->n_accts, root_range, &st));
    uint32_t n_groups = extended_groups(&st, root_person);
    if (policy == HC_POLICY_EXTENDED)
        extended_persons(&st);

    HC_TRY(build_persons(&st, n_groups));
    HC_TRY(summarize(&st, github_seats, n_groups));
    *out = st.r;
    st.r = NULL;
done:
    hc_result_destroy(st.r);
    free(st.srank);
    free(st.anchor);
    free(st.keyperson);
    free(st.key_vd);
    free(root_person);
    hc_uf_destroy(st.uf);
    return rc;
}

void hc_result_destroy(hc_result *r)
{
    if (!r)
        return;
    free(r->accts);
    free(r->merged_keys);
    free(r->persons);
    free(r->person_accts);
    free(r->src_accounts);
    free(r->src_eligible);
    free(r->src_order);
    free(r);
}
