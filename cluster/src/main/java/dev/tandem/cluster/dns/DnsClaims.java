package dev.tandem.cluster.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which record values Tandem added, as this node knows it: its {@link DnsLedger} (on the DNS thread), a copy of it
 * for the cluster's loop, and the claims heartbeats carry. A node knows the values it added itself; a peer's, from
 * the peer's heartbeat, which names the records its own address is in by its doing ({@link #CLAIM} tokens among
 * the nodes it hears), so that the peer's value is known as Tandem's here should the peer be lost. A node claims
 * a value from the moment its ledger holds it (before the update is sent); a claim taken in is forgotten, as the
 * node's own values are, once a read shows the value gone. A node that dies before any peer heard its claim
 * (within an advert interval of its update) leaves its value to the record until it comes back: never removing
 * what may not be Tandem's comes first.
 */
final class DnsClaims {

    private static final Logger log = LoggerFactory.getLogger(DnsClaims.class);

    /**
     * In a heartbeat's list: "my address is in this record, added by Tandem", then the record's {@link #tag}. No node
     * name begins with it, so a node of the release before takes it for a node it does not know, and ignores it.
     */
    static final String CLAIM = "+";
    /** A heartbeat's "VIP" is at most this many bytes (the advert's length field). */
    static final int HEARTBEAT_MAX = 255;

    private final String self;
    private final Map<String, InetAddress> addresses;
    private final List<String> records;
    private final Map<String, String> recordsByTag = new HashMap<>();
    /** On the DNS thread only. */
    private final DnsLedger ledger;
    private final Executor loop;
    private final Executor io;
    /** The ledger as the loop sees it: per record, the values Tandem added, as text. */
    private volatile Map<String, Set<String>> view;

    /**
     * @param io   the DNS thread
     * @param loop the cluster's loop
     */
    DnsClaims(String self, Map<String, InetAddress> addresses, List<String> records, DnsLedger ledger, Executor loop,
              Executor io) {
        this.self = self;
        this.addresses = addresses;
        this.records = List.copyOf(records);
        this.ledger = ledger;
        this.loop = loop;
        this.io = io;
        records.forEach(r -> recordsByTag.put(tag(r), r));
        this.view = snapshot();
    }

    /** A record's short name in heartbeats: 8 hex digits of its name's CRC-32. */
    static String tag(String record) {
        CRC32 crc = new CRC32();
        crc.update(record.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }

    /** On the DNS thread. */
    DnsLedger ledger() {
        return ledger;
    }

    private Map<String, Set<String>> snapshot() {
        Map<String, Set<String>> out = new HashMap<>();
        records.forEach(r -> out.put(r, ledger.values(r)));
        return Map.copyOf(out);
    }

    /** On the DNS thread, after the ledger changed: the loop's copy follows (before what is posted after this). */
    void publish() {
        Map<String, Set<String>> now = snapshot();
        loop.execute(() -> view = now);
    }

    /**
     * On the DNS thread: a value Tandem added and no longer there is no longer Tandem's (should someone write it
     * again, it is theirs). A ledger that cannot be written keeps the value, the safe side: it is never removed
     * while the record lacks it, and kept as Tandem's if it comes back.
     */
    void readBack(String record, Set<InetAddress> present) {
        try {
            ledger.retain(record, present);
        } catch (IOException e) {
            log.warn("dns: {}: cannot update the ledger of values Tandem added: {}", record, e.toString());
        }
        publish();
    }

    /** {@code heartbeat} (the prefix and the nodes heard) with this node's claims, as many as fit. */
    String withClaims(String heartbeat, boolean listEmpty) {
        StringBuilder out = new StringBuilder(heartbeat);
        InetAddress mine = addresses.get(self);
        Map<String, Set<String>> v = view;
        boolean first = listEmpty;
        for (String r : records) {
            if (mine != null && v.getOrDefault(r, Set.of()).contains(mine.getHostAddress())) {
                String token = (first ? "" : ",") + CLAIM + tag(r);
                if (out.length() + token.length() <= HEARTBEAT_MAX) {
                    // Past that, a claim is left out: a peer then cannot remove this value, never the other way.
                    out.append(token);
                    first = false;
                }
            }
        }
        return out.toString();
    }

    static boolean isClaim(String item) {
        return item.startsWith(CLAIM);
    }

    /** On the loop: peer {@code node}'s heartbeat carried {@code item}, a claim. */
    void claimed(String node, String item) {
        String record = recordsByTag.get(item.substring(CLAIM.length()));
        InetAddress address = addresses.get(node);
        if (record == null || address == null || node.equals(self)
                || view.getOrDefault(record, Set.of()).contains(address.getHostAddress())) {
            return;
        }
        try {
            io.execute(() -> {
                try {
                    ledger.add(record, Set.of(address));
                    publish();
                } catch (IOException | RuntimeException e) {
                    log.warn("dns: {}: cannot record {}'s value as Tandem's: {}", record, node, e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            // Closing: nothing more is recorded.
        }
    }

    /** On the loop: the nodes whose address in {@code record} Tandem added, as far as this node knows. */
    Set<String> addedNodes(String record) {
        Set<String> values = view.getOrDefault(record, Set.of());
        Set<String> nodes = new LinkedHashSet<>();
        addresses.forEach((n, a) -> {
            if (values.contains(a.getHostAddress())) {
                nodes.add(n);
            }
        });
        return nodes;
    }
}
