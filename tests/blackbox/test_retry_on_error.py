# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_retry_on_error.py - Squid's re-forwarding (issue 17's corpus: a
hotspot configuration with `retry_on_error on`): a 502 or 504 from one
destination is never the answer while another is left; with
retry_on_error on, neither is a 403, 500, 501 or 503. Two cache_peer
parents (scripted servers on loopback, never_direct): the first answers
with the error, the second with 200.
"""

import pytest

from harness import get_req, raw_request
from raw_server import RawServer


def answer(status):
    def handler(conn, head):
        body = b"from the %d server" % status
        return (b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s" % (
            status, len(body), body), "keep")
    return handler


def parents_conf(p1, p2, retry):
    return ["cache_peer 127.0.0.1 parent %d 0 no-query name=first" % p1,
            "cache_peer 127.0.0.1 parent %d 0 no-query name=second" % p2,
            "never_direct allow all",
            "retry_on_error %s" % retry]


@pytest.mark.parametrize("status, retry, retried", [
    (502, "off", True), (504, "off", True),
    (503, "on", True), (403, "on", True), (500, "on", True),
    (503, "off", False), (404, "on", False)])
def test_error_goes_to_the_next_parent(tproxyd, status, retry, retried):
    with RawServer(answer(status)) as bad, RawServer(answer(200)) as good:
        p = tproxyd(parents_conf(bad.port, good.port, retry))
        url = "http://retry.test/x"
        r = raw_request(p.port, get_req(url), timeout=10)[0]
        assert len(bad.requests()) == 1, bad.requests()
        if retried:
            assert r.status == 200 and r.body == b"from the 200 server", r
            assert len(good.requests()) == 1
        else:
            assert r.status == status, r
            assert good.requests() == []
        e = p.wait_access_url(url)
        assert e["status"] == r.status, e["raw"]


def test_post_is_not_sent_again(tproxyd):
    """A request with a body is not re-forwarded: the error is the
    answer."""
    with RawServer(answer(503)) as bad, RawServer(answer(200)) as good:
        p = tproxyd(parents_conf(bad.port, good.port, "on"))
        r = raw_request(p.port, get_req("http://retry.test/p",
                                        method="POST", body=b"data"),
                        timeout=10)[0]
        assert r.status == 503, r
        assert good.requests() == []
