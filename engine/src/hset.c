/*
 * The lock-free concurrent hash map behind every "distinct key" question in
 * headcount. A flat power-of-two array of 8-byte slots, probed linearly,
 * maps a key's XXH3-128 fingerprint to a dense id; a per-id entry array
 * holds the full fingerprint, the owner (an atomic minimum) and where the
 * key bytes live in a bump-allocated arena of fixed-size blocks. A slot goes
 * empty -> pending (tag only: this thread won the slot and is filling the
 * entry) -> published (tag and id) or, when the insert fails, tombstone; it
 * never goes back, which is what makes lock-free probing sound. Layout,
 * memory orders and linearization points: docs/internals/hset.md.
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
 * Slot encoding: high word = 32-bit tag (never 0), low word = id + 1, or 0
 * while the inserting thread fills the entry. A slot with tag 0 and a
 * nonzero low word is a tombstone: it matches no key and is never reused.
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
/* Spare blocks for reservations made by inserts that then hit FULL (at
 * most one per concurrent thread, 256 threads of 4 KiB = 1 MiB). */
#define ARENA_SPARE_BLOCKS 4
/* Sets at least this large get transparent huge pages for their arena. */
#define ARENA_HUGE_MIN_KEYS ((size_t)1 << 16)

/* Large regions are aligned to and advised for 2 MiB pages: probes land on
 * random slots, and with 4 KiB pages nearly every one is a TLB miss. */
#define HUGE_PAGE ((size_t)2 << 20)

/* Busy-wait iterations on a pending slot before yielding the CPU. */
#define HSET_SPIN_BEFORE_YIELD 128

/* One per id, 32 bytes and 32-byte aligned: never straddles a cache line. */
typedef struct hset_entry {
    hc_fp fp;
    hc_atomic_u64 owner;
    uint64_t ref; /* arena offset << REF_LEN_BITS | key length */
} hset_entry;

struct hc_hset {
    /* Read-mostly: written by create and grow (exclusive access), and
     * `refuse` at most once per fill. */
    hc_atomic_u64 *slots;
    size_t mask; /* slot count - 1 */
    size_t capacity;
    hset_entry *entries; /* capacity entries */
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

/* The home slot uses the low bits of lo; the tag uses the high bits of hi,
 * so the two are independent and a tag match is a 1 in 2^32 event. */
static inline uint32_t fp_tag(uint64_t fp_hi)
{
    uint32_t tag = (uint32_t)(fp_hi >> 32);
    return tag ? tag : 1;
}

/* Fingerprints travel as two scalars on the hot paths, for the reason given
 * at hset_fill. */
static inline bool fp_is(const hc_fp *a, uint64_t lo, uint64_t hi)
{
    return a->lo == lo && a->hi == hi;
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
 * Anonymous memory: zeroed, page-aligned (so 32-byte entries never straddle
 * a cache line) and backed only once touched, so a pre-sized set costs the
 * pages its keys use. Regions of a huge page or more are aligned to one and
 * advised to use them when `huge`; the advice is only a hint.
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
    hc_status rc = HC_OK;
    hc_hset *set = NULL;
    *out = NULL;
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
    set->nblocks = blocks_for(set->capacity);
    set->huge_arena = set->capacity >= ARENA_HUGE_MIN_KEYS;
    set->slots = region_map(nslots * sizeof *set->slots, true);
    set->entries = region_map(set->capacity * sizeof *set->entries, true);
    set->blocks = calloc(set->nblocks, sizeof *set->blocks);
    HC_FAIL_IF(!set->slots || !set->entries || !set->blocks, HC_ERR_NOMEM);
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
        if (!blk)
            return HC_ERR_NOMEM;
        *off_out = off;
        *dst = blk + (off & (ARENA_BLOCK - 1));
        return HC_OK;
    }
}

/*
 * Completes an insert after this thread moved *slot from empty to pending:
 * copies the key, takes the next dense id, fills the entry and publishes.
 * The arena is reserved before the id so that a failure never leaves a hole
 * in the ids. On failure the slot becomes a tombstone (waiters move on).
 * Not inlined: GCC vectorizes the two fingerprint stores, and inlined that
 * would make the caller spill its fingerprint and reload it as one vector,
 * a store-forwarding stall on every hit.
 */
__attribute__((noinline)) static hc_status
hset_fill(hc_hset *set, hc_atomic_u64 *slot, uint32_t tag, uint64_t fp_lo,
          uint64_t fp_hi, const void *key, size_t len, uint64_t owner,
          uint32_t *id)
{
    hc_status rc = HC_OK;
    uint64_t off = 0;
    char *dst = NULL;
    if (len > 0)
        HC_TRY(arena_reserve(set, len, &off, &dst));
    /* Relaxed: the fetch_add alone makes ids unique; the entry is
     * published by the slot release below. It follows the cursor's
     * fetch_add directly, so both usually cost one cache-line transfer.
     * Ids at or past capacity are never used (the set stays full until
     * grow resets next_id). */
    uint32_t nid = hc_atomic_fetch_add_u32(&set->next_id, 1, HC_RELAXED);
    if (nid >= set->capacity) {
        /* Relaxed: a hint read by later inserts (see refuse). */
        hc_atomic_store_u32(&set->refuse, HC_ERR_FULL, HC_RELAXED);
    }
    HC_FAIL_IF(nid >= set->capacity, HC_ERR_FULL);
    if (len > 0)
        memcpy(dst, key, len);
    uint64_t ref = off << REF_LEN_BITS | len;
    hset_entry *e = &set->entries[nid];
    e->fp.lo = fp_lo;
    e->fp.hi = fp_hi;
    e->ref = ref;
    hc_atomic_store_u64(&e->owner, owner, HC_RELAXED);
    /* Release: publishes the entry and the key bytes. Partners: the
     * acquire loads of the slot in hc_hset_upsert_fp, hset_wait and
     * hc_hset_find, and the acquire failure order of the claiming CAS. */
    hc_atomic_store_u64(slot, (uint64_t)tag << 32 | ((uint64_t)nid + 1),
                        HC_RELEASE);
    *id = nid;
done:
    if (rc != HC_OK) {
        /* Release for symmetry with the publish: partner is the same set
         * of acquire loads; a tombstone carries no data. */
        hc_atomic_store_u64(slot, SLOT_TOMB, HC_RELEASE);
    }
    return rc;
}

/* Waits until a pending slot is published or becomes a tombstone. The
 * owner of the slot is a few hundred instructions from its release store
 * (one memcpy, rarely mapping a block), so this spins briefly, then yields in
 * case that thread was descheduled. */
static uint64_t hset_wait(const hc_atomic_u64 *slot, uint64_t pending)
{
    unsigned spins = 0;
    uint64_t s;
    /* Acquire: partner is the release store in hset_fill. */
    while ((s = hc_atomic_load_u64(slot, HC_ACQUIRE)) == pending) {
        if (++spins < HSET_SPIN_BEFORE_YIELD)
            cpu_relax();
        else
            sched_yield();
    }
    return s;
}

hc_status hc_hset_upsert_fp(hc_hset *set, hc_fp fp, const void *key, size_t len,
                            uint64_t owner, uint32_t *id, bool *inserted)
{
    if (inserted)
        *inserted = false;
    if (len > HC_HSET_KEY_MAX)
        return HC_ERR_LIMIT;
    const uint64_t lo = fp.lo, hi = fp.hi;
    uint32_t tag = fp_tag(hi);
    size_t mask = set->mask;
    size_t i = (size_t)lo & mask;
    /* Every slot is visited at most once; the table always keeps a
     * quarter of its slots empty, so the bound is only a safety net. */
    for (size_t probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
        hc_atomic_u64 *slot = &set->slots[i];
        /* Acquire: partner is the publishing release in hset_fill, so the
         * entry behind a published id is complete before we read it. */
        uint64_t s = hc_atomic_load_u64(slot, HC_ACQUIRE);
        for (;;) {
            if (s == SLOT_EMPTY) {
                /* The key is absent. Refuse before claiming the slot once
                 * an insert found the set full or the arena exhausted, so
                 * that repeated failures cannot fill the table with
                 * tombstones. Relaxed: a hint; hset_fill decides. */
                hc_status refuse = hc_atomic_load_u32(&set->refuse, HC_RELAXED);
                if (refuse != HC_OK)
                    return refuse;
                uint64_t pending = (uint64_t)tag << 32;
                /* Failure is an acquire: partner is the release in
                 * hset_fill when the winner has already published. C11
                 * does not allow a failure order stronger than success,
                 * so success is an acquire too; winning the slot itself
                 * publishes nothing (waiters wait for the later release). */
                if (hc_atomic_cas_strong_u64(slot, &s, pending, HC_ACQUIRE,
                                             HC_ACQUIRE)) {
                    hc_status rc =
                        hset_fill(set, slot, tag, lo, hi, key, len, owner, id);
                    if (rc == HC_OK && inserted)
                        *inserted = true;
                    return rc;
                }
                continue; /* lost the race: look at what won */
            }
            if (slot_tag(s) == tag && slot_low(s) == 0) {
                s = hset_wait(slot, s); /* maybe our key, being inserted */
                continue;
            }
            break;
        }
        if (slot_tag(s) != tag)
            continue;
        uint32_t cand = slot_low(s) - 1;
        hset_entry *e = &set->entries[cand];
        if (!fp_is(&e->fp, lo, hi))
            continue;
        if (owner != HC_OWNER_NONE) {
            /* Relaxed: the owner is a pure minimum, read after a join. */
            hc_atomic_fetch_min_u64(&e->owner, owner, HC_RELAXED);
        }
        *id = cand;
        return HC_OK;
    }
    return HC_ERR_FULL;
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
    /* Write intent: most probes of a cold slot end in a CAS on it. */
    __builtin_prefetch(&set->slots[(size_t)fp.lo & set->mask], 1, 3);
}

void hc_hset_prefetch_entry(const hc_hset *set, hc_fp fp)
{
    uint32_t tag = fp_tag(fp.hi);
    size_t mask = set->mask;
    size_t i = (size_t)fp.lo & mask;
    /* Only the home slot's cache line: nearly every key lies there at the
     * load limit, and the line is the one hc_hset_prefetch brought in. */
    for (size_t n = 0; n < 8; n++, i = (i + 1) & mask) {
        /* Relaxed: a hint; nothing is read through this value. */
        uint64_t s = hc_atomic_load_u64(&set->slots[i], HC_RELAXED);
        if (s == SLOT_EMPTY)
            return;
        if (slot_tag(s) == tag && slot_low(s) != 0) {
            __builtin_prefetch(&set->entries[slot_low(s) - 1], 1, 3);
            return;
        }
        if (((i + 1) & 7) == 0)
            return;
    }
}

hc_status hc_hset_find(const hc_hset *set, const void *key, size_t len,
                       uint32_t *id)
{
    if (len > HC_HSET_KEY_MAX)
        return HC_ERR_NOTFOUND;
    hc_fp fp = hc_fingerprint(key, len);
    const uint64_t lo = fp.lo, hi = fp.hi;
    uint32_t tag = fp_tag(hi);
    size_t mask = set->mask;
    size_t i = (size_t)lo & mask;
    for (size_t probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
        /* Acquire: partner is the publishing release in hset_fill. */
        uint64_t s = hc_atomic_load_u64(&set->slots[i], HC_ACQUIRE);
        if (s == SLOT_EMPTY)
            return HC_ERR_NOTFOUND;
        /* A pending slot is skipped, never waited for: if it holds our
         * key, that insert has not taken effect yet (docs/internals). */
        if (slot_tag(s) != tag || slot_low(s) == 0)
            continue;
        uint32_t cand = slot_low(s) - 1;
        if (fp_is(&set->entries[cand].fp, lo, hi)) {
            *id = cand;
            return HC_OK;
        }
    }
    return HC_ERR_NOTFOUND;
}

void hc_hset_claim(hc_hset *set, uint32_t id, uint64_t owner)
{
    if (id >= set->capacity)
        return;
    /* Relaxed: the owner is a pure minimum, read after a join. */
    hc_atomic_fetch_min_u64(&set->entries[id].owner, owner, HC_RELAXED);
}

uint64_t hc_hset_owner(const hc_hset *set, uint32_t id)
{
    if (id >= set->capacity)
        return HC_OWNER_NONE;
    return hc_atomic_load_u64(&set->entries[id].owner, HC_RELAXED);
}

hc_str hc_hset_key(const hc_hset *set, uint32_t id)
{
    hc_str out = {NULL, 0};
    if (id >= set->capacity)
        return out;
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

size_t hc_hset_memory(const hc_hset *set)
{
    size_t bytes = sizeof *set +
                   region_len((set->mask + 1) * sizeof *set->slots) +
                   region_len(set->capacity * sizeof *set->entries) +
                   set->nblocks * sizeof *set->blocks;
    for (size_t i = 0; i < set->nblocks; i++) {
        if (hc_atomic_load_ptr(&set->blocks[i], HC_RELAXED))
            bytes += ARENA_BLOCK;
    }
    return bytes;
}

/* Places id in a table that no other thread can see (grow). */
static void slot_place(hc_atomic_u64 *slots, size_t mask, hc_fp fp, uint32_t id)
{
    size_t i = (size_t)fp.lo & mask;
    while (hc_atomic_load_u64(&slots[i], HC_RELAXED) != SLOT_EMPTY)
        i = (i + 1) & mask;
    hc_atomic_store_u64(&slots[i], (uint64_t)fp_tag(fp.hi) << 32 | (id + 1u),
                        HC_RELAXED);
}

hc_status hc_hset_grow(hc_hset *set, size_t min_keys)
{
    hc_status rc = HC_OK;
    hc_atomic_u64 *slots = NULL;
    hset_entry *entries = NULL;
    hc_atomic_ptr *blocks = NULL;
    size_t nslots = 0, cap = 0;
    HC_FAIL_IF(min_keys > HC_HSET_MAX_KEYS, HC_ERR_ARG);
    HC_FAIL_IF(set->capacity >= HC_HSET_MAX_KEYS, HC_ERR_ARG);
    size_t want = HC_MAX(min_keys, 2 * set->capacity);
    want = HC_MIN(want, (size_t)HC_HSET_MAX_KEYS);
    nslots = slots_for(want);
    HC_FAIL_IF(nslots == 0, HC_ERR_ARG);
    cap = capacity_of(nslots);
    size_t nblocks = HC_MAX(set->nblocks, blocks_for(cap));

    slots = region_map(nslots * sizeof *slots, true);
    entries = region_map(cap * sizeof *entries, true);
    blocks = calloc(nblocks, sizeof *blocks);
    HC_FAIL_IF(!slots || !entries || !blocks, HC_ERR_NOMEM);

    /* Exclusive access: relaxed everywhere, the caller's synchronization
     * (joining the other users) orders this against every other call. */
    size_t n = hc_hset_size(set);
    size_t mask = nslots - 1;
    for (size_t id = 0; id < n; id++) {
        const hset_entry *old = &set->entries[id];
        hset_entry *e = &entries[id];
        e->fp = old->fp;
        e->ref = old->ref;
        hc_atomic_store_u64(
            &e->owner, hc_atomic_load_u64(&old->owner, HC_RELAXED), HC_RELAXED);
        if (id + 16 < n) {
            __builtin_prefetch(
                &slots[(size_t)set->entries[id + 16].fp.lo & mask], 1, 3);
        }
        slot_place(slots, mask, e->fp, (uint32_t)id);
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
    set->huge_arena = cap >= ARENA_HUGE_MIN_KEYS;
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
