#!/usr/bin/env python3
"""Opens N keep-alive connections to HOST:PORT, sends one GET on each and reads its response, then leaves them
all open and idle: prints "ready N" and waits until its standard input closes (or a line comes), then closes
them. Bounded: at most 50,000 connections, 10 s per exchange.

  idle_clients.py HOST PORT N
"""
import socket
import sys

MAX = 50_000


def exchange(sock):
    sock.sendall(b"GET / HTTP/1.1\r\nHost: idle\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed before the response head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed inside the body")
        body += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError("answered " + head.split(b"\r\n", 1)[0].decode("latin-1"))


def main():
    host, port, n = sys.argv[1], int(sys.argv[2]), min(int(sys.argv[3]), MAX)
    socks = []
    failed = 0
    try:
        for _ in range(n):
            s = socket.create_connection((host, port), timeout=10)
            try:
                exchange(s)
                socks.append(s)
            except (OSError, ConnectionError) as e:
                failed += 1
                s.close()
                if failed == 1:
                    print("first failure: %s" % e, file=sys.stderr, flush=True)
        print("ready %d failed %d" % (len(socks), failed), flush=True)
        sys.stdin.readline()
    finally:
        for s in socks:
            s.close()


if __name__ == "__main__":
    main()
