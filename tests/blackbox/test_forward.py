# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_forward.py - the forward proxy moves messages intact: the exchanges
that need choreography on one connection (a second request after a
response without body, keep-alive, HTTP/1.0 close, server connection
pooling, pipelining, a client waiting for 100 Continue). Single
request/response rows (downloads, uploads, 100 MiB both ways, HEAD,
Expect) are cases in cases/forward.py, run by test_cases.py.
The proxy config is the harness default (forward port, allow 127.0.0.0/8).
"""

import hashlib
import json

import pytest

from harness import RawClient, get_req
from origin import body_bytes


def sha(b):
    return hashlib.sha256(b).hexdigest()


def one_origin_record(origin, path, method="GET"):
    """The single request the origin saw for path; asserts origin-form."""
    recs = [r for r in origin.wait_records(1) if r["path"] == path]
    assert len(recs) >= 1, "origin saw no %s; saw %r" % (
        path, [r["target"] for r in origin.records()])
    r = recs[-1]
    assert r["method"] == method
    assert r["target"] == path, "proxy must forward origin-form targets"
    assert r["peer"][0] == "127.0.0.1"
    return r


# --- no-body responses, framing kept on the connection --------------------

@pytest.mark.parametrize("method,path,status,hdr", [
    ("HEAD", "/bytes/1000", 200, ("Content-Length", "1000")),
    ("HEAD", "/chunked/1000", 200, None),
    ("GET", "/status/204", 204, None),
    ("GET", "/status/304", 304, None),
    ("GET", "/status/404", 404, None),
])
def test_no_body_then_next_request(tproxyd, origin, method, path, status,
                                   hdr):
    """The response has no body (and nothing leaks): a second request on
    the same client connection is answered correctly."""
    p = tproxyd()
    with RawClient(p.port) as c:
        c.send(get_req(origin.url(path), method))
        r = c.read_response(method)
        assert r.status == status
        if hdr:
            assert r.header(hdr[0]) == hdr[1]
        c.send(get_req(origin.url("/bytes/77")))
        r2 = c.read_response()
    assert r2.status == 200 and r2.body == body_bytes(77)
    if status == 404:
        assert r.body == b"status 404\n"
    assert one_origin_record(origin, path, method)


# --- persistent connections ----------------------------------------------

def test_client_keepalive(tproxyd, origin):
    """Two requests, one after the other, on one client connection."""
    p = tproxyd()
    with RawClient(p.port) as c:
        c.send(get_req(origin.url("/bytes/10")))
        r1 = c.read_response()
        assert r1.status == 200 and r1.body == body_bytes(10)
        assert "close" not in (r1.header("Connection") or "").lower()
        c.send(get_req(origin.url("/chunked/20")))
        r2 = c.read_response()
        assert r2.status == 200 and r2.body == body_bytes(20)
    p.wait_access_url(origin.url("/bytes/10"))
    p.wait_access_url(origin.url("/chunked/20"))


def test_client_http10_is_closed(tproxyd, origin):
    """An HTTP/1.0 client without keep-alive gets its response, then the
    connection is closed."""
    p = tproxyd()
    with RawClient(p.port) as c:
        c.send(get_req(origin.url("/bytes/10"), version="HTTP/1.0"))
        r = c.read_response()
        assert r.status == 200 and r.body == body_bytes(10)
        assert c.is_closed(5), "HTTP/1.0 connection left open"


def test_server_connection_reused(tproxyd, origin):
    """Idle server connections are pooled: two requests from two different
    client connections, one after the other, arrive at the origin on the
    same TCP connection."""
    p = tproxyd()
    for n in (10, 11):
        with RawClient(p.port) as c:
            c.send(get_req(origin.url("/bytes/%d" % n)))
            assert c.read_response().body == body_bytes(n)
        p.wait_access_url(origin.url("/bytes/%d" % n))
    recs = origin.records()
    assert [r["path"] for r in recs] == ["/bytes/10", "/bytes/11"]
    assert recs[0]["conn_id"] == recs[1]["conn_id"], \
        "second request used a new server connection: %r" % (
            origin.connections,)


def test_pipelining(tproxyd, origin):
    """Three requests in one write; three responses, in order."""
    p = tproxyd()
    paths = ["/bytes/300", "/chunked/100", "/bytes/200"]
    with RawClient(p.port) as c:
        c.send(b"".join(get_req(origin.url(x)) for x in paths))
        rs = [c.read_response() for _ in paths]
    assert [r.status for r in rs] == [200, 200, 200]
    assert [len(r.body) for r in rs] == [300, 100, 200]
    assert [r.body for r in rs] == [body_bytes(300), body_bytes(100),
                                    body_bytes(200)]
    assert sorted(r["path"] for r in origin.records()) == sorted(paths)


# --- Expect: 100-continue -------------------------------------------------

def test_expect_100_raw_client_waits(tproxyd, origin):
    """A client that waits for the 100 before sending the body is not left
    hanging: it gets a 100 Continue (from the proxy or the origin)."""
    p = tproxyd()
    with RawClient(p.port, timeout=10) as c:
        c.send(get_req(origin.url("/expect"), "POST",
                       ["Content-Length: 3", "Expect: 100-continue"]))
        r = c.read_response(skip_1xx=False)
        assert r.status == 100, r
        c.send(b"abc")
        r = c.read_response()
    assert r.status == 200
    assert json.loads(r.body)["sha256"] == sha(b"abc")
