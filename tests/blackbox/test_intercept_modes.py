# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_intercept_modes.py - NAT interception and a parent peer behind a
TPROXY router (issue 4), on the topology of test_intercept.py.

  5. `http_port 3130 intercept` + REDIRECT (nft or iptables, IPv4 and
     IPv6): served, access.log ORIGINAL_DST/<server>, and the origin sees
     the router's address (NAT mode does not spoof).
  6. `cache_peer 198.18.2.2 parent 3128 0` + `never_direct allow all` on
     the TPROXY router, a plain forward tproxyd as the parent in the
     server namespace: the router logs FIRSTUP_PARENT/198.18.2.2, the
     parent logs the client's address (spoofed toward the parent); with
     `no-tproxy` the parent logs the router's address.

Run with: /usr/bin/python3 -m pytest -q tests/blackbox/test_intercept_modes.py
(as root).
"""

import pytest

import harness

from intercept_env import (FAM, NAT_PORT, PARENT_PORT, SRV4,  # noqa: F401
                           TPROXY_PORT, client_curl, daemons, env,
                           install_nat, install_tproxy, net, url)


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces, nft/iptables NAT and TPROXY "
                         "rules")


# ---------------------------------------------------------------------------
# 5. NAT interception (REDIRECT)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("backend", ["nft", "iptables"])
def test_nat_intercept(env, daemons, backend, family):
    f = FAM[family]
    install_nat(env.topo, backend, families=(family,))
    d = daemons(["http_port %d intercept" % NAT_PORT,
                 "http_access allow all"], ports=(NAT_PORT,))
    r = client_curl(env.topo, url(family, "/peer"))
    assert r.rc == 0 and r.status == 200, r
    assert r.json()["addr"] == f["rtr_srv"], (
        "NAT interception does not spoof: the origin must see the "
        "router's %s, saw %r" % (f["rtr_srv"], r.json()))
    recs = env.origin.records()
    assert [(x["path"], x["peer"][0]) for x in recs] == [
        ("/peer", f["rtr_srv"])], recs
    e = d.wait_access(lambda e: e["url"] == url(family, "/peer"),
                      what=url(family, "/peer"))
    assert (e["hier"], e["peer"]) == ("ORIGINAL_DST", f["srv"]), e["raw"]
    assert e["client"] == f["cli"] and e["status"] == 200, e["raw"]


def test_nat_intercept_direct_to_port_refused(env, daemons):
    """The loop guard on an intercept port: a request sent straight to
    it (no NAT entry) is refused, not forwarded to ourselves."""
    install_nat(env.topo, "nft")
    d = daemons(["http_port %d intercept" % NAT_PORT,
                 "http_access allow all"], ports=(NAT_PORT,))
    r = client_curl(env.topo, "http://%s:%d/" % (FAM[4]["rtr_cli"],
                                                 NAT_PORT))
    assert r.rc == 0 and r.status == 403, r
    assert env.origin.records() == []
    d.wait_cache("not intercepted")


# ---------------------------------------------------------------------------
# 6. Parent peer
# ---------------------------------------------------------------------------

def start_parent(env, daemons):
    # Its own visible_hostname: two proxies with the same name in Via
    # are a forwarding loop (Squid's rule, and tproxyd's).
    return daemons(["http_port %s:%d" % (SRV4, PARENT_PORT),
                    "http_access allow all",
                    "visible_hostname parent.tpx-test.example"],
                   ports=(PARENT_PORT,),
                   ns=env.topo.srv, name="parent")


@pytest.mark.parametrize("no_tproxy", [False, True],
                         ids=["spoofed", "no_tproxy"])
def test_parent_peer(env, daemons, no_tproxy):
    f = FAM[4]
    install_tproxy(env.topo, "nft")
    parent = start_parent(env, daemons)
    rtr = daemons(["http_port %d tproxy" % TPROXY_PORT,
                   "http_access allow all",
                   "cache_peer %s parent %d 0%s" % (
                       SRV4, PARENT_PORT, " no-tproxy" if no_tproxy else ""),
                   "never_direct allow all"], name="router")
    r = client_curl(env.topo, url(4, "/peer"))
    assert r.rc == 0 and r.status == 200, r
    # The origin's peer is the parent (in the server namespace itself).
    assert r.json()["addr"] == SRV4, r.json()
    e = rtr.wait_access(lambda e: e["url"] == url(4, "/peer"))
    assert (e["hier"], e["peer"]) == ("FIRSTUP_PARENT", SRV4), e["raw"]
    assert e["client"] == f["cli"], e["raw"]
    p = parent.wait_access(lambda e: e["url"] == url(4, "/peer"))
    want = f["rtr_srv"] if no_tproxy else f["cli"]
    assert p["client"] == want, (
        "the parent must see %s as the client (%s), its log says:\n%s" % (
            want, "no-tproxy" if no_tproxy else "spoofed toward the parent",
            p["raw"]))
    assert p["status"] == 200 and p["hier"] == "HIER_DIRECT", p["raw"]
