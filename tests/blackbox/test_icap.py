# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_icap.py - tproxyd's ICAP client (RFC 3507) against real ICAP servers:
Debian's c-icap (its echo service, started here on loopback with a
generated configuration) and a small ICAP server written for the tests
(icap_server.py) for the answers the echo service never gives (a changed
request, a block page, an error status, a service that hangs or closes
in the middle of a body).

Three sides per case: what the client gets, what the origin (origin.py)
saw, and what the ICAP server saw (c-icap's access.log, or the test
server's records), plus tproxyd's cache.log, access.log and /metrics.
"""

import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from harness import (RawClient, closed_port, curl, free_port, get_req,
                     listening_ports, poll, scrape_metrics,
                     share_with_daemon_user, wait_for)
from icap_server import IcapServer
from origin import body_bytes, body_sha256

C_ICAP = shutil.which("c-icap") or "/usr/bin/c-icap"
MODULES = "/usr/lib/x86_64-linux-gnu/c_icap"


class CIcap:
    """Debian's c-icap on 127.0.0.1 with the echo service (and what
    extra lines add), in its own directory and process group. clamav_db:
    a directory mounted over /var/lib/clamav for c-icap alone (a private
    mount namespace: libclamav reads only its compiled-in directory)."""

    def __init__(self, d, extra=(), clamav_db=None):
        assert os.path.exists(C_ICAP), \
            "c-icap is a test dependency (scripts/deps.sh test)"
        self.dir = d
        d.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.access_log = d / "access.log"
        self.server_log = d / "server.log"
        conf = [
            "PidFile %s/c-icap.pid" % d,
            "CommandsSocket %s/c-icap.ctl" % d,
            "Timeout 30", "MaxKeepAliveRequests 1000",
            "KeepAliveTimeout 600", "StartServers 1", "MaxServers 1",
            "MinSpareThreads 4", "MaxSpareThreads 20",
            "ThreadsPerChild 20",
            "Port 127.0.0.1:%d" % self.port,
            "TmpDir %s" % d, "DebugLevel 1",
            "ModulesDir %s" % MODULES, "ServicesDir %s" % MODULES,
            "TemplateDir /usr/share/c_icap/templates/",
            "LoadMagicFile /etc/c-icap/c-icap.magic",
            "ServerLog %s" % self.server_log,
            "AccessLog %s" % self.access_log,
            "Service echo srv_echo.so",
        ] + list(extra)
        self.conf = d / "c-icap.conf"
        self.conf.write_text("\n".join(conf) + "\n")
        cmd = [C_ICAP, "-N", "-f", str(self.conf)]
        if clamav_db is not None:
            cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                   'mount --bind "$0" /var/lib/clamav && exec "$@"',
                   str(clamav_db)] + cmd
        self.proc = subprocess.Popen(
            cmd,
            stdout=open(d / "stdout", "wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        ok = poll(lambda: self.proc.poll() is not None or
                  self.port in listening_ports(), 10)
        assert ok and self.proc.poll() is None, \
            "c-icap did not start: %s" % (d / "stdout").read_text()

    def url(self, service):
        return "icap://127.0.0.1:%d/%s" % (self.port, service)

    def access(self):
        try:
            return self.access_log.read_text().splitlines()
        except OSError:
            return []

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


@pytest.fixture(scope="module")
def cicap(tmp_path_factory):
    c = CIcap(tmp_path_factory.mktemp("cicap"))
    yield c
    c.stop()


@pytest.fixture(scope="module")
def cicap_av(tmp_path_factory):
    """c-icap with its virus_scan service on ClamAV (Debian's clamav_mod),
    whose only signature database is written here: EICAR's MD5 (no
    network, no freshclam). libclamav must load it and find EICAR."""
    d = tmp_path_factory.mktemp("cicap_av")
    db = d / "clamav"
    db.mkdir()
    # hash signature: MD5:size:name (ClamAV's .hdb format)
    import hashlib
    from origin import EICAR
    (db / "tproxyd-test.hdb").write_text(
        "%s:%d:Tproxyd-Test.EICAR\n" % (hashlib.md5(EICAR).hexdigest(),
                                        len(EICAR)))
    c = CIcap(d / "ci", extra=[
        "Module common clamav_mod.so",
        "Service antivirus_module virus_scan.so",
        "virus_scan.ScanFileTypes TEXT DATA EXECUTABLE ARCHIVE GIF JPEG "
        "MSOFFICE",
        "virus_scan.MaxObjectSize 5M"], clamav_db=db)
    yield c
    c.stop()


@pytest.fixture
def icap_srv():
    s = IcapServer().start()
    yield s
    s.stop()


def icap_conf(*services, extra=()):
    """icap_enable on, the icap_service lines, adaptation_access for each
    service (all), and stats_port for /metrics."""
    lines = ["icap_enable on"]
    for s in services:
        lines.append("icap_service %s" % s)
    for s in services:
        lines.append("adaptation_access %s allow all" % s.split()[0])
    return lines + list(extra)


def with_stats(lines):
    port = free_port()
    return lines + ["stats_port 127.0.0.1:%d" % port], port


def svc_metric(m, name, svc):
    return m.get('tproxyd_icap_%s_total{service="%s"}' % (name, svc), 0)


def wait_up(p, svc="s"):
    """The service's OPTIONS were answered (cache.log says it is up)."""
    wait_for(lambda: "ICAP service %s is up" % svc in
             p.cache_log.read_text(), 5, "ICAP service %s up" % svc)


def cache_log(p):
    return p.cache_log.read_text()


# --- REQMOD through c-icap's echo service --------------------------------

def test_reqmod_echo_c_icap(tproxyd, origin, cicap):
    """c-icap's echo service answers 204 (tproxyd allows it): the request
    goes to the origin unchanged, the body comes back byte-exact, and
    c-icap logged the REQMOD."""
    lines, sport = with_stats(icap_conf(
        "s reqmod_precache bypass=off %s" % cicap.url("echo")))
    p = tproxyd(lines)
    wait_up(p)
    before = len([ln for ln in cicap.access() if " REQMOD " in ln])
    r = curl(p.port, origin.url("/bytes/100000"))
    assert r.status == 200
    assert r.body_sha256 == body_sha256(100000)
    rec = [x for x in origin.records() if x["path"] == "/bytes/100000"]
    assert len(rec) == 1
    wait_for(lambda: len([ln for ln in cicap.access()
                          if " REQMOD echo 204" in ln]) > before, 5,
             "c-icap's access.log line")
    m = scrape_metrics(sport)
    assert svc_metric(m, "requests", "s") == 1
    assert svc_metric(m, "no_content", "s") == 1
    assert svc_metric(m, "errors", "s") == 0


def test_reqmod_body_c_icap(tproxyd, origin, cicap):
    """A POST body (40 KiB) through c-icap's echo service: the origin gets
    it byte-exact."""
    p = tproxyd(icap_conf("s reqmod_precache bypass=off %s" %
                          cicap.url("echo")))
    wait_up(p)
    body = bytes(range(256)) * 160
    with RawClient(p.port) as c:
        c.send(get_req(origin.url("/sink"), "POST", body=body))
        r = c.read_response("POST")
    assert r.status == 200
    o = origin.wait_records(1)[-1]
    assert o["body_len"] == len(body)
    assert o["body_sha256"] == __import__("hashlib").sha256(body).hexdigest()
    wait_for(lambda: any(" REQMOD echo " in ln for ln in cicap.access()),
             5, "c-icap's REQMOD line")


@pytest.mark.parametrize("persistent", ["on", "off"])
def test_reqmod_persistent_connections(tproxyd, origin, cicap, persistent):
    """Five requests: with icap_persistent_connections on, the OPTIONS
    connection carries all five REQMODs (one connection opened, five
    reused; c-icap logged five REQMODs); off, each transaction opens its
    own."""
    lines, sport = with_stats(icap_conf(
        "s reqmod_precache %s" % cicap.url("echo"),
        extra=["icap_persistent_connections %s" % persistent]))
    p = tproxyd(lines)
    wait_up(p)
    before = len([ln for ln in cicap.access() if " REQMOD " in ln])
    for i in range(5):
        r = curl(p.port, origin.url("/bytes/%d" % (10 + i)))
        assert r.status == 200 and r.body == body_bytes(10 + i)
    wait_for(lambda: len([ln for ln in cicap.access()
                          if " REQMOD " in ln]) == before + 5, 5,
             "five REQMOD lines in c-icap's access.log")
    m = scrape_metrics(sport)
    assert svc_metric(m, "requests", "s") == 5
    if persistent == "on":
        assert svc_metric(m, "connections", "s") == 1
        assert svc_metric(m, "reused", "s") == 5
        # and the kernel agrees: one connection to c-icap is open
        out = subprocess.run(["ss", "-Htn", "state", "established",
                              "dst", "127.0.0.1:%d" % cicap.port],
                             capture_output=True, text=True).stdout
        assert len(out.strip().splitlines()) == 1, out
    else:
        assert svc_metric(m, "connections", "s") == 6
        assert svc_metric(m, "reused", "s") == 0


# --- REQMOD answers c-icap's echo never gives (test ICAP server) ----------

def test_reqmod_rewrite(tproxyd, origin, icap_srv):
    """The service answers with a new request head: the origin gets the
    new target with the added field, the client the new resource."""
    p = tproxyd(icap_conf("s reqmod_precache %s" %
                          icap_srv.url("rewrite")))
    wait_up(p)
    r = curl(p.port, origin.url("/bytes/5000"))
    assert r.status == 200 and r.body == body_bytes(7)
    rec = origin.wait_records(1)[-1]
    assert rec["path"] == "/bytes/7"
    assert "X-Adapted: yes" in rec["headers"]
    # what the service saw: the request as the client sent it
    rq = icap_srv.records("REQMOD")[-1]
    assert rq["req_hdr"].startswith("GET %s HTTP/1.1\r\n" %
                                    origin.url("/bytes/5000"))
    assert rq["fields"]["allow"] == "204"
    assert "x-client-ip" not in rq["fields"]


def test_reqmod_block_page(tproxyd, origin, icap_srv):
    """The service answers with an HTTP response: the client gets it (403
    and its page), the origin sees nothing, access.log has the 403."""
    p = tproxyd(icap_conf("s reqmod_precache %s" % icap_srv.url("block")))
    wait_up(p)
    with RawClient(p.port) as c:
        c.send(get_req(origin.url("/bytes/10")))
        r = c.read_response()
        assert r.status == 403
        assert r.header("X-Blocked-By") == "tpx-icap"
        assert b"blocked by the test ICAP server" in r.body
        # the connection stays usable
        c.send(get_req(origin.url("/bytes/11")))
        r2 = c.read_response()
        assert r2.status == 403
    assert origin.records() == []
    e = p.wait_access_url(origin.url("/bytes/10"))
    assert e["status"] == 403


def test_adapted_http_access_sees_the_adapted_request(tproxyd, origin,
                                                       icap_srv):
    """http_access allowed /bytes/5000; the service rewrote it to
    /bytes/7, which adapted_http_access denies."""
    p = tproxyd(icap_conf(
        "s reqmod_precache %s" % icap_srv.url("rewrite"),
        extra=["acl tpx_local src 127.0.0.0/8",
               "acl seven urlpath_regex ^/bytes/7$",
               "http_access allow tpx_local",
               "adapted_http_access deny seven",
               "adapted_http_access allow all"]))
    wait_up(p)
    r = curl(p.port, origin.url("/bytes/5000"))
    assert r.status == 403
    assert r.header("X-Squid-Error").startswith("ERR_ACCESS_DENIED")
    assert origin.records() == []


def test_adaptation_access_chooses(tproxyd, origin, icap_srv):
    """adaptation_access: requests it denies never reach the service."""
    p = tproxyd(["icap_enable on",
                 "icap_service s reqmod_precache %s" %
                 icap_srv.url("nc"),
                 "acl skip urlpath_regex ^/bytes/1$",
                 "adaptation_access s deny skip",
                 "adaptation_access s allow all"])
    wait_up(p)
    assert curl(p.port, origin.url("/bytes/1")).status == 200
    assert icap_srv.records("REQMOD") == []
    assert curl(p.port, origin.url("/bytes/2")).status == 200
    assert len(icap_srv.records("REQMOD")) == 1


@pytest.mark.parametrize("on", [True, False])
def test_send_client_ip(tproxyd, origin, icap_srv, on):
    p = tproxyd(icap_conf("s reqmod_precache %s" % icap_srv.url("nc"),
                          extra=["icap_send_client_ip %s" %
                                 ("on" if on else "off")]))
    wait_up(p)
    assert curl(p.port, origin.url("/bytes/3")).status == 200
    f = icap_srv.records("REQMOD")[-1]["fields"]
    assert f.get("x-client-ip") == ("127.0.0.1" if on else None)


@pytest.mark.parametrize("encode", [False, True], ids=["plain", "base64"])
def test_send_client_username(tproxyd, origin, icap_srv, tmp_path, encode):
    """icap_send_client_username: the user who logged in (Debian's
    basic_ncsa_auth), in icap_client_username_header's field, base64 with
    icap_client_username_encode on, as Squid sends it; nothing for a
    request without a login."""
    import base64
    d = tmp_path / "auth"
    d.mkdir()
    h = subprocess.run(["openssl", "passwd", "-apr1", "pw1"],
                       capture_output=True, text=True, check=True)
    (d / "passwd").write_text("alice:%s\n" % h.stdout.strip())
    share_with_daemon_user(d)   # the helper runs as the proxy user
    os.chmod(d, 0o755)
    os.chmod(d / "passwd", 0o644)
    p = tproxyd(icap_conf("s reqmod_precache %s" % icap_srv.url("nc"),
                          extra=[
        "auth_param basic program /usr/lib/squid/basic_ncsa_auth %s" %
        (d / "passwd"),
        "acl users proxy_auth REQUIRED",
        "acl free urlpath_regex ^/bytes/2$",
        "http_access allow free",
        "http_access allow users",
        "icap_send_client_username on",
        "icap_client_username_header X-Authenticated-User",
        "icap_client_username_encode %s" % ("on" if encode else "off")]))
    wait_up(p)
    r = curl(p.port, origin.url("/bytes/3"), ["-U", "alice:pw1"])
    assert r.status == 200, r
    f = icap_srv.records("REQMOD")[-1]["fields"]
    want = base64.b64encode(b"alice").decode() if encode else "alice"
    assert f.get("x-authenticated-user") == want, f
    assert "x-client-username" not in f, f
    assert curl(p.port, origin.url("/bytes/2")).status == 200
    f = icap_srv.records("REQMOD")[-1]["fields"]
    assert "x-authenticated-user" not in f, f


# --- failures: bypass=on goes on, bypass=off answers 500 -----------------

@pytest.mark.parametrize("bypass", ["on", "off"])
def test_service_down(tproxyd, origin, bypass):
    """Nothing listens at the service's address (its OPTIONS fail)."""
    lines, sport = with_stats(icap_conf(
        "s reqmod_precache bypass=%s icap://127.0.0.1:%d/x" %
        (bypass, closed_port())))
    p = tproxyd(lines)
    wait_for(lambda: "ICAP service s" in cache_log(p) and
             "is down" in cache_log(p), 5, "the service down")
    r = curl(p.port, origin.url("/bytes/20"))
    if bypass == "on":
        assert r.status == 200 and r.body == body_bytes(20)
        wait_for(lambda: "goes on unadapted (bypass=on)" in cache_log(p),
                 5, "the bypass line in cache.log")
        assert svc_metric(scrape_metrics(sport), "bypassed", "s") == 1
    else:
        assert r.status == 500
        assert r.header("X-Squid-Error").startswith("ERR_ICAP_FAILURE")
        assert origin.records() == []
        e = p.wait_access_url(origin.url("/bytes/20"))
        assert e["status"] == 500


@pytest.mark.parametrize("bypass", ["on", "off"])
def test_service_error_status(tproxyd, origin, icap_srv, bypass):
    """The service answers ICAP/1.0 500."""
    p = tproxyd(icap_conf("s reqmod_precache bypass=%s %s" %
                          (bypass, icap_srv.url("error"))))
    wait_up(p)
    r = curl(p.port, origin.url("/bytes/30"))
    if bypass == "on":
        assert r.status == 200 and r.body == body_bytes(30)
    else:
        assert r.status == 500
        assert r.header("X-Squid-Error").startswith("ERR_ICAP_FAILURE")
        assert origin.records() == []
    assert "ICAP service s: the service answered with an error status" \
        in cache_log(p)


def test_service_hangs_io_timeout(tproxyd, origin, icap_srv):
    """A service that never answers: icap_io_timeout ends the wait."""
    p = tproxyd(icap_conf("s reqmod_precache bypass=off %s" %
                          icap_srv.url("hang"),
                          extra=["icap_io_timeout 1 second"]))
    wait_up(p)
    t0 = time.monotonic()
    r = curl(p.port, origin.url("/bytes/30"))
    took = time.monotonic() - t0
    assert r.status == 500
    assert 0.8 < took < 5, took
    assert "icap_io_timeout" in cache_log(p)


@pytest.mark.parametrize("service", ["nc", "echo", "rewrite", "block"])
def test_reqmod_small_body_sent_whole(tproxyd, origin, icap_srv, service):
    """A request body of known length up to 64 KiB goes to the service
    whole (read first); the origin gets it unchanged with the head the
    service chose, or the client gets the service's answer."""
    p = tproxyd(icap_conf("s reqmod_precache bypass=off %s" %
                          icap_srv.url(service)))
    wait_up(p)
    body = bytes(range(256)) * 200         # 51200 bytes
    with RawClient(p.port) as c:
        c.send(get_req(origin.url("/sink"), "POST", body=body))
        r = c.read_response("POST")
    rec = icap_srv.records("REQMOD")[-1]
    assert rec["body_len"] == len(body)
    assert rec["sha256"] == __import__("hashlib").sha256(body).hexdigest()
    assert rec["req_hdr"].startswith("POST ")
    if service == "block":
        assert r.status == 403
        assert origin.records() == []
        return
    assert r.status == 200
    o = origin.wait_records(1)[-1]
    assert o["method"] == "POST"
    assert o["body_len"] == len(body)
    assert o["body_sha256"] == rec["sha256"]
    if service == "rewrite":
        assert o["path"] == "/bytes/7" and "X-Adapted: yes" in o["headers"]
        assert r.body == body_bytes(7)
    else:
        assert __import__("json").loads(r.body)["sha256"] == rec["sha256"]


@pytest.mark.parametrize("bypass", ["on", "off"])
@pytest.mark.parametrize("kind", ["large", "chunked"])
def test_reqmod_body_not_sent(tproxyd, origin, icap_srv, bypass, kind):
    """A body over 64 KiB or of unknown length (chunked) is not sent to
    services: a failure of the service, so bypass decides (never sent on
    unscanned silently)."""
    p = tproxyd(icap_conf("s reqmod_precache bypass=%s %s" %
                          (bypass, icap_srv.url("nc"))))
    wait_up(p)
    with RawClient(p.port) as c:
        if kind == "large":
            c.send(get_req(origin.url("/sink"), "POST", body=b"x" * 70000))
        else:
            c.send(get_req(origin.url("/sink"), "POST",
                           headers=["Transfer-Encoding: chunked"]) +
                   b"5\r\nhello\r\n0\r\n\r\n")
        r = c.read_response("POST")
    assert r.status == (200 if bypass == "on" else 500)
    assert icap_srv.records("REQMOD") == []
    assert "is not sent to ICAP services" in cache_log(p)


# --- RESPMOD through c-icap's echo service --------------------------------

@pytest.mark.parametrize("size", [1 << 20, 10 << 20])
def test_respmod_echo_c_icap_byte_exact(tproxyd, origin, cicap, size):
    """The origin's body goes through c-icap's echo service (streamed, with
    its Preview) and comes back byte for byte: 1 MiB and 10 MiB, sha256,
    both Content-Length and chunked origins."""
    lines, sport = with_stats(icap_conf(
        "s respmod_precache bypass=off %s" % cicap.url("echo")))
    p = tproxyd(lines)
    wait_up(p)
    before = len([ln for ln in cicap.access() if " RESPMOD " in ln])
    for path in ("/bytes/%d" % size, "/chunked/%d" % size):
        r = curl(p.port, origin.url(path), max_time=60)
        assert r.rc == 0, r.stderr
        assert r.status == 200
        assert r.body_len == size
        assert r.body_sha256 == body_sha256(size)
    wait_for(lambda: len([ln for ln in cicap.access()
                          if " RESPMOD echo " in ln]) == before + 2, 5,
             "two RESPMOD lines in c-icap's access.log")
    m = scrape_metrics(sport)
    assert svc_metric(m, "requests", "s") == 2
    assert svc_metric(m, "errors", "s") == 0


def test_respmod_bodiless_c_icap(tproxyd, origin, cicap):
    """HEAD and 204 responses go with null-body and Allow: 204."""
    p = tproxyd(icap_conf("s respmod_precache %s" % cicap.url("echo")))
    wait_up(p)
    with RawClient(p.port) as c:
        c.send(get_req(origin.url("/bytes/1000"), "HEAD"))
        r = c.read_response("HEAD")
        assert r.status == 200 and r.header("Content-Length") == "1000"
        c.send(get_req(origin.url("/status/204")))
        r = c.read_response()
        assert r.status == 204
        c.send(get_req(origin.url("/bytes/10")))
        r = c.read_response()
        assert r.status == 200 and r.body == body_bytes(10)


# --- RESPMOD answers of the test ICAP server ------------------------------

@pytest.mark.parametrize("size", [100, 100000])
@pytest.mark.parametrize("kind", ["bytes", "chunked"])
def test_respmod_preview_204(tproxyd, origin, icap_srv, size, kind):
    """The service answers 204 to the preview: the client gets the
    original response unchanged (its Content-Length and fields); the
    service saw a preview of its OPTIONS' size, with ieof only when the
    whole body fit."""
    lines, sport = with_stats(icap_conf(
        "s respmod_precache bypass=off %s" % icap_srv.url("preview204")))
    p = tproxyd(lines)
    wait_up(p)
    path = "/%s/%d" % (kind, size)
    r = curl(p.port, origin.url(path))
    assert r.status == 200 and r.body_sha256 == body_sha256(size)
    if kind == "bytes":
        assert r.header("Content-Length") == str(size)
        assert r.header("X-Sha256") == body_sha256(size)
    else:
        # the original's own chunks, as if never diverted
        assert r.header("Transfer-Encoding") == "chunked"
    rec = icap_srv.records("RESPMOD")[-1]
    assert rec["preview"] == 1024
    assert rec["ieof"] == (size <= 1024)
    assert "allow" not in rec["fields"]
    assert rec["res_hdr"].startswith("HTTP/1.1 200 ")
    assert rec["req_hdr"].startswith("GET %s " % origin.url(path))
    assert svc_metric(scrape_metrics(sport), "no_content", "s") == 1


@pytest.mark.parametrize("minor", [1, 0])
def test_respmod_modified_streamed(tproxyd, origin, icap_srv, minor):
    """The service changes the body (streamed back, no Content-Length):
    an HTTP/1.1 client gets it chunked on a kept connection, an HTTP/1.0
    client decoded and delimited by the close."""
    p = tproxyd(icap_conf("s respmod_precache %s" % icap_srv.url("prefix")))
    wait_up(p)
    size = 300000
    with RawClient(p.port) as c:
        c.send(get_req(origin.url("/bytes/%d" % size),
                       version="HTTP/1.%d" % minor))
        r = c.read_response()
        assert r.status == 200
        assert r.body == b"ADAPTED\n" + body_bytes(size)
        assert r.header("Content-Length") is None
        if minor == 1:
            assert r.header("Transfer-Encoding") == "chunked"
            c.send(get_req(origin.url("/bytes/5")))
            r2 = c.read_response()
            assert r2.body == b"ADAPTED\n" + body_bytes(5)
        else:
            assert r.header("Transfer-Encoding") is None
            assert c.is_closed()
    rec = icap_srv.records("RESPMOD")[0]
    assert rec["body_len"] == size and rec["sha256"] == body_sha256(size)


def test_respmod_block_page(tproxyd, origin, icap_srv):
    """The service replaces the response with a block page."""
    p = tproxyd(icap_conf("s respmod_precache %s" % icap_srv.url("block")))
    wait_up(p)
    r = curl(p.port, origin.url("/bytes/50000"))
    assert r.status == 403
    assert r.header("X-Blocked-By") == "tpx-icap"
    assert b"blocked by the test ICAP server" in r.body
    e = p.wait_access_url(origin.url("/bytes/50000"))
    assert e["status"] == 403


def test_respmod_cut_mid_body(tproxyd, origin, icap_srv):
    """The service closes its connection after 64 KiB of a 1 MiB answer:
    the client's response is cut (the connection closes, no final
    chunk), never a complete-looking short response."""
    lines, sport = with_stats(icap_conf(
        "s respmod_precache bypass=on %s" % icap_srv.url("cut")))
    p = tproxyd(lines)
    wait_up(p)
    with RawClient(p.port) as c:
        c.send(get_req(origin.url("/bytes/1048576")))
        head = b""
        while b"\r\n\r\n" not in head:
            c._fill()
            head = c.buf
        assert head.startswith(b"HTTP/1.1 200")
        assert b"Transfer-Encoding: chunked" in head
        data = c.read_until_close()
    body = data.split(b"\r\n\r\n", 1)[1]
    assert not body.endswith(b"0\r\n\r\n")
    assert len(body) < 1048576
    r = curl(p.port, origin.url("/bytes/1048576"))
    assert r.rc == 18, (r.rc, r.stderr)   # transfer closed, data missing
    # Whichever tproxyd noticed first, the closed read or the refused
    # write, the line names the service and says the response was cut.
    wait_for(lambda: len(re.findall(r"ERROR: ICAP service s.* is cut",
                                    cache_log(p))) == 2, 5,
             "two cuts in cache.log")
    assert svc_metric(scrape_metrics(sport), "errors", "s") == 2
    e = p.wait_access_url(origin.url("/bytes/1048576"))
    assert e["code"].endswith("_ABORTED"), e


@pytest.mark.parametrize("bypass", ["on", "off"])
def test_respmod_service_down(tproxyd, origin, bypass):
    lines = icap_conf("s respmod_precache bypass=%s icap://127.0.0.1:%d/x"
                      % (bypass, closed_port()))
    p = tproxyd(lines)
    wait_for(lambda: "is down" in cache_log(p), 5, "the service down")
    r = curl(p.port, origin.url("/bytes/2000"))
    if bypass == "on":
        assert r.status == 200 and r.body == body_bytes(2000)
        assert "goes on unadapted (bypass=on)" in cache_log(p)
    else:
        assert r.status == 500
        assert r.header("X-Squid-Error").startswith("ERR_ICAP_FAILURE")


@pytest.mark.parametrize("bypass", ["on", "off"])
@pytest.mark.parametrize("service", ["error", "error-late"])
def test_respmod_error_status(tproxyd, origin, icap_srv, bypass, service):
    """ICAP/1.0 500 to the preview ("error"): bypass=on sends the original,
    still whole here (head and preview kept), bypass=off answers 500.
    The same after the whole body was sent ("error-late"): the original
    is no longer here, so the client gets 500 either way (never a
    response that silently misses its adaptation)."""
    p = tproxyd(icap_conf("s respmod_precache bypass=%s %s" %
                          (bypass, icap_srv.url(service))))
    wait_up(p)
    r = curl(p.port, origin.url("/bytes/200000"))
    if bypass == "on" and service == "error":
        assert r.status == 200
        assert r.body_sha256 == body_sha256(200000)
        assert "goes on unadapted (bypass=on)" in cache_log(p)
    else:
        assert r.status == 500
        assert r.header("X-Squid-Error").startswith("ERR_ICAP_FAILURE")
    rec = icap_srv.records("RESPMOD")[-1]
    assert rec["body_len"] == (200000 if service == "error-late" else 1024)


def test_respmod_cache_stores_adapted(tproxyd, origin, icap_srv):
    """respmod_precache: the cache keeps the adapted response; a hit is
    served from it without asking the service again."""
    p = tproxyd(icap_conf("s respmod_precache %s" % icap_srv.url("prefix"),
                          extra=["cache_mem 16 MB"]))
    wait_up(p)
    url = origin.url("/cacheable/5000")
    r1 = curl(p.port, url)
    assert r1.status == 200 and r1.body == b"ADAPTED\n" + body_bytes(5000)
    p.wait_access_url(url)
    r2 = curl(p.port, url)
    assert r2.status == 200 and r2.body == b"ADAPTED\n" + body_bytes(5000)
    assert len(icap_srv.records("RESPMOD")) == 1
    p.wait_access(lambda e: e["url"] == url and "HIT" in e["code"])


def test_respmod_bounded_memory(tproxyd, origin, icap_srv):
    """A client that does not read while 64 MiB come from the origin
    through a streaming service: tproxyd's memory stays bounded (the
    service and the origin are held back), then everything arrives."""
    p = tproxyd(icap_conf("s respmod_precache %s" % icap_srv.url("echo")))
    wait_up(p)
    size = 64 << 20
    pid = int(p.pid_file.read_text().split()[0])

    def rss_kib():
        for ln in open("/proc/%d/status" % pid):
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
        return 0
    base = rss_kib()
    with RawClient(p.port, timeout=60) as c:
        c.sock.setsockopt(__import__("socket").SOL_SOCKET,
                          __import__("socket").SO_RCVBUF, 65536)
        c.send(get_req(origin.url("/bytes/%d" % size)))
        time.sleep(2.0)
        grown = rss_kib() - base
        r = c.read_response()
    assert r.status == 200 and len(r.body) == size
    assert __import__("hashlib").sha256(r.body).hexdigest() == \
        body_sha256(size)
    assert grown < 16 * 1024, "tproxyd grew by %d KiB" % grown


# --- virus scanning: c-icap's virus_scan with ClamAV -----------------------

def test_respmod_virus_scan_blocks_eicar(tproxyd, origin, cicap_av):
    """The EICAR test file is found by ClamAV (through c-icap's virus_scan
    service) and replaced by c-icap's VIRUS FOUND page; a clean file goes
    through unchanged."""
    lines, sport = with_stats(icap_conf(
        "av respmod_precache bypass=off %s" % cicap_av.url("virus_scan")))
    p = tproxyd(lines)
    wait_up(p, "av")
    r = curl(p.port, origin.url("/eicar"))
    assert r.status == 403
    assert b"VIRUS FOUND" in r.body
    assert b"Tproxyd-Test.EICAR" in r.body
    r = curl(p.port, origin.url("/bytes/3000"))
    assert r.status == 200 and r.body == body_bytes(3000)
    e = p.wait_access_url(origin.url("/eicar"))
    assert e["status"] == 403
    assert svc_metric(scrape_metrics(sport), "requests", "av") == 2


# --- access.log ------------------------------------------------------------

def test_access_log_icap_codes(tproxyd, origin, icap_srv, tmp_path):
    """%icap::<service_name and %icap::tt (milliseconds in ICAP
    transactions): the service's name and a time for adapted requests,
    "-" for the others."""
    log = tmp_path / "icap.log"
    p = tproxyd(["icap_enable on",
                 "icap_service rq reqmod_precache %s" % icap_srv.url("nc"),
                 "icap_service rs respmod_precache %s" %
                 icap_srv.url("prefix"),
                 "acl skip urlpath_regex ^/bytes/1$",
                 "adaptation_access rq deny skip",
                 "adaptation_access rs deny skip",
                 "adaptation_access rq allow all",
                 "adaptation_access rs allow all",
                 "logformat icap %icap::<service_name %icap::tt %>Hs %ru",
                 "access_log %s icap" % log])
    wait_up(p, "rq")
    wait_up(p, "rs")
    assert curl(p.port, origin.url("/bytes/1")).status == 200
    r = curl(p.port, origin.url("/bytes/2"))
    assert r.body == b"ADAPTED\n" + body_bytes(2)
    wait_for(lambda: log.exists() and
             len(log.read_text().splitlines()) == 2, 5, "two lines")
    a, b = [ln.split() for ln in log.read_text().splitlines()]
    assert a == ["-", "-", "200", origin.url("/bytes/1")]
    # the last service used (RESPMOD after REQMOD), the time of both
    assert b[0] == "rs" and b[2] == "200" and b[3] == origin.url("/bytes/2")
    assert 0 <= int(b[1]) < 5000


# --- OPTIONS, preview settings, Max-Connections ---------------------------

def test_options_refreshed_per_ttl(tproxyd, icap_srv):
    """The service's Options-TTL (1 s here) makes tproxyd ask again."""
    icap_srv.ttl = 1
    p = tproxyd(icap_conf("s reqmod_precache %s" % icap_srv.url("nc")))
    wait_up(p)
    wait_for(lambda: len(icap_srv.records("OPTIONS")) >= 3, 5,
             "OPTIONS asked again after each Options-TTL")


def test_preview_disabled(tproxyd, origin, icap_srv):
    """icap_preview_enable off: no Preview even when the service wants
    one; the whole body goes to the service."""
    p = tproxyd(icap_conf("s respmod_precache %s" % icap_srv.url("nc"),
                          extra=["icap_preview_enable off"]))
    wait_up(p)
    r = curl(p.port, origin.url("/bytes/5000"))
    assert r.status == 200 and r.body == body_bytes(5000)
    rec = icap_srv.records("RESPMOD")[-1]
    assert rec["preview"] is None
    assert rec["body_len"] == 5000
    assert rec["sha256"] == body_sha256(5000)


def test_max_connections(tproxyd, origin):
    """The service says Max-Connections: 1: four requests at once through
    a service that takes 300 ms each share one connection, one after the
    other, and all succeed."""
    srv = IcapServer(max_conn=1).start()
    try:
        p = tproxyd(icap_conf("s reqmod_precache %s" % srv.url("slow")))
        wait_up(p)
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            res = list(ex.map(lambda i: curl(p.port, origin.url(
                "/bytes/%d" % (100 + i))), range(4)))
        assert [r.status for r in res] == [200] * 4
        assert len(srv.records("REQMOD")) == 4
        assert srv.max_open == 1
    finally:
        srv.stop()


# --- lifecycle: client gone, workers, reconfiguration ----------------------

def test_client_leaves_mid_respmod(tproxyd, origin, icap_srv):
    """A client that closes in the middle of a streamed RESPMOD: the
    transaction and its connection are dropped (no pooling of a
    half-read answer), and the next request is served normally."""
    lines, sport = with_stats(icap_conf("s respmod_precache %s" %
                                        icap_srv.url("echo")))
    p = tproxyd(lines)
    wait_up(p)
    with RawClient(p.port) as c:
        c.send(get_req(origin.url("/bytes/%d" % (8 << 20))))
        c._fill()
        assert c.buf.startswith(b"HTTP/1.1 200")
    e = p.wait_access_url(origin.url("/bytes/%d" % (8 << 20)))
    assert e["code"].endswith("_ABORTED")
    r = curl(p.port, origin.url("/bytes/100000"))
    assert r.status == 200 and r.body_sha256 == body_sha256(100000)
    m = scrape_metrics(sport)
    # the dropped connection was not reused for the second request
    assert svc_metric(m, "connections", "s") == 2


def test_workers(tproxyd, origin, cicap):
    """workers 2: each worker has its services; /metrics sums them."""
    lines, sport = with_stats(icap_conf(
        "s reqmod_precache %s" % cicap.url("echo"), extra=["workers 2"]))
    p = tproxyd(lines)
    wait_for(lambda: cache_log(p).count("ICAP service s is up") == 2, 5,
             "both workers' services up")
    for i in range(6):
        assert curl(p.port, origin.url("/bytes/%d" % (i + 1))).status == 200
    assert svc_metric(scrape_metrics(sport), "requests", "s") == 6


def test_reconfigure_moves_the_service(tproxyd, origin, icap_srv):
    """-k reconfigure replaces the services: the next requests go to the
    new server (the old one's pooled connection is closed)."""
    other = IcapServer().start()
    try:
        p = tproxyd(icap_conf("s reqmod_precache %s" % icap_srv.url("nc")))
        wait_up(p)
        assert curl(p.port, origin.url("/bytes/1")).status == 200
        assert len(icap_srv.records("REQMOD")) == 1
        p.write_config(icap_conf("s reqmod_precache %s" %
                                 other.url("block")))
        assert p.run_k("reconfigure").returncode == 0
        wait_for(lambda: len(other.records("OPTIONS")) >= 1, 5,
                 "OPTIONS from the new configuration")
        wait_for(lambda: icap_srv.open == 0, 5,
                 "the old service's connections closed")
        r = curl(p.port, origin.url("/bytes/2"))
        assert r.status == 403
        assert len(icap_srv.records("REQMOD")) == 1
        assert len(other.records("REQMOD")) == 1
    finally:
        other.stop()


def test_no_preview_unless_the_service_asks(tproxyd, origin):
    """A service whose OPTIONS name no Preview gets none, whatever
    icap_preview_size says (Squid's rule)."""
    srv = IcapServer(preview=None).start()
    try:
        p = tproxyd(icap_conf("s respmod_precache %s" % srv.url("nc"),
                              extra=["icap_preview_size 512"]))
        wait_up(p)
        r = curl(p.port, origin.url("/bytes/3000"))
        assert r.status == 200 and r.body == body_bytes(3000)
        rec = srv.records("RESPMOD")[-1]
        assert rec["preview"] is None and rec["body_len"] == 3000
    finally:
        srv.stop()
