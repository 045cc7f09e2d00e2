#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
bumpclient.py - the certificate-cache loads of `make bench` (bump-miss,
bump-hit; bench/README.md, "Bumped HTTPS"): one HTTPS connection per server
name from a file, each with that name as SNI, each verified with the
bumping CA (--cacert: a connection the proxy did not decrypt fails), one
`GET PATH` with `Connection: close` on it. Prints one line

    BENCHJSON {"requests": ..., "bytes": ..., "duration_us": ..., ...}

in the fields of bench/report.lua (latency = connect + handshake +
response). --conc connections at a time (threads: the handshakes' crypto
runs outside the GIL).

--proxy ADDR:PORT (bump-connect): through a forward proxy, each connection
starts with `CONNECT NAME:443` and its 200, then TLS as above.
--duration S: instead of one request per name, each of the --conc
connections (to the first name) sends `GET PATH` requests keep-alive, one
after the other, for S seconds, and is made again if the proxy closes it
(latency = one request on an open connection; connecting counts in the
first).
"""
import argparse
import json
import socket
import ssl
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True, help="address to connect to")
    ap.add_argument("--port", type=int, default=443)
    ap.add_argument("--names", required=True, help="file, one name a line")
    ap.add_argument("--cacert", required=True)
    ap.add_argument("--path", default="/1k")
    ap.add_argument("--conc", type=int, default=10)
    ap.add_argument("--proxy", help="ADDR:PORT of a forward proxy")
    ap.add_argument("--duration", type=float, default=0)
    a = ap.parse_args()
    with open(a.names) as f:
        names = [x.strip() for x in f if x.strip()]
    ctx = ssl.create_default_context(cafile=a.cacert)
    ctx.check_hostname = True
    lock = threading.Lock()
    todo = list(reversed(names))
    lat, nbytes = [], [0]
    err = {"err_connect": 0, "err_read": 0, "err_status": 0}
    first_err = []

    def connect(name):
        """A TCP connection to the server (or through the proxy's
        CONNECT); OSError when it cannot be made."""
        if not a.proxy:
            return socket.create_connection((a.host, a.port), timeout=10)
        host, _, port = a.proxy.rpartition(":")
        s = socket.create_connection((host, int(port)), timeout=10)
        s.sendall(("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (
            name, a.port, name, a.port)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            d = s.recv(1)
            if not d:
                break
            head += d
        if not head.startswith(b"HTTP/1.1 200"):
            s.close()
            raise OSError("CONNECT: %r" % head[:60])
        return s

    def read_response(f):
        """One response with a Content-Length from f: its size, or None
        when the connection ended; the status line is checked."""
        line = f.readline()
        if not line:
            return None, None
        n, size = 0, len(line)
        while True:
            h = f.readline()
            size += len(h)
            if h in (b"\r\n", b""):
                break
            if h.lower().startswith(b"content-length:"):
                n = int(h.split(b":")[1])
        size += len(f.read(n))
        return line.startswith(b"HTTP/1.1 200"), size

    def keepalive(name, end):
        """Requests on one connection until end (monotonic)."""
        got = []
        while time.monotonic() < end:
            t0 = time.monotonic()
            try:
                s = connect(name)
            except OSError as e:
                got.append(("err_connect", 0, str(e)))
                time.sleep(0.01)
                continue
            try:
                with ctx.wrap_socket(s, server_hostname=name) as t:
                    f = t.makefile("rb")
                    req = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (
                        a.path, name)).encode()
                    while time.monotonic() < end:
                        t.sendall(req)
                        ok, n = read_response(f)
                        if ok is None:
                            break
                        got.append((None if ok else "err_status", n,
                                    time.monotonic() - t0))
                        t0 = time.monotonic()
            except (OSError, ssl.SSLError) as e:
                got.append(("err_read", 0, "%s: %s" % (name, e)))
        return got

    def one(name):
        t0 = time.monotonic()
        try:
            s = connect(name)
        except OSError as e:
            return "err_connect", 0, str(e)
        try:
            with ctx.wrap_socket(s, server_hostname=name) as t:
                t.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n"
                           "Connection: close\r\n\r\n" % (a.path, name))
                          .encode())
                buf = b""
                while True:
                    d = t.recv(65536)
                    if not d:
                        break
                    buf += d
        except (OSError, ssl.SSLError) as e:
            s.close()
            return "err_read", 0, "%s: %s" % (name, e)
        if not buf.startswith(b"HTTP/1.1 200"):
            return "err_status", len(buf), buf[:80]
        return None, len(buf), time.monotonic() - t0

    def account(e, n, x):
        with lock:
            nbytes[0] += n
            if e:
                err[e] += 1
                if not first_err:
                    first_err.append(str(x))
            else:
                lat.append(x)

    def ka_worker(end):
        for e, n, x in keepalive(names[0], end):
            account(e, n, x)

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                name = todo.pop()
            e, n, x = one(name)
            with lock:
                nbytes[0] += n
                if e:
                    err[e] += 1
                    if not first_err:
                        first_err.append(str(x))
                else:
                    lat.append(x)
    t0 = time.monotonic()
    if a.duration > 0:
        ts = [threading.Thread(target=ka_worker,
                               args=(t0 + a.duration,))
              for _ in range(a.conc)]
    else:
        ts = [threading.Thread(target=worker) for _ in range(a.conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dur = time.monotonic() - t0
    lat.sort()

    def pct(p):
        return int(lat[min(len(lat) - 1, int(len(lat) * p))] * 1e6) \
            if lat else 0
    out = {"requests": len(lat), "bytes": nbytes[0],
           "duration_us": int(dur * 1e6), "err_connect": err["err_connect"],
           "err_read": err["err_read"], "err_write": 0,
           "err_status": err["err_status"], "err_timeout": 0,
           "p50_us": pct(0.5), "p99_us": pct(0.99),
           "max_us": int(lat[-1] * 1e6) if lat else 0}
    if first_err:
        out["first_error"] = first_err[0][:200]
    print("BENCHJSON " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
