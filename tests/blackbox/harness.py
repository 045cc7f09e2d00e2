# SPDX-License-Identifier: GPL-2.0-or-later
"""
harness.py - the client side and the proxy control of the black-box tests.

The three sides of each test (habit 8 of doc GUIDE: client request, proxy
config, what the origin sees, what the logs say) are served by:

  * client side: `curl()` (the real thing, through `-x`) and `RawClient`
    (exact bytes, a small HTTP/1.1 response parser that knows the framing
    rules: Content-Length, chunked, close-delimited, no body for HEAD, 1xx,
    204 and 304);
  * proxy: `Tproxyd` (writes a squid.conf into a temp dir with its own
    pid/log files, starts `build/tproxyd -N`, waits for the port to be in
    LISTEN state without connecting to it, stops it and reports crashes);
  * logs: `parse_access_line()` / `Tproxyd.wait_access()` for Squid's native
    access.log format;
  * origin: origin.py (imported by conftest).

Every wait is bounded: helpers take a timeout and fail with what they saw.
"""

import fcntl
import hashlib
import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import termios
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TPROXYD_BUILD", REPO / "build"))
if not BUILD.is_absolute():
    BUILD = REPO / BUILD

VISIBLE_HOSTNAME = "tpx-test.example"


# ---------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------

def free_port(host="127.0.0.1"):
    """A TCP port that was free a moment ago (bind to 0, close)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def closed_port(host="127.0.0.1"):
    """A port on which nothing listens (connect is refused)."""
    return free_port(host)


def listening_ports():
    """Set of local TCP ports in LISTEN state in this network namespace
    (read from /proc, so checking never opens a connection)."""
    ports = set()
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                next(fh)
                for line in fh:
                    p = line.split()
                    if p[3] == "0A":
                        ports.add(int(p[1].rsplit(":", 1)[1], 16))
        except FileNotFoundError:
            pass
    return ports


def poll(pred, timeout, interval=0.02):
    """Call pred() until it returns a true value or timeout s pass; return
    the last value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(interval)


def wait_for(pred, timeout, what="the condition", show=None,
             interval=0.02):
    """Poll pred() until it is true (returning its value) or fail after
    timeout s with `what` and, if given, show() (the state seen last).
    The synchronisation of the suite: use it instead of a sleep whenever
    the test waits for something to happen."""
    v = poll(pred, timeout, interval)
    if not v:
        raise AssertionError("%s: not within %gs%s" % (
            what, timeout, "\n" + str(show()) if show else ""))
    return v


# ---------------------------------------------------------------------------
# How a daemon ended
# ---------------------------------------------------------------------------

# What AddressSanitizer, LeakSanitizer and UBSan print (make SAN=1).
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer",
                     "WARNING: ThreadSanitizer")

# The master's line when a worker dies (src/proc/master.c).
KID_DEATH_RE = re.compile(r"kid(\d+) \(pid (\d+)\) died from signal (\d+)")


def sanitizer_report(text):
    """The sanitizer report in text (from its first marker), or None."""
    found = [i for i in (text.find(m) for m in SANITIZER_MARKERS) if i >= 0]
    if not found:
        return None
    i = min(found)
    return text[max(0, i - 200):i + 6000]


def _read_text(path):
    try:
        return Path(path).read_text(errors="replace")
    except (OSError, TypeError):
        return ""


def exit_problems(what, rc, sent=(), ok_status=(0,), logs=(),
                  kid_signals_ok=(), diagnostics=""):
    """How a stopped daemon ended, as a list of problems (empty: fine).
    The one check every place that stops tproxyd uses (Tproxyd.stop,
    intercept_env.NsTproxyd.stop, tproxyctl_env.stop, ...).

    rc: its exit status as Popen gives it (negative: killed by that
    signal; None: still running). sent: the signals the test sent it; a
    death by one of them is what was asked for, a death by any other is
    a crash. ok_status: the exit statuses that are fine (None: any).
    logs: files (its stderr, cache.log) in which a sanitizer report
    (SANITIZER_MARKERS) is a failure, as is a worker's death by a signal
    not in kid_signals_ok (the master logs it and restarts the worker, so
    the exit status alone would not show it). diagnostics: appended to
    each problem."""
    problems = []
    diag = "\n" + diagnostics if diagnostics else ""
    sent = {int(s) for s in sent}
    if rc is None:
        problems.append("%s is still running" % what)
    elif rc < 0:
        if -rc not in sent:
            try:
                name = signal.Signals(-rc).name
            except ValueError:
                name = "?"
            problems.append("%s died from signal %d (%s), not one the test "
                            "sent (%s)%s" % (what, -rc, name, ", ".join(
                                signal.Signals(s).name for s in sorted(sent))
                                or "none", diag))
    elif ok_status is not None and rc not in ok_status:
        problems.append("%s exited with status %d (expected %s)%s" % (
            what, rc, " or ".join(map(str, ok_status)), diag))
    for path in logs:
        text = _read_text(path)
        report = sanitizer_report(text)
        if report is not None:
            problems.append("%s: sanitizer report in %s:\n%s" % (
                what, path, report))
        for m in KID_DEATH_RE.finditer(text):
            if int(m.group(3)) not in kid_signals_ok:
                problems.append("%s: worker crash in %s: %s%s" % (
                    what, path, m.group(0), diag))
    return problems


def unacked(sock):
    """Bytes written to a TCP socket that its peer has not acknowledged
    yet (unsent ones included: SIOCOUTQ)."""
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ,
                                          b"\0\0\0\0"))[0]


def wait_sent(sock, timeout=10.0):
    """Wait until the peer has acknowledged every byte written to sock:
    the synchronisation point before a reset (SO_LINGER 0 discards what
    is still queued) or a close that must come after the data."""
    wait_for(lambda: unacked(sock) == 0, timeout,
             "the peer acknowledging all the data sent",
             show=lambda: "%d bytes unacknowledged" % unacked(sock))


# ---------------------------------------------------------------------------
# Raw HTTP client
# ---------------------------------------------------------------------------

class Response:
    def __init__(self, version, status, reason, headers, body, head_raw):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value), in order
        self.body = body
        self.head_raw = head_raw

    def header(self, name):
        vals = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(vals) if vals else None

    def __repr__(self):
        return "<Response %d %s, %d header(s), %d body byte(s)>" % (
            self.status, self.reason, len(self.headers), len(self.body))


class ProtocolError(Exception):
    pass


class RawClient:
    """A TCP client that sends exact bytes and parses responses.

    Used as a context manager; every read is bounded by `timeout`."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        if self.eof:
            raise ProtocolError("connection closed; have %r" % self.buf[:200])
        try:
            d = self.sock.recv(262144)
        except ConnectionResetError:
            d = b""
        if not d:
            self.eof = True
            raise ProtocolError("connection closed; have %r" % self.buf[:200])
        self.buf += d

    def recv_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def read_until_close(self):
        """Everything until the peer closes (or resets)."""
        try:
            while True:
                self._fill()
        except ProtocolError:
            pass
        d, self.buf = self.buf, b""
        return d

    def is_closed(self, timeout=2.0):
        """True if the peer closes the connection within timeout s with no
        more data; False if it stays open."""
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            d = self.sock.recv(1)
            if d:
                self.buf += d
                return False
            return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        finally:
            self.sock.settimeout(old)

    def read_response(self, method="GET", skip_1xx=True):
        """Parse one response (head and body, framed per RFC 9112 §6.3).
        With skip_1xx, interim 1xx responses other than 101 are skipped and
        kept in self.interim."""
        self.interim = getattr(self, "interim", [])
        while True:
            while b"\r\n\r\n" not in self.buf:
                self._fill()
            head, _, self.buf = self.buf.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            m = re.match(r"^(HTTP/\d\.\d) (\d{3})(?: (.*))?$", lines[0])
            if not m:
                raise ProtocolError("bad status line %r" % lines[0])
            status = int(m.group(2))
            headers = []
            for ln in lines[1:]:
                n, _, v = ln.partition(":")
                headers.append((n.strip(), v.strip()))
            r = Response(m.group(1), status, m.group(3) or "", headers, b"",
                         head)
            if 100 <= status < 200 and status != 101 and skip_1xx:
                self.interim.append(r)
                continue
            break
        if (method == "HEAD" or status in (204, 304) or 100 <= status < 200
                or (method == "CONNECT" and 200 <= status < 300)):
            return r
        te = (r.header("Transfer-Encoding") or "").lower()
        cl = r.header("Content-Length")
        if "chunked" in te:
            parts = []
            while True:
                size = int(self._line().split(b";")[0].strip(), 16)
                if size == 0:
                    while self._line() != b"":
                        pass
                    break
                parts.append(self.recv_exact(size))
                if self._line() != b"":
                    raise ProtocolError("bad chunk terminator")
            r.body = b"".join(parts)
        elif cl is not None:
            r.body = self.recv_exact(int(cl))
        else:
            r.body = self.read_until_close()
        return r


def raw_request(port, data, nresp=1, methods=None, timeout=10.0,
                host="127.0.0.1"):
    """Send data on a new connection, parse nresp responses; return the list
    of responses (the connection is closed)."""
    methods = methods or ["GET"] * nresp
    with RawClient(port, host, timeout) as c:
        c.send(data)
        return [c.read_response(m) for m in methods]


def get_req(url, method="GET", headers=(), body=None, version="HTTP/1.1",
            host=None):
    """Bytes of a proxy request (absolute-form) for url."""
    if host is None:
        host = url.split("://", 1)[1].split("/", 1)[0]
    lines = ["%s %s %s" % (method, url, version), "Host: %s" % host]
    lines += list(headers)
    if body is not None and not any(h.lower().startswith(
            ("content-length:", "transfer-encoding:")) for h in headers):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


# ---------------------------------------------------------------------------
# curl
# ---------------------------------------------------------------------------

class CurlResult:
    def __init__(self, rc, stderr, heads, body_path, cmd):
        self.rc = rc
        self.stderr = stderr
        self.cmd = cmd
        self.heads = heads              # all response heads (1xx, final)
        final = heads[-1] if heads else None
        self.status = final[0] if final else None
        self.headers = final[1] if final else []
        self.body_len = 0
        self.body_sha256 = hashlib.sha256().hexdigest()
        self.body = b""
        if body_path and os.path.exists(body_path):
            h = hashlib.sha256()
            with open(body_path, "rb") as f:
                while True:
                    d = f.read(1 << 20)
                    if not d:
                        break
                    h.update(d)
                    self.body_len += len(d)
                    if self.body_len <= (2 << 20):
                        self.body += d
            self.body_sha256 = h.hexdigest()

    def header(self, name):
        vals = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(vals) if vals else None

    def __repr__(self):
        return "<curl rc=%s status=%s len=%d stderr=%r>" % (
            self.rc, self.status, self.body_len, self.stderr[-300:])


def _parse_dump(text):
    heads = []
    for block in re.split(r"\r?\n\r?\n", text):
        lines = [ln for ln in block.splitlines() if ln]
        if not lines:
            continue
        m = re.match(r"^HTTP/[\d.]+ (\d{3})", lines[0])
        if not m:
            continue
        hs = []
        for ln in lines[1:]:
            n, _, v = ln.partition(":")
            hs.append((n.strip(), v.strip()))
        heads.append((int(m.group(1)), hs))
    return heads


def curl(proxy_port, url, args=(), max_time=20, data_file=None,
         proxy_host="127.0.0.1"):
    """Run `curl -sS -x http://HOST:PORT URL` bounded by --max-time.

    data_file: upload that file as the body (--data-binary @file).
    Returns a CurlResult (rc, status, headers of the final response, body
    length/sha256 and, up to 2 MiB, the body itself)."""
    curl_bin = shutil.which("curl")
    assert curl_bin, "curl is required by the black-box tests"
    with tempfile.TemporaryDirectory(prefix="tpx-curl-") as d:
        hdr = os.path.join(d, "h")
        out = os.path.join(d, "b")
        cmd = [curl_bin, "-sS", "-x", "http://%s:%d" % (proxy_host,
                                                        proxy_port),
               "--noproxy", "", "--max-time", str(max_time),
               "-D", hdr, "-o", out]
        if data_file is not None:
            cmd += ["--data-binary", "@%s" % data_file]
        cmd += list(args) + [url]
        env = {k: v for k, v in os.environ.items()
               if not k.lower().endswith("_proxy")}
        p = subprocess.run(cmd, capture_output=True, env=env,
                           timeout=max_time + 10)
        heads = []
        if os.path.exists(hdr):
            with open(hdr, encoding="latin-1") as f:
                heads = _parse_dump(f.read())
        return CurlResult(p.returncode, p.stderr.decode(errors="replace"),
                          heads, out, cmd)


# ---------------------------------------------------------------------------
# access.log (Squid native format)
# ---------------------------------------------------------------------------

ACCESS_RE = re.compile(
    r"^(?P<time>\d+\.\d{3}) +(?P<elapsed>\d+) (?P<client>\S+) "
    r"(?P<code>[A-Z_]+)/(?P<status>\d{3}) (?P<bytes>\d+) (?P<method>\S+) "
    r"(?P<url>\S+) (?P<user>\S+) (?P<hier>[A-Z_]+)/(?P<peer>\S+) "
    r"(?P<type>\S+)$")


def parse_access_line(line):
    """Fields of one access.log line as a dict (None if it is not a
    10-field native line). 'raw' keeps the line."""
    m = ACCESS_RE.match(line.rstrip("\n"))
    if not m:
        return None
    d = m.groupdict()
    d["raw"] = line.rstrip("\n")
    d["status"] = int(d["status"])
    d["bytes"] = int(d["bytes"])
    d["elapsed"] = int(d["elapsed"])
    return d


def elapsed_is_width6(line):
    """Squid writes '%9d.%03d %6d': after the time and one space, the
    elapsed field is right-aligned in 6 columns."""
    t, _, rest = line.partition(" ")
    return len(rest) > 7 and rest[:6].strip().isdigit() and rest[6] == " " \
        and (rest[:6].startswith(" ") or rest[0].isdigit())


# ---------------------------------------------------------------------------
# The daemon
# ---------------------------------------------------------------------------

def tproxyd_bin():
    return BUILD / "tproxyd"


def require_root(what):
    """Fail (never skip: a skipped test passes the run without testing
    anything) unless running as root, saying what needs it."""
    assert os.geteuid() == 0, (
        "these tests need root (%s) and this run is uid %d: run the suite "
        "as root, e.g. `sudo TPROXYD_BUILD=%s /usr/bin/python3 -m pytest "
        "tests/blackbox`" % (what, os.geteuid(), BUILD))


def require_tproxyd():
    b = tproxyd_bin()
    assert b.exists() and os.access(b, os.X_OK), \
        "%s is missing: build it first (make)" % b
    return str(b)


def share_with_daemon_user(d):
    """Started as root, tproxyd drops to cache_effective_user (`proxy`)
    after start-up, and then still reads its configuration (-k reconfigure)
    and removes its pid file: give that user the directory, and let it
    through the (root-only) pytest temporary directories above it, as an
    operator does with /etc and /run/tproxyd."""
    if os.geteuid() != 0:
        return
    try:
        pw = pwd.getpwnam("proxy")
    except KeyError:
        pw = pwd.getpwnam("nobody")
    os.chown(d, pw.pw_uid, pw.pw_gid)
    for parent in Path(d).resolve().parents:
        if str(parent) in ("/", "/tmp"):
            break
        st = parent.stat()
        os.chmod(parent, (st.st_mode & 0o7777) | 0o011)


class Tproxyd:
    """One tproxyd process on a config written into `dir`.

    lines: directives added after the base ones (http_port, pid_filename,
    access_log, cache_log, dns_nameservers, visible_hostname; a base
    directive named in lines is left out). Unless lines
    contain an http_access rule, `http_access allow` for 127.0.0.0/8 and ::1
    is added (the daemon then denies everything else).
    """

    def __init__(self, dir, lines=(), port=None, base=True):
        self.dir = Path(dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        share_with_daemon_user(self.dir)
        self.port = port or free_port()
        self.conf = self.dir / "tproxyd.conf"
        self.pid_file = self.dir / "tproxyd.pid"
        self.access_log = self.dir / "access.log"
        self.cache_log = self.dir / "cache.log"
        self.stdout = self.dir / "stdout"
        self.stderr = self.dir / "stderr"
        self.proc = None
        self.killed = False
        # Signals sent to the daemon, and to its workers (kill -9 of a
        # worker on purpose): a death by one of them is not a crash.
        self.signals_sent = set()
        self.kid_signals_sent = set()
        self.ok_status = (0,)           # exit statuses that are fine
        self.base = base
        self.write_config(lines)

    def config_text(self, lines):
        lines = list(lines)
        given = {ln.split()[0] for ln in lines if ln.split()}
        out = []
        if self.base:
            out.append("# written by tests/blackbox/harness.py")
            for ln in ["http_port 127.0.0.1:%d" % self.port,
                       "pid_filename %s" % self.pid_file,
                       "access_log %s" % self.access_log,
                       "cache_log %s" % self.cache_log,
                       "dns_nameservers 127.0.0.1",
                       "visible_hostname %s" % VISIBLE_HOSTNAME]:
                # A directive the test gives replaces the base one.
                if ln.split()[0] not in given:
                    out.append(ln)
        out += lines
        if self.base and not any(ln.split()[:1] == ["http_access"]
                                 for ln in lines):
            out += ["acl tpx_local src 127.0.0.0/8 ::1",
                    "http_access allow tpx_local"]
        return "\n".join(out) + "\n"

    def write_config(self, lines):
        self.conf.write_text(self.config_text(lines))

    # -k actions that ask the daemon to end, and the signal they send.
    K_STOP = {"shutdown": signal.SIGTERM, "interrupt": signal.SIGINT,
              "kill": signal.SIGKILL}

    def run_k(self, action, timeout=15):
        """`tproxyd -k ACTION -f CONF`; returns the CompletedProcess."""
        if action in self.K_STOP:
            self.signals_sent.add(self.K_STOP[action])
        return subprocess.run([require_tproxyd(), "-k", action, "-f",
                               str(self.conf)], capture_output=True,
                              text=True, timeout=timeout)

    def start(self, timeout=10.0):
        b = require_tproxyd()
        self.proc = subprocess.Popen(
            [b, "-N", "-d", "1", "-f", str(self.conf)],
            stdin=subprocess.DEVNULL, stdout=open(self.stdout, "wb"),
            stderr=open(self.stderr, "wb"), cwd=self.dir,
            start_new_session=True)
        ok = poll(lambda: self.proc.poll() is not None or
                  self.port in listening_ports(), timeout)
        if not ok or self.proc.poll() is not None:
            rc = self.proc.poll()
            msg = ("tproxyd did not start listening on 127.0.0.1:%d within "
                   "%.0fs (exit status %s)\n%s" %
                   (self.port, timeout, rc, self.diagnostics()))
            self.stop()
            raise AssertionError(msg)
        return self

    def diagnostics(self):
        out = []
        for name, p in (("config", self.conf), ("cache.log", self.cache_log),
                        ("stderr", self.stderr), ("stdout", self.stdout)):
            try:
                txt = p.read_text(errors="replace")
            except OSError:
                txt = "(missing)"
            out.append("--- %s ---\n%s" % (name, txt[-4000:]))
        return "\n".join(out)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=5.0):
        """SIGTERM, wait, then SIGINT, then SIGKILL. Returns a list of
        problems (harness.exit_problems): a death by a signal it was not
        sent (a crash), an exit status other than 0, a sanitizer report or
        a worker's crash in its stderr or cache.log. Calling it again
        checks again (the process is stopped once)."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.signals_sent.add(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # Still draining connections (shutdown_lifetime): SIGINT is
                # Squid's "-k interrupt", i.e. stop now.
                self.proc.send_signal(signal.SIGINT)
                self.signals_sent.add(signal.SIGINT)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.killed = True
                    self.proc.kill()
                    self.signals_sent.add(signal.SIGKILL)
                    self.proc.wait(5)
                    problems.append("tproxyd ignored SIGTERM and SIGINT "
                                    "for %.0fs; killed" % (timeout + 5))
        # Under `make test SAN=1` a memory error, undefined behaviour or a
        # leak is a failure of the test that ran the daemon.
        problems += exit_problems(
            "tproxyd (pid %d)" % self.proc.pid, self.proc.returncode,
            sent=self.signals_sent, ok_status=self.ok_status,
            logs=(self.stderr, self.cache_log),
            kid_signals_ok=self.kid_signals_sent,
            diagnostics=self.diagnostics())
        return problems

    # -- access.log -------------------------------------------------------

    def access_lines(self):
        try:
            txt = self.access_log.read_text(errors="replace")
        except FileNotFoundError:
            return []
        return [ln for ln in txt.splitlines() if ln.strip()]

    def access_entries(self):
        return [parse_access_line(ln) for ln in self.access_lines()]

    def wait_access(self, pred, timeout=5.0):
        """Poll access.log until a parsed line satisfies pred(entry); return
        that entry, or fail showing the lines seen."""
        def find():
            for ln in self.access_lines():
                e = parse_access_line(ln)
                if e and pred(e):
                    return e
            return None
        e = poll(find, timeout)
        assert e, "no matching access.log line within %.0fs; lines:\n%s" % (
            timeout, "\n".join(self.access_lines()) or "(none)")
        return e

    def wait_access_url(self, url, method=None, timeout=5.0):
        return self.wait_access(
            lambda e: e["url"] == url and (method is None or
                                           e["method"] == method), timeout)


def scrape_metrics(port):
    """One GET /metrics on the stats_port at 127.0.0.1:port, on a new
    connection (with workers, any of them may answer): every sample as
    {"name{labels}": value}."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=5) as r:
        assert r.status == 200
        text = r.read().decode()
    out = {}
    for ln in text.splitlines():
        if ln and not ln.startswith("#"):
            name, _, v = ln.rpartition(" ")
            out[name] = float(v)
    return out
