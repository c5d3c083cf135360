/*
 * A minimal fork-join helper: run one function over index ranges on N
 * threads and wait for all of them. The engine's phases are bulk-synchronous
 * (every phase reads what the previous one wrote), so a join per phase is
 * the only synchronization they need between phases.
 */
#ifndef HC_PAR_H
#define HC_PAR_H

#include <stdbool.h>
#include <stddef.h>
#include "headcount/common.h"

/* Called once per thread with its index and its half-open range
 * [begin, end) of the n items; returns a status (first failure wins). */
typedef hc_status (*hc__par_fn)(void *ctx, unsigned thread, size_t begin,
                                size_t end);

/* How many threads hc__par_for runs for n items: `threads`, at least one
 * and at most n (one when n is 0). Thread t's range starts at
 * n * t / hc__par_threads(threads, n). */
unsigned hc__par_threads(unsigned threads, size_t n);

/* Splits [0, n) into `threads` contiguous ranges and runs fn on each, the
 * last on the calling thread. Returns HC_OK or the first failure (by thread
 * index, so the result does not depend on timing). */
hc_status hc__par_for(unsigned threads, size_t n, hc__par_fn fn, void *ctx);

#endif /* HC_PAR_H */
