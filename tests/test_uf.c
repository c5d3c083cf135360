/*
 * Single-threaded tests of the union-find: the contract (singletons, the
 * smallest element represents its set, union's return value, same) and a
 * seeded random run against a naive reference that relabels whole sets.
 * The seed is printed and can be replayed with HC_TEST_SEED=<n>.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define TEST_SEED_DEFAULT 0x5eed0003u
#include "test_seed.h"

#include "headcount/uf.h"

static hc_uf *make_uf(size_t n)
{
    hc_uf *uf = NULL;
    assert_int_equal(hc_uf_create(n, &uf), HC_OK);
    assert_non_null(uf);
    assert_int_equal(hc_uf_size(uf), n);
    return uf;
}

static void test_basics(void **state)
{
    (void)state;
    hc_uf *uf = make_uf(10);
    for (uint32_t i = 0; i < 10; i++) {
        hc_uf_prefetch(uf, i); /* a hint: changes nothing */
        assert_int_equal(hc_uf_find(uf, i), i);
    }
    assert_true(hc_uf_union(uf, 7, 3));
    assert_int_equal(hc_uf_find(uf, 7), 3);
    assert_int_equal(hc_uf_find(uf, 3), 3);
    assert_false(hc_uf_union(uf, 3, 7));
    assert_false(hc_uf_union(uf, 7, 7));
    assert_true(hc_uf_same(uf, 3, 7));
    assert_false(hc_uf_same(uf, 3, 4));
    assert_true(hc_uf_same(uf, 4, 4));
    /* A chain built from the top down still ends at the minimum. */
    assert_true(hc_uf_union(uf, 9, 8));
    assert_true(hc_uf_union(uf, 8, 7));
    assert_true(hc_uf_union(uf, 9, 1));
    for (uint32_t x = 1; x < 10; x++) {
        bool in = x == 1 || x == 3 || x == 7 || x == 8 || x == 9;
        assert_int_equal(hc_uf_find(uf, x), in ? 1 : x);
    }
    assert_true(hc_uf_union(uf, 0, 9));
    assert_int_equal(hc_uf_find(uf, 8), 0);
    assert_true(hc_uf_same(uf, 0, 3));
    hc_uf_destroy(uf);
    hc_uf_destroy(NULL);
}

static void test_create_edges(void **state)
{
    (void)state;
    hc_uf *uf = make_uf(0);
    hc_uf_destroy(uf);
    uf = make_uf(1);
    assert_int_equal(hc_uf_find(uf, 0), 0);
    assert_false(hc_uf_union(uf, 0, 0));
    hc_uf_destroy(uf);
    if (sizeof(size_t) > sizeof(uint32_t)) {
        hc_uf *bad;
        memset(&bad, 0xa5, sizeof bad); /* must be reset to NULL */
        assert_int_equal(hc_uf_create((size_t)UINT32_MAX + 1, &bad),
                         HC_ERR_ARG);
        assert_null(bad);
    }
}

/*
 * The reference: label[x] is the smallest element of x's set; a union
 * relabels the larger label everywhere. Quadratic and obviously right.
 */
static bool ref_union(uint32_t *label, size_t n, uint32_t a, uint32_t b)
{
    uint32_t la = label[a], lb = label[b];
    if (la == lb)
        return false;
    uint32_t lo = la < lb ? la : lb, hi = la < lb ? lb : la;
    for (size_t i = 0; i < n; i++) {
        if (label[i] == hi)
            label[i] = lo;
    }
    return true;
}

static void test_random_vs_reference(void **state)
{
    (void)state;
    uint64_t seed = test_seed();
    enum { N = 1500, OPS = 6000 };
    static uint32_t label[N];
    for (uint32_t i = 0; i < N; i++)
        label[i] = i;
    hc_uf *uf = make_uf(N);
    size_t merges = 0;
    for (size_t op = 0; op < OPS; op++) {
        uint32_t a = (uint32_t)(rng_next(&seed) % N);
        uint32_t b = (uint32_t)(rng_next(&seed) % N);
        /* Favour nearby pairs now and then to build long chains. */
        if (op % 3 == 0)
            b = (a + 1 + (uint32_t)(rng_next(&seed) % 4)) % N;
        bool expect = ref_union(label, N, a, b);
        bool merged = hc_uf_union(uf, a, b);
        assert_int_equal(merged, expect);
        merges += merged;
        uint32_t c = (uint32_t)(rng_next(&seed) % N);
        assert_int_equal(hc_uf_same(uf, a, c), label[a] == label[c]);
        if (op % 500 == 0) {
            for (uint32_t x = 0; x < N; x++)
                assert_int_equal(hc_uf_find(uf, x), label[x]);
        }
    }
    for (uint32_t x = 0; x < N; x++)
        assert_int_equal(hc_uf_find(uf, x), label[x]);
    /* Every union that merged (as hc_uf_union said) lost one set: the
     * roots hc_uf_find reports number exactly N - merges. */
    size_t roots = 0;
    for (uint32_t x = 0; x < N; x++)
        roots += hc_uf_find(uf, x) == x;
    assert_int_equal(roots, N - merges);
    hc_uf_destroy(uf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basics),
        cmocka_unit_test(test_create_edges),
        cmocka_unit_test(test_random_vs_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
