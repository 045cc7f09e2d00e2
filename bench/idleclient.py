#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
idleclient.py - the "10,000 mostly idle keep-alive connections" load of
`make bench` (wrk cannot hold connections idle), and its HTTPS twin.

Opens N connections to HOST:PORT (at most BATCH connecting at a time), does
one request (GET /idle) on each and keeps it open. Prints "HOLDING <n>" on
stdout once they are all open, then for HOLD seconds sends a request on a
random connection RATE times a second ("mostly" idle: GET /1k) and measures
their latency. Finally prints one line "BENCHJSON {...}" and closes all.

With --tls-sni NAME (HTTPS, port 443): instead of the request, each
connection sends one TLS ClientHello naming NAME (made once by Python's ssl
module and sent as the same bytes on every connection: no TLS work per
connection here) and waits for the first record of the server's answer
(a handshake record: the proxy has read the name, decided and spliced the
connection to the server, which answered). The handshake is never
finished: the connection then stays idle, spliced, with an origin
connection behind it, for HOLD seconds (no requests: none can be made
without finishing the handshake). A "request" in the output is one such
exchange.

Standard library only; one thread, selectors; run inside the client
namespace (the bench does `ip netns exec <cli> python3 idleclient.py ...`).
"""
import argparse
import json
import random
import resource
import selectors
import socket
import ssl
import sys
import time


def client_hello(sni):
    """The bytes of a ClientHello naming sni, as Python's ssl (OpenSSL)
    sends it."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="198.18.2.2")
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("-n", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--hold", type=float, default=5.0)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--tls-sni", metavar="NAME",
                    help="send a TLS ClientHello naming NAME instead of a "
                    "request, hold without requests (see above)")
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    first = (b"GET /idle HTTP/1.1\r\nHost: %s\r\n\r\n" % a.host.encode())
    again = (b"GET /1k HTTP/1.1\r\nHost: %s\r\n\r\n" % a.host.encode())
    if a.tls_sni:
        first = client_hello(a.tls_sni)
    sel = selectors.DefaultSelector()
    st = {}          # sock -> [state, buffer, t_sent]
    idle = []        # sockets that completed their first request
    failed = 0
    requests = 0
    nbytes = 0
    started = 0
    t0 = time.monotonic()
    deadline = t0 + a.timeout

    def record_done(buf):
        # One whole TLS record; ok if it is a handshake record (22), i.e.
        # not an alert (21) and not something else than TLS.
        if len(buf) < 5:
            return False, 0
        n = int.from_bytes(buf[3:5], "big")
        return len(buf) >= 5 + n, buf[0] == 22

    def response_done(buf):
        # The origin answers with Content-Length; a response is complete
        # when the header and that many body bytes are in.
        i = buf.find(b"\r\n\r\n")
        if i < 0:
            return False, 0
        cl = 0
        for ln in buf[:i].split(b"\r\n")[1:]:
            k, _, v = ln.partition(b":")
            if k.strip().lower() == b"content-length":
                cl = int(v)
        ok = buf.startswith(b"HTTP/1.1 200") or buf.startswith(b"HTTP/1.0 200")
        return len(buf) >= i + 4 + cl, ok

    def start_one():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((a.host, a.port))
        st[s] = ["connecting", b"", 0.0]
        sel.register(s, selectors.EVENT_WRITE)

    inflight = 0
    while len(idle) + failed < a.n and time.monotonic() < deadline:
        while inflight < a.batch and started < a.n:
            start_one()
            started += 1
            inflight += 1
        for key, ev in sel.select(0.5):
            s = key.fileobj
            state = st[s]
            try:
                if state[0] == "connecting":
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, "connect")
                    s.send(first)
                    state[0] = "reading"
                    sel.modify(s, selectors.EVENT_READ)
                    continue
                d = s.recv(65536)
                if not d:
                    raise OSError("closed")
                state[1] += d
                complete, ok = (record_done if a.tls_sni
                                else response_done)(state[1])
                if complete:
                    if not ok:
                        raise OSError("status")
                    requests += 1
                    nbytes += len(state[1])
                    state[0], state[1] = "idle", b""
                    sel.unregister(s)
                    idle.append(s)
                    inflight -= 1
            except OSError:
                failed += 1
                inflight -= 1
                sel.unregister(s)
                s.close()
                del st[s]
    open_time = time.monotonic() - t0
    print("HOLDING %d" % len(idle), flush=True)

    # Hold: the connections stay open; a few requests trickle over them.
    lat = []
    hold_fail = 0
    t1 = time.monotonic()
    nxt = t1
    while time.monotonic() - t1 < a.hold:
        now = time.monotonic()
        if now < nxt:
            time.sleep(min(nxt - now, 0.05))
            continue
        if a.tls_sni:
            # nothing to ask over a TLS connection whose handshake is not
            # finished: idle and spliced it is
            time.sleep(min(0.05, max(0.0, a.hold - (now - t1))))
            continue
        nxt += 1.0 / a.rate
        if not idle:
            break
        s = random.choice(idle)
        ts = time.monotonic()
        try:
            s.settimeout(5)
            s.sendall(again)
            buf = b""
            while True:
                d = s.recv(65536)
                if not d:
                    raise OSError("closed")
                buf += d
                complete, ok = response_done(buf)
                if complete:
                    break
            if not ok:
                raise OSError("status")
            lat.append(time.monotonic() - ts)
            requests += 1
            nbytes += len(buf)
        except OSError:
            hold_fail += 1
            idle.remove(s)
            s.close()
    hold_time = time.monotonic() - t1
    # How many are still open at the end (not closed by the proxy): read
    # what is pending (the rest of a TLS server's first flight) until the
    # socket would block (open) or reports its end (closed).
    alive = 0
    for s in idle:
        try:
            s.setblocking(False)
            while s.recv(65536):
                pass
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    lat.sort()

    def pct(p):
        return int(lat[min(len(lat) - 1, int(len(lat) * p))] * 1e6) if lat else 0
    print("BENCHJSON " + json.dumps({
        "requests": requests, "bytes": nbytes,
        "duration_us": int((open_time + hold_time) * 1e6),
        "opened": len(idle) + hold_fail, "alive": alive,
        "conn_failed": failed,
        "hold_fail": hold_fail, "open_s": round(open_time, 3),
        "hold_requests": len(lat), "hold_s": round(hold_time, 3),
        "p50_us": pct(0.50), "p99_us": pct(0.99),
        "err_connect": failed, "err_read": hold_fail, "err_write": 0,
        "err_status": 0, "err_timeout": 0}), flush=True)
    for s in idle:
        s.close()


if __name__ == "__main__":
    sys.exit(main())
