# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_wccp_systemd.py - WCCPv2 GRE forwarding under the installed
tproxyd.service, run by a real systemd (systemd_boot.py: systemd-nspawn
boots this machine's /usr in the cache's namespace of wccp_env.py's
topology, the router simulator in the router's).

As installed (User=proxy, CAP_NET_RAW only, PrivateDevices=yes) GRE
forwarding cannot work: the unit fails, the journal names the cause and
the drop-in, and the router never hears of the cache. With the drop-in
packaging/tproxyd.service.d/wccp-gre.conf copied where the operator puts
it, the service starts, the cache joins, and none of the warnings that
a missing grant gives (rp_filter on the TUN device, sock_diag for packet
return) appear: the drop-in adds exactly what is needed.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

import harness
import systemd_boot
from wccp_env import (C1, SVC80, read_state, start_router,  # noqa: F401
                        wait_state, wtopo, _tshark)

CONF_IN_UNIT = "/usr/local/etc/tproxyd/tproxyd.conf"
DROPIN = "usr/local/share/doc/tproxyd/examples/wccp-gre.conf"

pytestmark = pytest.mark.skipif(not systemd_boot.available(),
                                reason="systemd-nspawn is not installed")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`make install DESTDIR=ROOT` of this tree (PREFIX /usr/local), with
    the binaries under test in place."""
    return systemd_boot.make_installed(tmp_path_factory.mktemp("root"))


@pytest.mark.parametrize("dropin", [False, True])
def test_unit_with_and_without_the_dropin(wtopo, installed, tmp_path,
                                          dropin):
    t = wtopo
    state = start_router(t, tmp_path, "--cache-timeout", "12")
    conf = installed / CONF_IN_UNIT.lstrip("/")
    conf.unlink()
    conf.write_text("\n".join([
        "http_port 3128", "http_access allow all",
        "access_log /var/log/tproxyd/access.log",
        "cache_log /var/log/tproxyd/cache.log",
        "pid_filename /run/tproxyd/tproxyd.pid"] +
        [ln % "" if "%s" in ln else ln for ln in SVC80]) + "\n")
    etc = tmp_path / "etc"
    sysd = etc / "systemd/system"
    sysd.mkdir(parents=True)
    d = sysd / "tproxyd.service.d"
    d.mkdir()
    if dropin:
        shutil.copy2(installed / DROPIN, d / "wccp-gre.conf")
    box = systemd_boot.Booted(installed, etc, t.c1,
                              log=tmp_path / "nspawn.log")
    try:
        box.boot()
        # nspawn copies this machine's /dev/net/tun into the container;
        # Debian's udev makes it 0666 (this machine's may differ).
        assert box.run(["chmod", "0666", "/dev/net/tun"]).returncode == 0
        p = box.run(["systemctl", "start", "tproxyd"])

        def journal():
            return box.run(["journalctl", "-b", "-u", "tproxyd", "-o",
                            "cat", "--no-pager"]).stdout
        active = box.run(["systemctl", "is-active", "tproxyd"]).stdout
        if not dropin:
            assert p.returncode != 0, journal()
            # failed, or activating again (Restart=on-failure)
            assert active.strip() != "active", active + journal()
            j = journal()
            assert "FATAL: WCCPv2 GRE forwarding cannot work: cannot " \
                "open /dev/net/tun: No such file or directory" in j, j
            assert "/usr/local/share/doc/tproxyd/examples/wccp-gre.conf" \
                in j, j
            st = read_state(state)
            assert st.get("here_i_am", {}).get(C1, 0) == 0, st
        else:
            assert p.returncode == 0, p.stderr + journal()
            assert active.strip() == "active", journal()
            wait_state(state, lambda s: C1 in s.get("view", {}).get(
                "dynamic:80", []), 15, "the cache in the router's view")
            log = box.run(["cat", "/var/log/tproxyd/cache.log"]).stdout
            assert "WCCPv2: GRE forwarding: decapsulating into tpxwccp0" \
                in log, log
            assert "GRE packet return" in log, log
            for bad in ("WARNING", "ERROR", "FATAL"):
                assert bad not in log, log
            # CAP_NET_ADMIN served at start-up only.
            pid = box.run(["systemctl", "show", "-P", "MainPID",
                           "tproxyd"]).stdout.strip()
            status = box.run(["cat", "/proc/%s/status" % pid]).stdout
            eff = [ln for ln in status.splitlines()
                   if ln.startswith("CapEff:")][0]
            assert not int(eff.split()[1], 16) & (1 << 12), eff
            assert box.run(["systemctl", "stop", "tproxyd"]).returncode == 0
        assert box.poweroff() == 0
    finally:
        box.kill()


def exposure(root):
    """systemd-analyze security of ROOT's tproxyd.service (with its
    drop-ins), offline: (overall exposure, {check: line} of the failed
    checks)."""
    p = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                        "--root=%s" % root, "--no-pager",
                        "tproxyd.service"], capture_output=True, text=True,
                       timeout=60)
    out = p.stdout
    last = [ln for ln in out.splitlines() if "Overall exposure" in ln]
    assert last, out + p.stderr
    failed = {ln.split()[1]: ln for ln in out.splitlines()
              if ln.startswith("\u2717")}
    return float(last[0].split(":")[1].split()[0]), failed


def test_dropin_exposure(installed, tmp_path):
    """What the drop-in costs in systemd's own measure: from 2.0 to 2.2,
    and only by what it adds (CAP_NET_ADMIN, netlink sockets, the TUN
    device in the device list)."""
    root = tmp_path / "root"
    sysd = root / "etc/systemd/system"
    sysd.mkdir(parents=True)
    shutil.copy2(installed / "usr/local/lib/systemd/system/tproxyd.service",
                 sysd)
    before, failed0 = exposure(root)
    (sysd / "tproxyd.service.d").mkdir()
    shutil.copy2(installed / DROPIN, sysd / "tproxyd.service.d")
    after, failed1 = exposure(root)
    assert before <= 2.0 and after <= 2.2, (before, after)
    new = sorted(set(failed1) - set(failed0))
    assert new == ["CapabilityBoundingSet=~CAP_NET_ADMIN",
                   "RestrictAddressFamilies=~AF_NETLINK"], new
    assert "/dev/net/tun:rw" in failed1["DeviceAllow="]
