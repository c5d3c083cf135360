/*
 * Benchmarks of the pipeline through the public API: norm_v1 on ASCII and
 * non-ASCII addresses, each reader on a generated file, and the end-to-end
 * count (load + summary) that `headcount count --records` performs.
 *
 * Inputs are generated once per process into a temporary directory by the
 * deterministic writer below (seed 1): RECORDS GHES accounts of about
 * RECORDS / 5 people on 8 hosts, with case and whitespace variants of each
 * person's address and 7% suspended, written as NDJSON records, as one
 * all_users.csv report and as consumed-licenses JSON pages (one GHEC
 * account per person). Items are records; bytes are input bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "headcount/headcount.h"
#include "bench_shim.h"

#define RECORDS 1000000
#define PEOPLE (RECORDS / 5)

static char g_dir[512];
static char g_ndjson[640], g_csv[640], g_ghec[640];
static long long g_size[3];

static uint64_t rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* The person's address in a random case/whitespace variant. */
static void variant(char *out, size_t cap, uint64_t person, uint64_t *s)
{
    char base[64];
    snprintf(base, sizeof base, "user.%llu@corp.example",
             (unsigned long long)person);
    uint64_t r = rng(s);
    size_t o = 0;
    if (r & 1)
        out[o++] = ' ';
    for (size_t i = 0; base[i] && o + 2 < cap; i++) {
        char c = base[i];
        if ((r >> (i % 60)) & 2 && c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        out[o++] = c;
    }
    out[o] = '\0';
}

static long long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

static void inputs_remove(void)
{
    unlink(g_ndjson);
    unlink(g_csv);
    unlink(g_ghec);
    rmdir(g_dir);
}

static bool inputs_init(void)
{
    if (g_dir[0])
        return true;
    /* The inputs are a few hundred MB: TMPDIR says where they may go. */
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(g_dir, sizeof g_dir, "%s/hc_bench.XXXXXX",
                     tmp && *tmp ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof g_dir || !mkdtemp(g_dir)) {
        g_dir[0] = '\0';
        return false;
    }
    atexit(inputs_remove);
    snprintf(g_ndjson, sizeof g_ndjson, "%s/records.ndjson", g_dir);
    snprintf(g_csv, sizeof g_csv, "%s/all_users.csv", g_dir);
    snprintf(g_ghec, sizeof g_ghec, "%s/consumed-licenses.json", g_dir);
    FILE *nd = fopen(g_ndjson, "w"), *csv = fopen(g_csv, "w");
    FILE *gh = fopen(g_ghec, "w");
    if (!nd || !csv || !gh)
        return false;
    fputs("created_at,id,login,email,role,suspended?,last_logged_ip,repos,"
          "ssh_keys,org_memberships,dormant?,last_active,raw_login,"
          "2fa_enabled?\r\n",
          csv);
    uint64_t s = 1;
    char email[96];
    for (uint64_t i = 0; i < RECORDS; i++) {
        uint64_t person = rng(&s) % PEOPLE;
        bool suspended = rng(&s) % 100 < 7;
        variant(email, sizeof email, person, &s);
        fprintf(nd,
                "{\"kind\":\"ghes\",\"source\":\"ghe-%llu.corp.example\","
                "\"id\":%llu,\"login\":\"user-%llu\",\"primary_email\":"
                "\"%s\",\"emails\":[\"%s\"],\"suspended\":%s}\n",
                (unsigned long long)(i % 8), (unsigned long long)i,
                (unsigned long long)person, email, email,
                suspended ? "true" : "false");
        fprintf(csv,
                "2024-01-01 00:00:00 UTC,%llu,user-%llu,%s,user,%s,"
                "10.0.0.1,3,1,2,false,2026-11-01 00:00:00 UTC,"
                "\"{\"\"login\"\":\"\"user-%llu\"\"}\",true\r\n",
                (unsigned long long)i, (unsigned long long)person, email,
                suspended ? "true" : "false", (unsigned long long)person);
    }
    for (uint64_t p = 0; p < PEOPLE; p++) {
        if (p % 100 == 0)
            fprintf(gh, "%s{\"total_seats_consumed\":%d,\"users\":[",
                    p ? "]}\n" : "", PEOPLE);
        variant(email, sizeof email, p, &s);
        fprintf(gh,
                "%s{\"github_com_login\":\"user-%llu\","
                "\"github_com_user\":true,"
                "\"github_com_verified_domain_emails\":[\"%s\"],"
                "\"github_com_saml_name_id\":\"%s\","
                "\"enterprise_server_user_ids\":[],"
                "\"total_user_accounts\":1}",
                p % 100 ? "," : "", (unsigned long long)p, email, email);
    }
    fputs("]}\n", gh);
    bool ok = fclose(nd) == 0;
    ok &= fclose(csv) == 0;
    ok &= fclose(gh) == 0;
    g_size[0] = file_size(g_ndjson);
    g_size[1] = file_size(g_csv);
    g_size[2] = file_size(g_ghec);
    return ok;
}

static void bench_normalize(hcb_state *st, void *arg)
{
    static const char *const ascii[] = {
        "first.last1234@corp.example", " Alice.Archer@Corp.Example ",
        "build-bot+ci@eu.corp.example", "x@y.example"};
    static const char *const unicode[] = {"Jos\xc3\xa9.Garc\xc3\xad"
                                          "a@corp.example",
                                          "jose\xcc\x81@b\xc3\xbc"
                                          "cher.example",
                                          "\xc3\x84nne@xn--bcher-kva.example",
                                          "erin@b\xc3\xbc"
                                          "cher.example"};
    const char *const *set = arg ? unicode : ascii;
    char out[HC_KEY_MAX + 1];
    size_t n = 0, bytes = 0;
    int64_t items = 0;
    while (hcb_keep_running(st)) {
        for (int i = 0; i < 4; i++) {
            size_t len = strlen(set[i]);
            if (hc_email_normalize(set[i], len, out, &n) != HC_OK)
                hcb_skip_with_error(st, "normalize failed");
            bytes += len;
            hcb_consume(n);
        }
        items += 4;
    }
    hcb_set_items(st, items);
    hcb_set_bytes(st, (int64_t)bytes);
}

typedef struct load_case {
    hc_input_role role;
    int file; /* 0 ndjson, 1 csv, 2 ghec */
    bool count;
} load_case;

static const load_case k_records = {HC_INPUT_RECORDS, 0, false};
static const load_case k_csv = {HC_INPUT_GHES, 1, false};
static const load_case k_ghec = {HC_INPUT_GHEC, 2, false};
static const load_case k_count = {HC_INPUT_RECORDS, 0, true};

static void bench_load(hcb_state *st, void *arg)
{
    const load_case *lc = arg;
    if (!inputs_init()) {
        hcb_skip_with_error(st, "cannot write inputs");
        return;
    }
    const char *paths[3] = {g_ndjson, g_csv, g_ghec};
    unsigned threads = (unsigned)hcb_range(st, 0);
    int64_t runs = 0;
    while (hcb_keep_running(st)) {
        hc_census *c = NULL;
        hc_census_options co = {0};
        co.threads = threads;
        /* As headcount count without a report: summary only, key table
         * sized from the input. */
        co.summary_only = true;
        co.expected_keys = (size_t)(g_size[lc->file] / 512);
        hc_input in = {lc->role, paths[lc->file],
                       lc->file == 1 ? "ghe-0.corp.example" : NULL, NULL};
        hc_load_options lo = {threads, false};
        hc_result *r = NULL;
        if (hc_census_create(&co, &c) != HC_OK ||
            hc_census_load(c, &in, &lo, NULL, NULL) != HC_OK ||
            (lc->count &&
             hc_census_run_ex(c, HC_POLICY_GITHUB, 0, &r) != HC_OK)) {
            hcb_skip_with_error(st, "load failed");
        }
        hc_result_destroy(r);
        hc_census_destroy(c);
        runs++;
    }
    int64_t items = lc->file == 2 ? PEOPLE : RECORDS;
    hcb_set_items(st, runs * items);
    hcb_set_bytes(st, runs * g_size[lc->file]);
}

void hcb_register_pipeline(void)
{
    static int unicode = 1;
    hcb_register("normalize/ascii", bench_normalize, NULL);
    hcb_register("normalize/unicode", bench_normalize, &unicode);
    hcb_bench_unit_ms(hcb_bench_real_time(hcb_bench_arg(
        hcb_bench_arg(
            hcb_register("read/records_ndjson", bench_load, (void *)&k_records),
            1),
        2)));
    hcb_bench_unit_ms(hcb_bench_real_time(
        hcb_bench_arg(hcb_bench_arg(hcb_register("read/ghes_all_users_csv",
                                                 bench_load, (void *)&k_csv),
                                    1),
                      2)));
    hcb_bench_unit_ms(hcb_bench_real_time(hcb_bench_arg(
        hcb_bench_arg(hcb_register("read/ghec_consumed_licenses_json",
                                   bench_load, (void *)&k_ghec),
                      1),
        2)));
    hcb_bench_unit_ms(hcb_bench_real_time(
        hcb_bench_arg(hcb_bench_arg(hcb_register("count/records_ndjson",
                                                 bench_load, (void *)&k_count),
                                    1),
                      2)));
}
