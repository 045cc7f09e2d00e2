# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_notify.py - tproxyd tells systemd how it is doing (Type=notify):
a fake $NOTIFY_SOCKET (a UNIX datagram socket of the test, as systemd's)
receives READY=1 only once the port accepts connections, RELOADING=1 with
MONOTONIC_USEC then READY=1 around -k reconfigure (also when the new file
has errors), STATUS= with the ports and connections, STOPPING=1 on
shutdown, WATCHDOG=1 every half of $WATCHDOG_USEC; with workers only the
master process sends, and only once every worker listens.

The sender of each message is checked with SO_PASSCRED (systemd's default
NotifyAccess=main drops messages from any other process).
"""

import os
import re
import signal
import socket
import struct
import threading
import time
import uuid

import pytest

from harness import wait_for

SO_PASSCRED = getattr(socket, "SO_PASSCRED", 16)
SCM_CREDENTIALS = getattr(socket, "SCM_CREDENTIALS", 2)


def listening_sockets(port):
    """How many TCP sockets listen on port (IPv4), from /proc/net/tcp."""
    n = 0
    with open("/proc/net/tcp") as f:
        for ln in f.readlines()[1:]:
            w = ln.split()
            if w[3] == "0A" and int(w[1].split(":")[1], 16) == port:
                n += 1
    return n


class FakeSystemd:
    """A bound datagram socket standing for systemd's notify socket; each
    message is stored as (time, sender pid, {key: value}, port_accepts),
    port_accepts: whether a TCP connection to `port` succeeded right when
    the message arrived."""

    def __init__(self, path=None, port=None):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if path is None:        # abstract, like systemd's own
            self.name = "@tproxyd-test-" + uuid.uuid4().hex
            self.sock.bind("\0" + self.name[1:])
        else:
            self.name = str(path)
            self.sock.bind(self.name)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_PASSCRED, 1)
        self.sock.settimeout(0.2)
        self.port = port
        self.msgs = []
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _accepts(self):
        if self.port is None:
            return None
        self.listeners_at_ready = listening_sockets(self.port)
        try:
            socket.create_connection(("127.0.0.1", self.port), 1).close()
            return True
        except OSError:
            return False

    def _run(self):
        while not self.stop:
            try:
                data, anc, _, _ = self.sock.recvmsg(4096, 256)
            except socket.timeout:
                continue
            except OSError:
                return
            pid = None
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == SCM_CREDENTIALS:
                    pid = struct.unpack("iII", cdata[:12])[0]
            kv = dict(ln.split("=", 1) for ln in
                      data.decode().splitlines() if "=" in ln)
            accepts = self._accepts() if "READY" in kv else None
            with self.lock:
                self.msgs.append((time.monotonic(), pid, kv, accepts))

    def with_key(self, key, value=None):
        with self.lock:
            return [m for m in self.msgs if key in m[2] and
                    (value is None or m[2][key] == value)]

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def fake_systemd(monkeypatch, tmp_path):
    made = []

    def make(port=None, path=None, watchdog_usec=None, watchdog_pid=None):
        f = FakeSystemd(path, port)
        made.append(f)
        monkeypatch.setenv("NOTIFY_SOCKET", f.name)
        if watchdog_usec is not None:
            monkeypatch.setenv("WATCHDOG_USEC", str(watchdog_usec))
        if watchdog_pid is not None:
            monkeypatch.setenv("WATCHDOG_PID", str(watchdog_pid))
        return f
    yield make
    for f in made:
        f.close()


def start_bg(t):
    """Start t without waiting for its port (the test watches it)."""
    import subprocess
    from harness import require_tproxyd
    t.proc = subprocess.Popen(
        [require_tproxyd(), "-N", "-d", "1", "-f", str(t.conf)],
        stdin=subprocess.DEVNULL, stdout=open(t.stdout, "wb"),
        stderr=open(t.stderr, "wb"), cwd=t.dir, start_new_session=True)
    return t


def test_ready_only_when_listening(tproxyd_conf, fake_systemd):
    t = tproxyd_conf()
    sd = fake_systemd(port=t.port)
    start_bg(t)
    wait_for(lambda: sd.with_key("READY", "1"), 10, "READY=1",
             show=t.diagnostics)
    first = sd.with_key("READY", "1")[0]
    assert first[3] is True, "READY=1 before the port accepted connections"
    assert first[1] == t.proc.pid, "sent by pid %s, not tproxyd (%d)" % (
        first[1], t.proc.pid)
    # The one-line status: ports and connections.
    wait_for(lambda: sd.with_key("STATUS"), 5, "STATUS=")
    assert sd.with_key("STATUS")[0][2]["STATUS"] == \
        "serving 1 port, 0 connections"
    c = socket.create_connection(("127.0.0.1", t.port), 5)
    try:
        wait_for(lambda: sd.with_key("STATUS",
                                     "serving 1 port, 1 connection"),
                 5, "STATUS with the open connection")
    finally:
        c.close()


def test_no_ready_when_port_cannot_open(tproxyd_conf, fake_systemd):
    """The port is taken: tproxyd exits 1 and never says READY=1."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        t = tproxyd_conf(["http_port 127.0.0.1:%d" % port], port=port)
        sd = fake_systemd()
        t.ok_status = (1,)
        start_bg(t)
        t.proc.wait(10)
        time.sleep(0.3)
        assert t.proc.returncode == 1
        assert not sd.with_key("READY"), sd.msgs
    finally:
        busy.close()


def test_reload_and_stop(tproxyd_conf, fake_systemd):
    t = tproxyd_conf()
    sd = fake_systemd(port=t.port)
    start_bg(t)
    wait_for(lambda: sd.with_key("READY", "1"), 10, "READY=1",
             show=t.diagnostics)
    before = time.monotonic()
    p = t.run_k("reconfigure")
    assert p.returncode == 0, p
    wait_for(lambda: len(sd.with_key("READY", "1")) >= 2, 10,
             "READY=1 after the reload", show=t.diagnostics)
    rel = sd.with_key("RELOADING", "1")
    assert len(rel) == 1, sd.msgs
    # MONOTONIC_USEC: CLOCK_MONOTONIC when the reload began (systemd
    # compares it with the reload request's time).
    usec = int(rel[0][2]["MONOTONIC_USEC"])
    assert before - 1 <= usec / 1e6 <= rel[0][0] + 0.01, (before, usec)
    ready2 = sd.with_key("READY", "1")[1]
    assert rel[0][0] <= ready2[0] and ready2[3] is True
    # A file with an error: the reload is refused, tproxyd says it runs
    # again (with the previous configuration).
    t.conf.write_text(t.conf.read_text() + "no_such_directive 1\n")
    t.signals_sent.add(signal.SIGHUP)
    os.kill(t.proc.pid, signal.SIGHUP)
    wait_for(lambda: len(sd.with_key("READY", "1")) >= 3, 10,
             "READY=1 after a refused reload", show=t.diagnostics)
    assert len(sd.with_key("RELOADING", "1")) == 2
    assert "still running with the previous one" in \
        t.cache_log.read_text()
    assert not sd.with_key("STOPPING")
    assert t.stop() == []
    # Sent before the exit; the test's reader may take it a moment later.
    wait_for(lambda: sd.with_key("STOPPING", "1"), 2, "STOPPING=1")
    stopping = sd.with_key("STOPPING", "1")
    assert len(stopping) == 1 and stopping[0][1] == t.proc.pid, sd.msgs


def test_watchdog(tproxyd_conf, fake_systemd):
    t = tproxyd_conf()
    sd = fake_systemd(port=t.port, watchdog_usec=400000)
    start_bg(t)
    wait_for(lambda: sd.with_key("READY", "1"), 10, "READY=1",
             show=t.diagnostics)
    time.sleep(1.5)
    n = len(sd.with_key("WATCHDOG", "1"))
    assert 4 <= n <= 10, "%d WATCHDOG=1 in 1.5 s (every 0.2 s expected)" % n


def test_watchdog_for_another_process(tproxyd_conf, fake_systemd):
    """WATCHDOG_PID names another process: no watchdog messages."""
    t = tproxyd_conf()
    sd = fake_systemd(port=t.port, watchdog_usec=200000, watchdog_pid=1)
    start_bg(t)
    wait_for(lambda: sd.with_key("READY", "1"), 10, "READY=1",
             show=t.diagnostics)
    time.sleep(1.0)
    assert not sd.with_key("WATCHDOG"), sd.msgs


def test_path_socket(tproxyd_conf, fake_systemd, tmp_path):
    """A socket named by a path (not abstract)."""
    t = tproxyd_conf()
    sd = fake_systemd(port=t.port, path=tmp_path / "notify")
    os.chmod(tmp_path / "notify", 0o777)
    start_bg(t)
    wait_for(lambda: sd.with_key("READY", "1"), 10, "READY=1",
             show=t.diagnostics)


def test_workers_master_says_ready(tproxyd_conf, fake_systemd):
    """workers 2: READY=1 from the master, once both workers accept."""
    t = tproxyd_conf(["workers 2"])
    sd = fake_systemd(port=t.port)
    start_bg(t)
    wait_for(lambda: sd.with_key("READY", "1"), 15, "READY=1",
             show=t.diagnostics)
    r = sd.with_key("READY", "1")[0]
    assert r[1] == t.proc.pid and r[3] is True, sd.msgs
    # Both workers had their own listening socket by then (SO_REUSEPORT).
    assert sd.listeners_at_ready == 2
    kids = [int(x) for x in open("/proc/%d/task/%d/children" %
                                 (t.proc.pid, t.proc.pid)).read().split()]
    assert len(kids) == 2
    p = t.run_k("reconfigure")
    assert p.returncode == 0
    wait_for(lambda: len(sd.with_key("READY", "1")) >= 2, 10,
             "READY=1 after the reload")
    assert t.stop() == []
    wait_for(lambda: sd.with_key("STOPPING", "1"), 2, "STOPPING=1")
    assert {m[1] for m in sd.msgs} == {t.proc.pid}, sd.msgs


def start_as_unit(t, journal=True):
    """Start t as tproxyd.service does (-N, no -d), its stderr a file
    standing for the journal stream: $JOURNAL_STREAM names that file's
    device and inode (or another file's when journal is False)."""
    import subprocess
    from harness import require_tproxyd
    err = open(t.stderr, "wb")
    st = os.fstat(err.fileno())
    env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (
        st.st_dev, st.st_ino + (0 if journal else 1)))
    t.proc = subprocess.Popen(
        [require_tproxyd(), "-N", "-f", str(t.conf)],
        stdin=subprocess.DEVNULL, stdout=open(t.stdout, "wb"), stderr=err,
        cwd=t.dir, start_new_session=True, env=env)
    return t


def test_journal(tproxyd_conf, fake_systemd):
    """Under systemd, cache.log's lines also reach the journal, each with
    its syslog priority ("<N>", sd-daemon(3)) and without the timestamp:
    notices at start, an error for a refused reload, warnings."""
    t = tproxyd_conf()
    sd = fake_systemd(port=t.port)
    start_as_unit(t)
    wait_for(lambda: sd.with_key("READY", "1"), 10, "READY=1",
             show=t.diagnostics)
    t.conf.write_text(t.conf.read_text() + "no_such_directive 1\n")
    t.signals_sent.add(signal.SIGHUP)
    os.kill(t.proc.pid, signal.SIGHUP)
    wait_for(lambda: len(sd.with_key("READY", "1")) >= 2, 10,
             "READY=1 after a refused reload")
    assert t.stop() == []
    lines = t.stderr.read_text().splitlines()
    cache = t.cache_log.read_text()
    assert "<5>kid1| Starting tproxyd version " in lines[0], lines[:3]
    assert "<3>kid1| ERROR: the new configuration has errors; still " \
        "running with the previous one" in lines, lines
    assert any(ln.startswith("<3>kid1| ERROR: ") and
               "no_such_directive" in ln for ln in lines), lines
    assert "<5>kid1| tproxyd is shutting down" in lines
    # Every line is a cache.log line, in the same order, minus the time.
    assert all(re.match(r"<[0-7]>kid1\| ", ln) for ln in lines), lines
    texts = [ln[3:] for ln in lines]
    in_file = [ln[20:] for ln in cache.splitlines()]
    assert texts == in_file, (texts, in_file)


def test_no_journal_elsewhere(tproxyd_conf, fake_systemd):
    """$JOURNAL_STREAM naming another file (stderr redirected by the
    administrator): nothing extra on stderr."""
    t = tproxyd_conf()
    sd = fake_systemd(port=t.port)
    start_as_unit(t, journal=False)
    wait_for(lambda: sd.with_key("READY", "1"), 10, "READY=1",
             show=t.diagnostics)
    assert t.stop() == []
    assert t.stderr.read_text() == ""
    assert "Starting tproxyd version" in t.cache_log.read_text()


def test_workers_watchdog(tproxyd_conf, fake_systemd):
    """workers 2: the master answers the watchdog, also while signals
    keep coming (reloads every 0.1 s)."""
    t = tproxyd_conf(["workers 2"])
    sd = fake_systemd(port=t.port, watchdog_usec=400000)
    start_bg(t)
    wait_for(lambda: sd.with_key("READY", "1"), 15, "READY=1",
             show=t.diagnostics)
    t0 = time.monotonic()
    t.signals_sent.add(signal.SIGHUP)
    while time.monotonic() - t0 < 1.5:
        os.kill(t.proc.pid, signal.SIGHUP)
        time.sleep(0.1)
    pings = [m for m in sd.with_key("WATCHDOG", "1") if m[0] >= t0]
    assert 4 <= len(pings) <= 10, len(pings)
    assert {m[1] for m in pings} == {t.proc.pid}
    assert t.stop() == []
