#!/usr/bin/env python3
"""A delaying forwarder for a router namespace, standing in for tc netem (not available here). Used by the
benchmarks (benchmarks/lib/dnslab.sh, dnslab_delay) and by the lab tests (DnsFailoverLabIT), from this one file.

    delay_forward.py --delay-ms 100 --tcp LISTEN_ADDR:PORT [--udp LISTEN_ADDR:PORT=DEST_ADDR:PORT]... [--source ADDR]

TCP: connections redirected to LISTEN (nftables dnat of what the region's node sends to the other region) are
relayed to their original destination (SO_ORIGINAL_DST), every chunk in either direction written DELAY after it
was read, in order, without limiting throughput: a connection across it sees 2 x DELAY more round-trip time.
A connection opens as under netem with DELAY each way: the destination accepts it 3 x DELAY after the source
connected (SYN, SYN-ACK, ACK), and the source's first bytes arrive then (or DELAY after they were sent, if
later); the destination's first bytes reach the source DELAY after they were sent. What differs: the source's
own connect() returns at once (its handshake is with this forwarder, on the router), not after 2 x DELAY.
UDP: each datagram to LISTEN is sent to DEST DELAY after it arrived (one direction: the other region's router
delays the way back). Outgoing traffic leaves from --source (the router's public address) so that the peer
sees the address it expects.
A forwarder that is itself held up (a busy machine) delays more than DELAY: each stall of its loop of more than
STALL_MS is printed ("stalled N ms"), and each datagram sent more than STALL_MS after it was due ("udp: ... late"),
so that a test's log tells the link's doing from the nodes'.
"""
import argparse
import asyncio
import socket
import struct
import sys
import time

SO_ORIGINAL_DST = 80
STALL_MS = 100


def original_dst(sock):
    raw = sock.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port, = struct.unpack("!H", raw[2:4])
    return socket.inet_ntoa(raw[4:8]), port


def hostport(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


class Delayed:
    """Writes each chunk DELAY after it was read (not before NOT_BEFORE), in order; the queue is the link's "wire".
    Chunks may be put before the writer is attached: they wait for it."""

    def __init__(self, delay, not_before=0.0):
        self.writer = None
        self.attached = asyncio.Event()
        self.delay = delay
        self.not_before = not_before
        self.queue = asyncio.Queue()
        self.task = asyncio.ensure_future(self.run())

    def attach(self, writer):
        self.writer = writer
        self.attached.set()

    def put(self, data):
        self.queue.put_nowait((max(time.monotonic() + self.delay, self.not_before), data))

    async def run(self):
        try:
            await self.attached.wait()
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
    opened = time.monotonic()
    sock = writer.get_extra_info("socket")
    # What the source sends from now on is on the wire: it arrives DELAY later, and not before the handshake's
    # three crossings are over.
    out = Delayed(delay, opened + 3 * delay)
    reading = asyncio.ensure_future(pump(reader, out))
    try:
        dest = original_dst(sock)
        await asyncio.sleep(3 * delay)  # SYN, SYN-ACK, ACK: when the destination accepts under netem
        up_reader, up_writer = await asyncio.open_connection(dest[0], dest[1], local_addr=(source, 0) if source else None)
    except (OSError, ConnectionError) as e:
        print("tcp: cannot reach the destination: %s" % e, file=sys.stderr, flush=True)
        reading.cancel()
        out.task.cancel()
        writer.close()
        return
    print("tcp: %s:%d -> %s:%d, delayed" % (writer.get_extra_info("peername") + dest), flush=True)
    out.attach(up_writer)
    back = Delayed(delay)
    back.attach(writer)
    await asyncio.gather(reading, pump(up_reader, back))
    await asyncio.gather(out.task, back.task)
    for w in (writer, up_writer):
        w.close()


class UdpRelay(asyncio.DatagramProtocol):
    def __init__(self, dest, delay, sender):
        self.dest = dest
        self.delay = delay
        self.sender = sender

    def datagram_received(self, data, addr):
        asyncio.get_event_loop().call_later(self.delay, self.send, data, time.monotonic() + self.delay)

    def send(self, data, due):
        late = (time.monotonic() - due) * 1000
        if late > STALL_MS:
            print("udp: a datagram to %s:%d sent %d ms late" % (self.dest + (late,)), flush=True)
        try:
            self.sender.sendto(data, self.dest)
        except OSError as e:
            print("udp: a datagram to %s:%d dropped: %s" % (self.dest + (e,)), flush=True)


async def watch_stalls():
    """Prints each time this loop ran more than STALL_MS late: everything it relays was held up that long."""
    tick = 0.02
    while True:
        before = time.monotonic()
        await asyncio.sleep(tick)
        late = (time.monotonic() - before - tick) * 1000
        if late > STALL_MS:
            print("stalled %d ms" % late, flush=True)


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
    asyncio.ensure_future(watch_stalls())
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
