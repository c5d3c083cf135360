/*
 * Thread-safety of a finished result: several threads query one shared
 * result with hc_result_find and write its reports (JSON, pseudonymized
 * JSON, CSV, summary) at the same time, and every answer and every byte
 * must equal what one thread computed before they started (census.h: a
 * result's accessors, hc_result_find and the report writers may run from
 * any number of threads at once). Run under ThreadSanitizer in CI (label
 * "concurrency"); HC_TEST_SEED replays a run.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define TEST_SEED_DEFAULT 0x5eed0005u
#include "test_seed.h"

#include "headcount/headcount.h"

enum { THREADS = 4, ROUNDS = 3, GHEC = 150, GHES = 900, POOL = 500 };

/* ---- a growable output buffer ------------------------------------------ */

typedef struct sink {
    char *data;
    size_t len, cap;
} sink;

static hc_status sink_write(void *ctx, const void *buf, size_t len)
{
    sink *s = ctx;
    if (s->len + len > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + len)
            cap *= 2;
        char *p = realloc(s->data, cap);
        if (!p)
            return HC_ERR_NOMEM;
        s->data = p;
        s->cap = cap;
    }
    memcpy(s->data + s->len, buf, len);
    s->len += len;
    return HC_OK;
}

static bool sink_equal(const sink *a, const sink *b)
{
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* ---- what every thread computes ------------------------------------------ */

enum { OUT_JSON, OUT_JSON_PSEUDO, OUT_CSV, OUT_SUMMARY, N_OUT };

static const char *const out_name[N_OUT] = {
    "JSON report", "pseudonymized JSON report", "CSV report", "summary"};

static const unsigned char hmac_key[] = "report-threads-key";

/* Writes output k of r into s (emptied first). */
static hc_status write_out(const hc_result *r, int k, sink *s)
{
    hc_report_options pseudo = {hmac_key, sizeof hmac_key - 1};
    s->len = 0;
    switch (k) {
    case OUT_JSON: return hc_report_write_json(r, NULL, sink_write, s);
    case OUT_JSON_PSEUDO:
        return hc_report_write_json(r, &pseudo, sink_write, s);
    case OUT_CSV: return hc_report_write_csv(r, NULL, sink_write, s);
    default: return hc_summary_write_json(r, 0, sink_write, s);
    }
}

/* A query and the answer one thread gave before the others started. */
typedef struct query {
    char text[64];
    hc_status status;
    size_t account;
} query;

typedef struct shared {
    const hc_result *r;
    const query *q;
    size_t n_q;
    sink want[N_OUT];
    pthread_barrier_t start;
} shared;

typedef struct worker {
    shared *sh;
    unsigned t;
    size_t errors;
    char first_error[160]; /* the first mismatch, reported by main */
} worker;

static void worker_error(worker *w, const char *what, const char *detail)
{
    if (w->errors++ == 0)
        snprintf(w->first_error, sizeof w->first_error,
                 "thread %u: %s differs (%s)", w->t, what, detail);
}

/* Each thread walks the queries from its own offset, so that different
 * threads look up different accounts at the same moment, and writes each
 * output in between, in its own order. */
static void *worker_main(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    sink got = {0};
    pthread_barrier_wait(&sh->start);
    for (int round = 0; round < ROUNDS; round++) {
        size_t step = sh->n_q / N_OUT + 1;
        for (size_t i = 0; i < sh->n_q; i++) {
            const query *q = &sh->q[(i + w->t * sh->n_q / THREADS) % sh->n_q];
            size_t acct = SIZE_MAX;
            hc_status st =
                hc_result_find(sh->r, q->text, strlen(q->text), &acct);
            if (st != q->status || (st == HC_OK && acct != q->account))
                worker_error(w, "hc_result_find", q->text);
            if (i % step == 0) {
                int k = (int)((i / step + w->t + (unsigned)round) % N_OUT);
                if (write_out(sh->r, k, &got) != HC_OK ||
                    !sink_equal(&got, &sh->want[k]))
                    worker_error(w, out_name[k], "bytes");
            }
        }
    }
    free(got.data);
    return NULL;
}

/* ---- the census ---------------------------------------------------------- */

/* An address of a small pool, so that accounts share emails and persons
 * join GHEC and GHES accounts across hosts. */
static void pool_email(uint64_t *seed, char *out, size_t cap)
{
    uint64_t p = rng_next(seed) % POOL;
    snprintf(out, cap, "user%llu@%s", (unsigned long long)p,
             p % 3 ? "corp.example" : "mail.example");
}

static void add_accounts(hc_census *c, uint64_t seed)
{
    hc_census_writer *w = NULL;
    uint32_t ghec, hosts[3];
    static const char *const host_names[3] = {"ghe-a", "ghe-b", "ghe-c"};
    assert_int_equal(hc_census_writer_create(c, &w), HC_OK);
    assert_int_equal(hc_census_source(c, HC_SOURCE_GHEC, "ghec", 4, &ghec),
                     HC_OK);
    for (int h = 0; h < 3; h++)
        assert_int_equal(hc_census_source(c, HC_SOURCE_GHES, host_names[h],
                                          strlen(host_names[h]), &hosts[h]),
                         HC_OK);
    for (int i = 0; i < GHEC; i++) {
        char login[24], saml[48], ver[48];
        snprintf(login, sizeof login, "gh%d", i);
        pool_email(&seed, saml, sizeof saml);
        pool_email(&seed, ver, sizeof ver);
        hc_str verified = {ver, strlen(ver)};
        hc_ghec_account a = {ghec,
                             {login, strlen(login)},
                             {saml, rng_next(&seed) % 2 ? strlen(saml) : 0},
                             NULL,
                             0,
                             &verified,
                             1,
                             rng_next(&seed) % 10 != 0};
        assert_int_equal(hc_census_add_ghec(w, &a), HC_OK);
    }
    for (int i = 0; i < GHES; i++) {
        char login[24], primary[48], other[48];
        snprintf(login, sizeof login, "u%d", i);
        pool_email(&seed, primary, sizeof primary);
        pool_email(&seed, other, sizeof other);
        uint64_t x = rng_next(&seed);
        hc_str emails = {other, strlen(other)};
        hc_ghes_account a = {hosts[x % 3],
                             (uint64_t)i,
                             {login, strlen(login)},
                             {primary, x % 17 ? strlen(primary) : 0},
                             &emails,
                             (x >> 8) % 3 == 0,
                             (x >> 16) % 11 == 0};
        assert_int_equal(hc_census_add_ghes(w, &a), HC_OK);
    }
    assert_int_equal(hc_census_writer_finish(w), HC_OK);
}

/* Queries naming every account (email, login, host:id, spelled as users
 * type them) and some naming none. */
static query *make_queries(const hc_result *r, size_t *n)
{
    size_t cap = 3 * hc_result_account_count(r) + POOL + 8, k = 0;
    query *q = calloc(cap, sizeof *q);
    assert_non_null(q);
    for (size_t i = 0; i < hc_result_account_count(r); i++) {
        hc_account_info a;
        hc_result_account(r, i, &a);
        if (a.login.len)
            snprintf(q[k++].text, sizeof q->text, " %.*s", (int)a.login.len,
                     a.login.ptr);
        if (a.kind == HC_ACCOUNT_GHES)
            snprintf(q[k++].text, sizeof q->text, "%.*s:%llu",
                     (int)a.source.len, a.source.ptr,
                     (unsigned long long)a.ghes_id);
        if (a.n_keys) {
            hc_key_role role;
            hc_str key = hc_result_account_key(r, i, a.n_keys - 1, &role);
            snprintf(q[k++].text, sizeof q->text, "%.*s", (int)key.len,
                     key.ptr);
        }
    }
    for (unsigned p = 0; p < POOL; p++) /* upper case: normalized first */
        snprintf(q[k++].text, sizeof q->text, "USER%u@%s", p,
                 p % 3 ? "Corp.example" : "Mail.example");
    snprintf(q[k++].text, sizeof q->text, "nobody@corp.example");
    snprintf(q[k++].text, sizeof q->text, "ghe-a:999999");
    snprintf(q[k++].text, sizeof q->text, "no-such-login");
    assert_true(k <= cap);
    *n = k;
    return q;
}

static void shared_result(hc_policy policy)
{
    uint64_t seed = test_seed();
    hc_domains *d = NULL;
    size_t bad = 0;
    assert_int_equal(hc_domains_create(&d), HC_OK);
    assert_int_equal(hc_domains_add_list(d, "corp.example", 12, &bad), HC_OK);
    hc_census_options o = {0};
    o.threads = 2;
    o.verified_domains = d;
    hc_census *c = NULL;
    assert_int_equal(hc_census_create(&o, &c), HC_OK);
    add_accounts(c, seed);
    hc_result *r = NULL;
    assert_int_equal(hc_census_run(c, policy, &r), HC_OK);

    /* The reference, from this thread alone. */
    shared sh = {0};
    sh.r = r;
    query *q = make_queries(r, &sh.n_q);
    sh.q = q;
    size_t found = 0;
    for (size_t i = 0; i < sh.n_q; i++) {
        q[i].status =
            hc_result_find(r, q[i].text, strlen(q[i].text), &q[i].account);
        assert_true(q[i].status == HC_OK || q[i].status == HC_ERR_NOTFOUND);
        found += q[i].status == HC_OK;
    }
    assert_true(found > sh.n_q / 2);
    assert_true(found < sh.n_q);
    for (int k = 0; k < N_OUT; k++) {
        assert_int_equal(write_out(r, k, &sh.want[k]), HC_OK);
        assert_true(sh.want[k].len > 0);
    }

    pthread_barrier_init(&sh.start, NULL, THREADS);
    worker ws[THREADS];
    pthread_t tid[THREADS];
    for (unsigned t = 0; t < THREADS; t++) {
        ws[t] = (worker){.sh = &sh, .t = t};
        assert_int_equal(pthread_create(&tid[t], NULL, worker_main, &ws[t]), 0);
    }
    for (unsigned t = 0; t < THREADS; t++)
        assert_int_equal(pthread_join(tid[t], NULL), 0);
    pthread_barrier_destroy(&sh.start);
    for (unsigned t = 0; t < THREADS; t++)
        if (ws[t].errors)
            fail_msg("seed %llu, policy %s: %zu mismatches; first: %s",
                     (unsigned long long)seed, hc_policy_name(policy),
                     ws[t].errors, ws[t].first_error);

    for (int k = 0; k < N_OUT; k++)
        free(sh.want[k].data);
    free(q);
    hc_result_destroy(r);
    hc_census_destroy(c);
    hc_domains_destroy(d);
}

static void shared_result_github(void **state)
{
    (void)state;
    shared_result(HC_POLICY_GITHUB);
}

static void shared_result_extended(void **state)
{
    (void)state;
    shared_result(HC_POLICY_EXTENDED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_result_github),
        cmocka_unit_test(shared_result_extended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
