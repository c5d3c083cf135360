/*
 * Pseudonymization of emails in reports and uploads: each normalized key is
 * replaced by "hmac-sha256:" and the lowercase hex HMAC-SHA256 of the key
 * under a secret the operator keeps. A keyed MAC rather than a bare hash,
 * because email addresses are guessable and an unkeyed digest of one can be
 * reversed by hashing candidate addresses. The same key gives the same
 * pseudonym, so reports from different runs stay comparable.
 */
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "headcount/report.h"

hc_status hc_pseudonymize(const unsigned char *hmac_key, size_t hmac_key_len,
                          const void *key, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    static const char prefix[] = "hmac-sha256:";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (!hmac_key || hmac_key_len == 0 || hmac_key_len > INT_MAX || !out ||
        (!key && len))
        return HC_ERR_ARG;
    /* OpenSSL wants a non-NULL data pointer even for empty input. */
    if (!HMAC(EVP_sha256(), hmac_key, (int)hmac_key_len,
              len ? key : (const void *)"", len, md, &md_len) ||
        md_len != 32)
        return HC_ERR_INTERNAL;
    memcpy(out, prefix, sizeof prefix - 1);
    char *h = out + sizeof prefix - 1;
    for (unsigned i = 0; i < md_len; i++) {
        h[2 * i] = hex[md[i] >> 4];
        h[2 * i + 1] = hex[md[i] & 15];
    }
    h[2 * md_len] = '\0';
    return HC_OK;
}
