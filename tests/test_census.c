/*
 * Tests of the census (rules_v1): one test per rule on hand-made accounts,
 * and a seeded randomized differential test against a deliberately simple
 * single-threaded reference written below, across thread counts and input
 * orders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_seed.h"

#include "headcount/headcount.h"

static hc_str S(const char *s)
{
    hc_str out = {s, s ? strlen(s) : 0};
    return out;
}

/* ---- checks that name the seeded run they fail in ---------------------- */

/* The seeded run a randomized test is in ("" outside one): its seed and
 * round, which every failure of the checks below names (the builder and
 * the randomized tests' helpers use them), so that the run can be
 * replayed with HC_TEST_SEED. Cleared after each randomized test, failed
 * or not (run_ctx_clear). */
static char run_ctx[128];

static int run_ctx_clear(void **state)
{
    (void)state;
    run_ctx[0] = '\0';
    return 0;
}

#define check_int_equal(a, b)                                                  \
    do {                                                                       \
        unsigned long long a_ = (unsigned long long)(a);                       \
        unsigned long long b_ = (unsigned long long)(b);                       \
        if (a_ != b_)                                                          \
            fail_msg("%s%s is %llu, want %s = %llu", run_ctx, #a, a_, #b, b_); \
    } while (0)

#define check_true(c)                                    \
    do {                                                 \
        if (!(c))                                        \
            fail_msg("%s%s does not hold", run_ctx, #c); \
    } while (0)

/* ---- a tiny builder over the public API -------------------------------- */

typedef struct tb {
    hc_census *c;
    hc_census_writer *w;
    hc_domains *d;
} tb;

static void tb_init_ex(tb *t, unsigned threads, const char *domains,
                       bool summary_only)
{
    hc_census_options o = {0};
    o.threads = threads;
    o.summary_only = summary_only;
    t->d = NULL;
    if (domains) {
        check_int_equal(hc_domains_create(&t->d), HC_OK);
        size_t bad = 0;
        check_int_equal(
            hc_domains_add_list(t->d, domains, strlen(domains), &bad), HC_OK);
    }
    o.verified_domains = t->d;
    check_int_equal(hc_census_create(&o, &t->c), HC_OK);
    check_int_equal(hc_census_writer_create(t->c, &t->w), HC_OK);
}

static void tb_init(tb *t, unsigned threads, const char *domains)
{
    tb_init_ex(t, threads, domains, false);
}

static void tb_ghes(tb *t, const char *host, uint64_t id, const char *login,
                    const char *primary, bool suspended, const char *other)
{
    uint32_t src;
    check_int_equal(
        hc_census_source(t->c, HC_SOURCE_GHES, host, strlen(host), &src),
        HC_OK);
    hc_str emails[1] = {S(other)};
    hc_ghes_account a = {
        src, id, S(login), S(primary), emails, other ? 1u : 0u, suspended};
    check_int_equal(hc_census_add_ghes(t->w, &a), HC_OK);
}

static void tb_ghec(tb *t, const char *login, const char *saml,
                    const char *verified, bool licensed)
{
    uint32_t src;
    check_int_equal(hc_census_source(t->c, HC_SOURCE_GHEC, "ghec", 4, &src),
                    HC_OK);
    hc_str ver[1] = {S(verified)};
    hc_ghec_account a = {src, S(login),           S(saml), NULL, 0,
                         ver, verified ? 1u : 0u, licensed};
    check_int_equal(hc_census_add_ghec(t->w, &a), HC_OK);
}

/* Runs the census under policy, as a summary-only run or a full one. */
static hc_result *tb_run_ex(tb *t, hc_policy policy, bool summary)
{
    hc_result *r = NULL;
    check_int_equal(hc_census_writer_finish(t->w), HC_OK);
    t->w = NULL;
    check_int_equal(
        hc_census_run_ex(t->c, policy, summary ? 0 : HC_RUN_PERSONS, &r),
        HC_OK);
    return r;
}

static hc_result *tb_run(tb *t, hc_policy policy)
{
    return tb_run_ex(t, policy, false);
}

/* tb_run with policy github, as a summary-only run or a full one. */
static hc_result *tb_run_summary(tb *t, bool summary)
{
    return tb_run_ex(t, HC_POLICY_GITHUB, summary);
}

static void tb_fini(tb *t, hc_result *r)
{
    hc_result_destroy(r);
    check_int_equal(hc_census_writer_finish(t->w), HC_OK);
    hc_census_destroy(t->c);
    hc_domains_destroy(t->d);
}

static hc_summary summary_of(const hc_result *r)
{
    hc_summary s;
    hc_result_summary(r, &s);
    return s;
}

/* The account a query names (hc_result_find), which must exist. */
static hc_account_info account_named(const hc_result *r, const char *query)
{
    size_t acct;
    assert_int_equal(hc_result_find(r, query, strlen(query), &acct), HC_OK);
    hc_account_info a;
    hc_result_account(r, acct, &a);
    return a;
}

/* The first account of a's person: the account it joined. */
static hc_account_info person_head(const hc_result *r, const hc_account_info *a)
{
    hc_account_info g;
    hc_result_account(r, hc_result_person_account(r, a->person, 0), &g);
    return g;
}

/* ---- one test per rule --------------------------------------------------- */

/* A GHES primary email equal to a GHEC SAML NameID joins that account. */
static void rule_identity_match(void **state)
{
    (void)state;
    tb t;
    tb_init(&t, 1, NULL);
    tb_ghec(&t, "alice-corp", "Alice@Corp.example", NULL, true);
    tb_ghes(&t, "ghe-1", 2, "alice", " alice@corp.EXAMPLE ", false, NULL);
    hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
    hc_summary s = summary_of(r);
    assert_int_equal(s.total_seats_consumed, 1);
    assert_int_equal(s.ghes_accounts_matched, 1);
    hc_account_info a = account_named(r, "ghe-1:2");
    assert_int_equal(a.rule, HC_JOIN_IDENTITY);
    assert_int_equal(a.person, 0);
    assert_string_equal(a.join_key.ptr, "alice@corp.example");
    tb_fini(&t, r);
}

/* Without an identity match, a verified email joins. */
static void rule_verified_match(void **state)
{
    (void)state;
    tb t;
    tb_init(&t, 1, NULL);
    tb_ghec(&t, "bob-corp", NULL, "bob@corp.example", true);
    tb_ghes(&t, "ghe-1", 3, "bob", "bob@corp.example", false, NULL);
    hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
    assert_int_equal(summary_of(r).total_seats_consumed, 1);
    hc_account_info a;
    hc_result_account(r, 1, &a);
    assert_int_equal(a.kind, HC_ACCOUNT_GHES);
    assert_int_equal(a.rule, HC_JOIN_VERIFIED_EMAIL);
    tb_fini(&t, r);
}

/* Identity beats verified email, whatever the logins' order. */
static void rule_identity_before_verified(void **state)
{
    (void)state;
    tb t;
    tb_init(&t, 2, NULL);
    tb_ghec(&t, "aaa-verified", NULL, "x@corp.example", true);
    tb_ghec(&t, "zzz-identity", "x@corp.example", NULL, true);
    tb_ghes(&t, "ghe-1", 9, "x", "x@corp.example", false, NULL);
    hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
    assert_int_equal(summary_of(r).total_seats_consumed, 2);
    hc_account_info a = account_named(r, "ghe-1:9");
    assert_int_equal(a.rule, HC_JOIN_IDENTITY);
    assert_int_equal(a.person, 1); /* zzz-identity is person 1 */
    tb_fini(&t, r);
}

/* Ties within a class go to the lowest login in byte order ('B' < 'b'),
 * among verified emails and among identity values (SAML NameIDs) alike. */
static void rule_lowest_login_wins(void **state)
{
    (void)state;
    static const char *const logins[] = {"mmm", "bbb", "Bbb"};
    for (int identity = 0; identity < 2; identity++) {
        tb t;
        tb_init(&t, 4, NULL);
        for (size_t i = 0; i < 3; i++)
            tb_ghec(&t, logins[i], identity ? "X@corp.example" : NULL,
                    identity ? NULL : "x@corp.example", true);
        tb_ghes(&t, "ghe-1", 9, "x", "x@corp.example", false, NULL);
        hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
        assert_int_equal(summary_of(r).total_seats_consumed, 3);
        assert_int_equal(summary_of(r).ghes_accounts_matched, 1);
        hc_account_info a = account_named(r, "ghe-1:9");
        assert_int_equal(a.rule,
                         identity ? HC_JOIN_IDENTITY : HC_JOIN_VERIFIED_EMAIL);
        hc_account_info g = person_head(r, &a);
        assert_int_equal(g.login.len, 3);
        assert_memory_equal(g.login.ptr, "Bbb", 3);
        tb_fini(&t, r);
    }
}

/* A GHEC row without a login (null or empty) is an account of its own:
 * nothing says two such rows are one user, even with the same keys. Its
 * login is the lowest (empty) one, so the GHES account joins one of them,
 * not "named". */
static void rule_ghec_without_login(void **state)
{
    (void)state;
    for (int summary = 0; summary < 2; summary++) {
        tb t;
        tb_init(&t, 2, NULL);
        tb_ghec(&t, "", NULL, "n@corp.example", true);
        tb_ghec(&t, "", NULL, "n@corp.example", true);
        tb_ghec(&t, NULL, NULL, "n@corp.example", true);
        tb_ghec(&t, "named", NULL, "n@corp.example", true);
        tb_ghec(&t, "named", NULL, NULL, true); /* a repeat: merges */
        tb_ghes(&t, "ghe-1", 5, "n", "n@corp.example", false, NULL);
        hc_result *r = tb_run_summary(&t, summary != 0);
        hc_summary s = summary_of(r);
        assert_int_equal(s.ghec_accounts, 4);
        assert_int_equal(s.total_seats_consumed, 4);
        assert_int_equal(s.ghes_accounts_matched, 1);
        if (!summary) {
            hc_account_info a = account_named(r, "ghe-1:5");
            assert_int_equal(a.rule, HC_JOIN_VERIFIED_EMAIL);
            hc_account_info g = person_head(r, &a);
            assert_int_equal(g.kind, HC_ACCOUNT_GHEC);
            assert_int_equal(g.login.len, 0);
        }
        tb_fini(&t, r);
    }
}

/* A suspended ghost or scim-admin is a system account, not a suspended
 * one (rules.md: an account that is both is a system account), in the
 * full and the summary-only path alike. */
static void rule_suspended_system_account(void **state)
{
    (void)state;
    for (int summary = 0; summary < 2; summary++) {
        tb t;
        tb_init(&t, 2, NULL);
        tb_ghes(&t, "ghe-1", 1, "ghost", "", true, NULL);
        tb_ghes(&t, "ghe-1", 2, "Scim-Admin", "scim@corp.example", true, NULL);
        hc_result *r = tb_run_summary(&t, summary != 0);
        hc_summary s = summary_of(r);
        assert_int_equal(s.system_accounts, 2);
        assert_int_equal(s.suspended_accounts, 0);
        assert_int_equal(s.ghes_accounts_total, 2);
        assert_int_equal(s.ghes_accounts, 0);
        assert_int_equal(s.total_seats_consumed, 0);
        for (size_t i = 0; i < hc_result_account_count(r); i++) {
            hc_account_info a;
            hc_result_account(r, i, &a);
            assert_int_equal(a.exclusion, HC_EXCLUDE_SYSTEM);
        }
        tb_fini(&t, r);
    }
}

/* Unmatched GHES accounts with the same key are one person; keyless ones
 * are one person each; suspended and system accounts consume nothing. */
static void rule_ghes_only(void **state)
{
    (void)state;
    tb t;
    tb_init(&t, 1, NULL);
    tb_ghes(&t, "ghe-1", 5, "frank", "frank@mail.example", false, NULL);
    tb_ghes(&t, "ghe-2", 12, "frank", "FRANK@mail.example", false, NULL);
    tb_ghes(&t, "ghe-1", 9, "bot", "", false, NULL);
    tb_ghes(&t, "ghe-2", 9, "bot2", "not an email", false, NULL);
    tb_ghes(&t, "ghe-1", 6, "grace", "grace@corp.example", true, NULL);
    tb_ghes(&t, "ghe-1", 7, "ghost", "", false, NULL);
    tb_ghes(&t, "ghe-2", 15, "scim-admin", "scim@corp.example", false, NULL);
    tb_ghes(&t, "ghe-3", 15, "SCIM-Admin", "", false, NULL);
    tb_ghes(&t, "ghe-3", 16, "GHOST", "", false, NULL);
    /* Case folds letters only: CR (0x0d | 0x20 == '-') is no '-'. */
    tb_ghes(&t, "ghe-3", 17, "scim\radmin", "", false, NULL);
    hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
    hc_summary s = summary_of(r);
    assert_int_equal(s.total_seats_consumed, 4);
    assert_int_equal(s.keyless_accounts, 3);
    assert_int_equal(s.suspended_accounts, 1);
    assert_int_equal(s.system_accounts, 4);
    assert_int_equal(s.ghes_accounts, 5);
    assert_int_equal(s.ghes_only_persons, 4);
    tb_fini(&t, r);
}

/* A GHES host is one instance however its inputs spell it: ASCII case and
 * trailing dots do not matter, and the host is shown in lowercase. */
static void rule_host_spelling(void **state)
{
    (void)state;
    tb t;
    tb_init(&t, 1, NULL);
    tb_ghes(&t, "GHE-1.Corp.example.", 5, "u", "u@x.example", false, NULL);
    tb_ghes(&t, "ghe-1.corp.example", 5, "u", "u@x.example", false, NULL);
    tb_ghes(&t, "ghe-1.corp.EXAMPLE", 6, "k", "", false, NULL);
    tb_ghes(&t, "ghe-1.corp.example.", 6, "k", "", false, NULL);
    /* Every trailing dot goes (so the canonical name of a canonical name is
     * itself), and bytes other than A-Z stay as they are. */
    tb_ghes(&t, "ghe-1.corp.example..", 6, "k", "", false, NULL);
    tb_ghes(&t, "..", 8, "d", "", false, NULL);
    tb_ghes(&t, "GH\xc3\x89", 6, "k", "", false, NULL);
    tb_ghes(&t, "gh\xc3\xa9", 6, "k", "", false, NULL);
    hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
    hc_summary s = summary_of(r);
    assert_int_equal(s.duplicate_rows, 3);
    assert_int_equal(s.ghes_accounts, 5);
    assert_int_equal(s.total_seats_consumed, 5);
    /* By name bytes: ".", ghe-1.corp.example, gh\xc3\x89 (only the
     * ASCII letters folded), gh\xc3\xa9. */
    assert_int_equal(hc_result_source_count(r), 4);
    hc_source_info si;
    hc_result_source(r, 0, &si);
    assert_string_equal(si.name.ptr, ".");
    hc_result_source(r, 1, &si);
    assert_string_equal(si.name.ptr, "ghe-1.corp.example");
    assert_int_equal(si.accounts, 2);
    hc_result_source(r, 2, &si);
    assert_string_equal(si.name.ptr, "gh\xc3\x89");
    size_t acct;
    assert_int_equal(hc_result_find(r, "GHE-1.corp.example:6", 20, &acct),
                     HC_OK);
    size_t acct2;
    assert_int_equal(hc_result_find(r, "ghe-1.corp.example.:6", 21, &acct2),
                     HC_OK);
    assert_int_equal(acct2, acct);
    tb_fini(&t, r);
}

/* A login query finds the exact spelling first: two GHEC logins may differ
 * only in ASCII case, and each must be reachable. Without an exact match,
 * case is ignored, and a GHES login is looked up when no GHEC login
 * matches. */
static void find_login_spelling(void **state)
{
    (void)state;
    tb t;
    tb_init(&t, 1, NULL);
    tb_ghec(&t, "Mona", NULL, "big@x.example", true);
    tb_ghec(&t, "mona", NULL, "small@x.example", true);
    tb_ghes(&t, "h", 1, "Octo", "octo@x.example", false, NULL);
    tb_ghes(&t, "h", 2, "mona", "m@x.example", false, NULL);
    hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
    static const struct {
        const char *q;
        const char *login;
        hc_account_kind kind;
    } cases[] = {
        {"Mona", "Mona", HC_ACCOUNT_GHEC}, {"mona", "mona", HC_ACCOUNT_GHEC},
        {"MONA", "Mona", HC_ACCOUNT_GHEC}, {"octo", "Octo", HC_ACCOUNT_GHES},
        {"Octo", "Octo", HC_ACCOUNT_GHES},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t acct;
        assert_int_equal(
            hc_result_find(r, cases[i].q, strlen(cases[i].q), &acct), HC_OK);
        hc_account_info a;
        hc_result_account(r, acct, &a);
        assert_int_equal(a.kind, cases[i].kind);
        assert_int_equal(a.login.len, strlen(cases[i].login));
        assert_memory_equal(a.login.ptr, cases[i].login, a.login.len);
    }
    size_t acct;
    assert_int_equal(hc_result_find(r, "nobody", 6, &acct), HC_ERR_NOTFOUND);
    tb_fini(&t, r);

    /* A login with blanks around it (a CSV cell written " bob ") is found
     * by the login, after every login that matches as the input gives it
     * (GHES "Dee" before GHEC " dee "). */
    tb_init(&t, 1, NULL);
    tb_ghec(&t, " bob ", NULL, "b@x.example", true);
    tb_ghec(&t, " dee ", NULL, "d@x.example", true);
    tb_ghes(&t, "h", 1, "\tcy", "c@x.example", false, NULL);
    tb_ghes(&t, "h", 2, "Dee", "dee@x.example", false, NULL);
    r = tb_run(&t, HC_POLICY_GITHUB);
    static const struct {
        const char *q, *login;
    } blank[] = {{"bob", " bob "}, {" BOB\t", " bob "}, {"cy", "\tcy"},
                 {"CY", "\tcy"},   {"dee", "Dee"},      {" dee ", "Dee"}};
    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++) {
        assert_int_equal(
            hc_result_find(r, blank[i].q, strlen(blank[i].q), &acct), HC_OK);
        hc_account_info a;
        hc_result_account(r, acct, &a);
        assert_int_equal(a.login.len, strlen(blank[i].login));
        assert_memory_equal(a.login.ptr, blank[i].login, a.login.len);
    }
    tb_fini(&t, r);
}

/* An email held by several accounts finds the one the rules match first
 * (identity value, GHES primary, verified email, other email; seat-
 * consuming first), in either order of adding them; queries are trimmed. */
static void find_email_by_role(void **state)
{
    (void)state;
    for (int order = 0; order < 2; order++) {
        tb t;
        tb_init(&t, 1, NULL);
        for (int k = 0; k < 2; k++) {
            if ((k == 0) == (order == 0)) {
                tb_ghes(&t, "h1", 1, "ann", "ann@old.example", false,
                        "bob@corp.example");
                tb_ghec(&t, "aa", NULL, "p@x.example", true);
                tb_ghes(&t, "h3", 5, "sus", "s@x.example", true, NULL);
                tb_ghes(&t, "h4", 1, "vic", "", false, "v@x.example");
            } else {
                tb_ghes(&t, "h2", 1, "bob", "bob@corp.example", false, NULL);
                tb_ghec(&t, "zz", "p@x.example", NULL, true);
                tb_ghes(&t, "h3", 6, "act", "", false, "s@x.example");
                tb_ghec(&t, "cc", NULL, "v@x.example", true);
            }
        }
        hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
        static const struct {
            const char *q, *login;
        } cases[] = {
            {"bob@corp.example", "bob"}, {" P@X.example\t", "zz"},
            {"s@x.example", "act"},      {"v@x.example", "cc"},
            {"  h2:1 ", "bob"},          {"\tann\r\n", "ann"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            size_t acct;
            assert_int_equal(
                hc_result_find(r, cases[i].q, strlen(cases[i].q), &acct),
                HC_OK);
            hc_account_info a;
            hc_result_account(r, acct, &a);
            assert_int_equal(a.login.len, strlen(cases[i].login));
            assert_memory_equal(a.login.ptr, cases[i].login, a.login.len);
        }
        size_t acct;
        assert_int_equal(hc_result_find(r, "   ", 3, &acct), HC_ERR_NOTFOUND);
        tb_fini(&t, r);
    }
}

/* Repeated rows of one (host, id) are one account; an eligible row wins
 * over a suspended one in any order. */
static void rule_repeated_rows(void **state)
{
    (void)state;
    for (int order = 0; order < 2; order++) {
        tb t;
        tb_init(&t, 1, NULL);
        if (order)
            tb_ghes(&t, "ghe-1", 5, "u", "u@x.example", true, NULL);
        tb_ghes(&t, "ghe-1", 5, "u", "u@x.example", false, NULL);
        tb_ghes(&t, "ghe-1", 5, "u", "u@x.example", false, NULL);
        if (!order)
            tb_ghes(&t, "ghe-1", 5, "u", "u@x.example", true, NULL);
        hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
        hc_summary s = summary_of(r);
        assert_int_equal(s.total_seats_consumed, 1);
        assert_int_equal(s.duplicate_rows, 2);
        assert_int_equal(s.ghes_accounts, 1);
        tb_fini(&t, r);
    }
}

/* GHEC rows are sorted by login through a 16-byte prefix: logins that
 * share it (or differ only past it, or are a prefix of one another) must
 * still come out in byte order and merge only when equal, whatever order
 * the rows arrive in. */
static void rule_ghec_login_order(void **state)
{
    (void)state;
    static const char *const logins[] = {"aaaaaaaaaaaaaaaab",
                                         "a",
                                         "aaaaaaaaaaaaaaaa",
                                         "\xc3\xa9t\xc3\xa9",
                                         "aaaaaaaaaaaaaaaac",
                                         "ab",
                                         "aaaaaaaaaaaaaaaab",
                                         "Zed",
                                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
                                         "aaaaaaaaaaaaaaaa"};
    static const char *const sorted[] = {"Zed",
                                         "a",
                                         "aaaaaaaaaaaaaaaa",
                                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
                                         "aaaaaaaaaaaaaaaab",
                                         "aaaaaaaaaaaaaaaac",
                                         "ab",
                                         "\xc3\xa9t\xc3\xa9"};
    const size_t n = sizeof logins / sizeof logins[0];
    for (int order = 0; order < 2; order++) {
        tb t;
        tb_init(&t, 1, NULL);
        for (size_t i = 0; i < n; i++) {
            size_t k = order ? n - 1 - i : i;
            char email[64];
            snprintf(email, sizeof email, "p%zu@x.example", k);
            tb_ghec(&t, logins[k], NULL, email, true);
        }
        hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
        hc_summary sum = summary_of(r);
        assert_int_equal(sum.duplicate_rows, 2);
        size_t seen = 0;
        for (size_t i = 0; i < hc_result_account_count(r); i++) {
            hc_account_info a;
            hc_result_account(r, i, &a);
            if (a.kind != HC_ACCOUNT_GHEC ||
                a.exclusion == HC_EXCLUDE_DUPLICATE)
                continue;
            assert_true(seen < sizeof sorted / sizeof sorted[0]);
            assert_int_equal(a.login.len, strlen(sorted[seen]));
            assert_memory_equal(a.login.ptr, sorted[seen], a.login.len);
            seen++;
        }
        assert_int_equal(seen, sizeof sorted / sizeof sorted[0]);
        tb_fini(&t, r);
    }
}

/* Ids beyond 32 bits keep their high half outside the record: accounts
 * whose ids share the low half stay apart and repeats of a wide id are
 * found, in full and summary runs alike; a full run shows every id whole
 * (a summary run keeps no accounts to show). */
static void rule_wide_ids(void **state)
{
    (void)state;
    const uint64_t ids[] = {5, ((uint64_t)1 << 32) + 5, UINT64_MAX,
                            ((uint64_t)7 << 32) + 5, ((uint64_t)1 << 32) + 5};
    for (int summary = 0; summary < 2; summary++) {
        tb t;
        tb_init_ex(&t, 2, NULL, summary != 0);
        for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
            char email[40]; /* a repeated id repeats its row */
            snprintf(email, sizeof email, "u%llu@x.example",
                     (unsigned long long)ids[i]);
            tb_ghes(&t, "ghe-1", ids[i], "u", email, false, NULL);
        }
        hc_result *r = tb_run_summary(&t, summary != 0);
        hc_summary s = summary_of(r);
        assert_int_equal(s.ghes_accounts, 4);
        assert_int_equal(s.duplicate_rows, 1);
        assert_int_equal(s.total_seats_consumed, 4);
        if (!summary) {
            uint64_t want[] = {5, ((uint64_t)1 << 32) + 5,
                               ((uint64_t)1 << 32) + 5, ((uint64_t)7 << 32) + 5,
                               UINT64_MAX};
            assert_int_equal(hc_result_account_count(r), 5);
            for (size_t i = 0; i < 5; i++) {
                hc_account_info ai;
                hc_result_account(r, i, &ai);
                assert_int_equal(ai.ghes_id, want[i]);
            }
        }
        tb_fini(&t, r);
    }
}

/* A segment of thousands of rows, GHEC rows between GHES ones, wide and
 * repeated ids, rows with zero to two keys: passes over parts of it start
 * mid-segment (several threads), so they must find where each row's keys
 * start. A summary run on three threads must equal a full run on one. */
static void long_segment(void **state)
{
    (void)state;
    const uint64_t base = test_seed_env(0x10e6);
    snprintf(run_ctx, sizeof run_ctx,
             "long_segment: seed %llu: ", (unsigned long long)base);
    hc_summary sum[2];
    for (int summary = 0; summary < 2; summary++) {
        uint64_t seed = base; /* both runs count the same rows */
        tb t;
        tb_init_ex(&t, summary ? 3 : 1, NULL, summary != 0);
        for (int i = 0; i < 5000; i++) {
            uint64_t x = rng_next(&seed);
            char primary[40], other[40], login[24];
            snprintf(login, sizeof login, "u%d", i);
            snprintf(primary, sizeof primary, "p%llu@x.example",
                     (unsigned long long)(x % 3000));
            snprintf(other, sizeof other, "o%llu@x.example",
                     (unsigned long long)(x >> 20) % 4000);
            if (x % 23 == 0) {
                tb_ghec(&t, login, NULL, primary, (x >> 8) % 4 != 0);
                continue;
            }
            /* Ids repeat (rows of one id carry the same content, as a
             * repeated page would) and every eighth is wider than 32 bits. */
            uint64_t id = (x >> 40) % 4500;
            uint64_t y = id * 0x9E3779B97F4A7C15ull;
            if (id % 8 == 0)
                id += (uint64_t)(1 + id % 3) << 32;
            snprintf(primary, sizeof primary, "p%llu@x.example",
                     (unsigned long long)(y >> 33) % 3000);
            snprintf(other, sizeof other, "o%llu@x.example",
                     (unsigned long long)(y >> 45) % 4000);
            tb_ghes(&t, y % 2 ? "ghe-1" : "ghe-2", id, login,
                    y % 5 ? primary : NULL, (y >> 7) % 9 == 0,
                    (y >> 11) % 3 ? other : NULL);
        }
        hc_result *r = tb_run_summary(&t, summary != 0);
        sum[summary] = summary_of(r);
        tb_fini(&t, r);
    }
    check_true(sum[0].duplicate_rows > 100);
    check_true(sum[0].ghes_accounts_matched > 0);
    check_int_equal(sum[0].ghes_accounts, sum[1].ghes_accounts);
    check_int_equal(sum[0].ghes_accounts_total, sum[1].ghes_accounts_total);
    check_int_equal(sum[0].ghes_accounts_matched, sum[1].ghes_accounts_matched);
    check_int_equal(sum[0].duplicate_rows, sum[1].duplicate_rows);
    check_int_equal(sum[0].keyless_accounts, sum[1].keyless_accounts);
    check_int_equal(sum[0].github_seats, sum[1].github_seats);
    check_int_equal(sum[0].extended_seats, sum[1].extended_seats);
}

/* Adds GHES account i of a fixed population (sparse keys shared by some
 * accounts, so persons join across the rows of segment spans). */
static void add_nth(tb *t, int i)
{
    char login[24], primary[40];
    snprintf(login, sizeof login, "u%d", i);
    snprintf(primary, sizeof primary, "p%d@x.example", (i * 7919) % 1500);
    tb_ghes(t, i % 2 ? "ghe-1" : "ghe-2", (uint64_t)i, login,
            i % 11 ? primary : NULL, i % 13 == 0, NULL);
}

/*
 * An account the census refuses leaves no trace, also where the refusal
 * comes after the row would have started a key mark (row 1024) and with a
 * wide id: later rows keep their own keys in every path.
 */
static void refused_add_leaves_no_trace(void **state)
{
    (void)state;
    hc_summary sum[4];
    size_t huge = HC_RECORD_MAX + 1;
    char *login = calloc(huge, 1);
    assert_non_null(login);
    for (int v = 0; v < 4; v++) {
        bool summary = v & 1, refuse = v & 2;
        tb t;
        tb_init_ex(&t, summary ? 3 : 1, NULL, summary);
        for (int i = 0; i < 1024; i++)
            add_nth(&t, i);
        if (refuse) {
            uint32_t src;
            assert_int_equal(
                hc_census_source(t.c, HC_SOURCE_GHES, "ghe-1", 5, &src), HC_OK);
            hc_ghes_account a = {src,           ((uint64_t)1 << 33) + 5,
                                 {login, huge}, S("p1@x.example"),
                                 NULL,          0,
                                 false};
            assert_int_equal(hc_census_add_ghes(t.w, &a), HC_ERR_LIMIT);
        }
        for (int i = 1024; i < 4000; i++)
            add_nth(&t, i);
        hc_result *r = tb_run_summary(&t, summary);
        sum[v] = summary_of(r);
        tb_fini(&t, r);
    }
    free(login);
    for (int v = 1; v < 4; v++) {
        assert_int_equal(sum[v].github_seats, sum[0].github_seats);
        assert_int_equal(sum[v].ghes_accounts, sum[0].ghes_accounts);
        assert_int_equal(sum[v].keyless_accounts, sum[0].keyless_accounts);
        assert_int_equal(sum[v].suspended_accounts, sum[0].suspended_accounts);
    }
    assert_true(sum[0].github_seats < sum[0].ghes_accounts);
}

/*
 * A census is sealed by its first run: results borrow its sources and
 * segments, and owners the run left in the key set hold for the accounts
 * it saw. Later runs agree; new writers and new sources are refused.
 */
static void sealed_after_run(void **state)
{
    (void)state;
    tb t;
    tb_init(&t, 2, NULL);
    tb_ghec(&t, "carol", NULL, "k@x.example", true);
    tb_ghes(&t, "ghe-1", 1, "k", "k@x.example", false, NULL);
    hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
    hc_summary a = summary_of(r);
    hc_census_writer *w = NULL;
    assert_int_equal(hc_census_writer_create(t.c, &w), HC_ERR_ARG);
    assert_null(w);
    uint32_t src;
    assert_int_equal(hc_census_source(t.c, HC_SOURCE_GHES, "ghe-1", 5, &src),
                     HC_OK);
    assert_int_equal(hc_census_source(t.c, HC_SOURCE_GHES, "ghe-9", 5, &src),
                     HC_ERR_ARG);
    hc_result *r2 = NULL;
    assert_int_equal(hc_census_run(t.c, HC_POLICY_GITHUB, &r2), HC_OK);
    hc_summary b = summary_of(r2);
    assert_int_equal(a.total_seats_consumed, 1);
    assert_int_equal(b.total_seats_consumed, 1);
    assert_int_equal(b.ghes_accounts_matched, 1);
    hc_result_destroy(r2);
    tb_fini(&t, r);
}

/* GHEC rows without a license consume nothing; repeated logins merge. */
static void rule_ghec_rows(void **state)
{
    (void)state;
    tb t;
    tb_init(&t, 1, NULL);
    tb_ghec(&t, "dup", NULL, "a@corp.example", true);
    tb_ghec(&t, "dup", NULL, "b@corp.example", true);
    tb_ghec(&t, "server-only", NULL, NULL, false);
    tb_ghes(&t, "h", 1, "b", "b@corp.example", false, NULL);
    hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
    hc_summary s = summary_of(r);
    assert_int_equal(s.total_seats_consumed, 1);
    assert_int_equal(s.ghec_accounts, 1);
    assert_int_equal(s.ghec_unlicensed_accounts, 1);
    assert_int_equal(s.ghes_accounts_matched, 1);
    tb_fini(&t, r);
}

/* Extended joins through other emails and between GHEC accounts; the
 * difference is the potential saving. */
static void rule_extended(void **state)
{
    (void)state;
    for (int pol = 0; pol < 2; pol++) {
        tb t;
        tb_init(&t, 2, "corp.example");
        tb_ghec(&t, "judy-personal", NULL, "judy@corp.example", true);
        tb_ghec(&t, "judy-corp", "judy@corp.example", NULL, true);
        tb_ghes(&t, "ghe-2", 13, "judy", "judy@contractor.example", false,
                NULL);
        tb_ghes(&t, "ghe-3", 21, "judy", "judy@contractor.example", false,
                "judy@corp.example");
        tb_ghes(&t, "ghe-3", 22, "zed", "zed@else.example", false, NULL);
        hc_result *r = tb_run(&t, pol ? HC_POLICY_EXTENDED : HC_POLICY_GITHUB);
        hc_summary s = summary_of(r);
        assert_int_equal(s.github_seats, 4);
        assert_int_equal(s.extended_seats, 2);
        assert_int_equal(s.potential_savings, 2);
        assert_int_equal(s.total_seats_consumed, pol ? 2 : 4);
        assert_int_equal(s.persons_without_verified_domain_email, 1);
        if (!pol) {
            hc_person_info p;
            hc_result_person(r, 0, &p);
            assert_int_equal(p.group_size, 3);
        }
        tb_fini(&t, r);
    }
}

/* persons_without_verified_domain_email counts the persons of the policy
 * asked for. h:1's only email is off the verified domains; h:2 has one on
 * them and h:1's email as an other email. Under github they are two
 * persons, h:1's without a verified-domain email; under extended the
 * shared email makes them one person, which has one. Both paths. */
static void rule_verified_domains_by_policy(void **state)
{
    (void)state;
    for (int v = 0; v < 4; v++) {
        bool extended = v & 1, summary = v & 2;
        tb t;
        tb_init(&t, 2, "corp.example");
        tb_ghes(&t, "h", 1, "x", "x@home.example", false, NULL);
        tb_ghes(&t, "h", 2, "y", "y@corp.example", false, "x@home.example");
        hc_result *r = tb_run_ex(
            &t, extended ? HC_POLICY_EXTENDED : HC_POLICY_GITHUB, summary);
        hc_summary s = summary_of(r);
        assert_true(s.verified_domains_given);
        assert_int_equal(s.github_seats, 2);
        assert_int_equal(s.extended_seats, 1);
        assert_int_equal(s.total_seats_consumed, extended ? 1 : 2);
        assert_int_equal(s.persons_without_verified_domain_email,
                         extended ? 0 : 1);
        if (!summary) {
            assert_int_equal(hc_result_person_count(r), extended ? 1 : 2);
            /* Persons in order of their first account: h:1's first. */
            for (size_t p = 0; p < hc_result_person_count(r); p++) {
                hc_person_info pi;
                hc_result_person(r, p, &pi);
                assert_int_equal(pi.has_verified_domain_email,
                                 extended || p == 1);
            }
        }
        tb_fini(&t, r);
    }
}

/* IDN: a Unicode domain and its A-label form are one key. */
static void rule_idn(void **state)
{
    (void)state;
    tb t;
    tb_init(&t, 1, NULL);
    tb_ghec(&t, "erin",
            "erin@b\xc3\xbc"
            "cher.example",
            NULL, true);
    tb_ghes(&t, "h", 8, "erin", "erin@xn--bcher-kva.example", false, NULL);
    hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
    assert_int_equal(summary_of(r).total_seats_consumed, 1);
    tb_fini(&t, r);
}

/* No provider rules: +tags and dots are distinct addresses. */
static void rule_no_provider_rules(void **state)
{
    (void)state;
    tb t;
    tb_init(&t, 1, NULL);
    tb_ghes(&t, "h", 1, "a", "john.doe@gmail.com", false, NULL);
    tb_ghes(&t, "h", 2, "b", "johndoe@gmail.com", false, NULL);
    tb_ghes(&t, "h", 3, "c", "john.doe+work@gmail.com", false, NULL);
    hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
    assert_int_equal(summary_of(r).total_seats_consumed, 3);
    tb_fini(&t, r);
}

/* ---- randomized differential test against a reference ------------------ */

#define R_HOSTS 3
#define R_POOL 48
#define R_MAX 400

typedef struct racct {
    int ghec; /* 1 = GHEC */
    int host;
    uint64_t id;
    char login[24];
    char primary[64];
    char other[64];
    char saml[64];
    char verified[64];
    int suspended, licensed;
    int spell; /* GHES: bit 0 host in capitals, bit 1 with a trailing dot */
} racct;

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static const char *const hosts[R_HOSTS] = {"ghe-b", "ghe-a", "ghe-c"};

/* Logins ordered as the census orders them: bytes, then length. */
static int cmp_login(const void *pa, const void *pb)
{
    const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
    return strcmp(a, b); /* no NUL inside: byte order, a prefix first */
}

/*
 * Thousands of GHEC rows, most logins repeated and many sharing the
 * 16-byte prefix the sort compares first, added in a different order for
 * each thread count: the accounts come out in login order, one per login,
 * licensed when any of its rows is, with every row's key, whatever the
 * number of threads sorting them (parts of uneven size are merged).
 */
static void ghec_sort_threads(void **state)
{
    (void)state;
    enum { ROWS = 3000, LOGINS = 700 };
    static char login[LOGINS][40];
    static int licensed_any[LOGINS], rows_of[LOGINS];
    static int row_login[ROWS], row_licensed[ROWS], perm[ROWS];
    static const char *sorted[LOGINS];
    const uint64_t seed = test_seed_env(0x5eed5eed5eedull);
    rng_state = seed ? seed : 1; /* xorshift stays at 0 */
    snprintf(run_ctx, sizeof run_ctx,
             "ghec_sort_threads: seed %llu: ", (unsigned long long)seed);
    for (int i = 0; i < LOGINS; i++) {
        switch (i % 4) {
        case 0: snprintf(login[i], sizeof login[i], "u%d", i); break;
        case 1: /* past the prefix */
            snprintf(login[i], sizeof login[i], "aaaaaaaaaaaaaaaa%d", i);
            break;
        case 2: /* inside the prefix */
            snprintf(login[i], sizeof login[i], "aaaaaaa%d", i);
            break;
        default: /* a prefix of others */
            snprintf(login[i], sizeof login[i], "%.*s", 1 + (i / 4) % 20,
                     "aaaaaaaaaaaaaaaaaaaa");
            if (i >= 80) /* only 20 such logins: make the rest distinct */
                snprintf(login[i], sizeof login[i], "a-%d", i);
        }
    }
    for (int r = 0; r < ROWS; r++) {
        row_login[r] = r < LOGINS ? r : (int)rnd(LOGINS);
        row_licensed[r] = rnd(3) != 0;
        rows_of[row_login[r]]++;
        licensed_any[row_login[r]] |= row_licensed[r];
    }
    for (int i = 0; i < LOGINS; i++)
        sorted[i] = login[i];
    qsort(sorted, LOGINS, sizeof sorted[0], cmp_login);
    for (int i = 0; i + 1 < LOGINS; i++)
        check_true(strcmp(sorted[i], sorted[i + 1]) < 0); /* distinct */

    static const unsigned threads[] = {1, 2, 3, 5, 8};
    for (size_t v = 0; v < sizeof threads / sizeof threads[0]; v++) {
        snprintf(run_ctx, sizeof run_ctx,
                 "ghec_sort_threads: seed %llu, %u threads: ",
                 (unsigned long long)seed, threads[v]);
        for (int r = 0; r < ROWS; r++)
            perm[r] = r;
        for (int r = ROWS - 1; r > 0; r--) {
            int j = (int)rnd((uint32_t)r + 1), tmp = perm[r];
            perm[r] = perm[j];
            perm[j] = tmp;
        }
        tb t;
        tb_init(&t, threads[v], NULL);
        for (int r = 0; r < ROWS; r++) {
            char email[40];
            snprintf(email, sizeof email, "row%d@x.example", perm[r]);
            tb_ghec(&t, login[row_login[perm[r]]], NULL, email,
                    row_licensed[perm[r]] != 0);
        }
        hc_result *res = tb_run(&t, HC_POLICY_GITHUB);
        size_t seen = 0, repeats = 0;
        for (size_t i = 0; i < hc_result_account_count(res); i++) {
            hc_account_info a;
            hc_result_account(res, i, &a);
            check_int_equal(a.kind, HC_ACCOUNT_GHEC);
            if (a.exclusion == HC_EXCLUDE_DUPLICATE) {
                repeats++;
                continue;
            }
            check_true(seen < LOGINS);
            int k =
                (int)((const char(*)[40])(const void *)sorted[seen] - login);
            check_int_equal(a.login.len, strlen(login[k]));
            check_true(memcmp(a.login.ptr, login[k], a.login.len) == 0);
            check_int_equal(a.exclusion, licensed_any[k]
                                             ? HC_EXCLUDE_NONE
                                             : HC_EXCLUDE_UNLICENSED);
            check_int_equal(a.n_keys, (size_t)rows_of[k]);
            seen++;
        }
        check_int_equal(seen, LOGINS);
        check_int_equal(repeats, ROWS - LOGINS);
        tb_fini(&t, res);
    }
}

/* The domains census_digest passes as verified, and the same rule for the
 * reference (ref_verified_domain): corp.example itself and every
 * subdomain of eng.example, not eng.example itself. */
#define R_DOMAINS "corp.example,*.eng.example"

/* The domain of pool address p: a verified domain for about half of them,
 * else one that only resembles one. */
static const char *pool_domain(uint32_t p)
{
    static const char *const other[] = {"corp.example", "a.eng.example",
                                        "eng.example", "sub.corp.example"};
    return p % 3 == 0   ? "mail.example"
           : p % 3 == 1 ? "corp.example"
                        : other[(p / 3) % 4];
}

/* An address from a small pool, in a random case/whitespace variant.
 * Returns its number in the pool: 0 is no address (empty), 1 one that
 * is not valid, the others have a key each. */
static uint32_t pool_email(char *out, size_t cap)
{
    uint32_t p = rnd(R_POOL);
    if (p == 0) {
        out[0] = '\0';
        return p;
    }
    if (p == 1) {
        snprintf(out, cap, "not-an-email");
        return p;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "user%u@%s", p, pool_domain(p));
    size_t n = strlen(buf), o = 0;
    if (rnd(4) == 0)
        out[o++] = ' ';
    for (size_t i = 0; i < n && o + 2 < cap; i++)
        out[o++] = rnd(3) == 0 && buf[i] >= 'a' && buf[i] <= 'z'
                       ? (char)(buf[i] - 32)
                       : buf[i];
    if (rnd(4) == 0)
        out[o++] = '\t';
    out[o] = '\0';
    return p;
}

_Static_assert(R_POOL <= 64, "pool addresses are bits of a uint64_t");

/*
 * Random rows. GHEC: logins repeat (repeated rows merge), a login in
 * capitals is another account (logins compare byte for byte), a row in
 * ten has no login and is an account of its own, a row in five is
 * unlicensed. GHES: ids repeat within a host, the host is spelled in
 * capitals or with a trailing dot now and then (still one instance),
 * and logins include the system accounts in several spellings and logins
 * that only resemble them.
 */
static int gen(racct *a, int sparse_ids, int varied)
{
    /* ASCII letters fold, nothing else does: "gho\xc5\xbft" has a long s,
     * which Unicode case folding would turn into an s. */
    static const char *const special[] = {
        "ghost",  "Ghost",      "GHOST",      "scim-admin",
        "ghosts", "SCIM-Admin", "scim_admin", "gho\xc5\xbft"};
    int n = 0;
    uint64_t loginless = 0; /* pool addresses of GHEC rows without a login */
    int n_ghec = 10 + (int)rnd(30);
    for (int i = 0; i < n_ghec; i++, n++) {
        racct *x = &a[n];
        memset(x, 0, sizeof *x);
        x->ghec = 1;
        uint32_t kind = rnd(10), l = rnd(30);
        if (kind != 0)
            snprintf(x->login, sizeof x->login, kind == 1 ? "GH%u" : "gh%u", l);
        uint32_t ps = rnd(2) ? pool_email(x->saml, sizeof x->saml) : 0;
        uint32_t pv = rnd(3) ? pool_email(x->verified, sizeof x->verified) : 0;
        if (kind == 0) {
            /* A GHES account that two accounts without a login could
             * both join goes to the one a hash of their content picks:
             * rows without a login share no address here, so that the
             * reference knows which one it joins. */
            if (loginless >> ps & 1)
                x->saml[0] = '\0';
            if (loginless >> pv & 1)
                x->verified[0] = '\0';
            loginless |= ((uint64_t)1 << ps | (uint64_t)1 << pv) & ~(uint64_t)3;
        }
        x->licensed = rnd(5) != 0;
    }
    int n_ghes = 50 + (int)rnd(200);
    for (int i = 0; i < n_ghes; i++, n++) {
        racct *x = &a[n];
        memset(x, 0, sizeof *x);
        x->host = (int)rnd(R_HOSTS);
        x->spell = rnd(2) ? 0 : (int)rnd(4);
        x->id = rnd(120);
        if (sparse_ids) /* far apart: exercises the hashed id path */
            x->id *= 0x100000001ull;
        /* Content is a function of (host, id), so repeated rows are
         * identical, as a paginated export repeats them; when varied, a
         * third of the rows disagree with the others of their id. */
        uint64_t save = rng_state;
        if (!varied || rnd(3))
            rng_state = 0x9E3779B97F4A7C15ull * (x->id + 1) + (uint64_t)x->host;
        for (int k = 0; k < 3; k++)
            rnd(2);
        /* Varied rows may differ in their login alone, which only the
         * full path's order of equal ranks tells apart. */
        uint32_t l = rnd(40);
        snprintf(x->login, sizeof x->login, "%s",
                 l < 8              ? special[l]
                 : varied && rnd(2) ? "v"
                                    : "u");
        pool_email(x->primary, sizeof x->primary);
        if (rnd(3) == 0)
            pool_email(x->other, sizeof x->other);
        x->suspended = rnd(12) == 0;
        rng_state = save;
        /* Exports taken before and after a suspension: rows of one id
         * may disagree on it, and an eligible row wins. */
        if (rnd(10) == 0)
            x->suspended = !x->suspended;
    }
    return n;
}

/*
 * The reference: the rules of docs/rules.md applied by linear search, no
 * cleverness, to what gen() makes without varied, or to the rows
 * taken_rows() keeps of what it makes with varied (rows of one (host, id)
 * differ at most in the host's spelling and in being suspended, so the
 * rules say which row counts; GHEC rows without a login share no
 * address). Keys come from the normalizer, numbered in a table so that
 * accounts compare numbers. It gives:
 * - every summary field under each policy;
 * - each distinct account (GHEC accounts first, in order of their first
 *   row, then GHES accounts likewise), its exclusion, and its person
 *   under each policy, named by the smallest account index in it (-1
 *   when it counts for nobody);
 * - under policy github, which GHEC login each eligible GHES account
 *   joins ("" when none, or an account without a login): an identity
 *   value first, else a verified email, each time the lowest login in
 *   byte order.
 */
typedef struct ref_join {
    int host;
    uint64_t id;
    char login[24];
    int rule; /* HC_JOIN_IDENTITY, HC_JOIN_VERIFIED_EMAIL, or -1 */
} ref_join;

enum { REF_IDENTITY, REF_VERIFIED, REF_PRIMARY, REF_EMAIL }; /* key roles */
#define REF_KEYS 96 /* keys of one account: at most every pool key twice */

typedef struct ref_acct {
    int ghec;
    int row; /* its first row */
    int host;
    uint64_t id;
    char login[24];
    int excl;    /* hc_exclusion */
    int primary; /* GHES: number of the primary email's key, or -1 */
    int nkeys;
    int key[REF_KEYS], role[REF_KEYS];
    int person[2]; /* under policy github, extended */
} ref_acct;

typedef struct ref_out {
    hc_summary sum[2]; /* under policy github, extended */
    const ref_join *joins;
    int n_joins;
    const ref_acct *accts;
    int n_accts;
} ref_out;

static char ref_keys[R_POOL][HC_KEY_MAX + 1];
static int ref_nkeys;

/* The number of the key of s, or -1 when s has none. */
static int ref_key(const char *s)
{
    char k[HC_KEY_MAX + 1];
    size_t len = 0;
    check_int_equal(hc_email_normalize(s, strlen(s), k, &len), HC_OK);
    if (len == 0)
        return -1;
    for (int i = 0; i < ref_nkeys; i++)
        if (strcmp(ref_keys[i], k) == 0)
            return i;
    check_true(ref_nkeys < R_POOL);
    memcpy(ref_keys[ref_nkeys], k, len + 1);
    return ref_nkeys++;
}

/* Adds the key of s, if any, to x in role; an account's keys are a set. */
static int ref_add_key(ref_acct *x, int role, const char *s)
{
    int k = ref_key(s);
    if (k < 0)
        return k;
    for (int i = 0; i < x->nkeys; i++)
        if (x->key[i] == k && x->role[i] == role)
            return k;
    check_true(x->nkeys < REF_KEYS);
    x->key[x->nkeys] = k;
    x->role[x->nkeys++] = role;
    return k;
}

static int ref_has_key(const ref_acct *x, int role, int k)
{
    for (int i = 0; i < x->nkeys; i++)
        if (x->key[i] == k && x->role[i] == role)
            return 1;
    return 0;
}

/* ghost and scim-admin: ASCII letters compared ignoring case, every
 * other byte exactly. */
static int ref_system_login(const char *s)
{
    static const char *const sys[] = {"ghost", "scim-admin"};
    for (int i = 0; i < 2; i++) {
        size_t j = 0;
        while (s[j] && sys[i][j] &&
               (s[j] >= 'A' && s[j] <= 'Z' ? s[j] + 32 : s[j]) == sys[i][j])
            j++;
        if (!s[j] && !sys[i][j])
            return 1;
    }
    return 0;
}

/* Whether a key is on a domain of R_DOMAINS. */
static int ref_verified_domain(const char *key)
{
    const char *d = strrchr(key, '@') + 1;
    size_t n = strlen(d), m = strlen(".eng.example");
    return strcmp(d, "corp.example") == 0 ||
           (n > m && strcmp(d + n - m, ".eng.example") == 0);
}

static int ref_find(int *p, int x)
{
    while (p[x] != x)
        x = p[x];
    return x;
}

/* Whether GHEC account h comes before cur (-1: none yet) by login; two
 * accounts without a login would be ordered by a hash, which gen()
 * never lets matter. */
static int ref_lower_login(const ref_acct *acc, int h, int cur)
{
    if (cur < 0)
        return 1;
    int c = strcmp(acc[h].login, acc[cur].login);
    check_true(c != 0);
    return c < 0;
}

static ref_out reference(const racct *a, int n)
{
    static ref_join joins[R_MAX];
    static ref_acct acc[R_MAX];
    static int parent[R_MAX], has_ghec[R_MAX], has_domain[R_MAX];
    ref_out out;
    memset(&out, 0, sizeof out);
    out.joins = joins;
    out.accts = acc;
    hc_summary c; /* the fields that do not depend on the policy */
    memset(&c, 0, sizeof c);
    ref_nkeys = 0;
    int na = 0;
    /* GHEC accounts: one per login, byte for byte, licensed when any of
     * its rows is, with the keys of all its rows; a row without a login
     * is an account of its own. Repeated rows of a login are duplicates. */
    for (int i = 0; i < n; i++) {
        if (!a[i].ghec)
            continue;
        int g = -1;
        for (int j = 0; j < na && a[i].login[0]; j++)
            if (strcmp(acc[j].login, a[i].login) == 0)
                g = j;
        if (g >= 0) {
            c.duplicate_rows++;
        } else {
            g = na++;
            memset(&acc[g], 0, sizeof acc[g]);
            acc[g].ghec = 1;
            acc[g].row = i;
            acc[g].primary = -1;
            memcpy(acc[g].login, a[i].login, sizeof acc[g].login);
            acc[g].excl = HC_EXCLUDE_UNLICENSED;
        }
        if (a[i].licensed)
            acc[g].excl = HC_EXCLUDE_NONE;
        ref_add_key(&acc[g], REF_IDENTITY, a[i].saml);
        ref_add_key(&acc[g], REF_VERIFIED, a[i].verified);
    }
    const int n_ghec = na;
    /* GHES accounts: one per (host, id) however the host is spelled. An
     * eligible row wins over a suspended or system one; a suspended ghost
     * is a system account. Rows beyond the first are duplicates. */
    for (int i = 0; i < n; i++) {
        if (a[i].ghec)
            continue;
        int excl = ref_system_login(a[i].login) ? HC_EXCLUDE_SYSTEM
                   : a[i].suspended             ? HC_EXCLUDE_SUSPENDED
                                                : HC_EXCLUDE_NONE;
        int g = -1;
        for (int j = n_ghec; j < na; j++)
            if (acc[j].host == a[i].host && acc[j].id == a[i].id)
                g = j;
        if (g >= 0) {
            c.duplicate_rows++;
            /* gen() keeps the rows of one id alike but for being
             * suspended, which the rules decide; any other difference
             * would leave the choice of row to a hash of its content. */
            const racct *r0 = &a[acc[g].row];
            check_true(strcmp(r0->login, a[i].login) == 0 &&
                       strcmp(r0->primary, a[i].primary) == 0 &&
                       strcmp(r0->other, a[i].other) == 0);
            if (excl == HC_EXCLUDE_NONE)
                acc[g].excl = HC_EXCLUDE_NONE;
            continue;
        }
        g = na++;
        memset(&acc[g], 0, sizeof acc[g]);
        acc[g].row = i;
        acc[g].host = a[i].host;
        acc[g].id = a[i].id;
        memcpy(acc[g].login, a[i].login, sizeof acc[g].login);
        acc[g].excl = excl;
        acc[g].primary = ref_add_key(&acc[g], REF_PRIMARY, a[i].primary);
        ref_add_key(&acc[g], REF_EMAIL, a[i].other);
    }
    for (int g = 0; g < na; g++) {
        const ref_acct *x = &acc[g];
        int counts = x->excl == HC_EXCLUDE_NONE;
        if (x->ghec) {
            c.ghec_accounts += (uint64_t)counts;
            c.ghec_unlicensed_accounts += x->excl == HC_EXCLUDE_UNLICENSED;
            continue;
        }
        c.ghes_accounts_total++;
        c.ghes_accounts += (uint64_t)counts;
        c.keyless_accounts += counts && x->primary < 0;
        c.suspended_accounts += x->excl == HC_EXCLUDE_SUSPENDED;
        c.system_accounts += x->excl == HC_EXCLUDE_SYSTEM;
    }

    /* github: each licensed GHEC account is a person; an eligible GHES
     * account joins the GHEC account its primary email names, else the
     * first unmatched GHES account with that primary email; a keyless
     * one is a person of its own. */
    for (int g = 0; g < na; g++) {
        ref_acct *x = &acc[g];
        x->person[0] = x->excl == HC_EXCLUDE_NONE ? g : -1;
        if (x->ghec || x->excl != HC_EXCLUDE_NONE)
            continue;
        ref_join *jn = &joins[out.n_joins++];
        jn->host = x->host;
        jn->id = x->id;
        jn->login[0] = '\0';
        jn->rule = -1;
        if (x->primary < 0)
            continue;
        int by_id = -1, by_ve = -1; /* GHEC account indexes */
        for (int h = 0; h < n_ghec; h++) {
            if (acc[h].excl != HC_EXCLUDE_NONE)
                continue;
            if (ref_has_key(&acc[h], REF_IDENTITY, x->primary) &&
                ref_lower_login(acc, h, by_id))
                by_id = h;
            if (ref_has_key(&acc[h], REF_VERIFIED, x->primary) &&
                ref_lower_login(acc, h, by_ve))
                by_ve = h;
        }
        int to = by_id >= 0 ? by_id : by_ve;
        if (to >= 0) {
            x->person[0] = to;
            memcpy(jn->login, acc[to].login, sizeof jn->login);
            jn->rule = by_id >= 0 ? HC_JOIN_IDENTITY : HC_JOIN_VERIFIED_EMAIL;
            c.ghes_accounts_matched++;
            continue;
        }
        for (int h = n_ghec; h < g; h++)
            if (acc[h].excl == HC_EXCLUDE_NONE &&
                acc[h].primary == x->primary) {
                x->person[0] = acc[h].person[0];
                break;
            }
    }

    /* extended: eligible accounts (licensed GHEC, eligible GHES) sharing
     * any key, of any role, are one person, transitively; an ineligible
     * account joins nobody. A union keeps the smaller root, so a root is
     * the smallest index of its person. */
    for (int g = 0; g < na; g++)
        parent[g] = g;
    for (int i = 0; i < na; i++)
        for (int j = i + 1; j < na; j++) {
            if (acc[i].excl != HC_EXCLUDE_NONE ||
                acc[j].excl != HC_EXCLUDE_NONE)
                continue;
            int shared = 0;
            for (int x = 0; x < acc[i].nkeys && !shared; x++)
                for (int y = 0; y < acc[j].nkeys && !shared; y++)
                    shared = acc[i].key[x] == acc[j].key[y];
            if (!shared)
                continue;
            int ri = ref_find(parent, i), rj = ref_find(parent, j);
            if (ri < rj)
                parent[rj] = ri;
            else
                parent[ri] = rj;
        }
    for (int g = 0; g < na; g++)
        acc[g].person[1] =
            acc[g].excl == HC_EXCLUDE_NONE ? ref_find(parent, g) : -1;

    /* Per policy: persons, those with GHES accounts only, and those none
     * of whose keys (any account, any role) is on a verified domain. */
    uint64_t seats[2];
    for (int pol = 0; pol < 2; pol++) {
        hc_summary *s = &out.sum[pol];
        *s = c;
        s->policy = pol ? HC_POLICY_EXTENDED : HC_POLICY_GITHUB;
        s->verified_domains_given = true;
        for (int g = 0; g < na; g++)
            has_ghec[g] = has_domain[g] = 0;
        for (int g = 0; g < na; g++) {
            int p = acc[g].person[pol];
            if (p < 0)
                continue;
            has_ghec[p] |= acc[g].ghec;
            for (int k = 0; k < acc[g].nkeys; k++)
                has_domain[p] |= ref_verified_domain(ref_keys[acc[g].key[k]]);
        }
        for (int g = 0; g < na; g++) {
            if (acc[g].person[pol] != g)
                continue;
            s->total_seats_consumed++;
            s->ghes_only_persons += !has_ghec[g];
            s->persons_without_verified_domain_email += !has_domain[g];
        }
        seats[pol] = s->total_seats_consumed;
    }
    for (int pol = 0; pol < 2; pol++) {
        out.sum[pol].github_seats = seats[0];
        out.sum[pol].extended_seats = seats[1];
        out.sum[pol].potential_savings = seats[0] - seats[1];
    }
    out.n_accts = na;
    return out;
}

static void tb_add(tb *t, const racct *x)
{
    if (x->ghec) {
        tb_ghec(t, x->login, x->saml[0] ? x->saml : NULL,
                x->verified[0] ? x->verified : NULL, x->licensed);
        return;
    }
    char host[32];
    size_t n = 0;
    for (const char *h = hosts[x->host]; *h; h++)
        host[n++] =
            x->spell & 1 && *h >= 'a' && *h <= 'z' ? (char)(*h - 32) : *h;
    if (x->spell & 2)
        host[n++] = '.';
    host[n] = '\0';
    tb_ghes(t, host, x->id, x->login, x->primary, x->suspended,
            x->other[0] ? x->other : NULL);
}

/* The summary-only path's summary of a census built with the given
 * options; a summary_only census must refuse a run with persons. */
static hc_summary fast_summary(const racct *a, const int *order, int n,
                               unsigned threads, hc_policy policy,
                               const char *domains, bool summary_only)
{
    tb t;
    tb_init_ex(&t, threads, domains, summary_only);
    for (int k = 0; k < n; k++)
        tb_add(&t, &a[order[k]]);
    check_int_equal(hc_census_writer_finish(t.w), HC_OK);
    t.w = NULL;
    hc_result *r = NULL;
    if (summary_only) {
        check_int_equal(hc_census_run(t.c, policy, &r), HC_ERR_ARG);
        check_true(r == NULL);
    }
    check_int_equal(hc_census_run_ex(t.c, policy, 0, &r), HC_OK);
    hc_summary s = summary_of(r);
    hc_result *r2 = NULL;
    check_int_equal(hc_census_run_ex(t.c, policy, 1u << 7, &r2), HC_ERR_ARG);
    check_true(r2 == NULL);
    /* It lists no persons: no report of it, no account to find. */
    size_t acct = 0;
    check_int_equal(hc_report_write_json(r, NULL, hc_write_file, stdout),
                    HC_ERR_ARG);
    check_int_equal(hc_report_write_csv(r, NULL, hc_write_file, stdout),
                    HC_ERR_ARG);
    check_int_equal(hc_result_find(r, "x@corp.example", 14, &acct), HC_ERR_ARG);
    tb_fini(&t, r);
    return s;
}

/* Each eligible GHES account joins the GHEC account the reference names,
 * by the rule it names, or none: its person then starts with a GHES
 * account. */
static void expect_joins(const hc_result *r, const ref_out *want)
{
    for (int i = 0; i < want->n_joins; i++) {
        const ref_join *jn = &want->joins[i];
        char q[64];
        int qn = snprintf(q, sizeof q, "%s:%llu", hosts[jn->host],
                          (unsigned long long)jn->id);
        size_t acct;
        check_int_equal(hc_result_find(r, q, (size_t)qn, &acct), HC_OK);
        hc_account_info ai, first;
        hc_result_account(r, acct, &ai);
        check_true(ai.person != SIZE_MAX);
        hc_result_account(r, hc_result_person_account(r, ai.person, 0), &first);
        if (jn->rule < 0) {
            if (first.kind == HC_ACCOUNT_GHEC)
                fail_msg("%s%s joins %.*s, the reference none", run_ctx, q,
                         (int)first.login.len, first.login.ptr);
            continue;
        }
        if (first.kind != HC_ACCOUNT_GHEC ||
            first.login.len != strlen(jn->login) ||
            memcmp(first.login.ptr, jn->login, first.login.len) != 0 ||
            (int)ai.rule != jn->rule)
            fail_msg("%s%s joins %.*s by rule %d, the reference %s by %d",
                     run_ctx, q,
                     first.kind == HC_ACCOUNT_GHEC ? (int)first.login.len : 0,
                     first.login.ptr, (int)ai.rule, jn->login, jn->rule);
    }
}

/* A name for account x of the reference in messages. */
static const char *ref_name(const ref_acct *x, char *buf, size_t cap)
{
    if (!x->ghec)
        snprintf(buf, cap, "%s:%llu", hosts[x->host],
                 (unsigned long long)x->id);
    else if (x->login[0])
        snprintf(buf, cap, "GHEC %s", x->login);
    else
        snprintf(buf, cap, "GHEC (no login, %s)",
                 x->nkeys ? ref_keys[x->key[0]] : "no key");
    return buf;
}

/* The account of the reference that account i of the result is, or -1.
 * GHEC accounts without a login are known by a key (gen gives no two of
 * them a common address); those without a key are alike, each the first
 * one not yet taken, with the same exclusion if there is one. */
static int ref_account_of(const hc_result *r, size_t i,
                          const hc_account_info *ai, const ref_out *want,
                          const char *taken)
{
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < want->n_accts; k++) {
            const ref_acct *x = &want->accts[k];
            if (x->ghec != (ai->kind == HC_ACCOUNT_GHEC))
                continue;
            if (!x->ghec) {
                if (x->id == ai->ghes_id &&
                    ai->source.len == strlen(hosts[x->host]) &&
                    memcmp(ai->source.ptr, hosts[x->host], ai->source.len) == 0)
                    return k;
            } else if (x->login[0] || ai->login.len) {
                if (ai->login.len == strlen(x->login) &&
                    memcmp(ai->login.ptr, x->login, ai->login.len) == 0)
                    return k;
            } else if (ai->n_keys == 0) {
                if (x->nkeys == 0 && !taken[k] &&
                    (pass || x->excl == (int)ai->exclusion))
                    return k;
            } else {
                hc_key_role role;
                hc_str key = hc_result_account_key(r, i, 0, &role);
                for (int j = 0; j < x->nkeys; j++)
                    if (strlen(ref_keys[x->key[j]]) == key.len &&
                        memcmp(ref_keys[x->key[j]], key.ptr, key.len) == 0)
                        return k;
            }
        }
    return -1;
}

/* The accounts of the result are those of the reference, one each, with
 * the reference's exclusions (suspended, system, unlicensed) and one
 * result entry per repeated row; and two accounts are one person in the
 * result exactly when they are one in the reference under the policy
 * (pol: 0 github, 1 extended). */
static void expect_accounts(const hc_result *r, const ref_out *want, int pol)
{
    static char taken[R_MAX];
    static int first_of[R_MAX];     /* result person -> a reference account */
    static size_t person_of[R_MAX]; /* reference person -> result person */
    char name[2][96];
    size_t np = hc_result_person_count(r);
    check_true(np <= R_MAX);
    for (int k = 0; k < want->n_accts; k++) {
        taken[k] = 0;
        person_of[k] = SIZE_MAX;
    }
    for (size_t p = 0; p < np; p++)
        first_of[p] = -1;
    uint64_t repeats = 0;
    for (size_t i = 0; i < hc_result_account_count(r); i++) {
        hc_account_info ai;
        hc_result_account(r, i, &ai);
        if (ai.exclusion == HC_EXCLUDE_DUPLICATE) {
            repeats++;
            continue;
        }
        int k = ref_account_of(r, i, &ai, want, taken);
        if (k < 0 || taken[k]) {
            if (ai.kind == HC_ACCOUNT_GHES)
                snprintf(name[0], sizeof name[0], "%.*s:%llu",
                         (int)ai.source.len, ai.source.ptr,
                         (unsigned long long)ai.ghes_id);
            else
                snprintf(name[0], sizeof name[0], "GHEC %.*s",
                         (int)ai.login.len, ai.login.ptr);
            fail_msg("%saccount %s of the result is %s the reference", run_ctx,
                     name[0], k < 0 ? "not in" : "twice");
        }
        taken[k] = 1;
        const ref_acct *x = &want->accts[k];
        ref_name(x, name[0], sizeof name[0]);
        if ((int)ai.exclusion != x->excl)
            fail_msg("%s%s is excluded as %s, the reference says %s", run_ctx,
                     name[0], hc_exclusion_name(ai.exclusion),
                     hc_exclusion_name((hc_exclusion)x->excl));
        int ref_person = x->person[pol];
        if ((ai.person == SIZE_MAX) != (ref_person < 0))
            fail_msg("%s%s is %sin a person, in the reference %s", run_ctx,
                     name[0], ai.person == SIZE_MAX ? "not " : "",
                     ref_person < 0 ? "not" : "it is");
        if (ref_person < 0)
            continue;
        int other = first_of[ai.person];
        if (other < 0)
            first_of[ai.person] = k;
        else if (want->accts[other].person[pol] != ref_person)
            fail_msg("%s%s and %s are one person, two in the reference",
                     run_ctx, name[0],
                     ref_name(&want->accts[other], name[1], sizeof name[1]));
        if (person_of[ref_person] == SIZE_MAX)
            person_of[ref_person] = ai.person;
        else if (person_of[ref_person] != ai.person)
            fail_msg("%s%s and %s are two persons, one in the reference",
                     run_ctx, name[0],
                     ref_name(&want->accts[first_of[person_of[ref_person]]],
                              name[1], sizeof name[1]));
    }
    for (int k = 0; k < want->n_accts; k++)
        if (!taken[k])
            fail_msg("%s%s of the reference is not in the result", run_ctx,
                     ref_name(&want->accts[k], name[0], sizeof name[0]));
    if (repeats != want->sum[pol].duplicate_rows)
        fail_msg("%s%llu repeated rows in the result, the reference %llu",
                 run_ctx, (unsigned long long)repeats,
                 (unsigned long long)want->sum[pol].duplicate_rows);
}

/* Every summary field of got is want's; a failure names the two sides
 * (the full path and the summary-only one, the engine and the reference,
 * one input order and another). */
#define SAME(field)                                                           \
    do {                                                                      \
        if (got->field != want->field)                                        \
            fail_msg("%ssummary field " #field ": %s %llu, %s %llu", run_ctx, \
                     got_name, (unsigned long long)got->field, want_name,     \
                     (unsigned long long)want->field);                        \
    } while (0)

static void expect_summary(const hc_summary *got, const char *got_name,
                           const hc_summary *want, const char *want_name)
{
    SAME(policy);
    SAME(total_seats_consumed);
    SAME(github_seats);
    SAME(extended_seats);
    SAME(potential_savings);
    SAME(ghec_accounts);
    SAME(ghes_accounts);
    SAME(ghes_accounts_total);
    SAME(ghes_accounts_matched);
    SAME(ghes_only_persons);
    SAME(keyless_accounts);
    SAME(suspended_accounts);
    SAME(system_accounts);
    SAME(duplicate_rows);
    SAME(persons_without_verified_domain_email);
    SAME(verified_domains_given);
    SAME(rejected_rows);
    SAME(ghec_unlicensed_accounts);
}

/* Runs the census over a in the given order; returns a digest of the
 * person partition (accounts by host:id / login) plus the summary. */
static uint64_t census_digest(const racct *a, const int *order, int n,
                              unsigned threads, hc_policy policy,
                              const ref_out *ref, hc_summary *sum)
{
    tb t;
    tb_init(&t, threads, R_DOMAINS);
    for (int k = 0; k < n; k++)
        tb_add(&t, &a[order[k]]);
    hc_result *r = tb_run(&t, policy);
    hc_result_summary(r, sum);
    if (ref && policy == HC_POLICY_GITHUB)
        expect_joins(r, ref);
    if (ref)
        expect_accounts(r, ref, policy == HC_POLICY_EXTENDED);
    /* The summary-only path must agree with the full one on every field. */
    hc_result *fast = NULL;
    check_int_equal(hc_census_run_ex(t.c, policy, 0, &fast), HC_OK);
    hc_summary fs;
    hc_result_summary(fast, &fs);
    check_int_equal(hc_result_person_count(fast), 0);
    expect_summary(&fs, "summary-only", sum, "full path");
    for (size_t i = 0; i < hc_result_source_count(r); i++) {
        hc_source_info full_src, fast_src;
        hc_result_source(r, i, &full_src);
        hc_result_source(fast, i, &fast_src);
        check_int_equal(full_src.accounts, fast_src.accounts);
        check_int_equal(full_src.eligible, fast_src.eligible);
    }
    hc_result_destroy(fast);
    /* A summary_only census (which keeps no logins, and no key bytes
     * without verified domains) gives the same summary. */
    hc_summary so = fast_summary(a, order, n, threads, policy, R_DOMAINS, true);
    expect_summary(&so, "summary_only census", sum, "full path");
    /* Without verified domains only the count of persons without a
     * verified-domain email changes: it is 0, and not given. */
    hc_summary plain = fast_summary(a, order, n, threads, policy, NULL, false);
    hc_summary no_domains = *sum;
    no_domains.persons_without_verified_domain_email = 0;
    no_domains.verified_domains_given = false;
    expect_summary(&plain, "without domains", &no_domains, "with them");
    check_true(sum->verified_domains_given && !plain.verified_domains_given);
    so = fast_summary(a, order, n, threads, policy, NULL, true);
    expect_summary(&so, "summary_only census", &plain, "summary-only");
    /* Digest: for each account in canonical order, its identity and its
     * person's first account; both are order-independent. Then the
     * sources in result order, which must not follow the order the
     * accounts came in. */
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < hc_result_source_count(r); i++) {
        hc_source_info si;
        hc_result_source(r, i, &si);
        for (size_t j = 0; j < si.name.len; j++)
            h = (h ^ (uint8_t)si.name.ptr[j]) * 1099511628211ull;
        h = (h ^ si.accounts ^ si.eligible << 20) * 1099511628211ull;
    }
    for (size_t i = 0; i < hc_result_account_count(r); i++) {
        hc_account_info ai;
        hc_result_account(r, i, &ai);
        uint64_t first = ai.person == SIZE_MAX
                             ? UINT64_MAX
                             : hc_result_person_account(r, ai.person, 0);
        uint64_t v[4] = {ai.kind, ai.ghes_id, first, ai.rule};
        for (int j = 0; j < 4; j++)
            h = (h ^ v[j]) * 1099511628211ull;
        for (size_t j = 0; j < ai.login.len; j++)
            h = (h ^ (uint8_t)ai.login.ptr[j]) * 1099511628211ull;
        for (size_t j = 0; j < ai.source.len; j++)
            h = (h ^ (uint8_t)ai.source.ptr[j]) * 1099511628211ull;
        /* Keys in the order explain and savings show them, and the key
         * that joined the account: neither may follow key ids, which
         * depend on which thread met a key first. */
        for (size_t k = 0; k <= ai.n_keys; k++) {
            hc_key_role role = HC_KEY_PRIMARY;
            hc_str key = k < ai.n_keys ? hc_result_account_key(r, i, k, &role)
                                       : ai.join_key;
            h = (h ^ (uint64_t)role ^ 0x100) * 1099511628211ull;
            for (size_t j = 0; j < key.len; j++)
                h = (h ^ (uint8_t)key.ptr[j]) * 1099511628211ull;
        }
    }
    /* Each address of the pool finds the account a linear search over
     * every account's keys ranks first (identity value, GHES primary,
     * verified email, other email; seat-consuming first; then result
     * order), the same one for any thread count and input order. */
    for (uint32_t p = 2; p < R_POOL; p++) {
        char email[64];
        snprintf(email, sizeof email, "user%u@%s", p, pool_domain(p));
        size_t want = SIZE_MAX, got = SIZE_MAX;
        unsigned want_rank = 99;
        for (size_t i = 0; i < hc_result_account_count(r); i++) {
            hc_account_info ai;
            hc_result_account(r, i, &ai);
            for (size_t k = 0; k < ai.n_keys; k++) {
                hc_key_role role;
                hc_str key = hc_result_account_key(r, i, k, &role);
                if (key.len != strlen(email) ||
                    memcmp(key.ptr, email, key.len) != 0)
                    continue;
                unsigned rank = role == HC_KEY_IDENTITY   ? 0
                                : role == HC_KEY_PRIMARY  ? 1
                                : role == HC_KEY_VERIFIED ? 2
                                                          : 3;
                rank += ai.person == SIZE_MAX ? 4 : 0;
                if (rank < want_rank) {
                    want_rank = rank;
                    want = i;
                }
                break;
            }
        }
        hc_status st = hc_result_find(r, email, strlen(email), &got);
        check_int_equal(st, want == SIZE_MAX ? HC_ERR_NOTFOUND : HC_OK);
        if (st == HC_OK)
            check_int_equal(got, want);
        h = (h ^ (uint64_t)got) * 1099511628211ull;
    }
    tb_fini(&t, r);
    return h;
}

/*
 * Random censuses against the reference, each under both policies, added
 * in two orders and counted with 1 and 4 threads: every summary field,
 * each account's exclusion and person, and each GHES account's GHEC
 * account under policy github are the reference's, and the partition is
 * the same for every order and thread count.
 */
static void differential(void **state)
{
    (void)state;
    static racct accts[R_MAX];
    static int order[R_MAX];
    const uint64_t base = test_seed_env(20261128u);
    for (int round = 0; round < 40; round++) {
        uint64_t seed = base + (uint64_t)round;
        snprintf(run_ctx, sizeof run_ctx,
                 "differential: seed %llu round %d: ", (unsigned long long)base,
                 round);
        rng_state = seed * 0x2545F4914F6CDD1Dull | 1;
        int n = gen(accts, round % 2, 0);
        ref_out want = reference(accts, n);
        for (int pol = 0; pol < 2; pol++) {
            uint64_t first_digest = 0;
            for (int variant = 0; variant < 4; variant++) {
                snprintf(run_ctx, sizeof run_ctx,
                         "differential: seed %llu round %d, policy %s, "
                         "variant %d: ",
                         (unsigned long long)base, round,
                         pol ? "extended" : "github", variant);
                for (int i = 0; i < n; i++)
                    order[i] = i;
                if (variant & 1) /* shuffled input order */
                    for (int i = n - 1; i > 0; i--) {
                        int j = (int)rnd((uint32_t)i + 1);
                        int tmp = order[i];
                        order[i] = order[j];
                        order[j] = tmp;
                    }
                unsigned threads = variant & 2 ? 4 : 1;
                hc_summary s;
                uint64_t d = census_digest(
                    accts, order, n, threads,
                    pol ? HC_POLICY_EXTENDED : HC_POLICY_GITHUB, &want, &s);
                expect_summary(&s, "engine", &want.sum[pol], "the reference");
                if (variant == 0)
                    first_digest = d;
                else if (d != first_digest)
                    fail_msg("%spartition differs from variant 0 "
                             "(threads/order)",
                             run_ctx);
            }
        }
    }
}

/* Whether GHES row x has the content of account i of r: its login, its
 * primary email's key as the account's key, and the account's keys those
 * of the row's two addresses. */
static int row_is_account(const hc_result *r, size_t i,
                          const hc_account_info *ai, const racct *x)
{
    const char *raw[2] = {x->primary, x->other};
    char k[2][HC_KEY_MAX + 1];
    size_t len[2] = {0, 0};
    if (strlen(x->login) != ai->login.len ||
        memcmp(x->login, ai->login.ptr, ai->login.len) != 0)
        return 0;
    for (int j = 0; j < 2; j++)
        check_int_equal(
            hc_email_normalize(raw[j], strlen(raw[j]), k[j], &len[j]), HC_OK);
    if (len[0] != ai->key.len || memcmp(k[0], ai->key.ptr, len[0]) != 0)
        return 0;
    int other_seen = len[1] == 0;
    for (size_t j = 0; j < ai->n_keys; j++) {
        hc_key_role role;
        hc_str key = hc_result_account_key(r, i, j, &role);
        int is0 = len[0] && key.len == len[0] && !memcmp(key.ptr, k[0], len[0]);
        int is1 = len[1] && key.len == len[1] && !memcmp(key.ptr, k[1], len[1]);
        if (!is0 && !is1)
            return 0;
        other_seen |= is1;
    }
    return other_seen;
}

/*
 * The input the reference can take in place of a, whose repeated GHES rows
 * disagree, given r, the engine's result for a: each GHES account keeps
 * the rows of its (host, id) with the content of the account (the row the
 * engine took), written as the first of them so that the reference sees
 * them alike; the other rows are left out and counted in *dropped. Fails
 * when an account has the content of none of its rows, or is ineligible
 * while one of its rows is eligible (an eligible row wins). Returns the
 * number of rows in out.
 */
static int taken_rows(const hc_result *r, const racct *a, int n, racct *out,
                      uint64_t *dropped)
{
    int m = 0;
    *dropped = 0;
    for (int k = 0; k < n; k++) {
        if (a[k].ghec) {
            out[m++] = a[k];
            continue;
        }
        hc_account_info ai;
        size_t i = 0, na = hc_result_account_count(r);
        for (; i < na; i++) {
            hc_result_account(r, i, &ai);
            if (ai.kind == HC_ACCOUNT_GHES &&
                ai.exclusion != HC_EXCLUDE_DUPLICATE && ai.ghes_id == a[k].id &&
                ai.source.len == strlen(hosts[a[k].host]) &&
                memcmp(ai.source.ptr, hosts[a[k].host], ai.source.len) == 0)
                break;
        }
        check_true(i < na);
        int eligible = !a[k].suspended && !ref_system_login(a[k].login);
        if (eligible && ai.exclusion != HC_EXCLUDE_NONE)
            fail_msg("%s%s:%llu is excluded as %s, though a row of it is "
                     "eligible",
                     run_ctx, hosts[a[k].host], (unsigned long long)a[k].id,
                     hc_exclusion_name(ai.exclusion));
        if (!row_is_account(r, i, &ai, &a[k])) {
            (*dropped)++;
            continue;
        }
        out[m] = a[k];
        for (int j = 0; j < m; j++)
            if (!out[j].ghec && out[j].host == a[k].host &&
                out[j].id == a[k].id) {
                memcpy(out[m].primary, out[j].primary, sizeof out[m].primary);
                memcpy(out[m].other, out[j].other, sizeof out[m].other);
                break;
            }
        m++;
    }
    /* Every account kept a row: the engine took one of the input's. */
    for (size_t i = 0; i < hc_result_account_count(r); i++) {
        hc_account_info ai;
        hc_result_account(r, i, &ai);
        if (ai.kind != HC_ACCOUNT_GHES || ai.exclusion == HC_EXCLUDE_DUPLICATE)
            continue;
        int kept = 0;
        for (int j = 0; j < m && !kept; j++)
            kept =
                !out[j].ghec && out[j].id == ai.ghes_id &&
                ai.source.len == strlen(hosts[out[j].host]) &&
                memcmp(ai.source.ptr, hosts[out[j].host], ai.source.len) == 0;
        if (!kept)
            fail_msg("%s%.*s:%llu has the content of none of its rows", run_ctx,
                     (int)ai.source.len, ai.source.ptr,
                     (unsigned long long)ai.ghes_id);
    }
    return m;
}

/*
 * Repeated rows of one (host, id) that disagree: the rules pick an
 * eligible row when there is one, and otherwise leave the choice to the
 * rows' content. The engine's choice is read from one full run; the
 * reference, given the input with the rows of that content alone, must
 * then agree with the engine on every summary field, exclusion, person
 * and join (the rows left out still count as repeated rows), under both
 * policies, for two input orders and 1 and 4 threads, and the partition
 * must be the same in all of them.
 */
static void differing_repeats(void **state)
{
    (void)state;
    static racct accts[R_MAX], kept[R_MAX];
    static int order[R_MAX];
    const uint64_t base = test_seed_env(7000u);
    for (int round = 0; round < 20; round++) {
        uint64_t seed = base + (uint64_t)round;
        snprintf(run_ctx, sizeof run_ctx,
                 "differing_repeats: seed %llu round %d: ",
                 (unsigned long long)base, round);
        rng_state = seed * 0x2545F4914F6CDD1Dull | 1;
        int n = gen(accts, round % 2, 1);
        tb t;
        tb_init(&t, 1, R_DOMAINS);
        for (int k = 0; k < n; k++)
            tb_add(&t, &accts[k]);
        hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
        uint64_t dropped = 0;
        int m = taken_rows(r, accts, n, kept, &dropped);
        tb_fini(&t, r);
        ref_out want = reference(kept, m);
        for (int pol = 0; pol < 2; pol++) {
            want.sum[pol].duplicate_rows += dropped;
            uint64_t first_digest = 0;
            for (int variant = 0; variant < 4; variant++) {
                snprintf(run_ctx, sizeof run_ctx,
                         "differing_repeats: seed %llu round %d, policy %s, "
                         "variant %d: ",
                         (unsigned long long)base, round,
                         pol ? "extended" : "github", variant);
                for (int i = 0; i < n; i++)
                    order[i] = i;
                if (variant & 1)
                    for (int i = n - 1; i > 0; i--) {
                        int j = (int)rnd((uint32_t)i + 1);
                        int tmp = order[i];
                        order[i] = order[j];
                        order[j] = tmp;
                    }
                hc_summary s;
                uint64_t d = census_digest(
                    accts, order, n, variant & 2 ? 4 : 1,
                    pol ? HC_POLICY_EXTENDED : HC_POLICY_GITHUB, &want, &s);
                expect_summary(&s, "engine", &want.sum[pol], "the reference");
                if (variant == 0)
                    first_digest = d;
                else if (d != first_digest)
                    fail_msg("%spartition differs from variant 0", run_ctx);
            }
        }
    }
}

/* ---- growth of the key set ---------------------------------------------- */

/* One thread feeding several writers of a census whose key set must grow
 * many times (no lock may be held between calls). */
static void growth_one_thread_many_writers(void **state)
{
    (void)state;
    hc_census_options o = {0};
    o.threads = 2;
    o.expected_keys = 16;
    hc_census *c = NULL;
    hc_census_writer *w[3] = {NULL, NULL, NULL};
    assert_int_equal(hc_census_create(&o, &c), HC_OK);
    uint32_t src;
    assert_int_equal(hc_census_source(c, HC_SOURCE_GHES, "h", 1, &src), HC_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(hc_census_writer_create(c, &w[i]), HC_OK);
    char email[64];
    for (uint64_t i = 0; i < 20000; i++) {
        snprintf(email, sizeof email, "user%llu@corp.example",
                 (unsigned long long)(i % 9000));
        hc_ghes_account a = {src, i, S("u"), S(email), NULL, 0, false};
        assert_int_equal(hc_census_add_ghes(w[i % 3], &a), HC_OK);
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(hc_census_writer_finish(w[i]), HC_OK);
    hc_result *r = NULL;
    assert_int_equal(hc_census_run_ex(c, HC_POLICY_GITHUB, 0, &r), HC_OK);
    assert_int_equal(summary_of(r).total_seats_consumed, 9000);
    assert_int_equal(summary_of(r).ghes_accounts, 20000);
    hc_result_destroy(r);
    hc_census_destroy(c);
}

typedef struct grow_job {
    hc_census *c;
    uint32_t src;
    unsigned t;
} grow_job;

static void *grow_main(void *arg)
{
    grow_job *j = arg;
    hc_census_writer *w = NULL;
    if (hc_census_writer_create(j->c, &w) != HC_OK)
        return (void *)1;
    char email[64];
    for (uint64_t i = 0; i < 6000; i++) {
        /* Half the keys are shared between threads, half are not. */
        uint64_t k = i % 2 ? i : 1000000u * (j->t + 1) + i;
        snprintf(email, sizeof email, "p%llu@corp.example",
                 (unsigned long long)k);
        hc_ghes_account a = {
            j->src, (uint64_t)j->t * 100000u + i, S("u"), S(email), NULL, 0,
            false};
        if (hc_census_add_ghes(w, &a) != HC_OK)
            return (void *)1;
    }
    return hc_census_writer_finish(w) == HC_OK ? NULL : (void *)1;
}

/* Several threads growing the shared key set at once (run under TSan). */
static void growth_concurrent(void **state)
{
    (void)state;
    hc_census_options o = {0};
    o.threads = 4;
    o.expected_keys = 16;
    hc_census *c = NULL;
    assert_int_equal(hc_census_create(&o, &c), HC_OK);
    grow_job jobs[4];
    pthread_t tid[4];
    uint32_t src;
    assert_int_equal(hc_census_source(c, HC_SOURCE_GHES, "h", 1, &src), HC_OK);
    for (unsigned t = 0; t < 4; t++) {
        jobs[t] = (grow_job){c, src, t};
        assert_int_equal(pthread_create(&tid[t], NULL, grow_main, &jobs[t]), 0);
    }
    for (unsigned t = 0; t < 4; t++) {
        void *ret = NULL;
        pthread_join(tid[t], &ret);
        assert_null(ret);
    }
    hc_result *r = NULL;
    assert_int_equal(hc_census_run_ex(c, HC_POLICY_GITHUB, 0, &r), HC_OK);
    /* 3000 odd keys shared by all threads + 4 x 3000 private ones. */
    assert_int_equal(summary_of(r).total_seats_consumed, 3000 + 4 * 3000);
    hc_result_destroy(r);
    hc_census_destroy(c);
}

/* ---- failures ---------------------------------------------------------- */

/* An account's keys are a set however many it has: repeats past the
 * first four are dropped too (they were kept, and counted against the
 * account's limit). Each list of a GHEC account is a set of its own. */
static void repeated_keys_past_four(void **state)
{
    (void)state;
    tb t;
    tb_init(&t, 1, NULL);
    uint32_t gh, gc;
    assert_int_equal(hc_census_source(t.c, HC_SOURCE_GHES, "h", 1, &gh), HC_OK);
    assert_int_equal(hc_census_source(t.c, HC_SOURCE_GHEC, "c", 1, &gc), HC_OK);
    hc_str emails[] = {S("e1@x.example"), S("e2@x.example"),  S("e3@x.example"),
                       S("e4@x.example"), S("e5@x.example"),  S("E5@X.example"),
                       S("e5@x.example"), S(" e6@x.example"), S("e1@x.example"),
                       S("e6@x.example")};
    hc_ghes_account a = {gh,     1,
                         S("a"), S("p@x.example"),
                         emails, (sizeof emails / sizeof *emails),
                         false};
    assert_int_equal(hc_census_add_ghes(t.w, &a), HC_OK);
    hc_ghec_account g = {gc,
                         S("g"),
                         S(""),
                         emails,
                         (sizeof emails / sizeof *emails),
                         emails,
                         (sizeof emails / sizeof *emails),
                         true};
    assert_int_equal(hc_census_add_ghec(t.w, &g), HC_OK);
    hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
    for (size_t i = 0; i < hc_result_account_count(r); i++) {
        hc_account_info ai;
        hc_result_account(r, i, &ai);
        /* GHES: p and e1..e6; GHEC: e1..e6 as identity values and again
         * as verified emails. */
        assert_int_equal(ai.n_keys, ai.kind == HC_ACCOUNT_GHES ? 7 : 12);
    }
    tb_fini(&t, r);
}

/* The documented limits, as the readers apply them, hold for accounts
 * added through the API too: HC_ERR_LIMIT refuses the one account, and
 * the census still counts the others. */
static void add_limits(void **state)
{
    (void)state;
    tb t;
    tb_init(&t, 1, NULL);
    uint32_t gh, gc;
    char name[HC_SOURCE_NAME_MAX + 2];
    memset(name, 'h', sizeof name);
    assert_int_equal(hc_census_source(t.c, HC_SOURCE_GHES, name,
                                      HC_SOURCE_NAME_MAX + 1, &gh),
                     HC_ERR_LIMIT);
    assert_int_equal(hc_census_source(t.c, HC_SOURCE_GHES, "h", 1, &gh), HC_OK);
    assert_int_equal(hc_census_source(t.c, HC_SOURCE_GHEC, "c", 1, &gc), HC_OK);

    /* One raw value: HC_EMAIL_MAX bytes are read (too long for a key),
     * one more is refused. */
    char *big = malloc(HC_EMAIL_MAX + 2);
    assert_non_null(big);
    memset(big, 'a', HC_EMAIL_MAX + 1);
    big[HC_EMAIL_MAX + 1] = '\0';
    hc_str at_max = {big, HC_EMAIL_MAX}, over = {big, HC_EMAIL_MAX + 1};
    hc_ghes_account a = {gh, 1, S("a"), at_max, NULL, 0, false};
    assert_int_equal(hc_census_add_ghes(t.w, &a), HC_OK);
    a.id = 2;
    a.primary_email = over;
    assert_int_equal(hc_census_add_ghes(t.w, &a), HC_ERR_LIMIT);
    a.primary_email = S("b@corp.example");
    a.emails = &over;
    a.n_emails = 1;
    assert_int_equal(hc_census_add_ghes(t.w, &a), HC_ERR_LIMIT);
    hc_ghec_account g = {gc, S("g"), over, NULL, 0, NULL, 0, true};
    assert_int_equal(hc_census_add_ghec(t.w, &g), HC_ERR_LIMIT);

    /* Values per account: HC_ACCOUNT_VALUES_MAX, then one too many. */
    hc_str *many = malloc((HC_ACCOUNT_VALUES_MAX + 1) * sizeof *many);
    assert_non_null(many);
    for (size_t i = 0; i <= HC_ACCOUNT_VALUES_MAX; i++)
        many[i] = S("same@corp.example");
    a.emails = many;
    a.n_emails = HC_ACCOUNT_VALUES_MAX + 1;
    assert_int_equal(hc_census_add_ghes(t.w, &a), HC_ERR_LIMIT);
    a.n_emails = HC_ACCOUNT_VALUES_MAX;
    assert_int_equal(hc_census_add_ghes(t.w, &a), HC_OK);
    g.saml_name_id = S("");
    g.identity_values = many;
    g.n_identity_values = 2;
    g.verified_emails = many;
    g.n_verified_emails = HC_ACCOUNT_VALUES_MAX - 1;
    assert_int_equal(hc_census_add_ghec(t.w, &g), HC_ERR_LIMIT);
    g.n_verified_emails = HC_ACCOUNT_VALUES_MAX - 2;
    assert_int_equal(hc_census_add_ghec(t.w, &g), HC_OK);
    free(many);
    free(big);

    /* Refused accounts leave no trace: h:1 (keyless), h:2 (primary b@;
     * its other emails do not match under policy github) and g. */
    hc_result *r = tb_run(&t, HC_POLICY_GITHUB);
    hc_summary sum = summary_of(r);
    assert_int_equal(sum.ghes_accounts_total, 2);
    assert_int_equal(sum.keyless_accounts, 1);
    assert_int_equal(sum.ghec_accounts, 1);
    assert_int_equal(sum.total_seats_consumed, 3);
    tb_fini(&t, r);
}

/* A load that fails leaves the census holding part of an input: it does
 * not run, and says why. */
static void failed_load_does_not_run(void **state)
{
    (void)state;
    char path[] = "/tmp/headcount-census-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char csv[] = "created_at,id,login,email,role,suspended?\n"
                              "2020-01-01,1,a,a@corp.example,user,false\n"
                              "2020-01-01,2,b,b@corp.example,user,false\n"
                              "2020-01-01,x,c,c@corp.example,user,false\n";
    assert_int_equal(write(fd, csv, sizeof csv - 1), (ssize_t)(sizeof csv - 1));
    close(fd);
    hc_census *c = NULL;
    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    hc_input in = {HC_INPUT_GHES, path, "h", NULL};
    hc_load_options lo = {1, false};
    hc_diag d;
    assert_int_equal(hc_census_load(c, &in, &lo, NULL, &d), HC_ERR_DATA);
    assert_int_equal(d.line, 4);
    hc_result *r = NULL;
    assert_int_equal(hc_census_run(c, HC_POLICY_GITHUB, &r), HC_ERR_DATA);
    assert_null(r);
    assert_int_equal(hc_census_run_ex(c, HC_POLICY_GITHUB, 0, &r), HC_ERR_DATA);
    hc_census_destroy(c);

    /* A single input that cannot be opened adds nothing: the census
     * still runs (a later failed load still stops it). */
    hc_input missing = {HC_INPUT_GHES, "/nonexistent/all_users.csv", "h", NULL};
    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    assert_int_equal(hc_census_load(c, &missing, &lo, NULL, &d),
                     HC_ERR_NOINPUT);
    assert_int_equal(hc_census_load(c, &in, &lo, NULL, &d), HC_ERR_DATA);
    assert_int_equal(hc_census_run(c, HC_POLICY_GITHUB, &r), HC_ERR_DATA);
    hc_census_destroy(c);
    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    assert_int_equal(hc_census_load(c, &missing, &lo, NULL, &d),
                     HC_ERR_NOINPUT);
    assert_int_equal(hc_census_run(c, HC_POLICY_GITHUB, &r), HC_OK);
    hc_result_destroy(r);
    hc_census_destroy(c);
    unlink(path);
}

/* Writes text to a new temporary file named from the mkstemp template
 * path. */
static void write_tmp(char *path, const char *text)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

/* An input's name replaces its file name as the source name of a GHEC
 * input, and of a records input's rejected rows that name no source
 * (records without a source are still in GHEC source "ghec"); a GHES
 * input keeps its host. An empty name is refused, and one too long is
 * over a limit. */
static void input_name_names_source(void **state)
{
    (void)state;
    char ghec[] = "/tmp/headcount-census-XXXXXX";
    char recs[] = "/tmp/headcount-census-XXXXXX";
    write_tmp(ghec, "{\"users\":[{\"github_com_login\":\"mona\","
                    "\"github_com_user\":true}]}");
    write_tmp(recs, "{\"kind\":\"ghec\",\"login\":\"hubot\","
                    "\"licensed\":true}\nnot json\n");
    hc_census *c = NULL;
    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    hc_input in[2] = {{HC_INPUT_GHEC, ghec, NULL, "acme"},
                      {HC_INPUT_RECORDS, recs, NULL, "idp"}};
    hc_load_options lo = {1, true};
    hc_diag d;
    assert_int_equal(hc_census_load_many(c, in, 2, &lo, NULL, NULL, &d), HC_OK);
    hc_result *r = NULL;
    assert_int_equal(hc_census_run(c, HC_POLICY_GITHUB, &r), HC_OK);
    assert_int_equal(hc_result_source_count(r), 3);
    static const char *const names[] = {"acme", "ghec", "idp"};
    static const uint64_t accounts[] = {1, 1, 0}, rejected[] = {0, 0, 1};
    for (size_t i = 0; i < 3; i++) {
        hc_source_info si;
        hc_result_source(r, i, &si);
        assert_string_equal(si.name.ptr, names[i]);
        assert_int_equal(si.accounts, accounts[i]);
        assert_int_equal(si.rejected, rejected[i]);
    }
    hc_result_destroy(r);
    hc_census_destroy(c);

    char *longname = malloc(HC_SOURCE_NAME_MAX + 2);
    assert_non_null(longname);
    memset(longname, 'n', HC_SOURCE_NAME_MAX + 1);
    longname[HC_SOURCE_NAME_MAX + 1] = '\0';
    const struct {
        const char *name;
        hc_status want;
    } bad[] = {{"", HC_ERR_ARG}, {longname, HC_ERR_LIMIT}};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(hc_census_create(NULL, &c), HC_OK);
        hc_input one = {HC_INPUT_GHEC, ghec, NULL, bad[i].name};
        assert_int_equal(hc_census_load(c, &one, &lo, NULL, &d), bad[i].want);
        assert_string_equal(d.file, ghec);
        hc_census_destroy(c);
    }
    /* The longest name allowed is a name. */
    longname[HC_SOURCE_NAME_MAX] = '\0';
    assert_int_equal(hc_census_create(NULL, &c), HC_OK);
    hc_input edge = {HC_INPUT_GHEC, ghec, NULL, longname};
    assert_int_equal(hc_census_load(c, &edge, &lo, NULL, &d), HC_OK);
    hc_census_destroy(c);
    free(longname);
    unlink(ghec);
    unlink(recs);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TEST_SANITIZED 1
#endif
#endif

/*
 * Out of memory while accounts are added: whatever fails, an account whose
 * add returned HC_OK must be counted, or the census must say it failed.
 * The keys of accounts already added wait in a batch until it is
 * inserted; when that insert cannot grow the key set, those accounts used
 * to lose their keys while finish and run succeeded (extra seats). A child
 * process lowers its address-space limit once the census exists and adds
 * pairs of accounts sharing an email until an add fails. Skipped under
 * sanitizers, whose shadow memory does not live with such a limit.
 */
static void out_of_memory_while_adding(void **state)
{
    (void)state;
#ifdef TEST_SANITIZED
    skip();
#else
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hc_census_options o = {0};
        o.threads = 1;
        o.expected_keys = 16;
        hc_census *c = NULL;
        hc_census_writer *w = NULL;
        uint32_t src;
        if (hc_census_create(&o, &c) != HC_OK ||
            hc_census_source(c, HC_SOURCE_GHES, "h", 1, &src) != HC_OK ||
            hc_census_writer_create(c, &w) != HC_OK)
            _exit(3);
        long pages = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (!f || fscanf(f, "%ld", &pages) != 1)
            _exit(3);
        fclose(f);
        struct rlimit lim, old;
        getrlimit(RLIMIT_AS, &old);
        lim = old;
        lim.rlim_cur =
            (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)96 << 20);
        setrlimit(RLIMIT_AS, &lim);
        uint64_t ok = 0;
        hc_status rc = HC_OK;
        char email[48];
        while (rc == HC_OK && ok < 50000000u) {
            snprintf(email, sizeof email, "p%llu@corp.example",
                     (unsigned long long)(ok / 2));
            hc_ghes_account a = {src, ok + 1, S("u"), S(email), NULL, 0, false};
            rc = hc_census_add_ghes(w, &a);
            ok += rc == HC_OK;
        }
        setrlimit(RLIMIT_AS, &old);
        if (rc == HC_OK)
            _exit(2); /* the limit was never met */
        hc_result *r = NULL;
        hc_status fin = hc_census_writer_finish(w);
        hc_status ran = hc_census_run_ex(c, HC_POLICY_GITHUB, 0, &r);
        if (fin != HC_OK) /* reported: the census must refuse to run */
            _exit(ran == fin && !r ? 0 : 1);
        if (ran != HC_OK)
            _exit(0); /* reported by the run */
        hc_summary sum;
        hc_result_summary(r, &sum);
        fprintf(stderr, "%llu accounts added, %llu seats (expected %llu)\n",
                (unsigned long long)ok,
                (unsigned long long)sum.total_seats_consumed,
                (unsigned long long)((ok + 1) / 2));
        _exit(sum.total_seats_consumed == (ok + 1) / 2 ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rule_identity_match),
        cmocka_unit_test(rule_host_spelling),
        cmocka_unit_test(find_login_spelling),
        cmocka_unit_test(find_email_by_role),
        cmocka_unit_test(rule_verified_match),
        cmocka_unit_test(rule_identity_before_verified),
        cmocka_unit_test(rule_lowest_login_wins),
        cmocka_unit_test(rule_ghec_without_login),
        cmocka_unit_test(rule_suspended_system_account),
        cmocka_unit_test(rule_ghes_only),
        cmocka_unit_test(rule_repeated_rows),
        cmocka_unit_test(rule_ghec_login_order),
        cmocka_unit_test_teardown(ghec_sort_threads, run_ctx_clear),
        cmocka_unit_test(rule_wide_ids),
        cmocka_unit_test_teardown(long_segment, run_ctx_clear),
        cmocka_unit_test(refused_add_leaves_no_trace),
        cmocka_unit_test(sealed_after_run),
        cmocka_unit_test_teardown(differing_repeats, run_ctx_clear),
        cmocka_unit_test(rule_ghec_rows),
        cmocka_unit_test(rule_extended),
        cmocka_unit_test(rule_verified_domains_by_policy),
        cmocka_unit_test(rule_idn),
        cmocka_unit_test(rule_no_provider_rules),
        cmocka_unit_test_teardown(differential, run_ctx_clear),
        cmocka_unit_test(growth_one_thread_many_writers),
        cmocka_unit_test(growth_concurrent),
        cmocka_unit_test(repeated_keys_past_four),
        cmocka_unit_test(add_limits),
        cmocka_unit_test(failed_load_does_not_run),
        cmocka_unit_test(input_name_names_source),
        cmocka_unit_test(out_of_memory_while_adding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
