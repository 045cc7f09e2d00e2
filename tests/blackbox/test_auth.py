# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_auth.py - proxy authentication (issue 17): auth_param basic with
Debian's real, unmodified /usr/lib/squid/basic_ncsa_auth on an htpasswd
file the test writes (openssl passwd -apr1), proxy_auth and
proxy_auth_regex acls, 407 challenges with the realm, %un in access.log,
the credentials cache (credentialsttl; refused logins are not cached),
helpers that crash or answer BH, a slow helper that blocks nobody, the
Proxy-Authorization field never reaching the origin, keep_alive, and
auth_param digest with Debian's digest_file_auth and curl --proxy-digest.

The intercepted-port case (proxy_auth never matches there, as in Squid)
is in test_auth_intercept.py, a bumped CONNECT's login in
test_auth_bump.py (both need root and namespaces).
"""

import base64
import json
import os
import subprocess
import time

import pytest

import harness
from harness import scrape_metrics, free_port

NCSA = "/usr/lib/squid/basic_ncsa_auth"
REALM = "tproxyd test realm"

USERS = {"alice": "secret1", "bob": "pw two", "carol": "c%3A:x"}


@pytest.fixture(scope="module", autouse=True)
def _ncsa():
    if not os.access(NCSA, os.X_OK):
        pytest.fail("%s is missing: install Debian's squid-openssl (or "
                    "squid) package (scripts/deps.sh test)" % NCSA)


@pytest.fixture
def hdir(tmp_path):
    """A directory the helpers (run as the proxy user) can read and write:
    the htpasswd file, wrapper scripts, their logs."""
    d = tmp_path / "auth"
    d.mkdir()
    harness.share_with_daemon_user(d)
    os.chmod(d, 0o777)
    lines = []
    for user, pw in USERS.items():
        h = subprocess.run(["openssl", "passwd", "-apr1", pw],
                           capture_output=True, text=True, check=True)
        lines.append("%s:%s" % (user, h.stdout.strip()))
    (d / "passwd").write_text("\n".join(lines) + "\n")
    os.chmod(d / "passwd", 0o644)
    (d / "log").touch()
    os.chmod(d / "log", 0o666)
    return d


def counting_wrapper(hdir):
    """basic_ncsa_auth behind a tee that appends every request line to
    hdir/log (the helper itself is unchanged)."""
    w = hdir / "counting.sh"
    w.write_text("#!/bin/sh\ntee -a %s | exec %s %s\n" % (
        hdir / "log", NCSA, hdir / "passwd"))
    os.chmod(w, 0o755)
    return w


def seen(hdir):
    return [ln for ln in (hdir / "log").read_text().splitlines() if ln]


def auth_conf(hdir, program=None, extra=()):
    return ["auth_param basic program %s" % (
                program or "%s %s" % (NCSA, hdir / "passwd")),
            "auth_param basic children 3 startup=1",
            "auth_param basic realm %s" % REALM] + list(extra)


def get(p, url, user=None, args=(), max_time=10):
    a = list(args)
    if user is not None:
        a += ["-U", user]
    return harness.curl(p.port, url, args=a, max_time=max_time)


def basic(raw):
    return "Proxy-Authorization: Basic " + \
        base64.b64encode(raw.encode("latin-1")).decode()


# curl -U would %-decode carol's password: her field is written here.
CAROL = ["-H", "Proxy-Authorization: Basic " +
         base64.b64encode(b"carol:c%3A:x").decode()]


def assert_challenge(r):
    assert r.status == 407, r
    assert r.header("Proxy-Authenticate") == 'Basic realm="%s"' % REALM, \
        r.headers
    assert r.header("X-Squid-Error").startswith("ERR_CACHE_ACCESS_DENIED")


def test_ncsa_login_407_and_user_logged(tproxyd, origin, hdir):
    """The real basic_ncsa_auth: good credentials -> 200 and the user in
    access.log; a wrong password, none, broken ones -> 407 with the
    realm; the user name is lowercased (casesensitive off); the origin
    never sees Proxy-Authorization."""
    p = tproxyd(auth_conf(hdir) + ["acl auth proxy_auth REQUIRED",
                                   "http_access allow auth",
                                   "http_access deny all"])
    r = get(p, origin.url("/headers"), "alice:secret1")
    assert r.status == 200, r
    hdrs = [n.lower() for n, _ in json.loads(r.body)["headers"]]
    assert "proxy-authorization" not in hdrs, hdrs
    e = p.wait_access_url(origin.url("/headers"))
    assert e["user"] == "alice" and e["status"] == 200, e

    # A password with a space and one with '%' and ':' reach the helper
    # %-escaped (rfc1738) and are accepted.
    r = get(p, origin.url("/bytes/3"), "bob:pw two")
    assert r.status == 200, r
    r = get(p, origin.url("/bytes/4"), args=CAROL)
    assert r.status == 200, r
    e = p.wait_access_url(origin.url("/bytes/4"))
    assert e["user"] == "carol", e

    # casesensitive off (the default): ALICE is alice.
    r = get(p, origin.url("/bytes/5"), "ALICE:secret1")
    assert r.status == 200, r
    assert p.wait_access_url(origin.url("/bytes/5"))["user"] == "alice"

    # Wrong password, no credentials: 407 and the challenge.
    assert_challenge(get(p, origin.url("/wrong"), "alice:nope"))
    assert_challenge(get(p, origin.url("/none")))
    e = p.wait_access_url(origin.url("/none"))
    assert e["code"] == "TCP_DENIED" and e["status"] == 407
    assert e["user"] == "-", e
    assert p.wait_access_url(origin.url("/wrong"))["user"] == "-"

    # Broken credentials: never a crash, 407 again.
    for h in ["Proxy-Authorization: Basic !!!notbase64",
              "Proxy-Authorization: Basic YWxpY2U",       # unpadded
              basic("alice"),                              # no colon
              basic("alice:"),                             # empty password
              basic("alice:secret1\r\nX: y"),              # CR LF
              "Proxy-Authorization: Basic",
              "Proxy-Authorization: Digest username=\"alice\"",
              "Proxy-Authorization: Basic " + "A" * 9000]:
        r = get(p, origin.url("/broken"), args=["-H", h])
        assert_challenge(r)
    # Still serving.
    assert get(p, origin.url("/bytes/6"), "alice:secret1").status == 200
    assert not [x for x in origin.records()
                if x["path"] in ("/wrong", "/none", "/broken")]


def test_user_lists_and_deny_rules(tproxyd, origin, hdir):
    """proxy_auth with a user list and proxy_auth_regex -i; a request
    denied by a rule whose last acl is proxy_auth gets 407 (log in as
    someone else), one denied by another acl 403 (Squid's rule)."""
    p = tproxyd(auth_conf(hdir) + [
        "acl alice_only proxy_auth alice",
        "acl b_users proxy_auth_regex -i ^B",
        "acl special urlpath_regex ^/special",
        "acl open urlpath_regex ^/open",
        "http_access allow open",
        "http_access deny special !alice_only",
        "http_access allow alice_only",
        "http_access allow b_users !special",
        "http_access deny all"])
    # No credentials needed where no proxy_auth acl is reached.
    assert get(p, origin.url("/open")).status == 200
    assert get(p, origin.url("/bytes/1"), "alice:secret1").status == 200
    assert get(p, origin.url("/special/x"), "alice:secret1").status == 200
    # bob matches the regex (-i): allowed, but not /special: that rule
    # ends with a proxy_auth acl: 407.
    assert get(p, origin.url("/bytes/2"), "bob:pw two").status == 200
    assert_challenge(get(p, origin.url("/special/y"), "bob:pw two"))
    # carol is a valid user in no list: "deny all" decides: 403.
    r = get(p, origin.url("/bytes/3"), args=CAROL)
    assert r.status == 403 and r.header("Proxy-Authenticate") is None, r
    e = p.wait_access_url(origin.url("/bytes/3"))
    assert e["user"] == "carol" and e["status"] == 403, e


def test_implicit_deny_after_proxy_auth_challenges(tproxyd, origin, hdir):
    """http_access allow NAMES as the last line: a valid user not in the
    list is denied by the implicit rule, whose last checked acl is
    proxy_auth: 407."""
    p = tproxyd(auth_conf(hdir) + ["acl alice_only proxy_auth alice",
                                   "http_access allow alice_only"])
    assert get(p, origin.url("/bytes/1"), "alice:secret1").status == 200
    assert_challenge(get(p, origin.url("/bytes/2"), "bob:pw two"))


@pytest.mark.parametrize("ttl", [60, 1])
def test_credentialsttl_cache(tproxyd, origin, hdir, ttl):
    """Accepted credentials are not sent to the helper again within
    credentialsttl; after it they are; refused ones always are."""
    p = tproxyd(auth_conf(hdir, counting_wrapper(hdir), [
        "auth_param basic credentialsttl %d seconds" % ttl,
        "acl auth proxy_auth REQUIRED", "http_access allow auth",
        "http_access deny all"]))
    assert get(p, origin.url("/bytes/1"), "alice:secret1").status == 200
    assert seen(hdir) == ["alice secret1"]
    if ttl == 1:
        time.sleep(1.5)
    assert get(p, origin.url("/bytes/2"), "alice:secret1").status == 200
    assert len(seen(hdir)) == (1 if ttl == 60 else 2), seen(hdir)
    # Another password for the same user is checked, and refused twice.
    n = len(seen(hdir))
    assert_challenge(get(p, origin.url("/x"), "alice:bad"))
    assert_challenge(get(p, origin.url("/x"), "alice:bad"))
    assert seen(hdir)[n:] == ["alice bad", "alice bad"]
    # The escaping the helper sees (rfc1738: space, '%').
    get(p, origin.url("/bytes/3"), "bob:pw two")
    get(p, origin.url("/bytes/4"), args=CAROL)
    assert seen(hdir)[-2:] == ["bob pw%20two", "carol c%253A:x"]


CRASHER = r'''#!/usr/bin/python3 -u
import sys
for line in sys.stdin:
    with open(sys.argv[1], "a") as f:
        f.write(line)
    user = line.split(" ")[0]
    if user == "crash":
        sys.exit(1)
    if user == "broken":
        print('BH message="backend down"')
    elif user == "good":
        print("OK")
    else:
        print("ERR")
'''


def test_helper_crash_and_bh(tproxyd, origin, hdir):
    """A helper that dies on a request or answers BH: the request gets a
    407 (no hang, no crash), cache.log says why, the helper is restarted
    and the next logins work."""
    h = hdir / "crasher.py"
    h.write_text(CRASHER)
    os.chmod(h, 0o755)
    stats = free_port()
    p = tproxyd(auth_conf(hdir, "%s %s" % (h, hdir / "log")) + [
        "stats_port 127.0.0.1:%d" % stats,
        "acl auth proxy_auth REQUIRED", "http_access allow auth",
        "http_access deny all"])
    assert get(p, origin.url("/bytes/1"), "good:pw").status == 200
    t0 = time.monotonic()
    assert_challenge(get(p, origin.url("/bytes/2"), "crash:pw"))
    assert time.monotonic() - t0 < 8
    assert_challenge(get(p, origin.url("/bytes/3"), "broken:pw"))
    assert get(p, origin.url("/bytes/4"), "good:pw2").status == 200
    log = p.cache_log.read_text(errors="replace")
    assert "auth_param basic program: BH backend down" in log, log
    assert "for user 'crash'" in log, log
    m = scrape_metrics(stats)
    k = 'tproxyd_helper_requests_total{helper="auth_basic"}'
    assert m.get(k, 0) >= 4, m


def test_config_errors(tproxyd_conf):
    """proxy_auth without an auth_param program, and the schemes tproxyd
    does not have, are refused at load with the line and a reason."""
    t = tproxyd_conf(["acl auth proxy_auth REQUIRED",
                      "http_access allow auth"])
    r = t.run_k("parse")
    assert r.returncode != 0
    assert "proxy authentication needs 'auth_param basic program'" in \
        r.stderr, r.stderr
    for scheme in ("negotiate", "ntlm"):
        t = tproxyd_conf(["auth_param %s program /bin/true" % scheme],
                         name="t_" + scheme)
        r = t.run_k("parse")
        assert r.returncode != 0
        assert "auth_param %s is not supported by tproxyd" % scheme in \
            r.stderr, r.stderr


@pytest.mark.parametrize("keep", ["on", "off"])
def test_keep_alive(tproxyd, origin, hdir, keep):
    """auth_param basic keep_alive: the 407 keeps the connection (on, the
    default) or closes it (off); a keep-alive client then logs in on the
    same connection."""
    p = tproxyd(auth_conf(hdir, extra=["auth_param basic keep_alive %s" %
                                       keep,
                                       "acl auth proxy_auth REQUIRED",
                                       "http_access allow auth",
                                       "http_access deny all"]))
    r = get(p, origin.url("/bytes/1"))
    assert_challenge(r)
    assert r.header("Connection") == ("keep-alive" if keep == "on" else
                                      "close"), r.headers
    # curl --proxy-anyauth: first without credentials, then with them
    # after the 407 (on the same connection when it was kept).
    r = get(p, origin.url("/bytes/2"), "alice:secret1",
            args=["--proxy-anyauth", "-v"])
    assert r.status == 200, r
    reused = "Re-using existing connection" in r.stderr or \
        "Reusing existing" in r.stderr
    assert reused == (keep == "on"), r.stderr[-2000:]


DIGEST = "/usr/lib/squid/digest_file_auth"


def test_digest_with_digest_file_auth(tproxyd, origin, hdir):
    """auth_param digest with Debian's digest_file_auth (a plain-text
    password file): both schemes offered in the order configured; curl
    --proxy-digest logs in (200, user logged), a wrong password gets 407;
    the user's HA1 is kept (the helper is asked once for two logins); a
    replayed Proxy-Authorization (same nonce and count) is refused as
    stale, the client asked again without its user."""
    (hdir / "dpasswd").write_text("alice:secret1\nbob:pw2\n")
    os.chmod(hdir / "dpasswd", 0o644)
    w = hdir / "dcount.sh"
    w.write_text("#!/bin/sh\ntee -a %s | exec %s %s\n" % (
        hdir / "log", DIGEST, hdir / "dpasswd"))
    os.chmod(w, 0o755)
    p = tproxyd([
        "auth_param digest program %s" % w,
        "auth_param digest realm digest realm",
        "auth_param basic program %s %s" % (NCSA, hdir / "passwd"),
        "auth_param basic realm %s" % REALM,
        "acl auth proxy_auth REQUIRED",
        "http_access allow auth",
        "http_access deny all"])
    r = get(p, origin.url("/bytes/1"))
    assert r.status == 407, r
    ch = [v for n, v in r.headers if n.lower() == "proxy-authenticate"]
    assert len(ch) == 2 and ch[0].startswith('Digest realm="digest realm"'
                                             ', nonce="'), ch
    assert 'qop="auth", stale=false' in ch[0] and \
        ch[1] == 'Basic realm="%s"' % REALM, ch
    r = get(p, origin.url("/bytes/2"), "alice:secret1",
            args=["--proxy-digest", "-v"])
    assert r.status == 200, r
    sent = [ln[2:] for ln in r.stderr.splitlines()
            if ln.startswith("> Proxy-Authorization: Digest")]
    assert sent, r.stderr[-3000:]
    e = p.wait_access(lambda e: e["url"] == origin.url("/bytes/2") and
                      e["status"] == 200)
    assert e["user"] == "alice", e
    assert get(p, origin.url("/bytes/3"), "alice:secret1",
               args=["--proxy-digest"]).status == 200
    assert seen(hdir) == ['"alice":"digest realm"'], seen(hdir)
    r = get(p, origin.url("/bytes/4"), "alice:wrong",
            args=["--proxy-digest"])
    assert r.status == 407, r
    assert get(p, origin.url("/bytes/5"), "nobody:x",
               args=["--proxy-digest"]).status == 407
    assert seen(hdir)[-1] == '"nobody":"digest realm"', seen(hdir)
    # The header of /bytes/2 again: its nonce count was used.
    r = get(p, origin.url("/bytes/2"), args=["-H", sent[-1]])
    assert r.status == 407, r
    ch = [v for n, v in r.headers if n.lower() == "proxy-authenticate"]
    assert "stale=true" in ch[0], ch
    # Basic still works beside it.
    assert get(p, origin.url("/bytes/6"), "bob:pw two").status == 200


SLOW = r'''#!/usr/bin/python3 -u
import sys, time
for line in sys.stdin:
    with open(sys.argv[1], "a") as f:
        f.write(line)
    user = line.split(" ")[0]
    if user == "slow":
        time.sleep(2)
    print("OK" if user in ("slow", "fast") else "ERR")
'''


def test_waiting_for_the_helper_blocks_nobody(tproxyd, origin, hdir):
    """A login the helper takes 2 s to answer waits alone: requests that
    need no login, and other logins, are answered meanwhile; requests
    with the same credentials at the same time wait for one answer (the
    helper is asked once, as Squid queues them); a client that leaves
    while its login is checked is forgotten (the late answer is dropped)
    and the daemon goes on."""
    h = hdir / "slow.py"
    h.write_text(SLOW)
    os.chmod(h, 0o755)
    p = tproxyd(auth_conf(hdir, "%s %s" % (h, hdir / "log")) + [
        "auth_param basic children 3 startup=3",
        "acl open urlpath_regex ^/open",
        "acl auth proxy_auth REQUIRED",
        "http_access allow open",
        "http_access allow auth",
        "http_access deny all"])
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy")}
    slow = [subprocess.Popen(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
         "--max-time", "10", "-x", "http://127.0.0.1:%d" % p.port,
         "-U", "slow:pw", origin.url("/bytes/%d" % (10 + i))],
        stdout=subprocess.PIPE, text=True, env=env) for i in range(4)]
    time.sleep(0.3)
    t0 = time.monotonic()
    assert get(p, origin.url("/open/x")).status == 200
    assert get(p, origin.url("/bytes/2"), "fast:pw").status == 200
    assert time.monotonic() - t0 < 1.5
    outs = [c.communicate(timeout=15)[0] for c in slow]
    assert outs == ["200"] * 4, outs
    assert seen(hdir).count("slow pw") == 1, seen(hdir)
    # A client that gives up while its login is being checked (another
    # password: not in the credentials cache).
    r = get(p, origin.url("/bytes/3"), "slow:pw2", max_time=1)
    assert r.rc == 28, r        # curl: timeout
    time.sleep(2.5)
    assert get(p, origin.url("/bytes/4"), "fast:pw").status == 200
    # Its lookup was dropped with it: the same login asks again.
    r = get(p, origin.url("/bytes/5"), "slow:pw2")
    assert r.status == 200, r
    assert seen(hdir).count("slow pw2") == 2, seen(hdir)


LOGGER = r'''#!/usr/bin/python3 -u
import sys
for line in sys.stdin:
    with open(sys.argv[1], "a") as f:
        f.write(line)
    print("ERR")
'''


def test_rewriter_sees_the_user(tproxyd, origin, hdir):
    """url_rewrite_program's default extras carry %un: the user who
    logged in (the rewriter runs after http_access)."""
    h = hdir / "logger.py"
    h.write_text(LOGGER)
    os.chmod(h, 0o755)
    rw = hdir / "rw.log"
    rw.touch()
    os.chmod(rw, 0o666)
    p = tproxyd(auth_conf(hdir) + [
        "url_rewrite_program %s %s" % (h, rw),
        "acl auth proxy_auth REQUIRED",
        "http_access allow auth",
        "http_access deny all"])
    assert get(p, origin.url("/bytes/1"), "alice:secret1").status == 200
    words = rw.read_text().split()
    assert words[:3] == [origin.url("/bytes/1"), words[1], "alice"], words


def test_reconfigure(tproxyd, origin, hdir):
    """-k reconfigure: the old basic_ncsa_auth children stop, the new
    realm and program apply; a configuration without proxy_auth asks for
    nothing."""
    p = tproxyd(auth_conf(hdir) + ["acl auth proxy_auth REQUIRED",
                                   "http_access allow auth",
                                   "http_access deny all"])
    assert get(p, origin.url("/bytes/1"), "alice:secret1").status == 200

    def ncsa_pids():
        out = subprocess.run(["pgrep", "-f", str(hdir / "passwd")],
                             capture_output=True, text=True).stdout
        return {int(x) for x in out.split()}
    old = ncsa_pids()
    assert old
    lines = auth_conf(hdir, counting_wrapper(hdir)) + [
        "auth_param basic realm new realm",
        "acl auth proxy_auth REQUIRED", "http_access allow auth",
        "http_access deny all"]
    p.write_config(lines)
    assert p.run_k("reconfigure").returncode == 0
    assert harness.poll(lambda: not (old & ncsa_pids()), 10), old
    r = get(p, origin.url("/bytes/2"))
    assert r.status == 407 and \
        r.header("Proxy-Authenticate") == 'Basic realm="new realm"', r
    # The credentials cache outlives the reload (Squid's user cache too);
    # a new password goes to the new program.
    assert get(p, origin.url("/bytes/3"), "bob:pw two").status == 200
    assert seen(hdir) == ["bob pw%20two"], seen(hdir)
    p.write_config([])
    assert p.run_k("reconfigure").returncode == 0
    assert harness.poll(
        lambda: get(p, origin.url("/bytes/4")).status == 200, 5)
