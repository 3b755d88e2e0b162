package dev.tandem.cluster.mirror.internal;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Decides, when a connection is accepted on the mirror port and before any handshake work, whether it may
 * try the handshake: only from the address of another node of {@code cluster.nodes}, and only while that
 * address has fewer than {@code perSource} connections in their handshake and all addresses together fewer
 * than {@code total}. A stranger is refused whatever it sends, so a flood from anywhere else cannot take
 * the slots the peers need; a node's address (a peer, or a local user on a peer's host) cannot take them
 * all either. Each admitted connection holds its slot until {@link #release} (handshake done or connection
 * closed).
 *
 * <p>Thread-safe: the listener's child loops call it.
 */
final class HandshakeAdmission {

    /** What becomes of a new connection. */
    enum Verdict {
        ADMITTED("admitted"),
        /** Not the address of another node of {@code cluster.nodes}. */
        STRANGER("stranger"),
        /** Its address already has {@code perSource} connections in their handshake. */
        SOURCE_LIMIT("source_limit"),
        /** {@code total} connections are in their handshake. */
        TOTAL_LIMIT("total_limit");

        private final String label;

        Verdict(String label) {
            this.label = label;
        }

        /** The metric's {@code reason} label. */
        String label() {
            return label;
        }
    }

    private final Set<InetAddress> allowed;
    private final int perSource;
    private final int total;
    private final Map<InetAddress, Integer> pending = new HashMap<>();
    private int pendingTotal;

    /**
     * @param allowed   the addresses of the other nodes (as resolved at start)
     * @param perSource connections one address may have in their handshake at once
     * @param total     connections all addresses together may have in their handshake at once
     */
    HandshakeAdmission(Set<InetAddress> allowed, int perSource, int total) {
        if (perSource < 1 || total < perSource) {
            throw new IllegalArgumentException("limits: " + perSource + " per source, " + total + " in total");
        }
        Set<InetAddress> a = new HashSet<>();
        allowed.forEach(x -> a.add(plain(x)));
        this.allowed = Set.copyOf(a);
        this.perSource = perSource;
        this.total = total;
    }

    /** A connection from {@code source} was accepted: admits it (taking a slot) or says why not. */
    synchronized Verdict admit(InetAddress source) {
        InetAddress from = plain(source);
        if (!allowed.contains(from)) {
            return Verdict.STRANGER;
        }
        int mine = pending.getOrDefault(from, 0);
        if (mine >= perSource) {
            return Verdict.SOURCE_LIMIT;
        }
        if (pendingTotal >= total) {
            return Verdict.TOTAL_LIMIT;
        }
        pending.put(from, mine + 1);
        pendingTotal++;
        return Verdict.ADMITTED;
    }

    /** An admitted connection from {@code source} is out of its handshake (through it, or closed). */
    synchronized void release(InetAddress source) {
        InetAddress from = plain(source);
        Integer mine = pending.get(from);
        if (mine == null) {
            return;
        }
        if (mine <= 1) {
            pending.remove(from);
        } else {
            pending.put(from, mine - 1);
        }
        pendingTotal--;
    }

    /** Connections in their handshake now. */
    synchronized int pending() {
        return pendingTotal;
    }

    /** An IPv4 address seen through a dual-stack socket ({@code ::ffff:a.b.c.d}) as the IPv4 address it is. */
    static InetAddress plain(InetAddress a) {
        if (a instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                try {
                    return Inet4Address.getByAddress(Arrays.copyOfRange(b, 12, 16));
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return a;
    }
}
