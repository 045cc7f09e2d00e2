# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_accesslog_start.py - an access_log file that cannot be opened at
start-up stops tproxyd (Squid's on-error=die, the default) with a FATAL
naming the line, instead of serving without the log that was asked for;
on-error=drop starts without it (cache.log says so). With workers, the
master does not tell systemd it is ready when the workers cannot start.
"""

import re
import socket
import subprocess
import time

from harness import curl, require_tproxyd


def start(t, env=None):
    t.proc = subprocess.Popen(
        [require_tproxyd(), "-N", "-d", "1", "-f", str(t.conf)],
        stdin=subprocess.DEVNULL, stdout=open(t.stdout, "wb"),
        stderr=open(t.stderr, "wb"), cwd=t.dir, start_new_session=True,
        env=env)
    return t


def test_unwritable_access_log_is_fatal(tproxyd_conf, tmp_path):
    d = tmp_path / "a-directory"
    d.mkdir()
    t = tproxyd_conf(["access_log stdio:%s squid" % d])
    t.ok_status = (1,)
    start(t)
    assert t.proc.wait(10) == 1
    err = t.stderr.read_text()
    line = [n for n, ln in enumerate(t.conf.read_text().splitlines(), 1)
            if ln.startswith("access_log")][0]
    want = ("tproxyd: FATAL: %s:%d: cannot open access_log %s for writing "
            "(add on-error=drop to start without it)" % (t.conf, line, d))
    assert want in err, err
    assert "FATAL: %s:%d: cannot open access_log" % (t.conf, line) in \
        t.cache_log.read_text()
    # Nothing listened meanwhile.
    s = socket.socket()
    assert s.connect_ex(("127.0.0.1", t.port)) != 0
    s.close()


def test_on_error_drop_starts(tproxyd_conf, origin, tmp_path):
    d = tmp_path / "a-directory"
    d.mkdir()
    t = tproxyd_conf(["access_log stdio:%s on-error=drop squid" % d,
                      "access_log %s" % t_log(tmp_path)])
    t.start()
    r = curl(t.port, origin.url("/x"))
    assert r.status == 200, r
    assert re.search(r"WARNING: cannot open access_log %s " % d,
                     t.cache_log.read_text())
    # The other access_log still logs.
    deadline = time.monotonic() + 5
    while "/x" not in (tmp_path / "ok.log").read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def t_log(tmp_path):
    p = tmp_path / "ok.log"
    p.write_text("")
    p.chmod(0o666)
    return p


def test_workers_no_ready(tproxyd_conf, tmp_path, monkeypatch):
    """workers 2 and an access_log that cannot be opened: the workers stop
    at start, the master gives up, and systemd is never told READY=1."""
    d = tmp_path / "a-directory"
    d.mkdir()
    t = tproxyd_conf(["workers 2", "access_log stdio:%s squid" % d])
    t.ok_status = (0, 1)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = "\0tproxyd-test-%d" % t.port
    sock.bind(name)
    sock.settimeout(0.2)
    monkeypatch.setenv("NOTIFY_SOCKET", "@" + name[1:])
    start(t)
    got = []
    deadline = time.monotonic() + 20
    while t.proc.poll() is None and time.monotonic() < deadline:
        try:
            got.append(sock.recv(4096).decode())
        except socket.timeout:
            pass
    sock.close()
    assert t.proc.poll() is not None, "the master did not give up"
    assert not any("READY=1" in m for m in got), got
    assert "workers keep dying at start" in t.cache_log.read_text()
