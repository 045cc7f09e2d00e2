# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_origin.py - proves the test origin server and the raw client of the
harness against each other, without tproxyd, so a failure in the proxy
tests points at the proxy: framing of every endpoint, keep-alive connection
ids, pipelining, 100-continue, Upgrade, RST, the standalone script and its
/__records.
"""

import hashlib
import json
import socket
import subprocess
import time
from pathlib import Path

import pytest

from harness import RawClient, curl, free_port, listening_ports, poll
from origin import body_bytes, body_sha256

ORIGIN = str(Path(__file__).resolve().parent / "origin.py")


def req(path, method="GET", extra=b"", host="x"):
    return b"%s %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (
        method.encode(), path.encode(), host.encode(), extra)


def sha(b):
    return hashlib.sha256(b).hexdigest()


@pytest.mark.parametrize("n", [0, 1, 1024, 65537, 1 << 20])
@pytest.mark.parametrize("kind", ["bytes", "chunked", "close"])
def test_generated_bodies(origin, kind, n):
    with RawClient(origin.port) as c:
        c.send(req("/%s/%d" % (kind, n)))
        r = c.read_response()
    assert r.status == 200
    assert len(r.body) == n and sha(r.body) == body_sha256(n)
    assert r.header("X-Sha256") == body_sha256(n)
    assert r.body == body_bytes(n)
    framing = {"bytes": ("Content-Length", str(n)),
               "chunked": ("Transfer-Encoding", "chunked"),
               "close": ("Connection", "close")}[kind]
    assert r.header(framing[0]) == framing[1]
    if kind == "close":
        assert r.header("Content-Length") is None


def test_chunk_sizes_vary(origin):
    with socket.create_connection(("127.0.0.1", origin.port), 5) as s:
        s.sendall(req("/chunked/20000", extra=b"Connection: close\r\n"))
        raw = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            raw += d
    assert b"\r\n1\r\n" in raw and b"\r\n7\r\n" in raw and b"\r\n64\r\n" in raw


def test_keepalive_pipelining_and_conn_ids(origin):
    with RawClient(origin.port) as c:
        c.send(req("/bytes/3") + req("/chunked/5") + req("/status/204"))
        rs = [c.read_response() for _ in range(3)]
        c.send(req("/head", "HEAD"))
        h = c.read_response("HEAD")
    assert [r.status for r in rs] == [200, 200, 204]
    assert rs[0].body == body_bytes(3) and rs[1].body == body_bytes(5)
    assert h.status == 200 and h.body == b""
    ids = {r["conn_id"] for r in origin.records()}
    assert len(ids) == 1 and len(origin.records()) == 4
    with RawClient(origin.port) as c:
        c.send(req("/"))
        c.read_response()
    assert len({r["conn_id"] for r in origin.records()}) == 2


def test_http10_closes(origin):
    with RawClient(origin.port) as c:
        c.send(b"GET /bytes/4 HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.body == body_bytes(4)
        assert c.is_closed()


@pytest.mark.parametrize("code", [204, 304, 404])
def test_status(origin, code):
    with RawClient(origin.port) as c:
        c.send(req("/status/%d" % code) + req("/bytes/2"))
        r = c.read_response()
        assert r.status == code
        assert (r.body == b"") == (code in (204, 304))
        assert c.read_response().body == body_bytes(2)   # framing intact


def test_echo_and_records(origin):
    body = body_bytes(5000)
    with RawClient(origin.port) as c:
        c.send(req("/echo", "POST", b"Content-Length: 5000\r\nX-A: 1\r\n")
               + body)
        r = c.read_response()
        c.send(req("/echo", "POST", b"Transfer-Encoding: chunked\r\n")
               + b"3\r\nabc\r\n1;ext=1\r\nd\r\n0\r\nT: 1\r\n\r\n")
        r2 = c.read_response()
    assert r.body == body and r2.body == b"abcd"
    rec = origin.records()
    assert rec[0]["body_sha256"] == sha(body) and rec[0]["body_len"] == 5000
    assert rec[0]["headers"] == ["Host: x", "Content-Length: 5000", "X-A: 1"]
    assert rec[0]["peer"][0] == "127.0.0.1" and rec[0]["method"] == "POST"
    assert rec[1]["body_len"] == 4


def test_expect_100(origin):
    with RawClient(origin.port) as c:
        c.send(req("/expect", "POST", b"Content-Length: 3\r\n"
                   b"Expect: 100-continue\r\n"))
        # The 100 comes before we send the body.
        while b"\r\n\r\n" not in c.buf:
            c._fill()
        assert c.buf.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        c.send(b"xyz")
        r = c.read_response()
    assert json.loads(r.body) == {"length": 3, "sha256": sha(b"xyz"),
                                  "sent_100": True}


def test_upgrade_echo(origin):
    with RawClient(origin.port) as c:
        c.send(req("/upgrade", extra=b"Connection: Upgrade\r\n"
                   b"Upgrade: websocket\r\n"))
        r = c.read_response()
        assert r.status == 101 and r.header("Upgrade") == "websocket"
        c.send(b"\x81\x05hello")
        assert c.recv_exact(7) == b"\x81\x05hello"


def test_reset_and_never(origin):
    with RawClient(origin.port) as c:
        c.send(req("/reset"))
        with pytest.raises(ConnectionResetError):
            c.sock.recv(10)
    with RawClient(origin.port, timeout=0.5) as c:
        c.send(req("/never"))
        with pytest.raises(socket.timeout):
            c.sock.recv(10)


def test_slow(origin):
    t0 = time.monotonic()
    with RawClient(origin.port) as c:
        c.send(req("/slow/300"))
        assert c.read_response().body == b"slow\n"
    assert time.monotonic() - t0 >= 0.3


def test_peer_and_headers(origin):
    with RawClient(origin.port) as c:
        c.send(req("/peer") + req("/headers", extra=b"X-B: 2\r\n"))
        peer = json.loads(c.read_response().body)
        hdrs = json.loads(c.read_response().body)
    assert peer["addr"] == "127.0.0.1" and peer["local_port"] == origin.port
    assert hdrs["headers"] == [["Host", "x"], ["X-B", "2"]]


def test_echo_server(echo_server):
    with RawClient(echo_server.port) as c:
        c.send(b"ping")
        assert c.recv_exact(4) == b"ping"


def test_curl_helper_direct(origin, tmp_path):
    """curl() against the origin used as if it were a proxy: the origin
    answers absolute-form requests, so the helper's parsing is exercised."""
    r = curl(origin.port, "http://127.0.0.1:%d/bytes/1000" % origin.port)
    assert r.rc == 0 and r.status == 200, r
    assert r.body_sha256 == body_sha256(1000) and r.body_len == 1000
    up = tmp_path / "up"
    up.write_bytes(body_bytes(3000))
    r = curl(origin.port, "http://127.0.0.1:%d/sink" % origin.port,
             data_file=up, args=["-H", "Expect: 100-continue"])
    assert r.status == 200 and [h[0] for h in r.heads] == [100, 200], r.heads
    assert json.loads(r.body)["sha256"] == body_sha256(3000)
    assert origin.records()[0]["target"].startswith("http://")


def test_standalone_script(tmp_path):
    port = free_port()
    p = subprocess.Popen(["/usr/bin/python3", ORIGIN, "--listen",
                          "127.0.0.1:%d" % port], stdout=subprocess.PIPE,
                         text=True)
    try:
        assert p.stdout.readline().split() == ["READY", "http", "127.0.0.1",
                                               str(port)]
        assert poll(lambda: port in listening_ports(), 5)
        with RawClient(port) as c:
            c.send(req("/bytes/10") + req("/__records"))
            c.read_response()
            recs = json.loads(c.read_response().body)
        assert [r["path"] for r in recs] == ["/bytes/10"]
    finally:
        p.terminate()
        p.wait(5)


def test_stream_100mib(origin):
    """100 MiB out in bounded time, checksummed (the origin generates it
    while sending)."""
    n = 100 << 20
    t0 = time.monotonic()
    h = hashlib.sha256()
    with RawClient(origin.port, timeout=30) as c:
        c.send(req("/bytes/%d" % n))
        while b"\r\n\r\n" not in c.buf:
            c._fill()
        head, _, rest = c.buf.partition(b"\r\n\r\n")
        assert b"Content-Length: %d" % n in head
        h.update(rest)
        got = len(rest)
        while got < n:
            d = c.sock.recv(min(1 << 20, n - got))
            assert d, "short body: %d" % got
            h.update(d)
            got += len(d)
    assert h.hexdigest() == body_sha256(n)
    assert time.monotonic() - t0 < 30
