# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_wccp2.py - WCCPv2 control plane against a router simulator
(wccp_router.py), with every message tproxyd sends decoded by Wireshark's
own dissector (tshark), not only by our parser: two caches sharing the
buckets by weight, failover, assignments, return methods, MD5; and GRE
forwarding refused, or announced, by what the process may do (its
capabilities and devices). The topology: wccp_env.py. Forwarding and
packet return: test_wccp2_data.py.
"""

import os
import signal
import time
from pathlib import Path

import pytest

from wccp_env import (C1, C2, RTR, SVC80, NsTproxyd, cache, read_state,
                      start_cache, start_capture, start_router, stop_cache,
                      stop_capture, tshark_packets, tshark_text, wait_state)
from wccp_env import _tshark, wtopo  # noqa: F401 (fixtures)


def test_two_caches_split_by_weight_then_failover(wtopo, tmp_path):
    t = wtopo
    pcap = tmp_path / "wccp.pcapng"
    cap = start_capture(t, pcap)
    state = start_router(t, tmp_path, "--cache-timeout", "12")
    c1 = cache(t, t.c1, tmp_path / "c1", 30000)
    c2 = cache(t, t.c2, tmp_path / "c2", 10000)
    # c1 (lowest address) is designated: 3:1 by weight.
    # (The designated cache waits 1.5 * HERE_I_AM_T after each change of
    # the view before it assigns: draft 4.8.1.)
    st = wait_state(state, lambda s: s.get("assign", {}).get(
        "dynamic:80", {}).get("counts") == {C1: 192, C2: 64}, 50,
        "buckets 192/64")
    assert st["assign"]["dynamic:80"]["key_ip"] == C1
    c1.wait_cache("WCCPv2: service 80: now the designated cache", 5)
    # Draft 4.8.1: the designated cache lets the view settle for 1.5 *
    # HERE_I_AM_T after a change before it assigns; and it repeats an
    # assignment only to a router that does not reflect its key (this
    # one does): every message carries a new key change number.
    log = st["assign_log"]
    assert log[0][0] - st["joined"][C1] >= 14.5, (log, st["joined"])
    changes = [k for _, ip, k in log if ip == C1]
    assert len(changes) == len(set(changes)), log

    # The designated cache stops: the router drops it after its timeout,
    # c2 becomes designated and takes every bucket.
    stop_cache(c1)
    st = wait_state(state, lambda s: s.get("assign", {}).get(
        "dynamic:80", {}).get("counts") == {C2: 256}, 75,
        "all buckets on the survivor")
    assert st["assign"]["dynamic:80"]["key_ip"] == C2
    assert C1 in st["removal_query"]
    assert st["view"]["dynamic:80"] == [C2]
    c2.wait_cache("now the designated cache", 5)
    stop_capture(t, cap, pcap)
    stop_cache(c2)

    # Wireshark's dissector, field by field, on what tproxyd sent.
    text = tshark_text(tmp_path / "wccp.pcapng", C1)
    for needle in ("WCCP Message Type: 2.0 Here I am (10)",
                   "WCCP Version (>=2): 0x0200",
                   "Security Option: None (0)",
                   "Service Type: Dynamic CE defined service (1)",
                   "WCCP Service ID ( Dynamic): 80",
                   "Priority (highest is 255): 240",
                   "Protocol: TCP (6)",
                   "= Source IP address in primary hash: Used",
                   "= Ports: Defined",
                   "Destination Port: 80",
                   "Web-Cache IP Address: 198.18.3.2",
                   "Assignment Weight: 30000",
                   "Router IP: 198.18.3.1",
                   "Value: 0x00000001 (IP-GRE)",
                   "Value: 0x00000001 (Hash)",
                   "WCCP Message Type: 2.0 Redirect assign (12)",
                   "Assignment Key IP Address: 198.18.3.2",
                   "WC IP: 198.18.3.2 id: 0",
                   "WC IP: 198.18.3.3 id: 1",
                   "Bucket   0:          0",
                   "Bucket 191:          0",
                   "Bucket 192:          1"):
        assert needle in text, "tshark did not show %r" % needle
    for bad in ("Malformed", "Expert Info (Error", "Expert Info (Warning"):
        assert bad not in text, "tshark: %s in\n%s" % (bad, text[-3000:])
    # Every message from a cache is one tshark recognises as WCCP.
    pk = tshark_packets(tmp_path / "wccp.pcapng")
    mine = [p for p in pk if p["ip"]["ip.src"] in (C1, C2)]
    assert mine and all("wccp" in p for p in mine)
    text2 = tshark_text(tmp_path / "wccp.pcapng", C2)
    assert "Assignment Key IP Address: 198.18.3.3" in text2
    assert "Assignment Weight: 10000" in text2


def test_assignment_repeated_until_the_router_reflects_it(wtopo,
                                                          tmp_path):
    """A router whose I_SEE_YOU does not reflect the assignment key has
    not taken the assignment: the designated cache sends it again after
    HERE_I_AM_T (draft 4.8.1), with the same key."""
    state = start_router(wtopo, tmp_path, "--no-key-reflect")
    c1 = cache(wtopo, wtopo.c1, tmp_path / "c1", 10000)
    st = wait_state(state, lambda s: len(s.get("assign_log", [])) >= 2, 45,
                    "a repeated assignment")
    log = st["assign_log"]
    assert log[0][0] - st["joined"][C1] >= 14.5, (log, st["joined"])
    assert log[1][1:] == log[0][1:] == [C1, 1], log
    assert 8 <= log[1][0] - log[0][0] <= 22, log
    c1.wait_cache("WCCPv2: service 80: router 198.18.3.1 has not taken "
                  "assignment 1 (it reflects 0.0.0.0/0); sending it again",
                  5)
    stop_cache(c1)


def test_router_without_our_return_method_is_not_joined(wtopo, tmp_path):
    """Draft 4.5: a router that does not offer the cache's packet return
    method (here: L2 only, the cache wants GRE) is not joined through -
    no view, no assignment - and the cache says why, once."""
    state = start_router(wtopo, tmp_path, "--caps", "3,3,2")
    c1 = cache(wtopo, wtopo.c1, tmp_path / "c1", 10000)
    c1.wait_cache("ERROR: WCCPv2: service 80: router 198.18.3.1 does not "
                  "offer our wccp2_return_method (it offers forwarding 0x3, "
                  "assignment 0x3, return 0x2); not joining through it", 10)
    wait_state(state, lambda s: s.get("here_i_am", {}).get(C1, 0) >= 2, 15,
               "a second HERE_I_AM")
    text = c1.cache_text()
    assert text.count("does not offer our") == 1, text
    assert "designated" not in text and "answers" not in text, text
    assert read_state(state).get("assign_msgs", 0) == 0
    stop_cache(c1)


def test_md5_wrong_password_rejected_both_ways(wtopo, tmp_path):
    t = wtopo
    # 1. The cache has the wrong password: the router refuses it.
    state = start_router(t, tmp_path, "--password", "right")
    c1 = cache(t, t.c1, tmp_path / "c1", 10000, password="wrong")
    wait_state(state, lambda s: s.get("auth_fail", 0) >= 1, 15,
               "router rejecting the cache")
    st = read_state(state)
    assert st["view"] == {} and st["here_i_am"] == {}
    stop_cache(c1)

    # 2. Both right: the assignment arrives, MD5-verified by the router.
    c2 = cache(t, t.c2, tmp_path / "c2", 10000, password="right")
    wait_state(state, lambda s: s.get("assign", {}).get(
        "dynamic:80", {}).get("counts") == {C2: 256}, 40, "assignment")
    stop_cache(c2)


def test_md5_router_with_wrong_password_is_ignored(wtopo, tmp_path):
    t = wtopo
    # The router accepts the cache's messages but signs its own with
    # another key: tproxyd must not believe its I_SEE_YOU.
    state = start_router(t, tmp_path, "--password", "right",
                         "--send-password", "forged")
    c1 = cache(t, t.c1, tmp_path / "c1", 10000, password="right")
    wait_state(state, lambda s: s.get("here_i_am", {}).get(C1, 0) >= 1, 15,
               "HERE_I_AM accepted")
    alert = ("SECURITY ALERT: WCCPv2: service 80: I_SEE_YOU from "
             "198.18.3.1 fails the security check")
    c1.wait_cache(alert, 10)
    # Had it believed the router, it would assign the buckets 1.5 *
    # HERE_I_AM_T (15 s) after joining. The deterministic end: its third
    # HERE_I_AM (20 s after the first), then the cache stopped.
    wait_state(state, lambda s: s.get("here_i_am", {}).get(C1, 0) >= 3, 40,
               "a third HERE_I_AM")
    stop_cache(c1)
    assert read_state(state).get("assign_msgs", 0) == 0
    assert "now the designated cache" not in c1.cache_text()
    assert c1.cache_text().count(alert) >= 2, c1.cache_text()[-3000:]


# ---------------------------------------------------------------------------
# GRE forwarding that cannot work: the cache does not join
# ---------------------------------------------------------------------------

CAP_NET_ADMIN = 12
DROPIN = "/share/doc/tproxyd/examples/wccp-gre.conf"


def private_dev_net(tun_mode):
    """argv prefix: a private mount namespace whose /dev/net holds a TUN
    node of mode tun_mode (None: no node at all, as with systemd's
    PrivateDevices=yes). Debian's udev makes the node 0666; this machine's
    may differ, and the test must not depend on it."""
    sh = "mount -t tmpfs tmpfs /dev/net"
    if tun_mode is not None:
        sh += " && mknod -m %o /dev/net/tun c 10 200" % tun_mode
    return ["unshare", "--mount", "--", "sh", "-c", sh + ' && exec "$@"',
            "sh"]


def as_proxy(*caps, tun_mode=0o666):
    """argv prefix: run as the proxy user holding exactly caps, as the
    systemd unit starts tproxyd (User=proxy, AmbientCapabilities=), with
    Debian's /dev/net/tun (or one of mode tun_mode)."""
    c = "".join(",+" + n for n in caps)
    return private_dev_net(tun_mode) + [
        "setpriv", "--reuid=proxy", "--regid=proxy", "--clear-groups",
        "--inh-caps=-all" + c, "--ambient-caps=-all" + c,
        "--bounding-set=-all" + c, "--"]


NO_TUN_NODE = private_dev_net(None)


@pytest.mark.parametrize("case,wrap,cause", [
    ("no_cap_net_admin", as_proxy("net_raw"),
     "cannot create the TUN device tpxwccp0: Operation not permitted "
     "(tproxyd needs the CAP_NET_ADMIN capability)"),
    ("no_cap_net_raw", as_proxy("net_admin"),
     "cannot open the raw GRE socket: Operation not permitted (tproxyd "
     "needs the CAP_NET_RAW capability)"),
    ("no_tun_device", NO_TUN_NODE,
     "cannot open /dev/net/tun: No such file or directory (no TUN "
     "device: the kernel's tun module is missing or a sandbox hides the "
     "device)"),
    ("tun_node_not_for_proxy", as_proxy("net_raw", "net_admin",
                                        tun_mode=0o600),
     "cannot open /dev/net/tun: Permission denied (its permissions do not "
     "let tproxyd's user open it)"),
])
def test_gre_that_cannot_work_refuses_to_start(wtopo, tmp_path, case, wrap,
                                               cause):
    """GRE forwarding configured but impossible here: tproxyd stops at
    start-up with a FATAL naming the cause and the systemd drop-in, and
    the router never hears of this cache (it would otherwise hand it
    buckets whose packets nobody decapsulates)."""
    t = wtopo
    state = start_router(t, tmp_path, "--cache-timeout", "12")
    d = tmp_path / "c1"
    d.mkdir()
    os.chmod(d, 0o777)
    lines = ["http_port 3128"] + [ln % "" if "%s" in ln else ln
                                  for ln in SVC80]
    c1 = NsTproxyd(t, t.c1, d, lines, [3128], wrap=wrap)
    t.daemons.append(c1)
    rc = c1.run_to_exit(timeout=10, ok_status=(1,))
    assert rc == 1, "exit status %r\n%s" % (rc, c1.diagnostics())
    err = c1.stderr_text()
    assert "tproxyd: FATAL: WCCPv2 GRE forwarding cannot work: " + cause \
        in err, err
    assert "not joining the WCCP routers' service group" in err, err
    assert DROPIN in err and "/etc/systemd/system/tproxyd.service.d/" \
        in err, err
    assert "FATAL: WCCPv2 GRE forwarding cannot work: " + cause in \
        c1.cache_text(), c1.cache_text()
    # The router answers each HERE_I_AM and saves its state at once; give
    # a late datagram time to arrive anyway.
    time.sleep(2)
    st = read_state(state)
    assert st.get("here_i_am", {}).get(C1, 0) == 0, st
    assert C1 not in str(st.get("view")), st


def proc_caps(pid, field):
    for ln in Path("/proc/%d/status" % pid).read_text().splitlines():
        if ln.startswith(field + ":"):
            return int(ln.split()[1], 16)
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


def test_gre_with_the_capabilities_of_the_dropin_joins(wtopo, tmp_path):
    """The drop-in's grant (CAP_NET_RAW and CAP_NET_ADMIN, the proxy
    user): the cache opens its TUN device, joins, and keeps CAP_NET_ADMIN
    only for that (dropped once it is open)."""
    t = wtopo
    state = start_router(t, tmp_path, "--cache-timeout", "12")
    d = tmp_path / "c1"
    d.mkdir()
    os.chmod(d, 0o777)
    lines = ["http_port 3128"] + [ln % "" if "%s" in ln else ln
                                  for ln in SVC80]
    c1 = NsTproxyd(t, t.c1, d, lines, [3128],
                   wrap=as_proxy("net_raw", "net_admin"))
    t.daemons.append(c1)
    c1.start()
    c1.wait_cache("WCCPv2: GRE forwarding: decapsulating into tpxwccp0", 5)
    wait_state(state, lambda s: C1 in s.get("view", {}).get("dynamic:80",
                                                           []),
               15, "the cache in the router's view")
    c1.wait_cache("WCCPv2: service 80: router 198.18.3.1 answers", 10)
    assert "FATAL" not in c1.cache_text() + c1.stderr_text()
    pid = c1.pid()
    assert not proc_caps(pid, "CapEff") & (1 << CAP_NET_ADMIN)
    assert not proc_caps(pid, "CapPrm") & (1 << CAP_NET_ADMIN)
    stop_cache(c1)


def test_reconfigure_to_gre_without_privileges_stops_announcing(wtopo,
                                                                 tmp_path):
    """L2 forwarding, then a reconfiguration to GRE: the privileges GRE
    needs were dropped at start-up, so the cache says why and sends the
    routers nothing more (they remove it), instead of announcing GRE."""
    t = wtopo
    state = start_router(t, tmp_path, "--cache-timeout", "12")
    l2 = ["http_port 3128", "wccp2_router %s" % RTR,
          "wccp2_forwarding_method l2", "wccp2_return_method l2",
          "wccp2_service dynamic 80",
          "wccp2_service_info 80 protocol=tcp flags=src_ip_hash "
          "priority=240 ports=80"]
    c1 = start_cache(t, t.c1, tmp_path / "c1", l2, [3128])

    def in_view(s):
        return C1 in s.get("view", {}).get("dynamic:80", [])
    wait_state(state, in_view, 15, "the cache in the router's view")
    c1.conf.write_text(c1.conf.read_text().replace(
        "wccp2_forwarding_method l2", "wccp2_forwarding_method gre").replace(
        "wccp2_return_method l2", "wccp2_return_method gre"))
    c1.kill(signal.SIGHUP)
    c1.wait_cache("ERROR: WCCPv2 GRE forwarding: cannot open the raw GRE "
                  "socket: Operation not permitted (tproxyd needs the "
                  "CAP_NET_RAW capability)", 5)
    c1.wait_cache("ERROR: WCCPv2: not announcing this cache to the "
                  "routers: GRE forwarding cannot work", 5)
    n = read_state(state)["here_i_am"][C1]
    wait_state(state, lambda s: not in_view(s), 20,
               "the router removing the silent cache")
    assert read_state(state)["here_i_am"][C1] == n
    stop_cache(c1)


def test_gre_device_lost_leaves_the_group(wtopo, tmp_path):
    """GRE forwarding stops working while running (the TUN device set
    down, then removed): the cache stops announcing itself, so the router
    removes it; set up again, it announces itself again."""
    t = wtopo
    state = start_router(t, tmp_path, "--cache-timeout", "12")
    c1 = cache(t, t.c1, tmp_path / "c1", 10000)

    def in_view(s):
        return C1 in s.get("view", {}).get("dynamic:80", [])
    wait_state(state, in_view, 15, "the cache in the router's view")
    assert t.run(t.c1, ["ip", "link", "set", "tpxwccp0", "down"],
                 timeout=10).returncode == 0
    c1.wait_cache("ERROR: WCCPv2: GRE forwarding stopped working (the TUN "
                  "device tpxwccp0 is down): leaving the service group(s)",
                  12)
    n = read_state(state)["here_i_am"][C1]
    wait_state(state, lambda s: not in_view(s), 20,
               "the router removing the silent cache")
    assert read_state(state)["here_i_am"][C1] == n
    assert t.run(t.c1, ["ip", "link", "set", "tpxwccp0", "up"],
                 timeout=10).returncode == 0
    c1.wait_cache("WCCPv2: GRE forwarding works again (tpxwccp0 is up): "
                  "announcing this cache again", 12)
    wait_state(state, in_view, 15, "the cache back in the router's view")
    assert t.run(t.c1, ["ip", "link", "del", "tpxwccp0"],
                 timeout=10).returncode == 0
    c1.wait_cache("ERROR: WCCPv2: GRE forwarding stopped working (the TUN "
                  "device tpxwccp0 was removed): leaving the service "
                  "group(s): no more HERE_I_AM, the routers remove this "
                  "cache within 30 s and forward its traffic themselves; "
                  "restart tproxyd to create the device again", 12)
    n = read_state(state)["here_i_am"][C1]
    time.sleep(11)      # a HERE_I_AM period
    assert read_state(state)["here_i_am"][C1] == n
    stop_cache(c1)
