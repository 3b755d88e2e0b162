package dev.tandem.cluster.vip;

import dev.tandem.conf.VipConfig;
import java.io.IOException;

/**
 * Puts a floating address on this host and takes it off. Every method blocks (it runs commands): call it
 * off the event loops, as {@link VipController} does. Adding an address that is there, or removing one that
 * is not, is not an error.
 */
public interface VipDriver {

    void add(VipConfig vip) throws IOException;

    /** Removes the address (ending any announcement round under way first). */
    void remove(VipConfig vip) throws IOException;

    /** Whether the address is on its interface now. */
    boolean present(VipConfig vip) throws IOException;

    /**
     * Starts a round of announcements that move the neighbours' caches to this host: gratuitous ARP for IPv4,
     * unsolicited neighbour advertisements for IPv6. Returns once the first ones are out; the rest of the
     * round (spaced over a few seconds) goes on in the background until it ends or {@link #stopAnnouncing}.
     */
    void announce(VipConfig vip) throws IOException;

    /** Ends a round still under way: the address leaves, or is being handed over, and must not be claimed. */
    void stopAnnouncing(VipConfig vip);
}
