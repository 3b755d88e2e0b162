#!/usr/bin/env python3
"""A small keep-alive HTTP/1.1 backend that answers every request with its node's name in one write (python3
-m http.server writes its head and body apart, and Nagle's algorithm with delayed ACKs then adds 40 ms).

  tiny_backend.py PORT NAME
"""
import asyncio
import sys


async def serve(reader, writer, body):
    response = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            writer.write(response)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main():
    port, name = int(sys.argv[1]), sys.argv[2].encode() + b"\n"
    server = await asyncio.start_server(lambda r, w: serve(r, w, name), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
