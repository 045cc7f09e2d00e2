#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
helper_cost.py - what a URL rewriter costs tproxyd: one keep-alive client
on loopback sends N requests through tproxyd without a helper, with a
helper that answers ERR to everything (the protocol's cost), and with the
test's rewriting helper (tests/blackbox/test_helpers_rewrite.py), and
prints requests per second and tproxyd's CPU time per request (utime +
stime from /proc, 10 ms ticks). The client (Python) is the bottleneck of
the rate; the CPU time is tproxyd's own. Run as root from the top of the
tree after `make`:

    /usr/bin/python3 tests/tools/helper_cost.py
"""
import sys, time, os, tempfile
sys.path.insert(0, "tests/blackbox")
import harness
from harness import RawClient, get_req
from origin import OriginServer
import test_helpers_rewrite as T

def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

def run(lines, n=10000, path="/bytes/100"):
    d = tempfile.mkdtemp(prefix="rwb")
    sp = harness.free_port()
    t = harness.Tproxyd(d + "/p", lines + ["stats_port 127.0.0.1:%d" % sp])
    t.start()
    try:
        with RawClient(t.port) as c:
            c.send(get_req(o.url(path))); c.read_response()
            c0 = cpu(t.proc.pid)
            t0 = time.perf_counter()
            for _ in range(n):
                c.send(get_req(o.url(path)))
                r = c.read_response()
                assert r.status == 200
            dt = time.perf_counter() - t0
            dc = cpu(t.proc.pid) - c0
        m = harness.scrape_metrics(sp)
        k = 'tproxyd_helper_requests_total{helper="url_rewrite"}'
        return "%.0f req/s, tproxyd %.1f us CPU/request, helper requests %s" % (n / dt, dc / n * 1e6, m.get(k))
    finally:
        t.stop()

o = OriginServer("127.0.0.1", 0).start()
from pathlib import Path
hd = Path(tempfile.mkdtemp(prefix="rwh"))
harness.share_with_daemon_user(hd); os.chmod(hd, 0o777)
(hd / "helper.py").write_text(T.HELPER); os.chmod(hd / "helper.py", 0o755)
(hd / "log").write_text(""); os.chmod(hd / "log", 0o666)
# A helper that only answers ERR (no log writing) for the cost of the protocol
fast = hd / "fast.py"
fast.write_text("#!/usr/bin/python3 -u\nimport sys\nfor l in sys.stdin:\n    sys.stdout.write('ERR\\n'); sys.stdout.flush()\n")
os.chmod(fast, 0o755)
print("no helper        ", run([]))
print("ERR helper       ", run(["url_rewrite_program %s" % fast]))
print("rewriting helper ", run(["url_rewrite_program %s --log /dev/null --target %s" % (hd / "helper.py", o.url("").rstrip("/"))], path="/rw/bytes/100"))
o.stop()
