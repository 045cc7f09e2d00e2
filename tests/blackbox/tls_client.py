#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
tls_client.py - the hand-made TLS client of the HTTPS interception tests,
run in the client namespace (`ip netns exec NS python3 tls_client.py
SPEC_JSON`); prints one JSON object with what happened.

Two modes (SPEC "mode"):

  handshake  a real TLS client (Python's ssl = OpenSSL, on memory BIOs):
             its ClientHello goes out as OpenSSL made it, or re-framed
             into 3 records ("frame": "records", tls_craft.reframe_hard),
             in pieces ("segments": sizes of the first sends, each its own
             TCP segment: TCP_NODELAY and "delay" seconds between them);
             then the handshake goes on over the socket, verifying the
             server's certificate against "cafile" for "sni" (unless
             "verify" is false), and "path" is fetched with HTTP/1.1.
  raw        "data" (hex) sent the same way; then read until "expect"
             bytes (or with "expect_record" a whole TLS record) came back
             or the end; then stop there ("stop") or half-close ("shut")
             and read to the end. "data" may be empty: a silent client.

Every read is bounded ("read_timeout", default 10 s); the result says how
the connection ended: "eof", "reset", "timeout" or "error: ...".
"""

import hashlib
import json
import os
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tls_craft  # noqa: E402

CAP = 1 << 20


def send_split(sock, data, segments, delay):
    i = 0
    for n in segments or []:
        if i >= len(data):
            break
        sock.sendall(data[i:i + n])
        i += n
        time.sleep(delay)
    if i < len(data):
        sock.sendall(data[i:])


def recv(sock, state):
    """One read: bytes, or b"" at the end (state["end"] says which)."""
    try:
        d = sock.recv(262144)
    except socket.timeout:
        state["end"] = "timeout"
        return b""
    except ConnectionResetError:
        state["end"] = "reset"
        return b""
    except OSError as e:
        state["end"] = "error: %s" % e
        return b""
    if not d:
        state["end"] = "eof"
    return d


def enough(got, expect, record):
    """Whether what came back is what the spec waits for: expect bytes,
    or (record) one whole TLS record; with neither, the end."""
    if record:
        return len(got) >= 5 and len(got) >= 5 + int.from_bytes(
            got[3:5], "big")
    return expect is not None and len(got) >= expect


def run_raw(sock, spec, res, t0):
    data = bytes.fromhex(spec.get("data", ""))
    send_split(sock, data, spec.get("segments"), spec.get("delay", 0.1))
    res["sent"] = data.hex()
    got = bytearray()
    state = {}
    expect = spec.get("expect")
    while not enough(got, expect, spec.get("expect_record")):
        d = recv(sock, state)
        if not d:
            break
        got += d[:max(0, CAP - len(got))]
    if not state and spec.get("stop"):
        state["end"] = "stopped"
    if not state and spec.get("shut"):
        sock.shutdown(socket.SHUT_WR)
    while not state:
        d = recv(sock, state)
        got += d[:max(0, CAP - len(got))]
    res["end"] = state["end"]
    res["elapsed"] = time.monotonic() - t0
    res["received"] = bytes(got).hex()


def parse_http(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/") \
        else None
    return {"status": status, "head": head.decode("latin-1"),
            "body": body.decode("latin-1")[:4096],
            "body_len": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest()}


def run_handshake(sock, spec, res, t0):
    obj, inc, out, hello = tls_craft.start_client(
        spec["sni"], spec.get("cafile"), spec.get("tls_max"),
        spec.get("verify", True))
    wire = tls_craft.reframe_hard(hello) if spec.get("frame") == "records" \
        else hello
    res["sent"] = wire.hex()
    res["hello"] = hello.hex()
    send_split(sock, wire, spec.get("segments"), spec.get("delay", 0.1))
    state = {}
    hs = res["handshake"] = {"ok": False}
    try:
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                pending = out.read()
                if pending:
                    sock.sendall(pending)
                d = recv(sock, state)
                if not d:
                    raise ConnectionError("connection ended during the "
                                          "handshake: %s" % state["end"])
                inc.write(d)
        pending = out.read()
        if pending:
            sock.sendall(pending)
        hs["ok"] = True
        hs["version"] = obj.version()
        hs["cipher"] = obj.cipher()[0]
        der = obj.getpeercert(binary_form=True)
        hs["cert_sha256"] = hashlib.sha256(der).hexdigest()
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tls_client.py\r\n"
               "Connection: close\r\n\r\n" % (spec.get("path", "/peer"),
                                              spec["sni"]))
        obj.write(req.encode("latin-1"))
        sock.sendall(out.read())
        body = bytearray()
        while True:
            try:
                d = obj.read(262144)
                if not d:
                    break
                body += d
                continue
            except ssl.SSLWantReadError:
                pass
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                break
            d = recv(sock, state)
            if not d:
                break
            inc.write(d)
        res["response"] = parse_http(bytes(body))
    except (ssl.SSLError, ConnectionError, OSError) as e:
        hs["error"] = "%s: %s" % (type(e).__name__, e)
    res["end"] = state.get("end", "open")
    res["elapsed"] = time.monotonic() - t0


def main():
    spec = json.loads(sys.argv[1])
    host, port = spec["connect"]
    res = {}
    t0 = time.monotonic()
    try:
        sock = socket.create_connection((host, port), timeout=5)
    except OSError as e:
        res["connect_error"] = str(e)
        print(json.dumps(res))
        return 0
    sock.settimeout(spec.get("read_timeout", 10))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    res["local"] = list(sock.getsockname()[:2])
    try:
        if spec["mode"] == "raw":
            run_raw(sock, spec, res, t0)
        else:
            run_handshake(sock, spec, res, t0)
    except OSError as e:
        res["end"] = "error: %s" % e
        res["elapsed"] = time.monotonic() - t0
    finally:
        sock.close()
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
