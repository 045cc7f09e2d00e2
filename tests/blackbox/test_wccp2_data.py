# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_wccp2_data.py - WCCPv2's data plane, with the router simulator
(wccp_router.py) routing between a client and an origin and redirecting
their port-80 traffic to one cache (topology: wccp_env.py):

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
cases show the connection reset without return. The GRE case goes on
with -k upgrade and a shutdown while a transfer is in flight.
"""

import json
import os
import re
import select
import signal
import subprocess
import time

import pytest

import harness
from wccp_env import (C1, CLI, HERE, MARKER_FILTER, PY, RTR, SRV, SVC80,
                      read_state, start_cache, start_origin, start_router,
                      start_tshark, stop_capture, wait_state)
from wccp_env import _tshark, dtopo  # noqa: F401 (fixtures)


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
