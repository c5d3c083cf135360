/*
 * Helpers of the sync shell that hold no state of their own: error records,
 * log lines, time formatting, and the strict little parsers for durations,
 * schedules, Retry-After, Link headers and the flat JSON state files. They
 * take bytes from servers and config files, so every parser bounds its
 * input and fails cleanly on anything unexpected.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "headcount/census.h"
#include "sync_util.h"

volatile sig_atomic_t sync_stop = 0;

int sync_fail(sync_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

uint64_t sync_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool sync_sleep_ms(uint64_t ms)
{
    /* Short slices so that a stop request (SIGTERM) ends the wait within a
     * tenth of a second even when the signal landed between two checks. */
    while (ms > 0 && !sync_stop) {
        uint64_t slice = ms < 100 ? ms : 100;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)slice * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
    return !sync_stop;
}

void sync_time_rfc3339(time_t t, char out[32])
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "1970-01-01T00:00:00Z");
}

bool sync_time_parse_rfc3339(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end != '\0')
        return false;
    *out = timegm(&tm);
    return true;
}

void sync_log(const char *level, const char *fmt, ...)
{
    char line[SYNC_MSG_MAX + 128]; /* a message and its prefix */
    char ts[32];
    sync_time_rfc3339(time(NULL), ts);
    int n = snprintf(line, sizeof line, "%s headcount[%ld]: %s: ", ts,
                     (long)getpid(), level);
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* One write per line keeps lines whole when the daemon and a manual
     * sync share a journal. */
    size_t len = strlen(line);
    if (len + 1 < sizeof line) {
        line[len++] = '\n';
        line[len] = '\0';
    } else {
        line[sizeof line - 2] = '\n';
    }
    fputs(line, stderr);
    fflush(stderr);
}

void sync_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

bool sync_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool sync_duration_parse(const char *s, uint64_t *ms)
{
    const uint64_t max_ms = 400ull * 86400ull * 1000ull;
    uint64_t total = 0;
    bool any = false;
    while (*s) {
        uint64_t v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            if (++digits > 12)
                return false;
            v = v * 10 + (uint64_t)(*s++ - '0');
        }
        if (digits == 0)
            return false;
        uint64_t unit;
        if (strncmp(s, "ms", 2) == 0) {
            unit = 1;
            s += 2;
        } else if (*s == 's') {
            unit = 1000;
            s++;
        } else if (*s == 'm') {
            unit = 60000;
            s++;
        } else if (*s == 'h') {
            unit = 3600000;
            s++;
        } else if (*s == 'd') {
            unit = 86400000;
            s++;
        } else if (*s == '\0' && !any) {
            unit = 1000; /* a bare number means seconds */
        } else {
            return false;
        }
        if (v > max_ms / unit || total + v * unit > max_ms)
            return false;
        total += v * unit;
        any = true;
    }
    if (!any)
        return false;
    *ms = total;
    return true;
}

static const char *const day_names[7] = {"sunday",    "monday",   "tuesday",
                                         "wednesday", "thursday", "friday",
                                         "saturday"};

bool sync_weekly_parse(const char *s, sync_weekly *out)
{
    char day[16];
    size_t n = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    while (isalpha((unsigned char)*s)) {
        if (n + 1 >= sizeof day)
            return false;
        day[n++] = (char)tolower((unsigned char)*s++);
    }
    day[n] = '\0';
    int wday = -1;
    for (int i = 0; i < 7; i++)
        if ((n == 3 && strncmp(day, day_names[i], 3) == 0) ||
            strcmp(day, day_names[i]) == 0)
            wday = i;
    if (wday < 0 || (*s != ' ' && *s != '\t'))
        return false;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        s[2] != ':' || !isdigit((unsigned char)s[3]) ||
        !isdigit((unsigned char)s[4]))
        return false;
    int hour = (s[0] - '0') * 10 + (s[1] - '0');
    int minute = (s[3] - '0') * 10 + (s[4] - '0');
    s += 5;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s || hour > 23 || minute > 59)
        return false;
    out->wday = wday;
    out->hour = hour;
    out->minute = minute;
    return true;
}

/*
 * The schedule's time on the local date of *date (year, month and day;
 * normalized): the earliest occurrence when the clock shows that time
 * twice (the hour repeated when summer time ends), or, when the clock
 * skips it (the hour lost when summer time begins), where mktime puts it
 * (shifted by the gap). mktime alone, asked with tm_isdst -1, may choose
 * the second of two occurrences: so each of standard and summer time is
 * tried and kept when it reads back as the same local time.
 */
static time_t weekly_on_date(const sync_weekly *w, const struct tm *date)
{
    time_t best = (time_t)-1;
    for (int dst = 0; dst <= 1; dst++) {
        struct tm c = *date, back;
        c.tm_hour = w->hour;
        c.tm_min = w->minute;
        c.tm_sec = 0;
        c.tm_isdst = dst;
        time_t t = mktime(&c);
        if (t == (time_t)-1 || !localtime_r(&t, &back))
            continue;
        if (back.tm_year == date->tm_year && back.tm_mon == date->tm_mon &&
            back.tm_mday == date->tm_mday && back.tm_hour == w->hour &&
            back.tm_min == w->minute && back.tm_sec == 0 &&
            (best == (time_t)-1 || t < best))
            best = t;
    }
    if (best == (time_t)-1) {
        struct tm c = *date;
        c.tm_hour = w->hour;
        c.tm_min = w->minute;
        c.tm_sec = 0;
        c.tm_isdst = -1;
        best = mktime(&c);
    }
    return best;
}

time_t sync_weekly_next(const sync_weekly *w, time_t after)
{
    struct tm now;
    if (!localtime_r(&after, &now))
        return after + 7 * 86400;
    for (int d = 0; d <= 8; d++) {
        /* The date d days on, normalized at noon, which no DST change
         * moves to another day. */
        struct tm date = now;
        date.tm_mday += d;
        date.tm_hour = 12;
        date.tm_min = 0;
        date.tm_sec = 0;
        date.tm_isdst = -1;
        if (mktime(&date) == (time_t)-1 || date.tm_wday != w->wday)
            continue;
        time_t t = weekly_on_date(w, &date);
        /* One slot per date: a date whose (first) occurrence is at or
         * before `after` has had its slot, even when the clock shows the
         * time once more later that night. */
        if (t != (time_t)-1 && t > after)
            return t;
    }
    return after + 7 * 86400;
}

time_t sync_schedule_next(const sync_weekly *w, uint64_t jitter_ms,
                          time_t after, uint64_t rnd)
{
    uint64_t j = jitter_ms ? rnd % jitter_ms : 0;
    return sync_weekly_next(w, after) + (time_t)(j / 1000);
}

time_t sync_weekly_prev(const sync_weekly *w, time_t now)
{
    /* Slots are a week apart, give or take a DST hour: starting eight
     * days back finds the latest one at or before now in two steps. */
    time_t t = sync_weekly_next(w, now - 8 * 86400);
    for (int i = 0; i < 3; i++) {
        time_t n = sync_weekly_next(w, t);
        if (n > now)
            break;
        t = n;
    }
    return t;
}

time_t sync_schedule_start(const sync_weekly *w, uint64_t jitter_ms, time_t now,
                           bool ran, time_t last_ended, uint64_t rnd)
{
    time_t delay = (time_t)((jitter_ms ? rnd % jitter_ms : 0) / 1000);
    time_t slot = sync_weekly_prev(w, now);
    if (!ran || last_ended < slot) {
        /* Inside the slot's jitter window: its run, at the slot plus
         * its delay, or at once when that moment has passed. */
        if (slot <= now && now - slot <= (time_t)(jitter_ms / 1000)) {
            time_t t = slot + delay;
            return t > now ? t : now;
        }
        /* Past it, with a history whose newest run is older than the
         * slot: the week's run was missed (the machine was off, the
         * daemon stopped). Make it up once, spread like a weekly run. A
         * state directory without a history has missed nothing. */
        if (ran)
            return now + delay;
    }
    return sync_weekly_next(w, now) + delay;
}

bool sync_schedule_is_stale(const sync_weekly *w, time_t planned, time_t now,
                            uint64_t jitter_ms)
{
    /* Every plan lies within the jitter after a weekly time, and no
     * further ahead than the first one after now; counted on the
     * calendar, not as 7 days, since a week that ends summer time is an
     * hour longer. */
    return planned > sync_weekly_next(w, now) + (time_t)(jitter_ms / 1000);
}

time_t sync_schedule_reload(const sync_weekly *old_w, uint64_t old_jitter_ms,
                            const sync_weekly *new_w, uint64_t new_jitter_ms,
                            time_t planned, time_t now, bool ran,
                            time_t last_ended, uint64_t rnd)
{
    if (old_w->wday == new_w->wday && old_w->hour == new_w->hour &&
        old_w->minute == new_w->minute && old_jitter_ms == new_jitter_ms)
        return planned;
    return sync_schedule_start(new_w, new_jitter_ms, now, ran, last_ended, rnd);
}

bool sync_retry_after_parse(const char *value, time_t now, uint64_t *delay_ms)
{
    const uint64_t cap_s = 86400;
    while (*value == ' ' || *value == '\t')
        value++;
    char buf[128];
    size_t n = strlen(value);
    while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, value, n);
    buf[n] = '\0';
    uint64_t secs;
    if (sync_parse_u64(buf, &secs)) {
        *delay_ms = (secs > cap_s ? cap_s : secs) * 1000u;
        return true;
    }
    /* Digits alone that overflow are still seconds: more than the cap. */
    if (strspn(buf, "0123456789") == n) {
        *delay_ms = cap_s * 1000u;
        return true;
    }
    static const char *const formats[] = {
        "%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate */
        "%A, %d-%b-%y %H:%M:%S GMT", /* RFC 850 */
        "%a %b %e %H:%M:%S %Y",      /* asctime */
    };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *end = strptime(buf, formats[i], &tm);
        if (!end || *end != '\0')
            continue;
        time_t t = timegm(&tm);
        if (t == (time_t)-1)
            return false;
        uint64_t d = t > now ? (uint64_t)(t - now) : 0;
        *delay_ms = (d > cap_s ? cap_s : d) * 1000u;
        return true;
    }
    return false;
}

uint64_t sync_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms,
                         uint64_t rnd)
{
    uint64_t ceiling = cap_ms;
    if (attempt < 40 && base_ms <= (cap_ms >> attempt))
        ceiling = base_ms << attempt;
    return ceiling == UINT64_MAX ? rnd : rnd % (ceiling + 1);
}

bool sync_proc_locks_line_holds(const char *line, uint64_t ino,
                                unsigned dev_major, unsigned dev_minor,
                                long pid)
{
    unsigned maj, min;
    unsigned long long i;
    long holder;
    char kind[16];
    /* "1: FLOCK  ADVISORY  WRITE 4298 fe:00:10969125 0 EOF" */
    if (sscanf(line, "%*[^:]: %15s %*s %*s %ld %x:%x:%llu", kind, &holder, &maj,
               &min, &i) != 5 ||
        strcmp(kind, "FLOCK") != 0 || i != (unsigned long long)ino)
        return false;
    return (maj == dev_major && min == dev_minor) || (pid > 0 && holder == pid);
}

uint64_t sync_random_u64(void)
{
    uint64_t v = 0;
    if (RAND_bytes((unsigned char *)&v, (int)sizeof v) != 1)
        return 0;
    return v;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_tchar(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

sync_link sync_link_next(const char *value, size_t len, char *out, size_t cap)
{
    const char *p = value, *end = value + len;
    for (;;) {
        while (p < end && (is_ows(*p) || *p == ','))
            p++;
        if (p == end)
            return SYNC_LINK_NONE;
        if (*p != '<')
            return SYNC_LINK_BAD;
        const char *uri = ++p;
        while (p < end && *p != '>')
            p++;
        if (p == end)
            return SYNC_LINK_BAD;
        size_t uri_len = (size_t)(p - uri);
        p++;
        bool is_next = false, seen_rel = false;
        for (;;) {
            while (p < end && is_ows(*p))
                p++;
            if (p == end || *p == ',')
                break;
            if (*p != ';')
                return SYNC_LINK_BAD;
            p++;
            while (p < end && is_ows(*p))
                p++;
            const char *name = p;
            while (p < end && is_tchar(*p))
                p++;
            size_t name_len = (size_t)(p - name);
            if (name_len == 0)
                return SYNC_LINK_BAD;
            while (p < end && is_ows(*p))
                p++;
            char val[256];
            size_t vn = 0;
            bool too_long = false;
            if (p < end && *p == '=') {
                p++;
                while (p < end && is_ows(*p))
                    p++;
                if (p < end && *p == '"') {
                    p++;
                    while (p < end && *p != '"') {
                        if (*p == '\\' && p + 1 < end)
                            p++;
                        if (vn + 1 < sizeof val)
                            val[vn++] = *p;
                        else
                            too_long = true;
                        p++;
                    }
                    if (p == end)
                        return SYNC_LINK_BAD;
                    p++;
                } else {
                    while (p < end && is_tchar(*p)) {
                        if (vn + 1 < sizeof val)
                            val[vn++] = *p;
                        else
                            too_long = true;
                        p++;
                    }
                }
            }
            val[vn] = '\0';
            /* RFC 8288 3.3: only the first rel parameter counts. */
            if (name_len == 3 && strncasecmp(name, "rel", 3) == 0 &&
                !seen_rel) {
                seen_rel = true;
                /* A relation list longer than we read may hold "next":
                 * unreadable, never "no next page". */
                if (too_long)
                    return SYNC_LINK_BAD;
                char *save = NULL;
                for (char *t = strtok_r(val, " \t", &save); t;
                     t = strtok_r(NULL, " \t", &save))
                    if (strcasecmp(t, "next") == 0)
                        is_next = true;
            }
        }
        if (is_next) {
            if (uri_len == 0 || uri_len >= cap)
                return SYNC_LINK_BAD;
            for (size_t i = 0; i < uri_len; i++)
                if ((unsigned char)uri[i] <= 0x20 || uri[i] == 0x7f)
                    return SYNC_LINK_BAD;
            memcpy(out, uri, uri_len);
            out[uri_len] = '\0';
            return SYNC_LINK_NEXT;
        }
    }
}

bool sync_host_is_valid(const char *h)
{
    /* The engine's rule, so that a host the config or --ghes HOST= takes
     * is one the readers take in an export. */
    return hc_host_name_valid(h, strlen(h));
}

bool sync_host_same(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    while (na > 0 && a[na - 1] == '.')
        na--;
    while (nb > 0 && b[nb - 1] == '.')
        nb--;
    return na == nb && strncasecmp(a, b, na) == 0;
}

bool sync_host_is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0)
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    char buf[64];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        host = buf;
    }
    struct in6_addr a6;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return memcmp(&a6, &in6addr_loopback, sizeof a6) == 0;
    return false;
}

size_t sync_utf8_len(const unsigned char *s, size_t avail)
{
    if (avail == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xc2 && c <= 0xdf   ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    if (n == 0 || avail < n)
        return 0;
    /* The second byte's range depends on the first (Unicode table 3-7):
     * it rules out overlong forms, surrogates and code points past
     * U+10FFFF. Bytes are checked in order, so a NUL (no continuation
     * byte) ends the check before anything after it is read. */
    unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if (s[k] < 0x80 || s[k] > 0xbf)
            return 0;
    return n;
}

void sync_json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + strlen(s);
    fputc('"', f);
    while (*p) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
            fputc(*p++, f);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\u%04x", *p++);
        } else {
            size_t n = sync_utf8_len(p, (size_t)(end - p));
            if (n == 0) {
                fputs("\\ufffd", f);
                p++;
            } else {
                fwrite(p, 1, n, f);
                p += n;
            }
        }
    }
    fputc('"', f);
}

void sync_json_string_or_null(FILE *f, const char *s)
{
    if (s)
        sync_json_string(f, s);
    else
        fputs("null", f);
}

/* ---- the reader for flat state files ---- */

enum { JOBJS_MAX = 100000, JFIELDS_MAX = 64, JNEST_MAX = 32 };

typedef struct jcur {
    const char *p, *end;
} jcur;

static void jws(jcur *c)
{
    while (c->p < c->end &&
           (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static bool jhex4(jcur *c, unsigned *out)
{
    if (c->end - c->p < 4)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(c->p[i]);
        if (h < 0)
            return false;
        v = v * 16 + (unsigned)h;
    }
    c->p += 4;
    *out = v;
    return true;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the string at c->p (which is '"'); *out is malloc'ed. A decoded
 * string is never longer than its escaped form, so one allocation of the
 * raw span suffices. */
static bool jstring(jcur *c, char **out)
{
    if (c->p >= c->end || *c->p != '"')
        return false;
    const char *start = ++c->p;
    while (c->p < c->end && *c->p != '"') {
        if (*c->p == '\\')
            c->p++;
        c->p++;
    }
    if (c->p >= c->end)
        return false;
    size_t span = (size_t)(c->p - start);
    c->p = start;
    char *buf = malloc(span + 1);
    if (!buf)
        return false;
    size_t n = 0;
    while (*c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20)
            goto fail;
        if (ch != '\\') {
            buf[n++] = (char)ch;
            c->p++;
            continue;
        }
        c->p++;
        char e = *c->p++;
        unsigned cp;
        switch (e) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u':
            if (!jhex4(c, &cp) || cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
                goto fail;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                unsigned lo;
                if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u')
                    goto fail;
                c->p += 2;
                if (!jhex4(c, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    goto fail;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            n += put_utf8(buf + n, cp);
            break;
        default: goto fail;
        }
    }
    c->p++;
    buf[n] = '\0';
    *out = buf;
    return true;
fail:
    free(buf);
    return false;
}

static bool jdigits(jcur *c)
{
    const char *d = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > d;
}

/* true, false or a JSON number, kept as its literal text. */
static bool jliteral(jcur *c, char **out)
{
    const char *start = c->p;
    if (c->end - c->p >= 4 && memcmp(c->p, "true", 4) == 0) {
        c->p += 4;
    } else if (c->end - c->p >= 5 && memcmp(c->p, "false", 5) == 0) {
        c->p += 5;
    } else {
        if (c->p < c->end && *c->p == '-')
            c->p++;
        if (!jdigits(c))
            return false;
        if (c->p < c->end && *c->p == '.') {
            c->p++;
            if (!jdigits(c))
                return false;
        }
        if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
            c->p++;
            if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
                c->p++;
            if (!jdigits(c))
                return false;
        }
    }
    size_t n = (size_t)(c->p - start);
    if (n > 64)
        return false;
    *out = strndup(start, n);
    return *out != NULL;
}

static void jobj_free(sync_jobj *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->fields[i].key);
        free(o->fields[i].value);
    }
    free(o->fields);
    o->fields = NULL;
    o->n = 0;
}

/* Skips one JSON value of any shape, checking its syntax. Objects and
 * arrays nest at most JNEST_MAX deep, so the recursion is bounded. */
static bool jskip(jcur *c, unsigned depth)
{
    char *tmp = NULL;
    if (c->p >= c->end)
        return false;
    if (*c->p == '"' || (*c->p != '{' && *c->p != '[' && *c->p != 'n')) {
        bool ok = *c->p == '"' ? jstring(c, &tmp) : jliteral(c, &tmp);
        free(tmp);
        return ok;
    }
    if (*c->p == 'n') {
        if (c->end - c->p < 4 || memcmp(c->p, "null", 4) != 0)
            return false;
        c->p += 4;
        return true;
    }
    if (depth >= JNEST_MAX)
        return false;
    char close = *c->p == '{' ? '}' : ']';
    c->p++;
    jws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return true;
    }
    for (;;) {
        jws(c);
        if (close == '}') {
            if (!jstring(c, &tmp))
                return false;
            free(tmp);
            tmp = NULL;
            jws(c);
            if (c->p >= c->end || *c->p != ':')
                return false;
            c->p++;
            jws(c);
        }
        if (!jskip(c, depth + 1))
            return false;
        jws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return true;
        }
        return false;
    }
}

/*
 * One object of a state file. Fields with a string, number, boolean or
 * null value are kept (the first JFIELDS_MAX of them); an object or array
 * value is skipped. Both can only be fields a newer version added, which
 * this one must read past rather than refuse its state directory.
 */
static bool jobject(jcur *c, sync_jobj *o)
{
    char *key = NULL, *value = NULL;
    o->fields = NULL;
    o->n = 0;
    if (c->p >= c->end || *c->p != '{')
        return false;
    c->p++;
    jws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return true;
    }
    size_t cap = 0;
    for (;;) {
        bool keep = true;
        jws(c);
        if (!jstring(c, &key))
            goto fail;
        jws(c);
        if (c->p >= c->end || *c->p != ':')
            goto fail;
        c->p++;
        jws(c);
        if (c->p >= c->end)
            goto fail;
        if (*c->p == '"') {
            if (!jstring(c, &value))
                goto fail;
        } else if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
            c->p += 4;
        } else if (*c->p == '{' || *c->p == '[') {
            if (!jskip(c, 0))
                goto fail;
            keep = false;
        } else if (!jliteral(c, &value)) {
            goto fail;
        }
        if (keep && o->n < JFIELDS_MAX && o->n == cap) {
            /* Grown as fields come: most objects have a few. */
            size_t ncap = cap ? cap * 2 : 8;
            if (ncap > JFIELDS_MAX)
                ncap = JFIELDS_MAX;
            sync_jfield *grown = realloc(o->fields, ncap * sizeof *grown);
            if (!grown)
                goto fail;
            o->fields = grown;
            cap = ncap;
        }
        if (keep && o->n < JFIELDS_MAX) {
            o->fields[o->n].key = key;
            o->fields[o->n].value = value;
            o->n++;
        } else {
            free(key);
            free(value);
        }
        key = value = NULL;
        jws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return true;
        }
        goto fail;
    }
fail:
    free(key);
    free(value);
    jobj_free(o);
    return false;
}

bool sync_jobjs_parse(const char *buf, size_t len, sync_jobj **out, size_t *n)
{
    return sync_jobjs_parse_tail(buf, len, 0, out, n);
}

bool sync_jobjs_parse_tail(const char *buf, size_t len, size_t keep,
                           sync_jobj **out, size_t *n)
{
    jcur c = {buf, buf + len};
    sync_jobj *objs = NULL;
    size_t count = 0, cap = 0;
    jws(&c);
    if (c.p >= c.end || *c.p != '[')
        return false;
    c.p++;
    jws(&c);
    if (c.p < c.end && *c.p == ']') {
        c.p++;
        goto end;
    }
    for (size_t seen = 0;; seen++) {
        if (seen == JOBJS_MAX)
            goto fail;
        if (keep && count == keep) {
            /* Only the last `keep` objects are wanted: drop the oldest. */
            jobj_free(&objs[0]);
            memmove(objs, objs + 1, (count - 1) * sizeof *objs);
            count--;
        }
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            sync_jobj *grown = realloc(objs, ncap * sizeof *objs);
            if (!grown)
                goto fail;
            objs = grown;
            cap = ncap;
        }
        jws(&c);
        if (!jobject(&c, &objs[count]))
            goto fail;
        count++;
        jws(&c);
        if (c.p < c.end && *c.p == ',') {
            c.p++;
            continue;
        }
        if (c.p < c.end && *c.p == ']') {
            c.p++;
            break;
        }
        goto fail;
    }
end:
    jws(&c);
    if (c.p != c.end)
        goto fail;
    *out = objs;
    *n = count;
    return true;
fail:
    sync_jobjs_free(objs, count);
    return false;
}

void sync_jobjs_free(sync_jobj *objs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        jobj_free(&objs[i]);
    free(objs);
}

const char *sync_jobj_get(const sync_jobj *o, const char *key)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->fields[i].key, key) == 0)
            return o->fields[i].value;
    return NULL;
}
