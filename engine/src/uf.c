/*
 * The concurrent union-find that merges identities into people. Each
 * element's parent is one atomic 32-bit index, and every parent is smaller
 * than its child: unions link the larger root under the smaller with one
 * CAS that succeeds only while the larger is still a root, and finds halve
 * paths with a CAS that replaces a parent by the grandparent. Because
 * indices only ever point downwards, the root of every tree is its smallest
 * element, so once unions stop the representative does not depend on the
 * thread count or the order of unions. Proof sketch, linearization points
 * and the choice of memory orders: docs/internals/uf.md.
 *
 * Every access to a parent is sequentially consistent. Acquire/release
 * would keep the trees well formed, but hc_uf_same promises
 * linearizability, which needs one total order over independent unions
 * (two readers must not see two unrelated unions in opposite orders). On
 * x86-64 and AArch64 seq_cst loads and CASes compile to the same
 * instructions as acquire loads and acq_rel CASes, so this costs nothing.
 */
#include <stdint.h>
#include <stdlib.h>

#include "headcount/uf.h"
#include "atomic.h"
#include "util.h"

struct hc_uf {
    size_t n;
    hc_atomic_u32 *parent; /* mapped: parent_bytes */
    size_t parent_bytes;
};

/* The parent array is mapped for 2 MiB pages when large (hc__map_zeroed):
 * finds jump to random elements, and page faults and TLB misses on 4 KiB
 * pages would dominate their cost. */

hc_status hc_uf_create(size_t n, hc_uf **out)
{
    hc_status rc = HC_OK;
    hc_uf *uf = NULL;
    *out = NULL;
    HC_FAIL_IF(n > (size_t)UINT32_MAX, HC_ERR_ARG);
    uf = calloc(1, sizeof *uf);
    HC_FAIL_IF(!uf, HC_ERR_NOMEM);
    uf->n = n;
    uf->parent_bytes = (n ? n : 1) * sizeof *uf->parent;
    uf->parent = hc__map_zeroed(&uf->parent_bytes, true);
    HC_FAIL_IF(!uf->parent, HC_ERR_NOMEM);
    /* Relaxed: the caller publishes the new structure to other threads. */
    for (size_t i = 0; i < n; i++)
        hc_atomic_store_u32(&uf->parent[i], (uint32_t)i, HC_RELAXED);
    *out = uf;
    uf = NULL;
done:
    hc_uf_destroy(uf);
    return rc;
}

void hc_uf_destroy(hc_uf *uf)
{
    if (!uf)
        return;
    hc__unmap(uf->parent, uf->parent_bytes);
    free(uf);
}

size_t hc_uf_size(const hc_uf *uf)
{
    return uf->n;
}

/*
 * Root of a's tree at the moment the returned root was read as a root.
 * Path halving: each visited node is re-pointed to the grandparent it read,
 * which keeps it in the same set (the grandparent was an ancestor when
 * read; the parent may have been halved since, but sets only merge) and
 * keeps parent < child: every write lowers a parent, so neither CAS can
 * meet an old value again (no ABA). A failed halving CAS means someone else
 * moved the parent further down already; either way we step to the
 * grandparent.
 */
static uint32_t uf_root(hc_uf *uf, uint32_t a)
{
    hc_atomic_u32 *parent = uf->parent;
    for (;;) {
        /* seq_cst: partners are the linking CAS in hc_uf_union and the
         * halving CAS below (see the file comment). */
        uint32_t p = hc_atomic_load_u32(&parent[a], HC_SEQ_CST);
        if (p == a)
            return a;
        uint32_t gp = hc_atomic_load_u32(&parent[p], HC_SEQ_CST);
        if (gp == p)
            return p;
        (void)hc_atomic_cas_weak_u32(&parent[a], &p, gp, HC_SEQ_CST,
                                     HC_SEQ_CST);
        a = gp;
    }
}

uint32_t hc_uf_find(hc_uf *uf, uint32_t a)
{
    return uf_root(uf, a);
}

bool hc_uf_union(hc_uf *uf, uint32_t a, uint32_t b)
{
    /* The two walks are independent: start b's first miss while a's runs. */
    __builtin_prefetch(&uf->parent[b], 0, 3);
    for (;;) {
        a = uf_root(uf, a);
        b = uf_root(uf, b);
        if (a == b)
            return false; /* linearizes at the read that saw b's root */
        if (a < b) {
            uint32_t t = a;
            a = b;
            b = t;
        }
        /* Link the larger root a under b. Succeeds only while a is still
         * a root; that CAS is the union's linearization point. b need not
         * still be a root: all of b's ancestors are smaller than b < a, so
         * b's set cannot contain a and the link still merges two sets. */
        uint32_t expected = a;
        if (hc_atomic_cas_strong_u32(&uf->parent[a], &expected, b, HC_SEQ_CST,
                                     HC_SEQ_CST))
            return true;
        /* a was linked meanwhile: start again from the two old roots. */
    }
}

bool hc_uf_same(hc_uf *uf, uint32_t a, uint32_t b)
{
    for (;;) {
        a = uf_root(uf, a);
        b = uf_root(uf, b);
        if (a == b)
            return true;
        /* a was a root when b's root was read iff it still is one now
         * (roots never come back); then the sets differed at that read. */
        if (hc_atomic_load_u32(&uf->parent[a], HC_SEQ_CST) == a)
            return false;
    }
}

void hc_uf_prefetch(const hc_uf *uf, uint32_t a)
{
    /* Write intent: a root is about to be linked, a path to be halved. */
    hc__prefetch_write(&uf->parent[a]);
}
