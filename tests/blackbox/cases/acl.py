# SPDX-License-Identifier: GPL-2.0-or-later
"""
acl.py - acl types deciding http_access for real requests (Squid's
time, browser, req_header, dstdomain with a leading dot, maxconn, the
predefined CONNECT and its redefinition, adapted_http_access) and
client_netmask in the log: config, request, and whether
the origin got it.
"""

import time

from cases import NOTHING, Case

DENIED = dict(status=403, error=("ERR_ACCESS_DENIED",), origin=NOTHING)
PASSED = dict(status=200, origin=dict(count=1))

# Squid's day letters; tm_wday order (Sunday first).
DAYS = "SMTWHFA"
_wday = (time.localtime().tm_wday + 1) % 7      # Python: Monday is 0
# Today and tomorrow (a run crossing midnight stays inside), and a day
# that is neither of them nor yesterday.
NEAR = DAYS[_wday] + DAYS[(_wday + 1) % 7]
FAR = DAYS[(_wday + 3) % 7]

# (name, config lines, curl arguments, url, denied?)
ROWS = [
    ("time-today", ["acl t time %s 00:00-24:00" % NEAR,
                    "http_access deny t", "http_access allow all"],
     (), "{origin}{path}", True),
    ("time-other-day", ["acl t time %s 00:00-24:00" % FAR,
                        "http_access deny t", "http_access allow all"],
     (), "{origin}{path}", False),
    ("time-allow-days-only", ["acl t time %s" % NEAR,
                              "http_access allow t"],
     (), "{origin}{path}", False),
    ("browser-denied", ["acl ua browser -i ^evilbot/",
                        "http_access deny ua", "http_access allow all"],
     ("-A", "EvilBot/2.0"), "{origin}{path}", True),
    ("browser-other", ["acl ua browser -i ^evilbot/",
                       "http_access deny ua", "http_access allow all"],
     ("-A", "curl-test/1"), "{origin}{path}", False),
    ("req-header-denied", ["acl h req_header X-Block -i ^yes$",
                           "http_access deny h", "http_access allow all"],
     ("-H", "X-Block: YES"), "{origin}{path}", True),
    ("req-header-absent", ["acl h req_header X-Block -i ^yes$",
                           "http_access deny h", "http_access allow all"],
     (), "{origin}{path}", False),
    ("req-header-value", ["acl h req_header X-Block -i ^yes$",
                          "http_access deny h", "http_access allow all"],
     ("-H", "X-Block: yesterday"), "{origin}{path}", False),
    # ".blocked.test" covers the domain itself and every name under it;
    # denied before any DNS lookup.
    ("dstdomain-dot-sub", ["acl d dstdomain .blocked.test",
                           "http_access deny d", "http_access allow all"],
     (), "http://www.blocked.test{path}", True),
    ("dstdomain-dot-apex", ["acl d dstdomain .blocked.test",
                            "http_access deny d", "http_access allow all"],
     (), "http://BLOCKED.test{path}", True),
    ("dstdomain-dot-other", ["acl d dstdomain .blocked.test",
                             "http_access deny d", "http_access allow all"],
     (), "{origin}{path}", False),
    # An address literal matches a value naming that address.
    ("dstdomain-literal", ["acl d dstdomain 127.0.0.1",
                           "http_access deny d", "http_access allow all"],
     (), "{origin}{path}", True),
    # This request's own connection counts: 1 is more than 0, not than 1.
    ("maxconn-over", ["acl m maxconn 0", "http_access deny m",
                      "http_access allow all"], (), "{origin}{path}", True),
    ("maxconn-within", ["acl m maxconn 1", "http_access deny m",
                        "http_access allow all"], (), "{origin}{path}",
     False),
    # all-of: both must match.
    ("all-of", ["acl ua browser ^curl-test", "acl me src 127.0.0.1",
                "acl both all-of me ua", "http_access deny both",
                "http_access allow all"],
     ("-A", "curl-test/1"), "{origin}{path}", True),
    ("all-of-one", ["acl ua browser ^curl-test", "acl me src 127.0.0.1",
                    "acl both all-of me ua", "http_access deny both",
                    "http_access allow all"],
     ("-A", "other/1"), "{origin}{path}", False),
    # A reply acl in http_access never matches (warned at load).
    ("rep-header-in-http-access", ["acl s rep_header Server .",
                                   "http_access deny s",
                                   "http_access allow all"],
     (), "{origin}{path}", False),
    # A host name is resolved when the configuration is read, every
    # address of it added, as Squid does: localhost (from /etc/hosts) is
    # the client's 127.0.0.1 and the origin's.
    ("src-hostname", ["acl me src localhost", "http_access deny me",
                      "http_access allow all"],
     (), "{origin}{path}", True),
    ("src-hostname-allow", ["acl me src localhost", "http_access allow me"],
     (), "{origin}{path}", False),
    ("dst-hostname", ["acl d dst localhost", "http_access deny d",
                      "http_access allow all"],
     (), "{origin}{path}", True),
    # Squid 2/3 defaults redefine predefined acls: the values add up.
    ("redefined-localhost", ["acl localhost src 127.0.0.1/32",
                             "acl manager proto cache_object",
                             "http_access deny manager",
                             "http_access allow localhost"],
     (), "{origin}{path}", False),
]

CASES = []
for name, conf, args, url, denied in ROWS:
    CASES.append(Case(
        "acl-" + name, conf=tuple(conf), curl=tuple(args), url=url,
        path="/bytes/1",
        access=dict(status=403 if denied else 200),
        **(DENIED if denied else PASSED)))

# The predefined CONNECT (Debian's squid.conf: "http_access deny CONNECT
# !SSL_ports") decides a tunnel to a port outside the list.
CASES.append(Case(
    "acl-predefined-connect", conf=("acl SSL_ports port 443",
                                    "http_access deny CONNECT !SSL_ports",
                                    "http_access allow all"),
    raw=b"CONNECT {origin_host} HTTP/1.1\r\nHost: {origin_host}\r\n\r\n",
    method="CONNECT", url="{origin_host}", access=dict(status=403),
    **DENIED))

# adapted_http_access (Squid 2's http_access2): a second list after
# http_access, on the same request (tproxyd adapts none).
CASES += [
    Case("adapted-http-access-denies",
         conf=("acl ua browser ^blocked-agent", "http_access allow all",
               "adapted_http_access deny ua",
               "adapted_http_access allow all"),
         curl=("-A", "blocked-agent/1"), path="/bytes/1",
         access=dict(status=403, code="TCP_DENIED"), **DENIED),
    Case("adapted-http-access-allows",
         conf=("acl ua browser ^blocked-agent", "http_access allow all",
               "adapted_http_access deny ua",
               "adapted_http_access allow all"),
         curl=("-A", "other-agent/1"), path="/bytes/1",
         access=dict(status=200), **PASSED),
    Case("http-access2-alias",
         conf=("acl ua browser ^blocked-agent", "http_access allow all",
               "http_access2 deny ua"),
         curl=("-A", "blocked-agent/1"), path="/bytes/1",
         access=dict(status=403), **DENIED),
    # http_access still decides first: adapted_http_access cannot allow
    # what it denied.
    Case("adapted-http-access-after-deny",
         conf=("http_access deny all", "adapted_http_access allow all"),
         curl=(), path="/bytes/1", access=dict(status=403), **DENIED),
    # client_netmask: the client's address is masked in access.log.
    Case("client-netmask-logged-masked",
         conf=("http_access allow all", "client_netmask 255.255.0.0"),
         curl=(), path="/bytes/1", access=dict(status=200, client="127.0.0.0"),
         **PASSED),
    Case("client-netmask-prefix",
         conf=("http_access allow all", "client_netmask /8"),
         curl=(), path="/bytes/1", access=dict(status=200, client="127.0.0.0"),
         **PASSED),
]
