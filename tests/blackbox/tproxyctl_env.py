# SPDX-License-Identifier: GPL-2.0-or-later
"""
tproxyctl_env.py - helpers of the tproxyctl black-box tests
(test_tproxyctl*.py): running tproxyctl, tproxyd and the origin inside a
topology's namespaces, snapshots of the router's rule/route/sysctl state,
and a bridge topology (client and server on one L2 segment through a
bridging namespace that runs tproxyd).

Everything runs inside per-run namespaces created here or by netns.py;
addresses only from 198.18.0.0/15 and 2001:db8::/32.

    <prefix>-cli               <prefix>-rtr (bridge br0)           <prefix>-srv
    c0 198.18.3.2/24 ---- b0 [br0 198.18.3.1/24] b1 ---- s0 198.18.3.3/24
       2001:db8:3::2/64         2001:db8:3::1/64            2001:db8:3::3/64
"""

import json
import re
import signal
import subprocess
from pathlib import Path

import harness
import netns

HERE = Path(__file__).resolve().parent
ORIGIN = str(HERE / "origin.py")
PY = "/usr/bin/python3"
CTL = str(harness.BUILD / "tproxyctl")
TPROXYD = str(harness.BUILD / "tproxyd")
TPORT = 3129

BR_CLI4, BR4, BR_SRV4 = "198.18.3.2", "198.18.3.1", "198.18.3.3"
BR_CLI6, BR6, BR_SRV6 = "2001:db8:3::2", "2001:db8:3::1", "2001:db8:3::3"


class BridgeTopology(netns.Topology):
    """Same names and API as netns.Topology; the middle namespace bridges
    instead of routing (its bridge br0 has ports b0 and b1)."""

    def _setup(self):
        self._add_namespaces()
        self._ip("-n", self.cli, "link", "add", "c0", "type", "veth",
                 "peer", "name", "b0", "netns", self.rtr)
        self._ip("-n", self.srv, "link", "add", "s0", "type", "veth",
                 "peer", "name", "b1", "netns", self.rtr)
        self._ip("-n", self.rtr, "link", "add", "br0", "type", "bridge")
        for dev in ("b0", "b1"):
            self._ip("-n", self.rtr, "link", "set", dev, "master", "br0")
            self._ip("-n", self.rtr, "link", "set", dev, "up")
        for ns, dev, a4, a6 in [(self.cli, "c0", BR_CLI4, BR_CLI6),
                                (self.rtr, "br0", BR4, BR6),
                                (self.srv, "s0", BR_SRV4, BR_SRV6)]:
            self._ip("-n", ns, "addr", "add", a4 + "/24", "dev", dev)
            self._ip("-n", ns, "-6", "addr", "add", a6 + "/64", "dev", dev,
                     "nodad")
            self._ip("-n", ns, "link", "set", dev, "up")


def ctl(t, *args, timeout=60):
    return t.run(t.rtr, [CTL] + [str(a) for a in args], timeout=timeout)


def start_origin(t, addrs, port=80):
    argv = [PY, ORIGIN]
    for a in addrs:
        argv += ["--listen", ("[%s]:%d" if ":" in a else "%s:%d") % (a, port)]
    p = t.popen(t.srv, argv, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
    t.wait_listen(t.srv, port, proc=p)
    return p


def write_conf(d, extra=()):
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    harness.share_with_daemon_user(d)
    conf = d / "tproxyd.conf"
    conf.write_text("\n".join([
        "http_port %d tproxy" % TPORT,
        "http_access allow all",
        "access_log %s" % (d / "access.log"),
        "cache_log %s" % (d / "cache.log"),
        "pid_filename %s" % (d / "tproxyd.pid"),
        "dns_nameservers 127.0.0.1",
    ] + list(extra)) + "\n")
    return conf


class CtlTproxyd:
    """tproxyd started in t's middle namespace on a config written by
    write_conf (stdout and stderr next to it). Its end is checked: by
    stop() when the test stops it, else by the topology's cleanup (the
    check is registered in t.checks), with harness.exit_problems."""

    def __init__(self, t, conf, prefix=()):
        d = Path(conf).parent
        self.t = t
        self.stderr = d / "stderr"
        self.cache_log = d / "cache.log"
        self.problems = None
        self.proc = t.popen(t.rtr, list(prefix) + [TPROXYD, "-N", "-f",
                                                   str(conf)],
                            stdout=open(d / "stdout", "wb"),
                            stderr=open(self.stderr, "wb"))
        t.checks.append(self.stop)
        t.wait_listen(t.rtr, TPORT, proc=self.proc)

    def stop(self):
        """SIGTERM, wait; the list of problems (crash, status other than
        0, sanitizer report). Stops once; later calls repeat the verdict."""
        if self.problems is not None:
            return self.problems
        self.problems = []
        sent = set()
        if self.proc.poll() is None:
            self.proc.terminate()
            sent.add(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                sent.add(signal.SIGKILL)
                self.proc.wait(5)
                self.problems.append("tproxyd in %s ignored SIGTERM for 5 s"
                                     "; killed" % self.t.rtr)
        else:
            self.problems.append("tproxyd in %s exited by itself (status "
                                 "%s)" % (self.t.rtr, self.proc.returncode))
        self.problems += harness.exit_problems(
            "tproxyd in %s" % self.t.rtr, self.proc.returncode, sent=sent,
            logs=(self.stderr, self.cache_log),
            diagnostics=harness._read_text(self.stderr)[-3000:])
        return self.problems


def start_tproxyd(t, conf, prefix=()):
    return CtlTproxyd(t, conf, prefix)


def stop(d):
    """Stop a CtlTproxyd in the middle of a test: it must end cleanly."""
    problems = d.stop()
    assert not problems, "\n".join(problems)


def url(addr, path="/peer", port=80):
    host = "[%s]" % addr if ":" in addr else addr
    return "http://%s:%d%s" % (host, port, path)


def fetch_peer(t, addr):
    """GET /peer on the origin from the client; the peer it saw."""
    p = t.run(t.cli, ["curl", "-sS", "--noproxy", "*", "--max-time", "5",
                      url(addr)], timeout=20)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["addr"]


def through_tproxyd(t, addr):
    """Whether the last request the origin on addr received came through
    tproxyd: tproxyd adds a Via header naming itself (`via on`, the
    default). Asked from inside the server namespace (never intercepted)
    once the client has its answer, so the answer is final: unlike the
    access.log, flushed once a second, nothing here can come late."""
    p = t.run(t.srv, ["curl", "-sS", "--noproxy", "*", "--max-time", "5",
                      url(addr, "/__records")], timeout=20)
    assert p.returncode == 0, p.stderr
    recs = json.loads(p.stdout)
    assert recs, "the origin on %s received nothing" % addr
    return any(h.lower().startswith("via:") and "(tproxyd" in h
               for h in recs[-1]["headers"])


def access_count(conf):
    log = Path(conf).parent / "access.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def wait_access(conf, n, timeout=5.0):
    """Wait until access.log has at least n lines (flushed each second);
    returns the number of lines."""
    harness.poll(lambda: access_count(conf) >= n, timeout, interval=0.1)
    return access_count(conf)


SYSCTLS = ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding",
           "net.bridge.bridge-nf-call-iptables",
           "net.bridge.bridge-nf-call-ip6tables",
           "net.bridge.bridge-nf-call-arptables"]


def snapshot(t):
    """The router's netfilter, policy-routing and sysctl state, as text
    that compares equal when the state is the same."""
    r = {}

    def run(key, argv):
        p = t.run(t.rtr, argv, timeout=20)
        r[key] = p.stdout

    run("nft", ["nft", "list", "ruleset"])
    for tool in ("iptables-save", "ip6tables-save"):
        p = t.run(t.rtr, [tool], timeout=20)
        lines = [re.sub(r"\[\d+:\d+\]", "[]", ln)
                 for ln in p.stdout.splitlines() if not ln.startswith("#")]
        r[tool] = "\n".join(lines)
    run("rule4", ["ip", "-4", "rule"])
    run("rule6", ["ip", "-6", "rule"])
    run("route4", ["ip", "-4", "route", "show", "table", "all"])
    run("route6", ["ip", "-6", "route", "show", "table", "all"])
    p = t.run(t.rtr, ["sysctl", "-a"], timeout=20)
    r["sysctl"] = "\n".join(sorted(
        ln for ln in p.stdout.splitlines()
        if ln.split(" = ")[0] in SYSCTLS or ".rp_filter" in ln))
    # Bridge MACs differ between topologies; neighbour state is not ours.
    r["nft"] = re.sub(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", "MAC", r["nft"])
    r["nft"] = re.sub(r"counter packets \d+ bytes \d+", "counter", r["nft"])
    # Link-local addresses come from random MACs: not ours, and they
    # differ between two topologies.
    r["route6"] = "\n".join(ln for ln in r["route6"].splitlines()
                            if "expires" not in ln and "fe80:" not in ln)
    # A routing table is a set: the kernel lists routes of equal prefix
    # (e.g. the per-device multicast ff00::/8) in the order the devices
    # came up, which differs between two topologies.
    for key in ("route4", "route6"):
        r[key] = "\n".join(sorted(r[key].splitlines()))
    return r


def doctor(t, *args):
    """Run doctor; (exit status, {id: (status, message)}, raw output)."""
    p = ctl(t, "doctor", "--json", *args)
    data = json.loads(p.stdout)
    return (p.returncode, {c["id"]: (c["status"], c["message"])
                           for c in data["checks"]}, p)


def fails(checks):
    return sorted(k for k, v in checks.items() if v[0] == "FAIL")


def not_pass(checks):
    return sorted("%s %s: %s" % (v[0], k, v[1]) for k, v in checks.items()
                  if v[0] != "PASS")


# -- HTTPS mappings and QUIC (issue 13) ---------------------------------------
#
# The black-box tests of `--https-port` and `--quic` do not need tproxyd:
# what they check is where the kernel delivers packets. A small listener
# with IP_TRANSPARENT stands in for tproxyd's tproxy ports in the middle
# namespace and tells each client which port took its connection and what
# original destination it saw; a UDP echo in the server namespace stands
# for an HTTP/3 server.

TPORT_HTTPS = 3130

# argv: PORT... ; one IPv4 and one IPv6 (v6only) transparent listener per
# port. Each connection is answered with one JSON line: the listening
# port, the original destination (getsockname) and the client, then
# closed.
_LISTENER = r"""
import json, select, socket, sys
IP_TRANSPARENT, IPV6_TRANSPARENT = 19, 75
socks = {}
for port in map(int, sys.argv[1:]):
    for fam, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET:
            s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_TRANSPARENT, 1)
        s.bind((host, port))
        s.listen(16)
        socks[s] = port
while True:
    for s in select.select(list(socks), [], [])[0]:
        c, peer = s.accept()
        c.settimeout(3)
        try:
            got = c.recv(100).decode(errors="replace")
            c.sendall((json.dumps({"port": socks[s],
                                   "dst": list(c.getsockname()[:2]),
                                   "peer": peer[0], "got": got}) +
                       "\n").encode())
        except OSError:
            pass
        c.close()
"""

# argv: HOST PORT; connects, sends a line, prints the answer (or the error).
_TCP_PROBE = r"""
import json, socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    c.sendall(b"hello\n")
    print(json.dumps({"answer": json.loads(c.makefile().readline())}))
except Exception as e:
    print(json.dumps({"error": type(e).__name__}))
"""

# argv: LOG PORT... ; a UDP echo on each port, both families; every
# datagram received is logged ("PORT CLIENT DATA") before it is echoed.
_UDP_ECHO = r"""
import select, socket, sys
log = open(sys.argv[1], "a", buffering=1)
socks = {}
for port in map(int, sys.argv[2:]):
    for fam, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, port))
        socks[s] = port
log.write("ready\n")
while True:
    for s in select.select(list(socks), [], [])[0]:
        data, peer = s.recvfrom(2048)
        log.write("%d %s %s\n" % (socks[s], peer[0], data.decode()))
        s.sendto(data, peer)
"""

# argv: HOST PORT TAG; a connected UDP socket with IP_RECVERR: sends TAG
# and waits 3 s for the echo. An ICMP error is read from the error queue:
# its origin (2 ICMP, 3 ICMPv6), type, code and the address that sent it.
_UDP_PROBE = r"""
import json, socket, struct, sys
host, port, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
v6 = ":" in host
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
if v6:
    s.setsockopt(socket.IPPROTO_IPV6, 25, 1)       # IPV6_RECVERR
else:
    s.setsockopt(socket.SOL_IP, 11, 1)             # IP_RECVERR
s.settimeout(3)
s.connect((host, port))
s.send(tag.encode())
try:
    print(json.dumps({"echo": s.recv(2048).decode()}))
    sys.exit(0)
except socket.timeout:
    print(json.dumps({"timeout": True}))
    sys.exit(0)
except ConnectionRefusedError:
    pass
r = {"refused": True}
try:
    _, anc, _, _ = s.recvmsg(2048, 2048, socket.MSG_ERRQUEUE)
    for level, typ, data in anc:
        # struct sock_extended_err, then the offender's sockaddr
        errno_, origin, itype, icode = struct.unpack_from("=IBBB", data)
        fam = struct.unpack_from("=H", data, 16)[0]
        if fam == socket.AF_INET:
            off = socket.inet_ntop(socket.AF_INET, data[20:24])
        else:
            off = socket.inet_ntop(socket.AF_INET6, data[24:40])
        r.update(origin=origin, type=itype, code=icode, offender=off)
except OSError as e:
    r["errqueue"] = type(e).__name__
print(json.dumps(r))
"""

# ICMP port unreachable: (origin, type, code) per address family.
PORT_UNREACH = {4: (2, 3, 3), 6: (3, 1, 4)}


def start_listener(t, ports=(TPORT, TPORT_HTTPS)):
    """The transparent stand-in for tproxyd's ports in t's middle
    namespace (stopped by the topology's cleanup)."""
    p = t.popen(t.rtr, [PY, "-c", _LISTENER] + [str(x) for x in ports],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for port in ports:
        t.wait_listen(t.rtr, port, proc=p)
    return p


def tcp_probe(t, host, port):
    """From the client: connect to host:port. {"answer": {...}} from the
    listener, or {"error": NAME}."""
    p = t.run(t.cli, [PY, "-c", _TCP_PROBE, host, str(port)], timeout=20)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


class UdpEcho:
    """UDP echo on ports of the server namespace, logging what it got."""

    def __init__(self, t, log, ports=(443, 4433)):
        self.log = Path(log)
        self.proc = t.popen(t.srv, [PY, "-c", _UDP_ECHO, str(self.log)] +
                            [str(x) for x in ports],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
        ok = harness.poll(lambda: self.log.exists() and
                          "ready" in self.log.read_text(), 10,
                          interval=0.05)
        assert ok and self.proc.poll() is None, "udp echo did not start"

    def received(self, tag):
        """The log lines of datagrams carrying tag."""
        return [ln for ln in self.log.read_text().splitlines()
                if ln.endswith(" " + tag)]


_udp_seq = iter(range(1, 1 << 30))


def udp_probe(t, host, port):
    """From the client: one datagram to host:port. Returns (result, tag):
    {"echo": tag}, {"timeout": True} or {"refused": True, "origin": ...,
    "type": ..., "code": ..., "offender": ADDR}."""
    tag = "q%d" % next(_udp_seq)
    p = t.run(t.cli, [PY, "-c", _UDP_PROBE, host, str(port), tag],
              timeout=20)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout), tag


def assert_quic_refused(t, echo, host, port, by):
    """UDP to host:port is refused with a port unreachable sent from one of
    the addresses in by, and the server never sees it (so the refusal is
    the middle namespace's even when it speaks with the server's
    address, as a refusal on a bridge port does)."""
    fam = 6 if ":" in host else 4
    r, tag = udp_probe(t, host, port)
    assert r.get("refused"), r
    assert (r["origin"], r["type"], r["code"]) == PORT_UNREACH[fam], r
    assert r["offender"] in by, r
    assert echo.received(tag) == [], "the server got it: %s" % r


def assert_udp_passes(t, echo, host, port):
    r, tag = udp_probe(t, host, port)
    assert r == {"echo": tag}, r
    assert len(echo.received(tag)) == 1
