#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
udp_bench.py - the UDP rows of the bench (issue 19): tproxyd's udp_port
against direct forwarding, in a client / router / server namespace
network (tests/netns/netns.py), IPv4.

  udp-dns   DNS-sized request/response (60 bytes each way, port 53), N
            flows (client ports) with one request out each: answers per
            second, round-trip p50/p99, and the latency tproxyd adds.
  udp-bulk  a QUIC-like stream: 1,200-byte datagrams from one flow as fast
            as the sender goes (port 4433): datagrams per second the
            server receives.

The load (client, echo, sink) is bench/peers/udp_load.c, built here with
cc -O2, and runs pinned to one CPU (--load-cpu, default 0); tproxyd runs
pinned to the other (--proxy-cpu, default 1). direct is the same
namespaces and routes with no proxy and no interception rules: the router
only forwards. Every run is bounded in time and count; --runs runs of
each mode, alternating (direct first in odd runs, tproxyd first in even
ones), medians reported with their min-max.

For tproxyd: datagrams relayed per CPU-second of tproxyd (its utime +
stime over the run, from /proc: its share of the kernel's work included,
the receive softirq of the client's datagrams, charged to the sender's
CPU, not), and how busy its core was (CPU-s per second).
--baseline PATH adds "tproxyd-before" (another tproxyd binary).
Root only; namespaces with a per-run name, removed on exit; traffic only
inside them (198.18.0.0/15).

    python3 bench/udp_bench.py [--build build] [--secs 5] [--flows 64]
        [--runs 3] [--baseline OTHER/tproxyd] [--out FILE.md]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "netns"))
import netns  # noqa: E402

LOAD_SRC = os.path.join(TOP, "bench", "peers", "udp_load.c")
CLK_TCK = os.sysconf("SC_CLK_TCK")
UDP_PORT = 3131
DNS_PORT = 53
BULK_PORT = 4433
BULK_SIZE = 1200
DNS_SIZE = 60
BULK_MAX_PER_S = 20000000	# the sender's count bound, per second

RULES = """table inet udpbench {
  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    meta nfproto ipv4 udp dport { %d, %d } tproxy ip to :%d meta mark set 0x1 accept
    socket transparent 1 meta mark set 0x1 accept
  }
}
""" % (DNS_PORT, BULK_PORT, UDP_PORT)


def must(t, ns, argv, **kw):
    p = t.run(ns, argv, **kw)
    if p.returncode != 0:
        raise SystemExit("%s failed: %s%s" % (argv, p.stdout, p.stderr))
    return p


def cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def udp_drops(t, ns):
    """UDP receive buffer overflows in ns (/proc/net/snmp RcvbufErrors)."""
    p = t.run(ns, ["cat", "/proc/net/snmp"])
    rows = [ln.split() for ln in p.stdout.splitlines()
            if ln.startswith("Udp:")]
    return int(rows[1][rows[0].index("RcvbufErrors")])


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def start_tproxyd(t, exe, d, cpu_no, nice):
    conf = os.path.join(d, "tproxyd.conf")
    log = os.path.join(d, "cache.log")
    if os.path.exists(log):
        os.unlink(log)
    with open(conf, "w") as f:
        f.write("http_port 3129 tproxy\nudp_port %d tproxy\n"
                "pid_filename %s/pid\naccess_log %s/access.log\n"
                "cache_log %s\nudp_idle_timeout 30 seconds\n"
                "udp_dns_idle_timeout 30 seconds\n"
                "visible_hostname bench.test\n" % (UDP_PORT, d, d, log))
    os.chmod(d, 0o755)
    p = t.popen(t.rtr, ["nice", "-n", str(nice), "taskset", "-c", cpu_no,
                        exe, "-N", "-f", conf],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            if "UDP datagrams at" in open(log).read():
                return p
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("tproxyd did not start")


def bulk_once(t, proc, exe, args, load, gso, rate, secs, perf=None):
    """One bulk stream of secs (gso: datagrams per send with UDP_SEGMENT;
    rate: paced, datagrams per second, 0 as fast as it goes)."""
    pin = ["nice", "-n", str(args.nice), "taskset", "-c", args.load_cpu, load]
    sink = t.popen(t.srv, pin + ["sink", BULK_PORT, secs + 1.5],
                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert sink.stdout.readline().strip() == b"ready"
    c0 = cpu(proc.pid) if proc else 0
    drops0 = (udp_drops(t, t.rtr), udp_drops(t, t.srv))
    argv = pin + ["bulk", netns.SRV4, BULK_PORT, secs, BULK_SIZE,
                  int(BULK_MAX_PER_S * secs), gso, int(rate)]
    rec = None
    if proc and perf:
        rec = subprocess.Popen(
            ["perf", "record", "-q", "-g", "-o", "%s.%s" % (
                perf, os.path.basename(os.path.dirname(
                    os.path.dirname(exe))) or "tproxyd"),
             "-p", str(proc.pid), "--", "sleep", str(secs)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p = must(t, t.cli, argv, timeout=secs + 30)
    c1 = cpu(proc.pid) if proc else 0
    if rec:
        rec.wait(30)
    snd = json.loads(p.stdout)
    got = json.loads(sink.communicate(timeout=secs + 10)[0])
    drops1 = (udp_drops(t, t.rtr), udp_drops(t, t.srv))
    # over the time the sender sent (or the sink received, if longer)
    span = max(snd["secs"], got["secs"], 0.001)
    return {
        "offered": rate, "sent": snd["sent"], "received": got["n"],
        "sent_per_s": snd["sent"] / snd["secs"],
        "received_per_s": got["n"] / span,
        "loss": 1 - got["n"] / snd["sent"] if snd["sent"] else 1,
        "proxy_cpu_s": c1 - c0,
        # datagrams lost for a full receive buffer: tproxyd's sockets
        # (router), the sink's (server)
        "rcvbuf_drops_router": drops1[0] - drops0[0],
        "rcvbuf_drops_server": drops1[1] - drops0[1],
        "proxy_core_busy": (c1 - c0) / span if proc else None,
        "dgrams_per_cpu_s": (got["n"] / (c1 - c0))
        if proc and c1 > c0 else None}


def search(t, proc, args, load, gso):
    """The highest paced rate whose datagrams arrive with at most
    args.loss lost (and that the sender reaches): doubling from 50,000/s,
    then 4 halvings of the interval; a rate is tried twice before it
    counts as not carried. Returns its run with the probes (rate,
    received/s, loss, receive-buffer drops in the router, in the
    server)."""
    def ok(r):
        return (r["loss"] <= args.loss and
                r["sent_per_s"] >= 0.97 * r["offered"])

    def probe(rate):
        # a rate is carried when one of two tries is (other work on a
        # shared host makes single tries fail now and then)
        for _ in range(2):
            r = bulk_once(t, proc, None, args, load, gso, rate,
                          args.probe_secs)
            probes.append((int(rate), round(r["received_per_s"]),
                           round(r["loss"], 4), r["rcvbuf_drops_router"],
                           r["rcvbuf_drops_server"]))
            if ok(r):
                break
        return r
    probes, good, bad, rate = [], None, None, 50000
    while rate <= 16e6:
        r = probe(rate)
        if not ok(r):
            bad = rate
            break
        good, rate = r, rate * 2
    lo = good["offered"] if good else 0
    for _ in range(4 if bad else 0):
        mid = (lo + bad) / 2
        r = probe(mid)
        if ok(r):
            good, lo = r, mid
        else:
            bad = mid
    out = dict(good) if good else {"received_per_s": 0,
                                   "dgrams_per_cpu_s": None,
                                   "proxy_core_busy": None}
    out["probes"] = probes
    return out


def run_mode(t, mode, exe, args, load, d):
    """One run of both loads in mode ("direct" or a tproxyd binary)."""
    out = {"loadavg": loadavg()}
    proc = None
    pin = ["nice", "-n", str(args.nice), "taskset", "-c", args.load_cpu, load]
    if exe:
        must(t, t.rtr, ["nft", "-f", "-"], input=RULES)
        proc = start_tproxyd(t, exe, d, args.proxy_cpu, args.nice)
    try:
        # DNS-sized request/response to an echo on port 53.
        echo = t.popen(t.srv, pin + ["echo", DNS_PORT, args.secs + 20],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert echo.stdout.readline().strip() == b"ready"
        c0 = cpu(proc.pid) if proc else 0
        p = must(t, t.cli, pin + ["rr", netns.SRV4, DNS_PORT, args.flows,
                                  args.secs, DNS_SIZE],
                 timeout=args.secs + 30)
        c1 = cpu(proc.pid) if proc else 0
        echo.kill()
        echo.wait(5)
        r = json.loads(p.stdout)
        out["udp-dns"] = {
            "answers_per_s": r["n"] / args.secs, "p50_us": r["p50_us"],
            "p99_us": r["p99_us"], "resent": r["resent"],
            "proxy_cpu_s": c1 - c0,
            # each answer is two datagrams relayed
            "dgrams_per_cpu_s": (2 * r["n"] / (c1 - c0))
            if proc and c1 > c0 else None}
        # Bulk 1,200-byte stream to a counting sink on port 4433: as
        # fast as the sender goes, then the highest paced rate carried
        # with at most --loss lost (single datagrams, then GSO).
        out["udp-bulk"] = bulk_once(t, proc, exe, args, load, 0, 0,
                                    args.secs, args.perf)
        out["udp-bulk-paced"] = search(t, proc, args, load, 0)
        if args.gso:
            out["udp-bulk-gso"] = search(t, proc, args, load, args.gso)
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
            t.run(t.rtr, ["nft", "flush", "ruleset"])
    return out


def med(runs, load, key):
    v = [r[load][key] for r in runs
         if load in r and r[load].get(key) is not None]
    if not v:
        return None, None, None
    return statistics.median(v), min(v), max(v)


def fmt(m, digits=0):
    v, lo, hi = m
    if v is None:
        return "-"
    f = "%%.%df" % digits
    return (f + " <sub>" + f + "–" + f + "</sub>") % (v, lo, hi)


def table(res, modes, args):
    d = res["direct"]
    rows = ["| load | " + " | ".join(modes) + " | " +
            " | ".join("%s/direct" % m for m in modes[1:]) + " |",
            "|---" * (2 * len(modes)) + "|"]

    def row(name, load, key, digits=0, ratio=True):
        ms = [med(res[m], load, key) for m in modes]
        cells = [fmt(x, digits) for x in ms]
        rats = []
        for x in ms[1:]:
            if ratio and x[0] is not None and ms[0][0]:
                rats.append("**%.2f**" % (x[0] / ms[0][0]))
            else:
                rats.append("")
        rows.append("| %s | %s | %s |" % (name, " | ".join(cells),
                                          " | ".join(rats)))
    row("udp-dns answers/s (%d flows)" % args.flows, "udp-dns",
        "answers_per_s")
    row("udp-dns RTT p50 (us)", "udp-dns", "p50_us", 0)
    row("udp-dns RTT p99 (us)", "udp-dns", "p99_us", 0)
    row("udp-dns datagrams per proxy CPU-s", "udp-dns", "dgrams_per_cpu_s",
        0, False)
    row("udp-bulk, flood: 1,200 B sent/s", "udp-bulk", "sent_per_s")
    row("udp-bulk, flood: received/s", "udp-bulk", "received_per_s")
    row("udp-bulk, flood: proxy core busy (CPU-s/s)", "udp-bulk",
        "proxy_core_busy", 2, False)
    row("udp-bulk, flood: datagrams per proxy CPU-s", "udp-bulk",
        "dgrams_per_cpu_s", 0, False)
    row("**udp-bulk: highest rate with <= %g %% loss (datagrams/s)**" % (
        100 * args.loss), "udp-bulk-paced", "received_per_s")
    row("udp-bulk at that rate: proxy core busy", "udp-bulk-paced",
        "proxy_core_busy", 2, False)
    row("udp-bulk at that rate: datagrams per proxy CPU-s",
        "udp-bulk-paced", "dgrams_per_cpu_s", 0, False)
    if args.gso:
        row("**udp-bulk-gso (%d a send): highest rate with <= %g %% "
            "loss**" % (args.gso, 100 * args.loss), "udp-bulk-gso",
            "received_per_s")
        row("udp-bulk-gso at that rate: proxy core busy", "udp-bulk-gso",
            "proxy_core_busy", 2, False)
        row("udp-bulk-gso at that rate: datagrams per proxy CPU-s",
            "udp-bulk-gso", "dgrams_per_cpu_s", 0, False)
    del d
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--secs", type=float, default=5)
    ap.add_argument("--flows", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline", default=None,
                    help="another tproxyd binary: tproxyd-before")
    ap.add_argument("--gso", type=int, default=32,
                    help="the udp-bulk-gso load: N datagrams per send with "
                    "UDP_SEGMENT, as QUIC stacks send (0: not run)")
    ap.add_argument("--loss", type=float, default=0.01,
                    help="paced loads: the loss allowed (fraction)")
    ap.add_argument("--probe-secs", type=float, default=1.0,
                    help="paced loads: seconds per probed rate")
    ap.add_argument("--perf", default=None,
                    help="record tproxyd's bulk run with perf record -g "
                    "into PREFIX.NAME (NAME: the build's parent folder)")
    ap.add_argument("--nice", type=int, default=-10,
                    help="niceness of the load and of tproxyd alike, so "
                    "that other work on a shared host takes less of "
                    "their CPUs")
    ap.add_argument("--load-cpu", default="0")
    ap.add_argument("--proxy-cpu", default="1")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    modes = {"direct": None,
             "tproxyd": os.path.join(args.build, "tproxyd")}
    if args.baseline:
        modes["tproxyd-before"] = os.path.abspath(args.baseline)
    names = list(modes)
    tmp = tempfile.mkdtemp(prefix="udpbench-")
    load = os.path.join(tmp, "udp_load")
    subprocess.run(["cc", "-O2", "-Wall", "-o", load, LOAD_SRC], check=True,
                   timeout=60)
    os.chmod(tmp, 0o755)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    la0 = loadavg()
    res = {m: [] for m in names}
    with netns.Topology() as t:
        must(t, t.rtr, ["ip", "-4", "rule", "add", "fwmark", "1",
                        "lookup", "100"])
        must(t, t.rtr, ["ip", "-4", "route", "add", "local", "0.0.0.0/0",
                        "dev", "lo", "table", "100"])
        for dev in ("all", "default", "r0", "r1"):
            t.sysctl(t.rtr, "net.ipv4.conf.%s.rp_filter" % dev, "0")
        for i in range(args.runs):
            order = names if i % 2 == 0 else names[::-1]
            for m in order:
                res[m].append(run_mode(t, m, modes[m], args, load, tmp))
                print("run %d %s: %s" % (i + 1, m, json.dumps(res[m][-1])),
                      flush=True)
    text = table(res, names, args)
    head = ("`python3 bench/udp_bench.py %s` (%s, load average %s before "
            "the run, %s after; median of %d runs of %g s, "
            "<sub>min–max</sub>; load on CPU %s, tproxyd on CPU %s, both at "
            "nice %d)" % (
                " ".join(sys.argv[1:]), started, la0, loadavg(), args.runs,
                args.secs, args.load_cpu, args.proxy_cpu, args.nice))
    print(head)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(head + "\n\n" + text + "\n\n```\n" +
                    json.dumps(res, indent=1) + "\n```\n")


if __name__ == "__main__":
    main()
