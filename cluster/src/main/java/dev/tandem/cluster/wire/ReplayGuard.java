package dev.tandem.cluster.wire;

import java.util.HashMap;
import java.util.Map;

/**
 * Accepts a node's packet only when it is newer than every packet accepted from that node before:
 * a higher epoch, or the same epoch and a higher sequence. A replayed packet (and, rarely, one the network
 * reordered) is dropped; after a restart the node's new epoch is higher, since epochs are boot counts ({@code BootCounter}).
 *
 * <p>Checked after the MAC, so only packets made with the key can move the high-water mark. Not thread-safe:
 * used on the cluster event loop.
 */
public final class ReplayGuard {

    private record Mark(long epoch, long sequence) {
    }

    private final Map<String, Mark> marks = new HashMap<>();

    /** True, and remembered, when {@code a} is newer than anything seen from its node. */
    public boolean accept(Advert a) {
        Mark last = marks.get(a.node());
        if (last != null && (a.epoch() < last.epoch() || a.epoch() == last.epoch() && a.sequence() <= last.sequence())) {
            return false;
        }
        marks.put(a.node(), new Mark(a.epoch(), a.sequence()));
        return true;
    }
}
