# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_external_acl.py - external acls (issue 17): external_acl_type and
"acl NAME external TYPE [ARG...]" with a helper script written by the test
(concurrency 0 and N) and Debian's real, unmodified Squid session helper
/usr/lib/squid/ext_session_acl as a captive portal on an intercepting
(TPROXY) port in network namespaces.

The helper script reads "[ID] SRC WHO DATA..." (FORMAT %SRC %>{X-Who},
the acl's arguments last), logs every line it reads, and answers by WHO:
    alice    OK user=alice tag=t-alice log=L-alice
    bob      ERR message="bob is not welcome"
    bh       BH message="broken on purpose"
    hang     nothing at all
    crash    exits without answering
    other    ERR
With --crash-after N it exits after N answers.

The tests that need namespaces run as root (the suite's other
interception tests too).
"""

import os
import subprocess
import time

import pytest

import harness
from harness import free_port, scrape_metrics
from intercept_env import (TPROXY_PORT, client_curl, daemons, env,  # noqa
                           install_tproxy, net, url)
from origin import body_bytes

HELPER = r'''#!/usr/bin/python3 -u
import sys
args = sys.argv[1:]
conc = "--conc" in args
log = args[args.index("--log") + 1]
crash = int(args[args.index("--crash-after") + 1]) \
    if "--crash-after" in args else 0
answered = 0
for line in sys.stdin:
    line = line.rstrip("\n")
    with open(log, "a") as f:
        f.write(line + "\n")
    words = line.split(" ")
    cid = ""
    if conc:
        cid = words[0] + " "
        words = words[1:]
    who = words[1] if len(words) > 1 else "-"
    if who == "hang":
        continue
    if who == "crash":
        sys.exit(5)
    if who == "alice":
        out = "OK user=alice tag=t-alice log=L-alice"
    elif who == "bob":
        out = 'ERR message="bob is not welcome"'
    elif who == "bh":
        out = 'BH message="broken on purpose"'
    else:
        out = "ERR"
    sys.stdout.write(cid + out + "\n")
    sys.stdout.flush()
    answered += 1
    if crash and answered >= crash:
        sys.exit(3)
'''


@pytest.fixture
def hdir(tmp_path):
    """A directory the helper (run as the proxy user) can write to, with
    the helper script in it."""
    d = tmp_path / "helper"
    d.mkdir()
    harness.share_with_daemon_user(d)
    os.chmod(d, 0o777)
    s = d / "helper.py"
    s.write_text(HELPER)
    os.chmod(s, 0o755)
    (d / "log").touch()
    os.chmod(d / "log", 0o666)
    return d


def ext_type(hdir, opts="", fmt="%SRC %>{X-Who}", extra=""):
    return "external_acl_type who %s %s %s --log %s %s" % (
        opts, fmt, hdir / "helper.py", hdir / "log", extra)


def seen(hdir):
    return [ln for ln in (hdir / "log").read_text().splitlines() if ln]


def get(p, path_or_url, who=None, origin=None, max_time=10, args=()):
    url = origin.url(path_or_url) if origin is not None else path_or_url
    a = list(args)
    if who is not None:
        a += ["-H", "X-Who: %s" % who]
    return harness.curl(p.port, url, args=a, max_time=max_time)


def cache_log(p):
    return p.cache_log.read_text(errors="replace")


BASE_RULES = ["acl who_ok external who",
              "acl tpx_local src 127.0.0.0/8 ::1",
              "http_access allow tpx_local who_ok",
              "http_access deny all"]


@pytest.mark.parametrize("conc", [0, 4])
def test_ok_err_by_header_and_user_logged(tproxyd, origin, hdir, tmp_path,
                                          conc):
    """OK allows, ERR denies (its message= on the error page), no header
    ("-") denies; the helper gets "SRC WHO -" (with a channel ID with
    concurrency=N); user= is %un in access.log, tag= %et and log= %ea."""
    extlog = tmp_path / "ext.log"
    p = tproxyd([ext_type(hdir, "concurrency=%d" % conc if conc else "",
                          extra="--conc" if conc else "")] + BASE_RULES +
                ["logformat ext %>a %un %ue %et %ea %Ss",
                 "access_log %s ext" % extlog,
                 "access_log %s" % (tmp_path / "tproxyd0" / "access.log")])
    r = get(p, "/bytes/5", "alice", origin)
    assert r.status == 200 and r.body == body_bytes(5), r
    e = p.wait_access_url(origin.url("/bytes/5"))
    assert e["user"] == "alice", e
    r = get(p, "/bytes/6", "bob", origin)
    assert r.status == 403, r
    assert b"bob is not welcome" in r.body
    r = get(p, "/bytes/7", None, origin)
    assert r.status == 403, r
    lines = seen(hdir)
    assert len(lines) == 3, lines
    first = lines[0].split(" ")
    if conc:
        assert first[0].isdigit() and int(first[0]) < conc
        first = first[1:]
    assert first == ["127.0.0.1", "alice", "-"], lines
    assert lines[2].split(" ")[-3:] == ["127.0.0.1", "-", "-"], lines
    assert harness.poll(
        lambda: len(extlog.read_text().splitlines()) >= 3, 5)
    ext = extlog.read_text().splitlines()
    assert ext[0] == "127.0.0.1 alice alice t-alice L-alice TCP_MISS", ext
    assert ext[1] == "127.0.0.1 - - - - TCP_DENIED", ext
    # Nothing reached the origin for the denied requests.
    assert not [x for x in origin.records() if x["path"] in
                ("/bytes/6", "/bytes/7")]


def test_ttl_and_negative_ttl(tproxyd, origin, hdir):
    """Answers are cached by their line: OK for ttl seconds, ERR for
    negative_ttl seconds (the helper counts its calls)."""
    p = tproxyd([ext_type(hdir, "ttl=3 negative_ttl=1")] + BASE_RULES)
    for i in range(3):
        assert get(p, "/bytes/%d" % (i + 1), "alice", origin).status == 200
        assert get(p, "/bytes/%d" % (i + 1), "bob", origin).status == 403
    assert len(seen(hdir)) == 2, seen(hdir)
    time.sleep(1.6)     # ERR expired, OK not
    assert get(p, "/bytes/1", "alice", origin).status == 200
    assert get(p, "/bytes/1", "bob", origin).status == 403
    assert [ln.split(" ")[1] for ln in seen(hdir)] == \
        ["alice", "bob", "bob"], seen(hdir)
    time.sleep(2.0)     # OK expired too
    assert get(p, "/bytes/1", "alice", origin).status == 200
    assert [ln.split(" ")[1] for ln in seen(hdir)].count("alice") == 2


def test_grace_refreshes_in_the_background(tproxyd, origin, hdir):
    """grace=50 of ttl=2: after a second the cached answer is still used
    (the request does not wait) and asked again in the background."""
    p = tproxyd([ext_type(hdir, "ttl=2 grace=50")] + BASE_RULES)
    assert get(p, "/bytes/1", "alice", origin).status == 200
    assert get(p, "/bytes/1", "alice", origin).status == 200
    assert len(seen(hdir)) == 1
    time.sleep(1.2)
    assert get(p, "/bytes/1", "alice", origin).status == 200
    assert harness.poll(lambda: len(seen(hdir)) == 2, 5)
    # The refreshed answer is kept: no more calls for a while.
    assert get(p, "/bytes/1", "alice", origin).status == 200
    time.sleep(0.3)
    assert len(seen(hdir)) == 2, seen(hdir)


def test_tag_acl(tproxyd, origin, hdir):
    """tag= is the request's tag: a "tag" acl matches it (here in
    http_reply_access)."""
    p = tproxyd([ext_type(hdir, "ttl=60")] + BASE_RULES +
                ["acl tagged tag t-alice other",
                 "http_reply_access deny tagged",
                 "http_reply_access allow all"])
    r = get(p, "/bytes/1", "alice", origin)
    assert r.status == 403, r
    e = p.wait_access_url(origin.url("/bytes/1"))
    assert e["code"] == "TCP_DENIED_REPLY", e


def test_no_cache_with_ttl_0(tproxyd, origin, hdir):
    """ttl=0 and negative_ttl=0: every request asks the helper, and each
    uses its own answer."""
    p = tproxyd([ext_type(hdir, "ttl=0 negative_ttl=0")] + BASE_RULES)
    for i in range(3):
        assert get(p, "/bytes/1", "alice", origin).status == 200
    assert get(p, "/bytes/1", "bob", origin).status == 403
    assert len(seen(hdir)) == 4, seen(hdir)


def test_arguments_and_escaping(tproxyd, origin, hdir):
    """The acl's arguments come last, each URL-escaped; header values are
    URL-escaped; %DATA in the FORMAT puts them there instead."""
    p = tproxyd([ext_type(hdir, "ttl=0"),
                 "acl who_ok external who grp1 50%off a\"b",
                 "acl tpx_local src 127.0.0.0/8 ::1",
                 "http_access allow tpx_local who_ok",
                 "http_access deny all"])
    get(p, "/bytes/1", "al ice/ü", origin)
    assert seen(hdir)[-1] == \
        "127.0.0.1 al%20ice/%C3%BC grp1 50%25off a%22b", seen(hdir)


def test_data_in_format_and_new_codes(tproxyd, origin, hdir):
    """New-style logformat codes and an explicit %DATA: each word is
    followed by a space, as Squid writes it."""
    p = tproxyd([ext_type(hdir, "ttl=0",
                          fmt="%>a %>{X-Who} %DATA %>rm %>rd %>lp %ACL"),
                 "acl who_ok external who LOGIN",
                 "acl tpx_local src 127.0.0.0/8 ::1",
                 "http_access allow tpx_local who_ok",
                 "http_access deny all"])
    assert get(p, "/bytes/1", "alice", origin).status == 200
    assert seen(hdir)[-1] == "127.0.0.1 alice LOGIN GET 127.0.0.1 %d " \
        "who_ok " % p.port, seen(hdir)


def test_bh_denies_and_is_not_cached(tproxyd, origin, hdir):
    """BH: the access check ends as not allowed (Squid), with a cache.log
    line and the message= on the error page; the answer is not
    cached."""
    p = tproxyd([ext_type(hdir, "ttl=60")] + [
        "acl who_ok external who",
        "acl tpx_local src 127.0.0.1",
        # A BH never reaches the next rule.
        "http_access deny !who_ok",
        "http_access allow tpx_local"])
    for _ in range(2):
        r = get(p, "/bytes/1", "bh", origin)
        assert r.status == 403, r
        assert b"broken on purpose" in r.body, r.body
    # Each request: sent, then sent again twice after BH (Squid's
    # helper retries), never cached.
    assert len(seen(hdir)) == 6, seen(hdir)
    assert "external ACL 'who' helper answered BH" in cache_log(p)
    assert get(p, "/bytes/2", "alice", origin).status == 200


def test_bh_gets_the_acls_deny_info(tproxyd, origin, hdir):
    """The deny_info of the external acl that got no answer applies (Squid
    names it as the acl that decided), with its message= as %o."""
    p = tproxyd([ext_type(hdir, "ttl=60")] + BASE_RULES +
                ["deny_info 302:http://portal.example/?m=%o who_ok"])
    r = get(p, "/bytes/1", "bh", origin)
    assert r.status == 302, r
    assert r.header("Location") == \
        "http://portal.example/?m=broken%20on%20purpose", r


def test_helper_crash_is_restarted(tproxyd, origin, hdir):
    """A helper that exits after every answer, and one that dies without
    answering: it is restarted, the requests are still answered (the one
    it died on gets no answer: denied)."""
    sp = free_port()
    p = tproxyd([ext_type(hdir, "ttl=0 negative_ttl=0 children-max=1",
                          extra="--crash-after 1"),
                 "stats_port 127.0.0.1:%d" % sp] + BASE_RULES)
    for i in range(4):
        r = get(p, "/bytes/%d" % (i + 1), "alice", origin)
        assert r.status == 200 and r.body == body_bytes(i + 1), (i, r)
    r = get(p, "/bytes/1", "crash", origin)
    assert r.status == 403, r
    assert get(p, "/bytes/2", "alice", origin).status == 200
    assert "restarting it" in cache_log(p)
    m = scrape_metrics(sp)
    assert any("external_acl" in k for k in m), list(m)[:20]


def test_hanging_helper_stalls_no_one_else(tproxyd, origin, hdir):
    """A helper that never answers: its request waits (Squid has no
    timeout for external acl helpers; the client gives up) while other
    clients are answered by the other children; the client that gave up
    cancels its wait."""
    p = tproxyd([ext_type(hdir, "ttl=0 negative_ttl=0 children-max=3")] +
                BASE_RULES)
    hung = subprocess.Popen(
        ["curl", "-sS", "-o", "/dev/null", "-x", "127.0.0.1:%d" % p.port,
         "--max-time", "3", "-H", "X-Who: hang", origin.url("/bytes/1")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert harness.poll(
        lambda: any(" hang " in ln + " " for ln in seen(hdir)), 5)
    t0 = time.monotonic()
    for i in range(3):
        r = get(p, "/bytes/%d" % (i + 2), "alice", origin)
        assert r.status == 200, r
    assert time.monotonic() - t0 < 2.5
    # A new configuration while the request waits: the old one (and its
    # helper) stays until that connection ends; the new one serves.
    p.write_config([ext_type(hdir, "ttl=0 negative_ttl=0")] + BASE_RULES)
    assert p.run_k("reconfigure").returncode == 0
    time.sleep(0.3)
    assert get(p, "/bytes/4", "alice", origin).status == 200
    assert get(p, "/bytes/4", "bob", origin).status == 403
    assert hung.wait(timeout=10) == 28       # curl: timed out
    # The daemon is still well and serving.
    assert get(p, "/bytes/3", "alice", origin).status == 200
    assert not [x for x in origin.records() if x["path"] == "/bytes/1"]


def test_in_url_rewrite_access(tproxyd, origin, hdir):
    """The helpers' access lists wait for an external acl too: only the
    requests it allows go to the URL rewriter."""
    from origin import OriginServer
    from test_helpers_rewrite import HELPER as REWRITER
    rw = hdir / "rewriter.py"
    rw.write_text(REWRITER)
    os.chmod(rw, 0o755)
    (hdir / "rwlog").touch()
    os.chmod(hdir / "rwlog", 0o666)
    o2 = OriginServer("127.0.0.1", 0).start()
    try:
        p = tproxyd([ext_type(hdir, "ttl=60"),
                     "acl who_ok external who",
                     "url_rewrite_program %s --log %s --target %s" % (
                         rw, hdir / "rwlog", o2.url("").rstrip("/")),
                     "url_rewrite_access allow who_ok",
                     "url_rewrite_access deny all"])
        r = get(p, "/rw/bytes/9", "alice", origin)
        assert r.status == 200 and r.body == body_bytes(9), r
        r = get(p, "/rw/bytes/8", "bob", origin)
        assert r.status != 200 or r.body != body_bytes(8), r
        assert [x for x in origin.records() if x["path"] == "/rw/bytes/8"]
        assert len((hdir / "rwlog").read_text().splitlines()) == 1
    finally:
        o2.stop()


def test_config_errors(tproxyd_conf, hdir):
    """Bad lines are refused with FILE:LINE messages."""
    for lines, msg in [
            (["external_acl_type who ttl=5 %s" % (hdir / "helper.py")],
             "FORMAT"),
            (["external_acl_type who ttl=x %SRC /bin/true"], "ttl="),
            (["external_acl_type who %SRC"], "missing"),
            (["external_acl_type who %NOSUCH /bin/true"], "NOSUCH"),
            (["acl x external nosuch"], "not defined")]:
        t = tproxyd_conf(lines)
        r = t.run_k("parse")
        assert r.returncode != 0, (lines, r)
        assert msg in r.stderr and "tproxyd.conf:" in r.stderr, \
            (lines, r.stderr)


# ---------------------------------------------------------------------------
# A captive portal on an intercepting port: Debian's ext_session_acl
# ---------------------------------------------------------------------------

SESSION = "/usr/lib/squid/ext_session_acl"

# Squid's ext_session_acl built with TDB (Debian's) opens its database
# with tdb_open(path, 0, TDB_CLEAR_IF_FIRST, O_CREAT|O_DSYNC, 0666): no
# O_RDWR, so the database is read-only and the helper exits with "FATAL:
# Failed to open session db" (also without -b). Squid 7.6 has the same
# line. The helper is run unmodified, with this preloaded tdb_open() that
# adds O_RDWR.
TDB_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/types.h>
struct tdb_context;
typedef struct tdb_context *tdb_open_fn(const char *, int, int, int, mode_t);
struct tdb_context *tdb_open(const char *, int, int, int, mode_t);
struct tdb_context *
tdb_open(const char *name, int hash_size, int tdb_flags, int open_flags,
         mode_t mode)
{
        tdb_open_fn *real = (tdb_open_fn *)dlsym(RTLD_NEXT, "tdb_open");

        if ((open_flags & O_ACCMODE) == O_RDONLY && (open_flags & O_CREAT))
                open_flags = (open_flags & ~O_ACCMODE) | O_RDWR;
        return real(name, hash_size, tdb_flags, open_flags, mode);
}
"""


def session_helper(d):
    """The command line that runs Debian's ext_session_acl (active mode,
    a fixed 60 s session, its database in d)."""
    (d / "shim.c").write_text(TDB_SHIM)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(d / "shim.so"),
                    str(d / "shim.c"), "-ldl"], check=True, timeout=60)
    os.chmod(d / "shim.so", 0o755)
    return "/usr/bin/env LD_PRELOAD=%s %s -a -T 60 -b %s" % (
        d / "shim.so", SESSION, d / "session.tdb")


def test_session_helper_captive_portal_tproxy(env, daemons, tmp_path):
    """Users of intercepted traffic cannot authenticate: Squid's session
    helper (active mode, -a) identifies them by address. The first request
    is redirected to the portal (deny_info); the portal's login URL runs
    the acl with the LOGIN argument, which starts the session; later
    requests from that client pass; LOGOUT ends it."""
    assert os.access(SESSION, os.X_OK), "squid's %s is missing" % SESSION
    db = tmp_path / "sessiondb"
    db.mkdir()
    harness.share_with_daemon_user(db)
    os.chmod(db, 0o777)
    install_tproxy(env.topo, "nft")
    t = daemons(["http_port %d tproxy" % TPROXY_PORT,
                 "external_acl_type session ttl=0 negative_ttl=0 "
                 "concurrency=10 children-max=1 %%SRC %s" %
                 session_helper(db),
                 "acl session external session",
                 "acl session_login external session LOGIN",
                 "acl session_logout external session LOGOUT",
                 "acl login_url urlpath_regex ^/portal/login",
                 "acl logout_url urlpath_regex ^/portal/logout",
                 "http_access allow login_url session_login",
                 "http_access allow logout_url session_logout",
                 "http_access deny !session",
                 "http_access allow all",
                 "deny_info 302:http://portal.example/splash?url=%u "
                 "session"])
    r = client_curl(env.topo, url(4, "/bytes/9"))
    assert r.rc == 0 and r.status == 302, r
    assert r.headers["location"] == "http://portal.example/splash?url=" \
        "http%3A%2F%2F198.18.2.2%2Fbytes%2F9", r.headers
    assert not [x for x in env.origin.records() if x["path"] == "/bytes/9"]
    # The portal's login page: the session starts ("OK message=Welcome").
    r = client_curl(env.topo, url(4, "/portal/login"))
    assert r.rc == 0 and r.status != 302, r
    r = client_curl(env.topo, url(4, "/bytes/9"))
    assert r.rc == 0 and r.status == 200 and r.body == body_bytes(9), r
    e = t.wait_access(lambda x: x["url"] == url(4, "/bytes/9") and
                      x["status"] == 200)
    assert e["client"] == "198.18.1.2", e
    # Logged out: redirected again (ttl=0: every request asks the helper;
    # with a ttl the cached OK would let it pass until it expires).
    r = client_curl(env.topo, url(4, "/portal/logout"))
    assert r.rc == 0 and r.status != 302, r
    r = client_curl(env.topo, url(4, "/bytes/8"))
    assert r.rc == 0 and r.status == 302, r
    assert "helper answered" not in t.cache_log.read_text(errors="replace")
