# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_cachelog_syslog.py - cache_log syslog:FACILITY sends cache.log's lines
to the system log (here a datagram socket of the test, named by
TPROXYD_SYSLOG_SOCKET as for access_log's syslog), each as a syslog
message "<PRI>Mmm dd hh:mm:ss tproxyd[PID]: kid1| text" whose priority
follows the line (notice, error, ...), instead of writing a file named
"syslog:..." where tproxyd started.
"""

import os
import re
import signal
import socket
import time

from harness import wait_for

LOG_DAEMON = 3 << 3
LOG_LOCAL4 = 20 << 3


def listen(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    os.chmod(str(path), 0o666)
    s.settimeout(0.1)
    got = []

    def drain():
        while True:
            try:
                got.append(s.recv(8192).decode())
            except socket.timeout:
                return got
    return s, drain


def test_cache_log_syslog(tproxyd_conf, tmp_path, monkeypatch):
    path = tmp_path / "log.sock"
    s, drain = listen(path)
    monkeypatch.setenv("TPROXYD_SYSLOG_SOCKET", str(path))
    t = tproxyd_conf(["cache_log syslog:daemon.info"])
    t.start()
    wait_for(lambda: any("Starting tproxyd version" in m for m in drain()),
             5, "the start-up line in the system log")
    t.conf.write_text(t.conf.read_text() + "no_such_directive 1\n")
    t.signals_sent.add(signal.SIGHUP)
    os.kill(t.proc.pid, signal.SIGHUP)
    wait_for(lambda: any("still running with the previous one" in m
                         for m in drain()), 5, "the refused reload's error")
    assert t.stop() == []
    msgs = drain()
    s.close()
    rx = re.compile(r"<(\d+)>[A-Z][a-z][a-z] [ \d]\d \d\d:\d\d:\d\d "
                    r"tproxyd\[(\d+)\]: kid1\| (.*)$")
    parsed = []
    for m in msgs:
        g = rx.match(m)
        assert g, m
        assert int(g.group(2)) == t.proc.pid
        parsed.append((int(g.group(1)), g.group(3)))
    start = [p for p in parsed if p[1].startswith("Starting tproxyd")]
    assert start and start[0][0] == LOG_DAEMON | 5, parsed     # notice
    err = [p for p in parsed if p[1].startswith("ERROR: the new config")]
    assert err and err[0][0] == LOG_DAEMON | 3, parsed         # err
    # No file named after the syslog form.
    assert not [f for f in os.listdir(t.dir) if f.startswith("syslog")]


def test_cache_log_syslog_default_facility(tproxyd_conf, tmp_path,
                                           monkeypatch):
    """cache_log syslog: local4, the facility of Squid's -s."""
    path = tmp_path / "log.sock"
    s, drain = listen(path)
    monkeypatch.setenv("TPROXYD_SYSLOG_SOCKET", str(path))
    t = tproxyd_conf(["cache_log syslog"])
    t.start()
    got = []
    deadline = time.monotonic() + 5
    while not any("Starting tproxyd" in m for m in got):
        assert time.monotonic() < deadline, got
        got += drain()
    assert t.stop() == []
    s.close()
    line = [m for m in got if "Starting tproxyd" in m][0]
    assert line.startswith("<%d>" % (LOG_LOCAL4 | 5)), line
