# SPDX-License-Identifier: GPL-2.0-or-later
"""
tls_craft.py - the TLS bytes the HTTPS interception tests send by hand
(test_tls_intercept.py, through tls_client.py): a real client's
ClientHello (Python's ssl module, i.e. OpenSSL, driven through memory
BIOs so its bytes can be cut up before they go out), the same hello
re-framed into several TLS records, an Encrypted Client Hello outer hello
(extension 0xfe0d added to a real hello), and readers for what comes back.

Pure functions over bytes, no I/O: the network side is tls_client.py,
which runs in the client namespace.

Record layout (RFC 8446 5.1): type(1) version(2) length(2) fragment; a
handshake message (4.) type(1) length(3) body may span several records,
and OpenSSL (the origin's nginx) reassembles it; the handshake transcript
covers the message, not its framing, so a re-framed hello still completes
the handshake.
"""

import ssl
import struct

CT_HANDSHAKE = 22
CT_ALERT = 21
HS_CLIENT_HELLO = 1
HS_SERVER_HELLO = 2
EXT_SNI = 0x0000
EXT_ECH = 0xfe0d


def client_context(cafile=None, tls_max=None, verify=True):
    """An SSLContext as a browser-like client uses it: verification against
    cafile (or none when verify is False), TLS 1.2 and 1.3 offered unless
    tls_max ("1.2" or "1.3") caps it."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        ctx.load_verify_locations(cafile)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls_max == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif tls_max == "1.3":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def start_client(sni, cafile=None, tls_max=None, verify=True):
    """A client TLS session on memory BIOs, its first flight written:
    returns (sslobj, incoming, outgoing, hello) where hello is the bytes
    of the ClientHello records exactly as OpenSSL would send them."""
    ctx = client_context(cafile, tls_max, verify)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_side=False, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    assert hello[:1] == bytes([CT_HANDSHAKE]), hello[:16]
    return obj, inc, out, hello


def client_hello(sni, tls_max=None):
    """Just the bytes of a real ClientHello for sni (the session is
    dropped)."""
    return start_client(sni, tls_max=tls_max, verify=False)[3]


def records(data):
    """Split data into complete TLS records [(type, version, fragment)];
    the rest (an incomplete record) is returned too: (list, rest)."""
    out = []
    i = 0
    while len(data) - i >= 5:
        ctype, ver, n = struct.unpack("!BHH", data[i:i + 5])
        if len(data) - i - 5 < n:
            break
        out.append((ctype, ver, data[i + 5:i + 5 + n]))
        i += 5 + n
    return out, data[i:]


def handshake_payload(hello):
    """The handshake bytes carried by the records of hello (one or more
    handshake records, complete)."""
    recs, rest = records(hello)
    assert not rest and recs and all(r[0] == CT_HANDSHAKE for r in recs), \
        "not complete handshake records"
    return b"".join(r[2] for r in recs), recs[0][1]


def reframe(hello, cuts):
    """The same handshake bytes in len(cuts)+1 records: cuts are offsets
    into the handshake payload (increasing, inside it) where a record
    ends; every record keeps the first record's version field."""
    payload, ver = handshake_payload(hello)
    bounds = [0] + list(cuts) + [len(payload)]
    assert all(a < b for a, b in zip(bounds, bounds[1:])), bounds
    out = b""
    for a, b in zip(bounds, bounds[1:]):
        out += struct.pack("!BHH", CT_HANDSHAKE, ver, b - a) + payload[a:b]
    return out


def reframe_hard(hello):
    """hello re-framed into 3 records cut where a reader that does not
    reassemble would lose it: inside the 4-byte handshake header (after
    its 2nd byte) and in the middle of the SNI host name."""
    payload, _ = handshake_payload(hello)
    name = sni_of(hello).encode("ascii")
    at = payload.find(name)
    assert at > 2, "no SNI in the hello"
    return reframe(hello, [2, at + len(name) // 2])


def _hello_parts(payload):
    """Offsets in a ClientHello handshake message (header included):
    returns (ext_len_off, ext_start, ext_end)."""
    assert payload[0] == HS_CLIENT_HELLO
    i = 4 + 2 + 32                          # header, version, random
    i += 1 + payload[i]                     # session id
    i += 2 + struct.unpack("!H", payload[i:i + 2])[0]     # cipher suites
    i += 1 + payload[i]                     # compression methods
    ext_len = struct.unpack("!H", payload[i:i + 2])[0]
    assert i + 2 + ext_len == len(payload), "trailing bytes in the hello"
    return i, i + 2, i + 2 + ext_len


def extensions(hello):
    """[(type, data)] of a ClientHello's records, in wire order."""
    payload, _ = handshake_payload(hello)
    _, a, b = _hello_parts(payload)
    out = []
    while a < b:
        t, n = struct.unpack("!HH", payload[a:a + 4])
        out.append((t, payload[a + 4:a + 4 + n]))
        a += 4 + n
    return out


def sni_of(hello):
    """The host_name of a ClientHello's server_name extension, or None."""
    for t, d in extensions(hello):
        if t == EXT_SNI:
            # list length(2) type(1) name length(2) name
            n = struct.unpack("!H", d[3:5])[0]
            return d[5:5 + n].decode("ascii")
    return None


def ech_outer_extension(config_id=0x2a, payload_len=176):
    """An encrypted_client_hello extension of type outer (draft-ietf-tls-
    esni 5: type 0, HPKE suite HKDF-SHA256/AES-128-GCM, config_id, a
    32-byte X25519 enc, the encrypted payload) with fixed filler: what
    GREASE ECH and real ECH outer hellos look like on the wire."""
    enc = bytes(range(32))
    payload = bytes((i * 7 + 3) & 0xff for i in range(payload_len))
    body = struct.pack("!BHHB", 0, 0x0001, 0x0001, config_id)
    body += struct.pack("!H", len(enc)) + enc
    body += struct.pack("!H", len(payload)) + payload
    return struct.pack("!HH", EXT_ECH, len(body)) + body


def add_extension(hello, ext):
    """hello (one handshake record) with ext (type, length and data,
    already encoded) appended to its extensions; every length fixed."""
    payload, ver = handshake_payload(hello)
    lo, a, b = _hello_parts(payload)
    new_ext = payload[a:b] + ext
    body = payload[4:lo] + struct.pack("!H", len(new_ext)) + new_ext
    msg = bytes([HS_CLIENT_HELLO]) + struct.pack("!I", len(body))[1:] + body
    assert len(msg) <= 16384
    return struct.pack("!BHH", CT_HANDSHAKE, ver, len(msg)) + msg


def ech_hello(sni):
    """A ClientHello for sni (the outer, public name) with an ECH outer
    extension."""
    return add_extension(client_hello(sni, tls_max="1.3"),
                         ech_outer_extension())


def server_hello_version(data):
    """The version a server's first flight negotiated ("TLS/1.2",
    "TLS/1.3"), or None when data does not start with a whole
    ServerHello."""
    recs, _ = records(data)
    if not recs or recs[0][0] != CT_HANDSHAKE or recs[0][2][:1] != bytes(
            [HS_SERVER_HELLO]):
        return None
    m = recs[0][2]
    legacy = struct.unpack("!H", m[4:6])[0]
    i = 4 + 2 + 32
    i += 1 + m[i]
    i += 2 + 1                              # cipher, compression
    if i + 2 > len(m):
        return "TLS/1.%d" % (legacy - 0x0301)
    n = struct.unpack("!H", m[i:i + 2])[0]
    a, b = i + 2, i + 2 + n
    while a + 4 <= b:
        t, ln = struct.unpack("!HH", m[a:a + 4])
        if t == 0x002b and ln == 2:
            v = struct.unpack("!H", m[a + 4:a + 6])[0]
            return "TLS/1.%d" % (v - 0x0301)
        a += 4 + ln
    return "TLS/1.%d" % (legacy - 0x0301)
