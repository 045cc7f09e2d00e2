#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
udp_tool.py - the two ends of the UDP interception tests (test_udp.py),
run inside the test's namespaces.

  udp_tool.py echo --port P [--port P2 ...]
      An origin on 0.0.0.0:P and [::]:P that answers each datagram with
      JSON {"saw": "ADDR:PORT", "to": "ADDR:PORT", "len": N}: the source
      it saw (the client's, when the proxy relays from the client's own
      address) and the address it was sent to.

  udp_tool.py send --to ADDR:PORT [--data TEXT | --dgrams FILE | --size N]
                   [--count N] [--wait S] [--family 4|6]
      Send datagrams from one socket (one flow) and print, as one JSON
      object, every reply with the address it came from, or the error
      the socket got (an ICMP error: ECONNREFUSED on a connected socket).
      --dgrams: a file of 2-byte big-endian lengths and datagrams
      (tests/data/quic/*.dgrams).
      --gso K (with --size N): each send is K datagrams of N bytes in one
      buffer with UDP_SEGMENT (as QUIC stacks send), cut by the kernel.
      --gso-reply K (with --size N): one datagram asking the echo to
      answer with K datagrams of N bytes in one GSO send.
      --sizes N,N,...: datagrams of these sizes (padded "BIG"), after a
      first one and --first-gap seconds (the flow exists by then).

  The echo answers "BIG..." with a reply padded to the datagram's length,
  and "GSOREPLY K N" with K replies of N bytes sent as one buffer with
  UDP_SEGMENT.
"""

import argparse
import errno
import json
import select
import socket
import struct
import sys
import time

IP_PKTINFO = 8          # <linux/in.h>; not in Python's socket module
SOL_UDP = 17
UDP_SEGMENT = 103       # <linux/udp.h>


def parse_addr(s):
    if s.startswith("["):
        host, port = s[1:].split("]:")
        return socket.AF_INET6, host, int(port)
    host, port = s.rsplit(":", 1)
    return socket.AF_INET, host, int(port)


def text(addr):
    if ":" in addr[0]:
        return "[%s]:%d" % (addr[0], addr[1])
    return "%s:%d" % (addr[0], addr[1])


def echo(args):
    socks = []
    for port in args.port:
        for fam, host in ((socket.AF_INET, "0.0.0.0"),
                          (socket.AF_INET6, "::")):
            s = socket.socket(fam, socket.SOCK_DGRAM)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                # IPV6_RECVPKTINFO: the address it was sent to.
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO,
                             1)
            else:
                s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
            s.bind((host, port))
            socks.append(s)
    print("ready", flush=True)
    while True:
        r, _, _ = select.select(socks, [], [])
        for s in r:
            data, anc, _, peer = s.recvmsg(65535, 1024)
            to = "?"
            for level, typ, val in anc:
                if level == socket.IPPROTO_IP and typ == IP_PKTINFO:
                    to = "%s:%d" % (socket.inet_ntop(
                        socket.AF_INET, val[8:12]), s.getsockname()[1])
                elif level == socket.IPPROTO_IPV6 and \
                        typ == socket.IPV6_PKTINFO:
                    to = "[%s]:%d" % (socket.inet_ntop(
                        socket.AF_INET6, val[:16]), s.getsockname()[1])
            if data.startswith(b"SILENT"):
                continue
            if data.startswith(b"GSOREPLY "):
                k, n = (int(x) for x in data.split()[1:3])
                one = json.dumps({"saw": text(peer), "to": to,
                                  "len": n}).encode()
                one += b" " * (n - len(one))
                s.sendmsg([one * k], [(SOL_UDP, UDP_SEGMENT,
                                       struct.pack("=H", n))], 0, peer)
                continue
            reply = json.dumps({"saw": text(peer), "to": to,
                                "len": len(data)}).encode()
            if data.startswith(b"BIG"):
                reply += b" " * (len(data) - len(reply))
            s.sendto(reply, peer)


def read_dgrams(path):
    b = open(path, "rb").read()
    out, i = [], 0
    while i + 2 <= len(b):
        n = struct.unpack(">H", b[i:i + 2])[0]
        out.append(b[i + 2:i + 2 + n])
        i += 2 + n
    return out


def send(args):
    fam, host, port = parse_addr(args.to)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if args.bind:
        s.bind((args.bind, 0))
    if args.dgrams:
        dgrams = read_dgrams(args.dgrams)
    elif args.gso_reply:
        dgrams = [b"GSOREPLY %d %d" % (args.gso_reply, args.size)]
    elif args.sizes:
        dgrams = [b"BIG" + b"x" * (int(n) - 3)
                  for n in args.sizes.split(",")]
    elif args.gso:
        s.setsockopt(SOL_UDP, UDP_SEGMENT, args.size)
        dgrams = [(b"BIG" + b"x" * (args.size - 3)) * args.gso]
    elif args.size:
        dgrams = [b"BIG" + b"x" * (args.size - 3)]
    elif args.empty:
        dgrams = [b""]
    else:
        dgrams = [args.data.encode()]
    # connect(): the kernel then reports an ICMP error to us, and only
    # the destination's datagrams are read.
    s.connect((host, port))
    me = text(s.getsockname()[:2])
    replies, err = [], None
    if args.first_gap:
        s.send(b"first")
        time.sleep(args.first_gap)
    for _ in range(args.count):
        for d in dgrams:
            try:
                s.send(d)
            except OSError as e:
                err = errno.errorcode.get(e.errno, str(e.errno))
        if args.gap:
            time.sleep(args.gap)
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline and err is None:
        r, _, _ = select.select([s], [], [], deadline - time.monotonic())
        if not r:
            break
        try:
            data, peer = s.recvfrom(65535)
        except OSError as e:
            err = errno.errorcode.get(e.errno, str(e.errno))
            break
        try:
            body = json.loads(data.decode().strip())
        except ValueError:
            body = {"raw_len": len(data)}
        replies.append({"from": text(peer), "body": body,
                        "len": len(data)})
        if len(replies) >= args.replies:
            break
    print(json.dumps({"me": me, "replies": replies, "error": err}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("echo")
    e.add_argument("--port", type=int, action="append", required=True)
    s = sub.add_parser("send")
    s.add_argument("--to", required=True)
    s.add_argument("--bind")
    s.add_argument("--data", default="hello")
    s.add_argument("--dgrams")
    s.add_argument("--size", type=int, default=0)
    s.add_argument("--empty", action="store_true")
    s.add_argument("--gso", type=int, default=0)
    s.add_argument("--gso-reply", type=int, default=0)
    s.add_argument("--sizes")
    s.add_argument("--first-gap", type=float, default=0)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--gap", type=float, default=0)
    s.add_argument("--wait", type=float, default=3.0)
    s.add_argument("--replies", type=int, default=1)
    args = ap.parse_args()
    if args.cmd == "echo":
        echo(args)
    else:
        send(args)


if __name__ == "__main__":
    sys.exit(main())
