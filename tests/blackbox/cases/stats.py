# SPDX-License-Identifier: GPL-2.0-or-later
"""
stats.py - the stats_port: GET /metrics answers the Prometheus text
format; anything else is refused. Scrapes are not client traffic: they are
not written to access_log, unless the port says "log"; then they are
logged as what they were.
"""

from cases import NO_LINE, Case, Re

STATS = ("stats_port 127.0.0.1:{stats_port}",)
STATS_LOG = ("stats_port 127.0.0.1:{stats_port} log",)
METRICS_BODY = Re(rb"(?s).*\ntproxyd_\w+ \d.*")

CASES = [
    Case("metrics-get-not-logged", conf=STATS, to="stats",
         raw=b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
         url="/metrics", status=200,
         headers={"Content-Type": "text/plain; version=0.0.4"},
         body=METRICS_BODY, access=NO_LINE),
    Case("metrics-get", conf=STATS_LOG, to="stats",
         raw=b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
         url="/metrics", status=200,
         headers={"Content-Type": "text/plain; version=0.0.4"},
         body=METRICS_BODY,
         access=dict(code="TCP_MISS", status=200, hier="HIER_NONE",
                     peer="-", type="text/plain")),
    # This port serves GET /metrics only: a POST is refused, and logged
    # as the POST it was.
    Case("metrics-post-logged-as-post", conf=STATS_LOG, to="stats",
         raw=b"POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             b"Content-Length: 0\r\n\r\n",
         method="POST", url="/metrics", status=404,
         error=("ERR_INVALID_URL",), access=dict(status=404)),
]
