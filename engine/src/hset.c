/*
 * The lock-free concurrent hash map behind every "distinct key" question in
 * headcount. A flat power-of-two array of 16-byte slots, probed linearly,
 * maps 96 bits of a key's XXH3-128 fingerprint to a dense id, so that
 * finding a key reads one cache line; a per-id entry array holds the owner
 * (an atomic minimum) and where the key bytes live in a bump-allocated
 * arena of fixed-size blocks. A slot goes empty -> pending (tag only: this
 * thread won the slot and is filling it) -> published (tag and id) or, when
 * the insert fails, tombstone; it never goes back, which is what makes
 * lock-free probing sound. Layout, memory orders and linearization points:
 * docs/internals/hset.md.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "headcount/hset.h"
#include "atomic.h"
#include "util.h"

/* A set holds at most LOAD_NUM/LOAD_DEN of its slots (see hset.md). */
#define HSET_LOAD_NUM 3
#define HSET_LOAD_DEN 4
#define HSET_MIN_SLOTS ((size_t)64)
#define HSET_DEFAULT_KEYS ((size_t)1024)
#define HSET_MAX_SLOTS ((size_t)1 << 32) /* slot index fits the low word */

/*
 * A slot is two words in one 16-byte cell (four per cache line). `word`:
 * high half = 32-bit tag (never 0), low half = id + 1, or 0 while the
 * inserting thread fills the entry; a word with tag 0 and a nonzero low half
 * is a tombstone: it matches no key and is never reused. `hi`: the
 * fingerprint's high 64 bits, written while the slot is pending and read
 * only once it is published (the publishing release orders the two). The
 * home slot comes from `hi`, so grow can rehash from the slots alone.
 */
#define SLOT_EMPTY ((uint64_t)0)
#define SLOT_TOMB ((uint64_t)1)

/* Key arena: blocks of 2 MiB (one huge page), mapped on first use; a key
 * never straddles two blocks. An entry's ref packs offset << 13 | length. */
#define ARENA_SHIFT 21
#define ARENA_BLOCK ((size_t)1 << ARENA_SHIFT)
#define REF_LEN_BITS 13
#define REF_LEN_MASK (((uint64_t)1 << REF_LEN_BITS) - 1)
/* Each block holds at least this many keys of HC_HSET_KEY_MAX bytes: a
 * straddling reservation wastes < KEY_MAX at the end of one block and
 * < KEY_MAX at the start of the next. */
#define ARENA_MIN_KEYS_PER_BLOCK \
    ((ARENA_BLOCK - 2 * HC_HSET_KEY_MAX) / HC_HSET_KEY_MAX)
/* Spare blocks for reservations made by inserts that then hit FULL: each
 * thread wastes at most one batch (HSET_BATCH keys of KEY_MAX bytes, 256
 * KiB) before it sees FULL, so 256 threads waste at most 16,384 key-sized
 * ranges: 33 blocks of ARENA_MIN_KEYS_PER_BLOCK (510) each, counting the
 * waste at block ends. Blocks are mapped on first use: a spare costs one
 * pointer until it is needed. hc_hset_grow counts what earlier rounds
 * wasted on top of these. */
#define ARENA_SPARE_BLOCKS 33
/* Sets at least this large get transparent huge pages for their arena. */
#define ARENA_HUGE_MIN_KEYS ((size_t)1 << 16)

/* Large regions are aligned to and advised for 2 MiB pages: probes land on
 * random slots, and with 4 KiB pages nearly every one is a TLB miss. */
#define HUGE_PAGE ((size_t)2 << 20)

/* hc_hset_upsert_batch works HSET_BATCH ops at a time (op indexes fit a
 * byte) and prefetches home slots HSET_AHEAD ops ahead: enough misses in
 * flight to cover memory latency without evicting what it has fetched. */
#define HSET_BATCH ((size_t)64)
#define HSET_AHEAD 16

/* Busy-wait iterations on a pending slot before yielding the CPU. */
#define HSET_SPIN_BEFORE_YIELD 128

typedef struct hset_slot {
    hc_atomic_u64 word; /* tag << 32 | (id + 1); see SLOT_EMPTY, SLOT_TOMB */
    hc_atomic_u64 hi;   /* fp.hi of the key, valid once word is published */
} hset_slot;

_Static_assert(sizeof(hset_slot) == 16, "four slots per cache line");

/* One per id, 16 bytes and 16-byte aligned: never straddles a cache line.
 * Only owner updates and key lookups by id read it, never a probe. */
typedef struct hset_entry {
    hc_atomic_u64 owner;
    uint64_t ref; /* arena offset << REF_LEN_BITS | key length */
} hset_entry;

struct hc_hset {
    /* Read-mostly: written by create and grow (exclusive access), and
     * `refuse` at most once per thread per fill (a thread that stored it
     * reads it back; others may store before they see it). */
    hset_slot *slots;
    size_t mask; /* slot count - 1 */
    size_t capacity;
    hset_entry *entries; /* capacity entries; NULL in an ids-only set */
    hc_atomic_ptr *blocks;
    size_t nblocks; /* length of blocks[]: bounds the arena */
    bool huge_arena;
    /* HC_ERR_FULL or HC_ERR_NOMEM once an insert found the set full or the
     * arena exhausted, else 0; cleared by grow. New keys read it instead
     * of the counters below, whose cache line another core is likely to
     * own: on the development VM a line moves between cores in ~230 ns. */
    hc_atomic_u32 refuse;

    /* Written by every insert: kept on their own cache line so that they
     * do not evict the read-mostly fields from the other cores. */
    _Alignas(64) hc_atomic_u32 next_id; /* may pass capacity; see upsert */
    hc_atomic_u64 cursor;               /* arena bytes handed out */
};

hc_fp hc_fingerprint(const void *key, size_t len)
{
    XXH128_hash_t h = XXH3_128bits(key, len);
    hc_fp fp = {h.low64, h.high64};
    return fp;
}

/* The home slot uses the low bits of hi; the tag uses the high bits of lo,
 * so the two are independent and a tag match is a 1 in 2^32 event. A key is
 * identified by (tag, hi): 96 bits, see hset.md for the collision bound. */
static inline uint32_t fp_tag(uint64_t fp_lo)
{
    uint32_t tag = (uint32_t)(fp_lo >> 32);
    return tag ? tag : 1;
}

static inline size_t fp_home(uint64_t fp_hi, size_t mask)
{
    return (size_t)fp_hi & mask;
}

/*
 * Prefetches a key's home slot, and the next cache line too when the home
 * is one of the last two slots of its line. In a set pre-sized for its keys
 * (load about 0.6) a probe for a present key visits 1.75 slots on average
 * and one for an absent key up to 3.6, so from those two positions a probe
 * often crosses into the next line: unprefetched, that is a second miss
 * served only after the first (see hset.md, "Probing").
 */
static inline void slot_prefetch(const hc_hset *set, uint64_t fp_hi)
{
    size_t home = fp_home(fp_hi, set->mask);
    /* Write intent: most probes of a cold slot end in a CAS on it. */
    hc__prefetch_write(&set->slots[home]);
    if ((home & 3) >= 2)
        hc__prefetch_write(&set->slots[(home + 2) & set->mask]);
}

static inline uint32_t slot_tag(uint64_t s)
{
    return (uint32_t)(s >> 32);
}
static inline uint32_t slot_low(uint64_t s)
{
    return (uint32_t)s;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Slots needed so that `keys` fit at the maximum load, or 0 if too many. */
static size_t slots_for(size_t keys)
{
    size_t slots = HSET_MIN_SLOTS;
    while (slots / HSET_LOAD_DEN * HSET_LOAD_NUM < keys) {
        if (slots >= HSET_MAX_SLOTS)
            return 0;
        slots <<= 1;
    }
    return slots;
}

static size_t capacity_of(size_t slots)
{
    return HC_MIN(slots / HSET_LOAD_DEN * HSET_LOAD_NUM,
                  (size_t)HC_HSET_MAX_KEYS);
}

static size_t blocks_for(size_t capacity)
{
    return (capacity + ARENA_MIN_KEYS_PER_BLOCK - 1) /
               ARENA_MIN_KEYS_PER_BLOCK +
           ARENA_SPARE_BLOCKS;
}

/*
 * Anonymous memory: zeroed, page-aligned (so 16-byte slots and entries
 * never straddle a cache line) and backed only once touched, so a
 * pre-sized set costs the pages its keys use. Regions of a huge page or
 * more are aligned to one and advised to use them when `huge`; the advice
 * is only a hint.
 */
static size_t region_len(size_t bytes)
{
    return bytes >= HUGE_PAGE ? (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)
                              : bytes;
}

static void *region_map(size_t bytes, bool huge)
{
    /* Maps region_len(bytes), as region_unmap expects. */
    size_t len = bytes;
    return hc__map_zeroed(&len, huge);
}

static void region_unmap(void *p, size_t bytes)
{
    hc__unmap(p, region_len(bytes));
}

hc_status hc_hset_create(size_t expected_keys, hc_hset **out)
{
    hc_hset_options opt = {expected_keys, false, false};
    return hc_hset_create_opts(&opt, out);
}

hc_status hc_hset_create_opts(const hc_hset_options *opt, hc_hset **out)
{
    hc_status rc = HC_OK;
    hc_hset *set = NULL;
    *out = NULL;
    HC_FAIL_IF(!opt, HC_ERR_ARG);
    size_t expected_keys = opt->expected_keys;
    HC_FAIL_IF(expected_keys > HC_HSET_MAX_KEYS, HC_ERR_ARG);
    if (expected_keys == 0)
        expected_keys = HSET_DEFAULT_KEYS;
    size_t nslots = slots_for(expected_keys);
    HC_FAIL_IF(nslots == 0, HC_ERR_ARG);

    set = aligned_alloc(_Alignof(hc_hset), sizeof *set);
    HC_FAIL_IF(!set, HC_ERR_NOMEM);
    memset(set, 0, sizeof *set);
    set->mask = nslots - 1;
    set->capacity = capacity_of(nslots);
    set->slots = region_map(nslots * sizeof *set->slots, true);
    HC_FAIL_IF(!set->slots, HC_ERR_NOMEM);
    if (!opt->ids_only) {
        set->nblocks = blocks_for(set->capacity);
        set->huge_arena = set->capacity >= ARENA_HUGE_MIN_KEYS;
        set->entries = region_map(set->capacity * sizeof *set->entries, true);
        set->blocks = calloc(set->nblocks, sizeof *set->blocks);
        HC_FAIL_IF(!set->entries || !set->blocks, HC_ERR_NOMEM);
    }
    if (opt->populate) {
        hc__populate(set->slots, region_len(nslots * sizeof *set->slots));
        if (set->entries)
            hc__populate(set->entries,
                         region_len(set->capacity * sizeof *set->entries));
    }
    hc_atomic_store_u32(&set->next_id, 0, HC_RELAXED);
    hc_atomic_store_u64(&set->cursor, 0, HC_RELAXED);
    *out = set;
    set = NULL;
done:
    hc_hset_destroy(set);
    return rc;
}

void hc_hset_destroy(hc_hset *set)
{
    if (!set)
        return;
    if (set->blocks) {
        for (size_t i = 0; i < set->nblocks; i++)
            region_unmap(hc_atomic_load_ptr(&set->blocks[i], HC_RELAXED),
                         ARENA_BLOCK);
    }
    free(set->blocks);
    region_unmap(set->entries, set->capacity * sizeof *set->entries);
    region_unmap(set->slots, (set->mask + 1) * sizeof *set->slots);
    free(set);
}

/* Returns block b of the arena, mapping it if this is its first use; NULL
 * when the memory cannot be mapped. */
static char *arena_block(hc_hset *set, size_t b)
{
    /* Acquire pairs with the release half of the installing CAS below, so
     * the allocation happens-before our writes into the block. */
    void *blk = hc_atomic_load_ptr(&set->blocks[b], HC_ACQUIRE);
    if (blk)
        return blk;
    void *fresh = region_map(ARENA_BLOCK, set->huge_arena);
    if (!fresh)
        return NULL;
    /* Success is a release (partner: the acquire load above and in
     * hc_hset_key); failure is an acquire of the winner's release. */
    if (hc_atomic_cas_strong_ptr(&set->blocks[b], &blk, fresh, HC_ACQ_REL,
                                 HC_ACQUIRE))
        return fresh;
    region_unmap(fresh, ARENA_BLOCK);
    return blk;
}

/*
 * Reserves len (> 0) bytes of arena that do not straddle a block. Only the
 * bump cursor is shared; it is relaxed because the fetch_add alone makes
 * every range unique, and the bytes are published by the slot release.
 */
static hc_status arena_reserve(hc_hset *set, size_t len, uint64_t *off_out,
                               char **dst)
{
    for (;;) {
        uint64_t off = hc_atomic_fetch_add_u64(&set->cursor, len, HC_RELAXED);
        size_t b = (size_t)(off >> ARENA_SHIFT);
        if (b >= set->nblocks) {
            /* Relaxed: a hint read by later inserts (see refuse). */
            hc_atomic_store_u32(&set->refuse, HC_ERR_NOMEM, HC_RELAXED);
            return HC_ERR_NOMEM;
        }
        if (((off + len - 1) >> ARENA_SHIFT) != b)
            continue; /* would straddle: the range is wasted, take another */
        char *blk = arena_block(set, b);
        if (!blk) {
            /* As for the last block: later inserts refuse before claiming
             * a slot, so that a failing mmap cannot fill the table with
             * tombstones. */
            hc_atomic_store_u32(&set->refuse, HC_ERR_NOMEM, HC_RELAXED);
            return HC_ERR_NOMEM;
        }
        *off_out = off;
        *dst = blk + (off & (ARENA_BLOCK - 1));
        return HC_OK;
    }
}

/* Turns a slot this thread holds pending into a tombstone after a failed
 * insert, so that threads waiting on it move on. Release for symmetry with
 * the publish: partners are the same acquire loads; a tombstone carries no
 * data. */
static void slot_abandon(hset_slot *slot)
{
    hc_atomic_store_u64(&slot->word, SLOT_TOMB, HC_RELEASE);
}

/*
 * Fills entry nid and publishes it in a slot this thread holds pending; the
 * key bytes are already in the arena at ref. The one linearization point of
 * an insert is the release store here.
 */
static void slot_publish(hc_hset *set, hset_slot *slot, uint32_t tag,
                         uint64_t fp_hi, uint32_t nid, uint64_t ref,
                         uint64_t owner)
{
    if (set->entries) {
        hset_entry *e = &set->entries[nid];
        e->ref = ref;
        hc_atomic_store_u64(&e->owner, owner, HC_RELAXED);
    }
    /* Relaxed: read only by threads that acquired the published word. */
    hc_atomic_store_u64(&slot->hi, fp_hi, HC_RELAXED);
    /* Release: publishes the slot's hi, the entry and the key bytes.
     * Partners: the acquire loads of the word in hset_probe, hset_wait and
     * hc_hset_find, and the acquire failure order of the claiming CAS. */
    hc_atomic_store_u64(&slot->word, (uint64_t)tag << 32 | ((uint64_t)nid + 1),
                        HC_RELEASE);
}

/* Takes n consecutive ids; returns the first. Ids at or past capacity are
 * never used (the set stays full until grow resets next_id); drawing one
 * sets refuse. Relaxed: the fetch_add alone makes ids unique; entries are
 * published by the slot releases. */
static uint32_t ids_take(hc_hset *set, uint32_t n)
{
    uint32_t nid = hc_atomic_fetch_add_u32(&set->next_id, n, HC_RELAXED);
    if ((uint64_t)nid + n > set->capacity) {
        /* Relaxed: a hint read by later inserts (see refuse). */
        hc_atomic_store_u32(&set->refuse, HC_ERR_FULL, HC_RELAXED);
    }
    return nid;
}

/*
 * Completes an insert after this thread moved *slot from empty to pending:
 * copies the key, takes the next dense id, fills the entry and publishes.
 * The arena is reserved before the id so that a failure never leaves a hole
 * in the ids. On failure the slot becomes a tombstone. Not inlined: it is
 * the cold half of an upsert (a hit never calls it), and keeping it out of
 * line keeps the probe loop small.
 */
__attribute__((noinline)) static hc_status
hset_fill(hc_hset *set, hset_slot *slot, uint32_t tag, uint64_t fp_hi,
          const void *key, size_t len, uint64_t owner, uint32_t *id)
{
    uint64_t off = 0;
    char *dst = NULL;
    if (!set->entries)
        len = 0; /* an ids-only set keeps no key bytes */
    hc_status rc = len > 0 ? arena_reserve(set, len, &off, &dst) : HC_OK;
    /* The id's fetch_add follows the cursor's directly, so both usually
     * cost one cache-line transfer. */
    uint32_t nid = rc == HC_OK ? ids_take(set, 1) : 0;
    if (rc == HC_OK && nid >= set->capacity)
        rc = HC_ERR_FULL;
    if (rc != HC_OK) {
        slot_abandon(slot);
        return rc;
    }
    if (len > 0)
        memcpy(dst, key, len);
    slot_publish(set, slot, tag, fp_hi, nid, off << REF_LEN_BITS | len, owner);
    *id = nid;
    return HC_OK;
}

/* Waits until a pending slot is published or becomes a tombstone. The
 * owner of the slot is at most a batch of inserts (a few microseconds) from
 * its release store, so this spins briefly, then yields in case that
 * thread was descheduled. */
static uint64_t hset_wait(const hset_slot *slot, uint64_t pending)
{
    unsigned spins = 0;
    uint64_t s;
    /* Acquire: partner is the release store in slot_publish. */
    while ((s = hc_atomic_load_u64(&slot->word, HC_ACQUIRE)) == pending) {
        if (++spins < HSET_SPIN_BEFORE_YIELD)
            cpu_relax();
        else
            sched_yield();
    }
    return s;
}

/* What a probe found; see hset_probe. */
typedef enum probe_result {
    PROBE_FOUND,   /* the key is published in *out; *id is set */
    PROBE_CLAIMED, /* the key was absent: *out is now pending, ours */
    PROBE_BUSY,    /* met a pending slot with the key's tag (wait false) */
    PROBE_FAILED   /* *rc: the set refuses new keys, or is full */
} probe_result;

/*
 * Looks for the key (tag, hi) from its home slot and claims the first empty
 * slot if it is absent. A pending slot with the key's tag may hold the key
 * itself, half inserted: with `wait` the probe waits for it to settle, else
 * it reports PROBE_BUSY, so that a thread holding pending slots of its own
 * never waits on another (two batches waiting on each other's slots would
 * deadlock).
 */
static inline __attribute__((always_inline)) probe_result
hset_probe(hc_hset *set, uint32_t tag, uint64_t hi, bool wait, hset_slot **out,
           uint32_t *id, hc_status *rc)
{
    size_t mask = set->mask;
    size_t i = fp_home(hi, mask);
    /* Every slot is visited at most once. The table keeps a quarter of
     * its slots empty until it runs full; then the tombstones of a batch's
     * claims past the capacity may take the last empty slots, and a miss
     * ends here (docs/internals/hset.md, Probing). */
    for (size_t probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
        hset_slot *slot = &set->slots[i];
        /* Acquire: partner is the publishing release in slot_publish, so
         * the slot's hi and the entry behind a published id are complete
         * before we read them. */
        uint64_t s = hc_atomic_load_u64(&slot->word, HC_ACQUIRE);
        for (;;) {
            if (s == SLOT_EMPTY) {
                /* The key is absent. Refuse before claiming the slot once
                 * an insert found the set full or the arena exhausted, so
                 * that repeated failures cannot fill the table with
                 * tombstones. Relaxed: a hint; the id counter decides. */
                hc_status refuse = hc_atomic_load_u32(&set->refuse, HC_RELAXED);
                if (refuse != HC_OK) {
                    *rc = refuse;
                    return PROBE_FAILED;
                }
                /* Failure is an acquire: partner is the release in
                 * slot_publish when the winner has already published. C11
                 * does not allow a failure order stronger than success,
                 * so success is an acquire too; winning the slot itself
                 * publishes nothing (waiters wait for the later release). */
                if (hc_atomic_cas_strong_u64(&slot->word, &s,
                                             (uint64_t)tag << 32, HC_ACQUIRE,
                                             HC_ACQUIRE)) {
                    *out = slot;
                    return PROBE_CLAIMED;
                }
                continue; /* lost the race: look at what won */
            }
            if (slot_tag(s) == tag && slot_low(s) == 0) {
                if (!wait)
                    return PROBE_BUSY;
                s = hset_wait(slot, s); /* maybe our key, being inserted */
                continue;
            }
            break;
        }
        /* Relaxed hi: ordered by the acquire of the published word. */
        if (slot_tag(s) != tag ||
            hc_atomic_load_u64(&slot->hi, HC_RELAXED) != hi)
            continue;
        *out = slot;
        *id = slot_low(s) - 1;
        return PROBE_FOUND;
    }
    *rc = HC_ERR_FULL;
    return PROBE_FAILED;
}

hc_status hc_hset_upsert_fp(hc_hset *set, hc_fp fp, const void *key, size_t len,
                            uint64_t owner, uint32_t *id, bool *inserted)
{
    if (inserted)
        *inserted = false;
    if (len > HC_HSET_KEY_MAX)
        return HC_ERR_LIMIT;
    uint32_t tag = fp_tag(fp.lo);
    hset_slot *slot = NULL;
    hc_status rc = HC_OK;
    switch (hset_probe(set, tag, fp.hi, true, &slot, id, &rc)) {
    case PROBE_FOUND:
        if (owner != HC_OWNER_NONE && set->entries) {
            /* Relaxed: the owner is a pure minimum, read after a join. */
            hc_atomic_fetch_min_u64(&set->entries[*id].owner, owner,
                                    HC_RELAXED);
        }
        return HC_OK;
    case PROBE_CLAIMED:
        rc = hset_fill(set, slot, tag, fp.hi, key, len, owner, id);
        if (rc == HC_OK && inserted)
            *inserted = true;
        return rc;
    default: return rc;
    }
}

/*
 * Phase two of a batch: inserts the keys whose slots phase one claimed
 * (ops[which[j]] in claimed[j]). Their arena bytes are reserved together
 * when they fit one key's worth (so the block waste bound of arena_reserve
 * holds), and their ids are taken with one fetch_add: the shared counters
 * move between cores once per batch, and each thread fills its own run of
 * entries and arena. On failure every slot not yet published becomes a
 * tombstone and its op keeps HC_HSET_NO_ID.
 */
static hc_status hset_fill_batch(hc_hset *set, hc_hset_op *ops,
                                 hset_slot *const *claimed,
                                 const uint8_t *which, size_t n, size_t bytes)
{
    uint64_t off[HSET_BATCH];
    char *dst[HSET_BATCH];
    hc_status rc = HC_OK;
    size_t at = 0;
    const bool keep = set->entries != NULL; /* key bytes kept */
    if (!keep)
        bytes = 0;
    if (bytes > 0 && bytes <= HC_HSET_KEY_MAX) {
        uint64_t o = 0;
        char *d = NULL;
        rc = arena_reserve(set, bytes, &o, &d);
        for (size_t j = 0; rc == HC_OK && j < n; j++) {
            off[j] = o + at;
            dst[j] = d + at;
            at += ops[which[j]].len;
        }
    } else {
        for (size_t j = 0; rc == HC_OK && j < n; j++) {
            off[j] = 0;
            dst[j] = NULL;
            size_t len = keep ? ops[which[j]].len : 0;
            if (len > 0)
                rc = arena_reserve(set, len, &off[j], &dst[j]);
        }
    }
    uint32_t nid = rc == HC_OK ? ids_take(set, (uint32_t)n) : 0;
    for (size_t j = 0; j < n; j++) {
        hc_hset_op *op = &ops[which[j]];
        if (rc != HC_OK || (uint64_t)nid + j >= set->capacity) {
            if (rc == HC_OK)
                rc = HC_ERR_FULL;
            slot_abandon(claimed[j]);
            continue;
        }
        size_t len = keep ? op->len : 0;
        if (len > 0)
            memcpy(dst[j], op->key, len);
        slot_publish(set, claimed[j], fp_tag(op->fp.lo), op->fp.hi,
                     nid + (uint32_t)j, off[j] << REF_LEN_BITS | len,
                     HC_OWNER_NONE);
        op->id = nid + (uint32_t)j;
        op->inserted = true;
    }
    return rc;
}

/*
 * One batch of at most HSET_BATCH ops in three phases: probe every key
 * (prefetching HSET_AHEAD ahead), claiming slots for new ones and never
 * waiting; insert the claimed keys together; then redo, one at a time and
 * waiting, the keys that met a pending slot with their tag (another
 * thread's insert, or a repeat of a key claimed earlier in this batch).
 * The first HSET_AHEAD ops arrive prefetched; ops n..avail - 1 follow in
 * the caller's array, and the probe loop prefetches into them so that the
 * next batch starts warm too.
 */
static hc_status hset_batch(hc_hset *set, hc_hset_op *ops, size_t n,
                            size_t avail)
{
    hset_slot *claimed[HSET_BATCH];
    uint8_t which[HSET_BATCH], busy[HSET_BATCH];
    size_t n_claimed = 0, n_busy = 0, bytes = 0;
    hc_status first = HC_OK;
    for (size_t i = 0; i < n; i++) {
        if (i + HSET_AHEAD < avail)
            slot_prefetch(set, ops[i + HSET_AHEAD].fp.hi);
        hc_hset_op *op = &ops[i];
        op->id = HC_HSET_NO_ID;
        op->inserted = false;
        hset_slot *slot = NULL;
        hc_status rc = HC_ERR_LIMIT;
        probe_result r = op->len > HC_HSET_KEY_MAX
                             ? PROBE_FAILED
                             : hset_probe(set, fp_tag(op->fp.lo), op->fp.hi,
                                          false, &slot, &op->id, &rc);
        if (r == PROBE_CLAIMED) {
            claimed[n_claimed] = slot;
            which[n_claimed++] = (uint8_t)i;
            bytes += op->len;
        } else if (r == PROBE_BUSY) {
            busy[n_busy++] = (uint8_t)i;
        } else if (r == PROBE_FAILED && first == HC_OK) {
            first = rc;
        }
    }
    if (n_claimed > 0) {
        hc_status rc =
            hset_fill_batch(set, ops, claimed, which, n_claimed, bytes);
        if (first == HC_OK)
            first = rc;
    }
    for (size_t j = 0; j < n_busy; j++) {
        hc_hset_op *op = &ops[busy[j]];
        hc_status rc = hc_hset_upsert_fp(set, op->fp, op->key, op->len,
                                         HC_OWNER_NONE, &op->id, &op->inserted);
        if (rc != HC_OK) {
            op->id = HC_HSET_NO_ID;
            if (first == HC_OK)
                first = rc;
        }
    }
    return first;
}

hc_status hc_hset_upsert_batch(hc_hset *set, hc_hset_op *ops, size_t n)
{
    hc_status first = HC_OK;
    /* Only the first batch starts cold: each one prefetches into the next,
     * so a long call keeps its misses in flight across batch ends. */
    for (size_t i = 0; i < HC_MIN(n, (size_t)HSET_AHEAD); i++)
        slot_prefetch(set, ops[i].fp.hi);
    for (size_t at = 0; at < n; at += HSET_BATCH) {
        hc_status rc =
            hset_batch(set, ops + at, HC_MIN(n - at, HSET_BATCH), n - at);
        if (first == HC_OK)
            first = rc;
    }
    return first;
}

hc_status hc_hset_upsert(hc_hset *set, const void *key, size_t len,
                         uint64_t owner, uint32_t *id, bool *inserted)
{
    if (len > HC_HSET_KEY_MAX) {
        if (inserted)
            *inserted = false;
        return HC_ERR_LIMIT;
    }
    return hc_hset_upsert_fp(set, hc_fingerprint(key, len), key, len, owner, id,
                             inserted);
}

void hc_hset_prefetch(const hc_hset *set, hc_fp fp)
{
    slot_prefetch(set, fp.hi);
}

void hc_hset_prefetch_entry(const hc_hset *set, hc_fp fp)
{
    if (!set->entries)
        return;
    uint32_t tag = fp_tag(fp.lo);
    size_t mask = set->mask;
    size_t i = fp_home(fp.hi, mask);
    /* Only the home slot's cache line: most keys lie there at the load
     * limit, and the line is the one hc_hset_prefetch brought in. */
    for (size_t n = 0; n < 4; n++, i = (i + 1) & mask) {
        /* Relaxed: a hint; nothing is read through this value. */
        uint64_t s = hc_atomic_load_u64(&set->slots[i].word, HC_RELAXED);
        if (s == SLOT_EMPTY)
            return;
        if (slot_tag(s) == tag && slot_low(s) != 0) {
            hc__prefetch_write(&set->entries[slot_low(s) - 1]);
            return;
        }
        if (((i + 1) & 3) == 0)
            return;
    }
}

hc_status hc_hset_find(const hc_hset *set, const void *key, size_t len,
                       uint32_t *id)
{
    if (len > HC_HSET_KEY_MAX)
        return HC_ERR_NOTFOUND;
    hc_fp fp = hc_fingerprint(key, len);
    const uint64_t hi = fp.hi;
    uint32_t tag = fp_tag(fp.lo);
    size_t mask = set->mask;
    size_t i = fp_home(hi, mask);
    for (size_t probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
        const hset_slot *slot = &set->slots[i];
        /* Acquire: partner is the publishing release in slot_publish. */
        uint64_t s = hc_atomic_load_u64(&slot->word, HC_ACQUIRE);
        if (s == SLOT_EMPTY)
            return HC_ERR_NOTFOUND;
        /* A pending slot is skipped, never waited for: if it holds our
         * key, that insert has not taken effect yet (docs/internals). */
        if (slot_tag(s) != tag || slot_low(s) == 0)
            continue;
        /* Relaxed hi: ordered by the acquire of the published word. */
        if (hc_atomic_load_u64(&slot->hi, HC_RELAXED) == hi) {
            *id = slot_low(s) - 1;
            return HC_OK;
        }
    }
    return HC_ERR_NOTFOUND;
}

void hc_hset_claim(hc_hset *set, uint32_t id, uint64_t owner)
{
    if (id >= set->capacity || !set->entries)
        return;
    /* Relaxed: the owner is a pure minimum, read after a join. */
    hc_atomic_fetch_min_u64(&set->entries[id].owner, owner, HC_RELAXED);
}

uint64_t hc_hset_owner(const hc_hset *set, uint32_t id)
{
    if (id >= set->capacity || !set->entries)
        return HC_OWNER_NONE;
    return hc_atomic_load_u64(&set->entries[id].owner, HC_RELAXED);
}

hc_str hc_hset_key(const hc_hset *set, uint32_t id)
{
    hc_str out = {NULL, 0};
    if (id >= set->capacity)
        return out;
    if (!set->entries) {
        out.ptr = "";
        return out;
    }
    uint64_t ref = set->entries[id].ref;
    size_t len = (size_t)(ref & REF_LEN_MASK);
    if (len == 0) {
        out.ptr = "";
        return out;
    }
    uint64_t off = ref >> REF_LEN_BITS;
    /* Acquire: partner is the installing CAS in arena_block (the entry
     * itself was published by the slot release). */
    const char *blk =
        hc_atomic_load_ptr(&set->blocks[off >> ARENA_SHIFT], HC_ACQUIRE);
    out.ptr = blk + (off & (ARENA_BLOCK - 1));
    out.len = len;
    return out;
}

size_t hc_hset_size(const hc_hset *set)
{
    size_t n = hc_atomic_load_u32(&set->next_id, HC_RELAXED);
    return HC_MIN(n, set->capacity);
}

size_t hc_hset_capacity(const hc_hset *set)
{
    return set->capacity;
}

hc_fp hc_hset_ident(hc_fp fp)
{
    hc_fp id = {fp_tag(fp.lo), fp.hi};
    return id;
}

size_t hc_hset_slots(const hc_hset *set)
{
    return set->mask + 1;
}

bool hc_hset_slot(const hc_hset *set, size_t i, uint32_t *id, hc_fp *ident)
{
    /* Relaxed: the caller guarantees no insert runs, so every slot is
     * published, empty or a tombstone (of a failed insert), and whatever
     * made the set quiescent (a thread join) ordered its contents before
     * this read. */
    uint64_t s = hc_atomic_load_u64(&set->slots[i].word, HC_RELAXED);
    if (slot_tag(s) == 0 || slot_low(s) == 0)
        return false; /* empty or a tombstone */
    *id = slot_low(s) - 1;
    ident->lo = slot_tag(s);
    ident->hi = hc_atomic_load_u64(&set->slots[i].hi, HC_RELAXED);
    return true;
}

size_t hc_hset_memory(const hc_hset *set)
{
    size_t bytes =
        sizeof *set + region_len((set->mask + 1) * sizeof *set->slots) +
        (set->entries ? region_len(set->capacity * sizeof *set->entries) : 0) +
        set->nblocks * sizeof *set->blocks;
    for (size_t i = 0; i < set->nblocks; i++) {
        if (hc_atomic_load_ptr(&set->blocks[i], HC_RELAXED))
            bytes += ARENA_BLOCK;
    }
    return bytes;
}

/* Places a published slot in a table that no other thread can see (grow). */
static void slot_place(hset_slot *slots, size_t mask, uint64_t word,
                       uint64_t hi)
{
    size_t i = fp_home(hi, mask);
    while (hc_atomic_load_u64(&slots[i].word, HC_RELAXED) != SLOT_EMPTY)
        i = (i + 1) & mask;
    hc_atomic_store_u64(&slots[i].hi, hi, HC_RELAXED);
    hc_atomic_store_u64(&slots[i].word, word, HC_RELAXED);
}

hc_status hc_hset_grow(hc_hset *set, size_t min_keys)
{
    hc_status rc = HC_OK;
    hset_slot *slots = NULL;
    hset_entry *entries = NULL;
    hc_atomic_ptr *blocks = NULL;
    size_t nslots = 0, cap = 0;
    HC_FAIL_IF(min_keys > HC_HSET_MAX_KEYS, HC_ERR_ARG);
    HC_FAIL_IF(set->capacity >= HC_HSET_MAX_KEYS, HC_ERR_LIMIT);
    size_t want = HC_MAX(min_keys, 2 * set->capacity);
    want = HC_MIN(want, (size_t)HC_HSET_MAX_KEYS);
    nslots = slots_for(want);
    HC_FAIL_IF(nslots == 0, HC_ERR_ARG);
    cap = capacity_of(nslots);
    const bool ids_only = !set->entries;
    /* The blocks handed out so far (keys and the waste of inserts that
     * met FULL), then room for the keys still to come at the worst size. */
    size_t n = hc_hset_size(set);
    uint64_t handed = hc_atomic_load_u64(&set->cursor, HC_RELAXED);
    size_t used = (size_t)((handed + ARENA_BLOCK - 1) >> ARENA_SHIFT);
    size_t nblocks =
        ids_only ? 0 : HC_MAX(set->nblocks, used + blocks_for(cap - n));

    slots = region_map(nslots * sizeof *slots, true);
    HC_FAIL_IF(!slots, HC_ERR_NOMEM);
    if (!ids_only) {
        entries = region_map(cap * sizeof *entries, true);
        blocks = calloc(nblocks, sizeof *blocks);
        HC_FAIL_IF(!entries || !blocks, HC_ERR_NOMEM);
    }

    /* Exclusive access: relaxed everywhere, the caller's synchronization
     * (joining the other users) orders this against every other call. */
    size_t mask = nslots - 1;
    for (size_t id = 0; !ids_only && id < n; id++) {
        const hset_entry *old = &set->entries[id];
        hset_entry *e = &entries[id];
        e->ref = old->ref;
        hc_atomic_store_u64(
            &e->owner, hc_atomic_load_u64(&old->owner, HC_RELAXED), HC_RELAXED);
    }
    /* Every published slot moves; pending ones cannot exist (exclusive
     * access) and tombstones are dropped. */
    for (size_t i = 0; i <= set->mask; i++) {
        if (i + 16 <= set->mask) {
            uint64_t ahead =
                hc_atomic_load_u64(&set->slots[i + 16].hi, HC_RELAXED);
            hc__prefetch_write(&slots[fp_home(ahead, mask)]);
        }
        uint64_t w = hc_atomic_load_u64(&set->slots[i].word, HC_RELAXED);
        if (slot_tag(w) != 0 && slot_low(w) != 0)
            slot_place(slots, mask, w,
                       hc_atomic_load_u64(&set->slots[i].hi, HC_RELAXED));
    }
    for (size_t b = 0; b < set->nblocks; b++) {
        hc_atomic_store_ptr(&blocks[b],
                            hc_atomic_load_ptr(&set->blocks[b], HC_RELAXED),
                            HC_RELAXED);
    }

    region_unmap(set->slots, (set->mask + 1) * sizeof *set->slots);
    region_unmap(set->entries, set->capacity * sizeof *set->entries);
    free(set->blocks);
    set->slots = slots;
    set->entries = entries;
    set->blocks = blocks;
    set->mask = mask;
    set->capacity = cap;
    set->nblocks = nblocks;
    set->huge_arena = !ids_only && cap >= ARENA_HUGE_MIN_KEYS;
    hc_atomic_store_u32(&set->refuse, HC_OK, HC_RELAXED);
    /* Ids handed out past the old capacity were never used. */
    hc_atomic_store_u32(&set->next_id, (uint32_t)n, HC_RELAXED);
    slots = NULL;
    entries = NULL;
    blocks = NULL;
done:
    region_unmap(slots, nslots * sizeof *slots);
    region_unmap(entries, cap * sizeof *entries);
    free(blocks);
    return rc;
}
