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

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None,
                                reason="tshark not installed "
                                "(scripts/deps.sh test)")


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


@pytest.fixture
def wtopo(run_prefix):
    t = WccpTopology(run_prefix + "w%d" % int(time.monotonic() * 1000 %
                                              1000)).setup()
    yield t
    t.cleanup()


def start_capture(t, path):
    p = t.popen(t.rtr, ["tshark", "-q", "-i", "br0", "-f", "udp port 2048",
                        "-w", str(path)], stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
    # tshark says "Capturing on 'br0'" once it is ready.
    line = b""
    end = time.monotonic() + 20
    while b"Capturing on" not in line and time.monotonic() < end:
        line = p.stderr.readline()
        if not line and p.poll() is not None:
            break
    assert b"Capturing on" in line, "tshark did not start"
    return p


def stop_capture(p):
    time.sleep(1.5)     # let dumpcap write the last packets
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
    yield t
    t.cleanup()


def start_router(t, dir, *args):
    state = Path(dir) / "router.json"
    t.popen(t.rtr, [PY, str(HERE / "wccp_router.py"), "--address", RTR,
                    "--state", str(state)] + list(args),
            stdout=open(Path(dir) / "router.out", "wb"),
            stderr=subprocess.STDOUT)
    assert harness.poll(state.exists, 10), "router simulator did not start"
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
    return NsTproxyd(t, ns, dir, lines, [3128]).start()


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
    cap = start_capture(t, tmp_path / "wccp.pcapng")
    state = start_router(t, tmp_path, "--cache-timeout", "12")
    c1 = cache(t, t.c1, tmp_path / "c1", 30000)
    c2 = cache(t, t.c2, tmp_path / "c2", 10000)
    # c1 (lowest address) is designated: 3:1 by weight.
    st = wait_state(state, lambda s: s.get("assign", {}).get(
        "dynamic:80", {}).get("counts") == {C1: 192, C2: 64}, 30,
        "buckets 192/64")
    assert st["assign"]["dynamic:80"]["key_ip"] == C1
    c1.wait_cache("WCCPv2: service 80: now the designated cache", 5)

    # The designated cache stops: the router drops it after its timeout,
    # c2 becomes designated and takes every bucket.
    c1.stop()
    st = wait_state(state, lambda s: s.get("assign", {}).get(
        "dynamic:80", {}).get("counts") == {C2: 256}, 45,
        "all buckets on the survivor")
    assert st["assign"]["dynamic:80"]["key_ip"] == C2
    assert C1 in st["removal_query"]
    assert st["view"]["dynamic:80"] == [C2]
    c2.wait_cache("now the designated cache", 5)
    stop_capture(cap)
    c2.stop()

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


def test_md5_wrong_password_rejected_both_ways(wtopo, tmp_path):
    t = wtopo
    # 1. The cache has the wrong password: the router refuses it.
    state = start_router(t, tmp_path, "--password", "right")
    c1 = cache(t, t.c1, tmp_path / "c1", 10000, password="wrong")
    wait_state(state, lambda s: s.get("auth_fail", 0) >= 1, 15,
               "router rejecting the cache")
    st = read_state(state)
    assert st["view"] == {} and st["here_i_am"] == {}
    c1.stop()

    # 2. Both right: the assignment arrives, MD5-verified by the router.
    c2 = cache(t, t.c2, tmp_path / "c2", 10000, password="right")
    wait_state(state, lambda s: s.get("assign", {}).get(
        "dynamic:80", {}).get("counts") == {C2: 256}, 20, "assignment")
    c2.stop()


def test_md5_router_with_wrong_password_is_ignored(wtopo, tmp_path):
    t = wtopo
    # The router accepts the cache's messages but signs its own with
    # another key: tproxyd must not believe its I_SEE_YOU.
    state = start_router(t, tmp_path, "--password", "right",
                         "--send-password", "forged")
    c1 = cache(t, t.c1, tmp_path / "c1", 10000, password="right")
    wait_state(state, lambda s: s.get("here_i_am", {}).get(C1, 0) >= 1, 15,
               "HERE_I_AM accepted")
    c1.wait_cache("SECURITY ALERT: WCCPv2: service 80: I_SEE_YOU from "
                  "198.18.3.1 fails the security check", 10)
    time.sleep(1)
    assert read_state(state).get("assign_msgs", 0) == 0
    assert "now the designated cache" not in c1.cache_text()
    c1.stop()


# ---------------------------------------------------------------------------
# Data plane: GRE (decapsulated by tproxyd itself) and L2 forwarding
# ---------------------------------------------------------------------------

def cache_kernel_side(t, ns, iif):
    """TPROXY for port 80 arriving on iif, the DIVERT rule for the
    spoofed connections' answers, fwmark 1 -> local (intercept_env.py)."""
    ruleset = (
        "table inet tpxwccp {\n"
        "  chain prerouting {\n"
        "    type filter hook prerouting priority mangle; policy accept;\n"
        "    meta l4proto tcp socket transparent 1 meta mark set 0x1 "
        "accept\n"
        "    iifname \"%s\" meta nfproto ipv4 tcp dport 80 tproxy ip to "
        ":3129 meta mark set 0x1 accept\n"
        "  }\n"
        "}\n" % iif)
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
    c1 = NsTproxyd(t, t.c1, tmp_path / "c1", lines, [3129]).start()
    try:
        wait_state(state, lambda s: s.get("redirecting") == "dynamic:80",
                   20, "redirection installed after REDIRECT_ASSIGN")
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
