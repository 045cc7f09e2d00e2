# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_logformats.py - access.log as Squid users configure it: logformat,
several access_log lines with their own formats and ACLs, the modules
(stdio, daemon, syslog, udp, tcp, none), strip_query_terms, -k rotate and
debug_options. Every receiver is started by the test on loopback; every
wait is bounded.
"""

import os
import re
import socket
import threading
import time

from harness import curl, parse_access_line, poll

COMMON_RE = re.compile(
    r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
    r'"GET (?P<url>\S+) HTTP/1\.1" (?P<status>\d{3}) (?P<bytes>\d+) '
    r'TCP_MISS:HIER_DIRECT$')


def read_lines(path):
    try:
        return [ln for ln in path.read_text().splitlines() if ln]
    except FileNotFoundError:
        return []


def wait_lines(path, n, timeout=5.0):
    """The file's lines once it has at least n (the daemon writes its
    buffers at least once a second)."""
    poll(lambda: len(read_lines(path)) >= n, timeout)
    return read_lines(path)


def test_formats_lines_and_acls(tproxyd_conf, origin):
    """Three access_log lines: everything in the squid format, the tagged
    request in a logformat of its own (stdio and daemon write the same
    way), the other ones in Squid's common format. The query string of
    every URL is cut after the '?' (strip_query_terms is on by default)."""
    p = tproxyd_conf()
    d = p.dir
    p.write_config([
        "acl tagged urlpath_regex ^/bytes/2",
        "logformat mine %>a|%rm|%ru|%>ru|%>Hs|%{X-Tag}>h|%<st|"
        "%\"{User-Agent}>h|%-5rm|",
        "access_log stdio:%s/all.log squid" % d,
        "access_log daemon:%s/mine.log logformat=mine tagged" % d,
        "access_log %s/common.log common !tagged" % d,
    ])
    p.start()
    r1 = curl(p.port, origin.url("/bytes/1?secret=s1"),
              args=("-A", "tpx test"))
    r2 = curl(p.port, origin.url("/bytes/2?token=s2"),
              args=("-H", "X-Tag: t2", "-A", "tpx test"))
    assert r1.status == 200 and r2.status == 200
    every = wait_lines(d / "all.log", 2)
    mine = wait_lines(d / "mine.log", 1)
    common = wait_lines(d / "common.log", 1)
    time.sleep(1.2)     # a line sent to the wrong file would be out now
    assert len(read_lines(d / "all.log")) == 2, every
    e = [parse_access_line(ln) for ln in every]
    assert all(e), every
    assert [x["url"] for x in e] == [origin.url("/bytes/1?"),
                                     origin.url("/bytes/2?")], every
    assert read_lines(d / "mine.log") == [
        "127.0.0.1|GET|%s|%s|200|t2|%d|tpx test|GET  |" % (
            origin.url("/bytes/2?"), origin.url("/bytes/2?token=s2"),
            e[1]["bytes"])]
    assert len(read_lines(d / "common.log")) == 1, common
    m = COMMON_RE.match(common[0])
    assert m, common
    assert m.group("url") == origin.url("/bytes/1?"), common
    assert int(m.group("bytes")) == e[0]["bytes"], (common, every)
    for f in ("all.log", "common.log"):
        assert "secret" not in (d / f).read_text()
        assert "s2" not in (d / f).read_text()


def test_strip_query_terms_off(tproxyd, origin):
    p = tproxyd(["strip_query_terms off"])
    assert curl(p.port, origin.url("/bytes/3?a=1&b=2")).status == 200
    e = p.wait_access_url(origin.url("/bytes/3?a=1&b=2"))
    assert e["code"] == "TCP_MISS", e


def test_access_log_none_with_acl(tproxyd_conf, origin):
    """`access_log none ACL` first: matching requests are not logged by
    the lines after it, the others are."""
    p = tproxyd_conf()
    p.write_config(["acl quiet urlpath_regex ^/bytes/5",
                    "access_log none quiet",
                    "access_log %s" % p.access_log])
    p.start()
    assert curl(p.port, origin.url("/bytes/5")).status == 200
    assert curl(p.port, origin.url("/bytes/6")).status == 200
    p.wait_access_url(origin.url("/bytes/6"))
    time.sleep(1.2)
    urls = [x["url"] for x in p.access_entries()]
    assert urls == [origin.url("/bytes/6")], urls


def test_syslog(tproxyd_conf, origin, tmp_path, monkeypatch):
    """syslog:local3.notice: one datagram per line, priority
    local3 * 8 + notice = 157, tagged tproxyd[PID]. The daemon's syslog
    socket is pointed at one this test binds (TPROXYD_SYSLOG_SOCKET; the
    default is /dev/log)."""
    path = str(tmp_path / "log.sock")
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind(path)
    os.chmod(path, 0o666)
    rx.settimeout(5)
    monkeypatch.setenv("TPROXYD_SYSLOG_SOCKET", path)
    try:
        p = tproxyd_conf(["access_log syslog:local3.notice"])
        p.start()
        assert curl(p.port, origin.url("/bytes/7?q=x")).status == 200
        msg = rx.recv(65536).decode()
    finally:
        rx.close()
    m = re.match(r"^<157>\w{3} [ \d]\d \d\d:\d\d:\d\d tproxyd\[(\d+)\]: "
                 r"(.*)$", msg)
    assert m, msg
    assert int(m.group(1)) == p.proc.pid, msg
    e = parse_access_line(m.group(2))
    assert e and e["url"] == origin.url("/bytes/7?"), msg
    assert not p.access_log.exists()


def test_udp(tproxyd, origin):
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(5)
    port = rx.getsockname()[1]
    try:
        p = tproxyd(["access_log udp://127.0.0.1:%d common" % port])
        for i in range(3):
            assert curl(p.port, origin.url("/bytes/%d" % i)).status == 200
        got = [rx.recv(65536).decode() for _ in range(3)]
    finally:
        rx.close()
    for i, dgram in enumerate(got):
        assert dgram.endswith("\n") and dgram.count("\n") == 1, got
        m = COMMON_RE.match(dgram.rstrip("\n"))
        assert m and m.group("url") == origin.url("/bytes/%d" % i), got


class TcpReceiver:
    """Accepts connections on a loopback port and collects the lines."""

    def __init__(self, port=0):
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", port))
        self.port = self.srv.getsockname()[1]
        self.data = b""
        self.conns = 0
        self.stopped = False

    def start(self):
        self.srv.listen(4)
        self.srv.settimeout(0.2)
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()
        return self

    def run(self):
        while not self.stopped:
            try:
                c, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.conns += 1
            c.settimeout(0.2)
            while not self.stopped:
                try:
                    b = c.recv(65536)
                except socket.timeout:
                    continue
                if not b:
                    break
                self.data += b
            c.close()

    def lines(self):
        return [ln for ln in self.data.decode().split("\n") if ln]

    def stop(self):
        self.stopped = True
        self.t.join(5)
        self.srv.close()


def test_tcp_receiver_down_then_up(tproxyd, origin):
    """The receiver is not there when tproxyd starts: requests are
    served at once (the log never blocks them), the lines wait in the
    buffer, and reach the receiver once it listens (reconnection with
    back-off: 1 s, 2 s, ...). cache.log says it was down, then how many
    lines were dropped (none here)."""
    rx = TcpReceiver()      # bound, not listening: connections refused
    try:
        p = tproxyd(["access_log tcp://127.0.0.1:%d squid" % rx.port])
        t0 = time.monotonic()
        for i in range(2):
            assert curl(p.port, origin.url("/bytes/%d" % i)).status == 200
        assert time.monotonic() - t0 < 5
        rx.start()
        assert curl(p.port, origin.url("/bytes/2")).status == 200
        poll(lambda: len(rx.lines()) >= 3, 12)
        lines = rx.lines()
    finally:
        rx.stop()
    urls = [parse_access_line(ln)["url"] for ln in lines]
    assert urls == [origin.url("/bytes/%d" % i) for i in range(3)], lines
    log = p.cache_log.read_text()
    assert "access_log tcp://127.0.0.1:%d" % rx.port in log, log
    assert "connected; 0 lines were dropped" in log, log


def test_tcp_debug_options_level0(tproxyd, origin):
    """debug_options ALL,0: the level-1 note 'connected' is not written
    to cache.log, the level-0 warning is."""
    rx = TcpReceiver()
    try:
        p = tproxyd(["debug_options ALL,0 33,2",
                     "access_log tcp://127.0.0.1:%d squid" % rx.port])
        assert curl(p.port, origin.url("/bytes/1")).status == 200
        rx.start()
        poll(lambda: len(rx.lines()) >= 1, 12)
        assert len(rx.lines()) == 1, rx.lines()
    finally:
        rx.stop()
    log = p.cache_log.read_text()
    assert "WARNING: access_log tcp://" in log, log
    assert "connected;" not in log, log


def test_rotate_reopens(tproxyd, origin):
    p = tproxyd()
    assert curl(p.port, origin.url("/bytes/1")).status == 200
    p.wait_access_url(origin.url("/bytes/1"))
    old = p.dir / "access.log.0"
    os.rename(p.access_log, old)
    r = p.run_k("rotate")
    assert r.returncode == 0, r.stderr
    time.sleep(0.3)
    assert curl(p.port, origin.url("/bytes/2")).status == 200
    p.wait_access_url(origin.url("/bytes/2"))
    assert [x["url"] for x in p.access_entries()] == [
        origin.url("/bytes/2")]
    assert [parse_access_line(ln)["url"] for ln in read_lines(old)] == [
        origin.url("/bytes/1")]
