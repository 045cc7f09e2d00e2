# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_rules.py - client_ip_max_connections (issue 12, part C): the
connections from one client address over the limit are closed at once,
without an answer (Squid); the held ones keep working, and a slot freed
by a close is usable again. Loopback only; every wait bounded.
"""

import socket

from harness import RawClient, poll


def served(port, origin):
    with RawClient(port, timeout=5) as c:
        c.send(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                % origin.url("/bytes/10")).encode())
        return c.read_response().status


def try_served(port, origin):
    """served(), or None when the proxy closed the connection."""
    try:
        return served(port, origin)
    except Exception:
        return None


def refused(port):
    """A new connection is closed by the proxy without a byte, even
    though it sent a request."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        try:
            s.sendall(b"GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: x\r\n\r\n")
        except OSError:
            return True
        try:
            return s.recv(100) == b""
        except ConnectionResetError:
            return True
    finally:
        s.close()


def test_client_ip_max_connections(tproxyd, origin):
    p = tproxyd(["client_ip_max_connections 2"])
    held = []
    try:
        for _ in range(2):
            held.append(socket.create_connection(("127.0.0.1", p.port),
                                                 timeout=5))
        # The two held ones count: a third is closed unanswered.
        assert refused(p.port)
        assert poll(lambda: "attempting more than 2 connections" in
                    p.cache_log.read_text(), 5)
        # The held connections still work.
        held[0].sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n"
                         % origin.url("/bytes/10")).encode())
        held[0].settimeout(5)
        assert held[0].recv(12).startswith(b"HTTP/1.1 200")
        # One closed: a new connection is served (the proxy notices the
        # close asynchronously, so poll).
        held.pop().close()
        assert poll(lambda: try_served(p.port, origin) == 200, 5)
    finally:
        for s in held:
            s.close()
    assert p.proc.poll() is None, "tproxyd died"


def test_no_limit_by_default(tproxyd, origin):
    p = tproxyd([])
    held = [socket.create_connection(("127.0.0.1", p.port), timeout=5)
            for _ in range(5)]
    try:
        assert served(p.port, origin) == 200
    finally:
        for s in held:
            s.close()
