# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_srcdomain.py - srcdomain and srcdom_regex acls: tproxyd looks the
client's address up in reverse DNS (PTR) before http_access decides, on
the topology of test_intercept.py.

tproxyd runs as a forward proxy in the router namespace (http_port 3131 on
every address) with `dns_nameservers 127.0.0.1`, the stub DNS there, which
answers the client's IPv4 address (198.18.1.2) with PC1.Clients.Test and
its IPv6 address (2001:db8:1::2) with NXDOMAIN, whose name is then "none"
(as in Squid). curl in the client namespace asks through the proxy for
the origin in the server namespace, once from each address: the acl must
deny exactly the client it names, and let the other through to the origin.

Run with: /usr/bin/python3 -m pytest -q tests/blackbox/test_srcdomain.py
(as root).
"""

import os
import tempfile

import pytest

import harness

from intercept_env import (CLI4, CLI6, FAM, SRV4, CurlOut,  # noqa: F401
                           daemons, env, net)

PORT = 3131

# (acl line, which client it denies: 4 or 6)
CASES = [
    ("acl x srcdomain .clients.test", 4),
    ("acl x srcdomain pc1.clients.test", 4),
    ("acl x srcdomain .CLIENTS.test.", 4),
    ("acl x srcdom_regex ^pc[0-9]+\\.clients\\.test$", 4),
    ("acl x srcdom_regex -i PC1\\.CLIENTS", 4),
    ("acl x srcdomain none", 6),
    ("acl x srcdom_regex ^none$", 6),
]


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces")


def proxy_curl(env, family, path):
    """curl in the client namespace from its IPv4 or IPv6 address, through
    the proxy on the router's address of that family."""
    rtr = FAM[family]["rtr_cli"]
    proxy = "http://%s:%d" % (rtr if family == 4 else "[%s]" % rtr, PORT)
    with tempfile.TemporaryDirectory(prefix="tpx-srcdom-") as d:
        body, hdr = os.path.join(d, "body"), os.path.join(d, "head")
        p = env.topo.run(env.topo.cli, [
            "curl", "-sS", "--max-time", "10", "-o", body, "-D", hdr,
            "-x", proxy, "http://%s%s" % (SRV4, path)], timeout=20)
        return CurlOut(p, body, hdr)


@pytest.mark.parametrize("acl,denied", CASES, ids=[c[0] for c in CASES])
def test_srcdomain(env, daemons, acl, denied):
    t = daemons(["http_port %d" % PORT, acl, "http_access deny x",
                 "http_access allow all"], ports=(PORT,))
    for family in (4, 6):
        path = "/srcdom-%d" % family
        r = proxy_curl(env, family, path)
        assert r.rc == 0, r
        cli = FAM[family]["cli"]
        e = t.wait_access(lambda e: e["url"].endswith(path))
        assert e["client"] == cli, e["raw"]
        seen = [x for x in env.origin.records()
                if x.get("path", "").endswith(path)]
        if family == denied:
            assert r.status == 403, (acl, family, r)
            assert e["code"].startswith("TCP_DENIED"), e["raw"]
            assert not seen, "a denied request reached the origin: %r" % (
                seen,)
        else:
            assert r.status == 200, (acl, family, r, t.cache_text())
            assert seen, "the allowed request did not reach the origin"


def test_srcdomain_allow_only_named(env, daemons):
    """An allow rule on a name: the client with another name ("none")
    falls to the deny."""
    t = daemons(["http_port %d" % PORT, "acl x srcdomain .clients.test",
                 "http_access allow x", "http_access deny all"],
                ports=(PORT,))
    assert proxy_curl(env, 4, "/a4").status == 200
    assert proxy_curl(env, 6, "/a6").status == 403
    # Again from the cache of reverse answers: the same verdicts.
    assert proxy_curl(env, 4, "/b4").status == 200
    assert proxy_curl(env, 6, "/b6").status == 403
    ok = harness.poll(lambda: len(t.access_lines()) == 4, 5)
    assert ok, t.access_lines()
    codes = [e["code"] for e in t.access_entries()]
    assert codes == ["TCP_MISS", "TCP_DENIED"] * 2, codes
