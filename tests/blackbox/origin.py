#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
origin.py - the origin HTTP/1.1 server (and TCP echo server) of the
black-box tests.

It is the "server side" of the three-sided tests (client, proxy, origin):
every request it receives is recorded, so a test can assert exactly what
the proxy forwarded (peer address, headers in order, body checksum, which
TCP connection carried it).

Standard library only: one thread per connection, exact control of bytes.
Bodies are streamed both ways (hashed while read, generated while sent), so
100 MiB transfers never sit whole in memory.

Use in-process:

    srv = OriginServer("127.0.0.1", 0).start()
    ... srv.port, srv.records(), srv.clear() ...
    srv.stop()

or as a script (e.g. inside a namespace with `ip netns exec`):

    /usr/bin/python3 origin.py --listen 198.18.2.2:8080 [--listen [2001:db8:2::2]:8080]
                               [--echo 198.18.2.2:7] [--ready-file PATH]

which prints "READY <addr> <port>" per listener on stdout once listening.
`GET /__records` answers the JSON list of recorded requests,
`GET /__clear` forgets them (neither is itself recorded).

Paths (a query string is ignored; absolute-form targets are accepted):

    /echo           the request body, Content-Length (spooled to a temp file
                    past 1 MiB)
    /sink           JSON {"length": N, "sha256": HEX} of the request body
    /bytes/N        N deterministic pseudo-random bytes, Content-Length,
                    X-Sha256 of the body
    /chunked/N      the same bytes, chunked with varied chunk sizes
    /cacheable/N    /bytes/N with Cache-Control: max-age=3600 (a cache
                    stores it)
    /close/N        the same bytes, no Content-Length, delimited by close
    /status/CODE    that status; 1xx/204/304 without body, else a short body
    /slow/MS        answers "slow" after MS milliseconds
    /never          reads the request, never answers (waits for close)
    /reset          reads the request, then RST without a byte of response
    /reset-mid      head + 10 of 1000 promised body bytes, then RST
    /eicar          the EICAR anti-virus test file (text/plain)
    /peer           JSON of the client address the origin saw
    /headers        JSON of the request headers received, in order
    /upgrade        101 Switching Protocols (Upgrade: websocket), then echoes
                    raw bytes until the peer closes
    /expect         Expect: 100-continue is answered with "100 Continue"
                    before the body is read (also true of every path); the
                    response is JSON {"length", "sha256", "sent_100"}
    anything else   "ok\n" (HEAD: the headers only, everywhere)

Keep-alive: HTTP/1.1 by default unless "Connection: close"; HTTP/1.0 only
with "Connection: keep-alive".

OriginServer(..., close_each=True) is for framing tests: every response says
"Connection: close", yet the connection is read on until the proxy closes
it; whatever arrives after is still recorded (a request) or kept as stray
bytes (strays(): a head that does not parse, or an unfinished head at EOF).
wait_quiet() then waits for every connection of the test to be closed by
the proxy, so that no byte the proxy sent can still be unread: a smuggled
request cannot arrive after the test counted (no sleeps).
"""

import argparse
import hashlib
import json
import os
import random
import select
import socket
import sys
import tempfile
import threading
import time

# ---------------------------------------------------------------------------
# Deterministic body content, shared by the server and the tests.
# ---------------------------------------------------------------------------

_BLK = 65536
_BASE = random.Random(0x7970786479).randbytes(_BLK)


# The EICAR test string (https://www.eicar.org): detected by every
# anti-virus scanner, harmless.
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!"
         b"$H+H*")


def body_chunks(n, size=_BLK):
    """Yield the n bytes of the deterministic body, in pieces <= size."""
    k = 0
    sent = 0
    while sent < n:
        s = (k * 7919) % _BLK
        block = _BASE[s:] + _BASE[:s]
        k += 1
        take = min(_BLK, n - sent)
        block = block[:take]
        for i in range(0, take, size):
            yield block[i:i + size]
        sent += take


def body_bytes(n):
    """The deterministic body of n bytes, whole (use for small n only)."""
    return b"".join(body_chunks(n))


_sha_cache = {}
_sha_lock = threading.Lock()


def body_sha256(n):
    """sha256 hex of the deterministic body of n bytes (cached)."""
    with _sha_lock:
        if n in _sha_cache:
            return _sha_cache[n]
    h = hashlib.sha256()
    for c in body_chunks(n):
        h.update(c)
    d = h.hexdigest()
    with _sha_lock:
        _sha_cache[n] = d
    return d


# Chunk sizes used by /chunked/N: small, odd and large, cycled.
CHUNK_SIZES = (1, 7, 100, 4096, 3, 65536, 1000, 16384, 12345)

REASONS = {
    100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created",
    204: "No Content", 206: "Partial Content", 301: "Moved Permanently",
    302: "Found", 304: "Not Modified", 400: "Bad Request", 403: "Forbidden",
    404: "Not Found", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable",
}

MAX_HEAD = 256 * 1024


class ClientGone(Exception):
    pass


class _Conn:
    """One accepted TCP connection and its buffered reader."""

    def __init__(self, sock, conn_id):
        self.sock = sock
        self.id = conn_id
        self.buf = b""
        self.in_head = False    # reading a head (not a body)
        p = sock.getpeername()
        l = sock.getsockname()
        self.peer = (p[0], p[1])
        self.local = (l[0], l[1])

    def fill(self):
        d = self.sock.recv(262144)
        if not d:
            raise ClientGone()
        self.buf += d

    def read_head(self):
        """Return the head bytes (without the blank line), or None at EOF
        before any byte of a new request."""
        self.in_head = True
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                head = self.buf[:i]
                self.buf = self.buf[i + 4:]
                self.in_head = False
                return head
            if len(self.buf) > MAX_HEAD:
                raise ValueError("head too large")
            try:
                self.fill()
            except ClientGone:
                if self.buf.strip(b"\r\n"):
                    raise
                return None

    def read_line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = self.buf[:i]
                self.buf = self.buf[i + 2:]
                return line
            if len(self.buf) > 65536:
                raise ValueError("line too long")
            self.fill()

    def read_exact(self, n):
        """Yield exactly n bytes in pieces."""
        while n > 0:
            if not self.buf:
                self.fill()
            piece = self.buf[:n]
            self.buf = self.buf[len(piece):]
            n -= len(piece)
            yield piece

    def send(self, data):
        self.sock.sendall(data)

    def rst(self):
        """Close with a TCP RST (SO_LINGER 0)."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        self.sock.close()


class OriginServer:
    """The origin HTTP/1.1 server. host may be IPv4 or IPv6; port 0 picks an
    ephemeral port (see .port after start())."""

    def __init__(self, host="127.0.0.1", port=0, close_each=False):
        self.host = host
        self.req_port = port
        self.port = None
        self.close_each = close_each
        self._lsock = None
        self._lock = threading.Lock()
        self._records = []
        self._strays = []       # (conn_id, bytes) that were no request
        self._since_clear = set()   # conn ids accepted since clear()
        self._conns = {}
        self._next_conn = 1
        self._stopping = False
        self._thread = None
        self.connections = []   # (conn_id, peer) in accept order

    # -- life cycle -------------------------------------------------------

    def start(self):
        fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((self.host, self.req_port))
        s.listen(128)
        # Accepted under self._lock (see _accept_loop), so that
        # wait_quiet() sees every connection either queued or registered.
        s.setblocking(False)
        self.port = s.getsockname()[1]
        self._lsock = s
        self._thread = threading.Thread(target=self._accept_loop,
                                        name="origin-accept", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping = True
        if self._lsock is not None:
            try:
                self._lsock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._lsock.close()
        with self._lock:
            conns = list(self._conns.values())
        for c in conns:
            try:
                c.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread:
            self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url_host(self):
        return "[%s]" % self.host if ":" in self.host else self.host

    def url(self, path):
        return "http://%s:%d%s" % (self.url_host, self.port, path)

    # -- records ----------------------------------------------------------

    def records(self):
        with self._lock:
            return [dict(r) for r in self._records]

    def clear(self):
        with self._lock:
            self._records.clear()
            self._strays.clear()
            self._since_clear.clear()
            self.connections.clear()

    def strays(self):
        """Bytes the origin received that were not a request: a head that
        does not parse as one, or an unfinished head when the peer
        closed. (conn_id, bytes) pairs since the last clear()."""
        with self._lock:
            return list(self._strays)

    def wait_quiet(self, timeout=5.0):
        """Wait until no connection accepted since clear() is open and none
        is waiting to be accepted; return the ids of those still open ([]
        once quiet). With close_each, a connection ends only when the proxy
        closes it, after the origin read (and recorded) every byte sent
        on it."""
        end = time.monotonic() + timeout
        while True:
            with self._lock:
                queued = bool(select.select([self._lsock], [], [], 0)[0])
                still = sorted(self._since_clear & set(self._conns))
            if (not queued and not still) or time.monotonic() > end:
                return still + (["queued"] if queued else [])
            time.sleep(0.01)

    def wait_records(self, n, timeout=5.0):
        """Poll until at least n records exist; return them."""
        end = time.monotonic() + timeout
        while True:
            r = self.records()
            if len(r) >= n or time.monotonic() > end:
                return r
            time.sleep(0.02)

    def open_connections(self):
        """Number of connections still being served."""
        with self._lock:
            return len(self._conns)

    def wait_idle(self, timeout=5.0):
        """Poll until no connection is being served (every request that
        arrived has been read and recorded); True if so within timeout.
        Once the peer (the proxy) has exited, this is the moment after
        which no record can still come."""
        end = time.monotonic() + timeout
        while self.open_connections() and time.monotonic() < end:
            time.sleep(0.01)
        return self.open_connections() == 0

    def _record(self, rec):
        with self._lock:
            self._records.append(rec)

    # -- serving ----------------------------------------------------------

    def _accept_loop(self):
        while not self._stopping:
            try:
                select.select([self._lsock], [], [], 0.5)
            except (OSError, ValueError):
                return
            # Accept and register in one step under the lock (see
            # wait_quiet()).
            with self._lock:
                try:
                    s, _ = self._lsock.accept()
                except BlockingIOError:
                    continue
                except OSError:
                    return
                cid = self._next_conn
                self._next_conn += 1
                try:
                    s.setblocking(True)
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    c = _Conn(s, cid)
                except OSError:
                    s.close()
                    continue
                self._conns[cid] = c
                self._since_clear.add(cid)
                self.connections.append((cid, c.peer))
            threading.Thread(target=self._serve, args=(c,), daemon=True,
                             name="origin-conn-%d" % cid).start()

    def _stray(self, c, data):
        with self._lock:
            self._strays.append((c.id, data))

    def _serve(self, c):
        try:
            while not self._stopping:
                if not self._one_request(c):
                    break
        except ClientGone:
            # An unfinished head when the peer closed (read_head keeps it
            # in c.buf); a cut body leaves nothing there.
            if c.in_head and c.buf.strip(b"\r\n"):
                self._stray(c, c.buf)
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                self._conns.pop(c.id, None)
            try:
                c.sock.close()
            except OSError:
                pass

    def _one_request(self, c):
        """Serve one request; return True to keep the connection."""
        head = c.read_head()
        if head is None:
            return False
        lines = head.split(b"\r\n")
        while lines and lines[0] == b"":   # tolerate leading CRLFs
            lines.pop(0)
        if not lines:
            return True     # empty lines between requests (RFC 9112 2.2)
        parts = lines[0].decode("latin-1").split(" ")
        if len(parts) != 3:
            self._stray(c, head)
            c.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                   b"Connection: close\r\n\r\n")
            return False
        method, target, version = parts
        raw_headers = [ln.decode("latin-1") for ln in lines[1:]]
        hdrs = []
        for ln in raw_headers:
            name, _, value = ln.partition(":")
            hdrs.append((name.strip(), value.strip()))

        def hget(name):
            vals = [v for n, v in hdrs if n.lower() == name.lower()]
            return ", ".join(vals) if vals else None

        path = target
        if "://" in path:
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        path = path.split("?", 1)[0]

        conn_tokens = [t.strip().lower()
                       for t in (hget("Connection") or "").split(",")]
        if version == "HTTP/1.1":
            keep = "close" not in conn_tokens
        else:
            keep = "keep-alive" in conn_tokens

        rec = {
            "conn_id": c.id, "peer": list(c.peer), "local": list(c.local),
            "method": method, "target": target, "path": path,
            "version": version, "headers": raw_headers,
            "time": time.time(), "sent_100": False,
        }

        te = (hget("Transfer-Encoding") or "").lower()
        cl = hget("Content-Length")
        has_body = "chunked" in te or (cl is not None and int(cl) > 0)
        expect = (hget("Expect") or "").lower() == "100-continue"
        if expect and has_body:
            c.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            rec["sent_100"] = True

        # Read the body, hashing it; /echo also keeps it (spooled).
        spool = None
        if path == "/echo":
            spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)
        h = hashlib.sha256()
        blen = 0

        def take(piece):
            nonlocal blen
            h.update(piece)
            blen += len(piece)
            if spool is not None:
                spool.write(piece)

        if "chunked" in te:
            while True:
                size_line = c.read_line().split(b";", 1)[0].strip()
                size = int(size_line, 16)
                if size == 0:
                    while c.read_line() != b"":     # trailers
                        pass
                    break
                for p in c.read_exact(size):
                    take(p)
                if c.read_line() != b"":
                    raise ValueError("bad chunk end")
        elif cl is not None:
            for p in c.read_exact(int(cl)):
                take(p)
        rec["body_len"] = blen
        rec["body_sha256"] = h.hexdigest()

        if path in ("/__records", "/__clear"):
            if path == "/__clear":
                self.clear()
                body = b"[]"
            else:
                body = json.dumps(self.records()).encode()
            self._respond(c, 200, [("Content-Type", "application/json")],
                          body, keep, method)
            return keep
        self._record(rec)
        if self.close_each:
            # Say close, but read on until the proxy closes (see the
            # module docstring).
            self._route(c, rec, method, path, False, spool, hdrs)
            return True
        return self._route(c, rec, method, path, keep, spool, hdrs)

    def _respond(self, c, status, headers, body, keep, method,
                 chunks=None, length=None):
        """Send a response. body: bytes, or None with chunks (an iterable)
        and length (None: chunked coding)."""
        out = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Status"))]
        out += ["%s: %s" % hv for hv in headers]
        nobody = status in (204, 304) or status < 200
        if body is not None:
            length = len(body)
        if not nobody:
            if length is None:
                out.append("Transfer-Encoding: chunked")
            else:
                out.append("Content-Length: %d" % length)
        if not keep:
            out.append("Connection: close")
        c.send(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
        if nobody or method == "HEAD":
            return
        if body is not None:
            c.send(body)
        elif length is not None:
            for p in chunks:
                c.send(p)
        else:
            for p in chunks:
                c.send(b"%x\r\n%s\r\n" % (len(p), p))
            c.send(b"0\r\n\r\n")

    def _route(self, c, rec, method, path, keep, spool, hdrs):
        seg = path.strip("/").split("/")
        name = seg[0]
        arg = seg[1] if len(seg) > 1 else ""
        octet = [("Content-Type", "application/octet-stream")]
        js = [("Content-Type", "application/json")]
        if name == "echo":
            n = spool.tell()
            spool.seek(0)

            def gen():
                while True:
                    d = spool.read(_BLK)
                    if not d:
                        break
                    yield d
            self._respond(c, 200, octet + [("X-Sha256", rec["body_sha256"])],
                          None, keep, method, chunks=gen(), length=n)
            spool.close()
        elif name in ("sink", "expect"):
            body = json.dumps({"length": rec["body_len"],
                               "sha256": rec["body_sha256"],
                               "sent_100": rec["sent_100"]}).encode()
            self._respond(c, 200, js, body, keep, method)
        elif name in ("bytes", "chunked", "cacheable"):
            n = int(arg)
            hv = octet + [("X-Sha256", body_sha256(n))]
            if name == "cacheable":
                hv.append(("Cache-Control", "max-age=3600"))
            if name != "chunked":
                self._respond(c, 200, hv, None, keep, method,
                              chunks=body_chunks(n), length=n)
            else:
                self._respond(c, 200, hv, None, keep, method,
                              chunks=_varied(body_chunks(n)), length=None)
        elif name == "close":
            n = int(arg)
            c.send(("HTTP/1.1 200 OK\r\nContent-Type: application/"
                    "octet-stream\r\nX-Sha256: %s\r\nConnection: close\r\n"
                    "\r\n" % body_sha256(n)).encode())
            if method != "HEAD":
                for p in body_chunks(n):
                    c.send(p)
            return False
        elif name == "status":
            code = int(arg)
            body = b"" if code in (204, 304) else b"status %d\n" % code
            self._respond(c, code, [("Content-Type", "text/plain")], body,
                          keep, method)
        elif name == "slow":
            time.sleep(int(arg) / 1000.0)
            self._respond(c, 200, [("Content-Type", "text/plain")],
                          b"slow\n", keep, method)
        elif name == "never":
            try:
                while True:
                    c.fill()
            except (ClientGone, OSError):
                pass
            return False
        elif name == "reset":
            c.rst()
            return False
        elif name == "reset-mid":
            c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                   + b"x" * 10)
            time.sleep(0.05)
            c.rst()
            return False
        elif name == "peer":
            body = json.dumps({"addr": c.peer[0], "port": c.peer[1],
                               "local_addr": c.local[0],
                               "local_port": c.local[1]}).encode()
            self._respond(c, 200, js, body, keep, method)
        elif name == "eicar":
            # The EICAR anti-virus test file (68 bytes, harmless), for
            # the virus scanning tests (test_icap.py).
            self._respond(c, 200, [("Content-Type", "text/plain")],
                          EICAR, keep, method)
        elif name == "headers":
            body = json.dumps({"headers": [[n, v] for n, v in hdrs],
                               "raw": rec["headers"]}).encode()
            self._respond(c, 200, js, body, keep, method)
        elif name == "upgrade":
            c.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket"
                   b"\r\nConnection: Upgrade\r\n\r\n")
            if c.buf:
                c.send(c.buf)
                c.buf = b""
            while True:
                d = c.sock.recv(65536)
                if not d:
                    break
                c.send(d)
            return False
        else:
            self._respond(c, 200, [("Content-Type", "text/plain")], b"ok\n",
                          keep, method)
        return keep


def _varied(chunks):
    """Re-cut a stream of pieces into CHUNK_SIZES-sized chunks."""
    i = 0
    pending = b""
    for p in chunks:
        pending = pending + p if pending else p
        off = 0
        while len(pending) - off >= CHUNK_SIZES[i % len(CHUNK_SIZES)]:
            n = CHUNK_SIZES[i % len(CHUNK_SIZES)]
            i += 1
            yield pending[off:off + n]
            off += n
        pending = pending[off:]
    if pending:
        yield pending


class EchoServer:
    """A TCP echo server (target of CONNECT tests). Counts connections."""

    def __init__(self, host="127.0.0.1", port=0):
        self.host = host
        self.req_port = port
        self.port = None
        self.peers = []
        self._stopping = False
        self._socks = []

    def start(self):
        fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.req_port))
        s.listen(64)
        self.port = s.getsockname()[1]
        self._lsock = s
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def _loop(self):
        while not self._stopping:
            try:
                s, peer = self._lsock.accept()
            except OSError:
                return
            self.peers.append(peer[:2])
            self._socks.append(s)
            threading.Thread(target=self._echo, args=(s,), daemon=True).start()

    @staticmethod
    def _echo(s):
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                s.sendall(d)
        except OSError:
            pass
        finally:
            s.close()

    def stop(self):
        self._stopping = True
        try:
            self._lsock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._lsock.close()
        for s in self._socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _split_addr(text):
    """'1.2.3.4:80' or '[::1]:80' -> (host, port)."""
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
    else:
        host, _, port = text.rpartition(":")
    return host, int(port)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen", action="append", default=[],
                    help="ADDR:PORT of an HTTP origin ([v6]:PORT)")
    ap.add_argument("--echo", action="append", default=[],
                    help="ADDR:PORT of a TCP echo server")
    ap.add_argument("--ready-file", help="touched once all are listening")
    a = ap.parse_args(argv)
    if not a.listen and not a.echo:
        ap.error("nothing to do: give --listen and/or --echo")
    servers = []
    for spec in a.listen:
        servers.append(("http", OriginServer(*_split_addr(spec)).start()))
    for spec in a.echo:
        servers.append(("echo", EchoServer(*_split_addr(spec)).start()))
    for kind, s in servers:
        print("READY %s %s %d" % (kind, s.host, s.port), flush=True)
    if a.ready_file:
        with open(a.ready_file, "w") as f:
            f.write("%d\n" % os.getpid())
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
