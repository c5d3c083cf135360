/*
 * `headcount daemon`: runs a sync every week at `[schedule] weekly` (local
 * time) plus a random delay in [0, jitter), and at once on SIGUSR1. Every
 * plan follows one rule on runs.json (sync_schedule_start): at the start,
 * after a reload that changed the schedule, after a run that stands for
 * the week's, and after the clock went back; so a week's run missed by a
 * restart or downtime is made up, and one run per week is the rule. SIGHUP
 * reloads the config (a broken new config is logged and the old one kept;
 * the planned run stays unless the schedule changed);
 * SIGTERM or SIGINT aborts a transfer in flight through the libcurl
 * progress callback and ends the daemon with exit 0. Signal handlers only
 * set flags and write a byte to a self-pipe, which wakes the poll() that
 * the daemon sleeps in. The next planned run is published in
 * state/daemon.json for `status`. state/daemon.lock, held for the
 * daemon's life, keeps a second daemon off the same state directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sync.h"
#include "sync_secret.h"

/* Whether cfg's runs.json records a run, and the newest successful run's
 * end into *last (0 if none), ignoring times after now
 * (sync_runs_last_ended); a history that cannot be read counts as none. */
static bool last_ended(const sync_config *cfg, time_t *last)
{
    sync_state st;
    sync_err e;
    sync_run_rec *runs = NULL;
    size_t n = 0;
    bool ran = false;
    if (sync_state_open(cfg->state_dir, false, &st, &e) == 0) {
        if (sync_runs_load(&st, &runs, &n, &e) == 0)
            ran = sync_runs_last_ended(runs, n, time(NULL), last);
        free(runs);
        sync_state_close(&st);
    }
    return ran;
}

/* The planned run at `now` by the rule of a start (sync_schedule_start)
 * on runs.json; a successful run of this daemon that ended at `ended`
 * (when have_run) counts even if it could not be recorded. */
static time_t plan(const sync_config *cfg, time_t now, bool have_run,
                   time_t ended)
{
    time_t last = 0;
    bool ran = last_ended(cfg, &last);
    if (have_run && (!ran || ended > last))
        last = ended;
    return sync_schedule_start(&cfg->weekly, cfg->jitter_ms, now,
                               ran || have_run, last, sync_random_u64());
}

typedef struct daemon_info {
    time_t started;
    time_t next;
    unsigned failed;    /* this week's runs failed in a row... */
    time_t failed_slot; /* ...for the weekly time failed_slot */
} daemon_info;

/* A failed run is tried again after RETRY_FIRST seconds, then twice as
 * long after each further failure up to RETRY_MAX, and never later than
 * the next weekly run: the week's report is still owed, but a source that
 * is down must not be asked every minute. */
#define RETRY_FIRST ((time_t)15 * 60)
#define RETRY_MAX ((time_t)8 * 3600)

static time_t retry_delay(unsigned failed)
{
    time_t d = RETRY_FIRST;
    for (unsigned i = 1; i < failed && d < RETRY_MAX; i++)
        d *= 2;
    return d < RETRY_MAX ? d : RETRY_MAX;
}

/* How late past its planned time the daemon may notice a run before it
 * takes itself for having been stopped (suspend, SIGSTOP) or the clock
 * for having jumped forward: it wakes at least once a minute. */
#define LATE_AFTER ((time_t)120)

static int write_daemon_json(FILE *f, void *ud, sync_err *err)
{
    const daemon_info *d = ud;
    char started[32], next[32];
    (void)err;
    sync_time_rfc3339(d->started, started);
    sync_time_rfc3339(d->next, next);
    fprintf(f, "[\n{\"pid\":%ld,\"started\":\"%s\",\"next_run\":\"%s\"}\n]\n",
            (long)getpid(), started, next);
    return 0;
}

/* Publishes (or with remove, withdraws) state/daemon.json. Failures are
 * logged only: status output is not worth stopping the daemon for. */
static void publish(const sync_config *cfg, const daemon_info *d, bool remove)
{
    sync_state st;
    sync_err e;
    int rc = sync_state_open(cfg->state_dir, true, &st, &e);
    if (!rc) {
        rc = remove ? sync_state_remove(&st, "daemon.json", &e)
                    : sync_state_write(&st, "daemon.json", write_daemon_json,
                                       (void *)d, &e);
        sync_state_close(&st);
    }
    if (rc)
        sync_log("warning", "%s", e.msg);
}

/* Takes the daemon lock of cfg's state directory into *fd (see
 * sync_state_daemon_lock). */
static int lock_state_dir(const sync_config *cfg, int *fd, sync_err *err)
{
    sync_state st;
    int rc = sync_state_open(cfg->state_dir, true, &st, err);
    if (!rc) {
        rc = sync_state_daemon_lock(&st, fd, err);
        sync_state_close(&st);
    }
    return rc;
}

/* Whether a and b name one directory (a missing b is another). */
static bool same_dir(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, b) == 0)
        return true;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static void drain(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

const char cli_daemon_usage[] =
    "usage: headcount daemon --config FILE\n"
    "\n"
    "Stays in the foreground and runs `headcount sync` every week at\n"
    "[schedule] weekly (local time) plus a random delay below [schedule]\n"
    "jitter; a week's run that fails is tried again after 15 minutes,\n"
    "then at doubling delays up to 8 hours. Signals: SIGUSR1 syncs now,\n"
    "SIGHUP reloads the config (a bad config is logged and the old one\n"
    "kept), SIGTERM/SIGINT stop cleanly (exit 0), aborting a transfer in\n"
    "flight. Logs go to stderr. One daemon per state directory: a second\n"
    "one exits 75.\n"
    "\n"
    "  --config FILE   the INI configuration (docs/config.md)\n";

int cli_daemon_main(int argc, char **argv)
{
    const char *path;
    sync_config *cfg = NULL;
    sync_err err = {{0}};
    sync_run_result *res = NULL;
    int fds[2] = {-1, -1};
    int lockfd = -1; /* the daemon lock, held until the daemon ends */
    /* SIGHUP and SIGUSR1 would end the daemon (their default action)
     * until their handlers are in place: held back until then, they are
     * delivered once it is. Left blocked on a failure before that: the
     * daemon exits with its own code, not by the signal. */
    sigset_t daemon_sigs, old_mask;
    sigemptyset(&daemon_sigs);
    sigaddset(&daemon_sigs, SIGHUP);
    sigaddset(&daemon_sigs, SIGUSR1);
    sigprocmask(SIG_BLOCK, &daemon_sigs, &old_mask);
    int rc = sync_parse_config_arg("daemon", argc, argv, &path, NULL);
    if (rc)
        return rc;
    sync_secret_no_core_dumps();
    if ((rc = sync_config_load(path, SYNC_CONFIG_RUN, &cfg, &err)) != 0) {
        cli_errorf("%s", err.msg);
        return rc;
    }
    /* One daemon per state directory: two would each sync weekly, and
     * withdraw each other's daemon.json. */
    SYNC_TRY(lock_state_dir(cfg, &lockfd, &err));
    res = calloc(1, sizeof *res);
    if (!res) {
        rc = sync_fail(&err, CLI_EX_SOFTWARE, "out of memory");
        goto done;
    }
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        rc = sync_fail(&err, CLI_EX_SOFTWARE, "pipe: %s", strerror(errno));
        goto done;
    }
    SYNC_TRY(sync_http_global_init(&err));
    SYNC_TRY(sync_signals_install(fds[1], true, &err));
    sigprocmask(SIG_SETMASK, &old_mask, NULL);

    daemon_info info = {.started = time(NULL)};
    info.next = plan(cfg, info.started, false, 0);
    publish(cfg, &info, false);
    char when[32];
    sync_time_rfc3339(info.next, when);
    sync_log("info", "daemon started (config %s); next sync at %s", cfg->path,
             when);

    while (!sync_stop) {
        if (sync_got_hup) {
            sync_got_hup = 0;
            sync_config *fresh = NULL;
            sync_err e;
            int fresh_lock = -1;
            bool moved = false;
            int lrc = sync_config_load(path, SYNC_CONFIG_RUN, &fresh, &e);
            if (lrc == 0 && !same_dir(fresh->state_dir, cfg->state_dir)) {
                /* A new state directory needs its own lock first. */
                moved = true;
                lrc = lock_state_dir(fresh, &fresh_lock, &e);
                if (lrc != 0) {
                    sync_config_free(fresh);
                    fresh = NULL;
                }
            }
            if (lrc != 0) {
                sync_log("error", "reload failed, keeping the old config: %s",
                         e.msg);
            } else {
                if (moved) {
                    publish(cfg, &info, true);
                    sync_state_daemon_unlock(lockfd);
                    lockfd = fresh_lock;
                }
                /* A changed schedule plans as a start does, on the
                 * history: a run still due this week stays this week's. */
                time_t last = 0;
                bool ran = last_ended(fresh, &last);
                info.next = sync_schedule_reload(
                    &cfg->weekly, cfg->jitter_ms, &fresh->weekly,
                    fresh->jitter_ms, info.next, time(NULL), ran, last,
                    sync_random_u64());
                sync_config_free(cfg);
                cfg = fresh;
                publish(cfg, &info, false);
                sync_time_rfc3339(info.next, when);
                sync_log("info", "config reloaded; next sync at %s", when);
            }
        }
        bool requested = sync_got_usr1;
        time_t now = time(NULL);
        if (!requested && now - info.next > LATE_AFTER) {
            /* Woken long after the plan (the machine was suspended, the
             * clock jumped forward): plan as a start would, so that a
             * missed week's run gets its random delay instead of every
             * resumed machine syncing at once. A plan further out (the
             * week's run is done, or there is no history) is not taken:
             * the run due now then runs, or is skipped below. */
            time_t re = plan(cfg, now, false, 0);
            if (re <= now + (time_t)(cfg->jitter_ms / 1000)) {
                info.next = re;
                sync_time_rfc3339(info.next, when);
                sync_log("info",
                         "woken late (suspended, or the clock "
                         "moved ahead); next sync at %s",
                         when);
                publish(cfg, &info, false);
                if (re > now)
                    continue;
            }
        }
        bool due = now >= info.next;
        /* The slot the planned run stands for (the plan lies within the
         * jitter after it). */
        time_t slot = sync_weekly_prev(&cfg->weekly, info.next);
        time_t last = 0;
        if (due && !requested && last_ended(cfg, &last) && last >= slot) {
            /* A manual sync ended since the slot: it was the week's. */
            info.failed = 0;
            char at[32];
            sync_time_rfc3339(last, at);
            info.next = plan(cfg, time(NULL), false, 0);
            sync_time_rfc3339(info.next, when);
            sync_log("info",
                     "scheduled sync skipped: a run ended at %s; "
                     "next sync at %s",
                     at, when);
            publish(cfg, &info, false);
            continue;
        }
        if (requested || due) {
            sync_got_usr1 = 0;
            sync_log("info", "sync %s",
                     requested ? "requested (SIGUSR1)" : "scheduled");
            sync_err e;
            int run_rc = sync_run_once(cfg, res, &e);
            /* A run that found the state lock held (75 before locking) did
             * not run: another sync holds it (one by hand, or a stuck
             * one). A due run is tried again a minute on, for the same
             * slot: if the other sync has succeeded after the slot by then,
             * that retry finds it and skips. Other failures before the
             * lock (the state directory cannot be opened) are failed runs
             * like any other, tried again after retry_delay. */
            if (!res->locked && run_rc == CLI_EX_TEMPFAIL) {
                if (due) {
                    info.next = time(NULL) + 60;
                    sync_time_rfc3339(info.next, when);
                    sync_log("info", "scheduled sync not run; next try at %s",
                             when);
                    if (!sync_stop)
                        publish(cfg, &info, false);
                } else {
                    /* The sync holding the lock is the one asked for. */
                    sync_log("warning", "requested sync not run: another "
                                        "sync holds the state lock");
                }
                continue;
            }
            /* A successful run that ended at or after the planned run's
             * slot, requested or not, is the week's run, as runs.json
             * tells any later daemon (sync_runs_last_ended): one requested
             * just before the slot must not be followed at once by a
             * second. A failed one there is tried again (retry_delay,
             * counting the failures of this slot only, so a new week
             * starts again at the first delay). One that ended before the
             * slot leaves the plan as it is. */
            time_t ended = time(NULL);
            if (run_rc == 0) {
                info.failed = 0;
            } else if (ended >= slot) {
                if (info.failed_slot != slot)
                    info.failed = 0;
                info.failed_slot = slot;
                info.failed++;
            }
            if (ended >= slot && run_rc == 0) {
                info.next = plan(cfg, ended, true, ended);
                sync_time_rfc3339(info.next, when);
                sync_log("info", "next sync at %s", when);
            } else if (ended >= slot && !sync_stop) {
                time_t week = sync_schedule_next(&cfg->weekly, cfg->jitter_ms,
                                                 ended, sync_random_u64());
                time_t retry = ended + retry_delay(info.failed);
                info.next = retry < week ? retry : week;
                sync_time_rfc3339(info.next, when);
                sync_log("info", "sync failed (exit %d); next try at %s",
                         run_rc, when);
            }
            if (!sync_stop)
                publish(cfg, &info, false);
            continue;
        }
        now = time(NULL);
        if (sync_schedule_is_stale(&cfg->weekly, info.next, now,
                                   cfg->jitter_ms)) {
            /* The wall clock went back by more than the plan can lie
             * ahead: plan from the new time. */
            info.next = plan(cfg, now, false, 0);
            sync_time_rfc3339(info.next, when);
            sync_log("info", "the clock went back; next sync at %s", when);
            publish(cfg, &info, false);
        }
        /* Wake at least once a minute: the wall clock may jump (suspend,
         * NTP) and the schedule is in wall-clock time. */
        int64_t ms = (int64_t)(info.next - now) * 1000;
        if (ms > 60000)
            ms = 60000;
        if (ms < 0)
            ms = 0;
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        if (poll(&p, 1, (int)ms) > 0)
            drain(fds[0]);
    }
    /* Withdrawn under the lock: a daemon started next cannot have
     * published yet. */
    publish(cfg, &info, true);
    sync_log("info", "daemon stopped");
    rc = 0;
done:
    sync_state_daemon_unlock(lockfd);
    if (rc && err.msg[0])
        cli_errorf("%s", err.msg);
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    free(res);
    sync_config_free(cfg);
    curl_global_cleanup();
    return rc;
}
