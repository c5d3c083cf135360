/*
 * Fuzz target: a report written by hc_report_write_json reads back with
 * hc_report_read to the same persons. The input decodes into a small census
 * (hosts and logins include characters JSON must escape, ids span 64 bits);
 * one byte picks the policy and whether emails are pseudonymized, which
 * must not touch logins or host:id values. The report goes through a memfd
 * and is read by path. The total and the person count must match the
 * result, and person by person (in the reader's documented order: by id
 * bytes, then all ids, ties in file order) the ids must be exactly the GHEC logins and
 * "host:id" values of the result's person, sorted as report.h says: logins
 * first, then host:id by host bytes and numeric id, no duplicates.
 */
#include <inttypes.h>

#include "fuzz_common.h"

#define IDS_MAX (FUZZ_ACCTS_MAX + 1)
#define ID_MAX 80

typedef struct id_s {
    char b[ID_MAX];
    size_t n;
    bool login;
    size_t host_len; /* host:id only: bytes before the last ':' */
    uint64_t num;
} id_s;

typedef struct person_ids {
    id_s ids[IDS_MAX];
    size_t n;
    size_t file_index;
} person_ids;

/* report.h's order: logins (bytes) first, then host bytes, numeric id. */
static int id_cmp(const void *x, const void *y)
{
    const id_s *a = x, *b = y;
    if (a->login != b->login)
        return a->login ? -1 : 1;
    if (a->login)
        return fuzz_bytes_cmp(a->b, a->n, b->b, b->n);
    int c = fuzz_bytes_cmp(a->b, a->host_len, b->b, b->host_len);
    return c ? c : (a->num > b->num) - (a->num < b->num);
}

static int person_cmp(const void *x, const void *y)
{
    const person_ids *a = x, *b = y;
    int c = 0;
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n && !c; i++)
        c = fuzz_bytes_cmp(a->ids[i].b, a->ids[i].n, b->ids[i].b, b->ids[i].n);
    if (c)
        return c;
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    return (a->file_index > b->file_index) - (a->file_index < b->file_index);
}

static void add_id(person_ids *p, const id_s *id)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->ids[i].n == id->n && memcmp(p->ids[i].b, id->b, id->n) == 0)
            return;
    FUZZ_CHECK(p->n < IDS_MAX, "too many ids in one person");
    p->ids[p->n++] = *id;
}

/* The ids that the report must give person p of the result. */
static void expected_ids(const hc_result *r, size_t p, person_ids *out)
{
    hc_person_info pi;
    hc_result_person(r, p, &pi);
    out->n = 0;
    out->file_index = p;
    for (size_t j = 0; j < pi.n_accounts; j++) {
        hc_account_info ai;
        id_s id;
        memset(&id, 0, sizeof id);
        hc_result_account(r, hc_result_person_account(r, p, j), &ai);
        if (ai.kind == HC_ACCOUNT_GHEC) {
            FUZZ_CHECK(ai.login.len > 0 && ai.login.len < ID_MAX,
                       "GHEC login of %zu bytes", ai.login.len);
            memcpy(id.b, ai.login.ptr, ai.login.len);
            id.n = ai.login.len;
            id.login = true;
        } else {
            int k = snprintf(id.b, sizeof id.b, "%.*s:%" PRIu64,
                             (int)ai.source.len, ai.source.ptr, ai.ghes_id);
            FUZZ_CHECK(k > 0 && (size_t)k < sizeof id.b, "host:id too long");
            id.n = (size_t)k;
            id.host_len = ai.source.len;
            id.num = ai.ghes_id;
        }
        add_id(out, &id);
    }
    FUZZ_CHECK(out->n > 0, "person %zu has no account", p);
    qsort(out->ids, out->n, sizeof out->ids[0], id_cmp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_accts A;
    static person_ids want[FUZZ_ACCTS_MAX];
    static const unsigned char hmac_key[] = "fuzz-pseudonym-key";
    fuzz_in in = {data, size};
    hc_domains *d = NULL;
    hc_result *r = NULL;
    hc_report *rep = NULL;
    hc_diag diag;
    fuzz_mem json = {0};

    uint8_t mode = fuzz_u8(&in);
    fuzz_accts_decode(&in, &A, false);
    hc_census *c = fuzz_census_build(&A, 1 + mode % 2, 1, false, false, &d);
    hc_policy policy = (mode & 2) ? HC_POLICY_EXTENDED : HC_POLICY_GITHUB;
    FUZZ_OK(hc_census_run(c, policy, &r));

    hc_report_options opt = {NULL, 0};
    if (mode & 4) {
        opt.hmac_key = hmac_key;
        opt.hmac_key_len = sizeof hmac_key - 1;
    }
    FUZZ_OK(hc_report_write_json(r, &opt, fuzz_mem_write, &json));
    const char *path = fuzz_memfd_put(json.p, json.n);
    memset(&diag, 0, sizeof diag);
    hc_status rc = hc_report_read(path, &rep, &diag);
    FUZZ_CHECK(rc == HC_OK, "reading our own report: %s at %llu:%llu: %s",
               hc_status_str(rc), (unsigned long long)diag.line,
               (unsigned long long)diag.column, diag.message);

    hc_summary sum;
    hc_result_summary(r, &sum);
    FUZZ_CHECK(hc_report_total_seats(rep) == sum.total_seats_consumed,
               "report total %llu, result %llu",
               (unsigned long long)hc_report_total_seats(rep),
               (unsigned long long)sum.total_seats_consumed);
    size_t n = hc_result_person_count(r);
    FUZZ_CHECK(hc_report_person_count(rep) == n,
               "%zu persons read, %zu written", hc_report_person_count(rep), n);
    FUZZ_CHECK(n <= FUZZ_ACCTS_MAX, "%zu persons from %zu accounts", n, A.n);
    for (size_t p = 0; p < n; p++)
        expected_ids(r, p, &want[p]);
    qsort(want, n, sizeof want[0], person_cmp);

    for (size_t i = 0; i < n; i++) {
        hc_report_person_info got;
        const person_ids *w = &want[i];
        hc_report_person(rep, i, &got);
        FUZZ_CHECK(got.id.len == w->ids[0].n &&
                       memcmp(got.id.ptr, w->ids[0].b, w->ids[0].n) == 0,
                   "person %zu: id \"%.*s\", want \"%.*s\"", i, (int)got.id.len,
                   got.id.ptr, (int)w->ids[0].n, w->ids[0].b);
        FUZZ_CHECK(got.n_ids == w->n, "person %zu (%.*s): %llu ids, want %zu",
                   i, (int)w->ids[0].n, w->ids[0].b,
                   (unsigned long long)got.n_ids, w->n);
        for (size_t k = 0; k < w->n; k++)
            FUZZ_CHECK(got.ids[k].len == w->ids[k].n &&
                           memcmp(got.ids[k].ptr, w->ids[k].b, w->ids[k].n) ==
                               0,
                       "person %zu: id %zu is \"%.*s\", want \"%.*s\"", i, k,
                       (int)got.ids[k].len, got.ids[k].ptr, (int)w->ids[k].n,
                       w->ids[k].b);
        for (size_t k = 0; k < w->n; k++)
            FUZZ_CHECK((k < got.n_logins) == w->ids[k].login,
                       "person %zu: id %zu (\"%.*s\") is %s login", i, k,
                       (int)w->ids[k].n, w->ids[k].b,
                       w->ids[k].login ? "not a" : "a");
    }

    hc_report_destroy(rep);
    fuzz_mem_free(&json);
    hc_result_destroy(r);
    hc_census_destroy(c);
    hc_domains_destroy(d);
    return 0;
}
