# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_accesslog_syslog.py - Squid's syslog forms of access_log (cf.data.pre,
access_log, module syslog: "Place: facility.priority"; Squid's
ModSyslog.cc also takes the LOG_ prefix and '|', either order, and
either part alone; priority info by default):

    access_log syslog
    access_log syslog:daemon.info squid
    access_log syslog:LOG_DAEMON|LOG_WARNING common

Each line is one syslog datagram "<PRI>Mmm dd hh:mm:ss tproxyd[PID]: LINE"
with PRI = facility | priority, LINE in the chosen format. Received two
ways: by a unix datagram socket the test binds (TPROXYD_SYSLOG_SOCKET, as
test_cachelog_syslog.py), and by a real journald, under the installed
tproxyd.service booted by systemd (systemd_boot.py), whose SYSLOG_FACILITY
and PRIORITY fields are its own reading of the datagram.
"""

import os
import re
import socket

import pytest

import harness
import netns
import systemd_boot
from harness import curl, parse_access_line

SYSLOG_RE = re.compile(r"^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d "
                       r"tproxyd\[(\d+)\]: (.*)$")
COMMON_RE = re.compile(
    r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
    r'"GET (\S+) HTTP/1\.1" 200 \d+ TCP_MISS:HIER_DIRECT$')

USER, DAEMON, LOCAL4, LOCAL7 = 1 << 3, 3 << 3, 20 << 3, 23 << 3
ERR, WARNING, NOTICE, INFO = 3, 4, 5, 6


@pytest.mark.parametrize("place,fmt,pri", [
    # Squid's default priority is info; tproxyd's default facility is
    # local4, the one cache_log syslog and Squid's -l documentation use.
    ("syslog", "", LOCAL4 | INFO),
    ("syslog:daemon.info", " squid", DAEMON | INFO),
    ("syslog:LOG_DAEMON|LOG_WARNING", " common", DAEMON | WARNING),
    ("syslog:notice.user", "", USER | NOTICE),          # either order
    ("syslog:local7", " logformat=squid", LOCAL7 | INFO),
    ("syslog:err", "", LOCAL4 | ERR),
])
def test_syslog_forms(tproxyd_conf, origin, tmp_path, monkeypatch, place,
                      fmt, pri):
    path = str(tmp_path / "log.sock")
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind(path)
    os.chmod(path, 0o666)
    rx.settimeout(5)
    monkeypatch.setenv("TPROXYD_SYSLOG_SOCKET", path)
    try:
        p = tproxyd_conf(["access_log %s%s" % (place, fmt)])
        p.start()
        u = origin.url("/bytes/9")
        assert curl(p.port, u).status == 200
        msg = rx.recv(65536).decode()
    finally:
        rx.close()
    m = SYSLOG_RE.match(msg)
    assert m, msg
    assert int(m.group(1)) == pri, (msg, pri)
    assert int(m.group(2)) == p.proc.pid, msg
    line = m.group(3)
    if "common" in fmt:
        c = COMMON_RE.match(line)
        assert c and c.group(1) == u, line
    else:
        e = parse_access_line(line)
        assert e and e["url"] == u and e["status"] == 200, line
        assert harness.elapsed_is_width6(line), line
    assert "\n" not in msg
    assert not p.access_log.exists()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`make install DESTDIR=ROOT` of this tree (PREFIX /usr/local)."""
    return systemd_boot.make_installed(tmp_path_factory.mktemp("root"))


class OneNs(netns.Topology):
    """A network namespace of its own for the booted container."""

    def __init__(self, prefix):
        super().__init__(prefix)
        self.ns = prefix + "-j"
        self.namespaces = [self.ns]

    def _setup(self):
        self._ip("netns", "add", self.ns)
        self._ip("-n", self.ns, "link", "set", "lo", "up")


def test_syslog_under_the_unit_reaches_journald(installed, tmp_path,
                                                run_prefix):
    """tproxyd.service as installed (its sandbox: private /dev, address
    families) with `access_log syslog:daemon.info squid`: journald gets
    each line with facility daemon (3) and priority info (6), tagged
    tproxyd, in Squid's native format."""
    t = OneNs(run_prefix + "j%d" % (os.getpid() % 1000)).setup()
    box = None
    try:
        conf = installed / "usr/local/etc/tproxyd/tproxyd.conf"
        conf.unlink()
        conf.write_text("\n".join([
            "http_port 3128", "http_access allow all",
            "access_log syslog:daemon.info squid",
            "cache_log /var/log/tproxyd/cache.log",
            "pid_filename /run/tproxyd/tproxyd.pid",
            "dns_nameservers 127.0.0.1"]) + "\n")
        etc = tmp_path / "etc"
        d = etc / "systemd/system/tproxyd.service.d"
        d.mkdir(parents=True)
        box = systemd_boot.Booted(installed, etc, t.ns,
                                  log=tmp_path / "nspawn.log")
        box.boot()
        p = box.run(["systemctl", "start", "tproxyd"])
        assert p.returncode == 0, p.stderr
        # Nothing listens on 127.0.0.1:9 in the namespace: tproxyd
        # answers 503 itself, and logs the request.
        r = t.run(t.ns, ["curl", "-s", "-o", "/dev/null", "-w",
                         "%{http_code}", "-x", "http://127.0.0.1:3128",
                         "--max-time", "10", "http://127.0.0.1:9/jrnl"])
        assert r.stdout == "503", r

        def entries():
            out = box.run(["journalctl", "-b", "-t", "tproxyd",
                           "-o", "export", "--no-pager"]).stdout
            recs, cur = [], {}
            for ln in out.splitlines():
                if not ln:
                    if cur:
                        recs.append(cur)
                    cur = {}
                elif "=" in ln:
                    k, v = ln.split("=", 1)
                    cur[k] = v
            if cur:
                recs.append(cur)
            return [e for e in recs if "/jrnl" in e.get("MESSAGE", "")]
        assert harness.poll(lambda: entries(), 10), box.run(
            ["journalctl", "-b", "--no-pager", "-n", "30"]).stdout
        e = entries()[0]
        assert e["SYSLOG_FACILITY"] == "3" and e["PRIORITY"] == "6", e
        assert e["SYSLOG_IDENTIFIER"] == "tproxyd", e
        a = parse_access_line(e["MESSAGE"])
        assert a and a["url"] == "http://127.0.0.1:9/jrnl", e["MESSAGE"]
        assert a["status"] == 503, e["MESSAGE"]
        assert box.run(["systemctl", "stop", "tproxyd"]).returncode == 0
        assert box.poweroff() == 0
    finally:
        if box:
            box.kill()
        t.cleanup()
