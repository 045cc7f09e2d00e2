#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Record real TLS first flights for tests/data/tls/ (issue #13).

    scripts/tls-capture.py [--out DIR] [--fuzz-corpus DIR] [--only NAME...]

Client side: starts a TCP listener on 127.0.0.1, runs real clients
(curl, openssl s_client, Python's ssl module, gnutls-cli and node when
installed) against it and stores the bytes each one sends first, up to the
end of the TLS record that completes its ClientHello, as client-NAME.bin.
Nothing answers: the connection is closed once the hello is in.

Server side: generates a throw-away CA and server certificates (openssl),
runs `openssl s_server` (TLS 1.2, TLS 1.3, and the variants below), sends it
one of the recorded hellos and stores everything the server answers until it
goes quiet, as server-NAME.bin. Only the CA certificate (ca.pem) and the
other servers' certificates are kept (the tests check names and validity
against them); the private keys are deleted with the temporary directory.

Browsers cannot run here: with --foxio-pcaps DIR (the pcap/ folder of
FoxIO's public JA4 repository, github.com/FoxIO-LLC/ja4), the hellos of a
Chrome and a Firefox session recorded there are extracted with tshark as
client-chrome.bin and client-firefox.bin (see PUBLIC below).

Every file is real bytes from a real program; MANIFEST lists each one with
the command that produced it and the tool versions. Re-running replaces
the files (randoms and keys differ, the structure does not). Traffic stays
on 127.0.0.1; each client and server runs at most a few seconds.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HOST = "www.example.com"	# the name clients send (RFC 2606)
CLIENT_TIMEOUT = 8.0		# seconds a client may take to send its hello
SERVER_QUIET = 0.5		# a server flight ends after this much silence
SERVER_TIMEOUT = 5.0


def hello_end(data):
    """Length of data up to the end of the record that completes the first
    handshake message, or None when it is not complete yet. Raises
    ValueError when the bytes are not TLS handshake records."""
    pos, hs = 0, b""
    while True:
        if len(data) - pos < 5:
            return None
        ctype, major = data[pos], data[pos + 1]
        rlen = int.from_bytes(data[pos + 3:pos + 5], "big")
        if ctype != 22 or major != 3:
            raise ValueError("not a TLS handshake record: %r" % data[:8])
        if len(data) - pos - 5 < rlen:
            return None
        hs += data[pos + 5:pos + 5 + rlen]
        pos += 5 + rlen
        if len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
            return pos


def capture_client(name, argv, env=None):
    """Run argv (with {port} filled in) against a fresh listener; return
    the bytes of its first flight up to the end of its ClientHello."""
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(1)
    lsn.settimeout(CLIENT_TIMEOUT)
    port = lsn.getsockname()[1]
    argv = [a.replace("{port}", str(port)).replace("{host}", HOST)
            for a in argv]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    data = b""
    try:
        conn, _ = lsn.accept()
        conn.settimeout(CLIENT_TIMEOUT)
        deadline = time.monotonic() + CLIENT_TIMEOUT
        end = None
        while end is None and time.monotonic() < deadline:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
            end = hello_end(data)
        conn.close()
        if end is None:
            raise RuntimeError("%s: no complete ClientHello (%d bytes)"
                               % (name, len(data)))
        return data[:end], " ".join("<script>" if "\n" in x else x
                                    for x in argv)
    finally:
        lsn.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)


PY_CLIENT = r"""
import socket, ssl, sys
port, alpn = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if alpn:
    ctx.set_alpn_protocols(alpn.split(","))
s = socket.create_connection(("127.0.0.1", port), timeout=5)
try:
    ctx.wrap_socket(s, server_hostname=sys.argv[3])
except Exception:
    pass
"""

NODE_CLIENT = r"""
const tls = require('tls');
const s = tls.connect({host: '127.0.0.1', port: +process.argv[1],
  servername: process.argv[2], ALPNProtocols: ['h2', 'http/1.1'],
  rejectUnauthorized: false});
s.on('error', () => process.exit(0));
setTimeout(() => process.exit(0), 5000);
"""

URL = "https://{host}:{port}/"
# IANA's registered ALPN names: a long list makes a hello that
# -max_send_frag 512 splits over two records.
ALPN_LONG = ("h2,http/1.1,http/1.0,http/0.9,spdy/1,spdy/2,spdy/3,"
             "stun.turn,stun.nat-discovery,webrtc,c-webrtc,ftp,imap,pop3,"
             "managesieve,coap,xmpp-client,xmpp-server,acme-tls/1,mqtt,"
             "dot,ntske/1,sunrpc,h3,smb,irc,nntp,nnsp,doq,sip/2,tds/8.0,"
             "dicom")
CURL = ["curl", "-sk", "--max-time", "5", "--resolve",
        "{host}:{port}:127.0.0.1"]
S_CLIENT = ["openssl", "s_client", "-connect", "127.0.0.1:{port}"]

# name, argv (None: skipped unless the program exists), what it shows
CLIENTS = [
    ("curl", CURL + [URL], "curl defaults (ALPN h2,http/1.1)"),
    ("curl-http1.1", CURL + ["--http1.1", URL], "ALPN http/1.1 only"),
    ("curl-http2", CURL + ["--http2", URL], "ALPN h2,http/1.1"),
    ("curl-tls12", CURL + ["--tlsv1.2", "--tls-max", "1.2", URL],
     "TLS 1.2 only: no supported_versions"),
    ("curl-tls13", CURL + ["--tlsv1.3", URL], "TLS 1.3 only"),
    ("curl-ip", ["curl", "-sk", "--max-time", "5",
                 "https://127.0.0.1:{port}/"], "IP URL: no SNI"),
    ("s_client", S_CLIENT + ["-servername", "{host}"], "openssl defaults"),
    ("s_client-nosni", S_CLIENT + ["-noservername"], "no SNI"),
    ("s_client-alpn", S_CLIENT + ["-servername", "{host}", "-alpn",
                                  "h2,http/1.1"], "ALPN"),
    ("s_client-tls12", S_CLIENT + ["-servername", "{host}", "-tls1_2"],
     "TLS 1.2"),
    ("s_client-tls13", S_CLIENT + ["-servername", "{host}", "-tls1_3"],
     "TLS 1.3"),
    ("s_client-noticket", S_CLIENT + ["-servername", "{host}",
                                      "-no_ticket"], "no session ticket"),
    ("s_client-ipsni", S_CLIENT + ["-servername", "127.0.0.1"],
     "an IP literal as SNI (RFC 6066 forbids it)"),
    ("s_client-trailingdot", S_CLIENT + ["-servername", "{host}."],
     "SNI with a trailing dot"),
    ("s_client-frag512", S_CLIENT + ["-servername", "{host}", "-tls1_2",
                                     "-cipher", "ALL:@SECLEVEL=0",
                                     "-alpn", ALPN_LONG,
                                     "-max_send_frag", "512"],
     "a hello over 512 bytes sent in 512-byte records (split), with "
     "every IANA ALPN name"),
    ("python", [sys.executable, "-c", PY_CLIENT, "{port}", "", "{host}"],
     "Python ssl defaults"),
    ("python-alpn", [sys.executable, "-c", PY_CLIENT, "{port}",
                     "h2,http/1.1", "{host}"], "Python ssl with ALPN"),
    ("gnutls", ["gnutls-cli", "--insecure", "--sni-hostname", "{host}",
                "-p", "{port}", "127.0.0.1"], "GnuTLS defaults"),
    ("gnutls-alpn", ["gnutls-cli", "--insecure", "--sni-hostname",
                     "{host}", "--alpn", "h2", "--alpn", "http/1.1",
                     "-p", "{port}", "127.0.0.1"], "GnuTLS with ALPN"),
    ("node", ["node", "-e", NODE_CLIENT, "{port}", "{host}"],
     "Node.js tls"),
]


# Hellos of real browsers in FoxIO's public captures: (name, pcap, frame,
# what it is). Chrome: FoxIO named the capture after it, and the hello has
# Chrome's marks (GREASE, randomized extension order, ALPS 0x4469);
# Firefox: the name is Firefox's sponsored-tiles service, and the hello has
# Firefox's marks (delegated_credentials 34, record_size_limit 28, no
# GREASE); its JA4 cipher hash 5b57614c22b0 is the one FoxIO's
# ja4plus-mapping.csv gives for Mozilla Firefox.
PUBLIC = [
    ("chrome", "chrome-cloudflare-quic-with-secrets.pcapng", 4,
     "Chrome over TCP (SNI cloudflare-quic.com), from FoxIO ja4 "
     "pcap/chrome-cloudflare-quic-with-secrets.pcapng frame 4"),
    ("firefox", "tls12.pcap", 1,
     "Firefox (SNI contile.services.mozilla.com), from FoxIO ja4 "
     "pcap/tls12.pcap frame 1"),
]


def extract_public(pcaps):
    """The TCP payload of each PUBLIC frame, checked to be exactly one
    complete ClientHello."""
    out = []
    for name, pcap, frame, what in PUBLIC:
        r = subprocess.run(["tshark", "-r", os.path.join(pcaps, pcap), "-Y",
                            "frame.number==%d" % frame, "-T", "fields",
                            "-e", "tcp.payload"], capture_output=True,
                           text=True, check=True)
        data = bytes.fromhex(r.stdout.strip().replace(":", ""))
        if hello_end(data) != len(data):
            raise RuntimeError("%s frame %d: not one whole ClientHello"
                               % (pcap, frame))
        out.append((name, data, what))
    return out


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certs(d):
    """CA, a server certificate it signs (good for 100 years), one that
    expired, and a self-signed one, in d."""
    ext = os.path.join(d, "san.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:www.example.com,DNS:*.example.org,"
                "IP:127.0.0.1,IP:2001:db8::1\n"
                "extendedKeyUsage=serverAuth\n"
                "basicConstraints=CA:FALSE\n")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "36500", "-subj",
            "/CN=tproxyd test CA", cwd=d)
    for name in ("leaf", "expired"):
        openssl("req", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                name + ".key", "-out", name + ".csr", "-subj",
                "/CN=WWW.Example.COM", cwd=d)
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem",
            "-CAkey", "ca.key", "-CAcreateserial", "-days", "36500",
            "-extfile", "san.ext", "-out", "leaf.pem", cwd=d)
    # "expired": openssl 3.0's x509 cannot set a start date in the past,
    # `openssl ca` can (January 2020, one month).
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca=c\n[c]\ndir=.\ndatabase=index.txt\n"
                "new_certs_dir=.\nserial=serial\ndefault_md=sha256\n"
                "policy=p\ncopy_extensions=copy\n[p]\ncommonName=supplied\n")
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")
    openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem",
            "-keyfile", "ca.key", "-in", "expired.csr", "-out",
            "expired.pem", "-startdate", "20200101000000Z", "-enddate",
            "20200201000000Z", "-extfile", "san.ext", "-notext", cwd=d)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", "self.key",
            "-out", "self.pem", "-days", "36500", "-subj",
            "/CN=self.example.net", "-addext",
            "subjectAltName=DNS:self.example.net", cwd=d)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def capture_server(name, args, hello, d):
    """Run openssl s_server with args, send it hello, return what it
    answers until it goes quiet."""
    port = free_port()
    argv = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port,
            "-naccept", "1", "-quiet"] + args
    proc = subprocess.Popen(argv, cwd=d, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while True:
            try:
                c = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("%s: s_server did not start" % name)
                time.sleep(0.05)
        c.sendall(hello)
        c.settimeout(SERVER_QUIET)
        data = b""
        while time.monotonic() < deadline:
            try:
                chunk = c.recv(65536)
            except socket.timeout:
                if data:
                    break
                continue
            if not chunk:
                break
            data += chunk
        c.close()
        if not data:
            raise RuntimeError("%s: the server sent nothing" % name)
        return data, " ".join(argv)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)


LEAF = ["-cert", "leaf.pem", "-key", "leaf.key", "-cert_chain", "ca.pem"]

# name, s_server options, which recorded hello it answers, what it shows
SERVERS = [
    ("tls12", LEAF + ["-tls1_2"], "s_client-tls12",
     "TLS 1.2: ServerHello, Certificate (leaf + CA), ServerKeyExchange, "
     "ServerHelloDone"),
    ("tls12-alpn", LEAF + ["-tls1_2", "-alpn", "h2,http/1.1"],
     "curl-http2", "TLS 1.2 with ALPN h2 selected"),
    ("tls12-frag", LEAF + ["-tls1_2", "-max_send_frag", "512"],
     "s_client-tls12", "TLS 1.2 in 512-byte records: the certificates "
     "are split over records"),
    ("tls12-expired", ["-cert", "expired.pem", "-key", "expired.key",
                       "-cert_chain", "ca.pem", "-tls1_2"],
     "s_client-tls12", "TLS 1.2, certificate expired in 2020"),
    ("tls12-self", ["-cert", "self.pem", "-key", "self.key", "-tls1_2"],
     "s_client-tls12", "TLS 1.2, self-signed certificate"),
    ("tls13", LEAF + ["-tls1_3"], "s_client-tls13",
     "TLS 1.3: ServerHello, then ChangeCipherSpec and encrypted records"),
    ("hrr", LEAF + ["-tls1_3", "-groups", "P-256"], "curl-tls13",
     "TLS 1.3 HelloRetryRequest (the client offered an X25519 key share, "
     "the server wants P-256)"),
    ("alert", LEAF + ["-tls1_3"], "s_client-tls12",
     "an alert: TLS 1.3-only server, TLS 1.2-only client"),
]


def tool_versions():
    out = []
    for argv in (["openssl", "version"], ["curl", "--version"],
                 ["gnutls-cli", "--version"], ["node", "--version"]):
        if shutil.which(argv[0]) is None:
            continue
        r = subprocess.run(argv, capture_output=True, text=True)
        out.append(r.stdout.splitlines()[0] if r.stdout else argv[0])
    import ssl
    out.append("Python %s, %s" % (sys.version.split()[0],
                                  ssl.OPENSSL_VERSION))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="tests/data/tls")
    ap.add_argument("--fuzz-corpus", default="tests/fuzz/corpus",
                    help="seed tls_hello/ and tls_server/ here ('' : no)")
    ap.add_argument("--only", nargs="*", help="capture only these names")
    ap.add_argument("--foxio-pcaps", help="FoxIO ja4's pcap/ folder: "
                    "extract the Chrome and Firefox hellos (needs tshark)")
    a = ap.parse_args()
    # Lines of files this run does not make again (the browsers' hellos
    # without --foxio-pcaps) are kept from the previous MANIFEST.
    old = {}
    try:
        with open(os.path.join(a.out, "MANIFEST")) as f:
            for line in f:
                if not line.startswith("#"):
                    old[line.split("\t")[0]] = line.rstrip("\n")
    except OSError:
        pass
    os.makedirs(a.out, exist_ok=True)
    manifest = ["# Real TLS first flights recorded by scripts/tls-capture.py",
                "# on 127.0.0.1 (file, bytes, what it shows, command)."]
    manifest += ["# " + v for v in tool_versions()]
    hellos = {}
    failed = []
    for name, argv, what in CLIENTS:
        if shutil.which(argv[0]) is None:
            print("skip %s: %s not installed" % (name, argv[0]))
            continue
        try:
            data, cmd = capture_client(name, argv)
        except Exception as e:	# a client that cannot run is reported
            print("FAILED %s: %s" % (name, e))
            failed.append(name)
            continue
        hellos[name] = data
        if a.only and name not in a.only:
            continue
        fn = "client-%s.bin" % name
        with open(os.path.join(a.out, fn), "wb") as f:
            f.write(data)
        manifest.append("%s\t%d\t%s\t%s" % (fn, len(data), what,
                                            cmd.replace("\n", " ")[:200]))
        print("%-28s %5d bytes" % (fn, len(data)))
    if a.foxio_pcaps:
        for name, data, what in extract_public(a.foxio_pcaps):
            fn = "client-%s.bin" % name
            with open(os.path.join(a.out, fn), "wb") as f:
                f.write(data)
            manifest.append("%s\t%d\t%s\ttshark -T fields -e tcp.payload"
                            % (fn, len(data), what))
            print("%-28s %5d bytes" % (fn, len(data)))
    with tempfile.TemporaryDirectory(prefix="tls-capture.") as d:
        make_certs(d)
        for pem in ("ca.pem", "leaf.pem", "expired.pem", "self.pem"):
            shutil.copy(os.path.join(d, pem), os.path.join(a.out, pem))
        for name, args, hello, what in SERVERS:
            if a.only and "server-" + name not in a.only:
                continue
            if hello not in hellos:
                print("skip server-%s: no %s hello" % (name, hello))
                failed.append("server-" + name)
                continue
            try:
                data, cmd = capture_server(name, args, hellos[hello], d)
            except Exception as e:
                print("FAILED server-%s: %s" % (name, e))
                failed.append("server-" + name)
                continue
            fn = "server-%s.bin" % name
            with open(os.path.join(a.out, fn), "wb") as f:
                f.write(data)
            manifest.append("%s\t%d\t%s (answering client-%s.bin)\t%s"
                            % (fn, len(data), what, hello, cmd))
            print("%-28s %5d bytes" % (fn, len(data)))
    done = set(line.split("\t")[0] for line in manifest)
    for fn in sorted(os.listdir(a.out)):
        if fn.endswith(".bin") and fn not in done and fn in old:
            manifest.append(old[fn])
    if not a.only:
        with open(os.path.join(a.out, "MANIFEST"), "w") as f:
            f.write("\n".join(manifest) + "\n")
    if a.fuzz_corpus:
        for kind in ("client", "server"):
            sub = os.path.join(a.fuzz_corpus,
                               "tls_hello" if kind == "client"
                               else "tls_server")
            os.makedirs(sub, exist_ok=True)
            for fn in sorted(os.listdir(a.out)):
                if fn.startswith(kind + "-") and fn.endswith(".bin"):
                    shutil.copy(os.path.join(a.out, fn),
                                os.path.join(sub, "real-" + fn[:-4]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
