#!/usr/bin/env python3
"""A small keep-alive HTTP/1.1 backend that answers every request with its node's name in one write (python3
-m http.server writes its head and body apart, and Nagle's algorithm with delayed ACKs then adds 40 ms).
A request that says `Connection: close` is answered so, and the connection closed.

  tiny_backend.py PORT NAME [BIND]      BIND: the address to listen on (default 127.0.0.1)
"""
import asyncio
import sys


async def serve(reader, writer, body):
    response = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    closing = response.replace(b"\r\n\r\n", b"\r\nconnection: close\r\n\r\n", 1)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            close = False
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
                elif name.strip().lower() == b"connection" and value.strip().lower() == b"close":
                    close = True
            if length:
                await reader.readexactly(length)
            writer.write(closing if close else response)
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main():
    port, name = int(sys.argv[1]), sys.argv[2].encode() + b"\n"
    bind = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    server = await asyncio.start_server(lambda r, w: serve(r, w, name), bind, port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
