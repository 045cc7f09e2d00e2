"""
test_headers.py - what the origin sees of the request head: hop-by-hop
headers removed (RFC 9110 §7.6.1), Via added, X-Forwarded-For per
`forwarded_for`. Each row: proxy config lines, client header lines, and the
expected value of a header at the origin (None: absent).
"""

import json

import pytest

from harness import VISIBLE_HOSTNAME, RawClient, curl, get_req


def origin_headers(origin):
    recs = [r for r in origin.wait_records(1) if r["path"] == "/headers"]
    assert recs, "origin saw nothing"
    out = []
    for h in recs[-1]["headers"]:
        n, _, v = h.partition(":")
        out.append((n.strip().lower(), v.strip()))
    return out


def values(hdrs, name):
    return [v for n, v in hdrs if n == name.lower()]


def test_hop_by_hop_removed(tproxyd, origin):
    p = tproxyd()
    r = curl(p.port, origin.url("/headers"), args=[
        "-H", "Connection: X-Foo, keep-alive",
        "-H", "X-Foo: 1",
        "-H", "Keep-Alive: timeout=5",
        "-H", "X-Keep: yes",
        "-H", "TE: trailers",
        "-H", "Proxy-Authorization: Basic dTpw",
    ])
    assert r.rc == 0 and r.status == 200, r
    h = origin_headers(origin)
    names = [n for n, _ in h]
    assert "proxy-connection" not in names       # curl sends it
    assert "keep-alive" not in names
    assert "x-foo" not in names, "header named in Connection forwarded"
    assert "proxy-authorization" not in names
    for v in values(h, "connection"):
        assert "x-foo" not in v.lower()
    assert values(h, "x-keep") == ["yes"]         # end-to-end kept
    assert values(h, "host") == ["127.0.0.1:%d" % origin.port]
    # The response the origin sent (JSON) reaches the client unchanged.
    assert json.loads(r.body)["headers"]


def test_end_to_end_headers_kept_in_order(tproxyd, origin):
    p = tproxyd(["via off", "forwarded_for delete"])
    with RawClient(p.port) as c:
        c.send(get_req(origin.url("/headers"), headers=[
            "X-A: 1", "X-B: two words", "X-A: 3", "Cookie: a=b"]))
        assert c.read_response().status == 200
    h = [x for x in origin_headers(origin) if x[0].startswith(("x-", "cook"))]
    assert h == [("x-a", "1"), ("x-b", "two words"), ("x-a", "3"),
                 ("cookie", "a=b")]


@pytest.mark.parametrize("lines,incoming,expected", [
    ([], None, "1.1 %s (tproxyd" % VISIBLE_HOSTNAME),
    (["via on"], "1.0 upstream", "1.0 upstream, 1.1 %s (tproxyd"
     % VISIBLE_HOSTNAME),
    (["via off"], None, None),
    (["via off"], "1.0 upstream", "1.0 upstream"),
])
def test_via(tproxyd, origin, lines, incoming, expected):
    p = tproxyd(lines)
    args = ["-H", "Via: %s" % incoming] if incoming else []
    r = curl(p.port, origin.url("/headers"), args=args)
    assert r.rc == 0 and r.status == 200, r
    via = values(origin_headers(origin), "via")
    if expected is None:
        assert via == []
    else:
        joined = ", ".join(via)
        assert joined.startswith(expected), joined
        if "(tproxyd" in expected:
            assert joined.endswith(")"), joined


@pytest.mark.parametrize("mode,incoming,expected", [
    (None, None, "127.0.0.1"),                  # default is on
    ("on", None, "127.0.0.1"),
    ("on", "198.18.9.9", "198.18.9.9, 127.0.0.1"),
    ("off", None, "unknown"),
    ("off", "198.18.9.9", "198.18.9.9, unknown"),
    ("delete", None, None),
    ("delete", "198.18.9.9", None),
    ("transparent", None, None),
    ("transparent", "198.18.9.9", "198.18.9.9"),
])
def test_forwarded_for(tproxyd, origin, mode, incoming, expected):
    p = tproxyd(["forwarded_for %s" % mode] if mode else [])
    args = ["-H", "X-Forwarded-For: %s" % incoming] if incoming else []
    r = curl(p.port, origin.url("/headers"), args=args)
    assert r.rc == 0 and r.status == 200, r
    xff = values(origin_headers(origin), "x-forwarded-for")
    if expected is None:
        assert xff == []
    else:
        assert ", ".join(xff) == expected
