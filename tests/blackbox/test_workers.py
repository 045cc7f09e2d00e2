# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_workers.py - `workers N` (Squid's SMP directive): a master holding the
pid file and N worker processes, each with its own SO_REUSEPORT listener
(opened by the master, which keeps them for restarts and -k upgrade);
connections are spread over the workers, a worker that dies is restarted,
-k reconfigure reaches every worker, -k shutdown stops them all. /metrics,
answered by whichever worker the kernel picks, covers the whole instance
(the workers count into one shared table), and so does `tproxyctl status`.
"""

import os
import re
import signal
import socket
import subprocess

from harness import RawClient, curl, free_port, poll, scrape_metrics


def kids(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def owners_of_established(port):
    """pids holding accepted connections on our port (ss -tnp)."""
    out = subprocess.run(["ss", "-Htnp", "state", "established",
                          "( sport = :%d )" % port], capture_output=True,
                         text=True, timeout=10).stdout
    return {int(m) for m in re.findall(r"pid=(\d+)", out)}


def test_workers_share_restart_reload_and_stop(tproxyd, origin):
    p = tproxyd(["workers 2"])
    master = p.proc.pid
    assert poll(lambda: len(kids(master)) == 2, 5), kids(master)
    for i in range(20):
        r = curl(p.port, origin.url("/bytes/%d" % (100 + i)))
        assert r.status == 200, r
    # Spread: idle keep-alive connections end up in both workers.
    conns = [socket.create_connection(("127.0.0.1", p.port), timeout=5)
             for _ in range(32)]
    try:
        assert poll(lambda: owners_of_established(p.port) ==
                    set(kids(master)), 5), (
            owners_of_established(p.port), kids(master))
    finally:
        for c in conns:
            c.close()
    # A worker killed is replaced, and serving goes on.
    victim = kids(master)[0]
    p.kid_signals_sent.add(signal.SIGKILL)     # not a crash
    subprocess.run(["kill", "-9", str(victim)], check=True)
    assert poll(lambda: len(kids(master)) == 2 and
                victim not in kids(master), 5), kids(master)
    # /proc's children list is read without locks (proc(5): "not
    # reliable"): wait for the master's own word too.
    assert poll(lambda: "restarting it" in p.cache_log.read_text(), 5), \
        p.cache_log.read_text()
    for i in range(10):
        assert curl(p.port, origin.url("/bytes/10")).status == 200
    # -k reconfigure reaches both workers; the master checked it first.
    p.write_config(["workers 2", "via off"])
    assert p.run_k("reconfigure").returncode == 0
    assert poll(lambda: p.cache_log.read_text().count(
        "Reconfiguring tproxyd") == 2, 5), p.cache_log.read_text()
    r = curl(p.port, origin.url("/headers"))
    assert r.status == 200 and b"tproxyd" not in r.body.lower(), r.body
    # -k shutdown: every process exits, the pid file goes.
    old = kids(master)
    assert p.run_k("shutdown").returncode == 0
    assert p.proc.wait(20) == 0
    assert not p.pid_file.exists()
    # The master reaps its workers before it exits: none may be left.
    for k in old:
        assert not _alive(k), "worker %d still running" % k


def test_restarted_worker_runs_the_reconfigured_configuration(tproxyd,
                                                             origin):
    """A worker the master restarts after -k reconfigure serves the
    configuration now in force, not the one tproxyd started with: its
    ports (one added, one removed) and its rules (here via off)."""
    main, gone, added = free_port(), free_port(), free_port()
    p = tproxyd(["workers 2", "http_port 127.0.0.1:%d" % main,
                 "http_port 127.0.0.1:%d" % gone], port=main)
    master = p.proc.pid
    assert poll(lambda: len(kids(master)) == 2, 5), kids(master)
    r = curl(main, origin.url("/headers"))
    assert r.status == 200 and b"tproxyd" in r.body.lower(), r.body
    p.write_config(["workers 2", "http_port 127.0.0.1:%d" % main,
                    "http_port 127.0.0.1:%d" % added, "via off"])
    assert p.run_k("reconfigure").returncode == 0
    assert poll(lambda: p.cache_log.read_text().count(
        "Reconfiguring tproxyd") == 2, 5), p.cache_log.read_text()
    # Both workers restarted, one after the other.
    p.kid_signals_sent.add(signal.SIGKILL)     # not a crash
    for n, victim in enumerate(kids(master)):
        subprocess.run(["kill", "-9", str(victim)], check=True)
        assert poll(lambda: p.cache_log.read_text().count(
            "restarting it") == n + 1 and len(kids(master)) == 2 and
            victim not in kids(master), 5), p.cache_log.read_text()
    assert poll(lambda: listener_pids(added) == set(kids(master)), 5), \
        (listener_pids(added), kids(master))
    assert listener_pids(gone) == set(), listener_pids(gone)
    for port in (main, added) * 6:
        r = curl(port, origin.url("/headers"))
        assert r.status == 200 and b"tproxyd" not in r.body.lower(), \
            (port, r.body)


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


# ---- /metrics over all workers ---------------------------------------------

def listener_pids(port):
    """pids with a socket listening on port: each worker its own
    (SO_REUSEPORT), and the master, which opened them all (a restarted
    worker and -k upgrade get the same sockets)."""
    out = subprocess.run(["ss", "-Hltnp", "( sport = :%d )" % port],
                         capture_output=True, text=True, timeout=10).stdout
    return {int(m) for m in re.findall(r"pid=(\d+)", out)}


scrape = scrape_metrics


def answered(m):
    return sum(m['tproxyd_requests_total{code="%s"}' % c]
               for c in ("none", "1xx", "2xx", "3xx", "4xx", "5xx"))


def counters(m):
    """The samples that must never go down: tproxyd's counters and
    histograms. Not process_cpu_seconds_total: it is the CPU time of the
    worker process now running, and starts again from 0 when a worker is
    restarted, as Prometheus' process metrics do (rate() treats it as a
    counter reset; process_start_time_seconds tells the restart)."""
    return {k: v for k, v in m.items()
            if not k.startswith("process_") and
            re.match(r"^[a-z_]+(_total|_bucket|_sum|_count)(\{|$)", k)}


def get_close(port, origin):
    """One request on a new connection, Connection: close. Returns once
    tproxyd closed it: it logs (and counts) a transaction before that."""
    with RawClient(port) as c:
        c.send(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                % origin.url("/bytes/100")).encode())
        assert c.read_response().status == 200
        assert c.is_closed(5), "tproxyd kept the connection open"


def test_metrics_cover_every_worker(tproxyd, origin):
    sport = free_port()
    p = tproxyd(["workers 2", "stats_port %d" % sport])
    master = p.proc.pid
    assert poll(lambda: len(kids(master)) == 2, 5), kids(master)
    # Both workers listen on both ports before the traffic starts.
    assert poll(lambda: listener_pids(p.port) == set(kids(master)) |
                {master} and listener_pids(sport) == set(kids(master)) |
                {master}, 5), (
        listener_pids(p.port), listener_pids(sport), kids(master))

    K = 40
    for _ in range(K):
        get_close(p.port, origin)
    # Each scrape lands on either worker and counts all K requests (and
    # scrapes themselves are not requests: every one says K).
    for _ in range(8):
        m = scrape(sport)
        assert m['tproxyd_requests_total{code="2xx"}'] == K, m
        assert answered(m) == K, m
        assert m["tproxyd_client_connections_total"] == K, m
        assert m["tproxyd_workers"] == 2, m
        assert m["tproxyd_accepting"] == 2, m
    per_kid = [m['tproxyd_worker_requests_total{kid="%d"}' % k]
               for k in (1, 2)]
    assert sum(per_kid) == K and min(per_kid) > 0, per_kid
    assert m['tproxyd_worker_up{kid="1"}'] == 1 == \
        m['tproxyd_worker_up{kid="2"}'], m

    # Idle keep-alive connections, spread over both workers: the gauge is
    # their number, whichever worker answers. (Those closed above leave
    # as tproxyd reads their EOF: poll for that first.)
    M = 24
    held = []
    try:
        for _ in range(M):
            c = RawClient(p.port)
            held.append(c)
            c.send(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n"
                    % origin.url("/bytes/10")).encode())
            assert c.read_response().status == 200
        assert poll(lambda: scrape(sport)["tproxyd_client_connections"] ==
                    M, 5), scrape(sport)
        for _ in range(6):
            m = scrape(sport)
            assert m["tproxyd_client_connections"] == M, m
            open_per_kid = {k: m['tproxyd_worker_client_connections'
                                 '{kid="%d"}' % k] for k in (1, 2)}
            assert sum(open_per_kid.values()) == M, m
        assert min(open_per_kid.values()) > 0, open_per_kid
        assert poll(lambda: answered(scrape(sport)) == K + M, 5)
        m = scrape(sport)
        before = counters(m)
        started = {k: m['process_start_time_seconds{kid="%d"}' % k]
                   for k in (1, 2)}

        # A worker killed: the master restarts it; nothing it counted is
        # lost, its connections are gone from the gauges.
        victim = kids(master)[0]
        p.kid_signals_sent.add(signal.SIGKILL)     # not a crash
        subprocess.run(["kill", "-9", str(victim)], check=True)
        assert poll(lambda: len(kids(master)) == 2 and
                    victim not in kids(master), 5), kids(master)
        died = poll(lambda: re.search(r"kid(\d) \(pid %d\) died" % victim,
                                      p.cache_log.read_text()), 5)
        assert died, p.cache_log.read_text()
        vk = int(died.group(1))
        other = 3 - vk
        assert poll(lambda: listener_pids(sport) == set(kids(master)) |
                    {master}, 5)
        for _ in range(6):
            m = scrape(sport)
            after = counters(m)
            for k, v in before.items():
                assert after[k] >= v, (k, v, after[k])
            assert answered(m) == K + M, m
            assert m['tproxyd_worker_restarts_total{kid="%d"}' % vk] == 1
            assert m['tproxyd_worker_restarts_total{kid="%d"}' % other] == 0
            assert m['tproxyd_worker_up{kid="%d"}' % vk] == 1, m
            # The restarted worker's process metrics are its new process'.
            assert m['process_start_time_seconds{kid="%d"}' % vk] > \
                started[vk], m
            assert m['process_start_time_seconds{kid="%d"}' % other] == \
                started[other], m
            assert m['tproxyd_worker_client_connections{kid="%d"}'
                     % vk] == 0, m
            assert m["tproxyd_client_connections"] == open_per_kid[other], m
            assert m["tproxyd_workers"] == 2, m

        # -k reconfigure keeps every counter.
        p.write_config(["workers 2", "stats_port %d" % sport, "via off"])
        assert p.run_k("reconfigure").returncode == 0
        assert poll(lambda: p.cache_log.read_text().count(
            "Reconfiguring tproxyd") == 2, 5), p.cache_log.read_text()
        m = scrape(sport)
        assert answered(m) == K + M, m
        assert all(counters(m)[k] >= v for k, v in after.items()), m

        # tproxyctl status: the instance's totals, and a line per worker.
        ctl = os.path.join(os.environ.get("TPROXYD_BUILD", "build"),
                           "tproxyctl")
        r = subprocess.run([ctl, "status", "-f", str(p.conf)],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 0, r.stdout + r.stderr
        out = r.stdout
        assert "running, pid %d" % master in out, out
        assert re.search(r"requests:\s+%d answered: 2xx %d," % (K + M, K + M),
                         out), out
        assert re.search(r"clients:\s+%d open, %d accepted, accepting: yes"
                         % (open_per_kid[other], K + M), out), out
        assert re.search(r"workers:\s+kid1 up: ", out), out
        assert re.search(r"kid%d up: 0 open, \d+ requests, restarted 1 "
                         r"time\n" % vk, out), out
    finally:
        for c in held:
            c.close()
