#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Record real QUIC client first flights for tests/data/quic/ (issue #19).

    scripts/quic-capture.py [--out DIR] [--foxio-pcaps DIR] [--only NAME...]

Runs Debian's ngtcp2 example client (gtlsclient, package ngtcp2-client:
QUIC v1 with GnuTLS) against a UDP socket on 127.0.0.1 that never answers,
and stores the datagrams it sends until it gives up (its Initial and the
retransmissions of it) as NAME.dgrams: each datagram as a 2-byte
big-endian length and its bytes (the input format of
tests/fuzz/fuzz_quic.c and build/tests/quic_tool).

Browsers cannot run here: with --foxio-pcaps DIR (the pcap/ folder of
FoxIO's public JA4 repository, github.com/FoxIO-LLC/ja4), the client's
first datagram of the Chrome and Google sessions recorded there is
extracted with tshark (see PUBLIC below).

MANIFEST lists each file with the command that produced it. Traffic stays
on 127.0.0.1; each client runs for at most a few seconds.
"""
import argparse
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

CLIENT = "gtlsclient"
WAIT = 1.5			# seconds of datagrams recorded per client
MAX_DGRAMS = 4

# name, SNI, extra gtlsclient arguments, what it shows
CLIENTS = [
    ("gtlsclient", "www.example.com", [], "ngtcp2 client, QUIC v1, ALPN h3"),
    # An FFDHE-8192 key share (1,024 bytes) next to X25519: the ClientHello
    # does not fit in one 1,200-byte Initial, as with Chromium's ML-KEM
    # share, and comes in two Initial packets in two datagrams.
    ("gtlsclient-split", "split.example.net",
     ["--groups=-GROUP-ALL:+GROUP-FFDHE8192:+GROUP-X25519"],
     "a ClientHello in two Initial packets (FFDHE-8192 key share)"),
    # QUIC v2 draft's version number: not v1/v2, the flow is left alone.
    ("gtlsclient-v2draft", "www.example.com", ["-v", "v2draft"],
     "version 0x709a50c4 (QUIC v2 draft): not QUIC v1/v2"),
]

# name, pcap, UDP destination port, what it shows
PUBLIC = [
    ("chrome-cloudflare-quic", "chrome-cloudflare-quic-with-secrets.pcapng",
     443, "Chrome, SNI cloudflare-quic.com (FoxIO ja4 pcap, frame 47)"),
    ("google-www", "quic-tls-handshake.pcapng", 443,
     "SNI www.google.com (FoxIO ja4 pcap, frame 1)"),
    ("google-ogs-several-frames", "quic-with-several-tls-frames.pcapng",
     443, "SNI ogs.google.com, the hello in several CRYPTO frames "
     "(FoxIO ja4 pcap, frame 1)"),
]


def dgrams_bytes(dgrams):
    return b"".join(struct.pack(">H", len(d)) + d for d in dgrams)


def capture(sni, extra, wait=WAIT, max_dgrams=MAX_DGRAMS, client=CLIENT):
    """Run the QUIC client against a silent UDP socket on 127.0.0.1 and
    return the datagrams it sent (at most max_dgrams, within wait s) and
    its command line.

    The client sends the host name it connects to as SNI ("localhost" for
    an address; this version ignores --sni): it runs in a mount namespace
    of its own (unshare -m, root) where /etc/hosts maps sni to 127.0.0.1,
    so the machine's /etc/hosts is untouched."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tmp = tempfile.mkdtemp(prefix="quic-capture-")
    try:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.settimeout(0.2)
        hosts = os.path.join(tmp, "hosts")
        with open(hosts, "w") as f:
            f.write("127.0.0.1 %s\n" % sni)
        args = [client, "--timeout=3s"] + list(extra) + \
            [sni, str(port), "https://%s/" % sni]
        p = subprocess.Popen(
            ["unshare", "-m", "sh", "-c",
             'mount --bind "$0" /etc/hosts && exec "$@"', hosts] + args,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        got = []
        end = time.monotonic() + wait
        try:
            while time.monotonic() < end and len(got) < max_dgrams:
                try:
                    d, _ = s.recvfrom(65535)
                except socket.timeout:
                    continue
                got.append(d)
        finally:
            p.kill()
            p.wait()
        return got, args
    finally:
        s.close()
        shutil.rmtree(tmp, ignore_errors=True)


def from_pcap(path, port, n=1):
    out = subprocess.run(
        ["tshark", "-r", path, "-Y", "udp.dstport==%d" % port, "-T",
         "fields", "-e", "udp.payload"],
        capture_output=True, text=True, check=True).stdout.split()
    return [bytes.fromhex(x) for x in out[:n]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/data/quic")
    ap.add_argument("--foxio-pcaps")
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    lines = ["# Real QUIC client first flights recorded by "
             "scripts/quic-capture.py",
             "# (file, datagrams, what it shows, command)"]
    for name, sni, extra, what in CLIENTS:
        if a.only and name not in a.only:
            continue
        got, args = capture(sni, extra)
        if not got:
            sys.exit("%s sent nothing" % name)
        with open(os.path.join(a.out, name + ".dgrams"), "wb") as f:
            f.write(dgrams_bytes(got))
        lines.append("%s.dgrams\t%d\t%s\t%s" % (name, len(got), what,
                                                 " ".join(args)))
    if a.foxio_pcaps:
        for name, pcap, port, what in PUBLIC:
            if a.only and name not in a.only:
                continue
            got = from_pcap(os.path.join(a.foxio_pcaps, pcap), port)
            with open(os.path.join(a.out, name + ".dgrams"), "wb") as f:
                f.write(dgrams_bytes(got))
            lines.append("%s.dgrams\t%d\t%s\ttshark -r %s -Y udp.dstport==%d"
                         " -e udp.payload" % (name, len(got), what, pcap,
                                              port))
    with open(os.path.join(a.out, "MANIFEST"), "a") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
