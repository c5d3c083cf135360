#!/usr/bin/env python3
"""The counting commands end to end, on the small fixtures in
tests/data/cli: what `savings` proposes in each format (a second GHEC
account to remove, a primary email to change, a target that has no email
of its own skipped), the spreadsheet formula guard of its CSV, output that
does not depend on input order or thread count, write errors on stdout
(exit 74, and a --report file replaced only when the summary went out),
totals near 2^64 in `diff`, and usage errors.

usage: test_cli.py PATH/TO/headcount"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fault"))
from faults import fault_vars  # noqa: E402
DATA = os.environ.get("HC_TEST_DATA", os.path.join(HERE, "..", "data"))
GHES = os.path.join(DATA, "cli", "ghe-a.json")
GHEC = os.path.join(DATA, "cli", "consumed-licenses.json")
INPUTS = ["--verified-domains", "corp.example", "--ghes", GHES,
          "--ghec", GHEC]
# The same inputs read in the other order, with more threads: key ids
# (which follow the order keys are first met) come out different.
INPUTS_SWAPPED = ["--threads", "2", "--ghec", GHEC,
                  "--verified-domains", "corp.example", "--ghes", GHES]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args, stdout=subprocess.PIPE):
    p = subprocess.run([BIN, *args], stdout=stdout, stderr=subprocess.PIPE)
    out = p.stdout.decode() if p.stdout is not None else ""
    return p.returncode, out, p.stderr.decode()


def test_savings_formats():
    rc, text, err = run("savings", *INPUTS)
    check(rc == 0, f"savings exits 0, got {rc}: {err}")
    check("Potential savings: 3 seats (github 7, extended 4)" in text,
          "savings text: the totals")
    check("Group 1: 2 seats for one person (saving 1), joined by "
          "amy@corp.example. Keep GHEC amy-corp" in text,
          "savings text: the email that makes the group one person")
    check("second GHEC account amy-old" in text,
          "savings text: the second GHEC account is named")
    check("on ghe-a.corp.example suspend nomail (id 7): kim (id 8) on the "
          "same instance already has kim@corp.example" in text,
          "savings text: a second account on the kept one's instance is "
          "suspended, not given an email the instance already has")

    rc, csv, err = run("savings", "--csv", *INPUTS)
    check(rc == 0, f"savings --csv exits 0, got {rc}: {err}")
    want = (
        "group,seats,saving,host,id,login,current_primary_email,"
        "change_primary_email_to,joins,action\n"
        "1,2,1,,,amy-old,,,amy-corp,remove_ghec_account\n"
        "2,2,1,ghe-a.corp.example,5,eve,eve@home.example,"
        "'=cmd@corp.example,eve-corp,change_primary_email\n"
        "3,2,1,ghe-a.corp.example,7,nomail,,,"
        "ghe-a.corp.example:8,suspend_ghes_account\n")
    check(csv == want, "savings --csv rows:\n" + csv)

    rc, js, err = run("savings", "--json", *INPUTS)
    check(rc == 0, f"savings --json exits 0, got {rc}: {err}")
    doc = json.loads(js)
    check(doc["potential_savings"] == 3, "savings --json: potential_savings")
    fixes = [(f["action"], f["account"]["login"],
              f.get("change_primary_email_to"))
             for g in doc["groups"] for f in g["fixes"]]
    check(fixes == [("remove_ghec_account", "amy-old", None),
                    ("change_primary_email", "eve", "=cmd@corp.example"),
                    ("suspend_ghes_account", "nomail", None)],
          f"savings --json fixes: {fixes}")
    shared = [g["shared_email"] for g in doc["groups"]]
    check(shared == ["amy@corp.example", "=cmd@corp.example",
                     "kim@corp.example"], f"savings --json shared: {shared}")
    keeps = [g["keep"]["login"] for g in doc["groups"]]
    check(keeps == ["amy-corp", "eve-corp", "kim"], f"kept: {keeps}")
    same = doc["groups"][2]["fixes"][0].get("same_instance_account", {})
    check(same.get("id") == 8, f"savings --json: the account in the way {same}")
    # Every seat the summary saves is one fix row.
    check(sum(g["saving"] for g in doc["groups"]) == 3,
          "the savings of the groups add up")


def test_order_and_threads():
    for cmd in (["savings", "--json"], ["savings", "--csv"],
                ["explain", "--json", "zed-corp"],
                ["explain", "--json", "amy@corp.example"],
                ["explain", "--json", "--policy", "extended",
                 "ghe-a.corp.example:5"]):
        a = run(*cmd, *INPUTS)
        b = run(*cmd, *INPUTS_SWAPPED)
        check(a[0] == 0 and a[1] != "", f"{' '.join(cmd)}: exit {a[0]}: {a[2]}")
        check(a[0] == b[0] and a[1] == b[1],
              f"{' '.join(cmd)}: the same output for either input order\n"
              f"{a[1]}\n{b[1]}")
    # Hosts and logins compare ignoring ASCII case.
    for query, want in (("GHE-A.corp.example:8", ("kim", 8)),
                        ("KIM", ("kim", 8)), ("Zed-Corp", ("zed-corp", None))):
        rc, out, err = run("explain", "--json", query, *INPUTS)
        check(rc == 0, f"explain {query}: exit {rc}: {err}")
        if rc == 0:
            acc = json.loads(out)["account"]
            got = (acc["login"], acc.get("id"))
            check(got == want, f"explain {query} found {got}, not {want}")
    rc, js, _ = run("explain", "--json", "zed-corp", *INPUTS_SWAPPED)
    emails = [e["key"] for e in json.loads(js)["account"]["emails"]]
    check(emails == ["a.zed@corp.example", "zed@corp.example"],
          f"explain lists verified emails in byte order: {emails}")


def test_stdout_errors(tmp):
    if not os.path.exists("/dev/full"):
        check(False, "write errors: the test needs /dev/full")
        return
    report = os.path.join(tmp, "r.json")
    rc, _, err = run("count", *INPUTS, "--report", report)
    check(rc == 0 and os.path.exists(report), f"count --report: {err}")
    other = os.path.join(tmp, "other.json")
    rc, _, err = run("count", "--ghes", GHES, "--report", other)
    check(rc == 0, f"count --report other: {err}")
    with open(report, "rb") as f:
        before = f.read()
    cases = [["count", *INPUTS], ["count", "--json", *INPUTS],
             ["explain", "kim", *INPUTS], ["savings", *INPUTS],
             ["savings", "--csv", *INPUTS], ["savings", "--json", *INPUTS],
             ["diff", report, other], ["help", "count"],
             # The report must stay as it was: the new one was complete,
             # but the command failed.
             ["count", "--ghes", GHES, "--report", report]]
    # A JSON summary larger than stdout's buffer fails inside the write,
    # before the final flush: still one message, with the cause.
    many = os.path.join(tmp, "many.ndjson")
    with open(many, "w") as f:
        for i in range(300):
            f.write('{"kind":"ghes","source":"ghe-%d.corp.example","id":1,'
                    '"login":"u","primary_email":"u%d@corp.example"}\n'
                    % (i, i))
    cases.append(["count", "--json", "--records", many])
    with open("/dev/full", "wb") as full:
        for args in cases:
            rc, _, err = run(*args, stdout=full)
            check(rc == 74, f"{' '.join(args[:2])} > /dev/full exits 74, "
                  f"got {rc}")
            check(err.count("stdout") == 1 and
                  "No space left on device" in err,
                  f"{' '.join(args[:2])}: one message naming stdout and "
                  f"the cause: {err!r}")
    os.remove(many)
    # Started with standard output closed: the summary cannot be written,
    # which is the same I/O error, and the report stays as it was.
    p = subprocess.run([BIN, "count", "--ghes", GHES, "--report", report],
                       stdout=None, stderr=subprocess.PIPE,
                       preexec_fn=lambda: os.close(1))
    check(p.returncode == 74, f"count >&- exits 74, got {p.returncode}")
    check(b"stdout" in p.stderr, f"count >&-: names stdout: {p.stderr!r}")
    with open(report, "rb") as f:
        check(f.read() == before, "a failed count leaves the report as it was")
    left = sorted(os.listdir(tmp))
    check(left == ["other.json", "r.json"], f"no temporary left: {left}")


def count_waiting_with_report(sub):
    """A count with a report into directory sub, waiting on standard input
    held open, once its temporary report exists: (process, sub's files)."""
    import resource
    import time
    # No core file from the signals that dump one (SIGQUIT, SIGXFSZ).
    p = subprocess.Popen([BIN, "count", "--records", "-", "--report",
                          os.path.join(sub, "r.json")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE,
                         preexec_fn=lambda: resource.setrlimit(
                             resource.RLIMIT_CORE, (0, 0)))
    for _ in range(500):
        if os.listdir(sub):
            break
        time.sleep(0.01)
    return p, os.listdir(sub)


def test_report_killed(tmp):
    """The temporary report exists from before the count; a count killed
    by a signal that ends a process (SIGTERM, SIGINT, SIGHUP, Ctrl-\\'s
    SIGQUIT, SIGXFSZ past a file size limit, SIGPIPE from a pipe closed
    under it, ...) removes it (it may hold clear emails)."""
    import signal
    sub = os.path.join(tmp, "killed")
    os.mkdir(sub)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT,
                signal.SIGXFSZ, signal.SIGPIPE, signal.SIGALRM,
                signal.SIGUSR1, signal.SIGUSR2):
        p, made = count_waiting_with_report(sub)
        p.send_signal(sig)
        p.communicate()
        check(made and made[0].startswith(".headcount-report."),
              f"{sig.name}: temporary report made before the count: {made}")
        check(p.returncode == -sig, f"{sig.name}: died of it: {p.returncode}")
        check(os.listdir(sub) == [], f"{sig.name}: left {os.listdir(sub)}")
    # A name one byte short of the limit is a valid report name; its
    # temporary file is not named after it.
    name = os.path.join(sub, "a" * 250 + ".json")
    rc, _, err = run("count", "--ghes", GHES, "--report", name)
    check(rc == 0 and os.path.exists(name), f"long report name: {rc} {err}")
    os.unlink(name)
    # A path too long for the system is an I/O error, as is a missing
    # directory.
    rc, _, err = run("count", "--ghes", GHES, "--report",
                     os.path.join(tmp, "a/" * 2100 + "r.json"))
    check(rc == 74 and "File name too long" in err,
          f"report path too long: {rc} {err!r}")
    # A missing directory is reported before anything is read.
    rc, out, err = run("count", "--records", "-", "--report",
                       os.path.join(tmp, "no", "r.json"))
    check(rc == 74 and "cannot create" in err and out == "",
          f"missing directory: {rc} {err!r}")
    # So is a report path that is a directory (before: the summary was
    # printed, then the rename failed). A symlink to one is replaced, as
    # any symlink at the report's path.
    dirrep = os.path.join(tmp, "d.json")
    os.mkdir(dirrep)
    rc, out, err = run("count", "--records", "-", "--report", dirrep)
    check(rc == 74 and "Is a directory" in err and out == "",
          f"a directory as report: {rc} {err!r}")
    os.rmdir(dirrep)
    link = os.path.join(tmp, "dirlink.json")
    os.symlink(sub, link)
    rc, out, err = run("count", "--ghes", GHES, "--report", link)
    check(rc == 0 and os.path.isfile(link) and not os.path.islink(link),
          f"a symlink to a directory replaced: {rc} {err!r}")
    os.unlink(link)
    os.rmdir(sub)


def test_report_broken_pipe(tmp):
    """A summary written into a pipe whose reader has gone: with SIGPIPE
    as the shell leaves it the count dies of it (or, if it catches the
    write error instead, exits 74 naming stdout); with SIGPIPE ignored the
    write fails, exit 74. Either way the report is not replaced and no
    temporary report is left."""
    import signal
    sub = os.path.join(tmp, "pipe")
    os.mkdir(sub)
    report = os.path.join(sub, "r.json")
    rc, _, err = run("count", "--ghes", GHES, "--report", report)
    check(rc == 0, f"count --report before the broken pipes: {rc} {err}")
    with open(report, "rb") as f:
        before = f.read()

    def ignore_sigpipe():
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    for pre, codes in ((None, (-signal.SIGPIPE, 74)), (ignore_sigpipe, (74,))):
        for fmt in ([], ["--json"]):
            r, w = os.pipe()
            os.close(r)
            try:
                p = subprocess.run([BIN, "count", *INPUTS, *fmt, "--report",
                                    report], stdout=w, stderr=subprocess.PIPE,
                                   preexec_fn=pre)
            finally:
                os.close(w)
            what = (f"count{''.join(' ' + a for a in fmt)} into a closed "
                    f"pipe, SIGPIPE "
                    f"{'ignored' if pre else 'default'}")
            check(p.returncode in codes, f"{what}: exit {p.returncode}")
            check(p.returncode != 74 or b"stdout" in p.stderr,
                  f"{what}: the message names stdout: {p.stderr!r}")
            check(os.listdir(sub) == ["r.json"],
                  f"{what}: left {os.listdir(sub)}")
            with open(report, "rb") as f:
                check(f.read() == before,
                      f"{what}: the report is left as it was")
    shutil.rmtree(sub)


def fault_env(**faults):
    """os.environ with the fault injector loaded (tests/fault/faults.py),
    or None outside CTest."""
    extra = fault_vars(**faults)
    return None if extra is None else dict(os.environ, **extra)


def test_report_dir_sync_fails(tmp):
    """After the rename, count syncs the report's directory so that the
    rename survives a crash. When that sync fails the report is in place,
    but the count must not claim success: exit 74, naming the report."""
    env = fault_env(HC_FAULT_DIR_FSYNC="1")
    if env is None:
        return
    name = os.path.join(tmp, "synced.json")
    p = subprocess.run([BIN, "count", "--ghes", GHES, "--report", name],
                       env=env, capture_output=True, text=True)
    check(p.returncode == 74, f"directory sync fails: exit {p.returncode}")
    check(name in p.stderr and "cannot be synced to disk" in p.stderr,
          f"directory sync fails: says so: {p.stderr!r}")
    check(os.path.exists(name), "directory sync fails: report in place")
    os.unlink(name)
    # The injector alone, with no fault chosen, changes nothing.
    p = subprocess.run([BIN, "count", "--ghes", GHES, "--report", name],
                       env=fault_env(), capture_output=True, text=True)
    check(p.returncode == 0 and os.path.exists(name),
          f"no fault: exit {p.returncode} {p.stderr!r}")
    os.unlink(name)


def test_long_path_in_error(tmp):
    """An error names the file by its whole path, however long."""
    d = os.path.join(tmp, *(c * 200 for c in "pqr"))
    os.makedirs(d)
    bad = os.path.join(d, "bad.csv")
    with open(bad, "w") as f:
        f.write("id,login,email,suspended?\n1,ann,ann@corp.example,maybe\n")
    rc, out, err = run("count", "--ghes", "h.example=" + bad)
    check(rc == 65 and f"headcount: {bad}:2:" in err,
          f"a {len(bad)}-byte path named whole: {rc} {err!r}")
    shutil.rmtree(os.path.join(tmp, "p" * 200))


def test_unmappable_input(tmp):
    """A file on a file system that cannot map files is read instead: the
    same count, not an I/O error."""
    env = fault_env(HC_FAULT_MMAP_FILE="1")
    if env is None:
        return
    want = run("count", *INPUTS, "--json")
    p = subprocess.run([BIN, "count", *INPUTS, "--json"], env=env,
                       capture_output=True, text=True)
    check(p.returncode == 0 and want[0] == 0,
          f"unmappable inputs: exit {p.returncode} {p.stderr!r}")
    strip = re.compile(r'"elapsed_ms":\d+')
    check(strip.sub("", p.stdout) == strip.sub("", want[1]),
          f"unmappable inputs: same summary: {p.stdout!r} {want[1]!r}")


def test_bus_error(tmp):
    """A mapped input that shrinks while it is read raises SIGBUS: the count
    says so, exits 74 and leaves no temporary report. The signal is sent
    here while the count waits on standard input (a real truncation is a
    race a test cannot time)."""
    import signal
    sub = os.path.join(tmp, "bus")
    os.mkdir(sub)
    p, _ = count_waiting_with_report(sub)
    p.send_signal(signal.SIGBUS)
    _, err = p.communicate()
    check(p.returncode == 74, f"SIGBUS: exit {p.returncode}")
    check(b"shrank while being read" in err, f"SIGBUS: message {err!r}")
    check(os.listdir(sub) == [], f"SIGBUS: left {os.listdir(sub)}")
    shutil.rmtree(sub, ignore_errors=True)


def test_all_rows_malformed(tmp):
    """--skip-malformed skips bad rows, but an input whose every row is bad
    is an error: it is another kind of file, and a count without it would
    look complete."""
    bad = os.path.join(tmp, "allbad.csv")
    with open(bad, "w") as f:
        f.write("created_at,id,login,email,role,suspended?\n"
                "2020,x,a,a@corp.example,user,false\n"
                "2020,y,b,b@corp.example,user,false\n")
    rc, out, err = run("count", "--skip-malformed", "-q", "--ghes",
                       "h.example=" + bad, "--ghes", GHES, "--json")
    check(rc == 65 and "every row (2) is malformed" in err and out == "",
          f"all rows malformed: {rc} {err!r}")
    # The same for NDJSON records (lines) and consumed-licenses pages
    # (users).
    nd = os.path.join(tmp, "allbad.ndjson")
    with open(nd, "w") as f:
        f.write('{"kind":"ghes","source":"h.example","login":"a"}\n'
                '{"kind":"nope"}\n')
    pages = os.path.join(tmp, "allbad-ghec.json")
    with open(pages, "w") as f:
        json.dump({"users": [{"github_com_login": "a",
                              "github_com_user": "maybe"}]}, f)
    for flag, path, n in (("--records", nd, 2), ("--ghec", pages, 1)):
        rc, out, err = run("count", "--skip-malformed", "-q", flag, path)
        check(rc == 65 and f"every row ({n}) is malformed" in err,
              f"all rows malformed ({flag}): {rc} {err!r}")
    # One good row is enough for the rest to be skipped rows.
    with open(bad, "a") as f:
        f.write("2020,3,c,c@corp.example,user,false\n")
    rc, out, err = run("count", "--skip-malformed", "--ghes",
                       "h.example=" + bad, "--json")
    check(rc == 0 and json.loads(out)["rejected_rows"] == 2,
          f"some rows malformed: {rc} {err!r}")


def test_skip_malformed_messages(tmp):
    """--skip-malformed names on stderr the first malformed row of each
    input, as FILE:LINE:COLUMN and why, and no other; --quiet (-q) prints
    nothing, and the rows are skipped all the same."""
    head = "created_at,id,login,email,role,suspended?\n"
    files = {
        # (rows after the header, line and bad value of the first bad one)
        "skip-a.csv": (["2020,1,a,a@corp.example,user,false",
                        "2020,x1,b,b@corp.example,user,false",
                        "2020,x2,c,c@corp.example,user,false",
                        "2020,4,d,d@corp.example,user,false"], 3, "x1"),
        "skip-b.csv": (["2020,1,e,e@corp.example,user,false",
                        "2020,2,f,f@corp.example,user,false",
                        "2020,3,g,g@corp.example,user,maybe",
                        "2020,4,h,h@corp.example,user,nope"], 4, "maybe"),
    }
    args = ["count", "--json", "--skip-malformed"]
    want = []
    for i, (name, (rows, line, value)) in enumerate(files.items()):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(head + "".join(r + "\n" for r in rows))
        args += ["--ghes", "h%d.example=%s" % (i, path)]
        column = rows[line - 2].index(value) + 1
        want.append((f"headcount: {path}:{line}:{column}: ", value))
    rc, out, err = run(*args)
    check(rc == 0 and json.loads(out)["rejected_rows"] == 4,
          f"--skip-malformed: exit {rc}: {err!r}")
    lines = err.splitlines()
    check(len(lines) == 2, f"--skip-malformed: one line per input: {err!r}")
    for where, value in want:
        named = [ln for ln in lines if ln.startswith(where)]
        check(len(named) == 1 and value in named[0][len(where):],
              f"--skip-malformed names {where!r} and why: {err!r}")
    for quiet in ("-q", "--quiet"):
        rc, out, err = run(*args, quiet)
        check(rc == 0 and err == "" and json.loads(out)["rejected_rows"] == 4,
              f"--skip-malformed {quiet}: exit {rc}, stderr {err!r}")
    for name in files:
        os.unlink(os.path.join(tmp, name))


def test_shared_host_warning(tmp):
    """Two files given one host count rows with the same id as one
    account: allowed, but said on stderr (not with --quiet)."""
    copy = os.path.join(tmp, "ghe-b.json")
    with open(GHES, "rb") as f, open(copy, "wb") as g:
        g.write(f.read())
    args = ["count", "--ghes", "h.example=" + GHES, "--ghes",
            "H.EXAMPLE.=" + copy]
    rc, _, err = run(*args)
    check(rc == 0 and "warning: --ghes H.EXAMPLE.= names two files" in err,
          f"shared host warning: {rc} {err!r}")
    rc, _, err = run(*args, "--quiet")
    check(rc == 0 and err == "", f"--quiet: no warning: {err!r}")
    rc, _, err = run("count", "--ghes", "h.example=" + GHES, "--ghes",
                     "h.example=" + GHES)
    check(rc == 0 and "warning" not in err,
          f"one file given twice is no slip: {err!r}")
    os.unlink(copy)


def test_big_numbers(tmp):
    """2^64 and 1e400 are JSON numbers simdjson cannot represent: in a
    field nobody reads they are accepted, in 'id' a row error, and a
    malformed number stays a syntax error."""
    big = '"n1":18446744073709551616,"n2":1e400,"n3":-1.5E-999'
    files = {
        "big-ghes.json": ('--ghes', '{"host_name":"h.example","users":[{"id":1,'
                          '"login":"a","primary_email":"a@x.example",'
                          + big + '}]}'),
        "big.ndjson": ('--records', '{"kind":"ghes","source":"h","id":1,'
                       '"login":"a","primary_email":"a@x.example",'
                       + big + '}\n'),
        "big-ghec.json": ('--ghec', '{"total_seats_consumed":1,' + big +
                          ',"users":[{"github_com_login":"a",'
                          '"github_com_user":true,' + big + '}]}'),
    }
    for name, (flag, text) in files.items():
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        rc, out, err = run("count", "--json", flag, path)
        check(rc == 0 and json.loads(out)["total_seats_consumed"] == 1,
              f"{name}: big numbers in other fields: {rc} {err!r}")
        os.unlink(path)
    path = os.path.join(tmp, "bad-number.json")
    with open(path, "w") as f:
        f.write('{"host_name":"h.example","users":[{"id":1,"login":"a",'
                '"x":01}]}')
    rc, _, err = run("count", "--ghes", path)
    check(rc == 65 and "malformed JSON number" in err,
          f"leading zero: syntax error: {rc} {err!r}")
    os.unlink(path)


def test_explain_extended_links(tmp):
    """Under policy extended each account names the key it shares with an
    account one step closer to the person's founder: u1 reaches the GHEC
    account through zz@, u2 reaches u1 through aa@ (which the GHEC account
    does not have)."""
    path = os.path.join(tmp, "links.ndjson")
    with open(path, "w") as f:
        f.write('{"kind":"ghec","login":"g","verified_emails":'
                '["zz@corp.example"],"licensed":true}\n'
                '{"kind":"ghes","source":"h2","id":1,"login":"u1",'
                '"primary_email":"aa@home.example","emails":'
                '["zz@corp.example"]}\n'
                '{"kind":"ghes","source":"h1","id":2,"login":"u2",'
                '"primary_email":"aa@home.example"}\n')
    rc, out, err = run("explain", "--policy", "extended", "--records", path,
                       "--json", "h1:2")
    doc = json.loads(out) if rc == 0 else {}
    got = [(a["rule"], a["key"], a.get("joined_with"))
           for a in doc.get("person", {}).get("accounts", [])]
    check(got == [("self", None, None),
                  ("shared_email", "aa@home.example", "h2:1"),
                  ("shared_email", "zz@corp.example", "g")],
          f"explain extended links: {got} {err!r}")
    check(doc.get("account", {}).get("joined_with") == "h2:1",
          f"the queried account's link: {doc.get('account')}")
    rc, out, err = run("explain", "--policy", "extended", "--records", path,
                       "g")
    check("(key zz@corp.example, shared with GHEC g)" in out,
          f"explain extended text: {out!r}")
    # An account that counts for nothing joined nobody.
    with open(path, "a") as f:
        f.write('{"kind":"ghes","source":"h1","id":3,"login":"ghost",'
                '"primary_email":"aa@home.example"}\n')
    rc, out, err = run("explain", "--records", path, "--json", "ghost")
    acct = json.loads(out)["account"] if rc == 0 else {}
    check(acct.get("counted") is False and acct.get("rule", "") is None and
          acct.get("key", "") is None, f"uncounted: rule null: {out!r}")
    # Under policy github the rules are GitHub's own: no links.
    rc, out, err = run("explain", "--records", path, "--json", "h1:2")
    check(rc == 0 and "joined_with" not in out, f"github: no links: {out!r}")
    os.unlink(path)


def test_savings_instance_claims(tmp):
    """One email per instance: two accounts of one person on an instance
    are not both given the kept email; an account that already has the
    email takes it, and the one that would be refused is suspended."""
    cases = {
        # GHEC other links old and new on h1; keep (SAML) has only v@.
        "same-person.ndjson": (
            [{"kind": "ghec", "login": "keep",
              "verified_emails": ["v@corp.example"],
              "identity_values": ["v@corp.example"], "licensed": True},
             {"kind": "ghec", "login": "other",
              "verified_emails": ["l1@corp.example", "l2@corp.example",
                                  "v@corp.example"], "licensed": True},
             {"kind": "ghes", "source": "h1", "id": 5, "login": "old",
              "primary_email": "l1@corp.example"},
             {"kind": "ghes", "source": "h1", "id": 6, "login": "new",
              "primary_email": "l2@corp.example"}],
            [("", "", "other", "", "remove_ghec_account"),
             ("h1", "5", "old", "v@corp.example", "change_primary_email"),
             ("h1", "6", "new", "", "suspend_ghes_account")]),
        # a2 on h1 already has v@ (not as primary): a1, first in group
        # order, would be refused it.
        "holder-later.ndjson": (
            [{"kind": "ghec", "login": "k",
              "verified_emails": ["v@corp.example"], "licensed": True},
             {"kind": "ghes", "source": "h1", "id": 1, "login": "a1",
              "primary_email": "p@home.example"},
             {"kind": "ghes", "source": "h1", "id": 2, "login": "a2",
              "primary_email": "q@corp.example",
              "emails": ["q@corp.example", "v@corp.example"]},
             {"kind": "ghes", "source": "h2", "id": 1, "login": "a",
              "primary_email": "p@home.example",
              "emails": ["p@home.example", "v@corp.example"]}],
            [("h1", "1", "a1", "", "suspend_ghes_account"),
             ("h2", "1", "a", "v@corp.example", "change_primary_email"),
             ("h1", "2", "a2", "v@corp.example", "change_primary_email")]),
        # A suspended account on h1 still has the kept email: GHES would
        # refuse it to mona (id 9) until it gives it up.
        "suspended-holder.ndjson": (
            [{"kind": "ghec", "login": "mona",
              "verified_emails": ["mona@corp.example"],
              "identity_values": ["mona@corp.example"], "licensed": True},
             {"kind": "ghes", "source": "h1", "id": 7, "login": "mona-old",
              "primary_email": "mona@corp.example", "suspended": True},
             {"kind": "ghes", "source": "h1", "id": 9, "login": "mona",
              "primary_email": "mona@home.example"},
             {"kind": "ghes", "source": "h2", "id": 3, "login": "mona",
              "primary_email": "mona@home.example",
              "emails": ["mona@home.example", "mona@corp.example"]}],
            [("h1", "7", "mona-old", "mona@corp.example", "free_email"),
             ("h1", "9", "mona", "mona@corp.example", "change_primary_email"),
             ("h2", "3", "mona", "mona@corp.example",
              "change_primary_email")]),
    }
    for name, (recs, want) in cases.items():
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            for rec in recs:
                f.write(json.dumps(rec) + "\n")
        rc, csv, err = run("savings", "--csv", "--records", path)
        rows = [line.split(",") for line in csv.splitlines()[1:]]
        got = [(r[3], r[4], r[5], r[7], r[9]) for r in rows]
        check(rc == 0 and got == want, f"{name}: {rc} {got} {err!r}")
        if name == "suspended-holder.ndjson":
            # The email is mona-old's primary: it cannot be removed, only
            # replaced.
            rc, text, err = run("savings", "--records", path)
            check("on h1 give mona-old (id 7, suspended, counts for no "
                  "seat) another primary email than mona@corp.example" in
                  text, f"free_email of a primary: {text!r}")
        os.unlink(path)


def test_diff_totals(tmp):
    """Totals near 2^64 print as they are, with a signed change."""
    old = os.path.join(tmp, "big.json")
    new = os.path.join(tmp, "none.json")
    with open(old, "w") as f:
        f.write('{"total_seats_consumed": 18446744073709551615, "users": []}')
    with open(new, "w") as f:
        f.write('{"total_seats_consumed": 0, "users": []}')
    rc, out, err = run("diff", old, new)
    check(rc == 1, f"diff of different totals exits 1, got {rc}: {err}")
    check("seats 18446744073709551615 -> 0 (-18446744073709551615)" in out,
          f"diff text totals: {out!r}")
    rc, out, err = run("diff", "--json", new, old)
    doc = json.loads(out)
    check(doc["seat_change"] == 18446744073709551615 and
          doc["old_seats"] == 0, f"diff --json totals: {out!r}")
    rc, out, err = run("diff", "--json", old, new)
    check(json.loads(out)["seat_change"] == -18446744073709551615,
          f"diff --json negative change: {out!r}")
    # A document without "users" is known only at its end: named at its
    # start, without the truncated-file wording of a cut report.
    nousers = os.path.join(tmp, "nousers.json")
    with open(nousers, "w") as f:
        f.write('{"total_seats_consumed": 3}\n')
    rc, out, err = run("diff", nousers, new)
    check(rc == 65 and nousers + ':1:1: no "users" array' in err and
          "truncated" not in err, f"diff without users: {rc} {err!r}")
    # A CSV report cannot be read back: the message says JSON is needed.
    csv = os.path.join(tmp, "report.csv")
    with open(csv, "w") as f:
        f.write("github_com_login,github_com_user\n")
    rc, out, err = run("diff", csv, new)
    check(rc == 65 and "not CSV" in err, f"diff of a CSV report: {rc} {err!r}")
    os.unlink(nousers)
    os.unlink(csv)
    os.unlink(old)
    os.unlink(new)


def test_diff_changes(tmp):
    """A changed person shows the accounts it had and has; reports counted
    under two policies are compared with a warning."""
    old = os.path.join(tmp, "old.json")
    new = os.path.join(tmp, "new.json")
    with open(old, "w") as f:
        json.dump({"total_seats_consumed": 1, "policy": "github", "users": [
            {"github_com_login": "amy",
             "enterprise_server_user_ids": ["ghe.x:5"]}]}, f)
    with open(new, "w") as f:
        json.dump({"total_seats_consumed": 1, "policy": "extended",
                   "users": [{"github_com_login": "amy",
                              "enterprise_server_user_ids": ["ghe.x:6"]}]}, f)
    rc, out, err = run("diff", old, new)
    check(rc == 1 and "~ amy (amy, ghe.x:5) -> (amy, ghe.x:6)\n" in out,
          f"diff changed line: {rc} {out!r}")
    check("counted under policy github" in err and "policy extended" in err,
          f"diff warns of two policies: {err!r}")
    rc, out, err = run("diff", "--json", old, new)
    ch = json.loads(out)["changes"][0] if rc == 1 else {}
    check(ch.get("accounts") == ["amy", "ghe.x:6"] and
          ch.get("old_accounts") == ["amy", "ghe.x:5"],
          f"diff --json changed: {out!r}")
    rc, out, err = run("diff", old, old)
    check(rc == 0 and err == "", f"diff of one policy: no warning: {err!r}")
    os.unlink(old)
    os.unlink(new)


def test_diff_groups(tmp):
    """Persons of the two reports that share an account are compared with
    each other: license sync matching a GHES-only person to a GHEC login is
    one change, not one added and one removed; a user GitHub's pages list
    twice is one person."""
    old = os.path.join(tmp, "g-old.json")
    new = os.path.join(tmp, "g-new.json")
    ghes5 = {"github_com_login": None,
             "enterprise_server_user_ids": ["ghe.x:5", "ghe.x:9"]}
    with open(old, "w") as f:
        f.write(json.dumps({"users": [ghes5, {"github_com_login": "mona"},
                                      {"github_com_login": "carl"}]}) +
                "\n" + json.dumps({"users": [{"github_com_login": "carl"}]}))
    with open(new, "w") as f:
        json.dump({"users": [{"github_com_login": "mona",
                              "enterprise_server_user_ids": ["ghe.x:9",
                                                             "ghe.x:5"]},
                             {"github_com_login": "carl"}]}, f)
    rc, out, err = run("diff", old, new)
    want = ("~ mona (ghe.x:5, ghe.x:9), (mona) -> (mona, ghe.x:5, ghe.x:9)"
            " [2 persons -> 1]\n"
            "0 added, 0 removed, 1 changed; seats 3 -> 2 (-1)\n")
    check(rc == 1 and out == want, f"diff merge: {rc} {out!r} {err!r}")
    rc, out, err = run("diff", "--json", new, old)
    doc = json.loads(out) if rc == 1 else {}
    check(doc.get("changes") == [{
        "change": "changed", "person": "ghe.x:5",
        "accounts": ["ghe.x:5", "ghe.x:9", "mona"],
        "old_accounts": ["mona", "ghe.x:5", "ghe.x:9"],
        "old_persons": 1, "new_persons": 2}] and doc.get("changed") == 1 and
          doc.get("added") == 0 and doc.get("removed") == 0,
          f"diff --json split: {out!r}")
    # The same report with carl listed twice: nothing changed.
    rc, out, err = run("diff", old, old)
    check(rc == 0 and out.startswith("0 added, 0 removed, 0 changed"),
          f"diff of a report with a repeated user: {out!r}")
    # One account under two persons of a report (a hand-edited file, or a
    # user repeated with other ids): the same report is still no change,
    # and a change lists the shared account once.
    share = os.path.join(tmp, "g-share.json")
    with open(share, "w") as f:
        json.dump({"users": [
            {"github_com_login": "alice", "enterprise_server_user_ids": ["h:1"]},
            {"github_com_login": "bob", "enterprise_server_user_ids": ["h:1"]}]},
            f)
    rc, out, err = run("diff", share, share)
    check(rc == 0 and out.startswith("0 added, 0 removed, 0 changed"),
          f"diff of a report sharing an account: {rc} {out!r}")
    one = os.path.join(tmp, "g-one.json")
    with open(one, "w") as f:
        json.dump({"users": [{"github_com_login": "alice",
                              "enterprise_server_user_ids": ["h:1"]}]}, f)
    rc, out, err = run("diff", "--json", share, one)
    doc = json.loads(out) if rc == 1 else {}
    check(doc.get("changes") == [{
        "change": "changed", "person": "alice", "accounts": ["alice", "h:1"],
        "old_accounts": ["alice", "h:1", "bob"], "old_persons": 2,
        "new_persons": 1}], f"diff --json: each account once: {out!r}")
    # A GHEC login spelled like a host:id (an identity provider's login in
    # NDJSON records may be) is not that GHES account: two persons that
    # share no account, one removed and one added.
    with open(one, "w") as f:
        json.dump({"users": [{"github_com_login": "h:1"}]}, f)
    with open(share, "w") as f:
        json.dump({"users": [{"github_com_login": None,
                              "enterprise_server_user_ids": ["h:1"]}]}, f)
    rc, out, err = run("diff", one, share)
    check(rc == 1 and out.endswith("1 added, 1 removed, 0 changed; "
                                   "seats 1 -> 1 (+0)\n"),
          f"diff of a login and a host:id of the same bytes: {rc} {out!r}")
    # A user with neither a login nor a host:id (a Visual Studio
    # subscriber without a GitHub.com account) matches nobody: diff
    # compares how many there are, even when the totals agree.
    vs = {"github_com_login": None, "github_com_user": False,
          "enterprise_server_user_ids": [],
          "visual_studio_subscription_user": True}
    with open(one, "w") as f:
        json.dump({"total_seats_consumed": 2, "users": [
            {"github_com_login": "mona"}]}, f)
    with open(share, "w") as f:
        json.dump({"total_seats_consumed": 2, "users": [
            {"github_com_login": "mona"}, vs]}, f)
    rc, out, err = run("diff", one, share)
    check(rc == 1 and out == "0 added, 0 removed, 0 changed; seats 2 -> 2 "
          "(+0); users without a login or host:id 0 -> 1\n",
          f"diff of a user without ids: {rc} {out!r}")
    rc, out, err = run("diff", "--json", share, one)
    doc = json.loads(out) if rc == 1 else {}
    check(doc.get("old_unnamed") == 1 and doc.get("new_unnamed") == 0 and
          doc.get("changes") == [], f"diff --json of a user without ids: {out!r}")
    rc, out, err = run("diff", share, share)
    check(rc == 0 and out == "0 added, 0 removed, 0 changed; seats 2 -> 2 "
          "(+0); users without a login or host:id 1 -> 1\n",
          f"diff of a report with a user without ids: {rc} {out!r}")
    os.unlink(share)
    os.unlink(one)
    os.unlink(old)
    os.unlink(new)


def diff_reference(old_users, new_users):
    """What diff must find, from the documented rules alone: persons are
    the id sets of the users (identical ones once); persons of the two
    reports sharing an id form a group; a group on one side only is
    persons added or removed, a group with the same persons on both sides
    no change, any other group one change."""
    def persons(users):
        out = set()
        for u in users:
            ids = set(u.get("headcount_github_com_logins") or [])
            if u.get("github_com_login"):
                ids.add(u["github_com_login"])
            ids |= set(u.get("enterprise_server_user_ids") or [])
            ids.discard("")
            if ids:
                out.add(frozenset(ids))
        return list(out)
    olds, news = persons(old_users), persons(new_users)
    nodes = [("o", p) for p in olds] + [("n", p) for p in news]
    parent = list(range(len(nodes)))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x
    owner = {}
    for i, (_, p) in enumerate(nodes):
        for a in p:
            if a in owner:
                parent[find(i)] = find(owner[a])
            else:
                owner[a] = i
    groups = {}
    for i in range(len(nodes)):
        groups.setdefault(find(i), []).append(nodes[i])
    added = removed = 0
    changed = set()
    for g in groups.values():
        o = [p for side, p in g if side == "o"]
        n = [p for side, p in g if side == "n"]
        if not o:
            added += len(n)
        elif not n:
            removed += len(o)
        elif sorted(map(sorted, o)) != sorted(map(sorted, n)):
            changed.add((frozenset().union(*n), frozenset().union(*o),
                         len(o), len(n)))
    return added, removed, changed


def test_diff_random(tmp):
    """diff against diff_reference on random pairs of small reports drawn
    from a few logins and host:ids, so that persons share accounts, merge,
    split and repeat."""
    import random
    seed = int(os.environ.get("HC_TEST_SEED", "20261207"))
    rng = random.Random(seed)
    logins = ["amy", "bob", "cy", "dee"]
    hostids = ["h1:1", "h1:2", "h2:1", "h2:7"]

    def report():
        users = []
        for _ in range(rng.randint(0, 6)):
            u = {"github_com_login": rng.choice(logins + [None, None]),
                 "enterprise_server_user_ids":
                     rng.sample(hostids, rng.randint(0, 2))}
            if rng.random() < 0.2:
                u["headcount_github_com_logins"] = [rng.choice(logins)]
            users.append(u)
        return {"users": users}
    a_path = os.path.join(tmp, "ra.json")
    b_path = os.path.join(tmp, "rb.json")
    for case in range(150):
        a, b = report(), report()
        if case % 3 == 0:
            # The same users in another order, one maybe repeated: no
            # change, even where two persons of it share an account.
            b = {"users": list(a["users"])}
            rng.shuffle(b["users"])
            if b["users"] and rng.random() < 0.5:
                b["users"].append(rng.choice(b["users"]))
        with open(a_path, "w") as f:
            json.dump(a, f)
        with open(b_path, "w") as f:
            json.dump(b, f)
        rc, out, err = run("diff", "--json", a_path, b_path)
        want = diff_reference(a["users"], b["users"])
        if rc not in (0, 1):
            check(False, f"seed {seed} case {case}: exit {rc}: {err}")
            break
        doc = json.loads(out)
        got_changed = {(frozenset(c["accounts"]), frozenset(c["old_accounts"]),
                        c.get("old_persons", 1), c.get("new_persons", 1))
                       for c in doc["changes"] if c["change"] == "changed"}
        # Each account of a change is listed once.
        if any(len(set(c[k])) != len(c[k]) for c in doc["changes"]
               for k in ("accounts", "old_accounts") if k in c):
            got_changed.add("an account listed twice")
        got = (doc["added"], doc["removed"], got_changed)
        if got != want or doc["changed"] != len(want[2]) or \
                rc != (1 if doc["changes"] or
                       doc["old_seats"] != doc["new_seats"] else 0):
            check(False, f"seed {seed} case {case}: diff {got}, reference "
                  f"{want}\nOLD {json.dumps(a)}\nNEW {json.dumps(b)}")
            break
    os.unlink(a_path)
    os.unlink(b_path)


def test_savings_random(tmp):
    """savings' plan on random small enterprises, applied to the records
    and counted again, must bill what policy extended counts (the savings
    it promised), and leave no email on two active accounts of one
    instance (GHES would refuse such a plan). Emails are unique per
    instance, as GHES keeps them."""
    import random
    seed = int(os.environ.get("HC_TEST_SEED", "20261207"))
    rng = random.Random(seed)
    pool = ["e%d@x.example" % i for i in range(6)]
    path = os.path.join(tmp, "sav.ndjson")
    for case in range(200):
        recs = []
        for g in range(rng.randint(0, 3)):
            recs.append({"kind": "ghec", "login": "g%d" % g,
                         "verified_emails": rng.sample(pool, rng.randint(0, 3)),
                         "identity_values": rng.sample(pool,
                                                       rng.randint(0, 1)),
                         "licensed": True})
        for host in ("h1", "h2"):
            free = list(pool)
            rng.shuffle(free)
            for uid in range(rng.randint(0, 4)):
                mine = [free.pop() for _ in range(min(len(free),
                                                      rng.randint(0, 2)))]
                recs.append({"kind": "ghes", "source": host, "id": uid + 3,
                             "login": "u%d" % uid,
                             "primary_email": mine[0] if mine else "n/a",
                             "emails": mine[1:],
                             "suspended": rng.random() < 0.15})
        if not recs:
            continue
        with open(path, "w") as f:
            f.write("".join(json.dumps(r) + "\n" for r in recs))
        rc, out, err = run("savings", "--json", "--records", path)
        if rc != 0:
            check(False, f"seed {seed} case {case}: savings exit {rc}: {err}")
            break
        plan = json.loads(out)

        def find(acct):
            for r in recs:
                if r["kind"] == acct["kind"] and (
                        (r["kind"] == "ghec" and r["login"] == acct["login"])
                        or (r["kind"] == "ghes" and
                            r["source"] == acct["source"] and
                            r["id"] == acct["id"])):
                    return r
            return None
        for grp in plan["groups"]:
            for fix in grp["fixes"]:
                r = find(fix["account"])
                act = fix["action"]
                if act == "change_primary_email":
                    r["primary_email"] = fix["change_primary_email_to"]
                elif act == "remove_ghec_account":
                    recs.remove(r)
                elif act == "suspend_ghes_account":
                    r["suspended"] = True
                elif act == "free_email":
                    r["emails"] = [e for e in r["emails"]
                                   if e != fix["email"]]
                    if r["primary_email"] == fix["email"]:
                        r["primary_email"] = "n/a"
        with open(path, "w") as f:
            f.write("".join(json.dumps(r) + "\n" for r in recs))
        rc, out, err = run("count", "--json", "--records", path)
        seats = json.loads(out)["total_seats_consumed"] if rc == 0 else -1
        if not recs or (rc == 65 and "empty input" in err):
            seats = 0
        clash = None
        for host in ("h1", "h2"):
            held = {}
            for r in recs:
                if r["kind"] != "ghes" or r["source"] != host:
                    continue
                for e in set([r["primary_email"]] + r["emails"]):
                    if e != "n/a" and e in held:
                        clash = (host, e, held[e], r["id"])
                    held[e] = r["id"]
        if seats != plan["extended_seats"] or clash:
            check(False, f"seed {seed} case {case}: after the plan "
                  f"{seats} seats, extended {plan['extended_seats']}; "
                  f"clash {clash}\nplan {json.dumps(plan['groups'])}")
            break
    os.unlink(path)


def test_skipped_user_emails(tmp):
    """A user rejected under --skip-malformed lends its emails to nobody."""
    ghec = os.path.join(tmp, "skip-ghec.json")
    ghes = os.path.join(tmp, "skip-ghes.json")
    with open(ghec, "w") as f:
        f.write('{"users":[{"github_com_login":"x","github_com_user":"yes",'
                '"github_com_verified_domain_emails":["alice@corp.example"]},'
                '{"github_com_login":"mallory","github_com_user":true}]}')
    with open(ghes, "w") as f:
        f.write('{"host_name":"h.example","users":[{"id":"x1","login":"a",'
                '"emails":["bob@corp.example"]},{"id":2,"login":"bob",'
                '"primary_email":"bob@corp.example"},{"id":3,"login":"alice",'
                '"primary_email":"alice@corp.example"}]}')
    rc, out, err = run("count", "--json", "--quiet", "--skip-malformed",
                       "--policy", "extended", "--ghec", ghec, "--ghes", ghes)
    check(rc == 0, f"count --skip-malformed: exit {rc}: {err}")
    doc = json.loads(out)
    # mallory, bob and alice: three persons under either policy.
    check(doc["github_seats"] == 3 and doc["extended_seats"] == 3 and
          doc["rejected_rows"] == 2, f"skipped users' emails: {out}")
    os.unlink(ghec)
    os.unlink(ghes)


def test_usage(tmp):
    key = os.path.join(tmp, "newline.key")
    with open(key, "w") as f:
        f.write("\n")
    os.chmod(key, 0o600)
    big = os.path.join(tmp, "big.key")
    with open(big, "wb") as f:
        f.write(b"k" * 4097 + b"\n")
    os.chmod(big, 0o600)
    vd_bad = os.path.join(tmp, "vd-bad.txt")
    with open(vd_bad, "w") as f:
        f.write("# ours\ncorp.example\n  bad..example  # typo\n")
    # Bytes that are not UTF-8 are shown escaped, never passed to the
    # terminal; a well-formed non-ASCII name is shown as it is.
    vd_bytes = os.path.join(tmp, "vd-bytes.txt")
    with open(vd_bytes, "wb") as f:
        f.write(b"corp.example\nb\xffad\xc3.b\xc3\xbccher..example\n")
    for args, code, words in (
            (["count", *INPUTS, "--report", os.path.join(tmp, "p.json"),
              "--pseudonymize", big], 65, "larger than 4096 bytes"),
            (["count", *INPUTS, "--report"], 64, "needs a value"),
            (["count", *INPUTS, "--pseudonymize", "k"], 64, "--report"),
            (["count", *INPUTS, "--verified-domains", "x.example"], 64,
             "twice"),
            (["explain", *INPUTS, ""], 64, "QUERY is empty"),
            (["count", "--ghes", GHES, "--verified-domains", ""], 64,
             "no domain given"),
            (["count", "--ghes", GHES, "--verified-domains", " , "], 64,
             "no domain given"),
            (["count", "--ghes", GHES, "--verified-domains",
              "corp.example,x y..z"], 64,
             "--verified-domains: y..z is not a valid domain (entry 3)"),
            (["count", "--ghes", GHES, "--verified-domains", "@" + vd_bad],
             65, vd_bad + ":3: bad..example is not a valid domain (entry 2)"),
            (["count", "--ghes", GHES, "--verified-domains", "@" + vd_bytes],
             65, vd_bytes + ":2: b\\xffad\\xc3.b\u00fccher..example is not "
             "a valid domain (entry 2)"),
            (["count", "--ghes", "h.example=-", "--ghec", "-"], 64,
             "given twice"),
            # Settings are given once; the last one winning would run
            # under a policy, or without a report, not asked for.
            (["count", *INPUTS, "--policy", "github", "--policy",
              "extended"], 64, "--policy given twice"),
            (["count", *INPUTS, "--threads", "1", "--threads", "2"], 64,
             "--threads given twice"),
            # Digits only, as in a config.
            (["count", *INPUTS, "--threads", "+3"], 64,
             "--threads takes a number"),
            (["count", *INPUTS, "--threads", " 3"], 64,
             "--threads takes a number"),
            (["count", *INPUTS, "--report", os.path.join(tmp, "p.json"),
              "--report", os.path.join(tmp, "p.csv")], 64,
             "--report given twice"),
            (["count", *INPUTS, "--report", os.path.join(tmp, "p.json"),
              "--pseudonymize", key, "--pseudonymize", key], 64,
             "--pseudonymize given twice"),
            (["diff", "-", "-"], 64, "standard input ('-') given twice"),
            (["sync", "--config", "a.ini", "--config=b.ini"], 64,
             "--config given twice"),
            # The config's rule for host names: a ':' would make HOST:ID
            # ambiguous.
            (["count", "--ghes", "ghe.example:8443=" + GHES], 64,
             "not a host name"),
            (["count", "--ghes", "bad host!=" + GHES], 64,
             "not a host name"),
            # An empty HOST is a mistake, not a file named "=...".
            (["count", "--ghes", "=" + GHES], 64, "empty HOST"),
            (["count", *INPUTS, "--report", os.path.join(tmp, "p.json"),
              "--pseudonymize", key], 65, "is empty")):
        rc, out, err = run(*args)
        check(rc == code, f"{args[-2:]}: exit {code}, got {rc}")
        check(words in err, f"{args[-2:]}: message {err!r}")
        check(out == "", f"{args[-2:]}: nothing on stdout")
    check(not os.path.exists(os.path.join(tmp, "p.json")),
          "no report after a bad key file")
    os.unlink(key)
    os.unlink(big)


def test_exit_statuses(tmp):
    """The documented exit status of explain without a match, of a second
    QUERY, a diff of a missing file, savings asked for two formats, the
    HOST of --ghes HOST=PATH, and an input file that cannot be read."""
    missing = os.path.join(tmp, "no-such-report.json")
    report = os.path.join(tmp, "exit.json")
    rc, _, err = run("count", "--ghes", GHES, "--report", report)
    check(rc == 0, f"count --report: {rc} {err}")
    # The longest host name, 253 bytes, and one byte more.
    h253 = ".".join(["h" * 63] * 3 + ["e" * 61])
    h254 = h253 + "e"
    for args, code, words in (
            (["explain", "--json", *INPUTS, "nobody@corp.example"], 1,
             "no account matches 'nobody@corp.example'"),
            (["explain", *INPUTS, "kim", "amy-corp"], 64, "one QUERY only"),
            (["explain", "--json", *INPUTS, "--", "kim", "kim"], 64,
             "one QUERY only"),
            (["diff", missing, report], 66, missing),
            (["diff", report, missing], 66, missing),
            (["savings", *INPUTS, "--json", "--csv"], 64, "--csv"),
            (["savings", *INPUTS, "--csv", "--json"], 64, "--csv"),
            (["count", "--ghes", h254 + "=" + GHES], 64, "not a host name"),
            (["count", "--ghes", ".ghe.example=" + GHES], 64,
             "not a host name"),
            (["count", "--ghes", "-ghe.example=" + GHES], 64,
             "not a host name")):
        rc, out, err = run(*args)
        check(rc == code and words in err and out == "",
              f"{' '.join(a[:40] for a in args[:2] + args[-2:])}: exit "
              f"{code} and nothing on stdout, got {rc}: {out!r} {err!r}")
    rc, out, err = run("count", "--json", "--ghes", h253 + "=" + GHES)
    names = [s["name"] for s in json.loads(out)["sources"]] if rc == 0 else []
    check(names == [h253], f"a 253-byte HOST: exit {rc}, sources {names}: "
          f"{err!r}")
    # Unreadable: root reads any file, so drop its capabilities for the
    # file mode to bind (root keeps its uid, and the files here).
    if os.geteuid() != 0:
        wrapper = []
    elif shutil.which("setpriv"):
        wrapper = ["setpriv", "--inh-caps=-all", "--bounding-set=-all"]
    else:
        print("note: root without setpriv: the unreadable-input check is "
              "skipped")
        os.unlink(report)
        return
    locked = os.path.join(tmp, "locked.json")
    shutil.copyfile(GHES, locked)
    os.chmod(locked, 0)
    for args in (["count", "--ghes", "h.example=" + locked],
                 ["count", "--ghes", locked],
                 ["count", "--ghec", locked],
                 ["count", "--records", locked],
                 ["explain", "--ghes", locked, "kim"],
                 ["savings", "--ghes", locked],
                 ["diff", report, locked]):
        p = subprocess.run([*wrapper, BIN, *args], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        err = p.stderr.decode()
        check(p.returncode == 66 and locked in err and p.stdout == b"",
              f"{' '.join(args)} unreadable: exit 66, got {p.returncode}: "
              f"{err!r}")
    # The same command may read the file once it is readable.
    os.chmod(locked, 0o600)
    p = subprocess.run([*wrapper, BIN, "count", "--ghes", locked],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.returncode == 0, f"readable again: exit {p.returncode}: "
          f"{p.stderr!r}")
    os.unlink(locked)
    os.unlink(report)


def test_savings_keyless(tmp):
    """A group without any matchable email: every account, the kept one
    included, is told to take the email the group shares; on one instance
    only the first can, and the second is suspended."""
    path = os.path.join(tmp, "keyless.json")
    path2 = os.path.join(tmp, "keyless2.json")
    with open(path, "w") as f:
        f.write('{"host_name":"h","users":[{"id":1,"login":"a",'
                '"primary_email":null,"emails":["z@y.example","x@y.example"]}'
                ']}')
    with open(path2, "w") as f:
        f.write('{"host_name":"h2","users":[{"id":2,"login":"b",'
                '"primary_email":"not-an-email",'
                '"emails":["x@y.example","z@y.example"]}]}')
    head = ("group,seats,saving,host,id,login,current_primary_email,"
            "change_primary_email_to,joins,action\n")
    rc, csv, err = run("savings", "--csv", "--ghes", path, "--ghes", path2)
    check(rc == 0, f"savings keyless: exit {rc}: {err}")
    want = (head +
            "1,2,1,h,1,a,,x@y.example,h:1,change_primary_email\n"
            "1,2,1,h2,2,b,,x@y.example,h:1,change_primary_email\n")
    check(csv == want, f"savings keyless csv: {csv!r}")
    # Both accounts on one instance: one person, one account there.
    with open(path2, "w") as f:
        f.write('{"host_name":"h","users":[{"id":2,"login":"b",'
                '"primary_email":"not-an-email",'
                '"emails":["x@y.example","z@y.example"]}]}')
    rc, csv, err = run("savings", "--csv", "--ghes", path, "--ghes", path2)
    want = (head +
            "1,2,1,h,1,a,,x@y.example,h:1,change_primary_email\n"
            "1,2,1,h,2,b,,,h:1,suspend_ghes_account\n")
    check(rc == 0 and csv == want, f"savings keyless, one host: {csv!r}")
    os.unlink(path)
    os.unlink(path2)


def test_savings_choices(tmp):
    """The fix uses an email the account already has when one joins it; the
    GHEC account SAML links is kept over one that only has the email
    verified; a fix that would change nothing is not printed."""
    ghes = os.path.join(tmp, "sc.json")
    ghec = os.path.join(tmp, "sc-ghec.json")
    with open(ghes, "w") as f:
        f.write('{"host_name":"g","users":['
                '{"id":4,"login":"alice","primary_email":"alice@home.example",'
                '"emails":["alice@corp.example"]},'
                '{"id":7,"login":"kim","primary_email":"kim@corp.example",'
                '"emails":[]}]}')
    def user(login, saml, verified):
        return {"github_com_login": login, "github_com_user": True,
                "license_type": "enterprise",
                "github_com_saml_name_id": saml,
                "github_com_verified_domain_emails": verified}
    with open(ghec, "w") as f:
        json.dump({"total_seats_consumed": 3, "users": [
            user("alice-corp", None,
                 ["a.smith@corp.example", "alice@corp.example"]),
            user("kim-personal", None, ["kim@corp.example"]),
            user("kim-work", "kim@corp.example", [])]}, f)
    rc, js, err = run("savings", "--json", "--ghes", ghes, "--ghec", ghec)
    check(rc == 0, f"savings choices: exit {rc}: {err}")
    if rc != 0:
        return
    doc = json.loads(js)
    got = {g["keep"]["login"]: [(f["action"], f["account"]["login"],
                                 f.get("change_primary_email_to"))
                                for f in g["fixes"]]
           for g in doc["groups"]}
    check(got.get("kim-work") == [("remove_ghec_account", "kim-personal",
                                   None)],
          f"kim: keep the SAML-linked account, no no-op change: {got}")
    check(got.get("alice-corp") == [("change_primary_email", "alice",
                                     "alice@corp.example")],
          f"alice: take the email she already has: {got}")
    os.unlink(ghes)
    os.unlink(ghec)
    # A SAML NameID that is no email (an employee number) is no key, but
    # its account is still the one the identity provider manages: kept.
    with open(ghec, "w") as f:
        json.dump({"users": [
            user("zz-sso", "E12345", ["pat@corp.example"]),
            user("aa-personal", None,
                 ["pat@corp.example", "pat@home.example"])]}, f)
    rc, js, err = run("savings", "--json", "--ghec", ghec)
    keeps = [g["keep"]["login"] for g in json.loads(js)["groups"]] \
        if rc == 0 else err
    check(keeps == ["zz-sso"], f"keep the account with a NameID: {keeps}")
    # Within a class the account with a login is kept over one without
    # (which sorts first by its empty login); the class still comes first.
    for users, want in (
            ([user(None, "n1", ["lee@corp.example"]),
              user("lee-sso", "n2", ["lee@corp.example"])], "lee-sso"),
            ([user(None, None, ["lee@corp.example"]),
              user("lee-2", None, ["lee@corp.example"])], "lee-2"),
            ([user("lee-3", None, ["lee@corp.example"]),
              user(None, "n3", ["lee@corp.example"])], None)):
        with open(ghec, "w") as f:
            json.dump({"users": users}, f)
        rc, js, err = run("savings", "--json", "--ghec", ghec)
        keeps = [g["keep"]["login"] for g in json.loads(js)["groups"]] \
            if rc == 0 else err
        check(keeps == [want], f"keep {want}: {keeps}")
    os.unlink(ghec)
    # Three accounts on another instance all joined by one shared email:
    # the first takes the kept one's email there, the others cannot.
    recs = os.path.join(tmp, "shared.ndjson")
    with open(recs, "w") as f:
        for host, uid in (("a", 0), ("g", 1), ("g", 2), ("g", 3)):
            f.write(json.dumps({"kind": "ghes", "source": host, "id": uid,
                                "login": "u%d" % uid,
                                "primary_email": "u%d@x.example" % uid,
                                "emails": ["team@x.example"]}) + "\n")
    rc, csv, err = run("savings", "--csv", "--records", recs)
    rows = [line.split(",") for line in csv.splitlines()[1:]]
    got = [(r[3], r[4], r[7], r[9]) for r in rows]
    check(rc == 0 and got == [
        ("g", "1", "u0@x.example", "change_primary_email"),
        ("g", "2", "", "suspend_ghes_account"),
        ("g", "3", "", "suspend_ghes_account")],
        f"one email per instance, fixes included: {rc} {got}")
    rc, out, err = run("savings", "--records", recs)
    check("on g suspend u2 (id 2): u1 (id 1) on the same instance is "
          "given u0@x.example" in out, f"the fix in the way is named: {out}")
    os.unlink(recs)


def test_summary_text():
    """The keyless figure is an account count, on a line of its own."""
    rc, out, err = run("count", "--policy", "extended", "--ghes", GHES)
    check(rc == 0 and "  Persons with GHES accounts only: 3\n" in out and
          "  GHES accounts without a valid primary email: 1\n" in out,
          f"count summary text: {out!r}")


def test_unlicensed_rows(tmp):
    """Consumed-licenses rows without a GitHub.com user are not counted;
    the summary says how many there were, in text only when there are
    any, and in JSON always."""
    path = os.path.join(tmp, "pending.json")
    with open(path, "w") as f:
        json.dump({"total_seats_consumed": 3, "users": [
            {"github_com_login": "mona", "github_com_user": True},
            {"github_com_login": "vs-sub", "github_com_user": False,
             "visual_studio_subscription_user": True},
            {"github_com_login": "invited", "github_com_user": None}]}, f)
    rc, out, err = run("count", "--ghec", path)
    check(rc == 0 and out.startswith("Seats consumed: 1 ") and
          "  GHEC rows without a GitHub.com user: 2 (not counted;" in out,
          f"unlicensed rows, text: {rc} {out!r} {err!r}")
    rc, out, err = run("count", "--json", "--ghec", path)
    doc = json.loads(out)
    check(doc["ghec_accounts"] == 1 and doc["ghec_unlicensed_accounts"] == 2,
          f"unlicensed rows, JSON: {out!r}")
    rc, out, err = run("count", "--ghes", GHES)
    check("without a GitHub.com user" not in out,
          f"no such line without such rows: {out!r}")


def test_explain_verified_domains():
    """explain speaks of verified domains only when they were given."""
    for domains, clause, value in (
            ([], False, None),
            (["--verified-domains", "other.example"], True, False),
            (["--verified-domains", "corp.example"], False, True)):
        args = [*domains, "--ghes", GHES, "kim@corp.example"]
        rc, out, err = run("explain", *args)
        check(rc == 0 and
              ("no email on a verified domain" in out) == clause,
              f"explain {domains}: verified-domain clause: {out!r}")
        rc, out, err = run("explain", "--json", *args)
        doc = json.loads(out)
        check(doc["person"]["has_verified_domain_email"] is value,
              f"explain --json {domains}: {out!r}")


def test_bom_column(tmp):
    """Columns on the first line start after a byte order mark."""
    path = os.path.join(tmp, "bom.csv")
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbfid,login,email,email,suspended?\n")
    rc, out, err = run("count", "--ghes", "h.example=" + path)
    check(rc == 65 and path + ":1:16: duplicate column" in err,
          f"BOM column: {rc}: {err!r}")
    os.unlink(path)


def test_source_names(tmp):
    """Two inputs with one file name are two sources, named by path."""
    paths = []
    for d, text in (("a", '{"users":[{"github_com_login":"x",'
                          '"github_com_user":true}]}'),
                    ("b", "github_com_login,github_com_user\ny,true\n")):
        os.makedirs(os.path.join(tmp, d), exist_ok=True)
        paths.append(os.path.join(tmp, d, "l.json"))
        with open(paths[-1], "w") as f:
            f.write(text)
    rc, out, err = run("count", "--json", "--ghec", paths[0], "--ghec",
                       paths[1])
    names = [s["name"] for s in json.loads(out)["sources"]] if rc == 0 else []
    check(names == sorted(paths), f"same file names: sources {names}: {err}")
    rc, out, err = run("count", "--json", "--ghec", paths[0])
    names = [s["name"] for s in json.loads(out)["sources"]] if rc == 0 else []
    check(names == ["l.json"], f"one input: source {names}: {err}")
    for p in paths:
        os.unlink(p)


def test_stdin_closed(tmp):
    """With standard input closed, '-' reads as empty (an error for a
    report), never as another input's file."""
    p = subprocess.run([BIN, "count", "--json", "--ghes", GHES, "--ghes",
                        "h2.example=-"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=None,
                       preexec_fn=lambda: os.close(0))
    check(p.returncode == 65 and b"-:1: empty input" in p.stderr,
          f"stdin closed: exit {p.returncode}: {p.stderr!r}")


def test_stdin_once():
    """--verified-domains @- and an input '-' would both read standard
    input, the second finding it empty: a usage error, in either order."""
    with open(GHES, "rb") as f:
        export = f.read()
    for args in (["--verified-domains", "@-", "--ghes", "h.example=-"],
                 ["--ghes", "h.example=-", "--verified-domains", "@-"],
                 ["--verified-domains", "@-", "--records", "-"]):
        for cmd in ("count", "explain"):
            query = ["kim"] if cmd == "explain" else []
            p = subprocess.run([BIN, cmd, *args, *query], input=export,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            err = p.stderr.decode()
            check(p.returncode == 64 and p.stdout == b"" and
                  "standard input given twice: an input '-' and "
                  "--verified-domains @-" in err,
                  f"{cmd} {' '.join(args)}: exit 64, got {p.returncode}: "
                  f"{err!r}")
    # Each on its own still reads standard input.
    p = subprocess.run([BIN, "count", "--json", "--verified-domains", "@-",
                        "--ghes", GHES], input=b"corp.example\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.returncode == 0, f"--verified-domains @-: {p.returncode} "
          f"{p.stderr!r}")


def test_account_value_limits(tmp):
    """4093 values in one account are read; 4094 make a malformed row,
    which --skip-malformed skips. The rows of one GHEC login together
    holding over 65535 verified emails are refused, not listed short."""
    path = os.path.join(tmp, "values.csv")
    for n, ok in ((4093, True), (4094, False), (9000000, False)):
        # The last: more values than a row could ever index, in 18 MB.
        emails = (" ".join("u%d@x.example" % i for i in range(n))
                  if n < 10000 else " ".join(["a"] * n))
        with open(path, "w") as f:
            f.write("github_com_login,github_com_user,"
                    "github_com_verified_domain_emails\n"
                    'big,true,"%s"\nsmall,true,s@x.example\n' % emails)
        rc, out, err = run("count", "--json", "--ghec", path)
        if ok:
            check(rc == 0 and json.loads(out)["ghec_accounts"] == 2,
                  f"{n} values: exit {rc}: {err}")
            continue
        check(rc == 65 and ":2: an account with more than 4093" in err,
              f"{n} values: exit {rc}: {err}")
        rc, out, err = run("count", "--json", "--skip-malformed", "--ghec",
                           path)
        doc = json.loads(out) if rc == 0 else {}
        check(doc.get("ghec_accounts") == 1 and doc.get("rejected_rows") == 1,
              f"{n} values, --skip-malformed: exit {rc}: {out} {err}")
    os.unlink(path)
    path = os.path.join(tmp, "merged.json")
    with open(path, "w") as f:
        users = []
        for r in range(17):
            emails = ",".join('"r%de%d@x.example"' % (r, i)
                              for i in range(4000))
            users.append('{"github_com_login":"z","github_com_user":true,'
                         '"github_com_verified_domain_emails":[%s]}' % emails)
        f.write('{"users":[%s]}' % ",".join(users))
    rc, out, err = run("count", "--ghec", path)
    check(rc == 65 and "65535" in err, f"merged login: exit {rc}: {err}")
    os.unlink(path)


def test_terminal_escapes(tmp):
    """Control characters, C1 controls and bidi overrides in a login are
    shown escaped; other non-ASCII text is shown as it is."""
    path = os.path.join(tmp, "c1.json")
    with open(path, "wb") as f:
        f.write(b'{"host_name":"h","users":[{"id":1,"login":"e\\u001b[2Jv'
                b'\xc2\x9b31m\xe2\x80\xaeab\xc3\xa9",'
                b'"primary_email":"a@x.example"}]}')
    p = subprocess.run([BIN, "explain", "--ghes", path, "a@x.example"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout
    check(p.returncode == 0 and b"e\\x1b[2Jv\\u009b31m\\u202eab\xc3\xa9"
          in out and b"\x1b" not in out and b"\xc2\x9b" not in out,
          f"escaped login: {out!r}")
    os.unlink(path)


def test_key_file_checks(tmp):
    """--pseudonymize refuses a FIFO at once and, when it can tell, a key
    another user owns (that user could reverse the pseudonyms)."""
    fifo = os.path.join(tmp, "key.fifo")
    os.mkfifo(fifo, 0o600)
    report = os.path.join(tmp, "k.json")
    try:
        p = subprocess.run([BIN, "count", *INPUTS, "--report", report,
                            "--pseudonymize", fifo], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        check(p.returncode == 77 and b"not a regular file" in p.stderr,
              f"FIFO key: exit {p.returncode}: {p.stderr!r}")
    except subprocess.TimeoutExpired:
        check(False, "FIFO key: the command waited on the FIFO")
    os.unlink(fifo)
    if os.geteuid() != 0:
        print("note: not root: the key-of-another-user check is skipped")
    else:
        key = os.path.join(tmp, "other.key")
        with open(key, "w") as f:
            f.write("k")
        os.chmod(key, 0o600)
        os.chown(key, 65534, 65534)
        rc, out, err = run("count", *INPUTS, "--report", report,
                           "--pseudonymize", key)
        check(rc == 77 and "another user" in err,
              f"key of another user: exit {rc}: {err}")
        os.unlink(key)
    check(not os.path.exists(report), "no report after a refused key")


def test_report_file(tmp):
    """--report writes a private file (it lists emails) and replaces a
    symbolic link at its path instead of writing through it."""
    target = os.path.join(tmp, "elsewhere.json")
    with open(target, "w") as f:
        f.write("keep")
    report = os.path.join(tmp, "linked.json")
    os.symlink(target, report)
    old = os.umask(0o022)
    try:
        rc, _, err = run("count", *INPUTS, "--report", report)
    finally:
        os.umask(old)
    check(rc == 0, f"count --report over a link: exit {rc}: {err}")
    check(not os.path.islink(report), "the link was replaced by a file")
    with open(target) as f:
        check(f.read() == "keep", "the link's target is untouched")
    mode = os.stat(report).st_mode & 0o777
    check(mode == 0o600, f"report mode {mode:o}, want 600")
    with open(report) as f:
        check(json.load(f)["total_seats_consumed"] == 7, "report content")
    os.unlink(report)
    os.unlink(target)


def test_pseudonymize_email_logins(tmp):
    """Logins stay in clear in a pseudonymized report: one that is an
    email address (an identity provider's user principal name) is warned
    about, unless --quiet; the report is written all the same."""
    recs = os.path.join(tmp, "upn.ndjson")
    with open(recs, "w") as f:
        for login in ("alice@corp.example", "bob@corp.example", "carol"):
            f.write(json.dumps({"kind": "ghec", "source": "okta",
                                "login": login, "licensed": True,
                                "verified_emails": [login + "@x.example"
                                                    if "@" not in login
                                                    else login]}) + "\n")
        # A GHES login is not in the report (the account is host:id
        # there): not warned about.
        f.write(json.dumps({"kind": "ghes", "source": "ghe.example", "id": 7,
                            "login": "dave@corp.example",
                            "primary_email": "dave@corp.example"}) + "\n")
    key = os.path.join(tmp, "upn.key")
    with open(key, "w") as f:
        f.write("0123456789abcdef0123456789abcdef\n")
    os.chmod(key, 0o600)
    report = os.path.join(tmp, "upn.json")
    rc, out, err = run("count", "--records", recs, "--report", report,
                       "--pseudonymize", key)
    check(rc == 0 and "warning: 2 logins in the report look like email "
          "addresses; logins are not pseudonymized" in err,
          f"email logins warned about: {rc} {err}")
    check(os.path.exists(report), "the report is written")
    rc, out, err = run("count", "--records", recs, "--report", report,
                       "--pseudonymize", key, "--quiet")
    check(rc == 0 and err == "", f"--quiet: {rc} {err}")
    rc, out, err = run("count", "--records", recs, "--report", report)
    check(rc == 0 and err == "", f"no warning without --pseudonymize: {err}")
    for p in (recs, key, report):
        os.unlink(p)


def test_pseudonym_key_trimming(tmp):
    """A key file's bytes are the key, less one trailing newline and then
    one trailing carriage return (docs/security.md): the pseudonym of an
    email is HMAC-SHA256 under exactly those bytes, computed here with
    Python's hmac."""
    import hashlib
    import hmac
    recs = os.path.join(tmp, "trim.ndjson")
    with open(recs, "w") as f:
        f.write(json.dumps({"kind": "ghes", "source": "h.example", "id": 1,
                            "login": "alice",
                            "primary_email": "alice@corp.example"}) + "\n")
    key = os.path.join(tmp, "trim.key")
    report = os.path.join(tmp, "trim.json")
    # (file content, the key it holds)
    for text, want_key in ((b"k", b"k"),
                           (b"k\r\n", b"k"),
                           (b"k\r", b"k"),
                           (b"k\n\n", b"k\n"),
                           (b"k\r\r\n", b"k\r"),
                           (b"k\n\r", b"k\n")):
        with open(key, "wb") as f:
            f.write(text)
        os.chmod(key, 0o600)
        rc, _, err = run("count", "--quiet", "--records", recs, "--report",
                         report, "--pseudonymize", key)
        got = None
        if rc == 0:
            with open(report) as f:
                got = json.load(f)["users"][0]["enterprise_server_emails"]
        want = "hmac-sha256:" + hmac.new(want_key, b"alice@corp.example",
                                         hashlib.sha256).hexdigest()
        check(got == [want], f"key file {text!r} is the key {want_key!r}: "
              f"exit {rc}, {got} {err!r}")
    for p in (recs, key, report):
        os.unlink(p)


def test_key_and_domain_files(tmp):
    """A key file others may read is refused (77) before it is read; a
    verified-domain list can come from a file."""
    key = os.path.join(tmp, "shared.key")
    with open(key, "w") as f:
        f.write("k")
    os.chmod(key, 0o644)
    report = os.path.join(tmp, "s.json")
    rc, out, err = run("count", *INPUTS, "--report", report,
                       "--pseudonymize", key)
    check(rc == 77 and "group or others" in err and out == "",
          f"group-readable key: exit {rc}: {err}")
    check(not os.path.exists(report), "no report after a readable key")
    os.unlink(key)
    domains = os.path.join(tmp, "domains.txt")
    with open(domains, "w") as f:
        f.write("# our domains\ncorp.example\n")
    a = run("count", "--json", "--verified-domains", "@" + domains,
            "--ghes", GHES, "--ghec", GHEC)
    b = run("count", "--json", *INPUTS)
    check(a[0] == 0 and b[0] == 0, f"@FILE: exit {a[0]}: {a[2]}")
    if a[0] == 0 and b[0] == 0:
        ja, jb = json.loads(a[1]), json.loads(b[1])
        for j in (ja, jb):
            del j["elapsed_ms"]
        check(ja == jb, "--verified-domains @FILE counts as the list does")
    # A file saved with a UTF-8 BOM: its first entry is read as written.
    with open(domains, "w", encoding="utf-8-sig") as f:
        f.write("*.corp.example\ncorp.example\n")
    rc, out, err = run("count", "--json", "--verified-domains", "@" + domains,
                       "--ghes", GHES, "--ghec", GHEC)
    check(rc == 0, f"@FILE with a BOM: exit {rc}: {err}")
    os.unlink(domains)
    for policy in ("extended", "github"):
        rc, out, err = run("savings", "--policy", policy, *INPUTS)
        check(rc == 64 and out == "",
              f"savings --policy {policy}: exit {rc}: {err}")


def test_verified_domains_file(tmp):
    """--verified-domains @FILE: a file that cannot be read is exit 66; a
    file without a domain (only comments and separators) is malformed
    input, 65, where the same list in a value is a usage error; a
    gzip-compressed file (told by its content, not its name) reads as the
    plain one."""
    import gzip
    missing = os.path.join(tmp, "no-such-domains.txt")
    rc, out, err = run("count", "--ghes", GHES, "--verified-domains",
                       "@" + missing)
    check(rc == 66 and missing in err and out == "",
          f"@FILE missing: exit 66, got {rc}: {err!r}")
    lists = {"vd-none": "# our domains\n\n  # none yet\n ,\t,\n",
             "vd-some": "# ours\ncorp.example\n*.corp.example  # subs\n"}
    for name, text in lists.items():
        with open(os.path.join(tmp, name + ".txt"), "w") as f:
            f.write(text)
        with open(os.path.join(tmp, name + "-gz.txt"), "wb") as f:
            f.write(gzip.compress(text.encode()))
    for name in ("vd-none.txt", "vd-none-gz.txt"):
        path = os.path.join(tmp, name)
        rc, out, err = run("count", "--ghes", GHES, "--verified-domains",
                           "@" + path)
        check(rc == 65 and path + ": no domain given" in err and out == "",
              f"@{name}, comments only: exit 65, got {rc}: {err!r}")
    docs = []
    for value in ("corp.example,*.corp.example",
                  "@" + os.path.join(tmp, "vd-some.txt"),
                  "@" + os.path.join(tmp, "vd-some-gz.txt")):
        rc, out, err = run("count", "--json", "--ghes", GHES, "--ghec", GHEC,
                           "--verified-domains", value)
        check(rc == 0, f"--verified-domains {value}: exit {rc}: {err}")
        doc = json.loads(out) if rc == 0 else {}
        doc.pop("elapsed_ms", None)
        docs.append(doc)
    check(docs[0].get("persons_without_verified_domain_email") is not None
          and docs[1] == docs[0] and docs[2] == docs[0],
          f"the list as a value, in a file, gzip-compressed: {docs}")
    for name in lists:
        os.unlink(os.path.join(tmp, name + ".txt"))
        os.unlink(os.path.join(tmp, name + "-gz.txt"))


def test_explain_login_on_two_hosts(tmp):
    """A login is unique on one instance only: explain names the other
    accounts that have it, which may be other people."""
    head = ("created_at,id,login,email,role,suspended?,last_logged_ip,"
            "repos,ssh_keys,org_memberships,dormant?,last_active,raw_login,"
            "2fa_enabled?\n")
    paths = []
    for host, uid, login, email in (("a.example", 11, "jsmith",
                                     "john@other.example"),
                                    ("b.example", 21, "JSmith",
                                     "jsmith@corp.example")):
        path = os.path.join(tmp, host + ".csv")
        with open(path, "w") as f:
            f.write(head + "2024-01-01,%d,%s,%s,user,false,1.1.1.1,0,0,0,"
                    "false,2024-01-01,%s,true\n" % (uid, login, email, login))
        paths += ["--ghes", host + "=" + path]
    rc, out, err = run("explain", *paths, "jsmith")
    check(rc == 0 and "Other accounts with this login (explain each by "
          "the GHEC login or HOST:ID shown): b.example:21\n" in out,
          f"explain jsmith: {rc} {out}")
    rc, out, err = run("explain", "--json", *paths, "b.example:21")
    check(rc == 0 and json.loads(out)["other_login_matches"] == [],
          f"explain by HOST:ID lists no login matches: {out}")
    # A repeated row of one id explains as the account it repeats.
    dup = os.path.join(tmp, "dup.csv")
    with open(dup, "w") as f:
        f.write(head + "".join(
            "2024-01-01,7,%s,kim@x.example,user,false,1.1.1.1,0,0,0,false,"
            "2024-01-01,kim,true\n" % login for login in ("kim", "kimberly")))
    rc, out, err = run("explain", "--ghes", "h=" + dup, "kimberly")
    check(rc == 0 and "This row repeats h:7, which counts once:\nPerson #1: "
          "1 seat" in out, f"explain a repeated row: {rc} {out}")
    rc, out, err = run("explain", "--json", "--ghes", "h=" + dup, "kimberly")
    doc = json.loads(out) if rc == 0 else {}
    check(doc.get("repeats") == "h:7" and
          doc["person"]["accounts"][0]["login"] == "kim",
          f"explain --json a repeated row: {out}")
    os.unlink(dup)
    rc, out, err = run("explain", "--json", *paths, "JSMITH")
    check(rc == 0 and json.loads(out)["other_login_matches"] ==
          ["b.example:21"], f"explain --json JSMITH: {out}")
    # Another account's repeated rows are that one account: named once.
    twice = os.path.join(tmp, "twice.csv")
    with open(twice, "w") as f:
        f.write(head + "2024-01-01,21,JSmith,jsmith@corp.example,user,false,"
                "1.1.1.1,0,0,0,false,2024-01-01,JSmith,true\n")
    rc, out, err = run("explain", "--json", *paths, "--ghes",
                       "b.example=" + twice, "jsmith")
    check(rc == 0 and json.loads(out)["other_login_matches"] ==
          ["b.example:21"], f"a repeated other account named once: {out}")
    rc, out, err = run("explain", *paths, "--ghes", "b.example=" + twice,
                       "jsmith")
    check(rc == 0 and out.count("b.example:21") == 1,
          f"a repeated other account named once (text): {out}")
    os.unlink(twice)


def test_explain_email_owner(tmp):
    """An email query finds the account the rules match it to first (a
    GHES primary email before another account's secondary one) and lists
    the other persons' accounts that hold it; queries are trimmed."""
    recs = os.path.join(tmp, "owner.ndjson")
    with open(recs, "w") as f:
        for host, login, primary, emails in (
                ("h1", "ann", "ann@old.example", ["bob@corp.example"]),
                ("h2", "bob", "bob@corp.example", []),
                ("h3", "ann", "ann3@old.example", [])):
            f.write(json.dumps({"kind": "ghes", "source": host, "id": 1,
                                "login": login, "primary_email": primary,
                                "emails": emails}) + "\n")
    rc, out, err = run("explain", "--records", recs, " Bob@corp.example ")
    check(rc == 0 and "is account h2:1 " in out and
          "Accounts of other persons with this email (explain each by the "
          "GHEC login or HOST:ID shown): h1:1\n" in out,
          f"explain an email two accounts hold: {rc} {out} {err}")
    rc, out, err = run("explain", "--json", "--records", recs,
                       "bob@corp.example")
    doc = json.loads(out) if rc == 0 else {}
    check(doc.get("account", {}).get("login") == "bob" and
          doc.get("other_email_matches") == ["h1:1"] and
          doc.get("other_login_matches") == [],
          f"explain --json an email: {out} {err}")
    rc, out, err = run("explain", "--json", "--records", recs, "\tann ")
    doc = json.loads(out) if rc == 0 else {}
    check(doc.get("other_login_matches") == ["h3:1"] and
          doc.get("other_email_matches") == [],
          f"explain a login with spaces around it: {out} {err}")
    rc, out, err = run("explain", "--records", recs, " h3:1\n")
    check(rc == 0 and "is account h3:1 " in out,
          f"explain HOST:ID with spaces around it: {rc} {out} {err}")
    # Logins written with blanks around them in the input are found by the
    # login, and list each other as the same login.
    with open(recs, "w") as f:
        for host, login in (("a.example", " jsmith "), ("b.example", "jsmith ")):
            f.write(json.dumps({"kind": "ghes", "source": host, "id": 11,
                                "login": login,
                                "primary_email": host[0] + "@corp.example"})
                    + "\n")
    rc, out, err = run("explain", "--json", "--records", recs, "jsmith")
    doc = json.loads(out) if rc == 0 else {}
    check(doc.get("account", {}).get("login") == " jsmith " and
          doc.get("other_login_matches") == ["b.example:11"],
          f"explain a login written with blanks: {rc} {out} {err}")
    os.unlink(recs)


def test_explain_email_login(tmp):
    """A GHEC login that is an email address (an identity provider's user
    principal name) explains as that account, as the lists of other
    accounts promise, even when the same address is another account's
    email; the address explains as an email when no login is spelled so,
    and a login in another case is still found."""
    recs = os.path.join(tmp, "upn.ndjson")
    rows = [{"kind": "ghec", "source": "acme", "login": "alice-corp",
             "verified_emails": ["shared@corp.example"], "licensed": True},
            {"kind": "ghec", "source": "acme", "login": "u@corp.example",
             "verified_emails": ["shared@corp.example"], "licensed": True},
            {"kind": "ghec", "source": "acme", "login": "carl@corp.example",
             "verified_emails": ["c@corp.example"], "licensed": True},
            {"kind": "ghes", "source": "h1.example", "id": 7,
             "login": "other", "primary_email": "u@corp.example"}]
    with open(recs, "w") as f:
        f.writelines(json.dumps(x) + "\n" for x in rows)
    rc, out, err = run("explain", "--json", "--records", recs,
                       "shared@corp.example")
    doc = json.loads(out) if rc == 0 else {}
    check(doc.get("other_email_matches") == ["u@corp.example"],
          f"a login with '@' listed as the QUERY to explain: {out} {err}")
    rc, out, err = run("explain", "--json", "--records", recs,
                       " u@corp.example ")
    doc = json.loads(out) if rc == 0 else {}
    check(doc.get("account", {}).get("login") == "u@corp.example" and
          doc.get("other_email_matches") == ["h1.example:7"],
          f"the exact login before the email: {out} {err}")
    rc, out, err = run("explain", "--json", "--records", recs,
                       "CARL@corp.example")
    doc = json.loads(out) if rc == 0 else {}
    check(doc.get("account", {}).get("login") == "carl@corp.example",
          f"a login with '@' in another case: {rc} {out} {err}")
    rc, out, err = run("explain", "--json", "--records", recs,
                       "c@corp.example")
    doc = json.loads(out) if rc == 0 else {}
    check(doc.get("account", {}).get("login") == "carl@corp.example",
          f"an email only: {rc} {out} {err}")
    os.unlink(recs)


def test_ghec_without_login_named(tmp):
    """A licensed consumed-licenses row without a login is an account of
    its own; explain and savings name it as such (JSON: a null login),
    never by an empty string."""
    ghec = os.path.join(tmp, "nl.json")
    with open(ghec, "w") as f:
        json.dump({"users": [
            {"github_com_login": None, "github_com_user": True,
             "github_com_saml_name_id": "n1",
             "github_com_verified_domain_emails": ["k@c.example"]},
            {"github_com_login": "", "github_com_user": True,
             "github_com_saml_name_id": "n2",
             "github_com_verified_domain_emails": ["k@c.example",
                                                   "z@c.example"]}]}, f)
    ghes = os.path.join(tmp, "nlg.csv")
    with open(ghes, "w") as f:
        f.write("created_at,id,login,email,role,suspended?\n"
                "x,5,kk,k@c.example,user,false\n")
    inputs = ["--ghec", ghec, "--ghes", "h=" + ghes]
    rc, out, err = run("savings", *inputs)
    check(rc == 0 and "Keep GHEC (no login)" in out and
          "second GHEC account (no login):" in out,
          f"savings names login-less accounts: {rc} {out} {err}")
    rc, out, err = run("explain", "--json", *inputs, "z@c.example")
    doc = json.loads(out) if rc == 0 else {}
    check(doc.get("account", {}).get("kind") == "ghec" and
          doc["account"].get("login", "") is None,
          f"a null login in JSON: {out} {err}")
    rc, out, err = run("explain", "--json", *inputs, "k@c.example")
    doc = json.loads(out) if rc == 0 else {}
    check(doc.get("other_email_matches") ==
          ["(GHEC account without a login)"],
          f"listed as an account without a login: {out} {err}")


def test_explain_other_ghec_logins(tmp):
    """The other accounts with a login are listed so that each explains
    as shown: a GHEC login by itself, a GHES account by HOST:ID; a GHEC
    login repeated in a second GHEC file is the same account, not
    another."""
    def user(login, email):
        return {"github_com_login": login, "github_com_user": True,
                "enterprise_server_user": False,
                "github_com_verified_domain_emails": [email],
                "enterprise_server_user_ids": []}
    ghec = os.path.join(tmp, "amy-ghec.json")
    with open(ghec, "w") as f:
        json.dump({"users": [user("amy", "amy@a.example"),
                             user("Amy", "amy@b.example")]}, f)
    again = os.path.join(tmp, "amy-ghec-again.json")
    with open(again, "w") as f:
        json.dump({"users": [user("amy", "amy@a.example")]}, f)
    ghes = os.path.join(tmp, "amy-ghes.csv")
    with open(ghes, "w") as f:
        f.write("created_at,id,login,email,role,suspended?,last_logged_ip,"
                "repos,ssh_keys,org_memberships,dormant?,last_active,"
                "raw_login,2fa_enabled?\n2024-01-01,1,amy,amy@h.example,"
                "user,false,1.1.1.1,0,0,0,false,2024-01-01,amy,true\n")
    inputs = ["--ghec", ghec, "--ghec", again, "--ghes", "h.example=" + ghes]
    rc, out, err = run("explain", *inputs, "amy")
    check(rc == 0 and "Other accounts with this login (explain each by "
          "the GHEC login or HOST:ID shown): Amy, h.example:1\n" in out,
          f"explain amy: the other accounts, each once: {rc} {out} {err}")
    rc, out, err = run("explain", "--json", *inputs, "amy")
    others = json.loads(out)["other_login_matches"] if rc == 0 else None
    check(others == ["Amy", "h.example:1"],
          f"explain --json amy: other_login_matches {others}: {err}")
    # Each one shown explains as that account.
    for ref, want in (("Amy", ("ghec", "Amy", None)),
                      ("h.example:1", ("ghes", "amy", 1))):
        rc, out, err = run("explain", "--json", *inputs, ref)
        acc = json.loads(out)["account"] if rc == 0 else {}
        got = (acc.get("kind"), acc.get("login"), acc.get("id"))
        check(got == want, f"explain {ref}: found {got}, not {want}: {err}")
    for path in (ghec, again, ghes):
        os.unlink(path)


def test_option_forms(tmp):
    """Every option that takes a value takes it as the next argument or
    after '='; a flag takes none; a missing value is named the same way
    by every command."""
    def summary(*args):
        rc, out, err = run("count", "--json", *args)
        check(rc == 0, f"count {' '.join(args)}: exit {rc}: {err}")
        doc = json.loads(out) if rc == 0 else {}
        doc.pop("elapsed_ms", None)
        return doc
    report = os.path.join(tmp, "forms.json")
    spaced = summary("--policy", "extended", "--threads", "2",
                     "--verified-domains", "corp.example", "--ghes",
                     "h.example=" + GHES, "--ghec", GHEC)
    joined = summary("--policy=extended", "--threads=2",
                     "--verified-domains=corp.example",
                     "--ghes=h.example=" + GHES, "--ghec=" + GHEC,
                     "--report=" + report)
    check(spaced and spaced == joined,
          f"--opt=VALUE counts as --opt VALUE:\n{spaced}\n{joined}")
    check(os.path.exists(report), "--report=FILE writes FILE")
    if os.path.exists(report):
        os.unlink(report)
    rc, out, err = run("explain", "--json", "--ghes=" + GHES, "kim")
    check(rc == 0 and json.loads(out)["account"]["login"] == "kim",
          f"explain --ghes=PATH: {rc}: {err}")
    for args, flag in ((["count", *INPUTS, "--json=1"], "--json"),
                       (["count", *INPUTS, "--skip-malformed=yes"],
                        "--skip-malformed"),
                       (["count", *INPUTS, "--quiet=1"], "--quiet"),
                       (["explain", *INPUTS, "--json=true", "kim"], "--json"),
                       (["savings", *INPUTS, "--csv=1"], "--csv"),
                       (["diff", "--json=1", "a.json", "b.json"], "--json"),
                       (["status", "--config", "x.ini", "--json=1"],
                        "--json")):
        rc, out, err = run(*args)
        check(rc == 64 and out == "" and
              f"option {flag} takes no value" in err,
              f"{' '.join(args[-2:])}: a flag with a value is refused: "
              f"{rc}: {err!r}")
    for args, opt in ((["sync", "--config"], "--config"),
                      (["daemon", "--config"], "--config"),
                      (["status", "--json", "--config"], "--config"),
                      (["count", "--ghes"], "--ghes"),
                      (["count", *INPUTS, "--pseudonymize"],
                       "--pseudonymize")):
        rc, out, err = run(*args)
        check(rc == 64 and out == "" and f"option {opt} needs a value" in err,
              f"{' '.join(args)}: exit 64, 'needs a value', got {rc}: "
              f"{err!r}")
    rc, out, err = run("sync", "--config", "x.ini", "--json")
    check(rc == 64 and "unknown option '--json'" in err,
          f"sync --json: an unknown option, got {rc}: {err!r}")
    # After "--", "--json=1" is the QUERY.
    rc, out, err = run("explain", *INPUTS, "--", "--json=1")
    check(rc == 1 and "no account matches" in err,
          f"explain -- --json=1: the QUERY, got {rc}: {err!r}")
    # A QUERY that matches nothing is echoed as terminal-safe text.
    rc, out, err = run("explain", *INPUTS, "--", "a@b\x1b[2Jc")
    check(rc == 1 and "no account matches 'a@b\\x1b[2Jc'" in err and
          "\x1b" not in err, f"control bytes of a QUERY escaped: {err!r}")


def test_terminator(tmp):
    """After "--" every argument is an operand, even one that begins
    with '-'."""
    rc, out, err = run("explain", *INPUTS, "-x@corp.example")
    check(rc == 64 and "unknown option" in err,
          f"explain -x...: a usage error without --, got {rc}: {err}")
    rc, out, err = run("explain", *INPUTS, "--", "-x@corp.example")
    check(rc == 1 and "unknown option" not in err,
          f"explain -- -x...: no match (exit 1), got {rc}: {err}")
    rc, out, err = run("explain", *INPUTS, "--", "kim@corp.example")
    check(rc == 0 and "kim" in out, f"explain -- QUERY: {rc}: {err}")
    rc, out, err = run("explain", *INPUTS, "--", "--help")
    check(rc == 1 and "usage" not in out,
          f"explain -- --help: --help is the QUERY, got {rc}: {out!r}")
    rc, out, err = run("explain", *INPUTS, "--", "--json")
    check(rc == 1 and out == "",
          f"explain -- --json: --json is the QUERY, got {rc}: {out!r}")
    old = "-old.json"
    with open(os.path.join(tmp, old), "w") as f:
        f.write('{"users": [{"github_com_login": "a"}]}')
    p = subprocess.run([os.path.abspath(BIN), "diff", "--", old, old],
                       cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.returncode == 0 and b"0 added" in p.stdout,
          f"diff -- -old.json: {p.returncode}: {p.stderr!r}")
    p = subprocess.run([os.path.abspath(BIN), "diff", old, old], cwd=tmp,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.returncode == 64, f"diff -old.json without --: {p.returncode}")
    os.unlink(os.path.join(tmp, old))


def test_help():
    """help takes the name of every command it accepts, help and version
    included."""
    rc, general, err = run("help")
    check(rc == 0 and "Commands:" in general, f"help: {rc}: {err}")
    rc, out, err = run("help", "help")
    check(rc == 0 and out == general, f"help help: the general help, got "
          f"{rc}: {out!r} {err!r}")
    rc, out, err = run("help", "version")
    check(rc == 0 and out == "usage: headcount version | headcount "
          "--version\n", f"help version: its usage, got {rc}: {out!r} "
          f"{err!r}")
    rc, out, err = run("help", "nonesuch")
    check(rc == 64 and out == "" and "unknown command" in err,
          f"help nonesuch: exit 64, got {rc}: {err!r}")
    # --help as an option's value is that value, not a request for help.
    rc, out, err = run("count", "--report", "--help", "--ghes", GHES)
    check(rc == 64 and "must end in .json or .csv" in err and out == "",
          f"--report --help: a report named --help, got {rc}: {err!r}")
    rc, out, err = run("count", "--json", "--help")
    check(rc == 0 and out.startswith("usage: headcount count"),
          f"--json --help: the usage, got {rc}: {out!r}")
    # An unknown option takes no value: the --help after it still asks
    # for the usage, as after a flag.
    for cmd in ("count", "savings", "sync"):
        rc, out, err = run(cmd, "--bogus", "--help")
        check(rc == 0 and out.startswith("usage: headcount " + cmd),
              f"{cmd} --bogus --help: the usage, got {rc}: {out!r} {err!r}")
    rc, out, err = run("count", "--policy=extended", "--help")
    check(rc == 0 and out.startswith("usage: headcount count"),
          f"--policy=extended --help: the usage, got {rc}: {out!r}")
    # They take nothing more: a stray argument is a usage error, not
    # silently dropped.
    for args in (("help", "help", "extra"), ("help", "count", "x"),
                 ("version", "--json"), ("--version", "x"), ("--help", "x")):
        rc, out, err = run(*args)
        check(rc == 64 and out == "" and "unexpected argument" in err,
              f"{' '.join(args)}: exit 64, got {rc}: {out!r} {err!r}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        test_savings_formats()
        test_order_and_threads()
        test_stdout_errors(tmp)
        test_report_killed(tmp)
        test_report_broken_pipe(tmp)
        test_bus_error(tmp)
        test_all_rows_malformed(tmp)
        test_skip_malformed_messages(tmp)
        test_savings_instance_claims(tmp)
        test_explain_extended_links(tmp)
        test_big_numbers(tmp)
        test_shared_host_warning(tmp)
        test_diff_totals(tmp)
        test_diff_changes(tmp)
        test_diff_groups(tmp)
        test_diff_random(tmp)
        test_savings_random(tmp)
        test_skipped_user_emails(tmp)
        test_usage(tmp)
        test_exit_statuses(tmp)
        test_terminator(tmp)
        test_option_forms(tmp)
        test_help()
        test_savings_keyless(tmp)
        test_savings_choices(tmp)
        test_explain_verified_domains()
        test_summary_text()
        test_unlicensed_rows(tmp)
        test_bom_column(tmp)
        test_source_names(tmp)
        test_stdin_closed(tmp)
        test_stdin_once()
        test_account_value_limits(tmp)
        test_terminal_escapes(tmp)
        test_key_file_checks(tmp)
        test_report_file(tmp)
        test_explain_login_on_two_hosts(tmp)
        test_explain_other_ghec_logins(tmp)
        test_explain_email_owner(tmp)
        test_explain_email_login(tmp)
        test_ghec_without_login_named(tmp)
        test_key_and_domain_files(tmp)
        test_verified_domains_file(tmp)
        test_pseudonymize_email_logins(tmp)
        test_pseudonym_key_trimming(tmp)
        test_report_dir_sync_fails(tmp)
        test_unmappable_input(tmp)
        test_long_path_in_error(tmp)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
