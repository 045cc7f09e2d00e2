# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_netns.py - proves the namespace harness (tests/netns/netns.py) itself,
without tproxyd: the client reaches the server's origin through the router
over IPv4 and IPv6, the origin sees the client's own address (routing, no
NAT), the router really is on the path, and cleanup leaves nothing behind.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import netns

ORIGIN = str(Path(__file__).resolve().parent / "origin.py")
PY = "/usr/bin/python3"
PORT = 8080


def start_origin(t):
    p = t.popen(t.srv, [PY, ORIGIN, "--listen", "%s:%d" % (netns.SRV4, PORT),
                        "--listen", "[%s]:%d" % (netns.SRV6, PORT)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t.wait_listen(t.srv, PORT, proc=p)
    return p


def ns_curl(t, ns, url, max_time=5):
    return t.run(ns, ["curl", "-sS", "--noproxy", "*", "--max-time",
                      str(max_time), url], timeout=max_time + 10)


@pytest.mark.parametrize("family,srv,cli", [
    ("ipv4", netns.SRV4, netns.CLI4),
    ("ipv6", "[%s]" % netns.SRV6, netns.CLI6),
])
def test_client_reaches_origin_via_router(topology, family, srv, cli):
    start_origin(topology)
    p = ns_curl(topology, topology.cli, "http://%s:%d/peer" % (srv, PORT))
    assert p.returncode == 0, p.stderr
    seen = json.loads(p.stdout)
    assert seen["addr"] == cli, seen          # routed, not NATed
    assert seen["local_port"] == PORT
    # The origin's record of it, fetched the way tests in namespaces do.
    p = ns_curl(topology, topology.srv,
                "http://%s:%d/__records" % (srv, PORT))
    assert p.returncode == 0, p.stderr
    recs = json.loads(p.stdout)
    assert [r["peer"][0] for r in recs] == [cli], recs
    assert recs[0]["method"] == "GET" and recs[0]["path"] == "/peer"


def test_router_is_on_the_path(topology):
    """With forwarding off in the router the client cannot reach the server:
    the only path is through the router."""
    start_origin(topology)
    url = "http://%s:%d/" % (netns.SRV4, PORT)
    assert ns_curl(topology, topology.cli, url).returncode == 0
    topology.sysctl(topology.rtr, "net.ipv4.ip_forward", "0")
    p = ns_curl(topology, topology.cli, url, max_time=2)
    assert p.returncode != 0, "reached the server with forwarding off"
    topology.sysctl(topology.rtr, "net.ipv4.ip_forward", "1")
    assert ns_curl(topology, topology.cli, url).returncode == 0


def test_server_ns_cannot_see_loopback_of_host(topology):
    """Namespaces are isolated: the host's listening ports are not there."""
    p = topology.run(topology.srv, ["ss", "-Hltn"])
    assert p.returncode == 0 and p.stdout.strip() == "", p.stdout


def test_cleanup_removes_everything(run_prefix):
    prefix = run_prefix + "c"
    t = netns.Topology(prefix)
    with t:
        names = [ns for ns in netns.list_netns() if ns.startswith(prefix)]
        assert sorted(names) == sorted(t.namespaces)
        sleeper = t.popen(t.srv, ["sleep", "300"])
        assert sleeper.poll() is None
    assert [ns for ns in netns.list_netns() if ns.startswith(prefix)] == []
    assert sleeper.poll() is not None, "process in the namespace survived"
    t.cleanup()     # idempotent
    assert [ns for ns in netns.list_netns() if ns.startswith(prefix)] == []


def test_cleanup_on_error(run_prefix):
    prefix = run_prefix + "e"
    with pytest.raises(RuntimeError):
        with netns.Topology(prefix):
            raise RuntimeError("test body failed")
    assert [ns for ns in netns.list_netns() if ns.startswith(prefix)] == []


def test_cleanup_prefix_refuses_foreign_prefix():
    with pytest.raises(AssertionError):
        netns.cleanup_prefix("")
    assert sys.modules["netns"] is netns
