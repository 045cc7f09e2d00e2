# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_tls_env.py - the world of the HTTPS interception tests (tls_env.py)
checked without the proxy: no interception rule, the router only routes.
When one of test_tls_intercept.py's cases fails, these say whether the
origin, the certificates and the hand-made clients work on their own.

Run with: /usr/bin/python3 -m pytest -q tests/blackbox/test_tls_env.py
(as root).
"""

import pytest

import harness
import tls_craft
from tls_env import (BANNER, BANNER4, FAM, Intercept, tls,  # noqa: F401
                     tls_world)


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces")


@pytest.fixture
def direct(tls):
    """No interception: only the SYN counters (which must stay at 0: the
    router sends nothing itself)."""
    tls.intercept = Intercept(tls.topo, https=None)
    return tls


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_origin_by_name_direct(direct, family):
    f = FAM[family]
    t = direct
    for name in ("allowed.test", "blocked.test", "other.test"):
        r = t.curl(name, f["srv"], "/peer")
        assert r.rc == 0 and r.status == 200 and r.verify == 0, r
        assert r.body.decode() == f["cli"], r
        s = t.s_client(name, f["srv"])
        assert s.verify == 0 and s.leaf_sha256 == t.pki.fingerprint(name), s
    # Any other SNI gets allowed.test's certificate (the default server).
    s = t.s_client("alias.test", f["srv"])
    assert s.leaf_sha256 == t.pki.fingerprint("allowed.test"), s
    r = t.curl("allowed.test", f["srv"], "/big")
    assert r.rc == 0 and r.sha256 == t.nginx.big_sha256, r
    assert t.intercept.syn_counts()[f["srv"]] == 0
    lines = t.nginx.access_lines()
    assert any(ln.startswith(f["cli"] + " ") and " blocked.test " in ln
               for ln in lines), lines


def test_tls_versions_direct(direct):
    t = direct
    for v, opt in (("TLSv1.2", "-tls1_2"), ("TLSv1.3", "-tls1_3")):
        s = t.s_client("allowed.test", FAM[4]["srv"], [opt])
        assert s.protocol == v and s.verify == 0, s
    r = t.curl("allowed.test", FAM[4]["srv"], "/sni", ["--tls-max", "1.2"])
    assert r.body == b"allowed.test TLSv1.2", r


@pytest.mark.parametrize("frame,segments", [
    ("one", None), ("one", [1, 2, 3, 40, 60]), ("records", None),
    ("records", [3, 7, 100])], ids=["whole", "segments", "records",
                                    "records_segments"])
def test_hand_made_hello_handshakes_direct(direct, frame, segments):
    """OpenSSL (nginx) accepts the hello cut into segments and records:
    the handshake completes and the request is answered."""
    r = direct.tls_client({"mode": "handshake", "connect": [FAM[4]["srv"],
                                                            443],
                           "sni": "allowed.test", "frame": frame,
                           "segments": segments, "delay": 0.05})
    assert r["handshake"]["ok"], r
    assert r["handshake"]["cert_sha256"] == direct.pki.fingerprint(
        "allowed.test")
    assert r["response"]["status"] == 200, r
    assert r["response"]["body"] == FAM[4]["cli"], r
    sent = bytes.fromhex(r["sent"])
    recs, rest = tls_craft.records(sent)
    assert rest == b"" and len(recs) == (3 if frame == "records" else 1)
    assert tls_craft.handshake_payload(sent) == tls_craft.handshake_payload(
        bytes.fromhex(r["hello"]))


def test_raw_origin_records_and_echoes_direct(direct):
    t = direct
    hello = tls_craft.client_hello("raw.test")
    for family in (4, 6):
        r = t.tls_client({"mode": "raw", "connect": [FAM[family]["raw"], 443],
                          "data": hello.hex(), "segments": [5, 100],
                          "expect": len(hello), "shut": True})
        assert bytes.fromhex(r["received"]) == hello and r["end"] == "eof", r
    recs = t.raw.wait_records(2)
    assert [bytes.fromhex(x["received"]) for x in recs] == [hello, hello]
    assert sorted(x["peer"][0] for x in recs) == sorted(
        [FAM[4]["cli"], FAM[6]["cli"]])
    r = t.tls_client({"mode": "raw", "connect": [BANNER4, 443], "data": "",
                      "expect": len(BANNER), "shut": True})
    assert bytes.fromhex(r["received"]) == BANNER, r


def test_ech_outer_hello_answered_direct(direct):
    """The crafted ECH outer hello is well-formed: OpenSSL answers it
    with a ServerHello (it ignores the extension it does not know)."""
    hello = tls_craft.ech_hello("allowed.test")
    assert tls_craft.EXT_ECH in [t for t, _ in tls_craft.extensions(hello)]
    assert tls_craft.sni_of(hello) == "allowed.test"
    r = direct.tls_client({"mode": "raw", "connect": [FAM[4]["srv"], 443],
                           "data": hello.hex(), "expect_record": True,
                           "stop": True})
    got = bytes.fromhex(r["received"])
    assert tls_craft.server_hello_version(got) == "TLS/1.3", r
