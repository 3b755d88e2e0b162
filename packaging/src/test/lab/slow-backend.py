#!/usr/bin/python3
# The application server behind Tandem in the systemd lab (SystemdNspawnLabIT), on 127.0.0.1:8000 where the
# shipped config sends every request. GET /slow?s=SECONDS&id=ID first writes /run/slow-backend/ID (so the
# test knows the request reached it), then answers after SECONDS; any other path is answered at once.
import http.server
import pathlib
import re
import time
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/slow":
            seconds = float(query.get("s", ["3"])[0])
            ident = re.sub(r"[^A-Za-z0-9_-]", "", query.get("id", ["slow"])[0]) or "slow"
            pathlib.Path("/run/slow-backend", ident).write_text(self.path)
            time.sleep(seconds)
            body = "slow answer after %g s\n" % seconds
        else:
            body = "backend %s\n" % url.path
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


http.server.ThreadingHTTPServer(("127.0.0.1", 8000), Handler).serve_forever()
