"""
test_forward.py - the forward proxy moves messages intact.

Each case is a row: what the client sends (through `curl -x` or raw bytes),
and what must hold at the other two sides: the response the client gets
(status, body checksum), the request the origin saw (method, origin-form
target, body checksum, peer address 127.0.0.1), and the access.log line.
The proxy config is the harness default (forward port, allow 127.0.0.0/8).
"""

import hashlib
import json

import pytest

from harness import RawClient, curl, get_req
from origin import body_bytes, body_chunks, body_sha256

KiB, MiB = 1024, 1024 * 1024
SIZES = [0, 1, KiB, MiB]


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


# --- downloads: Content-Length, chunked, close-delimited ------------------

@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", ["bytes", "chunked", "close"])
def test_download(tproxyd, origin, kind, size):
    p = tproxyd()
    path = "/%s/%d" % (kind, size)
    r = curl(p.port, origin.url(path))
    assert r.rc == 0 and r.status == 200, r
    assert r.body_len == size and r.body_sha256 == body_sha256(size)
    one_origin_record(origin, path)
    e = p.wait_access_url(origin.url(path))
    assert e["code"] == "TCP_MISS" and e["status"] == 200
    assert e["bytes"] >= size


# --- uploads: Content-Length and chunked, echoed back ---------------------

@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("coding", ["length", "chunked"])
def test_upload_echo(tproxyd, origin, tmp_path, coding, size):
    p = tproxyd()
    f = tmp_path / "up"
    f.write_bytes(body_bytes(size))
    args = ["-H", "Content-Type: application/octet-stream"]
    if coding == "chunked":
        args += ["-H", "Transfer-Encoding: chunked"]
    r = curl(p.port, origin.url("/echo"), args=args, data_file=f)
    assert r.rc == 0 and r.status == 200, r
    assert r.body_len == size and r.body_sha256 == body_sha256(size)
    rec = one_origin_record(origin, "/echo", "POST")
    assert rec["body_len"] == size and rec["body_sha256"] == body_sha256(size)
    p.wait_access(lambda e: e["method"] == "POST" and
                  e["url"] == origin.url("/echo") and e["status"] == 200)


def test_download_100mib(tproxyd, origin):
    """On loopback this takes ~1 s through a sane proxy; 30 s is the bound."""
    p = tproxyd()
    n = 100 * MiB
    r = curl(p.port, origin.url("/bytes/%d" % n), max_time=30)
    assert r.rc == 0 and r.status == 200, r
    assert r.body_len == n and r.body_sha256 == body_sha256(n)


def test_upload_100mib(tproxyd, origin, tmp_path):
    p = tproxyd()
    n = 100 * MiB
    f = tmp_path / "up100"
    with open(f, "wb") as fh:
        for c in body_chunks(n, 1 << 20):
            fh.write(c)
    r = curl(p.port, origin.url("/sink"), data_file=f, max_time=30,
             args=["-H", "Content-Type: application/octet-stream",
                   "-H", "Expect:"])
    f.unlink()
    assert r.rc == 0 and r.status == 200, r
    got = json.loads(r.body)
    assert (got["length"], got["sha256"]) == (n, body_sha256(n))


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


def test_head_with_curl(tproxyd, origin):
    p = tproxyd()
    r = curl(p.port, origin.url("/bytes/5000"), args=["-I"])
    assert r.rc == 0 and r.status == 200, r
    # With -I curl writes the head to the output file: nothing else.
    assert r.body.startswith(b"HTTP/1.1 200") and \
        r.body.endswith(b"\r\n\r\n") and r.body.count(b"\r\n\r\n") == 1, \
        r.body
    one_origin_record(origin, "/bytes/5000", "HEAD")
    e = p.wait_access_url(origin.url("/bytes/5000"), "HEAD")
    assert e["status"] == 200


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

def test_expect_100_continue(tproxyd, origin, tmp_path):
    """curl announces the body with Expect: 100-continue (forced: curl 7.88
    only does so by itself above 1 MiB) and must get it through."""
    p = tproxyd()
    f = tmp_path / "up"
    f.write_bytes(body_bytes(5000))
    r = curl(p.port, origin.url("/expect"), data_file=f, max_time=20,
             args=["-H", "Expect: 100-continue",
                   "--expect100-timeout", "10"])
    assert r.rc == 0 and r.status == 200, r
    got = json.loads(r.body)
    assert got["length"] == 5000 and got["sha256"] == body_sha256(5000)
    rec = one_origin_record(origin, "/expect", "POST")
    assert rec["body_sha256"] == body_sha256(5000)


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
