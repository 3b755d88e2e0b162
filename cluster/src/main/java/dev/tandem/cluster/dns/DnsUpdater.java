package dev.tandem.cluster.dns;

import dev.tandem.conf.DnsConfig;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

/**
 * Talks to the zone's primary server: RFC 2136 updates signed with TSIG, and the read-back (the zone's SOA serial
 * and the record's A and AAAA addresses). Over TCP, so that a lost datagram is an error rather than a silence.
 * Blocking: call from the DNS driver's own thread, never from an event loop.
 *
 * <p>An update only ever deletes the exact records it names (a name, a type and an address, never a whole
 * RRset), and the caller names only values Tandem added ({@link DnsLedger}): a record someone else put beside
 * them stays, even one equal to a node's address. The additions
 * come first in the message, which the server applies in order (RFC 2136 3.4.2), so a failover's set is never
 * empty in between.
 */
public final class DnsUpdater {

    private static final Logger log = LoggerFactory.getLogger(DnsUpdater.class);

    /** What the server holds. */
    public record Readback(long serial, Set<InetAddress> addresses) {
        public Readback {
            addresses = Set.copyOf(addresses);
        }
    }

    private final Name zone;
    private final SimpleResolver resolver;

    public DnsUpdater(DnsConfig config, String base64Secret, Duration timeout) throws IOException {
        this.zone = Name.fromString(config.zone());
        this.resolver = new SimpleResolver(new InetSocketAddress(InetAddress.getByName(config.server().host()),
                config.server().port()));
        resolver.setTCP(true);
        resolver.setTimeout(timeout);
        resolver.setTSIGKey(new TSIG(algorithm(config.tsig().algorithm()), Name.fromString(config.tsig().name()),
                base64Secret));
    }

    static Name algorithm(String name) {
        return switch (name) {
            case "hmac-md5" -> TSIG.HMAC_MD5;
            case "hmac-sha1" -> TSIG.HMAC_SHA1;
            case "hmac-sha224" -> TSIG.HMAC_SHA224;
            case "hmac-sha384" -> TSIG.HMAC_SHA384;
            case "hmac-sha512" -> TSIG.HMAC_SHA512;
            default -> TSIG.HMAC_SHA256;
        };
    }

    /** The zone's serial and the record's addresses. */
    public Readback read(String name) throws IOException {
        Name n = Name.fromString(name);
        long serial = -1;
        Message soa = send(Message.newQuery(Record.newRecord(zone, Type.SOA, DClass.IN)));
        for (Record r : soa.getSection(Section.ANSWER)) {
            if (r instanceof SOARecord s) {
                serial = s.getSerial();
            }
        }
        Set<InetAddress> addresses = new LinkedHashSet<>();
        for (int type : new int[] {Type.A, Type.AAAA}) {
            Message m = send(Message.newQuery(Record.newRecord(n, type, DClass.IN)));
            if (m.getRcode() != Rcode.NOERROR && m.getRcode() != Rcode.NXDOMAIN) {
                throw new IOException("query " + name + " " + Type.string(type) + ": " + Rcode.string(m.getRcode()));
            }
            for (Record r : m.getSection(Section.ANSWER)) {
                if (r instanceof ARecord a && r.getName().equals(n)) {
                    addresses.add(a.getAddress());
                } else if (r instanceof AAAARecord a && r.getName().equals(n)) {
                    addresses.add(a.getAddress());
                }
            }
        }
        return new Readback(serial, addresses);
    }

    /** What an update did: the record as read back after it, and the values it added (absent just before). */
    public record Applied(Readback back, Set<InetAddress> added) {
        public Applied {
            added = Set.copyOf(added);
        }
    }

    /**
     * The server refused an update because the record is no longer as read (RFC 2136 3.2.5, NXRRSET or YXRRSET):
     * someone wrote it after the read the change was decided on. Nothing of the update was applied; the change is
     * to be decided again on a fresh read, not retried as it was.
     */
    public static final class RecordChanged extends IOException {
        RecordChanged(String message) {
            super(message);
        }
    }

    /**
     * As {@link #apply(String, Duration, Readback, Set, Set, DnsLedger, Runnable)}, on a read made just now: for a
     * change that does not depend on what the record held (an operator's tool, a test).
     */
    public Applied apply(String name, Duration ttl, Set<InetAddress> add, Set<InetAddress> remove, DnsLedger ledger)
            throws IOException {
        return apply(name, ttl, read(name), add, remove, ledger, () -> { });
    }

    /**
     * Adds {@code add} and deletes {@code remove} from the record in one update, then reads it back. The update
     * carries {@code basis}, the read the change was decided on, as its prerequisite (RFC 2136 2.4.2: the A and
     * AAAA sets exactly as read, or absent): if anyone wrote the record since (another node that decided on the same
     * read, a tool), the server refuses it ({@link RecordChanged}) and nothing is applied. A fresh read taken here
     * instead would let two nodes that decided on the same empty record both write themselves in, the second
     * beside the first. A value in {@code basis} is not added (it is someone else's, or already Tandem's); the
     * values it adds go into {@code ledger} before the update is sent, and come out again if the server refuses it,
     * so the ledger holds a value only when the server held the record as {@code basis}, without that value, as the
     * value went in: a crash between the two leaves a value the next read shows absent, and the ledger then forgets
     * it. A ledger that cannot be written (a full or read-only {@code state_dir}) is logged and the update goes out
     * all the same. An update that would leave the name with no address is refused before it is sent.
     *
     * @param basis    the record as read when the change was decided
     * @param remove   only values Tandem added (the caller checks {@code ledger}); deleted one by one, never the set
     * @param recorded called once the ledger holds the values to add, before the update is sent
     * @throws RecordChanged when the record is no longer as {@code basis}: decide again on a fresh read
     * @throws IOException   when the server refuses otherwise, does not answer, or the read-back does not show the
     *                       change
     */
    public Applied apply(String name, Duration ttl, Readback basis, Set<InetAddress> add, Set<InetAddress> remove,
                         DnsLedger ledger, Runnable recorded) throws IOException {
        Name n = Name.fromString(name);
        Set<InetAddress> adding = new LinkedHashSet<>(add);
        adding.removeAll(basis.addresses());
        Update u = new Update(zone);
        for (int type : new int[] {Type.A, Type.AAAA}) {
            boolean any = false;
            for (InetAddress a : basis.addresses()) {
                Record r = record(n, 0, a);
                if (r.getType() == type) {
                    u.present(r);
                    any = true;
                }
            }
            if (!any) {
                u.absent(n, type);
            }
        }
        for (InetAddress a : adding) {
            u.add(record(n, ttl.toSeconds(), a));
        }
        for (InetAddress a : remove) {
            if (!add.contains(a)) {
                u.delete(record(n, 0, a));
            }
        }
        Set<InetAddress> after = new LinkedHashSet<>(basis.addresses());
        after.addAll(adding);
        for (InetAddress a : remove) {
            if (!add.contains(a)) {
                after.remove(a);
            }
        }
        if (!remove.isEmpty() && after.isEmpty()) {
            // Two nodes can each decide on a read that still shows the other: the second removal would leave the
            // name with no address at all. A record set is updated, never emptied.
            throw new IOException("update " + name + " refused here: removing " + addresses(remove)
                    + " would leave the record empty");
        }
        // Only what this update puts in the ledger comes out again should the server refuse it.
        Set<InetAddress> entered = new LinkedHashSet<>(adding);
        entered.removeIf(a -> ledger.contains(name, a));
        try {
            ledger.add(name, adding);
        } catch (IOException e) {
            // The ledger keeps the values in memory: a full or read-only state_dir must not stop a failover. After
            // a restart such a value counts as written by hand and stays, the safe side.
            log.warn("DNS {}: could not record in {} that Tandem adds {} ({}); sending the update anyway", name,
                    ledger.file(), addresses(adding), e.toString());
        }
        recorded.run();
        Message answer = send(u);
        if (answer.getRcode() != Rcode.NOERROR) {
            // Refused: nothing of it was applied (RFC 2136 3.2, 3.4), so nothing was added.
            ledger.remove(name, entered);
            String why = "update " + name + " refused: " + Rcode.string(answer.getRcode());
            if (answer.getRcode() == Rcode.NXRRSET || answer.getRcode() == Rcode.YXRRSET) {
                throw new RecordChanged(why + " (the record changed since it was read, serial " + basis.serial()
                        + ")");
            }
            throw new IOException(why);
        }
        Readback back = read(name);
        for (InetAddress a : add) {
            if (!back.addresses().contains(a)) {
                throw new IOException("update " + name + ": read back without " + a.getHostAddress() + " (serial "
                        + back.serial() + ")");
            }
        }
        for (InetAddress a : remove) {
            if (!add.contains(a) && back.addresses().contains(a)) {
                throw new IOException("update " + name + ": read back still with " + a.getHostAddress() + " (serial "
                        + back.serial() + ")");
            }
        }
        ledger.retain(name, back.addresses());
        return new Applied(back, adding);
    }

    private static String addresses(Set<InetAddress> as) {
        StringBuilder b = new StringBuilder();
        for (InetAddress a : as) {
            b.append(b.length() == 0 ? "" : ", ").append(a.getHostAddress());
        }
        return b.toString();
    }

    private static Record record(Name n, long ttl, InetAddress a) {
        return a instanceof Inet4Address ? new ARecord(n, DClass.IN, ttl, a) : new AAAARecord(n, DClass.IN, ttl, a);
    }

    private Message send(Message m) throws IOException {
        Message answer = resolver.send(m);
        if (answer.getTSIG() != null && !answer.isVerified()) {
            // An unsigned refusal (knot answers NOTAUTH/BADKEY to a key its ACL does not allow this update): its
            // codes cannot be trusted, but they are what an operator needs to look at the server's ACL.
            throw new IOException("the server's answer failed TSIG verification (" + Rcode.string(answer.getRcode())
                    + ", TSIG " + Rcode.TSIGstring(answer.getTSIG().getError())
                    + "; is the key allowed to update this name?)");
        }
        return answer;
    }

}
