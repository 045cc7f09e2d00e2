# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_delay_pools.py - delay pools (delay_pools, delay_class,
delay_parameters, delay_access, client_delay_pools): downloads through
tproxyd take the time their pool's rate says, within a tolerance band,
measured with curl's %{speed_download} and %{time_total}.

Rates are chosen so that each transfer lasts about 3 s. A transfer of N
bytes through a bucket of rate R that starts at level L lasts about
(N - L) / R: the buckets start at delay_initial_bucket_level (50 %) of
their max.

Clients come from different loopback addresses (curl --interface
127.0.0.2, 127.0.0.3) to get different class 2 host buckets. While a
limited transfer runs, tproxyd's CPU time (/proc/PID/stat) stays small:
a waiting transfer sleeps on a timer, it does not poll.
"""

import os
import shutil
import subprocess
import threading
import time

import pytest

from harness import free_port

CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def fetch(port, url, source=None, max_time=20, args=(), proxy="127.0.0.1"):
    """One download through the proxy; returns (http_code, size, seconds,
    bytes per second) as curl measured them."""
    cmd = [shutil.which("curl"), "-sS", "-x", "http://%s:%d" % (proxy, port),
           "--noproxy", "", "--max-time", str(max_time), "-o", "/dev/null",
           "-w", "%{http_code} %{size_download} %{time_total} "
           "%{speed_download}"]
    if source:
        cmd += ["--interface", source]
    cmd += list(args)
    cmd.append(url)
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy")}
    p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       timeout=max_time + 10)
    assert p.returncode == 0, "curl failed (%d): %s" % (p.returncode,
                                                        p.stderr)
    code, size, total, speed = p.stdout.split()
    return int(code), int(size), float(total), float(speed)


def fetch_parallel(port, jobs):
    """jobs: [(url, source)]: run them at the same time; the results in
    the same order."""
    res = [None] * len(jobs)

    def run(i, url, src):
        res[i] = fetch(port, url, src)

    th = [threading.Thread(target=run, args=(i, u, s))
          for i, (u, s) in enumerate(jobs)]
    for t in th:
        t.start()
    for t in th:
        t.join(40)
    assert all(r is not None for r in res), "a transfer did not finish"
    return res


def class1(rate, maxb, extra=()):
    return ["delay_pools 1", "delay_class 1 1",
            "delay_parameters 1 %d/%d" % (rate, maxb),
            "delay_access 1 allow all"] + list(extra)


# --- class 1: one aggregate bucket -----------------------------------------

@pytest.mark.parametrize("path", [
    "/bytes/600000",      # Content-Length: the body is spliced
    "/chunked/600000",    # chunked: the body is copied through the buffer
])
def test_class1_rate_and_cpu(tproxyd, origin, path):
    """200 KB/s, bucket max 50 KB (starts at 25 KB): 600 KB take about
    (600000 - 25000) / 200000 = 2.9 s, and tproxyd's CPU stays near
    zero meanwhile."""
    p = tproxyd(class1(200000, 50000))
    cpu0 = cpu_seconds(p.proc.pid)
    code, size, total, speed = fetch(p.port, origin.url(path))
    cpu = cpu_seconds(p.proc.pid) - cpu0
    assert code == 200 and size == 600000
    assert 2.5 <= total <= 3.6, "600 KB at 200 KB/s took %.2fs" % total
    assert 160000 <= speed <= 240000, "speed %.0f B/s" % speed
    # A busy wait would burn the whole ~3 s.
    assert cpu < 0.3, "tproxyd used %.2fs of CPU in %.2fs" % (cpu, total)


def test_class1_tunnel(tproxyd, origin):
    """A CONNECT tunnel's server-to-client bytes are limited too (Squid's
    tunnel.cc reads the server through the request's delay id)."""
    p = tproxyd(class1(200000, 50000))
    code, size, total, _ = fetch(p.port, origin.url("/bytes/600000"),
                                 args=["--proxytunnel"])
    assert code == 200 and size == 600000
    assert 2.5 <= total <= 3.6, "600 KB through a tunnel took %.2fs" % total
    p.wait_access(lambda e: e["method"] == "CONNECT")


def test_unlimited_without_pool(tproxyd, origin):
    """The same download with no pool is not slowed (the control)."""
    p = tproxyd()
    code, size, total, _ = fetch(p.port, origin.url("/bytes/600000"))
    assert code == 200 and size == 600000
    assert total < 1.0, "600 KB without a pool took %.2fs" % total


def test_none_is_unlimited(tproxyd, origin):
    """delay_parameters 1 none: the pool does not limit."""
    p = tproxyd(["delay_pools 1", "delay_class 1 1",
                 "delay_parameters 1 none", "delay_access 1 allow all"])
    code, size, total, _ = fetch(p.port, origin.url("/bytes/600000"))
    assert code == 200 and size == 600000
    assert total < 1.0, "an unlimited pool took %.2fs" % total


# --- class 2: aggregate + one bucket per host -------------------------------

def test_class2_hosts_and_aggregate(tproxyd, origin):
    """Hosts 150 KB/s each, aggregate 200 KB/s. One client alone is held
    by its host bucket (450 KB in about 3 s); two clients from different
    addresses at once share the aggregate (300 KB each, 600 KB at
    200 KB/s: about 3 s)."""
    p = tproxyd(["delay_pools 1", "delay_class 1 2",
                 "delay_parameters 1 200000/20000 150000/15000",
                 "delay_access 1 allow all"])
    code, size, total, speed = fetch(p.port, origin.url("/bytes/450000"),
                                     "127.0.0.2")
    assert code == 200 and size == 450000
    assert 2.5 <= total <= 3.6, "450 KB at 150 KB/s took %.2fs" % total
    assert 120000 <= speed <= 180000, "host speed %.0f B/s" % speed
    res = fetch_parallel(p.port, [(origin.url("/bytes/300000"), "127.0.0.2"),
                                  (origin.url("/bytes/300000"), "127.0.0.3")])
    for code, size, total, speed in res:
        assert code == 200 and size == 300000
        # Each host is held to 150 KB/s (at least 1.95 s); how the
        # aggregate is shared between the two varies a little.
        assert 1.9 <= total <= 3.8, "took %.2fs: %r" % (total, res)
    # The aggregate holds the two to 200 KB/s together: 600 KB take
    # about (600000 - 10000) / 200000 = 2.95 s, not the 2 s the host
    # buckets alone would allow.
    last = max(r[2] for r in res)
    assert 2.6 <= last <= 3.8, "the last ended after %.2fs: %r" % (last,
                                                                    res)
    together = sum(r[1] for r in res) / last
    assert 160000 <= together <= 235000, "together %.0f B/s: %r" % (
        together, res)


def test_class2_hosts_apart(tproxyd, origin):
    """No aggregate limit ("none"): two hosts at once each get their own
    100 KB/s; 300 KB each take about 3 s, not 6."""
    p = tproxyd(["delay_pools 1", "delay_class 1 2",
                 "delay_parameters 1 none 100000/10000",
                 "delay_access 1 allow all"])
    res = fetch_parallel(p.port, [(origin.url("/bytes/300000"), "127.0.0.2"),
                                  (origin.url("/bytes/300000"), "127.0.0.3")])
    for code, size, total, speed in res:
        assert code == 200 and size == 300000
        assert 2.5 <= total <= 3.6, "took %.2fs: %r" % (total, res)


def test_class2_ipv6_client_has_no_host_bucket(tproxyd, origin):
    """As in Squid, class 2 and 3 per-host buckets only apply to IPv4
    clients: with no aggregate limit, an IPv6 client is not limited while
    an IPv4 client is held to its host's 100 KB/s."""
    port4, port6 = free_port(), free_port("::1")
    p = tproxyd(["http_port 127.0.0.1:%d" % port4,
                 "http_port [::1]:%d" % port6,
                 "acl l6 src ::1", "http_access allow l6",
                 "acl l4 src 127.0.0.0/8", "http_access allow l4",
                 "delay_pools 1", "delay_class 1 2",
                 "delay_parameters 1 none 100000/10000",
                 "delay_access 1 allow all"], port=port4)
    code, size, total, _ = fetch(p.port, origin.url("/bytes/300000"))
    assert code == 200 and size == 300000
    assert 2.5 <= total <= 3.6, "IPv4 client took %.2fs" % total
    code, size, total, _ = fetch(port6, origin.url("/bytes/300000"),
                                 proxy="[::1]")
    assert code == 200 and size == 300000
    assert total < 1.0, "IPv6 client took %.2fs" % total


# --- delay_access -----------------------------------------------------------

def test_delay_access_selects(tproxyd, origin):
    """Only the client the acl names is limited; another client (and a
    request the pool's rules deny) goes at full speed. Pools are tried in
    order: pool 1 denies 127.0.0.3, pool 2 takes everyone."""
    p = tproxyd(["acl slow src 127.0.0.2", "acl fast src 127.0.0.3",
                 "delay_pools 2",
                 "delay_class 1 1", "delay_parameters 1 none",
                 "delay_access 1 allow fast", "delay_access 1 deny all",
                 "delay_class 2 1", "delay_parameters 2 200000/50000",
                 "delay_access 2 allow slow", "delay_access 2 deny all"])
    code, size, total, _ = fetch(p.port, origin.url("/bytes/600000"),
                                 "127.0.0.3")
    assert code == 200 and size == 600000
    assert total < 1.0, "the unlimited client took %.2fs" % total
    code, size, total, _ = fetch(p.port, origin.url("/bytes/600000"),
                                 "127.0.0.1")
    assert total < 1.0, "a client no pool allows took %.2fs" % total
    code, size, total, _ = fetch(p.port, origin.url("/bytes/600000"),
                                 "127.0.0.2")
    assert code == 200 and size == 600000
    assert 2.5 <= total <= 3.6, "the limited client took %.2fs" % total


# --- client_delay_pools -----------------------------------------------------

def test_client_delay_pool(tproxyd, origin):
    """client_delay_pools limit what tproxyd sends to a client address
    (Squid's Squid-to-client limit): 200 KB/s, bucket 50 KB (25 KB to
    start); another address is not limited."""
    p = tproxyd(["acl slow src 127.0.0.2",
                 "client_delay_pools 1",
                 "client_delay_parameters 1 200000 50000",
                 "client_delay_access 1 allow slow"])
    cpu0 = cpu_seconds(p.proc.pid)
    code, size, total, speed = fetch(p.port, origin.url("/bytes/600000"),
                                     "127.0.0.2")
    cpu = cpu_seconds(p.proc.pid) - cpu0
    assert code == 200 and size == 600000
    assert 2.5 <= total <= 3.6, "600 KB at 200 KB/s took %.2fs" % total
    assert cpu < 0.3, "tproxyd used %.2fs of CPU in %.2fs" % (cpu, total)
    code, size, total, _ = fetch(p.port, origin.url("/chunked/600000"),
                                 "127.0.0.2")
    assert 2.5 <= total <= 3.6, "chunked: took %.2fs" % total
    code, size, total, _ = fetch(p.port, origin.url("/bytes/600000"),
                                 "127.0.0.3")
    assert total < 1.0, "another client took %.2fs" % total


def test_client_delay_pool_not_uploads(tproxyd, origin, tmp_path):
    """Squid's client pools limit only what is written to the client
    (comm/Write.cc); an upload from a limited client goes at full speed,
    as in Squid."""
    body = tmp_path / "up"
    body.write_bytes(os.urandom(600000))
    p = tproxyd(["client_delay_pools 1",
                 "client_delay_parameters 1 200000 50000",
                 "client_delay_access 1 allow all"])
    code, size, total, _ = fetch(p.port, origin.url("/sink"),
                                 args=["--data-binary", "@%s" % body])
    assert code == 200
    assert total < 1.0, "a 600 KB upload took %.2fs" % total
    rec = [r for r in origin.records() if r["path"] == "/sink"]
    assert rec and rec[-1]["body_len"] == 600000, rec


def test_hit_limited_by_client_pool_only(tproxyd, origin):
    """A cache hit reads no server: delay_pools do not slow it (as in
    Squid), client_delay_pools do."""
    url = origin.url("/cacheable/600000")
    mem = ["maximum_object_size_in_memory 2 MB"]
    p = tproxyd(class1(200000, 50000, mem))
    code, size, total, _ = fetch(p.port, url)
    assert code == 200 and 2.5 <= total <= 3.6, "miss took %.2fs" % total
    code, size, total, _ = fetch(p.port, url)
    assert code == 200 and size == 600000
    assert total < 1.0, "a hit took %.2fs under delay_pools" % total
    p.wait_access(lambda e: "HIT" in e["code"])
    q = tproxyd(mem + ["client_delay_pools 1",
                 "client_delay_parameters 1 200000 50000",
                 "client_delay_access 1 allow all"])
    fetch(q.port, url)
    code, size, total, _ = fetch(q.port, url)
    assert code == 200 and size == 600000
    assert 2.5 <= total <= 3.6, "a hit under client_delay_pools took " \
        "%.2fs" % total
    q.wait_access(lambda e: "HIT" in e["code"])


# --- configuration errors ---------------------------------------------------

@pytest.mark.parametrize("lines,msg", [
    (["delay_class 1 1"], "delay_class: no 'delay_pools' line before"),
    (["delay_pools 1", "delay_class 2 1"],
     "delay_class: pool '2' is not in 1..1"),
    (["delay_pools 1", "delay_class 1 1", "delay_parameters 1 fast"],
     "delay_parameters: invalid rate 'fast'"),
    (["delay_pools 1", "delay_class 1 4"], "class 4 is not supported"),
])
def test_config_errors(tproxyd_conf, lines, msg):
    """-k parse names the file and line of each mistake and fails."""
    p = tproxyd_conf(lines)
    r = p.run_k("parse")
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert msg in out, out
    assert "%s:" % p.conf in out, out
