#!/usr/bin/env python3
"""One run at a time, crash safety and the daemon: a second concurrent sync
exits 75; kill -9 during a slow upload loses nothing (the next run
delivers the same Idempotency-Key, once); the daemon syncs on SIGUSR1,
keeps its config when a SIGHUP brings a broken one, and stops with exit 0
on SIGTERM, also in the middle of a transfer; a second daemon on one
state directory exits 75; with the wall clock moved by the fault
injector, a run started by hand after the weekly time makes the daemon
skip that week's, a clock that went back is planned from anew, a run
recorded in the future does not stand for this week's, and a scheduled
run that finds the state locked is tried again; a failed run is tried
again 15 minutes on and is not the week's run, for this daemon or one
started later; a daemon woken long after its plan gives a missed run its
random delay; a SIGUSR1 that finds the state locked is logged. SIGINT
stops the daemon like SIGTERM; a SIGHUP onto a free state directory moves
the daemon there; without any signal the daemon notices within a minute a
clock moved past its plan; a self-pipe it cannot create is exit 70."""
import calendar
import datetime
import errno
import fcntl
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "fault"))
from faults import fault_vars  # noqa: E402
from synctest import check, check_eq, main  # noqa: E402

# The tests set weekly times a few minutes from now in local time and
# compare the daemon's plans with them: in a zone with summer time, a run
# across the change would see hours appear or vanish. UTC has none; the
# daemon inherits it. (The daylight-saving rules themselves are tested in
# test_sync_util with fixed dates.)
os.environ["TZ"] = "UTC"
time.tzset()


def setup(env, **kw):
    env.make_pki()
    env.tokens()
    srv = env.server()
    expected = env.fixture(srv)
    env.standard_config(srv, **kw)
    return srv, expected


def runs(env):
    try:
        with open(env.path("state", "runs.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        return []


def leftovers(env):
    found = []
    for root, _dirs, files in os.walk(env.state):
        found += [os.path.join(root, f) for f in files if f.endswith(".tmp")]
    return found


def test_busy_and_kill9(env):
    srv, expected = setup(env, http={"max_attempts": "1"})
    srv.faults(upload=["hang:30"])
    first = env.start("sync", "--config", env.config)
    env.wait_for(lambda: len(srv.requests("upload")) == 1,
                 "the first sync to start its upload")
    r = env.sync()
    env.check_rc(r, 75, "second concurrent sync")
    check("another sync is running" in r.err, "says why", r)
    key = srv.requests("upload")[0]["headers"]["idempotency-key"]
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    check_eq(srv.accepted(), [], "nothing accepted before the kill")
    srv.faults()
    r = env.sync()
    env.check_rc(r, 0, "the run after kill -9")
    acc = srv.accepted()
    check_eq([a["key"] for a in acc], [key], "the same key, delivered once")
    check_eq(acc[0]["total_seats_consumed"], expected, "seat count")
    check_eq(leftovers(env), [], "temporary files cleaned up")
    # The delivered entry left the outbox: the next run is a new report
    # with a key of its own.
    r = env.sync()
    env.check_rc(r, 0, "third run")
    keys = [a["key"] for a in srv.accepted()]
    check(len(keys) == 2 and keys[1] != key, "a new key for a new run", keys)


def test_leftover_tmp_of_live_pid(env):
    """Temporaries are removed by the next run even when their PID is
    alive (in a container every run is PID 1): under the lock only a
    daemon's daemon.json is written by another process."""
    srv, _ = setup(env)
    r = env.sync()
    env.check_rc(r, 0, "first sync")
    pid = os.getpid()
    planted = [os.path.join(env.state, ".report.json.%d.tmp" % pid),
               os.path.join(env.state, ".runs.json.%d.tmp" % pid),
               os.path.join(env.state, "fetch", ".ghec.json.%d.tmp" % pid),
               os.path.join(env.state, "outbox",
                            ".1-00000000-0000-4000-8000-000000000000.json"
                            ".%d.tmp" % pid)]
    daemon_tmp = os.path.join(env.state, ".daemon.json.%d.tmp" % pid)
    for p in planted + [daemon_tmp]:
        with open(p, "w") as f:
            f.write("partial")
    r = env.sync()
    env.check_rc(r, 0, "sync with leftovers of a live PID")
    check_eq(leftovers(env), [daemon_tmp],
             "leftovers removed, a live daemon's daemon.json kept")
    os.unlink(daemon_tmp)


def test_sync_sigterm(env):
    srv, _ = setup(env)
    srv.faults(upload=["hang:40"])
    p = env.start("sync", "--config", env.config)
    env.wait_for(lambda: len(srv.requests("upload")) == 1,
                 "the upload to start")
    p.send_signal(signal.SIGTERM)
    r = env.finish(p, timeout=20)
    env.check_rc(r, 75, "sync stopped by SIGTERM")
    check("interrupted" in r.err, "says interrupted", r)
    check_eq(env.status()["outbox"]["pending"], 1, "report kept for later")


def test_daemon_signals(env):
    srv, expected = setup(env)
    d = env.start("daemon", "--config", env.config)
    env.wait_for(lambda: os.path.exists(env.path("state", "daemon.json")),
                 "the daemon to publish its schedule")
    st = env.status()
    check_eq(st["next_run_source"], "daemon", "status sees the daemon")
    check_eq(st["daemon_pid"], d.pid, "daemon pid")
    check_eq(st["runs"], [], "no run before the signal")
    d.send_signal(signal.SIGUSR1)
    env.wait_for(lambda: len(env.status()["runs"]) == 1, "the SIGUSR1 run")
    acc = srv.accepted()
    check_eq(len(acc), 1, "uploaded by the daemon's run")
    check_eq(acc[0]["total_seats_consumed"], expected, "seat count")
    # A broken config on SIGHUP is refused; the old one keeps working.
    with open(env.config) as f:
        good = f.read()
    env.write("headcount.ini", good + "[bogus]\n", 0o644)
    d.send_signal(signal.SIGHUP)
    d.send_signal(signal.SIGUSR1)
    # (status would refuse the broken config: read the history directly)
    env.wait_for(lambda: len(runs(env)) == 2, "the run after SIGHUP")
    check_eq(len(srv.accepted()), 2, "second run uploaded")
    env.write("headcount.ini", good, 0o644)
    d.send_signal(signal.SIGTERM)
    r = env.finish(d, timeout=20)
    env.check_rc(r, 0, "daemon after SIGTERM")
    check("reload failed" in r.err and "unknown section [bogus]" in r.err,
          "the broken reload is logged", r)
    check("daemon stopped" in r.err, "clean stop logged", r)
    check(not os.path.exists(env.path("state", "daemon.json")),
          "daemon.json withdrawn")
    for line in r.err.splitlines():
        check(line[:4].isdigit() and line[19] == "Z", "RFC 3339 log line",
              line)


def test_daemon_reload_keeps_planned_run(env):
    """SIGHUP with the schedule unchanged keeps the planned run (which may
    lie inside this week's jitter window); a changed schedule plans anew."""
    setup(env)
    with open(env.config) as f:
        text = f.read()
    check("jitter = 0s\n" in text, "standard config has jitter", text)
    text = text.replace("jitter = 0s\n", "jitter = 1h\n")
    env.write("headcount.ini", text, 0o644)
    path = env.path("state", "daemon.json")
    d = env.start("daemon", "--config", env.config)
    env.wait_for(lambda: os.path.exists(path), "the daemon to start")

    def published():
        with open(path) as f:
            return os.stat(path).st_ino, json.load(f)[0]["next_run"]

    def reload():
        ino, _ = published()
        d.send_signal(signal.SIGHUP)
        env.wait_for(lambda: published()[0] != ino, "daemon.json rewritten")
        return published()[1]

    _, planned = published()
    # Reloading draws no new jitter: with 1h of jitter a fresh draw would
    # move the run (by whole seconds) all but once in 3600.
    for _ in range(3):
        check_eq(reload(), planned, "next_run after a SIGHUP, same schedule")
    env.write("headcount.ini", text.replace("weekly = Sun 04:00",
                                            "weekly = Wed 04:00"), 0o644)
    before = time.time()
    moved = reload()
    after = time.time()
    check(moved != planned, "a new schedule plans anew", moved, planned)
    # Without a run, the new plan is the next Wed 04:00 (UTC here) plus
    # up to 1h of jitter, or, when the reload falls inside that window,
    # this week's: in either case inside [Wed 04:00, Wed 05:00] of the
    # week that is due, not in the old schedule's Sunday window.
    t = when(moved)
    day = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    wed = day.replace(hour=4, minute=0, second=0, microsecond=0) - \
        datetime.timedelta(days=(day.weekday() - 2) % 7)
    if wed > day:
        wed -= datetime.timedelta(days=7)
    wed_t = wed.timestamp()
    check(wed_t <= t <= wed_t + 3600, "the new plan lies within the new "
          "weekly time's jitter", moved)
    check(before - 3600 - 1 <= wed_t <= after + 7 * 86400,
          "the weekly time now due, not one long past or a week too far",
          moved, stamp(before))
    check(t >= before - 1, "the new plan is not in the past", moved,
          stamp(before))
    d.send_signal(signal.SIGTERM)
    r = env.finish(d, timeout=20)
    env.check_rc(r, 0, "daemon after SIGTERM")
    check_eq(r.err.count("config reloaded"), 4, "reloads logged")


def weekly_two_minutes_ago(env, ago=120, jitter="1h"):
    """Sets the config's weekly time to the minute two minutes (or `ago`
    seconds) ago, with 1h (or `jitter`) of jitter: (the slot, to the
    minute, as a local datetime; the weekly value)."""
    slot = datetime.datetime.now() - datetime.timedelta(seconds=ago)
    slot = slot.replace(second=0, microsecond=0)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    weekly = "%s %02d:%02d" % (days[slot.weekday()], slot.hour, slot.minute)
    with open(env.config) as f:
        text = f.read()
    text = text.replace("weekly = Sun 04:00", "weekly = " + weekly)
    text = text.replace("jitter = 0s\n", "jitter = %s\n" % jitter)
    env.write("headcount.ini", text, 0o644)
    return slot, weekly


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def when(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def daemon_plan(env):
    """The next_run of the running daemon's daemon.json, as a time."""
    with open(env.path("state", "daemon.json")) as f:
        return when(json.load(f)[0]["next_run"])


def last_run_days_ago(env, days):
    """Makes the newest recorded run one that started `days` ago."""
    path = env.path("state", "runs.json")
    with open(path) as f:
        history = json.load(f)
    history[-1]["started"] = stamp(time.time() - days * 86400)
    history[-1]["finished"] = stamp(time.time() - days * 86400 + 5)
    with open(path, "w") as f:
        json.dump(history, f)


class MovedClock:
    """A daemon whose wall clock the test moves (HC_FAULT_CLOCK_FILE of
    fault_io.c), started with the weekly time two minutes ahead and 1h of
    jitter: its file, headcount's environment, the slot (a local datetime
    and a time), the weekly value, the process and its first plan."""

    def __init__(self, env, path, extra):
        self.path, self.extra = path, extra
        self.slot, self.weekly = weekly_two_minutes_ago(env, ago=-120)
        self.slot_t = time.mktime(self.slot.timetuple())
        self.d = env.start("daemon", "--config", env.config, extra_env=extra)
        env.wait_for(lambda: os.path.exists(env.path("state", "daemon.json")),
                     "the daemon to start")
        self.planned = daemon_plan(env)


def moved_clock(env):
    """A clock file reading "no offset" and the environment that makes
    headcount's wall clock follow it: (path, extra environment), the
    latter empty when the injector is not available."""
    path = env.path("clock")
    with open(path, "w") as f:
        f.write("0\n")
    return path, fault_vars(HC_FAULT_CLOCK_FILE=path)


def daemon_with_moved_clock(env, synced=False):
    """A MovedClock after the standard setup (and with `synced`, a sync by
    hand before the weekly time), or None when the injector is not
    available. Its server is its `srv`."""
    srv, _ = setup(env)
    if synced:
        env.check_rc(env.sync(), 0, "a sync before the weekly time")
    path, extra = moved_clock(env)
    if not extra:
        return None
    c = MovedClock(env, path, extra)
    c.srv = srv
    return c


def first_plan(env):
    """Starts a daemon, stops it once it has planned: (the time it
    started, its plan)."""
    d = env.start("daemon", "--config", env.config)
    env.wait_for(lambda: os.path.exists(env.path("state", "daemon.json")),
                 "the daemon to start")
    t0 = time.time()
    planned = daemon_plan(env)
    d.send_signal(signal.SIGTERM)
    env.check_rc(env.finish(d, timeout=20), 0, "daemon after SIGTERM")
    return t0, planned


def set_clock(path, at):
    """Makes headcount's wall clock read `at` (a time) now, and run on from
    there at the real pace."""
    with open(path + ".new", "w") as f:
        # Whole seconds on both sides: the moved clock never reads less
        # than `at`.
        f.write("%d\n" % (int(at) - int(time.time())))
    os.replace(path + ".new", path)


def wake_with_reload(env, d, planned):
    """Wakes the sleeping daemon with a SIGHUP (the schedule is unchanged,
    so the reload keeps its plan) and waits until it publishes a plan
    other than `planned`; returns the new one."""
    d.send_signal(signal.SIGHUP)
    env.wait_for(lambda: daemon_plan(env) != planned, "a new plan")
    return daemon_plan(env)


def retried_then_stopped(env, c, retry, n):
    """Moves c's clock past its planned retry, waits for the n-th recorded
    run, then stops the daemon: (its plan after the retry, its result)."""
    set_clock(c.path, retry + 1)
    later = wake_with_reload(env, c.d, retry)
    env.wait_for(lambda: len(runs(env)) == n, "the retried run")
    c.d.send_signal(signal.SIGTERM)
    r = env.finish(c.d, timeout=20)
    env.check_rc(r, 0, "daemon after SIGTERM")
    return later, r


def test_daemon_skips_week_after_manual_sync(env):
    """A sync started by hand (cron, an administrator) after the weekly
    time and before the daemon's planned run stands for the week's run:
    when the planned time comes the daemon runs nothing, says why, and
    plans next week's. The weekly time is two minutes ahead; the clock is
    moved past it instead of waiting."""
    c = daemon_with_moved_clock(env)
    if not c:
        return
    slot_t, planned, weekly = c.slot_t, c.planned, c.weekly
    check(slot_t <= planned < slot_t + 3600, "this week's run planned",
          stamp(planned), weekly)
    set_clock(c.path, slot_t + 1)
    env.check_rc(env.run("sync", "--config", env.config, extra_env=c.extra),
                 0, "the sync by hand")
    set_clock(c.path, planned + 1)
    later = wake_with_reload(env, c.d, planned)
    c.d.send_signal(signal.SIGTERM)
    r = env.finish(c.d, timeout=20)
    env.check_rc(r, 0, "daemon after SIGTERM")
    check_eq(len(runs(env)), 1, "runs recorded")
    started, ended = runs(env)[0]["started"], runs(env)[0]["finished"]
    check(when(started) >= slot_t, "the sync by hand ran after the slot",
          started, weekly)
    check("scheduled sync skipped: a run ended at %s" % ended in r.err,
          "the skip is logged", r.err)
    check("sync scheduled" not in r.err, "no scheduled run", r.err)
    week = time.mktime((c.slot + datetime.timedelta(days=7)).timetuple())
    check(week <= later < week + 3600, "next week's run", stamp(later),
          weekly)


def test_daemon_clock_went_back(env):
    """When the wall clock goes back by more than a plan can lie ahead (the
    jitter past the next weekly time), the daemon plans from the new time,
    as a start would, and runs nothing meanwhile."""
    c = daemon_with_moved_clock(env)
    if not c:
        return
    set_clock(c.path, time.time() - 10 * 86400)
    later = wake_with_reload(env, c.d, c.planned)
    c.d.send_signal(signal.SIGTERM)
    r = env.finish(c.d, timeout=20)
    env.check_rc(r, 0, "daemon after SIGTERM")
    check("the clock went back; next sync at %s" % stamp(later) in r.err,
          "the new plan is logged", r.err)
    check_eq(runs(env), [], "runs recorded")
    # Ten days back, the next weekly time is the one a week before the
    # slot: three days ahead of the moved clock.
    week_before = time.mktime(
        (c.slot - datetime.timedelta(days=7)).timetuple())
    check(week_before <= later < week_before + 3600,
          "the weekly time after the moved clock", stamp(later), c.weekly)


def test_daemon_ignores_future_run(env):
    """A run recorded while the wall clock ran ahead (its start lies in the
    future) tells nothing of this week's run: the daemon still runs at its
    planned time, instead of skipping every week until the clock reaches
    that start."""
    c = daemon_with_moved_clock(env)
    if not c:
        return
    env.check_rc(env.run("sync", "--config", env.config, extra_env=c.extra),
                 0, "a sync before the weekly time")
    path = env.path("state", "runs.json")
    with open(path) as f:
        history = json.load(f)
    history[-1]["started"] = stamp(time.time() + 200 * 86400)
    history[-1]["finished"] = stamp(time.time() + 200 * 86400 + 5)
    with open(path, "w") as f:
        json.dump(history, f)
    set_clock(c.path, c.planned + 1)
    wake_with_reload(env, c.d, c.planned)
    env.wait_for(lambda: len(runs(env)) == 2, "the scheduled run")
    c.d.send_signal(signal.SIGTERM)
    r = env.finish(c.d, timeout=20)
    env.check_rc(r, 0, "daemon after SIGTERM")
    check("sync scheduled" in r.err and "skipped" not in r.err,
          "the scheduled run ran", r.err)


def test_daemon_retries_when_locked(env):
    """A scheduled run that finds another sync holding the state lock did
    not run: it is tried again a minute on (here: once the clock is moved
    past the retry), not counted as the week's."""
    c = daemon_with_moved_clock(env)
    if not c:
        return
    lock = open(env.path("state", "lock"), "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        set_clock(c.path, c.planned + 1)
        retry = wake_with_reload(env, c.d, c.planned)
        check(c.planned < retry <= c.planned + 63, "a retry a minute on",
              stamp(retry), stamp(c.planned))
        check_eq(runs(env), [], "runs recorded while locked")
    finally:
        lock.close()
    later, r = retried_then_stopped(env, c, retry, 1)
    check("scheduled sync not run; next try at %s" % stamp(retry) in r.err,
          "the retry is logged", r.err)
    check_eq(r.err.count("sync scheduled"), 2, "two scheduled attempts")
    week = time.mktime((c.slot + datetime.timedelta(days=7)).timetuple())
    check(week <= later < week + 3600, "then next week's run", stamp(later))


def test_daemon_catches_up_missed_week(env):
    """A daemon started more than the jitter after the weekly time, with
    no run since it (the newest is 8 days old: the machine was down),
    makes the week's run up within the jitter from now instead of
    skipping to next week. Without any history it waits for next week."""
    setup(env)
    _, weekly = weekly_two_minutes_ago(env, ago=2 * 3600)
    t0, planned = first_plan(env)
    check(t0 + 6 * 86400 <= planned <= t0 + 7 * 86400,
          "without a history, next week's run", stamp(planned), weekly)
    env.check_rc(env.sync(), 0, "a first sync")
    last_run_days_ago(env, 8)
    t0, planned = first_plan(env)
    check(t0 - 5 <= planned <= t0 + 3600, "the missed run is made up",
          stamp(planned), weekly)


def test_daemon_reload_plans_like_a_start(env):
    """SIGHUP with a new [schedule] whose weekly time passed two minutes
    ago (no run since) plans that week's run inside its jitter window,
    as a start would, not next week's."""
    setup(env)
    path = env.path("state", "daemon.json")
    d = env.start("daemon", "--config", env.config)
    env.wait_for(lambda: os.path.exists(path), "the daemon to start")
    ino = os.stat(path).st_ino
    slot, weekly = weekly_two_minutes_ago(env)
    d.send_signal(signal.SIGHUP)
    env.wait_for(lambda: os.stat(path).st_ino != ino, "the reload")
    planned = daemon_plan(env)
    slot_t = time.mktime(slot.timetuple())
    d.send_signal(signal.SIGTERM)
    env.check_rc(env.finish(d, timeout=20), 0, "daemon after SIGTERM")
    check(slot_t <= planned <= slot_t + 3600,
          "this week's run after the reload", stamp(planned), weekly)


def test_daemon_requested_run_across_the_slot(env):
    """A run requested (SIGUSR1) just before the weekly time that ends past
    it is the week's run: the daemon plans next week's instead of starting
    a second sync at once. The clock is moved to a minute before the
    weekly time (no jitter), and past it while the run waits three seconds
    on a 429. A daemon started after it (a restart) reads the same from
    runs.json: the run's end is past the weekly time, nothing was missed."""
    srv, _ = setup(env)
    path, extra = moved_clock(env)
    if not extra:
        return
    slot, weekly = weekly_two_minutes_ago(env, ago=-120, jitter="0s")
    slot_t = time.mktime(slot.timetuple())
    d = env.start("daemon", "--config", env.config, extra_env=extra)
    env.wait_for(lambda: os.path.exists(env.path("state", "daemon.json")),
                 "the daemon to start")
    check_eq(daemon_plan(env), slot_t, "planned at the weekly time")
    srv.faults(ghes=["429:3"])
    set_clock(path, slot_t - 60)
    d.send_signal(signal.SIGUSR1)
    env.wait_for(lambda: len(srv.requests("ghes")) >= 1, "the run's fetch")
    set_clock(path, slot_t + 5)
    env.wait_for(lambda: len(runs(env)) == 1, "the SIGUSR1 run")
    env.wait_for(lambda: daemon_plan(env) != slot_t, "a new plan")
    later = daemon_plan(env)
    time.sleep(2)
    n = len(runs(env))
    d.send_signal(signal.SIGTERM)
    r = env.finish(d, timeout=20)
    env.check_rc(r, 0, "daemon after SIGTERM")
    started, finished = (when(runs(env)[0][k]) for k in ("started",
                                                         "finished"))
    check(started < slot_t <= finished, "the run spans the weekly time",
          stamp(started), stamp(finished), weekly)
    check_eq(n, 1, "no second run")
    week = time.mktime((slot + datetime.timedelta(days=7)).timetuple())
    check_eq(stamp(later), stamp(week), "next week's run planned")
    set_clock(path, slot_t + 300)
    d = env.start("daemon", "--config", env.config, extra_env=extra)
    env.wait_for(lambda: os.path.exists(env.path("state", "daemon.json")),
                 "the restarted daemon")
    restarted = daemon_plan(env)
    time.sleep(1)
    d.send_signal(signal.SIGTERM)
    env.check_rc(env.finish(d, timeout=20), 0, "restarted daemon")
    check_eq(stamp(restarted), stamp(week), "next week's run after a restart")
    check_eq(len(runs(env)), 1, "no run made up after the restart")


def test_daemon_requested_run_is_the_weeks(env):
    """A run requested with SIGUSR1 after the weekly time, before the
    planned run (6 days of jitter put it far off), stands for the week's
    run: the daemon then plans next week's."""
    setup(env)
    slot, weekly = weekly_two_minutes_ago(env, jitter="6d")
    path = env.path("state", "daemon.json")
    d = env.start("daemon", "--config", env.config)
    env.wait_for(lambda: os.path.exists(path), "the daemon to start")
    first = daemon_plan(env)
    d.send_signal(signal.SIGUSR1)
    env.wait_for(lambda: len(runs(env)) == 1, "the SIGUSR1 run")
    env.wait_for(lambda: daemon_plan(env) != first, "a new plan", timeout=10)
    planned = daemon_plan(env)
    d.send_signal(signal.SIGTERM)
    env.check_rc(env.finish(d, timeout=20), 0, "daemon after SIGTERM")
    week = time.mktime((slot + datetime.timedelta(days=7)).timetuple())
    check(week <= planned <= week + 6 * 86400, "next week's run",
          stamp(first), stamp(planned), weekly)


def test_daemon_signals_during_startup(env):
    """SIGHUP and SIGUSR1 that come while the daemon still reads its
    config do not kill it: they wait until its handlers are in place,
    then reload and sync. (The config is a FIFO, so the daemon is held
    inside its start while the signals are sent.)"""
    setup(env)
    with open(env.config) as f:
        text = f.read()
    fifo = env.path("fifo.ini")
    os.mkfifo(fifo)
    # Relative paths in a config are read from its directory: the same.
    d = env.start("daemon", "--config", fifo)

    def feed():
        deadline = time.time() + 20
        while True:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                check(d.poll() is None, "the daemon still runs",
                      env.finish(d) if d.poll() is not None else "")
                check(time.time() < deadline, "the daemon opens its config")
                time.sleep(0.01)
        return fd

    fd = feed()
    # The daemon has its config open: it is inside its start.
    d.send_signal(signal.SIGHUP)
    d.send_signal(signal.SIGUSR1)
    time.sleep(0.2)
    check(d.poll() is None, "the daemon survives signals at startup",
          d.poll())
    os.write(fd, text.encode())
    os.close(fd)
    # The held SIGHUP reloads: the daemon reads the FIFO again once it
    # has started (and closed it).
    env.wait_for(lambda: os.path.exists(env.path("state", "daemon.json")),
                 "the daemon to start")
    fd = feed()
    os.write(fd, text.encode())
    os.close(fd)
    env.wait_for(lambda: len(runs(env)) == 1, "the held SIGUSR1's run")
    d.send_signal(signal.SIGTERM)
    r = env.finish(d, timeout=20)
    env.check_rc(r, 0, "daemon after SIGTERM")
    check("config reloaded" in r.err, "the held SIGHUP reloaded", r)
    check("requested (SIGUSR1)" in r.err, "the held SIGUSR1 synced", r)


def test_daemon_start_after_slot(env):
    """A daemon started just after the weekly time, inside the jitter
    window and with no run since, plans this week's run, not next week's."""
    setup(env)
    slot, weekly = weekly_two_minutes_ago(env)
    slot_t = time.mktime(slot.timetuple())
    path = env.path("state", "daemon.json")
    d = env.start("daemon", "--config", env.config)
    env.wait_for(lambda: os.path.exists(path), "the daemon to start")
    with open(path) as f:
        next_run = json.load(f)[0]["next_run"]
    planned = calendar.timegm(time.strptime(next_run, "%Y-%m-%dT%H:%M:%SZ"))
    # The window is [slot, slot + 1h), the slot 2-3 minutes ago: neither
    # before the slot (a run planned in the past) nor past its jitter.
    check(slot_t - 1 <= planned <= slot_t + 3600,
          "planned within this week's window", next_run, weekly,
          stamp(slot_t))
    d.send_signal(signal.SIGTERM)
    r = env.finish(d, timeout=20)
    env.check_rc(r, 0, "daemon after SIGTERM")


def test_status_without_daemon_plans_nothing(env):
    """Without a daemon nothing runs at the [schedule] time (a systemd
    timer or cron starts sync on its own calendar): status names no next
    run and calls none due, even inside this week's jitter window with no
    run since the slot. A daemon started then plans this week's run, and
    status shows it; once a run has started since the slot, a daemon
    plans next week's."""
    setup(env)
    slot, weekly = weekly_two_minutes_ago(env)
    slot_t = time.mktime(slot.timetuple())

    def when(stamp):
        return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))

    st = env.status()
    check_eq(st["next_run_source"], "none", "no daemon")
    check_eq(st["next_run"], None, "no next run without a daemon")
    check_eq(st["schedule"], {"weekly": weekly, "jitter_seconds": 3600},
             "the schedule a daemon would keep")
    r = env.run("status", "--config", env.config)
    env.check_rc(r, 0, "status in text")
    check("due" not in r.out, "no run called due", r)
    check("next run: not planned here, no daemon running" in r.out,
          "says no daemon plans a run", r)
    path = env.path("state", "daemon.json")

    def daemon_plan():
        d = env.start("daemon", "--config", env.config)
        env.wait_for(lambda: os.path.exists(path), "the daemon to start")
        st = env.status()
        with open(path) as f:
            planned = when(json.load(f)[0]["next_run"])
        d.send_signal(signal.SIGTERM)
        env.check_rc(env.finish(d, timeout=20), 0, "daemon after SIGTERM")
        check_eq(st["next_run_source"], "daemon", "status sees the daemon")
        check_eq(when(st["next_run"]), planned, "status shows its plan")
        return planned

    planned = daemon_plan()
    check(slot_t <= planned <= slot_t + 3600,
          "the daemon plans this week's run", planned, slot_t)
    # A run started since the slot: a daemon plans next week's.
    env.check_rc(env.sync(), 0, "a sync after the slot")
    week = time.mktime((slot + datetime.timedelta(days=7)).timetuple())
    planned = daemon_plan()
    check(week <= planned <= week + 3600, "next week's run", planned, week)


def test_one_daemon_per_state_dir(env):
    """A second daemon on the same state directory exits 75 at once,
    naming the first one's PID, and leaves its daemon.json alone; a manual
    sync still runs beside the daemon; once the first stops, a daemon
    starts again. A reload that would move a daemon onto another daemon's
    state directory is refused like a broken config."""
    setup(env)
    path = env.path("state", "daemon.json")
    first = env.start("daemon", "--config", env.config)
    env.wait_for(lambda: os.path.exists(path), "the first daemon to start")
    with open(path) as f:
        published = f.read()
    r = env.run("daemon", "--config", env.config, timeout=10)
    env.check_rc(r, 75, "a second daemon on the same state directory")
    check("another daemon is running" in r.err and
          "(pid %d)" % first.pid in r.err, "names the running daemon", r)
    with open(path) as f:
        check_eq(f.read(), published, "daemon.json of the first daemon")
    check_eq(env.status()["daemon_pid"], first.pid, "status sees the first")
    r = env.sync()
    env.check_rc(r, 0, "a manual sync beside the daemon")
    # A second config on a state directory of its own, then moved by a
    # reload onto the first daemon's.
    with open(env.config) as f:
        text = f.read()
    other = env.write("other.ini", text.replace("dir = state\n",
                                                "dir = state2\n"), 0o644)
    second = env.start("daemon", "--config", other)
    env.wait_for(lambda: os.path.exists(env.path("state2", "daemon.json")),
                 "the daemon of the other state directory to start")
    env.write("other.ini", text, 0o644)
    second.send_signal(signal.SIGHUP)
    # The run comes after the reload, in the state directory kept.
    second.send_signal(signal.SIGUSR1)
    env.wait_for(lambda: os.path.exists(env.path("state2", "runs.json")),
                 "the other daemon's run after the SIGHUP")
    second.send_signal(signal.SIGTERM)
    r = env.finish(second, timeout=20)
    env.check_rc(r, 0, "the other daemon after SIGTERM")
    check("reload failed" in r.err and "another daemon is running" in r.err,
          "a reload onto a locked state directory is refused", r)
    with open(path) as f:
        check_eq(f.read(), published, "daemon.json after the refused reload")
    first.send_signal(signal.SIGTERM)
    r = env.finish(first, timeout=20)
    env.check_rc(r, 0, "the first daemon after SIGTERM")
    check(not os.path.exists(path), "daemon.json withdrawn")
    lock = os.path.join(os.path.dirname(path), "daemon.lock")
    with open(lock) as f:
        check_eq(f.read(), "", "daemon.lock names no one once released")
    again = env.start("daemon", "--config", env.config)
    env.wait_for(lambda: os.path.exists(path), "a daemon to start again")
    check_eq(env.status()["daemon_pid"], again.pid, "status sees the new one")
    again.send_signal(signal.SIGTERM)
    env.check_rc(env.finish(again, timeout=20), 0, "the new daemon stops")
    # A daemon.json left by a daemon killed with SIGKILL whose PID now
    # names another live process (here this test) is no daemon: nobody
    # holds the lock.
    with open(path, "w") as f:
        f.write('[\n{"pid":%d,"started":"2026-01-01T00:00:00Z",'
                '"next_run":"2030-01-01T00:00:00Z"}\n]\n' % os.getpid())
    check_eq(env.status()["daemon_pid"], None,
             "a stale daemon.json with a live PID is no daemon")
    os.unlink(path)


def stopped_mid_upload(env, srv, sig):
    """Starts a daemon, has it sync (SIGUSR1) against an upload the server
    holds for 40 s, and stops it with `sig` once the upload started: it
    must exit 0 well before the 40 s (the transfer aborted). Its result."""
    srv.faults(upload=["hang:40"])
    d = env.start("daemon", "--config", env.config)
    env.wait_for(lambda: os.path.exists(env.path("state", "daemon.json")),
                 "the daemon to start")
    d.send_signal(signal.SIGUSR1)
    env.wait_for(lambda: len(srv.requests("upload")) >= 1,
                 "the upload to start")
    d.send_signal(sig)
    r = env.finish(d, timeout=20)
    env.check_rc(r, 0, "daemon stopped mid-upload by signal %d" % sig)
    return r


def test_daemon_sigterm_mid_upload(env):
    srv, _ = setup(env)
    stopped_mid_upload(env, srv, signal.SIGTERM)
    st = env.status()
    check_eq(st["runs"][0]["exit_code"], 75, "interrupted run recorded")
    check_eq(st["outbox"]["pending"], 1, "the report waits in the outbox")


def test_stop_keeps_unreached_sources(env):
    """A run stopped while it fetches the first instance records that
    instance's failure only: the sources it never reached keep their
    previous last_sync (none when they never had one), not the first
    instance's error."""
    srv, _ = setup(env)
    env.check_rc(env.sync(), 0, "first sync")
    st = env.status()
    before = {i["hostname"]: i["last_sync"] for i in st["server_instances"]}
    before_ghec = st["ghec"]["last_sync"]
    check_eq(before["ghe-2.test"]["status"], "success", "ghe-2 synced")

    def stopped_in_first_fetch(config):
        seen = len(srv.requests("ghes"))
        srv.faults(ghes=["hang:40"])
        p = env.start("sync", "--config", config)
        env.wait_for(lambda: len(srv.requests("ghes")) > seen,
                     "the fetch of ghe-1 to start")
        p.send_signal(signal.SIGTERM)
        r = env.finish(p, timeout=20)
        env.check_rc(r, 75, "sync stopped during the first fetch")
        srv.faults()
        r = env.run("status", "--config", config, "--json")
        env.check_rc(r, 0, "status")
        return json.loads(r.out)

    st = stopped_in_first_fetch(env.config)
    after = {i["hostname"]: i["last_sync"] for i in st["server_instances"]}
    check_eq(after["ghe-1.test"]["status"], "failed", "ghe-1 failed")
    check("ghe-1.test" in (after["ghe-1.test"]["error"] or ""),
          "ghe-1's own error", after)
    check_eq(after["ghe-2.test"], before["ghe-2.test"],
             "ghe-2 keeps its last sync")
    check_eq(st["ghec"]["last_sync"], before_ghec, "ghec keeps its last sync")
    r = env.run("status", "--config", env.config)
    check("ghe-1.test" not in r.out.split("ghes ghe-2.test", 1)[1],
          "no other instance's error in the text", r)
    # Sources never synced before stay without a record.
    with open(env.config) as f:
        text = f.read()
    other = env.write("other.ini", text.replace("dir = state\n",
                                                "dir = state2\n"), 0o644)
    st = stopped_in_first_fetch(other)
    after = {i["hostname"]: i["last_sync"] for i in st["server_instances"]}
    check_eq(after["ghe-1.test"]["status"], "failed", "ghe-1 failed (new)")
    check_eq(after["ghe-2.test"], None, "ghe-2 never synced")
    check_eq(st["ghec"]["last_sync"], None, "ghec never synced")


def test_daemon_start_after_failed_run(env):
    """A run that failed after the weekly time (here one stopped by a
    signal, exit 75) made no report: a daemon started past the jitter
    window makes the week's run up instead of waiting for next week."""
    setup(env)
    env.check_rc(env.sync(), 0, "a first sync")
    last_run_days_ago(env, 8)
    path = env.path("state", "runs.json")
    with open(path) as f:
        history = json.load(f)
    failed = dict(history[-1], id=history[-1]["id"] + 1, status="failed",
                  exit_code=75, started=stamp(time.time() - 60),
                  finished=stamp(time.time() - 30))
    with open(path, "w") as f:
        json.dump(history + [failed], f)
    _, weekly = weekly_two_minutes_ago(env, ago=2 * 3600)
    t0, planned = first_plan(env)
    check(t0 - 5 <= planned <= t0 + 3600, "the failed week's run is made up",
          stamp(planned), weekly)


def failed_run_then_retry(env, c, at, n, delay):
    """Makes the run planned at `at` fail (a 401 from the first GHES
    instance), moving the clock past it, waits for it as the n-th recorded
    run, and checks that the daemon plans its retry `delay` seconds after
    it ended. Returns the retry."""
    c.srv.faults(ghes=["401"])
    set_clock(c.path, at + 1)
    retry = wake_with_reload(env, c.d, at)
    env.wait_for(lambda: len(runs(env)) == n, "failed run %d" % n)
    check(runs(env)[n - 1]["exit_code"] != 0, "run %d failed" % n,
          runs(env)[n - 1])
    ended = when(runs(env)[n - 1]["finished"])
    check(ended + delay <= retry <= ended + delay + 5,
          "run %d retried %d s after it ended" % (n, delay), stamp(retry),
          stamp(ended))
    return retry


def test_daemon_retries_failed_run(env):
    """A scheduled run that fails is tried again 15 minutes after it ended
    (here: once the clock is moved past that), and the retry that
    succeeds is the week's run."""
    c = daemon_with_moved_clock(env)
    if not c:
        return
    retry = failed_run_then_retry(env, c, c.planned, 1, 900)
    c.srv.faults()
    later, r = retried_then_stopped(env, c, retry, 2)
    check_eq(runs(env)[1]["exit_code"], 0, "the retry succeeded")
    check("next try at %s" % stamp(retry) in r.err, "the retry is logged",
          r.err)
    week = time.mktime((c.slot + datetime.timedelta(days=7)).timetuple())
    check(week <= later < week + 3600, "then next week's run", stamp(later))


def test_daemon_retry_backoff(env):
    """Retries of one week's run wait twice as long after each failure;
    the next week's first failure is tried again after 15 minutes, not at
    the delay the last week had reached."""
    c = daemon_with_moved_clock(env)
    if not c:
        return
    retry = failed_run_then_retry(env, c, c.planned, 1, 900)
    retry = failed_run_then_retry(env, c, retry, 2, 1800)
    # A week later, two hours past the weekly time (the source still
    # down): the daemon wakes late, plans the week's run within the
    # jitter, and its failure counts as the first of that week.
    week = time.mktime((c.slot + datetime.timedelta(days=7)).timetuple())
    set_clock(c.path, week + 2 * 3600)
    late = wake_with_reload(env, c.d, retry)
    check(week + 2 * 3600 - 5 <= late <= week + 3 * 3600 + 60,
          "the week's run within the jitter", stamp(late))
    # A new week's first failure: 15 minutes again.
    failed_run_then_retry(env, c, late, 3, 900)
    c.d.send_signal(signal.SIGTERM)
    r = env.finish(c.d, timeout=20)
    env.check_rc(r, 0, "daemon after SIGTERM")


def test_history_keeps_last_success(env):
    """runs.json keeps 20 runs, but never drops the newest successful one
    for failures after it (a week of retries against a source that is
    down): it stays first, in place of the oldest failure."""
    srv, _ = setup(env)
    env.check_rc(env.sync(), 0, "a successful sync")
    path = env.path("state", "runs.json")
    with open(path) as f:
        good = json.load(f)[0]
    failed = [dict(good, id=good["id"] + i, status="failed", exit_code=69)
              for i in range(1, 20)]
    with open(path, "w") as f:
        json.dump([good] + failed, f)
    srv.faults(ghes=["401"])
    r = env.sync()
    check(r.rc != 0, "the next sync fails", r)
    history = runs(env)
    check_eq(len(history), 20, "runs kept")
    check_eq((history[0]["id"], history[0]["exit_code"]), (good["id"], 0),
             "the last success kept first")
    check_eq([h["id"] for h in history[1:19]], [good["id"] + i
                                                for i in range(2, 20)],
             "the newest failures after it, the oldest one dropped")
    check_eq(history[19]["id"], good["id"] + 20, "the new run last")
    check(history[19]["exit_code"] != 0, "the new run failed", history[19])


def test_daemon_woken_late(env):
    """A daemon that wakes long past its planned run (the machine was
    suspended over the weekly time and its jitter) plans the missed run as
    a start would, with a random delay, instead of syncing at once."""
    c = daemon_with_moved_clock(env, synced=True)
    if not c:
        return
    moved = c.slot_t + 3 * 3600
    set_clock(c.path, moved)
    later = wake_with_reload(env, c.d, c.planned)
    c.d.send_signal(signal.SIGTERM)
    r = env.finish(c.d, timeout=20)
    env.check_rc(r, 0, "daemon after SIGTERM")
    check("woken late (suspended, or the clock moved ahead); next sync at"
          in r.err, "the new plan is logged", r.err)
    if "sync scheduled" in r.err:
        # The random delay came out under the time the test took.
        check_eq(len(runs(env)), 2, "runs recorded")
    else:
        check(moved - 5 <= later <= moved + 3600 + 60,
              "the missed run within the jitter", stamp(later), c.weekly)
        check_eq(len(runs(env)), 1, "runs recorded")


def test_daemon_request_while_locked(env):
    """A SIGUSR1 that finds another sync holding the state lock is not
    queued (that sync is the one asked for): the daemon says so."""
    setup(env)
    # The log goes to a file (the shell execs the daemon: same process),
    # so that the test sees the request handled before it frees the lock.
    log = env.path("daemon.log")
    d = env.start("daemon", "--config", env.config,
                  wrapper=["sh", "-c", 'exec "$@" 2>"$0"', log])
    env.wait_for(lambda: os.path.exists(env.path("state", "daemon.json")),
                 "the daemon to start")
    said = "requested sync not run: another sync holds the state lock"

    def logged():
        with open(log) as f:
            return said in f.read()

    lock = open(env.path("state", "lock"), "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        d.send_signal(signal.SIGUSR1)
        env.wait_for(logged, "the dropped request to be logged")
    finally:
        lock.close()
    d.send_signal(signal.SIGTERM)
    env.check_rc(env.finish(d, timeout=20), 0, "daemon after SIGTERM")
    check_eq(runs(env), [], "runs recorded")


def test_daemon_sigint(env):
    """SIGINT stops the daemon as SIGTERM does: exit 0, daemon.json
    withdrawn and daemon.lock released, also in the middle of a transfer,
    which it aborts (the server holds the upload for 40 s)."""
    srv, _ = setup(env)
    path = env.path("state", "daemon.json")
    d = env.start("daemon", "--config", env.config)
    env.wait_for(lambda: os.path.exists(path), "the daemon to start")
    d.send_signal(signal.SIGINT)
    r = env.finish(d, timeout=20)
    env.check_rc(r, 0, "idle daemon after SIGINT")
    check("daemon stopped" in r.err, "clean stop logged", r)
    check(not os.path.exists(path), "daemon.json withdrawn")
    with open(env.path("state", "daemon.lock")) as f:
        check_eq(f.read(), "", "daemon.lock names no one once released")
    r = stopped_mid_upload(env, srv, signal.SIGINT)
    check("daemon stopped" in r.err, "clean stop logged mid-upload", r)
    check(not os.path.exists(path), "daemon.json withdrawn after the run")
    check_eq(runs(env)[0]["exit_code"], 75, "interrupted run recorded")


def test_daemon_reload_moves_state_dir(env):
    """A SIGHUP whose config names another state directory that no daemon
    holds moves the daemon there: it takes that directory's daemon.lock
    (writing its PID), publishes daemon.json there, withdraws the old
    directory's and releases its lock; its runs go to the new directory.
    A daemon may then start on the old directory, not on the new one."""
    setup(env)
    old_json = env.path("state", "daemon.json")
    new_json = env.path("state2", "daemon.json")
    d = env.start("daemon", "--config", env.config)
    env.wait_for(lambda: os.path.exists(old_json), "the daemon to start")
    with open(env.config) as f:
        text = f.read()
    env.write("old.ini", text, 0o644)
    env.write("headcount.ini", text.replace("dir = state\n",
                                            "dir = state2\n"), 0o644)
    d.send_signal(signal.SIGHUP)
    env.wait_for(lambda: os.path.exists(new_json),
                 "daemon.json in the new state directory")
    check(not os.path.exists(old_json), "old daemon.json withdrawn")
    with open(new_json) as f:
        check_eq(json.load(f)[0]["pid"], d.pid, "new daemon.json's pid")
    with open(env.path("state2", "daemon.lock")) as f:
        check_eq(f.read(), "%d\n" % d.pid, "new daemon.lock names the daemon")
    with open(env.path("state", "daemon.lock")) as f:
        check_eq(f.read(), "", "old daemon.lock names no one")
    for sub, held in (("state2", True), ("state", False)):
        with open(env.path(sub, "daemon.lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                locked = False
            except BlockingIOError:
                locked = True
        check_eq(locked, held, "%s/daemon.lock held by the daemon" % sub)
    st = env.status()
    check_eq((st["next_run_source"], st["daemon_pid"]), ("daemon", d.pid),
             "status of the new state directory sees the daemon")
    r = env.run("daemon", "--config", env.config, timeout=10)
    env.check_rc(r, 75, "a second daemon on the new state directory")
    check("(pid %d)" % d.pid in r.err, "names the moved daemon", r)
    other = env.start("daemon", "--config", env.path("old.ini"))
    env.wait_for(lambda: os.path.exists(old_json),
                 "a daemon to start on the old state directory")
    other.send_signal(signal.SIGTERM)
    env.check_rc(env.finish(other, timeout=20), 0,
                 "the old directory's new daemon after SIGTERM")
    d.send_signal(signal.SIGUSR1)
    env.wait_for(lambda: os.path.exists(env.path("state2", "runs.json")),
                 "the run in the new state directory")
    d.send_signal(signal.SIGTERM)
    r = env.finish(d, timeout=20)
    env.check_rc(r, 0, "the moved daemon after SIGTERM")
    check("config reloaded" in r.err and "reload failed" not in r.err,
          "the reload is logged as such", r)
    check_eq(runs(env), [], "no run in the old state directory")
    check(not os.path.exists(new_json), "new daemon.json withdrawn at stop")


def test_daemon_wakes_each_minute(env):
    """With no signal at all, the daemon notices within a minute that the
    wall clock moved past its planned run (it wakes at least once a
    minute), and runs the scheduled sync. The weekly time is an hour
    ahead, so a daemon that slept until its plan would not run here."""
    srv, _ = setup(env)
    path, extra = moved_clock(env)
    if not extra:
        return
    _, weekly = weekly_two_minutes_ago(env, ago=-3600)
    d = env.start("daemon", "--config", env.config, extra_env=extra)
    env.wait_for(lambda: os.path.exists(env.path("state", "daemon.json")),
                 "the daemon to start")
    planned = daemon_plan(env)
    check(planned >= time.time() + 3000, "the plan lies an hour ahead",
          stamp(planned), weekly)
    set_clock(path, planned + 1)
    env.wait_for(lambda: len(runs(env)) == 1,
                 "the scheduled run without a signal", timeout=120)
    d.send_signal(signal.SIGTERM)
    r = env.finish(d, timeout=20)
    env.check_rc(r, 0, "daemon after SIGTERM")
    check("sync scheduled" in r.err, "the run is the scheduled one", r.err)
    check("woken late" not in r.err and "config reloaded" not in r.err,
          "noticed in time, without a reload", r.err)
    check(when(runs(env)[0]["started"]) >= planned,
          "the run started at the moved clock's planned time",
          runs(env)[0]["started"], stamp(planned))
    check_eq(runs(env)[0]["exit_code"], 0, "the scheduled run succeeded")
    check_eq(len(srv.accepted()), 1, "its report uploaded")


# Runs the command after it with at most sys.argv[1] open files.
LIMIT_FILES = ("import os, resource, sys; n = int(sys.argv[1]); "
               "resource.setrlimit(resource.RLIMIT_NOFILE, (n, n)); "
               "os.execv(sys.argv[2], sys.argv[2:])")


def test_daemon_self_pipe_failure(env):
    """A daemon that cannot create its self-pipe (pipe2 fails, here for
    want of file descriptors: the limit is raised one at a time from 3
    until the daemon gets past its start) stops with exit 70, internal
    error, saying so; with more descriptors it starts (it is taken for
    started once it runs for 3 s)."""
    env.write("x.json", '{"users": []}')
    env.write("headcount.ini", "[ghec]\nfile = x.json\n[state]\n"
              "dir = state\n", 0o644)
    seen = []
    for n in range(3, 20):
        p = env.start("daemon", "--config", env.config,
                      wrapper=[sys.executable, "-c", LIMIT_FILES, str(n)])
        deadline = time.time() + 3
        while p.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            env.check_rc(env.finish(p, timeout=20), 0,
                         "daemon with %d files after SIGTERM" % n)
            seen.append((n, "started"))
            break
        r = env.finish(p, timeout=10)
        seen.append((n, r.rc, r.err.strip()))
    codes = [s[1] for s in seen]
    check(70 in codes, "a limit at which the self-pipe fails: exit 70", *seen)
    i = codes.index(70)
    check("pipe: " + os.strerror(errno.EMFILE) in seen[i][2],
          "the pipe's failure is named", seen[i])
    check(seen[-1][1] == "started", "with more descriptors the daemon "
          "starts", *seen)


if __name__ == "__main__":
    sys.exit(main("daemon", [test_busy_and_kill9,
                             test_leftover_tmp_of_live_pid, test_sync_sigterm,
                             test_daemon_signals,
                             test_daemon_reload_keeps_planned_run,
                             test_daemon_start_after_slot,
                             test_status_without_daemon_plans_nothing,
                             test_one_daemon_per_state_dir,
                             test_daemon_sigterm_mid_upload,
                             test_stop_keeps_unreached_sources,
                             test_daemon_catches_up_missed_week,
                             test_daemon_reload_plans_like_a_start,
                             test_daemon_requested_run_across_the_slot,
                             test_daemon_requested_run_is_the_weeks,
                             test_daemon_signals_during_startup,
                             test_daemon_skips_week_after_manual_sync,
                             test_daemon_clock_went_back,
                             test_daemon_ignores_future_run,
                             test_daemon_retries_when_locked,
                             test_daemon_start_after_failed_run,
                             test_daemon_retries_failed_run,
                             test_daemon_retry_backoff,
                             test_history_keeps_last_success,
                             test_daemon_woken_late,
                             test_daemon_request_while_locked,
                             test_daemon_sigint,
                             test_daemon_reload_moves_state_dir,
                             test_daemon_self_pipe_failure,
                             test_daemon_wakes_each_minute]))
