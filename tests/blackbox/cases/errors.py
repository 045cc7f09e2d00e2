# SPDX-License-Identifier: GPL-2.0-or-later
"""
errors.py - every failure answers the client with the Squid error status,
an `X-Squid-Error: ERR_NAME 0` header and an HTML page naming the error,
within a bounded time, and is logged (was test_errors.py).
"""

from cases import NOTHING, Case

DENIED = dict(status=403, error=("ERR_ACCESS_DENIED",), origin=NOTHING)
# How tproxyd logs a request it could not parse (as Squid does).
UNPARSED = dict(code="TAG_NONE", status=400, method="NONE",
                url="error:invalid-request", hier="HIER_NONE", peer="-",
                type="text/html")

CASES = [
    Case("access-denied", conf=("http_access deny all",), curl=(),
         path="/bytes/10", access=dict(code="TCP_DENIED", status=403,
                                       hier="HIER_NONE", peer="-",
                                       type="text/html"), **DENIED),
]

# ACLs: config, status (403: denied, the origin sees nothing; else the
# origin gets the one request).
ACL = [
    ("dst-denied", ["acl bad dst 127.0.0.0/8", "http_access deny bad",
                    "http_access allow all"], 403),
    ("port-negated", ["acl p port 1", "http_access allow !p"], 200),
    ("method-other", ["acl m method POST", "http_access deny m",
                      "http_access allow all"], 200),
    ("method-denied", ["acl m method GET", "http_access deny m",
                       "http_access allow all"], 403),
    ("dstdomain-other", ["acl d dstdomain .example.com",
                         "http_access allow d"], 403),
    ("src-allowed", ["acl me src 127.0.0.1", "http_access allow me"], 200),
    ("src-other", ["acl other src 198.18.0.0/15",
                   "http_access allow other"], 403),
]
for name, conf, status in ACL:
    CASES.append(Case(
        "acl-" + name, conf=tuple(conf), curl=(), path="/bytes/1",
        access=dict(status=status),
        **(DENIED if status == 403 else dict(status=200,
                                             origin=dict(count=1)))))

# Requests that must be refused (400), never forwarded.
INVALID = [
    ("no-colon-origin-form", b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
     "GET", UNPARSED),
    ("no-colon", b"GET {origin}/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
     b"Bad Header\r\n\r\n", "GET", UNPARSED),
    ("space-before-colon", b"GET {origin}/ HTTP/1.1\r\nHost : x\r\n\r\n",
     "GET", UNPARSED),
    ("two-content-lengths", b"POST {origin}/echo HTTP/1.1\r\nHost: x\r\n"
     b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", "POST",
     dict(code="TAG_NONE", status=400, url="{origin}/echo",
          hier="HIER_NONE", peer="-")),
    ("garbage", b"GARBAGE\r\n\r\n", "GET", UNPARSED),
]
for name, raw, method, access in INVALID:
    CASES.append(Case(
        "invalid-" + name, raw=raw, method=method, status=400,
        error=("ERR_INVALID_REQ",), origin=NOTHING, access=access))

CASES += [
    Case("origin-reset-before-head", curl=(), path="/reset", status=502,
         error=("ERR_READ_ERROR", "ERR_ZERO_SIZE_OBJECT",
                "ERR_INVALID_RESP"),
         origin=dict(count=(1, None)), access=dict(status=502)),
    # The head was relayed already: the client must see a truncated
    # response (curl error), never a complete-looking one.
    Case("origin-reset-mid-body", curl=(), path="/reset-mid",
         incomplete=1000, curl_rc=None),
    Case("connect-refused", curl=(), url="{closed}/x", status=503,
         error=("ERR_CONNECT_FAIL",), access=dict(status=503)),
    # Under test: the timeout itself (1 s), so the answer's time.
    Case("read-timeout", conf=("read_timeout 1 seconds",), curl=(),
         path="/never", max_time=15, status=504,
         error=("ERR_READ_TIMEOUT",), took=(0.9, 10),
         access=dict(status=504)),
    # dns_nameservers 127.0.0.1 (harness default): the query never leaves
    # the machine and fails (refused or timed out).
    Case("dns-failure", curl=(),
         url="http://no-such-host.tproxyd-test.invalid/x", max_time=20,
         status=503, error=("ERR_DNS_FAIL",), access=dict(status=503)),
]
