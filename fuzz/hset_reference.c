/*
 * Fuzz target: the hash set against a plain array. The input is a program
 * of operations (upsert a key with an owner, find, claim, grow, check all)
 * run on a small hc_hset, mirrored by an array of {key bytes, owner} indexed
 * by id. After every step the set must agree: ids dense in insertion order
 * and stable across growth, `inserted` only for new keys, owners the
 * running minimum, HC_ERR_FULL exactly when a new key meets a full set (and
 * then nothing inserted), HC_ERR_LIMIT for oversized keys, find and the key
 * bytes as recorded. Batches (hc_hset_upsert_batch) must do exactly what
 * the same upserts one by one would, new keys taking ids in op order.
 */
#include "fuzz_common.h"

#define MAX_KEYS 2048
#define GROW_MAX ((size_t)1 << 16) /* no explicit grow beyond this */

typedef struct ref_key {
    unsigned char *b;
    size_t n;
    uint64_t owner;
} ref_key;

static ref_key ref[MAX_KEYS];
static size_t ref_n;

static const uint64_t owners[] = {
    HC_OWNER_NONE, 0, 1, 2, 7, 1000, UINT64_MAX - 1, (uint64_t)1 << 63};

static long ref_find(const void *k, size_t n)
{
    for (size_t i = 0; i < ref_n; i++)
        if (ref[i].n == n && (n == 0 || memcmp(ref[i].b, k, n) == 0))
            return (long)i;
    return -1;
}

/*
 * Key number idx: mostly short printable keys, some with NUL bytes, a few
 * long ones (up to HC_HSET_KEY_MAX) so that the arena's block ends are hit.
 */
static size_t key_make(unsigned idx, unsigned char *out)
{
    size_t n;
    if (idx == 0)
        return 0;
    if (idx % 16 == 5)
        n = (size_t)(idx * 257u) % (HC_HSET_KEY_MAX + 1);
    else
        n = 1 + idx % 23;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(idx * 31u + i * (idx % 7 == 3 ? 0u : 1u));
    if (n >= 4)
        memcpy(out, &idx, sizeof idx < n ? sizeof idx : n);
    return n;
}

static void check_id(const hc_hset *s, uint32_t id)
{
    const ref_key *r = &ref[id];
    hc_str k = hc_hset_key(s, id);
    FUZZ_CHECK(k.len == r->n && (r->n == 0 || memcmp(k.ptr, r->b, r->n) == 0),
               "key bytes of id %u differ (len %zu vs %zu)", (unsigned)id,
               k.len, r->n);
    uint64_t o = hc_hset_owner(s, id);
    FUZZ_CHECK(o == r->owner, "owner of id %u is %llu, reference %llu",
               (unsigned)id, (unsigned long long)o,
               (unsigned long long)r->owner);
    uint32_t got = UINT32_MAX;
    FUZZ_OK(hc_hset_find(s, r->b, r->n, &got));
    FUZZ_CHECK(got == id, "find of id %u's key gave %u", (unsigned)id,
               (unsigned)got);
}

static void check_all(const hc_hset *s)
{
    FUZZ_CHECK(hc_hset_size(s) == ref_n, "size %zu, reference %zu",
               hc_hset_size(s), ref_n);
    FUZZ_CHECK(hc_hset_capacity(s) >= ref_n, "capacity %zu < size %zu",
               hc_hset_capacity(s), ref_n);
    for (size_t i = 0; i < ref_n; i++)
        check_id(s, (uint32_t)i);
}

static void ref_add(const unsigned char *k, size_t n, uint64_t owner)
{
    FUZZ_CHECK(ref_n < MAX_KEYS, "reference full");
    ref_key *r = &ref[ref_n++];
    r->b = malloc(n ? n : 1);
    FUZZ_CHECK(r->b != NULL, "out of memory");
    if (n)
        memcpy(r->b, k, n);
    r->n = n;
    r->owner = owner;
}

static void upsert(hc_hset *s, const unsigned char *k, size_t n, uint64_t owner,
                   bool with_fp)
{
    uint32_t id = UINT32_MAX;
    bool inserted = true;
    long at = ref_find(k, n);
    size_t cap = hc_hset_capacity(s);
    hc_status rc = with_fp ? hc_hset_upsert_fp(s, hc_fingerprint(k, n), k, n,
                                               owner, &id, &inserted)
                           : hc_hset_upsert(s, k, n, owner, &id, &inserted);
    if (n > HC_HSET_KEY_MAX) {
        FUZZ_CHECK(rc == HC_ERR_LIMIT, "key of %zu bytes gave %s", n,
                   hc_status_str(rc));
        FUZZ_CHECK(!inserted, "inserted set on HC_ERR_LIMIT");
        return;
    }
    if (at >= 0) {
        FUZZ_CHECK(rc == HC_OK, "upsert of a present key gave %s",
                   hc_status_str(rc));
        FUZZ_CHECK(id == (uint32_t)at && !inserted,
                   "present key: id %u (want %ld), inserted %d", (unsigned)id,
                   at, inserted);
        if (owner < ref[at].owner)
            ref[at].owner = owner;
        check_id(s, id);
        return;
    }
    if (ref_n == cap) {
        FUZZ_CHECK(rc == HC_ERR_FULL, "new key in a full set gave %s",
                   hc_status_str(rc));
        FUZZ_CHECK(!inserted, "inserted set on HC_ERR_FULL");
        FUZZ_CHECK(hc_hset_find(s, k, n, &id) == HC_ERR_NOTFOUND,
                   "a refused key is findable");
        check_all(s);
        /* The documented recovery: grow, then retry. */
        FUZZ_OK(hc_hset_grow(s, ref_n + 1));
        check_all(s);
        id = UINT32_MAX;
        inserted = false;
        rc = hc_hset_upsert(s, k, n, owner, &id, &inserted);
    }
    FUZZ_CHECK(rc == HC_OK, "upsert of a new key gave %s (size %zu, cap %zu)",
               hc_status_str(rc), ref_n, hc_hset_capacity(s));
    FUZZ_CHECK(inserted, "new key not reported as inserted");
    FUZZ_CHECK(id == ref_n, "new key got id %u, want dense id %zu",
               (unsigned)id, ref_n);
    ref_add(k, n, owner);
    check_id(s, id);
}

/*
 * A batch of m keys drawn from the input (repeats likely, one over-long key
 * when `long_key`), checked op by op against the reference. The status must
 * be HC_OK exactly when every op was done, else the error of a failed op.
 */
#define BATCH_MAX 24

static void batch(hc_hset *s, fuzz_in *in, size_t m, bool long_key)
{
    static unsigned char keys[BATCH_MAX][HC_HSET_KEY_MAX + 1];
    hc_hset_op ops[BATCH_MAX];
    for (size_t i = 0; i < m; i++) {
        size_t n = key_make(fuzz_u16(in) % 1024, keys[i]);
        if (long_key && i == m / 2)
            n = HC_HSET_KEY_MAX + 1;
        ops[i].fp = hc_fingerprint(keys[i], n);
        ops[i].key = keys[i];
        ops[i].len = n;
    }
    size_t cap = hc_hset_capacity(s);
    hc_status rc = hc_hset_upsert_batch(s, ops, m);
    bool full = false, limit = false;
    for (size_t i = 0; i < m; i++) {
        const hc_hset_op *op = &ops[i];
        long at = op->len > HC_HSET_KEY_MAX ? -1 : ref_find(keys[i], op->len);
        bool room = ref_n < cap;
        if (op->len > HC_HSET_KEY_MAX || (at < 0 && !room)) {
            limit |= op->len > HC_HSET_KEY_MAX;
            full |= op->len <= HC_HSET_KEY_MAX;
            FUZZ_CHECK(op->id == HC_HSET_NO_ID && !op->inserted,
                       "batch op %zu of %zu bytes: id %u, inserted %d", i,
                       op->len, (unsigned)op->id, op->inserted);
            continue;
        }
        if (at < 0) {
            at = (long)ref_n;
            ref_add(keys[i], op->len, HC_OWNER_NONE);
            FUZZ_CHECK(op->inserted, "batch op %zu: new key not inserted", i);
        } else {
            FUZZ_CHECK(!op->inserted, "batch op %zu: present key inserted", i);
        }
        FUZZ_CHECK(op->id == (uint32_t)at, "batch op %zu: id %u, want %ld", i,
                   (unsigned)op->id, at);
        check_id(s, op->id);
    }
    FUZZ_CHECK((rc == HC_OK && !full && !limit) ||
                   (rc == HC_ERR_FULL && full) || (rc == HC_ERR_LIMIT && limit),
               "batch gave %s (full %d, limit %d)", hc_status_str(rc), full,
               limit);
    check_all(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    hc_hset *s = NULL;
    static unsigned char key[HC_HSET_KEY_MAX + 2];

    ref_n = 0;
    FUZZ_OK(hc_hset_create(fuzz_u8(&in) % 64, &s));
    FUZZ_CHECK(hc_hset_size(s) == 0 && hc_hset_capacity(s) > 0,
               "a new set: size %zu, capacity %zu", hc_hset_size(s),
               hc_hset_capacity(s));
    while (in.n > 0 && ref_n < MAX_KEYS - BATCH_MAX) {
        uint8_t op = fuzz_u8(&in);
        uint64_t owner = FUZZ_PICK(owners, &in);
        switch (op % 8) {
        case 0:
        case 1:
        case 2: {
            size_t n = key_make(fuzz_u16(&in) % 1024, key);
            upsert(s, key, n, owner, op & 8);
            break;
        }
        case 3: {
            /* A key taken from the input, or one byte too long. */
            size_t n = fuzz_take(&in, key, fuzz_u8(&in) % 32);
            if ((op & 0xf8) == 0xf8)
                n = HC_HSET_KEY_MAX + 1;
            upsert(s, key, n, owner, op & 8);
            break;
        }
        case 4: {
            size_t n = key_make(fuzz_u16(&in) % 1024, key);
            uint32_t id = UINT32_MAX;
            long at = ref_find(key, n);
            hc_status rc = hc_hset_find(s, key, n, &id);
            FUZZ_CHECK(at < 0 ? rc == HC_ERR_NOTFOUND
                              : rc == HC_OK && id == (uint32_t)at,
                       "find: %s id %u, reference %ld", hc_status_str(rc),
                       (unsigned)id, at);
            break;
        }
        case 5:
            if (ref_n > 0) {
                uint32_t id = (uint32_t)(fuzz_u16(&in) % ref_n);
                hc_hset_claim(s, id, owner);
                if (owner < ref[id].owner)
                    ref[id].owner = owner;
                check_id(s, id);
            }
            break;
        case 6: {
            /* Growth at least doubles, so a long run of grows is capped
             * to keep memory bounded. */
            size_t old = hc_hset_capacity(s);
            size_t want = ref_n + fuzz_u8(&in);
            if (old > GROW_MAX)
                break;
            FUZZ_OK(hc_hset_grow(s, want));
            size_t cap = hc_hset_capacity(s);
            FUZZ_CHECK(cap >= want && cap >= 2 * old,
                       "grow(%zu) from %zu gave capacity %zu", want, old, cap);
            check_all(s);
            break;
        }
        case 7:
            if (op & 0x10) {
                batch(s, &in, 1 + fuzz_u8(&in) % BATCH_MAX, op & 0x20);
                break;
            }
            check_all(s);
            break;
        }
    }
    check_all(s);
    FUZZ_CHECK(hc_hset_memory(s) > 0, "memory of a set is 0");
    hc_hset_destroy(s);
    for (size_t i = 0; i < ref_n; i++)
        free(ref[i].b);
    ref_n = 0;
    return 0;
}
