# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_tls_intercept.py - HTTPS interception by SNI (issue 13), seen from
the client, the proxy's logs and the origin, on the world of tls_env.py:

    client ns                 router ns                        server ns
    curl / openssl s_client   TPROXY 443 -> 3130, 80 -> 3129   nginx :443
    tls_client.py  ------->   tproxyd https_port 3130          (allowed.test,
    198.18.1.2                  tproxy ssl-bump                 blocked.test,
    2001:db8:1::2             stub DNS (the SNI check)          other.test)
                                                               raw origin

The configuration under test is Squid's (tls_env.TLS_BASE):

    https_port 3130 tproxy ssl-bump
    http_port 3129 tproxy
    acl step1 at_step SslBump1
    acl blocked ssl::server_name .blocked.test
    ssl_bump peek step1
    ssl_bump terminate blocked
    ssl_bump splice all

What each case asserts, as Squid behaves (squid.conf.documented:
ssl_bump, ssl::server_name, on_unsupported_protocol, host_verify_strict):

  * splice: the TLS session is the client's with the origin (the origin's
    own certificate, verified with the test CA; openssl s_client shows
    the origin's leaf), the origin sees the client's address, 4 MiB arrive
    byte-exact; access.log has ONE line per connection:
        TCP_TUNNEL/200 BYTES CONNECT allowed.test:443 - ORIGINAL_DST/SRV -
    (SNI in the URL field; ORIGINAL_DST as for intercepted HTTP; BYTES are
    the bytes sent to the client, as for CONNECT tunnels);
  * terminate: the client gets no byte (no TLS at all), the origin is
    never contacted (no SYN leaves the router for it), and the line is
        NONE_NONE/000 0 CONNECT blocked.test:443 - HIER_NONE/- -
    (the SNI in the URL field even for terminated connections: the issue
    asks for it, where Squid logs only the address);
  * peek at the server (step 2) and decide on its certificate
    (ssl::server_name --server-provided): with TLS 1.2 the certificate is
    in the clear and decides, whatever the SNI said. With TLS 1.3 the
    certificate is encrypted: the server-provided names are "none", so a
    rule on them never matches and "terminate all" applies;
  * forged SNI (allowed.test sent to an address it does not resolve to):
    "SECURITY ALERT" in cache.log naming the SNI, still spliced; with
    host_verify_strict the connection is closed and the origin is never
    contacted;
  * ClientHellos cut into TCP segments and into several TLS records are
    reassembled to find the SNI (a blocked name is still terminated) and
    reach the origin byte for byte (the recording origin compares);
  * non-TLS bytes on 443: closed without an answer by default
    (on_unsupported_protocol respond), relayed as they are to the original
    destination with `on_unsupported_protocol tunnel all`;
  * a silent client (or one that stops half-way through its hello) is
    closed after request_timeout, logged as a closed CONNECT to the
    original destination that lasted that long; a server-talks-first
    protocol is tunnelled after it with `on_unsupported_protocol tunnel`
    on `squid_error ERR_REQUEST_START_TIMEOUT` (Squid's documented
    example);
  * an ECH outer hello is spliced on its outer SNI and logged as such
    (%ssl::>ech prints "outer");
  * %ssl::>sni %ssl::bump_mode %ssl::>negotiated_version in a logformat;
  * per-decision counters on /metrics; descriptors back to their number
    once every connection is gone; IPv6 wherever a family applies.

Run with: /usr/bin/python3 -m pytest -q tests/blackbox/test_tls_intercept.py
(as root; tests/blackbox/test_tls_env.py checks the same world without the
proxy). TPROXYD_TLS_RULES=tproxyctl makes the router's rules come from
`tproxyctl setup -f tproxyd.conf` (+ TPROXYD_TLS_CTL_ARGS) instead of the
nft ruleset of tls_env.py.
"""

import subprocess

import pytest

import harness
import tls_craft
from tls_env import (BANNER, BANNER4, BIG, FAM, HTTPS_PORT,  # noqa: F401
                     TLS_BASE, nfds, now, tls, tls_world, tlsd, urlhost,
                     wait_fds)


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces, TPROXY rules")


ALERT = "SECURITY ALERT"
KiB = 1024
SSH_BANNER = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
HTTP_GET = b"GET / HTTP/1.1\r\nHost: raw.test\r\nUser-Agent: t\r\n\r\n"

# The counters on /metrics (src/stats/stats.c).
DECISIONS = 'tproxyd_tls_decisions_total{action="%s"}'
UNSUPPORTED = 'tproxyd_tls_unsupported_total{action="%s"}'
HELLOS = 'tproxyd_tls_hellos_total{kind="%s"}'
SERVER_PEEKS = "tproxyd_tls_server_peeks_total"
SNI_FORGERIES = "tproxyd_tls_sni_forgeries_total"

# The logformat code that says "this hello was an ECH outer hello", and
# what it prints then ("-" otherwise): src/config/logfmt_parse.c and
# src/proxy/txn_log.c (not in doc/tproxyd.conf.5 yet).
ECH_CODE = "%ssl::>ech"
ECH_TEXT = "outer"

# Peek at the server at step 2, decide on its certificate at step 3
# (peek is impossible at step 3, so that rule is skipped there).
PEEK_SERVER = [
    "http_port 3129 tproxy",
    "https_port %d tproxy ssl-bump" % HTTPS_PORT,
    "http_access allow all",
    "acl srvname ssl::server_name --server-provided .allowed.test",
    "ssl_bump peek all",
    "ssl_bump splice srvname",
    "ssl_bump terminate all",
]

# How long a client may take to send its whole hello: tproxyd's
# request_timeout (Squid's request_start_timeout, the wait for the first
# byte, is not implemented by tproxyd: it warns and ignores it).
TIMEOUTS = ["request_timeout 2 seconds"]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def authority(name_or_addr):
    return "%s:443" % urlhost(name_or_addr)


def connect_lines(d, url=None):
    """Parsed access.log lines of intercepted TLS connections (CONNECT),
    of one URL if given."""
    return [e for e in d.access_entries() if e["method"] == "CONNECT" and
            (url is None or e["url"] == url)]


def stopped_lines(d, n):
    """Wait for n CONNECT lines (a connection is logged when it ends,
    which the proxy may see a moment after the client), then stop the
    daemon (its logs are complete then, and any extra line shows), check
    that it ended well, and return every CONNECT line."""
    harness.poll(lambda: len(connect_lines(d)) >= n, 5, 0.05)
    problems = d.stop()
    assert not problems, "\n".join(problems)
    return connect_lines(d)


def assert_spliced_line(e, name, srv, cli):
    assert (e["code"], e["status"]) == ("TCP_TUNNEL", 200), e["raw"]
    assert (e["method"], e["url"]) == ("CONNECT", authority(name)), e["raw"]
    assert (e["hier"], e["peer"]) == ("ORIGINAL_DST", srv), e["raw"]
    assert (e["client"], e["user"], e["type"]) == (cli, "-", "-"), e["raw"]


def assert_terminated_line(e, name, cli, contacted=False):
    """NONE_NONE/000 0 CONNECT NAME:443 - HIER_NONE/- -; when the server
    was peeked at (contacted) the hierarchy may name it."""
    assert (e["code"], e["status"], e["bytes"]) == ("NONE_NONE", 0, 0), \
        e["raw"]
    assert (e["method"], e["url"]) == ("CONNECT", authority(name)), e["raw"]
    assert (e["client"], e["user"], e["type"]) == (cli, "-", "-"), e["raw"]
    if not contacted:
        assert (e["hier"], e["peer"]) == ("HIER_NONE", "-"), e["raw"]


def stopped_client_lines(d, cli, n=1):
    """Like stopped_lines(), for every line of client cli whatever its
    method (a connection that never showed TLS)."""
    def mine():
        return [e for e in d.access_entries() if e["client"] == cli]
    harness.poll(lambda: len(mine()) >= n, 5, 0.05)
    problems = d.stop()
    assert not problems, "\n".join(problems)
    return mine()


def assert_no_tls(r):
    """A tls_client.py raw result: the proxy closed without sending a
    byte."""
    assert r.get("end") in ("eof", "reset"), r
    assert r["received"] == "", (
        "the client got %d bytes, expected none (no TLS at all): %r" % (
            len(r["received"]) // 2, bytes.fromhex(r["received"])[:64]))


def nginx_requests(t, cli):
    """nginx access.log lines of requests from cli."""
    return [ln for ln in t.nginx.access_lines() if ln.startswith(cli + " ")]


def send_raw(t, addr, data, port=443, **kw):
    spec = {"mode": "raw", "connect": [addr, port], "data": data.hex()}
    spec.update(kw)
    return t.tls_client(spec)


# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("lines", [TLS_BASE, PEEK_SERVER],
                         ids=["peek_sni", "peek_server"])
def test_configurations_load(tmp_path, lines):
    """Both configurations of this file pass `tproxyd -k parse`."""
    conf = tmp_path / "tproxyd.conf"
    conf.write_text("\n".join(lines + ["access_log none",
                                       "cache_log /dev/null"]) + "\n")
    p = subprocess.run([harness.require_tproxyd(), "-k", "parse", "-f",
                        str(conf)], capture_output=True, text=True,
                       timeout=15)
    assert p.returncode == 0, p.stdout + p.stderr


# ---------------------------------------------------------------------------
# splice and terminate by SNI
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_splice_by_sni(tls, tlsd, family):
    f = FAM[family]
    t = tls
    d = tlsd()
    # The origin answers with the client's own address: spoofed.
    r = t.curl("allowed.test", f["srv"], "/peer")
    assert r.rc == 0 and r.status == 200, r
    assert r.verify == 0, "the certificate did not verify with the " \
        "origin's CA: %r" % r
    assert r.body.decode() == f["cli"], (
        "origin saw %r, expected the client's own address" % r.body)
    # The certificate is the origin's: the session is end to end.
    s = t.s_client("allowed.test", f["srv"])
    assert s.verify == 0, s
    assert s.leaf_sha256 == t.pki.fingerprint("allowed.test"), s
    # 4 MiB byte-exact through the splice.
    r = t.curl("allowed.test", f["srv"], "/big")
    assert r.rc == 0 and r.status == 200, r
    assert len(r.body) == BIG and r.sha256 == t.nginx.big_sha256, r
    reqs = nginx_requests(t, f["cli"])
    assert len(reqs) == 2 and all(" allowed.test TLSv1.3 " in ln
                                  for ln in reqs), reqs
    assert t.intercept.syn_counts()[f["srv"]] >= 3
    assert ALERT not in d.cache_text(), d.cache_text()[-2000:]
    # One line per connection, in order: /peer, s_client, /big.
    lines = stopped_lines(d, 3)
    assert len(lines) == 3, [e["raw"] for e in lines]
    for e in lines:
        assert_spliced_line(e, "allowed.test", f["srv"], f["cli"])
    assert 0 < lines[0]["bytes"] < 16 * KiB, lines[0]["raw"]
    assert BIG < lines[2]["bytes"] < BIG + 64 * KiB, lines[2]["raw"]


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_terminate_by_sni(tls, tlsd, family):
    f = FAM[family]
    t = tls
    d = tlsd()
    r = t.curl("blocked.test", f["srv"], "/peer")
    assert r.rc != 0 and not r.body, r
    s = t.s_client("blocked.test", f["srv"])
    assert s.rc != 0 and s.chain == [], s
    r = send_raw(t, f["srv"], tls_craft.client_hello("blocked.test"))
    assert_no_tls(r)
    # A name under the blocked domain.
    r = t.curl("www.blocked.test", f["srv"], "/peer", ["-k"])
    assert r.rc != 0, r
    assert t.intercept.syn_counts()[f["srv"]] == 0, \
        "the origin was contacted for a terminated connection"
    # The allowed name right after.
    r = t.curl("allowed.test", f["srv"], "/peer")
    assert r.rc == 0 and r.body.decode() == f["cli"], r
    assert nginx_requests(t, f["cli"]) != [] and not any(
        "blocked.test" in ln for ln in t.nginx.access_lines())
    lines = stopped_lines(d, 5)
    assert [e["url"] for e in lines] == [authority("blocked.test")] * 3 + [
        authority("www.blocked.test"), authority("allowed.test")], \
        [e["raw"] for e in lines]
    for e in lines[:3]:
        assert_terminated_line(e, "blocked.test", f["cli"])
    assert_terminated_line(lines[3], "www.blocked.test", f["cli"])
    assert_spliced_line(lines[4], "allowed.test", f["srv"], f["cli"])


def test_http_access_on_the_connect(tls, tlsd):
    """http_access sees the CONNECT the connection becomes after the
    hello (target: the SNI, as in Squid's fake CONNECT): a dstdomain
    denial closes it (an error page would need decrypting), logged
    TCP_DENIED/403 with the name, and the origin is never contacted."""
    f = FAM[4]
    t = tls
    lines = [ln for ln in TLS_BASE if not ln.startswith("http_access")]
    d = tlsd(lines + ["acl denied dstdomain other.test",
                      "http_access deny CONNECT denied",
                      "http_access allow all"])
    r = t.curl("other.test", f["srv"], "/peer")
    assert r.rc != 0 and not r.body, r
    assert t.intercept.syn_counts()[f["srv"]] == 0
    r = t.curl("allowed.test", f["srv"], "/peer")
    assert r.rc == 0 and r.body.decode() == f["cli"], r
    got = stopped_lines(d, 2)
    e = got[0]
    assert (e["code"], e["status"], e["bytes"], e["url"]) == (
        "TCP_DENIED", 403, 0, authority("other.test")), e["raw"]
    assert_spliced_line(got[1], "allowed.test", f["srv"], f["cli"])


def test_http_port_alongside(tls, tlsd):
    """Port 80 is still intercepted by the same daemon."""
    d = tlsd()
    p = tls.topo.run(tls.topo.cli, ["curl", "-sS", "--noproxy", "*",
                                    "--max-time", "10",
                                    "http://%s/peer" % FAM[4]["srv"]],
                     timeout=20)
    assert p.returncode == 0 and p.stdout == FAM[4]["cli"], p
    e = d.wait_access(lambda e: e["method"] == "GET")
    assert (e["status"], e["hier"]) == (200, "ORIGINAL_DST"), e["raw"]


# ---------------------------------------------------------------------------
# peek at the server (step 2), decide on its certificate (step 3)
# ---------------------------------------------------------------------------

def trust(t):
    """The test CA, against which a peeked certificate is checked."""
    return ["tls_outgoing_options cafile=%s" % t.pki.ca]


def test_peek_server_tls12_certificate_decides(tls, tlsd):
    f = FAM[4]
    t = tls
    # alias.test gets allowed.test's certificate: a name mismatch, which
    # sslproxy_cert_error lets through here so that the names decide.
    d = tlsd(PEEK_SERVER, trust(t) +
             ["sslproxy_cert_error allow ssl::certDomainMismatch"])
    tls12 = ["--tls-max", "1.2"]
    # SNI and certificate allowed.test: spliced, end to end.
    r = t.curl("allowed.test", f["srv"], "/sni", tls12)
    assert r.rc == 0 and r.verify == 0, r
    assert r.body == b"allowed.test TLSv1.2", r
    # An SNI nginx has no server for: it shows allowed.test's certificate
    # (its default), and the certificate decides: spliced.
    r = t.curl("alias.test", f["srv"], "/peer", tls12 + ["-k"])
    assert r.rc == 0 and r.body.decode() == f["cli"], r
    # SNI and certificate other.test: terminated at step 3.
    r = t.curl("other.test", f["srv"], "/peer", tls12)
    assert r.rc != 0 and not r.body, r
    assert not any("other.test" in ln for ln in t.nginx.access_lines())
    # Peeking at the server means connecting to it, every time.
    assert t.intercept.syn_counts()[f["srv"]] >= 3
    lines = stopped_lines(d, 3)
    assert [e["url"] for e in lines] == [authority(n) for n in (
        "allowed.test", "alias.test", "other.test")], \
        [e["raw"] for e in lines]
    assert_spliced_line(lines[0], "allowed.test", f["srv"], f["cli"])
    assert_spliced_line(lines[1], "alias.test", f["srv"], f["cli"])
    assert_terminated_line(lines[2], "other.test", f["cli"], contacted=True)


def test_peek_server_tls13_certificate_unseen(tls, tlsd):
    """With TLS 1.3 the server's certificate is encrypted: its names are
    "none", `splice srvname` does not match, `terminate all` does."""
    f = FAM[4]
    t = tls
    d = tlsd(PEEK_SERVER, trust(t))
    r = t.curl("allowed.test", f["srv"], "/peer")
    assert r.rc != 0 and not r.body, r
    # The same name with TLS 1.2 (certificate in the clear) is spliced.
    r = t.curl("allowed.test", f["srv"], "/peer", ["--tls-max", "1.2"])
    assert r.rc == 0 and r.body.decode() == f["cli"], r
    lines = stopped_lines(d, 2)
    assert len(lines) == 2, [e["raw"] for e in lines]
    assert_terminated_line(lines[0], "allowed.test", f["cli"],
                           contacted=True)
    assert_spliced_line(lines[1], "allowed.test", f["srv"], f["cli"])


# ---------------------------------------------------------------------------
# forged SNI (the HTTPS twin of Host header forgery, CVE-2009-0801)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_forged_sni_alert_still_spliced(tls, tlsd, family):
    f = FAM[family]
    t = tls
    d = tlsd()
    # allowed.test resolves to SRV only; the client goes to ALT.
    r = t.curl("allowed.test", f["alt"], "/peer")
    assert r.rc == 0 and r.body.decode() == f["cli"], r
    text = d.wait_cache(ALERT)
    alerts = [ln for ln in text.splitlines() if ALERT in ln]
    assert len(alerts) == 1 and "allowed.test" in alerts[0], alerts
    lines = stopped_lines(d, 1)
    assert len(lines) == 1, [e["raw"] for e in lines]
    assert_spliced_line(lines[0], "allowed.test", f["alt"], f["cli"])


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_forged_sni_strict_terminated(tls, tlsd, family):
    f = FAM[family]
    t = tls
    d = tlsd(extra=["host_verify_strict on"])
    r = t.curl("allowed.test", f["alt"], "/peer")
    assert r.rc != 0 and not r.body, r
    r = send_raw(t, f["alt"], tls_craft.client_hello("allowed.test"))
    assert_no_tls(r)
    text = d.wait_cache(ALERT)
    alerts = [ln for ln in text.splitlines() if ALERT in ln]
    assert len(alerts) == 2 and all("allowed.test" in a for a in alerts), \
        alerts
    assert t.intercept.syn_counts()[f["alt"]] == 0, \
        "the origin was contacted for a forged SNI with host_verify_strict"
    # The real address of the name: no alert, spliced, even when strict.
    r = t.curl("allowed.test", f["srv"], "/peer")
    assert r.rc == 0 and r.body.decode() == f["cli"], r
    lines = stopped_lines(d, 3)
    assert len(lines) == 3, [e["raw"] for e in lines]
    # Closed, nothing relayed, no answer: logged as terminated.
    for e in lines[:2]:
        assert_terminated_line(e, "allowed.test", f["cli"])
    assert_spliced_line(lines[2], "allowed.test", f["srv"], f["cli"])
    assert len([ln for ln in d.cache_text().splitlines() if ALERT in ln]) \
        == 2


# ---------------------------------------------------------------------------
# ClientHello in pieces: TCP segments, TLS records
# ---------------------------------------------------------------------------

# (frame, segments): the first sends, each its own segment 50 ms apart.
PIECES = {
    "segments": ("one", [1, 2, 3, 40, 60]),
    "records": ("records", None),
    "records_segments": ("records", [3, 7, 100]),
}


@pytest.mark.parametrize("how", list(PIECES))
def test_split_hello_spliced_end_to_end(tls, tlsd, how):
    """A real client's hello in pieces, then the rest of its handshake:
    spliced by SNI, the origin completes the handshake (its transcript
    covers every byte of the hello) and answers."""
    f = FAM[4]
    frame, segments = PIECES[how]
    d = tlsd()
    r = tls.tls_client({"mode": "handshake", "connect": [f["srv"], 443],
                        "sni": "allowed.test", "frame": frame,
                        "segments": segments, "delay": 0.05})
    assert r["handshake"]["ok"], r
    assert r["handshake"]["cert_sha256"] == tls.pki.fingerprint(
        "allowed.test"), r
    assert r["response"]["status"] == 200, r
    assert r["response"]["body"] == f["cli"], r
    lines = stopped_lines(d, 1)
    assert len(lines) == 1, [e["raw"] for e in lines]
    assert_spliced_line(lines[0], "allowed.test", f["srv"], f["cli"])


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("how", list(PIECES))
def test_split_hello_reaches_origin_byte_exact(tls, tlsd, how, family):
    """The recording origin gets exactly the bytes the client sent (the
    hello, however it was cut), from the client's address, and echoes
    them; the log counts the bytes sent back to the client."""
    f = FAM[family]
    frame, segments = PIECES[how]
    hello = tls_craft.client_hello("raw.test")
    wire = tls_craft.reframe_hard(hello) if frame == "records" else hello
    d = tlsd()
    r = send_raw(tls, f["raw"], wire, segments=segments, delay=0.05,
                 expect=len(wire), shut=True)
    assert bytes.fromhex(r["received"]) == wire and r["end"] == "eof", r
    recs = tls.raw.wait_records(1)
    assert len(recs) == 1, recs
    assert bytes.fromhex(recs[0]["received"]) == wire, \
        "the origin got other bytes than the client sent"
    assert recs[0]["peer"][0] == f["cli"], recs
    lines = stopped_lines(d, 1)
    assert len(lines) == 1, [e["raw"] for e in lines]
    assert_spliced_line(lines[0], "raw.test", f["raw"], f["cli"])
    assert lines[0]["bytes"] == len(wire), lines[0]["raw"]


@pytest.mark.parametrize("how", list(PIECES))
def test_split_hello_blocked_still_terminated(tls, tlsd, how):
    """The SNI is found however the hello is cut: a blocked name is
    terminated, and logged by name."""
    f = FAM[4]
    frame, segments = PIECES[how]
    hello = tls_craft.client_hello("blocked.test")
    wire = tls_craft.reframe_hard(hello) if frame == "records" else hello
    d = tlsd()
    r = send_raw(tls, f["srv"], wire, segments=segments, delay=0.05)
    assert_no_tls(r)
    assert tls.intercept.syn_counts()[f["srv"]] == 0
    lines = stopped_lines(d, 1)
    assert len(lines) == 1, [e["raw"] for e in lines]
    assert_terminated_line(lines[0], "blocked.test", f["cli"])


# ---------------------------------------------------------------------------
# not TLS: on_unsupported_protocol
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("data", [HTTP_GET, SSH_BANNER], ids=["http", "ssh"])
def test_not_tls_respond_closes(tls, tlsd, data):
    """Default (respond): closed at once, no byte back, nothing sent to
    the destination, one access.log line."""
    f = FAM[4]
    d = tlsd()
    t0 = now()
    r = send_raw(tls, f["raw"], data)
    assert_no_tls(r)
    assert now() - t0 < 5, "not closed at once"
    assert tls.intercept.syn_counts()[f["raw"]] == 0
    assert tls.raw.records() == []
    # The CONNECT the connection stands for: to the original destination
    # (no SNI to name), closed.
    lines = stopped_client_lines(d, f["cli"])
    assert len(lines) == 1, [e["raw"] for e in lines]
    assert_terminated_line(lines[0], f["raw"], f["cli"])


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("data", [HTTP_GET, SSH_BANNER], ids=["http", "ssh"])
def test_not_tls_tunnelled(tls, tlsd, data, family):
    """on_unsupported_protocol tunnel all: the bytes go, as they are, to
    the original destination (from the client's address), and back."""
    f = FAM[family]
    d = tlsd(extra=["on_unsupported_protocol tunnel all"])
    r = send_raw(tls, f["raw"], data, segments=[3], delay=0.05,
                 expect=len(data), shut=True)
    assert bytes.fromhex(r["received"]) == data and r["end"] == "eof", r
    recs = tls.raw.wait_records(1)
    assert len(recs) == 1 and bytes.fromhex(recs[0]["received"]) == data, \
        recs
    assert recs[0]["peer"][0] == f["cli"], recs
    lines = stopped_lines(d, 1)
    assert len(lines) == 1, [e["raw"] for e in lines]
    assert_spliced_line(lines[0], f["raw"], f["raw"], f["cli"])
    assert lines[0]["bytes"] == len(data), lines[0]["raw"]


@pytest.mark.parametrize("family", [4, 6])
def test_http_port_not_http_tunnelled(tls, tlsd, family):
    """on_unsupported_protocol applies to the intercepted http_port too
    (Squid): bytes that are not an HTTP request go, as they are, to the
    original destination, from the client's address."""
    f = FAM[family]
    data = b"SSH-2.0-OpenSSH_9.2\r\n\x00\x01binary"
    d = tlsd(extra=["acl foreign squid_error ERR_PROTOCOL_UNKNOWN",
                    "on_unsupported_protocol tunnel foreign"])
    r = send_raw(tls, f["raw"], data, port=80, expect=len(data), shut=True)
    assert bytes.fromhex(r["received"]) == data and r["end"] == "eof", r
    recs = tls.raw.wait_records(1)
    assert len(recs) == 1 and bytes.fromhex(recs[0]["received"]) == data, \
        recs
    assert recs[0]["peer"][0] == f["cli"], recs
    assert recs[0]["local"][1] == 80, recs
    lines = stopped_lines(d, 1)
    assert len(lines) == 1, [e["raw"] for e in lines]
    e = lines[0]
    assert (e["code"], e["status"], e["url"]) == (
        "TCP_TUNNEL", 200, "%s:80" % urlhost(f["raw"])), e["raw"]
    assert (e["hier"], e["peer"]) == ("ORIGINAL_DST", f["raw"]), e["raw"]
    assert e["bytes"] == len(data), e["raw"]


def test_http_port_not_http_default_400(tls, tlsd):
    """Without a rule (respond, the default) the http_port answers 400
    as before, and nothing reaches the destination."""
    f = FAM[4]
    d = tlsd()
    r = send_raw(tls, f["raw"], b"SSH-2.0-OpenSSH_9.2\r\n", port=80,
                 shut=True, read_timeout=5)
    assert bytes.fromhex(r["received"]).startswith(b"HTTP/1.1 400 "), r
    assert tls.raw.records() == []
    d.stop()


def test_http_port_server_talks_first(tls, tlsd):
    """Squid's example on an http_port: no request within
    request_timeout, the server talks first: tunnelled."""
    f = FAM[4]
    d = tlsd(extra=TIMEOUTS + [
        "acl server_first squid_error ERR_REQUEST_START_TIMEOUT",
        "on_unsupported_protocol tunnel server_first"])
    r = send_raw(tls, BANNER4, b"", port=80, expect=len(BANNER), shut=True,
                 read_timeout=10)
    assert bytes.fromhex(r["received"]) == BANNER, r
    assert 1.5 <= r["elapsed"] <= 6, r
    recs = tls.raw.wait_records(1)
    assert len(recs) == 1 and recs[0]["peer"][0] == f["cli"], recs
    lines = stopped_lines(d, 1)
    assert len(lines) == 1 and lines[0]["url"] == BANNER4 + ":80", \
        [e["raw"] for e in lines]


# ---------------------------------------------------------------------------
# silent clients: request_timeout
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("what", ["silent", "half_hello"])
def test_silent_client_closed_after_timeout(tls, tlsd, what):
    f = FAM[4]
    data = b"" if what == "silent" else \
        tls_craft.client_hello("allowed.test")[:60]
    d = tlsd(extra=TIMEOUTS)
    r = send_raw(tls, f["srv"], data, read_timeout=10)
    assert_no_tls(r)
    assert 1.5 <= r["elapsed"] <= 5, "closed after %.1fs, request_timeout " \
        "is 2s" % r["elapsed"]
    assert tls.intercept.syn_counts()[f["srv"]] == 0
    lines = stopped_client_lines(d, f["cli"])
    assert len(lines) == 1, [e["raw"] for e in lines]
    assert_terminated_line(lines[0], f["srv"], f["cli"])
    # The time is the connection's: it was open for request_timeout.
    assert lines[0]["elapsed"] >= 1500, lines[0]["raw"]


def test_server_talks_first_tunnelled_after_timeout(tls, tlsd):
    """Squid's documented example: a client waiting for the server to
    talk first is tunnelled once the wait for its hello times out."""
    f = FAM[4]
    d = tlsd(extra=TIMEOUTS + [
        "acl server_first squid_error ERR_REQUEST_START_TIMEOUT",
        "on_unsupported_protocol tunnel server_first",
        "on_unsupported_protocol respond all"])
    r = send_raw(tls, BANNER4, b"", expect=len(BANNER), shut=True,
                 read_timeout=10)
    assert bytes.fromhex(r["received"]) == BANNER, r
    assert 1.5 <= r["elapsed"] <= 6, r
    recs = tls.raw.wait_records(1)
    assert len(recs) == 1 and recs[0]["peer"][0] == f["cli"], recs
    lines = stopped_lines(d, 1)
    assert len(lines) == 1, [e["raw"] for e in lines]
    assert_spliced_line(lines[0], BANNER4, BANNER4, f["cli"])
    assert lines[0]["bytes"] == len(BANNER), lines[0]["raw"]


# ---------------------------------------------------------------------------
# logformat codes; ECH
# ---------------------------------------------------------------------------

def with_tls_log(tlsd, code=""):
    """A daemon whose tls.log (next to its access.log) is written with
    `logformat tls %>a %ssl::>sni %ssl::bump_mode
    %ssl::>negotiated_version` (+ code)."""
    d = tlsd(start=False)
    d.tls_log = d.dir / "tls.log"
    with open(d.conf, "a") as fh:
        fh.write("logformat tls %%>a %%ssl::>sni %%ssl::bump_mode "
                 "%%ssl::>negotiated_version%s\naccess_log %s tls\n" % (
                     code, d.tls_log))
    return d.start()


def tls_log_lines(d):
    try:
        return d.tls_log.read_text().splitlines()
    except FileNotFoundError:
        return []


def test_logformat_codes(tls, tlsd):
    f = FAM[4]
    t = tls
    d = with_tls_log(tlsd)
    assert t.curl("allowed.test", f["srv"]).rc == 0
    assert t.curl("allowed.test", f["srv"], args=["--tls-max",
                                                  "1.2"]).rc == 0
    assert t.curl("blocked.test", f["srv"]).rc != 0
    lines = stopped_lines(d, 3)
    assert len(lines) == 3, [e["raw"] for e in lines]
    assert tls_log_lines(d) == [
        "%s allowed.test splice TLS/1.3" % f["cli"],
        "%s allowed.test splice TLS/1.2" % f["cli"],
        "%s blocked.test terminate -" % f["cli"]]


def test_ech_outer_hello_logged(tls, tlsd):
    """An Encrypted Client Hello's outer hello is spliced on its outer
    (public) SNI, and the log says it was ECH."""
    f = FAM[4]
    d = with_tls_log(tlsd, " " + ECH_CODE)
    hello = tls_craft.ech_hello("allowed.test")
    r = send_raw(tls, f["srv"], hello, expect_record=True, stop=True)
    got = bytes.fromhex(r["received"])
    assert tls_craft.server_hello_version(got) == "TLS/1.3", (
        "no ServerHello from the origin: not spliced? %r" % r)
    lines = stopped_lines(d, 1)
    assert len(lines) == 1, [e["raw"] for e in lines]
    assert_spliced_line(lines[0], "allowed.test", f["srv"], f["cli"])
    tl = tls_log_lines(d)
    assert len(tl) == 1, tl
    assert tl[0] == "%s allowed.test splice TLS/1.3 %s" % (f["cli"],
                                                           ECH_TEXT), tl


# ---------------------------------------------------------------------------
# /metrics, descriptors
# ---------------------------------------------------------------------------

def test_counters(tls, tlsd):
    """Each kind of connection moves its counters, and only those."""
    f = FAM[4]
    t = tls
    tlsd()
    names = [DECISIONS % "splice", DECISIONS % "terminate",
             UNSUPPORTED % "respond", UNSUPPORTED % "tunnel",
             HELLOS % "ech", HELLOS % "no_sni", SNI_FORGERIES, SERVER_PEEKS]
    before = t.metrics()
    missing = [n for n in names if n not in before]
    assert not missing, "not on /metrics: %s; there: %s" % (missing, sorted(
        k for k in before if "tls" in k))
    assert t.curl("allowed.test", f["srv"]).rc == 0
    assert t.curl("allowed.test", f["srv"]).rc == 0
    assert t.curl("blocked.test", f["srv"]).rc != 0
    assert_no_tls(send_raw(t, f["raw"], SSH_BANNER))
    assert t.curl("allowed.test", f["alt"]).rc == 0          # forged SNI
    r = send_raw(t, f["srv"], tls_craft.ech_hello("allowed.test"),
                 expect_record=True, stop=True)
    assert tls_craft.server_hello_version(bytes.fromhex(r["received"]))
    s = t.s_client(None, f["srv"])                          # no SNI
    assert s.leaf_sha256 == t.pki.fingerprint("allowed.test"), s
    want = {DECISIONS % "splice": 5, DECISIONS % "terminate": 1,
            UNSUPPORTED % "respond": 1, UNSUPPORTED % "tunnel": 0,
            HELLOS % "ech": 1, HELLOS % "no_sni": 1, SNI_FORGERIES: 1,
            SERVER_PEEKS: 0}

    def delta():
        m = t.metrics()
        return {n: m.get(n, 0) - before[n] for n in names}
    # Counted when each connection ends or is decided: wait for all.
    harness.poll(lambda: delta() == want, 5, 0.1)
    assert delta() == want


def test_peek_server_certificate_checked(tls, tlsd):
    """A peeked certificate that fails its checks terminates the
    connection unless sslproxy_cert_error allows the error (Squid's
    default, deny): an unknown issuer without the test CA; a name that
    does not match the SNI with it."""
    f = FAM[4]
    t = tls
    tls12 = ["--tls-max", "1.2"]
    d = tlsd(PEEK_SERVER)
    r = t.curl("allowed.test", f["srv"], "/peer", tls12)
    assert r.rc != 0 and not r.body, r
    lines = stopped_lines(d, 1)
    assert_terminated_line(lines[0], "allowed.test", f["cli"],
                           contacted=True)
    # With the CA: trusted, spliced; a name mismatch is still refused,
    # and allowed when sslproxy_cert_error says so.
    d = tlsd(PEEK_SERVER, trust(t))
    r = t.curl("allowed.test", f["srv"], "/peer", tls12)
    assert r.rc == 0 and r.body.decode() == f["cli"], r
    r = t.curl("alias.test", f["srv"], "/peer", tls12 + ["-k"])
    assert r.rc != 0 and not r.body, r
    lines = stopped_lines(d, 2)
    assert_spliced_line(lines[0], "allowed.test", f["srv"], f["cli"])
    assert_terminated_line(lines[1], "alias.test", f["cli"],
                           contacted=True)


def test_server_peek_counter(tls, tlsd):
    f = FAM[4]
    t = tls
    tlsd(PEEK_SERVER, trust(t))
    before = t.metrics()
    assert t.curl("allowed.test", f["srv"], args=["--tls-max", "1.2"]).rc \
        == 0
    assert t.curl("other.test", f["srv"], args=["--tls-max", "1.2"]).rc != 0
    names = [SERVER_PEEKS, DECISIONS % "splice", DECISIONS % "terminate"]

    def delta():
        m = t.metrics()
        return {n: m.get(n, 0) - before[n] for n in names}
    want = {SERVER_PEEKS: 2, DECISIONS % "splice": 1,
            DECISIONS % "terminate": 1}
    harness.poll(lambda: delta() == want, 5, 0.1)
    assert delta() == want


def test_descriptors_back_to_baseline(tls, tlsd):
    """After splices (one cut by the client half-way through 4 MiB),
    terminations, non-TLS bytes, a timeout and a tunnel, the daemon holds
    exactly the descriptors it held before."""
    f = FAM[4]
    t = tls
    d = tlsd(extra=["request_timeout 1 second",
                    "on_unsupported_protocol tunnel all"])
    pid = d.pid()
    # Warm up (the resolver's socket opens on first use), then count.
    assert t.curl("allowed.test", f["srv"]).rc == 0
    d.wait_access(lambda e: e["method"] == "CONNECT")
    base = nfds(pid)
    assert t.curl("allowed.test", f["srv"], "/big").rc == 0
    r = t.curl("allowed.test", f["srv"], "/big",
               ["--limit-rate", "1M"], max_time=1)
    assert r.rc != 0 and 0 < len(r.body) < BIG, r
    assert t.curl("blocked.test", f["srv"]).rc != 0
    send_raw(t, f["raw"], SSH_BANNER, expect=len(SSH_BANNER), shut=True)
    # Silent: after the timeout, tunnelled to nginx (which waits for a
    # hello) until the client gives up.
    send_raw(t, f["srv"], b"", read_timeout=3)
    assert t.curl("allowed.test", f["srv"], args=["--tls-max", "1.2"]).rc \
        == 0
    assert wait_fds(pid, base, 10), \
        "%d descriptors before, %d after" % (base, nfds(pid))
