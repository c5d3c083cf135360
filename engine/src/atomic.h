/*
 * The one wrapper over <stdatomic.h>. Every atomic access in the engine goes
 * through these functions with an explicit memory order, so that each
 * acquire/release pair can be found and checked (the comment at each use
 * names its partner). Linearization points of the lock-free structures are
 * documented in docs/internals/.
 */
#ifndef HC_ATOMIC_H
#define HC_ATOMIC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef _Atomic uint8_t hc_atomic_u8;
typedef _Atomic uint32_t hc_atomic_u32;
typedef _Atomic uint64_t hc_atomic_u64;
typedef _Atomic size_t hc_atomic_zu;
typedef _Atomic(void *) hc_atomic_ptr;

#define HC_RELAXED memory_order_relaxed
#define HC_ACQUIRE memory_order_acquire
#define HC_RELEASE memory_order_release
#define HC_ACQ_REL memory_order_acq_rel
#define HC_SEQ_CST memory_order_seq_cst

#define HC_ATOMIC_DEFINE_(name, type, atype)                                  \
    static inline type hc_atomic_load_##name(const atype *p, memory_order mo) \
    {                                                                         \
        return atomic_load_explicit((atype *)p, mo);                          \
    }                                                                         \
    static inline void hc_atomic_store_##name(atype *p, type v,               \
                                              memory_order mo)                \
    {                                                                         \
        atomic_store_explicit(p, v, mo);                                      \
    }                                                                         \
    static inline bool hc_atomic_cas_weak_##name(                             \
        atype *p, type *expected, type desired, memory_order success,         \
        memory_order failure)                                                 \
    {                                                                         \
        return atomic_compare_exchange_weak_explicit(p, expected, desired,    \
                                                     success, failure);       \
    }                                                                         \
    static inline bool hc_atomic_cas_strong_##name(                           \
        atype *p, type *expected, type desired, memory_order success,         \
        memory_order failure)                                                 \
    {                                                                         \
        return atomic_compare_exchange_strong_explicit(p, expected, desired,  \
                                                       success, failure);     \
    }

HC_ATOMIC_DEFINE_(u32, uint32_t, hc_atomic_u32)
HC_ATOMIC_DEFINE_(u64, uint64_t, hc_atomic_u64)
HC_ATOMIC_DEFINE_(zu, size_t, hc_atomic_zu)
HC_ATOMIC_DEFINE_(ptr, void *, hc_atomic_ptr)

static inline uint32_t hc_atomic_fetch_add_u32(hc_atomic_u32 *p, uint32_t v,
                                               memory_order mo)
{
    return atomic_fetch_add_explicit(p, v, mo);
}

static inline uint64_t hc_atomic_fetch_add_u64(hc_atomic_u64 *p, uint64_t v,
                                               memory_order mo)
{
    return atomic_fetch_add_explicit(p, v, mo);
}

static inline size_t hc_atomic_fetch_add_zu(hc_atomic_zu *p, size_t v,
                                            memory_order mo)
{
    return atomic_fetch_add_explicit(p, v, mo);
}

static inline uint8_t hc_atomic_fetch_or_u8(hc_atomic_u8 *p, uint8_t v,
                                            memory_order mo)
{
    return atomic_fetch_or_explicit(p, v, mo);
}

static inline uint8_t hc_atomic_load_u8(const hc_atomic_u8 *p, memory_order mo)
{
    return atomic_load_explicit((hc_atomic_u8 *)p, mo);
}

static inline uint64_t hc_atomic_fetch_or_u64(hc_atomic_u64 *p, uint64_t v,
                                              memory_order mo)
{
    return atomic_fetch_or_explicit(p, v, mo);
}

/* Atomically *p = min(*p, v); returns the value seen before. Relaxed is
 * enough for a pure minimum: the value is read after a join/barrier. */
static inline uint64_t hc_atomic_fetch_min_u64(hc_atomic_u64 *p, uint64_t v,
                                               memory_order mo)
{
    uint64_t cur = atomic_load_explicit(p, memory_order_relaxed);
    while (v < cur && !atomic_compare_exchange_weak_explicit(
                          p, &cur, v, mo, memory_order_relaxed)) {
    }
    return cur;
}

#endif /* HC_ATOMIC_H */
