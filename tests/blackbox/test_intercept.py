# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_intercept.py - TPROXY interception seen from all three sides (issue 4).

Topology (tests/netns/netns.py; kernel side in intercept_env.py):

    client ns            router ns                         server ns
    curl  ----------->   nft|iptables TPROXY :80 -> 3129   origin.py :80
    198.18.1.2           tproxyd `http_port 3129 tproxy`   198.18.2.2
    2001:db8:1::2        fwmark 1 -> table 100 (local)     2001:db8:2::2

The client is configured with no proxy: it connects to the server's
address, the router's rules hand the connection to tproxyd, and tproxyd
connects on to the original destination from the client's own address.
Each case states the request, the proxy config, what the origin saw (its
peer address, recorded by origin.py) and what the logs say.

Cases:
  1. backend {nft, iptables} x family {4, 6}: interception + spoofing,
     access.log ORIGINAL_DST/<server>, 1 MiB down and up byte-identical.
  2. spoof_client_ip deny: the router's address; + tcp_outgoing_address.
  3. Host header forgery: alert in cache.log, still to the original
     destination; host_verify_strict -> 409 and nothing at the origin;
     a Host naming the destination (its IP, or a name resolving to it via
     the router's stub DNS) raises nothing.
  4. Loop guard: a request sent straight to the tproxy port -> 403.

Run with: /usr/bin/python3 -m pytest -q tests/blackbox/test_intercept.py
(as root).
"""

import hashlib
import os

import pytest

import harness

import origin as origin_mod
from intercept_env import (FAM, TPROXY_PORT, daemons, env, install_tproxy,  # noqa: F401
                           must, net, url, client_curl)


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces, nft/iptables TPROXY rules")

BASE = ["http_port %d tproxy" % TPROXY_PORT, "http_access allow all"]
MIB = 1 << 20


def one_record(env, path):
    """The origin's records of path (after the response arrived, so all
    of them are there)."""
    return [r for r in env.origin.records() if r["path"] == path]


# ---------------------------------------------------------------------------
# 1. Interception and spoofing, per backend and family
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("backend", ["nft", "iptables"])
def test_tproxy_intercepts_and_spoofs(env, daemons, tmp_path, backend,
                                      family):
    f = FAM[family]
    install_tproxy(env.topo, backend, families=(family,))
    d = daemons(BASE)

    # The request reaches the origin with the CLIENT's address as source.
    r = client_curl(env.topo, url(family, "/peer"))
    assert r.rc == 0 and r.status == 200, r
    assert r.json()["addr"] == f["cli"], (
        "origin saw %r, expected the client's own address %s (spoofed)"
        % (r.json(), f["cli"]))
    recs = one_record(env, "/peer")
    assert [x["peer"][0] for x in recs] == [f["cli"]], recs
    # ... and it went through tproxyd, not just routed past it.
    e = d.wait_access(lambda e: e["url"] == url(family, "/peer"),
                      what=url(family, "/peer"))
    assert e["client"] == f["cli"], e["raw"]
    assert e["status"] == 200 and e["method"] == "GET", e["raw"]
    assert (e["hier"], e["peer"]) == ("ORIGINAL_DST", f["srv"]), e["raw"]

    # 1 MiB down, byte-identical.
    r = client_curl(env.topo, url(family, "/bytes/%d" % MIB))
    assert r.rc == 0 and r.status == 200, r
    assert len(r.body) == MIB, r
    assert r.sha256 == origin_mod.body_sha256(MIB), r
    assert r.headers.get("x-sha256") == r.sha256

    # 1 MiB up (and echoed back), byte-identical both ways.
    data = os.urandom(MIB)
    up = tmp_path / "upload.bin"
    up.write_bytes(data)
    r = client_curl(env.topo, url(family, "/echo"), upload=str(up))
    assert r.rc == 0 and r.status == 200, r
    assert r.sha256 == hashlib.sha256(data).hexdigest(), r
    rec = one_record(env, "/echo")
    assert len(rec) == 1, rec
    assert rec[0]["body_len"] == MIB
    assert rec[0]["body_sha256"] == hashlib.sha256(data).hexdigest()
    assert rec[0]["peer"][0] == f["cli"], rec[0]
    d.wait_access(lambda e: e["url"] == url(family, "/echo") and
                  e["method"] == "POST" and e["hier"] == "ORIGINAL_DST",
                  what="POST /echo")


# ---------------------------------------------------------------------------
# 2. No spoofing: the router's own address, or tcp_outgoing_address
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("rule", [
    ["spoof_client_ip deny all"],
    ["acl the_client src 198.18.1.2 2001:db8:1::2",
     "spoof_client_ip deny the_client"],
], ids=["deny_all", "deny_acl"])
def test_spoof_denied_uses_router_address(env, daemons, family, rule):
    f = FAM[family]
    install_tproxy(env.topo, "nft")
    d = daemons(BASE + rule)
    r = client_curl(env.topo, url(family, "/peer"))
    assert r.rc == 0 and r.status == 200, r
    assert r.json()["addr"] == f["rtr_srv"], (
        "with spoof_client_ip denied the origin must see the router's "
        "address %s, saw %r" % (f["rtr_srv"], r.json()))
    e = d.wait_access(lambda e: e["url"] == url(family, "/peer"))
    assert (e["hier"], e["peer"], e["client"]) == (
        "ORIGINAL_DST", f["srv"], f["cli"]), e["raw"]


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_spoof_denied_uses_tcp_outgoing_address(env, daemons, family):
    f = FAM[family]
    extra = {4: "198.18.2.3", 6: "2001:db8:2::3"}
    t = env.topo
    must(t, t.rtr, ["ip", "addr", "add", extra[4] + "/24", "dev", "r1"])
    must(t, t.rtr, ["ip", "-6", "addr", "add", extra[6] + "/64", "dev", "r1",
                    "nodad"])
    try:
        install_tproxy(t, "nft")
        daemons(BASE + ["spoof_client_ip deny all",
                        "tcp_outgoing_address %s" % extra[4],
                        "tcp_outgoing_address %s" % extra[6]])
        r = client_curl(t, url(family, "/peer"))
        assert r.rc == 0 and r.status == 200, r
        assert r.json()["addr"] == extra[family], r.json()
    finally:
        t.run(t.rtr, ["ip", "addr", "del", extra[4] + "/24", "dev", "r1"])
        t.run(t.rtr, ["ip", "-6", "addr", "del", extra[6] + "/64", "dev",
                      "r1"])


def test_spoofing_wins_over_tcp_outgoing_address(env, daemons):
    """Spoofing allowed (the default): tcp_outgoing_address is not used on
    a tproxy port, the client's address is."""
    t = env.topo
    must(t, t.rtr, ["ip", "addr", "add", "198.18.2.3/24", "dev", "r1"])
    try:
        install_tproxy(t, "nft")
        daemons(BASE + ["tcp_outgoing_address 198.18.2.3"])
        r = client_curl(t, url(4, "/peer"))
        assert r.rc == 0 and r.status == 200, r
        assert r.json()["addr"] == FAM[4]["cli"], r.json()
    finally:
        t.run(t.rtr, ["ip", "addr", "del", "198.18.2.3/24", "dev", "r1"])


# ---------------------------------------------------------------------------
# 3. Host header forgery (CVE-2009-0801, Squid's host_verify_strict)
# ---------------------------------------------------------------------------

ALERT = "SECURITY ALERT: Host header forgery detected"

# Each of these Host values is a forgery for a request intercepted on its
# way to the server: a name that does not resolve (the stub DNS answers
# NXDOMAIN), a name that resolves elsewhere (intercept_env.DNS_NAMES),
# another IP literal of the family, the right IP with another port.
FORGED = ["nxdomain", "wrong_name", "other_ip", "other_port"]


def forged_host(kind, family):
    if kind == "nxdomain":
        return "nxdomain.example"
    if kind == "wrong_name":
        return "wrong.example"
    if kind == "other_ip":
        return {4: "198.18.2.99", 6: "[2001:db8:2::99]"}[family]
    return "%s:8080" % FAM[family]["urlhost"]


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("kind", FORGED)
def test_host_forgery_alert_still_original_destination(env, daemons, family,
                                                       kind):
    f = FAM[family]
    host = forged_host(kind, family)
    install_tproxy(env.topo, "nft")
    d = daemons(BASE)
    r = client_curl(env.topo, url(family, "/peer"),
                    args=["-H", "Host: %s" % host])
    # Not strict: served, from where the client was really going.
    assert r.rc == 0 and r.status == 200, r
    assert r.json()["addr"] == f["cli"], r.json()
    recs = one_record(env, "/peer")
    assert len(recs) == 1, recs
    assert recs[0]["local"][0] == f["srv"], recs
    text = d.wait_cache(ALERT)
    line = [ln for ln in text.splitlines() if ALERT in ln]
    assert len(line) == 1, line
    assert host.split(":")[0].strip("[]") in line[0] or host in line[0], line
    e = d.wait_access(lambda e: e["method"] == "GET")
    assert (e["hier"], e["peer"]) == ("ORIGINAL_DST", f["srv"]), e["raw"]


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("kind", FORGED)
def test_host_forgery_strict_409(env, daemons, family, kind):
    host = forged_host(kind, family)
    install_tproxy(env.topo, "nft")
    d = daemons(BASE + ["host_verify_strict on"])
    r = client_curl(env.topo, url(family, "/peer"),
                    args=["-H", "Host: %s" % host])
    assert r.rc == 0 and r.status == 409, r
    d.wait_cache(ALERT)
    assert env.origin.records() == [], "the origin was contacted"
    e = d.wait_access(lambda e: e["method"] == "GET")
    assert e["status"] == 409, e["raw"]


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("kind", ["host_ip", "host_ip_port80", "good_name"])
@pytest.mark.parametrize("strict", [False, True], ids=["lax", "strict"])
def test_host_names_destination_no_alert(env, daemons, family, kind, strict):
    """Host is the destination's IP literal (with or without :80), or a
    name that resolves to it: no alert, even when strict."""
    f = FAM[family]
    host = {"host_ip": f["urlhost"], "host_ip_port80": f["urlhost"] + ":80",
            "good_name": "good.example"}[kind]
    install_tproxy(env.topo, "nft")
    d = daemons(BASE + (["host_verify_strict on"] if strict else []))
    r = client_curl(env.topo, url(family, "/peer"),
                    args=["-H", "Host: %s" % host])
    assert r.rc == 0 and r.status == 200, r
    assert r.json()["addr"] == f["cli"], r.json()
    d.wait_access(lambda e: e["method"] == "GET" and e["status"] == 200)
    assert ALERT not in d.cache_text(), d.cache_text()[-3000:]


# ---------------------------------------------------------------------------
# 4. Loop guard: the tproxy port used directly
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_direct_request_to_tproxy_port_refused(env, daemons, family):
    f = FAM[family]
    host = f["rtr_cli"] if family == 4 else "[%s]" % f["rtr_cli"]
    install_tproxy(env.topo, "nft")
    d = daemons(BASE)
    r = client_curl(env.topo, "http://%s:%d/" % (host, TPROXY_PORT))
    assert r.rc == 0 and r.status == 403, r
    assert env.origin.records() == [], "something reached the origin"
    d.wait_cache("not intercepted")
    lines = [ln for ln in d.cache_text().splitlines()
             if "not intercepted" in ln]
    assert len(lines) == 1, lines
    assert str(TPROXY_PORT) in lines[0], lines
    e = d.wait_access(lambda e: e["status"] == 403)
    assert e["code"] == "TCP_DENIED", e["raw"]
    assert e["client"] == f["cli"], e["raw"]


# ---------------------------------------------------------------------------
# GUIDE habit 7: spoofed source port 0, no cross-client reuse of the pool
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_spoofed_connection_never_reused_for_another_client(env, daemons,
                                                            family):
    """Two clients one after the other (the first one's server connection
    sits idle in the pool): each reaches the origin from its own address,
    never over the connection spoofed for the other; and the spoofed
    source port is not the client's own (spoof_client_port off)."""
    f = FAM[family]
    other = {4: "198.18.1.3", 6: "2001:db8:1::3"}[family]
    t = env.topo
    plen = 24 if family == 4 else 64
    extra = ["nodad"] if family == 6 else []
    must(t, t.cli, ["ip", "-%d" % family, "addr", "add",
                    "%s/%d" % (other, plen), "dev", "c0"] + extra)
    try:
        install_tproxy(t, "nft")
        daemons(BASE)
        seen = []
        for src in (f["cli"], other, f["cli"]):
            # Client ports below the router's ephemeral range (default
            # 32768-60999), so a port the kernel picks can never be one.
            r = client_curl(t, url(family, "/peer"),
                            args=["--interface", src, "--local-port",
                                  "20000-20999"])
            assert r.rc == 0 and r.status == 200, r
            seen.append(r.json())
        assert [s["addr"] for s in seen] == [f["cli"], other, f["cli"]], seen
        recs = one_record(env, "/peer")
        assert [x["peer"][0] for x in recs] == [f["cli"], other, f["cli"]]
        # The second client's request did not ride the first one's
        # connection, nor the third the second's.
        assert recs[1]["conn_id"] not in (recs[0]["conn_id"],
                                          recs[2]["conn_id"]), recs
        for s in seen:
            assert not 20000 <= s["port"] <= 20999, (
                "the spoofed connection reused the client's source port "
                "(spoof_client_port is off by default): %r" % s)
    finally:
        t.run(t.cli, ["ip", "-%d" % family, "addr", "del",
                      "%s/%d" % (other, plen), "dev", "c0"])
