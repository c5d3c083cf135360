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
    uint32_t srank; /* source's rank among source names */
    uint32_t rec;
    uint16_t seg;
} ghes_sort;

typedef struct ghec_sort {
    hc_str login;
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
    if (a->seg != b->seg)
        return a->seg < b->seg ? -1 : 1;
    return (a->rec > b->rec) - (a->rec < b->rec);
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

/* Sorts and dedups n key ids in place; returns the new count. */
static size_t sort_unique(uint32_t *k, size_t n)
{
    if (n < 2)
        return n;
    qsort(k, n, sizeof *k, cmp_u32);
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (k[i] != k[m - 1])
            k[m++] = k[i];
    return m;
}

/* ---- run state ----------------------------------------------------------- */

typedef struct run {
    hc_census *c;
    hc_result *r;
    hc_policy policy;
    uint32_t *srank;        /* source id -> rank */
    hc_atomic_u32 *anchor;  /* key id -> smallest eligible account index */
    uint32_t *keyperson;    /* key id -> github person (phase 3) */
    uint8_t *key_vd;        /* key id -> on a verified domain */
    hc_uf *uf;
    size_t n_keys;
} run;

static bool acct_eligible(const hc__acct *a)
{
    return a->exclusion == HC_EXCLUDE_NONE;
}

static hc_status build_accounts(run *st)
{
    hc_status rc = HC_OK;
    hc_census *c = st->c;
    hc_result *r = st->r;
    size_t n_ghes = 0, n_ghec = 0, n_ghec_keys = 0;
    ghes_sort *gs = NULL;
    ghec_sort *cs = NULL;
    src_sort *ss = NULL;

    for (size_t i = 0; i < c->n_segs; i++) {
        const hc__segment *s = c->segs[i];
        if (!s)
            continue;
        n_ghes += s->ghes.len / sizeof(hc__ghes_rec);
        n_ghec += s->ghec.len / sizeof(hc__ghec_rec);
        n_ghec_keys += s->keys.len / sizeof(uint32_t);
    }
    HC_FAIL_IF(n_ghes + n_ghec >= UINT32_MAX, HC_ERR_LIMIT);

    /* Sources sorted by name give GHES accounts their (host, id) order. */
    st->srank = calloc(c->n_sources ? c->n_sources : 1, sizeof *st->srank);
    ss = calloc(c->n_sources ? c->n_sources : 1, sizeof *ss);
    HC_FAIL_IF(!st->srank || !ss, HC_ERR_NOMEM);
    for (size_t i = 0; i < c->n_sources; i++)
        ss[i] = (src_sort){&c->sources[i], (uint32_t)i};
    qsort(ss, c->n_sources, sizeof *ss, cmp_source);
    for (size_t i = 0; i < c->n_sources; i++)
        st->srank[ss[i].index] = (uint32_t)i;

    gs = malloc((n_ghes ? n_ghes : 1) * sizeof *gs);
    cs = malloc((n_ghec ? n_ghec : 1) * sizeof *cs);
    r->accts = calloc(n_ghes + n_ghec + 1, sizeof *r->accts);
    HC_FAIL_IF(!gs || !cs || !r->accts, HC_ERR_NOMEM);
    size_t gi = 0, ci = 0;
    for (size_t i = 0; i < c->n_segs; i++) {
        const hc__segment *s = c->segs[i];
        if (!s)
            continue;
        uint32_t ng = (uint32_t)(s->ghes.len / sizeof(hc__ghes_rec));
        for (uint32_t j = 0; j < ng; j++) {
            const hc__ghes_rec *g = hc__ghes_at(s, j);
            gs[gi++] = (ghes_sort){g->id, g->rank, st->srank[g->source], j,
                                   (uint16_t)i};
        }
        uint32_t nc = (uint32_t)(s->ghec.len / sizeof(hc__ghec_rec));
        for (uint32_t j = 0; j < nc; j++) {
            const hc__ghec_rec *g = hc__ghec_at(s, j);
            cs[ci++] = (ghec_sort){hc__seg_str(s, g->login),
                                   st->srank[g->source], j, (uint16_t)i,
                                   (uint8_t)((g->flags & HC__F_LICENSED) != 0)};
        }
    }
    qsort(gs, n_ghes, sizeof *gs, cmp_ghes);
    qsort(cs, n_ghec, sizeof *cs, cmp_ghec);

    /* GHEC: one account per login; repeated rows merge their keys. */
    r->merged_keys = malloc((n_ghec_keys ? n_ghec_keys : 1) *
                            sizeof *r->merged_keys);
    HC_FAIL_IF(!r->merged_keys, HC_ERR_NOMEM);
    size_t mk = 0, na = 0;
    for (size_t i = 0; i < n_ghec;) {
        size_t j = i + 1;
        if (cs[i].login.len)
            while (j < n_ghec && cmp_bytes(cs[i].login, cs[j].login) == 0)
                j++;
        hc__acct *a = &r->accts[na++];
        a->kind = HC_ACCOUNT_GHEC;
        a->seg = cs[i].seg;
        a->rec = cs[i].rec;
        a->person = a->group = HC__NONE;
        a->join_key = HC__NOKEY;
        a->exclusion = cs[i].licensed ? HC_EXCLUDE_NONE
                                      : HC_EXCLUDE_UNLICENSED;
        /* Identity values of every row, then verified emails. */
        uint32_t *k = r->merged_keys + mk;
        size_t nid = 0, nver = 0;
        for (int pass = 0; pass < 2; pass++) {
            size_t start = mk;
            for (size_t x = i; x < j; x++) {
                const hc__segment *s = c->segs[cs[x].seg];
                const hc__ghec_rec *g = hc__ghec_at(s, cs[x].rec);
                const uint32_t *gk = hc__keys_at(s, g->keys);
                size_t from = pass ? g->n_identity : 0;
                size_t to = pass ? (size_t)g->n_identity + g->n_verified
                                 : g->n_identity;
                for (size_t y = from; y < to; y++)
                    r->merged_keys[mk++] = gk[y];
            }
            size_t m = sort_unique(r->merged_keys + start, mk - start);
            mk = start + m;
            if (pass)
                nver = m;
            else
                nid = m;
        }
        a->keys = k;
        a->n_a = (uint16_t)nid;
        a->n_b = (uint16_t)nver;
        for (size_t x = i + 1; x < j; x++) {
            hc__acct *d = &r->accts[na++];
            *d = *a;
            d->seg = cs[x].seg;
            d->rec = cs[x].rec;
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
        const uint32_t *gk = hc__keys_at(s, g->keys);
        hc__acct *a = &r->accts[na++];
        a->kind = HC_ACCOUNT_GHES;
        a->seg = gs[i].seg;
        a->rec = gs[i].rec;
        a->person = a->group = HC__NONE;
        a->join_key = HC__NOKEY;
        bool has_primary = g->n_keys > 0 && gk[0] != HC__NOKEY;
        a->keys = has_primary ? gk : gk + 1;
        a->n_a = has_primary ? 1 : 0;
        a->n_b = (uint16_t)(g->n_keys ? g->n_keys - 1 : 0);
        if (i > 0 && gs[i].srank == gs[i - 1].srank &&
            gs[i].id == gs[i - 1].id)
            a->exclusion = HC_EXCLUDE_DUPLICATE;
        else if (g->flags & HC__F_SYSTEM)
            a->exclusion = HC_EXCLUDE_SYSTEM;
        else if (g->flags & HC__F_SUSPENDED)
            a->exclusion = HC_EXCLUDE_SUSPENDED;
    }
    r->n_accts = na;
done:
    free(gs);
    free(cs);
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
            uint32_t anc = hc_atomic_load_u32(&st->anchor[a->keys[j]],
                                              HC_RELAXED);
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
            uint32_t anc = hc_atomic_load_u32(&st->anchor[a->keys[j]],
                                              HC_RELAXED);
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
        st->key_vd[k] = hc_domains_match_key(st->c->opt.verified_domains,
                                             key.ptr, key.len);
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
        case HC_EXCLUDE_UNLICENSED:
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
    if (!sum->verified_domains_given)
        sum->persons_without_verified_domain_email = 0;
    for (size_t i = 0; i < c->n_sources; i++)
        sum->rejected_rows +=
            hc_atomic_load_u64(&c->sources[i].rejected, HC_RELAXED);
    return HC_OK;
}

hc_status hc_census_run(hc_census *c, hc_policy policy, hc_result **out)
{
    hc_status rc = HC_OK;
    run st = {0};
    uint32_t *root_person = NULL;
    if (!c || !out ||
        (policy != HC_POLICY_GITHUB && policy != HC_POLICY_EXTENDED))
        return HC_ERR_ARG;
    pthread_mutex_lock(&c->mu);
    size_t open = c->open_writers;
    pthread_mutex_unlock(&c->mu);
    if (open)
        return HC_ERR_ARG;

    st.c = c;
    st.policy = policy;
    st.r = calloc(1, sizeof *st.r);
    HC_FAIL_IF(!st.r, HC_ERR_NOMEM);
    st.r->census = c;
    st.n_keys = hc_hset_size(c->keys);
    HC_TRY(build_accounts(&st));
    hc_result *r = st.r;
    unsigned T = c->threads;

    /* Owners persist in the key set across runs; claims are idempotent
     * (a minimum over the same offers), so a second run sees the same. */
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

    if (c->opt.verified_domains) {
        st.key_vd = calloc(st.n_keys + 1, 1);
        HC_FAIL_IF(!st.key_vd, HC_ERR_NOMEM);
        HC_TRY(hc__par_for(T, st.n_keys, vd_range, &st));
    }
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
    free(r);
}
