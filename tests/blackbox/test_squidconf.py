# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_squidconf.py - real squid.conf files, unchanged, with traffic.

`make squidconf` checks that the corpus of real configurations in
../shared/corpora/squidconf (other people's files, used from there, never
copied) loads; this spot-checks that what a few of them configure works:
tproxyd runs each file as the corpus's materialize.sh writes it (only the
paths of the files it reads are moved), in the router namespace of the
client/router/server topology, with its own http_port 3128. What is
checked is the file's own policy, as Squid applies it:

- Debian 12's packaged squid.conf (with its conf.d include): localhost may
  use the proxy, the client network may not (Debian's default), CONNECT
  only to 443, no request to a port outside Safe_ports, the
  manager URL only from localhost;
- Squid 3.5's default squid.conf: localnet (RFC 1918 and friends) may use
  it, 198.18.0.0/15 is not in it, the same port rules.
- a cluster's squid.conf with Basic authentication (its program and
  password file replaced by Debian's basic_ncsa_auth and the test's
  file): 407 without or with wrong credentials, 200 and the user logged
  with the right ones.

Without the corpus the test fails and says where it looked.
"""

import os
import subprocess
from pathlib import Path

import pytest

import harness
from intercept_env import (SRV4, RTR_CLI4, ORIGIN_PORT,  # noqa: F401
                           daemons, env, net)

HERE = Path(__file__).resolve().parent
CORPUS = Path(os.environ.get(
    "SQUIDCONF_CORPUS",
    HERE.parent.parent.parent / "shared" / "corpora" / "squidconf"))
PORT = 3128


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("network namespaces")


def materialize(id, tmp_path):
    """The runnable copy of the corpus file id (materialize.sh)."""
    assert (CORPUS / "materialize.sh").exists(), (
        "the squid.conf corpus is not in %s (it lives in "
        "../shared/corpora/squidconf beside the checkout; SQUIDCONF_CORPUS="
        "DIR names another copy)" % CORPUS)
    p = subprocess.run(["bash", str(CORPUS / "materialize.sh"), str(CORPUS),
                        id, str(tmp_path / "corpus")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    path = Path(p.stdout.strip())
    harness.share_with_daemon_user(path.parent)
    return path


def access_entries(t, n):
    """The access.log entries of t, once there are at least n."""
    assert harness.poll(lambda: len(t.access_entries()) >= n, 5), \
        t.access_lines()
    return t.access_entries()


def run_file(daemons, tmp_path, id):
    """tproxyd on the corpus file id as it is: the file is included
    whole; the harness's lines before it only give the pid file and the
    logs a place in the test's directory."""
    conf = materialize(id, tmp_path)
    return daemons(["include %s" % conf], ports=(PORT,), name=id)


def via_proxy(env, ns, proxy, url, args=()):
    """The status curl in namespace ns gets through the proxy at proxy
    (host), asking for url (with -p: the answer to its CONNECT)."""
    code = "%{http_connect}" if "-p" in args else "%{http_code}"
    p = env.topo.run(ns, ["curl", "-sS", "-o", "/dev/null", "-w",
                          code, "--max-time", "10", "-x",
                          "http://%s:%d" % (proxy, PORT)] + list(args) +
                     [url], timeout=20)
    return p.stdout.strip()


def from_router(env, url, args=()):
    """From the router namespace, where tproxyd runs ("localhost")."""
    return via_proxy(env, env.topo.rtr, "127.0.0.1", url, args)


def from_client(env, url, args=()):
    """From the client namespace (198.18.1.2), to the router's
    client-side address."""
    return via_proxy(env, env.topo.cli, RTR_CLI4, url, args)


ORIGIN = "http://%s:%d/bytes/1" % (SRV4, ORIGIN_PORT)


def test_debian_squid_conf(env, daemons, tmp_path):
    t = run_file(daemons, tmp_path, "d01-debian-5.7-default")
    # localhost may use it; the origin sees the request.
    assert from_router(env, ORIGIN) == "200"
    # The client network is not localhost: Debian's default denies it.
    assert from_client(env, ORIGIN) == "403"
    # Safe_ports: 25 is not one of them.
    assert from_router(env, "http://%s:25/" % SRV4) == "403"
    # CONNECT only to SSL_ports (the predefined CONNECT acl).
    assert from_router(env, "http://%s:%d/" % (SRV4, ORIGIN_PORT),
                       ["-p"]) == "403"
    # The manager acl (Squid's built-in URL form): localhost only, and
    # tproxyd has no cache manager behind it.
    assert from_client(env, "http://%s:%d/squid-internal-mgr/info" % (
        SRV4, ORIGIN_PORT)) == "403"
    entries = access_entries(t, 5)
    codes = [(e["status"], e["method"]) for e in entries]
    assert (200, "GET") in codes and (403, "CONNECT") in codes, codes
    clients = {e["client"] for e in entries if e["status"] == 200}
    assert clients == {"127.0.0.1"}, entries


def test_squid35_default_conf(env, daemons, tmp_path):
    t = run_file(daemons, tmp_path, "d06-squid-3.5.27-default")
    # 198.18.1.2 is not in localnet (RFC 1918, link-local, ULA).
    assert from_client(env, ORIGIN) == "403"
    # localhost is allowed.
    assert from_router(env, ORIGIN) == "200"
    assert from_router(env, "http://%s:25/" % SRV4) == "403"
    entries = access_entries(t, 3)
    assert sorted(e["status"] for e in entries) == [200, 403, 403], entries


# A private mount namespace for tproxyd: an empty tmpfs over /var/cache,
# with the /var/cache/squid a corpus file's cache_dir names, owned by the
# daemon user; the host's /var/cache is never touched.
CACHE_NS = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            "mount -t tmpfs -o size=64m tmpfs /var/cache && "
            "mkdir /var/cache/squid && chown proxy:proxy /var/cache/squid "
            "&& exec \"$@\"", "sh"]


def test_sams2_cache_conf_uses_its_cache(env, daemons, tmp_path):
    """A real cache configuration (cache_dir ufs /var/cache/squid 100 16
    256, maximum_object_size 200 MB, refresh_pattern lines), unchanged:
    a second request for an object is answered from its disk store."""
    conf = materialize("g13-sams2", tmp_path)
    t = daemons(["include %s" % conf], ports=(PORT,), name="g13-sams2",
                wrap=CACHE_NS)
    url = "http://%s:%d/cacheable/2000000" % (SRV4, ORIGIN_PORT)
    for _ in range(2):
        assert from_router(env, url) == "200"
    entries = access_entries(t, 2)
    codes = [e["code"] for e in entries
             if e["url"].endswith("/cacheable/2000000")]
    assert codes == ["TCP_MISS", "TCP_HIT"], entries
    assert len([r for r in env.origin.records()
                if r["path"] == "/cacheable/2000000"]) == 1


def test_cluster_auth_conf_asks_for_credentials(env, daemons, tmp_path):
    """A real squid.conf with Basic authentication (g21: auth_param basic
    with basic_ncsa_auth, "http_access allow ncsa_users" first): only the
    program's path and its password file are replaced by Debian's
    /usr/lib/squid/basic_ncsa_auth and a file the test writes. A client
    outside localnet without credentials gets 407,
    with a wrong password 407 again, with the right one 200 and its name
    in access.log."""
    conf = materialize("g21-squid-cluster-auth", tmp_path)
    pw = conf.parent / "passwd"
    h = subprocess.run(["openssl", "passwd", "-apr1", "s3cret"],
                       capture_output=True, text=True, check=True)
    pw.write_text("alice:%s\n" % h.stdout.strip())
    os.chmod(pw, 0o644)
    text = conf.read_text()
    old = "/usr/lib64/squid/basic_ncsa_auth /etc/squid/passwd"
    assert old in text
    conf.write_text(text.replace(old, "/usr/lib/squid/basic_ncsa_auth %s"
                                 % pw))
    t = daemons(["include %s" % conf], ports=(PORT,),
                name="g21-squid-cluster-auth")
    assert from_client(env, ORIGIN) == "407"
    assert from_client(env, ORIGIN, ["-U", "alice:wrong"]) == "407"
    assert from_client(env, ORIGIN, ["-U", "ALICE:s3cret"]) == "200"
    entries = access_entries(t, 3)
    assert [(e["status"], e["user"]) for e in entries] == \
        [(407, "-"), (407, "-"), (200, "alice")], entries
