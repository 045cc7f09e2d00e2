# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_faults.py - faults on either side never crash tproxyd, never leave a
connection held, never present a broken response as complete (issue 6).

Each test checks three things: what the client gets, the access.log line,
and that tproxyd still serves another client afterwards (or during the
fault). Origins: origin.py for the well-behaved paths (/never,
/reset-mid), raw_server.RawServer where exact timing or closing is needed.
All addresses are loopback; every wait is bounded.
"""

import socket
import threading
import time

import pytest

from harness import ProtocolError, RawClient, closed_port, curl, get_req, \
    poll, raw_request, wait_for
from raw_server import RawServer


def assert_serving(p, origin):
    """A normal GET through p works (within 5 s)."""
    t0 = time.monotonic()
    r = raw_request(p.port, get_req(origin.url("/ok")), timeout=5)[0]
    assert r.status == 200 and r.body == b"ok\n", r
    return time.monotonic() - t0


def assert_error_page(r, status, names):
    assert r.status == status, r
    name = (r.header("X-Squid-Error") or "").partition(" ")[0]
    assert name in names, r.headers
    return name


# ---- server side: refused, silent, reset ----------------------------------

def test_origin_refused(tproxyd, origin):
    p = tproxyd()
    url = "http://127.0.0.1:%d/refused" % closed_port()
    r = curl(p.port, url, max_time=10)
    assert r.rc == 0, r
    assert_error_page(r, 503, ["ERR_CONNECT_FAIL"])
    e = p.wait_access_url(url)
    assert e["status"] == 503 and e["hier"] == "HIER_NONE", e["raw"]
    assert_serving(p, origin)


def test_origin_never_answers(tproxyd, origin):
    p = tproxyd(["read_timeout 1 seconds"])
    t0 = time.monotonic()
    r = curl(p.port, origin.url("/never"), max_time=10)
    took = time.monotonic() - t0
    assert r.rc == 0, r
    assert_error_page(r, 504, ["ERR_READ_TIMEOUT"])
    assert 0.9 <= took < 4, "504 after %.1fs with read_timeout 1 s" % took
    e = p.wait_access_url(origin.url("/never"))
    assert e["status"] == 504, e["raw"]
    assert_serving(p, origin)


def test_origin_reset_mid_body(tproxyd, origin):
    """Head and 10 of 1000 bytes, then RST: the client must see a cut
    response (curl 18 'partial file' or 56 'recv failure'), never 1000
    bytes, and the access.log line must exist."""
    p = tproxyd()
    url = origin.url("/reset-mid")
    r = curl(p.port, url, max_time=10)
    assert r.status == 200, r
    assert r.rc in (18, 56), r
    assert r.body_len < 1000, r
    # Raw: the connection is closed after what arrived; no fake ending.
    with RawClient(p.port, timeout=5) as c:
        c.send(get_req(url))
        with pytest.raises(ProtocolError):
            c.read_response()
        assert c.eof
    e = p.wait_access_url(url)
    assert e["status"] == 200 or "ABORTED" in e["code"], e["raw"]
    assert e["bytes"] < 1000 + 1024, e["raw"]
    assert_serving(p, origin)


# ---- a pooled server connection closed under our feet ---------------------

FIRST = (b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 5"
         b"\r\n\r\nfirst")
FRESH = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh"


def close_on_reuse(conn, head):
    """First request on a connection: answered, kept. A second request on
    the same connection: read, then the connection is closed unanswered
    (the server timed it out at the very moment the proxy reused it)."""
    if conn.nreq == 0:
        return (FIRST if b" /first" in head else FRESH), "keep"
    return b"", "close"


def prime_pool(p, srv):
    """One request to srv, answered with keep-alive: once its access.log
    line is there, the transaction is over and the server connection is
    idle in the pool."""
    r = raw_request(p.port, get_req(srv.url("/first")), timeout=5)[0]
    assert r.status == 200 and r.body == b"first", r
    p.wait_access_url(srv.url("/first"))


def test_stale_pooled_get_is_retried(tproxyd, origin):
    p = tproxyd()
    with RawServer(close_on_reuse) as srv:
        prime_pool(p, srv)
        try:
            r = raw_request(p.port, get_req(srv.url("/second")),
                            timeout=5)[0]
        except (socket.timeout, ProtocolError) as exc:
            r = exc
        reqs = srv.requests()
        conns = [(c.index, c.nreq, c.requests) for c in srv.conns]
        assert not isinstance(r, Exception), (
            "no answer to the GET (%r); server connections (index, "
            "answered, request heads): %r" % (r, conns))
        # The scenario really happened: /second was tried on the pooled
        # connection 0, which the server closed...
        assert [(i, h.split(b" ")[1]) for i, h in reqs][:2] == [
            (0, b"/first"), (0, b"/second")], reqs
        # ...and the idempotent GET was retried once on a new connection.
        assert r.status == 200 and r.body == b"fresh", r
        assert [h.split(b" ")[1] for _, h in reqs].count(b"/second") == 2
        e = p.wait_access_url(srv.url("/second"))
        assert e["status"] == 200, e["raw"]
    assert_serving(p, origin)


def test_post_never_goes_on_a_pooled_connection(tproxyd, origin):
    """A POST could not be replayed if the connection it went out on was
    being closed by the server at that moment (RFC 9110 9.2.2): so, as
    Squid does by default (server_pconn_for_nonretriable), tproxyd never
    sends a request it cannot retry on an idle pooled connection. Here
    the pooled connection would close on reuse: the POST goes on a new
    one, is answered, and is sent exactly once."""
    p = tproxyd()
    with RawServer(close_on_reuse) as srv:
        prime_pool(p, srv)
        url = srv.url("/post")
        r = raw_request(p.port, get_req(url, method="POST", body=b"data"),
                        timeout=5)[0]
        e = p.wait_access_url(url, method="POST")
        assert r.status == 200 and r.body == b"fresh", r
        assert e["status"] == 200, e["raw"]
        posts = [(i, h) for i, h in srv.requests() if h.startswith(b"POST")]
        assert len(posts) == 1, "POST sent %d times: %r" % (len(posts),
                                                             posts)
        assert posts[0][0] == 1, "the POST went to the pooled connection"
        assert [h.split(b" ")[1] for i, h in srv.requests() if i == 0] \
            == [b"/first"], srv.requests()
        # An idempotent GET still takes the pooled connection (and is
        # retried when it turns out closed: test_stale_pooled_get_*).
    assert_serving(p, origin)


def close_50ms_after(conn, head):
    """Keep-alive is announced, then the socket is closed 50 ms later
    without a word."""
    return (FIRST if b" /first" in head else FRESH), 0.05


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_pooled_closed_while_idle(tproxyd, origin, method):
    """The server closed the idle connection before it is needed:
    a GET must succeed; a POST must succeed on a fresh connection or get
    a 502, and never reach the server twice."""
    p = tproxyd()
    with RawServer(close_50ms_after) as srv:
        prime_pool(p, srv)
        # The server has closed the pooled connection (50 ms after its
        # answer) before the next request.
        wait_for(lambda: srv.conns[0].closed is not None, 5,
                 "the server closing its idle connection")
        url = srv.url("/again")
        body = b"data" if method == "POST" else None
        r = raw_request(p.port, get_req(url, method=method, body=body),
                        timeout=5)[0]
        # The transaction's end (its log line): a replay comes before it.
        e = p.wait_access_url(url, method=method)
        again = [(i, h) for i, h in srv.requests() if b" /again " in h]
        if method == "GET" or r.status == 200:
            assert r.status == 200 and r.body == b"fresh", r
        else:
            assert_error_page(r, 502, ["ERR_ZERO_SIZE_OBJECT",
                                       "ERR_READ_ERROR", "ERR_WRITE_ERROR"])
        if method == "POST":
            assert len(again) <= 1, "POST replayed: %r" % again
            if r.status == 200:
                assert srv.conns[again[0][0]].nreq == 1, \
                    "answered on a reused connection?"
        assert e["status"] == r.status, e["raw"]
    assert_serving(p, origin)


# ---- client side: gone mid-upload, gone mid-download, too slow ------------

def test_client_gone_mid_upload(tproxyd, origin):
    """10 MB announced, 100 KB sent, client closes: the proxy must close
    its server connection within 2 s and log the transaction."""
    p = tproxyd()
    with RawServer(lambda c, h: (FRESH, "keep")) as srv:
        url = srv.url("/upload")
        c = RawClient(p.port, timeout=5)
        c.send(get_req(url, method="POST",
                       headers=["Content-Length: %d" % (10 << 20)]))
        c.send(b"u" * (100 << 10))
        # wait until the server has the connection and some body
        assert poll(lambda: srv.conns and srv.conns[0].body_bytes > 0, 3), \
            "the upload never reached the server"
        c.close()
        t0 = time.monotonic()
        closed = srv.conns[0].wait_peer_closed(2.0)
        assert closed is not None, (
            "server connection still open 2 s after the client left "
            "(got %d body bytes)" % srv.conns[0].body_bytes)
        assert closed - t0 < 2.0
        assert srv.conns[0].body_bytes <= 100 << 10
        e = p.wait_access_url(url, method="POST")
        assert e["raw"], e
    assert_serving(p, origin)


def endless_download(conn, head):
    def gen():
        yield (b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
               % (100 * 1000 * 1000))
        piece = b"d" * 65536
        for _ in range(100 * 1000 * 1000 // 65536):
            yield piece
    return gen(), "close"


def test_client_gone_mid_download(tproxyd, origin):
    p = tproxyd()
    with RawServer(endless_download) as srv:
        url = srv.url("/download")
        c = RawClient(p.port, timeout=5)
        c.send(get_req(url))
        got = 0
        while got < 100 << 10:
            d = c.sock.recv(65536)
            assert d, "proxy closed early"
            got += len(d)
        c.close()
        t0 = time.monotonic()
        closed = srv.conns[0].wait_peer_closed(2.0)
        assert closed is not None, \
            "server side still open 2 s after the client left"
        assert closed - t0 < 2.0
        e = p.wait_access_url(url)
        assert e["status"] == 200, e["raw"]
    assert_serving(p, origin)


def test_client_gone_before_response(tproxyd, origin):
    """half_closed_clients off (Squid's default): a client that leaves
    while the server is still thinking does not keep the server connection
    busy until read_timeout; the line ends in _ABORTED/000, as Squid's."""
    p = tproxyd()
    with RawServer(lambda c, h: (b"", "hang")) as srv:
        url = srv.url("/slow")
        c = RawClient(p.port, timeout=5)
        c.send(get_req(url))
        assert poll(lambda: srv.requests(), 3), "no request at the server"
        c.close()
        t0 = time.monotonic()
        closed = srv.conns[0].wait_peer_closed(2.0)
        assert closed is not None, \
            "server connection still open 2 s after the client left"
        assert closed - t0 < 2.0
        e = p.wait_access_url(url)
        assert e["code"] == "TCP_MISS_ABORTED" and e["status"] == 0, e["raw"]
    assert_serving(p, origin)


def late_answer(conn, head):
    def gen():
        time.sleep(0.5)
        yield b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nlate\n"
    return gen(), "keep"


@pytest.mark.parametrize("half_closed", ["on", "off"])
def test_half_closed_client(tproxyd, origin, half_closed):
    """A client that shuts its sending half after a whole request: with
    half_closed_clients on it still gets the answer; off, the transaction
    is given up (Squid's documented behaviour for both)."""
    p = tproxyd(["half_closed_clients %s" % half_closed])
    with RawServer(late_answer) as srv:
        url = srv.url("/late")
        c = RawClient(p.port, timeout=5)
        c.send(get_req(url))
        assert poll(lambda: srv.requests(), 3), "no request at the server"
        c.sock.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            d = c.sock.recv(65536)
            if not d:
                break
            got += d
        c.close()
        e = p.wait_access_url(url)
        if half_closed == "on":
            assert got.startswith(b"HTTP/1.1 200") and got.endswith(
                b"late\n"), got
            assert e["status"] == 200, e["raw"]
        else:
            assert got == b"", got
            assert e["code"] == "TCP_MISS_ABORTED", e["raw"]
    assert_serving(p, origin)


def test_slow_header_dribble(tproxyd, origin):
    """One byte every 100 ms never completes a head: with request_timeout
    2 s the connection gets 408 (or is closed) after ~2 s, not kept alive
    by the dribble, and others are served meanwhile."""
    p = tproxyd(["request_timeout 2 seconds"])
    head = get_req(origin.url("/dribble"),
                   headers=["X-Pad: " + "p" * 200])
    result = {}
    dribbling = threading.Event()

    def dribble():
        s = socket.create_connection(("127.0.0.1", p.port), timeout=8)
        t0 = time.monotonic()
        data = b""
        try:
            for i, b in enumerate(head[:-2]):  # never the final CRLF
                s.send(bytes([b]))
                if i == 3:
                    dribbling.set()
                s.settimeout(0.1)
                try:
                    d = s.recv(65536)
                    if not d:
                        break
                    data += d
                    break
                except socket.timeout:
                    pass
                if time.monotonic() - t0 > 8:
                    break
            s.settimeout(3)
            try:
                while True:
                    d = s.recv(65536)
                    if not d:
                        break
                    data += d
            except (socket.timeout, ConnectionResetError):
                pass
        except (BrokenPipeError, ConnectionResetError):
            pass
        result["took"] = time.monotonic() - t0
        result["data"] = data
        s.close()

    th = threading.Thread(target=dribble)
    th.start()
    # While the dribble is in progress, another client is served at once.
    assert dribbling.wait(5), "the dribbling client did not start"
    assert assert_serving(p, origin) < 1.0
    th.join(15)
    assert not th.is_alive()
    took, data = result["took"], result["data"]
    assert 1.5 <= took < 4.5, "dribbling client held for %.1fs" % took
    if data:
        assert data.startswith(b"HTTP/1.1 408 "), data[:200]
        p.wait_access(lambda e: e["status"] == 408)
    assert origin.records() == [] or all(
        r["path"] != "/dribble" for r in origin.records())
    assert_serving(p, origin)


# ---- DNS --------------------------------------------------------------------

def test_dns_failure(tproxyd, origin):
    """Nothing answers DNS on 127.0.0.1:53 (harness default): 503
    ERR_DNS_FAIL, fast, logged."""
    p = tproxyd()
    url = "http://no-such-host.tproxyd-hostile.invalid/x"
    t0 = time.monotonic()
    r = curl(p.port, url, max_time=15)
    assert r.rc == 0, r
    assert_error_page(r, 503, ["ERR_DNS_FAIL"])
    assert time.monotonic() - t0 < 10
    e = p.wait_access_url(url)
    assert e["status"] == 503, e["raw"]
    assert_serving(p, origin)


@pytest.fixture
def silent_dns():
    """A UDP socket on 127.0.0.2:53 that reads queries and never answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.2", 53))
    except OSError as e:
        s.close()
        pytest.fail("cannot bind the silent DNS server to 127.0.0.2:53: %s" % e)
    s.settimeout(0.2)
    seen = []
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                q, _ = s.recvfrom(4096)
                seen.append(q)
            except socket.timeout:
                pass
            except OSError:
                return
    th = threading.Thread(target=loop, daemon=True)
    th.start()
    yield seen
    stop.set()
    th.join(2)
    s.close()


def test_dns_timeout(tproxyd, origin, silent_dns):
    p = tproxyd(["dns_nameservers 127.0.0.2"])
    url = "http://silent.tproxyd-hostile.test/x"
    out = {}

    def fetch():
        t0 = time.monotonic()
        out["r"] = curl(p.port, url, max_time=20)
        out["took"] = time.monotonic() - t0
    th = threading.Thread(target=fetch)
    th.start()
    # A lookup in progress (its query reached the silent server) blocks
    # no one.
    wait_for(lambda: silent_dns, 10, "a DNS query at 127.0.0.2:53")
    assert assert_serving(p, origin) < 1.0
    th.join(25)
    r, took = out["r"], out["took"]
    assert silent_dns, "the resolver never queried 127.0.0.2:53"
    assert r.rc == 0, r
    assert r.status in (503, 504), r
    assert_error_page(r, r.status, ["ERR_DNS_FAIL"])
    assert took < 12, "DNS timeout answered after %.1fs" % took
    e = p.wait_access_url(url)
    assert e["status"] == r.status, e["raw"]
    assert_serving(p, origin)
