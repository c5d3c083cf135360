/*
 * Concurrency stress tests of the hash map: threads upsert, find and claim
 * overlapping keys with random owners at the same time, and afterwards the
 * set must equal what a sequential reference computes from the same offers:
 * one id per distinct key, ids dense and unique, every owner the minimum
 * offered, key bytes intact. Each test runs once with single upserts and
 * once with batches (hc_hset_upsert_batch), whose pending slots are held
 * across a whole batch; batches offer no owners, so the owner check
 * bites in the single-upsert runs. One test drives the set into HC_ERR_FULL from many
 * threads and grows it between rounds. Meant to run under
 * ThreadSanitizer too; HC_STRESS_SCALE multiplies the work, HC_TEST_SEED
 * replays a run.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define TEST_SEED_DEFAULT 0x5eed0002u
#include "test_seed.h"

#include "headcount/hset.h"

enum { THREADS = 8, KEY_BYTES = 96 };

static size_t stress_scale(void)
{
    const char *env = getenv("HC_STRESS_SCALE");
    long v = env ? strtol(env, NULL, 10) : 1;
    return v > 0 ? (size_t)v : 1;
}

/* The key universe; keys differ in their first bytes by construction. */
typedef struct universe {
    size_t n;
    char (*bytes)[KEY_BYTES];
    size_t *len;
} universe;

static void universe_init(universe *u, size_t n, uint64_t *seed)
{
    u->n = n;
    u->bytes = malloc(n * sizeof *u->bytes);
    u->len = malloc(n * sizeof *u->len);
    assert_non_null(u->bytes);
    assert_non_null(u->len);
    for (size_t k = 0; k < n; k++) {
        int w = snprintf(u->bytes[k], KEY_BYTES, "user%zu.", k);
        size_t len = (size_t)w + (size_t)(rng_next(seed) % 40);
        for (size_t j = (size_t)w; j < len; j++)
            u->bytes[k][j] = (char)('a' + rng_next(seed) % 26);
        memcpy(u->bytes[k] + len, "@corp.example", 13);
        u->len[k] = len + 13;
    }
}

static void universe_fini(universe *u)
{
    free(u->bytes);
    free(u->len);
}

/* What one thread offered and observed, per universe key. */
typedef struct worker {
    hc_hset *set;
    const universe *u;
    pthread_barrier_t *start;
    uint64_t seed;
    size_t ops;
    bool batched;        /* insert through hc_hset_upsert_batch */
    uint64_t *min_owner; /* minimum owner offered (upsert or claim) */
    uint32_t *id_seen;   /* id returned to this thread, or UINT32_MAX */
    uint8_t *upserted;   /* this thread upserted the key successfully */
    size_t inserted;     /* upserts that reported inserted == true */
    size_t errors;       /* unexpected statuses or inconsistent ids */
} worker;

static void note_id(worker *w, size_t k, uint32_t id)
{
    if (w->id_seen[k] == UINT32_MAX)
        w->id_seen[k] = id;
    else if (w->id_seen[k] != id)
        w->errors++;
}

/*
 * Upserts universe keys keys[0..m) (m <= 64, repeats allowed) as one batch
 * and records the outcome like a single upsert would. Keys the set refused
 * with HC_ERR_FULL are moved to the front of keys; returns how many.
 */
static size_t batch_upsert(worker *w, size_t *keys, size_t m)
{
    hc_hset_op ops[64];
    for (size_t i = 0; i < m; i++) {
        const char *key = w->u->bytes[keys[i]];
        ops[i].fp = hc_fingerprint(key, w->u->len[keys[i]]);
        ops[i].key = key;
        ops[i].len = w->u->len[keys[i]];
        ops[i].id = 0;
        ops[i].inserted = true;
    }
    hc_status st = hc_hset_upsert_batch(w->set, ops, m);
    if (st != HC_OK && st != HC_ERR_FULL)
        w->errors++;
    size_t refused = 0;
    for (size_t i = 0; i < m; i++) {
        size_t k = keys[i];
        if (ops[i].id == HC_HSET_NO_ID) {
            /* Not done: only a full set may leave an op undone. */
            if (st != HC_ERR_FULL || ops[i].inserted)
                w->errors++;
            keys[refused++] = k;
            continue;
        }
        w->inserted += ops[i].inserted;
        w->upserted[k] = 1;
        note_id(w, k, ops[i].id);
        hc_str s = hc_hset_key(w->set, ops[i].id);
        if (s.len != w->u->len[k] || memcmp(s.ptr, w->u->bytes[k], s.len) != 0)
            w->errors++;
    }
    return refused;
}

static void *mixed_worker(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(w->start);
    for (size_t op = 0; op < w->ops; op++) {
        uint64_t r = rng_next(&w->seed);
        size_t k = (size_t)(rng_next(&w->seed) % w->u->n);
        uint64_t owner = r % 10 == 0 ? HC_OWNER_NONE : (r >> 16) % 1000000;
        const char *key = w->u->bytes[k];
        size_t len = w->u->len[k];
        uint32_t id;
        unsigned kind = (unsigned)((r >> 8) % 100);
        if (w->batched && kind < 20) {
            size_t keys[64], m = 1 + (size_t)((r >> 24) % 64);
            keys[0] = k;
            for (size_t i = 1; i < m; i++) {
                /* Some repeats within the batch, most keys fresh draws. */
                keys[i] = rng_next(&w->seed) % 8 == 0
                              ? keys[rng_next(&w->seed) % i]
                              : (size_t)(rng_next(&w->seed) % w->u->n);
            }
            if (batch_upsert(w, keys, m) != 0)
                w->errors++;
        } else if (kind < 70) {
            bool ins = false;
            hc_fp fp = hc_fingerprint(key, len);
            hc_hset_prefetch(w->set, fp);
            hc_hset_prefetch_entry(w->set, fp);
            if (hc_hset_upsert_fp(w->set, fp, key, len, owner, &id, &ins) !=
                HC_OK) {
                w->errors++;
                continue;
            }
            w->inserted += ins;
            w->upserted[k] = 1;
            note_id(w, k, id);
            if (owner < w->min_owner[k])
                w->min_owner[k] = owner;
            /* What this thread just upserted stays findable. */
            uint32_t again;
            if (hc_hset_find(w->set, key, len, &again) != HC_OK || again != id)
                w->errors++;
            hc_str s = hc_hset_key(w->set, id);
            if (s.len != len || memcmp(s.ptr, key, len) != 0)
                w->errors++;
        } else if (kind < 85) {
            hc_status st = hc_hset_find(w->set, key, len, &id);
            if (st == HC_OK)
                note_id(w, k, id);
            else if (st != HC_ERR_NOTFOUND || w->upserted[k])
                w->errors++;
        } else if (w->id_seen[k] != UINT32_MAX) {
            hc_hset_claim(w->set, w->id_seen[k], owner);
            if (owner < w->min_owner[k])
                w->min_owner[k] = owner;
        }
    }
    return NULL;
}

static void worker_alloc(worker *w, size_t n)
{
    memset(w, 0, sizeof *w);
    w->min_owner = malloc(n * sizeof *w->min_owner);
    w->id_seen = malloc(n * sizeof *w->id_seen);
    w->upserted = calloc(n, 1);
    assert_non_null(w->min_owner);
    assert_non_null(w->id_seen);
    assert_non_null(w->upserted);
    for (size_t k = 0; k < n; k++) {
        w->min_owner[k] = HC_OWNER_NONE;
        w->id_seen[k] = UINT32_MAX;
    }
}

static void worker_free(worker *w)
{
    free(w->min_owner);
    free(w->id_seen);
    free(w->upserted);
}

/* Checks the set against the union of what the workers did. */
static void verify(const hc_hset *set, const universe *u, const worker *ws,
                   size_t nw)
{
    size_t n = u->n, distinct = 0, inserted = 0;
    for (size_t t = 0; t < nw; t++) {
        assert_int_equal(ws[t].errors, 0);
        inserted += ws[t].inserted;
    }
    size_t size = hc_hset_size(set);
    uint8_t *id_used = calloc(size ? size : 1, 1);
    assert_non_null(id_used);
    for (size_t k = 0; k < n; k++) {
        bool present = false;
        uint64_t owner = HC_OWNER_NONE;
        uint32_t id_any = UINT32_MAX;
        for (size_t t = 0; t < nw; t++) {
            present |= ws[t].upserted[k] != 0;
            if (ws[t].min_owner[k] < owner)
                owner = ws[t].min_owner[k];
            if (ws[t].id_seen[k] != UINT32_MAX) {
                if (id_any == UINT32_MAX)
                    id_any = ws[t].id_seen[k];
                assert_int_equal(ws[t].id_seen[k], id_any);
            }
        }
        uint32_t id = UINT32_MAX;
        hc_status st = hc_hset_find(set, u->bytes[k], u->len[k], &id);
        if (!present) {
            assert_int_equal(st, HC_ERR_NOTFOUND);
            assert_int_equal(id_any, UINT32_MAX);
            continue;
        }
        distinct++;
        assert_int_equal(st, HC_OK);
        assert_int_equal(id, id_any);
        assert_true(id < size);
        assert_int_equal(id_used[id], 0);
        id_used[id] = 1;
        assert_int_equal(hc_hset_owner(set, id), owner);
        hc_str s = hc_hset_key(set, id);
        assert_int_equal(s.len, u->len[k]);
        assert_memory_equal(s.ptr, u->bytes[k], s.len);
    }
    /* Every id below size belongs to exactly one present key. */
    assert_int_equal(size, distinct);
    assert_int_equal(inserted, distinct);
    free(id_used);
}

/* Runs fn on THREADS threads, thread t on the t-th of the `size`-byte
 * arguments at args, and waits for them all. */
static void run_threads(void *(*fn)(void *), void *args, size_t size)
{
    pthread_t tids[THREADS];
    for (size_t t = 0; t < THREADS; t++)
        assert_int_equal(
            pthread_create(&tids[t], NULL, fn, (char *)args + t * size), 0);
    for (size_t t = 0; t < THREADS; t++)
        assert_int_equal(pthread_join(tids[t], NULL), 0);
}

/*
 * Runs fn on THREADS workers over set and u, released together by a
 * barrier, and waits for them. Worker t gets the seed seed + salt * (t + 1).
 */
static void run_workers(worker *ws, hc_hset *set, const universe *u,
                        uint64_t seed, uint64_t salt, size_t ops, bool batched,
                        void *(*fn)(void *))
{
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    for (size_t t = 0; t < THREADS; t++) {
        worker_alloc(&ws[t], u->n);
        ws[t].set = set;
        ws[t].u = u;
        ws[t].start = &start;
        ws[t].seed = seed + salt * (t + 1);
        ws[t].ops = ops;
        ws[t].batched = batched;
    }
    run_threads(fn, ws, sizeof *ws);
    pthread_barrier_destroy(&start);
}

/* A universe of n keys from the test's seed (*seed, advanced) and a set
 * created for `expected` keys: the start of every test here. */
static hc_hset *stress_setup(universe *u, size_t n, size_t expected,
                             uint64_t *seed)
{
    *seed = test_seed();
    universe_init(u, n, seed);
    hc_hset *set = NULL;
    assert_int_equal(hc_hset_create(expected, &set), HC_OK);
    return set;
}

/* Checks the set against what the workers did, then frees it all. */
static void stress_finish(hc_hset *set, universe *u, worker *ws)
{
    verify(set, u, ws, THREADS);
    for (size_t t = 0; t < THREADS; t++)
        worker_free(&ws[t]);
    hc_hset_destroy(set);
    universe_fini(u);
}

static void test_concurrent_mixed(void **state)
{
    bool batched = *state != NULL;
    size_t ops = 25000 * stress_scale();
    size_t n = ops * THREADS / 6;
    uint64_t seed;
    universe u;
    /* Pre-sized for every key: this test is about races, not growth. */
    hc_hset *set = stress_setup(&u, n, n, &seed);
    worker ws[THREADS];
    run_workers(ws, set, &u, seed, 0x1000, ops, batched, mixed_worker);
    stress_finish(set, &u, ws);
}

/*
 * All threads upsert the same fresh keys in the same order, so that nearly
 * every insert races with others for the same key: exactly one of them may
 * insert it, and all must agree on its id.
 */
static void *same_keys_worker(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(w->start);
    for (size_t k = 0; w->batched && k < w->u->n;) {
        /* Batches of random sizes, so that threads' batches overlap at
         * different offsets. */
        size_t keys[64], m = 1 + (size_t)(rng_next(&w->seed) % 64);
        m = m < w->u->n - k ? m : w->u->n - k;
        for (size_t i = 0; i < m; i++)
            keys[i] = k + i;
        if (batch_upsert(w, keys, m) != 0)
            w->errors++;
        k += m;
    }
    for (size_t k = 0; !w->batched && k < w->u->n; k++) {
        uint64_t owner = rng_next(&w->seed) % 1000;
        uint32_t id;
        bool ins = false;
        if (hc_hset_upsert(w->set, w->u->bytes[k], w->u->len[k], owner, &id,
                           &ins) != HC_OK) {
            w->errors++;
            continue;
        }
        w->inserted += ins;
        w->upserted[k] = 1;
        note_id(w, k, id);
        if (owner < w->min_owner[k])
            w->min_owner[k] = owner;
    }
    return NULL;
}

static void test_concurrent_same_keys(void **state)
{
    bool batched = *state != NULL;
    size_t n = 20000 * stress_scale();
    uint64_t seed;
    universe u;
    hc_hset *set = stress_setup(&u, n, n, &seed);
    worker ws[THREADS];
    run_workers(ws, set, &u, seed, 0x3000, 0, batched, same_keys_worker);
    assert_int_equal(hc_hset_size(set), u.n);
    stress_finish(set, &u, ws);
}

/*
 * Rounds of concurrent inserts into a set far too small: each thread keeps
 * the keys that got HC_ERR_FULL and retries them after the main thread has
 * grown the set (exclusive access between rounds).
 */
typedef struct grow_worker {
    worker w;
    size_t *todo; /* universe indices still to upsert */
    size_t ntodo;
    size_t full;
} grow_worker;

static void *grow_round(void *arg)
{
    grow_worker *g = arg;
    worker *w = &g->w;
    pthread_barrier_wait(w->start);
    size_t keep = 0;
    g->full = 0;
    for (size_t i = 0; w->batched && i < g->ntodo;) {
        size_t m = g->ntodo - i < 64 ? g->ntodo - i : 64;
        size_t keys[64];
        memcpy(keys, g->todo + i, m * sizeof *keys);
        size_t refused = batch_upsert(w, keys, m);
        memcpy(g->todo + keep, keys, refused * sizeof *keys);
        keep += refused;
        g->full += refused;
        i += m;
    }
    for (size_t i = 0; !w->batched && i < g->ntodo; i++) {
        size_t k = g->todo[i];
        uint64_t owner = rng_next(&w->seed) % 1000000;
        uint32_t id;
        bool ins = false;
        hc_status st = hc_hset_upsert(w->set, w->u->bytes[k], w->u->len[k],
                                      owner, &id, &ins);
        if (st == HC_ERR_FULL) {
            if (ins)
                w->errors++;
            g->todo[keep++] = k;
            g->full++;
            continue;
        }
        if (st != HC_OK) {
            w->errors++;
            continue;
        }
        w->inserted += ins;
        w->upserted[k] = 1;
        note_id(w, k, id);
        if (owner < w->min_owner[k])
            w->min_owner[k] = owner;
    }
    g->ntodo = keep;
    return NULL;
}

static void test_concurrent_full_and_grow(void **state)
{
    bool batched = *state != NULL;
    size_t per_thread = 6000 * stress_scale();
    uint64_t seed;
    universe u;
    hc_hset *set = stress_setup(&u, per_thread * THREADS / 3, 2000, &seed);

    grow_worker gs[THREADS];
    worker ws[THREADS];
    for (size_t t = 0; t < THREADS; t++) {
        worker_alloc(&gs[t].w, u.n);
        gs[t].w.set = set;
        gs[t].w.u = &u;
        gs[t].w.seed = seed + 0x2000 * (t + 1);
        gs[t].w.batched = batched;
        gs[t].todo = malloc(per_thread * sizeof *gs[t].todo);
        assert_non_null(gs[t].todo);
        gs[t].ntodo = per_thread;
        /* Overlapping: every key is offered by about three threads. */
        for (size_t i = 0; i < per_thread; i++)
            gs[t].todo[i] = (size_t)(rng_next(&gs[t].w.seed) % u.n);
    }
    size_t rounds = 0, grows = 0;
    for (;;) {
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, THREADS);
        for (size_t t = 0; t < THREADS; t++)
            gs[t].w.start = &start;
        run_threads(grow_round, gs, sizeof *gs);
        pthread_barrier_destroy(&start);
        size_t full = 0;
        for (size_t t = 0; t < THREADS; t++)
            full += gs[t].full;
        rounds++;
        /* Nothing is inserted past capacity, and a refusal means full. */
        assert_true(hc_hset_size(set) <= hc_hset_capacity(set));
        if (full == 0)
            break;
        assert_int_equal(hc_hset_size(set), hc_hset_capacity(set));
        assert_int_equal(hc_hset_grow(set, 0), HC_OK);
        grows++;
        assert_true(rounds < 64);
    }
    assert_true(grows >= 3);
    for (size_t t = 0; t < THREADS; t++) {
        ws[t] = gs[t].w; /* the copy owns the worker's arrays now */
        free(gs[t].todo);
    }
    stress_finish(set, &u, ws);
}

/* The prestate of the batched runs; the single-upsert runs get NULL. */
static int batched_runs = 1;

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_mixed),
        cmocka_unit_test_prestate(test_concurrent_mixed, &batched_runs),
        cmocka_unit_test(test_concurrent_same_keys),
        cmocka_unit_test_prestate(test_concurrent_same_keys, &batched_runs),
        cmocka_unit_test(test_concurrent_full_and_grow),
        cmocka_unit_test_prestate(test_concurrent_full_and_grow, &batched_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
