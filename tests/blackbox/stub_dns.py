#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
stub_dns.py - a tiny authoritative-looking DNS responder for the
interception tests (tproxyd's Host verification resolves non-IP Host
names). It answers A/AAAA from a fixed table and NXDOMAIN for every other
name, at once, so a failed lookup never waits for a timeout.

    /usr/bin/python3 stub_dns.py --listen 127.0.0.1:53 \
        --name good.example=198.18.2.2,2001:db8:2::2 ...

--listen may be given several times (IPv4 or [IPv6]:port). --client
NET=NAME=ADDR,... answers NAME with other addresses to clients in NET (a
CDN that answers per resolver or per client); the first matching NET
wins, other clients get the --name table.
"""

import argparse
import ipaddress
import selectors
import socket
import struct
import sys

QTYPE = {1: socket.AF_INET, 28: socket.AF_INET6}
PTR = 12


def ptr_addr(name):
    """The address a reverse name (in-addr.arpa, ip6.arpa) stands for, in
    inet_ntop form, or None."""
    labels = name.split(".")
    try:
        if name.endswith(".in-addr.arpa") and len(labels) == 6:
            return socket.inet_ntop(socket.AF_INET, bytes(
                int(x) for x in reversed(labels[:4])))
        if name.endswith(".ip6.arpa") and len(labels) == 34:
            hexs = "".join(reversed(labels[:32]))
            return socket.inet_ntop(socket.AF_INET6, bytes.fromhex(hexs))
    except (ValueError, OSError):
        return None
    return None


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        b = label.encode("ascii")
        out += bytes([len(b)]) + b
    return out + b"\0"


def answer(q, table, ptrs=None):
    qid, _flags, qdcount = struct.unpack("!HHH", q[:6])
    if qdcount != 1:
        return None
    i, labels = 12, []
    while q[i]:
        n = q[i]
        labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    i += 1
    qtype, _qclass = struct.unpack("!HH", q[i:i + 4])
    question = q[12:i + 4]
    name = ".".join(labels).lower().rstrip(".")
    if qtype == PTR:
        target = (ptrs or {}).get(ptr_addr(name) or "")
        rcode = 0 if target else 3
        out = struct.pack("!HHHHHH", qid, 0x8580 | rcode, 1,
                          1 if target else 0, 0, 0) + question
        if target:
            rd = encode_name(target)
            out += struct.pack("!HHHIH", 0xC00C, PTR, 1, 60, len(rd)) + rd
        return out
    addrs = []
    if name in table and qtype in QTYPE:
        fam = QTYPE[qtype]
        addrs = [socket.inet_pton(fam, a) for a in table[name]
                 if (":" in a) == (fam == socket.AF_INET6)]
    rcode = 0 if name in table else 3           # NXDOMAIN
    out = struct.pack("!HHHHHH", qid, 0x8580 | rcode, 1, len(addrs), 0, 0)
    out += question
    for rd in addrs:
        out += struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(rd)) + rd
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", action="append", default=[])
    ap.add_argument("--name", action="append", default=[],
                    help="NAME=ADDR[,ADDR...]")
    ap.add_argument("--ptr", action="append", default=[],
                    help="ADDR=NAME (the answer to a reverse lookup)")
    ap.add_argument("--client", action="append", default=[],
                    help="NET=NAME=ADDR[,ADDR...] (per-client answers)")
    a = ap.parse_args(argv)
    ptrs = {}
    for spec in a.ptr:
        addr, _, n = spec.partition("=")
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        ptrs[socket.inet_ntop(fam, socket.inet_pton(fam, addr))] = n
    table = {}
    for spec in a.name:
        n, _, addrs = spec.partition("=")
        table[n.lower()] = [x for x in addrs.split(",") if x]
    per_client = []
    for spec in a.client:
        net, n, addrs = spec.split("=", 2)
        per_client.append((ipaddress.ip_network(net), n.lower(),
                           [x for x in addrs.split(",") if x]))
    sel = selectors.DefaultSelector()
    for listen in a.listen or ["127.0.0.1:53"]:
        host, _, port = listen.rpartition(":")
        fam = socket.AF_INET6 if host.startswith("[") else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((host.strip("[]"), int(port)))
        sel.register(s, selectors.EVENT_READ)
    print("READY", flush=True)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            q, peer = s.recvfrom(4096)
            t = table
            for net, n, addrs in per_client:
                if ipaddress.ip_address(peer[0]) in net:
                    t = dict(table)
                    t[n] = addrs
                    break
            try:
                r = answer(q, t, ptrs)
            except (IndexError, struct.error, ValueError):
                r = None
            if r:
                s.sendto(r, peer)


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
