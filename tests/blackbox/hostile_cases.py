# SPDX-License-Identifier: GPL-2.0-or-later
"""
hostile_cases.py - the tables of hostile and malformed requests and
responses (issue 6), run by test_hostile.py.

CASES holds the requests. Each row is a dict:

    name     unique id (also the origin path /h/<name> where one is used)
    raw      the exact bytes the client sends to the proxy; "{port}" is
             replaced with the origin's port
    expect   what the client must get: an int status (the proxy's own
             error page: 400, 431, 501 ...), "forwarded" (the origin's
             answer, status 200), or a tuple of acceptable outcomes where
             the RFC leaves a choice
    origin   how many requests the origin must record, exactly (a request
             is recorded only once its body was read whole, so a request
             whose head went out but whose body was cut is not counted)
    nresp    (optional, default 1) responses to read: pipelined rows
    body_len (optional) request body length the origin must record
    check    (optional) name of an extra check in test_hostile.py

The invariant behind every row is RFC 9112 section 11.2: the proxy and the
origin must agree on where each request ends, so no row may ever produce
a request at the origin that the client did not send as its own framed
request ("origin" is the exact count, and test_hostile.py also asserts that
no recorded request has a path outside /h/).

Expectations follow RFC 9112 / RFC 9110, read strictly where the RFC gives
the recipient a choice and the daemon documents strictness (src/http/h1.c
header comment): ambiguous framing is a 400, an unknown transfer coding
501, an oversized head 431.

RESPONSE_CASES and NEVER_MERGED (at the end) hold the exact bytes a
scripted server answers with; their comments say what each must give.
"""

PORT = b"{port}"
URL = b"http://127.0.0.1:" + PORT


def req(name, method=b"GET", headers=(), body=b"", version=b"HTTP/1.1",
        eol=b"\r\n", target=None, host=True):
    """Bytes of one request for /h/<name> (absolute-form), headers given as
    raw lines (bytes), nothing added but Host (unless host=False)."""
    if target is None:
        target = URL + b"/h/" + name.encode()
    lines = [method + b" " + target + b" " + version]
    if host:
        lines.append(b"Host: 127.0.0.1:" + PORT)
    lines += list(headers)
    return eol.join(lines) + eol + eol + body


def post(name, headers, body, **kw):
    return req(name, b"POST", headers, body, **kw)


CHUNKED = [b"Transfer-Encoding: chunked"]
HELLO_CHUNKED = b"5\r\nhello\r\n0\r\n\r\n"


def smuggled(name="smuggled"):
    """A complete second request hidden in a body: if the origin ever
    records /h/smuggled..., framing was desynchronised. A smuggled request
    reaches the origin on the proxy's connection whatever its target says,
    so the target has a fixed port: the body length is known here ("{port}"
    is not substituted inside bodies of a computed length)."""
    return req(name, target=b"http://127.0.0.1/h/" + name.encode(),
               host=False, headers=[b"Host: 127.0.0.1"])


def _with_cl_body(name, inner):
    return post(name, [b"Content-Length: %d" % len(inner)], inner)


CASES = [
    # ---- control rows: the machinery itself -----------------------------
    dict(name="plain_get", raw=req("plain_get"), expect="forwarded",
         origin=1),
    dict(name="plain_post", raw=post("plain_post", [b"Content-Length: 5"],
                                     b"hello"),
         expect="forwarded", origin=1, body_len=5),
    dict(name="chunked_post", raw=post("chunked_post", CHUNKED,
                                       HELLO_CHUNKED),
         expect="forwarded", origin=1, body_len=5),

    # ---- Content-Length / Transfer-Encoding (RFC 9112 6.1, 6.3) ---------
    dict(name="cl_then_te",
         raw=post("cl_then_te", [b"Content-Length: 5"] + CHUNKED,
                  b"0\r\n\r\n" + smuggled()),
         expect=400, origin=0),
    dict(name="te_then_cl",
         raw=post("te_then_cl", CHUNKED + [b"Content-Length: 4"],
                  b"5c\r\n" + smuggled() + b"\r\n0\r\n\r\n"),
         expect=400, origin=0),
    dict(name="two_cl_different",
         raw=post("two_cl_different",
                  [b"Content-Length: 5", b"Content-Length: 6"], b"hello!"),
         expect=400, origin=0),
    dict(name="two_cl_same",            # RFC 9110 8.6: may be accepted
         raw=post("two_cl_same",
                  [b"Content-Length: 5", b"Content-Length: 5"], b"hello"),
         expect=(400, "forwarded"), origin=(0, 1), body_len=5),
    dict(name="cl_plus", raw=post("cl_plus", [b"Content-Length: +5"],
                                  b"hello"),
         expect=400, origin=0),
    dict(name="cl_list_different",
         raw=post("cl_list_different", [b"Content-Length: 5, 6"],
                  b"hello!"),
         expect=400, origin=0),
    dict(name="cl_list_same",
         raw=post("cl_list_same", [b"Content-Length: 5, 5"], b"hello"),
         expect=(400, "forwarded"), origin=(0, 1), body_len=5),
    dict(name="cl_space_inside",
         raw=post("cl_space_inside", [b"Content-Length: 1 0"],
                  b"0123456789"),
         expect=400, origin=0),
    dict(name="cl_negative", raw=post("cl_negative",
                                      [b"Content-Length: -1"], b""),
         expect=400, origin=0),
    dict(name="cl_hex", raw=post("cl_hex", [b"Content-Length: 0x5"],
                                 b"hello"),
         expect=400, origin=0),
    dict(name="cl_overflow",
         raw=post("cl_overflow",
                  [b"Content-Length: 18446744073709551621"], b"hello"),
         expect=400, origin=0),
    dict(name="cl_empty", raw=post("cl_empty", [b"Content-Length: "],
                                   b""),
         expect=400, origin=0),
    dict(name="cl_leading_zeros",
         raw=post("cl_leading_zeros", [b"Content-Length: 0005"], b"hello"),
         expect="forwarded", origin=1, body_len=5),
    dict(name="te_chunked_identity",
         raw=post("te_chunked_identity",
                  [b"Transfer-Encoding: chunked, identity"], HELLO_CHUNKED),
         expect=400, origin=0),
    dict(name="te_identity",
         raw=post("te_identity", [b"Transfer-Encoding: identity"],
                  HELLO_CHUNKED),
         expect=400, origin=0),
    dict(name="te_chunked_http10",
         raw=post("te_chunked_http10", CHUNKED, HELLO_CHUNKED,
                  version=b"HTTP/1.0"),
         expect=400, origin=0),
    dict(name="te_space_before_colon",
         raw=post("te_space_before_colon",
                  [b"Transfer-Encoding : chunked", b"Content-Length: 5"],
                  HELLO_CHUNKED),
         expect=400, origin=0),
    dict(name="te_xchunked",
         raw=post("te_xchunked", [b"Transfer-Encoding: xchunked"],
                  HELLO_CHUNKED),
         expect=(400, 501), origin=0),
    dict(name="te_obs_fold",
         raw=post("te_obs_fold", [b"Transfer-Encoding:", b" chunked",
                                  b"Content-Length: 5"], HELLO_CHUNKED),
         expect=400, origin=0),
    dict(name="te_vtab",
         raw=post("te_vtab", [b"Transfer-Encoding: \x0bchunked"],
                  HELLO_CHUNKED),
         expect=400, origin=0),
    dict(name="te_split_fields_identity_last",
         raw=post("te_split_fields_identity_last",
                  CHUNKED + [b"Transfer-Encoding: identity"], HELLO_CHUNKED),
         expect=400, origin=0),
    dict(name="te_gzip_chunked",        # framing clear, coding unsupported
         raw=post("te_gzip_chunked", [b"Transfer-Encoding: gzip, chunked"],
                  HELLO_CHUNKED),
         expect=501, origin=0),
    dict(name="te_chunked_twice",       # RFC 9112 6.1: MUST NOT
         raw=post("te_chunked_twice",
                  [b"Transfer-Encoding: chunked, chunked"], HELLO_CHUNKED),
         expect=(400, 501), origin=0),
    dict(name="te_uppercase",           # codings are case-insensitive
         raw=post("te_uppercase", [b"Transfer-Encoding: CHUNKED"],
                  HELLO_CHUNKED),
         expect="forwarded", origin=1, body_len=5),
    dict(name="te_tab_ows",
         raw=post("te_tab_ows", [b"Transfer-Encoding:\tchunked\t"],
                  HELLO_CHUNKED),
         expect="forwarded", origin=1, body_len=5),

    # ---- chunk framing (RFC 9112 7.1) ------------------------------------
    dict(name="chunk_size_0x",
         raw=post("chunk_size_0x", CHUNKED, b"0x5\r\nhello\r\n0\r\n\r\n"),
         expect=400, origin=0),
    dict(name="chunk_size_negative",
         raw=post("chunk_size_negative", CHUNKED,
                  b"-1\r\nhello\r\n0\r\n\r\n"),
         expect=400, origin=0),
    dict(name="chunk_size_17_hex_digits",
         raw=post("chunk_size_17_hex_digits", CHUNKED,
                  b"10000000000000005\r\nhello\r\n0\r\n\r\n"),
         expect=400, origin=0),
    dict(name="chunk_size_2_63",
         raw=post("chunk_size_2_63", CHUNKED,
                  b"8000000000000000\r\nhello\r\n0\r\n\r\n"),
         expect=400, origin=0),
    dict(name="chunk_size_leading_zeros",   # valid: 1*HEXDIG
         raw=post("chunk_size_leading_zeros", CHUNKED,
                  b"000000000000000000005\r\nhello\r\n0\r\n\r\n"),
         expect="forwarded", origin=1, body_len=5),
    dict(name="chunk_missing_crlf_after_data",
         raw=post("chunk_missing_crlf_after_data", CHUNKED,
                  b"5\r\nhello0\r\n\r\n"),
         expect=400, origin=0),
    dict(name="chunk_data_longer_than_size",
         raw=post("chunk_data_longer_than_size", CHUNKED,
                  b"3\r\nhello\r\n0\r\n\r\n"),
         expect=400, origin=0),
    dict(name="chunk_ext_ctl_char",
         raw=post("chunk_ext_ctl_char", CHUNKED,
                  b"5;a=\x01b\r\nhello\r\n0\r\n\r\n"),
         expect=400, origin=0),
    dict(name="chunk_ext_bare_cr",
         raw=post("chunk_ext_bare_cr", CHUNKED,
                  b"5;a\rb\r\nhello\r\n0\r\n\r\n"),
         expect=400, origin=0),
    dict(name="chunk_ext_valid",
         raw=post("chunk_ext_valid", CHUNKED,
                  b"5;name=value;q=\"x y\"\r\nhello\r\n0\r\n\r\n"),
         expect="forwarded", origin=1, body_len=5),
    dict(name="chunk_size_space_inside",
         raw=post("chunk_size_space_inside", CHUNKED,
                  b"1 0\r\n0123456789abcdef\r\n0\r\n\r\n"),
         expect=400, origin=0),
    # RFC 9112 7.1 requires CRLF in chunked framing (the bare-LF allowance
    # of section 2.2 covers the start line and fields only). A proxy that
    # accepts a bare LF there and passes the bytes on unchanged makes the
    # origin parse a body it framed differently ("funky chunks"): 400.
    dict(name="chunk_bare_lf_framing",
         raw=post("chunk_bare_lf_framing", CHUNKED,
                  b"5\nhello\n0\n\n"),
         expect=400, origin=0),
    dict(name="chunk_bad_trailer",
         raw=post("chunk_bad_trailer", CHUNKED,
                  b"5\r\nhello\r\n0\r\nX: a\x00b\r\n\r\n"),
         expect=400, origin=0),

    # ---- field syntax (RFC 9112 5, 2.2) ----------------------------------
    dict(name="bare_cr_in_header",
         raw=req("bare_cr_in_header", headers=[b"X-A: a\rX-B: b"]),
         expect=400, origin=0),
    dict(name="bare_lf_line_ends",      # RFC 9112 2.2: MAY accept
         raw=req("bare_lf_line_ends", headers=[b"X-A: a"], eol=b"\n"),
         expect="forwarded", origin=1),
    dict(name="nul_in_header_value",
         raw=req("nul_in_header_value", headers=[b"X-A: a\x00b"]),
         expect=400, origin=0),
    dict(name="del_in_header_value",
         raw=req("del_in_header_value", headers=[b"X-A: a\x7fb"]),
         expect=400, origin=0),
    dict(name="obs_text_in_header_value",   # obs-text is allowed
         raw=req("obs_text_in_header_value", headers=[b"X-A: caf\xe9"]),
         expect="forwarded", origin=1),
    dict(name="obs_fold",               # 9112 5.2: 400 or replace with SP
         raw=req("obs_fold", headers=[b"X-A: a", b" b"]),
         expect=(400, "forwarded"), origin=(0, 1)),
    dict(name="ws_before_colon",
         raw=req("ws_before_colon", headers=[b"X-A : b"]),
         expect=400, origin=0),
    dict(name="header_no_colon",
         raw=req("header_no_colon", headers=[b"X-A b"]),
         expect=400, origin=0),
    dict(name="empty_header_name",
         raw=req("empty_header_name", headers=[b": b"]),
         expect=400, origin=0),
    dict(name="bad_char_in_header_name",
         raw=req("bad_char_in_header_name", headers=[b"X(A): b"]),
         expect=400, origin=0),
    dict(name="first_header_folded",    # space right after the start line
         raw=req("first_header_folded", host=False,
                 headers=[b" Host: 127.0.0.1"]),
         expect=400, origin=0),

    # ---- request line (RFC 9112 3) ---------------------------------------
    dict(name="bad_method_char", raw=req("bad_method_char",
                                         method=b"GE(T"),
         expect=400, origin=0),
    dict(name="space_in_target",
         raw=req("space_in_target", target=URL + b"/h/space in_target"),
         expect=400, origin=0),
    dict(name="ctl_in_target",
         raw=req("ctl_in_target", target=URL + b"/h/ctl\x01in_target"),
         expect=400, origin=0),
    dict(name="tab_in_target",
         raw=req("tab_in_target", target=URL + b"/h/tab\tin_target"),
         expect=400, origin=0),
    dict(name="bare_cr_in_target",
         raw=req("bare_cr_in_target", target=URL + b"/h/cr\rin_target"),
         expect=400, origin=0),
    dict(name="two_spaces_after_method",
         raw=req("two_spaces_after_method", method=b"GET "),
         expect=400, origin=0),
    # RFC 9110 2.5: a higher minor version SHOULD be processed as 1.1.
    # RFC 9112 2.3: a later minor version is served as HTTP/1.1; another
    # major version is refused with 505.
    dict(name="http_1_2", raw=req("http_1_2", version=b"HTTP/1.2"),
         expect="forwarded", origin=1),
    dict(name="http_2_0", raw=req("http_2_0", version=b"HTTP/2.0"),
         expect=505, origin=0),
    dict(name="http_1_10", raw=req("http_1_10", version=b"HTTP/1.10"),
         expect=(400, 505), origin=0),
    dict(name="version_trailing_space",
         raw=req("version_trailing_space", version=b"HTTP/1.1 "),
         expect=400, origin=0),
    dict(name="version_lowercase",
         raw=req("version_lowercase", version=b"http/1.1"),
         expect=400, origin=0),
    dict(name="http_0_9", raw=b"GET " + URL + b"/h/http_0_9\r\n\r\n",
         expect=400, origin=0),
    dict(name="leading_empty_lines",    # RFC 9112 2.2: ignore them
         raw=b"\r\n\r\n" + req("leading_empty_lines"),
         expect="forwarded", origin=1),

    # ---- sizes (request_header_max_size 64 KB, 100 fields) ---------------
    dict(name="request_line_too_long",
         raw=req("request_line_too_long",
                 target=URL + b"/h/request_line_too_long?" +
                 b"a" * (70 * 1024)),
         expect=(414, 431), origin=0),
    dict(name="head_too_long",
         raw=req("head_too_long",
                 headers=[b"X-Big-%d: %s" % (i, b"b" * 4000)
                          for i in range(20)]),
         expect=431, origin=0),
    dict(name="too_many_fields",
         raw=req("too_many_fields",
                 headers=[b"X-F%d: v" % i for i in range(101)]),
         expect=431, origin=0),
    dict(name="hundred_fields",         # Host + 99 = the limit, accepted
         raw=req("hundred_fields",
                 headers=[b"X-F%d: v" % i for i in range(99)]),
         expect="forwarded", origin=1),

    # ---- Host (RFC 9112 3.2, 3.2.2) --------------------------------------
    dict(name="no_host_absolute_form",
         raw=req("no_host_absolute_form", host=False),
         expect="forwarded", origin=1, check="host_is_target"),
    dict(name="two_host_headers",
         raw=req("two_host_headers", headers=[b"Host: evil.example"]),
         expect=(400, "forwarded"), origin=(0, 1), check="host_is_target"),
    dict(name="host_differs_from_target",
         raw=req("host_differs_from_target", host=False,
                 headers=[b"Host: evil.example"]),
         expect="forwarded", origin=1, check="host_is_target"),

    # ---- pipelining and bodies that look like requests -------------------
    dict(name="pipelined_cl0",
         raw=post("pipelined_cl0", [b"Content-Length: 0"], b"") +
         req("pipelined_cl0_second"),
         expect=("forwarded",), origin=2, nresp=2,
         check="pipelined_paths"),
    dict(name="request_in_cl_body",
         raw=_with_cl_body("request_in_cl_body", smuggled()),
         expect="forwarded", origin=1, body_len=len(smuggled())),
    dict(name="request_in_chunked_body",
         raw=post("request_in_chunked_body", CHUNKED,
                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled()), smuggled())),
         expect="forwarded", origin=1, body_len=len(smuggled())),
    dict(name="get_with_cl_body_smuggle",
         raw=req("get_with_cl_body_smuggle",
                 headers=[b"Content-Length: %d" % len(smuggled())]) +
         smuggled(),
         expect="forwarded", origin=1, body_len=len(smuggled())),
    dict(name="cl_te_then_pipelined",   # the classic CL.TE attack
         raw=post("cl_te_then_pipelined", [b"Content-Length: 6"] + CHUNKED,
                  b"0\r\n\r\nX") + smuggled(),
         expect=400, origin=0),

    # ---- Connection naming a framing field (RFC 9110 7.6.1) -------------
    # Connection makes the fields it names hop-by-hop, but the proxy framed
    # the body by Transfer-Encoding / Content-Length and relays it in that
    # framing: dropping the field would leave the origin a POST without a
    # body followed by whatever the chunk held. The framing the proxy
    # parsed is the framing the origin gets.
    dict(name="conn_te_smuggle",
         raw=post("conn_te_smuggle",
                  [b"Connection: Transfer-Encoding"] + CHUNKED,
                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled()), smuggled())),
         expect="forwarded", origin=1, body_len=len(smuggled())),
    # The bug report's chunk: an origin-form request (45 bytes, 0x2d).
    dict(name="conn_te_origin_form_inside",
         raw=post("conn_te_origin_form_inside",
                  [b"Connection: Transfer-Encoding"] + CHUNKED,
                  b"2d\r\nGET /smuggled HTTP/1.1\r\nHost: origin.test\r\n"
                  b"\r\n\r\n0\r\n\r\n"),
         expect="forwarded", origin=1, body_len=0x2d),
    # ... and as the report wrote it, one byte short ("2c"): the chunk then
    # ends in "\r" followed by "\n\r", which is no chunk framing at all.
    dict(name="conn_te_chunk_one_short",
         raw=post("conn_te_chunk_one_short",
                  [b"Connection: Transfer-Encoding"] + CHUNKED,
                  b"2c\r\nGET /smuggled HTTP/1.1\r\nHost: origin.test\r\n"
                  b"\r\n\r\n0\r\n\r\n"),
         expect=400, origin=0),
    dict(name="conn_close_te_smuggle",
         raw=post("conn_close_te_smuggle",
                  [b"Connection: close, Transfer-Encoding"] + CHUNKED,
                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled()), smuggled())),
         expect="forwarded", origin=1, body_len=len(smuggled())),
    dict(name="conn_te_lower_case",
         raw=post("conn_te_lower_case",
                  [b"connection: transfer-encoding",
                   b"transfer-encoding: chunked"],
                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled()), smuggled())),
         expect="forwarded", origin=1, body_len=len(smuggled())),
    dict(name="conn_te_upper_case",
         raw=post("conn_te_upper_case",
                  [b"CONNECTION: TRANSFER-ENCODING",
                   b"TRANSFER-ENCODING: CHUNKED"],
                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled()), smuggled())),
         expect="forwarded", origin=1, body_len=len(smuggled())),
    dict(name="conn_te_several_fields",
         raw=post("conn_te_several_fields",
                  [b"Connection: keep-alive", b"Connection: X-Foo",
                   b"Transfer-Encoding: chunked", b"X-Foo: 1",
                   b"Connection: Transfer-Encoding"],
                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled()), smuggled())),
         expect="forwarded", origin=1, body_len=len(smuggled())),
    dict(name="conn_te_among_tokens",
         raw=post("conn_te_among_tokens",
                  [b"Connection: X-Foo,Transfer-Encoding ,\tkeep-alive"]
                  + CHUNKED,
                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled()), smuggled())),
         expect="forwarded", origin=1, body_len=len(smuggled())),
    dict(name="conn_te_then_pipelined",     # the proxy stays in step too
         raw=post("conn_te_then_pipelined",
                  [b"Connection: Transfer-Encoding"] + CHUNKED,
                  HELLO_CHUNKED) + req("conn_te_then_pipelined_second"),
         expect=("forwarded",), origin=2, nresp=2,
         check="pipelined_paths"),
    dict(name="conn_te_http10",             # TE in 1.0 stays refused
         raw=post("conn_te_http10",
                  [b"Connection: Transfer-Encoding"] + CHUNKED,
                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled()), smuggled()),
                  version=b"HTTP/1.0"),
         expect=400, origin=0),
    dict(name="conn_te_and_cl",             # TE + CL stays refused
         raw=post("conn_te_and_cl",
                  [b"Connection: Transfer-Encoding, Content-Length",
                   b"Content-Length: 4"] + CHUNKED,
                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled()), smuggled())),
         expect=400, origin=0),
    dict(name="conn_cl_smuggle",
         raw=post("conn_cl_smuggle", [b"Connection: Content-Length",
                                      b"Content-Length: %d" % len(smuggled())],
                  smuggled()),
         expect="forwarded", origin=1, body_len=len(smuggled())),
    dict(name="conn_cl_get_smuggle",
         raw=req("conn_cl_get_smuggle",
                 headers=[b"Content-Length: %d" % len(smuggled()),
                          b"connection: close, content-length"]) +
         smuggled(),
         expect="forwarded", origin=1, body_len=len(smuggled())),
    dict(name="conn_host",
         raw=req("conn_host", headers=[b"Connection: Host"]),
         expect="forwarded", origin=1, check="host_is_target"),
]

assert len({c["name"] for c in CASES}) == len(CASES), "duplicate names"


# ---------------------------------------------------------------------------
# Response side: raw_server.RawServer sends these exact bytes as the answer
# to the first request of a test (test_hostile.py).
# ---------------------------------------------------------------------------

SECOND = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"
SMUGGLED_RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nSMUGGLED"
# A whole response, hidden in the body of another (63 bytes, 0x3f).
HIDDEN_RESP = (b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\nX-Smuggled: yes\r\n"
               b"\r\nSMUGGLED")


def chunked(data):
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data)


# (name, bytes, allowed): the proxy answers 502 (head invalid) or, once a
# response head was relayed, cuts the connection ("cut": never a
# complete-looking body).
RESPONSE_CASES = [
    ("two_cl", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
               b"Content-Length: 6\r\n\r\nhello!", (502,)),
    ("cl_plus", b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
     (502,)),
    ("cl_list_different", b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n"
                          b"hello!", (502,)),
    ("bare_cr_header", b"HTTP/1.1 200 OK\r\nX-A: a\rX-B: b\r\n"
                       b"Content-Length: 5\r\n\r\nhello", (502,)),
    ("nul_header", b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n"
                   b"Content-Length: 5\r\n\r\nhello", (502,)),
    ("space_before_colon", b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n"
                           b"hello", (502,)),
    ("obs_fold", b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n"
                 b"Content-Length: 5\r\n\r\nhello", (502, 200)),
    ("bad_status", b"HTTP/1.1 2000 OK\r\nContent-Length: 5\r\n\r\nhello",
     (502,)),
    ("http_2_status", b"HTTP/2.0 200 OK\r\nContent-Length: 5\r\n\r\nhello",
     (502,)),
    ("bad_chunk_size", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                       b"\r\n0x5\r\nhello\r\n0\r\n\r\n", ("cut",)),
]

# Responses that must never merge with the next one: two pipelined GETs
# (version: the client's) on one client connection, the first answered
# with `first` (then the server does `after`: "close" or "keep"), every
# later request with SECOND. The first must come back as one well-framed
# response (status in allowed, body one of bodies) or be delimited by the
# proxy closing; no later request may get bytes the server sent within or
# after the first response.
NEVER_MERGED = [
    # Extra bytes after a Content-Length body look like a second response.
    dict(name="extra_after_cl_body",
         first=b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" +
         SMUGGLED_RESP, allowed=(200,), bodies=(b"hello",)),
    # Extra bytes after the last chunk.
    dict(name="extra_after_last_chunk",
         first=b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED_RESP,
         allowed=(200,), bodies=(b"hello",)),
    # CL + TE: TE wins (RFC 9112 6.3 rule 3) and CL must be removed, or 502.
    dict(name="cl_and_te",
         first=b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" +
         SMUGGLED_RESP, allowed=(200, 502), bodies=(b"hello",)),
    # HTTP/1.0 cannot mean chunked (RFC 9112 6.1): the body is delimited by
    # close. The proxy speaks HTTP/1.1 to the client, so relaying
    # "Transfer-Encoding: chunked" with that body would let the client end
    # the body at "0\r\n\r\n" and read the rest as the next response.
    dict(name="http10_with_te_chunked",
         first=b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED_RESP, allowed=(200, 502),
         bodies=(b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED_RESP,)),

    # Connection naming a framing field: the proxy frames the body by it,
    # so the client must get it too, or a chunked body reaches the client
    # unframed on a kept connection and the response hidden in the chunk
    # reads as the answer to the next request.
    dict(name="conn_te",
         first=b"HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n" + chunked(HIDDEN_RESP),
         allowed=(200,), bodies=(HIDDEN_RESP,)),
    dict(name="conn_te_server_keeps",
         first=b"HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n" + chunked(HIDDEN_RESP),
         allowed=(200,), bodies=(HIDDEN_RESP,), after="keep"),
    dict(name="conn_close_te",
         first=b"HTTP/1.1 200 OK\r\nConnection: close, Transfer-Encoding\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n" + chunked(HIDDEN_RESP),
         allowed=(200,), bodies=(HIDDEN_RESP,)),
    dict(name="conn_te_case",
         first=b"HTTP/1.1 200 OK\r\nconnection: TRANSFER-ENCODING\r\n"
         b"transfer-encoding: Chunked\r\n\r\n" + chunked(HIDDEN_RESP),
         allowed=(200,), bodies=(HIDDEN_RESP,)),
    dict(name="conn_te_several_fields",
         first=b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"
         b"Transfer-Encoding: chunked\r\nConnection: X-Foo, "
         b"Transfer-Encoding\r\nX-Foo: 1\r\n\r\n" + chunked(HIDDEN_RESP),
         allowed=(200,), bodies=(HIDDEN_RESP,)),
    # An HTTP/1.0 client: the proxy removes the chunking itself and closes.
    dict(name="conn_te_http10_client",
         first=b"HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n" + chunked(HIDDEN_RESP),
         allowed=(200,), bodies=(HIDDEN_RESP,), version="HTTP/1.0"),
    dict(name="conn_cl_extra",
         first=b"HTTP/1.1 200 OK\r\nConnection: Content-Length\r\n"
         b"Content-Length: 5\r\n\r\nhello" + SMUGGLED_RESP,
         allowed=(200,), bodies=(b"hello",)),
    # Both framing fields, Transfer-Encoding named in Connection: TE
    # frames (RFC 9112 6.3 rule 3), whatever Content-Length claims.
    dict(name="conn_te_cl_covers_more",
         first=b"HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\n"
         b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n"
         % (5 + len(HIDDEN_RESP)) + b"0\r\n\r\n" + HIDDEN_RESP,
         allowed=(200, 502), bodies=(b"",)),
    dict(name="conn_te_cl_covers_less",
         first=b"HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\n"
         b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" +
         chunked(HIDDEN_RESP), allowed=(200, 502), bodies=(HIDDEN_RESP,)),
    dict(name="conn_cl_te",
         first=b"HTTP/1.1 200 OK\r\n"
         b"Connection: Content-Length, Transfer-Encoding\r\n"
         b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" +
         chunked(HIDDEN_RESP), allowed=(200, 502), bodies=(HIDDEN_RESP,)),
]

assert len({c["name"] for c in NEVER_MERGED}) == len(NEVER_MERGED)
