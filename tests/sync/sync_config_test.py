#!/usr/bin/env python3
"""Configuration and secrets of `headcount sync`/`status`/`daemon`: usage
errors, every kind of config error (exit 78 with file:line), token files
that others can read (exit 77, naming the file and never the token), a
config or state directory this user may not read (exit 77), the start-up
failures of the daemon, systemd credential paths, and status before any
run."""
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synctest import GHES_TOKEN, check, check_eq, main  # noqa: E402

SOURCE = "[ghec]\nfile = x.json\n"

# (config text, line of the error or None, words the message must hold)
BAD = [
    ("[engine]\npolicy = github\nbogus = 1\n" + SOURCE, 3, "unknown key"),
    (SOURCE + "[enginex]\n", 3, "unknown section"),
    ("[ghes]\nfile = a.csv\n", 1, "HOST"),
    ('[ghes "h.example"]\nurl = http://h.example\nuser = a\n'
     "token_file = t\n", 2, "https"),
    ('[ghes "h.example"]\nurl = http://127.0.0.1:9\nuser = a\n'
     "token_file = t\n", 2, "allow_insecure_loopback_http"),
    ('[ghes "h.example"]\nuser = a\n', 1, "exactly one of url and file"),
    ('[ghes "h.example"]\nurl = https://h.example\nuser = a\n', 1,
     "token_file"),
    ("[engine]\nthreads = lots\n" + SOURCE, 2, "integer"),
    (SOURCE + "[schedule]\njitter = 7d\n", 4, "longer than 166h"),
    # Under a week, but past a slot that summer time brings closer.
    (SOURCE + "[schedule]\njitter = 6d23h\n", 4, "longer than 166h"),
    ("[engine]\npolicy = cheapest\n" + SOURCE, 2, "github or extended"),
    (SOURCE + "[schedule]\nweekly = Funday 25:00\n", 4, "DAY HH:MM"),
    (SOURCE + "[http]\nretry_base = 5 parsecs\n", 4, "duration"),
    ("[ghec]\nfile = a.json\nfile = b.json\n", 3, "duplicate key"),
    # One instance however its sections spell the host: the second
    # section's file is the first one's key given twice.
    ('[ghes "h.example"]\nfile = a.csv\n[ghes "H.Example."]\nfile = b.csv\n',
     4, "duplicate key"),
    ("policy = github\n" + SOURCE, 1, "outside of any section"),
    (SOURCE + "this is not ini\n", 3, "syntax error"),
    ("[engine]\nverified_domains = corp.example, bad..example\n" + SOURCE, 2,
     "entry 2"),
    ("[engine]\nverified_domains = ,\n" + SOURCE, 2, "no domain given"),
    # Each verified_domains key needs a value, on its line or indented
    # below it, though the lists join; entries below an empty key are that
    # key's.
    ("[engine]\nverified_domains = a.example\nverified_domains =\n" +
     SOURCE, 3, "empty value"),
    ("[engine]\nverified_domains =\n" + SOURCE, 2, "empty value"),
    # A '#' comment in one line's list ends with that line: the next
    # line's entries are still read (and checked).
    ("[engine]\nverified_domains = a.example # HQ\n"
     "verified_domains = bad..example\n" + SOURCE, 3, "entry 2"),
    ("[engine]\nverified_domains = a.example\nverified_domains =\n"
     "  bad..example\n" + SOURCE, 3, "entry 2"),
    # After an entry on a continuation line ';' is no comment: it is one
    # more entry, and not a domain. (An indented line that starts with
    # ';' is a comment: see test_status_before_any_run.)
    ("[engine]\nverified_domains = corp.example\n  sub.example ; subs\n" +
     SOURCE, 2, "entry 3"),
    (SOURCE + "[upload]\nurl = https://r.example/" + "x" * 300 + "\n", 4,
     "longer than"),
    (SOURCE + "[upload]\nurl = https://r.example/\nmethod = GET\n", 5,
     "POST or PUT"),
    ("[engine]\npolicy = github\n", None, "no source configured"),
    (SOURCE + "[ghec]\nenterprise = a b\n", 4, "slug"),
    # The longest DNS name (253 bytes) cannot be a [ghes] subsection: the
    # line limit bounds host names to 189 bytes, which keeps the fetch
    # file names (.ghes-HOST.csv.PID.tmp) within NAME_MAX.
    ('[ghes "%s"]\nfile = a.csv\n' % ".".join(["h" * 63] * 3 + ["e" * 61]),
     1, "longer than"),
    # libinih skips every isspace byte before a '[': so must the section
    # check, or the keys below would land in the section before.
    # (Right after a header: after a key, an indented line continues it.)
    ("[ghec]\n\v[bogus]\nfile = x.json\n", 2, "unknown section"),
    ("[ghec]\n\f[bogus]\nfile = x.json\n", 2, "unknown section"),
    # A base URL gets the export's path appended: a query or fragment
    # would swallow it.
    ('[ghes "h.example"]\nurl = https://h.example/pre?q=x\nuser = a\n'
     "token_file = t\n", 2, "query"),
    ("[ghec]\napi_url = https://api.example#top\nenterprise = e\n"
     "token_file = t\n", 2, "fragment"),
    # A bad entry of a second verified_domains key is at that key's line;
    # the entry's position counts the whole list.
    ("[engine]\nverified_domains = corp.example\n" + SOURCE +
     "[engine]\nverified_domains = bad..example\n", 6, "entry 2"),
    ("[engine]\nverified_domains = a.example,\n  b.example bad..example\n"
     + SOURCE + "[engine]\nverified_domains = c.example\n", 2, "entry 3"),
    # An indented line after a key continues it: a config error for a key
    # of one value, said as such (not as a duplicate key).
    ("[engine]\npolicy = github\n  threads = 2\n" + SOURCE, 3,
     "continues 'policy'"),
    # Keys that only apply to a server source are named at the first one.
    ("[ghec]\nfile = x.json\nca_file = ca.pem\nenterprise = e\n", 3,
     "only apply to api_url"),
    ('[ghes "h.example"]\nfile = a.csv\ntoken_file = t\nuser = u\n', 3,
     "only apply to url"),
    # The first problem of the file is the one reported, though libinih
    # reads on past a line it cannot parse.
    (SOURCE + "this is not ini\n[bogus]\n", 3, "syntax error"),
    # An optional path left empty is not set; a required one is an error.
    ('[ghes "h.example"]\nurl = https://h.example\nuser = a\ntoken_file =\n',
     4, "empty path"),
    # 198 bytes at most, counted without the line end, the last line's too.
    (SOURCE + "[engine]\npolicy = github" + " " * 184, 4, "longer than"),
]


def test_usage_and_missing_config(env):
    for args in (["sync"], ["sync", "--bogus"], ["status", "--config"],
                 ["daemon", "extra", "--config", "x"]):
        r = env.run(*args)
        env.check_rc(r, 64, "usage: %s" % args)
    r = env.run("sync", "--config", env.path("missing.ini"))
    env.check_rc(r, 66, "missing config")
    # A directory opens for reading; it is still a config that cannot be
    # opened, and the message says why.
    for cmd in ("sync", "status"):
        r = env.run(cmd, "--config", env.path(""))
        env.check_rc(r, 66, "%s: a directory as config" % cmd)
        check("Is a directory" in r.err, "%s: directory named" % cmd, r)
    r = env.run("help", "sync")
    env.check_rc(r, 0, "help sync")
    check("--config FILE" in r.out, "help text", r)


def test_config_errors(env):
    for text, line, words in BAD:
        cfg = env.write("bad.ini", text, 0o644)
        for cmd in ("sync", "status"):
            r = env.run(cmd, "--config", cfg)
            env.check_rc(r, 78, "%s with %r" % (cmd, text[:60]))
            where = "%s:%d: " % (cfg, line) if line else "%s: " % cfg
            check(where in r.err and words in r.err,
                  "message names %r and says %r" % (where, words), r)
    # A URL with credentials is refused without echoing them.
    cfg = env.write("bad.ini", '[ghes "h.example"]\n'
                    "url = https://admin:hunter2@h.example\n", 0o644)
    r = env.run("sync", "--config", cfg)
    env.check_rc(r, 78, "credentials in the URL")
    check("hunter2" not in r.err, "password not echoed", r)
    check("use user and token_file" in r.err, "[ghes] hint", r)


def test_token_permissions(env):
    env.make_pki()
    env.tokens()
    srv = env.server()
    env.fixture(srv)
    env.standard_config(srv)
    token = env.path("ghes.token")
    os.chmod(token, 0o644)
    r = env.sync()
    env.check_rc(r, 77, "world-readable token file")
    check(token in r.err, "the error names the token file", r)
    check(GHES_TOKEN not in r.err + r.out, "the token is not shown", r)
    check_eq(srv.requests(), [], "no request made with a refused token")
    st = env.status()
    check_eq(st["runs"][0]["exit_code"], 77, "run recorded as failed")
    os.chmod(token, 0o640)
    env.check_rc(env.sync(), 77, "group-readable token file")
    os.chmod(token, 0o600)
    env.check_rc(env.sync(), 0, "private token file")
    # A FIFO in the token file's place is refused at once: opening it must
    # not wait for a writer while the run holds its lock.
    os.rename(token, token + ".real")
    os.mkfifo(token, 0o600)
    r = env.run("sync", "--config", env.config, timeout=10)
    env.check_rc(r, 77, "a FIFO as token file")
    check("not a regular file" in r.err, "says why", r)
    os.unlink(token)
    os.rename(token + ".real", token)
    # A token file with two words is a config error, not a header; so is
    # one with a control character or a byte outside ASCII. The message
    # names the file, never what it holds.
    ghec = env.path("ghec.token")
    for text in ("zq words\n", "zq\x1bzq\n", "zq\u00e9zq-secret\n",
                 "zq\x7fzq\n"):
        env.write("ghec.token", text)
        r = env.sync()
        env.check_rc(r, 78, "token %r" % text)
        check(ghec + ": token_file of [ghec] holds a space, a control "
              "character or a byte outside ASCII" in r.err, "message", r)
        check("zq" not in r.err.replace(env.dir, ""), "the token is not shown",
              r)


def test_credentials_directory(env):
    env.make_pki()
    env.tokens()
    srv = env.server()
    env.fixture(srv)
    env.standard_config(srv)
    creds = env.path("creds")
    os.mkdir(creds, 0o700)
    for name in ("ghes.token", "ghec.token", "upload.token", "upload.key"):
        os.rename(env.path(name), os.path.join(creds, name))
    with open(env.config) as f:
        text = f.read()
    for name in ("ghes.token", "ghec.token", "upload.token", "upload.key"):
        text = text.replace("= " + name,
                            "= ${CREDENTIALS_DIRECTORY}/" + name)
    env.write("headcount.ini", text, 0o644)
    r = env.run("sync", "--config", env.config,
                extra_env={"CREDENTIALS_DIRECTORY": creds})
    env.check_rc(r, 0, "tokens from $CREDENTIALS_DIRECTORY")
    check_eq(len(srv.accepted()), 1, "uploaded")
    r = env.run("sync", "--config", env.config,
                extra_env={"CREDENTIALS_DIRECTORY": ""})
    env.check_rc(r, 78, "CREDENTIALS_DIRECTORY unset")
    check("CREDENTIALS_DIRECTORY" in r.err, "says which variable", r)
    # status reads no secret, so it works outside the service, where the
    # variable is unset (operations.md: status as root).
    r = env.run("status", "--config", env.config, "--json",
                extra_env={"CREDENTIALS_DIRECTORY": ""})
    env.check_rc(r, 0, "status with CREDENTIALS_DIRECTORY unset")
    check_eq(json.loads(r.out)["runs"][0]["status"], "success",
             "status shows the run")
    # Group bits (systemd's ACLs) pass in a private credentials directory,
    # but not in one that others may write to: anyone can set the
    # variable, or have put the file there.
    token = os.path.join(creds, "ghes.token")
    os.chmod(token, 0o640)
    r = env.run("sync", "--config", env.config,
                extra_env={"CREDENTIALS_DIRECTORY": creds})
    env.check_rc(r, 0, "a 0640 token in a private credentials directory")
    for mode in (0o770, 0o703):
        os.chmod(creds, mode)
        r = env.run("sync", "--config", env.config,
                    extra_env={"CREDENTIALS_DIRECTORY": creds})
        env.check_rc(r, 77, "a 0640 token in a directory of mode %o" % mode)
        check(token + ": token_file of [ghes \"ghe-1.test\"] is readable "
              "or writable by group or others (mode 0640)" in r.err and
              "$CREDENTIALS_DIRECTORY is not a directory of root or this "
              "user that only its owner may write to" in r.err, "message", r)
    os.chmod(creds, 0o700)
    os.chmod(token, 0o600)


def test_status_before_any_run(env):
    env.write("x.json", '{"users": []}')
    # An indented line starting with ';' inside a continued list is a
    # comment, not two more entries (';' would be a config error); the
    # list may start on the line below its key.
    env.write("headcount.ini", '[ghes "ghe-1.test"]\nfile = x.csv\n' +
              SOURCE + "[state]\ndir = state\n[schedule]\n"
              "weekly = wednesday 12:05\njitter = 0\n"
              "[engine]\nverified_domains =\n  corp.example\n"
              "  ; subsidiaries\n  sub.example\n", 0o644)
    st = env.status()
    check_eq(st["runs"], [], "no runs")
    check_eq(st["server_instances"],
             [{"server_id": None, "hostname": "ghe-1.test",
               "last_sync": None}],
             "server_instances")
    # No daemon plans a run; the schedule it would keep is read.
    check_eq(st["next_run_source"], "none", "no daemon")
    check_eq(st["next_run"], None, "no next run without a daemon")
    check_eq(st["schedule"], {"weekly": "Wed 12:05", "jitter_seconds": 0},
             "the schedule as read")
    r = env.run("status", "--config", env.config)
    env.check_rc(r, 0, "human status")
    check("Wed 12:05" in r.out and "none yet" in r.out, "human status", r)
    # Output that cannot be written is exit 74, said once.
    for extra in ([], ["--json"]):
        if not os.path.exists("/dev/full"):
            print("note: no /dev/full: the write-error check is skipped")
            break
        with open("/dev/full", "wb") as full:
            p = subprocess.run([env.bin, "status", "--config", env.config]
                               + extra, stdout=full, stderr=subprocess.PIPE,
                               text=True)
        check_eq(p.returncode, 74, "status %s > /dev/full" % extra)
        check_eq(p.stderr.count("cannot write"), 1, "messages: " + p.stderr)


def test_empty_optional_paths(env):
    """ca_file, hmac_key_file and pseudonymize_key_file given with nothing
    after the '=' (a template listing them, "key =   ; optional") are not
    set: the config loads, and an empty ca_file beside a file source is no
    key that "only applies to api_url"."""
    env.write("x.json", '{"users": []}')
    env.write("headcount.ini", SOURCE + "ca_file =\n[state]\ndir = state\n"
              "[upload]\nurl = https://r.example/reports\n"
              "token_file = /nonexistent/upload.token\n"
              "hmac_key_file =\n"
              "pseudonymize_key_file =          ; optional\n"
              "ca_file = \n", 0o644)
    r = env.run("status", "--config", env.config)
    env.check_rc(r, 0, "a config with empty optional paths")
    # As if the line were not there: no duplicate of a value given after
    # it, and no clearing of one given before it (the run then stops at
    # the missing key file).
    env.write("up.token", "t0ken\n", 0o600)
    for keys in ("hmac_key_file =\nhmac_key_file = missing.key\n",
                 "hmac_key_file = missing.key\nhmac_key_file =\n"):
        env.write("headcount.ini", SOURCE + "[state]\ndir = state\n"
                  "[upload]\nurl = https://r.example/reports\n"
                  "token_file = up.token\n" + keys, 0o644)
        r = env.run("sync", "--config", env.config)
        check(r.rc == 66 and "duplicate" not in r.err and
              "missing.key: cannot open hmac_key_file" in r.err,
              "an empty optional key beside a set one: %r" % r)


def test_long_paths_in_messages(env):
    """A message naming a path of over 1 KiB (a config in a deep folder,
    its export beside it) keeps the whole path: on stderr, in runs.json
    and in the GHEC source's last error."""
    deep = env.path(*(["d" * 200] * 8))
    os.makedirs(deep)
    cfg = os.path.join(deep, "headcount.ini")
    with open(cfg, "w") as f:
        f.write("[ghec]\nfile = missing.json\n[state]\ndir = state\n")
    r = env.run("sync", "--config", cfg)
    env.check_rc(r, 66, "a missing export in a deep folder")
    want = os.path.join(os.path.realpath(deep), "missing.json") + \
        ": No such file or directory"
    check(want in r.err, "the whole path on stderr", r)
    r = env.run("status", "--config", cfg, "--json")
    env.check_rc(r, 0, "status")
    st = json.loads(r.out)
    check(want in st["runs"][0]["error"], "the whole path in runs.json",
          st["runs"][0]["error"][-80:])
    check(want in (st["ghec"]["last_sync"] or {}).get("error", ""),
          "the whole path in the source's error", st["ghec"])


def test_line_limit(env):
    """A line of 198 bytes is allowed whether it ends in LF, CRLF or the
    end of the file."""
    env.write("x.json", '{"users": []}')
    long_line = "policy = github" + " " * 183
    check_eq(len(long_line), 198, "the line's length")
    for end in ("\n", "\r\n", ""):
        text = SOURCE + "[state]\ndir = state\n[engine]\n"
        env.write("headcount.ini",
                  text.replace("\n", end or "\n") + long_line + end, 0o644)
        r = env.run("status", "--config", env.config, "--json")
        env.check_rc(r, 0, "a 198-byte line ending in %r" % end)


def test_status_config_spellings(env):
    """status finds a GHEC file's last sync whether --config names the
    file the way sync was given it or another way (a relative path, a
    path through a symlink), and whatever the path's length."""
    deep = env.path("d" * 120, "e" * 120)
    os.makedirs(deep)
    os.symlink(deep, env.path("link"))
    name = "consumed-licenses-export-for-the-acme-enterprise.json"
    with open(os.path.join(deep, name), "w") as f:
        f.write('{"users": []}')
    cfg = os.path.join(deep, "h.ini")
    with open(cfg, "w") as f:
        f.write("[ghec]\nfile = %s\n[state]\ndir = %s\n" % (name,
                                                               env.state))
    r = env.run("sync", "--config", cfg)
    env.check_rc(r, 0, "sync")
    for where, spelled in ((None, cfg), (deep, "h.ini"),
                           (None, env.path("link", "h.ini")),
                           (deep, "../" + "e" * 120 + "/h.ini")):
        p = subprocess.run([env.bin, "status", "--config", spelled, "--json"],
                           cwd=where, capture_output=True, text=True)
        check_eq(p.returncode, 0, "status --config %s" % spelled)
        last = json.loads(p.stdout)["ghec"]["last_sync"]
        check(last is not None and last["status"] == "success",
              "last sync found with --config %s" % spelled, p.stdout)


def test_state_file_not_regular(env):
    """A FIFO where a state file should be is refused (exit 74) instead of
    blocking status forever."""
    env.write("x.json", '{"users": []}')
    env.write("headcount.ini", SOURCE + "[state]\ndir = state\n", 0o644)
    os.makedirs(env.state, exist_ok=True)
    os.mkfifo(os.path.join(env.state, "runs.json"))
    r = env.run("status", "--config", env.config, timeout=20)
    env.check_rc(r, 74, "status with a FIFO as runs.json")
    check("not a regular file" in r.err, "the reason", r)


def test_status_corrupt_state(env):
    """A state file that cannot be parsed (a write cut short, or another
    file in its place) is exit 74 from status, in either format, naming
    the file; put back, status reads it again."""
    env.write("x.json", '{"users": []}')
    env.write("headcount.ini", SOURCE + "[state]\ndir = state\n", 0o644)
    env.check_rc(env.sync(), 0, "sync of a file source")
    check_eq(len(env.status()["runs"]), 1, "the run recorded")
    # Valid JSON that is not what headcount writes is corrupt too: a run
    # without its exit code must not show as a success.
    other = {"runs.json": ['[{"id": "x"}]\n', '[{"id": 1, "started": '
                           '"2026-01-01T00:00:00Z"}]\n'],
             "sources.json": ['[{"name": "x.json", "status": "success"}]\n',
                              '[{"kind": "ghec", "name": "", "status": '
                              '"success"}]\n']}
    for name in ("runs.json", "sources.json"):
        path = env.path("state", name)
        with open(path) as f:
            good = f.read()
        for bad in [good[:len(good) // 2], "not json\n"] + other[name]:
            with open(path, "w") as f:
                f.write(bad)
            r = env.status(74)
            check(name + " is corrupt" in r.err and r.out == "",
                  "status --json, %s %r: names it, prints nothing"
                  % (name, bad), r)
            r = env.run("status", "--config", env.config)
            env.check_rc(r, 74, "status, %s %r" % (name, bad))
            check(name + " is corrupt" in r.err and r.out == "",
                  "status, %s %r: names it, prints nothing" % (name, bad), r)
        with open(path, "w") as f:
            f.write(good)
        check_eq(len(env.status()["runs"]), 1, name + " put back")


def test_ghes_spellings_merge(env):
    """[ghes] headers that spell one host differently (ASCII case, a
    trailing dot) are one instance: their keys add up and status lists it
    once, as the first header spells it."""
    env.write("x.csv", "")
    env.write("headcount.ini", '[ghes "ghe-1.test"]\nfile = x.csv\n'
              '[ghes "GHE-1.Test."]\n[state]\ndir = state\n', 0o644)
    st = env.status()
    check_eq([i["hostname"] for i in st["server_instances"]], ["ghe-1.test"],
             "one instance")


def test_daemon_start_errors(env):
    """The daemon stops at start with the codes of sync: a missing config
    (or a directory in its place) is 66, every broken config 78 with
    file:line, and a state directory group or others may write to 77,
    leaving nothing in it. With the directory made private, the same config
    starts a daemon."""
    r = env.run("daemon", "--config", env.path("missing.ini"), timeout=10)
    env.check_rc(r, 66, "daemon: missing config")
    check("missing.ini: cannot open config: No such file or directory"
          in r.err, "daemon: names the missing config", r)
    r = env.run("daemon", "--config", env.path(""), timeout=10)
    env.check_rc(r, 66, "daemon: a directory as config")
    check("Is a directory" in r.err, "daemon: directory named", r)
    for text, line, words in BAD:
        cfg = env.write("bad.ini", text, 0o644)
        r = env.run("daemon", "--config", cfg, timeout=10)
        env.check_rc(r, 78, "daemon with %r" % text[:60])
        where = "%s:%d: " % (cfg, line) if line else "%s: " % cfg
        check(where in r.err and words in r.err,
              "daemon: message names %r and says %r" % (where, words), r)
    env.write("x.json", '{"users": []}')
    env.write("headcount.ini", SOURCE + "[state]\ndir = state\n", 0o644)
    os.mkdir(env.state)
    for mode in (0o777, 0o770):
        os.chmod(env.state, mode)
        r = env.run("daemon", "--config", env.config, timeout=10)
        env.check_rc(r, 77, "daemon: state directory mode %o" % mode)
        check("state directory %s must belong to this user and be writable "
              "by nobody else" % env.state in r.err, "says why", r)
        check_eq(sorted(os.listdir(env.state)), [],
                 "nothing made in a refused state directory (mode %o)" % mode)
    os.chmod(env.state, 0o700)
    d = env.start("daemon", "--config", env.config)
    env.wait_for(lambda: os.path.exists(os.path.join(env.state,
                                                     "daemon.json")),
                 "the daemon to start on a private state directory")
    d.send_signal(signal.SIGTERM)
    env.check_rc(env.finish(d, timeout=20), 0, "daemon after SIGTERM")


def test_unreadable_config_and_state_dir(env):
    """A config this user may not read is exit 77 (permission), not 66, for
    sync, status and daemon; so is, for status, a state directory it may
    not read. Root reads any file: its capabilities are dropped for the
    modes to bind (Env.without_dac_override); a check that the same
    command succeeds under that prefix once the mode allows it shows the
    prefix is not the cause."""
    wrapper = env.without_dac_override()
    if wrapper is None:
        print("note: root without setpriv, file modes do not bind: "
              "test_unreadable_config_and_state_dir skipped")
        return
    env.write("x.json", '{"users": []}')
    env.write("headcount.ini", SOURCE + "[state]\ndir = state\n", 0o644)
    r = env.run("status", "--config", env.config, wrapper=wrapper)
    env.check_rc(r, 0, "status of a readable config under %s" % wrapper)
    os.chmod(env.config, 0)
    try:
        for cmd in ("sync", "status", "daemon"):
            r = env.run(cmd, "--config", env.config, timeout=10,
                        wrapper=wrapper)
            env.check_rc(r, 77, "%s: config of mode 000" % cmd)
            check("%s: cannot open config: Permission denied" % env.config
                  in r.err and r.out == "", "%s: names the config" % cmd, r)
    finally:
        os.chmod(env.config, 0o644)
    env.check_rc(env.sync(), 0, "a sync of a file source")
    r = env.run("status", "--config", env.config, "--json", wrapper=wrapper)
    env.check_rc(r, 0, "status of a readable state directory")
    check_eq(len(json.loads(r.out)["runs"]), 1, "the run recorded")
    os.chmod(env.state, 0)
    try:
        for extra in ([], ["--json"]):
            r = env.run("status", "--config", env.config, *extra,
                        wrapper=wrapper)
            env.check_rc(r, 77, "status %s: state directory of mode 000"
                         % extra)
            check("cannot open state directory %s: Permission denied"
                  % env.state in r.err and r.out == "",
                  "status %s: names the state directory, prints nothing"
                  % extra, r)
    finally:
        os.chmod(env.state, 0o700)


if __name__ == "__main__":
    sys.exit(main("config", [test_usage_and_missing_config,
                             test_config_errors, test_token_permissions,
                             test_credentials_directory,
                             test_status_before_any_run,
                             test_empty_optional_paths,
                             test_long_paths_in_messages,
                             test_status_corrupt_state,
                             test_line_limit, test_status_config_spellings,
                             test_state_file_not_regular,
                             test_ghes_spellings_merge,
                             test_daemon_start_errors,
                             test_unreadable_config_and_state_dir]))
