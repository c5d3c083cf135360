/*
 * Internal helpers shared by every engine module: error propagation macros,
 * bounded growable buffers and small inline utilities. Nothing here is part
 * of the public API.
 */
#ifndef HC_UTIL_H
#define HC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "headcount/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * HC_TRY(expr): evaluate an hc_status expression; on failure store it in the
 * function's `rc` and jump to its single `done:` cleanup label.
 * HC_FAIL_IF(cond, status): the same for a condition.
 * In debug builds (HC_DEBUG_TRACE) each failure prints file:line to stderr.
 */
#ifdef HC_DEBUG_TRACE
#include <stdio.h>
#define HC_TRACE_(st) \
    fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, hc_status_str(st))
#else
#define HC_TRACE_(st) ((void)0)
#endif

#define HC_TRY(expr)                \
    do {                            \
        hc_status hc_try_ = (expr); \
        if (hc_try_ != HC_OK) {     \
            HC_TRACE_(hc_try_);     \
            rc = hc_try_;           \
            goto done;              \
        }                           \
    } while (0)

#define HC_FAIL_IF(cond, status) \
    do {                         \
        if (cond) {              \
            HC_TRACE_(status);   \
            rc = (status);       \
            goto done;           \
        }                        \
    } while (0)

#define HC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define HC_MAX(a, b) ((a) > (b) ? (a) : (b))
#define HC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A-Z to a-z, every other byte unchanged: the case folding of logins,
 * host names and the ASCII path of email normalization. */
static inline unsigned char hc__ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* The length of a GHES host name without its trailing dots (DNS ignores
 * the root dot; more than one is no valid name, and dropping them all
 * keeps the canonical form of a canonical name unchanged). A name of
 * dots only keeps one. Hosts are compared after this and
 * hc__ascii_lower. */
static inline size_t hc__host_len(const char *h, size_t n)
{
    while (n > 1 && h[n - 1] == '.')
        n--;
    return n;
}

/* A value from the input made fit for a message (cap > 0): printable
 * ASCII but for ', each other byte '?', at most `keep` bytes of it, and
 * "..." when it was longer. Returns buf. */
const char *hc__show(const char *p, size_t n, size_t keep, char *buf,
                     size_t cap);

/* Writes GHES host h (n bytes) to out in its canonical form, ASCII
 * lowercase without trailing dots, and returns its length; out may be h.
 * The census keeps hosts so, and reports are read so. */
static inline size_t hc__host_canon(char *out, const char *h, size_t n)
{
    n = hc__host_len(h, n);
    for (size_t i = 0; i < n; i++)
        out[i] = (char)hc__ascii_lower((unsigned char)h[i]);
    return n;
}

#if defined(__GNUC__)
#define HC_LIKELY(x) __builtin_expect(!!(x), 1)
#define HC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define HC_LIKELY(x) (x)
#define HC_UNLIKELY(x) (x)
#endif

/*
 * Zeroed anonymous memory for a large array: *bytes in, the mapped length
 * out (pass it to hc__unmap). Regions of 2 MiB or more are aligned to and,
 * when huge, advised for 2 MiB pages (a hint). Arrays indexed at random
 * need them against TLB misses, and every fresh array needs them against
 * page faults: first touch of a 4 KiB page costs several microseconds on
 * virtual machines, 512 times per huge page. NULL when out of memory.
 */
void *hc__map_zeroed(size_t *bytes, bool huge);
void hc__unmap(void *p, size_t len); /* NULL is a no-op */
/* Backs [p, p + len) of a fresh hc__map_zeroed region with pages now, for
 * callers that want the first-touch cost paid up front rather than spread
 * over their hot loop. The contents stay zero. */
void hc__populate(void *p, size_t len);

/*
 * Whether the CPU has PREFETCHW, the prefetch that fetches a line for
 * writing (x86 CPUID 0x80000001, ECX bit 8; AMD since K8, Intel since
 * Broadwell). Set once by a constructor in util.c, before main and any
 * thread, and only read afterwards. A plain prefetch brings a line in for
 * reading and the write that follows has to ask for it again; on the
 * 2-vCPU development VM, prefetching hash-map slots with PREFETCHW raised
 * inserts on two threads by about a quarter (docs/internals/hset.md).
 */
extern bool hc__have_prefetchw;

/* Prefetches p for writing: PREFETCHW where the CPU has it, else the
 * compiler's write-intent prefetch, which the x86-64 baseline turns into
 * a plain read prefetch. Every write prefetch of the engine goes here. */
static inline void hc__prefetch_write(const void *p)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (hc__have_prefetchw) {
        __asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
        return;
    }
#endif
    __builtin_prefetch(p, 1, 3);
}

/*
 * hc__buf: a growable byte buffer with a hard cap. Appending beyond cap is
 * HC_ERR_LIMIT, never an unbounded allocation. Owned by whoever init'ed it;
 * release with hc__buf_fini.
 */
typedef struct hc__buf {
    char *data;
    size_t len;
    size_t cap;   /* allocated */
    size_t limit; /* never grows beyond this */
    bool mapped;  /* data is an anonymous mapping (large buffers) */
    bool may_map; /* set by hc__buf_init_mapped */
} hc__buf;

void hc__buf_init(hc__buf *b, size_t limit);
/* As hc__buf_init, for buffers that may grow large and are released only
 * through hc__buf_fini (never free(b->data)): past 2 MiB they move into an
 * anonymous mapping that grows without copying. */
void hc__buf_init_mapped(hc__buf *b, size_t limit);
void hc__buf_fini(hc__buf *b);
hc_status hc__buf_reserve(hc__buf *b, size_t extra);
/* Inline, so that the small fixed-size appends of the census's hot path
 * compile to a compare and a store while there is room. The room is bounded
 * by the limit too: a mapped buffer's capacity is rounded up past it. */
static inline hc_status hc__buf_append(hc__buf *b, const void *p, size_t n)
{
    size_t room = (b->cap < b->limit ? b->cap : b->limit) - b->len;
    if (n > room) {
        hc_status rc = hc__buf_reserve(b, n);
        if (rc != HC_OK)
            return rc;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return HC_OK;
}
static inline void hc__buf_clear(hc__buf *b)
{
    b->len = 0;
}

/* Fills diag (may be NULL) with file/line/column and a printf message. */
void hc__diag_set(hc_diag *diag, const char *file, uint64_t line,
                  uint64_t column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Number of online cores, at least 1. */
unsigned hc__cpu_count(void);

/* Resolves a thread-count request: 0 means all cores; capped at 256. */
unsigned hc__threads_resolve(unsigned requested);

/*
 * True when the n bytes at a and b are equal. Inline, in words of eight
 * with the last one flush with the end, for the short names and keys that
 * every record compares with its predecessor's: there a libc memcmp costs
 * a call and a branchy dispatch on the length, several times the compare.
 */
static inline bool hc__same_bytes(const void *a, const void *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    uint64_t u, v;
    if (n < 8) {
        for (size_t i = 0; i < n; i++)
            if (x[i] != y[i])
                return false;
        return true;
    }
    for (size_t i = 0; i + 8 < n; i += 8) {
        memcpy(&u, x + i, sizeof u);
        memcpy(&v, y + i, sizeof v);
        if (u != v)
            return false;
    }
    memcpy(&u, x + n - 8, sizeof u);
    memcpy(&v, y + n - 8, sizeof v);
    return u == v;
}

#ifdef __cplusplus
}
#endif

#endif /* HC_UTIL_H */
