#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
wccp_router.py - a minimal WCCPv2 router for tests, run inside its own
network namespace (tests/blackbox/test_wccp2.py).

Written from the drafts (draft-wilson-wrec-wccp-v2, draft-mclaggan-wccp-
v2rev1), independently of tproxyd's C codec, so that the two check each
other. What it does, per service group:

  HERE_I_AM from a cache   -> the cache joins (or stays in) the view;
                              answer I_SEE_YOU with the router view (every
                              cache with its weight)
  REDIRECT_ASSIGN          -> applied: the bucket table is stored
  cache silent for --cache-timeout s
                           -> REMOVAL_QUERY at 60 % of it, removal from the
                              view at 100 % (the view change number grows)

MD5: --password checks every incoming message (a bad one is counted in
"auth_fail" and dropped); --send-password signs what the router sends
(default: the same), so a test can make the router lie.

State: after every event the JSON file --state is rewritten atomically:
  {"view": {SVC: [cache ip...]}, "change": {SVC: n},
   "assign": {SVC: {"key_ip": ip, "key_change": n, "counts": {ip: n}}},
   "here_i_am": {ip: n}, "auth_fail": n, "removal_query": [ip...],
   "assign_msgs": n, "joined": {ip: time of the first HERE_I_AM},
   "assign_log": [[time, key ip, key change number], ...]}
(times: time.time()). --no-key-reflect leaves the assignment key out of
the Router View (zeros), as a router that has not received any
assignment would: the designated cache must then repeat it. --caps F,A,R
sets the forwarding, assignment and return methods offered in I_SEE_YOU
(bit masks, default 3,3,3: GRE and L2, hash and mask, GRE and L2).
--gre-df: a redirected packet that no longer fits the MTU toward the
cache once wrapped in GRE (+ 28 bytes) is dropped instead of fragmented
(test_doctor_wccp.py: large responses stall until the cache clamps its
MSS).
where SVC is "dynamic:80" or "standard:0".

Data plane (--redirect gre|l2, with --client-if and --server-if): once a
REDIRECT_ASSIGN has arrived the router redirects, as a WCCP router does,

  * TCP packets to port 80 arriving on --client-if (the clients' requests),
  * TCP packets from port 80 arriving on --server-if (the origin servers'
    answers, which belong to the cache's spoofed connections: the return
    service of the Squid wiki's examples, service 90),

to the cache that holds the bucket of the CLIENT's address (its last
octet XOR-folded: the same cache for both directions). The kernel picks
them out with policy routing (`ip rule ... iif IF ipproto tcp dport 80
lookup 200`); everything else is routed normally.

  gre  table 200 routes into a TUN device this process reads: each packet
       is sent to the cache in a raw IPPROTO_GRE socket (the kernel adds
       the outer IPv4 header, router -> cache) behind a GRE header (flags
       0, protocol 0x883E) and the 4-byte WCCPv2 redirect header (dynamic
       flag, service id, alternate bucket 0, primary bucket).
  l2   table 200 routes via the cache's address on the shared segment: the
       packet reaches the cache's MAC unchanged. One cache only (the one
       with the most buckets): per-bucket L2 steering is not modelled.

Packet return (draft-wilson-wrec-wccp-v2-01 4.13), with --redirect gre:
a cache gives back a redirected packet it does not serve as GRE to the
router: outer IPv4 (cache -> router), GRE flags 0 / protocol 0x883E, the
redirect header it received (or a null one), the original packet. The
raw GRE socket reads them; a packet from an address that is no cache of
any service group, or malformed, is counted in "gre_return_bad" and
dropped. The original packet is written to the TUN device, so the kernel
receives it on wredir0 - not on --client-if or --server-if, where the
redirect rules look - and forwards it normally, never redirected again
(as a Cisco router does with GRE-returned packets).

Counters in the state file: "gre_sent": {cache ip: n}, "gre_returned":
{cache ip: n}, "gre_return_bad": n, "returned_flows": the first 50
distinct "src:port>dst:port" of returned TCP packets, "redirecting":
service or null.
"""

import argparse
import fcntl
import hashlib
import json
import os
import select
import socket
import struct
import subprocess
import time

TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454ca, 0x0001, 0x1000
REDIRECT_TABLE = "200"
GRE_WCCP = 0x883E

HERE_I_AM, I_SEE_YOU, REDIRECT_ASSIGN, REMOVAL_QUERY = 10, 11, 12, 13
C_SECURITY, C_SERVICE, C_ROUTER_ID, C_WC_ID = 0, 1, 2, 3
C_ROUTER_VIEW, C_WC_VIEW, C_ASSIGN, C_QUERY, C_CAPS = 4, 5, 6, 7, 8
C_ALT_ASSIGN = 13


def ip2s(b):
    return socket.inet_ntoa(b)


def md5_of(password, msg, off):
    key = (password.encode() + b"\0" * 8)[:8]
    return hashlib.md5(key + msg[:off] + b"\0" * 16 + msg[off + 16:]).digest()


def parse(msg):
    """-> (type, {ctype: (offset_of_body, body)}) or raise ValueError."""
    if len(msg) < 8:
        raise ValueError("short")
    mtype, ver, mlen = struct.unpack("!IHH", msg[:8])
    if ver != 0x200 or mlen != len(msg) - 8:
        raise ValueError("header")
    comps, off = {}, 8
    while off < len(msg):
        if off + 4 > len(msg):
            raise ValueError("component header")
        ct, cl = struct.unpack("!HH", msg[off:off + 4])
        if off + 4 + cl > len(msg):
            raise ValueError("component length")
        comps[ct] = (off + 4, msg[off + 4:off + 4 + cl])
        off += 4 + cl
    return mtype, comps


def check_md5(msg, comps, password):
    off, sec = comps.get(C_SECURITY, (0, b""))
    opt = struct.unpack("!I", sec[:4])[0] if len(sec) >= 4 else -1
    if password is None:
        return opt == 0
    if opt != 1 or len(sec) != 20:
        return False
    return md5_of(password, msg, off + 4) == sec[4:20]


def build(mtype, comps, password):
    """comps: list of (ctype, body). Security is prepended."""
    sec = struct.pack("!I", 1) + b"\0" * 16 if password else struct.pack(
        "!I", 0)
    body = b""
    for ct, cb in [(C_SECURITY, sec)] + comps:
        body += struct.pack("!HH", ct, len(cb)) + cb
    msg = struct.pack("!IHH", mtype, 0x200, len(body)) + body
    if password:
        msg = msg[:16] + md5_of(password, msg, 16) + msg[32:]
    return msg


def skip_mask_set(b, off):
    n = struct.unpack("!I", b[off:off + 4])[0]
    off += 4
    for _ in range(n):
        off += 12
        nv = struct.unpack("!I", b[off:off + 4])[0]
        off += 4 + 16 * nv
    return off


class Router:
    def __init__(self, a):
        self.a = a
        self.rid = socket.inet_aton(a.address)
        self.recv_id = 0
        self.caches = {}      # svc -> {ip_bytes: {"seen", "weight", "qsent"}}
        self.change = {}      # svc -> member change number
        self.assign = {}      # svc -> dict
        self.svc_body = {}    # svc -> service info body
        self.here = {}
        self.auth_fail = 0
        self.removal = []
        self.assign_msgs = 0
        self.joined = {}
        self.assign_log = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((a.address, 2048))
        self.table = {}       # svc -> 256 cache ips (hash) or None
        self.redirecting = None   # (svc, ips) once rules are installed
        self.gre_sent = {}
        self.gre_returned = {}
        self.gre_return_bad = 0
        self.returned_flows = []
        self.dirty = False
        self.tun = self.raw = None
        if a.redirect == "gre":
            self.tun = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
            fcntl.ioctl(self.tun, TUNSETIFF, struct.pack(
                "16sH", a.tun.encode(), IFF_TUN | IFF_NO_PI))
            self.ip("link", "set", a.tun, "up")
            self.ip("route", "add", "default", "dev", a.tun, "table",
                    REDIRECT_TABLE)
            self.raw = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                                     socket.IPPROTO_GRE)
            self.raw.setblocking(False)
            # Fragment rather than refuse a full-size packet + 8 bytes
            # (IP_PMTU_DISCOVER: DONT); --gre-df refuses it instead (DO:
            # the kernel answers EMSGSIZE and the packet is dropped), as
            # a router whose GRE path does not fragment.
            self.raw.setsockopt(socket.IPPROTO_IP, 10,
                                2 if a.gre_df else 0)
        self.save()

    @staticmethod
    def ip(*args):
        subprocess.run(["ip"] + list(args), check=True, timeout=10,
                       capture_output=True)

    def start_redirect(self, svc):
        """Install the policy rules once the first assignment arrived (and
        for L2 the route to the cache)."""
        if self.a.redirect is None or self.redirecting is not None:
            return
        counts = self.assign[svc]["counts"]
        caches = [k for k in counts if k != "unassigned"]
        if not caches:
            return
        if self.a.redirect == "l2":
            best = max(caches, key=lambda k: counts[k])
            self.ip("route", "replace", "default", "via", best, "table",
                    REDIRECT_TABLE)
        self.ip("rule", "add", "iif", self.a.client_if, "ipproto", "tcp",
                "dport", "80", "lookup", REDIRECT_TABLE)
        self.ip("rule", "add", "iif", self.a.server_if, "ipproto", "tcp",
                "sport", "80", "lookup", REDIRECT_TABLE)
        self.redirecting = svc

    def on_tun(self):
        """GRE-redirect the packets the rules routed into the TUN."""
        for _ in range(64):
            try:
                pkt = os.read(self.tun, 65535)
            except BlockingIOError:
                return
            if len(pkt) < 24 or pkt[0] >> 4 != 4 or pkt[9] != 6:
                continue
            ihl = (pkt[0] & 15) * 4
            sport, dport = struct.unpack("!HH", pkt[ihl:ihl + 4])
            # The client is the source of requests, the destination of
            # answers: hash on it so that both reach the same cache.
            client = pkt[12:16] if dport == 80 else pkt[16:20]
            bucket = client[0] ^ client[1] ^ client[2] ^ client[3]
            svc = self.redirecting
            tab = self.table.get(svc)
            if tab:
                cache = tab[bucket]
            else:   # mask assignment: the cache with the most values
                counts = self.assign[svc]["counts"]
                cache = max((k for k in counts if k != "unassigned"),
                            key=lambda k: counts[k], default=None)
            if cache is None:
                continue
            sb = self.svc_body[svc]
            rh = struct.pack("!BBBB", 1 if sb[0] == 1 else 0, sb[1], 0,
                             bucket)
            try:
                self.raw.sendto(struct.pack("!HH", 0, GRE_WCCP) + rh + pkt,
                                (cache, 0))
            except OSError:
                continue
            self.gre_sent[cache] = self.gre_sent.get(cache, 0) + 1
            self.dirty = True

    def known_cache(self, ip):
        return any(ip in view for view in self.caches.values())

    def on_raw(self):
        """Packets a cache returns (GRE packet return): decapsulate and
        hand the original packet to the kernel through the TUN device,
        where it is routed, not redirected."""
        for _ in range(64):
            try:
                pkt = self.raw.recv(65535)
            except BlockingIOError:
                return
            except OSError:
                continue        # an ICMP error about something we sent
            ok = len(pkt) >= 20 and pkt[0] >> 4 == 4 and pkt[9] == 47
            ihl = (pkt[0] & 15) * 4 if ok else 0
            tot = struct.unpack("!H", pkt[2:4])[0] if ok else 0
            src = pkt[12:16] if ok else b""
            ok = ok and ihl >= 20 and ihl + 4 <= tot <= len(pkt)
            if not ok or not self.known_cache(src):
                self.gre_return_bad += 1
                self.dirty = True
                continue
            flags, proto = struct.unpack("!HH", pkt[ihl:ihl + 4])
            off = ihl + 4
            if flags != 0 or proto != GRE_WCCP:
                continue        # not WCCP: not ours to judge
            if off < tot and pkt[off] >> 4 != 4:
                if pkt[off] & 0xf8 or off + 4 > tot:
                    self.gre_return_bad += 1
                    self.dirty = True
                    continue
                off += 4        # the redirect header
            inner = pkt[off:tot]
            if len(inner) < 20 or inner[0] >> 4 != 4 or struct.unpack(
                    "!H", inner[2:4])[0] != len(inner):
                self.gre_return_bad += 1
                self.dirty = True
                continue
            try:
                os.write(self.tun, inner)
            except OSError:
                continue
            cache = ip2s(src)
            self.gre_returned[cache] = self.gre_returned.get(cache, 0) + 1
            if inner[9] == 6 and len(self.returned_flows) < 50:
                i = (inner[0] & 15) * 4
                sp, dp = struct.unpack("!HH", inner[i:i + 4])
                f = "%s:%d>%s:%d" % (ip2s(inner[12:16]), sp,
                                     ip2s(inner[16:20]), dp)
                if f not in self.returned_flows:
                    self.returned_flows.append(f)
            self.dirty = True

    def save(self):
        st = {"view": {k: sorted(ip2s(i) for i in v)
                       for k, v in self.caches.items()},
              "change": self.change, "assign": self.assign,
              "here_i_am": self.here, "auth_fail": self.auth_fail,
              "removal_query": self.removal,
              "assign_msgs": self.assign_msgs,
              "joined": self.joined, "assign_log": self.assign_log,
              "gre_sent": self.gre_sent,
              "gre_returned": self.gre_returned,
              "gre_return_bad": self.gre_return_bad,
              "returned_flows": self.returned_flows,
              "redirecting": self.redirecting}
        tmp = self.a.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(st, f)
        os.replace(tmp, self.a.state)

    def send_pw(self):
        return self.a.send_password if self.a.send_password is not None \
            else self.a.password

    def i_see_you(self, svc, cache_ip):
        self.recv_id += 1
        view = self.caches[svc]
        rv = struct.pack("!I", self.change.get(svc, 0))
        asg = None if self.a.no_key_reflect else self.assign.get(svc)
        key_ip = socket.inet_aton(asg["key_ip"]) if asg else b"\0" * 4
        rv += key_ip + struct.pack("!I", asg["key_change"] if asg else 0)
        rv += struct.pack("!I", 1) + self.rid + struct.pack("!I", len(view))
        for ip in sorted(view):
            rv += ip + struct.pack("!HH", 0, 0) + b"\0" * 32 + \
                struct.pack("!HH", view[ip]["weight"], 0)
        rid = self.rid + struct.pack("!I", self.recv_id) + self.rid + \
            struct.pack("!I", 1) + cache_ip
        fwd, asg_m, ret = (int(x) for x in self.a.caps.split(","))
        caps = struct.pack("!HHI", 1, 4, fwd) + \
            struct.pack("!HHI", 2, 4, asg_m) + struct.pack("!HHI", 3, 4, ret)
        msg = build(I_SEE_YOU, [(C_SERVICE, self.svc_body[svc]),
                                (C_ROUTER_ID, rid), (C_ROUTER_VIEW, rv),
                                (C_CAPS, caps)], self.send_pw())
        self.sock.sendto(msg, (ip2s(cache_ip), 2048))

    def removal_query(self, svc, cache_ip):
        q = self.rid + struct.pack("!I", self.recv_id) + self.rid + cache_ip
        msg = build(REMOVAL_QUERY, [(C_SERVICE, self.svc_body[svc]),
                                    (C_QUERY, q)], self.send_pw())
        self.sock.sendto(msg, (ip2s(cache_ip), 2048))
        self.removal.append(ip2s(cache_ip))

    def on_msg(self, msg, src):
        try:
            mtype, comps = parse(msg)
        except (ValueError, struct.error):
            return
        if C_SERVICE not in comps:
            return
        if not check_md5(msg, comps, self.a.password):
            self.auth_fail += 1
            self.save()
            return
        sb = comps[C_SERVICE][1]
        svc = "%s:%d" % ("dynamic" if sb[0] == 1 else "standard", sb[1])
        self.svc_body[svc] = sb
        if mtype == HERE_I_AM:
            wc = comps[C_WC_ID][1]
            ip = wc[0:4]
            flags = struct.unpack("!H", wc[6:8])[0]
            dtype = (flags >> 1) & 3
            if dtype == 0:
                weight = struct.unpack("!H", wc[40:42])[0]
            elif dtype == 1:
                off = skip_mask_set(wc, 8)
                weight = struct.unpack("!H", wc[off:off + 2])[0]
            else:
                weight = 0
            view = self.caches.setdefault(svc, {})
            if ip not in view or view[ip]["weight"] != weight:
                self.change[svc] = self.change.get(svc, 0) + 1
            view[ip] = {"seen": time.monotonic(), "weight": weight,
                        "qsent": False}
            self.here[ip2s(ip)] = self.here.get(ip2s(ip), 0) + 1
            self.joined.setdefault(ip2s(ip), time.time())
            self.i_see_you(svc, ip)
        elif mtype == REDIRECT_ASSIGN:
            self.assign_msgs += 1
            if C_ASSIGN in comps:
                b = comps[C_ASSIGN][1]
                atype = 0
            elif C_ALT_ASSIGN in comps:
                b = comps[C_ALT_ASSIGN][1]
                atype = struct.unpack("!H", b[:2])[0]
                b = b[4:]
            else:
                return
            key_ip, key_change, nr = struct.unpack("!4sII", b[:12])
            self.assign_log.append([time.time(), ip2s(key_ip), key_change])
            off = 12 + 12 * nr
            counts = {}
            if atype == 0:
                nc = struct.unpack("!I", b[off:off + 4])[0]
                ips = [ip2s(b[off + 4 + 4 * i:off + 8 + 4 * i])
                       for i in range(nc)]
                buckets = b[off + 4 + 4 * nc:off + 4 + 4 * nc + 256]
                table = []
                for x in buckets:
                    k = "unassigned" if x == 0xff else ips[x & 0x7f]
                    counts[k] = counts.get(k, 0) + 1
                    table.append(None if x == 0xff else k)
                self.table[svc] = table
            else:
                self.table[svc] = None
                nm = struct.unpack("!I", b[off:off + 4])[0]
                off += 4
                for _ in range(nm):
                    off += 12
                    nv = struct.unpack("!I", b[off:off + 4])[0]
                    off += 4
                    for i in range(nv):
                        k = ip2s(b[off + 12:off + 16])
                        counts[k] = counts.get(k, 0) + 1
                        off += 16
            self.assign[svc] = {"key_ip": ip2s(key_ip),
                                "key_change": key_change, "counts": counts,
                                "type": "hash" if atype == 0 else "mask"}
            self.start_redirect(svc)
        self.save()

    def tick(self):
        now, changed = time.monotonic(), False
        for svc, view in self.caches.items():
            for ip in list(view):
                age = now - view[ip]["seen"]
                if age > self.a.cache_timeout:
                    del view[ip]
                    self.change[svc] = self.change.get(svc, 0) + 1
                    changed = True
                elif age > 0.6 * self.a.cache_timeout and \
                        not view[ip]["qsent"]:
                    view[ip]["qsent"] = True
                    self.removal_query(svc, ip)
                    changed = True
        if changed or self.dirty:
            self.dirty = False
            self.save()

    def run(self):
        end = time.monotonic() + self.a.lifetime
        while time.monotonic() < end:
            fds = [self.sock] + ([self.tun, self.raw] if self.tun is not None
                                 else [])
            r, _, _ = select.select(fds, [], [], 0.2)
            if self.sock in r:
                msg, src = self.sock.recvfrom(65535)
                self.on_msg(msg, src)
            if self.tun is not None and self.tun in r:
                self.on_tun()
            if self.raw is not None and self.raw in r:
                self.on_raw()
            self.tick()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--password")
    ap.add_argument("--send-password")
    ap.add_argument("--cache-timeout", type=float, default=25.0)
    ap.add_argument("--lifetime", type=float, default=300.0)
    ap.add_argument("--redirect", choices=("gre", "l2"))
    ap.add_argument("--client-if")
    ap.add_argument("--server-if")
    ap.add_argument("--tun", default="wredir0")
    ap.add_argument("--no-key-reflect", action="store_true")
    ap.add_argument("--gre-df", action="store_true")
    # Capabilities offered: forwarding, assignment, return methods (bit
    # masks: 1 GRE / hash, 2 L2 / mask).
    ap.add_argument("--caps", default="3,3,3")
    Router(ap.parse_args()).run()


if __name__ == "__main__":
    main()
