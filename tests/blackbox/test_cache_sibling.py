# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_cache_sibling.py - sibling caches end to end, with the daemons: the
cluster of Squid's TPROXY guide ("cache_peer HOST sibling HTTP_PORT
ICP_PORT"), tproxyd with tproxyd and tproxyd with a real Squid 5.7.

On a miss tproxyd asks its siblings (ICP, or HTCP with the htcp option);
the one that has the object is fetched from (access.log SIBLING_HIT, the
sibling sees "Cache-Control: only-if-cached" and answers from its cache:
the origin is not asked again); a miss everywhere, or no answer within
icp_query_timeout, goes direct. And the other way: Squid asks tproxyd.

Squid ignores ICP datagrams from its own address: it is given
127.0.0.2 (udp_incoming_address and a second http_port) in these tests.
"""

import socket
import time

import pytest

import harness
from cache_origin import CacheOrigin
from harness import free_port
from test_sibling import SQUID, Squid  # noqa: F401 (skip without Squid)
import test_sibling

pytestmark = test_sibling.pytestmark

FRESH = [("Cache-Control", "max-age=3600")]


def udp_port():
    return test_sibling.free_port(socket.SOCK_DGRAM)


@pytest.fixture
def corigin():
    o = CacheOrigin().start()
    yield o
    o.stop()


@pytest.fixture
def squids():
    started = []

    def start(extra=()):
        s = Squid(list(extra))
        started.append(s)
        return s
    yield start
    for s in started:
        s.stop()


def get(p, url, args=()):
    return harness.curl(p.port, url, args=list(args), max_time=10)


def entries(p, url):
    return [e for e in p.access_entries() if e and e["url"] == url]


@pytest.mark.parametrize("proto", ["icp", "htcp"])
def test_two_tproxyd_caches(tproxyd, corigin, proto):
    """B holds the object; A's miss asks B and fetches from it."""
    corigin.set("/s", body=b"shared" * 1000, headers=FRESH)
    b_icp, b_http = udp_port(), free_port("127.0.0.2")
    port_line = ("icp_port %d" if proto == "icp" else "htcp_port %d") % b_icp
    access = "icp_access" if proto == "icp" else "htcp_access"
    b = tproxyd(["http_port 127.0.0.2:%d" % b_http, "cache_mem 8 MB",
                 "visible_hostname sibling-b.example",
                 port_line, "acl lo src 127.0.0.0/8",
                 "%s allow lo" % access, "http_access allow lo"],
                port=b_http)
    a = tproxyd(["cache_mem 8 MB",
                 "cache_peer 127.0.0.2 sibling %d %d %s name=b" % (
                     b_http, b_icp, "htcp" if proto == "htcp" else ""),
                 "icp_query_timeout 2000"])
    assert harness.curl(b_http, corigin.url("/s"),
                        proxy_host="127.0.0.2").status == 200
    assert corigin.count("/s") == 1
    r = get(a, corigin.url("/s"))
    assert r.status == 200 and r.body == b"shared" * 1000
    assert corigin.count("/s") == 1, "the origin was asked again"
    e = a.wait_access(lambda e: e["url"] == corigin.url("/s"))
    assert (e["code"], e["hier"], e["peer"]) == (
        "TCP_MISS", "SIBLING_HIT", "127.0.0.2"), e["raw"]
    # B answered the query and then the request, from its cache.
    method = "ICP_QUERY" if proto == "icp" else "HTCP_TST"
    b.wait_access(lambda e: e["method"] == method and
                  e["code"] == "UDP_HIT")
    b.wait_access(lambda e: e["url"] == corigin.url("/s") and
                  e["code"] == "TCP_MEM_HIT")
    # A stored what B sent: a hit of its own next time.
    get(a, corigin.url("/s"))
    a.wait_access(lambda e: e["code"] == "TCP_MEM_HIT")


def test_sibling_miss_goes_direct(tproxyd, corigin):
    corigin.set("/m", body=b"m", headers=FRESH)
    b_icp, b_http = udp_port(), free_port("127.0.0.2")
    b = tproxyd(["http_port 127.0.0.2:%d" % b_http, "cache_mem 8 MB",
                 "visible_hostname sibling-b.example",
                 "icp_port %d" % b_icp, "acl lo src 127.0.0.0/8",
                 "icp_access allow lo", "http_access allow lo"],
                port=b_http)
    a = tproxyd(["cache_mem 8 MB",
                 "cache_peer 127.0.0.2 sibling %d %d" % (b_http, b_icp),
                 "icp_query_timeout 2000"])
    t0 = time.monotonic()
    r = get(a, corigin.url("/m"))
    assert r.status == 200 and r.body == b"m"
    assert time.monotonic() - t0 < 1.5, "waited for a timeout"
    e = a.wait_access(lambda e: e["url"] == corigin.url("/m"))
    assert e["hier"] == "HIER_DIRECT", e["raw"]
    b.wait_access(lambda e: e["method"] == "ICP_QUERY" and
                  e["code"] == "UDP_MISS")
    assert corigin.count("/m") == 1


def test_silent_sibling_times_out(tproxyd, corigin):
    corigin.set("/t", body=b"t", headers=FRESH)
    a = tproxyd(["cache_mem 8 MB",
                 "cache_peer 127.0.0.2 sibling %d %d" % (
                     free_port("127.0.0.2"), udp_port()),
                 "icp_query_timeout 300"])
    t0 = time.monotonic()
    r = get(a, corigin.url("/t"))
    took = time.monotonic() - t0
    assert r.status == 200 and r.body == b"t"
    assert 0.25 <= took < 2.0, took
    e = a.wait_access(lambda e: e["url"] == corigin.url("/t"))
    assert e["hier"] == "HIER_DIRECT", e["raw"]


def test_sibling_that_lost_it_answers_504_then_direct(tproxyd, corigin):
    """The sibling said HIT but its copy is gone by the time the request
    comes (PURGE in between): its 504 to only-if-cached sends the request
    direct, and the client never sees the 504."""
    corigin.set("/g", body=b"gone", headers=FRESH)
    b_icp, b_http = udp_port(), free_port("127.0.0.2")
    b = tproxyd(["http_port 127.0.0.2:%d" % b_http, "cache_mem 8 MB",
                 "visible_hostname sibling-b.example",
                 "icp_port %d" % b_icp, "acl lo src 127.0.0.0/8",
                 "icp_access allow lo", "icp_hit_stale on",
                 "http_access allow lo"], port=b_http)
    a = tproxyd(["cache_mem 8 MB",
                 "cache_peer 127.0.0.2 sibling %d %d name=b" % (b_http,
                                                                b_icp),
                 "icp_query_timeout 2000"])
    # B's copy is stale (max-age=0, icp_hit_stale says HIT anyway), so
    # its only-if-cached answer is 504.
    corigin.set("/g", body=b"gone", headers=[("Cache-Control",
                                              "max-age=0")],
                etag='"g"')
    harness.curl(b_http, corigin.url("/g"), proxy_host="127.0.0.2")
    r = get(a, corigin.url("/g"))
    assert r.status == 200 and r.body == b"gone"
    e = a.wait_access(lambda e: e["url"] == corigin.url("/g"))
    assert e["hier"] == "HIER_DIRECT", e["raw"]
    b.wait_access(lambda e: e["url"] == corigin.url("/g") and
                  e["status"] == 504)


@pytest.mark.parametrize("proto", ["icp", "htcp"])
def test_tproxyd_fetches_from_squid(tproxyd, corigin, squids, proto):
    corigin.set("/q", body=b"from squid" * 100, headers=FRESH)
    http2 = free_port("127.0.0.2")
    sq = squids(["http_port 127.0.0.2:%d" % http2,
                 "icp_access allow lo", "htcp_access allow lo"])
    test_sibling.fill(sq, corigin.url("/q"))
    assert corigin.count("/q") == 1
    a = tproxyd(["cache_mem 8 MB",
                 "cache_peer 127.0.0.2 sibling %d %d %s name=squid" % (
                     http2, sq.htcp if proto == "htcp" else sq.icp,
                     "htcp" if proto == "htcp" else ""),
                 "icp_query_timeout 2000"])
    r = get(a, corigin.url("/q"))
    assert r.status == 200 and r.body == b"from squid" * 100
    assert corigin.count("/q") == 1
    e = a.wait_access(lambda e: e["url"] == corigin.url("/q"))
    assert (e["hier"], e["peer"]) == ("SIBLING_HIT", "127.0.0.2"), e["raw"]
    sq.wait_log("TCP_MEM_HIT/200", corigin.url("/q"))


def test_squid_fetches_from_tproxyd(tproxyd, corigin, squids):
    """Squid is the one asking: tproxyd answers ICP from its cache and
    then serves Squid's request (Squid logs SIBLING_HIT)."""
    corigin.set("/w", body=b"from tproxyd" * 100, headers=FRESH)
    icp = udp_port()
    a = tproxyd(["cache_mem 8 MB", "icp_port %d" % icp,
                 "acl lo src 127.0.0.0/8", "icp_access allow lo",
                 "http_access allow lo"])
    get(a, corigin.url("/w"))
    assert corigin.count("/w") == 1
    sq = squids(["cache_peer 127.0.0.1 sibling %d %d name=tpx" % (a.port,
                                                                 icp)])
    st, _, body = sq.get(corigin.url("/w"))
    assert st == 200 and body == b"from tproxyd" * 100
    sq.wait_log("SIBLING_HIT/127.0.0.1", corigin.url("/w"))
    assert corigin.count("/w") == 1
    a.wait_access(lambda e: e["method"] == "ICP_QUERY" and
                  e["code"] == "UDP_HIT")
