# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_cases.py - the one runner of the declarative black-box cases.

A case (cases/__init__.py: Case) is one row of a table: the tproxyd.conf
lines added to the harness's base config, what the client sends (curl
arguments, or exact bytes), and what must hold at the three sides: the
response the client gets, what the origin (origin.py) received, what
access.log and cache.log say. The tables are in tests/blackbox/cases/
(forward.py, headers.py, errors.py, accesslog.py, stats.py); to add a
case, add a Case to one of their CASES lists, e.g.

    Case("via-off", conf=("via off",), curl=(), path="/headers",
         status=200, origin=dict(headers={"via": None}),
         access=dict(code="TCP_MISS", status=200))

Each case runs alone, in this order:

  1. a fresh origin and a fresh tproxyd on the case's config;
  2. the client: curl through the proxy (`curl -x`; with upload=N the
     N-byte generated body via --data-binary) or the raw bytes on a new
     connection to the proxy (or stats) port, one response read;
  3. the deterministic end: the access.log line appears (or, NO_LINE,
     nothing is waited for), then tproxyd is stopped, which flushes its
     logs, and must end cleanly (harness.exit_problems: no crash, no
     sanitizer report); the origin is then idle. Nothing can come late:
     what must not happen (a request reaching the origin, a second log
     line) is checked after that;
  4. the checks, all of them, reported together, each with the value
     got and the one wanted.

Every access.log line is also checked for its form: 10 fields, time
%.3f within the transaction, elapsed %6d and not longer than it, client
127.0.0.1, user "-", and the case's method and URL (unless the case names
others). Templates ({origin}, {closed}, {stats_port}, ...) and the value
specs (None: absent, Re, Not, Gen, Json, (lo, hi)) are described in
cases/__init__.py.

Exchanges that need choreography (several requests on one connection,
timing between the sides, signals) stay as code in the other test_*.py.
"""

import hashlib
import json
import re
import time

import pytest

import cases as cases_mod
from cases import NO_LINE, NOTHING, Gen, Json, Not, Re
from harness import (ProtocolError, RawClient, VISIBLE_HOSTNAME,
                     closed_port, curl, elapsed_is_width6, free_port,
                     parse_access_line, wait_for)
from origin import body_chunks, body_sha256

ALL = cases_mod.load()


def fill(v, ctx):
    """The value with the templates of ctx replaced (str, bytes, tuples,
    lists, dicts of them; anything else as is)."""
    if isinstance(v, str):
        for k, x in ctx.items():
            v = v.replace("{%s}" % k, str(x))
        return v
    if isinstance(v, bytes):
        for k, x in ctx.items():
            v = v.replace(b"{%s}" % k.encode(), str(x).encode())
        return v
    if isinstance(v, tuple):
        return tuple(fill(x, ctx) for x in v)
    if isinstance(v, list):
        return [fill(x, ctx) for x in v]
    if isinstance(v, dict):
        return {k: fill(x, ctx) for k, x in v.items()}
    return v


class Checks:
    """The mismatches of one case, each with got and wanted."""

    def __init__(self, case):
        self.case = case
        self.failed = []
        self.context = []

    def eq(self, what, got, want):
        if got != want:
            self.fail(what, got, repr(want))

    def true(self, what, ok, got, want):
        if not ok:
            self.fail(what, got, want)

    def fail(self, what, got, want):
        """want: a description (str) or a spec (shown with repr)."""
        self.failed.append("%s:\n      got:  %r\n      want: %s" % (
            what, got, want if isinstance(want, str) else repr(want)))

    def spec(self, what, got, want):
        """got (a str, a list of values or a number; None: absent)
        against a spec (see cases/__init__.py)."""
        if isinstance(want, (Re, Not)):
            if isinstance(got, list):
                got = ", ".join(got) if got else None
            self.true(what, want.ok(got), got, want)
        elif isinstance(want, tuple):
            lo, hi = want
            self.true(what, got is not None and (lo is None or got >= lo)
                      and (hi is None or got <= hi), got,
                      "in [%s, %s]" % (lo, hi))
        elif isinstance(want, list):
            self.eq(what, got or [], want)
        else:
            if isinstance(got, list):
                got = ", ".join(got) if got else None
            self.eq(what, got, want)

    def verdict(self):
        if self.failed:
            raise AssertionError(
                "case %s (cases/%s.py): %d check(s) failed\n  %s\n%s" % (
                    self.case.name, self.case.module, len(self.failed),
                    "\n  ".join(self.failed), "\n".join(self.context)))


def header_values(headers, name):
    """Values of header name in a list of (name, value)."""
    return [v for n, v in headers if n.lower() == name.lower()]


def check_body(ck, what, body, body_len, body_sha, want):
    if want is None:
        return
    if isinstance(want, Gen):
        ck.eq(what + " length", body_len, want.n)
        ck.eq(what + " sha256", body_sha, want.sha256)
    elif isinstance(want, Json):
        try:
            got = json.loads(body)
        except ValueError:
            ck.fail(what + " as JSON", body[:300], "JSON")
            return
        for k, v in want.d.items():
            ck.eq("%s JSON %r" % (what, k), got.get(k), v)
    elif isinstance(want, Re):
        ck.true(what, want.ok(body), body[:500], want)
    else:
        ck.eq(what, body, want)


# -- 2. the client -----------------------------------------------------------

class Answer:
    """What the client got, whichever client it was."""
    rc = 0
    status = None
    headers = ()
    body = b""
    body_len = 0
    body_sha256 = body_sha256(0)
    error = None


def run_client(c, ctx, port, url, tmp_path):
    a = Answer()
    if c.raw is not None:
        try:
            with RawClient(port, timeout=c.max_time) as cl:
                cl.send(fill(c.raw, ctx))
                r = cl.read_response(c.method)
        except (ProtocolError, OSError) as e:
            a.error = repr(e)
            return a
        a.status, a.headers, a.body = r.status, r.headers, r.body
        a.body_len, a.body_sha256 = len(r.body), hashlib.sha256(
            r.body).hexdigest()
        return a
    data_file = None
    if c.upload is not None:
        data_file = tmp_path / "upload"
        with open(data_file, "wb") as f:
            for piece in body_chunks(c.upload, 1 << 20):
                f.write(piece)
    try:
        r = curl(port, url, args=fill(c.curl, ctx), max_time=c.max_time,
                 data_file=data_file)
    finally:
        if data_file is not None:
            data_file.unlink()
    a.rc, a.status, a.headers = r.rc, r.status, r.headers
    a.body, a.body_len, a.body_sha256 = r.body, r.body_len, r.body_sha256
    a.error = r.stderr if r.rc else None
    return a


def check_client(ck, c, a, took):
    if c.raw is not None:
        ck.true("the client's response", a.error is None, a.error,
                "a complete response")
    elif c.curl_rc is not None:
        ck.eq("curl's exit status (stderr: %s)" % (a.error or "").strip(),
              a.rc, c.curl_rc)
    if c.status is not None:
        ck.eq("status", a.status, c.status)
    for name, want in c.headers.items():
        ck.spec("response header %s" % name,
                header_values(a.headers, name) or None, want)
    check_body(ck, "response body", a.body, a.body_len, a.body_sha256,
               c.body)
    if c.error:
        xse = ", ".join(header_values(a.headers, "X-Squid-Error"))
        name, _, num = xse.partition(" ")
        ck.true("X-Squid-Error", name in c.error and num == "0", xse,
                "one of %s, then 0" % ", ".join(c.error))
        ck.true("error page naming the error",
                bool(name) and name.encode() in a.body, a.body[:300],
                "the page names %s" % name)
        ctype = ", ".join(header_values(a.headers, "Content-Type"))
        ck.true("error page Content-Type", ctype.startswith("text/html"),
                ctype, "text/html...")
    if c.incomplete is not None:
        ck.true("a cut response is not complete",
                a.rc != 0 or a.body_len != c.incomplete,
                (a.rc, a.body_len), "curl error or not %d bytes"
                % c.incomplete)
    if c.took is not None:
        lo, hi = c.took
        ck.true("time to the answer (s)", lo <= took < hi, round(took, 2),
                "in [%s, %s)" % (lo, hi))


# -- 4. the origin and the logs -----------------------------------------------

def check_origin(ck, c, records, ctx):
    ck.context.append("origin received: %s" % json.dumps(
        [{k: r.get(k) for k in ("method", "target", "peer", "headers",
                                "body_len")} for r in records])[:3000])
    if c.origin is None:
        return
    if c.origin is NOTHING:
        ck.eq("requests at the origin", [r["target"] for r in records], [])
        return
    want = fill(c.origin, ctx)
    count = want.get("count", 1)
    ck.spec("number of requests at the origin", len(records),
            count if isinstance(count, tuple) else count)
    if not records:
        return
    rec = records[-1]
    hdrs = []
    for h in rec["headers"]:
        n, _, v = h.partition(":")
        hdrs.append((n.strip().lower(), v.strip()))
    for key in ("method", "target"):
        if key in want:
            ck.eq("origin: %s" % key, rec[key], want[key])
    if "peer" in want:
        ck.eq("origin: peer address", rec["peer"][0], want["peer"])
    for name, spec in want.get("headers", {}).items():
        ck.spec("origin: header %s" % name,
                header_values(hdrs, name) or None, spec)
    if "header_seq" in want:
        prefixes, seq = want["header_seq"]
        ck.eq("origin: headers %s..., in order" % "..., ".join(prefixes),
              [(n, v) for n, v in hdrs if n.startswith(prefixes)],
              [tuple(x) for x in seq])
    if "body" in want:
        check_body(ck, "origin: request body", None, rec.get("body_len"),
                   rec.get("body_sha256"), want["body"])


def check_access(ck, c, lines, ctx, url, t0, t1):
    ck.context.append("access.log:\n%s" % ("\n".join(lines) or "(empty)"))
    if c.access is NO_LINE:
        ck.eq("access.log lines", lines, [])
        return
    if len(lines) != 1:
        ck.fail("access.log lines", lines, "exactly one")
        if not lines:
            return
    line = lines[0]
    e = parse_access_line(line)
    if e is None:
        ck.fail("access.log line: Squid's 10-field native format", line,
                "time elapsed client code/status bytes method URL user "
                "hierarchy/peer type")
        return
    ck.true("access.log: time as seconds.milliseconds",
            re.match(r"\d{10}\.\d{3} ", line) is not None, line,
            "10 digits, a dot, 3 digits")
    ck.true("access.log: elapsed as %6d", elapsed_is_width6(line), line,
            "right-aligned in 6 columns")
    ck.true("access.log: time within the transaction",
            t0 - 1 <= float(e["time"]) <= t1 + 1, e["time"],
            "in [%.3f, %.3f]" % (t0 - 1, t1 + 1))
    ck.true("access.log: elapsed (ms) not longer than the transaction",
            0 <= e["elapsed"] <= (t1 - t0) * 1000 + 1000, e["elapsed"],
            "<= %d" % ((t1 - t0) * 1000 + 1000))
    want = dict(client="127.0.0.1", user="-", method=c.method, url=url)
    want.update(fill(c.access, ctx))
    for k, spec in want.items():
        ck.spec("access.log: %s" % k, e[k], spec)


def check_cache_log(ck, c, text):
    for rx in c.cache_log:
        ck.true("cache.log contains", re.search(rx, text) is not None,
                text[-1500:], rx)
    for rx in c.cache_log_not:
        m = re.search(rx, text)
        ck.true("cache.log does not contain", m is None,
                m and m.group(0), "no %s" % rx)


# -- the runner ----------------------------------------------------------------

@pytest.mark.parametrize("c", ALL, ids=[c.name for c in ALL])
def test_case(c, tproxyd, origin, tmp_path):
    ctx = {"origin": "http://127.0.0.1:%d" % origin.port,
           "origin_host": "127.0.0.1:%d" % origin.port,
           "origin_port": origin.port,
           "closed": "http://127.0.0.1:%d" % closed_port(),
           "stats_port": free_port(), "visible_hostname": VISIBLE_HOSTNAME}
    ctx["path"] = c.path
    url = fill(c.url, ctx)
    p = tproxyd(fill(list(c.conf), ctx))
    port = p.port if c.to == "proxy" else ctx["stats_port"]

    t0, m0 = time.time(), time.monotonic()
    a = run_client(c, ctx, port, url, tmp_path)
    took, t1 = time.monotonic() - m0, time.time()
    ck = Checks(c)
    check_client(ck, c, a, took)

    # 3. The end: the log line, then the daemon stopped (logs flushed,
    # must end cleanly), then the origin idle.
    if c.access is not NO_LINE:
        wait_for(lambda: p.access_lines(), 10,
                 "case %s: the access.log line" % c.name,
                 show=lambda: "access.log: %r\nclient got: status %s, %s"
                 % (p.access_lines(), a.status, a.error))
    problems = p.stop()
    assert not problems, "\n".join(problems)
    assert origin.wait_idle(5), "the origin still serves a connection"

    check_origin(ck, c, origin.records(), ctx)
    check_access(ck, c, p.access_lines(), ctx, url, t0, t1)
    check_cache_log(ck, c, p.cache_log.read_text(errors="replace")
                    if p.cache_log.exists() else "")
    ck.verdict()
