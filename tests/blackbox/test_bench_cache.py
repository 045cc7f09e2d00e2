# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_bench_cache.py - the cache bench's own logic (bench/cache_bench.py,
bench/zipfclient.py), without namespaces or peers: the Zipf workload is
deterministic and has the stated shape, the client counts what a server on
loopback sends, and a hit run whose hits are not hits is refused and gets
no number in cache.md.

Run with: /usr/bin/python3 -m pytest -q tests/blackbox/test_bench_cache.py
"""
import collections
import http.server
import statistics
import sys
import threading
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import cache_bench  # noqa: E402
import zipfclient  # noqa: E402


# -- the Zipf workload ---------------------------------------------------

def test_sizes_deterministic_classes_and_median():
    a = zipfclient.sizes(20000, 15)
    assert a == zipfclient.sizes(20000, 15)
    assert a != zipfclient.sizes(20000, 16)
    classes = {zipfclient.size_class(k) for k in range(zipfclient.CLASSES)}
    assert set(a) <= classes
    assert min(classes) == 256 and max(classes) == 8 << 20
    # lognormal, median 8 KiB, rounded up to the next class (2^(1/4))
    assert 8192 <= statistics.median(a) <= 8192 * 2 ** 0.25 + 1


def test_sequence_deterministic_and_zipf_shaped():
    n, r, s = 1000, 50000, 0.9
    seq = zipfclient.sequence(n, r, s, 15)
    assert seq == zipfclient.sequence(n, r, s, 15)
    assert seq != zipfclient.sequence(n, r, s, 16)
    assert all(0 <= x < n for x in seq)
    counts = [c for _, c in collections.Counter(seq).most_common()]
    # rank 1 against rank 10: (10/1)^0.9 = 7.9 (sampling noise: +-25 %)
    assert 6.0 < counts[0] / counts[9] < 10.0
    # the share of rank 1: 1 / H(n, s)
    h = sum(1 / k ** s for k in range(1, n + 1))
    assert abs(counts[0] / r - 1 / h) < 0.2 / h


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        parts = self.path.split("/")      # /z/SIZE/ID or /f/ID
        size = int(parts[2]) if parts[1] == "z" else 1000
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        if parts[-1].endswith("7"):
            self.send_header("Age", "3")
        self.end_headers()
        self.wfile.write(b"x" * size)

    def log_message(self, *a):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_client_counts_bodies_and_hit_markers(server):
    paths = ["/z/%d/%d" % (100 * (i % 5 + 1), i) for i in range(40)]
    out = zipfclient.run("127.0.0.1", server, paths, 3, 10)
    assert out["requests"] == 40 and out["errors"] == 0
    assert out["non200"] == 0
    assert out["body_bytes"] == sum(100 * (i % 5 + 1) for i in range(40))
    assert out["bytes"] > out["body_bytes"]
    # IDs ending in 7 carry Age: 7, 17, 27, 37
    assert out["hit_marked"] == 4


def test_client_fill_requests_each_object_once(server):
    out = zipfclient.run("127.0.0.1", server,
                         ["/f/%d" % i for i in range(25)], 4, 10)
    assert out["requests"] == 25 and out["body_bytes"] == 25000


# -- hits that are not hits are refused ----------------------------------

HIT = {"hit": True, "why": "X-Cache: HIT from bench-router"}
MISS = {"hit": False, "why": "X-Cache: MISS from bench-router"}


@pytest.mark.parametrize("peer,store,post,origin,req,errors,codes,refused,"
                         "kind", [
    # a clean memory row
    ("squid", "memory", HIT, 0, 80000, 0, ["TCP_MISS", "TCP_MEM_HIT"],
     [], "TCP_MEM_HIT"),
    # a few origin requests are tolerated (at most 0.1 %, at least 2)
    ("squid", "disk", HIT, 2, 500, 0, ["TCP_MISS", "TCP_HIT"], [],
     "TCP_HIT"),
    ("nginx", "memory", {"hit": True, "why": "X-Cache-Status: HIT"}, 80,
     80000, 0, [], [], None),
    # the origin saw too many: these were not all hits
    ("nginx", "memory", {"hit": True, "why": "X-Cache-Status: HIT"}, 81,
     80000, 0, [], ["the origin answered 81 of 80000"], None),
    ("varnish", "disk", {"hit": True, "why": "X-Varnish: 5 3"}, 3, 500,
     0, [], ["the origin answered 3 of 500"], None),
    # the probe after the load was a miss
    ("squid", "memory", MISS, 0, 80000, 0, ["TCP_MISS", "TCP_MEM_HIT"],
     ["not a hit"], "TCP_MEM_HIT"),
    # headers say hit, the log does not
    ("tproxyd", "memory", {"hit": True, "why": "Age: 0"}, 0, 80000, 0,
     ["TCP_MISS", "TCP_MISS"], ["no *HIT code"], None),
    ("tproxyd", "memory", {"hit": True, "why": "Age: 0"}, 0, 80000, 0, [],
     ["no *HIT code (no lines)"], None),
    # errors and empty loads
    ("squid", "memory", HIT, 0, 80000, 3, ["TCP_MEM_HIT"], ["3 errors"],
     "TCP_MEM_HIT"),
    ("squid", "memory", HIT, 0, 0, 0, ["TCP_MEM_HIT"], ["no requests"],
     "TCP_MEM_HIT"),
])
def test_judge(peer, store, post, origin, req, errors, codes, refused,
               kind):
    bad, extra = cache_bench.judge(peer, store, post, origin, req, errors,
                                   codes)
    assert len(bad) == len(refused)
    for want, got in zip(refused, bad):
        assert want in got
    assert extra.get("hit_kind") == kind


def test_judge_notes_a_disk_row_served_from_memory():
    bad, extra = cache_bench.judge("tproxyd", "disk", HIT, 0, 500, 0,
                                   ["TCP_MISS", "TCP_MEM_HIT"])
    assert bad == []
    assert extra["note"] == "TCP_HIT expected, the last probe was " \
        "TCP_MEM_HIT"


def _data(hits, refused):
    return {"facts": {"date": "d", "kernel": "k", "ncpu": 2,
                      "quick": False, "duration": 5, "runs": 3,
                      "versions": {"squid": "5.7"}, "zipf": {}},
            "hits": hits, "refused": refused, "zipf": [], "restart": []}


def _row(peer, load, hpc):
    return {"peer": peer, "load": load, "hits_per_cpu_s": hpc,
            "hits_per_s": hpc, "cpu_s": 1.0, "hits": hpc, "p99_us": 1000,
            "mbps": 1.0, "rss_kib": 1024, "origin_requests": 0,
            "requests": hpc, "probe_post": "X"}


def test_render_refused_row_has_no_number():
    md = cache_bench.render(_data(
        [_row("squid", "mem1k", 40000), _row("nginx", "mem1k", 50000)],
        [{"peer": "tproxyd", "load": "mem1k", "run": 1,
          "why": "no hits: 9 requests for /1k"}]))
    line = [x for x in md.splitlines() if x.startswith("| 1 KiB memory")]
    assert len(line) == 1
    cells = [c.strip() for c in line[0].strip("|").split("|")]
    # load | tproxyd | squid | nginx | ratio
    assert cells[1] == "**no hits**"
    assert cells[2] == "40,000" and cells[3] == "50,000"
    assert cells[4] == "-"
    assert "tproxyd mem1k #1: no hits" in md


def test_render_ratio_against_the_best_peer():
    md = cache_bench.render(_data(
        [_row("tproxyd", "mem64k", 90000), _row("squid", "mem64k", 10000),
         _row("nginx-default", "mem64k", 60000),
         _row("varnish", "mem64k", 30000)], []))
    line = [x for x in md.splitlines() if x.startswith("| 64 KiB memory")]
    assert line[0].rstrip().endswith("| 1.50x |")


# -- the Zipf rows come from the proxies' logs ---------------------------

def _line(code, size, url):
    return ("1765080000.000      1 198.18.1.2 %s %d GET %s - "
            "ORIGINAL_DST/198.18.2.2 application/octet-stream\n"
            % (code, size, url))


LOG = [_line("TCP_MISS/200", 1000, "http://198.18.2.2/z/1000/1"),
       _line("TCP_MISS/200", 300, "http://198.18.2.2/z/300/2"),
       _line("TCP_MEM_HIT/200", 1000, "http://198.18.2.2/z/1000/1"),
       _line("TCP_MISS/200", 50, "http://198.18.2.2/peer"),
       _line("TCP_HIT/200", 300, "http://198.18.2.2/z/300/2"),
       _line("TCP_REFRESH_UNMODIFIED/200", 300,
             "http://198.18.2.2/z/300/2")]


def test_zipf_log_stats():
    st = cache_bench.zipf_log_stats(LOG)
    assert st["requests"] == 5          # /peer is not a Zipf request
    assert st["hits"] == 2              # a revalidation is not a hit
    assert st["bytes"] == 2900 and st["hit_bytes"] == 1300
    assert st["codes"] == {"TCP_MISS": 2, "TCP_MEM_HIT": 1, "TCP_HIT": 1,
                           "TCP_REFRESH_UNMODIFIED": 1}
    # second half: TCP_MEM_HIT, TCP_HIT, TCP_REFRESH_UNMODIFIED
    assert st["hit_ratio_2nd_half"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("origin,client,errors,refused", [
    (3, 5, 0, []),
    (13, 5, 0, []),          # within the slack (10)
    (14, 5, 0, ["some hits were not hits"]),
    (3, 6, 0, ["access.log has 5 lines for 6 requests"]),
    (3, 5, 2, ["2 client errors"]),
])
def test_zipf_check(origin, client, errors, refused):
    bad = cache_bench.zipf_check(cache_bench.zipf_log_stats(LOG), origin,
                                 client, errors)
    assert len(bad) == len(refused)
    for want, got in zip(refused, bad):
        assert want in got
