#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
make-dashboard.py - writes tproxyd.json, the Grafana dashboard of tproxyd's
/metrics (stats_port), to standard output. Edit this file, not the JSON:
    python3 packaging/grafana/make-dashboard.py \
        > packaging/grafana/tproxyd.json
(tests/blackbox/test_monitoring.py checks that they agree, that the JSON is
a Grafana dashboard and that every query names metrics tproxyd serves).

Variables: datasource (any Prometheus), job and instance (from
tproxyd_build_info). With `workers N` the process_* series carry a kid
label (one per worker process); the panels sum or take the worst worker.
"""

import json
import sys

DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job=~"$job", instance=~"$instance"'
RI = "$__rate_interval"


def m(name, extra=""):
    """A selector of metric name on the chosen job and instances."""
    return "%s{%s%s}" % (name, SEL, ", " + extra if extra else "")


def rate(name, extra=""):
    return "rate(%s[%s])" % (m(name, extra), RI)


def q(name, extra=""):
    return "histogram_quantile(%%s, sum by (le) (%s))" % rate(
        name + "_bucket", extra)


# (title, kind, unit, [(expr, legend)], width, description)
ROWS = [
    ("Traffic", [
        ("Requests per second, by status class", "timeseries", "reqps",
         [("sum by (code) (%s)" % rate("tproxyd_requests_total"),
           "{{code}}")], 12,
         "Requests answered, by HTTP status class (none: cut short)."),
        ("Cache hit ratio", "timeseries", "percentunit",
         [("sum(%s) / sum(%s)" % (rate("tproxyd_cache_hits_total"),
                                  rate("tproxyd_cache_lookups_total")),
           "requests"),
          ("sum(%s) / sum(%s)" % (
              rate("tproxyd_cache_hit_bytes_total"),
              rate("tproxyd_bytes_total",
                   'peer="client", direction="out"')), "bytes")], 6,
         "Share of the looked-up requests answered from the cache, and "
         "of the bytes written to clients."),
        ("Errors per second, by kind", "timeseries", "reqps",
         [("sum by (kind) (%s)" % rate("tproxyd_errors_total"), "{{kind}}"),
          ("sum(%s)" % rate("tproxyd_requests_total", 'code="5xx"'),
           "all 5xx")], 6,
         "Error pages made by tproxyd (Squid's ERR_* names) and every "
         "5xx answer."),
        ("Request duration p50 and p99 (tunnels apart)", "timeseries", "s",
         [(q("tproxyd_request_duration_seconds", 'result!="tunnel"')
           % "0.5", "p50"),
          (q("tproxyd_request_duration_seconds", 'result!="tunnel"')
           % "0.99", "p99"),
          ("histogram_quantile(0.99, sum by (le, result) (%s))"
           % rate("tproxyd_request_duration_seconds_bucket"),
           "p99 {{result}}")], 12,
         "From the first byte of the request to the end of the answer, "
         "as access.log's elapsed time."),
        ("Server connect time p50 and p99", "timeseries", "s",
         [(q("tproxyd_server_connect_seconds") % "0.5", "p50"),
          (q("tproxyd_server_connect_seconds") % "0.99", "p99")], 6, ""),
        ("Bytes per second", "timeseries", "Bps",
         [("sum by (peer, direction) (%s)" % rate("tproxyd_bytes_total"),
           "{{peer}} {{direction}}")], 6, ""),
    ]),
    ("Connections and processes", [
        ("Connections", "timeseries", "short",
         [("sum(%s)" % m("tproxyd_client_connections"), "clients"),
          ("sum by (state) (%s)" % m("tproxyd_server_connections"),
           "servers {{state}}"),
          ("sum(%s)" % rate("tproxyd_client_connections_total"),
           "new clients/s")], 8, ""),
        ("Workers up and accepting", "timeseries", "short",
         [("sum(%s)" % m("tproxyd_workers"), "running"),
          ("sum(%s)" % m("tproxyd_accepting"), "accepting"),
          ("sum(increase(%s[1h]))" % m("tproxyd_worker_restarts_total"),
           "restarts in the last hour")], 8,
         "Serving processes, those not paused at a limit, and how often "
         "the master restarted one (workers N only)."),
        ("Descriptors vs limit (worst process)", "timeseries",
         "percentunit",
         [("max(%s / %s)" % (m("process_open_fds"), m("process_max_fds")),
           "used / max_filedescriptors"),
          ("sum(%s)" % m("process_open_fds"), "open (all processes)")], 8,
         "Each process has its own limit: the worst one counts."),
        ("Memory", "timeseries", "bytes",
         [("sum(%s)" % m("process_resident_memory_bytes"), "resident"),
          ("sum(%s)" % m("tproxyd_cache_memory_bytes", 'kind="used"'),
           "cache objects"),
          ("sum(%s)" % m("tproxyd_cache_memory_bytes", 'kind="max"'),
           "cache_mem")], 8, ""),
        ("CPU", "timeseries", "percentunit",
         [("sum by (kid) (%s)" % rate("process_cpu_seconds_total"),
           "kid {{kid}}")], 8, "CPU time per serving process."),
        ("Uptime", "stat", "s",
         [("time() - max(%s)" % m("process_start_time_seconds"),
           "since the last (re)start")], 4, ""),
        ("Version", "stat", "none",
         [("count by (version, openssl) (%s)" % m("tproxyd_build_info"),
           "{{version}} (OpenSSL {{openssl}})")], 4, ""),
    ]),
    ("Helpers, ICAP, TLS, UDP", [
        ("Helper requests and failures per second", "timeseries", "reqps",
         [("sum by (helper) (%s)" % rate("tproxyd_helper_requests_total"),
           "{{helper}} requests"),
          ("sum by (helper) (%s)" % rate("tproxyd_helper_broken_total"),
           "{{helper}} BH"),
          ("sum by (helper) (%s)" % rate("tproxyd_helper_timeouts_total"),
           "{{helper}} timeouts"),
          ("sum by (helper) (%s)"
           % rate("tproxyd_helper_overloads_total"),
           "{{helper}} overloaded")], 8,
         "url_rewrite_program, store_id_program, external_acl_type and "
         "auth_param programs."),
        ("Helper processes and queue", "timeseries", "short",
         [("sum by (helper) (%s)" % m("tproxyd_helper_processes"),
           "{{helper}} processes"),
          ("sum by (helper) (%s)" % m("tproxyd_helper_queue"),
           "{{helper}} waiting")], 8, ""),
        ("ICAP per second, by service", "timeseries", "reqps",
         [("sum by (service) (%s)" % rate("tproxyd_icap_requests_total"),
           "{{service}}"),
          ("sum by (service) (%s)" % rate("tproxyd_icap_errors_total"),
           "{{service}} errors"),
          ("sum by (service) (%s)" % rate("tproxyd_icap_bypassed_total"),
           "{{service}} bypassed")], 8, ""),
        ("Intercepted TLS decisions per second", "timeseries", "reqps",
         [("sum by (action) (%s)" % rate("tproxyd_tls_decisions_total"),
           "{{action}}"),
          ("sum(%s)" % rate("tproxyd_tls_bump_failures_total"),
           "bump failures")], 8, ""),
        ("UDP flows", "timeseries", "short",
         [("sum(%s)" % m("tproxyd_udp_flows"), "open"),
          ("sum(%s)" % rate("tproxyd_udp_flows_total"), "new/s"),
          ("sum by (reason) (%s)" % rate("tproxyd_udp_drops_total"),
           "dropped/s {{reason}}")], 8, ""),
        ("Security: forgeries per second", "timeseries", "reqps",
         [("sum(%s)" % rate("tproxyd_host_forgeries_total"), "Host"),
          ("sum(%s)" % rate("tproxyd_tls_sni_forgeries_total"), "SNI")],
         8, "Requests whose Host or SNI did not match the address the "
         "client connected to."),
    ]),
]


def panel(pid, title, kind, unit, targets, width, desc, x, y):
    p = {
        "id": pid, "type": kind, "title": title, "description": desc,
        "datasource": DS,
        "gridPos": {"h": 8, "w": width, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
        "targets": [{"refId": chr(ord("A") + i), "datasource": DS,
                     "expr": e, "legendFormat": lg, "range": True}
                    for i, (e, lg) in enumerate(targets)],
    }
    if kind == "timeseries":
        p["options"] = {"legend": {"displayMode": "list",
                                   "placement": "bottom"},
                        "tooltip": {"mode": "multi"}}
    else:
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]},
                        "textMode": "value_and_name"}
    return p


def dashboard():
    panels, pid, y = [], 1, 0
    for row, items in ROWS:
        panels.append({"id": pid, "type": "row", "title": row,
                       "collapsed": False, "panels": [],
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}})
        pid += 1
        y += 1
        x = 0
        for title, kind, unit, targets, width, desc in items:
            if x + width > 24:
                x, y = 0, y + 8
            panels.append(panel(pid, title, kind, unit, targets, width,
                                desc, x, y))
            pid += 1
            x += width
        y += 8
    var_q = "label_values(tproxyd_build_info, job)"
    inst_q = 'label_values(tproxyd_build_info{job=~"$job"}, instance)'
    return {
        "title": "tproxyd",
        "uid": "tproxyd",
        "description": "tproxyd's /metrics (stats_port): traffic, cache, "
                       "durations, connections, processes, helpers, ICAP, "
                       "TLS and UDP.",
        "tags": ["tproxyd", "proxy"],
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 38,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "",
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": [
            {"name": "datasource", "label": "Data source",
             "type": "datasource", "query": "prometheus",
             "current": {}, "hide": 0, "refresh": 1, "options": [],
             "regex": ""},
            {"name": "job", "label": "Job", "type": "query",
             "datasource": DS, "definition": var_q,
             "query": {"query": var_q, "refId": "job"},
             "current": {}, "hide": 0, "refresh": 2, "options": [],
             "includeAll": True, "multi": True, "allValue": ".+",
             "sort": 1, "regex": ""},
            {"name": "instance", "label": "Instance", "type": "query",
             "datasource": DS, "definition": inst_q,
             "query": {"query": inst_q, "refId": "instance"},
             "current": {}, "hide": 0, "refresh": 2, "options": [],
             "includeAll": True, "multi": True, "allValue": ".+",
             "sort": 1, "regex": ""},
        ]},
        "panels": panels,
    }


if __name__ == "__main__":
    json.dump(dashboard(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
