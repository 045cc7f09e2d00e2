# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_tls_config.py - `tproxyd -k parse` on configurations for HTTPS
interception (issue 13), as an operator writes them: a Squid
peek/splice/terminate configuration with its acls (values from a quoted
file too) loads, with the warnings tproxyd owes and nothing else; what
tproxyd cannot do (an https_port that ends the clients' TLS itself) stops
the load with FILE:LINE and "not supported by tproxyd", every such line
reported in one run; a decrypting rule without the port's CA and Squid's
own refusals (https_port tproxy without ssl-bump) are refused too.
"""

import re

import pytest

from harness import free_port


def output_lines(p):
    return [ln for ln in (p.stdout + p.stderr).splitlines() if ln.strip()]


def messages(t, p):
    """{line: [message, ...]} of the FILE:LINE: messages about t.conf."""
    pat = re.compile(re.escape(str(t.conf)) + r":(\d+): (.+)$")
    found = {}
    for ln in output_lines(p):
        m = pat.search(ln)
        if m:
            found.setdefault(int(m.group(1)), []).append(m.group(2))
    return found


def line_of(t, text):
    """The line number of the config line that is exactly text."""
    lines = t.conf.read_text().splitlines()
    return lines.index(text) + 1


def test_peek_splice_terminate_loads(tproxyd_conf, tmp_path):
    """The configuration of tproxyd.conf(5)'s example, with each TLS acl
    type and a list of names read from a file: loads (exit 0) without a
    message (cert= and friends are only read when a rule decrypts)."""
    (tmp_path / "ca-bundle.pem").write_text("")
    names = tmp_path / "blocked.txt"
    names.write_text("# blocked sites\n.ads.example\ntracker.example\n"
                     "2001:DB8::7\n")
    port = free_port()
    https = ("https_port 127.0.0.1:%d tproxy ssl-bump cert=%s "
             "generate-host-certificates=on "
             "dynamic_cert_mem_cache_size=4MB" % (port, tmp_path / "ca.pem"))
    t = tproxyd_conf([
        https,
        "acl step1 at_step SslBump1",
        "acl step2 at_step SslBump2",
        'acl blocked ssl::server_name "%s"' % names,
        "acl forged ssl::server_name --consensus none",
        "acl cdn ssl::server_name_regex -i \\.cdn\\.example$",
        "acl expired ssl_error ssl::certHasExpired",
        "acl enc connections_encrypted",
        "acl foreign squid_error ERR_PROTOCOL_UNKNOWN ERR_TOO_BIG",
        "ssl_bump peek step1",
        "ssl_bump terminate blocked",
        "ssl_bump peek step2 cdn",
        "ssl_bump terminate forged !step1 !step2",
        "ssl_bump terminate ssl::certUntrusted !step1 !step2",
        "ssl_bump splice all",
        "on_unsupported_protocol tunnel foreign",
        "on_unsupported_protocol respond all",
        "tls_outgoing_options cafile=%s" % (tmp_path / "ca-bundle.pem"),
    ])
    p = t.run_k("parse")
    out = output_lines(p)
    assert p.returncode == 0, out
    found = messages(t, p)
    assert found == {}, out
    assert out == [], out


@pytest.mark.parametrize("action", ["client-first", "server-first"])
def test_old_bumping_modes_need_the_ca(tproxyd_conf, action):
    """Squid 3's bumping modes decrypt (test_tls_bump.py): like bump, on a
    port without cert= they stop the load at the port's line."""
    port = free_port()
    https = "https_port 127.0.0.1:%d intercept ssl-bump" % port
    t = tproxyd_conf([https, "ssl_bump %s all" % action])
    p = t.run_k("parse")
    out = output_lines(p)
    assert p.returncode == 1, out
    found = messages(t, p)
    assert list(found) == [line_of(t, https)], out
    assert found[line_of(t, https)][0].startswith(
        "https_port: ssl_bump %s needs cert=CA.pem on this port" %
        action), out


def test_bump_without_a_ca_refused(tproxyd_conf):
    """ssl_bump bump on a port without cert=: exit 1 at the port's line,
    saying what the CA is for."""
    port = free_port()
    https = "https_port 127.0.0.1:%d intercept ssl-bump" % port
    t = tproxyd_conf([https, "ssl_bump peek all", "ssl_bump bump all"])
    p = t.run_k("parse")
    out = output_lines(p)
    assert p.returncode == 1, out
    found = messages(t, p)
    assert list(found) == [line_of(t, https)], out
    assert found[line_of(t, https)][0].startswith(
        "https_port: ssl_bump bump needs cert=CA.pem on this port"), out


def test_every_refusal_in_one_run(tproxyd_conf):
    """Ports tproxyd cannot serve and decrypting rules, each reported at
    its line in the same run, after which the load fails; Squid's own
    refusal (tproxy without ssl-bump) too."""
    ports = [free_port() for _ in range(4)]
    bad = {
        "https_port 127.0.0.1:%d cert=/etc/squid/cert.pem" % ports[0]:
        "https_port: a port where clients' TLS ends with this proxy's own "
        "certificate (a forward proxy reached over TLS) is not supported "
        "by tproxyd",
        "https_port 127.0.0.1:%d accel cert=/etc/squid/cert.pem" % ports[1]:
        "https_port: a port where clients' TLS ends with this proxy's own "
        "certificate (accel: an HTTPS reverse proxy) is not supported by "
        "tproxyd",
        "https_port 127.0.0.1:%d tproxy" % ports[2]:
        "https_port: 'tproxy' needs 'ssl-bump' on the same line (Squid "
        "refuses it too)",
    }
    good = "https_port 127.0.0.1:%d tproxy ssl-bump" % ports[3]
    t = tproxyd_conf([good] + list(bad) + ["ssl_bump splice all"])
    p = t.run_k("parse")
    out = output_lines(p)
    assert p.returncode == 1, out
    found = messages(t, p)
    want = {line_of(t, ln): msg for ln, msg in bad.items()}
    assert set(found) == set(want), (want, out)
    for line, msg in want.items():
        assert len(found[line]) == 1 and found[line][0].startswith(msg), (
            line, msg, out)


def test_same_port_twice(tproxyd_conf):
    """http_port and https_port share the address space: the second line
    on an address and port is refused, naming the first."""
    t = tproxyd_conf([])
    http = t.conf.read_text().splitlines()[1]
    assert http.startswith("http_port 127.0.0.1:"), http
    dup = "https_port %s tproxy ssl-bump" % http.split()[1]
    t.write_config([dup])
    p = t.run_k("parse")
    out = output_lines(p)
    assert p.returncode == 1, out
    assert messages(t, p) == {line_of(t, dup): [
        "https_port: '%s' is already used by the http_port at %s:%d"
        % (http.split()[1], t.conf, line_of(t, http))]}, out
