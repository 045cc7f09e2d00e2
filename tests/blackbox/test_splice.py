# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_splice.py - zero-copy paths: CONNECT and Upgrade tunnels, and
Content-Length request and response bodies of at least 64 KiB, move
socket -> pipe -> socket with splice(2).

Each case moves bytes that are checked byte for byte at the far side
(sha256), and then asserts from /metrics (stats_port) that
tproxyd_spliced_bytes_total grew by about what went through, so a case
fails when the copy path did the work instead; the byte counters and the
access.log size are checked exactly where the test knows them. Bytes may
legitimately take the copy path at the start (read before the pipe could
start: with the request head, or while the 200/101 head was being written)
and at the tail of a body (the pipe emptied with less than 64 KiB left):
SLACK allows for that.

The tunnel peers are scripted here (ScriptedServer): one thread per
connection running a function of the accepted socket, so each case says
exactly what the server sends, when it half-closes or resets, and what it
must have received. Loopback only.

A binary built with -DTPROXYD_SPLICE_FAULT=N (every Nth splice() fails as
on a socket that cannot splice, to exercise the fall-back to copying) must
still pass every byte-for-byte check: run with TPROXYD_SPLICE_FAULT=N in
the environment too, and the splice counters are not asserted:

    CFLAGS="-O1 -g -DTPROXYD_SPLICE_FAULT=2" make SAN=1 B=build/fault2 \
        build/fault2/tproxyd
    TPROXYD_SPLICE_FAULT=2 TPROXYD_BUILD=build/fault2 \
        /usr/bin/python3 -m pytest -q tests/blackbox/test_splice.py

(N=1: never splice; N=2: fills and writes alternate, so it is mostly the
writes out of a pipe that fail, and the bytes in it are read back and
copied.)
"""

import hashlib
import json
import os
import random
import socket
import threading
import time

import pytest

from harness import (ProtocolError, RawClient, curl, free_port, get_req,
                     poll, scrape_metrics, wait_sent)
from origin import body_sha256

KiB, MiB = 1024, 1024 * 1024
SLACK = 256 * KiB
HEAD200 = b"HTTP/1.1 200 Connection established\r\n\r\n"
FAULTY = os.environ.get("TPROXYD_SPLICE_FAULT") is not None

SPLICED = 'tproxyd_spliced_bytes_total{direction="%s"}'
BYTES = 'tproxyd_bytes_total{peer="%s",direction="%s"}'


def sha(b):
    return hashlib.sha256(b).hexdigest()


def pattern(n, key):
    """n pseudo-random bytes, different for each key (so that the two
    directions of a tunnel cannot be mistaken for each other)."""
    return random.Random(key).randbytes(n)


# ---------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------

scrape = scrape_metrics


def delta(before, after):
    return {k: after[k] - before.get(k, 0) for k in after}


def assert_spliced(d, direction, n, slack=SLACK):
    """About n bytes (at most n, at least n - slack) went through splice
    in that direction."""
    if FAULTY:
        return
    got = d[SPLICED % direction]
    assert n - slack <= got <= n, (
        "%s: %d bytes spliced, expected %d (less at most %d): the copy "
        "path moved them?" % (direction, got, n, slack))


# ---------------------------------------------------------------------------
# sockets
# ---------------------------------------------------------------------------

def read_all(sock, initial=b"", timeout=30):
    """Read until the peer ends the stream. Returns (bytes, how) with how
    "eof" (FIN) or "reset" (RST)."""
    data = bytearray(initial)
    sock.settimeout(timeout)
    while True:
        try:
            d = sock.recv(262144)
        except ConnectionResetError:
            return bytes(data), "reset"
        if not d:
            return bytes(data), "eof"
        data += d


def rst(sock):
    """Close with a RST (SO_LINGER 0)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()


class Sender(threading.Thread):
    """Send data on sock in a thread, then half-close (shut) or not."""

    def __init__(self, sock, data, shut=True, piece=256 * KiB):
        super().__init__(daemon=True)
        self.sock, self.data, self.shut, self.piece = sock, data, shut, piece
        self.error = None
        self.start()

    def run(self):
        try:
            for i in range(0, len(self.data), self.piece):
                self.sock.sendall(self.data[i:i + self.piece])
            if self.shut:
                self.sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            self.error = e

    def finish(self, timeout=30):
        self.join(timeout)
        assert not self.is_alive(), "sender still blocked after %ds" % timeout
        return self.error


class ScriptedServer:
    """A TCP server on 127.0.0.1: script(sock) runs for each accepted
    connection in its own thread; result(i) waits for the i-th one and
    returns what the script returned (or raises what it raised)."""

    def __init__(self, script):
        self.script = script
        self.results = []
        self.done = []
        self._lock = threading.Lock()

    def __enter__(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        self.port = s.getsockname()[1]
        self._lsock = s
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._lsock.close()

    def _accept(self):
        while True:
            try:
                s, _ = self._lsock.accept()
            except OSError:
                return
            s.settimeout(30)
            ev = threading.Event()
            slot = {}
            with self._lock:
                self.results.append(slot)
                self.done.append(ev)
            threading.Thread(target=self._run, args=(s, slot, ev),
                             daemon=True).start()

    def _run(self, s, slot, ev):
        try:
            slot["value"] = self.script(s)
        except Exception as e:      # reported by result()
            slot["error"] = e
        finally:
            try:
                s.close()
            except OSError:
                pass
            ev.set()

    def result(self, i=0, timeout=30):
        end = time.monotonic() + timeout
        assert poll(lambda: len(self.done) > i, timeout, 0.01), \
            "the server got no connection %d" % i
        assert self.done[i].wait(max(0, end - time.monotonic())), \
            "server script %d still running after %ds" % (i, timeout)
        if "error" in self.results[i]:
            raise self.results[i]["error"]
        return self.results[i]["value"]


@pytest.fixture
def proxy(tproxyd):
    sport = free_port()
    p = tproxyd(["stats_port %d" % sport])
    p.stats_port = sport
    return p


def open_tunnel(p, port):
    """A RawClient through which CONNECT 127.0.0.1:port succeeded (bytes
    after the 200 head are left in its .buf)."""
    target = "127.0.0.1:%d" % port
    c = RawClient(p.port, timeout=30)
    c.send(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" %
            (target, target)).encode())
    r = c.read_response("CONNECT")
    assert r.status == 200, r
    assert r.head_raw + b"\r\n\r\n" == HEAD200
    return c


def tunnel_log(p, port):
    target = "127.0.0.1:%d" % port
    return p.wait_access(lambda e: e["method"] == "CONNECT" and
                         e["url"] == target, timeout=10)


# ---------------------------------------------------------------------------
# CONNECT tunnels
# ---------------------------------------------------------------------------

def check_complete_tunnel(proxy, srv, before, up, down):
    """A tunnel that carried up and down in full: its access.log line and
    the spliced byte counters. Returns the counters' deltas."""
    e = tunnel_log(proxy, srv.port)
    assert (e["code"], e["status"]) == ("TCP_TUNNEL", 200), e["raw"]
    assert e["bytes"] == len(HEAD200) + len(down), e["raw"]
    d = delta(before, scrape(proxy.stats_port))
    assert_spliced(d, "tunnel_up", len(up))
    assert_spliced(d, "tunnel_down", len(down))
    return d


def test_connect_duplex_checksummed(proxy):
    """6 MiB each way at the same time; each side half-closes after its
    last byte, and the FIN reaches the other side after every byte."""
    up, down = pattern(6 * MiB, 1), pattern(6 * MiB, 2)

    def script(s):
        t = Sender(s, down)
        got, how = read_all(s)
        return len(got), sha(got), how, t.finish()

    with ScriptedServer(script) as srv:
        before = scrape(proxy.stats_port)
        c = open_tunnel(proxy, srv.port)
        t = Sender(c.sock, up)
        got, how = read_all(c.sock, c.buf)
        assert t.finish() is None
        c.close()
        res = srv.result()
    assert (len(got), how) == (len(down), "eof")
    assert sha(got) == sha(down), "server-to-client bytes differ"
    assert res == (len(up), sha(up), "eof", None), \
        "client-to-server bytes differ: %r" % (res,)
    d = check_complete_tunnel(proxy, srv, before, up, down)
    assert_spliced(d, "request", 0, 0)
    # Byte counters as with copying; the server side saw only the tunnel.
    assert d[BYTES % ("server", "out")] == len(up), d
    assert d[BYTES % ("server", "in")] == len(down), d
    assert 0 <= d[BYTES % ("client", "in")] - len(up) < 4 * KiB, d
    assert 0 <= d[BYTES % ("client", "out")] - len(HEAD200) - len(down) \
        < 64 * KiB, d


def test_connect_client_bytes_before_200(proxy):
    """The client sends 200 KiB right behind its CONNECT head, without
    waiting for the 200 (more than the proxy's input buffer holds while it
    connects): those bytes go first, in order, then 2 MiB more."""
    early, rest = pattern(200 * KiB, 16), pattern(2 * MiB, 17)

    def script(s):
        got, how = read_all(s)
        return got, how

    with ScriptedServer(script) as srv:
        target = "127.0.0.1:%d" % srv.port
        before = scrape(proxy.stats_port)
        c = RawClient(proxy.port, timeout=30)
        t = Sender(c.sock, ("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" %
                            (target, target)).encode() + early, shut=False)
        r = c.read_response("CONNECT")
        assert r.status == 200, r
        assert t.finish() is None
        c.sock.sendall(rest)
        c.sock.shutdown(socket.SHUT_WR)
        got, how = srv.result()
        back, how_c = read_all(c.sock, c.buf)
        c.close()
    assert how == "eof" and len(got) == len(early) + len(rest)
    assert got == early + rest, "client bytes lost or out of order"
    assert (back, how_c) == (b"", "eof")
    e = tunnel_log(proxy, srv.port)
    assert e["bytes"] == len(HEAD200), e["raw"]
    d = delta(before, scrape(proxy.stats_port))
    assert_spliced(d, "tunnel_up", len(early) + len(rest))
    assert d[BYTES % ("server", "out")] == len(early) + len(rest), d


def test_connect_client_half_close_first(proxy):
    """The client sends 2 MiB and shuts its write side; only then does the
    server answer 1 MiB: the tunnel stays open the other way."""
    up, down = pattern(2 * MiB, 3), pattern(1 * MiB, 4)

    def script(s):
        got, how = read_all(s)
        s.sendall(down)
        return len(got), sha(got), how

    with ScriptedServer(script) as srv:
        before = scrape(proxy.stats_port)
        c = open_tunnel(proxy, srv.port)
        c.sock.sendall(up)
        c.sock.shutdown(socket.SHUT_WR)
        got, how = read_all(c.sock, c.buf)
        c.close()
        res = srv.result()
    assert res == (len(up), sha(up), "eof"), res
    assert (len(got), sha(got), how) == (len(down), sha(down), "eof")
    d = check_complete_tunnel(proxy, srv, before, up, down)


def test_connect_server_half_close_first(proxy):
    """The server sends 1 MiB and shuts its write side at once; the client
    reads it to the end, then sends 2 MiB, which must all arrive."""
    up, down = pattern(2 * MiB, 5), pattern(1 * MiB, 6)

    def script(s):
        s.sendall(down)
        s.shutdown(socket.SHUT_WR)
        got, how = read_all(s)
        return len(got), sha(got), how

    with ScriptedServer(script) as srv:
        before = scrape(proxy.stats_port)
        c = open_tunnel(proxy, srv.port)
        got, how = read_all(c.sock, c.buf)
        assert (len(got), sha(got), how) == (len(down), sha(down), "eof")
        c.sock.sendall(up)
        c.sock.shutdown(socket.SHUT_WR)
        res = srv.result()
        # Both directions ended: the proxy closes; nothing more arrives.
        rest, how = read_all(c.sock)
        c.close()
    assert res == (len(up), sha(up), "eof"), res
    assert (rest, how) == (b"", "eof")
    d = check_complete_tunnel(proxy, srv, before, up, down)


def test_connect_server_reset_mid_stream(proxy):
    """The server sends 3 MiB, then resets the connection: the client gets
    the stream and then a reset, never a clean end."""
    down = pattern(3 * MiB, 7)
    received = threading.Event()

    def script(s):
        s.sendall(down)
        # The cut comes once the client has every byte: what was spliced
        # is then exactly what it got (a reset while bytes are still in
        # the proxy would discard them after they were counted).
        assert received.wait(20), "the client did not get the 3 MiB"
        rst(s)
        return True

    with ScriptedServer(script) as srv:
        before = scrape(proxy.stats_port)
        c = open_tunnel(proxy, srv.port)
        first = c.recv_exact(len(down))
        received.set()
        rest, how = read_all(c.sock, c.buf)
        got = first + rest
        c.close()
        assert srv.result()
    assert rest == b"", "bytes after the server's last ones"
    assert how == "reset", "the cut tunnel ended like a complete one"
    assert got == down[:len(got)], "bytes before the reset differ"
    e = tunnel_log(proxy, srv.port)
    assert e["code"] == "TCP_TUNNEL_ABORTED" and e["status"] == 200, \
        e["raw"]
    assert len(HEAD200) + len(got) <= e["bytes"] <= \
        len(HEAD200) + len(down), e["raw"]
    d = delta(before, scrape(proxy.stats_port))
    assert_spliced(d, "tunnel_down", len(got), SLACK)
    assert d["tproxyd_requests_aborted_total"] == 1, d


def test_connect_client_reset_mid_stream(proxy):
    """The client sends 2 MiB, then resets: the server gets a prefix and
    then a reset."""
    up = pattern(2 * MiB, 8)

    def script(s):
        got, how = read_all(s)
        return got, how

    with ScriptedServer(script) as srv:
        c = open_tunnel(proxy, srv.port)
        c.sock.sendall(up)
        wait_sent(c.sock, 20)   # all of it acknowledged, then cut
        rst(c.sock)
        got, how = srv.result()
    assert how == "reset", "the server saw a clean end of a cut stream"
    assert got == up[:len(got)]
    e = tunnel_log(proxy, srv.port)
    assert e["code"] == "TCP_TUNNEL_ABORTED", e["raw"]


def test_connect_idle_timeout(tproxyd):
    """read_timeout is an inactivity timeout for spliced tunnels too: a
    tunnel busy for longer than it stays open, an idle one is closed."""
    sport = free_port()
    p = tproxyd(["stats_port %d" % sport, "read_timeout 1 seconds"])
    piece = pattern(64 * KiB, 9)

    def echo(s):
        n = 0
        while True:
            d = s.recv(65536)
            if not d:
                return n
            n += len(d)
            s.sendall(d)

    with ScriptedServer(echo) as srv:
        before = scrape(sport)
        c = open_tunnel(p, srv.port)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2.5:
            c.sock.sendall(piece)
            assert c.recv_exact(len(piece)) == piece
            # Under test, not synchronisation: activity every 0.25 s,
            # well within read_timeout, for longer than read_timeout.
            time.sleep(0.25)
        t1 = time.monotonic()
        rest, how = read_all(c.sock, c.buf, timeout=10)
        took = time.monotonic() - t1
        c.close()
    assert rest == b"" and how == "eof"
    assert 0.7 <= took < 4, "idle tunnel closed after %.1fs" % took
    e = tunnel_log(p, srv.port)
    assert e["code"] == "TCP_TUNNEL", e["raw"]
    d = delta(before, scrape(sport))
    n = e["bytes"] - len(HEAD200)
    assert n >= 9 * len(piece)
    assert_spliced(d, "tunnel_up", n)
    assert_spliced(d, "tunnel_down", n)


# ---------------------------------------------------------------------------
# Upgrade (101) tunnels
# ---------------------------------------------------------------------------

HEAD101 = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\n\r\n")


def test_upgrade_bytes_right_after_heads(proxy):
    """The client sends 100 KiB right behind its request head (more than
    the proxy's input buffer), the server 100 KiB in the same write as its
    101: those go first, in order, then 4 MiB spliced each way."""
    early = pattern(100 * KiB, 10)
    greeting = pattern(100 * KiB, 11)
    up = pattern(4 * MiB, 12)

    def script(s):
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            assert d, "no request head"
            buf += d
        head, _, extra = buf.partition(b"\r\n\r\n")
        s.sendall(HEAD101 + greeting)
        got = bytearray(extra)
        if extra:
            s.sendall(extra)
        while True:
            d = s.recv(262144)
            if not d:
                break
            got += d
            s.sendall(d)
        s.shutdown(socket.SHUT_WR)
        return head, bytes(got)

    with ScriptedServer(script) as srv:
        url = "http://127.0.0.1:%d/ws" % srv.port
        before = scrape(proxy.stats_port)
        c = RawClient(proxy.port, timeout=30)
        c.send(get_req(url, headers=["Connection: Upgrade",
                                     "Upgrade: websocket"]) + early)
        r = c.read_response()
        assert r.status == 101, r
        t = Sender(c.sock, up)
        got, how = read_all(c.sock, c.buf)
        assert t.finish() is None
        c.close()
        head, echoed = srv.result()
    assert b"upgrade: websocket" in head.lower()
    assert echoed == early + up, "client-to-server bytes differ"
    want = greeting + early + up
    assert how == "eof" and len(got) == len(want)
    assert got == want, "server-to-client bytes differ or out of order"
    e = proxy.wait_access(lambda e: e["url"] == url, timeout=10)
    assert (e["code"], e["status"]) == ("TCP_TUNNEL", 101), e["raw"]
    assert e["bytes"] == len(r.head_raw) + 4 + len(want), e["raw"]
    d = delta(before, scrape(proxy.stats_port))
    assert_spliced(d, "tunnel_up", len(early) + len(up))
    assert_spliced(d, "tunnel_down", len(want))


# ---------------------------------------------------------------------------
# request and response bodies
# ---------------------------------------------------------------------------

def test_post_4mib_content_length(proxy, origin):
    n = 4 * MiB
    body = pattern(n, 13)
    url = origin.url("/sink")
    before = scrape(proxy.stats_port)
    with RawClient(proxy.port, timeout=30) as c:
        c.send(get_req(url, "POST", ["Content-Type: application/x-test",
                                     "Content-Length: %d" % n]))
        for i in range(0, n, 256 * KiB):
            c.send(body[i:i + 256 * KiB])
        r = c.read_response("POST")
    assert r.status == 200, r
    got = json.loads(r.body)
    assert (got["length"], got["sha256"]) == (n, sha(body))
    rec = [x for x in origin.records() if x["path"] == "/sink"]
    assert len(rec) == 1 and rec[0]["body_len"] == n
    assert rec[0]["body_sha256"] == sha(body)
    e = proxy.wait_access(lambda e: e["url"] == url)
    assert (e["method"], e["status"]) == ("POST", 200), e["raw"]
    assert e["bytes"] == len(r.head_raw) + 4 + len(r.body), e["raw"]
    d = delta(before, scrape(proxy.stats_port))
    assert_spliced(d, "request", n)
    assert_spliced(d, "tunnel_up", 0, 0)
    assert 0 <= d[BYTES % ("server", "out")] - n < 4 * KiB, d
    assert 0 <= d[BYTES % ("client", "in")] - n < 8 * KiB, d


def test_post_expect_100_continue(proxy, origin, tmp_path):
    """curl waits for the origin's 100 Continue before its 2 MiB body: the
    pipe is ready before the body arrives, the interim response passes."""
    n = 2 * MiB
    f = tmp_path / "up"
    f.write_bytes(pattern(n, 18))
    before = scrape(proxy.stats_port)
    r = curl(proxy.port, origin.url("/expect"), data_file=f, max_time=20,
             args=["-H", "Expect: 100-continue",
                   "--expect100-timeout", "10"])
    assert r.rc == 0 and r.status == 200, r
    assert [h[0] for h in r.heads] == [100, 200], r.heads
    got = json.loads(r.body)
    assert got == {"length": n, "sha256": sha(f.read_bytes()),
                   "sent_100": True}, got
    d = delta(before, scrape(proxy.stats_port))
    assert_spliced(d, "request", n)


def test_keepalive_pipelined_bodies(proxy, origin):
    """On one connection: a 1 MiB POST with a GET pipelined right behind
    its body, a 3 MiB download, then another POST: every message intact
    and in order, pipes reused across the requests."""
    b1, b3 = pattern(1 * MiB, 14), pattern(512 * KiB, 15)
    sink = origin.url("/sink")
    big = origin.url("/bytes/%d" % (3 * MiB))
    before = scrape(proxy.stats_port)
    with RawClient(proxy.port, timeout=30) as c:
        c.send(get_req(sink, "POST", body=b1) + get_req(big))
        r1 = c.read_response("POST")
        r2 = c.read_response()
        c.send(get_req(sink, "POST", body=b3))
        r3 = c.read_response("POST")
    assert [r.status for r in (r1, r2, r3)] == [200, 200, 200]
    assert sha(b1).encode() in r1.body and sha(b3).encode() in r3.body
    assert len(r2.body) == 3 * MiB
    assert sha(r2.body) == body_sha256(3 * MiB)
    recs = origin.records()
    assert [x["path"] for x in recs] == ["/sink", "/bytes/%d" % (3 * MiB),
                                         "/sink"]
    assert [x["body_sha256"] for x in recs] == [sha(b1), sha(b""),
                                                sha(b3)]
    d = delta(before, scrape(proxy.stats_port))
    assert_spliced(d, "request", len(b1) + len(b3), 2 * SLACK)
    assert_spliced(d, "response", 3 * MiB)


def test_download_spliced_and_logged(proxy, origin):
    n = 4 * MiB
    url = origin.url("/bytes/%d" % n)
    before = scrape(proxy.stats_port)
    with RawClient(proxy.port, timeout=30) as c:
        c.send(get_req(url))
        r = c.read_response()
    assert r.status == 200 and sha(r.body) == body_sha256(n)
    e = proxy.wait_access(lambda e: e["url"] == url)
    assert e["bytes"] == len(r.head_raw) + 4 + n, e["raw"]
    d = delta(before, scrape(proxy.stats_port))
    assert_spliced(d, "response", n)


def read_head(s):
    """Read an HTTP head from a server-side socket; returns (head, rest)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        assert d, "no request head"
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def test_response_cut_short_is_not_completed(proxy):
    """The server promises 4 MiB and closes after 1 MiB: the client gets
    what arrived, then the connection is closed: never a complete body."""
    n, sent = 4 * MiB, 1 * MiB
    body = pattern(sent, 19)

    def script(s):
        read_head(s)
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n +
                  body)
        wait_sent(s, 20)        # all of it acknowledged; then the close
        return True

    with ScriptedServer(script) as srv:
        url = "http://127.0.0.1:%d/cut" % srv.port
        before = scrape(proxy.stats_port)
        with RawClient(proxy.port, timeout=30) as c:
            c.send(get_req(url))
            # The head, then the body bytes that came, then the end.
            with pytest.raises(ProtocolError):
                c.read_response()
            got = c.buf
        assert srv.result()
    assert got == body, "%d of %d body bytes" % (len(got), len(body))
    e = proxy.wait_access(lambda e: e["url"] == url)
    assert e["code"] == "TCP_MISS_ABORTED" and e["status"] == 200, e["raw"]
    d = delta(before, scrape(proxy.stats_port))
    assert_spliced(d, "response", sent)


def test_upload_cut_short_is_not_completed(proxy):
    """The client announces 4 MiB and closes after 1 MiB: the server gets
    at most that, then the connection closes, and no response is made up."""
    n, sent = 4 * MiB, 1 * MiB
    body = pattern(sent, 20)

    def script(s):
        _, rest = read_head(s)
        got, how = read_all(s, rest)
        return got, how

    with ScriptedServer(script) as srv:
        url = "http://127.0.0.1:%d/up" % srv.port
        before = scrape(proxy.stats_port)
        c = RawClient(proxy.port, timeout=30)
        c.send(get_req(url, "POST", ["Content-Length: %d" % n]) + body)
        wait_sent(c.sock, 20)   # all of it acknowledged; then the close
        c.close()
        got, how = srv.result()
    assert got == body[:len(got)] and len(got) < n
    e = proxy.wait_access(lambda e: e["url"] == url)
    # As on the copy path: no status, nothing sent back.
    assert (e["method"], e["status"], e["bytes"]) == ("POST", 0, 0), \
        e["raw"]
    d = delta(before, scrape(proxy.stats_port))
    assert_spliced(d, "request", sent)


def test_pipes_closed_with_connections(proxy, origin):
    """After tunnels (ended, reset), uploads (whole, cut) and downloads
    that spliced, the daemon holds exactly the descriptors it held before,
    but for idle server connections kept for reuse (a request that could
    not be retried does not take one): every pipe went with its
    connection."""
    def idle():
        return int(scrape_metrics(proxy.stats_port)[
            'tproxyd_server_connections{state="idle"}'])

    def nfds():
        return len(os.listdir("/proc/%d/fd" % proxy.proc.pid)) - idle()

    def echo(s):
        got, how = read_all(s)
        s.sendall(got)
        return how

    def reset(s):
        s.sendall(pattern(512 * KiB, 21))
        wait_sent(s, 20)
        rst(s)
        return True

    base = nfds()
    up = pattern(1 * MiB, 22)
    with ScriptedServer(echo) as srv:
        c = open_tunnel(proxy, srv.port)
        c.sock.sendall(up)
        # Two sockets and the client-to-server pipe (when splicing).
        assert FAULTY or poll(lambda: nfds() >= base + 4, 5), nfds() - base
        c.sock.shutdown(socket.SHUT_WR)
        assert read_all(c.sock, c.buf) == (up, "eof")
        c.close()
    with ScriptedServer(reset) as srv:
        c = open_tunnel(proxy, srv.port)
        assert read_all(c.sock, c.buf)[1] == "reset"
        c.close()
    with RawClient(proxy.port, timeout=30) as c:
        c.send(get_req(origin.url("/sink"), "POST", body=up))
        assert c.read_response("POST").status == 200
        c.send(get_req(origin.url("/bytes/%d" % MiB)))
        assert len(c.read_response().body) == MiB
    c = RawClient(proxy.port, timeout=30)
    c.send(get_req(origin.url("/sink"), "POST",
                   ["Content-Length: %d" % (4 * MiB)]) + up)
    wait_sent(c.sock, 20)
    c.close()
    assert poll(lambda: nfds() == base, 5), \
        "%d descriptors before, %d after" % (base, nfds())
