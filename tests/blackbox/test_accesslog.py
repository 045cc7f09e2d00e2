"""
test_accesslog.py - Squid's native access.log format, field by field:

    time elapsed client code/status bytes method URL user hierarchy/peer type
    1732459201.123     12 127.0.0.1 TCP_MISS/200 1234 GET http://... - HIER_DIRECT/127.0.0.1 application/octet-stream

Each row: the request (method, path, curl arguments) and the expected
fields. CONNECT and denied lines are checked in test_tunnel / test_errors.
"""

import re
import time

import pytest

from harness import curl, elapsed_is_width6


@pytest.mark.parametrize("method,path,args,status,ctype", [
    ("GET", "/bytes/10", [], 200, "application/octet-stream"),
    ("GET", "/chunked/3000", [], 200, "application/octet-stream"),
    ("HEAD", "/bytes/10", ["-I"], 200, "application/octet-stream"),
    ("POST", "/sink", ["--data-binary", "abc"], 200, "application/json"),
    ("GET", "/status/404", [], 404, "text/plain"),
    ("GET", "/status/204", [], 204, "text/plain"),
])
def test_line_fields(tproxyd, origin, method, path, args, status, ctype):
    p = tproxyd()
    t0 = time.time()
    r = curl(p.port, origin.url(path), args=args)
    t1 = time.time()
    assert r.rc == 0 and r.status == status, r
    e = p.wait_access_url(origin.url(path), method)
    line = e["raw"]
    assert len(line.split()) == 10, line
    assert re.match(r"^\d{10}\.\d{3} ", line), line
    assert elapsed_is_width6(line), "elapsed not %6d: " + line
    # time: within the transaction (start or end, both Squid usage).
    assert t0 - 1 <= float(e["time"]) <= t1 + 1, (t0, line, t1)
    assert 0 <= e["elapsed"] <= (t1 - t0) * 1000 + 1000
    assert e["client"] == "127.0.0.1"
    assert (e["code"], e["status"]) == ("TCP_MISS", status), line
    assert e["method"] == method
    assert e["url"] == origin.url(path)
    assert e["user"] == "-"
    assert (e["hier"], e["peer"]) == ("HIER_DIRECT", "127.0.0.1"), line
    assert e["type"] == ctype, line
    # bytes: what was sent to the client, head included.
    body = 3000 if "3000" in path else (10 if path == "/bytes/10" and
                                        method == "GET" else 0)
    assert body + 30 < e["bytes"] < body + 4000, line


def test_one_line_per_transaction(tproxyd, origin):
    p = tproxyd()
    for i in range(5):
        assert curl(p.port, origin.url("/bytes/%d" % i)).status == 200
    p.wait_access_url(origin.url("/bytes/4"))
    urls = [e["url"] for e in p.access_entries() if e]
    assert urls == [origin.url("/bytes/%d" % i) for i in range(5)], urls
    assert all(p.access_entries()), "\n".join(p.access_lines())


def test_access_log_none(tproxyd, origin):
    p = tproxyd(["access_log none"])
    assert curl(p.port, origin.url("/bytes/1")).status == 200
    time.sleep(0.5)   # nothing to poll for: absence
    assert not p.access_log.exists() or p.access_lines() == []
