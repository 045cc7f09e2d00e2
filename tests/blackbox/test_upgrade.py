# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_upgrade.py - `tproxyd -k upgrade` (issue 18): a new program takes over
the listening sockets of the running one without a refused or failed
connection, in the same process (same pid), while the previous version
finishes its transfers in a child process and exits.

The daemon runs from a copy of build/tproxyd in the test's directory; the
"new version" is another copy whose version string is patched (same
length), renamed over the first as a package upgrade does.

Under load (keep-alive clients, clients opening a new connection per
request, and a 20 MiB download read at 4 MB/s that is in flight across the
upgrade) every request must succeed: the counts are printed as
"UPGRADE FIGURES" (pytest -s shows them).
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import harness
from harness import curl, poll, wait_for
from origin import body_sha256

LONG = 20 * 1024 * 1024


def version_of(binary):
    out = subprocess.run([str(binary), "-v"], capture_output=True,
                         text=True, timeout=10).stdout
    m = re.search(r"tproxyd version (\S+)", out)
    assert m, out
    return m.group(1)


def patched_copy(src, dst, old, new):
    """A copy of the program src at dst reporting version new instead of
    old (same length: the string is replaced in place)."""
    assert len(old) == len(new)
    data = Path(src).read_bytes()
    n = 0
    for before in (b"\0", b"/"):
        pat = before + old.encode() + b"\0"
        n += data.count(pat)
        data = data.replace(pat, before + new.encode() + b"\0")
    assert n > 0, "version string %r not found in %s" % (old, src)
    Path(dst).write_bytes(data)
    os.chmod(dst, 0o755)
    assert version_of(dst) == new


class CopyTproxyd(harness.Tproxyd):
    """A harness daemon running from its own copy of the program, in
    DIR/bin/tproxyd (so that the test can replace the file)."""

    def __init__(self, dir, lines=(), **kw):
        super().__init__(dir, lines, **kw)
        self.bindir = self.dir / "bin"
        self.bindir.mkdir(exist_ok=True)
        os.chmod(self.bindir, 0o755)
        self.bin = self.bindir / "tproxyd"
        shutil.copy2(harness.require_tproxyd(), self.bin)

    def start(self, timeout=10.0):
        real = harness.require_tproxyd
        harness.require_tproxyd = lambda: str(self.bin)
        try:
            return super().start(timeout)
        finally:
            harness.require_tproxyd = real

    def install(self, new_program):
        """Put new_program in place as dpkg does: rename over the file."""
        tmp = self.bindir / "tproxyd.dpkg-new"
        shutil.copy2(new_program, tmp)
        os.rename(tmp, self.bin)

    def upgrade(self):
        """`tproxyd -k upgrade` with the installed program."""
        self.signals_sent.add(signal.SIGUSR2)
        return subprocess.run([str(self.bin), "-k", "upgrade", "-f",
                               str(self.conf)], capture_output=True,
                              text=True, timeout=15)

    def log(self):
        try:
            return self.cache_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""


@pytest.fixture
def make_daemon(tmp_path):
    """make_daemon(lines) starts a CopyTproxyd; every one is stopped (and
    checked, as the harness's tproxyd fixture does) at the end, also when
    the test fails half-way."""
    made = []

    def make(lines, name="d", port=None):
        d = CopyTproxyd(tmp_path / name, list(lines) + [
            "shutdown_lifetime 30 seconds"], port=port)
        made.append(d)
        d.start()
        return d
    yield make
    problems = []
    for d in made:
        problems += d.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


class Load:
    """Bounded load through the proxy until stop(): keep-alive clients
    (http.client, one connection reused), and clients opening a new
    connection per request. Every response is checked (status, length,
    X-Sha256 against the body)."""

    SIZE = 3000

    def __init__(self, port, origin, keepalive=6, fresh=4):
        self.port = port
        self.url = origin.url("/bytes/%d" % self.SIZE)
        self.sha = body_sha256(self.SIZE)
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.ok = 0
        self.failed = []           # (kind, text)
        self.refused = 0
        self.reset = 0
        self.conns = 0
        self.threads = [threading.Thread(target=self._run, args=(ka,))
                        for ka in [True] * keepalive + [False] * fresh]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _one(self, conn):
        conn.request("GET", self.url,
                     headers={} if conn.keep else {"Connection": "close"})
        r = conn.getresponse()
        body = r.read()
        if (r.status != 200 or len(body) != self.SIZE or
                r.getheader("X-Sha256") != self.sha):
            raise AssertionError("status %d, %d bytes" % (r.status,
                                                          len(body)))
        return r.getheader("Connection", "").lower() == "close"

    def _run(self, keep):
        conn = None
        while not self.done.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                      timeout=10)
                    conn.keep = keep
                    conn.nreq = 0
                    conn.connect()
                    with self.lock:
                        self.conns += 1
                closing = self._one(conn)
                conn.nreq += 1
                with self.lock:
                    self.ok += 1
                if closing or not keep:
                    conn.close()
                    conn = None
            except ConnectionRefusedError as e:
                with self.lock:
                    self.refused += 1
                    self.failed.append(("refused", repr(e)))
                conn = None
            except ConnectionResetError as e:
                with self.lock:
                    self.reset += 1
                    self.failed.append(("reset", "%r (request %d on its "
                                        "connection, %s, at %.3f)" % (
                                            e, conn.nreq if conn else -1,
                                            "keep-alive" if keep else
                                            "new each time", time.time())))
                conn = None
            except Exception as e:         # noqa: BLE001 - counted
                with self.lock:
                    self.failed.append(("other", repr(e)))
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(20)

    def figures(self):
        return ("requests=%d failed=%d refused=%d reset=%d connections=%d" %
                (self.ok, len(self.failed), self.refused, self.reset,
                 self.conns))


def long_download(port, origin, out):
    """The 20 MiB body read at 4 MB/s by curl (about 5 s), in a thread."""
    t = threading.Thread(target=lambda: out.append(curl(
        port, origin.url("/bytes/%d" % LONG), args=["--limit-rate", "4M"],
        max_time=40)))
    t.start()
    return t


def drainer_pid(d):
    m = re.search(r"Upgrade: version \S+ goes on in pid (\d+)", d.log())
    return int(m.group(1)) if m else None


def kids(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def upgrade_under_load(make_daemon, tmp_path, origin, lines, label):
    """The load test: start, load, replace the file, -k upgrade, check."""
    d = make_daemon(lines)
    pid = d.proc.pid
    workers = any(ln.startswith("workers") for ln in lines)
    if workers:
        assert poll(lambda: len(kids(pid)) == 2, 5), kids(pid)
    first_kids = kids(pid)
    old = version_of(d.bin)
    new = "9.9.9" if old != "9.9.9" else "8.8.8"
    patched_copy(d.bin, tmp_path / "tproxyd-new", old, new)
    load = Load(d.port, origin).start()
    big = []
    big_t = long_download(d.port, origin, big)
    try:
        assert poll(lambda: load.ok >= 50, 10), load.figures()
        time.sleep(1.0)                 # the download is under way
        d.install(tmp_path / "tproxyd-new")
        r = d.upgrade()
        # The command returns once the new program serves, and says so.
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert "pid %d runs version %s now" % (pid, new) in r.stdout, \
            (r.stdout, r.stderr)
        assert "Starting tproxyd version %s" % new in d.log()
        if workers:
            # The previous workers drain once the new ones serve.
            wait_for(lambda: "Upgrade: the new workers serve" in d.log(),
                     10, "the new workers", show=d.diagnostics)
            old_pids = first_kids
            done = "a previous worker (pid %d) finished"
        else:
            wait_for(lambda: drainer_pid(d) is not None, 5, "the drainer",
                     show=d.diagnostics)
            old_pids = [drainer_pid(d)]
            done = "the previous version (pid %d) finished"
        # The long transfer is still in flight, in the old version.
        assert big_t.is_alive(), "the download ended before the upgrade"
        assert any(os.path.exists("/proc/%d" % o) for o in old_pids)
        before = load.ok
        assert poll(lambda: load.ok >= before + 200, 15), load.figures()
    finally:
        load.stop()
        big_t.join(60)
    print("\nUPGRADE FIGURES (%s): %s; 20 MiB download %s%s" %
          (label, load.figures(),
           "byte-exact" if big and big[0].rc == 0 and
           big[0].body_sha256 == body_sha256(LONG) else "FAILED",
           "".join("\n  %s: %s" % f for f in load.failed[:10])))
    assert load.failed == [], (load.figures(), load.failed[:10])
    assert load.refused == 0 and load.reset == 0
    assert big and big[0].rc == 0 and big[0].status == 200, big
    assert big[0].body_len == LONG
    assert big[0].body_sha256 == body_sha256(LONG)
    # The old version finished and was reaped by the new one.
    for o in old_pids:
        wait_for(lambda: done % o in d.log(), 40, "the old process's exit",
                 show=d.diagnostics)
        assert not os.path.exists("/proc/%d" % o)
    # Same process, running the new file.
    assert d.alive() and d.proc.pid == pid
    assert int(d.pid_file.read_text()) == pid
    assert os.readlink("/proc/%d/exe" % pid) == str(d.bin)
    if workers:
        now = kids(pid)
        assert len(now) == 2 and not set(now) & set(first_kids), now
        for k in now:
            assert os.readlink("/proc/%d/exe" % k) == str(d.bin)
    r = curl(d.port, origin.url("/bytes/100"))
    assert r.status == 200
    assert d.stop() == []


def test_upgrade_under_load_loses_nothing(make_daemon, tmp_path, origin):
    upgrade_under_load(make_daemon, tmp_path, origin, [], "single process")


def test_upgrade_with_workers_under_load_loses_nothing(make_daemon,
                                                       tmp_path, origin):
    upgrade_under_load(make_daemon, tmp_path, origin, ["workers 2"],
                       "workers 2")


def test_upgrade_keeps_old_on_broken_config(make_daemon, tmp_path, origin):
    d = make_daemon([])
    pid = d.proc.pid
    good = d.conf.read_text()
    d.conf.write_text(good + "no_such_directive 1\n")
    # The command checks first and says so.
    r = d.upgrade()
    assert r.returncode == 1 and "has errors" in r.stderr, r.stderr
    # The signal alone (e.g. kill -USR2): the daemon checks too.
    d.signals_sent.add(signal.SIGUSR2)
    os.kill(pid, signal.SIGUSR2)
    wait_for(lambda: "has errors; not upgrading" in d.log(), 10,
             "the refusal in cache.log", show=d.diagnostics)
    assert d.alive() and d.log().count("Starting tproxyd version") == 1
    assert curl(d.port, origin.url("/bytes/10")).status == 200
    # A new program that cannot read the file (here: one that fails):
    # refused as well, the old one keeps serving.
    d.conf.write_text(good)
    bad = tmp_path / "broken"
    bad.write_text("#!/bin/sh\necho 'cannot start' >&2\nexit 3\n")
    os.chmod(bad, 0o755)
    d.install(bad)
    os.kill(pid, signal.SIGUSR2)
    wait_for(lambda: "-k parse exited with status 3" in d.log(), 10,
             "the refusal of the broken program", show=d.diagnostics)
    assert "-k upgrade: cannot start" in d.log()
    assert d.alive() and d.log().count("Starting tproxyd version") == 1
    assert curl(d.port, origin.url("/bytes/10")).status == 200
    assert d.stop() == []


def test_upgrade_reconciles_ports_and_survives_repeats(make_daemon,
                                                      tmp_path, origin):
    """The new configuration's ports: one kept (the same socket), one added
    (opened), one removed (closed: refused); and -k upgrade signalled over
    and over (some arriving while the new program starts) leaves tproxyd
    serving in the same process."""
    main, gone, added = (harness.free_port(), harness.free_port(),
                         harness.free_port())
    d = make_daemon(["http_port 127.0.0.1:%d" % main,
                     "http_port 127.0.0.1:%d" % gone], port=main)
    pid = d.proc.pid
    assert curl(gone, origin.url("/bytes/10")).status == 200
    d.write_config(["http_port 127.0.0.1:%d" % main,
                    "http_port 127.0.0.1:%d" % added,
                    "shutdown_lifetime 30 seconds"])
    assert d.upgrade().returncode == 0
    wait_for(lambda: d.log().count("Running as") == 2, 10,
             "the new program", show=d.diagnostics)
    assert poll(lambda: gone not in harness.listening_ports(), 5)
    assert added in harness.listening_ports()
    assert curl(added, origin.url("/bytes/10")).status == 200
    assert curl(main, origin.url("/bytes/10")).status == 200
    s = socket.socket()
    try:
        s.settimeout(2)
        refused = s.connect_ex(("127.0.0.1", gone)) != 0
    finally:
        s.close()
    assert refused
    # A signal every 10 ms for 0.4 s: some land while the new program
    # starts (before its handlers exist), where SIGUSR2's default action
    # would end the process.
    d.signals_sent.add(signal.SIGUSR2)
    for _ in range(40):
        os.kill(pid, signal.SIGUSR2)
        time.sleep(0.01)
    wait_for(lambda: d.log().count("Running as") >= 3, 10,
             "the repeated upgrades", show=d.diagnostics)
    n = -1
    while n != d.log().count("Running as"):    # until they are all done
        n = d.log().count("Running as")
        time.sleep(1)
    assert d.alive() and d.proc.pid == pid, d.diagnostics()
    assert curl(main, origin.url("/bytes/10")).status == 200


GRE = ["wccp2_router 127.0.0.1", "wccp2_forwarding_method gre",
       "wccp2_return_method gre", "wccp2_service dynamic 80",
       "wccp2_service_info 80 protocol=tcp flags=src_ip_hash "
       "priority=240 ports=80"]


def test_upgrade_with_wccp_gre(make_daemon, origin):
    """WCCPv2 GRE forwarding's raw socket and TUN device are made while
    privileged: the new program takes them over (the device stays the
    same). Turning GRE forwarding on by an upgrade is refused (it needs
    the privileges given up at start-up), the old program serves on.
    (The data plane across an upgrade: test_wccp2_data.py's upgrade_case.)"""
    d = make_daemon(GRE)
    pid = d.proc.pid
    wait_for(lambda: "GRE forwarding: decapsulating" in d.log(), 10,
             "GRE forwarding", show=d.diagnostics)
    idx = socket.if_nametoindex("tpxwccp0")
    r = d.upgrade()
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "Upgrade: WCCPv2 GRE forwarding goes on with the previous " \
        "version's raw socket and tpxwccp0" in d.log()
    assert d.alive() and d.proc.pid == pid
    assert socket.if_nametoindex("tpxwccp0") == idx
    assert curl(d.port, origin.url("/bytes/10")).status == 200
    assert d.stop() == []

    d = make_daemon([], name="d2")
    pid = d.proc.pid
    d.conf.write_text(d.conf.read_text() + "\n".join(GRE) + "\n")
    r = d.upgrade()
    assert r.returncode == 1 and "not upgraded: turning WCCPv2 GRE " \
        "forwarding on needs privileges" in r.stderr, (r.stdout, r.stderr)
    assert d.alive() and d.proc.pid == pid
    assert d.log().count("Starting tproxyd version") == 1
    assert curl(d.port, origin.url("/bytes/10")).status == 200


def test_upgrade_command_says_why_not(make_daemon, tmp_path, origin):
    """`tproxyd -k upgrade` waits for the running tproxyd's answer: the
    reason of a refusal on stderr and exit status 1, whatever other
    processes send it; a second command while one waits is refused."""
    d = make_daemon([])
    pid = d.proc.pid
    where = "\0tproxyd-upgrade-%d" % pid
    # Another local process pretending to be tproxyd is not listened to.
    stop = threading.Event()

    def forge():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        while not stop.wait(0.02):
            try:
                s.sendto(b"ok 6.6.6", where)
            except OSError:
                pass
        s.close()
    t = threading.Thread(target=forge, daemon=True)
    t.start()
    try:
        # A changed number of workers needs a restart.
        good = d.conf.read_text()
        d.conf.write_text(good + "workers 2\n")
        r = d.upgrade()
    finally:
        stop.set()
        t.join()
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "tproxyd: not upgraded: changing workers needs a restart" in \
        r.stderr and "6.6.6" not in r.stdout + r.stderr, (r.stdout, r.stderr)
    d.conf.write_text(good)
    # One command at a time.
    held = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    held.bind(where)
    try:
        r = d.upgrade()
    finally:
        held.close()
    assert r.returncode == 1 and "another 'tproxyd -k upgrade' is " \
        "waiting for pid %d" % pid in r.stderr, (r.stdout, r.stderr)
    assert d.alive() and d.log().count("Starting tproxyd version") == 1
    assert d.log().count("Upgrade: checking") == 1
    assert curl(d.port, origin.url("/bytes/10")).status == 200
    # And once nothing is in the way, it upgrades (same version here).
    r = d.upgrade()
    assert r.returncode == 0 and "pid %d runs version" % pid in r.stdout, \
        (r.stdout, r.stderr)
    assert d.alive() and d.proc.pid == pid


def test_upgrade_command_without_an_answer(make_daemon, tmp_path):
    """The command in another network namespace than tproxyd cannot hear
    its answer (the socket is per namespace): after the wait
    (TPROXYD_UPGRADE_WAIT) it tells by tproxyd's program file whether the
    new one runs: exit 0 when it does; 1 when it did not change."""
    d = make_daemon([])
    pid = d.proc.pid
    old = version_of(d.bin)
    new = "9.9.9" if old != "9.9.9" else "8.8.8"
    env = dict(os.environ, TPROXYD_UPGRADE_WAIT="3")

    def upgrade_elsewhere():
        d.signals_sent.add(signal.SIGUSR2)
        return subprocess.run(["unshare", "-n", str(d.bin), "-k", "upgrade",
                               "-f", str(d.conf)], capture_output=True,
                              text=True, timeout=30, env=env)
    # Refused (a changed number of workers): the same file runs.
    good = d.conf.read_text()
    d.conf.write_text(good + "workers 2\n")
    r = upgrade_elsewhere()
    assert r.returncode == 1 and "did not say within 3 seconds" in \
        r.stderr, (r.stdout, r.stderr)
    wait_for(lambda: "changing workers needs a restart" in d.log(), 5,
             "the refusal", show=d.diagnostics)
    d.conf.write_text(good)
    # A new file, taken: it runs now.
    patched_copy(d.bin, tmp_path / "tproxyd-new", old, new)
    d.install(tmp_path / "tproxyd-new")
    r = upgrade_elsewhere()
    assert r.returncode == 0 and "pid %d runs the new program file now" % \
        pid in r.stdout, (r.stdout, r.stderr)
    assert "Starting tproxyd version %s" % new in d.log()


def test_debian_postinst_hands_over(make_daemon, tmp_path, origin):
    """debian/postinst on an upgrade (configure OLD-VERSION) with a tproxyd
    running: the new program takes over in place (same pid); on a first
    installation (no old version) nothing is signalled."""
    d = make_daemon([])
    pid = d.proc.pid
    old = version_of(d.bin)
    new = "9.9.9" if old != "9.9.9" else "8.8.8"
    patched_copy(d.bin, tmp_path / "tproxyd-new", old, new)
    d.install(tmp_path / "tproxyd-new")
    text = (Path(harness.REPO) / "debian/postinst").read_text()
    text = text.replace("/etc/tproxyd/tproxyd.conf", str(d.conf))
    script = tmp_path / "postinst"
    script.write_text(text)
    script.chmod(0o755)
    env = dict(os.environ, PATH="%s:/usr/sbin:/usr/bin:/sbin:/bin" %
               d.bindir)
    p = subprocess.run([str(script), "configure"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p
    time.sleep(0.5)
    assert "Upgrade:" not in d.log()
    p = subprocess.run([str(script), "configure", "0.0.9"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p
    wait_for(lambda: "Starting tproxyd version %s" % new in d.log(), 10,
             "the new version", show=d.diagnostics)
    assert d.alive() and d.proc.pid == pid
    assert curl(d.port, origin.url("/bytes/10")).status == 200
    # A configuration the new program refuses: postinst still succeeds
    # (the package installs), says so, and the old one keeps running.
    d.conf.write_text(d.conf.read_text() + "no_such_directive 1\n")
    p = subprocess.run([str(script), "configure", "0.0.9"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p
    assert "has errors" in p.stderr and "keeps the previous version" in \
        p.stderr, p.stderr
    assert d.alive() and d.proc.pid == pid
    # One the running tproxyd refuses (a changed number of workers): the
    # reason is printed, the package still installs.
    d.conf.write_text(d.conf.read_text().replace("no_such_directive 1\n",
                                                 "workers 2\n"))
    p = subprocess.run([str(script), "configure", "0.0.9"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p
    assert "not upgraded: changing workers needs a restart" in p.stderr \
        and "still running the previous version" in p.stderr, p.stderr
    assert d.alive() and d.proc.pid == pid


def test_workers_reconfigure_closes_a_removed_port(tproxyd, origin):
    """With workers the master holds every worker's listening sockets (for
    restarts and -k upgrade): a port removed by -k reconfigure must still
    be closed everywhere, refusing connections, not queuing them."""
    main, extra = harness.free_port(), harness.free_port()
    # (an http_port line replaces the harness's: both are given)
    p = tproxyd(["workers 2", "http_port 127.0.0.1:%d" % main,
                 "http_port 127.0.0.1:%d" % extra], port=main)
    assert poll(lambda: extra in harness.listening_ports(), 5)
    assert curl(extra, origin.url("/bytes/10")).status == 200
    p.write_config(["workers 2", "http_port 127.0.0.1:%d" % main])
    assert p.run_k("reconfigure").returncode == 0
    assert poll(lambda: extra not in harness.listening_ports(), 5), \
        p.diagnostics()
    s = socket.socket()
    try:
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", extra))
            refused = False
        except ConnectionRefusedError:
            refused = True
    finally:
        s.close()
    assert refused
    assert curl(p.port, origin.url("/bytes/10")).status == 200


def udp_inodes(port):
    """Inodes of the UDP sockets bound to port (/proc/net/udp)."""
    out = set()
    with open("/proc/net/udp") as f:
        for ln in f.readlines()[1:]:
            w = ln.split()
            if int(w[1].split(":")[1], 16) == port:
                out.add(int(w[9]))
    return out


def fd_inodes(pid):
    out = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            m = re.match(r"socket:\[(\d+)\]",
                         os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:
            continue
        if m:
            out.add(int(m.group(1)))
    return out


def test_upgrade_keeps_udp_socket_and_capabilities(make_daemon, tmp_path,
                                                   origin):
    harness.require_root("udp_port needs IP_TRANSPARENT")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    uport = s.getsockname()[1]
    s.close()
    d = make_daemon(["udp_port 127.0.0.1:%d tproxy" % uport])
    pid = d.proc.pid
    tcp_before = d.port in harness.listening_ports()
    assert tcp_before
    inodes = udp_inodes(uport)
    assert len(inodes) == 1, inodes
    caps = re.findall(r"Running as (.*)", d.log())
    assert caps and "cap_net_raw" in caps[0], caps
    old = version_of(d.bin)
    patched_copy(d.bin, tmp_path / "tproxyd-new", old,
                 "9.9.9" if old != "9.9.9" else "8.8.8")
    d.install(tmp_path / "tproxyd-new")
    assert d.upgrade().returncode == 0
    wait_for(lambda: d.log().count("Running as") == 2, 10,
             "the new version's start", show=d.diagnostics)
    # The very socket, now held by the new program.
    assert udp_inodes(uport) == inodes
    assert inodes <= fd_inodes(pid)
    # It kept the capability it runs with (ambient across execve).
    caps = re.findall(r"Running as (.*)", d.log())
    assert "cap_net_raw" in caps[1], caps
    assert curl(d.port, origin.url("/bytes/10")).status == 200
    assert d.stop() == []


# --- under the real unit (systemd as PID 1 in a container) -----------------

from test_tproxyctl_systemd import installed  # noqa: E402,F401 (fixture)
import netns                                   # noqa: E402
import systemd_boot                            # noqa: E402
from tproxyctl_env import start_origin         # noqa: E402

UNIT_CONF = "/usr/local/etc/tproxyd/tproxyd.conf"
UNIT_PORT = 3128


def test_upgrade_under_systemd_unit(topology, installed, tmp_path):  # noqa
    """tproxyd.service as installed (User=proxy, CAP_NET_RAW ambient, its
    sandbox) on a booted systemd: -k upgrade keeps MainPID, the unit never
    leaves active/reloading, the journal shows the new version starting
    and the old one exiting, requests go on being served."""
    t = topology
    etc = tmp_path / "etc"
    sysd = etc / "systemd/system"
    (sysd / "multi-user.target.wants").mkdir(parents=True)
    (sysd / "multi-user.target.wants" / "tproxyd.service").symlink_to(
        "/usr/local/lib/systemd/system/tproxyd.service")
    # Only tproxyd: the rules unit it wants is masked (not needed for a
    # forward-proxy port).
    (sysd / "tproxyctl.service").symlink_to("/dev/null")
    unit_conf = installed / UNIT_CONF.lstrip("/")
    if unit_conf.exists() or unit_conf.is_symlink():
        unit_conf.unlink()
    unit_conf.write_text("\n".join([
        "http_port %d" % UNIT_PORT,
        # A tproxy port: the unit's CAP_NET_RAW is kept at start-up and
        # must still be there in the new program.
        "http_port %d tproxy" % (UNIT_PORT + 1), "http_access allow all",
        "access_log /var/log/tproxyd/access.log",
        "cache_log /var/log/tproxyd/cache.log",
        "pid_filename /run/tproxyd/tproxyd.pid",
        "dns_nameservers 127.0.0.1", "shutdown_lifetime 10 seconds"]) + "\n")
    sbin = installed / "usr/local/sbin"
    old = version_of(sbin / "tproxyd")
    new = "9.9.9" if old != "9.9.9" else "8.8.8"
    patched_copy(harness.BUILD / "tproxyd", tmp_path / "tproxyd-new", old,
                 new)
    box = systemd_boot.Booted(installed, etc, t.rtr,
                              log=tmp_path / "nspawn.log")
    t.checks.append(lambda: box.kill() or [])
    start_origin(t, [netns.SRV4])
    box.boot()

    def show(prop):
        return box.run(["systemctl", "show", "-P", prop,
                        "tproxyd"]).stdout.strip()

    def journal():
        return box.run(["journalctl", "-b", "-u", "tproxyd", "-o", "cat",
                        "--no-pager"]).stdout

    def get():
        p = box.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                     "--max-time", "5", "-x",
                     "http://127.0.0.1:%d" % UNIT_PORT,
                     "http://%s/bytes/1000" % netns.SRV4], timeout=20)
        return p.stdout.strip()

    assert show("ActiveState") == "active", journal()
    assert re.search(r"Running as user proxy .*cap_net_raw", journal())
    t.wait_listen(t.rtr, UNIT_PORT)
    assert get() == "200"
    main = show("MainPID")
    # The package's way: a new file renamed over the installed one, then
    # -k upgrade with it.
    tmp = sbin / "tproxyd.dpkg-new"
    shutil.copy2(tmp_path / "tproxyd-new", tmp)
    os.rename(tmp, sbin / "tproxyd")
    p = box.run(["/usr/local/sbin/tproxyd", "-k", "upgrade", "-f",
                 UNIT_CONF])
    assert p.returncode == 0, p.stderr
    states, codes = set(), []
    end = time.monotonic() + 10
    while time.monotonic() < end and \
            "Starting tproxyd version %s" % new not in journal():
        states.add(show("ActiveState"))
        codes.append(get())
    assert "Starting tproxyd version %s" % new in journal(), journal()
    assert harness.poll(lambda: "the previous version (pid" in journal(),
                        15), journal()
    for _ in range(5):
        states.add(show("ActiveState"))
        codes.append(get())
    assert states <= {"active", "reloading"}, (states, journal())
    assert show("ActiveState") == "active"
    assert show("MainPID") == main
    assert set(codes) == {"200"}, codes
    exe = box.run(["readlink", "/proc/%s/exe" % main]).stdout.strip()
    assert exe == "/usr/local/sbin/tproxyd", exe
    # Still the unit's user and capability, in the new program.
    assert re.search(r"Running as user proxy .*cap_net_raw", journal()
                     .split("Starting tproxyd version %s" % new)[1]), \
        journal()
    assert box.poweroff() == 0
