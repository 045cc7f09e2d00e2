# SPDX-License-Identifier: GPL-2.0-or-later
"""
tls_env.py - the world of the HTTPS interception tests
(test_tls_intercept.py; its own checks without the proxy in
test_tls_env.py), on the netns topology of tests/netns/netns.py:

    <p>-cli  curl --resolve NAME:443:ADDR --cacert CA, openssl s_client,
       |     tls_client.py (hand-cut ClientHellos), 198.18.1.2 / 2001:db8:1::2
       |
    <p>-rtr  tproxyd: http_port 3129 tproxy, https_port 3130 tproxy ssl-bump;
       |     TPROXY 80 -> 3129 and 443 -> 3130 (nft, or `tproxyctl setup`
       |     with TPROXYD_TLS_RULES=tproxyctl); fwmark 1 -> table 100;
       |     stub DNS on 127.0.0.1:53 (NAMES); counters of the SYNs tproxyd
       |     sends to each origin address (syn_counts: "was the server
       |     contacted at all?")
       |
    <p>-srv  nginx, TLS 1.2 + 1.3 on 443 (and HTTP on 80) of
             198.18.2.2, 198.18.2.3, [2001:db8:2::2] and [2001:db8:2::3]:
             server blocks for allowed.test (also www., the default for
             any other SNI), blocked.test and other.test, each with its
             own leaf signed by the test's CA; /peer answers $remote_addr,
             /sni "$ssl_server_name $ssl_protocol"; /1k and /big (4 MiB of
             fixed pseudo-random bytes, sha256 known) are files.
             tls_raw_origin.py on 198.18.2.4:443 and [2001:db8:2::4]:443
             (records every byte and echoes it) and 198.18.2.5:443 (sends
             a banner first: a server-talks-first protocol).

The certificates are made per module with the openssl command line (an EC
P-256 CA and leaves, SANs), in the module's temporary directory.

Names the router's stub DNS answers (the proxy checks the SNI against
them): allowed.test, www.allowed.test, blocked.test, other.test,
alias.test -> the nginx addresses 198.18.2.2 / 2001:db8:2::2 (never ::3
or .3: an SNI sent there is a forgery); raw.test -> the recording
origin.

Everything is bounded: each subprocess has a timeout, waits poll with a
deadline, and the module fixture always removes its namespaces (plus
conftest's session-wide cleanup of run_prefix).
"""

import hashlib
import itertools
import json
import os
import random
import re
import shlex
import ssl
import subprocess
import time
from pathlib import Path

import pytest

import harness
import intercept_env
import netns
from intercept_env import NsTproxyd, must
from netns import CLI4, CLI6, RTR_SRV4, RTR_SRV6, SRV4, SRV6  # noqa: F401

HERE = Path(__file__).resolve().parent
PY = "/usr/bin/python3"
TLS_CLIENT_PY = str(HERE / "tls_client.py")
RAW_ORIGIN_PY = str(HERE / "tls_raw_origin.py")
STUB_DNS_PY = str(HERE / "stub_dns.py")
CTL = str(harness.BUILD / "tproxyctl")

HTTP_PORT = 3129
HTTPS_PORT = 3130
STATS_PORT = 3140
FWMARK = 1

# Server addresses: nginx on SRV and ALT, the recording echo origin on
# RAW, the banner origin on BANNER4 (IPv4 only).
ALT4, RAW4, BANNER4 = "198.18.2.3", "198.18.2.4", "198.18.2.5"
ALT6, RAW6 = "2001:db8:2::3", "2001:db8:2::4"
NGINX_ADDRS = (SRV4, ALT4, SRV6, ALT6)
RAW_ADDRS = (RAW4, RAW6)
ORIGIN_ADDRS = NGINX_ADDRS + RAW_ADDRS + (BANNER4,)

FAM = {
    4: dict(cli=CLI4, srv=SRV4, alt=ALT4, raw=RAW4, rtr_srv=RTR_SRV4),
    6: dict(cli=CLI6, srv=SRV6, alt=ALT6, raw=RAW6, rtr_srv=RTR_SRV6),
}

# Leaf certificates: name -> subject alternative names.
LEAVES = {
    "allowed.test": ["allowed.test", "www.allowed.test"],
    "blocked.test": ["blocked.test"],
    "other.test": ["other.test"],
}

NAMES = {
    "allowed.test": [SRV4, SRV6],
    "www.allowed.test": [SRV4, SRV6],
    "blocked.test": [SRV4, SRV6],
    "other.test": [SRV4, SRV6],
    "alias.test": [SRV4, SRV6],
    "raw.test": [RAW4, RAW6],
}

BIG = 4 << 20
BANNER = b"SSH-2.0-tproxyd_test_origin\r\n"

# How the router diverts port 443: "nft" (the rules below, written
# here) or "tproxyctl" (`tproxyctl setup -f tproxyd.conf`, plus the
# words of TPROXYD_TLS_CTL_ARGS, e.g. "--https-ports 443").
RULES = os.environ.get("TPROXYD_TLS_RULES", "nft")
CTL_ARGS = shlex.split(os.environ.get("TPROXYD_TLS_CTL_ARGS", ""))

# The configuration under test (Squid's peek-at-SNI idiom).
TLS_BASE = [
    "http_port %d tproxy" % HTTP_PORT,
    "https_port %d tproxy ssl-bump" % HTTPS_PORT,
    "http_access allow all",
    "acl step1 at_step SslBump1",
    "acl blocked ssl::server_name .blocked.test",
    "ssl_bump peek step1",
    "ssl_bump terminate blocked",
    "ssl_bump splice all",
]


def urlhost(addr):
    return "[%s]" % addr if ":" in addr else addr


def fixed_bytes(n, seed=13):
    return random.Random(seed).randbytes(n)


# ---------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------

class Pki:
    """A test CA and one leaf per entry of leaves ({name: SANs}; default
    LEAVES), made with openssl in dir. ca: the CA certificate file;
    cert(name), key(name): a leaf's files; fingerprint(name): sha256 hex
    of the leaf's DER."""

    def __init__(self, d, leaves=None):
        self.dir = Path(d)
        self.dir.mkdir(parents=True, exist_ok=True)
        # tproxyd reads the CA (tls_outgoing_options cafile=) as its
        # unprivileged user: let it through the directories.
        for q in [self.dir] + list(self.dir.resolve().parents):
            if str(q) in ("/", "/tmp"):
                break
            q.chmod((q.stat().st_mode & 0o7777) | 0o011)
        self.ca = self.dir / "ca.crt"
        self.ca_key = self.dir / "ca.key"
        self._ossl(["req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "3",
                    "-keyout", self.ca_key, "-out", self.ca,
                    "-subj", "/O=tproxyd tests/CN=tproxyd test CA",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        for name, sans in (LEAVES if leaves is None else leaves).items():
            csr = self.dir / (name + ".csr")
            ext = self.dir / (name + ".ext")
            ext.write_text(
                "subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n" % ",".join(
                    "DNS:" + s for s in sans))
            self._ossl(["req", "-new", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", self.key(name), "-out", csr,
                        "-subj", "/CN=%s" % name])
            self._ossl(["x509", "-req", "-in", csr, "-CA", self.ca,
                        "-CAkey", self.ca_key, "-CAcreateserial",
                        "-days", "3", "-extfile", ext,
                        "-out", self.cert(name)])

    def _ossl(self, args):
        p = subprocess.run(["openssl"] + [str(a) for a in args],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, "openssl %s: %s" % (args[0], p.stderr)

    def cert(self, name):
        return self.dir / (name + ".crt")

    def key(self, name):
        return self.dir / (name + ".key")

    def fingerprint(self, name):
        der = ssl.PEM_cert_to_DER_cert(self.cert(name).read_text())
        return hashlib.sha256(der).hexdigest()


# ---------------------------------------------------------------------------
# Origins (server namespace)
# ---------------------------------------------------------------------------

NGINX_CONF = """\
# written by tests/blackbox/tls_env.py
user root;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 512; }}
http {{
    log_format tls '$remote_addr $server_addr $ssl_server_name '
                   '$ssl_protocol "$request" $status $body_bytes_sent';
    access_log {d}/access.log tls;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    default_type application/octet-stream;
    keepalive_timeout 5;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets off;
    ssl_session_cache off;
{servers}
}}
"""

NGINX_SERVER = """\
    server {{
{listen}
        server_name {names};
        ssl_certificate {cert};
        ssl_certificate_key {key};
        root {d}/www;
        location = /peer {{
            default_type text/plain; return 200 "$remote_addr";
        }}
        location = /sni {{
            default_type text/plain;
            return 200 "$ssl_server_name $ssl_protocol";
        }}
    }}
"""

NGINX_HTTP = """\
    server {{
        listen {srv4}:80;
        listen [{srv6}]:80;
        root {d}/www;
        location = /peer {{
            default_type text/plain; return 200 "$remote_addr";
        }}
    }}
"""


class Nginx:
    """nginx in the server namespace (NGINX_CONF); access_lines() are its
    access.log: "client server_addr sni protocol "request" status
    bytes"."""

    def __init__(self, topo, d, pki):
        self.topo = topo
        self.dir = Path(d)
        for sub in ("tmp", "www"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / "www" / "1k").write_bytes(fixed_bytes(1024, 1))
        big = fixed_bytes(BIG)
        (self.dir / "www" / "big").write_bytes(big)
        self.big_sha256 = hashlib.sha256(big).hexdigest()
        self.k1_sha256 = hashlib.sha256(fixed_bytes(1024, 1)).hexdigest()
        servers = []
        for i, name in enumerate(LEAVES):
            dflt = " default_server" if i == 0 else ""
            listen = "\n".join("        listen %s:443 ssl%s;" % (
                urlhost(a), dflt) for a in NGINX_ADDRS)
            servers.append(NGINX_SERVER.format(
                listen=listen, names=" ".join(LEAVES[name]),
                cert=pki.cert(name), key=pki.key(name), d=self.dir))
        servers.append(NGINX_HTTP.format(srv4=SRV4, srv6=SRV6, d=self.dir))
        self.conf = self.dir / "nginx.conf"
        self.conf.write_text(NGINX_CONF.format(d=self.dir,
                                               servers="".join(servers)))
        self.access_log = self.dir / "access.log"
        self.proc = topo.popen(
            topo.srv, ["nginx", "-e", self.dir / "error.log", "-p", self.dir,
                       "-c", self.conf, "-g", "daemon off;"],
            stdout=open(self.dir / "stdout", "wb"),
            stderr=open(self.dir / "stderr", "wb"))
        try:
            topo.wait_listen(topo.srv, 443, proc=self.proc)
            for a in NGINX_ADDRS:
                topo.wait_connect(topo.srv, a, 443)
        except netns.TopologyError as e:
            raise AssertionError("nginx did not start: %s\n%s\n%s" % (
                e, (self.dir / "stderr").read_text(errors="replace"),
                (self.dir / "error.log").read_text(errors="replace")))

    def access_lines(self):
        try:
            return [ln for ln in self.access_log.read_text(
                errors="replace").splitlines() if ln.strip()]
        except FileNotFoundError:
            return []

    def clear(self):
        # nginx appends (O_APPEND): truncating in place is safe.
        if self.access_log.exists():
            os.truncate(self.access_log, 0)


class RawOrigin:
    """tls_raw_origin.py in the server namespace; records() are its JSON
    lines (one per ended connection)."""

    def __init__(self, topo, d):
        self.topo = topo
        self.log = Path(d) / "raw-origin.jsonl"
        self.log.write_text("")
        argv = [PY, RAW_ORIGIN_PY, "--log", self.log]
        # Port 80 too: on_unsupported_protocol on the http_port.
        for a in RAW_ADDRS:
            for port in (443, 80):
                argv += ["--listen", "%s:%d" % (urlhost(a), port)]
        argv += ["--listen", "%s:443/banner" % BANNER4,
                 "--listen", "%s:80/banner" % BANNER4]
        self.proc = topo.popen(topo.srv, argv, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        for a in RAW_ADDRS + (BANNER4,):
            for port in (443, 80):
                topo.wait_connect(topo.srv, a, port)
        # The readiness probes above are connections too.
        harness.poll(lambda: len(self.records()) >= 6, 5)
        self.clear()

    def records(self):
        try:
            text = self.log.read_text()
        except FileNotFoundError:
            return []
        return [json.loads(ln) for ln in text.splitlines() if ln.strip()]

    def clear(self):
        os.truncate(self.log, 0)

    def wait_records(self, n, timeout=5.0):
        harness.poll(lambda: len(self.records()) >= n, timeout, 0.05)
        return self.records()


# ---------------------------------------------------------------------------
# Router: stub DNS, interception rules, SYN counters
# ---------------------------------------------------------------------------

def start_dns(topo):
    argv = [PY, STUB_DNS_PY, "--listen", "127.0.0.1:53"]
    for n, addrs in NAMES.items():
        argv += ["--name", "%s=%s" % (n, ",".join(addrs))]
    p = topo.popen(topo.rtr, argv, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    ok = harness.poll(lambda: p.poll() is not None or topo.run(
        topo.rtr, ["ss", "-Hlun", "sport = :53"], timeout=10).stdout.strip(),
        10, interval=0.05)
    assert ok and p.poll() is None, "stub DNS did not start (%s)" % p.poll()
    return p


def nft_intercept_ruleset(http=True, https=True):
    """TPROXY of 80 -> 3129 and 443 -> 3130, both families; the socket
    rule lets the packets of connections tproxyd already has (its spoofed
    server connections) reach it, pure SYNs excepted (README, step 3)."""
    lines = ["table inet tpxtls {",
             "  chain prerouting {",
             "    type filter hook prerouting priority mangle; "
             "policy accept;",
             "    meta l4proto tcp tcp flags & (syn|ack) != syn "
             "socket transparent 1 meta mark set 0x%x accept" % FWMARK]
    for dport, port, on in ((80, HTTP_PORT, http), (443, HTTPS_PORT, https)):
        if not on:
            continue
        for fam, ip in (("ipv4", "ip"), ("ipv6", "ip6")):
            lines.append("    meta nfproto %s tcp dport %d tproxy %s to :%d "
                         "meta mark set 0x%x accept" % (fam, dport, ip, port,
                                                        FWMARK))
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def nft_counter_ruleset():
    """Counters of the SYNs the router itself sends to port 443 of each
    origin address (tproxyd's server connections; forwarded packets do not
    pass the output hook)."""
    lines = ["table inet tpxcount {",
             "  chain output {",
             "    type filter hook output priority filter; policy accept;"]
    for a in ORIGIN_ADDRS:
        ip = "ip6" if ":" in a else "ip"
        lines.append('    tcp dport 443 tcp flags & (syn|ack) == syn %s '
                     'daddr %s counter comment "syn %s"' % (ip, a, a))
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


class Intercept:
    """The router's interception for one test; remove() undoes it."""

    def __init__(self, topo, conf=None, state=None, https=True):
        self.topo = topo
        self.conf = conf
        self.state = state
        self.ctl = False
        intercept_env.flush_rules(topo)
        if https is None:
            pass                # no interception: routed straight through
        elif RULES == "tproxyctl":
            assert conf is not None
            p = topo.run(topo.rtr, [CTL, "setup", "-f", conf, "--state",
                                    state] + CTL_ARGS, timeout=60)
            assert p.returncode == 0, "tproxyctl setup: %s%s" % (
                p.stdout, p.stderr)
            self.ctl = True
        else:
            assert RULES == "nft", "TPROXYD_TLS_RULES=%s" % RULES
            must(topo, topo.rtr, ["nft", "-f", "-"],
                 input=nft_intercept_ruleset(https=https))
        must(topo, topo.rtr, ["nft", "-f", "-"], input=nft_counter_ruleset())

    def syn_counts(self):
        """{origin address: SYNs tproxyd sent to its port 443}."""
        p = must(self.topo, self.topo.rtr,
                 ["nft", "-j", "list", "table", "inet", "tpxcount"])
        out = {}
        for item in json.loads(p.stdout)["nftables"]:
            rule = item.get("rule")
            if not rule or not rule.get("comment", "").startswith("syn "):
                continue
            n = [e["counter"]["packets"] for e in rule["expr"]
                 if "counter" in e]
            out[rule["comment"][4:]] = n[0]
        return out

    def remove(self):
        if self.ctl:
            self.topo.run(self.topo.rtr, [CTL, "teardown", "--state",
                                          self.state], timeout=60)
            self.ctl = False
        intercept_env.flush_rules(self.topo)


# ---------------------------------------------------------------------------
# Clients (client namespace)
# ---------------------------------------------------------------------------

class Curl:
    def __init__(self, p, body):
        self.rc = p.returncode
        self.stderr = p.stderr
        self.out = p.stdout             # -w: verify result, code, version
        self.body = body
        self.sha256 = hashlib.sha256(body).hexdigest()
        w = p.stdout.split()
        self.verify = int(w[0]) if w and w[0].isdigit() else None
        self.status = int(w[1]) if len(w) > 1 and w[1].isdigit() else None

    def __repr__(self):
        return "<curl rc=%s status=%s verify=%s len=%d stderr=%r body=%r>" % (
            self.rc, self.status, self.verify, len(self.body),
            self.stderr[-300:], self.body[:200])


class SClient:
    """What `openssl s_client` printed: the chain (DER of each
    certificate, leaf first), the verification result, the protocol."""

    def __init__(self, p):
        self.rc = p.returncode
        self.text = p.stdout + p.stderr
        pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?"
                          r"-----END CERTIFICATE-----", p.stdout, re.S)
        self.chain = [ssl.PEM_cert_to_DER_cert(x) for x in pems]
        self.leaf_sha256 = hashlib.sha256(self.chain[0]).hexdigest() \
            if self.chain else None
        m = re.search(r"Verify return code: (\d+)", p.stdout)
        self.verify = int(m.group(1)) if m else None
        # "New, TLSv1.3, Cipher is ...": printed once the handshake is
        # done (the SSL-Session block may come only with a ticket).
        m = re.search(r"^New, (TLSv[\d.]+), Cipher is", p.stdout, re.M)
        self.protocol = m.group(1) if m else None
        m = re.search(r"subject=(.*)", p.stdout)
        self.subject = m.group(1).strip() if m else None

    def __repr__(self):
        return "<s_client rc=%s verify=%s proto=%s subject=%s\n%s>" % (
            self.rc, self.verify, self.protocol, self.subject,
            self.text[-1500:])


class TlsWorld:
    """The module's world: topology, certificates, origins, DNS."""

    def __init__(self, topo, d):
        self.topo = topo
        self.dir = Path(d)
        self.pki = Pki(self.dir / "pki")
        self.nginx = Nginx(topo, self.dir / "nginx", self.pki)
        self.raw = RawOrigin(topo, self.dir)
        self.intercept = None

    # -- clients ---------------------------------------------------------

    def curl(self, name, addr, path="/peer", args=(), max_time=10,
             cacert=True):
        """curl https://NAME/PATH in the client namespace, NAME resolved
        to addr (--resolve), verifying with the test CA."""
        body = self.dir / "curl.body"
        if body.exists():
            body.unlink()
        argv = ["curl", "-sS", "--noproxy", "*", "--max-time", str(max_time),
                "--resolve", "%s:443:%s" % (name, urlhost(addr)),
                "-o", str(body), "-w", "%{ssl_verify_result} %{http_code} "
                "%{http_version}"]
        if cacert:
            argv += ["--cacert", str(self.pki.ca)]
        argv += list(args) + ["https://%s%s" % (name, path)]
        p = self.topo.run(self.topo.cli, argv, timeout=max_time + 10)
        return Curl(p, body.read_bytes() if body.exists() else b"")

    def s_client(self, name, addr, args=(), timeout=15):
        """openssl s_client to addr:443 with SNI name, verifying with the
        test CA; stdin closed at once (handshake, then close)."""
        argv = ["openssl", "s_client", "-connect",
                "%s:443" % urlhost(addr), "-CAfile", str(self.pki.ca),
                "-showcerts"]
        if name:
            argv += ["-servername", name]
        else:
            argv += ["-noservername"]
        p = self.topo.run(self.topo.cli, argv + list(args), input="",
                          timeout=timeout)
        return SClient(p)

    def tls_client(self, spec, timeout=30):
        """tls_client.py SPEC in the client namespace; its JSON result."""
        spec = dict(spec)
        spec.setdefault("cafile", str(self.pki.ca))
        p = self.topo.run(self.topo.cli, [PY, TLS_CLIENT_PY,
                                          json.dumps(spec)], timeout=timeout)
        assert p.returncode == 0, "tls_client.py: %s" % p.stderr
        return json.loads(p.stdout)

    # -- router ----------------------------------------------------------

    def metrics(self, port=STATS_PORT):
        """{sample: value} of tproxyd's /metrics, read inside the router
        namespace."""
        p = must(self.topo, self.topo.rtr,
                 ["curl", "-sS", "--noproxy", "*", "--max-time", "5",
                  "http://127.0.0.1:%d/metrics" % port])
        out = {}
        for ln in p.stdout.splitlines():
            if ln and not ln.startswith("#"):
                k, _, v = ln.rpartition(" ")
                out[k] = float(v)
        return out


_seq = itertools.count()


@pytest.fixture(scope="module")
def tls_world(run_prefix, tmp_path_factory):
    """One topology per module: extra origin addresses, policy routing
    (unless tproxyctl does it per test), stub DNS, certificates, nginx
    and the raw origin."""
    assert os.geteuid() == 0, "the HTTPS interception tests need root"
    topo = netns.Topology("%st%d" % (run_prefix, next(_seq)))
    topo.setup()
    try:
        for a in (ALT4, RAW4, BANNER4):
            must(topo, topo.srv, ["ip", "addr", "add", a + "/24", "dev",
                                  "s0"])
        for a in (ALT6, RAW6):
            must(topo, topo.srv, ["ip", "-6", "addr", "add", a + "/64",
                                  "dev", "s0", "nodad"])
        if RULES != "tproxyctl":
            intercept_env.setup_policy_routing(topo)
        start_dns(topo)
        yield TlsWorld(topo, tmp_path_factory.mktemp("tlsworld"))
    finally:
        topo.cleanup()


@pytest.fixture
def tls(tls_world):
    """Per test: origins' records cleared, no rules; rules removed after."""
    tls_world.nginx.clear()
    tls_world.raw.clear()
    yield tls_world
    if tls_world.intercept is not None:
        tls_world.intercept.remove()
        tls_world.intercept = None
    intercept_env.flush_rules(tls_world.topo)


@pytest.fixture
def tlsd(tls, tmp_path):
    """Factory: tlsd(lines=TLS_BASE, extra=(), https=True) -> a started
    NsTproxyd in the router with the interception installed for it
    (https=False: port 80 only; None: no rules at all). The daemon gets
    stats_port 3140 unless lines name one. Stopped at teardown; an
    unexpected exit or a crash fails the test."""
    made = []

    def make(lines=None, extra=(), https=True, start=True):
        lines = list(TLS_BASE if lines is None else lines) + list(extra)
        if not any(ln.split()[:1] == ["stats_port"] for ln in lines):
            lines.append("stats_port 127.0.0.1:%d" % STATS_PORT)
        d = tmp_path / ("tproxyd%d" % len(made))
        t = NsTproxyd(tls.topo, tls.topo.rtr, d, lines,
                      ports=(HTTP_PORT, HTTPS_PORT))
        made.append(t)
        if tls.intercept is not None:
            tls.intercept.remove()
        tls.intercept = Intercept(tls.topo, t.conf, d / "ctl.state",
                                  https=https)
        if start:
            t.start()
        return t
    yield make
    problems = []
    for t in made:
        problems += t.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def nfds(pid):
    """Open descriptors of a process."""
    return len(os.listdir("/proc/%d/fd" % pid))


def wait_fds(pid, want, timeout=5.0):
    return harness.poll(lambda: nfds(pid) == want, timeout, 0.05) or \
        nfds(pid) == want


def now():
    return time.monotonic()
