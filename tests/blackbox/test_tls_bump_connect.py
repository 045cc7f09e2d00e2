# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_tls_bump_connect.py - decrypting the CONNECT requests of a forward
port (http_port ... ssl-bump, issue 16) on the world of tls_env.py, with
no interception at all: the clients use the proxy (curl -x, openssl
s_client -proxy, a Python ssl client), tproxyd in the router listens on

    http_port 3128 ssl-bump cert=BUMP_CA key=BUMP_KEY
        generate-host-certificates=on
    tls_outgoing_options cafile=TEST_CA      (tproxyd trusts the origins)
    ssl_bump peek step1                      (step 1: the CONNECT itself)
    ssl_bump splice spliced                  (other.test: not decrypted)
    ssl_bump bump all

and the origins are tls_env's nginx (names from the router's stub DNS).
The client trusts the bumping CA (--cacert BUMP_CA). What each case
asserts:

  * bump: the response comes from the origin, which sees the router's
    own address (a forward port does not spoof); the request is logged
    with its full https:// URL (TCP_MISS/200 ... HIER_DIRECT), the
    CONNECT once, as Squid logs a bumped one (NONE_NONE/200); the
    certificate the client saw names the site and is issued by the
    bumping CA; one server connection serves the certificate and the
    request;
  * keep-alive: several requests on one CONNECT, one CONNECT line, one
    server connection;
  * a splice rule (ssl::server_name other.test): the client sees the
    origin's own certificate;
  * http_access deny on a decrypted URL: the 403 page over TLS;
  * http_access deny on the CONNECT itself: bumped all the same (Squid's
    way), the 403 page over TLS, the server never contacted, and its
    tunnel relays nothing else; where no rule bumps, a plain 403;
  * a client that leaves after the 200: its CONNECT is logged;
  * with a cache_peer parent and never_direct, the decrypted requests
    still go straight to the server: the parent receives nothing; a
    sibling is not asked (ICP) either;
  * the configuration (tproxyd -k parse): the TLS options load, a CA key
    others can read is refused, ssl-bump with intercept is refused.
  * terminate (ssl::server_name at step 1 is the CONNECT's host): the
    connection is closed and the server never contacted;
  * peek step1, stare step2, then terminate or bump at step 3 on the
    server's certificate;
  * a CONNECT to a service that does not speak TLS (the raw origins of
    tls_env): on_unsupported_protocol as on an https_port: closed by
    default, relayed as it is with "tunnel"; a server-talks-first
    service after request_timeout;
  * a Python ssl client (second client): two requests on one CONNECT, a
    request naming another server inside the tunnel is refused (409),
    and without SNI the server is asked for the CONNECT's host and the
    certificate names it.
"""

import json
import os
import subprocess

import pytest

import harness
from intercept_env import NsTproxyd
from netns import RTR_CLI4, RTR_SRV4
from test_tls_bump import make_bump_ca, x509_text
from tls_env import (BANNER, BANNER4, FAM, STATS_PORT, Intercept,  # noqa
                     RAW4, SClient, tls, tls_world)

PROXY_PORT = 3128
PROXY = "%s:%d" % (RTR_CLI4, PROXY_PORT)
PY = "/usr/bin/python3"


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces")


@pytest.fixture(scope="module")
def bump_ca(tls_world):
    return make_bump_ca(tls_world.dir / "bumpca-connect")


def conf(t, ca, extra=(), rules=None):
    cert, key = ca
    lines = [
        "http_port %d ssl-bump cert=%s key=%s "
        "generate-host-certificates=on" % (PROXY_PORT, cert, key),
        "tls_outgoing_options cafile=%s" % t.pki.ca,
        "stats_port 127.0.0.1:%d" % STATS_PORT,
        "acl step1 at_step SslBump1",
        "acl spliced ssl::server_name other.test",
    ]
    lines += list(extra)
    lines += rules if rules is not None else [
        "ssl_bump peek step1",
        "ssl_bump splice spliced",
        "ssl_bump bump all",
    ]
    return lines + ["http_access allow all"]


@pytest.fixture
def fwdd(tls, tmp_path):
    """Factory: fwdd(lines) -> a started NsTproxyd in the router, with no
    interception rules (the SYN counters only). Stopped at teardown; an
    unexpected exit or a crash fails the test."""
    made = []

    def make(lines):
        d = tmp_path / ("tproxyd%d" % len(made))
        t = NsTproxyd(tls.topo, tls.topo.rtr, d, lines, ports=(PROXY_PORT,))
        made.append(t)
        if tls.intercept is not None:
            tls.intercept.remove()
        tls.intercept = Intercept(tls.topo, t.conf, d / "ctl.state",
                                  https=None)
        t.start()
        return t
    yield make
    problems = []
    for t in made:
        problems += t.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def curl(t, ca, urls, args=(), max_time=10):
    """curl through the proxy in the client namespace, trusting the
    bumping CA; several URLs go over one connection when they can.
    Returns (CompletedProcess, [(verify, status, body)...])."""
    outs = []
    argv = ["curl", "-sS", "--max-time", str(max_time), "-x",
            "http://%s" % PROXY, "--cacert", str(ca[0])] + list(args)
    for i, u in enumerate(urls):
        body = t.dir / ("cc%d.body" % i)
        if body.exists():
            body.unlink()
        outs.append(body)
        if i:
            argv.append("--next")
            argv += ["-sS", "-x", "http://%s" % PROXY, "--cacert",
                     str(ca[0])] + list(args)
        argv += ["-o", str(body), "-w",
                 "%{ssl_verify_result} %{http_code}\\n", u]
    p = t.topo.run(t.topo.cli, argv, timeout=max_time + 10)
    res = []
    lines = p.stdout.splitlines()
    for i, body in enumerate(outs):
        w = lines[i].split() if i < len(lines) else []
        res.append((int(w[0]) if w else None, int(w[1]) if len(w) > 1
                    else None, body.read_bytes() if body.exists() else b""))
    return p, res


def s_client(t, cafile, name, servername=True):
    argv = ["openssl", "s_client", "-proxy", PROXY, "-connect",
            "%s:443" % name, "-CAfile", str(cafile), "-showcerts"]
    argv += ["-servername", name] if servername else ["-noservername"]
    return SClient(t.topo.run(t.topo.cli, argv, input="", timeout=15))


def entries(d, method=None):
    return [e for e in d.access_entries()
            if method is None or e["method"] == method]


def test_connect_bumped_full_url_and_mimicked_certificate(tls, fwdd,
                                                          bump_ca):
    t = tls
    srv = FAM[4]["srv"]
    d = fwdd(conf(t, bump_ca))
    syns = t.intercept.syn_counts()[srv]
    p, [(verify, status, body)] = curl(t, bump_ca,
                                       ["https://allowed.test/peer"])
    assert p.returncode == 0 and verify == 0 and status == 200, p.stderr
    # Not spoofed: the origin sees the router.
    assert body.decode() == RTR_SRV4, body
    # One server connection: the certificate's carries the request.
    assert t.intercept.syn_counts()[srv] == syns + 1
    s = s_client(t, bump_ca[0], "allowed.test")
    assert s.verify == 0, s
    assert s.leaf_sha256 != t.pki.fingerprint("allowed.test"), s
    text = x509_text(s.chain[0])
    assert "CN = allowed.test" in text or "CN=allowed.test" in text, text
    assert "DNS:allowed.test" in text, text
    assert "tproxyd bump test CA" in text.split("issuer=")[1], text
    harness.poll(lambda: len(entries(d, "CONNECT")) >= 2, 5, 0.05)
    gets = entries(d, "GET")
    assert [(e["code"], e["status"], e["url"], e["hier"]) for e in gets] \
        == [("TCP_MISS", 200, "https://allowed.test/peer", "HIER_DIRECT")], \
        [e["raw"] for e in gets]
    conns = entries(d, "CONNECT")
    assert all((e["code"], e["status"], e["url"]) ==
               ("NONE_NONE", 200, "allowed.test:443") for e in conns), \
        [e["raw"] for e in conns]
    ln = [x for x in t.nginx.access_lines() if '"GET /peer' in x]
    assert len(ln) == 1 and ln[0].split()[2] == "allowed.test", ln
    m = t.metrics()
    assert m['tproxyd_tls_decisions_total{action="bump"}'] == 2, m


def test_connect_keepalive_several_bumped_requests(tls, fwdd, bump_ca):
    t = tls
    srv = FAM[4]["srv"]
    d = fwdd(conf(t, bump_ca))
    syns = t.intercept.syn_counts()[srv]
    p, res = curl(t, bump_ca, ["https://allowed.test/peer",
                               "https://allowed.test/sni",
                               "https://allowed.test/1k"])
    assert p.returncode == 0, p.stderr
    assert [r[:2] for r in res] == [(0, 200)] * 3, (res, p.stderr)
    assert res[1][2].startswith(b"allowed.test TLSv1."), res[1]
    assert len(res[2][2]) == 1024
    harness.poll(lambda: len(entries(d, "GET")) >= 3 and
                 entries(d, "CONNECT"), 5, 0.05)
    assert len(entries(d, "CONNECT")) == 1, d.access_lines()
    assert [e["url"] for e in entries(d, "GET")] == [
        "https://allowed.test/peer", "https://allowed.test/sni",
        "https://allowed.test/1k"], d.access_lines()
    assert t.intercept.syn_counts()[srv] == syns + 1


def test_connect_splice_rule_shows_the_origin_certificate(tls, fwdd,
                                                          bump_ca):
    t = tls
    d = fwdd(conf(t, bump_ca))
    s = s_client(t, t.pki.ca, "other.test")
    assert s.verify == 0, s
    assert s.leaf_sha256 == t.pki.fingerprint("other.test"), s
    e = d.wait_access(lambda e: e["method"] == "CONNECT")
    assert (e["code"], e["status"], e["url"]) == (
        "TCP_TUNNEL", 200, "other.test:443"), e["raw"]
    assert not entries(d, "GET")
    m = t.metrics()
    assert m['tproxyd_tls_decisions_total{action="splice"}'] == 1, m


def test_connect_spliced_at_step1_logs_its_bump_mode(tls, fwdd, bump_ca,
                                                     tmp_path):
    """ssl_bump splice at step 1 (the CONNECT itself): %ssl::bump_mode
    says splice, as for a splice at a later step."""
    t = tls
    harness.share_with_daemon_user(tmp_path)
    bm = tmp_path / "bm.log"
    d = fwdd(conf(t, bump_ca, [
        "logformat bm %rm %ru %ssl::bump_mode",
        "access_log stdio:%s bm" % bm], rules=[
        "ssl_bump splice step1",
        "ssl_bump bump all"]))
    s = s_client(t, t.pki.ca, "other.test")
    assert s.verify == 0 and \
        s.leaf_sha256 == t.pki.fingerprint("other.test"), s
    assert harness.poll(lambda: bm.exists() and bm.read_text(), 5), \
        d.diagnostics()
    assert bm.read_text().split("\n")[0] == \
        "CONNECT other.test:443 splice", bm.read_text()


def test_connect_bumped_url_denied_page_over_tls(tls, fwdd, bump_ca):
    t = tls
    d = fwdd(conf(t, bump_ca, ["acl secret urlpath_regex ^/sni",
                               "http_access deny secret"]))
    p, [(verify, status, body)] = curl(t, bump_ca,
                                       ["https://allowed.test/sni"])
    assert p.returncode == 0 and verify == 0 and status == 403, p.stderr
    assert b"ERR_ACCESS_DENIED" in body, body
    assert not any("/sni" in ln for ln in t.nginx.access_lines())
    e = d.wait_access(lambda e: e["method"] == "GET")
    assert (e["code"], e["status"], e["url"]) == (
        "TCP_DENIED", 403, "https://allowed.test/sni"), e["raw"]


def test_connect_terminate(tls, fwdd, bump_ca):
    t = tls
    srv = FAM[4]["srv"]
    d = fwdd(conf(t, bump_ca, ["acl blocked ssl::server_name "
                               ".blocked.test"], rules=[
        "ssl_bump terminate blocked",
        "ssl_bump peek step1",
        "ssl_bump bump all"]))
    syns = t.intercept.syn_counts()[srv]
    p, [(verify, status, body)] = curl(t, bump_ca,
                                       ["https://blocked.test/peer"])
    assert p.returncode != 0 and body == b"", (p.returncode, p.stderr)
    e = d.wait_access(lambda e: e["method"] == "CONNECT")
    assert (e["code"], e["status"], e["url"]) == (
        "NONE_NONE", 0, "blocked.test:443"), e["raw"]
    assert t.intercept.syn_counts()[srv] == syns
    # Another site is bumped as usual.
    p, [(verify, status, body)] = curl(t, bump_ca,
                                       ["https://allowed.test/peer"])
    assert p.returncode == 0 and status == 200, p.stderr
    assert t.metrics()['tproxyd_tls_decisions_total{action="terminate"}'] \
        == 1


# A raw client: CONNECT, then bytes that are not TLS (or none), and
# whatever comes back until the proxy or the server closes.
RAW_CONNECT = r"""
import json, socket, sys, time
proxy, port, target, send, wait = (sys.argv[1], int(sys.argv[2]),
                                   sys.argv[3], sys.argv[4].encode(),
                                   float(sys.argv[5]))
s = socket.create_connection((proxy, port), timeout=10)
s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (
    target.encode(), target.encode()))
head = b""
while b"\r\n\r\n" not in head:
    b = s.recv(4096)
    if not b:
        break
    head += b
head, _, rest = head.partition(b"\r\n\r\n")
if send:
    s.sendall(send)
got, t0 = rest, time.monotonic()
s.settimeout(wait)
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
        if send and len(got) >= len(send) or b"\n" in got and not send:
            break
except OSError as e:
    got += b"<%s>" % type(e).__name__.encode()
print(json.dumps({"head": head.decode(errors="replace").split("\r\n")[0],
                  "got": got.decode(errors="replace")}))
"""


def raw_connect(t, target, send, wait=5.0):
    script = t.dir / "raw_connect.py"
    script.write_text(RAW_CONNECT)
    p = t.topo.run(t.topo.cli, [PY, str(script), RTR_CLI4, str(PROXY_PORT),
                                target, send, str(wait)],
                   timeout=wait + 20)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("action", ["respond", "tunnel"])
def test_connect_not_tls_on_unsupported_protocol(tls, fwdd, bump_ca,
                                                 action):
    t = tls
    extra = ["on_unsupported_protocol %s all" % action]
    d = fwdd(conf(t, bump_ca, extra))
    r = raw_connect(t, "%s:80" % RAW4, "PLAIN TEXT, NOT TLS\n")
    assert r["head"] == "HTTP/1.1 200 Connection established", r
    e = d.wait_access(lambda e: e["method"] == "CONNECT")
    m = t.metrics()
    assert m['tproxyd_tls_unsupported_total{action="%s"}' % action] == 1, m
    if action == "respond":
        # As on an https_port: the client, which expects TLS, is closed.
        assert r["got"] == "", r
        assert (e["code"], e["status"]) == ("NONE_NONE", 0), e["raw"]
        assert not t.raw.records()
        return
    # Relayed as it is to the CONNECT's server, which echoes it.
    assert r["got"] == "PLAIN TEXT, NOT TLS\n", r
    assert (e["code"], e["status"], e["url"]) == (
        "TCP_TUNNEL", 200, "%s:80" % RAW4), e["raw"]
    recs = t.raw.wait_records(1)
    assert bytes.fromhex(recs[0]["received"]) == b"PLAIN TEXT, NOT TLS\n", \
        recs


def test_connect_server_talks_first_tunnelled_after_timeout(tls, fwdd,
                                                            bump_ca):
    t = tls
    d = fwdd(conf(t, bump_ca, [
        "request_timeout 1 seconds",
        "acl talks_first squid_error ERR_REQUEST_START_TIMEOUT",
        "on_unsupported_protocol tunnel talks_first"]))
    r = raw_connect(t, "%s:80" % BANNER4, "", wait=8.0)
    assert r["head"] == "HTTP/1.1 200 Connection established", r
    assert r["got"] == BANNER.decode(), r
    e = d.wait_access(lambda e: e["method"] == "CONNECT", timeout=10)
    assert e["url"] == "%s:80" % BANNER4, e["raw"]
    m = t.metrics()
    assert m['tproxyd_tls_unsupported_total{action="tunnel"}'] == 1, m


# The second client: Python's ssl module through the proxy.
PY_CLIENT = r"""
import json, socket, ssl, sys
proxy, port, target, cafile = (sys.argv[1], int(sys.argv[2]),
                               sys.argv[3], sys.argv[4])
sni = sys.argv[5] if sys.argv[5] != "-" else None
hosts = sys.argv[6:]
s = socket.create_connection((proxy, port), timeout=10)
s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (
    target.encode(), target.encode()))
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1)
ctx = ssl.create_default_context(cafile=cafile)
if sni is None:
    ctx.check_hostname = False
t = ctx.wrap_socket(s, server_hostname=sni)
cert = t.getpeercert()
out = {"connect": head.split(b"\r\n")[0].decode(),
       "subject": dict(x[0] for x in cert["subject"]),
       "issuer": dict(x[0] for x in cert["issuer"]), "answers": []}
f = t.makefile("rb")
out["san"] = [v for k, v in cert.get("subjectAltName", ()) if k == "DNS"]
for h in hosts:
    h, _, path = h.partition("/")
    t.sendall(b"GET /%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (
        (path or "peer").encode(), h.encode()))
    status = f.readline().split()[1].decode()
    n, close = 0, False
    while True:
        ln = f.readline().strip().lower()
        if not ln:
            break
        if ln.startswith(b"content-length:"):
            n = int(ln.split(b":")[1])
        if ln == b"connection: close":
            close = True
    out["answers"].append([status, f.read(n).decode(errors="replace")])
    if close:
        break
print(json.dumps(out))
"""


def py_client(t, ca, target, sni, hosts):
    script = t.dir / "py_client.py"
    script.write_text(PY_CLIENT)
    p = t.topo.run(t.topo.cli, [PY, str(script), RTR_CLI4, str(PROXY_PORT),
                                target, str(ca[0]), sni or "-"] + hosts,
                   timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_connect_python_client_keepalive_and_another_host(tls, fwdd,
                                                          bump_ca):
    t = tls
    d = fwdd(conf(t, bump_ca))
    r = py_client(t, bump_ca, "allowed.test:443", "allowed.test",
                  ["allowed.test", "allowed.test:443", "other.test"])
    assert r["connect"] == "HTTP/1.1 200 Connection established", r
    assert r["subject"]["commonName"] == "allowed.test", r
    assert r["issuer"]["commonName"] == "tproxyd bump test CA", r
    assert r["answers"][:2] == [["200", RTR_SRV4], ["200", RTR_SRV4]], r
    # Inside a tunnel to allowed.test, a request for other.test is not
    # sent there under another name.
    assert r["answers"][2][0] == "409", r
    harness.poll(lambda: len(entries(d, "GET")) >= 3, 5, 0.05)
    gets = entries(d, "GET")
    assert [(e["status"], e["url"]) for e in gets] == [
        (200, "https://allowed.test/peer"),
        (200, "https://allowed.test:443/peer"),
        (409, "https://other.test/peer")], [e["raw"] for e in gets]
    assert sum('"GET /peer' in ln for ln in t.nginx.access_lines()) == 2


def test_connect_without_sni_certificate_names_the_connect_host(tls, fwdd,
                                                               bump_ca):
    t = tls
    fwdd(conf(t, bump_ca))
    r = py_client(t, bump_ca, "www.allowed.test:443", None,
                  ["www.allowed.test/sni"])
    # tproxyd asked the server for the CONNECT's name, and the client
    # got a certificate for it (the server's names, mimicked).
    assert r["answers"][0][0] == "200", r
    assert r["answers"][0][1].startswith("www.allowed.test TLSv1."), r
    assert "www.allowed.test" in r["san"], r
    assert r["issuer"]["commonName"] == "tproxyd bump test CA", r


def test_connect_client_gone_after_200_is_logged(tls, fwdd, bump_ca):
    """A client that leaves after the 200, before any TLS, leaves its
    CONNECT in access.log; the server is never contacted."""
    t = tls
    srv = FAM[4]["srv"]
    d = fwdd(conf(t, bump_ca))
    syns = t.intercept.syn_counts()[srv]
    r = raw_connect(t, "allowed.test:443", "", wait=0.2)
    assert r["head"] == "HTTP/1.1 200 Connection established", r
    e = d.wait_access(lambda e: e["method"] == "CONNECT")
    assert e["code"].startswith("NONE_NONE") and e["status"] == 0, e["raw"]
    assert e["url"] == "allowed.test:443", e["raw"]
    assert t.intercept.syn_counts()[srv] == syns


def test_connect_denied_gets_the_page_over_tls(tls, fwdd, bump_ca):
    """http_access denies the CONNECT on a port that bumps: as Squid
    does, the client is bumped all the same (a certificate for the
    CONNECT's host) and gets the 403 page over TLS; the server is never
    contacted. Its tunnel cannot be used for anything else: bytes that
    are not TLS (on_unsupported_protocol tunnel all) are not relayed."""
    t = tls
    srv = FAM[4]["srv"]
    d = fwdd(conf(t, bump_ca, [
        "acl denied dstdomain www.allowed.test",
        "http_access deny CONNECT denied",
        "on_unsupported_protocol tunnel all"]))
    syns = t.intercept.syn_counts()[srv]
    p, [(verify, status, body)] = curl(t, bump_ca,
                                       ["https://www.allowed.test/peer"])
    assert p.returncode == 0 and verify == 0 and status == 403, p.stderr
    assert b"ERR_ACCESS_DENIED" in body, body
    e = d.wait_access(lambda e: e["method"] == "CONNECT")
    assert (e["code"], e["status"], e["url"]) == (
        "TCP_DENIED", 403, "www.allowed.test:443"), e["raw"]
    r = raw_connect(t, "www.allowed.test:443", "PLAIN TEXT, NOT TLS\n",
                    wait=2.0)
    assert r["head"] == "HTTP/1.1 200 Connection established", r
    assert "PLAIN TEXT" not in r["got"], r
    assert t.intercept.syn_counts()[srv] == syns
    assert not any('"GET /peer' in ln for ln in t.nginx.access_lines())
    # A site that is not denied goes on.
    p, [(verify, status, body)] = curl(t, bump_ca,
                                       ["https://allowed.test/peer"])
    assert p.returncode == 0 and status == 200, p.stderr


def test_connect_denied_deny_info_redirect_over_tls(tls, fwdd, bump_ca):
    """A deny_info redirect of the acl that denied the CONNECT: the
    bumped client gets the 302 over TLS with its Location (%H: the
    CONNECT's host), as Squid sends it."""
    t = tls
    d = fwdd(conf(t, bump_ca, [
        "acl denied dstdomain www.allowed.test",
        "deny_info 302:http://portal.example/blocked?h=%H denied",
        "http_access deny CONNECT denied"]))
    p, [(verify, status, body)] = curl(
        t, bump_ca, ["https://www.allowed.test/peer"],
        args=["-D", str(t.dir / "hdr")])
    assert p.returncode == 0 and verify == 0 and status == 302, p.stderr
    head = (t.dir / "hdr").read_text()
    assert "\nLocation: http://portal.example/blocked?h=www.allowed.test" \
        in head.replace("\r", ""), head
    e = d.wait_access(lambda e: e["method"] == "CONNECT")
    assert (e["code"], e["status"]) == ("TCP_DENIED", 302), e["raw"]


def test_connect_denied_without_bumping_is_a_plain_403(tls, fwdd, bump_ca):
    """Where no rule bumps, a denied CONNECT is answered 403 as on any
    forward port."""
    t = tls
    d = fwdd(conf(t, bump_ca, ["acl denied dstdomain www.allowed.test",
                               "http_access deny CONNECT denied"],
                  rules=["ssl_bump peek step1", "ssl_bump splice all"]))
    r = raw_connect(t, "www.allowed.test:443", "", wait=1.0)
    assert r["head"] == "HTTP/1.1 403 Forbidden", r
    e = d.wait_access(lambda e: e["method"] == "CONNECT")
    assert (e["code"], e["status"]) == ("TCP_DENIED", 403), e["raw"]


# A peer that records whatever reaches it on a TCP port (and, with a
# third argument, on a UDP port: ICP queries), and answers nothing.
RECORDER = r"""
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
out = open(sys.argv[2], "ab", buffering=0)

def udp(port):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", port))
    while True:
        out.write(u.recvfrom(65536)[0])

if len(sys.argv) > 3:
    threading.Thread(target=udp, args=(int(sys.argv[3]),),
                     daemon=True).start()

def one(c):
    c.settimeout(5)
    try:
        while True:
            b = c.recv(4096)
            if not b:
                break
            out.write(b)
    except OSError:
        pass
    c.close()

while True:
    c, _ = s.accept()
    threading.Thread(target=one, args=(c,), daemon=True).start()
"""


@pytest.mark.parametrize("kind", ["parent", "sibling"])
def test_connect_bumped_requests_never_go_to_a_peer(tls, fwdd, bump_ca,
                                                    kind):
    """With a cache_peer parent and never_direct, the decrypted requests
    still go straight to the CONNECT's server (as CONNECT requests do);
    a sibling is not even asked (ICP) for them: a peer would get them in
    the clear."""
    t = tls
    script = t.dir / "recorder.py"
    script.write_text(RECORDER)
    rec = t.dir / "peer.bytes"
    rec.write_bytes(b"")
    p = t.topo.popen(t.topo.rtr, [PY, str(script), "3999", str(rec),
                                  "3998"])
    peer = ["cache_peer 127.0.0.1 parent 3999 0 no-query no-digest",
            "never_direct allow all"] if kind == "parent" else [
            "cache_peer 127.0.0.1 sibling 3999 3998",
            "icp_query_timeout 500", "cache_mem 8 MB"]
    try:
        t.topo.wait_listen(t.topo.rtr, 3999, proc=p)
        d = fwdd(conf(t, bump_ca, peer))
        p_, [(verify, status, body)] = curl(t, bump_ca,
                                            ["https://allowed.test/peer"])
        assert p_.returncode == 0 and status == 200, p_.stderr
        assert body.decode() == RTR_SRV4, body
        e = d.wait_access(lambda e: e["method"] == "GET")
        assert e["hier"] == "HIER_DIRECT", e["raw"]
        assert rec.read_bytes() == b"", rec.read_bytes()[:200]
    finally:
        p.terminate()
        p.wait(5)


def parse(conf_text, tmp_path):
    f = tmp_path / "tproxyd.conf"
    f.write_text(conf_text)
    p = subprocess.run([harness.require_tproxyd(), "-k", "parse", "-f",
                        str(f)], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def test_connect_port_configuration(tmp_path):
    """http_port ... ssl-bump with the https_port's TLS options loads;
    its CA key must not be readable by others; with tproxy or intercept
    it is refused with the line and the reason."""
    cert, key = make_bump_ca(tmp_path / "ca")
    good = ("http_port 127.0.0.1:3128 ssl-bump cert=%s key=%s "
            "generate-host-certificates=on dynamic_cert_mem_cache_size=8MB "
            "options=NO_TLSv1_1 cipher=HIGH\n"
            "acl step1 at_step SslBump1\nssl_bump peek step1\n"
            "ssl_bump bump all\nhttp_access allow all\n"
            "pid_filename %s/t.pid\ncache_log %s/cache.log\n"
            "access_log none\n" % (cert, key, tmp_path, tmp_path))
    rc, out = parse(good, tmp_path)
    assert rc == 0, out
    os.chmod(key, 0o644)
    rc, out = parse(good, tmp_path)
    assert rc != 0 and "tproxyd.conf:1: http_port: " in out, out
    assert str(key) in out, out
    os.chmod(key, 0o600)
    rc, out = parse(good.replace("127.0.0.1:3128 ssl-bump",
                                 "127.0.0.1:3128 intercept ssl-bump"),
                    tmp_path)
    assert rc != 0, out
    assert "tproxyd.conf:1: http_port: 'ssl-bump' cannot be used with " \
        "'intercept'" in out, out


def test_connect_stare_then_bump_or_terminate_at_step3(tls, fwdd, bump_ca):
    """Squid's other usual form through CONNECT: peek at step 1 (the
    CONNECT), stare at step 2, and at step 3 the rules see the server's
    certificate: terminate other.test's, bump the rest."""
    t = tls
    d = fwdd(conf(t, bump_ca, [
        "acl step2 at_step SslBump2",
        "acl step3 at_step SslBump3",
        "acl other_cert ssl::server_name other.test"], rules=[
        "ssl_bump peek step1",
        "ssl_bump stare step2",
        "ssl_bump terminate step3 other_cert",
        "ssl_bump bump step3"]))
    p, [(verify, status, body)] = curl(t, bump_ca,
                                       ["https://allowed.test/peer"])
    assert p.returncode == 0 and verify == 0 and status == 200, p.stderr
    assert body.decode() == RTR_SRV4, body
    p, [(verify, status, body)] = curl(t, bump_ca,
                                       ["https://other.test/peer"])
    assert p.returncode != 0 and status in (0, None), p.stderr
    harness.poll(lambda: len(entries(d, "CONNECT")) >= 2, 5, 0.05)
    assert [e["url"] for e in entries(d, "GET")] == [
        "https://allowed.test/peer"], d.access_lines()
    conns = {e["url"]: (e["code"], e["status"])
             for e in entries(d, "CONNECT")}
    assert conns == {"allowed.test:443": ("NONE_NONE", 200),
                     "other.test:443": ("NONE_NONE", 0)}, conns


def test_reused_server_connection_checked_again_for_each_client(tls, fwdd,
                                                                bump_ca):
    """A forward port does not spoof, so one idle TLS connection to a site
    can serve the next client's bumped CONNECT. Whether its certificate's
    errors are acceptable may depend on who asks (sslproxy_cert_error with
    acls): the port that allows them gets the page, the other, taking the
    same idle connection, is shown an untrusted certificate and the 503
    page."""
    t = tls
    srv = FAM[4]["srv"]
    cert, key = bump_ca
    lines = [
        "http_port %d ssl-bump cert=%s key=%s generate-host-certificates=on"
        " name=lenient" % (PROXY_PORT, cert, key),
        "http_port %d ssl-bump cert=%s key=%s generate-host-certificates=on"
        " name=strict" % (PROXY_PORT + 1, cert, key),
        "stats_port 127.0.0.1:%d" % STATS_PORT,
        # no tls_outgoing_options cafile=: the test origins' CA is not in
        # the system's trust store
        "acl lenient myportname lenient",
        "sslproxy_cert_error allow lenient",
        "ssl_bump bump all",
        "http_access allow all"]
    fwdd(lines)
    syns = t.intercept.syn_counts()[srv]
    p, [(verify, status, body)] = curl(t, bump_ca,
                                       ["https://allowed.test/peer"])
    assert p.returncode == 0 and verify == 0 and status == 200, p.stderr
    strict = "http://%s:%d" % (RTR_CLI4, PROXY_PORT + 1)
    q = t.topo.run(t.topo.cli, [
        "curl", "-sS", "-k", "--max-time", "10", "-x", strict, "-w",
        "\n%{ssl_verify_result} %{http_code}",
        "https://allowed.test/peer"], timeout=20)
    w = q.stdout.splitlines()[-1].split()
    assert q.returncode == 0 and w[1] == "503" and w[0] != "0", q
    assert "ERR_SECURE_CONNECT_FAIL" in q.stdout, q.stdout
    # The strict client was served on the idle connection: one in all.
    assert t.intercept.syn_counts()[srv] == syns + 1
