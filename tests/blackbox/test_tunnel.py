# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_tunnel.py - CONNECT and Upgrade: after the 200 / 101 the proxy relays
raw bytes both ways until one side closes, and logs the tunnel.
"""

import os

from harness import RawClient, get_req


def test_connect_echo(tproxyd, echo_server):
    p = tproxyd()
    target = "127.0.0.1:%d" % echo_server.port
    with RawClient(p.port, timeout=5) as c:
        c.send(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" %
                (target, target)).encode())
        r = c.read_response("CONNECT")
        assert r.status == 200, r
        for msg in (b"hello", os.urandom(100000), b"\x00\r\n\r\nGET / HTTP/1.1"):
            c.send(msg)
            assert c.recv_exact(len(msg)) == msg
    assert len(echo_server.peers) == 1
    assert echo_server.peers[0][0] == "127.0.0.1"
    # Logged once the tunnel is closed.
    e = p.wait_access(lambda e: e["method"] == "CONNECT", timeout=10)
    assert e["code"] == "TCP_TUNNEL" and e["status"] == 200, e["raw"]
    assert e["url"] == target
    assert (e["user"], e["hier"], e["peer"], e["type"]) == (
        "-", "HIER_DIRECT", "127.0.0.1", "-"), e["raw"]
    assert e["bytes"] >= 100010


def test_connect_refused_port(tproxyd):
    from harness import closed_port
    p = tproxyd()
    target = "127.0.0.1:%d" % closed_port()
    with RawClient(p.port, timeout=5) as c:
        c.send(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" %
                (target, target)).encode())
        r = c.read_response()
    assert r.status == 503 and "ERR_CONNECT_FAIL" in (
        r.header("X-Squid-Error") or ""), r


def test_upgrade_websocket(tproxyd, origin):
    p = tproxyd()
    with RawClient(p.port, timeout=5) as c:
        c.send(get_req(origin.url("/upgrade"), headers=[
            "Connection: Upgrade", "Upgrade: websocket",
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]))
        r = c.read_response()
        assert r.status == 101, r
        assert (r.header("Upgrade") or "").lower() == "websocket"
        for msg in (b"\x81\x05hello", os.urandom(70000)):
            c.send(msg)
            assert c.recv_exact(len(msg)) == msg
    rec = [x for x in origin.records() if x["path"] == "/upgrade"]
    assert len(rec) == 1
    hdrs = {h.split(":", 1)[0].strip().lower(): h.split(":", 1)[1].strip()
            for h in rec[0]["headers"]}
    # The upgrade request reaches the origin as an upgrade request.
    assert hdrs.get("upgrade", "").lower() == "websocket"
    assert "upgrade" in hdrs.get("connection", "").lower()
