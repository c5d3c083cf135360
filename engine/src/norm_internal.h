/*
 * Internal entry points of the norm_v1 module. They force the Unicode /
 * IDNA slow paths so that tests can check that the ASCII fast paths of
 * hc_email_normalize and hc_domain_normalize agree with them byte for byte.
 * Nothing outside engine/src/norm*.c and the tests uses them.
 */
#ifndef HC_NORM_INTERNAL_H
#define HC_NORM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "headcount/common.h"

/* Longest normalized local part, in octets (RFC 5321 section 4.5.3.1.1). */
#define HC__LOCAL_MAX 64

/* Longest label of a normalized domain, in octets (RFC 1035). */
#define HC__LABEL_MAX 63

/*
 * hc_domain_normalize, except that the domain always goes through libidn2
 * (IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) and the shape check, even when it
 * is plain ASCII. Same contract: out holds HC_DOMAIN_MAX + 1 bytes, *out_len
 * is 0 for no key, returns HC_OK or HC_ERR_NOMEM.
 */
hc_status hc__domain_normalize_idna(const void *domain, size_t len, char *out,
                                    size_t *out_len);

/*
 * Normalizes a local part (already trimmed and split off its domain) through
 * libunistring: UTF-8 and control check, NFC, lowercase, then the local-part
 * rules (<= 64 octets, no White_Space). out holds HC__LOCAL_MAX bytes (no terminator is
 * written); *out_len is 0 for no key. Returns HC_OK or HC_ERR_NOMEM.
 */
hc_status hc__local_normalize_unicode(const void *local, size_t len, char *out,
                                      size_t *out_len);

/*
 * A memo of plain ASCII domains that passed the shape check, by their raw
 * bytes. An enterprise's addresses share a handful of domains (and a few
 * spellings of each, "corp.example" and "CORP.EXAMPLE"), and comparing a
 * domain with a remembered raw form costs less than checking its labels
 * again. The normalized form of such a domain is its ASCII lowercase, so
 * the raw bytes are all a slot keeps. Domains of 8 to HC__MEMO_DOMAIN_MAX
 * octets are remembered; a slot is picked by a hash of the length and the
 * first eight bytes, and a newer domain replaces an older one. Zeroed means
 * empty. Not thread-safe: each writer thread keeps its own.
 */
#define HC__MEMO_SLOTS 16
#define HC__MEMO_DOMAIN_MAX 48

/*
 * The memo's second table: domains that go through libidn2 (non-ASCII or
 * "xn--" labels), by their raw bytes, each with its normalized form, or
 * with none when the domain has no key. One lookup through libidn2 costs
 * tens of thousands of instructions, about a hundred times a whole ASCII
 * address, and every address at an internationalized domain would pay it.
 * Raw and normalized forms of up to HC__MEMO_IDNA_MAX octets are kept; a
 * slot is picked by a hash of all the raw bytes, and a newer domain
 * replaces an older one.
 */
#define HC__MEMO_IDNA_SLOTS 64
#define HC__MEMO_IDNA_MAX 64

typedef struct hc__domain_memo {
    struct {
        uint64_t len; /* 0: empty */
        char raw[HC__MEMO_DOMAIN_MAX];
    } slot[HC__MEMO_SLOTS];
    struct {
        uint8_t raw_len; /* 0: empty */
        uint8_t out_len; /* 0: the domain has no key */
        char raw[HC__MEMO_IDNA_MAX];
        char out[HC__MEMO_IDNA_MAX];
    } idna[HC__MEMO_IDNA_SLOTS];
} hc__domain_memo;

/* hc_email_normalize, remembering and reusing domains in memo. Same
 * contract and same results for any memo contents. */
hc_status hc__email_normalize_memo(hc__domain_memo *memo, const void *email,
                                   size_t len, char *out, size_t *out_len);

#endif /* HC_NORM_INTERNAL_H */
