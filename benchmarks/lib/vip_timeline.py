#!/usr/bin/env python3
"""Where a failover's time goes, seen on the lab's wire (lib/lab.sh), for the `faults` scenario's --capture.

  vip_timeline.py capture VIP CLUSTER_PORT OUT      run in the bridge's namespace until SIGTERM
      Listens on the bridge ports p1, p2 (the nodes) and pc (the client) and writes one line per frame that
      matters to a failover, with the kernel's receive time: TIME_NS PORT KIND [DETAIL]. Each frame is taken
      where it enters the bridge, so PORT is its sender. KIND: advert (Tandem's cluster UDP or VRRP; DETAIL
      master, backup or release: by Tandem's flags, by VRRP's priority 0), garp (an ARP packet from a node saying
      the VIP is at its MAC, DETAIL request|reply), arp-reply (a node's answer to a client's ARP request for the
      VIP), arp-ask (the client asks who has the VIP), syn (the client opens a connection to the VIP, DETAIL
      n1|n2: which node's MAC it sent to), synack, rst, data (the VIP's answers, from the node whose port it is).
  vip_timeline.py report OUT FAULT_NS
      Prints, in ms from the fault (FAULT_NS, the wall-clock time the fault was made), the timeline of the
      takeover: n1's last advert, n2's first advert, first gratuitous ARP, the client's first SYN to n2's MAC,
      n2's first SYN-ACK and first answer; and what n1 answered meanwhile. One line, KEY=MS pairs.
"""
import select
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = 35
PACKET_OUTGOING = 4
PORTS = {"p1": "n1", "p2": "n2", "pc": "c"}


def capture(vip, cluster_port, out):
    vip_b = socket.inet_aton(vip)
    socks = {}
    for port in PORTS:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.bind((port, 0))
        socks[s.fileno()] = (s, PORTS[port])
    macs = {}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with open(out, "w", buffering=1) as f:
        while not stop:
            try:
                ready, _, _ = select.select(list(socks), [], [], 0.2)
            except InterruptedError:
                continue
            for fd in ready:
                s, who = socks[fd]
                try:
                    frame, anc, _, addr = s.recvmsg(2048, socket.CMSG_SPACE(16))
                except InterruptedError:
                    continue
                if addr[2] == PACKET_OUTGOING:
                    continue  # leaving the bridge: seen already where it came in
                ns = 0
                for level, kind, data in anc:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        sec, nsec = struct.unpack("qq", data[:16])
                        ns = sec * 1_000_000_000 + nsec
                if who != "c":
                    macs[frame[6:12]] = who
                for kind, detail in classify(frame, who, vip_b, cluster_port, macs):
                    f.write("%d %s %s %s\n" % (ns, who, kind, detail))


def classify(frame, who, vip_b, cluster_port, macs):
    if len(frame) < 14:
        return []
    etype = frame[12:14]
    if etype == b"\x08\x06" and len(frame) >= 42:
        op = struct.unpack("!H", frame[20:22])[0]
        spa, tpa = frame[28:32], frame[38:42]
        if who != "c" and spa == vip_b:
            if tpa == vip_b:
                return [("garp", "request" if op == 1 else "reply")]
            return [("arp-reply", "")]
        if who == "c" and op == 1 and tpa == vip_b:
            return [("arp-ask", "")]
        return []
    if etype != b"\x08\x00" or len(frame) < 34:
        return []
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    proto, src, dst = ip[9], ip[12:16], ip[16:20]
    if who != "c" and proto == 112:
        # VRRP: a backup is silent; a master leaving sends priority 0
        return [("advert", "master" if len(ip) > ihl + 2 and ip[ihl + 2] > 0 else "release")]
    if who != "c" and proto == 17 and len(ip) >= ihl + 4:
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        body = ip[ihl + 8:]
        if cluster_port in (sport, dport):
            # Tandem's advert: magic "TNDV", version, type, flags (1: master), priority
            if len(body) >= 8 and body[0:4] == b"TNDV":
                return [("advert", "master" if body[6] & 1 else "backup")]
            return [("cluster", "")]
        return []
    if proto != 6 or len(ip) < ihl + 20:
        return []
    tcp = ip[ihl:]
    flags = tcp[13]
    total = struct.unpack("!H", ip[2:4])[0]
    payload = total - ihl - (tcp[12] >> 4) * 4
    if who == "c" and dst == vip_b and flags & 0x12 == 0x02:
        return [("syn", macs.get(frame[0:6], "?"))]
    if who != "c" and src == vip_b:
        if flags & 0x04:
            return [("rst", "")]
        if flags & 0x12 == 0x12:
            return [("synack", "")]
        if payload > 0:
            return [("data", "")]
    return []


def report(out, fault_ns):
    events = []
    with open(out) as f:
        for line in f:
            p = line.split()
            if len(p) >= 3 and p[0].isdigit():
                events.append((int(p[0]), p[1], p[2], p[3] if len(p) > 3 else ""))
    events.sort()

    def ms(ns):
        return "%.1f" % ((ns - fault_ns) / 1e6)

    def first(who, kind, detail=None, after=fault_ns):
        for t, w, k, d in events:
            if t >= after and w == who and k == kind and (detail is None or d == detail):
                return t
        return None

    last_n1 = None
    for t, w, k, d in events:
        if t < fault_ns and w == "n1" and k == "advert" and d == "master":
            last_n1 = t
    r = {"n1_last_advert": last_n1}
    # a master that sent a release after the fault was not killed outright: its peer took over at once
    r["n1_release"] = first("n1", "advert", "release")
    r["n2_first_advert"] = first("n2", "advert", "master")
    r["n2_first_garp"] = first("n2", "garp")
    r["client_syn_to_n2"] = first("c", "syn", "n2")
    r["n2_first_synack"] = first("n2", "synack")
    r["n2_first_data"] = first("n2", "data")
    keys = list(r)
    parts = ["%s=%s" % (k, "-" if r[k] is None else ms(r[k])) for k in keys]
    if r["n1_last_advert"] is not None and r["n2_first_advert"] is not None:
        parts.append("down_timer=%s" % ("%.1f" % ((r["n2_first_advert"] - r["n1_last_advert"]) / 1e6)))
    if r["n2_first_advert"] is not None and r["n2_first_garp"] is not None:
        parts.append("master_to_garp=%.1f" % ((r["n2_first_garp"] - r["n2_first_advert"]) / 1e6))
    if r["n2_first_synack"] is not None and r["n2_first_data"] is not None:
        parts.append("synack_to_data=%.1f" % ((r["n2_first_data"] - r["n2_first_synack"]) / 1e6))
    until = r["n2_first_data"] or float("inf")
    n1_rst = sum(1 for t, w, k, _ in events if fault_ns <= t < until and w == "n1" and k == "rst")
    n1_data = sum(1 for t, w, k, _ in events if fault_ns <= t < until and w == "n1" and k == "data")
    parts.append("n1_rst=%d n1_data=%d" % (n1_rst, n1_data))
    print(" ".join(parts))


def main(argv):
    if len(argv) == 5 and argv[1] == "capture":
        capture(argv[2], int(argv[3]), argv[4])
    elif len(argv) == 4 and argv[1] == "report":
        report(argv[2], int(argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main(sys.argv)
