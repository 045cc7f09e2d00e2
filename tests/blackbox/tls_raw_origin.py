#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
tls_raw_origin.py - a byte-recording TCP origin for the HTTPS interception
tests, run in the server namespace: it echoes every byte it receives and,
when a connection ends, appends one JSON line to the --log file:

    {"listener": "198.18.2.4:443", "peer": [addr, port],
     "local": [addr, port], "received": HEX (first 1 MiB),
     "nbytes": N, "end": "eof" | "reset" | "timeout", "first_byte": S,
     "duration": S}

so a test sees exactly which bytes reached the server, in which order,
from which (spoofed) address. A listener given as ADDR:PORT/banner first
sends BANNER (a server-talks-first protocol such as SSH or SMTP), then
echoes.

    /usr/bin/python3 tls_raw_origin.py --log FILE \
        --listen 198.18.2.4:443 --listen [2001:db8:2::4]:443 \
        --listen 198.18.2.5:443/banner

Every connection is bounded: 30 s without a byte ends it.
"""

import argparse
import json
import socket
import sys
import threading
import time

BANNER = b"SSH-2.0-tproxyd_test_origin\r\n"
CAP = 1 << 20


def parse_listen(spec):
    banner = spec.endswith("/banner")
    spec = spec[:-len("/banner")] if banner else spec
    host, _, port = spec.rpartition(":")
    return host.strip("[]"), int(port), banner


class Origin:
    def __init__(self, log):
        self.log = log
        self.lock = threading.Lock()

    def record(self, rec):
        with self.lock:
            with open(self.log, "a") as f:
                f.write(json.dumps(rec) + "\n")

    def serve(self, s, name, banner):
        t0 = time.monotonic()
        got = bytearray()
        n = 0
        first = None
        end = "eof"
        peer = list(s.getpeername()[:2])
        local = list(s.getsockname()[:2])
        s.settimeout(30)
        try:
            if banner:
                s.sendall(BANNER)
            while True:
                d = s.recv(262144)
                if not d:
                    break
                if first is None:
                    first = time.monotonic() - t0
                n += len(d)
                got += d[:max(0, CAP - len(got))]
                s.sendall(d)
        except socket.timeout:
            end = "timeout"
        except (ConnectionResetError, BrokenPipeError):
            end = "reset"
        finally:
            s.close()
        self.record({"listener": name, "peer": peer, "local": local,
                     "received": bytes(got).hex(), "nbytes": n,
                     "end": end, "first_byte": first,
                     "duration": time.monotonic() - t0})

    def accept_loop(self, ls, name, banner):
        while True:
            s, _ = ls.accept()
            threading.Thread(target=self.serve, args=(s, name, banner),
                             daemon=True).start()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", action="append", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args(argv)
    o = Origin(a.log)
    threads = []
    for spec in a.listen:
        host, port, banner = parse_listen(spec)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        ls = socket.socket(fam, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((host, port))
        ls.listen(64)
        t = threading.Thread(target=o.accept_loop, args=(ls, spec, banner),
                             daemon=True)
        t.start()
        threads.append(t)
    print("READY", flush=True)
    for t in threads:
        t.join()
    return 0


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
