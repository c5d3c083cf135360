/*
 * The census's input side: sources, per-thread writers, and the normalizing
 * of every email as it arrives. Writers run concurrently; they share only
 * the key set (lock-free) and, around growth of that set, a reader-writer
 * lock that each writer takes in shared mode once per batch of keys
 * (HC__KEY_BATCH), never across calls.
 */
#include <stdlib.h>

#include "census_internal.h"
#include "headcount/norm.h"

#define DEFAULT_EXPECTED_KEYS ((size_t)1 << 16)

static const char *const system_logins[] = {"ghost", "scim-admin"};

hc_status hc_census_create(const hc_census_options *options, hc_census **out)
{
    hc_status rc = HC_OK;
    hc_census *c = calloc(1, sizeof *c);
    HC_FAIL_IF(!c, HC_ERR_NOMEM);
    if (options)
        c->opt = *options;
    c->threads = hc__threads_resolve(c->opt.threads);
    c->key_bytes = !c->opt.summary_only || c->opt.verified_domains;
    size_t expect =
        c->opt.expected_keys ? c->opt.expected_keys : DEFAULT_EXPECTED_KEYS;
    if (expect > HC_HSET_MAX_KEYS / 2)
        expect = HC_HSET_MAX_KEYS / 2;
    /* Without key bytes the set is only asked for ids: a summary-only
     * census never reads owners (claims belong to runs with persons). */
    hc_hset_options ko = {expect, !c->key_bytes, false};
    HC_TRY(hc_hset_create_opts(&ko, &c->keys));

    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* A writer waiting to grow the set must not starve behind readers
     * that keep re-acquiring the shared lock batch after batch. */
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&c->grow_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    c = NULL;
done:
    if (c) {
        hc_hset_destroy(c->keys);
        free(c);
    }
    return rc;
}

static void segment_free(hc__segment *s)
{
    if (!s)
        return;
    hc__buf_fini(&s->ghes);
    hc__buf_fini(&s->ghec);
    hc__buf_fini(&s->arena);
    hc__buf_fini(&s->keys);
    hc__buf_fini(&s->ckeys);
    hc__buf_fini(&s->kmarks);
    hc__buf_fini(&s->logins);
    hc__buf_fini(&s->ranks);
}

void hc_census_destroy(hc_census *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_segs; i++) {
        segment_free(c->segs[i]);
        free(c->segs[i]);
    }
    free(c->segs);
    for (size_t i = 0; i < c->n_sources; i++)
        free(c->sources[i].name);
    free(c->sources);
    free(c->source_index);
    hc_hset_destroy(c->keys);
    pthread_rwlock_destroy(&c->grow_lock);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static size_t source_hash(hc_source_kind kind, const void *name, size_t len)
{
    return (size_t)(hc_fingerprint(name, len).lo ^ (uint64_t)kind);
}

/* The slot of source (kind, name) in the index: its own, or the empty one
 * where it would go. Called with c->mu held. */
static size_t source_slot(const hc_census *c, hc_source_kind kind,
                          const void *name, size_t len)
{
    size_t mask = c->source_index_cap - 1;
    for (size_t i = source_hash(kind, name, len) & mask;; i = (i + 1) & mask) {
        uint32_t v = c->source_index[i];
        if (v == 0)
            return i;
        const hc__source *s = &c->sources[v - 1];
        if (s->kind == kind && s->len == len &&
            (len == 0 || memcmp(s->name, name, len) == 0))
            return i;
    }
}

/* Rebuilds the index twice as large (16 slots the first time); the caller
 * grows it before it would pass half full. Called with c->mu held. */
static hc_status source_index_grow(hc_census *c)
{
    size_t cap = c->source_index_cap ? 2 * c->source_index_cap : 16;
    uint32_t *old = c->source_index;
    c->source_index = calloc(cap, sizeof *c->source_index);
    if (!c->source_index) {
        c->source_index = old;
        return HC_ERR_NOMEM;
    }
    c->source_index_cap = cap;
    for (size_t i = 0; i < c->n_sources; i++) {
        const hc__source *s = &c->sources[i];
        c->source_index[source_slot(c, s->kind, s->name, s->len)] =
            (uint32_t)i + 1;
    }
    free(old);
    return HC_OK;
}

bool hc_host_name_valid(const void *name, size_t len)
{
    const unsigned char *h = name;
    if (!h || len == 0 || len > 253 || h[0] == '.' || h[0] == '-')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((h[i] >= '0' && h[i] <= '9') ||
              (hc__ascii_lower(h[i]) >= 'a' && hc__ascii_lower(h[i]) <= 'z') ||
              h[i] == '.' || h[i] == '-' || h[i] == '_'))
            return false;
    return true;
}

hc_status hc_census_source(hc_census *c, hc_source_kind kind, const void *name,
                           size_t len, uint32_t *id)
{
    hc_status rc = HC_OK;
    char host[HC_SOURCE_NAME_MAX];
    if (!c || (!name && len) || !id ||
        (kind != HC_SOURCE_GHES && kind != HC_SOURCE_GHEC))
        return HC_ERR_ARG;
    if (len > HC_SOURCE_NAME_MAX)
        return HC_ERR_LIMIT;
    if (kind == HC_SOURCE_GHES) {
        /* One canonical spelling per instance, whatever the order in which
         * inputs name it, so that host:id values are the same every run. */
        len = hc__host_canon(host, name, len);
        name = host;
    }
    pthread_mutex_lock(&c->mu);
    size_t slot = 0;
    if (c->source_index_cap) {
        slot = source_slot(c, kind, name, len);
        if (c->source_index[slot] != 0) {
            *id = c->source_index[slot] - 1;
            goto done;
        }
    }
    HC_FAIL_IF(c->sealed, HC_ERR_ARG); /* results index the sources */
    HC_FAIL_IF(c->n_sources >= HC__MAX_SOURCES, HC_ERR_LIMIT);
    if (2 * (c->n_sources + 1) > c->source_index_cap) {
        HC_TRY(source_index_grow(c));
        slot = source_slot(c, kind, name, len); /* in the new index */
    }
    if (c->n_sources == c->cap_sources) {
        size_t cap = c->cap_sources ? c->cap_sources * 2 : 8;
        hc__source *p = realloc(c->sources, cap * sizeof *p);
        HC_FAIL_IF(!p, HC_ERR_NOMEM);
        c->sources = p;
        c->cap_sources = cap;
    }
    hc__source *s = &c->sources[c->n_sources];
    s->name = malloc(len + 1);
    HC_FAIL_IF(!s->name, HC_ERR_NOMEM);
    if (len)
        memcpy(s->name, name, len);
    s->name[len] = '\0';
    s->len = len;
    s->kind = kind;
    hc_atomic_store_u64(&s->rejected, 0, HC_RELAXED);
    *id = (uint32_t)c->n_sources++;
    c->source_index[slot] = *id + 1;
done:
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void hc_census_source_reject(hc_census *c, uint32_t source, uint64_t n)
{
    /* The source array only grows under c->mu; reading the pointer needs
     * the same lock because a concurrent hc_census_source may move it. */
    pthread_mutex_lock(&c->mu);
    if (source < c->n_sources)
        hc_atomic_fetch_add_u64(&c->sources[source].rejected, n, HC_RELAXED);
    pthread_mutex_unlock(&c->mu);
}

hc_status hc_census_writer_create(hc_census *c, hc_census_writer **out)
{
    hc_status rc = HC_OK;
    hc_census_writer *w = NULL;
    if (!c || !out)
        return HC_ERR_ARG;
    pthread_mutex_lock(&c->mu);
    HC_FAIL_IF(c->sealed, HC_ERR_ARG);
    HC_FAIL_IF(c->n_segs >= HC__MAX_SEGMENTS, HC_ERR_LIMIT);
    if (c->n_segs == c->cap_segs) {
        size_t cap = c->cap_segs ? c->cap_segs * 2 : 8;
        hc__segment **p = realloc(c->segs, cap * sizeof *p);
        HC_FAIL_IF(!p, HC_ERR_NOMEM);
        c->segs = p;
        c->cap_segs = cap;
    }
    w = calloc(1, sizeof *w);
    HC_FAIL_IF(!w, HC_ERR_NOMEM);
    w->census = c;
    w->seg_index = (uint16_t)c->n_segs;
    w->checked_source[0] = w->checked_source[1] = HC__NONE;
    c->segs[c->n_segs++] = NULL;
    c->open_writers++;
    hc__buf_init_mapped(&w->seg.ghes, HC__RECORDS_LIMIT);
    hc__buf_init_mapped(&w->seg.ghec, HC__RECORDS_LIMIT);
    hc__buf_init_mapped(&w->seg.arena, HC__ARENA_LIMIT);
    hc__buf_init_mapped(&w->seg.keys, HC__KEYS_LIMIT);
    hc__buf_init_mapped(&w->seg.ckeys, HC__KEYS_LIMIT);
    hc__buf_init_mapped(&w->seg.kmarks, HC__KEYS_LIMIT);
    hc__buf_init_mapped(&w->seg.logins, HC__RECORDS_LIMIT);
    hc__buf_init_mapped(&w->seg.ranks, HC__RECORDS_LIMIT);
    *out = w;
done:
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/*
 * Inserts the pending keys and stores their ids: one hc_hset_upsert_batch,
 * which prefetches ahead and takes the ids of new keys together. When the
 * shared set is full, grows it (unless another writer did meanwhile) and
 * repeats the batch: keys already inserted are found. The grow lock is held
 * shared only here, for one batch, so no lock is held between calls and a
 * thread may feed several writers.
 */
static hc_status writer_flush_keys(hc_census_writer *w)
{
    hc_census *c = w->census;
    hc_status rc = HC_OK;
    uint32_t *ids = (uint32_t *)(void *)w->seg.keys.data;
    uint32_t *cids = (uint32_t *)(void *)w->seg.ckeys.data;
    hc_hset_op *ops = w->pending;
    unsigned n = w->n_pending;
    /* A lock that cannot be taken (which glibc never refuses here) must
     * not be worked around: grow needs every other user out. */
    if (pthread_rwlock_rdlock(&c->grow_lock) != 0) {
        rc = HC_ERR_INTERNAL;
        goto unlocked;
    }
    for (;;) {
        /* Only a full table calls for a grow: the arena cannot run out
         * first, since it is sized for keys of HC_HSET_KEY_MAX bytes and a
         * census key has at most HC_KEY_MAX (an HC_ERR_NOMEM is real). */
        rc = hc_hset_upsert_batch(c->keys, ops, n);
        if (rc != HC_ERR_FULL)
            break;
        size_t seen = hc_hset_capacity(c->keys);
        pthread_rwlock_unlock(&c->grow_lock);
        if (pthread_rwlock_wrlock(&c->grow_lock) != 0) {
            rc = HC_ERR_INTERNAL;
            goto unlocked;
        }
        /* Grow unless another writer did while we waited. */
        rc = HC_OK;
        if (hc_hset_capacity(c->keys) == seen)
            rc = hc_hset_grow(c->keys,
                              HC_MIN(seen * 2, (size_t)HC_HSET_MAX_KEYS));
        pthread_rwlock_unlock(&c->grow_lock);
        if (pthread_rwlock_rdlock(&c->grow_lock) != 0) {
            rc = HC_ERR_INTERNAL;
            goto unlocked;
        }
        if (rc != HC_OK && rc != HC_ERR_FULL)
            break;
    }
    pthread_rwlock_unlock(&c->grow_lock);
unlocked:
    if (rc != HC_OK)
        w->failed = rc; /* these keys belong to accounts already added */
    for (unsigned i = 0; i < n && rc == HC_OK; i++) {
        uint32_t at = w->pending_at[i];
        if (at & HC__AT_GHEC)
            cids[at & ~HC__AT_GHEC] = ops[i].id;
        else
            ids[at] = ops[i].id;
    }
    w->n_pending = 0;
    return rc;
}

static hc_status arena_str(hc__buf *arena, hc_str s, uint32_t *off)
{
    if (s.len > HC_RECORD_MAX)
        return HC_ERR_LIMIT;
    uint32_t len = (uint32_t)s.len;
    size_t at = arena->len;
    hc_status rc = hc__buf_reserve(arena, sizeof len + s.len);
    if (rc != HC_OK)
        return rc;
    hc__buf_append(arena, &len, sizeof len);
    hc__buf_append(arena, s.ptr, s.len);
    *off = (uint32_t)at;
    return HC_OK;
}

/* Starts a list of keys (an account's emails, a GHEC account's identity
 * values or verified emails), whose repeats are dropped. */
static void list_begin(hc_census_writer *w)
{
    w->n_recent = 0;
    w->seen_gen++;
}

/* True when fp is already a key of the current list past its first four;
 * else remembers it. False, remembering nothing, without the table's
 * memory: a repeat then stays, as it would without this check. */
static bool seen_before(hc_census_writer *w, hc_fp fp)
{
    if (!w->seen) {
        w->seen = calloc(HC__SEEN_SLOTS, sizeof *w->seen);
        if (!w->seen)
            return false;
    }
    if (w->seen_gen == 0) { /* wrapped: entries of old lists could match */
        memset(w->seen, 0, HC__SEEN_SLOTS * sizeof *w->seen);
        w->seen_gen = 1;
    }
    for (uint32_t i = (uint32_t)fp.lo & (HC__SEEN_SLOTS - 1);;
         i = (i + 1) & (HC__SEEN_SLOTS - 1)) {
        struct hc__seen *e = &w->seen[i];
        if (e->gen != w->seen_gen) {
            *e = (struct hc__seen){fp, w->seen_gen};
            return false;
        }
        if (e->fp.lo == fp.lo && e->fp.hi == fp.hi)
            return true;
    }
}

/* Normalizes s and appends its key id; keyless values append HC__NOKEY
 * only when keep_empty (the GHES primary slot), else nothing. */
static hc_status push_key(hc_census_writer *w, hc_str s, bool keep_empty,
                          uint16_t *count)
{
    char key[HC_KEY_MAX + 1];
    size_t klen = 0;
    uint32_t none = HC__NOKEY;
    hc_status rc = HC_OK;
    if (s.len > HC_EMAIL_MAX)
        return HC_ERR_LIMIT;
    if (s.len) {
        rc = hc__email_normalize_memo(&w->domains, s.ptr, s.len, key, &klen);
        if (rc != HC_OK)
            return rc;
    }
    hc_fp fp = {0, 0};
    if (klen) {
        for (unsigned i = 0; i < w->n_recent; i++)
            if (w->recent[i].len == klen &&
                hc__same_bytes(w->recent[i].key, key, klen))
                return HC_OK; /* already a key of this account */
        fp = hc_fingerprint(key, klen);
        for (unsigned i = 0; i < w->n_recent; i++)
            if (w->recent[i].fp.lo == fp.lo && w->recent[i].fp.hi == fp.hi)
                return HC_OK;
        /* A fifth key and later (the few accounts with that many): the
         * first four are in recent, the others in the table. */
        if (w->n_recent == HC_ARRAY_LEN(w->recent) && seen_before(w, fp))
            return HC_OK;
    } else if (!keep_empty) {
        return HC_OK;
    }
    if (*count >= HC__KEYS_PER_ACCOUNT)
        return HC_ERR_LIMIT;
    /* The id is filled in when the pending batch is inserted. */
    hc__buf *kb = w->ghec ? &w->seg.ckeys : &w->seg.keys;
    uint32_t at = (uint32_t)(kb->len / sizeof(uint32_t));
    rc = hc__buf_append(kb, &none, sizeof none);
    if (rc != HC_OK)
        return rc;
    (*count)++;
    if (!w->census->opt.summary_only) /* only ranks read it */
        w->row_mix = hc__rank_mix(w->row_mix, klen ? hc_hset_ident(fp) : fp);
    if (!klen)
        return HC_OK;
    if (w->n_recent < HC_ARRAY_LEN(w->recent)) {
        w->recent[w->n_recent].fp = fp;
        w->recent[w->n_recent].len = klen;
        memcpy(w->recent[w->n_recent++].key, key, klen);
    }
    unsigned p = w->n_pending++;
    hc_hset_op *op = &w->pending[p];
    op->fp = fp;
    w->pending_at[p] = w->ghec ? at | HC__AT_GHEC : at;
    /* Without key bytes the set knows keys by fingerprint alone. */
    op->key = NULL;
    op->len = 0;
    if (w->census->key_bytes) {
        memcpy(w->pending_key[p], key, klen);
        op->key = w->pending_key[p];
        op->len = klen;
    }
    if (w->n_pending == HC_ARRAY_LEN(w->pending))
        return writer_flush_keys(w);
    return HC_OK;
}

/* Forgets the pending keys of the account being added, whose entries a
 * failed add takes back from the key array they went to (entries at
 * keys_mark and after): they are the last ones pending. */
static void drop_pending_after(hc_census_writer *w, size_t keys_mark)
{
    uint32_t mark = (uint32_t)(keys_mark / sizeof(uint32_t));
    uint32_t array = w->ghec ? HC__AT_GHEC : 0;
    while (w->n_pending) {
        uint32_t at = w->pending_at[w->n_pending - 1];
        if ((at & HC__AT_GHEC) != array || (at & ~HC__AT_GHEC) < mark)
            break;
        w->n_pending--;
    }
}

static bool is_system_login(hc_str login)
{
    for (size_t i = 0; i < HC_ARRAY_LEN(system_logins); i++) {
        const char *s = system_logins[i];
        size_t n = strlen(s);
        if (login.len != n)
            continue;
        size_t j = 0;
        /* Letters only: folding every byte with | 0x20 would take
         * "scim\radmin" for "scim-admin". */
        while (j < n && hc__ascii_lower((unsigned char)login.ptr[j]) ==
                            (unsigned char)s[j])
            j++;
        if (j == n)
            return true;
    }
    return false;
}

/* Validates a source id, remembering the last good one per kind so that
 * the shared mutex is taken only when a writer switches sources. */
static bool source_is(hc_census_writer *w, uint32_t source, hc_source_kind kind)
{
    if (w->checked_source[kind] == source)
        return true;
    hc_census *c = w->census;
    pthread_mutex_lock(&c->mu);
    bool ok = source < c->n_sources && c->sources[source].kind == kind;
    pthread_mutex_unlock(&c->mu);
    if (ok)
        w->checked_source[kind] = source;
    return ok;
}

/* Content hash of a row, for choosing among repeated rows. */
static uint64_t row_hash(hc_str login, hc_str primary, const hc_str *emails,
                         size_t n_emails, bool suspended)
{
    hc_fp h = hc_fingerprint(login.ptr, login.len);
    hc_fp p = hc_fingerprint(primary.ptr, primary.len);
    uint64_t x = h.lo ^ (p.lo * 0x9E3779B97F4A7C15ull) ^ (suspended ? 1 : 0);
    for (size_t i = 0; i < n_emails; i++)
        x = (x * 0x100000001B3ull) ^
            hc_fingerprint(emails[i].ptr, emails[i].len).lo;
    return x;
}

/* The public bound on an account's values leaves room for the primary
 * email (GHES) or the SAML NameID (GHEC) within the key count a record
 * can hold. */
_Static_assert(HC_ACCOUNT_VALUES_MAX + 1 < HC__KEYS_PER_ACCOUNT,
               "HC_ACCOUNT_VALUES_MAX exceeds the per-account key count");

hc_status hc_census_add_ghes(hc_census_writer *w, const hc_ghes_account *a)
{
    hc_status rc = HC_OK;
    if (!w || !a || (a->n_emails && !a->emails))
        return HC_ERR_ARG;
    if (w->failed != HC_OK)
        return w->failed;
    if (!source_is(w, a->source, HC_SOURCE_GHES))
        return HC_ERR_ARG;
    /* Every check that can refuse the account comes before the first
     * append, or goes through done: to undo it. */
    if (a->n_emails > HC_ACCOUNT_VALUES_MAX || a->login.len > HC_RECORD_MAX)
        return HC_ERR_LIMIT;
    hc__segment *s = &w->seg;
    size_t keys_mark = s->keys.len, arena_mark = s->arena.len;
    size_t logins_mark = s->logins.len, ranks_mark = s->ranks.len;
    size_t kmarks_mark = s->kmarks.len;

    w->ghec = false;
    list_begin(w);
    w->row_mix = HC__RANK_SEED;
    hc__ghes_rec rec = {0};
    rec.id = (uint32_t)a->id;
    rec.source = (uint16_t)a->source; /* checked by source_is */
    size_t row = s->ghes.len / sizeof rec;
    if ((row & (((size_t)1 << HC__KMARK_SHIFT) - 1)) == 0) {
        uint32_t koff = (uint32_t)(s->keys.len / sizeof(uint32_t));
        HC_TRY(hc__buf_append(&s->kmarks, &koff, sizeof koff));
    }
    unsigned flags = 0;
    if (a->id >> 32) {
        uint32_t hi = (uint32_t)(a->id >> 32);
        flags |= HC__F_WIDE_ID;
        HC_TRY(hc__buf_append(&s->keys, &hi, sizeof hi));
    }
    uint16_t n_keys = 0;
    if (a->suspended)
        flags |= HC__F_SUSPENDED;
    if (is_system_login(a->login))
        flags |= HC__F_SYSTEM;
    if (!w->census->opt.summary_only) {
        uint32_t login;
        HC_TRY(arena_str(&s->arena, a->login, &login));
        HC_TRY(hc__buf_append(&s->logins, &login, sizeof login));
    }
    HC_TRY(push_key(w, a->primary_email, true, &n_keys));
    for (size_t i = 0; i < a->n_emails; i++)
        HC_TRY(push_key(w, a->emails[i], false, &n_keys));
    rec.meta = (uint16_t)(n_keys | flags << HC__META_FLAGS_SHIFT);
    if (!w->census->opt.summary_only) {
        /* The fingerprints are at hand, so the rank costs no hashing. */
        uint64_t rank = hc__rank_finish(w->row_mix, flags, n_keys);
        HC_TRY(hc__buf_append(&s->ranks, &rank, sizeof rank));
    }
    HC_TRY(hc__buf_append(&s->ghes, &rec, sizeof rec));
done:
    if (rc != HC_OK) { /* leave the segment as it was */
        drop_pending_after(w, keys_mark);
        s->keys.len = keys_mark;
        s->arena.len = arena_mark;
        s->logins.len = logins_mark;
        s->ranks.len = ranks_mark;
        s->kmarks.len = kmarks_mark;
    }
    return rc;
}

hc_status hc_census_add_ghec(hc_census_writer *w, const hc_ghec_account *a)
{
    hc_status rc = HC_OK;
    if (!w || !a || (a->n_identity_values && !a->identity_values) ||
        (a->n_verified_emails && !a->verified_emails))
        return HC_ERR_ARG;
    if (w->failed != HC_OK)
        return w->failed;
    if (!source_is(w, a->source, HC_SOURCE_GHEC))
        return HC_ERR_ARG;
    if (a->n_identity_values + a->n_verified_emails > HC_ACCOUNT_VALUES_MAX)
        return HC_ERR_LIMIT;
    hc__segment *s = &w->seg;
    size_t keys_mark = s->ckeys.len, arena_mark = s->arena.len;

    w->ghec = true;
    list_begin(w);
    hc__ghec_rec rec = {0};
    rec.source = a->source;
    /* Rows that share a login (or have none) are ordered by content, so
     * which row represents the account never depends on input order. */
    rec.rank = row_hash(a->saml_name_id, a->login, a->identity_values,
                        a->n_identity_values, a->licensed);
    for (size_t i = 0; i < a->n_verified_emails; i++)
        rec.rank =
            (rec.rank * 0x100000001B3ull) ^
            hc_fingerprint(a->verified_emails[i].ptr, a->verified_emails[i].len)
                .hi;
    rec.saml = HC__NONE;
    rec.keys = (uint32_t)(s->ckeys.len / sizeof(uint32_t));
    if (a->licensed)
        rec.flags |= HC__F_LICENSED;
    HC_TRY(arena_str(&s->arena, a->login, &rec.login));
    if (a->saml_name_id.len) {
        HC_TRY(arena_str(&s->arena, a->saml_name_id, &rec.saml));
        HC_TRY(push_key(w, a->saml_name_id, false, &rec.n_identity));
    }
    for (size_t i = 0; i < a->n_identity_values; i++)
        HC_TRY(push_key(w, a->identity_values[i], false, &rec.n_identity));
    /* Verified emails are reported as such even when an identity value
     * has the same key: repeats are dropped within each list only. */
    list_begin(w);
    for (size_t i = 0; i < a->n_verified_emails; i++)
        HC_TRY(push_key(w, a->verified_emails[i], false, &rec.n_verified));
    HC_TRY(hc__buf_append(&s->ghec, &rec, sizeof rec));
done:
    if (rc != HC_OK) {
        drop_pending_after(w, keys_mark);
        s->ckeys.len = keys_mark;
        s->arena.len = arena_mark;
    }
    return rc;
}

hc_status hc_census_writer_finish(hc_census_writer *w)
{
    if (!w)
        return HC_OK;
    hc_census *c = w->census;
    hc_status rc = w->failed;
    if (rc == HC_OK && w->n_pending)
        rc = writer_flush_keys(w);
    hc__segment *seg = rc == HC_OK ? malloc(sizeof *seg) : NULL;
    if (rc == HC_OK && !seg)
        rc = HC_ERR_NOMEM;
    pthread_mutex_lock(&c->mu);
    if (seg) {
        *seg = w->seg;
        c->segs[w->seg_index] = seg;
    } else {
        /* The segment is left out, and with it accounts added without an
         * error: the census no longer runs. */
        segment_free(&w->seg);
        if (c->failed == HC_OK)
            c->failed = rc;
    }
    c->open_writers--;
    pthread_mutex_unlock(&c->mu);
    free(w->seen);
    free(w);
    return rc;
}

void hc__census_fail(hc_census *c, hc_status rc)
{
    pthread_mutex_lock(&c->mu);
    if (c->failed == HC_OK)
        c->failed = rc;
    pthread_mutex_unlock(&c->mu);
}
