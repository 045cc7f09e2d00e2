# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_config_names.py - host names in squid.conf values, resolved when the
configuration is read (as Squid does): `http_port localhost:PORT` listens
on localhost's first address only, the one Squid would take, and serves
there; a name that does not resolve stops the load with
"FILE:LINE: DIRECTIVE: cannot resolve 'NAME': REASON", every such line
reported in one pass.

Only "localhost" is resolved (from /etc/hosts, no DNS): what it maps to is
read from this machine's resolver (Python's getaddrinfo is the same libc
call), so the test holds whether /etc/hosts maps it to 127.0.0.1 alone or
to ::1 as well. The acl and cache_peer forms with names are cases in
cases/acl.py and cases/forward.py.
"""

import socket
import subprocess

from harness import curl, free_port, require_root, require_tproxyd


def localhost_addrs():
    """localhost's addresses in the resolver's order, each once."""
    out = []
    for ai in socket.getaddrinfo("localhost", None, type=socket.SOCK_STREAM):
        if ai[4][0] not in out:
            out.append(ai[4][0])
    return out


def listeners(port):
    """The local addresses (hex, as /proc shows them) listening on port."""
    out = set()
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                next(fh)
                for line in fh:
                    p = line.split()
                    addr, hport = p[1].rsplit(":", 1)
                    if p[3] == "0A" and int(hport, 16) == port:
                        out.add(addr)
        except FileNotFoundError:
            pass
    return out


def proc_hex(addr):
    """An address as /proc/net/tcp{,6} writes it."""
    if ":" in addr:
        b = socket.inet_pton(socket.AF_INET6, addr)
        return "".join(b[i:i + 4][::-1].hex().upper()
                       for i in range(0, 16, 4))
    return socket.inet_pton(socket.AF_INET, addr)[::-1].hex().upper()


def test_http_port_localhost(tproxyd, origin):
    """http_port localhost:PORT: one listener, on localhost's first
    address (not the wildcard), which proxies; other addresses of the
    name are named in a warning and not listened on."""
    addrs = localhost_addrs()
    assert "127.0.0.1" in addrs, "/etc/hosts has no 127.0.0.1 localhost"
    port = free_port()
    p = tproxyd(["http_port localhost:%d" % port], port=port)
    assert listeners(port) == {proc_hex(addrs[0])}, (
        "want one listener on %s (localhost's first address); /proc shows "
        "%s" % (addrs[0], sorted(listeners(port))))
    host = addrs[0] if ":" not in addrs[0] else "[%s]" % addrs[0]
    r = curl(port, origin.url("/bytes/5"), proxy_host=host)
    assert r.status == 200, r
    assert p.wait_access_url(origin.url("/bytes/5"))["status"] == 200
    for other in addrs[1:]:
        fam = socket.AF_INET6 if ":" in other else socket.AF_INET
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            assert s.connect_ex((other, port)) != 0, (
                "%s:%d accepts: Squid listens on the first address only"
                % (other, port))
    warn = "has %d addresses" % len(addrs)
    log = p.stderr.read_text() + p.cache_log.read_text()
    assert (warn in log) == (len(addrs) > 1), log


def test_unresolvable_names_all_reported(tproxyd_conf, tmp_path):
    """Every line whose name does not resolve is reported with its
    FILE:LINE, in one run of `tproxyd -k parse`, and the load fails. The
    parse runs in a private mount namespace whose /etc/resolv.conf names
    127.0.0.1 (nothing answers there) and whose /etc/hosts knows only
    localhost, so no lookup leaves this machine."""
    require_root("a mount namespace with a private /etc/resolv.conf")
    t = tproxyd_conf(["http_port nosuch.invalid:3128",
                      "acl a dst nosuch.invalid",
                      "wccp2_router nosuch.invalid:2048",
                      "acl b src localhost"])
    (tmp_path / "resolv.conf").write_text("nameserver 127.0.0.1\n")
    (tmp_path / "hosts").write_text("127.0.0.1 localhost\n")
    r = subprocess.run(
        ["unshare", "-m", "sh", "-c",
         'mount --bind "$1/resolv.conf" /etc/resolv.conf && '
         'mount --bind "$1/hosts" /etc/hosts && '
         'exec "$2" -k parse -f "$3"', "sh", str(tmp_path),
         require_tproxyd(), str(t.conf)],
        capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r
    lines = (r.stdout + r.stderr).splitlines()
    text = t.conf.read_text().splitlines()
    for d in ("http_port", "acl a", "wccp2_router"):
        n = next(i + 1 for i, ln in enumerate(text)
                 if ln.startswith(d + " ") and "nosuch" in ln)
        want = "%s:%d: %s: cannot resolve 'nosuch.invalid': " % (
            t.conf, n, d)
        assert any(ln.startswith(want) for ln in lines), (
            "want a line starting %r in:\n%s" % (want, "\n".join(lines)))
    # localhost resolved (from the private /etc/hosts): no error for it.
    assert not any("localhost" in ln for ln in lines), lines
    assert len([ln for ln in lines if "cannot resolve" in ln]) == 3, lines
