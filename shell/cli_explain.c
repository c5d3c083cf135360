/*
 * `headcount explain`, `headcount savings` and `headcount diff`: the
 * commands that answer "why": which person an account belongs to and by
 * which rule, which seats are paid twice for one person and what to change
 * so license sync merges them, and how two reports differ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "cli_inputs.h"
#include "cli_output.h"

const char cli_explain_usage[] =
    "usage: headcount explain [input options] [--json] [--] QUERY\n\n"
    "Shows the person that QUERY belongs to: an email address, a GHEC\n"
    "login (else a GHES login), or HOST:ID of a GHES account, ignoring\n"
    "ASCII case; every account of that person; and the rule and key that\n"
    "joined each one. Exits 1 when nothing matches. Input options are\n"
    "those of 'headcount count'.\n";

const char cli_savings_usage[] =
    "usage: headcount savings [input options] [--json | --csv]\n\n"
    "Lists the persons GitHub bills more than once: groups of accounts\n"
    "that share an email (policy extended) but that license sync does not\n"
    "merge (policy github), the seats each group costs, and the fix: which\n"
    "primary email to change on which GHES host, or which second GHEC\n"
    "account to remove. Input options are those of 'headcount count'\n"
    "(but --policy: savings compares both).\n";

const char cli_diff_usage[] =
    "usage: headcount diff [--json] [--] OLD.json NEW.json\n\n"
    "Compares two JSON reports written by 'headcount count --report' (or\n"
    "GitHub's consumed-licenses JSON): persons added, removed and changed,\n"
    "and the change in seats. Exits 0 when they are the same, 1 when they\n"
    "differ.\n";

/* ---- small JSON output helpers over stdout ---------------------------- */

static void jstr(hc_str s)
{
    cli_json_str(stdout, s);
}

static hc_str cstr(const char *s)
{
    hc_str out = {s, strlen(s)};
    return out;
}

/* A GHEC row without a login (null in a consumed-licenses file) is an
 * account of its own; text names it by this, JSON by a null login. */
static const hc_str no_login = {"(no login)", 10};

static hc_str login_shown(hc_str login)
{
    return login.len ? login : no_login;
}

static void print_account_id(FILE *f, const hc_account_info *a)
{
    if (a->kind == HC_ACCOUNT_GHES) {
        cli_print_str(f, a->source);
        fprintf(f, ":%llu", (unsigned long long)a->ghes_id);
    } else {
        fputs("GHEC ", f);
        cli_print_str(f, login_shown(a->login));
    }
}

/*
 * Under policy extended, how an account of a person reaches the account
 * that founds it: the key it shares with `via`, an account one step
 * closer to the founder (a breadth-first tree over shared keys). The
 * engine records for each account some key it shares with another
 * account, which need not lead to the founder at all.
 */
typedef struct acct_link {
    hc_str key;
    size_t via; /* an account index; SIZE_MAX when there is no link */
} acct_link;

static hc_str account_ref(const hc_account_info *a, char *buf, size_t cap);
static bool account_has(const hc_result *r, size_t ai, hc_str k);

static void json_account_link(const hc_result *r, size_t i, const acct_link *lk)
{
    hc_account_info a;
    hc_result_account(r, i, &a);
    if (lk && lk->via != SIZE_MAX)
        a.join_key = lk->key;
    printf("{\"kind\":\"%s\",\"source\":",
           a.kind == HC_ACCOUNT_GHES ? "ghes" : "ghec");
    jstr(a.source);
    if (a.kind == HC_ACCOUNT_GHES)
        printf(",\"id\":%llu", (unsigned long long)a.ghes_id);
    printf(",\"login\":");
    if (a.login.len)
        jstr(a.login);
    else
        printf("null");
    /* An account that counts for nothing joined nobody: no rule, no key. */
    bool counted = a.person != SIZE_MAX;
    printf(",\"counted\":%s,\"excluded\":\"%s\",\"rule\":%s%s%s,\"key\":",
           counted ? "true" : "false", hc_exclusion_name(a.exclusion),
           counted ? "\"" : "", counted ? hc_join_rule_name(a.rule) : "null",
           counted ? "\"" : "");
    if (counted && a.join_key.len)
        jstr(a.join_key);
    else
        printf("null");
    printf(",\"emails\":[");
    for (size_t j = 0; j < a.n_keys; j++) {
        hc_key_role role;
        hc_str k = hc_result_account_key(r, i, j, &role);
        static const char *const roles[] = {"primary", "email", "identity",
                                            "verified"};
        printf("%s{\"role\":\"%s\",\"key\":", j ? "," : "", roles[role]);
        jstr(k);
        putchar('}');
    }
    putchar(']');
    if (lk && lk->via != SIZE_MAX) {
        hc_account_info v;
        hc_result_account(r, lk->via, &v);
        char buf[HC_SOURCE_NAME_MAX + 24];
        printf(",\"joined_with\":");
        jstr(account_ref(&v, buf, sizeof buf));
    }
    putchar('}');
}

static void json_account(const hc_result *r, size_t i)
{
    json_account_link(r, i, NULL);
}

static const char *rule_text(hc_join_rule rule)
{
    switch (rule) {
    case HC_JOIN_SELF: return "founds this person";
    case HC_JOIN_IDENTITY:
        return "primary email equals the GHEC account's SAML/SCIM identity";
    case HC_JOIN_VERIFIED_EMAIL:
        return "primary email equals a verified email of the GHEC account";
    case HC_JOIN_SAME_PRIMARY:
        return "same primary email as another GHES account, no GHEC match";
    case HC_JOIN_SHARED_EMAIL: return "shares an email (policy extended)";
    }
    return "";
}

static void print_account_link(const hc_result *r, size_t i,
                               const acct_link *lk)
{
    hc_account_info a;
    hc_result_account(r, i, &a);
    if (lk && lk->via != SIZE_MAX)
        a.join_key = lk->key;
    fputs("  - ", stdout);
    print_account_id(stdout, &a);
    fputs(" login ", stdout);
    cli_print_str(stdout, login_shown(a.login));
    if (a.kind == HC_ACCOUNT_GHES) {
        fputs(" primary ", stdout);
        if (a.key.len)
            cli_print_str(stdout, a.key);
        else
            fputs("(no valid email)", stdout);
    }
    putchar('\n');
    if (a.person == SIZE_MAX) {
        printf("      not counted: %s\n", hc_exclusion_name(a.exclusion));
        return;
    }
    printf("      %s: %s", hc_join_rule_name(a.rule), rule_text(a.rule));
    if (a.join_key.len) {
        fputs(" (key ", stdout);
        cli_print_str(stdout, a.join_key);
        if (lk && lk->via != SIZE_MAX) {
            hc_account_info v;
            hc_result_account(r, lk->via, &v);
            fputs(", shared with ", stdout);
            print_account_id(stdout, &v);
        }
        putchar(')');
    }
    putchar('\n');
}

static void print_account(const hc_result *r, size_t i)
{
    print_account_link(r, i, NULL);
}

/*
 * Fills links[0..n_accounts) for person p under policy extended: a
 * breadth-first search from its founding account over shared keys, each
 * key's accounts visited once (a team mailbox on thousands of accounts
 * must not make it quadratic). links[j].via is an account index. False
 * when out of memory.
 */
static bool person_links(const hc_result *r, size_t p, acct_link *links)
{
    hc_person_info pi;
    hc_result_person(r, p, &pi);
    size_t n = pi.n_accounts, total = 0, root = 0;
    for (size_t j = 0; j < n; j++) {
        hc_account_info a;
        hc_result_account(r, hc_result_person_account(r, p, j), &a);
        total += a.n_keys;
        if (a.rule == HC_JOIN_SELF)
            root = j;
        links[j] = (acct_link){{"", 0}, SIZE_MAX};
    }
    /* Each key with the position of its account in the person. */
    cli_str_ref *ka = malloc((total ? total : 1) * sizeof *ka);
    size_t *queue = malloc((n ? n : 1) * sizeof *queue);
    bool *seen = calloc(n ? n : 1, sizeof *seen);
    bool *done = calloc(total ? total : 1, sizeof *done);
    bool ok = ka && queue && seen && done;
    if (ok) {
        size_t k = 0;
        for (size_t j = 0; j < n; j++) {
            size_t ai = hc_result_person_account(r, p, j);
            hc_account_info a;
            hc_result_account(r, ai, &a);
            for (size_t z = 0; z < a.n_keys; z++)
                ka[k++] =
                    (cli_str_ref){hc_result_account_key(r, ai, z, NULL), j};
        }
        qsort(ka, total, sizeof *ka, cli_str_ref_cmp);
        size_t head = 0, tail = 0;
        queue[tail++] = root;
        seen[root] = true;
        while (head < tail) {
            size_t u = queue[head++];
            size_t ui = hc_result_person_account(r, p, u);
            hc_account_info a;
            hc_result_account(r, ui, &a);
            for (size_t z = 0; z < a.n_keys; z++) {
                hc_str key = hc_result_account_key(r, ui, z, NULL);
                /* The first entry of this key, by binary search. */
                size_t lo = 0, hi = total;
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (cli_str_cmp(ka[mid].s, key) < 0)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                if (lo >= total || done[lo])
                    continue;
                done[lo] = true;
                for (size_t e = lo; e < total && cli_str_cmp(ka[e].s, key) == 0;
                     e++) {
                    size_t v = ka[e].i;
                    if (seen[v])
                        continue;
                    seen[v] = true;
                    links[v] = (acct_link){key, ui};
                    queue[tail++] = v;
                }
            }
        }
    }
    free(ka);
    free(queue);
    free(seen);
    free(done);
    return ok;
}

static bool str_eq(hc_str a, hc_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* "HOST:ID" of a GHES account, the login of a GHEC one, into buf: what
 * explains it. A GHEC account without a login has no such QUERY (one of
 * its emails finds it, unless an account the rules prefer holds it too). */
static hc_str account_ref(const hc_account_info *a, char *buf, size_t cap)
{
    static const hc_str unnamed = {"(GHEC account without a login)", 30};
    if (a->kind != HC_ACCOUNT_GHES)
        return a->login.len ? a->login : unnamed;
    int k = snprintf(buf, cap, "%.*s:%llu", (int)a->source.len, a->source.ptr,
                     (unsigned long long)a->ghes_id);
    size_t len = k < 0 ? 0 : (size_t)k;
    return (hc_str){buf, len < cap ? len : cap - 1};
}

/* True when a and b are equal ignoring ASCII case, as logins compare (the
 * command runs in the C locale). */
static bool login_eq(hc_str a, const char *b, size_t n)
{
    return a.len == n && (n == 0 || strncasecmp(a.ptr, b, n) == 0);
}

/* s without the ASCII whitespace around it, as hc_result_find reads a
 * query, and a login when none matches as the input gives it. */
static hc_str trimmed(hc_str s)
{
    while (s.len && (*s.ptr == ' ' || (*s.ptr >= '\t' && *s.ptr <= '\r'))) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' ||
                     (s.ptr[s.len - 1] >= '\t' && s.ptr[s.len - 1] <= '\r')))
        s.len--;
    return s;
}

/* One item of a list of other accounts: a JSON string, or in text the
 * next item of a line that begins with heading. */
static void print_match(bool json, size_t *shown, hc_str ref,
                        const char *heading)
{
    if (json) {
        if (*shown)
            putchar(',');
        jstr(ref);
    } else {
        if (*shown)
            printf(", ");
        else
            printf("%s (explain each by the GHEC login or HOST:ID shown): ",
                   heading);
        cli_print_str(stdout, ref);
    }
    (*shown)++;
}

static void print_matches_end(bool json, size_t shown)
{
    if (json)
        putchar(']');
    else if (shown)
        putchar('\n');
}

/*
 * When the query named account acct by its login, the other accounts with
 * that login: logins are unique on one instance only, so "jsmith" on two
 * hosts may be two people. Prints them as a JSON array of HOST:ID / GHEC
 * logins, or as a text line; nothing in text when there are none. Each is
 * a QUERY that finds that very account: a GHEC login is found before a
 * GHES one, and one spelled exactly so before one that differs in case.
 */
static void print_other_logins(const hc_result *r, size_t acct,
                               const char *query, size_t qn, bool json)
{
    hc_account_info a;
    hc_result_account(r, acct, &a);
    size_t shown = 0;
    /* Found by its login, maybe without the blanks around it: the others
     * are the logins that match the same way. */
    bool by_login = login_eq(trimmed(a.login), query, qn);
    char a_buf[HC_SOURCE_NAME_MAX + 24];
    hc_str a_ref = account_ref(&a, a_buf, sizeof a_buf);
    /* The last account listed: the repeated rows of one account are
     * neighbours in the canonical order (by host and id, or by login). */
    char last_buf[HC_SOURCE_NAME_MAX + 24];
    hc_str last = {"", 0};
    hc_account_kind last_kind = a.kind;
    if (json)
        printf(",\"other_login_matches\":[");
    for (size_t i = 0, n = hc_result_account_count(r); by_login && i < n; i++) {
        hc_account_info b;
        hc_result_account(r, i, &b);
        if (i == acct || !login_eq(trimmed(b.login), query, qn))
            continue;
        char buf[HC_SOURCE_NAME_MAX + 24];
        hc_str ref = account_ref(&b, buf, sizeof buf);
        /* A repeated row of the found account, or of the one just listed,
         * is the same account: a GHES id repeats on its host, a GHEC login
         * in any GHEC source. */
        if ((b.kind == a.kind && str_eq(ref, a_ref)) ||
            (shown && b.kind == last_kind && str_eq(ref, last)))
            continue;
        print_match(json, &shown, ref, "Other accounts with this login");
        /* A GHES ref lives in buf (same size as last_buf), a GHEC one in
         * the result, which outlives the loop. */
        last = ref;
        if (ref.ptr == buf) {
            memcpy(last_buf, ref.ptr, ref.len);
            last.ptr = last_buf;
        }
        last_kind = b.kind;
    }
    print_matches_end(json, shown);
}

/*
 * When the query is an email, the accounts of other persons that hold it
 * too (the person shown is the one the rules match it to first; see
 * hc_result_find): a secondary email, or a verified email that an
 * identity value outranks, names another seat that the same address is
 * on. Listed like other_login_matches, as the QUERY that explains each;
 * accounts that consume no seat are left out.
 */
static void print_other_emails(const hc_result *r, size_t acct, size_t person,
                               const char *query, bool json)
{
    char key[HC_KEY_MAX + 1];
    size_t klen = 0;
    bool by_email =
        strchr(query, '@') &&
        hc_email_normalize(query, strlen(query), key, &klen) == HC_OK &&
        klen > 0;
    hc_str k = {key, klen};
    size_t shown = 0;
    if (json)
        printf(",\"other_email_matches\":[");
    for (size_t i = 0, n = hc_result_account_count(r); by_email && i < n; i++) {
        hc_account_info b;
        hc_result_account(r, i, &b);
        if (i == acct || b.person == SIZE_MAX || b.person == person ||
            !account_has(r, i, k))
            continue;
        char buf[HC_SOURCE_NAME_MAX + 24];
        hc_str ref = account_ref(&b, buf, sizeof buf);
        print_match(json, &shown, ref,
                    "Accounts of other persons with this email");
    }
    print_matches_end(json, shown);
}

int cli_explain_main(int argc, char **argv)
{
    cli_inputs in;
    cli_inputs_init(&in);
    bool json = false;
    const char *query = NULL;
    int code = 0;
    hc_census *c = NULL;
    hc_domains *d = NULL;
    hc_result *r = NULL;
    acct_link *links = NULL; /* policy extended: how accounts connect */
    size_t n_links = 0;
    bool options = true; /* until "--": a QUERY may begin with '-' */
    for (int i = 1; i < argc; i++) {
        int k = options ? cli_inputs_parse(&in, "explain", argc, argv, &i) : 0;
        if (k < 0) {
            code = CLI_EX_USAGE;
            goto done;
        }
        if (k > 0)
            continue;
        if (options && (k = cli_opt_flag("explain", "--json", argv[i])) != 0) {
            if (k < 0) {
                code = CLI_EX_USAGE;
                goto done;
            }
            json = true;
        } else if (options && strcmp(argv[i], "--") == 0)
            options = false;
        else if (options && argv[i][0] == '-' && argv[i][1]) {
            code = cli_usage_error("explain", "unknown option '%s'", argv[i]);
            goto done;
        } else if (query) {
            code = cli_usage_error("explain", "one QUERY only");
            goto done;
        } else
            query = argv[i];
    }
    if (!query || !*query) {
        /* An empty query would match an account without any email. */
        code = cli_usage_error("explain",
                               query ? "QUERY is empty" : "missing QUERY");
        goto done;
    }
    if ((code = cli_inputs_run(&in, "explain", HC_RUN_PERSONS, &c, &d, &r)) !=
        0)
        goto done;
    /* The query as hc_result_find reads it. */
    hc_str qt = trimmed(cstr(query));
    const char *q = qt.ptr;
    size_t qn = qt.len;
    size_t acct;
    hc_status st = hc_result_find(r, query, strlen(query), &acct);
    if (st == HC_ERR_NOTFOUND) {
        /* The query is shown as the terminal-safe text of every output. */
        fputs("headcount: no account matches '", stderr);
        cli_print_str(stderr, (hc_str){query, strlen(query)});
        fputs("'\n", stderr);
        code = 1;
        goto done;
    } else if (st != HC_OK) {
        code = cli_fail(st, "explain");
        goto done;
    }
    hc_account_info a;
    hc_result_account(r, acct, &a);
    hc_summary sum;
    hc_result_summary(r, &sum);
    /* A repeated row stands for the account its first row founds: its
     * person is that account's. */
    char ref_buf[HC_SOURCE_NAME_MAX + 24];
    hc_str ref = {"", 0};
    size_t person = a.person;
    if (a.exclusion == HC_EXCLUDE_DUPLICATE) {
        hc_str id = account_ref(&a, ref_buf, sizeof ref_buf);
        size_t rep;
        hc_account_info ra;
        if (hc_result_find(r, id.ptr, id.len, &rep) == HC_OK && rep != acct) {
            hc_result_account(r, rep, &ra);
            person = ra.person;
            ref = id;
        }
    }
    if (person != SIZE_MAX && sum.policy == HC_POLICY_EXTENDED) {
        hc_person_info lp;
        hc_result_person(r, person, &lp);
        n_links = lp.n_accounts;
        links = malloc((n_links ? n_links : 1) * sizeof *links);
        if (!links || !person_links(r, person, links)) {
            code = cli_fail(HC_ERR_NOMEM, "explain");
            goto done;
        }
    }
    if (json) {
        printf("{\"query\":");
        jstr(cstr(query));
        printf(",\"policy\":\"%s\",\"account\":", hc_policy_name(sum.policy));
        const acct_link *own = NULL; /* the queried account's link */
        for (size_t j = 0; links && !own && j < n_links; j++)
            if (hc_result_person_account(r, person, j) == acct)
                own = &links[j];
        json_account_link(r, acct, own);
        print_other_logins(r, acct, q, qn, true);
        print_other_emails(r, acct, person, query, true);
        if (ref.len) {
            printf(",\"repeats\":");
            jstr(ref);
        }
        if (person == SIZE_MAX) {
            printf(",\"person\":null}\n");
            goto done;
        }
        hc_person_info p;
        hc_result_person(r, person, &p);
        /* Without --verified-domains there is nothing to tell: null, as
         * in count's summary. */
        printf(",\"person\":{\"index\":%zu,\"seats\":1,"
               "\"has_verified_domain_email\":%s,\"same_person_seats\":%zu,"
               "\"accounts\":[",
               person,
               !sum.verified_domains_given   ? "null"
               : p.has_verified_domain_email ? "true"
                                             : "false",
               p.group_size);
        for (size_t j = 0; j < p.n_accounts; j++) {
            if (j)
                putchar(',');
            json_account_link(r, hc_result_person_account(r, person, j),
                              links ? &links[j] : NULL);
        }
        printf("]}}\n");
        goto done;
    }
    printf("Query '");
    cli_print_str(stdout, cstr(query));
    printf("' is account ");
    print_account_id(stdout, &a);
    printf(" (policy %s)\n", hc_policy_name(sum.policy));
    print_other_logins(r, acct, q, qn, false);
    print_other_emails(r, acct, person, query, false);
    if (ref.len) {
        printf("This row repeats ");
        cli_print_str(stdout, ref);
        printf(", which counts once%s\n",
               person == SIZE_MAX ? " (and consumes no seat)" : ":");
        if (person == SIZE_MAX)
            goto done;
    } else if (a.person == SIZE_MAX) {
        printf("This account consumes no seat: %s.\n",
               hc_exclusion_name(a.exclusion));
        print_account(r, acct);
        goto done;
    }
    hc_person_info p;
    hc_result_person(r, person, &p);
    printf("Person #%zu: 1 seat, %zu account%s%s\n", person + 1, p.n_accounts,
           p.n_accounts == 1 ? "" : "s",
           sum.verified_domains_given && !p.has_verified_domain_email
               ? ", no email on a verified domain"
               : "");
    for (size_t j = 0; j < p.n_accounts; j++)
        print_account_link(r, hc_result_person_account(r, person, j),
                           links ? &links[j] : NULL);
    if (p.group_size > 1)
        printf("This person shares emails with %zu other billed person%s: "
               "see 'headcount savings'.\n",
               p.group_size - 1, p.group_size == 2 ? "" : "s");
done:
    free(links);
    hc_result_destroy(r);
    hc_census_destroy(c);
    hc_domains_destroy(d);
    cli_inputs_fini(&in);
    return code;
}

/* ---- savings ------------------------------------------------------------ */

/* The email that joins an account to person target under policy github:
 * its GHEC identity value or verified email (each class in byte order, so
 * the first one listed), or the primary email of its first GHES account.
 * Empty when there is none: a GHES account without a valid primary email
 * joins nobody, whatever other emails it has. */
static hc_str target_email(const hc_result *r, size_t target)
{
    size_t first = hc_result_person_account(r, target, 0);
    hc_account_info a;
    hc_result_account(r, first, &a);
    hc_str none = {"", 0};
    if (a.kind == HC_ACCOUNT_GHES)
        return a.key;
    return a.n_keys ? hc_result_account_key(r, first, 0, NULL) : none;
}

/* Which person of a group to keep, lowest first: one whose GHEC account
 * SAML or SCIM links (it has a SAML NameID, an email or not, or an identity
 * value that is an email), another GHEC account, then a GHES account with
 * a valid primary email. An employee number as NameID is no key, but its
 * account is still the one the identity provider manages. Within each
 * GHEC class an account with a login comes before one without (a
 * consumed-licenses row whose login is null): the administrator can find
 * the named one, and the nameless one sorts first by its empty login. */
#define KEEP_RANKS 5 /* keep_rank's values are below this */

static int keep_rank(const hc_result *r, size_t person)
{
    size_t first = hc_result_person_account(r, person, 0);
    hc_account_info a;
    hc_result_account(r, first, &a);
    if (a.kind != HC_ACCOUNT_GHEC)
        return 4;
    hc_key_role role = HC_KEY_VERIFIED;
    if (a.n_keys)
        (void)hc_result_account_key(r, first, 0, &role);
    int linked = role == HC_KEY_IDENTITY || a.saml_name_id.len;
    return (linked ? 0 : 2) + (a.login.len == 0);
}

/* True when account ai lists key k among its emails. */
static bool account_has(const hc_result *r, size_t ai, hc_str k)
{
    hc_account_info a;
    hc_result_account(r, ai, &a);
    for (size_t z = 0; z < a.n_keys; z++)
        if (str_eq(hc_result_account_key(r, ai, z, NULL), k))
            return true;
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return cli_str_cmp(*(const hc_str *)a, *(const hc_str *)b);
}

/* The emails GitHub would join an account to person p by, had the account
 * one of them as its primary email: the identity values and verified
 * emails of p's GHEC account, and the primary emails of its GHES
 * accounts. Sorted, for binary search: a kept person can hold thousands
 * of accounts, and every account of its group looks its emails up here.
 * NULL only when out of memory. */
static hc_str *join_keys(const hc_result *r, size_t p, size_t *n)
{
    hc_person_info pi;
    hc_result_person(r, p, &pi);
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t k = 0;
        hc_str *v = NULL;
        if (pass && !(v = malloc((total ? total : 1) * sizeof *v))) {
            *n = 0;
            return NULL;
        }
        for (size_t y = 0; y < pi.n_accounts; y++) {
            size_t ai = hc_result_person_account(r, p, y);
            hc_account_info a;
            hc_result_account(r, ai, &a);
            if (a.kind == HC_ACCOUNT_GHES) {
                if (a.key.len && pass)
                    v[k] = a.key;
                k += a.key.len > 0;
                continue;
            }
            for (size_t z = 0; z < a.n_keys; z++, k++)
                if (pass)
                    v[k] = hc_result_account_key(r, ai, z, NULL);
        }
        if (!pass) {
            total = k;
            continue;
        }
        qsort(v, total, sizeof *v, cmp_str);
        *n = total;
        return v;
    }
    return NULL; /* not reached */
}

/* The email a GHES account ai should take to join the person whose
 * join_keys are keys[0..n): the first of its own emails that would do
 * (nothing to add on the instance), else dflt. */
static hc_str fix_email(const hc_result *r, size_t ai, const hc_str *keys,
                        size_t n, hc_str dflt)
{
    hc_account_info a;
    hc_result_account(r, ai, &a);
    for (size_t z = 0; z < a.n_keys; z++) {
        hc_str k = hc_result_account_key(r, ai, z, NULL);
        if (k.len && n && bsearch(&k, keys, n, sizeof *keys, cmp_str))
            return k;
    }
    return dflt;
}

/*
 * For a group none of whose persons has an email GitHub matches on (GHES
 * accounts without a valid primary email, joined by other emails): the
 * smallest email that two of its persons share, which every one of them
 * can take as its primary email. Sets *to; returns false when out of
 * memory.
 */
static bool shared_email(const hc_result *r, const size_t *persons, size_t n,
                         hc_str *to)
{
    size_t total = 0, k = 0;
    *to = (hc_str){"", 0};
    for (size_t x = 0; x < n; x++) {
        hc_person_info p;
        hc_result_person(r, persons[x], &p);
        for (size_t y = 0; y < p.n_accounts; y++) {
            hc_account_info a;
            hc_result_account(r, hc_result_person_account(r, persons[x], y),
                              &a);
            total += a.n_keys;
        }
    }
    /* Each key with the position of its person in the group. */
    cli_str_ref *ko = total ? malloc(total * sizeof *ko) : NULL;
    if (total && !ko)
        return false;
    for (size_t x = 0; x < n; x++) {
        hc_person_info p;
        hc_result_person(r, persons[x], &p);
        for (size_t y = 0; y < p.n_accounts; y++) {
            size_t ai = hc_result_person_account(r, persons[x], y);
            hc_account_info a;
            hc_result_account(r, ai, &a);
            for (size_t z = 0; z < a.n_keys && k < total; z++)
                ko[k++] =
                    (cli_str_ref){hc_result_account_key(r, ai, z, NULL), x};
        }
    }
    if (k > 1)
        qsort(ko, k, sizeof *ko, cli_str_ref_cmp);
    for (size_t z = 1; z < k; z++) {
        if (ko[z].i != ko[z - 1].i && str_eq(ko[z].s, ko[z - 1].s)) {
            *to = ko[z].s;
            break;
        }
    }
    free(ko);
    return true;
}

typedef enum fix_format { FIX_TEXT, FIX_JSON, FIX_CSV } fix_format;

typedef enum fix_action {
    FIX_CHANGE,  /* a GHES account takes `to` as its primary email */
    FIX_REMOVE,  /* a second GHEC account leaves the enterprise */
    FIX_SUSPEND, /* a second GHES account of the person on one instance */
    FIX_FREE,    /* a suspended or system account gives up `to` first */
} fix_action;

static const char *const fix_names[] = {"change_primary_email",
                                        "remove_ghec_account",
                                        "suspend_ghes_account", "free_email"};

/*
 * Prints one fix for account ai (info a) of a group whose kept account is
 * ta: FIX_CHANGE to email `to`, FIX_REMOVE, or FIX_SUSPEND because account
 * hi (info h) of the group, on the same instance, already has `to`, or is
 * given it by a fix listed earlier (`given`): GHES allows an email on one
 * account per instance. CSV rows carry the group, its seats and saving; n
 * is the number of fixes printed before.
 */
static void print_fix(const hc_result *r, size_t ai, const hc_account_info *a,
                      const hc_account_info *ta, fix_action act, hc_str to,
                      size_t hi, const hc_account_info *h, bool given,
                      fix_format fmt, size_t group, size_t seats, size_t n)
{
    bool ghes = a->kind == HC_ACCOUNT_GHES;
    hc_str none = {"", 0};
    if (fmt == FIX_JSON) {
        printf("%s{\"action\":\"%s\",\"account\":", n ? "," : "",
               fix_names[act]);
        json_account(r, ai);
        if (act == FIX_CHANGE || act == FIX_FREE) {
            printf(act == FIX_CHANGE ? ",\"change_primary_email_to\":"
                                     : ",\"email\":");
            jstr(to);
        } else if (act == FIX_SUSPEND) {
            printf(",\"same_instance_account\":");
            json_account(r, hi);
        }
        putchar('}');
    } else if (fmt == FIX_CSV) {
        printf("%zu,%zu,%zu,", group, seats, seats - 1);
        cli_csv_field(stdout, ghes ? a->source : none);
        if (ghes)
            printf(",%llu,", (unsigned long long)a->ghes_id);
        else
            printf(",,");
        cli_csv_field(stdout, a->login);
        putchar(',');
        cli_csv_field(stdout, ghes ? a->key : none);
        putchar(',');
        cli_csv_field(stdout, act == FIX_CHANGE || act == FIX_FREE ? to : none);
        putchar(',');
        /* The kept account: a GHEC login, or HOST:ID. */
        char id[HC_SOURCE_NAME_MAX + 24];
        cli_csv_field(stdout, account_ref(ta, id, sizeof id));
        printf(",%s\n", fix_names[act]);
    } else if (act == FIX_FREE) {
        /* A primary email cannot be removed, only replaced. */
        bool primary = str_eq(to, a->key);
        printf("  - on ");
        cli_print_str(stdout, a->source);
        printf(primary ? " give " : " remove ");
        if (!primary) {
            cli_print_str(stdout, to);
            printf(" from ");
        }
        cli_print_str(stdout, a->login);
        printf(" (id %llu, %s, counts for no seat)",
               (unsigned long long)a->ghes_id, hc_exclusion_name(a->exclusion));
        if (primary) {
            printf(" another primary email than ");
            cli_print_str(stdout, to);
            printf(" (or delete the account)");
        }
        printf(": GHES refuses the change below while it has the email\n");
    } else if (act == FIX_REMOVE) {
        printf("  - second GHEC account ");
        cli_print_str(stdout, login_shown(a->login));
        printf(": one person holds two GHEC accounts; "
               "remove one from the enterprise\n");
    } else {
        printf("  - on ");
        cli_print_str(stdout, a->source);
        if (act == FIX_SUSPEND) {
            printf(" suspend ");
            cli_print_str(stdout, a->login);
            printf(" (id %llu): ", (unsigned long long)a->ghes_id);
            cli_print_str(stdout, h->login);
            printf(" (id %llu) on the same instance %s ",
                   (unsigned long long)h->ghes_id,
                   given ? "is given" : "already has");
            cli_print_str(stdout, to);
            printf(", and one person needs one account there\n");
            return;
        }
        printf(" change the primary email of ");
        cli_print_str(stdout, a->login);
        printf(" (id %llu) from ", (unsigned long long)a->ghes_id);
        if (a->key.len)
            cli_print_str(stdout, a->key);
        else
            printf("(none)");
        printf(" to ");
        cli_print_str(stdout, to);
        putchar('\n');
    }
}

/*
 * An email on an instance, to decide which account of the group may take
 * it as primary: GHES gives an email to one account per instance. Claims
 * in order of precedence: the kept person's accounts' emails (rank 0),
 * emails other accounts of the group already have (rank 1: the account
 * that has one can make it its primary; anyone else would be refused),
 * then emails fixes give (rank 2); within a rank, group order (pos).
 */
typedef struct held_key {
    hc_str source, key;
    size_t rank, pos, ai;
} held_key;

static int cmp_held(const void *pa, const void *pb)
{
    const held_key *a = pa, *b = pb;
    int c = cli_str_cmp(a->source, b->source);
    if (!c)
        c = cli_str_cmp(a->key, b->key);
    if (!c)
        c = (a->rank > b->rank) - (a->rank < b->rank);
    if (!c)
        c = (a->pos > b->pos) - (a->pos < b->pos);
    return c ? c : (a->ai > b->ai) - (a->ai < b->ai);
}

/* A group of persons for savings: persons[0..n), the kept one `target`
 * (whose accounts get no fix unless fix_kept), and the emails its GHES
 * accounts hold, sorted (a group can hold thousands of persons joined by
 * one shared address: lookups must not be quadratic). */
typedef struct fix_group {
    const hc_result *r;
    const size_t *persons;
    size_t n, target;
    bool fix_kept;
    held_key *held;
    size_t n_held;
    /* The emails of suspended and system GHES accounts, which count for no
     * seat and belong to no group but still hold their emails. */
    const held_key *excl;
    size_t n_excl;
    /* Per account of the group, persons in order and each person's
     * accounts in order: the primary email its fix gives, and whether the
     * account has that email already (GHES accounts only; computed once,
     * since it compares keys with every account of the kept person). */
    hc_str *want;
    bool *has;
} fix_group;

static void group_free(fix_group *g)
{
    free(g->held);
    free(g->want);
    free(g->has);
}

/*
 * Fills g->want with the email each GHES account's fix gives (to is the
 * group's default) and g->held with the claims on emails: every email of
 * the group's GHES accounts, and each email a fix gives that its account
 * does not have yet. False when out of memory.
 */
static bool group_index(fix_group *g, hc_str to)
{
    size_t n_acc = 0;
    for (size_t x = 0; x < g->n; x++) {
        hc_person_info pi;
        hc_result_person(g->r, g->persons[x], &pi);
        n_acc += pi.n_accounts;
    }
    g->want = malloc((n_acc ? n_acc : 1) * sizeof *g->want);
    g->has = malloc((n_acc ? n_acc : 1) * sizeof *g->has);
    size_t n_keys = 0;
    hc_str *keys = join_keys(g->r, g->target, &n_keys);
    if (!g->want || !g->has || !keys) {
        free(keys);
        return false;
    }
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t k = 0, at = 0;
        for (size_t x = 0; x < g->n; x++) {
            size_t p = g->persons[x];
            bool kept = p == g->target && !g->fix_kept;
            hc_person_info pi;
            hc_result_person(g->r, p, &pi);
            for (size_t y = 0; y < pi.n_accounts; y++, at++) {
                size_t ai = hc_result_person_account(g->r, p, y);
                hc_account_info a;
                hc_result_account(g->r, ai, &a);
                if (a.kind != HC_ACCOUNT_GHES)
                    continue;
                for (size_t z = 0; z < a.n_keys; z++, k++)
                    if (pass)
                        g->held[k] = (held_key){
                            a.source, hc_result_account_key(g->r, ai, z, NULL),
                            kept ? 0 : 1, at, ai};
                if (pass == 0) {
                    g->want[at] = g->fix_kept || kept
                                      ? to
                                      : fix_email(g->r, ai, keys, n_keys, to);
                    g->has[at] = account_has(g->r, ai, g->want[at]);
                }
                if (!kept && g->want[at].len && !g->has[at]) {
                    if (pass)
                        g->held[k] =
                            (held_key){a.source, g->want[at], 2, at, ai};
                    k++;
                }
            }
        }
        if (pass == 0) {
            total = k;
            g->held = malloc((total ? total : 1) * sizeof *g->held);
            if (!g->held) {
                free(keys);
                return false;
            }
        }
    }
    free(keys);
    g->n_held = total;
    qsort(g->held, total, sizeof *g->held, cmp_held);
    return true;
}

/* The first entry of v[0..n) (sorted by cmp_held) for email k on
 * instance `source`, or NULL. */
static const held_key *held_first(const held_key *v, size_t n, hc_str source,
                                  hc_str k)
{
    held_key want = {source, k, 0, 0, 0};
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_held(&v[mid], &want) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == n || cli_str_cmp(v[lo].source, source) ||
        cli_str_cmp(v[lo].key, k))
        return NULL;
    return &v[lo];
}

/* The claim that wins email k on the instance of account ai (info a): the
 * first in precedence. NULL when ai's own claim wins (or nobody claims
 * it, which cannot happen for an email ai is given). */
static const held_key *same_instance_holder(const fix_group *g, size_t ai,
                                            const hc_account_info *a, hc_str k)
{
    const held_key *h = held_first(g->held, g->n_held, a->source, k);
    return h && h->ai != ai ? h : NULL;
}

/* A suspended or system account on the instance of a that has email k,
 * or SIZE_MAX. */
static size_t excluded_holder(const fix_group *g, const hc_account_info *a,
                              hc_str k)
{
    const held_key *h = held_first(g->excl, g->n_excl, a->source, k);
    return h ? h->ai : SIZE_MAX;
}

/* Prints the fixes of the accounts of person position x, whose first
 * account is account `at` of the group; returns how many. A GHES account
 * that already has its email as primary needs none. */
static size_t print_person_fixes(const fix_group *g, size_t x, size_t at,
                                 const hc_account_info *ta, hc_str to,
                                 fix_format fmt, size_t group, size_t nfix)
{
    const hc_result *r = g->r;
    size_t p = g->persons[x], printed = 0;
    hc_person_info px;
    hc_result_person(r, p, &px);
    for (size_t y = 0; y < px.n_accounts; y++) {
        size_t ai = hc_result_person_account(r, p, y);
        hc_account_info a, h;
        hc_result_account(r, ai, &a);
        fix_action act = FIX_REMOVE;
        hc_str want = to;
        size_t hi = SIZE_MAX;
        bool given = false;
        if (a.kind == HC_ACCOUNT_GHES) {
            act = FIX_CHANGE;
            want = g->want[at + y];
            const held_key *w = same_instance_holder(g, ai, &a, want);
            if (w) {
                act = FIX_SUSPEND;
                hi = w->ai;
                given = w->rank == 2;
                hc_result_account(r, hi, &h);
            } else if (str_eq(want, a.key)) {
                continue;
            } else if (!g->has[at + y]) {
                size_t xi = excluded_holder(g, &a, want);
                if (xi != SIZE_MAX) {
                    hc_account_info xa;
                    hc_result_account(r, xi, &xa);
                    print_fix(r, xi, &xa, ta, FIX_FREE, want, SIZE_MAX, NULL,
                              false, fmt, group, g->n, nfix + printed++);
                }
            }
        }
        print_fix(r, ai, &a, ta, act, want, hi, &h, given, fmt, group, g->n,
                  nfix + printed++);
    }
    return printed;
}

static int cmp_group(const void *pa, const void *pb, void *ctx)
{
    const size_t *a = pa, *b = pb;
    const hc_result *r = ctx;
    hc_person_info x, y;
    hc_result_person(r, *a, &x);
    hc_result_person(r, *b, &y);
    if (x.group != y.group)
        return x.group < y.group ? -1 : 1;
    return (*a > *b) - (*a < *b);
}

typedef struct held_list {
    held_key *v;
    size_t n;
} held_list;

/* The emails of every suspended or system GHES account, sorted like
 * held keys. False when out of memory. */
static bool excluded_index(const hc_result *r, held_list *out)
{
    size_t na = hc_result_account_count(r), total = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t k = 0;
        for (size_t ai = 0; ai < na; ai++) {
            hc_account_info a;
            hc_result_account(r, ai, &a);
            if (a.kind != HC_ACCOUNT_GHES ||
                (a.exclusion != HC_EXCLUDE_SUSPENDED &&
                 a.exclusion != HC_EXCLUDE_SYSTEM))
                continue;
            for (size_t z = 0; z < a.n_keys; z++, k++)
                if (pass)
                    out->v[k] = (held_key){
                        a.source, hc_result_account_key(r, ai, z, NULL), 0, 0,
                        ai};
        }
        if (pass == 0) {
            total = k;
            out->v = malloc((total ? total : 1) * sizeof *out->v);
            if (!out->v)
                return false;
        }
    }
    out->n = total;
    qsort(out->v, total, sizeof *out->v, cmp_held);
    return true;
}

int cli_savings_main(int argc, char **argv)
{
    cli_inputs in;
    cli_inputs_init(&in);
    bool json = false, csv = false;
    int code = 0;
    hc_census *c = NULL;
    hc_domains *d = NULL;
    hc_result *r = NULL;
    size_t *order = NULL;
    held_list excl = {NULL, 0};
    for (int i = 1; i < argc; i++) {
        int k = cli_inputs_parse(&in, "savings", argc, argv, &i);
        if (k < 0) {
            code = CLI_EX_USAGE;
            goto done;
        }
        if (k > 0)
            continue;
        if ((k = cli_opt_flag("savings", "--json", argv[i])) > 0)
            json = true;
        else if (k == 0 && (k = cli_opt_flag("savings", "--csv", argv[i])) > 0)
            csv = true;
        else {
            if (k == 0)
                cli_usage_error("savings", "unknown option '%s'", argv[i]);
            code = CLI_EX_USAGE;
            goto done;
        }
    }
    if (json && csv) {
        code =
            cli_usage_error("savings", "--json and --csv exclude each other");
        goto done;
    }
    if (in.policy_given) {
        code = cli_usage_error("savings", "savings compares policy github "
                                          "with extended; drop --policy");
        goto done;
    }
    if ((code = cli_inputs_run(&in, "savings", HC_RUN_PERSONS, &c, &d, &r)) !=
        0)
        goto done;

    /* Persons whose group holds more than one billed person, grouped. */
    size_t np = hc_result_person_count(r), n = 0;
    order = malloc((np + 1) * sizeof *order);
    if (!order) {
        code = cli_fail(HC_ERR_NOMEM, "savings");
        goto done;
    }
    for (size_t p = 0; p < np; p++) {
        hc_person_info pi;
        hc_result_person(r, p, &pi);
        if (pi.group_size > 1)
            order[n++] = p;
    }
    qsort_r(order, n, sizeof *order, cmp_group, r);
    if (n && !excluded_index(r, &excl)) {
        code = cli_fail(HC_ERR_NOMEM, "savings");
        goto done;
    }

    hc_summary sum;
    hc_result_summary(r, &sum);
    if (json)
        printf("{\"potential_savings\":%llu,\"github_seats\":%llu,"
               "\"extended_seats\":%llu,\"groups\":[",
               (unsigned long long)sum.potential_savings,
               (unsigned long long)sum.github_seats,
               (unsigned long long)sum.extended_seats);
    else if (csv)
        printf("group,seats,saving,host,id,login,current_primary_email,"
               "change_primary_email_to,joins,action\n");
    else
        printf("Potential savings: %llu seat%s (github %llu, extended %llu)\n",
               (unsigned long long)sum.potential_savings,
               sum.potential_savings == 1 ? "" : "s",
               (unsigned long long)sum.github_seats,
               (unsigned long long)sum.extended_seats);

    fix_format fmt = json ? FIX_JSON : csv ? FIX_CSV : FIX_TEXT;
    size_t groups = 0;
    for (size_t i = 0; i < n;) {
        hc_person_info head;
        hc_result_person(r, order[i], &head);
        size_t j = i;
        while (j < n) {
            hc_person_info pj;
            hc_result_person(r, order[j], &pj);
            if (pj.group != head.group)
                break;
            j++;
        }
        /* The target is the person of lowest keep_rank that has an
         * email GitHub matches on, the first in order among equals (GHEC
         * logins sort first, then GHES accounts by host:id). */
        size_t target = order[i];
        hc_str to = {"", 0};
        int best = KEEP_RANKS;
        for (size_t x = i; x < j; x++) {
            hc_str e = target_email(r, order[x]);
            int rank = e.len ? keep_rank(r, order[x]) : KEEP_RANKS;
            if (rank < best) {
                best = rank;
                target = order[x];
                to = e;
            }
        }
        /* No person has an email GitHub matches on: the kept account
         * needs the fix as much as the others. */
        bool fix_kept = to.len == 0;
        if (fix_kept && !shared_email(r, order + i, j - i, &to)) {
            code = cli_fail(HC_ERR_NOMEM, "savings");
            goto done;
        }
        hc_account_info ta;
        hc_result_account(r, hc_result_person_account(r, target, 0), &ta);
        /* Indexed before the group is printed: no half-written group.
         * The email two of its persons share is why policy extended sees
         * one person: the administrator judges whether that is so. */
        fix_group g = {.r = r,
                       .persons = order + i,
                       .n = j - i,
                       .target = target,
                       .fix_kept = fix_kept,
                       .excl = excl.v,
                       .n_excl = excl.n};
        hc_str why = to;
        if (!group_index(&g, to) ||
            (!fix_kept && !shared_email(r, order + i, j - i, &why))) {
            group_free(&g);
            code = cli_fail(HC_ERR_NOMEM, "savings");
            goto done;
        }
        groups++;
        if (json) {
            printf("%s{\"seats\":%zu,\"saving\":%zu,\"shared_email\":",
                   groups > 1 ? "," : "", j - i, j - i - 1);
            jstr(why);
            printf(",\"keep\":");
            json_account(r, hc_result_person_account(r, target, 0));
            printf(",\"fixes\":[");
        } else if (!csv) {
            printf("\nGroup %zu: %zu seats for one person (saving %zu), "
                   "joined by ",
                   groups, j - i, j - i - 1);
            cli_print_str(stdout, why);
            printf(". Keep ");
            print_account_id(stdout, &ta);
            putchar('\n');
        }
        size_t nfix = 0, at = 0;
        for (size_t x = 0; x < g.n; x++) {
            if (g.persons[x] != target || fix_kept)
                nfix +=
                    print_person_fixes(&g, x, at, &ta, to, fmt, groups, nfix);
            hc_person_info px;
            hc_result_person(r, g.persons[x], &px);
            at += px.n_accounts;
        }
        group_free(&g);
        if (json)
            printf("]}");
        i = j;
    }
    if (json)
        printf("]}\n");
    else if (!csv && groups == 0)
        printf("No seat is paid twice for one person.\n");
done:
    free(order);
    free(excl.v);
    hc_result_destroy(r);
    hc_census_destroy(c);
    hc_domains_destroy(d);
    cli_inputs_fini(&in);
    return code;
}
