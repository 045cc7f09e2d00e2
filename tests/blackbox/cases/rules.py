# SPDX-License-Identifier: GPL-2.0-or-later
"""
rules.py - the rules around http_access (issue 12, part C):
http_reply_access, reply_body_max_size and request_body_max_size,
deny_info (page, status, redirect, TCP_RESET), the header rules
(request_/reply_header_access, _replace, _add) and follow_x_forwarded_for
with a src acl. client_ip_max_connections needs held connections:
test_rules.py.
"""

from cases import NOTHING, Case, Re

# An acl for the denial tests: the path starts with /bytes/.
BYTES = "acl bytes urlpath_regex ^/bytes/"

CASES = [
    # http_reply_access: the origin answered, the client gets 403 and
    # none of it; logged TCP_DENIED_REPLY (Squid).
    Case("reply-access-deny", conf=(BYTES, "http_reply_access deny bytes",
                                    "http_reply_access allow all"),
         curl=(), path="/bytes/5000", status=403,
         error=("ERR_ACCESS_DENIED",), origin=dict(count=1),
         headers={"x-sha256": None},
         access=dict(code="TCP_DENIED_REPLY", status=403)),
    Case("reply-access-allow-other", conf=(
        BYTES, "http_reply_access deny bytes", "http_reply_access allow all"),
         curl=(), path="/status/200", status=200, origin=dict(count=1),
         access=dict(code="TCP_MISS", status=200)),
    # reply_body_max_size: a Content-Length over it is refused before
    # the body; under it passes.
    Case("reply-body-max-cl", conf=("reply_body_max_size 1000 bytes",),
         curl=(), path="/bytes/5000", status=403, error=("ERR_TOO_BIG",),
         origin=dict(count=1),
         access=dict(code="TCP_DENIED_REPLY", status=403)),
    Case("reply-body-max-under", conf=("reply_body_max_size 1 KB",),
         curl=(), path="/bytes/1000", status=200, origin=dict(count=1),
         access=dict(code="TCP_MISS", status=200)),
    # ... an acl that does not match: no limit.
    Case("reply-body-max-acl-other", conf=(
        "acl far dst 198.18.0.0/15", "reply_body_max_size 10 bytes far"),
         curl=(), path="/bytes/1000", status=200,
         access=dict(status=200)),
    # A body without a declared length is cut when it passes the limit:
    # the client never gets the whole body; logged aborted.
    Case("reply-body-max-chunked", conf=("reply_body_max_size 3000 bytes",),
         curl=(), path="/chunked/100000", incomplete=100000, curl_rc=None,
         access=dict(code="TCP_MISS_ABORTED", status=200)),
    Case("reply-body-max-close", conf=("reply_body_max_size 3000 bytes",),
         curl=(), path="/close/100000", incomplete=100000, curl_rc=None,
         access=dict(code="TCP_MISS_ABORTED", status=200)),
    # request_body_max_size: a declared length over it: 413 at once, the
    # origin sees nothing.
    Case("request-body-max-cl", conf=("request_body_max_size 1000 bytes",),
         curl=(), method="POST", path="/sink", upload=5000, status=413,
         error=("ERR_TOO_BIG",), origin=NOTHING,
         access=dict(status=413)),
    Case("request-body-max-under", conf=("request_body_max_size 10 KB",),
         curl=(), method="POST", path="/sink", upload=5000, status=200,
         origin=dict(count=1), access=dict(status=200)),
    # A chunked upload is cut when it passes the limit: the origin (which
    # answers only after the whole body) never answers it, the client
    # gets 413.
    Case("request-body-max-chunked",
         conf=("request_body_max_size 1000 bytes",),
         curl=("-H", "Transfer-Encoding: chunked"), method="POST",
         path="/sink", upload=200000, status=413, error=("ERR_TOO_BIG",),
         origin=dict(count=(0, 1)), access=dict(status=413)),

    # deny_info: the last acl of the deny rule picks the answer.
    Case("deny-info-page", conf=(
        BYTES, "deny_info ERR_CUSTOM_BLOCKED bytes",
        "http_access deny bytes", "http_access allow all"),
         curl=(), path="/bytes/10", status=403,
         error=("ERR_CUSTOM_BLOCKED",), origin=NOTHING,
         access=dict(code="TCP_DENIED", status=403)),
    Case("deny-info-status", conf=(
        BYTES, "deny_info 404:ERR_NOT_HERE bytes",
        "http_access deny bytes", "http_access allow all"),
         curl=(), path="/bytes/10", status=404, error=("ERR_NOT_HERE",),
         origin=NOTHING, access=dict(code="TCP_DENIED", status=404)),
    # Not the deciding acl: the default page.
    Case("deny-info-other-acl", conf=(
        BYTES, "acl gets method GET", "deny_info ERR_CUSTOM_BLOCKED bytes",
        "http_access deny bytes gets", "http_access allow all"),
         curl=(), path="/bytes/10", status=403,
         error=("ERR_ACCESS_DENIED",), origin=NOTHING),
    # No rule matched: the acl that failed on the last line (Squid).
    Case("deny-info-implicit", conf=(
        "acl far src 198.18.0.0/15", "deny_info ERR_NOT_FROM_HERE far",
        "http_access allow far"),
         curl=(), path="/x", status=403, error=("ERR_NOT_FROM_HERE",),
         origin=NOTHING),
    Case("deny-info-redirect", conf=(
        BYTES, "deny_info http://block.example/?u=%u&h=%H&m=%M bytes",
        "http_access deny bytes", "http_access allow all"),
         curl=(), path="/bytes/10", status=302,
         headers={"location": Re(
             r"http://block\.example/\?u=http%3A%2F%2F127\.0\.0\.1%3A\d+"
             r"%2Fbytes%2F10&h=127\.0\.0\.1&m=GET")},
         origin=NOTHING, access=dict(code="TCP_DENIED", status=302)),
    Case("deny-info-redirect-303", conf=(
        BYTES, "deny_info 303:http://block.example/x bytes",
        "http_access deny bytes", "http_access allow all"),
         curl=(), path="/bytes/10", status=303,
         headers={"location": "http://block.example/x"}, origin=NOTHING),
    # TCP_RESET: no answer, the connection is reset (curl: 56).
    Case("deny-info-reset", conf=(
        BYTES, "deny_info TCP_RESET bytes",
        "http_access deny bytes", "http_access allow all"),
         curl=(), path="/bytes/10", curl_rc=56, origin=NOTHING,
         access=dict(code="TCP_DENIED")),
    # ... and on a reply denial.
    Case("deny-info-reply", conf=(
        BYTES, "deny_info ERR_REPLY_BLOCKED bytes",
        "http_reply_access deny bytes", "http_reply_access allow all"),
         curl=(), path="/bytes/10", status=403,
         error=("ERR_REPLY_BLOCKED",), origin=dict(count=1),
         access=dict(code="TCP_DENIED_REPLY", status=403)),

    # Header rules.
    Case("request-header-access-deny", conf=(
        "request_header_access User-Agent deny all",
        "request_header_access Via deny all"),
         curl=("-H", "User-Agent: secret/1.0", "-H", "X-Keep: 1"),
         path="/headers", status=200,
         origin=dict(headers={"user-agent": None, "via": None,
                              "x-keep": "1"})),
    Case("request-header-replace", conf=(
        "request_header_access User-Agent deny all",
        "request_header_replace User-Agent Nutscrape/1.0 (CP/M; 8-bit)"),
         curl=("-H", "User-Agent: secret/1.0"), path="/headers",
         status=200, origin=dict(headers={
             "user-agent": "Nutscrape/1.0 (CP/M; 8-bit)"})),
    # "All deny": everything goes but what was allowed, and never Host
    # or the framing fields (a POST keeps its Content-Length and body).
    Case("request-header-access-all", conf=(
        "request_header_access Accept allow all",
        "request_header_access All deny all"),
         curl=("-H", "X-Secret: 1", "-H", "Accept: */*"), method="POST",
         path="/headers", upload=100, status=200,
         origin=dict(headers={"x-secret": None, "accept": "*/*",
                              "user-agent": None, "via": None,
                              "x-forwarded-for": None,
                              "host": "{origin_host}",
                              "content-length": "100"})),
    # "Other": fields Squid does not know; Referer is a known one.
    Case("request-header-access-other", conf=(
        "request_header_access Other deny all",),
         curl=("-H", "X-Custom: 1", "-H", "Referer: http://r.example/"),
         path="/headers", status=200,
         origin=dict(headers={"x-custom": None,
                              "referer": "http://r.example/"})),
    Case("request-header-access-acl", conf=(
        "acl far src 198.18.0.0/15",
        "request_header_access X-Custom deny far"),
         curl=("-H", "X-Custom: 1"), path="/headers", status=200,
         # No line matched: the opposite of the last one (Squid).
         origin=dict(headers={"x-custom": "1"})),
    Case("request-header-add", conf=(
        'request_header_add X-Client "from %>a" all',
        "acl far src 198.18.0.0/15",
        "request_header_add X-Far yes far"),
         curl=(), path="/headers", status=200,
         origin=dict(headers={"x-client": "from 127.0.0.1",
                              "x-far": None})),
    Case("reply-header-access", conf=(
        "reply_header_access X-Sha256 deny all",
        "reply_header_add X-Added yes"),
         curl=(), path="/bytes/10", status=200,
         headers={"x-sha256": None, "x-added": "yes",
                  "content-length": "10"}),
    Case("reply-header-replace", conf=(
        "reply_header_access X-Sha256 deny all",
        "reply_header_replace X-Sha256 masked"),
         curl=(), path="/bytes/10", status=200,
         headers={"x-sha256": "masked"}),

    # follow_x_forwarded_for: a trusted proxy's X-Forwarded-For names the
    # client that src acls and access.log see.
    Case("xff-followed", conf=(
        "acl lo src 127.0.0.1", "acl inner src 198.18.7.7",
        "follow_x_forwarded_for allow lo",
        "http_access allow inner", "http_access deny all"),
         curl=("-H", "X-Forwarded-For: 198.18.7.7"), path="/x",
         status=200, origin=dict(count=1),
         access=dict(client="198.18.7.7", status=200)),
    Case("xff-not-followed", conf=(
        "acl inner src 198.18.7.7",
        "http_access allow inner", "http_access deny all"),
         curl=("-H", "X-Forwarded-For: 198.18.7.7"), path="/x",
         status=403, error=("ERR_ACCESS_DENIED",), origin=NOTHING),
    # A chain: 198.18.7.7 is trusted too, so the walk goes on to
    # 198.18.9.9; the leftmost value is never reached.
    Case("xff-chain", conf=(
        "acl lo src 127.0.0.1 198.18.7.7", "acl first src 198.18.9.9",
        "follow_x_forwarded_for allow lo",
        "http_access allow first", "http_access deny all"),
         curl=("-H", "X-Forwarded-For: 198.18.1.1, 198.18.9.9, "
               "198.18.7.7"), path="/x", status=200,
         access=dict(client="198.18.9.9")),
    Case("xff-log-direct", conf=(
        "acl lo src 127.0.0.1", "follow_x_forwarded_for allow lo",
        "log_uses_indirect_client off", "http_access allow all"),
         curl=("-H", "X-Forwarded-For: 198.18.7.7"), path="/x",
         status=200, access=dict(client="127.0.0.1")),
]
