"""
report.py - turn bench.py's per-run results into bench/results/results.md
(median of the runs per cell, min-max spread, before/after table) and
results.png (matplotlib). Can be re-run on its own:

    python3 bench/report.py bench/results
"""
import json
import os
import re
import statistics
import sys

LOAD_ORDER = ["ka50", "ka1000", "close", "ka64k", "ka1m", "idle"]
LOAD_LABEL = {
    "ka50": "1 KiB responses, 50 keep-alive connections",
    "ka1000": "1 KiB responses, 1,000 keep-alive connections",
    "close": "1 KiB responses, new connection per request (50 at a time)",
    "ka64k": "64 KiB responses, 50 keep-alive connections",
    "ka1m": "1 MiB responses, 10 keep-alive connections",
    "idle": "10,000 idle keep-alive connections",
}
PROXY_ORDER = ["direct", "tproxyd", "tproxyd-before", "haproxy",
               "haproxy-default", "squid", "squid-default", "nginx",
               "nginx-default"]
# Names for tables and chart; the configurations are in bench/README.md.
PROXY_LABEL = {
    "direct": "direct forwarding (no proxy)",
    "tproxyd": "tproxyd",
    "tproxyd-before": "tproxyd-before (baseline binary)",
    "haproxy": "HAProxy (best: http-reuse never, splicing)",
    "haproxy-default": "HAProxy (defaults: http-reuse safe, no splicing)",
    "squid": "Squid (best: read_ahead_gap 256 KB)",
    "squid-default": "Squid (defaults: read_ahead_gap 16 KB)",
    "nginx": "nginx (best: proxy_buffering off, 64 KiB reads)",
    "nginx-default": "nginx (defaults: proxy_buffering on)",
}
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
    if any(key not in r for r in runs):
        return "–"     # not measured by the bench that wrote these runs
    m, lo, hi = med(runs, key)
    f = "%%.%df" % prec
    s = f % (m * scale)
    if spread and len(runs) > 1:
        s += " <sub>" + f % (lo * scale) + "–" + f % (hi * scale) + "</sub>"
    return s


def short_versions(facts):
    """{program: short version} from the version lines in facts."""
    v = facts.get("versions", {})

    def pick(key, pat):
        m = re.search(pat, v.get(key, ""))
        return m.group(1) if m else v.get(key, "?")
    return {
        "tproxyd": pick("tproxyd", r"version (\S+)"),
        "haproxy": pick("haproxy", r"version (\S+)"),
        "squid": pick("squid", r"Version (\S+)"),
        "nginx": pick("nginx", r"nginx/(\S+)"),
        "wrk": pick("wrk", r"wrk (?:debian/)?(\S+)"),
    }


def build_line(facts, name):
    b = facts.get("tproxyd_builds", {}).get(name)
    if not b:
        return None
    w = facts.get("workers_support", {}).get(name)
    return "%s: %s, commit %s, binary sha256 %s… (`%s`); its source has " \
        "the `workers` setter: %s" % (
            name, b["version"], b["commit"], b["sha256"], b["path"],
            {True: "yes", False: "no", None: "unknown"}[w])


def write(out, results, facts, verified, spoofcheck=None):
    c = cells(results)
    L = []
    L.append("# tproxyd benchmark results")
    L.append("")
    if facts.get("note"):
        L.append("**Note:** " + facts["note"])
        L.append("")
    q = " (QUICK smoke run: not for quoting)" if facts["quick"] else ""
    L.append("Run %s%s. Machine: %s, %d CPUs, %d GiB, Linux %s." % (
        facts["date"], q, facts["cpu"], facts["ncpu"], facts["mem_gib"],
        facts["kernel"]))
    v = facts["versions"]
    L.append("Software: %s; %s; %s; %s; %s (load); origin server nginx "
             "as above." % (v["tproxyd"], v["haproxy"], v["squid"],
                            v["nginx"], v["wrk"]))
    for name in ("tproxyd", "tproxyd-before"):
        bl = build_line(facts, name)
        if bl:
            L.append("")
            L.append("- " + bl)
    L.append("")
    L.append("Each cell: median of %d run(s) of %d s (idle: open + 5 s hold)"
             ", <sub>min–max</sub> below it. tproxyd `workers` directive: "
             "%s." % (facts["runs"], facts["duration"],
                      "used" if facts["tproxyd_workers"] else
                      "not supported by this build (one process)"))
    L.append("How to read this, and why each peer runs in the configuration "
             "it does: bench/README.md.")
    L.append("")
    pc = facts.get("peer_configs")
    if pc:
        L.append("Configuration lines that differ between a peer's best "
                 "configuration and its defaults: " + "; ".join(
                     "**%s**: `%s`" % (k, pc[k]) for k in PROXY_ORDER
                     if k in pc) + ".")
        L.append("")
    L.append("Verification (origin saw the client's address through the "
             "proxy%s): " % (", and each of two clients its own address"
                            if spoofcheck is not None else "") + ", ".join(
                 "%s/%s %s" % (k[1], k[0], "ok" if ok else "**FAILED**")
                 for k, ok in sorted(verified.items())) + ".")
    L.append("")
    bad = {k: x for k, x in (spoofcheck or {}).items() if not x.get("ok")}
    for k, x in sorted(bad.items()):
        L.append("- **%s**: spoofing check failed: %s" % (k, ", ".join(
            "%s wanted %s, origin saw %s" % (s["step"], s["want"], s["saw"])
            for s in x.get("steps", []) if s["saw"] != s["want"])
            or x.get("error", "?")))
    if bad:
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
                 "CPU s / 100k req | peak RSS MiB | origin conn / req | "
                 "SYN retrans | errors |")
        L.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
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
                name = PROXY_LABEL.get(px, px)
                L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s "
                         "| %s |"
                         % (LOAD_LABEL[ld], ("**%s**" % name
                                             if px == "tproxyd" else name),
                            fmt(runs, "rps"), fmt(runs, "p50_us", 1e-3, 2),
                            fmt(runs, "p99_us", 1e-3, 2),
                            fmt(runs, "mbps", 1, 1),
                            "–" if direct else fmt(runs, "cpu_per_100k", 1, 2),
                            "–" if direct else
                            fmt(runs, "rss_kib", 1 / 1024, 1) + extra,
                            fmt(runs, "origin_conns_per_req", 1, 2,
                                spread=False),
                            "%d" % max(r["syn_retrans"] for r in runs),
                            "%d" % max(r["errors"] for r in runs)))
        L.append("")
    L += efficiency(c)
    L += targets(c)
    L += before_after(c)
    if failed:
        L.append("## Failed runs")
        L.append("")
        for r in failed:
            L.append("- %s %s %s #%d: %s" % (r["mode"], r["proxy"], r["load"],
                                             r["run"], r["failed"]))
        L.append("")
    L.append("![tproxyd against HAProxy, Squid and nginx: requests per "
             "second, CPU per request, p99 latency, memory](results.png)")
    L.append("")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(L))
    chart(out, c, facts)


def m(c, mode, load, px, key):
    runs = c.get((mode, load, px))
    if not runs or any(key not in r for r in runs):
        return None
    return statistics.median(r[key] for r in runs)


def efficiency(c):
    """tproxyd's requests per proxy CPU-second at 1 KiB keep-alive, against
    HAProxy in its best configuration (and its defaults, if measured)."""
    L = ["## Requests per proxy CPU-second, 1 KiB keep-alive "
         "(50 connections)", ""]
    rows = []
    for mode, title in MODES:
        t = m(c, mode, "ka50", "tproxyd", "cpu_per_100k")
        if not t:
            continue
        for ref in ("haproxy", "haproxy-default", "squid", "nginx"):
            h = m(c, mode, "ka50", ref, "cpu_per_100k")
            if not h:
                continue
            rows.append("| %s | %s | %.0f | %.0f | %.2f× |" % (
                title.split(":")[0], PROXY_LABEL[ref], 1e5 / t, 1e5 / h,
                h / t))
    if not rows:
        return []
    L.append("100,000 / (CPU s per 100k requests), medians; the ratio is "
             "how many requests tproxyd serves per CPU-second for each one "
             "the other proxy serves.")
    L.append("")
    L.append("| setup | compared with | tproxyd req per CPU-s | its req per "
             "CPU-s | tproxyd / it |")
    L.append("|---|---|--:|--:|--:|")
    L += rows
    L.append("")
    return L


def targets(c):
    """The issue's targets, computed from the per-core (pinned) table,
    against the peers in their best configurations."""
    def mp(load, px, key):
        return m(c, "pinned", load, px, key)
    L = ["## Targets (issue 7), per-core figures, peers in their best "
         "configurations", "",
         "| target | tproxyd | reference | ratio | met |",
         "|---|--:|--:|--:|:-:|"]

    def row(what, a, b, ratio_ok, fmt_a="%.3g", fmt_b="%.3g"):
        if a is None or b is None:
            L.append("| %s | %s | %s | | n/a |" % (
                what, "n/a" if a is None else fmt_a % a,
                "n/a" if b is None else fmt_b % b))
            return
        r = a / b if b else float("inf")
        L.append("| %s | %s | %s | %.2f | %s |" % (
            what, fmt_a % a, fmt_b % b, r, "yes" if ratio_ok(r) else "**no**"))

    def eff(px):
        v = mp("ka50", px, "cpu_per_100k")
        return 1e5 / v if v else None
    row("1 KiB keep-alive req per CPU-second ≥ 1.3× HAProxy",
        eff("tproxyd"), eff("haproxy"), lambda r: r >= 1.3, "%.0f", "%.0f")
    row("1 KiB keep-alive req per CPU-second ≥ 5× Squid",
        eff("tproxyd"), eff("squid"), lambda r: r >= 5, "%.0f", "%.0f")
    row("new connection per request req/s ≥ HAProxy",
        mp("close", "tproxyd", "rps"), mp("close", "haproxy", "rps"),
        lambda r: r >= 1, "%.0f", "%.0f")
    runs = c.get(("pinned", "close", "tproxyd"))
    if runs:
        s = max(r["syn_retrans"] for r in runs)
        L.append("| new connection per request: zero SYN retransmissions | "
                 "%d | 0 | | %s |" % (s, "yes" if s == 0 else "**no**"))
    row("1 MiB keep-alive MB/s ≥ 0.9× direct",
        mp("ka1m", "tproxyd", "mbps"), mp("ka1m", "direct", "mbps"),
        lambda r: r >= 0.9, "%.0f", "%.0f")
    p99 = [mp("ka1000", px, "p99_us") for px in ("tproxyd", "haproxy")]
    row("p99 at 1,000 connections ≤ HAProxy's (ms)",
        p99[0] / 1e3 if p99[0] is not None else None,
        p99[1] / 1e3 if p99[1] is not None else None,
        lambda r: r <= 1, "%.2f", "%.2f")
    rss = mp("idle", "tproxyd", "rss_kib")
    if rss is not None:
        L.append("| 10,000 idle connections ≤ 100 MiB RSS | %.1f MiB | "
                 "100 MiB | | %s |" % (rss / 1024,
                                       "yes" if rss <= 100 * 1024 else "**no**"))
    L.append("")
    return L


def before_after(c):
    """tproxyd against tproxyd-before (--baseline), per setup and load:
    medians and after/before ratios. "overlap" says whether the two
    min-max ranges of req/s overlap (then the difference is within the
    run-to-run noise of this run)."""
    keys = sorted({(k[0], k[1]) for k in c if k[2] == "tproxyd-before"},
                  key=lambda x: ([md for md, _ in MODES].index(x[0]),
                                 LOAD_ORDER.index(x[1])))
    rows = []
    for mode, load in keys:
        a = c.get((mode, load, "tproxyd"))
        b = c.get((mode, load, "tproxyd-before"))
        if not a or not b:
            continue

        def pair(key, scale=1.0, prec=0):
            x = statistics.median(r[key] for r in b) * scale
            y = statistics.median(r[key] for r in a) * scale
            f = "%%.%df" % prec
            return f % x, f % y, ("%.3f" % (y / x)) if x else "–"
        rps = pair("rps")
        cpu = pair("cpu_per_100k", 1, 3)
        p99 = pair("p99_us", 1e-3, 2)
        rss = pair("rss_kib", 1 / 1024, 1)
        def overlap(key):
            if len(a) < 2 or len(b) < 2:
                return "–"     # one run each: no spread to compare
            lo_a, hi_a = min(r[key] for r in a), max(r[key] for r in a)
            lo_b, hi_b = min(r[key] for r in b), max(r[key] for r in b)
            return "yes" if lo_a <= hi_b and lo_b <= hi_a else "**no**"
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | "
                    "%s | %s | %s | %s | %s | %s |" % (
                        "per core" if mode == "pinned" else "2 CPUs",
                        LOAD_LABEL[load], rps[0], rps[1], rps[2],
                        overlap("rps"), cpu[0], cpu[1], cpu[2],
                        overlap("cpu_per_100k"), p99[0], p99[1], p99[2],
                        rss[0], rss[1], rss[2]))
    if not rows:
        return []
    return ["## tproxyd before/after (tproxyd-before = the --baseline "
            "binary)", "",
            "Same configuration, measured alternately in every repetition "
            "(tproxyd first in odd repetitions, tproxyd-before first in "
            "even ones). Medians; ratio = after / before (req/s: higher is "
            "better; CPU, p99, RSS: lower is better). \"overlap\": the "
            "before and after min–max ranges overlap, i.e. the difference "
            "is within this run's noise; only a \"no\" is a measured "
            "change.", "",
            "| setup | load | req/s before | req/s after | ratio | overlap "
            "| CPU s/100k before | after | ratio | overlap | p99 ms before | "
            "after | ratio | RSS MiB before | after | ratio |",
            "|---|---|--:|--:|--:|:-:|--:|--:|--:|:-:|--:|--:|--:|--:|--:|"
            "--:|"
            ] + rows + [""]


# -- chart ------------------------------------------------------------------

COLOR = {"direct": "#9e9e9e", "tproxyd": "#c62828",
         "tproxyd-before": "#ef9a9a", "haproxy": "#1565c0",
         "haproxy-default": "#90caf9", "squid": "#2e7d32",
         "squid-default": "#a5d6a7", "nginx": "#ef6c00",
         "nginx-default": "#ffcc80"}
# (load, key, scale, title, unit format)
PANELS = [
    ("ka50", "rps", 1, "1 KiB responses, 50 keep-alive connections:\n"
     "requests per second (higher is better)", "{:,.0f}"),
    ("ka50", "cpu_per_100k", 1, "1 KiB responses, 50 keep-alive connections:"
     "\nproxy CPU seconds per 100,000 requests (lower is better)", "{:.2f}"),
    ("ka1000", "p99_us", 1e-3, "1 KiB responses, 1,000 keep-alive "
     "connections:\n99th-percentile latency, ms (lower is better)",
     "{:,.1f}"),
    ("idle", "rss_kib", 1 / 1024, "{idle} idle keep-alive connections:\n"
     "proxy memory (peak resident), MiB (lower is better)", "{:,.1f}"),
    ("close", "rps", 1, "1 KiB responses, a new connection per request:\n"
     "requests per second (higher is better)", "{:,.0f}"),
    ("ka1m", "mbps", 1, "1 MiB responses, 10 keep-alive connections:\n"
     "MB per second delivered (higher is better)", "{:,.0f}"),
]


def chart(out, c, facts):
    """results.png: six horizontal bar panels (per-core setup), median
    bars with min-max whiskers, and the run's date, machine and program
    versions, readable without the code."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report: python3-matplotlib missing, no results.png",
              file=sys.stderr)
        return
    if not any(k[0] == "pinned" for k in c):
        return
    sv = short_versions(facts)
    ver = {k: re.sub(r"-\d.*$", "", v) for k, v in sv.items()}
    label = {
        "direct": "direct forwarding\n(no proxy: this machine's limit)",
        "tproxyd": "tproxyd %s" % ver["tproxyd"],
        "tproxyd-before": "tproxyd-before\n(baseline binary)",
        "haproxy": "HAProxy %s, best config\n(http-reuse never, splicing)"
        % ver["haproxy"],
        "haproxy-default": "HAProxy %s, defaults\n(http-reuse safe, no "
        "splicing)" % ver["haproxy"],
        "squid": "Squid %s, best config\n(read_ahead_gap 256 KB)"
        % ver["squid"],
        "squid-default": "Squid %s, defaults" % ver["squid"],
        "nginx": "nginx %s, best config\n(proxy_buffering off)"
        % ver["nginx"],
        "nginx-default": "nginx %s, defaults" % ver["nginx"],
    }

    fig = plt.figure(figsize=(16, 17.5), dpi=100)
    gs = fig.add_gridspec(3, 2, left=0.16, right=0.975, top=0.87,
                          bottom=0.11, hspace=0.34, wspace=0.6)
    for i, (load, key, scale, title, vf) in enumerate(PANELS):
        ax = fig.add_subplot(gs[i // 2, i % 2])
        idle = [r.get("opened", 0) + r.get("conn_failed", 0)
                for k, v in c.items() if k[1] == "idle" for r in v]
        title = title.replace("{idle}", "{:,}".format(
            max(idle) if idle else 10000))
        ax.set_title(title, fontsize=12.5, loc="left")
        pxs = [p for p in PROXY_ORDER if ("pinned", load, p) in c
               and not (p == "direct" and key in ("cpu_per_100k",
                                                  "rss_kib"))
               and all(key in r for r in c[("pinned", load, p)])]
        if not pxs:
            ax.text(0.5, 0.5, "not measured in this run", ha="center",
                    va="center", transform=ax.transAxes, fontsize=12)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        meds, los, his = [], [], []
        for p in pxs:
            md, lo, hi = med(c[("pinned", load, p)], key)
            meds.append(md * scale)
            los.append(md * scale - lo * scale)
            his.append(hi * scale - md * scale)
        y = list(range(len(pxs)))[::-1]
        ax.barh(y, meds, color=[COLOR[p] for p in pxs],
                hatch=None, edgecolor="black", linewidth=0.6, height=0.7)
        ax.errorbar(meds, y, xerr=[los, his], fmt="none", ecolor="black",
                    elinewidth=1.2, capsize=4)
        ax.set_yticks(y)
        ax.set_yticklabels([label[p] for p in pxs], fontsize=10)
        for t, p in zip(ax.get_yticklabels(), pxs):
            if p == "tproxyd":
                t.set_fontweight("bold")
        # One far larger value (Squid's p99) would flatten the others:
        # then the axis ends at 2.5x the next largest and that bar is
        # drawn cut, its value written on it.
        ends = sorted(md + h for md, h in zip(meds, his))
        top = ends[-1]
        if len(ends) > 1 and ends[-1] > 4 * ends[-2]:
            top = 2.5 * ends[-2]
        ax.set_xlim(0, top * 1.3)
        for yy, md, h in zip(y, meds, his):
            if md + h > top * 1.3:
                ax.text(top * 1.28, yy, vf.format(md) + " (off scale) ",
                        va="center", ha="right", fontsize=10.5,
                        fontweight="bold", color="black",
                        bbox=dict(facecolor="white", edgecolor="none",
                                  pad=1.5))
                continue
            ax.text(md + h + top * 0.015, yy, vf.format(md), va="center",
                    fontsize=10.5)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
            lambda x, _: "{:,.0f}".format(x) if x >= 10 or x == 0
            else "{:g}".format(x)))
        ax.tick_params(axis="x", labelsize=10)
        ax.grid(axis="x", color="#dddddd")
        ax.set_axisbelow(True)

    quick = facts.get("quick")
    fig.text(0.02, 0.988, "tproxyd against HAProxy, Squid and nginx" + (
        "   [QUICK SMOKE RUN: NOT FOR QUOTING]" if quick else ""),
        fontsize=18, fontweight="bold", va="top",
        color="#b71c1c" if quick else "black")
    fig.text(0.02, 0.968, "as transparent HTTP proxies on Linux (TPROXY) "
             "that present each client's own address to the server",
             fontsize=13, va="top")
    runs = facts.get("runs", 1)
    lines = [
        "Measured %s on %s, %d CPU cores, %d GiB memory, Linux %s." % (
            facts["date"], facts["cpu"], facts["ncpu"], facts["mem_gib"],
            facts["kernel"]),
        "Programs: tproxyd %s%s; HAProxy %s, Squid %s, nginx %s (Debian 12 "
        "packages); load generator wrk %s; origin web server nginx %s." % (
            sv["tproxyd"], (" (commit %s)" % facts["tproxyd_builds"]
                            ["tproxyd"]["commit"]
                            if "tproxyd_builds" in facts else ""),
            sv["haproxy"], sv["squid"], sv["nginx"], sv["wrk"], sv["nginx"]),
        "Setup: client, proxy and server in separate network namespaces on "
        "this machine; the proxy runs on one CPU core of its own (one "
        "worker), the load generator and the server share the other.",
        "Bars: median of %d run%s of %d s each; black whiskers: lowest "
        "and highest run.  Two-CPU figures and all other loads: "
        "results.md." % (runs, "" if runs == 1 else "s",
                         facts["duration"]),
    ]
    fig.text(0.02, 0.948, "\n".join(lines), fontsize=11.5, va="top",
             linespacing=1.5)
    if facts.get("chart_note"):
        fig.text(0.02, 0.078, facts["chart_note"], fontsize=12,
                 fontweight="bold", va="top", color="#b71c1c")
    b = facts.get("tproxyd_builds", {})
    foot = [
        "\"best\": the configuration each program's documentation gives "
        "for this job (transparent interception, spoofed client address), "
        "without sharing one client's spoofed server connection with "
        "another;",
        "\"defaults\": the same program with its default settings for "
        "those lines. Details and sources: bench/README.md.  CPU seconds "
        "count every process of the proxy (user + system time).",
    ]
    if "tproxyd-before" in b:
        foot.append("tproxyd: commit %s; tproxyd-before: commit %s (same "
                    "configuration, measured alternately)." % (
                        b["tproxyd"]["commit"], b["tproxyd-before"]["commit"]))
    fig.text(0.02, 0.058, "\n".join(foot), fontsize=10.5, va="top",
             linespacing=1.5, color="#333333")
    png = os.path.join(out, "results.png")
    fig.savefig(png)
    plt.close(fig)
    # A palette image is a third of the size and looks the same (flat
    # colours and text); Pillow comes with python3-matplotlib.
    try:
        from PIL import Image
        with Image.open(png) as im:
            q = im.convert("RGB").quantize(colors=128)
        q.save(png, optimize=True)
    except (ImportError, OSError):
        pass


if __name__ == "__main__":
    d = sys.argv[1] if len(sys.argv) > 1 else "bench/results"
    with open(os.path.join(d, "raw.json")) as f:
        res = json.load(f)
    with open(os.path.join(d, "facts.json")) as f:
        meta = json.load(f)
    write(d, res, meta["facts"],
          {tuple(k.split("/")): v for k, v in meta["verified"].items()},
          meta.get("spoofcheck"))
