# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_helpers_rewrite.py - helper programs (issue 17): url_rewrite_program
and store_id_program with a small helper script written by the test
(concurrency 0 and N), helpers that crash, hang, answer garbage or flood,
url_rewrite_access, the helper's privileges, Debian's real, unmodified
squidGuard as a rewriter, and store_id making two URLs one cache object.

The helper script answers by the request URL's path:
    .../rw/REST       OK rewrite-url=<TARGET>/REST (TARGET: its argument)
    .../redir/N       OK status=N url=http://moved.example/N
    .../old302        the old protocol: "302:http://moved.example/old"
    .../oldurl        the old protocol: a bare URL (<TARGET>/bytes/7)
    .../hang          no answer at all
    .../sleep         ERR, after a second
    .../bh            BH message="broken on purpose"
    .../garbage       a line with no result code that is no URL
    .../flood         a 40 KiB line without a line feed
    .../sid/KEY       OK store-id=http://sid.example/KEY
    anything else     ERR
Every line it reads is appended to its log file; with --status FILE it
copies /proc/self/status there once; with --crash-after N it exits after
N answers.
"""

import json
import os
import pwd
import shutil
import stat
import subprocess
import textwrap
import time

import pytest

import harness
from cache_origin import CacheOrigin
from harness import free_port, poll, scrape_metrics
from origin import OriginServer, body_bytes

HELPER = r'''#!/usr/bin/python3 -u
import os, sys, time
args = sys.argv[1:]
conc = int(args[args.index("--conc") + 1]) if "--conc" in args else 0
target = args[args.index("--target") + 1] if "--target" in args else ""
log = args[args.index("--log") + 1]
crash = int(args[args.index("--crash-after") + 1]) \
    if "--crash-after" in args else 0
status = args[args.index("--status") + 1] if "--status" in args else None
answered = 0
for line in sys.stdin:
    line = line.rstrip("\n")
    with open(log, "a") as f:
        f.write(line + "\n")
    if status:
        with open("/proc/self/status") as s, open(status, "w") as o:
            o.write(s.read())
        status = None
    words = line.split(" ")
    cid = ""
    if conc:
        cid = words[0] + " "
        words = words[1:]
    url = words[0]
    path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
    if "/hang" in path:
        continue
    if "/sleep" in path:
        time.sleep(1)
    if "/flood" in path:
        sys.stdout.write("x" * 40960)
        sys.stdout.flush()
        continue
    if "/rw/" in path:
        out = "OK rewrite-url=%s/%s" % (target, path.split("/rw/", 1)[1])
    elif "/redir/" in path:
        n = path.split("/redir/", 1)[1]
        out = 'OK status=%s url="http://moved.example/%s"' % (n, n)
    elif path.endswith("/old302"):
        out = "302:http://moved.example/old"
    elif path.endswith("/oldurl"):
        out = "%s/bytes/7" % target
    elif path.endswith("/bh"):
        out = 'BH message="broken on purpose"'
    elif path.endswith("/garbage"):
        out = "%%% not a url at all"
    elif "/sid/" in path:
        out = "OK store-id=http://sid.example/%s" % path.split("/sid/")[1]
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


def helper_cmd(hdir, *extra):
    return "url_rewrite_program %s --log %s %s" % (
        hdir / "helper.py", hdir / "log", " ".join(extra))


def seen(hdir):
    return [ln for ln in (hdir / "log").read_text().splitlines() if ln]


def get(p, url, args=(), max_time=10):
    return harness.curl(p.port, url, args=list(args), max_time=max_time)


def cache_log(p):
    return p.cache_log.read_text(errors="replace")


@pytest.fixture
def origin2():
    srv = OriginServer("127.0.0.1", 0).start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("conc", [0, 4])
def test_rewrite_and_redirect(tproxyd, origin, origin2, hdir, conc):
    """OK rewrite-url= sends the request to the new URL (Host is the new
    authority; access.log shows the URL as received); OK status=N url=
    redirects the client; ERR changes nothing. The helper sees "URL
    extras" with Squid's default extras, with a channel ID with
    concurrency=N."""
    target = origin2.url("").rstrip("/")
    p = tproxyd([helper_cmd(hdir, "--target", target,
                            "--conc %d" % conc if conc else ""),
                 "url_rewrite_children 3 startup=1 concurrency=%d" % conc])
    r = get(p, origin.url("/rw/headers"))
    assert r.status == 200, r
    hdrs = dict((n.lower(), v) for n, v in json.loads(r.body)["headers"])
    assert hdrs["host"] == target[len("http://"):]
    assert not [x for x in origin.records() if x["path"] == "/headers"]
    p.wait_access_url(origin.url("/rw/headers"))

    r = get(p, origin.url("/redir/301"))
    assert r.status == 301 and r.header("Location") == \
        "http://moved.example/301"
    r = get(p, origin.url("/redir/307"))
    assert r.status == 307
    e = p.wait_access_url(origin.url("/redir/307"))
    assert e["code"] == "TCP_REDIRECT"
    # status=200 is no redirect: no change (Squid logs an ERROR).
    r = get(p, origin.url("/redir/200"))
    assert r.status == 200 and r.body == b"ok\n"
    # The old protocol: "302:URL" and a bare URL.
    r = get(p, origin.url("/old302"))
    assert r.status == 302 and r.header("Location") == \
        "http://moved.example/old"
    r = get(p, origin.url("/oldurl"))
    assert r.status == 200 and r.body == body_bytes(7)
    r = get(p, origin.url("/bytes/5"))
    assert r.status == 200 and r.body == body_bytes(5)

    lines = seen(hdir)
    first = lines[0].split(" ")
    if conc:
        assert first[0].isdigit() and int(first[0]) < conc
        first = first[1:]
    # "%>a/%>A %un %>rm myip=%la myport=%lp"
    assert first[0] == origin.url("/rw/headers")
    assert first[1].startswith("127.0.0.1/")
    assert first[2] == "-" and first[3] == "GET"
    assert first[4] == "myip=127.0.0.1"
    assert first[5] == "myport=%d" % p.port


def test_rewrite_host_header_off(tproxyd, origin, origin2, hdir):
    """url_rewrite_host_header off: the rewritten request keeps the Host
    the client sent."""
    target = origin2.url("").rstrip("/")
    p = tproxyd([helper_cmd(hdir, "--target", target),
                 "url_rewrite_host_header off"])
    r = get(p, origin.url("/rw/headers"))
    assert r.status == 200, r
    hdrs = dict((n.lower(), v) for n, v in json.loads(r.body)["headers"])
    assert hdrs["host"] == "127.0.0.1:%d" % origin.port


def test_rewrite_access_selects(tproxyd, origin, origin2, hdir):
    """url_rewrite_access: only the requests it allows reach the helper."""
    target = origin2.url("").rstrip("/")
    p = tproxyd([helper_cmd(hdir, "--target", target),
                 "acl rwpath urlpath_regex ^/rw/",
                 "acl here dst 127.0.0.1",    # decided on the address
                 "url_rewrite_access allow rwpath here",
                 "url_rewrite_access deny all"])
    r = get(p, origin.url("/rw/bytes/9"))
    assert r.status == 200 and r.body == body_bytes(9)
    r = get(p, origin.url("/bytes/4"))
    assert r.status == 200 and r.body == body_bytes(4)
    lines = seen(hdir)
    assert len(lines) == 1 and "/rw/bytes/9" in lines[0], lines


def test_helper_crashes_and_restarts(tproxyd, origin, origin2, hdir):
    """A helper that exits after 2 answers is restarted; every request is
    still rewritten; cache.log says so; the metrics count restarts."""
    sp = free_port()
    target = origin2.url("").rstrip("/")
    p = tproxyd([helper_cmd(hdir, "--target", target, "--crash-after 2"),
                 "url_rewrite_children 1",
                 "stats_port 127.0.0.1:%d" % sp])
    for i in range(7):
        r = get(p, origin.url("/rw/bytes/%d" % (i + 1)))
        assert r.status == 200 and r.body == body_bytes(i + 1), (i, r)
    assert "url_rewrite_program #1" in cache_log(p)
    assert "restarting it" in cache_log(p)
    m = scrape_metrics(sp)
    assert m['tproxyd_helper_restarts_total{helper="url_rewrite"}'] >= 3
    assert m['tproxyd_helper_requests_total{helper="url_rewrite"}'] >= 7


def test_client_gone_while_waiting(tproxyd, origin, hdir):
    """Clients that close while their request is with the helper (sent,
    or queued behind it) are forgotten: the late answer is read and
    dropped, nothing is called back for them (a sanitizer build would
    catch a dangling callback), and the next requests are served."""
    sp = free_port()
    p = tproxyd([helper_cmd(hdir), "url_rewrite_children 1",
                 "stats_port 127.0.0.1:%d" % sp])
    socks = []
    for path in ("/sleep", "/bytes/1", "/bytes/2"):
        c = harness.RawClient(p.port)
        c.send(harness.get_req(origin.url(path)))
        socks.append(c)
        time.sleep(0.1)
    m = scrape_metrics(sp)
    assert m['tproxyd_helper_queue{helper="url_rewrite"}'] == 2
    for c in socks:
        c.close()
    poll(lambda: scrape_metrics(sp)[
        'tproxyd_helper_queue{helper="url_rewrite"}'] == 0, 5)
    time.sleep(1.2)      # the answer to /sleep comes, for nobody
    r = get(p, origin.url("/bytes/8"))
    assert r.status == 200 and r.body == body_bytes(8)
    # Only /sleep and /bytes/8 reached the helper.
    assert [x.split(" ")[0] for x in seen(hdir)] == \
        [origin.url("/sleep"), origin.url("/bytes/8")]


def helper_pids(hdir):
    """Processes running this test's helper script, with their parent."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % d, "rb").read().split(b"\0")
            st = open("/proc/%s/stat" % d).read()
        except OSError:
            continue
        if any(str(hdir / "helper.py").encode() == c for c in cmd):
            out[int(d)] = int(st.rsplit(")", 1)[1].split()[1])
    return out


def test_workers_have_their_own_helpers(tproxyd, origin, origin2, hdir):
    """workers 2: each worker starts its own children (startup=1), as
    Squid's kids do; requests are rewritten whichever worker takes
    them."""
    target = origin2.url("").rstrip("/")
    p = tproxyd(["workers 2",
                 helper_cmd(hdir, "--target", target),
                 "url_rewrite_children 3 startup=1"])
    assert poll(lambda: len(helper_pids(hdir)) == 2, 10), helper_pids(hdir)
    parents = set(helper_pids(hdir).values())
    assert len(parents) == 2 and p.proc.pid not in parents
    for i in range(4):
        r = get(p, origin.url("/rw/bytes/%d" % (i + 1)))
        assert r.status == 200 and r.body == body_bytes(i + 1)


def test_reconfigure_replaces_helpers(tproxyd, origin, origin2, hdir):
    """-k reconfigure: the old children are stopped (once no connection
    uses the old configuration), the new settings apply; a configuration
    without the rewriter stops rewriting."""
    st = hdir / "status"
    target = origin2.url("").rstrip("/")
    lines = [helper_cmd(hdir, "--target", target, "--status", str(st)),
             "url_rewrite_children 2 startup=1"]
    p = tproxyd(lines)
    r = get(p, origin.url("/rw/bytes/5"))
    assert r.status == 200 and r.body == body_bytes(5)
    poll(lambda: st.exists() and st.stat().st_size > 0, 5)
    pid = int([ln.split()[1] for ln in st.read_text().splitlines()
               if ln.startswith("Pid:")][0])
    assert os.path.exists("/proc/%d" % pid)
    p.write_config([])
    assert p.run_k("reconfigure").returncode == 0
    assert poll(lambda: not os.path.exists("/proc/%d" % pid), 10), \
        "the old helper (pid %d) is still running" % pid
    r = get(p, origin.url("/rw/bytes/5"))
    assert r.status == 200 and r.body == b"ok\n"      # not rewritten


@pytest.mark.parametrize("action,status", [("bypass", 200), ("fail", 500)])
def test_helper_hangs(tproxyd, origin, hdir, action, status):
    """No answer within url_rewrite_timeout: on_timeout=bypass keeps the
    URL, on_timeout=fail answers 500 (ERR_GATEWAY_FAILURE); the next
    request is served by a new child."""
    sp = free_port()
    p = tproxyd([helper_cmd(hdir), "url_rewrite_children 2",
                 "url_rewrite_timeout 1 second on_timeout=%s" % action,
                 "stats_port 127.0.0.1:%d" % sp])
    t0 = time.time()
    r = get(p, origin.url("/hang"))
    assert r.status == status, r
    assert 0.8 < time.time() - t0 < 5
    if status == 500:
        assert r.header("X-Squid-Error").startswith("ERR_GATEWAY_FAILURE")
    else:
        assert r.body == b"ok\n"
    r = get(p, origin.url("/bytes/3"))
    assert r.status == 200 and r.body == body_bytes(3)
    m = scrape_metrics(sp)
    assert m['tproxyd_helper_timeouts_total{helper="url_rewrite"}'] == 1


def test_timeout_configured_response(tproxyd, origin, origin2, hdir):
    """on_timeout=use_configured_response: the response= line is acted on
    as the helper's answer (a rewrite here)."""
    p = tproxyd([helper_cmd(hdir),
                 'url_rewrite_timeout 1 second '
                 'on_timeout=use_configured_response '
                 'response="OK rewrite-url=%s"' % origin2.url("/bytes/21")])
    r = get(p, origin.url("/hang"))
    assert r.status == 200 and r.body == body_bytes(21), r


def test_bypass_when_queue_full(tproxyd, origin, origin2, hdir):
    """url_rewrite_bypass on (queue-size 0): while the only child is busy,
    a request is not rewritten (Squid: "queue too long. Bypassed.")."""
    sp = free_port()
    target = origin2.url("").rstrip("/")
    p = tproxyd([helper_cmd(hdir, "--target", target),
                 "url_rewrite_children 1", "url_rewrite_bypass on",
                 "stats_port 127.0.0.1:%d" % sp])
    c = harness.RawClient(p.port)
    c.send(harness.get_req(origin.url("/sleep")))
    time.sleep(0.2)
    r = get(p, origin.url("/rw/bytes/5"))
    assert r.status == 200 and r.body == b"ok\n", r     # not rewritten
    assert c.read_response().status == 200
    c.close()
    r = get(p, origin.url("/rw/bytes/5"))
    assert r.status == 200 and r.body == body_bytes(5)  # free again
    assert "queue too long; bypassed" in cache_log(p)
    m = scrape_metrics(sp)
    assert m['tproxyd_helper_overloads_total{helper="url_rewrite"}'] == 1


def test_helper_garbage_bh_and_flood(tproxyd, origin, hdir):
    """BH (retried twice, then no change), a line without a result code
    that is no URL (no change), a line longer than 32 KiB (the child is
    killed and restarted, the request gets BH: no change). tproxyd keeps
    serving; cache.log says what happened."""
    sp = free_port()
    p = tproxyd([helper_cmd(hdir), "url_rewrite_children 2",
                 "stats_port 127.0.0.1:%d" % sp])
    for path in ("/bh", "/garbage", "/flood", "/bytes/6"):
        r = get(p, origin.url(path))
        assert r.status == 200, (path, r)
    log = cache_log(p)
    assert "ERROR: url_rewrite_program: BH broken on purpose, " \
        "attempt #1 of 2" in log
    assert "ERROR: URL rewrite helper: BH broken on purpose" in log
    assert "ERROR: URL-rewrite produces invalid request" in log
    assert "wrote a line longer than 32768 bytes" in log
    # /bh went to the helper 3 times.
    assert len([x for x in seen(hdir) if x.split(" ")[0].endswith("/bh")]) \
        == 3
    m = scrape_metrics(sp)
    assert m['tproxyd_helper_broken_total{helper="url_rewrite"}'] >= 4


def test_helper_privileges(tproxyd, origin, hdir):
    """The helper runs as cache_effective_user with no capability in any
    set, no_new_privs, and no descriptor but stdin, stdout, stderr."""
    if os.geteuid() != 0:
        pytest.skip("needs root: tproxyd drops to the proxy user only then")
    st = hdir / "status"
    # A tproxy port: the daemon keeps CAP_NET_RAW (the control below);
    # its helper must not have it.
    fport = free_port()
    p = tproxyd([helper_cmd(hdir, "--status", str(st)),
                 "http_port 127.0.0.1:%d" % fport,
                 "http_port 127.0.0.1:%d tproxy" % free_port()], port=fport)
    daemon = dict(ln.split(":", 1) for ln in open(
        "/proc/%d/status" % p.proc.pid).read().splitlines() if ":" in ln)
    assert int(daemon["CapEff"].strip(), 16) != 0
    r = get(p, origin.url("/bytes/2"))
    assert r.status == 200
    poll(lambda: st.exists() and st.stat().st_size > 0, 5)
    f = dict(ln.split(":", 1) for ln in st.read_text().splitlines()
             if ":" in ln)
    f = {k: v.strip() for k, v in f.items()}
    proxy = pwd.getpwnam("proxy")
    assert f["Uid"].split() == [str(proxy.pw_uid)] * 4
    assert f["Gid"].split() == [str(proxy.pw_gid)] * 4
    for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert int(f[cap], 16) == 0, (cap, f[cap])
    assert f["NoNewPrivs"] == "1"
    assert "0" not in f["Groups"].split()
    # Its descriptors: 0, 1, 2 (and the one os.listdir itself opens).
    pid = int(f["Pid"])
    fds = sorted(int(x) for x in os.listdir("/proc/%d/fd" % pid))
    assert fds == [0, 1, 2], fds


# --- Debian's squidGuard ---------------------------------------------------

SQUIDGUARD = "/usr/bin/squidGuard"


def squidguard_conf(d, redirect):
    """A squidGuard.conf in d blocking the domain blocked.test (a plain
    text domain list, which squidGuard loads at start)."""
    (d / "db" / "bad").mkdir(parents=True)
    (d / "db" / "bad" / "domains").write_text("blocked.test\n")
    (d / "db" / "bad" / "urls").write_text("")
    (d / "log").mkdir()
    conf = d / "squidGuard.conf"
    conf.write_text(textwrap.dedent("""\
        dbhome %s
        logdir %s
        dest bad {
            domainlist bad/domains
            urllist bad/urls
        }
        acl {
            default {
                pass !bad all
                redirect %s
            }
        }
        """ % (d / "db", d / "log", redirect)))
    for root, dirs, files in os.walk(d):
        for x in dirs:
            os.chmod(os.path.join(root, x), 0o777)
        for x in files:
            os.chmod(os.path.join(root, x), 0o666)
    os.chmod(d, 0o777)
    harness.share_with_daemon_user(d)
    return conf


def test_squidguard_redirects(tproxyd, origin, tmp_path):
    """The real squidGuard (Debian's package, unmodified) as
    url_rewrite_program with a small blocklist and a "302:" redirect: a
    blocked domain gets squidGuard's redirect ("OK status=302 url=..."),
    another passes ("ERR")."""
    assert os.path.exists(SQUIDGUARD), \
        "squidGuard is missing: scripts/deps.sh test installs squidguard"
    conf = squidguard_conf(tmp_path / "sg",
                           "302:http://blocked.example/?url=%u")
    p = tproxyd(["url_rewrite_program %s -c %s" % (SQUIDGUARD, conf),
                 "url_rewrite_children 2 startup=1"])
    # blocked.test resolves nowhere: squidGuard must answer first.
    r = get(p, "http://blocked.test:%d/page" % origin.port)
    assert r.status == 302, (r, cache_log(p))
    assert r.header("Location") == \
        "http://blocked.example/?url=http://blocked.test:%d/page" % \
        origin.port
    r = get(p, origin.url("/bytes/11"))
    assert r.status == 200 and r.body == body_bytes(11)
    e = p.wait_access_url("http://blocked.test:%d/page" % origin.port)
    assert e["code"] == "TCP_REDIRECT" and int(e["status"]) == 302


def test_squidguard_rewrites(tproxyd, origin, tmp_path):
    """squidGuard's plain redirect is a rewrite ("OK rewrite-url=..."):
    the blocked request is served from the block page's URL, and
    access.log shows the URL the client asked for."""
    assert os.path.exists(SQUIDGUARD), \
        "squidGuard is missing: scripts/deps.sh test installs squidguard"
    conf = squidguard_conf(tmp_path / "sg",
                           origin.url("/bytes/13") + "?from=%a")
    p = tproxyd(["url_rewrite_program %s -c %s" % (SQUIDGUARD, conf)])
    url = "http://blocked.test:%d/page" % origin.port
    r = get(p, url)
    assert r.status == 200 and r.body == body_bytes(13), (r, cache_log(p))
    rec = [x for x in origin.records() if x["path"] == "/bytes/13"]
    assert rec and rec[0]["target"] == "/bytes/13?from=127.0.0.1"
    p.wait_access_url(url)


# --- store_id --------------------------------------------------------------

def test_store_id_one_object_for_two_urls(tproxyd, hdir):
    """OK store-id=K: two URLs with the same key are one cache object; the
    second is a hit and the origin sees one request; the request still
    goes to its own URL."""
    o = CacheOrigin().start()
    try:
        body = b"mirror copy\n" * 100
        for path in ("/m1/sid/pkg", "/m2/sid/pkg", "/m3/other"):
            o.set(path, body=body, headers=[("Cache-Control",
                                             "max-age=3600")])
        p = tproxyd(["cache_mem 8 MB",
                     "store_id_program %s --log %s" % (hdir / "helper.py",
                                                       hdir / "log"),
                     "store_id_children 2"])
        r1 = get(p, o.url("/m1/sid/pkg"))
        r2 = get(p, o.url("/m2/sid/pkg"))
        assert r1.status == r2.status == 200
        assert r1.body == r2.body == body
        assert o.count("/m1/sid/pkg") == 1
        assert o.count("/m2/sid/pkg") == 0
        e = p.wait_access_url(o.url("/m2/sid/pkg"))
        assert "HIT" in e["code"], e
        # Another key: a miss at its own URL.
        r3 = get(p, o.url("/m3/other"))
        assert r3.status == 200 and o.count("/m3/other") == 1
    finally:
        o.stop()
