/*
 * The census: accounts from every source go in, persons and seat counts come
 * out, by rules_v1 (docs/rules.md). Accounts are added concurrently through
 * per-thread writers; hc_census_run then counts with the requested number of
 * threads. The result is identical for any thread count and any input order.
 *
 * Threads: hc_census_source, hc_census_source_reject and
 * hc_census_writer_create may be called from any thread; a writer belongs
 * to one thread at a time. Runs of one census must not overlap each other
 * or a writer still adding (they record key owners in the census), and
 * hc_census_destroy comes after every writer is finished and every result
 * destroyed. A result is read-only: its accessors, hc_result_find and the
 * report writers may run from any number of threads at once.
 *
 * Indexes passed to the hc_result_* accessors must be below the matching
 * count (accounts, persons, sources, an account's keys); others are
 * undefined behaviour, as for an array.
 */
#ifndef HEADCOUNT_CENSUS_H
#define HEADCOUNT_CENSUS_H

#include <stdbool.h>
#include "headcount/common.h"
#include "headcount/norm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hc_policy {
    HC_POLICY_GITHUB = 0, /* mirrors GitHub's license sync */
    HC_POLICY_EXTENDED,   /* joins accounts that share any email */
} hc_policy;

typedef enum hc_source_kind {
    HC_SOURCE_GHES = 0, /* one GHES instance; the source name is its host */
    HC_SOURCE_GHEC,     /* a GHEC enterprise (consumed-licenses) */
} hc_source_kind;

typedef enum hc_account_kind {
    HC_ACCOUNT_GHES = 0,
    HC_ACCOUNT_GHEC,
} hc_account_kind;

/* Why an account consumes no seat of its own (HC_EXCLUDE_NONE: it does). */
typedef enum hc_exclusion {
    HC_EXCLUDE_NONE = 0,
    HC_EXCLUDE_SUSPENDED,  /* suspended GHES user */
    HC_EXCLUDE_SYSTEM,     /* the built-in ghost or scim-admin account */
    HC_EXCLUDE_UNLICENSED, /* GHEC row without a license / not a user */
    HC_EXCLUDE_DUPLICATE,  /* repeated row of an account already counted */
} hc_exclusion;

/* How an account came to belong to its person. */
typedef enum hc_join_rule {
    HC_JOIN_SELF = 0,       /* founds the person (first account) */
    HC_JOIN_IDENTITY,       /* GHES primary email = GHEC SAML/SCIM identity */
    HC_JOIN_VERIFIED_EMAIL, /* GHES primary email = GHEC verified email */
    HC_JOIN_SAME_PRIMARY,   /* unmatched GHES accounts, same primary email */
    HC_JOIN_SHARED_EMAIL,   /* extended: shares some email with the person */
} hc_join_rule;

HC_API const char *hc_policy_name(hc_policy policy);       /* "github" */
HC_API const char *hc_join_rule_name(hc_join_rule rule);   /* never NULL */
HC_API const char *hc_exclusion_name(hc_exclusion reason); /* never NULL */

/* A GHES account as a reader found it. All strings are borrowed for the
 * duration of the add call and copied. */
typedef struct hc_ghes_account {
    uint32_t source; /* from hc_census_source; kind HC_SOURCE_GHES */
    uint64_t id;     /* the GHES user id */
    hc_str login;
    hc_str primary_email; /* the only matching key under policy github */
    const hc_str *emails; /* other emails (used by policy extended) */
    size_t n_emails;
    bool suspended;
} hc_ghes_account;

/* A GHEC account (a consumed-licenses row). Strings are borrowed and copied. */
typedef struct hc_ghec_account {
    uint32_t source;               /* kind HC_SOURCE_GHEC */
    hc_str login;                  /* github_com_login; empty if none */
    hc_str saml_name_id;           /* also an identity value; may be empty */
    const hc_str *identity_values; /* SCIM / SAML attributes */
    size_t n_identity_values;
    const hc_str *verified_emails;
    size_t n_verified_emails;
    bool licensed; /* github_com_user: true / licensed */
} hc_ghec_account;

typedef struct hc_census hc_census;
typedef struct hc_census_writer hc_census_writer;

typedef struct hc_census_options {
    unsigned threads;     /* for hc_census_run; 0 = all online cores; at most
                         256 are used */
    size_t expected_keys; /* sizing hint for the key table; 0 = default */
    /* Borrowed, may be NULL; must outlive the census and not change
     * while it exists (runs read it). */
    const hc_domains *verified_domains;
    /* Only summaries will be asked for (hc_census_run_ex without
     * HC_RUN_PERSONS): GHES logins are not kept, nor, without verified
     * domains, the bytes of email keys, which saves about half the memory
     * of a large census. A run with HC_RUN_PERSONS then fails with
     * HC_ERR_ARG. */
    bool summary_only;
} hc_census_options;

/* options may be NULL (defaults). Caller frees with hc_census_destroy. */
HC_API HC_NODISCARD hc_status hc_census_create(const hc_census_options *options,
                                               hc_census **out);
HC_API void hc_census_destroy(hc_census *census); /* NULL is a no-op */

/* The most sources one census holds (GHES hosts and GHEC names). */
#define HC_SOURCES_MAX 65535u

/*
 * Finds or creates the source with this kind and name (a GHEC enterprise /
 * file name, or a GHES host) and returns its id. Thread-safe. A GHES host
 * is kept in ASCII lowercase without trailing dots, as DNS compares
 * names, so "GHE.corp.example." and "ghe.corp.example" are one instance;
 * other names are compared byte for byte. At most HC_SOURCES_MAX sources.
 * Returns HC_OK, HC_ERR_LIMIT (a name longer than HC_SOURCE_NAME_MAX, or
 * a 65536th source), HC_ERR_NOMEM, or HC_ERR_ARG (NULL census or id, a
 * NULL name with len > 0, an unknown kind, a new source after the first
 * run).
 */
HC_API HC_NODISCARD hc_status hc_census_source(hc_census *census,
                                               hc_source_kind kind,
                                               const void *name, size_t len,
                                               uint32_t *id);

/*
 * Whether name (len bytes) is a host name as headcount takes one for a GHES
 * instance: 1 to 253 bytes of ASCII letters, digits, '.', '-' and '_', not
 * starting with '.' or '-'. The readers refuse other GHES source names (a
 * host is written before the ':' of "host:id" values, in lists joined by
 * ", "); hc_census_source itself takes any name.
 */
HC_API bool hc_host_name_valid(const void *name, size_t len);

/* Adds n to the rejected-row count of a source (--skip-malformed). */
HC_API void hc_census_source_reject(hc_census *census, uint32_t source,
                                    uint64_t n);

/*
 * A writer adds accounts from one thread. Create one per thread; writers of
 * one census may run concurrently with each other. A census has at most
 * 65535 writers over its life (HC_ERR_LIMIT after); each finished one
 * keeps a few KiB besides its accounts. Each account is copied
 * and normalized on the writer's thread.
 *
 * An add returns HC_OK; HC_ERR_ARG (NULL arguments, a source of the other
 * kind or not of this census) or HC_ERR_LIMIT (an email, identity value
 * or SAML NameID longer than HC_EMAIL_MAX, a login longer than
 * HC_RECORD_MAX, more than HC_ACCOUNT_VALUES_MAX emails, or identity
 * values and verified emails together), which refuse this one account
 * and leave the writer usable; or HC_ERR_NOMEM / HC_ERR_LIMIT, either
 * from this writer's own storage (this account only, as above) or because
 * the shared key set cannot grow. That last failure can take with it keys
 * of accounts added earlier through this writer: the writer then refuses
 * every add with the same status, hc_census_writer_finish returns it, and
 * the census no longer runs. A value too long or malformed for a key (an
 * address of more than 254 octets after normalizing, or no '@') is no
 * error: the account has no key for it.
 */
HC_API HC_NODISCARD hc_status hc_census_writer_create(hc_census *census,
                                                      hc_census_writer **out);
HC_API HC_NODISCARD hc_status hc_census_add_ghes(hc_census_writer *writer,
                                                 const hc_ghes_account *acct);
HC_API HC_NODISCARD hc_status hc_census_add_ghec(hc_census_writer *writer,
                                                 const hc_ghec_account *acct);
/* Flushes and frees the writer (NULL is a no-op returning HC_OK). Every
 * writer must be finished before hc_census_run. On failure (the writer's
 * own, see above, or HC_ERR_NOMEM / HC_ERR_LIMIT now, inserting its last
 * keys) its accounts are left out and the census no longer runs. */
HC_API HC_NODISCARD hc_status hc_census_writer_finish(hc_census_writer *w);

typedef struct hc_result hc_result;

/* Flags of hc_census_run_ex. */
enum {
    /* Materialize accounts and persons (for reports, explain, savings).
     * Without it only the summary and the per-source counts are computed,
     * on a faster path that needs no ordering of all accounts; the account
     * and person accessors then report 0 accounts and 0 persons. */
    HC_RUN_PERSONS = 1u << 0,
};

/*
 * Counts persons under policy. May be called more than once (each result
 * is independent; free each with hc_result_destroy). The first run seals
 * the census: hc_census_writer_create, and hc_census_source for a new
 * source, then return HC_ERR_ARG. A result borrows
 * strings and keys from the census: destroy it before the census. The summary is the
 * same with and without HC_RUN_PERSONS. Returns HC_OK, HC_ERR_NOMEM,
 * HC_ERR_LIMIT, or HC_ERR_ARG (a writer still open, unknown policy or
 * flag, HC_RUN_PERSONS on a summary_only census). A census that saw a writer
 * fail or a load fail (hc_census_load) may lack accounts that were added
 * without an error: it never runs, and every run returns that first
 * failure's status; destroy it.
 */
HC_API HC_NODISCARD hc_status hc_census_run_ex(hc_census *census,
                                               hc_policy policy, unsigned flags,
                                               hc_result **out);

/* hc_census_run_ex with HC_RUN_PERSONS. */
HC_API HC_NODISCARD hc_status hc_census_run(hc_census *census, hc_policy policy,
                                            hc_result **out);
HC_API void hc_result_destroy(hc_result *result); /* NULL is a no-op */

typedef struct hc_summary {
    hc_policy policy;
    uint64_t total_seats_consumed;  /* under policy */
    uint64_t github_seats;          /* under policy github */
    uint64_t extended_seats;        /* under policy extended */
    uint64_t potential_savings;     /* github_seats - extended_seats */
    uint64_t ghec_accounts;         /* licensed GHEC accounts */
    uint64_t ghes_accounts;         /* eligible GHES accounts */
    uint64_t ghes_accounts_total;   /* all distinct GHES accounts seen */
    uint64_t ghes_accounts_matched; /* eligible GHES joined to a GHEC account */
    uint64_t ghes_only_persons;     /* persons with GHES accounts only */
    uint64_t keyless_accounts;      /* eligible GHES with no valid email */
    uint64_t suspended_accounts;
    uint64_t system_accounts;
    uint64_t duplicate_rows;
    uint64_t persons_without_verified_domain_email; /* 0 if no domains */
    bool verified_domains_given;
    uint64_t rejected_rows;
    /* GHEC rows without a GitHub.com user (github_com_user false or null),
     * one per login: not counted here, though GitHub bills some of them
     * (unlinked Visual Studio subscribers, pending invitations). */
    uint64_t ghec_unlicensed_accounts;
} hc_summary;

HC_API void hc_result_summary(const hc_result *result, hc_summary *out);

typedef struct hc_source_info {
    hc_str name;
    hc_source_kind kind;
    uint64_t accounts; /* distinct accounts */
    uint64_t eligible; /* accounts that can consume a seat */
    uint64_t rejected; /* rows skipped as malformed */
} hc_source_info;

/* Sources in order of name (then kind), whatever order the readers met
 * them in, so that output listing them is the same for any thread count. */
HC_API size_t hc_result_source_count(const hc_result *result);
HC_API void hc_result_source(const hc_result *result, size_t i,
                             hc_source_info *out);

/*
 * Accounts, in canonical order: GHEC accounts by login (bytes), then GHES
 * accounts by (host, id). Excluded accounts are included, with their reason.
 */
typedef struct hc_account_info {
    hc_account_kind kind;
    hc_str source;    /* GHES host or GHEC source name */
    uint64_t ghes_id; /* GHES only */
    hc_str login;
    hc_str key;          /* GHES: normalized primary email, may be empty */
    hc_str saml_name_id; /* GHEC: SAML NameID as given, may be empty */
    hc_exclusion exclusion;
    size_t person;     /* index into persons; SIZE_MAX when excluded */
    hc_join_rule rule; /* how it joined its person; meaningless (SELF)
                          when person is SIZE_MAX */
    /* The key that joined it (empty for SELF). Under policy extended, a
     * key it shares with another account of its person, which need not
     * lead to the person's first account: `headcount explain` walks the
     * accounts from the first one to name a key that does. */
    hc_str join_key;
    size_t n_keys; /* all normalized keys, see hc_result_account_key */
} hc_account_info;

HC_API size_t hc_result_account_count(const hc_result *result);
HC_API void hc_result_account(const hc_result *result, size_t i,
                              hc_account_info *out);

typedef enum hc_key_role {
    HC_KEY_PRIMARY = 0, /* GHES primary email */
    HC_KEY_EMAIL,       /* GHES other email */
    HC_KEY_IDENTITY,    /* GHEC SAML NameID / SCIM value */
    HC_KEY_VERIFIED,    /* GHEC verified email */
} hc_key_role;

/* The j-th normalized key of account i (j < n_keys); borrowed. GHES: the
 * primary email, then the other emails as the export lists them; GHEC:
 * identity values, then verified emails, each role in byte order (merged
 * over repeated rows of one login), so the order never depends on input
 * order or threads. */
HC_API hc_str hc_result_account_key(const hc_result *result, size_t i, size_t j,
                                    hc_key_role *role);

/* Persons in deterministic order (GHEC login, else smallest host:id). */
typedef struct hc_person_info {
    size_t n_accounts;
    bool has_ghec; /* first account is the GHEC account */
    bool has_verified_domain_email;
    size_t group;      /* policy github: index of the person under policy
                      extended that contains it (its "real person") */
    size_t group_size; /* github persons in that group (>1: savings) */
} hc_person_info;

HC_API size_t hc_result_person_count(const hc_result *result);
HC_API void hc_result_person(const hc_result *result, size_t p,
                             hc_person_info *out);
/* Index of the j-th account of person p (j < n_accounts). */
HC_API size_t hc_result_person_account(const hc_result *result, size_t p,
                                       size_t j);

/*
 * Finds the account a query names: an email (normalized, matched against
 * every account key), a GHEC login (else a GHES login), or "host:id"; logins
 * and hosts compare ignoring ASCII case, as GitHub and DNS do, and a host
 * also ignoring trailing dots; a login spelled exactly so is preferred
 * (two GHEC logins may differ only in case). A query with an '@' that is
 * exactly a GHEC login (an identity provider's user principal name) finds
 * that account; else it is an email, then a login in another spelling.
 * ASCII whitespace around a query does not count, nor, when no login
 * matches as the input gives it, around a login of the input (a CSV cell
 * written " bob "). An email held by several accounts finds the one
 * the rules match first: a GHEC identity value, then a GHES primary email,
 * a GHEC verified email, a GHES account's other email; an account that
 * consumes a seat before one that does not. Returns HC_OK with *account
 * set (the first in canonical order among equals), HC_ERR_NOTFOUND,
 * HC_ERR_NOMEM, or HC_ERR_ARG (NULL arguments, or a result without
 * HC_RUN_PERSONS).
 */
HC_API HC_NODISCARD hc_status hc_result_find(const hc_result *result,
                                             const void *query, size_t len,
                                             size_t *account);

#ifdef __cplusplus
}
#endif
#endif /* HEADCOUNT_CENSUS_H */
