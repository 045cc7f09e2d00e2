# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_cache_intercept.py - the cache on an intercepting (TPROXY) port, in
network namespaces (intercept_env.py): a response is stored under its URL
only when the request's Host was verified to name the address the client
connected to; a forged Host is never stored, so it cannot put one site's
content under another's name for every client (CVE-2009-0801).
Spoofed connections (tproxy) and unspoofed ones share the cache.

Run as root: /usr/bin/python3 -m pytest -q tests/blackbox/test_cache_intercept.py
"""

import pytest

import harness
from intercept_env import (FAM, TPROXY_PORT, daemons, env, install_tproxy,  # noqa: F401
                           net, url, client_curl)


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces, nft TPROXY rules")


BASE = ["http_port %d tproxy" % TPROXY_PORT, "http_access allow all",
        "cache_mem 16 MB"]
PATH = "/cacheable/5000"


def fetches(env):
    return len([r for r in env.origin.records() if r["path"] == PATH])


def codes(d):
    return [(e["code"], e["status"]) for e in d.access_entries()
            if e and e["method"] == "GET"]


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_verified_host_is_stored_forged_host_never(env, daemons, family):
    f = FAM[family]
    install_tproxy(env.topo, "nft")
    d = daemons(BASE)
    forged = ["-H", "Host: %s" % {4: "198.18.2.99",
                                  6: "[2001:db8:2::99]"}[family]]
    for _ in range(2):
        r = client_curl(env.topo, url(family, PATH), args=forged)
        assert r.rc == 0 and r.status == 200, r
    assert fetches(env) == 2, "a forged Host was answered from the cache"
    for _ in range(2):
        r = client_curl(env.topo, url(family, PATH))
        assert r.rc == 0 and r.status == 200, r
    assert fetches(env) == 3, "a verified Host was not stored"
    d.wait_access(lambda e: len(codes(d)) >= 4 or None)
    cs = codes(d)
    assert cs == [("TCP_MISS", 200)] * 3 + [("TCP_MEM_HIT", 200)], cs
    # The origin's fetch was spoofed: the stored response came from a
    # connection made from the client's address.
    recs = [r for r in env.origin.records() if r["path"] == PATH]
    assert recs[-1]["peer"][0] == f["cli"], recs[-1]


def test_unspoofed_and_spoofed_share_the_cache(env, daemons):
    """A response fetched without spoofing (spoof_client_ip denied this
    request) is a hit for a request that would have been spoofed: the
    cache does not depend on the source address."""
    install_tproxy(env.topo, "nft")
    d = daemons(BASE + ["acl nospoof req_header X-No-Spoof .",
                        "spoof_client_ip deny nospoof"])
    r = client_curl(env.topo, url(4, PATH), args=["-H", "X-No-Spoof: 1"])
    assert r.rc == 0 and r.status == 200
    recs = [x for x in env.origin.records() if x["path"] == PATH]
    assert recs[-1]["peer"][0] == FAM[4]["rtr_srv"], recs[-1]
    r = client_curl(env.topo, url(4, PATH))
    assert r.rc == 0 and r.status == 200
    assert fetches(env) == 1
    d.wait_access(lambda e: e["code"] == "TCP_MEM_HIT")
