# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_helpers_intercept.py - url_rewrite_program on an intercepting
(TPROXY) port, in network namespaces (intercept_env.py): a rewritten
request goes where its new URL names, not to the address the client
connected to, as in Squid (a rewritten request is no longer treated as
intercepted: PeerSelector::resolveSelected()); a request the rewriter
leaves alone still goes to the original destination.

Run as root: /usr/bin/python3 -m pytest -q tests/blackbox/test_helpers_intercept.py
"""

import os

import pytest

import harness
from intercept_env import (SRV4, SRV6, TPROXY_PORT, daemons, env,  # noqa: F401
                           install_tproxy, net, url, client_curl)
from origin import body_bytes
from test_helpers_rewrite import HELPER


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces, nft TPROXY rules")


def test_rewritten_intercepted_request_goes_to_the_new_url(env, daemons,
                                                           tmp_path):
    d = tmp_path / "helper"
    d.mkdir()
    harness.share_with_daemon_user(d)
    os.chmod(d, 0o777)
    (d / "helper.py").write_text(HELPER)
    os.chmod(d / "helper.py", 0o755)
    (d / "log").touch()
    os.chmod(d / "log", 0o666)
    install_tproxy(env.topo, "nft")
    # The client connects to the server's IPv4 address; the rewriter
    # sends the request to its IPv6 address.
    t = daemons(["http_port %d tproxy" % TPROXY_PORT,
                 "http_access allow all",
                 "url_rewrite_program %s --log %s --target http://[%s]" %
                 (d / "helper.py", d / "log", SRV6)])
    r = client_curl(env.topo, url(4, "/rw/bytes/9"))
    assert r.rc == 0 and r.status == 200 and r.body == body_bytes(9), r
    recs = [x for x in env.origin.records() if x["path"] == "/bytes/9"]
    assert recs and recs[-1]["local"][0] == SRV6, recs
    assert not [x for x in env.origin.records()
                if x["path"] == "/rw/bytes/9"]
    # access.log: the URL the client asked for.
    t.wait_access(lambda e: e["url"] == url(4, "/rw/bytes/9"))
    # Not rewritten (ERR): the original destination, as always.
    r = client_curl(env.topo, url(4, "/bytes/3"))
    assert r.rc == 0 and r.status == 200 and r.body == body_bytes(3), r
    recs = [x for x in env.origin.records() if x["path"] == "/bytes/3"]
    assert recs and recs[-1]["local"][0] == SRV4, recs
