# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_hostile.py - hostile input never crashes tproxyd, never desynchronises
framing, never corrupts a byte (issue 6).

Request side: every row of hostile_cases.CASES is sent over a real socket
to one daemon (module-scoped, for speed) in front of one origin.py; the
test asserts the client's outcome, that nothing more comes back, the exact
number of requests the origin recorded (no smuggled extra request, ever)
and that no stray bytes reached it, and that a normal GET works right
after. No sleeps: the origin answers every request with "Connection:
close" but reads on until the proxy closes (OriginServer close_each), and
the client half-closes and reads until the proxy closes; once both
connections are closed by the proxy, nothing it sent for the row can still
be on its way, so a smuggled request cannot arrive after the count.

Response side: raw_server.RawServer answers with exact hostile bytes
(hostile_cases.RESPONSE_CASES, NEVER_MERGED: two Content-Lengths, CL + TE,
bytes after the body, HTTP/1.0 + chunked, Connection naming a framing
field ...); the proxy must answer 502 or relay exactly one well-framed
response, and a second (pipelined or pooled) request must never be
answered with bytes the server sent within or after the first response.

Every test stands alone (any order, or alone with -k): the access.log
tests send their own requests.
"""

import socket
import time

import pytest

import harness
from harness import ProtocolError, RawClient, poll
from hostile_cases import CASES, NEVER_MERGED, RESPONSE_CASES, SECOND
from origin import OriginServer
from raw_server import RawServer

PROXY_LINES = ["read_timeout 2 seconds", "request_timeout 5 seconds"]


@pytest.fixture(scope="module")
def origin_m():
    """Says "Connection: close" to every request but reads on until the
    proxy closes (see origin.py), so wait_quiet() is a deterministic end
    of each row."""
    srv = OriginServer("127.0.0.1", 0, close_each=True).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def proxy_m(tmp_path_factory):
    """One daemon for the whole table. read_timeout bounds any row where
    the origin would wait for bytes that never come."""
    d = tmp_path_factory.mktemp("hostile")
    p = harness.Tproxyd(d / "tproxyd", PROXY_LINES)
    p.start()
    yield p
    problems = p.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def drain_to_close(c, timeout):
    """Half-close the client connection and read until the proxy closes
    it. Returns (bytes that came after what was parsed, closed?)."""
    try:
        c.sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    end = time.monotonic() + timeout
    tail = c.buf
    c.buf = b""
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return tail, False
        c.sock.settimeout(left)
        try:
            d = c.sock.recv(65536)
        except socket.timeout:
            return tail, False
        except (ConnectionResetError, BrokenPipeError):
            return tail, True
        if not d:
            return tail, True
        tail += d


def exchange(port, raw, nresp, timeout=6.0):
    """Send raw, read nresp responses, then half-close and read until the
    proxy closes. Returns (responses, how it ended: 'ok', 'closed' or
    'timeout', bytes after the responses, whether the proxy closed)."""
    out = []
    with RawClient(port, timeout=timeout) as c:
        try:
            c.send(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass    # the proxy answered early and closed; read the answer
        try:
            for _ in range(nresp):
                out.append(c.read_response())
        except ProtocolError:
            return out, "closed", c.buf, True
        except socket.timeout:
            return out, "timeout", c.buf, False
        tail, closed = drain_to_close(c, timeout)
    return out, "ok", tail, closed


def outcome_of(r):
    """'forwarded' for the origin's answer, else the proxy's status."""
    if r.header("X-Squid-Error") is None and r.status == 200 and \
            r.body == b"ok\n":
        return "forwarded"
    return r.status


def is_proxy_error(r):
    return r.header("X-Squid-Error") is not None and \
        (r.header("Content-Type") or "").startswith("text/html")


def host_lines(rec):
    return [h for h in rec["headers"] if h.lower().startswith("host:")]


def allowed_outcomes(case):
    e = case["expect"]
    return e if isinstance(e, tuple) else (e,)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hostile_request(proxy_m, origin_m, case):
    p, o = proxy_m, origin_m
    assert p.alive(), "tproxyd died earlier:\n" + p.diagnostics()
    port = str(o.port).encode()
    raw = case["raw"].replace(b"{port}", port)
    nresp = case.get("nresp", 1)
    allowed = allowed_outcomes(case)
    o.clear()

    t0 = time.monotonic()
    resps, how, tail, closed = exchange(p.port, raw, nresp)
    took = time.monotonic() - t0
    got = [outcome_of(r) for r in resps]
    assert len(resps) == nresp, (
        "%s: expected %d response(s) %r, got %r then the connection %s "
        "after %.1fs" % (case["name"], nresp, allowed, got, how, took))
    for g, r in zip(got, resps):
        assert g in allowed, "%s: got %r (%r), expected one of %r" % (
            case["name"], g, r.head_raw[:300], allowed)
        if g != "forwarded":
            assert is_proxy_error(r), (
                "%s: status %d is not the proxy's error page: %r" % (
                    case["name"], r.status, r.head_raw[:300]))
    # Nothing more for this client: an extra response would answer a
    # request the client never framed as one.
    assert tail == b"", (
        "%s: the proxy sent more after the %d expected response(s): %r" % (
            case["name"], nresp, tail[:300]))
    assert closed, (
        "%s: the proxy kept the client connection open after the client "
        "closed its side" % case["name"])

    # The client's connection is closed; wait until every connection the
    # proxy opened to the origin for this row is closed too (the origin
    # said close): then the origin has read every byte the proxy sent.
    still = o.wait_quiet(5)
    assert not still, (
        "%s: origin connection(s) %r still open 5 s after the exchange: "
        "the proxy kept a server connection although the origin answered "
        "Connection: close" % (
            case["name"], still))
    recs = o.records()
    want = case["origin"]
    if isinstance(want, tuple):
        want = sum(1 for g in got if g == "forwarded")
    assert len(recs) == want, (
        "%s: origin recorded %d request(s), expected %d: %r" % (
            case["name"], len(recs), want,
            [(r["method"], r["target"]) for r in recs]))
    assert not o.strays(), (
        "%s: the origin got bytes that were no request: %r" % (
            case["name"], o.strays()))
    for rec in recs:
        assert rec["path"].startswith("/h/"), rec
        assert "smuggled" not in rec["path"], (
            "%s: a smuggled request reached the origin: %r" % (
                case["name"], rec["target"]))
        for h in rec["headers"]:
            assert h and h[0] not in " \t" and not any(
                ch in h for ch in "\r\n\x00"), (
                "%s: origin got a malformed field line %r" % (
                    case["name"], h))
    if recs and nresp == 1:
        assert recs[0]["path"] == "/h/" + case["name"], recs[0]
        if "body_len" in case:
            assert recs[0]["body_len"] == case["body_len"], recs[0]

    check = case.get("check")
    if check == "host_is_target" and recs:
        assert host_lines(recs[0]) == ["Host: 127.0.0.1:%d" % o.port], (
            "absolute-form: Host must be replaced by the target's "
            "authority (RFC 9112 3.2.2): %r" % recs[0]["headers"])
    if check == "pipelined_paths":
        assert [r["path"] for r in recs] == [
            "/h/" + case["name"], "/h/%s_second" % case["name"]], recs

    # And it keeps serving.
    assert p.alive(), "tproxyd died on %s:\n%s" % (case["name"],
                                                   p.diagnostics())
    r = harness.raw_request(p.port, harness.get_req(o.url("/h/alive")),
                            timeout=5)[0]
    assert r.status == 200 and r.body == b"ok\n", r


def test_hostile_access_log(tmp_path, origin_m):
    """One access.log line per 4xx: every row that may be answered with a
    4xx is sent to a daemon of this test's own, so the log holds exactly
    the lines of these answers (the lines of parse errors carry no URL, so
    they are counted by status)."""
    p = harness.Tproxyd(tmp_path / "tproxyd", PROXY_LINES).start()
    try:
        port = str(origin_m.port).encode()
        want = {}
        for case in CASES:
            if not any(isinstance(e, int) and 400 <= e < 500
                       for e in allowed_outcomes(case)):
                continue
            resps, _, _, _ = exchange(
                p.port, case["raw"].replace(b"{port}", port),
                case.get("nresp", 1))
            for r in resps:
                if 400 <= r.status < 500:
                    want[r.status] = want.get(r.status, 0) + 1
        assert sum(want.values()) >= 40, (
            "the table's 4xx rows gave only %r" % want)

        def counts():
            have = {}
            for e in p.access_entries():
                if e and 400 <= e["status"] < 500:
                    have[e["status"]] = have.get(e["status"], 0) + 1
            return have
        poll(lambda: counts() == want, 5)
        have = counts()
        assert have == want, (
            "4xx answers and access.log lines differ (status: count): "
            "answered %r, logged %r\n%s" % (
                want, have, "\n".join(p.access_lines()[-20:])))
        unparsed = [ln for ln in p.access_lines()
                    if harness.parse_access_line(ln) is None]
        assert not unparsed, "malformed access.log lines: %r" % unparsed[:5]
    finally:
        problems = p.stop()
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------
# Response side
# ---------------------------------------------------------------------------

def scripted(first, after="close"):
    """A handler: the first request of the test gets `first` (then the
    server does `after`), every later request, on any connection, gets
    SECOND."""
    state = {"n": 0}

    def handler(conn, head):
        state["n"] += 1
        if state["n"] == 1:
            return first, after
        return SECOND, "keep"
    return handler


@pytest.mark.parametrize("name,resp,allowed", RESPONSE_CASES,
                         ids=[c[0] for c in RESPONSE_CASES])
def test_hostile_response(proxy_m, name, resp, allowed):
    """The proxy answers 502 (head invalid) or, once a response head was
    relayed, cuts the connection ("cut": never a complete-looking body)."""
    p = proxy_m
    with RawServer(scripted(resp)) as srv:
        url = srv.url("/r/" + name)
        with RawClient(p.port, timeout=6) as c:
            c.send(harness.get_req(url))
            try:
                r = c.read_response()
            except ProtocolError:
                r = None
        if r is None:
            assert "cut" in allowed, "%s: connection cut, expected %r" % (
                name, allowed)
        else:
            assert r.status in allowed, "%s: %r %r" % (name, r,
                                                       r.head_raw[:300])
            if r.status == 502:
                assert is_proxy_error(r), r.head_raw
            else:
                # relayed: no field line may start with whitespace
                for ln in r.head_raw.split(b"\r\n")[1:]:
                    assert ln[:1] not in (b" ", b"\t"), r.head_raw
                assert r.body == b"hello", r
        assert p.alive(), p.diagnostics()
        # The next request gets its own response, never the leftovers.
        r2 = harness.raw_request(p.port, harness.get_req(
            srv.url("/r/after")), timeout=5)[0]
        assert r2.status == 200 and r2.body == b"second", r2


def pipelined_two(p, srv, first_path, second_path, version="HTTP/1.1"):
    """Two pipelined GETs on one client connection: returns the responses
    read before the proxy closed, and None, or the bytes left unparsed if
    the client gave up waiting (a response delimited by close on a
    connection the proxy keeps open never ends)."""
    out = []
    with RawClient(p.port, timeout=6) as c:
        c.send(harness.get_req(srv.url(first_path), version=version) +
               harness.get_req(srv.url(second_path), version=version))
        try:
            for _ in range(2):
                out.append(c.read_response())
        except ProtocolError:
            pass
        except socket.timeout:
            return out, c.buf
    return out, None


@pytest.mark.parametrize("case", NEVER_MERGED,
                         ids=[c["name"] for c in NEVER_MERGED])
def test_response_never_merged(proxy_m, case):
    p, name = proxy_m, case["name"]
    first, allowed = case["first"], case["allowed"]
    with RawServer(scripted(first, case.get("after", "close"))) as srv:
        resps, stuck = pipelined_two(p, srv, "/r/%s/1" % name,
                                     "/r/%s/2" % name,
                                     case.get("version", "HTTP/1.1"))
        assert stuck is None, (
            "%s: the client waited 6 s for the end of a response: the "
            "proxy neither framed it nor closed the connection; after %d "
            "response(s) it sent %r" % (name, len(resps), stuck[:400]))
        assert resps, "%s: no response at all" % name
        r1 = resps[0]
        assert r1.status in allowed, (name, r1, r1.head_raw)
        if r1.status == 200:
            cl = r1.header("Content-Length")
            te = r1.header("Transfer-Encoding")
            assert not (cl and te), (
                "%s: relayed both Content-Length and Transfer-Encoding: %r"
                % (name, r1.head_raw))
            assert r1.body in case["bodies"], (
                "%s: first body %r, expected one of %r" % (
                    name, r1.body, case["bodies"]))
        for r in resps[1:]:
            assert r.body != b"SMUGGLED" and \
                r.header("X-Smuggled") is None, (
                "%s: the second request was answered with bytes the server "
                "sent within or after the first response: %r" % (
                    name, r.head_raw))
            assert r.status == 200 and r.body == b"second", r
        # A new client (maybe on a pooled server connection) too.
        r3 = harness.raw_request(p.port, harness.get_req(
            srv.url("/r/%s/3" % name)), timeout=5)[0]
        assert r3.body != b"SMUGGLED" and r3.body == b"second", r3
        assert p.alive(), p.diagnostics()


def test_hostile_response_log(proxy_m):
    """Each response the proxy must refuse with 502 has its access.log
    line (this test sends its own, one per such row)."""
    bad = {"/log/" + n: r for n, r, allowed in RESPONSE_CASES
           if allowed == (502,)}
    assert bad

    def handler(conn, head):
        target = head.split(b" ", 2)[1].decode("latin-1")
        if "://" in target:     # absolute-form, were it ever sent so
            target = "/" + target.split("://", 1)[1].split("/", 1)[1]
        return bad[target], "close"
    with RawServer(handler) as srv:
        for path in bad:
            r = harness.raw_request(proxy_m.port,
                                    harness.get_req(srv.url(path)),
                                    timeout=5)[0]
            assert r.status == 502 and is_proxy_error(r), (path, r)
        for path in bad:
            url = srv.url(path)
            proxy_m.wait_access(lambda e, u=url: e["url"] == u and
                                e["status"] == 502, timeout=5)
