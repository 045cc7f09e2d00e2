# SPDX-License-Identifier: GPL-2.0-or-later
"""
raw_server.py - a scripted origin that answers with exact bytes, for the
hostile-response and fault tests (origin.py is well-behaved on purpose).

    srv = RawServer(handler).start()      # 127.0.0.1, ephemeral port
    ... srv.port, srv.conns, srv.requests() ...
    srv.stop()

handler(conn, req) is called once per complete request (head, plus a
Content-Length body if any) and returns (data, after):

    data   bytes, or an iterable of bytes (streamed; a send error ends it)
    after  "keep"   read the next request on this connection
           "close"  close the socket (FIN)
           "rst"    close with RST (SO_LINGER 0)
           "hang"   send nothing more, read until the peer closes
           float    keep for that many seconds, then close (FIN)

conn is a RawConn: .index (accept order, from 0), .nreq (requests already
served on it, so 0 for the first), .accepted / .closed (monotonic times;
closed is when the peer's EOF/RST or our close was seen), .body_bytes
(request body bytes received), .requests (list of head bytes).
Every wait a test does on it is bounded (see wait_closed()).
"""

import socket
import threading
import time


class RawConn:
    def __init__(self, sock, index):
        self.sock = sock
        self.index = index
        self.nreq = 0
        self.accepted = time.monotonic()
        self.closed = None
        self.peer_closed = None     # EOF/RST seen from the proxy
        self.body_bytes = 0
        self.requests = []
        self.buf = b""

    def wait_peer_closed(self, timeout):
        end = time.monotonic() + timeout
        while self.peer_closed is None and time.monotonic() < end:
            time.sleep(0.01)
        return self.peer_closed


class _Gone(Exception):
    pass


class RawServer:
    def __init__(self, handler, host="127.0.0.1"):
        self.handler = handler
        self.host = host
        self.port = None
        self.conns = []
        self._lock = threading.Lock()
        self._stopping = False

    def start(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, 0))
        s.listen(64)
        self.port = s.getsockname()[1]
        self._lsock = s
        threading.Thread(target=self._accept_loop, daemon=True,
                         name="raw-accept").start()
        return self

    def stop(self):
        self._stopping = True
        try:
            self._lsock.close()
        except OSError:
            pass
        with self._lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, path):
        return "http://%s:%d%s" % (self.host, self.port, path)

    def requests(self):
        """All request heads received, in order, as (conn index, head)."""
        with self._lock:
            return [(c.index, h) for c in self.conns for h in c.requests]

    def paths(self):
        return [h.split(b" ", 2)[1].decode("latin-1")
                for _, h in self.requests()]

    # -- serving ----------------------------------------------------------

    def _accept_loop(self):
        while not self._stopping:
            try:
                s, _ = self._lsock.accept()
            except OSError:
                return
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                c = RawConn(s, len(self.conns))
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True,
                             name="raw-conn-%d" % c.index).start()

    @staticmethod
    def _fill(c):
        try:
            d = c.sock.recv(262144)
        except OSError:
            d = b""
        if not d:
            raise _Gone()
        c.buf += d

    def _read_request(self, c):
        while b"\r\n\r\n" not in c.buf:
            self._fill(c)
        head, _, c.buf = c.buf.partition(b"\r\n\r\n")
        c.requests.append(head)
        cl = 0
        for ln in head.split(b"\r\n")[1:]:
            n, _, v = ln.partition(b":")
            if n.strip().lower() == b"content-length":
                cl = int(v.strip())
        while cl > 0:
            if not c.buf:
                self._fill(c)
            take = min(cl, len(c.buf))
            c.buf = c.buf[take:]
            cl -= take
            c.body_bytes += take
        return head

    def _drain(self, c):
        try:
            while True:
                self._fill(c)
                c.buf = b""
        except _Gone:
            pass

    def _serve(self, c):
        try:
            while not self._stopping:
                head = self._read_request(c)
                data, after = self.handler(c, head)
                c.nreq += 1
                if isinstance(data, (bytes, bytearray)):
                    data = [data]
                for piece in data:
                    c.sock.sendall(piece)
                if after == "keep":
                    continue
                if after == "hang":
                    self._drain(c)
                    raise _Gone()
                if after == "rst":
                    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                      b"\x01\x00\x00\x00\x00\x00\x00\x00")
                elif isinstance(after, (int, float)):
                    time.sleep(after)
                break
        except (_Gone, OSError):
            c.peer_closed = time.monotonic()
        finally:
            c.closed = time.monotonic()
            try:
                c.sock.close()
            except OSError:
                pass
