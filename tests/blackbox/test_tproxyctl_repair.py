# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_tproxyctl_repair.py - `tproxyctl setup` run again repairs what it owns,
refuses what is someone else's, changes nothing when it fails, and passes
odd interface names on correctly (issue 14, "Repair and exactness").

Router topology (netns.Topology); tproxyctl runs in the middle namespace
with --state in the test's temporary directory. Every check compares the
router's rules, routes and sysctls (tproxyctl_env.snapshot()) and what a
client sees: whether its request to the server went through tproxyd.
"""

import json
import os
import shutil
import stat

import pytest

import netns
from tproxyctl_env import (CTL, TPORT_HTTPS, UdpEcho, assert_quic_refused,
                           assert_udp_passes, ctl, doctor, fetch_peer,
                           not_pass, snapshot, start_listener, start_origin,
                           start_tproxyd, through_tproxyd, url, write_conf)

BACKENDS = ["nft", "iptables"]


class Router:
    """origin in srv, tproxyd in rtr, the setup arguments and state path."""

    def __init__(self, t, tmp_path, backend="nft", extra=()):
        self.t = t
        start_origin(t, [netns.SRV4, netns.SRV6])
        self.conf = write_conf(tmp_path / "tproxyd")
        self.proc = start_tproxyd(t, self.conf)
        self.state = tmp_path / "state"
        self.args = ["-f", self.conf, "--backend", backend, "--state",
                     self.state] + list(extra)

    def setup(self, *more, env=None):
        argv = [CTL, "setup"] + [str(a) for a in self.args] + list(more)
        if env:
            argv = ["env"] + env + argv
        return self.t.run(self.t.rtr, argv, timeout=60)

    def teardown(self):
        return ctl(self.t, "teardown", "--state", self.state)

    def sh(self, cmd):
        p = self.t.run(self.t.rtr, ["sh", "-c", cmd])
        assert p.returncode == 0, (cmd, p.stderr)

    def intercepted(self, fam=4):
        """Whether a client's request over fam reached the server through
        tproxyd (False also when it did not get an answer at all)."""
        srv, cli = ((netns.SRV4, netns.CLI4) if fam == 4 else
                    (netns.SRV6, netns.CLI6))
        p = self.t.run(self.t.cli, ["curl", "-sS", "--noproxy", "*",
                                    "--max-time", "5", url(srv)], timeout=20)
        if p.returncode != 0:
            self.seen = "no answer (curl exit %d)" % p.returncode
            return False
        assert json.loads(p.stdout)["addr"] == cli
        got = through_tproxyd(self.t, srv)
        self.seen = "answered through tproxyd" if got else "answered direct"
        return got

    def doctor_passes(self):
        rc, checks, p = doctor(self.t, "-f", self.conf, "--state",
                               self.state)
        return not_pass(checks) == [] and rc == 0, p.stdout


# -- 1. a second setup repairs what tproxyctl owns ----------------------------

def _nft_delete_tproxy(r):
    p = r.t.run(r.t.rtr, ["nft", "-a", "list", "chain", "inet", "tproxyd",
                          "prerouting"])
    for ln in p.stdout.splitlines():
        if "tproxy ip to" in ln and "# handle" in ln:
            r.sh("nft delete rule inet tproxyd prerouting handle " +
                 ln.rsplit("# handle", 1)[1].strip())


# (name, backend, inject (a shell command or a function of Router), what the
# repair report names, does the fault stop interception here (IPv6 for the
# rows whose name ends in _v6, else IPv4): True, False (measured: it does
# not), None (not asserted: it depends on more than this topology shows))
REPAIRS = [
    ("rule_missing", "nft", "ip -4 rule del fwmark 0x1/0x1 lookup 100",
     "ip rule `fwmark 0x1/0x1 lookup 100` (ipv4) was missing: added at "
     "preference 100", True),
    ("rule_missing_v6", "nft", "ip -6 rule del fwmark 0x1/0x1 lookup 100",
     "ip rule `fwmark 0x1/0x1 lookup 100` (ipv6) was missing: added at "
     "preference 100", True),
    # Moved behind a rule of someone else's that sends what comes in from
    # the clients to another table (a multi-WAN package's; here a table
    # whose default is unreachable).
    ("rule_moved", "nft",
     "ip -4 rule del fwmark 0x1/0x1 lookup 100 && "
     "ip -4 rule add pref 32000 fwmark 0x1/0x1 lookup 100 && "
     "ip -4 route add unreachable default table 77 && "
     "ip -4 rule add pref 31000 iif r0 lookup 77",
     "ip rule `fwmark 0x1/0x1 lookup 100` (ipv4) was at preference 32000: "
     "now once, at 100", True),
    ("rule_duplicated", "nft",
     "ip -4 rule add pref 200 fwmark 0x1/0x1 lookup 100",
     "was at preference 100, 200: now once, at 100", False),
    ("route_missing", "iptables",
     "ip -4 route del local 0.0.0.0/0 dev lo table 100",
     "`ip -4 route add local default dev lo table 100` was missing", True),
    ("route_missing_v6", "nft",
     "ip -6 route del local ::/0 dev lo table 100",
     "`ip -6 route add local default dev lo table 100` was missing", True),
    ("ip_forward_off", "nft", "sysctl -qw net.ipv4.ip_forward=0",
     "sysctl net.ipv4.ip_forward was 0: set to 1", False),
    ("forwarding_off_v6", "iptables",
     "sysctl -qw net.ipv6.conf.all.forwarding=0",
     "sysctl net.ipv6.conf.all.forwarding was 0: set to 1", False),
    ("rp_filter_all", "nft", "sysctl -qw net.ipv4.conf.all.rp_filter=1",
     "sysctl net.ipv4.conf.all.rp_filter was 1: set to 0", False),
    ("rp_filter_iface", "iptables",
     "sysctl -qw net.ipv4.conf.r0.rp_filter=2",
     "sysctl net.ipv4.conf.r0.rp_filter was 2: set to 0", False),
    ("nft_rule_deleted", "nft", _nft_delete_tproxy,
     "nft table inet tproxyd: its rules were not the ones setup writes",
     True),
    ("nft_table_deleted", "nft", "nft delete table inet tproxyd",
     "nft table inet tproxyd was missing: made again", True),
    ("ipt_jump_deleted", "iptables",
     "iptables -t mangle -D PREROUTING -j TPROXYD_PREROUTING",
     "the jump to TPROXYD_PREROUTING in mangle PREROUTING was missing",
     True),
    # Someone's rule ahead of the jump that accepts port 80 first.
    ("ipt_jump_not_first", "iptables",
     "iptables -t mangle -I PREROUTING 1 -p tcp --dport 80 -j ACCEPT",
     "the jump to TPROXYD_PREROUTING in mangle PREROUTING was at position "
     "2: now once, first", True),
    ("ipt_jump_duplicated", "iptables",
     "iptables -t mangle -A PREROUTING -j TPROXYD_PREROUTING",
     "was at position 1, 2: now once, first", False),
    ("ipt_chain_rule_deleted", "iptables",
     "iptables -t mangle -D TPROXYD_PREROUTING -p tcp -i r0 --dport 80 "
     "-j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1",
     "iptables chain TPROXYD_PREROUTING (mangle table): its rules were not "
     "the ones setup writes: rewritten", True),
]

FOREIGN_CLEANUP = {
    "rule_moved": "ip -4 rule del pref 31000 iif r0 lookup 77; "
                  "ip -4 route del unreachable default table 77",
    "ipt_jump_not_first": "iptables -t mangle -D PREROUTING -p tcp "
                          "--dport 80 -j ACCEPT",
}


@pytest.mark.parametrize("name,backend,inject,report,breaks", REPAIRS,
                         ids=[r[0] for r in REPAIRS])
def test_second_setup_repairs(topology, tmp_path, name, backend, inject,
                              report, breaks):
    r = Router(topology, tmp_path, backend, ["--iface", "r0"])
    before = snapshot(topology)
    p = r.setup()
    assert p.returncode == 0, p.stderr
    assert "repaired" not in p.stdout
    good = snapshot(topology)
    fam = 6 if name.endswith("_v6") else 4
    assert r.intercepted(fam)

    if callable(inject):
        inject(r)
    else:
        r.sh(inject)
    assert snapshot(topology) != good, "the fault changed nothing"
    seen = r.intercepted(fam)
    print("%s: IPv%d with the fault: %s" % (name, fam, r.seen))
    if breaks is not None:
        assert seen is not breaks, "expected interception %s by the " \
            "fault" % ("broken" if breaks else "kept")

    p = r.setup()
    assert p.returncode == 0, p.stderr
    assert "tproxyctl: repaired what had changed since the last setup:" in \
        p.stdout, p.stdout
    assert report in p.stdout, p.stdout
    assert r.intercepted(fam), "not intercepted after the repair"
    ok, out = r.doctor_passes()
    assert ok, out
    if name in FOREIGN_CLEANUP:
        r.sh(FOREIGN_CLEANUP[name])
    assert snapshot(topology) == good, "not repaired exactly"
    # Nothing left to repair.
    p = r.setup()
    assert p.returncode == 0 and "repaired" not in p.stdout, p.stdout

    p = r.teardown()
    assert p.returncode == 0, p.stderr
    assert snapshot(topology) == before


# -- 4. the state before the FIRST setup is what teardown puts back -----------

def test_teardown_restores_state_before_first_setup(topology, tmp_path):
    """ip_forward is already 1 (the topology routes) when setup first
    runs; something sets it to 0; a second setup repairs it; teardown must
    leave 1, the value from before tproxyctl, not the 0 the repair
    found. Same for a per-interface rp_filter."""
    r = Router(topology, tmp_path, "nft", ["--iface", "r0"])
    before = snapshot(topology)
    assert "net.ipv4.ip_forward = 1" in before["sysctl"]
    assert r.setup().returncode == 0
    state = r.state.read_text()
    assert "sysctl\tnet.ipv4.ip_forward\t1\t1" in state, state
    assert "sysctl\tnet.ipv4.conf.r0.rp_filter\t0\t0" in state, state
    r.sh("sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.r0.rp_filter=1")
    p = r.setup()
    assert p.returncode == 0, p.stderr
    assert "net.ipv4.ip_forward was 0: set to 1" in p.stdout, p.stdout
    assert "sysctl\tnet.ipv4.ip_forward\t1\t1" in r.state.read_text()
    p = r.teardown()
    assert p.returncode == 0, p.stderr
    assert snapshot(topology) == before


def test_rule_and_route_there_before_are_kept(topology, tmp_path):
    """A hand-made Squid-guide setup (`ip rule add fwmark 1 lookup 100`,
    `ip route add local ...`) before the first setup: setup uses it,
    never moves it, and teardown leaves it."""
    r = Router(topology, tmp_path, "nft")
    r.sh("ip -4 rule add fwmark 0x1/0x1 lookup 100 && "
         "ip -4 route add local 0.0.0.0/0 dev lo table 100")
    before = snapshot(topology)
    p = r.setup()
    assert p.returncode == 0, p.stderr
    state = r.state.read_text()
    assert "had\tip -4 rule fwmark 0x1/0x1 lookup 100" in state, state
    assert "had\tip -4 route local 0.0.0.0/0 dev lo table 100" in state
    assert r.intercepted()
    rules = topology.run(topology.rtr, ["ip", "-4", "rule"]).stdout
    assert "32765:\tfrom all fwmark 0x1/0x1 lookup 100" in rules, rules
    assert "100:\tfrom all fwmark" not in rules, rules
    p = r.setup()
    assert p.returncode == 0 and "repaired" not in p.stdout, p.stdout
    assert r.teardown().returncode == 0
    assert snapshot(topology) == before


# -- 1. someone else's conflict: refused, nothing changed ---------------------

CONFLICTS = [
    ("foreign_rule_on_table",
     "ip -4 rule add pref 500 from 198.18.77.0/24 lookup 100",
     ["`500: from 198.18.77.0/24 lookup 100` also looks up table 100",
      "ip -4 rule del pref 500 from 198.18.77.0/24 lookup 100",
      "choose another --table"]),
    ("foreign_rule_same_mark",
     "ip -6 rule add pref 600 fwmark 0x1/0x1 lookup 150",
     ["already routes mark 0x1/0x1 elsewhere", "choose another --mark"]),
    ("foreign_route_in_table",
     "ip -6 route add 2001:db8:77::/48 dev r1 table 100",
     ["table 100 already holds `2001:db8:77::/48 dev r1",
      "choose another --table"]),
    ("foreign_tproxy_rule",
     "nft add table ip handmade && nft add chain ip handmade pre '{ type "
     "filter hook prerouting priority mangle; }' && nft add rule ip "
     "handmade pre tcp dport 80 tproxy to :3129",
     ["conflicting existing rule in", "already intercepts port 80"]),
    # Another proxy's iptables chain, reached from PREROUTING.
    ("foreign_ipt_chain",
     "iptables -t mangle -N OTHERPROXY && iptables -t mangle -A OTHERPROXY "
     "-p tcp --dport 80 -j TPROXY --on-port 3128 --tproxy-mark 0x2/0x2 && "
     "iptables -t mangle -A PREROUTING -j OTHERPROXY",
     ["conflicting existing rule in", "OTHERPROXY",
      "already intercepts port 80"]),
]


@pytest.mark.parametrize("repair", [False, True], ids=["first", "repair"])
@pytest.mark.parametrize("name,inject,says", CONFLICTS,
                         ids=[c[0] for c in CONFLICTS])
def test_foreign_conflict_refused(topology, tmp_path, name, inject, says,
                                  repair):
    r = Router(topology, tmp_path, "nft")
    if repair:
        assert r.setup().returncode == 0
        # something of ours to repair too: must stay broken
        r.sh("sysctl -qw net.ipv4.conf.all.rp_filter=1")
    state = r.state.read_bytes() if repair else None
    r.sh(inject)
    mid = snapshot(topology)
    p = r.setup()
    assert p.returncode == 1, p.stdout
    for s in says:
        assert s in p.stderr, p.stderr
    assert "nothing was changed" in p.stderr
    assert snapshot(topology) == mid
    if repair:
        assert r.state.read_bytes() == state
    else:
        assert not r.state.exists()


# -- 2. a failure midway undoes what the run did ------------------------------

def _wrapper(tmp_path, tool, script):
    """A directory to put first in PATH holding `tool`: runs script (sh,
    with "$@" the arguments) and then the real tool."""
    d = tmp_path / "wrap"
    d.mkdir(exist_ok=True)
    real = shutil.which(tool, path="/usr/sbin:/sbin:/usr/bin:/bin")
    w = d / tool
    w.write_text("#!/bin/sh\n%s\nexec %s \"$@\"\n" % (script, real))
    w.chmod(w.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return ["PATH=%s:%s" % (d, os.environ.get("PATH", "/usr/bin:/bin"))]


# IPv6 is switched off on lo just before `ip -6 route add local ::/0 dev lo
# table 100` (after every check setup makes first): the kernel refuses the
# route ("IPv6 is disabled on nexthop device").
LO_V6_OFF = ('case "$*" in "-6 route add local"*) '
             'sysctl -qw net.ipv6.conf.lo.disable_ipv6=1;; esac')


@pytest.mark.parametrize("backend", BACKENDS)
def test_midway_failure_first_setup_rolled_back(topology, tmp_path,
                                                backend):
    r = Router(topology, tmp_path, backend, ["--iface", "r0"])
    # Values setup will change (and must put back).
    r.sh("sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.all.rp_filter=1 "
         "net.ipv4.conf.r0.rp_filter=2")
    before = snapshot(topology)
    p = r.setup(env=_wrapper(tmp_path, "ip", LO_V6_OFF))
    r.sh("sysctl -qw net.ipv6.conf.lo.disable_ipv6=0")
    assert p.returncode == 1, p.stdout
    assert "IPv6 is disabled on nexthop device" in p.stderr, p.stderr
    assert "setup failed at: ipv6: table 100 delivers every address " \
        "locally; everything this run changed was undone (the box is as " \
        "it was before setup)" in p.stderr, p.stderr
    assert snapshot(topology) == before
    assert not r.state.exists()
    assert not r.intercepted()


@pytest.mark.parametrize("backend", BACKENDS)
def test_midway_failure_repair_rolled_back(topology, tmp_path, backend):
    """A repair run that fails puts the box back as it was before the
    repair (still broken the same way), with the state file unchanged."""
    r = Router(topology, tmp_path, backend)
    assert r.setup().returncode == 0
    r.sh("ip -4 rule del fwmark 0x1/0x1 lookup 100 && "
         "sysctl -qw net.ipv4.ip_forward=0 && "
         "ip -6 route del local ::/0 dev lo table 100")
    broken = snapshot(topology)
    state = r.state.read_bytes()
    p = r.setup(env=_wrapper(tmp_path, "ip", LO_V6_OFF))
    r.sh("sysctl -qw net.ipv6.conf.lo.disable_ipv6=0")
    assert p.returncode == 1, p.stdout
    assert "the box is as it was before this run" in p.stderr, p.stderr
    assert snapshot(topology) == broken
    assert r.state.read_bytes() == state
    # Without the fault, the same repair works and teardown is exact.
    p = r.setup()
    assert p.returncode == 0, p.stderr
    assert r.intercepted()


def test_midway_ip6tables_failure_rolled_back(topology, tmp_path):
    """iptables backend: ip6tables fails on its first TPROXY rule (the
    wrapper stands for an ip6tables without the TPROXY extension: the
    check before setup reads the kernel's configuration, not the
    userspace's). The IPv4 chains, rules and jump, the IPv6 chains, the
    routes, the sysctls and iptables-nft's new mangle tables all go."""
    r = Router(topology, tmp_path, "iptables", ["--iface", "r0"])
    r.sh("sysctl -qw net.ipv4.ip_forward=0")
    before = snapshot(topology)
    env = _wrapper(tmp_path, "ip6tables",
                   'case "$*" in *"-j TPROXY "*) echo "ip6tables v1.8.9 '
                   '(nf_tables): unknown option \\"--on-port\\"" >&2; '
                   'exit 2;; esac')
    p = r.setup(env=env)
    assert p.returncode == 1, p.stdout
    assert "everything this run changed was undone" in p.stderr, p.stderr
    assert snapshot(topology) == before
    assert not r.state.exists()


def test_midway_nft_failure_rolled_back(topology, tmp_path):
    """nft backend: the ruleset transaction is refused (the wrapper makes
    the first `nft -f -` fail as nft does on a ruleset the kernel rejects;
    what the check before setup tries is a smaller probe). The sysctls,
    rules and routes set before it are undone."""
    r = Router(topology, tmp_path, "nft", ["--iface", "r0"])
    r.sh("sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.r0.rp_filter=1")
    before = snapshot(topology)
    flag = tmp_path / "nft-failed"
    env = _wrapper(tmp_path, "nft",
                   'if [ "$*" = "-f -" ] && [ ! -e %s ]; then touch %s; '
                   'cat >/dev/null; echo "Error: Could not process rule: '
                   'Operation not supported" >&2; exit 1; fi' % (flag, flag))
    p = r.setup(env=env)
    assert p.returncode == 1, p.stdout
    assert flag.exists()
    assert "setup failed at: netfilter rules: table inet tproxyd (one " \
        "atomic transaction); everything this run changed was undone" in \
        p.stderr, p.stderr
    assert snapshot(topology) == before
    assert not r.state.exists()


# -- 2. IPv6 disabled, lo down: checked before anything changes ---------------

def test_ipv6_disabled(topology, tmp_path):
    r = Router(topology, tmp_path, "nft")
    r.sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1")
    before = snapshot(topology)
    for fam in ("both", "ipv6"):
        p = r.setup("--family", fam)
        assert p.returncode == 1, p.stdout
        assert "IPv6 interception was asked for, but IPv6 is disabled " \
            "(net.ipv6.conf.all.disable_ipv6 = 1); run setup with " \
            "--family ipv4" in p.stderr, p.stderr
        assert snapshot(topology) == before and not r.state.exists()
    p = r.setup()
    assert p.returncode == 0, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if "IPv6" in ln]
    assert lines == ["tproxyctl: IPv6 is disabled "
                     "(net.ipv6.conf.all.disable_ipv6 = 1): setting up "
                     "IPv4 only"], p.stderr
    assert "setup done (nftables, ipv4:" in p.stdout, p.stdout
    assert "fwmark" not in topology.run(topology.rtr,
                                        ["ip", "-6", "rule"]).stdout
    assert r.intercepted()
    ok, out = r.doctor_passes()
    assert ok, out
    assert r.teardown().returncode == 0
    assert snapshot(topology) == before


def test_no_ipv6_in_kernel(topology, tmp_path):
    """No /proc/sys/net/ipv6/conf (a kernel booted with ipv6.disable=1):
    an empty directory mounted over /proc/sys/net/ipv6 in a private
    mount namespace."""
    r = Router(topology, tmp_path, "nft")
    empty = tmp_path / "empty"
    empty.mkdir()
    before = snapshot(topology)

    def setup(*more):
        script = 'mount --bind "$1" /proc/sys/net/ipv6 && shift && ' \
                 'exec "$@"'
        return topology.run(topology.rtr, ["unshare", "-m", "sh", "-c",
                                           script, "sh", str(empty), CTL,
                                           "setup"] +
                            [str(a) for a in r.args] + list(more),
                            timeout=60)
    p = setup("--family", "both")
    assert p.returncode == 1
    assert "this kernel has no IPv6" in p.stderr, p.stderr
    assert snapshot(topology) == before
    p = setup()
    assert p.returncode == 0, p.stderr
    assert "this kernel has no IPv6 (no /proc/sys/net/ipv6: booted with " \
        "ipv6.disable=1, or built without IPv6): setting up IPv4 only" in \
        p.stderr, p.stderr
    assert r.intercepted()
    assert r.teardown().returncode == 0
    assert snapshot(topology) == before


def test_lo_down_refused(topology, tmp_path):
    r = Router(topology, tmp_path, "nft")
    r.sh("ip link set lo down")
    before = snapshot(topology)
    p = r.setup()
    assert p.returncode == 1
    assert "the loopback interface lo is down" in p.stderr, p.stderr
    assert "nothing was changed" in p.stderr
    assert snapshot(topology) == before and not r.state.exists()
    # The command it names fixes it.
    fix = p.stderr.split("bring it up with `", 1)[1].split("`", 1)[0]
    assert fix == "ip link set lo up"
    r.sh(fix)
    assert r.setup().returncode == 0
    assert r.intercepted()


# -- 3. odd interface names ---------------------------------------------------

def _odd_names(t):
    """The router's client side renamed lan.100 (a VLAN's usual name; this
    kernel has no CONFIG_VLAN_8021Q, so the veth itself carries it), its
    server side up-link, and a port-less bridge br-lan."""
    for old, new, a6 in (("r0", "lan.100", netns.RTR_CLI6),
                         ("r1", "up-link", netns.RTR_SRV6)):
        t.run(t.rtr, ["sh", "-c", "ip link set %s down && ip link set %s "
                      "name %s && ip link set %s up && ip -6 addr replace "
                      "%s/64 dev %s nodad" % (old, old, new, new, a6, new)],
              check=True)
    t.run(t.rtr, ["ip", "link", "add", "br-lan", "type", "bridge"],
          check=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_odd_names_dry_run_equals_setup(topology, tmp_path, run_prefix,
                                        backend):
    _odd_names(topology)
    conf = write_conf(tmp_path / "conf")
    args = ["-f", conf, "--backend", backend, "--iface", "lan.100",
            "br-lan", "up-link", "--https-port", "3130"]
    before = snapshot(topology)
    p = ctl(topology, "setup", "--dry-run", *args)
    assert p.returncode == 0, p.stderr
    script = p.stdout
    assert "sysctl -w net.ipv4.conf.lan/100.rp_filter=0" in script, script
    assert snapshot(topology) == before
    p = topology.run(topology.rtr, ["sh", "-c", script], timeout=60)
    assert p.returncode == 0, p.stderr
    by_hand = snapshot(topology)
    assert "net.ipv4.conf.lan/100.rp_filter = 0" in by_hand["sysctl"]

    with netns.Topology(run_prefix + "o" + backend[0]) as t2:
        _odd_names(t2)
        t2.sysctl(t2.rtr, "net.ipv4.conf.lan/100.rp_filter", "1")
        start_origin(t2, [netns.SRV4, netns.SRV6])
        conf2 = write_conf(tmp_path / "t2")
        start_tproxyd(t2, conf2)
        state = tmp_path / "state2"
        p = ctl(t2, "setup", *(["-f", conf2] + args[2:]), "--state",
                state)
        assert p.returncode == 0, p.stderr
        assert snapshot(t2) == by_hand
        # Clients behind lan.100 are intercepted, over both families.
        for srv, cli in ((netns.SRV4, netns.CLI4), (netns.SRV6, netns.CLI6)):
            assert fetch_peer(t2, srv) == cli
            assert through_tproxyd(t2, srv)
        p = ctl(t2, "teardown", "--state", state)
        assert p.returncode == 0, p.stderr
        assert "net.ipv4.conf.lan/100.rp_filter = 1" in \
            snapshot(t2)["sysctl"]


BAD_NAMES = [
    ("eth0@if5", "`ip link` shows a link as NAME@PEER; give only the name "
                 "('eth0')"),
    ("a;b", "';' is not accepted"),
    ("a'b", "''' is not accepted"),
    ('a"b', "'\"' is not accepted"),
    ("a\\b", "'\\' is not accepted"),
    ("eth+", "'+' is not accepted"),
    ("a b", "contains a space or control character"),
    ("a/b", "'/' is not accepted"),
    ("..", "bad interface name '..'"),
    ("abcdefghijklmnop", "it must be 1 to 15 characters long"),
]


@pytest.mark.parametrize("name,says", BAD_NAMES, ids=[b[0] for b in BAD_NAMES])
def test_bad_interface_names_refused(topology, tmp_path, name, says):
    conf = write_conf(tmp_path / "conf")
    before = snapshot(topology)
    for cmd in (["setup"], ["setup", "--dry-run"]):
        p = ctl(topology, *cmd, "-f", conf, "--iface", name, "--state",
                tmp_path / "state")
        assert p.returncode == 2, (p.stdout, p.stderr)
        assert says in p.stderr, p.stderr
        assert p.stdout == ""
    assert snapshot(topology) == before


# -- 1. the QUIC chain's jump, first in filter FORWARD ------------------------

def test_quic_jump_repaired_first_in_forward(topology, tmp_path):
    """iptables backend with HTTPS intercepted: UDP to 443 (QUIC) is refused
    in filter FORWARD (TPROXYD_QUIC). A rule of someone else's accepting
    UDP 443 put ahead of the jump lets QUIC through; a second setup puts
    the jump first again and the client is refused again."""
    start_listener(topology)
    echo = UdpEcho(topology, tmp_path / "udp.log", ports=(443,))
    state = tmp_path / "state"
    args = ["--backend", "iptables", "--https-port", TPORT_HTTPS,
            "--state", state]
    before = snapshot(topology)
    p = ctl(topology, "setup", *args)
    assert p.returncode == 0, p.stderr
    good = snapshot(topology)
    assert_quic_refused(topology, echo, netns.SRV4, 443,
                        [netns.RTR_CLI4, netns.RTR_SRV4])
    foreign = "iptables -I FORWARD 1 -p udp --dport 443 -j ACCEPT"
    topology.run(topology.rtr, ["sh", "-c", foreign], check=True)
    assert_udp_passes(topology, echo, netns.SRV4, 443)   # QUIC gets out

    p = ctl(topology, "setup", *args)
    assert p.returncode == 0, p.stderr
    assert "the jump to TPROXYD_QUIC in filter FORWARD was at position 2: " \
        "now once, first" in p.stdout, p.stdout
    assert_quic_refused(topology, echo, netns.SRV4, 443,
                        [netns.RTR_CLI4, netns.RTR_SRV4])
    topology.run(topology.rtr, ["sh", "-c", foreign.replace("-I FORWARD 1",
                                                            "-D FORWARD")],
                 check=True)
    assert snapshot(topology) == good
    assert ctl(topology, "teardown", "--state", state).returncode == 0
    assert snapshot(topology) == before
