# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_tproxyctl_systemd.py - rules survive reboots and restarts
(tproxyctl.service), and doctor says when the running rules and
tproxyd.conf disagree (drift.*).

The unit comes from `make install DESTDIR=...` (the same @SBINDIR@ /
@SYSCONFDIR@ substitution a real install gets) and is run two ways:

  - under a real systemd as PID 1 (systemd_boot.py: systemd-nspawn boots
    this machine's /usr in the router namespace): enabled, it sets the
    rules up at every boot, after a power cut too; beside nftables.service
    (flush ruleset at boot, reload, restart) and systemd-networkd (which
    removes the fwmark rule unless ManageForeignRoutingPolicyRules=no);
  - by systemd_unit.py, which executes the unit's ExecStartPre=/ExecStart=/
    ExecStopPost= lines as systemd does (EnvironmentFile=, "-" prefixes,
    $VAR expansion) in the router namespace, and also serves as the
    `systemctl` that doctor's fixes call. A "reboot" there deletes the
    three namespaces (everything the kernel keeps: nft ruleset, ip rules
    and routes, sysctls) and empties /run/tproxyctl, then makes the
    namespaces again with the same names.

The unit's ExecStart= (`tproxyctl watch`) runs in both. The drift faults go through
doctor_faults.run_fault: change tproxyd.conf and make tproxyd reload it,
see what the client sees, doctor FAILs drift.*, its fix as printed works.
"""

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import harness
import netns
from doctor_faults import Fault, client_outcome, run_fault
import systemd_boot
from systemd_unit import Unit
from tproxyctl_env import (TPROXYD, TPORT, ctl, doctor, fails, not_pass,
                           snapshot, start_origin, start_tproxyd, stop, url,
                           write_conf)

HERE = Path(__file__).resolve().parent
PY = "/usr/bin/python3"
CONF_IN_UNIT = "/usr/local/etc/tproxyd/tproxyd.conf"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`make install DESTDIR=ROOT` of this tree (PREFIX /usr/local), with
    the binaries under test (TPROXYD_BUILD) in place."""
    return systemd_boot.make_installed(tmp_path_factory.mktemp("root"))


def _machine(t, installed, tmp_path, opts='"--iface r0"'):
    """The installed tree as one router's disk: tproxyd.conf (the test's)
    at the unit's path, /etc/default/tproxyctl with TPROXYCTL_OPTS; a
    `systemctl` on PATH that runs the unit there. Returns (unit, conf,
    PATH with that systemctl first); conf is the file tproxyd reads."""
    conf = write_conf(tmp_path / "tproxyd")
    # A link: tproxyd (which drops root) reads the file where the test
    # wrote it, the unit at its installed path.
    unit_conf = installed / CONF_IN_UNIT.lstrip("/")
    if unit_conf.exists() or unit_conf.is_symlink():
        unit_conf.unlink()
    unit_conf.symlink_to(conf)
    (installed / "etc/default").mkdir(parents=True, exist_ok=True)
    (installed / "etc/default/tproxyctl").write_text(
        "# as an administrator writes it\nTPROXYCTL_OPTS=%s\n" % opts)
    run = tmp_path / "run"
    assert Unit(installed, "tproxyctl", t.rtr, run).start_available(), \
        "the unit's ExecStart= (tproxyctl watch) does not run on this build"
    fakebin = tmp_path / "bin"
    fakebin.mkdir()
    (fakebin / "systemctl").write_text(
        "#!/bin/sh\nexec %s %s --root %s --run %s --netns %s \"$@\"\n" % (
            PY, HERE / "systemd_unit.py", installed, run, t.rtr))
    (fakebin / "systemctl").chmod(0o755)
    path = "%s:%s:/usr/sbin:/usr/bin:/sbin:/bin" % (fakebin,
                                                   harness.BUILD)
    return Unit(installed, "tproxyctl", t.rtr, run), conf, path


def _doctor_in(unit, path=None):
    """doctor as an administrator runs it on that router (the unit's
    configuration and /run/tproxyctl): (exit status, {id: (status, message)},
    {id: fix}, output)."""
    env = {"PATH": path} if path else None
    p = unit.sh(["tproxyctl", "doctor", "--json", "-f", CONF_IN_UNIT], env)
    data = json.loads(p.stdout)
    return (p.returncode, {c["id"]: (c["status"], c["message"])
                           for c in data["checks"]},
            {c["id"]: c["fix"] for c in data["checks"]}, p.stdout)


def _log(unit):
    return "\n".join("%s -> %d\n%s" % (" ".join(a), rc, out)
                     for a, rc, out in unit.log)


def test_unit_files(topology, installed):
    """The installed units: paths substituted as for tproxyd.service, the
    ordering this design needs, and systemd-analyze verify finds nothing
    to say (run where the installed binaries are at their paths)."""
    sysd = installed / "usr/local/lib/systemd/system"
    ctl_unit = (sysd / "tproxyctl.service").read_text()
    d_unit = (sysd / "tproxyd.service").read_text()
    assert not re.search(r"@[A-Z]+@", ctl_unit), ctl_unit
    assert ("ExecStartPre=/usr/local/sbin/tproxyctl setup -f "
            "/usr/local/etc/tproxyd/tproxyd.conf $TPROXYCTL_OPTS"
            in ctl_unit), ctl_unit
    assert "ExecStopPost=/usr/local/sbin/tproxyctl teardown" in ctl_unit
    assert "EnvironmentFile=-/etc/default/tproxyctl" in ctl_unit
    assert "After=nftables.service" in ctl_unit
    assert "PartOf=nftables.service" in ctl_unit
    assert "Wants=tproxyctl.service" in d_unit
    assert "After=tproxyctl.service" in d_unit
    # tproxyd.service stopping must not stop the rules: no dependency
    # from tproxyctl.service on it.
    assert "tproxyd.service" not in ctl_unit.replace(
        "(tproxyd.service)", "")
    assert shutil.which("systemd-analyze"), "systemd-analyze is needed"
    u = Unit(installed, "tproxyctl", topology.rtr, installed / "run")
    for name in ("tproxyctl.service", "tproxyd.service"):
        p = u.sh(["systemd-analyze", "verify", "--man=no", str(sysd / name)])
        assert p.returncode == 0, p.stdout + p.stderr
        assert p.stdout + p.stderr == "", "%s:\n%s" % (name,
                                                       p.stdout + p.stderr)


def test_reboot(topology, installed, tmp_path):
    """Start the unit: interception works; reboot (namespaces and
    /run/tproxyctl gone); start tproxyd and the unit again and nothing else:
    interception works again; stop the unit: everything as before."""
    t = topology
    unit, conf, _ = _machine(t, installed, tmp_path)
    before = snapshot(t)
    start_origin(t, [netns.SRV4, netns.SRV6])
    d = start_tproxyd(t, conf)
    assert client_outcome(t, "ipv4") == "direct"
    assert unit.start(), _log(unit)
    assert (tmp_path / "run/tproxyctl/state").exists()
    for fam in ("ipv4", "ipv6"):
        assert client_outcome(t, fam) == "intercepted", fam
    rc, checks, _, out = _doctor_in(unit)
    assert rc == 0, out
    assert checks["drift.http.ipv4"][0] == "PASS", out
    # --iface r0 from /etc/default/tproxyctl reached setup ($VAR split).
    p = t.run(t.rtr, ["nft", "list", "table", "inet", "tproxyd"])
    assert 'iifname "r0"' in p.stdout, p.stdout
    # tproxyd stops (or crashes): the rules stay.
    stop(d)
    assert "tproxyd" in t.run(t.rtr, ["nft", "list", "tables"]).stdout

    # Reboot: power off (no unit stop), the kernel forgets everything.
    t.cleanup()
    shutil.rmtree(tmp_path / "run")
    t.setup()
    assert snapshot(t) == before
    start_origin(t, [netns.SRV4, netns.SRV6])
    d = start_tproxyd(t, conf)          # tproxyd.service
    unit.log = []
    assert unit.start(), _log(unit)     # tproxyctl.service, nothing else
    for fam in ("ipv4", "ipv6"):
        assert client_outcome(t, fam) == "intercepted", fam
    rc, checks, _, out = _doctor_in(unit)
    assert rc == 0, out

    assert unit.stop(), _log(unit)
    assert not unit.is_active()
    assert snapshot(t) == before
    assert client_outcome(t, "ipv4") == "direct"
    assert not (tmp_path / "run/tproxyctl/state").exists()
    stop(d)


def test_unit_start_fails_cleanly(topology, installed, tmp_path):
    """An interface named in /etc/default/tproxyctl that does not exist
    (yet): setup refuses, the start fails, nothing is left behind (systemd
    retries with Restart=)."""
    t = topology
    unit, _, _ = _machine(t, installed, tmp_path, '"--iface nosuch0"')
    before = snapshot(t)
    assert not unit.start()
    assert "nosuch0" in _log(unit)
    assert not unit.is_active()
    assert snapshot(t) == before


def _reconfigure_file(conf, lines):
    """conf with lines instead of its tproxy port lines."""
    text = [ln for ln in Path(conf).read_text().splitlines()
            if not ln.startswith(("http_port", "https_port"))]
    Path(conf).write_text("\n".join(list(lines) + text) + "\n")


def _reconfigure(t, conf, lines, gone=(), new=()):
    """Rewrite conf with lines instead of its tproxy port lines, make the
    running tproxyd reload it (-k reconfigure), wait until the ports in
    gone are closed and those in new listen."""
    _reconfigure_file(conf, lines)
    p = t.run(t.rtr, [TPROXYD, "-k", "reconfigure", "-f", str(conf)])
    assert p.returncode == 0, p.stdout + p.stderr
    for port in new:
        t.wait_listen(t.rtr, port)
    assert harness.poll(lambda: not any(t.listening(t.rtr, port)
                                        for port in gone), 10), gone


def _outcome443(t, family="ipv4"):
    """What a client sees on port 443 of the server (an HTTP origin
    listens there): as client_outcome, for the HTTPS port."""
    srv = netns.SRV4 if family == "ipv4" else netns.SRV6
    p = t.run(t.cli, ["curl", "-sS", "--noproxy", "*", "--max-time", "3",
                      url(srv, port=443)], timeout=20)
    return {0: "direct", 28: "timeout", 7: "refused"}.get(p.returncode,
                                                           p.returncode)


HTTPS_LINE = "https_port 3130 tproxy ssl-bump"


def _port_changed(t, env):
    _reconfigure(t, env["conf"], ["http_port 3140 tproxy"], gone=[TPORT],
                 new=[3140])


def _https_removed(t, env):
    start_origin(t, [netns.SRV4, netns.SRV6], port=443)
    _reconfigure(t, env["conf"], ["http_port %d tproxy" % TPORT],
                 gone=[3130])
    # iptables' TPROXY drops what it cannot hand to a socket.
    assert _outcome443(t) == "timeout"


def _https_removed_after(t, env):
    assert _outcome443(t) == "direct"


FAULTS = [
    Fault("conf_http_port_changed_nft",
          "https://github.com/cilium/cilium/pull/16391",
          _port_changed, "drift.http.ipv4", "direct"),
    Fault("conf_http_port_changed_iptables",
          "https://github.com/cilium/cilium/pull/16391",
          _port_changed, "drift.http.ipv4", "timeout", backend="iptables"),
    Fault("conf_http_port_changed_ipv6",
          "https://github.com/cilium/cilium/pull/16391",
          _port_changed, "drift.http.ipv6", "direct", family="ipv6"),
    Fault("conf_https_port_removed_iptables",
          "https://github.com/cilium/cilium/pull/16391",
          _https_removed, "drift.https.ipv4", "intercepted",
          backend="iptables", after_fix=_https_removed_after),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_drift_fault(topology, tmp_path, fault):
    extra = [HTTPS_LINE] if "https" in fault.name else []
    row = run_fault(topology, tmp_path, fault, conf_extra=extra)
    assert row["fix"].startswith("tproxyctl setup -f "), row
    assert "--state %s" % (tmp_path / "state") in row["fix"], row


def test_drift_https_removed_nft_warns(topology, tmp_path):
    """With nft, a TPROXY rule whose port nothing listens on does not
    match: HTTPS goes direct, which is what the configuration now wants.
    doctor WARNs (the rules still claim port 443), it does not FAIL."""
    t = topology
    start_origin(t, [netns.SRV4, netns.SRV6])
    start_origin(t, [netns.SRV4, netns.SRV6], port=443)
    conf = write_conf(tmp_path / "tproxyd", [HTTPS_LINE])
    state = tmp_path / "state"
    start_tproxyd(t, conf)
    assert ctl(t, "setup", "-f", conf, "--state", state).returncode == 0
    _reconfigure(t, conf, ["http_port %d tproxy" % TPORT], gone=[3130])
    assert _outcome443(t) == "direct"
    assert client_outcome(t, "ipv4") == "intercepted"
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert checks["drift.https.ipv4"][0] == "WARN", p.stdout
    assert "drift.https.ipv4" not in fails(checks)


def test_drift_http_port_added(topology, tmp_path):
    """Set up from a configuration with no tproxy http_port (HTTP not
    diverted), then one is added: HTTP goes direct, doctor FAILs
    drift.http.ipv4, its fix intercepts HTTP."""
    t = topology
    start_origin(t, [netns.SRV4, netns.SRV6])
    conf = write_conf(tmp_path / "tproxyd")
    _rewrite = [ln for ln in conf.read_text().splitlines()
                if not ln.startswith("http_port")]
    conf.write_text("\n".join(["http_port 3128", HTTPS_LINE] + _rewrite) +
                    "\n")
    state = tmp_path / "state"
    p = t.popen(t.rtr, [TPROXYD, "-N", "-f", str(conf)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t.wait_listen(t.rtr, 3130, proc=p)
    p = ctl(t, "setup", "-f", conf, "--state", state)
    assert p.returncode == 0, p.stderr
    assert client_outcome(t, "ipv4") == "direct"
    _reconfigure(t, conf, ["http_port %d tproxy" % TPORT, HTTPS_LINE],
                 new=[TPORT])
    assert client_outcome(t, "ipv4") == "direct"
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert checks.get("drift.http.ipv4", ("",))[0] == "FAIL", p.stdout
    fix = {c["id"]: c["fix"] for c in json.loads(
        p.stdout)["checks"]}["drift.http.ipv4"]
    q = t.run(t.rtr, ["env", "PATH=%s:/usr/sbin:/usr/bin:/sbin:/bin" %
                      harness.BUILD, "sh", "-c", fix], timeout=60)
    assert q.returncode == 0, fix + q.stdout + q.stderr
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert rc == 0, not_pass(checks)
    assert client_outcome(t, "ipv4") == "intercepted"


def test_drift_with_unit(topology, installed, tmp_path):
    """The rules come from tproxyctl.service and tproxyd.conf changes:
    doctor's fix is `systemctl restart tproxyctl` (the unit reads
    /etc/default/tproxyctl again), and it works as printed."""
    t = topology
    unit, conf, path = _machine(t, installed, tmp_path)
    start_origin(t, [netns.SRV4, netns.SRV6])
    start_tproxyd(t, conf)
    assert unit.start(), _log(unit)
    assert client_outcome(t, "ipv4") == "intercepted"
    _port_changed(t, {"conf": conf})
    assert client_outcome(t, "ipv4") == "direct"
    rc, checks, fixes, out = _doctor_in(unit, path)
    assert rc == 1 and checks["drift.http.ipv4"][0] == "FAIL", out
    assert fixes["drift.http.ipv4"] == "systemctl restart tproxyctl", out
    p = unit.sh(["sh", "-c", fixes["drift.http.ipv4"]], {"PATH": path})
    assert p.returncode == 0, p.stdout + p.stderr
    rc, checks, _, out = _doctor_in(unit, path)
    assert rc == 0, out
    assert client_outcome(t, "ipv4") == "intercepted"
    p = t.run(t.rtr, ["nft", "list", "table", "inet", "tproxyd"])
    assert ":3140" in p.stdout and 'iifname "r0"' in p.stdout, p.stdout
    assert unit.stop(), _log(unit)


def _container_etc(installed, tmp_path):
    """The container's /etc overlay, with /etc/default/tproxyctl."""
    etc = tmp_path / "etc"
    (etc / "default").mkdir(parents=True)
    shutil.copy2(installed / "etc/default/tproxyctl", etc / "default")
    return etc


def _container(t, installed, tmp_path, unit, conf, etc):
    """A systemd-nspawn machine in the router's namespace (not booted
    yet) with the installed units, conf copied where the unit reads it
    (the container has a /tmp of its own); killed at cleanup."""
    assert unit.start_available(), \
        "the unit's ExecStart= (tproxyctl watch) does not run on this build"
    unit_conf = installed / CONF_IN_UNIT.lstrip("/")
    unit_conf.unlink()
    shutil.copy2(conf, unit_conf)
    box = systemd_boot.Booted(installed, etc, t.rtr,
                              log=tmp_path / "nspawn.log")
    t.checks.append(lambda: box.kill() or [])
    return box


def test_reboot_systemd(topology, installed, tmp_path):
    """The same with a real systemd as PID 1 (systemd-nspawn booting this
    machine's /usr in the router's namespace): `systemctl enable
    tproxyctl`, then every boot sets the rules up with no command at all;
    poweroff removes them (ExecStopPost=)."""
    assert systemd_boot.available(), "systemd-nspawn (systemd-container) " \
        "is needed: scripts/deps.sh test installs it"
    t = topology
    unit, conf, _ = _machine(t, installed, tmp_path)
    etc = _container_etc(installed, tmp_path)
    box = _container(t, installed, tmp_path, unit, conf, etc)
    before = snapshot(t)
    start_origin(t, [netns.SRV4, netns.SRV6])
    d = start_tproxyd(t, conf)
    box.boot()
    p = box.run(["systemctl", "enable", "tproxyctl.service"])
    assert p.returncode == 0, p.stdout + p.stderr
    # Not started yet: enabling changes nothing until the next boot.
    assert client_outcome(t, "ipv4") == "direct"
    assert box.poweroff() == 0
    assert snapshot(t) == before

    box.boot()                          # a boot: no command after it
    p = box.run(["systemctl", "is-active", "tproxyctl.service"])
    assert p.stdout.strip() == "active", box.run(
        ["journalctl", "-u", "tproxyctl", "--no-pager"]).stdout
    for fam in ("ipv4", "ipv6"):
        assert client_outcome(t, fam) == "intercepted", fam
    # tproxyd stops: the rules stay (the unit does not depend on it).
    stop(d)
    assert "tproxyd" in t.run(t.rtr, ["nft", "list", "tables"]).stdout

    # Power cut: no unit stops; the kernel's state goes with the
    # namespace, /run with the container.
    box.kill()
    t.cleanup()
    t.setup()
    assert snapshot(t) == before
    start_origin(t, [netns.SRV4, netns.SRV6])
    d = start_tproxyd(t, conf)
    box.boot()
    for fam in ("ipv4", "ipv6"):
        assert client_outcome(t, fam) == "intercepted", fam
    # doctor beside tproxyd (outside the container), on the state the
    # unit wrote in the container's /run.
    rc, checks, p = doctor(t, "-f", conf, "--state", "/proc/%d/root/run/"
                           "tproxyctl/state" % box.leader)
    assert rc == 0, p.stdout
    assert checks["drift.http.ipv4"][0] == "PASS", p.stdout

    p = box.run(["systemctl", "stop", "tproxyctl.service"])
    assert p.returncode == 0, p.stdout + p.stderr
    assert snapshot(t) == before
    assert client_outcome(t, "ipv4") == "direct"
    assert box.poweroff() == 0
    stop(d)


# r0 as systemd-networkd manages it (IPv4 only: networkd removes the
# IPv6 address the topology gave it, which these tests do not use).
NETWORK_R0 = """[Match]
Name=r0

[Network]
Address=%s/24
LinkLocalAddressing=no
IPv6AcceptRA=no
""" % netns.RTR_CLI4


@pytest.mark.parametrize("manage", ["default", "no"])
def test_networkd_foreign_rules(topology, installed, tmp_path, manage):
    """systemd-networkd manages r0 on the booted router. By default it
    removes routing policy rules and routes it did not make
    (ManageForeignRoutingPolicyRules=, ManageForeignRoutes= in
    networkd.conf) when it configures a link: `networkctl reconfigure r0`
    takes tproxyctl's fwmark rule away (its local route in table 100 is on
    lo, which networkd does not manage, and stays) and clients are no
    longer intercepted. With both set to no, the rule stays. (What
    doc/tproxyctl.8, SYSTEMD, tells administrators.)"""
    t = topology
    unit, conf, _ = _machine(t, installed, tmp_path)
    etc = _container_etc(installed, tmp_path)
    sysd = etc / "systemd/system"
    wants = sysd / "multi-user.target.wants"
    wants.mkdir(parents=True)
    # What `systemctl enable systemd-networkd` makes.
    for link, where in (("multi-user.target.wants/systemd-networkd.service",
                         "systemd-networkd.service"),
                        ("dbus-org.freedesktop.network1.service",
                         "systemd-networkd.service"),
                        ("sockets.target.wants/systemd-networkd.socket",
                         "systemd-networkd.socket")):
        (sysd / link).parent.mkdir(parents=True, exist_ok=True)
        (sysd / link).symlink_to("/lib/systemd/system/" + where)
    (etc / "systemd/network").mkdir(parents=True)
    (etc / "systemd/network/10-r0.network").write_text(NETWORK_R0)
    if manage == "no":
        d = etc / "systemd/networkd.conf.d"
        d.mkdir(parents=True)
        (d / "tproxyctl.conf").write_text(
            "[Network]\nManageForeignRoutingPolicyRules=no\n"
            "ManageForeignRoutes=no\n")
    (wants / "tproxyctl.service").symlink_to(
        "/usr/local/lib/systemd/system/tproxyctl.service")
    box = _container(t, installed, tmp_path, unit, conf, etc)
    start_origin(t, [netns.SRV4, netns.SRV6])
    d = start_tproxyd(t, conf)
    box.boot()
    p = box.run(["systemctl", "is-active", "systemd-networkd",
                 "tproxyctl"])
    assert p.stdout.split() == ["active", "active"], p.stdout
    assert client_outcome(t, "ipv4") == "intercepted"

    # r0 is configured again (an edited .network file, `networkctl
    # reload`, a link that went down and up).
    p = box.run(["networkctl", "reconfigure", "r0"])
    assert p.returncode == 0, p.stderr + box.run(
        ["journalctl", "-b", "--no-pager", "-n", "30"]).stdout
    time.sleep(1)
    assert harness.poll(lambda: "configured" in box.run(
        ["networkctl", "list", "r0"]).stdout, 10)
    rules = t.run(t.rtr, ["ip", "-4", "rule"]).stdout
    route = t.run(t.rtr, ["ip", "-4", "route", "show", "table",
                          "100"]).stdout
    # Reconfiguring r0 takes a moment after networkd says "configured"
    # (its addresses are set again): what the client sees once settled.
    want = "intercepted" if manage == "no" else "timeout"
    harness.poll(lambda: client_outcome(t, "ipv4") == want, 10,
                 interval=0.5)
    outcome = client_outcome(t, "ipv4")
    why = rules + box.run(["networkctl", "list"]).stdout + box.run(
        ["journalctl", "-b", "-u", "systemd-networkd", "--no-pager"]).stdout
    if manage == "default":
        assert "fwmark 0x1/0x1" not in rules, why
        # Squid's TPROXY guide: marked packets with no route to the local
        # table time out.
        assert outcome == "timeout", why
    else:
        assert "fwmark 0x1/0x1 lookup 100" in rules, rules
        assert "local default dev lo" in route, route
        assert outcome == "intercepted", why + "\n".join(
            t.run(t.rtr, argv).stdout for argv in (
                ["ip", "addr"], ["ip", "route", "show", "table", "all"],
                ["sysctl", "-a", "--pattern", "r0|all"],
                ["nft", "list", "ruleset"], ["ss", "-tanp"]))
    box.kill()
    stop(d)


# Debian's /etc/nftables.conf as shipped, with a filter table as an
# administrator adds one: it starts by flushing the whole ruleset.
NFTABLES_CONF = """#!/usr/sbin/nft -f

flush ruleset

table inet filter {
	chain input {
		type filter hook input priority filter;
	}
	chain forward {
		type filter hook forward priority filter;
	}
	chain output {
		type filter hook output priority filter;
	}
}
"""


def test_nftables_service(topology, installed, tmp_path):
    """nftables.service enabled beside tproxyctl.service on the booted
    router: its `flush ruleset` at boot comes first (After=), and a
    `systemctl reload nftables` or `restart nftables`, which flush
    everything again, set tproxyctl's rules up again (ReloadPropagatedFrom=,
    PartOf=); loading the file by hand needs `systemctl reload
    tproxyctl`, as the manual says."""
    t = topology
    unit, conf, _ = _machine(t, installed, tmp_path)
    etc = _container_etc(installed, tmp_path)
    (etc / "nftables.conf").write_text(NFTABLES_CONF)
    sysd = etc / "systemd/system"
    for target, name in (("sysinit.target.wants", "nftables.service"),
                         ("multi-user.target.wants", "tproxyctl.service")):
        (sysd / target).mkdir(parents=True, exist_ok=True)
        where = "/lib/systemd/system/" if name == "nftables.service" \
            else "/usr/local/lib/systemd/system/"
        (sysd / target / name).symlink_to(where + name)
    box = _container(t, installed, tmp_path, unit, conf, etc)
    start_origin(t, [netns.SRV4, netns.SRV6])
    d = start_tproxyd(t, conf)
    box.boot()

    def tables():
        return t.run(t.rtr, ["nft", "list", "tables"]).stdout.split("\n")

    def journal():
        return box.run(["journalctl", "-b", "--no-pager", "-n", "40"]).stdout

    assert "table inet filter" in tables() and \
        "table inet tproxyd" in tables(), journal()
    assert client_outcome(t, "ipv4") == "intercepted"
    for verb in ("reload", "restart"):
        # Queued without waiting, then watched: a restart stops and starts
        # tproxyctl.service too (PartOf=), which under a sanitizer build
        # on a loaded machine can take longer than one call should block.
        p = box.run(["systemctl", "--no-block", verb, "nftables"])
        assert p.returncode == 0, p.stderr

        def settled():
            jobs = box.run(["systemctl", "list-jobs", "--no-legend"])
            return jobs.stdout.strip() == "" and all(
                box.run(["systemctl", "is-active", u]).stdout.strip() ==
                "active" for u in ("nftables", "tproxyctl"))
        assert harness.poll(settled, 120, interval=0.5), journal()
        assert "table inet tproxyd" in tables(), verb + "\n" + journal()
        assert client_outcome(t, "ipv4") == "intercepted", verb
        # ... because systemd passed it on (the flush did happen).
        said = box.run(["journalctl", "-b", "--no-pager", "-u",
                        "tproxyctl"]).stdout
        assert ("Reloaded tproxyctl" if verb == "reload" else
                "Stopped tproxyctl") in said, said
    # By hand, systemd does not know: the table is gone until a reload.
    p = box.run(["nft", "-f", "/etc/nftables.conf"])
    assert p.returncode == 0, p.stderr
    assert "table inet tproxyd" not in tables()
    assert client_outcome(t, "ipv4") != "intercepted"
    p = box.run(["systemctl", "reload", "tproxyctl"])
    assert p.returncode == 0, p.stderr + journal()
    assert client_outcome(t, "ipv4") == "intercepted"
    assert box.poweroff() == 0
    stop(d)


def test_drift_family(topology, tmp_path):
    """Set up from a tproxyd.conf whose tproxy http_port is IPv4 only:
    only IPv4 is intercepted, and doctor is content. The configuration
    then listens on both families: IPv6 clients go direct; doctor WARNs
    drift.family.ipv6, and its fix intercepts IPv6 too. A family left out
    on purpose (--family ipv4) is not a drift."""
    t = topology
    start_origin(t, [netns.SRV4, netns.SRV6])
    conf = write_conf(tmp_path / "tproxyd")
    state = tmp_path / "state"
    _reconfigure_file(conf, ["http_port 0.0.0.0:%d tproxy" % TPORT])
    d = start_tproxyd(t, conf)
    p = ctl(t, "setup", "-f", conf, "--state", state)
    assert p.returncode == 0, p.stderr
    assert client_outcome(t, "ipv4") == "intercepted"
    assert client_outcome(t, "ipv6") == "direct"
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert "drift.family.ipv6" not in checks and rc == 0, p.stdout

    # tproxyd restarted on the new configuration
    stop(d)
    _reconfigure_file(conf, ["http_port %d tproxy" % TPORT])
    d = start_tproxyd(t, conf)
    assert client_outcome(t, "ipv6") == "direct"
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert checks["drift.family.ipv6"][0] == "WARN", p.stdout
    assert checks["drift.http.ipv4"][0] == "PASS", p.stdout
    fix = {c["id"]: c["fix"] for c in json.loads(
        p.stdout)["checks"]}["drift.family.ipv6"]
    assert "--family" not in fix, fix
    q = t.run(t.rtr, ["env", "PATH=%s:/usr/sbin:/usr/bin:/sbin:/bin" %
                      harness.BUILD, "sh", "-c", fix], timeout=60)
    assert q.returncode == 0, fix + q.stdout + q.stderr
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert rc == 0 and not_pass(checks) == [], p.stdout
    assert client_outcome(t, "ipv6") == "intercepted"

    # On purpose: recorded, said, not a drift.
    p = ctl(t, "setup", "-f", conf, "--family", "ipv4", "--state", state)
    assert p.returncode == 0, p.stderr
    assert client_outcome(t, "ipv6") == "direct"
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert checks["drift.family.ipv6"][0] == "PASS", p.stdout
    assert "--family ipv4" in checks["drift.family.ipv6"][1], p.stdout
    assert rc == 0 and not_pass(checks) == [], p.stdout
    stop(d)


def intercepted_soon(t, fam):
    """The client is intercepted within 2 s: tproxyctl watch (the unit's
    main process) takes a tproxy port back two checks (200 ms each) after
    it listens again; until then clients go direct (on-failure open)."""
    return harness.poll(lambda: client_outcome(t, fam) == "intercepted", 2,
                        interval=0.1)


def test_units_together(topology, installed, tmp_path):
    """Both units enabled on the booted router, tproxyd.service as
    installed (User=proxy, its hardening): after boot clients are
    intercepted; stopping tproxyd.service, or killing tproxyd, leaves
    tproxyctl.service active and its rules in place; stopping
    tproxyctl.service removes them while tproxyd runs on."""
    t = topology
    unit, conf, _ = _machine(t, installed, tmp_path)
    etc = _container_etc(installed, tmp_path)
    sysd = etc / "systemd/system"
    (sysd / "multi-user.target.wants").mkdir(parents=True)
    for name in ("tproxyd.service", "tproxyctl.service"):
        (sysd / "multi-user.target.wants" / name).symlink_to(
            "/usr/local/lib/systemd/system/" + name)
    assert unit.start_available(), \
        "the unit's ExecStart= (tproxyctl watch) does not run on this build"
    # (A sanitizer build gets its drop-ins from systemd_boot.)
    # The configuration as installed would have it: logs and pid file in
    # the directories tproxyd.service makes.
    unit_conf = installed / CONF_IN_UNIT.lstrip("/")
    unit_conf.unlink()
    unit_conf.write_text("\n".join([
        "http_port %d tproxy" % TPORT, "http_access allow all",
        "access_log /var/log/tproxyd/access.log",
        "cache_log /var/log/tproxyd/cache.log",
        "pid_filename /run/tproxyd/tproxyd.pid",
        "dns_nameservers 127.0.0.1"]) + "\n")
    box = systemd_boot.Booted(installed, etc, t.rtr,
                              log=tmp_path / "nspawn.log")
    t.checks.append(lambda: box.kill() or [])
    start_origin(t, [netns.SRV4, netns.SRV6])
    box.boot()

    def active(name):
        return box.run(["systemctl", "is-active", name]).stdout.strip()

    def journal():
        return box.run(["journalctl", "-b", "--no-pager", "-n", "40"]).stdout

    assert active("tproxyd") == "active", journal()
    assert active("tproxyctl") == "active", journal()
    # Type=notify: systemd had READY=1 (active, not activating) and shows
    # tproxyd's status line.
    def status_text():
        return box.run(["systemctl", "show", "-P", "StatusText",
                        "tproxyd"]).stdout.strip()
    assert harness.poll(lambda: status_text().startswith("serving 1 port, "),
                        5), status_text()
    # cache.log's lines reach the journal with their priorities.
    def journal_of(prio):
        return box.run(["journalctl", "-b", "-u", "tproxyd", "-o", "cat",
                        "--no-pager", "-p", prio]).stdout
    assert "kid1| Starting tproxyd version" in journal_of("notice"), \
        journal()
    assert "Starting tproxyd version" not in journal_of("warning")
    t.wait_listen(t.rtr, TPORT)
    for fam in ("ipv4", "ipv6"):
        assert intercepted_soon(t, fam), fam
    # systemctl reload checks the file first: an error fails the reload
    # and tproxyd runs on; a good file reloads.
    good = unit_conf.read_text()
    unit_conf.write_text(good + "no_such_directive 1\n")
    p = box.run(["systemctl", "reload", "tproxyd"])
    assert p.returncode != 0, journal()
    assert active("tproxyd") == "active"
    unit_conf.write_text(good)
    p = box.run(["systemctl", "reload", "tproxyd"])
    assert p.returncode == 0, p.stderr + journal()
    assert active("tproxyd") == "active"

    p = box.run(["systemctl", "stop", "tproxyd"])
    assert p.returncode == 0, p.stderr
    assert active("tproxyctl") == "active"
    assert "tproxyd" in t.run(t.rtr, ["nft", "list", "tables"]).stdout
    p = box.run(["systemctl", "start", "tproxyd"])
    assert p.returncode == 0, p.stderr + journal()
    t.wait_listen(t.rtr, TPORT)
    assert intercepted_soon(t, "ipv4")
    # A crash: Restart=on-failure brings tproxyd back; the rules stayed.
    p = box.run(["systemctl", "kill", "-s", "KILL", "tproxyd"])
    assert p.returncode == 0, p.stderr
    assert "tproxyd" in t.run(t.rtr, ["nft", "list", "tables"]).stdout
    assert harness.poll(lambda: active("tproxyd") == "active" and
                        t.listening(t.rtr, TPORT), 15), journal()
    assert active("tproxyctl") == "active"
    assert intercepted_soon(t, "ipv4")

    p = box.run(["systemctl", "stop", "tproxyctl"])
    assert p.returncode == 0, p.stderr
    assert active("tproxyd") == "active"
    assert "tproxyd" not in t.run(t.rtr, ["nft", "list", "tables"]).stdout
    assert client_outcome(t, "ipv4") == "direct"
    assert box.poweroff() == 0


def test_late_interface(topology, installed, tmp_path):
    """An interface named in TPROXYCTL_OPTS that appears only after boot
    (a VPN, a VLAN made later): the first start fails and changes
    nothing, systemd tries again (Restart=on-failure, every 3 s), and once
    the interface is there the rules are set up without anyone asking."""
    t = topology
    unit, conf, _ = _machine(t, installed, tmp_path, '"--iface r0 late0"')
    etc = _container_etc(installed, tmp_path)
    sysd = etc / "systemd/system"
    (sysd / "multi-user.target.wants").mkdir(parents=True)
    (sysd / "multi-user.target.wants/tproxyctl.service").symlink_to(
        "/usr/local/lib/systemd/system/tproxyctl.service")
    box = _container(t, installed, tmp_path, unit, conf, etc)
    before = snapshot(t)
    start_origin(t, [netns.SRV4, netns.SRV6])
    d = start_tproxyd(t, conf)
    box.boot()

    def state():
        return box.run(["systemctl", "is-active", "tproxyctl"]).stdout.strip()

    assert state() != "active"
    assert snapshot(t) == before
    assert client_outcome(t, "ipv4") == "direct"
    t0 = time.monotonic()
    t.run(t.rtr, ["ip", "link", "add", "late0", "type", "veth",
                  "peer", "name", "late1"], check=True)
    assert harness.poll(lambda: state() == "active", 15, interval=0.2), \
        box.run(["journalctl", "-b", "-u", "tproxyctl", "--no-pager"]).stdout
    waited = time.monotonic() - t0
    print("late0 made: tproxyctl.service active %.1f s later" % waited)
    assert waited < 5, waited           # RestartSec=3
    assert client_outcome(t, "ipv4") == "intercepted"
    p = t.run(t.rtr, ["nft", "list", "table", "inet", "tproxyd"])
    assert 'iifname { "r0", "late0" }' in p.stdout or \
        '"late0"' in p.stdout, p.stdout
    box.kill()
    stop(d)
