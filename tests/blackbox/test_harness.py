# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_harness.py - proves the proxy-control side of the harness with a fake
daemon (a Python script standing in for build/tproxyd): start waits for the
port, a start failure reports cache.log and stderr, a crash (death by a
signal) at teardown is reported, a clean exit is not; and the access.log
parser on the spec's example lines.
"""

import stat
import textwrap

import pytest

import harness

FAKE = textwrap.dedent('''\
    #!/usr/bin/python3
    import os, signal, socket, sys, time
    conf = sys.argv[sys.argv.index("-f") + 1]
    mode = os.environ.get("FAKE_MODE", "ok")
    port = None
    for ln in open(conf):
        p = ln.split()
        if p and p[0] == "http_port":
            port = int(p[1].rsplit(":", 1)[1])
        if p and p[0] == "cache_log":
            log = p[1]
    open(log, "w").write("fake cache.log: mode %s\\n" % mode)
    if mode == "nolisten":
        sys.stderr.write("fake: refusing to listen\\n")
        sys.exit(3)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(5)
    def term(*_):
        if mode == "crash":
            signal.signal(signal.SIGSEGV, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGSEGV)
        if mode == "termdeath":         # dies from the signal it was sent
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
        if mode == "asan":
            sys.stderr.write("==1==ERROR: AddressSanitizer: "
                             "heap-use-after-free on address 0x1\\n")
            sys.exit(1)
        if mode == "ubsan":
            open(log, "a").write("src/x.c:1:2: runtime error: signed "
                                 "integer overflow\\n")
        if mode == "kidcrash":
            open(log, "a").write("WARNING: kid1 (pid 4242) died from "
                                 "signal 11; restarting it\\n")
        if mode == "status3":
            sys.exit(3)
        sys.exit(0)
    signal.signal(signal.SIGTERM, term)
    while True:
        time.sleep(1)
''')


@pytest.fixture
def fake_build(tmp_path, monkeypatch):
    d = tmp_path / "fakebuild"
    d.mkdir()
    f = d / "tproxyd"
    f.write_text(FAKE)
    f.chmod(f.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(harness, "BUILD", d)
    return d


def test_start_and_clean_stop(fake_build, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_MODE", "ok")
    t = harness.Tproxyd(tmp_path / "t").start()
    assert t.port in harness.listening_ports()
    assert t.stop() == []
    assert t.proc.returncode == 0


def test_crash_is_reported(fake_build, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_MODE", "crash")
    t = harness.Tproxyd(tmp_path / "t").start()
    problems = t.stop()
    assert len(problems) == 1 and "SIGSEGV" in problems[0], problems
    assert "fake cache.log" in problems[0]


@pytest.mark.parametrize("mode,needle", [
    ("asan", "sanitizer report in %(dir)s/stderr:\n==1==ERROR: "
             "AddressSanitizer: heap-use-after-free"),
    ("ubsan", "sanitizer report in %(dir)s/cache.log:\nfake cache.log"),
    ("kidcrash", "worker crash in %(dir)s/cache.log: kid1 (pid 4242) died "
                 "from signal 11"),
    ("status3", "exited with status 3 (expected 0)"),
])
def test_bad_ends_are_reported(fake_build, tmp_path, monkeypatch, mode,
                               needle):
    """Each way a daemon can end badly fails the test that stopped it."""
    monkeypatch.setenv("FAKE_MODE", mode)
    t = harness.Tproxyd(tmp_path / "t").start()
    problems = t.stop()
    assert any(needle % {"dir": t.dir} in p for p in problems), problems


def test_death_by_the_signal_sent_is_no_crash(fake_build, tmp_path,
                                              monkeypatch):
    monkeypatch.setenv("FAKE_MODE", "termdeath")
    t = harness.Tproxyd(tmp_path / "t").start()
    assert t.stop() == []
    assert t.proc.returncode == -15


def test_worker_killed_on_purpose_is_no_crash(fake_build, tmp_path,
                                              monkeypatch):
    """A worker death by a signal the test sent to it (kid_signals_sent)
    is not reported; any other is (test_bad_ends_are_reported)."""
    monkeypatch.setenv("FAKE_MODE", "kidcrash")
    t = harness.Tproxyd(tmp_path / "t").start()
    t.kid_signals_sent.add(11)
    assert t.stop() == []


def test_exit_problems():
    """The shared verdict on its own: signal deaths, statuses."""
    ep = harness.exit_problems
    assert ep("d", 0) == []
    assert ep("d", -15, sent={15}) == []
    assert "died from signal 11 (SIGSEGV), not one the test sent " \
        "(SIGTERM)" in ep("d", -11, sent={15})[0]
    assert "exited with status 1 (expected 0)" in ep("d", 1)[0]
    assert ep("d", 1, ok_status=None) == [] and ep("d", 2, ok_status=(2,)) \
        == []
    assert ep("d", None) == ["d is still running"]


def test_start_failure_shows_logs(fake_build, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_MODE", "nolisten")
    with pytest.raises(AssertionError) as ei:
        harness.Tproxyd(tmp_path / "t").start(timeout=3)
    msg = str(ei.value)
    assert "exit status 3" in msg and "fake cache.log" in msg
    assert "refusing to listen" in msg


def test_config_defaults_and_overrides(tmp_path):
    t = harness.Tproxyd(tmp_path / "a", ["access_log none", "via off"])
    text = t.conf.read_text()
    assert "access_log none" in text and str(t.access_log) not in text
    assert "http_access allow tpx_local" in text
    t = harness.Tproxyd(tmp_path / "b", ["http_access deny all"])
    assert "tpx_local" not in t.conf.read_text()
    assert "pid_filename %s" % t.pid_file in t.conf.read_text()


@pytest.mark.parametrize("line,fields", [
    ("1732459201.123     12 127.0.0.1 TCP_MISS/200 1234 GET "
     "http://127.0.0.1:8080/bytes/10 - HIER_DIRECT/127.0.0.1 "
     "application/octet-stream",
     dict(time="1732459201.123", elapsed=12, client="127.0.0.1",
          code="TCP_MISS", status=200, bytes=1234, method="GET",
          url="http://127.0.0.1:8080/bytes/10", user="-",
          hier="HIER_DIRECT", peer="127.0.0.1",
          type="application/octet-stream")),
    ("1732459201.000      0 127.0.0.1 TCP_DENIED/403 3900 GET "
     "http://x/ - HIER_NONE/- text/html",
     dict(code="TCP_DENIED", status=403, hier="HIER_NONE", peer="-",
          type="text/html")),
    ("1732459201.999 123456 ::1 TCP_TUNNEL/200 77 CONNECT 127.0.0.1:9 - "
     "HIER_DIRECT/127.0.0.1 -",
     dict(client="::1", method="CONNECT", url="127.0.0.1:9", type="-",
          elapsed=123456)),
])
def test_access_line_parser(line, fields):
    e = harness.parse_access_line(line)
    assert e is not None
    for k, v in fields.items():
        assert e[k] == v, (k, e[k], v)
    assert harness.elapsed_is_width6(line)


@pytest.mark.parametrize("line", [
    "1732459201.12 12 127.0.0.1 TCP_MISS/200 1 GET u - HIER_DIRECT/a b",
    "1732459201.123 12 127.0.0.1 TCP_MISS/200 1 GET u - HIER_DIRECT/a",
    "1732459201.123 12 127.0.0.1 TCP_MISS/20 1 GET u - HIER_DIRECT/a b",
])
def test_access_line_parser_rejects(line):
    assert harness.parse_access_line(line) is None


def test_elapsed_width():
    assert not harness.elapsed_is_width6(
        "1732459201.123 12 127.0.0.1 TCP_MISS/200 1 GET u - HIER_DIRECT/a b")
