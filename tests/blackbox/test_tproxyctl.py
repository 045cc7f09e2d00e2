# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_tproxyctl.py - tproxyctl setup / teardown / --dry-run / doctor on the
namespace harness (issue 5); HTTP and HTTPS mappings and --quic (issue 13).

Router topology (netns.Topology) and bridge topology
(tproxyctl_env.BridgeTopology); tproxyctl runs inside the middle namespace
(`ip netns exec <rtr> build/tproxyctl ...`) with --state in the test's
temporary directory, so the host's own state is never touched.
"""

import gzip
import json
import os
import subprocess
from pathlib import Path

import pytest

import harness
import netns
from tproxyctl_env import (BR_CLI4, BR_CLI6, BR_SRV4, BR_SRV6,
                           TPORT, TPORT_HTTPS, BridgeTopology, UdpEcho,
                           assert_quic_refused, assert_udp_passes, ctl,
                           doctor, fails, fetch_peer, not_pass, snapshot,
                           start_listener, start_origin, start_tproxyd, stop,
                           tcp_probe, through_tproxyd, udp_probe, wait_access,
                           write_conf)

FAMILIES = {"ipv4": (netns.SRV4, netns.CLI4), "ipv6": (netns.SRV6, netns.CLI6)}
BACKENDS = ["nft", "iptables"]


def router(topology, tmp_path, backend="nft", family="both", extra=()):
    start_origin(topology, [netns.SRV4, netns.SRV6])
    conf = write_conf(tmp_path / "tproxyd", extra)
    proc = start_tproxyd(topology, conf)
    state = tmp_path / "state"
    args = ["-f", conf, "--backend", backend, "--family", family,
            "--state", state]
    return conf, proc, state, args


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_setup_intercepts_teardown_restores(topology, tmp_path, backend,
                                            family):
    srv, cli = FAMILIES[family]
    conf, _, state, args = router(topology, tmp_path, backend, family)
    before = snapshot(topology)
    assert fetch_peer(topology, srv) == cli
    assert not through_tproxyd(topology, srv), "intercepted before setup"

    p = ctl(topology, "setup", *args)
    assert p.returncode == 0, p.stderr
    after = snapshot(topology)
    assert after != before
    assert fetch_peer(topology, srv) == cli      # spoofed client address
    assert through_tproxyd(topology, srv), "not intercepted"
    assert wait_access(conf, 1) == 1, "not logged"

    # Idempotent: a second setup leaves one copy of everything.
    p = ctl(topology, "setup", *args)
    assert p.returncode == 0, p.stderr
    assert snapshot(topology) == after

    p = ctl(topology, "teardown", "--state", state)
    assert p.returncode == 0, p.stderr
    assert snapshot(topology) == before
    assert not state.exists()
    assert fetch_peer(topology, srv) == cli
    assert not through_tproxyd(topology, srv), "still intercepted"


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_dry_run_applied_by_hand_equals_setup(topology, tmp_path, run_prefix,
                                              backend, https):
    conf = write_conf(tmp_path / "conf")
    args = ["-f", conf, "--backend", backend, "--bypass", "198.18.9.0/24",
            "2001:db8:9::/48", "--iface", "r0"]
    if https:
        # Two mappings and the QUIC rules (filter table for iptables).
        args += ["--https-port", TPORT_HTTPS]
    before = snapshot(topology)
    p = ctl(topology, "setup", "--dry-run", *args)
    assert p.returncode == 0, p.stderr
    script = p.stdout
    assert snapshot(topology) == before, "--dry-run changed something"
    assert script.startswith("#!/bin/sh")
    p = topology.run(topology.rtr, ["sh", "-c", script], timeout=60)
    assert p.returncode == 0, p.stderr
    by_hand = snapshot(topology)

    if https:
        assert "udp dport 443 reject" in script or \
            "--dport 443 -j REJECT" in script, script
    with netns.Topology(run_prefix + "d" + backend[0] + str(int(https))) \
            as t2:
        p = ctl(t2, "setup", *args, "--state", tmp_path / "state")
        assert p.returncode == 0, p.stderr
        assert snapshot(t2) == by_hand


@pytest.mark.parametrize("backend", BACKENDS)
def test_doctor_all_pass_on_correct_setup(topology, tmp_path, backend):
    conf, _, state, args = router(topology, tmp_path, backend)
    assert ctl(topology, "setup", *args).returncode == 0
    rc, checks, p = doctor(topology, "-f", conf, "--state", state)
    assert not_pass(checks) == [], p.stdout
    assert rc == 0
    # The text form says the same.
    p = ctl(topology, "doctor", "-f", conf, "--state", state)
    assert p.returncode == 0, p.stdout
    assert not [ln for ln in p.stdout.splitlines() if ln.startswith("FAIL")]


def _nft_delete(t, pattern):
    p = t.run(t.rtr, ["nft", "-a", "list", "chain", "inet", "tproxyd",
                      "prerouting"])
    for ln in p.stdout.splitlines():
        if pattern in ln and "# handle" in ln:
            h = ln.rsplit("# handle", 1)[1].strip()
            t.run(t.rtr, ["nft", "delete", "rule", "inet", "tproxyd",
                          "prerouting", "handle", h], check=True)


def _ipt_delete(t, pattern):
    p = t.run(t.rtr, ["iptables", "-t", "mangle", "-S", "TPROXYD_PREROUTING"])
    for ln in p.stdout.splitlines():
        if ln.startswith("-A ") and pattern in ln:
            t.run(t.rtr, ["iptables", "-t", "mangle"] +
                  ln.replace("-A", "-D", 1).split(), check=True)


def _sh(cmd):
    return lambda t, env: t.run(t.rtr, ["sh", "-c", cmd], check=True)


def _stop_tproxyd(t, env):
    stop(env["proc"])


def _no_capability(t, env):
    stop(env["proc"])
    # Started without CAP_NET_RAW/CAP_NET_ADMIN it refuses the tproxy port
    # (an exit status, not a crash).
    p = t.run(t.rtr, ["setpriv", "--bounding-set", "-net_raw,-net_admin",
                      "--inh-caps=-all", env["tproxyd"], "-N", "-f",
                      str(env["conf"])], timeout=20)
    assert p.returncode > 0, p
    assert harness.sanitizer_report(p.stdout + p.stderr) is None, p.stderr


FAULTS = [
    ("no_fwmark_rule", "nft", _sh("ip -4 rule del fwmark 0x1/0x1 lookup 100"),
     "route.rule.ipv4"),
    ("no_local_route", "nft",
     _sh("ip -4 route del local 0.0.0.0/0 dev lo table 100"),
     "route.local.ipv4"),
    ("tproxy_before_socket", "nft",
     _sh("nft insert rule inet tproxyd prerouting meta nfproto ipv4 "
         "tcp dport 80 tproxy ip to :3129 meta mark set 0x1 accept"),
     "rules.order.ipv4"),
    ("tproxy_before_socket_ipt", "iptables",
     _sh("iptables -t mangle -I TPROXYD_PREROUTING 1 -p tcp --dport 80 "
         "-j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1"),
     "rules.order.ipv4"),
    ("no_rule_for_port", "nft",
     lambda t, env: _nft_delete(t, "tproxy ip to"), "rules.tproxy.ipv4.3129"),
    ("no_rule_for_port_ipt", "iptables",
     lambda t, env: _ipt_delete(t, "TPROXY"), "rules.tproxy.ipv4.3129"),
    ("ip_forward_off", "nft", _sh("sysctl -qw net.ipv4.ip_forward=0"),
     "sysctl.ip_forward"),
    ("tproxyd_not_running", "nft", _stop_tproxyd, "tproxyd.running"),
    ("capability_missing", "nft", _no_capability, "tproxyd.capability"),
]


@pytest.mark.parametrize("name,backend,inject,fail_id", FAULTS,
                         ids=[f[0] for f in FAULTS])
def test_doctor_detects_fault(topology, tmp_path, name, backend, inject,
                              fail_id):
    conf, proc, state, args = router(topology, tmp_path, backend)
    assert ctl(topology, "setup", *args).returncode == 0
    rc, checks, p = doctor(topology, "-f", conf, "--state", state)
    assert rc == 0, not_pass(checks)
    inject(topology, {"proc": proc, "conf": conf,
                      "tproxyd": start_tproxyd.__globals__["TPROXYD"]})
    rc, checks, p = doctor(topology, "-f", conf, "--state", state)
    assert rc != 0
    assert fail_id in fails(checks), p.stdout
    # The text form has the FAIL line and its fix.
    p = ctl(topology, "doctor", "-f", conf, "--state", state)
    line = [ln for ln in p.stdout.splitlines() if fail_id in ln]
    assert line and line[0].startswith("FAIL"), p.stdout
    assert "fix:" in p.stdout
    # Setup again repairs every rule/route/sysctl fault.
    if not name.startswith(("tproxyd", "capability")):
        assert ctl(topology, "setup", *args).returncode == 0
        rc, checks, p = doctor(topology, "-f", conf, "--state", state)
        assert not_pass(checks) == [] and rc == 0, p.stdout


def test_doctor_rp_filter_warns_when_harmless(topology, tmp_path):
    """net.ipv4.conf.all.rp_filter=1 with routes back to the clients
    through the interface they come in on drops nothing: the client is
    still intercepted, and doctor WARNs (Squid's TPROXY guide turns it
    off) instead of FAILing. When it does drop clients (asymmetric
    routes) the route check FAILs: test_doctor_faults_routing.py."""
    conf, proc, state, args = router(topology, tmp_path)
    assert ctl(topology, "setup", *args).returncode == 0
    topology.run(topology.rtr, ["sysctl", "-qw",
                                "net.ipv4.conf.all.rp_filter=1"], check=True)
    assert fetch_peer(topology, netns.SRV4)
    assert through_tproxyd(topology, netns.SRV4)
    rc, checks, p = doctor(topology, "-f", conf, "--state", state)
    assert rc == 0, p.stdout
    assert checks["sysctl.rp_filter.all"][0] == "WARN", p.stdout
    assert checks["path.rp_filter.r0"][0] == "WARN", p.stdout
    assert checks["path.ipv4.r0"][0] == "PASS", p.stdout


def test_doctor_src_valid_mark_alone_is_harmless(topology, tmp_path):
    """wg-quick and Tailscale set net.ipv4.conf.all.src_valid_mark=1.
    setup's `ip rule ... iif lo fwmark M lookup main` keeps the source
    check of marked packets out of the local table: the client is still
    intercepted and doctor says why."""
    conf, proc, state, args = router(topology, tmp_path)
    assert ctl(topology, "setup", *args).returncode == 0
    topology.run(topology.rtr, ["sysctl", "-qw",
                                "net.ipv4.conf.all.src_valid_mark=1"],
                 check=True)
    assert fetch_peer(topology, netns.SRV4)
    assert through_tproxyd(topology, netns.SRV4)
    rc, checks, p = doctor(topology, "-f", conf, "--state", state)
    assert rc == 0, p.stdout
    assert checks["path.src_valid_mark"][0] == "PASS", p.stdout
    # Teardown removes that rule too.
    assert ctl(topology, "teardown", "--state", state).returncode == 0
    p = topology.run(topology.rtr, ["ip", "rule", "show"])
    assert "fwmark" not in p.stdout, p.stdout


def test_doctor_config_two_modes(topology, tmp_path):
    conf = write_conf(tmp_path / "c", ["http_port 3129 intercept"])
    rc, checks, p = doctor(topology, "-f", conf, "--state",
                           tmp_path / "state")
    assert rc != 0
    assert "config.modes" in fails(checks) or "config" in fails(checks), \
        p.stdout


def test_setup_errors_change_nothing(topology, tmp_path):
    conf = write_conf(tmp_path / "conf")
    state = tmp_path / "state"
    before = snapshot(topology)
    p = ctl(topology, "setup", "-f", conf, "--iface", "nope0", "--state",
            state)
    assert p.returncode == 1 and "'nope0' does not exist" in p.stderr
    p = topology.run(topology.rtr, ["setpriv", "--bounding-set", "-net_admin",
                                    "--inh-caps=-all"] +
                     [str(a) for a in [ctx_ctl(), "setup", "-f", conf,
                                       "--state", state]])
    assert p.returncode == 1 and "CAP_NET_ADMIN" in p.stderr, p.stderr
    # A hand-written rule already intercepting port 80 is a conflict.
    p = topology.run(topology.rtr, ["nft", "add table ip handmade; add chain "
                                    "ip handmade pre { type filter hook "
                                    "prerouting priority mangle; }; add rule "
                                    "ip handmade pre tcp dport 80 tproxy to "
                                    ":3129"])
    assert p.returncode == 0, p.stderr
    mid = snapshot(topology)
    p = ctl(topology, "setup", "-f", conf, "--state", state)
    assert p.returncode == 1 and "conflicting existing rule" in p.stderr, \
        p.stderr
    assert snapshot(topology) == mid and not state.exists()
    topology.run(topology.rtr, ["nft", "delete", "table", "ip", "handmade"])
    # An ip rule sending the mark elsewhere is a conflict too.
    topology.run(topology.rtr, ["ip", "-4", "rule", "add", "fwmark",
                                "0x1/0x1", "lookup", "150"], check=True)
    p = ctl(topology, "setup", "-f", conf, "--state", state)
    assert p.returncode == 1 and "conflicting existing rule" in p.stderr
    topology.run(topology.rtr, ["ip", "-4", "rule", "del", "fwmark",
                                "0x1/0x1", "lookup", "150"], check=True)
    assert snapshot(topology) == before


def test_missing_kernel_support(topology, tmp_path):
    """A kernel without the TPROXY target: setup refuses with the option
    to enable and changes nothing; doctor says FAIL with the fix. The
    kernel's own configuration (/proc/config.gz, what tproxyctl reads) is
    replaced, in a private mount namespace, by a copy without the option."""
    if not os.path.exists("/proc/config.gz"):
        # Justified skip: the kernel's configuration is what this test
        # edits, and a kernel built without CONFIG_IKCONFIG_PROC exposes
        # none (procfs cannot get a file to mount over). What tproxyctl
        # does there is test_kernel_config_unreadable's subject.
        pytest.skip("this kernel has no /proc/config.gz (built without "
                    "CONFIG_IKCONFIG_PROC): there is no kernel "
                    "configuration to replace with one lacking TPROXY; the "
                    "no-configuration case is test_kernel_config_unreadable")
    conf = write_conf(tmp_path / "conf")
    state = tmp_path / "state"
    kc = tmp_path / "config.gz"
    text = gzip.decompress(Path("/proc/config.gz").read_bytes()).decode()
    kept = [ln for ln in text.splitlines()
            if not ln.startswith("CONFIG_NETFILTER_XT_TARGET_TPROXY=")]
    assert len(kept) == len(text.splitlines()) - 1
    kc.write_bytes(gzip.compress(("\n".join(kept) + "\n").encode()))
    before = snapshot(topology)

    def ctl_without_tproxy(*args):
        script = 'mount --bind "$1" /proc/config.gz && shift && exec "$@"'
        return topology.run(topology.rtr, ["unshare", "-m", "sh", "-c",
                                           script, "sh", str(kc), ctx_ctl()] +
                            [str(a) for a in args], timeout=60)

    p = ctl_without_tproxy("setup", "-f", conf, "--backend", "iptables",
                           "--state", state)
    assert p.returncode == 1, p.stdout + p.stderr
    assert ("missing kernel support: iptables TPROXY target "
            "(CONFIG_NETFILTER_XT_TARGET_TPROXY)") in p.stderr, p.stderr
    assert snapshot(topology) == before and not state.exists()
    p = ctl_without_tproxy("doctor", "-f", conf, "--backend", "iptables",
                           "--json")
    assert p.returncode == 1
    checks = {c["id"]: c for c in json.loads(p.stdout)["checks"]}
    assert checks["kernel.xt_tproxy"]["status"] == "FAIL"
    assert "CONFIG_NETFILTER_XT_TARGET_TPROXY=m" in \
        checks["kernel.xt_tproxy"]["fix"]
    # The real configuration still has it: the same setup works.
    p = ctl(topology, "setup", "-f", conf, "--backend", "iptables",
            "--state", state)
    assert p.returncode == 0, p.stderr
    assert ctl(topology, "teardown", "--state", state).returncode == 0
    assert snapshot(topology) == before


def test_kernel_config_unreadable(topology, tmp_path):
    """Where the kernel's configuration cannot be read (no
    /proc/config.gz; here: /dev/null mounted over it in a private mount
    namespace, so gzip finds nothing), doctor does not guess: a feature
    with no other probe (policy routing) is WARN, saying why and what to
    check."""
    conf = write_conf(tmp_path / "conf")
    script = ('[ ! -e /proc/config.gz ] || mount --bind /dev/null '
              '/proc/config.gz && exec "$@"')
    p = topology.run(topology.rtr, ["unshare", "-m", "sh", "-c", script,
                                    "sh", ctx_ctl(), "doctor", "-f",
                                    str(conf), "--backend", "nft",
                                    "--json"], timeout=60)
    checks = {c["id"]: c for c in json.loads(p.stdout)["checks"]}
    for fam in ("ipv4", "ipv6"):
        c = checks["kernel.policy_routing.%s" % fam]
        assert c["status"] == "WARN", c
        assert "cannot tell whether the IPv%s policy routing is available" \
            % fam[-1] in c["message"], c
        assert "no /proc/config.gz here" in c["fix"], c


def ctx_ctl():
    from tproxyctl_env import CTL
    return CTL


# -- bridge topology ---------------------------------------------------------

BR_FAMILIES = {"ipv4": (BR_SRV4, BR_CLI4), "ipv6": (BR_SRV6, BR_CLI6)}


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_bridge_intercepts_teardown_restores(run_prefix, tmp_path, backend,
                                             family):
    srv, cli = BR_FAMILIES[family]
    with BridgeTopology(run_prefix + "b" + backend[0] + family[-1]) as t:
        start_origin(t, [BR_SRV4, BR_SRV6])
        conf = write_conf(tmp_path / "tproxyd")
        start_tproxyd(t, conf)
        state = tmp_path / "state"
        before = snapshot(t)
        assert fetch_peer(t, srv) == cli
        assert not through_tproxyd(t, srv), "intercepted before setup"
        p = ctl(t, "setup", "-f", conf, "--backend", backend, "--family",
                family, "--bridge", "b0", "b1", "--state", state)
        assert p.returncode == 0, p.stderr
        assert fetch_peer(t, srv) == cli
        assert through_tproxyd(t, srv), "bridged request not intercepted"
        assert wait_access(conf, 1) == 1, "bridged request not logged"
        rc, checks, p = doctor(t, "-f", conf, "--state", state)
        assert fails(checks) == [], p.stdout
        p = ctl(t, "teardown", "--state", state)
        assert p.returncode == 0, p.stderr
        assert snapshot(t) == before
        assert fetch_peer(t, srv) == cli
        assert not through_tproxyd(t, srv), "still intercepted"


def test_tproxy_port_from_config(topology, tmp_path):
    conf = write_conf(tmp_path / "c", [])
    conf.write_text(conf.read_text().replace("http_port %d tproxy" % TPORT,
                                             "http_port 3140 tproxy"))
    p = ctl(topology, "setup", "--dry-run", "-f", conf, "--ports", "80,8080")
    assert p.returncode == 0, p.stderr
    assert "tproxy ip to :3140" in p.stdout
    assert "tcp dport { 80, 8080 }" in p.stdout
    p = subprocess.run(["true"])
    assert p.returncode == 0


# -- HTTPS mappings and QUIC (issue 13) ---------------------------------------
#
# tproxyd's https_port is not needed to see where the kernel delivers
# connections: a transparent listener (tproxyctl_env.start_listener) holds
# the http port (3129) and the https port (3130) on the router and answers
# with the port that took the connection and the original destination.

RTR_ADDRS = {netns.RTR_CLI4, netns.RTR_SRV4, netns.RTR_CLI6, netns.RTR_SRV6}


def https_router(t, tmp_path, backend, family, extra=()):
    """Listener on 3129/3130, UDP echo on the server's 443 and 4433, and
    the setup arguments for both mappings (no -f: the ports are given)."""
    start_listener(t)
    echo = UdpEcho(t, tmp_path / "udp.log")
    state = tmp_path / "state"
    args = ["--port", TPORT, "--https-port", TPORT_HTTPS, "--backend",
            backend, "--family", family, "--state", state] + list(extra)
    return echo, state, args


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_https_mapping_and_quic_block(topology, tmp_path, backend, family):
    """80 goes to the http port, 443 to the https port; UDP to 443 is
    refused by the router with an ICMP(v6) port unreachable (QUIC is
    blocked by default when HTTPS is intercepted) while UDP to another
    port passes; teardown restores the exact ruleset."""
    t = topology
    srv, cli = FAMILIES[family]
    echo, state, args = https_router(t, tmp_path, backend, family)
    before = snapshot(t)
    # Without setup: nothing on the server's TCP 443, its UDP 443 echoes.
    assert tcp_probe(t, srv, 443) == {"error": "ConnectionRefusedError"}
    assert_udp_passes(t, echo, srv, 443)

    p = ctl(t, "setup", *args)
    assert p.returncode == 0, p.stderr
    assert "http 80 -> 3129, https 443 -> 3130; QUIC blocked" in p.stdout, \
        p.stdout
    after = snapshot(t)
    for dport, port in ((80, TPORT), (443, TPORT_HTTPS)):
        a = tcp_probe(t, srv, dport)["answer"]
        assert a["port"] == port and a["dst"] == [srv, dport], a
        assert a["peer"] == cli and a["got"] == "hello\n", a
    assert_quic_refused(t, echo, srv, 443, RTR_ADDRS)
    assert_udp_passes(t, echo, srv, 4433)

    # Idempotent; and status shows the mappings from the state file.
    p = ctl(t, "setup", *args)
    assert p.returncode == 0, p.stderr
    assert snapshot(t) == after
    conf = write_conf(tmp_path / "conf")
    p = ctl(t, "status", "-f", conf, "--state", state)
    assert "intercept: http 80 -> 3129, https 443 -> 3130; QUIC blocked " \
        "(udp 443 refused)" in p.stdout, p.stdout

    p = ctl(t, "teardown", "--state", state)
    assert p.returncode == 0, p.stderr
    assert snapshot(t) == before
    assert tcp_probe(t, srv, 443) == {"error": "ConnectionRefusedError"}
    assert_udp_passes(t, echo, srv, 443)


@pytest.mark.parametrize("backend", BACKENDS)
def test_quic_pass(topology, tmp_path, backend):
    """--quic pass: 443 still goes to the https port, UDP 443 reaches the
    server; doctor warns (not fails) that QUIC bypasses the proxy."""
    t = topology
    echo, state, args = https_router(t, tmp_path, backend, "both",
                                     ["--quic", "pass"])
    before = snapshot(t)
    p = ctl(t, "setup", *args)
    assert p.returncode == 0, p.stderr
    assert "QUIC passes (--quic pass)" in p.stdout, p.stdout
    for fam in ("ipv4", "ipv6"):
        srv, _ = FAMILIES[fam]
        assert tcp_probe(t, srv, 443)["answer"]["port"] == TPORT_HTTPS
        assert_udp_passes(t, echo, srv, 443)
    rc, checks, p = doctor(t, "--state", state)
    for fam in ("ipv4", "ipv6"):
        st, msg = checks["https.quic." + fam]
        assert st == "WARN", p.stdout
        assert "QUIC is not blocked: browsers will use HTTP/3 and bypass " \
            "the proxy" in msg, msg
        assert checks["https.port.%s.443" % fam][0] == "PASS", p.stdout
    assert ctl(t, "teardown", "--state", state).returncode == 0
    assert snapshot(t) == before


def _nft_delete_in(t, chain, pattern):
    p = t.run(t.rtr, ["nft", "-a", "list", "chain", "inet", "tproxyd",
                      chain])
    found = 0
    for ln in p.stdout.splitlines():
        if pattern in ln and "# handle" in ln:
            h = ln.rsplit("# handle", 1)[1].strip()
            t.run(t.rtr, ["nft", "delete", "rule", "inet", "tproxyd",
                          chain, "handle", h], check=True)
            found += 1
    assert found, p.stdout


def _ipt_delete_in(t, tool, table, chain, pattern):
    p = t.run(t.rtr, [tool, "-t", table, "-S", chain])
    found = 0
    for ln in p.stdout.splitlines():
        if ln.startswith("-A ") and pattern in ln:
            t.run(t.rtr, [tool, "-t", table] +
                  ln.replace("-A", "-D", 1).split(), check=True)
            found += 1
    assert found, p.stdout


HTTPS_FAULTS = [
    ("quic_reject_removed", "nft",
     lambda t: _nft_delete_in(t, "forward", "udp dport 443"),
     {"https.quic.ipv4": "QUIC is not blocked: browsers will use HTTP/3 "
      "and bypass the proxy",
      "https.quic.ipv6": "QUIC is not blocked"}),
    ("quic_reject_removed_ipt", "iptables",
     lambda t: _ipt_delete_in(t, "iptables", "filter", "TPROXYD_QUIC",
                              "REJECT"),
     {"https.quic.ipv4": "QUIC is not blocked: browsers will use HTTP/3 "
      "and bypass the proxy"}),
    ("quic_reject_removed_ip6t", "iptables",
     lambda t: _ipt_delete_in(t, "ip6tables", "filter", "TPROXYD_QUIC",
                              "REJECT"),
     {"https.quic.ipv6": "QUIC is not blocked"}),
    ("https_not_diverted", "nft",
     lambda t: _nft_delete_in(t, "prerouting", "dport 443"),
     {"https.port.ipv4.443": "port 443 is not intercepted",
      "rules.port.ipv6.443": "no rule intercepts port 443",
      "rules.tproxy.ipv4.3130": "no TPROXY rule sends connections to "
      "tproxy port 3130"}),
    ("https_to_http_port", "nft",
     lambda t: t.run(t.rtr, ["nft", "insert rule inet tproxyd prerouting "
                             "meta nfproto ipv4 tcp dport 443 tproxy ip to "
                             ":3129 meta mark set 0x1 accept"], check=True),
     {"https.port.ipv4.443": "goes to port 3129, an http_port"}),
    ("https_to_http_port_ipt", "iptables",
     lambda t: t.run(t.rtr, ["iptables", "-t", "mangle", "-I",
                             "TPROXYD_PREROUTING", "2", "-p", "tcp",
                             "--dport", "443", "-j", "TPROXY", "--on-port",
                             "3129", "--tproxy-mark", "0x1/0x1"],
                     check=True),
     {"https.port.ipv4.443": "goes to port 3129, an http_port"}),
]


@pytest.mark.parametrize("name,backend,inject,want", HTTPS_FAULTS,
                         ids=[f[0] for f in HTTPS_FAULTS])
def test_doctor_https_faults(topology, tmp_path, name, backend, inject, want):
    """doctor checks the HTTPS side: 443 diverted, and to the https port;
    UDP 443 refused. Each fault is a FAIL with its fix; setup repairs it."""
    t = topology
    echo, state, args = https_router(t, tmp_path, backend, "both")
    assert ctl(t, "setup", *args).returncode == 0
    rc, checks, p = doctor(t, "--state", state)
    for fam in ("ipv4", "ipv6"):
        for cid in ("https.port.%s.443" % fam, "https.quic." + fam,
                    "rules.port.%s.443" % fam,
                    "rules.tproxy.%s.%d" % (fam, TPORT_HTTPS)):
            assert checks[cid][0] == "PASS", (cid, p.stdout)
    # The listener is not tproxyd: doctor says so for both ports.
    assert "held by another program" in checks["tproxyd.listen.3130"][1]
    inject(t)
    rc, checks, p = doctor(t, "--state", state)
    assert rc == 1
    for cid, msg in want.items():
        assert checks[cid][0] == "FAIL" and msg in checks[cid][1], \
            (cid, p.stdout)
    p = ctl(t, "doctor", "--state", state)
    assert "fix: tproxyctl setup%s --https-port 3130" % (
        " --backend iptables" if backend == "iptables" else "") in p.stdout, \
        p.stdout
    # Setup again repairs it.
    assert ctl(t, "setup", *args).returncode == 0
    rc, checks, p = doctor(t, "--state", state)
    for cid in want:
        assert checks[cid][0] == "PASS", (cid, p.stdout)
    if name.startswith("quic"):
        assert_quic_refused(t, echo, netns.SRV4, 443, RTR_ADDRS)


def test_doctor_https_port_missing(topology, tmp_path):
    """443 diverted (--https-port) to a port nothing listens on, and that
    tproxyd.conf has no https_port for: a FAIL for each, naming it."""
    t = topology
    state = tmp_path / "state"
    conf = write_conf(tmp_path / "conf")
    assert ctl(t, "setup", "-f", conf, "--https-port", TPORT_HTTPS,
               "--state", state).returncode == 0
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    st, msg = checks["tproxyd.listen.%d" % TPORT_HTTPS]
    assert st == "FAIL" and "nothing listens on tproxy port 3130" in msg, \
        p.stdout
    st, msg = checks["https.config"]
    assert st == "FAIL" and "has no `https_port 3130 tproxy ssl-bump` " \
        "line" in msg, p.stdout
    assert checks["https.port.ipv4.443"][0] == "PASS", p.stdout
    assert checks["https.quic.ipv6"][0] == "PASS", p.stdout
    # The fix, as printed, sets up again from the configuration: no
    # HTTPS diverted to a port tproxyd does not have; nothing FAILs.
    fix = {c["id"]: c["fix"] for c in json.loads(
        p.stdout)["checks"]}["https.config"]
    assert "--https-port" not in fix and "--state" in fix, fix
    q = t.run(t.rtr, ["env", "PATH=%s:/usr/sbin:/usr/bin:/sbin:/bin" %
                      harness.BUILD, "sh", "-c", fix], timeout=60)
    assert q.returncode == 0, fix + q.stdout + q.stderr
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert checks["https.config"][0] == "PASS", p.stdout
    assert "tproxyd.listen.%d" % TPORT_HTTPS not in checks, p.stdout


def test_https_errors(topology, tmp_path):
    """Mappings that cannot work are refused before anything changes."""
    t = topology
    before = snapshot(t)
    state = tmp_path / "state"
    for argv, msg in [
            (["--https-port", TPORT], "HTTPS needs a port of its own"),
            (["--https-port", TPORT_HTTPS, "--ports", "80,443"],
             "port 443 is in both --ports (HTTP) and --https-ports"),
            (["--quic", "maybe"], "bad --quic 'maybe'")]:
        p = ctl(t, "setup", *argv, "--state", state)
        assert p.returncode != 0 and msg in p.stderr, (argv, p.stderr)
    assert snapshot(t) == before and not state.exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_bridge_https_quic(run_prefix, tmp_path, backend):
    """Bridged: 443 goes to the https port; bridged UDP to 443 is refused
    as it arrives on the client-side bridge port (the refusal carries the
    server's address; the server never sees the datagram), UDP to another
    port stays bridged; both families; teardown restores all."""
    with BridgeTopology(run_prefix + "q" + backend[0]) as t:
        start_listener(t)
        echo = UdpEcho(t, tmp_path / "udp.log")
        state = tmp_path / "state"
        before = snapshot(t)
        for srv in (BR_SRV4, BR_SRV6):
            assert_udp_passes(t, echo, srv, 443)
        p = ctl(t, "setup", "--port", TPORT, "--https-port", TPORT_HTTPS,
                "--backend", backend, "--bridge", "b0", "b1", "--state",
                state)
        assert p.returncode == 0, p.stderr
        for srv, cli in ((BR_SRV4, BR_CLI4), (BR_SRV6, BR_CLI6)):
            for dport, port in ((80, TPORT), (443, TPORT_HTTPS)):
                a = tcp_probe(t, srv, dport)["answer"]
                assert a["port"] == port and a["dst"] == [srv, dport], a
                assert a["peer"] == cli, a
            assert_quic_refused(t, echo, srv, 443, {srv})
            assert_udp_passes(t, echo, srv, 4433)
        rc, checks, p = doctor(t, "--state", state)
        assert checks["https.quic.ipv4"][0] == "PASS", p.stdout
        assert checks["https.quic.ipv6"][0] == "PASS", p.stdout
        assert ctl(t, "teardown", "--state", state).returncode == 0
        assert snapshot(t) == before
        for srv in (BR_SRV4, BR_SRV6):
            assert_udp_passes(t, echo, srv, 443)
            assert tcp_probe(t, srv, 443) == {
                "error": "ConnectionRefusedError"}


def test_behind_router_https_rules(topology, tmp_path):
    """--behind-router with HTTPS: the rules printed for the router send
    443 to the proxy box too and refuse QUIC there (the box never sees the
    clients' UDP); the kernel accepts them (nft -c, applied nowhere)."""
    t = topology
    p = ctl(t, "setup", "--dry-run", "--https-port", TPORT_HTTPS,
            "--behind-router", "198.18.3.2", "2001:db8:3::2",
            "--router-wan", "r1", "--tos", "0x20")
    assert p.returncode == 0, p.stderr
    text = p.stdout[p.stdout.index("# ---- On the ROUTER"):]
    script = text[text.index("nft -f - <<'EOF'\n") + 17:text.index("EOF\n")]
    assert 'iifname != "r1" tcp dport { 80, 443 } meta mark set' in script
    assert 'iifname "r1" tcp sport { 80, 443 } meta mark set' in script
    assert 'iifname != "r1" udp dport { 443 } reject with icmpx type ' \
        'port-unreachable' in script, script
    c = t.run(t.rtr, ["nft", "-c", "-f", "-"], input=script)
    assert c.returncode == 0, c.stderr + script
    # Without HTTPS (and so no QUIC refusal) the router rules are as
    # before: port 80 only.
    p = ctl(t, "setup", "--dry-run", "--behind-router", "198.18.3.2",
            "2001:db8:3::2", "--router-wan", "r1", "--tos", "0x20")
    assert p.returncode == 0, p.stderr
    assert "tcp dport { 80 }" in p.stdout and "udp" not in p.stdout
