#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed corpus of tests/fuzz/fuzz_quic.c.

    tests/fuzz/quic_corpus.py [OUTDIR]   (default tests/fuzz/corpus/quic)

Inputs are datagrams, each as a 2-byte big-endian length and its bytes:
  - rfc9001-initial, rfc9369-initial: the RFCs' sample client Initials
    (read from tests/unit/quic_data.h), alone and coalesced with a
    Handshake packet;
  - real-*: the real client flights of tests/data/quic/*.dgrams;
  - sealed-*: a first byte 0xff, a version byte (odd: v2), then Initial
    payloads (frames) that the target seals itself, so that frames and
    reassembly are fuzzed behind a valid AEAD tag: the RFC's ClientHello
    whole, split over packets in and out of order with overlaps, with
    PING/ACK/CONNECTION_CLOSE frames around it, and made larger than one
    packet with a padding extension.
"""
import os
import re
import shutil
import struct
import sys

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def c_array(text, name):
    m = re.search(r"%s\[\d+\] = \{(.*?)\};" % name, text, re.S)
    return bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})",
                                                   m.group(1)))


def dgrams(*ds):
    return b"".join(struct.pack(">H", len(d)) + d for d in ds)


def varint(v):
    if v < 64:
        return bytes([v])
    if v < 16384:
        return struct.pack(">H", 0x4000 | v)
    return struct.pack(">I", 0x80000000 | v)


def crypto(off, data):
    return b"\x06" + varint(off) + varint(len(data)) + data


def padded_hello(hello, pad):
    """The hello with a padding extension (type 21) of pad bytes."""
    h = bytearray(hello + b"\x00\x15" + struct.pack(">H", pad) +
                  b"\x00" * pad)
    blen = len(h) - 4
    h[1:4] = blen.to_bytes(3, "big")
    h[47:49] = (len(h) - 49).to_bytes(2, "big")
    return bytes(h)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        TOP, "tests/fuzz/corpus/quic")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(TOP, "tests/unit/quic_data.h")) as f:
        text = f.read()
    frame = c_array(text, "rfc_crypto_frame")
    v1 = c_array(text, "rfc9001_initial")
    v2 = c_array(text, "rfc9369_initial")
    hs = bytes.fromhex("e00000000108" "8394c8f03e515708" "0014") + \
        bytes(range(20))
    files = {
        "rfc9001-initial": dgrams(v1),
        "rfc9369-initial": dgrams(v2),
        "rfc9001-initial-handshake": dgrams(v1 + hs),
        "rfc9001-initial-twice": dgrams(v1, v1),
    }
    hello = frame[4:]
    big = padded_hello(hello, 1500)
    pad = b"\x00" * 40
    sealed = {
        "whole": [crypto(0, hello) + pad],
        "frames": [b"\x01\x02\x05\x00\x00\x03" + crypto(0, hello) +
                   b"\x1c\x0a\x00\x03abc" + pad],
        "ack-ecn": [b"\x03\x40\x05\x00\x02\x01\x00\x01\x01\x01\x0a\x0b\x0c"
                    + crypto(0, hello)],
        "split": [crypto(0, big[:1100]) + pad, crypto(1100, big[1100:])],
        "split-reversed": [crypto(1100, big[1100:]),
                           crypto(0, big[:1100]) + pad],
        "overlap": [crypto(900, big[900:1500]), crypto(1400, big[1400:]),
                    crypto(0, big[:1000])],
        "pieces": [crypto(1200, big[1200:]) + crypto(600, big[600:1300]),
                   crypto(300, big[300:650]) + crypto(0, big[:400])],
    }
    for name, payloads in sealed.items():
        for ver in (0, 1):
            files["sealed-%s-v%d" % (name, ver + 1)] = \
                bytes([0xff, ver]) + dgrams(*payloads)
    for name in sorted(os.listdir(os.path.join(TOP, "tests/data/quic"))):
        if name.endswith(".dgrams"):
            shutil.copy(os.path.join(TOP, "tests/data/quic", name),
                        os.path.join(out, "real-" + name[:-7]))
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
