#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
keepalive_client.py - one long-lived HTTP/1.1 connection, driven line by
line from stdin, for tests that change the network under a connection
that is already open (test_wccp2.py: a WCCP bucket moves to a cache
while the client keeps using its connection).

    keepalive_client.py --connect 198.18.2.2:80 [--timeout 15]

Connects once (printing {"connected": true, "local_port": P}), then for
each command line prints one JSON line:

    GET PATH        -> {"ok": true, "status": 200, "length": N,
                        "sha256": HEX of the body, "x_sha256": the
                        X-Sha256 header or null, "body": the body if it
                        is under 4 KiB (text), "local_port": P}
    POST PATH N     -> the same, after sending N deterministic bytes
                       (their digest in "sent_sha256")
    CLOSE           -> {"ok": true, "closed": true}

Any failure (reset, timeout, malformed answer) prints {"ok": false,
"error": "..."} and the connection is not used again. Standard library
only; every wait is bounded by --timeout.
"""

import argparse
import hashlib
import json
import socket
import sys


def body_bytes(n):
    """n deterministic bytes (a SHA-256 counter stream)."""
    out, i = bytearray(), 0
    while len(out) < n:
        out += hashlib.sha256(b"keepalive-%d" % i).digest()
        i += 1
    return bytes(out[:n])


class Conn:
    def __init__(self, host, port, timeout):
        self.host = host
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.settimeout(timeout)
        self.buf = b""
        self.dead = None

    def _fill(self):
        data = self.s.recv(65536)
        if not data:
            raise ConnectionError("connection closed by the peer")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def request(self, method, path, body=b""):
        head = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path,
                                                    self.host)
        if method == "POST":
            head += "Content-Length: %d\r\n" % len(body)
        self.s.sendall(head.encode() + b"\r\n" + body)
        status = self._line().split(" ", 2)
        if len(status) < 2 or not status[0].startswith("HTTP/1."):
            raise ValueError("bad status line %r" % status)
        hdrs = {}
        while True:
            ln = self._line()
            if not ln:
                break
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if "content-length" not in hdrs:
            raise ValueError("no Content-Length: %r" % hdrs)
        data = self._exact(int(hdrs["content-length"]))
        res = {"ok": True, "status": int(status[1]), "length": len(data),
               "sha256": hashlib.sha256(data).hexdigest(),
               "x_sha256": hdrs.get("x-sha256"),
               "local_port": self.s.getsockname()[1]}
        if len(data) < 4096:
            res["body"] = data.decode("latin-1")
        return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connect", required=True)
    ap.add_argument("--timeout", type=float, default=15.0)
    a = ap.parse_args()
    host, _, port = a.connect.rpartition(":")

    def say(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    try:
        c = Conn(host, int(port), a.timeout)
    except OSError as e:
        say({"connected": False, "error": str(e)})
        return
    say({"connected": True, "local_port": c.s.getsockname()[1]})
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if c.dead:
            say({"ok": False, "error": "unusable: " + c.dead})
            continue
        try:
            if words[0] == "GET":
                say(c.request("GET", words[1]))
            elif words[0] == "POST":
                body = body_bytes(int(words[2]))
                res = c.request("POST", words[1], body)
                res["sent_sha256"] = hashlib.sha256(body).hexdigest()
                say(res)
            elif words[0] == "CLOSE":
                c.s.close()
                c.dead = "closed"
                say({"ok": True, "closed": True})
            else:
                say({"ok": False, "error": "unknown command %r" % line})
        except (OSError, ValueError) as e:
            c.dead = "%s: %s" % (type(e).__name__, e)
            say({"ok": False, "error": c.dead})


if __name__ == "__main__":
    main()
