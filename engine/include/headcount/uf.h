/*
 * A concurrent, lock-free union-find over the elements 0..n-1. Unions link
 * the larger root under the smaller, so once all unions have returned the
 * representative of every set is its smallest element, whatever the thread
 * count and the order of unions. Algorithm, linearization points and memory
 * orders: docs/internals/uf.md.
 */
#ifndef HEADCOUNT_UF_H
#define HEADCOUNT_UF_H

#include <stdbool.h>
#include "headcount/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hc_uf hc_uf;

/* Creates n singleton sets. n <= UINT32_MAX. Caller frees: hc_uf_destroy. */
HC_API HC_NODISCARD hc_status hc_uf_create(size_t n, hc_uf **out);
HC_API void hc_uf_destroy(hc_uf *uf); /* NULL is a no-op */

/* Number of elements. */
HC_API size_t hc_uf_size(const hc_uf *uf);

/*
 * Merges the sets of a and b (both < size). Returns true when this call
 * merged two different sets. Thread-safe, lock-free.
 */
HC_API bool hc_uf_union(hc_uf *uf, uint32_t a, uint32_t b);

/*
 * The current representative of a's set. Thread-safe; may compress paths.
 * When no union runs concurrently it is the smallest element of the set.
 */
HC_API uint32_t hc_uf_find(hc_uf *uf, uint32_t a);

/* True when a and b are in the same set (linearizable). */
HC_API bool hc_uf_same(hc_uf *uf, uint32_t a, uint32_t b);

/* Hints the cache that a will be found or united soon (batched unions:
 * prefetch both elements of a pair a few pairs ahead). a < size. */
HC_API void hc_uf_prefetch(const hc_uf *uf, uint32_t a);

#ifdef __cplusplus
}
#endif
#endif /* HEADCOUNT_UF_H */
