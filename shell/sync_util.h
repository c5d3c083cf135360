/*
 * Small helpers shared by the sync shell (sync, daemon, status): the error
 * record every sync function fills, the cleanup macros, log lines with
 * RFC 3339 timestamps, and pure parsers (durations, weekly schedules,
 * Retry-After, Link headers, loopback hosts, a strict reader for the flat
 * JSON state files). Nothing here touches the network; the parsers are
 * unit-tested in tests/sync/test_sync_util.c.
 */
#ifndef SYNC_UTIL_H
#define SYNC_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/*
 * Every sync function returns a sysexits code (CLI_EX_*, 0 = success) and,
 * on failure, leaves a one-line message in a sync_err. Messages never hold
 * secrets: they name files and hosts, never token contents or URL queries.
 */
/* Room for a message: a path of PATH_MAX bytes, an engine diagnostic
 * (HC_DIAG_TEXT_MAX, which holds one) and the words around them, so that
 * no message cuts a path short. runs.json and sources.json keep errors of
 * the same size. */
#define SYNC_MSG_MAX 6144

typedef struct sync_err {
    char msg[SYNC_MSG_MAX];
} sync_err;

/* Formats err->msg (err may be NULL) and returns code. */
int sync_fail(sync_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* SYNC_TRY(expr): evaluate an exit-code expression; on failure store it in
 * the function's `rc` and jump to its single `done:` label. */
#define SYNC_TRY(expr)          \
    do {                        \
        int sync_try_ = (expr); \
        if (sync_try_ != 0) {   \
            rc = sync_try_;     \
            goto done;          \
        }                       \
    } while (0)

/*
 * Stop and wake-up flags set by the signal handlers of `sync` and `daemon`
 * (only ever written from handlers and read elsewhere; sig_atomic_t is the
 * type the C standard allows for that). A set sync_stop aborts transfers
 * through the libcurl progress callback and cuts retry sleeps short.
 */
extern volatile sig_atomic_t sync_stop;

/* Sleeps ms milliseconds in short slices; returns false when sync_stop was
 * set before or during the sleep. */
bool sync_sleep_ms(uint64_t ms);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t sync_now_ms(void);

/* Writes one log line "RFC3339 headcount[pid]: LEVEL: message" to stderr.
 * level is "info", "warning" or "error". */
void sync_log(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Formats t as RFC 3339 UTC ("2024-05-06T03:30:00Z"); out holds 32 bytes. */
void sync_time_rfc3339(time_t t, char out[32]);

/* Parses what sync_time_rfc3339 writes. Returns false on anything else. */
bool sync_time_parse_rfc3339(const char *s, time_t *out);

/*
 * Parses a duration: one or more NUMBER UNIT groups with unit ms, s, m, h
 * or d ("90s", "1h30m", "250ms"); a bare number means seconds. The total
 * must not exceed 400 days. Returns false when s is anything else.
 */
bool sync_duration_parse(const char *s, uint64_t *ms);

/*
 * Weekly schedule "DAY HH:MM" with DAY one of Mon..Sun (any case, or the
 * full English name). wday is 0 = Sunday .. 6 = Saturday as in struct tm.
 */
typedef struct sync_weekly {
    int wday;
    int hour;
    int minute;
} sync_weekly;

bool sync_weekly_parse(const char *s, sync_weekly *out);

/*
 * The first slot strictly after `after`: the schedule's local time on its
 * weekday. One slot per date: a time the clock shows twice (the hour
 * repeated when summer time ends) is its first occurrence, and a date
 * whose slot is at or before `after` has none later; a time the clock
 * skips (when summer time begins) is where mktime puts it, shifted by the
 * gap (02:30 becomes 03:30).
 */
time_t sync_weekly_next(const sync_weekly *w, time_t after);

/* The daemon's next planned run: the first slot of w after `after` plus a
 * delay of rnd % jitter_ms milliseconds (whole seconds). rnd is uniformly
 * random (sync_random_u64 at run time, fixed in tests). */
time_t sync_schedule_next(const sync_weekly *w, uint64_t jitter_ms,
                          time_t after, uint64_t rnd);

/* The latest local time at or before now that falls on the schedule. */
time_t sync_weekly_prev(const sync_weekly *w, time_t now);

/*
 * The daemon's planned run when it starts (or plans anew) at `now`, given
 * its history: ran false when no run is recorded, else last_ended is
 * the newest successful run's end, or 0 when none succeeded (of those not
 * after now; sync_runs_last_ended). With no successful run since the
 * latest slot (the latest schedule time at or before now):
 *  - inside that slot's jitter window, the slot plus rnd % jitter_ms
 *    (whole seconds), or now when that moment has passed: a restart just
 *    after the slot does not put the week's run off to the next;
 *  - past the window, with a history, now plus rnd % jitter_ms: the
 *    week's run was missed (downtime) and is made up once;
 *  - past the window without a history, nothing was missed.
 * Otherwise the first slot after now plus rnd % jitter_ms.
 */
time_t sync_schedule_start(const sync_weekly *w, uint64_t jitter_ms, time_t now,
                           bool ran, time_t last_ended, uint64_t rnd);

/*
 * The planned run after a config reload at `now`. When the schedule
 * (weekly and jitter) is unchanged, the run already planned is kept (its
 * random delay too). A changed schedule plans by the rule of a start,
 * sync_schedule_start, with the same history: a run of this week still
 * due under the new schedule stays this week's.
 */
time_t sync_schedule_reload(const sync_weekly *old_w, uint64_t old_jitter_ms,
                            const sync_weekly *new_w, uint64_t new_jitter_ms,
                            time_t planned, time_t now, bool ran,
                            time_t last_ended, uint64_t rnd);

/*
 * True when a run planned for `planned` lies further ahead of now than any
 * plan can (past the jitter after the first weekly time after now): the
 * wall clock was set back since it was planned, and the daemon plans anew.
 */
bool sync_schedule_is_stale(const sync_weekly *w, time_t planned, time_t now,
                            uint64_t jitter_ms);

/*
 * Retry-After value: delay-seconds or an HTTP-date (IMF-fixdate, RFC 850 or
 * asctime form), relative to now. A date in the past gives 0. Returns false
 * when the value is neither. The result is capped at one day.
 */
bool sync_retry_after_parse(const char *value, time_t now, uint64_t *delay_ms);

/*
 * Full-jitter exponential backoff: a uniformly random delay in
 * [0, min(cap_ms, base_ms * 2^attempt)]. rnd is a uniformly random 64-bit
 * value supplied by the caller (sync_random_u64 at run time, fixed in tests).
 */
uint64_t sync_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms,
                         uint64_t rnd);

/* A random 64-bit value from OpenSSL's CSPRNG; 0 if it ever fails. */
uint64_t sync_random_u64(void);

/* What sync_link_next found. */
typedef enum sync_link {
    SYNC_LINK_NONE, /* a well-formed header without a next link: last page */
    SYNC_LINK_NEXT, /* the next link's URI is in out */
    SYNC_LINK_BAD   /* malformed, or a next URI that does not fit */
} sync_link;

/*
 * Finds the target of the rel="next" link in an HTTP Link header value (RFC
 * 8288: comma-separated `<URI>; param=value` entries, rel possibly quoted
 * and holding several space-separated relation types, parameters in any
 * order and case) and copies it into out (NUL-terminated). A header it
 * cannot read is SYNC_LINK_BAD, never "no next page": taking it for the
 * last page would count a partial export without a word.
 */
sync_link sync_link_next(const char *value, size_t len, char *out, size_t cap);

/* True for "localhost", 127.0.0.0/8 and ::1 (bracketed or not). */
bool sync_host_is_loopback(const char *host);

/*
 * True when h can name a GHES instance: letters, digits, '.', '-' and '_',
 * 1 to 253 bytes, not starting with '.' or '-'. The one rule for
 * `[ghes "HOST"]` in a config and `--ghes HOST=PATH` on the command line;
 * a ':' in particular would make HOST:ID ambiguous in reports and queries.
 */
bool sync_host_is_valid(const char *h);

/* The length (1 to 4) of the well-formed UTF-8 sequence that starts at s
 * within its avail bytes, or 0 when the bytes there are not UTF-8 (an
 * overlong form, a surrogate, past U+10FFFF, or cut at avail). */
size_t sync_utf8_len(const unsigned char *s, size_t avail);

/* True when a and b name one GHES instance as the count keeps hosts: ASCII
 * case and trailing dots do not matter (DNS ignores both). */
bool sync_host_same(const char *a, const char *b);

/* Writes s as a JSON string literal; invalid UTF-8 becomes U+FFFD. */
void sync_json_string(FILE *f, const char *s);

/* Writes s, or the literal null when s is NULL. */
void sync_json_string_or_null(FILE *f, const char *s);

/*
 * The state files (runs.json, sources.json, outbox metadata) are JSON arrays
 * of flat objects whose values are strings, integers, booleans or null.
 * sync_jobjs_parse reads that shape into a list of objects; values keep
 * their decoded string form (numbers and booleans as their literal text,
 * null as a NULL value). So that a newer version's files stay readable, a
 * field whose value is an object or array (nested at most 32 deep) is
 * skipped, and fields past the 64th of an object are read and dropped;
 * anything that is not JSON of that shape is a failure.
 */
typedef struct sync_jfield {
    char *key;
    char *value; /* NULL for null */
} sync_jfield;

typedef struct sync_jobj {
    sync_jfield *fields;
    size_t n;
} sync_jobj;

/* Parses buf. On success *out (free with sync_jobjs_free) has *n objects. */
bool sync_jobjs_parse(const char *buf, size_t len, sync_jobj **out, size_t *n);

/* As sync_jobjs_parse, but keeps only the last `keep` objects (all when
 * keep is 0); the others are parsed, so the whole buffer is still
 * checked, and dropped as the parse goes. */
bool sync_jobjs_parse_tail(const char *buf, size_t len, size_t keep,
                           sync_jobj **out, size_t *n);
void sync_jobjs_free(sync_jobj *objs, size_t n);

/* The value of key in o: NULL when absent or null. */
const char *sync_jobj_get(const sync_jobj *o, const char *key);

/*
 * Whether one line of /proc/locks shows an flock lock held on the file
 * with inode ino: a FLOCK line (not a "->" waiter) with that inode, and
 * either the device dev_major:dev_minor or the holder's PID pid. The
 * device of a line is the file system's, which on btrfs subvolumes and
 * overlayfs differs from what stat() reports: there the PID (the one a
 * daemon published) stands in for it.
 */
bool sync_proc_locks_line_holds(const char *line, uint64_t ino,
                                unsigned dev_major, unsigned dev_minor,
                                long pid);

/* Copies src into dst (cap bytes), truncating; dst is always terminated
 * (cap > 0). */
void sync_strlcpy(char *dst, const char *src, size_t cap);

/* Parses a decimal uint64 (the whole string). */
bool sync_parse_u64(const char *s, uint64_t *out);

#endif /* SYNC_UTIL_H */
