"""
test_workers.py - `workers N` (Squid's SMP directive): a master holding the
pid file and N worker processes, each with its own SO_REUSEPORT listener;
connections are spread over the workers, a worker that dies is restarted,
-k reconfigure reaches every worker, -k shutdown stops them all.
"""

import re
import socket
import subprocess
import time

from harness import curl, poll


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
    subprocess.run(["kill", "-9", str(victim)], check=True)
    assert poll(lambda: len(kids(master)) == 2 and
                victim not in kids(master), 5), kids(master)
    assert "restarting it" in p.cache_log.read_text()
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
    time.sleep(0.2)
    for k in old:
        assert not _alive(k), "worker %d still running" % k


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
