#!/usr/bin/env python3
"""Test double for `headcount sync`: one HTTPS server on 127.0.0.1 that
plays a GHES instance (all_users.csv with basic auth, 202 while
"generating"), the GHEC consumed-licenses API (bearer token, pages linked
with Link headers) and the upload receiver (records every request,
dedupes by Idempotency-Key, verifies the HMAC signature).

Standard library only. Usage:
    server.py --dir WORKDIR [--cert PEM --key PEM | --plain-http]

WORKDIR/port receives the ephemeral port once the server listens. The
test steers the server through WORKDIR/control.json, re-read on every
request:
    {"epoch": "...",              # a new value resets the fault counters
     "ghes_user": "...", "ghes_token": "...",
     "ghes_csv": {"/ghe1": "path.csv", ...},   # by URL prefix
     "ghec_token": "...", "ghec_pages": ["page1.json", ...],
     "upload_token": "...", "hmac_key": "...",
     "offsite": false,            # next-page links point to another host
     "link": "...",               # "malformed": an unreadable Link header
                                  # on page 1; "long": one Link line of
                                  # 20,000 bytes with the next link last;
                                  # "relative": links relative to the
                                  # page; "loop": the last page's next
                                  # link is page 2
     "faults": {"ghes": [...], "ghec": [...], "upload": [...]}}
The n-th request to a route (counted since the epoch changed) takes the
n-th fault of its list, or behaves normally past the end of the list.
Faults: "202", "401", "403", "404", "500", "501", "507", "503:SECONDS" /
"429:SECONDS" / "409:SECONDS" (with Retry-After), "reset" (TCP RST), "slow" (headers and a few bytes, then a
stall), "hang" (read the request, never answer), "redirect_http" (302 to
the same path over http://), "redirect_same" (302 to /landing on this
server, which answers any method with 200), "redirect_host" (302 to
https://localhost:PORT/elsewhere/PATH: this server under another host
name, which serves the report or the first page without credentials), "redirect_offsite" (307 to
an http:// host that does not exist), "bad_location" (302 to a Location that is
not a URL), "ratelimit:SECONDS" (403 with
X-RateLimit-Remaining: 0 and a reset SECONDS away), "secondary:STATUS"
(GitHub's secondary rate limit: a 403 or 429 without Retry-After whose
message says so, with rate-limit headers that show requests left),
"html" (a 200 login
page), "garbage" (a status line that is not HTTP), "bad_header" (a header
line without a colon), "bad_gzip" (Content-Encoding: gzip over bytes that
are not gzip), "gzip_cut" (GHES: the report's first rows as a gzip stream
that is flushed but never ended, in a body whose Content-Length is right),
"brotli" (a 200 with Content-Encoding: br), "bad_chunked" (a chunked 200
whose chunk size is not hex),
"truncated" (a 200 that closes the connection, without a TLS close_notify,
long before its Content-Length; "truncated:SECONDS" adds Retry-After),
"unframed" (GHES: a 200 with neither Content-Length nor chunked encoding
whose body, the first rows of the report, ends where the connection is
closed without a TLS close_notify; "unframed:gzip" sends those rows as a
gzip stream cut before its end; "unframed:overflow" sends a
Content-Length too large for any client to take), "202_unframed" (a 202
with neither, ended by the close), "redirect_fat" (a 302 to the same URL
whose chunked body never ends, up to 256 MiB), "huge_header" (one 200 KiB
header line),
"trickle:SECONDS" (a 200 whose body comes one byte a second for SECONDS),
"big_ack:BYTES" (upload: accepted as usual, answered 201 with a body of
BYTES more, 17 MiB by default).

With "gzip": true in control.json, the GHES report and the GHEC pages are
sent gzip-compressed, as two gzip members, to a client that accepts gzip.

Besides the per-route faults, "handshake_resets": N in control.json makes
the first N connections since the epoch end with a TCP RST in the middle
of the TLS handshake (after the ClientHello); they are counted in
WORKDIR/handshake_resets. "handshake_closes": N does the same with a plain
close (FIN), counted in WORKDIR/handshake_closes.

What happened is written to WORKDIR: requests.jsonl (one line per
request), connections (one line per TCP connection, written before the
TLS handshake) and accepted.json (the uploads accepted, one per key).
"""
import argparse
import base64
import gzip
import hashlib
import hmac
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GHES_SUFFIX = "/stafftools/reports/all_users.csv"


class State:
    def __init__(self, workdir):
        self.dir = workdir
        self.lock = threading.Lock()
        self.epoch = None
        self.counters = {}
        self.accepted = []
        self.keys = set()

    def path(self, name):
        return os.path.join(self.dir, name)

    def control(self):
        try:
            with open(self.path("control.json"), encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def next_fault(self, route, control):
        with self.lock:
            if control.get("epoch") != self.epoch:
                self.epoch = control.get("epoch")
                self.counters = {}
            i = self.counters.get(route, 0)
            self.counters[route] = i + 1
        faults = control.get("faults", {}).get(route, [])
        return faults[i] if i < len(faults) else None

    def next_connection(self, control):
        """Counts a connection; "reset" or "close" when it is to end so
        mid-handshake, else None."""
        with self.lock:
            if control.get("epoch") != self.epoch:
                self.epoch = control.get("epoch")
                self.counters = {}
            i = self.counters.get("connection", 0)
            self.counters["connection"] = i + 1
        if i < int(control.get("handshake_resets", 0)):
            return "reset"
        if i < int(control.get("handshake_closes", 0)):
            return "close"
        return None

    def append(self, name, line):
        with self.lock:
            with open(self.path(name), "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def accept(self, entry):
        """Records an upload unless its key was accepted before."""
        with self.lock:
            if entry["key"] in self.keys:
                return False
            self.keys.add(entry["key"])
            self.accepted.append(entry)
            tmp = self.path("accepted.json.tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.accepted, f)
            os.replace(tmp, self.path("accepted.json"))
            return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "headcount-test/1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    # -- helpers --

    def send(self, status, body=b"", ctype="application/json", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def reset(self):
        """Closes the TCP connection with an RST, mid-request."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        raw = self.connection
        if isinstance(raw, ssl.SSLSocket):
            raw = socket.socket(fileno=raw.detach())
        raw.close()
        self.wfile = open(os.devnull, "wb")

    def base_url(self):
        scheme = "http" if self.server.plain else "https"
        return "%s://127.0.0.1:%d" % (scheme, self.server.server_port)

    # -- routing --

    def dispatch(self):
        st = self.server.state
        control = st.control()
        u = urlsplit(self.path)
        if u.path.startswith("/elsewhere/"):
            route = "elsewhere"
        elif u.path.endswith(GHES_SUFFIX):
            route = "ghes"
        elif "/enterprises/" in u.path:
            route = "ghec"
        elif u.path == "/upload":
            route = "upload"
        elif u.path == "/landing":
            route = "landing"
        else:
            route = "other"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = st.next_fault(route, control)
        st.append("requests.jsonl", json.dumps({
            "route": route, "method": self.command, "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "fault": fault, "body_bytes": len(body), "time": time.time()}))
        if fault and self.apply_fault(fault, route, control, u, body):
            return
        if route == "ghes":
            self.ghes(control, u)
        elif route == "ghec":
            self.ghec(control, u)
        elif route == "upload":
            self.upload(control, body)
        elif route == "landing":
            self.send(200, b'{"ok":true}')
        elif route == "elsewhere":
            self.elsewhere(control, u)
        else:
            self.send(404, b'{"message":"Not Found"}')

    def cut(self):
        """Closes the TCP connection without a TLS close_notify."""
        self.close_connection = True
        self.wfile.flush()
        raw = self.connection
        if isinstance(raw, ssl.SSLSocket):
            raw = socket.socket(fileno=raw.detach())
        raw.close()
        self.wfile = open(os.devnull, "wb")

    def apply_fault(self, fault, route, control, u, body):
        """Plays a fault; returns True when it answered the request."""
        kind, _, arg = fault.partition(":")
        if kind in ("401", "403", "404", "500", "501", "507", "202"):
            self.send(int(kind), b'{"message":"fault"}')
        elif kind in ("409", "429", "503"):
            self.send(int(kind), b'{"message":"busy"}',
                      headers=[("Retry-After", arg or "1")])
        elif kind == "reset":
            self.reset()
        elif kind == "slow":
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"created_at,id")
            self.wfile.flush()
            time.sleep(float(arg or 8))
        elif kind == "hang":
            self.close_connection = True
            time.sleep(float(arg or 30))
        elif kind == "redirect_http":
            target = self.base_url().replace("https:", "http:") + self.path
            self.send(302, b"", headers=[("Location", target)])
        elif kind == "ratelimit":
            # GitHub's primary rate limit: 403, remaining 0, a reset time
            # ARG seconds away, no Retry-After.
            reset = int(time.time()) + int(arg or 2)
            self.send(403, b'{"message":"API rate limit exceeded"}',
                      headers=[("X-RateLimit-Remaining", "0"),
                               ("X-RateLimit-Reset", str(reset))])
        elif kind == "secondary":
            # GitHub's secondary rate limit: 403 or 429 (ARG), no
            # Retry-After, no X-RateLimit-Remaining: 0; only the message
            # says what it is.
            self.send(int(arg or 403), b'{"message":"You have exceeded a '
                      b'secondary rate limit. Please wait a few minutes '
                      b'before you try again.","documentation_url":'
                      b'"https://docs.github.com/rest/overview/rate-limits-'
                      b'for-the-rest-api"}',
                      headers=[("X-RateLimit-Remaining", "4990")])
        elif kind == "big_ack" and route == "upload":
            self.upload(control, body, pad=int(arg or 17 << 20))
        elif kind == "redirect_same":
            self.send(302, b"", headers=[("Location",
                                          self.base_url() + "/landing")])
        elif kind == "redirect_host":
            # Another host name of this server (its certificate names
            # localhost too), which serves the data without credentials.
            target = "%s://localhost:%d/elsewhere%s" % (
                "http" if self.server.plain else "https",
                self.server.server_port, self.path)
            self.send(302, b"", headers=[("Location", target)])
        elif kind == "bad_location":
            self.send(302, b"", headers=[("Location", "https://[::1")])
        elif kind == "redirect_offsite":
            self.send(307, b"", headers=[
                ("Location", "http://headcount-offsite.invalid/collect")])
        elif kind == "html":
            self.send(200, "<html><body>Sign in</body></html>", "text/html")
        elif kind == "garbage":
            self.close_connection = True
            self.wfile.write(b"SPDY/9 banana\r\n\r\n")
        elif kind == "bad_header":
            self.close_connection = True
            self.wfile.write(b"HTTP/1.1 200 OK\r\nno colon here\r\n"
                             b"Content-Length: 0\r\n\r\n")
        elif kind == "bad_gzip":
            self.send(200, b"this is not gzip at all", headers=[
                ("Content-Encoding", "gzip")])
        elif kind == "gzip_cut" and route == "ghes":
            # Whole rows and correct framing: only the missing end of the
            # gzip stream tells that the body is cut.
            path = control.get("ghes_csv", {}).get(u.path[: -len(GHES_SUFFIX)])
            with open(path, "rb") as f:
                lines = f.read().splitlines(keepends=True)
            z = zlib.compressobj(wbits=31)
            data = z.compress(b"".join(lines[: max(2, len(lines) // 2)]))
            self.send(200, data + z.flush(zlib.Z_SYNC_FLUSH),
                      "text/csv; charset=utf-8",
                      headers=[("Content-Encoding", "gzip")])
        elif kind == "brotli":
            self.send(200, b"{}", headers=[("Content-Encoding", "br")])
        elif kind == "truncated":
            extra = b"Retry-After: %s\r\n" % arg.encode() if arg else b""
            self.wfile.write(b"HTTP/1.1 200 OK\r\n"
                             b"Content-Type: application/json\r\n" + extra +
                             b"Content-Length: 100000\r\n\r\n{\"users\": [")
            self.cut()
        elif kind == "unframed" and route == "ghes":
            # The report's first half, cut between two rows, in a body
            # that only the end of the connection ends.
            path = control.get("ghes_csv", {}).get(u.path[: -len(GHES_SUFFIX)])
            with open(path, "rb") as f:
                lines = f.read().splitlines(keepends=True)
            length = (b"Content-Length: 99999999999999999999999\r\n"
                      if arg == "overflow" else b"")
            body = b"".join(lines[: max(2, len(lines) // 2)])
            if arg == "gzip":
                # A gzip stream flushed but not ended, as a cut leaves it.
                z = zlib.compressobj(wbits=31)
                body = z.compress(body) + z.flush(zlib.Z_SYNC_FLUSH)
                length = b"Content-Encoding: gzip\r\n"
            self.wfile.write(b"HTTP/1.1 200 OK\r\n"
                             b"Content-Type: text/csv; charset=utf-8\r\n" +
                             length + b"Connection: close\r\n\r\n" + body)
            self.cut()
        elif kind == "202_unframed":
            self.close_connection = True
            self.wfile.write(b"HTTP/1.1 202 Accepted\r\n"
                             b"Content-Type: application/json\r\n"
                             b"Connection: close\r\n\r\n"
                             b'{"message":"generating"}')
        elif kind == "redirect_fat":
            # libcurl reads the body of a redirect it follows (to keep the
            # connection) without handing it to the write callback.
            self.close_connection = True
            self.send_response(302)
            self.send_header("Location", self.base_url() + self.path)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"10000\r\n" + b"r" * 65536 + b"\r\n"
            try:
                for _ in range(4096):
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif kind == "bad_chunked":
            self.close_connection = True
            self.wfile.write(b"HTTP/1.1 200 OK\r\n"
                             b"Content-Type: application/json\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n"
                             b"ZZZZ\r\n{}\r\n0\r\n\r\n")
        elif kind == "huge_header":
            self.close_connection = True
            self.send(200, b"{}", headers=[("X-Filler", "a" * 200000)])
        elif kind == "trickle":
            self.close_connection = True
            n = int(arg or 30)
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(n + 1000))
            self.end_headers()
            for _ in range(n):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(1)
        else:
            self.send(500, "unknown fault " + fault)
        return True

    def ghes(self, control, u):
        prefix = u.path[: -len(GHES_SUFFIX)]
        want = "Basic " + base64.b64encode(
            ("%s:%s" % (control.get("ghes_user"), control.get("ghes_token"))
             ).encode()).decode()
        if self.headers.get("Authorization") != want:
            self.send(401, b'{"message":"Requires authentication"}')
            return
        path = control.get("ghes_csv", {}).get(prefix)
        if not path:
            self.send(404, b'{"message":"Not Found"}')
            return
        with open(path, "rb") as f:
            self.send_data(control, f.read(), "text/csv; charset=utf-8")

    def send_data(self, control, data, ctype, headers=()):
        """A 200 with the data, gzip-compressed in two members when the
        control asks for it and the client accepts gzip."""
        accepts = self.headers.get("Accept-Encoding") or ""
        if control.get("gzip") and "gzip" in accepts:
            half = len(data) // 2
            data = gzip.compress(data[:half]) + gzip.compress(data[half:])
            headers = list(headers) + [("Content-Encoding", "gzip")]
        self.send(200, data, ctype, headers)

    def elsewhere(self, control, u):
        """The data of /elsewhere/PATH (PATH a GHES report or the first
        GHEC page), without asking for credentials."""
        path = u.path[len("/elsewhere"):]
        if path.endswith(GHES_SUFFIX):
            name = control.get("ghes_csv", {}).get(path[: -len(GHES_SUFFIX)])
            ctype = "text/csv; charset=utf-8"
        else:
            name = (control.get("ghec_pages") or [None])[0]
            ctype = "application/json; charset=utf-8"
        if not name:
            self.send(404, b'{"message":"Not Found"}')
            return
        with open(name, "rb") as f:
            self.send(200, f.read(), ctype)

    def ghec(self, control, u):
        if self.headers.get("Authorization") != "Bearer %s" % control.get(
                "ghec_token"):
            self.send(401, b'{"message":"Bad credentials"}')
            return
        qs = parse_qs(u.query)
        page = int(qs.get("page", ["1"])[0])
        pages = control.get("ghec_pages", [])
        if page < 1 or page > len(pages):
            self.send(404, b'{"message":"Not Found"}')
            return
        with open(pages[page - 1], "rb") as f:
            data = f.read()
        links = []
        mode = control.get("link")
        base, path = self.base_url(), u.path
        if control.get("offsite"):
            base = "https://elsewhere.example:%d" % self.server.server_port
        if mode == "relative":
            # Relative references (RFC 3986 4.2), as RFC 8288 allows.
            base, path = "", path.rsplit("/", 1)[-1]
        following = page + 1 if page < len(pages) else None
        if mode == "loop" and page == len(pages):
            following = 2
        if following:
            # Relations in varying order and quoting, as real APIs do.
            links.append('<%s%s?per_page=100&page=%d>; rel="last"'
                         % (base, path, len(pages)))
            links.append('<%s%s?per_page=100&page=%d>;rel=next'
                         % (base, path, following))
        if page > 1:
            links.append('<%s%s?per_page=100&page=1>; rel="first"'
                         % (base, path))
        if mode == "malformed" and page == 1:
            # A quote left open in a title swallows the next link.
            links = ['<%s%s?page=1>; rel="first"; title="oops, %s' % (
                base, u.path, links[-1])]
        elif mode == "long" and page == 1:
            filler = '<%s/filler>; rel="help"' % base
            links = [filler] * (20000 // len(filler)) + links
        headers = [("Link", ", ".join(links))] if links else []
        self.send_data(control, data, "application/json; charset=utf-8",
                       headers)

    def upload(self, control, body, pad=0):
        token = control.get("upload_token")
        if token and self.headers.get("Authorization") != "Bearer " + token:
            self.send(401, b'{"message":"bad token"}')
            return
        key = self.headers.get("Idempotency-Key")
        if not key:
            self.send(400, b'{"message":"Idempotency-Key required"}')
            return
        sig_ok = None
        if control.get("hmac_key"):
            ts = self.headers.get("X-Headcount-Timestamp", "")
            mac = hmac.new(control["hmac_key"].encode(),
                           ts.encode() + b"." + body, hashlib.sha256)
            sig_ok = self.headers.get("X-Headcount-Signature-256") == (
                "sha256=" + mac.hexdigest())
            if not sig_ok:
                self.send(401, b'{"message":"bad signature"}')
                return
        gz = self.headers.get("Content-Encoding") == "gzip"
        try:
            raw = gzip.decompress(body) if gz else body
            report = json.loads(raw)
        except (OSError, ValueError):
            self.send(400, b'{"message":"bad body"}')
            return
        entry = {"key": key, "gzip": gz, "signature_ok": sig_ok,
                 "method": self.command,
                 "total_seats_consumed": report.get("total_seats_consumed"),
                 "body": raw.decode("utf-8")}
        if self.server.state.accept(entry):
            self.send(201, b'{"accepted":true,"pad":"%s"}' % (b"x" * pad))
        else:
            self.send(200, b'{"duplicate":true}')


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state, ctx):
        self.state = state
        self.ctx = ctx
        self.plain = ctx is None
        super().__init__(("127.0.0.1", 0), Handler)

    def finish_request(self, request, client_address):
        self.state.append("connections", str(time.time()))
        request.settimeout(60)
        cut = None
        if self.ctx is not None:
            cut = self.state.next_connection(self.state.control())
        if cut:
            # Read the ClientHello, then reset (the client sees "connection
            # reset by peer") or close without a word (an EOF).
            try:
                request.recv(4096)
            except OSError:
                pass
            if cut == "reset":
                request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
            request.close()
            self.state.append("handshake_" + cut + "s", str(time.time()))
            return
        if self.ctx is not None:
            try:
                request = self.ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                self.state.append("handshake_failures", repr(e))
                return
        try:
            self.RequestHandlerClass(request, client_address, self)
        except (ConnectionError, ssl.SSLError, OSError, ValueError):
            pass

    def handle_error(self, request, client_address):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--plain-http", action="store_true")
    args = ap.parse_args()
    ctx = None
    if not args.plain_http:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
    srv = Server(State(args.dir), ctx)
    tmp = os.path.join(args.dir, "port.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(srv.server_port))
    os.replace(tmp, os.path.join(args.dir, "port"))
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
