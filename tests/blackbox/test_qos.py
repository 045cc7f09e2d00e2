# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_qos.py - marking the proxy's packets (tcp_outgoing_tos,
tcp_outgoing_mark, clientside_tos, clientside_mark), the case Squid's
TPROXY v4 guide calls "Timeouts with Squid not running in the router
directly": a spoofed connection carries the client's address, so the
router must tell the proxy's traffic apart by something else, the TOS
set by tcp_outgoing_tos; the netfilter mark serves the proxy box's own
rules and policy routing.

On the topology of test_intercept.py (client, router running tproxyd,
server), tproxyd started as root (it drops to user proxy), and nft
counters, never the daemon's word:

  - TOS: counted where the packets arrive, in the server namespace (server
    connection, by DSCP = TOS >> 2) and in the client namespace (client
    connection, clientside_tos);
  - mark: it never leaves the box, so counted in the proxy's own
    namespace, on the output hook (`meta mark`).

Cases:
  1. Spoofed server connections (tproxy port), both families: the first
     matching tcp_outgoing_tos / tcp_outgoing_mark line marks every packet
     of the request's server connection; a request matching another line
     gets that line's values, also when it reuses the pooled connection.
  2. Not spoofed (a forward-proxy port): the same marks.
  3. clientside_tos and clientside_mark on the intercepted client
     connection.
  4. Started as nobody without capabilities and tcp_outgoing_mark: refuses
     to start, naming SO_MARK and the capability (never runs unmarked).
  5. A proxy box behind the router (a fourth namespace): `tproxyctl setup
     --behind-router` sets up the box and prints the router's rules, which
     are run in the router namespace as printed; interception with
     spoofing then works on both families. Control: the same without
     tcp_outgoing_tos in tproxyd.conf, and the proxy's connections never
     reach the server.

Run with: /usr/bin/python3 -m pytest -q tests/blackbox/test_qos.py (root).
"""

import itertools
import json
import os
import pwd
import tempfile

import pytest

import harness
import netns

from intercept_env import (FAM, RTR_CLI4, SRV4, TPROXY_PORT,  # noqa: F401
                           NsOrigin, NsTproxyd, client_curl, daemons, env,
                           install_tproxy, must, net, url)


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces, nft counters, capabilities")


FWD_PORT = 3128
CAP_NET_RAW = 13

# Two classes of request, told apart by the URL's query: the first line
# that matches wins (the second line would match everything). The logs
# keep the query (strip_query_terms off) so that each line can be found.
QOS = ["strip_query_terms off",
       "acl gold url_regex gold",
       "tcp_outgoing_tos 0x20 gold",
       "tcp_outgoing_tos 0x48 all",
       "tcp_outgoing_mark 0x2a gold",
       "tcp_outgoing_mark 0x2b all"]


def counters_table(name, hook, rules):
    """An inet table `name` with named counters, one per (counter name,
    match expression) in rules, on the given hook."""
    lines = ["table inet %s {" % name]
    for cname, _ in rules:
        lines.append("  counter %s { }" % cname)
    lines += ["  chain c {",
              "    type filter hook %s priority -300; policy accept;" % hook]
    for cname, match in rules:
        lines.append("    %s counter name %s" % (match, cname))
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


class Counters:
    def __init__(self, topo, ns, name, hook, rules):
        self.topo, self.ns, self.name = topo, ns, name
        must(topo, ns, ["nft", "-f", "-"],
             input=counters_table(name, hook, rules))

    def get(self, cname):
        p = must(self.topo, self.ns, ["nft", "-j", "list", "counter",
                                      "inet", self.name, cname])
        for item in json.loads(p.stdout)["nftables"]:
            if "counter" in item:
                return item["counter"]["packets"]
        raise AssertionError("no counter %s in %s" % (cname, p.stdout))

    def all(self, names):
        return {n: self.get(n) for n in names}

    def remove(self):
        self.topo.run(self.ns, ["nft", "delete", "table", "inet",
                                self.name], timeout=10)


@pytest.fixture
def counters(env):
    made = []

    def make(ns, hook, rules):
        c = Counters(env.topo, ns, "tpxq%d" % len(made), hook, rules)
        made.append(c)
        return c
    yield make
    for c in made:
        c.remove()


def server_rules(dport):
    """Packets arriving at the server for port dport, by DSCP per family,
    and a total."""
    return [("v4_cs1", "ip dscp 0x08 tcp dport %d" % dport),
            ("v4_af21", "ip dscp 0x12 tcp dport %d" % dport),
            ("v6_cs1", "ip6 dscp 0x08 tcp dport %d" % dport),
            ("v6_af21", "ip6 dscp 0x12 tcp dport %d" % dport),
            ("any", "tcp dport %d" % dport)]


def mark_rules(dport):
    """Packets the proxy box sends to port dport, by mark."""
    return [("m2a", "meta mark 0x2a tcp dport %d" % dport),
            ("m2b", "meta mark 0x2b tcp dport %d" % dport),
            ("any", "tcp dport %d" % dport)]


def delta(before, after):
    return {k: after[k] - before[k] for k in after}


@pytest.mark.parametrize("family", [4, 6])
def test_spoofed_server_connection_marked_first_match(env, daemons,
                                                      counters, family):
    install_tproxy(env.topo, "nft", families=(family,))
    d = daemons(["http_port %d tproxy" % TPROXY_PORT,
                 "http_access allow all"] + QOS)
    tos = counters(env.topo.srv, "input", server_rules(80))
    mark = counters(env.topo.rtr, "output", mark_rules(80))
    v = "v%d_" % family
    names = [v + "cs1", v + "af21", "any"]

    b_tos, b_mark = tos.all(names), mark.all(["m2a", "m2b", "any"])
    r = client_curl(env.topo, url(family, "/peer?gold"))
    assert r.rc == 0 and r.status == 200, r
    assert r.json()["addr"] == FAM[family]["cli"], "not spoofed: %r" % r
    t, m = delta(b_tos, tos.all(names)), delta(b_mark,
                                               mark.all(["m2a", "m2b",
                                                         "any"]))
    # Every packet to the server carried TOS 0x20 (DSCP CS1) and mark
    # 0x2a, from the SYN on; none the other line's values.
    assert t["any"] >= 3 and t[v + "cs1"] == t["any"], t
    assert t[v + "af21"] == 0, t
    assert m["any"] >= 3 and m["m2a"] == m["any"] and m["m2b"] == 0, m

    # Another request: the second line. It reuses the pooled server
    # connection (same spoofed source, same server), which must be
    # re-marked: without that this part fails.
    b_tos, b_mark = tos.all(names), mark.all(["m2a", "m2b", "any"])
    r = client_curl(env.topo, url(family, "/peer?plain"))
    assert r.rc == 0 and r.status == 200, r
    t, m = delta(b_tos, tos.all(names)), delta(b_mark,
                                               mark.all(["m2a", "m2b",
                                                         "any"]))
    assert t["any"] >= 1 and t[v + "af21"] == t["any"], t
    assert t[v + "cs1"] == 0, t
    assert m["any"] >= 1 and m["m2b"] == m["any"] and m["m2a"] == 0, m
    e = d.wait_access(lambda e: e["url"] == url(family, "/peer?plain"))
    assert e["hier"] == "ORIGINAL_DST", e["raw"]


def test_forward_proxy_server_connection_marked(env, daemons, counters):
    d = daemons(["http_port %d" % FWD_PORT, "http_access allow all"] + QOS,
                ports=(FWD_PORT,))
    tos = counters(env.topo.srv, "input", server_rules(80))
    mark = counters(env.topo.rtr, "output", mark_rules(80))
    names = ["v4_cs1", "v4_af21", "any"]
    b_tos, b_mark = tos.all(names), mark.all(["m2a", "m2b", "any"])
    # client_curl() forbids proxies (--noproxy '*'): curl by hand.
    p = must(env.topo, env.topo.cli, [
        "curl", "-sS", "--max-time", "10", "--proxy",
        "http://%s:%d" % (RTR_CLI4, FWD_PORT),
        "http://%s/peer?gold" % SRV4], timeout=20)
    # Not spoofed: the server sees the proxy's own address.
    assert json.loads(p.stdout)["addr"] == FAM[4]["rtr_srv"], p.stdout
    t = delta(b_tos, tos.all(names))
    m = delta(b_mark, mark.all(["m2a", "m2b", "any"]))
    assert t["any"] >= 3 and t["v4_cs1"] == t["any"], t
    assert m["any"] >= 3 and m["m2a"] == m["any"], m
    d.wait_access(lambda e: e["url"] == "http://%s/peer?gold" % SRV4)


@pytest.mark.parametrize("family", [4, 6])
def test_clientside_tos_and_mark(env, daemons, counters, family):
    install_tproxy(env.topo, "nft", families=(family,))
    daemons(["http_port %d tproxy" % TPROXY_PORT, "http_access allow all",
             "acl gold url_regex gold",
             "clientside_tos 0xb8 gold",
             "clientside_mark 0x2a gold"])
    ip = "ip" if family == 4 else "ip6"
    # At the client: replies from "the server's" port 80, by DSCP (EF =
    # 0x2e, TOS 0xb8).
    tos = counters(env.topo.cli, "input",
                   [("ef", "%s dscp 0x2e tcp sport 80" % ip),
                    ("any", "tcp sport 80")])
    mark = counters(env.topo.rtr, "output",
                    [("m2a", "meta mark 0x2a tcp sport 80"),
                     ("any", "tcp sport 80")])
    b_tos, b_mark = tos.all(["ef", "any"]), mark.all(["m2a", "any"])
    r = client_curl(env.topo, url(family, "/peer?plain"))
    assert r.rc == 0 and r.status == 200, r
    t = delta(b_tos, tos.all(["ef", "any"]))
    m = delta(b_mark, mark.all(["m2a", "any"]))
    assert t["any"] >= 2 and t["ef"] == 0, t      # control: no line matched
    assert m["any"] >= 2 and m["m2a"] == 0, m

    b_tos, b_mark = tos.all(["ef", "any"]), mark.all(["m2a", "any"])
    r = client_curl(env.topo, url(family, "/peer?gold"))
    assert r.rc == 0 and r.status == 200, r
    t = delta(b_tos, tos.all(["ef", "any"]))
    m = delta(b_mark, mark.all(["m2a", "any"]))
    # Marked from the access decision on: the response and the close;
    # the handshake came before the request was read.
    assert t["ef"] >= 2, t
    assert m["m2a"] >= 2, m


def test_mark_after_privilege_drop_keeps_one_capability(env, daemons):
    d = daemons(["http_port %d" % FWD_PORT, "http_access allow all",
                 "tcp_outgoing_mark 0x2a all"], ports=(FWD_PORT,))
    st = {}
    with open("/proc/%d/status" % d.pid()) as f:
        for line in f:
            k, _, val = line.partition(":")
            st[k] = val.strip()
    proxy = pwd.getpwnam("proxy")
    assert [int(x) for x in st["Uid"].split()] == [proxy.pw_uid] * 4, st
    # This kernel (>= 5.17) takes CAP_NET_RAW for SO_MARK: that alone.
    assert int(st["CapEff"], 16) == 1 << CAP_NET_RAW, st["CapEff"]
    assert int(st["CapPrm"], 16) == 1 << CAP_NET_RAW, st["CapPrm"]
    assert "kept for SO_MARK" in d.cache_text()


def test_mark_without_capability_refuses_to_start(env, daemons):
    dr = tempfile.mkdtemp(prefix="tpx-nomark-")
    os.chmod(dr, 0o777)
    t = daemons(["http_port %d" % FWD_PORT, "http_access allow all",
                 "tcp_outgoing_mark 0x2a all"], ports=(FWD_PORT,),
                start=False, dir=dr,
                wrap=["setpriv", "--reuid=nobody", "--regid=nogroup",
                      "--clear-groups", "--inh-caps=-all",
                      "--bounding-set=-all", "--"])
    rc = t.run_to_exit(timeout=10)
    assert rc != 0, rc
    err = t.stderr_text()
    assert "SO_MARK" in err and "CAP_NET_RAW" in err, err
    assert "unmarked" in err, err


# ---------------------------------------------------------------------------
# A proxy box BEHIND the router: `tproxyctl setup --behind-router`
# ---------------------------------------------------------------------------

BOX4, BOX_RTR4 = "198.18.3.2", "198.18.3.1"
BOX6, BOX_RTR6 = "2001:db8:3::2", "2001:db8:3::1"


class BehindRouterTopology(netns.Topology):
    """netns.Topology plus a fourth namespace, the proxy box, on its own
    router interface r2 (198.18.3.0/24, 2001:db8:3::/64):

        cli --r0-- rtr --r1-- srv        (r1: the router's Internet side)
                    |
                    r2
                    |
                   box  tproxyd, set up by tproxyctl

    The router runs no proxy: it only applies the rules tproxyctl printed.
    """

    def __init__(self, prefix):
        super().__init__(prefix)
        self.box = self.prefix + "-box"
        self.namespaces.append(self.box)

    def _setup(self):
        super()._setup()
        self._ip("-n", self.box, "link", "add", "b0", "type", "veth",
                 "peer", "name", "r2", "netns", self.rtr)
        for ns, dev, a4, a6 in [(self.rtr, "r2", BOX_RTR4, BOX_RTR6),
                                (self.box, "b0", BOX4, BOX6)]:
            self._ip("-n", ns, "addr", "add", a4 + "/24", "dev", dev)
            self._ip("-n", ns, "-6", "addr", "add", a6 + "/64", "dev", dev,
                     "nodad")
            self._ip("-n", ns, "link", "set", dev, "up")
        self._ip("-n", self.box, "route", "add", "default", "via", BOX_RTR4)
        self._ip("-n", self.box, "-6", "route", "add", "default", "via",
                 BOX_RTR6)
        # The proxy's packets carry the clients' addresses but arrive
        # on r2: no reverse-path filter on the router.
        for dev in ("all", "default", "r0", "r1", "r2"):
            self.sysctl(self.rtr, "net.ipv4.conf.%s.rp_filter" % dev, "0")


_behind_seq = itertools.count()


@pytest.fixture
def behind(run_prefix, tmp_path):
    topo = BehindRouterTopology("%sb%d" % (run_prefix, next(_behind_seq)))
    topo.setup()
    try:
        origin = NsOrigin(topo)
        yield topo, origin
    finally:
        topo.cleanup()


def box_tproxyd(topo, d, lines):
    # The control leaves connections hanging in connect: bounded.
    t = NsTproxyd(topo, topo.box, d, ["http_port %d tproxy" % TPROXY_PORT,
                                      "http_access allow all",
                                      "connect_timeout 3 seconds",
                                      "shutdown_lifetime 1 seconds",
                                      "strip_query_terms off"] + lines,
                  (TPROXY_PORT,))
    t.start()
    return t


def router_part(text):
    """The part of tproxyctl's output meant for the router."""
    i = text.find("# ---- On the ROUTER")
    assert i >= 0, "no router rules printed:\n" + text
    return text[i:]


@pytest.mark.parametrize("with_tos", [True, False])
def test_behind_router_setup(behind, tmp_path, with_tos):
    topo, origin = behind
    conf = tmp_path / "box.conf"
    lines = ["tcp_outgoing_tos 0x20 all"] if with_tos else []
    conf.write_text("\n".join(["http_port %d tproxy" % TPROXY_PORT,
                               "http_access allow all"] + lines) + "\n")
    ctl = str(harness.BUILD / "tproxyctl")
    args = [ctl, "setup", "-f", str(conf), "--state",
            str(tmp_path / "state"), "--behind-router", BOX4, BOX6,
            "--router-wan", "r1"]
    if not with_tos:
        # The router rules can still be printed (the TOS given by hand),
        # but tproxyd does not set it: the control.
        args += ["--tos", "0x20"]
    p = must(topo, topo.box, args, timeout=60)
    must(topo, topo.rtr, ["sh", "-e"], input=router_part(p.stdout))
    d = box_tproxyd(topo, tmp_path / "tproxyd", lines)
    try:
        for family in (4, 6):
            origin.clear()
            r = client_curl(topo, url(family, "/peer?f%d" % family),
                            max_time=5)
            if not with_tos:
                # The proxy's own connection is routed back to the box
                # (it carries the client's address): it never reaches the
                # server, so the request fails.
                assert r.status != 200, r
                assert origin.records() == [], origin.records()
                continue
            assert r.rc == 0 and r.status == 200, (r, d.diagnostics())
            # Spoofed, through the box (its access.log), to the server.
            assert r.json()["addr"] == FAM[family]["cli"], r.json()
            e = d.wait_access(lambda e: e["url"] == url(
                family, "/peer?f%d" % family))
            assert e["hier"] == "ORIGINAL_DST", e["raw"]
    finally:
        problems = d.stop()
    assert not problems, problems
