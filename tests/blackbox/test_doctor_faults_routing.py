# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_doctor_faults_routing.py - field faults in policy routing and
sysctls that break interception, each from a public report: doctor must
FAIL with a fix that works when pasted (doctor_faults.run_fault).

Most are found by doctor's route check (path.c): it asks the kernel what
it does with a marked packet from a client (`ip route get ... iif IF mark
M`) and names the cause. Every row shows the client losing interception
(before) and getting it back after the printed fix.

setup puts its rules at explicit preferences (--rule-pref, 100, and 99 for
the iif lo rule): rules other software adds at fixed preferences above
them (Tailscale, netbird, mwan3, CNI) no longer take anything and are kept
as look-alikes (HARMLESS); what still breaks is a rule added later without
a preference (the kernel puts it before the lowest one there: wg-quick's at
98 and 97) or at a fixed preference below 100 (Calico's 99). The fix for
those is setup again with a lower --rule-pref, which is recorded.
"""

import json
from pathlib import Path

import pytest

import netns
from doctor_faults import Fault, client_outcome, run_fault
from tproxyctl_env import ctl, doctor, start_origin, start_tproxyd, write_conf


def _sh(cmd):
    return lambda t, env: t.run(t.rtr, ["sh", "-c", cmd], check=True)


def _asymmetric(t, env):
    """A second link between router and client (r2 -- c1), and the route
    back to the client through it: requests come in on r0, replies leave
    through r2 (multi-homed client, or a second uplink)."""
    cli_ns = t.cli
    t.run(t.rtr, ["ip", "link", "add", "r2", "type", "veth", "peer", "name",
                  "c1", "netns", cli_ns], check=True)
    t.run(t.cli, ["ip", "link", "set", "c1", "up"], check=True)
    t.run(t.rtr, ["ip", "link", "set", "r2", "up"], check=True)
    t.run(t.rtr, ["ip", "route", "add", netns.CLI4 + "/32", "dev", "r2"],
          check=True)


def _vlan_asymmetric(t, env):
    """The client side is a VLAN interface named lan.100 (r0 renamed), with
    the asymmetric return path of _asymmetric."""
    for cmd in (["ip", "link", "set", "r0", "down"],
                ["ip", "link", "set", "r0", "name", "lan.100"],
                ["ip", "link", "set", "lan.100", "up"],
                ["ip", "-6", "addr", "replace", netns.RTR_CLI6 + "/64",
                 "dev", "lan.100", "nodad"]):
        t.run(t.rtr, cmd, check=True)
    _asymmetric(t, env)


# A link named wg0 whose packets go nowhere (the peer end is idle), for
# wg-quick's route `dev wg0`.
WG_LINK = ("ip link add wg0 type veth peer name wg0p && "
           "ip link set wg0p up && ip link set wg0 up")


def _setup_keeps(pref, flag="-4"):
    """After the fix (setup with --rule-pref pref): the preference is
    recorded in the state file (doctor's setup fixes say it again from
    there), and the setup said again with it keeps setup's rules once each
    at pref and pref - 1, before the other rules; the client stays
    intercepted."""
    def after_fix(t, env):
        assert "opt\trule-pref\t%d\n" % pref in \
            Path(env["state"]).read_text()
        p = ctl(t, "setup", *env["args"], "--rule-pref", str(pref))
        assert p.returncode == 0, p.stdout + p.stderr
        rules = t.run(t.rtr, ["ip", flag, "rule"]).stdout
        assert rules.count("fwmark 0x1/0x1") == 2, rules
        assert "%d:\tfrom all fwmark 0x1/0x1 iif lo lookup main" % (
            pref - 1) in rules, rules
        assert "%d:\tfrom all fwmark 0x1/0x1 lookup 100" % pref in rules, \
            rules
        fam = "ipv6" if flag == "-6" else "ipv4"
        assert client_outcome(t, fam) == "intercepted"
        rc, checks, p = doctor(t, "-f", env["conf"], "--state", env["state"])
        assert rc == 0 and checks["path.rules." + fam][0] == "PASS", p.stdout
    return after_fix


FAULTS = [
    Fault("no_fwmark_rule",
          "https://wiki.squid-cache.org/Features/Tproxy4#troubleshooting",
          _sh("ip -4 rule del fwmark 0x1/0x1 lookup 100"),
          "route.rule.ipv4", "timeout"),
    # Tailscale 1.98 writes net.ipv4.conf.all.src_valid_mark=1: the source
    # check of a marked packet then looks the client up through the local
    # table and drops it as a martian. setup's `iif lo` rule prevents it;
    # the fault is that rule missing (setup by an older tproxyctl, or
    # removed by hand) with src_valid_mark on.
    Fault("tailscale_src_valid_mark",
          "https://github.com/tailscale/tailscale/issues/19796",
          _sh("sysctl -qw net.ipv4.conf.all.src_valid_mark=1 && "
              "ip -4 rule del iif lo fwmark 0x1/0x1 lookup main"),
          "path.src_valid_mark", "timeout"),
    # wg-quick sets the same sysctl when it adds its default route; the
    # per-interface key counts too (the larger of all and the interface).
    Fault("wg_quick_src_valid_mark_iface",
          "https://github.com/thrnz/docker-wireguard-pia/issues/96",
          _sh("sysctl -qw net.ipv4.conf.r0.src_valid_mark=1 && "
              "ip -4 rule del iif lo fwmark 0x1/0x1 lookup main"),
          "path.ipv4.r0", "timeout"),
    # The same with the iptables backend (the routing is the same).
    Fault("wg_quick_src_valid_mark_ipt",
          "https://github.com/thrnz/docker-wireguard-pia/issues/96",
          _sh("sysctl -qw net.ipv4.conf.all.src_valid_mark=1 && "
              "ip -4 rule del iif lo fwmark 0x1/0x1 lookup main"),
          "path.ipv4.r0", "timeout", backend="iptables"),
    # The same on the upstream interface only (wg0 as the way out), with
    # clients on r0 only: the server's replies, marked by the socket
    # rule, are the ones dropped; the route check of r0 passes.
    Fault("wg_upstream_src_valid_mark",
          "https://github.com/nikkinikki-org/OpenWrt-nikki/pull/904",
          _sh("sysctl -qw net.ipv4.conf.r1.src_valid_mark=1 && "
              "ip -4 rule del iif lo fwmark 0x1/0x1 lookup main"),
          "path.src_valid_mark", "timeout", setup_extra=("--iface", "r0")),
    # wg-quick (full tunnel, AllowedIPs 0.0.0.0/0) brought up after
    # tproxyctl setup: its two rules have no preference, so the kernel puts
    # each before the lowest one there (setup's iif lo rule at 99): 98
    # `not fwmark 51820 lookup 51820`, 97 `lookup main
    # suppress_prefixlength 0`, both before setup's fwmark rule. Its
    # commands as wg-quick runs them (wg0 here a veth: no wireguard module).
    # The fix is setup again with --rule-pref before them, which a later
    # setup keeps (after_fix).
    Fault("wg_quick_rules_without_pref",
          "https://github.com/tusc/wireguard-kmod/issues/30",
          _sh(WG_LINK + " && ip -4 route add 0.0.0.0/0 dev wg0 table 51820"
              " && ip -4 rule add not fwmark 51820 table 51820"
              " && ip -4 rule add table main suppress_prefixlength 0"
              " && sysctl -q net.ipv4.conf.all.src_valid_mark=1"),
          "path.rules.ipv4", "timeout", after_fix=_setup_keeps(96)),
    Fault("wg_quick_rules_without_pref_v6",
          "https://github.com/firewalld/firewalld/issues/1203",
          _sh(WG_LINK + " && ip -6 route add ::/0 dev wg0 table 51820"
              " && ip -6 rule add not fwmark 51820 table 51820"
              " && ip -6 rule add table main suppress_prefixlength 0"),
          "path.rules.ipv6", "timeout", family="ipv6",
          after_fix=_setup_keeps(96, "-6")),
    # A per-interface rule added by hand or by a script without a
    # preference (`ip rule add from all iif eth0 lookup viaeth1`): 98.
    Fault("iif_rule_without_pref",
          "https://github.com/openinfrastructure/terraform-google-multinic/"
          "issues/11",
          _sh("ip -4 route add default via %s dev r1 table 201 && "
              "ip -4 rule add from all iif r0 lookup 201" % netns.SRV4),
          "path.rules.ipv4", "timeout", after_fix=_setup_keeps(97)),
    # Calico's WireGuard rule at its fixed low preference
    # (wireguardRoutingRulePriority, default 99: the same as setup's iif lo
    # rule, so after it and before the fwmark rule), `not fwmark
    # 0x100000/0x100000 lookup 1`, table 1 holding routes to the remote
    # nodes' pods through wireguard.cali (here the server's subnet through
    # r1: the router's own connections to it, tproxyd's, work as they do
    # through the tunnel). Only those destinations are taken: doctor probes
    # one of each table looked up before ours.
    # (Priority default: https://github.com/canonical/microk8s/pull/2081)
    Fault("calico_wireguard_rule_99",
          "https://github.com/projectcalico/felix/pull/2818",
          _sh("ip -4 route add 198.18.2.0/24 dev r1 table 1 && "
              "ip -4 rule add pref 99 not fwmark 0x100000/0x100000 "
              "lookup 1"),
          "path.rules.ipv4", "timeout", after_fix=_setup_keeps(98)),
    # Another transparent proxy's recipe (`ip rule add fwmark 1 table
    # 100`, no preference: 98) for the same mark, to its own table: a
    # different --mark is the fix.
    Fault("clash_same_mark_rule",
          "https://github.com/Dreamacro/clash/issues/1299",
          _sh("ip -4 route add default via %s dev r1 table 300 && "
              "ip -4 rule add fwmark 0x1 lookup 300" % netns.SRV4),
          "path.mark.ipv4", "timeout"),
    # QoS / connmark marking that rewrites the low byte of the mark after
    # setup's rules (marks overwrite each other unless masked).
    Fault("qos_mark_rewrite",
          "https://github.com/firehol/firehol/issues/23",
          _sh("nft add table ip qos && nft add chain ip qos pre "
              "'{ type filter hook prerouting priority mangle + 10; }' && "
              "nft add rule ip qos pre iifname r0 meta mark set meta mark "
              "and 0xffffff00 or 0x10"),
          "path.marks", "timeout"),
    # An OpenWrt fw4 `option set_mark` rule: fw4 writes `meta mark set
    # 0x00000010`, the whole mark (the report shows the rule it makes), so
    # no other --mark avoids it; here in a prerouting chain after setup's.
    # The fix makes that chain accept packets with setup's mark first.
    Fault("fw4_set_mark_whole",
          "https://github.com/openwrt/openwrt/issues/9955",
          _sh("nft add table inet fw4x && nft add chain inet fw4x "
              "mangle_prerouting '{ type filter hook prerouting priority "
              "mangle + 10; }' && nft add rule inet fw4x mangle_prerouting "
              "iifname r0 meta mark set 0x10"),
          "path.marks", "timeout"),
    # rp_filter drops the client only when the route back to it leaves by
    # another interface; on a VLAN interface lan.100 (sysctl key
    # net.ipv4.conf.lan/100.rp_filter).
    Fault("vlan_rp_filter_asymmetric",
          "https://github.com/nirmata/kube-static-egress-ip/issues/14",
          _sh("sysctl -qw net.ipv4.conf.lan/100.rp_filter=1"),
          "path.rp_filter.lan.100", "timeout", prepare=_vlan_asymmetric),
    # systemd's default sysctl.d sets net.ipv4.conf.all.rp_filter=1, which
    # wins over the interface's 0 (the larger is used).
    Fault("all_rp_filter_asymmetric",
          "https://github.com/systemd/systemd/issues/6282",
          _sh("sysctl -qw net.ipv4.conf.all.rp_filter=1"),
          "path.rp_filter.r0", "timeout", prepare=_asymmetric),
    # The proxy's own outgoing mark sharing bits with the interception
    # mark loops its connections back into itself (PassWall with mwan3);
    # here tproxyd's tcp_outgoing_mark 0x1: its connections to servers are
    # routed by the local table unless the iif lo rule comes first.
    Fault("outgoing_mark_collides",
          "https://github.com/Openwrt-Passwall/openwrt-passwall/pull/4462",
          _sh("ip -4 rule del iif lo fwmark 0x1/0x1 lookup main"),
          "path.marks", "timeout", conf_extra=("tcp_outgoing_mark 0x1",)),
    # IPv6 rows.
    # systemd-networkd (ManageForeignRoutingPolicyRules=yes) removes rules
    # it did not make when it restarts.
    Fault("networkd_removed_rules_v6",
          "https://github.com/systemd/systemd/issues/19106",
          _sh("ip -6 rule del fwmark 0x1/0x1 lookup 100 && "
              "ip -6 rule del iif lo fwmark 0x1/0x1 lookup main"),
          "path.ipv6.r0", "timeout", family="ipv6"),
    # IPv6 off on lo: the kernel drops the `local ::/0 dev lo` route and
    # will not add it back ("IPv6 is disabled on nexthop device").
    Fault("ipv6_disabled_on_lo",
          "https://github.com/ushan0v/forkop/issues/91",
          _sh("sysctl -qw net.ipv6.conf.lo.disable_ipv6=1"),
          "path.ipv6", "timeout", family="ipv6"),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_routing_fault(topology, tmp_path, fault):
    run_fault(topology, tmp_path, fault)


def test_ipv6_disabled_is_said(topology, tmp_path):
    """With IPv6 off (net.ipv6.conf.all.disable_ipv6=1) doctor says so
    instead of printing IPv6 rules or routes that cannot be added; IPv4
    interception goes on."""
    t = topology
    start_origin(t, [netns.SRV4])
    conf = write_conf(tmp_path / "tproxyd")
    state = tmp_path / "state"
    start_tproxyd(t, conf)
    assert ctl(t, "setup", "-f", conf, "--state", state).returncode == 0
    t.run(t.rtr, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
          check=True)
    assert client_outcome(t, "ipv4") == "intercepted"
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert checks["path.ipv6"][0] == "WARN", p.stdout
    assert "--family ipv4" in checks["path.ipv6"][1], p.stdout
    assert "route.rule.ipv6" not in checks, p.stdout
    assert not [k for k in checks if k.startswith("path.ipv6.")], p.stdout
    assert checks["path.ipv4.r0"][0] == "PASS", p.stdout
    for line in p.stdout.splitlines():
        assert "ip -6 r" not in line, line


# Look-alikes that break nothing now: rules of other software at FIXED
# preferences above setup's (--rule-pref, 100; its iif lo rule at 99) are
# evaluated after setup's, whatever they take. Each was a fault when the
# fwmark rule had no preference (added at the kernel's choice, 32765, after
# theirs): the client stays intercepted and doctor does not FAIL.
HARMLESS = [
    # Tailscale's `5270: from all lookup 52`, with an exit node: table 52
    # has a default route (here through r1) and, allowing LAN access, a
    # throw route for the LAN.
    ("tailscale_rule_5270", "https://github.com/tailscale/tailscale/"
     "issues/8683", "ipv4",
     "ip -4 route add default via {srv4} dev r1 table 52 && "
     "ip -4 route add throw 198.18.1.0/24 table 52 && "
     "ip -4 rule add pref 5270 lookup 52", "path.rules.ipv4", ("PASS",)),
    ("tailscale_rule_5270_v6", "https://github.com/tailscale/tailscale/"
     "issues/8683", "ipv6",
     "ip -6 route add default via {srv6} dev r1 table 52 && "
     "ip -6 route add throw 2001:db8:1::/64 table 52 && "
     "ip -6 rule add pref 5270 lookup 52", "path.rules.ipv6", ("PASS",)),
    # netbird: `105: from all lookup main suppress_prefixlength 0` and
    # `110: not from all fwmark 0x1bd00 lookup 7120`.
    ("netbird_not_fwmark_rule", "https://github.com/zfl9/ss-tproxy/"
     "issues/299", "ipv4",
     "ip -4 route add default via {srv4} dev r1 table 7120 && "
     "ip -4 rule add pref 105 lookup main suppress_prefixlength 0 && "
     "ip -4 rule add pref 110 not fwmark 0x1bd00 lookup 7120",
     "path.rules.ipv4", ("PASS",)),
    # A CNI plugin's per-pod source rule (Terway: `2048: from POD lookup
    # 1003`).
    ("cni_source_rule", "https://github.com/sandbox0-ai/sandbox0/pull/692",
     "ipv4", "ip -4 route add default via {srv4} dev r1 table 1003 && "
     "ip -4 rule add pref 2048 from {cli4} lookup 1003",
     "path.rules.ipv4", ("PASS",)),
    # mwan3's per-interface rules (`iif IF lookup N`, pref 1000 + N).
    ("mwan3_iif_rule", "https://github.com/immortalwrt/homeproxy/pull/338",
     "ipv4", "ip -4 route add default via {srv4} dev r1 table 1 && "
     "ip -4 rule add pref 1001 iif r0 lookup 1", "path.rules.ipv4",
     ("PASS",)),
    # Another proxy's rule for the same mark at a preference after ours:
    # it shares the mark (a WARN) but never sees our packets.
    ("clash_same_mark_rule_pref_9000", "https://github.com/Dreamacro/clash/"
     "issues/1299", "ipv4",
     "ip -4 route add default via {srv4} dev r1 table 300 && "
     "ip -4 rule add pref 9000 fwmark 0x1 lookup 300", "path.mark.ipv4",
     ("WARN",)),
]


@pytest.mark.parametrize("case", HARMLESS, ids=[c[0] for c in HARMLESS])
def test_routing_not_a_fault(topology, tmp_path, case):
    name, source, family, cmd, check, want = case
    assert source.startswith("https://")
    t = topology
    start_origin(t, [netns.SRV4, netns.SRV6])
    conf = write_conf(tmp_path / "tproxyd")
    state = tmp_path / "state"
    start_tproxyd(t, conf)
    assert ctl(t, "setup", "-f", conf, "--state", state).returncode == 0
    assert client_outcome(t, family) == "intercepted"
    _sh(cmd.format(srv4=netns.SRV4, srv6=netns.SRV6,
                   cli4=netns.CLI4))(t, {})
    assert client_outcome(t, family) == "intercepted"
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert rc == 0, p.stdout
    assert checks[check][0] in want, (checks[check], p.stdout)


def test_path_text_and_json_agree(topology, tmp_path):
    """The text output carries the same FAIL, message and fix as --json
    (wg-quick's rules, added without a preference after setup, in front
    of the fwmark rule): the fix is setup with --rule-pref."""
    t = topology
    start_origin(t, [netns.SRV4])
    conf = write_conf(tmp_path / "tproxyd")
    state = tmp_path / "state"
    start_tproxyd(t, conf)
    assert ctl(t, "setup", "-f", conf, "--state", state).returncode == 0
    _sh(WG_LINK + " && ip -4 route add 0.0.0.0/0 dev wg0 table 51820 && "
        "ip -4 rule add not fwmark 51820 table 51820 && "
        "ip -4 rule add table main suppress_prefixlength 0")(t, {})
    rc, checks, pj = doctor(t, "-f", conf, "--state", state)
    assert rc == 1 and checks["path.rules.ipv4"][0] == "FAIL", pj.stdout
    fix = {c["id"]: c["fix"] for c in
           json.loads(pj.stdout)["checks"]}["path.rules.ipv4"]
    assert fix.startswith("tproxyctl setup -f ") and \
        " --rule-pref 96 --state " in fix, fix
    p = ctl(t, "doctor", "-f", conf, "--state", state)
    assert p.returncode == 1
    lines = p.stdout.splitlines()
    at = [i for i, ln in enumerate(lines)
          if ln.split()[:2] == ["FAIL", "path.rules.ipv4"]]
    assert at, p.stdout
    assert checks["path.rules.ipv4"][1] in lines[at[0]], p.stdout
    assert lines[at[0] + 1].strip() == "fix: " + fix, p.stdout
    assert "`98: not from all fwmark 0xca6c lookup 51820`" in lines[at[0]], \
        p.stdout


def test_setup_again_orders_the_iif_lo_rule_first(topology, tmp_path):
    """setup again after the fwmark rule was removed: the fwmark rule comes
    back with a lower preference than the iif lo rule, so setup moves the
    iif lo rule in front of it again (else src_valid_mark=1 drops the
    clients), and doctor passes with src_valid_mark on."""
    t = topology
    start_origin(t, [netns.SRV4])
    conf = write_conf(tmp_path / "tproxyd")
    state = tmp_path / "state"
    start_tproxyd(t, conf)
    args = ["-f", conf, "--state", state, "--family", "ipv4"]
    assert ctl(t, "setup", *args).returncode == 0
    _sh("sysctl -qw net.ipv4.conf.all.src_valid_mark=1 && "
        "ip -4 rule del fwmark 0x1/0x1 lookup 100")(t, {})
    p = ctl(t, "setup", *args)
    assert p.returncode == 0, p.stdout + p.stderr
    rules = [ln for ln in t.run(t.rtr, ["ip", "-4", "rule"]).stdout
             .splitlines() if "fwmark 0x1/0x1" in ln]
    assert len(rules) == 2 and "iif lo lookup main" in rules[0] and \
        "lookup 100" in rules[1], rules
    assert client_outcome(t, "ipv4") == "intercepted"
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert rc == 0 and checks["path.src_valid_mark"][0] == "PASS", p.stdout


def test_loose_rp_filter_with_asymmetric_routes_is_a_warn(topology,
                                                          tmp_path):
    """rp_filter=2 (loose, systemd's default on many distributions) only
    wants some route back: with the asymmetric return path of
    all_rp_filter_asymmetric the client is still intercepted, so doctor
    WARNs and does not FAIL."""
    t = topology
    start_origin(t, [netns.SRV4])
    conf = write_conf(tmp_path / "tproxyd")
    state = tmp_path / "state"
    _asymmetric(t, {})
    start_tproxyd(t, conf)
    assert ctl(t, "setup", "-f", conf, "--state", state).returncode == 0
    t.run(t.rtr, ["sysctl", "-qw", "net.ipv4.conf.all.rp_filter=2"],
          check=True)
    assert client_outcome(t, "ipv4") == "intercepted"
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert rc == 0, p.stdout
    assert checks["path.rp_filter.r0"][0] == "WARN", p.stdout
    assert "loose" in checks["path.rp_filter.r0"][1], p.stdout
