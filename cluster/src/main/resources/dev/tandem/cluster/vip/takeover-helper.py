# Tandem's takeover helper: started ahead of any takeover and left waiting, so that a takeover adds an IPv4 VIP and
# sends its first gratuitous ARP without starting a process (ip, arping): on a busy host, starting those two took
# 20 to 300 ms, all of it an outage. Run by Tandem as: python3 -c THIS.
# One command a line on stdin, each answered with one line on stdout that starts with the command's ID:
#   ID add ADDR PREFIX IFACE   what `ip addr add ADDR/PREFIX dev IFACE` does, through netlink; an address that is
#                              there already is no error
#   ID garp ADDR IFACE         one gratuitous ARP request and one gratuitous ARP reply for ADDR from IFACE's MAC,
#                              broadcast (some neighbours heed only one kind)
#   ID takeover ADDR PREFIX IFACE
#                              add, then garp: a takeover's first announcement in one round trip; answered
#                              "ID added MESSAGE" when the address was added but the ARP could not be sent
# answered "ID ok" or "ID error MESSAGE". Says "ready" first, once it can take commands. Ends with its stdin: when
# Tandem is gone, so is the helper.
import errno, os, socket, struct, sys

RTM_NEWADDR, NLMSG_ERROR = 20, 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
IFA_ADDRESS, IFA_LOCAL = 1, 2
ARPHRD_ETHER = 1


def add(addr, prefix, iface):
    if not 0 <= prefix <= 32:
        raise ValueError("prefix %d" % prefix)
    index = socket.if_nametoindex(iface)
    a = socket.inet_aton(addr)
    # struct ifaddrmsg (family, prefix length, flags, scope: universe, index), then IFA_LOCAL and IFA_ADDRESS, as
    # ip sends them for a local address with no peer
    body = struct.pack("=BBBBI", socket.AF_INET, prefix, 0, 0, index)
    body += struct.pack("=HH", 8, IFA_LOCAL) + a + struct.pack("=HH", 8, IFA_ADDRESS) + a
    flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0) as nl:
        nl.bind((0, 0))
        nl.send(struct.pack("=IHHII", 16 + len(body), RTM_NEWADDR, flags, 1, 0) + body)
        answer = nl.recv(65536)
    if len(answer) < 20 or struct.unpack("=H", answer[4:6])[0] != NLMSG_ERROR:
        raise OSError("netlink: unexpected answer")
    code = -struct.unpack("=i", answer[16:20])[0]
    if code not in (0, errno.EEXIST):
        raise OSError(code, os.strerror(code))


# The one packet socket every gratuitous ARP leaves from, opened at start and kept: the kernel waits for an RCU grace
# period whenever a packet socket is closed (synchronize_net), which took 7 to 47 ms on a busy host, all of it before
# a takeover's answer got back to Tandem (its address recorded, its announcements counted, arping's round started).
# Protocol 0: it only sends (bound to ARP's, it would also have been handed every ARP frame of the interface).
sender = None


def garp(addr, iface):
    global sender
    with open("/sys/class/net/%s/type" % iface) as f:
        if int(f.read()) != ARPHRD_ETHER:
            raise ValueError("%s is no Ethernet interface" % iface)
    with open("/sys/class/net/%s/address" % iface) as f:
        mac = bytes.fromhex(f.read().strip().replace(":", ""))
    ip = socket.inet_aton(addr)
    broadcast = b"\xff" * 6
    if sender is None:
        sender = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    # a request (target hardware address zero, RFC 5227) and a reply (target broadcast): sender and target
    # protocol addresses both ADDR, which is what makes them gratuitous
    for op, target in ((1, b"\0" * 6), (2, broadcast)):
        arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac + ip + target + ip
        sender.sendto(broadcast + mac + b"\x08\x06" + arp + b"\0" * 18, (iface, 0x0806))


def main():
    global sender
    try:
        sender = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    except OSError:
        pass  # tried again at the first gratuitous ARP, which says why it cannot be sent
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        words = line.split()
        if not words:
            continue
        try:
            answer = "ok"
            if len(words) == 5 and words[1] == "add":
                add(words[2], int(words[3]), words[4])
            elif len(words) == 4 and words[1] == "garp":
                garp(words[2], words[3])
            elif len(words) == 5 and words[1] == "takeover":
                add(words[2], int(words[3]), words[4])
                try:
                    garp(words[2], words[4])
                except (OSError, ValueError) as e:
                    answer = "added " + " ".join(str(e).split())
            else:
                raise ValueError("unknown command: %s" % " ".join(words[1:2]))
        except (OSError, ValueError) as e:
            answer = "error " + " ".join(str(e).split())
        sys.stdout.write("%s %s\n" % (words[0], answer))
        sys.stdout.flush()


main()
