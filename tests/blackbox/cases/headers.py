# SPDX-License-Identifier: GPL-2.0-or-later
"""
headers.py - what the origin sees of the request head (was
test_headers.py): hop-by-hop headers removed (RFC 9110 7.6.1), Via added,
X-Forwarded-For per `forwarded_for`.
"""

import re

from cases import Case, Not, Re
from harness import VISIBLE_HOSTNAME

VH = re.escape(VISIBLE_HOSTNAME)
HEADERS_JSON = Re(rb'\{"headers": \[\[".+\]\], "raw": \[".+\]\}', re.S)

CASES = [
    Case("hop-by-hop-removed", curl=(
        "-H", "Connection: X-Foo, keep-alive",
        "-H", "X-Foo: 1",
        "-H", "Keep-Alive: timeout=5",
        "-H", "X-Keep: yes",
        "-H", "TE: trailers",
        "-H", "Proxy-Authorization: Basic dTpw"), path="/headers",
        status=200, body=HEADERS_JSON,     # the origin's JSON, unchanged
        origin=dict(headers={
            "proxy-connection": None,       # curl sends it
            "keep-alive": None,
            "x-foo": None,                  # named in Connection
            "proxy-authorization": None,
            "connection": Not(r"(?i)x-foo"),
            "x-keep": ["yes"],              # end-to-end: kept
            "host": ["{origin_host}"]})),
    Case("end-to-end-headers-kept-in-order",
         conf=("via off", "forwarded_for delete"),
         raw=b"GET {origin}/headers HTTP/1.1\r\nHost: {origin_host}\r\n"
             b"X-A: 1\r\nX-B: two words\r\nX-A: 3\r\nCookie: a=b\r\n\r\n",
         path="/headers", status=200,
         origin=dict(header_seq=(("x-", "cook"), [
             ("x-a", "1"), ("x-b", "two words"), ("x-a", "3"),
             ("cookie", "a=b")]))),
]

# Via: config, incoming Via, Via at the origin (None: absent).
VIA = [
    ("default", [], None,
     Re(r"1\.1 %s \(tproxyd[^)]*\)" % VH)),
    ("on-appended", ["via on"], "1.0 upstream",
     Re(r"1\.0 upstream, 1\.1 %s \(tproxyd[^)]*\)" % VH)),
    ("off", ["via off"], None, None),
    ("off-kept", ["via off"], "1.0 upstream", "1.0 upstream"),
]
for name, conf, incoming, want in VIA:
    CASES.append(Case(
        "via-" + name, conf=tuple(conf),
        curl=("-H", "Via: %s" % incoming) if incoming else (),
        path="/headers", status=200, origin=dict(headers={"via": want})))

# forwarded_for: mode (None: default), incoming X-Forwarded-For, the one
# the origin gets (None: absent).
XFF = [
    (None, None, "127.0.0.1"),                  # default is on
    ("on", None, "127.0.0.1"),
    ("on", "198.18.9.9", "198.18.9.9, 127.0.0.1"),
    ("off", None, "unknown"),
    ("off", "198.18.9.9", "198.18.9.9, unknown"),
    ("delete", None, None),
    ("delete", "198.18.9.9", None),
    ("transparent", None, None),
    ("transparent", "198.18.9.9", "198.18.9.9"),
]
for mode, incoming, want in XFF:
    CASES.append(Case(
        "forwarded-for-%s%s" % (mode or "default",
                                "-incoming" if incoming else ""),
        conf=("forwarded_for %s" % mode,) if mode else (),
        curl=("-H", "X-Forwarded-For: %s" % incoming) if incoming else (),
        path="/headers", status=200,
        origin=dict(headers={"x-forwarded-for": want})))
