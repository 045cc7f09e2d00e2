# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_learn_dns.py - Host verification by the DNS answers clients really
received (host_verify_learn_dns, issue 13), three-sided in namespaces:

    <p>-cli   curl, a DNS client       198.18.1.2   2001:db8:1::2
       |
    <p>-rtr   tproxyd (http_port 3129 tproxy, host_verify_strict on,
       |      dns_nameservers 198.18.2.53), TPROXY rules by
       |      `tproxyctl setup`; forwards the client's DNS
    <p>-srv   origins on port 80 of 198.18.2.2, .3, .4 (and ::2, ::3, ::4)
              "CDN" resolver 198.18.2.53 / 2001:db8:2::53 (stub_dns.py):
                  cdn.test -> 198.18.2.3, 2001:db8:2::3 for the clients
                  cdn.test -> 198.18.2.2, 2001:db8:2::2 for anyone else,
                              i.e. for tproxyd's own lookups
              another resolver 198.18.2.54 (not trusted):
                  cdn.test -> 198.18.2.4

A CDN answers per resolver and per client, so tproxyd's own lookup of
cdn.test does not give the address the client connects to. Cases:
  1. learning off: the client's request to 198.18.2.3 with Host cdn.test
     is a SECURITY ALERT (strict: 409), as in Squid;
  2. learning on, after the client resolved cdn.test through the trusted
     resolver (IPv4 and IPv6): 200 from 198.18.2.3, no alert, counted in
     /metrics; before it resolved: still 409;
  3. forged Host: cdn.test to 198.18.2.4 is still refused;
  4. an answer from an untrusted resolver is not learnt;
  5. a forged answer (source address and port of the trusted resolver)
     sent by the client: not learnt when it only reaches the router, nor
     when the router drops it by reverse-path filtering; learnt when the
     router forwards it (control: why the manual asks for that filter);
  6. -k reconfigure: turning learning on needs a restart (warning);
     learning goes on across a reconfiguration, with the new trusted
     set (what the old one taught is forgotten);
  7. workers 2: each worker learns (requests served by both).

Everything lives in per-run namespaces, removed at the end; every wait
is bounded. Run: /usr/bin/python3 -m pytest -q tests/blackbox/test_learn_dns.py
"""

import re
import signal
import subprocess
import textwrap

import pytest

import harness
import netns
from intercept_env import (PY, STUB_DNS_PY, ORIGIN_PY, NsTproxyd,
                           client_curl, must)

TPORT = 3129
STATS = 3140
RES4, RES6 = "198.18.2.53", "2001:db8:2::53"    # trusted ("CDN") resolver
UNTRUSTED = "198.18.2.54"
ORIGINS4 = ["198.18.2.2", "198.18.2.3", "198.18.2.4"]
ORIGINS6 = ["2001:db8:2::2", "2001:db8:2::3", "2001:db8:2::4"]
ALERT = "SECURITY ALERT: Host header forgery detected"

CTL = str(harness.BUILD / "tproxyctl")


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces, TPROXY, packet sockets")


@pytest.fixture(scope="module")
def net(run_prefix, tmp_path_factory):
    topo = netns.Topology(run_prefix + "ld")
    topo.setup()
    try:
        srv = topo.srv
        for a in ORIGINS4[1:] + [RES4, UNTRUSTED]:
            must(topo, srv, ["ip", "addr", "add", a + "/24", "dev", "s0"])
        for a in ORIGINS6[1:] + [RES6]:
            must(topo, srv, ["ip", "-6", "addr", "add", a + "/64", "dev",
                             "s0", "nodad"])
        argv = [PY, ORIGIN_PY]
        for a in ORIGINS4:
            argv += ["--listen", "%s:80" % a]
        for a in ORIGINS6:
            argv += ["--listen", "[%s]:80" % a]
        p = topo.popen(srv, argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        topo.wait_listen(srv, 80, proc=p)
        for a in ORIGINS4:
            topo.wait_connect(srv, a, 80)
        start_dns(topo, ["--listen", "%s:53" % RES4,
                         "--listen", "[%s]:53" % RES6,
                         "--name", "cdn.test=198.18.2.2,2001:db8:2::2",
                         "--client",
                         "198.18.1.0/24=cdn.test=198.18.2.3,2001:db8:2::3",
                         "--client",
                         "2001:db8:1::/64=cdn.test=198.18.2.3,"
                         "2001:db8:2::3"], RES4)
        start_dns(topo, ["--listen", "%s:53" % UNTRUSTED,
                         "--name", "cdn.test=198.18.2.4"], UNTRUSTED)
        # The TPROXY rules, policy routing and sysctls, as an operator
        # sets them up.
        d = tmp_path_factory.mktemp("learn-ctl")
        conf = d / "tproxyd.conf"
        conf.write_text("http_port %d tproxy\nhttp_access allow all\n" %
                        TPORT)
        p = topo.run(topo.rtr, [CTL, "setup", "-f", conf, "--state",
                                d / "state"], timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr
        yield topo
    finally:
        topo.cleanup()


def start_dns(topo, args, addr):
    p = topo.popen(topo.srv, [PY, STUB_DNS_PY] + args,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = harness.poll(lambda: p.poll() is not None or addr in topo.run(
        topo.srv, ["ss", "-Hlun"], timeout=10).stdout, 10, interval=0.05)
    assert ok and p.poll() is None, "stub DNS on %s did not start" % addr


@pytest.fixture
def daemons(net, tmp_path):
    """Factory: daemons(extra lines, learn=True) -> a started tproxyd in
    the router namespace; all stopped (and checked) at teardown."""
    made = []

    def make(extra=(), learn=True, start=True):
        d = tmp_path / ("tproxyd%d" % len(made))
        d.mkdir()
        harness.share_with_daemon_user(d)     # -k reconfigure re-reads
        lines = ["http_port %d tproxy" % TPORT, "http_access allow all",
                 "host_verify_strict on",
                 "dns_nameservers %s %s" % (RES4, RES6),
                 "stats_port 127.0.0.1:%d" % STATS,
                 "host_verify_learn_dns %s" % ("on" if learn else "off")]
        t = NsTproxyd(net, net.rtr, d, lines + list(extra),
                      [TPORT, STATS])
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


# A DNS client (run in the client namespace): one query, the addresses
# of the answer on stdout, one a line.
RESOLVE = textwrap.dedent("""
    import random, socket, struct, sys
    server, name, qtype = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(3)
    qid = random.randrange(65536)
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\\0" + struct.pack("!HH", qtype, 1)
    s.sendto(q, (server, 53))
    r = s.recv(4096)
    assert struct.unpack("!H", r[:2])[0] == qid
    an = struct.unpack("!H", r[6:8])[0]
    i = len(q)
    for _ in range(an):
        i += 2                                   # compressed owner
        t, _c, _ttl, n = struct.unpack("!HHIH", r[i:i + 10])
        i += 10
        if t in (1, 28):
            print(socket.inet_ntop(socket.AF_INET if t == 1 else
                                   socket.AF_INET6, r[i:i + n]))
        i += n
""")


def resolve(topo, server, name="cdn.test", qtype=1):
    p = must(topo, topo.cli, [PY, "-c", RESOLVE, server, name, str(qtype)])
    return p.stdout.split()


# A forged answer: cdn.test -> ADDR, from the trusted resolver's address
# and port 53 (a transparent socket lets the client use an address that
# is not its own), to DST.
FORGE = textwrap.dedent("""
    import socket, struct, sys
    dst, addr = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, 19, 1)           # IP_TRANSPARENT
    s.bind(("%s", 53))
    m = struct.pack("!HHHHHH", 0x4242, 0x8180, 1, 1, 0, 0)
    m += b"\\x03cdn\\x04test\\x00" + struct.pack("!HH", 1, 1)
    m += struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4)
    m += socket.inet_aton(addr)
    for _ in range(3):
        s.sendto(m, (dst, 40000))
""" % RES4)


def forge(topo, dst, addr):
    must(topo, topo.cli, [PY, "-c", FORGE, dst, addr])


def request(topo, addr, host="cdn.test"):
    target = "http://%s/peer" % ("[%s]" % addr if ":" in addr else addr)
    return client_curl(topo, target, args=["-H", "Host: %s" % host])


def metrics(topo):
    p = must(topo, topo.rtr, ["curl", "-sS", "--max-time", "5",
                              "http://127.0.0.1:%d/metrics" % STATS])
    out = {}
    for ln in p.stdout.splitlines():
        m = re.match(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", ln)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def alerts(d):
    return [ln for ln in d.cache_text().splitlines() if ALERT in ln]


def expect_refused(d, r, net):
    assert r.rc == 0 and r.status == 409, r
    harness.wait_for(lambda: alerts(d), 5, "the SECURITY ALERT",
                     show=d.cache_text)


def expect_served(d, r, addr):
    assert r.rc == 0 and r.status == 200, (r, d.cache_text()[-2000:])
    seen = r.json()
    assert seen["local_addr"] == addr, seen      # the origin it reached
    assert seen["addr"] in (netns.CLI4, netns.CLI6), seen   # spoofed


# ---------------------------------------------------------------------------

def test_cdn_without_learning_is_refused(net, daemons):
    d = daemons(learn=False)
    assert resolve(net, RES4) == ["198.18.2.3"]     # the client's answer
    expect_refused(d, request(net, "198.18.2.3"), net)
    e = d.wait_access(lambda e: e["method"] == "GET")
    assert e["status"] == 409, e["raw"]


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_cdn_with_learning_is_served(net, daemons, family):
    d = daemons()
    addr = {4: "198.18.2.3", 6: "2001:db8:2::3"}[family]
    # Nothing learnt yet: tproxyd's own lookup says 198.18.2.2 only.
    expect_refused(d, request(net, addr), net)
    # The client asks its resolver (over IPv6 for the IPv6 case, so the
    # answer crosses the router as an IPv6 packet).
    got = resolve(net, RES4 if family == 4 else RES6,
                  qtype=1 if family == 4 else 28)
    assert got == [addr], got
    n = len(alerts(d))
    r = request(net, addr)
    expect_served(d, r, addr)
    assert len(alerts(d)) == n, alerts(d)
    m = metrics(net)
    assert m["tproxyd_dns_answers_learnt_total"] >= 1, m
    assert m["tproxyd_verified_by_learnt_answers_total"] == 1, m
    # The name in any case, with a trailing dot, is the same name.
    expect_served(d, request(net, addr, "CDN.test."), addr)


def test_forged_host_still_refused(net, daemons):
    d = daemons()
    assert resolve(net, RES4) == ["198.18.2.3"]
    expect_refused(d, request(net, "198.18.2.4"), net)
    assert metrics(net)["tproxyd_verified_by_learnt_answers_total"] == 0


def test_untrusted_resolver_not_learnt(net, daemons):
    d = daemons(["host_verify_trusted_resolvers %s" % RES4])
    assert resolve(net, UNTRUSTED) == ["198.18.2.4"]
    expect_refused(d, request(net, "198.18.2.4"), net)
    assert metrics(net)["tproxyd_dns_answers_learnt_total"] == 0
    # The trusted one is still learnt from.
    assert resolve(net, RES4) == ["198.18.2.3"]
    expect_served(d, request(net, "198.18.2.3"), "198.18.2.3")


UDP_PORT = 3153
UDP_RULES = ("table inet tpxudp53 {\n"
             "  chain prerouting {\n"
             "    type filter hook prerouting priority mangle; "
             "policy accept;\n"
             "    meta l4proto udp socket transparent 1 meta mark set 0x1 "
             "accept\n"
             "    meta nfproto ipv4 udp dport 53 tproxy ip to :%d "
             "meta mark set 0x1 accept\n"
             "  }\n"
             "}\n" % UDP_PORT)


def test_answers_relayed_by_udp_port_are_learnt(net, daemons):
    """DNS intercepted by tproxyd itself (udp_port ... tproxy): the query
    reaches the resolver from the client's own address (so the CDN gives
    the client's answer), tproxyd sends the answer on from the
    resolver's address, logs the flow by name, and the answer counts for
    the client's next HTTP request, as a forwarded one does."""
    d = daemons(["udp_port %d tproxy" % UDP_PORT,
                 "udp_dns_idle_timeout 1 second"], start=False)
    must(net, net.rtr, ["nft", "-f", "-"], input=UDP_RULES)
    try:
        d.start()
        expect_refused(d, request(net, "198.18.2.3"), net)
        assert resolve(net, RES4) == ["198.18.2.3"]     # the client's
        e = d.wait_access(lambda e: "UDP_" in e["raw"], timeout=8,
                          what="the DNS flow")
        assert "UDP_RELAY" in e["raw"] and "cdn.test" in e["raw"] and \
            RES4 in e["raw"], e["raw"]
        expect_served(d, request(net, "198.18.2.3"), "198.18.2.3")
        m = metrics(net)
        assert m["tproxyd_dns_answers_learnt_total"] >= 1, m
        assert m["tproxyd_udp_flows_total"] >= 1, m
    finally:
        must(net, net.rtr, ["nft", "delete", "table", "inet", "tpxudp53"])


ANTISPOOF = ("table inet tpxlearn {\n"
             "  chain prerouting {\n"
             "    type filter hook prerouting priority -300; "
             "policy accept;\n"
             "    iifname \"r0\" fib saddr . iif oif missing drop\n"
             "  }\n"
             "}\n")


def test_forged_answer_not_learnt(net, daemons):
    d = daemons()
    # To the router itself: it only arrives, it is never sent on.
    forge(net, netns.RTR_CLI4, "198.18.2.4")
    expect_refused(d, request(net, "198.18.2.4"), net)
    # Through the router, which drops it by reverse-path filtering.
    must(net, net.rtr, ["nft", "-f", "-"], input=ANTISPOOF)
    try:
        forge(net, "198.18.2.2", "198.18.2.4")
        expect_refused(d, request(net, "198.18.2.4"), net)
        assert metrics(net)["tproxyd_dns_answers_learnt_total"] == 0
    finally:
        must(net, net.rtr, ["nft", "delete", "table", "inet", "tpxlearn"])
    # Control: without that filter the router forwards the forged
    # answer (rp_filter is off for TPROXY) and it is learnt like any
    # answer it forwards. This is why the manual asks for the filter.
    forge(net, "198.18.2.2", "198.18.2.4")
    expect_served(d, request(net, "198.18.2.4"), "198.18.2.4")


def test_reconfigure(net, daemons):
    # Off at start: turning it on needs a restart, and until then
    # nothing is learnt.
    d = daemons(learn=False)
    d.conf.write_text(d.conf.read_text().replace(
        "host_verify_learn_dns off", "host_verify_learn_dns on"))
    d.kill(signal.SIGHUP)
    d.wait_cache("host_verify_learn_dns on needs a restart")
    assert resolve(net, RES4) == ["198.18.2.3"]
    expect_refused(d, request(net, "198.18.2.3"), net)
    d.stop()
    # On at start: still learning after a reconfiguration, with the new
    # trusted set; what the old set taught is forgotten.
    d = daemons()
    assert resolve(net, RES4) == ["198.18.2.3"]
    expect_served(d, request(net, "198.18.2.3"), "198.18.2.3")
    with open(d.conf, "a") as f:
        f.write("host_verify_trusted_resolvers %s %s\n" % (RES4, UNTRUSTED))
    d.kill(signal.SIGHUP)
    d.wait_cache("what was learnt before is forgotten")
    expect_refused(d, request(net, "198.18.2.3"), net)
    assert resolve(net, UNTRUSTED) == ["198.18.2.4"]
    expect_served(d, request(net, "198.18.2.4"), "198.18.2.4")


def test_workers_each_learn(net, daemons):
    d = daemons(["workers 2"])
    harness.wait_for(lambda: d.cache_text().count("Learning the DNS") >= 2,
                     10, "both workers learning", show=d.cache_text)
    assert resolve(net, RES4) == ["198.18.2.3"]
    kids = set()
    for _ in range(40):
        r = request(net, "198.18.2.3")
        expect_served(d, r, "198.18.2.3")
        m = metrics(net)
        kids = {k for k in ("1", "2") if m.get(
            'tproxyd_worker_requests_total{kid="%s"}' % k, 0) > 0}
        if kids == {"1", "2"}:
            break
    assert kids == {"1", "2"}, "one worker served every request: %s" % kids
    assert not alerts(d), alerts(d)

