#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
dns_corpus.py - (re)make the seed corpus of fuzz_dns_msg from real DNS
responses: dnsmasq (a real resolver's encoder and name compression:
CNAME chains, several addresses, AAAA, TXT/MX, NXDOMAIN, EDNS) and
tests/blackbox/stub_dns.py, both on loopback ports, asked by this script
over UDP. A few responses are also kept wrapped in the IPv4 or IPv6 and
UDP headers the learner's packet socket sees (learn_pkt_udp()).

    /usr/bin/python3 tests/fuzz/dns_corpus.py [OUTDIR]

Needs dnsmasq (Debian: dnsmasq-base); the corpus is committed, so only
whoever changes it needs this. Every server is stopped at the end.
"""

import os
import random
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STUB = HERE.parent / "blackbox" / "stub_dns.py"
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "corpus" / "dns_msg"

T = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16,
     "AAAA": 28, "HTTPS": 65, "ANY": 255}


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(name, qtype, edns=False, qid=None):
    qid = random.randrange(65536) if qid is None else qid
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    msg += qname(name) + struct.pack("!HH", T[qtype], 1)
    if edns:        # OPT: root owner, UDP size 1232, no options
        msg += b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
    return msg


def ask(port, name, qtype, edns=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(query(name, qtype, edns), ("127.0.0.1", port))
        return s.recv(65535)
    finally:
        s.close()


def wait_udp(port, proc):
    for _ in range(100):
        if proc.poll() is not None:
            raise SystemExit("server on port %d exited" % port)
        try:
            ask(port, "ready.test", "A")
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server on port %d did not answer" % port)


def ip4_udp(payload, src="198.18.2.53", dst="198.18.1.2"):
    udp = struct.pack("!HHHH", 53, 40000, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64,
                      17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return hdr + udp


def ip6_udp(payload, src="2001:db8:2::53", dst="2001:db8:1::2"):
    udp = struct.pack("!HHHH", 53, 40000, 8 + len(payload), 0) + payload
    hdr = struct.pack("!IHBB16s16s", 6 << 28, len(udp), 17, 64,
                      socket.inet_pton(socket.AF_INET6, src),
                      socket.inet_pton(socket.AF_INET6, dst))
    return hdr + udp


def main():
    random.seed(13)
    OUT.mkdir(parents=True, exist_ok=True)
    procs = []
    try:
        dm = subprocess.Popen([
            "dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts",
            "--bind-interfaces", "--listen-address=127.0.0.1",
            "--port=5399", "--conf-file=/dev/null", "--user=root",
            "--host-record=cdn.example.test,198.18.2.3,2001:db8:2::3",
            "--host-record=multi.example.test,198.18.2.2",
            "--host-record=multi.example.test,198.18.2.3",
            "--host-record=multi.example.test,198.18.2.4",
            "--host-record=ready.test,198.18.2.9",
            "--cname=www.example.test,cdn.example.test",
            "--cname=a.chain.test,b.chain.test",
            "--cname=b.chain.test,www.example.test",
            "--cname=Mixed.Case.Test,cdn.example.test",
            "--txt-record=txt.example.test,\"v=spf1 -all\"",
            "--mx-host=example.test,mail.example.test,10",
            "--local=/example.test/", "--local=/chain.test/"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(dm)
        stub = subprocess.Popen([
            sys.executable, str(STUB), "--listen", "127.0.0.1:5398",
            "--name", "cdn.test=198.18.2.3,2001:db8:2::3",
            "--name", "ready.test=198.18.2.9"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(stub)
        wait_udp(5399, dm)
        wait_udp(5398, stub)
        seeds = {}
        for name, qt, edns in [
                ("cdn.example.test", "A", False),
                ("cdn.example.test", "AAAA", True),
                ("www.example.test", "A", False),
                ("www.example.test", "AAAA", True),
                ("a.chain.test", "A", True),
                ("Mixed.Case.Test", "A", False),
                ("multi.example.test", "A", True),
                ("txt.example.test", "TXT", False),
                ("example.test", "MX", True),
                ("nxdomain.example.test", "A", False),
                ("cdn.example.test", "HTTPS", True)]:
            key = "dnsmasq_%s_%s%s" % (name.lower().replace(".", "_"), qt,
                                      "_edns" if edns else "")
            seeds[key] = ask(5399, name, qt, edns)
        for name, qt in [("cdn.test", "A"), ("cdn.test", "AAAA"),
                         ("nothere.test", "A")]:
            seeds["stub_%s_%s" % (name.replace(".", "_"), qt)] = ask(
                5398, name, qt)
        seeds["pkt4_dnsmasq_www_A"] = ip4_udp(
            seeds["dnsmasq_www_example_test_A"])
        seeds["pkt6_stub_cdn_AAAA"] = ip6_udp(seeds["stub_cdn_test_AAAA"])
        for key, data in sorted(seeds.items()):
            (OUT / (key + ".bin")).write_bytes(data)
            print("%-45s %4d bytes" % (key, len(data)))
    finally:
        for p in procs:
            p.terminate()
            p.wait(5)


if __name__ == "__main__":
    main()
