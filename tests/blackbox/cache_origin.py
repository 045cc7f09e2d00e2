# SPDX-License-Identifier: GPL-2.0-or-later
"""
cache_origin.py - a programmable origin for the cache tests: each path
answers what the test set for it (status, header fields, body, chunked
or not, a pause in the middle of the body), counts the requests it got,
and keeps their header fields (to see the validators the cache added).

    o = CacheOrigin().start()
    o.set("/a", body=b"hello", headers=[("Cache-Control", "max-age=60")])
    ... o.count("/a"), o.requests("/a")[-1]["If-None-Match"] ...
    o.stop()

A path with etag= answers 304 (with the same fields, no body) to a
matching If-None-Match; one with bare_304=True answers any conditional
request with a 304 that has no fields at all (no validators: as Python's
http.server does); one with odd_304=ETAG answers any If-None-Match with
a 304 carrying that ETag (a server that changed, or one of several
servers that disagree, answering 304 all the same). vary_body=NAME makes the body depend on the
request's field NAME (for Vary tests).
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _serve(self):
        o = self.server.origin
        path = self.path.split("?")[0]
        if path.startswith("http://"):
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 \
                else "/"
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        with o.lock:
            o.log.append((self.command, path, dict(self.headers.items())))
            r = dict(o.routes.get(path, {}))
        status = r.get("status", 200)
        body = r.get("body", b"ok\n")
        if r.get("vary_body"):
            body = body + (self.headers.get(r["vary_body"]) or
                           "-").encode()
        hdrs = list(r.get("headers", []))
        etag = r.get("etag")
        if etag is not None:
            hdrs.append(("ETag", etag))
            if self.headers.get("If-None-Match") == etag:
                status = 304
        if r.get("bare_304") and (self.headers.get("If-None-Match") or
                                  self.headers.get("If-Modified-Since")):
            status, hdrs = 304, []
        if r.get("odd_304") and self.headers.get("If-None-Match"):
            status, hdrs = 304, [("ETag", r["odd_304"])]
        if self.command != "GET" and self.command != "HEAD" and \
                r.get("unsafe_status"):
            status = r["unsafe_status"]
        self.send_response(status)
        for k, v in hdrs:
            self.send_header(k, v)
        if status == 304 or status == 204:
            self.end_headers()
            return
        chunked = r.get("chunked", False)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        pause = r.get("pause", 0.0)
        half = len(body) // 2 if pause else len(body)
        parts = [body[:half], body[half:]]
        for i, part in enumerate(parts):
            if not part:
                continue
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            else:
                self.wfile.write(part)
            self.wfile.flush()
            if i == 0 and pause:
                if r.get("die_in_pause"):
                    time.sleep(pause)
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                time.sleep(pause)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _serve


class CacheOrigin:
    def __init__(self, host="127.0.0.1"):
        self.routes = {}
        self.log = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.origin = self
        self.port = self.httpd.server_address[1]
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def set(self, path, **kw):
        with self.lock:
            self.routes[path] = kw

    def count(self, path, method=None):
        with self.lock:
            return sum(1 for m, p, _ in self.log
                       if p == path and (method is None or m == method))

    def requests(self, path):
        with self.lock:
            return [h for _, p, h in self.log if p == path]
