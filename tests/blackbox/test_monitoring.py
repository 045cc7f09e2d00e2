# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_monitoring.py - /metrics as a monitoring system sees it (issue 18,
Monitoring): a real scrape after traffic passes `promtool check metrics`;
the request duration histogram counts what was sent, class by class and
bucket by bucket, as access.log logged it; the process_* figures are the
kernel's; the Grafana dashboard is a dashboard, and every query of it and
of the alert rules names metrics that a real scrape has; and Debian's
Prometheus server, scraping tproxyd every second on loopback, evaluates
every dashboard and alert expression without an error, with data for the
main ones, and sees TproxydDown coming when tproxyd stops.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

import harness
from harness import curl, free_port, poll, scrape_metrics

REPO = harness.REPO
DASHBOARD = REPO / "packaging" / "grafana" / "tproxyd.json"
GENERATOR = REPO / "packaging" / "grafana" / "make-dashboard.py"
RULES = REPO / "packaging" / "prometheus" / "tproxyd-alerts.yml"
RULES_TEST = REPO / "packaging" / "prometheus" / "tproxyd-alerts.test.yml"

# tproxyd's result classes of access.log codes (stats_result_class()).
EXACT = {"TCP_REFRESH_UNMODIFIED": "hit", "TCP_REFRESH_MODIFIED": "miss",
         "TCP_TUNNEL": "tunnel", "TCP_DENIED": "denied",
         "TCP_DENIED_REPLY": "denied"}
CLASSES = ("hit", "miss", "tunnel", "denied", "other")
LE = ("0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
      "0.5", "1", "2.5", "5", "10", "30", "60", "300", "+Inf")

# Rewriter that changes nothing, answering each request "ERR" (Squid's
# url_rewrite_program protocol without concurrency).
HELPER = r'''#!/usr/bin/python3 -u
import sys
for line in sys.stdin:
    sys.stdout.write("ERR\n")
'''


def result_class(code):
    if code in EXACT:
        return EXACT[code]
    if code.startswith("TCP_") and code.endswith("_HIT"):
        return "hit"
    if code.startswith("TCP_") and code.endswith("_MISS"):
        return "miss"
    return "other"


def promtool():
    p = shutil.which("promtool")
    assert p, "promtool missing (Debian package prometheus; " \
        "scripts/deps.sh test installs it)"
    return p


def scrape_text(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=5) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith(
            "text/plain; version=0.0.4")
        return r.read().decode()


def families(text):
    """{name: type} of the # TYPE lines of a scrape."""
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))


def served_names(text):
    """Every series name a scrape can have: families, and a histogram's
    _bucket, _sum and _count."""
    out = set()
    for name, typ in families(text).items():
        out.add(name)
        if typ == "histogram":
            out |= {name + s for s in ("_bucket", "_sum", "_count")}
    return out


def dashboard():
    return json.loads(DASHBOARD.read_text())


def dashboard_exprs(d):
    """(where, expression) of every query: panel targets and the query
    variables."""
    out = []
    for p in d["panels"]:
        for t in p.get("targets", []):
            out.append(("panel %r %s" % (p["title"], t["refId"]), t["expr"]))
    for v in d["templating"]["list"]:
        if v["type"] == "query":
            out.append(("variable " + v["name"], v["query"]["query"]))
    return out


def rule_exprs():
    """(alert name, expression) of every rule."""
    doc = yaml.safe_load(RULES.read_text())
    return [(r["alert"], r["expr"].strip()) for g in doc["groups"]
            for r in g["rules"]]


def names_in(expr):
    """Metric names an expression reads (ours and Prometheus' up)."""
    names = set(re.findall(r"\b((?:tproxyd|process)_[a-z0-9_]+)\b", expr))
    if re.search(r"\bup\{", expr):
        names.add("up")
    return names


def instant(expr):
    """Dashboard variables replaced for a direct query."""
    return (expr.replace("$__rate_interval", "1m")
            .replace("$job", "tproxyd").replace("$instance", ".+"))


# ---------------------------------------------------------------------------

def test_scrape_passes_promtool_and_histogram_counts(tproxyd, origin):
    sport = free_port()
    p = tproxyd(["cache_mem 16 MB", "stats_port 127.0.0.1:%d" % sport,
                 "acl blocked dstdomain .denied.test",
                 "http_access deny blocked"])
    sent = {"miss": 0, "hit": 0, "denied": 0}
    for i in range(4):
        assert curl(p.port, origin.url("/bytes/%d" % (100 + i))).status \
            == 200
        sent["miss"] += 1
    for _ in range(2):
        assert curl(p.port, origin.url("/slow/300")).status == 200
        sent["miss"] += 1
    for i in range(3):                 # stored, then two hits
        assert curl(p.port, origin.url("/cacheable/50")).status == 200
    sent["miss"] += 1
    sent["hit"] += 2
    for _ in range(2):
        r = curl(p.port, "http://www.denied.test/")
        assert r.status == 403, r
        sent["denied"] += 1
    total = sum(sent.values())
    assert poll(lambda: len(p.access_entries()) == total, 5), \
        p.access_lines()

    text = scrape_text(sport)
    chk = subprocess.run([promtool(), "check", "metrics"], input=text,
                         capture_output=True, text=True, timeout=30)
    assert chk.returncode == 0 and chk.stdout == "" and \
        chk.stderr == "", (chk.returncode, chk.stdout, chk.stderr)

    m = scrape_metrics(sport)
    h = "tproxyd_request_duration_seconds"
    # What was sent, by class.
    for c in CLASSES:
        assert m['%s_count{result="%s"}' % (h, c)] == sent.get(c, 0), (c, m)
        assert m['%s_bucket{result="%s",le="+Inf"}' % (h, c)] == \
            sent.get(c, 0)
    # The two slow answers took more than 0.25 s, the others less.
    assert m['%s_bucket{result="miss",le="0.25"}' % h] == sent["miss"] - 2
    assert m['%s_bucket{result="miss",le="2.5"}' % h] == sent["miss"]
    assert m['%s_sum{result="miss"}' % h] >= 0.6
    # And as access.log has them: its elapsed time, bucket by bucket.
    logged = [(result_class(e["code"].split("/")[0]), e["elapsed"])
              for e in p.access_entries()]
    for c in CLASSES:
        ms = [el for k, el in logged if k == c]
        for le in LE[:-1]:
            n = m['%s_bucket{result="%s",le="%s"}' % (h, c, le)]
            # elapsed is rounded to the millisecond: a request at a
            # bound's edge may fall either way.
            lo = sum(1 for x in ms if x < float(le) * 1000 - 0.5)
            hi = sum(1 for x in ms if x <= float(le) * 1000 + 0.5)
            assert lo <= n <= hi, (c, le, n, ms)
        assert abs(m['%s_sum{result="%s"}' % (h, c)] -
                   sum(ms) / 1000.0) <= 0.001 * len(ms) + 1e-9, (c, ms)
    # Scrapes are not requests: the histogram did not move.
    again = scrape_metrics(sport)
    assert sum(again['%s_count{result="%s"}' % (h, c)]
               for c in CLASSES) == total
    assert m['tproxyd_build_info{version="%s",openssl="%s"}' % (
        _version(), _openssl(m))] == 1


def _version():
    out = subprocess.run([harness.tproxyd_bin(), "--version"],
                         capture_output=True, text=True, timeout=10)
    v = re.search(r"(\d+\.\d+\.\d+\S*)", out.stdout + out.stderr)
    assert v, out
    return v.group(1)


def _openssl(m):
    for k in m:
        g = re.match(r'tproxyd_build_info\{.*openssl="([^"]+)"', k)
        if g:
            return g.group(1)
    raise AssertionError("no tproxyd_build_info")


def _proc_stat(pid):
    """(start time since the epoch, cpu seconds) of pid, from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        btime = int(re.search(r"^btime (\d+)", f.read(), re.M).group(1))
    # rest[0] is field 3 (state): field N is rest[N - 3].
    return (btime + int(rest[19]) / tck,
            (int(rest[11]) + int(rest[12])) / tck)


def _soft_nofile(pid):
    with open("/proc/%d/limits" % pid) as f:
        for ln in f:
            if ln.startswith("Max open files"):
                return int(ln.split()[3])
    raise AssertionError("no limit")


def _vmrss(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(),
                             re.M).group(1)) * 1024


def test_process_metrics_are_the_kernels(tproxyd, origin):
    sport = free_port()
    p = tproxyd(["stats_port 127.0.0.1:%d" % sport,
                 "max_filedescriptors 4321"])
    pid = p.proc.pid
    assert curl(p.port, origin.url("/bytes/10")).status == 200
    held = [socket.create_connection(("127.0.0.1", p.port))
            for _ in range(20)]
    try:
        assert poll(lambda: scrape_metrics(sport)[
            "tproxyd_client_connections"] == 20, 5)
        m = scrape_metrics(sport)
        nfd = len(os.listdir("/proc/%d/fd" % pid))
        # The scrape's own connection may be gone by now.
        assert nfd - 1 <= m["process_open_fds"] <= nfd + 2, (m, nfd)
        assert m["process_open_fds"] >= 20
    finally:
        for c in held:
            c.close()
    assert m["process_max_fds"] == _soft_nofile(pid) == 4321
    start, cpu = _proc_stat(pid)
    assert abs(m["process_start_time_seconds"] - start) < 0.02, (m, start)
    assert m["process_cpu_seconds_total"] <= cpu + 0.011
    assert 0.5 < m["process_resident_memory_bytes"] / _vmrss(pid) < 2
    assert m["process_virtual_memory_bytes"] > \
        m["process_resident_memory_bytes"]
    assert not any('kid="' in k for k in m if k.startswith("process_"))


def _kids(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def test_process_metrics_per_worker(tproxyd, origin):
    sport = free_port()
    p = tproxyd(["workers 2", "stats_port 127.0.0.1:%d" % sport])
    master = p.proc.pid
    assert poll(lambda: len(_kids(master)) == 2, 5)

    def starts(m):
        return {k: m['process_start_time_seconds{kid="%d"}' % k]
                for k in (1, 2)}

    assert poll(lambda: all('process_start_time_seconds{kid="%d"}' % k
                            in scrape_metrics(sport) for k in (1, 2)), 5)
    m = scrape_metrics(sport)
    assert "process_start_time_seconds" not in m
    kid_starts = sorted(_proc_stat(k)[0] for k in _kids(master))
    got = sorted(starts(m).values())
    assert all(abs(a - b) < 0.02 for a, b in zip(got, kid_starts)), (
        got, kid_starts)
    for k in (1, 2):
        assert m['process_max_fds{kid="%d"}' % k] == \
            _soft_nofile(_kids(master)[0])
        assert m['process_open_fds{kid="%d"}' % k] > 3
        assert m['process_resident_memory_bytes{kid="%d"}' % k] > 1e6

    # A worker killed and restarted: a new process, a later start time.
    victim = _kids(master)[0]
    p.kid_signals_sent.add(signal.SIGKILL)
    os.kill(victim, signal.SIGKILL)
    assert poll(lambda: len(_kids(master)) == 2 and
                victim not in _kids(master), 5)
    assert poll(lambda: max(scrape_metrics(sport).get(
        'process_start_time_seconds{kid="%d"}' % k, 0) - starts(m)[k]
        for k in (1, 2)) > 0, 5), (scrape_metrics(sport), starts(m))
    after = starts(scrape_metrics(sport))
    assert sorted(after.values()) == pytest.approx(
        sorted(_proc_stat(k)[0] for k in _kids(master)), abs=0.02)
    assert sum(after[k] > starts(m)[k] for k in (1, 2)) == 1


# ---- the dashboard and the rules -------------------------------------------

def test_dashboard_is_a_grafana_dashboard():
    d = dashboard()
    # The JSON is what the generator writes (edit the generator).
    gen = subprocess.run([sys.executable, str(GENERATOR)],
                         capture_output=True, text=True, timeout=30,
                         check=True).stdout
    assert json.loads(gen) == d, "regenerate packaging/grafana/tproxyd.json"
    for k in ("title", "uid", "schemaVersion", "panels", "templating",
              "time"):
        assert k in d, k
    assert isinstance(d["schemaVersion"], int) and d["schemaVersion"] >= 30
    var = {v["name"]: v for v in d["templating"]["list"]}
    assert var["datasource"]["type"] == "datasource"
    assert var["datasource"]["query"] == "prometheus"
    for name in ("job", "instance"):
        assert var[name]["type"] == "query"
        assert var[name]["datasource"]["uid"] == "${datasource}"
    ids, cells, titles = set(), set(), []
    for p in d["panels"]:
        assert p["id"] not in ids, p["id"]
        ids.add(p["id"])
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0, p
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, ("overlap", p["title"])
                cells.add((x, y))
        if p["type"] == "row":
            continue
        titles.append(p["title"].lower())
        assert p["type"] in ("timeseries", "stat"), p["type"]
        assert p["datasource"] == {"type": "prometheus",
                                   "uid": "${datasource}"}
        assert p["targets"], p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(set(refs)) == len(refs)
        for t in p["targets"]:
            assert t["datasource"]["uid"] == "${datasource}"
            assert t["expr"].strip()
            # Every selector is narrowed to the chosen job and instance.
            for sel in re.findall(r"\b(?:tproxyd|process)_[a-z_]+(\{[^}]*\})?",
                                  t["expr"]):
                assert 'job=~"$job"' in sel and \
                    'instance=~"$instance"' in sel, (p["title"], t["expr"])
    for topic in ("requests per second", "hit ratio", "errors",
                  "duration p50 and p99", "connections", "workers",
                  "descriptors", "memory", "helper", "icap", "udp"):
        assert any(topic in t for t in titles), topic


def test_rules_check_and_unit_tests():
    chk = subprocess.run([promtool(), "check", "rules", str(RULES)],
                         capture_output=True, text=True, timeout=30)
    assert chk.returncode == 0, chk.stdout + chk.stderr
    n = int(re.search(r"SUCCESS: (\d+) rules found", chk.stdout).group(1))
    assert n == len(rule_exprs()) >= 10
    t = subprocess.run([promtool(), "test", "rules", RULES_TEST.name],
                       cwd=RULES_TEST.parent, capture_output=True,
                       text=True, timeout=60)
    assert t.returncode == 0 and "SUCCESS" in t.stdout, t.stdout + t.stderr


def _helper_dir(tmp_path):
    d = tmp_path / "helper"
    d.mkdir()
    harness.share_with_daemon_user(d)
    os.chmod(d, 0o755)
    s = d / "rw.py"
    s.write_text(HELPER)
    os.chmod(s, 0o755)
    return s


def _full_instance(tproxyd, tmp_path, sport):
    """workers 2, a cache and a url_rewrite_program: every family of
    /metrics is on the page."""
    return tproxyd(["workers 2", "cache_mem 16 MB",
                    "stats_port 127.0.0.1:%d" % sport,
                    "url_rewrite_program %s" % _helper_dir(tmp_path),
                    "url_rewrite_children 2 startup=1",
                    "shutdown_lifetime 1 second"])


def test_every_query_names_a_served_metric(tproxyd, origin, tmp_path):
    sport = free_port()
    p = _full_instance(tproxyd, tmp_path, sport)
    assert curl(p.port, origin.url("/cacheable/10")).status == 200
    assert curl(p.port, origin.url("/cacheable/10")).status == 200
    served = served_names(scrape_text(sport)) | {"up"}
    exprs = dashboard_exprs(dashboard()) + rule_exprs()
    used = set()
    for where, e in exprs:
        names = names_in(e)
        assert names, (where, e)
        missing = names - served
        assert not missing, (where, e, missing)
        used |= names
    assert len(exprs) >= 50 and len(used) >= 35, (len(exprs), used)


# ---- Debian's Prometheus server scraping tproxyd ---------------------------

class Prometheus:
    def __init__(self, d, target, interval="1s"):
        self.d = Path(d)
        self.d.mkdir()
        self.port = free_port()
        shutil.copy(RULES, self.d / "rules.yml")
        (self.d / "prometheus.yml").write_text(
            "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n"
            "rule_files:\n  - rules.yml\n"
            "scrape_configs:\n  - job_name: tproxyd\n"
            "    static_configs:\n      - targets: ['%s']\n"
            % (interval, interval, target))
        self.log = open(self.d / "prometheus.log", "wb")
        binary = shutil.which("prometheus")
        assert binary, "prometheus missing (Debian package prometheus)"
        self.proc = subprocess.Popen(
            [binary, "--config.file=%s" % (self.d / "prometheus.yml"),
             "--storage.tsdb.path=%s" % (self.d / "data"),
             "--storage.tsdb.retention.time=1h",
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--log.level=warn"],
            cwd=self.d, stdout=self.log, stderr=subprocess.STDOUT)
        ok = poll(lambda: self.proc.poll() is None and self._ready(), 20,
                  0.2)
        assert ok, self.logtext()

    def logtext(self):
        return (self.d / "prometheus.log").read_text(errors="replace")[-3000:]

    def _ready(self):
        try:
            with urllib.request.urlopen(
                    "http://127.0.0.1:%d/-/ready" % self.port,
                    timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def api(self, path, **params):
        url = "http://127.0.0.1:%d/api/v1/%s" % (self.port, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:     # 400: a bad query
            return json.loads(e.read())

    def query(self, expr):
        return self.api("query", query=expr)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


@pytest.fixture
def prometheus(tmp_path):
    made = []

    def make(target):
        p = Prometheus(tmp_path / ("prom%d" % len(made)), target)
        made.append(p)
        return p
    yield make
    for p in made:
        p.stop()


# Panels whose first query must return data after a few seconds of
# traffic (the others may rightly be empty: no ICAP, no UDP, no TLS).
MAIN = ("Requests per second, by status class", "Cache hit ratio",
        "Request duration p50 and p99 (tunnels apart)", "Connections",
        "Workers up and accepting", "Descriptors vs limit (worst process)",
        "Memory", "CPU", "Uptime", "Version",
        "Helper processes and queue", "Bytes per second")


def test_prometheus_evaluates_every_query(tproxyd, origin, tmp_path,
                                          prometheus):
    sport = free_port()
    p = _full_instance(tproxyd, tmp_path, sport)
    prom = prometheus("127.0.0.1:%d" % sport)

    # Traffic across several scrapes: misses, hits, a 404.
    def traffic():
        assert curl(p.port, origin.url("/bytes/100")).status == 200
        assert curl(p.port, origin.url("/cacheable/77")).status == 200
        assert curl(p.port, origin.url("/status/404")).status == 404

    deadline = time.monotonic() + 30
    while True:
        traffic()
        r = prom.query('count_over_time(tproxyd_build_info{job="tproxyd"}'
                       '[1m])')
        if r["status"] == "success" and r["data"]["result"] and \
                float(r["data"]["result"][0]["value"][1]) >= 5:
            break
        assert time.monotonic() < deadline, (r, prom.logtext())
        time.sleep(0.3)
    up = prom.query('up{job="tproxyd"}')["data"]["result"]
    assert [float(x["value"][1]) for x in up] == [1.0], up

    d = dashboard()
    first = {p_["title"]: p_["targets"][0]["expr"] for p_ in d["panels"]
             if p_.get("targets")}
    for where, e in dashboard_exprs(d):
        if where.startswith("variable"):
            # label_values() is Grafana's, not PromQL: ask the series API
            # what it would.
            g = re.match(r"label_values\((.*), (\w+)\)$", e)
            r = prom.api("series", **{"match[]": instant(g.group(1))})
            assert r["status"] == "success" and r["data"], (where, r)
            assert all(g.group(2) in s for s in r["data"]), r
            continue
        r = prom.query(instant(e))
        assert r["status"] == "success", (where, e, r)
    for title in MAIN:
        r = prom.query(instant(first[title]))
        res = r["data"]["result"]
        assert res, (title, first[title], r)
        vals = [float(x["value"][1]) for x in res]
        assert all(v == v for v in vals), (title, vals)      # no NaN
    hit = prom.query(instant(first["Cache hit ratio"]))["data"]["result"]
    assert 0 < float(hit[0]["value"][1]) < 1, hit
    fd = prom.query(instant(first["Descriptors vs limit (worst process)"]))
    assert 0 < float(fd["data"]["result"][0]["value"][1]) < 0.5, fd

    # Every alert expression: valid PromQL, evaluated by the rule manager
    # without an error; none fires on a healthy proxy.
    for name, e in rule_exprs():
        r = prom.query(e)
        assert r["status"] == "success", (name, e, r)
    assert poll(lambda: all(
        rule.get("lastEvaluation", "").startswith("20")
        for g in prom.api("rules")["data"]["groups"]
        for rule in g["rules"]), 10, 0.5), prom.api("rules")
    rules = [rule for g in prom.api("rules")["data"]["groups"]
             for rule in g["rules"]]
    assert len(rules) == len(rule_exprs())
    for rule in rules:
        assert rule["health"] == "ok", rule
        assert rule["state"] == "inactive", rule

    # tproxyd stopped: the target goes down and TproxydDown is on its way
    # (pending: it fires after a minute).
    problems = p.stop()
    assert not problems, problems

    def pending():
        for a in prom.api("alerts")["data"]["alerts"]:
            if a["labels"]["alertname"] == "TproxydDown":
                return a["state"]
        return None
    assert poll(lambda: pending() == "pending", 15, 0.5), (
        prom.api("alerts"), prom.logtext())
