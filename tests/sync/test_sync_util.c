/*
 * Unit tests of the sync shell's pure helpers (shell/sync_util.c):
 * durations, weekly schedules (against a brute-force reference), the
 * Retry-After and Link header parsers, loopback detection, the backoff
 * bounds, and the JSON writer/reader round trip (seeded; the seed is
 * printed on failure).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sync_util.h"

static uint64_t seed;
static uint64_t rng_state;

/* splitmix64: small, seeded, good enough for test inputs. */
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void seed_rng(void)
{
    const char *s = getenv("HC_TEST_SEED");
    seed = s ? strtoull(s, NULL, 10) : 20240506u;
    rng_state = seed;
}

#define FAIL_SEED(...)                                                       \
    do {                                                                     \
        print_error("seed %llu (HC_TEST_SEED): ", (unsigned long long)seed); \
        print_error(__VA_ARGS__);                                            \
        fail();                                                              \
    } while (0)

static void test_duration(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        uint64_t ms;
    } ok[] = {
        {"0", 0},           {"90", 90000},
        {"90s", 90000},     {"250ms", 250},
        {"5m", 300000},     {"1h", 3600000},
        {"2d", 172800000},  {"1h30m", 5400000},
        {"1m1s1ms", 61001}, {"400d", 34560000000ull},
    };
    static const char *const bad[] = {
        "",     "s",    "1x",    "-1s", "1 s",
        "1.5s", "401d", "1h 2m", "ms",  "9999999999999"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t ms = 12345;
        assert_true(sync_duration_parse(ok[i].in, &ms));
        assert_int_equal(ms, ok[i].ms);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ms;
        if (sync_duration_parse(bad[i], &ms))
            fail_msg("accepted duration '%s'", bad[i]);
    }
}

/* The reference: step minute by minute from `after` until the schedule
 * matches (UTC, so no DST). */
static time_t weekly_reference(const sync_weekly *w, time_t after)
{
    time_t t = after - after % 60 + 60;
    for (int i = 0; i < 8 * 1440; i++, t += 60) {
        struct tm tm;
        gmtime_r(&t, &tm);
        if (tm.tm_wday == w->wday && tm.tm_hour == w->hour &&
            tm.tm_min == w->minute)
            return t;
    }
    return (time_t)-1;
}

static void test_weekly(void **state)
{
    (void)state;
    sync_weekly w;
    assert_true(sync_weekly_parse("Mon 03:30", &w));
    assert_int_equal(w.wday, 1);
    assert_int_equal(w.hour, 3);
    assert_int_equal(w.minute, 30);
    assert_true(sync_weekly_parse("sunday 00:00", &w));
    assert_int_equal(w.wday, 0);
    assert_true(sync_weekly_parse("  SAT\t23:59 ", &w));
    assert_int_equal(w.wday, 6);
    static const char *const bad[] = {"Mon",        "Mon 3:30", "Mon 24:00",
                                      "Mon 03:60",  "Mo 03:30", "Mon03:30",
                                      "Mon 03:30x", "03:30",    ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sync_weekly_parse(bad[i], &w))
            fail_msg("accepted schedule '%s'", bad[i]);

    setenv("TZ", "UTC", 1);
    tzset();
    /* 2024-05-06 is a Monday. */
    sync_weekly mon = {.wday = 1, .hour = 3, .minute = 30};
    time_t slot = 1714966200; /* 2024-05-06T03:30:00Z */
    assert_int_equal(sync_weekly_next(&mon, slot - 1), slot);
    assert_int_equal(sync_weekly_next(&mon, slot), slot + 7 * 86400);
    for (int i = 0; i < 300; i++) {
        sync_weekly r = {.wday = (int)(rnd() % 7),
                         .hour = (int)(rnd() % 24),
                         .minute = (int)(rnd() % 60)};
        time_t after = (time_t)(1600000000 + rnd() % 400000000);
        time_t got = sync_weekly_next(&r, after);
        time_t want = weekly_reference(&r, after);
        if (got != want)
            FAIL_SEED("weekly %d %02d:%02d after %lld: got %lld want %lld\n",
                      r.wday, r.hour, r.minute, (long long)after,
                      (long long)got, (long long)want);
    }
}

/* Sets the local time zone for the tests that follow (TZ, then tzset). */
static void use_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

/* The UTC time of a local wall-clock reading in the current TZ with the
 * given UTC offset in minutes (which tells two readings of a repeated
 * hour apart). */
static time_t utc_of(int y, int mon, int d, int h, int min, int offset_min)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mon - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = min};
    return timegm(&tm) - (time_t)offset_min * 60;
}

/* Walks the slots of w for about a year from `from` and checks that each
 * falls on its own local date, a week (give or take a DST hour) after the
 * one before: a slot inside a repeated hour must not run twice, and one
 * inside a skipped hour must run once. */
static void check_one_slot_per_week(const sync_weekly *w, time_t from,
                                    const char *tz)
{
    time_t t = sync_weekly_next(w, from);
    for (int i = 0; i < 60; i++) {
        time_t n = sync_weekly_next(w, t);
        struct tm a, b;
        localtime_r(&t, &a);
        localtime_r(&n, &b);
        if (n - t < 7 * 86400 - 3600 || n - t > 7 * 86400 + 3600 ||
            b.tm_wday != w->wday)
            fail_msg("%s %d %02d:%02d: slot %lld then %lld (%lld s apart)", tz,
                     w->wday, w->hour, w->minute, (long long)t, (long long)n,
                     (long long)(n - t));
        if (a.tm_year == b.tm_year && a.tm_yday == b.tm_yday)
            fail_msg("%s: two slots on one date: %lld and %lld", tz,
                     (long long)t, (long long)n);
        t = n;
    }
}

static void test_weekly_dst(void **state)
{
    (void)state;
    /* Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET, so 02:30
     * comes twice (00:30Z and 01:30Z). The slot is the first; after it,
     * the next is a week on, not the second 02:30 an hour later. */
    use_tz("Europe/Berlin");
    sync_weekly sun0230 = {.wday = 0, .hour = 2, .minute = 30};
    time_t first = utc_of(2026, 10, 25, 2, 30, 120);
    time_t week_on = utc_of(2026, 11, 1, 2, 30, 60);
    assert_int_equal(sync_weekly_next(&sun0230, first - 3600), first);
    assert_int_equal(sync_weekly_next(&sun0230, first), week_on);
    assert_int_equal(
        sync_weekly_next(&sun0230, utc_of(2026, 10, 25, 2, 40, 120)), week_on);
    assert_int_equal(
        sync_weekly_next(&sun0230, utc_of(2026, 10, 25, 2, 10, 60)), week_on);
    assert_int_equal(sync_weekly_prev(&sun0230, first + 3600), first);
    /* 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist
     * and the slot is the shifted time, 03:30 CEST, once. */
    time_t shifted = utc_of(2026, 3, 29, 3, 30, 120);
    assert_int_equal(sync_weekly_next(&sun0230, utc_of(2026, 3, 29, 0, 0, 60)),
                     shifted);
    assert_int_equal(sync_weekly_next(&sun0230, shifted),
                     utc_of(2026, 4, 5, 2, 30, 120));
    check_one_slot_per_week(&sun0230, utc_of(2026, 1, 1, 0, 0, 60),
                            "Europe/Berlin");

    /* Sydney, 2026-04-05: 03:00 AEDT goes back to 02:00 AEST. */
    use_tz("Australia/Sydney");
    first = utc_of(2026, 4, 5, 2, 15, 660);
    assert_int_equal(sync_weekly_next(&(sync_weekly){0, 2, 15}, first - 60),
                     first);
    assert_int_equal(sync_weekly_next(&(sync_weekly){0, 2, 15}, first),
                     utc_of(2026, 4, 12, 2, 15, 600));
    /* 2026-10-04: 02:00 AEST jumps to 03:00 AEDT. */
    assert_int_equal(sync_weekly_next(&(sync_weekly){0, 2, 15},
                                      utc_of(2026, 10, 4, 1, 0, 600)),
                     utc_of(2026, 10, 4, 3, 15, 660));
    check_one_slot_per_week(&(sync_weekly){0, 2, 15},
                            utc_of(2026, 1, 1, 0, 0, 660), "Australia/Sydney");

    /* New York, 2026-11-01: 02:00 EDT goes back to 01:00 EST. */
    use_tz("America/New_York");
    sync_weekly sun0130 = {.wday = 0, .hour = 1, .minute = 30};
    first = utc_of(2026, 11, 1, 1, 30, -240);
    assert_int_equal(sync_weekly_next(&sun0130, first - 60), first);
    assert_int_equal(sync_weekly_next(&sun0130, first),
                     utc_of(2026, 11, 8, 1, 30, -300));
    /* 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 runs at 03:30. */
    assert_int_equal(sync_weekly_next(&(sync_weekly){0, 2, 30},
                                      utc_of(2026, 3, 8, 0, 0, -300)),
                     utc_of(2026, 3, 8, 3, 30, -240));
    for (int h = 0; h < 4; h++)
        for (int m = 0; m < 60; m += 15) {
            check_one_slot_per_week(&(sync_weekly){0, h, m},
                                    utc_of(2026, 1, 1, 0, 0, -300),
                                    "America/New_York");
            use_tz("Europe/Berlin");
            check_one_slot_per_week(&(sync_weekly){0, h, m},
                                    utc_of(2026, 1, 1, 0, 0, 60),
                                    "Europe/Berlin");
            use_tz("Australia/Sydney");
            check_one_slot_per_week(&(sync_weekly){0, h, m},
                                    utc_of(2026, 1, 1, 0, 0, 660),
                                    "Australia/Sydney");
            use_tz("America/New_York");
        }
    use_tz("UTC");
}

static void test_schedule_reload(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    sync_weekly mon = {.wday = 1, .hour = 3, .minute = 30};
    sync_weekly tue = {.wday = 2, .hour = 3, .minute = 30};
    const uint64_t hour = 3600000;
    time_t slot = 1714966200; /* Monday 2024-05-06T03:30:00Z */
    /* Planned 03:55 (25 min of jitter), before the slot. */
    time_t planned = sync_schedule_next(&mon, hour, slot - 60, 1500000);
    assert_int_equal(planned, slot + 1500);
    /* A reload at 03:45, past the slot but before the planned run, with
     * the schedule unchanged: the run stays at 03:55. Planning afresh
     * from 03:45 would give next Monday. */
    time_t week = 7 * 86400;
    for (int i = 0; i < 100; i++) {
        uint64_t r = rnd();
        assert_int_equal(sync_schedule_reload(&mon, hour, &mon, hour, planned,
                                              slot + 900, (r & 1) != 0,
                                              slot - (time_t)(r % week), r),
                         planned);
    }
    /* A changed schedule plans as a start does, on the history. Last
     * week's run was the newest: this week's run under a new jitter is
     * still due (at once, its new delay having passed); planning from
     * now alone would put it off to next Monday. */
    time_t last_week = slot - week + 600;
    assert_int_equal(sync_schedule_reload(&mon, hour, &mon, 2 * hour, planned,
                                          slot + 900, true, last_week, 0),
                     slot + 900);
    assert_int_equal(sync_schedule_reload(&mon, hour, &mon, 2 * hour, planned,
                                          slot + 900, false, 0, 600000),
                     slot + 900);
    assert_int_equal(sync_schedule_reload(&mon, hour, &mon, 2 * hour, planned,
                                          slot + 900, false, 0, 3600000),
                     slot + 3600);
    /* A run since the slot: next week's. */
    assert_int_equal(sync_schedule_reload(&mon, hour, &mon, 2 * hour, planned,
                                          slot + 900, true, slot + 60, 0),
                     slot + week);
    /* Tuesday instead: last Tuesday's slot had no run after it (last
     * Monday's came before), so it is made up now; with a run since
     * (Saturday's), the next Tuesday. */
    assert_int_equal(sync_schedule_reload(&mon, hour, &tue, hour, planned,
                                          slot + 900, true, last_week, 600000),
                     slot + 900 + 600);
    assert_int_equal(sync_schedule_reload(&mon, hour, &tue, hour, planned,
                                          slot + 900, true, slot - 2 * 86400,
                                          600000),
                     slot + 86400 + 600);
    /* No jitter: the slot itself. */
    assert_int_equal(sync_schedule_next(&mon, 0, slot - 1, rnd()), slot);
}

static void test_schedule_start(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    sync_weekly mon = {.wday = 1, .hour = 3, .minute = 30};
    const uint64_t hour = 3600000;
    time_t slot = 1714966200; /* Monday 2024-05-06T03:30:00Z */
    time_t week = 7 * 86400;
    assert_int_equal(sync_weekly_prev(&mon, slot), slot);
    assert_int_equal(sync_weekly_prev(&mon, slot + 1), slot);
    assert_int_equal(sync_weekly_prev(&mon, slot - 1), slot - week);
    /* Started at 03:45 with no run since the slot: this week's run, at
     * the slot plus its delay (03:55), or at once when that has passed. */
    assert_int_equal(
        sync_schedule_start(&mon, hour, slot + 900, false, 0, 1500000),
        slot + 1500);
    assert_int_equal(sync_schedule_start(&mon, hour, slot + 900, true,
                                         slot - week + 600, 1500000),
                     slot + 1500);
    assert_int_equal(
        sync_schedule_start(&mon, hour, slot + 900, false, 0, 300000),
        slot + 900);
    for (int i = 0; i < 100; i++) {
        time_t now = slot + (time_t)(rnd() % 3600);
        time_t t = sync_schedule_start(&mon, hour, now, false, 0, rnd());
        if (t < now || t >= slot + 3600)
            FAIL_SEED("start at %lld planned %lld, outside [now, slot + 1h)",
                      (long long)now, (long long)t);
    }
    /* A run started since the slot: next week's. */
    time_t t =
        sync_schedule_start(&mon, hour, slot + 900, true, slot + 100, 1500000);
    assert_int_equal(t, slot + week + 1500);
    /* Past the jitter window without a history, or before the slot: the
     * next slot. */
    assert_int_equal(
        sync_schedule_start(&mon, hour, slot + 3601, false, 0, 1500000),
        slot + week + 1500);
    /* Past the window with a history whose newest run is older than the
     * slot (the machine was down from before 03:30 to 04:31): the week's
     * run is made up once, at now plus a delay within the jitter. */
    assert_int_equal(sync_schedule_start(&mon, hour, slot + 3660, true,
                                         slot - week + 600, 1500000),
                     slot + 3660 + 1500);
    assert_int_equal(
        sync_schedule_start(&mon, hour, slot + 3660, true, slot - 3 * week, 0),
        slot + 3660);
    for (int i = 0; i < 100; i++) {
        time_t now = slot + 3601 + (time_t)(rnd() % (week - 3601));
        time_t p = sync_schedule_start(&mon, hour, now, true,
                                       slot - (time_t)(rnd() % week), rnd());
        if (p < now || p >= now + 3600)
            FAIL_SEED("missed run at %lld planned %lld, not in [now, now + "
                      "1h)",
                      (long long)now, (long long)p);
    }
    /* ... but not after a run since the slot. */
    assert_int_equal(
        sync_schedule_start(&mon, hour, slot + 3660, true, slot + 10, 1500000),
        slot + week + 1500);
    assert_int_equal(
        sync_schedule_start(&mon, hour, slot - 60, false, 0, 1500000),
        slot + 1500);
    /* No jitter: only a start at the slot itself runs at once. */
    assert_int_equal(sync_schedule_start(&mon, 0, slot, false, 0, rnd()), slot);
    assert_int_equal(sync_schedule_start(&mon, 0, slot + 1, false, 0, rnd()),
                     slot + week);
}

static void test_schedule_stale(void **state)
{
    (void)state;
    const uint64_t hour = 3600000;
    const sync_weekly mon = {.wday = 1, .hour = 3, .minute = 30};
    use_tz("UTC");
    time_t slot = 1714966200, week = 7 * 86400; /* Mon 2024-05-06 03:30 */
    time_t planned = slot + week + 1500;        /* after this week's run */
    assert_false(sync_schedule_is_stale(&mon, planned, slot + 900, hour));
    assert_false(sync_schedule_is_stale(&mon, planned, slot + 1, hour));
    assert_false(sync_schedule_is_stale(&mon, planned, planned + 10, hour));
    /* The clock set back a month, or to before the slot of the run that
     * planned next week's: no plan made then lies so far ahead. */
    assert_true(sync_schedule_is_stale(&mon, planned, slot - 30 * 86400, hour));
    assert_true(sync_schedule_is_stale(&mon, planned, slot - 1, hour));
    assert_true(sync_schedule_is_stale(&mon, slot + week, slot - 1, 0));
    assert_false(sync_schedule_is_stale(&mon, slot + week, slot, 0));
    /* The week that ends summer time is 7 days and an hour: a plan at
     * its end, up to the jitter after the slot, is not stale at its
     * start (Sun 03:30 in Berlin: 2026-10-18 01:30Z, then 2026-10-25
     * 02:30Z). */
    const sync_weekly sun = {.wday = 0, .hour = 3, .minute = 30};
    use_tz("Europe/Berlin");
    time_t after_run = 1792287300, next = 1792895400;
    assert_int_equal(sync_weekly_next(&sun, after_run), next);
    assert_false(sync_schedule_is_stale(&sun, next + 3599, after_run, hour));
    assert_true(sync_schedule_is_stale(&sun, next + 3601, after_run, hour));
    use_tz("UTC");
}

static void test_retry_after(void **state)
{
    (void)state;
    uint64_t ms;
    time_t now = 1445412470; /* 2015-10-21T07:27:50Z */
    assert_true(sync_retry_after_parse("120", now, &ms));
    assert_int_equal(ms, 120000);
    assert_true(sync_retry_after_parse(" 0 ", now, &ms));
    assert_int_equal(ms, 0);
    assert_true(
        sync_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", now, &ms));
    assert_int_equal(ms, 10000);
    assert_true(
        sync_retry_after_parse("Wednesday, 21-Oct-15 07:28:00 GMT", now, &ms));
    assert_int_equal(ms, 10000);
    assert_true(sync_retry_after_parse("Wed Oct 21 07:28:00 2015", now, &ms));
    assert_int_equal(ms, 10000);
    assert_true(
        sync_retry_after_parse("Wed, 21 Oct 2015 07:00:00 GMT", now, &ms));
    assert_int_equal(ms, 0); /* in the past */
    assert_true(sync_retry_after_parse("99999999", now, &ms));
    assert_int_equal(ms, 86400000); /* capped at a day */
    /* Past 2^64 seconds: still a number of seconds, and still capped. */
    assert_true(sync_retry_after_parse("99999999999999999999999", now, &ms));
    assert_int_equal(ms, 86400000);
    static const char *const bad[] = {"", "soon", "-5", "1.5",
                                      "Wed, 21 Oct 2015 07:28:00 PST"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sync_retry_after_parse(bad[i], now, &ms))
            fail_msg("accepted Retry-After '%s'", bad[i]);
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(sync_backoff_ms(0, 1000, 60000, 0), 0);
    assert_int_equal(sync_backoff_ms(0, 1000, 60000, 1000), 1000);
    assert_int_equal(sync_backoff_ms(0, 1000, 60000, 1001), 0);
    assert_int_equal(sync_backoff_ms(3, 1000, 60000, 8000), 8000);
    assert_int_equal(sync_backoff_ms(10, 1000, 60000, 60000), 60000);
    for (int i = 0; i < 10000; i++) {
        unsigned attempt = (unsigned)(rnd() % 80);
        uint64_t base = 1 + rnd() % 5000, cap = 1 + rnd() % 600000;
        uint64_t ceiling = cap;
        if (attempt < 40 && (base << attempt) < cap)
            ceiling = base << attempt;
        uint64_t d = sync_backoff_ms(attempt, base, cap, rnd());
        if (d > ceiling)
            FAIL_SEED("backoff(%u, %llu, %llu) = %llu > %llu\n", attempt,
                      (unsigned long long)base, (unsigned long long)cap,
                      (unsigned long long)d, (unsigned long long)ceiling);
    }
}

/* want: the next URI, NULL for "no next link" (a last page), BAD for a
 * header that cannot be read. */
static const char BAD[] = "(malformed)";

static void check_link(const char *header, const char *want)
{
    char out[256];
    sync_link got = sync_link_next(header, strlen(header), out, sizeof out);
    sync_link expect = !want         ? SYNC_LINK_NONE
                       : want == BAD ? SYNC_LINK_BAD
                                     : SYNC_LINK_NEXT;
    if (got != expect)
        fail_msg("'%s': result %d, expected %d", header, (int)got, (int)expect);
    if (expect == SYNC_LINK_NEXT)
        assert_string_equal(out, want);
}

static void test_link(void **state)
{
    (void)state;
    check_link("<https://api.github.com/x?page=2>; rel=\"next\", "
               "<https://api.github.com/x?page=9>; rel=\"last\"",
               "https://api.github.com/x?page=2");
    check_link("<https://h/a?page=9>; rel=\"last\", <https://h/a?page=3>; "
               "rel=\"next\"",
               "https://h/a?page=3");
    check_link("<https://h/a?p=3>;rel=next", "https://h/a?p=3");
    check_link("<https://h/a?p=3> ; REL = \"prev NEXT\"", "https://h/a?p=3");
    check_link("<https://h/a,b>; title=\"a, b; c\"; rel=next", "https://h/a,b");
    check_link("<https://h/1>; rel=\"first\", <https://h/2>; rel=\"prev\"",
               NULL);
    check_link("<https://h/1>; rel=last; rel=next", NULL); /* first rel */
    check_link("", NULL);
    check_link(" , ", NULL);
    /* Unreadable headers are errors, never "the last page": the pages
     * after this one would be dropped without a word. */
    check_link("https://h/1; rel=next", BAD);
    check_link("<https://h/1; rel=next", BAD);
    check_link("<https://h/1>; rel=\"next", BAD);
    check_link("<https://h/1>, garbage", BAD);
    check_link("<https://h/with space>; rel=next", BAD);
    /* A relation list longer than the parser reads may hold "next". */
    char longrel[600];
    int w = snprintf(longrel, sizeof longrel, "<https://h/2>; rel=\"");
    while (w < 400)
        w += snprintf(longrel + w, sizeof longrel - (size_t)w, "first ");
    snprintf(longrel + w, sizeof longrel - (size_t)w, "next\"");
    check_link(longrel, BAD);
    check_link("<https://h/x>; rel=\"prev\"; title=\"oops, "
               "<https://h/x?page=2>; rel=\"next\"",
               BAD);
    check_link("<https://h/1>; rel=\"prev\", <>; rel=next", BAD);
    char small[8];
    const char *h = "<https://h/long>; rel=next";
    assert_int_equal(sync_link_next(h, strlen(h), small, sizeof small),
                     SYNC_LINK_BAD);
    /* Length-bounded: the bytes after len are not read. */
    const char *cut = "<https://h/1>; rel=nextXYZ";
    char out[64];
    assert_int_equal(sync_link_next(cut, strlen(cut) - 3, out, sizeof out),
                     SYNC_LINK_NEXT);
    assert_string_equal(out, "https://h/1");
}

/* One instance however a host is spelled in ASCII case or trailing dots;
 * any other byte counts. */
static void test_host_same(void **state)
{
    (void)state;
    assert_true(sync_host_same("ghe.example", "GHE.Example"));
    assert_true(sync_host_same("ghe.example.", "ghe.example"));
    assert_true(sync_host_same("ghe.example", "GHE.EXAMPLE.."));
    assert_false(sync_host_same("ghe.example", "ghe.example2"));
    assert_false(sync_host_same("ghe-1.example", "ghe_1.example"));
    assert_false(sync_host_same("ghe.example", "ghe..example"));
    assert_false(sync_host_same("a", ""));
}

static void test_loopback(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "localhost", "LOCALHOST", "127.0.0.1",      "127.1.2.3",
        "::1",       "[::1]",     "0:0:0:0:0:0:0:1"};
    static const char *const no[] = {
        "128.0.0.1",        "10.0.0.1", "::2",  "localhost.example",
        "127.0.0.1.nip.io", "",         "[::1", "0.0.0.0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!sync_host_is_loopback(yes[i]))
            fail_msg("'%s' should be loopback", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (sync_host_is_loopback(no[i]))
            fail_msg("'%s' should not be loopback", no[i]);
}

/* A random string of valid UTF-8 with quotes, backslashes and controls. */
static void random_string(char *out, size_t cap)
{
    static const char *const pieces[] = {
        "a",    "Z",    "\"", "\\",       "\n",           "\t",
        "\x01", "\x7f", "/",  "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
        " ",    "}",    "[",  ","};
    size_t n = 0, len = (size_t)(rnd() % 20);
    for (size_t i = 0; i < len; i++) {
        const char *p = pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
        if (n + strlen(p) + 1 > cap)
            break;
        memcpy(out + n, p, strlen(p));
        n += strlen(p);
    }
    out[n] = '\0';
}

static void test_json_round_trip(void **state)
{
    (void)state;
    enum { OBJS = 20, FIELDS = 5 };
    for (int round = 0; round < 50; round++) {
        static char keys[OBJS][FIELDS][64], vals[OBJS][FIELDS][64];
        static bool null_val[OBJS][FIELDS];
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        size_t nobj = (size_t)(rnd() % OBJS);
        fputs("[", f);
        for (size_t i = 0; i < nobj; i++) {
            fputs(i ? ",\n{" : "{", f);
            for (int j = 0; j < FIELDS; j++) {
                snprintf(keys[i][j], sizeof keys[i][j], "k%d", j);
                random_string(vals[i][j], sizeof vals[i][j]);
                null_val[i][j] = rnd() % 5 == 0;
                if (j)
                    fputc(',', f);
                sync_json_string(f, keys[i][j]);
                fputc(':', f);
                sync_json_string_or_null(f, null_val[i][j] ? NULL : vals[i][j]);
            }
            fputs("}", f);
        }
        fputs("]\n", f);
        fclose(f);
        sync_jobj *objs = NULL;
        size_t n = 0;
        if (!sync_jobjs_parse(buf, len, &objs, &n))
            FAIL_SEED("round %d: did not parse: %s\n", round, buf);
        assert_int_equal(n, nobj);
        for (size_t i = 0; i < nobj; i++)
            for (int j = 0; j < FIELDS; j++) {
                const char *v = sync_jobj_get(&objs[i], keys[i][j]);
                if (null_val[i][j])
                    assert_null(v);
                else
                    assert_string_equal(v, vals[i][j]);
            }
        sync_jobjs_free(objs, n);
        free(buf);
    }
}

static void test_json_reader_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "{}",
        "[",
        "[{]",
        "[{\"a\"}]",
        "[{\"a\":}]",
        "[{\"a\":1,}]",
        "[{\"a\":[1,]}]",
        "[{\"a\":{\"b\"}}]",
        "[{\"a\":{\"b\":[}}]",
        "[{\"a\":[nul]}]",
        "[{\"a\":\"\\u0000\"}]",
        "[{\"a\":\"\\ud800\"}]",
        "[{\"a\":\"x\ny\"}]",
        "[{\"a\":tru}]",
        "[{\"a\":01x}]",
        "[] []",
        "[{\"a\":\"\\q\"}]",
        "[{\"a\":1.}]",
        "[{\"a\":-}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sync_jobj *objs = NULL;
        size_t n = 0;
        if (sync_jobjs_parse(bad[i], strlen(bad[i]), &objs, &n)) {
            sync_jobjs_free(objs, n);
            fail_msg("accepted '%s'", bad[i]);
        }
    }
    const char *ok = " [ {\"n\": -12.5e+3, \"t\": true, \"s\": \"\\u00e9\\"
                     "ud83d\\ude00\"} ] ";
    sync_jobj *objs = NULL;
    size_t n = 0;
    assert_true(sync_jobjs_parse(ok, strlen(ok), &objs, &n));
    assert_int_equal(n, 1);
    assert_string_equal(sync_jobj_get(&objs[0], "n"), "-12.5e+3");
    assert_string_equal(sync_jobj_get(&objs[0], "t"), "true");
    assert_string_equal(sync_jobj_get(&objs[0], "s"),
                        "\xc3\xa9\xf0\x9f\x98\x80");
    assert_null(sync_jobj_get(&objs[0], "missing"));
    sync_jobjs_free(objs, n);
}

/* A newer version's state file: unknown fields, with nested values too,
 * are read past; the known ones keep their values. */
static void test_json_reader_skips_unknown(void **state)
{
    (void)state;
    static const char text[] =
        "[{\"id\":7,\"future\":{\"a\":[1,{\"b\":null},\"x]}\"],"
        "\"c\":{}},\"started\":\"2024-05-06T03:30:00Z\","
        "\"tags\":[],\"more\":[[[\"deep\"]],true,-1.5e3],"
        "\"error\":null,\"new_flag\":false},\n"
        " {\"list\":[{\"id\":99}],\"id\":8}]";
    sync_jobj *objs = NULL;
    size_t n = 0;
    assert_true(sync_jobjs_parse(text, strlen(text), &objs, &n));
    assert_int_equal(n, 2);
    assert_string_equal(sync_jobj_get(&objs[0], "id"), "7");
    assert_string_equal(sync_jobj_get(&objs[0], "started"),
                        "2024-05-06T03:30:00Z");
    assert_string_equal(sync_jobj_get(&objs[0], "new_flag"), "false");
    assert_null(sync_jobj_get(&objs[0], "future"));
    assert_null(sync_jobj_get(&objs[0], "more"));
    /* The id inside the skipped list does not leak out. */
    assert_string_equal(sync_jobj_get(&objs[1], "id"), "8");
    sync_jobjs_free(objs, n);

    /* More fields than an object keeps: the known one at the end still
     * parses, and the file is not refused. */
    char big[8192];
    size_t len = 0;
    len += (size_t)snprintf(big + len, sizeof big - len, "[{");
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(big + len, sizeof big - len,
                                "\"f%d\":{\"v\":[%d]},\"g%d\":%d,", i, i, i, i);
    len += (size_t)snprintf(big + len, sizeof big - len, "\"id\":1}]");
    assert_true(sync_jobjs_parse(big, len, &objs, &n));
    assert_int_equal(n, 1);
    assert_string_equal(sync_jobj_get(&objs[0], "g0"), "0");
    sync_jobjs_free(objs, n);

    /* Nesting is bounded: 32 levels are read past, 200 are refused. */
    for (int depth = 32; depth <= 200; depth += 168) {
        len = (size_t)snprintf(big, sizeof big, "[{\"x\":");
        for (int i = 0; i < depth; i++)
            big[len++] = '[';
        for (int i = 0; i < depth; i++)
            big[len++] = ']';
        len += (size_t)snprintf(big + len, sizeof big - len, "}]");
        bool ok = sync_jobjs_parse(big, len, &objs, &n);
        if (ok)
            sync_jobjs_free(objs, n);
        if (ok != (depth == 32))
            fail_msg("nesting %d: %s", depth, ok ? "accepted" : "refused");
    }
}

/* "[{"a":0},{"a":1},...]" with n objects, malloc'ed; *len its length. */
static char *numbered_objects(size_t n, size_t *len)
{
    size_t cap = 32 + n * 24;
    char *buf = malloc(cap);
    size_t k = 0;
    assert_non_null(buf);
    buf[k++] = '[';
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s{\"a\":%zu}", i ? "," : "",
                              i);
    buf[k++] = ']';
    buf[k] = '\0';
    *len = k;
    return buf;
}

static void test_json_reader_bounds(void **state)
{
    (void)state;
    sync_jobj *objs = NULL;
    size_t n = 0, len;
    char text[4096];

    /* Fields: as many as there are, up to the 64 an object keeps. */
    assert_true(
        sync_jobjs_parse("[{\"a\":1,\"b\":\"x\",\"c\":null}]", 26, &objs, &n));
    assert_int_equal(n, 1);
    assert_int_equal(objs[0].n, 3);
    assert_string_equal(sync_jobj_get(&objs[0], "b"), "x");
    sync_jobjs_free(objs, n);
    len = (size_t)snprintf(text, sizeof text, "[{");
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s\"k%d\":%d",
                                i ? "," : "", i, i);
    len += (size_t)snprintf(text + len, sizeof text - len, "}]");
    assert_true(sync_jobjs_parse(text, len, &objs, &n));
    assert_int_equal(n, 1);
    assert_int_equal(objs[0].n, 64);
    assert_string_equal(sync_jobj_get(&objs[0], "k0"), "0");
    assert_string_equal(sync_jobj_get(&objs[0], "k63"), "63");
    assert_null(sync_jobj_get(&objs[0], "k64"));
    sync_jobjs_free(objs, n);

    /* The tail: only the last objects are kept, in order. */
    char *many = numbered_objects(1000, &len);
    assert_true(sync_jobjs_parse_tail(many, len, 20, &objs, &n));
    assert_int_equal(n, 20);
    assert_string_equal(sync_jobj_get(&objs[0], "a"), "980");
    assert_string_equal(sync_jobj_get(&objs[19], "a"), "999");
    sync_jobjs_free(objs, n);
    assert_true(sync_jobjs_parse_tail(many, len, 0, &objs, &n));
    assert_int_equal(n, 1000);
    sync_jobjs_free(objs, n);
    /* Fewer objects than wanted: all of them. */
    assert_true(sync_jobjs_parse_tail("[{\"a\":1},{}]", 12, 20, &objs, &n));
    assert_int_equal(n, 2);
    assert_int_equal(objs[1].n, 0);
    sync_jobjs_free(objs, n);
    /* The dropped objects are still checked: a broken file is refused. */
    many[5] = '?';
    assert_false(sync_jobjs_parse_tail(many, len, 20, &objs, &n));
    free(many);
    /* At most 100,000 objects are read, kept or not. */
    many = numbered_objects(100001, &len);
    assert_false(sync_jobjs_parse_tail(many, len, 20, &objs, &n));
    free(many);
    many = numbered_objects(100000, &len);
    assert_true(sync_jobjs_parse_tail(many, len, 20, &objs, &n));
    assert_int_equal(n, 20);
    assert_string_equal(sync_jobj_get(&objs[19], "a"), "99999");
    sync_jobjs_free(objs, n);
    free(many);
}

static void test_json_writer_repairs_utf8(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    sync_json_string(f, "a\xff"
                        "b\xc3"
                        "\xed\xa0\x80"
                        "\xc0\xaf");
    fclose(f);
    assert_string_equal(buf, "\"a\\ufffdb\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
                             "\\ufffd\"");
    free(buf);
}

static void test_proc_locks(void **state)
{
    (void)state;
    /* A daemon (PID 4298) holds the lock on inode 10969125, which stat()
     * shows on device 0:52 (a btrfs subvolume) while /proc/locks names
     * the file system's device, 0:45. */
    const char *held = "3: FLOCK  ADVISORY  WRITE 4298 00:2d:10969125 0 EOF\n";
    assert_true(sync_proc_locks_line_holds(held, 10969125, 0, 0x34, 4298));
    /* The same device: held whatever the PID (another PID namespace). */
    assert_true(sync_proc_locks_line_holds(held, 10969125, 0, 0x2d, 77));
    assert_true(sync_proc_locks_line_holds(
        "12: FLOCK  ADVISORY  WRITE 4298 fe:01:10969125 0 EOF", 10969125, 0xfe,
        1, 0));
    /* Another device and another PID: a stale daemon.json. */
    assert_false(sync_proc_locks_line_holds(held, 10969125, 0, 0x34, 4299));
    assert_false(sync_proc_locks_line_holds(held, 10969125, 0, 0x34, 0));
    /* Another inode, a POSIX lock, a waiter, garbage. */
    assert_false(sync_proc_locks_line_holds(held, 10969126, 0, 0x2d, 4298));
    assert_false(sync_proc_locks_line_holds(
        "1: POSIX  ADVISORY  WRITE 4298 00:2d:10969125 0 EOF", 10969125, 0,
        0x2d, 4298));
    assert_false(sync_proc_locks_line_holds(
        "3: -> FLOCK  ADVISORY  WRITE 4300 00:2d:10969125 0 EOF", 10969125, 0,
        0x2d, 4300));
    assert_false(sync_proc_locks_line_holds("", 10969125, 0, 0x2d, 4298));
    assert_false(
        sync_proc_locks_line_holds("3: FLOCK", 10969125, 0, 0x2d, 4298));
}

static void test_time(void **state)
{
    (void)state;
    char s[32];
    time_t t;
    sync_time_rfc3339(1714966200, s);
    assert_string_equal(s, "2024-05-06T03:30:00Z");
    assert_true(sync_time_parse_rfc3339(s, &t));
    assert_int_equal(t, 1714966200);
    assert_false(sync_time_parse_rfc3339("2024-05-06 03:30:00", &t));
    assert_false(sync_time_parse_rfc3339("2024-05-06T03:30:00Zjunk", &t));
}

int main(void)
{
    seed_rng();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_weekly),
        cmocka_unit_test(test_weekly_dst),
        cmocka_unit_test(test_schedule_reload),
        cmocka_unit_test(test_schedule_start),
        cmocka_unit_test(test_schedule_stale),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_link),
        cmocka_unit_test(test_host_same),
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_reader_rejects),
        cmocka_unit_test(test_json_reader_skips_unknown),
        cmocka_unit_test(test_json_reader_bounds),
        cmocka_unit_test(test_json_writer_repairs_utf8),
        cmocka_unit_test(test_proc_locks),
        cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
