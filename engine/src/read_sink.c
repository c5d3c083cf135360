/*
 * Helpers every reader shares: diagnostics that turn byte offsets into line
 * and column numbers, the row-level error policy (--skip-malformed), early
 * cancellation of jobs after an earlier job failed, and the small scalar
 * parsers (integers, booleans, UTF-8 validation) whose exact rules are part
 * of docs/formats.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "atomic.h"
#include "read_sink.h"
#include "util.h"

hc_status hc__strvec_push(hc__strvec *sv, const char *p, size_t len)
{
    /* One value past an account's limit is enough for hc__job_add_* to
     * refuse the row (a row error); storing the rest of a huge cell would
     * only cost memory. */
    if (sv->n > HC_ACCOUNT_VALUES_MAX)
        return HC_OK;
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 16;
        hc_str *v = realloc(sv->v, cap * sizeof *v);
        if (!v)
            return HC_ERR_NOMEM;
        sv->v = v;
        sv->cap = cap;
    }
    sv->v[sv->n].ptr = p;
    sv->v[sv->n].len = len;
    sv->n++;
    return HC_OK;
}

void hc__strvec_fini(hc__strvec *sv)
{
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

/*
 * Counting is what splitting a CSV input costs (twice over the whole input,
 * on one thread, before any chunk is parsed), so it must run at memory
 * speed. SSE2: each 16-byte compare gives 0xFF per match, subtracted from
 * byte counters that cannot overflow in 255 rounds, then summed with
 * _mm_sad_epu8. Elsewhere, the same in words of eight: a byte of
 * x = w ^ pattern is zero exactly where w holds c, and
 * ((x & 0x7f..) + 0x7f..) | x has its top bit set exactly for the non-zero
 * bytes (the addition cannot carry across bytes); 31 rounds keep the eight
 * byte counters' sum below 256 for the multiply that adds them. No
 * popcount: without -mpopcnt it is a libgcc call per word.
 */
size_t hc__count_byte(const char *p, size_t n, char c)
{
    size_t count = 0, i = 0;
#ifdef __SSE2__
    const __m128i pat = _mm_set1_epi8(c);
    while (n - i >= 16) {
        size_t rounds = HC_MIN((n - i) / 16, (size_t)255);
        __m128i acc = _mm_setzero_si128();
        for (size_t r = 0; r < rounds; r++, i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(x, pat));
        }
        __m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
        count += (size_t)_mm_cvtsi128_si32(sums) +
                 (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
    }
#else
    const uint64_t ones = 0x0101010101010101ull;
    const uint64_t pat = ones * (unsigned char)c;
    const uint64_t low7 = ones * 0x7f;
    while (n - i >= 8) {
        size_t rounds = HC_MIN((n - i) / 8, (size_t)31);
        uint64_t acc = 0;
        for (size_t r = 0; r < rounds; r++, i += 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            uint64_t x = w ^ pat;
            uint64_t t = ((x & low7) + low7) | x;
            acc += (~t & (ones << 7)) >> 7;
        }
        count += (size_t)((acc * ones) >> 56);
    }
#endif
    for (; i < n; i++)
        count += p[i] == c;
    return count;
}

uint64_t hc__job_line(hc__job *job, size_t off)
{
    if (off > job->len)
        off = job->len;
    if (job->line_no == 0 || off < job->line_off) {
        if (job->begin_line == 0)
            job->begin_line = 1 + hc__count_byte(job->base, job->begin, '\n');
        bool inside = off >= job->begin;
        job->line_off = inside ? job->begin : 0;
        job->line_no = inside ? job->begin_line : 1;
    }
    job->line_no +=
        hc__count_byte(job->base + job->line_off, off - job->line_off, '\n');
    job->line_off = off;
    return job->line_no;
}

uint64_t hc__job_column(const hc__job *job, size_t off)
{
    if (off > job->len)
        off = job->len;
    size_t i = off;
    while (i > 0 && job->base[i - 1] != '\n')
        i--;
    /* A byte order mark is a signature, not text an editor shows: the
     * first line's columns start after it. */
    if (i == 0 && off >= 3 && memcmp(job->base, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    return (uint64_t)(off - i) + 1;
}

void hc__job_drop_pages(const hc__job *job, size_t from, size_t to)
{
    if (!job->release_pages)
        return;
    /* The kernel's page size (16 or 64 KiB on some arm64 systems): a
     * range not aligned to it makes madvise fail and keep every page.
     * glibc answers from the auxiliary vector, without a system call. */
    long ps = sysconf(_SC_PAGESIZE);
    const uintptr_t page = ps > 0 ? (uintptr_t)ps : 4096;
    uintptr_t b = ((uintptr_t)(job->base + from) + page - 1) & ~(page - 1);
    uintptr_t e = (uintptr_t)(job->base + to) & ~(page - 1);
    if (e > b)
        (void)madvise((void *)b, e - b, MADV_DONTNEED);
}

bool hc__job_cancelled(const hc__job *job)
{
    /* Relaxed: the value is only a hint to stop early; the driver reads
     * the jobs' results after joining the threads. */
    return hc_atomic_load_u64((hc_atomic_u64 *)job->failed, HC_RELAXED) <
           job->index;
}

static hc_status job_vfail(hc__job *job, hc_status status, uint64_t line,
                           uint64_t column, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static hc_status job_vfail(hc__job *job, hc_status status, uint64_t line,
                           uint64_t column, const char *fmt, va_list ap)
{
    char msg[sizeof job->diag.message];
    vsnprintf(msg, sizeof msg, fmt, ap);
    hc__diag_set(&job->diag, job->file, line, column, "%s", msg);
    job->status = status;
    if (job->failed)
        hc_atomic_fetch_min_u64((hc_atomic_u64 *)job->failed, job->index,
                                HC_RELAXED);
    return status;
}

hc_status hc__job_fail_at(hc__job *job, hc_status status, uint64_t line,
                          uint64_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hc_status rc = job_vfail(job, status, line, column, fmt, ap);
    va_end(ap);
    return rc;
}

hc_status hc__job_fail(hc__job *job, hc_status status, size_t off, bool col,
                       const char *fmt, ...)
{
    uint64_t line = hc__job_line(job, off);
    uint64_t column = col ? hc__job_column(job, off) : 0;
    va_list ap;
    va_start(ap, fmt);
    hc_status rc = job_vfail(job, status, line, column, fmt, ap);
    va_end(ap);
    return rc;
}

hc_status hc__job_row_error(hc__job *job, uint32_t source, hc_status status,
                            size_t off, bool col, const char *fmt, ...)
{
    /* Under skip_malformed only the first row of the job is described,
     * and its line is counted only if it is the first of its input
     * (hc__job_first_rejected): a job's first line can cost a scan. */
    bool describe = !job->skip_malformed || job->rejected == 0;
    uint64_t column = describe && col ? hc__job_column(job, off) : 0;
    va_list ap;
    va_start(ap, fmt);
    hc_status rc = HC_OK;
    if (!job->skip_malformed) {
        rc = job_vfail(job, status, hc__job_line(job, off), column, fmt, ap);
    } else if (describe) {
        char msg[sizeof job->first_rejected.message];
        vsnprintf(msg, sizeof msg, fmt, ap);
        hc__diag_set(&job->first_rejected, job->file, 0, column, "%s", msg);
        job->first_rejected_off = off;
    }
    va_end(ap);
    if (job->skip_malformed) {
        job->rejected++;
        job->sink->reject(job->sink->ctx, source, 1);
    }
    return rc;
}

hc_diag hc__job_first_rejected(hc__job *job)
{
    hc_diag d = job->first_rejected;
    d.line = hc__job_line(job, job->first_rejected_off);
    return d;
}

/* The sink's answer for an account: counted, or the job fails. */
static hc_status job_added(hc__job *job, hc_status rc, size_t off)
{
    if (rc != HC_OK)
        return hc__job_fail(job, rc, off, false, "cannot add account: %s",
                            hc_status_str(rc));
    job->accounts++;
    return HC_OK;
}

hc_status hc__job_add_ghes(hc__job *job, const hc_ghes_account *a, size_t off)
{
    if (a->n_emails > HC_ACCOUNT_VALUES_MAX)
        return hc__job_row_error(job, a->source, HC_ERR_LIMIT, off, false,
                                 "an account with more than %zu emails",
                                 HC_ACCOUNT_VALUES_MAX);
    return job_added(job, job->sink->ghes(job->writer, a), off);
}

hc_status hc__job_add_ghec(hc__job *job, const hc_ghec_account *a, size_t off)
{
    if (a->n_identity_values + a->n_verified_emails > HC_ACCOUNT_VALUES_MAX)
        return hc__job_row_error(job, a->source, HC_ERR_LIMIT, off, false,
                                 "an account with more than %zu identity "
                                 "values and verified emails",
                                 HC_ACCOUNT_VALUES_MAX);
    return job_added(job, job->sink->ghec(job->writer, a), off);
}

size_t hc__utf8_valid_prefix(const void *ptr, size_t n)
{
    const unsigned char *s = ptr;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return i;
        }
        if (n - i - 1 < need)
            return i;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += need + 1;
    }
    return n;
}

bool hc__utf8_is_valid(const void *ptr, size_t n)
{
    return hc__utf8_valid_prefix(ptr, n) == n;
}

bool hc__parse_u64(const char *p, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20)
        return false;
    /* 19 digits never overflow (10^19 - 1 < 2^64): only a 20th is checked
     * against the range, off the per-digit path that every id takes. */
    size_t m = n < 19 ? n : 19;
    uint64_t v = 0;
    for (size_t i = 0; i < m; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9)
            return false;
        v = v * 10 + d;
    }
    if (n == 20) {
        unsigned d = (unsigned char)p[19] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool eq_nocase(const char *p, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return false;
    }
    return true;
}

bool hc__parse_bool(const char *p, size_t n, bool *out)
{
    if (eq_nocase(p, n, "true") || (n == 1 && p[0] == '1')) {
        *out = true;
        return true;
    }
    if (eq_nocase(p, n, "false") || (n == 1 && p[0] == '0')) {
        *out = false;
        return true;
    }
    return false;
}
