"""
test_errors.py - every failure answers the client with the Squid error
status, an `X-Squid-Error: ERR_NAME 0` header and an HTML page naming the
error, within a bounded time. Table: (config, request, status, error names,
must the origin have seen the request).
"""

import time

import pytest

from harness import RawClient, closed_port, curl


def assert_error(r, status, names):
    assert r.status == status, r
    xse = r.header("X-Squid-Error") or ""
    name, _, num = xse.partition(" ")
    assert name in names and num == "0", "X-Squid-Error: %r" % xse
    body = r.body.decode("latin-1")
    assert name in body, body[:500]
    assert (r.header("Content-Type") or "").startswith("text/html")
    return name


def test_access_denied(tproxyd, origin):
    p = tproxyd(["http_access deny all"])
    r = curl(p.port, origin.url("/bytes/10"))
    assert r.rc == 0, r
    assert_error(r, 403, ["ERR_ACCESS_DENIED"])
    assert origin.records() == []
    e = p.wait_access_url(origin.url("/bytes/10"))
    assert (e["code"], e["status"]) == ("TCP_DENIED", 403)
    assert (e["hier"], e["peer"], e["type"]) == ("HIER_NONE", "-",
                                                 "text/html"), e["raw"]


@pytest.mark.parametrize("lines,path,status", [
    (["acl bad dst 127.0.0.0/8", "http_access deny bad",
      "http_access allow all"], "/bytes/1", 403),
    (["acl p port 1", "http_access allow !p"], "/bytes/1", 200),
    (["acl m method POST", "http_access deny m", "http_access allow all"],
     "/bytes/1", 200),
    (["acl m method GET", "http_access deny m", "http_access allow all"],
     "/bytes/1", 403),
    (["acl d dstdomain .example.com", "http_access allow d"],
     "/bytes/1", 403),
    (["acl me src 127.0.0.1", "http_access allow me"], "/bytes/1", 200),
    (["acl other src 198.18.0.0/15", "http_access allow other"],
     "/bytes/1", 403),
])
def test_acl_table(tproxyd, origin, lines, path, status):
    p = tproxyd(lines)
    r = curl(p.port, origin.url(path))
    assert r.rc == 0 and r.status == status, (r, lines)
    if status == 403:
        assert_error(r, 403, ["ERR_ACCESS_DENIED"])
        assert origin.records() == []
    else:
        assert len(origin.records()) == 1


@pytest.mark.parametrize("raw", [
    b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
    b"GET http://127.0.0.1:%(port)d/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Bad Header\r\n\r\n",
    b"GET http://127.0.0.1:%(port)d/ HTTP/1.1\r\nHost : x\r\n\r\n",
    b"POST http://127.0.0.1:%(port)d/echo HTTP/1.1\r\nHost: x\r\n"
    b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"GARBAGE\r\n\r\n",
])
def test_invalid_request(tproxyd, origin, raw):
    p = tproxyd()
    with RawClient(p.port) as c:
        c.send(raw % {b"port": origin.port})
        r = c.read_response()
    assert_error(r, 400, ["ERR_INVALID_REQ"])
    assert origin.records() == []


def test_origin_reset_before_head(tproxyd, origin):
    p = tproxyd()
    r = curl(p.port, origin.url("/reset"))
    assert r.rc == 0, r
    assert_error(r, 502, ["ERR_READ_ERROR", "ERR_ZERO_SIZE_OBJECT",
                          "ERR_INVALID_RESP"])
    assert len(origin.records()) >= 1
    e = p.wait_access_url(origin.url("/reset"))
    assert e["status"] == 502


def test_origin_reset_mid_body(tproxyd, origin):
    """The head was relayed already: the client must see a truncated
    response (curl error), never a complete-looking one."""
    p = tproxyd()
    r = curl(p.port, origin.url("/reset-mid"))
    assert r.rc != 0 or r.body_len != 1000, r


def test_connect_refused(tproxyd):
    p = tproxyd()
    url = "http://127.0.0.1:%d/x" % closed_port()
    r = curl(p.port, url)
    assert r.rc == 0, r
    assert_error(r, 503, ["ERR_CONNECT_FAIL"])
    e = p.wait_access_url(url)
    assert e["status"] == 503


def test_read_timeout(tproxyd, origin):
    p = tproxyd(["read_timeout 1 seconds"])
    t0 = time.monotonic()
    r = curl(p.port, origin.url("/never"), max_time=15)
    took = time.monotonic() - t0
    assert r.rc == 0, r
    assert_error(r, 504, ["ERR_READ_TIMEOUT"])
    assert 0.9 <= took < 10, "answered after %.1fs" % took


def test_dns_failure(tproxyd):
    """dns_nameservers 127.0.0.1 (harness default): the query never leaves
    the machine and fails (refused or timed out)."""
    p = tproxyd()
    url = "http://no-such-host.tproxyd-test.invalid/x"
    r = curl(p.port, url, max_time=20)
    assert r.rc == 0, r
    assert_error(r, 503, ["ERR_DNS_FAIL"])
