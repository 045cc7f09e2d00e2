#!/usr/bin/python3
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

    def one(name):
        t0 = time.monotonic()
        try:
            s = socket.create_connection((a.host, a.port), timeout=10)
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
