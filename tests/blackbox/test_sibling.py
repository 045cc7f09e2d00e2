# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_sibling.py - ICP and HTCP between tproxyd's sibling code
(src/proxy/sibling.c, driven by build/tests/sib_tool) and a real Squid
(/usr/sbin/squid, Debian's 5.7), both ways, on loopback only.

    tproxyd asks Squid:   an origin (here) serves /obj/NAME with
                          max-age=3600; Squid fetches one URL into its
                          memory cache; `sib_tool ask` queries Squid's
                          icp_port or htcp_port: HIT for that URL, MISS for
                          another, both as Squid's answer (well before the
                          timeout), and Squid's access.log shows the
                          queries (UDP_HIT / UDP_MISS, ICP_QUERY or
                          HTCP_TST). With icp_access deny, Squid's DENIED
                          ends the query as a miss at once.

    Squid asks tproxyd:   `sib_tool serve` answers from a fixed table;
                          Squid has it as `cache_peer 127.0.0.1 sibling
                          HTTP ICP [htcp]`. A request for a URL in the
                          table goes to the sibling's HTTP port (a server
                          here) with "Cache-Control: only-if-cached", and
                          Squid logs SIBLING_HIT; another URL goes to the
                          origin (HIER_DIRECT); a querier outside our
                          access list gets DENIED and Squid goes direct
                          after its ICP timeout. Squid's PURGE sends us
                          an HTCP CLR that drops the URL; ours makes
                          Squid drop one.

Squid sends and receives ICP and HTCP on 127.0.0.2 (see Squid.__init__),
tproxyd's side on 127.0.0.1. Squid runs as cache_effective_user proxy (root starts it), -N, with its
files in a private temporary directory; ports come from the OS; every
process is killed at teardown.
"""

import http.server
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

import harness

SQUID = "/usr/sbin/squid"
TOOL = harness.BUILD / "tests" / "sib_tool"

pytestmark = pytest.mark.skipif(not os.access(SQUID, os.X_OK),
                                reason="needs Squid at " + SQUID)


def free_port(kind):
    """A port free on 127.0.0.1 for kind (SOCK_STREAM or SOCK_DGRAM)."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class HttpServer:
    """An HTTP/1.1 server on 127.0.0.1 answering GET /obj/NAME with a
    fresh (max-age=3600) body naming this server; records each request's
    path and headers."""

    def __init__(self, tag):
        self.tag = tag
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                outer.requests.append((self.path, dict(self.headers)))
                body = ("%s %s\n" % (outer.tag, self.path)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Cache-Control", "max-age=3600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                   Handler)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever,
                                       daemon=True)
        self.thread.start()

    def url(self, name):
        return "http://127.0.0.1:%d/obj/%s" % (self.port, name)

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


class Squid:
    """Squid -N on loopback with a private squid.conf and directory."""

    def __init__(self, extra):
        self.dir = Path(tempfile.mkdtemp(prefix="tproxyd-sib-squid."))
        os.chmod(self.dir, 0o755)
        proxy = pwd.getpwnam("proxy")
        os.chown(self.dir, proxy.pw_uid, proxy.pw_gid)
        self.http = free_port(socket.SOCK_STREAM)
        self.icp = free_port(socket.SOCK_DGRAM)
        self.htcp = free_port(socket.SOCK_DGRAM)
        d = str(self.dir)
        lines = [
            "http_port 127.0.0.1:%d" % self.http,
            "icp_port %d" % self.icp,
            "htcp_port %d" % self.htcp,
            # Queries and answers stay on loopback, from 127.0.0.2:
            # Squid ignores ICP datagrams from its own ICP address,
            # whatever their port ("Ignoring UDP packet sent by
            # myself"), so it must not be 127.0.0.1, ours.
            "udp_incoming_address 127.0.0.2",
            "acl lo src 127.0.0.0/8",
            "http_access allow lo",
            "http_access deny all",
            "cache_mem 8 MB",
            "maximum_object_size_in_memory 64 KB",
            "access_log stdio:%s/access.log" % d,
            "buffered_logs off",
            "log_icp_queries on",
            "cache_log %s/cache.log" % d,
            "cache_store_log none",
            "pid_filename %s/squid.pid" % d,
            "coredump_dir %s" % d,
            "netdb_filename none",
            "pinger_enable off",
            "logfile_rotate 0",
            "shutdown_lifetime 0 seconds",
            "visible_hostname sibling-test",
            "dns_nameservers 127.0.0.1",
            "cache_effective_user proxy",
            # Every origin here is 127.0.0.1: once one answered, netdb's
            # 1 ms round trip would make Squid go direct without asking
            # its siblings (minimum_direct_rtt, 400 ms by default).
            "minimum_direct_rtt 0",
            "minimum_direct_hops 0",
        ] + extra
        self.conf = self.dir / "squid.conf"
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc = subprocess.Popen([SQUID, "-N", "-f", str(self.conf)],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("squid exited: %s\n%s" % (
                    self.proc.stderr.read().decode(errors="replace"),
                    self.cache_log()))
            c = socket.socket()
            try:
                c.connect(("127.0.0.1", self.http))
                return True
            except OSError:
                return False
            finally:
                c.close()
        wait_for(up, 15, "squid to listen")
        # The UDP ports open after the HTTP one; "Accepting ICP/HTCP".
        wait_for(lambda: "Accepting HTCP" in self.cache_log() and
                 "Accepting ICP" in self.cache_log(), 10,
                 "squid's ICP and HTCP ports")

    def cache_log(self):
        try:
            return (self.dir / "cache.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def access_log(self):
        try:
            return (self.dir / "access.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, *words, timeout=5):
        """The first access.log line holding every word."""
        def find():
            for line in self.access_log().splitlines():
                if all(w in line.split() for w in words):
                    return line
            return None
        try:
            return wait_for(find, timeout, "access.log line with %s" %
                            (words,))
        except AssertionError:
            raise AssertionError("no access.log line with %s in:\n%s" %
                                 (words, self.access_log()))

    def get(self, url, method="GET"):
        """GET url through Squid; (status, headers text, body)."""
        host = url.split("/")[2]
        req = (method + " %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
               % (url, host)).encode()
        with socket.create_connection(("127.0.0.1", self.http),
                                      timeout=10) as c:
            c.sendall(req)
            data = b""
            while True:
                b = c.recv(65536)
                if not b:
                    break
                data += b
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split()[1])
        return status, head.decode(errors="replace"), body

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Tool:
    """build/tests/sib_tool serve, running until stop()."""

    def __init__(self, args):
        self.icp = free_port(socket.SOCK_DGRAM)
        self.htcp = free_port(socket.SOCK_DGRAM)
        self.lines = []
        self.proc = subprocess.Popen(
            [str(TOOL), "serve", "--addr", "127.0.0.1",
             "--icp", str(self.icp), "--htcp", str(self.htcp)] + args,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline()
        assert first.startswith("ready icp=%d htcp=%d" %
                                (self.icp, self.htcp)), \
            first + self.proc.stderr.read()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.split())

    def wait_log(self, method, code, url, timeout=5):
        return wait_for(lambda: [w for w in self.lines
                                 if w[:1] == ["log"] and w[2:5] ==
                                 [method, code, url]],
                        timeout, "sib_tool log %s %s %s (have %s)" %
                        (method, code, url, self.lines))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        assert self.proc.returncode == 0, self.proc.stderr.read()


def ask(peer, *urls, timeout=2):
    """sib_tool ask: {url: (verdict, peer name, milliseconds)}."""
    r = subprocess.run([str(TOOL), "ask", "--timeout", str(timeout),
                        "--peer", peer] + list(urls),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    out, last = {}, None
    for line in r.stdout.splitlines():
        w = line.split()
        if w[0] == "ms":
            out[last] = out[last] + (float(w[1]),)
        else:
            last = w[0]
            out[last] = (w[1], w[2])
    return out


@pytest.fixture(scope="module")
def tool_built():
    """make blackbox builds it; a lone pytest run on the default build
    directory builds it here."""
    if not TOOL.exists() and harness.BUILD == harness.REPO / "build":
        subprocess.run(["make", "-s", "-C", str(harness.REPO),
                        "build/tests/sib_tool"], check=True)
    assert TOOL.exists(), "build %s first (make %s)" % (TOOL, TOOL)


@pytest.fixture
def origin():
    srv = HttpServer("origin")
    yield srv
    srv.stop()


@pytest.fixture
def squid_factory():
    started = []

    def start(extra=()):
        s = Squid(list(extra))
        started.append(s)
        return s
    yield start
    for s in started:
        s.stop()


@pytest.fixture
def tool_factory():
    started = []

    def start(args):
        t = Tool(args)
        started.append(t)
        return t
    yield start
    for t in started:
        t.stop()


def fill(squid, url):
    """Fetch url through Squid so that its memory cache holds it; the
    second fetch is Squid's own TCP_MEM_HIT."""
    st, _, body = squid.get(url)
    assert st == 200, body
    st, _, _ = squid.get(url)
    assert st == 200
    squid.wait_log("TCP_MEM_HIT/200", url)


# --- tproxyd asks Squid ------------------------------------------------

@pytest.mark.parametrize("proto", ["icp", "htcp"])
def test_ask_squid(tool_built, origin, squid_factory, proto):
    """Squid answers HIT for what it holds fresh and MISS for the rest, as
    read by our client; Squid's access.log has both queries."""
    squid = squid_factory(["icp_access allow lo", "icp_access deny all",
                           "htcp_access allow lo", "htcp_access deny all"])
    held, other = origin.url("held"), origin.url("other")
    fill(squid, held)
    port = squid.icp if proto == "icp" else squid.htcp
    r = ask("%s:127.0.0.2:%d" % (proto, port), held, other, timeout=2)
    assert r[held][:2] == ("HIT", "127.0.0.2:%d" % port), r
    # Squid's MISS answered it, not the 2 s timeout.
    assert r[other][0] == "MISS" and r[other][2] < 1000, r
    method = "ICP_QUERY" if proto == "icp" else "HTCP_TST"
    squid.wait_log("UDP_HIT/000", method, held)
    squid.wait_log("UDP_MISS/000", method, other)


def test_clr_to_squid(tool_built, origin, squid_factory):
    """Our HTCP CLR makes Squid drop the URL (response 0, "gone"); a
    second one finds nothing (2); the next TST misses."""
    squid = squid_factory(["htcp_access allow lo", "htcp_access deny all",
                           "htcp_clr_access allow lo",
                           "htcp_clr_access deny all"])
    held = origin.url("held")
    fill(squid, held)
    assert ask("htcp:127.0.0.2:%d" % squid.htcp, held)[held][0] == "HIT"

    def clr():
        r = subprocess.run([str(TOOL), "clr", "127.0.0.2", str(squid.htcp),
                            held], capture_output=True, text=True,
                           timeout=10)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()
    assert clr() == "clr response=0 trans=4242"
    squid.wait_log("UDP_HIT/000", "HTCP_CLR", held)
    assert clr() == "clr response=2 trans=4242"
    r = ask("htcp:127.0.0.2:%d" % squid.htcp, held)
    assert r[held][0] == "MISS" and r[held][2] < 1000, r


def test_squid_denies_icp(tool_built, origin, squid_factory):
    """icp_access deny: Squid answers ICP_DENIED, which ends our query as
    a miss at once (no waiting for the timeout)."""
    squid = squid_factory(["icp_access deny all"])
    held = origin.url("held")
    fill(squid, held)
    r = ask("icp:127.0.0.2:%d" % squid.icp, held, timeout=2)
    assert r[held][0] == "MISS" and r[held][2] < 1000, r
    squid.wait_log("UDP_DENIED/000", "ICP_QUERY", held)


def test_ask_dead_port_times_out(tool_built):
    """Nobody at the port: the query ends at the configured timeout."""
    port = free_port(socket.SOCK_DGRAM)
    r = ask("icp:127.0.0.1:%d" % port, "http://127.0.0.1/x", timeout=0.3)
    assert r["http://127.0.0.1/x"][0] == "MISS"
    assert 250 <= r["http://127.0.0.1/x"][2] < 1500, r


# --- Squid asks tproxyd ------------------------------------------------

@pytest.mark.parametrize("proto", ["icp", "htcp"])
def test_squid_asks_us(tool_built, origin, squid_factory, tool_factory,
                       proto):
    """Squid with us as a sibling: a URL our table holds is fetched from
    our HTTP port with only-if-cached (SIBLING_HIT), another goes direct;
    our server logged both queries."""
    sib_http = HttpServer("sibling")
    try:
        tool = tool_factory(["--allow", "127.0.0.2",
                             "--hit", origin.url("ours")])
        port = tool.icp if proto == "icp" else tool.htcp
        squid = squid_factory([
            "cache_peer 127.0.0.1 sibling %d %d name=tproxyd no-digest%s"
            % (sib_http.port, port, " htcp" if proto == "htcp" else "")])
        method = "ICP_QUERY" if proto == "icp" else "HTCP_TST"

        ours = origin.url("ours")
        st, _, body = squid.get(ours)
        assert st == 200 and body.startswith(b"sibling "), body
        tool.wait_log(method, "UDP_HIT", ours)
        squid.wait_log("SIBLING_HIT/127.0.0.1", ours)
        path, hdrs = sib_http.requests[-1]
        assert path == ours, sib_http.requests
        assert "only-if-cached" in hdrs.get("Cache-Control", ""), hdrs
        assert origin.requests == []

        theirs = origin.url("theirs")
        st, _, body = squid.get(theirs)
        assert st == 200 and body.startswith(b"origin "), body
        tool.wait_log(method, "UDP_MISS", theirs)
        squid.wait_log("HIER_DIRECT/127.0.0.1", theirs)
        assert len(sib_http.requests) == 1
    finally:
        sib_http.stop()


def test_squid_purge_clears_us(tool_built, origin, squid_factory,
                               tool_factory):
    """Squid's PURGE of a URL it holds sends an HTCP CLR to its htcp
    siblings: our server drops the URL (the clear callback), and Squid's
    next request for it misses here and goes to the origin."""
    sib_http = HttpServer("sibling")
    try:
        ours = origin.url("ours")
        tool = tool_factory(["--allow", "127.0.0.2", "--hit", ours])
        squid = squid_factory([
            "acl purge method PURGE",
            "http_access allow purge lo",
            "cache_peer 127.0.0.1 sibling %d %d name=tproxyd no-digest "
            "htcp" % (sib_http.port, tool.htcp)])
        st, _, body = squid.get(ours)
        assert st == 200 and body.startswith(b"sibling "), body
        squid.wait_log("SIBLING_HIT/127.0.0.1", ours)
        st, _, _ = squid.get(ours, method="PURGE")
        assert st == 200
        tool.wait_log("HTCP_CLR", "UDP_HIT", ours)
        st, _, body = squid.get(ours)
        assert st == 200 and body.startswith(b"origin "), body
        tool.wait_log("HTCP_TST", "UDP_MISS", ours)
        squid.wait_log("HIER_DIRECT/127.0.0.1", ours)
    finally:
        sib_http.stop()


def test_squid_denied_by_us(tool_built, origin, squid_factory,
                            tool_factory):
    """A querier outside our access list gets ICP_DENIED and the query is
    logged UDP_DENIED. Squid does not count a DENIED as an answer: it
    goes direct when its ICP timeout passes (TIMEOUT_HIER_DIRECT)."""
    sib_http = HttpServer("sibling")
    try:
        tool = tool_factory(["--allow", "192.0.2.1",
                             "--hit", origin.url("ours")])
        squid = squid_factory([
            "cache_peer 127.0.0.1 sibling %d %d name=tproxyd no-digest"
            % (sib_http.port, tool.icp)])
        ours = origin.url("ours")
        st, _, body = squid.get(ours)
        assert st == 200 and body.startswith(b"origin "), body
        tool.wait_log("ICP_QUERY", "UDP_DENIED", ours)
        squid.wait_log("TIMEOUT_HIER_DIRECT/127.0.0.1", ours)
        assert sib_http.requests == []
    finally:
        sib_http.stop()
