#!/usr/bin/env python3
"""A spare server of seed 004's recipe: asked "can you contact the primary?", it tries and says.

    spare_check.py ADDRESS PORT
    GET /check?host=H[&port=P]   "up" when a TCP connection to H:P (default 80) opens within 2 s, else "down"
    GET /                        "spare" (for a liveness check)

Also what Tandem's TCP witness connects to in the DNS benchmark (it only needs the connection to open).
"""
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/check":
            q = parse_qs(url.query)
            host = q.get("host", [""])[0]
            port = int(q.get("port", ["80"])[0])
            try:
                with socket.create_connection((host, port), timeout=2):
                    body = b"up\n"
            except OSError:
                body = b"down\n"
        else:
            body = b"spare\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
