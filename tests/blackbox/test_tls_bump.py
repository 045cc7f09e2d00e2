# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_tls_bump.py - decrypting intercepted HTTPS (ssl_bump bump, issue 16)
on the world of tls_env.py (client, router with tproxyd, nginx origins
with certificates from the test CA):

    https_port 3130 tproxy ssl-bump cert=BUMP_CA key=BUMP_KEY
        generate-host-certificates=on
    tls_outgoing_options cafile=TEST_CA      (tproxyd trusts the origins)
    ssl_bump peek step1
    ssl_bump splice spliced                  (other.test: not decrypted)
    ssl_bump bump all

The client trusts the bumping CA (curl --cacert BUMP_CA), as a school's
or a company's clients trust theirs. What each case asserts:

  * bump: the client's TLS session is with tproxyd, under a certificate
    that names the site and is signed by the bumping CA (openssl
    s_client -showcerts: leaf CN and SAN allowed.test, issuer the bumping
    CA, verifies with it); the request inside is logged with its full
    https:// URL (TCP_MISS/200 GET https://allowed.test/peer), the
    CONNECT as Squid logs a bumped one (NONE_NONE/200 CONNECT
    allowed.test:443); the origin sees the client's own address
    (spoofed) and a TLS connection with the SNI the client sent;
  * http_access on a decrypted URL: the error page comes over TLS (403);
  * a splice exemption is not decrypted: the client sees the origin's own
    certificate;
  * an origin whose certificate tproxyd cannot verify (no
    tls_outgoing_options cafile=: the system store does not know the
    test CA): by default (sslproxy_cert_error deny) the client gets an
    untrusted certificate and, if it goes on anyway (-k), the
    ERR_SECURE_CONNECT_FAIL page; with sslproxy_cert_error allow all it
    gets a trusted one and the page;
  * 4 MiB byte-exact through the decrypted connection, and a cacheable
    response decrypted once is a hit the second time (https:// key);
  * the same site gets the same certificate on every connection, and
    after a restart too when sslcrtd_program -s DIR keeps them;
  * peek step1 / stare step2 / bump or terminate at step 3 (Squid's other
    usual form), and Squid 3's server-first and client-first (client-first:
    the client's handshake before any server connection);
  * a client's new connection to a site reuses the idle TLS connection to
    it (one origin connection for three client connections);
  * tls_key_log: tshark decrypts both legs of a captured bumped request
    with the file, and neither without it.
"""

import hashlib
import os
import subprocess
import time
from pathlib import Path

import pytest

import harness
from tls_env import (BIG, FAM, HTTP_PORT, HTTPS_PORT, tls,  # noqa: F401
                     tls_world, tlsd)


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces, TPROXY rules")


def make_bump_ca(d):
    """A CA for tproxyd to sign with: cert and key files (key 0600)."""
    d.mkdir(parents=True, exist_ok=True)
    cert, key = d / "bump-ca.pem", d / "bump-ca.key"
    p = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
         "-keyout", str(key), "-out", str(cert),
         "-subj", "/O=tproxyd tests/CN=tproxyd bump test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    os.chmod(key, 0o600)
    os.chmod(cert, 0o644)
    return cert, key


@pytest.fixture(scope="module")
def bump_ca(tls_world):
    return make_bump_ca(tls_world.dir / "bumpca")


def bump_conf(t, ca, extra=(), trust=True):
    cert, key = ca
    lines = [
        "http_port %d tproxy" % HTTP_PORT,
        "https_port %d tproxy ssl-bump cert=%s key=%s "
        "generate-host-certificates=on" % (HTTPS_PORT, cert, key),
        "acl step1 at_step SslBump1",
        "acl spliced ssl::server_name other.test",
        "ssl_bump peek step1",
        "ssl_bump splice spliced",
        "ssl_bump bump all",
    ]
    if trust:
        lines.append("tls_outgoing_options cafile=%s" % t.pki.ca)
    return lines + list(extra) + ["http_access allow all"]


def curl(t, ca, name, addr, path="/peer", args=()):
    return t.curl(name, addr, path, ["--cacert", str(ca[0])] + list(args),
                  cacert=False)


def s_client(t, ca, name, addr):
    """openssl s_client trusting the bumping CA."""
    argv = ["openssl", "s_client", "-connect", "%s:443" % addr,
            "-CAfile", str(ca[0]), "-showcerts", "-servername", name]
    p = t.topo.run(t.topo.cli, argv, input="", timeout=15)
    from tls_env import SClient
    return SClient(p)


def x509_text(der):
    p = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout",
                        "-subject", "-issuer", "-ext", "subjectAltName"],
                       input=der, capture_output=True, timeout=10)
    assert p.returncode == 0, p.stderr
    return p.stdout.decode()


def entries(d, method=None):
    return [e for e in d.access_entries()
            if method is None or e["method"] == method]


def test_bump_full_url_logged_and_spoofed(tls, tlsd, bump_ca):
    t = tls
    f = FAM[4]
    d = tlsd(bump_conf(t, bump_ca))
    syns = t.intercept.syn_counts()[f["srv"]]
    r = curl(t, bump_ca, "allowed.test", f["srv"], "/peer")
    assert r.rc == 0 and r.status == 200 and r.verify == 0, r
    # One connection to the origin: the one made for the certificate
    # carries the request.
    assert t.intercept.syn_counts()[f["srv"]] == syns + 1
    assert r.body.decode() == f["cli"], r
    r = curl(t, bump_ca, "allowed.test", f["srv"], "/sni")
    assert r.rc == 0 and r.body.startswith(b"allowed.test TLSv1."), r
    # The certificate the client saw: the site's name, the bumping CA.
    s = s_client(t, bump_ca, "allowed.test", f["srv"])
    assert s.verify == 0, s
    assert s.leaf_sha256 != t.pki.fingerprint("allowed.test"), s
    text = x509_text(s.chain[0])
    assert "CN = allowed.test" in text or "CN=allowed.test" in text, text
    assert "DNS:allowed.test" in text, text
    assert "tproxyd bump test CA" in text.split("issuer=")[1], text
    harness.poll(lambda: len(entries(d, "CONNECT")) >= 3, 5, 0.05)
    gets = entries(d, "GET")
    assert [e["url"] for e in gets] == ["https://allowed.test/peer",
                                        "https://allowed.test/sni"], gets
    assert all((e["code"], e["status"]) == ("TCP_MISS", 200)
               for e in gets), [e["raw"] for e in gets]
    conns = entries(d, "CONNECT")
    assert all(e["url"] == "allowed.test:443" and e["status"] == 200
               for e in conns), [e["raw"] for e in conns]
    m = t.metrics()
    assert m['tproxyd_tls_decisions_total{action="bump"}'] >= 3, m


def test_bump_http_access_denied_page_over_tls(tls, tlsd, bump_ca):
    t = tls
    f = FAM[4]
    d = tlsd(bump_conf(t, bump_ca, ["acl secret urlpath_regex ^/sni",
                                    "http_access deny secret"]))
    r = curl(t, bump_ca, "allowed.test", f["srv"], "/sni")
    assert r.rc == 0 and r.verify == 0 and r.status == 403, r
    assert b"ERR_ACCESS_DENIED" in r.body or b"denied" in r.body.lower(), r
    assert not any("/sni" in ln for ln in t.nginx.access_lines())
    harness.poll(lambda: entries(d, "GET"), 5, 0.05)
    e = entries(d, "GET")[0]
    assert (e["code"], e["status"], e["url"]) == (
        "TCP_DENIED", 403, "https://allowed.test/sni"), e["raw"]


def test_bump_splice_exemption_not_decrypted(tls, tlsd, bump_ca):
    t = tls
    f = FAM[4]
    tlsd(bump_conf(t, bump_ca))
    s = t.s_client("other.test", f["srv"])
    assert s.verify == 0, s
    assert s.leaf_sha256 == t.pki.fingerprint("other.test"), s


@pytest.mark.parametrize("allow", [False, True], ids=["deny", "allow"])
def test_bump_unverified_origin(tls, tlsd, bump_ca, allow):
    t = tls
    f = FAM[4]
    extra = ["sslproxy_cert_error allow all"] if allow else []
    tlsd(bump_conf(t, bump_ca, extra, trust=False))
    r = curl(t, bump_ca, "allowed.test", f["srv"], "/peer")
    if allow:
        # The error is allowed: a trusted certificate and the page.
        assert r.rc == 0 and r.verify == 0 and r.status == 200, r
        assert r.body.decode() == f["cli"], r
        return
    # Squid's way: the client is shown an untrusted certificate ...
    assert r.rc != 0, r
    # ... and one who goes on anyway gets the error page, never the
    # origin's answer.
    r = curl(t, bump_ca, "allowed.test", f["srv"], "/peer", ["-k"])
    assert r.rc == 0 and r.status == 503, r
    assert r.verify != 0, r
    assert b"ERR_SECURE_CONNECT_FAIL" in r.body, r
    assert not any('"GET /peer' in ln for ln in t.nginx.access_lines())


def test_bump_big_body_byte_exact_and_cached(tls, tlsd, bump_ca):
    t = tls
    f = FAM[4]
    # nginx's files have only Last-Modified: a refresh_pattern makes
    # them fresh for an hour.
    d = tlsd(bump_conf(t, bump_ca, ["cache_mem 64 MB",
                                    "maximum_object_size_in_memory 8 MB",
                                    "refresh_pattern . 60 20% 4320"]))
    r = curl(t, bump_ca, "allowed.test", f["srv"], "/big")
    assert r.rc == 0 and r.status == 200, r
    assert len(r.body) == BIG and r.sha256 == t.nginx.big_sha256, r
    r = curl(t, bump_ca, "allowed.test", f["srv"], "/big")
    assert r.rc == 0 and r.sha256 == t.nginx.big_sha256, r
    harness.poll(lambda: len(entries(d, "GET")) >= 2, 5, 0.05)
    codes = [e["code"] for e in entries(d, "GET")]
    assert codes[0] == "TCP_MISS" and codes[1].endswith("HIT"), codes


def test_bump_same_certificate_each_time_and_after_restart(tls, tlsd,
                                                           bump_ca,
                                                           tmp_path):
    t = tls
    f = FAM[4]
    db = tmp_path / "ssl_db"
    db.mkdir()
    # tproxyd writes there as its own user: let it through the
    # directories (pytest makes them 0700).
    for q in [db] + list(db.parents):
        if str(q) in ("/", "/tmp"):
            break
        q.chmod((q.stat().st_mode & 0o7777) | 0o011)
    extra = ["sslcrtd_program /usr/lib/squid/security_file_certgen -s %s "
             "-M 4MB" % db]
    d = tlsd(bump_conf(t, bump_ca, extra))
    a = s_client(t, bump_ca, "allowed.test", f["srv"])
    b = s_client(t, bump_ca, "allowed.test", f["srv"])
    assert a.verify == 0 and a.leaf_sha256 == b.leaf_sha256, (a, b)
    problems = d.stop()
    assert not problems, problems
    assert any((db / "tproxyd").iterdir())
    tlsd(bump_conf(t, bump_ca, extra))
    c = s_client(t, bump_ca, "allowed.test", f["srv"])
    assert c.verify == 0 and c.leaf_sha256 == a.leaf_sha256, (a, c)
    assert hashlib.sha256(c.chain[0]).hexdigest() == a.leaf_sha256


def test_shipped_example_config_bumps_with_exemptions(tmp_path):
    """etc/tproxyd.conf's HTTPS block, uncommented with a CA of its own,
    loads (nobump.domains included) and needs nothing else."""
    top = Path(__file__).resolve().parents[2]
    conf = (top / "etc" / "tproxyd.conf").read_text()
    cert, key = make_bump_ca(tmp_path / "ca")
    block = []
    for ln in conf.splitlines():
        s = ln[2:] if ln.startswith("# ") else None
        if s is not None and s.split()[:1] and s.split()[0] in (
                "https_port", "ssl_bump", "sslcrtd_program") or \
                (s or "").startswith(("acl step1", "acl nobump")):
            block.append(s)
    assert len(block) == 7, block
    out = []
    for ln in conf.splitlines() + block:
        ln = ln.replace("/etc/tproxyd/ca/ca.pem", str(cert))
        ln = ln.replace("/etc/tproxyd/ca/ca.key", str(key))
        ln = ln.replace("/etc/tproxyd/nobump.domains",
                        str(top / "etc" / "nobump.domains"))
        ln = ln.replace("/var/lib/tproxyd/ssl_db", str(tmp_path / "db"))
        for d in ("/var/log/tproxyd", "/run/tproxyd"):
            ln = ln.replace(d, str(tmp_path))
        out.append(ln)
    f = tmp_path / "tproxyd.conf"
    f.write_text("\n".join(out) + "\n")
    p = subprocess.run([harness.require_tproxyd(), "-k", "parse", "-f",
                        str(f)], capture_output=True, text=True,
                       timeout=30)
    errors = [ln for ln in (p.stdout + p.stderr).splitlines()
              if "WARNING" not in ln]
    assert p.returncode == 0 and not errors, p.stdout + p.stderr
    # With a world-readable key it does not load.
    os.chmod(key, 0o644)
    p = subprocess.run([harness.require_tproxyd(), "-k", "parse", "-f",
                        str(f)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode != 0, p.stdout + p.stderr
    assert str(key) in p.stdout + p.stderr


def test_bump_logformat_codes(tls, tlsd, bump_ca):
    """The requests of a bumped connection carry its handshake's facts:
    the SNI, bump, what the client offered for ALPN (%ssl::>alpn) and the
    version of its session with tproxyd."""
    t = tls
    f = FAM[4]
    d = tlsd(bump_conf(t, bump_ca), start=False)
    log = d.dir / "tls.log"
    with open(d.conf, "a") as fh:
        fh.write("logformat tls %%rm %%ru %%ssl::>sni %%ssl::bump_mode "
                 "%%ssl::>alpn %%ssl::>negotiated_version\n"
                 "access_log %s tls\n" % log)
    d.start()
    r = curl(t, bump_ca, "allowed.test", f["srv"], "/peer",
             ["--tlsv1.3", "--http1.1"])
    assert r.rc == 0 and r.status == 200, r
    harness.poll(lambda: log.exists() and "GET" in log.read_text(), 5,
                 0.05)
    gets = [ln for ln in log.read_text().splitlines()
            if ln.startswith("GET ")]
    assert gets == ["GET https://allowed.test/peer allowed.test bump "
                    "http/1.1 TLS/1.3"], log.read_text()


CONCURRENT = r"""
import socket, ssl, sys, threading
addr, name, ca, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = ssl.create_default_context(cafile=ca)
start = threading.Barrier(n)
out = []

def one():
    s = socket.create_connection((addr, 443), timeout=10)
    start.wait()
    with ctx.wrap_socket(s, server_hostname=name) as t:
        out.append(t.getpeercert(binary_form=True))

th = [threading.Thread(target=one) for _ in range(n)]
[x.start() for x in th]
[x.join() for x in th]
print(len(out), len(set(out)))
"""


def test_bump_concurrent_first_visits_make_one_certificate(tls, tlsd,
                                                           bump_ca):
    """Eight clients reach a site at the same moment for the first time:
    one certificate is made, the others are taken from memory, and all
    eight see the same one."""
    t = tls
    f = FAM[4]
    tlsd(bump_conf(t, bump_ca))
    script = t.dir / "concurrent.py"
    script.write_text(CONCURRENT)
    p = t.topo.run(t.topo.cli, ["/usr/bin/python3", str(script), f["srv"],
                                "www.allowed.test", str(bump_ca[0]), "8"],
                   timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["8", "1"], p.stdout + p.stderr
    m = t.metrics()
    assert m['tproxyd_tls_certificates_total{source="generated"}'] == 1, m
    assert m['tproxyd_tls_certificates_total{source="memory"}'] == 7, m


def test_bump_denied_connect_gets_the_page_over_tls(tls, tlsd, bump_ca):
    """http_access denies the CONNECT of a connection the rules bump:
    the client is bumped all the same and gets the 403 page over TLS
    (Squid's way); the origin is never contacted."""
    t = tls
    f = FAM[4]
    d = tlsd(bump_conf(t, bump_ca, [
        "acl denied ssl::server_name www.allowed.test",
        "http_access deny CONNECT denied"]))
    before = t.intercept.syn_counts()[f["srv"]]
    r = curl(t, bump_ca, "www.allowed.test", f["srv"], "/peer")
    assert r.rc == 0 and r.verify == 0 and r.status == 403, r
    assert b"ERR_ACCESS_DENIED" in r.body, r
    assert t.intercept.syn_counts()[f["srv"]] == before
    harness.poll(lambda: entries(d, "CONNECT"), 5, 0.05)
    e = entries(d, "CONNECT")[0]
    assert (e["code"], e["status"]) == ("TCP_DENIED", 403), e["raw"]


def stare_conf(t, ca, step3=()):
    """Squid's other common bumping configuration: peek at the client,
    stare at the server, decide at step 3 with its certificate."""
    cert, key = ca
    return [
        "http_port %d tproxy" % HTTP_PORT,
        "https_port %d tproxy ssl-bump cert=%s key=%s "
        "generate-host-certificates=on" % (HTTPS_PORT, cert, key),
        "acl step1 at_step SslBump1",
        "acl step2 at_step SslBump2",
        "acl step3 at_step SslBump3",
        "ssl_bump peek step1",
        "ssl_bump stare step2",
    ] + list(step3) + [
        "tls_outgoing_options cafile=%s" % t.pki.ca,
        "http_access allow all"]


@pytest.mark.parametrize("step3", [["ssl_bump bump step3"], []],
                         ids=["bump-step3", "default-after-stare"])
def test_stare_then_bump_at_step3(tls, tlsd, bump_ca, step3):
    """ssl_bump stare step2 + bump step3 decrypts; with no step 3 rule,
    Squid's default after a stare is to bump too."""
    t = tls
    f = FAM[4]
    d = tlsd(stare_conf(t, bump_ca, step3))
    syns = t.intercept.syn_counts()[f["srv"]]
    r = curl(t, bump_ca, "allowed.test", f["srv"], "/peer")
    assert r.rc == 0 and r.status == 200 and r.verify == 0, r
    assert r.body.decode() == f["cli"], r
    # The connection tproxyd made to look at the certificate carries the
    # request: one connection to the origin.
    assert t.intercept.syn_counts()[f["srv"]] == syns + 1
    s = s_client(t, bump_ca, "allowed.test", f["srv"])
    assert s.verify == 0, s
    assert "tproxyd bump test CA" in \
        x509_text(s.chain[0]).split("issuer=")[1]
    harness.poll(lambda: entries(d, "GET"), 5, 0.05)
    assert [e["url"] for e in entries(d, "GET")] == [
        "https://allowed.test/peer"]


def test_stare_step3_rules_see_the_server_certificate(tls, tlsd, bump_ca):
    """Step 3 rules decide after the stare: terminate for one server,
    bump the rest; a splice rule at step 3 cannot apply after a stare
    (Squid bans it too) and is skipped."""
    t = tls
    f = FAM[4]
    d = tlsd(stare_conf(t, bump_ca, [
        "acl other_cert ssl::server_name other.test",
        "acl allowed_cert ssl::server_name allowed.test",
        "ssl_bump terminate step3 other_cert",
        "ssl_bump splice step3 allowed_cert",
        "ssl_bump bump step3"]))
    before = len(t.nginx.access_lines())
    r = curl(t, bump_ca, "other.test", f["srv"], "/peer")
    assert r.rc != 0 and r.status == 0, r
    r = curl(t, bump_ca, "allowed.test", f["srv"], "/peer")
    assert r.rc == 0 and r.status == 200 and r.verify == 0, r
    # Bumped, not spliced: the client saw tproxyd's certificate.
    s = s_client(t, bump_ca, "allowed.test", f["srv"])
    assert s.verify == 0 and \
        s.leaf_sha256 != t.pki.fingerprint("allowed.test"), s
    # The terminated connection never got to make a request.
    assert len(t.nginx.access_lines()) == before + 1
    harness.poll(lambda: entries(d, "GET"), 5, 0.05)
    assert [e["url"] for e in entries(d, "GET")] == [
        "https://allowed.test/peer"]
    m = t.metrics()
    assert m['tproxyd_tls_decisions_total{action="terminate"}'] >= 1, m


def old_mode_conf(t, ca, rule):
    """Squid 3's way: one ssl_bump rule deciding at step 1."""
    cert, key = ca
    return ["http_port %d tproxy" % HTTP_PORT,
            "https_port %d tproxy ssl-bump cert=%s key=%s "
            "generate-host-certificates=on" % (HTTPS_PORT, cert, key),
            rule,
            "tls_outgoing_options cafile=%s" % t.pki.ca,
            "http_access allow all"]


@pytest.mark.parametrize("rule, first", [
    ("ssl_bump server-first all", "server"),
    ("ssl_bump client-first all", "client"),
    ("ssl_bump allow all", "client")])
def test_squid3_bumping_modes(tls, tlsd, bump_ca, rule, first):
    """Squid 3's server-first (the server's certificate mimicked) and
    client-first (`ssl_bump allow` in 3.2): both decrypt, with the full
    URL logged; client-first answers the client's handshake before any
    connection to the server, with a certificate for the SNI alone, and
    connects to the server with the request."""
    t = tls
    f = FAM[4]
    d = tlsd(old_mode_conf(t, bump_ca, rule))
    syns = t.intercept.syn_counts()[f["srv"]]
    # The handshake alone (no request): only server-first goes to the
    # server for it.
    s = s_client(t, bump_ca, "allowed.test", f["srv"])
    assert s.verify == 0, s
    text = x509_text(s.chain[0])
    assert "tproxyd bump test CA" in text.split("issuer=")[1], text
    assert "DNS:allowed.test" in text, text
    harness.poll(lambda: len(entries(d, "CONNECT")) >= 1, 5, 0.05)
    after = t.intercept.syn_counts()[f["srv"]]
    assert after == syns + (1 if first == "server" else 0), (syns, after)
    r = curl(t, bump_ca, "allowed.test", f["srv"], "/peer")
    assert r.rc == 0 and r.status == 200 and r.verify == 0, r
    assert r.body.decode() == f["cli"], r   # spoofed
    harness.poll(lambda: entries(d, "GET"), 5, 0.05)
    assert [e["url"] for e in entries(d, "GET")] == [
        "https://allowed.test/peer"]


def test_client_first_untrusted_server_gets_the_error_page(tls, tlsd,
                                                           bump_ca):
    """client-first: the server's certificate is checked with each
    request; one that fails (tproxyd does not trust the origin's CA here)
    gets the 503 page over the client's TLS, never the origin's answer."""
    t = tls
    f = FAM[4]
    conf = [x for x in old_mode_conf(t, bump_ca, "ssl_bump client-first "
                                     "all") if "tls_outgoing" not in x]
    tlsd(conf)
    r = curl(t, bump_ca, "allowed.test", f["srv"], "/peer")
    assert r.rc == 0 and r.verify == 0 and r.status == 503, r
    assert b"ERR_SECURE_CONNECT_FAIL" in r.body, r


def test_bump_new_connections_reuse_the_idle_server_connection(tls, tlsd,
                                                              bump_ca):
    """A client's new bumped connection to a site takes the idle TLS
    connection to that site (same name, same spoofed source) instead of
    making another: one connection to the origin for three client
    connections, each shown the mimicked certificate."""
    t = tls
    f = FAM[4]
    d = tlsd(bump_conf(t, bump_ca))
    syns = t.intercept.syn_counts()[f["srv"]]
    for i in range(3):
        r = curl(t, bump_ca, "allowed.test", f["srv"], "/peer")
        assert r.rc == 0 and r.status == 200 and r.verify == 0, (i, r)
        assert r.body.decode() == f["cli"], r
    assert t.intercept.syn_counts()[f["srv"]] == syns + 1
    harness.poll(lambda: len(entries(d, "GET")) >= 3, 5, 0.05)
    assert len(entries(d, "CONNECT")) == 3


def test_bump_key_log_decrypts_a_capture(tls, tlsd, bump_ca, tmp_path):
    """tls_key_log: Wireshark's dissector, given the file, decrypts both
    legs of a bumped request captured on the router (client side r0,
    server side r1); without it, neither shows any HTTP."""
    t = tls
    f = FAM[4]
    keylog = tmp_path / "keys.log"
    tlsd(bump_conf(t, bump_ca, ["tls_key_log %s" % keylog]))
    pcap = tmp_path / "bump.pcap"
    p = t.topo.popen(t.topo.rtr, ["tshark", "-q", "-f", "tcp port 443",
                                  "-i", "r0", "-f", "tcp port 443", "-i",
                                  "r1", "-w", str(pcap)],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        seen, end = b"", time.monotonic() + 20
        while seen.count(b"Capturing on") == 0 and time.monotonic() < end:
            line = p.stderr.readline()
            if not line and p.poll() is not None:
                break
            seen += line
        assert b"Capturing on" in seen, seen
        time.sleep(1)   # dumpcap says it before both captures run
        r = curl(t, bump_ca, "allowed.test", f["srv"], "/peer")
        assert r.rc == 0 and r.status == 200 and r.verify == 0, r

        def requests(keys):
            argv = ["tshark", "-r", str(pcap), "-Y", "http.request", "-T",
                    "fields", "-e", "frame.interface_name", "-e",
                    "http.request.uri"]
            if keys:
                argv[3:3] = ["-o", "tls.keylog_file:%s" % keylog]
            q = subprocess.run(argv, capture_output=True, text=True,
                               timeout=30)
            return sorted(set(tuple(ln.split("\t"))
                              for ln in q.stdout.splitlines()))
        want = [("r0", "/peer"), ("r1", "/peer")]
        harness.poll(lambda: requests(True) == want, 15, 0.5)
        assert requests(True) == want
        assert requests(False) == []
        text = keylog.read_text()
        assert "CLIENT_HANDSHAKE_TRAFFIC_SECRET" in text or \
            "CLIENT_RANDOM" in text, text[:200]
    finally:
        p.terminate()
        p.wait(10)
