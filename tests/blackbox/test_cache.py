# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_cache.py - the HTTP cache (issue 15) seen from the client, the origin
(cache_origin.py counts what reaches it) and the logs: hits, what is never
stored, revalidation with validators, Vary, invalidation, HEAD and ranges
from a stored GET, chunked bodies, collapsed forwarding, limits, a client
that goes away, PURGE, only-if-cached, the cache acl, the client's own
conditions, and the metrics.

Each test starts its own tproxyd (forward port) with a memory cache.
RFC 9111's finer points are covered by `make cache-tests`; these tests
check that tproxyd's parts work together.
"""

import hashlib
import socket
import threading
import time

import pytest

import harness
from cache_origin import CacheOrigin
from harness import RawClient, free_port, get_req, scrape_metrics

MEM = ["cache_mem 16 MB"]
FRESH = [("Cache-Control", "max-age=3600")]


@pytest.fixture
def corigin():
    o = CacheOrigin().start()
    yield o
    o.stop()


def get(p, url, args=()):
    return harness.curl(p.port, url, args=list(args), max_time=10)


def codes(p, url):
    """The access.log codes of url, in order (waits for the lines)."""
    time.sleep(0.05)
    return ["%s/%s" % (e["code"], e["status"]) for e in p.access_entries()
            if e and e["url"] == url]


def wait_codes(p, url, n):
    harness.poll(lambda: len(codes(p, url)) >= n or None, 5.0)
    return codes(p, url)


def test_second_request_is_a_memory_hit(tproxyd, corigin):
    body = bytes(range(256)) * 40
    corigin.set("/a", body=body, headers=FRESH)
    p = tproxyd(MEM + ["stats_port 127.0.0.1:%d" % free_port()])
    r1 = get(p, corigin.url("/a"))
    r2 = get(p, corigin.url("/a"))
    assert r1.status == r2.status == 200
    assert r1.body == r2.body == body
    assert corigin.count("/a") == 1
    assert r2.header("Age") is not None and int(r2.header("Age")) >= 0
    assert r1.header("Age") is None
    assert wait_codes(p, corigin.url("/a"), 2) == ["TCP_MISS/200",
                                                   "TCP_MEM_HIT/200"]


def test_metrics_count_hits_and_objects(tproxyd, corigin):
    sport = free_port()
    corigin.set("/m", body=b"m" * 1000, headers=FRESH)
    p = tproxyd(MEM + ["stats_port 127.0.0.1:%d" % sport])
    for _ in range(3):
        assert get(p, corigin.url("/m")).status == 200
    wait_codes(p, corigin.url("/m"), 3)
    m = scrape_metrics(sport)
    assert m["tproxyd_cache_hits_total"] == 2
    assert m["tproxyd_cache_lookups_total"] == 3
    assert m["tproxyd_cache_stored_total"] == 1
    assert m["tproxyd_cache_objects"] == 1
    assert m["tproxyd_cache_hit_bytes_total"] > 2000
    assert m['tproxyd_cache_memory_bytes{kind="used"}'] > 1000
    assert m['tproxyd_cache_memory_bytes{kind="max"}'] == 16 << 20


@pytest.mark.parametrize("headers,req", [
    ([("Cache-Control", "no-store")], []),
    ([("Cache-Control", "private, max-age=60")], []),
    ([("Cache-Control", "max-age=60")], ["-H", "Authorization: Basic eDp5"]),
    ([("Cache-Control", "max-age=60")], ["-H", "Cache-Control: no-store"]),
    ([("Cache-Control", "max-age=60"), ("Vary", "*")], []),
    ([], []),   # no freshness, no validators: stale at once
], ids=["no-store", "private", "authorization", "request-no-store",
        "vary-star", "no-freshness"])
def test_never_answered_from_the_cache(tproxyd, corigin, headers, req):
    corigin.set("/n", body=b"fresh", headers=headers)
    p = tproxyd(MEM)
    for _ in range(2):
        r = get(p, corigin.url("/n"), req)
        assert r.status == 200 and r.body == b"fresh"
    assert corigin.count("/n") == 2


def test_revalidation_304_then_changed(tproxyd, corigin):
    corigin.set("/v", body=b"one", etag='"1"',
                headers=[("Cache-Control", "max-age=0")])
    p = tproxyd(MEM)
    assert get(p, corigin.url("/v")).body == b"one"
    r = get(p, corigin.url("/v"))
    assert r.status == 200 and r.body == b"one"
    assert corigin.requests("/v")[-1].get("If-None-Match") == '"1"'
    corigin.set("/v", body=b"two", etag='"2"',
                headers=[("Cache-Control", "max-age=0")])
    r = get(p, corigin.url("/v"))
    assert r.body == b"two"
    # The changed response replaced the stored one: revalidated with "2".
    r = get(p, corigin.url("/v"))
    assert r.body == b"two"
    assert corigin.requests("/v")[-1].get("If-None-Match") == '"2"'
    assert wait_codes(p, corigin.url("/v"), 4) == [
        "TCP_MISS/200", "TCP_REFRESH_UNMODIFIED/200",
        "TCP_REFRESH_MODIFIED/200", "TCP_REFRESH_UNMODIFIED/200"]


def test_vary_keeps_one_variant_per_value(tproxyd, corigin):
    corigin.set("/l", body=b"lang=", vary_body="Accept-Language",
                headers=FRESH + [("Vary", "Accept-Language")])
    p = tproxyd(MEM)
    en = ["-H", "Accept-Language: en"]
    fr = ["-H", "Accept-Language: fr"]
    assert get(p, corigin.url("/l"), en).body == b"lang=en"
    assert get(p, corigin.url("/l"), fr).body == b"lang=fr"
    assert get(p, corigin.url("/l"), en).body == b"lang=en"
    assert get(p, corigin.url("/l"), fr).body == b"lang=fr"
    assert corigin.count("/l") == 2


def test_unsafe_method_invalidates(tproxyd, corigin):
    corigin.set("/i", body=b"v1", headers=FRESH)
    p = tproxyd(MEM)
    get(p, corigin.url("/i"))
    get(p, corigin.url("/i"))
    assert corigin.count("/i") == 1
    r = get(p, corigin.url("/i"), ["-X", "POST", "-d", "x"])
    assert r.status == 200
    get(p, corigin.url("/i"))
    assert corigin.count("/i", "GET") == 2


def test_unsafe_method_error_does_not_invalidate(tproxyd, corigin):
    corigin.set("/e", body=b"v1", headers=FRESH, unsafe_status=500)
    p = tproxyd(MEM)
    get(p, corigin.url("/e"))
    assert get(p, corigin.url("/e"), ["-X", "DELETE"]).status == 500
    get(p, corigin.url("/e"))
    assert corigin.count("/e", "GET") == 1


def test_head_answered_from_stored_get(tproxyd, corigin):
    corigin.set("/h", body=b"h" * 1234, headers=FRESH)
    p = tproxyd(MEM)
    get(p, corigin.url("/h"))
    with RawClient(p.port) as c:
        c.send(get_req(corigin.url("/h"), "HEAD"))
        r = c.read_response("HEAD")
        assert r.status == 200 and r.header("Content-Length") == "1234"
        assert r.body == b""
        # The connection is still in step: a GET follows.
        c.send(get_req(corigin.url("/h")))
        r = c.read_response()
        assert r.body == b"h" * 1234
    assert corigin.count("/h") == 1


def test_ranges_from_a_stored_body(tproxyd, corigin):
    body = bytes(range(256)) * 8
    corigin.set("/r", body=body, headers=FRESH)
    p = tproxyd(MEM)
    get(p, corigin.url("/r"))
    r = get(p, corigin.url("/r"), ["-H", "Range: bytes=10-19"])
    assert r.status == 206 and r.body == body[10:20]
    assert r.header("Content-Range") == "bytes 10-19/2048"
    r = get(p, corigin.url("/r"), ["-H", "Range: bytes=-5"])
    assert r.status == 206 and r.body == body[-5:]
    r = get(p, corigin.url("/r"), ["-H", "Range: bytes=5000-"])
    assert r.status == 416
    assert r.header("Content-Range") == "bytes */2048"
    assert corigin.count("/r") == 1


def test_large_memory_hits_byte_exact(tproxyd, corigin):
    """Bodies of 32 KiB and more are sent from the memory arena with
    sendfile: whole, ranged and HEAD hits carry the stored bytes."""
    body = hashlib.sha256(b"0").digest() * (300000 // 32)
    corigin.set("/big", body=body, headers=FRESH)
    p = tproxyd(MEM)
    assert get(p, corigin.url("/big")).body == body
    for _ in range(3):
        r = get(p, corigin.url("/big"))
        assert r.status == 200 and r.body == body
    r = get(p, corigin.url("/big"), ["-H", "Range: bytes=100000-199999"])
    assert r.status == 206 and r.body == body[100000:200000]
    r = get(p, corigin.url("/big"), ["-I"])
    assert r.status == 200 and r.header("Content-Length") == str(len(body))
    assert corigin.count("/big") == 1
    assert wait_codes(p, corigin.url("/big"), 6)[1:] == \
        ["TCP_MEM_HIT/200"] * 3 + ["TCP_MEM_HIT/206", "TCP_MEM_HIT/200"]


def test_hit_in_flight_keeps_its_bytes_when_memory_is_reused(tproxyd,
                                                             corigin):
    """A hit handed to the kernel but not yet read by its client keeps
    its bytes when the object is purged and its memory taken by another
    body of the same size."""
    a = b"A" * 65536
    b = b"B" * 65536
    corigin.set("/a", body=a, headers=FRESH)
    corigin.set("/b", body=b, headers=FRESH)
    p = tproxyd(MEM + ["acl purge method PURGE",
                       "http_access allow purge localhost",
                       "http_access allow localhost"])
    assert get(p, corigin.url("/a")).body == a
    s = socket.create_connection(("127.0.0.1", p.port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.sendall(get_req(corigin.url("/a")))
    # tproxyd has sent the whole hit (its log line is written at the
    # end), none of which this client has read yet.
    assert wait_codes(p, corigin.url("/a"), 2)[1] == "TCP_MEM_HIT/200"
    assert get(p, corigin.url("/a"), ["-X", "PURGE"]).status == 200
    assert get(p, corigin.url("/b")).body == b
    assert get(p, corigin.url("/b")).body == b
    data = b""
    while b"\r\n\r\n" not in data or \
            len(data.split(b"\r\n\r\n", 1)[1]) < len(a):
        d = s.recv(65536)
        assert d, "connection closed early"
        data += d
    s.close()
    head, got = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200")
    assert got == a


def test_chunked_response_stored_and_served_with_length(tproxyd, corigin):
    body = b"0123456789abcdef" * 700
    corigin.set("/c", body=body, headers=FRESH, chunked=True)
    p = tproxyd(MEM)
    r1 = get(p, corigin.url("/c"))
    r2 = get(p, corigin.url("/c"))
    assert r1.body == r2.body == body
    assert r2.header("Content-Length") == str(len(body))
    assert r2.header("Transfer-Encoding") is None
    assert corigin.count("/c") == 1


def test_http10_client_gets_hit_of_chunked(tproxyd, corigin):
    body = b"z" * 5000
    corigin.set("/c10", body=body, headers=FRESH, chunked=True)
    p = tproxyd(MEM)
    get(p, corigin.url("/c10"), ["--http1.0"])
    r = get(p, corigin.url("/c10"), ["--http1.0"])
    assert r.body == body
    assert corigin.count("/c10") == 1


def test_collapsed_forwarding_one_origin_fetch(tproxyd, corigin):
    body = b"c" * 200000
    corigin.set("/slow", body=body, headers=FRESH, pause=0.8)
    p = tproxyd(MEM + ["collapsed_forwarding on"])
    out = []

    def one():
        out.append(get(p, corigin.url("/slow")))
    first = threading.Thread(target=one)
    first.start()
    harness.poll(lambda: corigin.count("/slow") >= 1 or None, 5.0)
    time.sleep(0.1)
    rest = [threading.Thread(target=one) for _ in range(4)]
    for t in rest:
        t.start()
    for t in [first] + rest:
        t.join(20)
    assert len(out) == 5
    assert all(r.status == 200 and r.body == body for r in out), out
    assert corigin.count("/slow") == 1
    cs = wait_codes(p, corigin.url("/slow"), 5)
    assert sorted(cs).count("TCP_CF_HIT/200") == 4, cs


def test_without_collapsed_forwarding_each_miss_fetches(tproxyd, corigin):
    corigin.set("/s2", body=b"s" * 1000, headers=FRESH, pause=0.5)
    p = tproxyd(MEM)
    out = []
    ts = [threading.Thread(target=lambda: out.append(
        get(p, corigin.url("/s2")))) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(20)
    assert all(r.body == b"s" * 1000 for r in out)
    assert corigin.count("/s2") == 3


def test_object_over_maximum_object_size_not_stored(tproxyd, corigin):
    corigin.set("/big", body=b"b" * 3000, headers=FRESH)
    corigin.set("/big-chunked", body=b"b" * 3000, headers=FRESH,
                chunked=True)
    p = tproxyd(MEM + ["maximum_object_size 2 KB"])
    for path in ("/big", "/big-chunked"):
        for _ in range(2):
            r = get(p, corigin.url(path))
            assert r.status == 200 and r.body == b"b" * 3000
        assert corigin.count(path) == 2


def test_object_over_memory_limit_not_stored(tproxyd, corigin):
    corigin.set("/mbig", body=b"b" * 3000, headers=FRESH)
    p = tproxyd(MEM + ["maximum_object_size_in_memory 1 KB"])
    get(p, corigin.url("/mbig"))
    assert get(p, corigin.url("/mbig")).body == b"b" * 3000
    assert corigin.count("/mbig") == 2


def test_cut_transfer_is_never_a_hit(tproxyd, corigin):
    """The origin dies in the middle of the body: the client gets a cut
    response, and the next request fetches again (no partial hit)."""
    body = b"t" * 100000
    corigin.set("/cut", body=body, headers=FRESH, pause=0.3,
                die_in_pause=True)
    p = tproxyd(MEM)
    r = get(p, corigin.url("/cut"))
    assert r.body_len < len(body)
    corigin.set("/cut", body=body, headers=FRESH)
    r = get(p, corigin.url("/cut"))
    assert r.status == 200 and r.body == body
    assert corigin.count("/cut") == 2


def test_client_gone_mid_transfer_is_never_a_hit(tproxyd, corigin):
    body = b"g" * 300000
    corigin.set("/gone", body=body, headers=FRESH, pause=0.5)
    p = tproxyd(MEM)
    s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
    s.sendall(get_req(corigin.url("/gone")))
    s.recv(1000)
    s.close()
    time.sleep(0.8)
    corigin.set("/gone", body=body, headers=FRESH)
    r = get(p, corigin.url("/gone"))
    assert r.status == 200 and r.body == body
    assert corigin.count("/gone") == 2


def test_purge(tproxyd, corigin):
    corigin.set("/p", body=b"p", headers=FRESH)
    p = tproxyd(MEM + ["acl purge method PURGE",
                       "http_access allow purge localhost",
                       "http_access allow localhost"])
    get(p, corigin.url("/p"))
    assert get(p, corigin.url("/p"), ["-X", "PURGE"]).status == 200
    assert get(p, corigin.url("/p"), ["-X", "PURGE"]).status == 404
    get(p, corigin.url("/p"))
    assert corigin.count("/p") == 2


def test_purge_refused_without_a_purge_acl(tproxyd, corigin):
    """Squid allows PURGE only when some acl names the method."""
    corigin.set("/p2", body=b"p", headers=FRESH)
    p = tproxyd(MEM)
    get(p, corigin.url("/p2"))
    assert get(p, corigin.url("/p2"), ["-X", "PURGE"]).status == 403
    get(p, corigin.url("/p2"))
    assert corigin.count("/p2") == 1


def test_only_if_cached(tproxyd, corigin):
    corigin.set("/o", body=b"o", headers=FRESH)
    p = tproxyd(MEM)
    oic = ["-H", "Cache-Control: only-if-cached"]
    assert get(p, corigin.url("/o"), oic).status == 504
    assert corigin.count("/o") == 0
    get(p, corigin.url("/o"))
    assert get(p, corigin.url("/o"), oic).status == 200
    assert corigin.count("/o") == 1


def test_cache_deny_acl(tproxyd, corigin):
    corigin.set("/nc/x", body=b"n", headers=FRESH)
    corigin.set("/yes", body=b"y", headers=FRESH)
    p = tproxyd(MEM + ["acl nocache urlpath_regex ^/nc/",
                       "cache deny nocache"])
    for _ in range(2):
        get(p, corigin.url("/nc/x"))
        get(p, corigin.url("/yes"))
    assert corigin.count("/nc/x") == 2
    assert corigin.count("/yes") == 1


def test_client_conditionals_answered_from_the_cache(tproxyd, corigin):
    corigin.set("/cond", body=b"c", etag='"e1"', headers=FRESH + [
        ("Last-Modified", "Mon, 07 Dec 2026 00:00:00 GMT")])
    p = tproxyd(MEM)
    get(p, corigin.url("/cond"))
    r = get(p, corigin.url("/cond"), ["-H", 'If-None-Match: "e1"'])
    assert r.status == 304 and r.body == b""
    r = get(p, corigin.url("/cond"), ["-H", 'If-None-Match: "other"'])
    assert r.status == 200 and r.body == b"c"
    r = get(p, corigin.url("/cond"), [
        "-H", "If-Modified-Since: Mon, 07 Dec 2026 01:00:00 GMT"])
    assert r.status == 304
    assert corigin.count("/cond") == 1
    cs = wait_codes(p, corigin.url("/cond"), 4)
    assert cs == ["TCP_MISS/200", "TCP_INM_HIT/304", "TCP_MEM_HIT/200",
                  "TCP_IMS_HIT/304"], cs


def test_revalidation_answered_by_a_304_without_validators(tproxyd,
                                                           corigin):
    """The cache revalidates a stale object with the Last-Modified it has;
    the server's 304 names no validator (Python's http.server sends only
    Date): it is about that object, so the client (who sent no condition)
    gets the object, 200 with its body, never the bare 304."""
    corigin.set("/bare", body=b"bare body", bare_304=True, headers=[
        ("Last-Modified", "Mon, 07 Dec 2026 00:00:00 GMT"),
        ("Cache-Control", "max-age=0")])
    p = tproxyd(MEM)
    assert get(p, corigin.url("/bare")).body == b"bare body"
    for _ in range(2):
        r = get(p, corigin.url("/bare"))
        assert r.status == 200 and r.body == b"bare body", r
    assert corigin.count("/bare") == 3
    assert corigin.requests("/bare")[-1].get("If-Modified-Since") == \
        "Mon, 07 Dec 2026 00:00:00 GMT"
    assert wait_codes(p, corigin.url("/bare"), 3) == [
        "TCP_MISS/200", "TCP_REFRESH_UNMODIFIED/200",
        "TCP_REFRESH_UNMODIFIED/200"]


def test_revalidation_answered_by_a_304_for_another_validator(tproxyd,
                                                             corigin):
    """The cache revalidates with the stored ETag "1"; the server answers
    304 with ETag "9": not the stored object, so it cannot be refreshed,
    and the client (who sent no condition) must not get a 304. tproxyd
    asks again without conditions and the client gets the server's
    current object, which is stored in place of the old one."""
    corigin.set("/odd", body=b"one", etag='"1"',
                headers=[("Cache-Control", "max-age=0")])
    p = tproxyd(MEM)
    assert get(p, corigin.url("/odd")).body == b"one"
    corigin.set("/odd", body=b"two", etag='"2"', odd_304='"9"',
                headers=[("Cache-Control", "max-age=0")])
    r = get(p, corigin.url("/odd"))
    assert r.status == 200 and r.body == b"two", r
    reqs = corigin.requests("/odd")
    assert len(reqs) == 3, reqs
    assert reqs[1].get("If-None-Match") == '"1"'
    assert "If-None-Match" not in reqs[2] and \
        "If-Modified-Since" not in reqs[2], reqs[2]
    # Stored: the next revalidation uses the new ETag.
    corigin.set("/odd", body=b"two", etag='"2"',
                headers=[("Cache-Control", "max-age=0")])
    r = get(p, corigin.url("/odd"))
    assert r.status == 200 and r.body == b"two", r
    assert corigin.requests("/odd")[-1].get("If-None-Match") == '"2"'
    assert corigin.count("/odd") == 4
    assert wait_codes(p, corigin.url("/odd"), 3) == [
        "TCP_MISS/200", "TCP_REFRESH_MODIFIED/200",
        "TCP_REFRESH_UNMODIFIED/200"]


def test_no_cache_memory_means_no_cache(tproxyd, corigin):
    corigin.set("/z", body=b"z", headers=FRESH)
    p = tproxyd(["cache_mem 0"])
    get(p, corigin.url("/z"))
    get(p, corigin.url("/z"))
    assert corigin.count("/z") == 2


def test_client_reload_revalidates(tproxyd, corigin):
    corigin.set("/rl", body=b"r", etag='"r"', headers=FRESH)
    p = tproxyd(MEM)
    get(p, corigin.url("/rl"))
    r = get(p, corigin.url("/rl"), ["-H", "Cache-Control: no-cache"])
    assert r.status == 200 and r.body == b"r"
    assert corigin.count("/rl") == 2
    assert corigin.requests("/rl")[-1].get("If-None-Match") == '"r"'


# --- cache_dir: the disk store -------------------------------------------

def disk_conf(d, extra=()):
    d.mkdir(parents=True, exist_ok=True)
    harness.share_with_daemon_user(d)
    return MEM + ["cache_dir ufs %s 100 4 16" % d] + list(extra)


def stored_files(d):
    return [f for f in d.rglob("*") if f.is_file() and
            f.parent.name != "tmp"]


def test_large_object_on_disk_survives_a_restart(tproxyd, corigin,
                                                  tmp_path):
    body = bytes(range(256)) * 8192     # 2 MiB: over the memory limit
    corigin.set("/d", body=body, headers=FRESH)
    p = tproxyd(disk_conf(tmp_path / "cd"))
    assert get(p, corigin.url("/d")).body == body
    r = get(p, corigin.url("/d"))
    assert r.status == 200 and r.body == body
    assert wait_codes(p, corigin.url("/d"), 2) == ["TCP_MISS/200",
                                                   "TCP_HIT/200"]
    assert len(stored_files(tmp_path / "cd")) == 1
    assert p.stop() == []
    p.start()
    r = harness.poll(lambda: (lambda x: x if x.header("Age") else None)(
        get(p, corigin.url("/d"))), 5.0)
    assert r and r.body == body
    r = get(p, corigin.url("/d"), ["-H", "Range: bytes=1000000-1000009"])
    assert r.status == 206 and r.body == body[1000000:1000010]
    assert corigin.count("/d") == 1


def test_squid_cache_in_the_same_directory_is_left_alone(tproxyd, corigin,
                                                       tmp_path):
    """A squid.conf's cache_dir that still holds Squid's own ufs store
    (swap.state, 8-digit object files): tproxyd says so in cache.log,
    caches beside it, and never changes or removes Squid's files."""
    d = tmp_path / "squid"
    (d / "00" / "00").mkdir(parents=True)
    squid_obj = d / "00" / "00" / "0000002A"
    squid_obj.write_bytes(b"\x03squid swap meta" * 100)
    (d / "swap.state").write_bytes(b"\x00" * 72)
    before = {f: f.read_bytes() for f in (squid_obj, d / "swap.state")}
    for f in [d / "00", d / "00" / "00"] + list(before):
        harness.share_with_daemon_user(f)   # Squid's user owns its store
    body = b"s" * 1500000
    corigin.set("/sq", body=body, headers=FRESH)
    p = tproxyd(disk_conf(d))
    log = harness.poll(lambda: (lambda t: t if "holds a Squid ufs cache"
                                in t else None)(p.cache_log.read_text()),
                       5.0)
    assert log and "cache_dir %s" % d in log, p.diagnostics()
    get(p, corigin.url("/sq"))
    r = get(p, corigin.url("/sq"))
    assert r.status == 200 and r.body == body
    assert corigin.count("/sq") == 1
    assert p.stop() == []
    p.start()           # the scan at start-up leaves Squid's files too
    r = harness.poll(lambda: (lambda x: x if x.header("Age") else None)(
        get(p, corigin.url("/sq"))), 5.0)
    assert r and r.body == body
    assert {f: f.read_bytes() for f in before} == before


def test_no_warning_for_a_directory_of_its_own(tproxyd, corigin, tmp_path):
    p = tproxyd(disk_conf(tmp_path / "own"))
    corigin.set("/o", body=b"o", headers=FRESH)
    get(p, corigin.url("/o"))
    assert "Squid" not in p.cache_log.read_text()


def test_kill9_during_a_write_never_gives_a_cut_hit(tproxyd, corigin,
                                                    tmp_path):
    """tproxyd is killed while an object is being written to its file:
    after a restart the object is simply not there (the next request
    fetches it whole); objects stored before are intact."""
    good = b"g" * 700000
    body = b"k" * 3000000
    corigin.set("/good", body=good, headers=FRESH)
    corigin.set("/k", body=body, headers=FRESH, pause=3.0)
    p = tproxyd(disk_conf(tmp_path / "cd"))
    assert get(p, corigin.url("/good")).body == good
    t = threading.Thread(target=lambda: get(p, corigin.url("/k")))
    t.start()
    harness.poll(lambda: corigin.count("/k") >= 1 or None, 5.0)
    time.sleep(0.5)                 # half the body is in the file
    p.signals_sent.add(9)
    p.proc.kill()
    p.proc.wait(5)
    t.join(10)
    corigin.set("/k", body=body, headers=FRESH)
    p.start()
    r = get(p, corigin.url("/k"))
    assert r.status == 200 and r.body_len == len(body)
    assert r.body_sha256 == hashlib.sha256(body).hexdigest()
    assert corigin.count("/k") == 2
    r = harness.poll(lambda: (lambda x: x if x.header("Age") else None)(
        get(p, corigin.url("/good"))), 5.0)
    assert r and r.body == good
    assert corigin.count("/good") == 1


def test_unreadable_file_becomes_a_miss(tproxyd, corigin, tmp_path):
    body = b"u" * 1500000
    corigin.set("/u", body=body, headers=FRESH)
    d = tmp_path / "cd"
    p = tproxyd(disk_conf(d))
    get(p, corigin.url("/u"))
    harness.poll(lambda: stored_files(d) or None, 5.0)
    for f in stored_files(d):
        f.write_bytes(b"damaged")
    r = get(p, corigin.url("/u"))
    assert r.status == 200 and r.body == body
    assert corigin.count("/u") == 2
    assert "TCP_SWAPFAIL_MISS/200" in wait_codes(p, corigin.url("/u"), 2)


def test_full_disk_loses_only_what_did_not_fit(tproxyd, corigin, tmp_path):
    harness.require_root("mounting a small tmpfs")
    d = tmp_path / "small"
    d.mkdir()
    import subprocess
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1500k", "tmpfs",
                       str(d)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        harness.share_with_daemon_user(d)
        body1 = b"1" * 900000
        body2 = b"2" * 900000
        corigin.set("/f1", body=body1, headers=FRESH)
        corigin.set("/f2", body=body2, headers=FRESH)
        p = tproxyd(disk_conf(d, ["maximum_object_size_in_memory 8 KB"]))
        assert get(p, corigin.url("/f1")).body == body1
        harness.poll(lambda: stored_files(d) or None, 5.0)
        assert get(p, corigin.url("/f2")).body == body2   # ENOSPC
        for _ in range(2):
            assert get(p, corigin.url("/f1")).body == body1
            assert get(p, corigin.url("/f2")).body == body2
        assert corigin.count("/f1") == 1
        assert corigin.count("/f2") == 3
        assert p.stop() == []
    finally:
        subprocess.run(["umount", "-l", str(d)])


def test_tproxyctl_status_shows_the_cache(tproxyd, corigin, tmp_path):
    import os
    import subprocess
    sport = free_port()
    corigin.set("/st", body=b"s" * 4000, headers=FRESH)
    p = tproxyd(disk_conf(tmp_path / "cd", ["stats_port 127.0.0.1:%d" %
                                            sport]))
    for _ in range(4):
        get(p, corigin.url("/st"))
    wait_codes(p, corigin.url("/st"), 4)
    ctl = os.path.join(os.environ.get("TPROXYD_BUILD", "build"), "tproxyctl")
    out = subprocess.run([ctl, "status", "-f", str(p.conf)],
                         capture_output=True, text=True, timeout=20).stdout
    line = [ln for ln in out.splitlines() if "cache:" in ln]
    assert line, out
    assert "3 hits of 4 lookups (75.0%)" in line[0], line[0]
    assert "1 objects" in line[0] and "disk 0 of 100 MB" in line[0], line[0]


def test_set_cookie_never_handed_to_another_client(tproxyd, corigin):
    """A stored response's Set-Cookie goes to the client whose request
    fetched it only; hits are sent without it (as Squid does)."""
    corigin.set("/ck", body=b"c", headers=FRESH + [
        ("Set-Cookie", "session=alice"), ("X-Other", "kept")])
    p = tproxyd(MEM)
    r1 = get(p, corigin.url("/ck"))
    assert r1.header("Set-Cookie") == "session=alice"
    r2 = get(p, corigin.url("/ck"))
    assert r2.status == 200 and r2.header("Age") is not None
    assert r2.header("Set-Cookie") is None
    assert r2.header("X-Other") == "kept"
    assert corigin.count("/ck") == 1
