#!/usr/bin/env python3
"""Clients of a VIP for the fault matrix (benchmarks/scenarios/faults.sh), run in the lab's client namespace.

  vip_client.py keepalive URL INTERVAL_MS DURATION_MS [CONNECT_TIMEOUT_MS] [READ_TIMEOUT_MS]
      Asks for URL every INTERVAL_MS on one kept-alive HTTP/1.1 connection, as browsers, proxies and wrk do,
      and opens a new one only when the old one failed or the server closed it. Prints one line per request
      as HttpPoller does (START_MS END_MS ok|fail DETAIL, milliseconds since the start; DETAIL of an answer:
      STATUS BODY new_conn=0|1). A request that fails on a reused connection is counted as failed (as wrk
      counts it), not retried. Bounded by DURATION_MS.

  vip_client.py first URL BODY TIMEOUT_MS COMMAND...
      Runs COMMAND (the fault, e.g. `ip -n NS link set eth0 down`), then asks for URL over new connections
      (50 ms connect timeout, no pause) until an answer's body is BODY, and prints the milliseconds from
      COMMAND's start to that answer, or "timeout" after TIMEOUT_MS.
"""
import http.client
import socket
import subprocess
import sys
import time
import urllib.parse


def now_ms(t0):
    return int((time.monotonic() - t0) * 1000)


def keepalive(url, interval_ms, duration_ms, connect_ms=100, read_ms=300):
    u = urllib.parse.urlsplit(url)
    path = u.path or "/"
    t0 = time.monotonic()
    conn = None
    while now_ms(t0) < duration_ms:
        start = now_ms(t0)
        new = 0
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=connect_ms / 1000)
                conn.connect()
                conn.sock.settimeout(read_ms / 1000)
                new = 1
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read().split()
            ok = 200 <= r.status < 300
            detail = "%d %s new_conn=%d" % (r.status, body[0].decode("ascii", "replace") if body else "-", new)
            if r.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            ok = False
            detail = "%s:%s new_conn=%d" % (type(e).__name__, str(e).replace(" ", "_"), new)
            if conn is not None:
                conn.close()
            conn = None
        print("%d %d %s %s" % (start, now_ms(t0), "ok" if ok else "fail", detail), flush=True)
        time.sleep(interval_ms / 1000)


def first(url, want, timeout_ms, command):
    u = urllib.parse.urlsplit(url)
    request = ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (u.path or "/", u.hostname)).encode()
    t0 = time.monotonic()
    subprocess.run(command, check=True)
    while now_ms(t0) < timeout_ms:
        try:
            with socket.create_connection((u.hostname, u.port or 80), timeout=0.05) as s:
                s.settimeout(0.5)
                s.sendall(request)
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            if head.split(b" ")[1:2] == [b"200"] and body.split()[:1] == [want.encode()]:
                print(now_ms(t0), flush=True)
                return
        except OSError:
            pass
    print("timeout", flush=True)


def main(argv):
    if len(argv) >= 4 and argv[1] == "keepalive":
        keepalive(argv[2], *[int(a) for a in argv[3:7]])
    elif len(argv) >= 6 and argv[1] == "first":
        first(argv[2], argv[3], int(argv[4]), argv[5:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main(sys.argv)
