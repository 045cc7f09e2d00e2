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
