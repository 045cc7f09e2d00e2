# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_side_by_side_https.py - the HTTPS part of doc/migrating.md's "Side
by side" (issue 18): Squid and tproxyd on one router, each intercepting
port 443 of its own LAN and splicing it, on the topology and with the
helpers of test_side_by_side.py:

    <p>-cli  198.18.1.2  --- r0 -+                    client 1 (Squid's)
                                 |  <p>-rtr
    <p>-cl2  198.18.3.2  --- r2 -+  squid   https_port 3130 tproxy ssl-bump
                                 |  tproxyd https_port 3140 tproxy ssl-bump
                                 +- r1 --- <p>-srv  nginx :443 (good.example)

Both read the same TLS lines (the migration copies squid.conf and changes
the port numbers), a bumping CA made here with openssl (key mode 0600)
and Squid's peek-then-splice idiom:

    https_port 3130 tproxy ssl-bump cert=CA.crt key=CA.key
    sslcrtd_program /usr/lib/squid/security_file_certgen -s DB -M 4MB
    sslcrtd_children 2 startup=1 idle=1
    tls_outgoing_options cafile=ORIGIN-CA.crt
    acl step1 at_step SslBump1
    ssl_bump peek step1
    ssl_bump splice all

Squid's kernel side is its TPROXY guide's, with the 443 rule beside the
80 one and both kept off LAN 2 as the page says; tproxyd's is
`tproxyctl setup` with the page's options, which diverts 443 too because
the configuration has an https_port. Every connection (IPv4 and IPv6,
from each client) is checked four ways: curl gets the origin's own leaf
certificate (spliced: the clients trust the proxies' CA too, as where
proxies bump, so only the leaf tells a bumped connection); the origin saw
the client's own address (both proxies spoof); the access.log of the
proxy it went through has that client's connection, in the lines each
writes for a splice (check_lines); the other proxy's has none (logs read
after a marker request through each proxy's forward port has been
logged, so an absent line is really absent). doctor with the page's
options has no FAIL and checks the 443 mapping.

Also: setup refuses a 443 rule of Squid's left on LAN 2 (only its 80
rule restricted), naming port 443, and changes nothing.
"""

import hashlib
import re
import ssl
import subprocess

import pytest

import harness
from intercept_env import must
from netns import SRV4, SRV6
from test_side_by_side import ADDR, FAMILIES, IF1, IF2, KEEP, SIDE_OPTS, \
    SQUID_ONLY, Scene, make_two_lans, squid_rules
from tls_env import NGINX_CONF, NGINX_SERVER, Pki
from tproxyctl_env import doctor, snapshot

SQUID_TLS, TPROXYD_TLS = 3130, 3140
CERTGEN = "/usr/lib/squid/security_file_certgen"
NAME = "good.example"           # the stub DNS's name of the origin
SRV = {4: SRV4, 6: SRV6}
URLHOST = {4: SRV4, 6: "[%s]" % SRV6}


def tls_lines(port, ca, pki):
    """The same TLS lines for both proxies, on their own port. Squid
    starts its certificate helpers even when every rule splices (and
    stops at once if their database is not there): they are configured
    as a Squid installation has them, on a database made here. The
    proxies trust the origin's CA, as they trust public CAs: were they
    to bump, the clients would get a certificate they accept."""
    return ["https_port %d tproxy ssl-bump cert=%s key=%s" % (
                port, ca / "bump.crt", ca / "bump.key"),
            "tls_outgoing_options cafile=%s" % pki.ca,
            "sslcrtd_program %s -s %s -M 4MB" % (CERTGEN, ca / "ssl_db"),
            "sslcrtd_children 2 startup=1 idle=1",
            "acl step1 at_step SslBump1",
            "ssl_bump peek step1",
            "ssl_bump splice all"]


def bump_ca(d):
    """The proxies' bumping CA (never used to sign: every rule splices),
    key mode 0600 as both want it."""
    d.mkdir(parents=True, exist_ok=True)
    p = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-days", "3",
         "-keyout", d / "bump.key", "-out", d / "bump.crt",
         "-subj", "/O=tproxyd tests/CN=side by side bumping CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    (d / "bump.key").chmod(0o600)
    # Squid's helpers run as proxy and write their database.
    harness.share_with_daemon_user(d)
    p = subprocess.run([CERTGEN, "-c", "-s", d / "ssl_db", "-M", "4MB"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    subprocess.run(["chown", "-R", "proxy:proxy", d / "ssl_db"], check=True,
                   timeout=10)
    return d


def start_nginx(t, d, pki):
    """nginx on port 443 of both server addresses, with the origin's leaf
    (signed by the clients' test CA); /peer answers the client address it
    saw."""
    for sub in ("tmp", "www"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    listen = "\n".join("        listen %s:443 ssl;" % a
                       for a in (SRV4, "[%s]" % SRV6))
    conf = d / "nginx.conf"
    conf.write_text(NGINX_CONF.format(d=d, servers=NGINX_SERVER.format(
        listen=listen, names=NAME, cert=pki.cert(NAME), key=pki.key(NAME),
        d=d)))
    p = t.popen(t.srv, ["nginx", "-e", d / "error.log", "-p", d, "-c", conf,
                        "-g", "daemon off;"],
                stdout=open(d / "stdout", "wb"),
                stderr=open(d / "stderr", "wb"))
    t.wait_listen(t.srv, 443, proc=p)


@pytest.fixture
def tls_lans(run_prefix, request, tmp_path):
    """two_lans, with the origin on 443 too and both proxies configured
    for intercepted HTTPS (not yet intercepting)."""
    pki = Pki(tmp_path / "pki", leaves={NAME: [NAME]})
    ca = bump_ca(tmp_path / "bump")
    t, squid, tpd = make_two_lans(
        run_prefix, request, tmp_path,
        squid_extra=tls_lines(SQUID_TLS, ca, pki), squid_ports=(SQUID_TLS,),
        tpd_extra=tls_lines(TPROXYD_TLS, ca, pki), tpd_ports=(TPROXYD_TLS,))
    start_nginx(t, tmp_path / "nginx", pki)
    # The clients trust the proxies' CA too, as where proxies bump: a
    # bumped connection would verify, only its certificate tells.
    pki.clients_ca = tmp_path / "clients-ca.pem"
    pki.clients_ca.write_text(pki.ca.read_text() +
                              (ca / "bump.crt").read_text())
    return t, squid, tpd, pki


def connect_lines(lines, client_addr):
    """Parsed CONNECT lines of one client address."""
    out = []
    for ln in lines:
        e = harness.parse_access_line(ln)
        if e and e["method"] == "CONNECT" and e["client"] == client_addr:
            out.append(e)
    return out


class TlsScene(Scene):
    def __init__(self, t, squid, tpd, tmp_path, backend, pki):
        super().__init__(t, squid, tpd, tmp_path, backend)
        self.pki = pki
        self.leaf = pki.fingerprint(NAME)
        self.seen = {"squid": 0, "tproxyd": 0}

    def get_tls(self, client, fam):
        """curl https://good.example/peer from a client, no proxy, the
        name resolved to the origin, verified with the clients' CAs;
        returns (the address the origin saw, sha256 of the leaf curl
        got)."""
        ns = self.t.cli if client == 1 else self.t.cli2
        body = self.tmp / "body"
        p = self.t.run(ns, [
            "curl", "-sS", "--noproxy", "*", "--max-time", "5",
            "--resolve", "%s:443:%s" % (NAME, URLHOST[fam]),
            "--cacert", str(self.pki.clients_ca), "-o", str(body),
            "-w", "%{certs}", "https://%s/peer" % NAME], timeout=20)
        assert p.returncode == 0, "client %d, IPv%d: %s" % (client, fam,
                                                             p.stderr)
        pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?"
                          r"-----END CERTIFICATE-----", p.stdout, re.S)
        assert pems, "curl printed no certificate: %s" % p.stdout
        leaf = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pems[0])).hexdigest()
        return body.read_text().strip(), leaf

    def new_lines(self, name, lines):
        """The lines of name's access.log since the last call."""
        new = lines[self.seen[name]:]
        self.seen[name] = len(lines)
        return new

    def route_tls(self, expect):
        """expect: {1: "squid"|"tproxyd", 2: ...}. One HTTPS request per
        client and family: spliced (the origin's own certificate), the
        origin saw the client's address, the expected proxy logged it as
        check_lines() says, the other has no line of it."""
        for fam in FAMILIES:
            for client in (1, 2):
                seen, leaf = self.get_tls(client, fam)
                assert seen == ADDR[client, fam], (
                    "client %d over IPv%d: the origin saw %s, not the "
                    "client's address %s" % (client, fam, seen,
                                             ADDR[client, fam]))
                assert leaf == self.leaf, (
                    "client %d over IPv%d got another certificate than the "
                    "origin's: bumped, not spliced" % (client, fam))
        # A tunnel is logged when it closes, which the proxy may see a
        # moment after curl exits: wait for the expected tunnel lines,
        # then for the markers, after which a missing line is really
        # missing.
        lines = {"squid": self.squid.access_lines,
                 "tproxyd": self.tpd.access_lines}
        start = dict(self.seen)
        for client in (1, 2):
            for fam in FAMILIES:
                name = expect[client]
                harness.poll(lambda: any(
                    e["code"] == "TCP_TUNNEL" for e in connect_lines(
                        lines[name]()[start[name]:], ADDR[client, fam])),
                    10, interval=0.1)
        logs = {k: self.new_lines(k, v) for k, v in self.logs().items()}
        problems = []
        for client in (1, 2):
            for fam in FAMILIES:
                want = expect[client]
                for name, new in logs.items():
                    mine = connect_lines(new, ADDR[client, fam])
                    if name == want:
                        problems += [
                            "client %d over IPv%d: %s: %s" % (
                                client, fam, m, [e["raw"] for e in mine])
                            for m in check_lines(name, mine, fam)]
                    elif mine:
                        problems.append(
                            "%s's access.log has client %d over IPv%d, "
                            "which went through %s: %s" % (
                                name, client, fam, want,
                                [e["raw"] for e in mine]))
        assert not problems, "\n".join(problems) + "\n" + "\n".join(
            "--- %s access.log ---\n%s" % (k, "\n".join(v[-20:]))
            for k, v in logs.items())


def tunnel_fields(e):
    return {k: e[k] for k in ("code", "method", "url", "user", "hier",
                              "peer", "type")}


def check_lines(name, lines, fam):
    """What each proxy writes for one spliced connection of a client
    over family fam; returns the problems. Both: one line
        TCP_TUNNEL/200 BYTES CONNECT good.example:443 - ORIGINAL_DST/SRV -
    (the SNI in the URL, the bytes sent to the client). Squid 5.7 also
    logs its step-1 decision as
        NONE_NONE/000 0 CONNECT SRV:443 - HIER_NONE/- -
    and writes status 500 instead of 200 when the server closed the
    tunnel before the client did (Squid up to 6.6: a closed server
    connection is handled as a failed one; 6.7 changed that)."""
    want = {"code": "TCP_TUNNEL", "method": "CONNECT",
            "url": "%s:443" % NAME, "user": "-", "hier": "ORIGINAL_DST",
            "peer": SRV[fam], "type": "-"}
    tunnels = [e for e in lines if tunnel_fields(e) == want]
    ok_status = (200, 500) if name == "squid" else (200,)
    problems = []
    if len(tunnels) != 1 or tunnels[0]["status"] not in ok_status or \
            tunnels[0]["bytes"] <= 0:
        problems.append("%s: not one TCP_TUNNEL/%s line with bytes" % (
            name, "|".join(map(str, ok_status))))
    rest = [e for e in lines if e not in tunnels]
    if name == "squid":
        step = [e for e in rest if (e["code"], e["status"], e["bytes"],
                                    e["url"], e["hier"], e["peer"]) == (
            "NONE_NONE", 0, 0, "%s:443" % URLHOST[fam],
            "HIER_NONE", "-")]
        rest = [e for e in rest if e not in step]
        if len(step) != 1:
            problems.append("squid: %d NONE_NONE/000 lines of the step 1 "
                            "decision, not 1" % len(step))
    if rest:
        problems.append("%s: other lines" % name)
    return problems


def https_checked(t, tmp_path, tpd, backend, opts=()):
    """doctor looked at the HTTPS part too: 443 goes to tproxyd's
    https_port in both families, QUIC (UDP 443) refused, so that browsers
    use TCP."""
    rc, checks, p = doctor(t, "-f", tpd.conf, "--state", tmp_path / "state",
                           "--backend", backend, *opts)
    want = ["https.config"] + ["https.%s.ipv%d%s" % (k, f, s)
                               for f in FAMILIES
                               for k, s in (("port", ".443"), ("quic", ""))]
    assert {k: checks.get(k, ("missing",))[0] for k in want} == {
        k: "PASS" for k in want}, p.stdout
    assert "https_port %d" % TPROXYD_TLS in checks["https.config"][1]


@pytest.mark.parametrize("backend,only", [("nft", "i_lan1"),
                                          ("iptables", "not_i_lan2")])
def test_https_side_by_side(tls_lans, tmp_path, backend, only):
    t, squid, tpd, pki = tls_lans
    s = TlsScene(t, squid, tpd, tmp_path, backend, pki)

    # Before: Squid's guide, 80 and 443, takes both LANs.
    squid_rules(t, "add", https_port=SQUID_TLS)
    s.route_tls({1: "squid", 2: "squid"})
    squid_rules(t, "del", https_port=SQUID_TLS)

    # Side by side: Squid's two TPROXY rules kept off LAN 2, tproxyd's
    # mark kept from its DIVERT, tproxyctl with the page's options.
    squid_rules(t, "add", tproxy_only=SQUID_ONLY[only], keep_mark=KEEP,
                https_port=SQUID_TLS)
    s.must_ctl("setup", "-f", tpd.conf, "--backend", backend, *SIDE_OPTS)
    # No failure, no warning: the page's ACCEPT line keeps tproxyd's
    # mark from Squid's DIVERT (path.marks passes).
    warnings = s.doctor(*SIDE_OPTS)
    assert warnings == [], warnings
    https_checked(t, tmp_path, tpd, backend, SIDE_OPTS)
    s.route_tls({1: "squid", 2: "tproxyd"})

    # Switch: Squid's rules out, tproxyd on both LANs.
    squid_rules(t, "del", tproxy_only=SQUID_ONLY[only], keep_mark=KEEP,
                https_port=SQUID_TLS)
    s.must_ctl("teardown")
    s.must_ctl("setup", "-f", tpd.conf, "--backend", backend, "--iface",
               IF1, IF2)
    s.doctor()
    https_checked(t, tmp_path, tpd, backend)
    s.route_tls({1: "tproxyd", 2: "tproxyd"})


def test_setup_refuses_squid_443_rule_on_its_interface(tls_lans, tmp_path):
    """Squid's 80 rule kept off LAN 2 but not its 443 rule: setup refuses
    it as it refuses the 80 one, and changes nothing."""
    t, squid, tpd, pki = tls_lans
    s = TlsScene(t, squid, tpd, tmp_path, "nft", pki)
    squid_rules(t, "add", tproxy_only=["-i", IF1])
    for f, ipt in ((4, "iptables"), (6, "ip6tables")):
        must(t, t.rtr, [ipt, "-w", "-t", "mangle", "-A", "PREROUTING", "-p",
                        "tcp", "--dport", "443", "-j", "TPROXY",
                        "--tproxy-mark", "0x1/0x1", "--on-port",
                        str(SQUID_TLS)])
    before = snapshot(t)
    p = s.ctl("setup", "-f", tpd.conf, *SIDE_OPTS)
    assert p.returncode != 0, p.stdout
    assert "already intercepts port 443" in p.stderr, p.stderr
    assert "nothing was changed" in p.stderr, p.stderr
    assert snapshot(t) == before
