# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_tproxyctl_ca.py - `tproxyctl ca create|show|export` (issue 16): the
CA of a bumping port, made in a temporary directory and checked with the
openssl command line; then a leaf made by tproxyd's own code
(build/tests/certgen_tool, tests/tools/certgen_tool.c) must verify
against it with `openssl verify`, as a client that installed the CA
would, and a client that did not install it must refuse it.

No root, no network: files only.
"""

import grp
import os
import pwd
import re
import stat
import subprocess

import pytest

import harness

CTL = harness.BUILD / "tproxyctl"
TOOL = harness.BUILD / "tests" / "certgen_tool"


def ctl(*args, check=True):
    p = subprocess.run([str(CTL), *map(str, args)], capture_output=True,
                       text=True, timeout=60)
    if check:
        assert p.returncode == 0, "tproxyctl %s: rc %d\n%s%s" % (
            " ".join(map(str, args)), p.returncode, p.stdout, p.stderr)
    return p


def openssl(*args, inp=None, check=True):
    p = subprocess.run(["openssl", *map(str, args)], capture_output=True,
                       input=inp, timeout=60)
    if check:
        assert p.returncode == 0, "openssl %s: %s" % (
            " ".join(map(str, args)), p.stderr.decode(errors="replace"))
    return p


def proxy_gid():
    try:
        return pwd.getpwnam("proxy").pw_gid
    except KeyError:
        return None


@pytest.fixture(scope="module")
def tools():
    for f in (CTL, TOOL):
        if not f.exists():
            pytest.fail("%s missing: `make all %s` builds it" % (f, TOOL))


@pytest.mark.parametrize("rsa", [False, True], ids=["ecdsa", "rsa"])
def test_create_show_export(tools, tmp_path, rsa):
    d = tmp_path / "ca"
    args = ["ca", "create", "--dir", d, "--name", "Test bump CA",
            "--days", "30"]
    if rsa:
        args.append("--rsa")
    p = ctl(*args)
    cert, key = d / "ca.pem", d / "ca.key"
    # What to do next: the squid.conf line and the export command.
    assert ("https_port 3130 tproxy ssl-bump cert=%s key=%s "
            "generate-host-certificates=on" % (cert, key)) in p.stdout
    assert "tproxyctl ca export --dir %s" % d in p.stdout

    # Modes: the certificate for everyone, the key for root and proxy.
    assert stat.S_IMODE(cert.stat().st_mode) == 0o644
    kmode = stat.S_IMODE(key.stat().st_mode)
    gid = proxy_gid()
    if gid is not None and os.geteuid() == 0:
        assert kmode == 0o640 and key.stat().st_gid == gid
    else:
        assert kmode in (0o640, 0o600)
    assert kmode & 0o007 == 0

    # openssl's reading of it.
    text = openssl("x509", "-in", cert, "-noout", "-text").stdout.decode()
    assert "CN = Test bump CA" in text
    assert re.search(r"Basic Constraints: critical\s+CA:TRUE, "
                     r"pathlen:0", text), text
    assert re.search(r"Key Usage: critical\s+Certificate Sign, CRL Sign",
                     text), text
    assert ("rsaEncryption" in text) == rsa
    assert ("id-ecPublicKey" in text) == (not rsa)
    keytext = openssl("pkey", "-in", key, "-noout", "-text").stdout
    assert keytext  # the key reads without a passphrase
    # The key belongs to the certificate.
    pub_c = openssl("x509", "-in", cert, "-noout", "-pubkey").stdout
    pub_k = openssl("pkey", "-in", key, "-pubout").stdout
    assert pub_c == pub_k
    # Self-signed CA: it verifies against itself.
    openssl("verify", "-CAfile", cert, cert)

    # show: the same facts as openssl.
    fp = openssl("x509", "-in", cert, "-noout", "-fingerprint",
                 "-sha256").stdout.decode().strip().split("=", 1)[1]
    s = ctl("ca", "show", "--dir", d).stdout
    assert "Test bump CA" in s
    assert fp in s
    assert re.search(r"Basic constraints\s+\(critical\) CA:TRUE, "
                     r"pathlen:0", s), s
    assert "Certificate Sign, CRL Sign" in s
    assert re.search(r"Not after .*\(in (29|30) days\)", s), s
    assert ("RSA 3072 bits" if rsa else "ECDSA 256 bits") in s
    assert ctl("ca", "show", cert).stdout == s

    # export: the certificate on stdout (PEM, or DER), help on stderr.
    e = ctl("ca", "export", "--dir", d)
    assert e.stdout == cert.read_text()
    for word in ("update-ca-certificates", "certutil -addstore -f ROOT",
                 "security add-trusted-cert -d -r trustRoot -k "
                 "/Library/Keychains/System.keychain",
                 "ImportEnterpriseRoots"):
        assert word in e.stderr, word
    der = subprocess.run([str(CTL), "ca", "export", "--dir", str(d),
                          "--der"], capture_output=True, timeout=60)
    assert der.returncode == 0
    assert der.stdout == openssl("x509", "-in", cert, "-outform",
                                 "DER").stdout
    # update-ca-certificates takes PEM files only: said so for --der.
    assert "reads PEM only" in der.stderr.decode()

    # A second create is refused and leaves both files as they were.
    before = cert.read_bytes(), key.read_bytes()
    p2 = ctl("ca", "create", "--dir", d, check=False)
    assert p2.returncode == 1
    assert "already holds a CA" in p2.stderr and "--force" in p2.stderr
    assert (cert.read_bytes(), key.read_bytes()) == before
    # --force replaces them.
    ctl("ca", "create", "--dir", d, "--force")
    assert cert.read_bytes() != before[0]
    assert key.read_bytes() != before[1]


def test_leaf_verifies(tools, tmp_path):
    """A leaf made by tproxyd's certgen, signed by the new CA, verifies
    with openssl for its host, and fails without the CA installed."""
    d = tmp_path / "ca"
    ctl("ca", "create", "--dir", d)
    cert, key = d / "ca.pem", d / "ca.key"
    for host, extra in (("www.example.com", []), ("192.0.2.8", []),
                        ("rsa.example.com", ["rsa"])):
        out = tmp_path / ("leaf-%s.pem" % host)
        p = subprocess.run([str(TOOL), "leaf", str(cert), str(key), host,
                            str(out), *extra], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert host in p.stdout
        check = ["-verify_ip", host] if host[0].isdigit() else [
            "-verify_hostname", host]
        v = openssl("verify", "-CAfile", cert, "-purpose", "sslserver",
                    *check, out)
        assert b": OK" in v.stdout
        # Another name is refused; without the CA as a root, refused.
        bad = openssl("verify", "-CAfile", cert, "-verify_hostname",
                      "other.example.net", out, check=False)
        assert bad.returncode != 0
        other = tmp_path / "other"
        ctl("ca", "create", "--dir", other)
        bad = openssl("verify", "-CAfile", other / "ca.pem", out,
                      check=False)
        assert bad.returncode != 0
        subprocess.run(["rm", "-r", str(other)], check=True)
        text = openssl("x509", "-in", out, "-noout", "-text").stdout
        assert b"CA:FALSE" in text
        assert b"TLS Web Server Authentication" in text
        assert (b"rsaEncryption" in text) == ("rsa" in extra)


def test_permit_constraints(tools, tmp_path):
    """--permit: leaves inside the domains verify, outside do not."""
    d = tmp_path / "ca"
    ctl("ca", "create", "--dir", d, "--permit", "example.com",
        "example.org")
    cert, key = d / "ca.pem", d / "ca.key"
    text = openssl("x509", "-in", cert, "-noout", "-text").stdout.decode()
    assert re.search(r"Name Constraints: critical\s+Permitted:\s+"
                     r"DNS:example.com\s+DNS:example.org", text), text
    assert "DNS:example.com" in ctl("ca", "show", "--dir", d).stdout
    for host, ok in (("www.example.com", True), ("example.org", True),
                     ("www.example.net", False)):
        out = tmp_path / ("leaf-%s.pem" % host)
        subprocess.run([str(TOOL), "leaf", str(cert), str(key), host,
                        str(out)], check=True, capture_output=True,
                       timeout=60)
        v = openssl("verify", "-CAfile", cert, "-verify_hostname", host,
                    out, check=False)
        assert (v.returncode == 0) == ok, v.stderr


def test_refusals(tools, tmp_path):
    d = tmp_path / "ca"
    p = ctl("ca", "create", "--dir", d, "--days", "0", check=False)
    assert p.returncode == 2 and "--days" in p.stderr
    p = ctl("ca", "create", "--dir", d, "--permit", "bad domain!",
            check=False)
    assert p.returncode == 2 and "not a domain name" in p.stderr
    p = ctl("ca", "show", "--dir", tmp_path / "none", check=False)
    assert p.returncode == 1 and "tproxyctl ca create" in p.stderr
    p = ctl("ca", "frobnicate", check=False)
    assert p.returncode == 2
    # tproxyd's loader refuses a world-readable key, naming the fix.
    ctl("ca", "create", "--dir", d)
    os.chmod(d / "ca.key", 0o644)
    r = subprocess.run([str(TOOL), "leaf", str(d / "ca.pem"),
                        str(d / "ca.key"), "x.example", str(tmp_path / "l")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert str(d / "ca.key") in r.stderr and "chmod 600" in r.stderr


def _handshake(leaf, key, cafile, host):
    """A TLS server on loopback presenting leaf (its chain after it), and
    Python's ssl client trusting cafile only, asking for host: None when
    the client accepted the server, else the client's error."""
    import socket
    import ssl
    import threading

    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(str(leaf), str(key))
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(10)

    def serve():
        try:
            conn, _ = lsock.accept()
            conn.settimeout(10)
            with sctx.wrap_socket(conn, server_side=True) as s:
                s.sendall(b"hello")
        except (OSError, ssl.SSLError):
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    cctx = ssl.create_default_context(cafile=str(cafile))
    err = None
    try:
        with socket.create_connection(lsock.getsockname(), timeout=10) as c:
            with cctx.wrap_socket(c, server_hostname=host) as s:
                assert s.recv(5) == b"hello"
    except ssl.SSLCertVerificationError as e:
        err = e.verify_message
    t.join(10)
    lsock.close()
    return err


@pytest.mark.parametrize("host,extra", [
    ("www.example.com", []), ("rsa.example.com", ["rsa"]),
    ("192.0.2.9", [])], ids=["ecdsa", "rsa", "ip"])
def test_tls_client_accepts(tools, tmp_path, host, extra):
    """Python's ssl (OpenSSL's TLS client, hostname check on) completes a
    handshake with a leaf of the new CA served on loopback; an untrusted
    leaf, another name, or another CA are refused."""
    d = tmp_path / "ca"
    ctl("ca", "create", "--dir", d)
    cert, key = d / "ca.pem", d / "ca.key"
    out = tmp_path / "leaf.pem"
    subprocess.run([str(TOOL), "leaf", str(cert), str(key), host, str(out),
                    *extra, "key"], check=True, capture_output=True,
                   timeout=60)
    assert stat.S_IMODE(os.stat(str(out) + ".key").st_mode) == 0o600
    assert _handshake(out, str(out) + ".key", cert, host) is None
    assert "mismatch" in _handshake(out, str(out) + ".key", cert,
                                    "other.example.net")
    other = tmp_path / "other"
    ctl("ca", "create", "--dir", other)
    assert _handshake(out, str(out) + ".key", other / "ca.pem",
                      host) is not None
    # Untrusted: "Not trusted by ..." signs it; the client refuses.
    bad = tmp_path / "bad.pem"
    subprocess.run([str(TOOL), "leaf", str(cert), str(key), host, str(bad),
                    *extra, "untrusted", "key"], check=True,
                   capture_output=True, timeout=60)
    err = _handshake(bad, str(bad) + ".key", cert, host)
    assert err is not None and "self-signed" in err, err
