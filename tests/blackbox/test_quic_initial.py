# SPDX-License-Identifier: GPL-2.0-or-later
"""The QUIC Initial reader (src/quic/) on a real client's first flight.

Debian's ngtcp2 client (gtlsclient, package ngtcp2-client) connects to a
UDP socket on 127.0.0.1 that never answers; scripts/quic-capture.py
records the datagrams it sends (its Initial and retransmissions), and
build/tests/quic_tool (tests/tools/quic_tool.c) feeds them to the reader,
which must find the name the client was told to reach: a fresh name each
run, so that nothing recorded earlier can pass for it. Run as root (the
client resolves that name in a mount namespace of its own). The recorded
flights of tests/data/quic/ are checked by tests/unit/test_quic_rfc.c
and test_quic_packets.c.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import uuid

import pytest

import harness

TOOL = harness.BUILD / "tests" / "quic_tool"

_spec = importlib.util.spec_from_file_location(
    "quic_capture", harness.REPO / "scripts" / "quic-capture.py")
qc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qc)


@pytest.fixture(scope="module")
def tool():
    if not TOOL.exists():
        pytest.fail("%s missing: `make %s` builds it" % (TOOL, TOOL))
    if shutil.which(qc.CLIENT) is None:
        pytest.fail("%s missing: scripts/deps.sh test installs "
                    "ngtcp2-client" % qc.CLIENT)
    if os.geteuid() != 0:
        pytest.fail("run as root: the client resolves its name in a mount "
                    "namespace of its own")


def read(tmp_path, dgrams):
    f = tmp_path / "flow.dgrams"
    f.write_bytes(qc.dgrams_bytes(dgrams))
    p = subprocess.run([str(TOOL), str(f)], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode == 0, p.stdout + p.stderr
    m = dict(re.findall(r"(\w+)=(\S+)", p.stdout.split(" ", 1)[1]))
    return m, p.stdout


# name suffix, extra client arguments, Initials the hello takes
CASES = [
    ("one", [], 1),
    # An FFDHE-8192 key share beside X25519: a ClientHello too big for
    # one Initial (as Chromium's with ML-KEM), in two packets.
    ("split", ["--groups=-GROUP-ALL:+GROUP-FFDHE8192:+GROUP-X25519"], 2),
]


@pytest.mark.parametrize("suffix,extra,initials", CASES,
                         ids=[c[0] for c in CASES])
def test_real_client_sni(tool, tmp_path, suffix, extra, initials):
    name = "q%s-%s.example.net" % (uuid.uuid4().hex[:8], suffix)
    dgrams, args = qc.capture(name, extra)
    assert dgrams, "%s sent nothing: %s" % (qc.CLIENT, " ".join(args))
    m, out = read(tmp_path, dgrams)
    assert m["rc"] == "done", out
    assert m["version"] == "0x00000001", out
    assert m["sni"] == name, out
    assert m["alpn"] == "h3", out
    assert m["initials"] == str(initials), out
    assert m["dgrams"] == str(initials), out


def test_real_client_other_version(tool, tmp_path):
    """The QUIC v2 draft's version number: left alone, not malformed."""
    dgrams, args = qc.capture("www.example.com", ["-v", "v2draft"])
    assert dgrams, "%s sent nothing: %s" % (qc.CLIENT, " ".join(args))
    m, out = read(tmp_path, dgrams)
    assert m["rc"] == "not-quic", out
    assert m["version"] == "0x709a50c4", out


def test_real_client_damaged(tool, tmp_path):
    """One byte changed anywhere in the client's Initial: never a name."""
    dgrams, _ = qc.capture("damaged.example.net", [])
    assert dgrams
    d = bytearray(dgrams[0])
    for i in range(0, len(d), 97):
        e = bytearray(d)
        e[i] ^= 0x10
        m, out = read(tmp_path, [bytes(e)])
        assert m["rc"] in ("malformed", "not-quic"), (i, out)
        assert m["sni"] == "-", out
