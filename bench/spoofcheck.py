#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
spoofcheck.py - does the proxy under test ever send one client's request
over an origin connection it opened (spoofed) for another client?

Run in the client namespace of `make bench`, which has two addresses
(198.18.1.2 and 198.18.1.3). The origin's /peer answers the source address
it saw. The sequence keeps client A's connection open (so a proxy that
pools origin connections has A's spoofed connection idle) while client B
asks, and asks again on both connections and on a fresh one:

    A1: A, new connection, GET /peer     -> origin must see A
    B1: B, new connection, GET /peer     -> B   (A's connection still open)
    A2: A, same connection as A1         -> A
    B2: B, same connection as B1         -> B
    C1: B, new connection after A closed -> B

A pooled origin connection spoofed as A, reused for B, shows up as the
origin seeing A in a "B" step. Prints one line "SPOOFCHECK {json}" and
exits 0 if every step saw its own client, 1 otherwise.

Standard library only; blocking sockets with a timeout.
"""
import argparse
import json
import socket
import sys
import time


def request(s, host):
    """One keep-alive GET /peer on s; returns the body (stripped)."""
    s.sendall(b"GET /peer HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise OSError("connection closed before the response head")
        buf += d
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if b" 200 " not in lines[0] + b" ":
        raise OSError("status line %r" % lines[0][:60])
    hdr = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        hdr[k.strip().lower()] = v.strip()
    if b"content-length" in hdr:
        n = int(hdr[b"content-length"])
        while len(body) < n:
            d = s.recv(4096)
            if not d:
                raise OSError("connection closed in the body")
            body += d
        return body[:n].decode(errors="replace").strip()
    if hdr.get(b"transfer-encoding", b"").lower() == b"chunked":
        out = b""
        while True:
            while b"\r\n" not in body:
                d = s.recv(4096)
                if not d:
                    raise OSError("connection closed in a chunk size")
                body += d
            size_line, _, body = body.partition(b"\r\n")
            n = int(size_line.split(b";")[0], 16)
            while len(body) < n + 2:
                d = s.recv(4096)
                if not d:
                    raise OSError("connection closed in a chunk")
                body += d
            if n == 0:
                return out.decode(errors="replace").strip()
            out += body[:n]
            body = body[n + 2:]
    raise OSError("response without a length")


def connect(src, host, port, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect((host, port))
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="198.18.2.2")
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--a", default="198.18.1.2")
    ap.add_argument("--b", default="198.18.1.3")
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()

    steps = []

    def step(name, sock, want):
        try:
            saw = request(sock, a.host)
        except OSError as e:
            saw = "error: %s" % e
        steps.append({"step": name, "want": want, "saw": saw})

    sa = connect(a.a, a.host, a.port, a.timeout)
    step("A1", sa, a.a)
    time.sleep(0.1)   # let the proxy put A's origin connection aside
    sb = connect(a.b, a.host, a.port, a.timeout)
    step("B1", sb, a.b)
    step("A2", sa, a.a)
    step("B2", sb, a.b)
    sa.close()
    sb.close()
    time.sleep(0.1)
    sc = connect(a.b, a.host, a.port, a.timeout)
    step("C1", sc, a.b)
    sc.close()
    ok = all(x["saw"] == x["want"] for x in steps)
    print("SPOOFCHECK " + json.dumps({"ok": ok, "steps": steps}), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
