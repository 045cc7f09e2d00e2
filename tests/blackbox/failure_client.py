#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
failure_client.py - a bounded stream of HTTP requests for
test_tproxyctl_failure.py, run inside the client namespace.

    failure_client.py --url-host ADDR --out FILE [--every MS] [--timeout S]
                      [--duration S] [--stop-file PATH]

Starts one request every --every ms (each in its own thread, so a request
stuck on a hung proxy does not hold back the next ones) until --duration
seconds have passed or --stop-file exists. Each request is a fresh TCP
connection to ADDR:80, `GET /headers` (the origin answers the request
headers it received, as JSON: "raw" the lines), and writes one JSON line to FILE:

    {"start": T0, "end": T1, "outcome": O}

T0/T1 are time.monotonic() (CLOCK_MONOTONIC: the same clock in every
namespace, so the test can compare them with its own event times). O is
"proxied" (the origin saw tproxyd's Via header), "direct" (answered by the
origin, no Via), "reset" (connection refused or reset), "timeout", or
"error: ..." for anything else.
"""

import argparse
import json
import os
import socket
import threading
import time


def one(host, timeout, out, lock):
    t0 = time.monotonic()
    data = b""
    try:
        s = socket.create_connection((host, 80), timeout=timeout)
        try:
            s.settimeout(max(0.1, timeout - (time.monotonic() - t0)))
            s.sendall(b"GET /headers HTTP/1.1\r\nHost: origin\r\n"
                      b"Connection: close\r\n\r\n")
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        finally:
            s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            outcome = "error: %r" % head[:60]
        else:
            hdrs = json.loads(body)["raw"]
            via = any(h.lower().startswith("via:") and "(tproxyd" in h
                      for h in hdrs)
            outcome = "proxied" if via else "direct"
    except (ConnectionResetError, ConnectionRefusedError):
        outcome = "reset"
    except socket.timeout:
        outcome = "timeout"
    except (OSError, ValueError) as e:
        outcome = "error: %s" % e
    rec = {"start": t0, "end": time.monotonic(), "outcome": outcome}
    with lock:
        out.write(json.dumps(rec) + "\n")
        out.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url-host", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--every", type=float, default=50)
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--stop-file")
    a = ap.parse_args()
    lock = threading.Lock()
    end = time.monotonic() + a.duration
    with open(a.out, "a") as out:
        threads = []
        nxt = time.monotonic()
        while time.monotonic() < end and not (
                a.stop_file and os.path.exists(a.stop_file)):
            th = threading.Thread(target=one, args=(a.url_host, a.timeout,
                                                    out, lock), daemon=True)
            th.start()
            threads.append(th)
            threads = [x for x in threads if x.is_alive()]
            nxt += a.every / 1000.0
            time.sleep(max(0.0, nxt - time.monotonic()))
        for th in threads:
            th.join(a.timeout + 1)


if __name__ == "__main__":
    main()
