# SPDX-License-Identifier: GPL-2.0-or-later
"""
wccp_env.py - what the WCCPv2 tests share (test_wccp2.py, the control
plane; test_wccp2_data.py, forwarding and packet return): the router
simulator (wccp_router.py) and the caches in their namespaces, the
router's state, tshark captures (every message tproxyd sends is decoded
by Wireshark's own dissector, not only by our parser).

Topology (per-run unique names, removed at teardown):

    <prefix>-c1 (tproxyd)        <prefix>-wr (wccp_router.py, tshark)
    e0 198.18.3.2/24 ---- p1 -+
                              +- br0 198.18.3.1/24
    <prefix>-c2 (tproxyd)     |
    e0 198.18.3.3/24 ---- p2 -+

The data plane's (WccpDataTopology, fixture dtopo) adds a client and an
origin server, routed by the router, which redirects their port-80
traffic to one cache:

    <prefix>-cl (curl)          <prefix>-wr                 <prefix>-sv
    c0 198.18.1.2/24 ---- rc 198.18.1.1    rs 198.18.2.1 ---- s0 198.18.2.2
                              br0 198.18.3.1                  (origin.py :80)
                               |
    <prefix>-c1  e0 198.18.3.2

Only 198.18.1.0/24 to 198.18.3.0/24, only inside these namespaces.
"""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "netns"))

import harness  # noqa: E402
import netns    # noqa: E402
from intercept_env import NsTproxyd  # noqa: E402

RTR, C1, C2 = "198.18.3.1", "198.18.3.2", "198.18.3.3"
PY = "/usr/bin/python3"


@pytest.fixture(scope="module", autouse=True)
def _tshark():
    """Wireshark's dissector is half of what these tests check: without
    it they fail (a skip would pass the run without testing WCCP)."""
    assert shutil.which("tshark"), (
        "tshark is not installed: the WCCP tests decode tproxyd's packets "
        "with it. Install it with `scripts/deps.sh test` or `apt-get "
        "install tshark` (as root; answer No to non-root capture, or set "
        "DEBIAN_FRONTEND=noninteractive)")


class WccpTopology(netns.Topology):
    """Router namespace with a bridge, two cache namespaces."""

    def __init__(self, prefix):
        super().__init__(prefix)
        self.rtr = prefix + "-wr"
        self.c1 = prefix + "-c1"
        self.c2 = prefix + "-c2"
        self.namespaces = [self.rtr, self.c1, self.c2]

    def _setup(self):
        for ns in self.namespaces:
            self._ip("netns", "add", ns)
            self._ip("-n", ns, "link", "set", "lo", "up")
        self._ip("-n", self.rtr, "link", "add", "br0", "type", "bridge")
        self._ip("-n", self.rtr, "addr", "add", RTR + "/24", "dev", "br0")
        self._ip("-n", self.rtr, "link", "set", "br0", "up")
        for ns, peer, addr in ((self.c1, "p1", C1), (self.c2, "p2", C2)):
            self._ip("-n", ns, "link", "add", "e0", "type", "veth", "peer",
                     "name", peer, "netns", self.rtr)
            self._ip("-n", self.rtr, "link", "set", peer, "master", "br0")
            self._ip("-n", self.rtr, "link", "set", peer, "up")
            self._ip("-n", ns, "addr", "add", addr + "/24", "dev", "e0")
            self._ip("-n", ns, "link", "set", "e0", "up")


def _checked(t):
    """Teardown of a WCCP topology: every tproxyd started in it (through
    start_cache) is stopped and must have ended cleanly (no crash, no
    sanitizer report: harness.exit_problems), the router simulator must
    not have died of an exception; then the namespaces go."""
    problems = []
    try:
        for d in t.daemons:
            problems += d.stop()
        for out in t.router_outs:
            text = harness._read_text(out)
            if "Traceback" in text:
                problems.append("the router simulator failed (%s):\n%s" % (
                    out, text[-3000:]))
    finally:
        t.cleanup()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def wtopo(run_prefix):
    t = WccpTopology(run_prefix + "w%d" % int(time.monotonic() * 1000 %
                                              1000)).setup()
    t.daemons, t.router_outs = [], []
    yield t
    _checked(t)


def start_cache(t, ns, dir, lines, ports):
    """A tproxyd in ns, stopped and checked at teardown (_checked)."""
    d = NsTproxyd(t, ns, dir, lines, ports)
    t.daemons.append(d)
    return d.start()


def stop_cache(c):
    """Stop a cache during the test: it must end cleanly."""
    problems = c.stop()
    assert not problems, "\n".join(problems)


def start_tshark(t, capture_filter, path):
    """tshark on the router's bridge writing what capture_filter matches
    to path; returns once it is capturing."""
    p = t.popen(t.rtr, ["tshark", "-q", "-i", "br0", "-f", capture_filter,
                        "-w", str(path)], stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
    # tshark says "Capturing on 'br0'" once it is ready.
    line, end = b"", time.monotonic() + 20
    while b"Capturing on" not in line and time.monotonic() < end:
        line = p.stderr.readline()
        if not line and p.poll() is not None:
            break
    assert b"Capturing on" in line, "tshark did not start"
    return p


# The end-of-capture marker: one UDP datagram from the router to C1's
# discard port. Every capture filter also takes it, and every analysis
# leaves it out (they select wccp or gre).
MARKER_PORT = 9
MARKER_FILTER = "udp dst port %d" % MARKER_PORT


def start_capture(t, path):
    return start_tshark(t, "udp port 2048 or " + MARKER_FILTER, path)


def stop_capture(t, p, path):
    """Stop tshark once it has written everything it saw: the router
    sends the marker out of br0 and we wait until the marker is in the
    file (dumpcap writes packets in the order the kernel handed them
    over, and flushes every 100 ms), so every packet that crossed br0
    before it is in the file too. Then stop tshark."""
    try:
        p2 = t.run(t.rtr, [PY, "-c", "import socket; s = socket.socket("
                           "socket.AF_INET, socket.SOCK_DGRAM); s.sendto("
                           "b'tpx-capture-marker', ('%s', %d))" % (
                               C1, MARKER_PORT)], timeout=10)
        assert p2.returncode == 0, p2.stderr

        def marked():
            r = subprocess.run(["tshark", "-r", str(path), "-Y",
                                "udp.dstport == %d" % MARKER_PORT, "-T",
                                "fields", "-e", "frame.number"],
                               capture_output=True, text=True, timeout=30)
            return r.stdout.strip() != ""
        harness.wait_for(marked, 20, "the capture's end marker in %s" % path)
    finally:
        p.terminate()
        p.wait(10)


class WccpDataTopology(WccpTopology):
    """WccpTopology plus a client and an origin server behind the router
    (see the module docstring); one cache."""

    def __init__(self, prefix):
        super().__init__(prefix)
        self.cl = prefix + "-cl"
        self.sv = prefix + "-sv"
        self.namespaces = [self.rtr, self.c1, self.c2, self.cl, self.sv]

    def _setup(self):
        super()._setup()
        for ns, dev, peer, addr, gw in ((self.cl, "c0", "rc", CLI, RTR_CL),
                                        (self.sv, "s0", "rs", SRV, RTR_SV)):
            self._ip("-n", ns, "link", "add", dev, "type", "veth", "peer",
                     "name", peer, "netns", self.rtr)
            self._ip("-n", ns, "addr", "add", addr + "/24", "dev", dev)
            self._ip("-n", ns, "link", "set", dev, "up")
            self._ip("-n", ns, "route", "add", "default", "via", gw)
            self._ip("-n", self.rtr, "addr", "add", gw + "/24", "dev", peer)
            self._ip("-n", self.rtr, "link", "set", peer, "up")
        for ns in (self.c1, self.c2):
            self._ip("-n", ns, "route", "add", "default", "via", RTR)
        # Spoofed packets (the client's source) come from the caches'
        # side: no reverse-path filtering anywhere.
        for ns in self.namespaces:
            for dev in ("all", "default"):
                self.sysctl(ns, "net.ipv4.conf.%s.rp_filter" % dev, "0")
        for dev in ("br0", "rc", "rs", "p1", "p2"):
            self.sysctl(self.rtr, "net.ipv4.conf.%s.rp_filter" % dev, "0")
        self.sysctl(self.c1, "net.ipv4.conf.e0.rp_filter", "0")
        self.sysctl(self.rtr, "net.ipv4.ip_forward", "1")


CLI, RTR_CL, SRV, RTR_SV = "198.18.1.2", "198.18.1.1", "198.18.2.2", \
    "198.18.2.1"


@pytest.fixture
def dtopo(run_prefix):
    t = WccpDataTopology(run_prefix + "d%d" % int(time.monotonic() * 1000 %
                                                  1000)).setup()
    t.daemons, t.router_outs = [], []
    yield t
    _checked(t)


def start_origin(t):
    """origin.py on port 80 of the server namespace (dtopo)."""
    p = t.popen(t.sv, [PY, str(HERE / "origin.py"), "--listen",
                       "%s:80" % SRV], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
    t.wait_listen(t.sv, 80, proc=p)
    return p


def start_router(t, dir, *args):
    state = Path(dir) / "router.json"
    out = Path(dir) / "router.out"
    t.router_outs.append(out)
    p = t.popen(t.rtr, [PY, str(HERE / "wccp_router.py"), "--address", RTR,
                        "--state", str(state)] + list(args),
                stdout=open(out, "wb"), stderr=subprocess.STDOUT)
    harness.wait_for(lambda: state.exists() or p.poll() is not None, 10,
                     "router simulator start")
    assert state.exists(), "router simulator did not start:\n%s" % (
        harness._read_text(out))
    return state


def read_state(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def wait_state(path, pred, timeout, what):
    ok = harness.poll(lambda: pred(read_state(path)), timeout)
    assert ok, "%s not reached within %ss; router state: %s" % (
        what, timeout, read_state(path))
    return read_state(path)


SVC80 = ["wccp2_router %s" % RTR,
         "wccp2_forwarding_method gre",
         "wccp2_return_method gre",
         "wccp2_service dynamic 80%s",
         "wccp2_service_info 80 protocol=tcp flags=src_ip_hash "
         "priority=240 ports=80"]


def cache(t, ns, dir, weight, password=None):
    lines = ["http_port 3128"] + [ln % (" password=" + password if password
                                         else "") if "%s" in ln else ln
                                   for ln in SVC80]
    lines.append("wccp2_weight %d" % weight)
    return start_cache(t, ns, dir, lines, [3128])


def tshark_packets(pcap):
    """tproxyd's messages as tshark's JSON (layers of each WCCP packet)."""
    p = subprocess.run(["tshark", "-r", str(pcap), "-d", "udp.port==2048,wccp",
                        "-Y", "wccp", "-T", "json"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [pk["_source"]["layers"] for pk in json.loads(p.stdout or "[]")]


def tshark_text(pcap, src):
    p = subprocess.run(["tshark", "-r", str(pcap), "-V", "-d",
                        "udp.port==2048,wccp", "-Y",
                        "wccp && ip.src==%s" % src], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout
