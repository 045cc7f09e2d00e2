# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_auth_intercept.py - proxy authentication on an intercepting (TPROXY)
port, in network namespaces (intercept_env.py): intercepted requests
cannot be authenticated (the client does not know there is a proxy, it
never sends Proxy-Authorization to it), so proxy_auth acls do not match
them, with Squid's cache.log warning; a rule "deny ... !auth" still
answers 407, as Squid does; the configuration load warns about it.

Run as root: /usr/bin/python3 -m pytest -q tests/blackbox/test_auth_intercept.py
"""

import base64
import os
import subprocess

import pytest

import harness
from intercept_env import (TPROXY_PORT, daemons, env,  # noqa: F401
                           install_tproxy, net, url, client_curl)
from origin import body_bytes

NCSA = "/usr/lib/squid/basic_ncsa_auth"


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces, nft TPROXY rules")


def test_proxy_auth_never_matches_intercepted_requests(env, daemons,
                                                       tmp_path):
    d = tmp_path / "auth"
    d.mkdir()
    harness.share_with_daemon_user(d)
    os.chmod(d, 0o755)
    h = subprocess.run(["openssl", "passwd", "-apr1", "secret1"],
                       capture_output=True, text=True, check=True)
    (d / "passwd").write_text("alice:%s\n" % h.stdout.strip())
    os.chmod(d / "passwd", 0o644)
    install_tproxy(env.topo, "nft")
    t = daemons(["http_port %d tproxy" % TPROXY_PORT,
                 "auth_param basic program %s %s" % (NCSA, d / "passwd"),
                 "acl auth proxy_auth REQUIRED",
                 "acl need urlpath_regex ^/need",
                 "http_access deny need !auth",
                 "http_access allow auth",
                 "http_access allow all"])
    log = t.cache_log.read_text(errors="replace")
    assert "intercepted requests cannot be authenticated" in log, log
    # Even with credentials (sent as if to a proxy), "allow auth" does not
    # match: "allow all" lets it through, with no user logged.
    cred = "Proxy-Authorization: Basic " + \
        base64.b64encode(b"alice:secret1").decode()
    r = client_curl(env.topo, url(4, "/bytes/9"), args=["-H", cred])
    assert r.rc == 0 and r.status == 200 and r.body == body_bytes(9), r
    e = t.wait_access(lambda e: e["url"] == url(4, "/bytes/9"))
    assert e["user"] == "-", e
    # Squid's rule: denied by a rule that ends with a proxy_auth acl: 407.
    r = client_curl(env.topo, url(4, "/need"), args=["-H", cred])
    assert r.rc == 0 and r.status == 407, r
    assert not [x for x in env.origin.records() if x["path"] == "/need"]
    log = t.cache_log.read_text(errors="replace")
    assert "WARNING: Authentication not applicable on intercepted " \
        "requests" in log, log
