# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_auth_bump.py - proxy authentication with a decrypted CONNECT (a
forward http_port with ssl-bump, on the world of tls_env.py, as in
test_tls_bump_connect.py): the CONNECT logs in with Basic credentials
checked by Debian's basic_ncsa_auth; the requests decrypted inside it
are that user's (Squid uses the connection's login for them: they
cannot log in themselves); a CONNECT without credentials gets 407; a
decrypted request denied by a rule that ends with a proxy_auth acl gets
403, not 407 (Squid: "SSL Bumped request, authentication is not
possible"), while a CONNECT denied that way gets a plain 407, not bumped
(Squid: "no SslBump during proxy authentication").

Run as root: /usr/bin/python3 -m pytest -q tests/blackbox/test_auth_bump.py
"""

import os
import subprocess

import pytest

import harness
from test_tls_bump_connect import (bump_ca, conf, curl, entries,  # noqa
                                   fwdd)
from tls_env import tls, tls_world  # noqa: F401

NCSA = "/usr/lib/squid/basic_ncsa_auth"


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces")


def passwd_file(d):
    d.mkdir()
    harness.share_with_daemon_user(d)
    os.chmod(d, 0o755)
    lines = []
    for user, pw in (("alice", "secret1"), ("bob", "pw2")):
        h = subprocess.run(["openssl", "passwd", "-apr1", pw],
                           capture_output=True, text=True, check=True)
        lines.append("%s:%s" % (user, h.stdout.strip()))
    (d / "passwd").write_text("\n".join(lines) + "\n")
    os.chmod(d / "passwd", 0o644)
    return d / "passwd"


def test_bumped_requests_are_the_connects_user(tls, fwdd, bump_ca,
                                               tmp_path):
    pw = passwd_file(tmp_path / "auth")
    d = fwdd(conf(tls, bump_ca, rules=[
        "ssl_bump bump all",
        "auth_param basic program %s %s" % (NCSA, pw),
        "auth_param basic realm bumped",
        "acl auth proxy_auth REQUIRED",
        "acl alice proxy_auth alice",
        "acl secret urlpath_regex ^/secret",
        "acl other dstdomain other.test",
        "http_access deny CONNECT other !alice",
        "http_access deny secret !alice",
        "http_access allow auth",
        "http_access deny all"]))
    p, [(verify, status, body)] = curl(
        tls, bump_ca, ["https://allowed.test/peer"],
        args=["--proxy-user", "alice:secret1"])
    assert p.returncode == 0 and verify == 0 and status == 200, p.stderr
    harness.poll(lambda: entries(d, "GET"), 5, 0.05)
    gets = entries(d, "GET")
    assert [(e["url"], e["user"]) for e in gets] == \
        [("https://allowed.test/peer", "alice")], [e["raw"] for e in gets]
    assert [e["user"] for e in entries(d, "CONNECT")] == ["alice"]
    # bob logs in, but /secret inside the tunnel is alice's: 403 (no
    # challenge can be answered from inside a decrypted connection).
    p, res = curl(tls, bump_ca, ["https://allowed.test/peer",
                                 "https://allowed.test/secret"],
                  args=["--proxy-user", "bob:pw2"])
    assert [r[1] for r in res] == [200, 403], (res, p.stderr)
    # A CONNECT denied by a rule that ends with a proxy_auth acl: a plain
    # 407 to the CONNECT, not bumped (Squid: no SslBump during proxy
    # authentication), so that the client can log in as someone else.
    p, [(verify, status, body)] = curl(
        tls, bump_ca, ["https://other.test/peer"],
        args=["--proxy-user", "bob:pw2"])
    assert p.returncode != 0 and "407" in p.stderr, (p.stderr, status)
    # No credentials, or a wrong password: the CONNECT gets 407.
    for args in ([], ["--proxy-user", "alice:wrong"]):
        p, [(verify, status, body)] = curl(
            tls, bump_ca, ["https://allowed.test/peer"], args=args)
        assert p.returncode != 0 and "407" in p.stderr, p.stderr
    harness.poll(lambda: len([e for e in entries(d, "CONNECT")
                              if e["status"] == 407]) == 3, 5, 0.05)
