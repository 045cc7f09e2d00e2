# SPDX-License-Identifier: GPL-2.0-or-later
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
    "tls-new": "HTTPS, 1 KiB responses, a new TLS connection (full "
               "handshake) per request, 50 at a time",
    "tls-1m": "HTTPS, 1 MiB responses, 10 keep-alive connections",
    "tls-idle": "HTTPS, {n} idle spliced connections",
}
# The HTTPS loads (port 443 intercepted, spliced by server name): their own
# table, per core only.
TLS_ORDER = ["tls-new", "tls-1m", "tls-idle"]
# Bumped (decrypted) HTTPS, issue 16: their own table, per core only.
BUMP_ORDER = ["bump-new", "bump-ka", "bump-1m", "bump-miss", "bump-hit",
              "bump-connect"]
BUMP_LABEL = {
    "bump-new": "bumped HTTPS, 1 KiB, a new TLS connection per request, "
                "50 at a time",
    "bump-ka": "bumped HTTPS, 1 KiB, 50 keep-alive connections",
    "bump-1m": "bumped HTTPS, 1 MiB, 10 keep-alive connections",
    "bump-miss": "bumped HTTPS, first visits: a new server name per "
                 "connection (certificate cache misses)",
    "bump-hit": "bumped HTTPS, repeat visits: the same names again "
                "(certificate cache hits)",
    "bump-connect": "bumped HTTPS through CONNECT on the forward port "
                    "(http_port ssl-bump), 1 KiB, 50 keep-alive "
                    "connections (bumpclient.py)",
}
ALL_LOADS = LOAD_ORDER + TLS_ORDER
PROXY_ORDER = ["direct", "tproxyd", "tproxyd-before", "haproxy",
               "haproxy-default", "squid", "squid-default", "nginx",
               "nginx-default", "mitmproxy"]
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
    "mitmproxy": "mitmproxy (mitmdump, transparent mode; connects from "
                 "its own address)",
}
# The same programs in the HTTPS rows (bench/peers/*-tls.*).
TLS_LABEL = {
    "direct": "direct forwarding (no proxy)",
    "tproxyd": "tproxyd (peek step1, splice all)",
    "tproxyd-before": "tproxyd-before (baseline binary)",
    "haproxy": "HAProxy (req.ssl_sni, splicing)",
    "haproxy-default": "HAProxy (req.ssl_sni, defaults: no splicing)",
    "squid": "Squid (ssl_bump peek step1, splice all)",
    "nginx": "nginx (stream, ssl_preread)",
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
    L.append("Run %s%s. Machine: %s, %d CPUs, %d GiB, Linux %s, TCP "
             "congestion control %s." % (
                 facts["date"], q, facts["cpu"], facts["ncpu"],
                 facts["mem_gib"], facts["kernel"],
                 facts.get("tcp_cc", "the host's")))
    v = facts["versions"]
    L.append("Software: %s; %s; %s; %s;%s %s (load); origin server nginx "
             "as above." % (v["tproxyd"], v["haproxy"], v["squid"],
                            v["nginx"], " %s;" % v["mitmproxy"]
                            if v.get("mitmproxy", "?") != "?" else "",
                            v["wrk"]))
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
    L += tls_tables(c, facts, failed)
    L += bump_tables(c, facts)
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


def load_label(load, c):
    """LOAD_LABEL[load], with the number of idle TLS connections the runs
    opened."""
    n = [r.get("opened", 0) + r.get("conn_failed", 0)
         for k, v in c.items() if k[1] == load for r in v]
    return LOAD_LABEL[load].replace("{n}", "{:,}".format(max(n) if n
                                                          else 0))


def tls_tables(c, facts, failed):
    """The HTTPS rows: one table (per core), every proxy that ran them and
    a "not available" row for a tproxyd build that does not accept its
    HTTPS configuration."""
    loads = [ld for ld in TLS_ORDER if any(k[1] == ld for k in c)
             or any(r["load"] == ld for r in failed)]
    if not loads:
        return []
    unavail = {k: v for k, v in (facts.get("tls_unavailable") or {}).items()
               if v}
    L = ["## HTTPS: port 443 intercepted, spliced by server name (per "
         "core)", "",
         "Each proxy reads the client's TLS ClientHello for its server name "
         "(SNI), decides, and relays the bytes unchanged to the original "
         "destination with the client's address (nothing is decrypted); "
         "the origin (nginx, TLS 1.3, EC P-256 certificate) makes a full "
         "handshake for every connection. In the new-connection row "
         "req/s = new TLS connections per second and CPU s per 10k "
         "requests = per 10,000 connections; wrk's latency starts after "
         "the handshake. Idle: each connection sent a ClientHello, got the "
         "origin's answer through the proxy and stays open, spliced, with "
         "an origin connection behind it; CPU covers opening them.", "",
         "| load | proxy | req/s | p50 ms | p99 ms | MB/s | "
         "CPU s / 10k req | peak RSS MiB | origin conn / req | "
         "SYN retrans | errors |",
         "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for ld in loads:
        label = load_label(ld, c)
        for px in PROXY_ORDER:
            runs = c.get(("pinned", ld, px))
            name = TLS_LABEL.get(px, px)
            if px == "tproxyd":
                name = "**%s**" % name
            if not runs:
                if px in unavail and ld in facts.get("tls_loads", [ld]):
                    L.append("| %s | %s | not available in this build "
                             "(below) | | | | | | | | |" % (label, name))
                continue
            direct = px == "direct"
            idle = ld == "tls-idle"
            rss = "–" if direct else fmt(runs, "rss_kib", 1 / 1024, 1)
            if idle:
                rss += " (%d/%d open)" % (
                    min(r["alive"] for r in runs),
                    max(r["opened"] + r.get("conn_failed", 0)
                        for r in runs))
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s "
                     "| %s |" % (
                         label, name,
                         "–" if idle else fmt(runs, "rps"),
                         "–" if idle else fmt(runs, "p50_us", 1e-3, 2),
                         "–" if idle else fmt(runs, "p99_us", 1e-3, 2),
                         "–" if idle else fmt(runs, "mbps", 1, 1),
                         "–" if direct else fmt(runs, "cpu_per_10k", 1, 3),
                         rss,
                         fmt(runs, "origin_conns_per_req", 1, 2,
                             spread=False),
                         "%d" % max(r["syn_retrans"] for r in runs),
                         "%d" % max(r["errors"] for r in runs)))
    L.append("")
    for px, why in sorted(unavail.items()):
        L.append("- %s: not measured: `-k parse` refuses its HTTPS "
                 "configuration (bench/peers/tproxyd-tls.conf): %s" % (
                     px, why))
    if unavail:
        L.append("")
    L += tls_targets(c, unavail)
    return L


def bump_tables(c, facts):
    """The bumped-HTTPS rows (issue 16): per core, tproxyd and Squid
    (direct: the same load without a proxy), and tproxyd's ratio of
    connections or requests per proxy CPU-second to Squid's."""
    loads = [ld for ld in BUMP_ORDER if any(k[1] == ld for k in c)]
    if not loads:
        return []
    L = ["## Bumped HTTPS: port 443 intercepted and decrypted (per core)",
         "",
         "Each proxy peeks at the ClientHello, connects to the origin with "
         "TLS of its own (verifying its certificate against the bench's "
         "origin CA) and answers the client with a certificate made by the "
         "bench's bumping CA, mimicking the origin's; the clients trust the "
         "bumping CA (wrk does not verify; bumpclient.py and the "
         "verification curl do). CPU s per 10k = per 10,000 requests (in "
         "the new-connection and certificate rows: connections). "
         "Certificate rows: %d names, one connection each, bumpclient.py "
         "(Python, 10 at a time; latency includes connect and handshakes). "
         "kTLS: %s. The CONNECT row: nothing intercepted, the clients "
         "use the forward port (http_port ssl-bump); the origin sees the "
         "router's address." % (facts.get("bump_names") or 0,
                                facts.get("ktls", "?")), "",
         "| load | proxy | req/s | p50 ms | p99 ms | MB/s | "
         "CPU s / 10k req | req per CPU-second | vs Squid | peak RSS MiB | "
         "origin conn / req | errors |",
         "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for ld in loads:
        sq = m(c, "pinned", ld, "squid", "cpu_per_10k")
        for px in ("direct", "tproxyd", "squid", "mitmproxy"):
            runs = c.get(("pinned", ld, px))
            if not runs:
                continue
            direct = px == "direct"
            v = m(c, "pinned", ld, px, "cpu_per_10k")
            eff = "–" if direct or not v else "{:,.0f}".format(1e4 / v)
            ratio = ("%.2f×" % (sq / v) if px == "tproxyd" and v and sq
                     else "–")
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s "
                     "| %s | %s |" % (
                         BUMP_LABEL[ld],
                         "**tproxyd**" if px == "tproxyd" else
                         PROXY_LABEL[px].split(" (")[0] if not direct
                         else PROXY_LABEL[px],
                         fmt(runs, "rps"), fmt(runs, "p50_us", 1e-3, 2),
                         fmt(runs, "p99_us", 1e-3, 2),
                         fmt(runs, "mbps", 1, 1),
                         "–" if direct else fmt(runs, "cpu_per_10k", 1, 3),
                         eff, ratio,
                         "–" if direct else fmt(runs, "rss_kib", 1 / 1024,
                                                1),
                         fmt(runs, "origin_conns_per_req", 1, 2,
                             spread=False),
                         "%d" % max(r["errors"] for r in runs)))
    L += ["", "Target (issue 16): tproxyd's requests per proxy CPU-second "
          "≥ 2× Squid's (the \"vs Squid\" column)."]
    if any(k[2] == "mitmproxy" for k in c):
        L += ["", "mitmproxy (Debian's mitmdump %s, one Python process): "
              "transparent mode on the TPROXY port, its documented custom "
              "CA, `flow_detail=0 termlog_verbosity=error "
              "stream_large_bodies=64k` (defaults: 1, info, unset: every "
              "request printed, bodies buffered whole); it connects to the "
              "origin from its own address (no spoofing), which is less "
              "work than the others do." % facts.get("versions", {}).get(
                  "mitmproxy", "?")]
    L.append("")
    return L


def tls_targets(c, unavail):
    """Issue 13's HTTPS targets against the best peer, per core."""
    peers = ("haproxy", "squid", "nginx")

    def mp(load, px, key):
        return m(c, "pinned", load, px, key)

    def eff(px):
        v = mp("tls-new", px, "cpu_per_10k")
        return 1e4 / v if v else None
    L = ["### Targets (issue 13), HTTPS, per core, peers in their best "
         "configurations", "",
         "| target | tproxyd | reference | ratio | met |",
         "|---|--:|--:|--:|:-:|"]
    na = ("n/a (tproxyd: not available in this build)" if "tproxyd" in unavail
          else "n/a")
    best = [(eff(p), p) for p in peers if eff(p)]
    best = max(best) if best else (None, None)
    t = eff("tproxyd")
    what = ("new TLS connections per proxy CPU-second ≥ 1.3× the best peer"
            + (" (%s)" % TLS_LABEL[best[1]].split(" (")[0] if best[1]
               else ""))
    if t is None or best[0] is None:
        L.append("| %s | %s | %s | | %s |" % (
            what, "n/a" if t is None else "%.0f" % t,
            "n/a" if best[0] is None else "%.0f" % best[0], na))
    else:
        r = t / best[0]
        L.append("| %s | %.0f | %.0f | %.2f | %s |" % (
            what, t, best[0], r, "yes" if r >= 1.3 else "**no**"))
    a, b = mp("tls-1m", "tproxyd", "mbps"), mp("tls-1m", "direct", "mbps")
    what = "HTTPS 1 MiB MB/s ≥ 0.9× direct"
    if a is None or b is None:
        L.append("| %s | %s | %s | | %s |" % (
            what, "n/a" if a is None else "%.0f" % a,
            "n/a" if b is None else "%.0f" % b, na))
    else:
        L.append("| %s | %.0f | %.0f | %.2f | %s |" % (
            what, a, b, a / b, "yes" if a / b >= 0.9 else "**no**"))
    rss = {p: mp("tls-idle", p, "rss_kib") for p in ("tproxyd",) + peers}
    low = [(v, p) for p, v in rss.items() if p != "tproxyd" and v]
    low = min(low) if low else (None, None)
    what = ("peak RSS with the idle spliced connections, against the "
            "lowest peer%s (no target: reported)" % (
                " (%s)" % TLS_LABEL[low[1]].split(" (")[0] if low[1]
                else ""))
    if rss["tproxyd"] is None or low[0] is None:
        L.append("| %s | %s | %s | | – |" % (
            what, "n/a" if rss["tproxyd"] is None else
            "%.1f MiB" % (rss["tproxyd"] / 1024),
            "n/a" if low[0] is None else "%.1f MiB" % (low[0] / 1024)))
    else:
        L.append("| %s | %.1f MiB | %.1f MiB | %.2f | – |" % (
            what, rss["tproxyd"] / 1024, low[0] / 1024,
            rss["tproxyd"] / low[0]))
    L.append("")
    return L


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
                                 ALL_LOADS.index(x[1])))
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
                        load_label(load, c), rps[0], rps[1], rps[2],
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
    ("tls-new", "cpu_per_10k", 1, "HTTPS spliced by server name, a new TLS "
     "connection per request:\nproxy CPU seconds per 10,000 connections "
     "(lower is better)", "{:.2f}"),
    ("tls-idle", "rss_kib", 1 / 1024, "HTTPS spliced by server name, {n} "
     "idle connections:\nproxy memory (peak resident), MiB (lower is "
     "better)", "{:,.1f}"),
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

    tls_label = {
        "direct": label["direct"],
        "tproxyd": "tproxyd %s\n(peek step1, splice all)" % ver["tproxyd"],
        "tproxyd-before": label["tproxyd-before"],
        "haproxy": "HAProxy %s\n(req.ssl_sni, splicing)" % ver["haproxy"],
        "haproxy-default": "HAProxy %s\n(req.ssl_sni, no splicing)"
        % ver["haproxy"],
        "squid": "Squid %s\n(peek step1, splice all)" % ver["squid"],
        "nginx": "nginx %s\n(stream, ssl_preread)" % ver["nginx"],
    }
    unavail = {k for k, v in (facts.get("tls_unavailable") or {}).items()
               if v}

    fig = plt.figure(figsize=(16, 22.5), dpi=100)
    gs = fig.add_gridspec(4, 2, left=0.16, right=0.975, top=0.898,
                          bottom=0.085, hspace=0.36, wspace=0.6)
    for i, (load, key, scale, title, vf) in enumerate(PANELS):
        ax = fig.add_subplot(gs[i // 2, i % 2])
        idle = [r.get("opened", 0) + r.get("conn_failed", 0)
                for k, v in c.items() if k[1] == "idle" for r in v]
        title = title.replace("{idle}", "{:,}".format(
            max(idle) if idle else 10000))
        title = title.replace("{n}", load_label("tls-idle", c).split(
            ", ")[1].split(" ")[0])
        ax.set_title(title, fontsize=12.5, loc="left")
        pxs = [p for p in PROXY_ORDER if ("pinned", load, p) in c
               and not (p == "direct" and key in ("cpu_per_100k",
                                                  "cpu_per_10k",
                                                  "rss_kib"))
               and all(key in r for r in c[("pinned", load, p)])]
        # a tproxyd build without HTTPS: its row says so, no bar
        na = (["tproxyd"] if load in TLS_ORDER and "tproxyd" in unavail
              and pxs and "tproxyd" not in pxs else [])
        if na:
            pxs.insert(1 if pxs[0] == "direct" else 0, "tproxyd")
        if not pxs:
            ax.text(0.5, 0.5, "not measured in this run", ha="center",
                    va="center", transform=ax.transAxes, fontsize=12)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        meds, los, his = [], [], []
        for p in pxs:
            if p in na:
                meds.append(0)
                los.append(0)
                his.append(0)
                continue
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
        ax.set_yticklabels([(tls_label if load in TLS_ORDER else label)[p]
                            for p in pxs], fontsize=10)
        for t, p in zip(ax.get_yticklabels(), pxs):
            if p == "tproxyd":
                t.set_fontweight("bold")
        # One far larger value (Squid's p99) would flatten the others:
        # then the axis ends at 2.5x the next largest and that bar is
        # drawn cut, its value written on it.
        ends = sorted(md + h for md, h, p in zip(meds, his, pxs)
                      if p not in na)
        top = ends[-1]
        if len(ends) > 1 and ends[-1] > 4 * ends[-2]:
            top = 2.5 * ends[-2]
        ax.set_xlim(0, top * 1.3)
        for yy, md, h, p in zip(y, meds, his, pxs):
            if p in na:
                ax.text(top * 0.015, yy, "not available in this build",
                        va="center", fontsize=10.5, fontweight="bold",
                        color=COLOR["tproxyd"])
                continue
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
    fig.text(0.02, 0.9907, "tproxyd against HAProxy, Squid and nginx" + (
        "   [QUICK SMOKE RUN: NOT FOR QUOTING]" if quick else ""),
        fontsize=18, fontweight="bold", va="top",
        color="#b71c1c" if quick else "black")
    fig.text(0.02, 0.9751, "as transparent proxies on Linux (TPROXY) "
             "that present each client's own address to the server: HTTP, "
             "and HTTPS relayed by server name (bottom row)",
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
    fig.text(0.02, 0.9596, "\n".join(lines), fontsize=11.5, va="top",
             linespacing=1.5)
    if facts.get("chart_note"):
        fig.text(0.02, 0.0607, facts["chart_note"], fontsize=12,
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
    fig.text(0.02, 0.0451, "\n".join(foot), fontsize=10.5, va="top",
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
