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
    """The UDP echo origin on port 5000 of the server (both families)."""
    p = net.topo.popen(net.topo.srv, [PY, UDP_TOOL, "echo", "--port",
                                      str(ECHO_PORT)],
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
    out = send(env, family, count=2, replies=2)
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
