"""Shared harness of the sync integration tests.

Each test script builds an Env: a private temporary directory, a test CA
and certificates made with the openssl command line, one or more
instances of server.py, token files, a config, and helpers to run the
headcount binary and read what the server saw. Every process started is
killed when the script ends (also on failure). The fixture is small and
its seat count is computed here by a reference written independently of
the engine.
"""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))

# Secrets used by the tests; no file or output may ever contain them.
GHES_TOKEN = "ghes-token-5f1c2b7e9a"
GHEC_TOKEN = "ghec-token-7d3a9e1b4c"
UPLOAD_TOKEN = "upload-token-2b8e6f0d1a"
HMAC_KEY = "hmac-key-9c4d7a2e6b"
SECRETS = [GHES_TOKEN, GHEC_TOKEN, UPLOAD_TOKEN, HMAC_KEY]

# The fixture: (id, login, primary email, suspended) per GHES instance,
# and (login, verified emails, SAML NameID) per licensed GHEC account.
GHES = {
    "ghe-1.test": [
        (2, "alice", "Alice@corp.example", False),
        (3, "bob", "bob@corp.example", False),
        (4, "carol", "carol@corp.example", True),
        (5, "ghost", "", False),
        (6, "dave", "", False),
    ],
    "ghe-2.test": [
        (7, "bob", " BOB@corp.example", False),
        (8, "erin", "erin@corp.example", False),
        (9, "frank", "frank@other.example", False),
    ],
}
GHEC = [
    ("alice-gh", ["alice@corp.example"], ""),
    ("erin-gh", [], "erin@corp.example"),
    ("gina-gh", ["gina@corp.example"], ""),
]


def expected_seats(ghes, ghec):
    """rules_v1 policy github for ASCII fixtures: licensed GHEC accounts,
    plus unmatched eligible GHES key groups, plus keyless accounts."""
    ghec_keys = set()
    for _login, verified, name_id in ghec:
        ghec_keys.update(e.strip().lower() for e in verified)
        if name_id:
            ghec_keys.add(name_id.strip().lower())
    groups, keyless = set(), 0
    for users in ghes.values():
        for _id, login, email, suspended in users:
            if suspended or login in ("ghost", "scim-admin"):
                continue
            key = email.strip().lower()
            if "@" not in key:
                keyless += 1
            elif key not in ghec_keys:
                groups.add(key)
    return len(ghec) + len(groups) + keyless


def ghes_csv(users):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["created_at", "id", "login", "email", "role", "suspended?",
                "last_logged_ip", "repos", "ssh_keys", "org_memberships",
                "dormant?", "last_active", "raw_login", "2fa_enabled?"])
    for uid, login, email, suspended in users:
        w.writerow(["2020-01-02 03:04:05 UTC", uid, login, email, "user",
                    "true" if suspended else "false", "10.0.0.1", 1, 0, 1,
                    "false", "2024-01-01 00:00:00 UTC",
                    json.dumps({"login": login, "name": login.title()}),
                    "true"])
    return out.getvalue()


def ghec_pages(users, per_page):
    pages = []
    for i in range(0, len(users), per_page):
        rows = []
        for login, verified, name_id in users[i:i + per_page]:
            rows.append({
                "github_com_login": login, "github_com_name": login,
                "enterprise_server_user_ids": [], "github_com_user": True,
                "enterprise_server_user": False,
                "visual_studio_subscription_user": False,
                "license_type": "enterprise",
                "github_com_verified_domain_emails": verified,
                "github_com_saml_name_id": name_id or None,
                "enterprise_server_emails": [], "total_user_accounts": 1})
        pages.append(json.dumps({"total_seats_consumed": len(users),
                                 "total_seats_purchased": 50,
                                 "users": rows}, indent=1))
    return pages


class TestFailure(Exception):
    pass


def check(cond, what, *details):
    if not cond:
        raise TestFailure(what + "".join("\n    " + str(d) for d in details))


def check_eq(actual, expected, what):
    if actual != expected:
        raise TestFailure("%s: expected %r, got %r" % (what, expected, actual))


class Server:
    def __init__(self, env, name, plain=False, cert="server"):
        self.dir = os.path.join(env.dir, name)
        os.mkdir(self.dir)
        args = [sys.executable, os.path.join(HERE, "server.py"), "--dir",
                self.dir]
        if plain:
            args.append("--plain-http")
        else:
            args += ["--cert", env.path(cert + ".pem"),
                     "--key", env.path(cert + ".key")]
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        env.procs.append(self.proc)
        port_file = os.path.join(self.dir, "port")
        for _ in range(200):
            if os.path.exists(port_file):
                break
            check(self.proc.poll() is None, "server.py exited early",
                  open(os.path.join(self.dir, "server.log")).read())
            time.sleep(0.05)
        else:
            raise TestFailure("server.py did not start within 10 s")
        with open(port_file) as f:
            self.port = int(f.read())
        self.scheme = "http" if plain else "https"
        self.url = "%s://127.0.0.1:%d" % (self.scheme, self.port)
        self.control = {}

    def set(self, **kw):
        """Updates the control file; a new epoch resets fault counters."""
        self.control.update(kw)
        self.control["epoch"] = uuid.uuid4().hex
        tmp = os.path.join(self.dir, "control.json.tmp")
        with open(tmp, "w") as f:
            json.dump(self.control, f)
        os.replace(tmp, os.path.join(self.dir, "control.json"))

    def faults(self, **routes):
        self.set(faults=routes)

    def requests(self, route=None):
        try:
            with open(os.path.join(self.dir, "requests.jsonl")) as f:
                rows = [json.loads(line) for line in f]
        except FileNotFoundError:
            rows = []
        return [r for r in rows if route is None or r["route"] == route]

    def connections(self):
        try:
            with open(os.path.join(self.dir, "connections")) as f:
                return len(f.readlines())
        except FileNotFoundError:
            return 0

    def accepted(self):
        try:
            with open(os.path.join(self.dir, "accepted.json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return []


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def __repr__(self):
        return "exit %d\n--- stdout\n%s--- stderr\n%s" % (self.rc, self.out,
                                                         self.err)


class Env:
    def __init__(self, name):
        if len(sys.argv) < 2:
            sys.exit("usage: %s PATH-TO-headcount" % sys.argv[0])
        self.bin = os.path.abspath(sys.argv[1])
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="hc-sync-%s-" % name)
        self.procs = []
        self.outputs = []
        self.state = self.path("state")
        self.config = self.path("headcount.ini")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    # -- files --

    def write(self, name, text, mode=0o600):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def openssl(self, *args):
        subprocess.run(["openssl"] + list(args), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       cwd=self.dir)

    def make_ca(self, name):
        self.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                     "-subj", "/CN=headcount test %s" % name,
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                     "-keyout", name + ".key", "-out", name + ".pem")

    def make_cert(self, name, ca, san):
        self.write(name + ".ext",
                   "basicConstraints=CA:FALSE\n"
                   "keyUsage=critical,digitalSignature\n"
                   "extendedKeyUsage=serverAuth\n"
                   "subjectAltName=%s\n" % san)
        self.openssl("req", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:prime256v1", "-nodes",
                     "-subj", "/CN=%s" % name, "-keyout", name + ".key",
                     "-out", name + ".csr")
        self.openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
                     "-CAkey", ca + ".key", "-CAcreateserial", "-days", "2",
                     "-extfile", name + ".ext", "-out", name + ".pem")

    def make_pki(self):
        """ca + server (127.0.0.1, localhost); wrongca; wronghost (a cert
        from the right CA for another name)."""
        self.make_ca("ca")
        self.make_ca("wrongca")
        self.make_cert("server", "ca", "IP:127.0.0.1,DNS:localhost")
        self.make_cert("wronghost", "ca", "DNS:wrong.example")

    def tokens(self, mode=0o600):
        self.write("ghes.token", GHES_TOKEN + "\n", mode)
        self.write("ghec.token", GHEC_TOKEN + "\n", mode)
        self.write("upload.token", UPLOAD_TOKEN + "\n", mode)
        self.write("upload.key", HMAC_KEY, mode)

    def fixture(self, server, per_page=2):
        """Serves the fixture from server and returns the expected count."""
        csvs = {}
        for i, (host, users) in enumerate(sorted(GHES.items())):
            csvs["/ghe%d" % (i + 1)] = self.write("%s.csv" % host,
                                                  ghes_csv(users))
        pages = [self.write("page%d.json" % (i + 1), text)
                 for i, text in enumerate(ghec_pages(GHEC, per_page))]
        server.set(ghes_user="site-admin", ghes_token=GHES_TOKEN,
                   ghes_csv=csvs, ghec_token=GHEC_TOKEN, ghec_pages=pages,
                   upload_token=UPLOAD_TOKEN, hmac_key=HMAC_KEY, faults={})
        return expected_seats(GHES, GHEC)

    def server(self, name="srv", **kw):
        return Server(self, name, **kw)

    def standard_config(self, srv, upload=None, extra="", http=None,
                        gzip=True):
        """A config for both GHES instances, GHEC and the upload on srv."""
        up = upload or srv
        knobs = {"connect_timeout": "5s", "low_speed_limit": "1000",
                 "low_speed_time": "1s", "poll_max_wait": "10s",
                 "retry_deadline": "20s", "retry_base": "100ms",
                 "retry_max_delay": "400ms", "max_attempts": "4"}
        knobs.update(http or {})
        text = "[engine]\nthreads = 1\nverified_domains = corp.example\n\n"
        for i, host in enumerate(sorted(GHES)):
            text += ('[ghes "%s"]\nurl = %s/ghe%d\nuser = site-admin\n'
                     "token_file = ghes.token\nca_file = ca.pem\n\n"
                     % (host, srv.url, i + 1))
        text += ("[ghec]\napi_url = %s/api\nenterprise = acme\n"
                 "token_file = ghec.token\nca_file = ca.pem\n\n" % srv.url)
        text += ("[upload]\nurl = %s/upload\nmethod = POST\n"
                 "token_file = upload.token\nhmac_key_file = upload.key\n"
                 "gzip = %s\n" % (up.url, "true" if gzip else "false"))
        if up.scheme == "https":
            text += "ca_file = ca.pem\n"
        else:
            text += "allow_insecure_loopback_http = true\n"
        text += "\n[http]\n" + "".join("%s = %s\n" % kv for kv in
                                        knobs.items())
        text += "\n[schedule]\nweekly = Sun 04:00\njitter = 0s\n"
        text += "\n[state]\ndir = state\n" + extra
        self.write("headcount.ini", text, 0o644)
        return self.config

    # -- running headcount --

    def start(self, *args, extra_env=None, wrapper=()):
        environ = dict(os.environ)
        environ.update(extra_env or {})
        p = subprocess.Popen(list(wrapper) + [self.bin] + list(args),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=environ)
        self.procs.append(p)
        return p

    def without_dac_override(self):
        """A command prefix under which file modes bind this process: none
        for a normal user; for root, setpriv dropping every capability
        (root keeps its uid, so the files it owns stay its own). None when
        root has no way to drop them."""
        if os.geteuid() != 0:
            return []
        if shutil.which("setpriv"):
            return ["setpriv", "--inh-caps=-all", "--bounding-set=-all"]
        return None

    def finish(self, p, timeout=60):
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise TestFailure("headcount %s did not finish within %d s\n%s"
                              % (p.args[1:], timeout, err))
        self.outputs += [out, err]
        return Result(p.returncode, out, err)

    def run(self, *args, timeout=60, extra_env=None, wrapper=()):
        return self.finish(self.start(*args, extra_env=extra_env,
                                      wrapper=wrapper), timeout)

    def sync(self, config=None, timeout=60, wrapper=()):
        return self.run("sync", "--config", config or self.config,
                        timeout=timeout, wrapper=wrapper)

    def status(self, code=0):
        """status --json: its parsed output, or for a status expected to
        exit with code (not 0), its Result."""
        r = self.run("status", "--config", self.config, "--json")
        check_eq(r.rc, code, "status exit code (%r)" % r)
        return json.loads(r.out) if code == 0 else r

    def wait_for(self, cond, what, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cond():
                return
            time.sleep(0.05)
        raise TestFailure("timed out waiting for " + what)

    def outbox(self, everything=False):
        """The outbox entries (SEQ-KEY.json), or with everything also the
        local copies of report and summary kept beside them and the marks
        of delivered entries."""
        names = sorted(os.listdir(os.path.join(self.state, "outbox")))
        if everything:
            return names
        return [n for n in names if not n.endswith((".report.json",
                                                    ".summary.json",
                                                    ".delivered"))]

    # -- checks --

    def check_no_secrets(self):
        """No token or key in any output or any file of the state dir."""
        texts = list(self.outputs)
        for root, _dirs, files in os.walk(self.state):
            for name in files:
                if not os.path.isfile(os.path.join(root, name)):
                    continue  # a FIFO a test put there: nothing to read
                with open(os.path.join(root, name), "rb") as f:
                    texts.append(f.read().decode("utf-8", "replace"))
        for s in SECRETS:
            for t in texts:
                check(s not in t, "a secret leaked into output or state",
                      t[:2000])

    def check_rc(self, r, code, what):
        check(r.rc == code, "%s: expected exit %d" % (what, code), r)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for s in (p.stdout, p.stderr):
                if s:
                    s.close()


def main(name, cases):
    """Runs each case(env) in a fresh Env; prints a line per case."""
    failed = 0
    for case in cases:
        env = Env(name + "-" + case.__name__)
        t0 = time.time()
        try:
            case(env)
            env.check_no_secrets()
            print("ok   %s (%.1f s)" % (case.__name__, time.time() - t0))
            env.close()
            shutil.rmtree(env.dir, ignore_errors=True)
        except (TestFailure, subprocess.CalledProcessError,
                json.JSONDecodeError) as e:
            failed += 1
            print("FAIL %s: %s\n     (files kept in %s)" % (case.__name__, e,
                                                          env.dir))
            env.close()
        except BaseException:
            env.close()
            raise
    sys.stdout.flush()
    return 1 if failed else 0


UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                   r"[0-9a-f]{12}$")
