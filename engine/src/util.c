/*
 * Status strings, exit-code mapping, diagnostics, bounded buffers and the
 * thread-count policy: the small pieces every other module leans on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "util.h"

#ifndef HC_VERSION_STRING
#define HC_VERSION_STRING "0.0.0"
#endif

const char *hc_version(void)
{
    return HC_VERSION_STRING;
}

const char *hc_status_str(hc_status status)
{
    switch (status) {
    case HC_OK: return "ok";
    case HC_ERR_NOMEM: return "out of memory";
    case HC_ERR_ARG: return "invalid argument";
    case HC_ERR_DATA: return "malformed input";
    case HC_ERR_LIMIT: return "input exceeds a size limit";
    case HC_ERR_ENCRYPTED: return "encrypted license export";
    case HC_ERR_NOINPUT: return "cannot open input";
    case HC_ERR_IO: return "input/output error";
    case HC_ERR_FULL: return "table is full";
    case HC_ERR_NOTFOUND: return "not found";
    case HC_ERR_INTERNAL: return "internal error";
    case HC_STATUS_COUNT_: break;
    }
    return "unknown status";
}

int hc_status_exit_code(hc_status status)
{
    switch (status) {
    case HC_OK: return 0;
    case HC_ERR_ARG: return 64;
    case HC_ERR_DATA:
    case HC_ERR_LIMIT:
    case HC_ERR_ENCRYPTED: return 65;
    case HC_ERR_NOINPUT: return 66;
    case HC_ERR_IO: return 74;
    case HC_ERR_NOTFOUND: return 1;
    case HC_ERR_NOMEM:
    case HC_ERR_FULL:
    case HC_ERR_INTERNAL:
    case HC_STATUS_COUNT_: break;
    }
    return 70;
}

void hc_diag_format(const hc_diag *diag, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    if (diag->line && diag->column)
        snprintf(buf, cap, "%s:%llu:%llu: %s", diag->file,
                 (unsigned long long)diag->line,
                 (unsigned long long)diag->column, diag->message);
    else if (diag->line)
        snprintf(buf, cap, "%s:%llu: %s", diag->file,
                 (unsigned long long)diag->line, diag->message);
    else
        snprintf(buf, cap, "%s: %s", diag->file, diag->message);
}

void hc__diag_set(hc_diag *diag, const char *file, uint64_t line,
                  uint64_t column, const char *fmt, ...)
{
    if (!diag)
        return;
    snprintf(diag->file, sizeof diag->file, "%s", file ? file : "");
    diag->line = line;
    diag->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->message, sizeof diag->message, fmt, ap);
    va_end(ap);
}

void hc__buf_init(hc__buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
    b->mapped = false;
    b->may_map = false;
}

#define HUGE_PAGE ((size_t)2 << 20)

void *hc__map_zeroed(size_t *bytes, bool huge)
{
    size_t len = *bytes ? *bytes : 1;
    if (len < HUGE_PAGE) {
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        *bytes = len;
        return p == MAP_FAILED ? NULL : p;
    }
    len = (len + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    /* Over-allocate by one huge page and trim to an aligned start. */
    char *raw = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uintptr_t at =
        ((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    size_t head = at - (uintptr_t)raw;
    if (head)
        munmap(raw, head);
    munmap((char *)at + len, HUGE_PAGE - head);
    if (huge)
        (void)madvise((void *)at, len, MADV_HUGEPAGE);
    *bytes = len;
    return (void *)at;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

void hc__populate(void *p, size_t len)
{
    if (!p || len == 0 || madvise(p, len, MADV_POPULATE_WRITE) == 0)
        return;
    /* Older kernels: write one zero per small page, which backs it the
     * same way (the region is private and still all zero). */
    volatile char *c = p;
    for (size_t i = 0; i < len; i += 4096)
        c[i] = 0;
}

bool hc__have_prefetchw;

/* Runs before main, so the flag is written before any thread reads it. */
__attribute__((constructor)) static void detect_prefetchw(void)
{
#if defined(__x86_64__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    hc__have_prefetchw =
        __get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & (1u << 8));
#endif
}

void hc__unmap(void *p, size_t len)
{
    if (p)
        munmap(p, len);
}

void hc__buf_init_mapped(hc__buf *b, size_t limit)
{
    hc__buf_init(b, limit);
    b->may_map = true;
}

void hc__buf_fini(hc__buf *b)
{
    if (b->mapped)
        munmap(b->data, b->cap);
    else
        free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->mapped = false;
}

/*
 * Buffers past BUF_MAP_MIN live in anonymous mappings that grow with
 * mremap: the kernel moves page tables instead of copying the contents,
 * and transparent huge pages cut the page faults of first touch by 512.
 * Census writers append hundreds of megabytes this way; with realloc the
 * copies and faults cost more than parsing the input.
 */
#define BUF_MAP_MIN ((size_t)1 << 21)

static hc_status buf_grow_mapped(hc__buf *b, size_t cap)
{
    void *p;
    if (b->mapped) {
        p = mremap(b->data, b->cap, cap, MREMAP_MAYMOVE);
    } else {
        p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
        if (p != MAP_FAILED && b->len)
            memcpy(p, b->data, b->len);
    }
    if (p == MAP_FAILED)
        return HC_ERR_NOMEM;
    (void)madvise(p, cap, MADV_HUGEPAGE); /* a hint; failure is harmless */
    if (!b->mapped)
        free(b->data);
    b->data = p;
    b->cap = cap;
    b->mapped = true;
    return HC_OK;
}

hc_status hc__buf_reserve(hc__buf *b, size_t extra)
{
    if (extra > b->limit || b->len > b->limit - extra)
        return HC_ERR_LIMIT;
    size_t need = b->len + extra;
    if (need <= b->cap)
        return HC_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->limit)
        cap = b->limit;
    if (b->may_map && cap >= BUF_MAP_MIN) {
        /* Whole huge pages, so the mapping can be backed by them. */
        size_t rounded = (cap + BUF_MAP_MIN - 1) & ~(BUF_MAP_MIN - 1);
        return buf_grow_mapped(b, rounded >= cap ? rounded : cap);
    }
    char *p = realloc(b->data, cap);
    if (!p)
        return HC_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return HC_OK;
}

unsigned hc__cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1u : (unsigned)n;
}

unsigned hc__threads_resolve(unsigned requested)
{
    unsigned n = requested ? requested : hc__cpu_count();
    return n > 256 ? 256 : n;
}

const char *hc__show(const char *p, size_t n, size_t keep, char *buf,
                     size_t cap)
{
    size_t o = 0, max = cap - 1;
    bool cut = n > keep;
    if (cut)
        n = keep;
    for (size_t i = 0; i < n && o < max; i++) {
        unsigned char c = (unsigned char)p[i];
        buf[o++] = (c >= 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
    }
    if (cut && o + 3 <= max) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}
