# SPDX-License-Identifier: GPL-2.0-or-later
"""
accesslog.py - Squid's native access.log format, field by field (was
test_accesslog.py's table):

    time elapsed client code/status bytes method URL user hierarchy/peer type
    1732459201.123     12 127.0.0.1 TCP_MISS/200 1234 GET http://... - HIER_DIRECT/127.0.0.1 application/octet-stream

The runner checks on every line the form (10 fields, %.3f time within
the transaction, elapsed %6d and within it, client, user, method, URL);
these rows add code/status, hierarchy/peer, type and the bytes sent to
the client (head included). CONNECT lines: test_tunnel; denied and
refused: cases/errors.py.
"""

from cases import Case

# method, path, curl arguments, status, content type, body length
ROWS = [
    ("GET", "/bytes/10", (), 200, "application/octet-stream", 10),
    ("GET", "/chunked/3000", (), 200, "application/octet-stream", 3000),
    ("HEAD", "/bytes/10", ("-I",), 200, "application/octet-stream", 0),
    ("POST", "/sink", ("--data-binary", "abc"), 200, "application/json", 0),
    ("GET", "/status/404", (), 404, "text/plain", 0),
    ("GET", "/status/204", (), 204, "text/plain", 0),
]

CASES = [
    Case("log-fields-%s-%s" % (method.lower(), path.strip("/").replace(
        "/", "-")), curl=args, method=method, path=path, status=status,
        access=dict(code="TCP_MISS", status=status, hier="HIER_DIRECT",
                    peer="127.0.0.1", type=ctype,
                    bytes=(body + 31, body + 3999)))
    for method, path, args, status, ctype, body in ROWS
]
