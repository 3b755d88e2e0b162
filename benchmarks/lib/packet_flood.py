#!/usr/bin/env python3
"""Cluster packets no node may act on, at a fixed rate, for the `packets` scenario (lib/lab.sh's lab).

Run in a node's namespace (n2), against its peer (n1, the master): it first captures a few of n1's real
adverts to n2 on eth0 (AF_PACKET), then for DURATION seconds sends, at RATE packets a second, a mix of those
adverts replayed to n1 (which claim to be n1: UNKNOWN_NODE), cut short (MALFORMED), with a bit flipped
(BAD_MAC), advert-shaped packets with a random MAC (BAD_MAC) and random bytes (FOREIGN); and MIRROR_RATE connections a second to the mirror's TCP port, each
sending random bytes, a frame announcing a gigabyte, or random frames (all refused unauthenticated).

  packet_flood.py PEER PORT RATE MIRROR_RATE DURATION      prints one line: sent adverts=N mirror=N seconds=S
"""
import os
import random
import socket
import struct
import sys
import threading
import time

ETH_P_ALL = 0x0003


def capture_adverts(peer, port, want=8, timeout=3.0):
    """Real adverts PEER sends to this namespace's PORT (UDP), as UDP payloads."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind(("eth0", 0))
    s.settimeout(0.5)
    peer_ip = socket.inet_aton(peer)
    found, deadline = [], time.monotonic() + timeout
    while len(found) < want and time.monotonic() < deadline:
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17 or ip[12:16] != peer_ip:
            continue
        udp = ip[ihl:]
        if struct.unpack("!H", udp[2:4])[0] != port:
            continue
        found.append(bytes(udp[8:]))
    s.close()
    return found


def advert_packets(real, rnd):
    kind = rnd.randrange(5)
    if kind == 0 and real:
        return rnd.choice(real)                              # replayed
    if kind == 1 and real:
        p = rnd.choice(real)
        return p[:rnd.randrange(len(p))]                     # cut short
    if kind == 2 and real:
        p = bytearray(rnd.choice(real))
        p[rnd.randrange(len(p))] ^= 1 << rnd.randrange(8)
        return bytes(p)                                      # a bit flipped
    if kind == 3:
        node, vip = b"n1", b"10.0.0.50"
        body = struct.pack("!IBBBBIqqB", 0x544E4456, 1, 1, 1, 254, 100, 2**40, 1, len(node)) + node
        return body + bytes([len(vip)]) + vip + os.urandom(32)  # shaped like an advert, MAC random
    return os.urandom(rnd.randrange(600))                    # random bytes


def mirror_connections(peer, port, rate, duration, counter, rnd):
    end, n = time.monotonic() + duration, 0
    while time.monotonic() < end:
        kind = rnd.randrange(3)
        if kind == 0:
            data = os.urandom(rnd.randrange(256))
        elif kind == 1:
            data = b"\x40\x00\x00\x00\x01\x02\x03"
        else:
            data = b"".join(struct.pack("!I", n) + os.urandom(n) for n in (rnd.randrange(1, 64), rnd.randrange(1, 64)))
        try:
            with socket.create_connection((peer, port), timeout=1) as c:
                c.sendall(data)
                c.shutdown(socket.SHUT_WR)
                c.settimeout(1)
                while c.recv(4096):
                    pass
        except OSError:
            pass
        n += 1
        counter[0] = n
        time.sleep(max(0.0, (start_time + n / rate) - time.monotonic()) if rate else duration)


def main():
    global start_time
    peer, port, rate, mirror_rate, duration = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    rnd = random.Random(16)
    real = capture_adverts(peer, port)
    if not real:
        print("no advert captured from %s to port %d" % (peer, port), file=sys.stderr)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mirror = [0]
    start_time = time.monotonic()
    t = threading.Thread(target=mirror_connections, args=(peer, port, mirror_rate, duration, mirror, random.Random(17)), daemon=True)
    if mirror_rate > 0:
        t.start()
    sent, end = 0, start_time + duration
    while time.monotonic() < end:
        udp.sendto(advert_packets(real, rnd), (peer, port))
        sent += 1
        ahead = start_time + sent / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    if mirror_rate > 0:
        t.join(timeout=5)
    print("sent adverts=%d mirror=%d seconds=%.1f captured=%d" % (sent, mirror[0], time.monotonic() - start_time, len(real)))


if __name__ == "__main__":
    main()
