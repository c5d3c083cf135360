/*
 * Single-threaded tests of the concurrent hash map: the API contract (dense
 * ids, owner minimum, key bytes, statuses), the arena's block boundaries,
 * growth, and a seeded random run against a reference written here. The
 * seed is printed and can be replayed with HC_TEST_SEED=<n>.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define TEST_SEED_DEFAULT 0x5eed0001u
#include "test_seed.h"
#include <xxhash.h>

#include "headcount/hset.h"

static hc_hset *make_set(size_t expected)
{
    hc_hset *set = NULL;
    assert_int_equal(hc_hset_create(expected, &set), HC_OK);
    assert_non_null(set);
    return set;
}

static void assert_key(const hc_hset *set, uint32_t id, const void *key,
                       size_t len)
{
    hc_str s = hc_hset_key(set, id);
    assert_non_null(s.ptr);
    assert_int_equal(s.len, len);
    if (len)
        assert_memory_equal(s.ptr, key, len);
}

static void test_fingerprint_is_xxh3_128(void **state)
{
    (void)state;
    const char *inputs[] = {"", "a", "alice@corp.example",
                            "a considerably longer key that spans more than "
                            "one hundred and twenty-eight bytes of input so "
                            "that XXH3 takes its long-input path as well...."};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        size_t len = strlen(inputs[i]);
        hc_fp fp = hc_fingerprint(inputs[i], len);
        XXH128_hash_t h = XXH3_128bits(inputs[i], len);
        assert_int_equal(fp.lo, h.low64);
        assert_int_equal(fp.hi, h.high64);
    }
    hc_fp a = hc_fingerprint("x", 1), b = hc_fingerprint("y", 1);
    assert_true(a.lo != b.lo || a.hi != b.hi);
}

static void test_basics(void **state)
{
    (void)state;
    hc_hset *set = make_set(0);
    assert_int_equal(hc_hset_size(set), 0);
    assert_true(hc_hset_capacity(set) >= 1024);
    assert_true(hc_hset_memory(set) > 0);

    uint32_t id = 99;
    bool ins = false;
    assert_int_equal(hc_hset_upsert(set, "alice", 5, 7, &id, &ins), HC_OK);
    assert_int_equal(id, 0);
    assert_true(ins);
    assert_int_equal(hc_hset_upsert(set, "bob", 3, HC_OWNER_NONE, &id, &ins),
                     HC_OK);
    assert_int_equal(id, 1);
    assert_true(ins);
    assert_int_equal(hc_hset_upsert(set, "alice", 5, 9, &id, &ins), HC_OK);
    assert_int_equal(id, 0);
    assert_false(ins);
    /* inserted may be NULL */
    assert_int_equal(hc_hset_upsert(set, "carol", 5, 1, &id, NULL), HC_OK);
    assert_int_equal(id, 2);
    assert_int_equal(hc_hset_size(set), 3);

    assert_int_equal(hc_hset_owner(set, 0), 7);
    assert_int_equal(hc_hset_owner(set, 1), HC_OWNER_NONE);
    assert_int_equal(hc_hset_owner(set, 2), 1);
    assert_key(set, 0, "alice", 5);
    assert_key(set, 1, "bob", 3);
    assert_key(set, 2, "carol", 5);

    /* Keys are byte strings: case, prefixes and NULs all matter. */
    assert_int_equal(hc_hset_upsert(set, "Alice", 5, 1, &id, &ins), HC_OK);
    assert_true(ins);
    assert_int_equal(hc_hset_upsert(set, "alic", 4, 1, &id, &ins), HC_OK);
    assert_true(ins);
    assert_int_equal(hc_hset_upsert(set, "alice\0", 6, 1, &id, &ins), HC_OK);
    assert_true(ins);
    assert_int_equal(hc_hset_size(set), 6);

    /* The _fp variant agrees with the plain one; the prefetch hints, for
     * present and absent keys alike, change nothing. */
    hc_fp fp = hc_fingerprint("bob", 3);
    hc_hset_prefetch(set, fp);
    hc_hset_prefetch_entry(set, fp);
    hc_fp absent = hc_fingerprint("nobody", 6);
    hc_hset_prefetch(set, absent);
    hc_hset_prefetch_entry(set, absent);
    assert_int_equal(hc_hset_size(set), 6);
    assert_int_equal(hc_hset_upsert_fp(set, fp, "bob", 3, 4, &id, &ins), HC_OK);
    assert_int_equal(id, 1);
    assert_false(ins);
    assert_int_equal(hc_hset_owner(set, 1), 4);

    hc_hset_destroy(set);
    hc_hset_destroy(NULL);
}

static void test_empty_key(void **state)
{
    (void)state;
    hc_hset *set = make_set(16);
    uint32_t id = 99;
    bool ins = false;
    assert_int_equal(hc_hset_upsert(set, "", 0, 3, &id, &ins), HC_OK);
    assert_true(ins);
    assert_int_equal(id, 0);
    assert_key(set, 0, "", 0);
    assert_int_equal(hc_hset_find(set, "", 0, &id), HC_OK);
    assert_int_equal(id, 0);
    assert_int_equal(hc_hset_upsert(set, "", 0, 2, &id, &ins), HC_OK);
    assert_false(ins);
    assert_int_equal(hc_hset_owner(set, 0), 2);
    hc_hset_destroy(set);
}

static void test_dense_ids_and_duplicates(void **state)
{
    (void)state;
    hc_hset *set = make_set(5000);
    char key[32];
    for (int round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < 5000; i++) {
            int len = snprintf(key, sizeof key, "user%u@corp.example", i);
            uint32_t id = UINT32_MAX;
            bool ins = false;
            assert_int_equal(
                hc_hset_upsert(set, key, (size_t)len, i, &id, &ins), HC_OK);
            assert_int_equal(id, i);
            assert_int_equal(ins, round == 0);
        }
        assert_int_equal(hc_hset_size(set), 5000);
    }
    for (uint32_t i = 0; i < 5000; i++) {
        int len = snprintf(key, sizeof key, "user%u@corp.example", i);
        assert_key(set, i, key, (size_t)len);
        assert_int_equal(hc_hset_owner(set, i), i);
    }
    hc_hset_destroy(set);
}

static void test_owner_minimum(void **state)
{
    (void)state;
    hc_hset *set = make_set(8);
    uint32_t id;
    assert_int_equal(hc_hset_upsert(set, "k", 1, HC_OWNER_NONE, &id, NULL),
                     HC_OK);
    assert_int_equal(hc_hset_owner(set, id), HC_OWNER_NONE);
    const uint64_t offers[] = {50, 30, 40, HC_OWNER_NONE, 31, 30};
    for (size_t i = 0; i < sizeof offers / sizeof offers[0]; i++)
        assert_int_equal(hc_hset_upsert(set, "k", 1, offers[i], &id, NULL),
                         HC_OK);
    assert_int_equal(hc_hset_owner(set, id), 30);
    hc_hset_claim(set, id, 10);
    assert_int_equal(hc_hset_owner(set, id), 10);
    hc_hset_claim(set, id, 20);
    assert_int_equal(hc_hset_owner(set, id), 10);
    hc_hset_claim(set, id, HC_OWNER_NONE);
    assert_int_equal(hc_hset_owner(set, id), 10);
    hc_hset_claim(set, id, 0);
    assert_int_equal(hc_hset_owner(set, id), 0);
    /* Out-of-range ids are harmless. */
    hc_hset_claim(set, UINT32_MAX, 0);
    assert_int_equal(hc_hset_owner(set, UINT32_MAX), HC_OWNER_NONE);
    hc_str none = hc_hset_key(set, UINT32_MAX);
    assert_null(none.ptr);
    assert_int_equal(none.len, 0);
    hc_hset_destroy(set);
}

static void test_find(void **state)
{
    (void)state;
    hc_hset *set = make_set(100);
    uint32_t id = 77;
    assert_int_equal(hc_hset_find(set, "nobody", 6, &id), HC_ERR_NOTFOUND);
    assert_int_equal(id, 77);
    char key[16];
    for (int i = 0; i < 50; i++) {
        int len = snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(
            hc_hset_upsert(set, key, (size_t)len, HC_OWNER_NONE, &id, NULL),
            HC_OK);
    }
    for (int i = 0; i < 100; i++) {
        int len = snprintf(key, sizeof key, "k%d", i);
        hc_status st = hc_hset_find(set, key, (size_t)len, &id);
        if (i < 50) {
            assert_int_equal(st, HC_OK);
            assert_int_equal(id, (uint32_t)i);
        } else {
            assert_int_equal(st, HC_ERR_NOTFOUND);
        }
    }
    static char big[HC_HSET_KEY_MAX + 1];
    assert_int_equal(hc_hset_find(set, big, sizeof big, &id), HC_ERR_NOTFOUND);
    assert_int_equal(hc_hset_size(set), 50);
    hc_hset_destroy(set);
}

static void test_key_limit(void **state)
{
    (void)state;
    hc_hset *set = make_set(8);
    static char big[HC_HSET_KEY_MAX + 1];
    memset(big, 'x', sizeof big);
    uint32_t id = 5;
    bool ins = true;
    assert_int_equal(hc_hset_upsert(set, big, sizeof big, 1, &id, &ins),
                     HC_ERR_LIMIT);
    assert_false(ins);
    assert_int_equal(id, 5);
    assert_int_equal(hc_hset_size(set), 0);
    /* Exactly the limit is fine. */
    assert_int_equal(hc_hset_upsert(set, big, HC_HSET_KEY_MAX, 1, &id, &ins),
                     HC_OK);
    assert_true(ins);
    assert_key(set, id, big, HC_HSET_KEY_MAX);
    hc_hset_destroy(set);

    /* In a batch, an over-long key fails alone. The other new keys add up
     * to more than one key's worth of bytes, so their arena is reserved
     * key by key; "a" and "b" alone are reserved together. */
    set = make_set(8);
    static char keys[3][2000];
    hc_hset_op ops[6];
    const size_t lens[6] = {1, sizeof big, 2000, 2000, 2000, 1};
    for (size_t i = 0; i < 3; i++)
        memset(keys[i], (char)('p' + i), sizeof keys[i]);
    const void *ptrs[6] = {"a", big, keys[0], keys[1], keys[2], "b"};
    for (size_t i = 0; i < 6; i++) {
        ops[i].fp = hc_fingerprint(ptrs[i], lens[i]);
        ops[i].key = ptrs[i];
        ops[i].len = lens[i];
    }
    assert_int_equal(hc_hset_upsert_batch(set, ops, 6), HC_ERR_LIMIT);
    assert_int_equal(ops[1].id, HC_HSET_NO_ID);
    assert_false(ops[1].inserted);
    const uint32_t want[6] = {0, HC_HSET_NO_ID, 1, 2, 3, 4};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(ops[i].id, want[i]);
        if (i != 1)
            assert_key(set, ops[i].id, ptrs[i], lens[i]);
    }
    hc_hset_op two[2] = {ops[0], ops[5]};
    hc_hset *small = make_set(8);
    assert_int_equal(hc_hset_upsert_batch(small, two, 2), HC_OK);
    assert_key(small, two[0].id, "a", 1);
    assert_key(small, two[1].id, "b", 1);
    assert_int_equal(hc_hset_size(small), 2);
    hc_hset_destroy(small);
    hc_hset_destroy(set);
}

/* Keys of up to 4 KiB in 1 MiB blocks: many keys skip to a fresh block. */
static void test_arena_blocks(void **state)
{
    (void)state;
    uint64_t seed = test_seed();
    enum { N = 3000 };
    hc_hset *set = make_set(N);
    static char keys[N][HC_HSET_KEY_MAX];
    static size_t lens[N];
    for (size_t i = 0; i < N; i++) {
        lens[i] = 3000 + (size_t)(rng_next(&seed) % (HC_HSET_KEY_MAX - 2999));
        for (size_t j = 0; j < lens[i]; j++)
            keys[i][j] = (char)rng_next(&seed);
        memcpy(keys[i], &i, sizeof i); /* distinct */
        uint32_t id;
        bool ins;
        assert_int_equal(hc_hset_upsert(set, keys[i], lens[i], i, &id, &ins),
                         HC_OK);
        assert_true(ins);
        assert_int_equal(id, i);
    }
    for (size_t i = 0; i < N; i++)
        assert_key(set, (uint32_t)i, keys[i], lens[i]);
    assert_true(hc_hset_memory(set) > (size_t)N * 3000);
    hc_hset_destroy(set);
}

/*
 * Distinct keys whose fingerprints share the 32-bit tag (fp.lo >> 32) and
 * the home slot of a 64-slot table (fp.hi & 63): only the slot's copy of
 * fp.hi tells them apart. They were found by fingerprinting "collide-0" ..
 * "collide-4194303" and sorting by (tag, home); the test re-checks that
 * property before relying on it.
 */
static void test_tag_collisions(void **state)
{
    (void)state;
    static const uint32_t pairs[][2] = {
        {1706435, 3193042}, {440178, 2798661}, {68244, 2116244}};
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        char keys[2][32];
        size_t lens[2];
        hc_fp fps[2];
        for (int m = 0; m < 2; m++) {
            lens[m] = (size_t)snprintf(keys[m], sizeof keys[m], "collide-%u",
                                       pairs[p][m]);
            fps[m] = hc_fingerprint(keys[m], lens[m]);
        }
        assert_int_equal(fps[0].lo >> 32, fps[1].lo >> 32);
        assert_int_equal(fps[0].hi & 63, fps[1].hi & 63);
        assert_true(fps[0].hi != fps[1].hi);

        hc_hset *set = make_set(16); /* 64 slots */
        for (int r = 0; r < 2; r++) {
            for (int m = 0; m < 2; m++) {
                uint32_t id = UINT32_MAX;
                bool ins = false;
                assert_int_equal(hc_hset_upsert(set, keys[m], lens[m],
                                                (uint64_t)m, &id, &ins),
                                 HC_OK);
                assert_int_equal(ins, r == 0);
                assert_int_equal(id, (uint32_t)m);
            }
        }
        for (int m = 0; m < 2; m++) {
            uint32_t id = UINT32_MAX;
            assert_int_equal(hc_hset_find(set, keys[m], lens[m], &id), HC_OK);
            assert_int_equal(id, (uint32_t)m);
            assert_int_equal(hc_hset_owner(set, id), (uint64_t)m);
            assert_key(set, id, keys[m], lens[m]);
        }
        assert_int_equal(hc_hset_size(set), 2);
        hc_hset_destroy(set);
    }
}

static void test_create_arg(void **state)
{
    (void)state;
    hc_hset *set;
    memset(&set, 0xa5, sizeof set); /* must be reset to NULL */
    assert_int_equal(hc_hset_create((size_t)HC_HSET_MAX_KEYS + 1, &set),
                     HC_ERR_ARG);
    assert_null(set);
}

/*
 * A batch claims slots before it takes ids, so one that meets a full set
 * leaves tombstones where it claimed past the capacity: a 64-slot set
 * (capacity 48) given 64 new keys at once ends with no empty slot at all.
 * Finds of absent keys must still end (the probe is bounded by the table),
 * nothing may change, and a grow drops the tombstones.
 */
static void test_batch_past_capacity(void **state)
{
    (void)state;
    hc_hset *set = make_set(1);
    size_t cap = hc_hset_capacity(set);
    assert_int_equal(cap, 48);
    enum { N = 64 };
    static char keys[N][16];
    hc_hset_op ops[N];
    for (size_t i = 0; i < N; i++) {
        int len = snprintf(keys[i], sizeof keys[i], "k%zu", i);
        ops[i].fp = hc_fingerprint(keys[i], (size_t)len);
        ops[i].key = keys[i];
        ops[i].len = (size_t)len;
    }
    assert_int_equal(hc_hset_upsert_batch(set, ops, N), HC_ERR_FULL);
    assert_int_equal(hc_hset_size(set), cap);
    size_t kept = 0;
    uint32_t id;
    bool ins;
    for (size_t i = 0; i < N; i++) {
        if (ops[i].id == HC_HSET_NO_ID) {
            assert_false(ops[i].inserted);
            assert_int_equal(hc_hset_find(set, keys[i], ops[i].len, &id),
                             HC_ERR_NOTFOUND);
            continue;
        }
        kept++;
        assert_int_equal(hc_hset_find(set, keys[i], ops[i].len, &id), HC_OK);
        assert_int_equal(id, ops[i].id);
    }
    assert_int_equal(kept, cap);
    assert_int_equal(hc_hset_find(set, "absent", 6, &id), HC_ERR_NOTFOUND);
    assert_int_equal(hc_hset_upsert(set, "late", 4, 1, &id, &ins), HC_ERR_FULL);
    assert_int_equal(hc_hset_grow(set, 0), HC_OK);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(hc_hset_upsert(set, keys[i], ops[i].len, 1, &id, &ins),
                         HC_OK);
        assert_true(ins == (ops[i].id == HC_HSET_NO_ID));
        if (!ins)
            assert_int_equal(id, ops[i].id);
    }
    assert_int_equal(hc_hset_size(set), N);
    hc_hset_destroy(set);
}

static void test_full_then_grow(void **state)
{
    (void)state;
    hc_hset *set = make_set(100);
    size_t cap = hc_hset_capacity(set);
    assert_true(cap >= 100);
    char key[32];
    uint32_t id;
    bool ins;
    for (size_t i = 0; i < cap; i++) {
        int len = snprintf(key, sizeof key, "key-%zu", i);
        assert_int_equal(
            hc_hset_upsert(set, key, (size_t)len, 1000 - i, &id, &ins), HC_OK);
        assert_int_equal(id, i);
    }
    assert_int_equal(hc_hset_size(set), cap);
    /* Full: a new key is refused, repeatedly, and nothing changes. */
    for (int r = 0; r < 3; r++) {
        ins = true;
        assert_int_equal(hc_hset_upsert(set, "late", 4, 1, &id, &ins),
                         HC_ERR_FULL);
        assert_false(ins);
    }
    assert_int_equal(hc_hset_find(set, "late", 4, &id), HC_ERR_NOTFOUND);
    assert_int_equal(hc_hset_size(set), cap);
    /* Existing keys still upsert and claim while full. */
    assert_int_equal(hc_hset_upsert(set, "key-3", 5, 1, &id, &ins), HC_OK);
    assert_int_equal(id, 3);
    assert_false(ins);
    assert_int_equal(hc_hset_owner(set, 3), 1);

    assert_int_equal(hc_hset_grow(set, 0), HC_OK);
    size_t cap2 = hc_hset_capacity(set);
    assert_true(cap2 >= 2 * cap);
    assert_int_equal(hc_hset_size(set), cap);
    for (size_t i = 0; i < cap; i++) {
        int len = snprintf(key, sizeof key, "key-%zu", i);
        assert_int_equal(hc_hset_find(set, key, (size_t)len, &id), HC_OK);
        assert_int_equal(id, i);
        assert_key(set, id, key, (size_t)len);
        assert_int_equal(hc_hset_owner(set, id), i == 3 ? 1 : 1000 - i);
    }
    /* Inserts continue with the next dense id. */
    assert_int_equal(hc_hset_upsert(set, "late", 4, 1, &id, &ins), HC_OK);
    assert_true(ins);
    assert_int_equal(id, cap);
    for (size_t i = cap + 1; i < cap2; i++) {
        int len = snprintf(key, sizeof key, "key-%zu", i);
        assert_int_equal(hc_hset_upsert(set, key, (size_t)len, i, &id, &ins),
                         HC_OK);
        assert_true(ins);
        assert_int_equal(id, i);
    }
    assert_int_equal(hc_hset_upsert(set, "later", 5, 1, &id, &ins),
                     HC_ERR_FULL);

    /* grow honours min_keys beyond doubling, and rejects the impossible. */
    assert_int_equal(hc_hset_grow(set, 10 * cap2), HC_OK);
    assert_true(hc_hset_capacity(set) >= 10 * cap2);
    assert_int_equal(hc_hset_size(set), cap2);
    assert_int_equal(hc_hset_grow(set, (size_t)HC_HSET_MAX_KEYS + 1),
                     HC_ERR_ARG);
    assert_key(set, 0, "key-0", 5);
    assert_key(set, (uint32_t)cap, "late", 4);
    hc_hset_destroy(set);
}

/*
 * Batches of the longest keys through many growths: inserts that meet FULL
 * reserve arena bytes they then drop, and growth must leave room for those
 * on top of the keys to come (no HC_ERR_NOMEM, every key kept).
 */
static void test_grow_longest_keys(void **state)
{
    (void)state;
    enum { N = 64 * 48, B = 64 };
    hc_hset *set = make_set(1);
    char *keys = malloc((size_t)N * HC_HSET_KEY_MAX);
    assert_non_null(keys);
    for (size_t i = 0; i < N; i++) {
        char *k = keys + i * HC_HSET_KEY_MAX;
        memset(k, 'a' + (int)(i % 26), HC_HSET_KEY_MAX);
        memcpy(k, &i, sizeof i); /* distinct */
    }
    size_t grows = 0;
    for (size_t at = 0; at < N; at += B) {
        hc_hset_op ops[B];
        for (size_t j = 0; j < B; j++) {
            const char *k = keys + (at + j) * HC_HSET_KEY_MAX;
            ops[j].key = k;
            ops[j].len = HC_HSET_KEY_MAX;
            ops[j].fp = hc_fingerprint(k, HC_HSET_KEY_MAX);
        }
        hc_status rc;
        while ((rc = hc_hset_upsert_batch(set, ops, B)) == HC_ERR_FULL) {
            assert_int_equal(hc_hset_grow(set, 0), HC_OK);
            grows++;
        }
        assert_int_equal(rc, HC_OK);
    }
    assert_true(grows >= 5);
    assert_int_equal(hc_hset_size(set), N);
    for (size_t i = 0; i < N; i += 97) {
        uint32_t id;
        const char *k = keys + i * HC_HSET_KEY_MAX;
        assert_int_equal(hc_hset_find(set, k, HC_HSET_KEY_MAX, &id), HC_OK);
        assert_key(set, id, k, HC_HSET_KEY_MAX);
    }
    free(keys);
    hc_hset_destroy(set);
}

/*
 * Random upserts, batches, finds and claims against a reference. Keys come
 * from a universe whose members are distinct by construction (their index
 * is encoded in their first bytes), so the reference is a plain array indexed
 * by universe position: expected id (or -1) and expected owner.
 */
enum { UNIVERSE = 4000, OPS = 40000 };

typedef struct ref_key {
    char bytes[72];
    size_t len;
    int64_t id;
    uint64_t owner;
} ref_key;

/*
 * Checks one call of hc_hset_upsert_batch on ops for universe keys ks[0..m)
 * against the reference: done in op order, each new key taking the next id
 * while there is room, and nothing done past the capacity. Returns the
 * status the call must have returned.
 */
static hc_status check_batch(const hc_hset *set, ref_key *u, int64_t *by_id,
                             size_t *size, const size_t *ks,
                             const hc_hset_op *ops, size_t m)
{
    hc_status want = HC_OK;
    size_t cap = hc_hset_capacity(set);
    for (size_t i = 0; i < m; i++) {
        ref_key *rk = &u[ks[i]];
        bool fresh = rk->id < 0;
        if (fresh && *size == cap) {
            want = HC_ERR_FULL;
            assert_int_equal(ops[i].id, HC_HSET_NO_ID);
            assert_false(ops[i].inserted);
            continue;
        }
        if (fresh) {
            rk->id = (int64_t)*size;
            by_id[(*size)++] = (int64_t)ks[i];
        }
        assert_int_equal(ops[i].id, rk->id);
        assert_int_equal(ops[i].inserted, fresh);
    }
    return want;
}

static void test_random_vs_reference(void **state)
{
    (void)state;
    uint64_t seed = test_seed();
    static ref_key u[UNIVERSE];
    static int64_t by_id[UNIVERSE];
    for (size_t k = 0; k < UNIVERSE; k++) {
        /* Index in base 251 with a length marker, then random bytes. */
        u[k].len = 2 + (size_t)(rng_next(&seed) % 70);
        u[k].bytes[0] = (char)(k % 251);
        u[k].bytes[1] = (char)(k / 251);
        for (size_t j = 2; j < u[k].len; j++)
            u[k].bytes[j] = (char)rng_next(&seed);
        u[k].id = -1;
        u[k].owner = HC_OWNER_NONE;
    }
    /* Start tiny so that the run goes through several grows. */
    hc_hset *set = make_set(1);
    size_t size = 0, grows = 0;
    for (size_t op = 0; op < OPS; op++) {
        size_t k = (size_t)(rng_next(&seed) % UNIVERSE);
        uint64_t r = rng_next(&seed);
        uint64_t owner = r % 7 == 0 ? HC_OWNER_NONE : (r >> 8) % 100000;
        uint32_t id = UINT32_MAX;
        switch (r % 4) {
        case 0:
        case 1: {
            bool ins = false;
            hc_status st =
                hc_hset_upsert(set, u[k].bytes, u[k].len, owner, &id, &ins);
            if (st == HC_ERR_FULL) {
                assert_int_equal(u[k].id, -1);
                assert_int_equal(size, hc_hset_capacity(set));
                assert_int_equal(hc_hset_grow(set, 0), HC_OK);
                grows++;
                st =
                    hc_hset_upsert(set, u[k].bytes, u[k].len, owner, &id, &ins);
            }
            assert_int_equal(st, HC_OK);
            if (u[k].id < 0) {
                assert_true(ins);
                u[k].id = (int64_t)size;
                by_id[size++] = (int64_t)k;
            } else {
                assert_false(ins);
            }
            assert_int_equal(id, u[k].id);
            if (owner < u[k].owner)
                u[k].owner = owner;
            break;
        }
        case 2: {
            hc_status st = hc_hset_find(set, u[k].bytes, u[k].len, &id);
            if (u[k].id < 0) {
                assert_int_equal(st, HC_ERR_NOTFOUND);
            } else {
                assert_int_equal(st, HC_OK);
                assert_int_equal(id, u[k].id);
            }
            break;
        }
        default:
            if ((r >> 4) % 4 == 0) {
                /* A batch of 1..64 keys, some repeated within it. */
                size_t ks[64], m = 1 + (size_t)((r >> 20) % 64);
                hc_hset_op ops[64];
                for (size_t i = 0; i < m; i++) {
                    ks[i] = i > 0 && rng_next(&seed) % 4 == 0
                                ? ks[rng_next(&seed) % i]
                                : (size_t)(rng_next(&seed) % UNIVERSE);
                    const ref_key *rk = &u[ks[i]];
                    ops[i].fp = hc_fingerprint(rk->bytes, rk->len);
                    ops[i].key = rk->bytes;
                    ops[i].len = rk->len;
                }
                hc_status st = hc_hset_upsert_batch(set, ops, m);
                assert_int_equal(st,
                                 check_batch(set, u, by_id, &size, ks, ops, m));
                if (st == HC_ERR_FULL) {
                    /* Grow and call again: what was done is found. */
                    assert_int_equal(hc_hset_grow(set, 0), HC_OK);
                    grows++;
                    hc_hset_op again[64];
                    memcpy(again, ops, m * sizeof *ops);
                    assert_int_equal(hc_hset_upsert_batch(set, again, m),
                                     HC_OK);
                    /* Keys done the first time are found, not inserted. */
                    assert_int_equal(
                        check_batch(set, u, by_id, &size, ks, again, m), HC_OK);
                }
            } else if (u[k].id >= 0) {
                hc_hset_claim(set, (uint32_t)u[k].id, owner);
                if (owner < u[k].owner)
                    u[k].owner = owner;
            }
            break;
        }
        assert_int_equal(hc_hset_size(set), size);
    }
    assert_true(grows >= 3);
    for (size_t i = 0; i < size; i++) {
        const ref_key *rk = &u[by_id[i]];
        assert_key(set, (uint32_t)i, rk->bytes, rk->len);
        assert_int_equal(hc_hset_owner(set, (uint32_t)i), rk->owner);
    }
    hc_hset_destroy(set);
}

/*
 * An ids-only set against a full one fed the same operations: same ids,
 * same inserted flags, same finds, same growth; empty keys, no owners, and
 * less memory.
 */
/* hc_hset_slot enumerates every key once with its id and identity, in a
 * set that grew and saw batches fail on FULL (their slots tombstoned), in
 * full and ids-only sets alike. */
static void test_slots(void **state)
{
    (void)state;
    for (int ids_only = 0; ids_only < 2; ids_only++) {
        uint64_t seed = test_seed() ^ 0x5107;
        hc_hset *set = NULL;
        hc_hset_options o = {1, ids_only != 0, false};
        assert_int_equal(hc_hset_create_opts(&o, &set), HC_OK);
        enum { N = 3000 };
        static uint32_t key_of_id[N];
        char keys[64][24];
        uint32_t nums[64];
        hc_hset_op ops[64];
        size_t size = 0;
        while (size < N - 64) {
            size_t m = 1 + (size_t)(rng_next(&seed) % 64);
            for (size_t i = 0; i < m; i++) {
                nums[i] = (uint32_t)(rng_next(&seed) % 100000);
                int len = snprintf(keys[i], sizeof keys[i], "s%u", nums[i]);
                ops[i].fp = hc_fingerprint(keys[i], (size_t)len);
                ops[i].key = keys[i];
                ops[i].len = (size_t)len;
            }
            hc_status rc = hc_hset_upsert_batch(set, ops, m);
            if (rc == HC_ERR_FULL) {
                assert_int_equal(hc_hset_grow(set, 0), HC_OK);
                rc = hc_hset_upsert_batch(set, ops, m);
            }
            assert_int_equal(rc, HC_OK);
            for (size_t i = 0; i < m; i++) {
                assert_true(ops[i].id < N);
                key_of_id[ops[i].id] = nums[i];
            }
            size = hc_hset_size(set);
        }
        static bool seen[N];
        memset(seen, 0, sizeof seen);
        size_t found = 0;
        for (size_t i = 0; i < hc_hset_slots(set); i++) {
            uint32_t id;
            hc_fp ident;
            if (!hc_hset_slot(set, i, &id, &ident))
                continue;
            assert_true(id < size);
            assert_false(seen[id]);
            seen[id] = true;
            found++;
            char k[24];
            int len = snprintf(k, sizeof k, "s%u", key_of_id[id]);
            hc_fp want = hc_hset_ident(hc_fingerprint(k, (size_t)len));
            assert_true(ident.lo == want.lo && ident.hi == want.hi);
        }
        assert_int_equal(found, size);
        hc_hset_destroy(set);
    }
}

static void test_ids_only(void **state)
{
    (void)state;
    uint64_t seed = test_seed() ^ 0x1d5;
    hc_hset *full = make_set(1), *ids = NULL;
    hc_hset_options o = {1, true, false};
    assert_int_equal(hc_hset_create_opts(&o, &ids), HC_OK);
    assert_int_equal(hc_hset_capacity(ids), hc_hset_capacity(full));
    char keys[64][24];
    hc_hset_op a[64], b[64];
    for (int round = 0; round < 300; round++) {
        size_t m = 1 + (size_t)(rng_next(&seed) % 64);
        for (size_t i = 0; i < m; i++) {
            int len = snprintf(keys[i], sizeof keys[i], "k%llu",
                               (unsigned long long)(rng_next(&seed) % 5000));
            a[i].fp = hc_fingerprint(keys[i], (size_t)len);
            a[i].key = keys[i];
            a[i].len = (size_t)len;
            b[i] = a[i];
        }
        hc_status ra = hc_hset_upsert_batch(full, a, m);
        hc_status rb = hc_hset_upsert_batch(ids, b, m);
        assert_int_equal(ra, rb);
        if (ra == HC_ERR_FULL) {
            assert_int_equal(hc_hset_grow(full, 0), HC_OK);
            assert_int_equal(hc_hset_grow(ids, 0), HC_OK);
            assert_int_equal(hc_hset_capacity(ids), hc_hset_capacity(full));
            assert_int_equal(hc_hset_upsert_batch(full, a, m), HC_OK);
            assert_int_equal(hc_hset_upsert_batch(ids, b, m), HC_OK);
        }
        for (size_t i = 0; i < m; i++) {
            assert_int_equal(a[i].id, b[i].id);
            assert_int_equal(a[i].inserted, b[i].inserted);
        }
        /* Single upserts and finds agree too; owners are dropped. */
        size_t k = (size_t)(rng_next(&seed) % m);
        uint32_t ia = 0, ib = 1;
        bool xa = false, xb = true;
        hc_status sa = hc_hset_upsert(full, a[k].key, a[k].len, 7, &ia, &xa);
        hc_status sb = hc_hset_upsert(ids, a[k].key, a[k].len, 7, &ib, &xb);
        assert_int_equal(sa, HC_OK);
        assert_int_equal(sb, HC_OK);
        assert_int_equal(ia, ib);
        assert_int_equal(xa, xb);
        assert_int_equal(hc_hset_owner(full, ia), 7);
        hc_hset_claim(ids, ib, 3);
        assert_int_equal(hc_hset_owner(ids, ib), HC_OWNER_NONE);
        hc_str s = hc_hset_key(ids, ib);
        assert_non_null(s.ptr);
        assert_int_equal(s.len, 0);
        assert_int_equal(hc_hset_find(ids, a[k].key, a[k].len, &ib), HC_OK);
        assert_int_equal(ia, ib);
        assert_int_equal(hc_hset_find(ids, "absent", 6, &ib), HC_ERR_NOTFOUND);
    }
    assert_true(hc_hset_capacity(ids) > 64); /* it grew */
    assert_int_equal(hc_hset_size(ids), hc_hset_size(full));
    assert_true(hc_hset_memory(ids) < hc_hset_memory(full));
    hc_hset_destroy(full);
    hc_hset_destroy(ids);
    assert_int_equal(hc_hset_create_opts(NULL, &ids), HC_ERR_ARG);
    assert_null(ids);
}

/* A populated set behaves as a fresh one: same capacity and memory, every
 * slot empty, and the same ids, owners and keys for the same inserts. */
static void test_populate(void **state)
{
    (void)state;
    for (int ids_only = 0; ids_only < 2; ids_only++) {
        hc_hset *plain = NULL, *pop = NULL;
        hc_hset_options a = {20000, ids_only != 0, false};
        hc_hset_options b = {20000, ids_only != 0, true};
        assert_int_equal(hc_hset_create_opts(&a, &plain), HC_OK);
        assert_int_equal(hc_hset_create_opts(&b, &pop), HC_OK);
        assert_int_equal(hc_hset_capacity(pop), hc_hset_capacity(plain));
        assert_int_equal(hc_hset_memory(pop), hc_hset_memory(plain));
        assert_int_equal(hc_hset_size(pop), 0);
        for (unsigned i = 0; i < 30000; i++) {
            char k[16];
            int len = snprintf(k, sizeof k, "p%u", i % 20000);
            uint32_t ia, ib;
            bool xa, xb;
            assert_int_equal(hc_hset_upsert(plain, k, (size_t)len, i, &ia, &xa),
                             HC_OK);
            assert_int_equal(hc_hset_upsert(pop, k, (size_t)len, i, &ib, &xb),
                             HC_OK);
            assert_int_equal(ia, ib);
            assert_int_equal(xa, xb);
        }
        assert_int_equal(hc_hset_size(pop), 20000);
        for (uint32_t id = 0; id < 20000; id++) {
            assert_int_equal(hc_hset_owner(pop, id), hc_hset_owner(plain, id));
            hc_str ka = hc_hset_key(plain, id), kb = hc_hset_key(pop, id);
            assert_int_equal(ka.len, kb.len);
            assert_memory_equal(ka.ptr, kb.ptr, ka.len);
        }
        hc_hset_destroy(plain);
        hc_hset_destroy(pop);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprint_is_xxh3_128),
        cmocka_unit_test(test_basics),
        cmocka_unit_test(test_empty_key),
        cmocka_unit_test(test_dense_ids_and_duplicates),
        cmocka_unit_test(test_owner_minimum),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_key_limit),
        cmocka_unit_test(test_arena_blocks),
        cmocka_unit_test(test_tag_collisions),
        cmocka_unit_test(test_create_arg),
        cmocka_unit_test(test_full_then_grow),
        cmocka_unit_test(test_batch_past_capacity),
        cmocka_unit_test(test_grow_longest_keys),
        cmocka_unit_test(test_random_vs_reference),
        cmocka_unit_test(test_ids_only),
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_populate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
