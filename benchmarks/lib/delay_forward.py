#!/usr/bin/env python3
"""A delaying forwarder for a router namespace, standing in for tc netem (not available here).

    delay_forward.py --delay-ms 100 --tcp LISTEN_ADDR:PORT [--udp LISTEN_ADDR:PORT=DEST_ADDR:PORT]... [--source ADDR]

TCP: connections redirected to LISTEN (nftables dnat of what the region's node sends to the other region) are
relayed to their original destination (SO_ORIGINAL_DST), every chunk in either direction written DELAY after it
was read, in order, without limiting throughput: a connection across it sees 2 x DELAY more round-trip time.
UDP: each datagram to LISTEN is sent to DEST DELAY after it arrived (one direction: the other region's router
delays the way back). Outgoing traffic leaves from --source (the router's public address) so that the peer
sees the address it expects.

Differences from netem: the TCP handshake to the forwarder is local, so opening a connection costs DELAY
(the connect to the destination waits DELAY), not 3 x DELAY; the bytes of an established connection are
delayed exactly.
"""
import argparse
import asyncio
import socket
import struct
import sys
import time

SO_ORIGINAL_DST = 80


def original_dst(sock):
    raw = sock.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port, = struct.unpack("!H", raw[2:4])
    return socket.inet_ntoa(raw[4:8]), port


def hostport(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


class Delayed:
    """Writes each chunk DELAY after it was read, in order; the queue is the link's "wire"."""

    def __init__(self, writer, delay):
        self.writer = writer
        self.delay = delay
        self.queue = asyncio.Queue()
        self.task = asyncio.ensure_future(self.run())

    def put(self, data):
        self.queue.put_nowait((time.monotonic() + self.delay, data))

    async def run(self):
        try:
            while True:
                due, data = await self.queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is None:
                    if self.writer.can_write_eof():
                        self.writer.write_eof()
                    return
                self.writer.write(data)
                await self.writer.drain()
        except (ConnectionError, OSError):
            pass


async def pump(reader, delayed):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            delayed.put(data)
    except (ConnectionError, OSError):
        pass
    delayed.put(None)


async def tcp_client(reader, writer, delay, source):
    sock = writer.get_extra_info("socket")
    try:
        dest = original_dst(sock)
        await asyncio.sleep(delay)  # the SYN's way out
        up_reader, up_writer = await asyncio.open_connection(dest[0], dest[1], local_addr=(source, 0) if source else None)
    except (OSError, ConnectionError) as e:
        print("tcp: cannot reach the destination: %s" % e, file=sys.stderr, flush=True)
        writer.close()
        return
    print("tcp: %s:%d -> %s:%d, delayed" % (writer.get_extra_info("peername") + dest), flush=True)
    out = Delayed(up_writer, delay)
    back = Delayed(writer, delay)
    await asyncio.gather(pump(reader, out), pump(up_reader, back))
    await asyncio.gather(out.task, back.task)
    for w in (writer, up_writer):
        w.close()


class UdpRelay(asyncio.DatagramProtocol):
    def __init__(self, dest, delay, sender):
        self.dest = dest
        self.delay = delay
        self.sender = sender

    def datagram_received(self, data, addr):
        asyncio.get_event_loop().call_later(self.delay, self.send, data)

    def send(self, data):
        try:
            self.sender.sendto(data, self.dest)
        except OSError:
            pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("--tcp", action="append", default=[])
    ap.add_argument("--udp", action="append", default=[])
    ap.add_argument("--source", default=None)
    a = ap.parse_args()
    delay = a.delay_ms / 1000
    loop = asyncio.get_event_loop()
    for spec in a.tcp:
        host, port = hostport(spec)
        await asyncio.start_server(lambda r, w: tcp_client(r, w, delay, a.source), host, port)
    for spec in a.udp:
        listen, dest = spec.split("=")
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.bind((a.source or "0.0.0.0", 0))
        sender.setblocking(False)
        await loop.create_datagram_endpoint(lambda d=hostport(dest), s=sender: UdpRelay(d, delay, s),
                                            local_addr=hostport(listen))
    print("delaying %g ms: tcp %s, udp %s" % (a.delay_ms, a.tcp, a.udp), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
