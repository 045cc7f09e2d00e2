# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_wccp2.py - WCCPv2 control plane against a router simulator
(wccp_router.py), with every message tproxyd sends decoded by Wireshark's
own dissector (tshark), not only by our parser.

Topology (per-run unique names, removed at teardown):

    <prefix>-c1 (tproxyd)        <prefix>-wr (wccp_router.py, tshark)
    e0 198.18.3.2/24 ---- p1 -+
                              +- br0 198.18.3.1/24
    <prefix>-c2 (tproxyd)     |
    e0 198.18.3.3/24 ---- p2 -+

Only 198.18.3.0/24, only inside these namespaces.

Data plane (test_*_forwarding_*): the router also routes between a client
and an origin server, and redirects their port-80 traffic to one cache:

    <prefix>-cl (curl)          <prefix>-wr                 <prefix>-sv
    c0 198.18.1.2/24 ---- rc 198.18.1.1    rs 198.18.2.1 ---- s0 198.18.2.2
                              br0 198.18.3.1                  (origin.py :80)
                               |
    <prefix>-c1  e0 198.18.3.2: tproxyd `http_port 3129 tproxy`, TPROXY
    rules on tpxwccp0 (GRE: tproxyd's own TUN device) or e0 (L2), policy
    routing fwmark 1 -> local, as in intercept_env.py.

The client's request goes rc -> (GRE | L2) -> cache; tproxyd connects to
the origin FROM THE CLIENT'S ADDRESS through the router; the origin's
answers (source port 80, arriving on rs) are redirected to the cache as
well (WCCP's return service), so they reach tproxyd's spoofed socket.

Packet return (test_gre_return_*, test_l2_return_*): the client opens a
connection to the origin (keepalive_client.py, driven line by line)
before the router redirects anything; then the cache joins and takes the
bucket, and the client keeps using that connection. tproxyd returns its
packets in GRE to the router, which forwards them unredirected (checked
byte for byte, and by tshark on the returned GRE packets); the control
cases show the connection reset without return.
"""

import json
import os
import re
import select
import shutil
import signal
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


def test_two_caches_split_by_weight_then_failover(wtopo, tmp_path):
    t = wtopo
    pcap = tmp_path / "wccp.pcapng"
    cap = start_capture(t, pcap)
    state = start_router(t, tmp_path, "--cache-timeout", "12")
    c1 = cache(t, t.c1, tmp_path / "c1", 30000)
    c2 = cache(t, t.c2, tmp_path / "c2", 10000)
    # c1 (lowest address) is designated: 3:1 by weight.
    # (The designated cache waits 1.5 * HERE_I_AM_T after each change of
    # the view before it assigns: draft 4.8.1.)
    st = wait_state(state, lambda s: s.get("assign", {}).get(
        "dynamic:80", {}).get("counts") == {C1: 192, C2: 64}, 50,
        "buckets 192/64")
    assert st["assign"]["dynamic:80"]["key_ip"] == C1
    c1.wait_cache("WCCPv2: service 80: now the designated cache", 5)
    # Draft 4.8.1: the designated cache lets the view settle for 1.5 *
    # HERE_I_AM_T after a change before it assigns; and it repeats an
    # assignment only to a router that does not reflect its key (this
    # one does): every message carries a new key change number.
    log = st["assign_log"]
    assert log[0][0] - st["joined"][C1] >= 14.5, (log, st["joined"])
    changes = [k for _, ip, k in log if ip == C1]
    assert len(changes) == len(set(changes)), log

    # The designated cache stops: the router drops it after its timeout,
    # c2 becomes designated and takes every bucket.
    stop_cache(c1)
    st = wait_state(state, lambda s: s.get("assign", {}).get(
        "dynamic:80", {}).get("counts") == {C2: 256}, 75,
        "all buckets on the survivor")
    assert st["assign"]["dynamic:80"]["key_ip"] == C2
    assert C1 in st["removal_query"]
    assert st["view"]["dynamic:80"] == [C2]
    c2.wait_cache("now the designated cache", 5)
    stop_capture(t, cap, pcap)
    stop_cache(c2)

    # Wireshark's dissector, field by field, on what tproxyd sent.
    text = tshark_text(tmp_path / "wccp.pcapng", C1)
    for needle in ("WCCP Message Type: 2.0 Here I am (10)",
                   "WCCP Version (>=2): 0x0200",
                   "Security Option: None (0)",
                   "Service Type: Dynamic CE defined service (1)",
                   "WCCP Service ID ( Dynamic): 80",
                   "Priority (highest is 255): 240",
                   "Protocol: TCP (6)",
                   "= Source IP address in primary hash: Used",
                   "= Ports: Defined",
                   "Destination Port: 80",
                   "Web-Cache IP Address: 198.18.3.2",
                   "Assignment Weight: 30000",
                   "Router IP: 198.18.3.1",
                   "Value: 0x00000001 (IP-GRE)",
                   "Value: 0x00000001 (Hash)",
                   "WCCP Message Type: 2.0 Redirect assign (12)",
                   "Assignment Key IP Address: 198.18.3.2",
                   "WC IP: 198.18.3.2 id: 0",
                   "WC IP: 198.18.3.3 id: 1",
                   "Bucket   0:          0",
                   "Bucket 191:          0",
                   "Bucket 192:          1"):
        assert needle in text, "tshark did not show %r" % needle
    for bad in ("Malformed", "Expert Info (Error", "Expert Info (Warning"):
        assert bad not in text, "tshark: %s in\n%s" % (bad, text[-3000:])
    # Every message from a cache is one tshark recognises as WCCP.
    pk = tshark_packets(tmp_path / "wccp.pcapng")
    mine = [p for p in pk if p["ip"]["ip.src"] in (C1, C2)]
    assert mine and all("wccp" in p for p in mine)
    text2 = tshark_text(tmp_path / "wccp.pcapng", C2)
    assert "Assignment Key IP Address: 198.18.3.3" in text2
    assert "Assignment Weight: 10000" in text2


def test_assignment_repeated_until_the_router_reflects_it(wtopo,
                                                          tmp_path):
    """A router whose I_SEE_YOU does not reflect the assignment key has
    not taken the assignment: the designated cache sends it again after
    HERE_I_AM_T (draft 4.8.1), with the same key."""
    state = start_router(wtopo, tmp_path, "--no-key-reflect")
    c1 = cache(wtopo, wtopo.c1, tmp_path / "c1", 10000)
    st = wait_state(state, lambda s: len(s.get("assign_log", [])) >= 2, 45,
                    "a repeated assignment")
    log = st["assign_log"]
    assert log[0][0] - st["joined"][C1] >= 14.5, (log, st["joined"])
    assert log[1][1:] == log[0][1:] == [C1, 1], log
    assert 8 <= log[1][0] - log[0][0] <= 22, log
    c1.wait_cache("WCCPv2: service 80: router 198.18.3.1 has not taken "
                  "assignment 1 (it reflects 0.0.0.0/0); sending it again",
                  5)
    stop_cache(c1)


def test_router_without_our_return_method_is_not_joined(wtopo, tmp_path):
    """Draft 4.5: a router that does not offer the cache's packet return
    method (here: L2 only, the cache wants GRE) is not joined through -
    no view, no assignment - and the cache says why, once."""
    state = start_router(wtopo, tmp_path, "--caps", "3,3,2")
    c1 = cache(wtopo, wtopo.c1, tmp_path / "c1", 10000)
    c1.wait_cache("ERROR: WCCPv2: service 80: router 198.18.3.1 does not "
                  "offer our wccp2_return_method (it offers forwarding 0x3, "
                  "assignment 0x3, return 0x2); not joining through it", 10)
    wait_state(state, lambda s: s.get("here_i_am", {}).get(C1, 0) >= 2, 15,
               "a second HERE_I_AM")
    text = c1.cache_text()
    assert text.count("does not offer our") == 1, text
    assert "designated" not in text and "answers" not in text, text
    assert read_state(state).get("assign_msgs", 0) == 0
    stop_cache(c1)


def test_md5_wrong_password_rejected_both_ways(wtopo, tmp_path):
    t = wtopo
    # 1. The cache has the wrong password: the router refuses it.
    state = start_router(t, tmp_path, "--password", "right")
    c1 = cache(t, t.c1, tmp_path / "c1", 10000, password="wrong")
    wait_state(state, lambda s: s.get("auth_fail", 0) >= 1, 15,
               "router rejecting the cache")
    st = read_state(state)
    assert st["view"] == {} and st["here_i_am"] == {}
    stop_cache(c1)

    # 2. Both right: the assignment arrives, MD5-verified by the router.
    c2 = cache(t, t.c2, tmp_path / "c2", 10000, password="right")
    wait_state(state, lambda s: s.get("assign", {}).get(
        "dynamic:80", {}).get("counts") == {C2: 256}, 40, "assignment")
    stop_cache(c2)


def test_md5_router_with_wrong_password_is_ignored(wtopo, tmp_path):
    t = wtopo
    # The router accepts the cache's messages but signs its own with
    # another key: tproxyd must not believe its I_SEE_YOU.
    state = start_router(t, tmp_path, "--password", "right",
                         "--send-password", "forged")
    c1 = cache(t, t.c1, tmp_path / "c1", 10000, password="right")
    wait_state(state, lambda s: s.get("here_i_am", {}).get(C1, 0) >= 1, 15,
               "HERE_I_AM accepted")
    alert = ("SECURITY ALERT: WCCPv2: service 80: I_SEE_YOU from "
             "198.18.3.1 fails the security check")
    c1.wait_cache(alert, 10)
    # Had it believed the router, it would assign the buckets 1.5 *
    # HERE_I_AM_T (15 s) after joining. The deterministic end: its third
    # HERE_I_AM (20 s after the first), then the cache stopped.
    wait_state(state, lambda s: s.get("here_i_am", {}).get(C1, 0) >= 3, 40,
               "a third HERE_I_AM")
    stop_cache(c1)
    assert read_state(state).get("assign_msgs", 0) == 0
    assert "now the designated cache" not in c1.cache_text()
    assert c1.cache_text().count(alert) >= 2, c1.cache_text()[-3000:]


# ---------------------------------------------------------------------------
# GRE forwarding that cannot work: the cache does not join
# ---------------------------------------------------------------------------

CAP_NET_ADMIN = 12
DROPIN = "/share/doc/tproxyd/examples/wccp-gre.conf"


def private_dev_net(tun_mode):
    """argv prefix: a private mount namespace whose /dev/net holds a TUN
    node of mode tun_mode (None: no node at all, as with systemd's
    PrivateDevices=yes). Debian's udev makes the node 0666; this machine's
    may differ, and the test must not depend on it."""
    sh = "mount -t tmpfs tmpfs /dev/net"
    if tun_mode is not None:
        sh += " && mknod -m %o /dev/net/tun c 10 200" % tun_mode
    return ["unshare", "--mount", "--", "sh", "-c", sh + ' && exec "$@"',
            "sh"]


def as_proxy(*caps, tun_mode=0o666):
    """argv prefix: run as the proxy user holding exactly caps, as the
    systemd unit starts tproxyd (User=proxy, AmbientCapabilities=), with
    Debian's /dev/net/tun (or one of mode tun_mode)."""
    c = "".join(",+" + n for n in caps)
    return private_dev_net(tun_mode) + [
        "setpriv", "--reuid=proxy", "--regid=proxy", "--clear-groups",
        "--inh-caps=-all" + c, "--ambient-caps=-all" + c,
        "--bounding-set=-all" + c, "--"]


NO_TUN_NODE = private_dev_net(None)


@pytest.mark.parametrize("case,wrap,cause", [
    ("no_cap_net_admin", as_proxy("net_raw"),
     "cannot create the TUN device tpxwccp0: Operation not permitted "
     "(tproxyd needs the CAP_NET_ADMIN capability)"),
    ("no_cap_net_raw", as_proxy("net_admin"),
     "cannot open the raw GRE socket: Operation not permitted (tproxyd "
     "needs the CAP_NET_RAW capability)"),
    ("no_tun_device", NO_TUN_NODE,
     "cannot open /dev/net/tun: No such file or directory (no TUN "
     "device: the kernel's tun module is missing or a sandbox hides the "
     "device)"),
    ("tun_node_not_for_proxy", as_proxy("net_raw", "net_admin",
                                        tun_mode=0o600),
     "cannot open /dev/net/tun: Permission denied (its permissions do not "
     "let tproxyd's user open it)"),
])
def test_gre_that_cannot_work_refuses_to_start(wtopo, tmp_path, case, wrap,
                                               cause):
    """GRE forwarding configured but impossible here: tproxyd stops at
    start-up with a FATAL naming the cause and the systemd drop-in, and
    the router never hears of this cache (it would otherwise hand it
    buckets whose packets nobody decapsulates)."""
    t = wtopo
    state = start_router(t, tmp_path, "--cache-timeout", "12")
    d = tmp_path / "c1"
    d.mkdir()
    os.chmod(d, 0o777)
    lines = ["http_port 3128"] + [ln % "" if "%s" in ln else ln
                                  for ln in SVC80]
    c1 = NsTproxyd(t, t.c1, d, lines, [3128], wrap=wrap)
    t.daemons.append(c1)
    rc = c1.run_to_exit(timeout=10, ok_status=(1,))
    assert rc == 1, "exit status %r\n%s" % (rc, c1.diagnostics())
    err = c1.stderr_text()
    assert "tproxyd: FATAL: WCCPv2 GRE forwarding cannot work: " + cause \
        in err, err
    assert "not joining the WCCP routers' service group" in err, err
    assert DROPIN in err and "/etc/systemd/system/tproxyd.service.d/" \
        in err, err
    assert "FATAL: WCCPv2 GRE forwarding cannot work: " + cause in \
        c1.cache_text(), c1.cache_text()
    # The router answers each HERE_I_AM and saves its state at once; give
    # a late datagram time to arrive anyway.
    time.sleep(2)
    st = read_state(state)
    assert st.get("here_i_am", {}).get(C1, 0) == 0, st
    assert C1 not in str(st.get("view")), st


def proc_caps(pid, field):
    for ln in Path("/proc/%d/status" % pid).read_text().splitlines():
        if ln.startswith(field + ":"):
            return int(ln.split()[1], 16)
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


def test_gre_with_the_capabilities_of_the_dropin_joins(wtopo, tmp_path):
    """The drop-in's grant (CAP_NET_RAW and CAP_NET_ADMIN, the proxy
    user): the cache opens its TUN device, joins, and keeps CAP_NET_ADMIN
    only for that (dropped once it is open)."""
    t = wtopo
    state = start_router(t, tmp_path, "--cache-timeout", "12")
    d = tmp_path / "c1"
    d.mkdir()
    os.chmod(d, 0o777)
    lines = ["http_port 3128"] + [ln % "" if "%s" in ln else ln
                                  for ln in SVC80]
    c1 = NsTproxyd(t, t.c1, d, lines, [3128],
                   wrap=as_proxy("net_raw", "net_admin"))
    t.daemons.append(c1)
    c1.start()
    c1.wait_cache("WCCPv2: GRE forwarding: decapsulating into tpxwccp0", 5)
    wait_state(state, lambda s: C1 in s.get("view", {}).get("dynamic:80",
                                                           []),
               15, "the cache in the router's view")
    c1.wait_cache("WCCPv2: service 80: router 198.18.3.1 answers", 10)
    assert "FATAL" not in c1.cache_text() + c1.stderr_text()
    pid = c1.pid()
    assert not proc_caps(pid, "CapEff") & (1 << CAP_NET_ADMIN)
    assert not proc_caps(pid, "CapPrm") & (1 << CAP_NET_ADMIN)
    stop_cache(c1)


def test_reconfigure_to_gre_without_privileges_stops_announcing(wtopo,
                                                                 tmp_path):
    """L2 forwarding, then a reconfiguration to GRE: the privileges GRE
    needs were dropped at start-up, so the cache says why and sends the
    routers nothing more (they remove it), instead of announcing GRE."""
    t = wtopo
    state = start_router(t, tmp_path, "--cache-timeout", "12")
    l2 = ["http_port 3128", "wccp2_router %s" % RTR,
          "wccp2_forwarding_method l2", "wccp2_return_method l2",
          "wccp2_service dynamic 80",
          "wccp2_service_info 80 protocol=tcp flags=src_ip_hash "
          "priority=240 ports=80"]
    c1 = start_cache(t, t.c1, tmp_path / "c1", l2, [3128])

    def in_view(s):
        return C1 in s.get("view", {}).get("dynamic:80", [])
    wait_state(state, in_view, 15, "the cache in the router's view")
    c1.conf.write_text(c1.conf.read_text().replace(
        "wccp2_forwarding_method l2", "wccp2_forwarding_method gre").replace(
        "wccp2_return_method l2", "wccp2_return_method gre"))
    c1.kill(signal.SIGHUP)
    c1.wait_cache("ERROR: WCCPv2 GRE forwarding: cannot open the raw GRE "
                  "socket: Operation not permitted (tproxyd needs the "
                  "CAP_NET_RAW capability)", 5)
    c1.wait_cache("ERROR: WCCPv2: not announcing this cache to the "
                  "routers: GRE forwarding cannot work", 5)
    n = read_state(state)["here_i_am"][C1]
    wait_state(state, lambda s: not in_view(s), 20,
               "the router removing the silent cache")
    assert read_state(state)["here_i_am"][C1] == n
    stop_cache(c1)


def test_gre_device_lost_leaves_the_group(wtopo, tmp_path):
    """GRE forwarding stops working while running (the TUN device set
    down, then removed): the cache stops announcing itself, so the router
    removes it; set up again, it announces itself again."""
    t = wtopo
    state = start_router(t, tmp_path, "--cache-timeout", "12")
    c1 = cache(t, t.c1, tmp_path / "c1", 10000)

    def in_view(s):
        return C1 in s.get("view", {}).get("dynamic:80", [])
    wait_state(state, in_view, 15, "the cache in the router's view")
    assert t.run(t.c1, ["ip", "link", "set", "tpxwccp0", "down"],
                 timeout=10).returncode == 0
    c1.wait_cache("ERROR: WCCPv2: GRE forwarding stopped working (the TUN "
                  "device tpxwccp0 is down): leaving the service group(s)",
                  12)
    n = read_state(state)["here_i_am"][C1]
    wait_state(state, lambda s: not in_view(s), 20,
               "the router removing the silent cache")
    assert read_state(state)["here_i_am"][C1] == n
    assert t.run(t.c1, ["ip", "link", "set", "tpxwccp0", "up"],
                 timeout=10).returncode == 0
    c1.wait_cache("WCCPv2: GRE forwarding works again (tpxwccp0 is up): "
                  "announcing this cache again", 12)
    wait_state(state, in_view, 15, "the cache back in the router's view")
    assert t.run(t.c1, ["ip", "link", "del", "tpxwccp0"],
                 timeout=10).returncode == 0
    c1.wait_cache("ERROR: WCCPv2: GRE forwarding stopped working (the TUN "
                  "device tpxwccp0 was removed): leaving the service "
                  "group(s): no more HERE_I_AM, the routers remove this "
                  "cache within 30 s and forward its traffic themselves; "
                  "restart tproxyd to create the device again", 12)
    n = read_state(state)["here_i_am"][C1]
    time.sleep(11)      # a HERE_I_AM period
    assert read_state(state)["here_i_am"][C1] == n
    stop_cache(c1)


# ---------------------------------------------------------------------------
# Data plane: GRE (decapsulated by tproxyd itself) and L2 forwarding
# ---------------------------------------------------------------------------

def cache_kernel_side(t, ns, iif, syn_only=False):
    """TPROXY for port 80 arriving on iif, the DIVERT rule for the
    spoofed connections' answers, fwmark 1 -> local (intercept_env.py).
    syn_only: TPROXY takes only SYNs (the L2 return recipe of
    doc/wccp2.md), and a counter in the forward hook shows what the
    kernel sent back."""
    ruleset = (
        "table inet tpxwccp {\n"
        "  chain prerouting {\n"
        "    type filter hook prerouting priority mangle; policy accept;\n"
        "    meta l4proto tcp socket transparent 1 meta mark set 0x1 "
        "accept\n"
        "    iifname \"%s\" meta nfproto ipv4 tcp dport 80 %stproxy ip to "
        ":3129 meta mark set 0x1 accept\n"
        "  }\n"
        "  chain forward {\n"
        "    type filter hook forward priority 0; policy accept;\n"
        "    iifname \"%s\" counter\n"
        "  }\n"
        "}\n" % (iif, "tcp flags & (fin | syn | rst | ack) == syn "
                  if syn_only else "", iif))
    for argv, inp in ((["nft", "-f", "-"], ruleset),
                      (["ip", "rule", "add", "fwmark", "1", "lookup", "100"],
                       None),
                      (["ip", "route", "add", "local", "0.0.0.0/0", "dev",
                        "lo", "table", "100"], None)):
        p = t.run(ns, argv, input=inp, timeout=15)
        assert p.returncode == 0, "%s: %s" % (argv, p.stderr)


def start_origin(t):
    p = t.popen(t.sv, [PY, str(HERE / "origin.py"), "--listen",
                       "%s:80" % SRV], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
    t.wait_listen(t.sv, 80, proc=p)
    return p


def origin_records(t):
    """What origin.py in the server namespace has received (asked from
    inside that namespace: never redirected)."""
    p = t.run(t.sv, ["curl", "-sS", "--noproxy", "*", "--max-time", "5",
                     "http://%s/__records" % SRV], timeout=15)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def tun_rx_packets(t, ns, dev):
    p = t.run(ns, ["ip", "-s", "-j", "link", "show", dev])
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)[0]["stats64"]["rx"]["packets"]


def data_plane_case(t, tmp_path, method, workers=1):
    start_origin(t)
    cache_kernel_side(t, t.c1, "tpxwccp0" if method == "gre" else "e0")
    state = start_router(t, tmp_path, "--redirect", method,
                         "--client-if", "rc", "--server-if", "rs",
                         "--tun", "wredir0")
    lines = ["http_port 3129 tproxy", "http_access allow all",
             "wccp2_forwarding_method %s" % method] + [
        ln % "" if "%s" in ln else ln for ln in SVC80
        if not ln.startswith("wccp2_forwarding_method")]
    if workers > 1:
        lines.append("workers %d" % workers)
    c1 = start_cache(t, t.c1, tmp_path / "c1", lines, [3129])
    try:
        wait_state(state, lambda s: s.get("redirecting") == "dynamic:80",
                   40, "redirection installed after REDIRECT_ASSIGN")
        if method == "gre":
            c1.wait_cache("WCCPv2: GRE forwarding: decapsulating into "
                          "tpxwccp0", 5)
            link = t.run(t.c1, ["ip", "link", "show", "tpxwccp0"])
            assert link.returncode == 0 and "UP" in link.stdout, link
        p = t.run(t.cl, ["curl", "-sS", "--noproxy", "*", "--max-time",
                         "10", "http://%s/peer" % SRV], timeout=20)
        assert p.returncode == 0, "curl failed: %s\nrouter: %s\n%s" % (
            p.stderr, read_state(state), c1.diagnostics())
        peer = json.loads(p.stdout)
        assert peer["addr"] == CLI, (
            "origin saw %r, expected the client's own address %s "
            "(spoofed by the cache)" % (peer, CLI))
        # It went through tproxyd, not just routed past it. (Workers
        # drop privileges before opening access_log, which the root-only
        # pytest directory does not allow: the GRE counters below show
        # the path instead.)
        if workers == 1:
            e = c1.wait_access(lambda e: e["url"] == "http://%s/peer" % SRV,
                               what="the redirected request")
            assert e["client"] == CLI and e["status"] == 200, e["raw"]
            assert (e["hier"], e["peer"]) == ("ORIGINAL_DST", SRV), e["raw"]
        st = read_state(state)
        if method == "gre":
            # Both directions crossed the GRE path (request and the
            # origin's answers), decapsulated by tproxyd.
            assert st["gre_sent"].get(C1, 0) >= 4, st
            # ... and entered the cache's receive path on the TUN device.
            assert tun_rx_packets(t, t.c1, "tpxwccp0") >= 4
            c1.wait_cache("WCCPv2 GRE: first redirected packet from "
                          "198.18.3.1 (service 80) injected", 5)
        else:
            assert st["gre_sent"] == {}, st
    finally:
        problems = c1.stop()
    assert not problems, problems


def test_gre_forwarding_decapsulated_by_tproxyd(dtopo, tmp_path):
    """GRE + WCCPv2 redirect header, no kernel GRE module: tproxyd's raw
    socket -> TUN -> TPROXY; the origin sees the client's address."""
    data_plane_case(dtopo, tmp_path, "gre")


def test_gre_forwarding_with_workers(dtopo, tmp_path):
    """workers 2: the master opens the raw socket and the TUN device
    before dropping privileges; kid1 inherits them and runs WCCP."""
    data_plane_case(dtopo, tmp_path, "gre", workers=2)


def test_l2_forwarding(dtopo, tmp_path):
    """L2: the router hands the unchanged packets to the cache's MAC; the
    usual TPROXY rules (on e0) suffice."""
    data_plane_case(dtopo, tmp_path, "l2")


# ---------------------------------------------------------------------------
# Packet return (draft-wilson-wrec-wccp-v2-01 4.13)
# ---------------------------------------------------------------------------

class LineDriver:
    """A child process spoken to in lines (keepalive_client.py), every
    read bounded by a deadline."""

    def __init__(self, proc):
        self.p = proc
        self.buf = b""

    def read(self, timeout=30.0):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            assert left > 0, "no answer within %ss (got %r)" % (timeout,
                                                               self.buf)
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                data = os.read(self.p.stdout.fileno(), 65536)
                assert data, "the client exited: %r" % self.buf
                self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def cmd(self, line, timeout=30.0):
        self.send(line)
        return self.read(timeout)


def start_gre_capture(t, path):
    """tshark in the router namespace: the GRE packets the cache sends
    (the returned ones; the router's redirections go the other way)."""
    return start_tshark(t, "(ip proto 47 and src host %s) or %s" % (
        C1, MARKER_FILTER), path)


def returned_packets(pcap):
    """Each GRE packet from the cache as decoded by tshark: outer and
    inner addresses, the GRE protocol type, the redirect header, the
    inner TCP ports."""
    fields = ["ip.src", "ip.dst", "gre.proto", "gre.wccp.dynamic_service",
              "gre.wccp.service_id", "gre.wccp.primary_bucket",
              "tcp.srcport", "tcp.dstport", "tcp.flags"]
    argv = ["tshark", "-r", str(pcap), "-Y", "gre", "-T", "fields",
            "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        argv += ["-e", f]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [dict(zip(fields, ln.split("\t"))) for ln in p.stdout.splitlines()
            if ln.strip()]


def drain_case(t, c1):
    """Shutdown with a transaction in progress through the cache: it is
    served to its end, while a new connection is returned to the router
    (the listeners are closed) and reaches the origin directly. Ends with
    tproxyd gone (exit status 0)."""
    cl2 = LineDriver(t.popen(t.cl, [PY, str(HERE / "keepalive_client.py"),
                                    "--connect", "%s:80" % SRV],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    try:
        assert cl2.read()["connected"]
        r = cl2.cmd("GET /bytes/1000")
        assert r["ok"] and r["sha256"] == r["x_sha256"], r
        c1.wait_access(lambda e: e["url"].endswith("/bytes/1000"),
                       what="the second connection's first request")
        served = len(c1.access_entries())
        cl2.send("GET /slow/4000")      # in progress during the drain
        # In progress: the origin has it (and answers 4 s later).
        harness.wait_for(lambda: any(
            r["path"] == "/slow/4000" for r in origin_records(t)), 10,
            "the slow request at the origin")
        c1.kill(signal.SIGTERM)
        c1.wait_cache("WCCPv2 GRE: shutting down: new connections are "
                      "returned to the router", 5)
        c1.wait_cache("waiting up to 30 seconds for 1 active connections",
                      5)
        p = t.run(t.cl, ["curl", "-sS", "--noproxy", "*", "--max-time",
                         "10", "http://%s/peer" % SRV], timeout=20)
        assert p.returncode == 0, "curl during the drain: %s\n%s" % (
            p.stderr, c1.diagnostics())
        assert json.loads(p.stdout)["addr"] == CLI, p.stdout
        r = cl2.read(15)
        assert r["ok"] and r.get("body") == "slow\n", r
        problems = c1.wait_exit(15)
        assert not problems, "\n".join(problems)
        # The slow request was served here; the new connection was not.
        assert len(c1.access_entries()) == served + 1, (
            "\n".join(c1.access_lines()))
    finally:
        cl2.p.stdin.close()


def upgrade_case(t, c1, cl, port):
    """-k upgrade with GRE forwarding: the new program takes the raw
    socket and the TUN device over (it could not make them: privileges
    are given up at start-up). A transfer in progress in the previous
    version ends well, the connection older than the cache is still
    returned to the router, a new one is served."""
    def ifindex():
        p = t.run(t.c1, ["ip", "-j", "link", "show", "tpxwccp0"])
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)[0]["ifindex"]
    before = ifindex()
    cl2 = LineDriver(t.popen(t.cl, [PY, str(HERE / "keepalive_client.py"),
                                    "--connect", "%s:80" % SRV],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    try:
        assert cl2.read()["connected"]
        cl2.send("GET /slow/3000")
        harness.wait_for(lambda: any(
            r["path"] == "/slow/3000" for r in origin_records(t)), 10,
            "the slow request at the origin")
        p = t.run(t.c1, [harness.require_tproxyd(), "-k", "upgrade", "-f",
                         str(c1.conf)], timeout=100)
        assert p.returncode == 0 and "runs version" in p.stdout, (
            p.stdout, p.stderr, c1.diagnostics())
        c1.wait_cache("Upgrade: WCCPv2 GRE forwarding goes on with the "
                      "previous version's raw socket and tpxwccp0", 5)
        assert ifindex() == before
        r = cl2.read(15)
        assert r["ok"] and r.get("body") == "slow\n", r
    finally:
        cl2.p.stdin.close()
    r = cl.cmd("GET /peer")
    assert peer_of(r) == (CLI, port), r
    p = t.run(t.cl, ["curl", "-sS", "--noproxy", "*", "--max-time",
                     "10", "http://%s/peer" % SRV], timeout=20)
    assert p.returncode == 0, "curl after the upgrade: %s\n%s" % (
        p.stderr, c1.diagnostics())
    assert json.loads(p.stdout)["addr"] == CLI, p.stdout


def peer_of(r):
    """(address, port) the origin saw, from a /peer answer."""
    assert r["ok"], r
    peer = json.loads(r["body"])
    return peer["addr"], peer["port"]


@pytest.mark.parametrize("ret", ["gre", "l2"])
def test_gre_return_keeps_older_connections(dtopo, tmp_path, ret):
    """A client's connection older than the cache survives the cache
    taking its bucket, because the cache returns its packets (GRE packet
    return: draft 4.13) and the router forwards them normally; a new
    connection is served by the cache. With `wccp2_return_method l2`
    (which tproxyd cannot do with GRE forwarding) nothing is returned,
    the cache's kernel resets the old connection: the check that this
    test depends on packet return. With GRE return, the cache is then
    upgraded (upgrade_case) and shut down (drain_case)."""
    t = dtopo
    start_origin(t)
    cache_kernel_side(t, t.c1, "tpxwccp0")
    state = start_router(t, tmp_path, "--redirect", "gre",
                         "--client-if", "rc", "--server-if", "rs",
                         "--tun", "wredir0")
    pcap = tmp_path / "return.pcapng"
    cap = start_gre_capture(t, pcap)

    # 1. No cache yet: the router does not redirect; the client opens
    # its connection to the origin and uses it.
    cl = LineDriver(t.popen(t.cl, [PY, str(HERE / "keepalive_client.py"),
                                   "--connect", "%s:80" % SRV],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    hello = cl.read()
    assert hello["connected"], hello
    port = hello["local_port"]
    r = cl.cmd("GET /bytes/20000")
    assert r["ok"] and r["sha256"] == r["x_sha256"], r
    r = cl.cmd("GET /peer")
    assert peer_of(r) == (CLI, port), r
    assert read_state(state).get("redirecting") is None

    # 2. The cache joins; after the settle time it assigns the buckets
    # to itself and the router redirects both directions to it.
    lines = ["http_port 3129 tproxy", "http_access allow all"] + [
        ln % "" if "%s" in ln else ln for ln in SVC80
        if not ln.startswith("wccp2_return_method")] + [
        "wccp2_return_method %s" % ret, "stats_port 127.0.0.1:3401"]
    c1 = start_cache(t, t.c1, tmp_path / "c1", lines, [3129])
    try:
        wait_state(state, lambda s: s.get("redirecting") == "dynamic:80",
                   40, "redirection installed after REDIRECT_ASSIGN")

        # 3. The old connection, used again: 300 kB from the origin,
        # 200 kB to it, checked byte for byte.
        r = cl.cmd("GET /bytes/300000")
        if ret == "l2":
            assert not r["ok"], (
                "the old connection survived without packet return: the "
                "test would not show that return works (%s)" % r)
        else:
            assert r["ok"], "old connection broken: %s\nrouter: %s\n%s" % (
                r, read_state(state), c1.diagnostics())
            assert r["length"] == 300000 and r["sha256"] == r["x_sha256"]
            r = cl.cmd("POST /sink 200000")
            assert r["ok"], r
            sink = json.loads(r["body"])
            assert (sink["length"], sink["sha256"]) == (
                200000, r["sent_sha256"]), sink
            # Still the same TCP connection, end to end with the origin.
            r = cl.cmd("GET /peer")
            assert peer_of(r) == (CLI, port), r

        # 4. A new connection from the same client: served by the cache,
        # which connects from the client's address.
        p = t.run(t.cl, ["curl", "-sS", "--noproxy", "*", "--max-time",
                         "10", "http://%s/peer" % SRV], timeout=20)
        assert p.returncode == 0, "curl failed: %s\nrouter: %s\n%s" % (
            p.stderr, read_state(state), c1.diagnostics())
        assert json.loads(p.stdout)["addr"] == CLI, p.stdout
        e = c1.wait_access(lambda e: e["url"] == "http://%s/peer" % SRV,
                           what="the new connection's request")
        assert e["client"] == CLI and e["status"] == 200, e["raw"]

        st = read_state(state)
        assert st["gre_return_bad"] == 0, st
        # The cache's own count, as Prometheus sees it.
        p = t.run(t.c1, ["curl", "-sS", "--noproxy", "*", "--max-time", "5",
                         "http://127.0.0.1:3401/metrics"], timeout=10)
        gre = dict(re.findall(r'^tproxyd_wccp_gre_packets_total'
                              r'\{action="(\w+)"\} (\d+)$', p.stdout, re.M))
        assert int(gre["served"]) > 0 and gre["return_failed"] == "0", gre
        if ret == "l2":
            assert gre["returned"] == "0", gre
            assert st["gre_returned"] == {}, st
        else:
            assert int(gre["returned"]) >= st["gre_returned"].get(C1, 0) \
                >= 100, (gre, st)
        if ret == "l2":
            assert st["gre_returned"] == {}, st
        else:
            # Both directions of the old connection went back through
            # the router; the new one's never did.
            assert st["gre_returned"].get(C1, 0) >= 100, st
            old = ["%s:%d>%s:80" % (CLI, port, SRV),
                   "%s:80>%s:%d" % (SRV, CLI, port)]
            assert all(f in st["returned_flows"] for f in old), st
            assert len(st["returned_flows"]) == 2, st
            c1.wait_cache("WCCPv2 GRE: returning to router %s a packet of "
                          "%s:%d -> %s:80 (service 80)" % (RTR, CLI, port,
                                                           SRV), 5)
            upgrade_case(t, c1, cl, port)
            drain_case(t, c1)
        c1.wait_cache("WCCPv2 GRE: first redirected packet", 5)
    finally:
        stop_capture(t, cap, pcap)
        problems = c1.stop()
        cl.p.stdin.close()
    assert not problems, problems
    if ret == "gre":
        # The summary written when packet return stops.
        assert re.search(r"WCCPv2 GRE: \d+ packets returned to the routers",
                         c1.cache_text()), c1.cache_text()[-3000:]

    # 5. What the cache sent back, decoded by Wireshark's GRE dissector.
    pk = returned_packets(tmp_path / "return.pcapng")
    if ret == "l2":
        assert pk == [], pk[:3]
        return
    old = [x for x in pk if str(port) in (x["tcp.srcport"],
                                          x["tcp.dstport"])]
    assert len(old) >= 100, len(old)
    for x in pk:
        # outer cache -> router, inner the client <-> origin, either way
        assert x["ip.src"] in ("%s,%s" % (C1, CLI), "%s,%s" % (C1, SRV)), x
        assert x["ip.dst"].split(",")[0] == RTR, x
        assert x["gre.proto"] == "0x883e", x
        # the redirect header the router sent, carried back
        assert (x["gre.wccp.dynamic_service"], x["gre.wccp.service_id"],
                x["gre.wccp.primary_bucket"]) == ("1", "80", "215"), x
        assert "80" in (x["tcp.srcport"], x["tcp.dstport"]), x
    # The connection opened during the drain: its SYN went back.
    assert any(x["tcp.flags"] == "0x0002" and x["tcp.dstport"] == "80"
               for x in pk if x not in old), [x for x in pk if x not in old]
    p = subprocess.run(["tshark", "-r", str(tmp_path / "return.pcapng"),
                        "-V", "-c", "3"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    for needle in ("Generic Routing Encapsulation (WCCP)",
                   "Protocol Type: WCCP (0x883e)",
                   "Redirect Header",
                   "Dynamic Service: Dynamic service",
                   "Primary Bucket: 215",
                   "Source Address: %s" % C1,
                   "Destination Address: %s" % RTR):
        assert needle in p.stdout, "tshark did not show %r" % needle
    for bad in ("Malformed", "Expert Info (Error"):
        assert bad not in p.stdout, p.stdout[-3000:]


def forwarded_packets(t, ns):
    """The counter of cache_kernel_side's forward chain."""
    p = t.run(ns, ["nft", "-j", "list", "chain", "inet", "tpxwccp",
                   "forward"])
    assert p.returncode == 0, p.stderr
    for item in json.loads(p.stdout)["nftables"]:
        for e in item.get("rule", {}).get("expr", []):
            if "counter" in e:
                return e["counter"]["packets"]
    raise AssertionError("no counter in %s" % p.stdout)


@pytest.mark.parametrize("rules", ["syn-only", "usual"])
def test_l2_return_by_the_kernel(dtopo, tmp_path, rules):
    """L2 forwarding: redirected packets reach the cache's kernel
    unchanged and never pass through tproxyd, so tproxyd cannot return
    any. The kernel can (doc/wccp2.md): with the TPROXY rule limited to
    SYNs and forwarding on, a segment of a connection the cache does not
    hold matches no socket and no TPROXY rule, and is routed back to the
    router unchanged - an L2 return. The router forwards it normally
    (it does not redirect what arrives from the caches: Cisco's
    "ip wccp redirect exclude in"). With the usual rule (TPROXY on every
    segment) the same connection is reset: the control case."""
    t = dtopo
    start_origin(t)
    cache_kernel_side(t, t.c1, "e0", syn_only=(rules == "syn-only"))
    t.sysctl(t.c1, "net.ipv4.ip_forward", "1")
    t.sysctl(t.c1, "net.ipv4.conf.all.send_redirects", "0")
    t.sysctl(t.c1, "net.ipv4.conf.e0.send_redirects", "0")
    state = start_router(t, tmp_path, "--redirect", "l2",
                         "--client-if", "rc", "--server-if", "rs")
    cl = LineDriver(t.popen(t.cl, [PY, str(HERE / "keepalive_client.py"),
                                   "--connect", "%s:80" % SRV],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    hello = cl.read()
    assert hello["connected"], hello
    port = hello["local_port"]
    r = cl.cmd("GET /bytes/20000")
    assert r["ok"] and r["sha256"] == r["x_sha256"], r

    lines = ["http_port 3129 tproxy", "http_access allow all",
             "wccp2_forwarding_method l2", "wccp2_return_method l2"] + [
        ln % "" if "%s" in ln else ln for ln in SVC80
        if not ln.startswith(("wccp2_forwarding_method",
                              "wccp2_return_method"))]
    c1 = start_cache(t, t.c1, tmp_path / "c1", lines, [3129])
    try:
        wait_state(state, lambda s: s.get("redirecting") == "dynamic:80",
                   40, "redirection installed after REDIRECT_ASSIGN")
        before = forwarded_packets(t, t.c1)
        r = cl.cmd("GET /bytes/300000")
        if rules == "usual":
            assert not r["ok"], r
        else:
            assert r["ok"] and r["length"] == 300000 and \
                r["sha256"] == r["x_sha256"], "%s\n%s" % (
                    r, c1.diagnostics())
            r = cl.cmd("POST /sink 200000")
            sink = json.loads(r["body"])
            assert (sink["length"], sink["sha256"]) == (
                200000, r["sent_sha256"]), sink
            assert peer_of(cl.cmd("GET /peer")) == (CLI, port)
            # They went through the cache's kernel and back (counted in
            # skbs: GRO merges segments on the veth, hence the low bar).
            assert forwarded_packets(t, t.c1) - before >= 10
        # A new connection is still served by tproxyd (its handshake's
        # last ACK finds the request socket through the socket rule).
        p = t.run(t.cl, ["curl", "-sS", "--noproxy", "*", "--max-time",
                         "10", "http://%s/peer" % SRV], timeout=20)
        assert p.returncode == 0, "curl failed: %s\n%s" % (
            p.stderr, c1.diagnostics())
        assert json.loads(p.stdout)["addr"] == CLI, p.stdout
        e = c1.wait_access(lambda e: e["url"] == "http://%s/peer" % SRV,
                           what="the new connection's request")
        assert e["client"] == CLI and e["status"] == 200, e["raw"]
        assert read_state(state)["gre_sent"] == {}
    finally:
        problems = c1.stop()
        cl.p.stdin.close()
    assert not problems, problems
