package dev.tandem.cluster.wire;

/**
 * One advertisement: node {@code node} says, about VIP {@code vip}, its priority and state.
 *
 * @param priority       0 = "I am leaving, take over now" (RFC 5798), 1-254 = candidate, 255 is never sent
 * @param intervalMillis the sender's advert interval; backups time the master out from it
 * @param epoch          the sender's boot epoch; with {@code sequence} it orders every packet a node sends
 * @param sequence       grows by one with every packet the sender sends in this epoch
 * @param flags          {@link #MASTER}, {@link #ANNOUNCED}, {@link #MAINTENANCE}, {@link #FAULT}, {@link #DRAINING},
 *                       {@link #RELEASED}, {@link #DRAIN_PARITY}; or {@link #PRESENCE} alone
 */
public record Advert(String node, String vip, int priority, int intervalMillis, long epoch, long sequence, int flags) {

    /**
     * The sender holds the VIP (is master). Without it, and without a drain flag, a positive priority is a waiting
     * advert: the sender waits at start for its first sync, hears no master, and will claim the VIP at that priority
     * (see {@code VipElection.awaitGate}).
     */
    public static final int MASTER = 1;
    /** The sender has the address on its interface and has announced it (first gratuitous ARP round done). */
    public static final int ANNOUNCED = 2;
    /** The sender is in maintenance: it hands the VIP over and takes part in no election. */
    public static final int MAINTENANCE = 4;
    /** The sender's health says it cannot serve. */
    public static final int FAULT = 8;
    /**
     * The sender handed the VIP over (or stepped aside for a more preferred master) and still has the address,
     * serving the connections in flight until they are drained. Sent by a backup, for the new holder only: it
     * passes on the segments of those connections that reach it. Not an election advert: no peer's state
     * machine acts on it.
     */
    public static final int DRAINING = 16;
    /**
     * The sender handed the VIP over (or stepped aside), drained it and removed the address. Not an election
     * advert either.
     */
    public static final int RELEASED = 32;
    /**
     * In a {@link #DRAINING} or {@link #RELEASED} report: which of the sender's drains it is about. Set in the
     * reports of every other drain the sender starts, clear in the others, so that a receiver tells a new drain
     * from the end of the last one by the reports alone: under loss, the release that ended one drain and every
     * claim of the mastership before the next could be lost, and the next drain's reports were taken for the
     * old drain's (its clients, drawn to the sender by that mastership, were never drawn back).
     */
    public static final int DRAIN_PARITY = 64;
    /**
     * Not about any VIP: the sender says only that it runs, with this epoch and sequence, so that every peer's
     * replay guard holds the sender's current run. Sent by a node that has sent nothing else for a while (a
     * backup of every VIP is otherwise silent, RFC 5798) and when it hears a peer's new run: a peer that has just
     * restarted learns at once what is no longer new from this node, and drops the sender's recorded packets.
     * Always alone, with priority 0 and {@link #NO_VIP}; no election acts on it.
     */
    public static final int PRESENCE = 128;
    /**
     * The VIP field of a {@link #PRESENCE} advert. Not an address, so no node has a VIP of that name: a node of the
     * release before, which knows no presence adverts, drops it as about an unknown VIP (after its replay guard
     * has taken its sequence) and no election of its sees it.
     */
    public static final String NO_VIP = "(presence)";

    public Advert {
        if (priority < 0 || priority > 255) {
            throw new IllegalArgumentException("priority: " + priority + " (expected: 0-255)");
        }
        if (intervalMillis <= 0) {
            throw new IllegalArgumentException("intervalMillis: " + intervalMillis + " (expected: > 0)");
        }
        if ((flags & ~0xFF) != 0) {
            throw new IllegalArgumentException("flags: " + flags + " (expected: 0-255)");
        }
        if (!wellFormed(vip, priority, flags)) {
            throw new IllegalArgumentException("a presence advert: vip '" + vip + "', priority " + priority
                    + ", flags " + flags + " (expected: vip '" + NO_VIP + "', priority 0, flags " + PRESENCE + ")");
        }
    }

    /** This node's presence: epoch {@code epoch}, sequence {@code sequence}, about no VIP. */
    public static Advert presence(String node, int intervalMillis, long epoch, long sequence) {
        return new Advert(node, NO_VIP, 0, intervalMillis, epoch, sequence, PRESENCE);
    }

    /**
     * Whether these fields may go together: a {@link #PRESENCE} advert is that flag alone, at priority 0, about
     * {@link #NO_VIP}, and only a presence advert is about {@link #NO_VIP}. An advert that says it is about no VIP
     * while claiming one (or the other way round) would mean one thing to this release and another to the last.
     */
    public static boolean wellFormed(String vip, int priority, int flags) {
        boolean presence = (flags & PRESENCE) != 0;
        if (presence) {
            return flags == PRESENCE && priority == 0 && NO_VIP.equals(vip);
        }
        return !NO_VIP.equals(vip);
    }

    /** Whether this is a {@link #PRESENCE} advert, about no VIP. */
    public boolean isPresence() {
        return has(PRESENCE);
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }
}
