/*
 * Concurrency stress test of the union-find: threads perform random unions
 * (and same/find queries) at the same time; afterwards the partition must
 * equal the one a sequential reference builds from all the pairs, every
 * representative must be its set's smallest element, and the number of
 * unions that reported a merge must equal the number of sets that
 * disappeared. Meant to run under ThreadSanitizer too; HC_STRESS_SCALE
 * multiplies the work, HC_TEST_SEED replays a run.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define TEST_SEED_DEFAULT 0x5eed0004u
#include "test_seed.h"

#include "headcount/uf.h"

enum { THREADS = 8 };

static size_t stress_scale(void)
{
    const char *env = getenv("HC_STRESS_SCALE");
    long v = env ? strtol(env, NULL, 10) : 1;
    return v > 0 ? (size_t)v : 1;
}

typedef struct worker {
    hc_uf *uf;
    pthread_barrier_t *start;
    const uint32_t *pairs; /* 2 * npairs elements */
    size_t npairs;
    uint64_t seed;
    size_t merges; /* unions that returned true */
    size_t errors; /* post-conditions that failed inside the thread */
} worker;

static void *union_worker(void *arg)
{
    worker *w = arg;
    size_t n = hc_uf_size(w->uf);
    pthread_barrier_wait(w->start);
    for (size_t i = 0; i < w->npairs; i++) {
        uint32_t a = w->pairs[2 * i], b = w->pairs[2 * i + 1];
        w->merges += hc_uf_union(w->uf, a, b);
        /* Once a union has returned, its elements stay together and
         * share a representative no larger than either of them. */
        if (!hc_uf_same(w->uf, a, b))
            w->errors++;
        uint32_t r = hc_uf_find(w->uf, a);
        if (r > a || r > b)
            w->errors++;
        uint32_t c = (uint32_t)(rng_next(&w->seed) % n);
        if (hc_uf_find(w->uf, c) > c)
            w->errors++;
    }
    return NULL;
}

/* Sequential reference: plain union-find, then labels = set minimum. */
static uint32_t ref_find(uint32_t *p, uint32_t x)
{
    while (p[x] != x)
        x = p[x] = p[p[x]];
    return x;
}

static void run(size_t n, size_t pairs_per_thread, bool local, uint64_t seed)
{
    uint32_t *pairs = malloc(2 * pairs_per_thread * THREADS * sizeof *pairs);
    assert_non_null(pairs);
    for (size_t i = 0; i < pairs_per_thread * THREADS; i++) {
        uint32_t a = (uint32_t)(rng_next(&seed) % n);
        uint32_t b = (uint32_t)(rng_next(&seed) % n);
        /* Local pairs build long chains that threads extend together. */
        if (local)
            b = (uint32_t)((a + 1 + rng_next(&seed) % 8) % n);
        pairs[2 * i] = a;
        pairs[2 * i + 1] = b;
    }
    hc_uf *uf = NULL;
    assert_int_equal(hc_uf_create(n, &uf), HC_OK);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    worker ws[THREADS];
    pthread_t tids[THREADS];
    for (size_t t = 0; t < THREADS; t++) {
        ws[t] = (worker){.uf = uf,
                         .start = &start,
                         .pairs = pairs + 2 * pairs_per_thread * t,
                         .npairs = pairs_per_thread,
                         .seed = seed + t + 1};
        assert_int_equal(pthread_create(&tids[t], NULL, union_worker, &ws[t]),
                         0);
    }
    size_t merges = 0;
    for (size_t t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(tids[t], NULL), 0);
        assert_int_equal(ws[t].errors, 0);
        merges += ws[t].merges;
    }
    pthread_barrier_destroy(&start);

    uint32_t *p = malloc(n * sizeof *p);
    uint32_t *minimum = malloc(n * sizeof *minimum);
    assert_non_null(p);
    assert_non_null(minimum);
    for (uint32_t x = 0; x < n; x++)
        p[x] = x;
    for (size_t i = 0; i < pairs_per_thread * THREADS; i++) {
        uint32_t ra = ref_find(p, pairs[2 * i]);
        uint32_t rb = ref_find(p, pairs[2 * i + 1]);
        if (ra != rb)
            p[ra] = rb;
    }
    for (uint32_t x = 0; x < n; x++)
        minimum[x] = UINT32_MAX;
    size_t sets = 0;
    for (uint32_t x = 0; x < n; x++) {
        uint32_t r = ref_find(p, x);
        if (minimum[r] == UINT32_MAX) {
            minimum[r] = x; /* x ascends: the first member is the min */
            sets++;
        }
    }
    for (uint32_t x = 0; x < n; x++)
        assert_int_equal(hc_uf_find(uf, x), minimum[ref_find(p, x)]);
    assert_int_equal(merges, n - sets);
    free(p);
    free(minimum);
    free(pairs);
    hc_uf_destroy(uf);
}

static void test_random_pairs(void **state)
{
    (void)state;
    uint64_t seed = test_seed();
    size_t scale = stress_scale();
    /* Sparse: many small sets; dense: one giant set emerges mid-run. */
    run(100000 * scale, 8000 * scale, false, seed);
    run(20000 * scale, 8000 * scale, false, seed ^ 1);
}

static void test_local_chains(void **state)
{
    (void)state;
    uint64_t seed = test_seed();
    size_t scale = stress_scale();
    run(50000 * scale, 8000 * scale, true, seed ^ 2);
    /* A tiny universe: every union contends on the same few roots. */
    run(64, 4000 * scale, false, seed ^ 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_pairs),
        cmocka_unit_test(test_local_chains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
