# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_doctor_faults_firewall.py - field faults in the rest of the firewall
that break interception, each from a public report (doctor_faults.run_fault:
the client's outcome with the fault, doctor FAILs, the printed fix run as
it is, intercepted again):

  fw.mark.*     a chain after tproxyctl's resets the mark (OpenWrt mwan3 /
                pbr style `meta mark set ct mark`, CONNMARK --restore-mark,
                MARK --set-mark without a mask, as Kubernetes helpers did);
  fw.capture.*  a chain after tproxyctl's redirects port 80 elsewhere
                (clash / v2ray style nat REDIRECT);
  fw.input.*    the input path drops what TPROXY delivers (OpenWrt fw4
                guest zone, firewalld, INPUT policy DROP, UFW);
  fw.legacy     iptables-legacy rules beside nft.

UFW is the real ufw (Debian's package), enabled inside the router
namespace only: its rules and sysctls are per namespace (the test checks
that the host's filter tables are unchanged); the files it writes on the
host (ufw.conf's ENABLED=yes, user.rules, user6.rules) are put back
afterwards.
"""

import shutil
import subprocess

import pytest

import netns
from doctor_faults import Fault, client_outcome, run_fault
from tproxyctl_env import ctl, doctor, start_origin, start_tproxyd, write_conf


def _sh(cmd):
    return lambda t, env: t.run(t.rtr, ["sh", "-c", cmd], check=True)


def _nft(script):
    return lambda t, env: t.run(t.rtr, ["nft", "-f", "-"], input=script,
                                check=True)


# OpenWrt fw4's mangle_prerouting (loaded at boot, before tproxyctl:
# same priority, so it runs after tproxyctl's chain), later given a mark
# restore of the mwan3 / pbr kind (the whole mark, no mask).
FW4_MANGLE = """
table inet fw4 {
    chain mangle_prerouting {
        type filter hook prerouting priority mangle; policy accept;
    }
}
"""
FW4_RESTORE = "nft add rule inet fw4 mangle_prerouting meta mark set ct mark"

# pbr (OpenWrt policy-based routing) marks with 0x00ff0000 and, in the
# form reported, overwrote the rest of the mark.
PBR_SET = """
table inet pbr {
    chain prerouting {
        type filter hook prerouting priority mangle + 1; policy accept;
        meta nfproto ipv6 meta l4proto tcp meta mark set 0x00010000
    }
}
"""

# fw4 with a guest zone whose input is REJECT (the OpenWrt default for an
# isolated guest network): the client's interface r0 is that zone.
FW4_GUEST = """
table inet fw4 {
    chain input {
        type filter hook input priority filter; policy drop;
        iifname "lo" accept comment "!fw4: Accept traffic from loopback"
        ct state vmap { established : accept, related : accept }
        tcp flags syn / fin,syn,rst,ack jump syn_flood
        iifname "r0" jump input_guest
        jump handle_reject
    }
    chain syn_flood {
        limit rate 25/second burst 50 packets return
        drop
    }
    chain input_guest {
        tcp dport 3129 accept comment "the proxy port: does not help"
        udp dport { 53, 67 } accept
        jump reject_from_guest
    }
    chain reject_from_guest {
        iifname "r0" counter jump handle_reject
    }
    chain handle_reject {
        meta l4proto tcp reject with tcp reset
        reject
    }
}
"""

# firewalld's nft backend: zones dispatch, the public zone allows ssh and
# ICMPv6, the rest is rejected with admin-prohibited.
FIREWALLD = """
table inet firewalld {
    chain filter_INPUT {
        type filter hook input priority filter + 10; policy accept;
        ct state { established, related } accept
        ct status dnat accept
        iifname "lo" accept
        ct state invalid drop
        jump filter_INPUT_ZONES
        reject with icmpx admin-prohibited
    }
    chain filter_INPUT_ZONES {
        iifname "r0" goto filter_IN_public
        goto filter_IN_public
    }
    chain filter_IN_public {
        meta l4proto { icmp, ipv6-icmp } accept
        tcp dport 22 accept
        ip6 daddr fe80::/64 udp dport 546 accept
    }
}
"""

# clash / sing-box "redirect" mode on the same router: port 80 to its
# own port, in the nat hook after tproxyctl's mangle chain.
CLASH_REDIRECT = """
table ip clash {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        ip daddr { 127.0.0.0/8, 224.0.0.0/4 } return
        tcp dport { 80, 443 } redirect to :7892
    }
}
"""


# sing-box / clash "tproxy" mode on the same router, its chain a little
# after tproxyctl's: its listener (here one that accepts and closes, as a
# proxy with no outbound would) gets the connections first.
SINGBOX_TPROXY = """
table inet sing-box {
    chain prerouting {
        type filter hook prerouting priority mangle + 5; policy accept;
        meta nfproto ipv6 tcp dport { 80, 443 } tproxy ip6 to :7893 accept
    }
}
"""
TRANSPARENT_LISTENER = r"""
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, 75, 1)  # IPV6_TRANSPARENT
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 7893))
s.listen(16)
while True:
    c, _ = s.accept()
    c.close()
"""


def _singbox(prio="mangle + 5"):
    def inject(t, env):
        p = t.popen(t.rtr, ["python3", "-c", TRANSPARENT_LISTENER],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t.wait_listen(t.rtr, 7893, proc=p)
        t.run(t.rtr, ["nft", "-f", "-"], check=True,
              input=SINGBOX_TPROXY.replace("mangle + 5", prio))
    return inject


def _ufw(*allow):
    """Real UFW, default deny incoming, the given `ufw allow` (what users
    try first: IPv4 ignores `allow 80/tcp` for intercepted connections,
    whose destination is not local, ufw-not-local; IPv6 has no such chain),
    in the router namespace only."""
    def inject(t, env):
        host = [subprocess.run([c, "-t", "filter"], capture_output=True,
                               text=True).stdout
                for c in ("iptables-save", "ip6tables-save")]
        t.run(t.rtr, ["ufw", "--force", "enable"], check=True)
        for a in allow:
            t.run(t.rtr, ["ufw", "allow", a], check=True)
        now = [subprocess.run([c, "-t", "filter"], capture_output=True,
                              text=True).stdout
               for c in ("iptables-save", "ip6tables-save")]
        assert [x.count("\n-A") for x in now] == \
            [x.count("\n-A") for x in host] and "ufw" not in "".join(now), \
            "ufw changed the host's rules"
    return inject


UFW_FILES = ("/etc/ufw/ufw.conf", "/etc/ufw/user.rules",
             "/etc/ufw/user6.rules", "/etc/ufw/before.rules",
             "/etc/ufw/before6.rules")


def _ufw_kept(rules):
    """After the fix: the line doctor says to add to UFW's rules file,
    added there, survives `ufw reload` (which drops the fix's rule)."""
    def after_fix(t, env):
        path = "/etc/ufw/" + rules
        with open(path) as f:
            text = f.read()
        mark = "-A ufw%s-before-input -m mark --mark 0x1/0x1 -j ACCEPT" % (
            "6" if "6" in rules else "")
        text = text.replace("# End required lines\n",
                            "# End required lines\n" + mark + "\n", 1)
        with open(path, "w") as f:
            f.write(text)
        t.run(t.rtr, ["ufw", "reload"], check=True)
        saved = t.run(t.rtr, ["iptables-save" if "6" not in rules else
                              "ip6tables-save", "-t", "filter"]).stdout
        assert saved.count("--mark 0x1/0x1 -j ACCEPT") == 1, saved
        fam = "ipv6" if "6" in rules else "ipv4"
        assert client_outcome(t, fam) == "intercepted"
        rc, checks, p = doctor(t, "-f", env["conf"], "--state",
                               env["state"])
        assert checks["fw.input." + fam][0] == "PASS", p.stdout
    return after_fix


@pytest.fixture
def ufw_conf():
    """Put UFW's files back: `ufw enable` writes ENABLED=yes in ufw.conf
    and `ufw allow` its rules to user.rules / user6.rules (host files,
    though the rules it loads stay in the namespace)."""
    saved = {}
    for path in UFW_FILES:
        try:
            with open(path) as f:
                saved[path] = f.read()
        except OSError:
            pass
    yield
    for path, text in saved.items():
        with open(path, "w") as f:
            f.write(text)


FAULTS = [
    # fw.mark
    Fault("fw4_mwan3_mark_restore",
          "https://github.com/fw876/helloworld/issues/1260",
          _sh(FW4_RESTORE), "fw.mark.ipv4", "timeout",
          prepare=_nft(FW4_MANGLE)),
    Fault("fw4_mark_restore_iptables",
          "https://github.com/openwrt/packages/issues/6551",
          _sh(FW4_RESTORE), "fw.mark.ipv4", "timeout",
          backend="iptables", prepare=_nft(FW4_MANGLE)),
    Fault("pbr_mark_set_ipv6",
          "https://github.com/openwrt/firewall4/issues/93",
          _nft(PBR_SET), "fw.mark.ipv6", "timeout", family="ipv6"),
    Fault("netd_connmark_restore_whole_mark",
          "https://github.com/GoogleCloudPlatform/netd/issues/105",
          _sh("iptables -t mangle -A PREROUTING -j CONNMARK "
              "--restore-mark"),
          "fw.mark.ipv4", "timeout",
          prepare=_sh("iptables -t mangle -P PREROUTING ACCEPT")),
    Fault("kube_proxy_whole_mark_nat",
          "https://github.com/kubernetes/kubernetes/issues/19983",
          _sh("iptables -t nat -A POSTROUTING -m mark --mark "
              "0x4000/0x4000 -j MASQUERADE && "
              "iptables -t nat -A PREROUTING -p tcp -j MARK "
              "--set-mark 0x4000"),
          "fw.mark.ipv4", "timeout", backend="iptables"),
    # fw.capture
    Fault("clash_redirect_same_ports",
          "https://github.com/Openwrt-Passwall/openwrt-passwall/issues/3715",
          _nft(CLASH_REDIRECT), "fw.capture.ipv4", "refused"),
    Fault("singbox_tproxy_after_ours_ipv6",
          "https://github.com/nikkinikki-org/OpenWrt-nikki/issues/80",
          _singbox(), "fw.capture.ipv6", "reset", family="ipv6"),
    # fw.input
    Fault("fw4_guest_input_reject",
          "https://github.com/ushan0v/forkop/pull/107",
          _nft(FW4_GUEST), "fw.input.ipv4", "refused"),
    Fault("firewalld_reject_ipv6",
          "https://github.com/SagerNet/sing-box/issues/2721",
          _nft(FIREWALLD), "fw.input.ipv6", "refused", family="ipv6"),
    Fault("input_policy_drop_proxy_port_open",
          "https://github.com/brainfucksec/kalitorify/issues/1",
          _sh("iptables -A INPUT -m state --state ESTABLISHED -j ACCEPT && "
              "iptables -A INPUT -p tcp --dport 3129 -j ACCEPT && "
              "iptables -P INPUT DROP"),
          "fw.input.ipv4", "timeout", backend="iptables"),
    Fault("firewalld_iptables_reject_ipv6",
          "https://github.com/firewalld/firewalld/issues/59",
          _sh("ip6tables -A INPUT -m conntrack --ctstate "
              "RELATED,ESTABLISHED -j ACCEPT && "
              "ip6tables -A INPUT -i lo -j ACCEPT && "
              "ip6tables -A INPUT -p ipv6-icmp -j ACCEPT && "
              "ip6tables -A INPUT -j REJECT --reject-with "
              "icmp6-adm-prohibited"),
          "fw.input.ipv6", "refused", backend="iptables", family="ipv6"),
    Fault("ufw_default_deny_incoming",
          "https://github.com/zfl9/ss-tproxy/issues/199",
          _ufw("80/tcp", "3129/tcp"), "fw.input.ipv4", "timeout",
          backend="iptables", after_fix=_ufw_kept("before.rules")),
    Fault("ufw_default_deny_incoming_ipv6",
          "https://github.com/zfl9/ss-tproxy/issues/249",
          _ufw("3129/tcp"), "fw.input.ipv6", "timeout",
          backend="iptables", family="ipv6",
          setup_extra=("--family", "ipv6"),
          after_fix=_ufw_kept("before6.rules")),
    # iptables-legacy beside nft
    Fault("legacy_input_drop_beside_nft",
          "https://github.com/korsunav/mikrotik-wireguard-vless/issues/2",
          _sh("iptables-legacy -A INPUT -i lo -j ACCEPT && "
              "iptables-legacy -P INPUT DROP"),
          "fw.input.ipv4", "timeout"),
    Fault("legacy_nat_restore_ipv6",
          "https://github.com/kumahq/kuma/issues/5663",
          _sh("ip6tables-legacy -t nat -A PREROUTING -j CONNMARK "
              "--restore-mark"),
          "fw.mark.ipv6", "timeout", family="ipv6"),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_firewall_fault(topology, tmp_path, fault, ufw_conf):
    if fault.name.startswith("ufw") and not shutil.which("ufw"):
        pytest.fail("ufw is not installed (apt-get install ufw)")
    run_fault(topology, tmp_path, fault)


# Look-alikes that break nothing here: doctor must not FAIL on them (the
# client stays intercepted), and says PASS or at most WARN.
FW4_LAN = """
table inet fw4 {
    chain input {
        type filter hook input priority filter; policy drop;
        iifname "lo" accept
        ct state vmap { established : accept, related : accept }
        iifname "r0" jump input_lan
        jump handle_reject
    }
    chain input_lan {
        jump accept_from_lan
    }
    chain accept_from_lan {
        iifname "r0" counter accept
    }
    chain handle_reject {
        reject
    }
}
"""

HARMLESS = [
    # same priority, made after tproxyctl's table: it runs first, and
    # TPROXY sets the mark after it
    ("fw4_restore_loaded_after_setup", "nft", "ipv4", (),
     None, _nft(FW4_MANGLE.replace("accept;", "accept;\n"
                                   "        meta mark set ct mark")),
     "fw.mark.ipv4", ("PASS",)),
    # mwan3's restore keeps to its mask 0x3f00: TPROXY's bit survives
    ("mwan3_masked_restore", "nft", "ipv4", (),
     _sh("iptables -t mangle -P PREROUTING ACCEPT"),
     _sh("iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark "
         "--nfmask 0x3f00 --ctmask 0x3f00"),
     "fw.mark.ipv4", ("PASS",)),
    # fw4's LAN zone accepts input from r0: accepted, but only because
    # of the interface (a WARN says so)
    ("fw4_lan_zone_accepts", "nft", "ipv4", (), None, _nft(FW4_LAN),
     "fw.input.ipv4", ("WARN",)),
    # a restore on another interface (the WAN): it may apply to the
    # clients, doctor cannot tell, so a WARN
    ("mark_restore_on_wan_only", "nft", "ipv4", (), None,
     _nft(FW4_MANGLE.replace("mangle_prerouting", "wan_restore")
          .replace("priority mangle", "priority mangle + 10")
          .replace("accept;", "accept;\n"
                   "        iifname \"wan0\" meta mark set ct mark")),
     "fw.mark.ipv4", ("WARN",)),
    # Docker's nat rules: its DNAT of published ports (80 here) applies
    # to local destinations only, and TPROXY keeps the original one
    ("docker_published_port_80", "iptables", "ipv4", (), None,
     _sh("iptables -t nat -N DOCKER && "
         "iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL "
         "-j DOCKER && "
         "iptables -t nat -A DOCKER ! -i docker0 -p tcp --dport 80 "
         "-j DNAT --to-destination 172.17.0.2:80 && "
         "iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 "
         "-j MASQUERADE"),
     "fw.capture.ipv4", ("PASS",)),
    # tproxyctl's chain moved after mangle (to dstnat - 1): a restore at
    # mangle + 10 now runs before it, TPROXY sets the mark after it
    ("restore_before_ours_moved_later", "nft", "ipv4", (), None,
     lambda t, env: _sh(
         "nft list table inet tproxyd | sed 's/priority mangle;/priority "
         "dstnat - 1;/' > {0} && nft delete table inet tproxyd && "
         "nft -f {0} && nft add table inet fw4 && "
         "nft add chain inet fw4 mangle_prerouting "
         "'{{ type filter hook prerouting priority mangle + 10; }}' && "
         "nft add rule inet fw4 mangle_prerouting meta mark set ct mark"
         .format(env["tmp"] / "moved.nft"))(t, env),
     "fw.mark.ipv4", ("PASS",)),
    # another proxy's TPROXY before tproxyctl's (lower priority): its
    # socket is assigned first, then tproxyctl's TPROXY assigns tproxyd's
    ("singbox_tproxy_before_ours_ipv6", "nft", "ipv6", (), None,
     _singbox("mangle - 5"), "fw.capture.ipv6", ("PASS",)),
    # UFW for IPv6 has no ufw-not-local: `ufw allow 80/tcp` does let the
    # delivered connections in
    ("ufw6_allow_80", "iptables", "ipv6", ("--family", "ipv6"), None,
     _ufw("80/tcp"), "fw.input.ipv6", ("PASS",)),
]


@pytest.mark.parametrize("case", HARMLESS, ids=[c[0] for c in HARMLESS])
def test_firewall_not_a_fault(topology, tmp_path, case, ufw_conf):
    name, backend, family, extra, prepare, inject, check, want = case
    t = topology
    start_origin(t, [netns.SRV4, netns.SRV6])
    conf = write_conf(tmp_path / "tproxyd")
    state = tmp_path / "state"
    if prepare:
        prepare(t, {})
    start_tproxyd(t, conf)
    p = ctl(t, "setup", "-f", conf, "--backend", backend, "--state", state,
            *extra)
    assert p.returncode == 0, p.stdout + p.stderr
    assert client_outcome(t, family) == "intercepted"
    inject(t, {"tmp": tmp_path})
    assert client_outcome(t, family) == "intercepted"
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert rc == 0, p.stdout
    assert checks[check][0] in want, (checks[check], p.stdout)
