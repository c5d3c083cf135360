#!/usr/bin/env python3
"""End-to-end sync against the test server: GHES (with a 202 first), GHEC
(paginated), count, upload with gzip + bearer + HMAC signature, and the
upload's retry and outbox behaviour for each kind of failure."""
import gzip
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "fault"))
from faults import fault_vars  # noqa: E402
from synctest import (GHES_TOKEN, UUID4, check, check_eq, main)  # noqa: E402


def totals(env):
    """total_seats_consumed of report.json and of summary.json."""
    out = []
    for name in ("report.json", "summary.json"):
        with open(env.path("state", name)) as f:
            out.append(json.load(f)["total_seats_consumed"])
    return out


def setup(env, **kw):
    env.make_pki()
    env.tokens()
    srv = env.server()
    expected = env.fixture(srv)
    env.standard_config(srv, **kw)
    return srv, expected


def test_happy_path(env):
    srv, expected = setup(env)
    srv.faults(ghes=["202"])
    r = env.sync()
    env.check_rc(r, 0, "sync")
    acc = srv.accepted()
    check_eq(len(acc), 1, "accepted uploads")
    check_eq(acc[0]["total_seats_consumed"], expected, "uploaded seat count")
    check(acc[0]["gzip"] and acc[0]["signature_ok"], "gzip and signature",
          acc[0])
    check("total_seats_consumed %d\n" % expected in r.out, "stdout", r)
    # Both GHES instances polled after the 202, with basic auth.
    ghes = srv.requests("ghes")
    check_eq(len(ghes), 3, "GHES requests (202, 200, 200)")
    check(all(q["headers"]["authorization"].startswith("Basic ")
              for q in ghes), "basic auth on every GHES request")
    # GHEC: two pages, with the headers GitHub documents.
    ghec = srv.requests("ghec")
    check_eq(len(ghec), 2, "GHEC pages fetched")
    for q in ghec:
        h = q["headers"]
        check_eq(h.get("accept"), "application/vnd.github+json", "Accept")
        check_eq(h.get("x-github-api-version"), "2022-11-28", "API version")
        check(h.get("user-agent", "").startswith("headcount/"), "User-Agent")
    check("per_page=100" in ghec[0]["path"], "per_page", ghec[0]["path"])
    up = srv.requests("upload")
    check_eq(len(up), 1, "upload requests")
    h = up[0]["headers"]
    check(UUID4.match(h["idempotency-key"]), "UUIDv4 key", h)
    check_eq(h.get("content-type"), "application/json", "Content-Type")
    check_eq(h.get("content-encoding"), "gzip", "Content-Encoding")
    # The state directory has the report, the summary and the history.
    with open(env.path("state", "report.json")) as f:
        check_eq(json.load(f)["total_seats_consumed"], expected,
                 "report.json total")
    with open(env.path("state", "summary.json")) as f:
        check_eq(json.load(f)["total_seats_consumed"], expected,
                 "summary.json total")
    check_eq(env.outbox(everything=True), [], "outbox after 2xx")
    for name in ("report.json", "runs.json", "sources.json"):
        mode = os.stat(env.path("state", name)).st_mode & 0o777
        check_eq(oct(mode), oct(0o600), name + " mode")
    st = env.status()
    check_eq(st["runs"][0]["status"], "success", "status run")
    check_eq(st["runs"][0]["total_seats_consumed"], expected, "status seats")
    check_eq(st["runs"][0]["upload"], "delivered", "status upload")
    check_eq([i["hostname"] for i in st["server_instances"]],
             ["ghe-1.test", "ghe-2.test"], "server_instances")
    for i in st["server_instances"]:
        check_eq(i["server_id"], None, "server_id of a CSV source")
        check_eq(i["last_sync"]["status"], "success", "last_sync.status")
        check_eq(i["last_sync"]["error"], None, "last_sync.error")
        check(i["last_sync"]["date"].endswith("Z"), "RFC 3339 UTC date")
    # A second run is a new report: a new key, one more accepted upload.
    r = env.sync()
    env.check_rc(r, 0, "second sync")
    acc = srv.accepted()
    check_eq(len(acc), 2, "accepted after two runs")
    check(acc[0]["key"] != acc[1]["key"], "a new key per report")
    check_eq(len(env.status()["runs"]), 2, "runs recorded")


def test_retries_same_key(env):
    srv, expected = setup(env)
    srv.faults(upload=["500", "reset", "429:1", "503:1"])
    r = env.sync()
    env.check_rc(r, 0, "sync after transient upload failures")
    up = srv.requests("upload")
    check_eq(len(up), 5, "upload attempts")
    keys = {q["headers"]["idempotency-key"] for q in up}
    check_eq(len(keys), 1, "one Idempotency-Key across retries")
    acc = srv.accepted()
    check_eq(len(acc), 1, "accepted uploads")
    check_eq(acc[0]["key"], keys.pop(), "accepted key")
    check_eq(acc[0]["total_seats_consumed"], expected, "seat count")
    # Retry-After: 1 was honoured (the next try came a second later).
    gap = up[3]["time"] - up[2]["time"]
    check(gap >= 0.9, "Retry-After honoured", gap)


def test_conflict_retried(env):
    """A 409 Conflict answers an Idempotency-Key whose first request is
    still being processed: the upload asks again with the same key after
    the Retry-After, like a 429, and keeps the report in the outbox when
    the conflict outlasts the attempts."""
    srv, expected = setup(env)
    srv.faults(upload=["409:1"])
    r = env.sync()
    env.check_rc(r, 0, "sync after a 409")
    up = srv.requests("upload")
    check_eq(len(up), 2, "upload attempts")
    check_eq(len({q["headers"]["idempotency-key"] for q in up}), 1,
             "one Idempotency-Key across retries")
    check(up[1]["time"] - up[0]["time"] >= 0.9, "Retry-After honoured", up)
    check_eq(srv.accepted()[-1]["total_seats_consumed"], expected, "count")
    env.write("page2.json", json.dumps({"users": []}))
    srv.faults(upload=["409:0"] * 10)
    n = len(srv.requests("upload"))
    r = env.sync()
    env.check_rc(r, 75, "409 on every attempt")
    check_eq(len(srv.requests("upload")) - n, 4, "attempts = max_attempts")
    check("HTTP 409 (giving up after 4 attempts)" in r.err, "message", r)
    check_eq(len(env.outbox()), 1, "the report waits in the outbox")
    check_eq(env.status()["runs"][0]["upload"], "pending", "status upload")


def test_large_acknowledgement(env):
    """A receiver that accepts the report with a 2xx whose body is over the
    16 MiB cap of discarded bodies has delivered it: the rest of its
    answer is not read, and the report leaves the outbox."""
    srv, expected = setup(env)
    srv.faults(upload=["big_ack"])
    r = env.sync()
    env.check_rc(r, 0, "upload answered with a 17 MiB 201")
    check_eq(len(srv.requests("upload")), 1, "one upload request")
    check_eq(srv.accepted()[0]["total_seats_consumed"], expected, "count")
    check("is not read" in r.err, "logged", r)
    check_eq(env.outbox(everything=True), [], "outbox emptied")
    check_eq(env.status()["runs"][0]["upload"], "delivered", "status upload")


def test_outbox_kept_then_delivered(env):
    srv, expected = setup(env)
    srv.faults(upload=["503:0"] * 10)
    r = env.sync()
    env.check_rc(r, 75, "sync with the receiver down")
    check_eq(len(srv.requests("upload")), 4, "attempts = max_attempts")
    check_eq(srv.accepted(), [], "nothing accepted")
    pending = env.outbox()
    check_eq(len(pending), 1, "report waits in the outbox")
    check_eq(len(env.outbox(everything=True)), 3,
             "with its local report and summary")
    st = env.status()
    key = st["outbox"]["idempotency_key"]
    check(pending[0].endswith(key + ".json"), "outbox entry named by key",
          pending)
    check_eq(st["runs"][0]["upload"], "pending", "status upload state")
    check_eq(st["runs"][0]["exit_code"], 75, "status exit code")
    # Next run: same data, so the same report and the same key.
    srv.faults()
    r = env.sync()
    env.check_rc(r, 0, "next sync")
    acc = srv.accepted()
    check_eq([a["key"] for a in acc], [key], "pending key delivered")
    check_eq(acc[0]["total_seats_consumed"], expected, "seat count")
    check_eq(env.outbox(everything=True), [], "outbox emptied")


def test_newer_report_supersedes(env):
    srv, _ = setup(env)
    srv.faults(upload=["401"])
    r = env.sync()
    env.check_rc(r, 77, "upload refused with 401")
    check_eq(len(srv.requests("upload")), 1, "401 is not retried")
    old = env.status()["outbox"]["idempotency_key"]
    # The data changes: the new report replaces the pending one.
    env.write("page2.json", json.dumps({"users": []}))
    srv.faults()
    r = env.sync()
    env.check_rc(r, 0, "sync with new data")
    acc = srv.accepted()
    check_eq(len(acc), 1, "only the newest report is sent")
    check(acc[0]["key"] != old, "superseded key never sent")
    check_eq(acc[0]["total_seats_consumed"], 5, "count without gina-gh")
    check_eq(env.outbox(everything=True), [], "outbox emptied")


def test_failed_upload_keeps_report(env):
    """A run whose upload fails leaves report.json and summary.json as the
    last successful run wrote them; the new report waits in the outbox and
    replaces them once it is delivered."""
    srv, expected = setup(env)
    r = env.sync()
    env.check_rc(r, 0, "first sync")

    check_eq(totals(env), [expected, expected], "first report and summary")
    # New data (gina-gh gone), and the receiver refuses for good, then is
    # unreachable (every attempt reset).
    env.write("page2.json", json.dumps({"users": []}))
    for faults, code in ((["404"], 69), (["reset"] * 10, 75)):
        srv.faults(upload=faults)
        r = env.sync()
        env.check_rc(r, code, "sync with upload fault %s" % faults[0])
        check("report " not in r.out, "no report path printed", r)
        check_eq(totals(env), [expected, expected],
                 "report.json and summary.json after upload fault %s"
                 % faults[0])
        check_eq(len(env.outbox()), 1,
                 "the new report waits in the outbox")
        check_eq([f for f in os.listdir(env.state) if f.endswith(".tmp")],
                 [], "no temporary left behind")
    srv.faults()
    r = env.sync()
    env.check_rc(r, 0, "sync after the receiver is back")
    check_eq(totals(env), [expected - 1, expected - 1], "report replaced")
    check_eq(srv.accepted()[-1]["total_seats_consumed"], expected - 1,
             "new report delivered")


def test_delivered_report_settled_once_in_place(env):
    """A delivered report's outbox entry goes only once its local copies
    are report.json and summary.json: when renaming a copy into place fails
    (a fault injected here) the entry stays, marked delivered, and the next
    run puts it in place first, without sending it again, whatever that
    run then counts or sends: a newer report, even one whose upload fails,
    never supersedes it. summary.json moves first, so a failure leaves the
    two files of one report, the previous one."""
    srv, expected = setup(env)
    r = env.sync()
    env.check_rc(r, 0, "first sync")
    with open(env.path("page2.json")) as f:
        page2 = f.read()
    env.write("page2.json", json.dumps({"users": []}))
    faults = fault_vars(HC_FAULT_RENAME_TO="report.json")
    if faults is None:
        return

    r = env.run("sync", "--config", env.config, extra_env=faults)
    env.check_rc(r, 74, "report.json cannot be renamed into place")
    check_eq(len(env.outbox()), 1, "the delivered entry is kept")
    check_eq(len([n for n in env.outbox(everything=True)
                  if n.endswith(".delivered")]), 1, "marked delivered")
    key = srv.requests("upload")[-1]["headers"]["idempotency-key"]
    check_eq(env.status()["outbox"],
             {"pending": 0, "idempotency_key": None,
              "delivered_not_in_place": key},
             "status: delivered, not waiting")
    r = env.run("status", "--config", env.config)
    check("report %s (run " % key in r.out and "waiting" not in r.out,
          "human status", r)
    check_eq(totals(env)[0], expected, "report.json as it was")
    # The data changes back and the receiver is down: the delivered report
    # (expected - 1) goes into place all the same, and the new one waits.
    env.write("page2.json", page2)
    srv.faults(upload=["503:0"] * 10)
    r = env.sync()
    env.check_rc(r, 75, "sync with the receiver down")
    check_eq([a["total_seats_consumed"] for a in srv.accepted()],
             [expected, expected - 1], "nothing sent again")
    check_eq(totals(env), [expected - 1, expected - 1],
             "the delivered report is in place")
    check_eq(len(env.outbox()), 1, "the new report waits in the outbox")
    check_eq([n for n in env.outbox(everything=True)
              if n.endswith(".delivered")], [], "no mark left")
    srv.faults()
    r = env.sync()
    env.check_rc(r, 0, "sync after the receiver is back")
    check_eq(totals(env), [expected, expected], "the newer report in place")
    check_eq(env.outbox(everything=True), [], "outbox emptied")
    # The summary's rename fails: neither file is replaced, and the next
    # run puts both in place before sending its own report.
    env.write("page2.json", json.dumps({"users": []}))
    r = env.run("sync", "--config", env.config,
                extra_env=fault_vars(HC_FAULT_RENAME_TO="summary.json"))
    env.check_rc(r, 74, "summary.json cannot be renamed into place")
    check_eq(totals(env), [expected, expected], "both files as they were")
    n_sent = len(srv.accepted())
    r = env.sync()
    env.check_rc(r, 0, "sync after the failed rename")
    check_eq(totals(env), [expected - 1, expected - 1],
             "both files of the delivered report")
    check_eq(len(srv.accepted()), n_sent + 1, "this run's own report sent")
    check_eq(env.outbox(everything=True), [], "outbox emptied")


def test_outbox_number_exhausted(env):
    """An outbox entry numbered 2^64 - 1 (only an edited or corrupt state
    directory has one) leaves no number for the next run: 74, naming the
    problem, instead of wrapping to 0 and keeping the old report as the
    newer one."""
    srv, _ = setup(env)
    srv.faults(upload=["401"])
    env.check_rc(env.sync(), 77, "upload refused")
    (entry,) = env.outbox()
    key = entry.split("-", 1)[1]
    os.rename(os.path.join(env.state, "outbox", entry),
              os.path.join(env.state, "outbox", "18446744073709551615-" + key))
    srv.faults()
    r = env.sync()
    env.check_rc(r, 74, "outbox number at the maximum")
    check("18446744073709551615, the largest there is" in r.err, "message", r)
    check_eq(srv.accepted(), [], "nothing uploaded")


def test_pending_delivered_by_failed_run(env):
    """A report delivered by a later run that failed (a source down) still
    becomes report.json: the local copy waits beside the outbox entry and
    moves into place when the entry is delivered."""
    srv, expected = setup(env)
    srv.faults(upload=["503:0"] * 10)
    r = env.sync()
    env.check_rc(r, 75, "sync with the receiver down")
    check(not os.path.exists(env.path("state", "report.json")),
          "no report.json before the report is delivered")
    check_eq(len(env.outbox()), 1, "the report waits in the outbox")
    srv.faults(ghes=["404"])
    r = env.sync()
    env.check_rc(r, 69, "sync with a GHES instance failing")
    check_eq(len(srv.accepted()), 1, "the pending report was delivered")
    check_eq(env.status()["runs"][0]["upload"], "delivered", "status upload")
    check_eq(env.outbox(everything=True), [], "outbox emptied")
    for name in ("report.json", "summary.json"):
        check(os.path.exists(env.path("state", name)),
              name + " of the delivered report exists", r)
        with open(env.path("state", name)) as f:
            check_eq(json.load(f)["total_seats_consumed"], expected,
                     name + " of the delivered report")
        mode = os.stat(env.path("state", name)).st_mode & 0o777
        check_eq(oct(mode), oct(0o600), name + " mode")
    check("report " + env.path("state", "report.json") in r.out,
          "the report path is printed", r)


def test_fatal_upload_codes(env):
    srv, _ = setup(env)
    for fault, code in (("404", 69), ("401", 77), ("507", 69), ("501", 69),
                        ("redirect_http", 76), ("redirect_same", 76)):
        srv.faults(upload=[fault])
        n = len(srv.requests("upload"))
        r = env.sync()
        env.check_rc(r, code, "upload " + fault)
        check_eq(len(srv.requests("upload")) - n, 1, fault + " not retried")
        check("after retries" not in r.err and "giving up" not in r.err,
              fault + ": no retries claimed", r)
        check("idempotency_key" in r.out, "stdout names the key", r)
        check_eq(len(env.outbox()), 1,
                 fault + ": the report stays in the outbox")
        check_eq(env.status()["runs"][0]["upload"], "pending",
                 fault + ": status upload state")
    # A POST redirected with 302 would become a bodiless GET whose 200
    # looked like a delivery: the redirect is not followed at all.
    check_eq(srv.requests("landing"), [], "redirect target never requested")
    check("redirect that was not followed" in r.err, "message", r)


def test_outbox_permission_denied(env):
    """An outbox entry, or the outbox itself, this user may not read is a
    permission failure (77), as for every other state file."""
    srv, _ = setup(env)
    wrapper = env.without_dac_override()
    if wrapper is None:
        print("skip test_outbox_permission_denied: running as root "
              "without setpriv, file modes do not bind")
        return
    srv.faults(upload=["404"])
    r = env.sync()
    env.check_rc(r, 69, "upload refused")
    entry = env.path("state", "outbox", env.outbox()[0])
    os.chmod(entry, 0)
    n = len(srv.requests("upload"))
    # GHES fails (the run's exit code): this run has no report of its own,
    # and the pending entry is the one to deliver.
    srv.faults(ghes=["404", "404"])
    r = env.sync(wrapper=wrapper)
    env.check_rc(r, 69, "a source failing")
    check("cannot open %s: Permission denied" % entry in r.err,
          "names the unreadable entry", r)
    srv.faults()
    outbox = env.path("state", "outbox")
    os.chmod(entry, 0o600)
    os.chmod(outbox, 0)
    try:
        r = env.sync(wrapper=wrapper)
    finally:
        os.chmod(outbox, 0o700)
    env.check_rc(r, 77, "outbox directory not readable")
    check("cannot open %s: Permission denied" % outbox in r.err, "message", r)
    check_eq(len(srv.requests("upload")), n, "no upload attempted")


def test_url_file_not_logged(env):
    """A URL kept in url_file is a credential: neither its query nor its
    path appears in the log."""
    srv, expected = setup(env)
    env.write("upload.url", srv.url + "/upload?sig=presigned-secret\n", 0o600)
    with open(env.config) as f:
        text = f.read()
    text = text.replace("url = %s/upload\n" % srv.url,
                        "url_file = upload.url\n")
    env.write("headcount.ini", text, 0o644)
    r = env.sync()
    env.check_rc(r, 0, "upload to a URL from url_file")
    check_eq(srv.accepted()[0]["total_seats_consumed"], expected, "count")
    check("presigned-secret" not in r.err + r.out, "query not shown", r)
    check("/upload" not in r.err, "path not shown", r)
    check(srv.url + "/..." in r.err, "origin shown", r)


def test_url_file_checked_first(env):
    """A URL in url_file that could never be used (credentials inside it,
    a scheme other than https) is a config error found before anything is
    fetched, as for url: exit 78, no request, the password not shown."""
    srv, _ = setup(env)
    with open(env.config) as f:
        text = f.read()
    text = text.replace("url = %s/upload\n" % srv.url,
                        "url_file = upload.url\n")
    env.write("headcount.ini", text, 0o644)
    host = srv.url.split("://", 1)[1]
    for url, words in (("https://robot:hunter2@%s/upload" % host,
                        "use token_file"),
                       ("ftp://%s/upload" % host, "use https://")):
        env.write("upload.url", url + "\n", 0o600)
        r = env.sync()
        env.check_rc(r, 78, "url_file with %s" % words)
        check("[upload] url_file's URL" in r.err and words in r.err,
              "message", r)
        check("hunter2" not in r.err + r.out, "password not shown", r)
    check_eq(srv.requests(), [], "requests")


def plain_receiver(env, **config):
    """Sources on the HTTPS test server; the upload goes to a plain-HTTP
    loopback receiver (a TLS-terminating sidecar) that takes the same
    credentials. Returns the two servers and the expected seat count."""
    env.make_pki()
    env.tokens()
    srv = env.server()
    plain = env.server("plain", plain=True)
    expected = env.fixture(srv)
    plain.set(upload_token=srv.control["upload_token"],
              hmac_key=srv.control["hmac_key"])
    env.standard_config(srv, upload=plain, **config)
    return srv, plain, expected


def test_loopback_http_no_redirect(env):
    """An http:// loopback receiver (a TLS-terminating sidecar) is never
    followed to another host, where the report would travel in clear."""
    _, plain, _ = plain_receiver(env)
    plain.faults(upload=["redirect_offsite"])
    r = env.sync()
    env.check_rc(r, 76, "307 from an http:// loopback receiver")
    check_eq(len(plain.requests("upload")), 1, "one upload request")
    check("redirect that was not followed" in r.err, "message", r)
    check("resolve" not in r.err, "the offsite host was never looked up", r)
    check_eq(plain.accepted(), [], "nothing accepted")


def test_loopback_http_ignores_proxy(env):
    """A proxy in the environment never carries a loopback http:// upload
    (and its token) in cleartext: here it points at a closed port, so a
    proxied upload would fail."""
    _, plain, _ = plain_receiver(env)
    r = env.run("sync", "--config", env.config,
                extra_env={"http_proxy": "http://127.0.0.1:9",
                           "HTTP_PROXY": "http://127.0.0.1:9",
                           "SSLKEYLOGFILE": env.path("keys.log")})
    env.check_rc(r, 0, "loopback upload with a proxy in the environment")
    check_eq(len(plain.accepted()), 1, "delivered directly")
    check(not os.path.exists(env.path("keys.log")), "no TLS key log", r)


def test_pseudonymized_plain_upload(env):
    _, plain, expected = plain_receiver(env, gzip=False)
    env.write("pseudo.key", "pseudonym key\n")
    with open(env.config, "a") as f:
        f.write("[upload]\npseudonymize_key_file = pseudo.key\n")
    r = env.sync()
    env.check_rc(r, 0, "sync to an http:// loopback receiver")
    acc = plain.accepted()
    check_eq(len(acc), 1, "accepted")
    check(not acc[0]["gzip"], "gzip = false honoured")
    body = acc[0]["body"]
    check_eq(json.loads(body)["total_seats_consumed"], expected, "count")
    check("@" not in body, "no email address in a pseudonymized upload")
    check("hmac-sha256:" in body, "pseudonyms present")
    # Same pseudonyms as `headcount count --pseudonymize`.
    out = env.path("count.json")
    r = env.run("count", "--ghes", "ghe-1.test=" + env.path("ghe-1.test.csv"),
                "--ghes", "ghe-2.test=" + env.path("ghe-2.test.csv"),
                "--ghec", env.path("page1.json"), "--ghec",
                env.path("page2.json"), "--pseudonymize",
                env.path("pseudo.key"), "--report", out)
    env.check_rc(r, 0, "count --pseudonymize")
    with open(out) as f:
        mine = json.load(f)
    theirs = json.loads(body)
    check_eq(sorted(json.dumps(u, sort_keys=True) for u in theirs["users"]),
             sorted(json.dumps(u, sort_keys=True) for u in mine["users"]),
             "upload rows equal count --pseudonymize rows")
    # The local report keeps the addresses (it never leaves the machine).
    with open(env.path("state", "report.json")) as f:
        check("@corp.example" in f.read(), "local report not pseudonymized")
    check(GHES_TOKEN not in body, "no token in the body")
    check("look like email" not in r.err, "no login warning", r)
    # A GHEC export whose login is an address (a user principal name)
    # keeps it in clear: the log says so.
    env.write("upn.json", json.dumps({"users": [{
        "github_com_login": "pat@corp.example", "github_com_user": True,
        "github_com_verified_domain_emails": ["pat@corp.example"]}]}))
    with open(env.config) as f:
        text = f.read()
    text = re.sub(r"\[ghec\]\n(?:[^\[\n][^\n]*\n)*",
                  "[ghec]\nfile = upn.json\n", text)
    env.write("headcount.ini", text, 0o644)
    r = env.sync()
    env.check_rc(r, 0, "sync with an email-shaped GHEC login")
    check("warning: upload: 1 login in the report looks like an email "
          "address" in r.err, "email-shaped login warned about", r)


if __name__ == "__main__":
    sys.exit(main("upload", [test_happy_path, test_retries_same_key,
                             test_conflict_retried,
                             test_large_acknowledgement,
                             test_outbox_kept_then_delivered,
                             test_newer_report_supersedes,
                             test_failed_upload_keeps_report,
                             test_pending_delivered_by_failed_run,
                             test_delivered_report_settled_once_in_place,
                             test_outbox_number_exhausted,
                             test_fatal_upload_codes,
                             test_outbox_permission_denied,
                             test_url_file_not_logged,
                             test_url_file_checked_first,
                             test_loopback_http_no_redirect,
                             test_loopback_http_ignores_proxy,
                             test_pseudonymized_plain_upload]))
