# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_udp.py - UDP interception with TPROXY (issue 19): udp_port, flows
relayed from the client's own address, replies from the original
destination, DNS through dig to dnsmasq, QUIC Initials read for their
SNI, idle timeouts, limits, udp_access, ICMP errors, hostile datagrams.

Topology of intercept_env (client, router with tproxyd, server). The
router's rules, written here as tproxyctl's UDP plan writes them:

  udp dport {PORTS} tproxy to :3131 meta mark set 1 accept   (both families)
  socket transparent 1 meta mark set 1 accept

The UDP TPROXY rules come before the socket rule: tproxyd's reply sockets
(bound to a destination's address and port) would otherwise match a
client's next datagram to that destination (the socket match finds
unconnected sockets too), while TPROXY's own lookup only prefers
connected ones. The socket rule (any protocol: ICMP errors for the
proxy's sockets too) brings the destination's replies to the flow's
socket bound to the client's address.
"""

import json
import os
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest

import harness
from intercept_env import (FAM, PY, TPROXY_PORT, daemons, env,  # noqa: F401
                           must, net)

HERE = Path(__file__).resolve().parent
UDP_TOOL = str(HERE / "udp_tool.py")
QUIC_DATA = HERE.parent / "data" / "quic"

UDP_PORT = 3131
ECHO_PORT = 5000
CLOSED_PORT = 5001      # nothing listens: ICMP port unreachable
DNS_PORT = 53
QUIC_PORT = 443
PORTS = (ECHO_PORT, CLOSED_PORT, DNS_PORT, QUIC_PORT)


def ruleset(ports=PORTS, udp_port=UDP_PORT):
    plist = ", ".join(str(p) for p in ports)
    lines = ["table inet tpxudp {",
             "  chain prerouting {",
             "    type filter hook prerouting priority mangle; "
             "policy accept;"]
    for f in (4, 6):
        lines.append("    meta nfproto %s udp dport { %s } tproxy %s to :%d "
                     "meta mark set 0x1 accept" % (
                         FAM[f]["nfproto"], plist, FAM[f]["nfip"],
                         udp_port))
    lines += ["    socket transparent 1 meta mark set 0x1 accept",
              "  }", "}"]
    return "\n".join(lines) + "\n"


def install(topo, **kw):
    must(topo, topo.rtr, ["nft", "-f", "-"], input=ruleset(**kw))


def base_lines(extra=()):
    return ["http_port %d tproxy" % TPROXY_PORT,
            "udp_port %d tproxy" % UDP_PORT] + list(extra)


@pytest.fixture(scope="module")
def echo(net):
    """The UDP echo origin on ports 5000 and 443 of the server (both
    families)."""
    p = net.topo.popen(net.topo.srv, [PY, UDP_TOOL, "echo", "--port",
                                      str(ECHO_PORT), "--port",
                                      str(QUIC_PORT)],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert p.stdout.readline().strip() == b"ready"
    return p


def start(daemons, env, extra=()):
    install(env.topo)
    d = daemons(base_lines(extra))
    d.wait_cache("UDP datagrams at")
    return d


def send(env, family, port=ECHO_PORT, wait=3.0, **kw):
    dst = FAM[family]["srv"]
    to = ("[%s]:%d" if family == 6 else "%s:%d") % (dst, port)
    argv = [PY, UDP_TOOL, "send", "--to", to, "--wait", str(wait)]
    for k, v in kw.items():
        if v is True:
            argv.append("--" + k)
        else:
            argv += ["--" + k.replace("_", "-"), str(v)]
    p = must(env.topo, env.topo.cli, argv, timeout=wait + 15)
    return json.loads(p.stdout)


def udp_lines(d):
    return [e for e in d.access_entries() if e and e["method"] == "UDP"]


@pytest.mark.parametrize("family", [4, 6])
def test_echo_client_address_kept(daemons, env, echo, family):
    """The origin sees the client's own address and port; the client
    gets the answer from the address it sent to."""
    d = start(daemons, env, ["udp_idle_timeout 1 second"])
    # The second datagram after the first one's reply socket exists (a
    # socket match before TPROXY would hand it to that socket).
    out = send(env, family, count=2, replies=2, gap=0.3)
    dst = FAM[family]["srv"]
    want_from = ("[%s]:%d" if family == 6 else "%s:%d") % (dst, ECHO_PORT)
    assert len(out["replies"]) == 2, out
    for r in out["replies"]:
        assert r["from"] == want_from, out
        assert r["body"]["saw"] == out["me"], out
        assert r["body"]["to"] == want_from, out
    # One flow for both datagrams, logged when it is idle.
    e = d.wait_access(lambda e: e["method"] == "UDP", timeout=5)
    assert e["code"] == "UDP_RELAY" and e["status"] == 0, e["raw"]
    assert e["client"] == FAM[family]["cli"], e["raw"]
    assert e["hier"] == "ORIGINAL_DST" and e["peer"] == dst, e["raw"]
    assert e["url"] == want_from, e["raw"]
    assert e["bytes"] == sum(r["len"] for r in out["replies"]), e["raw"]
    assert e["type"] == "udp", e["raw"]
    time.sleep(0.3)
    assert len(udp_lines(d)) == 1, [x["raw"] for x in udp_lines(d)]


@pytest.mark.parametrize("family", [4, 6])
def test_gso_datagrams_relayed_one_by_one(daemons, env, echo, family):
    """Datagrams a client sends together (UDP_SEGMENT, as QUIC stacks
    do), which tproxyd reads together (UDP_GRO) and sends on together,
    reach the origin as separate datagrams from the client's address;
    replies the origin sends together reach the client as separate
    datagrams from the original destination; the flow's line counts the
    bytes both ways, the metrics the datagrams."""
    d = start(daemons, env, ["udp_idle_timeout 1 second",
                             "stats_port 127.0.0.1:3190"])
    dst = FAM[family]["srv"]
    want_from = ("[%s]:%d" if family == 6 else "%s:%d") % (dst, ECHO_PORT)
    # 2 sends of 8 datagrams of 1,000 bytes: 16 echoes.
    out = send(env, family, gso=8, size=1000, count=2, replies=16)
    assert len(out["replies"]) == 16, out
    for r in out["replies"]:
        assert r["from"] == want_from and r["len"] == 1000, out
        assert r["body"]["saw"] == out["me"], out
        assert r["body"]["len"] == 1000, out
    e = d.wait_access(lambda e: e["method"] == "UDP", timeout=5)
    assert e["code"] == "UDP_RELAY" and e["bytes"] == 16000, e["raw"]
    # The origin answers one request with 6 datagrams in one GSO send.
    out = send(env, family, gso_reply=6, size=700, replies=6)
    assert [(r["from"], r["len"]) for r in out["replies"]] == \
        [(want_from, 700)] * 6, out
    for r in out["replies"]:
        assert r["body"]["saw"] == out["me"], out
    e = d.wait_access(lambda e: e["method"] == "UDP" and
                      e["bytes"] == 4200, timeout=5)
    assert e["code"] == "UDP_RELAY", e["raw"]
    p = must(env.topo, env.topo.rtr, ["curl", "-sS", "--max-time", "5",
                                      "http://127.0.0.1:3190/metrics"])
    assert 'tproxyd_udp_datagrams_total{dir="in"} 17\n' in p.stdout, \
        p.stdout
    assert 'tproxyd_udp_datagrams_total{dir="out"} 22\n' in p.stdout, \
        p.stdout


def test_same_size_datagrams_coalesced_keep_boundaries(daemons, env, echo):
    """Datagrams of one flow queued together (tproxyd stopped while they
    arrive) are read in one batch and sent on as GSO groups of equal
    sizes: the origin still gets every datagram with its own size (a
    shorter one ends a group, a longer one starts another)."""
    d = start(daemons, env, ["udp_idle_timeout 5 seconds",
                             "stats_port 127.0.0.1:3190"])
    sizes = [1000] * 6 + [500] + [1000] * 5 + [1200, 1000, 1000, 1000] + \
        [300, 300]
    to = "%s:%d" % (FAM[4]["srv"], ECHO_PORT)
    p = env.topo.popen(env.topo.cli, [
        PY, UDP_TOOL, "send", "--to", to, "--first-gap", "1.5",
        "--sizes", ",".join(str(n) for n in sizes), "--wait", "5",
        "--replies", str(len(sizes) + 1)], stdout=subprocess.PIPE)
    time.sleep(0.7)             # the first datagram is relayed
    d.proc.send_signal(signal.SIGSTOP)
    try:
        time.sleep(1.8)         # the others queue on the udp_port
    finally:
        d.proc.send_signal(signal.SIGCONT)
    out = json.loads(p.communicate(timeout=20)[0])
    got = sorted(r["body"].get("len", r["len"]) for r in out["replies"])
    assert got == sorted(sizes + [5]), out
    for r in out["replies"]:
        assert r["body"]["saw"] == out["me"], out
    p = must(env.topo, env.topo.rtr, ["curl", "-sS", "--max-time", "5",
                                      "http://127.0.0.1:3190/metrics"])
    assert 'tproxyd_udp_datagrams_total{dir="in"} %d\n' % (
        len(sizes) + 1) in p.stdout, p.stdout


def test_idle_timeout_logs_bytes_both_ways(daemons, env, echo, tmp_path):
    """A flow ends after udp_idle_timeout, not before; its line carries
    the bytes each way (logformat %>st / %<st), the client and the
    original destination (%>a, %<a), and the codes work on it."""
    fmt = tmp_path / "udp.log"
    d = start(daemons, env, [
        "udp_idle_timeout 2 seconds",
        "logformat udpfmt %>a %<a %>st %<st %Ss %rm %ru %<lp",
        "access_log %s udpfmt" % fmt])
    t0 = time.monotonic()
    out = send(env, 4, data="x" * 100, count=3, replies=3)
    assert len(out["replies"]) == 3, out
    got = sum(r["len"] for r in out["replies"])
    ok = harness.poll(lambda: fmt.exists() and fmt.read_text().strip(), 8)
    took = time.monotonic() - t0
    assert ok, "no line in %s" % fmt
    assert took >= 1.5, "flow ended after %.2fs, before its timeout" % took
    f = fmt.read_text().split()
    assert f[0] == FAM[4]["cli"] and f[1] == FAM[4]["srv"], f
    assert f[2] == "300" and f[3] == str(got), f
    assert f[4:7] == ["UDP_RELAY", "UDP", "%s:%d" % (FAM[4]["srv"],
                                                     ECHO_PORT)], f


def start_dnsmasq(env, dlog):
    """Debian's dnsmasq on port 53 of the server (both families), logging
    the queries to dlog; www.example.test is 198.18.2.77 (A only)."""
    dm = env.topo.popen(env.topo.srv, [
        "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
        "--conf-file=/dev/null", "--user=root", "--pid-file=",
        "--bind-interfaces", "--listen-address=%s" % FAM[4]["srv"],
        "--listen-address=%s" % FAM[6]["srv"], "--port=53",
        "--log-queries", "--log-facility=%s" % dlog,
        "--address=/www.example.test/198.18.2.77"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert harness.poll(lambda: env.topo.run(env.topo.srv, [
        "ss", "-Hlun", "sport = :53"]).stdout.strip(), 10)
    return dm


def dns_query(qid, name, qtype):
    """A DNS query (RFC 1035 4.1): ID qid, recursion desired, one
    question for name of type qtype (1 A, 28 AAAA)."""
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + \
        b"\0" + struct.pack(">HH", qtype, 1)


def test_dns_dig_to_dnsmasq(daemons, env, tmp_path):
    """dig in the client asks Debian's dnsmasq in the server: the answer
    comes back through tproxyd (from the resolver's address), dnsmasq
    logs the client's own address, the flow is logged as dns with the
    name asked for; udp_access denies a query by that name (dstdomain)."""
    dlog = tmp_path / "dnsmasq.log"
    dm = start_dnsmasq(env, dlog)
    try:
        d = start(daemons, env, ["udp_dns_idle_timeout 1 second",
                                 "acl bad dstdomain .blocked.test",
                                 "udp_access deny bad"])
        for fam in (4, 6):
            p = env.topo.run(env.topo.cli, [
                "dig", "@" + FAM[fam]["srv"], "+time=3", "+tries=1",
                "www.example.test", "A"], timeout=15)
            assert "198.18.2.77" in p.stdout, (p.stdout, dlog.read_text()
                                               if dlog.exists() else "-",
                                               d.diagnostics(), dm.poll())
            assert "SERVER: %s#53" % FAM[fam]["srv"] in p.stdout, p.stdout
        e = d.wait_access(lambda e: e["method"] == "UDP" and
                          e["type"] == "dns", timeout=5)
        assert e["url"] == "www.example.test:53" and e["bytes"] > 0, \
            e["raw"]
        assert e["code"] == "UDP_RELAY", e["raw"]
        p = env.topo.run(env.topo.cli, [
            "dig", "@" + FAM[4]["srv"], "+time=1", "+tries=1",
            "www.blocked.test", "A"], timeout=15)
        assert p.returncode != 0 and "timed out" in p.stdout, p.stdout
        e = d.wait_access(lambda e: e["code"] == "UDP_DENIED", timeout=5)
        assert e["url"] == "www.blocked.test:53", e["raw"]
        text = dlog.read_text()
        assert "query[A] www.example.test from %s" % FAM[4]["cli"] in \
            text, text
        assert "query[A] www.example.test from %s" % FAM[6]["cli"] in \
            text, text
        assert "blocked.test" not in text, text
    finally:
        dm.terminate()
        dm.wait(5)


@pytest.mark.parametrize("name,sni", [
    ("gtlsclient.dgrams", "www.example.com"),
    ("gtlsclient-split.dgrams", "split.example.net"),
    ("chrome-cloudflare-quic.dgrams", "cloudflare-quic.com"),
])
def test_quic_sni_logged(daemons, env, echo, name, sni, tmp_path):
    """Recorded QUIC first flights, replayed: the flow is read as QUIC
    (the ClientHello across datagrams too) and relayed after, with the
    SNI as the URL and in %ssl::>sni."""
    fmt = tmp_path / "sni.log"
    d = start(daemons, env, ["udp_quic_idle_timeout 1 second",
                             "logformat snifmt %ssl::>sni %>st %Ss %ru %mt",
                             "access_log %s snifmt" % fmt])
    n = len(harness_dgrams(name))
    out = send(env, 4, port=QUIC_PORT, dgrams=QUIC_DATA / name,
               replies=n)
    assert len(out["replies"]) == n, out
    sent = sum(len(x) for x in harness_dgrams(name))
    assert harness.poll(lambda: fmt.exists() and fmt.read_text(), 5), \
        d.cache_text()
    assert fmt.read_text().split() == [sni, str(sent), "UDP_RELAY",
                                       "%s:443" % sni, "quic"], \
        fmt.read_text()


def harness_dgrams(name):
    b = (QUIC_DATA / name).read_bytes()
    out, i = [], 0
    while i + 2 <= len(b):
        n = int.from_bytes(b[i:i + 2], "big")
        out.append(b[i + 2:i + 2 + n])
        i += 2 + n
    return out


def test_quic_denied_by_sni(daemons, env, echo):
    """udp_quic_access deny by ssl::server_name drops the flow (the
    browser then falls back to TCP): nothing reaches the origin, one
    UDP_DENIED line; another name is relayed."""
    d = start(daemons, env, [
        "acl blocked ssl::server_name .example.com",
        "udp_quic_access deny blocked",
        "udp_quic_idle_timeout 1 second"])
    out = send(env, 4, port=QUIC_PORT, dgrams=QUIC_DATA /
               "gtlsclient.dgrams", count=2, wait=1.5, replies=1)
    assert out["replies"] == [], out
    e = d.wait_access(lambda e: e["code"] == "UDP_DENIED", timeout=5)
    assert e["url"] == "www.example.com:443", e["raw"]
    out = send(env, 4, port=QUIC_PORT, dgrams=QUIC_DATA /
               "google-www.dgrams", replies=1)
    assert len(out["replies"]) == 1, out
    time.sleep(1.5)
    denied = [x for x in udp_lines(d) if x["code"] == "UDP_DENIED"]
    assert len(denied) == 1, [x["raw"] for x in udp_lines(d)]


def test_udp_access_deny_by_src(daemons, env, echo):
    """udp_access deny by src: no reply, one UDP_DENIED line for the
    flow however many datagrams it sends; another client is relayed."""
    d = start(daemons, env, [
        "acl c4 src %s" % FAM[4]["cli"],
        "udp_access deny c4",
        "udp_access allow all",
        "udp_idle_timeout 1 second"])
    out = send(env, 4, count=3, wait=1.5)
    assert out["replies"] == [], out
    out6 = send(env, 6)
    assert len(out6["replies"]) == 1, out6
    e = d.wait_access(lambda e: e["code"] == "UDP_DENIED", timeout=5)
    assert e["client"] == FAM[4]["cli"], e["raw"]
    time.sleep(1.5)
    denied = [x for x in udp_lines(d) if x["code"] == "UDP_DENIED"]
    assert len(denied) == 1, [x["raw"] for x in udp_lines(d)]


def test_flows_per_client_limit(daemons, env, echo):
    """udp_flows_per_client 1: a second flow (another client port) of
    the same client gets nothing while the first is open; counted in the
    metrics."""
    d = start(daemons, env, ["udp_flows_per_client 1",
                             "udp_idle_timeout 3 seconds",
                             "stats_port 127.0.0.1:3190"])
    a = send(env, 4)
    assert len(a["replies"]) == 1, a
    b = send(env, 4, wait=1.0)
    assert b["replies"] == [], b
    p = must(env.topo, env.topo.rtr, ["curl", "-sS", "--max-time", "5",
                                      "http://127.0.0.1:3190/metrics"])
    assert 'tproxyd_udp_drops_total{reason="limit"} 1' in p.stdout, \
        p.stdout
    assert "tproxyd_udp_flows 1" in p.stdout, p.stdout
    d.wait_access(lambda e: e["method"] == "UDP", timeout=6)
    c = send(env, 4)            # the first flow ended: room again
    assert len(c["replies"]) == 1, c


def test_flows_max_limit(daemons, env, echo):
    """udp_flows_max 1: the other family's client is dropped too."""
    start(daemons, env, ["udp_flows_max 1", "udp_idle_timeout 3 seconds"])
    assert len(send(env, 4)["replies"]) == 1
    assert send(env, 6, wait=1.0)["replies"] == []


@pytest.mark.parametrize("family", [4, 6])
def test_icmp_port_unreachable_ends_flow(daemons, env, echo, family):
    """Nothing listens on the destination port: its ICMP error reaches
    the flow's socket, which ends the flow at once (UDP_REFUSED), long
    before its idle timeout."""
    d = start(daemons, env, ["udp_idle_timeout 60 seconds",
                             "stats_port 127.0.0.1:3190"])
    send(env, family, port=CLOSED_PORT, wait=1.0)
    e = d.wait_access(lambda e: e["method"] == "UDP", timeout=5)
    assert e["code"] == "UDP_REFUSED", e["raw"]
    p = must(env.topo, env.topo.rtr, ["curl", "-sS", "--max-time", "5",
                                      "http://127.0.0.1:3190/metrics"])
    assert "tproxyd_udp_icmp_errors_total 1" in p.stdout, p.stdout


def test_hostile_datagrams(daemons, env, echo):
    """Empty, 65507-byte and garbage-on-443 datagrams (and a truncated
    QUIC Initial) neither crash tproxyd nor stop it relaying."""
    d = start(daemons, env, ["udp_idle_timeout 1 second",
                             "udp_quic_idle_timeout 1 second"])
    send(env, 4, empty=True, wait=1.0)
    big = send(env, 4, size=65507)
    assert big["replies"] and big["replies"][0]["len"] == 65507, big
    big6 = send(env, 6, size=65527 - 40)
    assert big6["replies"] and big6["replies"][0]["len"] == 65487, big6
    # A long header with the fixed bit, then garbage: read as QUIC,
    # found malformed, relayed as it is.
    garbage = Path(d.dir) / "garbage.dgrams"
    g = bytes([0xc0, 0, 0, 0, 1, 8]) + os.urandom(1194)
    garbage.write_bytes(len(g).to_bytes(2, "big") + g)
    assert len(send(env, 4, port=QUIC_PORT, dgrams=garbage)["replies"]) == 1
    one = harness_dgrams("gtlsclient.dgrams")[0][:300]
    path = Path(d.dir) / "trunc.dgrams"
    path.write_bytes(len(one).to_bytes(2, "big") + one)
    send(env, 4, port=QUIC_PORT, dgrams=path, wait=1.0)
    assert d.alive()
    assert len(send(env, 4)["replies"]) == 1


@pytest.mark.parametrize("backend", ["nft", "iptables"])
def test_tproxyctl_udp_ports(topology, tmp_path, backend):
    """tproxyctl setup -f tproxyd.conf --udp-ports: the udp_port line is
    the target, the rules (TPROXY, then the socket match for replies and
    ICMP errors) relay both families; teardown removes them."""
    from intercept_env import NsTproxyd
    t = topology
    ctl = str(harness.BUILD / "tproxyctl")
    echo = t.popen(t.srv, [PY, UDP_TOOL, "echo", "--port", str(ECHO_PORT),
                           "--port", str(CLOSED_PORT + 1)],
                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert echo.stdout.readline().strip() == b"ready"
    d = NsTproxyd(t, t.rtr, tmp_path / "d", base_lines(
        ["udp_idle_timeout 1 second"]), ports=(TPROXY_PORT,))
    state = tmp_path / "state"
    p = t.run(t.rtr, [ctl, "setup", "-f", d.conf, "--backend", backend,
                      "--udp-ports", "%d,%d" % (ECHO_PORT, CLOSED_PORT),
                      "--state", state], timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    d.start()
    try:
        d.wait_cache("UDP datagrams at")
        for fam in (4, 6):
            dst = FAM[fam]["srv"]
            to = ("[%s]:%d" if fam == 6 else "%s:%d") % (dst, ECHO_PORT)
            p = must(t, t.cli, [PY, UDP_TOOL, "send", "--to", to])
            out = json.loads(p.stdout)
            assert len(out["replies"]) == 1, out
            r = out["replies"][0]
            assert r["from"] == to and r["body"]["saw"] == out["me"], out
        # A port not in --udp-ports is routed on, not relayed: the echo
        # answers from the same address but tproxyd logs nothing.
        p = must(t, t.cli, [PY, UDP_TOOL, "send", "--to", "%s:%d" % (
            FAM[4]["srv"], CLOSED_PORT + 1)])
        assert len(json.loads(p.stdout)["replies"]) == 1
        n = harness.poll(lambda: len([e for e in d.access_entries()
                                      if e and e["method"] == "UDP"]) >= 2,
                         5)
        assert n
        time.sleep(1.5)
        urls = sorted(e["url"] for e in d.access_entries()
                      if e and e["method"] == "UDP")
        assert len(urls) == 2 and all(u.endswith(":%d" % ECHO_PORT)
                                      for u in urls), urls
        # doctor: the UDP rules are there; a port asked for but not
        # set up is reported.
        p = t.run(t.rtr, [ctl, "doctor", "--json", "--state", state, "-f",
                          d.conf, "--udp-ports", "%d,%d" % (
                              ECHO_PORT, ECHO_PORT + 100)], timeout=60)
        checks = {c["id"]: c["status"]
                  for c in json.loads(p.stdout)["checks"]}
        for fam in ("ipv4", "ipv6"):
            assert checks.get("rules.udp.%s.%d" % (fam, ECHO_PORT)) == \
                "PASS", checks
            assert checks.get("rules.udp.%s.%d" % (
                fam, ECHO_PORT + 100)) == "FAIL", checks
    finally:
        problems = d.stop()
        p = t.run(t.rtr, [ctl, "teardown", "--state", state], timeout=60)
        echo.terminate()
    assert p.returncode == 0, p.stdout + p.stderr
    assert not problems, problems
    rules = t.run(t.rtr, ["nft", "list", "ruleset"]).stdout
    assert "udp" not in rules and "tproxy" not in rules.lower(), rules


def test_reconfigure_keeps_and_closes_udp_port(daemons, env, echo):
    """-k reconfigure: the udp_port socket stays (flows go on under the
    new configuration: its udp_access applies), and a configuration
    without the line closes it."""
    import signal
    d = start(daemons, env, ["udp_idle_timeout 1 second"])
    harness.share_with_daemon_user(d.dir)   # it reads the file again
    assert len(send(env, 4)["replies"]) == 1
    text = d.conf.read_text()
    d.conf.write_text(text + "acl c4 src %s\nudp_access deny c4\n" %
                      FAM[4]["cli"])
    d.kill(signal.SIGHUP)
    d.wait_cache("Reconfiguring")
    time.sleep(0.5)
    assert send(env, 4, wait=1.0)["replies"] == []
    assert len(send(env, 6)["replies"]) == 1
    assert d.cache_text().count("UDP datagrams at") == 2   # v4 and v6
    d.conf.write_text(text.replace("udp_port %d tproxy\n" % UDP_PORT, ""))
    d.kill(signal.SIGHUP)
    d.wait_cache("Closing UDP port")
    time.sleep(0.3)
    assert send(env, 6, wait=1.0)["replies"] == []
    assert d.alive()


def test_workers(daemons, env, echo):
    """workers 2: each worker has the udp_port; flows are relayed and
    logged, both families."""
    install(env.topo)
    d = daemons(base_lines(["workers 2", "udp_idle_timeout 1 second"]),
                start=False)
    harness.share_with_daemon_user(d.dir)   # workers open the logs
    d.start()
    d.wait_cache("UDP datagrams at")
    for fam in (4, 6):
        out = send(env, fam, count=2, gap=0.2, replies=2)
        assert len(out["replies"]) == 2, out
    assert harness.poll(lambda: len(udp_lines(d)) >= 2, 6), \
        d.cache_text()


def test_dns_flow_ends_when_answered(daemons, env, tmp_path):
    """A resolver asks from a port, takes its answers and moves on: the
    flow ends 1 s after each query it relayed has its answer (here A and
    AAAA from one socket, as glibc asks), not udp_dns_idle_timeout (10 s)
    later; a client that asks again from the same port within that second
    keeps its flow. Something else than a query first: the flow waits for
    the timeout as before."""
    dm = start_dnsmasq(env, tmp_path / "dnsmasq.log")
    qfile = tmp_path / "queries"
    qfile.write_bytes(b"".join(
        struct.pack(">H", len(q)) + q for q in (
            dns_query(0x1111, "www.example.test", 1),
            dns_query(0x2222, "www.example.test", 28))))
    os.chmod(tmp_path, 0o755)

    def flows():
        p = must(env.topo, env.topo.rtr, ["curl", "-sS", "--max-time", "5",
                                          "http://127.0.0.1:3191/metrics"])
        return [int(ln.split()[1]) for ln in p.stdout.splitlines()
                if ln.startswith("tproxyd_udp_flows ")][0]
    try:
        d = start(daemons, env, ["stats_port 127.0.0.1:3191"])
        n0 = len(udp_lines(d))      # (the module's daemons share a log)
        for fam in (4, 6):
            out = send(env, fam, port=DNS_PORT, dgrams=qfile, replies=2)
            assert len(out["replies"]) == 2, out
            assert harness.poll(lambda: flows() == 0, 3), flows()
        # The same port again 0.3 s after the first answers: one flow.
        out = send(env, 4, port=DNS_PORT, dgrams=qfile, replies=4, count=2,
                   gap=0.3)
        assert len(out["replies"]) == 4, out
        assert harness.poll(lambda: flows() == 0, 3), flows()
        assert harness.poll(lambda: len(udp_lines(d)) == n0 + 3, 3), \
            [e["raw"] for e in udp_lines(d)]
        lines = udp_lines(d)[n0:]
        # The reused flow carried both rounds' answers.
        assert lines[2]["bytes"] == 2 * lines[0]["bytes"], \
            [e["raw"] for e in lines]
        assert all(
            e["url"] == "www.example.test:53" and e["code"] == "UDP_RELAY"
            and e["type"] == "dns" for e in lines), [e["raw"] for e in lines]
        # Not a query first ("first", 5 bytes): not followed.
        out = send(env, 4, port=DNS_PORT, dgrams=qfile, replies=2,
                   first_gap=0.1)
        assert len(out["replies"]) == 2, out
        time.sleep(1.5)
        assert flows() == 1
    finally:
        dm.terminate()


@pytest.mark.parametrize("family", [4, 6])
def test_own_port_not_relayed(daemons, env, echo, family):
    """A datagram sent to tproxyd's udp_port itself (not intercepted) is
    dropped and counted, not relayed back to the same socket for ever."""
    d = start(daemons, env, ["udp_idle_timeout 1 second",
                             "stats_port 127.0.0.1:3190"])
    rtr = FAM[family]["rtr_cli"]
    to = ("[%s]:%d" if family == 6 else "%s:%d") % (rtr, UDP_PORT)
    p = must(env.topo, env.topo.cli, [PY, UDP_TOOL, "send", "--to", to,
                                      "--wait", "1"])
    assert json.loads(p.stdout)["replies"] == []
    d.wait_cache("sent to tproxyd's own UDP port")
    p = must(env.topo, env.topo.rtr, ["curl", "-sS", "--max-time", "5",
                                      "http://127.0.0.1:3190/metrics"])
    assert 'tproxyd_udp_drops_total{reason="error"} 1' in p.stdout, \
        p.stdout
    assert "tproxyd_udp_flows_total 0" in p.stdout, p.stdout
    assert len(send(env, family)["replies"]) == 1
