# SPDX-License-Identifier: GPL-2.0-or-later
"""
forward.py - the forward proxy moves messages intact (was test_forward.py's
tables): what the client gets (status, body checksum), the request the
origin saw (method, origin-form target, body checksum, peer 127.0.0.1),
the access.log line. Default config (forward port, allow 127.0.0.0/8).
Exchanges with choreography (keep-alive, pipelining, pooling, 100
waited for) stay in test_forward.py.
"""

from cases import Case, Gen, Json, Re
from origin import body_sha256

KiB, MiB = 1024, 1024 * 1024
SIZES = [0, 1, KiB, MiB]
OCTETS = ("-H", "Content-Type: application/octet-stream")


def _origin(method, target, **kw):
    return dict(method=method, target=target, peer="127.0.0.1", **kw)


CASES = []

# Downloads: Content-Length, chunked, close-delimited.
for kind in ("bytes", "chunked", "close"):
    for size in SIZES:
        path = "/%s/%d" % (kind, size)
        CASES.append(Case(
            "download-%s-%d" % (kind, size), curl=(), path=path,
            status=200, body=Gen(size), origin=_origin("GET", path),
            access=dict(code="TCP_MISS", status=200, bytes=(size, None))))

# Uploads: Content-Length and chunked, echoed back.
for coding in ("length", "chunked"):
    for size in SIZES:
        args = OCTETS + (("-H", "Transfer-Encoding: chunked")
                         if coding == "chunked" else ())
        CASES.append(Case(
            "upload-echo-%s-%d" % (coding, size), curl=args, upload=size,
            method="POST", path="/echo", status=200, body=Gen(size),
            origin=_origin("POST", "/echo", body=Gen(size)),
            access=dict(status=200)))

CASES += [
    # On loopback ~1 s through a sane proxy; 30 s is the bound.
    Case("download-100mib", curl=(), path="/bytes/%d" % (100 * MiB),
         max_time=30, status=200, body=Gen(100 * MiB),
         origin=_origin("GET", "/bytes/%d" % (100 * MiB)),
         access=dict(status=200, bytes=(100 * MiB, None))),
    Case("upload-100mib", curl=OCTETS + ("-H", "Expect:"),
         upload=100 * MiB, method="POST", path="/sink", max_time=30,
         status=200, body=Json({"length": 100 * MiB,
                                "sha256": body_sha256(100 * MiB)}),
         origin=_origin("POST", "/sink", body=Gen(100 * MiB)),
         access=dict(status=200)),
    # With -I curl writes the head to the output file: nothing else
    # (one head, no body).
    Case("head-with-curl", curl=("-I",), method="HEAD",
         path="/bytes/5000", status=200,
         headers={"Content-Length": "5000"},
         body=Re(rb"HTTP/1\.1 200[^\r\n]*\r\n(?:[^\r\n][^\r\n]*\r\n)*\r\n"),
         origin=_origin("HEAD", "/bytes/5000"), access=dict(status=200)),
    # curl announces the body with Expect: 100-continue (forced: curl
    # 7.88 only does so by itself above 1 MiB) and must get it through.
    Case("expect-100-continue",
         curl=("-H", "Expect: 100-continue", "--expect100-timeout", "10"),
         upload=5000, method="POST", path="/expect", status=200,
         body=Json({"length": 5000, "sha256": body_sha256(5000)}),
         origin=_origin("POST", "/expect", body=Gen(5000)),
         access=dict(status=200)),
]

# cache_peer by host name: resolved when used (like an origin's name, from
# /etc/hosts or DNS), not at load; the request reaches the parent, which
# gets the absolute-form target a proxy gets.
CASES.append(Case(
    "peer-by-name", conf=("cache_peer localhost parent {origin_port} 0 "
                          "no-tproxy name=up", "never_direct allow all"),
    curl=(), path="/bytes/3", status=200, body=Gen(3),
    origin=_origin("GET", "{origin}/bytes/3"),
    access=dict(code="TCP_MISS", status=200, hier="FIRSTUP_PARENT")))

# A sibling is only asked (ICP/HTCP) for hits, never a route of its own:
# with only a sibling the request goes direct (origin-form target, as an
# origin gets), and with never_direct there is no route at all.
CASES.append(Case(
    "sibling-not-a-route", conf=("cache_peer localhost sibling "
                                 "{origin_port} 3130 no-tproxy name=sib",),
    curl=(), path="/bytes/4", status=200, body=Gen(4),
    origin=_origin("GET", "/bytes/4"),
    access=dict(code="TCP_MISS", status=200, hier="HIER_DIRECT")))
CASES.append(Case(
    "sibling-never-direct", conf=("cache_peer localhost sibling "
                                  "{origin_port} 3130 no-tproxy name=sib",
                                  "never_direct allow all"),
    curl=(), path="/bytes/5", status=503, error=("ERR_CANNOT_FORWARD",),
    access=dict(status=503)))
