# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_intercept_priv.py - privileges of a TPROXY tproxyd (issue 4), on the
topology of test_intercept.py.

  7. Started as root with `http_port 3129 tproxy`: after start-up the
     daemon runs as user `proxy` with exactly CAP_NET_RAW effective
     (IP_TRANSPARENT for spoofing), and interception with spoofing still
     works on both families. Started as nobody with no capabilities: it
     exits non-zero within seconds and stderr names the capability and
     how to grant it.

Run with: /usr/bin/python3 -m pytest -q tests/blackbox/test_intercept_priv.py
(as root).
"""

import os
import pwd
import shutil
import tempfile

import pytest

import harness

from intercept_env import (FAM, TPROXY_PORT, client_curl, daemons,  # noqa: F401
                           env, install_tproxy, net, url)


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("changing identity and capabilities with setpriv, "
                         "network namespaces")

BASE = ["http_port %d tproxy" % TPROXY_PORT, "http_access allow all"]
CAP_NET_RAW = 13


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def test_root_start_drops_to_proxy_with_only_cap_net_raw(env, daemons):
    install_tproxy(env.topo, "nft")
    d = daemons(BASE)
    proxy = pwd.getpwnam("proxy")
    st = status(d.pid())
    assert st["Name"] == "tproxyd", st
    assert [int(x) for x in st["Uid"].split()] == [proxy.pw_uid] * 4, st
    assert [int(x) for x in st["Gid"].split()] == [proxy.pw_gid] * 4, st
    assert int(st["CapEff"], 16) == 1 << CAP_NET_RAW, (
        "CapEff %s, expected exactly CAP_NET_RAW (%#x)" % (
            st["CapEff"], 1 << CAP_NET_RAW))
    # Nothing it could raise again either.
    assert int(st["CapPrm"], 16) == 1 << CAP_NET_RAW, st["CapPrm"]
    # Still intercepts and spoofs (each new server connection needs
    # IP_TRANSPARENT, after the drop), on both families.
    for family in (4, 6):
        r = client_curl(env.topo, url(family, "/peer"))
        assert r.rc == 0 and r.status == 200, r
        assert r.json()["addr"] == FAM[family]["cli"], r.json()
        e = d.wait_access(lambda e: e["url"] == url(family, "/peer"))
        assert e["hier"] == "ORIGINAL_DST", e["raw"]


def test_no_capability_exits_naming_it(env, daemons):
    install_tproxy(env.topo, "nft")
    # A directory nobody can write its pid file and logs into.
    d = tempfile.mkdtemp(prefix="tpx-nocap-")
    try:
        os.chmod(d, 0o777)
        t = daemons(BASE, start=False, dir=d, wrap=[
            "setpriv", "--reuid=nobody", "--regid=nogroup",
            "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
            "--"])
        rc = t.run_to_exit(timeout=10)
        assert rc is not None, "still running 10 s after start:\n" + \
            t.diagnostics()
        assert rc != 0, t.diagnostics()
        err = t.stderr_text()
        assert "CAP_NET_RAW" in err or "capabilit" in err.lower(), (
            "stderr does not name the missing capability:\n%s\n%s" % (
                err, t.diagnostics()))
        assert any(w in err for w in ("setcap", "AmbientCapabilities",
                                      "as root")), (
            "stderr does not say how to grant it:\n" + err)
        assert not env.topo.listening(env.topo.rtr, TPROXY_PORT)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_unprivileged_user_with_ambient_cap_net_raw_works(env, daemons):
    """The systemd unit's way (User=proxy, AmbientCapabilities=CAP_NET_RAW):
    started as `proxy` holding exactly CAP_NET_RAW, tproxyd opens its
    tproxy port, spoofs client addresses on both families, and keeps no
    other capability."""
    install_tproxy(env.topo, "nft")
    d = tempfile.mkdtemp(prefix="tpx-ambient-")
    try:
        os.chmod(d, 0o777)
        t = daemons(BASE, dir=d, wrap=[
            "setpriv", "--reuid=proxy", "--regid=proxy", "--clear-groups",
            "--inh-caps=-all,+net_raw", "--ambient-caps=-all,+net_raw",
            "--bounding-set=-all,+net_raw", "--"])
        proxy = pwd.getpwnam("proxy")
        st = status(t.pid())
        assert [int(x) for x in st["Uid"].split()] == [proxy.pw_uid] * 4, st
        assert int(st["CapEff"], 16) == 1 << CAP_NET_RAW, st["CapEff"]
        assert int(st["CapAmb"], 16) == 0, st["CapAmb"]	# not inherited
        for family in (4, 6):
            r = client_curl(env.topo, url(family, "/peer"))
            assert r.rc == 0 and r.status == 200, r
            assert r.json()["addr"] == FAM[family]["cli"], r.json()
    finally:
        shutil.rmtree(d, ignore_errors=True)
