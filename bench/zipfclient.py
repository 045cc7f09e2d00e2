#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
zipfclient.py - the client of the cache bench's Zipf and fill workloads
(bench/cache_bench.py, bench/README.md "Cache").

    zipfclient.py --host H --objects 100000 --requests 300000 --s 0.9 \\
                  --seed 15 --conns 8
        draws --requests URLs /z/SIZE/ID from a Zipf(s) popularity over
        --objects objects (deterministic: --seed), sends them over --conns
        keep-alive connections (request i on connection i % conns, in
        order) and prints one line "ZIPFJSON {...}".
    zipfclient.py --host H --fill N --fill-size BYTES --conns 8
        GET /f/0 ... /f/N-1, each once (fills a store).
    zipfclient.py --objects 100000 --seed 15 --working-set
        prints the working set (objects, bytes, size classes) only.

Object sizes (the same function for the origin's files, sizes()): drawn per
object from a lognormal distribution with median 8 KiB and sigma 1.5
(mean ~25 KiB), limited to 256 B .. 8 MiB, rounded up to one of 61 size
classes 256 B * 2^(k/4) (k = 0..60), so that the origin needs one file per
class and every object ID is still its own URL. The popularity rank of an
object is independent of its size (ranks are a seeded permutation of IDs).

No third-party modules: /usr/bin/python3 as Debian ships it.
"""
import argparse
import bisect
import itertools
import json
import math
import random
import socket
import sys
import threading
import time

MEDIAN = 8192
SIGMA = 1.5
MIN_SIZE = 256
MAX_SIZE = 8 << 20
CLASSES = 61


def size_class(k):
    """Bytes of size class k (0 .. CLASSES-1)."""
    return int(round(MIN_SIZE * 2 ** (k / 4.0)))


def sizes(objects, seed):
    """Size in bytes of every object ID 0 .. objects-1."""
    rng = random.Random(seed)
    out = []
    for _ in range(objects):
        x = rng.lognormvariate(math.log(MEDIAN), SIGMA)
        x = min(max(x, MIN_SIZE), MAX_SIZE)
        k = int(math.ceil(4 * math.log2(x / MIN_SIZE) - 1e-9))
        out.append(size_class(min(max(k, 0), CLASSES - 1)))
    return out


def sequence(objects, requests, s, seed):
    """The request sequence: object IDs drawn from Zipf(s) over ranks
    1..objects, rank r having weight 1/r^s; rank -> ID by a seeded
    permutation."""
    ids = list(range(objects))
    random.Random(seed + 1).shuffle(ids)
    cum = list(itertools.accumulate(1.0 / (r ** s)
                                    for r in range(1, objects + 1)))
    total = cum[-1]
    rng = random.Random(seed + 2)
    return [ids[min(bisect.bisect_left(cum, rng.random() * total),
                    objects - 1)] for _ in range(requests)]


class Conn:
    """One keep-alive HTTP/1.1 connection, reconnected when closed."""

    def __init__(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        self.s = None
        self.buf = bytearray(1 << 20)
        self.view = memoryview(self.buf)

    def get(self, path):
        """(status, header bytes, body bytes, headers dict) of one GET."""
        for attempt in (0, 1):
            if self.s is None:
                self.s = socket.create_connection((self.host, self.port),
                                                  timeout=self.timeout)
                self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,
                                  1)
            try:
                self.s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n"
                                % (path, self.host)).encode())
                return self._response()
            except (ConnectionError, EOFError):
                self.close()
                if attempt:
                    raise
        raise EOFError

    def _response(self):
        head = b""
        while b"\r\n\r\n" not in head:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("closed before the response head")
            head += d
        i = head.index(b"\r\n\r\n") + 4
        head, rest = head[:i], head[i:]
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        if "content-length" not in hdrs:
            raise ValueError("no Content-Length (status %d)" % status)
        left = int(hdrs["content-length"]) - len(rest)
        body = len(rest)
        while left > 0:
            n = self.s.recv_into(self.view, min(left, len(self.buf)))
            if not n:
                raise EOFError("closed in the body")
            left -= n
            body += n
        if hdrs.get("connection", "").lower() == "close":
            self.close()
        return status, len(head), body, hdrs

    def close(self):
        if self.s is not None:
            self.s.close()
            self.s = None


def hit_marked(h):
    """True if the response says it came from a cache: X-Cache HIT
    (Squid), X-Cache-Status HIT (nginx), Age (RFC 9111 5.1: a cache sends
    it on stored responses; the bench's origin never does)."""
    return (h.get("x-cache", "").upper().startswith("HIT") or
            h.get("x-cache-status", "").upper() == "HIT" or
            "age" in h)


def run(host, port, paths, conns, timeout):
    """Send paths over conns connections (path i on connection i % conns,
    in order); returns the counters."""
    tot = {"requests": 0, "bytes": 0, "body_bytes": 0, "errors": 0,
           "non200": 0, "hit_marked": 0, "hit_marked_bytes": 0}
    lock = threading.Lock()
    errs = []

    def worker(mine):
        c = Conn(host, port, timeout)
        n = {k: 0 for k in tot}
        for p in mine:
            try:
                status, hb, bb, h = c.get(p)
            except (OSError, EOFError, ValueError) as e:
                n["errors"] += 1
                c.close()
                if len(errs) < 5:
                    errs.append("%s: %s" % (p, e))
                continue
            n["requests"] += 1
            n["bytes"] += hb + bb
            n["body_bytes"] += bb
            if status != 200:
                n["non200"] += 1
            if hit_marked(h):
                n["hit_marked"] += 1
                n["hit_marked_bytes"] += hb + bb
        c.close()
        with lock:
            for k in tot:
                tot[k] += n[k]
    threads = [threading.Thread(target=worker, args=(paths[i::conns],))
               for i in range(conns)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tot["duration_s"] = time.monotonic() - t0
    tot["first_errors"] = errs
    return tot


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="198.18.2.2")
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--objects", type=int, default=100000)
    ap.add_argument("--requests", type=int, default=300000)
    ap.add_argument("--s", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--fill", type=int, metavar="N")
    ap.add_argument("--working-set", action="store_true")
    a = ap.parse_args()
    if a.fill is not None:
        out = run(a.host, a.port, ["/f/%d" % i for i in range(a.fill)],
                  a.conns, a.timeout)
    else:
        sz = sizes(a.objects, a.seed)
        if a.working_set:
            print("ZIPFJSON " + json.dumps({
                "objects": a.objects, "bytes": sum(sz),
                "classes": sorted(set(sz))}))
            return
        seq = sequence(a.objects, a.requests, a.s, a.seed)
        out = run(a.host, a.port,
                  ["/z/%d/%d" % (sz[i], i) for i in seq], a.conns,
                  a.timeout)
        out.update(objects=a.objects, s=a.s, seed=a.seed,
                   distinct=len(set(seq)),
                   working_set_bytes=sum(sz),
                   requested_bytes_body=sum(sz[i] for i in seq))
    print("ZIPFJSON " + json.dumps(out), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
