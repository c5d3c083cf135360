/*
 * Fuzz target: the census result does not depend on thread count, input
 * order, the number of writers or the order in which sources are first
 * seen. The input decodes into a few dozen GHES and GHEC accounts whose
 * hosts, ids, logins and emails come from tiny alphabets (so keys collide
 * through case, NFC, IDNA and whitespace). The accounts go into one census
 * in input order with one writer and threads=1, and into another in reverse
 * order dealt over three writers with threads=3 (so sources also get other
 * ids). Under both policies the summaries, the summary JSON and the report
 * JSON and CSV must be identical byte for byte, the per-source counts equal
 * source by source, and each summary internally consistent. A third census
 * built summary_only (no logins, no key bytes without verified domains),
 * counted on the summary-only path, must give the same summary and summary
 * JSON. What explain and savings read must agree too: every account in
 * result order with its person, rule, join key and keys in listed order.
 */
#include "fuzz_common.h"

#define SOURCES_MAX 16

typedef struct outputs {
    hc_summary sum;
    fuzz_mem json, csv, summary, accounts;
    size_t n_sources;
    hc_source_info src[SOURCES_MAX];
} outputs;

static bool str_eq(hc_str a, hc_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Sources are matched by kind and name, whatever their ids. */
static void sources_same(const outputs *a, const outputs *b)
{
    FUZZ_CHECK(a->n_sources == b->n_sources, "%zu sources vs %zu", a->n_sources,
               b->n_sources);
    for (size_t i = 0; i < a->n_sources; i++) {
        const hc_source_info *x = &a->src[i], *y = NULL;
        for (size_t j = 0; j < b->n_sources && !y; j++)
            if (b->src[j].kind == x->kind && str_eq(b->src[j].name, x->name))
                y = &b->src[j];
        FUZZ_CHECK(y != NULL, "source %.*s missing in the second census",
                   (int)x->name.len, x->name.ptr);
        FUZZ_CHECK(
            x->accounts == y->accounts && x->eligible == y->eligible &&
                x->rejected == y->rejected,
            "source %.*s: accounts %llu/%llu eligible %llu/%llu",
            (int)x->name.len, x->name.ptr, (unsigned long long)x->accounts,
            (unsigned long long)y->accounts, (unsigned long long)x->eligible,
            (unsigned long long)y->eligible);
    }
}

static void put(fuzz_mem *m, const void *p, size_t n)
{
    FUZZ_OK(fuzz_mem_write(m, &n, sizeof n));
    if (n)
        FUZZ_OK(fuzz_mem_write(m, p, n));
}

/* Every account as explain shows it; person indexes are in result order,
 * which is itself deterministic. */
static void dump_accounts(const hc_result *r, fuzz_mem *m)
{
    for (size_t i = 0; i < hc_result_account_count(r); i++) {
        hc_account_info a;
        hc_result_account(r, i, &a);
        uint64_t v[5] = {(uint64_t)a.kind, a.ghes_id, (uint64_t)a.exclusion,
                         (uint64_t)a.person, (uint64_t)a.rule};
        put(m, v, sizeof v);
        put(m, a.source.ptr, a.source.len);
        put(m, a.login.ptr, a.login.len);
        put(m, a.join_key.ptr, a.join_key.len);
        for (size_t k = 0; k < a.n_keys; k++) {
            hc_key_role role;
            hc_str key = hc_result_account_key(r, i, k, &role);
            put(m, &role, sizeof role);
            put(m, key.ptr, key.len);
        }
    }
}

static void run(hc_census *c, hc_policy policy, outputs *o)
{
    hc_result *r = NULL;
    FUZZ_OK(hc_census_run(c, policy, &r));
    hc_result_summary(r, &o->sum);
    FUZZ_CHECK(o->sum.policy == policy, "summary policy %d, asked %d",
               (int)o->sum.policy, (int)policy);
    fuzz_summary_sane(r, &o->sum);
    FUZZ_OK(hc_report_write_json(r, NULL, fuzz_mem_write, &o->json));
    FUZZ_OK(hc_report_write_csv(r, NULL, fuzz_mem_write, &o->csv));
    FUZZ_OK(hc_summary_write_json(r, 0, fuzz_mem_write, &o->summary));
    dump_accounts(r, &o->accounts);
    o->n_sources = hc_result_source_count(r);
    FUZZ_CHECK(o->n_sources <= SOURCES_MAX, "%zu sources", o->n_sources);
    for (size_t i = 0; i < o->n_sources; i++)
        hc_result_source(r, i, &o->src[i]);
    hc_result_destroy(r);
}

static void outputs_free(outputs *o)
{
    fuzz_mem_free(&o->json);
    fuzz_mem_free(&o->csv);
    fuzz_mem_free(&o->summary);
    fuzz_mem_free(&o->accounts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_accts A;
    fuzz_in in = {data, size};
    hc_domains *d1 = NULL, *d2 = NULL, *d3 = NULL;

    fuzz_accts_decode(&in, &A, true);
    hc_census *c1 = fuzz_census_build(&A, 1, 1, false, false, &d1);
    hc_census *c2 = fuzz_census_build(&A, 3, 3, true, false, &d2);
    hc_census *c3 = fuzz_census_build(&A, 2, 2, true, true, &d3);

    for (int p = 0; p < 2; p++) {
        hc_policy policy = p ? HC_POLICY_EXTENDED : HC_POLICY_GITHUB;
        outputs o1, o2;
        memset(&o1, 0, sizeof o1);
        memset(&o2, 0, sizeof o2);
        run(c1, policy, &o1);
        run(c2, policy, &o2);
        fuzz_summary_same(&o1.sum, &o2.sum, hc_policy_name(policy));
        sources_same(&o1, &o2);
        FUZZ_CHECK(fuzz_mem_equal(&o1.json, &o2.json),
                   "policy %s: report JSON differs (%zu vs %zu bytes)",
                   hc_policy_name(policy), o1.json.n, o2.json.n);
        FUZZ_CHECK(fuzz_mem_equal(&o1.csv, &o2.csv),
                   "policy %s: report CSV differs (%zu vs %zu bytes)",
                   hc_policy_name(policy), o1.csv.n, o2.csv.n);
        FUZZ_CHECK(fuzz_mem_equal(&o1.summary, &o2.summary),
                   "policy %s: summary JSON differs", hc_policy_name(policy));
        FUZZ_CHECK(fuzz_mem_equal(&o1.accounts, &o2.accounts),
                   "policy %s: accounts, persons or keys differ",
                   hc_policy_name(policy));
        /* The summary-only path on a summary_only census. */
        hc_result *r3 = NULL;
        hc_summary s3;
        fuzz_mem j3 = {0};
        FUZZ_CHECK(hc_census_run(c3, policy, &r3) == HC_ERR_ARG,
                   "a summary_only census ran with persons");
        FUZZ_OK(hc_census_run_ex(c3, policy, 0, &r3));
        hc_result_summary(r3, &s3);
        fuzz_summary_same(&o1.sum, &s3, "summary_only census");
        FUZZ_OK(hc_summary_write_json(r3, 0, fuzz_mem_write, &j3));
        FUZZ_CHECK(fuzz_mem_equal(&o1.summary, &j3),
                   "policy %s: summary JSON of the summary-only path differs",
                   hc_policy_name(policy));
        fuzz_mem_free(&j3);
        hc_result_destroy(r3);
        /* A second run of the same census is independent and equal. */
        outputs o3;
        memset(&o3, 0, sizeof o3);
        run(c1, policy, &o3);
        FUZZ_CHECK(fuzz_mem_equal(&o1.json, &o3.json),
                   "policy %s: a second run gives another report",
                   hc_policy_name(policy));
        FUZZ_CHECK(fuzz_mem_equal(&o1.summary, &o3.summary),
                   "policy %s: a second run gives another summary JSON",
                   hc_policy_name(policy));
        outputs_free(&o1);
        outputs_free(&o2);
        outputs_free(&o3);
    }
    hc_census_destroy(c1);
    hc_census_destroy(c2);
    hc_census_destroy(c3);
    hc_domains_destroy(d1);
    hc_domains_destroy(d2);
    hc_domains_destroy(d3);
    return 0;
}
