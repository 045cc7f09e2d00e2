# SPDX-License-Identifier: GPL-2.0-or-later
"""
cases - the black-box cases that are rows of a table, as data.

Each module here (forward.py, headers.py, errors.py, accesslog.py,
stats.py, acl.py) defines CASES, a list of Case; test_cases.py runs them all with
one runner (its docstring describes the run and the format). This file
holds the format: Case and the value matchers (Re, Not, Gen, Json) and
markers (NOTHING, NO_LINE) the tables use.
"""

import importlib
import re
from dataclasses import dataclass, field

from origin import body_sha256

MODULES = ("forward", "headers", "errors", "accesslog", "stats", "acl",
           "rules")


class Re:
    """A value (str, or bytes for a body) that must match the pattern
    entirely (re.fullmatch)."""

    def __init__(self, pattern, flags=0):
        self.rx = re.compile(pattern, flags)

    def ok(self, v):
        return v is not None and self.rx.fullmatch(v) is not None

    def __repr__(self):
        return "Re(%r)" % self.rx.pattern


class Not:
    """A value in which the pattern must not occur (re.search); an absent
    value passes."""

    def __init__(self, pattern, flags=0):
        self.rx = re.compile(pattern, flags)

    def ok(self, v):
        return v is None or self.rx.search(v) is None

    def __repr__(self):
        return "Not(%r)" % self.rx.pattern


class Gen:
    """A body that is the n deterministic bytes origin.py generates
    (length and sha256 compared)."""

    def __init__(self, n):
        self.n = n
        self.sha256 = body_sha256(n)

    def __repr__(self):
        return "Gen(%d bytes, sha256 %s)" % (self.n, self.sha256[:16])


class Json:
    """A JSON body with (at least) these keys and values."""

    def __init__(self, d):
        self.d = d

    def __repr__(self):
        return "Json(%r)" % (self.d,)


NOTHING = "the request must not reach the origin"
NO_LINE = "no access.log line"


@dataclass
class Case:
    """One row: client request, proxy config, expectations.

    Strings marked "template" may contain {origin} (http://127.0.0.1:PORT
    of the test origin), {origin_host} (127.0.0.1:PORT), {origin_port}
    (PORT), {closed}
    (http://127.0.0.1:PORT where nothing listens), {stats_port}, {path}
    (this case's path)."""

    name: str
    conf: tuple = ()            # tproxyd.conf lines added (templates)

    # -- the client -------------------------------------------------------
    curl: tuple = None          # curl arguments (templates), sent via -x
    raw: bytes = None           # or: these exact bytes (template), one
                                # response read
    method: str = "GET"         # the request's method (logs, origin)
    path: str = "/"
    url: str = "{origin}{path}"  # what curl asks for / the log names
    upload: int = None          # curl: upload Gen(upload) as the body
    to: str = "proxy"           # "proxy" or "stats": the port used
    max_time: int = 20          # curl --max-time / raw read timeout

    # -- what the client gets ---------------------------------------------
    status: int = None
    headers: dict = field(default_factory=dict)   # name: spec (see below)
    body: object = None         # bytes | Re (bytes) | Gen | Json
    error: tuple = ()           # X-Squid-Error "NAME 0" with NAME one of
                                # these, an HTML page naming it
    incomplete: int = None      # n: never a complete n-byte body
    took: tuple = None          # (min, max) seconds to the answer
    curl_rc: int = 0            # curl's exit status (None: not checked)

    # -- what the origin sees ---------------------------------------------
    # None: not checked; NOTHING; or a dict with any of
    #   count        number of requests received (default 1), or (lo, hi)
    #   method, target   of the last request (target: origin-form)
    #   peer         its client address (the proxy's side)
    #   headers      {name: spec} of the last request
    #   header_seq   (prefixes, [(name, value), ...]): the headers whose
    #                lower-case name starts with a prefix, in order
    #   body         Gen: the body received (length, sha256)
    origin: object = None

    # -- what the logs say ------------------------------------------------
    # The one access.log line of the transaction: {field: spec} on top of
    # client 127.0.0.1, user "-", method and url of the case; NO_LINE.
    access: object = field(default_factory=dict)
    cache_log: tuple = ()       # regexes cache.log must contain
    cache_log_not: tuple = ()   # ... must not contain


# A header spec (response headers, origin headers) or an access.log
# field spec is: None (absent), a str or int (equal; headers: the values
# joined with ", "), a list (the header's values, in order), Re, Not, or
# (lo, hi) for a number (either bound None: open).


def load():
    """Every case of every module, names unique."""
    out = []
    for m in MODULES:
        mod = importlib.import_module("cases." + m)
        for c in mod.CASES:
            c.module = m
            out.append(c)
    names = [c.name for c in out]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, "case names used twice: %s" % ", ".join(sorted(dup))
    return out
