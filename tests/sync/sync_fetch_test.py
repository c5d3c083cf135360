#!/usr/bin/env python3
"""Fetch failures of `headcount sync` and their exit codes: HTTP errors,
transient errors that succeed on retry, stalls, reports that stay in
"generating", TLS failures (wrong CA, wrong host name: no retry), refused
redirects and pagination links, malformed responses, local exports."""
import gzip
import json
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "fault"))
from faults import fault_vars  # noqa: E402
from synctest import check, check_eq, main  # noqa: E402


def setup(env, **kw):
    env.make_pki()
    env.tokens()
    srv = env.server()
    expected = env.fixture(srv)
    env.standard_config(srv, **kw)
    return srv, expected


def last_sync(env, host):
    for i in env.status()["server_instances"]:
        if i["hostname"] == host:
            return i["last_sync"]
    raise AssertionError(host)


def test_http_errors(env):
    srv, _ = setup(env)
    cases = [({"ghes": ["401"]}, 77), ({"ghes": ["404"]}, 69),
             ({"ghec": ["401"]}, 77), ({"ghec": ["507"]}, 69),
             ({"ghes": ["html"]}, 76), ({"ghec": ["html"]}, 76),
             ({"ghes": ["redirect_http"]}, 76),
             ({"ghes": ["bad_location"]}, 76)]
    for faults, code in cases:
        srv.faults(**faults)
        route = next(iter(faults))
        n = len(srv.requests(route))
        r = env.sync()
        env.check_rc(r, code, "fault %s" % faults)
        # One request per source on that route: no retry.
        check_eq(len(srv.requests(route)) - n, 2 if route == "ghes" else 1,
                 "requests for %s (no retry)" % faults)
        check_eq(srv.accepted(), [], "nothing uploaded after a failed fetch")
        check("headcount: " in r.err, "error on stderr", r)
        check("giving up" not in r.err, "no retries claimed", r)
    # The last case: a redirect that cannot be read is the server's fault,
    # not a malformed URL in the configuration (78).
    check("refused redirect: its Location is not a URL" in r.err,
          "names the redirect", r)
    ls = last_sync(env, "ghe-1.test")
    check_eq(ls["status"], "failed", "last_sync.status after a failure")
    check("HTTP" in ls["error"] or "redirect" in ls["error"],
          "last_sync.error says why", ls)
    # The report of a failed run is not written.
    check(not os.path.exists(env.path("state", "report.json")),
          "no report.json after failed runs")


def test_transient_then_success(env):
    srv, expected = setup(env)
    srv.faults(ghes=["500", "reset", "503:0"], ghec=["500", "429:0"])
    r = env.sync()
    env.check_rc(r, 0, "sync after transient fetch failures")
    check_eq(srv.accepted()[0]["total_seats_consumed"], expected, "count")
    check_eq(len(srv.requests("ghes")), 5, "GHES requests (3 failures + 2)")
    check_eq(len(srv.requests("ghec")), 4, "GHEC requests (2 failures + 2)")


def test_rate_limit_waits_for_reset(env):
    """A primary rate limit (403, remaining 0, no Retry-After) is waited
    out until its reset, or ends the run at once when the reset is past
    the retry deadline."""
    srv, expected = setup(env)
    srv.faults(ghec=["ratelimit:2"])
    r = env.sync()
    env.check_rc(r, 0, "sync after a short rate limit")
    ghec = srv.requests("ghec")
    check_eq(len(ghec), 3, "GHEC requests (limited, then two pages)")
    gap = ghec[1]["time"] - ghec[0]["time"]
    check(gap >= 1.5, "waited for the reset", gap)
    check_eq(srv.accepted()[-1]["total_seats_consumed"], expected, "count")
    srv.faults(ghec=["ratelimit:86400"])
    n = len(srv.requests("ghec"))
    r = env.sync()
    env.check_rc(r, 75, "rate limit reset past the deadline")
    check_eq(len(srv.requests("ghec")) - n, 1, "no retry before the reset")
    check("rate limit exhausted until" in r.err, "message", r)


def test_secondary_rate_limit(env):
    """GitHub's secondary rate limits (a 403 or 429 without Retry-After or
    X-RateLimit-Remaining: 0, whose message says "rate limit") ask for a
    wait of at least a minute: past the retry deadline (20 s here) the run
    ends at once with 75 instead of taking the 403 for bad credentials or
    retrying the 429 within seconds. A 403 that says nothing of the kind
    still refuses the credentials, and outside GitHub's API (GHES's report)
    a 429 without Retry-After keeps the usual backoff."""
    srv, expected = setup(env)
    for status in ("403", "429"):
        srv.faults(ghec=["secondary:" + status])
        n = len(srv.requests("ghec"))
        r = env.sync()
        env.check_rc(r, 75, "secondary rate limit with HTTP " + status)
        check_eq(len(srv.requests("ghec")) - n, 1,
                 status + ": no retry before the minute is up")
        check("GHEC acme: HTTP %s: GitHub's secondary rate limit asks for a "
              "wait of at least 60 s, past the retry deadline" % status
              in r.err, "message", r)
    srv.faults(ghec=["403"])
    r = env.sync()
    env.check_rc(r, 77, "a 403 that is no rate limit")
    check("refused the credentials" in r.err, "message", r)
    srv.faults(ghes=["secondary:429"])
    r = env.sync()
    env.check_rc(r, 0, "GHES 429 retried after the usual backoff")
    ghe1 = [q for q in srv.requests("ghes") if q["path"].startswith("/ghe1")]
    check(ghe1[-1]["time"] - ghe1[-2]["time"] < 5, "a short backoff", ghe1)
    check_eq(srv.accepted()[-1]["total_seats_consumed"], expected, "count")


def test_slow_body_times_out(env):
    srv, _ = setup(env, http={"max_attempts": "2"})
    srv.faults(ghes=["slow:6", "slow:6"])
    r = env.sync(timeout=40)
    env.check_rc(r, 75, "stalled GHES report")
    ghe1 = [q for q in srv.requests("ghes") if q["path"].startswith("/ghe1")]
    check_eq(len(ghe1), 2, "attempts = max_attempts")
    check("giving up" in r.err, "says it gave up", r)


def test_trickle_hits_fetch_timeout(env):
    """A server that keeps sending, too slowly to finish but never slowly
    enough for the low-speed check (disabled here), is cut off by
    fetch_timeout on every attempt."""
    srv, _ = setup(env, http={"max_attempts": "2", "low_speed_limit": "0",
                              "fetch_timeout": "2s"})
    srv.faults(ghes=["trickle:60", "trickle:60"])
    r = env.sync(timeout=30)
    env.check_rc(r, 75, "trickling GHES report")
    ghe1 = [q for q in srv.requests("ghes") if q["path"].startswith("/ghe1")]
    check_eq(len(ghe1), 2, "attempts = max_attempts")
    check("timed out" in r.err and "giving up" in r.err, "says why", r)
    check_eq(last_sync(env, "ghe-1.test")["status"], "failed", "last_sync")


def test_fetch_timeout_past_deadline_retried(env):
    """As with the defaults (fetch_timeout 1h, retry_deadline 15m), an
    attempt cut off by a fetch_timeout longer than retry_deadline is still
    retried: the deadline counts from the first failure."""
    srv, _ = setup(env, http={"max_attempts": "4", "low_speed_limit": "0",
                              "fetch_timeout": "2s",
                              "retry_deadline": "1s"})
    srv.faults(ghes=["trickle:60"] * 4)
    r = env.sync(timeout=40)
    env.check_rc(r, 75, "trickling GHES report")
    ghe1 = [q for q in srv.requests("ghes") if q["path"].startswith("/ghe1")]
    check_eq(len(ghe1), 2, "one retry, then past the deadline")
    check("giving up after 2 attempts" in r.err, "says why", r)


def test_report_still_generating(env):
    srv, _ = setup(env, http={"poll_max_wait": "2s"})
    srv.faults(ghes=["202"] * 50)
    r = env.sync()
    env.check_rc(r, 75, "report still generating")
    check("202" in r.err, "mentions 202", r)
    # Polls at 0 s and 1 s; the next (after 2 s more) would pass 2 s.
    n = len([q for q in srv.requests("ghes") if q["path"].startswith("/ghe1")])
    check(2 <= n <= 3, "polls with backoff within poll_max_wait", n)


def test_tls_wrong_ca(env):
    srv, _ = setup(env)
    with open(env.config) as f:
        text = f.read()
    env.write("headcount.ini", text.replace("ca_file = ca.pem",
                                            "ca_file = wrongca.pem"), 0o644)
    r = env.sync()
    env.check_rc(r, 69, "certificate from an unknown CA")
    check("TLS" in r.err, "says TLS", r)
    # The first GHES fails; the second and GHEC are still tried once each,
    # and the pending upload does not exist: 3 connections, no retries.
    check_eq(srv.connections(), 3, "one connection per source, no retry")
    check_eq(srv.requests(), [], "no HTTP request passed the handshake")


def handshake_cut_retried(env, fault, what):
    """The server cuts the first two TLS handshakes short (fault is
    handshake_resets or handshake_closes): retried with backoff like a
    reset after the handshake, and the run succeeds."""
    srv, expected = setup(env)
    srv.set(**{fault: 2})
    r = env.sync()
    env.check_rc(r, 0, "sync after two handshakes %s" % what)
    with open(os.path.join(srv.dir, fault)) as f:
        check_eq(len(f.readlines()), 2, "handshakes %s by the server" % what)
    check("retrying" in r.err, "the retry is logged", r)
    check_eq(srv.accepted()[0]["total_seats_consumed"], expected, "count")


def test_tls_handshake_reset_retried(env):
    """A connection reset during the TLS handshake is transient."""
    handshake_cut_retried(env, "handshake_resets", "reset")


def test_tls_handshake_close_retried(env):
    """A peer that closes the connection in the middle of the handshake
    (no reset) is retried too."""
    handshake_cut_retried(env, "handshake_closes", "closed")


def test_https_to_plain_http_port(env):
    """An https:// URL on a port that speaks plain HTTP fails the same way
    on every attempt: 69 at once, no retry."""
    env.make_pki()
    env.tokens()
    srv = env.server()
    env.fixture(srv)
    plain = env.server("plain", plain=True)
    env.standard_config(srv)
    with open(env.config) as f:
        text = f.read()
    env.write("headcount.ini", text.replace(
        "api_url = %s/api" % srv.url,
        "api_url = https://127.0.0.1:%d/api" % plain.port), 0o644)
    r = env.sync()
    env.check_rc(r, 69, "https:// to a plain HTTP port")
    check("TLS" in r.err, "says TLS", r)
    check("retrying" not in r.err, "not retried", r)
    check_eq(plain.connections(), 1, "one connection, no retry")


def test_bad_responses(env):
    """Answers that are not valid HTTP are the server's fault (76) and the
    same on every attempt (no retry)."""
    srv, _ = setup(env)
    for fault in ("garbage", "bad_header", "bad_gzip", "brotli", "bad_chunked",
                  "huge_header"):
        srv.faults(ghec=[fault])
        n = len(srv.requests("ghec"))
        r = env.sync()
        env.check_rc(r, 76, "GHEC answer " + fault)
        check_eq(len(srv.requests("ghec")) - n, 1, fault + ": no retry")
        check("GHEC acme: the server's answer" in r.err, "message", r)
        check_eq(srv.accepted(), [], "nothing uploaded")
    # A body cut short by a closed connection is the network's doing: it
    # is retried.
    srv.faults(ghec=["truncated"])
    n = len(srv.requests("ghec"))
    r = env.sync()
    env.check_rc(r, 0, "GHEC answer truncated, then whole")
    check_eq(len(srv.requests("ghec")) - n, 3, "truncated page retried")


def test_gzip_bodies(env):
    """Exports sent gzip-compressed (in two gzip members) count as sent
    plainly; a gzip stream that stops before its end, inside correct HTTP
    framing, is a cut body: 76, nothing counted or uploaded."""
    srv, expected = setup(env)
    srv.set(gzip=True)
    # 30,000 suspended rows (no seats) make a body of about 3 MB: many
    # reads from the connection and many 16 KiB pieces of output.
    with open(env.path("ghe-1.test.csv"), "a") as f:
        f.write("".join(ROW % (100000 + i, "s%d" % i) for i in range(30000)))
    r = env.sync()
    env.check_rc(r, 0, "gzip-compressed exports")
    check_eq(srv.accepted()[-1]["total_seats_consumed"], expected,
             "the count of the plain exports")
    check(all(q["headers"].get("accept-encoding") == "gzip"
              for q in srv.requests("ghes") + srv.requests("ghec")),
          "asks for gzip alone", srv.requests("ghes")[-1])
    n = len(srv.accepted())
    srv.faults(ghes=["gzip_cut"])
    r = env.sync()
    env.check_rc(r, 76, "a gzip body cut inside its framing")
    check("gzip body stops before the end of its stream" in r.err,
          "says so", r)
    check_eq(len(srv.accepted()), n, "nothing uploaded")


class ConnectRefuser:
    """A proxy on loopback that answers every CONNECT with one status."""

    def __init__(self, status):
        self.status = status
        self.connects = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    more = conn.recv(4096)
                    if not more:
                        break
                    data += more
                if data.startswith(b"CONNECT "):
                    self.connects += 1
                conn.sendall(b"HTTP/1.1 %d Refused\r\n"
                             b"Proxy-Authenticate: Basic realm=\"p\"\r\n"
                             b"Content-Length: 0\r\n\r\n" % self.status)

    def close(self):
        self.sock.close()


def test_proxy_refuses_tunnel(env):
    """A proxy that answers CONNECT with 407 wants credentials headcount
    was not given: 77 at once, since no retry has them. One whose policy
    forbids the tunnel (403) is 69, not retried either."""
    srv, _ = setup(env)
    for status, code in ((407, 77), (403, 69)):
        proxy = ConnectRefuser(status)
        r = env.run("sync", "--config", env.config,
                    extra_env={"https_proxy": proxy.url,
                               "HTTPS_PROXY": proxy.url})
        proxy.close()
        env.check_rc(r, code, "CONNECT answered %d" % status)
        check("the proxy refused the tunnel: HTTP %d" % status in r.err,
              "names the proxy's answer", r)
        check("retrying" not in r.err, "not retried", r)
        check(proxy.connects >= 1, "went through the proxy", proxy.connects)
        check_eq(srv.requests(), [], "the server saw no request")


def test_unframed_body_retried(env):
    """A 200 over HTTP/1.1 with neither Content-Length nor chunked encoding
    ends where the connection ends, so a body cut between two rows looks
    complete: it is refused and retried like a partial transfer, and a
    run whose every attempt gets one fails with 75 instead of counting
    too few users."""
    srv, expected = setup(env)
    srv.faults(ghes=["unframed"])
    r = env.sync()
    env.check_rc(r, 0, "GHES report unframed, then whole")
    ghe1 = [q for q in srv.requests("ghes") if q["path"].startswith("/ghe1")]
    check_eq(len(ghe1), 2, "the unframed report was fetched again")
    check("cannot be told from a cut connection" in r.err, "logged", r)
    check_eq(srv.accepted()[-1]["total_seats_consumed"], expected, "count")
    srv.faults(ghes=["unframed"] * 4)
    r = env.sync()
    env.check_rc(r, 75, "GHES report unframed on every attempt")
    check("GHES ghe-1.test: the server sent a body whose end cannot be told "
          "from a cut connection" in r.err and "giving up after 4 attempts"
          in r.err, "message", r)
    check_eq(len(srv.accepted()), 1, "nothing more uploaded")
    # Compressed, the cut body is a gzip stream without its end: still a
    # cut connection, retried, not the server's fault (76).
    srv.faults(ghes=["unframed:gzip"])
    r = env.sync()
    env.check_rc(r, 0, "GHES report unframed and gzip-compressed, then whole")
    check("cannot be told from a cut connection" in r.err, "logged", r)
    check_eq(srv.accepted()[-1]["total_seats_consumed"], expected, "count")
    # A Content-Length too large for libcurl is dropped (the body then
    # ends at the close): the header alone does not frame the body.
    srv.faults(ghes=["unframed:overflow"])
    r = env.sync()
    env.check_rc(r, 0, "GHES report with an overflowing length, then whole")
    check("cannot be told from a cut connection" in r.err, "logged", r)
    check_eq(srv.accepted()[-1]["total_seats_consumed"], expected, "count")
    # A 202's body is not kept: however it ends, the report is polled for,
    # not retried.
    srv.faults(ghes=["202_unframed", "202_unframed"])
    r = env.sync()
    env.check_rc(r, 0, "unframed 202 answers, then the report")
    check_eq(r.err.count("report is being generated"), 2, "polled twice")
    check("retrying" not in r.err, "no retry spent on a 202", r)


def test_redirect_body_bounded(env):
    """The body of a redirect libcurl follows never reaches the write
    callback; an endless one is cut at a bound (76) instead of being read
    until the fetch timeout."""
    srv, _ = setup(env)
    srv.faults(ghes=["redirect_fat"])
    r = env.sync()
    env.check_rc(r, 76, "endless redirect body")
    check("GHES ghe-1.test: response larger than" in r.err, "message", r)
    check_eq(srv.accepted(), [], "nothing uploaded")


def test_retry_after_bounds(env):
    """A Retry-After too large to parse is still a wait of more than a
    day: past the deadline, said as such, with no retry; one on an answer
    cut short is not the server's request and is not waited for."""
    srv, expected = setup(env)
    srv.faults(ghes=["503:99999999999999999999999"])
    r = env.sync()
    env.check_rc(r, 75, "Retry-After past 2^64 seconds")
    check("GHES ghe-1.test: HTTP 503: the server asks for a wait of 86400 s "
          "(Retry-After), past the retry deadline" in r.err, "message", r)
    ghe1 = [q for q in srv.requests("ghes") if q["path"].startswith("/ghe1")]
    check_eq(len(ghe1), 1, "no retry before the wait")
    srv.faults(ghec=["truncated:3600"])
    n = len(srv.requests("ghec"))
    r = env.sync()
    env.check_rc(r, 0, "cut answer with Retry-After, then whole")
    ghec = srv.requests("ghec")[n:]
    check_eq(len(ghec), 3, "cut page retried")
    check(ghec[1]["time"] - ghec[0]["time"] < 5, "a short backoff", ghec)
    check_eq(srv.accepted()[-1]["total_seats_consumed"], expected, "count")


def test_tls_wrong_host(env):
    env.make_pki()
    env.tokens()
    good = env.server()
    env.fixture(good)
    bad = env.server("wrong", cert="wronghost")
    env.standard_config(good)
    with open(env.config) as f:
        text = f.read()
    env.write("headcount.ini", text.replace(
        "url = %s/ghe1" % good.url, "url = %s/ghe1" % bad.url), 0o644)
    r = env.sync()
    env.check_rc(r, 69, "certificate for another host name")
    check_eq(bad.connections(), 1, "wrong host: one connection, no retry")
    check_eq(bad.requests(), [], "no request sent to the wrong host")


def test_redirect_to_another_host(env):
    """A download redirected to another host (libcurl follows, without the
    credentials) is not counted: the other host's answer is not the
    source's (76, naming both hosts but no path or query)."""
    srv, _ = setup(env)
    for route in ("ghes", "ghec"):
        srv.faults(**{route: ["redirect_host"]})
        n = len(srv.requests("elsewhere"))
        r = env.sync()
        env.check_rc(r, 76, route + " redirected to another host")
        check_eq(len(srv.requests("elsewhere")) - n, 1,
                 "the other host was asked once (no retry)")
        check("redirected from https://127.0.0.1:%d to https://localhost:%d"
              ", another host or scheme; its answer is not taken"
              % (srv.port, srv.port) in r.err, "message", r)
        check("elsewhere" not in r.err and "per_page" not in r.err,
              "no path or query of the other host shown", r)
        check_eq(srv.accepted(), [], "nothing uploaded")
    # A redirect on the same host is still followed.
    srv.faults(ghes=["redirect_same"])
    r = env.sync()
    check("redirected from" not in r.err, "same host followed", r)
    check_eq(len(srv.requests("landing")), 1, "the same host asked")


def test_pagination_link_offsite(env):
    srv, _ = setup(env)
    srv.set(offsite=True)
    r = env.sync()
    env.check_rc(r, 76, "next link to another host")
    check_eq(len(srv.requests("ghec")), 1, "only the first page fetched")


def test_pagination_link_unreadable(env):
    """A Link header that cannot be read is an error (76), never taken for
    the last page: that would count and upload a partial export."""
    srv, _ = setup(env)
    for mode in ("malformed", "long"):
        srv.set(link=mode)
        n = len(srv.requests("ghec"))
        r = env.sync()
        env.check_rc(r, 76, "Link header " + mode)
        check_eq(len(srv.requests("ghec")) - n, 1, "only page 1 fetched")
        check("page 1: cannot read its Link header" in r.err, "message", r)
        check_eq(srv.accepted(), [], "nothing uploaded")
        check(not os.path.exists(env.path("state", "report.json")),
              "no report from a partial export")
    srv.set(link=None)
    r = env.sync()
    env.check_rc(r, 0, "well-formed links again")
    check_eq(len(srv.accepted()), 1, "uploaded")


def test_pagination_link_loop(env):
    """A next-page link back to a page already fetched would go round
    until the page limit: it stops the run (76), naming the repeat."""
    env.make_pki()
    env.tokens()
    srv = env.server()
    env.fixture(srv, per_page=1)
    env.standard_config(srv)
    srv.set(link="loop")
    r = env.sync(timeout=20)
    env.check_rc(r, 76, "next link from page 3 back to page 2")
    check_eq(len(srv.requests("ghec")), 3, "each page fetched once")
    check("GHEC acme: page 3: the next-page link leads back to page 2 (%s"
          "/api/enterprises/acme/consumed-licenses), already fetched"
          % srv.url in r.err, "message", r)
    check_eq(srv.accepted(), [], "nothing uploaded")


def test_pagination_link_relative(env):
    """A relative next-page link (RFC 8288 allows one) is read against the
    URL of the page it came with."""
    srv, expected = setup(env)
    srv.set(link="relative")
    r = env.sync()
    env.check_rc(r, 0, "relative next links")
    paths = [q["path"] for q in srv.requests("ghec")]
    check_eq(paths, ["/api/enterprises/acme/consumed-licenses?per_page=100",
                     "/api/enterprises/acme/consumed-licenses?per_page=100"
                     "&page=2"], "pages fetched")
    check_eq(srv.accepted()[-1]["total_seats_consumed"], expected, "count")


def test_local_exports(env):
    env.make_pki()
    srv = env.server()
    env.fixture(srv)
    text = ('[ghes "ghe-1.test"]\nfile = ghe-1.test.csv\n'
            '[ghes "ghe-2.test"]\nfile = ghe-2.test.csv\n'
            "[ghec]\nfile = page1.json\n[state]\ndir = state\n")
    env.write("headcount.ini", text, 0o644)
    r = env.sync()
    env.check_rc(r, 0, "local exports")
    # page1 holds alice-gh and erin-gh: gina-gh is missing from this count.
    check("total_seats_consumed 5\n" in r.out, "count from files", r)
    check_eq(env.status()["runs"][0]["upload"], "disabled", "no [upload]")
    env.write("ghe-2.test.csv", "created_at,id\n\"broken\n")
    r = env.sync()
    env.check_rc(r, 65, "malformed local export")
    check("ghe-2.test.csv" in r.err, "names the file", r)
    os.unlink(env.path("ghe-2.test.csv"))
    r = env.sync()
    env.check_rc(r, 66, "missing local export")
    # A JSON export names its server_id; status reports it.
    env.write("ghe-2.test.csv", '{"server_id": "srv-42", "host_name": '
              '"ghe-2.test", "users": [{"id": 1, "login": "x", '
              '"primary_email": "x@corp.example", "suspended": false}]}')
    r = env.sync()
    env.check_rc(r, 0, "GHES JSON export")
    ids = {i["hostname"]: i["server_id"]
           for i in env.status()["server_instances"]}
    check_eq(ids, {"ghe-1.test": None, "ghe-2.test": "srv-42"}, "server_id")
    # The same export gzip-compressed: the engine reads it, and status
    # still shows its server_id.
    with open(env.path("ghe-2.test.csv"), "rb") as f:
        data = f.read()
    with open(env.path("ghe-2.test.json.gz"), "wb") as f:
        f.write(gzip.compress(data.replace(b"srv-42", b"srv-gz")))
    with open(env.config) as f:
        text = f.read()
    env.write("headcount.ini", text.replace("file = ghe-2.test.csv",
                                            "file = ghe-2.test.json.gz"),
              0o644)
    r = env.sync()
    env.check_rc(r, 0, "gzip-compressed GHES JSON export")
    ids = {i["hostname"]: i["server_id"]
           for i in env.status()["server_instances"]}
    check_eq(ids, {"ghe-1.test": None, "ghe-2.test": "srv-gz"},
             "server_id of a .json.gz export")
    # A failed fetch learns no server_id: status keeps the known one.
    os.unlink(env.path("ghe-2.test.json.gz"))
    r = env.sync()
    env.check_rc(r, 66, "missing JSON export")
    inst = {i["hostname"]: i for i in env.status()["server_instances"]}
    check_eq(inst["ghe-2.test"]["server_id"], "srv-gz",
             "server_id kept after a failed fetch")
    check_eq(inst["ghe-2.test"]["last_sync"]["status"], "failed",
             "the failure is shown")


# A suspended all_users.csv row: id, login.
ROW = ("2020-01-02 03:04:05 UTC,%d,%s,,user,true,10.0.0.1,1,0,1,false,"
       "2024-01-01 00:00:00 UTC,{},false\r\n")


def local_run(env, more):
    """The fixture's exports as local files: ghe-1.test's, and the sources
    in more (config text); one sync that must succeed, returned."""
    env.make_pki()
    env.fixture(env.server())
    env.write("headcount.ini", '[ghes "ghe-1.test"]\nfile = ghe-1.test.csv\n'
              + more + "[state]\ndir = state\n", 0o644)
    r = env.sync()
    env.check_rc(r, 0, "local exports")
    return r


def test_outputs_failures(env):
    """A run that cannot finish its outputs leaves report.json as it was:
    summary.json moves first and report.json last, so a failed rename of
    either (a fault injected here) leaves the previous report. A
    write that fails (here past a file size limit) names the file and the
    system's reason."""
    local_run(env, "")
    report = env.path("state", "report.json")
    with open(report, "rb") as f:
        before = f.read()
    # ROW is a suspended account; these count.
    active = ROW.replace(",user,true,", ",user,false,")
    with open(env.path("ghe-1.test.csv"), "a") as f:
        f.write(active % (777, "newcomer"))
    for name in ("summary.json", "report.json"):
        faults = fault_vars(HC_FAULT_RENAME_TO=name)
        if faults is None:
            break
        r = env.run("sync", "--config", env.config, extra_env=faults)
        env.check_rc(r, 74, name + " cannot be renamed into place")
        check(name in r.err, "names " + name, r)
        with open(report, "rb") as f:
            check(f.read() == before, "report.json as it was", r)
    # Past an 8 KiB file size limit, with SIGXFSZ ignored so that the write
    # fails with EFBIG instead of killing the run: the export's copy fits,
    # the report does not.
    with open(env.path("ghe-1.test.csv"), "a") as f:
        for i in range(40):
            f.write(active % (800 + i, "n%d" % i))
    limit = [sys.executable, "-c",
             "import os, resource, signal, sys\n"
             "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
             "resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))\n"
             "os.execv(sys.argv[1], sys.argv[1:])\n"]
    r = env.sync(wrapper=limit)
    env.check_rc(r, 74, "a report past the file size limit")
    check("report.json: cannot write the report: File too large" in r.err,
          "names the file and the reason", r)
    with open(report, "rb") as f:
        check(f.read() == before, "report.json still as it was", r)
    r = env.sync()
    env.check_rc(r, 0, "without the limit")


def test_local_export_copied(env):
    """A local export is counted from its copy in state/fetch/, read with
    read() rather than mapped, so that an export rewritten in place during
    the count cannot kill the run. The GHEC source keeps its file name; an
    export that keeps changing while it is copied (still being written) is
    not counted (75), and counts once it is left alone."""
    r = local_run(env, "[ghec]\nfile = page1.json\n")
    for name in ("ghes-ghe-1.test.local", "ghec.local"):
        check(os.path.isfile(env.path("state", "fetch", name)),
              "copied to fetch/" + name, r)
    with open(env.path("state", "summary.json")) as f:
        names = sorted(s["name"] for s in json.load(f)["sources"])
    check_eq(names, ["ghe-1.test", "page1.json"], "source names")
    seats = r.out

    # The export grows by a row every millisecond while sync runs: every
    # copy sees it change. 20 MB of rows first, so that even the first
    # copy takes long enough to see a write.
    path = env.path("ghe-1.test.csv")
    with open(path) as f:
        original = f.read()
    with open(path, "a") as f:
        for i in range(250000):
            f.write(ROW % (100000 + i, "u%d" % i))
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "f = open(sys.argv[1], 'a')\n"
         "i = 0\n"
         "while True:\n"
         "    f.write(sys.argv[2] % (900000 + i, 'w%d' % i))\n"
         "    f.flush()\n"
         "    if i == 0:\n"
         "        print('writing', flush=True)\n"
         "    i += 1\n"
         "    time.sleep(0.001)\n", path, ROW],
        stdout=subprocess.PIPE, text=True)
    env.procs.append(writer)
    try:
        check_eq(writer.stdout.readline(), "writing\n", "writer started")
        r = env.sync()
    finally:
        writer.kill()
        writer.wait()
    env.check_rc(r, 75, "an export still being written")
    check("kept changing while it was copied" in r.err, "says why", r)
    check("ghe-1.test.csv" in r.err, "names the export", r)
    with open(path, "w") as f:
        f.write(original)
    r = env.sync()
    env.check_rc(r, 0, "the export left alone")
    check_eq(r.out, seats, "the same count")
    # A FIFO named by mistake is refused at once, not waited on.
    os.mkfifo(env.path("fifo.json"))
    env.write("headcount.ini", '[ghes "ghe-1.test"]\nfile = ghe-1.test.csv\n'
              "[ghec]\nfile = fifo.json\n[state]\ndir = state\n", 0o644)
    r = env.sync(timeout=20)
    env.check_rc(r, 66, "a FIFO as a local export")
    check("fifo.json is not a regular file" in r.err, "says why", r)


def test_state_dir_must_be_private(env):
    """A state directory others may write to is refused (77), and so are
    an outbox/ or fetch/ inside it that others may write to or that is a
    link: they could put links to files of their choosing there."""
    env.make_pki()
    srv = env.server()
    env.fixture(srv)
    env.write("headcount.ini", '[ghes "ghe-1.test"]\nfile = ghe-1.test.csv\n'
              "[state]\ndir = state\n", 0o644)
    r = env.sync()
    env.check_rc(r, 0, "private state directory")
    for mode in (0o777, 0o770):
        os.chmod(env.state, mode)
        r = env.sync()
        env.check_rc(r, 77, "state directory mode %o" % mode)
        check("writable by nobody else" in r.err, "says why", r)
    os.chmod(env.state, 0o755)
    r = env.sync()
    env.check_rc(r, 0, "state directory mode 755")
    # The same holds for the folders inside it (a volume that makes every
    # folder group-writable), and a link in place of one is refused.
    for sub in ("outbox", "fetch"):
        path = os.path.join(env.state, sub)
        os.chmod(path, 0o770)
        r = env.sync()
        env.check_rc(r, 77, "%s/ of mode 770" % sub)
        check(path + " must belong to this user and be writable by nobody "
              "else" in r.err, "names the folder", r)
        os.chmod(path, 0o700)
        os.rename(path, path + ".real")
        os.symlink(sub + ".real", path)
        r = env.sync()
        env.check_rc(r, 77, "%s/ a link" % sub)
        check(path + " is not a folder" in r.err, "says why", r)
        os.unlink(path)
        os.rename(path + ".real", path)
    r = env.sync()
    env.check_rc(r, 0, "private folders again")


if __name__ == "__main__":
    sys.exit(main("fetch", [test_http_errors, test_transient_then_success,
                            test_rate_limit_waits_for_reset,
                            test_secondary_rate_limit,
                            test_slow_body_times_out,
                            test_trickle_hits_fetch_timeout,
                            test_fetch_timeout_past_deadline_retried,
                            test_report_still_generating, test_tls_wrong_ca,
                            test_tls_handshake_reset_retried,
                            test_tls_handshake_close_retried,
                            test_https_to_plain_http_port,
                            test_bad_responses, test_gzip_bodies,
                            test_proxy_refuses_tunnel,
                            test_unframed_body_retried,
                            test_redirect_body_bounded,
                            test_retry_after_bounds,
                            test_tls_wrong_host, test_redirect_to_another_host,
                            test_pagination_link_offsite,
                            test_pagination_link_unreadable,
                            test_pagination_link_loop,
                            test_pagination_link_relative,
                            test_local_exports, test_local_export_copied,
                            test_outputs_failures,
                            test_state_dir_must_be_private]))
