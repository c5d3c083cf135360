/*
 * Normalization `norm_v1`: one email address in, one matching key or "no
 * key" out, and the verified-domain matcher. Pure functions of their input,
 * safe to call from any number of threads at once.
 */
#ifndef HEADCOUNT_NORM_H
#define HEADCOUNT_NORM_H

#include <stdbool.h>
#include "headcount/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HC_KEY_MAX 254    /* longest normalized email, in octets */
#define HC_DOMAIN_MAX 253 /* longest normalized domain, in octets */

/*
 * Normalizes the email at (email, len) under norm_v1:
 *   1. reject NUL / control characters; trim ASCII whitespace at both ends;
 *   2. split at the last '@'; local part and domain must be non-empty;
 *   3. domain: drop one trailing dot, IDNA2008/UTS#46 non-transitional to
 *      A-labels, lowercase; failure means no key;
 *   4. local part: Unicode NFC then Unicode lowercase (ASCII fast path);
 *   5. no provider rules (no +tag stripping, no dot removal);
 *   6. local part <= 64 octets, whole <= 254 octets, no spaces.
 * Any byte sequence is accepted; invalid UTF-8 gives no key.
 *
 * out must hold HC_KEY_MAX + 1 bytes. On HC_OK, *out_len is the key length
 * (out is NUL-terminated) or 0 when the input has no key.
 * Returns HC_OK or HC_ERR_NOMEM. Thread-safe.
 */
HC_API HC_NODISCARD hc_status hc_email_normalize(const void *email, size_t len,
                                                 char *out, size_t *out_len);

/*
 * Normalizes a domain name the way step 3 above does (after trimming ASCII
 * whitespace). out must hold HC_DOMAIN_MAX + 1 bytes; *out_len is 0 when the
 * domain is invalid. Returns HC_OK or HC_ERR_NOMEM. Thread-safe.
 */
HC_API HC_NODISCARD hc_status hc_domain_normalize(const void *domain,
                                                  size_t len, char *out,
                                                  size_t *out_len);

/*
 * A set of verified domains. "corp.example" matches that domain exactly;
 * "*.corp.example" matches its subdomains (not corp.example itself). Entries
 * are normalized like email domains. Build single-threaded, then query from
 * any number of threads.
 */
typedef struct hc_domains hc_domains;

HC_API HC_NODISCARD hc_status hc_domains_create(hc_domains **out);
HC_API void hc_domains_destroy(hc_domains *domains); /* NULL is a no-op */

/* Adds one entry. HC_ERR_DATA when the entry is not a valid domain. */
HC_API HC_NODISCARD hc_status hc_domains_add(hc_domains *domains,
                                             const void *entry, size_t len);

/*
 * Parses a list separated by commas, whitespace or newlines ('#' starts a
 * comment to end of line) and adds every entry. On HC_ERR_DATA, *bad_entry
 * (if not NULL) receives the 1-based index of the first invalid entry.
 */
HC_API HC_NODISCARD hc_status hc_domains_add_list(hc_domains *domains,
                                                  const void *list, size_t len,
                                                  size_t *bad_entry);

/* Where entry `index` (1-based, as *bad_entry counts) of a list is: its
 * byte offset and length, for a message that names it. False when the
 * list has fewer entries. */
HC_API bool hc_domains_list_entry(const void *list, size_t len, size_t index,
                                  size_t *off, size_t *entry_len);

HC_API size_t hc_domains_count(const hc_domains *domains);

/*
 * True when the normalized key (as produced by hc_email_normalize) has a
 * domain in the set. Thread-safe once building is finished.
 */
HC_API bool hc_domains_match_key(const hc_domains *domains, const char *key,
                                 size_t key_len);

#ifdef __cplusplus
}
#endif
#endif /* HEADCOUNT_NORM_H */
