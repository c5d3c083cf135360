/*
 * Reports: the consumed-licenses-shaped JSON and Title-case CSV that list one
 * row per person, the machine-readable summary, optional pseudonymization,
 * and reading a report back to diff two of them.
 */
#ifndef HEADCOUNT_REPORT_H
#define HEADCOUNT_REPORT_H

#include <stdbool.h>
#include "headcount/census.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Receives output bytes; returns HC_OK or a failure that aborts writing.
 * The writers below buffer their output (64 KiB) and return the first
 * failure of the callback unchanged. */
typedef hc_status (*hc_write_fn)(void *ctx, const void *buf, size_t len);

/* A writer into a FILE * (ctx). Returns HC_ERR_IO on a short write. */
HC_API hc_status hc_write_file(void *ctx, const void *buf, size_t len);

typedef struct hc_report_options {
    /* When hmac_key is not NULL, every email is replaced by
     * "hmac-sha256:<hex>" of its normalized key under this key (see
     * hc_pseudonymize); logins and host:id values are kept. hmac_key_len
     * must then be at least 1. Borrowed for the call. */
    const unsigned char *hmac_key;
    size_t hmac_key_len;
} hc_report_options;

/*
 * The report as JSON: {"total_seats_consumed", "policy", "normalization",
 * "rules", "total_user_accounts", "users": [one object per person with
 * github_com_login, github_com_user, enterprise_server_user,
 * enterprise_server_user_ids ["host:id"], enterprise_server_emails,
 * github_com_verified_domain_emails, github_com_saml_name_id,
 * total_user_accounts, ...]}, one user per line, ending in a newline.
 * Persons in result order; byte-for-byte deterministic. Field mapping:
 * docs/internals/report.md. options may be NULL. Returns HC_OK,
 * HC_ERR_ARG (also for a result of a run without HC_RUN_PERSONS, which
 * lists no persons), HC_ERR_NOMEM, HC_ERR_LIMIT or the callback's failure.
 */
HC_API HC_NODISCARD hc_status hc_report_write_json(const hc_result *result,
                                                   const hc_report_options *o,
                                                   hc_write_fn fn, void *ctx);

/* The same rows as CSV (RFC 4180 quoting, LF line ends) with a Title-case
 * header; lists are joined with ", " in one cell. Statuses as above. */
HC_API HC_NODISCARD hc_status hc_report_write_csv(const hc_result *result,
                                                  const hc_report_options *o,
                                                  hc_write_fn fn, void *ctx);

/* Writes the summary fields as one JSON object (no trailing newline),
 * elapsed_ms included as given. Returns HC_OK, HC_ERR_ARG or the
 * callback's failure. */
HC_API HC_NODISCARD hc_status hc_summary_write_json(const hc_result *result,
                                                    uint64_t elapsed_ms,
                                                    hc_write_fn fn, void *ctx);

/* Writes s as a JSON string literal (quotes and escapes included): '"',
 * '\\' and control characters (C0, DEL and C1) are escaped, other valid
 * UTF-8 is copied, and each
 * maximal ill-formed UTF-8 subpart becomes U+FFFD, so the output is always
 * valid JSON. Returns HC_OK, HC_ERR_ARG or the callback's failure. */
HC_API HC_NODISCARD hc_status hc_json_write_string(hc_write_fn fn, void *ctx,
                                                   const void *s, size_t len);

/* Writes s as one CSV field, the way the CSV report writes its cells:
 * ill-formed UTF-8 and control characters other than TAB, CR and LF (DEL
 * and C1 included) replaced by U+FFFD, quoted per RFC 4180 when it holds
 * '"', ',', ';', TAB, CR or LF, with an apostrophe at its start and
 * right after a ';', TAB, CR or LF inside it when what follows there,
 * past any '"' and spaces, is = + - @ TAB or CR, so that a spreadsheet
 * shows it as text instead of running it as a formula, whichever
 * separator it splits at. Returns HC_OK, HC_ERR_ARG, HC_ERR_NOMEM or the
 * callback's failure. */
HC_API HC_NODISCARD hc_status hc_csv_write_field(hc_write_fn fn, void *ctx,
                                                 const void *s, size_t len);

/*
 * "hmac-sha256:" followed by 64 lowercase hex digits of
 * HMAC-SHA256(hmac_key, key), where key is a normalized key. out must hold
 * HC_PSEUDONYM_LEN + 1 bytes (NUL-terminated). Returns HC_OK, HC_ERR_ARG
 * (no key, an empty or over-INT_MAX key, NULL out) or HC_ERR_INTERNAL
 * (OpenSSL failed). Thread-safe.
 */
#define HC_PSEUDONYM_LEN (12 + 64)
HC_API HC_NODISCARD hc_status hc_pseudonymize(const unsigned char *hmac_key,
                                              size_t hmac_key_len,
                                              const void *key, size_t len,
                                              char *out);

/* A report read back from its JSON form, for diff. */
typedef struct hc_report hc_report;

/* One person of a report read back. Every pointer is borrowed from the
 * hc_report and valid until hc_report_destroy. */
typedef struct hc_report_person_info {
    hc_str id;         /* github_com_login, else the smallest host:id */
    uint64_t n_ids;    /* GHES ids + GHEC logins */
    uint64_t n_logins; /* ids[0..n_logins) are GHEC logins, the rest host:id
                          values: a login and a host:id of the same bytes
                          are two accounts */
    const hc_str *ids; /* sorted: GHEC logins then host:id values, by host
                          bytes then numeric id; no duplicates */
} hc_report_person_info;

/*
 * Reads a report written by hc_report_write_json, or GitHub's
 * consumed-licenses JSON (one page object, an array of pages, or pages one
 * after another); gzip is detected, "-" is standard input. Each users[]
 * entry is one person; its ids are github_com_login (and the logins in
 * headcount_github_com_logins) plus enterprise_server_user_ids; an entry
 * with neither names nobody a diff could match and is not listed, and an
 * entry with the same ids of the same kinds as another (a login and a
 * host:id of the same bytes are different ids) is that person again
 * (GitHub's pages may repeat a user) and is listed once. The total is
 * total_seats_consumed from the first page that has it, else the number
 * of users[] entries less those repeats. Returns HC_OK with *out set (free
 * with hc_report_destroy), HC_ERR_NOINPUT (file missing or unreadable),
 * HC_ERR_DATA (malformed JSON, invalid UTF-8 in a string, no "users"
 * array, or users[] entries none of which has a consumed-licenses field,
 * as in a GHES export; diag has line and byte column), HC_ERR_LIMIT (over
 * 1 GiB, nesting deeper than 64, a string over HC_RECORD_MAX, over 2^26
 * ids), HC_ERR_IO
 * or HC_ERR_NOMEM. diag may be NULL.
 */
HC_API HC_NODISCARD hc_status hc_report_read(const char *path, hc_report **out,
                                             hc_diag *diag);
HC_API void hc_report_destroy(hc_report *report); /* NULL is a no-op */
HC_API uint64_t hc_report_total_seats(const hc_report *report);
/* The policy a headcount report was counted under ("github" or "extended"),
 * or NULL when the file does not say (GitHub's own report). */
HC_API const char *hc_report_policy(const hc_report *report);
HC_API size_t hc_report_person_count(const hc_report *report);
/* The users[] entries that name neither a GHEC login nor a host:id (a
 * licensed row without a login, a Visual Studio subscriber without a
 * GitHub.com account): not persons of the report, since nothing could
 * match them with another report's, but seats all the same. An entry that
 * repeats the one just before it byte for byte (GitHub's pages can repeat
 * the last user of a page at the top of the next) counts once; other
 * repeats cannot be told from another user. */
HC_API uint64_t hc_report_unnamed_count(const hc_report *report);
/* Person i (< hc_report_person_count) in order of id (bytes), then of all
 * its ids (bytes, a shorter list first when one is a prefix of the
 * other), then of which of them are logins. */
HC_API void hc_report_person(const hc_report *report, size_t i,
                             hc_report_person_info *out);

#ifdef __cplusplus
}
#endif
#endif /* HEADCOUNT_REPORT_H */
