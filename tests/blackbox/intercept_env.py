# SPDX-License-Identifier: GPL-2.0-or-later
"""
intercept_env.py - the kernel side, the daemons and the client of the
interception tests (test_intercept*.py), on the netns topology of
tests/netns/netns.py:

    <p>-cli  curl, 198.18.1.2 / 2001:db8:1::2
       |
    <p>-rtr  tproxyd (http_port 3129 tproxy | 3130 intercept), the
       |     TPROXY or REDIRECT rules (nft or iptables), policy routing
       |     "fwmark 1 -> table 100: local default dev lo"
    <p>-srv  origin.py on port 80 of 198.18.2.2 and [2001:db8:2::2]
             (and, for the parent case, a second tproxyd on
             198.18.2.2:3128)

The kernel side is written once per backend, as Squid's TPROXY v4 guide
and the kernel's tproxy documentation give it:

  iptables -t mangle -N DIVERT
  iptables -t mangle -A DIVERT -j MARK --set-mark 1
  iptables -t mangle -A DIVERT -j ACCEPT
  iptables -t mangle -A PREROUTING -p tcp -m socket -j DIVERT
  iptables -t mangle -A PREROUTING -p tcp --dport 80 -j TPROXY \
           --tproxy-mark 0x1/0x1 --on-port 3129          (ip6tables alike)
  ip rule add fwmark 1 lookup 100
  ip route add local 0.0.0.0/0 dev lo table 100          (ip -6 alike)
  rp_filter = 0

and the nft equivalent (an inet table at the mangle priority).

Everything here is bounded: every subprocess has a timeout, every wait
polls with a deadline, and the module fixture `net` always removes its
namespaces (Topology.cleanup, plus conftest's session-wide safety net on
run_prefix).
"""

import hashlib
import itertools
import json
import os
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

import harness
import netns
from netns import (CLI4, CLI6, RTR_CLI4, RTR_CLI6, RTR_SRV4,  # noqa: F401
                   RTR_SRV6, SRV4, SRV6)

HERE = Path(__file__).resolve().parent
ORIGIN_PY = str(HERE / "origin.py")
STUB_DNS_PY = str(HERE / "stub_dns.py")
PY = "/usr/bin/python3"

TPROXY_PORT = 3129
NAT_PORT = 3130
PARENT_PORT = 3128
ORIGIN_PORT = 80
FWMARK = 1
TABLE = 100

# Per family: (client address, router's client-side address, router's
# server-side address, server address, URL host form, ip(6)tables binary).
FAM = {
    4: dict(cli=CLI4, rtr_cli=RTR_CLI4, rtr_srv=RTR_SRV4, srv=SRV4,
            urlhost=SRV4, ipt="iptables", nfproto="ipv4", nfip="ip"),
    6: dict(cli=CLI6, rtr_cli=RTR_CLI6, rtr_srv=RTR_SRV6, srv=SRV6,
            urlhost="[%s]" % SRV6, ipt="ip6tables", nfproto="ipv6",
            nfip="ip6"),
}


def url(family, path):
    return "http://%s%s" % (FAM[family]["urlhost"], path)


class CmdError(AssertionError):
    pass


def must(topo, ns, argv, input=None, timeout=15):
    """Run argv in ns; fail with its output unless it exits 0."""
    p = topo.run(ns, argv, input=input, timeout=timeout)
    if p.returncode != 0:
        raise CmdError("`%s` in %s failed (%d):\n%s%s" % (
            " ".join(map(str, argv)), ns, p.returncode, p.stdout, p.stderr))
    return p


# ---------------------------------------------------------------------------
# Kernel side (router namespace)
# ---------------------------------------------------------------------------

def setup_policy_routing(topo):
    """fwmark 1 -> table 100 -> every address is local (both families),
    and rp_filter off, as in Squid's TPROXY v4 guide, "Routing
    configuration"."""
    r = topo.rtr
    must(topo, r, ["ip", "-4", "rule", "add", "fwmark", str(FWMARK),
                   "lookup", str(TABLE)])
    must(topo, r, ["ip", "-4", "route", "add", "local", "0.0.0.0/0", "dev",
                   "lo", "table", str(TABLE)])
    must(topo, r, ["ip", "-6", "rule", "add", "fwmark", str(FWMARK),
                   "lookup", str(TABLE)])
    must(topo, r, ["ip", "-6", "route", "add", "local", "::/0", "dev", "lo",
                   "table", str(TABLE)])
    for dev in ("all", "default", "r0", "r1"):
        topo.sysctl(r, "net.ipv4.conf.%s.rp_filter" % dev, "0")


def flush_rules(topo):
    """Remove every netfilter rule of the router namespace (nft and
    iptables-nft share the kernel's nf_tables, so one flush does both)."""
    must(topo, topo.rtr, ["nft", "flush", "ruleset"])
    p = must(topo, topo.rtr, ["nft", "list", "ruleset"])
    assert p.stdout.strip() == "", "ruleset not empty:\n" + p.stdout


def nft_tproxy_ruleset(families, port=TPROXY_PORT):
    lines = ["table inet tpxtest {",
             "  chain prerouting {",
             "    type filter hook prerouting priority mangle; "
             "policy accept;",
             # DIVERT: packets of connections that already have a
             # (transparent) socket here go to it, not through TPROXY again.
             "    meta l4proto tcp socket transparent 1 "
             "meta mark set 0x%x accept" % FWMARK]
    for f in families:
        lines.append("    meta nfproto %s tcp dport %d tproxy %s to :%d "
                     "meta mark set 0x%x accept" % (
                         FAM[f]["nfproto"], ORIGIN_PORT, FAM[f]["nfip"],
                         port, FWMARK))
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def install_tproxy(topo, backend, families=(4, 6), port=TPROXY_PORT):
    """The TPROXY rules of Squid's TPROXY v4 guide ("iptables
    Configuration"), with backend 'nft' or 'iptables'."""
    flush_rules(topo)
    r = topo.rtr
    if backend == "nft":
        must(topo, r, ["nft", "-f", "-"],
             input=nft_tproxy_ruleset(families, port))
        return
    assert backend == "iptables", backend
    for f in families:
        ipt = FAM[f]["ipt"]
        must(topo, r, [ipt, "-t", "mangle", "-N", "DIVERT"])
        must(topo, r, [ipt, "-t", "mangle", "-A", "DIVERT", "-j", "MARK",
                       "--set-mark", str(FWMARK)])
        must(topo, r, [ipt, "-t", "mangle", "-A", "DIVERT", "-j", "ACCEPT"])
        must(topo, r, [ipt, "-t", "mangle", "-A", "PREROUTING", "-p", "tcp",
                       "-m", "socket", "-j", "DIVERT"])
        must(topo, r, [ipt, "-t", "mangle", "-A", "PREROUTING", "-p", "tcp",
                       "--dport", str(ORIGIN_PORT), "-j", "TPROXY",
                       "--tproxy-mark", "0x%x/0x%x" % (FWMARK, FWMARK),
                       "--on-port", str(port)])


def install_nat(topo, backend, families=(4,), port=NAT_PORT):
    """NAT interception: REDIRECT port 80 to the intercept port."""
    flush_rules(topo)
    r = topo.rtr
    if backend == "nft":
        text = ""
        for f in families:
            text += ("table %s tpxnat {\n"
                     "  chain prerouting {\n"
                     "    type nat hook prerouting priority dstnat; "
                     "policy accept;\n"
                     "    tcp dport %d redirect to :%d\n"
                     "  }\n}\n" % (FAM[f]["nfip"], ORIGIN_PORT, port))
        must(topo, r, ["nft", "-f", "-"], input=text)
        return
    assert backend == "iptables", backend
    for f in families:
        must(topo, r, [FAM[f]["ipt"], "-t", "nat", "-A", "PREROUTING", "-p",
                       "tcp", "--dport", str(ORIGIN_PORT), "-j", "REDIRECT",
                       "--to-ports", str(port)])


# ---------------------------------------------------------------------------
# tproxyd inside a namespace
# ---------------------------------------------------------------------------

class NsTproxyd:
    """One tproxyd in namespace ns, `ip netns exec NS [wrap...] tproxyd -N
    -f CONF`, with its config, pid file, access.log and cache.log in dir.

    lines: the test's directives; pid_filename, access_log, cache_log,
    dns_nameservers 127.0.0.1 (the stub DNS in the router namespace, see
    DNS_NAMES; with nothing there a lookup fails locally) and
    visible_hostname are added unless given. ports: the TCP ports to wait
    for in LISTEN state."""

    def __init__(self, topo, ns, dir, lines, ports, wrap=()):
        self.topo = topo
        self.ns = ns
        self.dir = Path(dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        # Workers open their logs as the proxy user (after the drop).
        harness.share_with_daemon_user(self.dir)
        self.conf = self.dir / "tproxyd.conf"
        self.pid_file = self.dir / "tproxyd.pid"
        self.access_log = self.dir / "access.log"
        self.cache_log = self.dir / "cache.log"
        self.stdout = self.dir / "stdout"
        self.stderr = self.dir / "stderr"
        self.ports = list(ports)
        self.wrap = list(wrap)
        self.proc = None
        self.problems = None            # stop()'s verdict, once stopped
        self.exit_requested = False     # kill(SIGTERM...) by the test
        self.signals_sent = set()       # see harness.exit_problems
        self.kid_signals_sent = set()
        # run_to_exit: the daemon is meant to exit by itself, with one
        # of expected_status (None: any status).
        self.runs_to_exit = False
        self.expected_status = (0,)
        given = {ln.split()[0] for ln in lines if ln.split()}
        out = ["# written by tests/blackbox/intercept_env.py"]
        for ln in ["pid_filename %s" % self.pid_file,
                   "access_log %s" % self.access_log,
                   "cache_log %s" % self.cache_log,
                   "dns_nameservers 127.0.0.1",
                   "visible_hostname %s" % harness.VISIBLE_HOSTNAME]:
            if ln.split()[0] not in given:
                out.append(ln)
        out += list(lines)
        self.conf.write_text("\n".join(out) + "\n")

    def argv(self):
        return self.wrap + [harness.require_tproxyd(), "-N", "-f",
                            str(self.conf)]

    def _popen(self):
        self.proc = self.topo.popen(
            self.ns, self.argv(), stdout=open(self.stdout, "wb"),
            stderr=open(self.stderr, "wb"), cwd=str(self.dir))

    def start(self, timeout=10.0):
        self._popen()
        try:
            for port in self.ports:
                self.topo.wait_listen(self.ns, port, timeout=timeout,
                                      proc=self.proc)
            ok = harness.poll(lambda: self.pid() is not None, timeout)
            assert ok, "no pid file %s" % self.pid_file
        except (netns.TopologyError, AssertionError) as e:
            diag = self.diagnostics()
            self.stop()
            raise AssertionError("tproxyd did not start in %s: %s\n%s" % (
                self.ns, e, diag))
        return self

    def run_to_exit(self, timeout=10.0, ok_status=None):
        """Start and wait for it to exit by itself; returns the status.
        ok_status: the exit statuses stop() (at teardown) accepts; None:
        any status, but still no death by a signal, no sanitizer report."""
        self.runs_to_exit = True
        self.expected_status = ok_status
        self._popen()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def pid(self):
        """The daemon's own pid (from pid_filename: `ip netns exec` forks,
        so the Popen pid is ip's)."""
        try:
            txt = self.pid_file.read_text().strip()
        except OSError:
            return None
        return int(txt) if txt.isdigit() else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=5.0):
        """SIGTERM the daemon itself and wait. Returns a list of problems
        (harness.exit_problems): the daemon exited before being asked to,
        died from a signal other than SIGTERM, exited with a status other
        than 0 (or than those run_to_exit was given, for a daemon meant
        to exit by itself), or left a sanitizer report or a
        worker's crash in its stderr or cache.log. `ip netns exec` and
        setpriv exec the daemon, so the status is tproxyd's own."""
        if self.problems is not None:
            return self.problems        # stopped and checked already
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is not None:
            if not self.runs_to_exit and not self.exit_requested:
                problems.append("tproxyd in %s exited by itself (status "
                                "%s) before the end of the test\n%s" % (
                                    self.ns, self.proc.returncode,
                                    self.diagnostics()))
        else:
            pid = self.pid()
            try:
                if pid is not None:
                    os.kill(pid, signal.SIGTERM)
                else:
                    os.killpg(self.proc.pid, signal.SIGTERM)
                self.signals_sent.add(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.signals_sent.add(signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
                problems.append("tproxyd in %s ignored SIGTERM for %.0fs; "
                                "killed" % (self.ns, timeout))
        problems += harness.exit_problems(
            "tproxyd in %s" % self.ns, self.proc.returncode,
            sent=self.signals_sent, ok_status=self.expected_status,
            logs=(self.stderr, self.cache_log),
            kid_signals_ok=self.kid_signals_sent,
            diagnostics=self.diagnostics())
        self.problems = problems
        return problems

    def kill(self, sig):
        """Send sig to the daemon itself (its pid file), remembering it:
        a death by a signal the test sent is not a crash."""
        self.signals_sent.add(sig)
        if sig in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
            self.exit_requested = True
        os.kill(self.pid(), sig)

    def wait_exit(self, timeout):
        """Wait up to timeout s for the daemon to exit after kill(); then
        stop() it (if it is still running) and return stop()'s list of
        problems."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        return self.stop()

    # -- logs ---------------------------------------------------------------

    def _read(self, p):
        try:
            return p.read_text(errors="replace")
        except OSError:
            return ""

    def cache_text(self):
        return self._read(self.cache_log)

    def stderr_text(self):
        return self._read(self.stderr)

    def access_lines(self):
        return [ln for ln in self._read(self.access_log).splitlines()
                if ln.strip()]

    def access_entries(self):
        return [e for e in map(harness.parse_access_line,
                               self.access_lines()) if e]

    def wait_access(self, pred, timeout=5.0, what="a matching line"):
        def find():
            for e in self.access_entries():
                if pred(e):
                    return e
            return None
        e = harness.poll(find, timeout)
        assert e, "no access.log line of %s within %.0fs; lines:\n%s" % (
            what, timeout, "\n".join(self.access_lines()) or "(none)")
        return e

    def wait_cache(self, needle, timeout=5.0):
        ok = harness.poll(lambda: needle in self.cache_text(), timeout)
        assert ok, "%r not in cache.log within %.0fs:\n%s" % (
            needle, timeout, self.cache_text()[-4000:])
        return self.cache_text()

    def diagnostics(self):
        out = []
        for name, p in (("config", self.conf), ("cache.log", self.cache_log),
                        ("access.log", self.access_log),
                        ("stderr", self.stderr), ("stdout", self.stdout)):
            out.append("--- %s ---\n%s" % (name, self._read(p)[-4000:] or
                                           "(empty)"))
        return "\n".join(out)


# Names the router's stub DNS (127.0.0.1:53 in the router namespace, the
# daemons' dns_nameservers) knows; every other name is NXDOMAIN at once.
DNS_NAMES = {
    "good.example": [SRV4, SRV6],               # the server: no forgery
    "wrong.example": ["198.18.2.99", "2001:db8:2::99"],     # forgery
}

# Reverse (PTR) answers of the stub DNS, for srcdomain acls: the client's
# IPv4 address has a name, its IPv6 address none (NXDOMAIN).
DNS_PTRS = {
    CLI4: "PC1.Clients.Test",
}


def start_stub_dns(topo):
    argv = [PY, STUB_DNS_PY, "--listen", "127.0.0.1:53"]
    for n, addrs in DNS_NAMES.items():
        argv += ["--name", "%s=%s" % (n, ",".join(addrs))]
    for addr, n in DNS_PTRS.items():
        argv += ["--ptr", "%s=%s" % (addr, n)]
    p = topo.popen(topo.rtr, argv, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    ok = harness.poll(lambda: p.poll() is not None or topo.run(
        topo.rtr, ["ss", "-Hlun", "sport = :53"], timeout=10).stdout.strip(),
        10, interval=0.05)
    assert ok and p.poll() is None, "stub DNS did not start (%s)" % p.poll()
    return p


# ---------------------------------------------------------------------------
# Origin (server namespace) and client (client namespace)
# ---------------------------------------------------------------------------

class NsOrigin:
    """origin.py in the server namespace on port 80 of both server
    addresses; its records are read from inside that namespace (a local
    connection, never intercepted)."""

    def __init__(self, topo):
        self.topo = topo
        self.proc = topo.popen(
            topo.srv, [PY, ORIGIN_PY,
                       "--listen", "%s:%d" % (SRV4, ORIGIN_PORT),
                       "--listen", "[%s]:%d" % (SRV6, ORIGIN_PORT)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        topo.wait_listen(topo.srv, ORIGIN_PORT, proc=self.proc)
        topo.wait_connect(topo.srv, SRV4, ORIGIN_PORT)
        topo.wait_connect(topo.srv, SRV6, ORIGIN_PORT)

    def _get(self, host, path):
        p = must(self.topo, self.topo.srv,
                 ["curl", "-sS", "--noproxy", "*", "--max-time", "5",
                  "http://%s:%d%s" % (host, ORIGIN_PORT, path)], timeout=15)
        return json.loads(p.stdout)

    def records(self):
        """Records of both listeners (origin.py keeps one list per
        listener), in time order."""
        recs = self._get(SRV4, "/__records") + self._get(
            "[%s]" % SRV6, "/__records")
        return sorted(recs, key=lambda r: r["time"])

    def clear(self):
        self._get(SRV4, "/__clear")
        self._get("[%s]" % SRV6, "/__clear")

    def wait_records(self, n, timeout=5.0):
        r = harness.poll(lambda: (lambda x: x if len(x) >= n else None)(
            self.records()), timeout, interval=0.05)
        return r or self.records()


class CurlOut:
    def __init__(self, p, body_path, hdr_path):
        self.rc = p.returncode
        self.stderr = p.stderr
        self.body = Path(body_path).read_bytes() if os.path.exists(
            body_path) else b""
        self.sha256 = hashlib.sha256(self.body).hexdigest()
        self.headers = {}
        self.status = None
        if os.path.exists(hdr_path):
            heads = harness._parse_dump(Path(hdr_path).read_text(
                encoding="latin-1"))
            if heads:
                self.status = heads[-1][0]
                self.headers = {n.lower(): v for n, v in heads[-1][1]}

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<curl rc=%s status=%s len=%d stderr=%r body=%r>" % (
            self.rc, self.status, len(self.body), self.stderr[-300:],
            self.body[:300])


def client_curl(topo, target, args=(), max_time=10, upload=None):
    """curl in the client namespace, no proxy configured (interception
    is the point). upload: a file sent as the body (--data-binary)."""
    with tempfile.TemporaryDirectory(prefix="tpx-icurl-") as d:
        body = os.path.join(d, "body")
        hdr = os.path.join(d, "head")
        argv = ["curl", "-sS", "--noproxy", "*", "--max-time", str(max_time),
                "-o", body, "-D", hdr]
        if upload is not None:
            argv += ["--data-binary", "@%s" % upload, "-H",
                     "Content-Type: application/octet-stream"]
        argv += list(args) + [target]
        p = topo.run(topo.cli, argv, timeout=max_time + 10)
        return CurlOut(p, body, hdr)


# ---------------------------------------------------------------------------
# Fixtures (import them into a test module: `from intercept_env import *`)
# ---------------------------------------------------------------------------

_seq = itertools.count()


class Env:
    def __init__(self, topo, origin):
        self.topo = topo
        self.origin = origin


@pytest.fixture(scope="module")
def net(run_prefix):
    """One topology per module: policy routing in the router, origin on
    port 80 in the server. Rules are (re)installed by each test."""
    assert os.geteuid() == 0, "the interception tests need root"
    topo = netns.Topology("%si%d" % (run_prefix, next(_seq)))
    topo.setup()
    try:
        setup_policy_routing(topo)
        start_stub_dns(topo)
        origin = NsOrigin(topo)
        yield Env(topo, origin)
    finally:
        topo.cleanup()


@pytest.fixture
def env(net):
    """Per test: an empty ruleset and an origin with no records."""
    flush_rules(net.topo)
    net.origin.clear()
    yield net
    flush_rules(net.topo)


@pytest.fixture
def daemons(env, tmp_path):
    """Factory: daemons(lines, ports=(3129,), ns=None, name=None, wrap=())
    -> a started NsTproxyd (router namespace by default). All are stopped
    at teardown; an unexpected exit or a crash fails the test."""
    made = []

    def make(lines, ports=(TPROXY_PORT,), ns=None, name=None, wrap=(),
             start=True, dir=None):
        d = dir or tmp_path / (name or "tproxyd%d" % len(made))
        t = NsTproxyd(env.topo, ns or env.topo.rtr, d, lines, ports, wrap)
        made.append(t)
        if start:
            t.start()
        return t
    yield make
    problems = []
    for t in made:
        problems += t.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
