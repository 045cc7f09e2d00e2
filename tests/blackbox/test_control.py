# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_control.py - the command line: -v, -k parse (FILE:LINE: messages, exit
status), -k reconfigure (new rules apply, same process), -k shutdown (exit
0, pid file removed), and a bad config refusing to start.
"""

import re
import subprocess

import pytest

import harness
from harness import curl, poll, require_tproxyd

GOOD = [
    "acl lan src 127.0.0.0/8 ::1",
    "acl dsts dst 127.0.0.1/32 198.18.0.0/15",
    "acl web port 80 443 8080",
    "acl posts method POST PUT",
    "acl ex dstdomain .example.com example.org",
    "http_access deny ex",
    "http_access allow lan !posts",
    "http_access allow lan",
    "http_access deny all",
    "forwarded_for transparent",
    "via off",
    "connect_timeout 5 seconds",
    "read_timeout 60 seconds",
    "request_timeout 30 seconds",
    "client_idle_pconn_timeout 120 seconds",
    "server_idle_pconn_timeout 60 seconds",
    "request_header_max_size 64 KB",
]


def output_lines(p):
    return [ln for ln in (p.stdout + p.stderr).splitlines() if ln.strip()]


def test_version():
    p = subprocess.run([require_tproxyd(), "-v"], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 0, p
    first = (p.stdout or p.stderr).splitlines()[0]
    assert "tproxyd" in first and re.search(r"\d+\.\d+", first), first


def test_parse_good(tproxyd_conf):
    t = tproxyd_conf(GOOD)
    p = t.run_k("parse")
    assert p.returncode == 0, output_lines(p)
    assert not any(re.search(r":\d+: ", ln) and "ERROR" in ln.upper()
                   for ln in output_lines(p)), output_lines(p)


@pytest.mark.parametrize("value", ["1 second", "30 seconds", "1 minute",
                                   "2 minutes"])
def test_parse_time_units(tproxyd_conf, value):
    """Squid's time units, singular and plural."""
    t = tproxyd_conf(["read_timeout %s" % value])
    p = t.run_k("parse")
    assert p.returncode == 0, output_lines(p)


def test_parse_reports_every_error(tproxyd_conf):
    bad = {"bogus_directive 1": "unknown directive 'bogus_directive'",
           "forwarded_for maybe": None,
           "http_access allow no_such_acl": None}
    t = tproxyd_conf(["via on"] + list(bad) + ["via off"])
    text = t.conf.read_text().splitlines()
    where = {ln: i + 1 for i, ln in enumerate(text) if ln in bad}
    assert len(where) == 3
    p = t.run_k("parse")
    out = output_lines(p)
    assert p.returncode == 1, (p.returncode, out)
    # FILE:LINE: message, one per error, naming the right lines.
    pat = re.compile(re.escape(str(t.conf)) + r":(\d+): (.+)$")
    found = {}
    for ln in out:
        m = pat.search(ln)
        if m:
            found.setdefault(int(m.group(1)), []).append(m.group(2))
    assert set(found) == set(where.values()), (where, out)
    assert found[where["bogus_directive 1"]] == [
        "unknown directive 'bogus_directive'"], out


def test_bad_config_refuses_to_start(tproxyd_conf):
    t = tproxyd_conf(["bogus_directive 1"])
    p = subprocess.run([require_tproxyd(), "-N", "-f", str(t.conf)],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode > 0, p          # refused, not crashed
    assert harness.sanitizer_report(p.stdout + p.stderr) is None, p.stderr
    assert "bogus_directive" in p.stdout + p.stderr + (
        t.cache_log.read_text() if t.cache_log.exists() else "")


def test_no_http_port_loads_but_does_not_start(tproxyd_conf):
    """As in Squid: a file without http_port passes -k parse (packaged
    files such as OpenWrt's get their port from the init script) with a
    warning, and the daemon refuses to start with it."""
    t = tproxyd_conf([])
    t.conf.write_text("\n".join(
        ln for ln in t.conf.read_text().splitlines()
        if not ln.startswith("http_port")) + "\n")
    p = t.run_k("parse")
    out = output_lines(p)
    assert p.returncode == 0, out
    assert any("WARNING: no http_port configured" in ln for ln in out), out
    p = subprocess.run([require_tproxyd(), "-N", "-f", str(t.conf)],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 1, p
    assert "FATAL: no http_port configured" in p.stderr, p.stderr
    assert harness.sanitizer_report(p.stdout + p.stderr) is None, p.stderr


def test_reconfigure(tproxyd, origin):
    p = tproxyd(["acl me src 127.0.0.0/8", "http_access allow me"])
    pid = p.proc.pid
    assert curl(p.port, origin.url("/bytes/1")).status == 200
    p.write_config(["http_access deny all"])
    k = p.run_k("reconfigure")
    assert k.returncode == 0, output_lines(k)
    got = poll(lambda: curl(p.port, origin.url("/bytes/2")).status == 403,
               timeout=10, interval=0.2)
    assert got, "new http_access rules not applied\n" + p.diagnostics()
    assert p.alive() and p.proc.pid == pid
    assert p.pid_file.read_text().strip() == str(pid)
    # And back: the port kept working throughout.
    p.write_config([])
    assert p.run_k("reconfigure").returncode == 0
    assert poll(lambda: curl(p.port, origin.url("/bytes/3")).status == 200,
                timeout=10, interval=0.2)


def test_shutdown(tproxyd):
    p = tproxyd()
    assert poll(lambda: p.pid_file.exists(), 5), "no pid file"
    assert p.pid_file.read_text().strip() == str(p.proc.pid)
    k = p.run_k("shutdown")
    assert k.returncode == 0, output_lines(k)
    rc = p.proc.wait(20)
    assert rc == 0, "exit status %s\n%s" % (rc, p.diagnostics())
    assert not p.pid_file.exists(), "pid file left behind"
