# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_doctor_wccp.py - `tproxyctl doctor` on a cache behind a WCCPv2 router
(tools/tproxyctl/doctor/wccp.c), with the router simulator of
wccp_env.py (wccp_router.py) in namespaces:

    <prefix>-cl (curl)          <prefix>-wr                 <prefix>-sv
    c0 198.18.1.2/24 ---- rc 198.18.1.1    rs 198.18.2.1 ---- s0 198.18.2.2
                              br0 198.18.3.1 (router 1,      (origin.py :80)
                                  198.18.3.9  router 2)
                               |
    <prefix>-c1  e0 198.18.3.2: tproxyd (`wccp2_router 198.18.3.1
    198.18.3.9`, GRE), its kernel side made by `tproxyctl setup`.

Router 1 redirects the client's port-80 traffic and the origin's answers
to the cache in GRE, and does not fragment (--gre-df): a redirected
packet that no longer fits once wrapped is dropped, as on a router whose
GRE path does not fragment. Router 2 (198.18.3.9) starts with no WCCP
running: it does not answer HERE_I_AM.

One cache and one router for the whole module (the first assignment
takes 15 s: the draft's settle time); the tests run in order, each puts
the cache back as it found it. For each fault: what the client (or the
router) sees, doctor's FAIL or WARN, the fix run exactly as printed
(sh -c in the cache's namespace), then doctor again and the client again.
"""

import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "netns"))

import harness  # noqa: E402
from intercept_env import NsTproxyd  # noqa: E402
from wccp_env import (CLI, PY, RTR, SRV, SVC80, WccpDataTopology,  # noqa
                        _checked, read_state, start_origin, wait_state)

CTL = str(harness.BUILD / "tproxyctl")
R2 = "198.18.3.9"
BIG = 400000        # bytes of the large response (origin's /bytes/N)

# Where operators report each fault (found with the search tool).
# Wrong or silent wccp2_router address: "use the nearest IP address on
# the router ... not the WCCP router ID".
SRC_ROUTER = "http://inetpro.org/wiki/Squid_WCCP"
# WCCP GRE and path MTU: the router drops what no longer fits.
SRC_MTU = ("https://cisco.com/c/en/us/support/docs/security/"
           "web-security-appliance/118843-technote-wsa-00.html")
# The GRE receiving interface (up, rp_filter 0) on a Linux cache.
SRC_GRE = ("http://wiki.squid-cache.org/ConfigExamples/Intercept/"
           "FedoraCoreWccp2Receiver")
# UDP 2048 to be let through the cache's firewall (squid-users, the
# steps behind the Squid wiki's "TPROXY v4 with CentOS 5.3").
SRC_FW = ("http://www.squid-cache.org/mail-archive/squid-users/200906/"
          "0602.html")


def start_router(t, d, address, *args):
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    state, out = d / "router.json", d / "router.out"
    t.router_outs.append(out)
    p = t.popen(t.rtr, [PY, str(HERE / "wccp_router.py"), "--address",
                        address, "--state", str(state)] + list(args),
                stdout=open(out, "wb"), stderr=open(out, "wb"))
    harness.wait_for(lambda: state.exists() or p.poll() is not None, 10,
                     "router simulator start")
    assert state.exists(), harness._read_text(out)
    return state


@pytest.fixture(scope="module")
def env(run_prefix, tmp_path_factory):
    t = WccpDataTopology(run_prefix + "dw").setup()
    t.daemons, t.router_outs = [], []
    d = tmp_path_factory.mktemp("doctor_wccp")
    e = SimpleNamespace(t=t, dir=d, st=d / "ctl.state", r2_up=False)
    try:
        t.run(t.rtr, ["ip", "addr", "add", R2 + "/24", "dev", "br0"],
              check=True)
        start_origin(t)
        e.r1 = start_router(t, d / "r1", RTR, "--redirect", "gre",
                            "--client-if", "rc", "--server-if", "rs",
                            "--gre-df", "--cache-timeout", "60")
        # shutdown_lifetime: the stalled large response of the MTU test
        # stays open (the origin keeps resending full-size segments).
        lines = ["http_port 3129 tproxy", "http_access allow all",
                 "shutdown_lifetime 1 seconds",
                 "wccp2_router %s %s" % (RTR, R2)] + [
            ln % "" if "%s" in ln else ln for ln in SVC80
            if not ln.startswith("wccp2_router")]
        e.cache = NsTproxyd(t, t.c1, d / "c1", lines, [3129])
        t.daemons.append(e.cache)
        e.cache.start()
        e.started = time.monotonic()
        e.conf = e.cache.conf
        p = ctl(e, "setup", "-f", e.conf, "--state", e.st)
        assert p.returncode == 0, p.stdout + p.stderr
        yield e
    finally:
        try:
            ctl(e, "teardown", "--state", e.st)
        finally:
            _checked(t)


def ctl(e, *args):
    return e.t.run(e.t.c1, [CTL] + [str(a) for a in args], timeout=60)


def doctor(e):
    """(exit status, {id: check}, text) of `doctor --json` in the cache
    (each output kept in the test directory, doctor-N.json)."""
    p = ctl(e, "doctor", "--json", "-f", e.conf, "--state", e.st)
    e.ndoctor = getattr(e, "ndoctor", 0) + 1
    (e.dir / ("doctor-%d.json" % e.ndoctor)).write_text(p.stdout)
    data = json.loads(p.stdout)
    return p.returncode, {c["id"]: c for c in data["checks"]}, p.stdout


def wccp_not_pass(checks):
    return sorted("%s %s: %s" % (c["status"], k, c["message"])
                  for k, c in checks.items()
                  if k.startswith("wccp") and c["status"] != "PASS")


def record(name, source, before, check, after):
    """One row of the fault table (as doctor_faults.py writes them)."""
    row = {"name": "wccp_" + name, "source": source, "backend": "nft",
           "family": "ipv4", "before": before, "fail": check["id"],
           "status": check["status"], "message": check["message"],
           "fix": check["fix"], "after": after}
    with open(Path(harness.BUILD) / "doctor-faults.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")


def run_fix(e, fix):
    """The fix exactly as doctor printed it, in a root shell."""
    path = "%s:%s" % (Path(CTL).parent, os.environ.get("PATH", "/usr/bin"))
    p = e.t.run(e.t.c1, ["env", "PATH=" + path, "sh", "-c", fix],
                timeout=60)
    assert p.returncode == 0, "the fix as printed failed: %s\n%s%s" % (
        fix, p.stdout, p.stderr)


def expect(e, cid, status):
    """doctor reports cid with status; returns that check."""
    rc, checks, out = doctor(e)
    assert cid in checks, out
    assert checks[cid]["status"] == status, out
    if status == "FAIL":
        assert rc != 0, out
    return dict(checks[cid], id=cid)


def healthy(e):
    """doctor passes, every WCCP check PASSes (but router 2's before it
    runs WCCP: test_router_not_answering_here_i_am)."""
    rc, checks, out = doctor(e)
    allowed = set() if e.r2_up else {"wccp.router.%s" % R2}
    fails = {k for k, c in checks.items() if c["status"] == "FAIL"}
    assert fails <= allowed and (rc == 0) == (not fails), out
    assert not [x for x in wccp_not_pass(checks)
                if x.split()[1].rstrip(":") not in allowed], out
    assert "wccp.router.%s" % RTR in checks, out


def client(e, path="/peer", max_time=3):
    """What the client sees fetching http://SRV/path: "timeout", "reset",
    "refused", or (the body, "intercepted" | "direct")."""
    t = e.t
    p = t.run(t.cl, ["curl", "-sS", "--noproxy", "*", "--max-time",
                     str(max_time), "http://%s%s" % (SRV, path)],
              timeout=max_time + 15, text=False)
    if p.returncode == 28:
        return "timeout"
    if p.returncode == 7:
        return "refused"
    if p.returncode in (52, 56):
        return "reset"
    assert p.returncode == 0, (p.returncode, p.stderr)
    q = t.run(t.sv, ["curl", "-sS", "--noproxy", "*", "--max-time", "5",
                     "http://%s/__records" % SRV], timeout=20)
    recs = json.loads(q.stdout)
    via = any(h.lower().startswith("via:") and "(tproxyd" in h
              for h in recs[-1]["headers"])
    return p.stdout, "intercepted" if via else "direct"


def intercepted(e):
    r = client(e)
    assert r != "timeout" and r[1] == "intercepted", r
    assert json.loads(r[0])["addr"] == CLI, r


def here_i_am(e):
    return read_state(e.r1).get("here_i_am", {}).get("198.18.3.2", 0)


def wait_redirecting(e):
    wait_state(e.r1, lambda s: s.get("redirecting") == "dynamic:80", 40,
               "router 1 redirecting after REDIRECT_ASSIGN")


# -- the tests, in order ------------------------------------------------------

def test_router_not_answering_here_i_am(env):
    """Router 2 runs no WCCP: tproxyd's HERE_I_AMs go unanswered. doctor
    FAILs wccp.router.198.18.3.9 (no command: the fix is on the router,
    named in the message). The router is started (as `ip wccp 80` on a
    Cisco) in the last test, where a HERE_I_AM is awaited anyway, and
    doctor then passes it."""
    e = env
    time.sleep(max(0.0, e.started + 6 - time.monotonic()))
    c = expect(e, "wccp.router.%s" % R2, "FAIL")
    assert "has not answered" in c["message"] and "ip wccp 80" in \
        c["message"], c
    assert c["fix"] is None, c
    e.r2_check = c
    expect(e, "wccp.router.%s" % RTR, "PASS")
    expect(e, "wccp.router.%s.route" % R2, "PASS")


def test_mtu_too_large_then_healthy(env):
    """No MSS clamp: the origin's full-size segments (1500 bytes) do not
    fit in GRE toward the cache (1528 > 1500) and router 1 does not
    fragment: a small request works, a large response stalls. doctor
    WARNs wccp.mtu with a clamp rule; pasted, the large response comes
    through tproxyd and every WCCP check PASSes (the healthy setup)."""
    e = env
    wait_redirecting(e)
    intercepted(e)
    assert client(e, "/bytes/%d" % BIG, 4) == "timeout"
    c = expect(e, "wccp.mtu", "WARN")
    assert "1432" in c["fix"] and "28 bytes" in c["message"], c
    run_fix(e, c["fix"])
    healthy(e)
    r = client(e, "/bytes/%d" % BIG, 10)
    assert r != "timeout" and len(r[0]) == BIG and r[1] == "intercepted", \
        r if isinstance(r, str) else (len(r[0]), r[1])
    record("mtu_no_mss_clamp", SRC_MTU, "GET /peer intercepted; 400 kB "
           "response: timeout", c, "400 kB response intercepted")


def test_gre_device_down(env):
    e = env
    run_fix(e, "ip link set tpxwccp0 down")
    assert client(e) == "timeout"
    c = expect(e, "wccp.gre.tpxwccp0", "FAIL")
    assert "down" in c["message"], c
    run_fix(e, c["fix"])
    healthy(e)
    intercepted(e)
    record("gre_device_down", SRC_GRE, "timeout", c, "intercepted")


def test_rp_filter_on_gre_device(env):
    e = env
    run_fix(e, "sysctl -qw net.ipv4.conf.tpxwccp0.rp_filter=1")
    assert client(e) == "timeout"
    c = expect(e, "wccp.gre.tpxwccp0", "FAIL")
    assert "rp_filter" in c["message"], c
    run_fix(e, c["fix"])
    healthy(e)
    intercepted(e)
    record("rp_filter_on_gre_device", SRC_GRE, "timeout", c, "intercepted")


def test_tproxy_rules_only_on_another_interface(env):
    """`tproxyctl setup --iface e0`: TPROXY only for what arrives on e0,
    not on tpxwccp0, where GRE-forwarded traffic arrives; the cache
    routes it on unintercepted. doctor FAILs wccp.gre.rules with a setup
    that adds tpxwccp0, saying the rest of the recorded setup again (the
    test's --state among it); the fix is run as printed."""
    e = env
    p = ctl(e, "setup", "-f", e.conf, "--state", e.st, "--iface", "e0")
    assert p.returncode == 0, p.stdout + p.stderr
    before = client(e)
    assert before == "timeout" or before[1] == "direct", before
    c = expect(e, "wccp.gre.rules", "FAIL")
    assert c["fix"] == "tproxyctl setup -f %s --iface e0 tpxwccp0 " \
        "--state %s" % (e.conf, e.st), c
    run_fix(e, c["fix"])
    healthy(e)
    intercepted(e)
    record("tproxy_rules_not_on_tpxwccp0", SRC_GRE, before if isinstance(
        before, str) else before[1], c, "intercepted")


def test_router_unreachable_then_udp_2048_dropped(env):
    """Two faults in one HERE_I_AM window each (10 s): a blackhole route
    to router 1, then, once its fix is pasted, a firewall rule dropping
    UDP 2048 out. Each time the router receives no HERE_I_AM for 10.5 s
    (a real router drops the cache from the service group after its
    timeout; the simulator's is 60 s here); after the second fix it
    receives them again."""
    e = env
    run_fix(e, "ip route add blackhole %s/32" % RTR)
    time.sleep(0.5)     # a HERE_I_AM received just before is counted
    n1 = here_i_am(e)
    c = expect(e, "wccp.router.%s.route" % RTR, "FAIL")
    assert c["fix"] == "ip route del blackhole %s" % RTR, c
    time.sleep(10.5)
    assert here_i_am(e) == n1, "HERE_I_AM reached the router"
    run_fix(e, c["fix"])
    expect(e, "wccp.router.%s.route" % RTR, "PASS")
    c_route = c

    run_fix(e, "nft add table inet fw && nft add chain inet fw out "
            "'{ type filter hook output priority 0; }' && "
            "nft add rule inet fw out udp dport 2048 drop")
    c = expect(e, "wccp.router.%s.udp2048" % RTR, "FAIL")
    assert c["fix"].startswith("nft delete rule inet fw out handle "), c
    time.sleep(10.5)
    assert here_i_am(e) == n1, "HERE_I_AM reached the router"
    run_fix(e, c["fix"])
    # Router 2 starts answering (test_router_not_answering_here_i_am).
    start_router(e.t, e.dir / "r2", R2, "--cache-timeout", "60")
    harness.wait_for(lambda: here_i_am(e) > n1, 12,
                     "HERE_I_AM at the router again")
    # Router 2 hears the next periodic HERE_I_AM (every 10 s): the one
    # router 1 got may be tproxyd's answer to its own query, sent out of
    # turn (CI saw router 2 answer 4 s after it).
    e.cache.wait_cache("router %s answers" % R2, 12)
    e.r2_up = True
    # tproxyd may have counted router 1 gone (30 s without I_SEE_YOU)
    # just before this HERE_I_AM: its answer is then logged again.
    harness.wait_for(lambda: doctor(e)[1]["wccp.router.%s" % RTR][
        "status"] == "PASS", 5, "router 1 answering again")
    healthy(e)
    intercepted(e)
    run_fix(e, "nft delete table inet fw")
    lost = "the router receives no HERE_I_AM (10.5 s)"
    back = "HERE_I_AM and I_SEE_YOU again; intercepted"
    record("router_blackhole_route", SRC_ROUTER, lost, c_route, back)
    record("udp_2048_dropped", SRC_FW, lost, c, back)
    record("router_not_answering", SRC_ROUTER, "HERE_I_AM unanswered "
           "(router without WCCP)", e.r2_check, "I_SEE_YOU received "
           "once the router runs WCCP (no command on the cache)")


# How doctor reads the cache's firewall for UDP 2048 (doctor only: what a
# drop does to the router is shown above). Each case: the rules of a table
# "inet wf" (chain "c" on the hook), what wccp.router.198.18.3.1.udp2048
# says; a FAIL's fix is run as printed and must make it PASS.
FW_CASES = [
    # hook, policy, rules, expected
    ("input", "drop", ["ct state established,related accept"], "PASS"),
    ("output", "drop", ["ct state established,related accept"], "FAIL"),
    ("output", "drop", ["ip daddr 198.18.3.0/24 accept"], "PASS"),
    ("input", "drop", ["ip saddr 10.0.0.0/8 accept",
                       "iifname \"lo\" accept"], "FAIL"),
    ("input", "drop", ["iifname \"e0\" accept"], "PASS"),
    ("input", "accept", ["ip saddr 198.18.3.1 drop"], "FAIL"),
    ("input", "accept", ["meta l4proto udp drop"], "FAIL"),
    ("input", "accept", ["tcp dport 2048 drop"], "PASS"),
    ("input", "accept", ["udp dport 53 drop"], "PASS"),
    ("input", "accept", ["iifname \"eth9\" udp dport 2048 drop"], "PASS"),
    ("input", "accept", ["udp dport 2048 accept", "counter drop"], "PASS"),
    ("output", "accept", ["counter reject"], "FAIL"),
]


def test_udp_2048_firewall_rules_read(env):
    e = env
    cid = "wccp.router.%s.udp2048" % RTR
    for hook, policy, rules, want in FW_CASES:
        script = ("nft add table inet wf && nft add chain inet wf c "
                  "'{ type filter hook %s priority 0; policy %s; }'" % (
                      hook, policy))
        for r in rules:
            script += " && nft add rule inet wf c '%s'" % r
        run_fix(e, script)
        try:
            c = expect(e, cid, want)
            if want == "FAIL":
                run_fix(e, c["fix"])
                expect(e, cid, "PASS")
        finally:
            run_fix(e, "nft delete table inet wf")
