#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
udp_load.py - the two ends of bench/udp_bench.py's loads, run inside its
namespaces.

  udp_load.py echo PORT            answer every datagram with itself
  udp_load.py sink PORT SECONDS    count datagrams, print JSON at the end
  udp_load.py rr HOST PORT N SECONDS SIZE
      N sockets (N flows), each with one request of SIZE bytes out at a
      time: print JSON {"n": answers, "rtt_us": [sample...]}
  udp_load.py bulk HOST PORT SECONDS SIZE
      send SIZE-byte datagrams as fast as possible from one socket:
      print JSON {"sent": n}
"""
import json
import select
import socket
import sys
import time


def echo(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("0.0.0.0", port))
    print("ready", flush=True)
    while True:
        d, a = s.recvfrom(65535)
        s.sendto(d, a)


def sink(port, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("0.0.0.0", port))
    s.settimeout(0.2)
    print("ready", flush=True)
    n = nbytes = 0
    first = last = None
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            d = s.recv(65535)
        except socket.timeout:
            continue
        last = time.monotonic()
        if first is None:
            first = last
        n += 1
        nbytes += len(d)
    print(json.dumps({"n": n, "bytes": nbytes,
                      "secs": (last - first) if first and last else 0}),
          flush=True)


def rr(host, port, nsock, secs, size):
    socks = []
    for _ in range(nsock):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect((host, port))
        s.setblocking(False)
        socks.append(s)
    payload = b"q" * size
    sent_at = {}
    p = select.epoll()
    for s in socks:
        p.register(s.fileno(), select.EPOLLIN)
        s.send(payload)
        sent_at[s.fileno()] = time.perf_counter()
    by_fd = {s.fileno(): s for s in socks}
    rtts, n = [], 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        for fd, _ in p.poll(0.5):
            s = by_fd[fd]
            try:
                s.recv(65535)
            except OSError:
                continue
            now = time.perf_counter()
            rtts.append(now - sent_at[fd])
            n += 1
            s.send(payload)
            sent_at[fd] = time.perf_counter()
        # a lost datagram: send again after a second
        now = time.perf_counter()
        for fd, t in list(sent_at.items()):
            if now - t > 1.0:
                by_fd[fd].send(payload)
                sent_at[fd] = now
    rtts.sort()
    step = max(1, len(rtts) // 20000)
    print(json.dumps({"n": n, "rtt_us": [int(r * 1e6)
                                          for r in rtts[::step]]}))


def bulk(host, port, secs, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, port))
    d = b"b" * size
    n = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        for _ in range(256):
            try:
                s.send(d)
                n += 1
            except OSError:
                pass
    print(json.dumps({"sent": n}))


def main():
    a = sys.argv[1:]
    if a[0] == "echo":
        echo(int(a[1]))
    elif a[0] == "sink":
        sink(int(a[1]), float(a[2]))
    elif a[0] == "rr":
        rr(a[1], int(a[2]), int(a[3]), float(a[4]), int(a[5]))
    else:
        bulk(a[1], int(a[2]), float(a[3]), int(a[4]))


if __name__ == "__main__":
    main()
