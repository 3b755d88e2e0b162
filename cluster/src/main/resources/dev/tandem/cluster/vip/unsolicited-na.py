# Unsolicited neighbour advertisements (RFC 4861, 7.2.6) for ADDR on IFACE: COUNT of them, one a second, to
# all nodes, with the override flag and this interface's link-layer address, so that every neighbour that has
# ADDR cached points it at this host. Run by Tandem as: python3 -c THIS ADDR IFACE COUNT.
# Exit 0 when all went out, 2 on any error (arping's convention: above 1 is a failure).
import socket, struct, sys, time

try:
    addr, iface, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open("/sys/class/net/%s/address" % iface) as f:
        lladdr = bytes.fromhex(f.read().strip().replace(":", ""))
    try:
        with open("/proc/sys/net/ipv6/conf/%s/forwarding" % iface) as f:
            router = f.read().strip() == "1"
    except OSError:
        router = False
    index = socket.if_nametoindex(iface)
    target = socket.inet_pton(socket.AF_INET6, addr)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    # Neighbour discovery is accepted only with a hop limit of 255 (RFC 4861, 7.1.2).
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
    try:
        s.bind((addr, 0, 0, index))
    except OSError:
        pass  # the kernel picks the link-local address as the source
    flags = 0x20000000 | (0x80000000 if router else 0)  # override (and router when this host forwards)
    option = struct.pack("!BB", 2, (2 + len(lladdr) + 7) // 8) + lladdr  # target link-layer address
    option += b"\0" * (-len(option) % 8)
    # type 136, code 0; the kernel fills in the checksum of an ICMPv6 raw socket
    advert = struct.pack("!BBHI", 136, 0, 0, flags) + target + option
    for i in range(count):
        if i:
            time.sleep(1)
        s.sendto(advert, ("ff02::1", 0, 0, index))
except (OSError, ValueError, IndexError) as e:
    print("unsolicited neighbour advertisement for %s: %s" % (" ".join(sys.argv[1:3]), e), file=sys.stderr)
    sys.exit(2)
