/*
 * Thread-safety of norm_v1 and the verified-domain matcher: several threads
 * normalize the same mixed inputs (ASCII fast paths and the libidn2 /
 * libunistring slow paths) and query one shared domain set at once, and
 * every answer must equal the one computed before the threads started. Run
 * under ThreadSanitizer in CI (label "concurrency").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <pthread.h>
#include <string.h>
#include <cmocka.h>

#include "headcount/norm.h"

#define THREADS 4
#define ROUNDS 300

static const char *const g_inputs[] = {
    "alice@example.com",
    "  Alice@Example.COM\r\n",
    "J\xc3\xb6rg@B\xc3\x9c"
    "CHER.example",
    "e\xcc\x81@xn--bcher-kva.example",
    "\xce\xa3\xce\xa9\xce\xa3@\xe4\xbe\x8b\xe5\xad\x90.example",
    "\xc4\xb0stanbul@corp.example",
    "user@mail.corp.example",
    "user@www.XN--FSQU00A.example",
    "bad@\xf0\x9f\x98\x80.example",
    "no-at-sign",
    "\"john doe\"@example.com",
    "H\xcc\xb1@sub.b\xc3\xbc"
    "cher.example",
};

#define N_INPUTS (sizeof g_inputs / sizeof g_inputs[0])

typedef struct expected {
    char key[HC_KEY_MAX + 1];
    size_t len;
    bool verified;
} expected;

typedef struct shared {
    const hc_domains *domains;
    expected want[N_INPUTS];
} shared;

typedef struct worker {
    const shared *sh;
    unsigned id;
    size_t mismatches;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (unsigned r = 0; r < ROUNDS; r++) {
        for (size_t k = 0; k < N_INPUTS; k++) {
            /* each thread walks the inputs in its own order */
            size_t i = (k * (2 * w->id + 1) + r) % N_INPUTS;
            const expected *e = &w->sh->want[i];
            char key[HC_KEY_MAX + 1];
            size_t n;
            if (hc_email_normalize(g_inputs[i], strlen(g_inputs[i]), key, &n) !=
                    HC_OK ||
                n != e->len || memcmp(key, e->key, n) != 0 ||
                hc_domains_match_key(w->sh->domains, key, n) != e->verified)
                w->mismatches++;
        }
    }
    return NULL;
}

static void test_concurrent_normalize_and_match(void **state)
{
    (void)state;
    static shared sh;
    static const char list[] = "*.corp.example, b\xc3\xbc"
                               "cher.example, *.xn--bcher-kva.example, "
                               "*.\xe4\xbe\x8b\xe5\xad\x90.example";
    hc_domains *d = NULL;
    assert_int_equal(hc_domains_create(&d), HC_OK);
    assert_int_equal(hc_domains_add_list(d, list, sizeof list - 1, NULL),
                     HC_OK);
    sh.domains = d;
    size_t keys = 0, verified = 0;
    for (size_t i = 0; i < N_INPUTS; i++) {
        expected *e = &sh.want[i];
        assert_int_equal(hc_email_normalize(g_inputs[i], strlen(g_inputs[i]),
                                            e->key, &e->len),
                         HC_OK);
        e->verified = hc_domains_match_key(d, e->key, e->len);
        keys += e->len != 0;
        verified += e->verified;
    }
    /* the inputs cover keys and no keys, matches and misses */
    assert_int_equal(keys, 9);
    assert_int_equal(verified, 5);

    pthread_t tid[THREADS];
    worker w[THREADS];
    for (unsigned t = 0; t < THREADS; t++) {
        w[t] = (worker){.sh = &sh, .id = t, .mismatches = 0};
        assert_int_equal(pthread_create(&tid[t], NULL, work, &w[t]), 0);
    }
    for (unsigned t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(tid[t], NULL), 0);
        assert_int_equal(w[t].mismatches, 0);
    }
    hc_domains_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_normalize_and_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
