/*
 * Internal layout of the census and its results, shared by census.c (adding
 * accounts), census_run.c (counting) and census_query.c (result accessors).
 *
 * Accounts are stored as fixed-size records in per-writer segments; strings
 * (logins, SAML NameIDs) live in the segment's byte arena and are referenced
 * by offset; normalized email keys live once in the census-wide key set
 * (hc_hset) and records hold their dense ids.
 */
#ifndef HC_CENSUS_INTERNAL_H
#define HC_CENSUS_INTERNAL_H

#include <pthread.h>

#include "headcount/census.h"
#include "headcount/hset.h"
#include "atomic.h"
#include "norm_internal.h"
#include "util.h"

#define HC__NOKEY UINT32_MAX
#define HC__NONE UINT32_MAX
#define HC__MAX_SOURCES HC_SOURCES_MAX
#define HC__MAX_SEGMENTS 65535u
/* Per-writer caps: offsets are 32-bit. */
#define HC__ARENA_LIMIT ((size_t)UINT32_MAX)
#define HC__RECORDS_LIMIT ((size_t)1 << 34)
/* Key-id arrays: entries are indexed by 31 bits (see HC__AT_GHEC). */
#define HC__KEYS_LIMIT (((size_t)1 << 31) * sizeof(uint32_t))
/* The pending key's `at` indexes the GHEC key array (ckeys), not keys. */
#define HC__AT_GHEC ((uint32_t)1 << 31)
#define HC__KEYS_PER_ACCOUNT 4095u
/* Keys a writer inserts per hold of the shared grow lock, as one
 * hc_hset_upsert_batch. Taking the lock, like taking ids for new keys, moves
 * a cache line between cores (about 230 ns on a 2-vCPU VM), and each call
 * starts its prefetch pipeline cold, so batches are large: four of the
 * set's own batches of 64. */
#define HC__KEY_BATCH 256u

enum {
    HC__F_SUSPENDED = 1u << 0,
    HC__F_SYSTEM = 1u << 1,
    HC__F_LICENSED = 1u << 2, /* GHEC rows */
    HC__F_WIDE_ID = 1u << 3,  /* GHES rows: the id does not fit 32 bits */
};

/* hc__ghes_rec.meta: the key count (at most HC__KEYS_PER_ACCOUNT, 12
 * bits) below the flags. */
#define HC__META_FLAGS_SHIFT 12
#define HC__META_KEYS_MASK ((1u << HC__META_FLAGS_SHIFT) - 1)

/* A GHES account row. Repeated rows of one (host, id) are told apart by
 * their rank (hc__rank_finish), which is not stored here: a full census
 * keeps it in the segment's `ranks`, and a summary computes it only for
 * the rows of repeated ids, from their key ids. */
typedef struct hc__ghes_rec {
    uint32_t id;     /* low half; with HC__F_WIDE_ID the high half is the
                        key-id array's entry before the row's keys */
    uint16_t source; /* fits: at most HC__MAX_SOURCES sources */
    uint16_t meta;   /* key count | flags << HC__META_FLAGS_SHIFT; keys[0]
                        is the primary (or HC__NOKEY) */
} hc__ghes_rec;

_Static_assert(sizeof(hc__ghes_rec) == 8, "GHES records are 8 bytes");

/* A GHES row's entries in the key-id array follow those of the rows before
 * it, so rows do not store where theirs start; a segment keeps that offset
 * for every 2^HC__KMARK_SHIFT-th row (`kmarks`) to start walks from. */
#define HC__KMARK_SHIFT 10
_Static_assert(HC__KEYS_PER_ACCOUNT <= HC__META_KEYS_MASK,
               "a record's key count fits its meta bits");

/*
 * The rank of a GHES row orders the rows of one (host, id) by what counting
 * sees of them: their keys (as normalized, in order) and flags, with the
 * top bit for rows that cannot consume a seat. Keys enter as their key-set
 * identity (hc_hset_ident), so the rank can be computed both from the
 * fingerprints at hand while adding a row and later from the key set's
 * slots; a keyless primary enters as {0, 0}. Rows of equal rank differ at
 * most in their login, which the full path compares next and a summary
 * never shows.
 */
#define HC__RANK_SEED 0x243F6A8885A308D3ull

static inline uint64_t hc__rank_mix(uint64_t h, hc_fp ident)
{
    h ^= ident.lo + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return (h ^ ident.hi) * 0xFF51AFD7ED558CCDull;
}

static inline uint64_t hc__rank_finish(uint64_t h, unsigned meta_flags,
                                       unsigned n_keys)
{
    hc_fp tail = {meta_flags, n_keys};
    uint64_t rank = hc__rank_mix(h, tail) >> 1;
    if (meta_flags & (HC__F_SUSPENDED | HC__F_SYSTEM))
        rank |= (uint64_t)1 << 63;
    return rank;
}

/* A GHEC account row: keys are n_identity identity values followed by
 * n_verified verified emails (keyless values are dropped). */
typedef struct hc__ghec_rec {
    uint64_t rank; /* content hash: orders rows that share a login */
    uint32_t source;
    uint32_t login;
    uint32_t saml; /* arena offset, or HC__NONE */
    uint32_t keys; /* offset into the segment's GHEC key-id array */
    uint16_t n_identity;
    uint16_t n_verified;
    uint8_t flags;
    uint8_t pad_[3];
} hc__ghec_rec;

/* A writer's storage; once finished it becomes an immutable segment. */
typedef struct hc__segment {
    hc__buf ghes;   /* hc__ghes_rec[] */
    hc__buf ghec;   /* hc__ghec_rec[] */
    hc__buf arena;  /* length-prefixed strings */
    hc__buf keys;   /* uint32_t key ids of GHES rows, row after row */
    hc__buf ckeys;  /* uint32_t key ids of GHEC rows */
    hc__buf logins; /* per GHES record, the arena offset of its login;
                       empty in a summary_only census */
    hc__buf ranks;  /* per GHES record, its uint64_t rank; empty in a
                       summary_only census */
    hc__buf kmarks; /* uint32_t key-array offset of GHES records 0, 1 <<
                       HC__KMARK_SHIFT, 2 << HC__KMARK_SHIFT, ... */
} hc__segment;

typedef struct hc__source {
    char *name;
    size_t len;
    hc_source_kind kind;
    hc_atomic_u64 rejected;
} hc__source;

struct hc_census {
    hc_census_options opt;
    unsigned threads;
    bool key_bytes;             /* keep the bytes of keys (for reports and
                                   verified domains) */
    hc_hset *keys;              /* normalized email -> dense key id */
    pthread_rwlock_t grow_lock; /* writers share it; growth takes it alone */
    pthread_mutex_t mu;         /* sources and segments */
    hc__source *sources;
    size_t n_sources, cap_sources;
    /* Sources by (kind, name): open addressing over source id + 1 (0 is
     * empty), at most half full; a file naming tens of thousands of
     * sources must not make each new one a scan of all the others. */
    uint32_t *source_index;
    size_t source_index_cap; /* a power of two, or 0 */
    hc__segment **segs;      /* NULL while the writer is open */
    size_t n_segs, cap_segs;
    size_t open_writers;
    bool sealed; /* a run happened: no more writers (results borrow the
                    segments, and owners left in the key set by a run
                    are only right for the accounts it saw) */
    /* The first failure of a writer or a load (under mu): the census may
     * lack accounts that were added without an error, so it no longer
     * runs and hc_census_run returns this status. */
    hc_status failed;
};

struct hc_census_writer {
    hc_census *census;
    uint16_t seg_index;
    hc__segment seg;
    uint32_t checked_source[2]; /* last validated source id per kind */
    /* The first keys of the account being added: an account's keys are a
     * set, and exports repeat the primary email among the others, so
     * repeats are dropped here, by their bytes before they cost a
     * fingerprint, and by fingerprint before they cost a trip to the
     * shared key set. */
    struct {
        hc_fp fp;
        size_t len;
        char key[HC_KEY_MAX + 1];
    } recent[4];
    unsigned n_recent;
    /* Past the first four, the keys of the list being added are kept by
     * fingerprint in an open-addressing table (allocated on first use,
     * HC__SEEN_SLOTS entries, more than twice the most keys an account can
     * have); an entry counts only with the current list's generation, so
     * a new list costs no clearing. */
    struct hc__seen {
        hc_fp fp;
        uint32_t gen;
    } * seen;
    uint32_t seen_gen;
    hc__domain_memo domains; /* this writer's recent domains */
    /* hc__rank_mix of the keys of the GHES account being added; kept only
     * when ranks are (not in a summary-only census). */
    uint64_t row_mix;
    /* Keys normalized but not yet inserted, inserted HC__KEY_BATCH at a
     * time with their table slots prefetched ahead: the ops handed to
     * hc_hset_upsert_batch, where each id goes in the segment's key arrays
     * (pending_at), and the key bytes the ops point at when the census
     * keeps them. Kept apart so that a summary-only count touches only
     * the dense ops. */
    hc_hset_op pending[HC__KEY_BATCH];
    uint32_t pending_at[HC__KEY_BATCH];
    char pending_key[HC__KEY_BATCH][HC_KEY_MAX + 1];
    unsigned n_pending;
    bool ghec; /* the account being added is a GHEC one */
    /* A batch of keys that could not be inserted took with it the keys of
     * accounts already added: every later call fails with this status. */
    hc_status failed;
};

#define HC__SEEN_SLOTS 8192u /* > 2 * HC__KEYS_PER_ACCOUNT, a power of 2 */

/* Marks census failed with rc (the first failure stays). */
void hc__census_fail(hc_census *census, hc_status rc);

/* One account of a result. keys points at n_a + n_b key ids: GHES primary
 * (n_a is 0 or 1) then other emails; GHEC identity values then verified. */
typedef struct hc__acct {
    const uint32_t *keys;
    uint32_t rec;
    uint16_t seg;
    uint8_t kind;      /* hc_account_kind */
    uint8_t exclusion; /* hc_exclusion */
    uint8_t rule;      /* hc_join_rule */
    uint16_t n_a, n_b;
    uint32_t person; /* HC__NONE when excluded */
    uint32_t join_key;
    uint32_t group; /* extended component root (account index) */
    uint32_t id_hi; /* GHES: the high half of the id */
} hc__acct;

/* The id of a GHES account of a result. */
static inline uint64_t hc__acct_ghes_id(const hc__segment *s, const hc__acct *a)
{
    const hc__ghes_rec *g =
        (const hc__ghes_rec *)(const void *)s->ghes.data + a->rec;
    return (uint64_t)a->id_hi << 32 | g->id;
}

typedef struct hc__person {
    uint32_t first; /* index into person_accts */
    uint32_t n;
    uint32_t group; /* extended person index */
    uint32_t group_size;
    bool vd; /* has an email on a verified domain */
} hc__person;

struct hc_result {
    const hc_census *census;
    hc_summary sum;
    bool has_persons; /* run with HC_RUN_PERSONS */
    hc__acct *accts;
    size_t n_accts;
    size_t n_ghec;         /* accts[0..n_ghec) are GHEC */
    uint32_t *merged_keys; /* key arrays of merged GHEC accounts */
    hc__person *persons;
    size_t n_persons;
    uint32_t *person_accts;
    uint64_t *src_accounts, *src_eligible; /* by source id */
    uint32_t *src_order; /* source ids in order of name, then kind */
};

/* A length-prefixed string from a segment arena. */
static inline hc_str hc__seg_str(const hc__segment *s, uint32_t off)
{
    hc_str out = {NULL, 0};
    if (off == HC__NONE)
        return out;
    uint32_t len;
    memcpy(&len, s->arena.data + off, sizeof len);
    out.ptr = s->arena.data + off + sizeof len;
    out.len = len;
    return out;
}

static inline const hc__ghes_rec *hc__ghes_at(const hc__segment *s, uint32_t i)
{
    return (const hc__ghes_rec *)(const void *)s->ghes.data + i;
}

static inline unsigned hc__ghes_nkeys(const hc__ghes_rec *g)
{
    return g->meta & HC__META_KEYS_MASK;
}

static inline unsigned hc__ghes_flags(const hc__ghes_rec *g)
{
    return (unsigned)g->meta >> HC__META_FLAGS_SHIFT;
}

/* Key-array entries of a GHES row: its keys, after the high half of a
 * wide id. */
static inline uint32_t hc__ghes_entries(const hc__ghes_rec *g)
{
    return hc__ghes_nkeys(g) + ((hc__ghes_flags(g) & HC__F_WIDE_ID) != 0);
}

/*
 * A walk over the GHES records of a segment in order, knowing where each
 * row's key-array entries start (`koff`). Seeking starts at the mark
 * before the row and sums the entries of at most 2^HC__KMARK_SHIFT - 1
 * rows; stepping adds one row's.
 */
typedef struct hc__ghes_walk {
    const hc__segment *s;
    const hc__ghes_rec *g; /* the current row */
    uint32_t row;
    uint32_t koff;
} hc__ghes_walk;

static inline void hc__ghes_seek(hc__ghes_walk *w, const hc__segment *s,
                                 uint32_t row)
{
    uint32_t r = row >> HC__KMARK_SHIFT << HC__KMARK_SHIFT;
    const hc__ghes_rec *recs = (const hc__ghes_rec *)(const void *)s->ghes.data;
    uint32_t koff = 0;
    if (s->kmarks.len)
        memcpy(&koff,
               s->kmarks.data + (size_t)(row >> HC__KMARK_SHIFT) * sizeof koff,
               sizeof koff);
    for (; r < row; r++)
        koff += hc__ghes_entries(&recs[r]);
    w->s = s;
    w->g = recs + row;
    w->row = row;
    w->koff = koff;
}

static inline void hc__ghes_step(hc__ghes_walk *w)
{
    w->koff += hc__ghes_entries(w->g);
    w->g++;
    w->row++;
}

/* The current row's keys (hc__ghes_nkeys of them). */
static inline const uint32_t *hc__walk_keys(const hc__ghes_walk *w)
{
    const uint32_t *k = (const uint32_t *)(const void *)w->s->keys.data;
    return k ? k + w->koff + ((hc__ghes_flags(w->g) & HC__F_WIDE_ID) != 0)
             : NULL;
}

/* The current row's id. GHES numbers its users from 1, so nearly every id
 * fits 32 bits; the rare wide one keeps its high half in the key-id array
 * rather than widening every record by 4 bytes. */
static inline uint64_t hc__walk_id(const hc__ghes_walk *w)
{
    if (!(hc__ghes_flags(w->g) & HC__F_WIDE_ID))
        return w->g->id;
    uint32_t hi;
    memcpy(&hi, w->s->keys.data + (size_t)w->koff * sizeof hi, sizeof hi);
    return (uint64_t)hi << 32 | w->g->id;
}

/* The arena offset of GHES record i's login, or HC__NONE. */
static inline uint32_t hc__ghes_login(const hc__segment *s, uint32_t i)
{
    if (i >= s->logins.len / sizeof(uint32_t))
        return HC__NONE;
    uint32_t off;
    memcpy(&off, s->logins.data + (size_t)i * sizeof off, sizeof off);
    return off;
}

/* The rank of GHES record i of a full census's segment. */
static inline uint64_t hc__ghes_rank(const hc__segment *s, uint32_t i)
{
    uint64_t rank;
    memcpy(&rank, s->ranks.data + (size_t)i * sizeof rank, sizeof rank);
    return rank;
}

static inline const hc__ghec_rec *hc__ghec_at(const hc__segment *s, uint32_t i)
{
    return (const hc__ghec_rec *)(const void *)s->ghec.data + i;
}

/* The key ids of a GHEC row. */
static inline const uint32_t *hc__ghec_keys(const hc__segment *s,
                                            const hc__ghec_rec *g)
{
    /* A segment without keys has no buffer (and every count is 0). */
    if (!s->ckeys.data)
        return NULL;
    return (const uint32_t *)(const void *)s->ckeys.data + g->keys;
}

/* The account's login / source name. */
hc_str hc__acct_login(const hc_result *r, const hc__acct *a);
hc_str hc__acct_source(const hc_result *r, const hc__acct *a);

#endif /* HC_CENSUS_INTERNAL_H */
