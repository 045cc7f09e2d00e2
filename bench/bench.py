#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
bench.py - `make bench`: tproxyd against direct forwarding, Squid, HAProxy
and nginx, each intercepting the same client traffic with TPROXY and
spoofing the client's address, in a client / router / server namespace
network (tests/netns/netns.py). See bench/README.md.

    python3 bench/bench.py [--quick] [--build build] [--out bench/results]
                           [--baseline OTHER/build/tproxyd]

Root only. Every namespace has a per-run unique name and is removed on exit,
on error and on Ctrl-C; all traffic stays inside them (198.18.0.0/15).
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "netns"))
import netns  # noqa: E402

PORT = 3129
# The forward port of bump-connect (clients configured to use the proxy,
# on the router's client-side address ROUTER).
FWD_PORT = 3128
ROUTER = netns.RTR_CLI4
# HTTPS: port 443 is diverted to each proxy's TLS port; the clients name
# the origin TLS_HOST, which the client and router namespaces' /etc/hosts
# resolve to ORIGIN (the proxies decide by the name the client sends).
TLS_PORT = 3130
TLS_HOST = "bench.test"
# Idle spliced TLS connections: each holds two descriptors in a proxy (the
# client's and the origin's), and the descriptor hard limit here is 20,000
# per process (not raisable without CAP_SYS_RESOURCE), so 10,000 cannot
# fit in the one process of the per-core setup.
TLS_IDLE_N = 9000
# Certificate misses and hits (bump-miss, bump-hit): this many server
# names NAME_FMT % i, each with a certificate of its own at the origin
# (bumpclient.py opens one connection per name; QUICK: BUMP_NAMES_QUICK).
BUMP_NAMES = 400
BUMP_NAMES_QUICK = 100
NAME_FMT = "n%04d." + "bench.test"
ORIGIN = netns.SRV4
CLIENT = netns.CLI4
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# name -> (path, wrk connections, extra wrk headers, label)
LOADS = {
    "ka50":   ("/1k", 50, [], "1 KiB keep-alive, 50 conns"),
    "ka1000": ("/1k", 1000, [], "1 KiB keep-alive, 1000 conns"),
    "close":  ("/1k", 50, ["Connection: close"],
               "1 KiB new conn/request, 50 conns"),
    "ka64k":  ("/64k", 50, [], "64 KiB keep-alive, 50 conns"),
    "ka1m":   ("/1m", 10, [], "1 MiB keep-alive, 10 conns"),
    "idle":   (None, 10000, [], "10,000 idle keep-alive conns"),
    "tls-new": ("/1k", 50, ["Connection: close"],
                "HTTPS 1 KiB, new TLS conn/request, 50 conns"),
    "tls-1m": ("/1m", 10, [], "HTTPS 1 MiB keep-alive, 10 conns"),
    "tls-idle": (None, TLS_IDLE_N, [],
                 "%d idle spliced TLS conns" % TLS_IDLE_N),
    "bump-new": ("/1k", 50, ["Connection: close"],
                 "bumped HTTPS 1 KiB, new TLS conn/request, 50 conns"),
    "bump-ka": ("/1k", 50, [], "bumped HTTPS 1 KiB keep-alive, 50 conns"),
    "bump-1m": ("/1m", 10, [], "bumped HTTPS 1 MiB keep-alive, 10 conns"),
    "bump-miss": (None, BUMP_NAMES, [],
                  "bumped HTTPS, %d first visits (certificate misses)"
                  % BUMP_NAMES),
    "bump-hit": (None, BUMP_NAMES, [],
                 "bumped HTTPS, %d repeat visits (certificate hits)"
                 % BUMP_NAMES),
    "bump-connect": ("/1k", 50, [],
                     "bumped HTTPS 1 KiB keep-alive through CONNECT on the "
                     "forward port, 50 conns"),
}
# UDP (issue 19): tproxyd's udp_port against direct forwarding only (no
# peer relays TPROXY'd UDP), run by bench/udp_bench.py in namespaces of
# its own; its table goes to OUT/udp.md.
UDP_LOADS = ("udp-dns", "udp-bulk")
# The HTTPS loads: the proxies intercept port 443 and splice by server name
# (bench/README.md, "HTTPS"); per core only.
TLS_LOADS = ("tls-new", "tls-1m", "tls-idle")
# Bumped (decrypted) HTTPS, issue 16: port 443 intercepted as for
# TLS_LOADS, each proxy decrypts with the bench's bumping CA
# (bench/README.md, "Bumped HTTPS"); per core only, not in the default set.
BUMP_LOADS = ("bump-new", "bump-ka", "bump-1m", "bump-miss", "bump-hit",
              "bump-connect")
BUMP_CLIENT_LOADS = ("bump-miss", "bump-hit", "bump-connect")
BUMP_CONF = {"tproxyd": "tproxyd-bump.conf", "squid": "squid-bump.conf",
             "mitmproxy": None}   # mitmproxy: command-line options
# bump-connect: nothing intercepted, the clients use the forward port
# (http_port ... ssl-bump), through bumpclient.py --proxy; tproxyd and
# Squid only.
CONNECT_LOADS = ("bump-connect",)
CONNECT_CONF = {"tproxyd": "tproxyd-bump-connect.conf",
                "squid": "squid-bump-connect.conf"}
# mitmdump's options for the bumped loads (besides the CA and the port):
# its documentation's settings for a proxy that only relays: no flow
# output (flow_detail 0, termlog_verbosity error: the defaults 1 and
# info print every request), bodies streamed rather than buffered whole
# (stream_large_bodies: unset by default, every body is buffered), the
# origin's CA trusted as the others do (ssl_verify_upstream_trusted_ca).
MITM_BEST = ["--set", "flow_detail=0", "--set", "termlog_verbosity=error",
             "--set", "stream_large_bodies=64k"]
# Each kind's configuration template for the HTTPS loads.
TLS_CONF = {"tproxyd": "tproxyd-tls.conf", "haproxy": "haproxy-tls.cfg",
            "squid": "squid-tls.conf", "nginx": "nginx-tls.conf"}
PROXIES = ["direct", "tproxyd", "tproxyd-before", "haproxy",
           "haproxy-default", "squid", "squid-default", "nginx",
           "nginx-default", "mitmproxy"]
# What each entry runs: "kind" (which program), "fields" (filled into its
# config template in peers/), and where it is measured: "modes"/"loads"
# (None = everywhere). The peers run in their best configuration for this
# job (bench/README.md, "Peer configurations", says why, with the
# documentation); each "-default" entry is the same peer with that
# program's defaults instead, measured per core only on the loads where
# the difference shows, to keep the full run short. tproxyd-before exists
# only with --baseline and is measured everywhere tproxyd is.
PROXY_CONF = {
    "direct": {"kind": "direct", "modes": None, "loads": None},
    "tproxyd": {"kind": "tproxyd", "modes": None, "loads": None},
    "tproxyd-before": {"kind": "tproxyd", "modes": None, "loads": None},
    "haproxy": {"kind": "haproxy", "modes": None, "loads": None, "fields": {
        "REUSE_LINE": "http-reuse never",
        "SPLICE_LINE": "option splice-request\n\toption splice-response"}},
    "haproxy-default": {"kind": "haproxy", "modes": ["pinned"],
                        "loads": ["ka50", "ka1000", "ka1m", "tls-1m"],
                        "fields": {
        "REUSE_LINE": "# (no http-reuse line: the default, safe)",
        "SPLICE_LINE": "# (no splicing: the default)"}},
    "squid": {"kind": "squid", "modes": None, "loads": None, "fields": {
        "READ_AHEAD_LINE": "read_ahead_gap 256 KB"}},
    "squid-default": {"kind": "squid", "modes": ["pinned"],
                      "loads": ["ka64k", "ka1m"], "fields": {
        "READ_AHEAD_LINE": "# (no read_ahead_gap line: the default, 16 KB)"}},
    "nginx": {"kind": "nginx", "modes": None, "loads": None, "fields": {
        "BUFFERING_LINES": "proxy_buffering off;\n\t\t\t"
                           "proxy_buffer_size 64k;\n\t\t\t"
                           "proxy_buffers 4 64k;"}},
    "nginx-default": {"kind": "nginx", "modes": ["pinned"],
                      "loads": ["ka64k", "ka1m"], "fields": {
        "BUFFERING_LINES": "# (no proxy_buffering/proxy_buffer_size/"
                           "proxy_buffers lines: the defaults)"}},
    # Debian's mitmproxy (mitmdump), bumped loads only: it decrypts but
    # connects to the origin from its own address (no spoofing), so its
    # verification checks the decryption only (spoofs False).
    "mitmproxy": {"kind": "mitmproxy", "modes": ["pinned"],
                  "loads": list(BUMP_LOADS), "spoofs": False},
}
# The second client address of the client namespace (bench/spoofcheck.py).
CLIENT_B = "198.18.1.3"


def log(*a):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, flush=True)


class Bench:
    # the origin's configuration template, and whether it serves HTTPS
    # (bench/cache_bench.py runs another origin)
    ORIGIN_CONF = "origin-nginx.conf"
    ORIGIN_TLS = True

    def __init__(self, args):
        self.a = args
        self.build = os.path.join(TOP, args.build)
        self.peers = os.path.join(TOP, "bench", "peers")
        self.d = tempfile.mkdtemp(prefix="tproxyd-bench.")
        os.chmod(self.d, 0o777)   # squid and tproxyd drop to 'proxy'
        self.t = None
        self.proxy_procs = []
        self.rules_on = False
        self.results = []         # one dict per measured run
        self.verified = {}
        self.spoofcheck = {}      # (proxy, mode) -> last spoofcheck result
        self.binaries = {"tproxyd": os.path.join(self.build, "tproxyd")}
        if args.baseline:
            self.binaries["tproxyd-before"] = os.path.abspath(args.baseline)
        # Both tproxyd binaries get the same configuration, "workers N"
        # included when the daemon implements it.
        self.workers_support = {
            k: self._tproxyd_has_workers(v)
            for k, v in self.binaries.items()}
        self.tproxyd_workers = self.workers_support["tproxyd"]
        # HTTPS: None when the binary accepts tproxyd-tls.conf, else why
        # not (its -k parse message): then its HTTPS rows say "not
        # available" and nothing is measured for it.
        self.tls_unavailable = {
            k: self._tproxyd_tls_problem(v)
            for k, v in self.binaries.items()}
        self.proxy_port = PORT
        self.etc_netns = []

    # -- helpers ----------------------------------------------------------

    def sh(self, ns, argv, timeout=60, check=True, **kw):
        p = self.t.run(ns, argv, timeout=timeout, **kw)
        if check and p.returncode != 0:
            raise RuntimeError("%s in %s failed (%d): %s %s" % (
                " ".join(map(str, argv)), ns, p.returncode, p.stdout,
                p.stderr))
        return p

    def template(self, name, out, dest=None, **kv):
        with open(os.path.join(self.peers, name)) as f:
            text = f.read()
        for k, v in kv.items():
            text = text.replace("@%s@" % k, str(v))
        assert "@" not in re.sub(r"#.*", "", text), "unfilled field in " + name
        path = os.path.join(dest or self.d, out)
        with open(path, "w") as f:
            f.write(text)
        return path

    def _tproxyd_has_workers(self, binary):
        """True when the daemon implements workers (its -k parse does not
        warn that the directive is ignored); None when it cannot be
        run."""
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "w.conf")
            with open(conf, "w") as f:
                f.write("http_port 127.0.0.1:3128\nworkers 2\n")
            try:
                p = subprocess.run([binary, "-k", "parse", "-f", conf],
                                   capture_output=True, text=True,
                                   timeout=10)
            except OSError:
                return None
        out = p.stdout + p.stderr
        return p.returncode == 0 and "workers" not in out

    def _tproxyd_tls_problem(self, binary):
        """None if binary accepts peers/tproxyd-tls.conf (-k parse), else
        its first error line."""
        with tempfile.TemporaryDirectory() as d:
            conf = self.template("tproxyd-tls.conf", "tls-check.conf",
                                 PORT=TLS_PORT, DIR=d, WORKERS_LINE="",
                                 dest=d)
            try:
                p = subprocess.run([binary, "-k", "parse", "-f", conf],
                                   capture_output=True, text=True,
                                   timeout=10)
            except OSError as e:
                return str(e)
        if p.returncode == 0:
            return None
        lines = [x for x in (p.stderr + p.stdout).splitlines() if x.strip()]
        return re.sub(r"^\S*tls-check\.conf:", "line ",
                      lines[0] if lines else "exit %d" % p.returncode)

    def ns_pids(self, ns):
        p = subprocess.run([netns.IP, "netns", "pids", ns],
                           capture_output=True, text=True, timeout=10)
        return [int(x) for x in p.stdout.split() if x.isdigit()]

    def cpu_seconds(self, pids):
        """utime+stime (all threads) summed over pids, in seconds."""
        tot = 0
        for pid in pids:
            try:
                with open("/proc/%d/stat" % pid) as f:
                    s = f.read()
            except OSError:
                continue
            fields = s[s.rindex(")") + 2:].split()
            tot += int(fields[11]) + int(fields[12])   # fields 14, 15
        return tot / CLK_TCK

    def hwm_kib(self, pids):
        """Sum of VmHWM (peak resident set) over pids, KiB."""
        tot = 0
        for pid in pids:
            try:
                with open("/proc/%d/status" % pid) as f:
                    for ln in f:
                        if ln.startswith("VmHWM:"):
                            tot += int(ln.split()[1])
            except OSError:
                pass
        return tot

    def syn_retrans(self, ns):
        p = self.sh(ns, ["cat", "/proc/net/netstat"], timeout=10)
        lines = [ln.split() for ln in p.stdout.splitlines()]
        for h, v in zip(lines[0::2], lines[1::2]):
            if h[0] == "TcpExt:":
                return int(dict(zip(h[1:], v[1:])).get("TCPSynRetrans", 0))
        return 0

    def passive_opens(self, ns):
        """TCP connections accepted so far in ns (/proc/net/snmp
        Tcp: PassiveOpens); in the server namespace: origin connections."""
        p = self.sh(ns, ["cat", "/proc/net/snmp"], timeout=10)
        lines = [ln.split() for ln in p.stdout.splitlines()]
        for h, v in zip(lines[0::2], lines[1::2]):
            if h[0] == "Tcp:":
                return int(dict(zip(h[1:], v[1:])).get("PassiveOpens", 0))
        return 0

    def set_affinity(self, ns, cpus):
        for pid in self.ns_pids(ns):
            subprocess.run(["taskset", "-a", "-cp", cpus, str(pid)],
                           capture_output=True, timeout=10)

    # -- network and origin -----------------------------------------------

    def prepare(self):
        """Once per bench: origin files and the nginx shim."""
        www = os.path.join(self.d, "www")
        os.mkdir(www)
        for name, size in (("1k", 1024), ("64k", 65536), ("1m", 1 << 20)):
            with open(os.path.join(www, name), "wb") as f:
                f.write(os.urandom(size))
        os.chmod(www, 0o755)
        for n in os.listdir(www):
            os.chmod(os.path.join(www, n), 0o644)
        self.shim = os.path.join(self.d, "transparent_shim.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-o",
                        self.shim, os.path.join(self.peers,
                                                "transparent_shim.c"),
                        "-ldl"], check=True, timeout=60)
        # Bumped HTTPS (BUMP_LOADS): the origin's CA, which the bumping
        # proxies trust (tls_outgoing_options cafile=), the bumping CA
        # (made for every bench run, key 0600) and the names' certificates.
        if self.ORIGIN_TLS:
            self.prepare_bump()
        # Spliced HTTPS: the certificate Squid's ssl-bump port must have
        # even though nothing is decrypted (self-signed, never sent).
        for stem, cn, san in (("bump", "bench bump CA", None),):
            key = os.path.join(self.d, stem + "-key.pem")
            cert = os.path.join(self.d, stem + "-cert.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                            "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-days", "7", "-subj", "/CN=" + cn,
                            "-keyout", key, "-out", cert] +
                           (["-addext", "subjectAltName=" + san]
                            if san else []),
                           check=True, timeout=60, capture_output=True)
            os.chmod(key, 0o644)   # read by squid as 'proxy'; test keys
        with open(os.path.join(self.d, "bump.pem"), "w") as out:
            for part in ("bump-cert.pem", "bump-key.pem"):
                with open(os.path.join(self.d, part)) as f:
                    out.write(f.read())
        os.chmod(os.path.join(self.d, "bump.pem"), 0o644)

    def openssl(self, argv):
        subprocess.run(["openssl"] + argv, check=True, timeout=60,
                       capture_output=True)

    def prepare_bump(self):
        """The certificates of the bumped-HTTPS loads: an origin CA
        (originca.pem) signing the origin's bench.test certificate
        (origin-cert.pem, also used by the spliced loads) and one
        certificate per name NAME_FMT % i (names/NAME.pem: a wildcard
        would not do: a mimicked certificate is the same for every name it
        covers, so every name but the first would be a cache hit); the
        bumping CA (bumpca.pem, bumpca.key mode 0600, owned by 'proxy',
        which Squid and tproxyd run as)."""
        d = self.d
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
              "-nodes", "-days", "7"]
        ca_ext = ["-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        for stem, cn in (("originca", "bench origin CA"),
                         ("bumpca", "bench bumping CA")):
            self.openssl(["req", "-x509"] + ec + ca_ext +
                         ["-subj", "/O=tproxyd bench/CN=" + cn,
                          "-keyout", os.path.join(d, stem + ".key"),
                          "-out", os.path.join(d, stem + ".pem")])
        bkey = os.path.join(d, "bumpca.key")
        os.chmod(bkey, 0o600)
        try:
            import pwd
            pw = pwd.getpwnam("proxy")
            os.chown(bkey, pw.pw_uid, pw.pw_gid)
        except KeyError:
            pass
        os.chmod(os.path.join(d, "originca.pem"), 0o644)
        os.chmod(os.path.join(d, "bumpca.pem"), 0o644)
        # one key and one request for every origin leaf; the subject and
        # names are set per certificate
        key = os.path.join(d, "origin-key.pem")
        csr = os.path.join(d, "origin.csr")
        self.openssl(["req", "-new"] + ec[:4] + ["-nodes", "-subj",
                                                 "/CN=leaf", "-keyout",
                                                 key, "-out", csr])
        os.chmod(key, 0o644)   # read by the origin nginx; a test key
        names = os.path.join(d, "names")
        os.mkdir(names)
        os.chmod(names, 0o755)
        n = BUMP_NAMES_QUICK if self.a.quick else BUMP_NAMES
        if not set(BUMP_CLIENT_LOADS) & set(self.a.loads):
            n = 0
        self.bump_names = [NAME_FMT % i for i in range(n)]
        ext = os.path.join(d, "leaf.ext")
        for i, name in enumerate([TLS_HOST] + self.bump_names):
            with open(ext, "w") as f:
                f.write("basicConstraints=critical,CA:FALSE\n"
                        "keyUsage=critical,digitalSignature\n"
                        "extendedKeyUsage=serverAuth\n"
                        "subjectAltName=DNS:%s\n" % name)
            out = (os.path.join(d, "origin-cert.pem") if i == 0 else
                   os.path.join(names, name + ".pem"))
            self.openssl(["x509", "-req", "-in", csr, "-subj",
                          "/O=tproxyd bench origin/CN=" + name,
                          "-CA", os.path.join(d, "originca.pem"),
                          "-CAkey", os.path.join(d, "originca.key"),
                          "-set_serial", str(1000 + i), "-days", "7",
                          "-extfile", ext, "-out", out])
        with open(os.path.join(d, "bumpnames.txt"), "w") as f:
            f.write("\n".join(self.bump_names) + "\n")

    def setup(self):
        """A fresh network and origin for every measured run, so that no
        TIME_WAIT socket, connection or counter of one run can affect the
        next (the new-connection load leaves ~10^5 TIME_WAITs behind)."""
        self.t = netns.Topology()
        self.rules_on = False
        self.t.setup()
        # TLS_HOST -> ORIGIN in the client and router namespaces: `ip netns
        # exec NS` mounts /etc/netns/NS/hosts over /etc/hosts (iproute2's
        # per-namespace /etc), removed with the namespaces (teardown()).
        for ns in (self.t.cli, self.t.rtr):
            d = os.path.join("/etc/netns", ns)
            os.makedirs(d)
            self.etc_netns.append(d)
            with open(os.path.join(d, "hosts"), "w") as f:
                f.write("127.0.0.1\tlocalhost\n%s\t%s\n" % (ORIGIN,
                                                             TLS_HOST))
                # the names of bump-miss/bump-hit (Squid checks the Host
                # of an intercepted request against its destination)
                for name in getattr(self, "bump_names", []):
                    f.write("%s\t%s\n" % (ORIGIN, name))
        # a second client address, for the spoofing check (spoofcheck.py)
        self.t._ip("-n", self.t.cli, "addr", "add", CLIENT_B + "/24",
                   "dev", "c0")
        # Same client/router TCP tuning for every proxy: the new-connection
        # load opens ~10^5 connections per run from one client address.
        for ns in (self.t.cli, self.t.rtr):
            self.t.sysctl(ns, "net.ipv4.ip_local_port_range", "1024 65000")
            self.t.sysctl(ns, "net.ipv4.tcp_tw_reuse", "1")
            self.t.sysctl(ns, "net.core.somaxconn", "8192")
            self.t.sysctl(ns, "net.ipv4.tcp_max_syn_backlog", "8192")
        self.t.sysctl(self.t.srv, "net.core.somaxconn", "8192")
        self.t.sysctl(self.t.srv, "net.ipv4.tcp_max_syn_backlog", "8192")
        # The same TCP congestion control everywhere, whatever the host
        # uses (new namespaces inherit it): see "Congestion control".
        if self.a.tcp_cc:
            for ns in (self.t.cli, self.t.rtr, self.t.srv):
                self.t.sysctl(ns, "net.ipv4.tcp_congestion_control",
                              self.a.tcp_cc)
        conf = self.template(self.ORIGIN_CONF, "origin.conf",
                             DIR=self.d, WORKERS=2)
        self.sh(self.t.srv, ["nginx", "-t", "-q", "-e", "stderr", "-c", conf])
        self.origin = self.t.popen(self.t.srv, [
            "nginx", "-e", os.path.join(self.d, "origin.error.log"),
            "-c", conf, "-g", "daemon off;"])
        self.t.wait_listen(self.t.srv, 80, proc=self.origin)
        if self.ORIGIN_TLS:
            self.t.wait_listen(self.t.srv, 443, proc=self.origin)
        # warm ARP so the first measured run is not charged for it
        self.sh(self.t.cli, ["curl", "-sS", "-o", "/dev/null", "-m", "5",
                             "http://%s/1k" % ORIGIN])

    def teardown(self):
        """The network of one run goes, with its /etc/netns files."""
        if self.t is not None:
            self.t.cleanup()
        for d in self.etc_netns:
            shutil.rmtree(d, ignore_errors=True)
        self.etc_netns = []

    def tproxyctl_https(self):
        """True if tproxyctl has its own HTTPS mapping (--https-port)."""
        if not hasattr(self, "_ctl_https"):
            p = subprocess.run([os.path.join(self.build, "tproxyctl"),
                                "setup", "--help"], capture_output=True,
                               text=True, timeout=10)
            self._ctl_https = "--https-port" in p.stdout + p.stderr
        return self._ctl_https

    def rules(self, on, tls=False):
        """TPROXY rules on the router: port 80 to PORT, or, for the HTTPS
        loads, 443 to TLS_PORT: with tproxyctl's HTTPS options when it has
        them, else as its one mapping (--port/--ports), the same rules."""
        if on == self.rules_on:
            return
        state = os.path.join(self.d, "tproxyctl.state")
        ctl = os.path.join(self.build, "tproxyctl")
        if on:
            if not tls:
                m = ["--port", str(PORT), "--ports", "80"]
            elif self.tproxyctl_https():
                m = ["--port", str(PORT), "--ports", "80",
                     "--https-port", str(TLS_PORT), "--https-ports", "443"]
            else:
                m = ["--port", str(TLS_PORT), "--ports", "443"]
            self.sh(self.t.rtr, [ctl, "setup"] + m +
                    ["--family", "ipv4", "--state", state])
        else:
            self.sh(self.t.rtr, [ctl, "teardown", "--state", state])
        self.rules_on = on

    # -- proxies ----------------------------------------------------------

    def start_proxy(self, name, mode, tls=False, bump=False, connect=False):
        """Start proxy `name` in the router namespace, pinned to CPU 1 with
        one worker (mode 'pinned') or unpinned with two (mode '2cpu');
        with tls, its HTTPS configuration (TLS_CONF) on TLS_PORT; with
        bump, its bumping one (BUMP_CONF); with connect, its bumping
        forward port (CONNECT_CONF) on FWD_PORT."""
        n = 1 if mode == "pinned" else 2
        pin = ["taskset", "-c", "1"] if mode == "pinned" else []
        env = dict(os.environ)
        kind = PROXY_CONF[name]["kind"]
        fields = PROXY_CONF[name].get("fields", {})
        port = FWD_PORT if connect else TLS_PORT if tls else PORT
        self.proxy_port = port

        def tmpl(http_name):
            name_ = (CONNECT_CONF[kind] if connect else BUMP_CONF[kind]
                     if bump else TLS_CONF[kind] if tls else http_name)
            return name_, name_
        if kind == "tproxyd":
            # the same configuration for both binaries
            wl = ("workers %d" % n) if self.tproxyd_workers else ""
            conf = self.template(*tmpl("tproxyd.conf"), PORT=port,
                                 DIR=self.d, WORKERS_LINE=wl)
            binary = self.binaries[name]
            self.sh(self.t.rtr, [binary, "-k", "parse", "-f", conf])
            argv = [binary, "-N", "-f", conf]
        elif kind == "haproxy":
            conf = self.template(*tmpl("haproxy.cfg"), PORT=port,
                                 THREADS=n, **fields)
            self.sh(self.t.rtr, ["haproxy", "-q", "-c", "-f", conf])
            argv = ["haproxy", "-db", "-f", conf]
        elif kind == "squid":
            if bump:
                # a new certificate database for every start (Squid's
                # helper keeps certificates on disk: a first visit must
                # be a miss), owned by 'proxy' as the helpers run
                ssldb = os.path.join(self.d, "ssl_db")
                shutil.rmtree(ssldb, ignore_errors=True)
                subprocess.run(["/usr/lib/squid/security_file_certgen",
                                "-c", "-s", ssldb, "-M", "4MB"],
                               check=True, timeout=30, capture_output=True)
                subprocess.run(["chown", "-R", "proxy:proxy", ssldb],
                               check=True, timeout=10)
                fields = dict(fields, SSLDB=ssldb)
            conf = self.template(*tmpl("squid.conf"), PORT=port,
                                 DIR=self.d, **fields)
            self.sh(self.t.rtr, ["squid", "-k", "parse", "-f", conf])
            argv = ["squid", "-N", "-f", conf]
        elif kind == "nginx":
            conf = self.template(*tmpl("nginx-proxy.conf"), PORT=port,
                                 DIR=self.d, WORKERS=n, **fields)
            self.sh(self.t.rtr, ["nginx", "-t", "-q", "-e", "stderr", "-c",
                                 conf])
            env["LD_PRELOAD"] = self.shim
            env["TRANSPARENT_PORT"] = str(port)
            argv = ["nginx", "-e", os.path.join(self.d, "nginx-proxy.error.log"),
                    "-c", conf, "-g", "daemon off;"]
        elif kind == "mitmproxy":
            # mitmproxy's CA: certificate and key in one file named
            # mitmproxy-ca.pem in its confdir (mitmproxy docs, "About
            # Certificates": "Using a custom certificate authority")
            confdir = os.path.join(self.d, "mitmproxy")
            os.makedirs(confdir, exist_ok=True)
            ca = os.path.join(confdir, "mitmproxy-ca.pem")
            with open(ca, "w") as f:
                for part in ("bumpca.key", "bumpca.pem"):
                    with open(os.path.join(self.d, part)) as g:
                        f.write(g.read())
            os.chmod(ca, 0o600)
            # TPROXY: the listening socket needs IP_TRANSPARENT, and
            # transparent mode's SO_ORIGINAL_DST is answered with the
            # accepted socket's local address (transparent_shim.c)
            env["LD_PRELOAD"] = self.shim
            env["TRANSPARENT_PORT"] = str(port)
            env["TRANSPARENT_ORIGDST"] = "1"
            argv = ["mitmdump", "-q", "--mode", "transparent",
                    "--listen-port", str(port),
                    "--set", "confdir=" + confdir,
                    "--set", "ssl_verify_upstream_trusted_ca=" +
                    os.path.join(self.d, "originca.pem")] + MITM_BEST
        else:
            raise ValueError(name)
        full = pin + self.t._argv(self.t.rtr, argv)
        with open(os.path.join(self.d, name + ".out"), "ab") as out:
            p = subprocess.Popen(full, start_new_session=True, env=env,
                                 stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT)
        self.proxy_procs.append(p)
        self.t.wait_listen(self.t.rtr, port, timeout=20, proc=p)
        time.sleep(0.3)   # let workers/children come up
        return p

    def stop_proxy(self):
        for p in self.proxy_procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in self.proxy_procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)
        self.proxy_procs = []
        # anything left in the router namespace (children) goes too
        end = time.monotonic() + 5
        while self.ns_pids(self.t.rtr) and time.monotonic() < end:
            for pid in self.ns_pids(self.t.rtr):
                try:
                    os.kill(pid, signal.SIGKILL if time.monotonic() > end - 2
                            else signal.SIGTERM)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        while self.t.listening(self.t.rtr, self.proxy_port):
            time.sleep(0.1)

    def verify_tls(self, name, mode):
        """HTTPS: through the proxy, each of the two client addresses must
        reach the origin with its own address and the server name it sent
        (curl over TLS to https://TLS_HOST/peer: the origin answers
        "ADDRESS NAME"); the second while the first's connection is still
        open is not needed: a spliced connection carries one client only.
        Recorded like the two-client check, under setup "MODE-https"."""
        steps = []
        for step, addr in (("A", CLIENT), ("B", CLIENT_B)):
            p = self.sh(self.t.cli, [
                "curl", "-sS", "-k", "-m", "10", "--interface", addr,
                "https://%s/peer" % TLS_HOST], check=False)
            steps.append({"step": step, "want": "%s %s" % (addr, TLS_HOST),
                          "saw": p.stdout.strip() or
                          "error: " + p.stderr.strip()[-120:]})
        ok = all(x["saw"] == x["want"] for x in steps)
        if name != "direct":
            ok = ok and self.rules_on and bool(self.ns_pids(self.t.rtr))
        self.spoofcheck[(name, mode + "-https")] = {"ok": ok,
                                                    "steps": steps}
        log("verify %-15s https: %s -> %s" % (
            name, " ".join("%s=%r" % (x["step"], x["saw"]) for x in steps),
            "OK" if ok else "FAILED"))
        return ok

    def verify_bump(self, name, mode):
        """Bumped HTTPS: as verify_tls, but curl trusts only the bumping
        CA (--cacert bumpca.pem, no -k): the connection verifies only if
        the client's certificate was issued by the bumping CA, i.e. the
        proxy decrypted it (a spliced one shows the origin's certificate,
        from the origin CA curl does not trust); and curl's
        %{ssl_verify_result} must be 0."""
        steps = []
        for step, addr in (("A", CLIENT), ("B", CLIENT_B)):
            p = self.sh(self.t.cli, [
                "curl", "-sS", "--cacert", os.path.join(self.d, "bumpca.pem"),
                "-m", "10", "--interface", addr, "-w",
                " verify=%{ssl_verify_result}",
                "https://%s/peer" % TLS_HOST], check=False)
            steps.append({"step": step,
                          "want": "%s %s\n verify=0" % (addr, TLS_HOST),
                          "saw": p.stdout or
                          "error: " + p.stderr.strip()[-120:]})
        if PROXY_CONF[name].get("spoofs", True):
            ok = all(x["saw"] == x["want"] for x in steps)
        else:
            # decrypted (verify=0 with the bumping CA) and answered; the
            # origin sees the proxy's address, said in the results
            ok = all(x["saw"].endswith(" %s\n verify=0" % TLS_HOST)
                     for x in steps)
        ok = ok and self.rules_on and bool(self.ns_pids(self.t.rtr))
        self.spoofcheck[(name, mode + "-bump")] = {"ok": ok, "steps": steps}
        log("verify %-15s bump: %s -> %s" % (
            name, " ".join("%s=%r" % (x["step"], x["saw"]) for x in steps),
            "OK" if ok else "FAILED"))
        return ok

    def verify_bump_connect(self, name, mode):
        """bump-connect: curl through the forward port (-x), trusting only
        the bumping CA, must reach the origin, which sees the router's
        address (a forward port does not spoof) and the server name."""
        p = self.sh(self.t.cli, [
            "curl", "-sS", "--cacert", os.path.join(self.d, "bumpca.pem"),
            "-m", "10", "-x", "http://%s:%d" % (ROUTER, FWD_PORT), "-w",
            " verify=%{ssl_verify_result}", "https://%s/peer" % TLS_HOST],
            check=False)
        want = "%s %s\n verify=0" % (netns.RTR_SRV4, TLS_HOST)
        saw = p.stdout or "error: " + p.stderr.strip()[-120:]
        ok = saw == want and bool(self.ns_pids(self.t.rtr))
        self.spoofcheck[(name, mode + "-bump-connect")] = {
            "ok": ok, "steps": [{"step": "A", "want": want, "saw": saw}]}
        log("verify %-15s bump-connect: %r -> %s" % (
            name, saw, "OK" if ok else "FAILED"))
        return ok

    def verify(self, name, mode):
        """The origin must see the client's address, through the proxy,
        and each of two clients must be seen with its own address even
        while the other's connections are open (spoofcheck.py): a proxy
        that sent one client's request over an origin connection spoofed
        for another would fail here and is not measured. The two-client
        check depends on the configuration only: it runs once per proxy
        and setup (again after a failure)."""
        p = self.sh(self.t.cli, ["curl", "-sS", "-m", "10", "-D",
                                 os.path.join(self.d, "verify.hdr"),
                                 "http://%s/peer" % ORIGIN], check=False)
        saw = p.stdout.strip()
        ok = p.returncode == 0 and saw == CLIENT
        if name != "direct":
            # with the TPROXY rules on, only the proxy can have answered
            ok = ok and self.rules_on and bool(self.ns_pids(self.t.rtr))
        sc = self.spoofcheck.get((name, mode))
        if sc is None or not sc["ok"]:
            q = self.sh(self.t.cli, [
                "/usr/bin/python3",
                os.path.join(TOP, "bench", "spoofcheck.py"), "--host",
                ORIGIN, "--a", CLIENT, "--b", CLIENT_B], check=False,
                timeout=60)
            m = re.search(r"^SPOOFCHECK (.*)$", q.stdout, re.M)
            sc = json.loads(m.group(1)) if m else {
                "ok": False, "steps": [],
                "error": (q.stdout + q.stderr)[-300:]}
            self.spoofcheck[(name, mode)] = sc
        ok = ok and sc["ok"]
        log("verify %-15s origin saw %r; two clients: %s -> %s" % (
            name, saw, " ".join("%s=%s" % (x["step"], x["saw"])
                                for x in sc["steps"]) or sc.get("error"),
            "OK" if ok else "FAILED"))
        return ok

    # -- loads ------------------------------------------------------------

    def run_load(self, load, mode, dur):
        path, conns, hdrs, _ = LOADS[load]
        if load in CONNECT_LOADS:
            with open(os.path.join(self.d, "connectnames.txt"), "w") as f:
                f.write(TLS_HOST + "\n")
            argv = ["/usr/bin/python3", os.path.join(TOP, "bench",
                                                     "bumpclient.py"),
                    "--host", ORIGIN, "--proxy", "%s:%d" % (ROUTER,
                                                            FWD_PORT),
                    "--names", os.path.join(self.d, "connectnames.txt"),
                    "--cacert", os.path.join(self.d, "bumpca.pem"),
                    "--path", path, "--conc", str(conns),
                    "--duration", str(dur)]
        elif load in BUMP_CLIENT_LOADS:
            argv = ["/usr/bin/python3", os.path.join(TOP, "bench",
                                                     "bumpclient.py"),
                    "--host", ORIGIN, "--names",
                    os.path.join(self.d, "bumpnames.txt"), "--cacert",
                    os.path.join(self.d, "bumpca.pem"), "--path", "/1k"]
        elif load == "tls-idle":
            n = 1000 if self.a.quick else conns
            argv = ["/usr/bin/python3", os.path.join(TOP, "bench",
                                                     "idleclient.py"),
                    "--host", ORIGIN, "--port", "443", "--tls-sni",
                    TLS_HOST, "-n", str(n),
                    "--hold", str(2 if self.a.quick else 5)]
        elif load == "idle":
            n = 1000 if self.a.quick else 10000
            argv = ["/usr/bin/python3", os.path.join(TOP, "bench",
                                                     "idleclient.py"),
                    "--host", ORIGIN, "-n", str(n),
                    "--hold", str(2 if self.a.quick else 5), "--rate", "200"]
        else:
            threads = 1 if mode == "pinned" else 2
            argv = ["wrk", "-t", str(threads), "-c", str(conns),
                    "-d", "%ds" % dur, "--timeout", "10s",
                    "-s", os.path.join(TOP, "bench", "report.lua")]
            for h in hdrs:
                argv += ["-H", h]
            if load in TLS_LOADS or load in BUMP_LOADS:
                # wrk sends the URL's host name as SNI (and resolves it
                # through the namespace's /etc/hosts)
                argv.append("https://%s%s" % (TLS_HOST, path))
            else:
                argv.append("http://%s%s" % (ORIGIN, path))
        if mode == "pinned":
            argv = ["taskset", "-c", "0"] + argv
        p = self.t.run(self.t.cli, argv, timeout=dur + 120)
        m = re.search(r"^BENCHJSON (.*)$", p.stdout, re.M)
        if not m:
            raise RuntimeError("load %s: no result (rc %d): %s %s" % (
                load, p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
        return json.loads(m.group(1))

    def measure(self, name, load, mode, run, dur):
        bump = load in BUMP_LOADS
        tls = load in TLS_LOADS or bump
        connect = load in CONNECT_LOADS
        if name != "direct":
            self.start_proxy(name, mode, tls, bump, connect)
        try:
            vkey = (name, mode + ("-bump-connect" if connect else
                                  "-bump" if bump and name != "direct"
                                  else "-https" if tls else ""))
            vfn = (self.verify_bump_connect if connect else
                   self.verify_bump if bump and name != "direct" else
                   self.verify_tls if tls else self.verify)
            ok = (vfn(name, mode) if run == 1 or not self.a.quick
                  else True)
            self.verified[vkey] = self.verified.get(vkey, True) and ok
            if not ok:
                raise RuntimeError("verification failed: the origin did "
                                   "not see the client's address")
            if load == "bump-hit":
                # the first visit of every name (not measured): the
                # measured pass then asks for the same names again
                w = self.run_load(load, mode, 1)
                log("bump-hit warm-up: %d first visits, %d errors" % (
                    w["requests"], w["err_connect"] + w["err_read"] +
                    w["err_status"]))
            elif self.a.warmup and load not in ("idle", "tls-idle",
                                                "bump-miss"):
                # (bump-miss: a warm-up would fill the certificate cache)
                self.run_load(load, mode, 1)
            pids = self.ns_pids(self.t.rtr)
            c0 = self.cpu_seconds(pids)
            s0 = (self.syn_retrans(self.t.cli), self.syn_retrans(self.t.rtr))
            o0 = self.passive_opens(self.t.srv)
            r = self.run_load(load, mode, dur)
            pids = self.ns_pids(self.t.rtr)
            c1 = self.cpu_seconds(pids)
            s1 = (self.syn_retrans(self.t.cli), self.syn_retrans(self.t.rtr))
            o1 = self.passive_opens(self.t.srv)
            r.update(proxy=name, load=load, mode=mode, run=run,
                     cpu_s=c1 - c0, rss_kib=self.hwm_kib(pids),
                     origin_conns=o1 - o0,
                     syn_retrans=(s1[0] - s0[0]) + (s1[1] - s0[1]),
                     syn_retrans_cli=s1[0] - s0[0],
                     syn_retrans_rtr=s1[1] - s0[1], nprocs=len(pids))
            secs = (r["hold_s"] if "hold_s" in r else
                    r["duration_us"] / 1e6)
            reqs = r["hold_requests"] if "hold_s" in r else r["requests"]
            r["rps"] = reqs / secs if secs else 0
            r["mbps"] = r["bytes"] / (r["duration_us"] / 1e6) / 1e6
            r["cpu_per_100k"] = (r["cpu_s"] * 1e5 / r["requests"]
                                 if r["requests"] else 0)
            if tls:
                # per 10,000 requests: in tls-new, 10,000 connections
                r["cpu_per_10k"] = r["cpu_per_100k"] / 10
            r["origin_conns_per_req"] = (r["origin_conns"] / r["requests"]
                                         if r["requests"] else 0)
            r["errors"] = sum(r[k] for k in ("err_connect", "err_read",
                                             "err_write", "err_status",
                                             "err_timeout"))
            log("%-6s %-15s %-6s #%d %9.0f req/s p50 %6.2f ms p99 %7.2f ms "
                "%8.1f MB/s cpu %.3f s/%s rss %6.1f MiB origin conn/req "
                "%.3f synrt %d err %d%s"
                % (mode, name, load, run, r["rps"], r["p50_us"] / 1e3,
                   r["p99_us"] / 1e3, r["mbps"],
                   r["cpu_per_10k"] if tls else r["cpu_per_100k"],
                   "10k" if tls else "100k",
                   r["rss_kib"] / 1024, r["origin_conns_per_req"],
                   r["syn_retrans"], r["errors"],
                   (" alive %d/%d" % (r["alive"], r["opened"])
                    if "alive" in r else "")))
            self.results.append(r)
            return r
        finally:
            if name != "direct":
                self.stop_proxy()

    # -- the whole run ----------------------------------------------------

    def plan(self):
        """(mode, proxy, load, run) in the order they are measured: per
        setup and load, repetition after repetition, every proxy once per
        repetition, so slow drifts of the shared host spread over all
        proxies alike. tproxyd and tproxyd-before swap places in every
        other repetition (alternating order)."""
        q = self.a.quick
        proxies = [x for x in PROXIES if x in self.a.proxies]
        if self.a.baseline and "tproxyd" in proxies:
            if "tproxyd-before" not in proxies:
                proxies.insert(proxies.index("tproxyd") + 1, "tproxyd-before")
        else:
            proxies = [x for x in proxies if x != "tproxyd-before"]
        # HTTPS loads per core only (time: bench/README.md)
        loads_pinned = (["ka50", "close", "ka1m", "idle"] if q else
                        ["ka50", "ka1000", "close", "ka64k", "ka1m",
                         "idle"]) + list(TLS_LOADS) + list(BUMP_LOADS)
        loads_2cpu = [] if q else ["ka50", "ka1000", "close", "ka1m"]
        loads_pinned = [x for x in loads_pinned if x in self.a.loads]
        loads_2cpu = [x for x in loads_2cpu if x in self.a.loads]
        runs = 1 if q else self.a.runs
        out = []
        for mode, loads in (("pinned", loads_pinned), ("2cpu", loads_2cpu)):
            for load in loads:
                here = [x for x in proxies
                        if not (load in ("idle", "tls-idle")
                                and x == "direct")
                        and not (load in TLS_LOADS
                                 and self.tls_unavailable.get(x))
                        and not (load in BUMP_LOADS
                                 and PROXY_CONF[x]["kind"] not in BUMP_CONF
                                 and x != "direct")
                        and not (load in BUMP_CLIENT_LOADS
                                 and x == "direct")
                        and not (load in CONNECT_LOADS
                                 and PROXY_CONF[x]["kind"] not in
                                 CONNECT_CONF)
                        and not (load in BUMP_LOADS
                                 and x == "tproxyd-before")
                        and (PROXY_CONF[x]["modes"] is None
                             or mode in PROXY_CONF[x]["modes"])
                        and (PROXY_CONF[x]["loads"] is None
                             or load in PROXY_CONF[x]["loads"])]
                for run in range(1, runs + 1):
                    order = list(here)
                    if (run % 2 == 0 and "tproxyd-before" in order
                            and "tproxyd" in order):
                        i = order.index("tproxyd")
                        j = order.index("tproxyd-before")
                        order[i], order[j] = order[j], order[i]
                    out += [(mode, name, load, run) for name in order]
        return out

    def estimate_s(self, plan, dur):
        """Expected wall time of the plan: measured on the 2-core VM,
        each run costs its duration, the 1 s warm-up and ~1.2 s to build
        the network, start, verify and stop the proxy; an idle run about
        9 s (10,000 connections opened, 5 s hold; QUICK: 1,000, 2 s)."""
        t = 0.0
        for mode, name, load, run in plan:
            if load == "idle":
                t += 4 if self.a.quick else 9
            elif load == "tls-idle":
                t += 5 if self.a.quick else 12
            elif load in CONNECT_LOADS:
                t += dur + 1.2
            elif load in BUMP_CLIENT_LOADS:
                t += 6 if self.a.quick else 12
            else:
                t += dur + (1 if self.a.warmup else 0) + 1.2
        return t

    def main(self):
        dur = 2 if self.a.quick else self.a.duration
        self.prepare()
        plan = self.plan()
        log("%d runs of ~%d s each, expected to take ~%.0f min" % (
            len(plan), dur, self.estimate_s(plan, dur) / 60))
        for k, why in sorted(self.tls_unavailable.items()):
            if why and k in self.a.proxies and set(TLS_LOADS) & set(
                    self.a.loads):
                log("HTTPS: %s not available (%s): its HTTPS rows say so"
                    % (k, why))
        t0 = time.monotonic()
        for mode, name, load, run in plan:
            try:
                self.setup()
                self.set_affinity(self.t.srv,
                                  "0" if mode == "pinned" else "0,1")
                # (bump-connect: nothing to intercept)
                self.rules(name != "direct" and load not in CONNECT_LOADS,
                           load in TLS_LOADS or load in BUMP_LOADS)
                self.measure(name, load, mode, run, dur)
            except (RuntimeError, netns.TopologyError, OSError,
                    subprocess.SubprocessError) as e:
                log("%s %s %s run %d FAILED: %s" % (mode, name, load, run, e))
                self.results.append(dict(proxy=name, load=load, mode=mode,
                                         run=run, failed=str(e)[:300]))
                self.stop_proxy()
            finally:
                self.teardown()
        log("measured in %.0f s" % (time.monotonic() - t0))
        self.write_results(dur)

    # -- output -----------------------------------------------------------

    def write_results(self, dur):
        os.makedirs(self.a.out, exist_ok=True)
        with open(os.path.join(self.a.out, "raw.json"), "w") as f:
            json.dump(self.results, f, indent=1)
        import report
        facts = self.facts(dur)
        with open(os.path.join(self.a.out, "facts.json"), "w") as f:
            json.dump({"facts": facts, "verified": {
                "%s/%s" % k: v for k, v in self.verified.items()},
                "spoofcheck": {"%s/%s" % k: v
                               for k, v in self.spoofcheck.items()}}, f,
                indent=1)
        report.write(self.a.out, self.results, facts=facts,
                     verified=self.verified, spoofcheck={
                         "%s/%s" % k: v for k, v in self.spoofcheck.items()})

    def facts(self, dur):
        def ver(argv, pat=None):
            try:
                p = subprocess.run(argv, capture_output=True, text=True,
                                   timeout=10)
                s = (p.stdout + p.stderr).strip().splitlines()
                s = [x for x in s if not pat or re.search(pat, x)]
                return s[0] if s else "?"
            except OSError:
                return "?"
        cpu = "?"
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    cpu = ln.split(":", 1)[1].strip()
                    break
        mem = 0
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024 // 1024

        def build_id(binary):
            """Version line, source commit and a hash of the binary, so
            that two builds of one version can be told apart."""
            try:
                p = subprocess.run(["git", "-C", os.path.dirname(binary),
                                    "describe", "--always", "--dirty",
                                    "--abbrev=10"], capture_output=True,
                                   text=True, timeout=10)
                git = p.stdout.strip() if p.returncode == 0 else "?"
            except OSError:
                git = "?"
            try:
                with open(binary, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()[:12]
            except OSError:
                h = "?"
            return {"version": ver([binary, "-v"]), "path": binary,
                    "commit": git, "sha256": h}
        return {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC"),
            "kernel": platform.release(), "cpu": cpu,
            "tcp_cc": self.a.tcp_cc or host_tcp_cc(),
            "ncpu": os.cpu_count(), "mem_gib": mem,
            "quick": self.a.quick, "duration": dur,
            "runs": 1 if self.a.quick else self.a.runs,
            "tproxyd_workers": self.tproxyd_workers,
            # HTTPS: why a tproxyd binary was not measured (None: it was)
            "tls_unavailable": {
                k: v for k, v in self.tls_unavailable.items()
                if k in self.a.proxies or (k == "tproxyd-before"
                                           and "tproxyd" in self.a.proxies)},
            "tls_loads": [x for x in TLS_LOADS if x in self.a.loads],
            "bump_loads": [x for x in BUMP_LOADS if x in self.a.loads],
            "bump_names": len(getattr(self, "bump_names", [])),
            "ktls": "no CONFIG_TLS in this kernel: kTLS not measurable"
            if not os.path.exists("/proc/net/tls_stat") else "available",
            "tls_idle_n": 1000 if self.a.quick else TLS_IDLE_N,
            "workers_support": self.workers_support,
            "tproxyd_builds": {k: build_id(v)
                               for k, v in self.binaries.items()},
            # the lines that differ between best and default configs
            "peer_configs": {
                k: "; ".join(v.replace("\n", " ").replace("\t", "")
                             for v in c["fields"].values())
                for k, c in PROXY_CONF.items() if "fields" in c},
            "versions": {
                "tproxyd": ver([self.binaries["tproxyd"], "-v"]),
                "haproxy": ver(["haproxy", "-v"], "version"),
                "squid": ver(["squid", "-v"], "Version"),
                "nginx": ver(["nginx", "-v"]),
                "wrk": ver(["wrk", "-v"], "wrk"),
                "openssl": ver(["openssl", "version"]),
                "mitmproxy": ver(["mitmdump", "--version"], "Mitmproxy"),
                "python3": platform.python_version(),
            },
        }

    def cleanup(self):
        try:
            if self.t is not None:
                self.stop_proxy()
        except Exception:
            pass
        self.teardown()
        shutil.rmtree(self.d, ignore_errors=True)


def host_tcp_cc():
    with open("/proc/sys/net/ipv4/tcp_congestion_control") as f:
        return f.read().strip() + " (the host's)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default=os.path.join(TOP, "bench", "results"))
    ap.add_argument("--duration", type=int,
                    default=int(os.environ.get("BENCH_DURATION", "5")))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-warmup", dest="warmup", action="store_false")
    ap.add_argument("--proxies", default=",".join(PROXIES))
    # the bumped-HTTPS loads only when asked for (--loads bump-...)
    ap.add_argument("--loads", default=",".join(
        [x for x in LOADS if x not in BUMP_LOADS] + list(UDP_LOADS)))
    ap.add_argument("--tcp-cc", default="cubic", metavar="NAME",
                    help="TCP congestion control in every namespace "
                    "(default cubic, Linux's default; '' keeps the "
                    "host's)")
    ap.add_argument("--baseline", default=os.environ.get("BASELINE") or None,
                    metavar="PATH",
                    help="another tproxyd binary, measured as "
                    "'tproxyd-before' with the same configuration, "
                    "alternating with tproxyd in every repetition")
    a = ap.parse_args()
    if a.baseline and not os.access(a.baseline, os.X_OK):
        sys.exit("--baseline %s: not an executable file" % a.baseline)
    a.proxies = a.proxies.split(",")
    a.loads = a.loads.split(",")
    if a.quick:
        a.warmup = False
    if os.geteuid() != 0:
        sys.exit("make bench needs root (network namespaces)")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    udp = [x for x in a.loads if x in UDP_LOADS]
    a.loads = [x for x in a.loads if x not in UDP_LOADS]
    if udp:
        os.makedirs(a.out, exist_ok=True)
        # ~7 min (3 runs of direct and tproxyd), ~10 with a baseline;
        # QUICK: 1 run of 3 s, ~2 min
        subprocess.run([sys.executable, os.path.join(TOP, "bench",
                                                     "udp_bench.py"),
                        "--build", a.build, "--secs",
                        "3" if a.quick else str(max(5, a.duration or 5)),
                        "--runs", "1" if a.quick else "3",
                        "--out", os.path.join(a.out, "udp.md")] +
                       (["--baseline", a.baseline] if a.baseline else []),
                       check=True, timeout=2400)
    if not a.loads:
        return
    b = Bench(a)

    def on_signal(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    try:
        b.main()
    finally:
        b.cleanup()


if __name__ == "__main__":
    main()
