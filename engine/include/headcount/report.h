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

/* Receives output bytes; returns HC_OK or a failure that aborts writing. */
typedef hc_status (*hc_write_fn)(void *ctx, const void *buf, size_t len);

/* A writer into a FILE * (ctx). Returns HC_ERR_IO on a short write. */
HC_API hc_status hc_write_file(void *ctx, const void *buf, size_t len);

typedef struct hc_report_options {
    /* When hmac_key is not NULL, every email is replaced by
     * "hmac-sha256:<hex>" of its normalized key under this key. */
    const unsigned char *hmac_key;
    size_t hmac_key_len;
} hc_report_options;

/*
 * The report as JSON: {"total_seats_consumed", "policy", "normalization",
 * "rules", "total_user_accounts", "users": [one object per person with
 * github_com_login, github_com_user, enterprise_server_user,
 * enterprise_server_user_ids ["host:id"], enterprise_server_emails,
 * github_com_verified_domain_emails, github_com_saml_name_id,
 * total_user_accounts, ...]}. Deterministic. options may be NULL.
 */
HC_API HC_NODISCARD hc_status hc_report_write_json(const hc_result *result,
                                                   const hc_report_options *o,
                                                   hc_write_fn fn, void *ctx);

/* The same rows as CSV with a Title-case header. */
HC_API HC_NODISCARD hc_status hc_report_write_csv(const hc_result *result,
                                                  const hc_report_options *o,
                                                  hc_write_fn fn, void *ctx);

/* Writes the summary fields as one JSON object (no trailing newline),
 * elapsed_ms included as given. */
HC_API HC_NODISCARD hc_status hc_summary_write_json(const hc_result *result,
                                                    uint64_t elapsed_ms,
                                                    hc_write_fn fn, void *ctx);

/* Writes s as a JSON string literal (quotes and escapes included). */
HC_API HC_NODISCARD hc_status hc_json_write_string(hc_write_fn fn, void *ctx,
                                                   const void *s, size_t len);

/*
 * "hmac-sha256:" followed by 64 hex digits of HMAC-SHA256(key, normalized
 * key). out must hold HC_PSEUDONYM_LEN + 1 bytes (NUL-terminated).
 */
#define HC_PSEUDONYM_LEN (12 + 64)
HC_API HC_NODISCARD hc_status hc_pseudonymize(const unsigned char *hmac_key,
                                              size_t hmac_key_len,
                                              const void *key, size_t len,
                                              char *out);

/* A report read back from its JSON form, for diff. */
typedef struct hc_report hc_report;

typedef struct hc_report_person {
    hc_str id;        /* github_com_login, else the smallest host:id */
    uint64_t n_ids;   /* GHES ids + GHEC login */
    const hc_str *ids; /* sorted: GHEC login (if any) then host:id values */
} hc_report_person;

/* Reads a report written by hc_report_write_json (or GitHub's
 * consumed-licenses JSON). Errors as hc_census_load. */
HC_API HC_NODISCARD hc_status hc_report_read(const char *path, hc_report **out,
                                             hc_diag *diag);
HC_API void hc_report_destroy(hc_report *report); /* NULL is a no-op */
HC_API uint64_t hc_report_total_seats(const hc_report *report);
HC_API size_t hc_report_person_count(const hc_report *report);
/* Persons sorted by id. */
HC_API void hc_report_person(const hc_report *report, size_t i,
                             hc_report_person *out);

#ifdef __cplusplus
}
#endif
#endif /* HEADCOUNT_REPORT_H */
