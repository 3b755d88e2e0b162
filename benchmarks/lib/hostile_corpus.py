#!/usr/bin/env python3
"""Runs the hostile-request corpus (proxy/src/test/resources/hostile/corpus.txt) through proxies on loopback,
each in front of one strict recording server, and prints how each proxy answered beside the corpus's
expectations (which Tandem's HostileCorpusTest asserts in CI).

  hostile_corpus.py CORPUS BACKEND_PORT NAME=PORT [NAME=PORT ...]

The recording server must not be running: this script is it, on BACKEND_PORT. Per case and proxy it
records the statuses the client got (up to the number the case expects), whether the connection was closed,
and whether the server saw a whole request, and if so whether its request-target was the one the case
expects (the octets the client sent). Forwarding headers differ between proxies by design and are not
compared. Per group it prints: cases; same statuses as expected; whole requests forwarded where the case
expects none ("leaked"); targets the server saw changed from the expected octets ("altered").
"""
import re
import socket
import socketserver
import sys
import threading
from collections import OrderedDict

TIMEOUT = 1.5


def expand(text, addr):
    def repl(m):
        body = m.group(1)
        if body == "addr":
            return addr
        if body.startswith("fwd "):
            return ""  # forwarding headers are not compared here
        if body.startswith("repeat "):
            n, rest = body[7:].split(" ", 1)
            return rest * int(n)
        return m.group(0)
    return re.sub(r"\{([^{}]*)\}", repl, text)


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            e = s[i + 1]
            if e == "x":
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
            out.append({"r": 13, "n": 10, "t": 9, "\\": 92}[e])
            i += 2
            continue
        out.append(ord(c))
        i += 1
    return bytes(out)


def load(path):
    cases, group, cur = [], None, None
    for line in open(path, encoding="utf-8").read().split("\n"):
        if not line.strip() or line.startswith("#"):
            continue
        key, _, rest = line.partition(" ")
        if key == "group":
            group = rest.strip()
        elif key == "case":
            cur = {"group": group, "name": rest.strip(), "send": "", "backend": [], "cur": "", "config": None}
            cases.append(cur)
        elif key == "send":
            cur["send"] += rest
        elif key == "expect":
            words = rest.split()
            cur["statuses"] = [int(w.rstrip("h")) for w in words[:-1]]
            cur["heads"] = [w.endswith("h") for w in words[:-1]]
            cur["close"] = words[-1] == "close"
        elif key == "backend":
            if rest.startswith("truncated "):
                cur["truncated"] = True
            elif rest.strip() != "none":
                cur["cur"] += rest
        elif key == "|":
            cur["backend"].append(cur["cur"])
            cur["cur"] = ""
        elif key == "config":
            cur["config"] = rest.strip()
    for c in cases:
        if c["cur"]:
            c["backend"].append(c["cur"])
    return cases


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []

    def clear(self):
        with self.lock:
            self.requests = []

    def add(self, head):
        with self.lock:
            self.requests.append(head)


RECORDER = Recorder()


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            self.serve()
        except (OSError, ValueError):
            pass  # a proxy that gives up on a request closes or resets its connection

    def serve(self):
        f = self.rfile
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = f.readline(65536)
                if not line:
                    return
                head += line
                if head in (b"\r\n",):
                    head = b""
            text = head.decode("latin-1")
            lower = text.lower()
            cl = re.search(r"\r\ncontent-length:\s*(\d+)", lower)
            # A request whose body the connection's close cut short is not whole: it is not recorded.
            if "\r\ntransfer-encoding:" in lower:
                while True:
                    line = f.readline()
                    if not line:
                        return
                    size = int(line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while True:
                            trailer = f.readline()
                            if not trailer:
                                return
                            if trailer in (b"\r\n", b"\n"):
                                break
                        break
                    if len(f.read(size + 2)) < size + 2:
                        return
            elif cl:
                n = int(cl.group(1))
                if len(f.read(n)) < n:
                    return
            if not text.startswith("GET /__"):
                RECORDER.add(head)
            body = b"" if text.startswith("HEAD ") else b"ok"
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" + body)
            self.wfile.flush()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def read_response(sock, buf, head_only):
    """One response from sock (buf holds bytes already read); returns (status, rest) or (None, buf)."""
    def fill():
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError
        return chunk
    try:
        while b"\r\n\r\n" not in buf:
            buf += fill()
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        if head_only or status in (100, 101, 204, 304):
            return status, buf
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(buf) < n:
                buf += fill()
            return status, buf[n:]
        if "chunked" in headers.get("transfer-encoding", ""):
            while True:
                while b"\r\n" not in buf:
                    buf += fill()
                line, buf = buf.split(b"\r\n", 1)
                size = int(line.split(b";")[0], 16)
                while len(buf) < size + 2:
                    buf += fill()
                buf = buf[size + 2:]
                if size == 0:
                    return status, buf
        try:
            while True:
                buf += fill()
        except EOFError:
            return status, b""
    except (EOFError, OSError, ValueError, IndexError):
        return None, buf


def run_case(case, port):
    addr = "127.0.0.1:%d" % port
    RECORDER.clear()
    got, closed = [], False
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    try:
        s.sendall(unescape(expand(case["send"], addr)))
        buf = b""
        for head in case["heads"]:
            status, buf = read_response(s, buf, head)
            if status is None:
                closed = True
                break
            got.append(status)
        if not closed:
            try:
                s.settimeout(0.3)
                closed = s.recv(1) == b""
            except socket.timeout:
                closed = False
            except OSError:
                closed = True
    except OSError:
        closed = True
    finally:
        s.close()
    # A request the proxy sent late still counts: ask the server once more after a round trip.
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sync:
            sync.sendall(b"GET /__sync HTTP/1.1\r\nHost: sync\r\n\r\n")
            read_response(sync, b"", False)
    except OSError:
        pass
    with RECORDER.lock:
        seen = list(RECORDER.requests)
    expected = [unescape(expand(b, addr)) for b in case["backend"]]
    leaked = bool(seen) and not expected
    altered = False
    if seen and expected:
        want = expected[0].split(b"\r\n", 1)[0].split(b" ")[1]
        words = seen[0].split(b"\r\n", 1)[0].split(b" ")
        have = words[1] if len(words) > 1 else b""
        altered = want != have
    return got, closed, leaked, altered


def main():
    corpus, backend_port = sys.argv[1], int(sys.argv[2])
    proxies = [a.split("=") for a in sys.argv[3:]]
    cases = [c for c in load(corpus) if c["config"] is None]
    server = Server(("127.0.0.1", backend_port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    table = OrderedDict()
    details = []
    for c in cases:
        row = table.setdefault(c["group"], {"cases": 0})
        row["cases"] += 1
        for name, port in proxies:
            got, closed, leaked, altered = run_case(c, int(port))
            same = got == c["statuses"]
            row[name + " same"] = row.get(name + " same", 0) + same
            row[name + " leaked"] = row.get(name + " leaked", 0) + leaked
            row[name + " altered"] = row.get(name + " altered", 0) + altered
            if not same or leaked or altered:
                details.append("%s/%s %s: expected %s got %s%s%s" % (c["group"], c["name"], name, c["statuses"], got,
                               " LEAKED" if leaked else "", " ALTERED" if altered else ""))
    cols = ["cases"] + ["%s %s" % (n, k) for n, _ in proxies for k in ("same", "leaked", "altered")]
    print("hostile corpus: %d cases (config variants skipped); same = statuses as the corpus expects; leaked = the"
          " server saw a whole request where the corpus expects none; altered = the target reached the server"
          " changed" % len(cases))
    print("%-16s" % "group" + "".join("%16s" % col for col in cols))
    totals = {col: 0 for col in cols}
    for g, row in table.items():
        print("%-16s" % g + "".join("%16d" % row.get(col, 0) for col in cols))
        for col in cols:
            totals[col] += row.get(col, 0)
    print("%-16s" % "total" + "".join("%16d" % totals[col] for col in cols))
    print()
    print("cases that differ:")
    for d in details:
        print("  " + d)


if __name__ == "__main__":
    main()
