package dev.tandem.cluster.vip;

import dev.tandem.conf.VipConfig;
import java.io.IOException;
import java.net.InetAddress;

/**
 * Puts a floating address on this host and takes it off. Every method blocks (it runs commands): call it
 * off the event loops, as {@link VipController} does. Adding an address that is there, or removing one that
 * is not, is not an error.
 */
public interface VipDriver {

    /**
     * Gets ready for a takeover of {@code vip}, before any (at start): whatever can be made ready ahead of time, so
     * that a takeover does not wait for it. Nothing by default.
     */
    default void prepare(VipConfig vip) {
    }

    /** Adds the address; a node that {@link #withdraw withdrew} it answers for it again. */
    void add(VipConfig vip) throws IOException;

    /**
     * Removes the address (ending any announcement round under way first), and whatever {@link #withdraw}
     * and {@link #forward} put in place for it.
     */
    void remove(VipConfig vip) throws IOException;

    /** Whether the address is on its interface now. */
    boolean present(VipConfig vip) throws IOException;

    /**
     * Sends one announcement that moves the neighbours' caches to this host: gratuitous ARP for IPv4 (a request
     * and a reply), an unsolicited neighbour advertisement for IPv6. Returns once it is out, and leaves nothing
     * that sends more later: the repeats of a round are the caller's ({@link AnnouncementSchedule}), so that a
     * node that stops (SIGSTOP, a hung process) stops announcing. (A process of its own may still be ending,
     * until {@link #stopAnnouncing} or the next call.)
     */
    void announce(VipConfig vip) throws IOException;

    /** Ends an announcement still under way: the address leaves, or is being handed over, and must not be claimed. */
    void stopAnnouncing(VipConfig vip);

    /**
     * The old holder after a handover (or once the master it stepped aside for announced the address): keeps
     * the address, so that connections in flight go on, but answers no more neighbour requests for it, so that
     * no neighbour that asks who has it is drawn back while the new holder is the one that answers. Until
     * {@link #add} or {@link #remove}.
     */
    void withdraw(VipConfig vip) throws IOException;

    /**
     * The new holder during a handover (or when it takes the VIP from a master that steps aside): TCP segments
     * for the address that belong to no connection this host opened or accepted since (they belong to
     * connections opened to the old holder, whose neighbours moved to this host mid-connection) go on to the
     * old holder at {@code oldHolder} instead of being reset. Call it before {@link #add}; ended by
     * {@link #stopForwarding} or {@link #remove}.
     */
    void forward(VipConfig vip, InetAddress oldHolder) throws IOException;

    /**
     * Ends {@link #forward}: the old holder drained and released the address, or is gone.
     *
     * @return how many segments were passed on, or -1 when not known
     */
    long stopForwarding(VipConfig vip) throws IOException;

    /**
     * Removes what a previous run (a crash) may have left for this VIP besides the address: the rules of
     * {@link #withdraw} and {@link #forward}.
     */
    void removeRules(VipConfig vip) throws IOException;
}
