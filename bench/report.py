"""
report.py - turn bench.py's per-run results into bench/results/results.md
(median of the runs per cell, min-max spread) and results.png (gnuplot).
Can be re-run on its own:  python3 bench/report.py bench/results
"""
import json
import os
import statistics
import subprocess
import sys

LOAD_ORDER = ["ka50", "ka1000", "close", "ka64k", "ka1m", "idle"]
LOAD_LABEL = {
    "ka50": "1 KiB keep-alive, 50 conns",
    "ka1000": "1 KiB keep-alive, 1000 conns",
    "close": "1 KiB new conn/request, 50 conns",
    "ka64k": "64 KiB keep-alive, 50 conns",
    "ka1m": "1 MiB keep-alive, 10 conns",
    "idle": "10,000 idle keep-alive conns",
}
SHORT = {"ka50": "1k ka 50", "ka1000": "1k ka 1000", "close": "1k close",
         "ka64k": "64k ka", "ka1m": "1m ka", "idle": "idle 10k"}
PROXY_ORDER = ["direct", "tproxyd", "haproxy", "squid", "nginx"]
MODES = [("pinned", "Per core: proxy pinned to CPU 1, one worker; "
          "wrk and origin on CPU 0"),
         ("2cpu", "2 CPUs: nothing pinned, proxy with two workers/threads "
          "(Squid: one, see README)")]


def cells(results):
    """{(mode, load, proxy): [run dicts]} for successful runs."""
    out = {}
    for r in results:
        if is_failed(r):
            continue
        out.setdefault((r["mode"], r["load"], r["proxy"]), []).append(r)
    return out


def is_failed(r):
    """A run that produced no measurement (its reason in r["failed"]);
    idle runs carry an integer "failed" = connections that failed."""
    return isinstance(r.get("failed"), str)


def med(runs, key):
    v = [r[key] for r in runs]
    return statistics.median(v), min(v), max(v)


def fmt(runs, key, scale=1.0, prec=0, spread=True):
    m, lo, hi = med(runs, key)
    f = "%%.%df" % prec
    s = f % (m * scale)
    if spread and len(runs) > 1:
        s += " <sub>" + f % (lo * scale) + "–" + f % (hi * scale) + "</sub>"
    return s


def write(out, results, facts, verified):
    c = cells(results)
    L = []
    L.append("# tproxyd benchmark results")
    L.append("")
    q = " (QUICK smoke run: not for quoting)" if facts["quick"] else ""
    L.append("Run %s%s. Machine: %s, %d CPUs, %d GiB, Linux %s." % (
        facts["date"], q, facts["cpu"], facts["ncpu"], facts["mem_gib"],
        facts["kernel"]))
    v = facts["versions"]
    L.append("Software: %s; %s; %s; %s; %s." % (
        v["tproxyd"], v["haproxy"], v["squid"], v["nginx"], v["wrk"]))
    L.append("Each cell: median of %d run(s) of %d s (idle: open + 5 s hold)"
             ", <sub>min–max</sub> below it. tproxyd `workers` directive: "
             "%s." % (facts["runs"], facts["duration"],
                      "used" if facts["tproxyd_workers"] else
                      "not supported by this build (one process)"))
    L.append("How to read this: bench/README.md.")
    L.append("")
    bad = [k for k, ok in verified.items() if not ok]
    L.append("Verification (origin saw the client's address through the "
             "proxy): " + ", ".join(
                 "%s/%s %s" % (k[1], k[0], "ok" if ok else "**FAILED**")
                 for k, ok in sorted(verified.items())) + ".")
    L.append("")
    failed = [r for r in results if is_failed(r)]
    for mode, title in MODES:
        loads = [ld for ld in LOAD_ORDER
                 if any(k[0] == mode and k[1] == ld for k in c)]
        if not loads:
            continue
        L.append("## " + title)
        L.append("")
        L.append("| load | proxy | req/s | p50 ms | p99 ms | MB/s | "
                 "CPU s / 100k req | peak RSS MiB | SYN retrans | errors |")
        L.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
        for ld in loads:
            for px in PROXY_ORDER:
                runs = c.get((mode, ld, px))
                if not runs:
                    continue
                direct = px == "direct"
                extra = ""
                if ld == "idle":
                    extra = " (%d/%d open)" % (
                        min(r["alive"] for r in runs),
                        max(r["opened"] + r.get("conn_failed",
                                                r.get("failed", 0))
                            for r in runs))
                L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                         % (LOAD_LABEL[ld], ("**%s**" % px if px == "tproxyd"
                                             else px),
                            fmt(runs, "rps"), fmt(runs, "p50_us", 1e-3, 2),
                            fmt(runs, "p99_us", 1e-3, 2),
                            fmt(runs, "mbps", 1, 1),
                            "–" if direct else fmt(runs, "cpu_per_100k", 1, 2),
                            "–" if direct else
                            fmt(runs, "rss_kib", 1 / 1024, 1) + extra,
                            "%d" % max(r["syn_retrans"] for r in runs),
                            "%d" % max(r["errors"] for r in runs)))
        L.append("")
    L += targets(c)
    if failed:
        L.append("## Failed runs")
        L.append("")
        for r in failed:
            L.append("- %s %s %s #%d: %s" % (r["mode"], r["proxy"], r["load"],
                                             r["run"], r["failed"]))
        L.append("")
    L.append("![requests/s and CPU per request](results.png)")
    L.append("")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(L))
    chart(out, c)


def targets(c):
    """The issue's targets, computed from the per-core (pinned) table."""
    def m(load, px, key, mode="pinned"):
        runs = c.get((mode, load, px))
        return statistics.median(r[key] for r in runs) if runs else None
    L = ["## Targets (issue 7), per-core figures", "",
         "| target | tproxyd | reference | ratio | met |",
         "|---|--:|--:|--:|:-:|"]

    def row(what, a, b, ratio_ok, fmt_a="%.3g", fmt_b="%.3g"):
        if a is None or b is None:
            L.append("| %s | n/a | n/a | | |" % what)
            return
        r = a / b if b else float("inf")
        L.append("| %s | %s | %s | %.2f | %s |" % (
            what, fmt_a % a, fmt_b % b, r, "yes" if ratio_ok(r) else "**no**"))
    eff = lambda px: (1e5 / m("ka50", px, "cpu_per_100k")
                      if m("ka50", px, "cpu_per_100k") else None)
    row("1 KiB keep-alive req per CPU-second ≥ 1.3× HAProxy",
        eff("tproxyd"), eff("haproxy"), lambda r: r >= 1.3, "%.0f", "%.0f")
    row("1 KiB keep-alive req per CPU-second ≥ 5× Squid",
        eff("tproxyd"), eff("squid"), lambda r: r >= 5, "%.0f", "%.0f")
    row("new connection per request req/s ≥ HAProxy",
        m("close", "tproxyd", "rps"), m("close", "haproxy", "rps"),
        lambda r: r >= 1, "%.0f", "%.0f")
    runs = c.get(("pinned", "close", "tproxyd"))
    if runs:
        s = max(r["syn_retrans"] for r in runs)
        L.append("| new connection per request: zero SYN retransmissions | "
                 "%d | 0 | | %s |" % (s, "yes" if s == 0 else "**no**"))
    row("1 MiB keep-alive MB/s ≥ 0.9× direct",
        m("ka1m", "tproxyd", "mbps"), m("ka1m", "direct", "mbps"),
        lambda r: r >= 0.9, "%.0f", "%.0f")
    row("p99 at 1,000 connections ≤ HAProxy's (ms)",
        (m("ka1000", "tproxyd", "p99_us") or 0) / 1e3
        if m("ka1000", "tproxyd", "p99_us") is not None else None,
        (m("ka1000", "haproxy", "p99_us") or 0) / 1e3
        if m("ka1000", "haproxy", "p99_us") is not None else None,
        lambda r: r <= 1, "%.2f", "%.2f")
    rss = m("idle", "tproxyd", "rss_kib")
    if rss is not None:
        L.append("| 10,000 idle connections ≤ 100 MiB RSS | %.1f MiB | "
                 "100 MiB | | %s |" % (rss / 1024,
                                       "yes" if rss <= 100 * 1024 else "**no**"))
    L.append("")
    return L


def chart(out, c):
    """Two clustered bar charts (per-core runs): req/s relative to direct
    (idle excluded) and CPU seconds per 100k requests; log scales."""
    loads = [ld for ld in LOAD_ORDER if ld != "idle"
             and any(k[0] == "pinned" and k[1] == ld for k in c)]
    if not loads or not shutil_which("gnuplot"):
        return
    pxs = [p for p in PROXY_ORDER
           if any(k[0] == "pinned" and k[2] == p for k in c)]
    dat = os.path.join(out, "results.dat")
    with open(dat, "w") as f:
        f.write("# load " + " ".join(["%s_rps %s_cpu" % (p, p) for p in pxs])
                + "\n")
        for ld in loads:
            row = ['"%s"' % SHORT[ld]]
            for p in pxs:
                runs = c.get(("pinned", ld, p))
                if runs:
                    row.append("%.1f" % statistics.median(r["rps"] for r in runs))
                    cpu = statistics.median(r["cpu_per_100k"] for r in runs)
                    row.append("%.4f" % cpu if p != "direct" else "NaN")
                else:
                    row += ["NaN", "NaN"]
            f.write(" ".join(row) + "\n")
    col = {"direct": "#999999", "tproxyd": "#d62728", "haproxy": "#1f77b4",
           "squid": "#2ca02c", "nginx": "#ff7f0e"}
    plots_r = ", ".join("'%s' using %d:xtic(1) title '%s' lc rgb '%s'"
                        % (dat, 2 + 2 * i, p, col[p])
                        for i, p in enumerate(pxs))
    plots_c = ", ".join("'%s' using %d:xtic(1) title '%s' lc rgb '%s'"
                        % (dat, 3 + 2 * i, p, col[p])
                        for i, p in enumerate(pxs) if p != "direct")
    gp = """
set terminal pngcairo size 1400,560 font ',10'
set output '%s'
set multiplot layout 1,2 title 'tproxyd vs peers, proxy pinned to one CPU (median of runs)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top right
set grid ytics
set logscale y
set title 'requests/s (higher is better)'
plot %s
set title 'proxy CPU seconds per 100,000 requests (lower is better)'
plot %s
unset multiplot
""" % (os.path.join(out, "results.png"), plots_r, plots_c)
    subprocess.run(["gnuplot"], input=gp, text=True, check=False, timeout=60)


def shutil_which(x):
    import shutil
    return shutil.which(x)


if __name__ == "__main__":
    d = sys.argv[1] if len(sys.argv) > 1 else "bench/results"
    with open(os.path.join(d, "raw.json")) as f:
        res = json.load(f)
    with open(os.path.join(d, "facts.json")) as f:
        meta = json.load(f)
    write(d, res, meta["facts"],
          {tuple(k.split("/")): v for k, v in meta["verified"].items()})
