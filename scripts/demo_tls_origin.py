#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""demo_tls_origin.py - the HTTPS origin of `make demo`: answers every GET
with the address the connection came from (so the demo can show that the
proxy connected from the client's own address) and the TLS server name the
client asked for.

    demo_tls_origin.py --cert leaf.pem --key leaf.key --listen 198.18.2.2:443 ...
"""
import argparse
import http.server
import json
import socket
import ssl
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({
            "addr": self.client_address[0],
            "sni": getattr(self.connection, "server_hostname", None)
            or self.server.sni.get(id(self.connection)),
            "tls": self.connection.version(),
        }).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(listen, ctx):
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET

    class Server(http.server.ThreadingHTTPServer):
        address_family = fam
        sni = {}

    srv = Server((host, int(port)), Handler)
    names = srv.sni

    def on_sni(sock, name, _ctx):
        names[id(sock)] = name
    ctx.sni_callback = on_sni
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--listen", action="append", required=True)
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ts = [threading.Thread(target=serve, args=(l, ctx), daemon=True)
          for l in a.listen]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


if __name__ == "__main__":
    main()
