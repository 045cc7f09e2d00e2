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

For tproxyd both give datagrams relayed per CPU-second of tproxyd (its
utime + stime over the run, from /proc). The client and server are
Python (udp_load.py): on this 2-core box they, not the relay, may bound
the rates, which is why the per-CPU-second figure is the one to compare
between versions. Root only; namespaces with a per-run name, removed on
exit; traffic only inside them (198.18.0.0/15).

    python3 bench/udp_bench.py [--build build] [--secs 5] [--flows 64]
"""
import argparse
import json
import os
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "netns"))
import netns  # noqa: E402

LOAD = os.path.join(TOP, "bench", "udp_load.py")
PY = "/usr/bin/python3"
CLK_TCK = os.sysconf("SC_CLK_TCK")
UDP_PORT = 3131
DNS_PORT = 53
BULK_PORT = 4433

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


def pct(v, q):
    return v[min(len(v) - 1, int(len(v) * q))] if v else 0


def start_tproxyd(t, build, d):
    conf = os.path.join(d, "tproxyd.conf")
    with open(conf, "w") as f:
        f.write("http_port 3129 tproxy\nudp_port %d tproxy\n"
                "pid_filename %s/pid\naccess_log %s/access.log\n"
                "cache_log %s/cache.log\nudp_idle_timeout 30 seconds\n"
                "udp_dns_idle_timeout 30 seconds\n"
                "visible_hostname bench.test\n" % (UDP_PORT, d, d, d))
    os.chmod(d, 0o755)
    p = t.popen(t.rtr, [os.path.join(build, "tproxyd"), "-N", "-f", conf],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            if "UDP datagrams at" in open(os.path.join(
                    d, "cache.log")).read():
                return p
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("tproxyd did not start")


def run_mode(t, mode, args, build, d):
    out = {}
    proc = None
    if mode == "tproxyd":
        must(t, t.rtr, ["nft", "-f", "-"], input=RULES)
        proc = start_tproxyd(t, build, d)
    try:
        # DNS-sized request/response.
        c0 = cpu(proc.pid) if proc else 0
        p = must(t, t.cli, [PY, LOAD, "rr", netns.SRV4, str(DNS_PORT),
                            str(args.flows), str(args.secs), "60"],
                 timeout=args.secs + 30)
        c1 = cpu(proc.pid) if proc else 0
        r = json.loads(p.stdout)
        rtt = r["rtt_us"]
        out["udp-dns"] = {"answers_per_s": r["n"] / args.secs,
                          "p50_us": pct(rtt, 0.5), "p99_us": pct(rtt, 0.99),
                          "proxy_cpu_s": c1 - c0,
                          "dgrams_per_cpu_s": (2 * r["n"] / (c1 - c0))
                          if proc and c1 > c0 else None}
        # Bulk 1,200-byte stream.
        sink = t.popen(t.srv, [PY, LOAD, "sink", str(BULK_PORT),
                               str(args.secs + 2)],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert sink.stdout.readline().strip() == b"ready"
        c0 = cpu(proc.pid) if proc else 0
        p = must(t, t.cli, [PY, LOAD, "bulk", netns.SRV4, str(BULK_PORT),
                            str(args.secs), "1200"],
                 timeout=args.secs + 30)
        c1 = cpu(proc.pid) if proc else 0
        sent = json.loads(p.stdout)["sent"]
        got = json.loads(sink.communicate(timeout=args.secs + 10)[0])
        out["udp-bulk"] = {"sent_per_s": sent / args.secs,
                           "received_per_s": got["n"] / args.secs,
                           "proxy_cpu_s": c1 - c0,
                           "dgrams_per_cpu_s": (got["n"] / (c1 - c0))
                           if proc and c1 > c0 else None}
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
            t.run(t.rtr, ["nft", "flush", "ruleset"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--secs", type=float, default=5)
    ap.add_argument("--flows", type=int, default=64)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    with netns.Topology() as t:
        for fam, dflt in (("-4", "0.0.0.0/0"),):
            must(t, t.rtr, ["ip", fam, "rule", "add", "fwmark", "1",
                            "lookup", "100"])
            must(t, t.rtr, ["ip", fam, "route", "add", "local", dflt,
                            "dev", "lo", "table", "100"])
        for dev in ("all", "default", "r0", "r1"):
            t.sysctl(t.rtr, "net.ipv4.conf.%s.rp_filter" % dev, "0")
        echo = t.popen(t.srv, [PY, LOAD, "echo", str(DNS_PORT)],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert echo.stdout.readline().strip() == b"ready"
        d = "/tmp/udpbench-%s" % t.prefix
        os.makedirs(d, exist_ok=True)
        res = {}
        for mode in ("direct", "tproxyd"):
            res[mode] = run_mode(t, mode, args, args.build, d)
    dd, tp = res["direct"]["udp-dns"], res["tproxyd"]["udp-dns"]
    db, tb = res["direct"]["udp-bulk"], res["tproxyd"]["udp-bulk"]
    rows = [
        "| load | direct | tproxyd | tproxyd/direct | tproxyd datagrams "
        "per CPU-s |",
        "|---|---|---|---|---|",
        "| udp-dns answers/s (%d flows) | %.0f | %.0f | %.2f | %s |" % (
            args.flows, dd["answers_per_s"], tp["answers_per_s"],
            tp["answers_per_s"] / dd["answers_per_s"],
            "%.0f" % tp["dgrams_per_cpu_s"] if tp["dgrams_per_cpu_s"]
            else "-"),
        "| udp-dns RTT p50 / p99 (us) | %d / %d | %d / %d | +%d / +%d "
        "added | |" % (dd["p50_us"], dd["p99_us"], tp["p50_us"],
                       tp["p99_us"], tp["p50_us"] - dd["p50_us"],
                       tp["p99_us"] - dd["p99_us"]),
        "| udp-bulk 1,200 B received/s | %.0f | %.0f | %.2f | %s |" % (
            db["received_per_s"], tb["received_per_s"],
            tb["received_per_s"] / db["received_per_s"]
            if db["received_per_s"] else 0,
            "%.0f" % tb["dgrams_per_cpu_s"] if tb["dgrams_per_cpu_s"]
            else "-"),
    ]
    text = "\n".join(rows)
    print(text)
    print(json.dumps(res, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n\n```\n" + json.dumps(res, indent=1) +
                    "\n```\n")


if __name__ == "__main__":
    main()
