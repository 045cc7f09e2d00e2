# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_lifecycle.py - reload and shutdown under load (issue 6):

- `-k reconfigure` while clients keep connecting: not one connection is
  refused or fails, a transfer in flight finishes under the old
  configuration, and new connections get the new one;
- an invalid new configuration is rejected with its FILE:LINE errors in
  cache.log, and the old one keeps running;
- `-k shutdown`: the listener closes at once, a transfer in flight finishes,
  then the process exits 0; with shutdown_lifetime 1 second a transfer that
  takes longer is cut at that time.
"""

import socket
import threading
import time

from harness import curl, poll, wait_for


def hammer(port, origin, stop, results):
    """Requests in a loop on new connections until stop is set."""
    while not stop.is_set():
        r = curl(port, origin.url("/bytes/2000"), max_time=10)
        results.append((r.rc, r.status))


def background(port, origin, path, out, max_time=20):
    t = threading.Thread(target=lambda: out.append(
        curl(port, origin.url(path), max_time=max_time)))
    t.start()
    return t


def test_reconfigure_under_load_refuses_nothing(tproxyd, origin):
    p = tproxyd(["acl me src 127.0.0.0/8", "http_access allow me"])
    stop, results = threading.Event(), []
    workers = [threading.Thread(target=hammer,
                                args=(p.port, origin, stop, results))
               for _ in range(3)]
    slow = []
    for w in workers:
        w.start()
    try:
        t = background(p.port, origin, "/slow/1500", slow)
        in_flight(origin, "/slow/1500")
        for i in range(5):
            # Alternate between two valid configurations.
            p.write_config(["acl me src 127.0.0.0/8", "http_access allow me",
                            "via %s" % ("off" if i % 2 == 0 else "on")])
            k = p.run_k("reconfigure")
            assert k.returncode == 0, k.stderr
            # Requests complete between two reloads.
            n = len(results)
            wait_for(lambda: len(results) >= n + 2, 10,
                     "two requests answered after reload %d" % (i + 1))
        t.join(20)
    finally:
        stop.set()
        for w in workers:
            w.join(20)
    bad = [r for r in results if r != (0, 200)]
    assert len(results) > 20 and not bad, (
        "%d of %d requests failed during reloads: %r" % (
            len(bad), len(results), bad[:5]))
    assert slow and slow[0].rc == 0 and slow[0].status == 200, slow
    assert p.alive()
    assert p.cache_log.read_text().count("Reconfiguring tproxyd") == 5


def test_invalid_reconfigure_keeps_old_configuration(tproxyd, origin):
    p = tproxyd(["acl me src 127.0.0.0/8", "http_access allow me"])
    good = p.conf.read_text()
    p.conf.write_text(good + "http_access allow nosuchacl\nbogus_directive 1\n")
    p.proc.send_signal(1)	# SIGHUP, as -k reconfigure would (it refuses
				# to signal with a broken file, see below)
    log = poll(lambda: "still running with the previous one" in
               p.cache_log.read_text() and p.cache_log.read_text(), 10)
    assert log, p.diagnostics()
    n = len(good.splitlines())
    assert "tproxyd.conf:%d:" % (n + 1) in log, log
    assert "tproxyd.conf:%d: unknown directive 'bogus_directive'" % (n + 2) \
        in log, log
    assert curl(p.port, origin.url("/bytes/10")).status == 200
    # -k reconfigure itself checks the file first and says why it will not
    # signal.
    k = p.run_k("reconfigure")
    assert k.returncode == 1 and "bogus_directive" in k.stderr, k.stderr
    assert p.alive()


def test_shutdown_lets_transfers_finish(tproxyd, origin):
    p = tproxyd(["shutdown_lifetime 10 seconds"])
    slow = []
    t = background(p.port, origin, "/slow/1500", slow)
    in_flight(origin, "/slow/1500")
    k = p.run_k("shutdown")
    assert k.returncode == 0, k.stderr
    # Not accepting any more ...
    assert poll(lambda: _refused(p.port), 3), "still accepting"
    t.join(20)
    # ... but the transfer in flight finished, then the process exited.
    assert slow and slow[0].rc == 0 and slow[0].status == 200, slow
    assert p.proc.wait(10) == 0
    assert not p.pid_file.exists()


def test_shutdown_lifetime_cuts_long_transfers(tproxyd, origin):
    p = tproxyd(["shutdown_lifetime 1 seconds"])
    slow = []
    t = background(p.port, origin, "/slow/8000", slow)
    in_flight(origin, "/slow/8000")
    t0 = time.monotonic()
    assert p.run_k("shutdown").returncode == 0
    assert p.proc.wait(10) == 0
    took = time.monotonic() - t0
    assert took < 4, "exited after %.1fs, shutdown_lifetime is 1 s" % took
    t.join(20)
    assert slow and (slow[0].status != 200 or slow[0].rc != 0), slow


def in_flight(origin, path):
    """Wait until the origin has the request for path (it answers
    /slow/MS after MS ms): the transfer is in flight."""
    wait_for(lambda: any(r["path"] == path for r in origin.records()), 10,
             "%s at the origin" % path, show=origin.records)


def _refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except OSError:
        return True
