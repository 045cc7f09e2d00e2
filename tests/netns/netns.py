# SPDX-License-Identifier: GPL-2.0-or-later
"""
netns.py - a client / router / server network-namespace topology for the
interception tests (WireGuard src/tests/netns.sh style, in Python).

    <prefix>-cli                 <prefix>-rtr                  <prefix>-srv
  +---------------+    +--------------------------------+    +---------------+
  |           c0  |----| r0                         r1  |----| s0            |
  | 198.18.1.2/24 |    | 198.18.1.1/24    198.18.2.1/24 |    | 198.18.2.2/24 |
  | 2001:db8:1::2 |    | 2001:db8:1::1    2001:db8:2::1 |    | 2001:db8:2::2 |
  |  /64          |    |  /64             /64           |    |  /64          |
  | default via   |    | net.ipv4.ip_forward=1          |    | default via   |
  |  198.18.1.1   |    | net.ipv6.conf.all.forwarding=1 |    |  198.18.2.1   |
  |  2001:db8:1::1|    | (tproxyd runs here for the     |    |  2001:db8:2::1|
  +---------------+    |  interception tests)           |    +---------------+
                       +--------------------------------+

Addresses only from 198.18.0.0/15 (RFC 2544 benchmarking) and 2001:db8::/32
(documentation), so nothing can leak to a real network; IPv6 addresses are
added with `nodad` so they are usable at once. Loopback is up everywhere.
The router routes, it does not NAT: the server sees the client's address.

Names carry a per-run unique prefix ("tpx" + 6 random hex characters), and
cleanup() kills every process started through the topology (and anything
else still inside its namespaces), then deletes the namespaces. It is
idempotent and runs from __exit__ and from pytest finalizers; the
`cleanup_prefix()` function removes every namespace of a run (session-level
safety net).

    with Topology() as t:
        srv = t.popen(t.srv, [PY, "origin.py", "--listen", "198.18.2.2:8080"])
        t.wait_listen(t.srv, 8080)
        t.run(t.cli, ["curl", "-sS", "http://198.18.2.2:8080/peer"])
"""

import os
import secrets
import signal
import subprocess
import sys
import time

IP = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "ip"

# Addresses (one place, used by the tests too).
CLI4, RTR_CLI4, RTR_SRV4, SRV4 = ("198.18.1.2", "198.18.1.1", "198.18.2.1",
                                  "198.18.2.2")
CLI6, RTR_CLI6, RTR_SRV6, SRV6 = ("2001:db8:1::2", "2001:db8:1::1",
                                  "2001:db8:2::1", "2001:db8:2::2")
# The second client network of TwoClientTopology.
CLI2_4, RTR_CLI2_4 = "198.18.3.2", "198.18.3.1"
CLI2_6, RTR_CLI2_6 = "2001:db8:3::2", "2001:db8:3::1"


def new_prefix():
    """A per-run unique namespace prefix: 'tpx' + 6 random hex chars."""
    return "tpx" + secrets.token_hex(3)


def list_netns():
    """Names of all network namespaces (`ip netns list`)."""
    p = subprocess.run([IP, "netns", "list"], capture_output=True, text=True,
                       timeout=10, check=True)
    return [ln.split()[0] for ln in p.stdout.splitlines() if ln.strip()]


def _ns_pids(ns):
    p = subprocess.run([IP, "netns", "pids", ns], capture_output=True,
                       text=True, timeout=10)
    return [int(x) for x in p.stdout.split() if x.isdigit()]


def delete_netns(ns):
    """Kill whatever still runs inside ns, then delete it. Quiet if gone."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = [p for p in _ns_pids(ns) if p != os.getpid()]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + 2
        while time.monotonic() < end and _ns_pids(ns):
            time.sleep(0.05)
    subprocess.run([IP, "netns", "del", ns], capture_output=True, timeout=10)


def cleanup_prefix(prefix):
    """Delete every namespace whose name starts with prefix."""
    assert prefix.startswith("tpx") and len(prefix) >= 9, prefix
    for ns in list_netns():
        if ns.startswith(prefix):
            delete_netns(ns)


class TopologyError(Exception):
    pass


class Topology:
    """The three-namespace topology drawn above."""

    def __init__(self, prefix=None):
        self.prefix = prefix or new_prefix()
        self.cli = self.prefix + "-cli"
        self.rtr = self.prefix + "-rtr"
        self.srv = self.prefix + "-srv"
        self.namespaces = [self.cli, self.rtr, self.srv]
        self.procs = []
        # Called first by cleanup(), each returning a list of problems
        # (e.g. how a daemon started here ended: harness.exit_problems);
        # cleanup_checked() and `with` fail on them.
        self.checks = []
        self.problems = []
        self._up = False

    # -- building ---------------------------------------------------------

    def _ip(self, *args):
        p = subprocess.run([IP] + list(args), capture_output=True, text=True,
                           timeout=10)
        if p.returncode != 0:
            raise TopologyError("ip %s: %s" % (" ".join(args),
                                               p.stderr.strip()))
        return p

    def setup(self):
        try:
            self._setup()
        except BaseException:
            self.cleanup()
            raise
        self._up = True
        return self

    def _add_namespaces(self):
        """The namespaces, each with loopback up and no IPv6 duplicate
        address detection (addresses usable at once)."""
        for ns in self.namespaces:
            self._ip("netns", "add", ns)
            self._ip("-n", ns, "link", "set", "lo", "up")
            self.sysctl(ns, "net.ipv6.conf.all.accept_dad", "0")
            self.sysctl(ns, "net.ipv6.conf.default.accept_dad", "0")

    def _setup(self):
        self._add_namespaces()
        self._ip("-n", self.cli, "link", "add", "c0", "type", "veth",
                 "peer", "name", "r0", "netns", self.rtr)
        self._ip("-n", self.srv, "link", "add", "s0", "type", "veth",
                 "peer", "name", "r1", "netns", self.rtr)
        addrs = [(self.cli, "c0", CLI4 + "/24", CLI6 + "/64"),
                 (self.rtr, "r0", RTR_CLI4 + "/24", RTR_CLI6 + "/64"),
                 (self.rtr, "r1", RTR_SRV4 + "/24", RTR_SRV6 + "/64"),
                 (self.srv, "s0", SRV4 + "/24", SRV6 + "/64")]
        for ns, dev, a4, a6 in addrs:
            self._ip("-n", ns, "addr", "add", a4, "dev", dev)
            self._ip("-n", ns, "-6", "addr", "add", a6, "dev", dev, "nodad")
            self._ip("-n", ns, "link", "set", dev, "up")
        self._ip("-n", self.cli, "route", "add", "default", "via", RTR_CLI4)
        self._ip("-n", self.cli, "-6", "route", "add", "default", "via",
                 RTR_CLI6)
        self._ip("-n", self.srv, "route", "add", "default", "via", RTR_SRV4)
        self._ip("-n", self.srv, "-6", "route", "add", "default", "via",
                 RTR_SRV6)
        self.sysctl(self.rtr, "net.ipv4.ip_forward", "1")
        self.sysctl(self.rtr, "net.ipv6.conf.all.forwarding", "1")

    def sysctl(self, ns, key, value):
        p = self.run(ns, ["sysctl", "-q", "-w", "%s=%s" % (key, value)])
        if p.returncode != 0:
            raise TopologyError("sysctl %s=%s in %s: %s" % (
                key, value, ns, p.stderr))

    # -- running ----------------------------------------------------------

    def _argv(self, ns, argv):
        assert ns in self.namespaces, "%s is not one of %s" % (
            ns, self.namespaces)
        return [IP, "netns", "exec", ns] + [str(a) for a in argv]

    def run(self, ns, argv, timeout=30, check=False, **kw):
        """Run argv inside ns to completion (bounded by timeout); returns the
        CompletedProcess (text mode, output captured unless overridden)."""
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        return subprocess.run(self._argv(ns, argv), timeout=timeout,
                              check=check, **kw)

    def popen(self, ns, argv, **kw):
        """Start a long-running process (server) inside ns, in its own
        process group; cleanup() stops it."""
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(self._argv(ns, argv), start_new_session=True,
                             **kw)
        self.procs.append(p)
        return p

    def listening(self, ns, port):
        """True if something is in LISTEN on TCP port inside ns."""
        p = self.run(ns, ["ss", "-Hltn", "sport = :%d" % port], timeout=10)
        return p.returncode == 0 and p.stdout.strip() != ""

    def wait_listen(self, ns, port, timeout=10.0, proc=None):
        """Poll until TCP port is listening inside ns (never connects).
        Raises TopologyError on timeout or if proc exits first."""
        end = time.monotonic() + timeout
        while True:
            if self.listening(ns, port):
                return
            if proc is not None and proc.poll() is not None:
                raise TopologyError("process exited (%s) before listening on "
                                    "%d in %s" % (proc.returncode, port, ns))
            if time.monotonic() > end:
                raise TopologyError("nothing listens on %d in %s after %.0fs"
                                    % (port, ns, timeout))
            time.sleep(0.05)

    def wait_connect(self, ns, host, port, timeout=10.0):
        """Poll until a TCP connect from ns to host:port succeeds."""
        code = ("import socket,sys,time\n"
                "end=time.monotonic()+%f\n"
                "while True:\n"
                "  try:\n"
                "    socket.create_connection((%r,%d),timeout=1).close();"
                " sys.exit(0)\n"
                "  except OSError:\n"
                "    if time.monotonic()>end: sys.exit(1)\n"
                "    time.sleep(0.05)\n" % (timeout, host, port))
        p = self.run(ns, ["/usr/bin/python3", "-c", code],
                     timeout=timeout + 10)
        if p.returncode != 0:
            raise TopologyError("%s:%d not reachable from %s within %.0fs"
                                % (host, port, ns, timeout))

    # -- teardown ---------------------------------------------------------

    def cleanup(self):
        """Stop every process started here, delete the namespaces.
        Idempotent; never raises for things already gone. The checks run
        first, while what they look at still runs; their problems are kept
        in self.problems."""
        checks, self.checks = self.checks, []
        for check in checks:
            try:
                self.problems += check()
            except Exception as e:      # noqa: BLE001 - reported below
                self.problems.append("%r failed: %r" % (check, e))
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except (ProcessLookupError, PermissionError):
                    pass
        for p in self.procs:
            try:
                p.wait(3)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(3)
        self.procs = []
        present = set(list_netns())
        for ns in self.namespaces:
            if ns in present:
                delete_netns(ns)
        self._up = False

    def cleanup_checked(self):
        """cleanup(), then fail with the checks' problems, if any."""
        self.cleanup()
        if self.problems:
            problems, self.problems = self.problems, []
            raise AssertionError("\n".join(problems))

    def __enter__(self):
        return self.setup()

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.cleanup_checked()
        else:
            # The test failed already: keep its exception; the problems
            # go with its captured output.
            self.cleanup()
            if self.problems:
                print("\n".join(self.problems), file=sys.stderr)


class TwoClientTopology(Topology):
    """The topology above plus a second client network on its own router
    interface (two LANs behind one router, e.g. one served by Squid and
    one by tproxyd during a migration):

        <prefix>-cl2  c0 198.18.3.2/24 ---- r2 198.18.3.1/24  <prefix>-rtr
                         2001:db8:3::2/64      2001:db8:3::1/64

    The first client, the router's r0/r1 and the server are as in
    Topology; self.cli2 is the second client's namespace."""

    def __init__(self, prefix=None):
        super().__init__(prefix)
        self.cli2 = self.prefix + "-cl2"
        self.namespaces.append(self.cli2)

    def _setup(self):
        super()._setup()
        self._ip("-n", self.cli2, "link", "add", "c0", "type", "veth",
                 "peer", "name", "r2", "netns", self.rtr)
        for ns, dev, a4, a6 in [(self.cli2, "c0", CLI2_4, CLI2_6),
                                (self.rtr, "r2", RTR_CLI2_4, RTR_CLI2_6)]:
            self._ip("-n", ns, "addr", "add", a4 + "/24", "dev", dev)
            self._ip("-n", ns, "-6", "addr", "add", a6 + "/64", "dev", dev,
                     "nodad")
            self._ip("-n", ns, "link", "set", dev, "up")
        self._ip("-n", self.cli2, "route", "add", "default", "via",
                 RTR_CLI2_4)
        self._ip("-n", self.cli2, "-6", "route", "add", "default", "via",
                 RTR_CLI2_6)
