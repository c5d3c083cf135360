/*
 * Tests of the engine's growable byte buffer (engine/src/util.c): appends
 * land in order, the limit holds to the byte for plain and mapped buffers
 * (a mapped buffer's capacity is rounded up to whole huge pages, past its
 * limit), a refused append leaves the buffer as it was, and a seeded
 * random run of appends matches a plain array written in the test; and
 * hc__same_bytes agrees with memcmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define TEST_SEED_DEFAULT 0x5eed0b0fu
#include "test_seed.h"

#include "util.h"

/* Fills a buffer of the given limit four bytes at a time up to the limit:
 * the append that would pass it is refused and changes nothing. */
static void fill_to_limit(bool mapped, size_t limit)
{
    hc__buf b;
    if (mapped)
        hc__buf_init_mapped(&b, limit);
    else
        hc__buf_init(&b, limit);
    uint32_t v = 0;
    while (b.len + sizeof v <= limit) {
        assert_int_equal(hc__buf_append(&b, &v, sizeof v), HC_OK);
        v++;
    }
    size_t len = b.len;
    assert_true(len + sizeof v > limit);
    assert_int_equal(hc__buf_append(&b, &v, sizeof v), HC_ERR_LIMIT);
    assert_int_equal(b.len, len);
    /* What still fits, to the last byte, is taken; then nothing is. */
    size_t left = limit - len;
    if (left > 0)
        assert_int_equal(hc__buf_append(&b, &v, left), HC_OK);
    assert_int_equal(b.len, limit);
    assert_int_equal(hc__buf_append(&b, &v, 1), HC_ERR_LIMIT);
    assert_int_equal(b.len, limit);
    assert_int_equal(hc__buf_append(&b, &v, 0), HC_OK);
    for (uint32_t i = 0; i < (uint32_t)(len / sizeof v); i++) {
        uint32_t got;
        memcpy(&got, b.data + i * sizeof got, sizeof got);
        assert_int_equal(got, i);
    }
    hc__buf_fini(&b);
}

static void test_limit(void **state)
{
    (void)state;
    for (int mapped = 0; mapped < 2; mapped++) {
        fill_to_limit(mapped, 0);
        fill_to_limit(mapped, 3);
        fill_to_limit(mapped, 4);
        fill_to_limit(mapped, 1023);
        /* Past 2 MiB a mapped buffer moves into a mapping whose capacity
         * is rounded up to whole 2 MiB pages, beyond these limits. */
        fill_to_limit(mapped, ((size_t)2 << 20) + 5);
        fill_to_limit(mapped, ((size_t)3 << 20) + 2);
    }
}

/* Random appends of 0..64 bytes, and now and then a large one, against a
 * plain array; the buffer's contents must equal it at every step. */
static void test_random_vs_array(void **state)
{
    (void)state;
    uint64_t seed = test_seed();
    enum { LIMIT = (5 << 20) + 77 };
    unsigned char *ref = malloc(LIMIT);
    unsigned char *src = malloc(1 << 17);
    assert_non_null(ref);
    assert_non_null(src);
    for (size_t i = 0; i < (1 << 17); i++)
        src[i] = (unsigned char)rng_next(&seed);
    for (int mapped = 0; mapped < 2; mapped++) {
        hc__buf b;
        if (mapped)
            hc__buf_init_mapped(&b, LIMIT);
        else
            hc__buf_init(&b, LIMIT);
        size_t len = 0, refused = 0;
        for (int it = 0; it < 200000; it++) {
            size_t n = rng_next(&seed) % 65;
            if (rng_next(&seed) % 1000 == 0)
                n = rng_next(&seed) % (1 << 17);
            size_t from = rng_next(&seed) % ((1 << 17) - n + 1);
            hc_status rc = hc__buf_append(&b, src + from, n);
            if (len + n > LIMIT) {
                assert_int_equal(rc, HC_ERR_LIMIT);
                refused++;
            } else {
                assert_int_equal(rc, HC_OK);
                memcpy(ref + len, src + from, n);
                len += n;
            }
            assert_int_equal(b.len, len);
        }
        assert_true(len > LIMIT - (1 << 17));
        assert_true(refused > 0);
        assert_memory_equal(b.data, ref, len);
        hc__buf_fini(&b);
    }
    free(ref);
    free(src);
}

/* hc__same_bytes against memcmp == 0: every length up to 40, equal ranges
 * at odd offsets, and ranges that differ in exactly one byte, at every
 * position, by one bit or by the whole byte. */
static void test_same_bytes(void **state)
{
    (void)state;
    uint64_t seed = test_seed() ^ 0x5a3e;
    unsigned char a[64], b[64];
    for (size_t n = 0; n <= 40; n++) {
        for (int round = 0; round < 50; round++) {
            size_t oa = (size_t)(rng_next(&seed) % 8);
            size_t ob = (size_t)(rng_next(&seed) % 8);
            for (size_t i = 0; i < n; i++)
                a[oa + i] = b[ob + i] = (unsigned char)rng_next(&seed);
            assert_int_equal(hc__same_bytes(a + oa, b + ob, n),
                             memcmp(a + oa, b + ob, n) == 0);
            assert_true(hc__same_bytes(a + oa, b + ob, n));
            for (size_t at = 0; at < n; at++) {
                unsigned char keep = b[ob + at];
                b[ob + at] ^= round % 2 ? 0x80 >> (at % 8) : 0xff;
                assert_int_equal(hc__same_bytes(a + oa, b + ob, n),
                                 memcmp(a + oa, b + ob, n) == 0);
                assert_false(hc__same_bytes(a + oa, b + ob, n));
                b[ob + at] = keep;
            }
        }
    }
}

/* The version macros of the headers name the version the library was
 * built as (CMakeLists.txt's project version). */
static void test_version(void **state)
{
    (void)state;
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", HC_VERSION_MAJOR, HC_VERSION_MINOR,
             HC_VERSION_PATCH);
    assert_string_equal(hc_version(), want);
}

/* HC_VERSION_NUMBER orders versions only while minor and patch stay
 * below 100. */
_Static_assert(HC_VERSION_MINOR < 100 && HC_VERSION_PATCH < 100,
               "HC_VERSION_NUMBER needs minor and patch below 100");

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_random_vs_array),
        cmocka_unit_test(test_same_bytes),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
