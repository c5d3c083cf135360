/*
 * A lock-free concurrent hash map from byte-string keys to a dense id and an
 * owner. Keys are identified by their XXH3-128 fingerprint; the key bytes are
 * copied once into an internal arena so reports can print them. Each key gets
 * a dense id (0, 1, 2, ... in the order inserting threads drew them) that
 * never changes, and an owner: a 64-bit value that only ever decreases
 * (atomic minimum), so that when threads race to claim a key the winner is
 * the one the caller ranks first, never simply the fastest thread.
 *
 * Layout, probing, memory orders, linearization points, the fingerprint
 * collision bound and growth are documented in docs/internals/hset.md.
 */
#ifndef HEADCOUNT_HSET_H
#define HEADCOUNT_HSET_H

#include <stdbool.h>
#include "headcount/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HC_HSET_KEY_MAX 4096         /* longest key, in bytes */
#define HC_HSET_MAX_KEYS 0x7fffffffu /* ids are 31-bit */
#define HC_OWNER_NONE UINT64_MAX     /* "no owner"; the initial owner */

typedef struct hc_fp {
    uint64_t lo;
    uint64_t hi;
} hc_fp;

/* XXH3-128 fingerprint of (key, len). Pure; thread-safe. */
HC_API hc_fp hc_fingerprint(const void *key, size_t len);

typedef struct hc_hset hc_hset;

/*
 * Creates a set sized to hold expected_keys without growing (0 picks a small
 * default). Returns HC_OK, HC_ERR_NOMEM, or HC_ERR_ARG when expected_keys
 * exceeds HC_HSET_MAX_KEYS. *out is owned by the caller: hc_hset_destroy.
 */
HC_API HC_NODISCARD hc_status hc_hset_create(size_t expected_keys,
                                             hc_hset **out);

/* Options of hc_hset_create_opts. */
typedef struct hc_hset_options {
    size_t expected_keys; /* as for hc_hset_create */
    /* Keep ids only: neither key bytes nor owners, 16 bytes less per key.
     * Keys are still told apart by fingerprint; hc_hset_key then gives an
     * empty key, hc_hset_owner HC_OWNER_NONE, and owners offered to
     * upserts and claims are dropped. For sets that only count and join. */
    bool ids_only;
    /* Back the slot table and the entries with memory at creation rather
     * than on first touch, as a reserve() that initializes its table
     * does: creation then costs what the first inserts would have paid
     * (on a VM whose host reclaims free memory, about 1 s per GB), and
     * inserts run at the speed of the table itself. */
    bool populate;
} hc_hset_options;

/* As hc_hset_create, with options (see hc_hset_options). */
HC_API HC_NODISCARD hc_status hc_hset_create_opts(const hc_hset_options *opt,
                                                  hc_hset **out);
HC_API void hc_hset_destroy(hc_hset *set); /* NULL is a no-op */

/*
 * Insert-or-find. Inserts the key if absent, then lowers its owner to
 * min(current owner, owner); pass HC_OWNER_NONE to leave the owner alone.
 * *id receives the key's dense id; *inserted (may be NULL) is true when this
 * call inserted the key. The key is copied.
 *
 * Thread-safe and lock-free with respect to other upserts, finds and reads.
 * Returns HC_OK; HC_ERR_FULL when the set reached its capacity (nothing was
 * inserted: stop all users, call hc_hset_grow, retry); HC_ERR_LIMIT when len
 * exceeds HC_HSET_KEY_MAX; HC_ERR_NOMEM when the key arena cannot grow.
 */
HC_API HC_NODISCARD hc_status hc_hset_upsert(hc_hset *set, const void *key,
                                             size_t len, uint64_t owner,
                                             uint32_t *id, bool *inserted);

/* As hc_hset_upsert with fp == hc_fingerprint(key, len) already computed. */
HC_API HC_NODISCARD hc_status hc_hset_upsert_fp(hc_hset *set, hc_fp fp,
                                                const void *key, size_t len,
                                                uint64_t owner, uint32_t *id,
                                                bool *inserted);

/* No id: what hc_hset_upsert_batch leaves in an op it could not do. */
#define HC_HSET_NO_ID UINT32_MAX

/* One insert-or-find of a batch: the caller fills fp (which must equal
 * hc_fingerprint(key, len)), key and len; the set fills id and inserted. */
typedef struct hc_hset_op {
    hc_fp fp;
    const void *key;
    size_t len;
    uint32_t id;
    bool inserted;
} hc_hset_op;

/*
 * Insert-or-find of n keys, leaving owners alone (a key it inserts starts
 * at HC_OWNER_NONE). The outcome is that of hc_hset_upsert_fp on each op,
 * but the call prefetches ahead by itself, and the keys one batch inserts
 * take their ids and arena bytes together: threads inserting at once share
 * the counters once per batch instead of once per key, and each fills its
 * own run of entries. The ids of new keys are dense as always. Thread-safe
 * and lock-free like hc_hset_upsert.
 *
 * Returns HC_OK when every op is done, else the first error met (as for
 * hc_hset_upsert); an op that was not done has id HC_HSET_NO_ID. Calling
 * again with the same ops after hc_hset_grow completes them: keys inserted
 * by the failed call are found.
 */
HC_API HC_NODISCARD hc_status hc_hset_upsert_batch(hc_hset *set,
                                                   hc_hset_op *ops, size_t n);

/* Hints the cache that fp will be probed soon (batched lookups). */
HC_API void hc_hset_prefetch(const hc_hset *set, hc_fp fp);

/*
 * Second stage of a batched lookup: once hc_hset_prefetch(set, fp) has had
 * time to bring in fp's home slot, reads it and prefetches the entry of a
 * key there with fp's tag, if any, so that the upsert of fp misses the
 * cache at most once. A hint only: never fails, never waits, thread-safe.
 */
HC_API void hc_hset_prefetch_entry(const hc_hset *set, hc_fp fp);

/*
 * Finds a key. Returns HC_OK with *id set, or HC_ERR_NOTFOUND. Thread-safe;
 * concurrent with upserts it sees every key whose upsert happens-before the
 * find (it returned in this thread, or in one joined or otherwise
 * synchronized with since).
 */
HC_API HC_NODISCARD hc_status hc_hset_find(const hc_hset *set, const void *key,
                                           size_t len, uint32_t *id);

/* Lowers the owner of id to min(current, owner). Thread-safe, lock-free.
 * id must be published: returned by an upsert or a find (the insert that
 * publishes an id stores its first owner plainly, over any earlier claim). */
HC_API void hc_hset_claim(hc_hset *set, uint32_t id, uint64_t owner);

/* The current owner of a published id (HC_OWNER_NONE if never claimed).
 * Thread-safe. */
HC_API uint64_t hc_hset_owner(const hc_hset *set, uint32_t id);

/* The key bytes of id, borrowed until hc_hset_destroy. Thread-safe for any
 * id returned by a completed upsert. */
HC_API hc_str hc_hset_key(const hc_hset *set, uint32_t id);

/*
 * What a set keeps of a fingerprint to tell keys apart: 96 of its 128 bits
 * (see docs/internals/hset.md), returned as lo = a 32-bit tag, hi = fp.hi.
 * Two keys of one set never have the same identity. Pure.
 */
HC_API hc_fp hc_hset_ident(hc_fp fp);

/* Number of slots of the table, the bound of hc_hset_slot. */
HC_API size_t hc_hset_slots(const hc_hset *set);

/*
 * The key in slot i < hc_hset_slots(set), if any: true with its *id and
 * *ident (hc_hset_ident of its fingerprint), false for an empty slot.
 * Enumerates the keys of a set in no particular order, ids included, even
 * in an ids-only set. Only while no upsert or grow is running.
 */
HC_API bool hc_hset_slot(const hc_hset *set, size_t i, uint32_t *id,
                         hc_fp *ident);

/* Number of keys. Exact once no upsert is running. */
HC_API size_t hc_hset_size(const hc_hset *set);

/* Number of keys the set holds before upsert returns HC_ERR_FULL. */
HC_API size_t hc_hset_capacity(const hc_hset *set);

/* Bytes of memory held: table, per-key entries, key arena. */
HC_API size_t hc_hset_memory(const hc_hset *set);

/*
 * Grows the set so that it holds at least min_keys (at least doubling, up
 * to HC_HSET_MAX_KEYS). Ids, owners and key bytes are preserved. NOT
 * thread-safe: no other call on this set may run concurrently. Returns
 * HC_OK, HC_ERR_NOMEM, HC_ERR_ARG (min_keys > HC_HSET_MAX_KEYS), or
 * HC_ERR_LIMIT when the set already holds HC_HSET_MAX_KEYS.
 */
HC_API HC_NODISCARD hc_status hc_hset_grow(hc_hset *set, size_t min_keys);

#ifdef __cplusplus
}
#endif
#endif /* HEADCOUNT_HSET_H */
