# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_acl_conn.py - the maxconn acl against real concurrent connections:
the count of a client address's open connections rises as they are
accepted and falls as they close (the declarative cases, cases/acl.py,
cover the single-connection answers).
"""

import time

from harness import RawClient, get_req
from origin import body_bytes


def test_maxconn_counts_open_connections(tproxyd, origin):
    """maxconn 1: the first connection is served (twice); a second one
    open at the same time is denied; once both are closed, a new one is
    served again."""
    p = tproxyd(["acl many maxconn 1", "http_access deny many",
                 "http_access allow all"])
    url = origin.url("/bytes/5")
    with RawClient(p.port) as a:
        # Requests on one connection: still one connection, served.
        for _ in range(2):
            a.send(get_req(url))
            r = a.read_response()
            assert r.status == 200 and r.body == body_bytes(5)
        with RawClient(p.port) as b:
            b.send(get_req(url))
            r = b.read_response()
            assert r.status == 403
            assert "ERR_ACCESS_DENIED" in (r.header("X-Squid-Error") or "")
    # Both closed: tproxyd sees the ends shortly; a new connection alone
    # is served. Bounded: 5 s.
    deadline = time.monotonic() + 5
    while True:
        with RawClient(p.port) as c:
            c.send(get_req(url))
            status = c.read_response().status
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status == 200
    p.wait_access_url(url)
