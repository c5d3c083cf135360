/*
 * The seeded generator shared by the randomized unit tests: splitmix64
 * (small, the same on every platform, good enough for test inputs) and the
 * seed of a run, taken from HC_TEST_SEED or else the test's own default,
 * and printed so that a failing run can be replayed. Include after
 * <cmocka.h>; define TEST_SEED_DEFAULT first to get test_seed().
 */
#ifndef HC_TEST_SEED_H
#define HC_TEST_SEED_H

#include <stdint.h>
#include <stdlib.h>

static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* HC_TEST_SEED in any base strtoull reads (decimal, 0x hexadecimal, 0
 * octal), or dflt when it is unset or empty. Not printed: for tests with
 * several default seeds that name the seed in their failure messages. */
static inline uint64_t test_seed_env(uint64_t dflt)
{
    const char *env = getenv("HC_TEST_SEED");
    return env && *env ? strtoull(env, NULL, 0) : dflt;
}

#ifdef TEST_SEED_DEFAULT
static inline uint64_t test_seed(void)
{
    uint64_t seed = test_seed_env((uint64_t)TEST_SEED_DEFAULT);
    print_message("seed=%llu (replay with HC_TEST_SEED)\n",
                  (unsigned long long)seed);
    return seed;
}
#endif

#endif /* HC_TEST_SEED_H */
