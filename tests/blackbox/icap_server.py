#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
icap_server.py - a small ICAP server (RFC 3507) for the black-box tests of
tproxyd's ICAP client, for the answers Debian's c-icap echo service does
not give: a changed request, a block page, an error status, an answer cut
in the middle of the body, a service that never answers.

Standard library only; one thread per connection; every transaction is
recorded (method, service, connection number, the ICAP header fields, the
encapsulated heads, the body's length and SHA-256, whether it came with a
Preview and "ieof"), so a test asserts what tproxyd sent.

The service is the URI's path (icap://127.0.0.1:PORT/NAME):

    echo      REQMOD: 200 with the same request head; RESPMOD: 200 with
              the same response head and body, streamed back chunk by
              chunk as it arrives (Content-Length kept)
    nc        204 No Content, after the whole message (or the preview);
              RESPMOD without a preview nor Allow: 204: as echo
    preview204  RESPMOD: 204 right after the preview, never asks for more
    block     200 with an HTTP 403 block page
    rewrite   REQMOD: the request goes to /bytes/7 of the same origin with
              "X-Adapted: yes" added
    prefix    RESPMOD: the body with "ADAPTED\\n" in front, streamed,
              without Content-Length (tproxyd frames it for the client)
    error     ICAP/1.0 500 (in answer to the preview when there is one)
    error-late  ICAP/1.0 500 after the whole body
    hang      reads the request, never answers
    slow      204 after 300 ms
    cut       RESPMOD: reads the whole body, then answers 200 with the
              response head and about 64 KiB of the body, and closes the
              connection (an answer cut mid-body)

OPTIONS: Methods REQMOD, RESPMOD; Preview PREVIEW (constructor); Allow:
204; Options-TTL TTL; ISTag "TPX-1"; Max-Connections MAXCONN when given.
"""

import hashlib
import socket
import threading


class _Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def exact(self, n):
        while len(self.buf) < n:
            self.fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        h, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return h + b"\r\n\r\n"

    def chunks(self):
        """Yield (data, ieof) per chunk until the last one; the last is
        (b"", ieof)."""
        while True:
            size_line = self.line().decode("latin-1")
            size_s, _, ext = size_line.partition(";")
            size = int(size_s.strip(), 16)
            if size == 0:
                self.line()     # the empty line after the last chunk
                yield b"", ext.strip() == "ieof"
                return
            d = self.exact(size)
            assert self.exact(2) == b"\r\n"
            yield d, False


def chunk(d):
    return b"%x\r\n" % len(d) + d + b"\r\n"


class IcapServer:
    def __init__(self, host="127.0.0.1", port=0, preview=1024, ttl=3600,
                 max_conn=None):
        self.preview = preview
        self.ttl = ttl
        self.max_conn = max_conn
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.recs = []
        self.nconn = 0
        self.open = 0
        self.max_open = 0
        self.stopping = False
        self.threads = []

    def url(self, service):
        return "icap://127.0.0.1:%d/%s" % (self.port, service)

    def start(self):
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def stop(self):
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def records(self, method=None):
        with self.lock:
            return [r for r in self.recs
                    if method is None or r["method"] == method]

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.nconn += 1
                cid = self.nconn
                self.open += 1
                self.max_open = max(self.max_open, self.open)
            t = threading.Thread(target=self._serve, args=(c, cid),
                                 daemon=True)
            t.start()

    def _serve(self, sock, cid):
        c = _Conn(sock)
        try:
            while not self.stopping:
                if not self._one(c, cid):
                    break
        except (EOFError, OSError, ValueError, AssertionError):
            pass
        finally:
            with self.lock:
                self.open -= 1
            try:
                sock.close()
            except OSError:
                pass

    def _options(self, c):
        h = [b"ICAP/1.0 200 OK", b"Methods: REQMOD, RESPMOD",
             b"Service: tproxyd test ICAP server", b'ISTag: "TPX-1"',
             b"Allow: 204", b"Options-TTL: %d" % self.ttl,
             b"Transfer-Preview: *", b"Encapsulated: null-body=0"]
        if self.preview is not None:
            h.append(b"Preview: %d" % self.preview)
        if self.max_conn is not None:
            h.append(b"Max-Connections: %d" % self.max_conn)
        c.sock.sendall(b"\r\n".join(h) + b"\r\n\r\n")

    def _one(self, c, cid):
        head = c.head().decode("latin-1")
        lines = head.split("\r\n")
        method, uri, _ = lines[0].split(" ", 2)
        fields = {}
        for ln in lines[1:]:
            if ln:
                k, _, v = ln.partition(":")
                fields[k.strip().lower()] = v.strip()
        service = uri.split("/", 3)[3] if uri.count("/") >= 3 else ""
        service = service.split("?")[0]
        rec = {"method": method, "service": service, "conn": cid,
               "fields": fields, "req_hdr": "", "res_hdr": "",
               "body_len": 0, "sha256": None, "preview": None,
               "ieof": False}
        with self.lock:
            self.recs.append(rec)
        if method == "OPTIONS":
            self._options(c)
            return True
        parts = []
        for p in fields.get("encapsulated", "").split(","):
            name, _, off = p.strip().partition("=")
            parts.append((name, int(off)))
        heads = {}
        for i, (name, off) in enumerate(parts[:-1]):
            heads[name] = c.exact(parts[i + 1][1] - off).decode("latin-1")
        rec["req_hdr"] = heads.get("req-hdr", "")
        rec["res_hdr"] = heads.get("res-hdr", "")
        has_body = parts[-1][0] in ("req-body", "res-body")
        if "preview" in fields:
            rec["preview"] = int(fields["preview"])
        if service == "hang":
            while True:
                c.fill()
        if service == "slow":
            import time
            self._drain(c, rec, has_body)
            time.sleep(0.3)
            c.sock.sendall(b'ICAP/1.0 204 No Content\r\nISTag: "TPX-1"'
                           b"\r\n\r\n")
            return True
        if service == "error" and rec["preview"] is not None:
            # 500 in answer to the preview: the rest is never asked for.
            h = hashlib.sha256()
            for d, ieof in c.chunks():
                h.update(d)
                rec["body_len"] += len(d)
                if not d:
                    rec["ieof"] = ieof
            rec["sha256"] = h.hexdigest()
            c.sock.sendall(b"ICAP/1.0 500 Server Error\r\n"
                           b"Encapsulated: null-body=0\r\n\r\n")
            return False    # its connection is not reused
        if service in ("error", "error-late"):
            self._drain(c, rec, has_body)
            c.sock.sendall(b"ICAP/1.0 500 Server Error\r\n"
                           b"Encapsulated: null-body=0\r\n\r\n")
            return True
        if method == "RESPMOD" and has_body:
            return self._respmod(c, rec, service, heads)
        body = []
        self._drain(c, rec, has_body, body.append)
        rec["body"] = b"".join(body)
        return self._answer(c, rec, service, method, heads)

    def _drain(self, c, rec, has_body, sink=None):
        """Read the body (after a preview: ask for the rest unless ieof);
        sink(data) gets each piece."""
        if not has_body:
            return
        h = hashlib.sha256()
        n = 0
        first = []
        for d, ieof in c.chunks():
            first.append(d)
            if not d:
                rec["ieof"] = ieof
        more = rec["preview"] is not None and not rec["ieof"]
        if more:
            # The rest of the body is wanted: say so before any answer.
            c.sock.sendall(b"ICAP/1.0 100 Continue\r\n\r\n")
        for d in first:
            h.update(d)
            n += len(d)
            if sink and d:
                sink(d)
        if more:
            for d, _ in c.chunks():
                h.update(d)
                n += len(d)
                if sink and d:
                    sink(d)
        rec["body_len"] = n
        rec["sha256"] = h.hexdigest()

    def _answer(self, c, rec, service, method, heads):
        if service == "nc":
            c.sock.sendall(b'ICAP/1.0 204 No Content\r\nISTag: "TPX-1"'
                           b"\r\n\r\n")
            return True
        if service == "block":
            page = b"<html><body>blocked by the test ICAP server" \
                   b"</body></html>\n"
            rh = (b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\n"
                  b"X-Blocked-By: tpx-icap\r\nContent-Length: %d\r\n\r\n"
                  % len(page))
            c.sock.sendall(b'ICAP/1.0 200 OK\r\nISTag: "TPX-1"\r\n'
                           b"Encapsulated: res-hdr=0, res-body=%d\r\n\r\n"
                           % len(rh) + rh + chunk(page) + b"0\r\n\r\n")
            return True
        if method == "REQMOD":
            rq = heads.get("req-hdr", "")
            if service == "rewrite":
                first, rest = rq.split("\r\n", 1)
                m, target, ver = first.split(" ")
                scheme, _, hostpath = target.partition("://")
                host = hostpath.split("/", 1)[0]
                rq = ("%s %s://%s/bytes/7 %s\r\nX-Adapted: yes\r\n" %
                      (m, scheme, host, ver)) + rest
            rq = rq.encode("latin-1")
            if rec.get("body"):
                # The body back as it came (REQMOD with a body).
                c.sock.sendall(b'ICAP/1.0 200 OK\r\nISTag: "TPX-1"\r\n'
                               b"Encapsulated: req-hdr=0, req-body=%d\r\n"
                               b"\r\n" % len(rq) + rq +
                               chunk(rec["body"]) + b"0\r\n\r\n")
                return True
            c.sock.sendall(b'ICAP/1.0 200 OK\r\nISTag: "TPX-1"\r\n'
                           b"Encapsulated: req-hdr=0, null-body=%d\r\n\r\n"
                           % len(rq) + rq)
            return True
        # RESPMOD without a body: echo the head.
        rs = heads.get("res-hdr", "").encode("latin-1")
        c.sock.sendall(b'ICAP/1.0 200 OK\r\nISTag: "TPX-1"\r\n'
                       b"Encapsulated: res-hdr=0, null-body=%d\r\n\r\n"
                       % len(rs) + rs)
        return True

    def _respmod(self, c, rec, service, heads):
        rs = heads.get("res-hdr", "")
        if (service == "nc" and rec["preview"] is None and
                "204" not in rec["fields"].get("allow", "")):
            # A 204 is not allowed here (RFC 3507 4.6): "unchanged" is
            # the message sent back as it came.
            service = "echo"
        if service in ("nc", "block", "error", "error-late"):
            self._drain(c, rec, True)
            return self._answer(c, rec, service, "RESPMOD", heads)
        if service == "cut":
            # The whole body is read first, so that tproxyd sees only the
            # closed read: the answer stops after 64 KiB of it.
            kept = []

            def keep(d):
                if sum(len(k) for k in kept) < 65536:
                    kept.append(d)
            self._drain(c, rec, True, keep)
            rsb = rs.encode("latin-1")
            c.sock.sendall(b'ICAP/1.0 200 OK\r\nISTag: "TPX-1"\r\n'
                           b"Encapsulated: res-hdr=0, res-body=%d\r\n\r\n"
                           % len(rsb) + rsb)
            for d in kept:
                c.sock.sendall(chunk(d))
            return False
        if service == "preview204":
            for d, ieof in c.chunks():
                if not d:
                    rec["ieof"] = ieof
            c.sock.sendall(b'ICAP/1.0 204 No Content\r\nISTag: "TPX-1"'
                           b"\r\n\r\n")
            return True
        if service == "prefix":
            lines = [ln for ln in rs.split("\r\n") if ln and not
                     ln.lower().startswith("content-length:")]
            rs = "\r\n".join(lines) + "\r\n\r\n"
        rsb = rs.encode("latin-1")
        sent = [0]
        state = {"head": False}

        def send_head():
            if not state["head"]:
                c.sock.sendall(b'ICAP/1.0 200 OK\r\nISTag: "TPX-1"\r\n'
                               b"Encapsulated: res-hdr=0, res-body=%d\r\n"
                               b"\r\n" % len(rsb) + rsb)
                state["head"] = True
                if service == "prefix":
                    c.sock.sendall(chunk(b"ADAPTED\n"))

        def sink(d):
            send_head()
            c.sock.sendall(chunk(d))
            sent[0] += len(d)

        self._drain(c, rec, True, sink)
        send_head()
        c.sock.sendall(b"0\r\n\r\n")
        return True


if __name__ == "__main__":
    import sys
    import time
    s = IcapServer(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    s.start()
    print("READY 127.0.0.1 %d" % s.port, flush=True)
    while True:
        time.sleep(3600)
